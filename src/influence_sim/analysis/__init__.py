"""Analysis: compare scenarios and sweeps, sensitivity indices, mechanism attribution.

Entry points:

* :func:`compare`: paired comparison of runs, run folders, sweep folders and scenario files
  (headline metrics per state with deltas and 5-95% bands, fan charts, difference plots);
* :func:`attribute`: how much of a run's change (or of the difference between two scenarios)
  each mechanism accounts for, by switching mechanisms off one at a time with common random
  numbers;
* :func:`analyze`: Sobol' or Morris sensitivity indices of a sweep (needs SALib).

The command-line subcommands ``compare``, ``analyze``, ``attribute`` and ``dashboard`` are in
:mod:`influence_sim.analysis.cli`. The methods, their output files and their limits are
described in ``docs/analysis.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from influence_sim._lazy import lazy_attributes

if TYPE_CHECKING:
    from influence_sim.analysis.attribution import KNOCKOUTS, Attribution, Knockout, attribute
    from influence_sim.analysis.comparison import Comparison, compare, summary_text
    from influence_sim.analysis.metrics import HEADLINE_METRICS, replicate_metrics
    from influence_sim.analysis.runset import RunSet
    from influence_sim.analysis.sensitivity import SensitivityError, SensitivityResult, analyze

_HOMES: dict[str, str] = {
    "Attribution": ".attribution",
    "Comparison": ".comparison",
    "HEADLINE_METRICS": ".metrics",
    "KNOCKOUTS": ".attribution",
    "Knockout": ".attribution",
    "MECHANISMS": ".attribution",  # the former name of KNOCKOUTS: warns, for one release
    "RunSet": ".runset",
    "SensitivityError": ".sensitivity",
    "SensitivityResult": ".sensitivity",
    "analyze": ".sensitivity",
    "attribute": ".attribution",
    "compare": ".comparison",
    "replicate_metrics": ".metrics",
    "summary_text": ".comparison",
}

__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)

__all__ = [
    "HEADLINE_METRICS",
    "KNOCKOUTS",
    "Attribution",
    "Comparison",
    "Knockout",
    "RunSet",
    "SensitivityError",
    "SensitivityResult",
    "analyze",
    "attribute",
    "compare",
    "replicate_metrics",
    "summary_text",
]
