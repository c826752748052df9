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

Every file is written under a temporary name starting with ``.`` in its final folder and
renamed into place, so a crash or a kill of the sweep never leaves half a file under a final
name, and readers (which skip names starting with ``.``) never see one. ``--resume`` skips the
chunks whose ``chunks/`` file exists and recomputes nothing else.

Files are not flushed to the disk one by one (``fsync`` costs more than computing a chunk on
some disks). After a crash of the whole machine a file renamed just before may therefore come
back empty or cut short; resuming checks that every finished chunk's files can be read and
recomputes the chunks whose files cannot.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import shutil
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from influence_sim._files import replacing

MANIFEST = "manifest.json"
RUNS = "runs.parquet"
DESIGN = "design.parquet"
TIMESERIES = "timeseries"
CHUNKS = "chunks"
FORMAT_VERSION = 1
COMPRESSION = "zstd"

OUR_NAMES = (MANIFEST, RUNS, DESIGN, TIMESERIES, CHUNKS)
"""Everything a sweep writes in its folder (``--force`` removes these and nothing else)."""


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of Python, the package and the libraries a sweep's numbers depend on."""
    out = {"python": platform.python_version()}
    names = ("influence-sim", "numpy", "scipy", "pandas", "pyarrow", "SALib", "mesa", "dask")
    for name in names:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


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


def write_parquet(table: pa.Table, path: Path) -> None:
    """Write a Parquet file atomically."""
    with replacing(path) as tmp:
        pq.write_table(
            table,
            tmp,
            compression=COMPRESSION,
            use_dictionary=dictionary_columns(table.schema),
        )


def write_json(data: dict[str, Any], path: Path) -> None:
    """Write a JSON file atomically (numbers that are not finite as null)."""
    from influence_sim._files import json_text

    with replacing(path) as tmp:
        tmp.write_text(json_text(data), encoding="utf-8")


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
        """Whether the folder exists and holds anything."""
        return self.root.is_dir() and any(self.root.iterdir())

    def clear(self) -> None:
        """Remove every file and folder a sweep writes (other files are left alone)."""
        for name in OUR_NAMES:
            path = self.root / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for stray in self.root.glob(".*.tmp"):
            stray.unlink(missing_ok=True)

    def prepare(self) -> None:
        """Create the folders and remove temporary files a killed sweep left behind."""
        for sub in (self.root, self.root / TIMESERIES, self.root / CHUNKS):
            sub.mkdir(parents=True, exist_ok=True)
            for stray in sub.glob(".*.tmp"):
                stray.unlink(missing_ok=True)

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none (or it cannot be read)."""
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Write the manifest atomically."""
        write_json(data, self.manifest_path)

    def done_chunks(self, sizes: dict[int, int], series: bool) -> set[int]:
        """Chunks whose files are on disk and read back whole.

        A chunk whose rows file (or, when the sweep keeps a time series, its part) is missing,
        unreadable or has the wrong number of rows is not done; its files are removed so that
        it is computed again.

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
                whole = pq.read_metadata(path).num_rows == sizes[index]
                if series:
                    pq.read_metadata(part)
            except (OSError, KeyError, pa.ArrowException):
                whole = False
            if whole:
                out.add(index)
            else:
                path.unlink(missing_ok=True)
                part.unlink(missing_ok=True)
        return out

    def write_chunk(self, index: int, runs: pa.Table, timeseries: pa.Table | None) -> None:
        """Store a finished chunk: its time series part first, then its rows (the marker)."""
        if timeseries is not None:
            write_parquet(timeseries, self.root / TIMESERIES / part_name(index))
        write_parquet(runs, self.root / CHUNKS / ledger_name(index))

    def write_design(self, table: pa.Table) -> None:
        """Write ``design.parquet``."""
        write_parquet(table, self.root / DESIGN)

    def finish_runs(self, n_chunks: int, schema: pa.Schema) -> int:
        """Assemble ``runs.parquet`` from the chunk files, in order, one chunk at a time.

        Args:
            n_chunks: Number of chunks.
            schema: Schema of the rows.

        Returns:
            Number of rows written.
        """
        rows = 0
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
                rows += table.num_rows
        return rows

    def drop_ledger(self) -> None:
        """Remove ``chunks/`` once ``runs.parquet`` holds every row."""
        shutil.rmtree(self.root / CHUNKS, ignore_errors=True)


def command_line() -> str:
    """The command that started this process."""
    return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv else ""
