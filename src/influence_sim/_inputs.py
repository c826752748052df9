"""Reading input files safely: the one place where files a user names are opened and read.

Every input file (scenarios, sweeps, calibration targets, priors, posteriors, seed tables) is
read by :func:`read_bytes`, which opens the path without blocking and checks the opened file, so
a FIFO, a device such as ``/dev/zero``, a socket or a directory is refused at once instead of
hanging or filling the memory (and a path swapped after a check cannot slip through); it
reads no more than a size limit. :func:`decode_text` accepts strict UTF-8 only, dropping a
leading byte-order mark, and locates the first bad byte. Every problem is one
:class:`InputFileError` naming the file; callers turn it into their own error type.
:func:`read_table` reads a table with a header (the seed tables), checking its columns and rows,
and :class:`TableRow` its cells; :func:`read_json_object` reads the JSON files the commands
write, and :func:`lacks_final_newline` tells a text file cut short inside its last line.
:func:`path_argument` refuses a path argument of the Python API that is no path.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import hashlib
import io
import json
import math
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

__all__ = [
    "CUT_SHORT",
    "DEFAULT_MAX_BYTES",
    "InputFileError",
    "TableRow",
    "decode_text",
    "file_sha256",
    "lacks_final_newline",
    "not_regular_reason",
    "path_argument",
    "read_bytes",
    "read_csv_rows",
    "read_json_object",
    "read_table",
    "read_text",
    "sha256_of",
    "shown_name",
]

DEFAULT_MAX_BYTES: Final = 50_000_000
"""Largest input file read when the caller gives no limit, in bytes."""

Kind = Literal[
    "missing",
    "directory",
    "special",
    "permission",
    "too_large",
    "os",
    "encoding",
    "csv",
    "table",
    "json",
]
PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]  # a path as callers pass it

_DIRECTORY: Final = "this is a directory, not a file"
_PERMISSION: Final = "permission denied: cannot read this file"
# Why a path cannot be opened, by error number.
_OPEN_ERRORS: Final[Mapping[int, tuple[str, Kind]]] = {
    errno.ENOENT: ("file not found", "missing"),
    errno.ENOTDIR: ("file not found", "missing"),
    errno.ELOOP: ("symbolic link loop: the path never reaches a file", "special"),
    errno.EACCES: (_PERMISSION, "permission"),
    errno.EPERM: (_PERMISSION, "permission"),
    errno.EISDIR: (_DIRECTORY, "directory"),
    errno.ENAMETOOLONG: ("file name too long", "os"),
}
_SPECIAL: Final = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class InputFileError(Exception):
    """An input file cannot be used.

    Attributes:
        file: The file as the user named it.
        reason: What is wrong, one line without the file name.
        kind: The sort of problem: ``missing``, ``directory``, ``special`` (not a regular
            file), ``permission``, ``too_large``, ``os`` (another system error) or
            ``encoding`` (the bytes are not UTF-8 text), ``csv`` (not readable as CSV),
            ``table`` (a column, row or cell of a table that cannot be used) or ``json`` (not
            a JSON object).
        line: Line of the problem (``encoding``, ``csv`` and ``table`` only), from 1.
        column: Column of the first bad byte (``encoding`` only), from 1.
    """

    def __init__(
        self, file: str, reason: str, kind: Kind, line: int | None = None, column: int | None = None
    ) -> None:
        self.file = file
        self.reason = reason
        self.kind: Kind = kind
        self.line = line
        self.column = column
        where = file if line is None else f"{file}:{line}"
        where += "" if column is None else f":{column}"
        super().__init__(f"{where}: {reason}")


def path_argument(what: str, value: object, others: str = "") -> Path:
    """``value`` as a Path, refused unless it is text or an ``os.PathLike``.

    For the paths given to the Python API, where ``pathlib`` would say only ``argument should
    be a str or an os.PathLike object``. ``others`` names what else the argument takes, for
    the message (``, True, False or None``).

    Raises:
        TypeError: ``WHAT: expected a path (text or os.PathLike), not int``.
    """
    if isinstance(value, (str, os.PathLike)):
        return Path(value)
    kind = type(value).__name__
    raise TypeError(f"{what}: expected a path (text or os.PathLike){others}, not {kind}")


def shown_name(path: object) -> str:
    """Name a path as the user gave it (never made absolute); ``repr`` of a non-path."""
    try:
        return os.fsdecode(os.fspath(path))  # type: ignore[call-overload]
    except Exception:
        return repr(path)


def not_regular_reason(mode: int) -> tuple[str, Kind] | None:
    """Why a file of this ``st_mode`` is refused (reason and kind), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return _DIRECTORY, "directory"
    what = next((name for test, name in _SPECIAL if test(mode)), "a special file")
    return f"not a regular file: this is {what}", "special"


