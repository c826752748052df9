"""influence_sim: an agent-based model of great-power influence in Central Asia.

Great powers (China, Russia, the United States, and any a scenario adds) spend economic and
security capacity on the five Central Asian states, which weigh the offers against the threat
from Afghanistan, their wish to hedge and their treaty ties. Starting values come from the
figures in ``seeds/``; scenario files add shocks such as the Taliban takeover.

Main entry points:

* :func:`load_scenario` and :func:`run`: run a scenario's replicates, get tidy DataFrames;
* :class:`InfluenceModel`: one run as a ``mesa.Model``;
* the ``influence-sim`` command line.
"""

from influence_sim.agents import CentralAsianState, Power
from influence_sim.model import InfluenceModel
from influence_sim.parameters import PARAMETERS
from influence_sim.results import Results

__version__ = "0.1.0"

__all__ = [
    "PARAMETERS",
    "CentralAsianState",
    "InfluenceModel",
    "Power",
    "Results",
    "__version__",
]
