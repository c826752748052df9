"""Wall time of ``influence-sim estimate``: the panel estimates and residuals, from scratch.

Usage: ``python benchmarks/estimate_time.py [--evaluations N]``

Copies ``seeds/`` to a temporary folder, runs the whole estimation there (gravity and arms
demand in closed form, the least-squares weight fit with the residuals profiled out, then the
residuals), and prints the wall time of each part, the weights found and whether they equal the
committed ``seeds/estimates.csv`` (they do when ``--evaluations`` is the command's default).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
import time
from pathlib import Path

from influence_sim import estimate as es
from influence_sim import seeds as sd

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluations", type=int, default=100, help="most weight-fit runs")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "seeds"
        shutil.copytree(ROOT / "seeds", folder)
        seeds = sd.load_seeds(folder)
        t0 = time.perf_counter()
        gravity = es.estimate_gravity(seeds)
        arms = es.estimate_arms_demand(seeds)
        t1 = time.perf_counter()
        fits = es.estimate_all(folder, max_evaluations=args.evaluations)
        t2 = time.perf_counter()
        weights = fits["weights"]
        residuals = fits["residuals"]
        with open(folder / "estimates.csv", encoding="utf-8") as f:
            new = {r["id"]: float(r["value"]) for r in csv.DictReader(f)}
        with open(ROOT / "seeds" / "estimates.csv", encoding="utf-8") as f:
            old = {r["id"]: float(r["value"]) for r in csv.DictReader(f)}
    print(f"gravity and arms demand (closed form): {t1 - t0:8.2f} s")
    print(f"whole estimation (weights, residuals):  {t2 - t1:8.2f} s")
    print(
        f"  gdp elasticity {gravity.value('gdp_elasticity'):.3f}, arms GDP elasticity "
        f"{arms.elasticity:.3f}"
    )
    if weights is not None:
        print(
            f"  weight fit: {weights.evaluations} runs, misfit {weights.misfit_start:.1f} -> "  # type: ignore[attr-defined]
            f"{weights.misfit:.1f}"
        )  # type: ignore[attr-defined]
    print(f"  residuals: {residuals.iterations} iterations")  # type: ignore[attr-defined]
    same = all(abs(new[k] - old.get(k, float("nan"))) < 5e-4 for k in new)
    print(f"equal to the committed seeds/estimates.csv: {same}")


if __name__ == "__main__":
    main()
