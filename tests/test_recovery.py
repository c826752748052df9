"""Synthetic panels and the recovery of the parameters that made them.

The full study (20 trials, nine parameters) is ``benchmarks/recovery.py``; here a small one:
two parameters set far from where the real panel puts them, so a fit that scored the real
panel instead of the synthetic one would miss them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from influence_sim import initial
from influence_sim import seeds as sd
from influence_sim.estimate import STATE_ARMS_SD, TRADE_SD
from influence_sim.likelihood import Observations, PanelLikelihood
from influence_sim.posterior import Posterior, Prior, load_priors
from influence_sim.recovery import (
    RecoverySettings,
    coverage_table,
    finished_trials,
    panel_residuals,
    prior_values,
    run_recovery,
    run_trial,
    truths,
)

NAMES = ("gdp_elasticity", "adjust_rate_economic")
TRUTH = np.array([0.8, 0.45])
"""Inside the priors' bulk, far outside the posterior of the real panel (0.13-0.33, 0.14-0.25)."""


@pytest.fixture(scope="module")
def like() -> PanelLikelihood:
    return PanelLikelihood(names=NAMES, until=2019)


@pytest.fixture(scope="module")
def residual(like: PanelLikelihood) -> np.ndarray:
    return initial.residual_array(sd.load_seeds(), like.dims)


def test_noise_free_synthetic_panel_is_fitted_exactly_at_the_truth(
    like: PanelLikelihood, residual: np.ndarray
) -> None:
    synthetic = like.with_observations(like.simulate(TRUTH, residual))
    trade, arms = synthetic.paths(TRUTH[None], residual[None])
    assert synthetic.quadratic_forms(trade, arms).sum() == pytest.approx(0.0, abs=1e-9)
    # the real panel is far from that path, and a wrong value is far from the synthetic one
    assert like.quadratic_forms(trade, arms).sum() > 100.0
    wrong = np.array([0.2, 0.18])  # the real panel's posterior medians
    t2, a2 = synthetic.paths(wrong[None], residual[None])
    assert synthetic.quadratic_forms(t2, a2).sum() > 10.0


def test_synthetic_errors_follow_the_observation_model(
    like: PanelLikelihood, residual: np.ndarray
) -> None:
    expected = like.simulate(TRUTH, residual)
    noisy = like.simulate(TRUTH, residual, np.random.default_rng(3))
    e = (noisy.trade_log - expected.trade_log) / TRADE_SD
    assert 0.85 < e.std() < 1.15
    has = like._t_prev >= 0
    lag1 = np.corrcoef(e[has], e[like._t_prev[has]])[0, 1]
    assert lag1 == pytest.approx(like.trade_ar, abs=0.12)
    np.testing.assert_allclose(noisy.state_shares.sum(axis=1), 1.0)
    spread = (noisy.state_shares - expected.state_shares).std()
    assert 0.3 * STATE_ARMS_SD < spread < 2.0 * STATE_ARMS_SD
    assert np.array_equal(
        np.isnan(noisy.region_shares), np.isnan(like.observations().region_shares)
    )
    # the same generator seed gives the same panel
    again = like.simulate(TRUTH, residual, np.random.default_rng(3))
    np.testing.assert_array_equal(noisy.trade_log, again.trade_log)


def test_observations_round_trip_and_shape_check(like: PanelLikelihood, tmp_path: Path) -> None:
    obs = like.observations()
    back = Observations.load(obs.save(tmp_path / "o.npz"))
    np.testing.assert_array_equal(back.trade_log, obs.trade_log)
    with pytest.raises(ValueError, match="trade_log has shape"):
        like.with_observations(
            Observations(obs.trade_log[:-1], obs.state_shares, obs.region_shares)
        )


def _priors() -> list[Prior]:
    return [p for p in load_priors() if p.name in NAMES]


def _truth_posterior(like: PanelLikelihood, residual: np.ndarray, n: int) -> Posterior:
    """A stand-in 'posterior' whose draws are the true sets of the trials."""
    offsets = np.linspace(-0.1, 0.1, n)[:, None] * np.array([1.0, 0.5])
    values = TRUTH[None] + offsets
    dims = like.dims
    return Posterior(
        NAMES,
        values,
        np.repeat(residual[None], n, axis=0),
        dims.states,
        dims.partners,
        np.zeros(n),
        {},
    )


