"""Recovery study of the posterior fit: are the true parameters inside the 90% intervals?

Each of ``--trials`` synthetic panels is drawn from the model at a known parameter set and
from the observation model of the likelihood (AR(1) trade errors, noisy supplier shares), then
fitted with the nine priors of ``seeds/priors.csv`` by the same sampler and residual profiling
as ``influence-sim fit`` (shorter chains: ``--walkers``, ``--steps``). The true values are
drawn from the priors (simulation-based calibration, the default) or, with ``--truths
posterior``, spread over the committed posterior ``seeds/posterior/``; the residuals are those
the fit profiles at the true values on the real panel (prior) or the posterior draw's.
It prints, per parameter and in all, how many true values lie inside the 90%
interval, the median interval width against the prior's, and PASS when at least 80% are inside.

    python benchmarks/recovery.py [--trials 20] [--walkers 32] [--steps 40] [--workers 2]
                                  [--truths prior|posterior] [--out DIR] [--table FILE]

Trials are saved in ``--out`` (default: a temporary folder); run again with the same
``--out`` to resume a stopped study, or with ``--finished`` to tabulate the trials finished so
far without running more. ``tests/test_recovery.py`` runs a small version.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any


def main() -> int:
    from influence_sim.recovery import (
        PASS_COVERAGE,
        RecoverySettings,
        coverage_table,
        finished_trials,
        run_recovery,
    )

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--walkers", type=int, default=32)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--truths",
        choices=("prior", "posterior"),
        default="prior",
        help="draw the true values from the priors (default) or the committed posterior",
    )
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--table", default=None, help="also write the coverage table to this CSV file"
    )
    parser.add_argument(
        "--finished",
        action="store_true",
        help="run no trial: tabulate the trials already finished in --out",
    )
    args = parser.parse_args()
    settings = RecoverySettings(
        trials=args.trials,
        walkers=args.walkers,
        steps=args.steps,
        workers=args.workers,
        seed=args.seed,
        truths=args.truths,
    )
    import tempfile

    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory()
        out = Path(tmp.name)
    else:
        out = Path(args.out)
    started = time.perf_counter()

    def report(rows: list[dict[str, Any]]) -> None:
        inside = sum(r["inside"] for r in rows)
        print(
            f"trial {rows[0]['trial']:2d}: {inside} of {len(rows)} inside, "
            f"{rows[0]['seconds']:.0f} s sampling ({time.perf_counter() - started:.0f} s so far)",
            flush=True,
        )

    done = f"{settings.trials} trials"
    if args.finished:
        frame = finished_trials(out, settings.truths)
        if frame.empty:
            parser.error(f"no finished trial in {out}")
        done = f"{frame['trial'].nunique()} of {settings.trials} trials finished"
    else:
        try:
            frame = run_recovery(settings, out, on_trial=report)
        finally:
            if tmp is not None:
                tmp.cleanup()
    table = coverage_table(frame, settings.level)
    print()
    print(
        f"{done}, {settings.walkers} walkers x {settings.steps} steps "
        f"(burn-in {settings.burn_steps}), seed {settings.seed}, {settings.workers} workers, "
        f"true values from the {settings.truths}"
    )
    print(table.to_string())
    if args.table is not None:
        frame_out = table.reset_index().rename(columns={table.index.name: "parameter"})
        frame_out["settings"] = (
            f"{done}; {settings.walkers} walkers x {settings.steps} steps; "
            f"seed {settings.seed}; truths from the {settings.truths}"
        )
        Path(args.table).parent.mkdir(parents=True, exist_ok=True)
        frame_out.to_csv(args.table, index=False)
    total = table.loc["all"]
    print(
        f"\n{int(total['inside'])} of {int(total['trials'])} true values inside the 90% "
        f"interval ({total['coverage']:.0%}; pass at {PASS_COVERAGE:.0%}): {total['result']}"
    )
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0 if total["result"] == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
