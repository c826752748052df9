"""Tests of the stepping loop: calendar, random streams, batching and the shock timeline."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from influence_sim.calendar import Clock, add_months
from influence_sim.engine import NoiseSource, RunBatch
from influence_sim.initial import build, default_dims
from influence_sim.kernel.arrays import Params, State
from influence_sim.paths import resolve
from influence_sim.rng import NOISE_STREAM, as_seed_sequence, child, replicate_seeds, stream
from influence_sim.timeline import Operation, Timeline

DIMS = default_dims()
START = dt.date(2021, 1, 1)


def test_the_engine_keeps_the_calendar_and_seed_helpers_for_one_release_with_a_warning() -> None:
    """``influence_sim.engine.Clock`` and the like moved to ``calendar`` and ``rng``."""
    from influence_sim import calendar, engine, rng

    with pytest.warns(DeprecationWarning, match=r"engine\.Clock is now influence_sim\.calendar"):
        alias = engine.Clock
    assert alias is calendar.Clock
    with pytest.warns(DeprecationWarning, match=r"influence_sim\.rng\.replicate_seeds"):
        assert engine.replicate_seeds is rng.replicate_seeds
    for name, home in engine._MOVED.items():
        assert name not in vars(engine) and name not in engine.__all__
        with pytest.warns(DeprecationWarning, match=name):
            assert getattr(engine, name) is getattr(home, name)
    with pytest.raises(AttributeError):
        _ = engine.Calendar


# --------------------------------------------------------------------------- calendar


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2021, 1, 31), 1, dt.date(2021, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2021, 3, 31), 1, dt.date(2021, 4, 30)),
        (dt.date(2021, 8, 31), 3, dt.date(2021, 11, 30)),
        (dt.date(2020, 2, 29), 12, dt.date(2021, 2, 28)),
        (dt.date(2021, 11, 15), 2, dt.date(2022, 1, 15)),
        (dt.date(2021, 1, 15), -1, dt.date(2020, 12, 15)),
        (dt.date(2021, 3, 31), -1, dt.date(2021, 2, 28)),
        (dt.date(2021, 5, 10), 0, dt.date(2021, 5, 10)),
    ],
)
def test_add_months_clips_to_the_end_of_month(day, months, expected) -> None:
    """Moving by whole months keeps the day of month, clipped to the month's last day."""
    assert add_months(day, months) == expected


def test_clock_between_ten_years_of_quarters() -> None:
    """2021-01-01 to 2031-01-01 in quarters is 40 steps of a quarter year, ending on the end."""
    clock = Clock.between(START, dt.date(2031, 1, 1), "quarter")
    assert clock.n_steps == 40
    assert clock.dt == 0.25
    assert clock.dates[0] == START
    assert clock.dates[-1] == dt.date(2031, 1, 1)
    assert clock.date(3) == dt.date(2021, 10, 1)
    assert len(clock.dates) == 41


def test_clock_between_stops_at_the_last_step_not_after_the_end() -> None:
    """An end between step dates gives the last step date before it."""
    clock = Clock.between(START, dt.date(2022, 2, 15), "quarter")
    assert clock.n_steps == 4
    assert clock.dates[-1] == dt.date(2022, 1, 1)
    assert Clock.between(START, dt.date(2023, 6, 1), "year").n_steps == 2
    assert Clock.between(START, dt.date(2021, 12, 31), "month").n_steps == 11


def test_clock_dates_do_not_drift_from_month_ends() -> None:
    """Each step date is computed from the start, so a 31st start returns to 31sts."""
    clock = Clock.between(dt.date(2021, 1, 31), dt.date(2022, 1, 31), "month")
    assert clock.date(1) == dt.date(2021, 2, 28)
    assert clock.date(2) == dt.date(2021, 3, 31)
    assert clock.dates[-1] == dt.date(2022, 1, 31)
    assert clock.n_steps == 12


@pytest.mark.parametrize(
    ("step", "end"),
    [("week", dt.date(2022, 1, 1)), ("quarter", START), ("quarter", dt.date(2020, 1, 1))],
)
def test_clock_between_rejects_bad_input(step, end) -> None:
    """An unknown step or an end not after the start is a ValueError."""
    with pytest.raises(ValueError):
        Clock.between(START, end, step)


