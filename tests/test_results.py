"""Tidy results, the printed summary, files on disk and the standard plots."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest

from influence_sim.calendar import Clock
from influence_sim.ensemble import recorded_steps, simulate_runs
from influence_sim.initial import default_dims
from influence_sim.results import Results
from influence_sim.rng import replicate_seeds


@pytest.fixture(scope="module")
def results() -> Results:
    dims = default_dims()
    clock = Clock.between(dt.date(2021, 1, 1), dt.date(2023, 1, 1), "quarter")
    seeds = replicate_seeds(5, 3)
    output = simulate_runs(dims, clock, seeds)
    return Results("test scenario", output, seeds, 5, {"scenario_path": "x.yaml"})


def test_timeseries_is_tidy_and_complete(results):
    """One row per replicate, step, state, partner and domain, with the required columns."""
    ts = results.timeseries
    required = {"replicate", "step", "date", "state", "partner", "domain", "share", "volume_usd_bn"}
    assert required <= set(ts.columns)
    assert len(ts) == 3 * 9 * 5 * 4 * 2
    assert set(ts["partner"]) == {"china", "russia", "united_states", "rest_of_world"}
    assert set(ts["domain"]) == {"economic", "security"}
    assert not ts.duplicated(["replicate", "step", "state", "partner", "domain"]).any()
    sums = ts.groupby(["replicate", "step", "state", "domain"])["share"].sum()
    np.testing.assert_allclose(sums, 1.0, atol=1e-12)


def test_timeseries_carries_each_replicates_own_seed(results):
    """seed_entropy and seed_spawn_key rebuild the seed sequence each replicate ran on."""
    ts = results.timeseries
    assert "seed" not in ts.columns  # the root seed alone does not tell replicates apart
    per_replicate = ts.groupby("replicate")[["seed_entropy", "seed_spawn_key"]].nunique()
    assert (per_replicate == 1).all().all()
    firsts = ts.groupby("replicate")[["seed_entropy", "seed_spawn_key"]].first()
    assert list(firsts["seed_spawn_key"]) == [0, 1, 2]
    for replicate, row in firsts.iterrows():
        rebuilt = np.random.SeedSequence(
            int(row["seed_entropy"]), spawn_key=(int(row["seed_spawn_key"]),)
        )
        own = results.replicate_seeds[replicate]
        assert rebuilt.generate_state(4).tolist() == own.generate_state(4).tolist()


def test_volumes_add_up_to_state_totals(results):
    """Economic volumes sum to the state's trade, security volumes to its arms imports."""
    ts = results.timeseries
    st = results.states.set_index(["replicate", "step", "state"])
    totals = ts.groupby(["replicate", "step", "state", "domain"])["volume_usd_bn"].sum().unstack()
    np.testing.assert_allclose(totals["economic"], st.loc[totals.index, "trade_usd_bn"])
    np.testing.assert_allclose(totals["security"], st.loc[totals.index, "arms_usd_bn"])
    assert (ts["volume_usd_bn"] >= 0).all()


def test_regional_trade_starts_at_the_panels_figures(results):
    """At step 0 the region's trade with Russia and China is the country panel's at the start."""
    from influence_sim import seeds as sd

    panel = sd.panel_of(sd.load_seeds())
    reg = results.regional
    start = reg[(reg["step"] == 0) & (reg["domain"] == "economic")].set_index(
        ["replicate", "partner"]
    )["volume_usd_bn"]
    states = results.dims.states
    for power in ("russia", "china"):
        expected = sum(panel.trade(s, 2021.0)[power] for s in states)
        assert start[(0, power)] == pytest.approx(expected, rel=1e-6)


def test_summary_names_states_guarantors_and_trade(results):
    """The summary lists every state, its guarantor and China's and Russia's trade."""
    text = results.summary()
    for state in ("kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"):
        assert state in text
    assert "russia" in text and "china" in text
    assert "Trade with the region" in text and "USD bn" in text
    guarantors = results.guarantors().set_index("state")
    assert set(guarantors["guarantor"]) <= set(results.dims.powers)
    assert guarantors.loc["tajikistan", "guarantor"] == "russia"
    assert "(8 recorded steps)" in text


