"""Wall time of a calibration: ``influence-sim calibrate`` of four parameters on the 2000 hindcast.

Usage: ``python benchmarks/calibration_time.py [--replicates N] [--design N] [--starts N]``

Runs a calibration against ``seeds/targets.csv`` in process (Russia's and China's doctrine,
Russia's priority and the security adjustment rate; the scenario's seed and, unless changed,
the command's default settings), writes its files to a temporary folder and prints the wall
time, the number of candidates and runs, the runs per second and the loss. The model's own
defaults come from ``influence-sim estimate`` (``benchmarks/estimate_time.py``), not from this.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from influence_sim.calibration import (
    Settings,
    calibrate,
    load_targets,
    parse_free_parameters,
    write_outputs,
)
from influence_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
PARAMS = "powers.russia.doctrine,powers.russia.priority,powers.china.doctrine,adjust_rate_security"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=None)
    parser.add_argument("--design", type=int, default=64)
    parser.add_argument("--starts", type=int, default=4)
    args = parser.parse_args()

    began = time.perf_counter()
    scenario = load_scenario(ROOT / "scenarios" / "hindcast_2000.yaml")
    targets = load_targets(ROOT / "seeds" / "targets.csv")
    free = parse_free_parameters(PARAMS, scenario)
    settings = Settings(
        seed=scenario.seed or 0,
        replicates=args.replicates or scenario.replicates,
        design_points=args.design,
        starts=args.starts,
    )
    result = calibrate(scenario, targets, free, settings)
    fitted = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        write_outputs(result, tmp)
    written = time.perf_counter()

    runs = result.evaluations * settings.replicates
    steps = scenario.clock().n_steps
    print(
        f"scenario: {scenario.name} ({steps} steps of a {scenario.step}); "
        f"{len(free)} parameters; {len(targets)} targets"
    )
    print(
        f"settings: {settings.replicates} replicates, {settings.design_points} design points, "
        f"{settings.starts} local searches"
    )
    print(f"candidates: {result.evaluations}; runs: {runs}")
    print(f"calibration wall time: {fitted - began:.2f} s ({runs / (fitted - began):.0f} runs/s)")
    print(f"writing fit.json, parameters.yaml and plots: {written - fitted:.2f} s")
    print(f"loss at the fit: {result.loss:.4f}")


if __name__ == "__main__":
    main()
