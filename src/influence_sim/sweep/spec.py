"""Sweep files: reading and validating the description of a parameter sweep.

A sweep file names a base scenario, the values to vary (dotted paths, as scenario shocks target
them), an experimental design, the replicates per design point, the metrics to keep and the
seed (``docs/sweeps.md``). :func:`read_sweep_spec` checks the whole file in one pass and raises
a :class:`SweepError` listing every problem as ``FILE:LINE:COL: key.path: message (expected
...)``, like scenario files.

The checks are plain functions that record each problem at its key path in the scenario layer's
collector (``_Issues``), for the document to locate; what they return is used only if the file
has no problem at all. A sweep file is not a pydantic model: every value has a message of its
own and what a value may be depends on others (the design kind decides what ``vary`` takes; the
base scenario, loaded half-way, decides the paths and the seed), so a model would only dispatch
to these checks.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from influence_sim._inputs import InputFileError, file_sha256
from influence_sim._text import text_problem
from influence_sim.kernel.arrays import Dims
from influence_sim.overrides import path_bounds
from influence_sim.paths import PathError, canonical_path, resolve
from influence_sim.scenario.compile import Scenario
from influence_sim.scenario.errors import PathItem, Problem, ScenarioError, kind_of, suggest
from influence_sim.scenario.load import load_scenario
from influence_sim.scenario.spec import _fail, _fmt, _Issues
from influence_sim.scenario.yamlsafe import Located, load_located

DesignKind = Literal["grid", "cases", "lhs", "sobol", "morris"]
Scale = Literal["linear", "log"]

DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("kind",),
    "cases": ("kind", "cases"),
    "lhs": ("kind", "points", "seed"),
    "sobol": ("kind", "base", "second_order", "seed"),
    "morris": ("kind", "trajectories", "levels", "seed"),
}
"""Keys each design kind accepts under ``design:``."""

DESIGN_KINDS: tuple[str, ...] = tuple(DESIGN_KEYS)
"""Designs a sweep file may ask for."""

_SIZES = {
    "lhs": ("points", "the number of points, e.g. 64"),
    "sobol": ("base", "the base sample size N, a power of 2 such as 64"),
    "morris": ("trajectories", "the number of trajectories, e.g. 20"),
}
"""The key giving the size of each random design, and what it expects."""

METRIC_GROUPS: tuple[str, ...] = ("shares", "trade", "relations", "crossover", "guarantors")
"""Groups of summary metrics a sweep can keep (see ``docs/sweeps.md``)."""

TOP_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "scenario",
    "seed",
    "replicates",
    "common_random_numbers",
    "vary",
    "design",
    "keep",
)
"""Keys allowed at the top of a sweep file."""

FACTOR_KEYS: tuple[str, ...] = ("low", "high", "values", "num", "scale")
KEEP_KEYS: tuple[str, ...] = ("final", "timeseries")
TIMESERIES_KEYS: tuple[str, ...] = ("every", "states")

MAX_RUNS = 10_000_000
"""Largest number of runs (design points times replicates) a sweep may have."""

MAX_SEED = 2**63 - 1


class SweepError(ScenarioError):
    """A sweep file that cannot be used; carries every problem found (see ScenarioError)."""


@dataclass(frozen=True)
class Factor:
    """One varied value.

    Attributes:
        path: Canonical dotted path (wildcards allowed, e.g. ``states.*.hedging``).
        low: Lower end of the range (None for a grid given by values, or for cases).
        high: Upper end of the range.
        values: Grid values, in the order given (None unless the design is a grid).
        scale: ``linear`` or ``log``: how the range is spread.
        bounds: ``(low, high)`` the path accepts (``high`` may be ``inf``).
    """

    path: str
    low: float | None = None
    high: float | None = None
    values: tuple[float, ...] | None = None
    scale: Scale = "linear"
    bounds: tuple[float, float] = (-math.inf, math.inf)


@dataclass(frozen=True)
class DesignSpec:
    """The experimental design asked for.

    Attributes:
        kind: ``grid``, ``cases``, ``lhs``, ``sobol`` or ``morris``.
        points: Points of a Latin hypercube.
        base: Base sample size ``N`` of a Sobol (Saltelli) design, a power of two.
        second_order: Whether a Sobol design allows second-order indices.
        trajectories: Trajectories of a Morris design.
        levels: Grid levels of a Morris design.
        cases: Hand-picked points of a ``cases`` design (path to value).
        seed: Seed of the random design (None for grid and cases).
    """

    kind: DesignKind
    points: int | None = None
    base: int | None = None
    second_order: bool = True
    trajectories: int | None = None
    levels: int = 4
    cases: tuple[dict[str, float], ...] = ()
    seed: int | None = None


@dataclass(frozen=True)
class KeepSpec:
    """What a sweep records.

    Attributes:
        final: Groups of summary metrics kept per run (from :data:`METRIC_GROUPS`).
        every: Record the time series every ``every`` steps (plus the first and last); None
            for no time series.
        states: Whether the time series has per-state rows besides the regional ones.
    """

    final: tuple[str, ...] = METRIC_GROUPS
    every: int | None = 4
    states: bool = True


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file (without its base scenario loaded).

    Attributes:
        path: The sweep file as the user gave it.
        sha256: Hash of the sweep file's bytes.
        name: Name of the sweep.
        description: Free text.
        scenario_path: Path of the base scenario, relative to the current folder.
        seed: Root seed of the runs.
        replicates: Runs per design point.
        common_random_numbers: If true, replicate ``j`` of every point uses the same seed.
        factors: Varied values, in file order.
        design: The design.
        keep: What to record.
    """

    path: str
    sha256: str
    name: str
    description: str
    scenario_path: str
    seed: int
    replicates: int
    common_random_numbers: bool
    factors: tuple[Factor, ...]
    design: DesignSpec
    keep: KeepSpec = field(default_factory=KeepSpec)

    @property
    def names(self) -> tuple[str, ...]:
        """Paths of the varied values, in file order."""
        return tuple(f.path for f in self.factors)


