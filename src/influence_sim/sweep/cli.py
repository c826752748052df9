"""The ``influence-sim sweep`` subcommand.

``influence-sim sweep SWEEPFILE [--out DIR] [--workers N] [--chunk-size N] [--resume | --force]
[--scheduler ADDRESS] [--progress | --no-progress]``

Exit codes: 0 when every run succeeded; 3 when the sweep finished but some runs failed (their
errors are in ``runs.parquet``); 2 for invalid input (a bad sweep file, printed as
``error: FILE:LINE:COL: ...`` lines, or an output folder that is not empty without
``--resume``/``--force``); 1 when the sweep could not go on (a worker died, the scheduler is
unreachable, the disk is full); 130 when interrupted (Ctrl-C), 143 when terminated (SIGTERM).
Interrupted or aborted sweeps continue with ``--resume``.

This module imports nothing heavy until the command runs, so registering it costs nothing.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from influence_sim._cliutil import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    error,
    non_negative_float,
    path_arg,
    positive_int,
    report_problems,
    scheduler_address,
)
from influence_sim._text import counted

EXIT_RUNS_FAILED = 3
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that the sweep stops the way Ctrl-C stops it."""


TERM_GRACE_SECONDS = 30.0
"""How long the clean-up after SIGTERM may take before the process ends without it."""


def _end_now() -> None:
    error(
        f"terminated; the clean-up did not end within {TERM_GRACE_SECONDS:g} s, so the process "
        "ends without it; finished work is kept: run again with --resume"
    )
    sys.stderr.flush()
    os._exit(EXIT_TERMINATED)


def _on_sigterm(signum: int, frame: Any) -> None:
    # Raised wherever the main thread is, the stop can land while it holds a lock the clean-up
    # needs (inside a process pool, say) and wait for ever: a terminated command must end, so a
    # timer ends it if the clean-up has not. Finished chunks and saved chains are on disk.
    timer = threading.Timer(TERM_GRACE_SECONDS, _end_now)
    timer.daemon = True
    timer.start()
    _timers.append(timer)
    raise Terminated


_timers: list[threading.Timer] = []


def restore_sigterm(previous: Any) -> None:
    """Put back the SIGTERM handler ``previous``; a stop's clean-up has ended, so its timer goes."""
    signal.signal(signal.SIGTERM, previous)
    while _timers:
        _timers.pop().cancel()


def register(sub: Any) -> dict[str, Callable[[argparse.Namespace], int]]:
    """Add the ``sweep`` subcommand to the command line's subparsers.

    Args:
        sub: The ``add_subparsers()`` action of the ``influence-sim`` parser.

    Returns:
        The command name mapped to its handler.
    """
    parser = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid, cases, lhs, sobol or morris) and store it as Parquet",
        description=(
            "Run a sweep file's design over its base scenario in batched chunks, on local "
            "processes or a Dask cluster, writing runs.parquet, timeseries/ and manifest.json. "
            "Exit codes: 0 all runs succeeded, 3 some runs failed, 2 invalid input, "
            "1 the sweep could not go on, 130 interrupted, 143 terminated (continue with --resume)."
        ),
    )
    parser.add_argument("sweep_file", metavar="SWEEPFILE", type=path_arg, help="sweep file (YAML)")
    parser.add_argument(
        "--out", metavar="DIR", type=path_arg, help="output folder (default: sweeps/<sweep>)"
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help=(
            "local worker processes (default: the number of cores); 1 runs in this process, "
            "and so does a sweep too small to gain from starting workers"
        ),
    )
    parser.add_argument(
        "--chunk-size",
        type=positive_int,
        metavar="N",
        help="runs per batched call (default: an equal share per worker, 16 to 500)",
    )
    again = parser.add_mutually_exclusive_group()
    again.add_argument(
        "--resume", action="store_true", help="continue the sweep in DIR, skipping finished chunks"
    )
    again.add_argument(
        "--force", action="store_true", help="remove an earlier sweep's files in DIR and start over"
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        type=scheduler_address,
        help="run on a Dask distributed cluster, e.g. tcp://HOST:8786",
    )
    parser.add_argument(  # for tests: start the worker pool at once, however small the sweep
        "--pool-after-seconds", type=non_negative_float, default=None, help=argparse.SUPPRESS
    )
    parser.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on standard error (default: only on a terminal)",
    )
    return {"sweep": command_sweep}


def command_sweep(args: argparse.Namespace) -> int:
    """Run ``influence-sim sweep``.

    Args:
        args: Parsed arguments.

    Returns:
        The exit code (see the module docstring).
    """
    from influence_sim.checking import dry_run
    from influence_sim.scenario import ScenarioError
    from influence_sim.sweep import SweepAborted, SweepFolderError, read_sweep, run_sweep

    try:
        sweep = read_sweep(args.sweep_file)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    problems = dry_run(sweep.scenario)
    if problems:
        return report_problems(problems)
    out = Path(args.out) if args.out else Path("sweeps") / Path(args.sweep_file).stem
    progress = sys.stderr.isatty() if args.progress is None else bool(args.progress)
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        outcome = run_sweep(
            sweep,
            out,
            workers=args.workers,
            chunk_size=args.chunk_size,
            resume=args.resume,
            force=args.force,
            scheduler=args.scheduler,
            progress=progress,
            pool_after_seconds=args.pool_after_seconds,
        )
    except Terminated:
        error("terminated; finished chunks are kept: run again with --resume to continue")
        return EXIT_TERMINATED
    except SweepFolderError as exc:
        error(str(exc))
        return EXIT_USAGE
    except SweepAborted as exc:
        error(f"{exc}; finished chunks are kept: run again with --resume to continue")
        return EXIT_FAILURE
    except OSError as exc:
        error(f"{out}: cannot write the sweep: {exc.strerror or exc}")
        return EXIT_FAILURE
    except KeyboardInterrupt:
        error("interrupted; finished chunks are kept: run again with --resume to continue")
        return EXIT_INTERRUPTED
    finally:
        restore_sigterm(previous)
    for note in outcome.notes:
        print(f"note: {note}")
    ran = outcome.n_runs - outcome.n_skipped
    resumed = f", {outcome.n_skipped} done before" if outcome.n_skipped else ""
    speed = ""
    if ran and outcome.seconds > 0:
        speed = f"; ran {ran} in {outcome.seconds:.1f} s ({ran / outcome.seconds:.0f} runs/s)"
    print(
        f"Sweep {outcome.name}: {counted(outcome.n_runs, 'run')} "
        f"({counted(sweep.n_points, 'point')} x {counted(sweep.replicates, 'replicate')}) "
        f"in {counted(outcome.n_chunks, 'chunk')}{resumed}{speed}; "
        f"failed: {outcome.n_failed}"
    )
    print(
        f"Wrote {out}/: runs.parquet, design.parquet, manifest.json"
        + (", timeseries/" if sweep.spec.keep.every is not None else "")
    )
    if outcome.n_failed:
        error(
            f"{outcome.n_failed} of {outcome.n_runs} runs failed; their errors are in the "
            f"status and error columns of {out}/runs.parquet"
        )
        return EXIT_RUNS_FAILED
    return EXIT_OK
