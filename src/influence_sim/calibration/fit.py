"""Calibration: the parameter values that bring a scenario's runs closest to the targets.

The objective. For candidate parameter values ``θ`` the scenario is run ``R`` times, replicate
``r`` always with the same seed sequence (common random numbers: the same offer noise and shock
draws for every candidate, so differences between candidates are differences of parameters, not
of luck). The loss of a candidate is the mean over replicates of

    ``sum_t weight_t * ((model_t(θ, r) - value_t) / tolerance_t) ** 2``

(:func:`influence_sim.calibration.targets.run_losses`). With common random numbers the loss is
a deterministic, piecewise smooth function of ``θ``.

The parameters are set exactly as a scenario's ``parameters:`` would set them, so the fitted
values written as a scenario fragment reproduce the fit when a scenario ``extends`` it. The other
values are those every run of the scenario has: the residuals estimated from the country panel
(``seeds/residuals.csv``), or, when the scenario names a posterior (``posterior:``), replicate
``r``'s draw of its parameters and residuals, the draw replicate ``r`` of ``influence-sim run``
uses (a fitted value wins over the draw's).

The search, in the unit cube of the parameters' bounds:

1. a Latin hypercube design (plus the scenario's own values) is evaluated in batches;
2. the best design points start local searches with L-BFGS-B (``scipy.optimize.minimize``),
   whose gradient is a central finite difference evaluated in one batch;
3. the best end point is the fit.

Identifiability: for every parameter, the loss along its whole range with the others at the
fit (a one-dimensional slice; not re-optimised), the interval around the fit where the loss
stays within ``threshold`` of its minimum, and the spread of the local optima whose loss is
within the same threshold.

Every candidate batch (``C`` candidates times ``R`` replicates) is built with
:func:`influence_sim.initial.build_runs`, as every driver builds its runs, and stepped at once
by the ensemble driver.
Everything is deterministic given the seed.
"""

from __future__ import annotations

import importlib
import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pandas as pd

from influence_sim import initial
from influence_sim._text import check_kind
from influence_sim.api import resolve_posterior
from influence_sim.calibration.metrics import RegionalSeries
from influence_sim.calibration.report import TargetRow, compare
from influence_sim.calibration.targets import ObservedFigure, run_losses
from influence_sim.ensemble import MemoryLimitError, check_memory, recorded_steps, simulate
from influence_sim.kernel.arrays import FloatArray
from influence_sim.paths import PathError, resolve
from influence_sim.posterior import PosteriorError
from influence_sim.rng import as_seed_sequence, child, replicate_seeds
from influence_sim.scenario import Scenario
from influence_sim.sweep.design import latin_hypercube

DESIGN_STREAM = 1_000_003
"""Spawn key of the Latin hypercube's generator under the calibration seed (replicates use the
keys 0 to R-1, as :func:`influence_sim.rng.replicate_seeds` does)."""

FD_STEP = 1e-3
"""Finite-difference step in the unit cube (a thousandth of each parameter's range)."""

PINNED = "pinned"
LOOSE = "loosely pinned"
NOT_PINNED = "not pinned"


class CalibrationError(ValueError):
    """A calibration that cannot be set up; the message says what was expected."""


@dataclass(frozen=True)
class FreeParameter:
    """A parameter the calibration varies.

    Attributes:
        name: As the user wrote it (``offer_sensitivity``, ``powers.china.doctrine``).
        path: Canonical dotted path.
        low: Lower end of the search range.
        high: Upper end of the search range.
        scenario_value: Its value in the scenario before calibration (a start candidate).
        default: Its value in the reference (the defaults from ``seeds/``).
    """

    name: str
    path: str
    low: float
    high: float
    scenario_value: float
    default: float

    def to_unit(self, value: FloatArray | float) -> FloatArray:
        """Map values to [0, 1] over the range."""
        return (np.asarray(value, dtype=float) - self.low) / (self.high - self.low)

    def from_unit(self, u: FloatArray | float) -> FloatArray:
        """Map [0, 1] back to values."""
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "path": self.path,
            "low": self.low,
            "high": self.high,
            "scenario_value": self.scenario_value,
            "default": self.default,
        }


