"""Recovery study: does the posterior fit find the parameters that made the data?

Each trial takes a known parameter set, draws a synthetic panel from the model's expected
path at that set and from the observation model the likelihood assumes
(:meth:`influence_sim.likelihood.PanelLikelihood.simulate`), and fits it with the same
sampler, priors and profiling as ``influence-sim fit``
(:func:`influence_sim.posterior.sample_posterior`). A parameter is *recovered* in a trial
when its true value lies inside the central interval (90% by default) of the trial's kept
chain. If the fit's intervals mean what they say, about 90% of (trial, parameter) pairs are
inside; the study passes when at least :data:`PASS_COVERAGE` are.

Where the true values come from (``RecoverySettings.truths``):

``"prior"`` (the default)
    Each trial draws its parameters from the priors of the fit. This is simulation-based
    calibration (Cook, Gelman and Rubin 2006; Talts et al. 2018): averaged over truths drawn
    from the prior, a correct sampler's 90% intervals hold the truth 90% of the time, whatever
    the data say about each parameter. It checks the whole machinery (synthetic panel,
    likelihood, residual profiling, sampler, chain length) and is the study's criterion.
``"posterior"``
    Each trial takes a draw of the committed posterior (``seeds/posterior/``). This asks a
    harder, local question: near where the real panel puts the parameters, does a synthetic
    panel pin them down? A parameter the panel cannot identify falls back towards its prior
    there, and its truth, if it sits in the prior's tail, falls outside the interval: a
    statement about the data, not about the sampler.

The residuals (the state-partner levels the fit profiles) come with the true values: from the
same posterior draw under ``"posterior"``; under ``"prior"``, the residuals the fit would
profile at the true values against the real panel (:func:`panel_residuals`), so the synthetic
panel has the real panel's levels and no fitted posterior enters the study.

What a trial holds fixed: the panel's layout (which years and windows are observed, the
window volumes that weight the arms shares), the parameters that are not sampled (the seed
tables' estimates and assumptions) and the hindcast scenario. What it re-estimates: every
sampled parameter and all residuals (profiled, as in a real fit).

Trials are written to ``folder/trial_NN/`` (the synthetic figures, the chain, and a
``result.json`` once done); a study that is stopped resumes where it was, and a finished trial
is not run again.

Example:
    >>> from influence_sim.recovery import RecoverySettings, run_recovery
    >>> frame = run_recovery(RecoverySettings(trials=2, steps=20), "rec")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from influence_sim import seeds as sd
from influence_sim.kernel.arrays import FloatArray
from influence_sim.posterior import (
    FitSettings,
    Posterior,
    Prior,
    load_posterior,
    load_priors,
    sample_posterior,
)

PASS_COVERAGE = 0.8
"""Share of (trial, parameter) pairs whose true value must lie inside the interval."""

TRUTH_SOURCES = ("prior", "posterior")
"""Where a study's true values come from."""


@dataclass(frozen=True)
class RecoverySettings:
    """Settings of a recovery study.

    Attributes:
        trials: Synthetic panels fitted.
        walkers: Walkers of each fit.
        steps: Steps of each fit.
        burn: Steps discarded (default: half).
        level: Central posterior interval checked.
        seed: Root seed (synthetic errors and samplers; trial ``k`` uses child ``k``).
        workers: Processes evaluating candidates.
        until: Last panel year of the synthetic panel (as the fit's ``--until``).
        truths: ``"prior"`` (true values drawn from the priors) or ``"posterior"`` (draws of
            the committed posterior); see the module's docstring.
    """

    trials: int = 20
    walkers: int = 32
    steps: int = 40
    burn: int | None = None
    level: float = 0.9
    seed: int = 11
    workers: int = 2
    until: int = 2019
    truths: str = "prior"

    def __post_init__(self) -> None:
        if self.truths not in TRUTH_SOURCES:
            raise ValueError(
                f"truths must be one of {', '.join(TRUTH_SOURCES)}, not {self.truths!r}"
            )

    @property
    def burn_steps(self) -> int:
        """Steps discarded."""
        return self.steps // 2 if self.burn is None else self.burn


