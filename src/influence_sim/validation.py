"""The hindcast against the country panel: one row per panel figure, PASS or FAIL by a tolerance.

Tolerances (also in ``docs/data.md``):

* **trade with a partner and total trade** (yearly, USD bn): the model's median within a
  factor :data:`TRADE_FACTOR` of the panel. Two statistics of the same flow differ by up to
  about 2x (a state's own customs against its partner's; the panel's notes), so a model that is
  closer than that cannot be told apart from the statistics' own disagreement;
* **a state's arms-import shares by supplier** (five-year windows): within
  :data:`STATE_ARMS_POINTS` points. Deliveries are lumpy (a single year can hold a window's
  whole Chinese share) and small states' windows hold a handful of deliveries;
* **the region's arms-import shares** (five-year windows): within :data:`REGION_ARMS_POINTS`
  points, the tolerance of K1 in ``seeds/targets.csv``.

The regional figures pool the five states' deliveries, so Kazakhstan weighs most.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from influence_sim import seeds as sd
from influence_sim.drivers import decimal_year
from influence_sim.ensemble import EnsembleOutput
from influence_sim.kernel.arrays import ECON, SEC
from influence_sim.panel import TRADE_PARTNERS, ArmsWindow, Panel

TRADE_FACTOR = 2.0
STATE_ARMS_POINTS = 0.15
REGION_ARMS_POINTS = 0.05
TRADE_YEARS: tuple[int, ...] = (2000, 2005, 2010, 2014, 2019)
ARMS_WINDOWS: tuple[tuple[int, int], ...] = (
    (2000, 2004),
    (2005, 2009),
    (2010, 2014),
    (2015, 2019),
    (2016, 2020),
)


def _years(output: EnsembleOutput) -> np.ndarray:
    return np.floor(np.array([decimal_year(d) for d in output.dates]) - 1e-9).astype(int)


def model_trade(output: EnsembleOutput, year: int) -> np.ndarray | None:
    """``(B, S, K)`` mean trade volumes over the recorded steps inside ``year``."""
    m = _years(output) == year
    if not np.any(m):
        return None
    vol = output.share[m][..., ECON] * output.volume[m][..., ECON][..., None]
    out: np.ndarray = vol.mean(axis=0)
    return out


def model_arms(output: EnsembleOutput, first: int, last: int) -> np.ndarray | None:
    """``(B, S, K)`` arms imports by supplier summed over the window's recorded steps."""
    years = _years(output)
    m = (years >= first) & (years <= last)
    if not np.any(m):
        return None
    vol = output.share[m][..., SEC] * output.volume[m][..., SEC][..., None]
    out: np.ndarray = vol.sum(axis=0)
    return out


def _window(panel: Panel, entity: str, first: int, last: int) -> ArmsWindow | None:
    """The arms window ``first-last`` of a state or of the ``region``, if the panel has it."""
    return next((w for w in panel.arms_windows(entity) if (w.first, w.last) == (first, last)), None)


def _row(
    series: str,
    entity: str,
    partner: str,
    period: str,
    observed: float,
    draws: np.ndarray,
    kind: str,
    tolerance: float,
) -> dict[str, object]:
    med = float(np.median(draws))
    lo, hi = (float(v) for v in np.quantile(draws, [0.05, 0.95]))
    if kind == "factor":
        ratio = med / observed if observed > 0 else math.inf
        ok = 1.0 / tolerance <= ratio <= tolerance
        error = ratio
    else:
        error = med - observed
        ok = abs(error) <= tolerance
    return {
        "series": series,
        "entity": entity,
        "partner": partner,
        "period": period,
        "panel": observed,
        "model": med,
        "model_p05": lo,
        "model_p95": hi,
        "error": error,
        "error_kind": "model/panel" if kind == "factor" else "model - panel",
        "tolerance": tolerance,
        "result": "PASS" if ok else "FAIL",
    }


