"""Mechanism attribution: knockouts with common random numbers, and a waterfall that adds up."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim.analysis import KNOCKOUTS, attribute, compare
from influence_sim.analysis.attribution import (
    _simulate,
    describe,
    knockout_table,
    without_shocks,
)
from influence_sim.paths import resolve
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import load_scenario
from influence_sim.timeline import Operation, Timeline, Trigger

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TAKEOVER = ROOT / "scenarios" / "afghan_takeover.yaml"


@pytest.fixture(scope="module")
def takeover():
    return attribute(TAKEOVER, seed=5, replicates=3)


@pytest.fixture(scope="module")
def versus():
    return attribute(TAKEOVER, BASELINE, seed=5, replicates=3)


def _components(result, first, last):
    pr = result.per_replicate
    wide = pr.pivot_table(
        index=["replicate", "state", "domain", "partner"], columns="component", values="value"
    )
    steps = [*result.knockouts, "remainder"]
    return wide, wide[first], wide[steps].sum(axis=1), wide[last]


def test_start_effects_and_remainder_add_up_to_the_end(takeover):
    _, start, change, end = _components(takeover, "start", "end")
    np.testing.assert_allclose(start + change, end, atol=1e-12)
    assert set(takeover.knockouts) == set(KNOCKOUTS)
    steps = takeover.steps("region", "security", "china")
    assert list(steps["component"]) == ["start", *KNOCKOUTS, "remainder", "end"]
    levels = steps[steps["kind"] == "level"]["value"].to_numpy()
    assert levels[0] + steps[steps["kind"] == "step"]["value"].sum() == pytest.approx(levels[1])


def test_effects_of_a_run_are_full_minus_knockout(takeover):
    """The shocks effect of the takeover is the takeover run minus the same run unshocked."""
    scenario = load_scenario(TAKEOVER)
    seeds = replicate_seeds(5, 3)
    full = _simulate(scenario, seeds, None)
    off = _simulate(scenario, seeds, KNOCKOUTS["shocks"])
    s = scenario.dims.states.index("tajikistan")
    expected = full.share[-1, :, s, 1, 1] - off.share[-1, :, s, 1, 1]  # russia, security
    pr = takeover.per_replicate
    got = pr[
        (pr["component"] == "shocks")
        & (pr["state"] == "tajikistan")
        & (pr["partner"] == "russia")
        & (pr["domain"] == "security")
    ]
    np.testing.assert_allclose(got.sort_values("replicate")["value"], expected, atol=1e-12)
    assert expected.mean() > 0.01  # the takeover pushes Tajikistan towards Russia


def test_switching_offers_off_changes_the_baseline_path():
    """Nothing is refitted: with offers off the baseline follows another path."""
    scenario = load_scenario(BASELINE)
    off = _simulate(scenario, replicate_seeds(1, 2), KNOCKOUTS["offers"])
    full = _simulate(scenario, replicate_seeds(1, 2), None)
    np.testing.assert_allclose(off.share[0], full.share[0], atol=1e-12)
    assert np.abs(full.share[-1] - off.share[-1]).max() > 0.005


def test_a_scenario_without_shocks_has_no_shock_effect():
    result = attribute(BASELINE, seed=1, replicates=2, knockouts=["shocks", "threat"])
    t = result.table
    assert t[t["component"] == "shocks"]["mean"].abs().max() < 1e-9
    # the threat before the takeover (instability 0.3) still acts in the baseline
    assert t[t["component"] == "threat"]["mean"].abs().max() > 1e-4
    assert result.knockouts == ["shocks", "threat"]


def test_difference_attribution_matches_the_paired_comparison(versus):
    """baseline + effects + remainder = scenario, and scenario - baseline is compare's delta."""
    _, base, change, scen = _components(versus, "baseline", "scenario")
    np.testing.assert_allclose(base + change, scen, atol=1e-12)
    comparison = compare(BASELINE, TAKEOVER, seed=5, replicates=3)
    m = comparison.metrics
    sel = m[
        (m["metric"] == "final_share_security")
        & (m["state"] == "tajikistan")
        & (m["partner"] == "russia")
    ]
    a = sel[sel["scenario"] == "baseline"].sort_values("replicate")["value"].to_numpy()
    b = sel[sel["scenario"] == "afghan_takeover"].sort_values("replicate")["value"].to_numpy()
    steps = versus.steps("tajikistan", "security", "russia")
    levels = steps[steps["kind"] == "level"]["value"].to_numpy()
    assert levels[1] - levels[0] == pytest.approx(np.mean(b - a), abs=1e-12)


