"""Running sweeps: equivalence across executors, failures, storage, load_sweep and the CLI."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim import InfluenceModel, cli
from influence_sim.sweep import SweepFolderError, load_sweep, read_sweep, run_sweep
from influence_sim.sweep import chunk as chunk_module

BASE = """\
name: sweep_test_base
time:
  start: 2021-01-01
  end: 2024-01-01
  step: quarter
  seed: 7
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: {distribution: uniform, low: 0.7, high: 0.9}
"""

LHS = """\
name: small_lhs
scenario: base.yaml
seed: 11
replicates: 2
vary:
  parameters.coordination: {low: 0.0, high: 1.0}
  parameters.presence_weight: {low: 0.5, high: 2.0}
  states.tajikistan.threat_exposure: {low: 0.3, high: 1.0}
design: {kind: lhs, points: 15}
keep:
  timeseries: {every: 4}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "lhs.yaml").write_text(LHS)
    return tmp_path


def runs_without_time(folder: Path) -> pd.DataFrame:
    return load_sweep(folder).runs.drop(columns="wall_time_s")


def assert_same_results(a: Path, b: Path) -> None:
    pd.testing.assert_frame_equal(runs_without_time(a), runs_without_time(b))
    pd.testing.assert_frame_equal(load_sweep(a).timeseries, load_sweep(b).timeseries)


# --------------------------------------------------------------------------- equivalence


def test_results_are_identical_whatever_the_workers_chunks_or_executor(folder):
    """In process with odd chunks, a 2-process pool, and a Dask LocalCluster: same bits."""
    from distributed import LocalCluster

    sweep = read_sweep(folder / "lhs.yaml")
    run_sweep(sweep, folder / "one", workers=1, chunk_size=7)
    pooled = run_sweep(sweep, folder / "pool", workers=2, chunk_size=4, pool_after_seconds=0)
    assert pooled.executor == "process pool of 2 workers"
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        local_directory=folder / "dask",
        dashboard_address=None,
    ) as cluster:
        run_sweep(sweep, folder / "dask_out", scheduler=cluster.scheduler_address, chunk_size=5)
    for other in ("pool", "dask_out"):
        assert_same_results(folder / "one", folder / other)
    runs = load_sweep(folder / "one").runs
    assert len(runs) == 30 and (runs["status"] == "ok").all()
    assert runs["run_id"].tolist() == list(range(30))


def test_a_sweep_run_equals_the_mesa_model_run(folder):
    """Run r of a sweep is InfluenceModel with the run's values and seed, step for step."""
    sweep = read_sweep(folder / "lhs.yaml")
    run_sweep(sweep, folder / "out", workers=1)
    data = load_sweep(folder / "out")
    for run in (0, 17):
        model = InfluenceModel.from_sweep_run(sweep, run).run()
        row = data.runs.set_index("run_id").loc[run]
        share = model.batch.state.share[0]
        states, partners = model.dims.states, model.dims.partners
        for s, state in enumerate(states):
            for k, partner in enumerate(partners):
                got = row[f"final.security_share.{state}.{partner}"]
                assert abs(got - share[s, k, 1]) <= 1e-12
        assert abs(row["final.trust"] - model.trust) <= 1e-12
        frame = model.datacollector.get_model_vars_dataframe()
        series = data.read_timeseries(
            runs=[run], state="region", partner="china", domain="economic"
        )
        expected = frame["china_economic_share"].to_numpy()[series["step"].to_numpy()]
        np.testing.assert_allclose(series["share"].to_numpy(), expected, rtol=0, atol=1e-12)
    with pytest.raises(IndexError, match="not in this sweep"):
        InfluenceModel.from_sweep_run(sweep, sweep.n_runs)


# --------------------------------------------------------------------------- failures


CASES = """\
scenario: base.yaml
seed: 3
replicates: 2
design:
  kind: cases
  cases:
    - {parameters.offer_sensitivity: 2.0}
    - {parameters.offer_sensitivity: 1.0e+300}
    - {parameters.offer_sensitivity: 3.0}
"""


