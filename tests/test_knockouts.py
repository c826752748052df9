"""Every mechanism is alive: switched off, it moves a headline of some library scenario.

The headline is the largest change, over China's and Russia's regional economic and security
shares at the end of the run, of the mean over replicates with common random numbers
(:func:`influence_sim.analysis.attribution.knockout_table`). Each mechanism must move it by at
least half a point (0.005) in at least one scenario of the library.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from influence_sim.analysis.attribution import KNOCKOUTS, knockout_table

LIBRARY = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def table():
    return knockout_table(LIBRARY, seed=1, replicates=3)


def test_the_library_is_covered(table):
    assert len(LIBRARY) >= 8
    assert set(table["knockout"]) == set(KNOCKOUTS)
    assert "mechanism" not in table.columns  # the column's name before this release
    assert table["scenario"].nunique() == len(LIBRARY)


@pytest.mark.parametrize("knockout", list(KNOCKOUTS))
def test_every_knockout_moves_a_headline_by_half_a_point(table, knockout):
    rows = table[table["knockout"] == knockout]
    best = rows.loc[rows["headline"].idxmax()]
    assert best["headline"] >= 0.005, (
        f"{knockout}: at most {best['headline']:.4f} ({best['scenario']}, {best['measure']})"
    )


def test_a_scenario_without_shocks_has_no_shock_effect(table):
    rows = table[(table["knockout"] == "shocks") & (table["scenario"] == "baseline")]
    assert float(rows["headline"].iloc[0]) == 0.0


def test_sanctions_channels_act_only_where_there_are_sanctions(table):
    rows = table[table["knockout"] == "sanctions_channels"].set_index("scenario")
    assert rows.loc["russia_sanctions_2022", "headline"] >= 0.005
    assert rows.loc["baseline", "headline"] == 0.0
