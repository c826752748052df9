"""Wall time of a posterior fit with the default settings (``influence-sim fit``).

Runs ``influence-sim fit --until 2019`` with the defaults (24 walkers, 160 steps, 2 worker
processes) into a temporary folder and prints the sampling time, the total time and the
acceptance fraction, against the budget of 15 minutes on two cores.

    python benchmarks/fit_time.py [--steps N] [--workers N]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=160)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--until", type=int, default=2019)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "fit"
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable, "-m", "influence_sim", "fit", "--until", str(args.until),
                "--steps", str(args.steps), "--workers", str(args.workers), "--out", str(out),
                "--no-progress",
            ],
            check=True,
        )
        total = time.perf_counter() - started
        meta = json.loads((out / "posterior.json").read_text())
    print()
    print(f"steps {args.steps}, workers {args.workers}, panel to {args.until}")
    print(f"sampling {meta['wall_seconds']:.0f} s; total {total:.0f} s (budget {BUDGET_S} s)")
    print(f"acceptance fraction {meta['acceptance_fraction']:.2f}")
    print("within budget" if total <= BUDGET_S else "OVER BUDGET")
    return 0 if total <= BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