def test_non_finite_runs_are_recorded_as_failed_and_the_sweep_goes_on(folder):
    (folder / "cases.yaml").write_text(CASES)
    outcome = run_sweep(folder / "cases.yaml", folder / "out", workers=1, chunk_size=6)
    assert outcome.n_failed == 2 and not outcome.ok
    runs = load_sweep(folder / "out").runs
    failed = runs[runs["status"] == "failed"]
    assert failed["point"].tolist() == [1, 1]
    assert failed["error"].str.contains("non-finite").all()
    assert failed["final.trust"].isna().all()
    good = runs[runs["status"] == "ok"]
    assert good["error"].isna().all() and good["final.trust"].notna().all()
    series = load_sweep(folder / "out").timeseries
    assert set(series["run_id"]) == {0, 1, 4, 5}
    manifest = json.loads((folder / "out" / "manifest.json").read_text())
    assert manifest["runs_failed"] == 2


def test_a_run_that_raises_is_isolated_and_the_others_are_kept(folder, monkeypatch):
    clean = folder / "clean"
    run_sweep(folder / "lhs.yaml", clean, workers=1, chunk_size=8)
    real = chunk_module.simulate_chunk

    def flaky(sweep, runs):
        if 9 in np.asarray(runs).tolist():
            raise RuntimeError("injected failure")
        return real(sweep, runs)

    monkeypatch.setattr(chunk_module, "simulate_chunk", flaky)
    outcome = run_sweep(folder / "lhs.yaml", folder / "flaky", workers=1, chunk_size=8)
    assert outcome.n_failed == 1
    runs = runs_without_time(folder / "flaky")
    bad = runs[runs["status"] == "failed"]
    assert bad["run_id"].tolist() == [9]
    assert bad["error"].iloc[0].startswith("RuntimeError: injected failure")
    # every other run, re-run alone, is bit for bit the run of the clean sweep
    expected = runs_without_time(clean)
    keep = runs["run_id"] != 9
    pd.testing.assert_frame_equal(
        runs[keep].reset_index(drop=True), expected[keep].reset_index(drop=True)
    )
    ts = load_sweep(folder / "flaky").timeseries
    ref = load_sweep(clean).timeseries
    pd.testing.assert_frame_equal(ts, ref[ref["run_id"] != 9].reset_index(drop=True))


# --------------------------------------------------------------------------- storage


