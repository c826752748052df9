"""Atomic file writes: a temporary name beside the target, renamed into place.

A crash or an interrupt never leaves half a file under the final name: readers see the old
file or the whole new one. Temporary names follow one pattern, ``.NAME.XXXXXXXX.tmp``
(:data:`TEMP_SUFFIX`), so that what a killed writer left behind is recognised and removed by
:func:`remove_temporaries`. :func:`output_folder` checks the folder a ``save`` method writes
into, and :func:`remove_earlier_files` removes the files an earlier save into it listed that a
new one does not write.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from influence_sim._inputs import InputFileError, path_argument, read_json_object

TEMP_SUFFIX = ".tmp"
"""Every temporary file of :func:`replacing` is named ``.NAME.XXXXXXXX.tmp``."""


def is_temporary(name: str) -> bool:
    """Whether a file name is that of a temporary file of :func:`replacing`."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


def find_temporaries(folder: Path, finals: tuple[str, ...] = ()) -> list[Path]:
    """The temporary files a killed writer left in ``folder`` (not in subfolders).

    Args:
        folder: The folder (none are found if it does not exist).
        finals: Glob patterns of final names (``"part-*.parquet"``) whose older temporary
            names, ``.FINAL.XXXXXXXX`` without the suffix, count too.

    Returns:
        The files, in name order.
    """
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.name.startswith(".")
        and (is_temporary(path.name) or any(path.match(f".{final}.*") for final in finals))
        and not path.is_dir()
    )


def remove_temporaries(folder: Path, finals: tuple[str, ...] = ()) -> list[Path]:
    """Remove the files :func:`find_temporaries` finds and return them."""
    found = find_temporaries(folder, finals)
    for path in found:
        path.unlink(missing_ok=True)
    return found


