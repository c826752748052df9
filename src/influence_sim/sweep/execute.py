"""Running a sweep: chunks of runs on a local process pool or a Dask cluster, streamed to disk.

The parent cuts the runs into chunks and hands out chunk descriptions (a few numbers and the
sweep file's path and hash), never arrays. Each worker reads the sweep once, caches it, steps
its chunks as batched calls and sends back the chunk's tables; the parent writes them
atomically as they arrive, so memory stays flat however many runs there are: only the chunks in
flight (a few per worker) are held at any time.

Executors:

* ``workers=1`` (and no scheduler): chunks run in this process, one after another;
* ``workers=N``: a :class:`concurrent.futures.ProcessPoolExecutor` of N processes started with
  the ``forkserver`` method where the platform has it, else ``spawn``. Plain ``fork`` is
  avoided because it copies the parent's threads' locks (the progress bar's monitor, a Dask
  client's event loop) into children, where they can deadlock; ``forkserver`` forks each worker
  from a clean single-threaded server that has already imported this module, so workers start
  in milliseconds instead of re-importing numpy and pandas the way ``spawn`` must;
* ``scheduler="tcp://HOST:8786"``: a Dask distributed cluster, through the client's
  ``concurrent.futures`` executor. Workers must be able to import ``influence_sim`` and read
  the sweep and scenario files at the same paths (a shared file system).

A run's numbers depend only on its identity (see :mod:`influence_sim.sweep.plan`), so results
are identical whatever the executor, the number of workers or the chunk size.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import math
import multiprocessing
import numbers
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from influence_sim import provenance
from influence_sim._lock import FolderInUseError, exclusive_folder
from influence_sim._text import check_count, counted
from influence_sim._workers import lifeline, watch_parent
from influence_sim.sweep.chunk import ChunkResult, compute_chunk, runs_schema
from influence_sim.sweep.plan import Chunk, Sweep, SweepSource, read_sweep
from influence_sim.sweep.storage import (
    RUNS,
    SweepDamagedError,
    SweepFolder,
    now,
    package_versions,
)

MAX_CHUNK = 500
"""Largest default chunk, in runs: past this, bigger batches step no faster."""

MIN_CHUNK = 16
"""Smallest default chunk, in runs (unless the sweep is smaller)."""

WRITES_IN_FLIGHT = 2
"""Finished chunks waiting to be written, at most."""

POOL_START_SECONDS = 1.5
"""About what starting the local pool costs: the forkserver imports the package once."""


class SweepFolderError(ValueError):
    """The output folder cannot be used as asked (not empty, or a different sweep)."""


class SweepAborted(RuntimeError):
    """The sweep stopped before the end (a worker died, the cluster failed, ...)."""


@dataclass
class SweepOutcome:
    """How a sweep went.

    Attributes:
        folder: The output folder.
        name: Name of the sweep.
        n_runs: Runs in the sweep.
        n_failed: Runs that failed (over the whole sweep, resumed parts included).
        n_skipped: Runs already done before this call (on resume).
        n_chunks: Chunks in the sweep.
        chunk_size: Runs per chunk.
        seconds: Wall time of this call.
        notes: Things worth telling the user.
        executor: What ran the chunks of this call.
    """

    folder: Path
    name: str
    n_runs: int
    n_failed: int
    n_skipped: int
    n_chunks: int
    chunk_size: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    executor: str = "in process"

    @property
    def ok(self) -> bool:
        """Whether every run succeeded."""
        return self.n_failed == 0


# --------------------------------------------------------------------------- worker side

_CACHE: dict[SweepSource, Sweep] = {}
_CACHE_LOCK = threading.Lock()


def _sweep_for(source: SweepSource) -> Sweep:
    """The sweep a source names, read once per process and checked against its hashes."""
    with _CACHE_LOCK:
        sweep = _CACHE.get(source)
        if sweep is None:
            sweep = read_sweep(source.path)
            if sweep.inputs_sha256() != source.inputs_sha256:
                raise RuntimeError(
                    f"{source.path}: the sweep file or a scenario file changed while the sweep ran"
                )
            _CACHE.clear()
            _CACHE[source] = sweep
        return sweep


def execute_chunk(source: SweepSource, chunk: Chunk) -> ChunkResult:
    """Run one chunk in a worker (process pool or Dask); the sweep is read once and cached.

    Args:
        source: Where the sweep file is, with the hashes it must have.
        chunk: Which runs.

    Returns:
        The chunk's tables.

    Raises:
        RuntimeError: If the sweep or scenario file changed since the sweep started.
    """
    return compute_chunk(_sweep_for(source), chunk)


# --------------------------------------------------------------------------- executors


def default_workers() -> int:
    """Number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def default_chunk_size(n_runs: int, workers: int) -> int:
    """Runs per chunk.

    In this process (``workers == 1``) the largest useful batch, :data:`MAX_CHUNK`; with
    several workers an equal share per worker (large sweeps get many chunks), within
    ``[MIN_CHUNK, MAX_CHUNK]``.
    """
    if workers <= 1:
        return max(1, min(n_runs, MAX_CHUNK))
    size = math.ceil(n_runs / workers)
    return max(1, min(n_runs, max(MIN_CHUNK, min(MAX_CHUNK, size))))


