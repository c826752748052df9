"""Figures and tables of a posterior fit: what the panel pins down and what it does not.

* :func:`figure_marginals`: each parameter's posterior draws against its prior density;
* :func:`figure_correlations`: the correlation matrix of the draws (on the sampling scale);
* :func:`figure_trace`: every walker's path, burn-in shaded, to judge mixing;
* :func:`summary_frame` / :func:`summary_text`: prior and posterior intervals, width ratios.

Each figure is drawn from tidy frames (:func:`draws_frame`, :func:`prior_densities`,
:func:`correlation_frame`, :func:`trace_frame`) by functions that draw on the axes they are
given and return them (:func:`plot_marginal`, :func:`plot_correlation_matrix`,
:func:`plot_walkers`); the three figure functions above compose them into figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from influence_sim._files import FigureOutput, figure_output
from influence_sim._lazy import former_names
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


def draws_frame(post: Posterior, priors: Sequence[Prior]) -> pd.DataFrame:
    """The posterior's draws in natural units: one row per draw, one column per prior's parameter.

    Args:
        post: The posterior.
        priors: Priors of its parameters, in the order of ``post.values``' columns.

    Returns:
        ``(N, len(priors))`` frame, columns named by the priors.
    """
    return pd.DataFrame({prior.name: post.values[:, j] for j, prior in enumerate(priors)})


def prior_densities(post: Posterior, priors: Sequence[Prior], points: int = 300) -> pd.DataFrame:
    """Each prior's density in natural units on a grid spanning its 5-95% range and the draws.

    Args:
        post: The posterior (its draws widen the grid).
        priors: Priors of its parameters, in the order of ``post.values``' columns.
        points: Points of each parameter's grid.

    Returns:
        One row per parameter and grid point: ``parameter``, ``value`` (natural units) and
        ``density`` (per natural unit).
    """
    frames = []
    for j, prior in enumerate(priors):
        x = post.values[:, j]
        lo = min(float(np.quantile(x, 0.001)), prior.p05 * 0.8)
        hi = max(float(np.quantile(x, 0.999)), prior.p95 * 1.1)
        if prior.high is not None:
            hi = min(hi, prior.high)
        grid = np.linspace(max(lo, prior.low + 1e-9), hi - 1e-9, points)
        z = prior.to_z(grid)
        dz = np.gradient(z, grid)
        density = np.exp(prior.log_density(z)) / (prior.z_sd * np.sqrt(2 * np.pi)) * dz
        frames.append(pd.DataFrame({"parameter": prior.name, "value": grid, "density": density}))
    return pd.concat(frames, ignore_index=True)


def correlation_frame(post: Posterior, priors: Sequence[Prior]) -> pd.DataFrame:
    """Correlation matrix of the draws on the sampling scale.

    Args:
        post: The posterior.
        priors: Priors of its parameters (their transforms give the sampling scale), in the
            order of ``post.values``' columns.

    Returns:
        Square frame, index and columns the parameter names.
    """
    z = np.stack([p.to_z(post.values[:, j]) for j, p in enumerate(priors)], axis=1)
    corr: np.ndarray = np.atleast_2d(np.corrcoef(z, rowvar=False))
    names = [p.name for p in priors]
    return pd.DataFrame(corr, index=names, columns=names)


def trace_frame(chain: Chain, priors: Sequence[Prior]) -> pd.DataFrame:
    """Every walker's path on the sampling scale, long: one row per parameter, step and walker.

    Args:
        chain: The sampler's chain.
        priors: Priors of its parameters, in the order of ``chain.z``'s last axis.

    Returns:
        Columns ``parameter``, ``step`` (0 for the starting ensemble), ``walker`` and ``z``.
    """
    n, walkers = chain.z.shape[:2]
    step, walker = np.meshgrid(np.arange(n), np.arange(walkers), indexing="ij")
    frames = [
        pd.DataFrame(
            {
                "parameter": prior.name,
                "step": step.ravel(),
                "walker": walker.ravel(),
                "z": chain.z[:, :, j].ravel(),
            }
        )
        for j, prior in enumerate(priors)
    ]
    return pd.concat(frames, ignore_index=True)


def plot_marginal(
    draws: pd.Series | np.ndarray, density: pd.DataFrame, ax: Axes, title: str = ""
) -> Axes:
    """Histogram of one parameter's draws over its prior density (natural units).

    Args:
        draws: The parameter's draws (a column of :func:`draws_frame`).
        density: The prior's density: ``value`` and ``density`` columns in grid order (the
            parameter's rows of :func:`prior_densities`); the histogram spans the grid.
        ax: Axes to draw on.
        title: Title, e.g. the parameter's name.

    Returns:
        The axes.
    """
    grid = density["value"].to_numpy(dtype=float)
    ax.hist(
        np.asarray(draws, dtype=float),
        bins=30,
        range=(grid[0], grid[-1]),
        density=True,
        color="#4c72b0",
        alpha=0.75,
        label="posterior",
    )
    ax.plot(
        grid, density["density"].to_numpy(dtype=float), color="#dd8452", linewidth=2, label="prior"
    )
    ax.set_title(title, fontsize=10)
    ax.tick_params(labelsize=8)
    return ax


def plot_correlation_matrix(corr: pd.DataFrame, ax: Axes, title: str = "") -> Axes:
    """A correlation matrix as a coloured grid with the values printed in the cells.

    Args:
        corr: Square correlation frame (:func:`correlation_frame`); its columns name the
            rows and columns.
        ax: Axes to draw on; the colour bar takes room beside it in the axes' figure.
        title: Title; default says these are posterior correlations.

    Returns:
        The axes.
    """
    values = corr.to_numpy(dtype=float)
    image = ax.imshow(values, vmin=-1, vmax=1, cmap="RdBu_r")
    names = [str(n) for n in corr.columns]
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    for i in range(len(names)):
        for j in range(len(names)):
            ax.text(
                j,
                i,
                f"{values[i, j]:.2f}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(values[i, j]) > 0.6 else "black",
            )
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="correlation")
    ax.set_title(title or "Posterior correlations (sampling scale)")
    return ax


def plot_walkers(trace: pd.DataFrame, ax: Axes, burn: int, title: str = "") -> Axes:
    """Each walker's path in one parameter, the burn-in shaded.

    Args:
        trace: One parameter's rows of :func:`trace_frame` (``step``, ``walker``, ``z``).
        ax: Axes to draw on.
        burn: Steps of burn-in (shaded).
        title: Title, e.g. the parameter and its sampling scale.

    Returns:
        The axes.
    """
    paths = trace.pivot(index="step", columns="walker", values="z")
    ax.plot(paths.index.to_numpy(), paths.to_numpy(), color="#4c72b0", alpha=0.3, linewidth=0.7)
    ax.axvspan(0, burn, color="grey", alpha=0.15, linewidth=0)
    ax.set_title(title, fontsize=9)
    ax.tick_params(labelsize=7)
    return ax


def figure_marginals(post: Posterior, priors: Sequence[Prior], title: str = "") -> Figure:
    """Histogram of each parameter's draws over its prior density (natural units).

    A figure of :func:`plot_marginal` panels, from :func:`draws_frame` and
    :func:`prior_densities`.
    """
    rows, cols = _grid(len(priors))
    fig = Figure(figsize=(10.0, 2.6 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    draws = draws_frame(post, priors)
    densities = prior_densities(post, priors)
    for j, prior in enumerate(priors):
        mine = densities[densities["parameter"] == prior.name]
        plot_marginal(draws.iloc[:, j], mine, axes[j], prior.name)
    for ax in axes[len(priors) :]:
        ax.set_visible(False)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=2)
    fig.suptitle(title or "Posterior draws against their priors")
    return fig


def figure_correlations(post: Posterior, priors: Sequence[Prior], title: str = "") -> Figure:
    """Correlation matrix of the draws on the sampling scale, values printed in the cells.

    A figure of :func:`plot_correlation_matrix` of :func:`correlation_frame`.
    """
    fig = Figure(figsize=(8.0, 6.8), layout="constrained")
    plot_correlation_matrix(correlation_frame(post, priors), fig.add_subplot(), title)
    return fig


def figure_trace(chain: Chain, priors: Sequence[Prior], burn: int, title: str = "") -> Figure:
    """Each walker's path in each parameter (sampling scale), the burn-in shaded.

    A figure of :func:`plot_walkers` panels, from :func:`trace_frame`.
    """
    rows, cols = _grid(len(priors))
    fig = Figure(figsize=(10.0, 2.2 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols, sharex=True)).ravel()
    trace = trace_frame(chain, priors)
    for j, prior in enumerate(priors):
        mine = trace[trace["parameter"] == prior.name]
        plot_walkers(mine, axes[j], burn, f"{prior.name} ({prior.transform})")
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
            figure_marginals(post, priors, f"{label}: posterior against prior"),
            directory / "marginals.png",
            110,
        ),
        *out.save(
            figure_correlations(post, priors, f"{label}: posterior correlations"),
            directory / "correlations.png",
            110,
        ),
        *out.save(
            figure_trace(chain, priors, burn, f"{label}: walkers"), directory / "trace.png", 110
        ),
    ]


__getattr__ = former_names(
    __name__,
    {
        "plot_correlations": "figure_correlations",
        "plot_marginals": "figure_marginals",
        "plot_trace": "figure_trace",
    },
)
"""The figure functions' former names, kept for one release with a warning."""

__all__ = [
    "correlation_frame",
    "draws_frame",
    "figure_correlations",
    "figure_marginals",
    "figure_trace",
    "plot_correlation_matrix",
    "plot_marginal",
    "plot_walkers",
    "prior_densities",
    "save_fit_figures",
    "summary_frame",
    "summary_text",
    "trace_frame",
]
