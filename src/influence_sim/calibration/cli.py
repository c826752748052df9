"""The ``calibrate`` and ``report`` subcommands of ``influence-sim``.

* ``calibrate SCENARIO --targets FILE --params P1,P2,... --out DIR [--seed N]
  [--replicates N] [--design N] [--starts N] [--max-iterations N] [--profile-points N]
  [--threshold X] [--quiet] [--force]``
* ``report SCENARIO_OR_RUN --targets FILE [--out DIR] [--seed N] [--replicates N]``

Both print problems with their input as ``error: FILE:LINE...: message (expected ...)`` lines
and exit 2; ``report`` exits 0 whatever the pass or fail of the targets (it is a report).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from influence_sim._cliutil import (
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    add_figure_options,
    check_inputs_not_written,
    check_out_folder,
    error,
    figure_choice,
    path_arg,
    positive_float,
    report_problems,
    save_outputs,
    scenario_inputs,
)
from influence_sim._files import (
    FIGURE_FORMATS,
    remove_earlier_files,
    saver_record,
    write_text_atomic,
)

Handler = Callable[[argparse.Namespace], int]


def _whole(low: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    return parse


def register(subparsers: argparse._SubParsersAction) -> dict[str, Handler]:  # type: ignore[type-arg]
    """Add ``calibrate`` and ``report`` to the command line.

    Args:
        subparsers: The ``influence-sim`` subparsers.

    Returns:
        Handler of each subcommand by name.
    """
    cal = subparsers.add_parser(
        "calibrate",
        help="fit parameters of a scenario to target figures",
        description=(
            "Find the parameter values that bring a scenario's runs closest to the targets "
            "(weighted loss over replicates with common random numbers; Latin hypercube, then "
            "L-BFGS-B from the best points). Writes fit.json, parameters.yaml (a scenario to "
            "extend), targets.png and profiles.png."
        ),
    )
    cal.add_argument("scenario", metavar="SCENARIO", type=path_arg, help="scenario file (YAML)")
    cal.add_argument(
        "--targets", required=True, metavar="FILE", type=path_arg, help="targets file (CSV)"
    )
    cal.add_argument(
        "--params",
        required=True,
        metavar="P1,P2,...",
        help="parameters to fit: names (offer_sensitivity) or paths (powers.china.doctrine), "
        "each optionally with a range NAME=LOW:HIGH",
    )
    cal.add_argument("--out", required=True, metavar="DIR", type=path_arg, help="output folder")
    cal.add_argument("--seed", type=_whole(0), help="root seed (default: the scenario's, or 0)")
    cal.add_argument(
        "--replicates", type=_whole(1), help="replicates per candidate (default: the scenario's)"
    )
    cal.add_argument("--design", type=_whole(1), default=64, help="Latin hypercube points (64)")
    cal.add_argument("--starts", type=_whole(1), default=4, help="local searches (4)")
    cal.add_argument(
        "--max-iterations", type=_whole(1), default=40, help="iterations per local search (40)"
    )
    cal.add_argument(
        "--profile-points", type=_whole(3), default=25, help="grid points per profile (25)"
    )
    cal.add_argument(
        "--threshold",
        type=positive_float,
        default=1.0,
        help="loss above the minimum that still fits as well, for identifiability (1.0)",
    )
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    add_figure_options(cal)
    cal.add_argument(
        "--force", action="store_true", help="replace DIR (as a whole) even if it is not empty"
    )

    rep = subparsers.add_parser(
        "report",
        help="compare a scenario or a saved run with target figures",
        description=(
            "Print model against target for every target with PASS or FAIL by tolerance. "
            "SCENARIO_OR_RUN is a scenario file (run with its seed and replicates) or a folder "
            "written by 'influence-sim run'. Exits 0 whatever passes or fails."
        ),
    )
    rep.add_argument(
        "source", metavar="SCENARIO_OR_RUN", type=path_arg, help="scenario file or run folder"
    )
    rep.add_argument(
        "--targets", required=True, metavar="FILE", type=path_arg, help="targets file (CSV)"
    )
    rep.add_argument(
        "--out", metavar="DIR", type=path_arg, help="write report.png and report.json here"
    )
    rep.add_argument("--seed", type=_whole(0), help="root seed for a scenario (default: its own)")
    rep.add_argument(
        "--replicates", type=_whole(1), help="replicates for a scenario (default: its own)"
    )
    add_figure_options(rep)
    return {"calibrate": command_calibrate, "report": command_report}


def command_calibrate(args: argparse.Namespace) -> int:
    """Run ``influence-sim calibrate``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code: 0 on success, 1 if the files cannot be written, 2 on invalid input.
    """
    from influence_sim.calibration.fit import (
        CalibrationError,
        Settings,
        calibrate,
        parse_free_parameters,
    )
    from influence_sim.calibration.metrics import MetricError
    from influence_sim.calibration.output import summary, write_outputs
    from influence_sim.calibration.targets import TargetError, file_sha256, load_targets
    from influence_sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    try:
        targets = load_targets(args.targets)
    except TargetError as exc:
        return report_problems(exc.problems)
    out = Path(args.out)
    code = check_out_folder(out, args.force, inputs=(*scenario_inputs(scenario), args.targets))
    if code is not None:
        return code
    seed = args.seed if args.seed is not None else (scenario.seed or 0)
    replicates = args.replicates or scenario.replicates
    settings = Settings(
        seed=seed,
        replicates=replicates,
        design_points=args.design,
        starts=args.starts,
        max_iterations=args.max_iterations,
        profile_points=args.profile_points,
        threshold=args.threshold,
    )
    try:
        free = parse_free_parameters(args.params, scenario)
        result = calibrate(
            scenario,
            targets,
            free,
            settings,
            progress=not args.quiet,
            targets_path=args.targets,
            targets_sha256=file_sha256(args.targets),
        )
    except CalibrationError as exc:
        error(f"{args.scenario}: {exc}")
        return EXIT_USAGE
    except MetricError as exc:  # a target about a power the scenario removes
        error(f"{args.targets}: {exc}")
        return EXIT_USAGE
    print(summary(result))
    figures = figure_choice(args)
    return save_outputs(out, "results", lambda folder: write_outputs(result, folder, figures))


def command_report(args: argparse.Namespace) -> int:
    """Run ``influence-sim report``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code: 0 whether targets pass or fail, 1 if files cannot be written, 2 on invalid
        input.
    """
    from influence_sim._files import json_text
    from influence_sim.calibration.metrics import MetricError, RegionalSeries
    from influence_sim.calibration.report import compare_series, format_table, save_targets_plot
    from influence_sim.calibration.targets import TargetError, load_targets
    from influence_sim.results import read_metadata

    try:
        targets = load_targets(args.targets)
    except TargetError as exc:
        return report_problems(exc.problems)
    source = Path(args.source)
    if args.out:
        inputs = [args.targets, *(scenario_inputs(source) if source.is_file() else ())]
        code = check_out_folder(Path(args.out), True)  # a file at --out
        if code is None:
            code = check_inputs_not_written(Path(args.out), REPORT_FILES, inputs)
        if code is not None:
            return code
    if source.is_dir():
        regional = source / "regional.csv"
        if not regional.is_file():
            error(f"{source}: no regional.csv (expected a folder written by 'influence-sim run')")
            return EXIT_USAGE
        if args.seed is not None or args.replicates is not None:
            error(f"{source}: --seed and --replicates apply to a scenario file, not a run folder")
            return EXIT_USAGE
        try:
            series = RegionalSeries.from_csv(regional)
            meta = read_metadata(source / "metadata.json")
        except (ValueError, KeyError) as exc:
            error(str(exc))
            return EXIT_USAGE
        name = meta["scenario_name"]
        heading = (
            f"Report: run folder {source} (scenario {name}; seed {meta['seed']}; "
            f"{series.n_runs} replicates)"
        )
    else:
        from influence_sim.api import run
        from influence_sim.scenario import ScenarioError, load_scenario

        try:
            scenario = load_scenario(args.source)
        except ScenarioError as exc:
            return report_problems(exc.problems)
        from influence_sim.ensemble import MemoryLimitError, NonFiniteError

        try:
            results = run(scenario, seed=args.seed, replicates=args.replicates)
        except (MemoryLimitError, NonFiniteError) as exc:
            error(f"{args.source}: {exc}")
            return EXIT_USAGE
        series = RegionalSeries.from_output(results.output)
        name = scenario.name
        heading = (
            f"Report: scenario {name} ({args.source}; seed {results.seed}; "
            f"{series.n_runs} replicates)"
        )
    try:
        rows = compare_series(series, targets)
    except MetricError as exc:
        error(f"{args.targets}: {exc}")
        return EXIT_USAGE
    print(heading)
    print(f"Targets: {args.targets}; PASS when |model mean - target| <= tolerance")
    print()
    print(format_table(rows))
    if args.out:
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            pictures = save_targets_plot(
                rows,
                out / "report.png",
                title=f"Model against targets: {name}",
                figures=figure_choice(args),
            )
            table = out / "report.json"
            files = sorted(p.name for p in [*pictures, table])
            own = saver_record({"rows": list, "targets_file": object}, REPORT_FILES.__contains__)
            remove_earlier_files(out, table.name, files, own)
            write_text_atomic(
                table,
                json_text(
                    {
                        "source": args.source,
                        "targets_file": args.targets,
                        "rows": [r.as_dict() for r in rows],
                        "files": files,
                    },
                    default=None,
                ),
            )
        except OSError as exc:
            error(f"{out}: cannot write the report: {exc.strerror or exc}")
            return EXIT_FAILURE
        print()
        print(f"Wrote {', '.join(p.name for p in [*pictures, table])} to {out}/")
    return EXIT_OK


REPORT_FILES = ("report.json", *(f"report.{fmt}" for fmt in FIGURE_FORMATS))
"""The files ``report --out DIR`` writes into ``DIR`` (the figure in the formats asked for)."""


__all__ = ["command_calibrate", "command_report", "register"]
