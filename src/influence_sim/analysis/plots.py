"""Figures of the analysis: fan charts, differences, small multiples, waterfalls, indices.

The look is that of :mod:`influence_sim.plots`: one fixed colour per power
(:data:`influence_sim.plots.POWER_COLOURS`), labelled axes with units, dates on time axes and
titles that name the scenario. Every ``plot_*`` function takes data and an optional ``ax`` and
returns the axes it drew on; ``figure_*`` functions compose several axes into a figure. Figures
are built without pyplot, so nothing opens a window.

Bands over replicates are fans (:func:`influence_sim.plots.draw_fan`: median, a 5-95% band and
a darker 25-75% band, drawn only when the runs differ). Time-series plots take ``shocks=``
((date, name) pairs or shock records) and mark them with :func:`influence_sim.plots.mark_shocks`;
the functions take frames only, never the objects that hold them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from influence_sim._text import check_choice
from influence_sim.kernel.arrays import DOMAINS
from influence_sim.plots import (
    FAN_ALPHAS,
    FIGURE_WIDTH,
    LINESTYLES,
    NO_CHANGE,
    REFERENCE,
    Shocks,
    draw_fan,
    format_time_axis,
    grid,
    label,
    label_bottom,
    mark_shocks,
    note_narrow_bands,
    note_no_change,
    power_colour,
    quantiles_by_date,
    scenario_style,
    shock_handle,
    suptitle_text,
)
from influence_sim.seeds import DYAD

REST_OF_WORLD = "rest_of_world"

DPI = 110

_WHAT = {"economic": "trade", "security": "arms imports"}

FAN_LEGEND = "median, 25-75% and 5-95% bands over replicates"

OVERLAY_ALPHAS: tuple[float, float] = (0.12, 0.24)
"""Opacity of the fans' bands where several scenarios are overlaid on one axes."""


def difference_legend(paired: bool, band: bool = True) -> str:
    """Legend title of a difference plot: what the line and band are.

    ``band`` False says a paired difference has none (a single pair of replicates).
    """
    if paired and not band:
        return "paired by replicate: the difference of a single pair (no band)"
    if paired:
        return "paired by replicate: median and 5-95% band of the differences"
    return "unpaired: difference of the medians"


def _has_band(differences: pd.DataFrame) -> bool:
    """Whether rows of differences hold a band (not for a single pair, NaN ``p5`` and ``p95``)."""
    return differences.empty or bool(differences[["p5", "p95"]].notna().to_numpy().any())


def _axes(ax: Axes | None, size: tuple[float, float] = (FIGURE_WIDTH, 4.2)) -> Axes:
    if ax is not None:
        return ax
    return Figure(figsize=size, layout="constrained").add_subplot()


def _dates(values: Any) -> np.ndarray:
    return np.asarray(pd.to_datetime(np.asarray(values)))


def _time_axis(ax: Axes) -> None:
    format_time_axis(ax)
    ax.set_xlabel("date")


def _present(frame: pd.DataFrame, powers: Sequence[str] | None) -> list[str]:
    """The powers to draw: those asked for, or every power (not rest of world) in the data."""
    have = [str(p) for p in dict.fromkeys(frame["partner"])]
    if powers is None:
        return [p for p in have if p != REST_OF_WORLD]
    return [p for p in powers if p in have]


def plot_fan(
    regional: pd.DataFrame,
    domain: str,
    powers: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
    shocks: Shocks | None = None,
) -> Axes:
    """Fan chart: median regional share of each power with 25-75% and 5-95% bands.

    Args:
        regional: Regional shares over replicates (``Results.regional`` or the same columns:
            replicate, date, partner, domain, share).
        domain: ``economic`` or ``security``.
        powers: Powers to draw; default every power in the data (not rest of world).
        ax: Axes to draw on; a new figure if None.
        title: Title (should name the scenario).
        legend: Whether to draw a legend on the axes.
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).

    Returns:
        The axes.
    """
    check_choice("domain", domain, DOMAINS)
    ax = _axes(ax)
    sel = regional[regional["domain"] == domain]
    widths = []
    for power in _present(sel, powers):
        q = quantiles_by_date(sel[sel["partner"] == power], "share")
        widths.append(draw_fan(ax, q, power_colour(power), label(power), linewidth=2))
    ax.set_ylabel(f"share of regional {_WHAT.get(domain, domain)} (fraction)")
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_title(title or f"Regional {domain} shares")
    if legend:
        ax.legend(loc="best", fontsize="small", title=FAN_LEGEND, title_fontsize="small")
    _time_axis(ax)
    mark_shocks(ax, shocks)
    note_no_change(ax)
    note_narrow_bands(ax, widths, linewidth=2)
    return ax


