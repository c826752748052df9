"""Tests of the seed tables and the starting figures derived from them."""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import json
import math
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from influence_sim import initial
from influence_sim import seeds as sd
from influence_sim.initial import build, default_dims
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import ECON, SEC
from influence_sim.kernel.step import demand_of
from influence_sim.parameters import PARAMETERS

START = dt.date(2021, 1, 1)
DIMS = default_dims()
CHINA, RUSSIA = DIMS.powers.index("china"), DIMS.powers.index("russia")


@pytest.fixture(scope="module")
def seeds() -> sd.SeedData:
    return sd.load_seeds()


@pytest.fixture(scope="module")
def start_regional() -> tuple[np.ndarray, np.ndarray]:
    """Regional shares ``(K, D)`` and volumes ``(S, D)`` of the baseline at its start."""
    state, params = build(DIMS, START)
    volume = demand_of(state, params)
    return obs.regional_share(state.share, volume)[0], volume[0]


def test_start_security_shares_match_k1_and_k2(start_regional) -> None:
    """Arms-weighted regional security shares start at Russia 0.62 and China 0.18."""
    regional, _ = start_regional
    assert regional[RUSSIA, SEC] == pytest.approx(0.62, abs=0.01)
    assert regional[CHINA, SEC] == pytest.approx(0.18, abs=0.01)
    assert regional[:, SEC].sum() == pytest.approx(1.0, abs=1e-12)


def test_start_trade_is_the_panels(start_regional) -> None:
    """The region's trade with Russia and China at the start is the panel's at that date."""
    regional, volume = start_regional
    panel = sd.panel_of(sd.load_seeds())
    when = 2021.0
    for power, index in (("russia", RUSSIA), ("china", CHINA)):
        expected = sum(panel.trade(s, when)[power] for s in DIMS.states)
        assert regional[index, ECON] * volume[:, ECON].sum() == pytest.approx(expected, rel=1e-6)


def test_k5_and_the_panel_are_kept_apart(seeds) -> None:
    """K5 (USD 18.6bn, Kennan Cable 52) and the panel's 2019 trade differ by definition.

    The panel sums each state's own reported trade (mirror data for Turkmenistan and
    Uzbekistan); the cable's figure comes from another compilation. Both are kept, as they are.
    """
    panel = sd.panel_of(seeds)
    russia_2019 = sum(panel.annual(s, "trade_russia")[2019] for s in DIMS.states)
    china_2019 = sum(panel.annual(s, "trade_china")[2019] for s in DIMS.states)
    assert seeds.figure("K5") == pytest.approx(18.6)
    assert russia_2019 == pytest.approx(28.1, abs=0.2)
    assert china_2019 == pytest.approx(33.2, abs=0.2)


def test_start_profiles_are_on_the_simplex() -> None:
    """Every starting share profile is non-negative and sums to one."""
    state, _ = build(DIMS, START)
    assert np.all(state.share >= 0.0)
    assert np.allclose(state.share.sum(axis=2), 1.0, atol=1e-12)


def _csv_rows(seeds: sd.SeedData, name: str) -> list[dict[str, str]]:
    with open(seeds.directory / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_assumption_has_a_reason(seeds) -> None:
    """Each row of assumptions.csv has a unique id and a non-empty reason."""
    rows = _csv_rows(seeds, "assumptions.csv")
    assert rows
    missing = [r["id"] for r in rows if not (r.get("reason") or "").strip()]
    assert missing == []
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids))


def test_every_figure_has_a_source_and_note(seeds) -> None:
    """Each figure in figures.csv says where it comes from and what it means."""
    for figure in seeds.figures.values():
        assert figure.source.strip(), figure.id
        assert figure.note.strip(), figure.id


def _ids_called(module: ModuleType, method: str) -> set[str]:
    source = inspect.getsource(module)
    return set(re.findall(rf"\.{method}\(\s*\"([^\"]+)\"", source))


