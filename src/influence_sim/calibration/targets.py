"""Calibration targets: the observed figures a run is compared with, read from a CSV file.

A targets file (``seeds/targets.csv``) has one row per target (an :class:`ObservedFigure` with
the tolerance and weight the fit aims at it with) with the columns

``id, metric, period_start, period_end, value, tolerance, weight, source``

* ``metric``: a metric name of :mod:`influence_sim.calibration.metrics`;
* ``period_start``, ``period_end``: ISO dates; the metric is averaged over the recorded steps
  dated within them (both inclusive);
* ``value``: the figure, in the metric's unit;
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

from influence_sim._inputs import InputFileError, read_csv_rows
from influence_sim._inputs import file_sha256 as _file_sha256
from influence_sim.calibration.metrics import (
    Metric,
    MetricError,
    PeriodError,
    RegionalSeries,
    parse_metric,
)
from influence_sim.kernel.arrays import FloatArray
from influence_sim.scenario.errors import Problem

COLUMNS: tuple[str, ...] = (
    "id",
    "metric",
    "period_start",
    "period_end",
    "value",
    "tolerance",
    "weight",
    "source",
)
"""Columns of a targets file, in order."""


TargetProblem = Problem
"""One mistake in a targets file: its line (None for the whole file) and column name as the
problem's path, as scenario and sweep files report theirs."""


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
        return {
            "id": self.id,
            "metric": self.metric.name,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "value": self.value,
            "tolerance": self.tolerance,
            "weight": self.weight,
            "source": self.source,
        }


def _number(text: str, low: float, low_open: bool) -> float:
    value = float(text)
    if not np.isfinite(value):
        raise ValueError("not a finite number")
    if value < low or (low_open and value <= low):
        raise ValueError("out of range")
    return value


def load_targets(path: str | os.PathLike[str]) -> tuple[ObservedFigure, ...]:
    """Read and check a targets file.

    Args:
        path: The CSV file.

    Returns:
        The targets, in file order.

    Raises:
        TargetError: With every problem found (one per wrong cell or row), or if the file
            cannot be read.
    """
    shown = os.fspath(path)
    try:
        rows = read_csv_rows(path)
    except InputFileError as exc:
        expected = "a UTF-8 CSV file" if exc.kind in ("encoding", "csv") else "a CSV file"
        problem = Problem(shown, exc.line, None, "", exc.reason, expected)
        raise TargetError([problem]) from None
    problems: list[Problem] = []
    if not rows or tuple(c.strip() for c in rows[0]) != COLUMNS:
        header = ",".join(rows[0]) if rows else "nothing"
        problems.append(
            Problem(shown, 1, None, "", f"header is '{header}'", "the header " + ",".join(COLUMNS))
        )
        raise TargetError(problems)
    targets: list[ObservedFigure] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not c.strip() for c in row):
            continue
        if len(row) != len(COLUMNS):
            problems.append(
                Problem(shown, line, None, "", f"{len(row)} cells", f"{len(COLUMNS)} cells")
            )
            continue
        cells = dict(zip(COLUMNS, (c.strip() for c in row), strict=True))
        before = len(problems)

        def bad(column: str, message: str, expected: str, at: int = line) -> None:
            problems.append(Problem(shown, at, None, column, message, expected))

        if not cells["id"]:
            bad("id", "empty id", "a name unique in the file")
        elif cells["id"] in seen:
            bad("id", f"id '{cells['id']}' is also on line {seen[cells['id']]}", "a unique id")
        seen.setdefault(cells["id"], line)
        metric: Metric | None = None
        try:
            metric = parse_metric(cells["metric"])
        except MetricError as exc:
            bad("metric", str(exc).split(" (expected")[0], _expected_of(str(exc)))
        dates: list[dt.date] = []
        for column in ("period_start", "period_end"):
            try:
                dates.append(dt.date.fromisoformat(cells[column]))
            except ValueError:
                bad(column, f"'{cells[column]}' is not a date", "an ISO date such as 2019-12-31")
        if len(dates) == 2 and dates[1] < dates[0]:
            bad(
                "period_end",
                f"{dates[1]} is before the start {dates[0]}",
                "an end on or after the start",
            )
        numbers: dict[str, float] = {}
        for column, low, low_open, expected in (
            ("value", -np.inf, False, "a number"),
            ("tolerance", 0.0, True, "a number above 0, in the metric's unit"),
            ("weight", 0.0, False, "a number of 0 or more"),
        ):
            try:
                numbers[column] = _number(cells[column], low, low_open)
            except ValueError:
                bad(column, f"'{cells[column]}' is not valid", expected)
        if not cells["source"]:
            bad("source", "empty source", "where the figure comes from")
        if len(problems) == before and metric is not None:
            targets.append(
                ObservedFigure(
                    cells["id"],
                    metric,
                    dates[0],
                    dates[1],
                    numbers["value"],
                    numbers["tolerance"],
                    numbers["weight"],
                    cells["source"],
                )
            )
    if not targets and not problems:
        problems.append(Problem(shown, 2, None, "", "no targets", "at least one row"))
    if problems:
        raise TargetError(problems)
    return tuple(targets)


def _expected_of(message: str) -> str:
    _, _, tail = message.partition("(expected ")
    return tail.rstrip(")") if tail else "a metric name such as regional_security_share:russia"


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hash of a file's bytes, for provenance (read as ``_inputs.read_bytes`` reads it)."""
    return _file_sha256(path)


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
    out: FloatArray = weight * z**2
    return out


def __getattr__(name: str) -> type[ObservedFigure]:
    """``Target``: the former name of :class:`ObservedFigure`, kept for one release."""
    if name == "Target":
        warnings.warn(
            "influence_sim.calibration.targets.Target is now ObservedFigure; "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return ObservedFigure
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COLUMNS",
    "ObservedFigure",
    "PeriodError",
    "TargetError",
    "TargetProblem",
    "file_sha256",
    "load_targets",
    "run_losses",
    "target_values",
]
