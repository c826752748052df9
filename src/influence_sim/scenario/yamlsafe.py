"""Safe, position-aware reading of scenario YAML files.

Turns bytes on disk (or text in memory) into plain data that remembers the line
and column of every key and value. Every tag outside the YAML core set is
refused before anything is built from it (so ``!!python/...`` can never run
code), as are duplicate and non-text keys, merge keys (``<<``, dropped by YAML 1.2),
alias bombs, deep nesting, oversized and binary files. Every problem is reported in one
:class:`~influence_sim.scenario.errors.ScenarioError`, the only exception raised.

The reader is PyYAML's ``SafeLoader`` with ``compose_node`` extended to check
each node as it arrives; a short walk then turns the nodes, whose marks give
every position, into data. Checking the tree of ``yaml.compose`` afterwards is
not enough: its composer recurses once per level (ten thousand open brackets
overflow the stack), an alias bomb must be stopped while it is read, and the
problems found before a syntax error would be lost with the tree. Plain values
keep PyYAML's safe meaning (``2021-08-15`` is a date, ``yes`` is true).
"""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, ScalarEvent, StreamEndEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.reader import ReaderError

from influence_sim._inputs import InputFileError, decode_text, read_bytes, shown_name
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

Position = tuple[int, int]  # 1-based (line, column)
KeyPath = tuple[PathItem, ...]  # keys and list indexes from the top of a document
_Spot = tuple[Position, Position]  # where an entry's key (or list item) and its value start

_EXPECTED_TOP: Final = "a mapping of scenario settings"
_EXPECTED_UTF8: Final = "a UTF-8 text file; save it again with UTF-8 encoding"
_EXPECTED_PLAIN: Final = "plain YAML values"
_TEXT_KEY: Final = "a text key; put it in quotes"
_TOO_DEEP: Final = f"nesting is too deep (more than {MAX_DEPTH} levels)"

_CORE: Final = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP, _SEQ, _MAP, _MERGE, _VALUE = (
    _CORE + name
    for name in ("str", "int", "float", "bool", "null", "timestamp", "seq", "map", "merge", "value")
)
_REFUSED: Final = "!refused"  # replaces a refused tag, so that nothing is built from it
_INVALID: Final = object()  # a single value that was refused or does not fit its tag

# A single value that does not fit its tag was supposed to be: (kind, expected).
_SCALAR_KINDS: Final[Mapping[str, tuple[str, str]]] = {
    _INT: ("a valid whole number", "a whole number, e.g. 42"),
    _FLOAT: ("a valid number", "a number, e.g. 0.5"),
    _BOOL: ("a valid true/false value", "true or false"),
    _TIMESTAMP: ("a valid date", "a real calendar date, e.g. 2021-08-15"),
}
_SCALAR_TAGS: Final = frozenset({_STR, _NULL, *_SCALAR_KINDS})

