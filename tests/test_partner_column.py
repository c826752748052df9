"""The partner column of the tidy tables: written as ``partner``, the old ``power`` still read."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from influence_sim import tidy
from influence_sim.analysis.attribution import Attribution, describe
from influence_sim.analysis.comparison import compare
from influence_sim.analysis.runset import from_run_folder
from influence_sim.calendar import Clock
from influence_sim.calibration.metrics import RegionalSeries
from influence_sim.ensemble import simulate_runs
from influence_sim.initial import default_dims
from influence_sim.results import Results
from influence_sim.rng import replicate_seeds
from influence_sim.sweep import load_sweep, read_sweep, run_sweep
from influence_sim.sweep.storage import TIMESERIES, file_record

SCENARIO = """\
name: partner_column_base
time:
  start: 2021-01-01
  end: 2022-01-01
  step: quarter
  seed: 3
"""

SWEEP = """\
name: partner_column_sweep
scenario: base.yaml
seed: 5
replicates: 2
vary:
  parameters.coordination: {low: 0.0, high: 1.0}
design: {kind: lhs, points: 2}
keep:
  timeseries: {every: 2}
"""

PARTNER_TABLES = ("timeseries.csv", "regional.csv", "bands.csv")


@pytest.fixture(scope="module")
def results() -> Results:
    dims = default_dims()
    clock = Clock.between(dt.date(2021, 1, 1), dt.date(2022, 1, 1), "quarter")
    seeds = replicate_seeds(4, 2)
    return Results("partner test", simulate_runs(dims, clock, seeds), seeds, 4)


@pytest.fixture(scope="module")
def run_folder(results: Results, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    results.save(folder, plots=False)
    return folder


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sweep")
    (root / "base.yaml").write_text(SCENARIO)
    (root / "sweep.yaml").write_text(SWEEP)
    run_sweep(read_sweep(root / "sweep.yaml"), root / "out", workers=1)
    return root / "out"


def _old_run_folder(run_folder: Path, target: Path) -> Path:
    """A copy of a run folder as written before the rename: its partner column is ``power``."""
    target.mkdir()
    for path in run_folder.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    for name in PARTNER_TABLES:
        frame = pd.read_csv(target / name)
        frame.rename(columns={"partner": "power"}).to_csv(target / name, index=False)
        assert "power" in pd.read_csv(target / name).columns
    return target


def _make_old_sweep(sweep_folder: Path, target: Path, parts: slice) -> Path:
    """A copy of a sweep folder whose time series parts (those of ``parts``) say ``power``.

    The manifest's records are updated, as the sweep that wrote the parts would have.
    """
    target.mkdir()
    for path in sweep_folder.rglob("*"):
        if path.is_file():
            copy = target / path.relative_to(sweep_folder)
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_bytes(path.read_bytes())
    manifest = json.loads((target / "manifest.json").read_text())
    written = sorted((target / TIMESERIES).glob("part-*.parquet"))[parts]
    assert written
    for part in written:
        table = pq.read_table(part)
        names = ["power" if n == "partner" else n for n in table.column_names]
        pq.write_table(table.rename_columns(names), part)
        manifest["files"][f"{TIMESERIES}/{part.name}"] = file_record(part)
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


# --------------------------------------------------------------------------- written


def test_no_tidy_table_the_package_writes_or_returns_has_a_power_column(
    results, run_folder, sweep_folder, tmp_path
):
    """A run, a sweep and a comparison write ``partner``; only powers.csv says ``power``."""
    frames = {
        "timeseries": results.timeseries,
        "regional": results.regional,
        "final_shares": results.final_shares(),
        "regional_trade": results.regional_trade(),
        "band_table": results.band_table(),
    }
    for name, frame in frames.items():
        assert "partner" in frame.columns and "power" not in frame.columns, name
    for path in sorted(run_folder.glob("*.csv")):
        columns = set(pd.read_csv(path, nrows=1).columns)
        if path.name == "powers.csv":  # its rows are powers: the column keeps its name
            assert set(pd.read_csv(path)["power"]) == set(results.dims.powers)
        else:
            assert "power" not in columns, path.name
    for name in PARTNER_TABLES:
        assert "partner" in pd.read_csv(run_folder / name, nrows=1).columns, name
    parquet = sorted(sweep_folder.rglob("*.parquet"))
    assert any(p.parent.name == TIMESERIES for p in parquet)
    for path in parquet:
        assert "power" not in pq.read_schema(path).names, path.name
    assert "partner" in load_sweep(sweep_folder).timeseries.columns
    comparison = compare(run_folder, run_folder, names=["a", "b"])
    comparison.save(tmp_path / "compare", plots=False)
    for frame in (comparison.headline, comparison.metrics, comparison.differences):
        assert "partner" in frame.columns and "power" not in frame.columns
    for path in sorted((tmp_path / "compare").glob("*.csv")):
        assert "power" not in pd.read_csv(path, nrows=1).columns, path.name


# --------------------------------------------------------------------------- read


def test_a_run_folder_written_with_the_old_column_loads(results, run_folder, tmp_path):
    """timeseries.csv and regional.csv with ``power`` read as ``partner``, same values."""
    old = _old_run_folder(run_folder, tmp_path / "old")
    new_side, old_side = from_run_folder(run_folder), from_run_folder(old)
    for name in ("timeseries", "regional"):
        got = getattr(old_side, name)
        assert "partner" in got.columns and "power" not in got.columns
        pd.testing.assert_frame_equal(got, getattr(new_side, name))
    assert old_side.powers == list(results.dims.partners)
    # the comparison of an old folder with a new one runs, and matches the new one's
    pd.testing.assert_frame_equal(
        compare(old, run_folder, names=["a", "b"]).headline,
        compare(run_folder, run_folder, names=["a", "b"]).headline,
    )
    # the calibration's reader of regional.csv
    a = RegionalSeries.from_csv(old / "regional.csv")
    b = RegionalSeries.from_csv(run_folder / "regional.csv")
    assert a.partners == b.partners
    # and the shared reader itself, on a CSV file written with the old name
    bands = tidy.read_csv(old / "bands.csv")
    pd.testing.assert_frame_equal(bands, pd.read_csv(run_folder / "bands.csv"))


def test_the_shared_reader_leaves_a_table_with_both_columns_alone():
    frame = pd.DataFrame({"power": ["china"], "partner": ["russia"]})
    assert tidy.upgrade_frame(frame) is frame
    assert tidy.old_columns(["state", "power"]) == {"power": "partner"}


@pytest.mark.parametrize("parts", [slice(None), slice(0, 1)], ids=["all", "some"])
def test_a_sweep_folder_written_with_the_old_column_loads(sweep_folder, tmp_path, parts):
    """Old parts, all or some, read as ``partner``; filters on the partner reach them."""
    old = load_sweep(_make_old_sweep(sweep_folder, tmp_path / "old", parts))
    new = load_sweep(sweep_folder)
    assert "power" in old.timeseries_dataset.schema.names or parts != slice(None)
    pd.testing.assert_frame_equal(old.timeseries, new.timeseries)
    query = {"state": "region", "partner": ["china", "rest_of_world"], "domain": "security"}
    got = old.read_timeseries(**query)
    assert len(got) and set(got["partner"]) == {"china", "rest_of_world"}
    pd.testing.assert_frame_equal(got, new.read_timeseries(**query))
    some = old.read_timeseries(partner="russia", columns=["run_id", "partner", "share"])
    assert list(some.columns) == ["run_id", "partner", "share"]
    assert set(some["partner"]) == {"russia"}


# --------------------------------------------------------------------------- keyword


def test_the_old_keyword_power_still_works_and_warns(sweep_folder):
    """``read_timeseries(power=...)`` reads what ``partner=`` reads, with a DeprecationWarning."""
    data = load_sweep(sweep_folder)
    with pytest.warns(DeprecationWarning, match=r"read_timeseries\(power=\.\.\.\) is now"):
        old = data.read_timeseries(state="region", power="china")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        new = data.read_timeseries(state="region", partner="china")
    assert len(new) and set(new["partner"]) == {"china"}
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="partner= or power=, not both"):
        data.read_timeseries(partner="china", power="china")


def test_the_attribution_takes_partner_and_the_old_keyword():
    table = pd.DataFrame(
        {
            "state": "region",
            "domain": "security",
            "partner": ["china", "china", "russia"],
            "component": ["full", "threat", "full"],
            "kind": ["level", "step", "level"],
            "mean": [0.3, 0.1, 0.5],
            "median": [0.3, 0.1, 0.5],
            "p5": [0.2, 0.0, 0.4],
            "p95": [0.4, 0.2, 0.6],
        }
    )
    attribution = Attribution("x", "x", None, ["threat"], table, pd.DataFrame(), 1, 2)
    new = attribution.steps("region", "security", partner="russia")
    with pytest.warns(DeprecationWarning, match="partner"):
        old = attribution.steps("region", "security", power="russia")
    pd.testing.assert_frame_equal(old, new)
    with pytest.warns(DeprecationWarning):
        text = describe(attribution, power="russia")
    assert text == describe(attribution, partner="russia")
