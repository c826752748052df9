"""Out of sample: the holdout table, its naive forecasts, and the commands that make it."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim import seeds as sd
from influence_sim.cli import main
from influence_sim.validation import holdout_summary, holdout_table

ROOT = Path(__file__).resolve().parents[1]
PANEL = sd.panel_of(sd.load_seeds())


def _row(series, entity, partner, period, panel, model, kind, tolerance):  # type: ignore[no-untyped-def]
    return {
        "series": series, "entity": entity, "partner": partner, "period": period,
        "panel": panel, "model": model, "model_p05": model, "model_p95": model,
        "error": model / panel if kind == "model/panel" else model - panel,
        "error_kind": kind, "tolerance": tolerance, "result": "PASS",
    }


def test_naive_forecasts_are_the_last_value_and_the_trend_known_before_the_holdout():
    kz = PANEL.annual("kazakhstan", "trade_china")
    table = pd.DataFrame([
        _row("trade_china", "kazakhstan", "china", "2019", kz[2019], kz[2019], "model/panel", 2.0),
        _row("trade_china", "kazakhstan", "china", "2010", kz[2010], kz[2010], "model/panel", 2.0),
        _row("arms_share_china", "region", "china", "2015-2019", 0.148, 0.10, "model - panel",
             0.05),
    ])
    out = holdout_table(table, 2015, PANEL)
    assert list(out["sample"]) == ["out", "in", "out"]
    assert out.loc[0, "naive_last"] == pytest.approx(kz[2014])
    years = list(range(2010, 2015))
    slope, intercept = np.polyfit(years, np.log([kz[y] for y in years]), 1)
    assert out.loc[0, "naive_trend"] == pytest.approx(math.exp(intercept + slope * 2019))
    assert math.isnan(out.loc[1, "naive_last"])
    # region, China: 2010-2014 share 0.015; trend from 2005-2009 (0) by one window: 0.03
    assert out.loc[2, "naive_last"] == pytest.approx(0.015)
    assert out.loc[2, "naive_trend"] == pytest.approx(0.030)
    # the model (0.10) misses 0.148 by 0.048 (PASS at 0.05) and beats both (0.133, 0.118)
    assert out.loc[2, "naive_last_result"] == "FAIL" and bool(out.loc[2, "beats_last"])
    assert bool(out.loc[0, "beats_last"])  # no error at all beats the last value's
    summary = holdout_summary(out)
    assert int(summary.loc["arms_share_china", "figures"]) == 1


def test_estimate_until_writes_a_copy_and_leaves_the_seeds_alone(tmp_path, capsys):
    before = (ROOT / "seeds" / "estimates.csv").read_text(encoding="utf-8")
    assert main(["estimate", "--until", "2014", "--no-weights", "--out", str(tmp_path)]) == 0
    assert (ROOT / "seeds" / "estimates.csv").read_text(encoding="utf-8") == before
    with open(tmp_path / "seeds" / "estimates.csv", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert "to 2014" in rows["gdp_elasticity"]["method"]
    assert main(["estimate", "--until", "2014", "--no-weights", "--out", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err



def test_estimate_until_2012_keeps_the_arms_elasticity_in_its_range(tmp_path, capsys):
    """The two windows to 2012 give a negative slope: estimates.csv holds the bound, and says so."""
    assert main(["estimate", "--until", "2012", "--no-weights", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "arms demand: GDP elasticity 0.000 (se 0.345); the regression's -0.335 lies " in out
    with open(tmp_path / "seeds" / "estimates.csv", encoding="utf-8") as f:
        rows = {r["id"]: r for r in csv.DictReader(f)}
    assert float(rows["arms_gdp_elasticity"]["value"]) == 0.0
    assert "held at its lower bound 0" in rows["arms_gdp_elasticity"]["method"]

def test_the_committed_holdout_table_is_split_at_2015_and_drawn_from_a_fit_through_2014():
    """docs/figures/holdout/ holds a holdout at 2015 run with the posterior fitted through 2014."""
    import json

    figures = ROOT / "docs" / "figures"
    committed = pd.read_csv(figures / "holdout" / "holdout.csv",
                            dtype={"period": str, "partner": str})
    provenance = json.loads((figures / "holdout" / "hindcast.json").read_text())
    assert provenance["posterior_until"] == 2014 and provenance["holdout"] == 2015
    assert provenance["replicates"] >= 100
    fit = json.loads((figures / "fit_2014" / "posterior.json").read_text())
    assert fit["until"] == 2014
    outside = committed[committed["sample"] == "out"]
    years = {str(y) for y in range(2015, 2021)}
    assert set(outside["period"]) == years | {"2015-2019", "2016-2020"}
    assert {"K1_russia_arms_2015_2019", "K2_china_arms_2015_2019", "K5_russia_trade_2019"} <= set(
        outside["series"]
    )
    assert (committed[committed["sample"] == "in"]["period"].str[:4].astype(int) < 2015).all()
    with open(figures / "fit_2014" / "estimates.csv", encoding="utf-8") as f:
        methods = [r["method"] for r in csv.DictReader(f)]
    assert all("to 2014" in m for m in methods)


def test_predictive_bands_add_the_likelihoods_observation_error(hindcast_output):
    """The predictive band holds the model's band and widens it by the observation error."""
    from influence_sim.estimate import TRADE_SD
    from influence_sim.validation import hindcast_table

    table = hindcast_table(hindcast_output, years=(2010,), windows=())
    assert (table["predictive_p05"] <= table["model_p05"] * 1.0001).all()
    assert (table["predictive_p95"] >= table["model_p95"] * 0.9999).all()
    # a trade flow's 95th percentile is about exp(1.645 sd) above the model's median
    ratio = (table["predictive_p95"] / table["model"]).median()
    assert ratio == pytest.approx(np.exp(1.645 * TRADE_SD), rel=0.15)
    low, high = table["predictive_p05"], table["predictive_p95"]
    inside = (low <= table["panel"]) & (table["panel"] <= high)
    assert (table["in_predictive"] == inside).all()
    again = hindcast_table(hindcast_output, years=(2010,), windows=())
    pd.testing.assert_frame_equal(table, again)  # the errors are drawn from a fixed seed