def test_every_figure_a_target_cites_exists(seeds) -> None:
    """Each calibration target of targets.csv cites a figure of figures.csv with its value."""
    rows = _csv_rows(seeds, "targets.csv")
    assert rows
    for row in rows:
        figure_id = row["source"].split()[0]
        assert figure_id in seeds.figures, row["id"]
        assert float(row["value"]) == pytest.approx(seeds.figure(figure_id)), row["id"]


def test_every_assumption_id_used_by_the_code_exists(seeds) -> None:
    """Each literal assumption id read by seeds.py and initial.py is in assumptions.csv."""
    used = _ids_called(sd, "assumed") | _ids_called(initial, "assumed")
    assert {"min_share", "tiv_usd"} <= used
    assert used - set(seeds.assumptions) - set(seeds.estimates) == set()


def test_every_parameter_has_a_default_for_the_default_cast(seeds) -> None:
    """Every parameter resolves to a numeric default for each default state and power."""
    entities = {"global": [None], "state": list(DIMS.states), "power": list(DIMS.powers)}
    for spec in PARAMETERS.values():
        for entity in entities[spec.scope]:
            value = spec.default(seeds, entity)
            assert math.isfinite(value), (spec.name, entity)
            assert value >= spec.low, (spec.name, entity)
            assert spec.high is None or value <= spec.high, (spec.name, entity)


def test_both_readings_of_the_garbled_trade_sentence_are_kept(seeds) -> None:
    """The article's reading (A2_article) and the cable's (K4) are both in figures.csv."""
    for fid in ("A2_article", "K4", "A2_article_usd", "K4_usd"):
        assert fid in seeds.figures
    assert seeds.figure("A2_article") == pytest.approx(0.80)
    assert seeds.figure("K4") == pytest.approx(0.80)
    assert seeds.figure("A2_article_usd") == seeds.figure("K4_usd") == pytest.approx(110.0)
    # same numbers, different meanings: a fall in the article, a 1990s share in the cable
    assert seeds.figures["A2_article"].unit != seeds.figures["K4"].unit
    assert "fall" in seeds.figures["A2_article"].unit
    assert "share" in seeds.figures["K4"].unit


def test_exposure_order(seeds) -> None:
    """Exposure orders Tajikistan > Turkmenistan > Uzbekistan >= Kyrgyzstan > Kazakhstan."""
    names = ["tajikistan", "turkmenistan", "uzbekistan", "kyrgyzstan", "kazakhstan"]
    e = dict(zip(names, sd.exposure(seeds, names), strict=True))
    assert e["tajikistan"] > e["turkmenistan"] > e["uzbekistan"]
    assert e["uzbekistan"] >= e["kyrgyzstan"] > e["kazakhstan"] > 0.0
    assert e["tajikistan"] == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in e.values())


def test_capacity_trends_have_the_signs_of_the_cinc_data(seeds) -> None:
    """Each power's trend has the sign of its CINC change 2000-2016: China up, Russia, US down."""
    for power in DIMS.powers:
        change = seeds.capability[(power, 2016)] - seeds.capability[(power, 2000)]
        trend = sd.capacity_trend(seeds, power)
        assert np.sign(trend) == np.sign(change) != 0.0, power
    assert sd.capacity_trend(seeds, "china") == pytest.approx(0.022, abs=0.002)
    assert sd.capacity_trend(seeds, "russia") == pytest.approx(-0.022, abs=0.002)
    assert sd.capacity_trend(seeds, "united_states") < 0.0


def test_capability_at_takes_the_latest_year_on_record(seeds) -> None:
    """A date picks the latest CINC year not after it, or the first year before the record."""
    assert (
        sd.capability_at(seeds, "china", dt.date(2021, 1, 1)) == seeds.capability[("china", 2016)]
    )
    assert (
        sd.capability_at(seeds, "china", dt.date(2012, 6, 1)) == seeds.capability[("china", 2010)]
    )
    assert (
        sd.capability_at(seeds, "china", dt.date(1995, 1, 1)) == seeds.capability[("china", 2000)]
    )


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2021, 1, 1), 0.0),
        (dt.date(2010, 1, 1), 1.0),
        (dt.date(2012, 12, 18), 1.0),
        (dt.date(2012, 12, 19), 0.0),
    ],
)
def test_uzbekistan_csto_membership(seeds, day, expected) -> None:
    """Uzbekistan is in the CSTO in 2010 but not from its suspension (2012-12-19) on."""
    assert sd.membership_at(seeds, ["uzbekistan"], day, ("csto",))[0, 0] == expected


