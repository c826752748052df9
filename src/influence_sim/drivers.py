"""Exogenous drivers: the growth of every economy and capacity, step by step.

GDP is not an outcome of the model: it is data. For each step the driver is the log growth of
the year the step falls in, from the country panel (``seeds/panel.csv``), for the states' GDP
and the powers' economic capacity (their GDP). After the panel's last year the driver is the
median yearly log growth over the trend years (assumptions ``driver_trend_first`` and
``driver_trend_last``): what an analyst at the end of the panel would extrapolate. A power's
security capacity is its world arms exports (SIPRI, five-year windows in the panel) and grows
at the slope between the windows' midpoints (the last slope after the last window). A power a
scenario adds has no driver (its ``capacity_growth`` says how it grows), nor does a state
the panel does not hold.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np

from influence_sim import seeds as sd
from influence_sim.calendar import decimal_year, decimal_years
from influence_sim.kernel.arrays import ECON, SEC, Dims, FloatArray
from influence_sim.panel import Panel


@dataclass(frozen=True)
class Drivers:
    """Driver growth for every step of a run.

    Attributes:
        gdp: ``(n_steps + 1, S)`` log growth per year of each state's GDP during the step that
            ends at step ``k`` (row 0 is unused).
        capacity: ``(n_steps + 1, P, D)`` log growth per year of each power's capacities.
    """

    gdp: FloatArray
    capacity: FloatArray


def trend_growth(panel: Panel, entity: str, series: str, first: int, last: int) -> float:
    """Median yearly log growth of a series over the years ``first + 1`` to ``last``.

    The median, not the mean, so that a one-off level break in US dollars (a devaluation) does
    not set the trend of a decade.

    Args:
        panel: The panel.
        entity: State or power.
        series: Series name.
        first: First year.
        last: Last year (after ``first``).

    Returns:
        The median of ``ln(v_y / v_{y-1})``.
    """
    rates = [panel.growth(entity, series, y) for y in range(first + 1, last + 1)]
    known = [r for r in rates if r is not None]
    return float(np.median(known)) if known else 0.0


def growth_in_year(
    panel: Panel, entity: str, series: str, year: int, trend: tuple[int, int]
) -> float:
    """Log growth of a series in a year: measured where the panel has it, else the trend.

    In the panel's first year (no earlier value to grow from) the growth of the year after is
    used; before it, none; after the panel's last year, the trend.
    """
    measured = panel.growth(entity, series, year)
    if measured is not None:
        return measured
    first = min(panel.annual(entity, series))
    if year < first:
        return 0.0
    if year == first:
        following = panel.growth(entity, series, year + 1)
        return following if following is not None else 0.0
    return trend_growth(panel, entity, series, *trend)


def step_years(dates: list[dt.date]) -> list[int]:
    """The calendar year each step falls in (the year of its midpoint); 0 for step 0."""
    out = [0]
    for a, b in itertools.pairwise(decimal_years(dates).tolist()):
        out.append(int(np.floor((a + b) / 2.0)))
    return out


def build_drivers(dims: Dims, dates: list[dt.date], seeds: sd.SeedData, panel: Panel) -> Drivers:
    """The drivers of a run's steps.

    Args:
        dims: Entities.
        dates: Dates of steps 0 to n.
        seeds: Seed tables (trend years, capability trends).
        panel: Country panel.

    Returns:
        The drivers.
    """
    trend = (int(seeds.assumed("driver_trend_first")), int(seeds.assumed("driver_trend_last")))
    years = step_years(dates)
    n = len(dates)
    decimal = decimal_years(dates).tolist()
    mid = [0.0] + [(a + b) / 2.0 for a, b in itertools.pairwise(decimal)]
    gdp = np.zeros((n, dims.n_states))
    capacity = np.zeros((n, dims.n_powers, 2))
    cache: dict[tuple[str, int], float] = {}

    def growth(entity: str, year: int) -> float:
        key = (entity, year)
        if key not in cache:
            cache[key] = growth_in_year(panel, entity, "gdp", year, trend)
        return cache[key]

    for k in range(1, n):
        for i, state in enumerate(dims.states):
            if panel.has(state, "gdp"):
                gdp[k, i] = growth(state, years[k])
        for p, power in enumerate(dims.powers):
            if panel.has(power, "gdp"):
                capacity[k, p, ECON] = growth(power, years[k])
            if panel.export_points(power):
                capacity[k, p, SEC] = panel.export_growth(power, mid[k])
    return Drivers(gdp, capacity)


__all__ = ["Drivers", "build_drivers", "decimal_year", "growth_in_year", "step_years"]
