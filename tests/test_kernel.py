"""Tests of the array kernel: each mechanism on hand-made arrays, then the model's responses.

The first part feeds every function of ``influence_sim.kernel.mechanisms`` small arrays whose
answer can be worked out by hand. The second part runs the whole model for ten years through
``RunBatch`` and checks that changing one input moves the outcome in the direction, and by
roughly the amount, the mechanism behind it says, against a baseline with the same seeds.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

from influence_sim import seeds as sd
from influence_sim.calendar import Clock
from influence_sim.engine import RunBatch
from influence_sim.initial import build, default_dims
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import ECON, SEC, FloatArray, GravityWeights
from influence_sim.kernel.step import demand_of, make_offers, trade_equilibrium
from influence_sim.paths import resolve
from influence_sim.rng import replicate_seeds
from influence_sim.timeline import Operation, OpKind, Timeline

# --------------------------------------------------------------------------- unit tests


def test_step_fraction_compounds_to_the_annual_rate() -> None:
    """Four quarterly fractions close the same gap as one annual rate."""
    rate = np.array([0.0, 0.1, 0.3, 0.9])
    quarter = mech.step_fraction(rate, 0.25)
    assert np.allclose(1.0 - (1.0 - quarter) ** 4, rate, atol=1e-14)
    assert np.allclose(mech.step_fraction(rate, 1.0), rate)
    assert np.all(quarter < rate + 1e-15)


def test_step_fraction_clips_rates_to_unit_interval() -> None:
    """Rates outside [0, 1] are clipped: a negative rate closes nothing, a rate above 1 all."""
    out = mech.step_fraction(np.array([-0.5, 1.5]), 0.25)
    assert out.tolist() == [0.0, 1.0]


def test_update_threat_closes_half_the_gap_in_one_halflife() -> None:
    """After one half-life, threat has closed half the gap to exposure times instability."""
    threat = np.array([[0.1, 0.0, 0.5]])
    exposure = np.array([[1.0, 0.5, 0.2]])
    instability = np.array([0.9])
    halflife = np.array([2.0])
    level = exposure * instability[:, None]
    one_step = mech.update_threat(threat, instability, exposure, halflife, 2.0)
    assert np.allclose(one_step, threat + 0.5 * (level - threat), atol=1e-14)
    # the same half-life in eight quarter steps gives the same answer
    stepped = threat
    for _ in range(8):
        stepped = mech.update_threat(stepped, instability, exposure, halflife, 0.25)
    assert np.allclose(stepped, one_step, atol=1e-14)


def test_update_threat_rests_at_its_level() -> None:
    """Threat already at exposure times instability does not move."""
    exposure = np.array([[1.0, 0.3]])
    instability = np.array([0.4])
    level = exposure * instability[:, None]
    out = mech.update_threat(level, instability, exposure, np.array([1.0]), 0.25)
    assert np.allclose(out, level, atol=1e-15)


def test_security_demand_doubles_at_unit_elasticity_and_threat() -> None:
    """Arms imports are A0 (1 + eta theta): double at eta = theta = 1, unchanged at theta = 0."""
    arms_base = np.array([[2.0, 0.5, 1.0]])
    threat = np.array([[1.0, 0.0, 0.5]])
    out = mech.security_demand(arms_base, threat, np.array([1.0]))
    assert np.allclose(out, [[4.0, 0.5, 1.5]])
    flat = mech.security_demand(arms_base, threat, np.array([0.0]))
    assert np.array_equal(flat, arms_base)


def test_grow_size_compounds_at_the_log_rate() -> None:
    """GDP grows by exp(g) a year whatever the step length."""
    gdp = np.array([[10.0, 20.0], [5.0, 1.0]])
    growth = np.array([[0.03, -0.1], [0.0, 0.2]])
    annual = mech.grow_size(gdp, growth, 1.0)
    assert np.allclose(annual, gdp * np.exp(growth))
    quarterly = gdp
    for _ in range(4):
        quarterly = mech.grow_size(quarterly, growth, 0.25)
    assert np.allclose(quarterly, annual, rtol=1e-13)


def test_restraint_hits_only_the_masked_entries() -> None:
    """Restraint lowers only the masked (power, domain) entries, by r_max * c * T."""
    mask = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    trust = np.array([0.8, 1.0, 0.0])
    coordination = np.array([0.5, 1.0, 1.0])
    r_max = np.array([0.5, 0.5, 0.5])
    out = mech.restraint(trust, coordination, r_max, mask)
    assert out.shape == (3, 3, 2)
    expected_level = r_max * coordination * trust
    for b in range(3):
        assert np.allclose(out[b][mask == 1.0], 1.0 - expected_level[b])
        assert np.all(out[b][mask == 0.0] == 1.0)
    assert np.allclose(out[0, 0, 1], 0.8)  # 1 - 0.5 * 0.5 * 0.8


def test_restraint_level_is_clipped() -> None:
    """Restraint never makes a negative multiplier, even if r_max * c * T exceeds 1."""
    mask = np.array([[1.0, 1.0]])
    out = mech.restraint(np.array([1.0]), np.array([1.0]), np.array([3.0]), mask)
    assert np.all(out == 0.0)


def _offer_inputs() -> dict[str, FloatArray]:
    """Two states, two powers: state 1 has three times the demand of state 0 in both domains."""
    return {
        "capacity": np.array([[[2.0, 1.0], [1.0, 4.0]]]),
        "priority": np.array([[0.5, 1.0]]),
        "doctrine": np.array([[0.25, 0.75]]),
        "restraint_factor": np.array([[[1.0, 0.6], [0.8, 1.0]]]),
        "demand": np.array([[[1.0, 2.0], [3.0, 6.0]]]),
        "share": np.full((1, 2, 3, 2), 1.0 / 3.0),
        "entry_share": np.array([0.05]),
        "noise": np.zeros((1, 2, 2, 2)),
        "noise_sd": np.array([0.0]),
    }


def test_allocate_offers_effort_formula() -> None:
    """Effort is priority times capacity times restraint, and doctrine for security only."""
    args = _offer_inputs()
    _, effort = mech.allocate_offers(**args)
    expected = np.array(
        [
            [
                [0.5 * 2.0 * 1.0, 0.5 * 0.25 * 1.0 * 0.6],
                [1.0 * 1.0 * 0.8, 1.0 * 0.75 * 4.0 * 1.0],
            ]
        ]
    )
    assert np.allclose(effort, expected)
    # no shared budget: a larger security emphasis costs no economic effort
    more = mech.allocate_offers(**{**args, "doctrine": np.array([[0.9, 0.9]])})[1]
    assert np.allclose(more[..., 0], effort[..., 0])
    assert np.all(more[..., 1] > effort[..., 1])


def test_allocate_offers_conserves_effort_and_follows_demand() -> None:
    """Offers over states sum to each power's effort, and the bigger market gets more."""
    args = _offer_inputs()
    offers, effort = mech.allocate_offers(**args)
    assert np.allclose(offers.sum(axis=1), effort, rtol=1e-14)
    # equal shares everywhere: offers split exactly in proportion to demand (1 : 3)
    assert np.allclose(offers[:, 1] / offers[:, 0], 3.0)


