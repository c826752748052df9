"""One writer per output folder: an exclusive lock held for the life of a command.

:func:`exclusive_folder` takes an ``flock`` on a lock file inside the folder and holds it until
the block ends. A second command on the same folder (with ``--force`` or ``--resume`` too) is
refused at once with :class:`FolderInUseError`, which names the process holding the lock. The
lock goes away with the process that holds it, however that process ends (a kill included), so
a crashed command never leaves a folder locked.

Where ``fcntl`` is missing (Windows) the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_NAME = ".influence-sim.lock"
"""Name of the lock file inside a locked folder (removed when the lock is released)."""


class FolderInUseError(RuntimeError):
    """Another process holds the folder's lock.

    Attributes:
        folder: The folder.
        pid: Process id of the holder, or None if it cannot be read.
    """

    def __init__(self, folder: Path, what: str, pid: int | None) -> None:
        self.folder = folder
        self.pid = pid
        holder = f"pid {pid}" if pid is not None else "pid unknown"
        super().__init__(f"{folder} is in use by another {what} ({holder})")


def _holder(path: Path) -> int | None:
    """The process id written in a lock file, or None."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, ValueError):
        return None
    return int(text) if text.isdigit() else None


def _same_file(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed or replaced)."""
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


@contextlib.contextmanager
def exclusive_folder(folder: str | os.PathLike[str], what: str = "command") -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) for the ``with`` block.

    Args:
        folder: The output folder.
        what: What holds the lock, for the message (``"sweep"``, ``"fit"``, ...).

    Yields:
        The folder.

    Raises:
        FolderInUseError: If another process holds the lock.
    """
    root = Path(folder)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    try:
        with exclusive_file(root / LOCK_NAME, root, what):
            yield root
    finally:
        if created:  # a folder made for nothing (the command stopped early) goes too
            with contextlib.suppress(OSError):
                root.rmdir()


@contextlib.contextmanager
def exclusive_file(path: Path, shown: Path, what: str = "command") -> Iterator[None]:
    """Hold an exclusive ``flock`` on the lock file ``path`` (created, then removed).

    Args:
        path: The lock file (its folder must exist).
        shown: What the lock protects, for the message.
        what: What holds the lock, for the message.

    Raises:
        FolderInUseError: If another process holds the lock.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderInUseError(shown, what, _holder(path)) from None
        except BaseException:
            os.close(fd)
            raise
        if _same_file(fd, path):
            break
        # The holder released and removed the file between our open and our lock: try again.
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        yield
    finally:
        # Remove the file while still holding the lock; a process that opened it in between
        # sees that the name no longer points at its file and starts again.
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def contents(folder: Path) -> list[Path]:
    """What a folder holds besides its lock file (nothing if it does not exist)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name != LOCK_NAME)


def empty_folder(folder: Path) -> None:
    """Remove everything in a folder but its lock file (for ``--force`` under the lock)."""
    import shutil

    for path in contents(folder):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