# --------------------------------------------------------------------------- design size


def spread(low: float, high: float, num: int, scale: Scale) -> list[float]:
    """``num`` values from ``low`` to ``high``, evenly spaced (or evenly on a log scale).

    Args:
        low: First value.
        high: Last value.
        num: How many values (at least 2).
        scale: ``linear`` or ``log`` (``low`` must then be positive).

    Returns:
        The values, ``low`` and ``high`` included exactly.
    """
    values = np.geomspace(low, high, num) if scale == "log" else np.linspace(low, high, num)
    out = [float(v) for v in values]
    out[0], out[-1] = low, high
    return out


def count_points(spec: SweepSpec) -> int:
    """Number of design points of a sweep, without drawing them.

    Args:
        spec: A validated sweep.

    Returns:
        The number of points.
    """
    design, d = spec.design, len(spec.factors)
    sizes = {
        "grid": math.prod(len(f.values or ()) for f in spec.factors),
        "cases": len(design.cases),
        "lhs": design.points or 0,
        "sobol": (design.base or 0) * (2 * d + 2 if design.second_order else d + 2),
        "morris": (design.trajectories or 0) * (d + 1),
    }
    return sizes[design.kind]


# --------------------------------------------------------------------------- checks

Path_ = tuple[PathItem, ...]


def _kind(value: object) -> str:
    if isinstance(value, str):
        return f"text '{value[:30]}'"
    return kind_of(value, type(value).__name__)


def _quoted(value: object) -> str:
    return f"'{value}'" if isinstance(value, str) else _kind(value)


