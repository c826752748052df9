"""Sweep files: reading and validating the description of a parameter sweep.

A sweep file names a base scenario, the values to vary (dotted paths, the same paths scenario
shocks target), an experimental design, the replicates per design point, the metrics to keep
and the seeds. :func:`read_sweep` checks the whole file in one pass and raises a
:class:`SweepError` listing every problem as ``FILE:LINE:COL: key.path: message (expected ...)``,
like scenario files. The format is described in ``docs/sweeps.md``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from influence_sim._inputs import InputFileError, file_sha256
from influence_sim._text import text_problem
from influence_sim.kernel.arrays import Dims
from influence_sim.paths import PathError, canonical_path, resolve
from influence_sim.scenario.compile import Scenario
from influence_sim.scenario.errors import PathItem, Problem, ScenarioError, kind_of, suggest
from influence_sim.scenario.load import load_scenario
from influence_sim.scenario.yamlsafe import Located, load_located

DesignKind = Literal["grid", "cases", "lhs", "sobol", "morris"]
Scale = Literal["linear", "log"]

DESIGN_KINDS: tuple[str, ...] = ("grid", "cases", "lhs", "sobol", "morris")
"""Designs a sweep file may ask for."""

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


# --------------------------------------------------------------------------- checking helpers


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: float) -> str:
    return f"{value:g}"


class _Checker:
    """Collects problems while walking a located document."""

    def __init__(self, doc: Located) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def fail(
        self,
        path: tuple[PathItem, ...],
        message: str,
        expected: str | None = None,
        *,
        at_value: bool = False,
    ) -> None:
        self.problems.append(self.doc.problem_at(path, message, expected, at_value=at_value))

    def mapping(self, path: tuple[PathItem, ...], value: object, expected: str) -> bool:
        if not isinstance(value, dict):
            kind = type(value).__name__ if value is not None else "empty"
            self.fail(path, f"must be a mapping, not {_kind(value, kind)}", expected, at_value=True)
            return False
        return True

    def keys(
        self, path: tuple[PathItem, ...], value: Mapping[str, Any], allowed: Sequence[str]
    ) -> None:
        for key in value:
            if key not in allowed:
                self.fail((*path, key), f"unknown key '{key}'", suggest(key, allowed))

    def number(self, path: tuple[PathItem, ...], value: object) -> float | None:
        if not _is_number(value):
            self.fail(
                path, f"must be a number, not {_kind(value)}", "a number, e.g. 0.5", at_value=True
            )
            return None
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.fail(path, "must be a finite number", "a number, e.g. 0.5", at_value=True)
            return None
        return number

    def integer(
        self, path: tuple[PathItem, ...], value: object, low: int, high: int | None = None
    ) -> int | None:
        expected = f"a whole number from {low}" + (f" to {high:,}" if high is not None else " up")
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(path, f"must be a whole number, not {_kind(value)}", expected, at_value=True)
            return None
        if value < low or (high is not None and value > high):
            self.fail(path, f"{value} is out of range", expected, at_value=True)
            return None
        return value

    def boolean(self, path: tuple[PathItem, ...], value: object) -> bool | None:
        if not isinstance(value, bool):
            self.fail(
                path, f"must be true or false, not {_kind(value)}", "true or false", at_value=True
            )
            return None
        return value

    def text(self, path: tuple[PathItem, ...], value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, f"must be text, not {_kind(value)}", "non-empty text", at_value=True)
            return None
        one_line = path != ("description",)
        problem = text_problem(value, single_line=one_line)
        if problem is not None:
            expected = "text without control characters"
            self.fail(path, problem, ("one-line " if one_line else "") + expected, at_value=True)
            return None
        return value


def _kind(value: object, fallback: str = "") -> str:
    if isinstance(value, str):
        return f"text '{value[:30]}'"
    return kind_of(value, fallback or type(value).__name__)


# --------------------------------------------------------------------------- sections


def _path_bounds(path: str, dims: Dims) -> tuple[float, float]:
    """Range of values every target of ``path`` accepts (raises PathError if none)."""
    low, high = -math.inf, math.inf
    for target in resolve(path, dims):
        if target.low is not None:
            low = max(low, target.low)
        if target.high is not None:
            high = min(high, target.high)
    return low, high


def _range_text(bounds: tuple[float, float]) -> str:
    low, high = bounds
    if math.isinf(high):
        return f"a value of at least {_fmt(low)}"
    return f"a value from {_fmt(low)} to {_fmt(high)}"


def _check_value(
    chk: _Checker, path: tuple[PathItem, ...], value: float, bounds: tuple[float, float]
) -> bool:
    low, high = bounds
    if value < low or value > high:
        chk.fail(
            path,
            f"{_fmt(value)} is outside the range this path accepts",
            _range_text(bounds),
            at_value=True,
        )
        return False
    return True


def _resolve_path(
    chk: _Checker, where: tuple[PathItem, ...], written: object, dims: Dims
) -> tuple[str, tuple[float, float]] | None:
    """Canonical path and bounds of a varied value, or None after recording a problem."""
    if not isinstance(written, str) or not written.strip():
        chk.fail(
            where,
            "a varied value must be named by a dotted path",
            "a path such as parameters.coordination",
        )
        return None
    path = canonical_path(written.strip())
    try:
        bounds = _path_bounds(path, dims)
    except PathError as exc:
        chk.fail(where, str(exc))
        return None
    return path, bounds


def _check_overlap(
    chk: _Checker, where: list[tuple[PathItem, ...]], paths: list[str], dims: Dims
) -> None:
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
                chk.fail(
                    loc,
                    f"names the same value ({target.path}) as '{seen[slot]}'",
                    "each value varied by one path only",
                )
                break
            seen[slot] = path


def _factor(
    chk: _Checker,
    key: str,
    spec: object,
    kind: str | None,
    dims: Dims,
) -> Factor | None:
    """Check one entry of ``vary``; ``kind`` is None when the design itself is invalid."""
    where: tuple[PathItem, ...] = ("vary", key)
    resolved = _resolve_path(chk, where, key, dims)
    values_at: tuple[PathItem, ...] = (*where, "values")
    if isinstance(spec, list):
        spec, values_at = {"values": spec}, where
    if not chk.mapping(where, spec, "a mapping with low and high (or values for a grid)"):
        return None
    assert isinstance(spec, dict)
    chk.keys(where, spec, FACTOR_KEYS)
    if resolved is None:
        return None
    path, bounds = resolved
    ok = True
    scale: Scale = "linear"
    if "scale" in spec:
        if spec["scale"] not in ("linear", "log"):
            chk.fail(
                (*where, "scale"),
                f"unknown scale '{spec['scale']}'",
                "linear or log",
                at_value=True,
            )
            ok = False
        else:
            scale = spec["scale"]
    if "values" in spec:
        if kind is not None and kind != "grid":
            chk.fail(values_at, f"values are only for a grid design, not {kind}", "low and high")
            return None
        for other in ("low", "high", "num"):
            if other in spec:
                chk.fail(
                    (*where, other),
                    "give either values or low, high and num, not both",
                    "values alone",
                )
                ok = False
        raw = spec["values"]
        if not isinstance(raw, list) or not raw:
            chk.fail(
                values_at,
                "must be a non-empty list of numbers",
                "a list such as [0.0, 0.5, 1.0]",
                at_value=True,
            )
            return None
        values: list[float] = []
        for i, item in enumerate(raw):
            number = chk.number((*values_at, i), item)
            if number is None:
                ok = False
                continue
            if not _check_value(chk, (*values_at, i), number, bounds):
                ok = False
            if number in values:
                chk.fail(
                    (*values_at, i),
                    f"{_fmt(number)} is listed twice",
                    "distinct values",
                    at_value=True,
                )
                ok = False
            values.append(number)
        return Factor(path, values=tuple(values), scale=scale, bounds=bounds) if ok else None
    if kind == "grid" and "num" not in spec:
        chk.fail(
            where, "a grid needs values, or low, high and num", "values: [...] or low, high and num"
        )
        return None
    if kind is not None and kind != "grid" and "num" in spec:
        chk.fail(
            (*where, "num"),
            f"num is only for a grid design, not {kind}",
            f"the size of the {kind} design under design:",
        )
        ok = False
    ends: dict[str, float] = {}
    for end in ("low", "high"):
        if end not in spec:
            chk.fail(where, f"missing '{end}'", "low and high")
            ok = False
            continue
        number = chk.number((*where, end), spec[end])
        if number is None:
            ok = False
            continue
        if not _check_value(chk, (*where, end), number, bounds):
            ok = False
        ends[end] = number
    if len(ends) == 2 and ends["low"] >= ends["high"]:
        chk.fail(
            (*where, "high"),
            f"high ({_fmt(ends['high'])}) must be above low ({_fmt(ends['low'])})",
            "high > low",
            at_value=True,
        )
        ok = False
    if scale == "log" and "low" in ends and ends["low"] <= 0.0:
        chk.fail((*where, "low"), "a log scale needs a positive low", "low > 0", at_value=True)
        ok = False
    num = None
    if kind == "grid":
        num = chk.integer((*where, "num"), spec["num"], 2, 10_000)
        ok = ok and num is not None
    if not ok or kind is None:
        return None
    if num is not None:
        grid = spread(ends["low"], ends["high"], num, scale)
        return Factor(path, ends["low"], ends["high"], tuple(grid), scale, bounds)
    return Factor(path, ends["low"], ends["high"], None, scale, bounds)


def _design(
    chk: _Checker, data: Mapping[str, Any], dims: Dims, seed: int | None
) -> DesignSpec | None:
    where: tuple[PathItem, ...] = ("design",)
    raw = data.get("design")
    if not chk.mapping(where, raw, "a mapping with kind: grid, cases, lhs, sobol or morris"):
        return None
    assert isinstance(raw, dict)
    kind = raw.get("kind")
    if kind is None:
        chk.fail(where, "missing 'kind'", "one of " + ", ".join(DESIGN_KINDS))
        return None
    if kind not in DESIGN_KINDS:
        chk.fail(
            (*where, "kind"),
            f"unknown design '{kind}'"
            if isinstance(kind, str)
            else f"unknown design {_kind(kind)}",
            suggest(str(kind), DESIGN_KINDS),
            at_value=True,
        )
        return None
    allowed = DESIGN_KEYS[kind]
    for key in raw:
        if key not in allowed:
            if key == "seed":
                chk.fail((*where, key), f"a {kind} design draws nothing at random", "no seed here")
            else:
                chk.fail(
                    (*where, key),
                    f"unknown key '{key}' for a {kind} design",
                    suggest(key, allowed),
                )
    design_seed = seed
    if "seed" in raw and kind in ("lhs", "sobol", "morris"):
        design_seed = chk.integer((*where, "seed"), raw["seed"], 0, MAX_SEED)
    if kind == "grid":
        return DesignSpec("grid")
    if kind == "lhs":
        if "points" not in raw:
            chk.fail(where, "missing 'points'", "the number of points, e.g. 64")
            return None
        points = chk.integer((*where, "points"), raw["points"], 2, MAX_RUNS)
        return None if points is None else DesignSpec("lhs", points=points, seed=design_seed)
    if kind == "sobol":
        if "base" not in raw:
            chk.fail(where, "missing 'base'", "the base sample size N, a power of 2 such as 64")
            return None
        base = chk.integer((*where, "base"), raw["base"], 2, MAX_RUNS)
        if base is not None and base & (base - 1):
            chk.fail(
                (*where, "base"),
                f"{base} is not a power of 2",
                "a power of 2 such as 32, 64 or 128",
                at_value=True,
            )
            base = None
        second = True
        if "second_order" in raw:
            value = chk.boolean((*where, "second_order"), raw["second_order"])
            second = True if value is None else value
        if base is None:
            return None
        return DesignSpec("sobol", base=base, second_order=second, seed=design_seed)
    if kind == "morris":
        if "trajectories" not in raw:
            chk.fail(where, "missing 'trajectories'", "the number of trajectories, e.g. 20")
            return None
        trajectories = chk.integer((*where, "trajectories"), raw["trajectories"], 2, MAX_RUNS)
        levels = 4
        if "levels" in raw:
            given = chk.integer((*where, "levels"), raw["levels"], 2, 1000)
            levels = 4 if given is None else given
        if trajectories is None:
            return None
        return DesignSpec("morris", trajectories=trajectories, levels=levels, seed=design_seed)
    return _cases(chk, raw, dims)


def _cases(chk: _Checker, raw: Mapping[str, Any], dims: Dims) -> DesignSpec | None:
    where: tuple[PathItem, ...] = ("design", "cases")
    cases = raw.get("cases")
    if cases is None:
        chk.fail(("design",), "missing 'cases'", "a list of mappings from path to value")
        return None
    if not isinstance(cases, list) or not cases:
        chk.fail(
            where,
            "must be a non-empty list",
            "a list of mappings from path to value",
            at_value=True,
        )
        return None
    out: list[dict[str, float]] = []
    first_keys: list[str] | None = None
    known: dict[str, tuple[float, float] | None] = {}
    ok = True
    for i, case in enumerate(cases):
        here = (*where, i)
        if not chk.mapping(here, case, "a mapping from path to value"):
            ok = False
            continue
        assert isinstance(case, dict)
        row: dict[str, float] = {}
        for key, value in case.items():
            if key not in known:
                resolved = _resolve_path(chk, (*here, key), key, dims)
                known[key] = None if resolved is None else resolved[1]
            bounds = known[key]
            number = chk.number((*here, key), value)
            if bounds is None or number is None:
                ok = False
                continue
            if not _check_value(chk, (*here, key), number, bounds):
                ok = False
            row[canonical_path(key)] = number
        keys = list(case)
        if first_keys is None:
            first_keys = keys
        elif sorted(keys) != sorted(first_keys):
            missing = sorted(set(first_keys) - set(keys))
            extra = sorted(set(keys) - set(first_keys))
            parts = []
            if missing:
                parts.append("lacks " + ", ".join(missing))
            if extra:
                parts.append("adds " + ", ".join(extra))
            chk.fail(
                here,
                "every case must set the same paths; this one " + " and ".join(parts),
                "the paths of the first case: " + ", ".join(first_keys),
            )
            ok = False
        if row in out:
            chk.fail(here, "repeats an earlier case", "distinct cases")
            ok = False
        out.append(row)
    if first_keys:
        _check_overlap(
            chk,
            [(*where, 0, k) for k in first_keys],
            [canonical_path(k) for k in first_keys],
            dims,
        )
    return DesignSpec("cases", cases=tuple(out)) if ok else None


def _keep(chk: _Checker, data: Mapping[str, Any]) -> KeepSpec | None:
    if "keep" not in data:
        return KeepSpec()
    raw = data["keep"]
    where: tuple[PathItem, ...] = ("keep",)
    if not chk.mapping(where, raw, "a mapping with final and timeseries"):
        return None
    assert isinstance(raw, dict)
    chk.keys(where, raw, KEEP_KEYS)
    final: tuple[str, ...] = METRIC_GROUPS
    ok = True
    if "final" in raw:
        value = raw["final"]
        if value == "all":
            final = METRIC_GROUPS
        elif isinstance(value, list):
            groups = []
            for i, item in enumerate(value):
                if item not in METRIC_GROUPS:
                    chk.fail(
                        (*where, "final", i),
                        f"unknown metric group '{item}'"
                        if isinstance(item, str)
                        else f"unknown metric group {_kind(item)}",
                        suggest(str(item), METRIC_GROUPS),
                        at_value=True,
                    )
                    ok = False
                elif item not in groups:
                    groups.append(item)
            final = tuple(g for g in METRIC_GROUPS if g in groups)
        else:
            chk.fail(
                (*where, "final"),
                f"must be 'all' or a list, not {_kind(value)}",
                "all, or a list of: " + ", ".join(METRIC_GROUPS),
                at_value=True,
            )
            ok = False
    every: int | None = KeepSpec.every
    states = True
    if "timeseries" in raw:
        ts = raw["timeseries"]
        if ts is False or ts is None:
            every = None
        elif chk.mapping((*where, "timeseries"), ts, "false, or a mapping with every and states"):
            assert isinstance(ts, dict)
            chk.keys((*where, "timeseries"), ts, TIMESERIES_KEYS)
            if "every" in ts:
                every = chk.integer((*where, "timeseries", "every"), ts["every"], 1, 100_000)
                ok = ok and every is not None
            if "states" in ts:
                value = chk.boolean((*where, "timeseries", "states"), ts["states"])
                ok = ok and value is not None
                states = bool(value)
        else:
            ok = False
    return KeepSpec(final, every, states) if ok else None


# --------------------------------------------------------------------------- reading


def _sha256(path: str | os.PathLike[str]) -> str:
    try:
        return file_sha256(path)
    except InputFileError as exc:
        raise SweepError([Problem(exc.file, None, None, "", exc.reason)]) from None


def _not_a_sweep(doc: Located) -> SweepError:
    problem = doc.problem_at(
        (),
        "this is not a sweep file: it has neither 'scenario' nor 'design'",
        "a sweep file (a base scenario under 'scenario:' and a 'design:' section); "
        "a scenario file is run with 'influence-sim run'",
    )
    return SweepError([problem])


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
        raise _not_a_sweep(doc)
    chk = _Checker(doc)
    chk.keys((), data, TOP_KEYS)
    for required in ("scenario", "design"):
        if required not in data:
            expected = "the path of the base scenario, relative to this file"
            if required == "design":
                expected = "a design: grid, cases, lhs, sobol or morris"
            chk.fail((), f"missing '{required}'", expected)

    name = Path(doc.file).stem
    if "name" in data:
        name = chk.text(("name",), data["name"]) or name
    elif text_problem(name) is not None:
        chk.fail(
            (),
            f"the file name cannot name the sweep: {text_problem(name)}",
            "name: a short name for this sweep",
        )
    description = ""
    if "description" in data:
        description = chk.text(("description",), data["description"]) or ""

    scenario: Scenario | None = None
    scenario_path = ""
    if "scenario" in data:
        written = chk.text(("scenario",), data["scenario"])
        if written is not None:
            scenario_path = os.path.normpath(os.path.join(os.path.dirname(doc.file), written))
            if not os.path.isfile(scenario_path):
                chk.fail(
                    ("scenario",),
                    f"no scenario file at '{written}'",
                    "a path relative to the sweep file's folder",
                    at_value=True,
                )
            else:
                try:
                    scenario = load_scenario(scenario_path)
                except ScenarioError as exc:
                    raise SweepError([*chk.problems, *exc.problems]) from None
    if scenario is None:
        raise SweepError(chk.problems or [doc.problem_at(("scenario",), "no base scenario")])

    seed: int | None = scenario.seed
    if "seed" in data:
        seed = chk.integer(("seed",), data["seed"], 0, MAX_SEED)
    elif seed is None:
        chk.fail(
            (), "missing 'seed' (the base scenario has none either)", "a whole number, e.g. seed: 1"
        )
    elif seed > MAX_SEED:
        chk.fail(
            (),
            "missing 'seed': the base scenario's seed is too large for a sweep",
            f"a whole number from 0 to {MAX_SEED}",
        )
        seed = None
    replicates = 1
    if "replicates" in data:
        replicates = chk.integer(("replicates",), data["replicates"], 1, MAX_RUNS) or 1
    crn = False
    if "common_random_numbers" in data:
        crn = bool(chk.boolean(("common_random_numbers",), data["common_random_numbers"]))

    dims: Dims = scenario.dims
    design = _design(chk, data, dims, seed) if "design" in data else None
    factors: list[Factor] = []
    kind: str | None = design.kind if design is not None else None
    raw_design = data.get("design")
    if kind is None and isinstance(raw_design, dict) and raw_design.get("kind") in DESIGN_KINDS:
        kind = str(raw_design["kind"])
    raw_vary = data.get("vary")
    if kind == "cases":
        if "vary" in data:
            chk.fail(
                ("vary",),
                "a cases design takes its paths from the cases",
                "no 'vary' with kind: cases",
            )
    elif "vary" not in data:
        if "design" in data:
            chk.fail((), "missing 'vary'", "a mapping from path to range (or values)")
    elif chk.mapping(("vary",), raw_vary, "a mapping from path to range (or values)"):
        assert isinstance(raw_vary, dict)
        if not raw_vary:
            chk.fail(("vary",), "varies nothing", "at least one path")
        for key, spec in raw_vary.items():
            factor = _factor(chk, key, spec, kind, dims)
            if factor is not None:
                factors.append(factor)
        _check_overlap(
            chk,
            [("vary", k) for k in raw_vary],
            [canonical_path(k) for k in raw_vary if isinstance(k, str)],
            dims,
        )
        paths = [f.path for f in factors]
        for key in raw_vary:
            if paths.count(canonical_path(key)) > 1:
                chk.fail(("vary", key), "is varied twice (under two spellings)", "each path once")
                break
    keep = _keep(chk, data)
    if design is not None and design.kind == "cases" and design.cases:
        factors = [Factor(p, bounds=_path_bounds(p, dims)) for p in design.cases[0]]

    if chk.problems:
        raise SweepError(chk.problems)
    assert design is not None and keep is not None and seed is not None
    spec = SweepSpec(
        path=doc.file,
        sha256=sha256,
        name=name,
        description=description,
        scenario_path=scenario_path,
        seed=seed,
        replicates=replicates,
        common_random_numbers=crn,
        factors=tuple(factors),
        design=design,
        keep=keep,
    )
    n_runs = count_points(spec) * replicates
    if n_runs > MAX_RUNS:
        where = ("replicates",) if "replicates" in data else ("design",)
        raise SweepError(
            [
                doc.problem_at(
                    where, f"the sweep would make {n_runs:,} runs", f"at most {MAX_RUNS:,} runs"
                )
            ]
        )
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
    except SweepError:
        raise
    except ScenarioError as exc:
        raise SweepError(exc.problems) from None
    return parse_sweep(doc, _sha256(path))