def test_csto_members_in_2021(seeds) -> None:
    """In 2021 Kazakhstan, Kyrgyzstan and Tajikistan are CSTO members; the others are not."""
    member = sd.membership_at(seeds, DIMS.states, START, ("csto",))[:, 0]
    expected = {
        "kazakhstan": 1.0,
        "kyrgyzstan": 1.0,
        "tajikistan": 1.0,
        "turkmenistan": 0.0,
        "uzbekistan": 0.0,
    }
    assert dict(zip(DIMS.states, member, strict=True)) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2005, 1, 1), 0.5), (dt.date(2015, 1, 1), 0.0), (dt.date(2014, 6, 3), 0.0)],
)
def test_us_presence_in_kyrgyzstan(seeds, day, expected) -> None:
    """The US is present in Kyrgyzstan (Manas) in 2005 but not after the 2014 handover."""
    assert sd.presence_at(seeds, ["kyrgyzstan"], ["united_states"], day)[0, 0] == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [(dt.date(2005, 1, 1), 0.5), (dt.date(2005, 11, 20), 0.5), (dt.date(2005, 11, 21), 0.0)],
)
def test_us_presence_in_uzbekistan(seeds, day, expected) -> None:
    """The US is at Karshi-Khanabad until its last personnel leave on 2005-11-21."""
    assert sd.presence_at(seeds, ["uzbekistan"], ["united_states"], day)[0, 0] == expected


@pytest.mark.parametrize(
    ("event", "day"),
    [
        ("us_leaves_k2", dt.date(2005, 11, 21)),
        ("csto_base_consent", dt.date(2011, 12, 20)),
        ("uz_csto_suspended", dt.date(2012, 12, 19)),
        ("crimea_sanctions", dt.date(2014, 3, 6)),
    ],
)
def test_dated_events_are_on_the_day_their_sources_give(seeds, event, day) -> None:
    """Events the reference list dates only to the month or year carry the day their
    sources give, not the first of that month or year."""
    assert {e.id: e.date for e in seeds.events}[event] == day


def test_a_row_citing_a_dated_event_starts_or_ends_on_its_date(seeds) -> None:
    """A membership or presence row that cites a dated event of events.csv starts or ends on
    that event's date, so the table and the list of events cannot disagree."""
    dates = {e.id: e.date.isoformat() for e in seeds.events}
    columns = {"memberships.csv": ("joined", "left"), "presence.csv": ("from", "to")}
    wrong = []
    for table, (first, last) in columns.items():
        for line, row in enumerate(_table(table), start=2):
            cited = re.findall(r"dated events? ([a-z0-9_]+)(?: and ([a-z0-9_]+))?", row["source"])
            for event in {e for pair in cited for e in pair if e}:
                if dates[event] not in (row[first], row[last]):
                    wrong.append(f"seeds/{table}:{line}: {event} ({dates[event]})")
    assert wrong == []


def test_presence_in_tajikistan_2021(seeds) -> None:
    """In 2021 Russia's 201st base (1.0) and China's outpost (0.3) are in Tajikistan."""
    out = sd.presence_at(seeds, ["tajikistan"], list(DIMS.powers), START)[0]
    assert out.tolist() == [0.3, 1.0, 0.0]