def hindcast_table(
    output: EnsembleOutput,
    panel: Panel | None = None,
    years: Sequence[int] = TRADE_YEARS,
    windows: Sequence[tuple[int, int]] = ARMS_WINDOWS,
) -> pd.DataFrame:
    """Every panel figure of the chosen years and windows beside the model's median and band.

    Args:
        output: Recorded runs of a hindcast (replicates along the batch axis).
        panel: The country panel (default: the package's).
        years: Years of the trade figures.
        windows: Arms-import windows.

    Figures of years (or windows starting) before the run's first year are left out: a run
    started on the panel's figures would match them by construction.

    Returns:
        One row per figure: series, entity, partner, period, panel, model (median),
        model_p05, model_p95, error, error_kind, tolerance, result (PASS or FAIL).
    """
    panel = panel or sd.panel_of(sd.load_seeds())
    dims = output.dims
    first_year = output.dates[0].year
    years = [y for y in years if y >= first_year]
    windows = [w for w in windows if w[0] >= first_year]
    rows: list[dict[str, object]] = []
    for year in years:
        vol = model_trade(output, year)
        if vol is None:
            continue
        for i, state in enumerate(dims.states):
            total = panel.annual(state, "trade_total").get(year)
            if total is not None:
                rows.append(
                    _row(
                        "trade_total",
                        state,
                        "",
                        str(year),
                        total,
                        vol[:, i].sum(axis=1),
                        "factor",
                        TRADE_FACTOR,
                    )
                )
            for k, partner in enumerate(dims.partners[:-1]):
                series = TRADE_PARTNERS.get(partner)
                if series is None or not panel.has(state, series):
                    continue
                observed = panel.annual(state, series).get(year)
                if observed is None or observed <= 0:
                    continue
                rows.append(
                    _row(
                        series,
                        state,
                        partner,
                        str(year),
                        observed,
                        vol[:, i, k],
                        "factor",
                        TRADE_FACTOR,
                    )
                )
    for first, last in windows:
        arms = model_arms(output, first, last)
        if arms is None:
            continue
        label = f"{first}-{last}"
        model_region = arms.sum(axis=1)
        model_region_share = model_region / model_region.sum(axis=1, keepdims=True)
        region_window = _window(panel, "region", first, last)
        for k, partner in enumerate(dims.partners[:-1]):
            series = f"arms_share_{'us' if partner == 'united_states' else partner}"
            region = region_window.shares[partner] if region_window is not None else None
            if region is not None:
                rows.append(
                    _row(
                        series,
                        "region",
                        partner,
                        label,
                        region,
                        model_region_share[:, k],
                        "points",
                        REGION_ARMS_POINTS,
                    )
                )
            for i, state in enumerate(dims.states):
                window = _window(panel, state, first, last)
                if window is None:
                    continue
                share = arms[:, i, k] / np.maximum(arms[:, i].sum(axis=1), 1e-12)
                rows.append(
                    _row(
                        series,
                        state,
                        partner,
                        label,
                        window.shares[partner],
                        share,
                        "points",
                        STATE_ARMS_POINTS,
                    )
                )
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """PASS counts by series."""
    out = (
        table.assign(passed=table["result"] == "PASS")
        .groupby("series")["passed"]
        .agg(["sum", "count"])
        .rename(columns={"sum": "passed", "count": "figures"})
    )
    return out


__all__ = [
    "ARMS_WINDOWS",
    "REGION_ARMS_POINTS",
    "STATE_ARMS_POINTS",
    "TRADE_FACTOR",
    "TRADE_YEARS",
    "hindcast_table",
    "holdout_markdown",
    "holdout_summary",
    "holdout_table",
    "markdown_tables",
    "model_arms",
    "model_trade",
    "plot_hindcast",
    "summary",
]


