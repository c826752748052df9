"""The ensemble driver: many runs stepped at once with the kernel, batch axis first.

Replicates of a scenario, and later sweep chunks, go through :func:`simulate`, which advances a
:class:`influence_sim.engine.RunBatch` of ``B`` runs and records their series into arrays.
Because each run draws from its own generator, run ``b`` of a batch is identical to the same
run stepped alone by :class:`influence_sim.InfluenceModel`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from influence_sim import initial
from influence_sim.engine import Clock, RunBatch
from influence_sim.kernel.arrays import Dims, FloatArray, Params, State
from influence_sim.scenario.compile import dated_timeline
from influence_sim.timeline import Timeline

if TYPE_CHECKING:
    from influence_sim.posterior import Posterior


@dataclass(frozen=True)
class EnsembleOutput:
    """Recorded series of a batch of runs; the first axis is the recorded step.

    Attributes:
        dims: Entities.
        steps: ``(T,)`` step numbers recorded.
        dates: Dates of the recorded steps.
        share: ``(T, B, S, K, D)`` shares.
        volume: ``(T, B, S, D)`` trade and arms imports, USD bn per year.
        threat: ``(T, B, S)`` threat perception.
        instability: ``(T, B)`` Afghan instability.
        trust: ``(T, B)`` China-Russia trust.
        capacity: ``(T, B, P, D)`` capacities.
        effort: ``(T, B, P, D)`` effort put into the region.
    """

    dims: Dims
    steps: np.ndarray
    dates: tuple[dt.date, ...]
    share: FloatArray
    volume: FloatArray
    threat: FloatArray
    instability: FloatArray
    trust: FloatArray
    capacity: FloatArray
    effort: FloatArray

    @property
    def n_runs(self) -> int:
        """Number of runs ``B``."""
        return int(self.share.shape[1])


def _snapshot(batch: RunBatch) -> dict[str, FloatArray]:
    state = batch.state
    return {
        "share": state.share.copy(),
        "volume": batch.demand(),
        "threat": state.threat.copy(),
        "instability": state.instability.copy(),
        "trust": state.trust.copy(),
        "capacity": state.capacity.copy(),
        "effort": np.array(batch.effort(), copy=True),
    }


def recorded_steps(n_steps: int, every: int = 1) -> list[int]:
    """Steps recorded when keeping every ``every``-th step (the first and last always)."""
    if every < 1:
        raise ValueError("every must be at least 1")
    steps = list(range(0, n_steps + 1, every))
    if steps[-1] != n_steps:
        steps.append(n_steps)
    return steps


def simulate(
    dims: Dims,
    clock: Clock,
    state: State,
    params: Params,
    timeline: Timeline,
    seeds: Sequence[np.random.SeedSequence],
    every: int = 1,
) -> EnsembleOutput:
    """Step a batch of runs to the end of the clock and record their series.

    Args:
        dims: Entities.
        clock: Calendar.
        state: Starting state of ``B`` runs (taken over).
        params: Their parameters (taken over).
        timeline: Their shocks.
        seeds: One seed sequence per run.
        every: Record every ``every``-th step (plus the first and the last).

    Returns:
        The recorded series.
    """
    batch = RunBatch(dims, clock, state, params, timeline, seeds)
    keep = recorded_steps(clock.n_steps, every)
    records: dict[str, list[FloatArray]] = {}

    def record() -> None:
        for key, value in _snapshot(batch).items():
            records.setdefault(key, []).append(value)

    record()
    for k in range(1, clock.n_steps + 1):
        batch.advance()
        if k in keep:
            record()
    stacked = {key: np.stack(values) for key, values in records.items()}
    return EnsembleOutput(
        dims=dims,
        steps=np.array(keep),
        dates=tuple(clock.date(k) for k in keep),
        **stacked,
    )


def simulate_runs(
    dims: Dims,
    clock: Clock,
    seeds: Sequence[np.random.SeedSequence],
    overrides: Sequence[Mapping[str, float]] | Mapping[str, float] | None = None,
    reference_overrides: Mapping[str, float] | None = None,
    timeline: Timeline | None = None,
    every: int = 1,
    posterior: Posterior | None = None,
) -> EnsembleOutput:
    """Build and simulate runs from overrides, one seed sequence per run.

    Args:
        dims: Entities.
        clock: Calendar.
        seeds: One seed sequence per run (their number sets the batch size).
        overrides: One mapping for all runs or one per run.
        reference_overrides: Overrides that are part of the reference.
        timeline: Shocks compiled for these runs (in the same order as ``seeds``); by default
            only the dated membership and presence changes of ``seeds/``.
        every: Record every ``every``-th step.
        posterior: Draw each run's parameters and residuals from it (the draw picked by the
            run's seed, :meth:`~influence_sim.posterior.Posterior.draw_index`); values the
            overrides set win over the draw's.

    Returns:
        The recorded series.
    """
    n = len(seeds)
    per_run: Sequence[Mapping[str, float]]
    if overrides is None:
        per_run = [{}] * n
    elif isinstance(overrides, Mapping):
        per_run = [overrides] * n
    else:
        per_run = overrides
    if len(per_run) != n:
        raise ValueError("one override mapping per seed is needed")
    index = None
    if posterior is not None:
        index = posterior.draw_index(seeds)
        columns = posterior.columns(index)
        per_run = [
            {**{k: float(v[b]) for k, v in columns.items()}, **o} for b, o in enumerate(per_run)
        ]
    state, params = initial.build(dims, clock.start, per_run, reference_overrides)
    if posterior is not None and index is not None:
        initial.apply_posterior(state, params, dims, posterior, index)
    if timeline is None:
        timeline = dated_timeline(dims, clock, n)
    return simulate(dims, clock, state, params, timeline, seeds, every)
