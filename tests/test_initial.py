"""Initialisation: runs start on the country panel, and nothing pins them to their start."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from influence_sim import seeds as sd
from influence_sim.calendar import Clock
from influence_sim.ensemble import simulate_runs
from influence_sim.initial import build, default_dims
from influence_sim.kernel.arrays import ECON, SEC
from influence_sim.rng import replicate_seeds

DIMS = default_dims()
START = dt.date(2021, 1, 1)
PANEL = sd.panel_of(sd.load_seeds())


def test_a_run_starts_on_the_panels_trade_gdp_and_arms_figures():
    """2000-01-01: trade by partner, GDP and the 2000-2004 arms mix are the panel's."""
    state, _ = build(DIMS, dt.date(2000, 1, 1))
    kz = DIMS.states.index("kazakhstan")
    trade = PANEL.trade("kazakhstan", 2000.0)
    china = DIMS.powers.index("china")
    assert state.trade[0, kz] == pytest.approx(sum(trade.values()), rel=1e-9)
    assert state.share[0, kz, china, ECON] * state.trade[0, kz] == pytest.approx(trade["china"])
    assert state.gdp[0, kz] == pytest.approx(PANEL.at("kazakhstan", "gdp", 2000.0))
    window = PANEL.arms_window_at("kazakhstan", 2000.0)
    assert window.label == "2000-2004"
    russia = DIMS.powers.index("russia")
    assert state.share[0, kz, russia, SEC] == pytest.approx(window.shares["russia"], abs=0.01)
    assert state.arms_flow[0, kz] == pytest.approx(window.usd_bn_per_year)


def test_a_2021_start_uses_the_last_window_before_it():
    """The 2016-2020 window sets the 2021 arms mix (no figure after 2021 is in the panel)."""
    assert PANEL.arms_window_at("turkmenistan", 2021.0).label == "2016-2020"
    for row in PANEL.rows:
        assert row.last_year <= 2021, row


def _run(overrides: dict[str, float], years: int = 10) -> np.ndarray:
    clock = Clock.between(START, dt.date(START.year + years, 1, 1), "quarter")
    seeds = replicate_seeds(7, 4)
    out = simulate_runs(DIMS, clock, seeds, overrides=overrides)
    weighted = (out.share * out.volume[:, :, :, None, :]).sum(axis=2)
    regional: np.ndarray = (weighted / out.volume.sum(axis=2)[:, :, None, :]).mean(axis=1)
    return regional


def test_a_run_started_far_from_the_data_returns_toward_the_baseline_trade_path():
    """Russia at 80 percent of every state's trade in 2021 closes most of the gap in ten years."""
    russia = DIMS.powers.index("russia")
    base = _run({})
    far = _run({"states.*.economic_share.russia": 0.8})
    gap_start = far[0, russia, ECON] - base[0, russia, ECON]
    gap_end = far[-1, russia, ECON] - base[-1, russia, ECON]
    assert gap_start > 0.5
    assert abs(gap_end) < 0.2 * gap_start


def test_a_run_started_far_from_the_data_returns_toward_the_baseline_arms_path():
    """China at 1.5 percent of every state's arms imports closes most of the gap in ten years."""
    china = DIMS.powers.index("china")
    base = _run({})
    far = _run({"states.*.security_share.china": 0.015})
    gap_start = base[0, china, SEC] - far[0, china, SEC]
    gap_end = base[-1, china, SEC] - far[-1, china, SEC]
    assert gap_start > 0.1
    assert abs(gap_end) < 0.5 * gap_start


def test_arms_demand_follows_the_estimated_propensity_not_the_start():
    """Zero-threat arms demand is exp(a) * GDP ** e, whatever the starting flow."""
    state, params = build(DIMS, START, {"states.kazakhstan.gdp_usd_bn": 400.0})
    kz = DIMS.states.index("kazakhstan")
    expected = np.exp(params.arms_propensity[0, kz]) * 400.0 ** params.arms_gdp_elasticity[0]
    assert state.arms_base[0, kz] == pytest.approx(expected)


def test_credibility_starts_at_the_runs_own_trade_shares():
    """Overriding starting trade shares re-derives credibility from them."""
    state, _ = build(DIMS, START, {"states.*.economic_share.russia": 0.8})
    russia = DIMS.powers.index("russia")
    np.testing.assert_allclose(state.credibility[0, :, russia], 0.8)
    np.testing.assert_allclose(state.credibility[0], state.share[0, :, : DIMS.n_powers, 0])
