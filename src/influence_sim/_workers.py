"""Worker processes that end with the command that started them.

A pool's workers (and, through them, multiprocessing's forkserver and resource tracker) would
outlive a command that is killed: they are reparented and keep running. :func:`lifeline` gives
the command a pipe whose only writing end it holds and never writes to; each worker's
initializer calls :func:`watch_parent` with the reading end, and a daemon thread exits the
worker as soon as a read returns end of file, which happens when the command ends, however it
ends (SIGKILL included).

Example:
    >>> import concurrent.futures as cf, multiprocessing as mp
    >>> ctx = mp.get_context("spawn")
    >>> reader, keep = lifeline(ctx)
    >>> pool = cf.ProcessPoolExecutor(2, mp_context=ctx, initializer=watch_parent,
    ...                               initargs=(reader,))  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from typing import Any


def lifeline(context: Any) -> tuple[Any, Any]:
    """A one-way pipe: ``(reader, keep)``; pass ``reader`` to the workers, hold ``keep``.

    Args:
        context: A multiprocessing context (its ``Pipe`` is used).

    Returns:
        The reading end, for the workers, and the writing end, which the command keeps open
        for as long as the workers may run (close it to stop them).
    """
    reader, keep = context.Pipe(duplex=False)
    return reader, keep


def _wait_and_exit(reader: Any) -> None:
    with contextlib.suppress(EOFError, OSError):
        while True:
            reader.recv()
    os._exit(1)


def watch_parent(reader: Any, ignore_interrupt: bool = True) -> None:
    """Worker initializer: exit at once when the command's end of the lifeline closes.

    Args:
        reader: The reading end from :func:`lifeline`.
        ignore_interrupt: Leave Ctrl-C to the command (the worker ignores SIGINT).
    """
    if ignore_interrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    watcher = threading.Thread(target=_wait_and_exit, args=(reader,), name="parent-watch")
    watcher.daemon = True
    watcher.start()