def read_bytes(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a regular file's bytes, never blocking and never past ``max_bytes``.

    Args:
        path: The file, as the user named it (kept as is in messages).
        max_bytes: Largest size accepted, in bytes.

    Returns:
        The file's content.

    Raises:
        InputFileError: If the file is missing, unreadable, not a regular file or too large.
    """
    return b"".join(_chunks(path, max_bytes))


def _chunks(path: PathArg, max_bytes: int) -> Iterator[bytes]:
    """A regular file's bytes in blocks of at most 1 MiB, checked as :func:`read_bytes` says."""
    file = shown_name(path)
    try:
        fs_path = os.fspath(path)
    except TypeError:
        raise InputFileError(file, "not a file path", "os") from None
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(fs_path, flags)
    except OSError as exc:
        default: tuple[str, Kind] = (f"cannot open file: {exc.strerror or exc}", "os")
        raise InputFileError(file, *_OPEN_ERRORS.get(exc.errno or 0, default)) from None
    except ValueError as exc:  # an embedded NUL character
        raise InputFileError(file, f"cannot open file: {exc}", "os") from None
    try:
        info = os.fstat(fd)
        refused = not_regular_reason(info.st_mode)
        if refused is not None:
            raise InputFileError(file, *refused)
        too_large = f"the limit is {max_bytes:,} bytes"
        if info.st_size > max_bytes:
            raise InputFileError(
                file, f"file is too large ({info.st_size:,} bytes; {too_large})", "too_large"
            )
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(max_bytes + 1 - size, 1 << 20))
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:  # the file grew while it was read
                raise InputFileError(file, f"file is too large ({too_large})", "too_large")
            yield chunk
    except OSError as exc:
        if exc.errno == errno.EISDIR:
            raise InputFileError(file, _DIRECTORY, "directory") from None
        raise InputFileError(file, f"cannot read file: {exc.strerror or exc}", "os") from None
    finally:
        os.close(fd)


