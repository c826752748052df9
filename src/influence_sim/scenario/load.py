"""Reading scenario files: safe YAML, ``extends`` chains, validation, located errors.

:func:`load_scenario` reads a file with :func:`~influence_sim.scenario.yamlsafe.load_located`,
follows its ``extends`` chain, merges the documents, validates the result against
:class:`~influence_sim.scenario.spec.ScenarioSpec` and returns an immutable
:class:`~influence_sim.scenario.compile.Scenario`. Whatever the input, the only exception it
raises is :class:`~influence_sim.scenario.errors.ScenarioError`, listing every problem found,
each pointing into the file that holds the mistake (a value inherited through ``extends`` is
reported in the file that wrote it).

Merging (``extends: other.yaml``, relative to the file that says it; chains are followed, a
cycle is an error): the extending file's mappings are merged key by key into the inherited
ones, so it only writes what it changes. Lists (tags, metrics, removed powers) are replaced
whole. Shocks are matched by name: a shock with an inherited name changes that shock key by key
(``at`` replaces an inherited ``between`` and the other way round; ``value`` and ``when`` are
replaced whole), and a shock with a new name is added after the inherited ones.
"""

from __future__ import annotations

import copy
import errno
import os
import stat
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

import numpy as np
from pydantic import BaseModel, Tag, ValidationError

from influence_sim._inputs import InputFileError, file_sha256, not_regular_reason
from influence_sim.scenario.compile import Scenario
from influence_sim.scenario.errors import (
    PathItem,
    Problem,
    ScenarioError,
    format_path,
    kind_of,
    show,
    suggest,
)
from influence_sim.scenario.spec import TAG, ScenarioSpec, _not_a
from influence_sim.scenario.yamlsafe import DEFAULT_MAX_BYTES, Located, load_located

__all__ = [
    "LAYER_FILE",
    "MAX_EXTENDS",
    "is_sweep_document",
    "json_schema",
    "load_scenario",
]

MAX_EXTENDS = 16
"""Longest ``extends`` chain followed."""

LAYER_FILE = "overrides"
"""How problems of a :func:`load_scenario` ``layer`` name their file."""

_EXPECTED_EXTENDS = "the path of a scenario file, relative to this file"
_WHOLE_SHOCK_KEYS = ("value", "when")

Origin = tuple[Located, tuple[PathItem, ...]]

_SWEEP_ONLY_KEYS = frozenset({"scenario", "design", "vary"})
"""Top-level keys of a sweep file that no scenario file has."""
_SCENARIO_ONLY_KEYS = frozenset(
    {"tags", "extends", "time", "posterior", "actors", "parameters", "shocks", "outputs"}
)
"""Top-level keys of a scenario file that no sweep file has."""


def is_sweep_document(data: Mapping[str, Any]) -> bool:
    """Whether a file's top-level mapping is a sweep file's rather than a scenario's.

    A sweep file has ``scenario``, ``design`` or ``vary`` at the top and none of the keys that
    only scenario files have (``time``, ``actors``, ``parameters``, ``shocks``, ...).

    Args:
        data: The file's top-level mapping.

    Returns:
        True for a sweep file.
    """
    keys = {k for k in data if isinstance(k, str)}
    return bool(keys & _SWEEP_ONLY_KEYS) and not keys & _SCENARIO_ONLY_KEYS


@dataclass(frozen=True)
class _Doc:
    """One file of an ``extends`` chain.

    Attributes:
        located: Its parsed content.
        shown: Its name as shown to the user.
        real: Its resolved path, to detect cycles.
    """

    located: Located
    shown: str
    real: str


# --------------------------------------------------------------------------- reading


def _shown(path: Any) -> str:
    try:
        return os.fsdecode(os.fspath(path))
    except Exception:
        return repr(path)


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def _nearby_files(directory: str) -> list[str]:
    try:
        names = os.listdir(directory or ".")
    except OSError:
        return []
    return sorted(n for n in names if n.endswith((".yaml", ".yml")))


