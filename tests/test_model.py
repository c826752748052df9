"""The Mesa driver: InfluenceModel, its agents, data collection, batch_run, and the ensemble."""

from __future__ import annotations

from pathlib import Path

import mesa
import numpy as np
import pytest

from influence_sim import CentralAsianState, InfluenceModel, Power, load_scenario
from influence_sim.calendar import Clock
from influence_sim.ensemble import simulate_runs
from influence_sim.initial import default_dims
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import SEC
from influence_sim.model import keyword_overrides
from influence_sim.rng import replicate_seeds

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_model_is_a_mesa_model_with_typed_agents():
    """InfluenceModel is a mesa.Model whose agents are Powers and CentralAsianStates."""
    model = InfluenceModel(rng=1)
    assert isinstance(model, mesa.Model)
    powers = model.agents_by_type[Power]
    states = model.agents_by_type[CentralAsianState]
    assert sorted(p.name for p in powers) == ["china", "russia", "united_states"]
    assert sorted(s.name for s in states) == [
        "kazakhstan",
        "kyrgyzstan",
        "tajikistan",
        "turkmenistan",
        "uzbekistan",
    ]


def test_agents_are_views_into_the_arrays():
    """Agent attributes read the batch's current arrays, whatever changes them, when they do."""
    model = InfluenceModel.from_scenario(load_scenario(SCENARIOS / "afghan_takeover.yaml"), rng=1)
    tajikistan, russia = model.states["tajikistan"], model.powers["russia"]
    s, k, n_powers = tajikistan.index, russia.index, model.dims.n_powers
    # read once first: an agent that kept what it read first would be stale from here on
    first_threat, first_shares = tajikistan.threat, tajikistan.security_shares
    first_capacity, first_regional = russia.security_capacity, russia.regional_security_share

    # changed by the model as it steps (the takeover of August 2021 raises the threat)
    for _ in range(5):
        model.step()
        state = model.batch.state
        assert tajikistan.threat == float(state.threat[0, s])
        assert list(tajikistan.security_shares.values()) == state.share[0, s, :, SEC].tolist()
        assert russia.security_capacity == float(state.capacity[0, k, SEC])
        regional = obs.regional_share(state.share, model.batch.demand())[0]
        assert russia.regional_security_share == pytest.approx(regional[k, SEC], abs=1e-15)
    assert tajikistan.threat > first_threat and tajikistan.security_shares != first_shares
    assert russia.security_capacity != first_capacity
    assert russia.regional_security_share != first_regional

    # changed in the arrays directly
    state, params = model.batch.state, model.batch.params
    threat, hedging = tajikistan.threat, tajikistan.hedging
    capacity, doctrine = russia.security_capacity, russia.doctrine
    state.threat[0, s] = threat / 2 + 0.01
    params.hedging[0, s] = hedging / 2 + 0.01
    state.capacity[0, k, SEC] = 2 * capacity + 1.0
    params.doctrine[0, k] = doctrine / 2 + 0.01
    assert tajikistan.threat == threat / 2 + 0.01 != threat
    assert tajikistan.hedging == hedging / 2 + 0.01 != hedging
    assert russia.security_capacity == 2 * capacity + 1.0 != capacity
    assert russia.doctrine == doctrine / 2 + 0.01 != doctrine

    # the guarantor and the memberships follow the arrays, not the seeds
    row = state.share[0, s, :, SEC]
    leader = int(np.argmax(row[:n_powers]))
    assert tajikistan.security_guarantor == model.dims.powers[leader]
    other = (leader + 1) % n_powers
    row[[leader, other]] = row[[other, leader]]
    assert tajikistan.security_guarantor == model.dims.powers[other]
    assert tajikistan.security_shares[model.dims.powers[other]] == float(row[other])
    csto = model.dims.organisations.index("csto")
    member = tajikistan.memberships["csto"]
    assert member == bool(state.membership[0, s, csto] > 0.5)
    state.membership[0, s, csto] = 0.0 if member else 1.0
    assert tajikistan.memberships["csto"] is not member


def test_runs_to_the_end_date_and_collects_series():
    """The model stops at its end date; the DataCollector has one row per step."""
    model = InfluenceModel(rng=3, start="2021-01-01", end="2023-01-01", step="quarter").run()
    assert model.steps == 8
    assert not model.running
    frame = model.datacollector.get_model_vars_dataframe()
    assert len(frame) == 9
    assert frame["date"].iloc[-1] == "2023-01-01"
    assert frame["russia_security_share"].between(0, 1).all()
    agents = model.datacollector.get_agenttype_vars_dataframe(CentralAsianState)
    assert len(agents) == 9 * 5
    total = sum(agents[f"security_share_{k}"] for k in model.dims.partners)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


