"""Execute the notebooks in this folder and store them with their outputs.

Usage (what ``python3 dev.py notebooks`` runs in the project's environment)::

    python notebooks/execute.py [NOTEBOOK.ipynb ...]     # default: every notebook here

Each notebook is run from top to bottom in a fresh kernel, from this folder, at its full
size (``INFLUENCE_SIM_SMALL`` is unset; the seeds are fixed in the notebooks). Volatile
metadata (execution timestamps, the interpreter's exact version) is dropped, so running it
again changes only what the model's numbers change. A notebook is written back, atomically,
only when it passes :func:`problems`: every code cell has an output, no output is an error
and no output shows a path of the machine it ran on. Every figure the kernel draws is checked
as it is drawn (:func:`figure_problems`: a legend and both axis labels on every panel with
data); a figure that fails writes to stderr, which :func:`problems` reports.

The tests import :func:`execute` and :func:`problems` from here.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path
from typing import Any

import nbclient
import nbformat

from influence_sim._files import write_text_atomic

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Environment variable that makes the notebooks use small sizes (the tests set it).
SMALL = "INFLUENCE_SIM_SMALL"

#: Cell metadata that changes on every run and is not kept.
VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled")

#: Output formats whose text is checked for machine paths (images are not text).
TEXT_FORMATS = ("text/plain", "text/html", "text/markdown", "text/latex", "application/json")


def figure_problems(figure: Any) -> list[str]:
    """What a figure lacks: a legend or an axis label on a panel that shows data.

    A panel's legend may be its own, the figure's, or that of a panel without axes that only
    holds the legend (a shared legend).

    Args:
        figure: A matplotlib figure.

    Returns:
        One line per problem, empty if none.
    """
    shared = bool(figure.legends) or any(
        not ax.axison and ax.get_legend() is not None for ax in figure.axes
    )
    found: list[str] = []
    for ax in figure.axes:
        if not ax.axison or not ax.has_data():
            continue
        name = ax.get_title() or ax.get_title(loc="left") or "untitled"
        name = name.splitlines()[0]
        if not (_label(figure, ax, "x") and _label(figure, ax, "y")):
            found.append(f"the panel '{name}' lacks an axis label")
        if ax.get_legend() is None and not shared:
            found.append(f"the panel '{name}' has no legend")
    return found


def _label(figure: Any, ax: Any, which: str) -> bool:
    """Whether a panel's axis is labelled, by itself or by the grid it belongs to.

    Small multiples that share an axis label it once: under each column (x) or beside each
    row (y). A panel counts as labelled when a panel sharing that axis with it, in its column
    (x) or row (y), is labelled.
    """
    if ax.get_xlabel() if which == "x" else ax.get_ylabel():
        return True
    spec = ax.get_subplotspec()
    if spec is None:
        return False
    shared = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    span = spec.colspan if which == "x" else spec.rowspan
    for other in figure.axes:
        theirs = other.get_subplotspec()
        if other is ax or theirs is None or not shared.joined(ax, other):
            continue
        if (theirs.colspan if which == "x" else theirs.rowspan) != span:
            continue
        if other.get_xlabel() if which == "x" else other.get_ylabel():
            return True
    return False


def install_figure_check() -> None:
    """In a kernel: report on stderr every figure drawn without a legend or an axis label."""
    from matplotlib.backend_bases import FigureCanvasBase

    draw = FigureCanvasBase.print_figure

    def print_figure(canvas: Any, *args: Any, **kwargs: Any) -> Any:
        for line in figure_problems(canvas.figure):
            print(f"figure check: {line}", file=sys.stderr)
        return draw(canvas, *args, **kwargs)

    FigureCanvasBase.print_figure = print_figure  # type: ignore[method-assign]


def machine_paths() -> list[str]:
    """Folders that must not appear in a stored output: they belong to one machine.

    The checkout, the top folder it is in, the home folder, the folder of temporary files,
    and the usual parents of home folders.
    """
    paths = {str(ROOT), str(Path.home()), tempfile.gettempdir(), "/home/", "/Users/"}
    if len(ROOT.parts) > 2:
        paths.add(str(Path(ROOT.anchor, ROOT.parts[1])))
    return sorted(p for p in paths if len(p) > 1)


def _output_texts(output: Any) -> list[str]:
    """The texts an output shows: a stream, an error's traceback, or its text formats."""
    kind = output.get("output_type")
    if kind == "stream":
        return [str(output.get("text", ""))]
    if kind == "error":
        return [str(output.get("evalue", "")), *map(str, output.get("traceback", []))]
    data = output.get("data", {})
    return [str(data[key]) for key in TEXT_FORMATS if key in data]