def _not_a_file(path: str) -> str | None:
    """Why ``path`` cannot be extended ("is not found", "is a directory", ...), or None."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        return "is not found" if exc.errno in (errno.ENOENT, errno.ENOTDIR) else "cannot be read"
    except ValueError:
        return "is not found"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory"
    refused = not_regular_reason(info.st_mode)
    if refused is not None:
        return "is " + refused[0].replace(": this is", " but")
    return None


def _read_chain(path: str | os.PathLike[str]) -> tuple[list[_Doc], list[Problem]]:
    """Read a scenario file and every file it extends, stopping at the first problem.

    Raises:
        ScenarioError: If the scenario file itself cannot be read.
    """
    shown = _shown(path)
    docs = [_Doc(load_located(path), shown, _real(shown))]
    problems: list[Problem] = []
    while True:
        doc = docs[-1]
        located = doc.located
        if "extends" not in located.data:
            break
        ext = located.data["extends"]
        if ext is None:
            break
        if not isinstance(ext, str) or not ext.strip():
            problems.append(
                located.problem_at(
                    ("extends",), _not_a(ext, "a file path"), _EXPECTED_EXTENDS, at_value=True
                )
            )
            break
        parent = os.path.normpath(os.path.join(os.path.dirname(doc.shown), ext.strip()))
        real = _real(parent)
        chain = [d.shown for d in docs]
        if real in (d.real for d in docs):
            cycle = " -> ".join([*chain[[d.real for d in docs].index(real) :], parent])
            problems.append(
                located.problem_at(
                    ("extends",),
                    f"{show(ext)} makes a cycle: {cycle}",
                    "a scenario that does not extend this one, directly or through others",
                    at_value=True,
                )
            )
            break
        if len(docs) >= MAX_EXTENDS:
            problems.append(
                located.problem_at(
                    ("extends",),
                    f"the extends chain is longer than {MAX_EXTENDS} files",
                    "a shorter chain",
                    at_value=True,
                )
            )
            break
        what = _not_a_file(parent)
        if what is not None:
            choices = _nearby_files(os.path.dirname(parent))
            expected = _EXPECTED_EXTENDS
            if choices:
                expected += "; " + suggest(os.path.basename(parent), choices)
            problems.append(
                located.problem_at(
                    ("extends",),
                    f"file {show(ext)} {what}: looked for {parent}",
                    expected,
                    at_value=True,
                )
            )
            break
        try:
            docs.append(_Doc(load_located(parent), parent, real))
        except ScenarioError as exc:
            problems.extend(exc.problems)
            break
    return docs, problems


# --------------------------------------------------------------------------- merging


def _record(
    origins: dict[tuple[PathItem, ...], Origin],
    path: tuple[PathItem, ...],
    located: Located,
    doc_path: tuple[PathItem, ...],
    value: Any,
) -> None:
    """Remember that ``value`` (and all below it) at ``path`` was written at ``doc_path``."""
    stack = [(path, doc_path, value)]
    while stack:
        here, there, item = stack.pop()
        origins[here] = (located, there)
        if isinstance(item, dict):
            stack.extend(((*here, k), (*there, k), v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend(((*here, i), (*there, i), v) for i, v in enumerate(item))


def _forget(origins: dict[tuple[PathItem, ...], Origin], path: tuple[PathItem, ...]) -> None:
    """Drop the origins of ``path`` and everything below it."""
    n = len(path)
    for key in [k for k in origins if k[:n] == path]:
        del origins[key]


def _put(
    target: dict[str, Any],
    key: str,
    value: Any,
    origins: dict[tuple[PathItem, ...], Origin],
    path: tuple[PathItem, ...],
    located: Located,
    doc_path: tuple[PathItem, ...],
) -> None:
    """Replace ``target[key]`` with a copy of ``value``, recording where it came from."""
    _forget(origins, path)
    target[key] = copy.deepcopy(value)
    _record(origins, path, located, doc_path, value)


def _merge_map(
    target: dict[str, Any],
    source: Mapping[str, Any],
    origins: dict[tuple[PathItem, ...], Origin],
    path: tuple[PathItem, ...],
    located: Located,
    doc_path: tuple[PathItem, ...],
    whole: tuple[str, ...] = (),
) -> None:
    """Merge ``source`` into ``target`` key by key (mappings recursively)."""
    origins[path] = (located, doc_path)
    for key, value in source.items():
        here, there = (*path, key), (*doc_path, key)
        old = target.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and key not in whole:
            _merge_map(old, value, origins, here, located, there)
        else:
            _put(target, key, value, origins, here, located, there)


def _merge_shocks(
    merged: dict[str, Any],
    shocks: list[Any],
    origins: dict[tuple[PathItem, ...], Origin],
    located: Located,
    problems: list[Problem],
) -> None:
    """Merge a file's shocks into the inherited ones, matching them by name."""
    inherited = merged["shocks"]
    origins[("shocks",)] = (located, ("shocks",))
    by_name = {
        s["name"]: i
        for i, s in enumerate(inherited)
        if isinstance(s, dict) and isinstance(s.get("name"), str)
    }
    seen: dict[str, int] = {}
    for j, shock in enumerate(shocks):
        name = shock.get("name") if isinstance(shock, dict) else None
        if isinstance(name, str) and name in seen:
            line = located.where(("shocks", seen[name]))
            where = f" on line {line[0]}" if line else ""
            problems.append(
                located.problem_at(
                    ("shocks", j, "name"),
                    f"shock name {show(name)} is already used{where}",
                    "a unique name per shock",
                    at_value=True,
                )
            )
            continue
        if isinstance(name, str):
            seen[name] = j
        if isinstance(name, str) and name in by_name:
            i = by_name[name]
            target = inherited[i]
            if "at" in shock:
                _forget(origins, ("shocks", i, "between"))
                target.pop("between", None)
            if "between" in shock:
                _forget(origins, ("shocks", i, "at"))
                target.pop("at", None)
            _merge_map(
                target,
                shock,
                origins,
                ("shocks", i),
                located,
                ("shocks", j),
                whole=_WHOLE_SHOCK_KEYS,
            )
        else:
            inherited.append(copy.deepcopy(shock))
            _record(origins, ("shocks", len(inherited) - 1), located, ("shocks", j), shock)


