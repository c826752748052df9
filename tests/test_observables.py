"""The observables of kernel/observables.py, the inversions beside their equations, and the
calendar and random-stream helpers."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from influence_sim.analysis.metrics import _first_ahead
from influence_sim.calendar import decimal_year, decimal_years
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import SEC
from influence_sim.rng import as_seed_sequence, check_random_state


def _random_shares(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    raw = rng.uniform(0.01, 1.0, shape)
    return raw / raw.sum(axis=-2, keepdims=True)


def test_regional_share_and_volume_are_the_volume_weighted_sums_for_any_leading_axes() -> None:
    rng = np.random.default_rng(0)
    share = _random_shares(rng, (4, 3, 5, 4, 2))  # (T, B, S, K, D)
    volume = rng.uniform(0.5, 9.0, (4, 3, 5, 2))
    by_hand = (share * volume[..., None, :]).sum(axis=-3)
    assert np.allclose(obs.regional_volume(share, volume), by_hand, rtol=1e-14)
    expected = by_hand / volume.sum(axis=-2)[..., None, :]
    assert np.allclose(obs.regional_share(share, volume), expected, rtol=1e-14)
    assert np.allclose(obs.regional_share(share, volume).sum(axis=-2), 1.0)
    # a region without volume has zero shares, not NaN
    assert np.all(obs.regional_share(share[0], np.zeros((3, 5, 2))) == 0.0)
    # the batch-only form the kernel uses agrees with the mechanisms module's name for it
    assert np.array_equal(
        mech.regional_share(share[0], volume[0]), obs.regional_share(share[0], volume[0])
    )


def test_guarantor_is_the_power_with_the_largest_security_share_never_rest_of_world() -> None:
    share = np.zeros((1, 2, 3, 2))  # (B, S, K = 2 powers + rest of world, D)
    share[0, 0, :, SEC] = [0.2, 0.3, 0.5]  # rest of world largest: still a power
    share[0, 1, :, SEC] = [0.4, 0.4, 0.2]  # a tie goes to the first power
    assert obs.guarantor(share, 2).tolist() == [[1, 0]]


def test_guarantor_changes_count_each_switch_along_the_steps() -> None:
    g = np.array([[0, 1], [0, 1], [1, 1], [0, 1], [0, 2]])  # (T, S)
    assert obs.guarantor_changes(g).tolist() == [2, 1]
    assert obs.guarantor_changes(g.T, axis=1).tolist() == [2, 1]
    # power names count as indices do; one step has no change
    names = np.array(["russia", "china", "china", "russia"], dtype=object)
    assert int(obs.guarantor_changes(names)) == 2
    assert obs.guarantor_changes(g[:1]).tolist() == [0, 0]
    # the step-by-step form the sweeps keep adds the same comparisons
    kept = np.zeros(2, dtype=np.int64)
    for before, after in itertools.pairwise(g):
        kept += obs.guarantor_changes(np.stack([before, after]))
    assert kept.tolist() == [2, 1]


def test_window_arms_share_sums_over_steps_and_states_then_divides() -> None:
    arms = np.zeros((3, 2, 3))  # (T, S, K)
    arms[0] = [[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]
    arms[1] = [[3.0, 1.0, 0.0], [0.0, 0.0, 4.0]]
    arms[2] = 100.0  # outside the window
    window = np.array([True, True, False])
    # by hand: suppliers 4, 3, 5 of 12 over the first two steps
    assert np.allclose(obs.window_arms_share(arms, window), [4 / 12, 3 / 12, 5 / 12])
    # one state's share: an S axis of length 1
    assert np.allclose(obs.window_arms_share(arms[:, 1:], window), [0.0, 2 / 6, 4 / 6])
    # several windows (rows of weights) over runs between the steps and the states
    runs = np.stack([arms, 2.0 * arms], axis=1)  # (T, B, S, K)
    weights = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    out = obs.window_arms_share(runs, weights)
    assert out.shape == (2, 2, 3)
    assert np.allclose(out[0], [4 / 12, 3 / 12, 5 / 12]) and np.allclose(out[1], 1 / 3)
    # more of a supplier's arms in the window raises its share; no arms gives zeros
    more = arms.copy()
    more[0, 0, 0] += 1.0
    assert obs.window_arms_share(more, window)[0] > obs.window_arms_share(arms, window)[0]
    assert np.all(obs.window_arms_share(np.zeros((2, 2, 3)), np.ones(2)) == 0.0)


def test_window_arms_share_of_one_state_per_window() -> None:
    arms = np.zeros((3, 2, 3))  # (T, S, K)
    arms[0] = [[1.0, 0.0, 1.0], [0.0, 2.0, 0.0]]
    arms[1] = [[3.0, 1.0, 0.0], [0.0, 0.0, 4.0]]
    arms[2] = 100.0
    weights = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    state = np.array([0, 1, 1])
    # by hand: state 0 over steps 0-1 buys 4, 1, 1 of 6; state 1 at step 2 a third each; at
    # step 0 only from the second supplier
    expected = [[4 / 6, 1 / 6, 1 / 6], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]]
    assert np.allclose(obs.window_arms_share(arms, weights, state=state), expected)
    # one index for every window is the S axis of length 1; runs between steps and states
    window = np.array([True, True, False])
    assert np.allclose(obs.window_arms_share(arms, window, state=1), [0.0, 2 / 6, 4 / 6])
    runs = np.stack([arms, 3.0 * arms], axis=1)  # (T, B, S, K)
    out = obs.window_arms_share(runs, weights, state=state)
    assert out.shape == (3, 2, 3) and np.allclose(out, np.array(expected)[:, None, :])
    # more of a supplier's arms in the state's window raises its share there; another
    # state's arms leave it alone; a window without arms gives zeros
    more = arms.copy()
    more[1, 0, 0] += 2.0
    more[0, 1, 0] += 50.0
    raised = obs.window_arms_share(more, weights, state=state)
    assert raised[0, 0] > expected[0][0] and np.allclose(raised[1], expected[1])
    empty = obs.window_arms_share(np.zeros((3, 2, 3)), weights, state=state)
    assert np.all(empty == 0.0)


def test_first_ahead_and_its_step_by_step_form_agree() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(size=(12, 50)), rng.uniform(size=(12, 50)) + 0.3
    first = obs.first_ahead(a, b)
    tracked = np.full(50, -1)
    for k in range(12):
        tracked = obs.track_first(tracked, a[k] > b[k], k)
    assert np.array_equal(first, tracked)
    ahead = a > b
    for j in range(50):
        hits = np.flatnonzero(ahead[:, j])
        assert first[j] == (hits[0] if hits.size else -1)
    years = np.arange(2021.0, 2033.0)
    assert np.array_equal(
        obs.year_of_step(years, first, never=np.inf), np.where(first >= 0, years[first], np.inf)
    )


def test_the_pandas_first_ahead_of_analysis_is_the_array_one() -> None:
    table = pd.DataFrame(
        {
            "replicate": [0, 0, 0, 1, 1, 1],
            "year": [2021.0, 2022.0, 2023.0, 2021.0, 2022.0, 2023.0],
            "china": [1.0, 3.0, 1.0, 1.0, 1.0, 1.0],
            "russia": [2.0, 2.0, 2.0, 2.0, 2.0, 2.0],
        }
    )
    out = _first_ahead(table, ["replicate"])
    assert out["replicate"].tolist() == [0, 1]
    assert out["value"].tolist() == [2022.0, np.inf]


def test_gravity_and_softmax_residuals_invert_their_equations() -> None:
    rng = np.random.default_rng(2)
    log_equilibrium = rng.normal(size=(2, 3, 4))
    volume = np.exp(rng.normal(size=(2, 3, 4)))
    volume[0, 0, 1] = 0.0
    r = mech.gravity_residual(volume, log_equilibrium)
    assert r[0, 0, 1] == 0.0
    has = volume > 0
    assert np.allclose(np.exp(log_equilibrium + r)[has], volume[has])
    utility = rng.normal(size=(2, 3, 4, 1))
    share = _random_shares(rng, (2, 3, 4, 1))
    fitted = mech.softmax_residual(share[..., 0], utility[..., 0])
    assert np.allclose(mech.softmax_partners(utility + fitted[..., None]), share)


def test_zero_threat_arms_is_exp_propensity_times_gdp_to_the_elasticity() -> None:
    out = mech.zero_threat_arms(np.array([[np.log(0.5)]]), np.array([[4.0]]), np.array([0.5]))
    assert np.allclose(out, 0.5 * 2.0)


def test_log_zero_threat_arms_inverts_security_demand() -> None:
    threat = np.array([[0.0, 0.3, 1.0]])
    eta = np.array([2.0])
    base = np.array([[0.5, 1.2, 3.0]])
    arms = mech.security_demand(base, threat, eta)
    assert np.allclose(mech.log_zero_threat_arms(arms, threat, eta), np.log(base))
    # by hand: 4.8 arms at threat 0.3 and elasticity 2 are 4.8 / 1.6 = 3 at zero threat
    out = mech.log_zero_threat_arms(np.array([[4.8]]), np.array([[0.3]]), eta)
    assert np.allclose(out, np.log(3.0))


def test_softmax_residual_gap_moves_the_model_choice_to_the_observed_one() -> None:
    observed = np.array([0.5, 0.3, 0.2])
    model = np.array([0.25, 0.25, 0.5])
    # by hand: log(0.5 / 0.2) - log(0.25 / 0.5) = log 5, log(0.3 / 0.2) - log(0.25 / 0.5) = log 3
    gap = mech.softmax_residual_gap(observed, model, 0.01)
    assert np.allclose(gap, np.log([5.0, 3.0, 1.0]))
    # the difference of the residuals at the two choices: adding it moves the model's choice
    # to the observed one
    utility = np.log(model)
    assert np.allclose(
        gap, mech.softmax_residual(observed, utility) - mech.softmax_residual(model, utility)
    )
    moved = mech.softmax_partners((utility + gap)[None, None, :, None])[0, 0, :, 0]
    assert np.allclose(moved, observed)
    # a supplier observed above the model gets a positive gap, one below a negative one
    assert gap[0] > 0.0 and mech.softmax_residual_gap(model, observed, 0.01)[0] < 0.0
    # a supplier the panel does not record counts at the floor; volumes give the same gaps
    floored = mech.softmax_residual_gap(np.array([0.0, 0.5, 0.5]), model, 0.01)
    assert np.allclose(floored[0], np.log(0.01 / 0.5) - np.log(0.25 / 0.5))
    batch = mech.softmax_residual_gap(np.stack([7.0 * observed, observed]), model, 0.01)
    assert np.allclose(batch, gap)


def test_steady_backlog_is_mix_times_flow_times_lead_and_deliveries_match_contracts() -> None:
    share = np.array([[[0.5, 0.25, 0.25], [0.0, 0.4, 0.6]]])
    flow = np.array([[4.0, 10.0]])
    lead = np.array([2.0])
    backlog = mech.steady_backlog(share, flow, lead)
    # by hand: x F L
    assert np.allclose(backlog, [[[4.0, 2.0, 2.0], [0.0, 8.0, 12.0]]])
    # a longer lead time holds a larger backlog
    assert np.all(mech.steady_backlog(share, flow, 2.0 * lead) >= backlog)
    # from it deliveries over a short step are the new contracts x F dt
    dt = 0.001
    _, delivered = mech.deliver_arms(backlog, share * flow[:, :, None] * dt, lead, dt)
    assert np.allclose(delivered, share * flow[:, :, None] * dt, rtol=1e-3)


def test_steady_threat_is_exposure_times_instability_and_update_threat_stays_there() -> None:
    exposure = np.array([[0.05, 1.0], [0.5, 0.2]])
    instability = np.array([0.3, 0.8])
    level = mech.steady_threat(exposure, instability)
    assert np.allclose(level, [[0.015, 0.3], [0.4, 0.16]])
    # more instability, more threat; at its steady level threat does not move
    assert np.all(mech.steady_threat(exposure, instability + 0.1) > level)
    halflife = np.array([1.0, 2.0])
    assert np.allclose(mech.update_threat(level, instability, exposure, halflife, 0.25), level)


def test_decimal_years_equal_decimal_year_exactly() -> None:
    days = [dt.date(1999, 12, 31) + dt.timedelta(days=i) for i in range(0, 3000, 11)]
    assert decimal_years(days).tolist() == [decimal_year(d) for d in days]
    assert decimal_years(["2021-07-02"]).tolist() == [decimal_year(dt.date(2021, 7, 2))]
    # by hand: day 182 of a 365-day year, the last day of a leap year
    assert decimal_year(dt.date(2021, 7, 2)) == 2021 + 182 / 365
    assert decimal_year(dt.date(2020, 12, 31)) == 2020 + 365 / 366
    assert decimal_years([dt.date(2000, 1, 1), "2000-03-01"]).tolist() == [2000.0, 2000 + 60 / 366]


def _former_analysis_decimal_year(dates: pd.Series | pd.Index) -> np.ndarray:
    """What ``analysis.metrics.decimal_year`` computed: pandas parses, the calendar counts."""
    return decimal_years(pd.DatetimeIndex(pd.to_datetime(np.asarray(dates))).to_numpy())


def test_decimal_years_takes_a_pandas_series_or_index_of_text_or_datetimes() -> None:
    text = ["2021-07-02", "2000-03-01", "2020-12-31", "1999-12-31", "1960-07-02"]
    by_hand = [2021 + 182 / 365, 2000 + 60 / 366, 2020 + 365 / 366, 1999 + 364 / 365, 1960.5]
    stamps = pd.to_datetime(text)
    for dates in (
        pd.Series(text),
        pd.Index(text),
        pd.Series(text, dtype="string"),
        pd.Series(stamps),
        stamps,
        pd.Series(list(stamps.to_pydatetime()), dtype=object),
        pd.Series([dt.date.fromisoformat(d) for d in text]),
    ):
        assert decimal_years(dates).tolist() == by_hand, dates
        assert decimal_years(dates).tolist() == _former_analysis_decimal_year(dates).tolist()


def test_decimal_years_drops_a_time_of_day() -> None:
    """A datetime late on 2 July is still day 182 of 2021, as ISO text, datetime or datetime64."""
    expected = [2021 + 182 / 365, 1960.5]
    late = ["2021-07-02T23:59:59", "1960-07-02T13:45:00"]
    stamps = pd.to_datetime(late)
    for dates in (
        pd.Series(late),
        pd.Index(late),
        pd.Series(stamps),
        stamps,
        pd.Series([dt.datetime(2021, 7, 2, 23, 59, 59), dt.datetime(1960, 7, 2, 13, 45)]),
        [dt.datetime(2021, 7, 2, 23, 59, 59), dt.datetime(1960, 7, 2, 13, 45)],
    ):
        assert decimal_years(dates).tolist() == expected, dates
    # text with and without a time, which pandas would not parse in one format
    mixed = pd.Series(["2021-07-02", "1960-07-02T13:45:00"])
    assert decimal_years(mixed).tolist() == expected


def test_decimal_years_equal_the_former_analysis_version_on_many_dates_and_times() -> None:
    """Every day of 1996-2051 at a random time of day: the same values, bit for bit."""
    rng = np.random.default_rng(3)
    days = np.arange("1996-01-01", "2052-01-01", dtype="datetime64[D]")
    seconds = rng.integers(0, 86_400, days.size).astype("timedelta64[s]")
    stamps = pd.DatetimeIndex(days.astype("datetime64[s]") + seconds)
    text = pd.Series(stamps.strftime("%Y-%m-%dT%H:%M:%S"))
    for dates in (text, pd.Index(text), pd.Series(stamps), stamps):
        np.testing.assert_array_equal(decimal_years(dates), _former_analysis_decimal_year(dates))
    np.testing.assert_array_equal(decimal_years(text), decimal_years(days))


def test_metrics_decimal_year_is_a_deprecated_alias_of_calendar_decimal_years() -> None:
    """``analysis.metrics.decimal_year`` imports for one release, warning, as ``decimal_years``."""
    import influence_sim.analysis.metrics as metrics

    with pytest.warns(DeprecationWarning, match=r"metrics\.decimal_year is now influence_sim\."):
        alias = metrics.decimal_year
    assert alias is decimal_years
    assert "decimal_year" not in metrics.__all__
    dates = pd.Series(["2021-07-02T00:00:00", "2023-07-01T12:00:00"])
    with pytest.warns(DeprecationWarning, match="calendar.decimal_years"):
        from influence_sim.analysis.metrics import decimal_year as imported
    assert imported(dates).tolist() == _former_analysis_decimal_year(dates).tolist()
    with pytest.raises(AttributeError):
        _ = metrics.decimal_yearz


def test_check_random_state_accepts_each_kind_without_global_state() -> None:
    g = np.random.default_rng(5)
    assert check_random_state(g) is g
    assert check_random_state(5).random() == np.random.default_rng(5).random()
    seq = as_seed_sequence(7)
    assert check_random_state(seq).random() == np.random.default_rng(seq).random()
