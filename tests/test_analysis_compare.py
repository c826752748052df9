"""Paired comparisons: seeds, pairing, headline metrics, deltas and bands, files and plots."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from influence_sim.analysis import compare, replicate_metrics
from influence_sim.analysis.comparison import HEADLINE_COLUMNS, CompareWarning, summary_text
from influence_sim.analysis.runset import RunSet, SourceError, from_results, from_run_folder
from influence_sim.analysis.stats import (
    cross_differences,
    difference_of_fractions,
    fraction_interval,
    paired_differences,
    quantiles,
)
from influence_sim.api import run
from influence_sim.calendar import decimal_years

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
TAKEOVER = ROOT / "scenarios" / "afghan_takeover.yaml"
TURKEY = ROOT / "scenarios" / "turkey_enters.yaml"


@pytest.fixture(scope="module")
def comparison():
    return compare(BASELINE, TAKEOVER, replicates=4)


def _row(table: pd.DataFrame, metric: str, state: str, power: str, scenario: str) -> pd.Series:
    sel = table[
        (table["metric"] == metric)
        & (table["state"] == state)
        & (table["partner"] == power)
        & (table["scenario"] == scenario)
    ]
    assert len(sel) == 1, (metric, state, power, scenario)
    return sel.iloc[0]


def test_scenario_files_run_with_common_seeds_and_pair(comparison):
    """Both scenario files use the first scenario's seed and the same replicate seeds."""
    base, takeover = comparison.sides
    assert comparison.seed == 2021 and comparison.replicates == 4
    assert base.seeds == takeover.seeds and len(base.seeds) == 4
    assert comparison.pairing["afghan_takeover"].paired
    assert comparison.pairing["afghan_takeover"].replicates == [0, 1, 2, 3]
    assert list(comparison.headline.columns) == list(HEADLINE_COLUMNS)


def test_reference_has_zero_deltas_and_metrics_cover_states_and_region(comparison):
    head = comparison.headline
    ref = head[head["scenario"] == "baseline"]
    assert (ref[["delta_median", "delta_p5", "delta_p95"]] == 0).all().all()
    states = set(head["state"])
    assert {"kazakhstan", "tajikistan", "region"} <= states
    assert set(head["metric"]) == {
        "final_share_economic",
        "final_share_security",
        "final_guarantor",
        "guarantor_changes",
        "china_passes_russia_trade_year",
        "china_passes_russia_security_year",
        "final_trust",
    }


def test_paired_delta_is_the_median_of_per_replicate_differences(comparison):
    """delta_* summarise the replicate-by-replicate differences, not differences of medians."""
    m = comparison.metrics
    sel = m[
        (m["metric"] == "final_share_security")
        & (m["state"] == "tajikistan")
        & (m["partner"] == "russia")
    ]
    a = sel[sel["scenario"] == "baseline"].set_index("replicate")["value"].sort_index()
    b = sel[sel["scenario"] == "afghan_takeover"].set_index("replicate")["value"].sort_index()
    diffs = (b - a).to_numpy()
    row = _row(
        comparison.headline, "final_share_security", "tajikistan", "russia", "afghan_takeover"
    )
    assert row["delta_median"] == pytest.approx(np.median(diffs))
    assert row["delta_p5"] == pytest.approx(np.quantile(diffs, 0.05))
    assert row["delta_p95"] == pytest.approx(np.quantile(diffs, 0.95))
    assert row["median"] == pytest.approx(np.median(b))
    # the takeover raises Russia's security share in Tajikistan (longest Afghan border, the
    # 201st base weighted by threat) in most replicates
    assert row["delta_median"] > 0.02


def test_headline_metrics_of_the_baseline(comparison):
    head = comparison.headline
    # China's trade exceeds Russia's from the start (the panel's 2020 figures)
    row = _row(head, "china_passes_russia_trade_year", "region", "china", "baseline")
    assert row["median"] == pytest.approx(2021.0)
    # with the panel's estimates China's regional arms share passes Russia's late in the decade
    row = _row(head, "china_passes_russia_security_year", "region", "china", "baseline")
    assert 2024.0 < row["median"] < 2031.0
    row = _row(head, "final_guarantor", "kazakhstan", "russia", "baseline")
    assert row["statistic"] == "fraction" and row["median"] == 1.0
    # in all 4 replicates is not certainty: the Wilson 90% interval of 4 of 4 is 0.60 to 1
    assert (row["p5"], row["p95"]) == pytest.approx((0.5965, 1.0), abs=1e-4)
    row = _row(head, "final_guarantor", "kazakhstan", "russia", "afghan_takeover")
    assert row["median"] == 1.0 and row["delta_median"] == 0.0
    assert row["delta_p5"] < -0.3 and row["delta_p95"] > 0.3
    row = _row(head, "guarantor_changes", "kazakhstan", "", "baseline")
    assert row["median"] == 0.0
    # China's arms share passes what Russia accepts, and trust erodes below its start (0.8)
    row = _row(head, "final_trust", "region", "", "baseline")
    assert 0.0 <= row["median"] < 0.7


