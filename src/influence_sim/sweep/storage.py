"""The sweep folder: what is written where, atomically, and how a sweep is resumed.

Layout of ``DIR``:

* ``manifest.json``: sweep and scenario files with their hashes, the design, chunking,
  package versions, start and finish times, counts of runs done and failed;
* ``design.parquet``: one row per design point with the varied values;
* ``timeseries/part-NNNNNN.parquet``: the long time series of chunk ``NNNNNN``, written as the
  chunk finishes (together a Parquet dataset);
* ``chunks/runs-NNNNNN.parquet``: the rows of ``runs.parquet`` of each finished chunk; a chunk
  is done once this file exists (it is written after the chunk's time series part);
* ``runs.parquet``: every run, in run order, assembled from ``chunks/`` when the sweep ends
  (``chunks/`` is then removed).

Every file is written under a temporary name ``.NAME.XXXXXXXX.tmp`` in its final folder and
renamed into place, so a crash or a kill of the sweep never leaves half a file under a final
name, and readers (which skip names starting with ``.``) never see one; ``--resume`` and
``--force`` remove such leftovers. ``--resume`` skips the chunks whose ``chunks/`` file exists
and whose time series part matches the row count and SHA-256 recorded in it, and recomputes
the others.

A finished sweep's manifest lists the row count and SHA-256 of ``runs.parquet`` and of every
part (``files``); :func:`influence_sim.sweep.load_sweep` checks them, and ``--resume`` of a
finished sweep whose files do not match recomputes the chunks concerned.

Files are not flushed to the disk one by one (``fsync`` costs more than computing a chunk on
some disks). After a crash of the whole machine a file renamed just before may therefore come
back empty or cut short; the checks above catch it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from influence_sim import _inputs, provenance
from influence_sim._files import find_temporaries, remove_temporaries, replacing
from influence_sim._lock import LOCK_NAME

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
DESIGN = "design.parquet"
TIMESERIES = "timeseries"
CHUNKS = "chunks"
FORMAT_VERSION = 1
COMPRESSION = "zstd"

SWEEP_PACKAGES = ("influence-sim", "numpy", "scipy", "pandas", "pyarrow", "SALib", "mesa", "dask")
"""Distributions whose versions a sweep records and must find again to resume."""

OUR_NAMES = (MANIFEST, RUNS, DESIGN, TIMESERIES, CHUNKS)
"""Everything a sweep writes in its folder (``--force`` removes these and nothing else)."""

PART_KEY = b"influence_sim.part"
"""Key of a ledger file's Parquet metadata holding its part's row count and SHA-256."""

_FINALS = {
    ".": (MANIFEST, RUNS, DESIGN),
    TIMESERIES: ("part-*.parquet",),
    CHUNKS: ("runs-*.parquet",),
}
"""Final names by subfolder, whose temporary files a killed sweep may have left."""


class SweepDamagedError(ValueError):
    """A file of a sweep is missing or differs from what the sweep recorded."""


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, as hex (:func:`influence_sim._inputs.file_sha256`, any size)."""
    return _inputs.file_sha256(path, max_bytes=sys.maxsize)


def file_record(path: Path) -> dict[str, Any]:
    """Row count and SHA-256 of a Parquet file, as stored in the manifest."""
    return {"rows": pq.read_metadata(path).num_rows, "sha256": file_sha256(path)}


def check_file(path: Path, record: dict[str, Any]) -> str | None:
    """What is wrong with a Parquet file against its record, or None if it matches.

    Args:
        path: The file.
        record: ``{"rows": N, "sha256": HEX}``.

    Returns:
        A short reason (``"missing"``, ``"1,000 rows, expected 2,000"``, ...), or None.
    """
    if not path.is_file():
        return "missing"
    try:
        rows = pq.read_metadata(path).num_rows
    except (OSError, pa.ArrowException):
        return "not a readable Parquet file"
    if rows != record.get("rows"):
        return f"{rows:,} rows, expected {record.get('rows'):,}"
    if file_sha256(path) != record.get("sha256"):
        return "its SHA-256 differs from the one recorded"
    return None


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of Python, the package and the libraries a sweep's numbers depend on."""
    return provenance.package_versions(SWEEP_PACKAGES)


