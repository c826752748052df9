"""Safe, position-aware reading of scenario YAML files.

This module owns the step from bytes on disk (or text in memory) to plain
Python data. It remembers where every key and value came from, so that later
layers (the schema, the shock timeline) can point analysts at the exact line
and column of a mistake.

How it works: PyYAML's scanner and parser (driven through a ``SafeLoader``
subclass) turn the text into a stream of events, each carrying a start mark.
Instead of PyYAML's recursive composer and constructor, a small iterative
builder here turns those events into plain data. That lets it

* refuse every tag outside the YAML core set without ever constructing an
  object from it (so ``!!python/...`` tags can never run code);
* refuse duplicate keys, non-text keys and merge keys (``<<``);
* stop alias bombs and absurd nesting early, without ``RecursionError``;
* collect every problem it can before raising a single
  :class:`~influence_sim.scenario.errors.ScenarioError`.

Merge keys are refused on purpose: YAML 1.2 dropped them, their override
order surprises people, and the positions of merged keys would point at the
wrong place. Anchors and aliases for whole values are supported.

Plain scalars keep PyYAML's safe (YAML 1.1) meaning: ``2021-08-15`` is a
``datetime.date``, ``.nan`` and ``.inf`` are floats, ``yes``/``no`` are
booleans and integers of any size stay Python ``int``.

Whatever the input, the public functions raise nothing but
:class:`~influence_sim.scenario.errors.ScenarioError`.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.nodes import ScalarNode
from yaml.reader import ReaderError

from influence_sim._inputs import InputFileError, decode_text, read_bytes
from influence_sim.scenario.errors import PathItem, Problem, ScenarioError, format_path

__all__ = [
    "DEFAULT_MAX_BYTES",
    "MAX_ALIAS_NODES",
    "MAX_DEPTH",
    "Located",
    "load_located",
    "loads_located",
]

DEFAULT_MAX_BYTES: Final = 1_000_000
"""Largest scenario file accepted by default, in bytes."""

MAX_DEPTH: Final = 50
"""Deepest nesting of mappings and lists accepted (the top-level mapping is level 1)."""

MAX_ALIAS_NODES: Final = 10_000
"""Most values that aliases (``*name``) may add to a document once expanded."""

Position = tuple[int, int]
"""A 1-based (line, column) pair."""

_EXPECTED_TOP: Final = "a mapping of scenario settings"
_EXPECTED_UTF8: Final = "a UTF-8 text file; save it again with UTF-8 encoding"
_EXPECTED_PLAIN: Final = "plain YAML values"

_CORE: Final = "tag:yaml.org,2002:"
_STR: Final = _CORE + "str"
_INT: Final = _CORE + "int"
_FLOAT: Final = _CORE + "float"
_BOOL: Final = _CORE + "bool"
_NULL: Final = _CORE + "null"
_TIMESTAMP: Final = _CORE + "timestamp"
_SEQ: Final = _CORE + "seq"
_MAP: Final = _CORE + "map"
_MERGE: Final = _CORE + "merge"
_VALUE: Final = _CORE + "value"

# What a failed scalar was supposed to be: (name in the message, what is expected).
_SCALAR_KINDS: Final[Mapping[str, tuple[str, str]]] = {
    _INT: ("a valid whole number", "a whole number, e.g. 42"),
    _FLOAT: ("a valid number", "a number, e.g. 0.5"),
    _BOOL: ("a valid true/false value", "true or false"),
    _TIMESTAMP: ("a valid date", "a real calendar date, e.g. 2021-08-15"),
}

# Short hints added to PyYAML syntax errors, matched on its problem text.
_SYNTAX_HINTS: Final[tuple[tuple[str, str], ...]] = (
    (
        "mapping values are not allowed here",
        "quotes around text that contains ': ', or the nested keys on new, indented lines",
    ),
    ("found character '\\t'", "spaces for indentation; tabs are not allowed"),
    ("cannot start any token", "quotes around a value that starts with this character"),
    ("could not find expected ':'", "'key: value' with a colon and a space after each key"),
    ("expected <block end>", "consistent indentation; entries of one block must line up"),
    ("expected ',' or ']'", "a comma between items and a closing ']'"),
    ("expected ',' or '}'", "a comma between entries and a closing '}'"),
    ("found unexpected end of stream", "a closing quote or bracket"),
    ("expected '<document start>'", "a single YAML document"),
)

_MAX_SHOWN_CHARS: Final = 40


# --------------------------------------------------------------------------- located data


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where one value sits in the text, plus where its children sit.

    Attributes:
        key: Position of the mapping key (or of the item itself in a list).
        value: Position of the value.
        children: Spots of the entries of a mapping or list; None for scalars.
    """

    key: Position
    value: Position
    children: Mapping[str, _Spot] | Sequence[_Spot] | None


