"""Initialisation: the starting arrays of a batch of runs, from the seeds and overrides.

Starting values come from the country panel (``seeds/panel.csv``) at the start date: each
state's GDP, its trade with every partner, its arms imports and their supplier mix (the
five-year window that ends last before the start), and the seed tables' memberships,
presences, pipelines and capabilities. Overrides (model keyword arguments, scenario
parameters, sweep points) are dotted paths (:mod:`influence_sim.paths`) applied per run.

Residuals. Each partner's attraction has a part the model explains (sizes, ties,
infrastructure, offers, hedging, presence, credibility, supplier standing) and a residual for
what it does not (history, language, geography beyond what is measured). The residuals are
estimated once from the whole panel, 2000-2020 (:mod:`influence_sim.estimate`, written to
``seeds/residuals.csv``), never fitted to a run's start: a run started away from the data
moves back toward the path the observables and residuals imply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from influence_sim import seeds as sd
from influence_sim.calendar import decimal_year
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel.arrays import (
    DOMAINS,
    ECON,
    GLOBAL_PARAMETERS,
    POWER_PARAMETERS,
    REST_OF_WORLD,
    SEC,
    STATE_PARAMETERS,
    Dims,
    FloatArray,
    Params,
    State,
)
from influence_sim.kernel.step import (
    arms_demand,
    demand_of,
    make_offers,
    security_utility,
    trade_equilibrium,
)
from influence_sim.panel import ARMS_SUPPLIERS, TRADE_PARTNERS
from influence_sim.parameters import PARAMETERS
from influence_sim.paths import canonical_path as canonical_path  # its old home, kept for a release
from influence_sim.paths import resolve

if TYPE_CHECKING:
    from influence_sim.scenario import Scenario

Overrides = Mapping[str, float]

ColumnOverrides = Mapping[str, "FloatArray | float"]


def default_dims() -> Dims:
    """The default actors: five states, China, Russia and the United States."""
    return sd.default_dims()


def restraint_mask(dims: Dims) -> FloatArray:
    """``(P, D)`` mask of each other's lead domain: China's security, Russia's economics.

    All zeros unless both China and Russia are in the run.
    """
    mask = np.zeros((dims.n_powers, len(DOMAINS)))
    china, russia = (dims.power_index(power) for power in sd.DYAD)
    if china is not None and russia is not None:
        mask[china, SEC] = 1.0
        mask[russia, ECON] = 1.0
    return mask


def reference_arrays(
    dims: Dims, start: dt.date, seeds: sd.SeedData | None = None
) -> tuple[State, Params]:
    """Starting state and default parameters of one run (batch 1), from the seeds and panel.

    Args:
        dims: Entities of the run (powers beyond the default three need overrides for their
            capacities, parameters and shares; their defaults are zero).
        start: Start date (the panel, memberships, presence and capabilities are read at it).
        seeds: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.

    Returns:
        ``(state, params)`` with batch size 1.
    """
    seeds = seeds or sd.load_seeds()
    panel = sd.panel_of(seeds)
    states, powers = dims.states, dims.powers
    when = decimal_year(start)
    # a power the scenario removed is read too, then counted as part of rest_of_world
    gone = [p for p in sd.default_dims().partners if p not in dims.partners]
    partners = [*dims.partners, *gone]
    n_s, n_k = len(states), len(partners)
    volume = np.zeros((n_s, n_k))
    arms = np.zeros(n_s)
    sec = np.zeros((n_s, n_k))
    gdp = np.zeros(n_s)
    for i, name in enumerate(states):
        trade = panel.trade(name, when)
        for k, partner in enumerate(partners):
            volume[i, k] = trade.get(partner, 0.0)
        window = panel.arms_window_at(name, when)
        arms[i] = window.usd_bn_per_year
        for k, partner in enumerate(partners):
            sec[i, k] = window.shares.get(partner, 0.0)
        gdp[i] = panel.at(name, "gdp", when)
    # a partner the panel records starts at no less than min_share (so it can enter); a power
    # the panel does not hold (one a scenario adds) starts at zero unless the scenario says
    floor = seeds.assumed("min_share")
    econ_known = np.array([p in TRADE_PARTNERS or p == REST_OF_WORLD for p in partners])
    sec_known = np.array([p in ARMS_SUPPLIERS or p == REST_OF_WORLD for p in partners])
    volume = np.where(
        econ_known, np.maximum(volume, floor * volume.sum(axis=1, keepdims=True)), volume
    )
    trade_total = volume.sum(axis=1)
    econ = volume / trade_total[:, None]
    sec = np.where(sec_known, np.maximum(sec, floor), sec)
    sec = sec / sec.sum(axis=1, keepdims=True)
    if gone:
        rest, kept = partners.index(REST_OF_WORLD), dims.n_partners
        for table in (econ, sec):
            table[:, rest] += table[:, kept:].sum(axis=1)
        econ, sec = econ[:, :kept], sec[:, :kept]
    share = np.stack([econ, sec], axis=-1)[None].copy()
    capacity = np.zeros((1, len(powers), len(DOMAINS)))
    for p, power in enumerate(powers):
        if panel.has(power, "gdp"):
            capacity[0, p, ECON] = panel.at(power, "gdp", when) / 1000.0
        if panel.export_points(power):
            capacity[0, p, SEC] = panel.export_capacity(power, when)

    def entity_default(name: str, entities: Sequence[str]) -> FloatArray:
        spec = PARAMETERS[name]
        out = np.zeros((1, len(entities)))
        for i, e in enumerate(entities):
            try:
                out[0, i] = spec.default(seeds, e)
            except KeyError:
                out[0, i] = 0.0
        return out

    values: dict[str, FloatArray] = {
        name: np.array([PARAMETERS[name].default(seeds)]) for name in GLOBAL_PARAMETERS
    }
    values.update({name: entity_default(name, states) for name in STATE_PARAMETERS})
    values.update({name: entity_default(name, powers) for name in POWER_PARAMETERS})
    params = Params(
        **values,
        residual=residual_array(seeds, dims)[None],
        gdp_driver=np.zeros((1, n_s)),
        capacity_driver=np.zeros((1, len(powers), len(DOMAINS))),
        tie_map=sd.tie_map(seeds, powers, dims.organisations),
        restraint_mask=restraint_mask(dims),
        customs_union=sd.customs_unions(dims.organisations, seeds.directory),
    )
    instability = np.array([seeds.assumed("afghan_instability")])
    threat = mech.steady_threat(params.threat_exposure, instability)
    state = State(
        share=share,
        threat=threat,
        instability=instability,
        trade=trade_total[None].copy(),
        arms_base=np.zeros((1, n_s)),
        capacity=capacity,
        credibility=share[:, :, : dims.n_powers, ECON].copy(),
        trust=np.array([seeds.assumed("initial_trust")]),
        presence=sd.presence_at(seeds, states, powers, start)[None],
        membership=sd.membership_at(seeds, states, start, dims.organisations)[None],
        gdp=gdp[None].copy(),
        arms_flow=arms[None].copy(),
        arms_backlog=mech.steady_backlog(sec[None], arms[None], params.lead_time_years[:1]),
        coordination=params.coordination.copy(),
        infrastructure=sd.infrastructure_at(seeds, states, powers, start)[None],
        sanctions=np.zeros((1, len(powers))),
    )
    return state, params


def residual_array(seeds: sd.SeedData, dims: Dims) -> FloatArray:
    """``(S, K, D)`` residual attraction from ``seeds/residuals.csv`` (0 where none is held).

    A power a scenario adds has no panel rows and so no residual: it starts at zero, and the
    power's attraction is what its sizes, offers and ties give it.
    """
    out = np.zeros((dims.n_states, dims.n_partners, len(DOMAINS)))
    for i, state in enumerate(dims.states):
        for k, partner in enumerate(dims.partners):
            for d, domain in enumerate(DOMAINS):
                out[i, k, d] = seeds.residuals.get((state, partner, domain), 0.0)
    return out


def _broadcast(state: State, params: Params, n: int) -> tuple[State, Params]:
    index = np.zeros(n, dtype=int)
    return state.take(index).copy(), params.take(index).copy()


def apply_overrides(state: State, params: Params, dims: Dims, overrides: ColumnOverrides) -> None:
    """Write overrides into every run of a batch, in place.

    ``afghanistan.instability`` and ``relations.china.russia.trust`` may be given by their short
    keyword names ``afghan_instability`` and ``initial_trust``; a bare parameter name means
    ``parameters.NAME``.

    Args:
        state: State to change.
        params: Parameters to change.
        dims: Entities.
        overrides: Path (or short name) to a value for every run, or to a ``(B,)`` array
            with one value per run.

    Raises:
        influence_sim.paths.PathError: For a path that names nothing.
    """
    for key, value in overrides.items():
        values = np.broadcast_to(np.asarray(value, dtype=np.float64), (state.batch_size,))
        for slot in resolve(canonical_path(key), dims):
            slot.set(state, params, values)


def build(
    dims: Dims,
    start: dt.date,
    overrides: Sequence[Overrides] | Overrides | None = None,
    reference_overrides: Overrides | None = None,
    seeds: sd.SeedData | None = None,
) -> tuple[State, Params]:
    """Starting arrays for a batch of runs.

    Args:
        dims: Entities of the runs.
        start: Start date.
        overrides: One mapping for every run, or a sequence with one mapping per run (its length
            sets the batch size). These are departures from the reference.
        reference_overrides: Overrides that are part of the reference itself (for example a
            power a scenario adds, with its capacities): an added power's residual is taken
            from its starting shares under them (:func:`fit_unrecorded_powers`).
        seeds: Seed tables.

    Returns:
        ``(state, params)``.

    Raises:
        influence_sim.paths.PathError: For an override path that names nothing.
    """
    per_run: Sequence[Overrides]
    if overrides is None:
        per_run = [{}]
    elif isinstance(overrides, Mapping):
        per_run = [overrides]
    else:
        per_run = overrides
    keys = list(per_run[0]) if per_run else []
    if all(list(o) == keys for o in per_run):
        # every run overrides the same paths (replicates, sweep points): one vectorised pass
        columns = {k: np.array([float(o[k]) for o in per_run]) for k in keys}
        return build_columns(dims, start, len(per_run), columns, reference_overrides, seeds)
    seeds = seeds or sd.load_seeds()
    ref_state, ref_params, starting_arms = _reference(dims, start, reference_overrides, seeds)
    state, params = _broadcast(ref_state, ref_params, len(per_run))
    for b, run_overrides in enumerate(per_run):
        one_state, one_params = state.take(slice(b, b + 1)), params.take(slice(b, b + 1))
        apply_overrides(one_state, one_params, dims, run_overrides)
        _rederive(one_state, one_params, set(run_overrides), starting_arms)
    return state, params


def build_columns(
    dims: Dims,
    start: dt.date,
    n_runs: int,
    columns: ColumnOverrides,
    reference_overrides: Overrides | None = None,
    seeds: sd.SeedData | None = None,
) -> tuple[State, Params]:
    """Starting arrays for ``n_runs`` runs whose overrides are given column-wise.

    The vectorised twin of :func:`build` for sweeps: each path maps to one value for all runs
    or to an ``(n_runs,)`` array, and every path is resolved once for the whole batch. The
    result equals ``build`` with the same values given run by run.

    Args:
        dims: Entities of the runs.
        start: Start date.
        n_runs: Batch size.
        columns: Path to a value or an ``(n_runs,)`` array of values.
        reference_overrides: Overrides that are part of the reference.
        seeds: Seed tables.

    Returns:
        ``(state, params)``.
    """
    seeds = seeds or sd.load_seeds()
    ref_state, ref_params, starting_arms = _reference(dims, start, reference_overrides, seeds)
    state, params = _broadcast(ref_state, ref_params, n_runs)
    apply_overrides(state, params, dims, columns)
    _rederive(state, params, set(columns), starting_arms)
    return state, params


def _reference(
    dims: Dims, start: dt.date, reference_overrides: Overrides | None, seeds: sd.SeedData
) -> tuple[State, Params, FloatArray]:
    """The reference run (batch 1) and its starting arms imports, ``(1, S)``."""
    ref_state, ref_params = reference_arrays(dims, start, seeds)
    seeded_arms = demand_of(ref_state, ref_params)[:, :, SEC]
    apply_overrides(ref_state, ref_params, dims, reference_overrides or {})
    _rederive(ref_state, ref_params, set(reference_overrides or {}), seeded_arms)
    fit_unrecorded_powers(ref_state, ref_params, dims)
    return ref_state, ref_params, demand_of(ref_state, ref_params)[:, :, SEC]


def fit_unrecorded_powers(state: State, params: Params, dims: Dims) -> None:
    """Residuals of powers the panel does not record, from their starting shares, in place.

    A power a scenario adds (Turkey, the EU) has no rows in the country panel, so nothing
    estimates its residual; the scenario's starting shares are the only evidence about it.
    Its residual is set, under the reference parameters (the scenario's description of the
    power, not a run's departures), so that those shares are its equilibrium values at the
    start (noise-free offers):
    ``r = log T0 - log T*|r=0`` for trade and ``r = log(x0 / x0_rest) - (U0 - U0_rest)`` for
    arms, where it has a share. Every recorded partner keeps its panel residual, so the run is
    still not pinned to its start: only the added power's own level is taken from it.

    Args:
        state: Starting state (overrides applied).
        params: Parameters (residuals changed in place).
        dims: Entities.
    """
    unrecorded = [p for p, name in enumerate(dims.powers) if name not in TRADE_PARTNERS]
    if not unrecorded:
        return
    noise = np.zeros((state.batch_size, dims.n_states, dims.n_powers, len(DOMAINS)))
    wanted = arms_demand(state, params, state.threat)
    demand = np.stack([state.trade, wanted], axis=-1)
    offers, _ = make_offers(state, params, demand, noise)
    ties = mech.treaty_ties(state.membership, params.tie_map)
    log_equilibrium = trade_equilibrium(
        state, params, dims, state.gdp, offers, state.coordination, ties
    )
    utility = security_utility(state, params, offers, state.threat, state.coordination, ties)
    volume = state.share[..., ECON] * state.trade[:, :, None]
    sec = state.share[..., SEC]
    trade_fit = mech.gravity_residual(volume, log_equilibrium)
    arms_fit = mech.softmax_residual(sec, utility)
    for p in unrecorded:
        params.residual[:, :, p, ECON] += trade_fit[:, :, p]
        params.residual[:, :, p, SEC] += arms_fit[:, :, p]


def _rederive(state: State, params: Params, touched: set[str], starting_arms: FloatArray) -> None:
    """Recompute, in place, starting values that follow from overridden ones.

    Credibility starts at the powers' starting economic shares unless it was given. Threat
    starts at its steady level ``exposure * instability`` unless a threat was given.
    Zero-threat arms demand is ``exp(a_s) Y_s ** e`` (the estimated propensity and GDP
    elasticity) unless ``arms_base_usd_bn`` was given; the arms flow starts at the panel's.
    The arms backlog is the steady one of the starting supplier mix (``x F L``) and
    coordination starts at its base level unless given.

    Args:
        state: State of the runs, overrides already applied.
        params: Its parameters.
        touched: Override keys given for it.
        starting_arms: ``(1, S)`` starting arms imports to keep.
    """
    paths = {canonical_path(k) for k in touched}
    if not any(".credibility." in p for p in paths):
        n_powers = state.credibility.shape[2]
        state.credibility[...] = state.share[:, :, :n_powers, ECON]
    if not any(p.startswith("states.") and p.endswith(".threat") for p in paths):
        state.threat[...] = mech.steady_threat(params.threat_exposure, state.instability)
    if not any(p.endswith(".arms_base_usd_bn") for p in paths):
        state.arms_base[...] = mech.zero_threat_arms(
            params.arms_propensity, state.gdp, params.arms_gdp_elasticity
        )
    state.arms_backlog[...] = mech.steady_backlog(
        state.share[..., SEC], state.arms_flow, params.lead_time_years
    )
    if "relations.china.russia.coordination" not in paths:
        state.coordination[...] = params.coordination


def apply_posterior(
    state: State,
    params: Params,
    dims: Dims,
    posterior: Any,
    index: np.ndarray,
    *,
    start: dt.date | None = None,
    reference_overrides: Overrides | None = None,
    seeds: sd.SeedData | None = None,
) -> None:
    """Give each run its posterior draw's residuals, in place, and refit added powers.

    The recorded partners take the draw's residuals; a power the panel does not record (one a
    scenario adds) has its residual fitted again from its starting shares
    (:func:`fit_unrecorded_powers`), so its starting level stays what the scenario says.

    With ``start``, that fit is made as without a posterior, under the reference (the
    scenario's description of the added power, ``reference_overrides``) with only the draw's
    parameters and residuals, never under a run's departures: a run that overrides the added
    power's priority, capacity or shares, or any other value, departs from that start as it
    does without a posterior. A value the reference itself sets (a knockout's, in an
    attribution) wins over the draw's, as it does in the run. Without ``start`` the fit is made
    under each run's own values, its departures included, which cancels their effect on the
    added power at the start.

    Args:
        state: Starting state of the runs.
        params: Their parameters (draws' values already applied).
        dims: Entities.
        posterior: A :class:`influence_sim.posterior.Posterior`.
        index: ``(B,)`` draw of each run.
        start: Start date of the runs (to build the reference the added powers are fitted
            under).
        reference_overrides: The reference's own overrides (the added powers' values), as given
            to :func:`build`.
        seeds: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.
    """
    params.residual = posterior.residuals_for(index, dims.states, dims.partners, params.residual)
    unrecorded = [p for p, name in enumerate(dims.powers) if name not in TRADE_PARTNERS]
    if not unrecorded:
        return
    if start is None:
        params.residual[:, :, unrecorded, :] = 0.0
        fit_unrecorded_powers(state, params, dims)
        return
    # the reference's own values win over the draw's, as a run's overrides do (an attribution's
    # knockout is part of the reference and may switch off a parameter the posterior draws)
    taken = {canonical_path(key) for key in reference_overrides or {}}
    draw = {k: v for k, v in posterior.columns(index).items() if canonical_path(k) not in taken}
    ref_state, ref_params = build_columns(dims, start, len(index), draw, reference_overrides, seeds)
    residual = posterior.residuals_for(index, dims.states, dims.partners, ref_params.residual)
    residual[:, :, unrecorded, :] = 0.0
    ref_params.residual = residual
    fit_unrecorded_powers(ref_state, ref_params, dims)
    params.residual[:, :, unrecorded, :] = ref_params.residual[:, :, unrecorded, :]


def build_runs(
    dims: Dims,
    start: dt.date,
    n_runs: int,
    overrides: ColumnOverrides | Sequence[Overrides] | None = None,
    reference_overrides: Overrides | None = None,
    posterior: Any = None,
    index: np.ndarray | None = None,
    seeds: sd.SeedData | None = None,
) -> tuple[State, Params]:
    """Starting arrays of runs as every driver builds them, posterior draws included.

    The ensemble (:func:`influence_sim.ensemble.simulate_runs`), the Mesa model, sweep chunks
    and calibration all build their runs here, so that a run's start does not depend on the
    driver: the draw's parameters under the overrides (an override wins), the reference and
    the overrides applied (:func:`build_columns`, or :func:`build` for one mapping per run),
    then the draw's residuals and the added powers' refit (:func:`apply_posterior`).

    Args:
        dims: Entities of the runs.
        start: Start date.
        n_runs: Batch size.
        overrides: Path to a value for every run or to an ``(n_runs,)`` array, or one mapping
            per run; these are departures from the reference.
        reference_overrides: Overrides that are part of the reference.
        posterior: A :class:`influence_sim.posterior.Posterior` to draw from, or None.
        index: ``(n_runs,)`` draw of each run (:meth:`~influence_sim.posterior.Posterior.draw_index`
            of the runs' seeds); needed with ``posterior``.
        seeds: Seed tables.

    Returns:
        ``(state, params)``.

    Raises:
        ValueError: If the number of mappings or draws is not ``n_runs``.
        influence_sim.paths.PathError: For an override path that names nothing.
    """
    if posterior is not None and (index is None or len(index) != n_runs):
        raise ValueError("one posterior draw per run is needed")
    draw = posterior.columns(index) if posterior is not None else {}
    if overrides is None or isinstance(overrides, Mapping):
        given: ColumnOverrides = overrides or {}
        columns = {**{k: v for k, v in draw.items() if k not in given}, **given}
        state, params = build_columns(dims, start, n_runs, columns, reference_overrides, seeds)
    else:
        if len(overrides) != n_runs:
            raise ValueError("one override mapping per run is needed")
        per_run = [
            {**{k: float(v[b]) for k, v in draw.items() if k not in o}, **o}
            for b, o in enumerate(overrides)
        ]
        state, params = build(dims, start, per_run, reference_overrides, seeds)
    if posterior is not None and index is not None:
        apply_posterior(
            state,
            params,
            dims,
            posterior,
            index,
            start=start,
            reference_overrides=reference_overrides,
            seeds=seeds,
        )
    return state, params


def rescaling_report(scenario: Scenario) -> list[str]:
    """Lines saying how a scenario's starting shares change because powers are added or removed.

    Args:
        scenario: A loaded scenario.

    Returns:
        One line per domain and group of states with the same change; empty when the scenario
        neither adds nor removes a power.
    """
    dims, start = scenario.dims, scenario.start
    base_dims = sd.default_dims()
    if dims.powers == base_dims.powers:
        return []
    before, _ = reference_arrays(base_dims, start)
    after, params = reference_arrays(dims, start)
    apply_overrides(after, params, dims, scenario.reference_overrides())
    lines: list[str] = []
    for d, domain in enumerate(DOMAINS):
        groups: dict[str, list[str]] = {}
        for s, state in enumerate(dims.states):
            old = dict(zip(base_dims.partners, before.share[0, s, :, d], strict=True))
            new = dict(zip(dims.partners, after.share[0, s, :, d], strict=True))
            groups.setdefault(_describe_change(old, new), []).append(state)
        for text, states in groups.items():
            where = "every state" if len(states) == len(dims.states) else ", ".join(states)
            lines.append(f"{domain} shares in {where}: {text}")
    return lines


def _describe_change(old: Mapping[str, float], new: Mapping[str, float]) -> str:
    """Describe how one state's share profile in one domain changed."""
    parts: list[str] = []
    added = [p for p in new if p not in old]
    removed = [p for p in old if p not in new]
    if added:
        total = sum(new[p] for p in added)
        shown = ", ".join(f"{p} at {new[p]:.3f}" for p in added)
        if total > 0.0:
            parts.append(f"added {shown}; the other partners scaled by {1.0 - total:.3f}")
        else:
            parts.append(f"added {shown}")
    if removed:
        shown = ", ".join(f"{p} (it held {old[p]:.3f})" for p in removed)
        its = "its share" if len(removed) == 1 else "their shares"
        parts.append(f"removed {shown}, {its} going to rest_of_world")
    moved = ", ".join(
        f"{p} {old[p]:.3f} -> {new[p]:.3f}" for p in new if p in old and abs(new[p] - old[p]) > 5e-4
    )
    text = "; ".join(parts)
    return f"{text}: {moved}" if moved else f"{text}: no other share changes"
