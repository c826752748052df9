"""``extends``: chains, merging rules, cycles, and errors located in the file that holds them."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path

import pytest

from influence_sim.scenario import ScenarioError, load_scenario
from influence_sim.scenario.load import MAX_EXTENDS

PARENT = """\
name: parent
description: the parent
tags: [a, b]
time:
  start: 2021-01-01
  end: 2031-01-01
  step: quarter
  seed: 3
parameters:
  coordination: 0.4
  trust_recovery: 0.1
shocks:
  - name: first
    at: 2022-01-01
    target: afghanistan.instability
    op: set
    value: 0.9
  - name: second
    between: [2022-01-01, 2024-01-01]
    target: parameters.coordination
    op: ramp
    value: 0.8
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(PARENT)
    return tmp_path


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path.relative_to(Path.cwd()))


def problems(path: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return [p.format() for p in info.value.problems]


def test_chain_merges_key_by_key_and_shocks_by_name(tree):
    write(tree / "mid" / "middle.yaml",
          "name: middle\nextends: ../base/parent.yaml\ntime:\n  replicates: 7\n"
          "parameters:\n  coordination: 0.6\n"
          "shocks:\n  - name: first\n    value: 0.7\n"
          "  - name: third\n    at: 2023-01-01\n    target: parameters.stickiness\n"
          "    op: add\n    value: 0.1\n")
    child = write(tree / "child.yaml",
                  "name: child\nextends: mid/middle.yaml\ntags: [c]\n"
                  "shocks:\n  - name: second\n    at: 2025-01-01\n    op: set\n"
                  "  - name: first\n    probability: 0\n")
    sc = load_scenario(child)
    assert sc.files == ("child.yaml", os.path.join("mid", "middle.yaml"),
                        os.path.join("base", "parent.yaml"))
    assert sc.name == "child"
    assert sc.description == "the parent"
    assert sc.tags == ("c",)  # lists are replaced whole
    assert (sc.start, sc.end, sc.step, sc.seed, sc.replicates) == (
        dt.date(2021, 1, 1), dt.date(2031, 1, 1), "quarter", 3, 7)
    assert sc.overrides() == {"parameters.coordination": 0.6, "parameters.trust_recovery": 0.1}
    first, second, third = sc.shocks
    assert (first.name, first.value, first.probability, first.at) == (
        "first", 0.7, 0.0, dt.date(2022, 1, 1))
    # writing 'at' dropped the inherited 'between'
    assert (second.op, second.at, second.between, second.value) == (
        "set", dt.date(2025, 1, 1), None, 0.8)
    assert third.name == "third"


def test_value_and_when_are_replaced_whole(tree):
    child = write(tree / "c.yaml",
                  "name: c\nextends: base/parent.yaml\nshocks:\n  - name: first\n"
                  "    value: {distribution: uniform, low: 0.5, high: 0.6}\n")
    value = load_scenario(child).shocks[0].value
    assert (value.distribution, value.low, value.high) == ("uniform", 0.5, 0.6)
    back = write(tree / "d.yaml", "name: d\nextends: c.yaml\nshocks:\n  - name: first\n"
                 "    value: 0.4\n")
    assert load_scenario(back).shocks[0].value == 0.4


def test_the_hash_is_of_the_file_given(tree):
    child = write(tree / "c.yaml", "name: c\nextends: base/parent.yaml\n")
    sc = load_scenario(child)
    assert sc.sha256 == hashlib.sha256((tree / "c.yaml").read_bytes()).hexdigest()
    assert sc.path == "c.yaml"


def test_cycles_are_errors(tree):
    write(tree / "a.yaml", "name: a\nextends: b.yaml\n")
    write(tree / "b.yaml", "name: b\nextends: a.yaml\n")
    assert problems("a.yaml") == [
        "b.yaml:2:10: extends: 'a.yaml' makes a cycle: a.yaml -> b.yaml -> a.yaml (expected a "
        "scenario that does not extend this one, directly or through others)"
    ]
    write(tree / "self.yaml", "name: s\nextends: ./self.yaml\n")
    assert problems("self.yaml")[0].startswith(
        "self.yaml:2:10: extends: './self.yaml' makes a cycle: self.yaml -> self.yaml")


def test_missing_parent_with_a_suggestion(tree):
    child = write(tree / "base" / "child.yaml", "name: c\nextends: parnt.yaml\n")
    assert problems(child) == [
        f"{child}:2:10: extends: file 'parnt.yaml' is not found: looked for "
        f"{os.path.join('base', 'parnt.yaml')} (expected the path of a scenario file, relative "
        "to this file; one of child.yaml, parent.yaml; did you mean 'parent.yaml'?)"
    ]


def test_extends_must_be_text(tree):
    child = write(tree / "c.yaml", "name: c\nextends: [base/parent.yaml]\n")
    assert problems(child) == [
        "c.yaml:2:10: extends: a list is not a file path (expected the path of a scenario file, "
        "relative to this file)"
    ]


def test_errors_point_into_the_file_that_holds_them(tree):
    (tree / "base" / "parent.yaml").write_text(PARENT.replace("coordination: 0.4",
                                                              "coordination: 4"))
    child = write(tree / "c.yaml",
                  "name: c\nextends: base/parent.yaml\nshocks:\n  - name: second\n"
                  "    value: 1.5\n  - name: new\n    at: 2040-01-01\n"
                  "    target: afghanistan.instability\n    op: set\n    value: 0.5\n")
    parent = os.path.join("base", "parent.yaml")
    assert problems(child) == [
        f"{parent}:10:17: parameters.coordination: 4 is out of range (expected a number from "
        "0 to 1)",
        "c.yaml:5:12: shocks[0].value: value is outside the range of parameters.coordination "
        "(expected a number from 0 to 1)",
        "c.yaml:7:9: shocks[1].at: 2040-01-01 is outside the run (expected a date from "
        "2021-01-01 to 2031-01-01, the run's first and last step)",
    ]


def test_unreadable_parent_is_reported_under_its_own_name(tree):
    write(tree / "bad.yaml", "name: bad\ntime: [\n")
    child = write(tree / "c.yaml", "name: c\nextends: bad.yaml\n")
    (line,) = problems(child)
    assert line.startswith("bad.yaml:3:1: ")


def test_every_file_needs_its_own_name(tree):
    child = write(tree / "c.yaml", "extends: base/parent.yaml\n")
    assert problems(child) == [
        "c.yaml:1:1: name: required key is missing: every scenario file needs its own name "
        "(expected name: a short name for this scenario)"
    ]


def test_duplicate_names_in_one_file_are_errors_even_when_inherited(tree):
    child = write(tree / "c.yaml",
                  "name: c\nextends: base/parent.yaml\nshocks:\n  - name: first\n"
                  "    value: 0.2\n  - name: first\n    value: 0.3\n")
    assert problems(child) == [
        "c.yaml:6:11: shocks[1].name: shock name 'first' is already used on line 4 (expected a "
        "unique name per shock)"
    ]


def test_chains_are_limited(tree):
    write(tree / "l0.yaml", PARENT)
    for i in range(1, MAX_EXTENDS + 1):
        write(tree / f"l{i}.yaml", f"name: l{i}\nextends: l{i - 1}.yaml\n")
    assert load_scenario(f"l{MAX_EXTENDS - 1}.yaml").files[-1] == "l0.yaml"
    (line,) = problems(f"l{MAX_EXTENDS}.yaml")
    assert f"the extends chain is longer than {MAX_EXTENDS} files" in line