def _child(spot: _Spot, step: PathItem) -> _Spot | None:
    """Find the spot of one entry below ``spot``.

    Args:
        spot: The spot of a mapping or list.
        step: A key (for mappings) or a non-negative index (for lists).

    Returns:
        The entry's spot, or None if there is no such entry.
    """
    children = spot.children
    if isinstance(children, Mapping):
        return children.get(step) if isinstance(step, str) else None
    if isinstance(children, Sequence) and isinstance(step, int) and not isinstance(step, bool):
        return children[step] if 0 <= step < len(children) else None
    return None


@dataclass(frozen=True)
class Located:
    """A parsed scenario document that remembers where each value was written.

    Attributes:
        data: The top-level mapping as plain Python data (dict, list, str, int,
            float, bool, None, ``datetime.date``/``datetime.datetime``).
        file: The file name as the user gave it, used in problem reports.
    """

    data: dict[str, Any]
    file: str
    _root: _Spot | None = field(default=None, repr=False, compare=False)

    def _spot(self, path: tuple[PathItem, ...]) -> _Spot | None:
        """Walk down to the spot of ``path``.

        Args:
            path: Keys and list indexes from the top of the document.

        Returns:
            The spot, or None when the path does not exist.
        """
        spot = self._root
        for step in path:
            if spot is None:
                return None
            spot = _child(spot, step)
        return spot

    def where(self, path: tuple[PathItem, ...]) -> Position | None:
        """Return the 1-based (line, column) of the entry at ``path``.

        For a mapping entry this is where its key is written; for a list
        entry, where the item starts. The empty path gives the position of the
        top-level mapping. Values reached through an alias report the
        positions inside the anchored value they were copied from.

        Args:
            path: Keys and list indexes, e.g. ``("shocks", 2, "value")``.

        Returns:
            The position, or None if the path does not exist in the document.
        """
        spot = self._spot(path)
        return None if spot is None else spot.key

    def where_value(self, path: tuple[PathItem, ...]) -> Position | None:
        """Return the 1-based (line, column) where the value at ``path`` starts.

        Args:
            path: Keys and list indexes, e.g. ``("time", "start")``.

        Returns:
            The position, or None if the path does not exist in the document.
        """
        spot = self._spot(path)
        return None if spot is None else spot.value

    def problem_at(
        self,
        path: tuple[PathItem, ...],
        message: str,
        expected: str | None = None,
        *,
        at_value: bool = False,
    ) -> Problem:
        """Build a :class:`Problem` located at ``path`` in this document.

        When ``path`` does not exist (for instance a required key is missing),
        the problem points at the key of the nearest enclosing entry that does
        exist (the top of the document if nothing else).

        Args:
            path: Keys and list indexes of the offending entry.
            message: What is wrong, in plain words.
            expected: What would have been accepted instead, if useful.
            at_value: Point at the value rather than at its key.

        Returns:
            The located problem, with ``path`` rendered by :func:`format_path`.
        """
        position: Position | None = None
        for length in range(len(path), -1, -1):
            spot = self._spot(path[:length])
            if spot is not None:
                use_value = at_value and length == len(path)
                position = spot.value if use_value else spot.key
                break
        line, col = position if position is not None else (None, None)
        return Problem(self.file, line, col, format_path(path), message, expected)


# --------------------------------------------------------------------------- helpers


