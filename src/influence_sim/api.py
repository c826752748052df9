"""The high-level Python API: run a scenario's replicates and get tidy results.

``influence_sim.run(scenario, seed=1, replicates=5)`` steps all replicates at once with the
ensemble driver; replicate ``i`` uses the ``i``-th child of the root seed, so
``InfluenceModel.from_scenario(scenario, rng=replicate_seeds(1, 5)[i])`` reproduces it exactly.

``influence_sim.simulate(scenario, overrides={path: value}, ...)`` is the entry point for other
tools (the EMA Workbench, SALib, a spreadsheet): scenario plus parameter values in, a small
table of named scalar outcomes out (:mod:`influence_sim.outcomes`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from influence_sim._inputs import path_argument
from influence_sim._text import check_count
from influence_sim.ensemble import check_finite, check_memory, recorded_steps, simulate_runs
from influence_sim.results import Results, run_metadata
from influence_sim.rng import as_seed_sequence, replicate_seeds
from influence_sim.scenario import Scenario, load_scenario

if TYPE_CHECKING:
    import pandas as pd

    from influence_sim.posterior import Posterior


def run(
    scenario: Scenario | str | os.PathLike[str],
    seed: int | None = None,
    replicates: int | None = None,
    every: int | None = None,
    posterior: str | os.PathLike[str] | bool | None = None,
    memory_limit: float | str | None = None,
) -> Results:
    """Run a scenario's replicates and return their results.

    Args:
        scenario: A loaded scenario or the path of a scenario file.
        seed: Root seed; defaults to the scenario's ``seed`` (fresh entropy if it has none).
        replicates: Number of replicates; defaults to the scenario's ``replicates``.
        every: Record every ``every``-th step (the first and last always); defaults to the
            scenario's ``outputs.every``.
        posterior: Where each replicate's parameters come from: None follows the scenario's
            ``posterior:`` key, False uses the point estimates (no draws), True the
            scenario's posterior (an error if it names none), a path that posterior file.
        memory_limit: Largest memory the results may take (bytes, ``4e9`` too, or a size
            such as ``"64G"``; 0 for none); by default ``$INFLUENCE_SIM_MEMORY_LIMIT`` or three
            quarters of the available memory.

    Returns:
        The results, with tidy DataFrames and provenance.

    Raises:
        influence_sim.scenario.ScenarioError: If a scenario file is invalid.
        ValueError: If ``replicates`` or ``every`` is not a whole number of at least 1,
            ``seed`` is not a whole number of at least 0 (or a ``SeedSequence`` or
            ``Generator``), or ``memory_limit`` is not a size (a negative or fractional number
            of bytes included).
        influence_sim.ensemble.MemoryLimitError: If the results would need more memory than
            the limit (checked before running).
        influence_sim.ensemble.NonFiniteError: If a run produces NaN or infinite values
            (the message names the first variable, replicate and date).
        influence_sim.posterior.PosteriorError: If the posterior file is missing or does not
            match the model's parameter table.
        TypeError: If ``posterior`` is neither a path, True, False nor None.
    """
    started = time.time()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    n = check_count("replicates", scenario.replicates if replicates is None else replicates)
    clock = scenario.clock()
    every = scenario.outputs.every if every is None else every
    check_memory(scenario.dims, len(recorded_steps(clock.n_steps, every)), n, memory_limit)
    root = as_seed_sequence(scenario.seed if seed is None else seed)
    # recorded as a whole number, which a Generator's draws or a spawned sequence are not
    root_seed = int(root.entropy) if isinstance(root.entropy, int) and not root.spawn_key else None
    seeds = replicate_seeds(root, n)
    post = resolve_posterior(scenario, posterior)
    with np.errstate(all="ignore"):  # a non-finite result is reported by check_finite
        output = simulate_runs(
            scenario.dims,
            clock,
            seeds,
            overrides=scenario.overrides(),
            reference_overrides=scenario.reference_overrides(),
            timeline=scenario.compile(seeds),
            every=every,
            posterior=post,
        )
    check_finite(output)
    meta = run_metadata(scenario.path, scenario.sha256, started, time.time())
    meta.update(
        {
            "scenario_name": scenario.name,
            "scenario_description": scenario.description,
            "scenario_files": list(scenario.files),
            "start": scenario.start.isoformat(),
            "end": scenario.end.isoformat(),
            "step": scenario.step,
            "shocks": shock_records(scenario),
            "posterior": None if post is None else str(post.path),
            "posterior_draws": None if post is None else [int(i) for i in post.draw_index(seeds)],
        }
    )
    return Results(scenario.name, output, seeds, root_seed, meta)


def simulate(
    scenario: Scenario | str | os.PathLike[str],
    overrides: Mapping[str, Any] | None = None,
    *,
    seed: int | None = None,
    replicates: int | None = None,
    outputs: Sequence[str] | str | None = None,
    posterior: str | os.PathLike[str] | bool | None = None,
) -> pd.DataFrame:
    """Run a scenario with some values changed and return named scalar outcomes per replicate.

    The entry point for other tools: the overrides are applied as a scenario file that
    ``extends`` the scenario would write them, and validated the same way, so a value a
    scenario file would refuse is refused here with the same message (nothing is clipped).

    Args:
        scenario: A loaded scenario or the path of a scenario file.
        overrides: Dotted paths, as in sweep files and shock targets, to values:
            ``parameters.coordination``, ``states.tajikistan.hedging``, ``states.*.hedging``,
            ``powers.china.doctrine``, ``afghanistan.instability``,
            ``states.kazakhstan.security_share.china``, ... A bare parameter name
            (``coordination``, ``hedging``) means the parameter for every entity.
        seed: Root seed; defaults to the scenario's. Replicate ``i`` uses the ``i``-th child
            seed, as :func:`run` does.
        replicates: Number of replicates; defaults to the scenario's.
        outputs: Outcomes to return: names of the table in :mod:`influence_sim.outcomes`, or
            shell-style patterns (``final.security_share.region.*``). Default: every outcome.
        posterior: As for :func:`run`: None follows the scenario, False uses the point
            estimates.

    Returns:
        One row per replicate (index ``replicate``), one column per outcome. Take
        ``.mean(numeric_only=True)`` for the ensemble mean.

    Raises:
        influence_sim.scenario.ScenarioError: If the scenario file or an override is invalid;
            an override's problems are located in the file ``overrides``
            (``overrides: parameters.coordination: 1.7 is out of range (expected a number from
            0 to 1)``).
        ValueError: If ``replicates`` is not a whole number of at least 1, ``seed`` is not a
            whole number of at least 0, an output matches no outcome, or ``outputs`` is empty.
        TypeError: If an output is not text.
        influence_sim.ensemble.NonFiniteError: If a run produces NaN or infinite values
            (parameter values beyond what the model computes), as in :func:`run`.
        influence_sim.ensemble.MemoryLimitError: If the runs would not fit in memory.

    Examples:
        >>> import influence_sim
        >>> out = influence_sim.simulate(
        ...     "scenarios/afghan_takeover.yaml",
        ...     overrides={"parameters.coordination": 0.3, "states.tajikistan.hedging": 0.8},
        ...     seed=1,
        ...     replicates=2,
        ...     outputs=["final.security_share.region.china", "final.security_guarantor.*"],
        ... )
        >>> out.shape
        (2, 6)
        >>> out["final.security_guarantor.tajikistan"].tolist()  # two posterior draws
        ['russia', 'china']
    """
    from influence_sim.outcomes import run_outcomes, select_outcomes
    from influence_sim.overrides import scenario_with_overrides

    loaded, direct = scenario_with_overrides(scenario, overrides)
    names = select_outcomes(outputs, loaded.dims)
    n = check_count("replicates", loaded.replicates if replicates is None else replicates)
    seeds = replicate_seeds(as_seed_sequence(loaded.seed if seed is None else seed), n)
    clock = loaded.clock()
    check_memory(loaded.dims, len(recorded_steps(clock.n_steps, 1)), n)
    with np.errstate(all="ignore"):  # a non-finite result is reported by check_finite
        output = simulate_runs(
            loaded.dims,
            clock,
            seeds,
            overrides={**loaded.overrides(), **direct},
            reference_overrides=loaded.reference_overrides(),
            timeline=loaded.compile(seeds),
            every=1,
            posterior=resolve_posterior(loaded, posterior),
        )
    check_finite(output)
    return run_outcomes(output, names)


def shock_records(scenario: Scenario) -> list[dict[str, Any]]:
    """The scenario's shocks as JSON-ready records for the results' metadata.

    Each record has the shock's ``name`` and ``date`` (ISO string: the date it acts, or the start
    of its window for a ramp or a triggered shock). A window's end is kept as ``until``; a shock
    that waits for a condition on the model's state has ``triggered: true`` (its date is only the
    first date it may fire); a shock that happens in some replicates only keeps its
    ``probability``. Records are sorted by date and name, one per (date, name).

    Args:
        scenario: A loaded scenario (inherited shocks included).

    Returns:
        The records.
    """
    records: dict[tuple[str, str], dict[str, Any]] = {}
    for shock in scenario.shocks:
        day = shock.start_date
        if day is None:
            continue
        record: dict[str, Any] = {"name": shock.name, "date": day.isoformat()}
        if shock.between is not None:
            record["until"] = shock.between[1].isoformat()
        if shock.when is not None:
            record["triggered"] = True
        if shock.probability < 1.0:
            record["probability"] = float(shock.probability)
        records.setdefault((record["date"], shock.name), record)
    return [records[key] for key in sorted(records)]


def resolve_posterior(
    scenario: Scenario, choice: str | os.PathLike[str] | bool | None = None
) -> Posterior | None:
    """The posterior a run of ``scenario`` draws from (see :func:`run`'s ``posterior``).

    Raises:
        influence_sim.posterior.PosteriorError: If it cannot be used.
        TypeError: If ``choice`` is neither a path, True, False nor None.
    """
    from influence_sim.posterior import PosteriorError, load_posterior

    if choice is False:
        return None
    if choice is None or choice is True:
        path = scenario.posterior
        if path is None:
            if choice is True:
                raise PosteriorError(f"{scenario.path}: posterior: the scenario names none")
            return None
        try:
            return load_posterior(path)
        except PosteriorError as exc:
            raise PosteriorError(f"{scenario.path}: posterior: {exc}") from None
    return load_posterior(path_argument("posterior", choice, ", True, False or None"))


__all__ = ["resolve_posterior", "run", "shock_records", "simulate"]
