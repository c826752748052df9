"""simulate(): overrides checked as a scenario file checks them, named outcomes, the examples.

Also the Mesa model's keywords: a value outside its range raises instead of being clipped.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import influence_sim
from influence_sim import InfluenceModel, ScenarioError
from influence_sim.kernel.arrays import POWER_PARAMETERS, STATE_PARAMETERS
from influence_sim.model import KEYWORDS
from influence_sim.outcomes import outcome_names
from influence_sim.overrides import path_bounds
from influence_sim.rng import replicate_seeds
from influence_sim.seeds import DEFAULT_POWERS, DEFAULT_STATES, default_dims

ROOT = Path(__file__).resolve().parents[1]
TAKEOVER = ROOT / "scenarios" / "afghan_takeover.yaml"
ANALYSIS = ROOT / "docs" / "analysis.md"
DIMS = default_dims(DEFAULT_STATES, DEFAULT_POWERS)


def _outside(key: str) -> float:
    path = key
    if key in STATE_PARAMETERS:
        path = f"states.*.{key}"
    elif key in POWER_PARAMETERS:
        path = f"powers.*.{key}"
    low, high = path_bounds(path, DIMS)
    return high + 0.5 if high is not None else (low if low is not None else 0.0) - 0.5


# --------------------------------------------------------------------------- Mesa keywords


@pytest.mark.parametrize("key", KEYWORDS)
def test_every_mesa_keyword_outside_its_range_raises(key):
    """No keyword is clipped: InfluenceModel(coordination=1.7) used to run with 1.0."""
    value = _outside(key)
    with pytest.raises(ValueError, match=rf"^{key}={value:g} is out of range \(expected a number"):
        InfluenceModel(**{key: value})


def test_coordination_message_names_the_parameter_and_its_range():
    with pytest.raises(ValueError) as info:
        InfluenceModel(coordination=1.7)
    assert str(info.value) == "coordination=1.7 is out of range (expected a number from 0 to 1)"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"hedging": {"tajikistan": 2.0}}, r"hedging\['tajikistan'\]=2 is out of range"),
        ({"hedging": {"tajikstan": 0.5}}, r"unknown state 'tajikstan'.*did you mean 'tajikistan'"),
        ({"afghan_instability": math.nan}, r"afghan_instability=nan is not a finite number"),
        (
            {"overrides": {"relations.china.russia.coordination": 10**400}},
            r"=a 401-digit number is not a finite number \(expected a number from 0 to 1\)",
        ),
        ({"priority": {"china": -0.1}}, r"priority\['china'\]=-0.1 is out of range"),
        ({"overrides": {"relations.china.russia.trust": 1.2}}, r"trust'\]=1.2 is out of range"),
        ({"overrides": {"states.tajikistan.hedgin": 0.5}}, r"did you mean 'hedging'"),
        # text was read as a number, where a scenario file refuses it
        ({"coordination": "0.5"}, r"^coordination='0.5' is text, not a number \(expected a"),
        ({"hedging": {"tajikistan": "1"}}, r"^hedging\['tajikistan'\]='1' is text, not a number"),
        # reference overrides were not checked: NaN ran into every share
        (
            {"reference_overrides": {"parameters.coordination": math.nan}},
            r"^reference_overrides\['parameters.coordination'\]=nan is not a finite number",
        ),
        (
            {"reference_overrides": {"foo.bar": 1.0}},
            r"^reference_overrides\['foo.bar'\]: unknown section 'foo'",
        ),
        ({"start": "2021-13-01"}, r"^start: '2021-13-01' is not a date \(expected a date or ISO"),
    ],
)
def test_bad_mesa_values_raise_value_error(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        InfluenceModel(**kwargs)


@pytest.mark.parametrize(
    ("call", "pattern"),
    [
        (lambda: InfluenceModel(end=2031), r"^end: 2031 is not a date \(expected a date or ISO"),
        (
            lambda: InfluenceModel(overrides=[("parameters.coordination", 0.5)]),
            r"^overrides must be a mapping of dotted path to value, not list$",
        ),
        (
            lambda: InfluenceModel(reference_overrides="powers.turkey.priority"),
            r"^reference_overrides must be a mapping of dotted path to value, not str$",
        ),
        (
            lambda: influence_sim.simulate(TAKEOVER, [("coordination", 0.5)], replicates=1),
            r"^overrides must be a mapping of dotted path to value, not list$",
        ),
        (
            lambda: InfluenceModel(timeline={}),
            r"^timeline: expected a Timeline \(Scenario\.compile\(seeds\) makes one\) or None",
        ),
        (
            lambda: influence_sim.run(TAKEOVER, replicates=1, posterior=1),
            r"^posterior: expected a path \(text or os\.PathLike\), True, False or None, not int$",
        ),
    ],
)
def test_arguments_of_the_wrong_type_raise_type_error(call, pattern):
    """They used to fail deep inside with an AttributeError or a TypeError of datetime."""
    with pytest.raises(TypeError, match=pattern):
        call()


def test_values_at_the_ends_of_their_ranges_are_kept():
    model = InfluenceModel(rng=1, coordination=1.0, hedging={"tajikistan": 0.0})
    assert float(model.batch.params.coordination[0]) == 1.0
    assert float(model.batch.params.hedging[0, DIMS.states.index("tajikistan")]) == 0.0


# --------------------------------------------------------------------------- overrides


def _file_problem(tmp_path: Path, body: str):
    child = tmp_path / "child.yaml"
    child.write_text(f"name: child\nextends: {TAKEOVER}\n{body}", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        influence_sim.load_scenario(child)
    (problem,) = info.value.problems
    return problem


def _override_problem(overrides):
    with pytest.raises(ScenarioError) as info:
        influence_sim.simulate(TAKEOVER, overrides, replicates=1)
    (problem,) = info.value.problems
    return problem


@pytest.mark.parametrize(
    ("overrides", "body"),
    [
        ({"parameters.coordination": 1.7}, "parameters:\n  coordination: 1.7\n"),
        ({"coordination": 1.7}, "parameters:\n  coordination: 1.7\n"),
        ({"states.tajikistan.hedging": 1.5}, "parameters:\n  hedging:\n    tajikistan: 1.5\n"),
        ({"states.*.hedging": -1}, "parameters:\n  hedging: -1\n"),
        ({"powers.china.doctrine": "high"}, "parameters:\n  doctrine:\n    china: high\n"),
        (
            {"states.kazakhstan.security_share.china": 1.5},
            "actors:\n  states:\n    kazakhstan:\n      security_share:\n        china: 1.5\n",
        ),
        ({"afghanistan.instability": 2}, "parameters:\n  afghan_instability: 2\n"),
    ],
)
def test_override_errors_are_those_of_a_scenario_file(tmp_path, overrides, body):
    """The same path, message and expectation as a file that extends the scenario."""
    from_file = _file_problem(tmp_path, body)
    from_api = _override_problem(overrides)
    assert from_api.file == "overrides"
    assert (from_api.path, from_api.message, from_api.expected) == (
        from_file.path,
        from_file.message,
        from_file.expected,
    )


def test_override_with_an_unknown_path_suggests_the_closest():
    problem = _override_problem({"states.tajikstan.hedging": 0.5})
    assert problem.format().startswith("overrides: states.tajikstan.hedging: unknown state")
    assert "did you mean 'tajikistan'?" in problem.format()


def test_paths_a_scenario_file_cannot_write_are_checked_against_their_range():
    problem = _override_problem({"relations.china.russia.coordination": 3})
    assert problem.format() == (
        "overrides: relations.china.russia.coordination: 3 is out of range "
        "(expected a number from 0 to 1)"
    )


def test_simulate_equals_a_file_that_extends_the_scenario(tmp_path):
    child = tmp_path / "child.yaml"
    child.write_text(
        f"name: child\nextends: {TAKEOVER}\n"
        "parameters:\n  coordination: 0.3\n  hedging:\n    tajikistan: 0.8\n",
        encoding="utf-8",
    )
    outputs = ["final.*_share.region.*", "final.security_guarantor.*", "final.trust"]
    from_file = influence_sim.simulate(child, seed=3, replicates=2, outputs=outputs)
    from_api = influence_sim.simulate(
        TAKEOVER,
        {"parameters.coordination": 0.3, "states.tajikistan.hedging": 0.8},
        seed=3,
        replicates=2,
        outputs=outputs,
    )
    pd.testing.assert_frame_equal(from_api, from_file)
    unchanged = influence_sim.simulate(TAKEOVER, seed=3, replicates=2, outputs=outputs)
    assert not from_api.equals(unchanged)


def test_per_state_override_keeps_an_inherited_number_for_the_other_states(tmp_path):
    parent = tmp_path / "parent.yaml"
    parent.write_text(
        f"name: parent\nextends: {TAKEOVER}\nparameters:\n  hedging: 0.2\n", encoding="utf-8"
    )
    scenario, direct = influence_sim.overrides.scenario_with_overrides(
        parent, {"states.tajikistan.hedging": 0.9}
    )
    assert direct == {}
    got = scenario.overrides()
    assert got["states.tajikistan.hedging"] == 0.9
    assert got["states.kazakhstan.hedging"] == 0.2


def test_direct_paths_change_the_run():
    outputs = ["final.security_share.region.china"]
    low = influence_sim.simulate(
        TAKEOVER,
        {"relations.china.russia.coordination": 0.0},
        seed=2,
        replicates=1,
        outputs=outputs,
    )
    high = influence_sim.simulate(
        TAKEOVER,
        {"relations.china.russia.coordination": 1.0},
        seed=2,
        replicates=1,
        outputs=outputs,
    )
    assert not np.allclose(low.to_numpy(), high.to_numpy())


def test_from_scenario_takes_the_same_overrides():
    overrides = {"parameters.coordination": 0.3, "states.tajikistan.hedging": 0.8}
    out = influence_sim.simulate(TAKEOVER, overrides, seed=4, replicates=2)
    china = out["final.economic_share.region.china"].to_numpy()
    scenario = influence_sim.load_scenario(TAKEOVER)
    model = InfluenceModel.from_scenario(
        scenario, rng=replicate_seeds(4, 2)[1], overrides=overrides
    ).run()
    np.testing.assert_allclose(model.regional_shares()[DIMS.partners.index("china"), 0], china[1])
    with pytest.raises(ScenarioError, match=r"overrides: parameters\.coordination: 1\.7"):
        InfluenceModel.from_scenario(scenario, overrides={"coordination": 1.7})


def test_simulate_docstring_example(monkeypatch):
    import doctest

    import influence_sim.api

    monkeypatch.chdir(ROOT)
    assert doctest.testmod(influence_sim.api).failed == 0


# --------------------------------------------------------------------------- outcomes


def test_outcomes_agree_with_the_results_of_run():
    out = influence_sim.simulate(TAKEOVER, seed=5, replicates=3)
    results = influence_sim.run(TAKEOVER, seed=5, replicates=3, every=1)
    assert list(out.columns) == outcome_names(DIMS)
    assert list(out.index) == [0, 1, 2]
    reg = results.regional
    last = reg[(reg["step"] == reg["step"].max()) & (reg["domain"] == "security")]
    china = last[last["partner"] == "china"].sort_values("replicate")["share"].to_numpy()
    np.testing.assert_allclose(out["final.security_share.region.china"], china)
    states = results.states
    end = states[(states["step"] == states["step"].max()) & (states["state"] == "tajikistan")]
    guarantors = end.sort_values("replicate")["security_guarantor"].to_list()
    assert out["final.security_guarantor.tajikistan"].to_list() == guarantors
    assert out["final.guarantor.tajikistan.china"].to_list() == [
        1.0 if g == "china" else 0.0 for g in guarantors
    ]


def test_outcome_names_are_the_sweep_metric_names(tmp_path):
    from influence_sim.sweep import load_sweep, run_sweep

    sweep_file = tmp_path / "tiny.yaml"
    sweep_file.write_text(
        f"name: tiny\nscenario: {TAKEOVER}\nseed: 1\nreplicates: 1\n"
        "vary:\n  parameters.coordination: [0.2, 0.8]\n"
        "design: {kind: grid}\nkeep: {final: all, timeseries: false}\n",
        encoding="utf-8",
    )
    run_sweep(sweep_file, tmp_path / "out", workers=1)
    metrics = load_sweep(tmp_path / "out").metrics
    ours = [n for n in outcome_names(DIMS) if not n.startswith("final.guarantor.")]
    assert sorted(ours) == sorted(metrics)


def test_an_output_that_is_not_text_is_a_type_error():
    """outputs=5 failed with "'int' object is not iterable"."""
    for outputs, shown in ((5, "5"), (["final.trust", 3], "3")):
        message = rf"^outputs: expected names or patterns \(text\), not {shown}$"
        with pytest.raises(TypeError, match=message):
            influence_sim.simulate(TAKEOVER, replicates=1, outputs=outputs)
    names = (n for n in ["final.trust", "final.afghan_instability"])  # any iterable, read once
    assert list(influence_sim.simulate(TAKEOVER, replicates=1, seed=1, outputs=names)) == [
        "final.trust",
        "final.afghan_instability",
    ]


@pytest.mark.parametrize("outputs", [[], (), iter([])])
def test_no_outputs_are_refused(outputs):
    """outputs=[] returned a table with no columns and no replicate index."""
    message = r"^outputs: no outcome asked for \(expected at least one name or pattern; None for"
    with pytest.raises(ValueError, match=message):
        influence_sim.simulate(TAKEOVER, replicates=1, outputs=outputs)


def test_unknown_output_suggests_the_closest_name():
    with pytest.raises(ValueError, match=r"did you mean 'final.security_share.region.china'"):
        influence_sim.simulate(
            TAKEOVER, replicates=1, outputs=["final.security_share.regoin.china"]
        )


# --------------------------------------------------------------------------- documented examples


def _example(name: str) -> str:
    text = ANALYSIS.read_text(encoding="utf-8")
    found = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", text, re.S)
    assert found, f"docs/analysis.md has no example {name!r}"
    return found.group(1)


def _run_example(name: str, monkeypatch) -> dict:
    monkeypatch.chdir(ROOT)
    namespace: dict = {"__name__": "__main__"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(_example(name), f"docs/analysis.md ({name})", "exec"), namespace)
    return namespace


@pytest.mark.skipif(
    importlib.util.find_spec("ema_workbench") is None and not os.environ.get("CI"),
    reason="ema_workbench is not installed (pip install 'influence-sim[ema]'); CI has it",
)
def test_ema_workbench_example_runs_twenty_experiments(monkeypatch, capsys):
    namespace = _run_example("ema", monkeypatch)
    experiments, outcomes = namespace["experiments"], namespace["outcomes"]
    assert len(experiments) == 20
    assert set(outcomes) == set(namespace["OUTCOMES"])
    for values in outcomes.values():
        assert len(values) == 20 and np.isfinite(values).all()
    share = outcomes["china_security_share"]
    assert ((share > 0) & (share < 1)).all()
    assert "china_security_share" in capsys.readouterr().out


def test_salib_example_computes_sobol_indices(monkeypatch):
    namespace = _run_example("salib", monkeypatch)
    assert namespace["Y"].shape == (8 * (3 + 2),)
    assert np.isfinite(namespace["Y"]).all()
    assert np.isfinite(namespace["indices"]["ST"]).all()


def test_simulate_refuses_runs_that_produce_nan_as_run_does():
    """A parameter value the model cannot compute is an error, not a row of NaN outcomes."""
    from influence_sim.ensemble import NonFiniteError

    with pytest.raises(NonFiniteError, match="replicate"):
        influence_sim.simulate(
            TAKEOVER,
            overrides={"parameters.offer_sensitivity": 1e6},
            seed=1,
            replicates=1,
            posterior=False,
        )
