"""Fan charts, shock dates on time axes, the trade-by-state figure and the band table."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

import influence_sim
from influence_sim import plots
from influence_sim.api import shock_records
from influence_sim.results import Results

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SANCTIONS = dt.date(2022, 2, 24)
TAKEOVER = dt.date(2021, 8, 15)


@pytest.fixture(scope="module")
def sanctions() -> Results:
    return influence_sim.run(SCENARIOS / "russia_sanctions_2022.yaml", seed=1, replicates=3)


def _bands(ax) -> list[PolyCollection]:
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _shock_lines(ax) -> list:
    return [line for line in ax.get_lines() if line.get_label().startswith("_shock")]


# --- shock dates ------------------------------------------------------------------------------


def test_sanctions_scenario_records_its_own_and_inherited_shock_dates(sanctions):
    """The metadata lists the 2022-02-24 shocks and the takeover inherited through extends."""
    records = sanctions.metadata["shocks"]
    assert {(r["date"], r["name"]) for r in records} == {
        ("2021-08-15", "taliban_takeover"),
        ("2022-02-24", "sanctions_in_force"),
        ("2022-02-24", "sanctions_2022"),
        ("2022-02-24", "war_drain"),
    }
    assert [(r["date"], r["name"]) for r in records] == sorted(
        (r["date"], r["name"]) for r in records
    )
    dates = sanctions.shock_dates
    assert dates[0] == (TAKEOVER, "taliban_takeover")
    assert {name for day, name in dates if day == SANCTIONS} == {
        "sanctions_in_force",
        "sanctions_2022",
        "war_drain",
    }
    json.dumps(records)  # JSON-ready for metadata.json


def test_afghan_takeover_records_the_fall_of_kabul():
    """afghan_takeover.yaml's one shock is dated 2021-08-15 in the results."""
    results = influence_sim.run(SCENARIOS / "afghan_takeover.yaml", seed=1, replicates=2)
    assert results.metadata["shocks"] == [{"name": "taliban_takeover", "date": "2021-08-15"}]
    assert results.shock_dates == [(TAKEOVER, "taliban_takeover")]


def test_triggered_shocks_are_recorded_but_not_marked():
    """A shock waiting for a condition has no fixed date: it is flagged and left off charts."""
    records = shock_records(influence_sim.load_scenario(SCENARIOS / "sino_russian_split.yaml"))
    triggered = [r for r in records if r.get("triggered")]
    assert [(r["name"], r["date"]) for r in triggered] == [("diplomatic_row", "2026-01-01")]
    ramp = next(r for r in records if r["name"] == "coordination_unwinds")
    assert (ramp["date"], ramp["until"]) == ("2024-01-01", "2026-01-01")
    results = Results("x", None, [], None, {"shocks": records})  # type: ignore[arg-type]
    names = [name for _, name in results.shock_dates]
    assert "diplomatic_row" not in names and "coordination_unwinds" in names
    # A condition without a window has no date at all.
    push = shock_records(influence_sim.load_scenario(SCENARIOS / "china_security_push.yaml"))
    assert "russian_pushback" not in {r["name"] for r in push}


def test_a_shock_of_some_replicates_carries_its_probability():
    """A shock with probability below 1 keeps it in the metadata and in its label."""
    records = shock_records(influence_sim.load_scenario(SCENARIOS / "us_reengagement.yaml"))
    base = next(r for r in records if r["name"] == "us_base_uzbekistan")
    assert base == {"name": "us_base_uzbekistan", "date": "2024-01-01", "probability": 0.5}
    results = Results("x", None, [], None, {"shocks": records})  # type: ignore[arg-type]
    assert (dt.date(2024, 1, 1), "us_base_uzbekistan (p=0.5)") in results.shock_dates


def test_shock_records_are_unique_by_date_and_name():
    """Each (date, name) appears once, in date order."""
    scenario = influence_sim.load_scenario(SCENARIOS / "russia_sanctions_2022.yaml")
    keys = [(r["date"], r["name"]) for r in shock_records(scenario)]
    assert keys == sorted(set(keys))


