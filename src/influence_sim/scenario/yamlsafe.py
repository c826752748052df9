"""Safe, position-aware reading of scenario YAML files.

This module owns the step from bytes on disk (or text in memory) to plain
Python data. It remembers where every key and value came from, so that later
layers (the schema, the shock timeline) can point analysts at the exact line
and column of a mistake.

How it works: PyYAML's safe scanner, parser, resolver and composer (a
``SafeLoader`` subclass) turn the text into nodes whose start marks give every
line and column. The subclass checks each node as it is composed, and a short
walk turns the nodes into plain data without PyYAML's constructor. That lets it

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

import copy
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import yaml
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    MappingStartEvent,
    ScalarEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from influence_sim._inputs import InputFileError, decode_text, read_bytes
from influence_sim.scenario.errors import (
    PathItem,
    Problem,
    ScenarioError,
    format_path,
    kind_of,
    show,
)

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


_Spots = Mapping[tuple[PathItem, ...], tuple[Position, Position]]
"""Where each entry of a document is written: its key (or list item) and its value."""


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
    _spots: _Spots = field(default_factory=dict, repr=False, compare=False)

    def _spot(self, path: tuple[PathItem, ...]) -> tuple[Position, Position] | None:
        """Find where the entry at ``path`` and its value are written.

        Args:
            path: Keys and list indexes from the top of the document.

        Returns:
            The positions of the key and of the value, or None when the path does not exist.
        """
        if any(isinstance(step, bool) for step in path):
            return None
        return self._spots.get(tuple(path))

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
        return None if spot is None else spot[0]

    def where_value(self, path: tuple[PathItem, ...]) -> Position | None:
        """Return the 1-based (line, column) where the value at ``path`` starts.

        Args:
            path: Keys and list indexes, e.g. ``("time", "start")``.

        Returns:
            The position, or None if the path does not exist in the document.
        """
        spot = self._spot(path)
        return None if spot is None else spot[1]

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
                position = spot[1] if use_value else spot[0]
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


# --------------------------------------------------------------------------- the reader


class _Stop(Exception):
    """Raised while composing when reading cannot sensibly go on (the problem is recorded)."""


_REFUSED: Final = "!refused"
"""Tag put on a scalar whose written tag was refused, so that no value is ever built from it."""

_INVALID: Final = object()
"""Stands for a single value that was refused or does not fit its tag."""

_TOO_DEEP: Final = f"nesting is too deep (more than {MAX_DEPTH} levels)"
_FLATTER: Final = "a flatter structure"

_ScalarMaker = Callable[["_Reader", ScalarNode], Any]

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
class _Open:
    """A mapping or list being composed.

    Attributes:
        path: Key path of the collection.
        is_map: True for a mapping, False for a list.
        step: Key or index of the entry being read, None while a mapping waits for a key.
        lines: For a mapping, the line where each of its keys was first written.
    """

    path: tuple[PathItem, ...]
    is_map: bool
    step: PathItem | None = None
    lines: dict[str, int] = field(default_factory=dict)


def _label(node: Node) -> str:
    """Name a mapping key in key paths, even a key that is refused.

    Args:
        node: The key's node.

    Returns:
        The key as written for a single value, ``"?"`` for an empty one, a mapping or a list.
    """
    return (str(node.value) or "?") if isinstance(node, ScalarNode) else "?"


class _Reader(yaml.SafeLoader):
    """PyYAML's safe scanner, parser, resolver and composer, plus this module's checks.

    :meth:`compose_node` wraps PyYAML's composer and checks each node as it
    arrives: tags outside the core set, repeated anchors, dangling and
    self-referring aliases, alias bombs, deep nesting, scalar values that do
    not fit their tag and refused keys. Nothing is expanded or recursed into
    beyond the limits, and every problem found before a syntax error is kept.
    :meth:`build` then turns the composed nodes into plain data; the nodes'
    start marks give every position. The implicit resolvers are
    snapshotted so that other code registering resolvers on
    ``yaml.SafeLoader`` cannot change how scenarios are read.

    Attributes:
        file: The file name used in problems.
        problems: The problems found so far.
    """

    def __init__(self, text: str, file: str, problems: list[Problem]) -> None:
        """Prepare to read ``text``.

        Args:
            text: The whole document, already decoded.
            file: The file name used in problems.
            problems: Where to record problems (shared with the caller, so
                that problems found before a syntax error are kept).
        """
        self.file = file
        self.problems = problems
        self.frames: list[_Open] = []
        self.open_anchors: set[str] = set()
        self.aliases: dict[int, str] = {}
        self.sizes: dict[int, tuple[int, int]] = {}
        self.spots: dict[tuple[PathItem, ...], tuple[Position, Position]] = {}
        self.expanded = 0
        super().__init__(text)

    # ----------------------------------------------------------------- reporting

    def note(
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

    def stop(self, at: Position, path: Sequence[PathItem], message: str, expected: str) -> NoReturn:
        """Record a problem after which reading cannot sensibly go on, and stop.

        Args:
            at: Position in the file.
            path: Key path of the offending value.
            message: What is wrong.
            expected: What was expected instead.

        Raises:
            _Stop: Always.
        """
        self.note(at, path, message, expected)
        raise _Stop

    def next_path(self) -> tuple[PathItem, ...]:
        """Key path of the entry being read, for syntax errors.

        Returns:
            The path; for a mapping waiting for a key, the path of the mapping.
        """
        if not self.frames:
            return ()
        top = self.frames[-1]
        return top.path if top.step is None else (*top.path, top.step)

    # ----------------------------------------------------------------- composing

    def read(self) -> Node | None:
        """Compose the one document of the text.

        Returns:
            The root node, or None if the text holds no document.

        Raises:
            _Stop: If the text holds more than one document.
        """
        self.get_event()  # type: ignore[no-untyped-call]  # the start of the stream
        root: Node | None = None
        if not self.check_event(StreamEndEvent):
            root = self.compose_document()
        if not self.check_event(StreamEndEvent):
            self.stop(
                _pos(self.peek_event().start_mark),  # type: ignore[no-untyped-call]
                (),
                "file contains more than one YAML document",
                "a single document; remove the extra '---' line",
            )
        return root

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Compose one node with PyYAML, checking it as it arrives.

        Args:
            parent: The enclosing mapping or list, None for the root.
            index: For a list item its index, for a mapping value its key's
                node, None for a mapping key or the root.

        Returns:
            The node (for an alias, a shallow copy of the anchored node that
            carries the alias's position).

        Raises:
            _Stop: If the nesting is too deep.
        """
        top = self.frames[-1] if self.frames else None
        if top is not None and not isinstance(index, Node):
            top.step = index
        path = self.next_path()
        event = self.peek_event()  # type: ignore[no-untyped-call]
        at = _pos(event.start_mark)
        if isinstance(event, AliasEvent):
            self.get_event()  # type: ignore[no-untyped-call]
            node = self.alias(event, at, path)
        else:
            is_scalar = isinstance(event, ScalarEvent)
            if not is_scalar and len(self.frames) >= MAX_DEPTH:
                self.stop(at, path, _TOO_DEEP, _FLATTER)
            refused = self.refuse_tag(event, at, path)
            anchor = event.anchor
            if anchor is not None and anchor in self.anchors:
                first = self.anchors.pop(anchor).start_mark.line + 1
                message = f"anchor &{anchor} is already defined on line {first}"
                self.note(at, path, message, "a different name for each anchor")
            if is_scalar:
                node = self.composed(parent, index)
                if refused:
                    node.tag = _REFUSED
                else:
                    self.scalar(node, path, report=True)
            else:
                is_map = isinstance(event, MappingStartEvent)
                self.frames.append(_Open(path, is_map, None if is_map else 0))
                open_anchor = {anchor} if anchor is not None else set()
                self.open_anchors |= open_anchor
                node = self.composed(parent, index)
                self.frames.pop()
                self.open_anchors -= open_anchor
        if top is not None and top.is_map and index is None:
            key = self.key(node, top.path, top.lines, report=True)
            top.step = key if key is not None else _label(node)
        elif top is not None:
            top.step = None if top.is_map else int(index) + 1
        return node

    def composed(self, parent: Node | None, index: Any) -> Node:
        """Let PyYAML's composer compose the next node (its children come back here).

        Args:
            parent: The enclosing node.
            index: The entry's index or key node.

        Returns:
            The node.
        """
        node = super().compose_node(parent, index)
        assert node is not None  # PyYAML returns None only at the end of the stream
        return node

    def refuse_tag(
        self, event: ScalarEvent | CollectionStartEvent, at: Position, path: Sequence[PathItem]
    ) -> bool:
        """Record a written tag outside the core set, or one that does not fit the node.

        Args:
            event: The scalar or collection start event.
            at: Where the node is written.
            path: Its key path.

        Returns:
            True if the tag is refused.
        """
        tag = event.tag
        if tag in (None, "!"):
            return False
        if isinstance(event, ScalarEvent):
            allowed, shape = _EXPLICIT_SCALAR_TAGS, "a single value"
        else:
            is_map = isinstance(event, MappingStartEvent)
            allowed, shape = (
                frozenset({_MAP if is_map else _SEQ}),
                "a mapping" if is_map else "a list",
            )
        if tag in allowed:
            return False
        misplaced = tag in _EXPLICIT_SCALAR_TAGS or tag in (_SEQ, _MAP)
        message = f"cannot be used on {shape}" if misplaced else "is not allowed"
        self.note(at, path, f"tag {_show_tag(str(tag))} {message}", _EXPECTED_PLAIN)
        return True

    def alias(self, event: AliasEvent, at: Position, path: Sequence[PathItem]) -> Node:
        """Resolve an alias to its anchored node, within the expansion and nesting limits.

        Args:
            event: The alias event.
            at: Where the alias is written.
            path: Its key path.

        Returns:
            A shallow copy of the anchored node placed at the alias, or a
            refused single value if the alias cannot be used.

        Raises:
            _Stop: If aliases expand to too many values or nest too deep.
        """
        name = str(event.anchor)
        anchored = self.anchors.get(name)
        if name in self.open_anchors or anchored is None:
            if name in self.open_anchors:
                message, expected = (
                    f"alias *{name} is used inside the value it names",
                    "no self-references",
                )
            else:
                message, expected = f"alias *{name} has no matching anchor &{name} before it", None
            self.note(at, path, message, expected)
            refused = ScalarNode(_REFUSED, "*" + name)
            refused.start_mark = refused.end_mark = event.start_mark
            return refused
        size, height = self.measure(anchored)
        self.expanded += size
        if self.expanded > MAX_ALIAS_NODES:
            self.stop(
                at,
                path,
                f"aliases expand to too many values (more than {MAX_ALIAS_NODES:,})",
                "fewer aliases (*name) or smaller anchored values",
            )
        if len(self.frames) + height > MAX_DEPTH:
            self.stop(at, path, _TOO_DEEP, _FLATTER)
        node = copy.copy(anchored)
        node.start_mark = event.start_mark
        self.aliases[id(node)] = name
        return node

    def measure(self, node: Node) -> tuple[int, int]:
        """Count the values a node holds once aliases are expanded, and its nesting.

        Args:
            node: A fully composed node.

        Returns:
            The number of values (itself included) and the nesting levels
            (0 for a single value, 1 for a flat list or mapping).
        """
        known = self.sizes.get(id(node))
        if known is None:
            children: list[Node] = []
            if isinstance(node, MappingNode):
                children = [part for pair in node.value for part in pair]
            elif isinstance(node, SequenceNode):
                children = list(node.value)
            parts = [self.measure(child) for child in children]
            size = 1 + sum(count for count, _ in parts)
            height = (
                0 if isinstance(node, ScalarNode) else 1 + max((h for _, h in parts), default=0)
            )
            known = self.sizes[id(node)] = (size, height)
        return known

    # ----------------------------------------------------------------- building

    def build(self, node: Node, path: tuple[PathItem, ...], key_at: Position) -> Any:
        """Turn a composed node into plain data, noting where each entry is written.

        Every problem has been recorded while composing; this walk only drops
        what was refused. Values reached through an alias are built again (so
        aliases never share objects) and keep the positions inside the
        anchored value.

        Args:
            node: The node.
            path: Its key path.
            key_at: Where its key (or, for a list item or the root, the node itself) is written.

        Returns:
            The plain value.
        """
        self.spots[path] = (key_at, _pos(node.start_mark))
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*path, index), _pos(item.start_mark))
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            entries: dict[str, Any] = {}
            lines: dict[str, int] = {}
            for key_node, value_node in node.value:
                key = self.key(key_node, path, lines, report=False)
                if key is not None:
                    entries[key] = self.build(value_node, (*path, key), _pos(key_node.start_mark))
            return entries
        value = self.scalar(node, path, report=False)
        return None if value is _INVALID else value

    def scalar(self, node: Node, path: Sequence[PathItem], *, report: bool) -> Any:
        """Construct the Python value of a single value with safe semantics.

        Args:
            node: A scalar node.
            path: Its key path.
            report: Whether to record a value that does not fit its tag.

        Returns:
            The value, or :data:`_INVALID` if its tag was refused or it does not fit its tag.
        """
        tag = str(node.tag)
        maker = _SCALAR_MAKERS.get(tag)
        if maker is None or not isinstance(node, ScalarNode):
            return _INVALID  # the tag was refused while composing
        try:
            return maker(self, node)
        except Exception as exc:  # PyYAML raises ValueError, KeyError, AttributeError...
            if report:
                kind, expected = _SCALAR_KINDS.get(tag, ("a valid value", _EXPECTED_PLAIN))
                message = f"{show(str(node.value))} is not {kind}"
                detail = str(exc)
                if isinstance(exc, ValueError) and "digits" in detail and "limit" in detail:
                    limit = re.search(r"\((\d+) digits\)", detail)
                    found = limit.group(1) if limit else "the allowed"
                    message += f": it has more than {found} digits"
                elif isinstance(exc, ValueError) and tag == _TIMESTAMP and detail:
                    message += f": {detail}"
                self.note(_pos(node.start_mark), path, message, expected)
            return _INVALID

    def key(
        self, node: Node, path: tuple[PathItem, ...], lines: dict[str, int], *, report: bool
    ) -> str | None:
        """Accept a mapping key only if it is unique text and not a merge key.

        Args:
            node: The key's node.
            path: Key path of the mapping.
            lines: Line of first definition of each key of the mapping so far.
            report: Whether to record why a key is refused.

        Returns:
            The key, or None if it is refused.
        """
        at = _pos(node.start_mark)
        alias = self.aliases.get(id(node))
        scalar = isinstance(node, ScalarNode)
        key = self.scalar(node, path, report=False) if scalar else None
        shape = kind_of(key) if scalar else kind_of({} if isinstance(node, MappingNode) else [])
        if key is _INVALID:
            return None  # reported where the value is written
        text_key = "a text key; put it in quotes"
        if isinstance(key, str) and node.tag == _MERGE and alias is None:
            problem = (
                path,
                "merge keys '<<' are not supported",
                "the keys written out in full; anchors and aliases for whole values are fine",
            )
        elif isinstance(key, str) and key in lines:
            message = f"duplicate key {show(key)}, first defined on line {lines[key]}"
            problem = ((*path, key), message, "each key only once per mapping")
        elif isinstance(key, str):
            lines[key] = at[0]
            return key
        elif not scalar and alias is None:
            problem = (path, f"{shape} cannot be used as a key", "a text key")
        elif alias is None and node.value == "":
            problem = (path, "key is missing (nothing before ':')", text_key)
        else:
            written = "*" + alias if alias is not None else str(node.value)
            problem = (path, f"key {show(written)} is {shape}, not text", text_key)
        if report:
            self.note(at, *problem)
        return None