def test_allocate_offers_conserves_effort_with_noise_and_uneven_shares() -> None:
    """Noise and uneven shares reallocate effort between states but never create or lose any."""
    rng = np.random.default_rng(3)
    args = _offer_inputs()
    share = rng.dirichlet(np.ones(3), size=(1, 2, 2)).transpose(0, 1, 3, 2)
    args.update(share=share, noise=rng.standard_normal((1, 2, 2, 2)), noise_sd=np.array([0.5]))
    offers, effort = mech.allocate_offers(**args)
    assert np.allclose(offers.sum(axis=1), effort, rtol=1e-13)
    assert np.all(offers >= 0.0)


def test_allocate_offers_favours_states_where_the_power_holds_more() -> None:
    """With equal demand, a power sends more to the state where its share plus entry is higher."""
    args = _offer_inputs()
    args["demand"] = np.ones((1, 2, 2))
    share = np.full((1, 2, 3, 2), 1.0 / 3.0)
    share[0, 1, 0, :] = 0.6  # power 0 holds more of state 1
    share[0, 1, 2, :] = 1.0 - 0.6 - 1.0 / 3.0
    args["share"] = share
    offers, _ = mech.allocate_offers(**args)
    ratio = offers[0, 1, 0] / offers[0, 0, 0]
    assert np.allclose(ratio, (0.6 + 0.05) / (1.0 / 3.0 + 0.05))


def test_allocate_offers_noise_multiplies_the_value_by_exp_sigma_z() -> None:
    """Noise multiplies each state's expected return by exp(sigma z) (median one).

    Only ratios between states are observable here: a constant factor such as a mean-one
    correction exp(-sigma^2 / 2) would cancel in the allocation.
    """
    args = _offer_inputs()
    args["demand"] = np.ones((1, 2, 2))
    sigma = 0.4
    z = np.zeros((1, 2, 2, 2))
    z[0, 1] = 1.0  # state 1 drawn one sd high, state 0 at zero
    args.update(noise=z, noise_sd=np.array([sigma]))
    offers, _ = mech.allocate_offers(**args)
    assert np.allclose(offers[0, 1] / offers[0, 0], np.exp(sigma))


def _attraction_inputs() -> dict[str, FloatArray]:
    """One state, two suppliers plus rest of world, with every term switched on."""
    return {
        "offers": np.array([[[0.5, 4.0]]]),
        "share": np.array([[[0.2, 0.7, 0.1]]]),
        "ties": np.array([[[0.5, 1.5, 0.0]]]),
        "hedging": np.array([[0.4]]),
        "threat": np.array([[0.6]]),
        "presence": np.array([[[0.3, 1.0]]]),
        "credibility": np.array([[[0.25, 0.1]]]),
        "offer_sensitivity": np.array([1.5]),
        "hedging_weight": np.array([2.0]),
        "tie_weight": np.array([0.7]),
        "presence_weight": np.array([1.5]),
        "credibility_weight": np.array([2.0]),
    }


def test_supplier_attraction_terms_match_the_equation() -> None:
    """Every term of U = beta log O + w_tie L - kappa h x + w_pres theta M + w_cred Q."""
    a = _attraction_inputs()
    out = mech.supplier_attraction(**a)
    beta, kappa, h = 1.5, 2.0, 0.4
    for p in range(2):
        expected = (
            beta * np.log(a["offers"][0, 0, p])
            + 0.7 * a["ties"][0, 0, p]
            - kappa * h * a["share"][0, 0, p]
            + 1.5 * 0.6 * a["presence"][0, 0, p]
            + 2.0 * a["credibility"][0, 0, p]
        )
        assert np.isclose(out[0, 0, p], expected)
    # rest of world: only its treaty tie (zero here), no offer, hedging or security term
    assert np.isclose(out[0, 0, 2], 0.7 * a["ties"][0, 0, 2])


def test_supplier_attraction_hedging_penalises_the_dominant_supplier_more() -> None:
    """Raising hedging lowers a power's attraction by kappa * dh * share: most for the leader."""
    a = _attraction_inputs()
    low = mech.supplier_attraction(**a)
    a["hedging"] = np.array([[0.9]])
    high = mech.supplier_attraction(**a)
    drop = low - high
    assert np.allclose(drop[0, 0, :2], 2.0 * 0.5 * a["share"][0, 0, :2])
    assert np.isclose(drop[0, 0, 2], 0.0)


def test_supplier_attraction_presence_scales_with_threat() -> None:
    """Military presence adds attraction in proportion to threat."""
    a = _attraction_inputs()
    base = mech.supplier_attraction(**{**a, "presence": np.zeros((1, 1, 2))})
    gain = mech.supplier_attraction(**a) - base
    assert np.allclose(gain[0, 0, :2], 1.5 * 0.6 * np.array([0.3, 1.0]))
    doubled = mech.supplier_attraction(**{**a, "threat": np.array([[1.2]])}) - base
    assert np.allclose(doubled[0, 0, :2], 2.0 * gain[0, 0, :2])


def test_supplier_attraction_tolerates_zero_offers() -> None:
    """A zero offer gives a very low but finite attraction."""
    a = _attraction_inputs()
    a["offers"] = np.zeros((1, 1, 2))
    out = mech.supplier_attraction(**a)
    assert np.all(np.isfinite(out))
    assert np.all(out[0, 0, :2] < -100.0)


def test_softmax_partners_lies_on_the_simplex() -> None:
    """Softmax shares are positive, sum to one and keep the order of the utilities."""
    rng = np.random.default_rng(0)
    u = rng.normal(scale=3.0, size=(4, 5, 4, 2))
    x = mech.softmax_partners(u)
    assert np.all(x > 0.0)
    assert np.allclose(x.sum(axis=2), 1.0, atol=1e-14)
    assert np.array_equal(np.argsort(u, axis=2), np.argsort(x, axis=2))


def test_softmax_partners_is_shift_invariant_and_stable() -> None:
    """Adding a constant changes nothing, and huge utilities do not overflow."""
    u = np.array([[[[0.0, 1.0], [1.0, 2.0], [2.0, 0.0]]]])
    x = mech.softmax_partners(u)
    assert np.allclose(mech.softmax_partners(u + 1000.0), x, atol=1e-15)
    assert np.allclose(mech.softmax_partners(u - 1000.0), x, atol=1e-15)
    e = np.exp(u[0, 0, :, 0])
    assert np.allclose(x[0, 0, :, 0], e / e.sum())


