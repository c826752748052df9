"""Random damage to valid scenario files gives clean problem reports, never a traceback."""

from __future__ import annotations

import copy
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from influence_sim.scenario import Scenario, ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = sorted(p for p in (ROOT / "scenarios").glob("*.yaml"))
DATA = {p.name: yaml.safe_load(p.read_text(encoding="utf-8")) for p in LIBRARY}

BAD_VALUES = st.one_of(
    st.sampled_from([
        None, True, False, "", "junk", "0.5", "1e3", "2021-13-45", "states.*.nothing",
        [], {}, [1, [2, [3, [4]]]], {"a": {"b": {"c": 1}}}, float("nan"), float("inf"),
        -float("inf"), 10**400, -(10**30), 1e308, 0, -1, 2.5, 10**6,
        dt.date(1800, 1, 1), dt.date(2021, 5, 5), dt.date(2500, 1, 1),
        dt.datetime(2021, 5, 5, 12, 0), {"distribution": "normal"}, {"distribution": 5},
        ["2022-01-01"], ["2030-01-01", "2020-01-01"], "6 moons", "*", "powers.*.priority",
    ]),
    st.text(max_size=12),
    st.integers(),
    st.floats(),
)


def node_paths(data: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path into a document (mapping keys and list indexes)."""
    out = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            out.extend(node_paths(value, (*prefix, key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out.extend(node_paths(value, (*prefix, i)))
    return out


def misspell(key: str, how: int) -> str:
    if not key:
        return "x"
    i = how % len(key)
    if how % 3 == 0:
        return key[:i] + key[i + 1:] or "x"
    if how % 3 == 1:
        return key[:i] + "z" + key[i:]
    return key[:i] + key[i:][::-1]


def bad_value(draw) -> Any:
    # a copy, so that later mutations never change the sampled constants
    return copy.deepcopy(draw(BAD_VALUES))


@st.composite
def mutations(draw):
    name = draw(st.sampled_from(sorted(DATA)))
    data = yaml.safe_load(yaml.safe_dump(DATA[name]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = node_paths(data)
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["replace", "delete", "misspell", "add"]))
        if not path:
            if kind == "replace":
                data = bad_value(draw)
            continue
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if kind == "replace":
            parent[last] = bad_value(draw)
        elif kind == "delete":
            del parent[last]
        elif kind == "misspell" and isinstance(last, str):
            parent[misspell(last, draw(st.integers(0, 99)))] = parent.pop(last)
        elif kind == "add" and isinstance(parent, dict):
            key = draw(st.sampled_from(["vaule", "stpe", "extra", "when", "at", "between"]))
            parent[key] = bad_value(draw)
        elif kind == "add" and isinstance(parent, list):
            parent.append(bad_value(draw))
    return name, data


@pytest.fixture(scope="module")
def library_copy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("library")
    for path in LIBRARY:
        shutil.copy(path, folder / path.name)
    return folder


def dump(data: Any) -> str:
    try:
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return "name: [unclosed\n"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mutations())
def test_mutated_files_give_a_clean_scenario_error(library_copy, mutation):
    name, data = mutation
    path = library_copy / f"mutated_{name}"
    path.write_text(dump(data), encoding="utf-8")
    try:
        result = load_scenario(str(path))
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            text = problem.format()
            assert "\n" not in text and problem.message
            assert Path(problem.file).parent == library_copy
            assert problem.line is None or problem.line >= 1
    else:
        assert isinstance(result, Scenario)


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe\x00garbage", b"- just\n- a list\n", b"name: [\n", b"a: " + b"[" * 300,
     b"name: x\ntime: {start: 2021-01-01, end: 2031-01-01, step: quarter}\nparameters:\n"
     b"  coordination: 1" + b"0" * 5000 + b"\n"],
    ids=["empty", "binary", "list", "syntax", "deep", "huge number"],
)
def test_junk_gives_a_clean_scenario_error(tmp_path, content):
    path = tmp_path / "junk.yaml"
    path.write_bytes(content)
    with pytest.raises(ScenarioError):
        load_scenario(path)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "influence_sim", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_validate_exit_codes(library_copy):
    pytest.importorskip("influence_sim.cli")
    bad = dict(DATA["afghan_takeover.yaml"])
    bad["shocks"] = [{**bad["shocks"][0], "value": float("nan"), "op": "sett"}]
    (library_copy / "bad.yaml").write_text(dump(bad))
    (library_copy / "junk.yaml").write_bytes(b"\x00\x01")
    (library_copy / "deep.yaml").write_text("a: " + "[" * 300)
    result = _cli("validate", "bad.yaml", "junk.yaml", "deep.yaml", "missing.yaml",
                  cwd=library_copy)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    assert any(line.startswith("error: bad.yaml:") and "unknown op 'sett'" in line
               for line in lines)
    assert any(line.startswith("error: junk.yaml: ") for line in lines)
    assert any(line.startswith("error: missing.yaml: file not found") for line in lines)
    good = _cli("validate", "baseline.yaml", "afghan_takeover.yaml", cwd=library_copy)
    assert good.returncode == 0, good.stderr
