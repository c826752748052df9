"""Figures from ``seeds/`` and the starting values derived from them, with provenance.

``seeds/`` holds the project's evidence as CSV tables: ``figures.csv`` (the article's and the
source report's figures), ``capability.csv`` (CINC indices, kept as reference data; the
model's capacities come from the panel), ``geography.csv``, ``events.csv``,
``memberships.csv``, ``presence.csv``, ``infrastructure.csv``, ``ties.csv``, ``panel.csv`` (the
country panel, :mod:`influence_sim.panel`), ``estimates.csv`` (values estimated from the panel,
each with its method) and ``assumptions.csv`` (every value that is not in the sources, each with
its reason). This module reads them once and derives every
starting number of the model from them; no figure is typed a second time in code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from influence_sim import cast
from influence_sim._inputs import InputFileError, TableRow, read_table
from influence_sim._text import one_of
from influence_sim.cast import seeds_dir as seeds_dir
from influence_sim.kernel.arrays import DOMAINS, REST_OF_WORLD, Dims, FloatArray
from influence_sim.panel import Panel, load_panel

DEFAULT_STATES: tuple[str, ...] = (
    "kazakhstan",
    "kyrgyzstan",
    "tajikistan",
    "turkmenistan",
    "uzbekistan",
)
DEFAULT_POWERS: tuple[str, ...] = tuple(row.power for row in cast.POWERS)
"""The default powers: the rows of ``seeds/powers.csv`` (:mod:`influence_sim.cast`)."""
ORGANISATIONS: tuple[str, ...] = tuple(row.organisation for row in cast.ORGANISATIONS)
"""The organisations: the rows of ``seeds/organisations.csv`` (:mod:`influence_sim.cast`)."""
DYAD = cast.DYAD
"""China and Russia, the pair the model follows (:data:`influence_sim.cast.DYAD`)."""


def default_dims(
    states: Sequence[str] = DEFAULT_STATES, powers: Sequence[str] = DEFAULT_POWERS
) -> Dims:
    """Entities of a run: the given (default) states and powers and the seeds' organisations."""
    return Dims(tuple(states), tuple(powers), ORGANISATIONS)


CSTO = "csto"


@dataclass(frozen=True)
class Figure:
    """A figure from the sources.

    Attributes:
        id: Identifier (``A*`` from the article, ``K*`` from Kennan Cable 52).
        value: The value as a number.
        unit: Unit of the value.
        period: Period the figure refers to.
        source: Where it comes from.
        note: What it means, in the project's words.
    """

    id: str
    value: float
    unit: str
    period: str
    source: str
    note: str


@dataclass(frozen=True)
class Assumption:
    """A value not found in the sources, with the reason for choosing it.

    Attributes:
        id: Identifier (parameter names use their own name, or ``name_entity``).
        value: The value as text (most are numbers; see :meth:`number`).
        unit: Unit of the value.
        applies_to: Part of the model it feeds.
        reason: Why this value.
    """

    id: str
    value: str
    unit: str
    applies_to: str
    reason: str

    def number(self) -> float:
        """Return the value as a float.

        Raises:
            ValueError: If the value is not numeric.
        """
        return float(self.value)


@dataclass(frozen=True)
class Estimate:
    """A value estimated from the country panel.

    Attributes:
        id: Identifier (a parameter name).
        value: The estimate.
        unit: Unit.
        method: How it was estimated, with its standard error where there is one.
    """

    id: str
    value: float
    unit: str
    method: str


@dataclass(frozen=True)
class Dated:
    """An interval during which a membership or a presence holds.

    Attributes:
        state: Central Asian state.
        other: Organisation (memberships) or power (presence).
        start: First day it holds.
        end: First day it no longer holds, or None if it still holds.
        strength: Weight (1 for memberships).
        source: Provenance.
    """

    state: str
    other: str
    start: dt.date
    end: dt.date | None
    strength: float
    source: str

    def holds_on(self, day: dt.date) -> bool:
        """Return whether the interval covers ``day``."""
        return self.start <= day and (self.end is None or day < self.end)

    def overlaps(self, other: Dated) -> bool:
        """Return whether some day is covered by both intervals."""
        return (self.end is None or other.start < self.end) and (
            other.end is None or self.start < other.end
        )