def _shares(*columns: list[float]) -> FloatArray:
    """A ``(1, 1, K, 2)`` share array from an economic and a security profile."""
    return np.array(columns, dtype=float).T[None, None]


def test_adjust_shares_closes_the_step_fraction_of_the_gap() -> None:
    """Without ties, shares close 1 - (1 - r_d)^dt of the gap, economics faster than security."""
    share = _shares([0.5, 0.3, 0.2], [0.6, 0.3, 0.1])
    target = _shares([0.2, 0.5, 0.3], [0.2, 0.5, 0.3])
    ties = np.zeros_like(share)
    out = mech.adjust_shares(
        share, target, np.array([0.3]), np.array([0.1]), ties, np.array([0.5]), 0.25
    )
    f_econ = 1.0 - 0.7**0.25
    f_sec = 1.0 - 0.9**0.25
    assert np.allclose(out[..., ECON], share[..., ECON] + f_econ * (target - share)[..., ECON])
    assert np.allclose(out[..., SEC], share[..., SEC] + f_sec * (target - share)[..., SEC])
    assert np.allclose(out.sum(axis=2), 1.0, atol=1e-15)


def test_adjust_shares_is_slowed_by_ties_and_stickiness() -> None:
    """A full tie with stickiness 0.5 halves the annual rate; more stickiness moves less."""
    share = _shares([0.5, 0.3, 0.2], [0.6, 0.3, 0.1])
    target = _shares([0.2, 0.5, 0.3], [0.2, 0.5, 0.3])
    ties = np.zeros_like(share)
    ties[0, 0, 1, SEC] = 1.0  # a full security tie to partner 1
    rates = (np.array([0.3]), np.array([0.2]))

    def moved(stickiness: float) -> float:
        out = mech.adjust_shares(share, target, *rates, ties, np.array([stickiness]), 1.0)
        return float(np.abs(out - share)[..., SEC].sum())

    free = moved(0.0)
    assert free > moved(0.5) > moved(1.0)
    assert moved(1.0) < 1e-12  # a full tie at full stickiness freezes the profile
    assert np.isclose(moved(0.5), 0.5 * free)  # annual step: fraction equals the slowed rate
    # the economic domain has no tie here, so stickiness does not slow it
    out = mech.adjust_shares(share, target, *rates, ties, np.array([1.0]), 1.0)
    assert np.allclose(out[..., ECON], share[..., ECON] + 0.3 * (target - share)[..., ECON])


def test_adjust_shares_stays_on_the_simplex() -> None:
    """Random shares, targets and rates always give a profile on the simplex."""
    rng = np.random.default_rng(1)
    share = rng.dirichlet(np.ones(4), size=(3, 5, 2)).transpose(0, 1, 3, 2)
    target = rng.dirichlet(np.ones(4) * 0.3, size=(3, 5, 2)).transpose(0, 1, 3, 2)
    ties = rng.uniform(0.0, 2.0, size=share.shape)
    out = mech.adjust_shares(
        share, target, rng.uniform(size=3), rng.uniform(size=3), ties, rng.uniform(size=3), 0.25
    )
    assert np.all(out >= 0.0)
    assert np.allclose(out.sum(axis=2), 1.0, atol=1e-12)


def test_update_credibility_follows_economic_share() -> None:
    """Credibility moves toward economic share by the step fraction; rate 0 freezes it."""
    cred = np.array([[[0.1, 0.6]]])
    econ = np.array([[[0.5, 0.2]]])
    out = mech.update_credibility(cred, econ, np.array([0.1]), 1.0)
    assert np.allclose(out, cred + 0.1 * (econ - cred))
    assert np.array_equal(mech.update_credibility(cred, econ, np.array([0.0]), 0.25), cred)
    assert np.allclose(mech.update_credibility(cred, econ, np.array([1.0]), 0.25), econ)


def test_update_trust_erodes_only_above_tolerance() -> None:
    """Below tolerance trust only recovers; above it, it falls by erosion times the excess."""
    trust = np.array([0.8, 0.8, 1.0, 0.05])
    china = np.array([0.2, 0.35, 0.2, 0.9])
    tol = np.full(4, 0.25)
    erosion = np.full(4, 2.0)
    recovery = np.full(4, 0.05)
    out = mech.update_trust(trust, china, tol, erosion, recovery, 0.25)
    assert np.isclose(out[0], 0.8 + 0.25 * 0.05 * 0.2)  # recovery only
    assert np.isclose(out[1], 0.8 + 0.25 * (0.05 * 0.2 - 2.0 * 0.1))
    assert out[2] == 1.0  # full trust below tolerance stays full
    assert out[3] == 0.0  # clipped at zero
    no_recovery = mech.update_trust(trust, china, tol, erosion, np.zeros(4), 0.25)
    assert np.array_equal(no_recovery[china <= tol], trust[china <= tol])


def test_grow_capacity_returns_on_regional_share() -> None:
    """Capacity grows at exp(dt (g + rho X)): trend only at rho = 0, faster with more share."""
    cap = np.array([[[1.0, 2.0], [3.0, 1.0]]])
    growth = np.array([[[0.02, 0.01], [-0.02, 0.0]]])
    share = np.array([[[0.5, 0.0], [0.1, 0.6]]])
    trend = mech.grow_capacity(cap, growth, np.array([0.0]), share, 1.0)
    assert np.allclose(trend, cap * np.exp(growth))
    out = mech.grow_capacity(cap, growth, np.array([0.1]), share, 0.25)
    assert np.allclose(out, cap * np.exp(0.25 * (growth + 0.1 * share)))
    assert np.all(
        out[share > 0.0]
        > mech.grow_capacity(cap, growth, np.array([0.0]), share, 0.25)[share > 0.0]
    )


def test_regional_share_is_volume_weighted() -> None:
    """Regional shares weigh each state's profile by its volume in that domain."""
    share = np.zeros((1, 2, 3, 2))
    share[0, 0, :, ECON] = [1.0, 0.0, 0.0]
    share[0, 1, :, ECON] = [0.0, 0.5, 0.5]
    share[0, 0, :, SEC] = [0.2, 0.8, 0.0]
    share[0, 1, :, SEC] = [0.6, 0.0, 0.4]
    volume = np.array([[[3.0, 1.0], [1.0, 3.0]]])
    out = obs.regional_share(share, volume)
    assert np.allclose(out[0, :, ECON], [0.75, 0.125, 0.125])
    assert np.allclose(out[0, :, SEC], [0.5, 0.2, 0.3])
    assert np.allclose(out.sum(axis=1), 1.0)


