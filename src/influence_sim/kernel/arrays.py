"""State and parameter arrays of the kernel, with a leading batch axis.

Every array here has the batch (run) axis first, so the same kernel functions step one run (the
Mesa model, batch 1) or thousands (the ensemble). Index names used in shapes throughout:

* ``B``: runs in the batch;
* ``S``: Central Asian states;
* ``P``: great powers;
* ``K``: partners, the powers plus ``rest_of_world`` (always last);
* ``D``: domains, ``economic`` (0) and ``security`` (1);
* ``O``: organisations (CSTO, SCO, EAEU).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

REST_OF_WORLD = "rest_of_world"
DOMAINS: tuple[str, str] = ("economic", "security")
ECON = 0
SEC = 1


@dataclass(frozen=True)
class Dims:
    """Names along the entity axes of a run.

    Attributes:
        states: Central Asian states, in array order.
        powers: Great powers, in array order (rest of world is not one of them).
        organisations: Organisations whose membership binds states to powers (the rows of
            ``seeds/organisations.csv``: :data:`influence_sim.seeds.ORGANISATIONS`).
    """

    states: tuple[str, ...]
    powers: tuple[str, ...]
    organisations: tuple[str, ...]

    @property
    def partners(self) -> tuple[str, ...]:
        """Powers followed by ``rest_of_world``: the categories of every share profile."""
        return (*self.powers, REST_OF_WORLD)

    @property
    def n_states(self) -> int:
        """Number of states ``S``."""
        return len(self.states)

    @property
    def n_powers(self) -> int:
        """Number of powers ``P``."""
        return len(self.powers)

    @property
    def n_partners(self) -> int:
        """Number of partners ``K = P + 1``."""
        return len(self.powers) + 1

    def power_index(self, name: str) -> int | None:
        """Return the index of power ``name``, or None if the run has no such power."""
        return self.powers.index(name) if name in self.powers else None


def _copy_fields(obj: Any) -> dict[str, Any]:
    return {f.name: np.array(getattr(obj, f.name), copy=True) for f in dataclasses.fields(obj)}


def _take_fields(obj: Any, index: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        out[f.name] = value[index] if f.metadata.get("batched", True) else value
    return out


def _stack_fields(items: list[Any]) -> dict[str, Any]:
    first = items[0]
    out: dict[str, Any] = {}
    for f in dataclasses.fields(first):
        if f.metadata.get("batched", True):
            out[f.name] = np.concatenate([getattr(it, f.name) for it in items], axis=0)
        else:
            out[f.name] = getattr(first, f.name)
    return out


@dataclass
class State:
    """Dynamic state of a batch of runs.

    Attributes:
        share: ``(B, S, K, D)`` share profiles; each ``share[b, s, :, d]`` lies on the simplex.
        threat: ``(B, S)`` threat perception of each state, in [0, 1].
        instability: ``(B,)`` Afghan instability, the exogenous threat driver, in [0, 1].
        trade: ``(B, S)`` total external trade of each state, USD bn per year (an outcome: the
            sum of its trade with every partner).
        arms_base: ``(B, S)`` arms each state would buy at zero threat, USD bn per year.
        gdp: ``(B, S)`` GDP of each state, USD bn.
        arms_flow: ``(B, S)`` arms deliveries, a moving window, USD bn per year.
        arms_backlog: ``(B, S, K)`` arms contracted and not yet delivered, by supplier, USD bn.
        coordination: ``(B,)`` China-Russia coordination, in [0, 1].
        infrastructure: ``(B, S, P)`` pipelines and corridors linking a state to a power, 0-1.
        sanctions: ``(B, P)`` sanctions on each power, 0-1.
        capacity: ``(B, P, D)`` economic capacity (GDP, USD trn) and security capacity (world
            arms exports, USD bn a year) of each power.
        credibility: ``(B, S, P)`` security credibility a power has earned in a state, in [0, 1].
        trust: ``(B,)`` China-Russia trust, in [0, 1].
        presence: ``(B, S, P)`` military presence of a power in a state, in [0, 1].
        membership: ``(B, S, O)`` 1 where a state belongs to an organisation, else 0.
    """

    share: FloatArray
    threat: FloatArray
    instability: FloatArray
    trade: FloatArray
    arms_base: FloatArray
    capacity: FloatArray
    credibility: FloatArray
    trust: FloatArray
    presence: FloatArray
    membership: FloatArray
    gdp: FloatArray
    arms_flow: FloatArray
    arms_backlog: FloatArray
    coordination: FloatArray
    infrastructure: FloatArray
    sanctions: FloatArray

    @property
    def batch_size(self) -> int:
        """Number of runs ``B``."""
        return int(self.threat.shape[0])

    def copy(self) -> State:
        """Return a deep copy (arrays copied)."""
        return State(**_copy_fields(self))

    def take(self, index: Any) -> State:
        """Return the runs selected by ``index`` along the batch axis (a slice keeps views)."""
        return State(**_take_fields(self, index))

    @staticmethod
    def stack(states: list[State]) -> State:
        """Concatenate several batches along the batch axis."""
        return State(**_stack_fields(states))


@dataclass
class Params:
    """Parameters of a batch of runs; scenario shocks may change them during a run.

    Global parameters have shape ``(B,)``, state parameters ``(B, S)``, power parameters
    ``(B, P)``. ``residual`` is the part of each partner's attraction no observable explains,
    estimated from the country panel (:mod:`influence_sim.estimate`), never from a run's start.
    ``gdp_driver`` and ``capacity_driver`` are the exogenous growth of the step's year, written
    by the stepping loop from :mod:`influence_sim.drivers`.
    ``tie_map``, ``restraint_mask`` and ``customs_union`` (``(O,)``, 1 for an organisation whose
    members' trade sanctions divert) are structure shared by every run of the batch.
    The meaning, unit and provenance of each is in :data:`influence_sim.parameters.PARAMETERS`.
    """

    # states (B, S)
    threat_exposure: FloatArray
    hedging: FloatArray
    gdp_growth: FloatArray
    arms_propensity: FloatArray
    # powers (B, P)
    priority: FloatArray
    doctrine: FloatArray
    capacity_growth: FloatArray
    # global (B,)
    threat_halflife_years: FloatArray
    security_demand_elasticity: FloatArray
    driver_weight: FloatArray
    gdp_elasticity: FloatArray
    partner_elasticity: FloatArray
    infrastructure_weight: FloatArray
    sanctions_penalty: FloatArray
    diversion_weight: FloatArray
    arms_gdp_elasticity: FloatArray
    supplier_capacity_weight: FloatArray
    protection_weight: FloatArray
    contract_rate: FloatArray
    contract_lumpiness: FloatArray
    lead_time_years: FloatArray
    coordination_rate: FloatArray
    coordination_threat_weight: FloatArray
    coordination_us_weight: FloatArray
    coordination_overreach_weight: FloatArray
    tolerance_leverage_weight: FloatArray
    tolerance_dependence_weight: FloatArray
    exclusion_weight: FloatArray
    competition_weight: FloatArray
    entry_share: FloatArray
    offer_noise_sd: FloatArray
    offer_sensitivity: FloatArray
    security_offer_sensitivity: FloatArray
    hedging_weight: FloatArray
    tie_weight: FloatArray
    presence_weight: FloatArray
    credibility_weight: FloatArray
    adjust_rate_economic: FloatArray
    adjust_rate_security: FloatArray
    stickiness: FloatArray
    coordination: FloatArray
    restraint_max: FloatArray
    trust_tolerance: FloatArray
    trust_erosion: FloatArray
    trust_recovery: FloatArray
    spillover_rate: FloatArray
    return_rate: FloatArray
    # estimated from the panel (B, S, K, D)
    residual: FloatArray
    # drivers of the current step, written by the stepping loop
    gdp_driver: FloatArray
    capacity_driver: FloatArray
    # structure, not batched
    tie_map: FloatArray = dataclasses.field(metadata={"batched": False})
    restraint_mask: FloatArray = dataclasses.field(metadata={"batched": False})
    customs_union: FloatArray = dataclasses.field(metadata={"batched": False})

    @property
    def batch_size(self) -> int:
        """Number of runs ``B``."""
        return int(self.coordination.shape[0])

    def copy(self) -> Params:
        """Return a deep copy (arrays copied)."""
        return Params(**_copy_fields(self))

    def take(self, index: Any) -> Params:
        """Return the runs selected by ``index`` along the batch axis."""
        return Params(**_take_fields(self, index))

    @staticmethod
    def stack(params: list[Params]) -> Params:
        """Concatenate several batches along the batch axis (structure taken from the first)."""
        return Params(**_stack_fields(params))


GLOBAL_PARAMETERS: tuple[str, ...] = (
    "threat_halflife_years",
    "security_demand_elasticity",
    "driver_weight",
    "gdp_elasticity",
    "partner_elasticity",
    "infrastructure_weight",
    "sanctions_penalty",
    "diversion_weight",
    "arms_gdp_elasticity",
    "supplier_capacity_weight",
    "protection_weight",
    "contract_rate",
    "contract_lumpiness",
    "lead_time_years",
    "coordination_rate",
    "coordination_threat_weight",
    "coordination_us_weight",
    "coordination_overreach_weight",
    "tolerance_leverage_weight",
    "tolerance_dependence_weight",
    "exclusion_weight",
    "competition_weight",
    "entry_share",
    "offer_noise_sd",
    "offer_sensitivity",
    "security_offer_sensitivity",
    "hedging_weight",
    "tie_weight",
    "presence_weight",
    "credibility_weight",
    "adjust_rate_economic",
    "adjust_rate_security",
    "stickiness",
    "coordination",
    "restraint_max",
    "trust_tolerance",
    "trust_erosion",
    "trust_recovery",
    "spillover_rate",
    "return_rate",
)
STATE_PARAMETERS: tuple[str, ...] = ("threat_exposure", "hedging", "gdp_growth", "arms_propensity")
POWER_PARAMETERS: tuple[str, ...] = ("priority", "doctrine", "capacity_growth")


@dataclass(frozen=True)
class GravityWeights:
    """Weights of the gravity equation of trade, each ``(B,)`` (see ``gravity_equilibrium``)."""

    gdp_elasticity: FloatArray
    partner_elasticity: FloatArray
    tie_weight: FloatArray
    infrastructure_weight: FloatArray
    offer_sensitivity: FloatArray
    hedging_weight: FloatArray
    sanctions_penalty: FloatArray
    diversion_weight: FloatArray

    @staticmethod
    def of(params: Params) -> GravityWeights:
        """The weights of a batch's parameters."""
        return GravityWeights(
            **{f.name: getattr(params, f.name) for f in dataclasses.fields(GravityWeights)}
        )