def test_shock_dates_are_empty_for_results_without_them():
    """Results from before shocks were recorded (or made by hand) have no shock dates."""
    assert Results("x", None, [], None, {}).shock_dates == []  # type: ignore[arg-type]
    broken = {"shocks": [{"name": "a"}, {"date": "not a date", "name": "b"}, "c"]}
    assert Results("x", None, [], None, broken).shock_dates == []  # type: ignore[arg-type]


# --- mark_shocks ------------------------------------------------------------------------------


def _date_axes() -> tuple[Figure, object]:
    fig = Figure(figsize=(7, 4))
    ax = fig.add_subplot()
    days = pd.to_datetime(["2021-01-01", "2026-01-01", "2031-01-01"])
    ax.plot(days, [0.0, 1.0, 2.0])
    ax.margins(x=0)
    return fig, ax


def test_mark_shocks_draws_one_dashed_line_per_date_at_that_date():
    """Shocks on one date share a line and a label; the x range does not change."""
    _, ax = _date_axes()
    before = ax.get_xlim()
    lines = plots.mark_shocks(
        ax,
        [
            (SANCTIONS, "sanctions_in_force"),
            ("2022-02-24", "war_drain"),
            (TAKEOVER, "taliban_takeover"),
            (dt.date(2040, 1, 1), "after_the_run"),
        ],
    )
    assert len(lines) == 2 == len(_shock_lines(ax))
    xs = sorted(float(line.get_xdata()[0]) for line in lines)
    assert xs == [mdates.date2num(TAKEOVER), mdates.date2num(SANCTIONS)]
    for line in lines:
        assert line.get_linestyle() == "--"
        assert line.get_linewidth() < 1.5
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == 2
    assert any("sanctions in force" in t and "war drain" in t for t in texts)
    assert not any("after the run" in t for t in texts)
    assert all(t.get_rotation() == 90 for t in ax.texts)
    assert ax.get_xlim() == pytest.approx(before)


def test_mark_shocks_takes_metadata_records_and_nothing():
    """Records as in metadata.json work too; None or an empty list draws nothing."""
    _, ax = _date_axes()
    assert plots.mark_shocks(ax, None) == []
    assert plots.mark_shocks(ax, []) == []
    lines = plots.mark_shocks(ax, [{"name": "taliban_takeover", "date": "2021-08-15"}])
    assert [float(line.get_xdata()[0]) for line in lines] == [mdates.date2num(TAKEOVER)]
    unlabelled = plots.mark_shocks(ax, [(SANCTIONS, "x")], labels=False)
    assert len(unlabelled) == 1 and len(ax.texts) == 1


def test_time_series_plots_mark_the_shocks(sanctions):
    """Regional, threat and state-share plots draw a line at each shock date."""
    shocks = sanctions.shock_dates
    wanted = {mdates.date2num(TAKEOVER), mdates.date2num(SANCTIONS)}
    for draw in (
        lambda ax: plots.plot_regional(sanctions.regional, "security", ax=ax, shocks=shocks),
        lambda ax: plots.plot_threat(sanctions.states, ax=ax, shocks=shocks),
        lambda ax: plots.plot_state_shares(
            sanctions.timeseries, "kazakhstan", "economic", ax=ax, shocks=shocks
        ),
        lambda ax: plots.plot_relations(sanctions.relations, ax=ax, shocks=shocks),
    ):
        ax = Figure().add_subplot()
        draw(ax)
        assert {float(line.get_xdata()[0]) for line in _shock_lines(ax)} == wanted


# --- fans -------------------------------------------------------------------------------------


def test_fan_has_two_bands_per_power_when_replicates_differ(sanctions):
    """The 5-95% and the darker 25-75% band of China and Russia, and the median lines."""
    reg = sanctions.regional
    sec = reg[(reg["domain"] == "security") & reg["partner"].isin(["china", "russia"])]
    assert sec.groupby(["date", "partner"])["share"].nunique().max() > 1
    ax = plots.plot_regional(reg, "security", "share")
    bands = _bands(ax)
    assert len(bands) == 4
    alphas = sorted(b.get_alpha() for b in bands)
    assert alphas == [plots.FAN_ALPHAS[0]] * 2 + [plots.FAN_ALPHAS[1]] * 2
    assert 0.15 <= plots.FAN_ALPHAS[0] < plots.FAN_ALPHAS[1] <= 0.6
    medians = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in medians] == ["China", "Russia"]


