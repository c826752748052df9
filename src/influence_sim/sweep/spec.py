"""Sweep files: reading and validating the description of a parameter sweep.

A sweep file names a base scenario, the values to vary (dotted paths, the same paths scenario
shocks target), an experimental design, the replicates per design point, the metrics to keep
and the seeds. :func:`read_sweep_spec` checks the whole file in one pass and raises a
:class:`SweepError` listing every problem as ``FILE:LINE:COL: key.path: message (expected ...)``,
like scenario files. The format is described in ``docs/sweeps.md``.

The file is validated the way scenario files are: pydantic models whose checks collect their
problems as the scenario checks do (``_Issues`` of :mod:`influence_sim.scenario.spec`), turned
into located problems by the scenario loader's reporter (``_Reporter``). The run a sweep varies
(the base scenario's states and powers, the seed, the design kind) is passed as pydantic's
validation context rather than a context variable: a sweep loads its base scenario between its
two models, so an explicit context, filled as validation goes, is simpler than a variable set
and reset, and it needs no cleanup when a check fails. Scenario checks still read their frame
from a context variable; moving them over touches every leaf check of that layer.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    PlainValidator,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from influence_sim._inputs import InputFileError, file_sha256
from influence_sim._text import text_problem
from influence_sim.kernel.arrays import Dims
from influence_sim.paths import PathError, canonical_path, resolve
from influence_sim.scenario.compile import Scenario
from influence_sim.scenario.errors import PathItem, Problem, ScenarioError, kind_of, suggest
from influence_sim.scenario.load import _Reporter, load_scenario
from influence_sim.scenario.spec import _fail, _fmt, _Issues
from influence_sim.scenario.yamlsafe import Located, load_located

DesignKind = Literal["grid", "cases", "lhs", "sobol", "morris"]
Scale = Literal["linear", "log"]

DESIGN_KINDS: tuple[str, ...] = ("grid", "cases", "lhs", "sobol", "morris")
"""Designs a sweep file may ask for."""

DESIGN_KEYS: dict[str, tuple[str, ...]] = {
    "grid": ("kind",),
    "cases": ("kind", "cases"),
    "lhs": ("kind", "points", "seed"),
    "sobol": ("kind", "base", "second_order", "seed"),
    "morris": ("kind", "trajectories", "levels", "seed"),
}
"""Keys each design kind accepts under ``design:``."""

METRIC_GROUPS: tuple[str, ...] = ("shares", "trade", "relations", "crossover", "guarantors")
"""Groups of summary metrics a sweep can keep (see ``docs/sweeps.md``)."""

KEEP_KEYS: tuple[str, ...] = ("final", "timeseries")
TIMESERIES_KEYS: tuple[str, ...] = ("every", "states")
FACTOR_KEYS: tuple[str, ...] = ("low", "high", "values", "num", "scale")

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
    design = spec.design
    d = len(spec.factors)
    if design.kind == "grid":
        return math.prod(len(f.values or ()) for f in spec.factors)
    if design.kind == "cases":
        return len(design.cases)
    if design.kind == "lhs":
        assert design.points is not None
        return design.points
    if design.kind == "sobol":
        assert design.base is not None
        return design.base * (2 * d + 2 if design.second_order else d + 2)
    assert design.trajectories is not None
    return design.trajectories * (d + 1)


# --------------------------------------------------------------------------- leaf checks

Path_ = tuple[PathItem, ...]


def _kind(value: object) -> str:
    if isinstance(value, str):
        return f"text '{value[:30]}'"
    return kind_of(value, type(value).__name__)


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
            expected = "text without control characters"
            _fail(problem, ("one-line " if one_line else "") + expected)
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


def _within(bounds: tuple[float, float]) -> Callable[[float], float]:
    low, high = bounds
    accepted = f"a value from {_fmt(low)} to {_fmt(high)}"
    if math.isinf(high):
        accepted = f"a value of at least {_fmt(low)}"

    def check(value: float) -> float:
        if value < low or value > high:
            _fail(f"{_fmt(value)} is outside the range this path accepts", accepted)
        return value

    return check


def _bounded(issues: _Issues, at: Path_, value: Any, bounds: tuple[float, float]) -> float | None:
    """The number at ``at`` (None if it is not one); out of range is recorded, not dropped."""
    number = issues.check(at, _number, value)
    if number is not None:
        issues.check(at, _within(bounds), number)
    return number


# --------------------------------------------------------------------------- paths


def _path_bounds(path: str, dims: Dims) -> tuple[float, float]:
    """Range of values every target of ``path`` accepts (raises PathError if none)."""
    low, high = -math.inf, math.inf
    for target in resolve(path, dims):
        if target.low is not None:
            low = max(low, target.low)
        if target.high is not None:
            high = min(high, target.high)
    return low, high


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


def _check_overlap(issues: _Issues, where: list[Path_], paths: list[str], dims: Dims) -> None:
    """Two varied paths may not name the same value (e.g. ``states.*.x`` and a state's x).

    Values are compared by where they live in the arrays, so two spellings of one value
    (``parameters.coordination`` and ``relations.china.russia.coordination``) are caught too.
    """
    seen: dict[tuple[str, str, tuple[int, ...]], str] = {}
    for loc, path in zip(where, paths, strict=True):
        try:
            targets = resolve(path, dims)
        except PathError:
            continue
        for target in targets:
            slot = (target.container, target.field, target.index)
            if slot in seen and seen[slot] != path:
                issues.add(
                    loc,
                    f"names the same value ({target.path}) as '{seen[slot]}'",
                    "each value varied by one path only",
                    at_key=True,
                )
                break
            seen[slot] = path


# --------------------------------------------------------------------------- the run


@dataclass
class _Run:
    """The validation context of a sweep file, filled as validation goes.

    Attributes:
        doc: The sweep file.
        issues: Problems about the file as a whole (missing keys and the like), found before
            the fields are checked.
        later: The same, reported after the fields' problems (as the file reads: ``vary``
            after ``design``).
        scenario_path: The base scenario's path, relative to the current folder.
        scenario: The base scenario, once loaded.
        seed: The root seed (the file's, else the base scenario's), None if unusable.
        kind: The design kind written, None if unusable.
    """

    doc: Located
    issues: _Issues = field(default_factory=_Issues)
    later: _Issues = field(default_factory=_Issues)
    scenario_path: str = ""
    scenario: Scenario | None = None
    seed: int | None = None
    kind: str | None = None

    @property
    def dims(self) -> Dims:
        assert self.scenario is not None
        return self.scenario.dims


def _run(info: ValidationInfo) -> _Run:
    run = info.context
    assert isinstance(run, _Run)
    return run


# --------------------------------------------------------------------------- vary


def _factor(issues: _Issues, key: str, spec: object, kind: str | None, dims: Dims) -> Factor | None:
    """Check one entry of ``vary``; ``kind`` is None when the design itself is invalid."""
    where: Path_ = (key,)
    resolved = _resolve_path(issues, where, key, dims)
    values_at: Path_ = (*where, "values")
    if isinstance(spec, list):
        spec, values_at = {"values": spec}, where
    expected = "a mapping with low and high (or values for a grid)"
    raw = issues.check(where, _mapping(expected), spec)
    if raw is None:
        return None
    _unknown_keys(issues, where, raw, FACTOR_KEYS)
    if resolved is None:
        return None
    path, bounds = resolved
    n_issues = len(issues.items)
    scale: Scale = "linear"
    if "scale" in raw:
        if raw["scale"] not in ("linear", "log"):
            issues.add((*where, "scale"), f"unknown scale '{raw['scale']}'", "linear or log")
        else:
            scale = raw["scale"]
    if "values" in raw:
        if kind is not None and kind != "grid":
            message = f"values are only for a grid design, not {kind}"
            issues.add(values_at, message, "low and high", at_key=True)
            return None
        for other in ("low", "high", "num"):
            if other in raw:
                message = "give either values or low, high and num, not both"
                issues.add((*where, other), message, "values alone", at_key=True)
        items = raw["values"]
        if not isinstance(items, list) or not items:
            message = "must be a non-empty list of numbers"
            issues.add(values_at, message, "a list such as [0.0, 0.5, 1.0]")
            return None
        values: list[float] = []
        for i, item in enumerate(items):
            number = _bounded(issues, (*values_at, i), item, bounds)
            if number is None:
                continue
            if number in values:
                issues.add((*values_at, i), f"{_fmt(number)} is listed twice", "distinct values")
            values.append(number)
        if len(issues.items) > n_issues:
            return None
        return Factor(path, values=tuple(values), scale=scale, bounds=bounds)
    if kind == "grid" and "num" not in raw:
        expected = "values: [...] or low, high and num"
        issues.add(where, "a grid needs values, or low, high and num", expected, at_key=True)
        return None
    if kind is not None and kind != "grid" and "num" in raw:
        expected = f"the size of the {kind} design under design:"
        issues.add(
            (*where, "num"), f"num is only for a grid design, not {kind}", expected, at_key=True
        )
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
    num = None
    if kind == "grid":
        num = issues.check((*where, "num"), _integer(2, 10_000), raw["num"])
    if len(issues.items) > n_issues or kind is None:
        return None
    grid = None if num is None else tuple(spread(ends["low"], ends["high"], num, scale))
    return Factor(path, ends["low"], ends["high"], grid, scale, bounds)


def _section[T](expected: str, check: Callable[[_Issues, dict[Any, Any], _Run], T]) -> Any:
    """A section of the file, a mapping checked by ``check`` once the base scenario is loaded."""

    def validate(value: Any, info: ValidationInfo) -> T | None:
        run = _run(info)
        if run.scenario is None:
            return None
        issues = _Issues()
        raw = issues.check((), _mapping(expected), value)
        out = None if raw is None else check(issues, raw, run)
        issues.raise_if_any()
        return out

    return PlainValidator(validate)


def _vary(issues: _Issues, raw: dict[Any, Any], run: _Run) -> tuple[Factor, ...]:
    if not raw:
        issues.add((), "varies nothing", "at least one path", at_key=True)
    factors = [_factor(issues, key, spec, run.kind, run.dims) for key, spec in raw.items()]
    paths = [canonical_path(k) for k in raw if isinstance(k, str)]
    _check_overlap(issues, [(k,) for k in raw], paths, run.dims)
    kept = [f.path for f in factors if f is not None]
    for key in raw:
        if kept.count(canonical_path(key)) > 1:
            issues.add(
                (key,), "is varied twice (under two spellings)", "each path once", at_key=True
            )
            break
    return tuple(f for f in factors if f is not None)


# --------------------------------------------------------------------------- design


def _design(issues: _Issues, raw: dict[Any, Any], run: _Run) -> DesignSpec | None:
    kind = raw.get("kind")
    if kind is None:
        issues.add((), "missing 'kind'", "one of " + ", ".join(DESIGN_KINDS), at_key=True)
        return None
    if kind not in DESIGN_KINDS:
        message = (
            f"unknown design '{kind}'" if isinstance(kind, str) else f"unknown design {_kind(kind)}"
        )
        issues.add(("kind",), message, suggest(str(kind), DESIGN_KINDS))
        return None
    allowed = DESIGN_KEYS[kind]
    for key in raw:
        if key == "seed" and key not in allowed:
            issues.add(
                (key,), f"a {kind} design draws nothing at random", "no seed here", at_key=True
            )
        elif key not in allowed:
            message = f"unknown key '{key}' for a {kind} design"
            issues.add((key,), message, suggest(key, allowed), at_key=True)
    seed = run.seed
    if "seed" in raw and kind in ("lhs", "sobol", "morris"):
        seed = issues.check(("seed",), _integer(0, MAX_SEED), raw["seed"])
    sizes = {
        "lhs": ("points", "the number of points, e.g. 64"),
        "sobol": ("base", "the base sample size N, a power of 2 such as 64"),
        "morris": ("trajectories", "the number of trajectories, e.g. 20"),
    }
    if kind == "grid":
        return DesignSpec("grid")
    if kind == "cases":
        return _cases(issues, raw, run.dims)
    size_key, expected = sizes[kind]
    if size_key not in raw:
        issues.add((), f"missing '{size_key}'", expected, at_key=True)
        return None
    size = issues.check((size_key,), _integer(2, MAX_RUNS), raw[size_key])
    if kind == "sobol" and size is not None and size & (size - 1):
        issues.add(("base",), f"{size} is not a power of 2", "a power of 2 such as 32, 64 or 128")
        size = None
    second, levels = True, 4
    if kind == "sobol" and "second_order" in raw:
        second = issues.check(("second_order",), _boolean, raw["second_order"]) is not False
    if kind == "morris" and "levels" in raw:
        levels = issues.check(("levels",), _integer(2, 1000), raw["levels"]) or 4
    if size is None:
        return None
    if kind == "lhs":
        return DesignSpec("lhs", points=size, seed=seed)
    if kind == "sobol":
        return DesignSpec("sobol", base=size, second_order=second, seed=seed)
    return DesignSpec("morris", trajectories=size, levels=levels, seed=seed)


def _cases(issues: _Issues, raw: Mapping[str, Any], dims: Dims) -> DesignSpec | None:
    expected = "a list of mappings from path to value"
    cases = raw.get("cases")
    if cases is None:
        issues.add((), "missing 'cases'", expected, at_key=True)
        return None
    if not isinstance(cases, list) or not cases:
        issues.add(("cases",), "must be a non-empty list", expected)
        return None
    n_issues = len(issues.items)
    out: list[dict[str, float]] = []
    first_keys: list[str] | None = None
    known: dict[str, tuple[float, float] | None] = {}
    for i, case in enumerate(cases):
        here: Path_ = ("cases", i)
        if issues.check(here, _mapping("a mapping from path to value"), case) is None:
            continue
        row: dict[str, float] = {}
        for key, value in case.items():
            if key not in known:
                resolved = _resolve_path(issues, (*here, key), key, dims)
                known[key] = None if resolved is None else resolved[1]
            bounds = known[key]
            if bounds is None:
                issues.check((*here, key), _number, value)
                continue
            number = _bounded(issues, (*here, key), value, bounds)
            if number is not None:
                row[canonical_path(key)] = number
        keys = list(case)
        if first_keys is None:
            first_keys = keys
        elif sorted(keys) != sorted(first_keys):
            missing = sorted(set(first_keys) - set(keys))
            extra = sorted(set(keys) - set(first_keys))
            parts = (["lacks " + ", ".join(missing)] if missing else []) + (
                ["adds " + ", ".join(extra)] if extra else []
            )
            issues.add(
                here,
                "every case must set the same paths; this one " + " and ".join(parts),
                "the paths of the first case: " + ", ".join(first_keys),
                at_key=True,
            )
        if row in out:
            issues.add(here, "repeats an earlier case", "distinct cases", at_key=True)
        out.append(row)
    if first_keys:
        where: list[Path_] = [("cases", 0, k) for k in first_keys]
        _check_overlap(issues, where, [canonical_path(k) for k in first_keys], dims)
    return DesignSpec("cases", cases=tuple(out)) if len(issues.items) == n_issues else None


# --------------------------------------------------------------------------- keep


def _keep(issues: _Issues, raw: dict[Any, Any], run: _Run) -> KeepSpec:
    _unknown_keys(issues, (), raw, KEEP_KEYS)
    final: tuple[str, ...] = METRIC_GROUPS
    value = raw.get("final", "all")
    if isinstance(value, list):
        for i, item in enumerate(value):
            if item not in METRIC_GROUPS:
                shown = f"'{item}'" if isinstance(item, str) else _kind(item)
                message = f"unknown metric group {shown}"
                issues.add(("final", i), message, suggest(str(item), METRIC_GROUPS))
        final = tuple(g for g in METRIC_GROUPS if g in value)
    elif value != "all":
        issues.add(
            ("final",),
            f"must be 'all' or a list, not {_kind(value)}",
            "all, or a list of: " + ", ".join(METRIC_GROUPS),
        )
    every: int | None = KeepSpec.every
    states = True
    ts = raw.get("timeseries", {})
    if ts is False or ts is None:
        every = None
    else:
        expected = "false, or a mapping with every and states"
        ts = issues.check(("timeseries",), _mapping(expected), ts) or {}
        _unknown_keys(issues, ("timeseries",), ts, TIMESERIES_KEYS)
        if "every" in ts:
            every = issues.check(("timeseries", "every"), _integer(1, 100_000), ts["every"])
        if "states" in ts:
            states = bool(issues.check(("timeseries", "states"), _boolean, ts["states"]))
    return KeepSpec(final, every, states)


# --------------------------------------------------------------------------- the file


def _checked(check: Callable[[Any], Any]) -> PlainValidator:
    """A field checked by ``check``, its problem reported at the field's value."""

    def validate(value: Any) -> Any:
        issues = _Issues()
        out = issues.check((), check, value)
        issues.raise_if_any()
        return out

    return PlainValidator(validate)