def now() -> str:
    """The current time in ISO format, UTC."""
    return dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds")


def dictionary_columns(schema: pa.Schema) -> list[str]:
    """Columns worth dictionary-encoding: text, and the repeated keys of the time series.

    Encoding every column (pyarrow's default) spends time trying on floats that never repeat;
    limiting it to these columns writes about twice as fast and makes smaller files.
    """
    keys = {"run_id", "step", "date"}
    return [
        f.name
        for f in schema
        if f.name in keys or pa.types.is_string(f.type) or pa.types.is_dictionary(f.type)
    ]


def write_parquet(table: pa.Table, path: Path) -> dict[str, Any]:
    """Write a Parquet file atomically; return its row count and SHA-256."""
    with replacing(path) as tmp:
        pq.write_table(
            table,
            tmp,
            compression=COMPRESSION,
            use_dictionary=dictionary_columns(table.schema),
        )
        record = {"rows": table.num_rows, "sha256": file_sha256(tmp)}
    return record


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a JSON file atomically (numbers that are not finite as null)."""
    from influence_sim._files import json_text

    with replacing(path) as tmp:
        tmp.write_text(json_text(data), encoding="utf-8")


def _with_part_record(table: pa.Table, record: dict[str, Any]) -> pa.Table:
    """A ledger table carrying its part's row count and SHA-256 in its metadata."""
    return table.replace_schema_metadata(
        {**(table.schema.metadata or {}), PART_KEY: json.dumps(record).encode()}
    )


def manifest_problem(data: Any) -> str | None:
    """What makes ``data`` no sweep manifest this version reads, or None.

    The fields the readers go through must have their types: ``design`` with its ``factors``
    (each with a ``path``), and, when present, ``keep``, ``clock``, ``design.n_points``,
    ``design.second_order``, ``clock.n_steps``, ``chunk_size`` (1 or more) and each record of
    ``files`` (``rows`` and ``sha256``).
    """
    if not isinstance(data, dict):
        return "expected a JSON object"
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        return f"format {data['format']!r} (this version reads format {FORMAT_VERSION})"
    design = data.get("design")
    objects = {"design": design, "keep": data.get("keep", {}), "clock": data.get("clock", {})}
    objects["files"] = data.get("files") or {}
    for key, value in objects.items():
        if not isinstance(value, dict):
            return f"{key}: expected an object"
    assert isinstance(design, dict)
    factors = design.get("factors")
    if not isinstance(factors, list) or not all(
        isinstance(f, dict) and isinstance(f.get("path"), str) for f in factors
    ):
        return "design.factors: expected a list of objects with a path"
    fields = (
        ("design.n_points", design.get("n_points", 0), int, "a whole number"),
        ("design.second_order", design.get("second_order", False), bool, "true or false"),
        ("clock.n_steps", objects["clock"].get("n_steps", 0), int, "a whole number"),
    )
    for key, value, kind, what in fields:
        if not isinstance(value, kind):
            return f"{key}: expected {what}"
    size = data.get("chunk_size", 1)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        return "chunk_size: expected a whole number of 1 or more"
    for name, record in objects["files"].items():
        if not (
            isinstance(record, dict)
            and isinstance(record.get("rows"), int)
            and isinstance(record.get("sha256"), str)
        ):
            return f"files.{name}: expected an object with rows and sha256"
    return None


def part_name(index: int) -> str:
    """File name of chunk ``index``'s time series part."""
    return f"part-{index:06d}.parquet"


def ledger_name(index: int) -> str:
    """File name of chunk ``index``'s rows of ``runs.parquet``."""
    return f"runs-{index:06d}.parquet"