def test_step_of_semantics() -> None:
    """An event acts at the first step dated on or after it; at or before the start, at 0."""
    clock = Clock.between(START, dt.date(2031, 1, 1), "quarter")
    assert clock.step_of(START) == 0
    assert clock.step_of(dt.date(2019, 5, 1)) == 0
    assert clock.step_of(dt.date(2021, 1, 2)) == 1
    assert clock.step_of(dt.date(2021, 4, 1)) == 1  # on a step date: that step
    assert clock.step_of(dt.date(2021, 8, 15)) == 3  # between 2021-07-01 and 2021-10-01
    assert clock.date(3) >= dt.date(2021, 8, 15) > clock.date(2)
    assert clock.step_of(dt.date(2031, 1, 1)) == 40
    assert clock.step_of(dt.date(2031, 1, 2)) == 41  # after the end: never applied


# --------------------------------------------------------------------------- random streams


def _first_draws(seq: np.random.SeedSequence) -> np.ndarray:
    return np.random.default_rng(seq).standard_normal(8)


def test_replicate_seeds_are_deterministic() -> None:
    """The same root seed gives the same replicate sequences and the same draws."""
    a = replicate_seeds(42, 5)
    b = replicate_seeds(42, 5)
    for x, y in zip(a, b, strict=True):
        assert x.entropy == y.entropy and x.spawn_key == y.spawn_key
        assert np.array_equal(_first_draws(x), _first_draws(y))


def test_replicate_seeds_are_distinct() -> None:
    """Replicates of one root, and different roots, draw different numbers."""
    draws = [_first_draws(s) for s in replicate_seeds(42, 6) + replicate_seeds(43, 6)]
    for i in range(len(draws)):
        for j in range(i + 1, len(draws)):
            assert not np.array_equal(draws[i], draws[j]), (i, j)


def test_replicate_seeds_prefix_is_stable() -> None:
    """The first m replicates do not depend on how many are asked for."""
    few = replicate_seeds(7, 3)
    many = replicate_seeds(7, 10)
    for x, y in zip(few, many[:3], strict=True):
        assert np.array_equal(_first_draws(x), _first_draws(y))


def test_child_matches_spawn_on_a_fresh_sequence() -> None:
    """child(seq, i) equals seq.spawn(i + 1)[i] for a fresh sequence."""
    fresh = np.random.SeedSequence(123)
    spawned = fresh.spawn(4)[3]
    made = child(np.random.SeedSequence(123), 3)
    assert np.array_equal(spawned.generate_state(4), made.generate_state(4))


def test_as_seed_sequence_accepts_each_kind() -> None:
    """Ints give a reproducible sequence, a sequence passes through, a generator is consumed."""
    seq = np.random.SeedSequence(5)
    assert as_seed_sequence(seq) is seq
    assert as_seed_sequence(5).entropy == 5
    g1, g2 = np.random.default_rng(9), np.random.default_rng(9)
    assert as_seed_sequence(g1).entropy == as_seed_sequence(g2).entropy
    assert isinstance(as_seed_sequence(None), np.random.SeedSequence)


def test_streams_of_one_run_differ() -> None:
    """A run's noise stream and shock stream are different generators."""
    seq = replicate_seeds(1, 1)[0]
    assert not np.array_equal(stream(seq, 0).standard_normal(4), stream(seq, 1).standard_normal(4))


@pytest.mark.parametrize("block", [1, 3, 16, 50])
def test_noise_source_is_independent_of_block_size(block) -> None:
    """A run's draws per step are the same whatever block size the source refills with."""
    seeds = replicate_seeds(3, 2)
    shape = (5, 3, 2)
    reference = NoiseSource([stream(s, NOISE_STREAM) for s in seeds], shape, block=1)
    other = NoiseSource([stream(s, NOISE_STREAM) for s in seeds], shape, block=block)
    for _ in range(37):
        a, b = reference.next(), other.next()
        assert a.shape == (2, *shape)
        assert np.array_equal(a, b)


