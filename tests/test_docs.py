"""docs/ODD.md must agree with the code.

The ODD document carries generated tables between HTML comment markers:

* ``mechanism-table``: one row per entry of ``MECHANISM_TABLE`` in ``kernel/mechanisms.py``
  (letter, name, kernel functions, knockouts);
* ``parameter-table``: one row per entry of ``influence_sim.parameters.PARAMETERS``, the name in
  backticks in the first column, with scope, mechanism, unit, bounds and default value(s);
* ``assumption-table``: every row of ``seeds/assumptions.csv`` with its value;
* ``initial-state-table``: the per-state starting values for a start on 2021-01-01.

These tests parse the tables and compare them with the values the code reads from ``seeds/``,
so the document cannot drift from the code.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from pathlib import Path

import pytest

import influence_sim.initial as initial
import influence_sim.parameters
import influence_sim.seeds
from influence_sim.analysis.attribution import KNOCKOUTS
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel.mechanisms import MECHANISM_TABLE
from influence_sim.kernel.step import demand_of

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
GLOSSARY = ROOT / "docs" / "glossary.md"
PARAMETERS = influence_sim.parameters.PARAMETERS


def _cells(line: str) -> list[str]:
    line = line.strip()
    assert line.startswith("|") and line.endswith("|"), f"not a table row: {line!r}"
    return [cell.strip() for cell in line[1:-1].split("|")]


def _table(block: str) -> list[dict[str, str]]:
    """Rows of the markdown table between ``<!-- BEGIN block -->`` and ``<!-- END block -->``."""
    text = ODD.read_text(encoding="utf-8")
    match = re.search(
        rf"<!-- BEGIN {block} -->\s*\n(.*?)\n\s*<!-- END {block} -->", text, flags=re.S
    )
    assert match, f"docs/ODD.md has no '{block}' block"
    lines = [line for line in match.group(1).splitlines() if line.strip()]
    assert len(lines) >= 3, f"the '{block}' table is empty"
    header = _cells(lines[0])
    assert set("".join(_cells(lines[1]))) <= set("-: "), "second line must be the separator"
    rows = []
    for line in lines[2:]:
        cells = _cells(line)
        assert len(cells) == len(header), f"wrong number of cells in {line!r}"
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _name(cell: str) -> str:
    match = re.fullmatch(r"`([A-Za-z0-9_]+)`", cell)
    assert match, f"first column must be a name in backticks, got {cell!r}"
    return match.group(1)


def _number(text: str) -> float:
    return float(text.replace("\u2212", "-"))


@pytest.fixture(scope="module")
def seeds() -> influence_sim.seeds.SeedData:
    return influence_sim.seeds.load_seeds()


@pytest.fixture(scope="module")
def parameter_rows() -> dict[str, dict[str, str]]:
    rows = _table("parameter-table")
    names = [_name(row["Name"]) for row in rows]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"parameters listed twice in docs/ODD.md: {duplicates}"
    return {name: row for name, row in zip(names, rows, strict=True)}


def test_every_parameter_is_in_the_table(parameter_rows: dict[str, dict[str, str]]) -> None:
    missing = sorted(set(PARAMETERS) - set(parameter_rows))
    unknown = sorted(set(parameter_rows) - set(PARAMETERS))
    assert not missing, f"parameters missing from docs/ODD.md: {missing}"
    assert not unknown, f"docs/ODD.md lists parameters the code does not have: {unknown}"


def test_global_values_equal_seed_defaults(
    parameter_rows: dict[str, dict[str, str]], seeds: influence_sim.seeds.SeedData
) -> None:
    globals_ = [name for name, spec in PARAMETERS.items() if spec.scope == "global"]
    assert globals_
    for name in globals_:
        documented = _number(parameter_rows[name]["Value"])
        default = PARAMETERS[name].default(seeds)
        assert math.isclose(documented, default, rel_tol=1e-12, abs_tol=0.0), (
            f"{name}: docs/ODD.md says {documented}, seeds/ give {default}"
        )


def test_entity_values_equal_seed_defaults(
    parameter_rows: dict[str, dict[str, str]], seeds: influence_sim.seeds.SeedData
) -> None:
    for name, spec in PARAMETERS.items():
        if spec.scope == "global":
            continue
        entities = (
            influence_sim.seeds.DEFAULT_STATES
            if spec.scope == "state"
            else influence_sim.seeds.DEFAULT_POWERS
        )
        pairs = [p.strip() for p in parameter_rows[name]["Value"].split(";") if p.strip()]
        documented = {}
        for pair in pairs:
            entity, _, value = pair.partition("=")
            documented[entity.strip()] = _number(value)
        assert set(documented) == set(entities), f"{name}: entities {sorted(documented)}"
        for entity in entities:
            default = spec.default(seeds, entity)
            assert math.isclose(documented[entity], default, rel_tol=1e-5, abs_tol=1e-12), (
                f"{name}[{entity}]: docs/ODD.md says {documented[entity]}, seeds/ give {default}"
            )


def test_scope_mechanism_unit_and_bounds(parameter_rows: dict[str, dict[str, str]]) -> None:
    for name, spec in PARAMETERS.items():
        row = parameter_rows[name]
        assert row["Scope"] == spec.scope, name
        assert row["Mech."] == spec.mechanism, name
        assert row["Unit"] == spec.unit, name
        low, high = (part.strip() for part in row["Bounds"].strip("[]").split(","))
        assert math.isclose(_number(low), spec.low), name
        if spec.high is None:
            assert high == "∞", name
        else:
            assert math.isclose(_number(high), spec.high), name


def test_every_assumption_is_listed_with_its_value(seeds: influence_sim.seeds.SeedData) -> None:
    rows = {_name(row["Id"]): row for row in _table("assumption-table")}
    missing = sorted(set(seeds.assumptions) - set(rows))
    assert not missing, f"assumptions missing from docs/ODD.md: {missing}"
    unknown = sorted(set(rows) - set(seeds.assumptions))
    assert not unknown, f"docs/ODD.md lists assumptions not in seeds/: {unknown}"
    for key, assumption in seeds.assumptions.items():
        documented = rows[key]["Value"]
        try:
            expected = assumption.number()
        except ValueError:
            assert documented == assumption.value.strip(), key
        else:
            assert math.isclose(_number(documented), expected, rel_tol=1e-12), key


def test_every_estimate_is_listed_with_its_value(seeds: influence_sim.seeds.SeedData) -> None:
    rows = {_name(row["Id"]): row for row in _table("estimate-table")}
    assert set(rows) == set(seeds.estimates)
    for key, estimate in seeds.estimates.items():
        assert math.isclose(_number(rows[key]["Value"]), estimate.value, rel_tol=1e-5), key


def test_initial_state_table_matches_the_code(seeds: influence_sim.seeds.SeedData) -> None:
    from influence_sim.doctables import INITIAL_COLUMNS, initial_values

    values = initial_values(seeds)
    rows = {_name(row["State"]): row for row in _table("initial-state-table")}
    assert set(rows) == set(values)
    for name, expected in values.items():
        for column in INITIAL_COLUMNS:
            assert abs(_number(rows[name][column]) - expected[column]) <= 1e-6 * max(
                1.0, abs(expected[column])
            ), f"{name}: {column}"


def test_starting_regional_arms_shares_are_near_k1_and_k2(
    seeds: influence_sim.seeds.SeedData,
) -> None:
    """A 2021 start takes the 2016-2020 window: Russia near K1 (0.62), China near K2 (0.18)."""
    dims = initial.default_dims()
    state, params = initial.build(dims, dt.date(2021, 1, 1), seeds=seeds)
    demand = demand_of(state, params)
    volume = (state.share * demand[:, :, None, :]).sum(axis=1)[0]
    regional = volume / demand.sum(axis=1)[0][None, :]
    china, russia = dims.partners.index("china"), dims.partners.index("russia")
    assert regional[russia, 1] == pytest.approx(seeds.figure("K1"), abs=0.02)
    assert regional[china, 1] == pytest.approx(seeds.figure("K2"), abs=0.02)
    text = ODD.read_text(encoding="utf-8")
    assert f"{regional[china, 1]:.3f}" in text and f"{regional[russia, 1]:.3f}" in text


def _prose() -> str:
    """The ODD's text with every run of white space (line breaks included) one space."""
    return " ".join(ODD.read_text(encoding="utf-8").split())


