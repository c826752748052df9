"""Property tests: the model's invariants hold for any parameters within bounds and any shocks.

Whatever the overrides (drawn within the bounds of ``influence_sim.parameters.PARAMETERS``) and
whatever capacity or instability shocks hit a run, every share profile stays on the simplex,
nothing becomes NaN or infinite, volumes stay non-negative and the bounded quantities (trust,
threat, credibility) stay in [0, 1].
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from influence_sim.calendar import Clock
from influence_sim.engine import RunBatch
from influence_sim.initial import build, default_dims
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import GLOBAL_PARAMETERS, Params, State
from influence_sim.kernel.step import StepOutput
from influence_sim.parameters import PARAMETERS
from influence_sim.paths import resolve
from influence_sim.rng import replicate_seeds
from influence_sim.seeds import load_seeds
from influence_sim.timeline import Operation, OpKind, Timeline

DIMS = default_dims()
START = dt.date(2021, 1, 1)
SIMPLEX_TOL = 1e-9
_SEEDS = load_seeds()


def _upper(name: str) -> float:
    """Upper end of the draw: the parameter's bound, or a generous multiple of its default."""
    spec = PARAMETERS[name]
    if spec.high is not None:
        return spec.high
    return max(5.0 * spec.default(_SEEDS), spec.low + 1.0)


def _value(name: str) -> st.SearchStrategy[float]:
    low = PARAMETERS[name].low
    return st.floats(min_value=low, max_value=_upper(name), allow_nan=False)


unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def run_overrides(draw: st.DrawFn) -> dict[str, float]:
    """Overrides of one run: some global parameters, hedging per state, instability, trust."""
    names = draw(st.lists(st.sampled_from(GLOBAL_PARAMETERS), unique=True, max_size=8))
    out = {f"parameters.{name}": draw(_value(name)) for name in names}
    for state in draw(st.lists(st.sampled_from(DIMS.states), unique=True)):
        out[f"states.{state}.hedging"] = draw(unit)
    if draw(st.booleans()):
        out["afghanistan.instability"] = draw(unit)
    if draw(st.booleans()):
        out["relations.china.russia.trust"] = draw(unit)
    if draw(st.booleans()):
        out["parameters.coordination"] = draw(unit)
    for power in draw(st.lists(st.sampled_from(DIMS.powers), unique=True, max_size=2)):
        out[f"powers.{power}.doctrine"] = draw(unit)
        out[f"powers.{power}.priority"] = draw(st.floats(0.0, 2.0))
    return out


@dataclass(frozen=True)
class Shock:
    """A drawn shock: a path, an operation kind, a step and one value per run."""

    path: str
    kind: OpKind
    step: int
    values: tuple[float, ...]


def shocks(n_runs: int, n_steps: int) -> st.SearchStrategy[list[Shock]]:
    """Capacity scalings and instability settings at random steps, with per-run values."""
    capacity_paths = [
        f"powers.{p}.{d}_capacity" for p in DIMS.powers for d in ("economic", "security")
    ]
    step = st.integers(min_value=0, max_value=n_steps)
    scale = st.builds(
        Shock,
        st.sampled_from(capacity_paths),
        st.just("scale"),
        step,
        st.tuples(*[st.floats(0.0, 3.0)] * n_runs),
    )
    instability = st.builds(
        Shock,
        st.just("afghanistan.instability"),
        st.just("set"),
        step,
        st.tuples(*[unit] * n_runs),
    )
    share = st.builds(
        Shock,
        st.sampled_from(
            [f"states.{s}.security_share.{k}" for s in DIMS.states for k in DIMS.partners]
        ),
        st.just("set"),
        step,
        st.tuples(*[unit] * n_runs),
    )
    return st.lists(st.one_of(scale, instability, share), max_size=4)


def _timeline(drawn: list[Shock], n_runs: int) -> Timeline:
    tl = Timeline()
    for shock in drawn:
        for target in resolve(shock.path, DIMS):
            values = np.array(shock.values, dtype=float)
            tl.add(Operation(shock.step, target, shock.kind, values, np.ones(n_runs, bool)))
    return tl


def check_state(state: State, params: Params) -> None:
    """Assert every invariant of a state (and that its parameters are finite)."""
    for f in fields(State):
        value = getattr(state, f.name)
        assert np.all(np.isfinite(value)), f"non-finite {f.name}"
    for f in fields(Params):
        value = getattr(params, f.name)
        assert np.all(np.isfinite(value)), f"non-finite parameter {f.name}"
    assert np.all(state.share >= 0.0)
    assert np.all(np.abs(state.share.sum(axis=2) - 1.0) <= SIMPLEX_TOL)
    for name in ("trust", "threat", "credibility", "instability"):
        value = getattr(state, name)
        assert np.all((value >= 0.0) & (value <= 1.0)), f"{name} out of [0, 1]"
    assert np.all(state.trade >= 0.0)
    assert np.all(state.arms_base >= 0.0)
    assert np.all(state.capacity >= 0.0)


def check_output(out: StepOutput) -> None:
    """Assert the invariants of one step's intermediate quantities."""
    for name in ("demand", "effort", "offers", "target"):
        value = getattr(out, name)
        assert np.all(np.isfinite(value)), f"non-finite {name}"
        assert np.all(value >= 0.0), f"negative {name}"
    assert np.all(np.abs(out.target.sum(axis=2) - 1.0) <= SIMPLEX_TOL)
    assert np.allclose(out.offers.sum(axis=1), out.effort, rtol=1e-9, atol=1e-300)
    regional = obs.regional_share(out.state.share, out.demand)
    assert np.all(np.isfinite(regional))
    assert np.all((regional >= 0.0) & (regional <= 1.0 + SIMPLEX_TOL))


