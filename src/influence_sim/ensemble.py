"""The ensemble driver: many runs stepped at once with the kernel, batch axis first.

Replicates of a scenario, and later sweep chunks, go through :func:`simulate`, which advances a
:class:`influence_sim.engine.RunBatch` of ``B`` runs and records their series into arrays.
Because each run draws from its own generator, run ``b`` of a batch is identical to the same
run stepped alone by :class:`influence_sim.InfluenceModel`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from influence_sim import initial
from influence_sim._text import check_count, counted
from influence_sim.calendar import Clock
from influence_sim.engine import RunBatch
from influence_sim.kernel.arrays import Dims, FloatArray, Params, State
from influence_sim.timeline import Timeline, dated_timeline

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


class NonFiniteError(ValueError):
    """A run produced NaN or infinite values (its parameters are beyond what the model handles).

    Attributes:
        variable: The first variable found not finite, with its entities, e.g.
            ``share[kazakhstan, china, economic]``.
        replicate: Its replicate (run) index.
        date: The date of the recorded step.
    """

    def __init__(self, variable: str, replicate: int, step: int, date: dt.date, value: float):
        """Describe the first non-finite ``value`` of ``variable``."""
        self.variable = variable
        self.replicate = replicate
        self.date = date
        super().__init__(
            f"non-finite result: {variable} is {value} in replicate {replicate} at step {step} "
            f"({date.isoformat()}); nothing was written (expected parameter values the model "
            "can compute: check the scenario's parameters against docs/ODD.md)"
        )


_ENTITY_AXES: dict[str, tuple[str, ...]] = {
    "share": ("states", "partners", "domains"),
    "volume": ("states", "domains"),
    "threat": ("states",),
    "instability": (),
    "trust": (),
    "capacity": ("powers", "domains"),
    "effort": ("powers", "domains"),
}
"""Entities along the axes after ``(T, B)`` of each recorded variable, in checking order."""


def check_finite(output: EnsembleOutput) -> None:
    """Raise :class:`NonFiniteError` for the earliest non-finite value of the recorded series.

    Args:
        output: Recorded series.

    Raises:
        NonFiniteError: If any value is NaN or infinite; it names the variable (with its
            state, partner, power and domain), the replicate and the date.
    """
    from influence_sim.kernel.arrays import DOMAINS

    first: tuple[int, int, str, tuple[int, ...]] | None = None
    for name in _ENTITY_AXES:
        values = np.asarray(getattr(output, name))
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        where = np.argwhere(bad)[0]  # row-major: the earliest step, then the lowest replicate
        key = (int(where[0]), int(where[1]), name, tuple(int(i) for i in where[2:]))
        if first is None or key[:2] < first[:2]:
            first = key
    if first is None:
        return
    t, b, name, index = first
    names = {
        "states": output.dims.states,
        "partners": output.dims.partners,
        "powers": output.dims.powers,
        "domains": DOMAINS,
    }
    labels = [str(names[axis][i]) for axis, i in zip(_ENTITY_AXES[name], index, strict=True)]
    variable = f"{name}[{', '.join(labels)}]" if labels else name
    value = float(np.asarray(getattr(output, name))[(t, b, *index)])
    raise NonFiniteError(variable, b, int(output.steps[t]), output.dates[t], value)


BYTES_PER_TABLE_ROW = 400
"""Memory per row of the long time-series table while it is built and written (measured)."""

MEMORY_FRACTION = 0.75
"""Share of the available memory a run's results may take by default."""

MEMORY_LIMIT_ENV = "INFLUENCE_SIM_MEMORY_LIMIT"
"""Environment variable that sets the limit (bytes, or with a unit: ``64G``, ``500M``)."""


class MemoryLimitError(ValueError):
    """A run's results would need more memory than the limit allows."""


def result_bytes(dims: Dims, n_recorded: int, replicates: int) -> int:
    """Estimated memory of a run's results: the recorded arrays and the long table.

    Args:
        dims: Entities.
        n_recorded: Recorded steps (with the first).
        replicates: Runs.

    Returns:
        Bytes: 8 per recorded number, plus :data:`BYTES_PER_TABLE_ROW` per row of the time
        series table (one per replicate, step, state, partner and domain).
    """
    s, k, p, d = dims.n_states, dims.n_partners, dims.n_powers, 2
    per_step = s * k * d + s * d + s + 2 + 2 * p * d
    cells = n_recorded * replicates
    return cells * (per_step * 8 + s * k * d * BYTES_PER_TABLE_ROW)


