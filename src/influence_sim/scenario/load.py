"""Reading scenario files: safe YAML, ``extends`` chains, validation, located errors.

:func:`load_scenario` reads a file with :func:`~influence_sim.scenario.yamlsafe.load_located`,
follows its ``extends`` chain, merges the documents, validates the result against
:class:`~influence_sim.scenario.spec.ScenarioSpec` and returns an immutable
:class:`~influence_sim.scenario.compile.Scenario`. Whatever the input, it raises only
:class:`~influence_sim.scenario.errors.ScenarioError`, listing every problem found, each in the
file that wrote the mistake (a value inherited through ``extends`` is reported where it is written).

Merging (``extends: other.yaml``, relative to the file that says it; a cycle is an error):
mappings are merged key by key, so an extending file only writes what it changes; lists (tags,
metrics, removed powers) are replaced whole. Shocks are matched by name: a shock with an
inherited name changes that shock key by key (``at`` replaces an inherited ``between`` and the
other way round; ``value`` and ``when`` are replaced whole), and a shock with a new name is
added after the inherited ones.
"""

from __future__ import annotations

import copy
import dataclasses
import errno
import itertools
import os
import stat
import types
from collections.abc import Collection, Mapping, Sequence
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, Tag, ValidationError

from influence_sim._inputs import InputFileError, file_sha256, not_regular_reason, shown_name
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
from influence_sim.scenario.yamlsafe import DEFAULT_MAX_BYTES, Located, _whole_file, load_located

__all__ = ["LAYER_FILE", "MAX_EXTENDS", "is_sweep_document", "json_schema", "load_scenario"]

MAX_EXTENDS = 16
"""Longest ``extends`` chain followed."""

LAYER_FILE = "overrides"
"""How problems of a :func:`load_scenario` ``layer`` name their file."""

_EXPECTED_EXTENDS = "the path of a scenario file, relative to this file"
_SWEEP_FILE = (
    "this is a sweep file, not a scenario file",
    "a scenario file; a sweep file is run with 'influence-sim sweep FILE --out DIR' and checked "
    "with 'influence-sim validate FILE'",
)
_OWN_NAME = (
    "required key is missing: every scenario file needs its own name",
    "name: a short name for this scenario",
)
_WHOLE_SHOCK_KEYS = ("value", "when")
_TIMING = frozenset({"at", "between"})

Keys = tuple[PathItem, ...]
Origin = tuple[Located, Keys]
"""A file and a path in it: where a value of the merged document was written."""
Origins = dict[Keys, Origin]
Layer = tuple[Any, Located, Keys]
"""What a file writes at a path of the merged document, the file and the path there."""

_SWEEP_ONLY_KEYS = frozenset({"scenario", "design", "vary"})
"""Top-level keys of a sweep file that no scenario file has."""
_SCENARIO_ONLY_KEYS = frozenset(ScenarioSpec.model_fields) - {"name", "description"}
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


# --------------------------------------------------------------------------- reading


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return path


def _beside(file: str, path: str) -> str:
    """A path written in ``file``, relative to it."""
    return os.path.normpath(os.path.join(os.path.dirname(file), path))


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
    return None if refused is None else "is " + refused[0].replace(": this is", " but")


def _extended(docs: list[Located]) -> Located | list[Problem]:
    """The file the last of ``docs`` extends, or the problems in reaching it (none at the end)."""
    located = docs[-1]
    ext = located.data.get("extends")
    if ext is None:
        return []

    def problem(message: str, expected: str) -> list[Problem]:
        return [located.problem_at(("extends",), message, expected, at_value=True)]

    if not isinstance(ext, str) or not ext.strip():
        return problem(_not_a(ext, "a file path"), _EXPECTED_EXTENDS)
    parent = _beside(located.file, ext.strip())
    real = _real(parent)
    reals = [_real(doc.file) for doc in docs]
    if real in reals:
        cycle = " -> ".join([*(doc.file for doc in docs[reals.index(real) :]), parent])
        expected = "a scenario that does not extend this one, directly or through others"
        return problem(f"{show(ext)} makes a cycle: {cycle}", expected)
    if len(docs) >= MAX_EXTENDS:
        return problem(f"the extends chain is longer than {MAX_EXTENDS} files", "a shorter chain")
    if (what := _not_a_file(parent)) is not None:
        choices = _nearby_files(os.path.dirname(parent))
        hint = "; " + suggest(os.path.basename(parent), choices) if choices else ""
        return problem(f"file {show(ext)} {what}: looked for {parent}", _EXPECTED_EXTENDS + hint)
    try:
        return load_located(parent)
    except ScenarioError as exc:
        return exc.problems


# --------------------------------------------------------------------------- merging