def simulate_and_check(
    overrides: list[dict[str, float]], drawn: list[Shock], n_steps: int, step: str, seed: int
) -> None:
    """Build a batch, apply the shocks and check every invariant after every step."""
    months = {"month": 1, "quarter": 3, "year": 12}[step]
    end = dt.date(START.year + (n_steps * months) // 12, 1 + (n_steps * months) % 12, 1)
    clock = Clock.between(START, end, step)
    assert clock.n_steps == n_steps
    state, params = build(DIMS, START, overrides)
    check_state(state, params)
    n = state.batch_size
    batch = RunBatch(DIMS, clock, state, params, _timeline(drawn, n), replicate_seeds(seed, n))
    check_state(batch.state, batch.params)
    for _ in range(clock.n_steps):
        out = batch.advance()
        check_output(out)
        check_state(batch.state, batch.params)
    assert np.all(batch.demand() >= 0.0)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, float]], list[Shock], int, int]:
    n_runs = draw(st.integers(min_value=1, max_value=3))
    n_steps = draw(st.integers(min_value=12, max_value=20))
    overrides = draw(st.lists(run_overrides(), min_size=n_runs, max_size=n_runs))
    drawn = draw(shocks(n_runs, n_steps))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return overrides, drawn, n_steps, seed


@settings(max_examples=200, deadline=None)
@given(scenarios())
# a contract every step (contract_rate * dt = 1) once made the contract quantile fail
@example(([{"parameters.contract_lumpiness": 0.0, "parameters.contract_rate": 4.0}], [], 12, 0))
def test_invariants_hold_under_random_overrides_and_shocks(scenario) -> None:
    """12-20 quarters under random in-bounds overrides and shocks keep every invariant."""
    overrides, drawn, n_steps, seed = scenario
    simulate_and_check(overrides, drawn, n_steps, "quarter", seed)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(run_overrides(), min_size=1, max_size=2),
    st.sampled_from(["month", "year"]),
    st.integers(min_value=12, max_value=16),
    st.integers(min_value=0, max_value=1000),
)
@example([{}, {"parameters.contract_rate": 1.0}], "year", 12, 0)
def test_invariants_hold_for_other_step_lengths(overrides, step, n_steps, seed) -> None:
    """Monthly and yearly steps keep the same invariants."""
    simulate_and_check(overrides, [], n_steps, step, seed)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(run_overrides(), min_size=1, max_size=1),
    st.integers(min_value=0, max_value=1000),
)
def test_extreme_parameters_at_their_bounds(overrides, seed) -> None:
    """Every global parameter pinned at its lowest or highest draw still keeps the invariants."""
    rng = np.random.default_rng(seed)
    pinned = {
        f"parameters.{name}": PARAMETERS[name].low if rng.random() < 0.5 else _upper(name)
        for name in GLOBAL_PARAMETERS
    }
    simulate_and_check([{**overrides[0], **pinned}], [], 12, "quarter", seed)


finite = st.floats(min_value=-50.0, max_value=50.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(finite, min_size=4, max_size=4), st.floats(-1e3, 1e3))
def test_softmax_stays_on_simplex(utility, shift) -> None:
    """Softmax of any finite utilities, however shifted, is a probability vector."""
    u = np.array(utility).reshape(1, 1, 4, 1) + shift
    x = mech.softmax_partners(u)
    assert np.all(x >= 0.0)
    assert abs(x.sum() - 1.0) <= SIMPLEX_TOL


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 1e-6),
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda v: sum(v) > 1e-6),
    unit,
    unit,
    st.floats(0.0, 2.0),
    st.sampled_from([1 / 12, 0.25, 1.0]),
)
def test_adjust_shares_stays_on_simplex(share, target, rate, stickiness, tie, dt_years) -> None:
    """Partial adjustment between two simplex points stays on the simplex."""
    x = np.array(share)
    x = (x / x.sum()).reshape(1, 1, 4, 1).repeat(2, axis=3)
    t = np.array(target)
    t = (t / t.sum()).reshape(1, 1, 4, 1).repeat(2, axis=3)
    ties = np.zeros_like(x)
    ties[0, 0, 1, :] = tie
    out = mech.adjust_shares(
        x, t, np.array([rate]), np.array([rate]), ties, np.array([stickiness]), dt_years
    )
    assert np.all(out >= 0.0)
    assert np.all(np.abs(out.sum(axis=2) - 1.0) <= SIMPLEX_TOL)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(DIMS.states),
    st.sampled_from(DIMS.partners),
    st.sampled_from(["economic_share", "security_share"]),
    st.floats(-0.5, 1.5),
)
def test_setting_any_share_keeps_the_simplex(state_name, partner, field, value) -> None:
    """Writing any value to any share leaves that profile on the simplex."""
    state, params = build(DIMS, START)
    (target,) = resolve(f"states.{state_name}.{field}.{partner}", DIMS)
    target.set(state, params, np.array([value]))
    assert np.all(state.share >= 0.0)
    assert np.all(np.abs(state.share.sum(axis=2) - 1.0) <= SIMPLEX_TOL)
    assert target.get(state, params)[0] == min(max(value, 0.0), 1.0)
