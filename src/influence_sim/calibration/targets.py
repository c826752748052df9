"""Calibration targets: the observed figures a run is compared with, read from a CSV file.

A targets file (``seeds/targets.csv``) has one row per target (an :class:`ObservedFigure` with
the tolerance and weight the fit aims at it with) with the columns

``id, metric, period_start, period_end, value, tolerance, weight, source``

* ``metric``: a metric name of :mod:`influence_sim.calibration.metrics`;
* ``period_start``, ``period_end``: ISO dates; the metric is averaged over the recorded steps
  dated within them (both inclusive);
* ``value``: the figure, in the metric's unit (a share from 0 to 1, a volume or ratio 0 or more);
* ``tolerance``: how far the model may be from the figure and still pass, in the same unit
  (absolute, > 0);
* ``weight``: the target's weight in the calibration loss (>= 0; 0 keeps it in reports only);
* ``source``: where the figure comes from (its id in ``seeds/figures.csv`` and the document).

The loss of one run is ``sum_t weight_t * ((model_t - value_t) / tolerance_t) ** 2``; a target
passes when the model's mean over replicates is within ``tolerance`` of ``value``.
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from influence_sim._inputs import InputFileError, file_sha256, path_argument, read_csv_rows
from influence_sim.calibration.metrics import (
    Metric,
    MetricError,
    PeriodError,
    RegionalSeries,
    parse_metric,
)
from influence_sim.kernel.arrays import FloatArray
from influence_sim.scenario.errors import Problem

COLUMNS: tuple[str, ...] = tuple(
    ["id", "metric", "period_start", "period_end", "value", "tolerance", "weight", "source"]
)
"""Columns of a targets file, in order."""

_NUMBERS = (  # column, lowest value, whether the lowest value is refused, what is expected
    ("value", -np.inf, False, "a number"),
    ("tolerance", 0.0, True, "a number above 0, in the metric's unit"),
    ("weight", 0.0, False, "a number of 0 or more"),
)
_A_METRIC = "a metric name such as regional_security_share:russia"


class TargetError(ValueError):
    """A targets file with mistakes; :attr:`problems` lists every one found."""

    def __init__(self, problems: Sequence[Problem]):
        """Keep the problems; the message is their formatted lines."""
        self.problems = list(problems)
        super().__init__("\n".join(p.format() for p in self.problems))


@dataclass(frozen=True)
class ObservedFigure:
    """An observed figure the model is compared with (one row of a targets file).

    Attributes:
        id: Identifier, unique in its file.
        metric: What the model computes (parsed).
        period_start: First day of the period.
        period_end: Last day of the period (inclusive).
        value: The figure.
        tolerance: Largest absolute miss that still passes (> 0).
        weight: Weight in the loss (>= 0).
        source: Where the figure comes from.
    """

    id: str
    metric: Metric
    period_start: dt.date
    period_end: dt.date
    value: float
    tolerance: float
    weight: float
    source: str

    @property
    def period(self) -> str:
        """The period as ``START..END`` (one date when both are the same)."""
        if self.period_start == self.period_end:
            return self.period_start.isoformat()
        return f"{self.period_start.isoformat()}..{self.period_end.isoformat()}"

    def passes(self, model: float) -> bool:
        """Whether a model value lies within the tolerance of the figure.

        Args:
            model: The model's value (mean over replicates).

        Returns:
            True when ``|model - value| <= tolerance`` (a NaN never passes).
        """
        return bool(abs(model - self.value) <= self.tolerance * (1.0 + 1e-12))

    def as_dict(self) -> dict[str, object]:
        """The target as JSON-ready data."""
        start, end = self.period_start.isoformat(), self.period_end.isoformat()
        return {**vars(self), "metric": self.metric.name, "period_start": start, "period_end": end}


def load_targets(path: str | os.PathLike[str]) -> tuple[ObservedFigure, ...]:
    """Read and check a targets file.

    Args:
        path: The CSV file.

    Returns:
        The targets, in file order.

    Raises:
        TypeError: If ``path`` is not a path (text or ``os.PathLike``).
        TargetError: With every problem found (one per wrong cell or row), or if the file
            cannot be read.
    """
    shown = os.fspath(path_argument("path", path))
    try:
        rows = read_csv_rows(path)
    except InputFileError as exc:
        expected = "a UTF-8 CSV file" if exc.kind in ("encoding", "csv") else "a CSV file"
        problem = Problem(shown, exc.line, None, "", exc.reason, expected)
        raise TargetError([problem]) from None
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        header = ",".join(rows[0]) if rows else "nothing"
        expected = "the header " + ",".join(COLUMNS)
        raise TargetError([Problem(shown, 1, None, "", f"header is '{header}'", expected)])
    problems: list[Problem] = []
    targets: list[ObservedFigure] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            message, expected = f"{len(row)} cells", f"{len(COLUMNS)} cells"
            problems.append(Problem(shown, line, None, "", message, expected))
            continue
        cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
        target, wrong = _figure(cells, seen.get(cells["id"]))
        seen.setdefault(cells["id"], line)
        problems.extend(Problem(shown, line, None, *problem) for problem in wrong)
        if target is not None:
            targets.append(target)
    if not targets and not problems:
        problems.append(Problem(shown, 2, None, "", "no targets", "at least one row"))
    if problems:
        raise TargetError(problems)
    return tuple(targets)


def _figure(
    cells: dict[str, str], id_line: int | None
) -> tuple[ObservedFigure | None, list[tuple[str, str, str]]]:
    """The observed figure of one row, or what is wrong with it as (column, message, expected)."""
    wrong: list[tuple[str, str, str]] = []
    if not cells["id"]:
        wrong.append(("id", "empty id", "a name unique in the file"))
    elif id_line is not None:
        wrong.append(("id", f"id '{cells['id']}' is also on line {id_line}", "a unique id"))
    metric: Metric | None = None
    try:
        metric = parse_metric(cells["metric"])
    except MetricError as exc:
        expected = str(exc).partition("(expected ")[2].rstrip(")") or _A_METRIC
        wrong.append(("metric", str(exc).split(" (expected")[0], expected))
    dates: list[dt.date] = []
    for column in ("period_start", "period_end"):
        try:
            dates.append(dt.date.fromisoformat(cells[column]))
        except ValueError:
            message = f"'{cells[column]}' is not a date"
            wrong.append((column, message, "an ISO date such as 2019-12-31"))
    if len(dates) == 2 and dates[1] < dates[0]:
        message = f"{dates[1]} is before the start {dates[0]}"
        wrong.append(("period_end", message, "an end on or after the start"))
    numbers: dict[str, float] = {}
    for column, low, low_open, expected in _NUMBERS:
        try:
            number = float(cells[column])
        except ValueError:
            number = np.nan
        if np.isfinite(number) and number >= low and not (low_open and number <= low):
            numbers[column] = number
        else:
            wrong.append((column, f"'{cells[column]}' is not valid", expected))
    value = numbers.get("value")
    top = 1.0 if metric is not None and metric.unit == "fraction" else np.inf
    if metric is not None and value is not None and not 0.0 <= value <= top:
        expected = "a fraction from 0 to 1" if top == 1.0 else f"0 or more, in {metric.unit}"
        wrong.append(("value", f"{value:g} is outside the range of {metric.name}", expected))
    source = cells["source"]
    if not source:
        wrong.append(("source", "empty source", "where the figure comes from"))
    if wrong or metric is None:
        return None, wrong
    start, end = dates
    value, tolerance, weight = (numbers[column] for column, *_ in _NUMBERS)
    return ObservedFigure(cells["id"], metric, start, end, value, tolerance, weight, source), []


def target_values(series: RegionalSeries, targets: Sequence[ObservedFigure]) -> FloatArray:
    """The model's value of every target in every run.

    Args:
        series: Regional series of ``B`` runs.
        targets: Targets; every period must hold a recorded step.

    Returns:
        ``(n_targets, B)`` values.

    Raises:
        MetricError: If a metric names a partner the runs do not have.
        PeriodError: If a target's period holds no recorded step.
    """
    rows = [series.values(t.metric, t.period_start, t.period_end) for t in targets]
    return np.stack(rows) if rows else np.zeros((0, series.n_runs))


def run_losses(values: FloatArray, targets: Sequence[ObservedFigure]) -> FloatArray:
    """Weighted squared misses in units of tolerance, per target and run.

    Args:
        values: ``(n_targets, ...)`` model values.
        targets: The targets, in the same order.

    Returns:
        Same shape: ``weight * ((value - figure) / tolerance) ** 2``; NaN values count as
        a miss of 1e6 tolerances, so a run that cannot produce a metric is never preferred.
    """
    figure = np.array([t.value for t in targets]).reshape((-1,) + (1,) * (values.ndim - 1))
    tol = np.array([t.tolerance for t in targets]).reshape(figure.shape)
    weight = np.array([t.weight for t in targets]).reshape(figure.shape)
    z = (values - figure) / tol
    z = np.where(np.isfinite(z), z, 1e6)
    with np.errstate(over="ignore"):  # a huge weight or a tiny tolerance: an infinite loss
        out: FloatArray = weight * z**2
    return out


_FORMER = {"Target": ("ObservedFigure", ObservedFigure), "TargetProblem": ("Problem", Problem)}
"""Former names kept for one release: what each is now called, and the object."""


def __getattr__(name: str) -> type[ObservedFigure] | type[Problem]:
    """``Target`` and ``TargetProblem``: former names, kept for one release with a warning."""
    if name in _FORMER:
        now, value = _FORMER[name]
        warnings.warn(
            f"influence_sim.calibration.targets.{name} is now {now}; "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COLUMNS",
    "ObservedFigure",
    "PeriodError",
    "TargetError",
    "file_sha256",
    "load_targets",
    "run_losses",
    "target_values",
]
