"""The scenario language as an immutable, validated specification (pydantic v2).

:class:`ScenarioSpec` checks a scenario document (read by :mod:`influence_sim.scenario.load`):
types, ranges, dates inside the run, unknown keys, and the paths of shock targets and conditions.
Every model is frozen and every collection in it a tuple or a read-only mapping.

Each check raises a ``PydanticCustomError`` whose context carries ``message`` and ``expected``
(or ``issues``: ``(sub-path, message, expected, at_key)`` tuples, for several problems at once);
the loader turns them into ``FILE:LINE:COL: key.path: message (expected ...)`` lines.

Checks that need to know the run (its powers and dates) read a :class:`Frame` that
:class:`ScenarioSpec` derives leniently from the raw document before validation, so a mistake in
one section never hides those in another.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal, NoReturn, Self, TypeVar, override

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ModelWrapValidatorHandler,
    PlainSerializer,
    Tag,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError, core_schema

from influence_sim import seeds as sd
from influence_sim._text import text_problem
from influence_sim.calendar import STEP_MONTHS, Clock
from influence_sim.kernel.arrays import REST_OF_WORLD, Dims
from influence_sim.parameters import INITIAL_CONDITIONS, PARAMETERS
from influence_sim.paths import START_ONLY, PathError, canonical_path, resolve
from influence_sim.scenario.errors import PathItem, kind_of, show, suggest, with_hint

__all__ = [
    "DISTRIBUTIONS",
    "EARLIEST",
    "LATEST",
    "MAX_MAGNITUDE",
    "METRICS",
    "OPS",
    "TAG",
    "ActorsSpec",
    "Beta",
    "Choice",
    "Distribution",
    "Frame",
    "FrozenMap",
    "Issue",
    "LogNormal",
    "NewPower",
    "Normal",
    "OutputsSpec",
    "PowerOverride",
    "ScenarioSpec",
    "ShockSpec",
    "StateOverride",
    "TimeSpec",
    "Triangular",
    "Uniform",
    "WhenSpec",
    "dims_of",
    "override_items",
    "range_text",
    "suggest",
]

# --------------------------------------------------------------------------- limits and names

EARLIEST = dt.date(1900, 1, 1)
"""Earliest date a scenario may use."""

LATEST = dt.date(2200, 12, 31)
"""Latest date a scenario may use."""

MAX_MAGNITUDE = 1e9
"""Largest absolute value of any number in a scenario (larger ones are typing mistakes)."""

MAX_REPLICATES = 100_000
MAX_SEED = 2**128 - 1
MAX_NAME = 100
MAX_DESCRIPTION = 20_000
MAX_PATH = 200
MAX_HALF_LIFE_YEARS = 1000.0
MAX_CHOICES = 1000

OPS: tuple[str, ...] = ("set", "add", "scale", "ramp", "pulse")
"""Shock operations."""

STEPS: tuple[str, ...] = tuple(STEP_MONTHS)
"""Step lengths."""

DISTRIBUTIONS: tuple[str, ...] = ("normal", "lognormal", "uniform", "triangular", "beta", "choice")
"""Distributions a shock value may be drawn from."""

METRICS: Mapping[str, str] = {
    "share": "economic and security shares of every partner in every state",
    "volume": "trade and arms imports by state and partner, USD bn per year",
    "regional_share": "volume-weighted share of every partner in the region, by domain",
    "threat": "threat perception of every state",
    "instability": "Afghan instability",
    "capacity": "economic and security capacity of every power",
    "effort": "effort every power puts into the region, by domain",
    "credibility": "security credibility of every power in every state",
    "trust": "China-Russia trust",
    "presence": "military presence of every power in every state",
    "membership": "membership of every state in the CSTO, SCO and EAEU",
}
"""Metrics a scenario may ask to record, with what each holds."""

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DURATION_RE = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(years?|y|months?|m|quarters?|q|weeks?|w|days?|d)\s*$"
)
_UNIT_YEARS = {"y": 1.0, "m": 1.0 / 12.0, "q": 0.25, "w": 7.0 / 365.25, "d": 1.0 / 365.25}

TAG = "\x00"
"""Prefix of the tags that name the forms of a shock value in error locations. Scenario files
cannot contain NUL characters, so a tag never collides with a key a user wrote."""

Issue = tuple[tuple[PathItem, ...], str, str | None, bool]
"""A problem found inside a value: (sub-path, message, expected, whether it is about a key)."""

T = TypeVar("T")

# --------------------------------------------------------------------------- messages


def _fmt(value: float) -> str:
    """Format a number briefly (``0.5``, ``1e+09``)."""
    return f"{value:.6g}"


def _not_a(value: Any, what: str) -> str:
    """Message for a value of the wrong kind, e.g. ``'abc' is text, not a number``."""
    shown, kind = show(value), kind_of(value)
    if shown in ("a list", "a mapping", "null") or shown == kind:
        return f"{kind} is not {what}"
    return f"{shown} is {kind}, not {what}"


def _fail(message: str, expected: str | None = None) -> NoReturn:
    """Raise the error every check of this module raises."""
    context: dict[str, Any] = {"message": message}
    if expected is not None:
        context["expected"] = expected
    raise PydanticCustomError("scenario", "{message}", context)


class _Issues:
    """Problems collected inside one value, raised together as one error."""

    def __init__(self) -> None:
        self.items: list[Issue] = []

    def add(
        self,
        path: Sequence[PathItem],
        message: str,
        expected: str | None = None,
        *,
        at_key: bool = False,
    ) -> None:
        """Record a problem at ``path`` below the value being checked."""
        self.items.append((tuple(path), message, expected, at_key))

    def check(self, path: Sequence[PathItem], fn: Callable[[Any], T], value: Any) -> T | None:
        """Run a check on ``value``; record its problem at ``path`` and return None if it fails."""
        try:
            return fn(value)
        except PydanticCustomError as exc:
            context = exc.context or {}
            for sub, message, expected, at_key in context.get("issues", ()):
                self.add((*path, *sub), message, expected, at_key=at_key)
            if "issues" not in context:
                self.add(path, str(context.get("message", exc.message())), context.get("expected"))
            return None

    def error(self) -> PydanticCustomError:
        """The error that carries the collected problems."""
        context = {"message": self.items[0][1], "issues": list(self.items)}
        return PydanticCustomError("scenario", "{message}", context)

    def raise_if_any(self) -> None:
        """Raise the collected problems, if any."""
        if self.items:
            raise self.error()


def _issue(path: Sequence[PathItem], message: str, expected: str) -> PydanticCustomError:
    """The error of one problem found at ``path`` below the value being checked."""
    issues = _Issues()
    issues.add(path, message, expected)
    return issues.error()


# --------------------------------------------------------------------------- read-only mapping


class FrozenMap(Mapping[str, T]):
    """A read-only mapping with keys in the order written (picklable and hashable).

    Args:
        items: The entries.
    """

    __slots__ = ("_items",)
    _items: dict[str, T]

    def __init__(self, items: Mapping[str, T] | None = None) -> None:
        """Copy ``items`` into the read-only mapping."""
        object.__setattr__(self, "_items", dict(items or {}))

    def __getitem__(self, key: str) -> T:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a FrozenMap cannot be changed")

    def __hash__(self) -> int:
        return hash(tuple(self._items.items()))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._items) == dict(other)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenMap, (self._items,))


def _thaw(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _thaw(v) if isinstance(v, Mapping) else v for k, v in value.items()}


_FREEZE = AfterValidator(FrozenMap)
_THAW = PlainSerializer(_thaw)


def _entries[T](
    value: Mapping[Any, Any],
    what: str,
    names: Sequence[str],
    check: Callable[[str, Any], T],
    many: str = "",
) -> FrozenMap[T]:
    """Check a mapping whose keys name ``what`` (one of ``names``), raising every problem found.

    An unknown key is recorded at the key; ``check(key, value)`` checks a known key's value.
    """
    issues = _Issues()
    out: dict[str, T] = {}
    for key, item in value.items():
        if not isinstance(key, str) or key not in names:
            message = f"unknown {what} {show(key)}"
            issues.add((str(key),), message, suggest(str(key), names, many), at_key=True)
            continue
        checked = issues.check((key,), partial(check, key), item)
        if checked is not None:
            out[key] = checked
    issues.raise_if_any()
    return FrozenMap(out)


# --------------------------------------------------------------------------- the run's frame


@dataclass(frozen=True)
class Frame:
    """What the checks of one document need to know about its run.

    Attributes:
        dims: States and powers of the run (after powers are added and removed).
        clock: The run's steps, or None when the time section is unusable.
        added: Powers the scenario adds.
    """

    dims: Dims
    clock: Clock | None
    added: tuple[str, ...] = ()


_FRAME: contextvars.ContextVar[Frame | None] = contextvars.ContextVar(
    "influence_sim_scenario_frame", default=None
)


def _frame() -> Frame:
    """The frame of the document being checked (the default actors outside a check)."""
    return _FRAME.get() or Frame(sd.default_dims(), None)


def dims_of(removed: Sequence[str], added: Sequence[str]) -> Dims:
    """The run's entities: the default actors less the removed powers, plus the added ones.

    Args:
        removed: Default powers to leave out.
        added: New powers, appended in this order.

    Returns:
        The dims of the run.
    """
    powers = tuple(p for p in sd.DEFAULT_POWERS if p not in removed)
    return sd.default_dims(powers=(*powers, *(p for p in added if p not in powers)))


def _frame_from(data: Any) -> Frame:
    """Derive the frame from raw data, leniently (whatever is usable is used)."""
    data = data if isinstance(data, Mapping) else {}
    actors = data.get("actors")
    actors = actors if isinstance(actors, Mapping) else {}
    remove, add = actors.get("remove_powers"), actors.get("add_powers")
    removed = [p for p in remove if p in sd.DEFAULT_POWERS] if isinstance(remove, list) else []
    added = [p for p in add if _NAME_RE.match(str(p))] if isinstance(add, Mapping) else []
    time = data.get("time")
    try:  # the clock of a time section whose start, end and step pass their checks
        run = TimeSpec.model_validate({key: time.get(key) for key in ("start", "end", "step")})
        clock: Clock | None = Clock.between(run.start, run.end, run.step)
    except (AttributeError, ValueError):  # no mapping, or a pydantic ValidationError
        clock = None
    return Frame(dims_of(removed, added), clock, tuple(added))


# --------------------------------------------------------------------------- leaf checks


def _looks_numeric(text: str) -> bool:
    """Whether text would be a number if written without quotes (or with a decimal point)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def _to_float(value: Any) -> float:
    """Accept a finite number of sensible size (never a true/false value or text)."""
    if isinstance(value, str) and _looks_numeric(value):
        expected = "a number without quotes; YAML reads 1e3 as text, so write 1.0e+3"
        _fail(f"{show(value)} is text, not a number", expected)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(_not_a(value, "a number"), "a number, e.g. 0.5")
    if isinstance(value, float) and not math.isfinite(value):
        shown = "NaN (not a number)" if math.isnan(value) else show(value)
        _fail(f"{shown} cannot be used", "a finite number")
    if abs(value) > MAX_MAGNITUDE:
        limit = f"a number from {-MAX_MAGNITUDE:.0e} to {MAX_MAGNITUDE:.0e}"
        _fail(f"{show(value)} is too large", limit)
    return float(value)


