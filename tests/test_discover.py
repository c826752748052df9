"""Scenario discovery (PRIM) on synthetic sweeps whose answer is known, and its errors."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim.cli import main
from influence_sim.discover import DiscoveryError, discover

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("ema_workbench") is None and not os.environ.get("CI"),
    reason="ema_workbench is not installed (pip install 'influence-sim[ema]'); CI has it",
)

FACTORS = ["parameters.a", "states.x.b", "parameters.c"]


def synthetic_sweep(folder: Path, n: int = 400, factors: list[str] | None = None) -> Path:
    """A finished sweep folder whose metric is above 0.5 exactly when parameters.a > 0.5."""
    factors = FACTORS if factors is None else factors
    rng = np.random.default_rng(0)
    a, b, c = rng.uniform(0, 1, n), rng.uniform(0, 2, n), rng.uniform(-1, 1, n)
    values = dict(zip(FACTORS, (a, b, c), strict=True))
    runs = pd.DataFrame(
        {
            "run_id": np.arange(n),
            "point": np.arange(n),
            "replicate": 0,
            "seed_entropy": 1,
            "seed_spawn_key": np.arange(n),
            **{f: values[f] for f in factors},
            "status": ["ok"] * (n - 2) + ["failed"] * 2,
            "error": None,
            "wall_time_s": 0.1,
            "final.y": np.where(a > 0.5, 1.0, 0.0) + 0.01 * c,
            "final.security_guarantor.tajikistan": np.where(a > 0.5, "china", "russia"),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    runs.to_parquet(folder / "runs.parquet")
    manifest = {
        "name": "synthetic",
        "status": "finished",
        "files": {},
        "design": {"factors": [{"path": f} for f in factors]},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_the_box_is_a_above_one_half_with_high_density(tmp_path):
    found = discover(synthetic_sweep(tmp_path / "s"), "final.y", above=0.5)
    assert found.n_runs == 398  # failed runs are left out
    box = found.boxes[0]
    assert list(box.limits.index) == ["parameters.a"]
    assert 0.4 < box.limits.loc["parameters.a", "low"] < 0.6
    assert box.limits.loc["parameters.a", "high"] == box.limits.loc["parameters.a", "range_high"]
    assert box.density >= 0.9 and box.coverage >= 0.9
    assert box.limits.loc["parameters.a", "qp_low"] < 1e-6
    assert "parameters.a >= 0.4" in box.describe()


def test_below_and_equals_find_the_complementary_and_the_same_box(tmp_path):
    folder = synthetic_sweep(tmp_path / "s")
    below = discover(folder, "final.y", below=0.5).boxes[0]
    assert list(below.limits.index) == ["parameters.a"]
    assert 0.4 < below.limits.loc["parameters.a", "high"] < 0.6
    china = discover(folder, "final.security_guarantor.tajikistan", equals="china").boxes[0]
    assert 0.4 < china.limits.loc["parameters.a", "low"] < 0.6


def test_command_prints_the_box_and_writes_csv_and_png(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "s")
    code = main(["discover", str(folder), "--metric", "final.y", "--above", "0.5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "final.y above 0.5:" in out and "box 1: coverage" in out
    written = folder / "discovery" / "final.y"
    table = pd.read_csv(written / "boxes.csv")
    assert table.loc[0, "parameter"] == "parameters.a" and table.loc[0, "box"] == 1
    assert 0.4 < table.loc[0, "low"] < 0.6 and table.loc[0, "density"] >= 0.9
    assert (written / "boxes.png").read_bytes().startswith(b"\x89PNG")
    # a second run replaces the files, in the formats asked for
    args = ["discover", str(folder), "--metric", "final.y", "--above", "0.5", "--format", "svg"]
    assert main(args) == 0
    assert (written / "boxes.svg").read_text().lstrip().startswith("<?xml")


def test_a_discovery_without_boxes_removes_the_figure_of_an_earlier_one(tmp_path, capsys):
    """A run that found no box left the boxes.png of an earlier run beside its empty boxes.csv."""
    folder = synthetic_sweep(tmp_path / "s")
    out = tmp_path / "out"
    args = ["discover", str(folder), "--metric", "final.y", "--above", "0.5", "--out", str(out)]
    assert main([*args, "--format", "png,svg"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "boxes.csv",
        "boxes.png",
        "boxes.svg",
        "discovery.json",
    ]
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "boxes.pdf").write_text("mine\n", encoding="utf-8")  # not written by a discovery
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["final.y"] = np.random.default_rng(3).uniform(0, 1, len(runs))  # noise only
    runs.to_parquet(folder / "runs.parquet")
    assert main([*args, "--density", "0.99"]) == 0
    printed = capsys.readouterr().out
    assert "no box reaches the wanted density" in printed
    assert f"Wrote 2 files to {out}/: boxes.csv, discovery.json" in printed
    assert sorted(p.name for p in out.iterdir()) == [
        "boxes.csv",
        "boxes.pdf",
        "discovery.json",
        "notes.txt",
    ]
    assert pd.read_csv(out / "boxes.csv").empty
    record = json.loads((out / "discovery.json").read_text(encoding="utf-8"))
    assert record["files"] == ["boxes.csv", "discovery.json"]
    assert record["metric"] == "final.y" and record["condition"] == "above 0.5"
    assert record["density"] == 0.99 and record["boxes"] == 0 and record["n_runs"] == 398
    # a discovery.json that lists a file a discovery never writes removes nothing
    (out / "boxes.png").write_text("mine\n", encoding="utf-8")
    record["files"] = ["boxes.png", "notes.txt"]
    (out / "discovery.json").write_text(json.dumps(record), encoding="utf-8")
    assert main([*args, "--density", "0.99"]) == 0
    assert (out / "boxes.png").is_file() and (out / "notes.txt").is_file()


def test_figure_boxes_has_legends_and_leaves_the_backend_and_pyplot_alone(tmp_path):
    """A notebook keeps its inline backend and shows the figure as a cell's value."""
    import matplotlib
    import matplotlib.pyplot as plt

    from influence_sim.discover import figure_boxes

    found = discover(synthetic_sweep(tmp_path / "s"), "final.y", above=0.5)
    backend, open_figures = matplotlib.get_backend(), plt.get_fignums()
    fig = figure_boxes(found)
    assert matplotlib.get_backend() == backend and plt.get_fignums() == open_figures
    for ax in fig.axes:  # every panel says what its bars or points are, and its axes
        assert ax.get_legend() is not None and ax.get_xlabel() and ax.get_ylabel()
    fig.savefig(tmp_path / "boxes.png")
    assert (tmp_path / "boxes.png").read_bytes().startswith(b"\x89PNG")


