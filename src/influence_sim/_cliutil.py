"""Pieces shared by the command-line modules: exit codes, one-line errors, argument types.

Invalid input is reported as ``error: ...`` lines on standard error with exit code 2; a failure
while writing results with exit code 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def error(message: str) -> None:
    """Print one ``error: ...`` line on standard error."""
    print(f"error: {message}", file=sys.stderr)


def report_problems(problems: Iterable[object]) -> int:
    """Print each problem (its ``format()`` if it has one) as an error line; return 2."""
    for problem in problems:
        format_ = getattr(problem, "format", None)
        error(format_() if callable(format_) else str(problem))
    return EXIT_USAGE


def save_outputs(out: Path, what: str, save: Callable[[], Sequence[Path]]) -> int:
    """Call ``save``, then list what it wrote; a write failure is one error line, exit 1.

    Args:
        out: Output folder (for the messages).
        what: What is being written, for the error message ("results", "the sweep", ...).
        save: Writes the files and returns their paths.

    Returns:
        Exit code.
    """
    try:
        written = save()
    except OSError as exc:
        error(f"{out}: cannot write {what}: {exc.strerror or exc}")
        return EXIT_FAILURE
    print()
    print(f"Wrote {len(written)} files to {out}/: {', '.join(p.name for p in written)}")
    return EXIT_OK


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None


def positive_int(text: str) -> int:
    """A whole number of at least 1 (replicates, workers, chunk sizes)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seed(text: str) -> int:
    """A non-negative whole number, as a root seed."""
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def add_posterior_options(parser: argparse.ArgumentParser) -> None:
    """``--posterior FILE`` and ``--no-posterior``: where replicates' parameters come from."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--posterior",
        metavar="FILE",
        help="draw each replicate's parameters from this posterior.csv (default: the "
        "scenario's posterior: key)",
    )
    group.add_argument(
        "--no-posterior",
        action="store_true",
        help="use the point estimates for every replicate (offer noise and drawn shocks only)",
    )


def posterior_choice(args: argparse.Namespace) -> str | bool | None:
    """The ``posterior`` argument of :func:`influence_sim.api.run` from the options."""
    if getattr(args, "no_posterior", False):
        return False
    value: str | None = getattr(args, "posterior", None)
    return value
