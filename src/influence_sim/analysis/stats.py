"""Summaries over replicates: medians and 5-95% bands, paired and unpaired differences.

Conventions used by every table of the analysis package:

* a *band* is the 5th to 95th percentile over replicates (:data:`BAND`), NumPy's default
  ``method="linear"`` (interpolated between replicates; one replicate gives a band of width 0,
  which the printed summaries show as one run, not as a band);
* a *paired* difference is taken replicate by replicate (the same seeds on both sides) and
  then summarised; an *unpaired* difference is summarised over every pair of one replicate from
  each side, which is the distribution of the difference of two independent outcomes;
* 0/1 indicators are summarised by the fraction of replicates where they hold, with its 90%
  Wilson score interval (:func:`wilson_interval`; a percentile of 0/1 values says little),
  and a difference of two fractions by Newcombe's score interval for paired or for
  independent proportions (:func:`difference_of_fractions`). Both aim at 90% coverage, the
  level of the 5-95% bands, keep a width above 0 for a fraction of 0 or 1 (20 of 20 gives
  0.88 to 1), and depend on the counts only (no resampling, so no seed);
* a value of ``inf`` (an event that never happens within the run) is kept: percentiles of
  samples that contain it are taken as sample values (no interpolation:
  ``method="inverted_cdf"``, so the median of an even count is the lower middle value), and the
  paired difference of two ``inf`` is 0 (the event happens on neither side).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Literal

import numpy as np

from influence_sim.kernel.arrays import FloatArray
from influence_sim.rng import check_random_state

BAND: tuple[float, float] = (0.05, 0.95)
"""Lower and upper quantile of every band."""

LEVEL: float = round(BAND[1] - BAND[0], 12)
"""Coverage of the interval of a fraction and of a difference of fractions (90%, two-sided:
the 5-95% of :data:`BAND`)."""

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


def _z(level: float) -> float:
    """Two-sided standard normal quantile of a coverage ``level`` (1.6449 for 0.9)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level: expected a coverage between 0 and 1, not {level!r}")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson_interval(successes: float, n: float, level: float = LEVEL) -> tuple[float, float]:
    """Wilson score interval of a proportion of ``successes`` in ``n`` trials.

    The interval holds every ``p`` that a two-sided score test at ``1 - level`` does not
    reject: with ``z`` the normal quantile of ``level`` (1.6449 at 90%),
    ``(k + z²/2 ± z·sqrt(k(n - k)/n + z²/4)) / (n + z²)`` for ``k`` successes (Wilson, E. B.,
    "Probable inference, the law of succession, and statistical inference", Journal of the
    American Statistical Association 22, 209-212, 1927; method 3 of Newcombe, R. G.,
    "Two-sided confidence intervals for the single proportion: comparison of seven methods",
    Statistics in Medicine 17, 857-872, 1998). Unlike a bootstrap or Wald interval it has a
    width above 0 at ``k = 0`` (``0`` to ``z²/(n + z²)``) and at ``k = n``, and it stays
    within [0, 1].

    Args:
        successes: ``k``, from 0 to ``n``.
        n: Number of trials, above 0.
        level: Coverage (default :data:`LEVEL`, 90%, the 5-95% of :data:`BAND`).

    Returns:
        ``(lower, upper)``.

    Raises:
        ValueError: If ``n`` is not above 0, ``successes`` is outside 0 to ``n``, or
            ``level`` is not between 0 and 1.
    """
    if not n > 0:
        raise ValueError(f"n: expected a number of trials above 0, not {n!r}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes: expected 0 to n = {n}, not {successes!r}")
    z = _z(level)
    z2 = z * z
    centre = (successes + z2 / 2.0) / (n + z2)
    half = z * np.sqrt(successes * (n - successes) / n + z2 / 4.0) / (n + z2)
    lower = 0.0 if successes == 0 else max(0.0, float(centre - half))
    upper = 1.0 if successes == n else min(1.0, float(centre + half))
    return lower, upper


def _indicators(name: str, values: FloatArray) -> FloatArray:
    """``values`` as floats, refused unless every one is 0, 1 or NaN."""
    x = np.asarray(values, dtype=np.float64)
    bad = ~(np.isnan(x) | (x == 0.0) | (x == 1.0))
    if bad.any():
        raise ValueError(f"{name}: expected 0/1 indicators (or NaN), found {x[bad][0]!r}")
    return x


def fraction_interval(values: FloatArray, level: float = LEVEL) -> tuple[float, float, float]:
    """Fraction of 1s in a 0/1 sample with its Wilson score interval.

    See :func:`wilson_interval`. NaN values are left out. The interval depends on the count
    of 1s and of values only, so it is the same for any order of the replicates and draws
    nothing at random.

    Args:
        values: 0/1 values (NaN for none).
        level: Coverage (default :data:`LEVEL`, 90%).

    Returns:
        ``(fraction, lower, upper)``; NaN for an empty sample.

    Raises:
        ValueError: For a value other than 0, 1 or NaN.
    """
    x = _indicators("values", values)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (float("nan"),) * 3
    k = float(x.sum())
    lower, upper = wilson_interval(k, x.size, level)
    return k / x.size, lower, upper