def test_fan_inner_band_lies_inside_the_outer_band(sanctions):
    """The 25-75% band's vertices lie within the 5-95% band's range at every date."""
    ax = plots.plot_regional(sanctions.regional, "economic", "volume_usd_bn", powers=("china",))
    outer, inner = _bands(ax)
    y_out, y_in = outer.get_paths()[0].vertices[:, 1], inner.get_paths()[0].vertices[:, 1]
    assert y_out.min() <= y_in.min() and y_in.max() <= y_out.max()


def test_fan_has_no_band_when_replicates_are_equal(sanctions):
    """With every replicate a copy of the first, only the median lines are drawn."""
    reg = sanctions.regional
    first = reg[reg["replicate"] == 0]
    copies = pd.concat([first.assign(replicate=r) for r in range(3)], ignore_index=True)
    ax = plots.plot_regional(copies, "security", "share")
    assert _bands(ax) == []
    assert len([line for line in ax.get_lines() if line.get_label() in ("China", "Russia")]) == 2
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "5-95%" not in legend


def test_trade_by_state_has_a_fan_panel_per_state_and_the_region(sanctions):
    """One panel per state and one for the region, each with fans and the shock lines."""
    fig = plots.figure_trade_by_state(sanctions)
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    titles = [ax.get_title() for ax in panels]
    assert titles[:-1] == [plots.label(s) for s in sanctions.dims.states]
    assert "Central Asia" in titles[-1]
    for ax in panels:
        assert len(_bands(ax)) == 4
        assert len(_shock_lines(ax)) == 2
    assert plots.scenario_title(sanctions.name) in fig.get_suptitle()
    width, height = fig.get_size_inches()
    assert width == plots.FIGURE_WIDTH and 4 <= height <= 8
    assert len(fig.legends) == 1