def test_without_shocks_drops_named_shocks_and_keeps_dated_data():
    from influence_sim.initial import default_dims

    target = resolve("afghanistan.instability", default_dims())[0]
    one, yes = np.array([0.9]), np.array([True])
    timeline = Timeline()
    for step, name in (
        (1, "seeds/memberships.csv: x"),
        (2, "takeover"),
        (3, "takeover (decay)"),
        (4, "other"),
    ):
        timeline.add(Operation(step, target, "set", one, yes, name=name))
    timeline.add_trigger(Trigger("pushback", lambda s, p: yes, 0, 5, yes, []))
    kept = without_shocks(timeline, ["takeover", "pushback"])
    names = [op.name for ops in kept.operations.values() for op in ops]
    assert names == ["seeds/memberships.csv: x", "other"]
    assert kept.triggers == []


def test_unknown_knockout_and_other_cast_are_errors():
    with pytest.raises(ValueError, match=r"unknown knockout\(s\) telepathy \(expected some of"):
        attribute(BASELINE, knockouts=["telepathy"], replicates=1)
    with pytest.raises(ValueError, match=r"unknown knockout\(s\) telepathy"):
        knockout_table([BASELINE], knockouts=["telepathy"], replicates=1)
    # one name alone is one knockout, not its letters
    with pytest.raises(ValueError, match=r"^unknown knockout\(s\) telepathy \(expected"):
        attribute(BASELINE, knockouts="telepathy", replicates=1)
    one = attribute(BASELINE, knockouts="threat", replicates=1, seed=1)
    assert one.knockouts == ["threat"]


@pytest.mark.parametrize(("keywords", "what"), [({}, "scenario"), ({"baseline": 3}, "baseline")])
def test_a_scenario_that_is_neither_loaded_nor_a_path_is_a_type_error(keywords, what):
    """attribute({...}) failed with "'dict' object has no attribute 'seed'"."""
    scenario = {"name": "x"} if what == "scenario" else BASELINE
    kind = "dict" if what == "scenario" else "int"
    message = f"^{what}: expected a Scenario or the path of a scenario file, not {kind}$"
    with pytest.raises(TypeError, match=message):
        attribute(scenario, replicates=1, **keywords)


def test_a_difference_needs_a_baseline_with_the_same_powers():
    """Each step's noise block is shaped by the powers, so runs with other powers would not
    share their noise: the difference would not be taken on common random numbers."""
    turkey = ROOT / "scenarios" / "turkey_enters.yaml"
    message = "'turkey_enters' and 'baseline' have different states or powers"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}; "):
        attribute(turkey, BASELINE, replicates=1)


def test_replicates_that_are_no_whole_number_are_refused():
    for bad, message in (("2", "a whole number, not '2'"), (1.5, "a whole number, not 1.5")):
        with pytest.raises(ValueError, match=rf"^replicates must be {re.escape(message)}$"):
            attribute(BASELINE, replicates=bad)
    with pytest.raises(ValueError, match=r"^replicates must be at least 1$"):
        attribute(BASELINE, replicates=0)


def test_save_and_describe(takeover, tmp_path):
    written = {p.name for p in takeover.save(tmp_path)}
    assert {
        "attribution.csv",
        "attribution_replicates.csv",
        "waterfall_security_china.png",
        "waterfall_economic_russia.png",
    } <= written
    assert (tmp_path / "waterfall_security_china.png").read_bytes()[:4] == b"\x89PNG"
    text = describe(takeover, "region", "security", "china")
    assert "remainder" in text and "offers" in text
    with pytest.raises(KeyError):
        takeover.steps("atlantis", "security", "china")


