"""Sweep folders as one side of a comparison.

A sweep (:mod:`influence_sim.sweep`) stores one row of summary metrics per run
(``runs.parquet``) and, if asked, a time series kept every few steps. For a comparison each
successful run is one unit: its summary metrics become the headline metrics (they are tracked
at every step by the sweep, so crossings and guarantor changes are exact), and its time series,
when kept, feeds the fan charts and the small multiples. Sweep runs differ in their parameters,
so a sweep side is never paired with another side.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pandas as pd

from influence_sim.analysis.metrics import NO_POWER, REGION
from influence_sim.analysis.runset import RunSet, SourceError
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import DOMAINS, REST_OF_WORLD, SEC
from influence_sim.seeds import DEFAULT_POWERS, DYAD

_SHARE = re.compile(r"^final\.(economic|security)_share\.([^.]+)\.([^.]+)$")
_GUARANTOR = re.compile(r"^final\.security_guarantor\.([^.]+)$")
_CHANGES = re.compile(r"^guarantor_changes\.([^.]+)$")


def sweep_metrics(runs: pd.DataFrame, powers: list[str]) -> pd.DataFrame:
    """Headline metrics of every run of a sweep, from its summary columns.

    Args:
        runs: ``SweepData.runs`` (successful runs only).
        powers: The powers of the runs (for guarantor indicators).

    Returns:
        replicate (the run id), metric, state, partner, value.
    """
    parts = []
    ids = runs["run_id"].to_numpy()

    def add(metric: str, state: str, power: str, values: np.ndarray) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "replicate": ids,
                    "metric": metric,
                    "state": state,
                    "partner": power,
                    "value": values.astype(float),
                }
            )
        )

    for column in runs.columns:
        name = str(column)
        if m := _SHARE.match(name):
            add(
                f"final_share_{m.group(1)}",
                m.group(2),
                m.group(3),
                runs[column].to_numpy(dtype=float),
            )
        elif m := _GUARANTOR.match(name):
            values = runs[column].astype(str).to_numpy()
            for power in powers:
                add("final_guarantor", m.group(1), power, (values == power).astype(float))
        elif m := _CHANGES.match(name):
            add("guarantor_changes", m.group(1), NO_POWER, runs[column].to_numpy(dtype=float))
        elif name in ("china_passes_russia_trade_year", "china_passes_russia_security_year"):
            values = runs[column].to_numpy(dtype=float)
            add(name, REGION, DYAD[0], np.where(np.isnan(values), np.inf, values))
        elif name == "final.trust":
            add("final_trust", REGION, NO_POWER, runs[column].to_numpy(dtype=float))
    if not parts:
        return pd.DataFrame(columns=["replicate", "metric", "state", "partner", "value"])
    out = pd.concat(parts, ignore_index=True)
    out["replicate"] = out["replicate"].astype(int)
    return out


def _guarantors(timeseries: pd.DataFrame, powers: list[str]) -> pd.DataFrame:
    sec = timeseries[(timeseries["domain"] == "security") & timeseries["partner"].isin(powers)]
    if sec.empty:
        return pd.DataFrame(columns=["replicate", "step", "date", "state", "security_guarantor"])
    keys = ["replicate", "step", "date", "state"]
    wide = sec.set_index([*keys, "partner"])["share"].unstack("partner").reindex(columns=powers)
    share = np.zeros((len(wide), len(powers), len(DOMAINS)))  # (rows, K = the powers, D)
    share[:, :, SEC] = wide.to_numpy(dtype=float)
    names = np.asarray(powers, dtype=object)[obs.guarantor(share, len(powers))]
    out = wide.index.to_frame(index=False)
    out["security_guarantor"] = pd.Series(names, dtype=sec["partner"].dtype)
    return out


def _summary_partners(runs: pd.DataFrame) -> list[str]:
    """The partners of a sweep's runs, read from their summary columns.

    For a sweep that kept no time series: the partners of the share columns, else the
    guarantors the runs name, else the default powers.
    """
    found = [m.group(3) for column in runs.columns if (m := _SHARE.match(str(column)))]
    if not found:
        columns = [c for c in runs.columns if _GUARANTOR.match(str(c))]
        named = {str(v) for c in columns for v in runs[c].dropna()}
        found = [p for p in DEFAULT_POWERS if p in named] + sorted(named - set(DEFAULT_POWERS))
    return list(dict.fromkeys(found)) or list(DEFAULT_POWERS)


def from_sweep_folder(path: str | os.PathLike[str], name: str | None = None) -> RunSet:
    """Read a sweep folder into a run set (each successful run is one unit).

    Args:
        path: The sweep folder.
        name: Label; defaults to the sweep's name.

    Returns:
        The run set, with its headline metrics precomputed from the summary columns.

    Raises:
        SourceError: If the folder cannot be read as a sweep or has no successful run.
    """
    # the sweep reader pulls in pyarrow; it is imported only when a sweep folder is read
    from influence_sim.sweep import load_sweep

    try:
        data = load_sweep(path)
        runs = data.runs
    except (OSError, ValueError, KeyError) as exc:
        raise SourceError(f"{path}: cannot read the sweep: {exc}") from None
    notes = []
    if not data.complete:
        notes.append(f"{path}: the sweep has not finished; using the runs done so far")
    if runs.empty or "status" not in runs:
        raise SourceError(f"{path}: the sweep has no runs yet")
    ok = runs[runs["status"] == "ok"]
    if ok.empty:
        raise SourceError(f"{path}: no run of the sweep succeeded")
    if len(ok) < len(runs):
        notes.append(f"{path}: {len(runs) - len(ok)} failed runs left out")
    ts = data.timeseries
    if ts.empty:
        notes.append(
            f"{path}: the sweep kept no time series, so its fan charts and state panels are empty"
        )
        ts = pd.DataFrame(
            columns=[
                "run_id",
                "step",
                "date",
                "state",
                "partner",
                "domain",
                "share",
                "volume_usd_bn",
            ]
        )
    ts = ts[ts["run_id"].isin(ok["run_id"])].rename(columns={"run_id": "replicate"})
    ts["date"] = pd.to_datetime(ts["date"]).dt.strftime("%Y-%m-%d")
    regional = ts[ts["state"] == REGION].drop(columns=["state"]).reset_index(drop=True)
    per_state = ts[ts["state"] != REGION].reset_index(drop=True)
    partners = [str(p) for p in dict.fromkeys(ts["partner"])] or _summary_partners(ok)
    powers = [p for p in partners if p != REST_OF_WORLD]
    trust = (
        ok["final.trust"].to_numpy(dtype=float) if "final.trust" in ok else np.full(len(ok), np.nan)
    )
    n_steps = int(data.manifest.get("clock", {}).get("n_steps", 0))
    relations = pd.DataFrame(
        {"replicate": ok["run_id"].to_numpy(), "step": n_steps, "date": "", "trust": trust}
    )
    runset = RunSet(
        name=name or str(data.manifest.get("name") or os.fspath(path)),
        kind="sweep",
        timeseries=per_state,
        regional=regional,
        states=_guarantors(per_state, powers),
        relations=relations,
        seeds=None,
        source=os.fspath(path),
        notes=notes,
        metrics=sweep_metrics(ok, powers),
    )
    return runset


sweep_runset = from_sweep_folder
"""Former name of :func:`from_sweep_folder`."""

__all__ = ["from_sweep_folder", "sweep_metrics", "sweep_runset"]
