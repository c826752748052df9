"""Calibration and validation: targets from the sources, the fit, and model-against-target reports.

* :mod:`~influence_sim.calibration.metrics`: what a target measures in a run (regional shares,
  volumes and ratios averaged over a dated period), from arrays or from a saved run;
* :mod:`~influence_sim.calibration.targets`: the targets file and the loss;
* :mod:`~influence_sim.calibration.fit`: the objective with common random numbers, the search
  (Latin hypercube, then L-BFGS-B) and the identifiability of each parameter;
* :mod:`~influence_sim.calibration.report`: model against target with pass or fail;
* :mod:`~influence_sim.calibration.output`: the files a calibration writes.

``docs/calibration.md`` says what is fitted to what and what the fit does not show.
"""

from typing import TYPE_CHECKING

from influence_sim._lazy import lazy_attributes

if TYPE_CHECKING:
    from influence_sim.calibration.fit import (
        CalibrationError,
        CalibrationResult,
        FreeParameter,
        Objective,
        Settings,
        calibrate,
        parse_free_parameters,
        scenario_parameters,
    )
    from influence_sim.calibration.metrics import (
        METRIC_KINDS,
        Metric,
        MetricError,
        PeriodError,
        RegionalSeries,
        parse_metric,
    )
    from influence_sim.calibration.output import parameters_yaml, summary, write_outputs
    from influence_sim.calibration.report import TargetRow, compare, compare_series, format_table
    from influence_sim.calibration.targets import (
        ObservedFigure,
        TargetError,
        load_targets,
    )

_HOMES: dict[str, str] = {
    "CalibrationError": ".fit",
    "CalibrationResult": ".fit",
    "FreeParameter": ".fit",
    "METRIC_KINDS": ".metrics",
    "Metric": ".metrics",
    "MetricError": ".metrics",
    "Objective": ".fit",
    "PeriodError": ".metrics",
    "RegionalSeries": ".metrics",
    "ObservedFigure": ".targets",
    "Settings": ".fit",
    "Target": ".targets",  # former name of ObservedFigure (deprecated, warns)
    "TargetError": ".targets",
    "TargetRow": ".report",
    "calibrate": ".fit",
    "compare": ".report",
    "compare_series": ".report",
    "format_table": ".report",
    "load_targets": ".targets",
    "parameters_yaml": ".output",
    "parse_free_parameters": ".fit",
    "parse_metric": ".metrics",
    "scenario_parameters": ".fit",
    "summary": ".output",
    "write_outputs": ".output",
}

__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)

__all__ = [
    "METRIC_KINDS",
    "CalibrationError",
    "CalibrationResult",
    "FreeParameter",
    "Metric",
    "MetricError",
    "Objective",
    "ObservedFigure",
    "PeriodError",
    "RegionalSeries",
    "Settings",
    "TargetError",
    "TargetRow",
    "calibrate",
    "compare",
    "compare_series",
    "format_table",
    "load_targets",
    "parameters_yaml",
    "parse_free_parameters",
    "parse_metric",
    "scenario_parameters",
    "summary",
    "write_outputs",
]