@dataclass(frozen=True)
class Event:
    """A dated event from the sources.

    Attributes:
        date: When it happened.
        id: Identifier.
        description: What happened.
        source: Provenance.
    """

    date: dt.date
    id: str
    description: str
    source: str


class MissingRowError(InputFileError, KeyError):
    """A row the model needs is not in a seed table.

    It is a ``KeyError`` too, so a caller that falls back on a default where a row is missing
    (an entity without an assumption of its own) still does.
    """

    __str__ = InputFileError.__str__  # not KeyError's, which would quote the message

    def __init__(self, directory: Path, table: str, row_id: str) -> None:
        """Name the table of ``directory`` and the id missing from it."""
        super().__init__(str(directory / table), f"no row with id {row_id!r}", "table")


@dataclass(frozen=True)
class SeedData:
    """Everything in ``seeds/``, parsed.

    Attributes:
        directory: Folder it was read from.
        figures: Figures by id.
        assumptions: Assumptions by id.
        capability: CINC share of world capability by (actor, year).
        border_km: Length of each state's border with Afghanistan.
        events: Dated events in date order.
        memberships: Membership intervals.
        presence: Military presence intervals.
        ties: Tie weights as (organisation, power, domain, weight).
        infrastructure: Pipeline and corridor intervals (``other`` is the power).
        estimates: Values estimated from the country panel, by id.
        residuals: Residual attraction estimated from the panel, by (state, partner, domain).
    """

    directory: Path
    figures: dict[str, Figure]
    assumptions: dict[str, Assumption]
    capability: dict[tuple[str, int], float]
    border_km: dict[str, float]
    events: tuple[Event, ...]
    memberships: tuple[Dated, ...]
    presence: tuple[Dated, ...]
    ties: tuple[tuple[str, str, str, float], ...]
    infrastructure: tuple[Dated, ...] = ()
    estimates: dict[str, Estimate] = dataclasses.field(default_factory=dict)
    residuals: dict[tuple[str, str, str], float] = dataclasses.field(default_factory=dict)

    def figure(self, figure_id: str) -> float:
        """Return the value of a figure.

        Raises:
            MissingRowError: If there is no such figure (a ``KeyError`` too).
        """
        if figure_id not in self.figures:
            raise MissingRowError(self.directory, "figures.csv", figure_id)
        return self.figures[figure_id].value

    def assumed(self, assumption_id: str) -> float:
        """Return the numeric value of an assumption, or of an estimate of that id.

        Raises:
            MissingRowError: If there is no such assumption or estimate (a ``KeyError`` too).
            InputFileError: If the assumption's value is not a finite number.
        """
        if assumption_id in self.estimates:
            return self.estimates[assumption_id].value
        if assumption_id not in self.assumptions:
            raise MissingRowError(self.directory, "assumptions.csv", assumption_id)
        assumption = self.assumptions[assumption_id]
        try:
            number = assumption.number()
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            file = str(self.directory / "assumptions.csv")
            rows = _rows(self.directory, "assumptions.csv")
            line = next((r.line for r in rows if r["id"] == assumption_id), None)
            reason = f"{assumption_id}: value {assumption.value!r} is not a number"
            raise InputFileError(file, f"{reason} (expected a finite number)", "table", line)
        return number


_OPTIONAL = ("infrastructure.csv", "estimates.csv", "residuals.csv")


def panel_of(seeds: SeedData) -> Panel:
    """The country panel of a seeds folder (``panel.csv``), read once."""
    return load_panel(seeds.directory, seeds.assumed("tiv_usd"))


