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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from influence_sim import seeds as sd
from influence_sim._lazy import former_names
from influence_sim.calendar import decimal_year, decimal_years
from influence_sim.ensemble import EnsembleOutput
from influence_sim.estimate import REGION_ARMS_SD, STATE_ARMS_SD, TRADE_SD
from influence_sim.kernel.arrays import ECON, SEC
from influence_sim.kernel.observables import window_arms_share
from influence_sim.panel import ARMS_SUPPLIERS, TRADE_PARTNERS, ArmsWindow, Panel

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from influence_sim._files import FigureOutput
    from influence_sim.plots import Shocks

TRADE_FACTOR = 2.0
STATE_ARMS_POINTS = 0.15
REGION_ARMS_POINTS = 0.05
TRADE_YEARS: tuple[int, ...] = (2000, 2005, 2010, 2014, 2019)
PANEL_LAST_TRADE = 2020
"""Last year of the panel's trade by partner (2021 is not in it: see ``docs/data.md``)."""
ARMS_WINDOWS: tuple[tuple[int, int], ...] = (
    (2000, 2004),
    (2005, 2009),
    (2010, 2014),
    (2015, 2019),
    (2016, 2020),
)


def _years(output: EnsembleOutput) -> np.ndarray:
    return np.floor(decimal_years(output.dates) - 1e-9).astype(int)


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
    noise: tuple[str, float],
) -> dict[str, object]:
    med = float(np.median(draws))
    lo, hi = (float(v) for v in np.quantile(draws, [0.05, 0.95]))
    predicted = _with_observation_error(draws, *noise)
    p_lo, p_hi = (float(v) for v in np.quantile(predicted, [0.05, 0.95]))
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
        "in_band": bool(lo <= observed <= hi),
        "predictive_p05": p_lo,
        "predictive_p95": p_hi,
        "in_predictive": bool(p_lo <= observed <= p_hi),
    }


PREDICTIVE_DRAWS = 20
"""Observation errors drawn per model draw for the predictive band (seeded: the same each time)."""


def _with_observation_error(draws: np.ndarray, scale: str, sd: float) -> np.ndarray:
    """Model draws with the likelihood's observation error added: what a statistic could read.

    ``scale`` is ``log`` (a trade flow: times ``exp(sd z)``) or ``share`` (a supplier share:
    plus ``sd z``, kept in 0-1). The errors come from a fixed seed, so a table is the same
    every time it is made.
    """
    z = np.random.default_rng(0).standard_normal((PREDICTIVE_DRAWS, np.size(draws)))
    values = np.asarray(draws, dtype=float)[None, :]
    if scale == "log":
        out: np.ndarray = values * np.exp(sd * z)
    else:
        out = np.clip(values + sd * z, 0.0, 1.0)
    return out.ravel()


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
                        ("log", TRADE_SD),
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
                        ("log", TRADE_SD),
                    )
                )
    arms = output.share[..., SEC] * output.volume[..., SEC][..., None]  # (T, B, S, K)
    step_years = _years(output)
    for first, last in windows:
        in_window = (step_years >= first) & (step_years <= last)
        if not np.any(in_window):
            continue
        label = f"{first}-{last}"
        model_region_share = window_arms_share(arms, in_window)  # (B, K)
        model_state_share = [
            window_arms_share(arms[:, :, i : i + 1], in_window) for i in range(dims.n_states)
        ]
        region_window = _window(panel, "region", first, last)
        for k, partner in enumerate(dims.partners[:-1]):
            series = ARMS_SUPPLIERS.get(partner)
            if series is None:
                continue
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
                        ("share", REGION_ARMS_SD),
                    )
                )
            for i, state in enumerate(dims.states):
                window = _window(panel, state, first, last)
                if window is None:
                    continue
                share = model_state_share[i][:, k]
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
                        ("share", STATE_ARMS_SD),
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
    "PANEL_LAST_TRADE",
    "REGION_ARMS_POINTS",
    "STATE_ARMS_POINTS",
    "TRADE_FACTOR",
    "TRADE_YEARS",
    "hindcast_arms_frame",
    "hindcast_table",
    "hindcast_trade_frame",
    "holdout_error_frame",
    "holdout_markdown",
    "holdout_summary",
    "holdout_table",
    "holdout_target_frame",
    "markdown_tables",
    "model_arms",
    "model_trade",
    "plot_hindcast_arms",
    "plot_hindcast_trade",
    "plot_holdout_errors",
    "plot_holdout_targets",
    "save_hindcast_figures",
    "save_holdout_figures",
    "summary",
    "target_rows",
]