def _merge_layers(
    layers: Sequence[Layer], origins: Origins, path: Keys, whole: Collection[str] = ()
) -> Any:
    """Merge what files (the most derived first) write at ``path``.

    The most derived file's value is taken, but a mapping is merged with the mappings written
    below it, down to the first file that writes something else: a key takes the merged values
    written at it (only the most derived one if the key is in ``whole``), and keys keep the order
    the files write them in, from the root down. Each value put in is recorded in ``origins`` (a
    path below it is found from its nearest recorded parent).
    """
    origins[path] = layers[0][1:]
    if not isinstance(layers[0][0], dict):
        return copy.deepcopy(layers[0][0])
    maps = list(itertools.takewhile(lambda layer: isinstance(layer[0], dict), layers))
    out: dict[str, Any] = {}
    for key in dict.fromkeys(key for mapping, _, _ in reversed(maps) for key in mapping):
        written = [(m[key], located, (*where, key)) for m, located, where in maps if key in m]
        out[key] = _merge_layers(written[:1] if key in whole else written, origins, (*path, key))
    return out


def _merge_shocks(
    merged: dict[str, Any], docs: Sequence[Located], origins: Origins
) -> list[Problem]:
    """Merge the shock lists of a chain by name: the inherited shocks first, then the new ones.

    Returns a problem for each name used twice in one file (the second shock is left out).
    """
    problems: list[Problem] = []
    slots: list[list[Layer]] = []  # per merged shock, what each file writes, the root first
    named: dict[str, int] = {}
    for doc in reversed(docs):
        shocks = doc.data.get("shocks")
        if not isinstance(shocks, list):
            if "shocks" in doc.data:  # it replaces what it inherits
                slots, named = [], {}
            continue
        seen: dict[str, int] = {}
        for j, shock in enumerate(shocks):
            name = shock.get("name") if isinstance(shock, dict) else None
            layer = (shock, doc, ("shocks", j))
            if not isinstance(name, str):
                slots.append([layer])
            elif name in seen:
                line = doc.where(("shocks", seen[name]))
                earlier = f" on line {line[0]}" if line else ""
                message = f"shock name {show(name)} is already used{earlier}"
                at, expected = ("shocks", j, "name"), "a unique name per shock"
                problems.append(doc.problem_at(at, message, expected, at_value=True))
            elif name in named:
                seen[name] = j
                slot = slots[named[name]]
                if not _TIMING.isdisjoint(shock):  # its at or between replaces the inherited one
                    for n, (old, located, where) in enumerate(slot):
                        untimed = {k: v for k, v in old.items() if k not in _TIMING}
                        slot[n] = (untimed, located, where)
                slot.append(layer)
            else:
                seen[name], named[name] = j, len(slots)
                slots.append([layer])
    if slots:
        merged["shocks"] = [
            _merge_layers(slot[::-1], origins, ("shocks", i), _WHOLE_SHOCK_KEYS)
            for i, slot in enumerate(slots)
        ]
    return problems


def _merge(docs: Sequence[Located]) -> tuple[dict[str, Any], Origins, list[Problem]]:
    """Merge a chain (the scenario first, then what it extends) into one document.

    Returns the merged document, where each of its values was written, and the problems found.
    """
    layers: list[Layer] = []
    for doc in docs:
        data = {k: v for k, v in doc.data.items() if k != "extends"}
        posterior = data.get("posterior")
        if isinstance(posterior, str) and posterior.strip() != "none":
            data["posterior"] = _beside(doc.file, posterior)  # relative to it, like extends
        layers.append((data, doc, ()))
    origins: Origins = {}
    merged = _merge_layers(layers, origins, ())
    return merged, origins, _merge_shocks(merged, docs, origins)


# --------------------------------------------------------------------------- error mapping


def _model_at(loc: Sequence[PathItem], tp: Any = ScenarioSpec) -> type[BaseModel] | None:
    """The model class at a pydantic error location, if exactly one model can be there.

    ``loc`` is followed down from ``tp`` (a model's field, a tuple's item, a mapping's value): in
    a tagged union, a step is the tag of an arm; other unions are tried arm by arm.
    """
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    origin, args = get_origin(tp), get_args(tp)
    if origin is Union or origin is types.UnionType:
        arms = [arm for arm in args if arm is not type(None)]
        if loc and str(loc[0]).startswith(TAG):
            tagged = [arm for arm in arms if Tag(str(loc[0])) in getattr(arm, "__metadata__", ())]
            return _model_at(loc[1:], tagged[0]) if tagged else None
        models = {_model_at(loc, arm) for arm in arms} - {None}
        return models.pop() if len(models) == 1 else None
    model = tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None
    if not loc:
        return model
    if model is not None:
        field = model.model_fields.get(str(loc[0]))
        return None if field is None else _model_at(loc[1:], field.annotation)
    if origin is tuple and args[-1:] == (Ellipsis,):
        return _model_at(loc[1:], args[0])
    if isinstance(origin, type) and issubclass(origin, Mapping):
        return _model_at(loc[1:], args[1])
    return None