def process_context() -> Any:
    """The multiprocessing context of the local pool: ``forkserver`` if available, else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["influence_sim.sweep.execute"])
        return ctx
    return multiprocessing.get_context("spawn")


def _result_of(future: cf.Future[ChunkResult]) -> ChunkResult:
    """A chunk's result, or :class:`SweepAborted` for a worker's error outside any run.

    Errors of runs are recorded in the chunk's table; an error here (such as the sweep file
    changing under the workers) stops the sweep.
    """
    try:
        return future.result()
    except cf.process.BrokenProcessPool:
        raise
    except Exception as exc:
        raise SweepAborted(f"a worker failed: {type(exc).__name__}: {exc}") from exc


def _pump(
    executor: cf.Executor,
    source: SweepSource,
    todo: list[Chunk],
    in_flight: int,
    on_result: Callable[[ChunkResult], None],
) -> None:
    """Submit chunks, at most ``in_flight`` at a time, and hand each result over as it lands."""
    queue: Iterator[Chunk] = iter(todo)
    pending: set[cf.Future[ChunkResult]] = set()

    def top_up() -> None:
        while len(pending) < in_flight:
            chunk = next(queue, None)
            if chunk is None:
                return
            pending.add(executor.submit(execute_chunk, source, chunk))

    try:
        top_up()
        while pending:
            done, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for future in done:
                on_result(_result_of(future))
            top_up()
    except BaseException:
        for future in pending:
            future.cancel()
        raise


def _init_worker(reader: Any) -> None:
    """Worker initializer: Ctrl-C is the parent's to handle; exit when the parent is gone."""
    watch_parent(reader)


def _run_local_pool(
    sweep: Sweep, todo: list[Chunk], workers: int, on_result: Callable[[ChunkResult], None]
) -> None:
    source = sweep.source()
    context = process_context()
    reader, keep = lifeline(context)
    try:
        with cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(reader,),
        ) as pool:
            try:
                _pump(pool, source, todo, 2 * workers, on_result)
            except cf.process.BrokenProcessPool as exc:
                raise SweepAborted(f"a worker process died ({exc})") from None
            except BaseException:
                pool.shutdown(wait=False, cancel_futures=True)
                keep.close()  # the workers stop now rather than finish chunks no one will write
                raise
    finally:
        keep.close()
        reader.close()


def _pool_pays_off(seconds_left: float, workers: int, threshold: float | None) -> bool:
    """Whether starting ``workers`` processes beats finishing ``seconds_left`` of work here.

    With start-up cost ``c``, the pool finishes in about ``c + t / w`` against ``t`` here, so
    it pays off once ``t > c * w / (w - 1)``; ``threshold`` replaces that bound when given.
    """
    bound = POOL_START_SECONDS * workers / (workers - 1) if threshold is None else threshold
    return seconds_left > bound