def range_text(low: float | None, high: float | None, low_open: bool = False) -> str:
    """What a number from ``low`` to ``high`` is called in messages (``a number from 0 to 1``)."""
    if low is not None and high is not None:
        return f"a number from {_fmt(low)} to {_fmt(high)}"
    if low is not None:
        return f"a number above {_fmt(low)}" if low_open else f"a number of at least {_fmt(low)}"
    if high is not None:
        return f"a number of at most {_fmt(high)}"
    return "a number"


@dataclass(frozen=True)
class _Number:
    """A number field's check and JSON schema, used as ``Annotated[float, _Number(0, 1)]``.

    Calling it checks one value: a finite number from ``low`` to ``high`` (above ``low`` when
    ``low_open``). An optional number is ``Annotated[float, _Number(...)] | None``: pydantic
    lets None through before the check.
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False

    def __call__(self, value: Any) -> float:
        """Check ``value`` and return it as a float."""
        number = _to_float(value)
        low, high = self.low, self.high
        too_low = low is not None and (number <= low if self.low_open else number < low)
        if too_low or (high is not None and number > high):
            _fail(f"{_fmt(number)} is out of range", range_text(low, high, self.low_open))
        return number

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Run the check before pydantic's own."""
        return core_schema.no_info_before_validator_function(self, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        """The number's JSON schema, with its bounds."""
        return self.json_schema()

    def json_schema(self) -> dict[str, Any]:
        """JSON schema of the number (without null)."""
        number: dict[str, Any] = {"type": "number"}
        if self.low is not None:
            number["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        if self.high is not None:
            number["maximum"] = self.high
        return number


def _parameter(name: str) -> _Number:
    """The check of a model parameter's range (see :data:`PARAMETERS`), else of a share."""
    spec = PARAMETERS.get(name)
    return _Number(0.0, 1.0) if spec is None else _Number(spec.low, spec.high)


def _whole(low: int, high: int, expected: str = "") -> Callable[[Any], int]:
    expected = expected or f"a whole number from {low:,} to {high:,}"

    def check(value: Any) -> int:
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(_not_a(value, "a whole number"), expected)
        if not low <= value <= high:
            _fail(f"{show(value)} is out of range", expected)
        return value

    return check


def _to_date(value: Any) -> dt.date:
    """Accept a date (written 2021-08-15, with or without quotes) between 1900 and 2200."""
    expected = "a date, e.g. 2021-08-15"
    if isinstance(value, dt.datetime):
        _fail(f"{show(value)} is a date and time", "a date without a time, e.g. 2021-08-15")
    if isinstance(value, str) and _DATE_RE.match(value.strip()):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            _fail(f"{show(value)} is not a real calendar date", expected)
    if not isinstance(value, dt.date):
        _fail(_not_a(value, "a date"), expected)
    if not EARLIEST <= value <= LATEST:
        expected = f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}"
        _fail(f"{show(value)} is out of range", expected)
    return value


def _text(
    max_len: int, single_line: bool = True, allow_empty: bool = False
) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            _fail(_not_a(value, "text"), "text")
        if not allow_empty and not value.strip():
            _fail("text is empty", "some text")
        problem = text_problem(value, single_line=single_line)
        if problem is not None:
            _fail(problem, ("one-line " if single_line else "") + "text without control characters")
        if len(value) > max_len:
            message = f"text is too long ({len(value):,} characters)"
            _fail(message, f"at most {max_len:,} characters")
        return value

    return check


def _choice(
    options: Sequence[str] | Callable[[], Sequence[str]], what: str
) -> Callable[[Any], str]:
    """A check that a value names a ``what``: one of ``options`` (or ``options()``, read late)."""

    def check(value: Any) -> str:
        choices = options() if callable(options) else options
        if not isinstance(value, str):
            _fail(_not_a(value, f"the name of {what}"), f"one of {', '.join(choices)}")
        if value not in choices:
            expected = suggest(value, choices) if choices else f"no {what} here"
            _fail(f"unknown {what} {show(value)}", expected)
        return value

    return check


def _to_duration(value: Any) -> float:
    """Accept a duration in years: a number, or text such as ``6 months`` or ``2 years``."""
    expected = "a number of years, or a duration such as '6 months' or '2 years'"
    if isinstance(value, str):
        match = _DURATION_RE.match(value.lower())
        if match is None:
            _fail(f"{show(value)} is not a duration", expected)
        years = float(match.group(1)) * _UNIT_YEARS[match.group(2)[0]]
    else:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            _fail(_not_a(value, "a duration"), expected)
        years = _to_float(value)
    if not 0.0 < years <= MAX_HALF_LIFE_YEARS:
        expected = f"a duration above 0 and at most {MAX_HALF_LIFE_YEARS:g} years"
        _fail(f"{show(value)} is out of range", expected)
    return years


def _check_path(path: str) -> str:
    """Check a dotted path against the run's entities."""
    text = path.strip()
    if " " in text:
        expected = "a dotted path such as states.tajikistan.threat_exposure"
        _fail(f"{show(path)} contains spaces", expected)
    dims = _frame().dims
    try:
        resolve(text, dims)
    except PathError as exc:
        gone = [p for p in text.split(".") if p in sd.DEFAULT_POWERS and p not in dims.powers]
        if gone:
            _removed_power(gone[0])
        message, found, expected = str(exc).partition(" (expected ")
        if found and expected.endswith(")"):
            _fail(message, expected[:-1])
        _fail(str(exc))
    return text


def _check_shock_target(path: str) -> str:
    """Refuse a shock on a value that only sets the start of a run (:data:`START_ONLY`).

    Such a value (``states.S.arms_propensity``) is read once, when the run's starting state is
    derived from it; a shock during the run would change the value and no output.
    """
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "states" and parts[2] in START_ONLY:
        who, field = parts[1], parts[2]
        derived, what = START_ONLY[field]
        start = f"parameters.{field}" if who == "*" else f"parameters.{field}.{who}"
        message = f"{path} only sets the start of a run; a shock on it changes nothing"
        expected = (
            f"its starting value under {start}, or a shock on states.{who}.{derived} to change "
            f"{what} during the run"
        )
        _fail(message, expected)
    return path


def _removed_power(name: str) -> NoReturn:
    message = f"power {show(name)} is removed by actors.remove_powers"
    _fail(message, "only powers that take part in the run")


def _existing_power_key(name: str) -> str:
    frame = _frame()
    if name in frame.added:
        expected = f"its values under actors.add_powers.{name}"
        _fail(f"power {show(name)} is added by this scenario", expected)
    options = [p for p in sd.DEFAULT_POWERS if p in frame.dims.powers]
    if name in sd.DEFAULT_POWERS and name not in options:
        _removed_power(name)
    if name not in options:
        expected = f"one of {', '.join(options)}, or a new power under actors.add_powers"
        _fail(f"unknown power {show(name)}", with_hint(expected, name, options))
    return name


def _new_power_key(name: str) -> str:
    if not _NAME_RE.match(name) or len(name) > 40:
        expected = "a short lower-case name of letters, digits and _, e.g. turkey"
        _fail(f"{show(name)} cannot name a power", expected)
    taken = (*sd.DEFAULT_POWERS, *sd.DEFAULT_STATES, REST_OF_WORLD)
    if name in taken:
        hint = "; to change it, use actors.powers" if name in sd.DEFAULT_POWERS else ""
        _fail(f"{show(name)} is already taken{hint}", "the name of a new power, e.g. turkey")
    return name


def _flag(value: Any) -> float:
    if isinstance(value, (int, float)) and value in (0, 1):  # true and false are 1 and 0
        return float(value)
    _fail(f"{show(value)} is not a membership", "true or false, or 1 or 0")


def _list_of(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        _fail(_not_a(value, "a list"), "a list, e.g. [a, b]")
    return value


def _mapping(value: Any) -> Any:
    if not isinstance(value, Mapping):
        _fail(_not_a(value, "a mapping"), "a mapping of names to values")
    return value


# --------------------------------------------------------------------------- annotated types


Unit = Annotated[float, _Number(0.0, 1.0)]
NonNegative = Annotated[float, _Number(0.0)]
Positive = Annotated[float, _Number(0.0, low_open=True)]
Finite = Annotated[float, _Number()]
Priority = Annotated[float, _parameter("priority")]
Doctrine = Annotated[float, _parameter("doctrine")]
CapacityGrowth = Annotated[float, _parameter("capacity_growth")]

Name = Annotated[str, BeforeValidator(_text(MAX_NAME))]
Description = Annotated[
    str, BeforeValidator(_text(MAX_DESCRIPTION, single_line=False, allow_empty=True))
]
TagText = Annotated[str, BeforeValidator(_text(50))]
ExtendsText = Annotated[str, BeforeValidator(_text(1000))] | None
PathText = Annotated[str, BeforeValidator(_text(MAX_PATH)), AfterValidator(_check_path)]
ShockTarget = Annotated[PathText, AfterValidator(_check_shock_target)]
Date = Annotated[dt.date, BeforeValidator(_to_date)]
Seed = Annotated[int, BeforeValidator(_whole(0, MAX_SEED, "a whole number of at least 0, or null"))]
MaybeDate = Annotated[dt.date, BeforeValidator(lambda v: _check_in_run(_to_date(v)))] | None
Years = Annotated[
    Annotated[float, BeforeValidator(_to_duration)] | None,
    WithJsonSchema(
        {"anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}, {"type": "null"}]}
    ),
]

StepName = Literal["month", "quarter", "year"]
OpName = Literal["set", "add", "scale", "ramp", "pulse"]
Across = Literal["any", "all"]


StateKey = Annotated[str, AfterValidator(_choice(lambda: sd.DEFAULT_STATES, "state"))]
ExistingPowerKey = Annotated[str, AfterValidator(_existing_power_key)]
PowerKey = Annotated[str, AfterValidator(_choice(lambda: _frame().dims.powers, "power"))]
PartnerKey = Annotated[str, AfterValidator(_choice(lambda: _frame().dims.partners, "partner"))]
OrganisationKey = Annotated[str, AfterValidator(_choice(lambda: sd.ORGANISATIONS, "organisation"))]
NewPowerKey = Annotated[str, AfterValidator(_new_power_key)]
Flag = Annotated[float, BeforeValidator(_flag), WithJsonSchema({"type": ["boolean", "integer"]})]

K = TypeVar("K")
KeyMap = Annotated[Mapping[K, T], BeforeValidator(_mapping), _FREEZE, _THAW]
"""A read-only mapping checked key by key and value by value, shown as a plain dict."""


class _Model(BaseModel):
    """Base of every part of a scenario: frozen, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


def _optional(description: str) -> Any:
    """A field that may be left out (None when it is)."""
    return Field(default=None, description=description)


# --------------------------------------------------------------------------- time


class TimeSpec(_Model):
    """When the run starts and ends, its step, its seed and its number of replicates."""

    start: Date = Field(description="first date of the run, e.g. 2021-01-01")
    end: Date = Field(description="last date of the run, after the start, e.g. 2031-01-01")
    step: Annotated[StepName, BeforeValidator(_choice(STEPS, "step"))] = Field(
        description="length of a step: month, quarter or year"
    )
    seed: Annotated[
        Seed | None,
        WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}]}),
    ] = _optional("root seed of the run's random numbers; null for fresh")
    replicates: Annotated[
        int,
        BeforeValidator(_whole(1, MAX_REPLICATES)),
        WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_REPLICATES}),
    ] = Field(default=1, description="number of runs, each with its own random numbers")

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, end: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start")
        if isinstance(start, dt.date) and end <= start:
            message = f"end {end.isoformat()} is not after the start {start.isoformat()}"
            _fail(message, f"a date after {start.isoformat()}")
        return end


# --------------------------------------------------------------------------- actors


class PowerOverride(_Model):
    """New values for a power of the default actors (departures from the reference)."""

    economic_capacity: NonNegative | None = _optional("economic capacity: GDP, USD trn")
    security_capacity: NonNegative | None = _optional(
        "security capacity: world arms exports, USD bn a year"
    )
    priority: Priority | None = _optional("share of the power's capacity aimed at the region")
    doctrine: Doctrine | None = _optional("security emphasis, 0 to 1")
    capacity_growth: CapacityGrowth | None = _optional("trend growth of capacity, per year")


def _one_or_each(number: dict[str, Any]) -> dict[str, Any]:
    """JSON schema of one number, or of a mapping of names to numbers."""
    return {"anyOf": [number, {"type": "object", "additionalProperties": number}]}


def _share_spec(value: Any) -> float | FrozenMap[float]:
    """A starting share: one number for every state, or a mapping of states to shares."""
    if not isinstance(value, Mapping):
        if isinstance(value, (list, tuple, str)) or value is None or isinstance(value, bool):
            _fail(_not_a(value, "a share"), "a share from 0 to 1, or a mapping of states to shares")
        return _Number(0.0, 1.0)(value)
    return _entries(value, "state", sd.DEFAULT_STATES, lambda _, v: _Number(0.0, 1.0)(v))


ShareSpec = Annotated[
    float | Mapping[str, float],
    BeforeValidator(_share_spec),
    PlainSerializer(lambda v: _thaw(v) if isinstance(v, Mapping) else v),
    WithJsonSchema(_one_or_each(_Number(0, 1).json_schema())),
]


class NewPower(_Model):
    """A power the scenario adds (part of the reference: its residual comes from its shares)."""

    economic_capacity: NonNegative = Field(description="economic capacity: GDP, USD trn")
    security_capacity: NonNegative = Field(
        description="security capacity: world arms exports, USD bn a year"
    )
    priority: Priority = Field(description="share of its capacity aimed at the region")
    doctrine: Doctrine = Field(description="security emphasis of its effort, 0 to 1")
    capacity_growth: CapacityGrowth = Field(description="trend growth of its capacity, per year")
    economic_share: ShareSpec = Field(
        default=0.0, description="starting share of trade: one number, or per state"
    )
    security_share: ShareSpec = Field(
        default=0.0, description="starting share of arms imports: one number, or per state"
    )

    def share(self, domain: str, state: str) -> float:
        """Starting share of the new power in one state.

        Args:
            domain: ``economic`` or ``security``.
            state: The state.

        Returns:
            The share (0 where none is given).
        """
        spec = self.economic_share if domain == "economic" else self.security_share
        return float(spec.get(state, 0.0) if isinstance(spec, Mapping) else spec)


class StateOverride(_Model):
    """New values for a Central Asian state (departures from the reference)."""

    hedging: Unit | None = _optional("hedging propensity, 0 to 1")
    threat_exposure: Unit | None = _optional("exposure to Afghan instability, 0 to 1")
    threat: Unit | None = _optional("starting threat perception, 0 to 1")
    trade_usd_bn: NonNegative | None = _optional("starting external trade, USD bn per year")
    arms_base_usd_bn: NonNegative | None = _optional("arms imports at zero threat, USD bn per year")
    economic_share: KeyMap[PartnerKey, Unit] | None = _optional("starting trade shares by partner")
    security_share: KeyMap[PartnerKey, Unit] | None = _optional(
        "starting arms-import shares by partner"
    )
    presence: KeyMap[PowerKey, Unit] | None = _optional("military presence by power, 0 to 1")
    credibility: KeyMap[PowerKey, Unit] | None = _optional("security credibility by power, 0 to 1")
    membership: KeyMap[OrganisationKey, Flag] | None = _optional(
        "membership by organisation (csto, sco, eaeu)"
    )


POWER_FIELDS: tuple[str, ...] = tuple(PowerOverride.model_fields)
"""Fields of a power a scenario may change."""

STATE_FIELDS: tuple[str, ...] = tuple(StateOverride.model_fields)
"""Fields of a state a scenario may change."""

STATE_MAPS = ("economic_share", "security_share", "presence", "credibility", "membership")
"""The fields of a state given per partner, power or organisation."""

STATE_SCALARS: tuple[str, ...] = tuple(f for f in STATE_FIELDS if f not in STATE_MAPS)
"""The fields of a state given as one number."""


_EFFORT_FIELDS: dict[str, tuple[str, ...]] = {
    "economic": ("priority", "economic_capacity"),
    "security": ("priority", "doctrine", "security_capacity"),
}
"""The values of an added power its effort in each domain is a product of (mechanism c): an
added power's starting share there is fitted as its equilibrium under that effort, in logs, so
each must be above 0 where it has a share."""

_SHARE_WORDS = {"economic": "trade", "security": "arms imports"}


class ActorsSpec(_Model):
    """Changes to the actors (powers and states): their values, powers added or removed."""

    powers: KeyMap[ExistingPowerKey, PowerOverride] = Field(
        default_factory=FrozenMap, description="new values for powers of the default actors"
    )
    states: KeyMap[StateKey, StateOverride] = Field(
        default_factory=FrozenMap, description="new values for the Central Asian states"
    )
    add_powers: KeyMap[NewPowerKey, NewPower] = Field(
        default_factory=FrozenMap, description="powers to add, with capacities and shares"
    )
    remove_powers: Annotated[
        tuple[Annotated[str, BeforeValidator(_choice(sd.DEFAULT_POWERS, "power"))], ...],
        BeforeValidator(_list_of),
    ] = Field(default=(), description="powers of the default actors to leave out")

    @model_validator(mode="after")
    def _consistent(self) -> ActorsSpec:
        issues = _Issues()
        for i, name in enumerate(self.remove_powers):
            if name in self.remove_powers[:i]:
                message = f"power {show(name)} is listed twice"
                issues.add(("remove_powers", i), message, "each power once")
            if name in self.powers:
                message = f"power {show(name)} is also removed"
                expected = "values only for powers that take part"
                issues.add(("powers", name), message, expected, at_key=True)
        if len(set(self.remove_powers)) >= len(sd.DEFAULT_POWERS) and not self.add_powers:
            expected = "at least one power left in the run"
            issues.add(("remove_powers",), "every power would be removed", expected)
        for domain in ("economic", "security"):
            over: dict[float, list[str]] = {}
            for state in sd.DEFAULT_STATES:
                total = sum(p.share(domain, state) for p in self.add_powers.values())
                if total >= 1.0:
                    over.setdefault(total, []).append(state)
            for total, states in over.items():
                last = [p for p, new in self.add_powers.items() if new.share(domain, states[0])]
                where = ", ".join(states) if states != list(sd.DEFAULT_STATES) else "every state"
                message = f"the added powers' {domain} shares add up to {_fmt(total)} in {where}"
                expected = "a total below 1, leaving room for the others"
                issues.add(("add_powers", last[-1], f"{domain}_share"), message, expected)
        for name, new in self.add_powers.items():
            held = [d for d in _EFFORT_FIELDS if any(new.share(d, s) for s in sd.DEFAULT_STATES)]
            for field in ("priority", "doctrine", "economic_capacity", "security_capacity"):
                needed_by = [_SHARE_WORDS[d] for d in held if field in _EFFORT_FIELDS[d]]
                if not needed_by or getattr(new, field) > 0.0:
                    continue
                message = (
                    f"{show(name)} starts with a share of {' and of '.join(needed_by)} but its "
                    f"{field} is 0, so only its fitted residual explains that share, and any "
                    f"later rise of its {field} would multiply it without bound"
                )
                expected = f"a {field} above 0 (a small one if it starts small), or no such share"
                issues.add(("add_powers", name, field), message, expected)
        issues.raise_if_any()
        return self


# --------------------------------------------------------------------------- shock values


class _Distribution(_Model):
    """A distribution a shock value is drawn from, once per replicate.

    Distributions with ``low`` and ``high`` need ``high`` above ``low`` and give values between
    them; the others are unbounded unless they say otherwise.
    """

    def draw(self, rng: np.random.Generator) -> float:  # pragma: no cover - overridden
        """Draw one value with the run's generator for shock draws."""
        raise NotImplementedError

    def support(self) -> tuple[float, float] | None:
        """Smallest and largest value it can give, ``(low, high)``, or None when unbounded."""
        low, high = getattr(self, "low", None), getattr(self, "high", None)
        return None if low is None or high is None else (low, high)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        low, high = getattr(self, "low", None), getattr(self, "high", None)
        if low is not None and high is not None and high <= low:
            message = f"high {_fmt(high)} is not above low {_fmt(low)}"
            raise _issue(("high",), message, f"a number above {_fmt(low)}")
        return self


class Normal(_Distribution):
    """Normal distribution (values outside the target's range are clipped when applied)."""

    distribution: Literal["normal"]
    mean: Finite = Field(description="mean")
    sd: NonNegative = Field(description="standard deviation")

    @override
    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.normal(self.mean, self.sd))


class LogNormal(_Distribution):
    """Log-normal distribution, given by its median and the standard deviation of its log."""

    distribution: Literal["lognormal"]
    median: Positive = Field(description="median (exp of the mean of the log)")
    sigma: NonNegative = Field(description="standard deviation of the log")

    @override
    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.lognormal(math.log(self.median), self.sigma))


class Uniform(_Distribution):
    """Uniform distribution between two bounds."""

    distribution: Literal["uniform"]
    low: Finite = Field(description="smallest value")
    high: Finite = Field(description="largest value, above low")

    @override
    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.uniform(self.low, self.high))


