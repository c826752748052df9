"""Headline metrics of every replicate, the numbers comparisons are made of.

:func:`replicate_metrics` turns a :class:`~influence_sim.analysis.runset.RunSet` into a long
table with one value per replicate, metric, state and partner. Regional values carry the state
``region``. The metrics (:data:`HEADLINE_METRICS`):

* ``final_share_economic`` / ``final_share_security``: each partner's share of a state's
  trade / arms imports at the last recorded step (regional: volume-weighted over states);
* ``final_guarantor``: 1 if the power is the state's security guarantor (largest security
  share among the powers) at the end, else 0; summarised as the fraction of replicates;
* ``guarantor_changes``: how many times a state's guarantor changes between recorded steps;
* ``china_passes_russia_trade_year``: the first date, as a decimal year, at which China's
  trade with the state exceeds Russia's; the start year if China is ahead from the start;
  ``inf`` if it never happens before the end of the run;
* ``china_passes_russia_security_year``: the same for security shares;
* ``final_trust``: China-Russia trust at the end.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from influence_sim._text import check_kind
from influence_sim.analysis.runset import RunSet
from influence_sim.calendar import decimal_years
from influence_sim.kernel import observables as obs
from influence_sim.seeds import DYAD

REGION = "region"
"""State label of regional (volume-weighted) values."""

NO_POWER = ""
"""Power label of metrics that belong to no power (trust, guarantor changes)."""

Statistic = Literal["median", "fraction"]


@dataclass(frozen=True)
class Metric:
    """A headline metric.

    Attributes:
        name: Column value in the ``metric`` column.
        meaning: What it measures.
        unit: Unit of its values.
        statistic: ``median`` (summarised by the median and the 5-95% range over replicates)
            or ``fraction`` (a 0/1 indicator, summarised by the fraction of replicates where it
            holds, with its 90% Wilson score interval, and a difference of two fractions by
            Newcombe's 90% score interval; see :mod:`influence_sim.analysis.stats`).
    """

    name: str
    meaning: str
    unit: str
    statistic: Statistic = "median"


_METRICS: tuple[Metric, ...] = (
    Metric("final_share_economic", "share of the state's trade at the end", "fraction"),
    Metric("final_share_security", "share of the state's arms imports at the end", "fraction"),
    Metric(
        "final_guarantor",
        "the power is the state's security guarantor at the end",
        "fraction of replicates",
        "fraction",
    ),
    Metric(
        "guarantor_changes",
        "changes of the state's security guarantor over the run",
        "count",
    ),
    Metric(
        "china_passes_russia_trade_year",
        "first date China's trade with the state exceeds Russia's (inf: never)",
        "year",
    ),
    Metric(
        "china_passes_russia_security_year",
        "first date China's security share in the state exceeds Russia's (inf: never)",
        "year",
    ),
    Metric("final_trust", "China-Russia trust at the end", "index 0-1"),
)

HEADLINE_METRICS: dict[str, Metric] = {m.name: m for m in _METRICS}
"""All headline metrics by name, in table order."""

COLUMNS: tuple[str, ...] = ("replicate", "metric", "state", "partner", "value")


def _last(frame: pd.DataFrame) -> pd.DataFrame:
    last = frame.groupby("replicate")["step"].transform("max")
    return frame[frame["step"] == last]


def _frame(
    replicate: object, metric: str, state: object, power: object, value: object
) -> pd.DataFrame:
    return pd.DataFrame(
        {"replicate": replicate, "metric": metric, "state": state, "partner": power, "value": value}
    )


def _final_shares(runs: RunSet) -> list[pd.DataFrame]:
    out = []
    ts = _last(runs.timeseries)
    reg = _last(runs.regional)
    for domain in ("economic", "security"):
        metric = f"final_share_{domain}"
        sel = ts[ts["domain"] == domain]
        out.append(_frame(sel["replicate"], metric, sel["state"], sel["partner"], sel["share"]))
        sel = reg[reg["domain"] == domain]
        out.append(_frame(sel["replicate"], metric, REGION, sel["partner"], sel["share"]))
    return out


def _guarantors(runs: RunSet) -> list[pd.DataFrame]:
    states = runs.states.sort_values(["replicate", "state", "step"], kind="stable")
    powers = [p for p in runs.powers if p != "rest_of_world"]
    last = _last(states)
    out = []
    for power in powers:
        hit = (last["security_guarantor"] == power).astype(float)
        out.append(_frame(last["replicate"], "final_guarantor", last["state"], power, hit))
    keys = [states["replicate"], states["state"]]
    # one row a replicate and state, its guarantors (as codes) in step order; a shorter series
    # is padded with its last guarantor, which adds no change
    code = pd.Series(pd.factorize(states["security_guarantor"])[0], index=states.index)
    position = states.groupby(keys, sort=False).cumcount()
    wide = code.set_axis(pd.MultiIndex.from_arrays([*keys, position])).unstack().ffill(axis=1)
    counts = wide.index.to_frame(index=False)
    counts.columns = pd.Index(["replicate", "state"])
    counts["value"] = obs.guarantor_changes(wide.to_numpy(), axis=1).astype(float)
    out.append(
        _frame(counts["replicate"], "guarantor_changes", counts["state"], NO_POWER, counts["value"])
    )
    return out


def _first_ahead(table: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """First decimal year at which China's value exceeds Russia's, per group (inf: never)."""
    groups = table[by].drop_duplicates().set_index(by).index
    keyed = table.set_index([*by, "year"])
    china = keyed[DYAD[0]].unstack("year")  # one row per group, one column per year
    russia = keyed[DYAD[1]].unstack("year").reindex_like(china)
    first = obs.first_ahead(china.to_numpy(float), russia.to_numpy(float), axis=1)
    years = china.columns.to_numpy(float)
    value = pd.Series(obs.year_of_step(years, first, never=np.inf), index=china.index)
    return value.reindex(groups).rename("value").reset_index()


def _crossings(runs: RunSet) -> list[pd.DataFrame]:
    powers = runs.powers
    if not set(DYAD) <= set(powers):
        return []
    out = []
    ts = runs.timeseries[runs.timeseries["partner"].isin(list(DYAD))]
    reg = runs.regional[runs.regional["partner"].isin(list(DYAD))]
    for domain, column, metric in (
        ("economic", "volume_usd_bn", "china_passes_russia_trade_year"),
        ("security", "share", "china_passes_russia_security_year"),
    ):
        sel = ts[ts["domain"] == domain]
        wide = sel.pivot_table(
            index=["replicate", "state", "date"], columns="partner", values=column, aggfunc="first"
        ).reset_index()
        wide["year"] = decimal_years(wide["date"])
        first = _first_ahead(wide, ["replicate", "state"])
        out.append(_frame(first["replicate"], metric, first["state"], DYAD[0], first["value"]))
        sel = reg[reg["domain"] == domain]
        wide = sel.pivot_table(
            index=["replicate", "date"], columns="partner", values=column, aggfunc="first"
        ).reset_index()
        wide["year"] = decimal_years(wide["date"])
        first = _first_ahead(wide, ["replicate"])
        out.append(_frame(first["replicate"], metric, REGION, DYAD[0], first["value"]))
    return out


def _trust(runs: RunSet) -> list[pd.DataFrame]:
    powers = runs.powers
    if not set(DYAD) <= set(powers) or "trust" not in runs.relations:
        return []
    last = _last(runs.relations)
    return [_frame(last["replicate"], "final_trust", REGION, NO_POWER, last["trust"])]


def replicate_metrics(runs: RunSet) -> pd.DataFrame:
    """Every headline metric of every replicate.

    Args:
        runs: The runs.

    Returns:
        Long table: replicate, metric, state, partner, value (float; ``inf`` for a crossing
        that never happens). Metrics that need China and Russia are left out when either
        is not in the runs. Metrics a run set carries already (sweeps) are returned as they are.

    Raises:
        TypeError: If ``runs`` is not a :class:`~influence_sim.analysis.runset.RunSet`
            (:func:`~influence_sim.analysis.runset.from_results` makes one from
            :class:`~influence_sim.results.Results`).
    """
    expected = "a RunSet (influence_sim.analysis.runset.from_results makes one from Results)"
    check_kind("runs", runs, RunSet, expected)
    if runs.metrics is not None:
        return runs.metrics
    parts = [*_final_shares(runs), *_guarantors(runs), *_crossings(runs), *_trust(runs)]
    out = pd.concat(parts, ignore_index=True)
    out["replicate"] = out["replicate"].astype(int)
    out["value"] = out["value"].astype(float)
    return out[list(COLUMNS)]


def __getattr__(name: str) -> Callable[[Any], npt.NDArray[np.float64]]:
    """``decimal_year``: the former name here of :func:`influence_sim.calendar.decimal_years`.

    Kept for one release with a warning; it took a pandas Series or Index of ISO text or
    datetimes, which ``decimal_years`` takes too, with the same values.
    """
    if name == "decimal_year":
        warnings.warn(
            "influence_sim.analysis.metrics.decimal_year is now "
            "influence_sim.calendar.decimal_years; the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return decimal_years
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "HEADLINE_METRICS",
    "NO_POWER",
    "REGION",
    "Metric",
    "replicate_metrics",
]