def _pos(mark: Any) -> Position:
    """Turn a PyYAML mark (0-based) into a 1-based (line, column) pair.

    Args:
        mark: A ``yaml.Mark`` or None.

    Returns:
        The position; (1, 1) if the mark is missing.
    """
    if mark is None:
        return (1, 1)
    return (int(mark.line) + 1, int(mark.column) + 1)


def _show(text: str) -> str:
    """Quote a piece of user text for a message, shortened and made printable.

    Args:
        text: The text as written in the file.

    Returns:
        The text in single quotes, at most about 40 characters long.
    """
    clean = "".join(ch if ch.isprintable() else "?" for ch in text)
    if len(clean) > _MAX_SHOWN_CHARS:
        clean = clean[: _MAX_SHOWN_CHARS - 3] + "..."
    return f"'{clean}'"


def _show_tag(tag: str) -> str:
    """Render a tag the way users write it (``!!int`` rather than the full URI).

    Args:
        tag: The resolved tag from the parser.

    Returns:
        The short, printable form of the tag.
    """
    shown = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    shown = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in shown)
    if len(shown) > 2 * _MAX_SHOWN_CHARS:
        shown = shown[: 2 * _MAX_SHOWN_CHARS - 3] + "..."
    return shown


def kind_of(value: object, unknown: str = "an unsupported value") -> str:
    """Describe the type of a plain value in analyst-friendly words.

    Args:
        value: A plain Python value (as this module produces, or a tuple or mapping).
        unknown: What to call any other kind of value.

    Returns:
        A short noun phrase such as ``"a list"`` or ``"a whole number"``.
    """
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime.datetime):
        return "a date and time"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return unknown


_kind = kind_of


def _copy(value: Any) -> Any:
    """Copy the containers of a plain value so aliases never share objects.

    The recursion is bounded by :data:`MAX_DEPTH`, checked before calling.

    Args:
        value: Plain data.

    Returns:
        An independent copy (scalars are immutable and shared as is).
    """
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def _line_col(text: str, index: int) -> Position:
    """Compute the 1-based (line, column) of a character index in ``text``.

    Args:
        text: The whole document.
        index: A 0-based character index.

    Returns:
        The position of that character.
    """
    index = max(0, min(index, len(text)))
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return (line, col)


def _whole_file(file: str, message: str, expected: str | None = None) -> Problem:
    """Build a problem about the file as a whole (no line or column).

    Args:
        file: The file name as given by the user.
        message: What is wrong.
        expected: What was expected instead.

    Returns:
        The problem.
    """
    return Problem(file, None, None, "", message, expected)


def _short_reason(exc: BaseException) -> str:
    """Summarise an unexpected exception in one short line.

    Args:
        exc: The exception.

    Returns:
        ``"TypeName: first line of the message"``, at most about 120 characters.
    """
    lines = str(exc).strip().splitlines()
    detail = lines[0] if lines else ""
    reason = type(exc).__name__ + (f": {detail}" if detail else "")
    return reason if len(reason) <= 120 else reason[:117] + "..."


def _unexpected(file: str, exc: BaseException) -> Problem:
    """Turn an exception nobody anticipated into a whole-file problem.

    Args:
        file: The file name as given by the user.
        exc: The exception that escaped the parser.

    Returns:
        A problem saying the YAML could not be read, with a short reason.
    """
    return _whole_file(file, f"could not read YAML: {_short_reason(exc)}")


# --------------------------------------------------------------------------- the builder


class _Loader(yaml.SafeLoader):
    """PyYAML's safe scanner, parser and resolver, used only to produce events.

    The implicit resolvers are snapshotted so that other code registering
    resolvers on ``yaml.SafeLoader`` cannot change how scenarios are read.
    """


_Loader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


_ScalarMaker = Callable[[_Loader, ScalarNode], Any]

_SCALAR_MAKERS: Final[Mapping[str, _ScalarMaker]] = {
    _STR: lambda loader, node: str(node.value),
    _MERGE: lambda loader, node: str(node.value),
    _VALUE: lambda loader, node: str(node.value),
    _INT: lambda loader, node: loader.construct_yaml_int(node),
    _FLOAT: lambda loader, node: loader.construct_yaml_float(node),
    _BOOL: lambda loader, node: loader.construct_yaml_bool(node),
    _NULL: lambda loader, node: loader.construct_yaml_null(node),
    _TIMESTAMP: lambda loader, node: loader.construct_yaml_timestamp(node),
}