class Triangular(_Distribution):
    """Triangular distribution: smallest, most likely and largest value."""

    distribution: Literal["triangular"]
    low: Finite = Field(description="smallest value")
    mode: Finite = Field(description="most likely value, from low to high")
    high: Finite = Field(description="largest value, above low")

    @model_validator(mode="after")
    def _mode_inside(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            message = f"mode {_fmt(self.mode)} is outside low to high"
            raise _issue(("mode",), message, range_text(self.low, self.high))
        return self

    @override
    def draw(self, rng: np.random.Generator) -> float:
        return float(rng.triangular(self.low, self.mode, self.high))


class Beta(_Distribution):
    """Beta distribution, stretched from [0, 1] to [low, high]."""

    distribution: Literal["beta"]
    alpha: Positive = Field(description="first shape parameter")
    beta: Positive = Field(description="second shape parameter")
    low: Finite = Field(default=0.0, description="smallest value (default 0)")
    high: Finite = Field(default=1.0, description="largest value (default 1)")

    @override
    def draw(self, rng: np.random.Generator) -> float:
        return float(self.low + (self.high - self.low) * rng.beta(self.alpha, self.beta))


class Choice(_Distribution):
    """One of a list of values, with optional weights."""

    distribution: Literal["choice"]
    values: Annotated[tuple[Finite, ...], BeforeValidator(_list_of)] = Field(
        description="the possible values"
    )
    weights: Annotated[tuple[NonNegative, ...], BeforeValidator(_list_of)] | None = _optional(
        "relative weight of each value (default: equal)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Choice:
        issues = _Issues()
        if not 1 <= len(self.values) <= MAX_CHOICES:
            expected = f"from 1 to {MAX_CHOICES} values"
            issues.add(("values",), f"{len(self.values)} values given", expected)
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                message = f"{len(self.weights)} weights for {len(self.values)} values"
                issues.add(("weights",), message, "one weight per value")
            elif sum(self.weights) <= 0.0:
                issues.add(("weights",), "the weights add up to 0", "some positive weight")
        issues.raise_if_any()
        return self

    @override
    def draw(self, rng: np.random.Generator) -> float:
        if self.weights is None:
            return float(self.values[int(rng.integers(len(self.values)))])
        weights = np.asarray(self.weights, dtype=float)
        index = int(rng.choice(len(self.values), p=weights / weights.sum()))
        return float(self.values[index])

    @override
    def support(self) -> tuple[float, float] | None:
        return (min(self.values), max(self.values))


Distribution = Normal | LogNormal | Uniform | Triangular | Beta | Choice


def _value_tag(value: Any) -> str:
    """Pick the form of a shock value: a number, one of the distributions, or invalid."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return TAG + "fixed"
    name = value.get("distribution") if isinstance(value, Mapping) else None
    if isinstance(value, _Distribution):
        name = getattr(value, "distribution", None)
    return TAG + (name if isinstance(name, str) and name in DISTRIBUTIONS else "invalid")


def _bad_value(value: Any) -> NoReturn:
    """Explain why a shock value is neither a number nor a known distribution."""
    expected = f"a number, or a mapping with distribution: {' | '.join(DISTRIBUTIONS)}"
    if isinstance(value, Mapping):
        name = value.get("distribution")
        if name is None:
            raise _issue((), "a value given as a mapping needs 'distribution'", expected)
        if isinstance(name, str):
            message = f"unknown distribution {show(name)}"
            raise _issue(("distribution",), message, suggest(name, DISTRIBUTIONS))
        message = _not_a(name, "the name of a distribution")
        raise _issue(("distribution",), message, f"one of {', '.join(DISTRIBUTIONS)}")
    if isinstance(value, str) and _looks_numeric(value):
        _to_float(value)  # fails: text that would be a number without its quotes
    _fail(_not_a(value, "a number"), expected)


ShockValue = Annotated[
    (
        Annotated[Finite, Tag(TAG + "fixed")]
        | Annotated[Normal, Tag(TAG + "normal")]
        | Annotated[LogNormal, Tag(TAG + "lognormal")]
        | Annotated[Uniform, Tag(TAG + "uniform")]
        | Annotated[Triangular, Tag(TAG + "triangular")]
        | Annotated[Beta, Tag(TAG + "beta")]
        | Annotated[Choice, Tag(TAG + "choice")]
        | Annotated[
            SkipJsonSchema[Annotated[Any, BeforeValidator(_bad_value)]], Tag(TAG + "invalid")
        ]
    ),
    Discriminator(_value_tag),
]


# --------------------------------------------------------------------------- shocks


class WhenSpec(_Model):
    """A condition on the model's state that triggers a shock the first time it holds."""

    watch: PathText = Field(
        description="path of the value to watch, e.g. states.tajikistan.security_share.china"
    )
    above: Finite | None = _optional("holds when the value is above")
    below: Finite | None = _optional("holds when the value is below")
    across: Annotated[Across, BeforeValidator(_choice(("any", "all"), "quantifier"))] = Field(
        default="any", description="with a wildcard path: any or all of the values"
    )

    @model_validator(mode="after")
    def _bounds(self) -> WhenSpec:
        above, below = self.above, self.below
        if above is None and below is None:
            need = "above: NUMBER and/or below: NUMBER"
            raise _issue(("above",), "a condition needs 'above' or 'below'", need)
        if above is not None and below is not None and above >= below:
            message = f"below {_fmt(below)} is not above 'above' {_fmt(above)}"
            raise _issue(("below",), message, "a band with above < below")
        return self


def _check_in_run(day: dt.date) -> dt.date:
    clock = _frame().clock
    if clock is not None:
        last = clock.date(clock.n_steps)
        if not clock.start <= day <= last:
            span = f"a date from {clock.start.isoformat()} to {last.isoformat()}"
            _fail(f"{day.isoformat()} is outside the run", f"{span}, the run's first and last step")
    return day


def _two_dates(value: Any) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)) or len(value) != 2:
        shown = f"a list of {len(value)}" if isinstance(value, (list, tuple)) else kind_of(value)
        _fail(f"{shown} is not a pair of dates", "two dates, e.g. [2022-01-01, 2024-01-01]")
    return value


