"""Matplotlib figures of results, with one fixed colour per power everywhere.

Every plot function takes data and an optional ``ax`` and returns the axes it drew on, so
figures compose in notebooks. :func:`save_standard_plots` draws the set the CLI writes. Figures
are built without pyplot's global state, so saving plots never opens a window.

Uncertainty over replicates is drawn as a fan (:func:`draw_fan`): the median line with a light
5-95% band and a darker 25-75% band, drawn only when the replicates differ. Time-series plots
take ``shocks=`` (e.g. :attr:`Results.shock_dates`) and mark each shock's date with
:func:`mark_shocks`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

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


FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles of a fan over replicates: outer band, inner band, median."""

FAN_ALPHAS: tuple[float, float] = (0.2, 0.4)
"""Opacity of the 5-95% and the 25-75% band of a fan (the inner band is drawn over the outer)."""

FAN_LEGEND = "median, 25-75% and 5-95% of replicates"
"""What a fan's line and bands are, for legend titles."""

SHOCK_COLOUR = "#333333"
"""Colour of the dashed lines that mark shock dates."""

SHOCK_STYLE: tuple[int, tuple[int, int]] = (0, (4, 3))
"""Dash pattern of the lines that mark shock dates."""

Shocks = Iterable[tuple[Any, str]] | Iterable[Mapping[str, Any]]
"""Shock dates: (date, name) pairs (:attr:`Results.shock_dates`) or records with ``date`` and
``name`` (as in ``metadata["shocks"]``); dates as ``datetime.date`` or ISO strings."""


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


def format_time_axis(ax: Axes) -> None:
    """Dates on the x axis, concisely labelled, with fewer ticks in narrow panels.

    Args:
        ax: Axes whose x axis holds dates.
    """
    width_pt, _ = _axes_size_points(ax)
    maxticks = int(min(max(width_pt / 26.0, 3), 11))
    locator = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_formatter(formatter)


def _shock_groups(shocks: Shocks | None) -> list[tuple[dt.date, list[str]]]:
    """Shock names grouped by date, in date order (names in their given order, no repeats)."""
    groups: dict[dt.date, list[str]] = {}
    for item in shocks or ():
        if isinstance(item, Mapping):
            if item.get("triggered"):
                continue
            when, name = item.get("date"), str(item.get("name", "shock"))
        else:
            when, name = item[0], str(item[1])
        if when is None:
            continue
        day = pd.Timestamp(when).date()
        names = groups.setdefault(day, [])
        if name not in names:
            names.append(name)
    return sorted(groups.items())


SHOCK_FONTSIZE = 6.5
"""Font size (points) of the names written beside shock lines."""

_SLOTS: tuple[tuple[str, str], ...] = (
    ("left", "top"),
    ("right", "top"),
    ("left", "bottom"),
    ("right", "bottom"),
)
"""Where a shock's label may go: (side of the line the text starts on, end of the axes)."""


def _axes_size_points(ax: Axes) -> tuple[float, float]:
    """Width and height of the axes in points (before a layout engine adjusts them)."""
    box = ax.get_position()
    fig = ax.get_figure(root=True)
    if fig is None:  # pragma: no cover - axes always belong to a figure here
        return 400.0, 250.0
    width, height = fig.get_size_inches()
    return float(box.width * width * 72.0), float(box.height * height * 72.0)


def _fit(name: str, max_chars: int) -> str:
    """A shock's name shortened to ``max_chars`` characters."""
    return name if len(name) <= max_chars else name[: max(max_chars - 1, 1)] + "\u2026"


