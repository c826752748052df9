"""One model step: the mechanisms composed in their fixed order.

The step is synchronous: every mechanism reads the state at the start of the step (or the
values computed earlier in the same step, in the order listed) and the new state is returned
whole; the input state is never modified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import ECON, SEC, Dims, FloatArray, GravityWeights, Params, State


@dataclass(frozen=True)
class StepOutput:
    """The new state and the intermediate quantities of one step.

    Attributes:
        state: State at the end of the step.
        demand: ``(B, S, D)`` trade and arms deliveries at the end of the step, USD bn per
            year (the volumes the shares of ``state`` are shares of).
        effort: ``(B, P, D)`` effort each power put into the region.
        offers: ``(B, S, P, D)`` offers made to each state.
        equilibrium: ``(B, S, K, D)`` the equilibrium trade shares (equilibrium trade, the gravity
            equation's, normalised over partners) and the supplier mix of new arms contracts.
        delivered: ``(B, S, K)`` arms delivered in the step, USD bn.
        accepted: ``(B,)`` China's regional arms share Russia accepts.
        wanted: ``(B, S)`` arms each state wanted to buy in the step, USD bn per year.
    """

    state: State
    demand: FloatArray
    effort: FloatArray
    offers: FloatArray
    equilibrium: FloatArray
    delivered: FloatArray
    accepted: FloatArray
    wanted: FloatArray

    @property
    def target(self) -> FloatArray:
        """Former name of :attr:`equilibrium`, kept for one release."""
        return self.equilibrium


def demand_of(state: State, params: Params) -> FloatArray:
    """Trade and arms deliveries of a state, ``(B, S, D)`` in USD bn per year.

    Args:
        state: Current state.
        params: Parameters (unused; kept so every driver calls it the same way).

    Returns:
        ``(B, S, D)`` with trade in ``[..., 0]`` and the arms flow in ``[..., 1]``.
    """
    del params
    return np.stack([state.trade, state.arms_flow], axis=-1)


def arms_demand(state: State, params: Params, threat: FloatArray) -> FloatArray:
    """Arms each state wants to buy, ``(B, S)`` in USD bn per year (mechanism b)."""
    return mech.security_demand(state.arms_base, threat, params.security_demand_elasticity)


def _masks(params: Params) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(P,)`` masks of China, Russia and the third powers, from the restraint mask.

    Third powers exist only beside a China-Russia pair: without either (the restraint mask is
    then all zeros) every mask is zero, so nobody is excluded.
    """
    china = params.restraint_mask[:, SEC]
    russia = params.restraint_mask[:, ECON]
    third = (1.0 - np.clip(china + russia, 0.0, 1.0)) * float(np.any(china) and np.any(russia))
    return china, russia, third


def _competition(
    params: Params, coordination: FloatArray, trust: FloatArray, russia: FloatArray
) -> FloatArray:
    """``(B, P)`` extra security effort of Russia when coordination fails (mechanism e).

    Equation: ``Γ_R = ω_comp (1 - c T)``: Russia pushes back with its own security effort
    (arms offers, CSTO ties) as the division of labour weakens.
    """
    level = params.competition_weight * (1.0 - np.clip(coordination * trust, 0.0, 1.0))
    return level[:, None] * russia[None, :]


def make_offers(
    state: State,
    params: Params,
    demand: FloatArray,
    noise: FloatArray,
    threat: FloatArray | None = None,
    coordination: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Offers and effort of every power given a state (mechanisms e and c).

    Args:
        state: Current state.
        params: Parameters.
        demand: ``(B, S, D)`` trade and arms demand to allocate over.
        noise: ``(B, S, P, D)`` standard normal draws (zeros for the noise-free offers).
        threat: ``(B, S)`` threat to weigh stakes with (default: the state's).
        coordination: ``(B,)`` coordination (default: the state's).

    Returns:
        ``(offers, effort)`` as in :func:`influence_sim.kernel.mechanisms.allocate_offers`.
    """
    threat = state.threat if threat is None else threat
    coordination = state.coordination if coordination is None else coordination
    _, russia, _ = _masks(params)
    held_back = mech.restraint(
        state.trust, coordination, params.restraint_max, params.restraint_mask
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
        threat,
        params.protection_weight,
        _competition(params, coordination, state.trust, russia),
    )


def explained_attraction(
    state: State,
    params: Params,
    offers: FloatArray,
    threat: FloatArray,
    ties: FloatArray | None = None,
) -> FloatArray:
    """Attraction of every arms supplier from offers, ties, hedging, presence and credibility.

    Args:
        state: State whose shares, ties, presence and credibility are used.
        params: Parameters.
        offers: ``(B, S, P, D)`` offers (their security part is used).
        threat: ``(B, S)`` threat perception to weigh presence with.
        ties: ``(B, S, K, D)`` treaty ties if already computed (else from the memberships).

    Returns:
        ``(B, S, K)`` attraction (mechanism i, without standing, exclusion or residual).
    """
    if ties is None:
        ties = mech.treaty_ties(state.membership, params.tie_map)
    return mech.supplier_attraction(
        offers[..., SEC],
        state.share[..., SEC],
        ties[..., SEC],
        params.hedging,
        threat,
        state.presence,
        state.credibility,
        params.security_offer_sensitivity,
        params.hedging_weight,
        params.tie_weight,
        params.presence_weight,
        params.credibility_weight,
    )


def security_utility(
    state: State,
    params: Params,
    offers: FloatArray,
    threat: FloatArray,
    coordination: FloatArray,
    ties: FloatArray,
) -> FloatArray:
    """``(B, S, K)`` attraction of each arms supplier (mechanisms d and i).

    The supplier attraction (mechanism i), plus each supplier's standing
    (:func:`~influence_sim.kernel.mechanisms.supplier_standing`), minus the exclusion of third
    powers by a coordinating China and Russia (``ω_excl c T``), plus the residual.
    """
    n_powers = params.priority.shape[1]
    _, _, third = _masks(params)
    utility = explained_attraction(state, params, offers, threat, ties)
    utility = utility + params.residual[..., SEC]
    standing = mech.supplier_standing(state.capacity[:, :, SEC], params.supplier_capacity_weight)
    utility[:, :, :n_powers] += standing[:, None, :]
    utility[:, :, :n_powers] -= _exclusion(params, coordination, state.trust, third)[:, None, :]
    return utility


def _exclusion(
    params: Params, coordination: FloatArray, trust: FloatArray, third: FloatArray
) -> FloatArray:
    """``(B, P)`` attraction third powers lose to a coordinating China and Russia."""
    level = params.exclusion_weight * np.clip(coordination * trust, 0.0, 1.0)
    return level[:, None] * third[None, :]


def trade_equilibrium(
    state: State,
    params: Params,
    dims: Dims,
    gdp: FloatArray,
    offers: FloatArray,
    coordination: FloatArray,
    ties: FloatArray,
) -> FloatArray:
    """``(B, S, K)`` log equilibrium trade of every state with every partner (mechanism d).

    The gravity equation (:func:`~influence_sim.kernel.mechanisms.gravity_equilibrium`) with the
    exclusion of third powers by a coordinating China and Russia subtracted from their residual.
    """
    n_powers = dims.n_powers
    _, _, third = _masks(params)
    exclusion = _exclusion(params, coordination, state.trust, third)
    residual_econ = params.residual[..., ECON].copy()
    residual_econ[:, :, :n_powers] -= exclusion[:, None, :]
    union = mech.customs_channel(state.membership, params.customs_union, params.tie_map)
    return mech.gravity_equilibrium(
        gdp,
        state.capacity[:, :, ECON],
        ties[..., ECON],
        state.infrastructure,
        offers[..., ECON],
        state.share[..., ECON],
        params.hedging,
        state.sanctions,
        union,
        residual_econ,
        GravityWeights.of(params),
    )


trade_target = trade_equilibrium
"""Former name of :func:`trade_equilibrium`, kept for one release."""


def step(state: State, params: Params, noise: FloatArray, dt: float, dims: Dims) -> StepOutput:
    """Advance a batch of runs by one step.

    Order: (a) threat; (h) drivers: GDP's exogenous growth; (b) arms demand;
    (e) accepted share and coordination; (e) restraint and (c) offers; (d) trade by gravity;
    (d, i) the arms market: supplier choice, contracts, deliveries; (f) spillover into
    credibility; (e) trust; (g) capacity: the drivers' growth and the returns on regional
    share. Coordination, trust and capacity returns read the regional shares of the state at
    the start of the step.

    Args:
        state: State at the start of the step.
        params: Parameters (after this step's shocks and with this step's drivers).
        noise: ``(B, S, P + 1, D)`` standard normal draws of this step, one block per run from
            that run's own generator: ``[:, :, :P]`` for the offers, ``[:, :, P, 1]`` for the
            arms contracts.
        dt: Step length in years.
        dims: Names of the entity axes.

    Returns:
        The new state and this step's intermediate quantities.
    """
    n_powers = dims.n_powers
    offer_noise = noise[:, :, :n_powers, :]
    contract_z = noise[:, :, n_powers, SEC]
    china, russia, third = _masks(params)

    threat = mech.update_threat(
        state.threat, state.instability, params.threat_exposure, params.threat_halflife_years, dt
    )
    growth = params.driver_weight[:, None] * params.gdp_driver + params.gdp_growth
    gdp = mech.grow_size(state.gdp, growth, dt)
    arms_base = mech.grow_size(state.arms_base, params.arms_gdp_elasticity[:, None] * growth, dt)
    wanted = mech.security_demand(arms_base, threat, params.security_demand_elasticity)

    # (e) what Russia accepts, and the coordination both seek
    before = obs.regional_share(state.share, demand_of(state, params))
    if np.any(china) and np.any(russia):
        cap_sec = state.capacity[:, :, SEC]
        r_cap, c_cap = cap_sec @ russia, cap_sec @ china
        leverage = r_cap / np.where(r_cap + c_cap > 0.0, r_cap + c_cap, 1.0)
        accepted = mech.accepted_share(
            params.trust_tolerance,
            leverage,
            state.sanctions @ russia,
            params.tolerance_leverage_weight,
            params.tolerance_dependence_weight,
        )
        third_presence = np.mean(state.presence, axis=1) @ third
        equilibrium_c = mech.coordination_equilibrium(
            params.coordination,
            np.mean(threat, axis=1),
            third_presence + before[:, :n_powers, SEC] @ third,
            before[:, :n_powers, SEC] @ china,
            accepted,
            params.coordination_threat_weight,
            params.coordination_us_weight,
            params.coordination_overreach_weight,
        )
        coordination = mech.update_coordination(
            state.coordination, equilibrium_c, params.coordination_rate, dt
        )
    else:
        accepted = params.trust_tolerance.copy()
        coordination = state.coordination.copy()

    alloc_demand = np.stack([state.trade, wanted], axis=-1)
    offers, effort = make_offers(state, params, alloc_demand, offer_noise, threat, coordination)
    ties = mech.treaty_ties(state.membership, params.tie_map)

    # (d) trade by gravity
    log_equilibrium = trade_equilibrium(state, params, dims, gdp, offers, coordination, ties)
    volume = mech.adjust_volumes(
        state.share[..., ECON] * state.trade[:, :, None],
        log_equilibrium,
        params.adjust_rate_economic,
        ties[..., ECON],
        params.stickiness,
        dt,
    )
    trade = mech.axis_sum(volume, 2)
    econ_share = volume / trade[:, :, None]

    # (d, i) the arms market
    equilibrium_sec = mech.softmax_partners(
        security_utility(state, params, offers, threat, coordination, ties)
    )
    signed = mech.sign_contracts(
        wanted, contract_z, params.contract_rate, params.contract_lumpiness, dt
    )
    backlog, delivered = mech.deliver_arms(
        state.arms_backlog, signed[:, :, None] * equilibrium_sec, params.lead_time_years, dt
    )
    flow, sec_share = mech.smooth_arms(
        state.arms_flow, state.share[..., SEC], delivered, params.adjust_rate_security, dt
    )
    share = np.stack([econ_share, sec_share], axis=-1)

    credibility = mech.update_credibility(
        state.credibility, econ_share[:, :, :n_powers], params.spillover_rate, dt
    )
    demand = np.stack([trade, flow], axis=-1)
    # trust and capacity returns read the regional shares at the start of the step, like
    # coordination, so one regional aggregation serves the whole step
    if np.any(china) and np.any(russia):
        trust = mech.update_trust(
            state.trust,
            before[:, :n_powers, SEC] @ china,
            accepted,
            params.trust_erosion,
            params.trust_recovery,
            dt,
        )
    else:
        trust = state.trust.copy()
    capacity = mech.grow_capacity(
        state.capacity,
        params.driver_weight[:, None, None] * params.capacity_driver
        + params.capacity_growth[:, :, None],
        params.return_rate,
        before[:, :n_powers, :],
        dt,
    )
    equilibrium_econ = mech.softmax_partners(log_equilibrium)
    new_state = State(
        share=share,
        threat=threat,
        instability=state.instability.copy(),
        trade=trade,
        arms_base=arms_base,
        capacity=capacity,
        credibility=credibility,
        trust=trust,
        presence=state.presence.copy(),
        membership=state.membership.copy(),
        gdp=gdp,
        arms_flow=flow,
        arms_backlog=backlog,
        coordination=coordination,
        infrastructure=state.infrastructure.copy(),
        sanctions=state.sanctions.copy(),
    )
    equilibrium = np.stack([equilibrium_econ, equilibrium_sec], axis=-1)
    return StepOutput(new_state, demand, effort, offers, equilibrium, delivered, accepted, wanted)
