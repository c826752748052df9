"""One seed, one result, whatever the driver: ensemble, Mesa model, sweep, attribution, calibration.

The scenarios here are small (a few years, two or three replicates) but unusual: a power added
or removed, monthly and yearly steps, a triggered pulse, shocks that happen in some replicates
only and values drawn from distributions, with and without a posterior. Numbers are compared
exactly: every driver builds its runs with :func:`influence_sim.initial.build_runs` and steps them
with :class:`influence_sim.engine.RunBatch`, each run on its own generators, so there is no
legitimate difference.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import influence_sim
from influence_sim import InfluenceModel, load_scenario, seeds
from influence_sim.analysis.attribution import attribute
from influence_sim.ensemble import _snapshot
from influence_sim.parameters import PARAMETERS
from influence_sim.rng import replicate_seeds
from influence_sim.sweep import read_sweep
from influence_sim.sweep.chunk import simulate_chunk

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "scenarios"
POSTERIOR = ROOT / "seeds" / "posterior"
SEED, REPLICATES = 3, 3

SHOCKS = """\
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: {distribution: uniform, low: 0.7, high: 0.95}
    probability: 0.7
  - name: flare
    at: 2021-10-01
    target: afghanistan.instability
    op: pulse
    value: 0.2
    half_life: 6 months
  - name: hedge_more
    at: 2021-04-01
    target: states.*.hedging
    op: add
    value: {distribution: normal, mean: 0.05, sd: 0.05}
  - name: pushback
    target: parameters.competition_weight
    op: scale
    value: {distribution: triangular, low: 1.5, mode: 2.0, high: 3.0}
    probability: 0.8
    when:
      watch: states.*.security_share.china
      above: 0.12
  - name: trust_dip
    target: relations.china.russia.trust
    op: pulse
    value: -0.1
    half_life: 3 months
    when:
      watch: afghanistan.instability
      above: 0.6