def _run_adaptive(
    sweep: Sweep,
    todo: list[Chunk],
    workers: int,
    on_result: Callable[[ChunkResult], None],
    threshold: float | None,
) -> str:
    """Run the first chunk here, then the rest here or on a pool, whichever is sooner.

    Returns:
        What ran the rest: ``"in process"`` or ``"process pool"``.
    """
    if not todo:
        return "in process"
    if threshold is not None and threshold <= 0:
        _run_local_pool(sweep, todo, workers, on_result)
        return "process pool"
    first = compute_chunk(sweep, todo[0])
    on_result(first)
    rest = todo[1:]
    seconds_left = first.seconds / todo[0].size * sum(c.size for c in rest)
    if rest and _pool_pays_off(seconds_left, workers, threshold):
        _run_local_pool(sweep, rest, workers, on_result)
        return "process pool"
    _run_here(sweep, rest, on_result)
    return "in process"


def _run_dask(
    sweep: Sweep, todo: list[Chunk], scheduler: str, on_result: Callable[[ChunkResult], None]
) -> None:
    from distributed import Client

    try:
        client: Any = Client(scheduler, timeout="20s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise SweepAborted(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    try:
        threads = max(1, sum(client.nthreads().values()))
        executor: cf.Executor = client.get_executor(pure=False)
        _pump(executor, sweep.source(), todo, 2 * threads, on_result)
    finally:
        client.close()


class _Writer:
    """Writes finished chunks on a background thread, at most :data:`WRITES_IN_FLIGHT` behind.

    Parquet encoding releases the GIL, so writing one chunk overlaps with computing the next
    (in this process) or with receiving the next (from workers). Bounding the queue keeps
    memory flat; each chunk's files are still written atomically, rows file last.
    """

    def __init__(self, folder: SweepFolder) -> None:
        self.folder = folder
        self.pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="sweep-writer")
        self.pending: collections.deque[cf.Future[None]] = collections.deque()

    def put(self, result: ChunkResult) -> None:
        """Queue a chunk for writing; wait first if too many are queued (raises their errors)."""
        while len(self.pending) >= WRITES_IN_FLIGHT:
            self.pending.popleft().result()
        self.pending.append(
            self.pool.submit(
                self.folder.write_chunk, result.chunk.index, result.runs, result.timeseries
            )
        )

    def drain(self) -> None:
        """Wait for every queued write (raises the first error)."""
        while self.pending:
            self.pending.popleft().result()

    def close(self) -> None:
        """Let queued writes finish, then stop the thread."""
        self.pool.shutdown(wait=True)


def _run_here(sweep: Sweep, todo: list[Chunk], on_result: Callable[[ChunkResult], None]) -> None:
    for chunk in todo:
        on_result(compute_chunk(sweep, chunk))


# --------------------------------------------------------------------------- the driver


def _design_table(sweep: Sweep) -> pa.Table:
    columns: dict[str, Any] = {"point": pa.array(range(sweep.n_points), pa.int64())}
    for j, name in enumerate(sweep.design.names):
        columns[name] = pa.array(sweep.design.points[:, j], pa.float64())
    return pa.table(columns)