def test_summary_gives_the_median_next_to_its_band(results):
    """Trade, trust and instability give the median over replicates, say so, and the 5-95% band.

    The band beside them is the 5-95 percent range of the same values and the band table gives
    medians, so a mean there would be a figure of another statistic, unlabelled.
    """
    reg = results.regional
    last = reg[(reg["step"] == reg["step"].max()) & (reg["domain"] == "economic")]
    trade = results.regional_trade().set_index("partner")
    for power in ("china", "russia"):
        ends = last[last["partner"] == power]["volume_usd_bn"].to_numpy()
        assert ends.mean() != pytest.approx(np.median(ends), abs=1e-12)  # the test can tell
        assert trade.loc[power, "end"] == pytest.approx(np.median(ends), abs=1e-12)
    text = results.summary()
    assert "Trade with the region, USD bn per year, medians over replicates (" in text
    assert "China-Russia trust and Afghan instability, medians over replicates (" in text
    out = results.output
    for name, values in (("trust", out.trust), ("instability", out.instability)):
        line = next(x for x in text.splitlines() if x.startswith(f"  {name} "))
        low, high = np.quantile(values[-1], [0.05, 0.95])
        expected = f"{np.median(values[0]):.2f} -> {np.median(values[-1]):>8.2f}"
        assert line.split(None, 1)[1] == f"{expected}  (5-95%: {low:.2f} to {high:.2f})"


def test_summary_of_one_step_says_step():
    dims = default_dims()
    clock = Clock.between(dt.date(2021, 1, 1), dt.date(2021, 4, 1), "quarter")
    seeds = replicate_seeds(5, 1)
    one = Results("one step", simulate_runs(dims, clock, seeds), seeds, 5, {})
    assert "(1 recorded step);" in one.summary()


def test_save_refuses_a_path_that_is_no_path_or_a_file(results, tmp_path):
    """save(3) gave pathlib's generic TypeError and save(file) FileExistsError [Errno 17]."""
    no_path = re.escape("directory: expected a path (text or os.PathLike), not int")
    with pytest.raises(TypeError, match=f"^{no_path}$"):
        results.save(3, plots=False)
    (tmp_path / "file").write_text("mine\n")
    in_the_way = f"^{re.escape(str(tmp_path / 'file'))}: output path exists and is not a folder"
    with pytest.raises(FileExistsError, match=in_the_way):
        results.save(tmp_path / "file", plots=False)
    assert (tmp_path / "file").read_text() == "mine\n"


def test_save_into_a_folder_in_use_replaces_its_own_files_only(results, tmp_path):
    """As documented: files of the names it writes are replaced, other files are left."""
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "summary.txt").write_text("old\n")
    written = {p.name for p in results.save(tmp_path, plots=False)}
    assert (tmp_path / "notes.txt").read_text() == "mine\n"
    assert (tmp_path / "summary.txt").read_text() == results.summary() + "\n"
    assert json.loads((tmp_path / "metadata.json").read_text())["files"] == sorted(written)


def test_save_without_plots_removes_the_figures_an_earlier_save_listed(results, tmp_path):
    """An earlier save's figures were left beside the tables of a save with plots=False."""
    figures = {p.name for p in results.save(tmp_path) if p.suffix == ".png"}
    assert figures
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "mine.png").write_text("mine\n")
    written = {p.name for p in results.save(tmp_path, plots=False)}
    assert {p.name for p in tmp_path.iterdir()} == written | {"notes.txt", "mine.png"}
    assert json.loads((tmp_path / "metadata.json").read_text())["files"] == sorted(written)
    # only the files a run's metadata.json lists: another metadata.json removes nothing
    (tmp_path / "metadata.json").write_text(json.dumps({"files": ["notes.txt", "mine.png"]}))
    results.save(tmp_path, plots=False)
    assert (tmp_path / "notes.txt").is_file() and (tmp_path / "mine.png").is_file()


def test_save_writes_tables_metadata_and_plots(results, tmp_path):
    """save() writes the CSVs, metadata.json and the PNG plots, and nothing half-written."""
    written = results.save(tmp_path)
    names = {p.name for p in written}
    assert {
        "timeseries.csv",
        "metadata.json",
        "shares_economic.png",
        "shares_security.png",
    } <= names
    assert {"regional_china_russia.png", "threat.png"} <= names
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert meta["seed"] == 5
    assert len(meta["replicate_seeds"]) == 3
    assert meta["replicate_seeds"][1]["spawn_key"] == [1]
    assert "numpy" in meta["versions"] and "mesa" in meta["versions"]
    for name in ("shares_security.png", "threat.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_recorded_steps_keep_first_and_last():
    """Recording every k steps always keeps step 0 and the last step."""
    assert recorded_steps(10, 4) == [0, 4, 8, 10]
    assert recorded_steps(8, 4) == [0, 4, 8]
    with pytest.raises(ValueError):
        recorded_steps(8, 0)