def test_every_panel_row_has_a_source_a_definition_and_a_2021_vintage(seeds) -> None:
    """Each panel row names its source and definition; none is dated after 2021."""
    rows = _csv_rows(seeds, "panel.csv")
    assert len(rows) > 800
    for row in rows:
        assert None not in row, row  # no stray field
        assert row["source"].strip() and row["definition"].strip(), row
        assert int(row["year"].split("-")[-1]) <= 2021, row
        float(row["value"])
    series = {r["series"] for r in rows}
    assert {"trade_total", "trade_china", "trade_russia", "trade_us", "gdp"} <= series
    assert {"arms_tiv_total", "arms_share_china", "arms_share_russia", "arms_export_tiv"} <= series


def test_every_infrastructure_link_has_a_source(seeds) -> None:
    """Each pipeline or road of infrastructure.csv has a source and a strength in (0, 1]."""
    assert seeds.infrastructure
    for link in seeds.infrastructure:
        assert link.source.strip()
        assert 0.0 < link.strength <= 1.0
        assert link.start.year <= 2021


ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
PROVENANCE = {  # each seed table: the column that says where a row's figures come from
    "assumptions.csv": "reason",
    "capability.csv": "source",
    "estimates.csv": "method",
    "events.csv": "source",
    "figures.csv": "source",
    "geography.csv": "source",
    "infrastructure.csv": "source",
    "memberships.csv": "source",
    "observables.csv": "source",
    "organisations.csv": "source",
    "panel.csv": "source",
    "powers.csv": "source",
    "presence.csv": "source",
    "priors.csv": "reason",
    "residuals.csv": "method",
    "targets.csv": "source",
    "ties.csv": "reason",
}
LAST_YEAR = 2021  # no measured figure dated after it enters the project
DATED = ("year", "date", "from", "to", "joined", "left", "period", "period_start", "period_end")
"""Columns holding the date, year or period a row describes, in whichever table has them."""


