"""The likelihood of the country panel under the model, for many parameter sets at once.

:class:`PanelLikelihood` runs a hindcast scenario's expected path (no offer noise, smooth
contracts: :data:`influence_sim.estimate.EXPECTED_PATH`) for a batch of ``B`` parameter sets in
one :class:`~influence_sim.engine.RunBatch`, profiles out the residual attractions of each set
(the method of simulated moments of :func:`influence_sim.estimate.estimate_residuals`, batched,
each set stopped on its own when it has converged, so a set's result does not depend on the
batch it was evaluated in) and scores every set against every panel figure up to ``until``.

Observation model (every figure of ``seeds/panel.csv`` up to ``until``):

* **Trade**, yearly log USD, error ``e = (log T_obs - log T) / σ_T`` with ``σ_T =``
  :data:`~influence_sim.estimate.TRADE_SD`, correlated from one year to the next within a
  state-partner series by an AR(1) with coefficient :data:`TRADE_AR`: the gap between two
  statistics of one flow (reporter against mirror, re-exports, valuation) and the model's own
  error persist over years, so 20 years of one series say much less than 20 independent
  figures. The quadratic form is ``e_1^2 + Σ_t (e_t - ρ e_{t-1})^2 / (1 - ρ^2)``.
* **A state's arms suppliers**, shares of a five-year window, independent normal errors with
  ``σ_A =`` :data:`~influence_sim.estimate.STATE_ARMS_SD`, each window weighted by its volume
  over the mean window volume (lumpy deliveries: a window of a handful of contracts says less).
* **The region's arms suppliers**, shares of a window, ``σ_R =``
  :data:`~influence_sim.estimate.REGION_ARMS_SD`.

The log-likelihood is ``-Q / 2`` with ``Q`` the sum of the three quadratic forms (constants
dropped). With ``ρ = 0`` and the same residuals, ``Q`` equals
:func:`influence_sim.estimate.misfit` (tested).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from influence_sim import seeds as sd
from influence_sim.calendar import decimal_years
from influence_sim.estimate import (
    DEFAULT_SCENARIO,
    ESTIMATION_WINDOWS,
    EXPECTED_PATH,
    REGION_ARMS_SD,
    STATE_ARMS_SD,
    TRADE_SD,
    _library,
    trade_observations,
)
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel.arrays import ECON, SEC, FloatArray
from influence_sim.kernel.observables import window_arms_share

ANDERSON_DEPTH = 4
"""Iterates the residual profiling combines (Anderson acceleration)."""

SCORE_TOLERANCE = 0.01
"""Change of a set's quadratic form between iterations below which its profiling stops."""

TRADE_AR = 0.67
"""Year-to-year correlation of the trade errors within a state-partner series (AR(1)).

Measured: the lag-1 autocorrelation of the standardised trade errors at the point estimate of
``seeds/estimates.csv`` (:meth:`PanelLikelihood.trade_error_autocorrelation`) is 0.67
(``docs/estimation.md``); taken as the error model's coefficient."""


@dataclass(frozen=True)
class Evaluation:
    """Scores of a batch of parameter sets.

    Attributes:
        loglik: ``(B,)`` log-likelihoods (``-Q/2``).
        residual: ``(B, S, K, D)`` profiled residuals.
        iterations: ``(B,)`` residual iterations each set took.
        converged: ``(B,)`` whether each set's residuals met the tolerance.
        parts: ``(B, 3)`` the quadratic forms of trade, state arms and region arms.
    """

    loglik: FloatArray
    residual: FloatArray
    iterations: np.ndarray
    converged: np.ndarray
    parts: FloatArray


