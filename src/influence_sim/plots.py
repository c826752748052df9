"""Matplotlib figures of results, with one fixed colour per power everywhere.

Every plot function takes data and an optional ``ax`` and returns the axes it drew on, so
figures compose in notebooks. :func:`save_standard_plots` draws the set the CLI writes. Figures
are built without pyplot's global state, so saving plots never opens a window.

Uncertainty over replicates is drawn as a fan (:func:`draw_fan`): the median line with a light
5-95% band and a darker 25-75% band, drawn only when the replicates differ; a band narrower than
the line is still drawn and the panel says so (:func:`note_narrow_bands`). Time-series plots
take ``shocks=`` (e.g. :attr:`Results.shock_dates`) and mark each shock's date with
:func:`mark_shocks`; a panel whose lines do not move says "no change" (:func:`note_no_change`).

Figures are laid out for a report page: :data:`FIGURE_WIDTH` inches wide, small multiples in
rows of :data:`GRID_COLUMNS` panels, no text below :data:`MIN_FONT_SIZE` points, titles from the
scenario's name and description (:func:`suptitle_text`). Scenarios overlaid in one figure are
told apart by :func:`scenario_style` (line style, marker and shade), for any number of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.transforms import blended_transform_factory

from influence_sim._files import FigureOutput, figure_output
from influence_sim._lazy import former_names
from influence_sim._text import check_choice
from influence_sim.kernel.arrays import DOMAINS, Dims
from influence_sim.seeds import DYAD

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

FIGURE_WIDTH = 7.0
"""Width of the figures in inches: a page's text width, so that they print at their size."""

GRID_COLUMNS = 3
"""Panels per row of the per-state small multiples."""

MIN_FONT_SIZE = 8.0
"""Smallest text size in the figures, in points (at :data:`FIGURE_WIDTH`)."""

LINESTYLES: tuple[str, ...] = ("-", "--", ":", "-.")
"""Line styles of overlaid scenarios, cycled (see :func:`scenario_style`)."""

MARKERS: tuple[str, ...] = ("", "o", "s", "^", "D", "v", "X")
"""Markers of overlaid scenarios, cycled (see :func:`scenario_style`)."""

SHADES: tuple[float, ...] = (0.0, -0.45, 0.45)
"""Shades of overlaid scenarios, cycled: 0 the colour itself, below 0 darker, above lighter."""

REFERENCE = "reference"
"""``gid`` of lines that are not data (a zero line): :func:`note_no_change` passes them by."""

NO_CHANGE = "no change"
"""What a panel whose lines stay flat says."""

NARROW_BAND = "5-95% band narrower than the line"
"""What a panel whose bands are thinner than a median line says."""

SHOCK_COLOUR = "#333333"
"""Colour of the dashed lines that mark shock dates."""

SHOCK_STYLE: tuple[int, tuple[int, int]] = (0, (4, 3))
"""Dash pattern of the lines that mark shock dates."""

Shocks = Iterable[tuple[Any, str]] | Iterable[Mapping[str, Any]]
"""Shock dates: (date, name) pairs (:attr:`Results.shock_dates`) or records with ``date`` and
``name`` (as in ``metadata["shocks"]``); dates as ``datetime.date`` or ISO strings."""


class RunFrames(Protocol):
    """What the standard figures of a run draw: its tidy frames and their captions.

    :class:`~influence_sim.results.Results` has these; so may any object that carries the same
    frames, so the figures depend on frames only, never on how the runs were made.
    """

    @property
    def name(self) -> str:
        """Scenario name (figure titles)."""
        ...

    @property
    def description(self) -> str:
        """Scenario description (figure titles; may be empty)."""
        ...

    @property
    def dims(self) -> Dims:
        """Entities of the runs (the states give the panels)."""
        ...

    @property
    def n_replicates(self) -> int:
        """Number of replicates (legends)."""
        ...

    @property
    def shock_dates(self) -> list[tuple[dt.date, str]]:
        """Shock dates to mark (see :func:`mark_shocks`)."""
        ...

    @property
    def timeseries(self) -> pd.DataFrame:
        """Per state, partner and domain: replicate, date, share, volume_usd_bn."""
        ...

    @property
    def regional(self) -> pd.DataFrame:
        """Region-wide rows with the columns of ``timeseries`` but ``state``."""
        ...

    @property
    def states(self) -> pd.DataFrame:
        """Per state: replicate, date, threat."""
        ...


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


