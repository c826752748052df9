"""The stepping loop both drivers share: calendar, per-run random streams, shocks, kernel step.

:class:`RunBatch` holds the arrays of ``B`` runs and advances them one step at a time. The Mesa
model (:class:`influence_sim.model.InfluenceModel`) wraps a batch of one; the ensemble
(:mod:`influence_sim.ensemble`) a batch of many. Each run draws its noise from its own
generator, spawned from its own ``SeedSequence``, in a fixed order, so a run's path is the same
whether it is stepped alone or beside thousands of others.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from influence_sim.drivers import Drivers
from influence_sim.kernel.arrays import Dims, FloatArray, Params, State
from influence_sim.kernel.step import StepOutput, demand_of, make_offers
from influence_sim.kernel.step import step as kernel_step
from influence_sim.timeline import Timeline

STEP_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}

SeedLike = int | np.random.SeedSequence | np.random.Generator | None

NOISE_STREAM = 0
SHOCK_STREAM = 1


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Return ``day`` moved by whole months (the day of month is clipped to the month's end)."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    month += 1
    for d in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(f"cannot move {day} by {months} months")  # pragma: no cover


@dataclass(frozen=True)
class Clock:
    """Dated steps of a run.

    Attributes:
        start: Date of step 0.
        step_months: Months per step (1, 3 or 12).
        n_steps: Number of steps after step 0.
    """

    start: datetime.date
    step_months: int
    n_steps: int

    @staticmethod
    def between(start: datetime.date, end: datetime.date, step: str) -> Clock:
        """The clock running from ``start`` to the last step date not after ``end``.

        Args:
            start: First date.
            end: Last date (inclusive if it falls on a step).
            step: ``month``, ``quarter`` or ``year``.

        Raises:
            ValueError: For an unknown step or an end less than one step after the start.
        """
        if step not in STEP_MONTHS:
            raise ValueError(f"unknown step '{step}' (expected one of {', '.join(STEP_MONTHS)})")
        months = STEP_MONTHS[step]
        if add_months(start, months) > end:
            raise ValueError(f"end must be at least one {step} after start")
        n = 0
        while add_months(start, (n + 1) * months) <= end:
            n += 1
        return Clock(start, months, n)

    @property
    def dt(self) -> float:
        """Step length in years."""
        return self.step_months / 12.0

    def date(self, k: int) -> datetime.date:
        """Date of step ``k``."""
        return add_months(self.start, k * self.step_months)

    @property
    def dates(self) -> list[datetime.date]:
        """Dates of steps 0 to ``n_steps``."""
        return [self.date(k) for k in range(self.n_steps + 1)]

    def step_of(self, day: datetime.date) -> int:
        """The step whose recorded state first reflects an event on ``day``.

        That is the first ``k`` with ``date(k) >= day`` (0 for a date at or before the start);
        the event acts at the start of the transition from ``k - 1`` to ``k``. Dates after the
        last step give ``n_steps + 1`` (never applied).
        """
        k = 0
        while k <= self.n_steps and self.date(k) < day:
            k += 1
        return k


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Turn a seed of any accepted kind into a ``SeedSequence``.

    Args:
        seed: An int, a ``SeedSequence`` (used as is), a ``Generator`` (four words are drawn
            from it) or None (fresh entropy from the operating system).
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    return np.random.SeedSequence(seed)


def child(seq: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """The ``i``-th child of ``seq``, the same as ``seq.spawn(i + 1)[i]`` on a fresh sequence.

    Unlike ``spawn``, this does not depend on how many children were spawned before.
    """
    return np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i))


def replicate_seeds(seed: SeedLike, n: int) -> list[np.random.SeedSequence]:
    """Seed sequences of ``n`` replicates: the children 0 to n-1 of the root seed."""
    root = as_seed_sequence(seed)
    return [child(root, i) for i in range(n)]


def stream(seq: np.random.SeedSequence, which: int) -> np.random.Generator:
    """A run's generator for one purpose (``NOISE_STREAM`` or ``SHOCK_STREAM``)."""
    return np.random.default_rng(child(seq, which))


