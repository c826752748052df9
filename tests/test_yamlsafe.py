"""Tests for the safe, position-aware YAML reading layer."""

from __future__ import annotations

import builtins
import datetime
import math
import os
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from influence_sim.scenario import yamlsafe
from influence_sim.scenario.errors import (
    Problem,
    ScenarioError,
    format_path,
    kind_of,
    show,
    suggest,
    with_hint,
)
from influence_sim.scenario.yamlsafe import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    Located,
    load_located,
    loads_located,
)

# --------------------------------------------------------------------------- helpers


def problems_of(text: str, file: str = "s.yaml") -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        loads_located(text, file)
    return info.value.problems


def only_problem(text: str, file: str = "s.yaml") -> Problem:
    found = problems_of(text, file)
    assert len(found) == 1, found
    return found[0]


def file_problem(path: Path | str, **kwargs: int) -> Problem:
    with pytest.raises(ScenarioError) as info:
        load_located(path, **kwargs)
    assert len(info.value.problems) == 1, info.value.problems
    return info.value.problems[0]


def laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    names = "abcdefghijklmnopqrstuvwxyz"
    for i in range(1, levels):
        prev, name = names[i - 1], names[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- errors.py


def test_problem_format_all_pieces() -> None:
    p = Problem("scen.yaml", 3, 7, "shocks[2].value", "must be positive", "a number > 0")
    assert p.format() == "scen.yaml:3:7: shocks[2].value: must be positive (expected a number > 0)"


def test_problem_format_omits_missing_pieces() -> None:
    assert Problem("a.yaml", None, None, "", "file is empty").format() == "a.yaml: file is empty"
    assert Problem("a.yaml", 4, None, "", "bad").format() == "a.yaml:4: bad"
    assert Problem("a.yaml", None, 9, "x", "bad").format() == "a.yaml: x: bad"
    assert Problem("dir/a.yaml", 1, 2, "time.start", "bad", None).format() == (
        "dir/a.yaml:1:2: time.start: bad"
    )


def test_scenario_error_sorts_and_joins() -> None:
    problems = [
        Problem("b.yaml", 1, 1, "", "b first"),
        Problem("a.yaml", 5, 2, "x", "a late"),
        Problem("a.yaml", 5, 1, "y", "a early col"),
        Problem("a.yaml", None, None, "", "whole file"),
    ]
    err = ScenarioError(problems)
    assert [p.message for p in err.problems] == ["whole file", "a early col", "a late", "b first"]
    assert str(err) == (
        "a.yaml: whole file\na.yaml:5:1: y: a early col\na.yaml:5:2: x: a late\nb.yaml:1:1: b first"
    )


def test_scenario_error_needs_a_problem() -> None:
    with pytest.raises(ValueError):
        ScenarioError([])


def test_format_path() -> None:
    assert format_path(()) == ""
    assert format_path(("time", "start")) == "time.start"
    assert format_path(("shocks", 2, "value")) == "shocks[2].value"
    assert format_path((0, "a")) == "[0].a"
    assert format_path(("my key", "a.b", "ok-name")) == '["my key"]["a.b"].ok-name'
    long = format_path(tuple("abcdefghijklmnopqrst"))
    assert long == "a.b.c.d.e[...].p.q.r.s.t"


def test_suggest_names_the_closest_choice() -> None:
    assert suggest("russa", ["china", "russia"]) == "one of china, russia; did you mean 'russia'?"
    assert suggest("zzz", ["china", "russia"]) == "one of china, russia"
    assert suggest("cordination", ["coordination", "x"], "parameters of the ODD table") == (
        "one of the parameters of the ODD table; did you mean 'coordination'?"
    )
    assert suggest("zzz", ["coordination", "x"], "parameters") == "one of coordination, x"
    hints = {"tajikistan": "states.tajikistan.hedging"}
    assert with_hint("a section", "tajikstan", hints) == (
        "a section; did you mean 'states.tajikistan.hedging'?"
    )
    assert with_hint("a section", "zzz", hints) == "a section"


def test_show_and_kind_of_use_the_words_of_the_messages() -> None:
    assert show("a\tb") == "'a?b'"
    assert show("x" * 50) == "'" + "x" * 37 + "...'"
    assert [show(v) for v in (None, True, 7, 10**20, 0.5, -math.inf, math.nan)] == [
        "null",
        "true",
        "7",
        "a 21-digit number",
        "0.5",
        "minus infinity",
        "NaN",
    ]
    assert show(datetime.date(2021, 8, 15)) == "2021-08-15"
    assert show(datetime.datetime(2021, 8, 15, 12, 0)) == "2021-08-15 12:00:00"
    assert (show([1]), show({}), show(object())) == (
        "a list",
        "a mapping",
        "a value of an unsupported kind",
    )
    assert kind_of(datetime.date(2021, 8, 15)) == "a date" and kind_of(None) == "empty (null)"


# --------------------------------------------------------------------------- plain data


def test_plain_values_with_safe_semantics() -> None:
    text = (
        "name: demo\n"
        "start: 2021-08-15\n"
        "nan: .nan\n"
        "inf: -.inf\n"
        f"huge: {10**400}\n"
        "flag: true\n"
        "nothing: ~\n"
        "quoted: '2021-08-15'\n"
        "forced: !!str 12\n"
        "as_float: !!float 1\n"
        "equals: =\n"
    )
    data = loads_located(text).data
    assert data["name"] == "demo"
    assert data["start"] == datetime.date(2021, 8, 15)
    assert math.isnan(data["nan"]) and data["inf"] == -math.inf
    assert data["huge"] == 10**400 and isinstance(data["huge"], int)
    assert data["flag"] is True and data["nothing"] is None
    assert data["quoted"] == "2021-08-15" and data["forced"] == "12"
    assert data["as_float"] == 1.0 and isinstance(data["as_float"], float)
    assert data["equals"] == "="


def test_located_remembers_file_name_as_given() -> None:
    assert loads_located("a: 1\n", "scenarios/x.yaml").file == "scenarios/x.yaml"
    assert loads_located("a: 1\n").file == "<string>"


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert load_located(path).data == {"name": "x"}


# --------------------------------------------------------------------------- positions

POSITIONS_DOC = """\
name: demo
time:
  start: 2021-01-01
  steps: 30
shocks:
  - at: 3
    value: 0.5
  - at: 7
    value: -1
matrix: [[1, 2], [3, 4]]
"""


def test_positions_of_keys_and_values() -> None:
    doc = loads_located(POSITIONS_DOC)
    assert doc.where(()) == (1, 1)
    assert doc.where(("name",)) == (1, 1)
    assert doc.where_value(("name",)) == (1, 7)
    assert doc.where(("time", "steps")) == (4, 3)
    assert doc.where_value(("time", "steps")) == (4, 10)
    assert doc.where(("shocks",)) == (5, 1)


def test_positions_of_list_items() -> None:
    doc = loads_located(POSITIONS_DOC)
    assert doc.where(("shocks", 1)) == (8, 5)
    assert doc.where(("shocks", 1, "value")) == (9, 5)
    assert doc.where_value(("shocks", 1, "value")) == (9, 12)
    assert doc.where(("matrix", 1)) == (10, 18)
    assert doc.where(("matrix", 1, 0)) == (10, 19)
    assert doc.where(("matrix", 0, 1)) == (10, 14)


def test_missing_paths_have_no_position() -> None:
    doc = loads_located(POSITIONS_DOC)
    assert doc.where(("nope",)) is None
    assert doc.where(("shocks", 2)) is None
    assert doc.where(("shocks", -1)) is None
    assert doc.where(("shocks", "0")) is None
    assert doc.where(("shocks", True)) is None and doc.where(("shocks", 1)) == (8, 5)
    assert doc.where(("time", 0)) is None
    assert doc.where(("name", "x")) is None
    assert Located({}, "x.yaml").where(("a",)) is None


def test_problem_at_points_at_nearest_existing_entry() -> None:
    doc = loads_located(POSITIONS_DOC, "p.yaml")
    assert doc.problem_at(("time", "steps"), "too many").format() == (
        "p.yaml:4:3: time.steps: too many"
    )
    assert doc.problem_at(("time", "steps"), "too many", at_value=True).line == 4
    assert doc.problem_at(("time", "steps"), "x", at_value=True).col == 10
    missing = doc.problem_at(("time", "end"), "is required", "a date")
    assert missing.format() == "p.yaml:2:1: time.end: is required (expected a date)"


def test_aliases_copy_values_and_keep_anchor_positions() -> None:
    text = "base: &b\n  rate: 0.1\n  list: [1, 2]\nother: *b\n"
    doc = loads_located(text)
    assert doc.data["other"] == {"rate": 0.1, "list": [1, 2]}
    assert doc.data["other"] is not doc.data["base"]
    assert doc.data["other"]["list"] is not doc.data["base"]["list"]
    assert doc.where(("other",)) == (4, 1)
    assert doc.where_value(("other",)) == (4, 8)
    assert doc.where(("other", "rate")) == (2, 3)


def test_scalar_alias_can_be_a_key() -> None:
    doc = loads_located("k: &name alpha\n*name : 1\n")
    assert doc.data == {"k": "alpha", "alpha": 1}


def test_an_alias_key_that_is_not_text_is_named_by_the_alias() -> None:
    p = only_problem("a: &x [1]\n? *x\n: 2\nb: &m <<\n*m : 3\n")
    assert (p.line, p.col, p.message) == (2, 3, "key '*x' is a list, not text")
    assert loads_located("b: &m <<\n*m : 3\n").data == {"b": "<<", "<<": 3}


# --------------------------------------------------------------------------- keys


def test_duplicate_key_reports_second_occurrence() -> None:
    p = only_problem("name: a\nsteps: 3\nname: b\n")
    assert (p.line, p.col, p.path) == (3, 1, "name")
    assert p.message == "duplicate key 'name', first defined on line 1"
    assert p.expected == "each key only once per mapping"


def test_duplicate_key_in_nested_list_item() -> None:
    p = only_problem("shocks:\n  - at: 1\n    value: 2\n    at: 3\n")
    assert p.format() == (
        "s.yaml:4:5: shocks[0].at: duplicate key 'at', first defined on line 2 "
        "(expected each key only once per mapping)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1: a\n", "key '1' is a whole number, not text"),
        ("yes: a\n", "key 'yes' is a true/false value, not text"),
        ("~: a\n", "key '~' is empty (null), not text"),
        ("2021-08-15: a\n", "key '2021-08-15' is a date, not text"),
        ("?\n: a\n", "key is missing (nothing before ':')"),
    ],
)
def test_non_text_scalar_keys(text: str, message: str) -> None:
    p = only_problem(text)
    assert p.message == message
    assert p.expected == "a text key; put it in quotes"
    assert p.line == 1


