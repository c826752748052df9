"""What the model's outputs report, one pure array function each.

The regional shares and volumes, the security guarantor and its changes, the suppliers' shares
of the region's arms imports over a window and the first date one power is ahead of another
are written here once, on arrays, and used by every driver and output: the kernel
step, the Mesa model, the result tables, the outcome table, sweeps, calibration and analysis.
Functions take any leading axes (runs, recorded steps) before the entity axes named as in
:mod:`influence_sim.kernel.arrays`; none mutates its inputs.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from influence_sim.kernel.arrays import SEC, FloatArray

IntArray = npt.NDArray[np.int64]


def regional_volume(share: FloatArray, volume: FloatArray) -> FloatArray:
    """The region's trade and arms imports with every partner.

    Equation: ``Q[k, d] = Σ_s x[s, k, d] V[s, d]``.

    Args:
        share: ``(..., S, K, D)`` shares.
        volume: ``(..., S, D)`` trade (economic) and arms imports (security), USD bn per year.

    Returns:
        ``(..., K, D)`` regional volumes, USD bn per year.
    """
    out: FloatArray = np.einsum("...skd,...sd->...kd", share, volume)
    return out


def regional_share(share: FloatArray, volume: FloatArray) -> FloatArray:
    """Volume-weighted regional share of every partner in each domain.

    Equation: ``X[k, d] = Σ_s x[s, k, d] V[s, d] / Σ_s V[s, d]`` (rest of world included in
    the denominator; 0 where the region has no volume).

    Args:
        share: ``(..., S, K, D)`` shares.
        volume: ``(..., S, D)`` trade (economic) and arms imports (security).

    Returns:
        ``(..., K, D)`` regional shares.
    """
    weighted = regional_volume(share, volume)
    total: FloatArray = np.einsum("...sd->...d", volume)[..., None, :]
    out: FloatArray = weighted / np.where(total > 0.0, total, 1.0)
    return out


def guarantor(share: FloatArray, n_powers: int) -> IntArray:
    """Security guarantor of each state: the power with the largest share of its arms imports.

    Equation: ``g[s] = argmax_p x[s, p, security]`` over the powers (rest of world is not a
    guarantor; a tie goes to the power listed first).

    Args:
        share: ``(..., S, K, D)`` shares.
        n_powers: Number of powers ``P`` (the first ``P`` partners).

    Returns:
        ``(..., S)`` index of each state's guarantor among the powers.
    """
    out: IntArray = share[..., :n_powers, SEC].argmax(axis=-1)
    return out


def guarantor_changes(guarantor: npt.ArrayLike, axis: int = 0) -> IntArray:
    """How many times each state's security guarantor changes along the recorded steps.

    Equation: ``n = Σ_{t≥1} [g[t] ≠ g[t-1]]``; 0 for fewer than two steps. A driver that
    keeps no series adds the count of each pair of successive steps as it goes.

    Args:
        guarantor: Guarantors (indices from :func:`guarantor`, or power names), steps along
            ``axis``.
        axis: The step axis.

    Returns:
        The number of changes, with ``axis`` removed.
    """
    g = np.moveaxis(np.asarray(guarantor), axis, 0)
    out: IntArray = (g[1:] != g[:-1]).sum(axis=0, dtype=np.int64)
    return out


def window_arms_share(
    arms: FloatArray, window: npt.ArrayLike, state: npt.ArrayLike | None = None
) -> FloatArray:
    """Each supplier's share of the region's (or one state's) arms imports over windows of steps.

    Equation: ``a[w, k] = Σ_t m[w, t] Σ_s A[t, s] x[t, s, k] / Σ_k' (same for k')``: the
    arms imports from each supplier summed over the window's steps and the states, divided by
    their sum over the suppliers, the region's arms imports ``Σ_t m[w, t] Σ_s A[t, s]`` when
    the shares include rest of world; 0 where the region has none. With ``state``, each
    window covers one state ``s_w`` instead of the region:
    ``a[w, k] = Σ_t m[w, t] A[t, s_w] x[t, s_w, k] / Σ_k' (same for k')`` (the panel's arms
    windows of each state). Passing one state's arms (an ``S`` axis of length 1) without
    ``state`` gives the same for every window.

    Args:
        arms: ``(T, ..., S, K)`` arms imports by supplier, ``A x``, steps first (any axes,
            such as runs, between the steps and the states).
        window: ``(W, T)`` weight of every step in each window (1 inside, 0 outside), or
            ``(T,)`` for a single window (a boolean mask will do).
        state: ``(W,)`` index of the state of each window, or one index for all (default:
            every window covers the region).

    Returns:
        ``(W, ..., K)`` supplier shares, or ``(..., K)`` for a single window.
    """
    weights = np.asarray(window, dtype=np.float64)
    matrix = np.atleast_2d(weights)
    if state is None:
        sums: FloatArray = np.einsum("wt,t...sk->w...k", matrix, arms)
    else:
        index = np.broadcast_to(np.asarray(state, dtype=np.int64), matrix.shape[:1])
        sums = np.einsum("wt,t...wk->w...k", matrix, arms[..., index, :])
    total = sums.sum(axis=-1, keepdims=True)
    out: FloatArray = sums / np.where(total > 0.0, total, 1.0)
    return out[0] if weights.ndim == 1 else out


def first_ahead(leader: FloatArray, rival: FloatArray, axis: int = 0) -> IntArray:
    """Index of the first step at which one series is strictly above another.

    Equation: ``t* = min {t : a[t] > b[t]}``, ``-1`` if there is none (a missing value, NaN,
    is never ahead).

    Args:
        leader: Series ``a`` with steps along ``axis``.
        rival: Series ``b``, same shape.
        axis: The step axis.

    Returns:
        The first step index, with ``axis`` removed; ``-1`` where ``a`` is never ahead.
    """
    ahead = np.asarray(leader > rival)
    out: IntArray = np.where(ahead.any(axis=axis), ahead.argmax(axis=axis), -1)
    return out


def track_first(first: IntArray, ahead: npt.NDArray[np.bool_], k: int) -> IntArray:
    """:func:`first_ahead` kept step by step: step ``k`` where first ahead now, else as before.

    Equation: ``t* ← k`` where ``t* = -1`` and ``a[k] > b[k]``.

    Args:
        first: First step ahead so far (``-1``: not yet).
        ahead: Whether the leader is ahead at step ``k``, same shape.
        k: The step.

    Returns:
        The updated first steps.
    """
    out: IntArray = np.where((first < 0) & ahead, k, first)
    return out


def year_of_step(years: FloatArray, first: IntArray, never: float = np.nan) -> FloatArray:
    """Decimal years of first steps from :func:`first_ahead`, ``never`` where there is none.

    Args:
        years: ``(T,)`` decimal year of every step.
        first: Step indices, ``-1`` for none.
        never: Value where there is none (NaN in run outputs, ``inf`` in analysis tables).

    Returns:
        The years, the shape of ``first``.
    """
    out: FloatArray = np.where(first >= 0, np.asarray(years)[np.maximum(first, 0)], never)
    return out


__all__ = [
    "first_ahead",
    "guarantor",
    "guarantor_changes",
    "regional_share",
    "regional_volume",
    "track_first",
    "window_arms_share",
    "year_of_step",
]