def test_batch_run_with_two_seeds():
    """mesa.batch_run works over InfluenceModel's keyword arguments with two seeds."""
    results = mesa.batch_run(
        InfluenceModel,
        parameters={"coordination": [0.0, 1.0], "end": "2022-01-01"},
        rng=[1, 2],
        number_processes=1,
        display_progress=False,
    )
    frame = __import__("pandas").DataFrame(results)
    assert set(frame["coordination"]) == {0.0, 1.0}
    assert set(frame["rng"]) == {1, 2}
    finals = frame.groupby(["coordination", "rng"])["china_security_share"].first()
    assert len(finals) == 4
    # full coordination means more restraint by China in security
    assert finals[(1.0, 1)] < finals[(0.0, 1)]


def test_mesa_scenario_keyword_is_a_bundle_of_keyword_parameters():
    """scenario= takes Mesa's Scenario: its values are keywords, its rng the seed."""
    from mesa.experimental.scenarios import Scenario

    bundle = Scenario(rng=3, coordination=0.8, hedging={"turkmenistan": 0.9})
    model = InfluenceModel(scenario=bundle, end="2022-01-01").run()
    same = InfluenceModel(
        rng=3, coordination=0.8, hedging={"turkmenistan": 0.9}, end="2022-01-01"
    ).run()
    np.testing.assert_array_equal(model.regional_shares(), same.regional_shares())
    assert model.scenario is bundle and bundle.model is model
    with pytest.raises(TypeError, match="both in scenario= and as a keyword"):
        InfluenceModel(scenario=Scenario(rng=3, coordination=0.8), coordination=0.1)
    with pytest.raises(TypeError, match="did you mean 'coordination'"):
        InfluenceModel(scenario=Scenario(rng=3, cordination=0.8))
    with pytest.raises(ValueError, match=r"rng and scenario\.rng must be the same"):
        InfluenceModel(scenario=Scenario(rng=3), rng=4)


def test_a_scenario_file_given_as_scenario_keyword_points_to_from_scenario():
    """A loaded scenario file passed as scenario= says how to run it."""
    from pathlib import Path

    from influence_sim import load_scenario

    loaded = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    with pytest.raises(TypeError, match=r"InfluenceModel\.from_scenario"):
        InfluenceModel(scenario=loaded)


def test_unknown_keyword_names_the_closest():
    """A misspelt parameter is a TypeError that suggests the right name."""
    with pytest.raises(TypeError, match="did you mean 'coordination'"):
        InfluenceModel(cordination=1.0)


def test_entity_keywords_accept_numbers_and_mappings():
    """State and power parameters take one number for all or a mapping per entity."""
    dims = default_dims()
    out = keyword_overrides({"hedging": 0.5, "priority": {"russia": 0.9}}, dims)
    assert out["states.turkmenistan.hedging"] == 0.5
    assert out["powers.russia.priority"] == 0.9
    assert "powers.china.priority" not in out


def test_same_seed_same_run_other_seed_other_run():
    """The same seed reproduces a run exactly; another seed gives another run."""

    def final(seed: int) -> np.ndarray:
        return InfluenceModel(rng=seed, end="2024-01-01").run().batch.state.share.copy()

    np.testing.assert_array_equal(final(7), final(7))
    assert not np.array_equal(final(7), final(8))


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"coordination": 1.0, "hedging": {"turkmenistan": 0.2}},
        {"afghan_instability": 0.9, "offer_noise_sd": 0.3, "spillover_rate": 0.3},
    ],
)
def test_ensemble_equals_mesa_model_run_for_run(parameters):
    """For 20 seeds, the batched ensemble and InfluenceModel give the same series."""
    dims = default_dims()
    seeds = replicate_seeds(2024, 20)
    clock = Clock.between(
        __import__("datetime").date(2021, 1, 1), __import__("datetime").date(2026, 1, 1), "quarter"
    )
    overrides = keyword_overrides(parameters, dims)
    output = simulate_runs(dims, clock, seeds, overrides=overrides)
    for b, seq in enumerate(seeds):
        model = InfluenceModel(rng=seq, end="2026-01-01", **parameters)
        shares = [model.batch.state.share[0].copy()]
        trust = [float(model.batch.state.trust[0])]
        while model.running:
            model.step()
            shares.append(model.batch.state.share[0].copy())
            trust.append(float(model.batch.state.trust[0]))
        assert np.max(np.abs(np.stack(shares) - output.share[:, b])) <= 1e-12
        assert np.max(np.abs(np.array(trust) - output.trust[:, b])) <= 1e-12


