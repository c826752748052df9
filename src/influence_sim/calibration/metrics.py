"""Observable metrics of a run, computed the same way from arrays and from files on disk.

A target names a *metric* and a *period*. The metric is one number per run, computed from the
regional series of that run (every partner's volume-weighted share of the region's trade and
arms imports, and the volumes behind them) and averaged over the recorded steps whose dates fall
inside the period. :class:`RegionalSeries` holds those series for a batch of runs; it is built
from an :class:`~influence_sim.ensemble.EnsembleOutput` (calibration, scenario reports) or read
from the ``regional.csv`` of a run folder (reports of saved runs), so both give the same numbers.

Metric names (``KIND:ARGUMENT``):

* ``regional_economic_share:P``: P's share of the region's external trade (fraction);
* ``regional_security_share:P``: P's share of the region's arms imports (fraction);
* ``regional_trade_usd_bn:P``: P's trade with the region (USD bn per year);
* ``regional_arms_usd_bn:P``: the region's arms imports from P (USD bn per year);
* ``trade_ratio:P/Q``: P's trade with the region over Q's; per run, the ratio of the two
  period means (not the mean of per-step ratios).

``P`` and ``Q`` are partners of the run: its powers or ``rest_of_world``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from influence_sim import tidy
from influence_sim._inputs import CUT_SHORT, lacks_final_newline
from influence_sim.ensemble import EnsembleOutput
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import DOMAINS, ECON, SEC, FloatArray

METRIC_KINDS: dict[str, str] = {
    "regional_economic_share": "share of the region's trade held by a partner (fraction)",
    "regional_security_share": "share of the region's arms imports held by a partner (fraction)",
    "regional_trade_usd_bn": "a partner's trade with the region (USD bn per year)",
    "regional_arms_usd_bn": "the region's arms imports from a partner (USD bn per year)",
    "trade_ratio": "one partner's trade with the region over another's (ratio)",
}
"""Metric kinds and what they measure."""


class MetricError(ValueError):
    """A metric name that cannot be computed; the message says what was expected."""


class PeriodError(ValueError):
    """A period that no recorded step of the run falls in."""


@dataclass(frozen=True)
class Metric:
    """A parsed metric name.

    Attributes:
        kind: One of :data:`METRIC_KINDS`.
        partners: The partner (one name) or, for ``trade_ratio``, numerator and denominator.
    """

    kind: str
    partners: tuple[str, ...]

    @property
    def name(self) -> str:
        """The metric's name as written in target files."""
        sep = "/" if self.kind == "trade_ratio" else ""
        return f"{self.kind}:{sep.join(self.partners)}"

    @property
    def unit(self) -> str:
        """Unit of the metric's values."""
        if self.kind.endswith("_share"):
            return "fraction"
        if self.kind.endswith("_usd_bn"):
            return "USD bn per year"
        return "ratio"


def parse_metric(text: str) -> Metric:
    """Parse ``KIND:ARGUMENT`` into a :class:`Metric`.

    Args:
        text: Metric name, e.g. ``regional_security_share:russia`` or ``trade_ratio:russia/china``.

    Returns:
        The metric.

    Raises:
        MetricError: For an unknown kind or a malformed argument.
    """
    kind, sep, argument = text.strip().partition(":")
    if kind not in METRIC_KINDS:
        raise MetricError(
            f"unknown metric kind '{kind}' (expected one of {', '.join(METRIC_KINDS)})"
        )
    if not sep or not argument:
        raise MetricError(f"metric '{text}' names no partner (expected {kind}:PARTNER)")
    if kind == "trade_ratio":
        parts = tuple(p.strip() for p in argument.split("/"))
        if len(parts) != 2 or not all(parts):
            raise MetricError(
                f"metric '{text}' needs two partners (expected trade_ratio:PARTNER/PARTNER)"
            )
        return Metric(kind, parts)
    if "/" in argument:
        raise MetricError(f"metric '{text}' takes one partner (expected {kind}:PARTNER)")
    return Metric(kind, (argument.strip(),))