def _scenario_arrays(scenario: Scenario) -> tuple[Any, Any, Any, Any]:
    dims = scenario.dims
    ref_state, ref_params = initial.reference_arrays(dims, scenario.start)
    initial.apply_overrides(ref_state, ref_params, dims, scenario.reference_overrides())
    state, params = initial.build_columns(
        dims, scenario.start, 1, scenario.overrides(), scenario.reference_overrides()
    )
    return state, params, ref_state, ref_params


def parse_free_parameters(
    specs: Sequence[str] | str, scenario: Scenario
) -> tuple[FreeParameter, ...]:
    """Parse ``--params``: names or dotted paths, each optionally with ``=LOW:HIGH``.

    Without bounds the range is the parameter's own bounds; an unbounded upper end becomes three
    times the larger of the scenario's and the reference value (at least the lower end plus 1).

    Args:
        specs: ``P1,P2,...`` or a sequence of items.
        scenario: The scenario (for entities and current values).

    Returns:
        The free parameters, in the order given.

    Raises:
        CalibrationError: For an unknown path, a duplicate, or bad bounds.
        TypeError: If ``scenario`` is not a loaded scenario (a path is not read here).
    """
    expected = "a loaded Scenario (influence_sim.load_scenario(path))"
    check_kind("scenario", scenario, Scenario, expected)
    items = specs.split(",") if isinstance(specs, str) else list(specs)
    items = [i.strip() for i in items if i.strip()]
    if not items:
        raise CalibrationError("no parameters to fit (expected --params P1,P2,...)")
    state, params, ref_state, ref_params = _scenario_arrays(scenario)
    out: list[FreeParameter] = []
    for item in items:
        name, _, bounds = item.partition("=")
        name = name.strip()
        path = initial.canonical_path(name)
        try:
            slots = resolve(path, scenario.dims)
        except PathError as exc:
            raise CalibrationError(f"--params {name}: {exc}") from None
        if any(p.path == path for p in out):
            raise CalibrationError(f"--params {name}: given twice (expected each parameter once)")
        current = float(np.mean([t.get(state, params)[0] for t in slots]))
        default = float(np.mean([t.get(ref_state, ref_params)[0] for t in slots]))
        low_b = slots[0].low
        high_b = slots[0].high
        if bounds:
            lo_text, sep, hi_text = bounds.partition(":")
            try:
                low, high = float(lo_text), float(hi_text)
            except ValueError:
                raise CalibrationError(
                    f"--params {item}: bounds '{bounds}' are not numbers (expected NAME=LOW:HIGH)"
                ) from None
            if not sep or not (math.isfinite(low) and math.isfinite(high)):
                raise CalibrationError(f"--params {item}: expected NAME=LOW:HIGH")
            if (low_b is not None and low < low_b) or (high_b is not None and high > high_b):
                raise CalibrationError(
                    f"--params {item}: range outside the parameter's bounds "
                    f"(expected within [{low_b}, {high_b if high_b is not None else 'inf'}])"
                )
        else:
            low = low_b if low_b is not None else min(current, default) - 1.0
            high = (
                high_b
                if high_b is not None
                else max(3.0 * max(abs(current), abs(default)), low + 1.0)
            )
        if not high > low:
            raise CalibrationError(f"--params {item}: empty range [{low}, {high}]")
        out.append(FreeParameter(name, path, float(low), float(high), current, default))
    return tuple(out)