def truths(
    posterior: Posterior, names: Sequence[str], trials: int
) -> list[tuple[FloatArray, FloatArray]]:
    """``trials`` parameter sets spread evenly over a posterior's draws, with their residuals.

    Args:
        posterior: A fitted posterior (its draws are the true values).
        names: The parameters to take (a subset of the posterior's, in this order).
        trials: How many sets.

    Returns:
        ``(values, residual)`` pairs: ``(P,)`` values of ``names`` and ``(S, K, D)`` residuals.
    """
    pick = np.linspace(0, posterior.n_draws - 1, trials).round().astype(int)
    cols = [posterior.names.index(n) for n in names]
    return [(posterior.values[i, cols].copy(), posterior.residual[i].copy()) for i in pick]


def prior_values(priors: Sequence[Prior], trials: int, seed: int) -> FloatArray:
    """``(trials, P)`` parameter sets drawn from the priors.

    Trial ``k`` draws its values from its own stream (the third child of the trial's seed),
    so a trial's truth does not depend on how many trials the study has.

    Args:
        priors: The fit's priors (normal in the transformed scale ``z``).
        trials: How many sets.
        seed: The study's root seed.

    Returns:
        One row per trial, one column per prior.
    """
    out = np.empty((trials, len(priors)))
    for k, stream in enumerate(_trial_seeds(seed, trials)):
        rng = np.random.default_rng(stream.spawn(3)[2])
        z = np.array([rng.normal(p.z_mean, p.z_sd) for p in priors])
        out[k] = [float(p.from_z(z[j])) for j, p in enumerate(priors)]
    return out


def panel_residuals(
    values: FloatArray,
    names: Sequence[str],
    until: int,
    seeds_dir: str | os.PathLike[str] | None = None,
) -> FloatArray:
    """The residuals that make each set's expected path match the real panel on average.

    These are what the fit itself would profile at those parameters
    (:meth:`~influence_sim.likelihood.PanelLikelihood.profile`), so a synthetic panel made from
    them has the real panel's levels and the truth's dynamics, and it depends on no fitted
    posterior.

    Args:
        values: ``(n, P)`` parameter sets (columns ``names``).
        names: The parameters.
        until: Last panel year matched.
        seeds_dir: Seed tables (default: the package's).

    Returns:
        ``(n, S, K, D)`` residuals.
    """
    from influence_sim.likelihood import PanelLikelihood

    seeds = sd.load_seeds(seeds_dir) if seeds_dir is not None else sd.load_seeds()
    like = PanelLikelihood(seeds=seeds, until=until, names=names)
    residual: FloatArray = like.evaluate(np.atleast_2d(values)).residual
    return residual


def _trial_seeds(seed: int, trials: int) -> list[np.random.SeedSequence]:
    return list(np.random.SeedSequence(seed).spawn(trials))


