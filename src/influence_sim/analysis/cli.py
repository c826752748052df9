"""Subcommands of ``influence-sim`` for analysis: compare, analyze, attribute, dashboard.

* ``compare A B [C ...] [--out DIR]``: paired comparison of scenario files, run folders and
  sweep folders with the first one; writes ``headline.csv``, fan charts, difference plots and
  small multiples by state.
* ``analyze SWEEP_DIR --method sobol|morris [--metric NAME]``: sensitivity indices of a sweep
  with a bar chart, a CSV and a JSON record of the files.
* ``attribute SCENARIO [--baseline FILE]``: mechanism attribution by knockouts, with waterfall
  plots.
* ``dashboard [--port N] [--scenarios DIR]``: the live SolaraViz page (serves until interrupted).

Invalid input is reported as ``error: ...`` lines on standard error with exit code 2, never as a
traceback. Heavy libraries are imported only when a subcommand runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from influence_sim._cliutil import (
    EXIT_FAILURE,
    EXIT_USAGE,
    add_figure_options,
    add_posterior_options,
    check_out_folder,
    error,
    figure_choice,
    path_arg,
    port,
    positive_int,
    posterior_choice,
    report_problems,
    save_outputs,
    scenario_inputs,
    seed,
    sweep_out_problem,
)
from influence_sim.cast import DYAD

EXIT_INTERRUPTED = 130

Handler = Callable[[argparse.Namespace], int]


def _names(text: str) -> list[str]:
    """A comma-separated list of names, none of them empty."""
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(
            f"an empty name in {text!r} (expected names separated by commas)"
        )
    return names


def _notes(notes: list[str]) -> None:
    for note in notes:
        if note.startswith("warning: "):
            print(note, file=sys.stderr)
        else:
            print(f"note: {note}")


def _out_folder(path: Path, force: bool, inputs: list[str | os.PathLike[str] | None]) -> int | None:
    """Check an output folder; return an exit code if it cannot be used."""
    hint = "use --force to write into it, or --out DIR for another folder"
    return check_out_folder(path, force, hint, inputs)


def register(sub: Any) -> dict[str, Handler]:
    """Add the analysis subcommands to the command line's subparsers.

    Args:
        sub: The ``add_subparsers()`` action of the ``influence-sim`` parser.

    Returns:
        Command name mapped to its handler.
    """
    p = sub.add_parser(
        "compare",
        help="compare scenarios, run folders or sweeps with the first (paired, with bands)",
        description=(
            "Compare two or more inputs with the first. Each input is a scenario file (run "
            "on the spot, every one with the same seed and replicates), a run folder "
            "(influence-sim run --out DIR) or a sweep folder. Differences are taken replicate "
            "by replicate when the seeds agree. Writes headline.csv, replicate_metrics.csv, "
            "differences.csv, comparison.json, fan_*.png, diff_*.png and states_*.png."
        ),
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        type=path_arg,
        help="scenario file, run folder or sweep folder (at least two)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        type=path_arg,
        help="output folder (default: results/compare_<first>_vs_<second>...)",
    )
    p.add_argument(
        "--names",
        type=_names,
        metavar="A,B,...",
        help="labels of the inputs, comma-separated (default: scenario names)",
    )
    add_posterior_options(p)
    p.add_argument("--seed", type=seed, help="root seed of the scenario files run")
    p.add_argument("--replicates", type=positive_int, help="replicates of the scenario files run")
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.add_argument(
        "--force", action="store_true", help="replace DIR (as a whole) even if it is not empty"
    )
    add_figure_options(p)

    p = sub.add_parser(
        "analyze",
        help="Sobol' or Morris sensitivity indices of a sweep",
        description=(
            "Sensitivity indices of a metric of a sweep folder with SALib: first- and "
            "total-order Sobol' indices with confidence intervals (sobol design), or Morris "
            "mu* and sigma (morris design). Writes a CSV, a bar chart and a JSON record of "
            "the files written."
        ),
    )
    p.add_argument(
        "sweep_dir",
        metavar="SWEEP_DIR",
        type=path_arg,
        help="folder written by influence-sim sweep",
    )
    p.add_argument(
        "--method",
        choices=("sobol", "morris"),
        default="sobol",
        help="index method; the sweep's design must be of the same kind (default: sobol)",
    )
    p.add_argument(
        "--metric",
        metavar="NAME",
        help="metric of the sweep's runs (default: final.security_share.region.china)",
    )
    p.add_argument(
        "--out", metavar="DIR", type=path_arg, help="output folder (default: SWEEP_DIR/analysis)"
    )
    p.add_argument("--no-plots", action="store_true", help="write the CSV only")
    add_figure_options(p)

    p = sub.add_parser(
        "attribute",
        help="how much of a change each mechanism accounts for (knockouts, waterfall plots)",
        description=(
            "Run a scenario in full and with each mechanism switched off, with common random "
            "numbers, and attribute each state's share change (or, with --baseline, the "
            "difference to the baseline) to the mechanisms. Writes attribution.csv, "
            "attribution_replicates.csv, waterfall_*.png and attribution.json."
        ),
    )
    p.add_argument("scenario", metavar="SCENARIO", type=path_arg, help="scenario file (YAML)")
    p.add_argument(
        "--baseline",
        metavar="FILE",
        type=path_arg,
        help="explain the difference SCENARIO - FILE at the end instead",
    )
    p.add_argument("--seed", type=seed, help="root seed (default: the scenario's)")
    p.add_argument("--replicates", type=positive_int, help="replicates (default: the scenario's)")
    p.add_argument(
        "--knockouts",
        "--mechanisms",  # the option's name before knockouts had their own word; one release
        dest="knockouts",
        type=_names,
        metavar="K1,K2,...",
        help="knockouts to run, each switching a mechanism or a part of one off (default: all)",
    )
    p.add_argument("--state", default="region", help="state printed and plotted (default: region)")
    p.add_argument(
        "--partner",
        "--power",  # the option's name before the partner column was renamed; one release
        dest="partner",
        help="partner printed; plotted besides China and Russia (default: china, or the "
        "first power when the scenario removes China)",
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        type=path_arg,
        help=(
            "output folder (default: results/attribution_<scenario>[_vs_<baseline>]"
            "[_<state>][_<partner>], the state and partner when not the defaults)"
        ),
    )
    p.add_argument("--no-plots", action="store_true", help="write tables only")
    p.add_argument(
        "--force", action="store_true", help="replace DIR (as a whole) even if it is not empty"
    )
    add_figure_options(p)

    p = sub.add_parser(
        "dashboard",
        help="live dashboard in the browser (SolaraViz; blocks until Ctrl-C)",
        description=(
            "Serve the live dashboard with 'solara run' until interrupted (Ctrl-C or SIGTERM). "
            "Open the printed address in a browser. The page's scripts and styles come from "
            "the installed solara-assets package: no internet is needed (docs/dashboard.md)."
        ),
    )
    p.add_argument("--port", type=port, default=8765, help="port to serve on (default: 8765)")
    p.add_argument("--host", default="localhost", help="host to listen on (default: localhost)")
    p.add_argument("--no-open", action="store_true", help="do not open a browser window")
    p.add_argument(
        "--scenarios",
        metavar="DIR",
        type=path_arg,
        help="folder of scenario files the picker lists (default: scenarios/)",
    )
    return {
        "compare": command_compare,
        "analyze": command_analyze,
        "attribute": command_attribute,
        "dashboard": command_dashboard,
    }


def command_compare(args: argparse.Namespace) -> int:
    """Run ``influence-sim compare``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code.
    """
    import warnings

    from influence_sim.analysis.comparison import compare, slug, summary_text
    from influence_sim.analysis.runset import SourceError
    from influence_sim.scenario import ScenarioError

    if len(args.inputs) < 2:
        error("compare needs at least two inputs (scenario files, run folders or sweeps)")
        return EXIT_USAGE
    if all(Path(i).is_dir() for i in args.inputs) and (code := _only_folders(args)) is not None:
        return code
    stems = [slug(Path(i).stem if Path(i).suffix else Path(i).name) for i in args.inputs]
    out = Path(args.out) if args.out else Path("results") / ("compare_" + "_vs_".join(stems))
    inputs = [f for i in args.inputs for f in scenario_inputs(i)]
    if (code := _out_folder(out, args.force, [*inputs, args.posterior])) is not None:
        return code
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the same warnings are printed from the notes
            comparison = compare(
                *args.inputs,
                names=args.names,
                seed=args.seed,
                replicates=args.replicates,
                posterior=posterior_choice(args),
            )
    except ScenarioError as exc:
        return report_problems(exc.problems)
    except (SourceError, ValueError) as exc:
        error(str(exc))
        return EXIT_USAGE
    _notes(comparison.notes)
    print(summary_text(comparison))
    return save_outputs(
        out,
        "the comparison",
        lambda folder: comparison.save(
            folder, plots=not args.no_plots, figures=figure_choice(args)
        ),
    )


def _only_folders(args: argparse.Namespace) -> int | None:
    """Exit code 2, with one line, for an option of the scenario files run when none is given."""
    given = [
        option
        for option, value in (
            ("--seed", args.seed),
            ("--replicates", args.replicates),
            ("--posterior", args.posterior),
            ("--no-posterior", args.no_posterior or None),
        )
        if value is not None
    ]
    if not given:
        return None
    error(
        f"{' and '.join(given)}: {'apply' if len(given) > 1 else 'applies'} to the scenario "
        "files compare runs, and every input is a run or sweep folder (nothing is run)"
    )
    return EXIT_USAGE


def command_analyze(args: argparse.Namespace) -> int:
    """Run ``influence-sim analyze``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code.
    """
    from influence_sim.analysis.sensitivity import SensitivityError, analyze

    default = Path(args.sweep_dir) / "analysis"
    if args.out and (problem := sweep_out_problem(args.sweep_dir, args.out, "analysis", default)):
        error(problem)
        return EXIT_USAGE
    try:
        result = analyze(args.sweep_dir, args.method, args.metric)
    except SensitivityError as exc:
        error(str(exc))
        return EXIT_USAGE
    _notes(result.notes)
    what = "Sobol' indices" if result.method == "sobol" else "Morris elementary effects"
    print(f"{what} of {result.metric} in sweep {result.sweep}")
    print(result.indices.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    out = Path(args.out) if args.out else default
    if (code := check_out_folder(out, force=True)) is not None:  # a file at --out
        return code
    return save_outputs(
        out,
        "the indices",
        lambda folder: result.save(folder, plots=not args.no_plots, figures=figure_choice(args)),
        whole=False,  # no --force: files in the folder are replaced one by one
    )


def command_attribute(args: argparse.Namespace) -> int:
    """Run ``influence-sim attribute``.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code.
    """
    from influence_sim._text import one_of, with_hint
    from influence_sim.analysis import attribution
    from influence_sim.analysis.attribution import describe
    from influence_sim.analysis.metrics import REGION
    from influence_sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    dims = scenario.dims
    states = [REGION, *dims.states]
    if args.state not in states:
        expected = with_hint(
            f"expected region or one of {', '.join(dims.states)}", args.state, states
        )
        error(f"--state: unknown state '{args.state}' ({expected})")
        return EXIT_USAGE
    partner = args.partner
    if partner is None:
        partner = next((p for p in DYAD if p in dims.powers), dims.powers[0])
    if partner not in dims.partners:
        error(f"--partner: unknown partner '{partner}' ({one_of(partner, dims.partners)})")
        return EXIT_USAGE
    out = Path(args.out) if args.out else default_attribution_folder(args)
    inputs = [*scenario_inputs(scenario), *scenario_inputs(args.baseline)]
    if (code := _out_folder(out, args.force, inputs)) is not None:
        return code
    try:
        result = attribution.attribute(
            args.scenario,
            args.baseline,
            seed=args.seed,
            replicates=args.replicates,
            knockouts=args.knockouts,
        )
    except ScenarioError as exc:
        return report_problems(exc.problems)
    except ValueError as exc:
        error(str(exc))
        return EXIT_USAGE
    try:
        for domain in ("economic", "security"):
            print(describe(result, args.state, domain, partner))
            print()
    except KeyError as exc:
        error(str(exc.args[0]) if exc.args else str(exc))
        return EXIT_USAGE
    print(
        "Effects are full run minus the run with the mechanism switched off; one-at-a-time "
        "effects\nare not additive, and 'remainder' holds their interactions "
        "(docs/analysis.md)."
    )
    return save_outputs(
        out,
        "the attribution",
        lambda folder: result.save(
            folder,
            plots=not args.no_plots,
            state=args.state,
            partner=partner,
            figures=figure_choice(args),
        ),
    )


def default_attribution_folder(args: argparse.Namespace) -> Path:
    """The folder ``attribute`` writes to without ``--out``.

    ``results/attribution_<scenario>``, followed by ``_vs_<baseline>`` with a baseline, and by
    the state and the partner when they are not the defaults, so that attributions asked
    differently do not collide.

    Args:
        args: Parsed arguments of ``attribute``.

    Returns:
        The folder.
    """
    from influence_sim.analysis.comparison import slug

    parts = [f"attribution_{slug(Path(args.scenario).stem)}"]
    if args.baseline:
        parts.append(f"vs_{slug(Path(args.baseline).stem)}")
    if args.state != "region":
        parts.append(slug(args.state))
    if args.partner not in (None, DYAD[0]):
        parts.append(slug(args.partner))
    return Path("results") / "_".join(parts)


def dashboard_command(port: int, host: str, open_browser: bool) -> list[str]:
    """The ``solara run`` command line that serves the dashboard.

    Args:
        port: Port to serve on.
        host: Host to listen on.
        open_browser: Whether solara should open a browser window.

    Returns:
        The command as a list of arguments.
    """
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "influence_sim.dashboard",
        "--port",
        str(port),
        "--host",
        host,
        "--production",
        "--no-check-version",
        "--open" if open_browser else "--no-open",
    ]


def dashboard_environment(scenarios: str | None = None) -> dict[str, str]:
    """The environment of the dashboard's server: offline assets, no calls home.

    Args:
        scenarios: Folder of scenario files the picker lists, if not ``scenarios/``.

    Returns:
        A copy of this process's environment with solara's settings added.
    """
    env = dict(os.environ)
    # the page's scripts, styles and fonts are served from solara-assets' copy
    env["SOLARA_ASSETS_PROXY"] = "true"
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "false"
    if scenarios is not None:
        env["INFLUENCE_SIM_SCENARIOS"] = str(Path(scenarios).resolve())
    return env


def offline_assets_problem() -> str | None:
    """Why the page would need the internet, or None when solara-assets matches solara."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        wanted = version("solara")
    except PackageNotFoundError:
        return "solara is not installed"
    try:
        found = version("solara-assets")
    except PackageNotFoundError:
        found = None
    if found != wanted:
        got = "not installed" if found is None else f"version {found}"
        return (
            f"solara-assets is {got}, solara is version {wanted}: the page will fetch its "
            f"scripts from the internet (pip install solara-assets=={wanted})"
        )
    return None


