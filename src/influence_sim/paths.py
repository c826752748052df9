"""Dotted paths naming any value of a run, for overrides, shocks and sweeps.

A path such as ``states.tajikistan.threat_exposure``, ``powers.russia.economic_capacity``,
``relations.china.russia.trust`` or ``parameters.coordination`` names one value per run; ``*``
in an entity position names every entity (``states.*.hedging``). :func:`resolve` turns a path
into :class:`Slot` objects: the places in the kernel's arrays it names, which read and write
their values.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from influence_sim._text import with_hint
from influence_sim.kernel.arrays import (
    DOMAINS,
    GLOBAL_PARAMETERS,
    REST_OF_WORLD,
    Dims,
    FloatArray,
    Params,
    State,
)
from influence_sim.seeds import DYAD

Container = Literal["state", "params"]


class PathError(ValueError):
    """A path that names nothing; the message says what was expected."""


def canonical_path(key: str) -> str:
    """Expand a short keyword name into its dotted path.

    ``afghan_instability`` is ``afghanistan.instability``, ``initial_trust`` is
    ``relations.china.russia.trust`` and a bare name is ``parameters.NAME``; a dotted path is
    returned as it is.
    """
    if key == "afghan_instability":
        return "afghanistan.instability"
    if key == "initial_trust":
        return "relations.china.russia.trust"
    if "." not in key:
        return f"parameters.{key}"
    return key


@dataclass(frozen=True)
class Slot:
    """The place in the kernel's arrays that a concrete path names: one value per run.

    Attributes:
        path: The concrete dotted path (no wildcards).
        container: ``state`` or ``params``.
        field: Attribute of :class:`State` or :class:`Params`.
        index: Index into the array after the batch axis.
        low: Lower bound the value is clipped to after a change.
        high: Upper bound, or None.
        simplex: For shares, the partner axis is renormalised after a change.
    """

    path: str
    container: Container
    field: str
    index: tuple[int, ...]
    low: float | None = None
    high: float | None = None
    simplex: bool = False

    def _array(self, state: State, params: Params) -> FloatArray:
        obj = state if self.container == "state" else params
        value: FloatArray = getattr(obj, self.field)
        return value

    def get(self, state: State, params: Params) -> FloatArray:
        """Return the current value of every run, shape ``(B,)``."""
        arr = self._array(state, params)
        where: tuple[Any, ...] = (slice(None), *self.index)
        return np.array(arr[where], dtype=np.float64)

    def set(
        self,
        state: State,
        params: Params,
        values: FloatArray,
        mask: FloatArray | None = None,
    ) -> None:
        """Write new values (clipped to the bounds) in place, for the runs where ``mask`` holds.

        For a share, the other partners of the same state and domain are rescaled so that the
        profile stays on the simplex.

        Args:
            state: State to change.
            params: Parameters to change.
            values: ``(B,)`` new values.
            mask: ``(B,)`` booleans; None changes every run.
        """
        arr = self._array(state, params)
        where: tuple[Any, ...] = (slice(None), *self.index)
        old = arr[where]
        new = np.asarray(values, dtype=float)
        if self.low is not None or self.high is not None:
            new = np.clip(new, self.low, self.high)
        if mask is not None:
            new = np.where(mask, new, old)
        if not self.simplex:
            arr[where] = new
            return
        s, k, d = self.index
        profile = arr[:, s, :, d]
        others = profile.sum(axis=1) - profile[:, k]
        scale = np.where(others > 0.0, (1.0 - new) / np.where(others > 0.0, others, 1.0), 0.0)
        rescaled = profile * scale[:, None]
        rescaled[:, k] = new
        # a profile whose other partners were all zero gives the remainder to rest of world
        empty = others <= 0.0
        if np.any(empty):
            rescaled[empty, -1] += 1.0 - rescaled[empty].sum(axis=1)
        arr[:, s, :, d] = rescaled


STATE_FIELDS = (
    "hedging",
    "threat_exposure",
    "threat",
    "trade_usd_bn",
    "arms_base_usd_bn",
    "economic_share",
    "security_share",
    "membership",
    "presence",
    "credibility",
    "infrastructure",
    "gdp_usd_bn",
    "gdp_growth",
    "arms_propensity",
)
START_ONLY: dict[str, tuple[str, str]] = {"arms_propensity": ("arms_base_usd_bn", "arms demand")}
"""State fields that only set the start of a run: each with the state field derived from it and
what that field is.

