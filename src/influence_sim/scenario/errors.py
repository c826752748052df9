"""What every input file (scenario, sweep, calibration targets, parameter paths) says is wrong.

A :class:`Problem` says where (file, line, column, key path) and what (a message and, optionally,
what was expected); a :class:`ScenarioError` carries every problem found, so that a file is fixed
in one pass. :func:`show` quotes what the user wrote, :func:`kind_of` names its kind and
:func:`suggest` says what was expected, with the closest choice.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from influence_sim._text import did_you_mean, with_hint

__all__ = [
    "PathItem",
    "Problem",
    "ScenarioError",
    "did_you_mean",
    "format_path",
    "kind_of",
    "show",
    "suggest",
    "with_hint",
]

PathItem = str | int
"""One step into a document: a mapping key (``str``) or a list index (``int``)."""

_MAX_SHOWN_STEPS = 12
"""Paths longer than this are shown as their first and last five steps."""


def _format_step(step: PathItem, *, first: bool) -> str:
    """One step as ``value`` (first), ``.value``, ``[2]`` or ``["a b"]``."""
    if isinstance(step, str):
        if step and step.replace("-", "_").isidentifier():
            return step if first else "." + step
        return "[" + json.dumps(step, ensure_ascii=False) + "]"
    return f"[{step}]"


def format_path(path: Sequence[PathItem]) -> str:
    """Render a key path the way analysts read it, e.g. ``shocks[2].value``.

    Keys that look like plain words are joined with dots; list positions and
    keys containing spaces, dots or other punctuation are shown in brackets.
    Very deep paths are shortened in the middle with ``[...]``.

    Args:
        path: Keys and list indexes from the top of the document downwards.

    Returns:
        The dotted path, or an empty string for the whole document.
    """
    shown = [_format_step(step, first=i == 0) for i, step in enumerate(path)]
    if len(shown) > _MAX_SHOWN_STEPS:
        shown[5:-5] = ["[...]"]
    return "".join(shown)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located as precisely as possible.

    Attributes:
        file: The file name exactly as the user gave it (never made absolute).
        line: 1-based line number, or None when the problem concerns the whole file.
        col: 1-based column number, or None when unknown.
        path: Dotted key path such as ``shocks[2].value``; empty for the whole document.
        message: What is wrong, in plain words.
        expected: What would have been accepted instead, or None.
    """

    file: str
    line: int | None
    col: int | None
    path: str
    message: str
    expected: str | None = None

    def format(self) -> str:
        """Render the problem as ``FILE:LINE:COL: key.path: message (expected ...)``.

        Unknown pieces are left out: ``LINE`` and ``COL`` when None, ``key.path: `` when the
        path is empty and `` (expected ...)`` when nothing is expected.
        """
        where = self.file
        if self.line is not None:
            where += f":{self.line}" if self.col is None else f":{self.line}:{self.col}"
        path = f"{self.path}: " if self.path else ""
        expected = "" if self.expected is None else f" (expected {self.expected})"
        return f"{where}: {path}{self.message}{expected}"


def _sort_key(problem: Problem) -> tuple[str, int, int]:
    """Order by file, line and column, whole-file problems first."""
    line = -1 if problem.line is None else problem.line
    return (problem.file, line, -1 if problem.col is None else problem.col)


class ScenarioError(Exception):
    """Raised when a scenario file cannot be used; carries every problem found.

    ``str(error)`` gives one formatted problem per line, sorted by file, line
    and column, ready to be shown to the user as is.

    Attributes:
        problems: The problems, sorted by (file, line, column); never empty.
    """

    problems: list[Problem]

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Keep the problems found, sorted (at least one, or ValueError)."""
        ordered = sorted(problems, key=_sort_key)
        if not ordered:
            raise ValueError("ScenarioError needs at least one Problem")
        super().__init__(ordered)
        self.problems = ordered

    def __str__(self) -> str:
        return "\n".join(problem.format() for problem in self.problems)


# --------------------------------------------------------------------------- words of messages

_MAX_SHOWN_CHARS = 40


def show(value: Any) -> str:
    """Show a user's value briefly, the way it was probably written.

    Args:
        value: A plain value as read from a file or the command line.

    Returns:
        Text in single quotes (made printable, at most about 40 characters), a
        number as written (a very long whole number by its count of digits),
        ``null``, ``true``/``false``, an ISO date, or ``a list``/``a mapping``.
    """
    if value is None or isinstance(value, bool):
        return json.dumps(value)  # null, true or false
    if isinstance(value, int):
        if abs(value) < 10**15:
            return str(value)
        return f"a {int(value.bit_length() * math.log10(2)) + 1}-digit number"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "infinity" if value > 0 else "minus infinity"
        return f"{value:.6g}"
    if isinstance(value, dt.date):
        return str(value)  # ISO, with a space before the time of a datetime
    if isinstance(value, str):
        clean = "".join(ch if ch.isprintable() else "?" for ch in value)
        if len(clean) > _MAX_SHOWN_CHARS:
            clean = clean[: _MAX_SHOWN_CHARS - 3] + "..."
        return f"'{clean}'"
    return kind_of(value)


_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (type(None), "empty (null)"),
    (bool, "a true/false value"),  # before int: a bool is an int
    (int, "a whole number"),
    (float, "a number"),
    (str, "text"),
    (dt.datetime, "a date and time"),  # before date: a datetime is a date
    (dt.date, "a date"),
    ((list, tuple), "a list"),
    (Mapping, "a mapping"),
)


def kind_of(value: object, unknown: str = "a value of an unsupported kind") -> str:
    """Describe the type of a plain value in analyst-friendly words.

    Args:
        value: A plain Python value (as the YAML reader produces, or a tuple or mapping).
        unknown: What to call any other kind of value.

    Returns:
        A short noun phrase such as ``"a list"`` or ``"a whole number"``.
    """
    return next((name for kinds, name in _KINDS if isinstance(value, kinds)), unknown)


def suggest(word: str, choices: Sequence[str], many: str = "") -> str:
    """Say what was expected instead of ``word``, with the closest choice if there is one.

    Args:
        word: What the user wrote.
        choices: What would have been accepted.
        many: Name of the choices as a group; when given and a choice is close, the list is
            left out to keep the line short.

    Returns:
        ``one of a, b, c; did you mean 'b'?`` (the hint only when a choice is close), or with
        ``many``, ``one of the parameters of the ODD table; did you mean 'b'?``.
    """
    hint = did_you_mean(word, choices)
    listing = f"the {many}" if many and hint else ", ".join(choices)
    return f"one of {listing}; {hint}" if hint else f"one of {listing}"
