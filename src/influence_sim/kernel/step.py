"""One model step: the mechanisms composed in their fixed order.

The step is synchronous: every mechanism reads the state at the start of the step (or the
values computed earlier in the same step, in the order listed) and the new state is returned
whole; the input state is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel.arrays import ECON, SEC, Dims, FloatArray, Params, State


@dataclass(frozen=True)
class StepOutput:
    """The new state and the intermediate quantities of one step.

    Attributes:
        state: State at the end of the step.
        demand: ``(B, S, D)`` trade and arms imports during the step, USD bn per year.
        effort: ``(B, P, D)`` effort each power put into the region.
        offers: ``(B, S, P, D)`` offers made to each state.
        target: ``(B, S, K, D)`` target shares the states chose.
    """

    state: State
    demand: FloatArray
    effort: FloatArray
    offers: FloatArray
    target: FloatArray


def demand_of(state: State, params: Params) -> FloatArray:
    """Trade and arms imports implied by a state, ``(B, S, D)`` in USD bn per year.

    Args:
        state: Current state.
        params: Parameters.

    Returns:
        ``(B, S, D)`` with trade in ``[..., 0]`` and arms imports in ``[..., 1]``.
    """
    arms = mech.security_demand(state.arms_base, state.threat, params.security_demand_elasticity)
    return np.stack([state.trade, arms], axis=-1)


def explained_attraction(
    state: State,
    params: Params,
    offers: FloatArray,
    threat: FloatArray,
    ties: FloatArray | None = None,
) -> FloatArray:
    """Attraction of every partner without the fitted affinity (mechanism d).

    Args:
        state: State whose shares, ties, presence and credibility are used.
        params: Parameters.
        offers: ``(B, S, P, D)`` offers.
        threat: ``(B, S)`` threat perception to weigh presence with.
        ties: ``(B, S, K, D)`` treaty ties if already computed (else from the memberships).

    Returns:
        ``(B, S, K, D)`` attraction.
    """
    if ties is None:
        ties = mech.treaty_ties(state.membership, params.tie_map)
    return mech.attraction(
        offers,
        state.share,
        ties,
        params.hedging,
        threat,
        state.presence,
        state.credibility,
        params.offer_sensitivity,
        params.hedging_weight,
        params.tie_weight,
        params.presence_weight,
        params.credibility_weight,
    )


def make_offers(
    state: State, params: Params, demand: FloatArray, noise: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Offers and effort of every power given a state (mechanisms e and c).

    Args:
        state: Current state.
        params: Parameters.
        demand: ``(B, S, D)`` demand to allocate over.
        noise: ``(B, S, P, D)`` standard normal draws (zeros for the noise-free offers).

    Returns:
        ``(offers, effort)`` as in :func:`influence_sim.kernel.mechanisms.allocate_offers`.
    """
    held_back = mech.restraint(
        state.trust, params.coordination, params.restraint_max, params.restraint_mask
    )
    return mech.allocate_offers(
        state.capacity,
        params.priority,
        params.doctrine,
        held_back,
        demand,
        state.share,
        params.entry_share,
        noise,
        params.offer_noise_sd,
    )


def step(state: State, params: Params, noise: FloatArray, dt: float, dims: Dims) -> StepOutput:
    """Advance a batch of runs by one step.

    Order: (a) threat; (b) demand; (e) restraint and (c) offers; (d) targets and inertia;
    (f) spillover into credibility; (e) trust; (g) capacity.

    Args:
        state: State at the start of the step.
        params: Parameters (after this step's shocks).
        noise: ``(B, S, P, D)`` standard normal draws of this step, one block per run from that
            run's own generator.
        dt: Step length in years.
        dims: Names of the entity axes.

    Returns:
        The new state and this step's intermediate quantities.
    """
    threat = mech.update_threat(
        state.threat, state.instability, params.threat_exposure, params.threat_halflife_years, dt
    )
    trade = mech.grow_trade(state.trade, params.trade_growth, dt)
    arms = mech.security_demand(state.arms_base, threat, params.security_demand_elasticity)
    demand = np.stack([trade, arms], axis=-1)

    offers, effort = make_offers(state, params, demand, noise)
    ties = mech.treaty_ties(state.membership, params.tie_map)
    utility = params.affinity + explained_attraction(state, params, offers, threat, ties)
    target = mech.softmax_partners(utility)
    share = mech.adjust_shares(
        state.share,
        target,
        params.adjust_rate_economic,
        params.adjust_rate_security,
        ties,
        params.stickiness,
        dt,
    )

    n_powers = dims.n_powers
    credibility = mech.update_credibility(
        state.credibility, share[:, :, :n_powers, ECON], params.spillover_rate, dt
    )
    regional = mech.regional_share(share, demand)
    china = dims.power_index("china")
    if china is not None and dims.power_index("russia") is not None:
        trust = mech.update_trust(
            state.trust,
            regional[:, china, SEC],
            params.trust_tolerance,
            params.trust_erosion,
            params.trust_recovery,
            dt,
        )
    else:
        trust = state.trust.copy()
    capacity = mech.grow_capacity(
        state.capacity, params.capacity_growth, params.return_rate, regional[:, :n_powers, :], dt
    )
    new_state = State(
        share=share,
        threat=threat,
        instability=state.instability.copy(),
        trade=trade,
        arms_base=state.arms_base.copy(),
        capacity=capacity,
        credibility=credibility,
        trust=trust,
        presence=state.presence.copy(),
        membership=state.membership.copy(),
    )
    return StepOutput(new_state, demand, effort, offers, target)
