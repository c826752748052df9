"""The parameter table: every model parameter with its meaning, unit, range and provenance.

Defaults are never typed here: they are read from ``seeds/`` (an assumption with its reason, or
a value derived from the sources by :mod:`influence_sim.seeds`). ``docs/ODD.md`` carries the same
table, and a test checks that the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from influence_sim import seeds as sd

Scope = Literal["global", "state", "power"]


@dataclass(frozen=True)
class ParameterSpec:
    """A model parameter.

    Attributes:
        name: Name, as used in ``parameters.<name>`` paths and model keyword arguments.
        scope: ``global`` (one value per run), ``state`` or ``power`` (one per entity).
        mechanism: Mechanism it belongs to (a to g, or ``driver``).
        meaning: What it means.
        unit: Unit.
        low: Smallest allowed value.
        high: Largest allowed value (None for unbounded).
        derived: How the default is derived when it is not an assumption of the same name.
    """

    name: str
    scope: Scope
    mechanism: str
    meaning: str
    unit: str
    low: float
    high: float | None
    derived: str | None = None

    def default(self, seeds: sd.SeedData, entity: str | None = None) -> float:
        """Return the default value, from the seed tables.

        Args:
            seeds: Seed tables.
            entity: The state or power, for state and power parameters.

        Returns:
            The default.

        Raises:
            KeyError: If the seed tables hold no default for this entity (a power a scenario
                adds must then give the value itself).
        """
        if self.name == "threat_exposure":
            assert entity is not None
            return float(sd.exposure(seeds, [entity])[0])
        if self.name == "capacity_growth":
            assert entity is not None
            return sd.capacity_trend(seeds, entity)
        key = self.name if entity is None else f"{self.name}_{entity}"
        return seeds.assumed(key)

    def provenance(self) -> str:
        """Return where the default comes from, for tables and docs."""
        if self.derived:
            return self.derived
        if self.scope == "global":
            return f"assumption `{self.name}` (seeds/assumptions.csv)"
        return f"assumptions `{self.name}_<{self.scope}>` (seeds/assumptions.csv)"


_SPECS: tuple[ParameterSpec, ...] = (
    ParameterSpec(
        "threat_exposure",
        "state",
        "a",
        "exposure of a state to Afghan instability",
        "0-1",
        0.0,
        1.0,
        "Afghan border length (geography.csv) / exposure_border_scale_km (assumed); floors "
        "assumed for states without a border (exposure_floor_<state>)",
    ),
    ParameterSpec(
        "threat_halflife_years", "global", "a", "half-life of threat memory", "years", 1e-3, None
    ),
    ParameterSpec(
        "security_demand_elasticity",
        "global",
        "b",
        "rise in arms imports per unit of threat",
        "per unit threat",
        0.0,
        None,
    ),
    ParameterSpec(
        "trade_growth", "global", "b", "growth of the states' external trade", "per year", -0.5, 1.0
    ),
    ParameterSpec(
        "priority",
        "power",
        "c",
        "share of a power's capacity aimed at the region",
        "0-1",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "doctrine", "power", "c", "security emphasis of a power's effort", "0-1", 0.0, 1.0
    ),
    ParameterSpec(
        "entry_share",
        "global",
        "c",
        "share a power expects even where it holds none",
        "share",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "offer_noise_sd", "global", "c", "noise in how effort is spread", "log-sd", 0.0, 2.0
    ),
    ParameterSpec(
        "offer_sensitivity", "global", "d", "logit weight of log offers", "weight", 0.0, None
    ),
    ParameterSpec(
        "hedging", "state", "d", "hedging propensity (multi-vector policy)", "0-1", 0.0, 1.0
    ),
    ParameterSpec(
        "hedging_weight",
        "global",
        "d",
        "attraction lost per unit of share held, at full hedging",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "tie_weight", "global", "d", "attraction of a treaty tie of weight 1", "weight", 0.0, None
    ),
    ParameterSpec(
        "presence_weight",
        "global",
        "d",
        "attraction of a full military presence at full threat",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "credibility_weight",
        "global",
        "d",
        "attraction of full security credibility",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "adjust_rate_economic",
        "global",
        "d",
        "fraction of the gap to target trade shares closed per year",
        "per year",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "adjust_rate_security",
        "global",
        "d",
        "fraction of the gap to target security shares closed per year",
        "per year",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "stickiness",
        "global",
        "d",
        "slowing of adjustment by the strongest treaty tie",
        "fraction",
        0.0,
        1.0,
    ),
    ParameterSpec("coordination", "global", "e", "China-Russia coordination", "0-1", 0.0, 1.0),
    ParameterSpec(
        "restraint_max",
        "global",
        "e",
        "effort held back in the partner's lead domain at full coordination and trust",
        "fraction",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "trust_tolerance",
        "global",
        "e",
        "China's regional security share Russia tolerates",
        "share",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "trust_erosion",
        "global",
        "e",
        "trust lost per year per unit of China's share beyond tolerance",
        "per year",
        0.0,
        None,
    ),
    ParameterSpec(
        "trust_recovery", "global", "e", "rate at which trust recovers", "per year", 0.0, None
    ),
    ParameterSpec(
        "spillover_rate",
        "global",
        "f",
        "rate at which credibility follows economic share",
        "per year",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "capacity_growth",
        "power",
        "g",
        "trend growth of a power's capacity",
        "per year",
        -1.0,
        1.0,
        "CINC trend 2000-2016: ln(CINC_2016 / CINC_2000) / 16 (capability.csv)",
    ),
    ParameterSpec(
        "return_rate",
        "global",
        "g",
        "extra capacity growth per unit of regional share",
        "per year",
        0.0,
        None,
    ),
)

PARAMETERS: dict[str, ParameterSpec] = {spec.name: spec for spec in _SPECS}
"""All model parameters by name."""

INITIAL_CONDITIONS: dict[str, str] = {
    "afghan_instability": "Afghan instability at the start (assumption `afghan_instability`)",
    "initial_trust": "China-Russia trust at the start (assumption `initial_trust`)",
}
"""Starting values that are not parameters but may be given as model keyword arguments."""