def test_regional_share_with_zero_volume_is_zero_not_nan() -> None:
    """A domain with no volume anywhere gives zero shares rather than NaN."""
    share = np.full((1, 2, 3, 2), 1.0 / 3.0)
    volume = np.array([[[1.0, 0.0], [2.0, 0.0]]])
    out = obs.regional_share(share, volume)
    assert np.all(out[..., SEC] == 0.0)
    assert np.allclose(out[..., ECON], 1.0 / 3.0)


def test_treaty_ties_add_up_over_memberships() -> None:
    """A state's ties are the sum of the tie weights of its organisations."""
    tie_map = np.zeros((2, 3, 2))
    tie_map[0, 1, SEC] = 1.0  # organisation 0 binds security to partner 1
    tie_map[1, 0, SEC] = 0.5  # organisation 1 binds security to partners 0 and 1
    tie_map[1, 1, SEC] = 0.5
    membership = np.array([[[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]]])
    out = mech.treaty_ties(membership, tie_map)
    assert np.allclose(out[0, 0, :, SEC], [0.5, 1.5, 0.0])
    assert np.allclose(out[0, 1, :, SEC], [0.5, 0.5, 0.0])
    assert np.all(out[0, 2] == 0.0)
    assert np.all(out[..., ECON] == 0.0)


def _gravity_inputs() -> dict[str, object]:
    b, s_, p = 1, 2, 2
    one = np.ones(b)
    return {
        "gdp": np.array([[100.0, 10.0]]),
        "partner_size": np.array([[10.0, 2.0]]),
        "ties": np.zeros((b, s_, p + 1)),
        "infrastructure": np.zeros((b, s_, p)),
        "offers": np.ones((b, s_, p)),
        "share": np.full((b, s_, p + 1), 1.0 / 3.0),
        "hedging": np.zeros((b, s_)),
        "sanctions": np.zeros((b, p)),
        "eaeu": np.array([[1.0, 0.0]]),
        "residual": np.zeros((b, s_, p + 1)),
        "weights": GravityWeights(
            gdp_elasticity=0.5 * one,
            partner_elasticity=0.25 * one,
            tie_weight=one,
            infrastructure_weight=1.1 * one,
            offer_sensitivity=0.5 * one,
            hedging_weight=2.0 * one,
            sanctions_penalty=0.3 * one,
            diversion_weight=0.5 * one,
        ),
    }


def test_gravity_equilibrium_terms_match_the_equation() -> None:
    """log T* = γ_s log Y_s + γ_k log Y_k + ... : each term moves the target by its weight."""
    g = _gravity_inputs()
    base = mech.gravity_equilibrium(**g)  # type: ignore[arg-type]
    # sizes: 0.5 log 100 + 0.25 log 10 for state 0 and power 0; rest of world has no partner term
    assert base[0, 0, 0] == pytest.approx(0.5 * np.log(100.0) + 0.25 * np.log(10.0))
    assert base[0, 0, 2] == pytest.approx(0.5 * np.log(100.0))
    bigger = mech.gravity_equilibrium(**{**g, "gdp": np.array([[200.0, 10.0]])})  # type: ignore[arg-type]
    assert np.allclose(bigger[0, 0] - base[0, 0], 0.5 * np.log(2.0))
    assert np.allclose(bigger[0, 1], base[0, 1])
    infra = np.zeros((1, 2, 2))
    infra[0, 1, 0] = 1.0
    linked = mech.gravity_equilibrium(**{**g, "infrastructure": infra})  # type: ignore[arg-type]
    assert linked[0, 1, 0] - base[0, 1, 0] == pytest.approx(1.1)
    assert np.count_nonzero(linked - base) == 1
    offers = np.ones((1, 2, 2))
    offers[0, 0, 1] = np.e
    offered = mech.gravity_equilibrium(**{**g, "offers": offers})  # type: ignore[arg-type]
    assert offered[0, 0, 1] - base[0, 0, 1] == pytest.approx(0.5)


def test_gravity_sanctions_cut_trade_with_the_sanctioned_power_and_divert_through_the_eaeu() -> (
    None
):
    """A sanctioned power loses ω_pen; EAEU members gain ω_div of it back (re-exports)."""
    g = _gravity_inputs()
    base = mech.gravity_equilibrium(**g)  # type: ignore[arg-type]
    sanctions = np.array([[0.0, 1.0]])  # power 1 fully sanctioned
    hit = mech.gravity_equilibrium(**{**g, "sanctions": sanctions})  # type: ignore[arg-type]
    change = hit - base
    # state 0 is an EAEU member: penalty and diversion; state 1 is not: penalty only
    assert change[0, 0, 1] == pytest.approx(-0.3 + 0.5)
    assert change[0, 1, 1] == pytest.approx(-0.3)
    assert change[0, 0, 2] == pytest.approx(0.0)  # purchases for re-export are not added
    assert change[0, 1, 2] == pytest.approx(0.0)
    assert change[0, 0, 0] == pytest.approx(0.0) and change[0, 1, 0] == pytest.approx(0.0)


def test_adjust_volumes_closes_the_log_gap_at_the_step_fraction() -> None:
    """log T' = log T + f (log T* - log T); with no tie the fraction is the annual rate."""
    volume = np.array([[[1.0, 4.0, 2.0]]])
    target = np.log(np.array([[[2.0, 1.0, 2.0]]]))
    ties = np.zeros((1, 1, 3))
    out = mech.adjust_volumes(volume, target, np.array([0.5]), ties, np.array([0.5]), 1.0)
    assert np.allclose(np.log(out), np.log(volume) + 0.5 * (target - np.log(volume)))
    tied = mech.adjust_volumes(
        volume, target, np.array([0.5]), np.ones((1, 1, 3)), np.array([0.5]), 1.0
    )
    assert np.allclose(np.log(tied), np.log(volume) + 0.25 * (target - np.log(volume)))


def test_supplier_standing_is_log_capacity() -> None:
    """Halving a supplier's capacity costs it ω_cap log 2 of attraction."""
    cap = np.array([[2.0, 1.0]])
    out = mech.supplier_standing(cap, np.array([1.5]))
    assert out[0, 0] - out[0, 1] == pytest.approx(1.5 * np.log(2.0))


def test_sign_contracts_keeps_the_mean_and_is_lumpy() -> None:
    """Lumpy contracts: a quarter in 8 signs 8x the demand; the mean over many draws is 1."""
    rng = np.random.default_rng(3)
    z = rng.standard_normal((20000, 1))
    demand = np.ones((20000, 1))
    rate = np.full(20000, 0.5)
    lumpy = mech.sign_contracts(demand, z, rate, np.ones(20000), 0.25)
    smooth = mech.sign_contracts(demand, z, rate, np.zeros(20000), 0.25)
    assert np.allclose(smooth, 0.25)
    assert set(np.unique(lumpy).round(12)) == {0.0, 2.0}  # 0.25 / (0.5 * 0.25)
    assert lumpy.mean() == pytest.approx(0.25, rel=0.03)
    assert (lumpy > 0).mean() == pytest.approx(0.125, abs=0.01)


