"""Sweep files and designs: validation with FILE:LINE:COL problems, and the design points."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from influence_sim.sweep import SweepError, read_sweep

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: sweep_test_base
time:
  start: 2021-01-01
  end: 2024-01-01
  step: quarter
  seed: 7
shocks:
  - name: takeover
    at: 2021-08-15
    target: afghanistan.instability
    op: set
    value: {distribution: uniform, low: 0.7, high: 0.9}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "base.yaml").write_text(BASE)
    return tmp_path


def write(folder: Path, text: str, name: str = "sweep.yaml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(SweepError) as info:
        read_sweep(path)
    return [p.format() for p in info.value.problems]


# --------------------------------------------------------------------------- designs


def test_grid_is_the_full_product_in_file_order(folder):
    path = write(
        folder,
        """\
        scenario: base.yaml
        replicates: 3
        vary:
          parameters.coordination: [0.0, 0.5, 1.0]
          parameters.presence_weight: {low: 0.5, high: 2.0, num: 4}
          states.*.hedging: {values: [0.2, 0.8]}
        design: {kind: grid}
        """,
    )
    sweep = read_sweep(path)
    assert sweep.n_points == 3 * 4 * 2
    assert sweep.n_runs == 24 * 3
    points = sweep.design.points
    assert sweep.design.names == (
        "parameters.coordination",
        "parameters.presence_weight",
        "states.*.hedging",
    )
    # the last factor varies fastest
    np.testing.assert_array_equal(points[:2, 2], [0.2, 0.8])
    np.testing.assert_allclose(sorted(set(points[:, 1])), [0.5, 1.0, 1.5, 2.0])
    assert points[-1].tolist() == [1.0, 2.0, 0.8]
    # the seed defaults to the base scenario's
    assert sweep.spec.seed == 7


def test_a_value_that_only_sets_the_start_may_be_varied(folder):
    """A shock may not target ``arms_propensity``, but a sweep sets it at the start of each run."""
    path = write(
        folder,
        """\
        scenario: base.yaml
        vary:
          states.*.arms_propensity: [-7.0, -6.0]
        design: {kind: grid}
        """,
    )
    sweep = read_sweep(path)
    assert sweep.design.names == ("states.*.arms_propensity",)
    np.testing.assert_array_equal(sweep.design.points[:, 0], [-7.0, -6.0])


def test_cases_are_taken_as_written(folder):
    path = write(
        folder,
        """\
        scenario: base.yaml
        seed: 3
        design:
          kind: cases
          cases:
            - {parameters.coordination: 0.0, afghanistan.instability: 0.9}
            - {parameters.coordination: 1.0, afghanistan.instability: 0.2}
        """,
    )
    sweep = read_sweep(path)
    assert sweep.design.names == ("parameters.coordination", "afghanistan.instability")
    np.testing.assert_array_equal(sweep.design.points, [[0.0, 0.9], [1.0, 0.2]])


def test_paths_written_with_spaces_around_them_are_read_as_their_path(folder):
    """A path key with spaces around it names its path in cases and in the overlap checks."""
    path = write(
        folder,
        """\
        scenario: base.yaml
        design:
          kind: cases
          cases:
            - {" parameters.coordination": 0.2}
            - {" parameters.coordination": 0.4}
        """,
    )
    sweep = read_sweep(path)  # was a traceback (PathError) when the factors were made
    assert sweep.design.names == ("parameters.coordination",)
    np.testing.assert_array_equal(sweep.design.points, [[0.2], [0.4]])
    path = write(
        folder,
        """\
        scenario: base.yaml
        vary:
          " states.*.hedging": {low: 0.1, high: 0.5}
          states.kazakhstan.hedging: {low: 0.1, high: 0.5}
        design: {kind: lhs, points: 4}
        """,
    )
    assert problems_of(path) == [
        f'{path}:4:3: vary["states.kazakhstan.hedging"]: names the same value '
        "(states.kazakhstan.hedging) as 'states.*.hedging' (expected each value varied by one "
        "path only)"
    ]


RANDOM_DESIGNS = {
    "lhs": ("kind: lhs\n  points: 40", 40),
    "sobol": ("kind: sobol\n  base: 16", 16 * (2 * 3 + 2)),
    "sobol1": ("kind: sobol\n  base: 16\n  second_order: false", 16 * (3 + 2)),
    "morris": ("kind: morris\n  trajectories: 10\n  levels: 4", 10 * (3 + 1)),
}


@pytest.mark.parametrize("name", sorted(RANDOM_DESIGNS))
def test_random_designs_have_the_right_size_stay_in_bounds_and_repeat(folder, name):
    design, expected = RANDOM_DESIGNS[name]
    text = (
        "scenario: base.yaml\n"
        "vary:\n"
        "  parameters.coordination: {low: 0.1, high: 0.9}\n"
        "  parameters.presence_weight: {low: 0.5, high: 4.0, scale: log}\n"
        "  states.tajikistan.threat_exposure: {low: 0.3, high: 1.0}\n"
        f"design:\n  {design}\n"
    )
    path = folder / "a.yaml"
    path.write_text(text + "seed: 5\n")
    first = read_sweep(path).design.points
    again = read_sweep(path).design.points
    path.write_text(text + "seed: 6\n")
    other = read_sweep(path).design.points
    assert first.shape == (expected, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)
    lows, highs = np.array([0.1, 0.5, 0.3]), np.array([0.9, 4.0, 1.0])
    assert (first >= lows).all() and (first <= highs).all()
    if name == "lhs":
        # one point in each of the 40 strata of every factor (on the factor's own scale)
        unit = (np.log(first[:, 1]) - math.log(0.5)) / (math.log(4.0) - math.log(0.5))
        assert sorted(np.floor(unit * 40).astype(int)) == list(range(40))
    if name == "morris":
        # levels of a 4-level Morris grid on the linear factors
        levels = np.round((first[:, 0] - 0.1) / 0.8 * 3, 9)
        assert set(levels) <= {0.0, 1.0, 2.0, 3.0}


def test_design_seed_overrides_the_sweep_seed(folder):
    text = """\
    scenario: base.yaml
    seed: 1
    vary:
      parameters.coordination: {low: 0.0, high: 1.0}
    design: {kind: lhs, points: 8, seed: %s}
    """
    a = read_sweep(write(folder, text % 9)).design.points
    b = read_sweep(write(folder, text % 9, "b.yaml")).design.points
    c = read_sweep(write(folder, text % 10, "c.yaml")).design.points
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert read_sweep(write(folder, text % 9, "d.yaml")).spec.seed == 1


def test_run_seeds_depend_on_the_run_only(folder):
    path = write(
        folder,
        """\
        scenario: base.yaml
        seed: 12
        replicates: 3
        vary:
          parameters.coordination: [0.0, 1.0]
        design: {kind: grid}
        """,
    )
    sweep = read_sweep(path)
    seeds = sweep.seeds(np.arange(6))
    assert [s.spawn_key for s in seeds] == [(r,) for r in range(6)]
    assert all(s.entropy == 12 for s in seeds)
    crn = write(folder, path.read_text() + "common_random_numbers: true\n", "crn.yaml")
    keys = [s.spawn_key for s in read_sweep(crn).seeds(np.arange(6))]
    assert keys == [(0,), (1,), (2,), (0,), (1,), (2,)]


# --------------------------------------------------------------------------- validation


def test_every_problem_is_reported_with_file_line_and_column(folder):
    path = write(
        folder,
        """\
        name: bad
        scenario: base.yaml
        seed: 1
        replicates: 0
        vary:
          parameters.cordination: {low: 0, high: 1}
          parameters.presence_weight: {low: -1, high: 2}
          states.tajikistan.threat_exposure: {low: 0.2}
        design:
          kind: sobol
          base: 100
          sede: 3
        keep:
          final: [shares, trades]
        """,
    )
    lines = problems_of(path)
    file = str(path)
    expected = [
        f"{file}:4:13: replicates: 0 is out of range",
        f'{file}:6:3: vary["parameters.cordination"]: unknown parameter \'cordination\'',
        f'{file}:7:37: vary["parameters.presence_weight"].low: -1 is outside the range',
        f'{file}:8:3: vary["states.tajikistan.threat_exposure"]: missing \'high\'',
        f"{file}:11:9: design.base: 100 is not a power of 2",
        f"{file}:12:3: design.sede: unknown key 'sede' for a sobol design",
        f"{file}:14:19: keep.final[1]: unknown metric group",
    ]
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected, strict=True):
        assert line.startswith(start), (line, start)
    assert "did you mean 'coordination'" in lines[1]
    assert "(expected a value of at least 0)" in lines[2]
    assert "did you mean 'seed'" in lines[5]
    assert "did you mean 'trade'" in lines[6]


def test_a_scenario_file_is_not_a_sweep_file(folder):
    (lines,) = problems_of(folder / "base.yaml")
    assert lines.startswith(f"{folder / 'base.yaml'}:1:1: this is not a sweep file")
    assert "influence-sim run" in lines


@pytest.mark.parametrize(
    ("body", "start", "words"),
    [
        ("scenario: nowhere.yaml\nvary: {parameters.coordination: [0, 1]}\ndesign: {kind: grid}",
         ":1:11: scenario: no scenario file", "relative to the sweep file"),
        ("scenario: base.yaml\nvary: {parameters.coordination: {low: 0, high: 1}}\n"
         "design: {kind: grid}", ':2:8: vary["parameters.coordination"]: a grid needs values',
         "num"),
        ("scenario: base.yaml\nvary: {parameters.coordination: [0, 2]}\ndesign: {kind: grid}",
         ':2:37: vary["parameters.coordination"][1]: 2 is outside', "from 0 to 1"),
        ("scenario: base.yaml\nvary: {parameters.coordination: [0, 1]}\n"
         "design: {kind: lhs, points: 4}", ':2:8: vary["parameters.coordination"]: '
         "values are only for a grid", "low and high"),
        ("scenario: base.yaml\nvary: {powers.rusia.priority: {low: 0, high: 1}}\n"
         "design: {kind: lhs, points: 4}", ':2:8: vary["powers.rusia.priority"]: unknown power',
         "did you mean 'russia'"),
        ("scenario: base.yaml\nvary:\n  states.*.hedging: [0.1, 0.2]\n"
         "  states.tajikistan.hedging: [0.3, 0.4]\ndesign: {kind: grid}",
         ':4:3: vary["states.tajikistan.hedging"]: names the same value', "one path only"),
        ("scenario: base.yaml\nvary: {parameters.coordination: [0, 1]}\n"
         "design: {kind: grid, seed: 3}", ":3:22: design.seed: a grid design draws nothing",
         "no seed"),
        ("scenario: base.yaml\ndesign:\n  kind: cases\n  cases:\n"
         "    - {parameters.coordination: 0.1}\n    - {parameters.presence_weight: 1.0}",
         ":6:7: design.cases[1]: every case must set the same paths",
         "lacks parameters.coordination"),
        ("scenario: base.yaml\nvary: {parameters.coordination: {low: 0, high: 1}}\n"
         "design: {kind: latin}", ":3:16: design.kind: unknown design 'latin'", "one of grid"),
    ],
)
def test_single_problems(folder, body, start, words):
    path = folder / "s.yaml"
    path.write_text(body + "\n")
    (line,) = problems_of(path)
    assert line.startswith(str(path) + start), line
    assert words in line, line


def test_problems_of_the_base_scenario_are_reported_too(folder):
    (folder / "broken.yaml").write_text(BASE.replace("step: quarter", "step: fortnight"))
    path = write(
        folder,
        """\
        scenario: broken.yaml
        vary: {parameters.coordination: [0, 1]}
        design: {kind: grid}
        """,
    )
    (line,) = problems_of(path)
    assert line.startswith(f"{folder / 'broken.yaml'}:5:9: time.step")


def test_yaml_syntax_errors_are_sweep_errors(folder):
    path = folder / "s.yaml"
    path.write_text("scenario: base.yaml\nvary: [\n")
    (line,) = problems_of(path)
    assert line.startswith(f"{path}:")


def test_the_example_sweep_file_is_valid():
    path = ROOT / "scenarios" / "sweeps" / "afghan_sensitivity.yaml"
    if not (ROOT / "scenarios" / "afghan_takeover.yaml").is_file():
        pytest.skip("the base scenario is not in this checkout")
    sweep = read_sweep(path)
    assert sweep.design.kind == "sobol"
    assert sweep.n_points == 128 * (4 + 2)
    assert sweep.n_runs == 2 * sweep.n_points
