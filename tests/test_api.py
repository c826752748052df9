"""The notebook API: load_scenario, run, and the model built from a scenario file."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import influence_sim
from influence_sim.rng import replicate_seeds

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def final_security_share(results: influence_sim.Results, state: str, power: str) -> np.ndarray:
    ts = results.timeseries
    last = ts[
        (ts["step"] == ts["step"].max())
        & (ts["state"] == state)
        & (ts["partner"] == power)
        & (ts["domain"] == "security")
    ]
    return last.sort_values("replicate")["share"].to_numpy()


def test_run_returns_tidy_results_for_five_replicates():
    """run(scenario, seed=1, replicates=5) gives five replicates in a tidy DataFrame."""
    scenario = influence_sim.load_scenario(SCENARIOS / "afghan_takeover.yaml")
    results = influence_sim.run(scenario, seed=1, replicates=5)
    assert isinstance(results.timeseries, pd.DataFrame)
    assert sorted(results.timeseries["replicate"].unique()) == [0, 1, 2, 3, 4]
    assert results.metadata["scenario_sha256"] == scenario.sha256
    assert results.seed == 1


def test_takeover_ends_with_a_higher_russian_security_share_in_tajikistan():
    """With the same seeds, the takeover ends with Russia's Tajik security share higher.

    Tajikistan's exposure (its 1350 km border) raises its threat most; threat weighs military
    presence, where Russia's 201st base outweighs China's outpost.
    """
    base = influence_sim.run(SCENARIOS / "baseline.yaml", seed=4, replicates=6)
    takeover = influence_sim.run(SCENARIOS / "afghan_takeover.yaml", seed=4, replicates=6)
    delta = final_security_share(takeover, "tajikistan", "russia") - final_security_share(
        base, "tajikistan", "russia"
    )
    assert np.all(delta > 0.02), delta
    # Kazakhstan, with no border, moves far less
    delta_kz = final_security_share(takeover, "kazakhstan", "russia") - final_security_share(
        base, "kazakhstan", "russia"
    )
    assert np.all(np.abs(delta_kz) < delta)
    assert np.abs(delta_kz).mean() < delta.mean() / 2


def test_replicate_of_run_equals_model_from_scenario():
    """Replicate i of run() is InfluenceModel.from_scenario with the i-th child seed."""
    scenario = influence_sim.load_scenario(SCENARIOS / "afghan_takeover.yaml")
    results = influence_sim.run(scenario, seed=9, replicates=3)
    seed = replicate_seeds(9, 3)[2]
    model = influence_sim.InfluenceModel.from_scenario(scenario, rng=seed).run()
    final = results.output.share[-1, 2]
    assert np.max(np.abs(model.batch.state.share[0] - final)) <= 1e-12


def test_a_seed_or_replicates_that_is_no_whole_number_is_a_clear_error():
    path = SCENARIOS / "baseline.yaml"
    for seed in (-1, 1.5, "7", True):
        message = f"seed must be a whole number of at least 0, .*not {re.escape(repr(seed))}$"
        with pytest.raises(ValueError, match=message):
            influence_sim.run(path, seed=seed, replicates=1)
    with pytest.raises(ValueError, match=re.escape("replicates must be a whole number, not 2.5")):
        influence_sim.run(path, replicates=2.5)
    with pytest.raises(ValueError, match="replicates must be at least 1"):
        influence_sim.run(path, replicates=0)
    for every in ("2", 1.5, 0):
        with pytest.raises(ValueError, match=r"^every must be (a whole number, not|at least 1)"):
            influence_sim.run(path, replicates=1, every=every)
    replicates_message = r"^replicates must be (a whole number, not|at least 1)"
    for bad in ("2", 1.5, -1):
        with pytest.raises(ValueError, match=replicates_message):
            influence_sim.simulate(path, replicates=bad)
    same = influence_sim.run(path, seed=np.int64(3), replicates=1).timeseries
    pd.testing.assert_frame_equal(same, influence_sim.run(path, seed=3, replicates=1).timeseries)


def test_a_seed_sequence_or_generator_is_recorded_as_a_root_seed_the_readers_take(tmp_path):
    """The saved metadata.json has a whole number or null as ``seed``, so compare reads it."""
    from influence_sim.analysis.runset import from_run_folder

    path = SCENARIOS / "baseline.yaml"
    for seed, root in (
        (np.random.SeedSequence(5), 5),
        (np.random.SeedSequence(5).spawn(1)[0], None),
        (np.random.default_rng(5), None),
    ):
        results = influence_sim.run(path, seed=seed, replicates=2)
        assert results.seed == root
        results.save(tmp_path / "run", plots=False)
        assert from_run_folder(tmp_path / "run").root_seed == root