def test_deliver_arms_empties_the_backlog_at_the_lead_time() -> None:
    """Deliveries are B (1 - exp(-dt / L)); what is not delivered stays in the backlog."""
    backlog = np.array([[[1.0, 2.0]]])
    orders = np.array([[[1.0, 0.0]]])
    left, delivered = mech.deliver_arms(backlog, orders, np.array([2.0]), 1.0)
    frac = 1.0 - np.exp(-0.5)
    assert np.allclose(delivered, np.array([[[2.0, 2.0]]]) * frac)
    assert np.allclose(left + delivered, backlog + orders)


def test_smooth_arms_follows_deliveries_and_stays_on_the_simplex() -> None:
    """The window moves a fraction r of the way to the deliveries' rate; shares sum to 1."""
    flow = np.array([[1.0]])
    share = np.array([[[0.8, 0.2]]])
    delivered = np.array([[[0.0, 0.25]]])  # a quarter's deliveries, all from supplier 1
    new_flow, new_share = mech.smooth_arms(flow, share, delivered, np.array([0.3]), 0.25)
    f = 1.0 - 0.7**0.25
    window = share[0, 0] * 1.0 + f * (delivered[0, 0] / 0.25 - share[0, 0])
    assert new_flow[0, 0] == pytest.approx(window.sum())
    assert np.allclose(new_share[0, 0], window / window.sum())
    assert new_share[0, 0, 1] > share[0, 0, 1]


def test_accepted_share_rises_as_russia_loses_leverage_or_is_sanctioned() -> None:
    """τ* = τ + ω_lev (1 - Λ) + ω_dep σ."""
    tau = np.array([0.25, 0.25, 0.25])
    out = mech.accepted_share(
        tau, np.array([1.0, 0.5, 1.0]), np.array([0.0, 0.0, 1.0]), np.full(3, 0.2), np.full(3, 0.2)
    )
    assert np.allclose(out, [0.25, 0.35, 0.45])


def test_coordination_equilibrium_rises_with_its_motives_and_falls_with_overreach() -> None:
    """c* = c0 + ω_θ θ̄ + ω_US U - ω_over max(0, X_C - τ*), clipped."""
    args = {
        "base": np.full(4, 0.5),
        "shared_threat": np.array([0.0, 0.4, 0.0, 0.0]),
        "us_presence": np.array([0.0, 0.0, 0.2, 0.0]),
        "china_share": np.array([0.1, 0.1, 0.1, 0.35]),
        "accepted": np.full(4, 0.25),
        "threat_weight": np.full(4, 0.5),
        "us_weight": np.full(4, 0.5),
        "overreach_weight": np.full(4, 5.0),
    }
    out = mech.coordination_equilibrium(**args)
    assert np.allclose(out, [0.5, 0.7, 0.6, 0.0])


def test_update_coordination_relaxes_to_its_target() -> None:
    """c' = c + f (c* - c)."""
    out = mech.update_coordination(np.array([1.0]), np.array([0.5]), np.array([0.3]), 1.0)
    assert out[0] == pytest.approx(1.0 - 0.3 * 0.5)


def test_protection_raises_security_effort_where_trade_is_threatened() -> None:
    """E_sec grows by (1 + λ Θ) with Θ the threat to the power's trade; economic effort not."""
    kwargs = _offer_inputs()
    base_offers, base_effort = mech.allocate_offers(**kwargs)  # type: ignore[arg-type]
    threat = np.array([[1.0, 0.0]])
    offers, effort = mech.allocate_offers(
        **kwargs,
        threat=threat,
        protection_weight=np.array([2.0]),  # type: ignore[arg-type]
    )
    assert np.allclose(effort[..., ECON], base_effort[..., ECON])
    assert np.all(effort[..., SEC] > base_effort[..., SEC])
    # offers shift toward the threatened state (state 0)
    assert np.all(
        offers[0, 0, :, SEC] / offers[0, :, :, SEC].sum(axis=0)
        > base_offers[0, 0, :, SEC] / base_offers[0, :, :, SEC].sum(axis=0)
    )


def test_mechanisms_do_not_mutate_their_inputs() -> None:
    """The mechanisms are pure: inputs are unchanged after a call."""
    a = _attraction_inputs()
    copies = {k: v.copy() for k, v in a.items()}
    mech.supplier_attraction(**a)
    b = _offer_inputs()
    copies_b = {k: v.copy() for k, v in b.items()}
    mech.allocate_offers(**b)
    for k, v in copies.items():
        assert np.array_equal(a[k], v), k
    for k, v in copies_b.items():
        assert np.array_equal(b[k], v), k


def test_every_public_mechanism_is_exported() -> None:
    """Each public function defined in the mechanisms module is listed in its __all__.

    A former name kept for one release (an alias, whose name is not the function's) is not.
    """
    defined = {
        name
        for name, obj in vars(mech).items()
        if inspect.isfunction(obj)
        and obj.__module__ == mech.__name__
        and not name.startswith("_")
        and name == obj.__name__
    }
    assert defined <= set(mech.__all__)


# --------------------------------------------------------------------------- model level

DIMS = default_dims()
START = dt.date(2021, 1, 1)
CLOCK = Clock.between(START, dt.date(2031, 1, 1), "quarter")
TAKEOVER = dt.date(2021, 8, 15)
SANCTIONS = dt.date(2022, 2, 24)
CHINA, RUSSIA = DIMS.powers.index("china"), DIMS.powers.index("russia")
STATE = {name: i for i, name in enumerate(DIMS.states)}

Shock = tuple[str, dt.date, OpKind, float]


@dataclass(frozen=True)
class Run:
    """What a ten-year run leaves behind (one run, batch axis kept)."""

    batch: RunBatch
    effort: FloatArray  # (T, B, P, D) per step
    demand: FloatArray  # (T, B, S, D) per step
    trust_before: FloatArray  # (T, B) trust at the start of each step
    regional: FloatArray  # (T, B, K, D) regional shares after each step
    wanted: FloatArray  # (T, B, S) arms demand per step
    coordination: FloatArray  # (T, B) coordination after each step

    @property
    def final_regional(self) -> FloatArray:
        """Regional shares at the end, ``(B, K, D)``."""
        return self.regional[-1]