def _table(name: str) -> list[dict[str, str]]:
    with open(SEEDS / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_seed_table_names_the_column_of_its_provenance() -> None:
    """A new table in seeds/ must say which column holds each row's source."""
    assert sorted(p.name for p in SEEDS.glob("*.csv")) == sorted(PROVENANCE)


@pytest.mark.parametrize("table", sorted(PROVENANCE))
def test_every_row_of_every_seed_table_says_where_it_comes_from(table: str) -> None:
    """Each row has a source (or the reason of its assumption, or the method of its estimate)."""
    column = PROVENANCE[table]
    rows = _table(table)
    assert rows
    bare = [line for line, row in enumerate(rows, start=2) if not (row[column] or "").strip()]
    assert bare == [], f"seeds/{table}: no {column} on lines {bare}"


@pytest.mark.parametrize("table", sorted(PROVENANCE))
def test_every_assumption_a_seed_row_marks_gives_its_reason(table: str, seeds) -> None:
    """'ASSUMPTION: reason' gives the reason in place; 'ASSUMPTION id' names a row of
    assumptions.csv, which gives it. A bare 'ASSUMPTION' or an unknown id is refused."""
    for line, row in enumerate(_table(table), start=2):
        for cell in row.values():
            for mark in re.finditer(r"ASSUMPTION(.{0,80})", cell or ""):
                rest = mark.group(1)
                named = re.match(r"\s+([a-z][a-z0-9_]*)", rest)
                where = f"seeds/{table}:{line}: {mark.group(0)!r}"
                if named:
                    assert named.group(1) in seeds.assumptions, f"{where}: no such assumption"
                else:
                    assert re.match(r"\s*:\s*\w", rest), f"{where}: give the reason or its id"


def test_every_figure_a_seed_row_cites_is_in_figures_csv(seeds) -> None:
    """An id such as K6 or A7 in a source or reason is a row of figures.csv."""
    cited: dict[str, str] = {}
    for table, column in PROVENANCE.items():
        for line, row in enumerate(_table(table), start=2):
            for figure_id in re.findall(r"(?<![\w.])([AK]\d+(?:_[a-z]+)*)\b", row[column]):
                cited.setdefault(figure_id, f"seeds/{table}:{line}")
    assert cited
    missing = {fid: where for fid, where in cited.items() if fid not in seeds.figures}
    assert missing == {}


def _scenario_shock_events() -> set[str]:
    """The events of seeds/events.csv a scenario of scenarios/ cites as the date of a shock."""
    out: set[str] = set()
    for path in (ROOT / "scenarios").glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        out |= set(re.findall(r"^\s*at:[^#\n]*#\s*seeds/events\.csv (\w+)", text, re.MULTILINE))
    return out


def test_a_scenario_date_citing_an_event_is_that_event_s_date(seeds) -> None:
    """A date in scenarios/ followed by '# seeds/events.csv ID' is the date of that event."""
    dates = {e.id: e.date.isoformat() for e in seeds.events}
    cited = []
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        for day, event in re.findall(r"(\d{4}-\d\d-\d\d)\s*#\s*seeds/events\.csv (\w+)", text):
            cited.append((path.name, event, day, dates.get(event)))
    assert cited
    assert [c for c in cited if c[2] != c[3]] == []


def _years(text: str) -> list[int]:
    return [int(y) for y in re.findall(r"(?<!\d)(1[89]\d\d|20\d\d)(?!\d)", text)]


@pytest.mark.parametrize("table", sorted(PROVENANCE))
def test_no_row_of_a_seed_table_is_dated_after_2021(table: str) -> None:
    """The data vintage: no date, year or period after 2021 in any seed table, nor a value
    whose unit is a year, month or date. The one exception: an event of events.csv that a
    scenario applies as a shock (the 2022 sanctions), which is a scenario's date, not data."""
    shocks = _scenario_shock_events() if table == "events.csv" else set()
    late = []
    for line, row in enumerate(_table(table), start=2):
        cells = [row[c] for c in DATED if c in row]
        if row.get("unit", "").strip() in ("year", "month", "date"):
            cells.append(row["value"])
        years = [y for cell in cells for y in _years(cell or "")]
        if years and max(years) > LAST_YEAR and row.get("id") not in shocks:
            late.append(f"line {line}: {max(years)}")
    assert late == [], f"seeds/{table}: dated after {LAST_YEAR}: {late}"


def test_the_posterior_was_fitted_to_data_up_to_2021() -> None:
    """seeds/posterior/ holds draws, not sourced rows: posterior.json records how they were made
    (sampler, scenario, settings) and the last year of the panel the likelihood read."""
    meta = json.loads((SEEDS / "posterior" / "posterior.json").read_text(encoding="utf-8"))
    assert meta["sampler"] and meta["scenario"]
    assert meta["until"] <= LAST_YEAR
    assert meta["settings"]["until"] <= LAST_YEAR
    with open(SEEDS / "posterior" / "posterior.csv", newline="", encoding="utf-8") as handle:
        draws = list(csv.DictReader(handle))
    assert len(draws) == meta["draws"]
    assert {f"parameters.{name}" for name in meta["parameters"]} <= set(draws[0])


def test_each_panel_series_keeps_one_statistic_for_a_state() -> None:
    """Where reporter and partner disagree, one statistic per state and series (the text of
    `definition` before its parenthesis: 'reporter: state', 'mirror: partner-reported by China',
    a database code), whatever release a year comes from."""
    kinds: dict[tuple[str, str], set[str]] = {}
    for row in _table("panel.csv"):
        kind = row["definition"].split("(")[0].strip()
        kinds.setdefault((row["entity"], row["series"]), set()).add(kind)
    assert {key: kind for key, kind in kinds.items() if len(kind) > 1} == {}


def test_data_md_counts_the_panel_s_rows_as_the_csv_has_them() -> None:
    """The coverage table of docs/data.md section 1: rows, and first and last year or window."""
    rows = _table("panel.csv")
    text = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    total = re.search(r"Coverage, counted from the CSV \((\d+) rows\)", text)
    assert total and int(total.group(1)) == len(rows)
    table = text.split("Coverage, counted from the CSV")[1].split("\n\n")[1]
    documented = 0
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        # `arms_share_russia`, `_china`, ...: a name opening with _ follows the first one's stem
        names = re.findall(r"`(\w+)`", cells[0])
        names = [n if not n.startswith("_") else "arms_share" + n for n in names]
        count = re.match(r"(\d+)", cells[-1])
        assert count, line
        each = int(count.group(1))
        span = r"(\d{4}(?:-\d{4})?) to (\d{4}(?:-\d{4})?) \((\d+)\)"
        first, last, spans = re.findall(span, cells[3])[0]
        for name in names:
            series = [r for r in rows if r["series"] == name]
            assert len(series) == each, (name, len(series), each)
            years = sorted({r["year"] for r in series})
            assert (years[0], years[-1], len(years)) == (first, last, int(spans)), (name, years)
            documented += each
    assert documented == len(rows)


def _damaged(tmp_path, table: str, old: str, new: str):
    """A copy of the seeds folder with ``old`` replaced by ``new`` in one table."""
    import shutil

    folder = tmp_path / "seeds"
    shutil.copytree(sd.seeds_dir(), folder)
    text = (folder / table).read_text(encoding="utf-8")
    assert old in text
    (folder / table).write_text(text.replace(old, new, 1), encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("table", "old", "new", "message"),
    [
        ("presence.csv", "kazakhstan,russia,0.5,", "kazakhstan,russia,strong,",
         r"presence.csv:2: strength: 'strong' is not a number"),
        ("figures.csv", "A1,0.62,", "A1,nan,", r"figures.csv:2: value: 'nan' is not a number"),
        ("presence.csv", "kazakhstan,russia,0.5,", "kazakstan,russia,0.5,",
         r"presence.csv:2: state: unknown state 'kazakstan' \(expected one of kazakhstan, .*; "
         r"did you mean 'kazakhstan'\?\)"),
        ("ties.csv", "csto,russia,security,", "csto,russia,securty,",
         r"ties.csv:2: domain: unknown domain 'securty' \(expected one of economic, security; "),
        ("events.csv", "1992-05-15,csto_treaty", "1992-05-32,csto_treaty",
         r"events.csv:2: date: '1992-05-32' is not a date"),
        ("capability.csv", "china,2000,", "china,2000.5,",
         r"capability.csv:2: year: '2000.5' is not a whole number"),
        ("geography.csv", "state,afghan_border_km", "state,border_km",
         r"geography.csv:1: no column afghan_border_km"),
        ("ties.csv", "csto,russia,security,1.0,", "csto,russia,security,",
         r"ties.csv:2: 4 cells \(expected 5, one per column\)"),
        ("estimates.csv", "partner_elasticity,", "gdp_elasticity,",
         r"estimates.csv:3: id: 'gdp_elasticity' is also on line 2"),
        ("panel.csv", "824.7,USD million", "824.7,USD milion",
         r"panel.csv:2: unit: unknown unit 'USD milion' .*did you mean 'USD million'"),
        ("assumptions.csv", "exposure_floor_kazakhstan,0.05,", "exposure_floor_kazakhstan,-,",
         r"assumptions.csv:2: exposure_floor_kazakhstan: value '-' is not a number"),
    ],
)
def test_a_damaged_seed_table_is_named_with_its_line_and_column(
    tmp_path, table, old, new, message
) -> None:
    from influence_sim._inputs import InputFileError

    folder = _damaged(tmp_path, table, old, new)
    with pytest.raises(InputFileError, match=message):
        seeds = sd.load_seeds(folder)
        sd.panel_of(seeds)
        sd.exposure(seeds, DIMS.states)


def test_a_missing_row_is_named_with_its_table_and_is_still_a_key_error(tmp_path, capsys) -> None:
    """A global assumption the model needs names its table; a per-entity one falls back."""
    folder = _damaged(tmp_path, "assumptions.csv", "\ntiv_usd,", "\nnot_tiv_usd,")
    seeds = sd.load_seeds(folder)
    with pytest.raises(sd.MissingRowError) as info:
        sd.panel_of(seeds)
    assert str(info.value) == f"{folder / 'assumptions.csv'}: no row with id 'tiv_usd'"
    assert isinstance(info.value, KeyError)
    from influence_sim.cli import main

    out = str(tmp_path / "out")
    assert main(["estimate", "--seeds", str(folder), "--out", out]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {info.value}"]
    (tmp_path / "a_file").write_text("mine")  # --out naming a file is refused, the file kept
    assert main(["estimate", "--out", str(tmp_path / "a_file")]) == 2
    assert "output path exists and is not a folder" in capsys.readouterr().err
    assert (tmp_path / "a_file").read_text() == "mine"
    with pytest.raises(KeyError, match=r"figures\.csv: no row with id 'Z9'"):
        seeds.figure("Z9")


def test_overlapping_periods_of_a_state_and_partner_are_refused(tmp_path) -> None:
    """A run applies each row's start and end, its start reads the rows holding then: the two
    agree only when periods do not overlap. Periods that touch are one after the other."""
    from influence_sim._inputs import InputFileError

    row = "turkmenistan,russia,0.5,2019-04-15,"
    folder = _damaged(tmp_path / "a", "infrastructure.csv", row, row.replace("2019", "2015"))
    with pytest.raises(InputFileError, match=r"infrastructure.csv:10: from: turkmenistan and "
                       r"russia already have a row on line 9 for part of this period"):
        sd.load_seeds(folder)
    folder = _damaged(tmp_path / "b", "infrastructure.csv", row, row.replace("2019-04-15",
                                                                             "2016-01-01"))
    assert len(sd.load_seeds(folder).infrastructure) == len(sd.load_seeds().infrastructure)
    old = "uzbekistan,csto,1992-05-15,2012-12-19,"
    twice = "uzbekistan,csto,2006-06-23,,x\n" + old
    folder = _damaged(tmp_path / "c", "memberships.csv", old, twice)
    with pytest.raises(InputFileError, match=r"memberships.csv:6: joined: uzbekistan and csto "
                       r"already have a row on line 5"):
        sd.load_seeds(folder)


def test_seed_tables_with_a_byte_order_mark_and_crlf_lines_read_the_same(tmp_path) -> None:
    import shutil

    folder = tmp_path / "seeds"
    shutil.copytree(sd.seeds_dir(), folder)
    for name in ("presence.csv", "panel.csv"):
        text = (folder / name).read_text(encoding="utf-8")
        (folder / name).write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    edited, shipped = sd.load_seeds(folder), sd.load_seeds()
    assert edited.presence == shipped.presence
    assert sd.panel_of(edited).rows == sd.panel_of(shipped).rows


def test_a_damaged_seeds_folder_is_one_error_line_for_hindcast_and_run(
    tmp_path, monkeypatch, capsys
) -> None:
    from influence_sim.cli import main

    monkeypatch.setenv("INFLUENCE_SIM_SEEDS", str(sd.seeds_dir()))  # hindcast --seeds sets it
    folder = _damaged(tmp_path, "presence.csv", "kazakhstan,russia,0.5,", "kazakhstan,russia,,")
    expected = f"error: {folder}/presence.csv:2: strength: '' is not a number"
    out = str(tmp_path / "out")
    assert main(["hindcast", "--seeds", str(folder), "--out", out, "--replicates", "1"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {folder.resolve()}/presence.csv:2:")
    for command in ("fit", "estimate"):  # the folder given is named, not the command's copy
        assert main([command, "--seeds", str(folder), "--out", out]) == 2
        assert capsys.readouterr().err.splitlines() == [f"{expected} (expected a finite number)"]
    monkeypatch.setenv("INFLUENCE_SIM_SEEDS", str(folder))
    scenario = str(Path(__file__).parents[1] / "scenarios" / "baseline.yaml")
    assert main(["run", scenario, "--out", out, "--replicates", "1", "--no-plots"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{expected} (expected a finite number)"]
