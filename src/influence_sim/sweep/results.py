"""Reading a sweep folder back: tidy DataFrames, a filterable time series, sensitivity indices.

``load_sweep("sweeps/afghan")`` returns a :class:`SweepData` with

* :attr:`SweepData.runs`: one row per run (identity, seed, varied values, status, error, wall
  time, summary metrics);
* :meth:`SweepData.read_timeseries`: only the rows and columns asked for, filtered by the
  Parquet reader (``data.read_timeseries(state="region", partner="china", domain="security")``);
  use it rather than :attr:`SweepData.timeseries` for anything but a small sweep;
* :attr:`SweepData.timeseries`: the whole long time series in memory, read on first use (a
  sweep of thousands of runs holds tens of millions of rows, gigabytes as a DataFrame; it
  warns above :data:`LARGE_TIMESERIES_ROWS` rows);
* :attr:`SweepData.manifest`, :attr:`SweepData.design`;
* :meth:`SweepData.sensitivity`: Sobol indices or Morris elementary effects of a metric, for
  sweeps with a ``sobol`` or ``morris`` design (SALib).

A sweep that has not finished can be read too: :attr:`SweepData.runs` then holds the chunks
done so far and :attr:`SweepData.complete` is false.
"""

from __future__ import annotations

import functools
import numbers
import os
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from influence_sim import tidy
from influence_sim._inputs import path_argument
from influence_sim._text import as_list, check_choice, with_hint
from influence_sim.ensemble import recorded_steps
from influence_sim.sweep.storage import (
    CHUNKS,
    DESIGN,
    RUNS,
    TIMESERIES,
    SweepDamagedError,
    SweepFolder,
)
from influence_sim.tidy import PARTNER

LARGE_TIMESERIES_ROWS = 5_000_000
"""Rows of a sweep's time series above which :attr:`SweepData.timeseries` warns (about 0.4 GB
as a DataFrame) and points to :meth:`SweepData.read_timeseries`."""

_BYTES_PER_ROW = 80
"""Rough memory of one time series row as a DataFrame, for the warning."""


