"""Sensitivity indices of sweeps (SALib), the analyze command, and sweeps in comparisons."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim.analysis import SensitivityError, analyze, compare
from influence_sim.analysis.sweeps import from_sweep_folder
from influence_sim.cli import main
from influence_sim.seeds import DEFAULT_POWERS
from influence_sim.sweep import load_sweep, run_sweep

ROOT = Path(__file__).resolve().parents[1]
TAKEOVER = ROOT / "scenarios" / "afghan_takeover.yaml"

DESIGNS = {
    "sobol": "kind: sobol\n  base: 8\n  second_order: false",
    "morris": "kind: morris\n  trajectories: 6\n  levels: 4",
    "lhs": "kind: lhs\n  points: 8",
}


@pytest.fixture(scope="module")
def sweeps(tmp_path_factory):
    """Tiny sweeps of each design over two parameters of the takeover scenario."""
    root = tmp_path_factory.mktemp("sweeps")
    out = {}
    for kind, design in DESIGNS.items():
        path = root / f"{kind}.yaml"
        path.write_text(
            f"name: tiny_{kind}\nscenario: {TAKEOVER}\nseed: 3\nreplicates: 1\n"
            "common_random_numbers: true\nvary:\n"
            "  parameters.presence_weight: {low: 0.5, high: 3.0}\n"
            "  parameters.coordination: {low: 0.0, high: 1.0}\n"
            f"design:\n  {design}\nkeep:\n  final: all\n  timeseries:\n    every: 8\n"
            "    states: true\n"
        )
        run_sweep(path, root / kind, workers=1)
        out[kind] = root / kind
    return out


def test_sobol_indices_with_confidence_intervals(sweeps, tmp_path):
    result = analyze(sweeps["sobol"], "sobol", "final.security_share.tajikistan.russia")
    idx = result.indices
    assert list(idx["parameter"]) == ["parameters.presence_weight", "parameters.coordination"]
    for column in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.isfinite(idx[column]).all()
    # presence (weighted by the takeover's threat) drives Russia's share in Tajikistan
    st = idx.set_index("parameter")["ST"]
    assert st["parameters.presence_weight"] > st["parameters.coordination"]
    written = {p.name for p in result.save(tmp_path)}
    assert written == {
        f"sensitivity_sobol_final.security_share.tajikistan.russia.{e}"
        for e in ("csv", "png", "json")
    }


def test_sobol_confidence_intervals_repeat(sweeps):
    """The bootstrap behind *_conf is seeded: a second analysis gives the same table."""
    metric = "final.security_share.tajikistan.russia"
    first = analyze(sweeps["sobol"], "sobol", metric).indices
    second = analyze(sweeps["sobol"], "sobol", metric).indices
    assert first.equals(second)


def test_morris_mu_star_and_sigma(sweeps):
    result = analyze(sweeps["morris"], "morris", "final.security_share.tajikistan.russia")
    idx = result.indices.set_index("parameter")
    assert {"mu_star", "mu_star_conf", "sigma"} <= set(idx.columns)
    assert (idx["mu_star"] >= 0).all()
    assert (
        idx.loc["parameters.presence_weight", "mu_star"]
        > idx.loc["parameters.coordination", "mu_star"]
    )


def test_default_metric_is_chinas_regional_security_share(sweeps):
    assert analyze(sweeps["sobol"]).metric == "final.security_share.region.china"


@pytest.mark.parametrize(
    ("kind", "method", "match"),
    [
        ("morris", "sobol", "has a 'morris' design, but sobol indices need a 'sobol' design"),
        ("lhs", "morris", "supports comparisons, not sensitivity indices"),
        ("sobol", "fast", "unknown method"),
    ],
)
def test_design_that_does_not_fit_the_method_is_a_clear_error(sweeps, kind, method, match):
    with pytest.raises(SensitivityError, match=match):
        analyze(sweeps[kind], method)


def test_bad_metrics_are_clear_errors(sweeps, tmp_path):
    with pytest.raises(SensitivityError, match=r"did you mean 'final\.security_share\.region"):
        analyze(sweeps["sobol"], "sobol", "final.security_share.regoin.china")
    with pytest.raises(SensitivityError, match="not numeric"):
        analyze(sweeps["sobol"], "sobol", "final.security_guarantor.tajikistan")
    # a metric missing (NaN) in some runs, e.g. a year that never comes in them
    import shutil

    import pandas as pd

    holed = tmp_path / "holed"
    shutil.copytree(sweeps["sobol"], holed)
    runs = pd.read_parquet(holed / "runs.parquet")
    runs.loc[runs.index[:3], "china_passes_russia_security_year"] = np.nan
    runs.to_parquet(holed / "runs.parquet")
    with pytest.raises(SensitivityError, match=r"runs\.parquet: its SHA-256 differs"):
        analyze(holed, "sobol", "china_passes_russia_security_year")
    # recorded as the sweep's own file, the holes are found
    import json

    from influence_sim.sweep.storage import file_record

    manifest = json.loads((holed / "manifest.json").read_text())
    manifest["files"]["runs.parquet"] = file_record(holed / "runs.parquet")
    (holed / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(SensitivityError, match="undefined"):
        analyze(holed, "sobol", "china_passes_russia_security_year")
    with pytest.raises(SensitivityError, match="not a sweep folder"):
        analyze(tmp_path, "sobol")
    with pytest.raises(TypeError, match=r"^folder: expected a path \(text or os\.PathLike\)"):
        load_sweep(3)


@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_morris_of_a_sweep_whose_design_file_is_damaged_names_it(sweeps, tmp_path, damage):
    """design.parquet is not among the files the manifest checks; morris reads it."""
    import shutil

    folder = tmp_path / "morris"
    shutil.copytree(sweeps["morris"], folder)
    path = folder / "design.parquet"
    if damage == "delete":
        path.unlink()
    else:
        path.write_bytes(b"")
    reason = "missing" if damage == "delete" else "not a readable Parquet file"
    with pytest.raises(SensitivityError, match=rf"design\.parquet: {reason}$"):
        analyze(folder, "morris", "final.security_share.tajikistan.russia")


def test_analyze_command(sweeps, tmp_path, capsys):
    assert (
        main(["analyze", str(sweeps["morris"]), "--method", "morris", "--out", str(tmp_path)]) == 0
    )
    out = capsys.readouterr().out
    assert "Morris elementary effects" in out and "mu_star" in out
    assert (tmp_path / "sensitivity_morris_final.security_share.region.china.png").is_file()
    assert main(["analyze", str(sweeps["lhs"]), "--method", "sobol"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'lhs' design" in err and "Traceback" not in err


def test_analyze_without_plots_removes_the_chart_of_that_metric_only(sweeps, tmp_path, capsys):
    """analyze --no-plots after analyze left the earlier chart of the metric beside its CSV."""
    import json

    argv = ["analyze", str(sweeps["morris"]), "--method", "morris", "--out", str(tmp_path)]
    other = "final.security_share.tajikistan.russia"
    assert main([*argv, "--metric", other]) == 0
    assert main([*argv, "--format", "png,svg"]) == 0
    (tmp_path / "notes.txt").write_text("mine\n")
    stem = "sensitivity_morris_final.security_share.region.china"
    kept = {p.name for p in tmp_path.iterdir()} - {f"{stem}.png", f"{stem}.svg"}
    assert main([*argv, "--no-plots"]) == 0
    assert {p.name for p in tmp_path.iterdir()} == kept
    assert f"sensitivity_morris_{other}.png" in kept and "notes.txt" in kept
    record = json.loads((tmp_path / f"{stem}.json").read_text())
    assert record["files"] == [f"{stem}.csv", f"{stem}.json"]
    assert record["method"] == "morris" and record["metric"] == "final.security_share.region.china"
    # a record that lists a file of another metric removes nothing
    record["files"] = [f"sensitivity_morris_{other}.png"]
    (tmp_path / f"{stem}.json").write_text(json.dumps(record))
    assert main([*argv, "--no-plots"]) == 0
    assert {p.name for p in tmp_path.iterdir()} == kept
    capsys.readouterr()


@pytest.mark.parametrize("where", ["out", "above"])
def test_analyze_refuses_a_file_at_or_above_out(sweeps, tmp_path, capsys, where):
    """One line and exit 2, not exit 1 with the system's "File exists"; the file is kept."""
    file = tmp_path / "indices.txt"
    file.write_text("kept")
    out = file if where == "out" else file / "analysis"
    argv = ["analyze", str(sweeps["morris"]), "--method", "morris", "--out", str(out)]
    assert main([*argv, "--no-plots"]) == 2
    expected = "output path exists and is not a folder" if where == "out" else "is a file"
    captured = capsys.readouterr()
    assert captured.err.startswith(f"error: {out}: ") and expected in captured.err
    assert captured.err.count("\n") == 1 and file.read_text() == "kept"


