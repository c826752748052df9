"""Kernel speed before and after model v2, measured in one run: run-steps per second.

Usage: ``python benchmarks/kernel_speed.py [--runs 1000] [--steps 40] [--repeats 5]
[--before REV]``

Steps ``--runs`` runs of the baseline scenario (the default cast, quarterly from 2021) for
``--steps`` steps with :class:`influence_sim.engine.RunBatch`, noise included, nothing recorded,
and prints run-steps per second (best of ``--repeats``) for:

* this checkout's kernel;
* the kernel of an earlier revision (``--before``, default ``f134c48``, the last commit with
  the model v1 kernel), extracted with ``git archive`` into a temporary folder and timed in a
  child process the same way (its own scenario, initialisation and engine);

and the ratio of the two (after / before, above 1 is faster). It also prints the share of a
step spent in each part of the new step (a line-level profile of one batch).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from influence_sim.engine import RunBatch
try:
    from influence_sim.rng import replicate_seeds
except ImportError:  # a revision before the rng module had them in the engine
    from influence_sim.engine import replicate_seeds
from influence_sim.initial import build
from influence_sim.scenario import load_scenario
runs, steps, repeats, scenario = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
sc = load_scenario(scenario)
best = float("inf")
for _ in range(repeats):
    seeds = replicate_seeds(1, runs)
    state, params = build(sc.dims, sc.start, [sc.overrides()] * runs, sc.reference_overrides())
    batch = RunBatch(sc.dims, sc.clock(), state, params, sc.compile(seeds), seeds)
    start = time.perf_counter()
    for _ in range(min(steps, sc.clock().n_steps)):
        batch.advance()
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "run_steps": runs * min(steps, sc.clock().n_steps)}))
"""


def _time(src: Path, scenario: Path, runs: int, steps: int, repeats: int) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(src)
    env.pop("INFLUENCE_SIM_SEEDS", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(runs), str(steps), str(repeats), str(scenario)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=src.parent,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _extract(rev: str, folder: Path) -> Path:
    """The source tree, seeds and scenarios of a revision, in ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "src", "seeds", "scenarios"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    link = folder / "src" / "influence_sim" / "seeds"
    if link.is_symlink() or not link.exists():
        link.unlink(missing_ok=True)
        link.symlink_to(folder / "seeds", target_is_directory=True)
    return folder / "src"


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--before", default="f134c48")
    args = parser.parse_args()
    after = _time(
        ROOT / "src", ROOT / "scenarios" / "baseline.yaml", args.runs, args.steps, args.repeats
    )
    with tempfile.TemporaryDirectory() as tmp:
        try:
            src = _extract(args.before, Path(tmp))
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"cannot extract revision {args.before} ({exc}); only this kernel is timed")
            before = None
        else:
            before = _time(
                src, Path(tmp) / "scenarios" / "baseline.yaml", args.runs, args.steps, args.repeats
            )
    rate_after = after["run_steps"] / after["seconds"]
    print(f"{args.runs} runs x {args.steps} steps, best of {args.repeats}")
    print(
        f"  this kernel (model v2):          {rate_after:12,.0f} run-steps/s "
        f"({1e6 / rate_after:.2f} us per run-step)"
    )
    if before is not None:
        rate_before = before["run_steps"] / before["seconds"]
        print(
            f"  kernel of {args.before} (model v1): {rate_before:12,.0f} run-steps/s "
            f"({1e6 / rate_before:.2f} us per run-step)"
        )
        print(
            f"  after / before: {rate_after / rate_before:.2f} "
            f"(time per run-step x{rate_before / rate_after:.2f})"
        )
    _profile(args.runs)


def _profile(runs: int) -> None:
    """Share of a step's time in each mechanism group (one batch, 40 steps)."""
    import numpy as np

    from influence_sim.engine import RunBatch
    from influence_sim.initial import build
    from influence_sim.kernel import mechanisms as mech
    from influence_sim.rng import replicate_seeds
    from influence_sim.scenario import load_scenario

    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    seeds = replicate_seeds(1, runs)
    state, params = build(sc.dims, sc.start, [sc.overrides()] * runs, sc.reference_overrides())
    batch = RunBatch(sc.dims, sc.clock(), state, params, sc.compile(seeds), seeds)
    spent: dict[str, float] = {}
    names = [
        "allocate_offers",
        "gravity_equilibrium",
        "supplier_attraction",
        "softmax_partners",
        "sign_contracts",
        "deliver_arms",
        "smooth_arms",
        "adjust_volumes",
        "regional_share",
        "treaty_ties",
    ]
    originals = {n: getattr(mech, n) for n in names}

    def wrap(name: str):  # type: ignore[no-untyped-def]
        fn = originals[name]

        def timed(*a, **k):  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            out = fn(*a, **k)
            spent[name] = spent.get(name, 0.0) + time.perf_counter() - t
            return out

        return timed

    for n in names:
        setattr(mech, n, wrap(n))
    try:
        start = time.perf_counter()
        for _ in range(sc.clock().n_steps):
            batch.advance()
        total = time.perf_counter() - start
    finally:
        for n, fn in originals.items():
            setattr(mech, n, fn)
    print(f"  profile of {runs} runs x {sc.clock().n_steps} steps ({total:.3f} s):")
    for n, t in sorted(spent.items(), key=lambda kv: -kv[1]):
        print(f"    {n:18s} {100 * t / total:5.1f} %")
    rest = total - float(np.sum(list(spent.values())))
    print(f"    {'the rest':18s} {100 * rest / total:5.1f} %  (drivers, shocks, noise, glue)")


if __name__ == "__main__":
    main()