def test_crossing_year_and_guarantor_changes_from_synthetic_runs():
    """China passes Russia on 2023-07-01 in one replicate and never in the other."""
    dates = ["2022-01-01", "2023-01-01", "2023-07-01", "2024-01-01"]
    rows = []
    for rep, china in ((0, [0.1, 0.2, 0.4, 0.5]), (1, [0.1, 0.1, 0.1, 0.1])):
        for step, (day, c) in enumerate(zip(dates, china, strict=True)):
            for power, share in (("china", c), ("russia", 0.3), ("rest_of_world", 0.7 - c)):
                for domain in ("economic", "security"):
                    rows.append(
                        {
                            "replicate": rep,
                            "step": step,
                            "date": day,
                            "state": "tajikistan",
                            "partner": power,
                            "domain": domain,
                            "share": share,
                            "volume_usd_bn": share * 10,
                        }
                    )
    ts = pd.DataFrame(rows)
    regional = ts.drop(columns=["state"])
    states = ts[(ts["domain"] == "security") & (ts["partner"] != "rest_of_world")]
    top = states.loc[states.groupby(["replicate", "step"])["share"].idxmax()]
    states = top[["replicate", "step", "date", "state"]].assign(
        security_guarantor=top["partner"].to_numpy()
    )
    relations = pd.DataFrame(
        {"replicate": [0, 1], "step": 3, "date": dates[-1], "trust": [0.5, 0.9]}
    )
    runs = RunSet("synthetic", "results", ts, regional, states, relations)
    m = replicate_metrics(runs)
    year = m[(m["metric"] == "china_passes_russia_security_year") & (m["state"] == "tajikistan")]
    values = year.set_index("replicate")["value"]
    assert values[0] == pytest.approx(decimal_years(pd.Index(["2023-07-01"]))[0])
    assert np.isinf(values[1])
    changes = m[m["metric"] == "guarantor_changes"].set_index("replicate")["value"]
    assert changes[0] == 1 and changes[1] == 0


def test_statistics_helpers():
    assert quantiles(np.array([1.0, 2.0, 3.0])) == pytest.approx((2.0, 1.1, 2.9))
    median, lo, hi = quantiles(np.array([2025.0, np.inf, np.inf]))
    assert np.isinf(median) and lo == 2025.0
    assert paired_differences(np.array([np.inf, 1.0]), np.array([np.inf, 3.0])).tolist() == [
        0.0,
        2.0,
    ]
    assert cross_differences(np.array([0.0, 1.0]), np.array([5.0])).tolist() == [5.0, 4.0]
    mean, lo, hi = fraction_interval(np.array([1.0, 1.0, 0.0, 0.0]))
    assert mean == 0.5 and 0.0 <= lo < 0.5 < hi <= 1.0
    diff, lo, hi = difference_of_fractions(np.ones(5), np.zeros(5), paired=True)
    assert diff == -1.0 and lo == -1.0 < hi < 0.0


def test_run_folder_pairs_with_a_scenario_file_run_on_its_seed(tmp_path):
    """A scenario compared with a run folder is run with the folder's seed and replicates."""
    results = run(BASELINE, seed=11, replicates=3)
    results.save(tmp_path / "base", plots=False)
    folder = from_run_folder(tmp_path / "base")
    # the CSV round trip gives the same metrics as the in-memory run
    a = replicate_metrics(folder).sort_values(["metric", "state", "partner", "replicate"])
    b = replicate_metrics(from_results(results)).sort_values(
        ["metric", "state", "partner", "replicate"]
    )
    np.testing.assert_allclose(a["value"].to_numpy(), b["value"].to_numpy(), rtol=1e-8)
    out = compare(tmp_path / "base", TAKEOVER)
    assert out.seed == 11 and out.replicates == 3
    assert out.pairing["afghan_takeover"].paired
    assert any("seed of 'baseline'" in n for n in out.notes)