@pytest.mark.parametrize(
    ("text", "message", "col"),
    [
        ("? [a, b]\n: c\n", "a list cannot be used as a key", 3),
        ("{{a: 1}: c}\n", "a mapping cannot be used as a key", 2),
    ],
)
def test_collection_keys(text: str, message: str, col: int) -> None:
    p = only_problem(text)
    assert (p.message, p.expected, p.line, p.col) == (message, "a text key", 1, col)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("!!int abc: 1\n", "'abc' is not a valid whole number"),
        ("!custom k: 1\n", "tag !custom is not allowed"),
        ("*nowhere : 1\n", "alias *nowhere has no matching anchor &nowhere before it"),
    ],
)
def test_a_refused_key_is_reported_once(text: str, message: str) -> None:
    p = only_problem(text)
    assert (p.line, p.col, p.message) == (1, 1, message)


def test_problems_before_a_syntax_error_include_keys_and_values() -> None:
    found = problems_of("a: 1\na: 2021-02-30\nb: [1, 2\n")
    assert [(p.line, p.message.split(", ")[0]) for p in found] == [
        (2, "duplicate key 'a'"),
        (2, "'2021-02-30' is not a valid date: day is out of range for month"),
        (4, "expected ',' or ']'"),
    ]


def test_quoted_non_text_keys_are_fine() -> None:
    assert loads_located("'1': a\n\"yes\": b\n").data == {"1": "a", "yes": "b"}


