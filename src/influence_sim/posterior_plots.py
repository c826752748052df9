"""Figures and tables of a posterior fit: what the panel pins down and what it does not.

* :func:`plot_marginals`: each parameter's posterior draws against its prior density;
* :func:`plot_correlations`: the correlation matrix of the draws (on the sampling scale);
* :func:`plot_trace`: every walker's path, burn-in shaded, to judge mixing;
* :func:`summary_frame` / :func:`summary_text`: prior and posterior intervals, width ratios.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from influence_sim._files import FigureOutput, figure_output
from influence_sim.posterior import Chain, Posterior, Prior


def summary_frame(post: Posterior, priors: Sequence[Prior]) -> pd.DataFrame:
    """One row per parameter: prior and posterior median and 5-95%, width ratio, pinned."""
    return pd.DataFrame(post.summary(priors))


def summary_text(post: Posterior, priors: Sequence[Prior]) -> str:
    """The summary as an aligned text table."""
    frame = summary_frame(post, priors)
    lines = [
        f"  {'parameter':<26}{'prior median (5-95%)':>26}{'posterior median (5-95%)':>30}"
        f"{'width':>8}  pinned by the panel"
    ]
    for _, r in frame.iterrows():
        prior = f"{r['prior_median']:.3g} ({r['prior_p05']:.3g}-{r['prior_p95']:.3g})"
        postr = f"{r['posterior_median']:.3g} ({r['posterior_p05']:.3g}-{r['posterior_p95']:.3g})"
        lines.append(
            f"  {r['parameter']:<26}{prior:>26}{postr:>30}{r['width_ratio']:>8.2f}  {r['pinned']}"
        )
    return "\n".join(lines)


def _grid(n: int, cols: int = 3) -> tuple[int, int]:
    return (n + cols - 1) // cols, cols


def plot_marginals(post: Posterior, priors: Sequence[Prior], title: str = "") -> Figure:
    """Histogram of each parameter's draws over its prior density (natural units)."""
    rows, cols = _grid(len(priors))
    fig = Figure(figsize=(10.0, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for j, prior in enumerate(priors):
        ax = axes[j]
        x = post.values[:, j]
        lo = min(float(np.quantile(x, 0.001)), prior.p05 * 0.8)
        hi = max(float(np.quantile(x, 0.999)), prior.p95 * 1.1)
        if prior.high is not None:
            hi = min(hi, prior.high)
        grid = np.linspace(max(lo, prior.low + 1e-9), hi - 1e-9, 300)
        z = prior.to_z(grid)
        dz = np.gradient(z, grid)
        density = np.exp(prior.log_density(z)) / (prior.z_sd * np.sqrt(2 * np.pi)) * dz
        ax.hist(
            x,
            bins=30,
            range=(grid[0], grid[-1]),
            density=True,
            color="#4c72b0",
            alpha=0.75,
            label="posterior",
        )
        ax.plot(grid, density, color="#dd8452", linewidth=2, label="prior")
        ax.set_title(prior.name, fontsize=10)
        ax.tick_params(labelsize=8)
    for ax in axes[len(priors) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle(title or "Posterior draws against their priors")
    return fig


def plot_correlations(post: Posterior, priors: Sequence[Prior], title: str = "") -> Figure:
    """Correlation matrix of the draws on the sampling scale, values printed in the cells."""
    z = np.stack([p.to_z(post.values[:, j]) for j, p in enumerate(priors)], axis=1)
    corr: np.ndarray = np.atleast_2d(np.corrcoef(z, rowvar=False))
    fig = Figure(figsize=(8.0, 6.8), layout="constrained")
    ax = fig.add_subplot()
    image = ax.imshow(corr, vmin=-1, vmax=1, cmap="RdBu_r")
    names = [p.name for p in priors]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{corr[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(corr[i, j]) > 0.6 else "black",
            )
    fig.colorbar(image, ax=ax, shrink=0.8, label="correlation")
    ax.set_title(title or "Posterior correlations (sampling scale)")
    return fig


def plot_trace(chain: Chain, priors: Sequence[Prior], burn: int, title: str = "") -> Figure:
    """Each walker's path in each parameter (sampling scale), the burn-in shaded."""
    rows, cols = _grid(len(priors))
    fig = Figure(figsize=(10.0, 2.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True)).ravel()
    steps = np.arange(chain.z.shape[0])
    for j, prior in enumerate(priors):
        ax = axes[j]
        ax.plot(steps, chain.z[:, :, j], color="#4c72b0", alpha=0.3, linewidth=0.7)
        ax.axvspan(0, burn, color="grey", alpha=0.15, linewidth=0)
        ax.set_title(f"{prior.name} ({prior.transform})", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[len(priors) :]:
        ax.set_visible(False)
    fig.supxlabel("step (burn-in shaded)")
    fig.suptitle(title or "Walkers' paths")
    return fig


def save_fit_figures(
    directory: Path,
    post: Posterior,
    chain: Chain,
    priors: Sequence[Prior],
    burn: int,
    label: str,
    figures: FigureOutput | None = None,
) -> list[Path]:
    """Write the ``marginals``, ``correlations`` and ``trace`` figures (PNG by default)."""
    out = figure_output(figures)
    return [
        *out.save(
            plot_marginals(post, priors, f"{label}: posterior against prior"),
            directory / "marginals.png",
            110,
        ),
        *out.save(
            plot_correlations(post, priors, f"{label}: posterior correlations"),
            directory / "correlations.png",
            110,
        ),
        *out.save(
            plot_trace(chain, priors, burn, f"{label}: walkers"), directory / "trace.png", 110
        ),
    ]


__all__ = [
    "plot_correlations",
    "plot_marginals",
    "plot_trace",
    "save_fit_figures",
    "summary_frame",
    "summary_text",
]
