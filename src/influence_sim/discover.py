"""Scenario discovery: the regions of a sweep's varied values where an outcome happens.

``influence-sim discover SWEEP_DIR --metric M --above X`` (or ``--below X``, or ``--equals V``
for a text metric such as ``final.security_guarantor.tajikistan``) marks each successful run of
a finished sweep as a case of interest or not, and runs PRIM, the Patient Rule Induction
Method of the EMA Workbench (:mod:`ema_workbench.analysis.prim`), on the sweep's varied values.
PRIM peels the space of varied values into boxes, each a set of limits on a few of them; for
each box it reports

* **coverage**: the fraction of all cases of interest that fall inside the box;
* **density**: the fraction of the runs inside the box that are cases of interest;
* **mass**: the fraction of all runs inside the box;
* the box's limits on each value it restricts, and PRIM's quasi-p-value of each limit (small
  values: the limit is unlikely to be chance).

From each box's peeling trajectory the box with the largest coverage among those of at least
the wanted density (``--density``, default 0.8) is chosen; the search then goes on with the runs
outside it, up to ``--boxes`` boxes. The boxes are printed, written to ``boxes.csv`` and drawn in
``boxes.png`` (each box's limits against the sweep's range, and the trade-off between coverage
and density along the peeling trajectory); ``discovery.json`` records what was asked and found
and the files written.

PRIM needs the EMA Workbench: ``pip install 'influence-sim[ema]'``.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from influence_sim._cliutil import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    add_figure_options,
    check_out_folder,
    error,
    figure_choice,
    finite_float,
    path_arg,
    positive_int,
    sweep_out_problem,
)
from influence_sim._files import FIGURE_FORMATS
from influence_sim._lazy import former_names
from influence_sim._text import did_you_mean

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from influence_sim._files import FigureOutput

__all__ = [
    "Box",
    "Discovery",
    "DiscoveryError",
    "discover",
    "figure_boxes",
    "plot_box_limits",
    "plot_trajectory",
    "register",
]

__getattr__ = former_names(__name__, {"plot_boxes": "figure_boxes"})
"""The former name of :func:`figure_boxes`, kept for one release with a warning."""

DEFAULT_DENSITY = 0.8
DEFAULT_BOXES = 3
DEFAULT_MASS_MIN = 0.05


class DiscoveryError(ValueError):
    """Input that scenario discovery cannot use; the message is one line for the user."""


@dataclass(frozen=True)
class Box:
    """One box PRIM found.

    Attributes:
        number: 1 for the first box, 2 for the next (found among the runs outside box 1), ...
        coverage: Fraction of all cases of interest inside the box.
        density: Fraction of the runs inside the box that are cases of interest.
        mass: Fraction of all runs inside the box.
        n_runs: Runs inside the box.
        limits: One row per restricted value, indexed by the varied path, with ``low`` and
            ``high`` (the box), ``range_low`` and ``range_high`` (the sweep's range) and
            ``qp_low`` and ``qp_high`` (quasi-p-values of the limits, NaN where not restricted).
        trajectory: The peeling trajectory: ``coverage``, ``density``, ``mass``, ``res_dim``
            per candidate box; ``chosen`` marks this box.
    """

    number: int
    coverage: float
    density: float
    mass: float
    n_runs: int
    limits: pd.DataFrame
    trajectory: pd.DataFrame

    def describe(self) -> str:
        """The box in words: ``a > 0.502 and b < 0.3``."""
        parts = []
        for path, row in self.limits.iterrows():
            low_cut = row["low"] > row["range_low"]
            high_cut = row["high"] < row["range_high"]
            if low_cut and high_cut:
                parts.append(f"{_num(row['low'])} <= {path} <= {_num(row['high'])}")
            elif low_cut:
                parts.append(f"{path} >= {_num(row['low'])}")
            elif high_cut:
                parts.append(f"{path} <= {_num(row['high'])}")
        return " and ".join(parts) if parts else "the whole range of every value"


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes:
        sweep: The sweep folder.
        metric: The metric.
        condition: The condition in words (``above 0.5``).
        n_runs: Successful runs used.
        n_cases: Runs where the condition holds (cases of interest).
        parameters: The varied paths PRIM searched over.
        boxes: The boxes, best first.
        densest: The largest density PRIM reached (NaN before the search).
        density: The smallest density of a box worth reporting that was asked for.
        max_boxes: The most boxes asked for.
        mass_min: The smallest mass of a box PRIM peeled down to.
        n_undefined: Runs whose numeric metric is NaN (a crossing that never happens before
            the end); they are not cases of interest, under ``above`` as under ``below``.
    """

    sweep: str
    metric: str
    condition: str
    n_runs: int
    n_cases: int
    parameters: list[str]
    boxes: list[Box] = field(default_factory=list)
    densest: float = math.nan
    density: float = DEFAULT_DENSITY
    max_boxes: int = DEFAULT_BOXES
    mass_min: float = DEFAULT_MASS_MIN
    n_undefined: int = 0

    def record(self) -> dict[str, Any]:
        """What was asked and found, as ``discovery.json`` holds it (without ``files``)."""
        return {
            "sweep": self.sweep,
            "metric": self.metric,
            "condition": self.condition,
            "density": self.density,
            "max_boxes": self.max_boxes,
            "mass_min": self.mass_min,
            "n_runs": self.n_runs,
            "n_cases": self.n_cases,
            "n_undefined": self.n_undefined,
            "parameters": self.parameters,
            "boxes": len(self.boxes),
            "densest": self.densest,
        }

    def table(self) -> pd.DataFrame:
        """The boxes as one table: one row per box and restricted value (``boxes.csv``)."""
        rows = []
        for box in self.boxes:
            for path, limit in box.limits.iterrows():
                rows.append(
                    {
                        "box": box.number,
                        "coverage": box.coverage,
                        "density": box.density,
                        "mass": box.mass,
                        "n_runs": box.n_runs,
                        "parameter": path,
                        **{k: float(v) for k, v in limit.items()},
                    }
                )
        columns = ["box", "coverage", "density", "mass", "n_runs", "parameter", "low", "high"]
        columns += ["range_low", "range_high", "qp_low", "qp_high"]
        return pd.DataFrame(rows, columns=columns)

    def summary(self) -> str:
        """The result as printed by ``influence-sim discover``."""
        lines = [
            f"{self.metric} {self.condition}: {self.n_cases} of {self.n_runs} runs "
            f"({self.n_cases / self.n_runs:.0%}), varied: {', '.join(self.parameters)}"
        ]
        if self.n_undefined:
            lines.append(
                f"{self.n_undefined} of the {self.n_runs} runs have no value of {self.metric} "
                "(NaN: for a crossing year, it never happens before the end) and are not cases"
            )
        if not self.boxes:
            lines.append(
                f"no box reaches the wanted density (the densest PRIM found has "
                f"{self.densest:.2f}); try a lower --density, or more runs or replicates"
            )
        for box in self.boxes:
            lines.append(
                f"box {box.number}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
                f"mass {box.mass:.2f} ({box.n_runs} runs): {box.describe()}"
            )
            for path, row in box.limits.iterrows():
                lines.append(
                    f"  {path}: {_num(row['low'])} to {_num(row['high'])} "
                    f"(sweep range {_num(row['range_low'])} to {_num(row['range_high'])}; "
                    f"qp {_qp(row['qp_low'])} / {_qp(row['qp_high'])})"
                )
        return "\n".join(lines)


def _num(value: float) -> str:
    return f"{value:.4g}"


def _qp(value: float) -> str:
    return "-" if not math.isfinite(value) else f"{value:.2g}"


def _suggest(word: str, choices: list[str]) -> str:
    hint = did_you_mean(word, choices)
    if hint:
        return hint
    shown = ", ".join(choices[:6]) + (", ..." if len(choices) > 6 else "")
    return f"the sweep's metrics are {shown}"


def _cases(
    runs: pd.DataFrame,
    metric: str,
    above: float | None,
    below: float | None,
    equals: str | None,
) -> tuple[np.ndarray, str]:
    """Which runs are cases of interest, and the condition in words."""
    values = runs[metric]
    numeric = pd.api.types.is_numeric_dtype(values)
    if equals is not None:
        if numeric:
            raise DiscoveryError(
                f"--equals: metric {metric!r} holds numbers (use --above or --below)"
            )
        return (values.astype(object) == equals).to_numpy(dtype=bool), f"equals {equals!r}"
    if not numeric:
        seen = sorted({str(v) for v in values.dropna()})
        raise DiscoveryError(
            f"metric {metric!r} holds text ({', '.join(seen[:5])}): use --equals VALUE"
        )
    numbers = values.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if above is not None:
            return numbers > above, f"above {_num(above)}"
        assert below is not None
        return numbers < below, f"below {_num(below)}"


def _choose(trajectory: pd.DataFrame, density: float) -> int:
    """The box of the trajectory with the largest coverage at the wanted density, or -1."""
    good = trajectory[trajectory["density"] >= density]
    if good.empty:
        return -1
    best = good.sort_values(["coverage", "density"], ascending=False, kind="stable")
    return int(best.index[0])


def discover(
    sweep: str | os.PathLike[str],
    metric: str,
    *,
    above: float | None = None,
    below: float | None = None,
    equals: str | None = None,
    density: float = DEFAULT_DENSITY,
    max_boxes: int = DEFAULT_BOXES,
    mass_min: float = DEFAULT_MASS_MIN,
) -> Discovery:
    """Find the boxes of varied values where a sweep's metric meets a condition (PRIM).

    Args:
        sweep: A sweep folder (``influence-sim sweep`` output); an unfinished sweep's runs done
            so far are used.
        metric: A summary metric of the sweep's runs (a column of ``runs.parquet``).
        above: The condition on a numeric metric: strictly above the value. A run whose
            metric is NaN (``china_passes_russia_security_year`` when it never happens) is not
            a case of interest.
        below: The same, strictly below.
        equals: The condition on a text metric, e.g. ``china`` for
            ``final.security_guarantor.tajikistan``.
        density: Smallest density of a box worth reporting (0 to 1).
        max_boxes: Most boxes to report.
        mass_min: Smallest mass of a box PRIM peels down to.

    Returns:
        The cases of interest and the boxes, best first.

    Raises:
        DiscoveryError: For a folder that is not a sweep, an unknown metric (with the closest
            name), a sweep that varies nothing, a condition no run (or every run) meets, or a
            missing EMA Workbench.

    Examples:
        >>> found = discover(
        ...     "sweeps/afghan", "final.security_guarantor.tajikistan", equals="china"
        ... )  # doctest: +SKIP
        >>> print(found.summary())  # doctest: +SKIP
    """
    from influence_sim.sweep import load_sweep

    if sum(x is not None for x in (above, below, equals)) != 1:
        raise DiscoveryError("give exactly one of --above, --below or --equals")
    if not 0.0 < density <= 1.0:
        raise DiscoveryError(
            f"--density {density!r} is out of range (expected a number from 0 to 1)"
        )
    try:
        data = load_sweep(sweep)
    except FileNotFoundError as exc:
        raise DiscoveryError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise DiscoveryError(f"{sweep}: {str(exc).splitlines()[0]}") from None
    runs = data.runs
    if runs.empty:
        raise DiscoveryError(f"{sweep}: the sweep has no finished runs yet")
    parameters = [p for p in data.parameters if p in runs.columns]
    if not parameters:
        raise DiscoveryError(
            f"{sweep}: the sweep varies no value, so there is nothing to find boxes in"
        )
    metrics = data.metrics
    if metric not in metrics:
        raise DiscoveryError(f"{sweep}: unknown metric {metric!r} ({_suggest(metric, metrics)})")
    runs = runs[runs["status"] == "ok"].reset_index(drop=True)
    x = runs[parameters].astype(np.float64)
    varied = [p for p in parameters if x[p].nunique() > 1]
    if not varied:
        raise DiscoveryError(f"{sweep}: every run has the same values, so nothing can be found")
    x = x[varied]
    cases, condition = _cases(runs, metric, above, below, equals)
    n_cases = int(cases.sum())
    if n_cases == 0:
        raise DiscoveryError(
            f"{sweep}: no run has {metric} {condition} "
            f"(its values {_range_of(runs[metric])}); nothing to discover"
        )
    if n_cases == len(runs):
        raise DiscoveryError(f"{sweep}: every run has {metric} {condition}; nothing to discover")
    try:
        with warnings.catch_warnings():
            # the workbench warns on import about optional parallel back ends
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError:
        raise DiscoveryError(
            "scenario discovery needs the EMA Workbench: pip install 'influence-sim[ema]'"
        ) from None
    logging.getLogger("EMA").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        # deprecations inside the workbench are its own, not the user's to act on
        warnings.simplefilter("ignore", DeprecationWarning)
        finder = prim.Prim(x, cases.astype(int), mass_min=mass_min)
    found = Discovery(
        str(sweep),
        metric,
        condition,
        len(runs),
        n_cases,
        varied,
        density=density,
        max_boxes=max_boxes,
        mass_min=mass_min,
        n_undefined=_undefined(runs[metric]),
    )
    full = x.agg(["min", "max"])
    for number in range(1, max_boxes + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            box = finder.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory.reset_index(drop=True)
        if number == 1:
            found.densest = float(trajectory["density"].max())
        chosen = _choose(trajectory, density)
        if chosen < 0:
            break
        box.select(chosen)
        found.boxes.append(_box(number, box, chosen, full, trajectory))
        if not _remaining_cases(finder).any():
            break
    return found


def _remaining_cases(finder: Any) -> np.ndarray:
    """Cases of interest among the runs outside the boxes found so far."""
    inside = np.zeros(finder.n, dtype=bool)
    for box in finder._boxes:
        inside[box.yi] = True
    return np.asarray(finder.y, dtype=bool) & ~inside


def _undefined(values: pd.Series) -> int:
    """How many values of a numeric metric are NaN (0 for a text metric)."""
    if not pd.api.types.is_numeric_dtype(values):
        return 0
    return int(values.isna().sum())


def _range_of(values: pd.Series) -> str:
    """What values a metric takes, to follow "its values": ``run from 1 to 2``, ``are a, b``."""
    if not pd.api.types.is_numeric_dtype(values):
        return "are " + ", ".join(sorted({str(v) for v in values.dropna()})[:5])
    finite = values[np.isfinite(values.to_numpy(dtype=np.float64))]
    if finite.empty:
        return "are NaN only"
    return f"run from {_num(float(finite.min()))} to {_num(float(finite.max()))}"


def _box(number: int, box: Any, chosen: int, full: pd.DataFrame, trajectory: pd.DataFrame) -> Box:
    lims = box.box_lims[chosen]
    qp = box.p_values[chosen] if chosen < len(box.p_values) else {}
    rows = {}
    for path in full.columns:
        low, high = float(lims[path].iloc[0]), float(lims[path].iloc[1])
        range_low, range_high = float(full[path]["min"]), float(full[path]["max"])
        if low <= range_low and high >= range_high:
            continue
        p = qp.get(path, [np.nan, np.nan])
        rows[path] = {
            "low": low,
            "high": high,
            "range_low": range_low,
            "range_high": range_high,
            "qp_low": _clean_qp(p[0]),
            "qp_high": _clean_qp(p[1]),
        }
    limits = pd.DataFrame.from_dict(
        rows,
        orient="index",
        columns=["low", "high", "range_low", "range_high", "qp_low", "qp_high"],
    )
    limits.index.name = "parameter"
    keep = trajectory[["coverage", "density", "mass", "res_dim"]].astype(float).copy()
    keep["chosen"] = keep.index == chosen
    row = trajectory.iloc[chosen]
    return Box(
        number=number,
        coverage=float(row["coverage"]),
        density=float(row["density"]),
        mass=float(row["mass"]),
        n_runs=int(row["n"]),
        limits=limits,
        trajectory=keep,
    )


def _clean_qp(value: Any) -> float:
    number = float(value) if value is not None else math.nan
    return math.nan if number < 0 else number


# --------------------------------------------------------------------------- plotting


def plot_box_limits(limits: pd.DataFrame, ax: Axes, title: str = "") -> Axes:
    """A box's limits against the sweep's range: one bar per varied value the box restricts.

    Args:
        limits: :attr:`Box.limits` (index the varied paths; columns ``low``, ``high``,
            ``range_low`` and ``range_high``).
        ax: Axes to draw on.
        title: Title, e.g. the box's number, coverage, density and mass.

    Returns:
        The axes.
    """
    names = list(limits.index)
    for j, (_, row) in enumerate(limits.iterrows()):
        span = row["range_high"] - row["range_low"] or 1.0
        lo = (row["low"] - row["range_low"]) / span
        hi = (row["high"] - row["range_low"]) / span
        y = len(names) - 1 - j
        ax.barh(
            y,
            1.0,
            left=0.0,
            height=0.45,
            color="0.88",
            edgecolor="0.6",
            label="the sweep's range" if j == 0 else None,
        )
        ax.barh(
            y,
            hi - lo,
            left=lo,
            height=0.45,
            color="tab:blue",
            alpha=0.85,
            label="the box's limits" if j == 0 else None,
        )
        # the limits the box sets (an end left at the sweep's range is not labelled)
        if row["low"] > row["range_low"]:
            ax.text(lo, y + 0.28, _num(row["low"]), ha="center", va="bottom", fontsize=10)
        if row["high"] < row["range_high"]:
            ax.text(hi, y + 0.28, _num(row["high"]), ha="center", va="bottom", fontsize=10)
        ax.text(
            0.0,
            y - 0.28,
            f"sweep range {_num(row['range_low'])}",
            ha="left",
            va="top",
            fontsize=8,
            color="0.35",
        )
        ax.text(
            1.0,
            y - 0.28,
            _num(row["range_high"]),
            ha="right",
            va="top",
            fontsize=8,
            color="0.35",
        )
    ax.set_yticks(range(len(names)), labels=list(reversed(names)), fontsize=10)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.8, len(names) - 0.2)
    ax.set_xticks([])
    ax.set_xlabel("position within the sweep's range (low end to high end)", fontsize=9)
    ax.set_ylabel("varied value", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(0.0, -0.08), ncols=2, fontsize=8, frameon=False)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=10, loc="left")
    return ax