def test_run_folders_with_other_seeds_are_compared_unpaired_with_a_warning(tmp_path):
    run(BASELINE, seed=1, replicates=3).save(tmp_path / "a", plots=False)
    run(TAKEOVER, seed=2, replicates=3).save(tmp_path / "b", plots=False)
    with pytest.warns(CompareWarning, match="seeds differ"):
        out = compare(tmp_path / "a", tmp_path / "b")
    assert not out.pairing["afghan_takeover"].paired
    assert any(n.startswith("warning:") for n in out.notes)
    row = _row(out.headline, "final_share_security", "tajikistan", "russia", "afghan_takeover")
    assert not row["paired"]
    # unpaired: the band of all cross differences
    m = out.metrics
    sel = m[
        (m["metric"] == "final_share_security")
        & (m["state"] == "tajikistan")
        & (m["partner"] == "russia")
    ]
    a = sel[sel["scenario"] == "baseline"]["value"].to_numpy()
    b = sel[sel["scenario"] == "afghan_takeover"]["value"].to_numpy()
    assert row["delta_median"] == pytest.approx(np.median(b[None, :] - a[:, None]))


def test_common_seeds_narrow_the_band(comparison):
    """Paired differences vary far less than the same comparison without common seeds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompareWarning)
        other = compare(run(BASELINE, seed=1, replicates=4), run(TAKEOVER, seed=99, replicates=4))
    key = ("final_share_economic", "uzbekistan", "china", "afghan_takeover")
    paired = _row(comparison.headline, *key)
    unpaired = _row(other.headline, *key)
    assert (paired["delta_p95"] - paired["delta_p5"]) < 0.2 * (
        unpaired["delta_p95"] - unpaired["delta_p5"]
    )


def test_sides_with_other_powers_are_paired_by_seed_without_common_noise(comparison, tmp_path):
    """Each step's noise block is shaped by the powers, so a side that adds or removes a power
    meets other noise than the reference even with equal seeds: it is paired by seed, and the
    pairing, the summary, the notes and comparison.json say that the noise is not common."""
    added = "without common random numbers: 'turkey_enters' adds turkey"
    with pytest.warns(CompareWarning, match=added):
        out = compare(BASELINE, TURKEY, replicates=2, posterior=False)
    pair = out.pairing["turkey_enters"]
    assert pair.paired and pair.replicates == [0, 1] and not pair.common_noise
    assert pair.reason.startswith("paired on 2 replicates (equal seeds), but without common noise")
    assert f"turkey_enters vs baseline: {pair.reason}" in summary_text(out)
    assert any(n.startswith("warning:") and added in n for n in out.notes)
    out.save(tmp_path / "out", plots=False)
    sides = json.loads((tmp_path / "out" / "comparison.json").read_text())["sides"]
    assert [(s["paired"], s["common_noise"]) for s in sides] == [(True, True), (True, False)]
    no_us = tmp_path / "no_us.yaml"
    no_us.write_text(
        f"name: no_us\nextends: {BASELINE}\nactors: {{remove_powers: [united_states]}}\n",
        encoding="utf-8",
    )
    with pytest.warns(CompareWarning, match="'no_us' removes united_states"):
        removed = compare(BASELINE, no_us, replicates=2, posterior=False)
    assert removed.pairing["no_us"].paired and not removed.pairing["no_us"].common_noise
    # sides with the same powers keep common noise, without a warning
    assert comparison.pairing["afghan_takeover"].common_noise
    assert not any(n.startswith("warning:") for n in comparison.notes)


def test_save_writes_tables_and_json(comparison, tmp_path):
    """(The plots are checked through the command line, tests/test_analysis_cli.py.)"""
    written = comparison.save(tmp_path, plots=False)
    names = {p.name for p in written}
    assert names == {
        "headline.csv",
        "replicate_metrics.csv",
        "differences.csv",
        "summary.txt",
        "comparison.json",
    }
    assert (tmp_path / "summary.txt").read_text() == summary_text(comparison) + "\n"
    head = pd.read_csv(tmp_path / "headline.csv")
    assert list(head.columns) == list(HEADLINE_COLUMNS)
    info = json.loads((tmp_path / "comparison.json").read_text())
    assert info["reference"] == "baseline" and info["sides"][1]["paired"] is True


def test_save_removes_the_files_an_earlier_comparison_listed_that_it_does_not_write(
    comparison, tmp_path
):
    """Figures of an earlier save (other scenarios, or plots at all) were left beside the tables."""
    comparison.save(tmp_path)
    (tmp_path / "notes.txt").write_text("mine\n")
    (tmp_path / "fan_mine.png").write_text("mine\n")
    with pytest.warns(CompareWarning, match="without common random numbers"):
        other = compare(BASELINE, TURKEY, replicates=2)
    written = {p.name for p in other.save(tmp_path)}
    assert "fan_turkey_enters.png" in written and "fan_afghan_takeover.png" not in written
    assert {p.name for p in tmp_path.iterdir()} == written | {"notes.txt", "fan_mine.png"}
    info = json.loads((tmp_path / "comparison.json").read_text())
    assert info["files"] == sorted(written)
    written = {p.name for p in other.save(tmp_path, plots=False)}
    assert {p.name for p in tmp_path.iterdir()} == written | {"notes.txt", "fan_mine.png"}
    # a comparison.json that lists a file a comparison never writes removes nothing
    info = json.loads((tmp_path / "comparison.json").read_text())
    info["files"] = ["notes.txt", "fan_mine.png", "headline.csv"]
    (tmp_path / "comparison.json").write_text(json.dumps(info))
    other.save(tmp_path, plots=False)
    assert (tmp_path / "notes.txt").is_file() and (tmp_path / "fan_mine.png").is_file()


def test_save_into_a_file_or_no_path_is_one_clear_error(comparison, tmp_path):
    """save(file) gave FileExistsError [Errno 17]; save(3) pathlib's generic TypeError."""
    (tmp_path / "file").write_text("mine\n")
    message = f"^{re.escape(str(tmp_path / 'file'))}: output path exists and is not a folder"
    with pytest.raises(FileExistsError, match=message):
        comparison.save(tmp_path / "file", plots=False)
    with pytest.raises(TypeError, match=r"^directory: expected a path \(text or os\.PathLike\)"):
        comparison.save(3, plots=False)