def _scenario(value: Any, info: ValidationInfo) -> str:
    """The base scenario's path relative to the current folder (the file must exist)."""
    written = _text(True)(value)
    path = os.path.normpath(os.path.join(os.path.dirname(_run(info).doc.file), written))
    if not os.path.isfile(path):
        _fail(f"no scenario file at '{written}'", "a path relative to the sweep file's folder")
    _run(info).scenario_path = path
    return path


class _Head(BaseModel):
    """What a sweep file says before its base scenario is loaded."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Annotated[str | None, _checked(_text(True))] = None
    description: Annotated[str, _checked(_text(False))] = ""
    scenario: Annotated[str | None, PlainValidator(_scenario)] = None

    @model_validator(mode="before")
    @classmethod
    def _top(cls, data: Any, info: ValidationInfo) -> Any:
        run = _run(info)
        issues = run.issues
        _unknown_keys(issues, (), data, TOP_KEYS)
        for required in ("scenario", "design"):
            if required not in data:
                expected = "the path of the base scenario, relative to this file"
                if required == "design":
                    expected = "a design: grid, cases, lhs, sobol or morris"
                issues.add((), f"missing '{required}'", expected, at_key=True)
        problem = text_problem(Path(run.doc.file).stem)
        if "name" not in data and problem is not None:
            message = f"the file name cannot name the sweep: {problem}"
            issues.add((), message, "name: a short name for this sweep", at_key=True)
        return data


class _Body(BaseModel):
    """What a sweep file says about its runs, checked against the base scenario."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    seed: Annotated[int | None, _checked(_integer(0, MAX_SEED))] = None
    replicates: Annotated[int, _checked(_integer(1, MAX_RUNS))] = 1
    common_random_numbers: Annotated[bool, _checked(_boolean)] = False
    vary: Annotated[
        tuple[Factor, ...], _section("a mapping from path to range (or values)", _vary)
    ] = ()
    design: Annotated[
        DesignSpec | None,
        _section("a mapping with kind: grid, cases, lhs, sobol or morris", _design),
    ] = None
    keep: Annotated[KeepSpec | None, _section("a mapping with final and timeseries", _keep)] = (
        KeepSpec()
    )

    @model_validator(mode="before")
    @classmethod
    def _top(cls, data: Any, info: ValidationInfo) -> Any:
        run = _run(info)
        issues = run.issues
        assert run.scenario is not None
        run.seed = run.scenario.seed
        if "seed" in data:
            run.seed = _Issues().check((), _integer(0, MAX_SEED), data["seed"])
        elif run.seed is None:
            message = "missing 'seed' (the base scenario has none either)"
            issues.add((), message, "a whole number, e.g. seed: 1", at_key=True)
        elif run.seed > MAX_SEED:
            issues.add(
                (),
                "missing 'seed': the base scenario's seed is too large for a sweep",
                f"a whole number from 0 to {MAX_SEED}",
                at_key=True,
            )
            run.seed = None
        design = data.get("design")
        if isinstance(design, dict) and design.get("kind") in DESIGN_KINDS:
            run.kind = str(design["kind"])
        if run.kind == "cases" and "vary" in data:
            message = "a cases design takes its paths from the cases"
            run.later.add(("vary",), message, "no 'vary' with kind: cases", at_key=True)
            return {k: v for k, v in data.items() if k != "vary"}
        if run.kind != "cases" and "vary" not in data and "design" in data:
            expected = "a mapping from path to range (or values)"
            run.later.add((), "missing 'vary'", expected, at_key=True)
        return data