class ShockSpec(_Model):
    """One event: what changes, how, when, how likely, and on what condition."""

    name: Name = Field(description="name of the shock, unique in the scenario")
    description: Description = Field(default="", description="what the shock stands for")
    at: MaybeDate = _optional("date it acts (set, add, scale, pulse)")
    between: Annotated[tuple[Date, Date], BeforeValidator(_two_dates)] | None = _optional(
        "two dates: the window of a ramp or of a condition"
    )
    target: ShockTarget = Field(description="path of what it changes, e.g. afghanistan.instability")
    op: Annotated[OpName, BeforeValidator(_choice(OPS, "op"))] = Field(
        description="set, add, scale, ramp (to the value over 'between') or pulse"
    )
    value: ShockValue = Field(description="a number, or a distribution drawn once per replicate")
    half_life: Years = _optional("pulse only: years, or a duration such as '6 months'")
    probability: Unit = Field(default=1.0, description="chance that it happens in a replicate")
    when: WhenSpec | None = _optional("condition on the state: it fires when this first holds")

    @field_validator("between")
    @classmethod
    def _between_in_run(cls, value: tuple[dt.date, dt.date] | None) -> Any:
        issues = _Issues()
        for i, day in enumerate(value or ()):
            issues.check((i,), _check_in_run, day)
        issues.raise_if_any()
        return value

    @model_validator(mode="after")
    def _coherent(self) -> ShockSpec:
        issues = _Issues()
        self._check_timing(issues)
        if self.op == "pulse" and self.half_life is None:
            expected = "half_life: a number of years, or e.g. '6 months'"
            issues.add(("half_life",), "a pulse needs 'half_life'", expected)
        if self.op != "pulse" and self.half_life is not None:
            message = f"op '{self.op}' takes no half_life"
            issues.add(("half_life",), message, "half_life only with op: pulse", at_key=True)
        self._check_value(issues)
        issues.raise_if_any()
        return self

    def _check_timing(self, issues: _Issues) -> None:
        if self.when is not None:
            if self.op == "ramp":
                expected = "set, add, scale or pulse with 'when'"
                issues.add(("when",), "a ramp cannot wait for a condition", expected, at_key=True)
            elif self.at is not None and self.between is not None:
                message = "a triggered shock takes 'at' or 'between', not both"
                expected = "at: the first date it may fire, or between: its window"
                issues.add(("between",), message, expected, at_key=True)
            if self.between is not None and self.between[1] < self.between[0]:
                expected = f"a date from {self.between[0].isoformat()} on"
                issues.add(("between", 1), "the window ends before it starts", expected)
            return
        if self.op == "ramp":
            expected = "between: [FROM, TO], the dates it runs from and to"
            if self.at is not None:
                issues.add(("at",), "a ramp takes 'between', not 'at'", expected, at_key=True)
            elif self.between is None:
                issues.add(("between",), "a ramp needs 'between'", expected)
            if self.between is not None and self.between[1] <= self.between[0]:
                expected = f"a date after {self.between[0].isoformat()}"
                issues.add(("between", 1), "the ramp ends before it starts", expected)
            return
        if self.between is not None:
            message = f"op '{self.op}' takes 'at', not 'between'"
            expected = "at: DATE; between is for ramps and for the window of a condition"
            issues.add(("between",), message, expected, at_key=True)
        elif self.at is None:
            issues.add(("at",), f"op '{self.op}' needs 'at'", "at: the date it acts")

    def _check_value(self, issues: _Issues) -> None:
        try:
            slots = resolve(self.target, _frame().dims)
        except PathError:
            return
        low, high = slots[0].low, slots[0].high
        value = self.value
        support = (value, value) if isinstance(value, float) else value.support()
        if support is None:
            return
        if self.op in ("set", "ramp"):
            if (low is not None and support[0] < low) or (high is not None and support[1] > high):
                what = "value" if isinstance(value, float) else "the value's range"
                message = f"{what} is outside the range of {self.target}"
                issues.add(("value",), message, range_text(low, high))
        elif self.op == "scale" and support[0] < 0.0:
            expected = "a factor of at least 0, e.g. 0.7 for a 30 percent cut"
            issues.add(("value",), "a scale factor cannot be negative", expected)

    def draw(self, rng: np.random.Generator) -> float:
        """The shock's value for one run: fixed, or drawn with the run's generator for shocks."""
        return self.value if isinstance(self.value, float) else self.value.draw(rng)

    @property
    def start_date(self) -> dt.date | None:
        """The date it acts, or the start of its window."""
        if self.at is not None:
            return self.at
        return self.between[0] if self.between is not None else None