def test_small_recovery_study_finds_parameters_far_from_the_real_fit(
    like: PanelLikelihood, residual: np.ndarray, tmp_path: Path
) -> None:
    """Two trials, four walkers, 20 steps: a stated, smaller check than the benchmark's.

    With 40 kept samples per trial the 90% interval is itself noisy, so this asks for three
    of the four (trial, parameter) pairs inside it, and every posterior median within 15% of
    the prior's 90% width of the truth (the real panel's medians are 35-50% away).
    """
    settings = RecoverySettings(
        trials=2, walkers=4, steps=20, burn=10, workers=1, seed=5, truths="posterior"
    )
    priors = _priors()
    frame = run_recovery(
        settings, tmp_path, priors=priors, posterior=_truth_posterior(like, residual, 2)
    )
    table = coverage_table(frame)
    assert table.loc["all", "trials"] == 4
    assert table.loc["all", "inside"] >= 3, table.to_string()
    width = {p.name: p.quantile(0.95) - p.quantile(0.05) for p in priors}
    error = (frame["median"] - frame["truth"]).abs() / frame["parameter"].map(width)
    assert (error < 0.15).all(), frame.to_string()
    # the intervals are informative: much narrower than the prior's
    assert table.loc["all", "width_vs_prior"] < 0.5
    # a finished study is read back, not run again
    again = run_recovery(
        settings, tmp_path, priors=priors, posterior=_truth_posterior(like, residual, 2)
    )
    assert again.equals(frame)
    assert (tmp_path / "trial_01" / "result.json").is_file()


def test_truths_spread_over_the_draws() -> None:
    post = Posterior(
        NAMES,
        np.arange(20.0).reshape(10, 2),
        np.zeros((10, 5, 4, 2)),
        sd.DEFAULT_STATES,
        (*sd.DEFAULT_POWERS, "rest_of_world"),
        np.zeros(10),
        {},
    )
    picked = truths(post, ("adjust_rate_economic",), 3)
    assert [float(v[0][0]) for v in picked] == [1.0, 9.0, 19.0]


def test_prior_truths_follow_the_priors_and_each_trial_its_own_stream() -> None:
    priors = _priors()
    values = prior_values(priors, 2000, seed=11)
    for j, p in enumerate(priors):
        # the draws' quantiles are the prior's (within sampling error of 2000 draws)
        lo, med, hi = np.quantile(values[:, j], [0.05, 0.5, 0.95])
        width = p.quantile(0.95) - p.quantile(0.05)
        assert abs(med - p.median) < 0.05 * width
        assert abs(lo - p.quantile(0.05)) < 0.05 * width
        assert abs(hi - p.quantile(0.95)) < 0.08 * width
    # trial k's truth does not depend on the size of the study; another seed, other truths
    few = prior_values(priors, 3, seed=11)
    np.testing.assert_array_equal(few, values[:3])
    other = prior_values(priors, 3, seed=12)
    assert not np.allclose(other[0], few[0])


def test_prior_truths_take_the_residuals_the_fit_would_profile_on_the_real_panel(
    like: PanelLikelihood,
) -> None:
    names = like.names
    values = np.array([[0.3, 0.2], [0.6, 0.5]])
    residual = panel_residuals(values, names, like.until)
    assert residual.shape == (2, 5, 4, 2)
    # the two truths move differently, so their levels differ; each matches the panel on average
    assert not np.allclose(residual[0], residual[1])
    trade, arms = like.paths(values, residual)
    assert np.abs(like._gaps(trade, arms)).max() < 0.05


def test_a_trial_folder_refuses_a_study_with_other_truths(tmp_path: Path) -> None:
    priors = _priors()
    truth = (np.array([0.5, 0.3]), np.zeros((5, 4, 2)))
    where = tmp_path / "trial_00"
    where.mkdir()
    (where / "truth.json").write_text('{"truths": "posterior", "values": [0.5, 0.3]}')
    settings = RecoverySettings(trials=1, walkers=4, steps=4, workers=1)
    with pytest.raises(ValueError, match="other true values"):
        run_trial(0, truth, priors, settings, tmp_path)
    (where / "result.json").write_text('[{"trial": 0, "parameter": "x", "truths": "posterior"}]')
    with pytest.raises(ValueError, match="truths from the posterior, not the prior"):
        run_trial(0, truth, priors, settings, tmp_path)


def test_recovery_settings_refuse_an_unknown_source_of_truths() -> None:
    with pytest.raises(ValueError, match="truths must be one of prior, posterior"):
        RecoverySettings(truths="data")


def test_finished_trials_are_tabulated_without_running_more(tmp_path: Path) -> None:
    import json

    for k, inside in ((0, True), (2, False)):
        (tmp_path / f"trial_{k:02d}").mkdir()
        row = {"trial": k, "truths": "prior", "parameter": "a", "inside": inside}
        (tmp_path / f"trial_{k:02d}" / "result.json").write_text(
            json.dumps([{**row, "width_ratio": 0.5}])
        )
    (tmp_path / "trial_01").mkdir()  # started, not finished
    frame = finished_trials(tmp_path)
    assert frame["trial"].tolist() == [0, 2]
    assert coverage_table(frame).loc["all", "inside"] == 1
    with pytest.raises(ValueError, match="truths from the prior"):
        finished_trials(tmp_path, truths="posterior")
