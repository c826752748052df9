"""``influence-sim estimate`` and ``influence-sim hindcast``: the model against the country panel.

* ``estimate [--seeds DIR] [--until YEAR] [--no-weights] [--evaluations N]`` re-estimates the
  gravity elasticities, the arms demand, the behavioural weights and the residuals from
  ``panel.csv`` and writes ``estimates.csv`` and ``residuals.csv`` into the seeds folder;
* ``hindcast [SCENARIO] [--out DIR] [--replicates N] [--seed N] [--force]`` runs the hindcast
  and writes every panel figure beside the model's median and 5-95% band, PASS or FAIL by the
  tolerances of :mod:`influence_sim.validation`, with a figure per series.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from pathlib import Path

from influence_sim._cliutil import (
    EXIT_OK,
    EXIT_USAGE,
    add_figure_options,
    check_inputs_kept,
    check_out_folder,
    count_up_to,
    error,
    figure_choice,
    path_arg,
    positive_int,
    save_outputs,
    scenario_inputs,
    seed,
)
from influence_sim._text import counted

MAX_EVALUATIONS = 10_000
"""Most runs of ``estimate``'s weight fit (``--evaluations``); the default is 100."""

MAX_WALKERS = 1_000
"""Most walkers of ``fit``: its start scores eight prior draws per walker in one batch."""

MAX_STEPS = 100_000
"""Most steps of ``fit`` (``--steps``, and ``--chunk`` steps between saves)."""

MAX_DRAWS = 10_000
"""Most draws ``fit`` keeps: each is profiled again, all in one batch."""