def plot_difference(
    differences: pd.DataFrame,
    domain: str,
    powers: Sequence[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    legend: bool = True,
    shocks: Shocks | None = None,
) -> Axes:
    """Difference of regional shares to the reference scenario, in percentage points.

    Args:
        differences: Rows of :attr:`Comparison.differences` for one scenario (date, partner,
            domain, median, p5, p95, paired); NaN ``p5`` and ``p95`` (a single pair) draw no
            band.
        domain: ``economic`` or ``security``.
        powers: Powers to draw; default every power in the data (not rest of world).
        ax: Axes to draw on; a new figure if None.
        title: Title (should name both scenarios).
        legend: Whether to draw a legend on the axes.
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).

    Returns:
        The axes.
    """
    check_choice("domain", domain, DOMAINS)
    ax = _axes(ax)
    sel = differences[differences["domain"] == domain].sort_values("date")
    paired = bool(sel["paired"].all()) if len(sel) else True
    widths = []
    for power in _present(sel, powers):
        rows = sel[sel["partner"] == power]
        dates = _dates(rows["date"])
        colour = power_colour(power)
        lo, hi = 100 * rows["p5"].to_numpy(float), 100 * rows["p95"].to_numpy(float)
        if paired and np.any(hi - lo > 1e-9):
            ax.fill_between(dates, lo, hi, color=colour, alpha=FAN_ALPHAS[1] - 0.1, linewidth=0)
            widths.append(float(np.nanmax(hi - lo)))
        ax.plot(dates, 100 * rows["median"], color=colour, linewidth=2, label=label(power))
    ax.axhline(0.0, color="black", linewidth=0.8, gid=REFERENCE)
    ax.margins(x=0)
    ax.set_ylabel("difference in share (percentage points)")
    ax.set_title(title or f"Difference in {domain} shares")
    if legend:
        ax.legend(
            loc="best",
            fontsize="small",
            title=difference_legend(paired, _has_band(sel)),
            title_fontsize="small",
        )
    _time_axis(ax)
    mark_shocks(ax, shocks)
    if not note_no_change(ax):
        note_narrow_bands(ax, widths, linewidth=2)
    return ax


def plot_state_lines(
    timeseries: Mapping[str, pd.DataFrame],
    state: str,
    domain: str,
    powers: Sequence[str] = DYAD,
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
    shock_labels: bool = True,
) -> Axes:
    """One state's shares under several scenarios: median lines with 25-75% and 5-95% fans.

    Colour marks the power; line style, marker and shade mark the scenario (in the order of
    ``timeseries``, :func:`influence_sim.plots.scenario_style`), so that any number of
    scenarios stay apart. With one scenario the fans are as in :func:`plot_fan`; overlaid
    scenarios get lighter bands (:data:`OVERLAY_ALPHAS`) so that each stays visible through the
    others.

    Args:
        timeseries: Scenario name to its per-state shares (replicate, date, state, partner,
            domain, share).
        state: State to draw.
        domain: ``economic`` or ``security``.
        powers: Powers to draw.
        ax: Axes to draw on; a new figure if None.
        title: Title; default the state's name.
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).
        shock_labels: Whether to write the shocks' names beside their lines.

    Returns:
        The axes.
    """
    check_choice("domain", domain, DOMAINS)
    ax = _axes(ax)
    alphas = FAN_ALPHAS if len(timeseries) == 1 else OVERLAY_ALPHAS
    widths = []
    for i, (name, frame) in enumerate(timeseries.items()):
        sel = frame[(frame["state"] == state) & (frame["domain"] == domain)]
        for power in [p for p in powers if p in set(sel["partner"])]:
            q = quantiles_by_date(sel[sel["partner"] == power], "share")
            style = scenario_style(i, power_colour(power))
            colour = style.pop("color")
            widths.append(
                draw_fan(
                    ax,
                    q,
                    colour,
                    f"{label(power)}, {name}",
                    linewidth=1.6,
                    alphas=alphas,
                    **style,
                )
            )
    ax.set_ylabel(f"share of {_WHAT.get(domain, domain)} (fraction)")
    ax.set_ylim(0, 1)
    ax.margins(x=0)
    ax.set_title(title or label(state))
    _time_axis(ax)
    mark_shocks(ax, shocks, labels=shock_labels)
    note_no_change(ax)
    note_narrow_bands(ax, widths, linewidth=1.6)
    return ax


def scenario_legend_handles(names: Sequence[str], powers: Sequence[str]) -> list[Line2D]:
    """Legend handles of overlaid scenarios: one line per power, then one per scenario.

    A scenario's handle has its line style, marker and shade (of a neutral grey) as drawn by
    :func:`plot_state_lines`.

    Args:
        names: Scenario names, in drawing order.
        powers: Powers drawn.

    Returns:
        The handles, each with its label.
    """
    handles = [Line2D([], [], color=power_colour(p), linewidth=1.8, label=label(p)) for p in powers]
    for i, name in enumerate(names):
        style = scenario_style(i, "#666666")
        style.pop("markevery")
        handles.append(Line2D([], [], linewidth=1.6, label=name, **style))
    return handles


def figure_states(
    timeseries: Mapping[str, pd.DataFrame],
    domain: str,
    powers: Sequence[str] = DYAD,
    title: str | None = None,
    shocks: Shocks | None = None,
) -> Figure:
    """Small multiples: one panel per state, every scenario overlaid (see plot_state_lines).

    A page-wide grid (:func:`influence_sim.plots.grid`); the panel after the last state holds
    the legend: the powers' colours, then each scenario's line style and marker.

    Args:
        timeseries: Scenario name to its per-state shares.
        domain: ``economic`` or ``security``.
        powers: Powers to draw.
        title: Figure title; default names the scenarios.
        shocks: Shock dates to mark in every panel (named in the first), e.g. those of all
            the scenarios shown.

    Returns:
        The figure.
    """
    check_choice("domain", domain, DOMAINS)
    first = next(iter(timeseries.values()))
    states = [str(s) for s in dict.fromkeys(first["state"])]
    fig, axes = grid(len(states) + 1)
    for ax in axes[1 : len(states)]:
        ax.sharey(axes[0])
    cols = min(3, len(states) + 1)
    for i, (ax, state) in enumerate(zip(axes, states, strict=False)):
        plot_state_lines(
            timeseries, state, domain, powers, ax=ax, shocks=shocks, shock_labels=i == 0
        )
        ax.set_title(label(state), fontsize="medium")
        if i % cols:
            ax.set_ylabel("")
        label_bottom(ax, below=i + cols < len(states))
    legend_ax = axes[len(states)]
    handles: list[Any] = scenario_legend_handles(list(timeseries), powers)
    if any(line.get_label().startswith("_shock") for line in axes[0].get_lines()):
        handles.append(shock_handle("shock"))
    legend_ax.axis("off")
    legend_ax.legend(
        handles=handles,
        loc="center",
        fontsize="small",
        title="median, 25-75% and 5-95%",
        title_fontsize="small",
        ncols=2 if len(handles) > 12 else 1,
    )
    for ax in axes[len(states) + 1 :]:
        ax.axis("off")
    names = " vs ".join(timeseries)
    what = f"{_WHAT.get(domain, domain)} shares by state"
    fig.suptitle(title or suptitle_text(names, what), fontsize="medium")
    return fig


def _component_label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def plot_waterfall(
    steps: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    ylabel: str = "change in share (percentage points)",
    scale: float = 100.0,
) -> Axes:
    """Waterfall of contributions that add up to a total change.

    Each contribution is a bar starting where the previous one ended; the last bar is the
    total change (their sum). The levels the change goes from and to are written under the
    title, so the bars can use a scale that shows small changes.

    Args:
        steps: Rows in drawing order with columns ``component``, ``kind`` (``level`` for the
            start and end values, ``step`` for contributions), ``value`` (the level, or the
            contribution's mean) and optionally ``p5`` and ``p95`` (the 5-95% band of the
            contribution over replicates, drawn as an error bar at the bar's end).
        ax: Axes to draw on; a new figure if None.
        title: Title (should name the scenario, state and power).
        ylabel: Label of the value axis, with its unit.
        scale: Factor applied to contributions (100: fractions shown as percentage points).

    Returns:
        The axes.
    """
    ax = _axes(ax, (FIGURE_WIDTH, 4.4))
    parts = steps[steps["kind"] != "level"].reset_index(drop=True)
    levels = steps[steps["kind"] == "level"].reset_index(drop=True)
    up, down, rest, total_colour = "#2e86c1", "#e67e22", "#99a3a4", "#34495e"
    running = 0.0
    for x, row in enumerate(parts.to_dict("records")):
        value = float(row["value"]) * scale
        colour = rest if row["component"] == "remainder" else (up if value >= 0 else down)
        ax.bar(x, value, bottom=running, color=colour, width=0.65)
        if "p5" in row and np.isfinite(float(row["p5"])):
            end = running + value
            lo, hi = float(row["p5"]) * scale, float(row["p95"]) * scale
            err = np.array([[max(value - lo, 0.0)], [max(hi - value, 0.0)]])
            ax.errorbar(x, end, yerr=err, color="black", capsize=3, linewidth=0.9)
        if x + 1 < len(parts):
            ax.plot([x + 0.33, x + 0.67], [running + value] * 2, color="black", linewidth=0.6)
        running += value
    n = len(parts)
    ax.bar(n, running, color=total_colour, width=0.65)
    names = [_component_label(str(c)) for c in parts["component"]]
    ax.set_xticks(np.arange(n + 1), [*names, "Total change"], rotation=30, ha="right")
    ax.axhline(0.0, color="black", linewidth=0.8)
    heading = title or "Contributions of the mechanisms"
    if len(levels) == 2:
        first, last = levels.iloc[0], levels.iloc[1]
        heading += (
            f"\n{_component_label(str(first['component']))} "
            f"{float(first['value']):.4f} \u2192 "
            f"{str(last['component']).replace('_', ' ')} {float(last['value']):.4f} "
            "(means over replicates; bars: 5-95% bands)"
        )
    ax.set_ylabel(ylabel)
    ax.set_title(heading, fontsize="medium")
    ax.grid(axis="y", alpha=0.3)
    if not np.any(np.abs(parts["value"].to_numpy(dtype=float)) * scale > 1e-12):
        ax.axhline(0.0, color="#555555", linewidth=1.8)
        ax.text(
            0.5,
            0.5,
            NO_CHANGE,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#555555",
            fontsize="medium",
            bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#bbbbbb"},
        )
    return ax


def plot_indices(
    indices: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Sensitivity indices as horizontal bars, largest first (a tornado-like layout).

    Sobol' tables (``S1``, ``ST`` with ``S1_conf``, ``ST_conf``) show first- and total-order
    indices side by side with their 95% confidence intervals; Morris tables (``mu_star``,
    ``sigma`` with ``mu_star_conf``) show mu* with its interval and sigma beside it.

    Args:
        indices: One row per varied value with a ``parameter`` column and the index columns.
        ax: Axes to draw on; a new figure if None.
        title: Title (should name the sweep and the metric).

    Returns:
        The axes.
    """
    height = 1.9 + 0.5 * max(len(indices), 1)
    ax = _axes(ax, (FIGURE_WIDTH, height))
    if "ST" in indices:
        pairs = [
            ("ST", "ST_conf", "total order (ST)", "#1f4e9c"),
            ("S1", "S1_conf", "first order (S1)", "#85c1e9"),
        ]
        unit = "Sobol' index (share of output variance)"
        order = indices.sort_values("ST", ascending=True)
    else:
        pairs = [
            ("mu_star", "mu_star_conf", "mu* (mean absolute effect)", "#1f4e9c"),
            ("sigma", "", "sigma (spread of effects)", "#85c1e9"),
        ]
        unit = "elementary effect (metric units per factor range)"
        order = indices.sort_values("mu_star", ascending=True)
    y = np.arange(len(order))
    width = 0.38
    for j, (col, conf, text, colour) in enumerate(pairs):
        values = order[col].to_numpy(dtype=float)
        err = order[conf].to_numpy(dtype=float) if conf and conf in order else None
        ax.barh(
            y + (0.5 - j) * width,
            values,
            height=width,
            color=colour,
            label=text,
            xerr=err,
            error_kw={"capsize": 2, "linewidth": 0.8},
        )
    ax.set_yticks(y, [str(f) for f in order["parameter"]], fontsize="small")
    ax.axvline(0.0, color="black", linewidth=0.6)
    ax.set_xlabel(unit)
    ax.set_ylabel("varied value")
    ax.set_title(title or "Sensitivity indices")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _figure_legend(fig: Figure, ax: Axes, title: str, shocks: bool = False) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles and shocks:
        handles.append(shock_handle())
        labels.append("shock")
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 4),
            title=title,
            title_fontsize="small",
            fontsize="small",
        )


def union_shocks(*groups: Shocks | None) -> list[tuple[Any, str]]:
    """Shock dates of several scenarios together, each (date, name) once."""
    pairs: dict[tuple[str, str], tuple[Any, str]] = {}
    for group in groups:
        for item in group or ():
            if isinstance(item, Mapping):
                if item.get("triggered") or item.get("date") is None:
                    continue
                when, name = item["date"], str(item.get("name", "shock"))
            else:
                when, name = item[0], str(item[1])
            key = (pd.Timestamp(when).date().isoformat(), name)
            pairs.setdefault(key, (key[0], name))
    return [pairs[k] for k in sorted(pairs)]


def figure_fans(
    regional: pd.DataFrame, name: str, runs: str, shocks: Shocks | None = None
) -> Figure:
    """Economic and security fan charts of one scenario's regional shares, side by side.

    Args:
        regional: Regional rows of one scenario (replicate, date, partner, domain, share).
        name: Scenario name (title).
        runs: What the bands are over, e.g. ``"20 replicates"`` (title).
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(FIGURE_WIDTH, 3.9), layout="constrained")
    left, right = fig.subplots(1, 2)
    own = union_shocks(shocks)
    for ax, domain in ((left, "economic"), (right, "security")):
        plot_fan(regional, domain, ax=ax, title=f"Share of regional {_WHAT[domain]}", legend=False)
        mark_shocks(ax, own, labels=ax is left)
    _figure_legend(fig, left, FAN_LEGEND, bool(own))
    fig.suptitle(suptitle_text(name, f"regional shares ({runs})"), fontsize="medium")
    return fig


def figure_differences(
    differences: pd.DataFrame,
    name: str,
    reference: str,
    paired: bool,
    shocks: Shocks | None = None,
) -> Figure:
    """Economic and security differences of one scenario to the reference, side by side.

    Args:
        differences: Rows of one scenario's differences (date, partner, domain, median, p5,
            p95, paired).
        name: Scenario name (title).
        reference: Name of the scenario it is compared with (title).
        paired: Whether the difference was taken replicate by replicate (legend).
        shocks: Shock dates to mark (see :func:`influence_sim.plots.mark_shocks`).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(FIGURE_WIDTH, 3.9), layout="constrained")
    left, right = fig.subplots(1, 2)
    both = union_shocks(shocks)
    for ax, domain in ((left, "economic"), (right, "security")):
        plot_difference(
            differences, domain, ax=ax, title=f"Share of regional {_WHAT[domain]}", legend=False
        )
        mark_shocks(ax, both, labels=ax is left)
    _figure_legend(fig, left, difference_legend(paired, _has_band(differences)), bool(both))
    fig.suptitle(
        suptitle_text(name, f"difference to {reference} in regional shares"), fontsize="medium"
    )
    return fig


__all__ = [
    "LINESTYLES",
    "figure_differences",
    "figure_fans",
    "figure_states",
    "plot_difference",
    "plot_fan",
    "plot_indices",
    "plot_state_lines",
    "plot_waterfall",
    "scenario_legend_handles",
    "union_shocks",
]
