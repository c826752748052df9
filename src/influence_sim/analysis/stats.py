"""Summaries over replicates: medians and 5-95% bands, paired and unpaired differences.

Conventions used by every table of the analysis package:

* a *band* is the 5th to 95th percentile over replicates (:data:`BAND`), NumPy's default
  ``method="linear"`` (interpolated between replicates; one replicate gives a band of width 0,
  which the printed summaries show as one run, not as a band);
* a *paired* difference is taken replicate by replicate (the same seeds on both sides) and
  then summarised; an *unpaired* difference is summarised over every pair of one replicate from
  each side, which is the distribution of the difference of two independent outcomes;
* 0/1 indicators are summarised by the fraction of replicates where they hold, with a
  bootstrap 5-95% interval for that fraction (a percentile of 0/1 values says little); a
  fraction of 0 or 1 has an interval of width 0, as no resample can differ;
* a value of ``inf`` (an event that never happens within the run) is kept: percentiles of
  samples that contain it are taken as sample values (no interpolation:
  ``method="inverted_cdf"``, so the median of an even count is the lower middle value), and the
  paired difference of two ``inf`` is 0 (the event happens on neither side).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from influence_sim.kernel.arrays import FloatArray
from influence_sim.rng import check_random_state

BAND: tuple[float, float] = (0.05, 0.95)
"""Lower and upper quantile of every band."""

BOOTSTRAP_SAMPLES = 1000
"""Resamples drawn for bootstrap intervals of fractions."""

MAX_UNPAIRED = 250_000
"""Largest number of cross pairs used for an unpaired difference (a fixed subsample above)."""


def quantiles(values: FloatArray) -> tuple[float, float, float]:
    """Median, 5th and 95th percentile of a sample (NaN for an empty one).

    Args:
        values: Sample; may contain ``inf``.

    Returns:
        ``(median, p5, p95)``.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    method: Literal["linear", "inverted_cdf"] = (
        "linear" if np.all(np.isfinite(x)) else "inverted_cdf"
    )
    q = np.quantile(x, [0.5, BAND[0], BAND[1]], method=method)
    return float(q[0]), float(q[1]), float(q[2])


def paired_differences(a: FloatArray, b: FloatArray) -> FloatArray:
    """``b - a`` element by element, with ``inf - inf`` (never on both sides) as 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    same_inf = np.isinf(a) & np.isinf(b) & (a == b)
    with np.errstate(invalid="ignore"):
        out: FloatArray = np.where(same_inf, 0.0, b - a)
    return out


def cross_differences(a: FloatArray, b: FloatArray, seed: int = 0) -> FloatArray:
    """``b_j - a_i`` over every pair ``(i, j)`` (a fixed random subsample if there are many).

    Args:
        a: Sample of the first side.
        b: Sample of the second side.
        seed: Seed of the subsample.

    Returns:
        The differences.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size * b.size <= MAX_UNPAIRED:
        return paired_differences(a[:, None], b[None, :]).reshape(-1)
    rng = check_random_state(seed)
    i = rng.integers(0, a.size, MAX_UNPAIRED)
    j = rng.integers(0, b.size, MAX_UNPAIRED)
    return paired_differences(a[i], b[j])


def fraction_interval(values: FloatArray, seed: int = 0) -> tuple[float, float, float]:
    """Fraction of 1s in a 0/1 sample with a bootstrap 5-95% interval.

    Args:
        values: 0/1 values (any real values: their mean is bootstrapped).
        seed: Seed of the resampling.

    Returns:
        ``(mean, p5, p95)``.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    rng = check_random_state(seed)
    means = x[rng.integers(0, x.size, (BOOTSTRAP_SAMPLES, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, BAND)
    return float(x.mean()), float(lo), float(hi)


def difference_of_fractions(
    a: FloatArray, b: FloatArray, paired: bool, seed: int = 0
) -> tuple[float, float, float]:
    """Difference of two fractions (``b`` minus ``a``) with a bootstrap 5-95% interval.

    Args:
        a: 0/1 values of the first side.
        b: 0/1 values of the second side (the same replicates in the same order if paired).
        paired: Resample pairs together (True) or each side on its own (False).
        seed: Seed of the resampling.

    Returns:
        ``(difference, p5, p95)``.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size == 0 or b.size == 0:
        return (float("nan"),) * 3
    rng = check_random_state(seed)
    if paired:
        idx = rng.integers(0, a.size, (BOOTSTRAP_SAMPLES, a.size))
        diffs = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    else:
        ia = rng.integers(0, a.size, (BOOTSTRAP_SAMPLES, a.size))
        ib = rng.integers(0, b.size, (BOOTSTRAP_SAMPLES, b.size))
        diffs = b[ib].mean(axis=1) - a[ia].mean(axis=1)
    lo, hi = np.quantile(diffs, BAND)
    return float(b.mean() - a.mean()), float(lo), float(hi)


__all__ = [
    "BAND",
    "BOOTSTRAP_SAMPLES",
    "MAX_UNPAIRED",
    "cross_differences",
    "difference_of_fractions",
    "fraction_interval",
    "paired_differences",
    "quantiles",
]
