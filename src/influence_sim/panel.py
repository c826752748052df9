"""The country panel: trade by partner, GDP and arms imports by supplier, 2000-2021, with sources.

``seeds/panel.csv`` holds one measured figure a row (``entity, year, series, value, unit,
definition, source, note``); see ``docs/data.md`` for the definitions chosen and the gaps. This
module reads it and answers the questions the model asks of it: a series' value at a date
(log-linear between years, held flat outside the years measured), the annual log growth of a
series, and the arms-import windows of a state.

Units are converted on reading: trade and GDP to USD bn, arms transfers (SIPRI trend-indicator
values) to USD bn through the assumption ``tiv_usd`` (seeds/assumptions.csv).
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from influence_sim._inputs import read_table
from influence_sim._text import one_of
from influence_sim.cast import POWERS

TRADE_PARTNERS: dict[str, str] = {r.power: r.trade_series for r in POWERS if r.trade_series}
"""Power name -> panel series of a state's trade with it (goods, exports plus imports), from
``seeds/powers.csv``."""

ARMS_SUPPLIERS: dict[str, str] = {r.power: r.arms_series for r in POWERS if r.arms_series}
"""Power name -> panel series of its share of a state's arms imports in a window, from
``seeds/powers.csv``."""

_TO_BN = {
    "USD million": 1e-3,
    "USD billion (current)": 1.0,
    "USD billion": 1.0,
    "share": 1.0,
}


@dataclass(frozen=True)
class PanelRow:
    """One measured figure.

    Attributes:
        entity: A state, a power, or ``region``.
        year: A year (``2014``) or a window (``2015-2019``).
        series: Series name (``trade_china``, ``gdp``, ``arms_share_russia``, ...).
        value: The value as published, in ``unit``.
        unit: Unit of ``value``.
        definition: Which statistic (reporter, mirror, database code).
        source: Document or database, publisher, date.
        note: Derivation, disagreements, gaps.
    """

    entity: str
    year: str
    series: str
    value: float
    unit: str
    definition: str
    source: str
    note: str

    @property
    def first_year(self) -> int:
        """First year the row covers."""
        return int(self.year.split("-")[0])

    @property
    def last_year(self) -> int:
        """Last year the row covers."""
        return int(self.year.split("-")[-1])


@dataclass(frozen=True)
class ArmsWindow:
    """A state's arms imports over a window of years (SIPRI-style five-year windows).

    Attributes:
        first: First year.
        last: Last year.
        usd_bn_per_year: Mean yearly imports, USD bn (TIV converted by ``tiv_usd``).
        shares: Supplier shares (``rest_of_world`` holds every other supplier).
    """

    first: int
    last: int
    usd_bn_per_year: float
    shares: dict[str, float]

    @property
    def label(self) -> str:
        """``first-last``."""
        return f"{self.first}-{self.last}"


class Panel:
    """The panel's rows, with lookups by entity and series."""

    def __init__(self, rows: Sequence[PanelRow], tiv_usd: float):
        """Create the panel.

        Args:
            rows: The rows.
            tiv_usd: USD million per TIV million (assumption ``tiv_usd``).
        """
        self.rows = tuple(rows)
        self.tiv_usd = tiv_usd
        self._index: dict[tuple[str, str], dict[str, PanelRow]] = {}
        for r in self.rows:
            self._index.setdefault((r.entity, r.series), {})[r.year] = r

    def has(self, entity: str, series: str) -> bool:
        """Whether the panel holds any row of this entity and series."""
        return (entity, series) in self._index

    def annual(self, entity: str, series: str) -> dict[int, float]:
        """Yearly values of a series in USD bn (or as a share), by year.

        Raises:
            KeyError: If the panel has no such series for the entity.
        """
        rows = self._index[(entity, series)]
        return {int(y): r.value * _TO_BN[r.unit] for y, r in sorted(rows.items()) if "-" not in y}

    def at(self, entity: str, series: str, when: float) -> float:
        """A series' value at a decimal year, log-linear between yearly values.

        A yearly figure is taken to describe the middle of its year (``2014`` at 2014.5); before
        the first and after the last year the nearest value is held.

        Args:
            entity: State or power.
            series: Series name.
            when: Decimal year (``2021.0`` is the start of 2021).

        Returns:
            The value (USD bn for trade and GDP).
        """
        values = self.annual(entity, series)
        years = sorted(values)
        points = [y + 0.5 for y in years]
        if when <= points[0]:
            return values[years[0]]
        if when >= points[-1]:
            return values[years[-1]]
        pairs = list(zip(years, points, strict=True))
        for (y0, p0), (y1, p1) in itertools.pairwise(pairs):
            if p0 <= when <= p1:
                w = (when - p0) / (p1 - p0)
                a, b = values[y0], values[y1]
                if a > 0.0 and b > 0.0:
                    return math.exp((1.0 - w) * math.log(a) + w * math.log(b))
                return (1.0 - w) * a + w * b
        raise AssertionError("unreachable")  # pragma: no cover

    def growth(self, entity: str, series: str, year: int) -> float | None:
        """Log growth of a series from ``year - 1`` to ``year``, or None if either is missing."""
        values = self.annual(entity, series)
        if year in values and year - 1 in values and values[year] > 0 and values[year - 1] > 0:
            return math.log(values[year] / values[year - 1])
        return None

    def last_year(self, entity: str, series: str) -> int:
        """Last year a series has a yearly value for."""
        return max(self.annual(entity, series))

    def trade(self, state: str, when: float) -> dict[str, float]:
        """A state's trade with each power and the rest of the world at a date, USD bn.

        Rest of world is total trade less the trade with the powers of the panel (the
        European Union is part of it).
        """
        out = {p: self.at(state, s, when) for p, s in TRADE_PARTNERS.items()}
        total = self.at(state, "trade_total", when)
        out["rest_of_world"] = max(total - sum(out.values()), 0.05 * total)
        return out

    def export_points(self, power: str) -> list[tuple[float, float]]:
        """A supplier's world arms exports as ``(window midpoint, USD bn per year)`` points."""
        rows = self._index.get((power, "arms_export_tiv"), {})
        out = []
        for row in rows.values():
            years = row.last_year - row.first_year + 1
            mid = (row.first_year + row.last_year + 1) / 2.0
            out.append((mid, row.value * self.tiv_usd * 1e-3 / years))
        return sorted(out)

    def export_growth(self, power: str, when: float) -> float:
        """Log growth per year of a supplier's arms exports at a date.

        The slope between the two window midpoints around the date; before the first and after
        the last midpoint, the slope of the nearest segment.
        """
        pts = self.export_points(power)
        if len(pts) < 2:
            return 0.0
        for (t0, v0), (t1, v1) in itertools.pairwise(pts):
            if when <= t1:
                return math.log(v1 / v0) / (t1 - t0)
        (t0, v0), (t1, v1) = pts[-2], pts[-1]
        return math.log(v1 / v0) / (t1 - t0)

    def export_capacity(self, power: str, when: float) -> float:
        """A supplier's world arms exports at a date, USD bn per year (log-linear in time)."""
        pts = self.export_points(power)
        t_ref, v_ref = min(pts, key=lambda p: abs(p[0] - when))
        return v_ref * math.exp(self.export_growth(power, (t_ref + when) / 2.0) * (when - t_ref))

    def arms_windows(self, state: str) -> list[ArmsWindow]:
        """A state's (or the ``region``'s) arms-import windows with deliveries, in time order."""
        totals = self._index.get((state, "arms_tiv_total"), {})
        out = []
        for label, row in sorted(totals.items()):
            if row.value <= 0.0:
                continue
            shares = {}
            for power, series in ARMS_SUPPLIERS.items():
                r = self._index.get((state, series), {}).get(label)
                shares[power] = r.value if r is not None else 0.0
            shares["rest_of_world"] = max(1.0 - sum(shares.values()), 0.0)
            years = row.last_year - row.first_year + 1
            out.append(
                ArmsWindow(
                    row.first_year,
                    row.last_year,
                    row.value * self.tiv_usd * 1e-3 / years,
                    shares,
                )
            )
        return out

    def arms_window_at(self, state: str, year: float) -> ArmsWindow:
        """The window that best describes a date: the latest one ending before it, else the first.

        Raises:
            KeyError: If the state has no window with deliveries.
        """
        windows = self.arms_windows(state)
        if not windows:
            raise KeyError(f"no arms-import window for {state}")
        before = [w for w in windows if w.last + 1 <= year + 1e-9]
        if not before:
            return windows[0]
        # of the windows ending last before the date, the one starting latest
        last = max(w.last for w in before)
        return max((w for w in before if w.last == last), key=lambda w: w.first)