def difference_of_fractions(
    a: FloatArray, b: FloatArray, paired: bool, level: float = LEVEL
) -> tuple[float, float, float]:
    """Difference of two fractions (``b`` minus ``a``) with a score-based interval.

    Both intervals combine the Wilson score intervals (:func:`wilson_interval`) of the two
    fractions by "square and add": with ``p_b`` and ``p_a`` the fractions, ``l`` and ``u``
    their Wilson limits and ``d = p_b - p_a``, the limits are

    * **unpaired** (independent sides): ``d - sqrt((p_b - l_b)² + (u_a - p_a)²)`` to
      ``d + sqrt((u_b - p_b)² + (p_a - l_a)²)``, the hybrid score interval, method 10 of
      Newcombe, R. G., "Interval estimation for the difference between independent
      proportions: comparison of eleven methods", Statistics in Medicine 17, 873-890 (1998);
    * **paired** (replicate ``i`` of ``a`` and of ``b`` share their seed): the same with the
      correlation of the two fractions subtracted, ``d - sqrt((p_b - l_b)²
      - 2φ(p_b - l_b)(u_a - p_a) + (u_a - p_a)²)`` and ``d + sqrt((u_b - p_b)²
      - 2φ(u_b - p_b)(p_a - l_a) + (p_a - l_a)²)``, method 10 of Newcombe, R. G., "Improved
      confidence intervals for the difference between binomial proportions based on paired
      data", Statistics in Medicine 17, 2635-2650 (1998). ``φ`` is the phi coefficient of the
      2x2 table of pairs (both 1: ``n11``; only ``b``: ``n10``; only ``a``: ``n01``; neither:
      ``n00``) with Newcombe's continuity correction: ``n11·n00 - n10·n01`` less ``n/2`` when
      it is above ``n/2``, 0 when it is from 0 to ``n/2``, unchanged when below 0, over the
      square root of the product of the four margins; 0 when a margin is 0.

    The paired method is chosen over Tango's score interval (Tango, T., "Equivalence test and
    confidence interval for the difference in proportions for the paired-sample design",
    Statistics in Medicine 17, 891-908, 1998), which also suits small tables, because it is
    closed-form where Tango's limits are roots of the score statistic that must be searched
    for; because Newcombe's evaluation found its coverage close to the nominal level with
    small samples (where the usual asymptotic and the exact conditional intervals do not); and
    because it is built from the same Wilson limits as the fractions it compares, and with no
    correlation between the pairs it is the unpaired interval, so the three intervals of a
    headline row agree with one another. Like the Wilson interval, neither difference has an
    interval of width 0 when the fractions are 0 or 1, and both stay within [-1, 1]. Both
    depend on the counts only: nothing is drawn at random.

    Args:
        a: 0/1 values of the first side (NaN for none).
        b: 0/1 values of the second side; if paired, the same replicates in the same order
            (a pair with a NaN on either side is left out).
        paired: Whether the values are paired replicate by replicate.
        level: Coverage (default :data:`LEVEL`, 90%).

    Returns:
        ``(difference, lower, upper)``; NaN if a side (or, paired, every pair) is empty.

    Raises:
        ValueError: For a value other than 0, 1 or NaN, or paired sides of unequal length.
    """
    a = _indicators("a", a)
    b = _indicators("b", b)
    if paired:
        if a.shape != b.shape:
            raise ValueError(
                f"paired sides need one value each per replicate, got {a.size} and {b.size}"
            )
        ok = ~(np.isnan(a) | np.isnan(b))
        a, b = a[ok], b[ok]
    else:
        a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if a.size == 0 or b.size == 0:
        return (float("nan"),) * 3
    pa, la, ua = fraction_interval(a, level)
    pb, lb, ub = fraction_interval(b, level)
    d = pb - pa
    phi = _paired_phi(a, b) if paired else 0.0
    below = (pb - lb) ** 2 - 2.0 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2
    above = (ub - pb) ** 2 - 2.0 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2
    lower = max(-1.0, d - float(np.sqrt(max(below, 0.0))))
    upper = min(1.0, d + float(np.sqrt(max(above, 0.0))))
    return d, lower, upper


def _paired_phi(a: FloatArray, b: FloatArray) -> float:
    """Newcombe's continuity-corrected phi coefficient of paired 0/1 values (see above)."""
    n = a.size
    both = float(np.sum((a == 1.0) & (b == 1.0)))
    only_b = float(np.sum((a == 0.0) & (b == 1.0)))
    only_a = float(np.sum((a == 1.0) & (b == 0.0)))
    neither = n - both - only_b - only_a
    margins = (both + only_b) * (only_a + neither) * (both + only_a) * (only_b + neither)
    if margins == 0.0:
        return 0.0
    cross = both * neither - only_b * only_a
    if cross > n / 2.0:
        cross -= n / 2.0
    elif cross >= 0.0:
        cross = 0.0
    return float(cross / np.sqrt(margins))


__all__ = [
    "BAND",
    "LEVEL",
    "MAX_UNPAIRED",
    "cross_differences",
    "difference_of_fractions",
    "fraction_interval",
    "paired_differences",
    "quantiles",
    "wilson_interval",
]
