"""The notebooks in notebooks/ are stored executed, clean, and still run from top to bottom."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _load_execute():
    """notebooks/execute.py, the script `dev.py notebooks` runs, as a module."""
    spec = importlib.util.spec_from_file_location(
        "notebook_execute", ROOT / "notebooks" / "execute.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


execute = _load_execute()


def _images(notebook) -> int:
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )


def test_the_four_notebooks_are_there():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_quick_start",
        "02_comparing_scenarios",
        "03_sweeps_and_sensitivity",
        "04_mechanism_attribution",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_with_its_outputs(path):
    """Every code cell has run, in order, with an output; no error, stderr or machine path."""
    notebook = nbformat.read(path, as_version=4)
    assert execute.problems(notebook) == []
    counts = [c.execution_count for c in notebook.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "not executed top to bottom in one go"
    assert _images(notebook) > 0, "no figure is stored"
    assert notebook.metadata["language_info"] == {"name": "python"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_interprets_every_figure_and_table(path):
    """After each figure or table the next cell is prose that says what it shows and not."""
    notebook = nbformat.read(path, as_version=4)
    cells = notebook.cells
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        shows = any(
            "image/png" in o.get("data", {}) or "text/html" in o.get("data", {})
            for o in cell.outputs
        )
        if not shows:
            continue
        following = cells[i + 1] if i + 1 < len(cells) else None
        if (
            following is not None
            and following.cell_type == "code"
            and not any(
                "image/png" in o.get("data", {}) or "text/html" in o.get("data", {})
                for o in following.outputs
            )
        ):
            following = cells[i + 2] if i + 2 < len(cells) else None  # a cell printing a sentence
        assert following is not None and following.cell_type == "markdown", (
            f"{path.name}: the output of cell {i} is not followed by its interpretation"
        )
        assert "not" in following.source.lower(), (
            f"{path.name}: the interpretation after cell {i} does not say what is not shown"
        )


def test_the_notebooks_use_scenario_discovery():
    sources = "\n".join(
        cell.source
        for path in NOTEBOOKS
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "code"
    )
    assert "from influence_sim.discover import" in sources


def test_problems_finds_a_missing_output_an_error_and_a_machine_path():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell(
            "1 / 0",
            outputs=[nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="oops")],
        ),
        nbformat.v4.new_code_cell(
            "print(folder)",
            outputs=[
                nbformat.v4.new_output(
                    "stream", name="stdout", text=f"in {tempfile.gettempdir()}/abc\n"
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "folder",
            outputs=[
                nbformat.v4.new_output(
                    "execute_result", data={"text/plain": f"PosixPath('{Path.home()}/x')"}
                )
            ],
        ),
        nbformat.v4.new_code_cell(
            "warn()",
            outputs=[nbformat.v4.new_output("stream", name="stderr", text="Warning: x\n")],
        ),
    ]
    notebook.cells[0].metadata["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00"}
    found = execute.problems(notebook)
    assert [line.split(" (")[0] for line in found] == [
        "code cell 1: no output",
        "code cell 1: volatile metadata execution",
        "code cell 2: error ZeroDivisionError: oops",
        "code cell 3: output shows a machine path",
        "code cell 4: output shows a machine path",
        "code cell 5: writes to stderr: Warning: x",
    ]
    execute.clean(notebook)
    assert "execution" not in notebook.cells[0].metadata


def test_clean_joins_the_pieces_of_a_stream():
    """Printed text cut into pieces where the kernel flushed is stored as one output."""
    piece = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell(
        "print(1); print(2); warn()",
        outputs=[
            piece("stream", name="stdout", text="1\n"),
            piece("stream", name="stdout", text="2\n"),
            piece("stream", name="stderr", text="w\n"),
        ],
    )
    notebook = nbformat.v4.new_notebook(cells=[cell])
    assert "code cell 1: a stream stored in pieces" in execute.problems(notebook)
    execute.clean(notebook)
    assert [(o["name"], o["text"]) for o in cell.outputs] == [
        ("stdout", "1\n2\n"),
        ("stderr", "w\n"),
    ]


def test_figure_problems_names_a_panel_without_legend_or_label():
    from matplotlib.figure import Figure

    fig = Figure()
    left, right = fig.subplots(1, 2)
    left.plot([0, 1], [0, 1], label="a")
    left.set(title="left", xlabel="x", ylabel="y")
    left.legend()
    right.plot([0, 1], [1, 0], label="b")
    right.set(title="right", xlabel="x")
    assert execute.figure_problems(fig) == [
        "the panel 'right' lacks an axis label",
        "the panel 'right' has no legend",
    ]
    right.set_ylabel("y")
    fig.legend()  # a figure legend covers every panel
    assert execute.figure_problems(fig) == []


def test_figure_problems_accept_a_grid_labelled_once_per_shared_row_and_column():
    from matplotlib.figure import Figure

    fig = Figure()
    axes = fig.subplots(2, 2, sharex=True, sharey=True)
    for (i, j), ax in np.ndenumerate(axes):
        ax.plot([0, 1], [0, 1], label="a")
        ax.set_xlabel("x" if i == 1 else "")
        ax.set_ylabel("y" if j == 0 else "")
    fig.legend()
    assert execute.figure_problems(fig) == []
    axes[1, 1].set_xlabel("")  # its column is then labelled nowhere
    assert execute.figure_problems(fig) == ["the panel 'untitled' lacks an axis label"] * 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_at_small_size(path, monkeypatch):
    """Execute every cell (INFLUENCE_SIM_SMALL=1) as `dev.py notebooks` does; all must pass."""
    src = str(ROOT / "src")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([src, *filter(None, [os.environ.get("PYTHONPATH")])])
    )
    notebook = execute.execute(path, small=True, timeout=300)
    assert execute.problems(notebook) == []
    assert _images(notebook) > 0, "no figure was drawn"
    assert "small size" in notebook.cells[1].outputs[0]["text"]
