"""Peak memory (RSS) of a sweep as the number of runs grows: it should stay flat.

Usage: ``python benchmarks/sweep_memory.py [--runs 10000 100000] [--workers 2] [--every 4]``

For each size, a fresh process runs a sweep of that many runs over
``scenarios/afghan_takeover.yaml`` on a pool of ``--workers`` processes (a Latin hypercube over
four values, ten replicates per point, 40 quarterly steps, summary metrics and the time series
every ``--every`` steps, all written to a temporary folder). While it runs, this script samples
every 50 ms the resident memory of that process and of every process below it (the forkserver
and the pool's workers), and prints the peaks of their sums, the peak of the sweep's own
process, the wall time and the size of the output. "RSS, all" counts the pages the processes
share (the libraries the workers inherit from the forkserver) once per process, an upper bound;
"PSS, all" (proportional set size, Linux) splits shared pages between the processes that share
them, which is the memory the sweep takes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "afghan_takeover.yaml"
REPLICATES = 10


def sweep_text(scenario: str, runs: int, every: int) -> str:
    points = max(2, runs // REPLICATES)
    return (
        f"name: memory_{runs}\nscenario: {scenario}\nseed: 3\nreplicates: {REPLICATES}\n"
        "vary:\n"
        "  parameters.presence_weight: {low: 0.5, high: 3.0}\n"
        "  parameters.adjust_rate_security: {low: 0.05, high: 0.3}\n"
        "  parameters.coordination: {low: 0.0, high: 1.0}\n"
        "  states.tajikistan.threat_exposure: {low: 0.5, high: 1.0}\n"
        f"design: {{kind: lhs, points: {points}}}\n"
        f"keep: {{timeseries: {{every: {every}}}}}\n"
    )


def child(runs: int, workers: int, every: int, out: Path) -> None:
    """Run one sweep in this process and print a JSON line about it."""
    from influence_sim.sweep import run_sweep

    out.mkdir(parents=True, exist_ok=True)
    path = out / "sweep.yaml"
    path.write_text(sweep_text(os.path.relpath(SCENARIO, out), runs, every))
    start = time.perf_counter()
    # the pool from the start, so that every size runs on the same executor
    outcome = run_sweep(path, out / "result", workers=workers, pool_after_seconds=0.0)
    seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    size = sum(p.stat().st_size for p in (out / "result").rglob("*") if p.is_file())
    print(json.dumps({"runs": outcome.n_runs, "failed": outcome.n_failed, "seconds": seconds,
                      "own_peak": own, "bytes": size, "chunk": outcome.chunk_size,
                      "executor": outcome.executor}))


def measure(runs: int, workers: int, every: int) -> dict[str, float]:
    import psutil

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
        proc = subprocess.Popen(
            [sys.executable, __file__, "--child", "--runs", str(runs), "--workers",
             str(workers), "--every", str(every), "--out", tmp],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        root = psutil.Process(proc.pid)
        peak_rss = peak_pss = 0
        while proc.poll() is None:
            try:
                family = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                break
            rss = pss = 0
            for p in family:
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    info = p.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
            peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
            time.sleep(0.05)
        stdout, _ = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"sweep of {runs} runs failed (exit {proc.returncode})")
        report: dict[str, float] = json.loads(stdout.strip().splitlines()[-1])
        report["rss_peak"] = peak_rss
        report["pss_peak"] = peak_pss
        return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=int, default=4)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.runs[0], args.workers, args.every, args.out)
        return

    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cores; a pool of {args.workers} "
          f"workers from the start; time series every {args.every} steps")
    print(f"  {'runs':>8} {'wall s':>7} {'runs/s':>7} {'chunk':>6} {'PSS, all':>9} "
          f"{'RSS, all':>9} {'RSS, main':>10} {'output':>8}")
    mb = 1024 * 1024
    for runs in args.runs:
        r = measure(runs, args.workers, args.every)
        print(f"  {int(r['runs']):>8} {r['seconds']:>7.1f} {r['runs'] / r['seconds']:>7.0f} "
              f"{int(r['chunk']):>6} {r['pss_peak'] / mb:>6.0f} MB {r['rss_peak'] / mb:>6.0f} MB "
              f"{r['own_peak'] / mb:>7.0f} MB {r['bytes'] / mb:>5.0f} MB")


if __name__ == "__main__":
    main()