def test_folder_layout_manifest_and_load_sweep(folder):
    out = folder / "out"
    run_sweep(folder / "lhs.yaml", out, workers=1, chunk_size=10)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["design.parquet", "manifest.json", "runs.parquet", "timeseries"]
    parts = sorted(p.name for p in (out / "timeseries").iterdir())
    assert parts == ["part-000000.parquet", "part-000001.parquet", "part-000002.parquet"]
    data = load_sweep(out)
    assert data.complete
    manifest = data.manifest
    assert manifest["status"] == "finished" and manifest["finished"] >= manifest["started"]
    assert manifest["sweep_sha256"] == read_sweep(folder / "lhs.yaml").spec.sha256
    assert len(manifest["scenario_sha256"]) == 64
    assert manifest["design"]["kind"] == "lhs" and manifest["n_runs"] == 30
    assert "numpy" in manifest["versions"]
    runs = data.runs
    assert list(runs.columns[:8]) == [
        "run_id",
        "point",
        "replicate",
        "seed_entropy",
        "seed_spawn_key",
        "parameters.coordination",
        "parameters.presence_weight",
        "states.tajikistan.threat_exposure",
    ]
    for column in (
        "status",
        "error",
        "wall_time_s",
        "final.economic_share.region.china",
        "final.security_share.tajikistan.russia",
        "final.trade_usd_bn.china",
        "final.trade_usd_bn.russia",
        "final.trust",
        "china_passes_russia_trade_year",
        "china_passes_russia_security_year",
        "guarantor_changes",
        "final.security_guarantor.tajikistan",
    ):
        assert column in runs.columns
    # the seed of run r is SeedSequence(seed, spawn_key=(r,))
    assert (runs["seed_entropy"] == 11).all()
    assert (runs["seed_spawn_key"] == runs["run_id"]).all()
    assert (runs["point"] == runs["run_id"] // 2).all()
    np.testing.assert_array_equal(
        runs["parameters.coordination"].to_numpy(),
        np.repeat(data.design["parameters.coordination"].to_numpy(), 2),
    )
    # shares of every place and domain sum to one
    ts = data.timeseries
    assert list(ts.columns) == [
        "run_id",
        "step",
        "date",
        "state",
        "partner",
        "domain",
        "share",
        "volume_usd_bn",
    ]
    sums = ts.groupby(["run_id", "step", "state", "domain"], observed=True)["share"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)
    assert sorted(ts["step"].unique()) == [0, 4, 8, 12]
    region = data.read_timeseries(state="region", domain="security", steps=[12])
    assert len(region) == 30 * 4
    final = region[region["partner"] == "china"].set_index("run_id")["share"]
    np.testing.assert_allclose(
        final.to_numpy(), runs["final.security_share.region.china"].to_numpy(), atol=1e-15
    )


def test_whole_timeseries_of_a_large_sweep_warns_and_points_to_the_filtered_reader(
    folder, monkeypatch
):
    """Reading every row of a large sweep's time series warns; the filtered reader does not."""
    import warnings

    from influence_sim.sweep import results as results_module

    out = folder / "out"
    run_sweep(folder / "lhs.yaml", out, workers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_sweep(out).timeseries) == 30 * 4 * 6 * 4 * 2  # small: no warning
    monkeypatch.setattr(results_module, "LARGE_TIMESERIES_ROWS", 100)
    data = load_sweep(out)
    with pytest.warns(UserWarning, match=r"5,760 rows .*read_timeseries\(") as caught:
        _ = data.timeseries
    assert caught[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(data.read_timeseries(state="region", partner="china")) == 30 * 4 * 2


def test_example_sweep_suggests_metrics_that_vary(tmp_path):
    """The example sweep's comments point at metrics defined in every run that vary.

    A smaller copy of the example (base 8 instead of 128) is run; every metric its comments
    pass to ``sensitivity(...)`` or ``describe()`` on the whole column must be defined in every
    run and vary. The crossing year is NaN where the event does not happen, so the comments
    must say so and read it with ``notna()``/``dropna()``.
    """
    root = Path(__file__).resolve().parents[1]
    example = root / "scenarios" / "sweeps" / "afghan_sensitivity.yaml"
    text = example.read_text(encoding="utf-8")
    comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    base = root / "scenarios" / "afghan_takeover.yaml"
    (tmp_path / "small.yaml").write_text(
        text.replace("base: 128", "base: 8").replace(
            "scenario: ../afghan_takeover.yaml", f"scenario: {base}"
        ),
        encoding="utf-8",
    )
    run_sweep(tmp_path / "small.yaml", tmp_path / "out", workers=1)
    runs = load_sweep(tmp_path / "out").runs
    headline = set(re.findall(r'sensitivity\("([^"]+)"\)', comments))
    headline |= set(re.findall(r'runs\["([^"]+)"\]\.describe\(\)', comments))
    assert headline
    for metric in headline:
        assert runs[metric].notna().all(), f"{metric} is undefined in some runs"
        assert runs[metric].std() > 0, f"{metric} does not vary"
    crossing = "china_passes_russia_security_year"
    assert 0 < runs[crossing].notna().sum() < len(runs)
    if crossing in comments:
        assert "NaN" in comments
        assert f'runs["{crossing}"].notna()' in comments


def test_sensitivity_indices_from_a_sobol_sweep(folder):
    (folder / "sobol.yaml").write_text(
        textwrap.dedent(
            """\
            scenario: base.yaml
            seed: 4
            vary:
              parameters.coordination: {low: 0.0, high: 1.0}
              parameters.presence_weight: {low: 0.5, high: 3.0}
            design: {kind: sobol, base: 16, second_order: false}
            keep: {final: [shares], timeseries: false}
            """
        )
    )
    run_sweep(folder / "sobol.yaml", folder / "out", workers=1)
    data = load_sweep(folder / "out")
    assert not (folder / "out" / "timeseries").exists() or not any(
        (folder / "out" / "timeseries").iterdir()
    )
    table = data.sensitivity("final.security_share.region.china")
    assert table["parameter"].tolist() == ["parameters.coordination", "parameters.presence_weight"]
    assert {"S1", "ST", "S1_conf", "ST_conf"} <= set(table.columns)
    assert np.isfinite(table["ST"]).all()


def test_a_non_empty_folder_is_refused_then_resumed_or_forced(folder):
    out = folder / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(SweepFolderError, match="not empty"):
        run_sweep(folder / "lhs.yaml", out, workers=1)
    with pytest.raises(SweepFolderError, match="no readable manifest"):
        run_sweep(folder / "lhs.yaml", out, workers=1, resume=True)
    run_sweep(folder / "lhs.yaml", out, workers=1, force=True)
    assert (out / "notes.txt").read_text() == "mine"
    outcome = run_sweep(folder / "lhs.yaml", out, workers=1, resume=True)
    assert outcome.n_skipped == 30 and "already finished" in outcome.notes[0]
    # a changed sweep file cannot be resumed into the old folder
    (folder / "lhs.yaml").write_text(LHS.replace("points: 15", "points: 16"))
    with pytest.raises(SweepFolderError, match="sweep file differs"):
        run_sweep(folder / "lhs.yaml", out, workers=1, resume=True)


def test_workers_and_chunk_size_must_be_whole_numbers(folder):
    for keywords, message in (
        ({"workers": "2"}, "workers must be a whole number, not '2'"),
        ({"workers": 0}, "workers must be at least 1"),
        ({"workers": 1, "chunk_size": 1.5}, "chunk size must be a whole number, not 1.5"),
        ({"workers": 1, "chunk_size": 0}, "chunk size must be at least 1"),
    ):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            run_sweep(folder / "lhs.yaml", folder / "out", **keywords)
    assert not (folder / "out").exists()


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), "5", True])
def test_pool_after_seconds_must_be_a_finite_number_of_at_least_0(folder, seconds):
    """-1 was taken and behaved as 0 (start the pool at once); it is refused as NaN is."""
    expected = "a finite number of seconds of at least 0"
    message = f"pool_after_seconds must be {expected}, not {seconds!r}"
    for keywords in ({"workers": 1}, {"workers": 2}):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            run_sweep(folder / "lhs.yaml", folder / "out", pool_after_seconds=seconds, **keywords)
    assert not (folder / "out").exists()


