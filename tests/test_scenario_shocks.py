"""What shocks do when a run steps: dates, operations, pulses, probabilities, triggers, draws."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from influence_sim.engine import RunBatch
from influence_sim.initial import build, default_dims
from influence_sim.kernel.arrays import GLOBAL_PARAMETERS
from influence_sim.paths import POWER_FIELDS, START_ONLY, STATE_FIELDS, resolve
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import Scenario, ScenarioError, load_scenario
from influence_sim.scenario.compile import PULSE_CUTOFF, pulse_factors
from influence_sim.timeline import Timeline

ROOT = Path(__file__).resolve().parents[1]
HEAD = "name: t\ntime:\n  start: 2021-01-01\n  end: 2024-01-01\n  step: {step}\n"


def scenario(tmp_path: Path, shocks: str, step: str = "quarter", extra: str = "") -> Scenario:
    path = tmp_path / "s.yaml"
    path.write_text(HEAD.format(step=step) + extra + "shocks:\n" + shocks, encoding="utf-8")
    return load_scenario(path)


def batch_of(sc: Scenario, n_runs: int = 1, seed: int = 1, timeline: Timeline | None = None):
    seeds = replicate_seeds(seed, n_runs)
    state, params = build(sc.dims, sc.start, [sc.overrides()] * n_runs, sc.reference_overrides())
    tl = sc.compile(seeds) if timeline is None else timeline
    return RunBatch(sc.dims, sc.clock(), state, params, tl, seeds)


def path_values(
    sc: Scenario, path: str, n_runs: int = 1, seed: int = 1, timeline: Timeline | None = None
) -> np.ndarray:
    """``(steps + 1, runs)`` values of ``path`` (its first target) at every recorded step."""
    batch = batch_of(sc, n_runs, seed, timeline)
    target = resolve(path, sc.dims)[0]
    out = [target.get(batch.state, batch.params)]
    for _ in range(sc.clock().n_steps):
        batch.advance()
        out.append(target.get(batch.state, batch.params))
    return np.array(out)


def one_shock(
    op: str,
    value: str,
    when: str = "at: 2022-02-10",
    target: str = "parameters.coordination",
    more: str = "",
) -> str:
    return (
        f"  - name: x\n    {when}\n    target: {target}\n    op: {op}\n    value: {value}\n{more}"
    )


@pytest.mark.parametrize(
    ("op", "value", "after"), [("set", "0.8", 0.8), ("add", "0.1", 0.6), ("scale", "0.5", 0.25)]
)
def test_set_add_scale_act_at_their_date_and_not_before(tmp_path, op, value, after):
    sc = scenario(tmp_path, one_shock(op, value))
    # 2022-02-10 falls between the steps of 2022-01-01 (4) and 2022-04-01 (5)
    assert sc.clock().step_of(dt.date(2022, 2, 10)) == 5
    values = path_values(sc, "parameters.coordination")[:, 0]
    np.testing.assert_allclose(values[:5], 0.5)
    np.testing.assert_allclose(values[5:], after)


def test_a_shock_on_a_step_date_acts_at_that_step_and_at_the_start_on_the_initial_state(tmp_path):
    sc = scenario(
        tmp_path,
        one_shock("set", "0.8", "at: 2022-01-01")
        + one_shock("set", "0.7", "at: 2021-01-01", "afghanistan.instability").replace(
            "name: x", "name: y"
        ),
    )
    coordination = path_values(sc, "parameters.coordination")[:, 0]
    np.testing.assert_allclose(coordination[:4], 0.5)
    np.testing.assert_allclose(coordination[4:], 0.8)
    np.testing.assert_allclose(path_values(sc, "afghanistan.instability")[:, 0], 0.7)


def test_scale_of_a_capacity_against_the_unshocked_run(tmp_path):
    sc = scenario(tmp_path, one_shock("scale", "0.7", target="powers.russia.economic_capacity"))
    shocked = path_values(sc, "powers.russia.economic_capacity")[:, 0]
    plain = path_values(sc, "powers.russia.economic_capacity", timeline=Timeline())[:, 0]
    np.testing.assert_allclose(shocked[:5], plain[:5], rtol=1e-12)
    # the step after the cut grows both by nearly the same factor (shares barely differ yet)
    np.testing.assert_allclose(shocked[5] / plain[5], 0.7, rtol=1e-4)


def test_ramp_moves_in_equal_steps_and_reaches_its_value_at_the_end(tmp_path):
    sc = scenario(tmp_path, one_shock("ramp", "0.9", "between: [2022-01-01, 2023-01-01]"))
    values = path_values(sc, "parameters.coordination")[:, 0]
    np.testing.assert_allclose(values[:5], 0.5)
    np.testing.assert_allclose(values[5:9], [0.6, 0.7, 0.8, 0.9])
    np.testing.assert_allclose(values[9:], 0.9)


@pytest.mark.parametrize(
    ("step", "half_life", "steps_per_half_life"),
    [("quarter", "1", 4), ("month", "6 months", 6), ("quarter", "0.5", 2)],
)
def test_pulse_decays_at_its_half_life(tmp_path, step, half_life, steps_per_half_life):
    sc = scenario(
        tmp_path,
        one_shock(
            "pulse",
            "0.4",
            "at: 2022-01-01",
            "afghanistan.instability",
            f"    half_life: {half_life}\n",
        ),
        step=step,
    )
    k0 = sc.clock().step_of(dt.date(2022, 1, 1))
    excess = path_values(sc, "afghanistan.instability")[:, 0] - 0.3
    np.testing.assert_allclose(excess[:k0], 0.0, atol=1e-15)
    for halvings in range(4):
        k = k0 + halvings * steps_per_half_life
        if k < len(excess):
            np.testing.assert_allclose(excess[k], 0.4 * 0.5**halvings, rtol=1e-9)


def test_pulse_returns_exactly_to_where_it_was_once_negligible():
    factors = pulse_factors(0.25, 0.25, 400)
    assert factors[0] == 1.0
    assert sum(factors) == pytest.approx(0.0, abs=1e-15)
    left = np.cumsum(factors)
    assert left[-2] >= PULSE_CUTOFF
    assert len(factors) < 400
    assert len(pulse_factors(10.0, 0.25, 8)) == 9  # cut at the end of the run


def instability_pulse(value: str, name: str = "x") -> str:
    """A pulse on Afghan instability at step 4 (2022-01-01), with a half-life of a month.

    Three halvings a quarter: less than a millionth is left, and the rest removed, at step 11.
    """
    return one_shock(
        "pulse", value, "at: 2022-01-01", "afghanistan.instability", "    half_life: 1 month\n"
    ).replace("name: x", f"name: {name}")


PULSE_AT_09 = one_shock("set", "0.9", "at: 2021-01-01", "afghanistan.instability").replace(
    "name: x", "name: y"
) + instability_pulse("0.3")


def test_a_pulse_clipped_at_the_upper_bound_decays_back_to_where_it_started(tmp_path):
    sc = scenario(tmp_path, PULSE_AT_09)
    values = path_values(sc, "afghanistan.instability")[:, 0]
    np.testing.assert_allclose(values[:4], 0.9)
    assert values[4] == 1.0  # 0.9 + 0.3, clipped: the pulse adds 0.1
    # its decay removes that 0.1 (eight halvings a quarter), not the 0.3 it asked for
    np.testing.assert_allclose(values[5:8] - 0.9, 0.1 * 0.5 ** (3.0 * np.arange(1, 4)), rtol=1e-9)
    np.testing.assert_allclose(values[11:], 0.9, atol=1e-15)


def test_a_negative_pulse_clipped_at_the_lower_bound_decays_back_to_where_it_started(tmp_path):
    values = path_values(scenario(tmp_path, instability_pulse("-0.5")), "afghanistan.instability")
    values = values[:, 0]
    np.testing.assert_allclose(values[:4], 0.3)
    assert values[4] == 0.0  # 0.3 - 0.5, clipped: the pulse takes off 0.3
    np.testing.assert_allclose(values[5] - 0.3, -0.3 * 0.5**3, rtol=1e-9)
    np.testing.assert_allclose(values[11:], 0.3, atol=1e-15)


def test_a_triggered_pulse_clipped_at_its_bound_decays_back_to_where_it_started(tmp_path):
    shocks = (
        one_shock("set", "0.9", "at: 2021-07-01", "afghanistan.instability").replace(
            "name: x", "name: y"
        )
        + "  - name: trig\n    target: afghanistan.instability\n    op: pulse\n    value: 0.3\n"
        "    half_life: 1 month\n    when: {watch: afghanistan.instability, above: 0.5}\n"
    )
    values = path_values(scenario(tmp_path, shocks), "afghanistan.instability")[:, 0]
    np.testing.assert_allclose(values[:2], 0.3)
    assert values[2] == 1.0  # fires at the step of the set, after it
    np.testing.assert_allclose(values[3] - 0.9, 0.1 * 0.5**3, rtol=1e-9)
    np.testing.assert_allclose(values[9:], 0.9, atol=1e-15)


def test_a_pulse_clipped_in_one_run_of_a_batch_and_not_in_another(tmp_path):
    sc = scenario(tmp_path, instability_pulse("0.3"))
    seeds = replicate_seeds(1, 3)
    starts = [{"afghan_instability": x} for x in (0.5, 0.9, 1.0)]
    state, params = build(sc.dims, sc.start, starts, sc.reference_overrides())
    timeline = sc.compile(seeds)
    batch = RunBatch(sc.dims, sc.clock(), state, params, timeline, seeds)
    values = [batch.state.instability.copy()]
    for _ in range(sc.clock().n_steps):
        batch.advance()
        values.append(batch.state.instability.copy())
    out = np.array(values)
    np.testing.assert_allclose(out[4], [0.8, 1.0, 1.0])
    # the run that is not clipped decays as before: the whole 0.3, by the same adds
    expected = [0.5]
    for k in range(4, sc.clock().n_steps + 1):
        expected.append(expected[-1] + sum(op.values[0] for op in timeline.operations.get(k, [])))
    np.testing.assert_array_equal(out[4:, 0], expected[1:])
    np.testing.assert_allclose(out[5, 1:] - [0.9, 1.0], [0.1 * 0.5**3, 0.0], rtol=1e-9)
    np.testing.assert_allclose(out[11:], [[0.5, 0.9, 1.0]] * 2, atol=1e-15)


def test_a_clipped_pulse_removes_only_what_it_added_when_another_shock_moves_the_target(
    tmp_path,
):
    later = one_shock("add", "-0.5", "at: 2022-04-01", "afghanistan.instability").replace(
        "name: x", "name: z"
    )
    values = path_values(scenario(tmp_path, PULSE_AT_09 + later), "afghanistan.instability")[:, 0]
    # 1.0 at the pulse, 0.5 lower a step later; the decay still removes only its 0.1
    np.testing.assert_allclose(values[5], 0.4 + 0.1 * 0.5**3, rtol=1e-9)
    np.testing.assert_allclose(values[11:], 0.4, atol=1e-15)


def test_probability_holds_over_many_replicates(tmp_path):
    sc = scenario(tmp_path, one_shock("set", "0.8", more="    probability: 0.3\n"))
    n = 4000
    timeline = sc.compile(replicate_seeds(11, n))
    mask = timeline.operations[5][0].mask
    # binomial(4000, 0.3): mean 1200, standard deviation about 29
    assert abs(int(mask.sum()) - 1200) < 5 * 29
    values = path_values(sc, "parameters.coordination", n_runs=50, seed=11)
    happened = timeline.take(slice(0, 50)).operations[5][0].mask
    np.testing.assert_allclose(values[-1][happened], 0.8)
    np.testing.assert_allclose(values[-1][~happened], 0.5)


@pytest.mark.parametrize(("probability", "expected"), [("0", 0), ("1", 300)])
def test_probability_zero_and_one(tmp_path, probability, expected):
    sc = scenario(tmp_path, one_shock("set", "0.8", more=f"    probability: {probability}\n"))
    assert sc.compile(replicate_seeds(2, 300)).operations[5][0].mask.sum() == expected


def test_triggered_event_fires_when_its_condition_first_holds_and_only_once(tmp_path):
    shocks = (
        one_shock("ramp", "0.9", "between: [2022-01-01, 2023-01-01]")
        + "  - name: trig\n    target: afghanistan.instability\n    op: set\n    value: 0.8\n"
        "    when: {watch: parameters.coordination, above: 0.75}\n"
        + one_shock("set", "0.1", "at: 2023-07-01", "afghanistan.instability").replace(
            "name: x", "name: later"
        )
    )
    sc = scenario(tmp_path, shocks)
    instability = path_values(sc, "afghanistan.instability")[:, 0]
    # coordination is 0.6, 0.7, 0.8 at steps 5, 6, 7: the condition first holds at step 7
    np.testing.assert_allclose(instability[:7], 0.3)
    np.testing.assert_allclose(instability[7:10], 0.8)
    # set back at step 10; the condition still holds but the event does not fire again
    np.testing.assert_allclose(instability[10:], 0.1)


def test_triggered_event_respects_its_window_and_probability(tmp_path):
    trig = (
        "  - name: trig\n    target: afghanistan.instability\n    op: add\n    value: 0.2\n"
        "    when: {watch: parameters.coordination, below: 0.6}\n"
    )
    early = scenario(
        tmp_path, trig.replace("    when", "    between: [2022-01-01, 2022-07-01]\n    when")
    )
    values = path_values(early, "afghanistan.instability")[:, 0]
    np.testing.assert_allclose(values[:4], 0.3)
    np.testing.assert_allclose(values[4:], 0.5)
    late = scenario(tmp_path, trig.replace("    when", "    at: 2023-01-01\n    when"))
    values = path_values(late, "afghanistan.instability")[:, 0]
    np.testing.assert_allclose(values[:8], 0.3)
    np.testing.assert_allclose(values[8:], 0.5)
    never = scenario(tmp_path, trig.replace("    when", "    probability: 0\n    when"))
    np.testing.assert_allclose(path_values(never, "afghanistan.instability"), 0.3)


def test_triggered_pulse_decays_from_the_step_it_fires(tmp_path):
    shocks = (
        one_shock("set", "0.4", "at: 2021-10-01")
        + "  - name: trig\n    target: afghanistan.instability\n    op: pulse\n    value: 0.4\n"
        "    half_life: 1 year\n    when: {watch: parameters.coordination, below: 0.45}\n"
    )
    excess = path_values(scenario(tmp_path, shocks), "afghanistan.instability")[:, 0] - 0.3
    np.testing.assert_allclose(excess[:3], 0.0, atol=1e-15)
    np.testing.assert_allclose(excess[[3, 7, 11]], [0.4, 0.2, 0.1], rtol=1e-9)


def test_condition_on_the_state_in_the_library_scenario():
    sc = load_scenario(ROOT / "scenarios" / "china_security_push.yaml")
    seeds = replicate_seeds(5, 2)
    state, params = build(sc.dims, sc.start, [sc.overrides()] * 2, sc.reference_overrides())
    batch = RunBatch(sc.dims, sc.clock(), state, params, sc.compile(seeds), seeds)
    china, sec = sc.dims.powers.index("china"), 1
    fired_at = [None, None]
    for k in range(1, sc.clock().n_steps + 1):
        before = batch.state.share[:, :, china, sec].max(axis=1)
        weight_before = batch.params.competition_weight.copy()
        batch.advance()
        for b in range(2):
            if fired_at[b] is None and before[b] > 0.5:
                fired_at[b] = k
                assert batch.params.competition_weight[b] == pytest.approx(2.0 * weight_before[b])
            elif fired_at[b] is None:
                assert batch.params.competition_weight[b] == weight_before[b]
    assert all(k is not None for k in fired_at), "the pushback should fire within the run"


def test_same_seed_same_draws_and_batch_independence(tmp_path):
    shocks = one_shock("set", "{distribution: normal, mean: 0.5, sd: 0.1}") + one_shock(
        "add", "{distribution: uniform, low: 0.0, high: 0.1}", "at: 2022-06-01", "states.*.hedging"
    ).replace("name: x", "name: y")
    sc = scenario(tmp_path, shocks)

    def drawn(seeds):
        tl = sc.compile(seeds)
        return np.array([ops[0].values for _, ops in sorted(tl.operations.items())])

    seeds = replicate_seeds(42, 3)
    np.testing.assert_array_equal(drawn(seeds), drawn(replicate_seeds(42, 3)))
    np.testing.assert_array_equal(drawn(seeds)[:, 1], drawn([seeds[1]])[:, 0])
    assert not np.array_equal(drawn(seeds), drawn(replicate_seeds(43, 3)))
    assert len(set(drawn(seeds)[0])) == 3
    # one draw per wildcard shock: every state gets the same addition
    tl = sc.compile(seeds)
    added = [op.values for op in tl.operations[sc.clock().step_of(dt.date(2022, 6, 1))]]
    assert len(added) == 5
    for values in added:
        np.testing.assert_array_equal(values, added[0])
    assert np.all((added[0] >= 0.0) & (added[0] <= 0.1))


def test_draws_do_not_depend_on_later_shocks_or_on_whether_earlier_ones_happen(tmp_path):
    first = one_shock("set", "{distribution: normal, mean: 0.5, sd: 0.1}")
    second = one_shock(
        "set",
        "{distribution: choice, values: [0.1, 0.2, 0.3]}",
        "at: 2022-06-01",
        "afghanistan.instability",
    ).replace("name: x", "name: y")
    seeds = replicate_seeds(9, 20)
    alone = scenario(tmp_path, first).compile(seeds).operations[5][0].values
    both = scenario(tmp_path, first + second).compile(seeds)
    np.testing.assert_array_equal(both.operations[5][0].values, alone)
    assert set(both.operations[6][0].values) <= {0.1, 0.2, 0.3}
    skipped = scenario(tmp_path, first + "    probability: 0\n" + second).compile(seeds)
    np.testing.assert_array_equal(skipped.operations[6][0].values, both.operations[6][0].values)
    assert not skipped.operations[5][0].mask.any()


def test_dated_seed_changes_are_applied_and_named_after_their_source():
    sc = load_scenario(ROOT / "scenarios" / "hindcast_2000.yaml")
    changes = {c.name: c for c in sc.dated_changes()}
    suspension = changes["seeds/memberships.csv: uzbekistan leaves csto"]
    assert suspension.date == dt.date(2012, 12, 19)
    assert suspension.path == "states.uzbekistan.membership.csto"
    assert "seeds/presence.csv: united_states presence in kyrgyzstan ends" in changes
    assert "seeds/memberships.csv: kazakhstan joins sco" in changes
    k = sc.clock().step_of(suspension.date)
    membership = path_values(sc, "states.uzbekistan.membership.csto")[:, 0]
    np.testing.assert_array_equal(membership[:k], 1.0)
    np.testing.assert_array_equal(membership[k:], 0.0)
    names = [op.name for op in sc.compile(replicate_seeds(1, 1)).operations[k]]
    assert "seeds/memberships.csv: uzbekistan leaves csto" in names


def test_a_shock_can_override_a_dated_seed_change(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: keep_manas\ntime: {start: 2010-01-01, end: 2016-01-01, step: quarter}\n"
        "shocks:\n  - name: stay\n    at: 2014-06-03\n"
        "    target: states.kyrgyzstan.presence.united_states\n    op: set\n    value: 0.5\n"
    )
    sc = load_scenario(path)
    presence = path_values(sc, "states.kyrgyzstan.presence.united_states")[:, 0]
    np.testing.assert_allclose(presence, 0.5)


# A setting in which the terms that act only under a condition do act: Russia under sanctions (the
# sanctions, diversion and dependence terms), China's arms share above what Russia accepts (trust
# erosion and overreach), and threat away from its steady level (its half-life).
ACTIVE = "parameters: {trust_tolerance: 0, tolerance_leverage_weight: 0}\n"
ACTIVE_SHOCKS = (
    "  - {name: sanctions, at: 2021-01-01, target: powers.russia.sanctions, op: set, value: 0.6}\n"
    "  - {name: unrest, at: 2021-01-01, target: afghanistan.instability, op: set, value: 0.9}\n"
)
PER_ENTITY = {
    "economic_share": "china",
    "security_share": "china",
    "presence": "china",
    "credibility": "china",
    "infrastructure": "china",
    "membership": "csto",
}


def every_shock_path() -> list[str]:
    """One concrete path of every kind a shock names: parameters, state and power fields, ..."""
    paths = [f"parameters.{name}" for name in GLOBAL_PARAMETERS]
    for field in STATE_FIELDS:
        tail = f".{PER_ENTITY[field]}" if field in PER_ENTITY else ""
        paths.append(f"states.kazakhstan.{field}{tail}")
    paths += [f"powers.russia.{field}" for field in POWER_FIELDS]
    relations = [f"relations.china.russia.{field}" for field in ("trust", "coordination")]
    return [*paths, *relations, "afghanistan.instability"]


def other_value(path: str) -> float:
    """A value of ``path`` in its range, well away from its starting value."""
    slot = resolve(path, default_dims())[0]
    state, params = build(default_dims(), dt.date(2021, 1, 1))
    now = float(slot.get(state, params)[0])
    if slot.low is None or slot.high is None:
        return 2.0 * now + 1.0
    width = slot.high - slot.low
    low, high = slot.low + 0.3 * width, slot.low + 0.8 * width
    return low if abs(now - low) > 0.1 * width else high


def trajectory(sc: Scenario) -> list[np.ndarray]:
    """Every state array and the volumes and effort at every step of one run."""
    batch = batch_of(sc)
    out = []
    for _ in range(sc.clock().n_steps):
        step = batch.advance()
        out += [np.array(getattr(step.state, f.name)) for f in dataclasses.fields(step.state)]
        out += [step.demand, step.effort]
    return out


@pytest.mark.parametrize("path", every_shock_path())
def test_every_path_a_shock_may_target_changes_the_run(tmp_path, path):
    """A shock the checker accepts changes the run; one it refuses only sets the start."""
    shock = one_shock("set", repr(other_value(path)), "at: 2021-07-01", path)
    try:
        shocked = scenario(tmp_path, ACTIVE_SHOCKS + shock, extra=ACTIVE)
    except ScenarioError as exc:
        assert path.rsplit(".", 1)[-1] in START_ONLY, exc
        assert "only sets the start of a run" in str(exc)
        return
    plain = scenario(tmp_path, ACTIVE_SHOCKS, extra=ACTIVE)
    changed = [
        not np.array_equal(a, b)
        for a, b in zip(trajectory(shocked), trajectory(plain), strict=True)
    ]
    assert any(changed), f"a shock on {path} changes nothing in the run"


def test_a_start_only_value_is_still_a_starting_value_and_may_be_watched(tmp_path):
    """``arms_propensity`` under ``parameters:`` sets the start; a condition may watch it."""
    watch = "    when: {watch: states.kazakhstan.arms_propensity, above: -5}\n"
    sc = scenario(
        tmp_path,
        one_shock("set", "0.9", "at: 2021-07-01", "afghanistan.instability", watch),
        extra="parameters:\n  arms_propensity: {kazakhstan: -4.35}\n",
    )
    plain = scenario(tmp_path, one_shock("set", "0.9", "at: 2021-07-01", "afghanistan.instability"))
    kz = sc.dims.states.index("kazakhstan")
    raised, base = batch_of(sc), batch_of(plain)
    assert raised.params.arms_propensity[0, kz] == -4.35
    # the starting arms demand follows exp(a)
    gap = -4.35 - base.params.arms_propensity[0, kz]
    ratio = raised.state.arms_base[0, kz] / base.state.arms_base[0, kz]
    np.testing.assert_allclose(ratio, np.exp(gap), rtol=1e-12)
    # the condition on it holds from the step the shock is armed
    np.testing.assert_array_equal(path_values(sc, "afghanistan.instability")[2:, 0], 0.9)


def test_a_shock_on_the_derived_value_changes_arms_demand_during_the_run(tmp_path):
    """What the checker points to instead: a shock on ``arms_base_usd_bn``."""
    target = "states.kazakhstan.arms_base_usd_bn"
    sc = scenario(tmp_path, one_shock("scale", "2", "at: 2021-07-01", target))
    shocked = path_values(sc, target)[:, 0]
    plain = path_values(sc, target, timeline=Timeline())[:, 0]
    np.testing.assert_array_equal(shocked[:2], plain[:2])
    np.testing.assert_allclose(shocked[2:] / plain[2:], 2.0, rtol=1e-12)
