"""Reading input files safely: the one place where files a user names are opened and read.

Scenario files and the files they extend, sweep files, calibration targets, priors and
posterior files are all read through :func:`read_bytes` (or :func:`read_text`), which

* opens the path without blocking (``O_NONBLOCK``), then checks the opened file with
  ``fstat``: only a regular file is read, so a FIFO, a device such as ``/dev/zero``, a
  socket or a directory is refused at once instead of hanging the command or filling the
  memory, and a path swapped between a check and the read cannot slip through;
* reads at most a size limit (:data:`DEFAULT_MAX_BYTES` unless the caller gives another),
  so a huge file is refused instead of read whole;
* reports a missing file, a symbolic-link loop, a permission problem, a special file or a
  file that is too large as one line naming the file.

:func:`decode_text` turns the bytes into text: strict UTF-8, with a leading byte-order mark
(what spreadsheet programs write) dropped; UTF-16 or UTF-32 files, files with NUL bytes
and bytes that are not UTF-8 (Latin-1, ...) are refused with the line and column of the
first bad byte. :func:`read_csv_rows` reads a CSV file that way and refuses a cell longer
than the ``csv`` module's field limit with its line instead of failing half-way.
:func:`file_sha256` hashes a file read the same way.

Every problem is an :class:`InputFileError`; callers turn it into their own error type.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import stat
from collections.abc import Iterator
from typing import Final, Literal

__all__ = [
    "DEFAULT_MAX_BYTES",
    "InputFileError",
    "decode_text",
    "file_sha256",
    "not_regular_reason",
    "read_bytes",
    "read_csv_rows",
    "read_text",
    "shown_name",
]

DEFAULT_MAX_BYTES: Final = 50_000_000
"""Largest input file read when the caller gives no limit, in bytes."""

Kind = Literal[
    "missing", "directory", "special", "permission", "too_large", "os", "encoding", "csv"
]

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
            ``encoding`` (the bytes are not UTF-8 text) or ``csv`` (not readable as CSV).
        line: Line of the problem (``encoding`` and ``csv`` only), from 1.
        column: Column of the first bad byte (``encoding`` only), from 1.
    """

    def __init__(
        self,
        file: str,
        reason: str,
        kind: Kind,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.reason = reason
        self.kind: Kind = kind
        self.line = line
        self.column = column
        where = file if line is None else f"{file}:{line}"
        where += "" if column is None else f":{column}"
        super().__init__(f"{where}: {reason}")


def shown_name(path: object) -> str:
    """Name a path the way the user gave it (never made absolute), for messages.

    Args:
        path: Whatever was passed as a path.

    Returns:
        The path as text, or the ``repr`` of something that is not a path.
    """
    try:
        return os.fsdecode(os.fspath(path))  # type: ignore[call-overload]
    except Exception:
        return repr(path)


def _open_error(file: str, exc: OSError) -> InputFileError:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return InputFileError(file, "file not found", "missing")
    if exc.errno == errno.ELOOP:
        return InputFileError(file, "symbolic link loop: the path never reaches a file", "special")
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputFileError(file, "permission denied: cannot read this file", "permission")
    if exc.errno == errno.EISDIR:
        return InputFileError(file, "this is a directory, not a file", "directory")
    if exc.errno == errno.ENAMETOOLONG:
        return InputFileError(file, "file name too long", "os")
    return InputFileError(file, f"cannot open file: {exc.strerror or exc}", "os")


def not_regular_reason(mode: int) -> tuple[str, Kind] | None:
    """Why a file of this ``st_mode`` is refused, or None for a regular file.

    Args:
        mode: ``st_mode`` of a ``stat`` result.

    Returns:
        The reason and its kind, or None.
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "this is a directory, not a file", "directory"
    what = next((name for test, name in _SPECIAL if test(mode)), "a special file")
    return f"not a regular file: this is {what}", "special"


def read_bytes(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> bytes:
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


def _chunks(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes], max_bytes: int
) -> Iterator[bytes]:
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
        raise _open_error(file, exc) from None
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
            raise InputFileError(file, "this is a directory, not a file", "directory") from None
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


def read_text(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """Read a regular file as UTF-8 text (see :func:`read_bytes` and :func:`decode_text`).

    Args:
        path: The file, as the user named it.
        max_bytes: Largest size accepted, in bytes.

    Returns:
        The text, without a leading byte-order mark.

    Raises:
        InputFileError: If the file cannot be read or is not UTF-8 text.
    """
    return decode_text(read_bytes(path, max_bytes=max_bytes), shown_name(path))


def file_sha256(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> str:
    """SHA-256 of a regular file's bytes, as hex, read as :func:`read_bytes` does.

    The one hash of a file in the package: scenario and sweep files, the inputs a sweep
    reads and the Parquet files it writes (their check passes ``max_bytes=sys.maxsize``).
    The file is read in blocks, never whole.

    Raises:
        InputFileError: If the file cannot be read.
    """
    digest = hashlib.sha256()
    for chunk in _chunks(path, max_bytes):
        digest.update(chunk)
    return digest.hexdigest()


def read_csv_rows(
    path: str | bytes | os.PathLike[str] | os.PathLike[bytes],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[list[str]]:
    """Read a CSV file (UTF-8, a byte-order mark allowed) as rows of cells.

    Args:
        path: The file, as the user named it.
        max_bytes: Largest size accepted, in bytes.

    Returns:
        The rows, header included.

    Raises:
        InputFileError: If the file cannot be read, is not UTF-8 text or is not valid CSV
            (a cell longer than the field limit, ...), with the line where that applies.
    """
    text = read_text(path, max_bytes=max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    try:
        for row in reader:
            rows.append(row)
    except csv.Error as exc:
        line = reader.line_num or 1
        reason = str(exc)
        if "field larger than field limit" in reason:
            reason = f"a cell is longer than {csv.field_size_limit():,} characters"
        raise InputFileError(shown_name(path), f"not valid CSV: {reason}", "csv", line) from None
    return rows