_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # table: the columns read, and those no two rows may share
    "figures.csv": (("id", "value", "unit", "period", "source", "note"), ("id",)),
    "assumptions.csv": (("id", "value", "unit", "applies_to", "reason"), ("id",)),
    "capability.csv": (("actor", "year", "cinc"), ("actor", "year")),
    "geography.csv": (("state", "afghan_border_km"), ("state",)),
    "events.csv": (("date", "id", "event", "source"), ("id",)),
    "memberships.csv": (("state", "organisation", "joined", "left", "source"), ()),
    "presence.csv": (("state", "power", "strength", "from", "to", "source"), ()),
    "ties.csv": (
        ("organisation", "power", "domain", "weight"),
        ("organisation", "power", "domain"),
    ),
    "infrastructure.csv": (("state", "power", "strength", "from", "to", "source"), ()),
    "estimates.csv": (("id", "value", "unit", "method"), ("id",)),
    "residuals.csv": (("state", "partner", "domain", "value"), ("state", "partner", "domain")),
}
"""The columns of each seed table :func:`load_seeds` reads."""


def _rows(directory: Path, name: str) -> list[TableRow]:
    if not (directory / name).exists() and name in _OPTIONAL:
        return []
    rows = read_table(directory / name, *_COLUMNS[name])
    names = {  # columns whose every cell names one of a fixed set (powers do not: scenarios add)
        "state": DEFAULT_STATES,
        "organisation": tuple(o.organisation for o in cast.ORGANISATIONS),
        "domain": DOMAINS,
    }
    for row in rows:
        for column, choices in names.items():
            if column in row and row[column] not in choices:
                raise row.error(
                    column, f"unknown {column} {row[column]!r} ({one_of(row[column], choices)})"
                )
    return rows


def _periods(directory: Path, name: str, other_key: str) -> tuple[Dated, ...]:
    """The intervals of a dated table, refused where two of a state and partner overlap.

    A run applies each row's start and end as it reaches them, while its starting state reads
    the rows holding on the start date: with overlaps the two would disagree.
    """
    out: list[Dated] = []
    seen: dict[tuple[str, str], list[tuple[Dated, int]]] = {}
    for row in _rows(directory, name):
        start, end = ("joined", "left") if "joined" in row else ("from", "to")
        strength = row.number("strength") if "strength" in row else 1.0
        new = Dated(
            state=row["state"],
            other=row[other_key],
            start=row.date(start),
            end=row.date(end) if row[end].strip() else None,
            strength=strength,
            source=row["source"],
        )
        for old, line in seen.get((new.state, new.other), []):
            if old.overlaps(new):
                reason = (
                    f"{new.state} and {new.other} already have a row on line {line} for part of "
                    "this period (expected periods that do not overlap: a combined link is one row)"
                )
                raise row.error(start, reason)
        seen.setdefault((new.state, new.other), []).append((new, row.line))
        out.append(new)
    return tuple(out)


def _check_cast(directory: Path) -> None:
    """Refuse a folder whose default powers or organisations are not the ones in use.

    They are read once, when the package is imported (:mod:`influence_sim.cast`), so a folder
    given later with other rows would be read with the wrong actors, or its rows ignored.
    """
    tables = (
        ("powers.csv", cast.power_rows, cast.POWERS),
        ("organisations.csv", cast.organisation_rows, cast.ORGANISATIONS),
    )
    for name, read, loaded in tables:
        rows = [dataclasses.replace(r, source="") for r in read(directory)]
        if rows != [dataclasses.replace(r, source="") for r in loaded]:
            reason = (
                f"its rows differ from the {name[:-4]} in use (read when the package "
                "started); set INFLUENCE_SIM_SEEDS to this folder before starting"
            )
            raise InputFileError(str(directory / name), reason, "table")