def scenario_title(name: str, description: str | None = None) -> str:
    """A scenario's name as a title: ``afghan_takeover`` -> ``Afghan takeover``.

    Args:
        name: The scenario's ``name``.
        description: Its ``description``; not used here (see :func:`suptitle_text`).

    Returns:
        The name with spaces for underscores and a capital first letter.
    """
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def suptitle_text(
    name: str, what: str, description: str | None = None, width: float = FIGURE_WIDTH
) -> str:
    """The title of a figure: the scenario's name and what is shown, then its description.

    Args:
        name: The scenario's ``name`` (or names joined, for a comparison).
        what: What the figure shows, e.g. ``"economic shares by state"``.
        description: The scenario's ``description``, wrapped under the first line (at most
            two lines, shortened with an ellipsis beyond).
        width: Width of the figure in inches (how many characters fit a line).

    Returns:
        The title text.
    """
    import textwrap

    chars = max(int(width * 72.0 / (0.6 * 10.0)), 30)
    lines = textwrap.wrap(f"{scenario_title(name)}: {what}", chars)
    if description:
        wrapped = textwrap.wrap(" ".join(str(description).split()), chars)
        if len(wrapped) > 2:
            wrapped = [wrapped[0], _fit(wrapped[1] + " " + wrapped[2], chars)]
        lines.extend(wrapped)
    return "\n".join(lines)


def shade(colour: str, amount: float) -> str:
    """A colour made darker (``amount`` below 0, towards black) or lighter (towards white).

    Args:
        colour: A matplotlib colour.
        amount: From -1 (black) through 0 (the colour) to 1 (white).

    Returns:
        The colour as ``#rrggbb``.
    """
    from matplotlib.colors import to_hex, to_rgb

    target = 1.0 if amount > 0 else 0.0
    weight = min(abs(amount), 1.0)
    red, green, blue = (c + (target - c) * weight for c in to_rgb(colour))
    return str(to_hex((red, green, blue)))


def scenario_style(index: int, colour: str) -> dict[str, Any]:
    """Line properties of the ``index``-th of several overlaid scenarios drawn in ``colour``.

    Line style (:data:`LINESTYLES`), marker (:data:`MARKERS`) and shade (:data:`SHADES`) cycle
    with different periods, so that no two of the first 84 scenarios look alike (and no two of
    the first 12 share both shade and line style).

    Args:
        index: Position of the scenario (0 for the first).
        colour: Base colour (the power's, for example).

    Returns:
        Keyword arguments of ``Axes.plot``: ``color``, ``linestyle``, ``marker``,
        ``markevery``, ``markersize``.
    """
    marker = MARKERS[index % len(MARKERS)]
    return {
        "color": shade(colour, SHADES[index % len(SHADES)]),
        "linestyle": LINESTYLES[index % len(LINESTYLES)],
        "marker": marker or "None",
        "markevery": (0.02 + 0.013 * (index % 7), 0.14),
        "markersize": 4.0,
    }


def _flat(values: np.ndarray) -> bool:
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return True
    scale = max(float(np.max(np.abs(finite))), 1e-12)
    return bool(np.ptp(finite) <= 1e-9 * scale or np.ptp(finite) < 1e-12)


def note_no_change(ax: Axes, text: str = NO_CHANGE) -> bool:
    """Say "no change" on a panel whose data lines are all flat (constant over time).

    Shock lines and reference lines (gid :data:`REFERENCE`, such as a zero line) are not data.

    Args:
        ax: Axes drawn.
        text: What to write in the middle of the axes.

    Returns:
        Whether the note was written.
    """
    lines = [
        line
        for line in ax.get_lines()
        if not str(line.get_label()).startswith("_shock")
        and line.get_gid() != REFERENCE
        and len(np.atleast_1d(line.get_ydata())) > 1
    ]
    if not lines or not all(_flat(np.asarray(line.get_ydata(), dtype=float)) for line in lines):
        return False
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=MIN_FONT_SIZE + 1,
        color="#555555",
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#bbbbbb"},
        zorder=5,
    )
    return True