def test_a_sweep_is_an_unpaired_side_of_a_comparison(sweeps):
    out = compare(TAKEOVER, sweeps["lhs"], replicates=2)
    pair = out.pairing["tiny_lhs"]
    assert not pair.paired and "sweep" in pair.reason
    sweep = out.side("tiny_lhs")
    assert sweep.kind == "sweep" and sweep.n_replicates == 8
    head = out.headline
    row = head[
        (head["metric"] == "final_share_security")
        & (head["state"] == "region")
        & (head["partner"] == "china")
        & (head["scenario"] == "tiny_lhs")
    ].iloc[0]
    values = sweep.metrics
    sel = values[
        (values["metric"] == "final_share_security")
        & (values["state"] == "region")
        & (values["partner"] == "china")
    ]["value"]
    assert row["median"] == pytest.approx(np.median(sel)) and row["n"] == 8
    assert not row["paired"]
    assert {"final_guarantor", "guarantor_changes", "final_trust"} <= set(head["metric"])


def test_a_sweep_without_time_series_names_the_powers_of_its_summary(sweeps, tmp_path):
    """Guarantor rows for every power of the runs, as when the sweep keeps its time series."""
    spec = (sweeps["lhs"].parent / "lhs.yaml").read_text()
    kept = "  timeseries:\n    every: 8\n    states: true\n"
    assert spec.count(kept) == 1
    path = tmp_path / "lhs.yaml"
    path.write_text(spec.replace(kept, "  timeseries: false\n"))
    run_sweep(path, tmp_path / "out", workers=1)
    bare, full = from_sweep_folder(tmp_path / "out"), from_sweep_folder(sweeps["lhs"])
    assert bare.timeseries.empty and not full.timeseries.empty
    guarantor = bare.metrics[bare.metrics["metric"] == "final_guarantor"]
    assert set(guarantor["partner"]) == set(DEFAULT_POWERS)
    pd.testing.assert_frame_equal(bare.metrics, full.metrics)
    # charts of its time series say it has none instead of drawing empty axes
    both = compare(TAKEOVER, tmp_path / "out", replicates=2)
    with pytest.raises(ValueError, match="'tiny_lhs' has no time series"):
        both.plot_fan("tiny_lhs")
    with pytest.raises(ValueError, match="'tiny_lhs' has no time series"):
        both.plot_difference("tiny_lhs")


