"""Values given by dotted path, checked as a scenario file checks them, never clipped.

* :func:`scenario_with_overrides` applies ``{path: value}`` to a scenario as a file that
  ``extends`` it would: each path is written where a scenario file writes that value
  (``parameters.coordination`` under ``parameters:``, ``states.tajikistan.hedging`` under
  ``parameters: hedging: tajikistan:``, ``states.kazakhstan.security_share.china`` under
  ``actors: states:``), so a bad value gets the message a YAML file would get, in the file
  ``overrides``. Paths a scenario file cannot write (``relations.china.russia.coordination``,
  ...) are checked against the range of the values they name, as a sweep checks its factors.
* :func:`checked_value` checks one value against the range of a path, for the keyword
  arguments and ``overrides`` of :class:`influence_sim.InfluenceModel`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

from influence_sim import seeds as sd
from influence_sim.kernel.arrays import POWER_PARAMETERS, STATE_PARAMETERS, Dims
from influence_sim.parameters import PARAMETERS
from influence_sim.paths import PathError, canonical_path, resolve
from influence_sim.scenario import Problem, Scenario, ScenarioError, load_scenario
from influence_sim.scenario.errors import show
from influence_sim.scenario.load import LAYER_FILE
from influence_sim.scenario.spec import STATE_MAPS, STATE_SCALARS, _fmt, range_text

__all__ = ["check_mapping", "checked_value", "path_bounds", "range_text", "scenario_with_overrides"]

_SHORT = {
    "afghanistan.instability": "afghan_instability",
    "relations.china.russia.trust": "initial_trust",
}
"""Paths a scenario file writes as a starting value under ``parameters:``."""


def path_bounds(path: str, dims: Dims) -> tuple[float | None, float | None]:
    """Smallest and largest value every target of ``path`` accepts (None: unbounded).

    For a model parameter, the range of the ODD parameter table (what a scenario file accepts)
    is used too; the tighter bound wins.

    Args:
        path: A dotted path (short names allowed).
        dims: Entities of the run.

    Returns:
        ``(low, high)``.

    Raises:
        influence_sim.paths.PathError: If the path names nothing.
    """
    canonical = canonical_path(path)
    low, high = -math.inf, math.inf
    for slot in resolve(canonical, dims):
        if slot.low is not None:
            low = max(low, slot.low)
        if slot.high is not None:
            high = min(high, slot.high)
    head, name = canonical.split(".", 1)[0], canonical.rsplit(".", 1)[-1]
    if name in PARAMETERS and (head == "parameters" or PARAMETERS[name].scope != "global"):
        spec = PARAMETERS[name]
        low = max(low, spec.low)
        if spec.high is not None:
            high = min(high, spec.high)
    return (None if math.isinf(low) else low), (None if math.isinf(high) else high)


def _why_not(value: Any, low: float | None, high: float | None) -> str | None:
    """Why ``value`` is not a finite number from ``low`` to ``high``, or None if it is."""
    if isinstance(value, str):  # float() would read '0.5'; a scenario file refuses text too
        return f"{value!r} is text, not a number"
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    except OverflowError:  # a whole number too large for a float
        return f"{show(value)} is not a finite number"
    if not math.isfinite(number):
        return f"{value!r} is not a finite number"
    if (low is not None and number < low) or (high is not None and number > high):
        return f"{_fmt(number)} is out of range"
    return None


def check_mapping(what: str, overrides: object) -> None:
    """Refuse ``overrides`` that are not a mapping (a list of pairs, a text, ...).

    Raises:
        TypeError: ``WHAT must be a mapping of dotted path to value, not list``.
    """
    if overrides is not None and not isinstance(overrides, Mapping):
        kind = type(overrides).__name__
        raise TypeError(f"{what} must be a mapping of dotted path to value, not {kind}")


def checked_value(name: str, value: Any, dims: Dims, path: str | None = None) -> float:
    """Check one value against the range of the path it is written to.

    Args:
        name: How the value was named by the caller (``coordination``), used in the message.
        value: The value.
        dims: Entities of the run.
        path: Its dotted path; defaults to ``name``.

    Returns:
        The value as a float.

    Raises:
        ValueError: If it is not a finite number (text such as ``'0.5'`` included) or lies
            outside the range, naming ``name`` and the range (nothing is clipped).
        influence_sim.paths.PathError: If the path names nothing.
    """
    low, high = path_bounds(path or name, dims)
    why = _why_not(value, low, high)
    if why is not None:
        raise ValueError(f"{name}={why} (expected {range_text(low, high)})")
    return float(value)


# --------------------------------------------------------------------------- scenarios


def _put(layer: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    here = layer
    for key in keys[:-1]:
        if not isinstance(here.get(key), dict):
            here[key] = {}
        here = here[key]
    here[keys[-1]] = value


def _entity_parameter(
    layer: dict[str, Any],
    base: Scenario,
    name: str,
    entities: tuple[str, ...],
    who: str,
    value: Any,
) -> None:
    """Write a state or power parameter under ``parameters:``, one entity or all (``*``)."""
    section = layer.setdefault("parameters", {})
    if who == "*":
        section[name] = value
        return
    current = section.get(name)
    if not isinstance(current, dict):
        inherited = base.spec.parameters.get(name)
        if isinstance(current, (int, float)) or isinstance(inherited, (int, float)):
            # a number for every entity is inherited: keep it for the others
            number = current if current is not None else inherited
            current = dict.fromkeys(entities, number)
        else:
            current = dict(inherited) if isinstance(inherited, Mapping) else {}
        section[name] = current
    current[who] = value


def _place(
    layer: dict[str, Any], direct: dict[str, Any], base: Scenario, path: str, value: Any
) -> None:
    """Write one override where a scenario file writes it (or keep it as a direct path)."""
    dims = base.dims
    parts = path.split(".")
    if path in _SHORT or parts[0] == "parameters":
        _put(layer, ("parameters", _SHORT[path] if path in _SHORT else parts[1]), value)
        return
    for section, fields, entities in (
        ("states", STATE_PARAMETERS, dims.states),
        ("powers", POWER_PARAMETERS, dims.powers),
    ):
        if parts[0] == section and len(parts) == 3 and parts[2] in fields:
            who, field = parts[1], parts[2]
            # under parameters:, unless the scenario writes it for this entity under actors:
            entries = getattr(base.spec.actors, section)
            if who == "*" or who not in entries or getattr(entries[who], field, None) is None:
                _entity_parameter(layer, base, field, entities, who, value)
                return
    if parts[0] == "states" and parts[2] in (*STATE_SCALARS, *STATE_MAPS):
        for state in dims.states if parts[1] == "*" else (parts[1],):
            if len(parts) == 4 and parts[3] == "*":
                whos = dims.organisations if parts[2] == "membership" else dims.partners
                if parts[2] in ("presence", "credibility"):
                    whos = dims.powers
                for who in whos:
                    _put(layer, ("actors", "states", state, parts[2], who), value)
            else:
                _put(layer, ("actors", "states", state, *parts[2:]), value)
        return
    if parts[0] == "powers" and parts[2] in ("economic_capacity", "security_capacity"):
        powers = dims.powers if parts[1] == "*" else (parts[1],)
        if all(p in sd.DEFAULT_POWERS for p in powers):
            for power in powers:
                _put(layer, ("actors", "powers", power, parts[2]), value)
            return
    direct[path] = value


def scenario_with_overrides(
    scenario: Scenario | str | os.PathLike[str], overrides: Mapping[str, Any] | None
) -> tuple[Scenario, dict[str, float]]:
    """Apply ``{path: value}`` to a scenario as a file that extends it would.

    Args:
        scenario: A loaded scenario or the path of a scenario file.
        overrides: Dotted paths (as in sweep files and shock targets; ``*`` for every entity;
            short names such as ``coordination`` or ``afghan_instability`` too) to values.

    Returns:
        ``(scenario, direct)``: the scenario with the overrides merged in and validated, and
        the overrides a scenario file cannot write, checked, to be applied on top of
        :meth:`Scenario.overrides <influence_sim.scenario.Scenario.overrides>`.

    Raises:
        influence_sim.scenario.ScenarioError: Every problem found, as for a scenario file:
            unknown paths (with the closest known one), values that are not numbers or lie
            outside their range. Problems of the overrides are located in the file
            ``overrides``.
        TypeError: If ``overrides`` is not a mapping.
    """
    check_mapping("overrides", overrides)
    path = scenario.path if isinstance(scenario, Scenario) else scenario
    base = scenario if isinstance(scenario, Scenario) else load_scenario(path)
    if not overrides:
        return base, {}
    layer: dict[str, Any] = {}
    direct: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in overrides.items():
        written = str(key).strip()
        if written in STATE_PARAMETERS:
            written = f"states.*.{written}"
        elif written in POWER_PARAMETERS:
            written = f"powers.*.{written}"
        canonical = canonical_path(written)
        try:
            resolve(canonical, base.dims)
        except PathError as exc:
            problems.append(Problem(LAYER_FILE, None, None, str(key), str(exc)))
            continue
        _place(layer, direct, base, canonical, value)
    checked: dict[str, float] = {}
    for key, value in direct.items():
        low, high = path_bounds(key, base.dims)
        why = _why_not(value, low, high)
        if why is None:
            checked[key] = float(value)
        else:
            problems.append(Problem(LAYER_FILE, None, None, key, why, range_text(low, high)))
    if problems:
        raise ScenarioError(problems)
    return load_scenario(path, layer=layer) if layer else base, checked