# Tags a user may write explicitly on a single value.
_EXPLICIT_SCALAR_TAGS: Final = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP})


@dataclass(slots=True)
class _Built:
    """A finished value, ready to be attached to its parent.

    Attributes:
        value: The plain data.
        spot: Where it was written.
        size: Number of values it contains once aliases are expanded (itself included).
        height: Nesting levels it contains (0 for scalars, 1 for a flat list).
        source: For scalars and aliases, the text as written; None for collections.
        tag: The resolved tag of a scalar, None otherwise.
        empty_plain: Whether it is an empty, untagged plain scalar (nothing written).
    """

    value: Any
    spot: _Spot
    size: int
    height: int
    source: str | None = None
    tag: str | None = None
    empty_plain: bool = False


@dataclass(slots=True)
class _Anchor:
    """A value named with ``&name``, kept for later ``*name`` aliases.

    Attributes:
        built: The finished value.
        line: The line where the anchor was defined.
    """

    built: _Built
    line: int


@dataclass(slots=True)
class _Frame:
    """A mapping or list that is still being read.

    Attributes:
        is_map: True for a mapping, False for a list.
        path: Key path of this collection.
        start: Where the collection starts.
        anchor: Its anchor name, if any.
        items: The list items (lists only).
        entries: The mapping entries (mappings only).
        spots: Child spots by index (lists only).
        spot_map: Child spots by key (mappings only).
        size: Values contained so far, itself included.
        height: Nesting levels contained so far, itself included.
        expect_key: For mappings, whether the next value is a key.
        key: The current key, or None if it was refused.
        key_label: How to name the current key in paths, even when refused.
        key_pos: Where the current key was written.
        key_lines: Line of first definition of each key seen so far.
    """

    is_map: bool
    path: tuple[PathItem, ...]
    start: Position
    anchor: str | None
    items: list[Any] = field(default_factory=list)
    entries: dict[str, Any] = field(default_factory=dict)
    spots: list[_Spot] = field(default_factory=list)
    spot_map: dict[str, _Spot] = field(default_factory=dict)
    size: int = 1
    height: int = 1
    expect_key: bool = True
    key: str | None = None
    key_label: str = ""
    key_pos: Position = (1, 1)
    key_lines: dict[str, int] = field(default_factory=dict)