def test_arguments_of_the_wrong_kind_are_type_errors(comparison):
    """They failed with an AttributeError from inside ('dict' has no attribute 'headline')."""
    with pytest.raises(TypeError, match=r"^comparison: expected a Comparison \(from compare\(\)\)"):
        summary_text({})
    results = run(BASELINE, seed=1, replicates=1)
    with pytest.raises(TypeError, match=r"^runs: expected a RunSet \(.*from_results.*not Results$"):
        replicate_metrics(results)
    assert len(replicate_metrics(from_results(results))) > 0


def test_differences_over_time_are_paired_medians(comparison):
    d = comparison.differences
    sel = d[(d["partner"] == "russia") & (d["domain"] == "security")].sort_values("date")
    assert sel["paired"].all()
    assert sel["median"].iloc[0] == pytest.approx(0.0, abs=1e-12)  # same start
    assert (sel["p5"] <= sel["median"] + 1e-15).all()
    assert (sel["median"] <= sel["p95"] + 1e-15).all()


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="at least two"):
        compare(BASELINE)
    with pytest.raises(SourceError, match="no such file"):
        compare(BASELINE, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="neither a run folder"):
        compare(BASELINE, tmp_path / "empty")
    with pytest.raises(ValueError, match=r"^1 name given for 2 inputs$"):
        compare(BASELINE, TAKEOVER, names=["one"])
    with pytest.raises(ValueError, match=r"^3 names given for 2 inputs$"):
        compare(BASELINE, TAKEOVER, names=["one", "two", "three"])
    # a text of as many letters as inputs was split into one-letter labels
    with pytest.raises(ValueError, match=r"^names: expected a list of labels.* not the text .ab.$"):
        compare(BASELINE, TAKEOVER, names="ab")


@pytest.mark.parametrize(
    ("keyword", "value", "message"),
    [
        ("replicates", "2", r"^replicates must be a whole number, not '2'$"),
        ("replicates", 1.5, r"^replicates must be a whole number, not 1\.5$"),
        ("replicates", 0, r"^replicates must be at least 1$"),
        ("seed", 1.5, r"^seed must be a whole number, not 1\.5$"),
        ("seed", -1, r"^seed must be at least 0$"),
        ("every", "2", r"^every must be a whole number, not '2'$"),
    ],
)
def test_counts_and_seeds_that_are_no_whole_numbers_are_refused(keyword, value, message):
    """A float seed was truncated and run; text failed inside Python's comparison."""
    given = {"seed": 1, "replicates": 1, keyword: value}
    with pytest.raises(ValueError, match=message):
        compare(BASELINE, TAKEOVER, **given)


