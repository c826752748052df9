"""Wall time of ``influence-sim run scenarios/baseline.yaml``, interpreter start included.

Usage: ``python benchmarks/run_wall_time.py [--repeats N] [--scenario FILE]``

Prints the median, min and max wall time of the whole command (a fresh interpreter each time),
with and without plots, and of the in-process simulation alone, measured in one run of this
script on this machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def time_command(args: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "influence_sim", "run", *args, "--out", f"{tmp}/out"],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            times.append(time.perf_counter() - start)
    return times


def describe(label: str, times: list[float]) -> str:
    return (
        f"{label:<44} median {statistics.median(times):6.3f} s"
        f"  (min {min(times):.3f}, max {max(times):.3f}, n={len(times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    args = parser.parse_args()

    import influence_sim

    scenario = influence_sim.load_scenario(ROOT / args.scenario)
    sim_times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        influence_sim.run(scenario, seed=1)
        sim_times.append(time.perf_counter() - start)
    import_start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import influence_sim"], check=True)
    import_time = time.perf_counter() - import_start

    print(f"scenario: {args.scenario}; python {sys.version.split()[0]}")
    print(
        describe(
            "influence-sim run (tables and plots)",
            time_command([args.scenario, "--seed", "1"], args.repeats),
        )
    )
    print(
        describe(
            "influence-sim run --no-plots",
            time_command([args.scenario, "--seed", "1", "--no-plots"], args.repeats),
        )
    )
    print(describe(f"simulation alone, in process ({scenario.replicates} replicates)", sim_times))
    print(f"{'python -c "import influence_sim"':<44} {import_time:6.3f} s")


if __name__ == "__main__":
    main()