def note_narrow_bands(ax: Axes, widths: Sequence[float], linewidth: float = 1.8) -> bool:
    """Say so on a panel whose 5-95% bands are all drawn but narrower than the median line.

    Call it after the axes' limits are final.

    Args:
        ax: Axes drawn.
        widths: The widest 5-95% band of each fan drawn (data units, decades on a log axis;
            0 for no band).
        linewidth: Width of the median lines in points.

    Returns:
        Whether the note was written.
    """
    drawn = [w for w in widths if w > 0]
    if not drawn:
        return False
    low, high = ax.get_ylim()
    span = abs(high - low)
    if ax.get_yscale() == "log" and low > 0 and high > 0:
        span = abs(float(np.log10(high / low)))
    _, height_pt = _axes_size_points(ax)
    widest_pt = max(drawn) / max(span, 1e-300) * height_pt
    if widest_pt >= linewidth:
        return False
    ax.text(
        0.99,
        0.02,
        NARROW_BAND,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=MIN_FONT_SIZE,
        color="#555555",
        bbox={
            "boxstyle": "square,pad=0.15",
            "facecolor": "white",
            "edgecolor": "none",
            "alpha": 0.8,
        },
        zorder=5,
    )
    return True


def _axes(ax: Axes | None, size: tuple[float, float] = (FIGURE_WIDTH, 4.0)) -> Axes:
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
    minticks = 3 if maxticks > 4 else 2  # narrow panels of short runs: years or half-years
    locator = mdates.AutoDateLocator(  # type: ignore[no-untyped-call]
        minticks=minticks, maxticks=maxticks
    )
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


SHOCK_FONTSIZE = MIN_FONT_SIZE
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


def _date_number(day: dt.date) -> float:
    """Matplotlib's number of a date (the x of date axes)."""
    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def shock_handle(label: str | None = None) -> Line2D:
    """The legend entry of the dashed lines :func:`mark_shocks` draws (labelled ``label``)."""
    handle = Line2D([], [], color=SHOCK_COLOUR, linestyle=SHOCK_STYLE, linewidth=0.9)
    if label is not None:
        handle.set_label(label)
    return handle