# --------------------------------------------------------------------------- outputs


_metric = _choice(tuple(METRICS), "metric")


def _every_check(value: Any) -> int:
    every = _whole(1, 100_000)(value)
    clock = _frame().clock
    if clock is not None and every > clock.n_steps:
        message = f"every {every} steps, but the run has only {clock.n_steps} steps"
        _fail(message, f"a whole number from 1 to {clock.n_steps}")
    return every


class OutputsSpec(_Model):
    """What to record, and how often."""

    metrics: Annotated[
        tuple[str, ...],
        BeforeValidator(_list_of),
        WithJsonSchema({"type": "array", "items": {"enum": list(METRICS)}}),
    ] = Field(default=tuple(METRICS), description="metrics to record (default: all)")
    every: Annotated[
        int, BeforeValidator(_every_check), WithJsonSchema({"type": "integer", "minimum": 1})
    ] = Field(default=1, description="record every k-th step (the start and end always)")

    @field_validator("metrics", mode="after")
    @classmethod
    def _known_metrics(cls, value: tuple[Any, ...]) -> tuple[str, ...]:
        issues = _Issues()
        for i, item in enumerate(value):
            name = issues.check((i,), _metric, item)
            if name is not None and name in value[:i]:
                issues.add((i,), f"metric {show(name)} is listed twice", "each metric once")
        if not value:
            issues.add((), "no metric is listed", f"some of {', '.join(METRICS)}")
        issues.raise_if_any()
        return tuple(str(v) for v in value)