def mark_shocks(ax: Axes, shocks: Shocks | None, labels: bool = True) -> list[Line2D]:
    """Mark shock dates on a time axis: a thin dashed vertical line with a small rotated label.

    Shocks on the same date share one line and one label (one name per line of text). Labels
    go beside their line at the top of the axes, on the side where they do not run into the
    previous label, or at the bottom when both sides are taken. The lines have a thin white
    edge so that they show on filled areas too. Shocks outside the axes' date range are left
    out, and the range is not changed. Call it after the data are drawn.

    Args:
        ax: Axes whose x axis holds dates (as drawn by the plots of this module).
        shocks: (date, name) pairs such as :attr:`Results.shock_dates`, or records with
            ``date`` and ``name``; None or empty draws nothing.
        labels: Whether to write the shocks' names beside the lines.

    Returns:
        The lines drawn, one per date.
    """
    lines: list[Line2D] = []
    groups = _shock_groups(shocks)
    if not groups:
        return lines
    low, high = sorted(ax.get_xlim())
    transform = blended_transform_factory(ax.transData, ax.transAxes)
    width_pt, height_pt = _axes_size_points(ax)
    per_point = (high - low) / max(width_pt, 1.0)
    max_chars = max(int(0.92 * height_pt / (0.6 * SHOCK_FONTSIZE)), 4)
    taken: dict[str, list[tuple[float, float]]] = {"top": [], "bottom": []}
    stroke = [patheffects.withStroke(linewidth=2.0, foreground="white", alpha=0.7)]
    for day, names in groups:
        x = float(mdates.date2num(day))  # type: ignore[no-untyped-call]
        if not low <= x <= high:
            continue
        line = ax.axvline(
            x,
            color=SHOCK_COLOUR,
            linestyle=SHOCK_STYLE,
            linewidth=0.9,
            zorder=2.5,
            label=f"_shock {day.isoformat()}",
            path_effects=stroke,
        )
        lines.append(line)
        if not labels:
            continue
        text = "\n".join(_fit(n.replace("_", " "), max_chars) for n in names)
        block = (len(names) * 1.15 * SHOCK_FONTSIZE + 2.0) * per_point
        side, end = _SLOTS[0]
        for side, end in _SLOTS:
            span = (x - block, x) if side == "left" else (x, x + block)
            inside = low <= span[0] and span[1] <= high
            free = all(span[1] <= a or span[0] >= b for a, b in taken[end])
            if inside and free:
                break
        else:
            side, end = _SLOTS[0]
            span = (x - block, x)
        taken[end].append(span)
        ax.text(
            x,
            0.98 if end == "top" else 0.02,
            text,
            transform=transform,
            rotation=90,
            ha="right" if side == "left" else "left",
            va=end,
            fontsize=SHOCK_FONTSIZE,
            color=SHOCK_COLOUR,
            linespacing=1.1,
            clip_on=True,
            zorder=2.6,
            bbox={
                "boxstyle": "square,pad=0.15",
                "facecolor": "white",
                "edgecolor": "none",
                "alpha": 0.7,
            },
        )
    ax.set_xlim(low, high)
    return lines


