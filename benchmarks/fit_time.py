"""Wall time of the posterior fits with the default settings (``influence-sim fit``).

Runs ``influence-sim fit --until YEAR`` with the defaults (24 walkers, 160 steps, 2 worker
processes) into a temporary folder, for the fit through 2014 (the out-of-sample check) and the
fit through 2019 (the one the 2021 scenarios use), and prints each fit's sampling time, total
time and acceptance fraction against the budget of 15 minutes on two cores.

    python benchmarks/fit_time.py [--until 2014 2019] [--steps N] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 15 * 60


def time_fit(until: int, steps: int, workers: int) -> tuple[float, float, float]:
    """One fit's sampling time, total time (s) and acceptance fraction."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fit"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "-m", "influence_sim", "fit", "--until", str(until),
                "--steps", str(steps), "--workers", str(workers), "--out", str(out),
                "--no-progress",
            ],
            check=True,
        )
        total = time.perf_counter() - started
        meta = json.loads((out / "posterior.json").read_text())
    return float(meta["wall_seconds"]), total, float(meta["acceptance_fraction"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--until", type=int, nargs="+", default=[2014, 2019])
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    rows = [(until, *time_fit(until, args.steps, args.workers)) for until in args.until]
    print()
    print(f"steps {args.steps}, workers {args.workers}, budget {BUDGET_S} s a fit")
    print(f"{'panel to':>8}  {'sampling s':>10}  {'total s':>8}  {'acceptance':>10}  result")
    for until, sampling, total, acceptance in rows:
        verdict = "within budget" if total <= BUDGET_S else "OVER BUDGET"
        print(f"{until:>8}  {sampling:>10.0f}  {total:>8.0f}  {acceptance:>10.2f}  {verdict}")
    return 0 if all(total <= BUDGET_S for _, _, total, _ in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