@functools.cache
def _load(directory: Path) -> SeedData:
    _check_cast(directory)
    figures = {
        r["id"]: Figure(r["id"], r.number("value"), r["unit"], r["period"], r["source"], r["note"])
        for r in _rows(directory, "figures.csv")
    }
    assumptions = {
        r["id"]: Assumption(r["id"], r["value"], r["unit"], r["applies_to"], r["reason"])
        for r in _rows(directory, "assumptions.csv")
    }
    capability = {
        (r["actor"], r.whole("year")): r.number("cinc") for r in _rows(directory, "capability.csv")
    }
    border = {r["state"]: r.number("afghan_border_km") for r in _rows(directory, "geography.csv")}
    events = tuple(
        sorted(
            (
                Event(r.date("date"), r["id"], r["event"], r["source"])
                for r in _rows(directory, "events.csv")
            ),
            key=lambda e: e.date,
        )
    )
    memberships = _periods(directory, "memberships.csv", "organisation")
    presence = _periods(directory, "presence.csv", "power")
    ties = tuple(
        (r["organisation"], r["power"], r["domain"], r.number("weight"))
        for r in _rows(directory, "ties.csv")
    )
    infrastructure = _periods(directory, "infrastructure.csv", "power")
    estimates = {
        r["id"]: Estimate(r["id"], r.number("value"), r["unit"], r["method"])
        for r in _rows(directory, "estimates.csv")
    }
    residuals = {
        (r["state"], r["partner"], r["domain"]): r.number("value")
        for r in _rows(directory, "residuals.csv")
    }
    return SeedData(
        directory,
        figures,
        assumptions,
        capability,
        border,
        events,
        memberships,
        presence,
        ties,
        infrastructure,
        estimates,
        residuals,
    )


def load_seeds(directory: str | os.PathLike[str] | None = None) -> SeedData:
    """Read the seed tables (cached per folder).

    Args:
        directory: Folder to read; defaults to :func:`seeds_dir`.

    Returns:
        The parsed tables.
    """
    return _load(Path(directory) if directory is not None else seeds_dir())


# --- derived starting values ------------------------------------------------------------------


def exposure(seeds: SeedData, states: Sequence[str]) -> FloatArray:
    """Exposure of each state to Afghan instability.

    A bordering state's exposure is its border length over ``exposure_border_scale_km``
    (Tajikistan 1, Turkmenistan about 0.59, Uzbekistan about 0.10); a state without a border
    takes its assumed floor ``exposure_floor_<state>``.

    Args:
        seeds: Seed tables.
        states: States in array order.

    Returns:
        ``(S,)`` exposure in [0, 1].
    """
    scale = seeds.assumed("exposure_border_scale_km")
    out = []
    for s in states:
        km = seeds.border_km.get(s, 0.0)
        if km > 0.0:
            out.append(min(km / scale, 1.0))
        else:
            out.append(seeds.assumed(f"exposure_floor_{s}"))
    return np.array(out, dtype=float)


def capacity_trend(seeds: SeedData, power: str, first: int = 2000, last: int = 2016) -> float:
    """Annual log growth of a power's CINC share between two years.

    Equation: ``g = ln(CINC_last / CINC_first) / (last - first)``.

    Args:
        seeds: Seed tables.
        power: Power name.
        first: First year.
        last: Last year.

    Returns:
        Growth per year (China about +0.022, Russia about -0.022, the US about -0.004).
    """
    a = seeds.capability[(power, first)]
    b = seeds.capability[(power, last)]
    return math.log(b / a) / (last - first)


def capability_at(seeds: SeedData, power: str, day: dt.date) -> float:
    """A power's CINC share at a date: the latest year on record not after it (or the first).

    Args:
        seeds: Seed tables.
        power: Power name.
        day: Date.

    Returns:
        CINC share of world capability.
    """
    years = sorted(y for (actor, y) in seeds.capability if actor == power)
    chosen = years[0]
    for y in years:
        if y <= day.year:
            chosen = y
    return seeds.capability[(power, chosen)]


def membership_at(
    seeds: SeedData,
    states: Sequence[str],
    day: dt.date,
    organisations: Sequence[str] = ORGANISATIONS,
) -> FloatArray:
    """Memberships on a date, ``(S, O)`` of 0 and 1."""
    out = np.zeros((len(states), len(organisations)))
    for m in seeds.memberships:
        if m.state in states and m.other in organisations and m.holds_on(day):
            out[list(states).index(m.state), list(organisations).index(m.other)] = 1.0
    return out


