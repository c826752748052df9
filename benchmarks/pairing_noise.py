"""Pairing by seed when the powers differ: how much common noise would narrow the bands.

Usage: ``python benchmarks/pairing_noise.py [--replicates N] [--seed N] [--no-posterior]``

Each step a run draws its offer and contract noise as one ``(S, P + 1, 2)`` block, so a scenario
that adds a power (``scenarios/turkey_enters.yaml``) meets other noise than the baseline even
with the same seed. Part 1 shows it with a Turkey that holds no starting share: with noise the
two runs differ, without noise they agree. Part 2 compares the baseline with
``turkey_enters`` three ways and prints the difference (median and 5-95% band) of the regional
shares and trust at the end:

* paired by seed, as ``influence-sim compare`` does (posterior and shock draws common, noise
  not);
* unpaired (every pair of one replicate from each side);
* with truly common noise: the baseline is run with its noise drawn in ``turkey_enters``'s
  layout and Turkey's slot dropped, so that every state and power meets the same numbers on
  both sides. This is a measurement device only; the model keeps its layout.

``docs/analysis.md`` (pairing) quotes its output for 20 replicates and seed 1.
"""

from __future__ import annotations

import argparse
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

import influence_sim.engine as engine
from influence_sim.analysis.comparison import Comparison, compare
from influence_sim.analysis.runset import from_results
from influence_sim.api import run
from influence_sim.kernel.arrays import FloatArray
from influence_sim.results import Results
from influence_sim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TURKEY = ROOT / "scenarios" / "turkey_enters.yaml"
QUIET = "parameters:\n  offer_noise_sd: 0.0\n  contract_lumpiness: 0.0\n"
ZERO_TURKEY = """actors:
  add_powers:
    turkey:
      economic_capacity: 0.72
      security_capacity: 0.2
      priority: 0.3
      doctrine: 0.3
      capacity_growth: 0.0
      economic_share: 0.0
"""


def _china_arms_2031(path: Path, seed: int, posterior: bool | None) -> float:
    """Median over two replicates of China's regional security share at the end."""
    g = run(path, seed=seed, replicates=2, posterior=posterior).regional
    end = g[(g["date"] == g["date"].max()) & (g["partner"] == "china")]
    return float(end.loc[end["domain"] == "security", "share"].median())


def part_one(seed: int, posterior: bool | None) -> None:
    """The same seed with and without a Turkey that holds no share, with and without noise."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {}
        for name, text in (
            ("baseline", ""),
            ("zero_turkey", ZERO_TURKEY),
            ("baseline_quiet", QUIET),
            ("zero_turkey_quiet", ZERO_TURKEY + QUIET),
        ):
            files[name] = folder / f"{name}.yaml"
            files[name].write_text(f"name: {name}\nextends: {BASELINE}\n{text}", encoding="utf-8")
        values = {name: _china_arms_2031(path, seed, posterior) for name, path in files.items()}
    draws = "no posterior" if posterior is False else "posterior draws"
    print(f"China's regional security share at the end (median of 2 replicates, seed {seed})")
    print(f"  {draws}")
    print(
        f"  with noise:    {values['baseline']:.4f} without Turkey, "
        f"{values['zero_turkey']:.4f} with a Turkey holding no share"
    )
    print(
        f"  without noise: {values['baseline_quiet']:.4f} without Turkey, "
        f"{values['zero_turkey_quiet']:.4f} with a Turkey holding no share"
    )


def _embedded(big: Scenario, small: Scenario) -> type[engine.NoiseSource]:
    """A noise source for ``small`` that draws in ``big``'s layout and keeps its own slots."""
    keep = [big.dims.powers.index(p) for p in small.dims.powers] + [len(big.dims.powers)]

    class Embedded(engine.NoiseSource):
        def __init__(
            self, rngs: Sequence[np.random.Generator], shape: tuple[int, ...], block: int = 16
        ):
            super().__init__(rngs, (shape[0], len(big.dims.powers) + 1, shape[2]), block)

        def next(self) -> FloatArray:
            return super().next()[:, :, keep, :]

    return Embedded


def _rows(comparison: Comparison) -> dict[tuple[str, str], tuple[float, float, float]]:
    h = comparison.headline
    sel = h[
        (h["state"] == "region")
        & (h["scenario"] == "side")
        & h["metric"].isin(["final_share_economic", "final_share_security", "final_trust"])
        & (h["partner"] != "rest_of_world")
    ]
    return {
        (str(r.metric), str(r.partner)): (r.delta_median, r.delta_p5, r.delta_p95)
        for r in sel.itertuples()
        if not np.isnan(r.delta_median)
    }


def part_two(replicates: int, seed: int, posterior: bool | None) -> None:
    """Baseline against turkey_enters: paired by seed, unpaired, truly common noise."""
    base, side = load_scenario(BASELINE), load_scenario(TURKEY)
    rb = run(base, seed=seed, replicates=replicates, posterior=posterior)
    rs = run(side, seed=seed, replicates=replicates, posterior=posterior)
    original = engine.NoiseSource
    engine.NoiseSource = _embedded(side, base)  # type: ignore[misc]
    try:
        common: Results = run(base, seed=seed, replicates=replicates, posterior=posterior)
    finally:
        engine.NoiseSource = original  # type: ignore[misc]
    names = ["baseline", "side"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ways = {
            "paired by seed": _rows(compare(rb, rs, names=names)),
            "unpaired": _rows(compare(replace(from_results(rb), seeds=None), rs, names=names)),
            "common noise": _rows(compare(common, rs, names=names)),
        }
    print(
        f"\nturkey_enters minus baseline at the end, region ({replicates} replicates, "
        f"seed {seed}, {'no posterior' if posterior is False else 'posterior draws'})"
    )
    print(f"  {'metric':<22}{'partner':<15}" + "".join(f"{w:>30}" for w in ways))
    for key in ways["paired by seed"]:
        cells = "".join(
            f"{f'{m:+.4f} ({lo:+.4f} to {hi:+.4f})':>30}"
            for m, lo, hi in (way[key] for way in ways.values())
        )
        print(f"  {key[0]:<22}{key[1]:<15}{cells}")


def main() -> None:
    """Print both parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-posterior", action="store_true")
    args = parser.parse_args()
    posterior = False if args.no_posterior else None
    part_one(args.seed, False)
    part_two(args.replicates, args.seed, posterior)


if __name__ == "__main__":
    main()
