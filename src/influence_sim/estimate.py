"""Estimates from the country panel: the gravity elasticities and the residual attractions.

Two steps, both deterministic:

1. **Gravity elasticities** (:func:`estimate_gravity`). A within (fixed-effects) regression of
   the log of each state's yearly trade with each partner on the log GDP of the state, the log
   GDP of the partner (powers only) and the infrastructure links of ``seeds/infrastructure.csv``,
   with one constant per state-partner pair. The pair constants absorb everything that does not
   change over time (distance, borders, language); the elasticities are identified by change
   within a pair. The model's offers grow with a power's GDP (its economic capacity), so the
   model's ``partner_elasticity`` is the estimated partner elasticity less the offer
   sensitivity.
2. **Residuals** (:func:`estimate_residuals`). The part of each partner's attraction that no
   observable of the model explains, estimated so that the hindcast from 2000 (expected path:
   no offer noise, smooth contracts) matches the panel *on average over all its years*: each
   iteration adds the mean gap, over the years (trade) or arms-import windows (security), between
   the panel and the model. This is a method of simulated moments with one moment per residual;
   it uses the whole panel, never one year, so a run that starts away from the data is pulled
   back toward the path the panel implies, not kept where it starts. Arms residuals match each
   supplier's volume-weighted deliveries over the windows (a multinomial likelihood's
   condition), so a window with many deliveries counts more than one with a handful.

``influence-sim estimate`` writes both to ``seeds/estimates.csv`` and ``seeds/residuals.csv``,
with the fit statistics in ``docs/data.md``.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from influence_sim import seeds as sd
from influence_sim._inputs import read_table
from influence_sim.calendar import decimal_years
from influence_sim.kernel import mechanisms as mech
from influence_sim.kernel.arrays import DOMAINS, ECON, SEC, Dims, FloatArray
from influence_sim.kernel.observables import window_arms_share
from influence_sim.panel import TRADE_PARTNERS, ArmsWindow, Panel
from influence_sim.parameters import PARAMETERS

if TYPE_CHECKING:
    from influence_sim.scenario import Scenario

ESTIMATION_WINDOWS: tuple[tuple[int, int], ...] = (
    (2000, 2004),
    (2005, 2009),
    (2010, 2014),
    (2015, 2019),
)
"""Windows the residuals are matched on (non-overlapping; 2016-2020 only starts runs)."""

DEFAULT_SCENARIO = "hindcast_2000.yaml"
"""The scenario whose expected path is matched to the panel (in the scenario library)."""

EXPECTED_PATH: dict[str, float] = {"offer_noise_sd": 0.0, "contract_lumpiness": 0.0}
"""Overrides that turn a run into its expected path: no offer noise, arms bought smoothly."""


@dataclass(frozen=True)
class GravityFit:
    """Result of the within regression.

    Attributes:
        names: Regressor names.
        coef: Estimates, in the order of ``names``.
        se: Conventional standard errors.
        n_obs: Observations used.
        n_pairs: State-partner pairs (fixed effects).
        r2_within: Share of the within-pair variance the regressors explain.
        r2_pairs: Share of the total variance the pair constants carry.
    """

    names: tuple[str, ...]
    coef: FloatArray
    se: FloatArray
    n_obs: int
    n_pairs: int
    r2_within: float
    r2_pairs: float

    def value(self, name: str) -> float:
        """The estimate of one regressor."""
        return float(self.coef[self.names.index(name)])

    def error(self, name: str) -> float:
        """The standard error of one regressor."""
        return float(self.se[self.names.index(name)])


def trade_observations(
    panel: Panel, seeds: sd.SeedData, dims: Dims, until: int = 2021
) -> list[tuple[int, int, int, float]]:
    """Yearly trade observations ``(state index, partner index, year, log USD bn)``.

    Rest of world is total trade less the three powers, where every part is measured.
    """
    out: list[tuple[int, int, int, float]] = []
    for i, state in enumerate(dims.states):
        totals = panel.annual(state, "trade_total")
        parts = {p: panel.annual(state, s) for p, s in TRADE_PARTNERS.items()}
        for year, total in totals.items():
            if year > until:
                continue
            rest = total
            for k, partner in enumerate(dims.partners[:-1]):
                value = parts.get(partner, {}).get(year)
                if value is not None and value > 0.0:
                    out.append((i, k, year, math.log(value)))
                if value is None:
                    rest = math.nan
                else:
                    rest -= value
            if math.isfinite(rest) and rest > 0.0:
                out.append((i, dims.n_partners - 1, year, math.log(rest)))
    return out


def estimate_gravity(
    seeds: sd.SeedData | None = None, dims: Dims | None = None, until: int = 2021
) -> GravityFit:
    """Within regression of log trade on log GDPs and infrastructure, one constant per pair.

    Equation: ``log T[s,k,t] - ω_tie L[s,k,t] = a[s,k] + γ_s log Y_s,t + E log Y_k,t
    + ω_inf I[s,k,t] + u``, with the tie term (the EAEU customs union, weight ``tie_weight``)
    taken as given.

    Args:
        seeds: Seed tables (with the panel).
        dims: Entities (default: the five states and three powers).
        until: Last year used.

    Returns:
        The fit (regressors ``gdp_elasticity``, ``partner_total_elasticity``,
        ``infrastructure_weight``).
    """
    seeds = seeds or sd.load_seeds()
    dims = dims or sd.default_dims()
    panel = sd.panel_of(seeds)
    obs = trade_observations(panel, seeds, dims, until)
    tie_weight = seeds.assumed("tie_weight")
    tie_map = sd.tie_map(seeds, dims.powers, dims.organisations)
    rows_y, rows_x, groups = [], [], []
    for i, k, year, log_v in obs:
        day = dt.date(year, 7, 1)
        state = dims.states[i]
        member = sd.membership_at(seeds, [state], day, dims.organisations)[0]
        tie = float(member @ tie_map[:, k, ECON])
        x_state = math.log(panel.at(state, "gdp", year + 0.5))
        if k < dims.n_powers:
            power = dims.powers[k]
            x_partner = math.log(panel.at(power, "gdp", year + 0.5) / 1000.0)
            infra = float(sd.infrastructure_at(seeds, [state], [power], day)[0, 0])
        else:
            x_partner, infra = 0.0, 0.0
        rows_y.append(log_v - tie_weight * tie)
        rows_x.append([x_state, x_partner, infra])
        groups.append(i * dims.n_partners + k)
    y = np.array(rows_y)
    x = np.array(rows_x)
    g = np.array(groups)
    y_w, x_w = y.copy(), x.copy()
    for grp in np.unique(g):
        m = g == grp
        y_w[m] -= y[m].mean()
        x_w[m] -= x[m].mean(axis=0)
    coef, *_ = np.linalg.lstsq(x_w, y_w, rcond=None)
    resid = y_w - x_w @ coef
    n, p = x_w.shape
    n_groups = len(np.unique(g))
    dof = max(n - p - n_groups, 1)
    sigma2 = float(resid @ resid) / dof
    cov = sigma2 * np.linalg.inv(x_w.T @ x_w)
    total_ss = float(((y - y.mean()) ** 2).sum())
    within_ss = float((y_w**2).sum())
    return GravityFit(
        names=("gdp_elasticity", "partner_total_elasticity", "infrastructure_weight"),
        coef=coef,
        se=np.sqrt(np.diag(cov)),
        n_obs=n,
        n_pairs=n_groups,
        r2_within=1.0 - float(resid @ resid) / within_ss,
        r2_pairs=1.0 - within_ss / total_ss,
    )


@dataclass
class ResidualFit:
    """Result of the residual estimation.

    Attributes:
        residual: ``(S, K, D)`` residuals.
        iterations: Iterations run.
        max_gap: Largest mean gap left (log units) at the end.
        history: Largest mean gap after each iteration.
    """

    residual: FloatArray
    iterations: int
    max_gap: float
    history: list[float] = field(default_factory=list)


def estimate_residuals(
    scenario: str | os.PathLike[str] | None = None,
    seeds: sd.SeedData | None = None,
    iterations: int = 60,
    damping: float = 0.7,
    until: int = 2021,
    tolerance: float = 1e-4,
    start: FloatArray | None = None,
    overrides: Mapping[str, float] | None = None,
) -> ResidualFit:
    """Residual attractions that make the hindcast match the panel on average.

    Each iteration runs the scenario's expected path (:data:`EXPECTED_PATH`) with the current
    residuals and adds ``damping`` times the mean gap, per state and partner, between the panel
    and the model: log trade over the panel's years; for arms, the log ratio of each
    supplier's imports over all the windows (:data:`ESTIMATION_WINDOWS`), each window weighted
    by its volume, to the model's (the condition of a multinomial likelihood with one constant
    per state and supplier: a window with more deliveries says more, and a window without a
    supplier's deliveries counts as zero, not as an arbitrary floor). The rest of the world's
    security residual is the reference (0).

    Args:
        scenario: Hindcast scenario file (default: the library's ``hindcast_2000.yaml``).
        seeds: Seed tables.
        iterations: Most iterations.
        damping: Fraction of the gap added per iteration.
        until: Last year of the panel used (trade years and windows ending by then).
        tolerance: Stop when no gap is larger (log units).
        start: Residuals to start from (default zeros), e.g. an earlier fit's.
        overrides: Parameter values (paths) to estimate under, beside the scenario's.

    Returns:
        The fit.
    """
    from influence_sim import initial
    from influence_sim.scenario import load_scenario

    seeds = seeds or sd.load_seeds()
    panel = sd.panel_of(seeds)
    path = Path(scenario) if scenario is not None else _library() / DEFAULT_SCENARIO
    spec = load_scenario(path)
    dims = spec.dims
    clock = spec.clock()
    obs = trade_observations(panel, seeds, dims, until)
    windows = {
        i: [
            w
            for w in panel.arms_windows(s)
            if (w.first, w.last) in ESTIMATION_WINDOWS and w.last <= until
        ]
        for i, s in enumerate(dims.states)
    }
    floor = seeds.assumed("min_share")
    years = decimal_years(clock.dates)
    residual = initial.residual_array(seeds, dims)
    residual[...] = 0.0 if start is None else start
    history: list[float] = []
    gap_max = math.inf
    n_done = 0
    for iteration in range(1, iterations + 1):
        n_done = iteration
        vol, dlv = expected_path(spec, seeds, residual, overrides)
        step_year = np.floor(np.array(years) - 1e-9).astype(int)
        gap = np.zeros_like(residual)
        count = np.zeros_like(residual)
        for i, k, year, log_v in obs:
            m = step_year == year
            if not np.any(m):
                continue
            model = math.log(max(float(vol[m, i, k].mean()), 1e-9))
            gap[i, k, ECON] += log_v - model
            count[i, k, ECON] += 1
        for i, ws in windows.items():
            observed_total = np.zeros(dims.n_partners)
            model_total = np.zeros(dims.n_partners)
            for w in ws:
                m = (step_year >= w.first) & (step_year <= w.last)
                model_share = window_arms_share(dlv, m, state=i)
                if model_share.sum() <= 0.0:
                    continue
                weight = w.usd_bn_per_year * (w.last - w.first + 1)
                observed_total += weight * np.array([w.shares.get(p, 0.0) for p in dims.partners])
                model_total += weight * model_share
            if model_total.sum() <= 0.0:
                continue
            gap[i, :, SEC] += mech.softmax_residual_gap(observed_total, model_total, floor)
            count[i, :-1, SEC] += 1
        mean_gap = np.where(count > 0, gap / np.maximum(count, 1), 0.0)
        gap_max = float(np.abs(mean_gap).max())
        history.append(gap_max)
        if gap_max < tolerance:
            break
        residual = residual + damping * mean_gap
    return ResidualFit(residual, n_done, gap_max, history)


def expected_path(
    spec: Scenario,
    seeds: sd.SeedData,
    residual: FloatArray,
    overrides: Mapping[str, float] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """One run of a scenario's expected path (:data:`EXPECTED_PATH`) with given residuals.

    Args:
        spec: Loaded scenario.
        seeds: Seed tables.
        residual: ``(S, K, D)`` residuals.
        overrides: Further parameter values (paths).

    Returns:
        ``(trade, arms)``: ``(T, S, K)`` trade volumes and arms imports by supplier (the
        recorded moving window of deliveries) at each step, USD bn per year.
    """
    from influence_sim import initial
    from influence_sim.engine import RunBatch
    from influence_sim.rng import replicate_seeds

    dims, clock = spec.dims, spec.clock()
    run_seeds = replicate_seeds(0, 1)
    values = {**spec.overrides(), **EXPECTED_PATH, **(overrides or {})}
    state, params = initial.build(dims, clock.start, values, spec.reference_overrides(), seeds)
    params.residual = residual[None].copy()
    batch = RunBatch(dims, clock, state, params, spec.compile(run_seeds), run_seeds)
    volumes = [batch.state.share[0, :, :, ECON] * batch.state.trade[0, :, None]]
    arms = [batch.state.share[0, :, :, SEC] * batch.state.arms_flow[0, :, None]]
    for _ in range(clock.n_steps):
        out = batch.advance()
        volumes.append(out.state.share[0, :, :, ECON] * out.state.trade[0, :, None])
        arms.append(out.state.share[0, :, :, SEC] * out.state.arms_flow[0, :, None])
    return np.array(volumes), np.array(arms)


TRADE_SD = 0.35
"""Observation error of a yearly trade figure, log units: two statistics of one flow differ by
up to about 2x (the panel's notes), taken as two standard deviations."""

STATE_ARMS_SD = 0.075
"""Observation error of a state's supplier share in a five-year window (lumpy deliveries)."""

REGION_ARMS_SD = 0.025
"""Observation error of the region's supplier share in a window (half the K1 tolerance)."""

FITTED_WEIGHTS: dict[str, tuple[float, float]] = {
    "credibility_weight": (0.0, 10.0),
    "spillover_rate": (0.02, 1.0),
    "adjust_rate_economic": (0.05, 1.0),
}
"""Weights whose point estimate :func:`fit_weights` finds, with the bounds searched.

The upper bound of ``credibility_weight`` is a judgement: a state trading only with a power
gives it at most odds of ``e ** 10`` as an arms supplier. The panel pushes the estimate to that
bound (``docs/data.md``). ``supplier_capacity_weight`` and ``protection_weight`` are left at
their assumptions: the panel alone drives both toward zero, as the suppliers' export capacity
and the threat barely change over 2000-2019, so their size is not identified by it."""


@dataclass(frozen=True)
class PanelMoments:
    """What the misfit compares: the panel's trade years and arms windows, indexed for speed."""

    step_year: np.ndarray
    partners: tuple[str, ...]
    trade: list[tuple[int, int, int, float]]
    windows: dict[int, list[ArmsWindow]]
    region: dict[tuple[int, int], FloatArray]


def panel_moments(spec: Scenario, seeds: sd.SeedData, until: int = 2021) -> PanelMoments:
    """The panel figures a run of ``spec`` is compared with."""
    panel = sd.panel_of(seeds)
    dims = spec.dims
    years = decimal_years(spec.clock().dates)
    windows = {
        i: [
            w
            for w in panel.arms_windows(s)
            if (w.first, w.last) in ESTIMATION_WINDOWS and w.last <= until
        ]
        for i, s in enumerate(dims.states)
    }
    region: dict[tuple[int, int], FloatArray] = {}
    for first, last in ESTIMATION_WINDOWS:
        if last > until:
            continue
        window = next(
            (w for w in panel.arms_windows("region") if (w.first, w.last) == (first, last)), None
        )
        region[(first, last)] = np.array(
            [window.shares[p] if window is not None else math.nan for p in dims.partners[:-1]]
        )
    return PanelMoments(
        np.floor(years - 1e-9).astype(int),
        dims.partners,
        trade_observations(panel, seeds, dims, until),
        windows,
        region,
    )


def misfit(moments: PanelMoments, trade: FloatArray, arms: FloatArray) -> float:
    """Weighted squared error of a run against the panel (smaller is better).

    Equation: ``Σ ((log T_obs - log T)/σ_T)^2 + Σ_s,w v_sw Σ_k ((x_obs - x)/σ_A)^2
    + Σ_w Σ_k ((X_obs - X)/σ_R)^2`` over the trade years, each state's arms windows (``v`` the
    window's volume over the mean window volume) and the region's windows, with the observation
    errors :data:`TRADE_SD`, :data:`STATE_ARMS_SD` and :data:`REGION_ARMS_SD`.

    Args:
        moments: The panel figures.
        trade: ``(T, S, K)`` trade volumes of the run.
        arms: ``(T, S, K)`` arms imports by supplier of the run.

    Returns:
        The misfit.
    """
    years = moments.step_year
    total = 0.0
    for i, k, year, log_v in moments.trade:
        m = years == year
        if np.any(m):
            model = math.log(max(float(trade[m, i, k].mean()), 1e-9))
            total += ((log_v - model) / TRADE_SD) ** 2
    volumes = [w.usd_bn_per_year for ws in moments.windows.values() for w in ws]
    mean_volume = float(np.mean(volumes)) if volumes else 1.0
    for i, ws in moments.windows.items():
        for w in ws:
            m = (years >= w.first) & (years <= w.last)
            model_share = window_arms_share(arms, m, state=i)
            if model_share.sum() <= 0.0:
                continue
            observed = np.array([w.shares.get(p, 0.0) for p in moments.partners])
            weight = w.usd_bn_per_year / mean_volume
            total += weight * float((((observed - model_share) / STATE_ARMS_SD) ** 2).sum())
    for (first, last), observed in moments.region.items():
        m = (years >= first) & (years <= last)
        model_share = window_arms_share(arms, m)[:-1]
        ok = np.isfinite(observed)
        total += float((((observed[ok] - model_share[ok]) / REGION_ARMS_SD) ** 2).sum())
    return total


@dataclass
class WeightFit:
    """Point estimate of the weights of :data:`FITTED_WEIGHTS`.

    Attributes:
        values: Estimate of each weight.
        misfit: Misfit at the estimate.
        misfit_start: Misfit at the starting values (the assumptions).
        evaluations: Runs of the objective.
        residual: Residuals estimated at the estimate.
    """

    values: dict[str, float]
    misfit: float
    misfit_start: float
    evaluations: int
    residual: FloatArray


def fit_weights(
    scenario: str | os.PathLike[str] | None = None,
    seeds: sd.SeedData | None = None,
    names: tuple[str, ...] = tuple(FITTED_WEIGHTS),
    until: int = 2021,
    max_evaluations: int = 200,
) -> WeightFit:
    """Least-squares point estimate of behavioural weights, the residuals profiled out.

    For each candidate the residuals are re-estimated (:func:`estimate_residuals`, warm
    started), so the weights are judged only on what they add: the change over time within each
    state and partner. Nelder-Mead on the bounded weights mapped to the real line.

    Args:
        scenario: Hindcast scenario (default: the library's).
        seeds: Seed tables.
        names: Weights to estimate.
        until: Last year of the panel used.
        max_evaluations: Most objective evaluations.

    Returns:
        The estimate.
    """
    from scipy.optimize import minimize

    from influence_sim.scenario import load_scenario

    seeds = seeds or sd.load_seeds()
    path = Path(scenario) if scenario is not None else _library() / DEFAULT_SCENARIO
    spec = load_scenario(path)
    moments = panel_moments(spec, seeds, until)
    bounds = np.array([FITTED_WEIGHTS[n] for n in names])
    start = np.array([seeds.assumed(n) for n in names])
    last_residual: list[FloatArray] = []
    evaluations = [0]

    def to_values(z: FloatArray) -> dict[str, float]:
        unit = 1.0 / (1.0 + np.exp(-z))
        values = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
        return dict(zip(names, values.tolist(), strict=True))

    def to_z(values: FloatArray) -> FloatArray:
        unit = np.clip((values - bounds[:, 0]) / (bounds[:, 1] - bounds[:, 0]), 1e-3, 1 - 1e-3)
        out: FloatArray = np.log(unit / (1.0 - unit))
        return out

    def objective(z: FloatArray) -> float:
        values = {f"parameters.{k}": v for k, v in to_values(z).items()}
        fit = estimate_residuals(
            path,
            seeds,
            until=until,
            start=last_residual[-1] if last_residual else None,
            overrides=values,
            tolerance=1e-3,
        )
        last_residual[:] = [fit.residual]
        evaluations[0] += 1
        trade, arms = expected_path(spec, seeds, fit.residual, values)
        return misfit(moments, trade, arms)

    z0 = to_z(start)
    first = objective(z0)
    result = minimize(
        objective,
        z0,
        method="Nelder-Mead",
        options={"maxfev": max_evaluations, "xatol": 1e-2, "fatol": 1e-2},
    )
    values = to_values(result.x)
    final = estimate_residuals(
        path, seeds, until=until, overrides={f"parameters.{k}": v for k, v in values.items()}
    )
    return WeightFit(values, float(result.fun), first, evaluations[0], final.residual)


def _library() -> Path:
    """The scenario library: ``scenarios/`` of a source checkout."""
    return Path(__file__).resolve().parents[2] / "scenarios"


EstimateRow = tuple[str, float, str, str]
"""``(id, value, unit, method)`` of one row of ``estimates.csv``."""


def gravity_rows(gravity: GravityFit, offer_sensitivity: float, until: int) -> list[EstimateRow]:
    """Rows of ``estimates.csv`` for the gravity elasticities."""
    base = (
        f"within regression of log yearly trade (seeds/panel.csv, {gravity.n_obs} "
        f"state-partner-years to {until}, {gravity.n_pairs} pair constants; within R2 "
        f"{gravity.r2_within:.2f})"
    )
    total = gravity.value("partner_total_elasticity")
    return [
        (
            "gdp_elasticity",
            gravity.value("gdp_elasticity"),
            "elasticity",
            f"{base}; standard error {gravity.error('gdp_elasticity'):.3f}",
        ),
        (
            "partner_elasticity",
            max(total - offer_sensitivity, 0.0),
            "elasticity",
            f"{base}: partner elasticity {total:.3f} (standard error "
            f"{gravity.error('partner_total_elasticity'):.3f}) less the offer sensitivity "
            f"{offer_sensitivity:g}, as offers grow with the partner's GDP",
        ),
        (
            "infrastructure_weight",
            gravity.value("infrastructure_weight"),
            "log units",
            f"{base}; standard error {gravity.error('infrastructure_weight'):.3f}",
        ),
    ]


@dataclass(frozen=True)
class ArmsDemandFit:
    """Arms demand estimated from the panel's windows.

    Attributes:
        elasticity: Within-state elasticity of arms imports to GDP, within the range of
            ``arms_gdp_elasticity`` in the parameter table.
        se: Its standard error.
        propensity: Log arms demand at zero threat and GDP 1 (USD bn), by state.
        residual_sd: Standard deviation of the window residuals (log units).
        n_windows: Windows used.
        regression: The regression's slope, which ``elasticity`` moves to the nearer bound of
            the range when it lies outside (None: not recorded, taken as ``elasticity``).
    """

    elasticity: float
    se: float
    propensity: dict[str, float]
    residual_sd: float
    n_windows: int
    regression: float | None = None

    @property
    def bounded(self) -> bool:
        """Whether the regression's slope lay outside the range (``elasticity`` is a bound)."""
        return self.regression is not None and self.elasticity != self.regression


def estimate_arms_demand(
    seeds: sd.SeedData | None = None, dims: Dims | None = None, until: int = 2021
) -> ArmsDemandFit:
    """Within regression of log arms imports on log GDP over the windows, one constant a state.

    Equation: ``log A[s,w] - log(1 + η θ_s) = a_s + e log Ȳ[s,w] + u`` over the windows of
    :data:`ESTIMATION_WINDOWS` with deliveries, ``Ȳ`` the window's mean GDP and ``θ_s`` the
    threat at the starting instability (the state's exposure times ``afghan_instability``).
    A slope outside the range of ``arms_gdp_elasticity`` (a negative one from the two windows
    to 2013, say) is moved to the nearer bound, the least-squares slope within the range; the
    states' constants are their means at that slope.

    Args:
        seeds: Seed tables.
        dims: Entities.
        until: Last year used.

    Returns:
        The fit.
    """
    seeds = seeds or sd.load_seeds()
    dims = dims or sd.default_dims()
    panel = sd.panel_of(seeds)
    eta = seeds.assumed("security_demand_elasticity")
    exposure = sd.exposure(seeds, dims.states)
    instability = seeds.assumed("afghan_instability")
    threat = mech.steady_threat(exposure[None], np.array([instability]))[0]
    xs, arms, groups = [], [], []
    for i, state in enumerate(dims.states):
        for w in panel.arms_windows(state):
            if (w.first, w.last) not in ESTIMATION_WINDOWS or w.last > until:
                continue
            gdp = float(
                np.mean([panel.at(state, "gdp", y + 0.5) for y in range(w.first, w.last + 1)])
            )
            xs.append(math.log(gdp))
            arms.append(w.usd_bn_per_year)
            groups.append(i)
    x, g = np.array(xs), np.array(groups, dtype=int)
    y = mech.log_zero_threat_arms(np.array([arms]), threat[g][None], np.array([eta]))[0]
    x_w, y_w = x.copy(), y.copy()
    for grp in np.unique(g):
        m = g == grp
        x_w[m] -= x[m].mean()
        y_w[m] -= y[m].mean()
    slope = float(x_w @ y_w / (x_w @ x_w))
    resid = y_w - slope * x_w
    dof = max(len(y) - 1 - len(np.unique(g)), 1)
    sigma2 = float(resid @ resid) / dof
    spec = PARAMETERS["arms_gdp_elasticity"]
    e = min(max(slope, spec.low), math.inf if spec.high is None else spec.high)
    propensity = {
        dims.states[int(grp)]: float(y[g == grp].mean() - e * x[g == grp].mean())
        for grp in np.unique(g)
    }
    return ArmsDemandFit(
        e, math.sqrt(sigma2 / float(x_w @ x_w)), propensity, math.sqrt(sigma2), len(y), slope
    )


def arms_rows(fit: ArmsDemandFit, until: int) -> list[EstimateRow]:
    """Rows of ``estimates.csv`` for the arms demand."""
    base = (
        f"within regression of log arms imports on log GDP over {fit.n_windows} state windows "
        f"of seeds/panel.csv to {until}, one constant a state; window residual sd "
        f"{fit.residual_sd:.2f} log units"
    )
    method = f"{base}; standard error {fit.se:.3f}"
    if fit.regression is not None and fit.bounded:
        side = "lower" if fit.regression < fit.elasticity else "upper"
        method += (
            f"; the regression gives {fit.regression:.3f}, outside the parameter's range: "
            f"held at its {side} bound {fit.elasticity:g}"
        )
    rows: list[EstimateRow] = [("arms_gdp_elasticity", fit.elasticity, "elasticity", method)]
    for state, value in fit.propensity.items():
        rows.append(
            (
                f"arms_propensity_{state}",
                value,
                "log USD bn per year",
                f"{base}: the state's constant (mean log imports less the GDP and threat terms)",
            )
        )
    return rows


def write_estimates(directory: Path, rows: list[EstimateRow]) -> None:
    """Write ``estimates.csv``: id, value, unit, method."""
    with open(directory / "estimates.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "value", "unit", "method"])
        for name, value, unit, text in rows:
            w.writerow([name, f"{value:.4f}", unit, text])


def write_residuals(
    directory: Path, dims: Dims, fit: ResidualFit, until: int, scenario: str
) -> None:
    """Write ``residuals.csv``: one row per state, partner and domain."""
    method = (
        f"mean gap between seeds/panel.csv (trade years and arms windows to {until}) and the "
        f"expected path of {scenario}, {fit.iterations} iterations, largest gap left "
        f"{fit.max_gap:.1e}"
    )
    with open(directory / "residuals.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["state", "partner", "domain", "value", "method"])
        for i, state in enumerate(dims.states):
            for k, partner in enumerate(dims.partners):
                for d, domain in enumerate(DOMAINS):
                    w.writerow([state, partner, domain, f"{fit.residual[i, k, d]:.5f}", method])


def estimate_all(
    directory: str | os.PathLike[str] | None = None,
    until: int = 2021,
    scenario: str | None = None,
    weights: bool = True,
    max_evaluations: int = 200,
) -> dict[str, object]:
    """Estimate everything in turn and write it into a seeds folder.

    The gravity elasticities and the arms demand (closed form), then the behavioural weights of
    :data:`FITTED_WEIGHTS` with the residuals profiled out (skipped with ``weights=False``),
    then the residuals at those weights.

    Args:
        directory: Seeds folder to write (default: the package's).
        until: Last year of the panel used.
        scenario: Hindcast scenario file.
        weights: Whether to estimate the weights (else the assumptions are kept).
        max_evaluations: Most evaluations of the weight fit.

    Returns:
        The fits by name: ``gravity``, ``arms``, ``weights`` (or None), ``residuals``.
    """
    folder = Path(directory) if directory is not None else sd.seeds_dir()
    seeds = sd.load_seeds(folder)
    gravity = estimate_gravity(seeds, until=until)
    arms = estimate_arms_demand(seeds, until=until)
    rows = gravity_rows(gravity, seeds.assumed("offer_sensitivity"), until) + arms_rows(arms, until)
    write_estimates(folder, rows)
    sd._load.cache_clear()
    weight_fit = None
    if weights:
        seeds = sd.load_seeds(folder)
        weight_fit = fit_weights(scenario, seeds, until=until, max_evaluations=max_evaluations)
        method = (
            f"least-squares point estimate (seeds/panel.csv to {until}, misfit "
            f"{weight_fit.misfit_start:.0f} at the assumptions, {weight_fit.misfit:.0f} at the "
            f"estimate, {weight_fit.evaluations} runs; residuals profiled out; assumption "
            f"in seeds/assumptions.csv is the starting value)"
        )
        rows += [(k, v, seeds.assumptions[k].unit, method) for k, v in weight_fit.values.items()]
        write_estimates(folder, rows)
        sd._load.cache_clear()
    seeds = sd.load_seeds(folder)
    fit = estimate_residuals(scenario, seeds, until=until)
    dims = sd.default_dims()
    write_residuals(folder, dims, fit, until, scenario or DEFAULT_SCENARIO)
    sd._load.cache_clear()
    return {"gravity": gravity, "arms": arms, "weights": weight_fit, "residuals": fit}


__all__ = [
    "ESTIMATION_WINDOWS",
    "FITTED_WEIGHTS",
    "ArmsDemandFit",
    "GravityFit",
    "ResidualFit",
    "WeightFit",
    "estimate_all",
    "estimate_arms_demand",
    "estimate_gravity",
    "estimate_residuals",
    "explain_residuals",
    "fit_weights",
    "misfit",
]


@dataclass(frozen=True)
class ResidualExplanation:
    """How much of the residual attractions fixed observables account for.

    Attributes:
        domain: ``economic`` or ``security``.
        names: Regressors after the partner constants.
        coef: Their estimates.
        r2_partner: Share of the residuals' variance the partner constants alone carry.
        r2_full: Share carried by the partner constants and the observables together.
        n: Pairs used.
    """

    domain: str
    names: tuple[str, ...]
    coef: FloatArray
    r2_partner: float
    r2_full: float
    n: int


def explain_residuals(
    seeds: sd.SeedData | None = None, domain: str = "economic"
) -> ResidualExplanation:
    """Regress the powers' residuals on fixed observables of ``seeds/observables.csv``.

    Equation: ``r[s,k] = a_k + b_1 log distance[s,k] + b_2 border[s,k]
    + b_3 russians[s] [k = russia] + e`` over the five states and three powers, with the
    capital-to-capital distance, a shared land border and the share of ethnic Russians in the
    state (its census nearest 2009). The residuals stay in the model as estimated; this only
    says how much of them such observables could carry.

    Args:
        seeds: Seed tables.
        domain: ``economic`` or ``security``.

    Returns:
        The explanation.
    """
    seeds = seeds or sd.load_seeds()
    rows = _observables(seeds.directory)
    dims = sd.default_dims()
    y, x, partner = [], [], []
    for s in dims.states:
        russians = _nearest(rows, s, "", "russian_population_share", 2009) / 100.0
        for k, p in enumerate(dims.powers):
            value = seeds.residuals.get((s, p, domain))
            if value is None:
                continue
            dist = _nearest(rows, s, p, "distance_km", 2011)
            border = _nearest(rows, s, p, "border", 2021, default=0.0)
            y.append(value)
            x.append([math.log(dist), border, russians * (p == "russia")])
            partner.append(k)
    yv, xv, g = np.array(y), np.array(x), np.array(partner)
    dummies = np.stack([(g == k).astype(float) for k in range(dims.n_powers)], axis=1)
    total = float(((yv - yv.mean()) ** 2).sum())
    base, *_ = np.linalg.lstsq(dummies, yv, rcond=None)
    r2_partner = 1.0 - float(((yv - dummies @ base) ** 2).sum()) / total
    design = np.concatenate([dummies, xv], axis=1)
    coef, *_ = np.linalg.lstsq(design, yv, rcond=None)
    r2_full = 1.0 - float(((yv - design @ coef) ** 2).sum()) / total
    return ResidualExplanation(
        domain,
        ("log_distance", "border", "russian_share_x_russia"),
        coef[dims.n_powers :],
        r2_partner,
        r2_full,
        len(yv),
    )


def _observables(directory: Path) -> list[dict[str, str]]:
    columns = ("state", "partner", "series", "year", "value")
    rows = read_table(directory / "observables.csv", columns, columns[:4])
    for r in rows:
        r.number("value")
        if not r["year"][:4].isdigit():
            raise r.error("year", f"{r['year']!r} is not a year (expected a year such as 2011)")
    return list(rows)


def _nearest(
    rows: list[dict[str, str]],
    state: str,
    partner: str,
    series: str,
    year: int,
    default: float | None = None,
) -> float:
    """The value of a series nearest a year (``default`` where there is none)."""
    found = [
        (abs(int(r["year"][:4]) - year), float(r["value"]))
        for r in rows
        if r["state"] == state and r["partner"] == partner and r["series"] == series
    ]
    if not found:
        if default is None:
            raise KeyError(f"observables.csv has no {series} for {state} {partner}")
        return default
    return min(found)[1]
