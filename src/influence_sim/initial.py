"""Initialisation: the starting arrays of a batch of runs, from the seeds and overrides.

Starting values come from :mod:`influence_sim.seeds`; overrides (model keyword arguments,
scenario parameters, sweep points) are dotted paths (:mod:`influence_sim.paths`) applied per run.

Affinities. Each partner's attraction has a part the model explains (offers, ties, hedging,
presence, credibility) and a fitted constant, the affinity, for everything it does not (history,
language, infrastructure). The affinity is fitted so that, under the *reference* parameters,
the run's starting shares are exactly the targets the states would choose. The reference is
the defaults from ``seeds/`` (with any ``reference_overrides``, such as a power a scenario
adds), except for the response weights (:data:`RESPONSE_WEIGHTS`), which are the run's own.

So a run's parameters fall in two kinds:

* response weights (how strongly states respond to offers, hedging, ties, presence and
  credibility) are refitted: every run starts from the observed shares and the weights shape
  only how shares respond to change;
* everything else (hedging levels, exposure, priorities, doctrines, coordination, capacities,
  instability, ...) is a departure: a value other than the reference moves the run away from
  the starting shares in the direction the mechanisms say, and so does every shock.

The baseline's shares have no pull away from their starting values at the start; they then
move with the capacity trends and trust.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np

from influence_sim import seeds as sd
from influence_sim.kernel.arrays import (
    DOMAINS,
    ECON,
    GLOBAL_PARAMETERS,
    POWER_PARAMETERS,
    SEC,
    STATE_PARAMETERS,
    Dims,
    FloatArray,
    Params,
    State,
)
from influence_sim.kernel.step import demand_of, explained_attraction, make_offers
from influence_sim.parameters import PARAMETERS
from influence_sim.paths import resolve

Overrides = Mapping[str, float]

RESPONSE_WEIGHTS: tuple[str, ...] = (
    "offer_sensitivity",
    "hedging_weight",
    "tie_weight",
    "presence_weight",
    "credibility_weight",
    "entry_share",
)
"""Weights of the attraction (and the entry share of offers) that are refitted with every run.

They say how strongly states respond to offers, hedging, ties, presence and credibility, not
what those are; with the affinities refitted under the run's own weights, every run starts from
the observed shares and the weights act only on the responses. All other parameters, and every
shock, are departures from the reference.
"""
ColumnOverrides = Mapping[str, "FloatArray | float"]


def default_dims() -> Dims:
    """The default cast: five states, China, Russia and the United States."""
    return Dims(sd.DEFAULT_STATES, sd.DEFAULT_POWERS)


def restraint_mask(dims: Dims) -> FloatArray:
    """``(P, D)`` mask of each other's lead domain: China's security, Russia's economics.

    All zeros unless both China and Russia are in the run.
    """
    mask = np.zeros((dims.n_powers, len(DOMAINS)))
    china, russia = dims.power_index("china"), dims.power_index("russia")
    if china is not None and russia is not None:
        mask[china, SEC] = 1.0
        mask[russia, ECON] = 1.0
    return mask


def reference_arrays(
    dims: Dims, start: dt.date, seeds: sd.SeedData | None = None
) -> tuple[State, Params]:
    """Starting state and default parameters of one run (batch 1), straight from the seeds.

    Args:
        dims: Entities of the run (powers beyond the default three need overrides for their
            capacities and parameters; their defaults are zero).
        start: Start date (memberships, presence and capabilities are read at this date).
        seeds: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.

    Returns:
        ``(state, params)`` with batch size 1 and zero affinity.
    """
    seeds = seeds or sd.load_seeds()
    states, powers = dims.states, dims.powers
    econ = np.broadcast_to(sd.economic_profile(seeds, powers), (len(states), dims.n_partners))
    sec = sd.security_shares(seeds, states, powers, start)
    share = np.stack([econ, sec], axis=-1)[None].copy()
    weight = sd.size_weights(seeds, states)
    trade = (seeds.assumed("region_trade_usd_bn") * weight)[None]
    arms = (seeds.assumed("region_arms_usd_bn") * weight)[None]
    known = [p for p in powers if p in sd.DEFAULT_POWERS]
    capacity = np.zeros((1, len(powers), len(DOMAINS)))
    for p in known:
        capacity[0, powers.index(p), :] = sd.capability_at(seeds, p, start)

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
        affinity=np.zeros_like(share),
        tie_map=sd.tie_map(seeds, powers, dims.organisations),
        restraint_mask=restraint_mask(dims),
    )
    instability = np.array([seeds.assumed("afghan_instability")])
    threat = params.threat_exposure * instability[:, None]
    state = State(
        share=share,
        threat=threat,
        instability=instability,
        trade=trade,
        arms_base=arms / (1.0 + params.security_demand_elasticity[:, None] * threat),
        capacity=capacity,
        credibility=share[:, :, : dims.n_powers, ECON].copy(),
        trust=np.array([seeds.assumed("initial_trust")]),
        presence=sd.presence_at(seeds, states, powers, start)[None],
        membership=sd.membership_at(seeds, states, start, dims.organisations)[None],
    )
    return state, params


def fit_affinity(state: State, params: Params, min_share: float) -> FloatArray:
    """Affinities that make the starting shares the states' targets under ``params``.

    Equation: ``A[s,k,d] = log max(x0[s,k,d], x_min) - U0[s,k,d]`` with ``U0`` the explained
    attraction at the start (noise-free offers). Then ``softmax(A + U0) = x0`` exactly when no
    share is below ``x_min``; a share raised to the floor slightly rescales the others' targets.

    Args:
        state: Starting state (its shares are ``x0``).
        params: Reference parameters.
        min_share: Floor ``x_min`` on the shares used, so a partner with no share can enter.

    Returns:
        ``(B, S, K, D)`` affinities.
    """
    demand = demand_of(state, params)
    noise = np.zeros((state.batch_size, state.share.shape[1], params.priority.shape[1], 2))
    offers, _ = make_offers(state, params, demand, noise)
    explained = explained_attraction(state, params, offers, state.threat)
    out: FloatArray = np.log(np.maximum(state.share, min_share)) - explained
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
        for target in resolve(canonical_path(key), dims):
            target.set(state, params, values)


def canonical_path(key: str) -> str:
    """Expand a short keyword name into its dotted path."""
    if key == "afghan_instability":
        return "afghanistan.instability"
    if key == "initial_trust":
        return "relations.china.russia.trust"
    if "." not in key:
        return f"parameters.{key}"
    return key


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
            power a scenario adds, with its capacities): the affinities are fitted with them.
        seeds: Seed tables.

    Returns:
        ``(state, params)`` with fitted affinities.

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
    _fit(state, params, ref_state, ref_params, seeds)
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
        ``(state, params)`` with fitted affinities.
    """
    seeds = seeds or sd.load_seeds()
    ref_state, ref_params, starting_arms = _reference(dims, start, reference_overrides, seeds)
    state, params = _broadcast(ref_state, ref_params, n_runs)
    apply_overrides(state, params, dims, columns)
    _rederive(state, params, set(columns), starting_arms)
    _fit(state, params, ref_state, ref_params, seeds)
    return state, params


