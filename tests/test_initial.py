"""Initialisation: the affinity fit, response weights versus departures, re-derived starts."""

from __future__ import annotations

import datetime as dt

import numpy as np

from influence_sim.initial import RESPONSE_WEIGHTS, build, default_dims
from influence_sim.kernel.step import step

DIMS = default_dims()
START = dt.date(2021, 1, 1)


def first_targets(overrides: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Starting shares and the noise-free targets of the first quarter."""
    state, params = build(DIMS, START, overrides)
    noise = np.zeros((1, DIMS.n_states, DIMS.n_powers, 2))
    out = step(state, params, noise, 0.25, DIMS)
    return state.share[0], out.target[0]


def test_baseline_starts_with_targets_equal_to_its_shares():
    """Under the reference parameters the states' first targets are their starting shares."""
    share, target = first_targets({})
    np.testing.assert_allclose(target, share, atol=1e-6)


def test_response_weights_are_refitted_so_the_run_starts_at_rest():
    """Changing a response weight leaves the first targets on the starting shares."""
    for name in RESPONSE_WEIGHTS:
        value = 0.0 if name == "entry_share" else 3.0
        share, target = first_targets({f"parameters.{name}": value})
        np.testing.assert_allclose(target, share, atol=1e-6, err_msg=name)


def test_departures_move_the_first_targets():
    """Doubling China's priority is a departure: China's targets rise above its shares."""
    share, target = first_targets({"powers.china.priority": 1.0})
    china = DIMS.powers.index("china")
    assert np.all(target[:, china, :] > share[:, china, :] + 0.01)


def test_credibility_starts_at_the_runs_own_trade_shares():
    """Overriding starting trade shares re-derives credibility from them."""
    state, _ = build(DIMS, START, {"states.*.economic_share.russia": 0.8})
    russia = DIMS.powers.index("russia")
    np.testing.assert_allclose(state.credibility[0, :, russia], 0.8)
    np.testing.assert_allclose(state.credibility[0], state.share[0, :, : DIMS.n_powers, 0])
