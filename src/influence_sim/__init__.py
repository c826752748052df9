"""influence_sim: an agent-based model of great-power influence in Central Asia.

Great powers (China, Russia, the United States, and any a scenario adds) spend economic and
security capacity on the five Central Asian states, which weigh the offers against the threat
from Afghanistan, their wish to hedge and their treaty ties. Starting values come from the
figures in ``seeds/``; scenario files add shocks such as the Taliban takeover.

Main entry points:

* :func:`load_scenario` and :func:`run`: run a scenario's replicates, get tidy DataFrames;
* :func:`simulate`: scenario plus parameter values in, named scalar outcomes out (for other
  tools such as the EMA Workbench and SALib);
* :class:`InfluenceModel`: one run as a ``mesa.Model``;
* :func:`compare`: paired comparison of scenarios, runs or sweeps;
* :func:`load_sweep`: results of a parameter sweep;
* the ``influence-sim`` command line.

Names are imported on first use, so that the command line and sweep workers start quickly;
``from influence_sim import X`` works for every name in ``__all__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from influence_sim._lazy import lazy_attributes

if TYPE_CHECKING:
    from influence_sim.agents import CentralAsianState, Power
    from influence_sim.analysis import compare
    from influence_sim.api import run, simulate
    from influence_sim.model import InfluenceModel
    from influence_sim.parameters import PARAMETERS
    from influence_sim.results import Results
    from influence_sim.scenario import Scenario, ScenarioError, load_scenario
    from influence_sim.sweep import load_sweep

__version__ = "0.1.0"

_HOMES: dict[str, str] = {
    "CentralAsianState": "influence_sim.agents",
    "InfluenceModel": "influence_sim.model",
    "PARAMETERS": "influence_sim.parameters",
    "Power": "influence_sim.agents",
    "Results": "influence_sim.results",
    "Scenario": "influence_sim.scenario",
    "ScenarioError": "influence_sim.scenario",
    "compare": "influence_sim.analysis",
    "load_scenario": "influence_sim.scenario",
    "load_sweep": "influence_sim.sweep",
    "run": "influence_sim.api",
    "simulate": "influence_sim.api",
}

__all__ = [
    "PARAMETERS",
    "CentralAsianState",
    "InfluenceModel",
    "Power",
    "Results",
    "Scenario",
    "ScenarioError",
    "__version__",
    "compare",
    "load_scenario",
    "load_sweep",
    "run",
    "simulate",
]


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)