def quantiles_by_date(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """Quantiles of a column over replicates at each date.

    Args:
        frame: Rows of one series (one power, state, ...) with ``date`` and ``column``.
        column: Value column.

    Returns:
        One row per date (sorted, as datetimes), one column per quantile of
        :data:`FAN_QUANTILES`.
    """
    group = frame.groupby("date", sort=True)[column]
    table = group.quantile(np.array(FAN_QUANTILES)).unstack()
    table.index = pd.to_datetime(table.index)
    return table


def draw_fan(
    ax: Axes,
    quantiles: pd.DataFrame,
    colour: str,
    name: str | None = None,
    linewidth: float = 1.8,
    linestyle: str = "-",
    alphas: tuple[float, float] = FAN_ALPHAS,
) -> bool:
    """Draw a fan: the median line, a 5-95% band and a darker 25-75% band.

    Bands are drawn only where the replicates differ; with identical replicates (or one) only
    the median line is drawn.

    Args:
        ax: Axes to draw on.
        quantiles: Output of :func:`quantiles_by_date` (index dates, columns the quantiles of
            :data:`FAN_QUANTILES`).
        colour: Colour of the line and the bands.
        name: Legend label of the median line.
        linewidth: Width of the median line.
        linestyle: Style of the median line.
        alphas: Opacity of the 5-95% and the 25-75% band (lighter where fans overlap).

    Returns:
        Whether the bands were drawn.
    """
    dates = _dates(quantiles.index)
    lo, q25, median, q75, hi = (quantiles[q].to_numpy(dtype=float) for q in FAN_QUANTILES)
    scale = max(float(np.nanmax(np.abs(median))) if len(median) else 0.0, 1.0)
    spread = bool(np.any(hi - lo > 1e-9 * scale))
    if spread:
        ax.fill_between(dates, lo, hi, color=colour, alpha=alphas[0], linewidth=0)
        ax.fill_between(dates, q25, q75, color=colour, alpha=alphas[1], linewidth=0)
    ax.plot(dates, median, color=colour, linewidth=linewidth, linestyle=linestyle, label=name)
    return spread


def fan_legend_handles(
    powers: Sequence[str], shocks: bool = False, bands: bool = True
) -> list[Any]:
    """Legend handles of fans: each power's median line, the two bands and shock lines.

    Args:
        powers: Powers drawn (their colours).
        shocks: Whether to add the handle of the shock lines.
        bands: Whether to add the handles of the two bands (not when none was drawn).

    Returns:
        The handles, each with its label.
    """
    handles: list[Any] = [
        Line2D([], [], color=power_colour(p), linewidth=1.8, label=label(p)) for p in powers
    ]
    if bands:
        grey = "#555555"
        handles.append(Patch(facecolor=grey, alpha=FAN_ALPHAS[1] + 0.12, label="25-75%"))
        handles.append(Patch(facecolor=grey, alpha=FAN_ALPHAS[0], label="5-95%"))
    if shocks:
        handles.append(
            Line2D([], [], color=SHOCK_COLOUR, linestyle=SHOCK_STYLE, linewidth=0.9, label="shock")
        )
    return handles


def plot_state_shares(
    timeseries: pd.DataFrame,
    state: str,
    domain: str,
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
) -> Axes:
    """Stacked shares of one state's profile over time (mean over replicates).

    Args:
        timeseries: :attr:`Results.timeseries` or any frame with its columns.
        state: State to show.
        domain: ``economic`` or ``security``.
        ax: Axes to draw on; a new figure if None.
        title: Title; defaults to the state and domain.
        shocks: Shock dates to mark (see :func:`mark_shocks`).

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
    ax.margins(x=0)
    ax.set_ylabel(f"{domain} share (fraction)")
    ax.set_xlabel("date")
    ax.set_title(title or f"{label(state)}: {domain} shares")
    format_time_axis(ax)
    mark_shocks(ax, shocks)
    return ax


def plot_regional(
    regional: pd.DataFrame,
    domain: str,
    quantity: str = "share",
    powers: tuple[str, ...] = ("china", "russia"),
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
    legend: bool = True,
) -> Axes:
    """Regional series of some powers as fans over replicates (see :func:`draw_fan`).

    Args:
        regional: :attr:`Results.regional` or a frame with its columns.
        domain: ``economic`` or ``security``.
        quantity: ``share`` or ``volume_usd_bn``.
        powers: Powers to draw.
        ax: Axes to draw on; a new figure if None.
        title: Title.
        shocks: Shock dates to mark (see :func:`mark_shocks`).
        legend: Whether to draw a legend on the axes (off when a figure has a shared one).

    Returns:
        The axes.
    """
    ax = _axes(ax)
    sel = regional[(regional["domain"] == domain) & regional["power"].isin(powers)]
    drawn = [p for p in powers if (sel["power"] == p).any()]
    spread = False
    for power in drawn:
        q = quantiles_by_date(sel[sel["power"] == power], quantity)
        spread |= draw_fan(ax, q, power_colour(power), label(power))
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    unit = "fraction" if quantity == "share" else "USD bn per year"
    what = "trade" if domain == "economic" else "arms imports"
    noun = "share of regional" if quantity == "share" else "regional"
    ax.set_ylabel(f"{noun} {what} ({unit})")
    ax.set_xlabel("date")
    ax.set_title(title or f"Regional {what}: {', '.join(label(p) for p in powers)}")
    format_time_axis(ax)
    marked = mark_shocks(ax, shocks)
    if legend:
        handles = fan_legend_handles(drawn, bool(marked), bands=spread)
        ax.legend(handles=handles, loc="best", fontsize="small")
    return ax


def plot_partner_trade(
    frame: pd.DataFrame,
    powers: Sequence[str] = ("china", "russia"),
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
    shock_labels: bool = True,
) -> Axes:
    """Trade of some powers with one state (or the region), USD bn per year, as fans.

    Args:
        frame: Economic rows of one state from :attr:`Results.timeseries` (or of
            :attr:`Results.regional` for the region): replicate, date, power, volume_usd_bn.
        powers: Powers to draw.
        ax: Axes to draw on; a new figure if None.
        title: Title.
        shocks: Shock dates to mark (see :func:`mark_shocks`).
        shock_labels: Whether to write the shocks' names (off in small multiples but one).

    Returns:
        The axes.
    """
    ax = _axes(ax)
    if "domain" in frame:
        frame = frame[frame["domain"] == "economic"]
    for power in powers:
        rows = frame[frame["power"] == power]
        if len(rows):
            draw_fan(
                ax, quantiles_by_date(rows, "volume_usd_bn"), power_colour(power), label(power)
            )
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_ylabel("trade (USD bn per year)")
    ax.set_xlabel("date")
    ax.set_title(title or "Trade: " + ", ".join(label(p) for p in powers))
    format_time_axis(ax)
    mark_shocks(ax, shocks, labels=shock_labels)
    return ax


def figure_trade_by_state(
    results: Results,
    powers: Sequence[str] = ("china", "russia"),
    columns: int = 2,
) -> Figure:
    """Small multiples of the powers' trade with each state and with the region, as fans.

    Each panel has its own scale (the states' trade differs by two orders of magnitude); the
    region is the last panel. Shock dates are marked in every panel and named in the first.

    Args:
        results: Results to draw.
        powers: Powers to draw.
        columns: Panels per row.

    Returns:
        The figure.
    """
    states = [str(s) for s in results.dims.states]
    panels = [*states, "region"]
    rows = int(np.ceil(len(panels) / columns))
    fig = Figure(figsize=(10.0, 2.45 * rows + 1.0), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, columns, sharex=True, squeeze=False)).reshape(-1)
    ts = results.timeseries
    econ = ts[(ts["domain"] == "economic") & ts["power"].isin(powers)]
    reg = results.regional
    region = reg[(reg["domain"] == "economic") & reg["power"].isin(powers)]
    shocks = results.shock_dates
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
        frame = region if panel == "region" else econ[econ["state"] == panel]
        name = "Central Asia (the five states)" if panel == "region" else label(panel)
        plot_partner_trade(frame, powers, ax=ax, title=name, shocks=shocks, shock_labels=i == 0)
        ax.set_title(name, fontsize="medium")
        if i % columns:
            ax.set_ylabel("")
        else:
            ax.set_ylabel("USD bn per year")
        if i < len(panels) - columns:
            ax.set_xlabel("")
    for ax in axes[len(panels) :]:
        ax.axis("off")
    drawn = [p for p in powers if (econ["power"] == p).any()]
    _fan_figure_legend(fig, drawn, results.n_replicates, bool(shocks))
    fig.suptitle(
        f"{results.name}: trade of {' and '.join(label(p) for p in powers)} with each state "
        f"and the region ({_replicates(results.n_replicates)})"
    )
    return fig


def plot_threat(
    states: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
) -> Axes:
    """Threat perception of each state over time (median over replicates).

    Args:
        states: :attr:`Results.states` or a frame with its columns.
        ax: Axes to draw on; a new figure if None.
        title: Title.
        shocks: Shock dates to mark (see :func:`mark_shocks`).

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
    ax.margins(x=0)
    ax.set_ylabel("threat perception (index 0-1)")
    ax.set_xlabel("date")
    ax.set_title(title or "Threat perception by state")
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize="small", frameon=False)
    format_time_axis(ax)
    mark_shocks(ax, shocks)
    return ax


def _replicates(n: int) -> str:
    return "1 replicate" if n == 1 else f"{n} replicates"


def _fan_figure_legend(fig: Figure, powers: Sequence[str], n_replicates: int, shocks: bool) -> None:
    """One legend under a figure of fans: the powers' lines, the bands and the shock lines."""
    bands = n_replicates > 1
    handles = fan_legend_handles(powers, shocks=shocks, bands=bands)
    fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize="small",
        title=FAN_LEGEND if bands else "one replicate: no band",
        title_fontsize="small",
    )


