"""Intervals of fraction metrics: Wilson's for a fraction, Newcombe's for a difference.

Known values are checked against the formulas written out here and against the worked
examples of Newcombe's 1998 papers; coverage is computed exactly, by going through every
outcome of ``n`` replicates with its probability (``benchmarks/fraction_coverage.py`` prints
the full tables, with the bootstrap the comparison used before).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from influence_sim.analysis.stats import difference_of_fractions, fraction_interval

Z90 = 1.6448536269514722
"""Standard normal quantile at 0.95 (the 5-95% band is a two-sided 90% interval)."""


def _ones(k: int, n: int) -> np.ndarray:
    return np.r_[np.ones(k), np.zeros(n - k)]


def _wilson(k: int, n: int, z: float = Z90) -> tuple[float, float]:
    """Wilson's score interval, written out: (k + z²/2 ± z sqrt(k(n-k)/n + z²/4)) / (n + z²)."""
    centre = k + z * z / 2
    half = z * math.sqrt(k * (n - k) / n + z * z / 4)
    return (centre - half) / (n + z * z), (centre + half) / (n + z * z)


def _paired(n11: int, n10: int, n01: int, n00: int) -> tuple[np.ndarray, np.ndarray]:
    """Sides ``a`` and ``b`` of a paired table: both 1, only ``b``, only ``a``, neither."""
    b = np.r_[np.ones(n11 + n10), np.zeros(n01 + n00)]
    a = np.r_[np.ones(n11), np.zeros(n10), np.ones(n01), np.zeros(n00)]
    return a, b


def test_wilson_interval_of_20_of_20_0_of_20_and_10_of_20_at_90_percent():
    for k, lower, upper in ((20, 0.8808, 1.0), (0, 0.0, 0.1192), (10, 0.3274, 0.6726)):
        fraction, lo, hi = fraction_interval(_ones(k, 20))
        assert fraction == k / 20
        assert (lo, hi) == pytest.approx(_wilson(k, 20), abs=1e-12)
        assert (lo, hi) == pytest.approx((lower, upper), abs=5e-5)
    # at k = n the lower limit is n / (n + z²), at k = 0 the upper one z² / (n + z²)
    assert fraction_interval(np.ones(20))[1] == pytest.approx(20 / (20 + Z90**2))
    assert fraction_interval(np.zeros(20))[2] == pytest.approx(Z90**2 / (20 + Z90**2))


def test_a_fraction_of_0_or_1_and_their_differences_have_bands_of_positive_width():
    for values in (np.ones(20), np.zeros(20), np.ones(10)):
        fraction, lo, hi = fraction_interval(values)
        assert 0.0 <= lo <= fraction <= hi <= 1.0 and hi - lo > 0.05
    for a, b in ((np.ones(20), np.ones(20)), (np.zeros(20), np.zeros(20))):
        for paired in (True, False):
            diff, lo, hi = difference_of_fractions(a, b, paired=paired)
            assert diff == 0.0 and lo < -0.05 and hi > 0.05
    for paired in (True, False):
        diff, lo, hi = difference_of_fractions(np.ones(5), np.zeros(5), paired=paired)
        assert diff == -1.0 and lo == -1.0 and -1.0 + 0.1 < hi < 0.0
        diff, lo, hi = difference_of_fractions(np.zeros(5), np.ones(5), paired=paired)
        assert diff == 1.0 and hi == 1.0 and 0.0 < lo < 1.0 - 0.1


# Newcombe, "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Statistics in Medicine 17, 873-890 (1998), Table II, method
# 10, 95%: k1/n1 - k2/n2 -> lower, upper
INDEPENDENT_EXAMPLES = (
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0)),
    ((10, 10, 0, 10), (0.6075, 1.0)),
)

# Newcombe, "Improved confidence intervals for the difference between binomial proportions
# based on paired data", Statistics in Medicine 17, 2635-2650 (1998), Table III, method 10,
# 95%: pairs (both, first only, second only, neither) -> lower, upper of first minus second
PAIRED_EXAMPLES = (
    ((36, 12, 2, 0), (0.0569, 0.3404)),
    ((20, 12, 2, 16), (0.0562, 0.3292)),
    ((18, 12, 2, 18), (0.0562, 0.3290)),
    ((36, 14, 0, 0), (0.1528, 0.4167)),
    ((35, 14, 0, 1), (0.1461, 0.4175)),
    ((18, 14, 0, 18), (0.1441, 0.3963)),
    ((2, 97, 1, 0), (0.8721, 0.9854)),
)


def test_the_unpaired_interval_reproduces_newcombes_worked_examples():
    for (k1, n1, k2, n2), expected in INDEPENDENT_EXAMPLES:
        diff, lo, hi = difference_of_fractions(_ones(k2, n2), _ones(k1, n1), False, level=0.95)
        assert diff == pytest.approx(k1 / n1 - k2 / n2)
        assert (lo, hi) == pytest.approx(expected, abs=5e-5), (k1, n1, k2, n2)


