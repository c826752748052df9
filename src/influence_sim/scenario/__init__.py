"""Scenario files: the language, reading and validation, and the shock timeline.

A scenario is a YAML file (see ``docs/scenarios.md``) that analysts copy from ``scenarios/``,
edit and check with ``influence-sim validate``. :func:`load_scenario` reads and validates it
(raising :class:`ScenarioError` with every problem found, each located in its file) and returns
an immutable :class:`Scenario`, which gives the run's entities, calendar, overrides and, through
:meth:`Scenario.compile`, the timeline of shocks the drivers apply.
"""

from influence_sim.scenario.compile import Scenario
from influence_sim.scenario.errors import Problem, ScenarioError
from influence_sim.scenario.load import json_schema, load_scenario
from influence_sim.scenario.spec import METRICS, OutputsSpec, ScenarioSpec, ShockSpec
from influence_sim.timeline import DatedChange

__all__ = [
    "METRICS",
    "DatedChange",
    "OutputsSpec",
    "Problem",
    "Scenario",
    "ScenarioError",
    "ScenarioSpec",
    "ShockSpec",
    "json_schema",
    "load_scenario",
]