@pytest.mark.parametrize("seconds", ["-1", "nan", "inf"])
def test_the_sweep_command_refuses_such_a_pool_after_seconds_in_one_line(folder, capsys, seconds):
    """The command line refuses it as an argument, not with run_sweep's traceback."""
    argv = ["sweep", str(folder / "lhs.yaml"), "--out", str(folder / "out")]
    with pytest.raises(SystemExit) as usage:
        cli.main([*argv, "--pool-after-seconds", seconds])
    assert usage.value.code == 2
    assert "argument --pool-after-seconds: " in capsys.readouterr().err
    assert not (folder / "out").exists()


def test_resume_skips_finished_chunks(folder):
    """Chunks whose files read back are not recomputed; the result equals a clean sweep."""
    run_sweep(folder / "lhs.yaml", folder / "clean", workers=1, chunk_size=6)
    out = folder / "out"
    calls = []
    real = chunk_module.compute_chunk

    def stop_after_two(sweep, chunk):
        if len(calls) == 2:
            raise KeyboardInterrupt
        calls.append(chunk.index)
        return real(sweep, chunk)

    import influence_sim.sweep.execute as execute_module

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(execute_module, "compute_chunk", stop_after_two)
        with pytest.raises(KeyboardInterrupt):
            run_sweep(folder / "lhs.yaml", out, workers=1, chunk_size=6)
    assert not (out / "runs.parquet").exists()
    assert sorted(p.name for p in (out / "chunks").iterdir()) == [
        "runs-000000.parquet",
        "runs-000001.parquet",
    ]
    # a chunk whose file does not read back (as after a machine crash) counts as not done
    (out / "chunks" / "runs-000001.parquet").write_bytes(b"PAR1 cut short")
    seen = []

    def record(sweep, chunk):
        seen.append(chunk.index)
        return real(sweep, chunk)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(execute_module, "compute_chunk", record)
        outcome = run_sweep(folder / "lhs.yaml", out, workers=1, resume=True)
    assert seen == [1, 2, 3, 4] and outcome.n_skipped == 6
    assert_same_results(folder / "clean", out)
    assert not (out / "chunks").exists()