def test_a_run_folder_whose_metadata_is_not_a_json_object_is_a_clear_error(tmp_path):
    run(BASELINE, seed=1, replicates=2).save(tmp_path / "run", plots=False)
    (tmp_path / "run" / "metadata.json").write_text("[1, 2]")
    with pytest.raises(SourceError, match=r"metadata\.json: expected a JSON object$"):
        from_run_folder(tmp_path / "run")


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("seed", "1", "seed: expected a whole number or null, not text"),
        ("seed", True, "seed: expected a whole number or null, not true/false"),
        ("scenario_name", 7, "scenario_name: expected text, not a whole number"),
        ("scenario_name", None, "scenario_name: missing (expected text)"),
        ("replicates", "3", "replicates: expected a whole number, not text"),
        ("replicate_seeds", None, "replicate_seeds: missing (expected a list)"),
        ("replicates", 0, "replicates: expected a whole number above 0, not 0"),
        ("replicates", 3, "replicate_seeds: 2 seed records for 3 replicates (expected one each)"),
    ],
)
def test_a_run_folder_whose_metadata_lacks_a_run_field_is_refused_as_report_refuses_it(
    tmp_path, key, value, reason
):
    """The same line as report and report-html give, not a fallback with a note."""
    run(BASELINE, seed=1, replicates=2).save(tmp_path / "run", plots=False)
    path = tmp_path / "run" / "metadata.json"
    meta = json.loads(path.read_text())
    meta[key] = value
    if value is None:
        del meta[key]
    path.write_text(json.dumps(meta))
    with pytest.raises(SourceError, match=rf"^{re.escape(f'{path}: {reason}')}$"):
        from_run_folder(tmp_path / "run")


def test_a_run_folder_with_a_null_root_seed_reads(tmp_path):
    """A run without a root seed (seed null) is legitimate: it reads, with no root seed."""
    run(BASELINE, seed=1, replicates=2).save(tmp_path / "run", plots=False)
    path = tmp_path / "run" / "metadata.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "seed": None}))
    side = from_run_folder(tmp_path / "run")
    assert side.root_seed is None and side.name == "baseline" and len(side.seeds or []) == 2