def plot_trajectory(trajectory: pd.DataFrame, ax: Axes) -> Axes:
    """A box's peeling trajectory: coverage against density, the chosen box circled.

    Args:
        trajectory: :attr:`Box.trajectory` (``coverage``, ``density`` and ``chosen``).
        ax: Axes to draw on.

    Returns:
        The axes.
    """
    ax.plot(
        trajectory["coverage"],
        trajectory["density"],
        "-o",
        color="0.45",
        markersize=3,
        linewidth=1,
        label="peeling trajectory",
    )
    pick = trajectory[trajectory["chosen"]]
    ax.scatter(
        pick["coverage"],
        pick["density"],
        s=90,
        facecolors="none",
        edgecolors="tab:red",
        linewidths=1.8,
        label="chosen box",
        zorder=3,
    )
    ax.set_xlabel("coverage", fontsize=9)
    ax.set_ylabel("density", fontsize=9)
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.tick_params(labelsize=8)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("coverage against density", fontsize=10, loc="left")
    return ax


def figure_boxes(found: Discovery) -> Figure:
    """Draw the boxes: limits against the sweep's range, and coverage against density.

    One row of panels per box: :func:`plot_box_limits` and :func:`plot_trajectory`.

    Args:
        found: What :func:`discover` found (at least one box).

    Returns:
        The matplotlib figure. It is made without pyplot, so drawing it neither switches the
        backend nor leaves a figure open: a notebook shows it when it is a cell's value.
    """
    from matplotlib.figure import Figure

    n = len(found.boxes)
    heights = [0.75 * len(b.limits) + 1.3 for b in found.boxes]
    fig = Figure(figsize=(11, sum(heights) + 1.0))
    axes = fig.subplots(
        n,
        2,
        gridspec_kw={"width_ratios": [2.2, 1], "height_ratios": heights},
        squeeze=False,
    )
    fig.suptitle(
        f"Scenario discovery (PRIM): runs with {found.metric} {found.condition}\n"
        f"{found.n_cases} of {found.n_runs} runs are cases of interest",
        fontsize=12,
    )
    for i, box in enumerate(found.boxes):
        title = (
            f"Box {box.number}: coverage {box.coverage:.2f}, density {box.density:.2f}, "
            f"mass {box.mass:.2f} (blue: the box's limits)"
        )
        plot_box_limits(box.limits, axes[i][0], title)
        plot_trajectory(box.trajectory, axes[i][1])
    fig.tight_layout()
    return fig