def _simulate(overrides: Mapping[str, float], shocks: tuple[Shock, ...], seed: int) -> Run:
    state, params = build(DIMS, START, dict(overrides))
    timeline = Timeline()
    n = state.batch_size
    for path, day, kind, value in shocks:
        for target in resolve(path, DIMS):
            values, mask = np.full(n, value), np.ones(n, dtype=bool)
            timeline.add(Operation(CLOCK.step_of(day), target, kind, values, mask))
    batch = RunBatch(DIMS, CLOCK, state, params, timeline, replicate_seeds(seed, n))
    effort, demand, trust, regional, wanted, coordination = [], [], [], [], [], []
    for _ in range(CLOCK.n_steps):
        trust.append(batch.state.trust.copy())
        out = batch.advance()
        effort.append(out.effort)
        demand.append(out.demand)
        regional.append(obs.regional_share(out.state.share, out.demand))
        wanted.append(out.wanted)
        coordination.append(out.state.coordination.copy())
    return Run(
        batch,
        np.array(effort),
        np.array(demand),
        np.array(trust),
        np.array(regional),
        np.array(wanted),
        np.array(coordination),
    )


@cache
def _cached(overrides: tuple[tuple[str, float], ...], shocks: tuple[Shock, ...], seed: int) -> Run:
    return _simulate(dict(overrides), shocks, seed)


def simulate(
    overrides: Mapping[str, float] | None = None, shocks: tuple[Shock, ...] = (), seed: int = 11
) -> Run:
    """Run the default actors for ten years in quarters (cached: runs are read, never changed)."""
    return _cached(tuple(sorted((overrides or {}).items())), shocks, seed)


TAKEOVER_SHOCK: tuple[Shock, ...] = (("afghanistan.instability", TAKEOVER, "set", 0.9),)


def herfindahl(profile: FloatArray) -> FloatArray:
    """Herfindahl index over the partner axis of a ``(..., K)`` profile."""
    out: FloatArray = (profile**2).sum(axis=-1)
    return out


QUIET = {"parameters.offer_noise_sd": 0.0, "parameters.contract_lumpiness": 0.0}
"""The expected path: no offer noise, arms bought smoothly (formulas hold exactly)."""


def quiet(**more: float) -> dict[str, float]:
    """The expected path with further overrides (dotted paths with ``__`` for dots)."""
    return {**QUIET, **{k.replace("__", "."): v for k, v in more.items()}}


def test_takeover_raises_tajik_arms_demand_more_than_kazakh() -> None:
    """(a) The Taliban takeover raises Tajikistan's arms demand more than Kazakhstan's."""
    base = simulate(QUIET).wanted[-1, 0]
    shock = simulate(QUIET, shocks=TAKEOVER_SHOCK).wanted[-1, 0]
    taj, kaz = STATE["tajikistan"], STATE["kazakhstan"]
    rel = shock / base - 1.0
    assert rel[taj] > 10.0 * rel[kaz] > 0.0
    # near the new steady state: (1 + eta e 0.9) / (1 + eta e I0) - 1, with the elasticity,
    # exposures and starting instability of the seed tables
    state, params = build(DIMS, START)
    eta, start = float(params.security_demand_elasticity[0]), float(state.instability[0])
    exposure = params.threat_exposure[0]
    expected = (1.0 + eta * exposure * 0.9) / (1.0 + eta * exposure * start) - 1.0
    assert rel[taj] == pytest.approx(expected[taj], abs=0.01)
    assert rel[kaz] == pytest.approx(expected[kaz], abs=0.002)
    # deliveries follow the demand after the lead time
    flows = simulate(QUIET, shocks=TAKEOVER_SHOCK).demand[-1, 0, :, SEC]
    assert flows[taj] / simulate(QUIET).demand[-1, 0, taj, SEC] - 1.0 > 0.3


def test_takeover_acts_from_the_step_after_the_event() -> None:
    """(a) Arms demand is identical to the baseline before the takeover step and higher after."""
    k = CLOCK.step_of(TAKEOVER)
    base = simulate().wanted[:, 0, STATE["tajikistan"]]
    shock = simulate(shocks=TAKEOVER_SHOCK).wanted[:, 0, STATE["tajikistan"]]
    # wanted[t] is the demand of the transition into step t + 1
    assert np.array_equal(shock[: k - 1], base[: k - 1])
    assert np.all(shock[k - 1 :] > base[k - 1 :])


def test_coordination_restrains_china_security_effort_by_the_formula() -> None:
    """(b) Coordination cuts China's security effort by the restraint formula's ratio."""
    base = simulate(QUIET)
    coord = simulate(
        quiet(relations__china__russia__coordination=1.0, parameters__coordination=1.0)
    )
    ratio = coord.effort[0, 0, CHINA, SEC] / base.effort[0, 0, CHINA, SEC]
    state, params = build(DIMS, START)
    r_max, trust = float(params.restraint_max[0]), float(state.trust[0])
    c_base = base.coordination[0, 0]
    c_full = coord.coordination[0, 0]
    formula = (1.0 - r_max * c_full * trust) / (1.0 - r_max * c_base * trust)
    assert ratio == pytest.approx(formula, rel=1e-9)
    assert ratio < 1.0
    econ = coord.effort[0, 0, CHINA, ECON] / base.effort[0, 0, CHINA, ECON]
    assert econ == pytest.approx(1.0, rel=1e-12)


def test_coordination_lowers_china_regional_security_share() -> None:
    """(b) Full coordination lowers China's regional security share after ten years, through
    restraint, when credibility is held (with spillover on, the restraint of Russia's economic
    effort raises China's trade share and so its credibility, and the two nearly cancel)."""
    frozen = {"parameters.spillover_rate": 0.0}
    base = simulate(frozen).final_regional[0, CHINA, SEC]
    coord = simulate({**frozen, "parameters.coordination": 1.0}).final_regional[0, CHINA, SEC]
    assert base - coord > 0.005


def test_afghan_threat_raises_coordination() -> None:
    """(b) The takeover raises the coordination China and Russia seek (the shared threat)."""
    calm = quiet(parameters__coordination_overreach_weight=0.0)
    base = simulate(calm).coordination[-1, 0]
    shock = simulate(calm, shocks=TAKEOVER_SHOCK).coordination[-1, 0]
    state, params = build(DIMS, START)
    weight = float(params.coordination_threat_weight[0])
    exposure = params.threat_exposure[0].mean()
    # the region's mean threat rises by (0.9 - I0) times the mean exposure
    rise = 0.9 - float(state.instability[0])
    assert shock - base == pytest.approx(weight * rise * exposure, rel=0.1)
    off = {**calm, "parameters.coordination_threat_weight": 0.0}
    assert simulate(off, shocks=TAKEOVER_SHOCK).coordination[-1, 0] == pytest.approx(
        simulate(off).coordination[-1, 0], abs=1e-3
    )


