"""Coverage of the intervals of fractions: score intervals against a bootstrap percentile interval.

Usage: ``python benchmarks/fraction_coverage.py``

A *fraction* metric of a comparison (how often Russia ends as a state's guarantor) is the
share of ``n`` replicates in which an event holds, and its interval should hold the true
probability ``p`` in 90% of samples (the level of the 5-95% bands). This script computes the
coverage exactly, by going through every possible outcome of ``n`` replicates with its
binomial (or, for paired sides, multinomial) probability, for

* the intervals the comparison uses (:func:`influence_sim.analysis.stats.fraction_interval`,
  Wilson's score interval; :func:`~influence_sim.analysis.stats.difference_of_fractions`,
  Newcombe's hybrid score intervals, paired and unpaired), and
* the bootstrap percentile interval the comparison used before (5th to 95th percentile of the
  fraction over 1,000 resamples with seed 0, pairs resampled together when paired).

``n`` is 10 and 20, the usual replicate counts. ``docs/analysis.md`` (headline metrics) quotes
its output.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from influence_sim.analysis.stats import BAND, difference_of_fractions, fraction_interval

RESAMPLES = 1000
"""Resamples of the bootstrap the comparison used before."""

SIZES = (10, 20)
"""Replicate counts."""

SINGLE = (0.05, 0.5, 0.95)
"""Probabilities of the single fraction."""

GRID = np.round(np.arange(0.01, 1.0, 0.01), 2)
"""Probabilities over which the mean and smallest coverage of one fraction are given."""

UNPAIRED = ((0.5, 0.5), (0.95, 0.95), (0.5, 0.9), (0.95, 0.8), (0.99, 0.9))
"""``(p_a, p_b)`` of two independent sides."""

PAIRED = (
    (0.4, 0.1, 0.1, 0.4),
    (0.93, 0.02, 0.02, 0.03),
    (0.45, 0.0, 0.4, 0.15),
    (0.9, 0.05, 0.0, 0.05),
)
"""Paired sides, as the probabilities of (both, only a, only b, neither) in a replicate."""


def bootstrap_fraction(x: np.ndarray) -> tuple[float, float]:
    """The 5-95% bootstrap percentile interval of the mean of ``x``."""
    rng = np.random.default_rng(0)
    means = x[rng.integers(0, x.size, (RESAMPLES, x.size))].mean(axis=1)
    lo, hi = np.quantile(means, BAND)
    return float(lo), float(hi)


def bootstrap_difference(a: np.ndarray, b: np.ndarray, paired: bool) -> tuple[float, float]:
    """The 5-95% bootstrap percentile interval of ``mean(b) - mean(a)``."""
    rng = np.random.default_rng(0)
    if paired:
        idx = rng.integers(0, a.size, (RESAMPLES, a.size))
        diffs = b[idx].mean(axis=1) - a[idx].mean(axis=1)
    else:
        ia = rng.integers(0, a.size, (RESAMPLES, a.size))
        ib = rng.integers(0, b.size, (RESAMPLES, b.size))
        diffs = b[ib].mean(axis=1) - a[ia].mean(axis=1)
    lo, hi = np.quantile(diffs, BAND)
    return float(lo), float(hi)


def ones(k: int, n: int) -> np.ndarray:
    """``k`` ones, then ``n - k`` zeros."""
    return np.r_[np.ones(k), np.zeros(n - k)]


def covers(interval: tuple[float, float], value: float) -> bool:
    """Whether the interval holds the value (with a tolerance for rounding)."""
    return interval[0] - 1e-12 <= value <= interval[1] + 1e-12


def single(n: int, p: float) -> tuple[float, float]:
    """Coverage of the Wilson and of the bootstrap interval of one fraction."""
    wilson = boot = 0.0
    for k in range(n + 1):
        weight = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        x = ones(k, n)
        wilson += weight * covers(fraction_interval(x)[1:], p)
        boot += weight * covers(bootstrap_fraction(x), p)
    return wilson, boot


def unpaired(n: int, pa: float, pb: float) -> tuple[float, float]:
    """Coverage of ``p_b - p_a`` by the two intervals, sides independent."""
    score = boot = 0.0
    for ka, kb in itertools.product(range(n + 1), repeat=2):
        weight = (
            math.comb(n, ka)
            * pa**ka
            * (1 - pa) ** (n - ka)
            * math.comb(n, kb)
            * pb**kb
            * (1 - pb) ** (n - kb)
        )
        a, b = ones(ka, n), ones(kb, n)
        score += weight * covers(difference_of_fractions(a, b, paired=False)[1:], pb - pa)
        boot += weight * covers(bootstrap_difference(a, b, paired=False), pb - pa)
    return score, boot


def paired(n: int, cells: tuple[float, float, float, float]) -> tuple[float, float]:
    """Coverage of ``p_b - p_a`` by the two intervals, replicates paired."""
    both, only_a, only_b, neither = cells
    target = only_b - only_a
    score = boot = 0.0
    for n11 in range(n + 1):
        for n10 in range(n + 1 - n11):
            for n01 in range(n + 1 - n11 - n10):
                n00 = n - n11 - n10 - n01
                weight = (
                    math.factorial(n)
                    / (
                        math.factorial(n11)
                        * math.factorial(n10)
                        * math.factorial(n01)
                        * math.factorial(n00)
                    )
                    * both**n11
                    * only_a**n10
                    * only_b**n01
                    * neither**n00
                )
                if weight == 0.0:
                    continue
                a = np.r_[np.ones(n11 + n10), np.zeros(n01 + n00)]
                b = np.r_[np.ones(n11), np.zeros(n10), np.ones(n01), np.zeros(n00)]
                score += weight * covers(difference_of_fractions(a, b, paired=True)[1:], target)
                boot += weight * covers(bootstrap_difference(a, b, paired=True), target)
    return score, boot


def main() -> None:
    """Print the coverage tables."""
    print("Exact coverage of nominal 90% intervals (score: Wilson / Newcombe; bootstrap: 5-95%)")
    print("\none fraction")
    print(f"  {'n':>3} {'p':>6} {'score':>7} {'bootstrap':>10}")
    for n, p in itertools.product(SIZES, SINGLE):
        w, b = single(n, p)
        print(f"  {n:>3} {p:>6.2f} {w:>7.3f} {b:>10.3f}")
    for n in SIZES:
        grid = np.array([single(n, float(p)) for p in GRID])
        print(
            f"  {n:>3} p = {GRID[0]:.2f} to {GRID[-1]:.2f}: mean {grid[:, 0].mean():.3f} "
            f"(smallest {grid[:, 0].min():.3f}) score, mean {grid[:, 1].mean():.3f} "
            f"(smallest {grid[:, 1].min():.3f}) bootstrap"
        )
    print("\ndifference of two independent fractions (b minus a)")
    print(f"  {'n':>3} {'p_a':>6} {'p_b':>6} {'score':>7} {'bootstrap':>10}")
    for n, (pa, pb) in itertools.product(SIZES, UNPAIRED):
        w, b = unpaired(n, pa, pb)
        print(f"  {n:>3} {pa:>6.2f} {pb:>6.2f} {w:>7.3f} {b:>10.3f}")
    print("\ndifference of two paired fractions (b minus a)")
    print(f"  {'n':>3} {'p_a':>6} {'p_b':>6} {'both':>6} {'score':>7} {'bootstrap':>10}")
    for n, cells in itertools.product(SIZES, PAIRED):
        w, b = paired(n, cells)
        pa, pb = cells[0] + cells[1], cells[0] + cells[2]
        print(f"  {n:>3} {pa:>6.2f} {pb:>6.2f} {cells[0]:>6.2f} {w:>7.3f} {b:>10.3f}")


if __name__ == "__main__":
    main()