def test_the_paired_interval_reproduces_newcombes_worked_examples():
    for cells, expected in PAIRED_EXAMPLES:
        a, b = _paired(*cells)
        diff, lo, hi = difference_of_fractions(a, b, paired=True, level=0.95)
        assert diff == pytest.approx((cells[1] - cells[2]) / sum(cells))
        assert (lo, hi) == pytest.approx(expected, abs=5e-5), cells
    # concordant pairs (the same seed gives the same event) narrow the interval of a paired
    # difference below that of the same values taken as independent
    a, b = _paired(20, 5, 0, 15)
    _, lo, hi = difference_of_fractions(a, b, paired=True)
    _, ulo, uhi = difference_of_fractions(a, b, paired=False)
    assert hi - lo < uhi - ulo - 0.01


def test_the_intervals_depend_on_the_counts_only():
    """No resampling: the order of the replicates changes nothing (pairs kept together)."""
    rng = np.random.default_rng(3)
    a = (rng.random(15) < 0.4).astype(float)
    b = (rng.random(15) < 0.7).astype(float)
    order = rng.permutation(15)
    assert fraction_interval(a[order]) == fraction_interval(a)
    paired = difference_of_fractions(a, b, True)
    assert difference_of_fractions(a[order], b[order], True) == paired
    assert difference_of_fractions(a[order], b, False) == difference_of_fractions(a, b, False)


def test_values_other_than_0_or_1_are_refused():
    with pytest.raises(ValueError, match="0/1 indicators"):
        fraction_interval(np.array([1.0, 0.5]))
    with pytest.raises(ValueError, match="0/1 indicators"):
        difference_of_fractions(np.array([1.0, 2.0]), np.ones(2), paired=False)
    with pytest.raises(ValueError, match="one value each per replicate"):
        difference_of_fractions(np.ones(3), np.ones(4), paired=True)
    # NaN is no value: left out (paired: the whole pair)
    assert fraction_interval(np.array([1.0, np.nan, 1.0])) == fraction_interval(np.ones(2))
    assert all(math.isnan(v) for v in fraction_interval(np.array([np.nan])))


def _binomial(k: int, n: int, p: float) -> float:
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def _covers(interval: tuple[float, ...], value: float) -> bool:
    return interval[0] - 1e-12 <= value <= interval[1] + 1e-12


@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize("p", [0.05, 0.5, 0.95])
def test_a_fraction_covers_the_probability_in_about_90_percent_of_samples(n, p):
    """Exact coverage: 0.914 (n 10) and 0.925 (n 20) at p 0.05 and 0.95, 0.891 and 0.885 at
    p 0.5; the bootstrap the comparison used before covered 0.390 and 0.639 at the edges."""
    coverage = sum(
        _binomial(k, n, p) * _covers(fraction_interval(_ones(k, n))[1:], p) for k in range(n + 1)
    )
    assert 0.87 < coverage < 0.95


@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize(("pa", "pb"), [(0.5, 0.5), (0.5, 0.9), (0.99, 0.9)])
def test_an_unpaired_difference_covers_in_about_90_percent_of_samples(n, pa, pb):
    """At p_a 0.99 and p_b 0.9 (side a mostly 1 in every replicate) the bootstrap covered 0.588
    (n 10) and 0.842 (n 20); the score interval 0.987 and 0.968."""
    coverage = 0.0
    for ka in range(n + 1):
        for kb in range(n + 1):
            interval = difference_of_fractions(_ones(ka, n), _ones(kb, n), paired=False)[1:]
            coverage += _binomial(ka, n, pa) * _binomial(kb, n, pb) * _covers(interval, pb - pa)
    assert 0.87 < coverage < 0.995


@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize(
    "cells",
    [(0.4, 0.1, 0.1, 0.4), (0.45, 0.0, 0.4, 0.15), (0.9, 0.05, 0.0, 0.05)],
    ids=["even", "b_gains", "b_loses_rarely"],
)
def test_a_paired_difference_covers_in_about_90_percent_of_samples(n, cells):
    """``cells``: probabilities of (both, only a, only b, neither) in a replicate. Where side b
    loses the event in 5% of replicates only, most samples have no discordant pair and the
    bootstrap's band was 0 to 0: it covered 0.390 (n 10) and 0.639 (n 20), the score interval
    0.999 and 0.997."""
    both, only_a, only_b, neither = cells
    coverage = 0.0
    for n11 in range(n + 1):
        for n10 in range(n + 1 - n11):
            for n01 in range(n + 1 - n11 - n10):
                n00 = n - n11 - n10 - n01
                weight = (
                    math.factorial(n)
                    / math.prod(math.factorial(c) for c in (n11, n10, n01, n00))
                    * both**n11
                    * only_a**n10
                    * only_b**n01
                    * neither**n00
                )
                if weight == 0.0:
                    continue
                # _paired's second cell is "only b": here only_b's count is n01
                a, b = _paired(n11, n01, n10, n00)
                interval = difference_of_fractions(a, b, paired=True)[1:]
                coverage += weight * _covers(interval, only_b - only_a)
    assert 0.87 < coverage <= 1.0