def _manifest(sweep: Sweep, chunk_size: int, n_chunks: int) -> dict[str, Any]:
    spec = sweep.spec
    scenario = sweep.scenario
    factors = [
        {
            "path": f.path,
            "low": f.low,
            "high": f.high,
            "values": list(f.values) if f.values is not None else None,
            "scale": f.scale,
        }
        for f in spec.factors
    ]
    design = spec.design
    return {
        "format": 1,
        "name": spec.name,
        "description": spec.description,
        "sweep_file": spec.path,
        "sweep_sha256": spec.sha256,
        "scenario_file": str(scenario.path),
        "scenario_sha256": str(scenario.sha256),
        "scenario_name": str(scenario.name),
        "input_files": sweep.input_files,
        "inputs_sha256": sweep.inputs_sha256(),
        "seed": spec.seed,
        "common_random_numbers": spec.common_random_numbers,
        "replicates": spec.replicates,
        "design": {
            "kind": design.kind,
            "points": design.points,
            "base": design.base,
            "second_order": design.second_order,
            "trajectories": design.trajectories,
            "levels": design.levels,
            "seed": design.seed,
            "n_points": sweep.n_points,
            "factors": factors,
            "sha256": sweep.design.sha256(),
        },
        "keep": {
            "final": list(spec.keep.final),
            "timeseries_every": spec.keep.every,
            "timeseries_states": spec.keep.states,
        },
        "clock": {
            "start": sweep.clock.start.isoformat(),
            "step_months": sweep.clock.step_months,
            "n_steps": sweep.clock.n_steps,
        },
        "n_runs": sweep.n_runs,
        "chunk_size": chunk_size,
        "n_chunks": n_chunks,
        "versions": package_versions(),
        "command": provenance.command_line(),
        "started": now(),
        "resumed": [],
        "finished": None,
        "status": "running",
        "runs_failed": None,
    }


def _check_resumable(sweep: Sweep, manifest: dict[str, Any], folder: Path) -> None:
    name = manifest.get("name")
    if manifest.get("sweep_sha256") != sweep.spec.sha256 and name not in (None, sweep.name):
        raise SweepFolderError(
            f"{folder}: it holds the sweep {name!r} ({manifest.get('sweep_file')}), "
            f"not {sweep.name!r} (use --force to start over)"
        )
    design = manifest.get("design") or {}
    checks = [
        ("sweep file", manifest.get("sweep_sha256"), sweep.spec.sha256),
        ("base scenario", manifest.get("scenario_sha256"), str(sweep.scenario.sha256)),
        (
            "content of a scenario file it extends",
            manifest.get("inputs_sha256"),
            sweep.inputs_sha256(),
        ),
        ("design", design.get("sha256"), sweep.design.sha256()),
    ]
    for what, before, current in checks:
        if before != current:
            raise SweepFolderError(
                f"{folder}: the {what} differs from the one this sweep started with "
                "(use --force to start over)"
            )


def _count_failed(folder: SweepFolder, chunks: set[int]) -> int:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from influence_sim.sweep.storage import CHUNKS, ledger_name

    failed = 0
    for index in chunks:
        table = pq.read_table(folder.root / CHUNKS / ledger_name(index), columns=["status"])
        failed += int(pc.sum(pc.equal(table["status"], "failed")).as_py() or 0)
    return failed