def test_merge_keys_are_refused() -> None:
    p = only_problem("base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n")
    assert p.format() == (
        "s.yaml:3:3: other: merge keys '<<' are not supported (expected the keys written out "
        "in full; anchors and aliases for whole values are fine)"
    )


def test_quoted_merge_key_is_plain_text() -> None:
    assert loads_located("'<<': 1\n").data == {"<<": 1}


# --------------------------------------------------------------------------- tags


def test_python_tags_are_refused_and_never_executed(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel.txt"
    flag = "influence_sim_test_pwned"
    text = (
        f"a: !!python/object/apply:builtins.open ['{sentinel.as_posix()}', 'w']\n"
        f"b: !!python/object/apply:builtins.exec ['import builtins; builtins.{flag} = 1']\n"
        "c: !!python/name:os.system\n"
        "d: !!python/object/new:builtins.dict {x: 1}\n"
    )
    path = tmp_path / "evil.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_located(path)
    messages = [(p.line, p.col, p.message) for p in info.value.problems]
    assert messages == [
        (1, 4, "tag !!python/object/apply:builtins.open is not allowed"),
        (2, 4, "tag !!python/object/apply:builtins.exec is not allowed"),
        (3, 4, "tag !!python/name:os.system is not allowed"),
        (4, 4, "tag !!python/object/new:builtins.dict is not allowed"),
    ]
    assert all(p.expected == "plain YAML values" for p in info.value.problems)
    assert not sentinel.exists()
    assert not hasattr(builtins, flag)

    # Control: the same document really is live when read unsafely.
    live = tmp_path / "live.txt"
    yaml.unsafe_load(f"!!python/object/apply:builtins.open ['{live.as_posix()}', 'w']").close()
    assert live.exists()


def test_apply_tag_message_matches_spec_shape() -> None:
    p = only_problem("x: !!python/object/apply [1]\n")
    assert p.format() == (
        "s.yaml:1:4: x: tag !!python/object/apply is not allowed (expected plain YAML values)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !custom x\n", "tag !custom is not allowed"),
        ("a: !!binary aGVsbG8=\n", "tag !!binary is not allowed"),
        ("a: !!set {x, y}\n", "tag !!set is not allowed"),
        ("a: !!omap [x: 1]\n", "tag !!omap is not allowed"),
        ("a: !<tag:example.com,2000:thing> 1\n", "tag tag:example.com,2000:thing is not allowed"),
        ("a: !!str [1]\n", "tag !!str cannot be used on a list"),
        ("a: !!seq {x: 1}\n", "tag !!seq cannot be used on a mapping"),
        ("a: !!map x\n", "tag !!map cannot be used on a single value"),
    ],
)
def test_other_tags_are_refused(text: str, message: str) -> None:
    p = only_problem(text)
    assert (p.line, p.col, p.path, p.message, p.expected) == (
        1,
        4,
        "a",
        message,
        "plain YAML values",
    )