# --------------------------------------------------------------------------- parameters


def _scope(name: str) -> str:
    """What a parameter is given for: ``global``, ``state`` or ``power``."""
    return PARAMETERS[name].scope if name in PARAMETERS else "global"


def _parameters(value: Any) -> FrozenMap[float | FrozenMap[float]]:
    """Check the parameters section: known names, numbers in range, entities known."""
    if not isinstance(value, Mapping):
        _fail(_not_a(value, "a mapping"), "a mapping of parameter names to values")

    def one(key: str, item: Any) -> float | FrozenMap[float]:
        check, scope = _parameter(key), _scope(key)
        if scope == "global" or not isinstance(item, Mapping):
            return check(item)
        entities = sd.DEFAULT_STATES if scope == "state" else _frame().dims.powers
        return _entries(item, scope, entities, lambda _, v: check(v))

    names = (*PARAMETERS, *INITIAL_CONDITIONS)
    return _entries(value, "parameter", names, one, "parameters of the ODD table")


def _parameters_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for name in (*PARAMETERS, *INITIAL_CONDITIONS):
        number, scope = _parameter(name).json_schema(), _scope(name)
        if name in PARAMETERS:
            spec = PARAMETERS[name]
            text = f"{spec.meaning} ({spec.unit}); default from {spec.provenance()}"
        else:
            text = INITIAL_CONDITIONS[name]
        if scope == "global":
            properties[name] = {**number, "description": text}
        else:
            text = f"{text}; one number for every {scope}, or a mapping per {scope}"
            properties[name] = {"description": text, **_one_or_each(number)}
    return {"type": "object", "properties": properties, "additionalProperties": False}


