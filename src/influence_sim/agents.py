"""Mesa agents: great powers and Central Asian states, as views into the kernel's arrays.

An agent holds no copy of its state: every attribute reads the current arrays of the model's
batch of one, so agents, data collection and the kernel can never disagree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import ECON, SEC

if TYPE_CHECKING:
    from influence_sim.model import InfluenceModel


class Power(mesa.Agent):
    """A great power spending economic and security capacity on the region.

    Attributes:
        name: Power name (``china``, ``russia``, ``united_states``, or one a scenario adds).
        index: Position on the power axis of the kernel's arrays.
    """

    model: InfluenceModel

    def __init__(self, model: InfluenceModel, name: str, index: int) -> None:
        """Create the agent.

        Args:
            model: The model it belongs to.
            name: Power name.
            index: Position on the power axis.
        """
        super().__init__(model)
        self.name = name
        self.index = index

    @property
    def economic_capacity(self) -> float:
        """Economic capacity: the power's GDP, USD trn."""
        return float(self.model.batch.state.capacity[0, self.index, ECON])

    @property
    def security_capacity(self) -> float:
        """Security capacity: the power's world arms exports, USD bn a year."""
        return float(self.model.batch.state.capacity[0, self.index, SEC])

    @property
    def priority(self) -> float:
        """Share of capacity aimed at the region."""
        return float(self.model.batch.params.priority[0, self.index])

    @property
    def doctrine(self) -> float:
        """Security emphasis of its effort, 0 (all economic) to 1 (all security)."""
        return float(self.model.batch.params.doctrine[0, self.index])

    @property
    def economic_effort(self) -> float:
        """Economic effort spent on the region in the last step."""
        return float(self.model.batch.effort()[0, self.index, ECON])

    @property
    def security_effort(self) -> float:
        """Security effort spent on the region in the last step."""
        return float(self.model.batch.effort()[0, self.index, SEC])

    @property
    def sanctions(self) -> float:
        """Sanctions on the power, 0 to 1."""
        return float(self.model.batch.state.sanctions[0, self.index])

    @property
    def regional_economic_share(self) -> float:
        """Share of the region's trade (trade-weighted over states)."""
        return float(self.model.regional_shares()[self.index, ECON])

    @property
    def regional_security_share(self) -> float:
        """Share of the region's arms imports (arms-weighted over states)."""
        return float(self.model.regional_shares()[self.index, SEC])

    @property
    def trade_usd_bn(self) -> float:
        """Trade with the region, USD bn per year."""
        return float(self.model.regional_volumes()[self.index, ECON])

    def __repr__(self) -> str:
        return f"Power({self.name!r})"


class CentralAsianState(mesa.Agent):
    """A Central Asian state weighing the powers' offers against threat, hedging and ties.

    Attributes:
        name: State name.
        index: Position on the state axis of the kernel's arrays.
    """

    model: InfluenceModel

    def __init__(self, model: InfluenceModel, name: str, index: int) -> None:
        """Create the agent.

        Args:
            model: The model it belongs to.
            name: State name.
            index: Position on the state axis.
        """
        super().__init__(model)
        self.name = name
        self.index = index

    def _profile(self, domain: int) -> dict[str, float]:
        row = self.model.batch.state.share[0, self.index, :, domain]
        return {k: float(v) for k, v in zip(self.model.dims.partners, row, strict=True)}

    @property
    def economic_shares(self) -> dict[str, float]:
        """Shares of its trade by partner (powers and ``rest_of_world``), summing to 1."""
        return self._profile(ECON)

    @property
    def security_shares(self) -> dict[str, float]:
        """Shares of its arms imports and security ties by partner, summing to 1."""
        return self._profile(SEC)

    @property
    def security_guarantor(self) -> str:
        """The power with the largest security share (rest of world is not a guarantor)."""
        share = self.model.batch.state.share[0, self.index]
        return self.model.dims.powers[int(obs.guarantor(share, self.model.dims.n_powers))]

    @property
    def threat(self) -> float:
        """Threat perception, 0 to 1."""
        return float(self.model.batch.state.threat[0, self.index])

    @property
    def exposure(self) -> float:
        """Exposure to Afghan instability, 0 to 1."""
        return float(self.model.batch.params.threat_exposure[0, self.index])

    @property
    def hedging(self) -> float:
        """Hedging propensity (multi-vector policy), 0 to 1."""
        return float(self.model.batch.params.hedging[0, self.index])

    @property
    def trade_usd_bn(self) -> float:
        """Total external trade, USD bn per year."""
        return float(self.model.batch.state.trade[0, self.index])

    @property
    def arms_usd_bn(self) -> float:
        """Arms imports (the moving window of deliveries), USD bn per year."""
        return float(self.model.batch.demand()[0, self.index, SEC])

    @property
    def gdp_usd_bn(self) -> float:
        """GDP, USD bn (a driver from the country panel, then its trend)."""
        return float(self.model.batch.state.gdp[0, self.index])

    @property
    def arms_backlog_usd_bn(self) -> dict[str, float]:
        """Arms contracted and not yet delivered, by supplier, USD bn."""
        backlog = self.model.batch.state.arms_backlog[0, self.index]
        return {p: float(backlog[k]) for k, p in enumerate(self.model.dims.partners)}

    @property
    def memberships(self) -> dict[str, bool]:
        """Membership of each organisation (CSTO, SCO, EAEU)."""
        row = self.model.batch.state.membership[0, self.index]
        return {o: bool(v > 0.5) for o, v in zip(self.model.dims.organisations, row, strict=True)}

    @property
    def concentration(self) -> dict[str, float]:
        """Herfindahl index of each profile (1 = one partner only)."""
        share = self.model.batch.state.share[0, self.index]
        return {
            "economic": float((share[:, ECON] ** 2).sum()),
            "security": float((share[:, SEC] ** 2).sum()),
        }

    def __repr__(self) -> str:
        return f"CentralAsianState({self.name!r})"


__all__ = ["CentralAsianState", "Power"]