def mark_shocks(
    ax: Axes,
    shocks: Shocks | None,
    labels: bool = True,
    position: Callable[[dt.date], float] | None = None,
) -> list[Line2D]:
    """Mark shock dates on a time axis: a thin dashed vertical line with a small rotated label.

    Shocks on the same date share one line and one label (one name per line of text). Labels
    go beside their line at the top of the axes, on the side where they do not run into the
    previous label, or at the bottom when both sides are taken; when all four places are
    taken, or would run off the axes, the line is drawn without a label. The lines have a thin white
    edge so that they show on filled areas too. Shocks outside the axes' date range are left
    out, and the range is not changed. Call it after the data are drawn.

    Args:
        ax: Axes whose x axis holds dates (as drawn by the plots of this module).
        shocks: (date, name) pairs such as :attr:`Results.shock_dates`, or records with
            ``date`` and ``name``; None or empty draws nothing.
        labels: Whether to write the shocks' names beside the lines.
        position: The x coordinate of a date, for axes whose x is not a matplotlib date (a
            decimal year, say); default matplotlib's date number.

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
    # each label placed so far, as (x from, x to, height from, height to), heights in
    # points from the bottom of the axes
    taken: list[tuple[float, float, float, float]] = []
    stroke = [patheffects.withStroke(linewidth=2.0, foreground="white", alpha=0.7)]
    to_x = position if position is not None else _date_number
    for day, names in groups:
        x = float(to_x(day))
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
        tall = max(len(line) for line in text.split("\n")) * 0.6 * SHOCK_FONTSIZE + 4.0
        side, end = _SLOTS[0]
        for side, end in _SLOTS:
            span = (x - block, x) if side == "left" else (x, x + block)
            rows = (height_pt - tall, height_pt) if end == "top" else (0.0, tall)
            inside = low <= span[0] and span[1] <= high
            free = all(
                span[1] <= x0 or span[0] >= x1 or rows[1] <= y0 or rows[0] >= y1
                for x0, x1, y0, y1 in taken
            )
            if inside and free:
                break
        else:
            # no room beside the line: an unlabelled line reads better than labels piled up
            # (the figure's legend names it "shock", the summary and report list the shocks)
            continue
        taken.append((*span, *rows))
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
                "alpha": 0.45,
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
    **line: Any,
) -> float:
    """Draw a fan: the median line, a 5-95% band and a darker 25-75% band.

    Bands are drawn wherever the replicates differ at all, however little (a band thinner than
    the line is still drawn; :func:`note_narrow_bands` says so on the panel); with identical
    replicates (or one) only the median line is drawn.

    Args:
        ax: Axes to draw on.
        quantiles: Output of :func:`quantiles_by_date` (index dates, columns the quantiles of
            :data:`FAN_QUANTILES`).
        colour: Colour of the line and the bands.
        name: Legend label of the median line.
        linewidth: Width of the median line.
        linestyle: Style of the median line.
        alphas: Opacity of the 5-95% and the 25-75% band (lighter where fans overlap).
        **line: Further properties of the median line (``marker``, ``markevery``, ...).

    Returns:
        The widest 5-95% band in data units, 0.0 when no band was drawn.
    """
    dates = _dates(quantiles.index)
    lo, q25, median, q75, hi = (quantiles[q].to_numpy(dtype=float) for q in FAN_QUANTILES)
    scale = max(float(np.nanmax(np.abs(median))) if len(median) else 0.0, 1.0)
    width = float(np.nanmax(hi - lo)) if len(lo) else 0.0
    spread = width > 1e-12 * scale
    if spread:
        ax.fill_between(dates, lo, hi, color=colour, alpha=alphas[0], linewidth=0)
        ax.fill_between(dates, q25, q75, color=colour, alpha=alphas[1], linewidth=0)
    ax.plot(
        dates, median, color=colour, linewidth=linewidth, linestyle=linestyle, label=name, **line
    )
    return width if spread else 0.0


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
        handles.append(shock_handle("shock"))
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
    check_choice("state", state, timeseries["state"])
    check_choice("domain", domain, DOMAINS)
    ax = _axes(ax)
    sel = timeseries[(timeseries["state"] == state) & (timeseries["domain"] == domain)]
    table = sel.groupby(["date", "partner"], sort=False)["share"].mean().unstack("partner")
    order = list(dict.fromkeys(sel["partner"]))
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
    powers: tuple[str, ...] = DYAD,
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
    check_choice("domain", domain, DOMAINS)
    check_choice("quantity", quantity, ("share", "volume_usd_bn"))
    ax = _axes(ax)
    sel = regional[(regional["domain"] == domain) & regional["partner"].isin(powers)]
    drawn = [p for p in powers if (sel["partner"] == p).any()]
    widths = []
    for power in drawn:
        q = quantiles_by_date(sel[sel["partner"] == power], quantity)
        widths.append(draw_fan(ax, q, power_colour(power), label(power)))
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    unit = "fraction" if quantity == "share" else "USD bn per year"
    what = "trade" if domain == "economic" else "arms imports"
    noun = "share of regional" if quantity == "share" else "regional"
    ax.set_ylabel(f"{noun} {what} ({unit})")
    ax.set_xlabel("date")
    ax.set_title(title or f"Regional {what}: {', '.join(label(p) for p in drawn or powers)}")
    format_time_axis(ax)
    marked = mark_shocks(ax, shocks)
    note_no_change(ax)
    note_narrow_bands(ax, widths)
    if legend:
        handles = fan_legend_handles(drawn, bool(marked), bands=any(w > 0 for w in widths))
        ax.legend(handles=handles, loc="best", fontsize="small")
    return ax


def plot_partner_trade(
    frame: pd.DataFrame,
    powers: Sequence[str] = DYAD,
    ax: Axes | None = None,
    title: str | None = None,
    shocks: Shocks | None = None,
    shock_labels: bool = True,
) -> Axes:
    """Trade of some powers with one state (or the region), USD bn per year, as fans.

    Args:
        frame: Economic rows of one state from :attr:`Results.timeseries` (or of
            :attr:`Results.regional` for the region): replicate, date, partner, volume_usd_bn.
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
    widths = []
    for power in powers:
        rows = frame[frame["partner"] == power]
        if len(rows):
            q = quantiles_by_date(rows, "volume_usd_bn")
            widths.append(draw_fan(ax, q, power_colour(power), label(power)))
    ax.set_ylim(bottom=0)
    ax.margins(x=0)
    ax.set_ylabel("trade (USD bn per year)")
    ax.set_xlabel("date")
    ax.set_title(title or "Trade: " + ", ".join(label(p) for p in powers))
    format_time_axis(ax)
    mark_shocks(ax, shocks, labels=shock_labels)
    note_no_change(ax)
    note_narrow_bands(ax, widths)
    return ax