ParameterMap = Annotated[
    Mapping[str, float | Mapping[str, float]],
    BeforeValidator(_parameters),
    _THAW,
    WithJsonSchema(_parameters_schema()),
]


# --------------------------------------------------------------------------- the scenario


def override_items(
    parameters: Mapping[str, float | Mapping[str, float]],
    actors: ActorsSpec,
    dims: Dims,
) -> list[tuple[str, float, tuple[PathItem, ...]]]:
    """Every departure from the reference as a dotted path, with where it was written.

    Args:
        parameters: The parameters section.
        actors: The actors section.
        dims: Entities of the run.

    Returns:
        ``(path, value, key path in the document)`` in document order: parameters first.
    """
    out: list[tuple[str, float, tuple[PathItem, ...]]] = []
    for name, value in parameters.items():
        where: tuple[PathItem, ...] = ("parameters", name)
        scope = _scope(name)
        head = "states" if scope == "state" else "powers"
        if isinstance(value, Mapping):
            out.extend(
                (f"{head}.{who}.{name}", float(number), (*where, who))
                for who, number in value.items()
            )
        elif scope == "global":  # an initial condition too: its path is not under parameters
            out.append((canonical_path(name), float(value), where))
        else:
            entities = dims.states if scope == "state" else dims.powers
            out.extend((f"{head}.{who}.{name}", float(value), where) for who in entities)
    for head, changes in (("powers", actors.powers), ("states", actors.states)):
        for who, change in changes.items():
            for field, value in change.model_dump(exclude_none=True).items():
                entries = value.items() if isinstance(value, Mapping) else [(None, value)]
                for key, number in entries:
                    tail = (head, who, field) if key is None else (head, who, field, key)
                    out.append((".".join(tail), float(number), ("actors", *tail)))
    return out