# --------------------------------------------------------------------------- command line


def test_cli_exit_codes_and_messages(folder, capsys):
    out = str(folder / "out")
    assert cli.main(["sweep", str(folder / "lhs.yaml"), "--out", out, "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "30 runs (15 points x 2 replicates)" in printed and "failed: 0" in printed
    one = folder / "one.yaml"
    one.write_text(LHS.replace("replicates: 2", "replicates: 1").replace("points: 15", "points: 2"))
    assert cli.main(["sweep", str(one), "--out", str(folder / "one"), "--workers", "1"]) == 0
    assert "2 runs (2 points x 1 replicate) in 1 chunk;" in capsys.readouterr().out
    # a non-empty folder: one line, exit 2
    assert cli.main(["sweep", str(folder / "lhs.yaml"), "--out", out]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "--resume" in err[0]
    # some runs failed: exit 3
    (folder / "cases.yaml").write_text(CASES)
    code = cli.main(
        [
            "sweep",
            str(folder / "cases.yaml"),
            "--out",
            str(folder / "c"),
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert code == 3
    assert "2 of 6 runs failed" in capsys.readouterr().err
    # an invalid sweep file: FILE:LINE:COL lines, exit 2, no traceback
    bad = folder / "bad.yaml"
    bad.write_text(LHS.replace("points: 15", "points: many"))
    assert cli.main(["sweep", str(bad), "--out", str(folder / "b")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad}:9:29: design.points: must be a whole number")
    assert "Traceback" not in err
    # a scenario file given as a sweep file
    assert cli.main(["sweep", str(folder / "base.yaml"), "--out", str(folder / "x")]) == 2
    assert "not a sweep file" in capsys.readouterr().err


def test_force_keeps_the_sweep_file_and_scenario_in_the_output_folder(folder, capsys):
    """--force removes only the files a sweep writes: its inputs in the folder are kept."""
    small = folder / "small.yaml"
    one_each = LHS.replace("replicates: 2", "replicates: 1")
    small.write_text(one_each.replace("points: 15", "points: 2"))
    inputs = {p.name: p.read_text() for p in folder.iterdir()}
    argv = ["sweep", str(small), "--out", str(folder), "--workers", "1", "--force"]
    for _ in range(2):  # into the folder of its inputs, then over its own earlier results
        assert cli.main(argv) == 0
        assert "failed: 0" in capsys.readouterr().out
    assert {p.name: p.read_text() for p in folder.iterdir() if p.suffix == ".yaml"} == inputs
    assert load_sweep(folder).runs.shape[0] == 2


def test_progress_bar_shows_runs_and_failures(folder, capsys):
    (folder / "cases.yaml").write_text(CASES)
    run_sweep(folder / "cases.yaml", folder / "out", workers=1, chunk_size=2, progress=True)
    err = capsys.readouterr().err
    assert "6/6" in err and "run/s" in err and "failed=2" in err


def test_a_changed_extended_scenario_blocks_resume(folder):
    (folder / "child.yaml").write_text("name: child\nextends: base.yaml\n")
    (folder / "s.yaml").write_text(LHS.replace("scenario: base.yaml", "scenario: child.yaml"))
    run_sweep(folder / "s.yaml", folder / "out", workers=1)
    manifest = load_sweep(folder / "out").manifest
    assert [f["path"] for f in manifest["input_files"]] == [
        str(folder / "s.yaml"),
        str(folder / "child.yaml"),
        str(folder / "base.yaml"),
    ]
    (folder / "base.yaml").write_text(BASE.replace("high: 0.9", "high: 0.95"))
    with pytest.raises(SweepFolderError, match="scenario file it extends differs"):
        run_sweep(folder / "s.yaml", folder / "out", workers=1, resume=True)


def test_a_small_sweep_does_not_start_a_pool_it_cannot_use(folder):
    """With workers, the first chunk times the rest; too little work stays in process."""
    outcome = run_sweep(folder / "lhs.yaml", folder / "out", workers=2, chunk_size=10)
    assert outcome.executor == "in process"
    assert "ran in this process" in outcome.notes[0]
    assert json.loads((folder / "out" / "manifest.json").read_text())["executor"] == "in process"