def test_core_tags_are_allowed() -> None:
    text = "a: !!int '7'\nb: !!bool 'no'\nc: !!null ''\nd: !!map {x: !!seq [1]}\n"
    assert loads_located(text).data == {"a": 7, "b": False, "c": None, "d": {"x": [1]}}


@pytest.mark.parametrize(
    ("text", "message", "expected"),
    [
        ("a: !!int abc\n", "'abc' is not a valid whole number", "a whole number, e.g. 42"),
        ("a: !!float x\n", "'x' is not a valid number", "a number, e.g. 0.5"),
        ("a: !!bool maybe\n", "'maybe' is not a valid true/false value", "true or false"),
        (
            "a: 2021-02-30\n",
            "'2021-02-30' is not a valid date: day is out of range for month",
            "a real calendar date, e.g. 2021-08-15",
        ),
    ],
)
def test_values_that_do_not_fit_their_type(text: str, message: str, expected: str) -> None:
    p = only_problem(text)
    assert (p.line, p.col, p.path, p.message, p.expected) == (1, 4, "a", message, expected)


@pytest.mark.skipif(
    not hasattr(sys, "get_int_max_str_digits") or sys.get_int_max_str_digits() == 0,
    reason="no limit on integer digits in this interpreter",
)
def test_integer_beyond_python_digit_limit() -> None:
    digits = sys.get_int_max_str_digits()
    p = only_problem("a: " + "7" * (digits + 1) + "\n")
    assert p.message == (
        f"'{'7' * 37}...' is not a valid whole number: it has more than {digits} digits"
    )


