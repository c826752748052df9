"""The posterior of the model's behavioural parameters given the country panel.

Priors (:func:`load_priors`, ``seeds/priors.csv``) are normal on a transformed scale (``log``
for a weight bounded below, ``logit`` for a rate between two bounds), each given by its 5 and
95 percent points and a reason. The likelihood is the panel's
(:class:`~influence_sim.likelihood.PanelLikelihood`): every trade year and arms window up to
``until``, the residual attractions profiled out for each parameter set.

The sampler is emcee's affine-invariant ensemble MCMC (:func:`sample_posterior`): it needs no
gradient (the model has none), no tuning beyond the number of walkers, and each step moves half
of the walkers at once, so the candidates of a half step are evaluated as one batch of the
vectorised kernel, split over worker processes. The random state is emcee's own
``RandomState`` seeded from the fit's seed, never NumPy's global one; the chain is saved after
every chunk of steps with that state, so an interrupted fit resumes to the same chain. Each
candidate's residual profiling starts from the residuals of the nearest walker of the current
ensemble, so the chain depends on the seed, the settings and the data only, not on workers or
chunks.

What the fit writes (:func:`write_fit`): ``posterior.csv`` (one row per retained draw: each
parameter and the draw's profiled residuals) with ``posterior.json`` beside it (settings,
parameter table fingerprint, diagnostics), ``chain.npz`` (the whole chain, for resuming),
``summary.csv`` (prior and posterior intervals of each parameter) and figures. Runs draw each
replicate's parameters from a posterior file (:meth:`Posterior.assign`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from influence_sim import initial, provenance
from influence_sim import seeds as sd
from influence_sim._files import json_text, write_text_atomic
from influence_sim._inputs import (
    CUT_SHORT,
    InputFileError,
    lacks_final_newline,
    path_argument,
    read_csv_rows,
    read_json_object,
)
from influence_sim._workers import lifeline, watch_parent
from influence_sim.kernel.arrays import DOMAINS, FloatArray
from influence_sim.likelihood import TRADE_AR, Observations, PanelLikelihood
from influence_sim.parameters import PARAMETERS
from influence_sim.rng import stream

POSTERIOR_STREAM = 2
"""Child of a replicate's seed sequence that picks its posterior draw (noise 0, shocks 1)."""

MAX_POSTERIOR_BYTES = 1_000_000_000
"""Largest posterior file read, in bytes."""

FORMAT = "influence_sim posterior 1"
"""Format tag of ``posterior.json``."""

_Z90 = 1.6448536269514722


class PriorError(ValueError):
    """A priors file that cannot be used (the message names the file, line and key)."""


class PosteriorError(ValueError):
    """A posterior file that does not match the model (the message says what differs)."""


@dataclass(frozen=True)
class Prior:
    """Prior of one parameter: normal on the transformed scale.

    Attributes:
        name: Parameter name (``parameters.<name>``).
        transform: ``log`` (``z = log(x - low)``) or ``logit``
            (``z = log((x - low) / (high - x))``).
        low: Lower bound of the support.
        high: Upper bound (``logit`` only).
        p05: 5 percent point, natural units.
        p95: 95 percent point, natural units.
        reason: Why.
    """

    name: str
    transform: str
    low: float
    high: float | None
    p05: float
    p95: float
    reason: str

    def to_z(self, x: FloatArray | float) -> FloatArray:
        """Natural units to the sampling scale."""
        x = np.asarray(x, dtype=np.float64)
        if self.transform == "log":
            return np.log(x - self.low)
        assert self.high is not None
        return np.log((x - self.low) / (self.high - x))

    def from_z(self, z: FloatArray | float) -> FloatArray:
        """The sampling scale to natural units."""
        z = np.asarray(z, dtype=np.float64)
        if self.transform == "log":
            return self.low + np.exp(z)
        assert self.high is not None
        return self.low + (self.high - self.low) / (1.0 + np.exp(-z))

    @property
    def z_mean(self) -> float:
        """Mean on the sampling scale."""
        return float((self.to_z(self.p05) + self.to_z(self.p95)) / 2.0)

    @property
    def z_sd(self) -> float:
        """Standard deviation on the sampling scale."""
        return float((self.to_z(self.p95) - self.to_z(self.p05)) / (2.0 * _Z90))

    @property
    def median(self) -> float:
        """Prior median, natural units."""
        return float(self.from_z(self.z_mean))

    def quantile(self, q: float) -> float:
        """Prior quantile ``q`` (0 to 1), natural units."""
        from statistics import NormalDist

        return float(self.from_z(self.z_mean + self.z_sd * NormalDist().inv_cdf(q)))

    def log_density(self, z: FloatArray) -> FloatArray:
        """Log density on the sampling scale (constants dropped)."""
        out: FloatArray = -0.5 * ((np.asarray(z) - self.z_mean) / self.z_sd) ** 2
        return out


