"""The validated scenario: actors, overrides and the reference, immutability, schema, defaults."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pickle
from pathlib import Path

import numpy as np
import pydantic
import pytest
import yaml

from influence_sim import seeds as sd
from influence_sim.engine import RunBatch
from influence_sim.initial import build, reference_arrays, rescaling_report
from influence_sim.kernel.arrays import ECON, SEC
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import (
    METRICS,
    Scenario,
    ScenarioSpec,
    json_schema,
    load_scenario,
)
from influence_sim.scenario.spec import FrozenMap

ROOT = Path(__file__).resolve().parents[1]
HEAD = "name: t\ntime:\n  start: 2021-01-01\n  end: 2031-01-01\n  step: quarter\n"
TURKEY = (
    "    turkey: {economic_capacity: 0.013, security_capacity: 0.01, priority: 0.3, "
    "doctrine: 0.3, capacity_growth: 0.0, economic_share: 0.05, "
    "security_share: {turkmenistan: 0.05}}\n"
)
EU = (
    "    eu: {economic_capacity: 0.1, security_capacity: 0.05, priority: 0.1, doctrine: 0.2, "
    "capacity_growth: 0.01, economic_share: 0.2}\n"
)


def load(tmp_path: Path, body: str) -> Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return load_scenario(path)


def test_defaults(tmp_path):
    sc = load(tmp_path, "")
    assert (sc.seed, sc.replicates, sc.tags, sc.description) == (None, 1, (), "")
    assert sc.outputs.metrics == tuple(METRICS)
    assert sc.outputs.every == 1
    assert sc.dims == sd.default_dims()
    assert sc.clock().n_steps == 40
    assert sc.overrides() == {} and sc.reference_overrides() == {}
    assert rescaling_report(sc) == []


def test_parameters_and_actor_values_become_override_paths(tmp_path):
    sc = load(
        tmp_path,
        (
            "parameters:\n  coordination: 0.6\n  hedging: {turkmenistan: 0.95}\n"
            "  threat_exposure: 0.5\n  priority: {united_states: 0.4}\n  afghan_instability: 0.4\n"
            "actors:\n  powers:\n    russia: {doctrine: 0.8}\n"
            "  states:\n    tajikistan:\n      threat: 0.5\n      presence: {china: 0.6}\n"
            "      membership: {csto: false}\n"
        ),
    )
    expected = {
        "parameters.coordination": 0.6,
        "states.turkmenistan.hedging": 0.95,
        **{f"states.{s}.threat_exposure": 0.5 for s in sd.DEFAULT_STATES},
        "powers.united_states.priority": 0.4,
        "afghanistan.instability": 0.4,
        "powers.russia.doctrine": 0.8,
        "states.tajikistan.threat": 0.5,
        "states.tajikistan.presence.china": 0.6,
        "states.tajikistan.membership.csto": 0.0,
    }
    assert sc.overrides() == expected
    state, params = build(sc.dims, sc.start, sc.overrides())
    assert params.coordination[0] == 0.6
    assert state.membership[0, sd.DEFAULT_STATES.index("tajikistan"), 0] == 0.0


def test_added_powers_get_exactly_their_shares_and_are_reported(tmp_path):
    sc = load(tmp_path, "actors:\n  add_powers:\n" + TURKEY + EU)
    assert sc.dims.powers == ("china", "russia", "united_states", "turkey", "eu")
    ref = sc.reference_overrides()
    assert ref["powers.turkey.economic_capacity"] == 0.013
    assert ref["powers.eu.capacity_growth"] == 0.01
    state, _ = build(sc.dims, sc.start, None, ref)
    turkey, eu = sc.dims.powers.index("turkey"), sc.dims.powers.index("eu")
    np.testing.assert_allclose(state.share[0, :, turkey, ECON], 0.05)
    np.testing.assert_allclose(state.share[0, :, eu, ECON], 0.2)
    tm = sd.DEFAULT_STATES.index("turkmenistan")
    assert state.share[0, tm, turkey, SEC] == pytest.approx(0.05)
    np.testing.assert_allclose(state.share[0].sum(axis=1), 1.0)
    # the other partners are scaled down proportionally
    before, _ = reference_arrays(sd.default_dims(), sc.start)
    np.testing.assert_allclose(state.share[0, :, :3, ECON], before.share[0, :, :3, ECON] * 0.75)
    report = rescaling_report(sc)
    kz = sd.DEFAULT_STATES.index("kazakhstan")
    china_kz = before.share[0, kz, 0, ECON]
    assert report[0].startswith(
        "economic shares in kazakhstan: added turkey at 0.050, eu at 0.200; the other partners "
        f"scaled by 0.750: china {china_kz:.3f} -> {0.75 * china_kz:.3f}"
    )
    assert len([line for line in report if line.startswith("economic shares in ")]) == 5
    assert any(
        line.startswith(
            "security shares in turkmenistan: added turkey at 0.050, eu at "
            "0.000; the other partners scaled by 0.950"
        )
        for line in report
    )


def test_an_added_power_starts_on_its_share_and_its_offers_move_it(tmp_path):
    """A power without panel rows takes its residual from its starting share (the only evidence
    about it), so it starts at its target; a higher priority then moves its trade share up."""
    sc = load(tmp_path, "actors:\n  add_powers:\n" + TURKEY)
    turkey = sc.dims.powers.index("turkey")
    seeds = replicate_seeds(1, 1)
    quiet = {"parameters.offer_noise_sd": 0.0, "parameters.contract_lumpiness": 0.0}

    def turkey_share(priority: float) -> float:
        state, params = build(
            sc.dims,
            sc.start,
            [{**sc.overrides(), **quiet, "powers.turkey.priority": priority}],
            sc.reference_overrides(),
        )
        assert np.all(params.residual[0, :, turkey, ECON] != 0.0)
        batch = RunBatch(sc.dims, sc.clock(), state, params, sc.compile(seeds), seeds)
        for _ in range(8):
            batch.advance()
        return float(batch.state.share[0, :, turkey, ECON].mean())

    assert turkey_share(0.3) == pytest.approx(0.05, abs=0.015)
    assert turkey_share(1.0) > turkey_share(0.3) + 0.005


def test_removing_a_power(tmp_path):
    sc = load(tmp_path, "actors:\n  remove_powers: [united_states]\n")
    assert sc.dims.powers == ("china", "russia")
    report = rescaling_report(sc)
    assert report[0].startswith("economic shares in kazakhstan: removed united_states (it held ")
    assert "its share going to rest_of_world" in report[0]
    state, _ = build(sc.dims, sc.start, sc.overrides(), sc.reference_overrides())
    np.testing.assert_allclose(state.share[0].sum(axis=1), 1.0)


@pytest.mark.parametrize("removed", [["united_states"], ["russia"], ["china", "russia"]])
def test_a_removed_powers_starting_shares_go_to_rest_of_world(tmp_path, removed):
    """The partners left keep their shares; the removed ones' go to rest_of_world alone."""
    sc = load(tmp_path, f"actors:\n  remove_powers: [{', '.join(removed)}]\n")
    before, _ = reference_arrays(sd.default_dims(), sc.start)
    after, _ = reference_arrays(sc.dims, sc.start)
    old = {p: before.share[0, :, k] for k, p in enumerate(sd.default_dims().partners)}
    new = {p: after.share[0, :, k] for k, p in enumerate(sc.dims.partners)}
    for partner in sc.dims.powers:
        np.testing.assert_allclose(new[partner], old[partner], err_msg=partner)
    gained = sum(old[p] for p in removed)
    np.testing.assert_allclose(new["rest_of_world"], old["rest_of_world"] + gained)
    notes = rescaling_report(sc)
    its = "its share" if len(removed) == 1 else "their shares"
    assert all(f"{its} going to rest_of_world: rest_of_world " in note for note in notes)
    assert not any(f" {p} " in note for note in notes for p in sc.dims.powers)


