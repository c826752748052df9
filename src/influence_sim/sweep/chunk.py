"""One chunk of a sweep: its runs stepped together, summarised, and turned into tables.

The chunk's runs are built column-wise by :func:`influence_sim.initial.build_runs`, as every
driver builds them, and stepped by :class:`influence_sim.engine.RunBatch`, the loop
:class:`influence_sim.InfluenceModel` uses, so a run's numbers do not depend on the chunk it
falls in. Summary metrics are tracked step by step (crossings and guarantor changes need every
step); the time series is kept every ``k`` steps only.

Failures. If the batched call raises, the chunk's runs are run again one at a time to find
those that fail; a run whose results hold NaN or infinite values fails too. Failed runs are
recorded with their error and no time series; the others are kept.
"""

from __future__ import annotations

import datetime as dt
import time
import traceback
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from influence_sim import initial
from influence_sim.calendar import decimal_years
from influence_sim.engine import RunBatch
from influence_sim.ensemble import recorded_steps
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import DOMAINS, ECON, SEC, Dims, FloatArray
from influence_sim.seeds import DYAD
from influence_sim.sweep.plan import Chunk, IntArray, Sweep

STATUS_OK = "ok"
STATUS_FAILED = "failed"
REGION = "region"
_EPOCH = dt.date(1970, 1, 1)


# --------------------------------------------------------------------------- schemas


def metric_columns(sweep: Sweep) -> list[tuple[str, pa.DataType]]:
    """Names and types of the summary metrics a sweep keeps, in column order.

    Args:
        sweep: The sweep.

    Returns:
        ``(name, type)`` pairs.
    """
    dims = sweep.dims
    groups = sweep.spec.keep.final
    out: list[tuple[str, pa.DataType]] = []
    f64 = pa.float64()
    if "shares" in groups:
        for domain in DOMAINS:
            for where in (REGION, *dims.states):
                for partner in dims.partners:
                    out.append((f"final.{domain}_share.{where}.{partner}", f64))
    if "trade" in groups:
        for partner in dims.partners:
            out.append((f"final.trade_usd_bn.{partner}", f64))
        for partner in dims.partners:
            out.append((f"final.arms_usd_bn.{partner}", f64))
    if "relations" in groups:
        out.append(("final.trust", f64))
        out.append(("final.afghan_instability", f64))
    if "crossover" in groups:
        out.append(("china_passes_russia_trade_year", f64))
        out.append(("china_passes_russia_security_year", f64))
    if "guarantors" in groups:
        # counts, stored as floats so that a failed run's NaN keeps one dtype in pandas
        out.append(("guarantor_changes", f64))
        for state in dims.states:
            out.append((f"guarantor_changes.{state}", f64))
        for state in dims.states:
            out.append((f"final.security_guarantor.{state}", pa.string()))
    return out


def runs_schema(sweep: Sweep) -> pa.Schema:
    """Schema of ``runs.parquet`` for a sweep."""
    fields = [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("point", pa.int64(), nullable=False),
        pa.field("replicate", pa.int64(), nullable=False),
        pa.field("seed_entropy", pa.int64(), nullable=False),
        pa.field("seed_spawn_key", pa.int64(), nullable=False),
    ]
    fields += [pa.field(name, pa.float64(), nullable=False) for name in sweep.design.names]
    fields += [
        pa.field("status", pa.string(), nullable=False),
        pa.field("error", pa.string()),
        pa.field("wall_time_s", pa.float64(), nullable=False),
    ]
    fields += [pa.field(name, kind) for name, kind in metric_columns(sweep)]
    return pa.schema(fields)


