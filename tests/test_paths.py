"""Tests of dotted paths: resolving, suggestions, errors and writing values."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from influence_sim.initial import build, default_dims
from influence_sim.kernel.arrays import ECON, GLOBAL_PARAMETERS, SEC
from influence_sim.paths import PathError, Slot, resolve

DIMS = default_dims()
START = dt.date(2021, 1, 1)
TAJ = DIMS.states.index("tajikistan")
CHINA, RUSSIA = DIMS.powers.index("china"), DIMS.powers.index("russia")


@pytest.fixture
def arrays():
    """Three runs of the default actors at the start."""
    return build(DIMS, START, [{}, {}, {}])


def test_wildcard_state_expands_to_every_state() -> None:
    """states.*.hedging names one slot per state, in array order."""
    slots = resolve("states.*.hedging", DIMS)
    assert [t.path for t in slots] == [f"states.{s}.hedging" for s in DIMS.states]
    assert [t.index for t in slots] == [(i,) for i in range(DIMS.n_states)]


def test_wildcard_power_and_partner() -> None:
    """Wildcards work for powers and for the partner of a share (rest of world included)."""
    assert len(resolve("powers.*.priority", DIMS)) == DIMS.n_powers
    shares = resolve("states.tajikistan.security_share.*", DIMS)
    assert [t.path.rsplit(".", 1)[1] for t in shares] == list(DIMS.partners)
    both = resolve("states.*.credibility.*", DIMS)
    assert len(both) == DIMS.n_states * DIMS.n_powers


def test_concrete_paths_name_the_right_arrays() -> None:
    """Common paths point at the expected container, field and index."""
    (cap,) = resolve("powers.russia.economic_capacity", DIMS)
    assert (cap.container, cap.field, cap.index) == ("state", "capacity", (RUSSIA, ECON))
    (share,) = resolve("states.tajikistan.security_share.china", DIMS)
    assert (share.field, share.index, share.simplex) == ("share", (TAJ, CHINA, SEC), True)
    (trust,) = resolve("relations.russia.china.trust", DIMS)
    assert (trust.container, trust.field) == ("state", "trust")
    (coord,) = resolve("relations.china.russia.coordination", DIMS)
    assert (coord.container, coord.field) == ("state", "coordination")
    (exposure,) = resolve("states.tajikistan.threat_exposure", DIMS)
    assert (exposure.field, exposure.index) == ("threat_exposure", (TAJ,))


def test_every_global_parameter_resolves() -> None:
    """parameters.NAME resolves for each global parameter."""
    for name in GLOBAL_PARAMETERS:
        (slot,) = resolve(f"parameters.{name}", DIMS)
        assert slot.field == name


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("states.tajikistn.hedging", "tajikistan"),
        ("states.tajikistan.hedgin", "hedging"),
        ("parameters.coordinaton", "coordination"),
        ("powers.rusia.priority", "russia"),
        ("powers.russia.economic_capcity", "economic_capacity"),
        ("relations.china.russia.trusst", "trust"),
        ("afghanistan.instabilty", "instability"),
        ("state.tajikistan.hedging", "states"),
        ("states.tajikistan.membership.cst", "csto"),
        ("states.tajikistan.security_share.chna", "china"),
    ],
)
def test_typos_get_a_did_you_mean(path, suggestion) -> None:
    """A misspelt word raises PathError with a suggestion of the intended one."""
    with pytest.raises(PathError, match=f"did you mean '{suggestion}'"):
        resolve(path, DIMS)


@pytest.mark.parametrize(
    ("path", "suggestion"),
    [
        ("tajikstan.threat_exposure", "states.tajikistan.threat_exposure"),
        ("tajikistan.hedging", "states.tajikistan.hedging"),
        ("kazakstan.security_share.china", "states.kazakhstan.security_share.china"),
        ("rusia.priority", "powers.russia.priority"),
        ("china.economic_capacity", "powers.china.economic_capacity"),
        ("afganistan.instability", "afghanistan"),
    ],
)
def test_a_path_without_its_section_is_matched_against_the_right_entities(path, suggestion) -> None:
    """A path that starts with a (misspelt) state or power suggests the full path to it.

    The first segment is compared with the states when the field is a state field and with
    the powers when it is a power field: 'tajikstan' must not suggest 'afghanistan'.
    """
    with pytest.raises(PathError) as info:
        resolve(path, DIMS)
    assert f"did you mean '{suggestion}'?" in str(info.value)


@pytest.mark.parametrize(
    "path",
    [
        "weather.tomorrow",
        "zzz",
        "states.tajikistan.colour",
        "powers.russia.navy",
        "parameters.xyzzy",
        "relations.china.united_states.trust",
        "relations.china.russia.love",
        "states.atlantis.hedging",
    ],
)
def test_unknown_sections_and_fields_are_rejected(path) -> None:
    """A path whose section, entity or field does not exist raises PathError."""
    with pytest.raises(PathError):
        resolve(path, DIMS)


@pytest.mark.parametrize(
    "path",
    [
        "parameters",
        "parameters.coordination.extra",
        "powers.russia",
        "states.tajikistan",
        "states.tajikistan.hedging.china",
        "states.tajikistan.security_share",
        "relations.china.russia",
    ],
)
def test_paths_of_the_wrong_length_are_rejected(path) -> None:
    """Too few or too many parts raise PathError rather than an IndexError."""
    with pytest.raises(PathError):
        resolve(path, DIMS)


def test_path_error_is_a_value_error() -> None:
    """PathError can be caught as ValueError."""
    assert issubclass(PathError, ValueError)


def test_set_share_keeps_the_profile_on_the_simplex(arrays) -> None:
    """Setting a share rescales the other partners so the profile still sums to one."""
    state, params = arrays
    original = state.share.copy()
    before = original[:, TAJ, :, SEC]
    (slot,) = resolve("states.tajikistan.security_share.china", DIMS)
    slot.set(state, params, np.array([0.5, 0.0, 1.0]))
    after = state.share[:, TAJ, :, SEC]
    assert np.allclose(after.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(after >= 0.0)
    assert np.allclose(after[:, CHINA], [0.5, 0.0, 1.0])
    # the others keep their proportions to one another
    others = [k for k in range(DIMS.n_partners) if k != CHINA]
    for b in range(2):
        assert np.allclose(
            after[b, others] / after[b, others].sum(), before[b, others] / before[b, others].sum()
        )
    # other states and the other domain are untouched
    untouched = np.ones(state.share.shape, dtype=bool)
    untouched[:, TAJ, :, SEC] = False
    assert np.array_equal(state.share[untouched], original[untouched])


def test_set_share_clips_and_respects_the_mask(arrays) -> None:
    """Share values are clipped to [0, 1] and unmasked runs keep their profile."""
    state, params = arrays
    before = state.share.copy()
    (slot,) = resolve("states.tajikistan.economic_share.russia", DIMS)
    slot.set(state, params, np.array([1.7, -0.3, 0.4]), np.array([True, True, False]))
    assert state.share[0, TAJ, RUSSIA, ECON] == 1.0
    assert state.share[1, TAJ, RUSSIA, ECON] == 0.0
    assert np.array_equal(state.share[2], before[2])
    assert np.allclose(state.share[:, TAJ, :, ECON].sum(axis=1), 1.0, atol=1e-12)


def test_set_share_after_a_monopoly_gives_the_rest_to_rest_of_world(arrays) -> None:
    """Lowering a share that held everything passes the remainder to rest of world."""
    state, params = arrays
    (slot,) = resolve("states.tajikistan.security_share.russia", DIMS)
    slot.set(state, params, np.ones(3))
    slot.set(state, params, np.full(3, 0.3))
    profile = state.share[0, TAJ, :, SEC]
    assert profile[RUSSIA] == pytest.approx(0.3)
    assert profile[-1] == pytest.approx(0.7)
    assert profile.sum() == pytest.approx(1.0, abs=1e-12)


def test_set_clips_bounded_values(arrays) -> None:
    """Values are clipped to each slot's bounds (trust to [0, 1], capacity to >= 0)."""
    state, params = arrays
    (trust,) = resolve("relations.china.russia.trust", DIMS)
    trust.set(state, params, np.array([1.5, -1.0, 0.4]))
    assert state.trust.tolist() == [1.0, 0.0, 0.4]
    (cap,) = resolve("powers.china.security_capacity", DIMS)
    cap.set(state, params, np.array([-2.0, 0.1, 3.0]))
    assert state.capacity[:, CHINA, SEC].tolist() == [0.0, 0.1, 3.0]


def test_get_returns_a_copy(arrays) -> None:
    """Slot.get returns one value per run, detached from the arrays."""
    state, params = arrays
    (slot,) = resolve("states.tajikistan.hedging", DIMS)
    values = slot.get(state, params)
    assert values.shape == (3,)
    values[:] = 99.0
    assert np.all(params.hedging[:, TAJ] < 1.0)


def test_set_through_a_wildcard_writes_every_entity(arrays) -> None:
    """Setting every slot of a wildcard path changes each entity."""
    state, params = arrays
    for slot in resolve("states.*.hedging", DIMS):
        slot.set(state, params, np.full(3, 1.0))
    assert np.all(params.hedging == 1.0)


def test_target_is_a_deprecated_alias_of_slot() -> None:
    """The slot class was called ``Target``; the old name works for one release."""
    import influence_sim.paths as paths

    with pytest.warns(DeprecationWarning, match="Target is now Slot"):
        alias = paths.Target
    assert alias is Slot
    assert all(isinstance(s, Slot) for s in resolve("states.*.hedging", DIMS))
    with pytest.raises(AttributeError):
        _ = paths.Targets