DISCOVERY_FILES = frozenset(
    ["boxes.csv", "discovery.json", *(f"boxes.{fmt}" for fmt in FIGURE_FORMATS)]
)
"""Names of the files :func:`save_discovery` writes (the figure in each format asked for)."""


def save_discovery(found: Discovery, out: Path, figures: FigureOutput | None = None) -> list[Path]:
    """Write ``boxes.csv``, the ``boxes`` figure and ``discovery.json`` into ``out`` (atomically).

    The figure is drawn only when boxes were found. ``discovery.json`` is
    :meth:`Discovery.record` with ``files``, the files of this save. The files an earlier
    discovery listed in the folder's ``discovery.json`` that this save does not write (the
    figure of a discovery that found boxes, after one that found none, or in a format not
    asked for now) are removed before the new ``discovery.json`` is written, so no figure of
    another discovery is left beside this one's table; every other file in ``out`` is left as
    it is, and a ``discovery.json`` that is damaged or not a discovery's removes nothing.

    Args:
        found: What :func:`discover` found.
        out: Output folder (created if needed).
        figures: Formats and resolution of the figure (default: PNG at 150 dpi).

    Returns:
        The files written: ``boxes.csv``, the figures, ``discovery.json``.
    """
    from influence_sim._files import (
        figure_output,
        json_text,
        remove_earlier_files,
        saver_record,
        write_text_atomic,
    )

    out.mkdir(parents=True, exist_ok=True)
    paths = [write_text_atomic(out / "boxes.csv", found.table().to_csv(index=False))]
    if found.boxes:
        paths.extend(figure_output(figures).save(figure_boxes(found), out / "boxes.png", 150))
    record = out / "discovery.json"
    files = sorted(p.name for p in [*paths, record])
    own = saver_record({"metric": str, "condition": str}, DISCOVERY_FILES.__contains__)
    remove_earlier_files(out, record.name, files, own)
    paths.append(write_text_atomic(record, json_text({**found.record(), "files": files})))
    return paths