def _merge(
    docs: Sequence[_Doc],
) -> tuple[dict[str, Any], dict[tuple[PathItem, ...], Origin], list[Problem]]:
    """Merge a chain (the scenario first, then what it extends) into one document."""
    merged: dict[str, Any] = {}
    origins: dict[tuple[PathItem, ...], Origin] = {}
    problems: list[Problem] = []
    for doc in reversed(docs):
        located = doc.located
        origins[()] = (located, ())
        for key, value in located.data.items():
            if key == "extends":
                continue
            if key == "posterior" and isinstance(value, str) and value.strip() != "none":
                # relative to the file that says it, like extends
                value = os.path.normpath(os.path.join(os.path.dirname(doc.shown), value))
            if key == "shocks" and isinstance(value, list):
                if not isinstance(merged.get("shocks"), list):
                    _forget(origins, ("shocks",))
                    merged["shocks"] = []
                _merge_shocks(merged, value, origins, located, problems)
                continue
            old = merged.get(key)
            if isinstance(old, dict) and isinstance(value, dict):
                _merge_map(old, value, origins, (key,), located, (key,))
            else:
                _put(merged, key, value, origins, (key,), located, (key,))
    return merged, origins, problems


# --------------------------------------------------------------------------- error mapping


def _strip(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _descend(tp: Any, step: PathItem) -> Any:
    """The type found one step below ``tp`` (a field, an item, a tagged union arm)."""
    tp = _strip(tp)
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        arms = [a for a in get_args(tp) if a is not type(None)]
        if isinstance(step, str) and step.startswith(TAG):
            for arm in arms:
                if get_origin(arm) is Annotated and any(
                    isinstance(m, Tag) and m.tag == step for m in arm.__metadata__
                ):
                    return _strip(arm)
            return None
        for arm in arms:
            found = _descend(arm, step)
            if found is not None:
                return found
        return None
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(str(step))
        return None if field is None else field.annotation
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[step] if isinstance(step, int) and 0 <= step < len(args) else None
    if origin in (dict, Mapping) or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return get_args(tp)[1]
    return None


def _model_at(loc: Sequence[PathItem]) -> type[BaseModel] | None:
    """The model class at a pydantic error location, if there is one."""
    tp: Any = ScenarioSpec
    for step in loc:
        tp = _descend(tp, step)
        if tp is None:
            return None
    tp = _strip(tp)
    if get_origin(tp) is Union or get_origin(tp) is types.UnionType:
        arms = [_strip(a) for a in get_args(tp) if a is not type(None)]
        models = [a for a in arms if isinstance(a, type) and issubclass(a, BaseModel)]
        return models[0] if len(models) == 1 else None
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _position(
    located: Located, path: tuple[PathItem, ...], at_key: bool
) -> tuple[int | None, int | None]:
    """Line and column for a problem at ``path``: its key, its value or its nearest parent."""
    for length in range(len(path), -1, -1):
        sub = path[:length]
        if length == len(path):
            spot = located.where(sub) if at_key else located.where_value(sub)
        else:
            spot = located.where(sub)
        if spot is not None:
            return spot
    return None, None


class _Reporter:
    """Turns locations in the merged document into problems in the files that wrote them."""

    def __init__(self, origins: Mapping[tuple[PathItem, ...], Origin]) -> None:
        self.origins = origins
        self.problems: list[Problem] = []

    def add(
        self,
        path: Sequence[PathItem],
        message: str,
        expected: str | None,
        *,
        at_key: bool = False,
        missing: bool = False,
    ) -> None:
        """Record a problem at ``path`` of the merged document."""
        path = tuple(path)
        for length in range(len(path), -1, -1):
            if path[:length] in self.origins:
                located, doc_path = self.origins[path[:length]]
                full = (*doc_path, *path[length:])
                break
        else:  # pragma: no cover - the root is always recorded
            return
        target = full[:-1] if missing and full else full
        line, col = _position(located, target, at_key or missing)
        self.problems.append(Problem(located.file, line, col, format_path(full), message, expected))

    def add_error(self, error: Mapping[str, Any]) -> None:
        """Record one pydantic error."""
        loc = tuple(error.get("loc", ()))
        kind = str(error.get("type", ""))
        ctx = error.get("ctx") or {}
        # pydantic marks an error about a mapping key with a final "[key]"
        at_key = bool(loc) and loc[-1] == "[key]"
        if at_key:
            loc = loc[:-1]
        path = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(TAG)))
        value = error.get("input")
        if "issues" in ctx:
            for sub, message, expected, key in ctx["issues"]:
                self.add((*path, *sub), message, expected, at_key=key)
        elif kind == "scenario":
            self.add(
                path,
                str(ctx.get("message", error.get("msg", ""))),
                ctx.get("expected"),
                at_key=at_key,
            )
        elif kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = list(model.model_fields) if model is not None else []
            expected = suggest(str(loc[-1]), allowed) if allowed else None
            self.add(path, f"unknown key {show(loc[-1])}", expected, at_key=True)
        elif kind == "missing":
            model = _model_at(loc[:-1])
            field = model.model_fields.get(str(loc[-1])) if model is not None else None
            expected = field.description if field is not None else None
            self.add(path, "required key is missing", expected, missing=True)
        elif kind in ("model_type", "dict_type", "model_attributes_type", "mapping_type"):
            model = _model_at(loc)
            keys = f" with keys {', '.join(model.model_fields)}" if model is not None else ""
            self.add(path, _not_a(value, "a mapping"), f"a mapping{keys}", at_key=at_key)
        elif kind in ("tuple_type", "list_type", "iterable_type"):
            self.add(path, _not_a(value, "a list"), "a list, e.g. [a, b]", at_key=at_key)
        elif kind in ("string_type", "str_type"):
            self.add(path, f"{kind_of(value)} is not text", "text", at_key=at_key)
        else:
            self.add(path, str(error.get("msg", "invalid value")), None, at_key=at_key)