def test_a_run_folder_with_a_table_cut_short_or_from_elsewhere_is_a_clear_error(tmp_path):
    """A table cut short (a full disk, a copy stopped half-way) would be compared silently."""
    run(BASELINE, seed=1, replicates=3).save(tmp_path / "run", plots=False)
    path = tmp_path / "run" / "timeseries.csv"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(SourceError, match=r"timeseries\.csv: the table is incomplete"):
        from_run_folder(tmp_path / "run")
    # cut at the end of a replicate: the rows left are whole, but a replicate is missing
    lines = whole.decode().splitlines(keepends=True)
    path.write_text("".join(lines[: 1 + 2 * (len(lines) - 1) // 3]))
    with pytest.raises(SourceError, match="rows of 2 of 3 replicates"):
        from_run_folder(tmp_path / "run")
    path.write_bytes(whole)
    (tmp_path / "run" / "relations.csv").write_bytes((tmp_path / "run" / "powers.csv").read_bytes())
    with pytest.raises(SourceError, match=r"relations\.csv: no column trust \(expected"):
        from_run_folder(tmp_path / "run")


@pytest.mark.parametrize("name", ["metadata.json", "states.csv"])
def test_a_run_folder_with_an_empty_file_names_the_file(tmp_path, name):
    run(BASELINE, seed=1, replicates=2).save(tmp_path / "run", plots=False)
    path = tmp_path / "run" / name
    path.write_bytes(b"")
    said = rf"^{re.escape(str(path))}: cannot be read (as JSON )?\("
    with pytest.raises(SourceError, match=said):
        from_run_folder(tmp_path / "run")


def test_names_label_the_sides_and_duplicates_are_made_unique():
    out = compare(BASELINE, BASELINE, replicates=2)
    assert out.names == ["baseline", "baseline (2)"]
    row = _row(out.headline, "final_share_security", "region", "china", "baseline (2)")
    assert row["delta_median"] == 0.0 and row["delta_p95"] == 0.0
    named = compare(BASELINE, TAKEOVER, replicates=2, names=["now", "taliban"])
    assert named.names == ["now", "taliban"]


def _by_state(text: str) -> tuple[str, dict[str, list[str]]]:
    """The header of the first block by state of a summary, and each state's cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("  by state: "))
    rows = {}
    for line in lines[start + 1 :]:
        if not line.startswith("    "):
            break
        state, *cells = line.split()
        rows[state] = cells
    return lines[start], rows


def _security_delta(head: pd.DataFrame, state: str, power: str, scenario: str) -> str:
    """A difference in security share as the summary prints it."""
    return f"{_row(head, 'final_share_security', state, power, scenario)['delta_median']:+.4f}"


def test_the_rows_by_state_of_the_default_actors_are_china_and_russia(comparison):
    header, rows = _by_state(summary_text(comparison))
    assert header == (
        "  by state: difference in security share (China, Russia) and how often Russia is the "
        "guarantor at the end"
    )
    head = comparison.headline
    assert set(rows) == set(comparison.sides[0].timeseries["state"])
    for state in rows:
        expected = [_security_delta(head, state, p, "afghan_takeover") for p in ("china", "russia")]
        assert rows[state][:2] == expected and "->" in rows[state]


def test_the_rows_by_state_follow_a_power_the_runs_add(tmp_path):
    """Turkey (turkey_enters.yaml) has a column by state where both sides have it."""
    bolder = tmp_path / "turkey_bolder.yaml"
    bolder.write_text(
        f"name: turkey_bolder\nextends: {TURKEY}\nshocks:\n  - name: drone_sales\n    value: 0.9\n"
    )
    out = compare(TURKEY, bolder, replicates=2)
    header, rows = _by_state(summary_text(out))
    assert "(China, Russia, Turkey) and how often Russia is the guarantor" in header
    head = out.headline
    assert set(rows) == set(out.sides[0].timeseries["state"])
    for state, cells in rows.items():
        powers = ("china", "russia", "turkey")
        expected = [_security_delta(head, state, p, "turkey_bolder") for p in powers]
        assert cells[:3] == expected
    # against the baseline Turkey has no difference, so no column
    with pytest.warns(CompareWarning, match="without common random numbers"):
        against_baseline = compare(BASELINE, TURKEY, replicates=2)
    header, rows = _by_state(summary_text(against_baseline))
    assert "(China, Russia) and how often" in header
    assert all(len(cells) == 2 + 3 for cells in rows.values())  # two shares, "a% -> b%"


def test_unknown_metric_scenario_or_domain_of_a_comparison_is_a_clear_error(comparison):
    """deltas and the plots name what they expect instead of returning or drawing nothing."""
    import matplotlib.pyplot as plt

    with pytest.raises(KeyError, match=r"unknown metric 'final_share' \(expected one of"):
        comparison.deltas("final_share")
    with pytest.raises(ValueError, match=r"unknown domain 'secrity'.*did you mean 'security'"):
        comparison.plot_fan("afghan_takeover", "secrity")
    with pytest.raises(ValueError, match=r"unknown domain 'arms'"):
        comparison.plot_difference("afghan_takeover", "arms")
    with pytest.raises(ValueError, match=r"'baseline' is the reference.*expected one of"):
        comparison.plot_difference("baseline", "security")
    with pytest.raises(KeyError, match=r"no scenario 'afghan'"):
        comparison.plot_difference("afghan", "security")
    plt.close("all")


def test_sides_that_end_on_different_dates_are_compared_with_a_warning(tmp_path):
    short = tmp_path / "short.yaml"
    short.write_text(f"name: short\nextends: {BASELINE}\ntime: {{end: 2024-01-01}}\n")
    with pytest.warns(CompareWarning, match="the sides end on different dates") as caught:
        out = compare(BASELINE, short, replicates=2)
    assert len(caught) == 1
    assert any("'short' on 2024-01-01" in note for note in out.notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompareWarning)  # the same dates: no warning
        compare(BASELINE, BASELINE, replicates=2)


def test_the_headline_counts_the_replicates_in_which_a_crossing_happens():
    """A crossing year that never happens is inf; n_finite says in how many replicates it does.

    Without it, a median of 2030.0 over 20 replicates did not say that 8 of them never cross
    (the median of 2 runs, 2025 and never, is 2025: the lower of the two).
    """
    baseline = from_results(run(BASELINE, seed=1, replicates=20))
    takeover = from_results(run(TAKEOVER, seed=1, replicates=20))
    out = compare(baseline, takeover)
    for name, side in (("baseline", baseline), ("afghan_takeover", takeover)):
        m = replicate_metrics(side)
        values = m[
            (m["metric"] == "china_passes_russia_security_year") & (m["state"] == "region")
        ]["value"].to_numpy()
        row = _row(out.headline, "china_passes_russia_security_year", "region", "china", name)
        assert row["n"] == 20 and row["n_finite"] == np.isfinite(values).sum()
        assert row["median"] == np.quantile(values, 0.5, method="inverted_cdf")
    assert _row(
        out.headline, "china_passes_russia_security_year", "region", "china", "baseline"
    )[["median", "n_finite"]].tolist() == [pytest.approx(2030.0, abs=0.01), 12]
    share = _row(out.headline, "final_share_security", "region", "china", "baseline")
    assert share["n_finite"] == share["n"] == 20


def test_a_single_run_is_shown_without_a_band_in_the_summary():
    """One replicate printed as '0.3827 (0.3827 to 0.3827)', a band of width 0."""
    one = compare(run(BASELINE, seed=1, replicates=1), run(TAKEOVER, seed=1, replicates=1))
    text = summary_text(one)
    assert text.splitlines()[0].endswith(
        "(median and 5-95% band over replicates; a single run, or a difference of one pair, "
        "has no band)"
    )
    row = _row(one.headline, "final_share_security", "region", "china", "afghan_takeover")
    line = next(t for t in text.splitlines() if t.strip().startswith("security share, china"))
    assert f"{row['median']:.4f} (one run)" in line
    assert f"{row['delta_median']:+.4f} (one pair)" in line
    assert " to " not in line
    # unpaired against a single run: the band of the difference is the other side's spread
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompareWarning)
        mixed = compare(run(BASELINE, seed=1, replicates=5), run(TAKEOVER, seed=2, replicates=1))
    text = summary_text(mixed)
    assert (
        "'afghan_takeover' is a single run: the band of the difference holds the spread of the "
        "other side only, not its own"
    ) in text
    line = next(t for t in text.splitlines() if t.strip().startswith("security share, china"))
    assert "(one run)" in line and line.count(" to ") == 2
    # several replicates on both sides: bands as before, no remark
    several = summary_text(compare(BASELINE, TAKEOVER, replicates=2))
    assert "one run" not in several and "one pair" not in several
    assert several.splitlines()[0].endswith("(median and 5-95% band over replicates)")


def test_a_difference_of_one_pair_has_no_band_in_differences_csv_or_its_plot(tmp_path):
    """differences.csv gave a single pair a band of width 0 (p5 = median = p95)."""
    from matplotlib.collections import PolyCollection

    from influence_sim.analysis.plots import figure_differences

    one = compare(run(BASELINE, seed=1, replicates=1), run(TAKEOVER, seed=1, replicates=1))
    d = one.differences
    assert len(d) > 0 and d["paired"].all()
    assert d["p5"].isna().all() and d["p95"].isna().all()
    assert d["median"].notna().all() and (d["median"].abs() > 0).any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = figure_differences(d, "afghan_takeover", "baseline", paired=True)
        one.save(tmp_path / "one")
    for ax in fig.axes:
        assert not [c for c in ax.collections if isinstance(c, PolyCollection)]
    title = fig.legends[0].get_title().get_text()
    assert title == "paired by replicate: the difference of a single pair (no band)"
    saved = pd.read_csv(tmp_path / "one" / "differences.csv")
    assert saved["p5"].isna().all() and saved["p95"].isna().all()
    # an unpaired side against a single run: the difference of the medians, no band either
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CompareWarning)
        mixed = compare(run(BASELINE, seed=1, replicates=3), run(TAKEOVER, seed=2, replicates=1))
    assert not mixed.differences["paired"].any()
    assert mixed.differences[["p5", "p95"]].isna().all().all()
    # two pairs: a band as before
    two = compare(BASELINE, TAKEOVER, replicates=2).differences
    assert two["p5"].notna().all() and (two["p95"] - two["p5"] > 0).any()
