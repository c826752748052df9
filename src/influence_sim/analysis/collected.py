"""Tidy tables from a Mesa model's DataCollector, in the shape of :class:`Results` tables.

:class:`influence_sim.InfluenceModel` collects model and agent series with a
``mesa.DataCollector``. :func:`collected_tables` turns them into the long tables the plot
functions of :mod:`influence_sim.plots` take (``timeseries``, ``regional``, ``relations``), with
replicate 0 and the model's dates, so a single live run can be drawn like an ensemble.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from influence_sim.model import InfluenceModel


def collected_tables(model: InfluenceModel) -> dict[str, pd.DataFrame]:
    """The DataCollector's series of a model as tidy tables.

    Args:
        model: A model (stepped or not).

    Returns:
        ``timeseries`` (replicate, step, date, state, partner, domain, share), ``regional``
        (replicate, step, date, partner, domain, share, volume_usd_bn: the partner's trade with
        the region, USD bn per year, on economic rows and NaN on security rows) and
        ``relations`` (replicate, step, date, trust, afghan_instability).
    """
    from influence_sim.agents import CentralAsianState

    collector = model.datacollector
    frame = collector.get_model_vars_dataframe().reset_index(drop=True)
    frame["step"] = range(len(frame))
    partners = list(model.dims.partners)
    rows = []
    for domain in ("economic", "security"):
        for power in partners:
            part = pd.DataFrame(
                {
                    "replicate": 0,
                    "step": frame["step"],
                    "date": frame["date"],
                    "partner": power,
                    "domain": domain,
                    "share": frame[f"{power}_{domain}_share"],
                    "volume_usd_bn": frame[f"{power}_trade_usd_bn"]
                    if domain == "economic"
                    else float("nan"),
                }
            )
            rows.append(part)
    regional = pd.concat(rows, ignore_index=True)
    relations = pd.DataFrame(
        {
            "replicate": 0,
            "step": frame["step"],
            "date": frame["date"],
            "trust": frame["trust"],
            "afghan_instability": frame["afghan_instability"],
        }
    )
    agents = collector.get_agenttype_vars_dataframe(CentralAsianState).reset_index()
    dates = dict(zip(frame["step"], frame["date"], strict=True))
    step_column = "Step" if "Step" in agents else agents.columns[0]
    # the collector counts collections from 0 (at creation) in the same order as the model
    order = {s: i for i, s in enumerate(dict.fromkeys(agents[step_column]))}
    agents["step"] = agents[step_column].map(order)
    parts = []
    for domain in ("economic", "security"):
        for power in partners:
            parts.append(
                pd.DataFrame(
                    {
                        "replicate": 0,
                        "step": agents["step"],
                        "date": agents["step"].map(dates),
                        "state": agents["name"],
                        "partner": power,
                        "domain": domain,
                        "share": agents[f"{domain}_share_{power}"],
                    }
                )
            )
    timeseries = pd.concat(parts, ignore_index=True)
    return {"timeseries": timeseries, "regional": regional, "relations": relations}


__all__ = ["collected_tables"]