# --------------------------------------------------------------------------- public API


def _sha256(path: str | os.PathLike[str], shown: str) -> str:
    try:
        return file_sha256(path, max_bytes=DEFAULT_MAX_BYTES)
    except InputFileError as exc:
        raise ScenarioError([Problem(shown, None, None, "", exc.reason)]) from None


def _load(path: str | os.PathLike[str], layer: Mapping[str, Any] | None = None) -> Scenario:
    docs, problems = _read_chain(path)
    top = docs[0]
    if is_sweep_document(top.located.data):
        raise ScenarioError(
            [
                top.located.problem_at(
                    (),
                    "this is a sweep file, not a scenario file",
                    "a scenario file; a sweep file is run with "
                    "'influence-sim sweep FILE --out DIR' and checked with "
                    "'influence-sim validate FILE'",
                )
            ]
        )
    if problems:
        raise ScenarioError(problems)
    if layer is not None:
        # an extending file that exists in memory only: merged and reported like any other
        data = copy.deepcopy(dict(layer))
        if "name" in top.located.data:
            data.setdefault("name", top.located.data["name"])
        docs.insert(0, _Doc(Located(data, LAYER_FILE), LAYER_FILE, LAYER_FILE))
    merged, origins, problems = _merge(docs)
    reporter = _Reporter(origins)
    reporter.problems.extend(problems)
    for i, doc in enumerate(docs):
        # without any name the merged document reports it; otherwise each file needs its own
        if "name" not in doc.located.data and (i > 0 or "name" in merged):
            reporter.problems.append(
                doc.located.problem_at(
                    ("name",),
                    "required key is missing: every scenario file needs its own name",
                    "name: a short name for this scenario",
                )
            )
    spec: ScenarioSpec | None = None
    try:
        spec = ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            reporter.add_error(error)
    if reporter.problems:
        raise ScenarioError(reporter.problems)
    assert spec is not None
    files = tuple(d.shown for d in docs if d.shown != LAYER_FILE)
    scenario = Scenario(spec, top.shown, _sha256(path, top.shown), files)
    _dry_run(scenario)
    return scenario


