"""Matplotlib figures of results, with one fixed colour per power everywhere.

Every plot function takes data and an optional ``ax`` and returns the axes it drew on, so
figures compose in notebooks. :func:`save_standard_plots` draws the set the CLI writes. Figures
are built without pyplot's global state, so saving plots never opens a window.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from influence_sim._files import save_figure_atomic

if TYPE_CHECKING:
    from influence_sim.results import Results

POWER_COLOURS: dict[str, str] = {
    "china": "#c0392b",
    "russia": "#1f4e9c",
    "united_states": "#2e8b57",
    "rest_of_world": "#a6a6a6",
    "turkey": "#e67e22",
    "eu": "#7d3c98",
    "european_union": "#7d3c98",
    "india": "#b7950b",
}
_FALLBACK = ("#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f")
STATE_COLOURS: dict[str, str] = {
    "kazakhstan": "#00a3e0",
    "kyrgyzstan": "#d4302b",
    "tajikistan": "#2c8c3c",
    "turkmenistan": "#7a3e9d",
    "uzbekistan": "#e09b00",
}


def power_colour(name: str) -> str:
    """The fixed colour of a power (rest of world grey; unknown powers a stable fallback)."""
    if name in POWER_COLOURS:
        return POWER_COLOURS[name]
    return _FALLBACK[sum(map(ord, name)) % len(_FALLBACK)]


def label(name: str) -> str:
    """Human-readable name: ``united_states`` -> ``United States``."""
    if name == "rest_of_world":
        return "Rest of world"
    if name in ("eu", "european_union"):
        return "EU"
    return name.replace("_", " ").title()


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 4.0)) -> Axes:
    if ax is not None:
        return ax
    fig = Figure(figsize=size, layout="constrained")
    return fig.add_subplot()


def _dates(values: Any) -> np.ndarray:
    return np.asarray(pd.to_datetime(np.asarray(values)))


def _format_time_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)


def plot_state_shares(
    timeseries: pd.DataFrame,
    state: str,
    domain: str,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Stacked shares of one state's profile over time (mean over replicates).

    Args:
        timeseries: :attr:`Results.timeseries` or any frame with its columns.
        state: State to show.
        domain: ``economic`` or ``security``.
        ax: Axes to draw on; a new figure if None.
        title: Title; defaults to the state and domain.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    sel = timeseries[(timeseries["state"] == state) & (timeseries["domain"] == domain)]
    table = sel.groupby(["date", "power"], sort=False)["share"].mean().unstack("power")
    order = list(dict.fromkeys(sel["power"]))
    table = table[order]
    ax.stackplot(
        _dates(table.index),
        table.to_numpy().T,
        labels=[label(p) for p in order],
        colors=[power_colour(p) for p in order],
        alpha=0.9,
    )
    ax.set_ylim(0, 1)
    ax.set_ylabel(f"{domain} share (fraction)")
    ax.set_xlabel("date")
    ax.set_title(title or f"{label(state)}: {domain} shares")
    _format_time_axis(ax)
    return ax


def plot_regional(
    regional: pd.DataFrame,
    domain: str,
    quantity: str = "share",
    powers: tuple[str, ...] = ("china", "russia"),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Regional series of some powers with the median and a 5-95% band over replicates.

    Args:
        regional: :attr:`Results.regional` or a frame with its columns.
        domain: ``economic`` or ``security``.
        quantity: ``share`` or ``volume_usd_bn``.
        powers: Powers to draw.
        ax: Axes to draw on; a new figure if None.
        title: Title.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    sel = regional[(regional["domain"] == domain) & regional["power"].isin(powers)]
    for power in powers:
        group = sel[sel["power"] == power].groupby("date", sort=True)[quantity]
        dates = _dates(np.asarray(list(group.groups.keys())))
        median = group.median().to_numpy()
        lo, hi = group.quantile(0.05).to_numpy(), group.quantile(0.95).to_numpy()
        colour = power_colour(power)
        ax.plot(dates, median, color=colour, label=label(power), linewidth=2)
        if np.any(hi > lo):
            ax.fill_between(dates, lo, hi, color=colour, alpha=0.2, linewidth=0)
    ax.set_ylim(bottom=0)
    unit = "fraction" if quantity == "share" else "USD bn per year"
    what = "trade" if domain == "economic" else "arms imports"
    noun = "share of regional" if quantity == "share" else "regional"
    ax.set_ylabel(f"{noun} {what} ({unit})")
    ax.set_xlabel("date")
    ax.set_title(title or f"Regional {what}: {', '.join(label(p) for p in powers)}")
    ax.legend(loc="best", fontsize="small")
    _format_time_axis(ax)
    return ax


def plot_threat(states: pd.DataFrame, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Threat perception of each state over time (median over replicates).

    Args:
        states: :attr:`Results.states` or a frame with its columns.
        ax: Axes to draw on; a new figure if None.
        title: Title.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    for state, group in states.groupby("state", sort=False):
        series = group.groupby("date", sort=True)["threat"].median()
        ax.plot(
            _dates(series.index),
            series.to_numpy(),
            label=label(str(state)),
            color=STATE_COLOURS.get(str(state)),
            linewidth=2,
        )
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("threat perception (index 0-1)")
    ax.set_xlabel("date")
    ax.set_title(title or "Threat perception by state")
    ax.legend(loc="best", fontsize="small")
    _format_time_axis(ax)
    return ax


def _save(fig: Figure, path: Path) -> Path:
    return save_figure_atomic(fig, path, 110)


def save_standard_plots(results: Results, directory: Path) -> list[Path]:
    """Draw and save the standard figures of a run.

    ``shares_economic.png`` and ``shares_security.png`` (stacked shares per state),
    ``regional_china_russia.png`` (China vs Russia trade in USD and security shares) and
    ``threat.png``.

    Args:
        results: Results to draw.
        directory: Folder to write to.

    Returns:
        Paths written.
    """
    written = []
    states = results.dims.states
    for domain in ("economic", "security"):
        fig = Figure(figsize=(4.0 * len(states), 3.6), layout="constrained")
        axes = fig.subplots(1, len(states), sharey=True)
        for i, (ax, state) in enumerate(zip(np.atleast_1d(axes), states, strict=True)):
            plot_state_shares(results.timeseries, state, domain, ax=ax, title=label(state))
            if i > 0:
                ax.set_ylabel("")
        handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        fig.suptitle(f"{results.name}: {domain} shares by state")
        written.append(_save(fig, directory / f"shares_{domain}.png"))

    fig = Figure(figsize=(12, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_regional(
        results.regional, "economic", "volume_usd_bn", ax=left, title="Trade with the region"
    )
    plot_regional(
        results.regional, "security", "share", ax=right, title="Share of regional arms imports"
    )
    fig.suptitle(f"{results.name}: China and Russia in the region")
    written.append(_save(fig, directory / "regional_china_russia.png"))

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    plot_threat(results.states, ax=ax, title=f"{results.name}: threat perception by state")
    written.append(_save(fig, directory / "threat.png"))
    return written


def plot_relations(
    relations: pd.DataFrame, ax: Axes | None = None, title: str | None = None
) -> Axes:
    """China-Russia trust and Afghan instability over time (median over replicates).

    Args:
        relations: :attr:`Results.relations` or a frame with its columns (date, trust,
            afghan_instability).
        ax: Axes to draw on; a new figure if None.
        title: Title.

    Returns:
        The axes.
    """
    ax = _axes(ax)
    for column, name, colour in (
        ("trust", "China-Russia trust", "#6c3483"),
        ("afghan_instability", "Afghan instability", "#7b7d7d"),
    ):
        if column not in relations:
            continue
        series = relations.groupby("date", sort=True)[column].median()
        ax.plot(_dates(series.index), series.to_numpy(), color=colour, linewidth=2, label=name)
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("index (0-1)")
    ax.set_xlabel("date")
    ax.set_title(title or "China-Russia trust and Afghan instability")
    ax.legend(loc="best", fontsize="small")
    _format_time_axis(ax)
    return ax