def run_trial(
    k: int,
    truth: tuple[FloatArray, FloatArray],
    priors: Sequence[Prior],
    settings: RecoverySettings,
    folder: str | os.PathLike[str],
    seeds_dir: str | os.PathLike[str] | None = None,
) -> list[dict[str, Any]]:
    """Fit one synthetic panel and say which true values its intervals hold.

    Args:
        k: Trial number (its random stream and folder).
        truth: ``(values, residual)`` that generate the panel.
        priors: Priors of the fit (their names are the sampled parameters).
        settings: Study settings.
        folder: Study folder (the trial writes ``trial_NN/`` in it).
        seeds_dir: Seed tables (default: the package's).

    Returns:
        One row per parameter: trial, parameter, truth, interval, median, inside, prior and
        posterior widths, seconds.
    """
    from influence_sim.likelihood import PanelLikelihood

    names = tuple(p.name for p in priors)
    where = Path(folder) / f"trial_{k:02d}"
    done = where / "result.json"
    if done.is_file():
        rows: list[dict[str, Any]] = json.loads(done.read_text())
        found = rows[0].get("truths", "posterior") if rows else settings.truths
        if found != settings.truths:
            raise ValueError(
                f"{where} holds a trial with truths from the {found}, not the "
                f"{settings.truths}: use another folder"
            )
        return rows
    where.mkdir(parents=True, exist_ok=True)
    marker = where / "truth.json"
    if marker.is_file():
        before = json.loads(marker.read_text())
        if before.get("truths") != settings.truths or not np.allclose(
            before.get("values", []), truth[0]
        ):
            raise ValueError(
                f"{where} was started with other true values ({before.get('truths')}): "
                "use another folder"
            )
    else:
        tmp_marker = where / ".truth.tmp"
        tmp_marker.write_text(
            json.dumps({"truths": settings.truths, "values": [float(v) for v in truth[0]]})
        )
        os.replace(tmp_marker, marker)
    seeds_path = Path(seeds_dir) if seeds_dir is not None else sd.seeds_dir()
    obs_file = where / "observations.npz"
    stream = _trial_seeds(settings.seed, settings.trials)[k]
    noise_seed, sampler_seed = stream.spawn(2)
    if not obs_file.is_file():
        like = PanelLikelihood(seeds=sd.load_seeds(seeds_path), until=settings.until, names=names)
        obs = like.simulate(truth[0], truth[1], np.random.default_rng(noise_seed))
        tmp = where / ".observations.tmp.npz"
        obs.save(tmp)
        os.replace(tmp, obs_file)
    fit = FitSettings(
        until=settings.until,
        walkers=settings.walkers,
        steps=settings.steps,
        burn=settings.burn_steps,
        draws=1,
        seed=int(sampler_seed.generate_state(1)[0]),
        chunk=10,
        workers=settings.workers,
        observations=str(obs_file),
    )
    chain = sample_posterior(
        fit, where, priors, seeds_dir=seeds_path, resume=(where / "chain.npz").is_file()
    )
    kept = chain.z[1 + settings.burn_steps :].reshape(-1, len(names))
    values = np.stack([p.from_z(kept[:, j]) for j, p in enumerate(priors)], axis=1)
    tail = (1.0 - settings.level) / 2.0
    lo, med, hi = np.quantile(values, [tail, 0.5, 1.0 - tail], axis=0)
    rows = []
    for j, p in enumerate(priors):
        true = float(truth[0][j])
        prior_lo, prior_hi = p.quantile(tail), p.quantile(1.0 - tail)
        rows.append(
            {
                "trial": k,
                "truths": settings.truths,
                "parameter": p.name,
                "truth": true,
                "low": float(lo[j]),
                "median": float(med[j]),
                "high": float(hi[j]),
                "inside": bool(lo[j] <= true <= hi[j]),
                "width_ratio": float((hi[j] - lo[j]) / (prior_hi - prior_lo)),
                "seconds": round(chain.seconds, 1),
            }
        )
    tmp = where / ".result.tmp"
    tmp.write_text(json.dumps(rows, indent=1))
    os.replace(tmp, done)
    return rows