"""

END = {"month": "2025-01-01", "year": "2026-01-01"}  # turkey_enters' ramps end in 2025


def write_scenario(
    folder: Path, powers: str, step: str, posterior: str | None = "library", name: str = "small"
) -> Path:
    """A small scenario: ``powers`` is ``default``, ``added`` (Turkey) or ``removed`` (the US)."""
    base = "turkey_enters.yaml" if powers == "added" else "baseline.yaml"
    text = (
        f"name: {name}\nextends: {LIBRARY / base}\n"
        f"time:\n  start: 2021-01-01\n  end: {END[step]}\n  step: {step}\n"
        f"  seed: {SEED}\n  replicates: {REPLICATES}\n"
    )
    if posterior is None:
        text += "posterior: none\n"
    elif posterior != "library":  # the library's baseline names seeds/posterior
        text += f"posterior: {posterior}\n"
    if powers == "removed":
        text += "actors:\n  remove_powers: [united_states]\n"
    path = folder / f"{name}.yaml"
    path.write_text(text + SHOCKS, encoding="utf-8")
    return path


def point_posterior(folder: Path, draws: int = 4) -> Path:
    """A posterior whose every draw is the point estimate: parameters and residuals of seeds/."""
    meta = json.loads((POSTERIOR / "posterior.json").read_text(encoding="utf-8"))
    meta["draws"] = draws
    header = (POSTERIOR / "posterior.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    data = seeds.load_seeds()
    row = []
    for column in header[2:]:
        kind, rest = column.split(".", 1)
        if kind == "parameters":
            row.append(repr(float(PARAMETERS[rest].default(data))))
        else:
            state, partner, domain = rest.split(".")
            row.append(repr(float(data.residuals.get((state, partner, domain), 0.0))))
    lines = [",".join(header), *(",".join([str(i), "0.0", *row]) for i in range(draws))]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "posterior.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "posterior.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "posterior.csv"


def model_series(scenario, seq) -> dict[str, np.ndarray]:
    """The Mesa model of one replicate stepped to the end, recorded as the ensemble records."""
    model = InfluenceModel.from_scenario(scenario, rng=seq)
    snaps = [_snapshot(model.batch)]
    while model.running:
        model.step()
        snaps.append(_snapshot(model.batch))
    return {key: np.stack([snap[key][0] for snap in snaps]) for key in snaps[0]}


def one_point_sweep(folder: Path, scenario: Path) -> Path:
    """A sweep of one point at the scenario's own coordination, replicate j on seed child j."""
    default = PARAMETERS["coordination"].default(seeds.load_seeds())
    path = folder / "one_point.yaml"
    path.write_text(
        f"scenario: {scenario.name}\nseed: {SEED}\nreplicates: {REPLICATES}\n"
        "common_random_numbers: true\n"
        f"vary:\n  parameters.coordination: [{default!r}]\ndesign: {{kind: grid}}\n"
        "keep:\n  timeseries: {every: 1}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("powers", "step", "posterior"),
    [
        ("added", "month", "library"),
        ("added", "year", None),
        ("removed", "month", None),
        ("removed", "year", "library"),
        ("default", "year", "library"),
    ],
)
def test_ensemble_mesa_model_and_sweep_give_the_same_bits(tmp_path, powers, step, posterior):
    """Replicate j: the ensemble, the Mesa model, a one-point sweep, and each run alone."""
    path = write_scenario(tmp_path, powers, step, posterior)
    scenario = load_scenario(path)
    out = influence_sim.run(scenario, seed=SEED, replicates=REPLICATES).output
    replicate = replicate_seeds(SEED, REPLICATES)
    for j in range(REPLICATES):
        for key, values in model_series(scenario, replicate[j]).items():
            np.testing.assert_array_equal(values, getattr(out, key)[:, j], err_msg=key)
    # the first replicates alone (fewer replicates) are the first replicates of the batch
    first = influence_sim.run(scenario, seed=SEED, replicates=1).output
    np.testing.assert_array_equal(first.share, out.share[:, :1])
    sweep = read_sweep(one_point_sweep(tmp_path, path))
    chunk = simulate_chunk(sweep, np.arange(REPLICATES))
    np.testing.assert_array_equal(chunk.share, np.swapaxes(out.share, 0, 1))
    np.testing.assert_array_equal(chunk.demand, np.swapaxes(out.volume, 0, 1))
    np.testing.assert_array_equal(chunk.metrics["final.trust"], out.trust[-1])
    for j in range(REPLICATES):
        alone = simulate_chunk(sweep, np.array([j]))
        np.testing.assert_array_equal(alone.share[0], chunk.share[j])
        model = InfluenceModel.from_sweep_run(sweep, j).run()
        np.testing.assert_array_equal(model.batch.state.share[0], out.share[-1, j])


def test_a_posterior_of_point_estimates_gives_the_runs_without_one(tmp_path):
    """Draws equal to the point estimates change nothing, in any driver, knockouts included.

    An attribution's knockout is part of the reference an added power is fitted under; the
    draw's value of a parameter it switches off (the gravity knockout's gdp_elasticity) used to
    win there, so the knockout run differed from the same knockout without a posterior.
    """
    point = load_scenario(write_scenario(tmp_path, "added", "year", None, name="point"))
    posterior = point_posterior(tmp_path / "posterior")
    drawn = load_scenario(write_scenario(tmp_path, "added", "year", str(posterior), name="drawn"))
    assert drawn.posterior is not None and point.posterior is None
    a = influence_sim.run(point, seed=SEED, replicates=2).output
    b = influence_sim.run(drawn, seed=SEED, replicates=2).output
    np.testing.assert_array_equal(a.share, b.share)
    overrides = {"powers.turkey.priority": 0.9, "parameters.presence_weight": 2.5}
    a_sim = influence_sim.simulate(point, overrides, seed=SEED, replicates=2)
    b_sim = influence_sim.simulate(drawn, overrides, seed=SEED, replicates=2)
    numbers = a_sim.select_dtypes("number").columns
    np.testing.assert_array_equal(a_sim[numbers].to_numpy(), b_sim[numbers].to_numpy())
    knockouts = ["gravity", "arms_market", "spillover"]
    a_att = attribute(point, seed=SEED, replicates=2, knockouts=knockouts).per_replicate
    b_att = attribute(drawn, seed=SEED, replicates=2, knockouts=knockouts).per_replicate
    np.testing.assert_array_equal(a_att["value"].to_numpy(), b_att["value"].to_numpy())


