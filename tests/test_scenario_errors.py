"""Every class of scenario error: the exact line a user sees, and where it points.

Each case writes a small scenario file with one mistake and checks the one problem reported,
formatted as ``FILE:LINE:COL: key.path: message (expected ...)``. Messages that list names
defined elsewhere (parameters, path fields) are checked at their start and end only.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from influence_sim.checking import validate_paths
from influence_sim.scenario import Problem, ScenarioError, load_scenario

BASE = "name: t\ntime:\n  start: 2021-01-01\n  end: 2031-01-01\n  step: quarter\n"
SHOCK = (
    "shocks:\n  - name: s\n    at: 2022-01-01\n    target: afghanistan.instability\n"
    "    op: set\n    value: 0.5\n"
)
NEW_POWER = "{economic_capacity: 1, security_capacity: 1, priority: 0.1, doctrine: 0.1, " \
    "capacity_growth: 0"


def problems_of(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> list[Problem]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        load_scenario(name)
    except ScenarioError as exc:
        return exc.problems
    finally:
        os.chdir(cwd)
    raise AssertionError("the file was accepted")


CASES = [
    # --- keys
    ("unknown key with suggestion", BASE + "descripton: x\n",
     "s.yaml:6:1: descripton: unknown key 'descripton' (expected one of name, description, "
     "tags, extends, time, posterior, actors, parameters, shocks, outputs; "
     "did you mean 'description'?)"),
    ("missing key", "name: t\ntime:\n  start: 2021-01-01\n  end: 2031-01-01\n",
     "s.yaml:2:1: time.step: required key is missing (expected length of a step: month, "
     "quarter or year)"),
    ("missing key in a distribution",
     BASE + SHOCK.replace("value: 0.5", "value: {distribution: normal, mean: 0.5}"),
     "s.yaml:11:5: shocks[0].value.sd: required key is missing (expected standard deviation)"),
    # --- types
    ("text for a whole number", BASE + "  replicates: many\n",
     "s.yaml:6:15: time.replicates: 'many' is text, not a whole number (expected a whole "
     "number from 1 to 100,000)"),
    ("number for text", BASE.replace("name: t", "name: 5"),
     "s.yaml:1:7: name: 5 is a whole number, not text (expected text)"),
    ("scalar for a mapping", "name: t\ntime: 5\n",
     "s.yaml:2:7: time: 5 is a whole number, not a mapping (expected a mapping with keys "
     "start, end, step, seed, replicates)"),
    ("scalar for a list", BASE + "shocks: boom\n",
     "s.yaml:6:9: shocks: 'boom' is text, not a list (expected a list, e.g. [a, b])"),
    ("scalar for a shock", BASE + "shocks:\n  - 5\n",
     "s.yaml:7:5: shocks[0]: 5 is a whole number, not a mapping (expected a mapping with keys "
     "name, description, at, between, target, op, value, half_life, probability, when)"),
    ("quoted number", BASE + SHOCK.replace("value: 0.5", "value: '0.5'"),
     "s.yaml:11:12: shocks[0].value: '0.5' is text, not a number (expected a number without "
     "quotes; YAML reads 1e3 as text, so write 1.0e+3)"),
    ("true/false for a number", BASE + SHOCK.replace("value: 0.5", "value: yes"),
     "s.yaml:11:12: shocks[0].value: true is a true/false value, not a number (expected a "
     "number, or a mapping with distribution: normal | lognormal | uniform | triangular | beta "
     "| choice)"),
    # --- numbers
    ("NaN", BASE + "parameters:\n  coordination: .nan\n",
     "s.yaml:7:17: parameters.coordination: NaN (not a number) cannot be used (expected a "
     "finite number)"),
    ("infinity", BASE + "parameters:\n  coordination: -.inf\n",
     "s.yaml:7:17: parameters.coordination: minus infinity cannot be used (expected a finite "
     "number)"),
    ("huge whole number", BASE + "parameters:\n  coordination: 1" + "0" * 30 + "\n",
     "s.yaml:7:17: parameters.coordination: a 31-digit number is too large (expected a number "
     "from -1e+09 to 1e+09)"),
    ("huge number", BASE + "parameters:\n  coordination: 1.0e+300\n",
     "s.yaml:7:17: parameters.coordination: 1e+300 is too large (expected a number from -1e+09 "
     "to 1e+09)"),
    ("share out of range", BASE + "actors:\n  states:\n    tajikistan:\n      hedging: 1.5\n",
     "s.yaml:9:16: actors.states.tajikistan.hedging: 1.5 is out of range (expected a number "
     "from 0 to 1)"),
    ("negative capacity",
     BASE + "actors:\n  powers:\n    russia:\n      economic_capacity: -1\n",
     "s.yaml:9:26: actors.powers.russia.economic_capacity: -1 is out of range (expected a "
     "number of at least 0)"),
    ("probability out of range", BASE + SHOCK + "    probability: 1.2\n",
     "s.yaml:12:18: shocks[0].probability: 1.2 is out of range (expected a number from 0 to 1)"),
    ("negative seed", BASE + "  seed: -1\n",
     "s.yaml:6:9: time.seed: -1 is out of range (expected a whole number of at least 0, or "
     "null)"),
    ("membership not a flag",
     BASE + "actors:\n  states:\n    uzbekistan:\n      membership: {csto: 2}\n",
     "s.yaml:9:26: actors.states.uzbekistan.membership.csto: 2 is not a membership (expected "
     "true or false, or 1 or 0)"),
    # --- dates
    ("impossible date", BASE.replace("start: 2021-01-01", "start: 2021-02-30"),
     "s.yaml:3:10: time.start: '2021-02-30' is not a valid date: day is out of range for month "
     "(expected a real calendar date, e.g. 2021-08-15)"),
    ("quoted impossible date", BASE.replace("start: 2021-01-01", "start: '2021-13-01'"),
     "s.yaml:3:10: time.start: '2021-13-01' is not a real calendar date (expected a date, e.g. "
     "2021-08-15)"),
    ("date and time", BASE.replace("start: 2021-01-01", "start: 2021-01-01 10:00:00"),
     "s.yaml:3:10: time.start: 2021-01-01 10:00:00 is a date and time (expected a date "
     "without a time, e.g. 2021-08-15)"),
    ("end not after start", BASE.replace("end: 2031-01-01", "end: 2021-01-01"),
     "s.yaml:4:8: time.end: end 2021-01-01 is not after the start 2021-01-01 (expected a date "
     "after 2021-01-01)"),
    ("shock outside the run", BASE + SHOCK.replace("2022-01-01", "2035-01-01"),
     "s.yaml:8:9: shocks[0].at: 2035-01-01 is outside the run (expected a date from "
     "2021-01-01 to 2031-01-01, the run's first and last step)"),
    ("between not a pair",
     BASE + SHOCK.replace("op: set", "op: ramp").replace(
         "at: 2022-01-01", "between: [2022-01-01]"),
     "s.yaml:8:14: shocks[0].between: a list of 1 is not a pair of dates (expected two dates, "
     "e.g. [2022-01-01, 2024-01-01])"),
    ("ramp reversed",
     BASE + SHOCK.replace("op: set", "op: ramp").replace(
         "at: 2022-01-01", "between: [2023-01-01, 2022-01-01]"),
     "s.yaml:8:27: shocks[0].between[1]: the ramp ends before it starts (expected a date after "
     "2023-01-01)"),
    # --- names
    ("unknown choice", BASE.replace("quarter", "quartr"),
     "s.yaml:5:9: time.step: unknown step 'quartr' (expected one of month, quarter, year; did "
     "you mean 'quarter'?)"),
    ("unknown op", BASE + SHOCK.replace("op: set", "op: sett"),
     "s.yaml:10:9: shocks[0].op: unknown op 'sett' (expected one of set, add, scale, ramp, "
     "pulse; did you mean 'set'?)"),
    ("unknown state in a path",
     BASE + SHOCK.replace("afghanistan.instability", "states.tajikstan.hedging"),
     "s.yaml:9:13: shocks[0].target: unknown state 'tajikstan' (expected one of kazakhstan, "
     "kyrgyzstan, tajikistan, turkmenistan, uzbekistan; did you mean 'tajikistan'?)"),
    ("state without its section in a path",
     BASE + SHOCK.replace("afghanistan.instability", "tajikstan.threat_exposure"),
     "s.yaml:9:13: shocks[0].target: unknown section 'tajikstan' (expected one of states, "
     "powers, relations, parameters, afghanistan; did you mean "
     "'states.tajikistan.threat_exposure'?)"),
    ("unknown power in a path",
     BASE + SHOCK.replace("afghanistan.instability", "powers.rusia.priority"),
     "s.yaml:9:13: shocks[0].target: unknown power 'rusia' (expected one of china, russia, "
     "united_states; did you mean 'russia'?)"),
    ("unknown parameter in a path",
     BASE + SHOCK.replace("afghanistan.instability", "parameters.cordination"),
     ("s.yaml:9:13: shocks[0].target: unknown parameter 'cordination' (expected one of ",
      "; did you mean 'coordination'?)")),
    ("unknown field in a path",
     BASE + SHOCK.replace("afghanistan.instability", "states.tajikistan.hedgin"),
     ("s.yaml:9:13: shocks[0].target: unknown field 'hedgin' (expected one of hedging, ",
      "; did you mean 'hedging'?)")),
    ("shock on a value that only sets the start",
     BASE + SHOCK.replace("afghanistan.instability", "states.kazakhstan.arms_propensity"),
     "s.yaml:9:13: shocks[0].target: states.kazakhstan.arms_propensity only sets the start of "
     "a run; a shock on it changes nothing (expected its starting value under "
     "parameters.arms_propensity.kazakhstan, or a shock on states.kazakhstan.arms_base_usd_bn "
     "to change arms demand during the run)"),
    ("triggered shock on values that only set the start",
     BASE + SHOCK.replace("afghanistan.instability", "states.*.arms_propensity")
     + "    when: {watch: states.kazakhstan.arms_propensity, above: -7}\n",
     "s.yaml:9:13: shocks[0].target: states.*.arms_propensity only sets the start of a run; a "
     "shock on it changes nothing (expected its starting value under "
     "parameters.arms_propensity, or a shock on states.*.arms_base_usd_bn to change arms "
     "demand during the run)"),
    ("unknown path in a condition",
     BASE + SHOCK + "    when: {watch: parameters.coordinaton, above: 0.5}\n",
     ("s.yaml:12:19: shocks[0].when.watch: unknown parameter 'coordinaton' (expected one of ",
      "; did you mean 'coordination'?)")),
    ("unknown parameter", BASE + "parameters:\n  cordination: 0.5\n",
     "s.yaml:7:3: parameters.cordination: unknown parameter 'cordination' (expected one of the "
     "parameters of the ODD table; did you mean 'coordination'?)"),
    ("unknown parameter without a close match", BASE + "parameters:\n  zzzz: 0.5\n",
     ("s.yaml:7:3: parameters.zzzz: unknown parameter 'zzzz' (expected one of ",
      "afghan_instability, initial_trust)")),
    ("unknown state", BASE + "actors:\n  states:\n    tajikstan: {hedging: 0.2}\n",
     "s.yaml:8:5: actors.states.tajikstan: unknown state 'tajikstan' (expected one of "
     "kazakhstan, kyrgyzstan, tajikistan, turkmenistan, uzbekistan; did you mean "
     "'tajikistan'?)"),
    ("unknown power to change", BASE + "actors:\n  powers:\n    rusia: {priority: 0.2}\n",
     "s.yaml:8:5: actors.powers.rusia: unknown power 'rusia' (expected one of china, russia, "
     "united_states, or a new power under actors.add_powers; did you mean 'russia'?)"),
    ("unknown partner",
     BASE + "actors:\n  states:\n    uzbekistan:\n      economic_share: {rest_of_wrld: 0.5}\n",
     "s.yaml:9:24: actors.states.uzbekistan.economic_share.rest_of_wrld: unknown partner "
     "'rest_of_wrld' (expected one of china, russia, united_states, rest_of_world; did you "
     "mean 'rest_of_world'?)"),
    ("unknown metric", BASE + "outputs:\n  metrics: [share, shares]\n",
     "s.yaml:7:20: outputs.metrics[1]: unknown metric 'shares' (expected one of share, volume, "
     "regional_share, threat, instability, capacity, effort, credibility, trust, presence, "
     "membership; did you mean 'share'?)"),
    ("unknown distribution",
     BASE + SHOCK.replace("value: 0.5", "value: {distribution: gaussian, mean: 1}"),
     "s.yaml:11:27: shocks[0].value.distribution: unknown distribution 'gaussian' (expected "
     "one of normal, lognormal, uniform, triangular, beta, choice)"),
    ("distribution without a name", BASE + SHOCK.replace("value: 0.5", "value: {mean: 1}"),
     "s.yaml:11:12: shocks[0].value: a value given as a mapping needs 'distribution' (expected "
     "a number, or a mapping with distribution: normal | lognormal | uniform | triangular | "
     "beta | choice)"),
    ("duplicate shock name", BASE + SHOCK + SHOCK.replace("shocks:\n", ""),
     "s.yaml:12:11: shocks[1].name: shock name 's' is already used on line 7 (expected a "
     "unique name per shock)"),
    # --- ops and their keys
    ("set with between",
     BASE + SHOCK.replace("at: 2022-01-01", "between: [2022-01-01, 2023-01-01]"),
     "s.yaml:8:5: shocks[0].between: op 'set' takes 'at', not 'between' (expected at: DATE; "
     "between is for ramps and for the window of a condition)"),
    ("ramp with at", BASE + SHOCK.replace("op: set", "op: ramp"),
     "s.yaml:8:5: shocks[0].at: a ramp takes 'between', not 'at' (expected between: [FROM, "
     "TO], the dates it runs from and to)"),
    ("pulse without half-life", BASE + SHOCK.replace("op: set", "op: pulse"),
     "s.yaml:7:5: shocks[0].half_life: a pulse needs 'half_life' (expected half_life: a "
     "number of years, or e.g. '6 months')"),
    ("half-life on a set", BASE + SHOCK + "    half_life: 1\n",
     "s.yaml:12:5: shocks[0].half_life: op 'set' takes no half_life (expected half_life only "
     "with op: pulse)"),
    ("bad duration", BASE + SHOCK.replace("op: set", "op: pulse") + "    half_life: 6 moons\n",
     "s.yaml:12:16: shocks[0].half_life: '6 moons' is not a duration (expected a number of "
     "years, or a duration such as '6 months' or '2 years')"),
    ("set outside the target's range", BASE + SHOCK.replace("value: 0.5", "value: 1.5"),
     "s.yaml:11:12: shocks[0].value: value is outside the range of afghanistan.instability "
     "(expected a number from 0 to 1)"),
    ("distribution outside the target's range",
     BASE + SHOCK.replace("value: 0.5", "value: {distribution: uniform, low: 0.5, high: 1.5}"),
     "s.yaml:11:12: shocks[0].value: the value's range is outside the range of "
     "afghanistan.instability (expected a number from 0 to 1)"),
    ("negative scale",
     BASE + SHOCK.replace("op: set", "op: scale").replace("value: 0.5", "value: -0.5"),
     "s.yaml:11:12: shocks[0].value: a scale factor cannot be negative (expected a factor of "
     "at least 0, e.g. 0.7 for a 30 percent cut)"),
    ("distribution bounds out of order",
     BASE + SHOCK.replace("value: 0.5", "value: {distribution: uniform, low: 0.5, high: 0.2}"),
     "s.yaml:11:52: shocks[0].value.high: high 0.2 is not above low 0.5 (expected a number "
     "above 0.5)"),
    ("choice weights",
     BASE + SHOCK.replace(
         "value: 0.5", "value: {distribution: choice, values: [0.1, 0.2], weights: [1]}"),
     "s.yaml:11:64: shocks[0].value.weights: 1 weights for 2 values (expected one weight per "
     "value)"),
    ("triggered ramp",
     BASE + SHOCK.replace("op: set", "op: ramp").replace(
         "at: 2022-01-01", "between: [2022-01-01, 2023-01-01]")
     + "    when: {watch: parameters.coordination, above: 0.5}\n",
     "s.yaml:12:5: shocks[0].when: a ramp cannot wait for a condition (expected set, add, "
     "scale or pulse with 'when')"),
    ("condition without bounds", BASE + SHOCK + "    when: {watch: parameters.coordination}\n",
     "s.yaml:12:5: shocks[0].when.above: a condition needs 'above' or 'below' (expected "
     "above: NUMBER and/or below: NUMBER)"),
    # --- actors and overrides
    ("value set twice",
     BASE + "parameters:\n  hedging: {turkmenistan: 0.9}\nactors:\n  states:\n"
     "    turkmenistan:\n      hedging: 0.8\n",
     "s.yaml:11:7: actors.states.turkmenistan.hedging: states.turkmenistan.hedging is also "
     "set at parameters.hedging.turkmenistan (expected each value set in one place only)"),
    ("added power name taken", BASE + f"actors:\n  add_powers:\n    russia: {NEW_POWER}}}\n",
     "s.yaml:8:5: actors.add_powers.russia: 'russia' is already taken; to change it, use "
     "actors.powers (expected the name of a new power, e.g. turkey)"),
    ("added power name malformed",
     BASE + f"actors:\n  add_powers:\n    Big Power: {NEW_POWER}}}\n",
     "s.yaml:8:5: actors.add_powers[\"Big Power\"]: 'Big Power' cannot name a power (expected "
     "a short lower-case name of letters, digits and _, e.g. turkey)"),
    ("added shares too large",
     BASE + f"actors:\n  add_powers:\n    turkey: {NEW_POWER}, economic_share: 0.6}}\n"
     f"    eu: {NEW_POWER}, economic_share: 0.5}}\n",
     "s.yaml:9:120: actors.add_powers.eu.economic_share: the added powers' economic shares add "
     "up to 1.1 in every state (expected a total below 1, leaving room for the others)"),
    ("removed power used in a path",
     BASE + "actors:\n  remove_powers: [united_states]\n"
     + SHOCK.replace("afghanistan.instability", "powers.united_states.priority"),
     "s.yaml:11:13: shocks[0].target: power 'united_states' is removed by "
     "actors.remove_powers (expected only powers that take part in the run)"),
    ("removed power changed",
     BASE + "actors:\n  remove_powers: [united_states]\n  powers:\n"
     "    united_states: {priority: 0.5}\n",
     "s.yaml:9:5: actors.powers.united_states: power 'united_states' is removed by "
     "actors.remove_powers (expected only powers that take part in the run)"),
    ("every power removed", BASE + "actors:\n  remove_powers: [china, russia, united_states]\n",
     "s.yaml:7:18: actors.remove_powers: every power would be removed (expected at least one "
     "power left in the run)"),
    ("unknown power removed", BASE + "actors:\n  remove_powers: [turkey]\n",
     "s.yaml:7:19: actors.remove_powers[0]: unknown power 'turkey' (expected one of china, "
     "russia, united_states)"),
    ("distribution named by a number",
     BASE + SHOCK.replace("value: 0.5", "value: {distribution: 5}"),
     "s.yaml:11:27: shocks[0].value.distribution: 5 is a whole number, not the name of a "
     "distribution (expected one of normal, lognormal, uniform, triangular, beta, choice)"),
    # --- outputs
    ("every beyond the run", BASE + "outputs:\n  every: 50\n",
     "s.yaml:7:10: outputs.every: every 50 steps, but the run has only 40 steps (expected a "
     "whole number from 1 to 40)"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_problem_per_mistake(tmp_path, text, expected):
    problems = problems_of(tmp_path, text)
    lines = [p.format() for p in problems]
    assert len(lines) == 1, lines
    if isinstance(expected, tuple):
        assert lines[0].startswith(expected[0]), lines[0]
        assert lines[0].endswith(expected[1]), lines[0]
    else:
        assert lines[0] == expected


def test_missing_fields_of_an_added_power_are_all_reported(tmp_path):
    text = BASE + "actors:\n  add_powers:\n    turkey:\n      economic_capacity: 0.01\n"
    lines = [p.format() for p in problems_of(tmp_path, text)]
    assert lines == [
        f"s.yaml:8:5: actors.add_powers.turkey.{key}: required key is missing (expected {what})"
        for key, what in [
            ("security_capacity", "security capacity: world arms exports, USD bn a year"),
            ("priority", "share of its capacity aimed at the region"),
            ("doctrine", "security emphasis of its effort, 0 to 1"),
            ("capacity_growth", "trend growth of its capacity, per year"),
        ]
    ]


def test_added_powers_whose_shares_leave_no_room_are_reported_once_per_total(tmp_path):
    """One problem per domain and total, at the last added power with a share there."""
    add = "actors:\n  add_powers:\n"
    every = (
        f"    turkey: {NEW_POWER}, economic_share: 0.6}}\n"
        f"    iran: {NEW_POWER}, economic_share: 0.5}}\n"
    )
    some = (
        f"    turkey: {NEW_POWER}, economic_share: 0.6, security_share: {{kyrgyzstan: 1.0}}}}\n"
        f"    iran: {NEW_POWER}, economic_share: {{kazakhstan: 0.1, kyrgyzstan: 0.4, "
        "tajikistan: 0.4, turkmenistan: 0.4, uzbekistan: 0.4}}\n"
    )
    tail = "(expected a total below 1, leaving room for the others)"
    assert [p.format() for p in problems_of(tmp_path, BASE + add + every)] == [
        "s.yaml:9:122: actors.add_powers.iran.economic_share: the added powers' economic shares "
        f"add up to 1.1 in every state {tail}"
    ]
    assert [p.format() for p in problems_of(tmp_path, BASE + add + some)] == [
        "s.yaml:8:145: actors.add_powers.turkey.security_share: the added powers' security "
        f"shares add up to 1 in kyrgyzstan {tail}",
        "s.yaml:9:122: actors.add_powers.iran.economic_share: the added powers' economic shares "
        f"add up to 1 in kyrgyzstan, tajikistan, turkmenistan, uzbekistan {tail}",
    ]


def test_all_problems_of_a_file_at_once(tmp_path):
    text = (
        "name: t\ndescripton: typo\ntime:\n  start: 2021-01-01\n  end: 2020-01-01\n"
        "  step: quartr\nparameters:\n  coordination: 2\nactors:\n  states:\n"
        "    kazakhstan: {hedging: .nan}\nshocks:\n  - name: a\n    at: 2022-01-01\n"
        "    target: states.tajikstan.hedging\n    op: sett\n    valeu: 1\n"
        "outputs:\n  metrics: [shares]\n"
    )
    problems = problems_of(tmp_path, text)
    where = [(p.line, p.path) for p in problems]
    assert where == [
        (2, "descripton"),
        (5, "time.end"),
        (6, "time.step"),
        (8, "parameters.coordination"),
        (11, "actors.states.kazakhstan.hedging"),
        (13, "shocks[0].value"),
        (15, "shocks[0].target"),
        (16, "shocks[0].op"),
        (17, "shocks[0].valeu"),
        (19, "outputs.metrics[0]"),
    ]
    assert all(p.file == "s.yaml" for p in problems)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "s.yaml: file is empty (expected a mapping of scenario settings)"),
        ("- a\n- b\n", "s.yaml:1:1: top level is a list, not a mapping (expected a mapping of "
         "scenario settings)"),
        (b"\x00\x01\x02binary", "s.yaml: file looks binary: it contains NUL bytes (expected a "
         "UTF-8 text file; save it again with UTF-8 encoding)"),
        ("name: t\ntime: [\n", "s.yaml:3:1: time[0]: expected the node content, but found "
         "'<stream end>'"),
        (BASE + "name: u\n", "s.yaml:6:1: name: duplicate key 'name', first defined on line 1 "
         "(expected each key only once per mapping)"),
        (BASE + "description: !!python/object/apply:os.system [ls]\n",
         "s.yaml:6:14: description: tag !!python/object/apply:os.system is not allowed "
         "(expected plain YAML values)"),
    ],
    ids=["empty", "not a mapping", "binary", "syntax", "duplicate key", "unsafe tag"],
)
def test_unreadable_files(tmp_path, content, expected):
    assert [p.format() for p in problems_of(tmp_path, content)] == [expected]


def test_missing_file_and_directory(tmp_path):
    (tmp_path / "folder").mkdir()
    problems = validate_paths([str(tmp_path / "nope.yaml"), str(tmp_path / "folder")])
    assert [p.message for p in problems] == ["file not found", "this is a directory, not a file"]
    assert [p.line for p in problems] == [None, None]


def test_deep_junk_and_huge_numbers_give_problems(tmp_path):
    deep = BASE + "actors: " + "[" * 200 + "]" * 200 + "\n"
    assert "nesting is too deep" in problems_of(tmp_path, deep)[0].message
    huge = BASE + "time2: " + "9" * 5000 + "\n"
    assert problems_of(tmp_path, huge)


def test_validate_paths_collects_problems_of_every_file(tmp_path):
    (tmp_path / "a.yaml").write_text(BASE + "x: 1\n")
    (tmp_path / "b.yaml").write_text(BASE)
    (tmp_path / "c.yaml").write_text(BASE.replace("quarter", "week"))
    problems = validate_paths([tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"])
    assert [Path(p.file).name for p in problems] == ["a.yaml", "c.yaml"]
    assert str(ScenarioError(problems)).count("\n") == 1


def test_a_scenario_that_validates_but_cannot_be_set_up_is_one_problem(tmp_path, monkeypatch):
    """Checking ends with a dry run that builds the arrays; a failure there is one problem."""
    import influence_sim.checking
    from influence_sim.checking import check_file

    (tmp_path / "s.yaml").write_text(BASE)
    assert check_file(tmp_path / "s.yaml")[1] == []  # the dry run passes on a good file

    def broken(*args, **kwargs):
        raise ValueError("no panel rows for this start\nsecond line")

    monkeypatch.setattr(influence_sim.checking, "build", broken)
    assert load_scenario(tmp_path / "s.yaml").name  # loading builds nothing
    (problem,) = check_file(tmp_path / "s.yaml")[1]
    assert problem.line is None and Path(problem.file).name == "s.yaml"
    assert problem.message == "the scenario cannot be set up: no panel rows for this start"


def test_run_reports_a_scenario_that_cannot_be_set_up_in_one_line(tmp_path, monkeypatch, capsys):
    import influence_sim.checking
    from influence_sim.cli import main

    (tmp_path / "s.yaml").write_text(BASE)
    monkeypatch.setattr(influence_sim.checking, "build", lambda *a, **k: 1 / 0)
    assert main(["run", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("s.yaml: the scenario cannot be set up: division by zero")
    assert "\n" not in err and not (tmp_path / "out").exists()


def test_sweep_reports_a_base_scenario_that_cannot_be_set_up_in_one_line(
    tmp_path, monkeypatch, capsys
):
    import influence_sim.checking
    from influence_sim.cli import main

    (tmp_path / "s.yaml").write_text(BASE)
    (tmp_path / "w.yaml").write_text(
        "scenario: s.yaml\nseed: 1\nvary:\n  parameters.coordination: {low: 0.2, high: 0.8}\n"
        "design: {kind: lhs, points: 4}\n"
    )
    monkeypatch.setattr(influence_sim.checking, "build", lambda *a, **k: 1 / 0)
    assert main(["sweep", str(tmp_path / "w.yaml"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("s.yaml: the scenario cannot be set up: division by zero")
    assert "\n" not in err and not (tmp_path / "out").exists()


def test_an_added_power_with_a_share_but_no_effort_is_refused(tmp_path):
    """An added power's starting share is fitted as its equilibrium under its effort, in logs;
    with a priority, doctrine or capacity of 0 that effort is 0 and the fitted residual absorbs
    the log floor, so a later rise multiplied the share without bound (turkey_enters with its
    starting priority at 0 gave Turkey all of the region's trade, USD 4e95bn for Kazakhstan by
    2031, once its priority ramped up). One problem a value, naming the shares that need it."""
    add = "actors:\n  add_powers:\n    turkey: "
    none = NEW_POWER.replace("priority: 0.1", "priority: 0")
    text = BASE + add + none + ", economic_share: 0.05, security_share: {uzbekistan: 0.03}}\n"
    assert [p.format() for p in problems_of(tmp_path, text)] == [
        "s.yaml:8:68: actors.add_powers.turkey.priority: 'turkey' starts with a share of trade "
        "and of arms imports but its priority is 0, so only its fitted residual explains that "
        "share, and any later rise of its priority would multiply it without bound (expected a "
        "priority above 0 (a small one if it starts small), or no such share)"
    ]
    unarmed = NEW_POWER.replace("doctrine: 0.1", "doctrine: 0").replace(
        "security_capacity: 1", "security_capacity: 0"
    )
    text = BASE + add + unarmed + ", security_share: 0.05}\n"
    assert [p.format().split(": ")[1] for p in problems_of(tmp_path, text)] == [
        "actors.add_powers.turkey.security_capacity",
        "actors.add_powers.turkey.doctrine",
    ]
    # without a share in a domain its effort there may be 0
    for text in (BASE + add + unarmed + ", economic_share: 0.05}\n", BASE + add + none + "}\n"):
        (tmp_path / "ok.yaml").write_text(text, encoding="utf-8")
        assert "turkey" in load_scenario(tmp_path / "ok.yaml").dims.powers
