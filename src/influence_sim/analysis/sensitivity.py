"""Sensitivity indices of a sweep: which assumptions drive a result.

:func:`analyze` reads a sweep folder (:func:`influence_sim.sweep.load_sweep`), checks that its
design fits the method asked for, and computes with SALib

* ``sobol``: first-order (``S1``) and total-order (``ST``) Sobol' indices with their 95%
  bootstrap confidence half-widths (``S1_conf``, ``ST_conf``), from a Saltelli design;
* ``morris``: the mean absolute elementary effect ``mu_star`` with its 95% confidence
  half-width, the mean ``mu`` and the spread ``sigma``, from Morris trajectories (effects per
  whole range of each varied value).

The metric is averaged over each design point's replicates first. Indices, a bar chart and a
CSV are what ``influence-sim analyze`` writes, with a small JSON record of the files of each
method and metric.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from influence_sim._files import (
    FIGURE_FORMATS,
    FigureOutput,
    figure_output,
    json_text,
    output_folder,
    remove_earlier_files,
    saver_record,
    write_text_atomic,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

METHODS: tuple[str, ...] = ("sobol", "morris")
"""Methods :func:`analyze` knows."""

DEFAULT_METRIC = "final.security_share.region.china"
"""Metric analysed when none is named: China's final regional security share."""

_NEEDS = {
    "sobol": "a 'sobol' design (Saltelli sampling: design: {kind: sobol, base: N})",
    "morris": "a 'morris' design (trajectories: design: {kind: morris, trajectories: N})",
}


class SensitivityError(ValueError):
    """A sweep or metric that does not fit the analysis; the message says why and what to do."""


@dataclass
class SensitivityResult:
    """Sensitivity indices of one metric of a sweep.

    Attributes:
        sweep: Name of the sweep.
        folder: The sweep folder.
        method: ``sobol`` or ``morris``.
        metric: The metric analysed (a column of the sweep's runs).
        indices: One row per varied value (``parameter``) with the index columns.
        notes: Remarks for the user.
    """

    sweep: str
    folder: str
    method: str
    metric: str
    indices: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    def plot(self, ax: Axes | None = None) -> Axes:
        """Bar chart of the indices, largest first (see :func:`plots.plot_indices`)."""
        from influence_sim.analysis.plots import plot_indices

        what = "Sobol' indices" if self.method == "sobol" else "Morris elementary effects"
        return plot_indices(self.indices, ax=ax, title=f"{self.sweep}: {what}\nof {self.metric}")

    def save(
        self,
        directory: str | os.PathLike[str],
        plots: bool = True,
        figures: FigureOutput | None = None,
    ) -> list[Path]:
        """Write ``sensitivity_<method>_<metric>.csv``, with ``plots`` the bar chart, and a record.

        The record, ``sensitivity_<method>_<metric>.json``, holds the sweep, its folder, the
        method, the metric and ``files``, the files of this save (the record among them). The
        folder may hold the indices of other metrics and methods (``analyze`` writes them all
        into ``SWEEP_DIR/analysis``): a save replaces the files of its own method and metric
        and removes those its earlier record listed that it does not write (the chart of an
        earlier save with plots, or in a format not asked for now), before it writes the new
        record. Files of other methods and metrics, and every other file, are left as they are;
        a record that is damaged or not this method's and metric's removes nothing.

        Args:
            directory: Output folder (created if missing).
            plots: Whether to draw the bar chart.
            figures: Formats and resolution of the chart (default: PNG).

        Returns:
            Paths written: the CSV, the charts, the record.

        Raises:
            TypeError: If ``directory`` is not a path (text or ``os.PathLike``).
            FileExistsError: If ``directory`` is a file.
        """
        from influence_sim.analysis.comparison import slug

        out = output_folder("directory", directory)
        stem = f"sensitivity_{self.method}_{slug(self.metric)}"
        table = self.indices.assign(metric=self.metric, method=self.method)
        path = out / f"{stem}.csv"
        write_text_atomic(path, table.to_csv(index=False, float_format="%.6g"))
        written = [path]
        if plots:
            ax = self.plot()
            figure = ax.get_figure(root=True)
            assert figure is not None
            written.extend(figure_output(figures).save(figure, out / f"{stem}.png", 110))
        record = out / f"{stem}.json"
        files = sorted(p.name for p in [*written, record])
        ours = {f"{stem}.{suffix}" for suffix in ("csv", "json", *FIGURE_FORMATS)}
        own = saver_record({"method": str, "metric": str}, ours.__contains__)
        remove_earlier_files(out, record.name, files, own)
        info = {
            "sweep": self.sweep,
            "folder": self.folder,
            "method": self.method,
            "metric": self.metric,
            "files": files,
        }
        written.append(write_text_atomic(record, json_text(info)))
        return written


def _suggest(name: str, names: list[str]) -> str:
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if close:
        return f"did you mean {', '.join(repr(c) for c in close)}?"
    return f"the sweep has {len(names)} metrics, e.g. {', '.join(names[:4])}"


