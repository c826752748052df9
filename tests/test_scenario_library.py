"""The scenario library in ``scenarios/``: every file validates, runs, and documents its numbers."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from influence_sim import seeds as sd
from influence_sim.checking import validate_paths
from influence_sim.engine import RunBatch
from influence_sim.initial import build, rescaling_report
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "scenarios").glob("*.yaml"))
NAMES = [p.name for p in FILES]
# Files a command writes (e.g. `influence-sim calibrate`) carry their provenance in a generated
# header instead of the hand-written comment block and per-number comments.
WRITTEN = [p for p in FILES if not p.read_text(encoding="utf-8").startswith("# Written by")]
WRITTEN_NAMES = [p.name for p in WRITTEN]
SEEDS = sd.load_seeds()
EVENTS = {e.id: e.date for e in SEEDS.events}

NUMBER = re.compile(r"(?<![A-Za-z_\d.])-?\d")
SEEDS_ID = re.compile(r"seeds/(assumptions|figures|events)\.csv ([A-Za-z0-9_]+)")


def test_the_library_is_complete():
    assert set(NAMES) >= {
        "baseline.yaml",
        "afghan_takeover.yaml",
        "hindcast_2000.yaml",
        "russia_sanctions_2022.yaml",
        "china_security_push.yaml",
        "us_reengagement.yaml",
        "sino_russian_split.yaml",
    }
    assert validate_paths([str(p) for p in FILES]) == []


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_each_file_loads_and_runs_a_few_steps(path):
    sc = load_scenario(path)
    assert sc.name == path.stem
    seeds = replicate_seeds(sc.seed, 2)
    state, params = build(sc.dims, sc.start, [sc.overrides()] * 2, sc.reference_overrides())
    batch = RunBatch(sc.dims, sc.clock(), state, params, sc.compile(seeds), seeds)
    for _ in range(6):
        batch.advance()
    assert np.all(np.isfinite(batch.state.share))
    np.testing.assert_allclose(batch.state.share.sum(axis=2), 1.0, atol=1e-9)


@pytest.mark.parametrize("path", WRITTEN, ids=WRITTEN_NAMES)
def test_each_file_opens_with_its_question_changes_and_what_to_look_at(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    head = []
    for line in lines:
        if not line.startswith("#"):
            break
        head.append(line)
    block = "\n".join(head)
    for part in ("Question:", "What it changes:", "What to look at:"):
        assert part in block, f"{path.name}: the opening comment lacks '{part}'"


def _value_part(line: str) -> tuple[str, str]:
    code, _, comment = line.partition("#")
    code = code.strip()
    if code.startswith("- "):
        code = code[2:]
    if ":" in code and not re.match(r"^\d{4}-\d{2}-\d{2}$", code):
        code = code.split(":", 1)[1]
    return code.strip(), comment.strip()


@pytest.mark.parametrize("path", WRITTEN, ids=WRITTEN_NAMES)
def test_every_number_says_where_it_comes_from(path):
    """A number is from seeds (with its id, and then it must match) or a marked assumption."""
    prose_indent = None  # inside a folded or literal block (descriptions): prose, not numbers
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        indent = len(line) - len(line.lstrip())
        if prose_indent is not None and (not line.strip() or indent > prose_indent):
            continue
        prose_indent = None
        if re.search(r":\s*[>|][-+]?\s*$", line):
            prose_indent = indent
            continue
        if line.lstrip().startswith("#"):
            continue
        value, comment = _value_part(line)
        if not NUMBER.search(value):
            continue
        where = f"{path.name}:{n}: {line.strip()}"
        assert "ASSUMPTION" in comment or "seeds/" in comment, where
        if "ASSUMPTION" in comment:
            continue
        match = SEEDS_ID.search(comment)
        assert match, f"{where}: name the seeds id"
        table, key = match.groups()
        if table == "events":
            assert dt.date.fromisoformat(value) == EVENTS[key], where
        elif table == "assumptions":
            assert float(value) == pytest.approx(SEEDS.assumed(key)), where
        else:
            assert float(value) == pytest.approx(SEEDS.figure(key)), where


def test_baseline():
    sc = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    assert (sc.start, sc.end, sc.step) == (dt.date(2021, 1, 1), dt.date(2031, 1, 1), "quarter")
    assert sc.shocks == () and sc.overrides() == {} and sc.reference_overrides() == {}


def test_afghan_takeover_uses_the_seeded_assumption():
    path = ROOT / "scenarios" / "afghan_takeover.yaml"
    sc = load_scenario(path)
    assert sc.files[1].endswith("baseline.yaml")
    (shock,) = sc.shocks
    assert (shock.at, shock.target, shock.op) == (
        EVENTS["taliban_kabul"],
        "afghanistan.instability",
        "set",
    )
    assert shock.value == SEEDS.assumed("afghan_instability_takeover") == 0.9
    head = path.read_text(encoding="utf-8").split("\nname:")[0]
    assert "afghan_instability_takeover" in head and "0.9" in head


def test_hindcast_has_the_dated_events_and_does_not_repeat_the_dated_data():
    sc = load_scenario(ROOT / "scenarios" / "hindcast_2000.yaml")
    assert (sc.start, sc.end) == (dt.date(2000, 1, 1), dt.date(2022, 1, 1))
    dates = set()
    for shock in sc.shocks:
        dates.update([shock.at] if shock.at else list(shock.between or ()))
        # memberships and presences come from seeds/; a shock on them would apply them twice
        assert ".membership." not in shock.target and ".presence." not in shock.target
    for event in (
        "sco_founded",
        "us_manas_open",
        "us_manas_handover",
        "bri_astana",
        "crimea_sanctions",
        "taliban_kabul",
    ):
        assert EVENTS[event] in dates, event
    names = {c.name for c in sc.dated_changes()}
    assert {
        "seeds/memberships.csv: uzbekistan leaves csto",
        "seeds/presence.csv: united_states presence in uzbekistan ends",
        "seeds/presence.csv: china presence in tajikistan set to 0.3",
    } <= names


DOCS = ROOT / "docs" / "scenarios.md"
DEFAULTS = {
    "name": "example",
    "time": {"start": "2021-01-01", "end": "2031-01-01", "step": "quarter"},
}


def _doc_examples() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


def test_every_feature_has_a_docs_example():
    text = "\n".join(_doc_examples())
    for feature in (
        "extends:",
        "tags:",
        "seed:",
        "replicates:",
        "add_powers:",
        "remove_powers:",
        "parameters:",
        "op: set",
        "op: add",
        "op: scale",
        "op: ramp",
        "op: pulse",
        "distribution: triangular",
        "distribution: choice",
        "probability:",
        "when:",
        "across:",
        "outputs:",
        "every:",
        "states.*.",
    ):
        assert feature in text, feature


@pytest.mark.parametrize("index", range(len(_doc_examples())))
def test_docs_examples_validate(tmp_path, index):
    """Each YAML example of docs/scenarios.md, completed with a name and time if it lacks them."""
    for path in FILES:
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load(_doc_examples()[index])
    if isinstance(data, list):
        data = {"shocks": data}
    if "extends" not in data:
        data = {**DEFAULTS, **data}
    data.setdefault("name", "example")
    path = tmp_path / "example.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    if "descripton" in data:  # the example of a file with mistakes
        with pytest.raises(ScenarioError):
            load_scenario(path)
        return
    sc = load_scenario(path)
    if "add_powers" in data.get("actors", {}):
        notes = re.findall(r"^note: (.*)$", DOCS.read_text(encoding="utf-8"), flags=re.M)
        assert rescaling_report(sc)[0] == notes[0]


def test_the_docs_library_table_lists_every_file_with_what_it_extends():
    """The table closing docs/scenarios.md names each file of scenarios/ once, with its parent."""
    text = DOCS.read_text(encoding="utf-8").split("## The scenario library", 1)[1]
    rows = re.findall(r"^\| `([\w.]+\.yaml)` \| ([^|]+) \|", text, flags=re.M)
    assert sorted(name for name, _ in rows) == sorted(WRITTEN_NAMES)
    for name, parent in rows:
        data = yaml.safe_load((ROOT / "scenarios" / name).read_text(encoding="utf-8"))
        expected = Path(data["extends"]).stem if data.get("extends") else "—"
        assert parent.strip() == expected, name