def plot_hindcast(
    output: EnsembleOutput,
    directory: Path,
    panel: Panel | None = None,
    holdout: int | None = None,
) -> list[Path]:
    """Figures of the hindcast against the panel: one per trade series, one for arms shares.

    Trade: for each state, the panel's yearly figures (points) and the model's median with its
    5-95% band over the replicates (log scale). Arms: for the region and each state, the panel's
    supplier shares per window (points at the window's middle) and the model's window shares
    (line with band).

    Args:
        output: Recorded runs of the hindcast.
        directory: Folder to write into.
        panel: The country panel.
        holdout: First year out of sample: a dashed line marks it, and the titles say so.

    Returns:
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from influence_sim._files import save_figure_atomic
    from influence_sim.plots import label, power_colour

    panel = panel or sd.panel_of(sd.load_seeds())
    dims = output.dims
    dates = np.array([decimal_year(d) for d in output.dates])
    written = []
    vol = output.share[..., ECON] * output.volume[..., ECON][..., None]  # (T, B, S, K)
    for k, partner in enumerate(dims.partners[:-1]):
        series = TRADE_PARTNERS.get(partner)
        if series is None:
            continue
        fig, axes = plt.subplots(2, 3, figsize=(11, 6.5), sharex=True)
        for i, state in enumerate(dims.states):
            ax = axes.flat[i]
            band = np.quantile(vol[:, :, i, k], [0.05, 0.5, 0.95], axis=1)
            colour = power_colour(partner)
            ax.fill_between(dates, band[0], band[2], color=colour, alpha=0.25, lw=0)
            ax.plot(dates, band[1], color=colour, label="model (median, 5-95%)")
            if panel.has(state, series):
                measured = panel.annual(state, series)
                ax.plot(
                    [y + 0.5 for y in measured],
                    list(measured.values()),
                    "o",
                    ms=3,
                    color="black",
                    label="panel",
                )
            ax.set_yscale("log")
            ax.set_title(label(state), fontsize=10)
            ax.set_ylabel("USD bn a year", fontsize=8)
        ax = axes.flat[-1]
        handles, labels = axes.flat[0].get_legend_handles_labels()
        ax.axis("off")
        ax.legend(handles, labels, loc="center", fontsize=9)
        for ax in axes.flat[: len(dims.states)]:
            _mark_holdout(ax, holdout)
        fig.suptitle(
            f"Hindcast: trade with {label(partner)}, model against the country panel"
            + _holdout_note(holdout)
        )
        fig.tight_layout()
        written.append(save_figure_atomic(fig, directory / f"hindcast_{series}.png", 110))
        plt.close(fig)
    fig, axes = plt.subplots(2, 3, figsize=(11, 6.5), sharex=True, sharey=True)
    arms = output.share[..., SEC] * output.volume[..., SEC][..., None]  # (T, B, S, K)
    years = np.floor(dates - 1e-9).astype(int)
    entities = ("region", *dims.states)
    for j, entity in enumerate(entities):
        ax = axes.flat[j]
        for k, partner in enumerate(dims.partners[:-1]):
            colour = power_colour(partner)
            mids: list[float] = []
            med: list[float] = []
            lo: list[float] = []
            hi: list[float] = []
            obs_mid: list[float] = []
            obs: list[float] = []
            for first, last in ARMS_WINDOWS:
                m = (years >= first) & (years <= last)
                if not np.any(m):
                    continue
                if entity == "region":
                    total = arms[m].sum(axis=(0, 2))  # (B, K)
                else:
                    total = arms[m, :, dims.states.index(entity)].sum(axis=0)
                window = _window(panel, entity, first, last)
                observed = window.shares[partner] if window is not None else None
                share = total[:, k] / np.maximum(total.sum(axis=1), 1e-12)
                q = np.quantile(share, [0.05, 0.5, 0.95])
                mids.append((first + last + 1) / 2.0)
                lo.append(q[0])
                med.append(q[1])
                hi.append(q[2])
                if observed is not None:
                    obs_mid.append((first + last + 1) / 2.0)
                    obs.append(observed)
            ax.fill_between(mids, lo, hi, color=colour, alpha=0.25, lw=0)
            ax.plot(mids, med, color=colour, label=f"{label(partner)}, model")
            ax.plot(
                obs_mid, obs, "o", color=colour, mec="black", ms=5, label=f"{label(partner)}, panel"
            )
        ax.set_title(label(entity) if entity != "region" else "Region (five states)", fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of arms imports", fontsize=8)
    for ax in axes.flat:
        _mark_holdout(ax, holdout)
    axes.flat[0].legend(fontsize=7, loc="upper right")
    fig.suptitle(
        "Hindcast: arms-import shares by five-year window, model against the panel"
        + _holdout_note(holdout)
    )
    fig.tight_layout()
    written.append(save_figure_atomic(fig, directory / "hindcast_arms_shares.png", 110))
    plt.close(fig)
    return written


def _mark_holdout(ax: Any, holdout: int | None) -> None:
    if holdout is not None:
        ax.axvline(holdout, color="grey", ls="--", lw=1)


def _holdout_note(holdout: int | None) -> str:
    return "" if holdout is None else f"\n(fitted to the panel before {holdout}; dashed line)"


_LABEL = {"china": "China", "russia": "Russia", "united_states": "US"}


def _num(value: float, kind: str) -> str:
    if kind == "model/panel":
        return f"{value:.3g}"
    return f"{value:.3f}"


def markdown_tables(table: pd.DataFrame) -> dict[str, str]:
    """Markdown tables of a hindcast table, by block name.

    The blocks of ``docs/data.md``: ``hindcast-summary``, ``hindcast-region`` and
    ``hindcast-failures``.
    """
    counts = summary(table)
    lines = ["| series | pass / figures |", "|---|---|"]
    for series, row in counts.iterrows():
        lines.append(f"| `{series}` | {int(row['passed'])} / {int(row['figures'])} |")
    passed = int((table["result"] == "PASS").sum())
    lines.append(f"| **all** | **{passed} / {len(table)}** |")
    out = {"hindcast-summary": "\n".join(lines)}
    region = table[table["entity"] == "region"]
    lines = ["| series | window | panel | model | 5-95% | result |", "|---|---|---|---|---|---|"]
    for _, r in region.iterrows():
        lines.append(
            f"| {_LABEL.get(r['partner'], r['partner'])} | {r['period']} | {r['panel']:.3f} | "
            f"{r['model']:.3f} | {r['model_p05']:.3f} to {r['model_p95']:.3f} | {r['result']} |"
        )
    out["hindcast-region"] = "\n".join(lines)
    failing = table[table["result"] == "FAIL"]
    lines = [
        "| series | state | year or window | panel | model | 5-95% | error | result |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for _, r in failing.iterrows():
        kind = str(r["error_kind"])
        error = f"x{r['error']:.2f}" if kind == "model/panel" else f"{r['error']:+.3f}"
        lines.append(
            f"| `{r['series']}` | {r['entity']} | {r['period']} | {_num(r['panel'], kind)} | "
            f"{_num(r['model'], kind)} | {_num(r['model_p05'], kind)} to "
            f"{_num(r['model_p95'], kind)} | {error} | {r['result']} |"
        )
    out["hindcast-failures"] = "\n".join(lines)
    return out


def _trade_naive(
    panel: Panel, entity: str, series: str, year: int, holdout: int
) -> tuple[float, float]:
    """Last value (year ``holdout - 1``) and the log-linear trend of the five years before."""
    values = panel.annual(entity, series)
    last_year = holdout - 1
    last = values.get(last_year, math.nan)
    years = [y for y in range(holdout - 5, holdout) if values.get(y, 0.0) > 0.0]
    if len(years) < 2:
        return last, last
    slope, intercept = np.polyfit(years, np.log([values[y] for y in years]), 1)
    return last, float(math.exp(intercept + slope * year))


def _window_naive(
    entity: str, partner: str, label: str, panel: Panel, holdout: int
) -> tuple[float, float]:
    """Last window ending before ``holdout`` and the linear trend of the last two, for a share."""
    first, _last = (int(p) for p in label.split("-"))
    known = sorted(
        (w.first, w.last, w.shares[partner]) for w in panel.arms_windows(entity) if w.last < holdout
    )
    known = [k for k in known if (k[1] - k[0]) == 4 and (k[0] % 5) == 0]
    if not known:
        return math.nan, math.nan
    value_last = known[-1][2]
    if len(known) < 2:
        return value_last, value_last
    (f0, _, v0), (f1, _, v1) = known[-2], known[-1]
    trend = v1 + (v1 - v0) * (first - f1) / (f1 - f0)
    return value_last, float(min(max(trend, 0.0), 1.0))


def holdout_table(table: pd.DataFrame, holdout: int, panel: Panel | None = None) -> pd.DataFrame:
    """The hindcast table split in and out of sample, with two naive forecasts out of sample.

    A figure is *out of sample* when its year, or its window's first year, is ``holdout`` or
    later. For those, two naive forecasts made from what was known before ``holdout``: the
    last value carried forward (the trade of ``holdout - 1``; the window ending before
    ``holdout``) and a trend (trade: the log-linear trend of the five years before; shares: the
    linear trend of the last two windows). Each is judged by the figure's own tolerance, and
    ``beats_last`` / ``beats_trend`` say whether the model's error is smaller (in log ratio for
    trade, in points for shares).

    Args:
        table: From :func:`hindcast_table`.
        holdout: First year out of sample.
        panel: The country panel.

    Returns:
        ``table`` with columns sample, naive_last, naive_trend, naive_last_result,
        naive_trend_result, beats_last and beats_trend (the naive columns empty in sample).
    """
    panel = panel or sd.panel_of(sd.load_seeds())
    out = table.copy()
    first = out["period"].astype(str).str.split("-").str[0].astype(int)
    out["sample"] = np.where(first >= holdout, "out", "in")
    naive_last, naive_trend = [], []
    for _, r in out.iterrows():
        if r["sample"] == "in":
            naive_last.append(math.nan)
            naive_trend.append(math.nan)
            continue
        if r["error_kind"] == "model/panel":
            series = str(r["series"])
            last, trend = _trade_naive(panel, str(r["entity"]), series, int(r["period"]), holdout)
        else:
            last, trend = _window_naive(
                str(r["entity"]), str(r["partner"]), str(r["period"]), panel, holdout
            )
        naive_last.append(last)
        naive_trend.append(trend)
    out["naive_last"] = naive_last
    out["naive_trend"] = naive_trend

    def error(values: pd.Series) -> pd.Series:
        factor = out["error_kind"] == "model/panel"
        log_err = np.abs(np.log(np.maximum(values, 1e-12) / np.maximum(out["panel"], 1e-12)))
        return pd.Series(np.where(factor, log_err, np.abs(values - out["panel"])), index=out.index)

    def result(values: pd.Series) -> pd.Series:
        factor = out["error_kind"] == "model/panel"
        ok_factor = error(values) <= np.log(out["tolerance"])
        ok_points = error(values) <= out["tolerance"]
        ok = np.where(factor, ok_factor, ok_points)
        return pd.Series(np.where(values.isna(), "", np.where(ok, "PASS", "FAIL")), index=out.index)

    model_err = error(out["model"])
    out["naive_last_result"] = result(out["naive_last"])
    out["naive_trend_result"] = result(out["naive_trend"])
    outside = out["sample"] == "out"
    out["beats_last"] = np.where(outside, model_err < error(out["naive_last"]), False)
    out["beats_trend"] = np.where(outside, model_err < error(out["naive_trend"]), False)
    return out


def holdout_summary(table: pd.DataFrame) -> pd.DataFrame:
    """PASS counts of the model and the naive forecasts out of sample, by series."""
    outside = table[table["sample"] == "out"]
    return outside.groupby("series").agg(
        figures=("result", "size"),
        model_pass=("result", lambda s: int((s == "PASS").sum())),
        last_pass=("naive_last_result", lambda s: int((s == "PASS").sum())),
        trend_pass=("naive_trend_result", lambda s: int((s == "PASS").sum())),
        model_beats_last=("beats_last", "sum"),
        model_beats_trend=("beats_trend", "sum"),
    )


def holdout_markdown(table: pd.DataFrame) -> dict[str, str]:
    """Markdown blocks of a holdout table: ``holdout-summary`` and ``holdout-rows``."""
    counts = holdout_summary(table)
    lines = [
        "| series | figures | model PASS | last value PASS | trend PASS | model beats last | "
        "model beats trend |",
        "|---|---|---|---|---|---|---|",
    ]
    for series, r in counts.iterrows():
        lines.append(
            f"| `{series}` | {int(r['figures'])} | {int(r['model_pass'])} | {int(r['last_pass'])} "
            f"| {int(r['trend_pass'])} | {int(r['model_beats_last'])} | "
            f"{int(r['model_beats_trend'])} |"
        )
    total = counts.sum()
    lines.append(
        f"| **all** | **{int(total['figures'])}** | **{int(total['model_pass'])}** | "
        f"**{int(total['last_pass'])}** | **{int(total['trend_pass'])}** | "
        f"**{int(total['model_beats_last'])}** | **{int(total['model_beats_trend'])}** |"
    )
    out = {"holdout-summary": "\n".join(lines)}
    outside = table[table["sample"] == "out"]
    lines = [
        "| series | entity | period | panel | model | 5-95% | model | last value | trend |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in outside.iterrows():
        kind = str(r["error_kind"])
        lines.append(
            f"| `{r['series']}` | {r['entity']} | {r['period']} | {_num(r['panel'], kind)} | "
            f"{_num(r['model'], kind)} | {_num(r['model_p05'], kind)} to "
            f"{_num(r['model_p95'], kind)} | {r['result']} | "
            f"{_num(r['naive_last'], kind)} {r['naive_last_result']} | "
            f"{_num(r['naive_trend'], kind)} {r['naive_trend_result']} |"
        )
    out["holdout-rows"] = "\n".join(lines)
    return out