def problems(notebook: Any) -> list[str]:
    """What keeps a notebook from being stored: one line per problem, empty if none.

    Args:
        notebook: An executed notebook (``nbformat.NotebookNode``).

    Returns:
        Lines such as ``cell 3: no output``, ``cell 5: error ValueError: ...`` or
        ``cell 7: output shows a machine path (/home/)``.
    """
    found: list[str] = []
    paths = machine_paths()
    number = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        where = f"code cell {number}"
        if not cell.get("outputs"):
            found.append(f"{where}: no output")
        volatile = [key for key in VOLATILE_CELL_KEYS if key in cell.get("metadata", {})]
        if volatile:
            found.append(f"{where}: volatile metadata {', '.join(volatile)}")
        kinds = [(o.get("output_type"), o.get("name")) for o in cell.get("outputs", [])]
        if any(k == n and k[0] == "stream" for k, n in pairwise(kinds)):
            found.append(f"{where}: a stream stored in pieces")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"{where}: error {output.get('ename')}: {output.get('evalue')}")
                continue
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                first = str(output.get("text", "")).strip().splitlines()[:1]
                found.append(f"{where}: writes to stderr: {first[0] if first else ''}")
            text = "\n".join(_output_texts(output))
            shown = [p for p in paths if p in text]
            if shown:
                found.append(f"{where}: output shows a machine path ({shown[0]})")
    return found


def clean(notebook: Any) -> Any:
    """Drop volatile metadata in place: cell timings and the interpreter's exact version.

    Consecutive pieces of one stream (printed text arrives in pieces, cut where the kernel
    happened to flush) are joined, so the stored outputs do not depend on timing.

    Args:
        notebook: A notebook (``nbformat.NotebookNode``).

    Returns:
        The same notebook.
    """
    for cell in notebook.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
        if cell.cell_type != "code":
            continue
        joined: list[Any] = []
        for output in cell.outputs:
            last = joined[-1] if joined else None
            if (
                last is not None
                and output.get("output_type") == "stream"
                and last.get("output_type") == "stream"
                and output.get("name") == last.get("name")
            ):
                last["text"] = last["text"] + output["text"]
            else:
                joined.append(output)
        cell.outputs = joined
    language = notebook.metadata.get("language_info", {})
    notebook.metadata["language_info"] = {"name": language.get("name", "python")}
    notebook.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    return notebook


def execute(path: Path, small: bool = False, timeout: int = 600) -> Any:
    """Run a notebook from top to bottom in a fresh kernel, from its folder.

    Args:
        path: The ``.ipynb`` file (read, not written).
        small: Whether to run at the small sizes (``INFLUENCE_SIM_SMALL=1``).
        timeout: Seconds one cell may take.

    Returns:
        The executed, cleaned notebook. A failing cell does not stop the run: its error is
        an output, which :func:`problems` reports.
    """
    notebook = nbformat.read(path, as_version=4)
    saved = {key: os.environ.get(key) for key in (SMALL, "PYTHONHASHSEED")}
    os.environ.pop(SMALL, None)
    if small:
        os.environ[SMALL] = "1"
    os.environ["PYTHONHASHSEED"] = "0"
    try:
        client = nbclient.NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            record_timing=False,
            # the kernel loads this file first and checks every figure it draws
            extra_arguments=[
                "--IPKernelApp.exec_lines="
                f"__import__('runpy').run_path({str(Path(__file__).resolve())!r}, "
                "run_name='figure_check')"
            ],
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return clean(notebook)


def main(argv: list[str]) -> int:
    """Execute and store the notebooks named in ``argv`` (default: all); return an exit code."""
    if any(arg.startswith("-") for arg in argv):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    paths = [Path(arg) for arg in argv] or sorted(HERE.glob("*.ipynb"))
    for path in paths:
        if path.suffix != ".ipynb" or not path.is_file():
            print(f"execute.py: {path}: not a notebook file", file=sys.stderr)
            return 2
    failed = 0
    for path in paths:
        start = time.monotonic()
        notebook = execute(path.resolve())
        took = time.monotonic() - start
        found = problems(notebook)
        if found:
            failed += 1
            print(f"{path.name}: not written ({took:.0f} s):", file=sys.stderr)
            for line in found:
                print(f"  {line}", file=sys.stderr)
            continue
        write_text_atomic(path, nbformat.writes(notebook) + "\n")
        print(f"{path.name}: executed in {took:.0f} s and written", flush=True)
    return 1 if failed else 0


if __name__ == "figure_check":
    install_figure_check()
elif __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