Initialisation derives zero-threat arms demand ``arms_base_usd_bn`` from ``arms_propensity``
(``exp(a) * GDP ** arms_gdp_elasticity``, :func:`influence_sim.initial._rederive`); the kernel
then grows that demand with GDP and never reads the propensity again. A path to one of these
fields is a starting value (an override, a sweep factor) but not a shock target: a shock on it
would change the parameter and no output. Arms demand during a run is changed through the
derived field instead.
"""

POWER_FIELDS = (
    "economic_capacity",
    "security_capacity",
    "priority",
    "doctrine",
    "capacity_growth",
    "sanctions",
)
RELATION_FIELDS = ("trust", "coordination")
TOP_LEVEL = ("states", "powers", "relations", "parameters", "afghanistan")


def _suggest(
    word: str,
    choices: tuple[str, ...] | list[str],
    hints: dict[str, str] | None = None,
) -> str:
    """Say what was expected instead of ``word``, with the closest candidate if one is close.

    Args:
        word: The misspelt segment of a path.
        choices: What that segment may be; they are listed.
        hints: Further candidates for the same segment, each with what to suggest when it is the
            closest (e.g. a state name suggesting ``states.<name>.<field>`` when the section
            was left out). They are compared, not listed.

    Returns:
        ``expected one of a, b, c`` and, when a candidate is close, ``; did you mean 'x'?``.
    """
    candidates = {c: c for c in choices}
    candidates.update(hints or {})
    return with_hint(f"expected one of {', '.join(choices)}", word, candidates)


def _entity_hints(parts: list[str], dims: Dims) -> dict[str, str]:
    """Full paths to suggest for a path that starts with an entity instead of a section.

    ``tajikstan.threat_exposure`` was probably meant as ``states.tajikistan.threat_exposure``:
    the first segment is compared with the states when the next one is a state field, with
    the powers when it is a power field, and with both otherwise.
    """
    rest = ".".join(parts[1:])
    field = parts[1] if len(parts) > 1 else ""
    maybe_state = field in STATE_FIELDS or field not in POWER_FIELDS
    maybe_power = field in POWER_FIELDS or field not in STATE_FIELDS
    hints: dict[str, str] = {}
    for section, names, wanted in (
        ("powers", dims.powers, maybe_power),
        ("states", dims.states, maybe_state),
    ):
        if wanted:
            hints.update({name: ".".join(filter(None, (section, name, rest))) for name in names})
    return hints


def _pick(word: str, choices: tuple[str, ...], what: str) -> list[int]:
    if word == "*":
        return list(range(len(choices)))
    if word not in choices:
        raise PathError(f"unknown {what} '{word}' ({_suggest(word, choices)})")
    return [choices.index(word)]


def _need(parts: list[str], n: int, form: str) -> None:
    if len(parts) != n:
        raise PathError(f"a path here has the form {form}")


def resolve(path: str, dims: Dims) -> list[Slot]:
    """Turn a dotted path into the slots it names.

    Args:
        path: Dotted path, wildcards allowed in entity positions.
        dims: Names of the run's entities.

    Returns:
        One slot per concrete value named (at least one).

    Raises:
        PathError: If the path names nothing; the message lists what was expected.
    """
    parts = path.split(".")
    head = parts[0]
    if head == "parameters":
        _need(parts, 2, "parameters.NAME")
        if parts[1] not in GLOBAL_PARAMETERS:
            raise PathError(
                f"unknown parameter '{parts[1]}' ({_suggest(parts[1], GLOBAL_PARAMETERS)})"
            )
        from influence_sim.parameters import PARAMETERS

        spec = PARAMETERS[parts[1]]
        return [Slot(path, "params", parts[1], (), spec.low, spec.high)]
    if head == "afghanistan":
        _need(parts, 2, "afghanistan.instability")
        if parts[1] != "instability":
            raise PathError(f"unknown field '{parts[1]}' ({_suggest(parts[1], ('instability',))})")
        return [Slot(path, "state", "instability", (), 0.0, 1.0)]
    if head == "relations":
        _need(parts, 4, "relations.china.russia.FIELD")
        if {parts[1], parts[2]} != set(DYAD):
            raise PathError(
                "only the China-Russia relation is modelled (expected relations.china.russia.FIELD)"
            )
        if parts[3] == "trust":
            return [Slot(path, "state", "trust", (), 0.0, 1.0)]
        if parts[3] == "coordination":
            return [Slot(path, "state", "coordination", (), 0.0, 1.0)]
        raise PathError(f"unknown field '{parts[3]}' ({_suggest(parts[3], RELATION_FIELDS)})")
    if head == "powers":
        if len(parts) != 3:
            raise PathError("a path here has the form powers.POWER.FIELD")
        out = []
        for p in _pick(parts[1], dims.powers, "power"):
            concrete = f"powers.{dims.powers[p]}.{parts[2]}"
            out.append(_power_slot(concrete, parts[2], p))
        return out
    if head == "states":
        if len(parts) not in (3, 4):
            raise PathError("a path here has the form states.STATE.FIELD or states.STATE.FIELD.WHO")
        field = parts[2]
        if field not in STATE_FIELDS:
            raise PathError(f"unknown field '{field}' ({_suggest(field, STATE_FIELDS)})")
        out = []
        for s in _pick(parts[1], dims.states, "state"):
            out.extend(_state_slots(parts, s, dims))
        return out
    raise PathError(
        f"unknown section '{head}' ({_suggest(head, TOP_LEVEL, _entity_hints(parts, dims))})"
    )


def _power_slot(path: str, field: str, p: int) -> Slot:
    if field == "economic_capacity":
        return Slot(path, "state", "capacity", (p, 0), 0.0, None)
    if field == "security_capacity":
        return Slot(path, "state", "capacity", (p, 1), 0.0, None)
    if field == "priority":
        return Slot(path, "params", "priority", (p,), 0.0, 1.0)
    if field == "doctrine":
        return Slot(path, "params", "doctrine", (p,), 0.0, 1.0)
    if field == "capacity_growth":
        return Slot(path, "params", "capacity_growth", (p,), -1.0, 1.0)
    if field == "sanctions":
        return Slot(path, "state", "sanctions", (p,), 0.0, 1.0)
    raise PathError(f"unknown field '{field}' ({_suggest(field, POWER_FIELDS)})")


def _state_slots(parts: list[str], s: int, dims: Dims) -> list[Slot]:
    field = parts[2]
    name = dims.states[s]
    simple: dict[str, tuple[Container, str, float | None, float | None]] = {
        "hedging": ("params", "hedging", 0.0, 1.0),
        "threat_exposure": ("params", "threat_exposure", 0.0, 1.0),
        "threat": ("state", "threat", 0.0, 1.0),
        "trade_usd_bn": ("state", "trade", 0.0, None),
        "arms_base_usd_bn": ("state", "arms_base", 0.0, None),
        "gdp_usd_bn": ("state", "gdp", 0.0, None),
        "gdp_growth": ("params", "gdp_growth", -0.5, 0.5),
        "arms_propensity": ("params", "arms_propensity", -30.0, 10.0),
    }
    if field in simple:
        if len(parts) != 3:
            raise PathError(f"states.STATE.{field} takes no further part")
        container, attr, low, high = simple[field]
        return [Slot(f"states.{name}.{field}", container, attr, (s,), low, high)]
    if len(parts) != 4:
        raise PathError(f"a path here has the form states.STATE.{field}.WHO")
    who = parts[3]
    out = []
    if field in ("economic_share", "security_share"):
        d = DOMAINS.index(field.split("_")[0])
        for k in _pick(who, dims.partners, "partner"):
            concrete = f"states.{name}.{field}.{dims.partners[k]}"
            out.append(Slot(concrete, "state", "share", (s, k, d), 0.0, 1.0, simplex=True))
        return out
    if field == "membership":
        for o in _pick(who, dims.organisations, "organisation"):
            concrete = f"states.{name}.membership.{dims.organisations[o]}"
            out.append(Slot(concrete, "state", "membership", (s, o), 0.0, 1.0))
        return out
    for p in _pick(who, dims.powers, "power"):
        concrete = f"states.{name}.{field}.{dims.powers[p]}"
        out.append(Slot(concrete, "state", field, (s, p), 0.0, 1.0))
    return out


def __getattr__(name: str) -> type[Slot]:
    """``Target``: the former name of :class:`Slot`, kept for one release with a warning."""
    if name == "Target":
        warnings.warn(
            "influence_sim.paths.Target is now Slot; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return Slot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["REST_OF_WORLD", "START_ONLY", "PathError", "Slot", "canonical_path", "resolve"]
