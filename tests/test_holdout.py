"""Out of sample: the holdout table, its naive forecasts, and the commands that make it."""

from __future__ import annotations

import csv
import math
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


def test_the_committed_holdout_table_is_split_at_2015_and_fitted_through_2014():
    """docs/figures/holdout/ holds a holdout at 2015 made with estimates through 2014."""
    committed = pd.read_csv(ROOT / "docs/figures/holdout/holdout.csv",
                            dtype={"period": str, "partner": str})
    outside = committed[committed["sample"] == "out"]
    assert set(outside["period"]) == {"2019", "2015-2019", "2016-2020"}
    assert (committed[committed["sample"] == "in"]["period"].str[:4].astype(int) < 2015).all()
    with open(ROOT / "docs/figures/holdout/estimates_until_2014.csv", encoding="utf-8") as f:
        methods = [r["method"] for r in csv.DictReader(f)]
    assert all("to 2014" in m for m in methods)


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


def test_a_scenario_that_is_no_hindcast_is_a_clear_error(tmp_path, capsys):
    baseline = str(ROOT / "scenarios" / "baseline.yaml")
    assert main(["estimate", "--scenario", baseline, "--out", str(tmp_path)]) == 2
    assert "expected a hindcast from 2000" in capsys.readouterr().err
    code = main(["hindcast", baseline, "--replicates", "1", "--out", str(tmp_path / "h")])
    assert code == 2
    assert "covers no year of the country panel" in capsys.readouterr().err
    assert main(["hindcast", "--seeds", str(tmp_path / "none"), "--out", str(tmp_path)]) == 2