def _reference(
    dims: Dims, start: dt.date, reference_overrides: Overrides | None, seeds: sd.SeedData
) -> tuple[State, Params, FloatArray]:
    """The reference run (batch 1) and its starting arms imports, ``(1, S)``."""
    ref_state, ref_params = reference_arrays(dims, start, seeds)
    seeded_arms = demand_of(ref_state, ref_params)[:, :, SEC]
    apply_overrides(ref_state, ref_params, dims, reference_overrides or {})
    _rederive(ref_state, ref_params, set(reference_overrides or {}), seeded_arms)
    return ref_state, ref_params, demand_of(ref_state, ref_params)[:, :, SEC]


def _fit(
    state: State, params: Params, ref_state: State, ref_params: Params, seeds: sd.SeedData
) -> None:
    """Set ``params.affinity``: each run's starting data under the reference parameters."""
    params.affinity = fit_affinity(
        _with_reference(state, ref_state),
        _fit_parameters(params, ref_params),
        seeds.assumed("min_affinity_share"),
    )


def _fit_parameters(run_params: Params, ref_params: Params) -> Params:
    """Parameters to fit affinities under: the reference, with the run's response weights."""
    out = ref_params.take(np.zeros(run_params.batch_size, dtype=int)).copy()
    for name in RESPONSE_WEIGHTS:
        setattr(out, name, getattr(run_params, name).copy())
    return out


def _with_reference(run_state: State, ref_state: State) -> State:
    """The reference state carrying each run's own starting data (shares and credibility)."""
    out = ref_state.take(np.zeros(run_state.batch_size, dtype=int)).copy()
    out.share = run_state.share.copy()
    out.credibility = run_state.credibility.copy()
    return out


def _rederive(state: State, params: Params, touched: set[str], starting_arms: FloatArray) -> None:
    """Recompute, in place, starting values that follow from overridden ones.

    Credibility starts at the powers' starting economic shares unless it was given. Threat
    starts at its steady level ``exposure * instability`` unless a threat was given.
    Zero-threat arms imports are rescaled so that the starting arms imports stay
    ``starting_arms`` (the seeded ones) unless ``arms_base_usd_bn`` was given.

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
        state.threat[...] = params.threat_exposure * state.instability[:, None]
    if not any(p.endswith(".arms_base_usd_bn") for p in paths):
        elasticity = params.security_demand_elasticity[:, None]
        state.arms_base[...] = starting_arms / (1.0 + elasticity * state.threat)