def _strength_at(
    intervals: Sequence[Dated], states: Sequence[str], powers: Sequence[str], day: dt.date
) -> FloatArray:
    """``(S, P)`` strengths of the intervals holding on a date (one at most: none overlap)."""
    out = np.zeros((len(states), len(powers)))
    for m in intervals:
        if m.state in states and m.other in powers and m.holds_on(day):
            i, j = list(states).index(m.state), list(powers).index(m.other)
            out[i, j] = m.strength
    return out


def presence_at(
    seeds: SeedData, states: Sequence[str], powers: Sequence[str], day: dt.date
) -> FloatArray:
    """Military presence on a date, ``(S, P)`` with the strengths of presence.csv."""
    return _strength_at(seeds.presence, states, powers, day)


def infrastructure_at(
    seeds: SeedData, states: Sequence[str], powers: Sequence[str], day: dt.date
) -> FloatArray:
    """Pipelines and corridors on a date, ``(S, P)`` with the strengths of infrastructure.csv."""
    return _strength_at(seeds.infrastructure, states, powers, day)


def tie_map(
    seeds: SeedData, powers: Sequence[str], organisations: Sequence[str] = ORGANISATIONS
) -> FloatArray:
    """Tie weights ``(O, K, D)`` binding organisation members to partners (seeds/ties.csv)."""
    partners = [*powers, REST_OF_WORLD]
    out = np.zeros((len(organisations), len(partners), len(DOMAINS)))
    for org, power, domain, weight in seeds.ties:
        if org in organisations and power in partners:
            out[list(organisations).index(org), partners.index(power), DOMAINS.index(domain)] = (
                weight
            )
    return out


def customs_unions(organisations: Sequence[str], directory: Path | None = None) -> FloatArray:
    """``(O,)`` 1.0 for each customs union among ``organisations`` (seeds/organisations.csv).

    Args:
        organisations: The organisations of a run, in array order.
        directory: Seeds folder (default: :func:`seeds_dir`).

    Returns:
        The mask.
    """
    unions = {r.organisation for r in cast.organisation_rows(directory) if r.customs_union}
    return np.array([1.0 if o in unions else 0.0 for o in organisations])


def membership_changes(
    seeds: SeedData, states: Sequence[str], start: dt.date, end: dt.date
) -> list[tuple[dt.date, str, str, float]]:
    """Membership changes strictly after ``start`` and up to ``end``.

    Returns:
        ``(date, state, organisation, new value)`` tuples in date order.
    """
    out: list[tuple[dt.date, str, str, float]] = []
    for m in seeds.memberships:
        if m.state not in states or m.other not in ORGANISATIONS:
            continue
        if start < m.start <= end:
            out.append((m.start, m.state, m.other, 1.0))
        if m.end is not None and start < m.end <= end:
            out.append((m.end, m.state, m.other, 0.0))
    return sorted(out)


def presence_changes(
    seeds: SeedData,
    states: Sequence[str],
    powers: Sequence[str],
    start: dt.date,
    end: dt.date,
    table: str = "presence",
) -> list[tuple[dt.date, str, str, float]]:
    """Presence (or infrastructure) changes strictly after ``start`` and up to ``end``.

    Args:
        seeds: Seed tables.
        states: States of the run.
        powers: Powers of the run.
        start: Start date (changes on it are part of the starting state).
        end: Last date.
        table: ``presence`` or ``infrastructure``.

    Returns:
        ``(date, state, power, new strength)`` tuples in date order.
    """
    out: list[tuple[dt.date, str, str, float]] = []
    intervals = seeds.presence if table == "presence" else seeds.infrastructure
    for m in intervals:
        if m.state not in states or m.other not in powers:
            continue
        if start < m.start <= end:
            out.append((m.start, m.state, m.other, m.strength))
        if m.end is not None and start < m.end <= end:
            out.append((m.end, m.state, m.other, 0.0))
    return sorted(out)