def test_all_problems_are_collected_in_one_error() -> None:
    text = "a: !custom 1\nb: 1\nb: 2\nc: !!python/name:os.system\n3: x\n"
    with pytest.raises(ScenarioError) as info:
        loads_located(text, "m.yaml")
    assert str(info.value).splitlines() == [
        "m.yaml:1:4: a: tag !custom is not allowed (expected plain YAML values)",
        "m.yaml:3:1: b: duplicate key 'b', first defined on line 2 "
        "(expected each key only once per mapping)",
        "m.yaml:4:4: c: tag !!python/name:os.system is not allowed (expected plain YAML values)",
        "m.yaml:5:1: key '3' is a whole number, not text (expected a text key; put it in quotes)",
    ]


# --------------------------------------------------------------------------- anchors and aliases


def test_billion_laughs_is_refused_fast() -> None:
    started = time.perf_counter()
    found = problems_of(laughs(9), "lol.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5
    assert len(found) == 1
    p = found[0]
    assert p.message == f"aliases expand to too many values (more than {MAX_ALIAS_NODES:,})"
    assert p.expected == "fewer aliases (*name) or smaller anchored values"
    assert p.line == 5  # the fifth level is the first to cross the limit
    assert p.path.startswith("e[")


def test_moderate_alias_use_is_fine() -> None:
    doc = loads_located(laughs(3))
    assert doc.data["b"] == [["lol"] * 9] * 9
    assert doc.data["c"] == [[["lol"] * 9] * 9] * 9
    assert doc.data["c"][0] is not doc.data["c"][1]


def test_undefined_alias() -> None:
    p = only_problem("a: *nope\n")
    assert (p.line, p.col, p.path) == (1, 4, "a")
    assert p.message == "alias *nope has no matching anchor &nope before it"
    assert p.expected is None


def test_recursive_alias() -> None:
    p = only_problem("a: &r [1, *r]\n")
    assert (p.line, p.col, p.path) == (1, 11, "a[1]")
    assert p.message == "alias *r is used inside the value it names"


def test_duplicate_anchor() -> None:
    p = only_problem("a: &x 1\nb: &x 2\n")
    assert (p.line, p.col, p.path) == (2, 4, "b")
    assert p.message == "anchor &x is already defined on line 1"


def test_alias_of_a_reused_anchor_names_the_latest_value() -> None:
    # `*x` names the scalar 1 (the latest &x), not the list around it: only the duplicate
    # anchor is a problem, not a self-reference
    p = only_problem("a: &x [ &x 1, *x ]\n")
    assert (p.line, p.col, p.path) == (1, 9, "a[0]")
    assert p.message == "anchor &x is already defined on line 1"


def test_alias_cannot_smuggle_deep_nesting() -> None:
    deep = "[" * 40 + "1" + "]" * 40
    text = f"a: &d {deep}\nb:\n  c:\n    - - - - - - - - - - - - *d\n"
    p = only_problem(text)
    assert p.message == f"nesting is too deep (more than {MAX_DEPTH} levels)"
    assert p.line == 4


# --------------------------------------------------------------------------- nesting


def test_ten_thousand_open_brackets() -> None:
    started = time.perf_counter()
    p = only_problem("[" * 10_000)
    assert time.perf_counter() - started < 1.0
    assert p.message == "nesting is too deep (more than 50 levels)"
    assert p.expected == "a flatter structure"
    assert (p.line, p.col) == (1, 51)


def test_ten_thousand_nested_mappings() -> None:
    text = "{a: " * 10_000 + "1" + "}" * 10_000
    started = time.perf_counter()
    p = only_problem(text)
    assert time.perf_counter() - started < 1.0
    assert p.message == "nesting is too deep (more than 50 levels)"
    assert (p.line, p.col) == (1, 4 * 50 + 1)
    assert p.path == "a.a.a.a.a[...].a.a.a.a.a"


def test_ten_thousand_nested_block_lists() -> None:
    p = only_problem("a:\n" + "- " * 10_000 + "x\n")
    assert p.message == "nesting is too deep (more than 50 levels)"
    assert (p.line, p.col) == (2, 2 * 49 + 1)


def test_depth_limit_is_exact() -> None:
    ok = "a: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    value = loads_located(ok).data["a"]
    levels = 0
    while isinstance(value, list):
        levels += 1
        value = value[0] if value else None
    assert levels == MAX_DEPTH - 1
    too_deep = "a: " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n"
    p = only_problem(too_deep)
    assert (p.line, p.col) == (1, 3 + MAX_DEPTH)


# --------------------------------------------------------------------------- top level


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n# and another\n", "---\n"])
def test_empty_documents(text: str) -> None:
    p = only_problem(text)
    assert p.format() == "s.yaml: file is empty (expected a mapping of scenario settings)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "top level is a list, not a mapping"),
        ("just words\n", "top level is text, not a mapping"),
        ("42\n", "top level is a whole number, not a mapping"),
        ("null\n", "top level is empty (null), not a mapping"),
    ],
)
def test_top_level_must_be_a_mapping(text: str, message: str) -> None:
    p = only_problem(text)
    assert (p.line, p.col, p.path, p.message) == (1, 1, "", message)
    assert p.expected == "a mapping of scenario settings"


