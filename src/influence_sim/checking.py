"""Checking input files without running them: scenario files and sweep files alike.

``influence-sim validate`` takes either kind; they are told apart by their keys
(:func:`~influence_sim.scenario.load.is_sweep_document`). This sits above both
:mod:`influence_sim.scenario` and :mod:`influence_sim.sweep`, since a sweep file names a base
scenario and is checked with it.

Checking ends with a dry run: one run of the scenario (a sweep's base scenario) is set up, its
arrays built and its timeline compiled, so a file that passes also runs. Building arrays is the
model's side, which is why the dry run is here and not in the scenario layer.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from influence_sim._inputs import InputFileError
from influence_sim.initial import build
from influence_sim.scenario import Scenario
from influence_sim.scenario.errors import Problem, ScenarioError
from influence_sim.scenario.load import is_sweep_document, load_scenario
from influence_sim.scenario.yamlsafe import load_located
from influence_sim.sweep.spec import count_points, read_sweep_spec

__all__ = ["check_file", "dry_run", "validate_paths"]


def dry_run(scenario: Scenario) -> list[Problem]:
    """Set up one run of a loaded scenario: build its arrays and compile its timeline.

    Args:
        scenario: A loaded scenario.

    Returns:
        One whole-file problem if it cannot be set up (``the scenario cannot be set up: ...``),
        else nothing.
    """
    try:
        scenario.compile([np.random.SeedSequence(0)])
        build(scenario.dims, scenario.start, scenario.overrides(), scenario.reference_overrides())
    except InputFileError:  # a seed table, not the scenario: the command line names it
        raise
    except Exception as exc:  # validation should make this unreachable; a bug still gets one line
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [Problem(scenario.path, None, None, "", f"the scenario cannot be set up: {detail}")]
    return []


def check_file(path: str | os.PathLike[str]) -> tuple[str, list[Problem]]:
    """Check a scenario file or a sweep file (told apart by their keys) without running it.

    Args:
        path: A scenario file or a sweep file.

    Returns:
        ``(summary, problems)``: a short description of the file when it is valid (its name,
        dates and step for a scenario; its name, number of runs, design and base scenario for
        a sweep), and every problem found (empty when it is valid).
    """
    try:
        doc = load_located(path)
    except ScenarioError as exc:
        return "", list(exc.problems)
    if is_sweep_document(doc.data):
        try:
            spec, base = read_sweep_spec(path)
        except ScenarioError as exc:
            return "", list(exc.problems)
        problems = dry_run(base)
        if problems:
            return "", problems
        runs = count_points(spec) * spec.replicates
        return (
            f"sweep {spec.name}; {runs:,} runs, {spec.design.kind} design, "
            f"base scenario {spec.scenario_path}",
            [],
        )
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        return "", list(exc.problems)
    problems = dry_run(scenario)
    if problems:
        return "", problems
    return f"{scenario.name}; {scenario.start} to {scenario.end}, {scenario.step}", []


def validate_paths(paths: Sequence[str | os.PathLike[str]]) -> list[Problem]:
    """Check scenario files and sweep files without running them.

    Args:
        paths: Scenario files or sweep files (see :func:`check_file`).

    Returns:
        Every problem found in any of them (empty when all are valid), in the order given.
    """
    problems: list[Problem] = []
    for path in paths:
        problems.extend(check_file(path)[1])
    return problems