def load_priors(path: str | os.PathLike[str] | None = None) -> list[Prior]:
    """Read and check a priors file (default: ``seeds/priors.csv``).

    Each row names a global parameter of the parameter table; its support lies within the
    table's range and its 5 and 95 percent points inside the support, in order.

    Raises:
        PriorError: With the file, line and column of the first problem.
    """
    file = Path(path) if path is not None else sd.seeds_dir() / "priors.csv"
    specs = dict(PARAMETERS)
    out: list[Prior] = []
    try:
        rows = read_csv_rows(file)
    except InputFileError as exc:
        raise PriorError(str(exc)) from None
    if rows:
        header = [c.strip() for c in rows[0]]
        needed = ["parameter", "transform", "low", "high", "p05", "p95", "reason"]
        missing = [c for c in needed if c not in header]
        if missing:
            raise PriorError(f"{file}:1: missing column(s) {', '.join(missing)}")
        for line, cells in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in cells):
                continue
            row = dict(zip(header, [*cells, *[""] * (len(header) - len(cells))], strict=False))
            where = f"{file}:{line}"
            name = row["parameter"].strip()
            spec = specs.get(name)
            if spec is None or spec.scope != "global":
                raise PriorError(f"{where}: parameter: {name!r} is no global model parameter")
            if name in {p.name for p in out}:
                raise PriorError(f"{where}: parameter: {name!r} is given twice")
            transform = row["transform"].strip()
            if transform not in ("log", "logit"):
                raise PriorError(f"{where}: transform: must be log or logit, not {transform!r}")
            try:
                low = float(row["low"])
                high = float(row["high"]) if row["high"].strip() else None
                p05, p95 = float(row["p05"]), float(row["p95"])
            except ValueError:
                raise PriorError(f"{where}: low, high, p05, p95 must be numbers") from None
            if low < spec.low or (spec.high is not None and (high is None or high > spec.high)):
                raise PriorError(
                    f"{where}: low/high: [{low:g}, {high}] is outside the parameter's range "
                    f"[{spec.low:g}, {spec.high}]"
                    + (" (use logit up to the range's top)" if high is None else "")
                )
            if transform == "logit" and high is None:
                raise PriorError(f"{where}: high: a logit prior needs an upper bound")
            if transform == "log" and high is not None:  # a log prior's draws have no top
                raise PriorError(
                    f"{where}: high: a log prior has no upper bound (leave high empty, or use "
                    "logit to keep draws below it)"
                )
            upper = high if transform == "logit" else math.inf
            assert upper is not None
            if not (low < p05 < p95 < upper):
                raise PriorError(f"{where}: p05/p95: need low < p05 < p95 < high")
            if not row["reason"].strip():
                raise PriorError(f"{where}: reason: every prior needs a reason")
            out.append(Prior(name, transform, low, high, p05, p95, row["reason"].strip()))
    if not out:
        raise PriorError(f"{file}: no priors")
    return out


def parameter_table_fingerprint(names: Sequence[str] | None = None) -> str:
    """sha256 of the parameter table's names, scopes and ranges (of ``names``, or all)."""
    rows = [
        (p.name, p.scope, p.low, p.high)
        for p in PARAMETERS.values()
        if names is None or p.name in names
    ]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


# --- the fitted posterior --------------------------------------------------------------------


@dataclass
class Posterior:
    """Draws from a fitted posterior: parameter values and each draw's residuals.

    Attributes:
        names: Parameter names.
        values: ``(N, P)`` draws, natural units.
        residual: ``(N, S, K, D)`` residuals profiled at each draw.
        states: States of the residual axis.
        partners: Partners of the residual axis.
        loglik: ``(N,)`` log-likelihood of each draw.
        meta: The fit's ``posterior.json``.
        path: File it was read from.
    """

    names: tuple[str, ...]
    values: FloatArray
    residual: FloatArray
    states: tuple[str, ...]
    partners: tuple[str, ...]
    loglik: FloatArray
    meta: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.values.shape[0])

    def draw_index(self, seeds: Sequence[np.random.SeedSequence]) -> np.ndarray:
        """The draw each replicate uses: from its own seed (:data:`POSTERIOR_STREAM`).

        Two runs with the same replicate seeds use the same draws (common draws in a paired
        comparison), whatever their batching or workers.
        """
        return np.array(
            [int(stream(s, POSTERIOR_STREAM).integers(self.n_draws)) for s in seeds], dtype=int
        )

    def columns(self, index: np.ndarray) -> dict[str, FloatArray]:
        """Override columns (``parameters.<name>`` -> ``(B,)``) of the given draws."""
        return {f"parameters.{n}": self.values[index, j] for j, n in enumerate(self.names)}

    def residuals_for(
        self, index: np.ndarray, states: Sequence[str], partners: Sequence[str], base: FloatArray
    ) -> FloatArray:
        """``(B, S, K, D)`` residuals of the draws on a run's axes.

        Entries the posterior does not know (a power a scenario adds) keep ``base``.
        """
        out = np.array(base, dtype=np.float64, copy=True)
        s_map = [(i, self.states.index(s)) for i, s in enumerate(states) if s in self.states]
        k_map = [(k, self.partners.index(p)) for k, p in enumerate(partners) if p in self.partners]
        for i, si in s_map:
            for k, ki in k_map:
                out[:, i, k, :] = self.residual[index, si, ki, :]
        return out

    def summary(self, priors: Sequence[Prior] | None = None) -> list[dict[str, float | str]]:
        """Per parameter: prior and posterior median and 5-95% interval, and their width ratio."""
        by_name = {p.name: p for p in priors or []}
        rows: list[dict[str, float | str]] = []
        for j, name in enumerate(self.names):
            x = self.values[:, j]
            p05, p50, p95 = np.quantile(x, [0.05, 0.5, 0.95])
            row: dict[str, float | str] = {
                "parameter": name,
                "posterior_median": float(p50),
                "posterior_p05": float(p05),
                "posterior_p95": float(p95),
            }
            prior = by_name.get(name)
            if prior is not None:
                row["prior_median"] = prior.median
                row["prior_p05"] = prior.p05
                row["prior_p95"] = prior.p95
                zq = np.quantile(prior.to_z(x), [0.05, 0.95])
                ratio = float((zq[1] - zq[0]) / (2 * _Z90 * prior.z_sd))
                row["width_ratio"] = ratio
                row["pinned"] = (
                    "yes" if ratio < 0.5 else ("partly" if ratio < 0.85 else "no: prior")
                )
            rows.append(row)
        return rows