@pytest.mark.parametrize(
    "argv",
    [
        ["estimate", "--until", "1999", "--no-weights"],
        ["estimate", "--until", "abc"],
        ["hindcast", "--holdout", "1990"],
    ],
)
def test_years_outside_the_panel_are_usage_errors(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "expected 2009 to 2021" in err or "expected 2005 to 2021" in err or "not a year" in err


def test_estimate_refuses_more_evaluations_than_its_bound(tmp_path, capsys):
    """10**30 evaluations ran for minutes: now one line naming the option and its range."""
    with pytest.raises(SystemExit) as info:
        main(["estimate", "--evaluations", str(10**30), "--out", str(tmp_path / "e")])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --evaluations: must be from 1 to 10,000, got" in err
    assert not (tmp_path / "e").exists()


def test_force_refuses_to_replace_the_fit_or_seeds_it_reads(tmp_path, capsys):
    """hindcast --fit F --out F --force replaced the fit it read whole; estimate --force removed
    the seeds folder it was to copy."""
    fit = tmp_path / "fit"
    shutil.copytree(ROOT / "seeds", fit / "seeds")
    (fit / "posterior.json").write_text('{"until": 2014}', encoding="utf-8")
    (fit / "posterior.csv").write_text("kept", encoding="utf-8")
    assert main(["hindcast", "--fit", str(fit), "--out", str(fit), "--force"]) == 2
    seeds = fit / "seeds"
    assert capsys.readouterr().err == (
        f"error: {fit}: will not replace a folder that holds the input {seeds} (expected a "
        "folder of its own for the results)\n"
    )
    assert main(["estimate", "--seeds", str(seeds), "--out", str(fit), "--force"]) == 2
    assert capsys.readouterr().err == (
        f"error: {seeds}: will not replace a folder that is an input of the command (expected a "
        "folder of its own for the results)\n"
    )
    assert (fit / "posterior.csv").read_text(encoding="utf-8") == "kept"
    assert (seeds / "panel.csv").is_file()


def test_force_refuses_a_folder_that_holds_a_file_the_scenario_reads(tmp_path, capsys):
    """hindcast --force deleted the scenario file that SCENARIO extends when it was in --out,
    and fit --force emptied it; both refuse such a folder like one holding SCENARIO itself."""
    lib = tmp_path / "lib"
    lib.mkdir()
    base = lib / "hindcast_2000.yaml"
    base.write_text((ROOT / "scenarios" / "hindcast_2000.yaml").read_text())
    top = tmp_path / "top.yaml"
    top.write_text("name: top\nextends: lib/hindcast_2000.yaml\n")
    for command in (["hindcast"], ["fit", "--until", "2014"]):
        assert main([*command, str(top), "--out", str(lib), "--force"]) == 2
        assert capsys.readouterr().err == (
            f"error: {lib}: will not replace a folder that holds the input {base} (expected a "
            "folder of its own for the results)\n"
        )
    assert base.read_text() == (ROOT / "scenarios" / "hindcast_2000.yaml").read_text()


def test_a_scenario_that_is_no_hindcast_is_a_clear_error(tmp_path, capsys):
    baseline = str(ROOT / "scenarios" / "baseline.yaml")
    assert main(["estimate", "--scenario", baseline, "--out", str(tmp_path)]) == 2
    assert "expected a hindcast from 2000" in capsys.readouterr().err
    code = main(["hindcast", baseline, "--replicates", "1", "--out", str(tmp_path / "h")])
    assert code == 2
    assert "covers no year of the country panel" in capsys.readouterr().err
    assert main(["hindcast", "--seeds", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2


@pytest.fixture(scope="module")
def hindcast_output():  # type: ignore[no-untyped-def]
    from influence_sim.api import run

    return run(str(ROOT / "scenarios" / "hindcast_2000.yaml"), seed=5, replicates=3).output


def test_the_articles_figures_out_of_sample_with_naive_forecasts_from_the_panel(hindcast_output):
    from influence_sim.calibration.metrics import RegionalSeries
    from influence_sim.calibration.targets import load_targets
    from influence_sim.validation import target_rows

    rows = target_rows(hindcast_output, 2015, PANEL).set_index("series")
    assert list(rows.index) == [
        "K1_russia_arms_2015_2019", "K2_china_arms_2015_2019", "K5_russia_trade_2019",
        "K5_ratio_russia_china_2019",
    ]  # K3 (2010-2014) is in sample
    assert (rows["sample"] == "out").all() and (rows["source"] != "panel").all()
    targets = {t.id: t for t in load_targets(ROOT / "seeds" / "targets.csv")}
    series = RegionalSeries.from_output(hindcast_output)
    for name, r in rows.iterrows():
        t = targets[str(name)]
        draws = series.values(t.metric, t.period_start, t.period_end)
        assert r["model"] == pytest.approx(float(np.median(draws)))
        assert r["panel"] == t.value and r["tolerance"] == t.tolerance
        assert r["result"] == ("PASS" if abs(r["model"] - t.value) <= t.tolerance else "FAIL")
    # naive forecasts: the region's 2010-2014 window, and the five states' trade of 2014
    assert rows.loc["K1_russia_arms_2015_2019", "naive_last"] == pytest.approx(
        _window_share("russia")
    )
    russia = sum(PANEL.annual(s, "trade_russia")[2014] for s in hindcast_output.dims.states)
    china = sum(PANEL.annual(s, "trade_china")[2014] for s in hindcast_output.dims.states)
    assert rows.loc["K5_russia_trade_2019", "naive_last"] == pytest.approx(russia)
    assert rows.loc["K5_ratio_russia_china_2019", "naive_last"] == pytest.approx(russia / china)
    # an earlier holdout takes in K3 as well
    assert "K3_china_arms_2010_2014" in set(target_rows(hindcast_output, 2010, PANEL)["series"])


def _window_share(partner: str) -> float:
    return next(w.shares[partner] for w in PANEL.arms_windows("region") if w.first == 2010)


def test_holdout_rows_say_whether_the_figure_lies_inside_the_band(hindcast_output):
    from influence_sim.validation import hindcast_table

    table = holdout_table(hindcast_table(hindcast_output, years=(2014, 2019)), 2015, PANEL)
    inside = (table["model_p05"] <= table["panel"]) & (table["panel"] <= table["model_p95"])
    assert (table["in_band"] == inside).all()
    outside = int(inside[table["sample"] == "out"].sum())
    assert int(holdout_summary(table)["in_band"].sum()) == outside


def test_hindcast_and_holdout_panels_draw_on_the_axes_they_are_given(hindcast_output):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from influence_sim.plots import label
    from influence_sim.validation import (
        hindcast_arms_frame,
        hindcast_table,
        hindcast_trade_frame,
        holdout_error_frame,
        holdout_target_frame,
        plot_hindcast_arms,
        plot_hindcast_trade,
        plot_holdout_errors,
        plot_holdout_targets,
        target_rows,
    )

    open_figures = plt.get_fignums()
    states = list(hindcast_output.dims.states)
    trade = hindcast_trade_frame(hindcast_output, PANEL)
    assert set(trade["series"]) == {"trade_china", "trade_russia", "trade_us"}
    china = trade[trade["partner"] == "china"]
    axes = Figure().subplots(2, 3).ravel()
    assert list(plot_hindcast_trade(china, axes, holdout=2015)) == list(axes)
    for ax, state in zip(axes, states, strict=False):
        model = china[(china["state"] == state) & (china["source"] == "model")]
        assert ax.get_title() == label(state) and ax.get_yscale() == "log"
        assert len(ax.collections) == 1  # the model's band
        np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), model["value"])
        assert ax.get_lines()[-1].get_xdata()[0] == 2015  # the holdout line
        # each panel labels its minor ticks from its own range, not from the last panel's
        assert ax.yaxis.get_minor_formatter().axis is ax.yaxis
    assert axes[-1].get_legend() is not None and not axes[-1].axison

    arms = hindcast_arms_frame(hindcast_output, PANEL)
    assert list(dict.fromkeys(arms["entity"])) == ["region", *states]
    axes = Figure().subplots(2, 3).ravel()
    assert list(plot_hindcast_arms(arms, axes)) == list(axes)
    assert axes[0].get_title() == "Region (five states)"
    partners = hindcast_output.dims.partners[:-1]
    for ax in axes:  # per supplier: a band, the model's line and the panel's points
        assert len(ax.collections) == len(partners) and len(ax.get_lines()) == 2 * len(partners)
        assert ax.get_ylabel() == "share of arms imports"

    table = holdout_table(hindcast_table(hindcast_output, years=(2014, 2019)), 2015, PANEL)
    table = pd.concat([table, target_rows(hindcast_output, 2015, PANEL)], ignore_index=True)
    errors = holdout_error_frame(table)
    assert len(errors) == int((table["sample"] == "out").sum())
    ax = Figure().add_subplot()
    assert plot_holdout_errors(errors, ax) is ax
    assert len(ax.get_yticklabels()) == errors["series"].nunique()
    assert ax.get_xlabel().startswith("error in tolerances") and ax.get_legend() is not None
    targets = holdout_target_frame(table)
    assert len(targets) > 0 and (targets["source"] != "panel").all()
    axes = np.atleast_1d(Figure().subplots(1, len(targets)))
    assert list(plot_holdout_targets(targets, axes)) == list(axes)
    for ax in axes:  # the figure, the model's error bar, the two naive forecasts
        assert len(ax.patches) == 1 and len(ax.get_lines()) >= 4
    assert plt.get_fignums() == open_figures


def test_hindcast_of_a_fit_folder_takes_its_seeds_posterior_and_holdout(
    tmp_path, capsys, monkeypatch
):
    import json
    import shutil

    # hindcast --seeds points the process at the fit's seeds; undo that after the test
    monkeypatch.setenv("INFLUENCE_SIM_SEEDS", str(ROOT / "seeds"))

    fit = tmp_path / "fit"
    shutil.copytree(ROOT / "seeds", fit / "seeds", ignore=shutil.ignore_patterns("posterior"))
    for name in ("posterior.csv", "posterior.json"):
        shutil.copy(ROOT / "seeds" / "posterior" / name, fit / name)
    out = tmp_path / "report"
    code = main(["hindcast", "--fit", str(fit), "--replicates", "2", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    provenance = json.loads((out / "hindcast.json").read_text())
    until = json.loads((fit / "posterior.json").read_text())["until"]
    assert provenance["posterior"] == "posterior.csv"
    assert provenance["seeds_folder"] == str(fit / "seeds")  # the folder read, as given
    assert provenance["posterior_until"] == until and provenance["holdout"] == until + 1
    holdout = pd.read_csv(out / "holdout.csv", dtype={"period": str, "partner": str})
    outside = holdout[holdout["sample"] == "out"]
    assert set(outside["period"]) == {str(y) for y in range(until + 1, 2021)}
    assert (out / "holdout_errors.png").is_file()
    # --fit with --seeds, or a folder without a fit, is a usage error
    assert main(["hindcast", "--fit", str(fit), "--seeds", str(fit / "seeds")]) == 2
    assert "without --seeds" in capsys.readouterr().err
    assert main(["hindcast", "--fit", str(tmp_path), "--out", str(tmp_path / "x")]) == 2
    assert "written by `influence-sim fit`" in capsys.readouterr().err


@pytest.mark.parametrize("doc", ["validation.md", "estimation.md"])
def test_the_generated_tables_of_the_estimation_docs_are_not_stale(tmp_path, doc):
    """``python -m influence_sim.doctables`` would not change these documents."""
    from influence_sim.doctables import rewrite

    source = ROOT / "docs" / doc
    copy = tmp_path / doc
    copy.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    assert rewrite(copy), "no generated block found"
    assert copy.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


def test_hindcast_of_a_scenario_that_adds_a_power_without_panel_figures(tmp_path):
    """Its model line is drawn and listed; it has no panel points and no 'panel' legend entry."""
    from matplotlib.figure import Figure

    from influence_sim.api import run
    from influence_sim.validation import (
        hindcast_arms_frame,
        plot_hindcast_arms,
        save_hindcast_figures,
    )

    scenario = tmp_path / "added.yaml"
    scenario.write_text(
        f"name: added\nextends: {ROOT / 'scenarios' / 'hindcast_2000.yaml'}\n"
        "actors:\n  add_powers:\n    turkey: {economic_capacity: 0.8, security_capacity: 3.0, "
        "priority: 0.02, doctrine: 0.5, capacity_growth: 0.03, security_share: 0.02}\n",
        encoding="utf-8",
    )
    output = run(str(scenario), seed=5, replicates=2).output
    arms = hindcast_arms_frame(output, PANEL)
    turkey = arms[arms["partner"] == "turkey"]
    assert len(turkey) > 0 and turkey["panel"].isna().all() and (turkey["median"] > 0).all()
    axes = Figure().subplots(2, 3).ravel()
    plot_hindcast_arms(arms, axes)
    labels = axes[0].get_legend_handles_labels()[1]
    assert "Turkey, model" in labels and "Turkey, panel" not in labels
    assert "Russia, panel" in labels
    written = save_hindcast_figures(output, tmp_path, PANEL)
    assert [p.name for p in written][-1] == "hindcast_arms_shares.png"


def test_holdout_of_a_scenario_that_removes_a_power_skips_the_targets_naming_it(tmp_path):
    """The article's figures about a removed power have no model value: no row, no crash."""
    from influence_sim.api import run
    from influence_sim.validation import target_rows

    scenario = tmp_path / "no_russia.yaml"
    scenario.write_text(
        "name: no_russia\ntime: {start: 2000-01-01, end: 2022-01-01, step: quarter}\n"
        "actors: {remove_powers: [russia]}\n",
        encoding="utf-8",
    )
    output = run(str(scenario), seed=5, replicates=2).output
    rows = target_rows(output, 2015, PANEL)
    assert len(rows) > 0
    assert not rows["partner"].str.contains("russia").any()
    code = main(["hindcast", str(scenario), "--holdout", "2015", "--out", str(tmp_path / "h")])
    assert code == 0
    assert (tmp_path / "h" / "holdout.csv").is_file()
