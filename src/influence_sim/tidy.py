"""Column names of the tidy tables, and reading tables written under an older name.

The tidy (long) tables the package writes and returns (a run's ``timeseries.csv`` and
``regional.csv``, ``bands.csv``, a sweep's ``timeseries/`` parts, the comparison and
attribution tables) label the partner axis, whom a state trades with or buys arms from (every
power, then ``rest_of_world``), :data:`PARTNER`. Files written before the rename label it
``power`` (:data:`OLD_PARTNER`). For one release:

* :func:`upgrade_frame`, :func:`read_csv` and :func:`read_dataset` rename the old column on
  read, so result folders written before the rename still load; written files hold the new
  name only;
* :func:`partner_keyword` lets a query function that takes ``partner=`` take the old keyword
  ``power=`` too, with a :class:`DeprecationWarning`.

A table whose ``power`` column holds great powers only (a run's ``powers.csv``) is not a
partner table and is read as it is.
"""

from __future__ import annotations

import functools
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

PARTNER = "partner"
"""The partner column of the tidy tables."""

OLD_PARTNER = "power"
"""The partner column's name before the rename; read for one release."""

RENAMED: dict[str, str] = {OLD_PARTNER: PARTNER}
"""Old column name to new, for the partner tables."""


def old_columns(names: Sequence[str]) -> dict[str, str]:
    """The renames a partner table with these column names needs (old name to new).

    A column is renamed only when the new name is not present too.
    """
    present = set(names)
    return {old: new for old, new in RENAMED.items() if old in present and new not in present}


def upgrade_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A partner table with its old column names renamed (the frame itself if none are old).

    Args:
        frame: A tidy table read from a file, possibly written before the rename.

    Returns:
        The table with a ``partner`` column where it had ``power``.
    """
    renames = old_columns([str(c) for c in frame.columns])
    return frame.rename(columns=renames) if renames else frame


def read_csv(path: str | os.PathLike[str], **kwargs: Any) -> pd.DataFrame:
    """Read a partner table from a CSV file, renaming its old columns.

    Args:
        path: The file.
        **kwargs: Passed to :func:`pandas.read_csv`.

    Returns:
        The table (see :func:`upgrade_frame`).
    """
    return upgrade_frame(pd.read_csv(path, **kwargs))


def read_dataset(
    dataset: Any,
    where: Mapping[str, Sequence[Any]] | None = None,
    columns: Sequence[str] | None = None,
) -> Any:
    """Read a partner table from a :mod:`pyarrow.dataset`, renaming its old columns.

    Filters and columns are given under the new names and pushed down to the Parquet reader
    under the names each part was written with, so a dataset written before the rename, or
    one whose older parts have the old name, reads as one table with the new names.

    Args:
        dataset: A ``pyarrow.dataset.Dataset`` of Parquet files.
        where: Column to the values to keep (rows with any other value are left out).
        columns: Columns to read (all by default).

    Returns:
        A ``pyarrow.Table`` with the new column names.
    """
    import pyarrow as pa
    import pyarrow.dataset as ds

    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for fragment in dataset.get_fragments():
        renames = old_columns(fragment.physical_schema.names)
        groups.setdefault(tuple(sorted(renames.items())), []).append(fragment.path)
    if len(groups) <= 1 and not next(iter(groups), ()):
        return _read(dataset, where, columns, {})
    tables = []
    for key, paths in groups.items():
        part = ds.dataset(paths, format="parquet", filesystem=dataset.filesystem)
        tables.append(_read(part, where, columns, dict(key)))
    return pa.concat_tables(tables, promote_options="permissive")


def _read(
    dataset: Any,
    where: Mapping[str, Sequence[Any]] | None,
    columns: Sequence[str] | None,
    renames: Mapping[str, str],
) -> Any:
    """Read one dataset whose parts share their names; ``renames`` maps stored to new."""
    import pyarrow.dataset as ds

    stored = {new: old for old, new in renames.items()}
    condition = None
    for name, values in (where or {}).items():
        term = ds.field(stored.get(name, name)).isin(list(values))
        condition = term if condition is None else condition & term
    wanted = None if columns is None else [stored.get(c, c) for c in columns]
    table = dataset.to_table(columns=wanted, filter=condition)
    if renames:
        table = table.rename_columns([renames.get(n, n) for n in table.column_names])
    return table


def partner_keyword[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Let a function that takes ``partner=`` take the old keyword ``power=`` for one release.

    A call with ``power=`` warns with a :class:`DeprecationWarning` and passes the value on as
    ``partner=``; a call with both is a :class:`TypeError`.

    Args:
        func: A function or method with a ``partner`` parameter.

    Returns:
        The wrapped function.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if OLD_PARTNER in kwargs:
            name = getattr(func, "__qualname__", "the function")
            if PARTNER in kwargs:
                raise TypeError(f"{name}() takes partner= or power=, not both")
            warnings.warn(
                f"{name}(power=...) is now {name}(partner=...); "
                "the old keyword goes in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs[PARTNER] = kwargs.pop(OLD_PARTNER)
        return func(*args, **kwargs)

    return wrapper


__all__ = [
    "OLD_PARTNER",
    "PARTNER",
    "RENAMED",
    "old_columns",
    "partner_keyword",
    "read_csv",
    "read_dataset",
    "upgrade_frame",
]