def grid(
    panels: int, columns: int = GRID_COLUMNS, height: float = 2.3
) -> tuple[Figure, np.ndarray]:
    """A page-wide figure of small multiples: ``panels`` axes in rows of ``columns``.

    The figure is :data:`FIGURE_WIDTH` inches wide; axes beyond ``panels`` are returned too
    (for a legend) after the ``panels`` first ones.

    Args:
        panels: Number of panels wanted.
        columns: Panels per row (fewer when there are fewer panels).
        height: Height of a row in inches.

    Returns:
        The figure and its axes, flat, in reading order.
    """
    cols = max(min(columns, panels), 1)
    rows = int(np.ceil(panels / cols))
    fig = Figure(figsize=(FIGURE_WIDTH, height * rows + 0.9), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True, squeeze=False)).reshape(-1)
    return fig, axes


def label_bottom(ax: Axes, below: bool) -> None:
    """Label a grid panel's x axis only where no panel of its column is drawn below it.

    :func:`grid` shares the x axis, which hides the tick labels of every row but the last; a
    panel above an unused cell (a legend's) gets its tick labels and axis label back.

    Args:
        ax: A panel of :func:`grid`.
        below: Whether a panel with data is drawn below it.
    """
    if below:
        ax.set_xlabel("")
    else:
        ax.tick_params(axis="x", labelbottom=True)


def figure_trade_by_state(
    results: RunFrames,
    powers: Sequence[str] = DYAD,
    columns: int = GRID_COLUMNS,
) -> Figure:
    """Small multiples of the powers' trade with each state and with the region, as fans.

    Each panel has its own scale (the states' trade differs by two orders of magnitude); the
    region is the last panel. Shock dates are marked in every panel and named in the first.

    Args:
        results: Results to draw (or any :class:`RunFrames`).
        powers: Powers to draw.
        columns: Panels per row.

    Returns:
        The figure.
    """
    states = [str(s) for s in results.dims.states]
    panels = [*states, "region"]
    fig, axes = grid(len(panels), columns)
    ts = results.timeseries
    econ = ts[(ts["domain"] == "economic") & ts["partner"].isin(powers)]
    reg = results.regional
    region = reg[(reg["domain"] == "economic") & reg["partner"].isin(powers)]
    shocks = results.shock_dates
    cols = min(columns, len(panels))
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
        frame = region if panel == "region" else econ[econ["state"] == panel]
        name = "Central Asia (region)" if panel == "region" else label(panel)
        plot_partner_trade(frame, powers, ax=ax, title=name, shocks=shocks, shock_labels=i == 0)
        ax.set_title(name, fontsize="medium")
        ax.set_ylabel("USD bn per year" if i % cols == 0 else "")
        label_bottom(ax, below=i + cols < len(panels))
    for ax in axes[len(panels) :]:
        ax.axis("off")
    drawn = [p for p in powers if (econ["partner"] == p).any()]
    _fan_figure_legend(fig, drawn, results.n_replicates, bool(shocks))
    what = (
        f"trade of {' and '.join(label(p) for p in drawn)} with each state "
        f"({_replicates(results.n_replicates)})"
    )
    fig.suptitle(suptitle_text(results.name, what, results.description), fontsize="medium")
    return fig


def figure_shares(results: RunFrames, domain: str, columns: int = GRID_COLUMNS) -> Figure:
    """Small multiples of each state's shares (stacked, mean over replicates), legend last.

    Args:
        results: Results to draw (or any :class:`RunFrames`).
        domain: ``economic`` or ``security``.
        columns: Panels per row.

    Returns:
        The figure.
    """
    states = [str(s) for s in results.dims.states]
    fig, axes = grid(len(states) + 1, columns)
    cols = min(columns, len(states) + 1)
    shocks = results.shock_dates
    for i, (ax, state) in enumerate(zip(axes, states, strict=False)):
        plot_state_shares(results.timeseries, state, domain, ax=ax, title=label(state))
        ax.set_title(label(state), fontsize="medium")
        mark_shocks(ax, shocks, labels=i == 0)
        ax.set_ylabel("share (fraction)" if i % cols == 0 else "")
        label_bottom(ax, below=i + cols < len(states))
    handles, labels = axes[0].get_legend_handles_labels()
    if shocks:
        handles.append(shock_handle())
        labels.append("shock")
    legend_ax = axes[len(states)]
    legend_ax.axis("off")
    legend_ax.legend(handles, labels, loc="center", fontsize="small", title="partner")
    for ax in axes[len(states) + 1 :]:
        ax.axis("off")
    what = f"{_WHAT.get(domain, domain)} shares by state (mean over replicates)"
    fig.suptitle(suptitle_text(results.name, what, results.description), fontsize="medium")
    return fig