class SweepData:
    """The results of a sweep, read from its folder.

    Attributes:
        folder: The sweep folder.
        manifest: Contents of ``manifest.json``.
    """

    def __init__(self, folder: str | os.PathLike[str], verify: bool = True) -> None:
        """Open a sweep folder.

        Args:
            folder: The folder a sweep wrote.
            verify: For a finished sweep, check that ``runs.parquet`` and every time series
                part have the row count and SHA-256 the manifest records.

        Raises:
            TypeError: If ``folder`` is not a path (text or ``os.PathLike``).
            FileNotFoundError: If the folder has no ``manifest.json``.
            SweepDamagedError: If ``manifest.json`` cannot be read or is not a sweep's, or a
                file of a finished sweep is missing or differs from its record (``--resume``
                computes its runs again).
        """
        self.folder = path_argument("folder", folder)
        manifest = SweepFolder(self.folder).read_manifest()
        if manifest is None:
            raise FileNotFoundError(f"{self.folder}: no manifest.json (not a sweep folder)")
        self.manifest: dict[str, Any] = manifest
        if verify and self.manifest.get("status") == "finished":
            damaged = SweepFolder(self.folder).damaged(self.manifest.get("files") or {})
            if damaged:
                name, problem = next(iter(damaged.items()))
                others = f" (and {len(damaged) - 1} other files)" if len(damaged) > 1 else ""
                raise SweepDamagedError(
                    f"{self.folder / name}: {problem}{others}; the sweep's files do not match "
                    "its manifest (run the sweep again with --resume to recompute them)"
                )

    def __repr__(self) -> str:
        state = "complete" if self.complete else "incomplete"
        return f"SweepData({str(self.folder)!r}, {self.manifest.get('name')!r}, {state})"

    @property
    def complete(self) -> bool:
        """Whether the sweep finished (``runs.parquet`` holds every run)."""
        return self.manifest.get("status") == "finished" and (self.folder / RUNS).is_file()

    @property
    def parameters(self) -> list[str]:
        """The varied paths, in the order of the sweep file."""
        return [f["path"] for f in self.manifest["design"]["factors"]]

    @functools.cached_property
    def runs(self) -> pd.DataFrame:
        """One row per run, in run order (the chunks done so far if the sweep is unfinished)."""
        if (self.folder / RUNS).is_file():
            frame: pd.DataFrame = pq.read_table(self.folder / RUNS).to_pandas()
            return frame
        parts = sorted((self.folder / CHUNKS).glob("runs-*.parquet"))
        if not parts:
            return pd.DataFrame()
        frame = pd.concat([pq.read_table(p).to_pandas() for p in parts], ignore_index=True)
        return frame.sort_values("run_id", ignore_index=True)

    @property
    def metrics(self) -> list[str]:
        """Names of the summary metric columns of :attr:`runs`."""
        fixed = {
            "run_id",
            "point",
            "replicate",
            "seed_entropy",
            "seed_spawn_key",
            "status",
            "error",
            "wall_time_s",
            *self.parameters,
        }
        return [c for c in self.runs.columns if c not in fixed]

    @property
    def failed(self) -> pd.DataFrame:
        """The runs that failed, with their errors."""
        runs = self.runs
        if runs.empty:
            return runs
        return runs[runs["status"] == "failed"]

    @functools.cached_property
    def design(self) -> pd.DataFrame:
        """One row per design point with the varied values.

        Raises:
            SweepDamagedError: If ``design.parquet`` is missing or not a readable Parquet file.
        """
        path = self.folder / DESIGN
        try:
            frame: pd.DataFrame = pq.read_table(path).to_pandas()
        except (OSError, pa.ArrowException):
            problem = "not a readable Parquet file" if path.is_file() else "missing"
            raise SweepDamagedError(f"{path}: {problem}") from None
        return frame

    # --- time series --------------------------------------------------------------------------

    @property
    def timeseries_dataset(self) -> ds.Dataset:
        """The time series parts as a :mod:`pyarrow.dataset` (nothing is read yet).

        The columns are those the parts were written with: a sweep written before the partner
        column was renamed has ``power`` here; :meth:`read_timeseries` reads either as
        ``partner``.
        """
        return ds.dataset(self.folder / TIMESERIES, format="parquet")

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """The whole long time series, sorted by run (read on first use).

        Columns: ``run_id, step, date, state, partner, domain, share, volume_usd_bn``; ``state``
        is ``region`` for the regional rows.

        Warning:
            This reads every row into memory: one per run, recorded step, place, partner and
            domain, tens of millions of rows (gigabytes) for a sweep of thousands of runs.
            :meth:`read_timeseries` reads only the rows and columns asked for, e.g.
            ``read_timeseries(state="region", partner=["china", "russia"], domain="security")``.
            Above :data:`LARGE_TIMESERIES_ROWS` rows this property emits a ``UserWarning``
            saying so.
        """
        if (self.folder / TIMESERIES).is_dir():
            rows = self.timeseries_dataset.count_rows()
            if rows > LARGE_TIMESERIES_ROWS:
                warnings.warn(
                    f"{self.folder}: reading the whole time series, {rows:,} rows (about "
                    f"{rows * _BYTES_PER_ROW / 1e9:.1f} GB in memory); read_timeseries(runs=, "
                    "state=, partner=, domain=, steps=, columns=) reads only what is asked for",
                    UserWarning,
                    stacklevel=3,  # the caller, past functools.cached_property
                )
        return self.read_timeseries()

    @tidy.partner_keyword
    def read_timeseries(
        self,
        *,
        runs: Sequence[int] | None = None,
        state: str | Sequence[str] | None = None,
        partner: str | Sequence[str] | None = None,
        domain: str | Sequence[str] | None = None,
        steps: Sequence[int] | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Read part of the time series; filters are pushed down to the Parquet reader.

        Each filter takes one value or a list of them.

        Args:
            runs: Only these run ids.
            state: Only these places (``region`` or state names).
            partner: Only these partners (``power=``, the old name, works for one release
                and warns).
            domain: Only ``economic`` or ``security``.
            steps: Only these steps.
            columns: Only these columns (all by default).

        Returns:
            The matching rows, sorted by run id, step, place, partner and domain.

        Raises:
            ValueError: For a place, partner or domain the time series does not have (a
                misspelt name would otherwise give no rows), a run id or step that is not a
                whole number, a run id the sweep does not have or a step it did not record
                (naming the valid ones), or a column the time series does not have. A run of
                the sweep that failed, or that an unfinished sweep has not done yet, gives no
                rows.
        """
        if (
            not (self.folder / TIMESERIES).is_dir()
            or (self.manifest.get("keep") or {}).get("timeseries_every") is None
        ):
            return pd.DataFrame()
        where: dict[str, list[Any]] = {}
        for name, shown, wanted, kind in (
            ("run_id", "runs", runs, numbers.Integral),
            ("state", "state", state, str),
            (PARTNER, "partner", partner, str),
            ("domain", "domain", domain, str),
            ("step", "steps", steps, numbers.Integral),
        ):
            if wanted is not None:
                where[name] = _filter_values(shown, wanted, kind)
        self._check_in_sweep(where)
        if columns is not None:
            columns = as_list(columns)
            have = [tidy.RENAMED.get(c, c) for c in self.timeseries_dataset.schema.names]
            for column in columns:
                check_choice("column", column, have)
        table: pa.Table = tidy.read_dataset(self.timeseries_dataset, where, columns)
        order = [c for c in ("run_id", "step") if c in table.column_names]
        if order:
            table = table.sort_by([(c, "ascending") for c in order])
        frame: pd.DataFrame = table.to_pandas()
        for name in ("state", PARTNER, "domain"):
            if name in where and name in frame:
                self._check_names(name, set(where[name]) - set(frame[name]))
        return frame

    def _check_in_sweep(self, where: dict[str, list[Any]]) -> None:
        """Refuse run ids the sweep does not have and steps it did not record."""
        n_runs = self.manifest.get("n_runs")
        n_steps = (self.manifest.get("clock") or {}).get("n_steps")
        every = (self.manifest.get("keep") or {}).get("timeseries_every")
        if isinstance(n_runs, int) and "run_id" in where:
            bad = [run for run in where["run_id"] if not 0 <= run < n_runs]
            if bad:
                raise ValueError(
                    f"runs: the sweep has no run {', '.join(map(str, bad))} (expected run ids "
                    f"from 0 to {n_runs - 1})"
                )
        if isinstance(n_steps, int) and isinstance(every, int) and "step" in where:
            recorded = recorded_steps(n_steps, every)
            bad = [step for step in where["step"] if step not in recorded]
            if bad:
                shown = recorded if len(recorded) <= 8 else [*recorded[:3], "...", *recorded[-2:]]
                raise ValueError(
                    f"steps: the sweep recorded no step {', '.join(map(str, bad))} (expected "
                    f"one of {', '.join(map(str, shown))})"
                )

    def _check_names(self, column: str, absent: set[Any]) -> None:
        """Refuse names asked for in ``column`` that no row of the whole time series has."""
        if not absent:
            return
        table = tidy.read_dataset(self.timeseries_dataset, None, [column])
        have = [str(v) for v in dict.fromkeys(table.column(column).to_pylist())]
        unknown = sorted(str(v) for v in absent if str(v) not in have)
        if unknown:
            expected = with_hint(f"expected some of {', '.join(have)}", unknown[0], have)
            raise ValueError(f"{self.folder}: no {column} {', '.join(unknown)} ({expected})")

    # --- analysis -----------------------------------------------------------------------------

    def point_means(self, metric: str) -> pd.Series:
        """Mean of a metric over each design point's successful replicates.

        Args:
            metric: A column of :attr:`runs`.

        Returns:
            Mean by design point (NaN where every replicate failed).

        Raises:
            KeyError: For a name that is not a column of :attr:`runs`.
            ValueError: For a column that is not numeric (``status``, a guarantor's name).
        """
        runs = self.runs
        if metric not in runs.columns:
            columns = [str(c) for c in runs.columns]
            examples = ", ".join([c for c in columns if c.startswith("final.")][:2])
            expected = f"expected a column of runs, e.g. {examples}"
            raise KeyError(f"unknown metric {metric!r} ({with_hint(expected, metric, columns)})")
        if not pd.api.types.is_numeric_dtype(runs[metric]):
            numeric = [m for m in self.metrics if pd.api.types.is_numeric_dtype(runs[m])]
            examples = ", ".join([c for c in numeric if c.startswith("final.")][:2])
            raise ValueError(
                f"metric {metric!r} is not numeric (expected a numeric column of runs, e.g. "
                f"{examples}; {len(numeric)} in all)"
            )
        ok = runs[runs["status"] == "ok"]
        means = ok.groupby("point")[metric].mean()
        n_points = self.manifest["design"].get("n_points")  # a hand-written manifest may lack it
        return means.reindex(range(int(runs["point"].max()) + 1 if n_points is None else n_points))

    def sensitivity(self, metric: str) -> pd.DataFrame:
        """Sensitivity of a metric to the varied values, from the design's own method.

        For a ``sobol`` design: first-order (``S1``) and total (``ST``) Sobol indices with their
        95% confidence half-widths (:func:`SALib.analyze.sobol.analyze`). For a ``morris``
        design: ``mu_star`` (mean absolute elementary effect), ``mu`` and ``sigma``
        (:func:`SALib.analyze.morris.analyze`), with effects per whole range of each value.
        The metric is averaged over each point's replicates first.

        Args:
            metric: A numeric column of :attr:`runs`.

        A metric that is the same at every design point has no variance to share out: its
        Sobol indices are undefined and given as NaN (its Morris effects are 0).

        Returns:
            One row per varied path.

        Raises:
            ValueError: For other designs, a metric that is NaN in some successful runs (a
                crossing year that never happens: a mean over the other replicates would
                leave those runs out), or if some design point has no successful run.
        """
        design = self.manifest["design"]
        kind = design["kind"]
        y = self.point_means(metric).to_numpy(dtype=float)
        ok = self.runs[self.runs["status"] == "ok"]
        undefined = int(ok[metric].isna().sum())
        if undefined:
            raise ValueError(
                f"metric '{metric}' is undefined (NaN) in {undefined} of {len(ok)} successful "
                "runs (for a crossing year: the event never happens before the end); "
                "sensitivity indices need a metric defined in every run"
            )
        if np.isnan(y).any():
            missing = int(np.isnan(y).sum())
            raise ValueError(f"{missing} design points have no successful run of '{metric}'")
        names = self.parameters
        problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
        if kind == "sobol":
            from SALib.analyze import sobol  # type: ignore[import-untyped,unused-ignore]

            columns = ("S1", "S1_conf", "ST", "ST_conf")
            if np.ptp(y) == 0.0:
                # the indices are shares of a variance of 0: SALib divides by it and gives 0
                # (with a RuntimeWarning), which would read as "no influence, for certain"
                nan = np.full(len(names), np.nan)
                return pd.DataFrame({"parameter": names, **dict.fromkeys(columns, nan)})
            # SALib draws the bootstrap of the confidence intervals from the global random
            # state when the seed is 0 (it tests `if seed:`): a nonzero seed makes them repeat.
            result = sobol.analyze(
                problem, y, calc_second_order=bool(design["second_order"]), seed=1
            )
            return pd.DataFrame({"parameter": names, **{c: result[c] for c in columns}})
        if kind == "morris":
            from SALib.analyze import morris  # type: ignore[import-untyped,unused-ignore]

            from influence_sim.sweep.design import to_unit
            from influence_sim.sweep.spec import Factor

            factors = tuple(
                Factor(f["path"], f["low"], f["high"], None, f["scale"]) for f in design["factors"]
            )
            x = to_unit(self.design[names].to_numpy(dtype=float), factors)
            result = morris.analyze(problem, x, y, num_levels=int(design["levels"]), seed=0)
            return pd.DataFrame(
                {
                    "parameter": names,
                    "mu_star": result["mu_star"],
                    "mu_star_conf": result["mu_star_conf"],
                    "mu": result["mu"],
                    "sigma": result["sigma"],
                }
            )
        raise ValueError(f"sensitivity indices need a sobol or morris design, not {kind}")


def _filter_values(what: str, wanted: Any, kind: type) -> list[Any]:
    """A filter of :meth:`SweepData.read_timeseries` as a list (one value alone is one).

    Raises:
        ValueError: For a value that is not of ``kind`` (a name, or a whole number).
    """
    values = as_list(wanted)
    bad = [v for v in values if isinstance(v, bool) or not isinstance(v, kind)]
    if bad:
        expected = "names" if kind is str else "whole numbers"
        raise ValueError(f"{what}: expected {expected}, not {bad[0]!r}")
    return values


def load_sweep(folder: str | os.PathLike[str], verify: bool = True) -> SweepData:
    """Open the results of a sweep.

    Args:
        folder: The folder given to ``influence-sim sweep --out``.
        verify: Check a finished sweep's files against the row counts and SHA-256 hashes
            of its manifest.

    Returns:
        The sweep's tables (read lazily).

    Raises:
        TypeError: If ``folder`` is not a path (text or ``os.PathLike``).
        FileNotFoundError: If the folder holds no sweep.
        SweepDamagedError: If ``manifest.json`` cannot be read or is not a sweep's, or a file
            of a finished sweep is missing or differs from its record (a ``ValueError``).
    """
    return SweepData(folder, verify=verify)