def run_recovery(
    settings: RecoverySettings,
    folder: str | os.PathLike[str],
    priors: Sequence[Prior] | None = None,
    posterior: Posterior | str | os.PathLike[str] | None = None,
    seeds_dir: str | os.PathLike[str] | None = None,
    on_trial: Callable[[list[dict[str, Any]]], None] | None = None,
) -> pd.DataFrame:
    """Run (or resume) a recovery study.

    Args:
        settings: Study settings.
        folder: Where the trials are written.
        priors: Priors of the fits (default: ``seeds/priors.csv``); their names are the
            parameters sampled and checked.
        posterior: The committed posterior (default: ``seeds/posterior/``): the true values
            and residuals when ``settings.truths`` is ``"posterior"`` (not read otherwise).
        seeds_dir: Seed tables (default: the package's).
        on_trial: Called with each trial's rows when it is done.

    Returns:
        One row per (trial, parameter), see :func:`run_trial`.
    """
    seeds_path = Path(seeds_dir) if seeds_dir is not None else sd.seeds_dir()
    priors = list(priors) if priors is not None else load_priors(seeds_path / "priors.csv")
    names = [p.name for p in priors]
    rows: list[dict[str, Any]] = []
    if settings.truths == "prior":
        values = prior_values(priors, settings.trials, settings.seed)
        need = [
            k
            for k in range(settings.trials)
            if not (Path(folder) / f"trial_{k:02d}" / "observations.npz").is_file()
        ]
        # a trial whose synthetic panel is written needs its residuals no more
        residual: dict[int, FloatArray] = {}
        if need:
            found = panel_residuals(values[need], names, settings.until, seeds_path)
            residual = dict(zip(need, found, strict=True))
        sets = [(values[k], residual.get(k, np.zeros(0))) for k in range(settings.trials)]
    else:
        if not isinstance(posterior, Posterior):
            posterior = load_posterior(posterior or seeds_path / "posterior" / "posterior.csv")
        sets = truths(posterior, names, settings.trials)
    for k, truth in enumerate(sets):
        trial = run_trial(k, truth, priors, settings, folder, seeds_path)
        rows.extend(trial)
        if on_trial is not None:
            on_trial(trial)
    return pd.DataFrame(rows)


def finished_trials(folder: str | os.PathLike[str], truths: str = "prior") -> pd.DataFrame:
    """The rows of the trials a study has finished so far, without running any.

    Args:
        folder: The study's folder.
        truths: The study's source of true values; a trial of another source is an error.

    Returns:
        One row per (trial, parameter) of each ``trial_NN/result.json`` found, by trial.
    """
    rows: list[dict[str, Any]] = []
    for done in sorted(Path(folder).glob("trial_[0-9][0-9]/result.json")):
        trial: list[dict[str, Any]] = json.loads(done.read_text())
        found = trial[0].get("truths", "posterior") if trial else truths
        if found != truths:
            raise ValueError(f"{done.parent} holds a trial with truths from the {found}")
        rows.extend(trial)
    return pd.DataFrame(rows)


def coverage_table(frame: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Coverage by parameter and in all, each with PASS or FAIL against :data:`PASS_COVERAGE`.

    Args:
        frame: From :func:`run_recovery`.
        level: The interval's nominal level (for the header only).

    Returns:
        One row per parameter and a last row ``all``: trials, inside, coverage, median width
        of the interval over the prior's, result.
    """
    grouped = frame.groupby("parameter", sort=False)
    out = pd.DataFrame(
        {
            "trials": grouped.size(),
            "inside": grouped["inside"].sum().astype(int),
            "width_vs_prior": grouped["width_ratio"].median().round(2),
        }
    )
    total = pd.DataFrame(
        {
            "trials": [len(frame)],
            "inside": [int(frame["inside"].sum())],
            "width_vs_prior": [round(float(frame["width_ratio"].median()), 2)],
        },
        index=["all"],
    )
    out = pd.concat([out, total])
    out["coverage"] = (out["inside"] / out["trials"]).round(3)
    out["result"] = np.where(out["coverage"] >= PASS_COVERAGE, "PASS", "FAIL")
    out.index.name = f"parameter ({level:.0%} interval)"
    return out[["trials", "inside", "coverage", "width_vs_prior", "result"]]


__all__ = [
    "PASS_COVERAGE",
    "TRUTH_SOURCES",
    "RecoverySettings",
    "coverage_table",
    "finished_trials",
    "panel_residuals",
    "prior_values",
    "run_recovery",
    "run_trial",
    "truths",
]