TOP_KEYS: tuple[str, ...] = (*_Head.model_fields, *_Body.model_fields)
"""Keys allowed at the top of a sweep file."""


def _validate[M: BaseModel](model: type[M], run: _Run, reporter: _Reporter) -> M | None:
    """Validate the document against ``model``; its problems go to ``reporter``."""
    try:
        out: M | None = model.model_validate(run.doc.data, context=run)
        errors = []
    except ValidationError as exc:
        out, errors = None, exc.errors(include_url=False)
    for path, message, expected, at_key in run.issues.items:
        reporter.add(path, message, expected, at_key=at_key)
    for error in errors:
        reporter.add_error(error)
    for path, message, expected, at_key in run.later.items:
        reporter.add(path, message, expected, at_key=at_key)
    run.issues, run.later = _Issues(), _Issues()
    return out


# --------------------------------------------------------------------------- reading


def _sha256(path: str | os.PathLike[str]) -> str:
    try:
        return file_sha256(path)
    except InputFileError as exc:
        raise SweepError([Problem(exc.file, None, None, "", exc.reason)]) from None


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
    run = _Run(doc)
    reporter = _Reporter({(): (doc, ())})
    head = _validate(_Head, run, reporter)
    if run.scenario_path:
        try:
            run.scenario = load_scenario(run.scenario_path)
        except ScenarioError as exc:
            raise SweepError([*reporter.problems, *exc.problems]) from None
    if run.scenario is None:
        raise SweepError(reporter.problems or [doc.problem_at(("scenario",), "no base scenario")])
    body = _validate(_Body, run, reporter)
    if reporter.problems:
        raise SweepError(reporter.problems)
    assert head is not None and body is not None and body.design is not None
    assert body.keep is not None and run.seed is not None
    factors = body.vary
    if body.design.kind == "cases":
        dims = run.scenario.dims
        factors = tuple(Factor(p, bounds=_path_bounds(p, dims)) for p in body.design.cases[0])
    spec = SweepSpec(
        path=doc.file,
        sha256=sha256,
        name=head.name or Path(doc.file).stem,
        description=head.description,
        scenario_path=run.scenario_path,
        seed=run.seed,
        replicates=body.replicates,
        common_random_numbers=body.common_random_numbers,
        factors=factors,
        design=body.design,
        keep=body.keep,
    )
    n_runs = count_points(spec) * spec.replicates
    if n_runs > MAX_RUNS:
        where = ("replicates",) if "replicates" in data else ("design",)
        message = f"the sweep would make {n_runs:,} runs"
        raise SweepError([doc.problem_at(where, message, f"at most {MAX_RUNS:,} runs")])
    return spec, run.scenario


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
    except SweepError:
        raise
    except ScenarioError as exc:
        raise SweepError(exc.problems) from None
    return parse_sweep(doc, _sha256(path))