_UNITS = (*_TO_BN, "TIV million")  # arms transfers: converted through ``tiv_usd``
_COLUMNS = ("entity", "year", "series", "value", "unit", "definition", "source", "note")


def _read(path: Path) -> list[PanelRow]:
    rows = []
    for r in read_table(path, _COLUMNS, key=("entity", "year", "series")):
        if r["unit"] not in _UNITS:
            raise r.error("unit", f"unknown unit {r['unit']!r} ({one_of(r['unit'], _UNITS)})")
        if not re.fullmatch(r"\d{4}(-\d{4})?", r["year"]):
            reason = f"{r['year']!r} is not a year (expected 2014, or 2015-2019 for a window)"
            raise r.error("year", reason)
        value = r.number("value")
        rows.append(
            PanelRow(
                r["entity"],
                r["year"],
                r["series"],
                value,
                r["unit"],
                r["definition"],
                r["source"],
                r["note"],
            )
        )
    return rows


@functools.cache
def load_panel(directory: Path, tiv_usd: float) -> Panel:
    """Read ``panel.csv`` of a seeds folder (cached per folder).

    Args:
        directory: The seeds folder.
        tiv_usd: USD million per TIV million.

    Returns:
        The panel.
    """
    return Panel(_read(directory / "panel.csv"), tiv_usd)


__all__ = ["ARMS_SUPPLIERS", "TRADE_PARTNERS", "ArmsWindow", "Panel", "PanelRow", "load_panel"]