def test_noise_source_runs_do_not_depend_on_their_neighbours() -> None:
    """A run's draws are the same alone or next to other runs."""
    seeds = replicate_seeds(3, 3)
    shape = (2, 2)
    together = NoiseSource([stream(s, NOISE_STREAM) for s in seeds], shape, block=4)
    alone = NoiseSource([stream(seeds[1], NOISE_STREAM)], shape, block=7)
    for _ in range(10):
        assert np.array_equal(together.next()[1], alone.next()[0])


# --------------------------------------------------------------------------- batching

CLOCK = Clock.between(START, dt.date(2026, 1, 1), "quarter")
RUN_OVERRIDES = [
    {},
    {"parameters.coordination": 1.0, "states.*.hedging": 0.9},
    {"parameters.offer_noise_sd": 0.5, "parameters.return_rate": 0.3},
    {"afghan_instability": 0.6, "initial_trust": 0.4, "parameters.trust_tolerance": 0.1},
]


def _timeline(n: int, values: np.ndarray, mask: np.ndarray) -> Timeline:
    """A takeover with per-run values and a sanctions shock in only some runs."""
    tl = Timeline()
    for t in resolve("afghanistan.instability", DIMS):
        tl.add(Operation(CLOCK.step_of(dt.date(2021, 8, 15)), t, "set", values, np.ones(n, bool)))
    for t in resolve("powers.russia.economic_capacity", DIMS):
        tl.add(Operation(CLOCK.step_of(dt.date(2022, 2, 24)), t, "scale", np.full(n, 0.5), mask))
    return tl


def _run(batch: RunBatch) -> list[np.ndarray]:
    """Step a batch to the end; return every array of its final state and its step outputs."""
    outputs = []
    for _ in range(CLOCK.n_steps):
        out = batch.advance()
        outputs.extend([out.demand, out.effort, out.offers, out.equilibrium])
    final = [getattr(batch.state, f.name) for f in dataclasses.fields(State)]
    return final + outputs


def _batch(overrides, seeds, values, mask) -> RunBatch:
    state, params = build(DIMS, START, overrides)
    return RunBatch(DIMS, CLOCK, state, params, _timeline(len(seeds), values, mask), seeds)


def test_batch_of_four_equals_each_run_alone() -> None:
    """Four runs stepped together give exactly the arrays of each run stepped on its own."""
    seeds = replicate_seeds(2024, 4)
    values = np.array([0.9, 0.8, 0.95, 0.7])
    mask = np.array([True, False, True, False])
    together = _run(_batch(RUN_OVERRIDES, seeds, values, mask))
    for b in range(4):
        alone = _run(_batch([RUN_OVERRIDES[b]], [seeds[b]], values[b : b + 1], mask[b : b + 1]))
        for joint, single in zip(together, alone, strict=True):
            assert np.abs(joint[b : b + 1] - single).max() <= 1e-12


def test_batch_split_with_take_matches_alone() -> None:
    """State.take, Params.take and Timeline.take carve a run out of a batch exactly."""
    seeds = replicate_seeds(5, 4)
    values = np.array([0.9, 0.8, 0.95, 0.7])
    mask = np.array([True, False, True, False])
    state, params = build(DIMS, START, RUN_OVERRIDES)
    tl = _timeline(4, values, mask)
    whole = _run(RunBatch(DIMS, CLOCK, state.copy(), params.copy(), tl, seeds))
    idx = np.array([2])
    part = RunBatch(DIMS, CLOCK, state.take(idx), params.take(idx), tl.take(idx), [seeds[2]])
    for joint, single in zip(whole, _run(part), strict=True):
        assert np.abs(joint[2:3] - single).max() <= 1e-12


def test_same_seeds_give_identical_runs() -> None:
    """Two batches built and seeded alike give bitwise identical arrays."""
    values, mask = np.full(4, 0.9), np.ones(4, bool)
    a = _run(_batch(RUN_OVERRIDES, replicate_seeds(8, 4), values, mask))
    b = _run(_batch(RUN_OVERRIDES, replicate_seeds(8, 4), values, mask))
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)


def test_different_seeds_give_different_runs() -> None:
    """With offer noise, other seeds give other paths."""
    values, mask = np.full(4, 0.9), np.ones(4, bool)
    a = _run(_batch(RUN_OVERRIDES, replicate_seeds(8, 4), values, mask))
    b = _run(_batch(RUN_OVERRIDES, replicate_seeds(9, 4), values, mask))
    assert not np.array_equal(a[0], b[0])