# Hints added to PyYAML syntax errors, matched on its problem text.
_SYNTAX_HINTS: Final = (
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
    _spots: Mapping[KeyPath, _Spot] = field(default_factory=dict, repr=False, compare=False)

    def _at(self, path: KeyPath, value: bool = False) -> Position | None:
        if any(isinstance(step, bool) for step in path):
            return None  # True would find the item at index 1
        spot = self._spots.get(tuple(path))
        return None if spot is None else spot[value]

    def where(self, path: KeyPath) -> Position | None:
        """Return the 1-based (line, column) of the entry at ``path``, None if there is none.

        That is where its key is written, or a list item starts. Values reached
        through an alias report positions inside the anchored value.
        """
        return self._at(path)

    def where_value(self, path: KeyPath) -> Position | None:
        """Return the 1-based (line, column) where the value at ``path`` starts, or None."""
        return self._at(path, value=True)

    def problem_at(
        self, path: KeyPath, message: str, expected: str | None = None, *, at_value: bool = False
    ) -> Problem:
        """Build a :class:`Problem` about the entry at ``path``, rendered by :func:`format_path`.

        If ``path`` does not exist (a missing key, say), the problem points at
        the key of the nearest enclosing entry that does.

        Args:
            path: Keys and list indexes of the offending entry.
            message: What is wrong, in plain words.
            expected: What would have been accepted instead, if useful.
            at_value: Point at the value rather than at its key.
        """
        lengths = range(len(path), -1, -1)
        found = (self._at(path[:n], at_value and n == len(path)) for n in lengths)
        line, col = next((at for at in found if at is not None), (None, None))
        return Problem(self.file, line, col, format_path(path), message, expected)


def _pos(mark: Any) -> Position:
    """Turn a PyYAML mark (0-based) into a 1-based (line, column)."""
    return (int(mark.line) + 1, int(mark.column) + 1)


def _whole_file(file: str, message: str, expected: str | None = None) -> ScenarioError:
    return ScenarioError([Problem(file, None, None, "", message, expected)])


def _short_reason(exc: BaseException) -> str:
    """Summarise an exception as ``Type: first line``, in at most 120 characters."""
    lines = str(exc).strip().splitlines()
    reason = type(exc).__name__ + (f": {lines[0]}" if lines else "")
    return reason if len(reason) <= 120 else reason[:117] + "..."


@dataclass(slots=True)
class _Open:
    """A mapping or list being composed."""

    path: KeyPath
    step: PathItem | None  # key or index of the entry being read; None: a mapping awaits a key
    lines: dict[str, int] = field(default_factory=dict)  # a mapping's keys -> line first written


class _Reader(yaml.SafeLoader):
    """PyYAML's safe loader, checking each node as it is composed; :meth:`build` makes the data.

    Its implicit resolvers are copied below, so that resolvers registered on
    ``yaml.SafeLoader`` elsewhere cannot change how scenarios are read.
    """

    def __init__(self, text: str, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems  # the caller's list: kept when a syntax error stops reading
        self.frames: list[_Open] = []
        self.keys: dict[Node, str] = {}  # key node -> the key, for accepted keys
        self.sizes: dict[Node, tuple[int, int]] = {}  # see measure
        self.spots: dict[KeyPath, _Spot] = {}
        self.expanded = 0
        super().__init__(text)

    def note(self, at: Position, path: KeyPath, message: str, expected: str | None = None) -> None:
        self.problems.append(Problem(self.file, *at, format_path(path), message, expected))

    def stop(self, at: Position, path: KeyPath, message: str, expected: str) -> NoReturn:
        """Record a problem after which reading cannot sensibly go on, and stop."""
        self.note(at, path, message, expected)
        raise ScenarioError(self.problems)

    def next_path(self) -> KeyPath:
        """Key path of the entry being read (of the mapping, while it waits for a key)."""
        top = self.frames[-1] if self.frames else _Open((), None)
        return top.path if top.step is None else (*top.path, top.step)

    def read(self) -> Node | None:
        """Compose the one document of the text; None if there is none."""
        self.get_event()  # type: ignore[no-untyped-call]  # the start of the stream
        root = None if self.check_event(StreamEndEvent) else self.compose_document()
        if not self.check_event(StreamEndEvent):
            at = _pos(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            message = "file contains more than one YAML document"
            self.stop(at, (), message, "a single document; remove the extra '---' line")
        return root

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        """Check the next node, then let PyYAML compose it (its children come back here).

        ``index`` is a list item's index, a mapping value's key node, or None (a key, the root).
        """
        top = self.frames[-1] if self.frames else None
        path = self.next_path()
        event = self.peek_event()  # type: ignore[no-untyped-call]
        at = _pos(event.start_mark)
        alias = str(event.anchor) if isinstance(event, AliasEvent) else None
        if alias is None:
            is_scalar = isinstance(event, ScalarEvent)
            if not is_scalar and len(self.frames) >= MAX_DEPTH:
                self.stop(at, path, _TOO_DEEP, "a flatter structure")
            if self.refuse_tag(event, at, path):
                event.tag = _REFUSED  # so that nothing is built from the node
            if event.anchor in self.anchors:
                first = self.anchors.pop(event.anchor).start_mark.line + 1
                message = f"anchor &{event.anchor} is already defined on line {first}"
                self.note(at, path, message, "a different name for each anchor")
            if not is_scalar:
                self.frames.append(_Open(path, None if isinstance(event, MappingStartEvent) else 0))
            node = super().compose_node(parent, index)
            assert node is not None  # PyYAML returns None only at the end of the stream
            if is_scalar:
                self.scalar(node, path, report=True)
            else:
                self.frames.pop()
        else:
            node = self.alias(self.get_event(), at, path)  # type: ignore[no-untyped-call]
        if top is not None and isinstance(parent, MappingNode) and index is None:
            top.step = self.key(node, top, alias)
        elif top is not None:
            top.step = None if isinstance(parent, MappingNode) else int(index) + 1
        return node

    def refuse_tag(self, event: Any, at: Position, path: KeyPath) -> bool:
        """Record a written tag outside the core set or not fitting the node; True if refused."""
        tag = event.tag
        if isinstance(event, ScalarEvent):
            allowed, shape = _SCALAR_TAGS, "a single value"
        elif isinstance(event, MappingStartEvent):
            allowed, shape = frozenset({_MAP}), "a mapping"
        else:
            allowed, shape = frozenset({_SEQ}), "a list"
        if tag in (None, "!") or tag in allowed:
            return False
        shown = "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag
        shown = "".join(ch if ch.isprintable() and not ch.isspace() else "?" for ch in shown)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        misplaced = tag in _SCALAR_TAGS or tag in (_SEQ, _MAP)
        message = f"cannot be used on {shape}" if misplaced else "is not allowed"
        self.note(at, path, f"tag {shown} {message}", _EXPECTED_PLAIN)
        return True

    def alias(self, event: AliasEvent, at: Position, path: KeyPath) -> Node:
        """Place a shallow copy of the anchored node at an alias, within the limits."""
        name = str(event.anchor)
        anchored = self.anchors.get(name)
        if anchored is None:
            self.note(at, path, f"alias *{name} has no matching anchor &{name} before it")
        elif anchored.end_mark is None:  # PyYAML sets it when a mapping or list is closed
            message = f"alias *{name} is used inside the value it names"
            self.note(at, path, message, "no self-references")
        if anchored is None or anchored.end_mark is None:
            refused = ScalarNode(_REFUSED, "*" + name)
            refused.start_mark = refused.end_mark = event.start_mark
            return refused
        size, height = self.measure(anchored)
        self.expanded += size
        if self.expanded > MAX_ALIAS_NODES:
            message = f"aliases expand to too many values (more than {MAX_ALIAS_NODES:,})"
            self.stop(at, path, message, "fewer aliases (*name) or smaller anchored values")
        if len(self.frames) + height > MAX_DEPTH:
            self.stop(at, path, _TOO_DEEP, "a flatter structure")
        node = copy.copy(anchored)
        node.start_mark = event.start_mark
        return node

    def measure(self, node: Node) -> tuple[int, int]:
        """Count the values in ``node`` once aliases are expanded, and its nesting levels."""
        if isinstance(node, ScalarNode):
            return (1, 0)
        if node not in self.sizes:
            children = node.value
            if isinstance(node, MappingNode):
                children = [part for pair in node.value for part in pair]
            parts = [self.measure(child) for child in children]
            size = 1 + sum(count for count, _ in parts)
            self.sizes[node] = (size, 1 + max((height for _, height in parts), default=0))
        return self.sizes[node]

    def scalar(self, node: Node, path: KeyPath, *, report: bool) -> Any:
        """Build a single value; :data:`_INVALID` if refused or not fitting (then ``report`` it)."""
        tag = _STR if node.tag in (_MERGE, _VALUE) else str(node.tag)  # '<<' and '=' are text
        if tag not in _SCALAR_TAGS:
            return _INVALID  # the tag was refused while composing
        try:
            return SafeConstructor.yaml_constructors[tag](self, node)
        except Exception as exc:  # PyYAML raises ValueError, KeyError, AttributeError...
            if report:
                kind, expected = _SCALAR_KINDS.get(tag, ("a valid value", _EXPECTED_PLAIN))
                message = f"{show(str(node.value))} is not {kind}"
                detail = str(exc)
                if isinstance(exc, ValueError) and "digits" in detail and "limit" in detail:
                    message += f": it has more than {sys.get_int_max_str_digits()} digits"
                elif isinstance(exc, ValueError) and tag == _TIMESTAMP and detail:
                    message += f": {detail}"
                self.note(_pos(node.start_mark), path, message, expected)
            return _INVALID

    def key(self, node: Node, frame: _Open, alias: str | None) -> str:
        """Check a key of the mapping ``frame`` (unique text, no ``<<``); name it for key paths."""
        at, path = _pos(node.start_mark), frame.path
        scalar = isinstance(node, ScalarNode)
        key = self.scalar(node, path, report=False) if scalar else None
        shape = kind_of(key if scalar else {} if isinstance(node, MappingNode) else [])
        if key is _INVALID:
            pass  # reported where the value is written
        elif isinstance(key, str) and node.tag == _MERGE and alias is None:
            message = "merge keys '<<' are not supported"
            expected = "the keys written out in full; anchors and aliases for whole values are fine"
            self.note(at, path, message, expected)
        elif isinstance(key, str) and key in frame.lines:
            message = f"duplicate key {show(key)}, first defined on line {frame.lines[key]}"
            self.note(at, (*path, key), message, "each key only once per mapping")
        elif isinstance(key, str):
            frame.lines[key] = at[0]
            self.keys[node] = key
            return key
        elif not scalar and alias is None:
            self.note(at, path, f"{shape} cannot be used as a key", "a text key")
        elif alias is None and node.value == "":
            self.note(at, path, "key is missing (nothing before ':')", _TEXT_KEY)
        else:
            written = "*" + alias if alias is not None else str(node.value)
            self.note(at, path, f"key {show(written)} is {shape}, not text", _TEXT_KEY)
        return (str(node.value) or "?") if scalar else "?"

    def build(self, node: Node, path: KeyPath, key_at: Position) -> Any:
        """Turn a node into plain data, noting where each entry and its key are written.

        Refused keys are left out and refused values become None; aliases never share objects.
        """
        self.spots[path] = (key_at, _pos(node.start_mark))
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*path, index), _pos(item.start_mark))
                for index, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            entries: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if (key := self.keys.get(key_node)) is not None:
                    entries[key] = self.build(value_node, (*path, key), _pos(key_node.start_mark))
            return entries
        value = self.scalar(node, path, report=False)
        return None if value is _INVALID else value


_Reader.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Reader.yaml_path_resolvers = {}


def _syntax_problem(exc: yaml.MarkedYAMLError, file: str, path: KeyPath) -> Problem:
    """Turn a PyYAML syntax error, met while reading the entry at ``path``, into a problem."""
    message = exc.problem or _short_reason(exc)
    hint = next((h for needle, h in _SYNTAX_HINTS if needle in message), None)
    mark, context = exc.problem_mark or exc.context_mark, exc.context_mark
    shown = bool(exc.context) and not str(exc.context).startswith("while parsing a block")
    if shown and context is not None and _pos(context) != _pos(mark):
        c_line, c_col = _pos(context)
        message += f", {exc.context} starting at line {c_line}, column {c_col}"
    line, col = _pos(mark) if mark is not None else (None, None)
    return Problem(file, line, col, format_path(path), message, hint)


def _parse(text: str, file: str) -> Located:
    """Parse decoded text into a located document, or raise :class:`ScenarioError`."""
    if "\x00" in text:
        raise _whole_file(file, "file looks binary: it contains NUL bytes", _EXPECTED_UTF8)
    problems: list[Problem] = []
    reader: _Reader | None = None
    try:
        reader = _Reader(text, file, problems)  # refuses a character YAML does not allow
        root = reader.read()
        data = None if root is None else reader.build(root, (), _pos(root.start_mark))
    except ReaderError as exc:
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else "?"
        index = max(0, min(exc.position, len(text)))
        line, col = text.count("\n", 0, index) + 1, index - text.rfind("\n", 0, index)
        message = f"special character {shown} is not allowed in YAML"
        expected = "plain text; delete this invisible character"
        problems.append(Problem(file, line, col, "", message, expected))
    except yaml.MarkedYAMLError as exc:
        problems.append(_syntax_problem(exc, file, reader.next_path() if reader else ()))
    except ScenarioError:
        pass  # the reader stopped: its problems are recorded
    except Exception as exc:  # a bug or a parser failure nobody anticipated
        problems.append(Problem(file, None, None, "", f"could not read YAML: {_short_reason(exc)}"))
    finally:
        if reader is not None:
            reader.dispose()
    if problems or reader is None:  # every failure above is recorded: root and data are set
        raise ScenarioError(problems)
    empty = isinstance(root, ScalarNode) and root.tag == _NULL and root.style is None
    if root is None or (empty and not root.value):
        raise _whole_file(file, "file is empty", _EXPECTED_TOP)
    if not isinstance(data, dict):
        message = f"top level is {kind_of(data)}, not a mapping"
        raise ScenarioError([Problem(file, *_pos(root.start_mark), "", message, _EXPECTED_TOP)])
    return Located(data, file, reader.spots)


def load_located(path: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Located:
    """Read a scenario YAML file into plain data that remembers positions.

    Args:
        path: The scenario file, as the user gave it (kept as is in messages).
        max_bytes: Largest file size accepted, in bytes.

    Raises:
        ScenarioError: With every problem found: the file is missing, unreadable, too large,
            binary or not UTF-8, its YAML is invalid or unsafe, or it is not a mapping.
    """
    file = shown_name(path)
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise _whole_file(file, "not a file path", "the path of a YAML scenario file")
    try:
        text = decode_text(read_bytes(path, max_bytes=max_bytes), file)
    except InputFileError as exc:
        expected = _EXPECTED_UTF8 if exc.kind == "encoding" else None
        if exc.kind in ("missing", "directory", "special", "os"):
            expected = "the path of an existing YAML scenario file"
        problem = Problem(file, exc.line, exc.column, "", exc.reason, expected)
        raise ScenarioError([problem]) from None
    return _parse(text, file)


def loads_located(
    text: str, file: str = "<string>", *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Located:
    """Read scenario YAML from a string, as :func:`load_located` reads a file.

    Args:
        text: The YAML text.
        file: The name to use for this text in problem reports.
        max_bytes: Largest accepted size of the text once encoded as UTF-8.

    Raises:
        ScenarioError: For any problem in the text.
    """
    if not isinstance(text, str):
        raise _whole_file(file, "not YAML text", "a string")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        message = f"file is too large ({size:,} bytes; the limit is {max_bytes:,} bytes)"
        raise _whole_file(file, message)
    return _parse(text.removeprefix("\ufeff"), file)