def test_more_than_one_document() -> None:
    p = only_problem("a: 1\n---\nb: 2\n")
    assert p.format() == (
        "s.yaml:2:1: file contains more than one YAML document "
        "(expected a single document; remove the extra '---' line)"
    )


# --------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("a: b: c\n", 1, 5, "mapping values are not allowed here"),
        ("a:\n  b: 1\n c: 2\n", 3, 2, "expected <block end>, but found '<block mapping start>'"),
        ("name: x\n\tsteps: 3\n", 2, 1, "found character '\\t' that cannot start any token"),
        (
            "a: [1, 2\n",
            2,
            1,
            "expected ',' or ']', but got '<stream end>', while parsing a flow sequence "
            "starting at line 1, column 4",
        ),
        (
            "a: 1\nb: 'open\n",
            3,
            1,
            "found unexpected end of stream, while scanning a quoted scalar "
            "starting at line 2, column 4",
        ),
    ],
)
def test_syntax_errors_become_problems(text: str, line: int, col: int, message: str) -> None:
    p = only_problem(text)
    assert (p.line, p.col, p.message) == (line, col, message)
    assert p.expected is not None


def test_syntax_error_format_with_hint() -> None:
    p = only_problem("title: Shock: oil price\n")
    assert p.format() == (
        "s.yaml:1:13: mapping values are not allowed here (expected quotes around text that "
        "contains ': ', or the nested keys on new, indented lines)"
    )