def _dry_run(scenario: Scenario) -> None:
    """Set up one run and its timeline, so that a scenario that loads also runs.

    Raises:
        ScenarioError: If the scenario cannot be set up.
    """
    # the dry run builds the model's arrays: the one place the scenario layer reaches them
    from influence_sim.initial import build

    try:
        scenario.compile([np.random.SeedSequence(0)])
        build(scenario.dims, scenario.start, scenario.overrides(), scenario.reference_overrides())
    except Exception as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ScenarioError(
            [Problem(scenario.path, None, None, "", f"the scenario cannot be set up: {detail}")]
        ) from exc


def load_scenario(path: str | os.PathLike[str], layer: Mapping[str, Any] | None = None) -> Scenario:
    """Read, merge and validate a scenario file.

    Args:
        path: The scenario file, as the user gave it (kept as is in messages and in
            :attr:`Scenario.path`); ``extends`` paths inside it are relative to it.
        layer: Keys of a scenario document merged on top of the file, as if a file that
            ``extends`` it had written them (e.g. ``{"parameters": {"coordination": 0.5}}``);
            its problems are reported in the file ``overrides``. It takes the file's name.

    Returns:
        The validated, immutable scenario.

    Raises:
        ScenarioError: For any problem at all, listing every problem found, each as
            ``FILE:LINE:COL: key.path: message (expected ...)``.
    """
    try:
        return _load(path, layer)
    except ScenarioError:
        raise
    except Exception as exc:  # a bug: still no traceback for the user
        detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
        raise ScenarioError(
            [
                Problem(
                    _shown(path),
                    None,
                    None,
                    "",
                    f"internal error while checking this file ({detail})",
                )
            ]
        ) from exc


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (for editors and documentation).

    Returns:
        A JSON Schema (draft 2020-12) as a dict.
    """
    schema = ScenarioSpec.model_json_schema()
    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "influence_sim scenario",
    }
    out.update({k: v for k, v in schema.items() if k != "title"})
    return out