_Reader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Reader.yaml_path_resolvers = {}


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str, path: Sequence[PathItem]) -> Problem:
    """Turn a YAML syntax error into a located problem with a hint.

    Args:
        exc: The error raised by PyYAML's scanner or parser.
        file: The file name for problems.
        path: Key path of the entry being read when it was raised.

    Returns:
        The problem.
    """
    problem = exc.problem or _short_reason(exc)
    mark = exc.problem_mark or exc.context_mark
    message = problem
    show_context = bool(exc.context) and not str(exc.context).startswith("while parsing a block")
    if show_context and exc.context_mark is not None and exc.context_mark is not mark:
        c_line, c_col = _pos(exc.context_mark)
        if (c_line, c_col) != _pos(mark):
            message += f", {exc.context} starting at line {c_line}, column {c_col}"
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in problem), None)
    line, col = _pos(mark) if mark is not None else (None, None)
    return Problem(file, line, col, format_path(path), message, hint)


def _is_empty(root: Node) -> bool:
    """Tell whether a document's root is nothing at all (an empty, untagged plain value).

    Args:
        root: The root node.

    Returns:
        True for a document with nothing in it, such as ``---`` alone.
    """
    return (
        isinstance(root, ScalarNode) and root.tag == _NULL and root.style is None and not root.value
    )


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
    problems: list[Problem] = []
    reader: _Reader | None = None
    root: Node | None = None
    data: Any = None
    try:
        reader = _Reader(text, file, problems)
        root = reader.read()
        if root is not None:
            data = reader.build(root, (), _pos(root.start_mark))
    except ReaderError as exc:
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
        line, col = _line_col(text, exc.position)
        message = f"special character {shown} is not allowed in YAML"
        problems.append(
            Problem(file, line, col, "", message, "plain text; delete this invisible character")
        )
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, file, reader.next_path() if reader else ()))
    except yaml.YAMLError as exc:
        problems.append(_whole_file(file, f"could not read YAML: {_short_reason(exc)}"))
    except _Stop:
        pass
    except Exception as exc:  # a bug or a parser failure nobody anticipated
        problems.append(_unexpected(file, exc))
    finally:
        if reader is not None:
            reader.dispose()
    if not problems and (root is None or _is_empty(root)):
        problems.append(_whole_file(file, "file is empty", _EXPECTED_TOP))
    elif not problems and root is not None and not isinstance(data, dict):
        line, col = _pos(root.start_mark)
        message = f"top level is {kind_of(data)}, not a mapping"
        problems.append(Problem(file, line, col, "", message, _EXPECTED_TOP))
    if problems or not isinstance(data, dict) or reader is None:
        raise ScenarioError(problems)
    return Located(data, file, reader.spots)


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
