"""The default actors of a run and the organisations, read from the seeds folder.

The default actors are the powers of ``seeds/powers.csv`` and the five states.

A default power is a row of ``seeds/powers.csv`` (its name, the country-panel series of a
state's trade with it and of its share of a state's arms imports, and the source of the
choice); an organisation is a row of ``seeds/organisations.csv`` (its name, whether it is a
customs union, and the source). Adding a default power or an organisation is a change of data
only. The tables are read from :func:`seeds_dir` when the package is imported; a seeds folder
without them (an older copy) falls back on the package's own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from influence_sim._inputs import TableRow, read_table

_SHIPPED = Path(__file__).resolve().parent / "seeds"


def seeds_dir() -> Path:
    """Return the folder the seed tables are read from.

    ``INFLUENCE_SIM_SEEDS`` overrides the default, the ``seeds`` folder shipped with the package
    (in a source checkout, a link to the repository's ``seeds/``).
    """
    override = os.environ.get("INFLUENCE_SIM_SEEDS")
    if override:
        return Path(override)
    return _SHIPPED


@dataclass(frozen=True)
class PowerRow:
    """A default power.

    Attributes:
        power: Name, as in paths and outputs (``united_states``).
        trade_series: Country-panel series of a state's trade with it (empty: none recorded).
        arms_series: Country-panel series of its share of a state's arms imports (empty: none).
        source: Why the power is among the default actors, and where its series come from.
    """

    power: str
    trade_series: str
    arms_series: str
    source: str


@dataclass(frozen=True)
class OrganisationRow:
    """An organisation whose membership binds states to powers.

    Attributes:
        organisation: Name, as in paths (``eaeu``).
        customs_union: Whether its members' trade is diverted through it under sanctions on a
            power (mechanism d, ``diversion_weight``).
        source: Source or assumption.
    """

    organisation: str
    customs_union: bool
    source: str


def _table(directory: Path, name: str, columns: tuple[str, ...]) -> list[TableRow]:
    path = directory / name
    if not path.exists():
        path = _SHIPPED / name
    return read_table(path, columns, columns[:1])


def power_rows(directory: Path | None = None) -> tuple[PowerRow, ...]:
    """The default powers of a seeds folder (``powers.csv``), in array order.

    Args:
        directory: The seeds folder; default :func:`seeds_dir`.

    Returns:
        One row per power.
    """
    columns = ("power", "trade_series", "arms_series", "source")
    rows = _table(directory or seeds_dir(), "powers.csv", columns)
    return tuple(
        PowerRow(r["power"], r["trade_series"], r["arms_series"], r["source"]) for r in rows
    )


def organisation_rows(directory: Path | None = None) -> tuple[OrganisationRow, ...]:
    """The organisations of a seeds folder (``organisations.csv``), in array order.

    Args:
        directory: The seeds folder; default :func:`seeds_dir`.

    Returns:
        One row per organisation.
    """
    columns = ("organisation", "customs_union", "source")
    rows = _table(directory or seeds_dir(), "organisations.csv", columns)
    return tuple(
        OrganisationRow(r["organisation"], _flag(r, "customs_union"), r["source"]) for r in rows
    )


def _flag(row: TableRow, column: str) -> bool:
    """A cell of 1 (True) or 0 (False)."""
    text = row[column].strip()
    if text not in ("0", "1"):
        raise row.error(column, f"{text!r} is not 0 or 1 (expected 1 for yes, 0 for no)")
    return text == "1"


DYAD: tuple[str, str] = ("china", "russia")
"""China and Russia: the one relation between powers the model has (coordination and trust,
``docs/ODD.md``), whose division of labour (China leads in trade, Russia in security) is the
article's question. Tables, summaries and options that follow the pair, beside the powers of
a run, take its names from here."""

POWERS: tuple[PowerRow, ...] = power_rows()
"""The default powers, read at import."""

ORGANISATIONS: tuple[OrganisationRow, ...] = organisation_rows()
"""The organisations, read at import."""

__all__ = [
    "DYAD",
    "ORGANISATIONS",
    "POWERS",
    "OrganisationRow",
    "PowerRow",
    "organisation_rows",
    "power_rows",
    "seeds_dir",
]
