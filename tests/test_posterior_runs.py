"""Runs that draw each replicate's parameters from the committed 2019 posterior."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import influence_sim
from influence_sim.ensemble import simulate_runs
from influence_sim.posterior import load_posterior
from influence_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
POSTERIOR = ROOT / "seeds" / "posterior" / "posterior.csv"


def _china_share_2031(results: influence_sim.Results) -> np.ndarray:
    out = results.output
    vol = out.share[-1, :, :, :, 0] * out.volume[-1, :, :, 0, None]
    china = out.dims.partners.index("china")
    shares: np.ndarray = vol[:, :, china].sum(axis=1) / vol.sum(axis=(1, 2))
    return shares


def test_committed_posterior_matches_the_model() -> None:
    post = load_posterior(POSTERIOR)
    assert post.meta["until"] == 2019
    assert post.n_draws >= 100
    assert "spillover_rate" in post.names


def test_library_2021_scenarios_draw_from_the_posterior() -> None:
    for name in ("baseline", "afghan_takeover", "russia_sanctions_2022", "forecast_2021"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        assert scenario.posterior is not None
        assert Path(scenario.posterior).resolve() == POSTERIOR.resolve()
    assert load_scenario(ROOT / "scenarios" / "hindcast_2000.yaml").posterior is None


def test_parameter_draws_widen_the_band() -> None:
    with_draws = influence_sim.run(BASELINE, seed=3, replicates=40)
    noise_only = influence_sim.run(BASELINE, seed=3, replicates=40, posterior=False)
    wide = np.subtract(*np.quantile(_china_share_2031(with_draws), [0.95, 0.05]))
    narrow = np.subtract(*np.quantile(_china_share_2031(noise_only), [0.95, 0.05]))
    assert wide > 3.0 * narrow
    assert with_draws.metadata["posterior"] is not None
    assert noise_only.metadata["posterior"] is None


def test_without_draws_the_point_estimates_return() -> None:
    scenario = load_scenario(BASELINE)
    off = influence_sim.run(scenario, seed=5, replicates=3, posterior=False)
    clock = scenario.clock()
    old = simulate_runs(
        scenario.dims,
        clock,
        off.replicate_seeds,
        overrides=scenario.overrides(),
        reference_overrides=scenario.reference_overrides(),
        timeline=scenario.compile(off.replicate_seeds),
    )
    np.testing.assert_array_equal(off.output.share, old.share)


def test_paired_scenarios_share_their_draws() -> None:
    a = influence_sim.run(BASELINE, seed=11, replicates=6)
    b = influence_sim.run(ROOT / "scenarios" / "afghan_takeover.yaml", seed=11, replicates=6)
    assert a.metadata["posterior_draws"] == b.metadata["posterior_draws"]
    assert len(set(a.metadata["posterior_draws"])) > 1


def test_a_draw_sets_the_parameters_and_residuals() -> None:
    post = load_posterior(POSTERIOR)
    scenario = load_scenario(BASELINE)
    res = influence_sim.run(scenario, seed=2, replicates=2)
    index = res.metadata["posterior_draws"]
    from influence_sim import initial

    state, params = initial.build(scenario.dims, scenario.start, [{}])
    del state
    # the draw's residuals differ from the point estimates in seeds/residuals.csv
    assert not np.allclose(post.residual[index[0]], params.residual[0], atol=1e-3)


def test_sweep_runs_draw_from_the_base_scenario_posterior(tmp_path: Path) -> None:
    from influence_sim.sweep.plan import read_sweep

    sweep_file = tmp_path / "s.yaml"
    sweep_file.write_text(
        f"name: s\nscenario: {BASELINE}\nreplicates: 3\nseed: 1\n"
        "common_random_numbers: true\n"
        "vary:\n  parameters.hedging_weight: [1.0, 2.0]\n"
        "design:\n  kind: grid\n",
        encoding="utf-8",
    )
    sweep = read_sweep(sweep_file)
    cols = sweep.columns(np.arange(6))
    spill = np.asarray(cols["parameters.spillover_rate"])
    assert spill.shape == (6,)
    # common random numbers: replicate r of each point has the same draw
    np.testing.assert_array_equal(spill[:3], spill[3:])
    assert any(p.endswith("posterior.csv") for p in (f["path"] for f in sweep.input_files))


def test_cli_refuses_a_missing_posterior(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "influence_sim",
            "run",
            str(BASELINE),
            "--posterior",
            str(tmp_path / "none.csv"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "posterior file not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("flag", ["--no-posterior"])
def test_cli_no_posterior_flag(tmp_path: Path, flag: str) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "influence_sim",
            "run",
            str(BASELINE),
            flag,
            "--replicates",
            "2",
            "--no-plots",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "drawn per replicate" not in proc.stdout


def test_an_added_power_departs_from_its_reference_under_the_posterior_too() -> None:
    """A run's override of an added power's priority acts under the posterior draws as at the
    point estimates: the draws refit the power's residual under the scenario's description of
    it, not under the run's departures. Before, the refit absorbed the override, so a lower
    priority gave Turkey more trade once the scenario ramped it (0.058 of the region's trade in
    2025 at priority 0.1 against 0.029 at 0.9), and priority 0 gave it all of it."""
    from influence_sim import InfluenceModel

    scenario = load_scenario(
        ROOT / "scenarios" / "turkey_enters.yaml", {"time": {"end": "2025-01-01"}}
    )

    def turkey_share(priority: float, posterior: bool | None) -> np.ndarray:
        out = influence_sim.simulate(
            scenario,
            {"powers.turkey.priority": priority},
            seed=1,
            replicates=2,
            posterior=posterior,
            outputs=["final.economic_share.region.turkey"],
        )
        shares: np.ndarray = out["final.economic_share.region.turkey"].to_numpy()
        return shares

    for posterior in (None, False):  # the scenario's posterior, then the point estimates
        low, high = turkey_share(0.1, posterior), turkey_share(0.9, posterior)
        assert np.all(high > low + 0.002)
        assert np.all(turkey_share(0.0, posterior) < 0.01)
    # the Mesa model of a replicate fits the same residual whatever the run's priority
    turkey = scenario.dims.partners.index("turkey")
    fitted = [
        InfluenceModel.from_scenario(
            scenario, rng=1, overrides={"powers.turkey.priority": p}
        ).batch.params.residual[0, :, turkey]
        for p in (0.1, 0.9)
    ]
    np.testing.assert_array_equal(fitted[0], fitted[1])
