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
        mechanism: Letter of the mechanism it belongs to (see
            :data:`influence_sim.kernel.mechanisms.MECHANISM_TABLE`).
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
        if self.name in ("capacity_growth", "gdp_growth"):
            return 0.0
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
        "gdp_growth",
        "state",
        "h",
        "growth of a state's GDP beyond its driver (panel, then trend)",
        "per year",
        -0.5,
        0.5,
        "0: no departure from the drivers (GDP growth from seeds/panel.csv, then the trend)",
    ),
    ParameterSpec(
        "arms_propensity",
        "state",
        "b",
        "log arms demand of a state at zero threat and a GDP of USD 1bn",
        "log USD bn per year",
        -30.0,
        10.0,
        "estimate arms_propensity_<state> (seeds/estimates.csv): the mean over the panel's "
        "arms-import windows of log imports less the GDP and threat terms",
    ),
    ParameterSpec(
        "driver_weight",
        "global",
        "h",
        "weight of the drivers' growth (1 follows the panel and its trend; 0 freezes economies)",
        "weight",
        0.0,
        2.0,
    ),
    ParameterSpec(
        "gdp_elasticity",
        "global",
        "d",
        "elasticity of a state's trade with a partner to its own GDP (gravity)",
        "elasticity",
        0.0,
        3.0,
    ),
    ParameterSpec(
        "partner_elasticity",
        "global",
        "d",
        "elasticity of trade to the partner's GDP, beyond the offer term (gravity)",
        "elasticity",
        0.0,
        3.0,
    ),
    ParameterSpec(
        "infrastructure_weight",
        "global",
        "d",
        "log trade gained with a partner through a full pipeline or corridor link",
        "log units",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "sanctions_penalty",
        "global",
        "d",
        "log trade lost with a power under full sanctions (payments, insurance, logistics)",
        "log units",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "diversion_weight",
        "global",
        "d",
        "log trade an EAEU member gains with a sanctioned power under full sanctions "
        "(re-exports, parallel imports)",
        "log units",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "arms_gdp_elasticity",
        "global",
        "b",
        "elasticity of a state's arms demand to its GDP",
        "elasticity",
        0.0,
        3.0,
    ),
    ParameterSpec(
        "supplier_capacity_weight",
        "global",
        "i",
        "logit weight of the log security capacity of an arms supplier",
        "weight",
        0.0,
        10.0,
    ),
    ParameterSpec(
        "protection_weight",
        "global",
        "c",
        "extra security effort per unit of threat to a power's trade in the region",
        "per unit threat",
        0.0,
        20.0,
    ),
    ParameterSpec(
        "contract_rate",
        "global",
        "i",
        "arms contracts a state signs per year",
        "per year",
        0.05,
        12.0,
    ),
    ParameterSpec(
        "contract_lumpiness",
        "global",
        "i",
        "how lumpy arms purchases are (0 smooth, 1 whole contracts)",
        "0-1",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "lead_time_years",
        "global",
        "i",
        "mean time from an arms contract to delivery",
        "years",
        0.05,
        10.0,
    ),
    ParameterSpec(
        "coordination_rate",
        "global",
        "e",
        "fraction of the gap to equilibrium coordination closed per year",
        "per year",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "coordination_threat_weight",
        "global",
        "e",
        "coordination gained per unit of the region's mean threat",
        "per unit threat",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "coordination_us_weight",
        "global",
        "e",
        "coordination gained per unit of third-power presence and security share",
        "per unit",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "coordination_overreach_weight",
        "global",
        "e",
        "coordination lost per unit of China's arms share beyond what Russia accepts",
        "per unit share",
        0.0,
        50.0,
    ),
    ParameterSpec(
        "tolerance_leverage_weight",
        "global",
        "e",
        "share Russia must accept per unit of lost leverage (China's part of the two's arms "
        "capacity)",
        "share",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "tolerance_dependence_weight",
        "global",
        "e",
        "share Russia must accept under full sanctions (dependence on China)",
        "share",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "exclusion_weight",
        "global",
        "e",
        "attraction third powers lose at full coordination and trust",
        "log units",
        0.0,
        5.0,
    ),
    ParameterSpec(
        "competition_weight",
        "global",
        "e",
        "extra Russian security effort when coordination and trust are gone",
        "fraction",
        0.0,
        5.0,
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
        "doctrine",
        "power",
        "c",
        "security emphasis: part of a power's security capacity aimed at the region",
        "0-1",
        0.0,
        1.0,
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
        "offer_sensitivity",
        "global",
        "d",
        "weight of log economic offers in the gravity equation of trade",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "security_offer_sensitivity",
        "global",
        "i",
        "logit weight of log security offers (arms on credit, training, terms) in supplier choice",
        "weight",
        0.0,
        None,
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
        "i",
        "attraction of a full military presence at full threat",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "credibility_weight",
        "global",
        "i",
        "attraction of full security credibility",
        "weight",
        0.0,
        None,
    ),
    ParameterSpec(
        "adjust_rate_economic",
        "global",
        "d",
        "fraction of the gap to equilibrium trade (in logs) closed per year",
        "per year",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "adjust_rate_security",
        "global",
        "i",
        "fraction of the gap to the mix of current arms deliveries closed per year",
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
    ParameterSpec(
        "coordination",
        "global",
        "e",
        "base China-Russia coordination, before its motives",
        "0-1",
        0.0,
        1.0,
    ),
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
        "China's regional security share Russia accepts at full leverage, without sanctions",
        "share",
        0.0,
        1.0,
    ),
    ParameterSpec(
        "trust_erosion",
        "global",
        "e",
        "trust lost per year per unit of China's regional arms share beyond what Russia accepts",
        "per year per unit share",
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
        "growth of a power's capacities beyond their drivers",
        "per year",
        -1.0,
        1.0,
        "0: growth beyond the drivers (GDP from seeds/panel.csv for economic capacity, world "
        "arms exports by window for security capacity); a power a scenario adds gives it",
    ),
    ParameterSpec(
        "return_rate",
        "global",
        "g",
        "extra capacity growth per unit of regional share",
        "per year per unit share",
        0.0,
        1.0,  # beyond it capacities overflow within decades (e**150 a year at 150)
    ),
)

PARAMETERS: dict[str, ParameterSpec] = {spec.name: spec for spec in _SPECS}
"""All model parameters by name."""

INITIAL_CONDITIONS: dict[str, str] = {
    "afghan_instability": "Afghan instability at the start (assumption `afghan_instability`)",
    "initial_trust": "China-Russia trust at the start (assumption `initial_trust`)",
}
"""Starting values that are not parameters but may be given as model keyword arguments."""