def parse_size(text: str) -> int:
    """Bytes from ``text``: a whole number, optionally with K, M, G or T (powers of 1024)."""
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    clean = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = clean[-1:] if clean[-1:] in units else ""
    number = clean[: len(clean) - len(unit)].strip()
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"'{text}' is not a size (expected bytes or e.g. 500M, 64G)") from None
    size = value * units[unit]
    if not 0 <= size < float("inf"):
        raise ValueError(f"'{text}' is not a size (expected bytes or e.g. 500M, 64G)")
    if 0 < size < 1:  # would read as 0, no limit at all
        raise ValueError(f"'{text}' is less than one byte (expected 0 for no limit, or e.g. 500M)")
    return int(size)


def available_memory() -> int | None:
    """Memory available to new allocations, in bytes (None where it cannot be read)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit(limit: float | str | None = None) -> int | None:
    """The memory a run's results may take: ``limit``, else the environment, else the default.

    Args:
        limit: Bytes (``4e9`` too) or a size text (``64G``); 0 means no limit. None reads
            :data:`MEMORY_LIMIT_ENV`, and without it takes :data:`MEMORY_FRACTION` of the
            available memory.

    Returns:
        Bytes, or None for no limit.

    Raises:
        ValueError: If the size cannot be read (:class:`MemoryLimitError` for the
            environment variable's), or a number of bytes is negative or fractional.
    """
    if limit is None:
        text = os.environ.get(MEMORY_LIMIT_ENV, "").strip()
        if text:
            try:
                limit = parse_size(text)
            except ValueError as exc:
                raise MemoryLimitError(f"{MEMORY_LIMIT_ENV}: {exc}") from None
    if isinstance(limit, str):
        limit = parse_size(limit)
    if limit is not None:
        return check_count("memory_limit", limit, low=0, size=True) or None
    available = available_memory()
    return None if available is None else int(available * MEMORY_FRACTION)


def check_memory(
    dims: Dims, n_recorded: int, replicates: int, limit: float | str | None = None
) -> None:
    """Refuse, before running, results that would not fit in memory.

    Args:
        dims: Entities.
        n_recorded: Recorded steps.
        replicates: Runs.
        limit: See :func:`memory_limit`.

    Raises:
        MemoryLimitError: If :func:`result_bytes` exceeds the limit.
    """
    allowed = memory_limit(limit)
    need = result_bytes(dims, n_recorded, replicates)
    if allowed is None or need <= allowed:
        return
    raise MemoryLimitError(
        f"{counted(replicates, 'replicate')} of {counted(n_recorded, 'recorded date')} need about "
        f"{_gib(need)} of memory, more than the {_gib(allowed)} allowed (expected fewer "
        "replicates, a larger outputs.every, or a sweep, which streams its runs to disk; "
        f"{MEMORY_LIMIT_ENV} or --memory-limit raise the limit)"
    )


def _gib(n: int) -> str:
    """A size as ``1.5 GiB``, ``300 MiB``, ``4 KiB`` or ``512 bytes``."""
    if n >= 1 << 30:
        return f"{n / (1 << 30):.1f} GiB"
    if n >= 1 << 10:
        return f"{n / (1 << 20):.0f} MiB" if n >= 1 << 20 else f"{n / (1 << 10):.0f} KiB"
    return f"{n} bytes"


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
    """Steps recorded when keeping every ``every``-th step (the first and last always).

    Raises:
        ValueError: If ``every`` is not a whole number of at least 1.
    """
    every = check_count("every", every)
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
    if overrides is not None and not isinstance(overrides, Mapping) and len(overrides) != n:
        raise ValueError("one override mapping per seed is needed")
    index = posterior.draw_index(seeds) if posterior is not None else None
    state, params = initial.build_runs(
        dims, clock.start, n, overrides, reference_overrides, posterior, index
    )
    if timeline is None:
        timeline = dated_timeline(dims, clock, n)
    return simulate(dims, clock, state, params, timeline, seeds, every)