def run_sweep(
    sweep: Sweep | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    workers: int | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    force: bool = False,
    scheduler: str | None = None,
    progress: bool = False,
    pool_after_seconds: float | None = None,
) -> SweepOutcome:
    """Run a sweep and write its results into a folder.

    Args:
        sweep: A sweep (:func:`influence_sim.sweep.read_sweep`) or the path of a sweep file.
        out: Output folder.
        workers: Local worker processes (default: the number of cores); 1 runs in this
            process. With more, the first chunk runs here and times the rest: if that is less
            work than starting the workers costs (about ``1.5 * w / (w - 1)`` seconds), the rest
            runs here too. Ignored with ``scheduler``.
        chunk_size: Runs per batched call (default: an equal share per worker, 16 to 500).
            On resume the sweep's own chunk size is kept.
        resume: Continue the sweep in ``out``: finished chunks are skipped.
        force: Remove an earlier sweep's files from ``out`` and start over.
        scheduler: Address of a Dask scheduler (``tcp://HOST:8786``) to run on instead.
        progress: Show a progress bar on standard error.
        pool_after_seconds: Replace that bound: start the pool when the rest is estimated at
            more than this many seconds (0 starts it at once, before the first chunk); a
            finite number of at least 0.

    Returns:
        How the sweep went (failed runs are counted, not raised).

    Raises:
        influence_sim.sweep.SweepError: If the sweep file is invalid.
        SweepFolderError: If ``out`` is not empty and neither ``resume`` nor ``force`` is
            given, holds a different sweep, or is in use by another sweep (whose lock it
            holds for as long as it runs).
        SweepAborted: If a worker process dies or the Dask scheduler cannot be reached.
        ValueError: For both ``resume`` and ``force``, bad ``workers``/``chunk_size``, or a
            ``pool_after_seconds`` that is negative, not finite or no number.
    """
    started = time.perf_counter()
    if resume and force:
        raise ValueError("give either resume or force, not both")
    if pool_after_seconds is not None and not (
        isinstance(pool_after_seconds, numbers.Real)
        and not isinstance(pool_after_seconds, bool)
        and 0 <= pool_after_seconds < math.inf
    ):
        raise ValueError(
            "pool_after_seconds must be a finite number of seconds of at least 0, "
            f"not {pool_after_seconds!r}"
        )
    if not isinstance(sweep, Sweep):
        sweep = read_sweep(sweep)
    n_workers = default_workers() if workers is None else check_count("workers", workers)
    if chunk_size is not None:
        chunk_size = check_count("chunk size", chunk_size)
    folder = SweepFolder(out)
    if folder.root.exists() and not folder.root.is_dir():
        raise SweepFolderError(f"{folder.root}: exists and is not a folder")
    try:
        with exclusive_folder(folder.root, "sweep"):
            return _run_locked(
                sweep,
                folder,
                n_workers,
                chunk_size,
                resume=resume,
                force=force,
                scheduler=scheduler,
                progress=progress,
                pool_after_seconds=pool_after_seconds,
                started=started,
            )
    except FolderInUseError as exc:  # only taking the lock raises it
        raise SweepFolderError(str(exc)) from None