def test_save_without_plots_removes_the_waterfalls_of_an_earlier_save(takeover, tmp_path):
    """save(plots=False) after a save with plots left the earlier waterfall_*.png files."""
    import json

    from influence_sim._files import FigureOutput

    takeover.save(tmp_path, state="tajikistan", figures=FigureOutput(("png", "svg")))
    assert (tmp_path / "waterfall_tajikistan_security_china.svg").is_file()
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "waterfall_mine.png").write_text("mine\n")  # not listed by a save
    written = {p.name for p in takeover.save(tmp_path, plots=False)}
    assert written == {"attribution.csv", "attribution_replicates.csv", "attribution.json"}
    assert {p.name for p in tmp_path.iterdir()} == written | {"notes.txt", "waterfall_mine.png"}
    record = json.loads((tmp_path / "attribution.json").read_text())
    assert record["files"] == sorted(written)
    assert record["scenario"] == takeover.scenario and record["knockouts"] == takeover.knockouts
    assert record["seed"] == takeover.seed and record["replicates"] == takeover.replicates
    # an attribution.json that lists a file an attribution never writes removes nothing
    record["files"] = ["notes.txt", "waterfall_mine.png"]
    (tmp_path / "attribution.json").write_text(json.dumps(record))
    takeover.save(tmp_path, plots=False)
    assert (tmp_path / "notes.txt").is_file() and (tmp_path / "waterfall_mine.png").is_file()


def test_mechanisms_is_a_deprecated_alias_of_knockouts():
    """The knockouts were called ``MECHANISMS``; the old name works for one release."""
    import influence_sim.analysis as analysis
    import influence_sim.analysis.attribution as attribution

    with pytest.warns(DeprecationWarning, match="MECHANISMS is now KNOCKOUTS"):
        alias = attribution.MECHANISMS
    assert alias is KNOCKOUTS
    with warnings.catch_warnings():  # the package warns on first use only: it keeps the value
        warnings.simplefilter("ignore", DeprecationWarning)
        assert analysis.MECHANISMS is KNOCKOUTS
    with pytest.raises(AttributeError):
        _ = attribution.MECHANISM


def test_knockouts_keyword_and_field_keep_their_former_name_for_one_release():
    """``mechanisms=`` and ``Attribution.mechanisms`` were the names of the knockouts run."""
    with pytest.warns(DeprecationWarning, match=r"attribute\(mechanisms=\.\.\.\) is now"):
        old = attribute(BASELINE, seed=1, replicates=1, mechanisms=["hedging"])
    new = attribute(BASELINE, seed=1, replicates=1, knockouts=["hedging"])
    assert old.knockouts == new.knockouts == ["hedging"]
    pd.testing.assert_frame_equal(old.table, new.table)
    with pytest.warns(DeprecationWarning, match="Attribution.mechanisms is now"):
        assert new.mechanisms == ["hedging"]
    with pytest.raises(TypeError, match="knockouts= or mechanisms=, not both"):
        attribute(BASELINE, knockouts=["hedging"], mechanisms=["hedging"])
    with pytest.raises(AttributeError):
        new.mechanisms = ["threat"]  # read-only: the field is knockouts


def test_knockout_table_takes_knockouts_and_its_former_keyword():
    """The table names each knockout in its ``knockout`` column; ``mechanisms=`` still works."""
    new = knockout_table([BASELINE], knockouts=["hedging"], seed=1, replicates=1)
    assert list(new.columns[:3]) == ["scenario", "knockout", "letters"]
    assert new["knockout"].tolist() == ["hedging"]
    with pytest.warns(DeprecationWarning, match=r"knockout_table\(mechanisms=\.\.\.\) is now"):
        old = knockout_table([BASELINE], mechanisms=["hedging"], seed=1, replicates=1)
    pd.testing.assert_frame_equal(old, new)
    assert knockout_table([BASELINE], ["hedging"], 1, 1).equals(new)  # positional as before
    with pytest.raises(TypeError, match="knockouts= or mechanisms=, not both"):
        knockout_table([BASELINE], knockouts=["hedging"], mechanisms=["hedging"])


def test_unknown_state_domain_or_partner_names_the_choices(takeover):
    """A waterfall asked for a place, domain or partner the attribution lacks lists those it has."""
    with pytest.raises(KeyError, match=r"state 'regio' \(expected one of .*did you mean 'region'"):
        takeover.steps("regio", "security", "china")
    with pytest.raises(KeyError, match=r"domain 'arms' \(expected one of economic, security\)"):
        takeover.steps("region", "arms", "china")
    with pytest.raises(KeyError, match=r"partner 'turkey' \(expected one of china, russia, "):
        describe(takeover, "region", "security", "turkey")
