"""The stepping loop both drivers share: calendar, per-run random streams, shocks, kernel step.

:class:`RunBatch` holds the arrays of ``B`` runs and advances them one step at a time. The Mesa
model (:class:`influence_sim.model.InfluenceModel`) wraps a batch of one; the ensemble
(:mod:`influence_sim.ensemble`) a batch of many. Each run draws its noise from its own
generator, spawned from its own ``SeedSequence``, in a fixed order, so a run's path is the same
whether it is stepped alone or beside thousands of others.

The calendar (:class:`Clock`, :data:`STEP_MONTHS`, :func:`add_months`) lives in
:mod:`influence_sim.calendar` and the seed streams (:func:`stream`, :func:`replicate_seeds`,
...) in :mod:`influence_sim.rng`. Their former names here (``influence_sim.engine.Clock``, ...)
work for one more release with a :class:`DeprecationWarning`.
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

# Of the calendar and the seed helpers, this module uses Clock, stream and NOISE_STREAM; it reaches
# them through their modules so that their former names here go through __getattr__ (below).
from influence_sim import calendar as _calendar
from influence_sim import rng as _rng
from influence_sim.drivers import Drivers
from influence_sim.kernel.arrays import Dims, FloatArray, Params, State
from influence_sim.kernel.step import StepOutput, demand_of, make_offers
from influence_sim.kernel.step import step as kernel_step
from influence_sim.timeline import Timeline


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


def default_drivers(dims: Dims, clock: _calendar.Clock) -> Drivers:
    """The growth drivers every run uses unless given others: the package's seed tables and panel.

    Args:
        dims: Entities.
        clock: Calendar.

    Returns:
        The drivers of steps 0 to ``clock.n_steps``. They depend on no parameter, so code that
        runs many batches on one clock may build them once.
    """
    from influence_sim import seeds as sd
    from influence_sim.drivers import build_drivers

    seed_data = sd.load_seeds()
    return build_drivers(dims, clock.dates, seed_data, sd.panel_of(seed_data))


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
        clock: _calendar.Clock,
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
            drivers: Growth drivers of every step; default :func:`default_drivers`.
        """
        if len(seeds) != state.batch_size:
            raise ValueError("one seed sequence per run is needed")
        self.dims = dims
        self.clock = clock
        self.state = state
        self.params = params
        self.timeline = timeline
        self.seeds = list(seeds)
        self.drivers = drivers if drivers is not None else default_drivers(dims, clock)
        # offer noise for every power, and one more slot whose security draw times contracts
        shape = (dims.n_states, dims.n_powers + 1, 2)
        # draw a whole (short) run's noise per generator call; the values do not depend on it
        block = max(1, min(clock.n_steps, 64))
        self._noise = NoiseSource(
            [_rng.stream(s, _rng.NOISE_STREAM) for s in self.seeds], shape, block
        )
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


_MOVED = {
    **dict.fromkeys(("STEP_MONTHS", "Clock", "add_months"), _calendar),
    **dict.fromkeys(
        (
            "NOISE_STREAM",
            "SHOCK_STREAM",
            "SeedLike",
            "as_seed_sequence",
            "child",
            "replicate_seeds",
            "stream",
        ),
        _rng,
    ),
}
"""Names that lived here and moved, kept for one release: the module each now lives in."""


def __getattr__(name: str) -> Any:
    """The calendar and seed helpers under their former names here, for one release, warning."""
    if name in _MOVED:
        home = _MOVED[name]
        warnings.warn(
            f"influence_sim.engine.{name} is now {home.__name__}.{name}; "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(home, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["NoiseSource", "RunBatch", "default_drivers"]