def command_dashboard(args: argparse.Namespace) -> int:
    """Run ``influence-sim dashboard``: serve the page until interrupted.

    The server replaces this process (``exec``), so Ctrl-C or a SIGTERM to the printed PID
    stops it and leaves no child serving the port.

    Args:
        args: Parsed arguments.

    Returns:
        Exit code of the server where it cannot replace this process (130 when interrupted).
    """
    if importlib.util.find_spec("solara") is None:
        error("the dashboard needs solara (pip install solara, or mesa[rec])")
        return EXIT_FAILURE
    if args.scenarios is not None and not Path(args.scenarios).is_dir():
        error(f"--scenarios: {args.scenarios}: not a folder")
        return EXIT_USAGE
    problem = offline_assets_problem()
    if problem is not None:
        print(f"warning: {problem}", file=sys.stderr)
    command = dashboard_command(args.port, args.host, not args.no_open)
    env = dashboard_environment(args.scenarios)
    print(
        f"Serving the dashboard on http://{args.host}:{args.port} "
        f"(process {os.getpid()}; Ctrl-C to stop)",
        flush=True,
    )
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(command[0], command, env)
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


__all__ = [
    "command_analyze",
    "command_attribute",
    "command_compare",
    "command_dashboard",
    "dashboard_command",
    "dashboard_environment",
    "default_attribution_folder",
    "offline_assets_problem",
    "register",
]