def test_misspelt_names_of_a_sweep_folder_are_clear_errors(sweeps):
    """A filter or metric the sweep does not have is refused with the choices, not 0 rows."""
    data = load_sweep(sweeps["lhs"])
    assert len(data.read_timeseries(state="region", partner=["china"], domain="security")) > 0
    wrong = r"no state regio \(expected some of .*did you mean 'region'"
    with pytest.raises(ValueError, match=wrong):
        data.read_timeseries(state=["region", "regio"])
    with pytest.raises(ValueError, match="no partner chna"):
        data.read_timeseries(partner="chna")
    with pytest.raises(ValueError, match="no domain secrity"):
        data.read_timeseries(domain="secrity", state="region")
    # a name the whole series has, but not among the other filters' rows, is no error (a run
    # of the sweep not done yet, as in an unfinished sweep, has no rows)
    unfinished = load_sweep(sweeps["lhs"])
    unfinished.manifest["n_runs"] = 10_001
    assert unfinished.read_timeseries(state="region", runs=[10_000]).empty
    # run ids and steps the sweep does not have are refused with the valid ones, not 0 rows
    last = data.manifest["n_runs"] - 1
    runs = re.escape(f"runs: the sweep has no run 99, -1 (expected run ids from 0 to {last})")
    with pytest.raises(ValueError, match=f"^{runs}$"):
        data.read_timeseries(runs=[1, 99, -1])
    steps = re.escape("steps: the sweep recorded no step 5 (expected one of 0, 8, 16, 24, 32, 40)")
    with pytest.raises(ValueError, match=f"^{steps}$"):
        data.read_timeseries(steps=[8, 5], state="region")
    # one run or step alone is one filter value; values of the wrong kind and unknown columns
    # are refused by name instead of failing inside pyarrow
    one = data.read_timeseries(runs=1, steps=0, columns="share")
    pd.testing.assert_frame_equal(one, data.read_timeseries(runs=[1], steps=[0], columns=["share"]))
    assert len(one) > 0
    with pytest.raises(ValueError, match=r"^steps: expected whole numbers, not '4'$"):
        data.read_timeseries(steps=["4"])
    with pytest.raises(ValueError, match=r"^runs: expected whole numbers, not 1\.5$"):
        data.read_timeseries(runs=[1.5])
    with pytest.raises(ValueError, match=r"^state: expected names, not 3$"):
        data.read_timeseries(state=3)
    with pytest.raises(ValueError, match=r"^unknown column 'shares' \(expected one of .*share"):
        data.read_timeseries(columns=["shares"])
    with pytest.raises(ValueError, match=r"^unknown column 5 \(expected one of "):
        data.read_timeseries(columns=5)
    examples = re.escape("(expected a column of runs, e.g. final.economic_share.region.china, ")
    with pytest.raises(KeyError, match=examples):
        data.point_means("share")
    hint = re.escape("did you mean 'final.security_share.region.china'")
    with pytest.raises(KeyError, match=hint):
        data.point_means("final.security_share.region.chna")
    # a column that is no number is named, with numeric ones, not a pandas dtype error
    numeric = re.escape("(expected a numeric column of runs, e.g. final.economic_share.region.")
    for column in ("status", "final.security_guarantor.tajikistan"):
        with pytest.raises(ValueError, match=f"^metric '{column}' is not numeric {numeric}"):
            data.point_means(column)