@dataclass(frozen=True)
class Observations:
    """The panel figures a likelihood scores, as arrays (real or synthetic).

    Attributes:
        trade_log: ``(N,)`` log trade, USD bn, one per trade figure (the likelihood's order).
        state_shares: ``(W, K)`` supplier shares of each state arms window.
        region_shares: ``(R, P)`` the region's supplier shares by power (NaN where unknown).
    """

    trade_log: FloatArray
    state_shares: FloatArray
    region_shares: FloatArray

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the arrays to an ``.npz`` file (read back by :meth:`load`)."""
        target = Path(path)
        with open(target, "wb") as f:
            np.savez(
                f,
                trade_log=self.trade_log,
                state_shares=self.state_shares,
                region_shares=self.region_shares,
            )
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Observations:
        """Read the arrays :meth:`save` wrote."""
        with np.load(path) as data:
            return cls(data["trade_log"], data["state_shares"], data["region_shares"])


def _sum_per_run(terms: FloatArray, axis: int) -> FloatArray:
    """``(B,)`` sums of each run's terms, ``axis`` being the batch axis of ``terms``.

    Each run's terms are laid out in one contiguous row and summed along it, so they are added
    in the same order whatever the size of the batch: numpy sums a contiguous row pairwise but
    adds along a strided axis one term after another, and a batch of one makes every axis
    contiguous. A candidate therefore scores the same, bit for bit, alone or in any batch (a
    fit splits its batches over its workers).
    """
    rows = np.moveaxis(terms, axis, 0).reshape(terms.shape[axis], -1)
    out: FloatArray = np.ascontiguousarray(rows).sum(axis=1)
    return out


class PanelLikelihood:
    """Batched expected path, residual profiling and log-likelihood against the panel.

    Args:
        scenario: Hindcast scenario file (default: the library's ``hindcast_2000.yaml``).
        seeds: Seed tables (with the panel).
        until: Last year of the panel used (trade years; arms windows ending by then).
        names: Parameter names (``parameters.<name>``) a batch's columns give.
        trade_ar: AR(1) coefficient of the trade errors.
        tolerance: Residual iterations stop for a set when no mean gap is larger (log units).
        iterations: Most residual iterations.
        damping: Fraction of the mean gap added per iteration.

    Attributes:
        horizon: Time points of the scenario's clock that the scored figures need (the start
            and the steps up to the last year or window scored). A run stops there: what the
            model does after ``until`` cannot change a score, and a fit through 2014 runs 60 of
            the hindcast's 88 steps.

    Example:
        >>> like = PanelLikelihood(until=2014, names=("spillover_rate",))
        >>> ev = like.evaluate(np.array([[0.1], [0.3]]))  # doctest: +SKIP
    """

    def __init__(
        self,
        scenario: str | os.PathLike[str] | None = None,
        seeds: sd.SeedData | None = None,
        until: int = 2021,
        names: Sequence[str] = (),
        trade_ar: float = TRADE_AR,
        tolerance: float = 1e-3,
        iterations: int = 40,
        damping: float = 1.0,
    ) -> None:
        """Read the scenario and index the panel figures up to ``until``."""
        from influence_sim.scenario import load_scenario

        self.seeds = seeds or sd.load_seeds()
        self.path = Path(scenario) if scenario is not None else _library() / DEFAULT_SCENARIO
        self.spec = load_scenario(self.path)
        self.names = tuple(names)
        self.until = until
        self.trade_ar = float(trade_ar)
        self.tolerance = tolerance
        self.max_iterations = iterations
        self.damping = damping
        self._prepare()

    # --- what the panel says, as index arrays ---------------------------------------------

    def _prepare(self) -> None:
        seeds, dims = self.seeds, self.spec.dims
        panel = sd.panel_of(seeds)
        self.dims = dims
        clock = self.spec.clock()
        years = decimal_years(clock.dates)
        step_year = np.floor(years - 1e-9).astype(int)
        obs = [
            o
            for o in trade_observations(panel, seeds, dims, self.until)
            if np.any(step_year == o[2])
        ]
        obs.sort(key=lambda o: (o[0], o[1], o[2]))
        uniq = sorted({o[2] for o in obs})
        annual = np.zeros((len(uniq), len(years)))
        for j, y in enumerate(uniq):
            m = step_year == y
            annual[j, m] = 1.0 / m.sum()
        self._annual = annual
        self._t_year = np.array([uniq.index(o[2]) for o in obs])
        self._t_state = np.array([o[0] for o in obs])
        self._t_partner = np.array([o[1] for o in obs])
        self._t_value = np.array([o[3] for o in obs])
        prev = np.full(len(obs), -1)
        for n in range(1, len(obs)):
            a, b = obs[n - 1], obs[n]
            if a[0] == b[0] and a[1] == b[1] and b[2] == a[2] + 1:
                prev[n] = n - 1
        self._t_prev = prev
        self.n_trade = len(obs)
        # state arms windows
        floor = seeds.assumed("min_share")
        self._floor = floor
        rows = []
        for i, s in enumerate(dims.states):
            for w in panel.arms_windows(s):
                if (w.first, w.last) in ESTIMATION_WINDOWS and w.last <= self.until:
                    m = (step_year >= w.first) & (step_year <= w.last)
                    if np.any(m):
                        shares = np.array([w.shares.get(p, 0.0) for p in dims.partners])
                        rows.append((i, m, shares, w.usd_bn_per_year, w.last - w.first + 1))
        self._w_state = np.array([r[0] for r in rows], dtype=int)
        self._w_mask = np.array([r[1] for r in rows], dtype=float).reshape(len(rows), -1)
        self._w_share = np.array([r[2] for r in rows]).reshape(len(rows), dims.n_partners)
        volumes = np.array([r[3] for r in rows])
        self._w_weight = volumes / volumes.mean() if len(rows) else volumes
        self._w_total = volumes * np.array([r[4] for r in rows]) if len(rows) else volumes
        self.n_state_windows = len(rows)
        # region windows
        region = []
        for first, last in ESTIMATION_WINDOWS:
            if last > self.until:
                continue
            window = next(
                (w for w in panel.arms_windows("region") if (w.first, w.last) == (first, last)),
                None,
            )
            if window is None:
                continue
            m = (step_year >= first) & (step_year <= last)
            region.append(
                (m, np.array([window.shares[p] for p in dims.partners[:-1]]))
            )
        self._r_mask = np.array([r[0] for r in region], dtype=float).reshape(len(region), -1)
        self._r_share = np.array([r[1] for r in region]).reshape(len(region), dims.n_powers)
        self.n_region_windows = len(region)
        # the figures scored average the run's steps only up to a point: run no further
        used = np.zeros(len(years), dtype=bool)
        for mask in (self._annual, self._w_mask, self._r_mask):
            if mask.size:
                used |= mask.any(axis=0)
        self.horizon = int(np.flatnonzero(used).max()) + 1 if used.any() else 1
        self._annual = self._annual[:, : self.horizon]
        self._w_mask = self._w_mask[:, : self.horizon]
        self._r_mask = self._r_mask[:, : self.horizon]
        # the drivers every run uses depend on no parameter: built once, not once a batch
        from influence_sim.engine import default_drivers

        self._drivers = default_drivers(dims, clock)

    @property
    def n_figures(self) -> int:
        """Panel figures scored: trade years, state supplier shares, region supplier shares."""
        return int(
            self.n_trade
            + self.n_state_windows * self.dims.n_partners
            + self.n_region_windows * self.dims.n_powers
        )

    # --- what is scored: the panel's figures or synthetic ones ------------------------------

    def observations(self) -> Observations:
        """The figures scored (copies)."""
        return Observations(self._t_value.copy(), self._w_share.copy(), self._r_share.copy())

    def with_observations(self, obs: Observations) -> PanelLikelihood:
        """A likelihood of the same panel layout scoring other figures (e.g. synthetic ones).

        Args:
            obs: Figures with the shapes of :meth:`observations`.

        Returns:
            A shallow copy scoring ``obs``.

        Raises:
            ValueError: When a shape differs from the panel's.
        """
        mine = self.observations()
        for name in ("trade_log", "state_shares", "region_shares"):
            want, got = getattr(mine, name).shape, np.shape(getattr(obs, name))
            if want != got:
                raise ValueError(f"observations: {name} has shape {got}, the panel's is {want}")
        out = copy.copy(self)
        out._t_value = np.array(obs.trade_log, dtype=np.float64)
        out._w_share = np.array(obs.state_shares, dtype=np.float64)
        out._r_share = np.array(obs.region_shares, dtype=np.float64)
        return out

    def simulate(
        self,
        values: FloatArray,
        residual: FloatArray,
        rng: np.random.Generator | None = None,
    ) -> Observations:
        """Synthetic figures from one parameter set, drawn from the observation model.

        The expected path at ``values`` and ``residual`` gives the model's trade and supplier
        shares at the panel's years and windows; errors are drawn as the likelihood assumes
        them (module docstring): trade ``σ_T`` in logs, AR(1) with :attr:`trade_ar` along
        each state-partner series; a state window's shares ``σ_A / sqrt(weight)``, then
        clipped at zero and rescaled to sum to one; the region's shares ``σ_R``, clipped at
        zero. With ``rng=None`` no error is drawn (the expected figures themselves).

        Args:
            values: ``(P,)`` values of :attr:`names`.
            residual: ``(S, K, D)`` residuals.
            rng: Random generator of the errors.

        Returns:
            The figures, in the layout of :meth:`observations`.
        """
        trade, arms = self.paths(np.atleast_2d(values), np.asarray(residual)[None])
        log_model = self._t_value - self._trade_errors(trade)[0]
        state = np.zeros_like(self._w_share)
        if self.n_state_windows:
            state = window_arms_share(arms[:, 0], self._w_mask, state=self._w_state)
        region = np.zeros_like(self._r_share)
        if self.n_region_windows:
            region = window_arms_share(arms[:, 0], self._r_mask)[:, :-1]
        region = np.where(np.isfinite(self._r_share), region, np.nan)
        if rng is None:
            return Observations(log_model, state, region)
        rho = self.trade_ar
        e = np.zeros(self.n_trade)
        z = rng.standard_normal(self.n_trade)
        for n in range(self.n_trade):
            prev = self._t_prev[n]
            e[n] = z[n] if prev < 0 else rho * e[prev] + np.sqrt(1.0 - rho**2) * z[n]
        trade_log = log_model + TRADE_SD * e
        if self.n_state_windows:
            sd_w = STATE_ARMS_SD / np.sqrt(self._w_weight)[:, None]
            state = np.maximum(state + sd_w * rng.standard_normal(state.shape), 0.0)
            state = state / np.maximum(state.sum(axis=1, keepdims=True), 1e-300)
        if self.n_region_windows:
            noisy = np.maximum(region + REGION_ARMS_SD * rng.standard_normal(region.shape), 0.0)
            region = np.where(np.isfinite(region), noisy, np.nan)
        return Observations(trade_log, state, region)

    # --- the model ------------------------------------------------------------------------

    def paths(
        self, values: FloatArray, residual: FloatArray, extra: Mapping[str, float] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """Expected paths of a batch: ``(T, B, S, K)`` trade volumes and arms imports.

        ``T`` is :attr:`horizon`: the run stops at the last step a scored figure needs.

        Args:
            values: ``(B, P)`` values of :attr:`names`.
            residual: ``(B, S, K, D)`` residuals.
            extra: Further overrides for every set (paths).

        Returns:
            ``(trade, arms)``, USD bn per year.
        """
        from influence_sim import initial
        from influence_sim.engine import RunBatch
        from influence_sim.rng import replicate_seeds

        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        n = values.shape[0]
        dims, clock = self.dims, self.spec.clock()
        # every set on the seed of a run alone (estimate.expected_path's): a set's shock draws,
        # and so its path, must not depend on its place in the batch
        run_seeds = replicate_seeds(0, 1) * n
        columns: dict[str, object] = {
            k: float(v) for k, v in {**self.spec.overrides(), **EXPECTED_PATH}.items()
        }
        columns.update(extra or {})
        for j, name in enumerate(self.names):
            columns[initial.canonical_path(name)] = values[:, j]
        state, params = initial.build_columns(
            dims, clock.start, n, columns, self.spec.reference_overrides(), self.seeds  # type: ignore[arg-type]
        )
        params.residual = np.array(residual, dtype=np.float64, copy=True)
        batch = RunBatch(
            dims, clock, state, params, self.spec.compile(run_seeds), run_seeds, self._drivers
        )
        trade = [batch.state.share[:, :, :, ECON] * batch.state.trade[:, :, None]]
        arms = [batch.state.share[:, :, :, SEC] * batch.state.arms_flow[:, :, None]]
        for _ in range(self.horizon - 1):
            out = batch.advance()
            trade.append(out.state.share[:, :, :, ECON] * out.state.trade[:, :, None])
            arms.append(out.state.share[:, :, :, SEC] * out.state.arms_flow[:, :, None])
        return np.array(trade), np.array(arms)

    def _trade_errors(self, trade: FloatArray) -> FloatArray:
        """``(B, N)`` log gaps, panel less model, of every trade figure."""
        annual = np.einsum("yt,tbsk->ybsk", self._annual, trade)
        model = annual[self._t_year, :, self._t_state, self._t_partner]  # (N, B)
        gap = self._t_value[:, None] - np.log(np.maximum(model, 1e-9))
        out: FloatArray = gap.T
        return out

    def quadratic_forms(self, trade: FloatArray, arms: FloatArray) -> FloatArray:
        """``(B, 3)`` quadratic forms of trade, state arms and region arms (see module)."""
        rho = self.trade_ar
        e = self._trade_errors(trade) / TRADE_SD
        has_prev = self._t_prev >= 0
        lagged = np.where(has_prev, e[:, np.maximum(self._t_prev, 0)], 0.0)
        innov = np.where(has_prev, (e - rho * lagged) ** 2 / (1.0 - rho**2), e**2)
        q_trade = _sum_per_run(innov, 0)
        b = trade.shape[1]
        q_state = np.zeros(b)
        if self.n_state_windows:
            share = window_arms_share(arms, self._w_mask, state=self._w_state)
            sq = (((self._w_share[:, None, :] - share) / STATE_ARMS_SD) ** 2).sum(axis=2)
            sq = np.where(share.sum(axis=2) > 0.0, sq, 0.0)
            q_state = _sum_per_run(self._w_weight[:, None] * sq, 1)
        q_region = np.zeros(b)
        if self.n_region_windows:
            share = window_arms_share(arms, self._r_mask)[:, :, :-1]
            ok = np.isfinite(self._r_share)[:, None, :]
            diff = np.where(ok, (self._r_share[:, None, :] - share) / REGION_ARMS_SD, 0.0)
            q_region = _sum_per_run(diff**2, 1)
        return np.stack([q_trade, q_state, q_region], axis=1)

    def _gaps(self, trade: FloatArray, arms: FloatArray) -> FloatArray:
        """``(B, S, K, D)`` mean gaps, panel less model (the residuals' moment conditions)."""
        dims = self.dims
        b = trade.shape[1]
        gap = np.zeros((b, dims.n_states, dims.n_partners, 2))
        count = np.zeros((dims.n_states, dims.n_partners))
        e = self._trade_errors(trade)
        flat = self._t_state * dims.n_partners + self._t_partner
        g = np.zeros((b, dims.n_states * dims.n_partners))
        for n, cell in enumerate(flat):
            g[:, cell] += e[:, n]
        np.add.at(count.reshape(-1), flat, 1.0)
        mean = g.reshape(b, dims.n_states, -1) / np.maximum(count, 1)
        gap[..., ECON] = np.where(count > 0, mean, 0.0)
        if self.n_state_windows:
            model_share = window_arms_share(arms, self._w_mask, state=self._w_state)
            used = model_share.sum(axis=2, keepdims=True) > 0.0
            weight = self._w_total[:, None, None]
            for i in range(dims.n_states):
                rows = self._w_state == i
                if not np.any(rows):
                    continue
                u = used[rows]
                observed = (weight[rows] * self._w_share[rows][:, None, :] * u).sum(axis=0)
                model = (weight[rows] * model_share[rows]).sum(axis=0)
                has = model.sum(axis=1) > 0.0
                ratio = mech.softmax_residual_gap(observed, model, self._floor)
                gap[:, i, :, SEC] = np.where(has[:, None], ratio, 0.0)
        return gap

    def profile(
        self,
        values: FloatArray,
        start: FloatArray | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> Evaluation:
        """Residuals that make each set's expected path match the panel on average, and scores.

        Each set iterates on its own until no mean gap is larger than :attr:`tolerance`, or
        its quadratic form changes by less than :data:`SCORE_TOLERANCE` between two iterations
        (a residual that drifts along a saturated share, where no residual can close the gap,
        no longer changes the score), or :attr:`max_iterations` runs.

        Args:
            values: ``(B, P)`` parameter values.
            start: ``(B, S, K, D)`` residuals to start from (default: the seed tables').
            extra: Further overrides for every set.

        Returns:
            The scores at the residuals returned.
        """
        from influence_sim import initial

        values = np.atleast_2d(np.asarray(values, dtype=np.float64))
        n = values.shape[0]
        if start is None:
            base = initial.residual_array(self.seeds, self.dims)
            residual = np.repeat(base[None], n, axis=0)
        else:
            residual = np.array(start, dtype=np.float64, copy=True)
        active = np.ones(n, dtype=bool)
        converged = np.zeros(n, dtype=bool)
        done = np.zeros(n, dtype=int)
        parts = np.full((n, 3), np.inf)
        shape = residual.shape[1:]
        hist_r: list[list[FloatArray]] = [[] for _ in range(n)]
        hist_f: list[list[FloatArray]] = [[] for _ in range(n)]
        for iteration in range(self.max_iterations):
            if not np.any(active):
                break
            idx = np.flatnonzero(active)
            trade, arms = self.paths(values[idx], residual[idx], extra)
            gap = self._gaps(trade, arms)
            scores = self.quadratic_forms(trade, arms)
            worst = np.abs(gap).reshape(len(idx), -1).max(axis=1)
            done[idx] += 1
            for j, b in enumerate(idx):
                change = abs(float(scores[j].sum() - parts[b].sum()))
                parts[b] = scores[j]
                fine = worst[j] < self.tolerance or (done[b] >= 3 and change < SCORE_TOLERANCE)
                if fine or iteration == self.max_iterations - 1 or not np.isfinite(worst[j]):
                    active[b] = False
                    converged[b] = bool(fine)
                    continue
                residual[b] = self._next(residual[b], gap[j], hist_r[b], hist_f[b]).reshape(shape)
        loglik = np.where(np.all(np.isfinite(parts), axis=1), -0.5 * parts.sum(axis=1), -np.inf)
        return Evaluation(loglik, residual, done, converged, parts)

    def _next(
        self, r: FloatArray, f: FloatArray, hist_r: list[FloatArray], hist_f: list[FloatArray]
    ) -> FloatArray:
        """One step of the fixed-point iteration ``r <- r + damping * gap(r)``, Anderson-mixed.

        Anderson acceleration (depth :data:`ANDERSON_DEPTH`) combines the last few iterates so
        the residuals converge in fewer runs; its history restarts when the gap grows, and a
        mixed step much longer than the plain one is replaced by the plain one.
        """
        r, f = r.ravel(), f.ravel()
        if hist_f and float(np.abs(f).max()) > 2.0 * float(np.abs(hist_f[-1]).max()):
            hist_r.clear()
            hist_f.clear()
        hist_r.append(r.copy())
        hist_f.append(f.copy())
        del hist_r[: -(ANDERSON_DEPTH + 1)], hist_f[: -(ANDERSON_DEPTH + 1)]
        plain = r + self.damping * f
        if len(hist_f) < 2:
            return plain
        d_f = np.stack([hist_f[i + 1] - hist_f[i] for i in range(len(hist_f) - 1)], axis=1)
        d_r = np.stack([hist_r[i + 1] - hist_r[i] for i in range(len(hist_r) - 1)], axis=1)
        gamma, *_ = np.linalg.lstsq(d_f, f, rcond=None)
        out: FloatArray = plain - (d_r + self.damping * d_f) @ gamma
        step = float(np.abs(out - r).max())
        if not np.isfinite(step) or step > max(4.0 * float(np.abs(f).max()), 0.5):
            # a flat direction (a share saturated at its floor) sends the extrapolation far:
            # take the plain step and start the history again
            hist_r.clear()
            hist_f.clear()
            return plain
        return out

    def evaluate(
        self,
        values: FloatArray,
        start: FloatArray | None = None,
        extra: Mapping[str, float] | None = None,
    ) -> Evaluation:
        """Profile the residuals of a batch and score it against the panel (:meth:`profile`).

        Args:
            values: ``(B, P)`` parameter values (columns :attr:`names`).
            start: Residuals to start the profiling from.
            extra: Further overrides for every set.

        Returns:
            The scores.
        """
        return self.profile(values, start, extra)

    def trade_error_autocorrelation(self, values: FloatArray, residual: FloatArray) -> float:
        """Lag-1 autocorrelation of the trade errors of one parameter set.

        Args:
            values: ``(P,)`` values of :attr:`names`.
            residual: ``(S, K, D)`` residuals.

        Returns:
            The pooled autocorrelation over all state-partner series (consecutive years).
        """
        trade, _ = self.paths(np.atleast_2d(values), np.asarray(residual)[None])
        e = self._trade_errors(trade)[0]
        has = self._t_prev >= 0
        return float(np.corrcoef(e[has], e[self._t_prev[has]])[0, 1])


__all__ = ["TRADE_AR", "Evaluation", "Observations", "PanelLikelihood"]