def test_box_panels_draw_on_the_axes_they_are_given(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from influence_sim.discover import plot_box_limits, plot_trajectory

    box = discover(synthetic_sweep(tmp_path / "s"), "final.y", above=0.5).boxes[0]
    open_figures = plt.get_fignums()
    fig = Figure()
    left, right = fig.subplots(1, 2)
    assert plot_box_limits(box.limits, left, "Box 1") is left
    assert len(left.patches) == 2 * len(box.limits)  # the sweep's range and the box's limits
    assert left.get_title(loc="left") == "Box 1" and left.get_ylabel() == "varied value"
    assert plot_trajectory(box.trajectory, right) is right
    assert len(right.get_lines()) == 1 and len(right.collections) == 1  # the chosen box
    assert right.get_xlabel() == "coverage" and right.get_legend() is not None
    assert plt.get_fignums() == open_figures and len(fig.axes) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--metric", "final.yy", "--above", "0.5"],
            "unknown metric 'final.yy' (did you mean 'final.y'?)",
        ),
        (["--metric", "final.y", "--above", "5"], "no run has final.y above 5"),
        (["--metric", "final.y", "--above", "-5"], "every run has final.y above -5"),
        (
            ["--metric", "final.y", "--equals", "china"],
            "--equals: metric 'final.y' holds numbers (use --above or --below)",
        ),
        (
            ["--metric", "final.security_guarantor.tajikistan", "--above", "0.5"],
            "holds text (china, russia): use --equals VALUE",
        ),
        (
            ["--metric", "final.security_guarantor.tajikistan", "--equals", "united_states"],
            "no run has final.security_guarantor.tajikistan equals 'united_states' "
            "(its values are china, russia)",
        ),
        (["--metric", "final.y", "--below", "-5"], "(its values run from "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, args, message):
    folder = synthetic_sweep(tmp_path / "s")
    code = main(["discover", str(folder), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_a_sweep_without_varied_values_is_refused(tmp_path, capsys):
    folder = synthetic_sweep(tmp_path / "s", factors=[])
    assert main(["discover", str(folder), "--metric", "final.y", "--above", "0.5"]) == 2
    assert "the sweep varies no value" in capsys.readouterr().err


def test_a_folder_that_is_not_a_sweep_is_refused(tmp_path, capsys):
    assert main(["discover", str(tmp_path), "--metric", "final.y", "--above", "0.5"]) == 2
    assert "not a sweep folder" in capsys.readouterr().err


def test_no_box_dense_enough_is_said_with_the_densest_found(tmp_path):
    folder = synthetic_sweep(tmp_path / "s")
    runs = pd.read_parquet(folder / "runs.parquet")
    runs["final.y"] = np.random.default_rng(3).uniform(0, 1, len(runs))  # noise only
    runs.to_parquet(folder / "runs.parquet")
    found = discover(folder, "final.y", above=0.5, density=0.99)
    assert found.boxes == []
    assert "no box reaches the wanted density (the densest PRIM found has" in found.summary()


def test_bad_condition_arguments():
    with pytest.raises(DiscoveryError, match="exactly one of"):
        discover("anywhere", "final.y", above=0.5, below=0.2)
    with pytest.raises(DiscoveryError, match="out of range"):
        discover("anywhere", "final.y", above=0.5, density=1.5)


def test_runs_where_the_metric_is_nan_are_counted_and_said(tmp_path):
    """A crossing year that never happens is NaN and no case, under --above as under --below;
    the summary gave the cases among all runs without saying how many had no value."""
    folder = synthetic_sweep(tmp_path / "s")
    runs = pd.read_parquet(folder / "runs.parquet")
    a = runs["parameters.a"].to_numpy()
    # crosses in 2024 to 2030 where a <= 0.8, never (NaN) where a > 0.8
    runs["china_passes_russia_security_year"] = np.where(a > 0.8, np.nan, 2024 + 7.5 * a)
    runs.to_parquet(folder / "runs.parquet")
    ok = runs[runs["status"] == "ok"]
    never = int(ok["china_passes_russia_security_year"].isna().sum())
    assert 0 < never < len(ok)
    for condition in ({"above": 2027.0}, {"below": 2027.0}):
        found = discover(folder, "china_passes_russia_security_year", **condition)
        assert found.n_undefined == never and found.record()["n_undefined"] == never
        assert (
            f"{never} of the {len(ok)} runs have no value of china_passes_russia_security_year "
            "(NaN: for a crossing year, it never happens before the end) and are not cases"
        ) in found.summary().splitlines()[1]
    found = discover(folder, "china_passes_russia_security_year", above=2027.0)
    assert found.n_cases == int((ok["china_passes_russia_security_year"] > 2027.0).sum())
    # a metric defined in every run says nothing of the kind
    assert "no value" not in discover(folder, "final.y", above=0.5).summary()


def test_an_out_folder_of_the_sweep_itself_is_refused_before_anything_is_written(
    tmp_path, capsys
):
    """--out at the sweep folder or its timeseries folder wrote boxes.csv among its files.

    In timeseries/ the sweep then no longer read: every file there is read as a Parquet part.
    """
    folder = synthetic_sweep(tmp_path / "s")
    (folder / "timeseries").mkdir()
    pd.DataFrame({"run_id": [0]}).to_parquet(folder / "timeseries" / "part-000000.parquet")
    (folder / "chunks").mkdir()
    link = tmp_path / "link"
    link.symlink_to(folder, target_is_directory=True)
    before = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    base = ["discover", str(folder), "--metric", "final.y", "--above", "0.5", "--out"]
    for out, what in (
        (folder, f"into the sweep folder {folder} it reads"),
        (link, "into the sweep folder"),
        (folder / "timeseries", f"the sweep's own folder {folder / 'timeseries'} ("),
        (folder / "chunks" / "new", f"the sweep's own folder {folder / 'chunks'} (a folder"),
    ):
        assert main([*base, str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and "Traceback" not in captured.err
        assert captured.err.count("\n") == 1 and captured.err.startswith(f"error: {out}: ")
        assert what in captured.err and "discovery/final.y" in captured.err
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == before
    # a folder of its own inside the sweep folder, or one that holds it, is fine
    for out in (folder / "mine", tmp_path):
        assert main([*base, str(out)]) == 0
        assert (out / "boxes.csv").is_file()
    # the command has no --force that would let it write there
    with pytest.raises(SystemExit) as exc:
        main([*base, str(folder), "--force"])
    assert exc.value.code == 2
