"""Tests of the timeline: operations, triggered once-only events and their conditions."""

from __future__ import annotations

import datetime as dt
import pickle

import numpy as np
import pytest

from influence_sim.initial import build, default_dims
from influence_sim.paths import resolve
from influence_sim.timeline import (
    NOT_FIRED,
    Action,
    Operation,
    PulseEffect,
    Threshold,
    Timeline,
    Trigger,
    always,
    constant,
)

DIMS = default_dims()
START = dt.date(2021, 1, 1)


def arrays(n: int = 3):
    return build(DIMS, START, [{}] * n)


def slot(path: str):
    return resolve(path, DIMS)[0]


INSTABILITY = slot("afghanistan.instability")
COORDINATION = slot("parameters.coordination")


@pytest.mark.parametrize(
    ("kind", "value", "fraction", "expected"),
    [
        ("set", 0.7, 1.0, 0.7),
        ("add", 0.2, 1.0, 0.5),
        ("scale", 2.0, 1.0, 0.6),
        ("approach", 0.9, 0.5, 0.6),
    ],
)
def test_operation_kinds(kind, value, fraction, expected):
    state, params = arrays()
    op = Operation(1, INSTABILITY, kind, constant(3, value), always(3), fraction)
    op.apply(state, params)
    np.testing.assert_allclose(state.instability, expected)


def test_operation_mask_and_condition_select_runs():
    state, params = arrays()
    mask = np.array([True, True, False])
    holds = Threshold((COORDINATION,), above=0.4)
    params.coordination[:] = [0.5, 0.3, 0.5]
    Operation(1, INSTABILITY, "set", constant(3, 0.8), mask, condition=holds).apply(state, params)
    np.testing.assert_allclose(state.instability, [0.8, 0.3, 0.3])


def test_timeline_applies_in_order_and_takes_subsets():
    state, params = arrays()
    tl = Timeline()
    tl.add(Operation(2, INSTABILITY, "set", np.array([0.1, 0.2, 0.3]), always(3), name="a"))
    tl.add(Operation(2, INSTABILITY, "add", constant(3, 0.1), always(3), name="b"))
    assert tl.apply(1, state, params) == []
    assert tl.apply(2, state, params) == ["a", "b"]
    np.testing.assert_allclose(state.instability, [0.2, 0.3, 0.4])
    sub = tl.take(slice(1, 2))
    assert len(sub) == 2
    np.testing.assert_allclose(sub.operations[2][0].values, [0.2])


def test_threshold_any_and_all():
    state, params = arrays(1)
    watched = tuple(resolve("states.*.hedging", DIMS))
    params.hedging[0] = [0.1, 0.2, 0.3, 0.95, 0.4]
    assert Threshold(watched, above=0.9)(state, params).tolist() == [True]
    assert Threshold(watched, above=0.9, across="all")(state, params).tolist() == [False]
    band = Threshold(watched, above=0.05, below=0.99, across="all")
    assert band(state, params).tolist() == [True]
    assert Threshold(watched, below=0.1)(state, params).tolist() == [False]


def make_trigger(n=3, mask=None, first=0, last=10, actions=None):
    return Trigger(
        "t",
        Threshold((COORDINATION,), above=0.6),
        first,
        last,
        always(n) if mask is None else mask,
        actions or [Action(0, INSTABILITY, "add", constant(n, 0.1))],
    )


def test_trigger_fires_once_where_the_condition_first_holds():
    state, params = arrays()
    trigger = make_trigger()
    tl = Timeline()
    tl.add_trigger(trigger)
    params.coordination[:] = [0.5, 0.7, 0.5]
    assert tl.apply(0, state, params) == ["t"]
    np.testing.assert_allclose(state.instability, [0.3, 0.4, 0.3])
    assert trigger.fired_at.tolist() == [NOT_FIRED, 0, NOT_FIRED]
    params.coordination[:] = [0.7, 0.7, 0.5]
    assert tl.apply(1, state, params) == ["t"]
    # run 1 does not fire again although the condition still holds
    np.testing.assert_allclose(state.instability, [0.4, 0.4, 0.3])
    assert tl.apply(2, state, params) == []
    np.testing.assert_allclose(state.instability, [0.4, 0.4, 0.3])


def test_trigger_window_and_mask():
    state, params = arrays()
    trigger = make_trigger(mask=np.array([True, False, True]), first=2, last=3)
    params.coordination[:] = 0.9
    assert not trigger.apply(1, state, params)
    assert trigger.apply(2, state, params)
    np.testing.assert_allclose(state.instability, [0.4, 0.3, 0.4])
    state2, params2 = arrays()
    late = make_trigger(first=2, last=3)
    params2.coordination[:] = 0.9
    assert not late.apply(4, state2, params2)
    np.testing.assert_allclose(state2.instability, 0.3)


def test_trigger_follow_up_actions_relative_to_the_firing_step():
    state, params = arrays(2)
    actions = [
        Action(0, INSTABILITY, "add", constant(2, 0.4)),
        Action(2, INSTABILITY, "add", constant(2, -0.4)),
    ]
    trigger = make_trigger(n=2, actions=actions)
    params.coordination[:] = [0.9, 0.5]
    for k in range(6):
        if k == 3:
            params.coordination[:] = 0.9
        trigger.apply(k, state, params)
        if k == 0:
            np.testing.assert_allclose(state.instability, [0.7, 0.3])
        if k == 2:
            np.testing.assert_allclose(state.instability, [0.3, 0.3])
        if k == 3:
            np.testing.assert_allclose(state.instability, [0.3, 0.7])
        if k == 5:
            np.testing.assert_allclose(state.instability, [0.3, 0.3])
    assert trigger.fired_at.tolist() == [0, 3]