def residual_columns(states: Sequence[str], partners: Sequence[str]) -> list[str]:
    """Column names of the residuals in ``posterior.csv``."""
    return [f"residual.{s}.{p}.{d}" for s in states for p in partners for d in DOMAINS]


def write_posterior(directory: Path, post: Posterior) -> list[Path]:
    """Write ``posterior.csv`` and ``posterior.json`` into ``directory`` (atomically)."""
    header = ["draw", "log_likelihood"] + [f"parameters.{n}" for n in post.names]
    header += residual_columns(post.states, post.partners)
    lines = [",".join(header)]
    flat = post.residual.reshape(post.n_draws, -1)
    for n in range(post.n_draws):
        cells = [str(n), f"{post.loglik[n]:.6f}"]
        cells += [f"{v:.8g}" for v in post.values[n]]
        cells += [f"{v:.6f}" for v in flat[n]]
        lines.append(",".join(cells))
    paths = [write_text_atomic(directory / "posterior.csv", "\n".join(lines) + "\n")]
    meta = {**post.meta, "draws": post.n_draws}
    paths.append(write_text_atomic(directory / "posterior.json", json_text(meta)))
    return paths


def load_posterior(path: str | os.PathLike[str]) -> Posterior:
    """Read a posterior file (``posterior.csv``, with ``posterior.json`` beside it) and check it.

    Args:
        path: The CSV file, or the folder holding it.

    Raises:
        TypeError: If ``path`` is not a path (text or ``os.PathLike``).
        PosteriorError: If a file is missing or unreadable, or the posterior does not match the
            model's parameter table (a parameter unknown, out of its range, or a table changed
            since the fit).
    """
    file = path_argument("path", path)
    if file.is_dir():
        file = file / "posterior.csv"
    meta_file = file.with_suffix(".json")
    if not os.path.lexists(file):
        raise PosteriorError(f"{file}: posterior file not found")
    if not os.path.lexists(meta_file):
        raise PosteriorError(f"{meta_file}: the posterior's metadata file is missing")
    try:
        meta = read_json_object(meta_file)
    except InputFileError as exc:
        raise PosteriorError(str(exc)) from None
    if meta.get("format") != FORMAT:
        raise PosteriorError(f"{meta_file}: format: not a posterior of this version ({FORMAT!r})")
    lists = {key: meta.get(key, []) for key in ("parameters", "states", "partners")}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PosteriorError(f"{meta_file}: {key}: expected a list of names")
    names, states, partners = (tuple(v) for v in lists.values())
    draws = meta.get("draws")  # recorded since the fit wrote it; older files have none
    if draws is not None and (type(draws) is not int or draws < 1):
        raise PosteriorError(f"{meta_file}: draws: expected a whole number above 0, not {draws!r}")
    specs = dict(PARAMETERS)
    for name in names:
        if name not in specs or specs[name].scope != "global":
            raise PosteriorError(
                f"{file}: parameters.{name}: not a global parameter of the model's parameter "
                "table; refit with `influence-sim fit`"
            )
    if meta.get("parameter_table") != parameter_table_fingerprint(names):
        raise PosteriorError(
            f"{file}: fitted with a parameter table that differs from the model's (names, "
            "scopes or ranges changed); refit with `influence-sim fit`"
        )
    try:
        rows = read_csv_rows(file, max_bytes=MAX_POSTERIOR_BYTES)
    except InputFileError as exc:
        raise PosteriorError(str(exc)) from None
    header = rows[0] if rows else []
    expected = ["draw", "log_likelihood"] + [f"parameters.{n}" for n in names]
    expected += residual_columns(states, partners)
    if header != expected:
        raise PosteriorError(f"{file}:1: columns do not match {meta_file.name}")
    if lacks_final_newline(file):
        raise PosteriorError(f"{file}:{len(rows)}: {CUT_SHORT}")
    if draws is not None and len(rows) - 1 != draws:
        raise PosteriorError(
            f"{file}: {len(rows) - 1} draws, but {meta_file.name} records {draws} (the file is "
            "cut short?)"
        )
    numbers = []
    for line, cells in enumerate(rows[1:], 2):
        if len(cells) != len(header):
            raise PosteriorError(
                f"{file}:{line}: {len(cells)} cells, expected {len(header)} (one per column)"
            )
        try:
            numbers.append([float(c) for c in cells])
        except ValueError:
            raise PosteriorError(f"{file}:{line}: a value is not a number") from None
    data = np.array(numbers, dtype=np.float64)
    if data.ndim != 2 or data.shape[0] == 0:
        raise PosteriorError(f"{file}: no draws")
    infinite = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if infinite.size:
        raise PosteriorError(f"{file}:{int(infinite[0]) + 2}: a value is not finite")
    values = data[:, 2 : 2 + len(names)]
    for j, name in enumerate(names):
        spec = specs[name]
        bad = (values[:, j] < spec.low) | (
            values[:, j] > (spec.high if spec.high is not None else math.inf)
        )
        if np.any(bad):
            row = int(np.flatnonzero(bad)[0]) + 2
            raise PosteriorError(
                f"{file}:{row}: parameters.{name}: {values[row - 2, j]:g} is outside the "
                f"parameter's range [{spec.low:g}, {spec.high}]"
            )
    residual = data[:, 2 + len(names) :].reshape(len(data), len(states), len(partners), 2)
    return Posterior(names, values, residual, states, partners, data[:, 1], meta, file)


