"""Sweep throughput against ``mesa.batch_run`` and against the bare kernel, on the same runs.

Usage: ``python benchmarks/sweep_throughput.py [--runs-per-axis 10] [--replicates 10]
[--workers 2] [--repeats 3] [--skip-mesa]`` (the base scenario is
``scenarios/afghan_takeover.yaml``, or the file named by ``SWEEP_BENCH_SCENARIO``).

The runs: a grid of ``parameters.coordination`` x ``parameters.presence_weight`` (10 x 10 by
default) with 10 replicates under common random numbers, over the base scenario: 1,000 runs of
40 quarterly steps. Replicate ``j`` of every point uses the seed ``child(SeedSequence(1), j)``,
so the same 1,000 runs can be given to ``mesa.batch_run`` as ``rng=[seed_0, ..., seed_9]``.

Measured, in one run of this script on this machine:

* ``mesa.batch_run(InfluenceModel subclass, ...)`` with 1 and with ``--workers`` processes
  (data collected every step by the model's DataCollector, as ``InfluenceModel`` does);
* the bare kernel: ``initial.build_columns`` + ``Scenario.compile`` + ``ensemble.simulate`` on
  the same runs in chunks of the sweep's size, in this process, nothing written;
* ``run_sweep`` end to end (reading the sweep file, designs, chunks, metrics, Parquet files,
  manifest) with ``--workers 1`` (in process) and with ``--workers N``, which runs the first
  chunk in process and starts the pool only if the rest is worth it (for 1,000 runs it is not);
  and with the pool forced from the start. The first pooled sweep of the script starts the
  forkserver (a fresh interpreter importing the package, about a second): it is shown apart as
  "cold"; later ones only fork workers from it ("warm").

The fast timings are the best of ``--repeats``; mesa's are single runs.

It checks that mesa and the sweep give the same final shares (max abs difference printed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from influence_sim import InfluenceModel

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = os.environ.get("SWEEP_BENCH_SCENARIO", str(ROOT / "scenarios" / "afghan_takeover.yaml"))
SEED = 1


@cache
def _scenario() -> Any:
    from influence_sim.scenario import load_scenario

    return load_scenario(SCENARIO)


class SweptModel(InfluenceModel):
    """InfluenceModel on the base scenario with two swept keyword parameters."""

    def __init__(self, coordination: float, presence_weight: float, rng: Any = None):
        scenario = _scenario()
        overrides = dict(scenario.overrides())
        overrides["parameters.coordination"] = coordination
        overrides["parameters.presence_weight"] = presence_weight
        super().__init__(
            start=scenario.start,
            end=scenario.end,
            step=scenario.step,
            states=scenario.dims.states,
            powers=scenario.dims.powers,
            overrides=overrides,
            reference_overrides=scenario.reference_overrides(),
            timeline=scenario.compile([rng]),
            rng=rng,
        )


def sweep_text(scenario: str, n: int, replicates: int) -> str:
    return (
        f"name: throughput\nscenario: {scenario}\nseed: {SEED}\nreplicates: {replicates}\n"
        "common_random_numbers: true\n"
        "vary:\n"
        f"  parameters.coordination: {{low: 0.0, high: 1.0, num: {n}}}\n"
        f"  parameters.presence_weight: {{low: 0.5, high: 3.0, num: {n}}}\n"
        "design: {kind: grid}\n"
        "keep: {timeseries: {every: 4}}\n"
    )


def time_mesa(values_c: list[float], values_p: list[float], seeds: list[Any], procs: int
              ) -> tuple[float, Any]:
    import mesa
    import pandas as pd

    start = time.perf_counter()
    rows = mesa.batch_run(
        SweptModel,
        parameters={"coordination": values_c, "presence_weight": values_p},
        rng=seeds,
        number_processes=procs,
        display_progress=False,
        max_steps=10_000,
    )
    return time.perf_counter() - start, pd.DataFrame(rows)


def time_kernel(sweep: Any, chunk: int) -> float:
    from influence_sim import initial
    from influence_sim.ensemble import simulate

    start = time.perf_counter()
    for first in range(0, sweep.n_runs, chunk):
        runs = np.arange(first, min(first + chunk, sweep.n_runs))
        seeds = sweep.seeds(runs)
        state, params = initial.build_columns(
            sweep.dims, sweep.clock.start, len(runs), sweep.columns(runs),
            sweep.reference_overrides,
        )
        simulate(sweep.dims, sweep.clock, state, params, sweep.scenario.compile(seeds), seeds,
                 every=4)
    return time.perf_counter() - start


def read_chunk_size(folder: Path) -> int:
    return int(json.loads((folder / "manifest.json").read_text())["chunk_size"])


def time_sweep(path: Path, out: Path, workers: int, pool_after: float | None = None
               ) -> tuple[float, Any]:
    from influence_sim.sweep import run_sweep

    start = time.perf_counter()
    outcome = run_sweep(path, out, workers=workers, force=True, pool_after_seconds=pool_after)
    return time.perf_counter() - start, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs-per-axis", type=int, default=10)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="best of N for the fast timings")
    parser.add_argument("--skip-mesa", action="store_true")
    args = parser.parse_args()

    from influence_sim.rng import child
    from influence_sim.sweep import load_sweep, read_sweep

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "throughput.yaml"
        path.write_text(sweep_text(os.path.relpath(SCENARIO, folder), args.runs_per_axis,
                                   args.replicates))
        sweep = read_sweep(path)
        n = sweep.n_runs
        values_c = sorted({float(v) for v in sweep.design.points[:, 0]})
        values_p = sorted({float(v) for v in sweep.design.points[:, 1]})
        seeds = [child(np.random.SeedSequence(SEED), j) for j in range(args.replicates)]

        print(f"{n} runs of {sweep.clock.n_steps} steps ({Path(SCENARIO).name}); "
              f"python {sys.version.split()[0]}; {os.cpu_count()} cores")
        results: dict[str, float] = {}
        repeats = max(1, args.repeats)
        w = args.workers
        t1 = min(time_sweep(path, folder / "w1", 1)[0] for _ in range(repeats))
        results["sweep, --workers 1 (in process)"] = t1
        in_process = read_chunk_size(folder / "w1")
        runs_w = [time_sweep(path, folder / "wn", w) for _ in range(repeats)]
        tw = min(t for t, _ in runs_w)
        results[f"sweep, --workers {w} ({runs_w[0][1].executor})"] = tw
        pool = [time_sweep(path, folder / "wp", w, 0.0)[0] for _ in range(repeats)]
        results[f"sweep, {w}-process pool forced, first (cold)"] = pool[0]
        results[f"sweep, {w}-process pool forced, best (warm)"] = min(pool)
        kernel = min(time_kernel(sweep, in_process) for _ in range(repeats))
        results[f"bare kernel, 1 process (chunks of {in_process})"] = kernel
        if not args.skip_mesa:
            m1, frame = time_mesa(values_c, values_p, seeds, 1)
            results["mesa.batch_run, 1 process"] = m1
            mn, _ = time_mesa(values_c, values_p, seeds, w)
            results[f"mesa.batch_run, {w} processes"] = mn

        for label, seconds in results.items():
            print(f"  {label:<44} {seconds:8.2f} s  {n / seconds:9.0f} runs/s")
        print(f"  sweep (1 worker) throughput / bare kernel throughput: {kernel / t1:5.2f}")
        if not args.skip_mesa:
            print(f"  sweep vs mesa.batch_run, 1 process each:          {m1 / t1:6.1f}x faster")
            print(f"  sweep vs mesa.batch_run, {w} workers / processes:   {mn / tw:6.1f}x faster")
            print(f"  forced pool vs mesa.batch_run, {w} processes each: "
                  f"{mn / pool[0]:6.1f}x cold, {mn / min(pool):.1f}x warm")
            runs = load_sweep(folder / "w1").runs
            rep = np.asarray([seeds.index(s) if s in seeds else -1 for s in frame["rng"]])
            frame = frame.assign(replicate=rep).groupby(
                ["coordination", "presence_weight", "replicate"]
            )["china_security_share"].last()
            ours = runs.set_index(
                ["parameters.coordination", "parameters.presence_weight", "replicate"]
            )["final.security_share.region.china"]
            diff = np.abs(frame.sort_index().to_numpy() - ours.sort_index().to_numpy()).max()
            print(f"  same runs: max |mesa - sweep| final China security share = {diff:.1e}")


if __name__ == "__main__":
    main()
