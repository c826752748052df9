"""Figures of the country panel for docs/data.md.

Run from the repository root:

    .venv/bin/python docs/figures/data/make_figures.py

Reads seeds/panel.csv and writes PNG files (about 1100 x 650 px) to docs/figures/data/.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

PANEL = "seeds/panel.csv"
OUT = "docs/figures/data/"
SIZE = (10.0, 5.9)  # inches; at 110 dpi about 1100 x 650 px
DPI = 110

STATES = ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"]
POWERS = ["china", "russia", "united_states"]
NAMES = {
    "kazakhstan": "Kazakhstan",
    "kyrgyzstan": "Kyrgyzstan",
    "tajikistan": "Tajikistan",
    "turkmenistan": "Turkmenistan",
    "uzbekistan": "Uzbekistan",
    "china": "China",
    "russia": "Russia",
    "united_states": "United States",
    "region": "Region (five states)",
}
COLOURS = {
    "china": "#c0392b",
    "russia": "#2c4f9e",
    "united_states": "#2e8b57",
    "other": "#a0a0a0",
    "total": "#222222",
}
STATE_COLOURS = dict(zip(STATES, ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b"]))
WINDOWS = ["2000-2004", "2005-2009", "2010-2014", "2015-2019", "2016-2020"]

plt.rcParams.update(
    {
        "font.size": 10,
        "axes.titlesize": 11,
        "axes.labelsize": 10,
        "legend.fontsize": 9,
        "figure.titlesize": 13,
    }
)


def load() -> pd.DataFrame:
    panel = pd.read_csv(PANEL, dtype={"year": str})
    return panel


def yearly(panel: pd.DataFrame, entity: str, series: str) -> pd.Series:
    rows = panel[(panel.entity == entity) & (panel.series == series) & ~panel.year.str.contains("-")]
    return pd.Series(rows.value.to_numpy(), index=rows.year.astype(int)).sort_index()


def window_value(panel: pd.DataFrame, entity: str, series: str, window: str) -> float:
    rows = panel[(panel.entity == entity) & (panel.series == series) & (panel.year == window)]
    return float(rows.value.iloc[0]) if len(rows) else np.nan


def save(fig: plt.Figure, name: str) -> None:
    fig.savefig(OUT + name, dpi=DPI)
    plt.close(fig)
    print("wrote", OUT + name)


def gdp_figure(panel: pd.DataFrame) -> None:
    fig, (left, right) = plt.subplots(1, 2, figsize=SIZE)
    for s in STATES:
        v = yearly(panel, s, "gdp")
        left.plot(v.index, v.values, marker="o", ms=3, color=STATE_COLOURS[s], label=NAMES[s])
    left.set_yscale("log")
    left.set_title("Five Central Asian states")
    left.set_ylabel("GDP, USD billion (current prices, log scale)")
    left.annotate(
        "Uzbekistan:\n2017 devaluation",
        xy=(2017.2, 60),
        xytext=(2016.5, 16),
        fontsize=9,
        arrowprops={"arrowstyle": "->", "color": "#555555"},
    )
    left.legend(loc="lower right")
    for p in POWERS:
        v = yearly(panel, p, "gdp")
        right.plot(v.index, v.values / 1000.0, marker="o", ms=3, color=COLOURS[p], label=NAMES[p])
    right.set_yscale("log")
    right.set_title("The three powers")
    right.set_ylabel("GDP, USD trillion (current prices, log scale)")
    right.legend(loc="lower right")
    for ax in (left, right):
        ax.set_xlabel("year")
        ax.set_xlim(1999.5, 2021.5)
        ax.set_xticks(range(2000, 2022, 5))
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle("GDP, 2000-2021 (World Bank WDI, NY.GDP.MKTP.CD)")
    fig.tight_layout()
    save(fig, "gdp.png")


def trade_figure(panel: pd.DataFrame) -> None:
    fig, axes = plt.subplots(2, 3, figsize=SIZE, sharex=True)
    lines = [
        ("trade_total", "total", "total goods trade", "-", 2.2),
        ("trade_china", "china", "with China", "-", 1.6),
        ("trade_russia", "russia", "with Russia", "-", 1.6),
        ("trade_us", "united_states", "with the United States", "-", 1.6),
    ]
    handles = []
    for ax, s in zip(axes.flat, STATES):
        for series, colour, label, style, width in lines:
            v = yearly(panel, s, series)
            v = v[v.index <= 2020]
            (h,) = ax.plot(
                v.index, v.values / 1000.0, style, lw=width, color=COLOURS[colour], label=label
            )
            if s == STATES[0]:
                handles.append(h)
        ax.set_yscale("log")
        ax.set_title(NAMES[s])
        ax.grid(True, which="major", alpha=0.3)
        ax.set_xlim(1999.5, 2020.5)
    for ax in axes[:, 0]:
        ax.set_ylabel("USD billion a year (log)")
    for ax in axes[1, :]:
        ax.set_xlabel("year")
    axes[0, 2].tick_params(labelbottom=True)
    key = axes.flat[-1]
    key.axis("off")
    key.legend(handles=handles, loc="center", frameon=False, fontsize=10)
    key.text(
        0.5,
        0.12,
        "Kazakhstan, Kyrgyzstan, Tajikistan: own reports\n"
        "Turkmenistan, Uzbekistan: partners' reports",
        ha="center",
        fontsize=9,
        transform=key.transAxes,
    )
    fig.suptitle("Goods trade (exports plus imports), 2000-2020 (IMF Direction of Trade Statistics)")
    fig.tight_layout()
    save(fig, "trade.png")


def arms_share_figure(panel: pd.DataFrame) -> None:
    fig, axes = plt.subplots(2, 3, figsize=SIZE, sharey=True)
    parts = [
        ("arms_share_russia", "russia", "Russia"),
        ("arms_share_china", "china", "China"),
        ("arms_share_us", "united_states", "United States"),
        ("arms_share_other", "other", "all others"),
    ]
    x = np.arange(len(WINDOWS))
    labels = [w[:4] + "-" + w[7:] for w in WINDOWS]
    for ax, entity in zip(axes.flat, ["region"] + STATES):
        bottom = np.zeros(len(WINDOWS))
        for series, colour, label in parts:
            v = np.array([window_value(panel, entity, series, w) for w in WINDOWS])
            v = np.nan_to_num(v)
            ax.bar(x, v, bottom=bottom, color=COLOURS[colour], width=0.7, label=label)
            bottom += v
        for i, w in enumerate(WINDOWS):
            tiv = window_value(panel, entity, "arms_tiv_total", w)
            text = "none" if tiv == 0 else f"{tiv:.0f}"
            ax.text(i, 1.02, text, ha="center", va="bottom", fontsize=8)
        ax.set_title(NAMES[entity], pad=14)
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylim(0, 1.0)
        ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    for ax in axes[:, 0]:
        ax.set_ylabel("share of arms imports (TIV)")
    handles, names = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncol=4, frameon=False)
    fig.suptitle(
        "Arms imports by supplier, five-year windows (SIPRI TIV); "
        "number above a bar = window total, TIV million"
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    save(fig, "arms_shares.png")


def arms_export_figure(panel: pd.DataFrame) -> None:
    fig, ax = plt.subplots(figsize=SIZE)
    windows = WINDOWS[:4]
    x = np.arange(len(windows))
    width = 0.26
    for j, p in enumerate(POWERS):
        v = np.array([window_value(panel, p, "arms_export_tiv", w) for w in windows])
        bars = ax.bar(x + (j - 1) * width, v / 1000.0, width, color=COLOURS[p], label=NAMES[p])
        ax.bar_label(bars, labels=[f"{b / 1000:.1f}" for b in v], fontsize=9, padding=2)
    ax.set_xticks(x, windows)
    ax.set_xlabel("five-year window of deliveries")
    ax.set_ylabel("arms exports to the whole world, TIV billion per window")
    ax.set_ylim(0, 60)
    ax.legend(loc="upper left")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(
        "The suppliers' capacity: world arms exports of China, Russia and the United States "
        "(SIPRI TIV; no 2016-2020 window in the panel)"
    )
    fig.tight_layout()
    save(fig, "arms_exports.png")


def main() -> None:
    panel = load()
    gdp_figure(panel)
    trade_figure(panel)
    arms_share_figure(panel)
    arms_export_figure(panel)


if __name__ == "__main__":
    main()