@dataclass(frozen=True)
class RegionalSeries:
    """Regional shares and volumes of a batch of runs over time.

    Attributes:
        partners: Partner names (powers, then ``rest_of_world``).
        dates: Dates of the ``T`` recorded steps.
        share: ``(T, B, K, D)`` volume-weighted regional shares.
        volume: ``(T, B, K, D)`` regional volumes by partner, USD bn per year.
    """

    partners: tuple[str, ...]
    dates: tuple[dt.date, ...]
    share: FloatArray
    volume: FloatArray

    @property
    def n_runs(self) -> int:
        """Number of runs ``B``."""
        return int(self.share.shape[1])

    @staticmethod
    def from_output(output: EnsembleOutput) -> RegionalSeries:
        """Regional series of an ensemble's recorded arrays.

        Args:
            output: Recorded arrays ``(T, B, ...)``.

        Returns:
            The series.
        """
        volume = obs.regional_volume(output.share, output.volume)
        share = obs.regional_share(output.share, output.volume)
        return RegionalSeries(output.dims.partners, tuple(output.dates), share, volume)

    @staticmethod
    def from_csv(path: str | os.PathLike[str]) -> RegionalSeries:
        """Regional series read from a run folder's ``regional.csv``.

        Args:
            path: The CSV file (columns replicate, date, partner, domain, share, volume_usd_bn).

        Returns:
            The series.

        Raises:
            ValueError: If the file cannot be read as CSV, a column is missing or the table is
                not complete (every replicate, date, partner and domain once).
        """
        try:
            frame = tidy.read_csv(Path(path))
            cut = lacks_final_newline(path)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{path}: cannot be read as CSV ({exc})") from None
        needed = ("replicate", "date", "partner", "domain", "share", "volume_usd_bn")
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(missing)} (expected {needed})")
        partners = tuple(dict.fromkeys(frame["partner"].astype(str)))
        date_text = sorted(dict.fromkeys(frame["date"].astype(str)))
        replicates = sorted(dict.fromkeys(frame["replicate"].astype(int)))
        shape = (len(date_text), len(replicates), len(partners), len(DOMAINS))
        if len(frame) != int(np.prod(shape)):
            raise ValueError(
                f"{path}: {len(frame)} rows, expected {int(np.prod(shape))} (one per replicate, "
                "date, partner and domain)"
            )
        if cut:
            raise ValueError(f"{path}:{len(frame) + 1}: {CUT_SHORT}")
        ti = pd.Index(date_text).get_indexer(pd.Index(frame["date"].astype(str)))
        bi = pd.Index(replicates).get_indexer(pd.Index(frame["replicate"].astype(int)))
        ki = pd.Index(partners).get_indexer(pd.Index(frame["partner"].astype(str)))
        di = pd.Index(DOMAINS).get_indexer(pd.Index(frame["domain"].astype(str)))
        if (di < 0).any():
            raise ValueError(f"{path}: unknown domain (expected {', '.join(DOMAINS)})")
        share = np.full(shape, np.nan)
        volume = np.full(shape, np.nan)
        share[ti, bi, ki, di] = frame["share"].to_numpy(dtype=float)
        volume[ti, bi, ki, di] = frame["volume_usd_bn"].to_numpy(dtype=float)
        if np.isnan(share).any():
            raise ValueError(f"{path}: some replicate, date, partner or domain is missing")
        dates = tuple(dt.date.fromisoformat(d) for d in date_text)
        return RegionalSeries(partners, dates, share, volume)

    def steps_in(self, start: dt.date, end: dt.date) -> FloatArray:
        """Boolean mask of the recorded steps dated within ``[start, end]``.

        Args:
            start: First day of the period.
            end: Last day of the period (inclusive).

        Returns:
            ``(T,)`` booleans.
        """
        return np.array([start <= d <= end for d in self.dates], dtype=bool)

    def covers(self, start: dt.date, end: dt.date) -> bool:
        """Whether at least one recorded step falls inside ``[start, end]``."""
        return bool(self.steps_in(start, end).any())

    def _partner(self, name: str, metric: Metric) -> int:
        if name not in self.partners:
            raise MetricError(
                f"metric '{metric.name}': '{name}' is not a partner of the run "
                f"(expected one of {', '.join(self.partners)})"
            )
        return self.partners.index(name)

    def values(self, metric: Metric, start: dt.date, end: dt.date) -> FloatArray:
        """One value per run: the metric averaged over the steps inside the period.

        Args:
            metric: What to compute.
            start: First day of the period.
            end: Last day of the period (inclusive).

        Returns:
            ``(B,)`` values.

        Raises:
            MetricError: If the metric names a partner the run does not have.
            PeriodError: If no recorded step falls inside the period.
        """
        mask = self.steps_in(start, end)
        if not mask.any():
            first, last = self.dates[0], self.dates[-1]
            raise PeriodError(
                f"no recorded step falls in {start.isoformat()}..{end.isoformat()} "
                f"(the run records {first.isoformat()}..{last.isoformat()})"
            )
        if metric.kind == "trade_ratio":
            num = self.volume[mask, :, self._partner(metric.partners[0], metric), ECON]
            den = self.volume[mask, :, self._partner(metric.partners[1], metric), ECON]
            mean_den = den.mean(axis=0)
            ratio: FloatArray = num.mean(axis=0) / np.where(mean_den > 0.0, mean_den, np.nan)
            return ratio
        k = self._partner(metric.partners[0], metric)
        source = {
            "regional_economic_share": (self.share, ECON),
            "regional_security_share": (self.share, SEC),
            "regional_trade_usd_bn": (self.volume, ECON),
            "regional_arms_usd_bn": (self.volume, SEC),
        }
        array, d = source[metric.kind]
        out: FloatArray = array[mask, :, k, d].mean(axis=0)
        return out