def test_the_scenario_is_immutable_and_picklable():
    sc = load_scenario(ROOT / "scenarios" / "us_reengagement.yaml")
    with pytest.raises(dataclasses.FrozenInstanceError):
        sc.path = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        sc.spec.name = "other"  # type: ignore[misc]
    with pytest.raises(pydantic.ValidationError):
        sc.shocks[0].value = 1.0  # type: ignore[misc]
    assert isinstance(sc.shocks, tuple) and isinstance(sc.tags, tuple)
    assert isinstance(sc.spec.outputs.metrics, tuple)
    frozen = FrozenMap({"a": 1.0})
    with pytest.raises(TypeError):
        frozen["a"] = 2.0  # type: ignore[index]
    with pytest.raises(AttributeError):
        frozen._items = {}  # type: ignore[misc]
    assert isinstance(sc.spec.parameters, FrozenMap)
    copy = pickle.loads(pickle.dumps(sc))
    assert copy == sc
    assert hash(copy.spec) == hash(sc.spec)


def test_validating_data_directly_applies_the_same_checks():
    data = {
        "name": "x",
        "time": {"start": dt.date(2021, 1, 1), "end": "2022-01-01", "step": "month"},
        "actors": {
            "add_powers": {
                "turkey": {
                    "economic_capacity": 0.01,
                    "security_capacity": 0.01,
                    "priority": 0.1,
                    "doctrine": 0.1,
                    "capacity_growth": 0.0,
                }
            }
        },
        "shocks": [
            {
                "name": "a",
                "at": "2021-06-01",
                "target": "powers.turkey.priority",
                "op": "set",
                "value": 0.5,
            }
        ],
    }
    spec = ScenarioSpec.model_validate(data)
    assert spec.dims.powers[-1] == "turkey"
    data["shocks"][0]["at"] = "2023-06-01"
    with pytest.raises(pydantic.ValidationError) as info:
        ScenarioSpec.model_validate(data)
    assert "outside the run" in str(info.value)


def test_json_schema_describes_and_accepts_the_library():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["properties"]) >= {
        "name",
        "time",
        "actors",
        "parameters",
        "shocks",
        "outputs",
        "extends",
    }
    assert schema["required"] == ["name", "time"]
    assert "coordination" in schema["properties"]["parameters"]["properties"]
    json.dumps(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        errors = [
            e.message for e in validator.iter_errors(data) if "required" not in e.message
        ]  # files that extend others may omit time
        assert errors == [], path.name
    bad = {"name": "x", "time": {"start": "2021-01-01", "end": "2022-01-01", "step": "week"}}
    assert list(validator.iter_errors(bad))