_WHAT = {"economic": "trade", "security": "arms imports"}


def figure_regional(results: RunFrames) -> Figure:
    """China's and Russia's trade with the region and share of its arms imports, as fans.

    Args:
        results: Results to draw (or any :class:`RunFrames`).

    Returns:
        The figure.
    """
    shocks = results.shock_dates
    fig = Figure(figsize=(FIGURE_WIDTH, 3.9), layout="constrained")
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
    drawn = [p for p in DYAD if p in results.dims.powers]  # a scenario may remove one
    _fan_figure_legend(fig, drawn, results.n_replicates, bool(shocks))
    names = " and ".join(label(p) for p in drawn)
    what = f"{names} in the region ({_replicates(results.n_replicates)})"
    fig.suptitle(suptitle_text(results.name, what, results.description), fontsize="medium")
    return fig


def figure_threat(results: RunFrames) -> Figure:
    """Threat perception by state (median over replicates).

    Args:
        results: Results to draw (or any :class:`RunFrames`).

    Returns:
        The figure.
    """
    fig = Figure(figsize=(FIGURE_WIDTH, 3.6), layout="constrained")
    ax = fig.add_subplot()
    plot_threat(results.states, ax=ax, title="", shocks=results.shock_dates)
    what = "threat perception by state (median over replicates)"
    fig.suptitle(suptitle_text(results.name, what, results.description), fontsize="medium")
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
    for i, (state, group) in enumerate(states.groupby("state", sort=False)):
        series = group.groupby("date", sort=True)["threat"].median()
        colour = STATE_COLOURS.get(str(state), _FALLBACK[i % len(_FALLBACK)])
        style = scenario_style(i, colour)  # lines that coincide stay apart by style
        style["color"] = colour
        ax.plot(
            _dates(series.index),
            series.to_numpy(),
            label=label(str(state)),
            linewidth=2,
            **style,
        )
    ax.set_ylim(0, 1.02)
    ax.margins(x=0)
    ax.set_ylabel("threat perception (index 0-1)")
    ax.set_xlabel("date")
    ax.set_title("Threat perception by state" if title is None else title)
    format_time_axis(ax)
    marked = mark_shocks(ax, shocks)
    handles, labels = ax.get_legend_handles_labels()
    if marked:
        handles.append(shock_handle())
        labels.append("shock")
    ax.legend(
        handles,
        labels,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
        fontsize="small",
        frameon=False,
    )
    note_no_change(ax)
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


DPI = 110
"""Resolution of PNG figures unless ``--dpi`` says otherwise."""


def save_standard_plots(
    results: RunFrames, directory: Path, figures: FigureOutput | None = None
) -> list[Path]:
    """Draw and save the standard figures of a run.

    ``shares_economic`` and ``shares_security`` (stacked shares per state,
    :func:`figure_shares`), ``regional_china_russia`` (China's and Russia's trade with the
    region in USD and their shares of regional arms imports, as fans; :func:`figure_regional`),
    ``trade_by_state`` (China's and Russia's trade with each state and with the region, as
    fans; :func:`figure_trade_by_state`; neither when a scenario removes both) and ``threat``
    (:func:`figure_threat`). Every figure marks the scenario's shock dates
    (:attr:`Results.shock_dates`).

    Args:
        results: Results to draw (or any :class:`RunFrames`).
        directory: Folder to write to.
        figures: Formats and resolution (default: PNG at 110 dpi).

    Returns:
        Paths written.
    """
    out = figure_output(figures)
    drawn = {
        "shares_economic": figure_shares(results, "economic"),
        "shares_security": figure_shares(results, "security"),
    }
    if any(p in results.dims.powers for p in DYAD):  # a scenario may remove both
        drawn["regional_china_russia"] = figure_regional(results)
        drawn["trade_by_state"] = figure_trade_by_state(results)
    drawn["threat"] = figure_threat(results)
    written: list[Path] = []
    for stem, fig in drawn.items():
        written.extend(out.save(fig, directory / f"{stem}.png", DPI))
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


__getattr__ = former_names(__name__, {"figure_title": "suptitle_text"})
"""The former name of :func:`suptitle_text`, kept for one release with a warning."""