def test_problems_before_a_syntax_error_are_kept() -> None:
    found = problems_of("a: !custom 1\nb: [1, 2\n")
    assert [(p.line, p.message) for p in found] == [
        (1, "tag !custom is not allowed"),
        (
            3,
            "expected ',' or ']', but got '<stream end>', while parsing a flow sequence "
            "starting at line 2, column 4",
        ),
    ]


def test_control_character() -> None:
    p = only_problem("a: 1\nb: x\x1by\n")
    assert p.format() == (
        "s.yaml:2:5: special character U+001B is not allowed in YAML "
        "(expected plain text; delete this invisible character)"
    )


def test_unexpected_internal_failure_is_wrapped(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(self: object, *args: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(yamlsafe._Reader, "build", explode)
    p = only_problem("a: 1\n")
    assert p.format() == (
        "s.yaml: could not read YAML: RecursionError: maximum recursion depth exceeded"
    )


# --------------------------------------------------------------------------- files


def test_missing_file() -> None:
    p = file_problem("no/such/scenario.yaml")
    assert p.format() == (
        "no/such/scenario.yaml: file not found "
        "(expected the path of an existing YAML scenario file)"
    )


def test_file_name_is_kept_as_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("rel.yaml").write_text("a: [1\n", encoding="utf-8")
    p = file_problem(Path("rel.yaml"))
    assert p.file == "rel.yaml"
    assert p.format().startswith("rel.yaml:2:1: ")


def test_directory(tmp_path: Path) -> None:
    p = file_problem(tmp_path)
    assert p.file == str(tmp_path)
    assert p.message == "this is a directory, not a file"
    assert p.expected == "the path of an existing YAML scenario file"
    assert p.line is None


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user"
)
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    path.chmod(0)
    try:
        p = file_problem(path)
    finally:
        path.chmod(0o600)
    assert p.message == "permission denied: cannot read this file"


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: " + "x" * 100 + "\n", encoding="utf-8")
    p = file_problem(path, max_bytes=50)
    assert p.message == "file is too large (104 bytes; the limit is 50 bytes)"
    assert load_located(path, max_bytes=104).data == {"a": "x" * 100}


def test_text_too_large() -> None:
    with pytest.raises(ScenarioError) as info:
        loads_located("a: 1\n", max_bytes=3)
    assert str(info.value) == "<string>: file is too large (5 bytes; the limit is 3 bytes)"


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.yaml"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    p = file_problem(path)
    assert (p.line, p.col) == (None, None)
    assert p.message == "file looks binary: it contains NUL bytes"
    assert p.expected == "a UTF-8 text file; save it again with UTF-8 encoding"


def test_nul_in_text() -> None:
    assert only_problem("a: 1\x00").message == "file looks binary: it contains NUL bytes"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: ok\ncity: Montréal\n".encode("latin-1"))
    p = file_problem(path)
    assert (p.line, p.col) == (2, 12)
    assert p.message == "file is not valid UTF-8: byte 0xE9 cannot be decoded"


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "utf16.yaml"
    path.write_bytes("name: x\n".encode("utf-16"))
    assert file_problem(path).message == "file is encoded as UTF-16"


@pytest.mark.parametrize("content", [b"", b"\n\n", b"# nothing here\n"])
def test_empty_file(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.yaml"
    path.write_bytes(content)
    p = file_problem(path)
    assert p.format() == f"{path}: file is empty (expected a mapping of scenario settings)"


def test_not_a_path() -> None:
    with pytest.raises(ScenarioError) as info:
        load_located(3)  # type: ignore[arg-type]
    assert info.value.problems[0].message == "not a file path"


def test_good_file(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(POSITIONS_DOC, encoding="utf-8")
    doc = load_located(path)
    assert doc.file == str(path)
    assert doc.data["time"]["start"] == datetime.date(2021, 1, 1)
    assert doc.where(("shocks", 1, "value")) == (9, 5)


# --------------------------------------------------------------------------- properties

YAMLISH = st.text(
    alphabet=list(" \n\t-:?[]{},&*!|>'\"#%@`~.<=0123456789abxyn\\\x1b\x85\ufeff\u2028é"),
    max_size=120,
)


def assert_only_scenario_errors(read: object) -> None:
    try:
        result = read() if callable(read) else None
    except ScenarioError as exc:
        assert exc.problems
        assert all(isinstance(p, Problem) for p in exc.problems)
        str(exc)
    else:
        assert isinstance(result, Located)
        assert isinstance(result.data, dict)


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(max_size=200), YAMLISH))
def test_random_text_only_raises_scenario_error(text: str) -> None:
    assert_only_scenario_errors(lambda: loads_located(text))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
        YAMLISH.map(lambda t: t.encode("utf-8")),
    )
)
def test_random_file_bytes_only_raise_scenario_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "random.yaml"
    path.write_bytes(content)
    assert_only_scenario_errors(lambda: load_located(path))


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n", encoding="utf-8")

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", refuse)  # files are opened in influence_sim._inputs
    p = file_problem(path)
    assert p.format() == f"{path}: permission denied: cannot read this file"


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.dates(),
)
KEYS = st.text(max_size=8)
TREES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)),
    max_leaves=25,
)