def test_us_presence_raises_coordination() -> None:
    """(b) A US base in Uzbekistan raises China-Russia coordination (keeping the US out)."""
    base = simulate(QUIET).coordination[-1, 0]
    base_us = simulate(quiet(states__uzbekistan__presence__united_states=1.0)).coordination[-1, 0]
    # the added presence averaged over the states times coordination_us_weight
    state, params = build(DIMS, START)
    added = 1.0 - state.presence[0, STATE["uzbekistan"], DIMS.powers.index("united_states")]
    expected = float(params.coordination_us_weight[0]) * added / DIMS.n_states
    assert base_us - base == pytest.approx(expected, abs=0.04)


def test_chinese_overreach_cuts_coordination_and_russia_competes() -> None:
    """(b) With a low accepted share, China's arms share cuts coordination; Russia pushes back."""
    base = simulate(QUIET)
    low = simulate(quiet(parameters__trust_tolerance=0.0))
    assert low.coordination[-1, 0] < base.coordination[-1, 0] - 0.2
    assert low.effort[-1, 0, RUSSIA, SEC] > 1.05 * base.effort[-1, 0, RUSSIA, SEC]


def test_sanctions_lower_russia_regional_trade_share() -> None:
    """(c) Halving Russia's economic capacity in 2022 cuts its regional trade share clearly."""
    base = simulate()
    sanctioned = simulate(shocks=(("powers.russia.economic_capacity", SANCTIONS, "scale", 0.5),))
    drop = base.final_regional[0, RUSSIA, ECON] - sanctioned.final_regional[0, RUSSIA, ECON]
    assert drop > 0.01
    k = CLOCK.step_of(SANCTIONS)
    effort_ratio = sanctioned.effort[k - 1, 0, RUSSIA, ECON] / base.effort[k - 1, 0, RUSSIA, ECON]
    assert effort_ratio == pytest.approx(0.5, rel=1e-12)
    before = sanctioned.effort[: k - 1, 0, RUSSIA, ECON]
    assert np.array_equal(before, base.effort[: k - 1, 0, RUSSIA, ECON])


def test_sanctions_divert_trade_through_eaeu_members() -> None:
    """(c) Sanctions raise Kazakhstan's and Kyrgyzstan's trade with Russia (re-exports) when
    diversion is on, and cut it when it is off; non-members only lose."""
    shock = (("powers.russia.sanctions", SANCTIONS, "set", 1.0),)
    base = simulate(QUIET)
    on = simulate(QUIET, shocks=shock)
    off = simulate(quiet(parameters__diversion_weight=0.0), shocks=shock)

    def with_russia(run: Run) -> FloatArray:
        return run.demand[-1, 0, :, ECON] * run.batch.state.share[0, :, RUSSIA, ECON]

    kz, uz = STATE["kazakhstan"], STATE["uzbekistan"]
    assert with_russia(on)[kz] > with_russia(base)[kz]
    assert with_russia(off)[kz] < with_russia(base)[kz]
    assert with_russia(on)[uz] < with_russia(base)[uz]
    # net effect on Russia's regional trade is an outcome of the two weights
    assert with_russia(on).sum() > with_russia(off).sum()


def test_supplier_capacity_cut_moves_arms_purchases_elsewhere() -> None:
    """(i) Halving Russia's security capacity lowers its regional arms share (states buy
    elsewhere), by more with a larger supplier_capacity_weight."""
    shock = (("powers.russia.security_capacity", SANCTIONS, "scale", 0.5),)
    base = simulate(QUIET).final_regional[0, RUSSIA, SEC]
    cut = simulate(QUIET, shocks=shock).final_regional[0, RUSSIA, SEC]
    strong = simulate(quiet(parameters__supplier_capacity_weight=3.0), shocks=shock)
    strong_base = simulate(quiet(parameters__supplier_capacity_weight=3.0))
    assert base - cut > 0.02
    assert (strong_base.final_regional[0, RUSSIA, SEC] - strong.final_regional[0, RUSSIA, SEC]) > (
        base - cut
    )


def test_lumpy_contracts_keep_the_mean_level_of_arms_imports() -> None:
    """(i) Lumpiness changes the timing of deliveries, not their level over ten years."""
    lumpy = [simulate(seed=s).demand[:, 0, :, SEC].sum() for s in range(1, 33)]
    smooth = simulate({"parameters.contract_lumpiness": 0.0}).demand[:, 0, :, SEC].sum()
    assert np.mean(lumpy) == pytest.approx(smooth, rel=0.1)
    path = simulate(seed=1).demand[:, 0, STATE["turkmenistan"], SEC]
    smooth_path = simulate({"parameters.contract_lumpiness": 0.0}).demand[
        :, 0, STATE["turkmenistan"], SEC
    ]
    assert np.std(np.diff(path)) > 3.0 * np.std(np.diff(smooth_path))


def test_infrastructure_raises_trade_with_the_linked_power() -> None:
    """(d) A full pipeline link to China raises Kyrgyzstan's trade with China by about
    exp(ω_inf) toward the new target."""
    kg = STATE["kyrgyzstan"]
    base = simulate(QUIET)
    linked = simulate(quiet(states__kyrgyzstan__infrastructure__china=1.0))

    def china(run: Run) -> float:
        return float(run.demand[-1, 0, kg, ECON] * run.batch.state.share[0, kg, CHINA, ECON])

    ratio = china(linked) / china(base)
    assert ratio > 1.5


def test_hedging_lowers_concentration_in_every_state() -> None:
    """(d) Full hedging lowers the Herfindahl index of every state's security profile."""
    base = herfindahl(simulate().batch.state.share[0, :, :, SEC])
    hedged = herfindahl(simulate({"states.*.hedging": 1.0}).batch.state.share[0, :, :, SEC])
    assert np.all(hedged < base)
    # the least hedging states of the seed tables move the most, the most hedging one less
    drop = base - hedged
    order = np.argsort(build(DIMS, START)[1].hedging[0], kind="stable")
    assert drop[order[0]] > 0.02
    assert drop[order[1]] > 0.02
    assert drop[order[-1]] < drop[order[0]]


def test_spillover_raises_china_security_share() -> None:
    """(e) A faster spillover of economic weight into credibility raises China's security share."""
    shares = [
        simulate({"parameters.spillover_rate": rate}).final_regional[0, CHINA, SEC]
        for rate in (0.0, 0.1, 1.0)
    ]
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] - shares[0] > 0.001


def test_spillover_moves_china_credibility_toward_its_trade_share() -> None:
    """(e) With spillover, China's credibility in each state rises with its growing trade share."""
    start_cred = build(DIMS, START)[0].credibility[0, :, CHINA]
    frozen = simulate({"parameters.spillover_rate": 0.0}).batch.state.credibility[0, :, CHINA]
    moving = simulate({"parameters.spillover_rate": 1.0}).batch.state.credibility[0, :, CHINA]
    assert np.array_equal(frozen, start_cred)
    assert np.all(moving > start_cred + 0.01)