class Objective:
    """The loss of candidate parameter values, evaluated in batches with common random numbers.

    Attributes:
        scenario: The scenario calibrated.
        targets: The targets.
        free: The parameters varied.
        replicates: Replicates per candidate.
        seed: Root seed of the replicates.
        evaluations: Candidates evaluated so far.
    """

    def __init__(
        self,
        scenario: Scenario,
        targets: Sequence[ObservedFigure],
        free: Sequence[FreeParameter],
        seed: int,
        replicates: int,
        chunk_runs: int = 1024,
    ):
        """Prepare the runs: base overrides, replicate seeds and their compiled timeline.

        Args:
            scenario: Scenario whose runs are fitted.
            targets: Targets with weights.
            free: Parameters to vary.
            seed: Root seed; replicate ``r`` uses its child ``r`` for every candidate.
            replicates: Replicates per candidate (at least 1).
            chunk_runs: Largest number of runs stepped in one batch.

        Raises:
            CalibrationError: If a target's period holds no step of the run, no target has
                a weight, or a candidate's replicates would not fit in memory.
        """
        if replicates < 1:
            raise CalibrationError("replicates must be at least 1")
        try:  # a batch holds a candidate's replicates at least, with every step recorded
            check_memory(scenario.dims, len(recorded_steps(scenario.clock().n_steps)), replicates)
        except MemoryLimitError as exc:
            raise CalibrationError(str(exc)) from None
        self.scenario = scenario
        self.targets = tuple(targets)
        self.free = tuple(free)
        self.seed = seed
        self.replicates = replicates
        self.chunk_runs = max(chunk_runs, replicates)
        self.evaluations = 0
        self._dims = scenario.dims
        self._clock = scenario.clock()
        free_paths = {p.path for p in free}
        for p in free:
            free_paths.update(t.path for t in resolve(p.path, scenario.dims))
        self._base = {k: v for k, v in scenario.overrides().items() if k not in free_paths}
        self._reference = scenario.reference_overrides()
        self._seeds = replicate_seeds(seed, replicates)
        try:  # replicate r of every candidate draws what replicate r of `run` draws
            self._posterior = resolve_posterior(scenario)
        except PosteriorError as exc:
            raise CalibrationError(str(exc)) from None
        self._draws = None if self._posterior is None else self._posterior.draw_index(self._seeds)
        self._timeline = scenario.compile(self._seeds)
        dates = self._clock.dates
        for t in self.targets:
            if not any(t.period_start <= d <= t.period_end for d in dates):
                raise CalibrationError(
                    f"target {t.id}: no step of the scenario falls in {t.period} "
                    f"(the run steps {dates[0]}..{dates[-1]} by {scenario.step}; expected a "
                    "scenario that covers every target's period)"
                )
        if not any(t.weight > 0 for t in self.targets):
            raise CalibrationError("every target has weight 0 (expected at least one above 0)")

    @property
    def dimension(self) -> int:
        """Number of free parameters."""
        return len(self.free)

    def values_of(self, unit: FloatArray) -> FloatArray:
        """Parameter values of points in the unit cube, ``(C, d)``."""
        unit = np.atleast_2d(np.clip(unit, 0.0, 1.0))
        cols = [p.from_unit(unit[:, j]) for j, p in enumerate(self.free)]
        return np.stack(cols, axis=1)

    def model_values(self, values: FloatArray) -> FloatArray:
        """The model's value of every target for candidates, per replicate.

        Args:
            values: ``(C, d)`` parameter values.

        Returns:
            ``(n_targets, C, R)`` model values.
        """
        values = np.atleast_2d(np.asarray(values, dtype=float))
        per_chunk = max(1, self.chunk_runs // self.replicates)
        parts = [
            self._run_chunk(values[i : i + per_chunk]) for i in range(0, values.shape[0], per_chunk)
        ]
        self.evaluations += values.shape[0]
        return np.concatenate(parts, axis=1)

    def _run_chunk(self, values: FloatArray) -> FloatArray:
        n_cand, reps = values.shape[0], self.replicates
        n = n_cand * reps
        columns: dict[str, FloatArray | float] = dict(self._base)
        for j, p in enumerate(self.free):
            columns[p.path] = np.repeat(values[:, j], reps)
        draws = None if self._draws is None else np.tile(self._draws, n_cand)
        state, params = initial.build_runs(
            self._dims, self._clock.start, n, columns, self._reference, self._posterior, draws
        )
        index = cast(FloatArray, np.tile(np.arange(reps), n_cand))  # integer run indices
        timeline = self._timeline.take(index)
        output = simulate(self._dims, self._clock, state, params, timeline, self._seeds * n_cand)
        series = RegionalSeries.from_output(output)
        rows = [series.values(t.metric, t.period_start, t.period_end) for t in self.targets]
        return np.stack(rows).reshape(len(self.targets), n_cand, reps)

    def losses(self, values: FloatArray) -> FloatArray:
        """Loss of candidates: weighted squared misses, summed over targets, mean over replicates.

        Args:
            values: ``(C, d)`` parameter values.

        Returns:
            ``(C,)`` losses.
        """
        return loss_of(self.model_values(values), self.targets)

    def unit_losses(self, unit: FloatArray) -> FloatArray:
        """:meth:`losses` of points given in the unit cube."""
        return self.losses(self.values_of(unit))


def loss_of(model: FloatArray, targets: Sequence[ObservedFigure]) -> FloatArray:
    """Loss from model values.

    Args:
        model: ``(n_targets, C, R)`` model values.
        targets: The targets.

    Returns:
        ``(C,)``: per replicate the sum over targets of the weighted squared misses, then the
        mean over replicates.
    """
    out: FloatArray = run_losses(model, targets).sum(axis=0).mean(axis=-1)
    return out


@dataclass(frozen=True)
class LocalSearch:
    """One local search.

    Attributes:
        start: ``(d,)`` starting values.
        end: ``(d,)`` values it ended at.
        start_loss: Loss at the start.
        loss: Loss at the end.
        iterations: Iterations of L-BFGS-B.
        evaluations: Candidates evaluated (each gradient counts ``2 d + 1``).
        converged: Whether the optimiser reported success.
        message: The optimiser's message.
    """

    start: FloatArray
    end: FloatArray
    start_loss: float
    loss: float
    iterations: int
    evaluations: int
    converged: bool
    message: str


@dataclass(frozen=True)
class Profile:
    """The loss along one parameter's range, the others held at the fit.

    Attributes:
        parameter: The parameter.
        grid: ``(n,)`` values tried (the fit included).
        loss: ``(n,)`` loss at each.
        interval: Lowest and highest value around the fit with loss within the threshold
            (linear interpolation between grid points).
        multistart_range: Lowest and highest end point of the local searches whose loss is
            within the threshold of the best.
        verdict: ``pinned`` (interval under 20% of the range), ``loosely pinned`` (under
            60%) or ``not pinned``.
    """

    parameter: FreeParameter
    grid: FloatArray
    loss: FloatArray
    interval: tuple[float, float]
    multistart_range: tuple[float, float]
    verdict: str

    @property
    def width_fraction(self) -> float:
        """Width of :attr:`interval` as a fraction of the search range."""
        lo, hi = self.interval
        return (hi - lo) / (self.parameter.high - self.parameter.low)


@dataclass(frozen=True)
class Settings:
    """How a calibration was run.

    Attributes:
        seed: Root seed (replicates and design).
        replicates: Replicates per candidate.
        design_points: Latin hypercube points.
        starts: Local searches.
        max_iterations: Iteration limit of each local search.
        profile_points: Grid points of each profile.
        threshold: Loss above the minimum that still counts as fitting as well.
    """

    seed: int
    replicates: int
    design_points: int = 64
    starts: int = 4
    max_iterations: int = 40
    profile_points: int = 25
    threshold: float = 1.0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready settings."""
        return {
            "seed": self.seed,
            "replicates": self.replicates,
            "design_points": self.design_points,
            "starts": self.starts,
            "max_iterations": self.max_iterations,
            "profile_points": self.profile_points,
            "threshold": self.threshold,
            "optimiser": "Latin hypercube (scipy.stats.qmc) then L-BFGS-B (scipy.optimize) "
            "with batched central differences",
        }


@dataclass(frozen=True)
class CalibrationResult:
    """The outcome of a calibration.

    Attributes:
        scenario: The scenario calibrated.
        targets: The targets.
        free: The parameters varied.
        settings: How it was run.
        fitted: ``(d,)`` fitted values.
        loss: Loss at the fit.
        model: ``(n_targets, R)`` model values at the fit.
        searches: The local searches, in the order run.
        profiles: One profile per parameter.
        evaluations: Candidates evaluated in all.
        targets_path: The targets file as given, if any.
        targets_sha256: Its hash, if any.
        wall_time_s: Wall time of the calibration.
    """

    scenario: Scenario
    targets: tuple[ObservedFigure, ...]
    free: tuple[FreeParameter, ...]
    settings: Settings
    fitted: FloatArray
    loss: float
    model: FloatArray
    searches: tuple[LocalSearch, ...]
    profiles: tuple[Profile, ...]
    evaluations: int
    targets_path: str | None = None
    targets_sha256: str | None = None
    wall_time_s: float = field(default=0.0, compare=False)

    @property
    def fitted_values(self) -> dict[str, float]:
        """Fitted value by path."""
        return {p.path: float(v) for p, v in zip(self.free, self.fitted, strict=True)}

    def rows(self) -> list[TargetRow]:
        """Model against target at the fit."""
        return compare(self.targets, self.model)

    def loss_by_target(self) -> dict[str, float]:
        """Each target's part of the loss (mean over replicates)."""
        parts = run_losses(self.model, self.targets).mean(axis=1)
        return {t.id: float(x) for t, x in zip(self.targets, parts, strict=True)}

    def as_dict(self) -> dict[str, Any]:
        """Everything about the fit as JSON-ready data (``fit.json``)."""
        return {
            "scenario": {
                "name": self.scenario.name,
                "path": self.scenario.path,
                "sha256": self.scenario.sha256,
                "files": list(self.scenario.files),
                "start": self.scenario.start.isoformat(),
                "end": self.scenario.end.isoformat(),
                "step": self.scenario.step,
                "posterior": self.scenario.posterior,
            },
            "targets_file": {"path": self.targets_path, "sha256": self.targets_sha256},
            "settings": self.settings.as_dict(),
            "parameters": [
                {**p.as_dict(), "fitted": float(v)}
                for p, v in zip(self.free, self.fitted, strict=True)
            ],
            "loss": self.loss,
            "loss_by_target": self.loss_by_target(),
            "targets": [row.as_dict() for row in self.rows()],
            "identifiability": [
                {
                    "path": pr.parameter.path,
                    "fitted": float(v),
                    "interval": list(pr.interval),
                    "interval_fraction_of_range": pr.width_fraction,
                    "multistart_range": list(pr.multistart_range),
                    "verdict": pr.verdict,
                }
                for pr, v in zip(self.profiles, self.fitted, strict=True)
            ],
            "profiles": [
                {
                    "path": pr.parameter.path,
                    "values": pr.grid.tolist(),
                    "loss": pr.loss.tolist(),
                }
                for pr in self.profiles
            ],
            "local_searches": [
                {
                    "start": s.start.tolist(),
                    "end": s.end.tolist(),
                    "start_loss": s.start_loss,
                    "loss": s.loss,
                    "iterations": s.iterations,
                    "evaluations": s.evaluations,
                    "converged": s.converged,
                    "message": s.message,
                }
                for s in self.searches
            ],
            "evaluations": self.evaluations,
            "runs": self.evaluations * self.settings.replicates,
            "wall_time_s": self.wall_time_s,
        }

    def profile_frame(self) -> pd.DataFrame:
        """The loss slices and the local searches' ends, one row per parameter and point.

        Returns:
            Columns ``parameter`` (path), ``kind`` (``profile``: a point of the slice through
            the fit; ``search``: where a local search ended, in this parameter), ``value``,
            ``loss``, and per parameter ``fitted``, ``interval_low``, ``interval_high`` and
            ``verdict`` (:class:`Profile`), then ``threshold`` (:attr:`Settings.threshold`) and
            ``level`` (the loss at the fit plus the threshold), in the order of
            :attr:`profiles`, slice points before search ends.
        """
        level = self.loss + self.settings.threshold
        frames = []
        for i, pr in enumerate(self.profiles):
            ends = [float(s.end[i]) for s in self.searches]
            frame = pd.DataFrame(
                {
                    "parameter": pr.parameter.path,
                    "kind": ["profile"] * len(pr.grid) + ["search"] * len(ends),
                    "value": [*np.asarray(pr.grid, dtype=float), *ends],
                    "loss": [*np.asarray(pr.loss, dtype=float), *(s.loss for s in self.searches)],
                }
            )
            frames.append(
                frame.assign(
                    fitted=float(self.fitted[i]),
                    interval_low=float(pr.interval[0]),
                    interval_high=float(pr.interval[1]),
                    verdict=pr.verdict,
                    threshold=float(self.settings.threshold),
                    level=level,
                )
            )
        columns = [
            "parameter",
            "kind",
            "value",
            "loss",
            "fitted",
            "interval_low",
            "interval_high",
            "verdict",
            "threshold",
            "level",
        ]
        if not frames:
            return pd.DataFrame(columns=columns)
        return pd.concat(frames, ignore_index=True)[columns]


class _Progress:
    """A progress bar over candidate evaluations on stderr (tqdm), or nothing."""

    def __init__(self, total: int, enabled: bool):
        self._bar: Any = None
        if enabled:
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:  # pragma: no cover - a dependency of the package
                return
            self._bar = tqdm(
                total=total,
                unit="cand",
                file=sys.stderr,
                desc="calibrate",
                dynamic_ncols=True,
                leave=True,
            )

    def update(self, n: int) -> None:
        if self._bar is not None and n > 0:
            self._bar.update(n)

    def describe(self, text: str) -> None:
        if self._bar is not None:
            self._bar.set_description(text)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _interval(
    grid: FloatArray, loss: FloatArray, fitted: float, level: float
) -> tuple[float, float]:
    """The interval around ``fitted`` where the piecewise-linear loss stays below ``level``."""
    i0 = int(np.argmin(np.abs(grid - fitted)))
    lo = hi = float(grid[i0])
    i = i0
    while i > 0 and loss[i - 1] <= level:
        i -= 1
    lo = float(grid[i])
    if i > 0:
        a, b = loss[i - 1], loss[i]
        lo = float(grid[i - 1] + (grid[i] - grid[i - 1]) * (a - level) / (a - b)) if a != b else lo
    i = i0
    while i < len(grid) - 1 and loss[i + 1] <= level:
        i += 1
    hi = float(grid[i])
    if i < len(grid) - 1:
        a, b = loss[i], loss[i + 1]
        hi = float(grid[i] + (grid[i + 1] - grid[i]) * (level - a) / (b - a)) if a != b else hi
    return lo, hi


def _verdict(fraction: float) -> str:
    if fraction <= 0.2:
        return PINNED
    if fraction <= 0.6:
        return LOOSE
    return NOT_PINNED


def calibrate(
    scenario: Scenario,
    targets: Sequence[ObservedFigure],
    free: Sequence[FreeParameter],
    settings: Settings,
    progress: bool = False,
    targets_path: str | None = None,
    targets_sha256: str | None = None,
) -> CalibrationResult:
    """Fit the free parameters of a scenario to the targets.

    Args:
        scenario: The scenario whose runs are fitted (its overrides and shocks are kept).
        targets: The targets.
        free: The parameters to vary, with their ranges.
        settings: Seed, replicates and optimiser settings.
        progress: Show a progress bar on stderr.
        targets_path: The targets file, for provenance.
        targets_sha256: Its hash.

    Returns:
        The fit, with model against target, local searches and profiles.

    Raises:
        CalibrationError: If the problem cannot be set up (see :class:`Objective`).
    """
    from scipy.optimize import minimize

    began = time.perf_counter()
    if settings.starts < 1 or settings.design_points < 1:
        raise CalibrationError("design points and starts must be at least 1")
    objective = Objective(scenario, targets, free, settings.seed, settings.replicates)
    d = objective.dimension
    per_gradient = 2 * d + 1
    max_calls = 2 * settings.max_iterations + 5
    budget = (
        settings.design_points
        + 1
        + settings.starts * max_calls * per_gradient
        + d * (settings.profile_points + 1)
    )
    bar = _Progress(budget, progress)
    try:
        # 1. design: the Latin hypercube plus the scenario's own values
        rng = np.random.default_rng(child(as_seed_sequence(settings.seed), DESIGN_STREAM))
        design = latin_hypercube(settings.design_points, d, rng)
        own = np.array([float(np.clip(p.to_unit(p.scenario_value), 0.0, 1.0)) for p in free])
        design = np.vstack([own[None, :], design])
        bar.describe("calibrate: design")
        design_loss = objective.unit_losses(design)
        bar.update(design.shape[0])
        order = np.argsort(design_loss, kind="stable")
        chosen: list[int] = []
        for i in order:
            if not any(np.allclose(design[i], design[j]) for j in chosen):
                chosen.append(int(i))
            if len(chosen) == settings.starts:
                break

        # 2. local searches
        searches: list[LocalSearch] = []
        for number, i in enumerate(chosen, start=1):
            bar.describe(f"calibrate: search {number}/{len(chosen)}")
            calls = 0

            def fun(u: FloatArray) -> tuple[float, FloatArray]:
                nonlocal calls
                calls += 1
                points = [np.clip(u, 0.0, 1.0)]
                for j in range(d):
                    up, down = points[0].copy(), points[0].copy()
                    up[j] = min(up[j] + FD_STEP, 1.0)
                    down[j] = max(down[j] - FD_STEP, 0.0)
                    points += [up, down]
                losses = objective.unit_losses(np.array(points))
                if calls <= max_calls:
                    bar.update(per_gradient)
                with np.errstate(invalid="ignore"):
                    grad = np.array(
                        [
                            (losses[1 + 2 * j] - losses[2 + 2 * j])
                            / (points[1 + 2 * j][j] - points[2 + 2 * j][j])
                            for j in range(d)
                        ]
                    )
                # two infinite losses give no direction: the search stays where it is
                return float(losses[0]), np.where(np.isfinite(grad), grad, 0.0)

            res = minimize(
                fun,
                design[i],
                jac=True,
                method="L-BFGS-B",
                bounds=[(0.0, 1.0)] * d,
                options={
                    "maxiter": settings.max_iterations,
                    "maxfun": max_calls - 5,
                    "ftol": 1e-10,
                    "gtol": 1e-7,
                },
            )
            bar.update((max_calls - min(calls, max_calls)) * per_gradient)
            end_unit = np.clip(np.asarray(res.x, dtype=float), 0.0, 1.0)
            searches.append(
                LocalSearch(
                    start=objective.values_of(design[i])[0],
                    end=objective.values_of(end_unit)[0],
                    start_loss=float(design_loss[i]),
                    loss=float(res.fun),
                    iterations=int(res.nit),
                    evaluations=calls * per_gradient,
                    converged=bool(res.success),
                    message=str(res.message),
                )
            )
        best = min(range(len(searches)), key=lambda k: (searches[k].loss, k))
        fitted = searches[best].end
        best_loss = searches[best].loss
        if float(design_loss.min()) < best_loss:  # pragma: no cover - a search never worsens
            k = int(np.argmin(design_loss))
            fitted, best_loss = objective.values_of(design[k])[0], float(design_loss[k])

        # 3. model at the fit and profiles
        bar.describe("calibrate: profiles")
        model = objective.model_values(fitted[None, :])[:, 0, :]
        best_loss = float(loss_of(model[:, None, :], objective.targets)[0])
        profiles = _profiles(objective, fitted, best_loss, searches, settings)
        bar.update(d * (settings.profile_points + 1))
    finally:
        bar.close()
    return CalibrationResult(
        scenario=scenario,
        targets=tuple(targets),
        free=tuple(free),
        settings=settings,
        fitted=fitted,
        loss=best_loss,
        model=model,
        searches=tuple(searches),
        profiles=profiles,
        evaluations=objective.evaluations,
        targets_path=targets_path,
        targets_sha256=targets_sha256,
        wall_time_s=round(time.perf_counter() - began, 3),
    )


def _profiles(
    objective: Objective,
    fitted: FloatArray,
    best_loss: float,
    searches: Sequence[LocalSearch],
    settings: Settings,
) -> tuple[Profile, ...]:
    """Slices of the loss through the fit along each parameter, in one batch."""
    d = objective.dimension
    grids = []
    for j, p in enumerate(objective.free):
        grid = np.unique(np.append(np.linspace(p.low, p.high, settings.profile_points), fitted[j]))
        grids.append(grid)
    candidates = []
    for j, grid in enumerate(grids):
        for value in grid:
            point = fitted.copy()
            point[j] = value
            candidates.append(point)
    losses = objective.losses(np.array(candidates))
    level = best_loss + settings.threshold
    near = [s for s in searches if s.loss <= level]
    out: list[Profile] = []
    start = 0
    for j, grid in enumerate(grids):
        loss = losses[start : start + grid.size]
        start += grid.size
        interval = _interval(grid, loss, float(fitted[j]), level)
        ends = [float(s.end[j]) for s in near] or [float(fitted[j])]
        p = objective.free[j]
        fraction = (interval[1] - interval[0]) / (p.high - p.low)
        out.append(Profile(p, grid, loss, interval, (min(ends), max(ends)), _verdict(fraction)))
    assert len(out) == d
    return tuple(out)


def scenario_parameters(values: Mapping[str, float], scenario: Scenario) -> dict[str, Any]:
    """Fitted values as the ``parameters`` and ``actors`` sections of a scenario.

    ``parameters.NAME`` becomes ``parameters: {NAME: v}``; a power or state parameter
    (``powers.china.doctrine``, ``states.*.hedging``) becomes ``parameters: {doctrine:
    {china: v}}`` (one number for a ``*``); capacities and state values go into ``actors``.

    Args:
        values: Fitted value by canonical path.
        scenario: The scenario (for its entities).

    Returns:
        A mapping with ``parameters`` and, if needed, ``actors``.

    Raises:
        CalibrationError: For a path that has no place in a scenario file.
    """
    from influence_sim.kernel.arrays import POWER_PARAMETERS, STATE_PARAMETERS

    parameters: dict[str, Any] = {}
    actors: dict[str, Any] = {}
    dims = scenario.dims
    for path, value in values.items():
        v = float(f"{value:.10g}")
        parts = path.split(".")
        head = parts[0]
        if head == "parameters":
            parameters[parts[1]] = v
        elif head == "afghanistan":
            parameters["afghan_instability"] = v
        elif head == "relations":
            parameters["initial_trust" if parts[3] == "trust" else "coordination"] = v
        elif (head == "powers" and parts[2] in POWER_PARAMETERS) or (
            head == "states" and len(parts) == 3 and parts[2] in STATE_PARAMETERS
        ):
            _put_entity(parameters, parts[2], parts[1], v)
        elif head == "powers":
            for power in dims.powers if parts[1] == "*" else [parts[1]]:
                actors.setdefault("powers", {}).setdefault(power, {})[parts[2]] = v
        elif head == "states":
            for state in dims.states if parts[1] == "*" else [parts[1]]:
                entry = actors.setdefault("states", {}).setdefault(state, {})
                if len(parts) == 3:
                    entry[parts[2]] = v
                else:
                    entry.setdefault(parts[2], {})[parts[3]] = v
        else:  # pragma: no cover - resolve() accepts no other heads
            raise CalibrationError(f"{path}: no place for it in a scenario file")
    out: dict[str, Any] = {"parameters": parameters}
    if actors:
        out["actors"] = actors
    return out


def _put_entity(parameters: dict[str, Any], name: str, entity: str, value: float) -> None:
    if entity == "*":
        parameters[name] = value
        return
    current = parameters.get(name)
    if not isinstance(current, dict):
        current = {}
        parameters[name] = current
    current[entity] = value


__all__ = [
    "DESIGN_STREAM",
    "CalibrationError",
    "CalibrationResult",
    "FreeParameter",
    "LocalSearch",
    "Objective",
    "Profile",
    "Settings",
    "calibrate",
    "latin_hypercube",
    "loss_of",
    "parse_free_parameters",
    "scenario_parameters",
]