def _number(value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        _fail(f"must be a number, not {_kind(value)}", "a number, e.g. 0.5")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        _fail("must be a finite number", "a number, e.g. 0.5")
    return number


def _integer(low: int, high: int) -> Callable[[Any], int]:
    expected = f"a whole number from {low} to {high:,}"

    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            _fail(f"must be a whole number, not {_kind(value)}", expected)
        if value < low or value > high:
            _fail(f"{value} is out of range", expected)
        return value

    return check


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        _fail(f"must be true or false, not {_kind(value)}", "true or false")
    return value


def _text(one_line: bool) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            _fail(f"must be text, not {_kind(value)}", "non-empty text")
        problem = text_problem(value, single_line=one_line)
        if problem is not None:
            _fail(problem, ("one-line " if one_line else "") + "text without control characters")
        return value

    return check


def _mapping(expected: str) -> Callable[[Any], dict[Any, Any]]:
    def check(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            _fail(f"must be a mapping, not {_kind(value)}", expected)
        return value

    return check


def _unknown_keys(issues: _Issues, where: Path_, value: Mapping[Any, Any], allowed: Any) -> None:
    for key in value:
        if key not in allowed:
            issues.add((*where, key), f"unknown key '{key}'", suggest(key, allowed), at_key=True)


def _bounded(issues: _Issues, at: Path_, value: Any, bounds: tuple[float, float]) -> float | None:
    """The number at ``at`` (None if it is not one); out of range is recorded, not dropped."""
    number = issues.check(at, _number, value)
    low, high = bounds
    if number is not None and not low <= number <= high:
        accepted = f"a value from {_fmt(low)} to {_fmt(high)}"
        if math.isinf(high):
            accepted = f"a value of at least {_fmt(low)}"
        issues.add(at, f"{_fmt(number)} is outside the range this path accepts", accepted)
    return number


def _path_bounds(path: str, dims: Dims) -> tuple[float, float]:
    """Range of values ``path`` accepts, infinite where open (raises PathError if none)."""
    low, high = path_bounds(path, dims)
    return (-math.inf if low is None else low, math.inf if high is None else high)


def _resolve_path(
    issues: _Issues, where: Path_, written: object, dims: Dims
) -> tuple[str, tuple[float, float]] | None:
    """Canonical path and bounds of a varied value, or None after recording a problem."""
    if not isinstance(written, str) or not written.strip():
        expected = "a path such as parameters.coordination"
        issues.add(where, "a varied value must be named by a dotted path", expected, at_key=True)
        return None
    path = canonical_path(written.strip())
    try:
        return path, _path_bounds(path, dims)
    except PathError as exc:
        issues.add(where, str(exc), at_key=True)
        return None


def _check_overlap(issues: _Issues, at: Path_, keys: Iterable[str], dims: Dims) -> None:
    """Two varied paths, keys under ``at``, may not name the same value (``states.*.x``, ...)."""
    seen: dict[tuple[str, str, tuple[int, ...]], str] = {}
    for key in keys:
        path = canonical_path(key.strip())
        try:
            slots = resolve(path, dims)
        except PathError:
            continue
        for slot in slots:
            place = (slot.container, slot.field, slot.index)
            if place in seen and seen[place] != path:
                message = f"names the same value ({slot.path}) as '{seen[place]}'"
                issues.add((*at, key), message, "each value varied by one path only", at_key=True)
                break
            seen[place] = path


# --------------------------------------------------------------------------- vary


def _grid_values(
    issues: _Issues, at: Path_, items: Any, bounds: tuple[float, float]
) -> tuple[float, ...]:
    """The values of a grid factor written as a list (in part if some are bad)."""
    if not isinstance(items, list) or not items:
        issues.add(at, "must be a non-empty list of numbers", "a list such as [0.0, 0.5, 1.0]")
        return ()
    values: list[float] = []
    for i, item in enumerate(items):
        number = _bounded(issues, (*at, i), item, bounds)
        if number is None:
            continue
        if number in values:
            issues.add((*at, i), f"{_fmt(number)} is listed twice", "distinct values")
        values.append(number)
    return tuple(values)


def _ends(
    issues: _Issues, where: Path_, raw: Mapping[str, Any], bounds: tuple[float, float], scale: str
) -> dict[str, float]:
    """The ends of a factor's range that are numbers (``low``, ``high``)."""
    ends: dict[str, float] = {}
    for end in ("low", "high"):
        if end not in raw:
            issues.add(where, f"missing '{end}'", "low and high", at_key=True)
            continue
        number = _bounded(issues, (*where, end), raw[end], bounds)
        if number is not None:
            ends[end] = number
    if len(ends) == 2 and ends["low"] >= ends["high"]:
        message = f"high ({_fmt(ends['high'])}) must be above low ({_fmt(ends['low'])})"
        issues.add((*where, "high"), message, "high > low")
    if scale == "log" and "low" in ends and ends["low"] <= 0.0:
        issues.add((*where, "low"), "a log scale needs a positive low", "low > 0")
    return ends


def _factor(issues: _Issues, key: str, spec: object, kind: str | None, dims: Dims) -> Factor | None:
    """One entry of ``vary`` (None if it has a problem); ``kind`` is None for a bad design."""
    where: Path_ = ("vary", key)
    resolved = _resolve_path(issues, where, key, dims)
    values_at: Path_ = (*where, "values")
    if isinstance(spec, list):
        spec, values_at = {"values": spec}, where
    raw = issues.check(where, _mapping("a mapping with low and high (or values for a grid)"), spec)
    if raw is None:
        return None
    _unknown_keys(issues, where, raw, FACTOR_KEYS)
    if resolved is None:
        return None
    path, bounds = resolved
    n_issues = len(issues.items)
    scale = raw.get("scale", "linear")
    if scale not in ("linear", "log"):
        issues.add((*where, "scale"), f"unknown scale '{scale}'", "linear or log")
        scale = "linear"
    if "values" in raw:
        if kind not in (None, "grid"):
            message = f"values are only for a grid design, not {kind}"
            issues.add(values_at, message, "low and high", at_key=True)
            return None
        for other in ("low", "high", "num"):
            if other in raw:
                message = "give either values or low, high and num, not both"
                issues.add((*where, other), message, "values alone", at_key=True)
        values = _grid_values(issues, values_at, raw["values"], bounds)
        if len(issues.items) > n_issues:
            return None
        return Factor(path, values=values, scale=scale, bounds=bounds)
    if kind == "grid" and "num" not in raw:
        expected = "values: [...] or low, high and num"
        issues.add(where, "a grid needs values, or low, high and num", expected, at_key=True)
        return None
    if kind not in (None, "grid") and "num" in raw:
        message = f"num is only for a grid design, not {kind}"
        expected = f"the size of the {kind} design under design:"
        issues.add((*where, "num"), message, expected, at_key=True)
    ends = _ends(issues, where, raw, bounds, scale)
    num = issues.check((*where, "num"), _integer(2, 10_000), raw["num"]) if kind == "grid" else None
    if len(issues.items) > n_issues or kind is None:
        return None
    grid = None if num is None else tuple(spread(ends["low"], ends["high"], num, scale))
    return Factor(path, ends["low"], ends["high"], grid, scale, bounds)


def _vary(issues: _Issues, value: Any, kind: str | None, dims: Dims) -> tuple[Factor, ...]:
    raw = issues.check(("vary",), _mapping("a mapping from path to range (or values)"), value)
    if raw is None:
        return ()
    if not raw:
        issues.add(("vary",), "varies nothing", "at least one path", at_key=True)
    factors = [_factor(issues, key, spec, kind, dims) for key, spec in raw.items()]
    _check_overlap(issues, ("vary",), raw, dims)
    kept = [f.path for f in factors if f is not None]
    for key in raw:
        if kept.count(canonical_path(key.strip())) > 1:
            message = "is varied twice (under two spellings)"
            issues.add(("vary", key), message, "each path once", at_key=True)
            break
    return tuple(f for f in factors if f is not None)


# --------------------------------------------------------------------------- design


def _design(issues: _Issues, value: Any, seed: int | None, dims: Dims) -> DesignSpec | None:
    expected = "a mapping with kind: grid, cases, lhs, sobol or morris"
    raw = issues.check(("design",), _mapping(expected), value)
    if raw is None:
        return None
    kind = raw.get("kind")
    if kind is None:
        issues.add(("design",), "missing 'kind'", "one of " + ", ".join(DESIGN_KINDS), at_key=True)
        return None
    if kind not in DESIGN_KINDS:
        message = f"unknown design {_quoted(kind)}"
        issues.add(("design", "kind"), message, suggest(str(kind), DESIGN_KINDS))
        return None
    allowed = DESIGN_KEYS[kind]
    for key in raw:
        if key == "seed" and key not in allowed:
            message = f"a {kind} design draws nothing at random"
            issues.add(("design", key), message, "no seed here", at_key=True)
        elif key not in allowed:
            message = f"unknown key '{key}' for a {kind} design"
            issues.add(("design", key), message, suggest(key, allowed), at_key=True)
    if kind == "grid":
        return DesignSpec("grid")
    if kind == "cases":
        return _cases(issues, raw.get("cases"), dims)
    return _random_design(issues, raw, kind, seed)


def _random_design(
    issues: _Issues, raw: dict[str, Any], kind: DesignKind, seed: int | None
) -> DesignSpec | None:
    """An lhs, sobol or morris design: its size, seed and options."""
    if "seed" in raw:
        seed = issues.check(("design", "seed"), _integer(0, MAX_SEED), raw["seed"])
    size_key, expected = _SIZES[kind]
    if size_key not in raw:
        issues.add(("design",), f"missing '{size_key}'", expected, at_key=True)
        return None
    size = issues.check(("design", size_key), _integer(2, MAX_RUNS), raw[size_key])
    if kind == "sobol" and size is not None and size & (size - 1):
        expected = "a power of 2 such as 32, 64 or 128"
        issues.add(("design", "base"), f"{size} is not a power of 2", expected)
    options: dict[str, Any] = {size_key: size}  # those not given take DesignSpec's defaults
    for key, check in (("second_order", _boolean), ("levels", _integer(2, 1000))):
        if key in raw and key in DESIGN_KEYS[kind]:
            options[key] = issues.check(("design", key), check, raw[key])
    return DesignSpec(kind, seed=seed, **options)


def _cases(issues: _Issues, cases: Any, dims: Dims) -> DesignSpec:
    expected = "a list of mappings from path to value"
    if cases is None:
        issues.add(("design",), "missing 'cases'", expected, at_key=True)
        return DesignSpec("cases")
    if not isinstance(cases, list) or not cases:
        issues.add(("design", "cases"), "must be a non-empty list", expected)
        return DesignSpec("cases")
    out: list[dict[str, float]] = []
    first_keys: list[str] | None = None
    known: dict[str, tuple[float, float] | None] = {}
    for i, case in enumerate(cases):
        here: Path_ = ("design", "cases", i)
        if issues.check(here, _mapping("a mapping from path to value"), case) is None:
            continue
        row: dict[str, float] = {}
        for key, value in case.items():
            if key not in known:
                resolved = _resolve_path(issues, (*here, key), key, dims)
                known[key] = None if resolved is None else resolved[1]
            bounds = known[key]
            number = _bounded(issues, (*here, key), value, bounds or (-math.inf, math.inf))
            if number is not None and bounds is not None:
                row[canonical_path(key.strip())] = number
        if first_keys is None:
            first_keys = list(case)
        elif sorted(case) != sorted(first_keys):
            gaps = (("lacks", set(first_keys) - set(case)), ("adds", set(case) - set(first_keys)))
            parts = [f"{verb} {', '.join(sorted(keys))}" for verb, keys in gaps if keys]
            message = "every case must set the same paths; this one " + " and ".join(parts)
            expected = "the paths of the first case: " + ", ".join(first_keys)
            issues.add(here, message, expected, at_key=True)
        if row in out:
            issues.add(here, "repeats an earlier case", "distinct cases", at_key=True)
        out.append(row)
    _check_overlap(issues, ("design", "cases", 0), first_keys or (), dims)
    return DesignSpec("cases", cases=tuple(out))


# --------------------------------------------------------------------------- keep


def _keep(issues: _Issues, value: Any) -> KeepSpec:
    raw = issues.check(("keep",), _mapping("a mapping with final and timeseries"), value) or {}
    _unknown_keys(issues, ("keep",), raw, KEEP_KEYS)
    final: tuple[str, ...] = METRIC_GROUPS
    groups = raw.get("final", "all")
    if isinstance(groups, list):
        for i, item in enumerate(groups):
            if item not in METRIC_GROUPS:
                message = f"unknown metric group {_quoted(item)}"
                issues.add(("keep", "final", i), message, suggest(str(item), METRIC_GROUPS))
        final = tuple(g for g in METRIC_GROUPS if g in groups)
    elif groups != "all":
        message = f"must be 'all' or a list, not {_kind(groups)}"
        issues.add(("keep", "final"), message, "all, or a list of: " + ", ".join(METRIC_GROUPS))
    ts = raw.get("timeseries", {})
    if ts is False or ts is None:
        return KeepSpec(final, None)
    at: Path_ = ("keep", "timeseries")
    ts = issues.check(at, _mapping("false, or a mapping with every and states"), ts) or {}
    _unknown_keys(issues, at, ts, TIMESERIES_KEYS)
    every: int | None = KeepSpec.every
    if "every" in ts:
        every = issues.check((*at, "every"), _integer(1, 100_000), ts["every"])
    states = "states" not in ts or bool(issues.check((*at, "states"), _boolean, ts["states"]))
    return KeepSpec(final, every, states)


# --------------------------------------------------------------------------- the file


def _located(doc: Located, issues: _Issues) -> list[Problem]:
    """The problems recorded, located in the sweep file."""
    return [doc.problem_at(p, m, e, at_value=not k) for p, m, e, k in issues.items]


def _field[T](
    issues: _Issues, data: Mapping[str, Any], key: str, check: Callable[[Any], T], default: T
) -> T | None:
    """The value of ``key`` passed by ``check`` (None if it fails), or ``default`` if absent."""
    return issues.check((key,), check, data[key]) if key in data else default


def _head(issues: _Issues, doc: Located) -> tuple[str | None, str | None, str | None]:
    """Name, description and base scenario's path (from the current folder), None if bad."""
    data = doc.data
    _unknown_keys(issues, (), data, TOP_KEYS)
    if "scenario" not in data:
        expected = "the path of the base scenario, relative to this file"
        issues.add((), "missing 'scenario'", expected, at_key=True)
    if "design" not in data:
        expected = "a design: grid, cases, lhs, sobol or morris"
        issues.add((), "missing 'design'", expected, at_key=True)
    problem = text_problem(Path(doc.file).stem)
    if "name" not in data and problem is not None:
        message = f"the file name cannot name the sweep: {problem}"
        issues.add((), message, "name: a short name for this sweep", at_key=True)

    def scenario(value: Any) -> str:
        written = _text(True)(value)
        path = os.path.normpath(os.path.join(os.path.dirname(doc.file), written))
        if not os.path.isfile(path):
            _fail(f"no scenario file at '{written}'", "a path relative to the sweep file's folder")
        return path

    return (
        _field(issues, data, "name", _text(True), Path(doc.file).stem),
        _field(issues, data, "description", _text(False), ""),
        _field(issues, data, "scenario", scenario, None),
    )


def _seed(issues: _Issues, data: Mapping[str, Any], scenario: Scenario) -> int | None:
    """The root seed: the file's, else the base scenario's (None if unusable)."""
    if "seed" in data:
        return issues.check(("seed",), _integer(0, MAX_SEED), data["seed"])
    if scenario.seed is None:
        message = "missing 'seed' (the base scenario has none either)"
        issues.add((), message, "a whole number, e.g. seed: 1", at_key=True)
    elif scenario.seed > MAX_SEED:
        message = "missing 'seed': the base scenario's seed is too large for a sweep"
        issues.add((), message, f"a whole number from 0 to {MAX_SEED}", at_key=True)
        return None
    return scenario.seed


def parse_sweep(doc: Located, sha256: str = "") -> tuple[SweepSpec, Scenario]:
    """Validate a located sweep document and load its base scenario.

    Args:
        doc: The sweep file read with :func:`influence_sim.scenario.yamlsafe.load_located`.
        sha256: Hash of the file's bytes.

    Returns:
        ``(spec, scenario)``: the validated sweep and its loaded base scenario.

    Raises:
        SweepError: With every problem found in the sweep file (and, if the base scenario is
            invalid, the scenario's problems).
    """
    data = doc.data
    if "scenario" not in data and "design" not in data:
        message = "this is not a sweep file: it has neither 'scenario' nor 'design'"
        expected = "a sweep file (a base scenario under 'scenario:' and a 'design:' section); "
        expected += "a scenario file is run with 'influence-sim run'"
        raise SweepError([doc.problem_at((), message, expected)])
    issues = _Issues()
    name, description, scenario_path = _head(issues, doc)
    if scenario_path is None:
        raise SweepError(_located(doc, issues))
    try:
        scenario = load_scenario(scenario_path)
    except ScenarioError as exc:
        raise SweepError([*_located(doc, issues), *exc.problems]) from None
    dims = scenario.dims
    seed = _seed(issues, data, scenario)
    replicates = _field(issues, data, "replicates", _integer(1, MAX_RUNS), 1)
    common = _field(issues, data, "common_random_numbers", _boolean, False)
    design_raw = data.get("design")
    kind = design_raw.get("kind") if isinstance(design_raw, dict) else None
    kind = kind if kind in DESIGN_KINDS else None
    varied = "vary" in data and kind != "cases"
    factors = _vary(issues, data["vary"], kind, dims) if varied else ()
    design = _design(issues, data["design"], seed, dims) if "design" in data else None
    keep = _keep(issues, data["keep"]) if "keep" in data else KeepSpec()
    # after the design's problems, which share this place when design is the file's first key
    if kind == "cases" and "vary" in data:
        message = "a cases design takes its paths from the cases"
        issues.add(("vary",), message, "no 'vary' with kind: cases", at_key=True)
    elif kind != "cases" and "vary" not in data and "design" in data:
        issues.add((), "missing 'vary'", "a mapping from path to range (or values)", at_key=True)
    if issues.items:
        raise SweepError(_located(doc, issues))
    assert name is not None and description is not None and seed is not None
    assert replicates is not None and common is not None and design is not None
    if design.kind == "cases":
        factors = tuple(Factor(p, bounds=_path_bounds(p, dims)) for p in design.cases[0])
    fields = (name, description, scenario_path, seed, replicates, common, factors, design, keep)
    spec = SweepSpec(doc.file, sha256, *fields)
    n_runs = count_points(spec) * spec.replicates
    if n_runs > MAX_RUNS:
        where = ("replicates",) if "replicates" in data else ("design",)
        message = f"the sweep would make {n_runs:,} runs"
        raise SweepError([doc.problem_at(where, message, f"at most {MAX_RUNS:,} runs")])
    return spec, scenario


def read_sweep_spec(path: str | os.PathLike[str]) -> tuple[SweepSpec, Scenario]:
    """Read and validate a sweep file and load its base scenario.

    Args:
        path: The sweep file, as the user gave it (kept as is in messages).

    Returns:
        ``(spec, scenario)``.

    Raises:
        SweepError: For every problem found; YAML problems are reported the same way.
    """
    try:
        doc = load_located(path)
        sha256 = file_sha256(path)
    except ScenarioError as exc:
        raise SweepError(exc.problems) from None
    except InputFileError as exc:
        raise SweepError([Problem(exc.file, None, None, "", exc.reason)]) from None
    return parse_sweep(doc, sha256)