def _problem(
    origins: Origins,
    path: Keys,
    message: str,
    expected: str | None,
    *,
    at_key: bool = False,
    missing: bool = False,
) -> Problem:
    """A problem at ``path`` of the merged document, located in the file that wrote it."""
    length = max(n for n in range(len(path) + 1) if path[:n] in origins)
    located, doc_path = origins[path[:length]]
    full = (*doc_path, *path[length:])
    # a missing key is shown at the mapping that lacks it
    at = full[:-1] if missing and full else full
    problem = located.problem_at(at, message, expected, at_value=not (at_key or missing))
    return dataclasses.replace(problem, path=format_path(full))


def _error_problems(origins: Origins, error: Mapping[str, Any]) -> list[Problem]:
    """The problems of one pydantic error, located in the files that wrote them."""
    loc = tuple(error.get("loc", ()))
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    at_key = loc[-1:] == ("[key]",)  # pydantic's mark of an error about a mapping key
    loc = loc[:-1] if at_key else loc
    path = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(TAG)))
    value = error.get("input")
    if "issues" in ctx:
        return [
            _problem(origins, (*path, *sub), text, hint, at_key=key)
            for sub, text, hint, key in ctx["issues"]
        ]
    message = str(error.get("msg", "invalid value"))
    expected: str | None = None
    if kind == "scenario":
        message, expected = str(ctx.get("message", error.get("msg", ""))), ctx.get("expected")
    elif kind in ("extra_forbidden", "missing"):
        model = _model_at(loc[:-1])
        fields = {} if model is None else model.model_fields
        if kind == "missing":
            field = fields.get(str(loc[-1]))
            message = "required key is missing"
            expected = None if field is None else field.description
        else:
            message, at_key = f"unknown key {show(loc[-1])}", True
            expected = suggest(str(loc[-1]), list(fields)) if fields else None
    elif kind in ("model_type", "dict_type", "model_attributes_type", "mapping_type"):
        model = _model_at(loc)
        keys = f" with keys {', '.join(model.model_fields)}" if model is not None else ""
        message, expected = _not_a(value, "a mapping"), f"a mapping{keys}"
    elif kind in ("string_type", "str_type"):
        message, expected = f"{kind_of(value)} is not text", "text"
    return [_problem(origins, path, message, expected, at_key=at_key, missing=kind == "missing")]


# --------------------------------------------------------------------------- public API


def _load(path: str | os.PathLike[str], layer: Mapping[str, Any] | None = None) -> Scenario:
    docs = [load_located(path)]
    while isinstance(parent := _extended(docs), Located):  # the files it extends, in turn
        docs.append(parent)
    top = docs[0]
    if is_sweep_document(top.data):
        raise ScenarioError([top.problem_at((), *_SWEEP_FILE)])
    if parent:  # the problems in reaching the next file
        raise ScenarioError(parent)
    files = tuple(doc.file for doc in docs)
    if layer is not None:
        # an extending file that exists in memory only: merged and reported like any other
        data = copy.deepcopy(dict(layer))
        if "name" in top.data:
            data.setdefault("name", top.data["name"])
        docs.insert(0, Located(data, LAYER_FILE))
    merged, origins, problems = _merge(docs)
    for i, doc in enumerate(docs):
        # without any name the merged document reports it; otherwise each file needs its own
        if "name" not in doc.data and (i > 0 or "name" in merged):
            problems.append(doc.problem_at(("name",), *_OWN_NAME))
    spec: ScenarioSpec | None = None
    try:
        spec = ScenarioSpec.model_validate(merged)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            problems.extend(_error_problems(origins, error))
    if problems:
        raise ScenarioError(problems)
    assert spec is not None
    try:
        sha256 = file_sha256(path, max_bytes=DEFAULT_MAX_BYTES)
    except InputFileError as exc:
        raise _whole_file(top.file, exc.reason) from None
    return Scenario(spec, top.file, sha256, files)


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
        message = f"internal error while checking this file ({detail})"
        raise _whole_file(shown_name(path), message) from exc


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (for editors and documentation).

    Returns:
        A JSON Schema (draft 2020-12) as a dict.
    """
    schema = ScenarioSpec.model_json_schema()
    schema.pop("title", None)
    draft = "https://json-schema.org/draft/2020-12/schema"
    return {"$schema": draft, "title": "influence_sim scenario", **schema}