class _Builder:
    """Turns PyYAML events into plain data, spots and problems, without recursion."""

    def __init__(self, file: str) -> None:
        """Prepare an empty builder.

        Args:
            file: The file name used in problems.
        """
        self.file = file
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.open_anchors: dict[str, int] = {}
        self.expanded = 0
        self.documents = 0
        self.root: _Built | None = None
        self.stopped = False
        self.loader: _Loader | None = None

    # ----------------------------------------------------------------- reporting

    def problem(
        self,
        at: Position | None,
        path: Sequence[PathItem],
        message: str,
        expected: str | None = None,
    ) -> None:
        """Record a problem.

        Args:
            at: Position in the file, or None for the whole file.
            path: Key path of the offending value.
            message: What is wrong.
            expected: What was expected instead.
        """
        line, col = at if at is not None else (None, None)
        self.problems.append(Problem(self.file, line, col, format_path(path), message, expected))

    def fatal(
        self,
        at: Position | None,
        path: Sequence[PathItem],
        message: str,
        expected: str | None = None,
    ) -> None:
        """Record a problem after which reading cannot sensibly go on.

        Args:
            at: Position in the file, or None for the whole file.
            path: Key path of the offending value.
            message: What is wrong.
            expected: What was expected instead.
        """
        self.problem(at, path, message, expected)
        self.stopped = True

    # ----------------------------------------------------------------- driving

    def run(self, text: str) -> None:
        """Read ``text`` event by event, recording data and problems.

        Args:
            text: The whole document, already decoded.
        """
        try:
            self.loader = _Loader(text)
            while not self.stopped and self.loader.check_event():
                self.handle(self.loader.get_event())  # type: ignore[no-untyped-call]
        except ReaderError as exc:
            shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
            self.fatal(
                _line_col(text, exc.position),
                (),
                f"special character {shown} is not allowed in YAML",
                "plain text; delete this invisible character",
            )
        except yaml.MarkedYAMLError as exc:
            self.syntax_problem(exc)
        except yaml.YAMLError as exc:
            self.fatal(None, (), f"could not read YAML: {_short_reason(exc)}")
        finally:
            if self.loader is not None:
                self.loader.dispose()

    def syntax_problem(self, exc: yaml.MarkedYAMLError) -> None:
        """Record a YAML syntax error as a located problem.

        Args:
            exc: The error raised by PyYAML's scanner or parser.
        """
        problem = exc.problem or _short_reason(exc)
        mark = exc.problem_mark or exc.context_mark
        message = problem
        show_context = bool(exc.context) and not str(exc.context).startswith(
            "while parsing a block"
        )
        if show_context and exc.context_mark is not None and exc.context_mark is not mark:
            c_line, c_col = _pos(exc.context_mark)
            if (c_line, c_col) != _pos(mark):
                message += f", {exc.context} starting at line {c_line}, column {c_col}"
        hint = next((h for needle, h in _SYNTAX_HINTS if needle in problem), None)
        self.fatal(_pos(mark) if mark is not None else None, self.next_path(), message, hint)

    def handle(self, event: Event) -> None:
        """Dispatch one parser event.

        Args:
            event: The next event from the parser.
        """
        if isinstance(event, ScalarEvent):
            self.on_scalar(event)
        elif isinstance(event, AliasEvent):
            self.on_alias(event)
        elif isinstance(event, (SequenceStartEvent, MappingStartEvent)):
            self.on_start(event)
        elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
            self.on_end()
        elif isinstance(event, DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.fatal(
                    _pos(event.start_mark),
                    (),
                    "file contains more than one YAML document",
                    "a single document; remove the extra '---' line",
                )

    # ----------------------------------------------------------------- paths

    def next_path(self) -> tuple[PathItem, ...]:
        """Key path of the value the parser is about to deliver.

        Returns:
            The path; for a mapping key, the path of the enclosing mapping.
        """
        if not self.stack:
            return ()
        top = self.stack[-1]
        if not top.is_map:
            return (*top.path, len(top.items))
        if top.expect_key:
            return top.path
        return (*top.path, top.key if top.key is not None else top.key_label)

    # ----------------------------------------------------------------- events

    def on_scalar(self, event: ScalarEvent) -> None:
        """Build a scalar value with safe semantics and attach it.

        Args:
            event: The scalar event.
        """
        at = _pos(event.start_mark)
        path = self.next_path()
        written = event.tag
        explicit = written is not None and written != "!"
        tag = written if written is not None and explicit else self.resolve(event)
        value: Any = None
        if explicit and tag not in _EXPLICIT_SCALAR_TAGS:
            if tag in (_SEQ, _MAP):
                self.problem(
                    at,
                    path,
                    f"tag {_show_tag(tag)} cannot be used on a single value",
                    _EXPECTED_PLAIN,
                )
            else:
                self.problem(at, path, f"tag {_show_tag(tag)} is not allowed", _EXPECTED_PLAIN)
        else:
            value = self.make_scalar(event, tag, at, path)
        empty_plain = not explicit and event.style is None and event.value == ""
        built = _Built(value, _Spot(at, at, None), 1, 0, event.value, tag, empty_plain)
        if event.anchor is not None:
            self.define_anchor(event.anchor, at, path)
            self.anchors[event.anchor] = _Anchor(built, at[0])
        self.attach(built)

    def resolve(self, event: ScalarEvent) -> str:
        """Find the implicit tag of an untagged scalar, as PyYAML's safe loader does.

        Args:
            event: The scalar event.

        Returns:
            The resolved tag.
        """
        assert self.loader is not None
        tag = self.loader.resolve(  # type: ignore[no-untyped-call]
            ScalarNode, event.value, event.implicit
        )
        return str(tag) if tag is not None else _STR

    def make_scalar(
        self, event: ScalarEvent, tag: str, at: Position, path: Sequence[PathItem]
    ) -> Any:
        """Construct the Python value of a scalar from an allowed tag.

        Args:
            event: The scalar event.
            tag: Its resolved or explicit (allowed) tag.
            at: Where it was written.
            path: Its key path.

        Returns:
            The value, or None after recording a problem if it does not fit its tag.
        """
        assert self.loader is not None
        maker = _SCALAR_MAKERS.get(tag)
        if maker is None:  # pragma: no cover - resolution only yields known tags
            self.problem(at, path, f"tag {_show_tag(tag)} is not allowed", _EXPECTED_PLAIN)
            return None
        node = ScalarNode(tag, event.value, style=event.style)
        try:
            return maker(self.loader, node)
        except Exception as exc:  # PyYAML raises ValueError, KeyError, AttributeError...
            kind, expected = _SCALAR_KINDS.get(tag, ("a valid value", _EXPECTED_PLAIN))
            message = f"{_show(event.value)} is not {kind}"
            detail = str(exc)
            if isinstance(exc, ValueError) and "digits" in detail and "limit" in detail:
                limit = re.search(r"\((\d+) digits\)", detail)
                message += f": it has more than {limit.group(1) if limit else 'the allowed'} digits"
            elif isinstance(exc, ValueError) and tag == _TIMESTAMP and detail:
                message += f": {detail}"
            self.problem(at, path, message, expected)
            return None

    def on_alias(self, event: AliasEvent) -> None:
        """Expand an alias into a copy of its anchored value, within limits.

        Args:
            event: The alias event.
        """
        at = _pos(event.start_mark)
        path = self.next_path()
        name = event.anchor or ""
        anchor = self.anchors.get(name)
        if name in self.open_anchors:
            self.problem(
                at,
                path,
                f"alias *{name} is used inside the value it names",
                "no self-references",
            )
            built = _Built(None, _Spot(at, at, None), 1, 0, "*" + name)
        elif anchor is None:
            self.problem(at, path, f"alias *{name} has no matching anchor &{name} before it")
            built = _Built(None, _Spot(at, at, None), 1, 0, "*" + name)
        else:
            source = anchor.built
            self.expanded += source.size
            if self.expanded > MAX_ALIAS_NODES:
                self.fatal(
                    at,
                    path,
                    f"aliases expand to too many values (more than {MAX_ALIAS_NODES:,})",
                    "fewer aliases (*name) or smaller anchored values",
                )
                return
            if len(self.stack) + source.height > MAX_DEPTH:
                self.fatal(
                    at,
                    path,
                    f"nesting is too deep (more than {MAX_DEPTH} levels)",
                    "a flatter structure",
                )
                return
            built = _Built(
                _copy(source.value),
                _Spot(at, at, source.spot.children),
                source.size,
                source.height,
                "*" + name,
                source.tag,
            )
        self.attach(built)

    def on_start(self, event: CollectionStartEvent) -> None:
        """Open a mapping or list, checking depth, tag and anchor.

        Args:
            event: The start event.
        """
        at = _pos(event.start_mark)
        path = self.next_path()
        is_map = isinstance(event, MappingStartEvent)
        if len(self.stack) + 1 > MAX_DEPTH:
            self.fatal(
                at,
                path,
                f"nesting is too deep (more than {MAX_DEPTH} levels)",
                "a flatter structure",
            )
            return
        tag = event.tag
        if tag not in (None, "!", _MAP if is_map else _SEQ):
            what = "a mapping" if is_map else "a list"
            if tag in _EXPLICIT_SCALAR_TAGS or tag in (_SEQ, _MAP):
                message = f"tag {_show_tag(tag)} cannot be used on {what}"
            else:
                message = f"tag {_show_tag(tag)} is not allowed"
            self.problem(at, path, message, _EXPECTED_PLAIN)
        if event.anchor is not None:
            self.define_anchor(event.anchor, at, path)
            self.open_anchors[event.anchor] = at[0]
        self.stack.append(_Frame(is_map, path, at, event.anchor))

    def on_end(self) -> None:
        """Close the innermost mapping or list and attach it to its parent."""
        frame = self.stack.pop()
        value: Any
        children: Mapping[str, _Spot] | Sequence[_Spot]
        if frame.is_map:
            value, children = frame.entries, frame.spot_map
        else:
            value, children = frame.items, frame.spots
        built = _Built(value, _Spot(frame.start, frame.start, children), frame.size, frame.height)
        if frame.anchor is not None:
            self.open_anchors.pop(frame.anchor, None)
            self.anchors[frame.anchor] = _Anchor(built, frame.start[0])
        self.attach(built)

    def define_anchor(self, name: str, at: Position, path: Sequence[PathItem]) -> None:
        """Check that an anchor name is not used twice.

        Args:
            name: The anchor name.
            at: Where the new anchor is.
            path: Key path of the anchored value.
        """
        first = self.open_anchors.get(name)
        if first is None and name in self.anchors:
            first = self.anchors[name].line
        if first is not None:
            self.problem(
                at,
                path,
                f"anchor &{name} is already defined on line {first}",
                "a different name for each anchor",
            )

    # ----------------------------------------------------------------- attaching

    def attach(self, built: _Built) -> None:
        """Put a finished value into its parent (or make it the document root).

        Args:
            built: The finished value.
        """
        if not self.stack:
            if self.root is None:
                self.root = built
            return
        top = self.stack[-1]
        top.size += built.size
        top.height = max(top.height, built.height + 1)
        if not top.is_map:
            top.items.append(built.value)
            top.spots.append(built.spot)
        elif top.expect_key:
            top.key = self.check_key(top, built)
            top.key_label = top.key if top.key is not None else (built.source or "?")
            top.key_pos = built.spot.value
            top.expect_key = False
        else:
            if top.key is not None:
                top.entries[top.key] = built.value
                top.spot_map[top.key] = _Spot(top.key_pos, built.spot.value, built.spot.children)
            top.expect_key = True

    def check_key(self, frame: _Frame, built: _Built) -> str | None:
        """Accept a mapping key only if it is unique text and not a merge key.

        Args:
            frame: The mapping being read.
            built: The key as a finished value.

        Returns:
            The key, or None after recording a problem.
        """
        at = built.spot.value
        if built.source is None:
            self.problem(
                at, frame.path, f"{_kind(built.value)} cannot be used as a key", "a text key"
            )
            return None
        if built.tag == _MERGE and not built.source.startswith("*"):
            self.problem(
                at,
                frame.path,
                "merge keys '<<' are not supported",
                "the keys written out in full; anchors and aliases for whole values are fine",
            )
            return None
        key = built.value
        if not isinstance(key, str):
            if built.source == "":
                message = "key is missing (nothing before ':')"
            else:
                message = f"key {_show(built.source)} is {_kind(key)}, not text"
            self.problem(at, frame.path, message, "a text key; put it in quotes")
            return None
        first = frame.key_lines.get(key)
        if first is not None:
            self.problem(
                at,
                (*frame.path, key),
                f"duplicate key {_show(key)}, first defined on line {first}",
                "each key only once per mapping",
            )
            return None
        frame.key_lines[key] = at[0]
        return key

    # ----------------------------------------------------------------- result

    def finish(self) -> Located:
        """Check the document as a whole and return it, or raise its problems.

        Returns:
            The located top-level mapping.

        Raises:
            ScenarioError: If any problem was recorded or the top level is unusable.
        """
        root = self.root
        if not self.problems:
            if root is None or root.empty_plain:
                self.problems.append(_whole_file(self.file, "file is empty", _EXPECTED_TOP))
            elif not isinstance(root.value, dict):
                self.problem(
                    root.spot.value,
                    (),
                    f"top level is {_kind(root.value)}, not a mapping",
                    _EXPECTED_TOP,
                )
        if self.problems or root is None or not isinstance(root.value, dict):
            raise ScenarioError(self.problems)
        return Located(root.value, self.file, root.spot)


# --------------------------------------------------------------------------- file reading


def _read_bytes(fs_path: str | bytes, file: str, max_bytes: int) -> bytes:
    """Read a file's bytes with :func:`influence_sim._inputs.read_bytes`.

    Args:
        fs_path: The path to open.
        file: The file name for problems.
        max_bytes: Largest size accepted.

    Returns:
        The file's content.

    Raises:
        ScenarioError: If the file cannot be used (missing, not a regular file, too large...).
    """
    try:
        return read_bytes(fs_path, max_bytes=max_bytes)
    except InputFileError as exc:
        expected = None
        if exc.kind in ("missing", "directory", "special", "os"):
            expected = "the path of an existing YAML scenario file"
        raise ScenarioError([_whole_file(file, exc.reason, expected)]) from None


def _decode(raw: bytes, file: str) -> str:
    """Decode file content as UTF-8, refusing binary and other encodings.

    Args:
        raw: The file's bytes.
        file: The file name for problems.

    Returns:
        The text, without a leading byte-order mark.

    Raises:
        ScenarioError: If the bytes are not UTF-8 text.
    """
    try:
        return decode_text(raw, file)
    except InputFileError as exc:
        problem = Problem(file, exc.line, exc.column, "", exc.reason, _EXPECTED_UTF8)
        raise ScenarioError([problem]) from None


def _parse(text: str, file: str) -> Located:
    """Parse decoded text into a located document.

    Args:
        text: The document text.
        file: The file name for problems.

    Returns:
        The located top-level mapping.

    Raises:
        ScenarioError: If anything is wrong with the document.
    """
    if "\x00" in text:
        raise ScenarioError(
            [_whole_file(file, "file looks binary: it contains NUL bytes", _EXPECTED_UTF8)]
        )
    builder = _Builder(file)
    try:
        builder.run(text)
    except Exception as exc:  # a bug or a parser failure nobody anticipated
        builder.problems.append(_unexpected(file, exc))
    return builder.finish()


def _display_name(path: object) -> str:
    """Name a path the way the user gave it, for problem reports.

    Args:
        path: Whatever was passed as a path.

    Returns:
        A printable name (not made absolute).
    """
    try:
        if isinstance(path, (str, bytes, os.PathLike)):
            return os.fsdecode(os.fspath(path))
    except Exception:
        return repr(path)
    return repr(path)


# --------------------------------------------------------------------------- public API


def load_located(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    """Read a scenario YAML file into plain data that remembers positions.

    Args:
        path: The scenario file, as the user gave it (kept as is in messages).
        max_bytes: Largest file size accepted, in bytes.

    Returns:
        The located top-level mapping.

    Raises:
        ScenarioError: For any problem at all: the file is missing, unreadable,
            too large, binary or not UTF-8, its YAML is invalid or unsafe, or
            its top level is not a mapping. All problems that can be found in
            one pass are reported together.
    """
    file = _display_name(path)
    try:
        if not isinstance(path, (str, bytes, os.PathLike)):
            raise ScenarioError(
                [_whole_file(file, "not a file path", "the path of a YAML scenario file")]
            )
        fs_path = os.fspath(path)
        raw = _read_bytes(fs_path, file, max_bytes)
        return _parse(_decode(raw, file), file)
    except ScenarioError:
        raise
    except Exception as exc:
        raise ScenarioError([_unexpected(file, exc)]) from exc


def loads_located(
    text: str, file: str = "<string>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Located:
    """Read scenario YAML from a string into plain data that remembers positions.

    Args:
        text: The YAML text.
        file: The name to use for this text in problem reports.
        max_bytes: Largest accepted size of the text once encoded as UTF-8.

    Returns:
        The located top-level mapping.

    Raises:
        ScenarioError: For any problem in the text (see :func:`load_located`).
    """
    try:
        if not isinstance(text, str):
            raise ScenarioError([_whole_file(file, "not YAML text", "a string")])
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if size > max_bytes:
            raise ScenarioError(
                [
                    _whole_file(
                        file,
                        f"file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)",
                    )
                ]
            )
        return _parse(text.removeprefix("\ufeff"), file)
    except ScenarioError:
        raise
    except Exception as exc:
        raise ScenarioError([_unexpected(str(file), exc)]) from exc
