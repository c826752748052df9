"""One side of a comparison: the tidy tables of a set of runs, wherever they came from.

A :class:`RunSet` holds the four tables the analysis needs (per-state shares, regional shares,
per-state series with the security guarantor, and the China-Russia relation) with one
``replicate`` column numbering the runs, plus the seed of every run when it is known, which is
what pairing needs. It is built from

* a :class:`influence_sim.results.Results` (an in-memory run),
* a run folder written by ``influence-sim run`` or :meth:`Results.save` (its CSV files and
  ``metadata.json``),
* a sweep folder (each run of the sweep is one unit; sweep runs are never paired).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from influence_sim import tidy
from influence_sim._inputs import CUT_SHORT, lacks_final_newline
from influence_sim.results import read_metadata

if TYPE_CHECKING:
    from influence_sim.results import Results

SourceKind = Literal["scenario", "results", "run", "sweep"]

RUN_FILES: tuple[str, ...] = (
    "timeseries.csv",
    "regional.csv",
    "states.csv",
    "relations.csv",
    "metadata.json",
)
"""Files a run folder must hold to be compared."""

RUN_COLUMNS: dict[str, tuple[str, ...]] = {
    "timeseries": ("replicate", "step", "date", "state", "partner", "domain", "share"),
    "regional": ("replicate", "step", "date", "partner", "domain", "share"),
    "states": ("replicate", "step", "date", "state", "security_guarantor"),
    "relations": ("replicate", "step", "date", "trust"),
}
"""Columns the comparison reads from each table of a run folder (``STEM.csv``)."""

SCENARIO_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")


class SourceError(ValueError):
    """An input that cannot be compared; the message says what was expected."""


@dataclass
class RunSet:
    """The runs of one side of a comparison, as tidy tables.

    Attributes:
        name: Label of the side (the scenario name unless given).
        kind: Where the runs came from: ``scenario`` (run on the spot), ``results``
            (in memory), ``run`` (a run folder) or ``sweep`` (a sweep folder).
        timeseries: replicate, step, date, state, partner, domain, share, volume_usd_bn.
        regional: replicate, step, date, partner, domain, share, volume_usd_bn.
        states: replicate, step, date, state, security_guarantor (and more columns).
        relations: replicate, step, date, trust.
        seeds: Seed record (entropy and spawn key) of each replicate, in replicate order, or
            None when unknown. Sides are paired only when their records agree.
        source: The path or object description it was read from.
        notes: Remarks on how it was read (shown to the user).
        root_seed: Root seed the replicates were spawned from, when known.
        metrics: Headline metrics computed beforehand (sweeps keep them per run), or None to
            compute them from the tables.
    """

    name: str
    kind: SourceKind
    timeseries: pd.DataFrame
    regional: pd.DataFrame
    states: pd.DataFrame
    relations: pd.DataFrame
    seeds: list[dict[str, Any]] | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    root_seed: int | None = None
    metrics: pd.DataFrame | None = None

    @property
    def replicates(self) -> list[int]:
        """Replicate numbers present, sorted."""
        frame = self.metrics if self.metrics is not None else self.regional
        return sorted(int(r) for r in frame["replicate"].unique())

    @property
    def n_replicates(self) -> int:
        """Number of replicates (runs)."""
        return len(self.replicates)

    @property
    def powers(self) -> list[str]:
        """Partners in the runs (powers, then rest of world), in the order they appear."""
        frame = self.regional if len(self.regional) or self.metrics is None else self.metrics
        return [str(p) for p in dict.fromkeys(frame["partner"]) if p]

    @property
    def state_names(self) -> list[str]:
        """Central Asian states in the runs, in the order they appear."""
        return [str(s) for s in dict.fromkeys(self.timeseries["state"])]

    @property
    def pairable(self) -> bool:
        """Whether the side can be paired at all (it knows its seeds and is not a sweep)."""
        return self.kind != "sweep" and self.seeds is not None


def seed_records(seeds: Sequence[Any]) -> list[dict[str, Any]]:
    """Seed records of a sequence of ``numpy.random.SeedSequence`` (JSON-ready)."""
    from influence_sim.results import seed_record

    return [seed_record(s) for s in seeds]


def from_results(results: Results, name: str | None = None, kind: SourceKind = "results") -> RunSet:
    """The run set of an in-memory run.

    Args:
        results: Results of :func:`influence_sim.run`.
        name: Label; defaults to the scenario name.
        kind: ``results``, or ``scenario`` when the run was made for the comparison.

    Returns:
        The run set (tables shared with ``results``, not copied).
    """
    return RunSet(
        name=name or results.name,
        kind=kind,
        timeseries=results.timeseries,
        regional=results.regional,
        states=results.states,
        relations=results.relations,
        seeds=seed_records(results.replicate_seeds),
        source=str(results.metadata.get("scenario_path") or results.name),
        root_seed=results.seed,
    )


def classify(path: str | os.PathLike[str]) -> SourceKind:
    """Tell what a path holds: a scenario file, a run folder or a sweep folder.

    Args:
        path: The path given by the user.

    Returns:
        ``scenario``, ``run`` or ``sweep``.

    Raises:
        SourceError: If the path does not exist or holds none of these.
    """
    p = Path(path)
    if not p.exists():
        raise SourceError(
            f"{path}: no such file or folder (expected a scenario file, a run "
            "folder or a sweep folder)"
        )
    if p.is_file():
        if p.suffix.lower() in SCENARIO_SUFFIXES:
            return "scenario"
        raise SourceError(
            f"{path}: not a scenario file (expected a .yaml file, a run folder or a sweep folder)"
        )
    if (p / "metadata.json").is_file() and (p / "timeseries.csv").is_file():
        return "run"
    if _looks_like_sweep(p):
        return "sweep"
    raise SourceError(
        f"{path}: folder is neither a run folder (with timeseries.csv and "
        "metadata.json) nor a sweep folder (with a sweep manifest)"
    )


def _looks_like_sweep(folder: Path) -> bool:
    return any((folder / name).is_file() for name in ("manifest.json", "sweep.json"))


def from_run_folder(path: str | os.PathLike[str], name: str | None = None) -> RunSet:
    """Read a run folder written by ``influence-sim run``.

    Args:
        path: The folder.
        name: Label; defaults to the scenario name in ``metadata.json``.

    Returns:
        The run set.

    Raises:
        SourceError: If a file is missing, unreadable or cut short, or ``metadata.json`` lacks
            a field every run folder has (see :func:`influence_sim.results.read_metadata`).
    """
    folder = Path(path)
    missing = [f for f in RUN_FILES if not (folder / f).is_file()]
    if missing:
        raise SourceError(f"{path}: not a complete run folder: missing {', '.join(missing)}")
    try:
        meta = read_metadata(folder / "metadata.json")
    except ValueError as exc:
        raise SourceError(str(exc)) from None
    tables = {}
    cut = set()
    try:
        for stem in RUN_COLUMNS:
            file = folder / f"{stem}.csv"
            tables[stem] = tidy.read_csv(file)
            if lacks_final_newline(file):
                cut.add(stem)
    except (OSError, ValueError) as exc:
        raise SourceError(f"{file}: cannot be read ({exc})") from None
    for stem, table in tables.items():
        file = folder / f"{stem}.csv"
        _check_table(file, table, RUN_COLUMNS[stem], meta["replicates"])
        if stem in cut:
            raise SourceError(f"{file}:{len(table) + 1}: {CUT_SHORT}")
    return RunSet(
        name=name or meta["scenario_name"] or folder.name,
        kind="run",
        timeseries=tables["timeseries"],
        regional=tables["regional"],
        states=tables["states"],
        relations=tables["relations"],
        seeds=meta["replicate_seeds"],
        source=str(path),
        root_seed=meta["seed"],
    )


def _check_table(file: Path, table: pd.DataFrame, columns: tuple[str, ...], n: int) -> None:
    """Refuse a table without the columns asked for, or whose replicates are not all whole.

    Every replicate has as many rows as the others, and there are ``n`` of them (the number
    ``metadata.json`` records); a file cut short has fewer.
    """
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SourceError(
            f"{file}: no {'column' if len(missing) == 1 else 'columns'} {', '.join(missing)} "
            "(expected a table written by 'influence-sim run')"
        )
    rows = table.groupby("replicate").size()
    if rows.nunique() > 1 or len(rows) != n:
        raise SourceError(
            f"{file}: the table is incomplete (cut short?): rows of {len(rows)} of "
            f"{n} replicates, from {rows.min():,} to {rows.max():,} rows each"
        )


__all__ = [
    "RUN_COLUMNS",
    "RUN_FILES",
    "RunSet",
    "SourceError",
    "SourceKind",
    "classify",
    "from_results",
    "from_run_folder",
    "seed_records",
]
