"""Pieces shared by the command-line modules: exit codes, one-line errors, argument types.

Invalid input is reported as ``error: ...`` lines on standard error with exit code 2; a failure
while writing results with exit code 1.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    from influence_sim._files import FigureOutput
    from influence_sim.scenario import Scenario

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one ``error: ...`` line, exit code 2.

    The usage text is left to ``--help``: a wrong argument prints only what is wrong.
    """

    def error(self, message: str) -> NoReturn:
        """Print one error line naming the command and exit with code 2."""
        self.exit(EXIT_USAGE, f"error: {self.prog}: {message} (see '{self.prog} --help')\n")


def error(message: str) -> None:
    """Print one ``error: ...`` line on standard error."""
    print(f"error: {message}", file=sys.stderr)


class _QuietWhenClosed:
    """Standard output that goes quiet once its reader has gone (``influence-sim run X | head``).

    The command carries on, so the files it writes are still written; what it prints after
    the reader closed the pipe is dropped, without a ``BrokenPipeError``.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._gone = False

    def write(self, text: str) -> int:
        """Write ``text``, or drop it once the reader has gone."""
        if not self._gone:
            try:
                self._stream.write(text)
            except BrokenPipeError:
                self._reader_gone()
        return len(text)

    def flush(self) -> None:
        """Flush, or do nothing once the reader has gone."""
        if not self._gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._reader_gone()

    def _reader_gone(self) -> None:
        self._gone = True
        with contextlib.suppress(OSError, ValueError):  # not a file: nothing is left to flush
            # what is still buffered goes nowhere when the interpreter flushes it at exit
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())
            os.close(null)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_when_stdout_closes() -> Iterator[None]:
    """Within the block, printing to a pipe whose reader has gone is no error (see above)."""
    stream = sys.stdout
    sys.stdout = _QuietWhenClosed(stream)
    try:
        yield
    finally:
        sys.stdout = stream


def report_problems(problems: Iterable[object]) -> int:
    """Print each problem (its ``format()`` if it has one) as an error line; return 2."""
    for problem in problems:
        format_ = getattr(problem, "format", None)
        error(format_() if callable(format_) else str(problem))
    return EXIT_USAGE


def check_out_folder(
    out: Path,
    force: bool,
    hint: str = "use --force to write into it",
    inputs: Iterable[str | os.PathLike[str] | None] = (),
) -> int | None:
    """Exit code 2, with one line, if ``out`` is not a usable output folder.

    That is, if ``out`` or a folder above it is a file, or ``out`` is a folder in use: without
    ``force`` any, with it one that is or holds one of the command's ``inputs`` (files or
    folders; None for one not given), which replacing it would lose. ``hint`` says what to do
    about a folder in use.
    """
    if out.exists() and not out.is_dir():
        error(f"{out}: output path exists and is not a folder (expected a folder for results)")
        return EXIT_USAGE
    blocked = next((p for p in out.parents if p.exists() and not p.is_dir()), None)
    if blocked is not None:
        error(f"{out}: {blocked} is a file, not a folder (expected a folder for results)")
        return EXIT_USAGE
    if out.is_dir() and any(out.iterdir()) and not force:
        error(f"{out}: output folder is not empty ({hint})")
        return EXIT_USAGE
    return check_inputs_kept(out, inputs) if out.is_dir() else None


def check_inputs_kept(out: Path, inputs: Iterable[str | os.PathLike[str] | None]) -> int | None:
    """Exit code 2, with one line, if the folder ``out`` is or holds one of ``inputs``."""
    folder = Path(os.path.realpath(out))
    for given in inputs:
        if given is None:
            continue
        path = Path(os.path.realpath(given))
        if path == folder or folder in path.parents:
            what = "is an input of the command" if path == folder else f"holds the input {given}"
            error(
                f"{out}: will not replace a folder that {what} (expected a folder of its own "
                "for the results)"
            )
            return EXIT_USAGE
    return None


def check_inputs_not_written(
    out: Path, names: Iterable[str], inputs: Iterable[str | os.PathLike[str] | None]
) -> int | None:
    """Exit code 2, with one line, if one of ``inputs`` is a file of ``names`` in ``out``.

    For a command that writes files of these names into ``out`` (or removes an earlier run's),
    one by one: it would write over (or remove) that input.
    """
    folder = Path(os.path.realpath(out))
    files = {folder / name for name in names}
    for given in inputs:
        if given is not None and Path(os.path.realpath(given)) in files:
            error(
                f"{out}: will not write over the input {given} (expected another output "
                "folder, or another name for the input)"
            )
            return EXIT_USAGE
    return None


def sweep_out_problem(sweep: str, out: str, what: str, default: Path) -> str | None:
    """Why a command reading ``sweep`` must not write its ``what`` into the folder ``out``.

    Refused are the sweep folder itself and its own folders (``timeseries``, ``chunks``) or a
    folder inside them: the files written there would mix with the sweep's, which reads every
    file of ``timeseries`` as its time series and removes these folders when it starts over.
    A folder of its own inside the sweep folder (the default of ``discover`` and ``analyze``)
    or one that holds the sweep folder is fine: these commands write, and remove, only files
    of their own names.

    Args:
        sweep: The sweep folder.
        out: The output folder.
        what: What is written (``discovery``, ``analysis``), for the message.
        default: The command's default output folder, suggested instead.

    Returns:
        One line for the user, or None.
    """
    from influence_sim.sweep.storage import OUR_NAMES

    home = Path(os.path.realpath(sweep))
    target = Path(os.path.realpath(out))
    if target == home:
        where = f"the sweep folder {sweep} it reads"
    else:
        owned = (home / name for name in OUR_NAMES)
        inside = next((p for p in owned if p == target or p in target.parents), None)
        if inside is None:
            return None
        where = f"the sweep's own folder {Path(sweep) / inside.name}" + (
            "" if inside == target else " (a folder inside it)"
        )
    return (
        f"{out}: will not write the {what} into {where} (expected a folder of its own, "
        f"such as the default {default})"
    )


def scenario_inputs(
    scenario: Scenario | str | os.PathLike[str] | None,
) -> tuple[str | os.PathLike[str] | None, ...]:
    """The files a scenario reads: itself, the files it extends and its posterior file.

    A path is loaded for them; one that is not a file, or does not load (its problems are
    reported when the command reads it), stands for itself. For ``check_out_folder``'s inputs.
    """
    if scenario is None or isinstance(scenario, (str, os.PathLike)):
        from influence_sim.scenario import ScenarioError, load_scenario

        if scenario is None or not Path(scenario).is_file():
            return (scenario,)
        try:
            loaded = load_scenario(scenario)
        except ScenarioError:
            return (scenario,)
        return (scenario, *loaded.files[1:], loaded.posterior)
    return (*scenario.files, scenario.posterior)


def save_outputs(
    out: Path,
    what: str,
    save: Callable[[Path], Sequence[Path]],
    whole: bool = True,
) -> int:
    """Call ``save`` on a folder, then list what it wrote; a failure is one error line, exit 1.

    With ``whole`` the files go into a temporary folder beside ``out`` that then replaces
    ``out`` as a whole (:func:`influence_sim._files.replacing_folder`): a failure (a full disk,
    an interrupt) leaves an earlier ``out`` untouched and nothing of the new results.

    Args:
        out: Output folder.
        what: What is being written, for the error message ("results", "the sweep", ...).
        save: Writes the files into the folder it is given and returns their paths.
        whole: Replace ``out`` whole (True) or write into it file by file (False, for a
            folder that holds other things, such as a sweep's ``analysis`` folder).

    Returns:
        Exit code.
    """
    from influence_sim._files import OutputFolderError, write_folder_atomic
    from influence_sim._lock import FolderInUseError

    try:
        if whole:
            written: Sequence[Path] = write_folder_atomic(out, lambda tmp: list(save(tmp)))
        else:
            written = save(out)
    except (OutputFolderError, FolderInUseError) as exc:
        error(str(exc))
        return EXIT_USAGE
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


def finite_float(text: str) -> float:
    """A finite number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0 (thresholds)."""
    value = finite_float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number of at least 0 (durations)."""
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def count_up_to(high: int) -> Callable[[str], int]:
    """An argument type: a whole number from 1 to ``high``.

    The bound is far above any real use; it refuses a number whose arrays could not fit in
    memory, or whose run would not end, before anything is written.
    """

    def parse(text: str) -> int:
        value = positive_int(text)
        if value > high:
            raise argparse.ArgumentTypeError(f"must be from 1 to {high:,}, got {value}")
        return value

    return parse


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
        type=path_arg,
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


NAME_MAX = 255
"""Longest file or folder name accepted in a path argument, in bytes (as most file systems)."""

PATH_MAX = 4095
"""Longest path argument accepted, in bytes."""


def path_arg(text: str) -> str:
    """A file or folder path: not empty, no NUL character, no name longer than the system allows.

    Used for every path option and argument (``--out``, ``--targets``, scenario files, ...), so
    ``--out ""`` is refused instead of writing into a default folder, and a path the file system
    cannot hold is one error line instead of an ``OSError`` later.
    """
    if not text.strip():
        raise argparse.ArgumentTypeError("an empty path is not a file or folder")
    if "\x00" in text:
        raise argparse.ArgumentTypeError("a path cannot contain a NUL character")
    try:
        raw = os.fsencode(text)
    except UnicodeError:
        raise argparse.ArgumentTypeError("the path cannot be encoded for the file system") from None
    if len(raw) > PATH_MAX:
        raise argparse.ArgumentTypeError(
            f"the path is {len(raw):,} bytes long (the limit is {PATH_MAX:,})"
        )
    longest = max(raw.split(os.fsencode(os.sep)), key=len)
    if len(longest) > NAME_MAX:
        shown = os.fsdecode(longest[:24]) + "..."
        raise argparse.ArgumentTypeError(
            f"the name {shown!r} is {len(longest):,} bytes long (the limit is {NAME_MAX} bytes "
            "per file or folder name)"
        )
    return text


def port(text: str) -> int:
    """A TCP port number, 1 to 65535."""
    value = _whole(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {value}")
    return value


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
"""Protocols of a Dask scheduler address."""


def scheduler_address(text: str) -> str:
    """A Dask scheduler address, ``[PROTOCOL://]HOST:PORT``, checked before anything runs."""
    expected = "expected an address such as tcp://HOST:8786"
    scheme, sep, rest = text.strip().partition("://")
    if not sep:
        scheme, rest = "tcp", text.strip()
    if scheme not in SCHEDULER_SCHEMES:
        raise argparse.ArgumentTypeError(
            f"{text!r}: unknown protocol {scheme!r} (expected one of "
            f"{', '.join(SCHEDULER_SCHEMES)})"
        )
    try:
        parts = urllib.parse.urlsplit("//" + rest)
        number = parts.port
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no valid port number ({expected})"
        ) from None
    if not parts.hostname or number is None or parts.path or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not a scheduler address ({expected})")
    if number == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: port 0 is not a port to connect to")
    return text.strip()


def figure_formats(text: str) -> tuple[str, ...]:
    """A comma-separated list of figure formats (``png,svg,pdf``), each once, in order."""
    from influence_sim._files import FIGURE_FORMATS

    formats = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",")))
    unknown = [f for f in formats if f not in FIGURE_FORMATS]
    if unknown or not any(formats):
        shown = ", ".join(repr(f) for f in unknown if f) or "an empty list"
        raise argparse.ArgumentTypeError(
            f"unknown figure format {shown} (expected a comma-separated list of "
            f"{', '.join(FIGURE_FORMATS)})"
        )
    return formats


def dpi(text: str) -> int:
    """A resolution in dots per inch, 20 to 1200."""
    value = _whole(text)
    if not 20 <= value <= 1200:
        raise argparse.ArgumentTypeError(f"must be from 20 to 1200 dots per inch, got {value}")
    return value


def add_figure_options(parser: argparse.ArgumentParser) -> None:
    """``--format png,svg,pdf`` and ``--dpi N``: how the command's figures are written."""
    parser.add_argument(
        "--format",
        dest="figure_formats",
        type=figure_formats,
        default=("png",),
        metavar="FORMATS",
        help="figure formats, comma-separated, of png, svg, pdf (default: png)",
    )
    parser.add_argument(
        "--dpi",
        dest="figure_dpi",
        type=dpi,
        metavar="N",
        help="resolution of PNG figures in dots per inch (default: each figure's own, 110)",
    )


def figure_choice(args: argparse.Namespace) -> FigureOutput:
    """The figure formats and resolution (:class:`influence_sim._files.FigureOutput`) asked for."""
    from influence_sim._files import FigureOutput

    return FigureOutput(
        tuple(getattr(args, "figure_formats", ("png",))), getattr(args, "figure_dpi", None)
    )
