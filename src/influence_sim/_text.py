r"""What free text from input files may contain (names, descriptions, tags).

Names and other text a user writes end up printed on the terminal and written into CSV, JSON
and YAML files. :func:`text_problem` refuses, at validation:

* unpaired surrogates (``"\ud800"`` in a YAML or JSON escape), which no UTF-8 file or terminal
  can take;
* in one-line text, every line break Python or YAML knows (``\n``, ``\r``, U+0085,
  U+2028, U+2029, vertical tab, form feed, ...) and every other control character, so a name
  can never start a new line in a YAML comment or a report;
* in text of several lines, control characters other than tab and line feed (carriage
  returns are accepted too), and the Unicode line and paragraph separators.

It also holds the words messages share (:func:`counted`, :func:`one_of`, :func:`did_you_mean`,
:func:`json_kind`) and the checks of the Python API's arguments: :func:`check_choice` for a
name, :func:`check_kind` for a type and :func:`check_count` for a whole number, with
:func:`as_list` for an argument that takes one value or several.
"""

from __future__ import annotations

import difflib
import numbers
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "as_list",
    "check_choice",
    "check_count",
    "check_kind",
    "counted",
    "did_you_mean",
    "json_kind",
    "one_of",
    "text_problem",
    "with_hint",
]

_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
"""Characters that break a line for ``str.splitlines`` (and, for some of them, YAML)."""

_MULTILINE_OK = frozenset("\n\r\t")


def counted(n: int, noun: str) -> str:
    """A count and its noun, singular for one: ``1 run``, ``2 runs``, ``0 runs``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


_JSON_KINDS = ((bool, "true/false"), (int, "a whole number"), (float, "a number"), (str, "text"))


def json_kind(value: object) -> str:
    """What a value read from JSON is called in messages (``null``, ``text``, ``a list``, ...)."""
    if value is None:
        return "null"
    named = (name for kind, name in _JSON_KINDS if isinstance(value, kind))
    return next(named, "a list" if isinstance(value, list) else "an object")


def _code(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name.lower()})" if name else "")


def text_problem(value: str, *, single_line: bool = True) -> str | None:
    """Why ``value`` cannot be used as text, or None if it can.

    Args:
        value: The text.
        single_line: Whether the text must stay on one line (names, tags, paths).

    Returns:
        A one-line message, or None.
    """
    for char in value:
        category = unicodedata.category(char)
        if category == "Cs":
            return f"text contains {_code(char)}: half of a surrogate pair, not a character"
        if single_line and char in ("\n", "\r"):
            return "text spans several lines"
        if single_line and char in _LINE_BREAKS:
            return f"text spans several lines: it contains the line break {_code(char)}"
        if category in ("Zl", "Zp"):
            return f"text contains the line break {_code(char)}; use a plain new line"
        if category == "Cc" and not (not single_line and char in _MULTILINE_OK):
            return f"text contains the control character {_code(char)}"
    return None


_CLOSE_ENOUGH = 0.6
"""How close (difflib's ratio) a choice must be to a misspelt word to be suggested."""


def did_you_mean(word: str, choices: Iterable[str] | Mapping[str, str]) -> str:
    """Name the choice closest to a misspelt word, if one is close.

    Args:
        word: What the user wrote.
        choices: What would have been accepted; or a mapping from each candidate to what to
            suggest when it is the closest (e.g. a state name suggesting a full path).

    Returns:
        ``did you mean 'x'?``, or an empty string when no choice is close.
    """
    candidates = choices if isinstance(choices, Mapping) else {c: c for c in choices}
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=_CLOSE_ENOUGH)
    return f"did you mean '{candidates[close[0]]}'?" if close else ""


def with_hint(expected: str, word: str, choices: Iterable[str] | Mapping[str, str]) -> str:
    """Add ``; did you mean 'x'?`` to ``expected`` when a choice is close to ``word``.

    Args:
        expected: What was expected, in words.
        word: What the user wrote.
        choices: The candidates, as for :func:`did_you_mean`.

    Returns:
        ``expected``, with the hint when there is one.
    """
    hint = did_you_mean(word, choices)
    return f"{expected}; {hint}" if hint else expected


def one_of(word: str, choices: Iterable[object]) -> str:
    """``expected one of a, b, c``; ``; did you mean 'b'?`` added when one is close to ``word``."""
    names = [str(c) for c in dict.fromkeys(choices)]
    return with_hint(f"expected one of {', '.join(names)}", str(word), names)


def check_choice(
    what: str, value: str, choices: Iterable[object], error: type[Exception] = ValueError
) -> None:
    """Refuse a ``value`` (a domain, state, metric, ...) that is not one of ``choices``.

    Raises:
        ValueError: (or ``error``) ``unknown WHAT 'value' (expected one of ...)``, naming the
            choices and the closest one, where the caller would otherwise give nothing.
    """
    names = [str(c) for c in dict.fromkeys(choices)]
    if value not in names:
        raise error(f"unknown {what} {value!r} ({one_of(value, names)})")


def as_list(value: object) -> list[Any]:
    """An argument that takes one value or several as a list: one text or number alone is one."""
    return list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]


def check_kind(what: str, value: object, kind: type | tuple[type, ...], expected: str) -> None:
    """Refuse an argument of the Python API that is not of ``kind`` (a dict for a scenario).

    Raises:
        TypeError: ``WHAT: expected EXPECTED, not dict``, where the caller would otherwise fail
            with an ``AttributeError`` from inside.
    """
    if not isinstance(value, kind):
        raise TypeError(f"{what}: expected {expected}, not {type(value).__name__}")


def check_count(what: str, value: object, low: int = 1, *, size: bool = False) -> int:
    """``value`` as an int, refused unless it is a whole number of at least ``low``.

    For counts given to the Python API (``replicates``, ``every``, ``workers``, ...): a float,
    text or ``True`` would otherwise fail deep inside numpy or Python, or be truncated. With
    ``size`` (a number of bytes) a float with a whole value is taken too, as ``4e9`` is
    written for 4 GB.

    Raises:
        ValueError: ``WHAT must be a whole number, not 2.5`` or ``WHAT must be at least 1``.
    """
    if size and isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        value = int(float(value)) if float(value).is_integer() else value  # not NaN, infinity
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{what} must be a whole number, not {value!r}")
    if value < low:
        raise ValueError(f"{what} must be at least {low}")
    return int(value)