def test_calibration_runs_are_the_runs_of_the_scenario_with_its_posterior(tmp_path):
    """A candidate's model values are those of `run` with its values: draws, added power and all.

    Calibration used the point estimates even when the scenario named a posterior, so its
    numbers were not those of the calibrated scenario run with the same seed (0.01 apart in a
    regional share here).
    """
    from influence_sim.calibration import Objective, RegionalSeries, load_targets
    from influence_sim.calibration.fit import parse_free_parameters
    from influence_sim.calibration.targets import COLUMNS
    from influence_sim.overrides import scenario_with_overrides

    scenario = load_scenario(write_scenario(tmp_path, "added", "year", "library"))
    assert scenario.posterior is not None
    rows = [
        ("arms", "regional_security_share:russia", "2022-01-01", "2023-12-31"),
        ("trade", "regional_economic_share:turkey", "2023-01-01", "2024-12-31"),
    ]
    lines = [",".join(COLUMNS), *(f"{i},{m},{a},{b},0.5,0.1,1,synthetic" for i, m, a, b in rows)]
    (tmp_path / "targets.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    targets = load_targets(tmp_path / "targets.csv")
    free = parse_free_parameters(["parameters.presence_weight", "powers.turkey.priority"], scenario)
    objective = Objective(scenario, targets, free, seed=SEED, replicates=2)
    values = np.array([[2.5, 0.9], [0.5, 0.1]])
    model = objective.model_values(values)
    for c, candidate in enumerate(values):
        fitted = {p.path: float(v) for p, v in zip(free, candidate, strict=True)}
        loaded, direct = scenario_with_overrides(scenario, fitted)
        assert not direct
        run = influence_sim.run(loaded, seed=SEED, replicates=2)
        series = RegionalSeries.from_output(run.output)
        expected = [series.values(t.metric, t.period_start, t.period_end) for t in targets]
        np.testing.assert_array_equal(model[:, c, :], np.stack(expected))


def test_a_likelihood_set_does_not_depend_on_its_batch(tmp_path):
    """With drawn shocks, a parameter set's path is the same in any batch, and a run alone's.

    Set ``b`` of a batch ran on seed child ``b``, so a hindcast with a drawn or uncertain shock
    gave a set another path, and another likelihood, in another place of a batch (as the
    workers of ``influence-sim fit`` cut them).
    """
    from influence_sim.estimate import expected_path
    from influence_sim.initial import residual_array
    from influence_sim.likelihood import PanelLikelihood

    path = tmp_path / "hindcast_draw.yaml"
    path.write_text(
        f"name: hindcast_draw\nextends: {LIBRARY / 'hindcast_2000.yaml'}\nshocks:\n"
        "  - name: drawn_priority\n    at: 2002-06-01\n    target: powers.russia.priority\n"
        "    op: set\n    value: {distribution: uniform, low: 0.3, high: 1.0}\n"
        "    probability: 0.6\n",
        encoding="utf-8",
    )
    like = PanelLikelihood(path, until=2005, names=("spillover_rate", "presence_weight"))
    values = np.array([[0.1, 1.0], [0.3, 2.0], [0.2, 0.5]])
    residual = np.stack([residual_array(like.seeds, like.dims)] * len(values))
    trade, arms = like.paths(values, residual)
    for b in range(len(values)):
        alone_trade, alone_arms = like.paths(values[b : b + 1], residual[b : b + 1])
        np.testing.assert_array_equal(alone_trade[:, 0], trade[:, b])
        np.testing.assert_array_equal(alone_arms[:, 0], arms[:, b])
    one = {"parameters.spillover_rate": 0.3, "parameters.presence_weight": 2.0}
    volumes, _ = expected_path(like.spec, like.seeds, residual[1], one)
    np.testing.assert_array_equal(volumes[: like.horizon], trade[:, 1])
