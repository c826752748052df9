"""Atomic file writes: a temporary name beside the target, renamed into place.

A crash or an interrupt never leaves half a file under the final name: readers see the old
file or the whole new one. Temporary names follow one pattern, ``.NAME.XXXXXXXX.tmp``
(:data:`TEMP_SUFFIX`), so that what a killed writer left behind is recognised and removed by
:func:`remove_temporaries`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

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
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_text_atomic(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")
    return path


def save_figure_atomic(figure: Any, path: Path, dpi: int) -> Path:
    """Save a matplotlib figure to ``path`` atomically (format from the suffix) and return it."""
    with replacing(path) as tmp:
        figure.savefig(tmp, dpi=dpi, format=path.suffix.lstrip(".") or "png")
    return path


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
