"""The ``influence-sim`` command line: parse arguments, call the library, write files.

Commands:

* ``run SCENARIO [--out DIR] [--seed N] [--replicates N] [--no-plots] [--force]
  [--format png,svg,pdf] [--dpi N]``
* ``validate FILE...`` (scenario files and sweep files)
* ``schema``

Invalid input never produces a traceback: each problem is printed as one line
``error: FILE:LINE:COL: key.path: what is wrong (what was expected)`` and the exit code is 2.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from influence_sim._cliutil import (
    EXIT_OK,
    EXIT_USAGE,
    Parser,
    add_figure_options,
    add_posterior_options,
    check_out_folder,
    error,
    figure_choice,
    path_arg,
    positive_int,
    posterior_choice,
    quiet_when_stdout_closes,
    report_problems,
    save_outputs,
    scenario_inputs,
    seed,
)
from influence_sim._inputs import InputFileError

Handler = Callable[[argparse.Namespace], int]

COMMAND_MODULES: tuple[str, ...] = (
    "influence_sim.sweep.cli",
    "influence_sim.analysis.cli",
    "influence_sim.calibration.cli",
    "influence_sim.panel_cli",
    "influence_sim.discover",
    "influence_sim.report_html",
)
"""Modules contributing subcommands: each defines ``register(subparsers) -> {name: handler}``."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``influence-sim`` command."""
    parser = Parser(
        prog="influence-sim",
        description="Agent-based simulation of great-power influence in Central Asia.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="run a scenario file and write tables and plots",
        description="Run a scenario's replicates, print a summary, write tables and plots.",
    )
    run.add_argument("scenario", metavar="SCENARIO", type=path_arg, help="scenario file (YAML)")
    run.add_argument(
        "--out", metavar="DIR", type=path_arg, help="output folder (default: results/<scenario>)"
    )
    run.add_argument("--seed", type=seed, help="root seed (default: the scenario's seed)")
    run.add_argument("--replicates", type=positive_int, help="replicates (default: the scenario's)")
    run.add_argument("--no-plots", action="store_true", help="write tables only")
    run.add_argument(
        "--force", action="store_true", help="replace DIR (as a whole) even if it is not empty"
    )
    run.add_argument(
        "--memory-limit",
        type=_memory_size,
        metavar="SIZE",
        help="largest memory the results may take, e.g. 64G, 0 for none (default: "
        "$INFLUENCE_SIM_MEMORY_LIMIT or 3/4 of the available memory)",
    )
    add_posterior_options(run)
    add_figure_options(run)

    validate = sub.add_parser(
        "validate",
        help="check scenario files and sweep files without running them",
        description=(
            "Check scenario files and sweep files (told apart by their keys); print every "
            "problem found; exit 2 if any."
        ),
    )
    validate.add_argument(
        "files", nargs="+", metavar="FILE", type=path_arg, help="scenario files or sweep files"
    )

    sub.add_parser(
        "schema",
        help="print the JSON Schema of scenario files",
        description="Print the JSON Schema of scenario files, for editors.",
    )
    return parser


def _register_contributed(sub: argparse._SubParsersAction) -> dict[str, Handler]:  # type: ignore[type-arg]
    handlers: dict[str, Handler] = {}
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                continue  # that part of the package is not installed
            raise
        handlers.update(module.register(sub))
    return handlers


def _memory_size(text: str) -> int:
    """A memory size: bytes, or a number with K, M, G or T (``64G``); 0 for no limit."""
    from influence_sim.ensemble import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _version() -> str:
    from influence_sim import __version__

    return __version__


def _command_run(args: argparse.Namespace) -> int:
    from influence_sim.api import run
    from influence_sim.checking import dry_run
    from influence_sim.initial import rescaling_report
    from influence_sim.scenario import ScenarioError, load_scenario

    started = time.time()
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    problems = dry_run(scenario)
    if problems:
        return report_problems(problems)
    out = Path(args.out) if args.out else Path("results") / Path(args.scenario).stem
    code = check_out_folder(out, args.force, inputs=(*scenario_inputs(scenario), args.posterior))
    if code is not None:
        return code
    from influence_sim.ensemble import MemoryLimitError, NonFiniteError
    from influence_sim.posterior import PosteriorError

    try:
        results = run(
            scenario,
            seed=args.seed,
            replicates=args.replicates,
            posterior=posterior_choice(args),
            memory_limit=args.memory_limit,
        )
    except (PosteriorError, MemoryLimitError) as exc:
        error(str(exc))
        return EXIT_USAGE
    except NonFiniteError as exc:
        error(f"{args.scenario}: {exc}")
        return EXIT_USAGE
    if results.metadata.get("posterior"):
        print(f"parameters drawn per replicate from {results.metadata['posterior']}")
    for line in rescaling_report(scenario):
        print(f"note: {line}")
    print(results.summary())
    results.metadata["wall_time_s"] = round(time.time() - started, 4)
    return save_outputs(
        out,
        "results",
        lambda folder: results.save(folder, plots=not args.no_plots, figures=figure_choice(args)),
    )


def _command_validate(args: argparse.Namespace) -> int:
    from influence_sim.checking import check_file

    checked = [(path, *check_file(path)) for path in args.files]
    problems = [problem for _, _, found in checked for problem in found]
    if problems:
        return report_problems(problems)
    for path, summary, _ in checked:
        print(f"ok: {path} ({summary})")
    return EXIT_OK


def _command_schema(_: argparse.Namespace) -> int:
    from influence_sim.scenario import json_schema

    print(json.dumps(json_schema(), indent=2))
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns:
        Exit code: 0 on success, 1 on a failure while writing, 2 on invalid input.
    """
    for stream in (sys.stdout, sys.stderr):  # a name the terminal cannot show is escaped
        reconfigure = getattr(stream, "reconfigure", None)
        if callable(reconfigure):
            reconfigure(errors="backslashreplace")
    with quiet_when_stdout_closes():
        try:
            return _main(argv)
        except InputFileError as exc:  # a seed table, read wherever a command needs it
            error(str(exc))
            return EXIT_USAGE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    commands: dict[str, Handler] = {
        "run": _command_run,
        "validate": _command_validate,
        "schema": _command_schema,
    }
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    commands.update(_register_contributed(sub))
    args = parser.parse_args(argv)
    try:
        return commands[args.command](args)
    except KeyboardInterrupt:
        error("interrupted")
        return 130


STOP_EXIT_SECONDS = 5.0
"""How long the program waits, once a stopped command has returned, before it ends anyway."""


def run() -> NoReturn:
    """The ``influence-sim`` program: :func:`main`, then exit with its code.

    A process pool stopped by Ctrl-C (130) or SIGTERM (143) can leave a thread of the pool
    waiting for ever for the rest of a result a worker was sending when it stopped, and the
    interpreter waits for that thread at exit. After such a stop the program therefore ends
    without it if it has not ended :data:`STOP_EXIT_SECONDS` later, with the same exit code.
    Finished chunks and saved chains are on disk by then.
    """
    code = main()
    if code in (130, 143):
        timer = threading.Timer(STOP_EXIT_SECONDS, _exit_now, args=(code,))
        timer.daemon = True  # it does not keep the program alive, it only ends a hung exit
        timer.start()
    sys.exit(code)


def _exit_now(code: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