def _signed(value: float, digits: int) -> str:
    return f"{'+' if value >= 0 else '\u2212'}{abs(value):.{digits}f}"


def test_the_starting_figures_in_the_text_are_the_code_s(
    seeds: influence_sim.seeds.SeedData,
) -> None:
    """The numbers sections 5, 7 and 10 quote for a 2021 start, computed from ``seeds/``."""
    from influence_sim.drivers import trend_growth
    from influence_sim.kernel.observables import regional_share

    text = _prose()
    dims = initial.default_dims()
    state, params = initial.build(dims, dt.date(2021, 1, 1), seeds=seeds)
    names = {"china": "China", "russia": "Russia", "united_states": "United States"}
    cap = state.capacity[0]
    quoted = ", ".join(
        f"{names[p]} {cap[i, 0]:.2f} and {cap[i, 1]:.2f}" for i, p in enumerate(dims.powers)
    )
    assert f"For 2021: {quoted}." in text
    panel = influence_sim.seeds.panel_of(seeds)
    slopes = ", ".join(
        f"{names[p]} {_signed(panel.export_growth(p, 2100.0), 3)}" for p in dims.powers
    )
    assert f"this is the 2012.5-2017.5 slope: {slopes} a year" in text
    china, russia = dims.powers.index("china"), dims.powers.index("russia")
    leverage = cap[russia, 1] / (cap[russia, 1] + cap[china, 1])
    accepted = mech.accepted_share(
        params.trust_tolerance,
        leverage,
        state.sanctions[:, russia],
        params.tolerance_leverage_weight,
        params.tolerance_dependence_weight,
    )[0]
    assert f"`Λ` ≈ {leverage:.2f} and `τ*` ≈ {accepted:.2f}" in text
    shares = regional_share(state.share, demand_of(state, params))[0]
    labels = [*(names[p] for p in dims.powers), "rest of world"]
    for d, domain in enumerate(("economic", "security")):
        listed = ", ".join(f"{n} {shares[k, d]:.3f}" for k, n in enumerate(labels))
        assert f"{domain} {listed} (" in text, domain
    assert f"USD {state.trade.sum():.1f}bn in all" in text
    assert f"USD {state.arms_flow.sum():.2f}bn a year" in text
    first, last = (int(seeds.assumed(f"driver_trend_{w}")) for w in ("first", "last"))
    growth = [
        f"{'the ' if e == 'united_states' else ''}{names.get(e, e.capitalize())} "
        f"{100 * trend_growth(panel, e, 'gdp', first, last):.1f}"
        for e in (*dims.powers, *dims.states)
    ]
    assert f"({', '.join(growth)} percent a year)" in text