def _outside_unit(indices: pd.DataFrame, manifest: dict[str, Any]) -> list[str]:
    """A note naming the Sobol' indices outside [0, 1], which only sampling error puts there."""
    found = [
        f"{column} of {row['parameter']} is {row[column]:.3g} "
        f"(95% interval +/- {row[column + '_conf']:.2g})"
        for column in ("S1", "ST")
        for _, row in indices.iterrows()
        if not 0.0 <= row[column] <= 1.0
    ]
    if not found:
        return []
    base = manifest.get("design", {}).get("base")
    sample = f"a base sample of {base}" if base else "this base sample"
    shown = "; ".join(found[:3]) + (f"; and {len(found) - 3} more" if len(found) > 3 else "")
    return [
        f"indices outside [0, 1], which a share of variance cannot be ({shown}): with "
        f"{sample} they are estimates with wide errors; a larger base narrows them"
    ]


def analyze(
    sweep_dir: str | os.PathLike[str], method: str = "sobol", metric: str | None = None
) -> SensitivityResult:
    """Sensitivity indices of a sweep's metric.

    Args:
        sweep_dir: Folder written by ``influence-sim sweep``.
        method: ``sobol`` or ``morris``; the sweep's design must be of the same kind.
        metric: A summary metric of the sweep's runs (e.g.
            ``final.security_share.region.china``); default :data:`DEFAULT_METRIC`, or the
            first metric the sweep kept.

    Returns:
        The indices.

    Raises:
        SensitivityError: If the folder is not a sweep, its design does not fit the method,
            the metric is unknown, not numeric or undefined in some runs, or some design
            points have no successful run.
    """
    from influence_sim.sweep import load_sweep

    if method not in METHODS:
        raise SensitivityError(f"unknown method '{method}' (expected one of {', '.join(METHODS)})")
    try:
        data = load_sweep(sweep_dir)
    except FileNotFoundError:
        raise SensitivityError(
            f"{sweep_dir}: not a sweep folder (no manifest.json); run "
            "'influence-sim sweep SWEEPFILE --out DIR' first"
        ) from None
    except ValueError as exc:  # a finished sweep whose files do not match its manifest
        raise SensitivityError(str(exc)) from None
    manifest: dict[str, Any] = data.manifest
    name = str(manifest.get("name") or Path(sweep_dir).name)
    kind = str(manifest.get("design", {}).get("kind"))
    if kind != method:
        raise SensitivityError(
            f"{sweep_dir}: sweep '{name}' has a '{kind}' design, but {method} indices need "
            f"{_NEEDS[method]}; run a sweep with that design, or use --method {kind}"
            if kind in METHODS
            else f"{sweep_dir}: sweep '{name}' has a '{kind}' design, but {method} indices need "
            f"{_NEEDS[method]}; a design of kind '{kind}' supports comparisons, not "
            "sensitivity indices"
        )
    runs = data.runs
    if runs.empty:
        raise SensitivityError(f"{sweep_dir}: the sweep has no finished runs yet")
    metrics = data.metrics
    numeric = [m for m in metrics if pd.api.types.is_numeric_dtype(runs[m])]
    if metric is None:
        metric = DEFAULT_METRIC if DEFAULT_METRIC in numeric else (numeric[0] if numeric else "")
        if not metric:
            raise SensitivityError(f"{sweep_dir}: the sweep kept no numeric metric")
    if metric not in metrics:
        raise SensitivityError(
            f"{sweep_dir}: no metric '{metric}' in the sweep; {_suggest(metric, metrics)}"
        )
    if metric not in numeric:
        raise SensitivityError(
            f"{sweep_dir}: metric '{metric}' is not numeric (it holds "
            "names); pick a numeric metric, e.g. a share"
        )
    ok = runs[runs["status"] == "ok"]
    notes = []
    if not data.complete:
        notes.append(f"{sweep_dir}: the sweep has not finished")
    if len(ok) < len(runs):
        notes.append(f"{len(runs) - len(ok)} failed runs left out")
    try:
        indices = data.sensitivity(metric)
    except ValueError as exc:
        raise SensitivityError(f"{sweep_dir}: {exc}") from None
    means = data.point_means(metric).to_numpy(dtype=float)
    if means.size and np.ptp(means) == 0.0:
        notes.append(
            f"metric '{metric}' has the same value at every design point: its Sobol' indices "
            "are undefined (NaN), as they share out a variance of 0"
            if method == "sobol"
            else f"metric '{metric}' has the same value at every design point: every "
            "elementary effect is 0"
        )
    elif method == "sobol":
        notes.extend(_outside_unit(indices, manifest))
    return SensitivityResult(
        name, os.fspath(sweep_dir), method, metric, indices.reset_index(drop=True), notes
    )


__all__ = ["DEFAULT_METRIC", "METHODS", "SensitivityError", "SensitivityResult", "analyze"]