def test_a_dump_that_pyyaml_merges_into_a_duplicate_key_is_refused() -> None:
    """PyYAML dumps the key NEL as a quoted line break that reads back as ' ', then silently
    keeps one of the two ' ' keys; the safe loader reports the duplicate instead."""
    text = yaml.safe_dump({"": {" ": None, "\x85": None}}, default_flow_style=False,
                          allow_unicode=True)
    assert yaml.safe_load(text) == {"": {" ": None}}
    with pytest.raises(ScenarioError, match="duplicate key"):
        loads_located(text)


def test_a_key_holding_nel_is_not_a_duplicate_of_a_space() -> None:
    """NEL written as the escape ``\\N`` is a character of the key; written raw inside
    quotes it is a line break and folds into a space, as in PyYAML."""
    doc = loads_located('"\\N": 1\n" ": 2\n"a\\Nb": 3\n')
    assert doc.data == {"\x85": 1, " ": 2, "a\x85b": 3}
    assert doc.where(("\x85",)) == (1, 1) and doc.where((" ",)) == (2, 1)
    assert yaml.safe_load('"\\N": 1\n" ": 2\n') == {"\x85": 1, " ": 2}
    folded = "? 'a\x85  b'\n: 1\n"
    assert loads_located(folded).data == {"a b": 1} == yaml.safe_load(folded)
    p = only_problem("' ': 1\n? '\x85  '\n: 2\n")
    assert (p.line, p.message) == (2, "duplicate key ' ', first defined on line 1")


def all_paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += all_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += all_paths(item, (*prefix, index))
    return found


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, TREES, min_size=1, max_size=5), st.booleans())
# PyYAML writes a key holding NEL (U+0085) as a line break inside quotes, which reads back as a
# space: the dump does not round-trip, and PyYAML keeps one of the two ' ' keys silently
@example({"": {" ": None, "\x85": None}}, False)
@example({"": {" ": None, "\x85": None}}, True)
def test_same_data_as_pyyaml_safe_load(data: dict[str, object], flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    expected = yaml.safe_load(text)
    if expected != data:
        # the dump did not round-trip: the same data as PyYAML, or a duplicate key that
        # PyYAML merged without a word is refused
        try:
            assert loads_located(text).data == expected
        except ScenarioError as exc:
            assert all("duplicate key" in p.message for p in exc.problems), exc
        return
    doc = loads_located(text)
    assert doc.data == expected
    lines = text.splitlines()
    for path in all_paths(doc.data):
        key_at, value_at = doc.where(path), doc.where_value(path)
        assert key_at is not None and value_at is not None
        assert 1 <= key_at[0] <= len(lines) + 1 and 1 <= value_at[0] <= len(lines) + 1
        if path and isinstance(path[-1], str) and path[-1].isalnum():
            line, col = key_at
            assert path[-1] in lines[line - 1][col - 1 :]