def test_the_residual_fit_and_hindcast_quoted_are_the_committed_ones() -> None:
    """Section 5.4's iteration count is ``seeds/residuals.csv``'s; section 10's hindcast
    figures are those of ``docs/figures/hindcast/hindcast.csv``."""
    text = _prose()
    with (ROOT / "seeds" / "residuals.csv").open(encoding="utf-8") as f:
        methods = {row["method"] for row in csv.DictReader(f)}
    counts = {re.search(r"(\d+) iterations", method).group(1) for method in methods}
    assert len(counts) == 1
    assert f"the stored fit took {counts.pop()} iterations" in text
    with (ROOT / "docs" / "figures" / "hindcast" / "hindcast.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    passed = sum(row["result"] == "PASS" for row in rows)
    assert f"passes {passed} of {len(rows)} figures" in text
    russia = [
        f"{float(row['model']):.2f}"
        for row in rows
        if row["entity"] == "region" and row["series"] == "arms_share_russia"
    ]
    assert f"the model's declines steadily ({', '.join(russia)})" in text


def test_calibration_md_quotes_the_hindcast_s_china_arms_share_for_2015_2019() -> None:
    """``docs/calibration.md`` sets K2 beside the committed hindcast's regional window."""
    text = " ".join((ROOT / "docs" / "calibration.md").read_text(encoding="utf-8").split())
    with (ROOT / "docs" / "figures" / "hindcast" / "hindcast.csv").open(encoding="utf-8") as f:
        (row,) = (
            r
            for r in csv.DictReader(f)
            if (r["series"], r["entity"], r["period"])
            == ("arms_share_china", "region", "2015-2019")
        )
    model, panel = float(row["model"]), float(row["panel"])
    assert f"the hindcast matches within {100 * abs(model - panel):.1f} points" in text
    assert f"the model's median is {model:.3f} against the SIPRI tables' {panel:.3f}" in text


def test_the_residuals_and_what_observables_explain_in_data_md_are_the_committed_ones(
    seeds: influence_sim.seeds.SeedData,
) -> None:
    """Section 6 of ``docs/data.md``: the residuals' range per domain, from
    ``seeds/residuals.csv``, and the variance shares of ``estimate.explain_residuals``."""
    from influence_sim.estimate import explain_residuals

    text = " ".join((ROOT / "docs" / "data.md").read_text(encoding="utf-8").split())
    names = {"united_states": "US", "rest_of_world": "rest of world"}

    def where(key: tuple[str, str, str]) -> str:
        state, partner, _ = key
        return f"{names.get(partner, partner.capitalize())} in {state.capitalize()}"

    leads = {"economic": "economic ones run from", "security": "security ones from"}
    for domain, lead in leads.items():
        values = {k: v for k, v in seeds.residuals.items() if k[2] == domain}
        low, high = min(values, key=values.__getitem__), max(values, key=values.__getitem__)
        quoted = f"{values[low]:.1f} ({where(low)}) to {values[high]:+.1f} ({where(high)})"
        assert f"{lead} {quoted}" in text, domain
    trade, arms = (explain_residuals(seeds, domain) for domain in ("economic", "security"))
    assert (
        f"the power constants alone carry {100 * trade.r2_partner:.0f} percent of the residuals' "
        f"variance and the observables add {100 * (trade.r2_full - trade.r2_partner):.1f} points "
        f"(to {100 * trade.r2_full:.1f} percent)"
    ) in text
    assert (
        f"in arms the constants carry {100 * arms.r2_partner:.0f} percent and the observables "
        f"add {100 * (arms.r2_full - arms.r2_partner):.1f} points"
    ) in text


def test_the_mechanism_table_is_the_odd_list() -> None:
    rows = _table("mechanism-table")
    assert [r["Letter"] for r in rows] == [m.letter for m in MECHANISM_TABLE]
    assert [_name(r["Name"]) for r in rows] == [m.name for m in MECHANISM_TABLE]
    for row, m in zip(rows, MECHANISM_TABLE, strict=True):
        assert re.findall(r"`(\w+)`", row["Kernel functions"]) == list(m.functions)
        assert re.findall(r"`(\w+)`", row["Knockouts"]) == list(m.knockouts)


def test_one_name_per_mechanism_across_kernel_knockouts_parameters_and_odd() -> None:
    letters = [m.letter for m in MECHANISM_TABLE]
    assert len(set(letters)) == len(letters)
    assert len({m.name for m in MECHANISM_TABLE}) == len(MECHANISM_TABLE)
    for m in MECHANISM_TABLE:
        for function in m.functions:
            assert callable(getattr(mech, function, None)), f"{m.letter}: no function {function}"
        # a knockout that switches a whole mechanism off carries the mechanism's name
        if m.name in KNOCKOUTS:
            assert m.name in m.knockouts
    # every knockout but the scenario's shocks switches off a listed mechanism, and back
    listed = {k for m in MECHANISM_TABLE for k in m.knockouts}
    assert listed == set(KNOCKOUTS) - {"shocks"}
    assert KNOCKOUTS["shocks"].letters == ()
    assert KNOCKOUTS["gravity"].letters == ("d",)
    assert KNOCKOUTS["hedging"].letters == ("d", "i")
    # a knockout's letters name every mechanism a parameter it zeroes acts in
    for knockout in KNOCKOUTS.values():
        acted = {PARAMETERS[path.rsplit(".", 1)[-1]].mechanism for path in knockout.overrides}
        assert acted <= set(knockout.letters), (knockout.name, acted, knockout.letters)
    assert KNOCKOUTS["threat"].letters == ("a", "b", "c", "e", "i")
    # the parameters and the ODD's headings use the same letters
    assert {spec.mechanism for spec in PARAMETERS.values()} <= set(letters)
    text = ODD.read_text(encoding="utf-8")
    headings = re.findall(r"^### 7\.\d+ Mechanisms? (.*)$", text, flags=re.M)
    used = set(re.findall(r"\b([a-i])\b(?=[^:]*:)", " ".join(headings)))
    assert used == set(letters), headings


def test_the_glossary_lists_the_mechanisms_of_the_table_and_is_linked() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([a-z]) \| `(\w+)` \| [^|]+ \| ([^|]+) \|$", text, flags=re.M)
    assert [(letter, name) for letter, name, _ in rows] == [
        (m.letter, m.name) for m in MECHANISM_TABLE
    ]
    for (_, _, knockouts), m in zip(rows, MECHANISM_TABLE, strict=True):
        assert re.findall(r"`(\w+)`", knockouts) == list(m.knockouts)
    assert "(docs/glossary.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(glossary.md)" in ODD.read_text(encoding="utf-8")


def test_every_renamed_name_in_the_changelog_still_imports() -> None:
    """The old names of the changelog's "Renamed" table resolve, to the new objects.

    Where the table says the old name imports "with a ``DeprecationWarning``", it warns, names
    the new one, and is out of the module's ``__all__``; other names are still refused.
    """
    import importlib

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = text.split("### Renamed", 1)[1].split("###", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)`[^|]* \| `(\w+)` \|([^|]*)\|", section, flags=re.M)
    assert len(rows) >= 3
    warned = 0
    for old, new, how in rows:
        module_name, _, name = old.rpartition(".")
        module = importlib.import_module(module_name)
        if "with a `DeprecationWarning`" not in how:
            assert getattr(module, name) is getattr(module, new), old
            continue
        with pytest.warns(DeprecationWarning, match=rf"{re.escape(name)} is now .*{new}"):
            assert getattr(module, name) is getattr(module, new), old
        assert name not in getattr(module, "__all__", ()), old
        assert new in getattr(module, "__all__", (new,)), old
        with pytest.raises(AttributeError):
            getattr(module, name + "_misspelt")
        warned += 1
    assert warned >= 10


def test_every_moved_name_said_to_be_still_importable_is() -> None:
    """Rows of the changelog's "Moved" table whose old home says "still importable there"."""
    import importlib

    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    section = text.split("### Moved", 1)[1].split("###", 1)[0]
    checked = 0
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "still importable there" not in cells[1]:
            continue
        names = re.findall(r"`(\w+)`", cells[0])
        old = re.findall(r"`(influence_sim[\w.]*)`", cells[1])[0]
        new = re.findall(r"`(influence_sim[\w.]*)`", cells[2])[0]
        for name in names:
            moved = getattr(importlib.import_module(new), name)
            assert getattr(importlib.import_module(old), name) is moved, (old, name)
            checked += 1
    assert checked >= 4


def test_doctables_takes_help_and_names_a_missing_document(capsys, tmp_path) -> None:
    """``python -m influence_sim.doctables --help`` prints its usage, not a traceback."""
    from influence_sim.doctables import main

    with pytest.raises(SystemExit) as exit_help:
        main(["--help"])
    assert exit_help.value.code == 0
    assert "usage: python -m influence_sim.doctables" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_missing:
        main([str(tmp_path / "missing.md")])
    assert exit_missing.value.code == 2
    assert "missing.md: no such file" in capsys.readouterr().err


def _called_names() -> set[str]:
    """Names of the functions the package calls anywhere (``f(...)`` or ``module.f(...)``)."""
    import ast

    names: set[str] = set()
    for path in (ROOT / "src" / "influence_sim").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    names.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    names.add(node.func.attr)
    return names


def test_every_kernel_function_of_the_mechanism_table_is_used() -> None:
    """The ODD's mechanism table names only functions the model calls (a function the step no
    longer uses must leave the table, or the ODD describes an equation the code does not run)."""
    called = _called_names()
    unused = sorted(f for m in MECHANISM_TABLE for f in m.functions if f not in called)
    assert not unused, f"MECHANISM_TABLE lists functions nothing calls: {unused}"


def test_the_generated_tables_of_the_odd_are_not_stale(tmp_path) -> None:
    """``python -m influence_sim.doctables`` would not change ``docs/ODD.md``: every cell of its
    tables (meanings, units, bounds, provenance and reasons included) is the code's and seeds'."""
    from influence_sim.doctables import rewrite

    copy = tmp_path / "ODD.md"
    copy.write_text(ODD.read_text(encoding="utf-8"), encoding="utf-8")
    assert rewrite(copy), "no generated block found"
    assert copy.read_text(encoding="utf-8") == ODD.read_text(encoding="utf-8"), (
        "docs/ODD.md is stale: run python -m influence_sim.doctables"
    )


def _dimension(unit: str) -> str:
    """A unit without the descriptive words the seed tables add (``logit weight`` is a
    ``weight``, ``index 0-1`` is ``0-1``)."""
    for words, plain in (
        ("logit weight", "weight"),
        ("security emphasis 0-1", "0-1"),
        ("index 0-1", "0-1"),
        ("share of arms imports", "share"),
    ):
        unit = unit.replace(words, plain)
    return unit


def test_parameter_units_agree_with_the_seed_tables(seeds: influence_sim.seeds.SeedData) -> None:
    """The unit of each parameter (section 8.1) is the unit of its assumption and estimate rows
    (sections 8.2 and 8.3), up to descriptive words."""
    checked = 0
    for name, spec in PARAMETERS.items():
        if spec.scope == "global":
            keys = [name]
        else:
            entities = (
                influence_sim.seeds.DEFAULT_STATES
                if spec.scope == "state"
                else influence_sim.seeds.DEFAULT_POWERS
            )
            keys = [f"{name}_{e}" for e in entities]
        for key in keys:
            for table in (seeds.assumptions, seeds.estimates):
                if key in table:
                    assert _dimension(table[key].unit) == _dimension(spec.unit), (
                        f"{key}: seeds/ say {table[key].unit!r}, PARAMETERS {spec.unit!r}"
                    )
                    checked += 1
    assert checked >= 40


def _section(number: int) -> str:
    text = ODD.read_text(encoding="utf-8")
    start = text.index(f"\n## {number}. ")
    return text[start : text.index(f"\n## {number + 1}. ", start)]


def test_every_parameter_has_its_symbol_in_section_7_and_every_code_name_exists() -> None:
    """Each parameter is in a symbol table of section 7, and each code name those tables give is
    a parameter, a field of the state, parameters or step output, a kernel function or a name
    of the step."""
    import ast
    import dataclasses
    import importlib
    import inspect

    # the package exports the function step, which hides the module of the same name
    arrays = importlib.import_module("influence_sim.kernel.arrays")
    kernel_step = importlib.import_module("influence_sim.kernel.step")

    names: set[str] = set()
    tables = 0
    for block in re.findall(
        r"\| Symbol \| Code \| Meaning \|\n\|[-|]+\|\n((?:\|.*\|\n)+)", _section(7)
    ):
        tables += 1
        for line in block.splitlines():
            names.update(re.findall(r"`([A-Za-z_]\w*)`", _cells(line)[1]))
    assert tables >= 10
    missing = sorted(set(PARAMETERS) - names)
    assert not missing, f"parameters without a symbol in section 7 of docs/ODD.md: {missing}"
    tree = ast.parse(inspect.getsource(kernel_step.step))
    local = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    known = (
        set(PARAMETERS)
        | {
            f.name
            for c in (arrays.State, arrays.Params, kernel_step.StepOutput)
            for f in dataclasses.fields(c)
        }
        | set(dir(mech))
        | local
    )
    unknown = sorted(names - known)
    assert not unknown, f"section 7 of docs/ODD.md names code that does not exist: {unknown}"


def test_the_odd_names_every_assumption_an_estimate_replaces(
    seeds: influence_sim.seeds.SeedData,
) -> None:
    """Section 8.2 lists the assumptions whose value the estimates of section 8.3 replace."""
    match = re.search(
        r"Rows that are parameter defaults repeat the table above \(for (.*?) the estimate",
        _prose(),
    )
    assert match, "section 8.2 no longer says which assumptions the estimates replace"
    listed = set(re.findall(r"`(\w+)`", match.group(1)))
    assert listed == set(seeds.assumptions) & set(seeds.estimates)