@contextlib.contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    Args:
        path: Final path.

    Yields:
        The temporary path to write to (removed if the block fails).
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        permit(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def output_folder(what: str, directory: object) -> Path:
    """The folder a ``save`` method writes into, created if missing.

    Raises:
        TypeError: If ``directory`` is not a path (the message names ``what``).
        FileExistsError: ``PATH: output path exists and is not a folder (...)``, one line.
    """
    out = path_argument(what, directory)
    if out.exists() and not out.is_dir():
        raise FileExistsError(
            f"{out}: output path exists and is not a folder (expected a folder for results)"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def saver_record(
    fields: Mapping[str, type], own_file: Callable[[str], object]
) -> Callable[[dict[str, Any]], bool]:
    """A test that a JSON record is one a saver wrote, for :func:`remove_earlier_files`.

    Args:
        fields: Keys the saver's record always has, each with the type of its value
            (``object``: any value, the key present).
        own_file: Whether a name is one of the files the saver writes.

    Returns:
        A function of a record: true if it has ``fields`` and lists under ``files`` only names
        ``own_file`` takes, so a hand-edited record cannot make a save remove another file.
    """

    def test(record: dict[str, Any]) -> bool:
        listed = record.get("files")
        return (
            all(key in record and isinstance(record[key], kind) for key, kind in fields.items())
            and isinstance(listed, list)
            and all(isinstance(name, str) and own_file(name) for name in listed)
        )

    return test


def remove_earlier_files(
    folder: Path,
    record: str,
    keep: Collection[str],
    is_own: Callable[[dict[str, Any]], bool],
) -> list[Path]:
    """Remove the files an earlier save listed in ``folder/record`` that this save does not write.

    A save that writes a set of files into a folder lists them under ``files`` in its JSON
    record; saving again into the folder calls this before it writes the new record, so the
    files of the earlier save that are not among the new ones (figures of a save with plots,
    in a format or of a scenario not asked for now) are not left beside the new files.

    Nothing is removed unless the record is a JSON object that ``is_own`` takes for the
    saver's own and its ``files`` is a list of text (a record that is missing, damaged or not
    the saver's removes nothing); then only the files it names that are not in ``keep``, each a
    plain name of a regular file directly in ``folder`` (no symbolic link, no subfolder).
    Everything else in the folder is left as it is.

    Args:
        folder: The folder being saved into.
        record: File name of the saver's JSON record in it (``metadata.json``, ...).
        keep: Names of the files this save writes.
        is_own: Whether the record's content is one the saver wrote.

    Returns:
        The files removed.
    """
    try:
        data = read_json_object(folder / record)
    except InputFileError:  # none, unreadable, or not a JSON object
        return []
    listed = data.get("files")
    if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
        return []
    if not is_own(data):
        return []
    removed = []
    for name in listed:
        if name in keep or name != Path(name).name or name in ("", ".", ".."):
            continue
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed.append(path)
    return removed


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return path


SVG_HASH_SALT = "influence_sim"
"""The salt of the ids in SVG files (matplotlib's ``svg.hashsalt``; random when not set)."""


def save_figure_atomic(figure: Any, path: Path, dpi: int) -> Path:
    """Save a matplotlib figure to ``path`` atomically (format from the suffix) and return it.

    A figure made the same way gives the same bytes in every format, from run to run: SVG and
    PDF files carry no creation date, and the ids inside an SVG file (of clip paths, markers,
    glyphs) are hashed with a fixed salt, :data:`SVG_HASH_SALT`, instead of a random one. (A
    figure with a layout engine saved twice can still differ in its SVG ids: each save lays
    it out again, and positions may move in their last digits.)
    """
    import matplotlib

    fmt = path.suffix.lstrip(".") or "png"
    meta: dict[str, Any] = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}.get(fmt, {})
    salted = matplotlib.rc_context({"svg.hashsalt": SVG_HASH_SALT})
    with replacing(path) as tmp, salted if fmt == "svg" else contextlib.nullcontext():
        figure.savefig(tmp, dpi=dpi, format=fmt, metadata=meta)
    return path


FIGURE_FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""File formats figures can be written in (``--format``)."""


@dataclass(frozen=True)
class FigureOutput:
    """How figures are written: in which formats and at what resolution.

    Every command that writes figures takes one (``--format png,svg,pdf``, ``--dpi N``) and
    saves each figure with :meth:`save`, which writes one file per format under the same stem.

    Attributes:
        formats: File formats, in order, each one of :data:`FIGURE_FORMATS`.
        dpi: Resolution of raster output (PNG) in dots per inch; None for each figure's own.
    """

    formats: tuple[str, ...] = ("png",)
    dpi: int | None = None

    def __post_init__(self) -> None:
        unknown = [f for f in self.formats if f not in FIGURE_FORMATS]
        if unknown or not self.formats:
            raise ValueError(
                f"unknown figure format {', '.join(map(repr, unknown)) or 'list (empty)'} "
                f"(expected a comma-separated list of {', '.join(FIGURE_FORMATS)})"
            )
        if self.dpi is not None and not 20 <= self.dpi <= 1200:
            raise ValueError(f"dpi must be from 20 to 1200, got {self.dpi}")

    def save(self, figure: Any, path: Path, dpi: int = 110) -> list[Path]:
        """Save a figure once per format, atomically, as ``path`` with each format's suffix.

        Args:
            figure: A matplotlib figure.
            path: File path; its suffix is replaced by each format's.
            dpi: The figure's own resolution, used when :attr:`dpi` is None.

        Returns:
            The paths written, in the order of :attr:`formats`.
        """
        resolution = self.dpi if self.dpi is not None else dpi
        return [
            save_figure_atomic(figure, path.with_suffix(f".{fmt}"), resolution)
            for fmt in self.formats
        ]


def figure_output(figures: FigureOutput | None) -> FigureOutput:
    """The given :class:`FigureOutput`, or the default (PNG at each figure's resolution)."""
    return figures if figures is not None else FigureOutput()


def write_frames_atomic(
    directory: Path, frames: Mapping[str, Any], float_format: str
) -> list[Path]:
    """Write DataFrames as CSV files (one per name) atomically; return their paths in order.

    Args:
        directory: Existing output folder.
        frames: File name to a pandas DataFrame.
        float_format: Format of floating-point values (``"%.6g"``, ...).

    Returns:
        Paths written.
    """
    return [
        write_text_atomic(directory / name, frame.to_csv(index=False, float_format=float_format))
        for name, frame in frames.items()
    ]


def current_umask() -> int:
    """The process's umask (read from ``/proc`` where it can be, else set and restored)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def permit(path: Path) -> None:
    """Give ``path`` the mode a new file (0o666) or folder (0o777) gets under the umask.

    Temporary files and folders are created owner-only; this is called before they are
    renamed into place, so results can be read by whoever the umask lets read them.
    """
    base = 0o777 if path.is_dir() else 0o666
    os.chmod(path, base & ~current_umask())


class OutputFolderError(ValueError):
    """An output folder that cannot be replaced whole (it holds the current folder or is a file)."""


def _short(name: str) -> str:
    """A prefix for temporary names beside ``name`` that stays within name length limits."""
    return f".{name[:80]}."


@contextlib.contextmanager
def replacing_folder(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a new temporary folder beside ``path``; it replaces ``path`` whole on success.

    Readers see the old folder or the whole new one, never a mix of the two. Files and
    folders get the permissions the umask allows (:func:`permit`), as with an ordinary open.

    Everything is written into the temporary folder. When the block succeeds, an existing
    folder at ``path`` is renamed aside, the new one renamed in, and the old one removed. When
    the block fails (a full disk, an interrupt, an error), the temporary folder is removed and
    ``path`` is left as it was. A symbolic link at ``path`` keeps pointing to the results.

    Args:
        path: The results folder (its parent is created if missing).

    Yields:
        The temporary folder to write into.

    Raises:
        OutputFolderError: If ``path`` is the current folder or one that holds it, or the root of
            the file system (replacing it whole would remove unrelated files), or a file.
        OSError: If the folder cannot be written or swapped in.
    """
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))
    resolved = target.resolve()
    cwd = Path.cwd().resolve()
    if resolved == resolved.parent or resolved == cwd or resolved in cwd.parents:
        raise OutputFolderError(
            f"{path}: will not replace a folder that holds the current folder (expected a "
            "folder of its own for the results)"
        )
    if target.exists() and not target.is_dir():
        raise OutputFolderError(
            f"{path}: output path exists and is not a folder (expected a folder for results)"
        )
    from influence_sim._lock import exclusive_file

    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive_file(target.parent / f"{_short(target.name)}lock", target, "command"):
        _recover_folder(target)
        tmp = Path(tempfile.mkdtemp(prefix=_short(target.name), suffix=".new", dir=target.parent))
        try:
            yield tmp
            permit(tmp)
            _swap_in(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def _recover_folder(target: Path) -> None:
    """Undo what a writer of ``target`` killed mid-way left beside it (under the folder's lock).

    A writer killed between moving the old folder aside and renaming the new one in leaves no
    ``target`` and one ``.NAME.XXXX.old``: that old folder is put back. Every other
    ``.NAME.XXXX.new`` or ``.old`` folder beside ``target`` is a killed writer's and is removed.
    """
    prefix = _short(target.name)
    left = [
        p
        for p in target.parent.iterdir()
        if p.name.startswith(prefix) and p.name.endswith((".new", ".old")) and p.is_dir()
    ]
    olds = [p for p in left if p.name.endswith(".old")]
    if not target.exists() and len(olds) == 1:
        os.rename(olds[0], target)
        left.remove(olds[0])
    for p in left:
        shutil.rmtree(p, ignore_errors=True)


def _swap_in(new: Path, target: Path) -> None:
    """Rename ``new`` onto ``target``, moving an existing ``target`` aside and removing it."""
    if not target.exists():
        os.rename(new, target)
        return
    old = target.with_name(f"{_short(target.name)}{secrets.token_hex(4)}.old")
    os.rename(target, old)
    try:
        os.rename(new, target)
    except BaseException:
        os.rename(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def write_folder_atomic(
    path: str | os.PathLike[str], write: Callable[[Path], list[Path]]
) -> list[Path]:
    """Write a results folder whole or not at all (see :func:`replacing_folder`).

    Args:
        path: The results folder.
        write: Writes the files into the folder it is given and returns their paths.

    Returns:
        The paths written, under ``path``.
    """
    target = Path(path)
    with replacing_folder(target) as tmp:
        written = write(tmp)
    return [target / Path(p).relative_to(tmp) for p in written]


def jsonable(value: Any) -> Any:
    """``value`` with every float that is not finite (NaN, infinities) turned into None.

    JSON has no NaN or infinity; the project writes them as ``null``. NumPy scalars become
    Python numbers, tuples lists; other values are kept for the encoder's ``default``.
    """
    import numpy as np

    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    return value


def json_text(data: Any, default: Callable[[Any], Any] | None = str) -> str:
    """Strict JSON text of ``data`` (indented, with a final newline).

    Numbers that are not finite are written as ``null`` (:func:`jsonable`), so writing never
    fails on them and every JSON reader can read the file.

    Args:
        data: Mappings, sequences, numbers, text.
        default: Conversion of other objects (``str`` by default; None to refuse them).

    Returns:
        The text.
    """
    return json.dumps(jsonable(data), indent=2, allow_nan=False, default=default) + "\n"