def test_run_batch_needs_one_seed_per_run() -> None:
    """A seed list of the wrong length is rejected."""
    state, params = build(DIMS, START, [{}, {}])
    with pytest.raises(ValueError, match="seed"):
        RunBatch(DIMS, CLOCK, state, params, Timeline(), replicate_seeds(1, 3))


def test_advance_does_not_mutate_the_previous_state() -> None:
    """Stepping returns a new state and leaves the old one untouched."""
    state, params = build(DIMS, START)
    batch = RunBatch(DIMS, CLOCK, state, params, Timeline(), replicate_seeds(1, 1))
    before = batch.state
    snapshot = before.copy()
    batch.advance()
    assert batch.state is not before
    for f in dataclasses.fields(State):
        assert np.array_equal(getattr(before, f.name), getattr(snapshot, f.name))
    assert batch.steps_done == 1
    assert batch.last is not None


def test_effort_before_the_first_step_is_noise_free() -> None:
    """Before stepping, effort() is the noise-free effort; after, the last step's effort."""
    state, params = build(DIMS, START)
    batch = RunBatch(DIMS, CLOCK, state, params, Timeline(), replicate_seeds(1, 1))
    start_effort = batch.effort()
    assert start_effort.shape == (1, DIMS.n_powers, 2)
    out = batch.advance()
    assert batch.effort() is out.effort


# --------------------------------------------------------------------------- timeline


def _one() -> tuple[State, Params]:
    return build(DIMS, START, [{}, {}, {}])


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [("set", 0.7, 0.7), ("add", 0.2, 0.5), ("scale", 2.0, 0.6), ("approach", 0.9, 0.45)],
)
def test_operation_kinds(kind, value, expected) -> None:
    """set, add, scale and approach (fraction 0.25) change a value as named, where masked."""
    state, params = _one()
    (target,) = resolve("afghanistan.instability", DIMS)
    mask = np.array([True, False, True])
    op = Operation(1, target, kind, np.full(3, value), mask, fraction=0.25)
    op.apply(state, params)
    assert np.allclose(state.instability, [expected, 0.3, expected])


def test_operation_condition_limits_the_runs() -> None:
    """A condition acts as a further mask evaluated on the state."""
    state, params = _one()
    state.trust[:] = [0.2, 0.9, 0.5]
    (target,) = resolve("parameters.coordination", DIMS)

    def low_trust(s: State, _p: Params) -> np.ndarray:
        return s.trust < 0.6

    op = Operation(1, target, "set", np.full(3, 1.0), np.ones(3, bool), condition=low_trust)
    op.apply(state, params)
    assert params.coordination.tolist() == [1.0, 0.5, 1.0]


def test_operations_at_step_zero_act_at_construction() -> None:
    """An operation dated at or before the start is applied when the batch is made."""
    clock = CLOCK
    state, params = build(DIMS, START)
    (target,) = resolve("afghanistan.instability", DIMS)
    tl = Timeline()
    tl.add(
        Operation(
            clock.step_of(dt.date(2020, 6, 1)),
            target,
            "set",
            np.full(1, 0.9),
            np.ones(1, bool),
            name="early",
        )
    )
    batch = RunBatch(DIMS, clock, state, params, tl, replicate_seeds(1, 1))
    assert batch.applied == ["early"]
    assert batch.state.instability[0] == 0.9


def test_operation_acts_at_the_start_of_its_step() -> None:
    """An operation for step k is applied as step k begins, and reported as applied."""
    state, params = build(DIMS, START)
    (target,) = resolve("afghanistan.instability", DIMS)
    k = CLOCK.step_of(dt.date(2021, 8, 15))
    tl = Timeline()
    tl.add(Operation(k, target, "set", np.full(1, 0.9), np.ones(1, bool), name="takeover"))
    batch = RunBatch(DIMS, CLOCK, state, params, tl, replicate_seeds(1, 1))
    seen = []
    for _ in range(k):
        batch.advance()
        seen.append((batch.steps_done, batch.applied, float(batch.state.instability[0])))
    assert seen[k - 2] == (k - 1, [], 0.3)
    assert seen[k - 1] == (k, ["takeover"], 0.9)
    assert len(tl) == 1