# --------------------------------------------------------------------------- command line


def _fraction(text: str) -> float:
    value = finite_float(text)
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text!r} is out of range (expected above 0, at most 1)")
    return value


def _default_out(sweep: str, metric: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", metric)
    return Path(sweep) / "discovery" / safe


def register(sub: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add the ``discover`` subcommand to the command line's subparsers.

    Args:
        sub: The ``add_subparsers()`` action of the ``influence-sim`` parser.

    Returns:
        The command name mapped to its handler.
    """
    parser = sub.add_parser(
        "discover",
        help="scenario discovery: the boxes of varied values where a sweep's outcome happens",
        description=(
            "Mark the runs of a sweep where METRIC is above or below a value (or equals a "
            "text), and find with PRIM (EMA Workbench) the boxes of the varied values where "
            "that happens, with their coverage and density. Prints the boxes, writes "
            "boxes.csv, boxes.png and discovery.json. Needs pip install 'influence-sim[ema]'."
        ),
    )
    parser.add_argument("sweep_dir", metavar="SWEEP_DIR", type=path_arg, help="sweep folder")
    parser.add_argument("--metric", required=True, help="a summary metric of the sweep's runs")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--above", type=finite_float, metavar="X", help="cases: metric > X")
    which.add_argument("--below", type=finite_float, metavar="X", help="cases: metric < X")
    which.add_argument("--equals", metavar="TEXT", help="cases: a text metric equals TEXT")
    parser.add_argument(
        "--density",
        type=_fraction,
        default=DEFAULT_DENSITY,
        help=f"smallest density of a reported box (default {DEFAULT_DENSITY})",
    )
    parser.add_argument(
        "--boxes",
        type=positive_int,
        default=DEFAULT_BOXES,
        help=f"most boxes (default {DEFAULT_BOXES})",
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        type=path_arg,
        help="output folder (default: SWEEP_DIR/discovery/METRIC; files are replaced)",
    )
    add_figure_options(parser)
    return {"discover": _command}


def _command(args: argparse.Namespace) -> int:
    default = _default_out(args.sweep_dir, args.metric)
    if args.out and (problem := sweep_out_problem(args.sweep_dir, args.out, "discovery", default)):
        error(problem)
        return EXIT_USAGE
    try:
        found = discover(
            args.sweep_dir,
            args.metric,
            above=args.above,
            below=args.below,
            equals=args.equals,
            density=args.density,
            max_boxes=args.boxes,
        )
    except DiscoveryError as exc:
        error(str(exc))
        return EXIT_USAGE
    print(found.summary())
    out = Path(args.out) if args.out else _default_out(args.sweep_dir, args.metric)
    code = check_out_folder(out, force=True)  # a file at --out
    if code is not None:
        return code
    try:
        written = save_discovery(found, out, figure_choice(args))
    except OSError as exc:
        error(f"{out}: cannot write the discovery: {exc.strerror or exc}")
        return EXIT_FAILURE
    print()
    print(f"Wrote {len(written)} files to {out}/: {', '.join(p.name for p in written)}")
    return EXIT_OK