def test_low_tolerance_erodes_trust() -> None:
    """(f) With a tolerance of 0.1, China's arms share erodes trust well below its start."""
    initial = build(DIMS, START)[0].trust[0]
    low = simulate({"parameters.trust_tolerance": 0.1}).batch.state.trust[0]
    base = simulate().batch.state.trust[0]
    assert low < initial - 0.3
    assert base > initial  # under the default tolerance trust only recovers


def test_lower_trust_raises_china_security_effort() -> None:
    """(f) Eroded trust weakens restraint, so China puts more effort into security."""
    base = simulate(QUIET)
    low = simulate(quiet(parameters__trust_tolerance=0.1))
    ratio = low.effort[-1, 0, CHINA, SEC] / base.effort[-1, 0, CHINA, SEC]
    assert ratio > 1.08
    # the restraint formula explains most of it: (1 - r c T_low) / (1 - r c T_base)
    r = float(build(DIMS, START)[1].restraint_max[0])

    def held(run: Run) -> float:
        return float(1.0 - r * run.coordination[-1, 0] * run.trust_before[-1, 0])

    assert ratio == pytest.approx(held(low) / held(base), rel=0.1)


def test_return_rate_grows_capacities_faster() -> None:
    """(g) A positive return rate grows capacities faster than trend alone, by exp(rho sum X)."""
    flat = simulate({"parameters.return_rate": 0.0})
    rho = 0.2
    returns = simulate({"parameters.return_rate": rho})
    cap0 = flat.batch.state.capacity[0]
    cap1 = returns.batch.state.capacity[0]
    assert np.all(cap1 > cap0)
    # log ratio is exactly rho * dt * sum of the regional shares the run held at the start of
    # each step (the starting shares, then those after each step but the last)
    state, _ = build(DIMS, START, {"parameters.return_rate": rho})
    first = obs.regional_share(state.share, np.stack([state.trade, state.arms_flow], -1))[0]
    held = (first + returns.regional[:-1, 0].sum(axis=0))[: DIMS.n_powers, :] * CLOCK.dt
    assert np.allclose(np.log(cap1 / cap0), rho * held, rtol=1e-9)
    assert np.log(cap1[RUSSIA, SEC] / cap0[RUSSIA, SEC]) > 1.0  # Russia holds ~60% of arms


def test_takeover_raises_russia_security_share_in_tajikistan() -> None:
    """(h) Under the takeover Russia's security share in Tajikistan ends higher than baseline."""
    taj = STATE["tajikistan"]
    base = simulate().batch.state.share[0, taj, RUSSIA, SEC]
    shock = simulate(shocks=TAKEOVER_SHOCK).batch.state.share[0, taj, RUSSIA, SEC]
    assert shock - base > 0.02


def test_zero_noise_makes_seeds_irrelevant() -> None:
    """(i) With no offer noise and smooth contracts, runs with different seeds are identical."""
    a = simulate(QUIET, seed=1).batch.state
    b = simulate(QUIET, seed=2).batch.state
    assert np.array_equal(a.share, b.share)
    assert np.array_equal(a.capacity, b.capacity)
    assert np.array_equal(a.trust, b.trust)


def test_noise_makes_seeds_matter() -> None:
    """(i) With offer_noise_sd > 0, runs with different seeds differ."""
    a = simulate(seed=1).batch.state
    b = simulate(seed=2).batch.state
    assert np.abs(a.share - b.share).max() > 1e-3


def _final_shares(dims, overrides: Mapping[str, float]) -> FloatArray:
    """Regional shares ``(K, D)`` after ten quarterly years of one run of ``dims``, no shocks."""
    state, params = build(dims, START, dict(overrides))
    batch = RunBatch(dims, CLOCK, state, params, Timeline(), replicate_seeds(5, state.batch_size))
    for _ in range(CLOCK.n_steps):
        out = batch.advance()
    return obs.regional_share(out.state.share, out.demand)[0]


def test_exclusion_keeps_third_powers_out_only_beside_a_china_russia_pair() -> None:
    """(e) Exclusion lowers the third powers' shares while China and Russia coordinate; with
    Russia out of the run there is no pair and no third power, so its weight changes nothing
    (before, every remaining power, China too, lost attraction to the rest of the world)."""
    us = DIMS.powers.index("united_states")
    strong = {"parameters.exclusion_weight": 3.0, "parameters.coordination": 1.0}
    none = {"parameters.exclusion_weight": 0.0, "parameters.coordination": 1.0}
    both_strong, both_none = _final_shares(DIMS, strong), _final_shares(DIMS, none)
    assert both_none[us, SEC] - both_strong[us, SEC] > 0.005
    assert both_none[us, ECON] - both_strong[us, ECON] > 0.001
    alone = sd.default_dims(powers=("china", "united_states"))
    np.testing.assert_array_equal(_final_shares(alone, strong), _final_shares(alone, none))


def test_sanctions_divert_trade_only_through_a_customs_union_with_the_sanctioned_power() -> None:
    """(d) Sanctions on Russia divert trade through the EAEU members, whose customs union binds
    them to Russia: there the change of log equilibrium trade is -ω_pen + ω_div, elsewhere
    -ω_pen. Sanctions on a power outside that union (the United States, China) cut trade with it
    by ω_pen in members and non-members alike (before, the EAEU members' trade with any
    sanctioned power rose by ω_div - ω_pen)."""
    state, params = build(DIMS, START)
    noise = np.zeros((1, DIMS.n_states, DIMS.n_powers, 2))
    offers, _ = make_offers(state, params, demand_of(state, params), noise)
    ties = mech.treaty_ties(state.membership, params.tie_map)

    def log_trade(sanctioned: str | None) -> FloatArray:
        hit = state.copy()
        if sanctioned is not None:
            hit.sanctions[0, DIMS.powers.index(sanctioned)] = 1.0
        return trade_equilibrium(hit, params, DIMS, hit.gdp, offers, hit.coordination, ties)[0]

    base = log_trade(None)
    penalty, diversion = float(params.sanctions_penalty[0]), float(params.diversion_weight[0])
    assert diversion > penalty  # so the members' trade with Russia rises under sanctions
    kaz, uzb = STATE["kazakhstan"], STATE["uzbekistan"]  # an EAEU member and a non-member
    for power in DIMS.powers:
        change = log_trade(power) - base
        p = DIMS.powers.index(power)
        gained = diversion if power == "russia" else 0.0
        assert change[kaz, p] == pytest.approx(-penalty + gained)
        assert change[uzb, p] == pytest.approx(-penalty)
        others = np.delete(change, p, axis=1)
        assert np.all(others == 0.0)
