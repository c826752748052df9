"""From a validated scenario to what the drivers need: entities, calendar, overrides, timeline.

:class:`Scenario` is the public, immutable result of :func:`influence_sim.scenario.load_scenario`.
It holds the validated :class:`~influence_sim.scenario.spec.ScenarioSpec` with its provenance
(the path as given, the file's hash, every file read) and turns it into

* the run's entities (:attr:`Scenario.dims`) and calendar (:meth:`Scenario.clock`);
* the reference overrides of the powers it adds (part of the reference: an added power's
  residual is taken from them) and the overrides of parameters and actors;
* a :class:`~influence_sim.timeline.Timeline` of operations, one value per run.

Shock semantics. A shock dated ``d`` acts at step ``clock.step_of(d)``: the first step whose
date is on or after ``d`` (step 0, the initial state, for the start date). ``set``, ``add``
and ``scale`` act once. ``ramp`` over ``between: [d1, d2]`` leaves the target alone at
``step_of(d1)`` and moves it a fraction ``1 / (remaining steps)`` of the way to the value at
each later step, reaching the value at ``step_of(d2)``. ``pulse`` adds the value at its date;
then, ``t`` years later, what is left of it is ``value * 0.5 ** (t / half_life)``, removed step
by step by further adds until less than a millionth of it is left (the rest is removed then)
or the run ends. Where the add is clipped at the target's bound, the pulse's add records (per
run and target, in a :class:`~influence_sim.timeline.PulseEffect`) the fraction of the value
that took effect, and each step of the decay is scaled by it: the decay removes what the pulse
added, never more, also when other shocks move the target meanwhile (it removes the pulse's own
addition from wherever the target then is). Unclipped pulses have a fraction of exactly 1.
A shock with ``when`` is armed from its date (or over its ``between`` window, or over the whole
run) and fires once per run, at the first step where the condition holds.

Random draws. For each run, the generator ``rng.stream(seq, rng.SHOCK_STREAM)`` draws,
shock by shock in file order, one uniform number (the shock happens where it is below the
probability) and then the value (nothing is drawn for a fixed value), whether the shock happens
or not. A run's draws therefore depend only on its own seed sequence and the scenario.

The seed tables' dated membership and presence changes come first
(:func:`influence_sim.timeline.dated_timeline`), so a shock at the same step can override them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from influence_sim import seeds as sd
from influence_sim.calendar import Clock
from influence_sim.kernel.arrays import DOMAINS, Dims, FloatArray
from influence_sim.paths import resolve
from influence_sim.rng import SHOCK_STREAM, stream
from influence_sim.scenario.spec import (
    POWER_FIELDS,
    OutputsSpec,
    ScenarioSpec,
    ShockSpec,
    override_items,
)
from influence_sim.timeline import (
    Action,
    DatedChange,
    Operation,
    OpKind,
    PulseEffect,
    Threshold,
    Timeline,
    Trigger,
    dated_changes,
    dated_timeline,
)

__all__ = [
    "PULSE_CUTOFF",
    "Scenario",
    "compile_timeline",
    "pulse_factors",
]

PULSE_CUTOFF = 1e-6
"""A pulse stops decaying step by step once less than this fraction of it is left."""


def pulse_factors(half_life_years: float, step_years: float, max_steps: int) -> list[float]:
    """Multiples of a pulse's value added at its step and at each step after it.

    The running sum after ``j`` steps is ``0.5 ** (j * step_years / half_life_years)``; the
    last factor brings it to exactly 0 once less than :data:`PULSE_CUTOFF` is left.

    Args:
        half_life_years: Half-life of the pulse, in years.
        step_years: Length of a step, in years.
        max_steps: Most steps after the pulse's own step to cover (the rest of the run).

    Returns:
        Factors for offsets 0, 1, 2, ... (the first is 1).
    """
    factors = [1.0]
    left = 1.0
    for j in range(1, max_steps + 1):
        now = 0.5 ** (j * step_years / half_life_years)
        if now < PULSE_CUTOFF:
            factors.append(-left)
            break
        factors.append(now - left)
        left = now
    return factors


def _draws(
    shocks: Sequence[ShockSpec], seeds: Sequence[np.random.SeedSequence]
) -> tuple[FloatArray, FloatArray]:
    """Per run and shock: whether it happens and its value, ``(n_shocks, B)`` each."""
    happens = np.zeros((len(shocks), len(seeds)), dtype=bool)
    values = np.zeros((len(shocks), len(seeds)))
    for b, seq in enumerate(seeds):
        rng = stream(seq, SHOCK_STREAM)
        for i, shock in enumerate(shocks):
            happens[i, b] = rng.random() < shock.probability
            values[i, b] = shock.draw(rng)
    return happens, values


def _add_shock(
    timeline: Timeline,
    shock: ShockSpec,
    clock: Clock,
    dims: Dims,
    happens: FloatArray,
    values: FloatArray,
) -> None:
    """Compile one shock into operations (or a trigger) on ``timeline``."""
    slots = resolve(shock.target, dims)
    if shock.op == "ramp":
        assert shock.between is not None
        k1, k2 = clock.step_of(shock.between[0]), clock.step_of(shock.between[1])
        for t in slots:
            if k2 <= k1:
                timeline.add(Operation(k1, t, "set", values, happens, name=shock.name))
            for k in range(k1 + 1, k2 + 1):  # none when k2 <= k1
                fraction = 1.0 / (k2 - k + 1)
                timeline.add(Operation(k, t, "approach", values, happens, fraction, shock.name))
        return
    first = 0 if shock.start_date is None else clock.step_of(shock.start_date)
    # what it does, by steps after it acts: one change, or a pulse's add and its decay
    if shock.op == "pulse":
        assert shock.half_life is not None
        left = clock.n_steps - (first if shock.when is None else 0)
        factors = pulse_factors(shock.half_life, clock.dt, left)
        effects: list[tuple[int, OpKind, float]] = [(j, "add", f) for j, f in enumerate(factors)]
    else:
        effects = [(0, shock.op, 1.0)]
    # a pulse's add records, per target, what it made of its value; its decay is scaled by that
    records = [PulseEffect.full(len(values)) if shock.op == "pulse" else None for _ in slots]

    def links(i: int, j: int) -> tuple[PulseEffect | None, PulseEffect | None]:
        """``records`` and ``scaled_by`` of effect ``j`` on target ``i``."""
        return (records[i], None) if j == 0 else (None, records[i])

    if shock.when is None:
        for i, t in enumerate(slots):
            for j, kind, f in effects:
                name = shock.name if j == 0 else f"{shock.name} (decay)"
                record, scale = links(i, j)
                timeline.add(
                    Operation(
                        first + j,
                        t,
                        kind,
                        values * f,
                        happens,
                        name=name,
                        records=record,
                        scaled_by=scale,
                    )
                )
        return
    when = shock.when
    condition = Threshold(tuple(resolve(when.watch, dims)), when.above, when.below, when.across)
    last = clock.step_of(shock.between[1]) if shock.between is not None else clock.n_steps
    actions = [
        Action(j, t, kind, values * f, 1.0, *links(i, j))
        for i, t in enumerate(slots)
        for j, kind, f in effects
    ]
    trigger = Trigger(shock.name, condition, first, min(last, clock.n_steps), happens, actions)
    timeline.add_trigger(trigger)


def compile_timeline(
    spec: ScenarioSpec,
    seeds: Sequence[np.random.SeedSequence],
    seed_data: sd.SeedData | None = None,
) -> Timeline:
    """Turn a scenario's dated data and shocks into a timeline for a batch of runs.

    Args:
        spec: The validated scenario.
        seeds: One seed sequence per run (the batch size is their number).
        seed_data: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.

    Returns:
        The timeline: dated seed changes first, then the shocks in file order.
    """
    clock, dims = spec.clock, spec.dims
    timeline = dated_timeline(dims, clock, len(seeds), seed_data)
    for shock, happens, values in zip(spec.shocks, *_draws(spec.shocks, seeds), strict=True):
        _add_shock(timeline, shock, clock, dims, happens, values)
    return timeline


@dataclass(frozen=True)
class Scenario:
    """A validated scenario with its provenance, ready to initialise and shock runs.

    Attributes:
        spec: The validated specification.
        path: The file as the user gave it.
        sha256: Hash of the file's bytes.
        files: Every file read: the scenario first, then what it extends, in order.
    """

    spec: ScenarioSpec
    path: str
    sha256: str
    files: tuple[str, ...]

    @property
    def name(self) -> str:
        """Short name."""
        return self.spec.name

    @property
    def description(self) -> str:
        """What the scenario asks."""
        return self.spec.description

    @property
    def tags(self) -> tuple[str, ...]:
        """Keywords."""
        return self.spec.tags

    @property
    def start(self) -> dt.date:
        """First date of the run."""
        return self.spec.time.start

    @property
    def end(self) -> dt.date:
        """Last date of the run."""
        return self.spec.time.end

    @property
    def step(self) -> str:
        """Step length: ``month``, ``quarter`` or ``year``."""
        return self.spec.time.step

    @property
    def seed(self) -> int | None:
        """Root seed, or None for fresh entropy."""
        return self.spec.time.seed

    @property
    def posterior(self) -> str | None:
        """Posterior file the replicates draw from (None: the point estimates)."""
        value = self.spec.posterior
        return None if value is None or value.strip() == "none" else value

    @property
    def replicates(self) -> int:
        """Number of replicates."""
        return self.spec.time.replicates

    @property
    def outputs(self) -> OutputsSpec:
        """What to record and how often."""
        return self.spec.outputs

    @property
    def shocks(self) -> tuple[ShockSpec, ...]:
        """The shocks, in file order (inherited ones first)."""
        return self.spec.shocks

    @property
    def dims(self) -> Dims:
        """Entities of the run, after powers are added and removed."""
        return self.spec.dims

    def clock(self) -> Clock:
        """The run's calendar.

        Returns:
            The clock from the start to the last step on or before the end.
        """
        return self.spec.clock

    def reference_overrides(self) -> dict[str, float]:
        """Values of the added powers (capacities, parameters, starting shares) as paths.

        These are part of the reference: pass them as ``reference_overrides`` to
        :func:`influence_sim.initial.build`, so an added power's residual is taken from them.

        Returns:
            Dotted path to value.
        """
        added, states = self.spec.actors.add_powers, self.dims.states
        out: dict[str, float] = {}
        for name, new in added.items():
            for field in POWER_FIELDS:
                out[f"powers.{name}.{field}"] = float(getattr(new, field))
        # Shares are written one power after another, and each write rescales the other partners
        # of that state: the values written are adjusted so that every added power ends with
        # exactly the share the scenario gives it.
        for domain in DOMAINS:
            for state in states:
                wanted = [(name, new.share(domain, state)) for name, new in added.items()]
                later = 0.0
                adjusted: list[tuple[str, float]] = []
                for name, share in reversed(wanted):
                    if share > 0.0:
                        adjusted.append((name, share / (1.0 - later)))
                    later += share
                for name, share in reversed(adjusted):
                    out[f"states.{state}.{domain}_share.{name}"] = share
        return out

    def overrides(self) -> dict[str, float]:
        """Parameters and actor values the scenario changes: departures from the reference.

        Returns:
            Dotted path to value, parameters first, in file order.
        """
        items = override_items(self.spec.parameters, self.spec.actors, self.dims)
        return {path: value for path, value, _ in items}

    def dated_changes(self, seed_data: sd.SeedData | None = None) -> list[DatedChange]:
        """Membership and presence changes from the seed tables that the run will apply.

        Args:
            seed_data: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.

        Returns:
            The changes in date order.
        """
        return dated_changes(self.dims, self.clock(), seed_data or sd.load_seeds())

    def compile(self, seeds: Sequence[np.random.SeedSequence]) -> Timeline:
        """The timeline of a batch of runs, one seed sequence per run.

        Args:
            seeds: One seed sequence per run; each run's draws come from its own.

        Returns:
            Dated seed changes and shocks as operations.
        """
        return compile_timeline(self.spec, seeds)