__getattr__ = former_names(
    __name__,
    {"plot_hindcast": "save_hindcast_figures", "plot_holdout": "save_holdout_figures"},
)
"""Former names of the functions that write the figures, kept for one release with a warning."""


def save_hindcast_figures(
    output: EnsembleOutput,
    directory: Path,
    panel: Panel | None = None,
    holdout: int | None = None,
    figures: FigureOutput | None = None,
    shocks: Shocks | None = None,
) -> list[Path]:
    """Write the hindcast's figures against the panel: one per trade series, one for arms shares.

    Trade: for each state, the panel's yearly figures (points) and the model's median with its
    5-95% band over the replicates (log scale). Arms: for the region and each state, the panel's
    supplier shares per window (points at the window's middle) and the model's window shares
    (line with band).

    The figures draw :func:`hindcast_trade_frame` with :func:`plot_hindcast_trade` and
    :func:`hindcast_arms_frame` with :func:`plot_hindcast_arms`.

    Args:
        output: Recorded runs of the hindcast.
        directory: Folder to write into.
        panel: The country panel.
        holdout: First year out of sample: a dashed line marks it, and the titles say so.
        figures: Formats and resolution of the figures (default: PNG).
        shocks: The scenario's dated shocks, marked in every panel (named in the first).

    Returns:
        The files written.
    """
    from matplotlib.figure import Figure

    from influence_sim._files import figure_output
    from influence_sim.plots import label, shock_handle

    panel = panel or sd.panel_of(sd.load_seeds())
    written = []
    trade = hindcast_trade_frame(output, panel)
    for (partner, series), frame in trade.groupby(["partner", "series"], sort=False):
        fig = Figure(figsize=(7.0, 5.2))
        axes = fig.subplots(2, 3, sharex=True)
        plot_hindcast_trade(frame, axes.ravel(), holdout=holdout, shocks=shocks)
        fig.suptitle(
            f"Hindcast: trade with {label(str(partner))}, model against the country panel"
            + _holdout_note(holdout)
        )
        fig.tight_layout()
        written.extend(figure_output(figures).save(fig, directory / f"hindcast_{series}.png", 110))
    fig = Figure(figsize=(7.0, 5.8))
    axes = fig.subplots(2, 3, sharex=True, sharey=True)
    plot_hindcast_arms(
        hindcast_arms_frame(output, panel), axes.ravel(), holdout=holdout, shocks=shocks
    )
    handles, labels = axes.flat[0].get_legend_handles_labels()
    listed = _shock_list(shocks)
    if listed:
        handles.append(shock_handle())
        labels.append("shock")
    fig.legend(
        handles,
        labels,
        loc="lower center",
        bbox_to_anchor=(0.5, 0.06 if listed else 0.0),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    if listed:
        import textwrap

        text = textwrap.fill("Shocks: " + listed.replace("\n", "; "), 110)
        fig.text(0.5, 0.01, text, ha="center", va="bottom", fontsize=8)
    fig.suptitle(
        "Hindcast: arms-import shares by five-year window, model against the panel"
        + _holdout_note(holdout),
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.2 if listed else 0.1, 1, 1))
    written.extend(figure_output(figures).save(fig, directory / "hindcast_arms_shares.png", 110))
    return written


