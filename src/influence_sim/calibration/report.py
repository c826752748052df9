"""Model against target: one row per target with the model's value, the miss and pass or fail.

:func:`compare` turns the model's values of every target (one per replicate) into
:class:`TargetRow` objects; :func:`format_table` prints them; :func:`figure_targets` draws them
with the tolerance as a bar around each figure. The rule is the one of
:meth:`influence_sim.calibration.targets.ObservedFigure.passes`: a target passes when the mean over
replicates lies within the tolerance of the figure. A target whose period holds no recorded step
of the run is reported as ``NO DATA`` and neither passes nor fails.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from influence_sim._files import FigureOutput, figure_output
from influence_sim._lazy import former_names
from influence_sim.calibration.metrics import PeriodError, RegionalSeries
from influence_sim.calibration.targets import ObservedFigure
from influence_sim.kernel.arrays import FloatArray
from influence_sim.plots import FIGURE_WIDTH, power_colour

PASS = "PASS"
FAIL = "FAIL"
NO_DATA = "NO DATA"


@dataclass(frozen=True)
class TargetRow:
    """The model against one target.

    Attributes:
        target: The target.
        values: ``(R,)`` the model's value in each replicate (empty when not covered).
    """

    target: ObservedFigure
    values: FloatArray

    @property
    def covered(self) -> bool:
        """Whether the run has a value for this target."""
        return bool(self.values.size) and bool(np.isfinite(self.values).all())

    @property
    def mean(self) -> float:
        """Mean over replicates (NaN when not covered)."""
        return float(np.mean(self.values)) if self.covered else math.nan

    @property
    def low(self) -> float:
        """5th percentile over replicates (NaN when not covered)."""
        return float(np.percentile(self.values, 5)) if self.covered else math.nan

    @property
    def high(self) -> float:
        """95th percentile over replicates (NaN when not covered)."""
        return float(np.percentile(self.values, 95)) if self.covered else math.nan

    @property
    def sd(self) -> float:
        """Standard deviation over replicates (0 for one replicate; NaN when not covered)."""
        return float(np.std(self.values)) if self.covered else math.nan

    @property
    def miss(self) -> float:
        """Mean minus figure, in the metric's unit."""
        return self.mean - self.target.value

    @property
    def z(self) -> float:
        """Miss in units of tolerance."""
        return self.miss / self.target.tolerance

    @property
    def result(self) -> str:
        """``PASS``, ``FAIL`` or ``NO DATA``."""
        if not self.covered:
            return NO_DATA
        return PASS if self.target.passes(self.mean) else FAIL

    def as_dict(self) -> dict[str, object]:
        """The row as JSON-ready data (NaN becomes None)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            **self.target.as_dict(),
            "model_mean": num(self.mean),
            "model_sd": num(self.sd),
            "model_p5": num(self.low),
            "model_p95": num(self.high),
            "miss": num(self.miss),
            "miss_in_tolerances": num(self.z),
            "result": self.result,
        }


def compare(targets: Sequence[ObservedFigure], values: FloatArray) -> list[TargetRow]:
    """Rows of model against target from the model's values.

    Args:
        targets: The targets.
        values: ``(n_targets, R)`` model values; a row of NaN marks a target not covered.

    Returns:
        One row per target, in order.
    """
    return [TargetRow(t, np.asarray(v, dtype=float)) for t, v in zip(targets, values, strict=True)]


def compare_series(series: RegionalSeries, targets: Sequence[ObservedFigure]) -> list[TargetRow]:
    """Rows of model against target for a run's regional series.

    Targets whose period holds no recorded step get an empty row (``NO DATA``).

    Args:
        series: Regional series of the run's replicates.
        targets: The targets.

    Returns:
        One row per target, in order.

    Raises:
        influence_sim.calibration.metrics.MetricError: If a metric names a partner the run
            does not have.
    """
    rows = []
    for target in targets:
        try:
            values = series.values(target.metric, target.period_start, target.period_end)
        except PeriodError:
            values = np.zeros(0)
        rows.append(TargetRow(target, values))
    return rows


def _fmt(x: float, digits: int = 4) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.{digits}g}"


def format_table(rows: Sequence[TargetRow]) -> str:
    """The rows as a fixed-width text table with a closing count.

    Args:
        rows: Rows to show.

    Returns:
        Lines: id, metric, period, target, model mean with its 5-95% range over replicates,
        tolerance, miss in tolerances and the result; then ``Passed N of M targets``.
    """
    header = ("id", "metric", "period", "target", "model", "5-95%", "tol", "miss/tol", "result")
    body = []
    for row in rows:
        t = row.target
        band = "-" if not row.covered else f"{_fmt(row.low)}..{_fmt(row.high)}"
        z = "-" if not row.covered else f"{row.z:+.2f}"
        body.append(
            (
                t.id,
                t.metric.name,
                t.period,
                _fmt(t.value),
                _fmt(row.mean),
                band,
                _fmt(t.tolerance),
                z,
                row.result,
            )
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    results = [r.result for r in rows]
    counted = [r for r in results if r != NO_DATA]
    tail = f"Passed {results.count(PASS)} of {len(counted)} targets"
    extra = []
    if FAIL in results:
        extra.append(f"{results.count(FAIL)} FAIL")
    if NO_DATA in results:
        extra.append(f"{results.count(NO_DATA)} with no data in the run")
    lines.append("")
    lines.append(tail + (f" ({'; '.join(extra)})" if extra else "") + ".")
    return "\n".join(lines)


def _result_colour(result: str) -> str:
    return {PASS: "#2e7d32", FAIL: "#c62828"}.get(result, "#757575")


def plot_target(row: TargetRow, ax: Axes) -> Axes:
    """Draw one target: the figure with its tolerance bar beside the model's mean and range.

    Args:
        row: The row.
        ax: Axes to draw on.

    Returns:
        The axes.
    """
    t = row.target
    colour = power_colour(t.metric.partners[0])
    ax.errorbar(
        [0],
        [t.value],
        yerr=[[t.tolerance], [t.tolerance]],
        fmt="s",
        color="black",
        capsize=6,
        markersize=6,
        label="target ± tolerance",
    )
    if row.covered:
        lo, hi = row.mean - row.low, row.high - row.mean
        ax.errorbar(
            [1],
            [row.mean],
            yerr=[[max(lo, 0.0)], [max(hi, 0.0)]],
            fmt="o",
            color=colour,
            capsize=6,
            markersize=7,
            label="model (5-95%)",
        )
        ax.scatter(np.ones(row.values.size) * 1.15, row.values, s=6, color=colour, alpha=0.4)
    else:
        ax.text(1, t.value, "no data", ha="center", va="center", fontsize="small")
    ax.set_xlim(-0.6, 1.6)
    ax.set_xticks([0, 1], ["target", "model"])
    ax.set_ylabel(t.metric.unit)
    ax.set_title(f"{t.id}\n{t.metric.name}\n{t.period}", fontsize=8)
    ax.text(
        0.98,
        0.98,
        row.result,
        transform=ax.transAxes,
        ha="right",
        va="top",
        color=_result_colour(row.result),
        fontweight="bold",
    )
    return ax


def figure_targets(rows: Sequence[TargetRow], title: str = "") -> Figure:
    """A figure with one panel per target (:func:`plot_target`).

    Args:
        rows: Rows to draw.
        title: Figure title.

    Returns:
        The figure (not shown; save it with ``savefig``).
    """
    n = max(len(rows), 1)
    cols = min(n, 3)
    nrows = math.ceil(n / cols)
    fig = Figure(figsize=(FIGURE_WIDTH, 2.7 * nrows + 0.5), layout="constrained")
    axes = fig.subplots(nrows, cols, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i < len(rows):
            plot_target(rows[i], ax)
        else:
            ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def save_targets_plot(
    rows: Sequence[TargetRow],
    path: str | Path,
    title: str = "",
    figures: FigureOutput | None = None,
) -> list[Path]:
    """Draw :func:`figure_targets` and save it (PNG unless ``figures`` says otherwise).

    Args:
        rows: Rows to draw.
        path: File to write (its suffix is replaced by each format's).
        title: Figure title.
        figures: Formats and resolution (default: PNG at 100 dpi).

    Returns:
        The paths written.
    """
    return figure_output(figures).save(figure_targets(rows, title), Path(path), 100)


__getattr__ = former_names(__name__, {"plot_targets": "figure_targets"})
"""The former name of :func:`figure_targets`, kept for one release with a warning."""

__all__ = [
    "FAIL",
    "NO_DATA",
    "PASS",
    "TargetRow",
    "compare",
    "compare_series",
    "figure_targets",
    "format_table",
    "plot_target",
    "save_targets_plot",
]