def saltelli_sweep(folder: Path, metric, base: int = 8, replicates: int = 1) -> Path:
    """A finished sweep folder of a Saltelli design over two values, with a given metric.

    ``metric(x, replicate)`` gives the metric of a run at design point ``x`` (two values in
    [0, 1]); the folder records no files in its manifest, so none is checked.
    """
    from SALib.sample import sobol as saltelli

    names = ["parameters.a", "parameters.b"]
    problem = {"num_vars": 2, "names": names, "bounds": [[0.0, 1.0]] * 2}
    x = saltelli.sample(problem, base, calc_second_order=False, seed=1)
    rows = [
        {
            "run_id": i * replicates + r,
            "point": i,
            "replicate": r,
            "seed_entropy": 1,
            "seed_spawn_key": i * replicates + r,
            **dict(zip(names, x[i], strict=True)),
            "status": "ok",
            "error": None,
            "wall_time_s": 0.1,
            "final.y": metric(x[i], r),
        }
        for i in range(len(x))
        for r in range(replicates)
    ]
    folder.mkdir(parents=True)
    pd.DataFrame(rows).to_parquet(folder / "runs.parquet")
    factors = [{"path": n, "low": 0.0, "high": 1.0, "scale": "linear"} for n in names]
    design = {
        "kind": "sobol",
        "base": base,
        "second_order": False,
        "n_points": len(x),
        "factors": factors,
    }
    manifest = {"name": "saltelli", "status": "finished", "files": {}, "design": design}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_a_metric_undefined_in_some_replicates_is_refused_by_sweep_sensitivity(tmp_path):
    """It averaged each point over the replicates where the metric is defined, without a word.

    A crossing year that never happens in one replicate of a point left that replicate out of
    the point's mean; where it never happens in any, the error said the point had no
    successful run.
    """
    some = saltelli_sweep(
        tmp_path / "some", lambda x, r: np.nan if r == 0 and x[0] > 0.5 else 2025 + 5 * x[0], 8, 2
    )
    expected = r"^metric 'final\.y' is undefined \(NaN\) in 16 of 64 successful runs \(for a "
    with pytest.raises(ValueError, match=expected):
        load_sweep(some).sensitivity("final.y")
    every = saltelli_sweep(
        tmp_path / "every", lambda x, r: np.nan if x[0] > 0.5 else 2025 + 5 * x[0], 8, 2
    )
    with pytest.raises(ValueError, match=r"undefined \(NaN\) in 32 of 64 successful runs"):
        load_sweep(every).sensitivity("final.y")