def hindcast_trade_frame(output: EnsembleOutput, panel: Panel | None = None) -> pd.DataFrame:
    """Trade of each state with each partner the panel has: the model's band and the panel's.

    Args:
        output: Recorded runs of the hindcast.
        panel: The country panel (default the package's).

    Returns:
        One row per partner, state and recorded date with ``source`` ``model`` (``value`` the
        median over the replicates, ``p05`` and ``p95`` its band), then one per panel figure
        with ``source`` ``panel`` (``value`` the figure; no band); also ``partner``,
        ``series`` (the panel's series), ``state`` and ``year`` (decimal years; a panel
        figure sits in the middle of its year). Volumes in USD bn a year.
    """
    panel = panel or sd.panel_of(sd.load_seeds())
    dims = output.dims
    dates = np.array([decimal_year(d) for d in output.dates])
    vol = output.share[..., ECON] * output.volume[..., ECON][..., None]  # (T, B, S, K)
    frames = []
    for k, partner in enumerate(dims.partners[:-1]):
        series = TRADE_PARTNERS.get(partner)
        if series is None:
            continue
        for i, state in enumerate(dims.states):
            band = np.quantile(vol[:, :, i, k], [0.05, 0.5, 0.95], axis=1)
            model = pd.DataFrame(
                {"source": "model", "year": dates, "value": band[1], "p05": band[0], "p95": band[2]}
            )
            parts = [model.assign(partner=partner, series=series, state=state)]
            if panel.has(state, series):
                measured = panel.annual(state, series)
                figures = pd.DataFrame(
                    {
                        "source": "panel",
                        "year": [y + 0.5 for y in measured],
                        "value": list(measured.values()),
                        "p05": math.nan,
                        "p95": math.nan,
                    }
                )
                parts.append(figures.assign(partner=partner, series=series, state=state))
            frames.extend(parts)
    columns = ["partner", "series", "state", "source", "year", "value", "p05", "p95"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


def plot_hindcast_trade(
    frame: pd.DataFrame,
    axes: Sequence[Axes],
    holdout: int | None = None,
    shocks: Shocks | None = None,
) -> Sequence[Axes]:
    """One partner's trade with each state, model against the panel, a panel per state.

    Each state's panel has the model's median with its 5-95% band (log scale) and the panel's
    yearly figures (points); the last axes hold the legend and the list of shocks.

    Args:
        frame: One partner's rows of :func:`hindcast_trade_frame`.
        axes: One axes per state, then one for the legend (the last).
        holdout: First year out of sample: a grey line marks it.
        shocks: Dated shocks, marked in every panel and listed under the legend.

    Returns:
        The axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogFormatter

    from influence_sim.plots import (
        label,
        mark_shocks,
        note_narrow_bands,
        power_colour,
        shock_handle,
    )

    class _PlainLog(LogFormatter):
        """Matplotlib's choice of log tick labels, written as plain numbers (0.6, not 6e-01)."""

        def _num_to_string(self, x: float, vmin: float, vmax: float) -> str:
            return f"{x:g}"

    axes = list(axes)
    states = [str(s) for s in dict.fromkeys(frame["state"])]
    marked: list[Line2D] = []
    for i, state in enumerate(states):
        ax = axes[i]
        rows = frame[frame["state"] == state]
        model = rows[rows["source"] == "model"]
        measured = rows[rows["source"] == "panel"]
        colour = power_colour(str(model["partner"].iloc[0]))
        dates = model["year"].to_numpy(dtype=float)
        lo, median, hi = (model[c].to_numpy(dtype=float) for c in ("p05", "value", "p95"))
        ax.fill_between(dates, lo, hi, color=colour, alpha=0.25, lw=0)
        ax.plot(dates, median, color=colour, label="model (median, 5-95%)")
        if len(measured):
            ax.plot(
                measured["year"].to_numpy(dtype=float),
                measured["value"].to_numpy(dtype=float),
                "o",
                ms=3,
                color="black",
                label="panel",
            )
        ax.set_yscale("log")
        ax.set_title(label(state), fontsize=10)
        ax.set_ylabel("USD bn a year", fontsize=8)
        positive = (lo > 0) & (hi > 0)
        decades = np.log10(hi[positive] / lo[positive])
        # a formatter per axes: a log formatter picks its labels from its own axis's range
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(_PlainLog(labelOnlyBase=False, minor_thresholds=(1.2, 0.5)))
        ax.tick_params(axis="both", labelsize=8)
        marked = mark_shocks(ax, shocks, labels=False, position=decimal_year)
        note_narrow_bands(ax, [float(decades.max()) if decades.size else 0.0], 1.5)
    ax = axes[-1]
    handles, labels = axes[0].get_legend_handles_labels()
    ax.axis("off")
    if marked:
        handles.append(shock_handle())
        labels.append("shock (dates below)")
    ax.legend(handles, labels, loc="upper center", fontsize=8, frameon=False)
    ax.text(0.02, 0.55, _shock_list(shocks), transform=ax.transAxes, va="top", fontsize=8)
    for ax in axes[: len(states)]:
        _mark_holdout(ax, holdout)
    return axes


def hindcast_arms_frame(output: EnsembleOutput, panel: Panel | None = None) -> pd.DataFrame:
    """Arms-import shares by supplier and five-year window: the model's band and the panel's.

    Args:
        output: Recorded runs of the hindcast.
        panel: The country panel (default the package's).

    Returns:
        One row per entity (``region``, the five states pooled, then each state), supplier
        and window of :data:`ARMS_WINDOWS` the run reaches: ``entity``, ``partner``, ``year``
        (the window's middle), ``p05``, ``median`` and ``p95`` of the model's share over the
        replicates, and ``panel`` (the panel's share; NaN where it has none).
    """
    panel = panel or sd.panel_of(sd.load_seeds())
    dims = output.dims
    dates = np.array([decimal_year(d) for d in output.dates])
    rows: list[dict[str, object]] = []
    arms = output.share[..., SEC] * output.volume[..., SEC][..., None]  # (T, B, S, K)
    years = np.floor(dates - 1e-9).astype(int)
    entities = ("region", *dims.states)
    for entity in entities:
        for k, partner in enumerate(dims.partners[:-1]):
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
                    share = window_arms_share(arms, m)[:, k]
                else:
                    s = dims.states.index(entity)
                    share = window_arms_share(arms[:, :, s : s + 1], m)[:, k]
                window = _window(panel, entity, first, last)
                observed = window.shares.get(partner) if window is not None else None
                q = np.quantile(share, [0.05, 0.5, 0.95])
                mids.append((first + last + 1) / 2.0)
                lo.append(q[0])
                med.append(q[1])
                hi.append(q[2])
                if observed is not None:
                    obs_mid.append((first + last + 1) / 2.0)
                    obs.append(observed)
            observed_at = dict(zip(obs_mid, obs, strict=True))
            rows.extend(
                {
                    "entity": entity,
                    "partner": partner,
                    "year": middle,
                    "p05": low,
                    "median": centre,
                    "p95": high,
                    "panel": observed_at.get(middle, math.nan),
                }
                for middle, low, centre, high in zip(mids, lo, med, hi, strict=True)
            )
    columns = ["entity", "partner", "year", "p05", "median", "p95", "panel"]
    return pd.DataFrame(rows, columns=columns)


def plot_hindcast_arms(
    frame: pd.DataFrame,
    axes: Sequence[Axes],
    holdout: int | None = None,
    shocks: Shocks | None = None,
) -> Sequence[Axes]:
    """Arms-import shares by supplier per window, model against the panel, a panel per entity.

    Each entity's panel has, per supplier, the model's median share with its 5-95% band
    (line at the windows' middles) and the panel's shares (points).

    Args:
        frame: :func:`hindcast_arms_frame`.
        axes: One axes per entity (the region first), in the frame's order; a grey line marks
            the holdout in every axes given.
        holdout: First year out of sample.
        shocks: Dated shocks, marked in every panel.

    Returns:
        The axes.
    """
    from influence_sim.plots import label, mark_shocks, power_colour

    axes = list(axes)
    entities = [str(e) for e in dict.fromkeys(frame["entity"])]
    measured = set(frame.loc[frame["panel"].notna(), "partner"])  # no legend entry for the rest
    for ax, entity in zip(axes, entities, strict=False):
        mine = frame[frame["entity"] == entity]
        for partner in dict.fromkeys(mine["partner"]):
            colour = power_colour(str(partner))
            rows = mine[mine["partner"] == partner]
            seen = rows[rows["panel"].notna()]
            middles = rows["year"].to_numpy(dtype=float)
            ax.fill_between(
                middles,
                rows["p05"].to_numpy(dtype=float),
                rows["p95"].to_numpy(dtype=float),
                color=colour,
                alpha=0.25,
                lw=0,
            )
            ax.plot(
                middles,
                rows["median"].to_numpy(dtype=float),
                color=colour,
                label=f"{label(str(partner))}, model",
            )
            if partner not in measured:
                continue
            ax.plot(
                seen["year"].to_numpy(dtype=float),
                seen["panel"].to_numpy(dtype=float),
                "o",
                color=colour,
                mec="black",
                ms=5,
                label=f"{label(str(partner))}, panel",
            )
        ax.set_title(label(entity) if entity != "region" else "Region (five states)", fontsize=10)
        ax.set_ylim(0, 1)
        ax.set_ylabel("share of arms imports", fontsize=8)
        mark_shocks(ax, shocks, labels=False, position=decimal_year)
        ax.tick_params(axis="both", labelsize=8)
    for ax in axes:
        _mark_holdout(ax, holdout)
    return axes


def _mark_holdout(ax: Any, holdout: int | None) -> None:
    if holdout is not None:
        ax.axvline(holdout, color="grey", ls="-", lw=1.5, alpha=0.7)


def _holdout_note(holdout: int | None) -> str:
    return "" if holdout is None else f"\n(fitted to the panel before {holdout}; grey line)"


def _shock_list(shocks: Shocks | None) -> str:
    """The dated shocks, one ``YYYY-MM name`` a line, for a figure's legend."""
    from influence_sim.plots import _shock_groups

    return "\n".join(
        f"{day:%Y-%m} {', '.join(n.replace('_', ' ') for n in names)}"
        for day, names in _shock_groups(shocks)
    )


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
    return _yearly_naive(panel.annual(entity, series), year, holdout)


def _yearly_naive(values: dict[int, float], year: int, holdout: int) -> tuple[float, float]:
    """Last value (year ``holdout - 1``) and the log-linear trend of the five years before."""
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
    out["source"] = "panel"
    if "in_band" not in out.columns:
        out["in_band"] = (out["model_p05"] <= out["panel"]) & (out["panel"] <= out["model_p95"])
    if "in_predictive" not in out.columns:
        low = out.get("predictive_p05", out["model_p05"])
        high = out.get("predictive_p95", out["model_p95"])
        out["in_predictive"] = (low <= out["panel"]) & (out["panel"] <= high)
    return out


def target_rows(
    output: EnsembleOutput,
    holdout: int,
    panel: Panel | None = None,
    targets: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """The article's figures (``seeds/targets.csv``) out of sample, in the holdout table's form.

    Every target whose period starts in ``holdout`` or later (K1, K2 and K5 for a holdout at
    2015) and whose partners all take part in the run becomes a row: the model's value is the
    target's own metric (:class:`influence_sim.calibration.metrics.RegionalSeries`, as
    ``influence-sim report`` computes it), its median and 5-95% band over the replicates; PASS
    when the median lies within the target's tolerance. The two naive forecasts are made from
    the panel's figures for the same flow known before ``holdout``: the region's supplier-share
    windows for an arms share, the sum of the five states' trade with the partner for a
    regional trade volume, and the ratio of two such forecasts for a trade ratio.

    Args:
        output: Recorded runs of the hindcast.
        holdout: First year out of sample.
        panel: The country panel (default: the package's).
        targets: Targets (default: ``seeds/targets.csv``).

    Returns:
        One row per target out of sample, with the columns of :func:`holdout_table`; its
        ``panel`` column holds the article's figure and ``source`` names it.
    """
    from influence_sim.calibration.metrics import PeriodError, RegionalSeries
    from influence_sim.calibration.targets import load_targets

    panel = panel or sd.panel_of(sd.load_seeds())
    if targets is None:
        targets = load_targets(sd.seeds_dir() / "targets.csv")
    series = RegionalSeries.from_output(output)
    states = output.dims.states

    def regional_trade(partner: str) -> dict[int, float]:
        name = TRADE_PARTNERS[partner]
        years: dict[int, float] = {}
        for state in states:
            for year, value in panel.annual(state, name).items():
                years[year] = years.get(year, 0.0) + value
        return years

    rows: list[dict[str, object]] = []
    for target in targets:
        if target.period_start.year < holdout:
            continue
        if not set(target.metric.partners) <= set(series.partners):
            continue  # a power the scenario removed has no model value
        try:
            draws = series.values(target.metric, target.period_start, target.period_end)
        except PeriodError:
            continue
        kind, partners = target.metric.kind, target.metric.partners
        first, last = target.period_start.year, target.period_end.year
        period = str(first) if first == last else f"{first}-{last}"
        if kind.endswith("security_share") and partners[0] in TRADE_PARTNERS:
            naive = _window_naive("region", partners[0], period, panel, holdout)
        elif kind == "regional_trade_usd_bn" and partners[0] in TRADE_PARTNERS:
            naive = _yearly_naive(regional_trade(partners[0]), last, holdout)
        elif kind == "trade_ratio" and all(p in TRADE_PARTNERS for p in partners):
            top = _yearly_naive(regional_trade(partners[0]), last, holdout)
            bottom = _yearly_naive(regional_trade(partners[1]), last, holdout)
            naive = (top[0] / bottom[0], top[1] / bottom[1])
        else:
            naive = (math.nan, math.nan)
        if kind == "trade_ratio":
            noise = ("log", TRADE_SD * math.sqrt(2.0))
        elif kind.endswith("_usd_bn"):
            noise = ("log", TRADE_SD)
        else:
            noise = ("share", REGION_ARMS_SD)
        row = _row(
            target.id,
            "region",
            "/".join(partners),
            period,
            target.value,
            draws,
            "points",
            target.tolerance,
            noise,
        )
        model_err = abs(float(row["model"]) - target.value)  # type: ignore[arg-type]
        for name, value in zip(("last", "trend"), naive, strict=True):
            err = abs(value - target.value)
            row[f"naive_{name}"] = value
            row[f"naive_{name}_result"] = (
                "" if math.isnan(value) else ("PASS" if err <= target.tolerance else "FAIL")
            )
            row[f"beats_{name}"] = bool(model_err < err)
        row["sample"] = "out"
        row["source"] = target.source.split(":")[0]
        rows.append(row)
    return pd.DataFrame(rows)


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
        in_band=("in_band", "sum"),
        in_predictive=("in_predictive", "sum"),
    )


def holdout_markdown(table: pd.DataFrame) -> dict[str, str]:
    """Markdown blocks of a holdout table.

    ``holdout-summary`` (out of sample, by series, with the naive forecasts),
    ``holdout-insample`` (in sample, by series) and ``holdout-rows`` (every figure out of sample).
    """
    counts = holdout_summary(table)
    lines = [
        "| series | figures | model PASS | last value PASS | trend PASS | model beats last | "
        "model beats trend | inside the model's 5-95% band | inside the predictive band |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for series, r in counts.iterrows():
        lines.append(
            f"| `{series}` | {int(r['figures'])} | {int(r['model_pass'])} | {int(r['last_pass'])} "
            f"| {int(r['trend_pass'])} | {int(r['model_beats_last'])} | "
            f"{int(r['model_beats_trend'])} | {int(r['in_band'])} | {int(r['in_predictive'])} |"
        )
    total = counts.sum()
    lines.append(
        f"| **all** | **{int(total['figures'])}** | **{int(total['model_pass'])}** | "
        f"**{int(total['last_pass'])}** | **{int(total['trend_pass'])}** | "
        f"**{int(total['model_beats_last'])}** | **{int(total['model_beats_trend'])}** | "
        f"**{int(total['in_band'])}** | **{int(total['in_predictive'])}** |"
    )
    out = {"holdout-summary": "\n".join(lines)}
    inside = table[table["sample"] == "in"]
    lines = [
        "| series | figures | model PASS | inside the model's 5-95% band | "
        "inside the predictive band |",
        "|---|---|---|---|---|",
    ]
    for series, group in inside.groupby("series"):
        lines.append(
            f"| `{series!s}` | {len(group)} | {int((group['result'] == 'PASS').sum())} | "
            f"{int(group['in_band'].sum())} | {int(group['in_predictive'].sum())} |"
        )
    lines.append(
        f"| **all** | **{len(inside)}** | **{int((inside['result'] == 'PASS').sum())}** | "
        f"**{int(inside['in_band'].sum())}** | **{int(inside['in_predictive'].sum())}** |"
    )
    out["holdout-insample"] = "\n".join(lines)
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


def _tolerance_units(table: pd.DataFrame, values: pd.Series) -> np.ndarray:
    """Absolute error of ``values`` against the observed figure, in tolerances (1 = the limit)."""
    factor = (table["error_kind"] == "model/panel").to_numpy()
    observed = table["panel"].to_numpy(dtype=float)
    v = values.to_numpy(dtype=float)
    tol = table["tolerance"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_err = np.abs(np.log(np.maximum(v, 1e-12) / np.maximum(observed, 1e-12))) / np.log(tol)
        out: np.ndarray = np.where(factor, log_err, np.abs(v - observed) / tol)
    return out


_FORECASTS: tuple[tuple[str, str, str], ...] = (
    ("model", "model (median)", "#1f77b4"),
    ("naive_last", "last value", "#7f7f7f"),
    ("naive_trend", "trend", "#ff7f0e"),
)
"""The forecasts of an out-of-sample figure: column, legend text and colour."""


def holdout_error_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Errors of the out-of-sample figures in units of their tolerance (1 is the PASS limit).

    Trade errors are log ratios over the log of the tolerance factor, share errors absolute
    differences over the tolerance.

    Args:
        table: From :func:`holdout_table`, with :func:`target_rows` appended.

    Returns:
        One row per out-of-sample figure: ``series``, ``entity``, ``partner``, ``period``,
        and the errors of the model's median (``model``) and of the two naive forecasts
        (``naive_last``, ``naive_trend``).
    """
    outside = table[table["sample"] == "out"].reset_index(drop=True)
    errors = {key: _tolerance_units(outside, outside[key]) for key, _, _ in _FORECASTS}
    return outside[["series", "entity", "partner", "period"]].assign(**errors)


def holdout_target_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The out-of-sample figures that are not the panel's (the article's targets).

    Args:
        table: From :func:`holdout_table`, with :func:`target_rows` appended.

    Returns:
        Those rows of ``table`` (its columns; the index numbers the out-of-sample rows).
    """
    outside = table[table["sample"] == "out"].reset_index(drop=True)
    return outside[outside.get("source", pd.Series("panel", index=outside.index)) != "panel"]


def plot_holdout_errors(errors: pd.DataFrame, ax: Axes) -> Axes:
    """Each out-of-sample figure's error for the model and the two naive forecasts, by series.

    One dot per figure (errors capped at 6, jittered up and down), a bar at each median, and
    a dashed line at the PASS limit.

    Args:
        errors: :func:`holdout_error_frame`.
        ax: Axes to draw on.

    Returns:
        The axes.
    """
    series = list(dict.fromkeys(errors["series"]))
    rng = np.random.default_rng(0)  # jitter only: no effect on any number
    for j, name in enumerate(series):
        mask = (errors["series"] == name).to_numpy()
        for o, (key, text, colour) in enumerate(_FORECASTS):
            y = j + (o - 1) * 0.25
            e = np.minimum(errors[key].to_numpy(dtype=float)[mask], 6.0)
            e = e[np.isfinite(e)]
            if e.size == 0:
                continue
            jitter = rng.uniform(-0.06, 0.06, e.size)
            ax.plot(
                e, y + jitter, "o", ms=3, color=colour, alpha=0.6, label=text if j == 0 else None
            )
            ax.plot([np.median(e)] * 2, [y - 0.1, y + 0.1], color=colour, lw=2.5)
    ax.axvline(1.0, color="black", ls="--", lw=1, label="PASS limit")
    ax.set_yticks(range(len(series)))
    ax.set_yticklabels([f"{s} ({int((errors['series'] == s).sum())})" for s in series], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 6.2)
    ax.set_xlabel("error in tolerances (capped at 6; bar: median)")
    ax.set_title(
        "Out of sample: the model's error against two naive forecasts,\nfigure by figure",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_holdout_targets(targets: pd.DataFrame, axes: Sequence[Axes]) -> Sequence[Axes]:
    """One panel per figure: the figure with its tolerance, the model and two naive forecasts.

    Args:
        targets: :func:`holdout_target_frame` (or any rows of a holdout table).
        axes: One axes per row of ``targets``.

    Returns:
        The axes.
    """
    for ax, (_, r) in zip(axes, targets.iterrows(), strict=True):
        ax.axhspan(
            r["panel"] - r["tolerance"],
            r["panel"] + r["tolerance"],
            color="#2ca02c",
            alpha=0.2,
            lw=0,
            label="figure ± tolerance",
        )
        ax.axhline(r["panel"], color="#2ca02c", lw=1.5)
        ax.errorbar(
            [0],
            [r["model"]],
            yerr=[[r["model"] - r["model_p05"]], [r["model_p95"] - r["model"]]],
            fmt="o",
            color="#1f77b4",
            capsize=4,
            label="model (median, 5-95%)",
        )
        ax.plot([1], [r["naive_last"]], "s", color="#7f7f7f", label="last value")
        ax.plot([2], [r["naive_trend"]], "^", color="#ff7f0e", label="trend")
        ax.set_xticks([0, 1, 2])
        ax.set_xticklabels(["model", "last", "trend"], fontsize=8)
        ax.set_xlim(-0.6, 2.6)
        ax.set_title(f"{str(r['series']).split('_')[0]}: {r['partner']} {r['period']}", fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
    return axes


def save_holdout_figures(
    table: pd.DataFrame, directory: Path, figures: FigureOutput | None = None
) -> list[Path]:
    """Write the holdout's figures: errors against the naive forecasts, and the article's figures.

    ``holdout_errors.png``: for each series, every out-of-sample figure's error in units of
    its tolerance (1 is the PASS limit; trade errors are log ratios over ``log 2``) for the
    model's median and the two naive forecasts, one dot per figure and a bar at the median.
    ``holdout_targets.png`` (when the table has the article's figures): each figure with its
    tolerance, the model's median and 5-95% band, and the two naive forecasts.

    The figures draw :func:`holdout_error_frame` with :func:`plot_holdout_errors` and
    :func:`holdout_target_frame` with :func:`plot_holdout_targets`.

    Args:
        table: From :func:`holdout_table`, with :func:`target_rows` appended.
        directory: Folder to write into.
        figures: Formats and resolution of the figures (default: PNG).

    Returns:
        The files written.
    """
    from matplotlib.figure import Figure

    from influence_sim._files import figure_output

    errors = holdout_error_frame(table)
    written: list[Path] = []
    if errors.empty:
        return written
    series = list(dict.fromkeys(errors["series"]))
    fig = Figure(figsize=(7.0, 0.42 * len(series) * 1.6 + 1.6))
    ax = fig.subplots()
    plot_holdout_errors(errors, ax)
    fig.tight_layout()
    written.extend(figure_output(figures).save(fig, directory / "holdout_errors.png", 110))
    targets = holdout_target_frame(table)
    if not targets.empty:
        fig = Figure(figsize=(7.0, 3.6))
        axes = fig.subplots(1, len(targets))
        axes = np.atleast_1d(axes)
        plot_holdout_targets(targets, axes)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8, frameon=False)
        fig.suptitle("Out of sample: the article's figures (Kennan Cable 52)", fontsize=10)
        fig.tight_layout(rect=(0, 0.08, 1, 1))
        written.extend(figure_output(figures).save(fig, directory / "holdout_targets.png", 110))
    return written