def _year(low: int, high: int) -> Callable[[str], int]:
    """An argument type: a whole year from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a year") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{value} is outside the panel's usable years (expected {low} to {high})"
            )
        return value

    return parse


def register(sub: argparse._SubParsersAction) -> dict[str, object]:  # type: ignore[type-arg]
    """Add the commands to the ``influence-sim`` parser."""
    est = sub.add_parser(
        "estimate",
        help="re-estimate the model's panel estimates and residuals",
        description=(
            "Estimate the gravity elasticities, the arms demand, the behavioural weights and "
            "the residuals from the country panel; write estimates.csv and residuals.csv."
        ),
    )
    est.add_argument(
        "--seeds", metavar="DIR", type=path_arg, help="seeds folder (default: the package's)"
    )
    est.add_argument(
        "--out",
        metavar="DIR",
        type=path_arg,
        help="copy the seeds folder to DIR/seeds and estimate there (the original is untouched)",
    )
    est.add_argument("--force", action="store_true", help="replace an existing DIR/seeds")
    est.add_argument(
        "--until",
        type=_year(2009, 2021),
        default=2021,
        help="last panel year used, 2009 to 2021 (default 2021; two arms windows at least)",
    )
    est.add_argument(
        "--scenario",
        metavar="FILE",
        type=path_arg,
        help="hindcast scenario (default: the library's)",
    )
    est.add_argument(
        "--no-weights", action="store_true", help="keep the weights at their assumptions"
    )
    est.add_argument(
        "--evaluations",
        type=count_up_to(MAX_EVALUATIONS),
        default=100,
        help=f"most runs of the weight fit (default 100, at most {MAX_EVALUATIONS:,})",
    )
    hc = sub.add_parser(
        "hindcast",
        help="compare the hindcast with every figure of the country panel",
        description="Run the hindcast; write the panel figures beside the model, PASS or FAIL.",
    )
    hc.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", type=path_arg, help="hindcast scenario file"
    )
    hc.add_argument(
        "--out", metavar="DIR", type=path_arg, default="results/hindcast", help="output folder"
    )
    hc.add_argument("--replicates", type=positive_int, help="replicates (default: the scenario's)")
    hc.add_argument("--seed", type=seed, help="root seed (default: the scenario's)")
    hc.add_argument(
        "--force", action="store_true", help="replace DIR (as a whole) even if it is not empty"
    )
    hc.add_argument(
        "--seeds",
        metavar="DIR",
        type=path_arg,
        help="seeds folder to run with (one written by estimate --out)",
    )
    hc.add_argument(
        "--holdout",
        type=_year(2005, 2021),
        metavar="YEAR",
        help="figures from YEAR on are out of sample: compare them with two naive forecasts",
    )
    hc.add_argument(
        "--posterior",
        metavar="FILE",
        type=path_arg,
        help="draw each replicate's parameters from this posterior.csv (a fit's); bands then "
        "carry parameter uncertainty",
    )
    hc.add_argument(
        "--fit",
        metavar="DIR",
        type=path_arg,
        help="a folder written by `fit`: the same as --seeds DIR/seeds --posterior "
        "DIR/posterior.csv --holdout (the fit's --until + 1)",
    )
    add_figure_options(hc)
    fit = sub.add_parser(
        "fit",
        help="sample the posterior of the model's parameters given the country panel",
        description=(
            "Fit the behavioural parameters of seeds/priors.csv to every panel figure up to "
            "--until with emcee's ensemble MCMC (residuals profiled out); write posterior.csv, "
            "posterior.json, summary.csv, chain.npz and figures into --out."
        ),
    )
    fit.add_argument(
        "scenario", nargs="?", metavar="SCENARIO", type=path_arg, help="hindcast scenario file"
    )
    fit.add_argument(
        "--until", type=_year(2009, 2021), default=2019, help="last panel year used (default 2019)"
    )
    fit.add_argument(
        "--out", metavar="DIR", type=path_arg, help="output folder (default: results/fit_<until>)"
    )
    fit.add_argument(
        "--seeds", metavar="DIR", type=path_arg, help="seeds folder to fit (default: the package's)"
    )
    fit.add_argument(
        "--priors", metavar="FILE", type=path_arg, help="priors file (default: seeds/priors.csv)"
    )
    fit.add_argument(
        "--walkers",
        type=count_up_to(MAX_WALKERS),
        default=24,
        help=f"walkers (default 24, at most {MAX_WALKERS:,})",
    )
    fit.add_argument(
        "--steps",
        type=count_up_to(MAX_STEPS),
        default=160,
        help=f"steps (default 160, at most {MAX_STEPS:,}; the chain must fit in memory)",
    )
    fit.add_argument("--burn", type=int, help="steps discarded (default: half)")
    fit.add_argument(
        "--draws",
        type=count_up_to(MAX_DRAWS),
        default=200,
        help=f"draws kept (default 200, at most {MAX_DRAWS:,})",
    )
    fit.add_argument("--seed", type=seed, default=1, help="sampler seed (default 1)")
    fit.add_argument("--workers", type=positive_int, default=2, help="processes (default 2)")
    fit.add_argument(
        "--chunk",
        type=count_up_to(MAX_STEPS),
        default=10,
        help=f"steps between saves (default 10, at most {MAX_STEPS:,})",
    )
    fit.add_argument("--resume", action="store_true", help="continue the chain saved in DIR")
    fit.add_argument("--force", action="store_true", help="start over in a non-empty DIR")
    fit.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_figure_options(fit)
    return {"estimate": _command_estimate, "hindcast": _command_hindcast, "fit": _command_fit}


def _command_fit(args: argparse.Namespace) -> int:
    import signal

    from influence_sim._lock import FolderInUseError, exclusive_folder
    from influence_sim.sweep.cli import EXIT_TERMINATED, Terminated, _on_sigterm, restore_sigterm

    out = Path(args.out) if args.out else Path("results") / f"fit_{args.until}"
    # a file at or above --out; with --force, an input in the folder it would empty
    keep = args.force and not args.resume
    inputs = (args.seeds, args.priors, *scenario_inputs(args.scenario)) if keep else ()
    code = check_out_folder(out, force=True, inputs=inputs)
    if code is not None:
        return code
    previous = signal.signal(signal.SIGTERM, _on_sigterm)  # stop the way Ctrl-C stops
    try:
        with exclusive_folder(out, "fit"):
            return _fit(args, out)
    except FolderInUseError as exc:
        error(str(exc))
        return EXIT_USAGE
    except Terminated:
        error("terminated; the chain saved so far is kept: run again with --resume")
        return EXIT_TERMINATED
    finally:
        restore_sigterm(previous)


def _fit(args: argparse.Namespace, out: Path) -> int:
    """``fit`` once it holds the lock of its output folder ``out``."""
    import shutil

    from influence_sim import seeds as sd
    from influence_sim._files import write_text_atomic
    from influence_sim._lock import contents, empty_folder
    from influence_sim.estimate import estimate_all
    from influence_sim.posterior import (
        FitSettings,
        PosteriorError,
        PriorError,
        load_priors,
        posterior_from_chain,
        sample_posterior,
        write_posterior,
    )
    from influence_sim.posterior_plots import save_fit_figures, summary_frame, summary_text

    source = Path(args.seeds) if args.seeds else sd.seeds_dir()
    if not (source / "panel.csv").is_file():
        error(f"{source}: no panel.csv in this folder (expected a seeds folder)")
        return EXIT_USAGE
    sd.panel_of(sd.load_seeds(source))  # a damaged table is named here, not in the fit's copy
    if args.scenario is not None:
        code = _check_hindcast(args.scenario, args.until)
        if code is not None:
            return code
    try:
        priors = load_priors(args.priors or source / "priors.csv")
    except PriorError as exc:
        error(str(exc))
        return EXIT_USAGE
    if args.walkers < 2 * len(priors) or args.walkers % 2:
        error(f"--walkers: must be even and at least {2 * len(priors)} (twice the parameters)")
        return EXIT_USAGE
    burn = args.burn if args.burn is not None else args.steps // 2
    if not 0 <= burn < args.steps:
        error(f"--burn: must be from 0 to {args.steps - 1} (below --steps)")
        return EXIT_USAGE
    code = _check_chain_memory(args.walkers, args.steps, len(priors))
    if code is not None:
        return code
    chain_file = out / "chain.npz"
    if args.resume and not chain_file.is_file():
        # A fit stopped before its first save leaves only its seeds copy (or the copy being
        # made, or the chain being saved): nothing to lose, so the chain starts here.
        left = contents(out)
        if not left or any(p.name not in ("seeds", ".seeds.tmp", ".chain.npz.tmp") for p in left):
            error(f"{out}: no chain.npz to resume (run without --resume to start)")
            return EXIT_USAGE
        print(f"{out}: no chain saved yet (the fit stopped before its first save); starting it")
    if not args.resume and contents(out):
        if not args.force:
            error(f"{out}: output folder is not empty (--force starts over, --resume goes on)")
            return EXIT_USAGE
        empty_folder(out)
    settings = FitSettings(
        until=args.until,
        walkers=args.walkers,
        steps=args.steps,
        burn=args.burn,
        draws=args.draws,
        seed=args.seed,
        chunk=args.chunk,
        workers=args.workers,
        scenario=args.scenario,
    )
    started = time.time()
    seeds_copy = out / "seeds"
    if args.resume and args.seeds and seeds_copy.is_dir():
        changed = _other_seeds(source, seeds_copy)
        if changed is not None:
            error(
                f"{out}: its fit started from other seeds ({changed} differs in {source}); "
                "resume without --seeds, or use --force to start over"
            )
            return EXIT_USAGE
    if not seeds_copy.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        tmp = out / ".seeds.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        shutil.copytree(source, tmp)
        estimate_all(tmp, until=args.until, scenario=args.scenario, weights=False)
        tmp.rename(seeds_copy)
        print(f"panel estimates through {args.until} in {seeds_copy}")
    try:
        chain = sample_posterior(
            settings,
            out,
            priors,
            seeds_dir=seeds_copy,
            resume=args.resume,
            progress=not args.no_progress,
        )
    except PosteriorError as exc:
        error(str(exc))
        return EXIT_USAGE
    post = posterior_from_chain(chain, settings, priors, seeds_copy)
    written = write_posterior(out, post)
    frame = summary_frame(post, priors)
    written.append(write_text_atomic(out / "summary.csv", frame.to_csv(index=False)))
    label = f"fit to {args.until}"
    written += save_fit_figures(
        out, post, chain, priors, settings.burn_steps, label, figure_choice(args)
    )
    meta = post.meta
    print(summary_text(post, priors))
    times = list(meta["autocorrelation_time_steps"].values())
    if all(math.isfinite(t) for t in times):
        tau = f"{min(times):.0f} to {max(times):.0f}"
    else:  # emcee gives NaN for a chain too short to estimate it
        tau = f"not estimated from {counted(chain.n_steps - settings.burn_steps, 'kept step')}"
    print(
        f"{counted(chain.n_steps, 'step')} x {counted(args.walkers, 'walker')}, burn-in "
        f"{settings.burn_steps}; acceptance {meta['acceptance_fraction']:.2f}; autocorrelation "
        f"time (steps) {tau}; sampling {chain.seconds:.0f} s (the whole chain), this command "
        f"{time.time() - started:.0f} s"
    )
    if post.n_draws < args.draws:
        print(
            f"kept {counted(post.n_draws, 'draw')} of the {args.draws} asked for: the chain "
            "after burn-in has no more (more --steps or --walkers give more)"
        )
    print(f"wrote {', '.join(p.name for p in written)} to {out}")
    return EXIT_OK


def _check_chain_memory(walkers: int, steps: int, n_par: int) -> int | None:
    """Exit code 2, with one line, if a chain of this size would not fit in memory."""
    from influence_sim.ensemble import MEMORY_LIMIT_ENV, MemoryLimitError, _gib, memory_limit

    try:
        allowed = memory_limit()
    except MemoryLimitError as exc:
        error(str(exc))
        return EXIT_USAGE
    # positions, log posterior and log-likelihood per walker and step, twice while a chunk is
    # added to the chain
    need = 2 * 8 * walkers * (steps + 1) * (n_par + 2)
    if allowed is None or need <= allowed:
        return None
    error(
        f"--steps, --walkers: a chain of {steps:,} steps x {walkers:,} walkers needs about "
        f"{_gib(need)} of memory, more than the {_gib(allowed)} allowed (expected fewer steps "
        f"or walkers; {MEMORY_LIMIT_ENV} raises the limit)"
    )
    return EXIT_USAGE


def _check_hindcast(path: str, until: int) -> int | None:
    """Report why ``path`` is no hindcast scenario through ``until`` (exit code), or None."""
    from influence_sim._cliutil import report_problems
    from influence_sim.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    if scenario.start.year > 2000 or scenario.end.year <= until:
        error(
            f"{path}: the scenario runs from {scenario.start} to {scenario.end} "
            f"(expected a hindcast from 2000 through {until})"
        )
        return EXIT_USAGE
    return None


def _other_seeds(source: Path, copy: Path) -> str | None:
    """The first table of ``source`` that differs from a fit's copy of its seeds, or None.

    The copy's estimates and residuals are the fit's own, written over what it copied.
    """
    import filecmp

    for path in sorted(source.iterdir()):
        if path.is_file() and path.name not in ("estimates.csv", "residuals.csv"):
            twin = copy / path.name
            if not twin.is_file() or not filecmp.cmp(path, twin, shallow=False):
                return path.name
    return None


def _command_estimate(args: argparse.Namespace) -> int:
    from influence_sim.estimate import estimate_all

    if args.seeds is not None and not Path(args.seeds, "panel.csv").is_file():
        error(f"{args.seeds}: no panel.csv in this folder (expected a seeds folder)")
        return EXIT_USAGE
    if args.scenario is not None:
        code = _check_hindcast(args.scenario, args.until)
        if code is not None:
            return code
    folder = args.seeds
    if args.out is not None:
        import shutil

        from influence_sim import seeds as sd

        source = Path(args.seeds) if args.seeds else sd.seeds_dir()
        sd.panel_of(sd.load_seeds(source))  # a damaged table is named here, not in the copy
        target = Path(args.out) / "seeds"
        code = check_out_folder(Path(args.out), force=True)  # a file at --out
        if code is not None:
            return code
        if target.exists() and not args.force:
            error(f"{target}: already exists (use --force to replace it)")
            return EXIT_USAGE
        if target.exists() and (
            code := check_inputs_kept(target, (source, *scenario_inputs(args.scenario)))
        ):
            return code
        if target.exists():
            shutil.rmtree(target)
        try:
            shutil.copytree(source, target)
        except OSError as exc:
            error(f"{target}: cannot copy the seeds folder: {exc.strerror or exc}")
            return 1
        folder = str(target)
    started = time.time()
    fits = estimate_all(
        folder,
        until=args.until,
        scenario=args.scenario,
        weights=not args.no_weights,
        max_evaluations=args.evaluations,
    )
    gravity = fits["gravity"]
    arms = fits["arms"]
    print(
        f"gravity: gdp elasticity {gravity.value('gdp_elasticity'):.3f} "  # type: ignore[attr-defined]
        f"(se {gravity.error('gdp_elasticity'):.3f}), partner elasticity "  # type: ignore[attr-defined]
        f"{gravity.value('partner_total_elasticity'):.3f}, infrastructure "  # type: ignore[attr-defined]
        f"{gravity.value('infrastructure_weight'):.3f}; within R2 {gravity.r2_within:.2f}"  # type: ignore[attr-defined]
    )
    bound = (
        f"; the regression's {arms.regression:.3f} lies outside its range"  # type: ignore[attr-defined]
        if arms.bounded  # type: ignore[attr-defined]
        else ""
    )
    print(f"arms demand: GDP elasticity {arms.elasticity:.3f} (se {arms.se:.3f}){bound}")  # type: ignore[attr-defined]
    weights = fits["weights"]
    if weights is not None:
        values = ", ".join(f"{k} {v:.3f}" for k, v in weights.values.items())  # type: ignore[attr-defined]
        print(
            f"weights: {values}; misfit {weights.misfit_start:.0f} -> {weights.misfit:.0f}"  # type: ignore[attr-defined]
        )
    res = fits["residuals"]
    print(f"residuals: {res.iterations} iterations, largest gap left {res.max_gap:.1e}")  # type: ignore[attr-defined]
    where = folder or "the package's seeds folder"
    print(f"wrote estimates.csv and residuals.csv to {where} ({time.time() - started:.1f} s)")
    return EXIT_OK


def _fit_until(meta_file: Path) -> int | str:
    """The last panel year of the fit whose ``posterior.json`` this is, or why it is unknown."""
    from influence_sim._inputs import InputFileError, read_json_object

    try:
        until = read_json_object(meta_file).get("until")
    except InputFileError as exc:
        return exc.reason
    return until if isinstance(until, int) else "no 'until' in it"


def _command_hindcast(args: argparse.Namespace) -> int:
    from influence_sim._cliutil import report_problems
    from influence_sim._files import json_text, write_text_atomic
    from influence_sim.api import run
    from influence_sim.estimate import DEFAULT_SCENARIO, _library
    from influence_sim.scenario import ScenarioError, load_scenario
    from influence_sim.validation import (
        PANEL_LAST_TRADE,
        TRADE_YEARS,
        hindcast_table,
        save_hindcast_figures,
        save_holdout_figures,
        summary,
    )

    if args.fit is not None:
        if args.seeds is not None or args.posterior is not None:
            error("--fit names the seeds and the posterior: give it without --seeds or --posterior")
            return EXIT_USAGE
        meta_file = Path(args.fit, "posterior.json")
        until = _fit_until(meta_file)
        if isinstance(until, str):
            error(
                f"{meta_file}: cannot read the fit's metadata ({until}; expected a folder "
                "written by `influence-sim fit`)"
            )
            return EXIT_USAGE
        args.seeds = str(Path(args.fit, "seeds"))
        args.posterior = str(Path(args.fit, "posterior.csv"))
        if args.holdout is None:
            args.holdout = until + 1
    if args.seeds is not None:
        if not Path(args.seeds, "panel.csv").is_file():
            error(f"{args.seeds}: no panel.csv in this folder (expected a seeds folder)")
            return EXIT_USAGE
        import os

        os.environ["INFLUENCE_SIM_SEEDS"] = str(Path(args.seeds).resolve())
    path = args.scenario or str(_library() / DEFAULT_SCENARIO)
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return report_problems(exc.problems)
    out = Path(args.out)
    code = check_out_folder(
        out, args.force, inputs=(*scenario_inputs(scenario), args.seeds, args.posterior)
    )
    if code is not None:
        return code
    from influence_sim.ensemble import MemoryLimitError, NonFiniteError
    from influence_sim.posterior import PosteriorError

    try:
        results = run(
            scenario,
            seed=args.seed,
            replicates=args.replicates,
            posterior=args.posterior if args.posterior else False,
        )
    except (PosteriorError, MemoryLimitError, NonFiniteError) as exc:
        error(str(exc))
        return EXIT_USAGE
    years: tuple[int, ...] = TRADE_YEARS
    if args.holdout is not None:  # every panel year out of sample
        years = tuple(sorted(set(TRADE_YEARS) | set(range(args.holdout, PANEL_LAST_TRADE + 1))))
    table = hindcast_table(results.output, years=years)
    if table.empty:
        error(
            f"{path}: the scenario covers no year of the country panel (it runs from "
            f"{scenario.start} to {scenario.end}; expected a hindcast such as hindcast_2000.yaml)"
        )
        return EXIT_USAGE
    counts = summary(table)
    print(counts.to_string())
    passed = int((table["result"] == "PASS").sum())
    print(f"{passed} of {len(table)} panel figures within tolerance")
    holdout = None
    if args.holdout is not None:
        import pandas as pd

        from influence_sim.validation import holdout_summary, holdout_table, target_rows

        holdout = holdout_table(table, args.holdout)
        extra = target_rows(results.output, args.holdout)
        holdout = pd.concat([holdout, extra], ignore_index=True)
        print()
        print(f"out of sample (from {args.holdout}): model and naive forecasts, PASS counts")
        print(holdout_summary(holdout).to_string())

    posterior_until = None
    if args.posterior:
        found = _fit_until(Path(args.posterior).with_suffix(".json"))
        posterior_until = found if isinstance(found, int) else None
    provenance = {
        "scenario": Path(path).name,
        "seed": results.seed,
        "replicates": results.output.n_runs,
        "seeds_folder": args.seeds or "package",  # the folder as given
        "posterior": Path(args.posterior).name if args.posterior else None,
        "posterior_until": posterior_until,
        "holdout": args.holdout,
    }

    def write(folder: Path) -> list[Path]:
        written = [folder / "hindcast.csv"]
        table.to_csv(written[0], index=False)
        written.append(write_text_atomic(folder / "hindcast.json", json_text(provenance)))
        if holdout is not None:
            written.append(folder / "holdout.csv")
            holdout.to_csv(written[-1], index=False)
        figures = figure_choice(args)
        written.extend(
            save_hindcast_figures(
                results.output,
                folder,
                holdout=args.holdout,
                figures=figures,
                shocks=results.shock_dates,
            )
        )
        if holdout is not None:
            written.extend(save_holdout_figures(holdout, folder, figures=figures))
        return written

    return save_outputs(out, "hindcast", write)