def _save(fig: Figure, path: Path) -> Path:
    return save_figure_atomic(fig, path, 110)


def save_standard_plots(results: Results, directory: Path) -> list[Path]:
    """Draw and save the standard figures of a run.

    ``shares_economic.png`` and ``shares_security.png`` (stacked shares per state),
    ``regional_china_russia.png`` (China's and Russia's trade with the region in USD and their
    shares of regional arms imports, as fans), ``trade_by_state.png`` (China's and Russia's
    trade with each state and with the region, as fans; :func:`figure_trade_by_state`) and
    ``threat.png``. Every figure marks the scenario's shock dates
    (:attr:`Results.shock_dates`).

    Args:
        results: Results to draw.
        directory: Folder to write to.

    Returns:
        Paths written.
    """
    written = []
    states = results.dims.states
    shocks = results.shock_dates
    for domain in ("economic", "security"):
        fig = Figure(figsize=(3.4 * len(states), 3.8), layout="constrained")
        axes = fig.subplots(1, len(states), sharey=True)
        for i, (ax, state) in enumerate(zip(np.atleast_1d(axes), states, strict=True)):
            plot_state_shares(results.timeseries, state, domain, ax=ax, title=label(state))
            mark_shocks(ax, shocks, labels=i == 0)
            if i > 0:
                ax.set_ylabel("")
        handles, labels = np.atleast_1d(axes)[0].get_legend_handles_labels()
        if shocks:
            handles.append(Line2D([], [], color=SHOCK_COLOUR, linestyle=SHOCK_STYLE, linewidth=0.9))
            labels.append("shock")
        fig.legend(handles, labels, loc="outside lower center", ncols=len(labels))
        fig.suptitle(f"{results.name}: {domain} shares by state (mean over replicates)")
        written.append(_save(fig, directory / f"shares_{domain}.png"))

    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_regional(
        results.regional,
        "economic",
        "volume_usd_bn",
        ax=left,
        title="Trade with the region",
        shocks=shocks,
        legend=False,
    )
    plot_regional(
        results.regional,
        "security",
        "share",
        ax=right,
        title="Share of regional arms imports",
        legend=False,
    )
    mark_shocks(right, shocks, labels=False)
    _fan_figure_legend(fig, ("china", "russia"), results.n_replicates, bool(shocks))
    fig.suptitle(
        f"{results.name}: China and Russia in the region ({_replicates(results.n_replicates)})"
    )
    written.append(_save(fig, directory / "regional_china_russia.png"))

    fig = figure_trade_by_state(results)
    written.append(_save(fig, directory / "trade_by_state.png"))

    fig = Figure(figsize=(7, 4.2), layout="constrained")
    ax = fig.add_subplot()
    plot_threat(
        results.states,
        ax=ax,
        title=f"{results.name}: threat perception by state (median over replicates)",
        shocks=shocks,
    )
    written.append(_save(fig, directory / "threat.png"))
    return written


def plot_relations(
    relations: pd.DataFrame,
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
) -> Axes:
    """China-Russia trust and Afghan instability over time (median over replicates).

    Args:
        relations: :attr:`Results.relations` or a frame with its columns (date, trust,
            afghan_instability).
        ax: Axes to draw on; a new figure if None.
        title: Title.
        shocks: Shock dates to mark (see :func:`mark_shocks`).

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
    format_time_axis(ax)
    mark_shocks(ax, shocks)
    return ax