def test_timeline_resets_triggers_at_step_zero_and_take_copies_them():
    state, params = arrays()
    trigger = make_trigger()
    tl = Timeline()
    tl.add_trigger(trigger)
    params.coordination[:] = 0.9
    tl.apply(0, state, params)
    assert trigger.fired_at.tolist() == [0, 0, 0]
    sub = tl.take(np.array([0, 2]))
    assert sub.triggers[0].fired_at.tolist() == [0, 0]
    sub.triggers[0].fired_at[0] = 5
    assert trigger.fired_at[0] == 0
    state, params = arrays()
    params.coordination[:] = 0.5
    tl.apply(0, state, params)  # a new run starts: nothing has fired
    assert trigger.fired_at.tolist() == [NOT_FIRED] * 3
    assert len(tl) == 1


def test_timeline_with_triggers_pickles():
    tl = Timeline()
    tl.add_trigger(make_trigger())
    tl.add(Operation(1, INSTABILITY, "set", constant(3, 0.5), always(3)))
    copy = pickle.loads(pickle.dumps(tl))
    state, params = arrays()
    params.coordination[:] = 0.9
    assert copy.apply(1, state, params) == ["", "t"]
    np.testing.assert_allclose(state.instability, 0.6)


def pulse_timeline(n: int = 3) -> Timeline:
    """+0.3 at step 1, half of it removed at step 2 and the rest at step 3."""
    effect = PulseEffect.full(n)
    tl = Timeline()
    tl.add(Operation(1, INSTABILITY, "add", constant(n, 0.3), always(n), records=effect))
    for step in (2, 3):
        tl.add(Operation(step, INSTABILITY, "add", constant(n, -0.15), always(n), scaled_by=effect))
    return tl


def run_pulse(tl: Timeline, start: list[float]) -> np.ndarray:
    state, params = arrays(len(start))
    state.instability[:] = start
    out = []
    for step in range(4):
        tl.apply(step, state, params)
        out.append(state.instability.copy())
    return np.array(out)


def test_pulse_decay_removes_what_the_add_made_after_clipping():
    tl = pulse_timeline()
    out = run_pulse(tl, [0.3, 0.9, 1.0])
    np.testing.assert_allclose(out[1], [0.6, 1.0, 1.0])
    np.testing.assert_allclose(out[2], [0.45, 0.95, 1.0])
    np.testing.assert_allclose(out[3], [0.3, 0.9, 1.0], atol=1e-15)
    np.testing.assert_allclose(tl.operations[1][0].records.fraction, [1.0, 1 / 3, 0.0])
    assert tl.operations[1][0].records.fraction[0] == 1.0  # exactly: the decay is unchanged
    # a new run from step 0 forgets the old record
    out = run_pulse(tl, [0.0, 0.0, 0.9])
    np.testing.assert_allclose(out[3], [0.0, 0.0, 0.9], atol=1e-15)


def test_take_and_pickle_keep_a_pulse_and_its_decay_on_one_record():
    tl = pulse_timeline()
    for sub in (tl.take(np.array([2, 1, 1])), pickle.loads(pickle.dumps(tl))):
        record = sub.operations[1][0].records
        assert sub.operations[2][0].scaled_by is record
        assert sub.operations[3][0].scaled_by is record
    sub = tl.take(np.array([2, 1, 1]))
    np.testing.assert_allclose(run_pulse(sub, [0.3, 0.9, 0.5])[3], [0.3, 0.9, 0.5], atol=1e-15)
    assert tl.operations[1][0].records.fraction.tolist() == [1.0, 1.0, 1.0]  # untouched


def test_triggered_pulse_decay_removes_what_its_add_made_in_each_run():
    effect = PulseEffect.full(3)
    actions = [
        Action(0, INSTABILITY, "add", constant(3, -0.4), records=effect),
        Action(1, INSTABILITY, "add", constant(3, 0.4), scaled_by=effect),
    ]
    tl = Timeline()
    tl.add_trigger(make_trigger(actions=actions))
    state, params = arrays()
    state.instability[:] = [0.3, 0.5, 0.2]
    params.coordination[:] = [0.7, 0.5, 0.7]
    tl.apply(0, state, params)  # fires in runs 0 and 2
    np.testing.assert_allclose(state.instability, [0.0, 0.5, 0.0])
    params.coordination[:] = 0.7
    tl.apply(1, state, params)  # decays in runs 0 and 2, fires in run 1
    np.testing.assert_allclose(state.instability, [0.3, 0.1, 0.2])
    tl.apply(2, state, params)
    np.testing.assert_allclose(state.instability, [0.3, 0.5, 0.2])
    sub = tl.take(np.array([0, 2]))
    assert sub.triggers[0].actions[1].scaled_by is sub.triggers[0].actions[0].records
    np.testing.assert_allclose(sub.triggers[0].actions[0].records.fraction, [0.75, 0.5])
    params.coordination[:] = 0.5
    tl.apply(0, state, params)  # a new run: the record is forgotten first
    np.testing.assert_allclose(effect.fraction, [1.0, 1.0, 1.0])
