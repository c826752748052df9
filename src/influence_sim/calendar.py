"""Dates of a run: the stepping calendar and decimal years.

:class:`Clock` turns step numbers into dates (month, quarter or year steps);
:func:`decimal_year` and :func:`decimal_years` turn dates into the decimal years the country
panel, the drivers and the first-ahead outcomes are indexed by.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

STEP_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
"""Months per step of each step name a scenario may give."""


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return ``day`` moved by whole months (the day of month is clipped to the month's end)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(f"cannot move {day} by {months} months")  # pragma: no cover


def decimal_year(day: datetime.date) -> float:
    """A date as a decimal year (``2021-07-02`` is about 2021.5), by :func:`decimal_years`."""
    return float(decimal_years([day])[0])


def decimal_years(dates: Iterable[Any]) -> npt.NDArray[np.float64]:
    """Many dates (dates, datetimes or ISO text) as decimal years (``2021-07-02`` is about 2021.5).

    Equation: ``y + (day - 1 Jan y) / (days in year y)``.

    Args:
        dates: The dates: a list or array, or a pandas Series or Index (of ISO text, dates,
            datetimes or ``datetime64`` values); a time of day is dropped.

    Returns:
        ``(N,)`` decimal years.
    """
    dtype = getattr(dates, "dtype", None)
    if isinstance(dates, np.ndarray):
        days = dates
    elif isinstance(dtype, np.dtype) and dtype.kind == "M":
        days = np.asarray(dates)  # a pandas Series or Index of datetime64 values, as they are
    else:
        days = np.asarray(list(dates))
    days = days.astype("datetime64[D]")
    year = days.astype("datetime64[Y]")
    start = year.astype("datetime64[D]")
    length = (year + np.timedelta64(1, "Y")).astype("datetime64[D]") - start
    out: npt.NDArray[np.float64] = (year.astype(np.int64) + 1970) + (
        (days - start).astype(np.int64) / length.astype(np.int64)
    )
    return out


@dataclass(frozen=True)
class Clock:
    """Dated steps of a run.

    Attributes:
        start: Date of step 0.
        step_months: Months per step (1, 3 or 12).
        n_steps: Number of steps after step 0.
    """

    start: datetime.date
    step_months: int
    n_steps: int

    @staticmethod
    def between(start: datetime.date, end: datetime.date, step: str) -> Clock:
        """The clock running from ``start`` to the last step date not after ``end``.

        Args:
            start: First date.
            end: Last date (inclusive if it falls on a step).
            step: ``month``, ``quarter`` or ``year``.

        Raises:
            ValueError: For an unknown step or an end less than one step after the start.
        """
        if step not in STEP_MONTHS:
            raise ValueError(f"unknown step '{step}' (expected one of {', '.join(STEP_MONTHS)})")
        months = STEP_MONTHS[step]
        if add_months(start, months) > end:
            raise ValueError(f"end must be at least one {step} after start")
        n = 0
        while add_months(start, (n + 1) * months) <= end:
            n += 1
        return Clock(start, months, n)

    @property
    def dt(self) -> float:
        """Step length in years."""
        return self.step_months / 12.0

    def date(self, k: int) -> datetime.date:
        """Date of step ``k``."""
        return add_months(self.start, k * self.step_months)

    @property
    def dates(self) -> list[datetime.date]:
        """Dates of steps 0 to ``n_steps``."""
        return [self.date(k) for k in range(self.n_steps + 1)]

    def step_of(self, day: datetime.date) -> int:
        """The step whose recorded state first reflects an event on ``day``.

        That is the first ``k`` with ``date(k) >= day`` (0 for a date at or before the start);
        the event acts at the start of the transition from ``k - 1`` to ``k``. Dates after the
        last step give ``n_steps + 1`` (never applied).
        """
        k = 0
        while k <= self.n_steps and self.date(k) < day:
            k += 1
        return k


__all__ = ["STEP_MONTHS", "Clock", "add_months", "decimal_year", "decimal_years"]