def decode_text(raw: bytes, file: str) -> str:
    """Decode a file's bytes as UTF-8 text, without a leading byte-order mark.

    Args:
        raw: The file's bytes.
        file: The file name for messages.

    Returns:
        The text.

    Raises:
        InputFileError: If the bytes are UTF-16 or UTF-32, contain NUL bytes or are not UTF-8
            (with the line and column of the first byte that cannot be decoded).
    """
    if raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise InputFileError(file, "file is encoded as UTF-32", "encoding")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputFileError(file, "file is encoded as UTF-16", "encoding")
    if b"\x00" in raw:
        raise InputFileError(file, "file looks binary: it contains NUL bytes", "encoding")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        column = len(raw[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        message = f"file is not valid UTF-8: byte 0x{raw[exc.start]:02X} cannot be decoded"
        raise InputFileError(file, message, "encoding", line, column) from None
    return text.removeprefix("\ufeff")


def read_text(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Read a regular file as UTF-8 text (see :func:`read_bytes` and :func:`decode_text`).

    Raises:
        InputFileError: If the file cannot be read or is not UTF-8 text.
    """
    return decode_text(read_bytes(path, max_bytes=max_bytes), shown_name(path))


def read_json_object(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Any]:
    """Read a file holding one JSON object (a metadata or manifest file the commands write).

    Raises:
        InputFileError: If the file cannot be read, is not JSON (``cannot be read as JSON
            (...)``) or holds something other than an object (``expected a JSON object``).
    """
    try:
        data = json.loads(read_text(path, max_bytes=max_bytes))
    except ValueError as exc:
        raise InputFileError(shown_name(path), f"cannot be read as JSON ({exc})", "json") from None
    if not isinstance(data, dict):
        raise InputFileError(shown_name(path), "expected a JSON object", "json")
    return data


def file_sha256(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """SHA-256 of a regular file's bytes, as hex, read in blocks as :func:`read_bytes` reads.

    Raises:
        InputFileError: If the file cannot be read.
    """
    return _sha256(_chunks(path, max_bytes))


def sha256_of(data: bytes) -> str:
    """SHA-256 of bytes already read, as hex: what :func:`file_sha256` gives for their file."""
    return _sha256([data])


def _sha256(chunks: Iterable[bytes]) -> str:
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


CUT_SHORT: Final = "the table is incomplete (cut short?): its last line has no newline at its end"
"""What is said, after ``FILE:LINE:``, of a table whose file :func:`lacks_final_newline`."""


def lacks_final_newline(path: PathArg) -> bool:
    """Whether a file's last line has no newline at its end: a text file cut short mid-line.

    Raises:
        OSError: If the file cannot be opened.
    """
    with open(path, "rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def read_csv_rows(path: PathArg, *, max_bytes: int = DEFAULT_MAX_BYTES) -> list[list[str]]:
    """Read a CSV file (UTF-8, a byte-order mark allowed) as rows of cells, header included.

    Raises:
        InputFileError: If the file cannot be read, is not UTF-8 text or is not valid CSV
            (a cell longer than the field limit, ...), with the line where that applies.
    """
    text = read_text(path, max_bytes=max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return list(reader)
    except csv.Error as exc:
        line = reader.line_num or 1
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = f"a cell is longer than {csv.field_size_limit():,} characters"
        raise InputFileError(shown_name(path), f"not valid CSV: {reason}", "csv", line) from None


class TableRow(dict[str, str]):
    """A row of a table :func:`read_table` read: its cells by column, and where it is."""

    def __init__(self, cells: Iterable[tuple[str, str]], file: str, line: int) -> None:
        super().__init__(cells)
        self.file = file
        self.line = line

    def error(self, column: str, reason: str) -> InputFileError:
        """The problem ``reason`` with this row's ``column``, naming the file and line."""
        return InputFileError(self.file, f"{column}: {reason}", "table", self.line)

    def number(self, column: str) -> float:
        """The cell of ``column`` as a finite number (an :class:`InputFileError` if it is not)."""
        text = self[column].strip()
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise self.error(column, f"{text!r} is not a number (expected a finite number)")
        return value

    def whole(self, column: str) -> int:
        """The cell of ``column`` as a whole number (an :class:`InputFileError` if it is not)."""
        try:
            return int(self[column].strip())
        except ValueError:
            raise self.error(column, f"{self[column]!r} is not a whole number") from None

    def date(self, column: str) -> dt.date:
        """The cell of ``column`` as an ISO date (an :class:`InputFileError` if it is not)."""
        try:
            return dt.date.fromisoformat(self[column].strip())
        except ValueError:
            reason = f"{self[column]!r} is not a date (expected an ISO date such as 2019-12-31)"
            raise self.error(column, reason) from None


def read_table(path: PathArg, columns: Sequence[str], key: Sequence[str] = ()) -> list[TableRow]:
    """Read a CSV table whose first row names its columns, as :func:`read_csv_rows` reads it.

    Rows whose cells are all blank are skipped.

    Args:
        path: The file.
        columns: Columns the table must have (it may have others).
        key: Columns whose cells no two rows may share, if any.

    Raises:
        InputFileError: If the file cannot be read, lacks a column, has a row with more or
            fewer cells than columns, or two rows with the same key, naming the line.
    """
    file = shown_name(path)
    rows = read_csv_rows(path)
    header = [c.strip() for c in rows[0]] if rows else []
    missing = [c for c in columns if c not in header]
    if missing:
        reason = f"no column {', '.join(missing)}" if rows else "the file is empty"
        expected = f"expected the columns {', '.join(columns)}"
        raise InputFileError(file, f"{reason} ({expected})", "table", 1)
    out: list[TableRow] = []
    seen: dict[tuple[str, ...], int] = {}
    for line, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            reason = f"{len(cells)} cells (expected {len(header)}, one per column)"
            raise InputFileError(file, reason, "table", line)
        row = TableRow(zip(header, cells, strict=True), file, line)
        cells_of_key = tuple(row[c].strip() for c in key)
        if key and cells_of_key in seen:
            shown = ", ".join(cells_of_key)
            reason = f"{shown!r} is also on line {seen[cells_of_key]} (expected one row each)"
            raise row.error(", ".join(key), reason)
        seen[cells_of_key] = line
        out.append(row)
    return out