# --- sampling --------------------------------------------------------------------------------


START_METHODS = ("laplace", "prior")
"""Where a fit's walkers may start (:attr:`FitSettings.start`)."""


@dataclass(frozen=True)
class FitSettings:
    """Settings of a posterior fit.

    Attributes:
        until: Last year of the panel used.
        walkers: Walkers of the ensemble (at least twice the parameters, even).
        steps: Steps of each walker.
        burn: Steps discarded as burn-in (default: half).
        draws: Draws kept in ``posterior.csv`` (evenly over the kept chain).
        seed: Seed of the sampler's random state.
        chunk: Steps between saves of the chain.
        workers: Processes evaluating candidates.
        scenario: Hindcast scenario (None: the library's).
        trade_ar: AR(1) coefficient of the trade errors.
        tolerance: Residual profiling tolerance (log units).
        observations: ``.npz`` of :class:`~influence_sim.likelihood.Observations` scored
            instead of the panel's figures (synthetic data of a recovery study); None: the
            panel.
        start: Where the walkers start: ``"laplace"`` (the default) draws them from a normal
            around the posterior's mode, found from the best of a pool of prior draws
            (:func:`find_start`); ``"prior"`` draws them around the prior's centre at half its
            width (the sampler's start before the recovery study measured the difference).
    """

    until: int = 2019
    walkers: int = 24
    steps: int = 160
    burn: int | None = None
    draws: int = 200
    seed: int = 1
    chunk: int = 10
    workers: int = 2
    scenario: str | None = None
    trade_ar: float | None = None
    tolerance: float = 1e-3
    observations: str | None = None
    start: str = "laplace"

    def __post_init__(self) -> None:
        if self.start not in START_METHODS:
            raise ValueError(f"start must be one of {', '.join(START_METHODS)}, not {self.start!r}")

    @property
    def burn_steps(self) -> int:
        """Steps discarded."""
        return self.steps // 2 if self.burn is None else self.burn

    def identity(self) -> dict[str, Any]:
        """What the chain depends on (a resumed fit must match it; workers and chunk aside)."""
        d = dataclasses.asdict(self)
        for k in ("workers", "chunk", "draws", "burn", "steps"):
            d.pop(k)
        return d