class NoiseSource:
    """Standard normal draws, one block per run per step, from each run's own generator.

    Draws are made ``block`` steps at a time per run; a generator's stream is the same however
    it is cut into calls, so the values do not depend on the block size.
    """

    def __init__(
        self, rngs: Sequence[np.random.Generator], shape: tuple[int, ...], block: int = 16
    ):
        """Create the source.

        Args:
            rngs: One generator per run.
            shape: Shape of one run's draw per step.
            block: Steps drawn per refill.
        """
        self._rngs = list(rngs)
        self._shape = shape
        self._block = block
        self._buffer = np.empty((0, len(self._rngs), *shape))
        self._pos = 0

    def next(self) -> FloatArray:
        """Return the next step's draws, ``(B, *shape)``."""
        if self._pos >= self._buffer.shape[0]:
            draws = [g.standard_normal((self._block, *self._shape)) for g in self._rngs]
            self._buffer = np.stack(draws, axis=1) if draws else self._buffer
            self._pos = 0
        out: FloatArray = self._buffer[self._pos]
        self._pos += 1
        return out


class RunBatch:
    """``B`` runs advanced together, one step at a time.

    Attributes:
        dims: Entities.
        clock: Calendar.
        state: Current state.
        params: Current parameters (shocks may change them).
        timeline: Operations to apply.
        steps_done: Steps taken so far.
        last: Output of the last step, or None before the first.
        applied: Names of the shocks applied at the last step.
    """

    def __init__(
        self,
        dims: Dims,
        clock: Clock,
        state: State,
        params: Params,
        timeline: Timeline,
        seeds: Sequence[np.random.SeedSequence],
        drivers: Drivers | None = None,
    ):
        """Create the batch and apply the operations dated at or before the start.

        Args:
            dims: Entities.
            clock: Calendar.
            state: Starting state (taken over, not copied).
            params: Parameters (taken over, not copied).
            timeline: Operations.
            seeds: One seed sequence per run.
            drivers: Growth drivers of every step; default from the seed tables and the
                country panel (:func:`influence_sim.drivers.build_drivers`).
        """
        if len(seeds) != state.batch_size:
            raise ValueError("one seed sequence per run is needed")
        self.dims = dims
        self.clock = clock
        self.state = state
        self.params = params
        self.timeline = timeline
        self.seeds = list(seeds)
        if drivers is None:
            from influence_sim import seeds as sd
            from influence_sim.drivers import build_drivers

            seed_data = sd.load_seeds()
            drivers = build_drivers(dims, clock.dates, seed_data, sd.panel_of(seed_data))
        self.drivers = drivers
        # offer noise for every power, and one more slot whose security draw times contracts
        shape = (dims.n_states, dims.n_powers + 1, 2)
        # draw a whole (short) run's noise per generator call; the values do not depend on it
        block = max(1, min(clock.n_steps, 64))
        self._noise = NoiseSource([stream(s, NOISE_STREAM) for s in self.seeds], shape, block)
        self.steps_done = 0
        self.last: StepOutput | None = None
        self.applied = timeline.apply(0, self.state, self.params)

    @property
    def current_date(self) -> datetime.date:
        """Date of the current state."""
        return self.clock.date(self.steps_done)

    def advance(self) -> StepOutput:
        """Apply this step's shocks, then step the kernel once."""
        k = self.steps_done + 1
        self.applied = self.timeline.apply(k, self.state, self.params)
        self.params.gdp_driver[...] = self.drivers.gdp[k]
        self.params.capacity_driver[...] = self.drivers.capacity[k]
        out = kernel_step(self.state, self.params, self._noise.next(), self.clock.dt, self.dims)
        self.state = out.state
        self.steps_done = k
        self.last = out
        return out

    def demand(self) -> FloatArray:
        """``(B, S, D)`` trade and arms deliveries of the current state, USD bn per year."""
        return demand_of(self.state, self.params)

    def effort(self) -> FloatArray:
        """``(B, P, D)`` effort: the last step's, or at the start the noise-free effort."""
        if self.last is not None:
            return self.last.effort
        zeros = np.zeros((self.state.batch_size, self.dims.n_states, self.dims.n_powers, 2))
        _, effort = make_offers(self.state, self.params, self.demand(), zeros)
        return effort