class SweepFolder:
    """The output folder of one sweep.

    Attributes:
        root: The folder.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        """Point at a folder (nothing is created yet).

        Args:
            root: The output folder.
        """
        self.root = Path(root)

    @property
    def manifest_path(self) -> Path:
        """``DIR/manifest.json``."""
        return self.root / MANIFEST

    def exists_nonempty(self) -> bool:
        """Whether the folder exists and holds anything (besides its lock and temporary files)."""
        if not self.root.is_dir():
            return False
        skip = {LOCK_NAME, *(p.name for p in find_temporaries(self.root, _FINALS["."]))}
        return any(p.name not in skip for p in self.root.iterdir())

    def holds_only_ours(self) -> bool:
        """Whether everything in the folder is a sweep's (so starting over loses nothing else)."""
        strays = find_temporaries(self.root, _FINALS["."])
        skip = {LOCK_NAME, *OUR_NAMES, *(p.name for p in strays)}
        return all(p.name in skip for p in self.root.iterdir())

    def holds_results(self) -> bool:
        """Whether the folder holds a file a sweep finished writing (a design, runs, a chunk)."""
        for sub, finals in _FINALS.items():
            folder = self.root / sub
            if folder.is_dir():
                strays = {p.name for p in find_temporaries(folder, finals)}
                names = [p.name for p in folder.iterdir() if p.is_file()]
                if any(n not in strays and n != LOCK_NAME for n in names):
                    return True
        return False

    def remove_strays(self) -> list[Path]:
        """Remove the temporary files a killed sweep left in the folder, and list them."""
        found = []
        for sub, finals in _FINALS.items():
            found += remove_temporaries(self.root / sub, finals)
        return found

    def clear(self) -> None:
        """Remove every file and folder a sweep writes (other files are left alone)."""
        self.remove_strays()
        for name in OUR_NAMES:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)

    def prepare(self) -> None:
        """Create the folders and remove temporary files a killed sweep left behind."""
        for sub in (self.root, self.root / TIMESERIES, self.root / CHUNKS):
            sub.mkdir(parents=True, exist_ok=True)
        self.remove_strays()

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none.

        Raises:
            SweepDamagedError: If it cannot be read, or is not a manifest this version reads
                (:func:`manifest_problem`).
        """
        path = self.manifest_path
        if not path.is_file():
            return None
        try:
            data = _inputs.read_json_object(path)
        except _inputs.InputFileError as exc:
            raise SweepDamagedError(str(exc)) from None
        problem = manifest_problem(data)
        if problem is not None:
            raise SweepDamagedError(f"{path}: {problem}")
        assert isinstance(data, dict)
        return data

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Write the manifest atomically."""
        write_json(data, self.manifest_path)

    def done_chunks(self, sizes: dict[int, int], series: bool) -> set[int]:
        """Chunks whose files are on disk and match what was recorded when they were written.

        A chunk whose rows file is missing, unreadable or has the wrong number of rows, or
        (when the sweep keeps a time series) whose part is missing or differs from the row
        count and SHA-256 recorded in the rows file, is not done; its files are removed so
        that it is computed again.

        Args:
            sizes: Number of runs of each chunk of the sweep.
            series: Whether the sweep writes a time series part per chunk.

        Returns:
            Indexes of the finished chunks.
        """
        out = set()
        for path in (self.root / CHUNKS).glob("runs-*.parquet"):
            try:
                index = int(path.stem.split("-", 1)[1])
            except ValueError:
                continue
            part = self.root / TIMESERIES / part_name(index)
            try:
                meta = pq.read_metadata(path)
                whole = meta.num_rows == sizes[index]
                if series:
                    record = json.loads((meta.metadata or {})[PART_KEY])
                    whole = whole and check_file(part, record) is None
            except (OSError, KeyError, ValueError, pa.ArrowException):
                whole = False
            if whole:
                out.add(index)
            else:
                path.unlink(missing_ok=True)
                part.unlink(missing_ok=True)
        return out

    def write_chunk(self, index: int, runs: pa.Table, timeseries: pa.Table | None) -> None:
        """Store a finished chunk: its time series part first, then its rows (the marker).

        The rows file records the part's row count and SHA-256 in its Parquet metadata.
        """
        if timeseries is not None:
            record = write_parquet(timeseries, self.root / TIMESERIES / part_name(index))
            runs = _with_part_record(runs, record)
        write_parquet(runs, self.root / CHUNKS / ledger_name(index))

    def part_records(self, n_chunks: int) -> dict[str, dict[str, Any]]:
        """The row count and SHA-256 of every chunk's part, as recorded in the rows files.

        Args:
            n_chunks: Number of chunks.

        Returns:
            ``timeseries/part-NNNNNN.parquet`` to ``{"rows": N, "sha256": HEX}``.
        """
        out = {}
        for index in range(n_chunks):
            meta = pq.read_metadata(self.root / CHUNKS / ledger_name(index)).metadata or {}
            out[f"{TIMESERIES}/{part_name(index)}"] = json.loads(meta[PART_KEY])
        return out

    def damaged(self, records: dict[str, dict[str, Any]]) -> dict[str, str]:
        """The recorded files that are missing or differ from their records, with the reason.

        Args:
            records: Path relative to the folder to ``{"rows": N, "sha256": HEX}``.

        Returns:
            Relative path to what is wrong, for the files that do not match.
        """
        out = {}
        for name, record in records.items():
            problem = check_file(self.root / name, record)
            if problem is not None:
                out[name] = problem
        return out

    def reopen(
        self, records: dict[str, dict[str, Any]], damaged: dict[str, str], sizes: list[int]
    ) -> int:
        """Turn a finished sweep whose files do not all match back into a resumable one.

        The rows of ``runs.parquet``, if it matches its record, go back into ``chunks/`` (with
        their parts' records); a chunk whose part does not match loses its rows, so that it is
        computed again. ``runs.parquet`` is removed.

        Args:
            records: The finished sweep's ``files`` (see :meth:`damaged`).
            damaged: What :meth:`damaged` found wrong with them.
            sizes: Number of runs of each chunk, in order.

        Returns:
            Number of chunks that must be computed again.
        """
        (self.root / CHUNKS).mkdir(exist_ok=True)
        redo = len(sizes)
        if RUNS not in damaged and RUNS in records:
            table = pq.read_table(self.root / RUNS)
            start = 0
            redo = 0
            for index, size in enumerate(sizes):
                name = f"{TIMESERIES}/{part_name(index)}"
                rows = table.slice(start, size)
                start += size
                if name in damaged:
                    redo += 1
                    continue
                if name in records:
                    rows = _with_part_record(rows, records[name])
                write_parquet(rows, self.root / CHUNKS / ledger_name(index))
        (self.root / RUNS).unlink(missing_ok=True)
        return redo

    def write_design(self, table: pa.Table) -> None:
        """Write ``design.parquet``."""
        write_parquet(table, self.root / DESIGN)

    def finish_runs(self, n_chunks: int, schema: pa.Schema) -> dict[str, Any]:
        """Assemble ``runs.parquet`` from the chunk files, in order, one chunk at a time.

        Args:
            n_chunks: Number of chunks.
            schema: Schema of the rows.

        Returns:
            Row count and SHA-256 of ``runs.parquet``.
        """
        target = self.root / RUNS
        with (
            replacing(target) as tmp,
            pq.ParquetWriter(
                tmp, schema, compression=COMPRESSION, use_dictionary=dictionary_columns(schema)
            ) as writer,
        ):
            for index in range(n_chunks):
                table = pq.read_table(self.root / CHUNKS / ledger_name(index), schema=schema)
                writer.write_table(table)
        return file_record(target)

    def drop_ledger(self) -> None:
        """Remove ``chunks/`` once ``runs.parquet`` holds every row."""
        shutil.rmtree(self.root / CHUNKS, ignore_errors=True)