def test_sobol_indices_of_a_constant_metric_are_nan_not_zero(tmp_path):
    """SALib gives 0 with a confidence half-width of 0 (and a RuntimeWarning) for a metric
    that never changes, which read as 'no influence, for certain' beside a note saying the
    indices are undefined."""
    folder = saltelli_sweep(tmp_path / "flat", lambda x, r: 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = analyze(folder, "sobol", "final.y")
    assert result.indices[["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()
    assert result.notes == [
        "metric 'final.y' has the same value at every design point: its Sobol' indices are "
        "undefined (NaN), as they share out a variance of 0"
    ]


def test_sobol_indices_outside_zero_to_one_are_said_with_their_intervals(tmp_path):
    """With a base sample of 4, S1 of the value that drives the metric comes out at 2.11."""
    folder = saltelli_sweep(
        tmp_path / "small",
        lambda x, r: x[0] + 0.3 * x[1] ** 2 + 0.1 * np.sin(9 * x[0] * x[1]),
        base=4,
    )
    result = analyze(folder, "sobol", "final.y")
    s1 = result.indices.set_index("parameter")["S1"]
    assert s1["parameters.a"] == pytest.approx(2.1138, abs=1e-3)
    (note,) = result.notes
    assert note.startswith(
        "indices outside [0, 1], which a share of variance cannot be (S1 of parameters.a is "
        "2.11 (95% interval +/- 0.91); ST of parameters.a is 2.18"
    )
    assert note.endswith("with a base sample of 4 they are estimates with wide errors; a larger "
                         "base narrows them")
    # indices within [0, 1] bring no note
    fine = saltelli_sweep(tmp_path / "fine", lambda x, r: x[0] + 0.2 * x[1], base=64)
    assert analyze(fine, "sobol", "final.y").notes == []


def test_analyze_refuses_an_out_folder_of_the_sweep_itself(sweeps, tmp_path, capsys):
    """--out at the sweep folder or inside its timeseries folder wrote the indices among its
    files; in timeseries/ the sweep then no longer read (every file there is a Parquet part)."""
    folder = sweeps["morris"]
    before = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    base = ["analyze", str(folder), "--method", "morris", "--out"]
    for out, what in (
        (folder, f"into the sweep folder {folder} it reads"),
        (folder / "timeseries", f"the sweep's own folder {folder / 'timeseries'}"),
    ):
        assert main([*base, str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and "Traceback" not in captured.err
        assert captured.err.count("\n") == 1 and captured.err.startswith(f"error: {out}: ")
        assert what in captured.err and str(folder / "analysis") in captured.err
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == before
    assert main([*base, str(tmp_path / "mine")]) == 0
