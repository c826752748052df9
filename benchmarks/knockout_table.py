"""The knockout table of the scenario library: what each mechanism moves, switched off.

Usage: ``python benchmarks/knockout_table.py [--replicates N] [--seed N]``

For every scenario in ``scenarios/`` and every knockout of
``influence_sim.analysis.attribution.KNOCKOUTS``, the runs are repeated with the mechanism (or
the part of one) switched off (common random numbers) and the table prints the headline
effect: the largest change, over China's and Russia's regional economic and security shares at
the end, in points.
The residuals stay those of the full model, so a knockout also removes what the mechanism
contributed to the path the residuals were estimated on.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from influence_sim.analysis.attribution import knockout_table

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    started = time.perf_counter()
    table = knockout_table(
        sorted((ROOT / "scenarios").glob("*.yaml")), seed=args.seed, replicates=args.replicates
    )
    wide = table.pivot(index="knockout", columns="scenario", values="headline") * 100.0
    pd.set_option("display.width", 250)
    print(f"headline effect in points ({args.replicates} replicates, seed {args.seed})")
    print(wide.round(2).to_string())
    print()
    print("largest per knockout (points):")
    print((wide.max(axis=1)).round(2).to_string())
    print(f"wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