class _Evaluator:
    """Evaluates batches of candidates, in this process or split over worker processes."""

    def __init__(self, settings: FitSettings, names: tuple[str, ...], seeds_dir: Path) -> None:
        self._args = (settings, names, str(seeds_dir))
        self._pool: Any = None
        self._local: Any = None
        if settings.workers > 1:
            import concurrent.futures as cf
            import multiprocessing as mp

            context = mp.get_context("spawn")
            self._reader, self._keep = lifeline(context)
            self._pool = cf.ProcessPoolExecutor(
                settings.workers,
                mp_context=context,
                initializer=_worker_init,
                initargs=(*self._args, self._reader),
            )
        else:
            self._local = _make_likelihood(*self._args)
        self.workers = settings.workers

    def __call__(self, values: FloatArray, start: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self._pool is None:
            ev = self._local.evaluate(values, start)
            return ev.loglik, ev.residual
        parts = np.array_split(np.arange(len(values)), self.workers)
        futures = [self._pool.submit(_worker_eval, values[p], start[p]) for p in parts if len(p)]
        results = [f.result() for f in futures]
        return (
            np.concatenate([r[0] for r in results]),
            np.concatenate([r[1] for r in results]),
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._keep.close()
            self._reader.close()


def _make_likelihood(settings: FitSettings, names: tuple[str, ...], seeds_dir: str) -> Any:
    like = PanelLikelihood(
        settings.scenario,
        sd.load_seeds(seeds_dir),
        until=settings.until,
        names=names,
        trade_ar=TRADE_AR if settings.trade_ar is None else settings.trade_ar,
        tolerance=settings.tolerance,
        damping=1.0,
    )
    if settings.observations is not None:
        like = like.with_observations(Observations.load(settings.observations))
    return like


_WORKER: dict[str, Any] = {}


def _worker_init(
    settings: FitSettings, names: tuple[str, ...], seeds_dir: str, reader: Any
) -> None:
    watch_parent(reader)  # a killed fit leaves no worker behind
    _WORKER["like"] = _make_likelihood(settings, names, seeds_dir)


def _worker_eval(values: FloatArray, start: FloatArray) -> tuple[FloatArray, FloatArray]:
    ev = _WORKER["like"].evaluate(values, start)
    return ev.loglik, ev.residual


@dataclass
class Chain:
    """The sampler's chain so far.

    Attributes:
        z: ``(n, W, P)`` positions on the sampling scale.
        log_post: ``(n, W)`` log posterior.
        loglik: ``(n, W)`` log-likelihood.
        residual: ``(W, S, K, D)`` residuals of the current walkers.
        random_state: emcee's random state after the last step.
        accepted: ``(W,)`` moves accepted so far.
        seconds: Wall time spent so far.
    """

    z: FloatArray
    log_post: FloatArray
    loglik: FloatArray
    residual: FloatArray
    random_state: Any
    accepted: FloatArray
    seconds: float = 0.0

    @property
    def n_steps(self) -> int:
        """Steps taken (the starting ensemble not counted)."""
        return int(self.z.shape[0]) - 1


def _save_chain(path: Path, chain: Chain, identity: dict[str, Any]) -> None:
    state = chain.random_state
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez(
            f,
            z=chain.z,
            log_post=chain.log_post,
            loglik=chain.loglik,
            residual=chain.residual,
            accepted=chain.accepted,
            seconds=np.array(chain.seconds),
            rs_keys=state[1],
            rs_meta=np.array([state[2], state[3], state[4]], dtype=np.float64),
            identity=np.array(json.dumps(identity, sort_keys=True)),
        )
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _load_chain(path: Path, identity: dict[str, Any]) -> Chain:
    with np.load(path) as data:
        saved = json.loads(str(data["identity"]))
        if saved != json.loads(json.dumps(identity, sort_keys=True)):
            raise PosteriorError(
                f"{path}: the saved chain was run with other settings "
                f"({_diff(saved, identity)}); use --force to start over"
            )
        meta = data["rs_meta"]
        state = ("MT19937", data["rs_keys"], int(meta[0]), int(meta[1]), float(meta[2]))
        return Chain(
            data["z"],
            data["log_post"],
            data["loglik"],
            data["residual"],
            state,
            data["accepted"],
            float(data["seconds"]),
        )


def _diff(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return ", ".join(f"{k}: {a.get(k)!r} then, {b.get(k)!r} now" for k in keys)


def sample_posterior(
    settings: FitSettings,
    out: str | os.PathLike[str],
    priors: Sequence[Prior] | None = None,
    seeds_dir: str | os.PathLike[str] | None = None,
    resume: bool = False,
    progress: bool = False,
    on_chunk: Callable[[Chain], None] | None = None,
) -> Chain:
    """Run (or resume) the ensemble MCMC and save the chain in ``out/chain.npz``.

    Args:
        settings: Fit settings.
        out: Output folder (created).
        priors: Priors (default: ``seeds/priors.csv`` of ``seeds_dir``).
        seeds_dir: Seed tables to fit (default: the package's).
        resume: Continue the chain saved in ``out`` (refused if its settings differ).
        progress: Show a progress bar.
        on_chunk: Called with the chain after each saved chunk.

    Returns:
        The chain.
    """
    import emcee  # imported on use: an optional library, slow to import

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    seeds_path = Path(seeds_dir) if seeds_dir is not None else sd.seeds_dir()
    priors = list(priors) if priors is not None else load_priors(seeds_path / "priors.csv")
    names = tuple(p.name for p in priors)
    n_par, walkers = len(names), settings.walkers
    if walkers < 2 * n_par or walkers % 2:
        raise ValueError(f"walkers must be even and at least {2 * n_par} (twice the parameters)")
    identity = {**settings.identity(), "parameters": list(names), "priors": _priors_id(priors)}
    chain_file = folder / "chain.npz"
    evaluate = _Evaluator(settings, names, seeds_path)
    z_mean = np.array([p.z_mean for p in priors])
    z_sd = np.array([p.z_sd for p in priors])

    def to_values(z: FloatArray) -> FloatArray:
        return np.stack([p.from_z(z[:, j]) for j, p in enumerate(priors)], axis=1)

    def log_prior(z: FloatArray) -> FloatArray:
        out: FloatArray = (-0.5 * ((z - z_mean) / z_sd) ** 2).sum(axis=1)
        return out

    anchors: dict[str, FloatArray] = {}
    last: dict[str, FloatArray] = {}
    stopped: list[KeyboardInterrupt] = []

    def log_prob(z: FloatArray) -> FloatArray:
        z = np.atleast_2d(z)
        if stopped:
            return np.full(len(z), -np.inf)
        scaled = (z[:, None, :] - anchors["z"][None]) / z_sd
        nearest = np.argmin((scaled**2).sum(axis=2), axis=1)
        try:
            loglik, residual = evaluate(to_values(z), anchors["residual"][nearest])
        except KeyboardInterrupt as exc:
            # emcee prints the arguments and a traceback of anything raised here: end the
            # step quietly instead and raise once emcee hands it back (it is not kept, as
            # only whole chunks are saved)
            stopped.append(exc)
            return np.full(len(z), -np.inf)
        for n in range(len(z)):
            last[z[n].tobytes()] = np.concatenate([[loglik[n]], residual[n].ravel()])
        lp: FloatArray = np.where(np.isfinite(loglik), loglik + log_prior(z), -np.inf)
        return lp

    try:
        if resume and chain_file.exists():
            chain = _load_chain(chain_file, identity)
            if chain.n_steps > settings.steps:
                # its first steps are not that shorter fit either: the walkers' residuals and
                # the random state saved are those of its last step
                raise PosteriorError(
                    f"{chain_file}: {chain.n_steps} steps saved, more than the "
                    f"{settings.steps} asked for (give --steps {chain.n_steps} or more, or "
                    "--force to start over)"
                )
        else:
            rng = np.random.default_rng(settings.seed)
            base = initial.residual_array(sd.load_seeds(seeds_path), _dims())
            if settings.start == "laplace":

                def score(z: FloatArray, start: FloatArray) -> tuple[FloatArray, FloatArray]:
                    ll, res = evaluate(to_values(z), start)
                    return np.where(np.isfinite(ll), ll + log_prior(z), -np.inf), res

                began = time.time()
                if progress:
                    print(
                        f"finding the start: {START_POOL * walkers} prior draws, then "
                        f"{START_SEARCHES} searches for the posterior's mode ...",
                        file=sys.stderr,
                        flush=True,
                    )
                z0, lp0, res0 = find_start(score, z_mean, z_sd, base, walkers, rng)
                ll0 = lp0 - log_prior(z0)
                if progress:
                    print(
                        f"start found in {time.time() - began:.0f} s: walkers at log posterior "
                        f"{np.min(lp0):.1f} to {np.max(lp0):.1f}",
                        file=sys.stderr,
                        flush=True,
                    )
            else:
                z0 = z_mean + 0.5 * z_sd * rng.standard_normal((walkers, n_par))
                ll0, res0 = evaluate(to_values(z0), np.repeat(base[None], walkers, axis=0))
                lp0 = ll0 + log_prior(z0)
            chain = Chain(
                z0[None],
                lp0[None],
                ll0[None],
                res0,
                np.random.RandomState(settings.seed).get_state(),
                np.zeros(walkers),
            )
            _save_chain(chain_file, chain, identity)
        sampler = emcee.EnsembleSampler(walkers, n_par, log_prob, vectorize=True)
        bar = None
        if progress:
            from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

            done = min(chain.n_steps, settings.steps)
            bar = tqdm(total=settings.steps, initial=done, unit="step")
        while chain.n_steps < settings.steps:
            todo = min(settings.chunk, settings.steps - chain.n_steps)
            state = emcee.State(
                chain.z[-1], log_prob=chain.log_post[-1], random_state=chain.random_state
            )
            zs: list[FloatArray] = []
            lps: list[FloatArray] = []
            lls: list[FloatArray] = []
            residual = chain.residual
            accepted = chain.accepted.copy()
            t0 = time.time()
            anchors["z"], anchors["residual"] = state.coords, residual
            for new in sampler.sample(state, iterations=todo, store=False):
                if stopped:
                    raise stopped[0]
                moved = np.any(new.coords != anchors["z"], axis=1)
                accepted += moved
                ll = np.empty(walkers)
                res = np.array(residual, copy=True)
                for w in range(walkers):
                    if moved[w]:
                        rec = last[new.coords[w].tobytes()]
                        ll[w] = rec[0]
                        res[w] = rec[1:].reshape(res.shape[1:])
                    else:
                        ll[w] = lls[-1][w] if lls else chain.loglik[-1][w]
                residual = res
                last.clear()
                anchors["z"], anchors["residual"] = new.coords.copy(), residual
                zs.append(new.coords.copy())
                lps.append(new.log_prob.copy())
                lls.append(ll)
                if bar is not None:
                    bar.update(1)
                state = new
            chain = Chain(
                np.concatenate([chain.z, np.array(zs)]),
                np.concatenate([chain.log_post, np.array(lps)]),
                np.concatenate([chain.loglik, np.array(lls)]),
                residual,
                sampler.random_state,
                accepted,
                chain.seconds + time.time() - t0,
            )
            _save_chain(chain_file, chain, identity)
            if on_chunk is not None:
                on_chunk(chain)
        if bar is not None:
            bar.close()
    finally:
        evaluate.close()
    return chain


START_POOL = 8
"""Prior draws per walker scored to pick where the search for the mode starts."""

START_SEARCHES = 2
"""Searches for the mode, from the best distinct prior draws of the pool."""

START_INFLATION = 1.5
"""Factor on the Laplace approximation's standard deviations where the walkers start."""


def find_start(
    score: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    z_mean: FloatArray,
    z_sd: FloatArray,
    residual: FloatArray,
    walkers: int,
    rng: np.random.Generator,
    searches: int = START_SEARCHES,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Starting walkers near the posterior's bulk: a pooled, multi-start Laplace approximation.

    An ensemble that starts far from where the posterior's mass is spends many steps getting
    there, and one that starts inside a secondary ridge may not leave it within the chain; the
    recovery study found both (truths whose log posterior was higher than every walker's after
    80 steps). So the walkers start from the data's side:

    1. ``START_POOL * walkers`` draws from the prior are scored in one batch.
    2. From the ``searches`` best of them (each at least one prior standard deviation from the
       others), L-BFGS-B (SciPy) climbs the log posterior on the prior-standardised scale
       ``u = (z - z_mean) / z_sd``; each gradient is a central difference whose ``2P + 1``
       candidates run as one batch.
    3. At the highest mode found, the Hessian of the log posterior is taken by central
       differences (one batch of ``1 + 2P + P(P-1)/2`` candidates); its eigenvalues are kept at
       least 1 (no direction wider than the prior) and at most ``1e4``.
    4. The walkers are drawn from a normal at that mode with the Laplace covariance, every
       standard deviation widened by :data:`START_INFLATION`, so the ensemble starts a little
       wider than the posterior and contracts onto it; a draw with no finite score is drawn
       again.

    Everything after the start is the MCMC's, whose burn-in is discarded: the start only
    decides how many steps that burn-in needs.

    Args:
        score: ``(z, start residuals) -> (log posterior, residuals)`` of a batch.
        z_mean: Prior means on the sampling scale.
        z_sd: Prior standard deviations on the sampling scale.
        residual: ``(S, K, D)`` residuals the pool's profiling starts from.
        walkers: Walkers to start.
        rng: Random generator (the fit's seed).
        searches: Searches for the mode.

    Returns:
        ``(z, log posterior, residuals)`` of the walkers.
    """
    from scipy.optimize import minimize

    n_par = len(z_mean)

    def to_z(u: FloatArray) -> FloatArray:
        out: FloatArray = z_mean + z_sd * np.atleast_2d(u)
        return out

    pool = START_POOL * walkers
    u_pool = rng.standard_normal((pool, n_par))
    lp_pool, res_pool = score(to_z(u_pool), np.repeat(residual[None], pool, axis=0))
    order = np.argsort(-np.where(np.isfinite(lp_pool), lp_pool, -np.inf), kind="stable")
    picked: list[int] = []
    for i in order:
        if len(picked) == searches or not np.isfinite(lp_pool[i]):
            break
        if all(np.linalg.norm(u_pool[i] - u_pool[j]) >= 1.0 for j in picked):
            picked.append(int(i))
    h_grad = 0.02
    best: tuple[float, FloatArray, FloatArray] = (-np.inf, u_pool[order[0]], res_pool[order[0]])
    for i in picked:
        warm = {"residual": res_pool[i]}

        def objective(
            u: FloatArray, warm: dict[str, FloatArray] = warm
        ) -> tuple[float, FloatArray]:
            step = h_grad * np.eye(n_par)
            points = np.vstack([u, u + step, u - step])
            lp, res = score(to_z(points), np.repeat(warm["residual"][None], len(points), axis=0))
            if not np.isfinite(lp[0]):
                return 1e12, np.zeros(n_par)
            warm["residual"] = res[0]
            diff = (lp[1 : 1 + n_par] - lp[1 + n_par :]) / (2.0 * h_grad)
            return float(-lp[0]), -np.where(np.isfinite(diff), diff, 0.0)

        found = minimize(
            objective,
            u_pool[i],
            jac=True,
            method="L-BFGS-B",
            bounds=[(-4.0, 4.0)] * n_par,
            options={"maxiter": 40, "maxfun": 60},
        )
        if -found.fun > best[0]:
            best = (float(-found.fun), np.asarray(found.x), warm["residual"])
    _, u0, r0 = best
    h = 0.2
    eye = np.eye(n_par)
    pairs = [(a, b) for a in range(n_par) for b in range(a + 1, n_par)]
    points = np.vstack(
        [u0[None], u0 + h * eye, u0 - h * eye]
        + ([np.array([u0 + h * (eye[a] + eye[b]) for a, b in pairs])] if pairs else [])
    )
    lp, _ = score(to_z(points), np.repeat(r0[None], len(points), axis=0))
    f = np.where(np.isfinite(lp), -lp, np.nan)
    f0, fp, fm = f[0], f[1 : 1 + n_par], f[1 + n_par : 1 + 2 * n_par]
    hess = np.diag((fp - 2.0 * f0 + fm) / h**2)
    for n, (a, b) in enumerate(pairs):
        hess[a, b] = hess[b, a] = (f[1 + 2 * n_par + n] - fp[a] - fp[b] + f0) / h**2
    hess = np.where(np.isfinite(hess), hess, 0.0)
    vals, vecs = np.linalg.eigh(0.5 * (hess + hess.T))
    vals = np.clip(vals, 1.0, 1e4)
    root = vecs / np.sqrt(vals)  # columns: the Laplace approximation's principal axes
    z_out = np.empty((walkers, n_par))
    lp_out = np.full(walkers, -np.inf)
    res_out = np.repeat(r0[None], walkers, axis=0)
    todo = np.arange(walkers)
    for _ in range(10):
        u = u0 + START_INFLATION * rng.standard_normal((len(todo), n_par)) @ root.T
        lp_try, res_try = score(to_z(u), np.repeat(r0[None], len(todo), axis=0))
        ok = np.isfinite(lp_try)
        z_out[todo] = to_z(u)
        lp_out[todo[ok]] = lp_try[ok]
        res_out[todo[ok]] = res_try[ok]
        todo = todo[~ok]
        if not len(todo):
            break
    return z_out, lp_out, res_out


def _priors_id(priors: Sequence[Prior]) -> list[list[Any]]:
    return [[p.name, p.transform, p.low, p.high, p.p05, p.p95] for p in priors]


def _dims() -> Any:
    return sd.default_dims()


def autocorrelation_time(chain: Chain, burn: int) -> FloatArray:
    """Integrated autocorrelation time of each parameter over the kept chain (steps).

    emcee's estimate with ``quiet=True``: with a chain shorter than 50 times the time it
    warns instead of failing, and the number is then a lower bound.
    """
    import warnings

    import emcee

    kept = chain.z[1 + burn :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tau: FloatArray = emcee.autocorr.integrated_time(kept, quiet=True)
    return tau


def posterior_from_chain(
    chain: Chain,
    settings: FitSettings,
    priors: Sequence[Prior],
    seeds_dir: str | os.PathLike[str] | None = None,
) -> Posterior:
    """Thin the kept chain to ``settings.draws`` draws and profile each draw's residuals.

    Draws are taken evenly over the kept steps and walkers (deterministic); the residuals of
    each draw are profiled again (from the final walkers' residuals), as the chain stores only
    the current walkers' residuals.
    """
    burn = settings.burn_steps
    kept = chain.z[1 + burn :].reshape(-1, chain.z.shape[2])
    kept_ll = chain.loglik[1 + burn :].reshape(-1)
    n = min(settings.draws, len(kept))
    pick = np.unique(np.linspace(0, len(kept) - 1, n).round().astype(int))
    z = kept[pick]
    values = np.stack([p.from_z(z[:, j]) for j, p in enumerate(priors)], axis=1)
    seeds_path = Path(seeds_dir) if seeds_dir is not None else sd.seeds_dir()
    names = tuple(p.name for p in priors)
    evaluate = _Evaluator(settings, names, seeds_path)
    try:
        final_z = chain.z[-1]
        scaled = (z[:, None, :] - final_z[None]) / np.array([p.z_sd for p in priors])
        nearest = np.argmin((scaled**2).sum(axis=2), axis=1)
        loglik, residual = evaluate(values, chain.residual[nearest])
    finally:
        evaluate.close()
    dims = _dims()
    tau = autocorrelation_time(chain, burn)
    n_walk = chain.z.shape[1]
    kept_steps = chain.n_steps - burn
    meta: dict[str, Any] = {
        "format": FORMAT,
        "parameters": list(names),
        "states": list(dims.states),
        "partners": list(dims.partners),
        "parameter_table": parameter_table_fingerprint(names),
        "priors": _priors_id(priors),
        "settings": dataclasses.asdict(settings),
        "scenario": settings.scenario or "scenarios/hindcast_2000.yaml",
        "until": settings.until,
        "sampler": "emcee EnsembleSampler (affine-invariant stretch move)",
        "steps": chain.n_steps,
        "burn": burn,
        "acceptance_fraction": float(chain.accepted.mean() / max(chain.n_steps, 1)),
        "autocorrelation_time_steps": dict(zip(names, np.round(tau, 1).tolist(), strict=True)),
        "effective_samples": dict(
            zip(names, np.round(kept_steps * n_walk / np.maximum(tau, 1.0)).tolist(), strict=True)
        ),
        "max_log_likelihood_kept": float(kept_ll.max()),
        "wall_seconds": round(chain.seconds, 1),
        "versions": _versions(),
    }
    return Posterior(names, values, residual, dims.states, dims.partners, loglik, meta)


def _versions() -> dict[str, str]:
    out = provenance.package_versions(provenance.RUN_PACKAGES)
    try:
        import emcee

        out["emcee"] = emcee.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


__all__ = [
    "POSTERIOR_STREAM",
    "Chain",
    "FitSettings",
    "Posterior",
    "PosteriorError",
    "Prior",
    "PriorError",
    "autocorrelation_time",
    "load_posterior",
    "load_priors",
    "parameter_table_fingerprint",
    "posterior_from_chain",
    "sample_posterior",
    "write_posterior",
]