def _run_locked(
    sweep: Sweep,
    folder: SweepFolder,
    n_workers: int,
    chunk_size: int | None,
    *,
    resume: bool,
    force: bool,
    scheduler: str | None,
    progress: bool,
    pool_after_seconds: float | None,
    started: float,
) -> SweepOutcome:
    """:func:`run_sweep` once it holds the folder's lock."""
    notes: list[str] = []
    try:
        manifest = folder.read_manifest() if resume else None
    except SweepDamagedError as exc:
        raise SweepFolderError(
            f"{exc}; the sweep cannot be resumed (use --force to start over)"
        ) from None
    if folder.exists_nonempty() and not (resume or force):
        raise SweepFolderError(
            f"{folder.root}: output folder is not empty "
            "(use --resume to continue the sweep in it, or --force to start over)"
        )
    if resume and manifest is None and folder.exists_nonempty():
        if not folder.holds_only_ours():
            raise SweepFolderError(
                f"{folder.root}: no readable manifest.json, so there is no sweep to resume "
                "(use --force to start over)"
            )
        if folder.holds_results():  # the manifest is written first: this folder is damaged
            raise SweepFolderError(
                f"{folder.root}: holds a sweep's results but no manifest.json, so it cannot be "
                "resumed (use --force to start over)"
            )
        notes.append("the sweep stopped before it wrote its manifest; starting over")
        force = True
    if force:
        folder.clear()
    if manifest is not None:
        _check_resumable(sweep, manifest, folder.root)
        size = manifest.get("chunk_size")  # its type is checked with the manifest's
        if size is None:
            raise SweepFolderError(
                f"{folder.manifest_path}: chunk_size: expected a whole number of 1 or more; "
                "the sweep cannot be resumed (use --force to start over)"
            )
        if chunk_size is not None and chunk_size != size:
            notes.append(f"resuming with the sweep's own chunk size, {counted(size, 'run')}")
        if manifest.get("versions") != package_versions():
            notes.append("package versions differ from those the sweep started with")
    else:
        parallel = 1 if scheduler is None and n_workers == 1 else max(n_workers, 2)
        size = chunk_size or default_chunk_size(sweep.n_runs, parallel)
    chunks = sweep.chunks(size)
    schema = runs_schema(sweep)
    series = sweep.spec.keep.every is not None

    if manifest is not None and manifest.get("status") == "finished":
        records = manifest.get("files")
        if records is None:  # written before files were recorded: check what can be checked
            records = {}
            damaged = {} if (folder.root / RUNS).is_file() else {RUNS: "missing"}
        else:
            damaged = folder.damaged(records)
        if not damaged:
            folder.drop_ledger()
            folder.remove_strays()
            failed = int(manifest.get("runs_failed") or 0)
            notes.append("the sweep had already finished; nothing to do")
            return SweepOutcome(
                folder.root,
                sweep.name,
                sweep.n_runs,
                failed,
                sweep.n_runs,
                len(chunks),
                size,
                time.perf_counter() - started,
                notes,
                executor="nothing (already finished)",
            )
        # Unfinished on disk first: a kill while reopening leaves a sweep to resume again.
        manifest.pop("files", None)
        manifest["status"] = "running"
        manifest["finished"] = None
        folder.write_manifest(manifest)
        redo = folder.reopen(records, damaged, [c.size for c in chunks])
        name, problem = next(iter(damaged.items()))
        others = f" and {len(damaged) - 1} other files" if len(damaged) > 1 else ""
        notes.append(
            f"{name} ({problem}){others} did not match the manifest; "
            f"computing {redo} of {len(chunks)} chunks again"
        )

    if manifest is None:
        manifest = _manifest(sweep, size, len(chunks))
    else:
        manifest["resumed"] = [*manifest.get("resumed", []), now()]
    # The manifest comes first: a folder with anything else in it always has one to resume.
    folder.write_manifest(manifest)
    folder.prepare()
    folder.write_design(_design_table(sweep))

    done = folder.done_chunks({c.index: c.size for c in chunks}, series)
    todo = [c for c in chunks if c.index not in done]
    skipped = sum(c.size for c in chunks if c.index in done)
    failed = _count_failed(folder, done)
    bar = _progress_bar(sweep.n_runs, skipped, failed, progress)
    writer = _Writer(folder)

    def on_result(result: ChunkResult) -> None:
        nonlocal failed
        writer.put(result)
        failed += result.n_failed
        bar.update(result.chunk.size)
        if result.n_failed:
            bar.set_postfix(failed=failed, refresh=False)

    try:
        if scheduler is not None:
            _run_dask(sweep, todo, scheduler, on_result)
            executor = f"Dask cluster at {scheduler}"
        elif n_workers == 1:
            _run_here(sweep, todo, on_result)
            executor = "in process"
        else:
            executor = _run_adaptive(sweep, todo, n_workers, on_result, pool_after_seconds)
            if executor == "in process" and todo:
                notes.append(
                    f"ran in this process: the first chunk put the rest at less work than "
                    f"starting {n_workers} workers costs"
                )
            else:
                executor = f"process pool of {n_workers} workers"
        writer.drain()
    finally:
        writer.close()
        bar.close()

    files = {RUNS: folder.finish_runs(len(chunks), schema)}
    if series:
        files.update(folder.part_records(len(chunks)))
    manifest["finished"] = now()
    manifest["status"] = "finished"
    manifest["runs_failed"] = failed
    manifest["runs_ok"] = sweep.n_runs - failed
    manifest["executor"] = executor
    manifest["files"] = files
    folder.write_manifest(manifest)
    folder.drop_ledger()
    return SweepOutcome(
        folder.root,
        sweep.name,
        sweep.n_runs,
        failed,
        skipped,
        len(chunks),
        size,
        time.perf_counter() - started,
        notes,
        executor=executor,
    )


def _progress_bar(total: int, initial: int, failed: int, enabled: bool) -> Any:
    from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

    bar = tqdm(
        total=total,
        initial=initial,
        unit="run",
        desc="sweep",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
        smoothing=0.05,
    )
    bar.set_postfix(failed=failed, refresh=False)
    return bar