TIMESERIES_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.int64(), nullable=False),
        pa.field("step", pa.int32(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("state", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("partner", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("domain", pa.dictionary(pa.int8(), pa.string()), nullable=False),
        pa.field("share", pa.float64(), nullable=False),
        pa.field("volume_usd_bn", pa.float64(), nullable=False),
    ]
)
"""Schema of the parts under ``timeseries/``."""


# --------------------------------------------------------------------------- stepping


@dataclass
class Recorded:
    """What a batch of runs left behind.

    Attributes:
        metrics: Summary metric name to ``(B,)`` values (strings for guarantors).
        steps: Recorded steps (empty without a time series).
        dates: Their dates.
        share: ``(B, T, S, K, D)`` recorded shares, or None.
        demand: ``(B, T, S, D)`` recorded demand, or None.
        finite: ``(B,)`` whether every number of the run is finite.
    """

    metrics: dict[str, np.ndarray]
    steps: list[int]
    dates: list[dt.date]
    share: FloatArray | None
    demand: FloatArray | None
    finite: np.ndarray


class _Tracker:
    """Follows a batch step by step and keeps what the sweep asked for."""

    def __init__(self, sweep: Sweep, n_runs: int) -> None:
        self.sweep = sweep
        self.dims = sweep.dims
        clock = sweep.clock
        every = sweep.spec.keep.every
        self.keep = set(recorded_steps(clock.n_steps, every)) if every else set()
        self.n = n_runs
        self.shares: list[FloatArray] = []
        self.demands: list[FloatArray] = []
        self.china, self.russia = (self.dims.power_index(power) for power in DYAD)
        self.trade_first = np.full(n_runs, -1, dtype=np.int64)
        self.security_first = np.full(n_runs, -1, dtype=np.int64)
        self.guarantor: np.ndarray | None = None
        self.changes = np.zeros((n_runs, self.dims.n_states), dtype=np.int64)
        self.last_share: FloatArray | None = None
        self.last_demand: FloatArray | None = None
        self.groups = sweep.spec.keep.final

    def observe(self, k: int, share: FloatArray, demand: FloatArray) -> None:
        if k in self.keep:
            self.shares.append(share.copy())
            self.demands.append(demand.copy())
        self.last_share, self.last_demand = share, demand
        if "crossover" in self.groups and self.china is not None and self.russia is not None:
            amount = obs.regional_volume(share, demand)  # (B, K, D)
            ahead = amount[:, self.china, :] > amount[:, self.russia, :]
            self.trade_first = obs.track_first(self.trade_first, ahead[:, ECON], k)
            self.security_first = obs.track_first(self.security_first, ahead[:, SEC], k)
        if "guarantors" in self.groups:
            now = obs.guarantor(share, self.dims.n_powers)
            if self.guarantor is not None:
                # the chunk keeps no series: it counts the change of each pair of steps
                self.changes += obs.guarantor_changes(np.stack([self.guarantor, now]))
            self.guarantor = now

    def finish(self, trust: FloatArray, instability: FloatArray) -> Recorded:
        assert self.last_share is not None and self.last_demand is not None
        dims = self.dims
        share, demand = self.last_share, self.last_demand
        metrics: dict[str, np.ndarray] = {}
        regional_volume = obs.regional_volume(share, demand)
        regional = obs.regional_share(share, demand)
        finite = np.isfinite(share).all(axis=(1, 2, 3)) & np.isfinite(demand).all(axis=(1, 2))
        finite &= np.isfinite(trust) & np.isfinite(instability)
        if "shares" in self.groups:
            for d, domain in enumerate(DOMAINS):
                for k, partner in enumerate(dims.partners):
                    metrics[f"final.{domain}_share.{REGION}.{partner}"] = regional[:, k, d]
                for s, state in enumerate(dims.states):
                    for k, partner in enumerate(dims.partners):
                        metrics[f"final.{domain}_share.{state}.{partner}"] = share[:, s, k, d]
        if "trade" in self.groups:
            for k, partner in enumerate(dims.partners):
                metrics[f"final.trade_usd_bn.{partner}"] = regional_volume[:, k, ECON]
            for k, partner in enumerate(dims.partners):
                metrics[f"final.arms_usd_bn.{partner}"] = regional_volume[:, k, SEC]
        if "relations" in self.groups:
            metrics["final.trust"] = trust.copy()
            metrics["final.afghan_instability"] = instability.copy()
        if "crossover" in self.groups:
            years = decimal_years(self.sweep.clock.dates)
            metrics["china_passes_russia_trade_year"] = obs.year_of_step(years, self.trade_first)
            metrics["china_passes_russia_security_year"] = obs.year_of_step(
                years, self.security_first
            )
        if "guarantors" in self.groups:
            metrics["guarantor_changes"] = self.changes.sum(axis=1).astype(np.float64)
            for s, state in enumerate(dims.states):
                metrics[f"guarantor_changes.{state}"] = self.changes[:, s].astype(np.float64)
            assert self.guarantor is not None
            names = np.asarray(dims.powers, dtype=object)
            for s, state in enumerate(dims.states):
                metrics[f"final.security_guarantor.{state}"] = names[self.guarantor[:, s]]
        steps = sorted(self.keep)
        share_t: FloatArray | None = None
        demand_t: FloatArray | None = None
        if steps:
            share_t = np.stack(self.shares, axis=1)
            demand_t = np.stack(self.demands, axis=1)
            finite &= np.isfinite(share_t).all(axis=(1, 2, 3, 4))
            finite &= np.isfinite(demand_t).all(axis=(1, 2, 3))
        return Recorded(
            metrics=metrics,
            steps=steps,
            dates=[self.sweep.clock.date(k) for k in steps],
            share=share_t,
            demand=demand_t,
            finite=finite,
        )


def simulate_chunk(sweep: Sweep, runs: IntArray) -> Recorded:
    """Step the runs of a chunk together and record what the sweep keeps.

    Args:
        sweep: The sweep.
        runs: Run numbers: those of a chunk, or one of them when a failing run is isolated.

    Returns:
        The recorded metrics and series.
    """
    runs = np.asarray(runs, dtype=np.int64)
    n = len(runs)
    seeds = sweep.seeds(runs)
    dims, clock = sweep.dims, sweep.clock
    index = sweep.posterior_index(runs)
    state, params = initial.build_runs(
        dims,
        clock.start,
        n,
        sweep.columns(runs),
        sweep.reference_overrides,
        sweep.posterior if index is not None else None,
        index,
    )
    timeline = sweep.scenario.compile(seeds)
    batch = RunBatch(dims, clock, state, params, timeline, seeds)
    tracker = _Tracker(sweep, n)
    tracker.observe(0, batch.state.share, batch.demand())
    for _ in range(clock.n_steps):
        out = batch.advance()
        # the step's demand is the demand of the state it leaves (same numbers, not recomputed)
        tracker.observe(batch.steps_done, out.state.share, out.demand)
    return tracker.finish(batch.state.trust, batch.state.instability)


simulate_block = simulate_chunk
"""Former name of :func:`simulate_chunk`, kept for one release."""


# --------------------------------------------------------------------------- chunks


@dataclass
class ChunkResult:
    """What a worker sends back for one chunk.

    Attributes:
        chunk: The chunk.
        runs: Its rows of ``runs.parquet``.
        timeseries: Its time series part (None when the sweep keeps none).
        n_failed: Failed runs.
        seconds: Wall time of the chunk.
    """

    chunk: Chunk
    runs: pa.Table
    timeseries: pa.Table | None
    n_failed: int
    seconds: float


def _error_text(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _nonfinite_text() -> str:
    return "non-finite result: the run produced NaN or infinite values"


def _empty_recorded(sweep: Sweep, n: int) -> Recorded:
    """Recorded values of ``n`` failed runs: NaN metrics, no series."""
    metrics: dict[str, np.ndarray] = {}
    for name, kind in metric_columns(sweep):
        if kind == pa.string():
            metrics[name] = np.full(n, None, dtype=object)
        elif kind == pa.int64():
            metrics[name] = np.zeros(n, dtype=np.int64)
        else:
            metrics[name] = np.full(n, np.nan)
    return Recorded(metrics, [], [], None, None, np.zeros(n, dtype=bool))


def compute_chunk(sweep: Sweep, chunk: Chunk) -> ChunkResult:
    """Run one chunk and build its tables; failing runs are isolated and recorded.

    Args:
        sweep: The sweep.
        chunk: Which runs.

    Returns:
        The chunk's tables.
    """
    started = time.perf_counter()
    runs = np.arange(chunk.start, chunk.stop, dtype=np.int64)
    n = len(runs)
    errors: list[str | None] = [None] * n
    wall = np.zeros(n)
    try:
        with np.errstate(all="ignore"):
            rec = simulate_chunk(sweep, runs)
        wall[:] = (time.perf_counter() - started) / n
        pieces = [(np.arange(n), rec)]
    except Exception:
        # Find the culprits: every run alone (batch of one gives the same numbers).
        pieces = []
        for i, _run in enumerate(runs):
            t0 = time.perf_counter()
            try:
                with np.errstate(all="ignore"):
                    one = simulate_chunk(sweep, runs[i : i + 1])
            except Exception as exc:
                errors[i] = _error_text(exc)
                one = _empty_recorded(sweep, 1)
            wall[i] = time.perf_counter() - t0
            pieces.append((np.array([i]), one))
    ok = np.ones(n, dtype=bool)
    for index, rec in pieces:
        for i, good in zip(index.tolist(), rec.finite.tolist(), strict=True):
            if not good:
                ok[i] = False
                errors[i] = errors[i] or _nonfinite_text()
    runs_table = _runs_table(sweep, runs, pieces, ok, errors, wall)
    series = _timeseries_table(sweep, runs, pieces, ok)
    return ChunkResult(chunk, runs_table, series, int((~ok).sum()), time.perf_counter() - started)


def _merge_metric(
    sweep: Sweep, pieces: list[tuple[np.ndarray, Recorded]], n: int
) -> dict[str, np.ndarray]:
    if len(pieces) == 1:
        return pieces[0][1].metrics
    out: dict[str, np.ndarray] = {}
    for name, kind in metric_columns(sweep):
        dtype: Any = (
            object if kind == pa.string() else (np.int64 if kind == pa.int64() else np.float64)
        )
        column = np.empty(n, dtype=dtype)
        for index, rec in pieces:
            column[index] = rec.metrics[name]
        out[name] = column
    return out


def _runs_table(
    sweep: Sweep,
    runs: IntArray,
    pieces: list[tuple[np.ndarray, Recorded]],
    ok: np.ndarray,
    errors: list[str | None],
    wall: FloatArray,
) -> pa.Table:
    schema = runs_schema(sweep)
    points, replicates = sweep.point_of(runs)
    values = sweep.values(runs)
    n = len(runs)
    columns: dict[str, Any] = {
        "run_id": runs,
        "point": points,
        "replicate": replicates,
        "seed_entropy": np.full(n, sweep.spec.seed, dtype=np.int64),
        "seed_spawn_key": sweep.seed_keys(runs),
    }
    for j, name in enumerate(sweep.design.names):
        columns[name] = values[:, j]
    columns["status"] = np.where(ok, STATUS_OK, STATUS_FAILED).astype(object)
    columns["error"] = errors
    columns["wall_time_s"] = wall
    metrics = _merge_metric(sweep, pieces, n)
    failed = ~ok
    for name, kind in metric_columns(sweep):
        values_m = metrics[name]
        mask = failed if failed.any() else None
        if kind == pa.string():
            arr = pa.array(list(values_m), type=pa.string(), mask=mask)
        else:
            arr = pa.array(values_m, type=kind, mask=mask)
        columns[name] = arr
    arrays = [
        c if isinstance(c, pa.Array) else pa.array(c, type=f.type)
        for f, c in zip(schema, columns.values(), strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


def _codes(n: int, repeat: int, tile: int) -> np.ndarray:
    return np.tile(np.repeat(np.arange(n, dtype=np.int8), repeat), tile)


def _timeseries_table(
    sweep: Sweep,
    runs: IntArray,
    pieces: list[tuple[np.ndarray, Recorded]],
    ok: np.ndarray,
) -> pa.Table | None:
    if sweep.spec.keep.every is None:
        return None
    dims = sweep.dims
    tables = []
    for index, rec in pieces:
        keep = ok[index]
        if rec.share is None or rec.demand is None or not keep.any():
            continue
        tables.append(series_table(dims, runs[index][keep], rec, keep, sweep.spec.keep.states))
    if not tables:
        return TIMESERIES_SCHEMA.empty_table()
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def series_table(
    dims: Dims, run_ids: IntArray, rec: Recorded, keep: np.ndarray, states: bool
) -> pa.Table:
    """The long time-series table of some runs of a recorded chunk.

    Rows are ordered by run, step, place (``region`` first, then the states), partner and
    domain. Regional shares are volume-weighted over states with rest of world in the
    denominator, as in :attr:`influence_sim.Results.regional`.

    Args:
        dims: Entities.
        run_ids: Run numbers of the kept runs.
        rec: The chunk's recorded arrays.
        keep: ``(B,)`` which runs of the chunk to include.
        states: Whether to include per-state rows.

    Returns:
        A table with :data:`TIMESERIES_SCHEMA`.
    """
    assert rec.share is not None and rec.demand is not None
    share = rec.share[keep]  # (B, T, S, K, D)
    demand = rec.demand[keep]  # (B, T, S, D)
    volume = share * demand[:, :, :, None, :]
    regional_volume = obs.regional_volume(share, demand)  # (B, T, K, D)
    regional = obs.regional_share(share, demand)
    if states:
        share_all = np.concatenate([regional[:, :, None], share], axis=2)
        volume_all = np.concatenate([regional_volume[:, :, None], volume], axis=2)
    else:
        share_all = regional[:, :, None]
        volume_all = regional_volume[:, :, None]
    b, t, places, k, d = share_all.shape
    per_run = t * places * k * d
    steps = np.asarray(rec.steps, dtype=np.int32)
    days = np.asarray([(day - _EPOCH).days for day in rec.dates], dtype=np.int32)
    place_names = [REGION, *dims.states] if states else [REGION]
    columns = [
        pa.array(np.repeat(np.asarray(run_ids, dtype=np.int64), per_run)),
        pa.array(np.tile(np.repeat(steps, places * k * d), b)),
        pa.array(np.tile(np.repeat(days, places * k * d), b)).cast(pa.date32()),
        pa.DictionaryArray.from_arrays(
            pa.array(_codes(places, k * d, b * t)), pa.array(place_names, pa.string())
        ),
        pa.DictionaryArray.from_arrays(
            pa.array(_codes(k, d, b * t * places)), pa.array(list(dims.partners), pa.string())
        ),
        pa.DictionaryArray.from_arrays(
            pa.array(_codes(d, 1, b * t * places * k)), pa.array(list(DOMAINS), pa.string())
        ),
        pa.array(share_all.reshape(-1)),
        pa.array(volume_all.reshape(-1)),
    ]
    return pa.Table.from_arrays(columns, schema=TIMESERIES_SCHEMA)