def test_column_overrides_equal_run_by_run_overrides():
    """build_columns (vectorised, for sweeps) equals build with per-run mappings."""
    import datetime

    from influence_sim.initial import build, build_columns

    dims = default_dims()
    start = datetime.date(2021, 1, 1)
    values = np.array([0.1, 0.5, 0.9])
    hedging = np.array([0.2, 0.4, 0.6])
    per_run = [
        {"parameters.coordination": c, "states.*.hedging": h, "afghan_instability": 0.5}
        for c, h in zip(values, hedging, strict=True)
    ]
    s1, p1 = build(dims, start, per_run)
    s2, p2 = build_columns(
        dims,
        start,
        3,
        {"parameters.coordination": values, "states.*.hedging": hedging, "afghan_instability": 0.5},
    )
    for name in ("share", "threat", "arms_base", "trust"):
        np.testing.assert_array_equal(getattr(s1, name), getattr(s2, name))
    for name in ("coordination", "hedging", "residual"):
        np.testing.assert_array_equal(getattr(p1, name), getattr(p2, name))


def test_model_applies_the_dated_seed_changes_by_itself():
    """Without a scenario, Uzbekistan still leaves the CSTO on its seeded date (2012-12)."""
    model = InfluenceModel(rng=1, start="2010-01-01", end="2014-01-01")
    uzbekistan = model.states["uzbekistan"]
    assert uzbekistan.memberships["csto"] is True
    model.run()
    assert uzbekistan.memberships["csto"] is False
    # the US base at Manas closes on 2014-06-03, after this run's end: still present
    assert model.batch.state.presence[0, 1, 2] > 0


def test_agents_and_the_model_expose_the_v2_state():
    """GDP, the arms backlog, sanctions and coordination are visible on agents and the model."""
    from influence_sim import InfluenceModel

    model = InfluenceModel(rng=3)
    kz = model.states["kazakhstan"]
    gdp0 = kz.gdp_usd_bn
    assert gdp0 > 100.0
    assert set(kz.arms_backlog_usd_bn) == set(model.dims.partners)
    assert model.powers["russia"].sanctions == 0.0
    c0 = model.coordination
    for _ in range(8):
        model.step()
    assert kz.gdp_usd_bn > gdp0  # grows with its driver
    assert model.coordination != c0  # moves toward its target
    frame = model.datacollector.get_model_vars_dataframe()
    assert "china_russia_coordination" in frame.columns


def test_step_after_the_end_says_the_run_has_ended():
    """Stepping a finished run is refused in words, not with an index error from the arrays."""
    model = InfluenceModel(start="2021-01-01", end="2021-07-01", rng=1).run()
    assert not model.running and model.date.isoformat() == "2021-07-01"
    with pytest.raises(RuntimeError, match=r"the run ended on 2021-07-01 \(its end date\)"):
        model.step()
    assert model.date.isoformat() == "2021-07-01"


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({"powers": "china"}, r"powers: expected a list of names, not the text 'china'"),
        ({"states": "tajikistan"}, r"states: expected a list of names, not the text"),
        ({"powers": ["china", "china"]}, r"powers: 'china' is listed twice"),
        ({"powers": []}, r"powers: at least one power is needed"),
        ({"states": []}, r"states: at least one state is needed"),
        ({"states": ["tajikistan", "mongolia"]}, r"states: unknown state 'mongolia' \(expected"),
        (
            {"powers": ["china", "france"]},
            r"powers: unknown power 'france' \(expected one of china, russia, united_states",
        ),
    ],
)
def test_bad_states_or_powers_are_refused_clearly(keywords, message):
    """Names the seeds cannot start, repeated, missing or given as one text: a ValueError."""
    with pytest.raises(ValueError, match=message):
        InfluenceModel(rng=1, **keywords)


def test_a_new_power_with_its_values_is_accepted():
    """A power the seeds do not know runs when its values come as reference overrides."""
    scenario = load_scenario(SCENARIOS / "turkey_enters.yaml")
    model = InfluenceModel.from_scenario(scenario, rng=1)
    assert "turkey" in model.powers and model.powers["turkey"].economic_capacity > 0


def test_a_scenario_file_given_as_a_mesa_scenario_says_how_to_run_it():
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml")
    with pytest.raises(TypeError) as caught:
        InfluenceModel(scenario=scenario)
    assert str(caught.value) == (
        "InfluenceModel(scenario=...) takes a mesa.experimental.scenarios.Scenario, not "
        "influence_sim.scenario.compile.Scenario; a scenario file is run with "
        "InfluenceModel.from_scenario(influence_sim.load_scenario(path))"
    )