class ScenarioSpec(_Model):
    """A whole scenario: metadata, time, actors, parameters, shocks and outputs."""

    name: Name = Field(description="short name of the scenario")
    description: Description = Field(default="", description="what the scenario asks")
    tags: Annotated[tuple[TagText, ...], BeforeValidator(_list_of)] = Field(
        default=(), description="keywords to find it by"
    )
    extends: ExtendsText = _optional("scenario file this one builds on, relative to this file")
    time: TimeSpec = Field(description="start, end, step, seed and replicates")
    posterior: ExtendsText = _optional(
        "posterior file (posterior.csv of influence-sim fit) each replicate draws its "
        "parameters and residuals from, relative to the file that says it; none for the "
        "point estimates"
    )
    actors: ActorsSpec = Field(
        default_factory=ActorsSpec, description="changes to powers and states"
    )
    parameters: ParameterMap = Field(
        default_factory=FrozenMap, description="model parameters (the ODD parameter table)"
    )
    shocks: Annotated[tuple[ShockSpec, ...], BeforeValidator(_list_of)] = Field(
        default=(), description="events, in the order drawn"
    )
    outputs: OutputsSpec = Field(
        default_factory=OutputsSpec, description="what to record and how often"
    )

    @model_validator(mode="wrap")
    @classmethod
    def _with_frame(
        cls, data: Any, handler: ModelWrapValidatorHandler[ScenarioSpec]
    ) -> ScenarioSpec:
        token = _FRAME.set(_frame_from(data))
        try:
            return handler(data)
        finally:
            _FRAME.reset(token)

    @model_validator(mode="after")
    def _check_whole(self) -> ScenarioSpec:
        issues = _Issues()
        first: dict[str, int] = {}
        for i, shock in enumerate(self.shocks):
            earlier = first.setdefault(shock.name, i)
            if earlier != i:
                message = f"shock name {show(shock.name)} is already used by shocks[{earlier}]"
                issues.add(("shocks", i, "name"), message, "a unique name per shock")
        written: dict[str, tuple[PathItem, ...]] = {}
        for path, _, where in override_items(self.parameters, self.actors, self.dims):
            if path in written:
                message = f"{path} is also set at {'.'.join(map(str, written[path]))}"
                issues.add(where, message, "each value set in one place only", at_key=True)
            written.setdefault(path, where)
        issues.raise_if_any()
        return self

    @property
    def dims(self) -> Dims:
        """Entities of the run, after powers are added and removed."""
        return dims_of(self.actors.remove_powers, tuple(self.actors.add_powers))

    @property
    def clock(self) -> Clock:
        """Dated steps of the run."""
        return Clock.between(self.time.start, self.time.end, self.time.step)