def test_save_writes_trade_by_state_bands_and_shocks(sanctions, tmp_path):
    """save() writes trade_by_state.png, bands.csv and the shocks into metadata.json."""
    names = {p.name for p in sanctions.save(tmp_path)}
    assert {"trade_by_state.png", "bands.csv", "regional_china_russia.png"} <= names
    assert (tmp_path / "trade_by_state.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    meta = json.loads((tmp_path / "metadata.json").read_text())
    assert {"trade_by_state.png", "bands.csv"} <= set(meta["files"])
    assert ("2022-02-24", "war_drain") in {(r["date"], r["name"]) for r in meta["shocks"]}
    bands = pd.read_csv(tmp_path / "bands.csv")
    pd.testing.assert_frame_equal(
        bands, sanctions.band_table(), check_dtype=False, check_exact=False, rtol=1e-8
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# --- band table -------------------------------------------------------------------------------


def test_band_dates_are_the_start_five_years_on_and_the_end(sanctions):
    """A 2021-2031 run shows 2021, 2026 and 2031; given years pick the nearest dates."""
    assert sanctions.band_dates() == [dt.date(2021, 1, 1), dt.date(2026, 1, 1), dt.date(2031, 1, 1)]
    assert sanctions.band_dates([2023, 2023, 2031]) == [dt.date(2023, 1, 1), dt.date(2031, 1, 1)]
    assert sanctions.band_dates(np.int64(2026)) == [dt.date(2026, 1, 1)]  # one year alone


@pytest.mark.parametrize(
    ("years", "match"),
    [
        ([1990], r"^years: 1990 is outside the run \(expected years from 2021 to 2031\)$"),
        ([2023, 2040], "years: 2040 is outside the run"),
        ([2025.5], r"^years: expected whole numbers, not 2025\.5$"),
        ("2025", r"^years: expected whole numbers, not '2025'$"),
        ([True], "expected whole numbers, not True"),
    ],
)
def test_band_years_outside_the_run_or_not_whole_are_refused(sanctions, years, match):
    """Not the nearest recorded date, a truncated year or 'year 0 is out of range'."""
    with pytest.raises(ValueError, match=match):
        sanctions.band_dates(years)
    with pytest.raises(ValueError, match=match):
        sanctions.band_table(years=years)


def test_band_table_has_trade_by_state_and_region_and_arms_shares(sanctions):
    """Rows: trade with each state and the region, and regional arms shares, per power and date."""
    table = sanctions.band_table()
    states = list(sanctions.dims.states)
    dates = ["2021-01-01", "2026-01-01", "2031-01-01"]
    assert list(table.columns) == [
        "measure",
        "area",
        "partner",
        "date",
        "median",
        "p5",
        "p25",
        "p75",
        "p95",
    ]
    assert len(table) == (len(states) + 2) * 2 * 3
    trade = table[table["measure"] == "trade_usd_bn"]
    assert list(dict.fromkeys(trade["area"])) == [*states, "region"]
    arms = table[table["measure"] == "arms_share"]
    assert set(arms["area"]) == {"region"} and set(arms["partner"]) == {"china", "russia"}
    assert set(table["date"]) == set(dates)
    assert not table.duplicated(["measure", "area", "partner", "date"]).any()
    order = table[["p5", "p25", "median", "p75", "p95"]].to_numpy()
    assert (np.diff(order, axis=1) >= -1e-12).all()
    assert (arms[["p5", "p95"]].to_numpy() >= 0).all() and (arms["p95"] <= 1).all()
    assert (table[table["date"] == "2031-01-01"]["p95"] > table["p5"].min()).all()
    assert len(sanctions.band_table(years=[2026])) == (len(states) + 2) * 2


def test_band_table_numbers_are_quantiles_of_the_replicates(sanctions):
    """One trade cell and one arms cell equal quantiles computed from the tidy tables."""
    table = sanctions.band_table().set_index(["measure", "area", "partner", "date"])
    ts = sanctions.timeseries
    values = ts[
        (ts["state"] == "kazakhstan")
        & (ts["partner"] == "russia")
        & (ts["domain"] == "economic")
        & (ts["date"] == "2031-01-01")
    ]["volume_usd_bn"].to_numpy()
    assert len(values) == 3
    row = table.loc[("trade_usd_bn", "kazakhstan", "russia", "2031-01-01")]
    expected = np.quantile(values, [0.05, 0.5, 0.95])
    np.testing.assert_allclose(row[["p5", "median", "p95"]].to_numpy(float), expected)
    reg = sanctions.regional
    shares = reg[
        (reg["partner"] == "china") & (reg["domain"] == "security") & (reg["date"] == "2026-01-01")
    ]["share"].to_numpy()
    row = table.loc[("arms_share", "region", "china", "2026-01-01")]
    np.testing.assert_allclose(row["median"], np.median(shares))
    np.testing.assert_allclose(row["p95"], np.quantile(shares, 0.95))


def test_summary_has_the_band_section_only_with_several_replicates(sanctions):
    """The band table is printed as median (5-95%) with several replicates, not with one."""
    text = sanctions.summary()
    assert "Final shares" in text and "Trade with the region" in text
    assert "China and Russia, median (5-95%)" in text
    section = text.split("China and Russia, median (5-95%)")[1]
    assert "2021-01-01" in section and "2026-01-01" in section and "2031-01-01" in section
    assert "kazakhstan" in section and "region" in section and "arms share" in section
    row = sanctions.band_table().set_index(["measure", "area", "partner", "date"])
    cell = row.loc[("trade_usd_bn", "region", "china", "2031-01-01")]
    assert f"{cell['median']:.1f} ({cell['p5']:.1f}-{cell['p95']:.1f})" in section
    single = influence_sim.run(SCENARIOS / "russia_sanctions_2022.yaml", seed=1, replicates=1)
    assert "median (5-95%)" not in single.summary()
    assert "Final shares" in single.summary()


def _without(tmp_path: Path, powers: str) -> Results:
    path = tmp_path / "without.yaml"
    path.write_text(
        "name: without\ntime: {start: 2021-01-01, end: 2022-01-01, step: quarter}\n"
        f"actors: {{remove_powers: [{powers}]}}\n",
        encoding="utf-8",
    )
    return influence_sim.run(path, seed=1, replicates=2)


def test_summary_and_band_table_of_a_run_without_china_and_russia(tmp_path):
    """Neither is left: no band section or trust line, an empty band table, no empty figures."""
    results = _without(tmp_path, "china, russia")
    text = results.summary()
    assert "Final shares" in text and "Afghan instability" in text
    assert "median (5-95%)" not in text and "China-Russia trust" not in text
    assert "Trade with the region" not in text
    table = results.band_table()
    assert table.empty and list(table.columns)[:3] == ["measure", "area", "partner"]
    results.save(tmp_path / "out")
    assert (tmp_path / "out" / "bands.csv").is_file()
    figures = {p.name for p in (tmp_path / "out").glob("*.png")}  # none of China and Russia
    assert figures == {"shares_economic.png", "shares_security.png", "threat.png"}


def test_summary_and_figures_of_a_run_without_russia_name_only_china(tmp_path):
    """The band section, the regional figure's legend and the titles leave Russia out."""
    results = _without(tmp_path, "russia")
    text = results.summary()
    assert "China, median (5-95%)" in text and "China and Russia" not in text
    assert "China-Russia trust" not in text
    for fig in (plots.figure_regional(results), plots.figure_trade_by_state(results)):
        labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]
        assert "China" in labels and "Russia" not in labels
        assert "Russia" not in fig.get_suptitle()


def test_a_single_replicate_has_no_band_in_the_tables_and_files(tmp_path):
    """bands.csv, final_shares() and regional_trade() gave one run's value as a band of width
    0 (p5 = median = p95), and the run report called it a band over replicates."""
    from influence_sim.report_html import build_report

    single = influence_sim.run(SCENARIOS / "baseline.yaml", seed=1, replicates=1)
    table = single.band_table()
    assert table["median"].notna().all()
    assert table[["p5", "p25", "p75", "p95"]].isna().all().all()
    ts = single.timeseries
    value = ts[
        (ts["date"] == "2031-01-01")
        & (ts["state"] == "kazakhstan")
        & (ts["partner"] == "china")
        & (ts["domain"] == "economic")
    ]["volume_usd_bn"].iloc[0]
    row = table.set_index(["measure", "area", "partner", "date"]).loc[
        ("trade_usd_bn", "kazakhstan", "china", "2031-01-01")
    ]
    assert row["median"] == pytest.approx(value)
    final = single.final_shares()
    assert final["mean"].notna().all() and final[["p5", "p95"]].isna().all().all()
    trade = single.regional_trade()
    assert trade["end"].notna().all() and trade[["end_p5", "end_p95"]].isna().all().all()
    assert "Final shares on 2031-01-01 (one run; rows sum to 1)" in single.summary()
    single.save(tmp_path / "one", plots=False)
    written = pd.read_csv(tmp_path / "one" / "bands.csv")
    assert written[["p5", "p25", "p75", "p95"]].isna().all().all()
    page = build_report(tmp_path / "one")
    assert "China and Russia: the values of a single run (no band)" in page
    # with two replicates the bands are there, linear in between them
    two = influence_sim.run(SCENARIOS / "baseline.yaml", seed=1, replicates=2)
    table = two.band_table()
    assert table[["p5", "p25", "p75", "p95"]].notna().all().all()
    reg = two.regional
    end = reg[
        (reg["date"] == "2031-01-01") & (reg["partner"] == "china") & (reg["domain"] == "economic")
    ]["volume_usd_bn"].to_numpy()
    row = table.set_index(["measure", "area", "partner", "date"]).loc[
        ("trade_usd_bn", "region", "china", "2031-01-01")
    ]
    assert row["p5"] == pytest.approx(np.quantile(end, 0.05))
    assert row["median"] == pytest.approx(np.quantile(end, 0.5))
    assert "Final shares on 2031-01-01 (mean over replicates; rows sum to 1)" in two.summary()
    assert "China and Russia: median and bands over replicates" in build_report(
        _saved(two, tmp_path / "two")
    )


def _saved(results: Results, folder: Path) -> Path:
    results.save(folder, plots=False)
    return folder
