"""The panel likelihood, the priors, the posterior sampler and posterior files."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from influence_sim import estimate as est
from influence_sim import initial
from influence_sim import seeds as sd
from influence_sim.likelihood import PanelLikelihood
from influence_sim.posterior import (
    START_INFLATION,
    FitSettings,
    Posterior,
    PosteriorError,
    PriorError,
    find_start,
    load_posterior,
    load_priors,
    parameter_table_fingerprint,
    posterior_from_chain,
    sample_posterior,
    write_posterior,
)
from influence_sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HINDCAST = ROOT / "scenarios" / "hindcast_2000.yaml"
NAMES = ("credibility_weight", "spillover_rate", "adjust_rate_economic")


@pytest.fixture(scope="module")
def short_hindcast() -> Path:
    """The library's hindcast (fits in these tests use the panel to 2009 and four walkers)."""
    return HINDCAST


@pytest.fixture(scope="module")
def like() -> PanelLikelihood:
    return PanelLikelihood(names=NAMES, until=2021, trade_ar=0.0)


def _values() -> np.ndarray:
    seeds = sd.load_seeds()
    return np.array([[seeds.assumed(n) for n in NAMES]])


def test_quadratic_form_is_the_misfit_without_autocorrelation(like: PanelLikelihood) -> None:
    seeds = sd.load_seeds()
    residual = initial.residual_array(seeds, like.dims)
    trade, arms = like.paths(_values(), residual[None])
    spec = load_scenario(HINDCAST)
    moments = est.panel_moments(spec, seeds, 2021)
    overrides = {f"parameters.{n}": seeds.assumed(n) for n in NAMES}
    t2, a2 = est.expected_path(spec, seeds, residual, overrides)
    assert like.quadratic_forms(trade, arms).sum() == pytest.approx(est.misfit(moments, t2, a2))


def test_autocorrelation_counts_less_information() -> None:
    """With correlated errors a persistent gap weighs less (0.67, measured, is the default)."""
    seeds = sd.load_seeds()
    independent = PanelLikelihood(names=NAMES, until=2021, trade_ar=0.0)
    correlated = PanelLikelihood(names=NAMES, until=2021)
    residual = initial.residual_array(seeds, independent.dims)[None]
    trade, arms = independent.paths(_values(), residual)
    shifted = trade * np.exp(0.2)  # every trade figure 20 log points off, every year

    def rise(lk: PanelLikelihood) -> float:
        after = lk.quadratic_forms(shifted, arms)[0, 0]
        return float(after - lk.quadratic_forms(trade, arms)[0, 0])

    assert rise(correlated) < 0.5 * rise(independent)
    assert rise(correlated) > 0.05 * rise(independent)
    rho = correlated.trade_error_autocorrelation(_values()[0], residual[0])
    assert 0.55 < rho < 0.8


def test_profiled_residuals_close_the_gaps(like: PanelLikelihood) -> None:
    values = _values() * np.array([[0.5, 1.0, 1.0]])
    ev = like.evaluate(values)
    assert ev.converged.all()
    trade, arms = like.paths(values, ev.residual)
    gaps = like._gaps(trade, arms)
    # closed to the tolerance, or the score no longer moves
    assert np.abs(gaps).max() < 0.05


def test_a_set_scores_the_same_alone_or_in_a_batch(like: PanelLikelihood) -> None:
    values = np.vstack([_values(), _values() * np.array([[2.0, 1.5, 0.6]])])
    together = like.evaluate(values)
    alone = like.evaluate(values[1:])
    assert together.loglik[1] == alone.loglik[0]
    np.testing.assert_array_equal(together.residual[1], alone.residual[0])


def test_every_candidate_scores_the_same_alone_or_in_any_batch(like: PanelLikelihood) -> None:
    """Bit for bit, whichever place a candidate has in a batch of any size: the fit splits its
    batches over --workers, so the same seed must give the same chain with 1 or 2 workers."""
    rng = np.random.default_rng(3)
    values = _values() * rng.uniform(0.6, 1.6, (5, len(NAMES)))
    together = like.evaluate(values)
    trade, arms = like.paths(values, together.residual)
    forms = like.quadratic_forms(trade, arms)
    for k in range(len(values)):
        alone = like.quadratic_forms(trade[:, k : k + 1], arms[:, k : k + 1])
        np.testing.assert_array_equal(alone[0], forms[k])
    for parts in ([1, 4], [3, 2], [2, 2, 1]):
        split = np.split(np.arange(len(values)), np.cumsum(parts)[:-1])
        scores = [like.evaluate(values[i]).loglik for i in split]
        np.testing.assert_array_equal(np.concatenate(scores), together.loglik)


def test_a_fit_through_2014_runs_only_the_steps_its_figures_need() -> None:
    """The run stops after 2014; scores and residuals are those of the whole run."""
    short = PanelLikelihood(names=NAMES, until=2014)
    steps = short.spec.clock().n_steps
    assert short.horizon == 61 < steps + 1  # 60 quarterly steps of the 88
    values = np.vstack([_values(), _values() * np.array([[2.0, 1.5, 0.6]])])
    ev = short.evaluate(values)
    trade, _ = short.paths(values, ev.residual)
    assert trade.shape[0] == short.horizon
    # the same likelihood run to the clock's end, with the drivers each run builds itself
    whole = copy.copy(short)
    whole.horizon = steps + 1
    pad = steps + 1 - short.horizon
    for name in ("_annual", "_w_mask", "_r_mask"):
        setattr(whole, name, np.pad(getattr(short, name), ((0, 0), (0, pad))))
    whole._drivers = None
    full = whole.evaluate(values)
    np.testing.assert_allclose(ev.loglik, full.loglik, rtol=0, atol=1e-9)
    np.testing.assert_allclose(ev.residual, full.residual, rtol=0, atol=1e-9)
    assert whole.paths(values, ev.residual)[0].shape[0] == steps + 1


def test_a_wrong_elasticity_fits_worse() -> None:
    """Direction and size: far from the panel's within estimate, the likelihood falls."""
    seeds = sd.load_seeds()
    lk = PanelLikelihood(names=("gdp_elasticity",), until=2021)
    best = seeds.assumed("gdp_elasticity")
    ev = lk.evaluate(np.array([[best], [best + 1.0]]))
    assert ev.loglik[0] - ev.loglik[1] > 10.0


def test_priors_file_is_read_and_checked(tmp_path: Path) -> None:
    priors = load_priors()
    assert [p.name for p in priors][:3] == [
        "gdp_elasticity",
        "partner_elasticity",
        "infrastructure_weight",
    ]
    for p in priors:
        assert p.p05 < p.median < p.p95
        assert float(p.from_z(p.to_z(p.median))) == pytest.approx(p.median)
    text = (sd.seeds_dir() / "priors.csv").read_text(encoding="utf-8")
    bad = tmp_path / "priors.csv"
    bad.write_text(text.replace("spillover_rate,logit,0,1", "spillover_rate,logit,0,7"), "utf-8")
    with pytest.raises(PriorError, match=r"priors.csv:6: low/high"):
        load_priors(bad)
    bad.write_text(text.replace("presence_weight", "presense_weight"), "utf-8")
    with pytest.raises(PriorError, match=r"priors.csv:10: parameter: 'presense_weight'"):
        load_priors(bad)


def test_the_median_each_prior_quotes_is_the_prior_s() -> None:
    """The median a prior's reason gives (``median 0.56``) is the median of the prior the code
    builds from its 5 and 95 percent points, to the digits quoted."""
    for p in load_priors():
        match = re.search(r"\bmedian (\d+(?:\.(\d+))?)", p.reason)
        assert match, f"{p.name}: the reason quotes no median"
        quoted, decimals = float(match.group(1)), len(match.group(2) or "")
        assert abs(quoted - p.median) <= 0.5 * 10.0**-decimals + 1e-9, (
            f"{p.name}: the reason says median {match.group(1)}, the prior's is {p.median:.4g}"
        )


def test_a_log_prior_with_an_upper_bound_is_refused(tmp_path: Path) -> None:
    # a log prior's draws ignore the bound: they would leave the parameter's range [0, 3]
    bad = tmp_path / "priors.csv"
    header = "parameter,transform,low,high,p05,p95,reason"
    bad.write_text(f"{header}\ngdp_elasticity,log,0,3,0.15,1.5,r\n", encoding="utf-8")
    with pytest.raises(PriorError, match=r"priors.csv:2: high: a log prior has no upper bound"):
        load_priors(bad)


def _tiny_priors() -> list:
    return [p for p in load_priors() if p.name in ("spillover_rate", "adjust_rate_economic")]


def _fit(
    folder: Path,
    scenario: Path,
    steps: int,
    chunk: int,
    resume: bool = False,
    start: str = "laplace",
):
    settings = FitSettings(
        until=2009,
        walkers=4,
        steps=steps,
        chunk=chunk,
        workers=1,
        scenario=str(scenario),
        draws=6,
        start=start,
    )
    return settings, sample_posterior(settings, folder, _tiny_priors(), resume=resume)


def test_same_seed_same_chain_and_resume_continues_it(tmp_path: Path, short_hindcast: Path) -> None:
    _, whole = _fit(tmp_path / "a", short_hindcast, steps=3, chunk=3)
    _, again = _fit(tmp_path / "b", short_hindcast, steps=3, chunk=3)
    np.testing.assert_array_equal(whole.z, again.z)
    # two steps, stop, then resume to three: the same chain as three at once
    _fit(tmp_path / "c", short_hindcast, steps=2, chunk=1)
    _, resumed = _fit(tmp_path / "c", short_hindcast, steps=3, chunk=1, resume=True)
    np.testing.assert_array_equal(whole.z, resumed.z)
    np.testing.assert_array_equal(whole.loglik, resumed.loglik)
    assert whole.n_steps == 3
    assert np.all(np.isfinite(whole.loglik))


def test_resume_with_other_settings_is_refused(tmp_path: Path, short_hindcast: Path) -> None:
    _fit(tmp_path, short_hindcast, steps=1, chunk=1, start="prior")  # the start is not tested
    settings = FitSettings(
        until=2009,
        walkers=4,
        steps=2,
        workers=1,
        scenario=str(short_hindcast),
        seed=9,
        start="prior",
    )
    with pytest.raises(PosteriorError, match="seed"):
        sample_posterior(settings, tmp_path, _tiny_priors(), resume=True)


def _posterior(n: int = 5) -> Posterior:
    dims = initial.default_dims()
    rng = np.random.default_rng(0)
    names = ("spillover_rate", "credibility_weight")
    meta = {
        "format": "influence_sim posterior 1",
        "parameters": list(names),
        "states": list(dims.states),
        "partners": list(dims.partners),
        "parameter_table": parameter_table_fingerprint(names),
    }
    return Posterior(
        names,
        np.column_stack([rng.uniform(0.05, 0.5, n), rng.uniform(1, 9, n)]),
        rng.normal(0, 1, (n, dims.n_states, dims.n_partners, 2)),
        dims.states,
        dims.partners,
        -rng.uniform(400, 500, n),
        meta,
    )


def test_posterior_file_round_trip_and_refusals(tmp_path: Path) -> None:
    post = _posterior()
    write_posterior(tmp_path, post)
    back = load_posterior(tmp_path / "posterior.csv")
    np.testing.assert_allclose(back.values, post.values, rtol=1e-7)
    np.testing.assert_allclose(back.residual, post.residual, atol=1e-6)
    meta = json.loads((tmp_path / "posterior.json").read_text())
    meta["parameter_table"] = "0" * 64
    (tmp_path / "posterior.json").write_text(json.dumps(meta))
    with pytest.raises(PosteriorError, match="parameter table that differs"):
        load_posterior(tmp_path / "posterior.csv")
    meta["parameters"] = ["spillover_rate", "no_such_weight"]
    (tmp_path / "posterior.json").write_text(json.dumps(meta))
    with pytest.raises(PosteriorError, match=r"parameters\.no_such_weight: not a global"):
        load_posterior(tmp_path / "posterior.csv")
    write_posterior(tmp_path, post)
    lines = (tmp_path / "posterior.csv").read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "1.5"  # spillover_rate above its range [0, 1]
    lines[3] = ",".join(cells)
    (tmp_path / "posterior.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(PosteriorError, match=r"posterior.csv:4: parameters.spillover_rate"):
        load_posterior(tmp_path / "posterior.csv")
    (tmp_path / "posterior.json").unlink()
    with pytest.raises(PosteriorError, match="metadata file is missing"):
        load_posterior(tmp_path / "posterior.csv")
    no_path = r"^path: expected a path \(text or os\.PathLike\), not int$"
    with pytest.raises(TypeError, match=no_path):
        load_posterior(3)


def test_a_posterior_file_cut_short_is_refused_and_an_older_metadata_file_still_reads(
    tmp_path: Path,
) -> None:
    """A posterior.csv cut at a line boundary was read with fewer draws without a word."""
    write_posterior(tmp_path, _posterior(5))
    csv_file, meta_file = tmp_path / "posterior.csv", tmp_path / "posterior.json"
    meta = json.loads(meta_file.read_text())
    assert meta["draws"] == 5
    whole = csv_file.read_text()
    csv_file.write_text("".join(whole.splitlines(keepends=True)[:4]))  # header and 3 draws
    with pytest.raises(
        PosteriorError, match=rf"^{csv_file}: 3 draws, but posterior.json records 5 \(the file"
    ):
        load_posterior(csv_file)
    meta.pop("draws")  # written before the number of draws was recorded
    meta_file.write_text(json.dumps(meta))
    assert load_posterior(csv_file).n_draws == 3
    csv_file.write_text(whole[:-3])  # the last draw's last residual cut
    said = rf"^{csv_file}:6: the table is incomplete \(cut short\?\): its last line has no newline"
    with pytest.raises(PosteriorError, match=said):
        load_posterior(csv_file)
    for bad in (0, 5.0, "5", True):
        meta_file.write_text(json.dumps({**meta, "draws": bad}))
        with pytest.raises(PosteriorError, match=rf"^{meta_file}: draws: expected a whole number"):
            load_posterior(csv_file)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("fewer cells", r"3 cells, expected \d+ \(one per column\)"),
        ("blank line", r"0 cells, expected \d+ \(one per column\)"),
        ("not a number", "a value is not a number"),
        ("not finite", "a value is not finite"),
    ],
)
def test_a_posterior_file_with_a_damaged_row_in_the_middle_names_its_line(
    tmp_path: Path, damage: str, reason: str
) -> None:
    """Not 'a value is not a number' for the whole file: the line of the row is named."""
    write_posterior(tmp_path, _posterior(5))
    csv_file = tmp_path / "posterior.csv"
    lines = csv_file.read_text().splitlines(keepends=True)
    cells = lines[3].split(",")
    lines[3] = {
        "fewer cells": ",".join(cells[:3]) + "\n",
        "blank line": "\n",
        "not a number": ",".join([*cells[:4], "x", *cells[5:]]),
        "not finite": ",".join([*cells[:4], "nan", *cells[5:]]),
    }[damage]
    csv_file.write_text("".join(lines))
    with pytest.raises(PosteriorError, match=rf"^{re.escape(str(csv_file))}:4: {reason}$"):
        load_posterior(csv_file)


@pytest.mark.parametrize(
    ("key", "value"),
    [("parameters", 5), ("parameters", "spillover_rate"), ("states", None), ("partners", [1])],
)
def test_posterior_metadata_with_a_list_of_another_type_is_refused(
    tmp_path: Path, key: str, value: object
) -> None:
    """Not a TypeError, nor a text read letter by letter as parameter names."""
    write_posterior(tmp_path, _posterior())
    meta = json.loads((tmp_path / "posterior.json").read_text())
    (tmp_path / "posterior.json").write_text(json.dumps({**meta, key: value}))
    path = tmp_path / "posterior.json"
    with pytest.raises(PosteriorError, match=rf"^{path}: {key}: expected a list of names$"):
        load_posterior(tmp_path / "posterior.csv")


def test_draws_follow_the_replicate_seed() -> None:
    from influence_sim.rng import replicate_seeds

    post = _posterior(50)
    four = post.draw_index(replicate_seeds(7, 4))
    eight = post.draw_index(replicate_seeds(7, 8))
    np.testing.assert_array_equal(four, eight[:4])
    assert len(set(eight.tolist())) > 3


def test_posterior_from_chain_keeps_the_draws_asked(tmp_path: Path, short_hindcast: Path) -> None:
    settings, chain = _fit(tmp_path, short_hindcast, steps=2, chunk=2, start="prior")
    post = posterior_from_chain(chain, settings, _tiny_priors())
    assert post.n_draws == 4  # one kept step of four walkers, fewer than the six asked
    assert post.meta["until"] == 2009
    write_posterior(tmp_path, post)
    assert load_posterior(tmp_path).n_draws == 4
    # the fit's figures, in the formats asked for
    from influence_sim._files import FigureOutput
    from influence_sim.posterior_plots import save_fit_figures

    figures = tmp_path / "figures"
    figures.mkdir()
    written = save_fit_figures(
        figures, post, chain, _tiny_priors(), 1, "tiny", FigureOutput(("png", "svg"))
    )
    names = sorted(p.name for p in written)
    assert names == sorted(
        f"{stem}.{fmt}" for stem in ("marginals", "correlations", "trace") for fmt in ("png", "svg")
    )
    assert (figures / "trace.svg").read_text().lstrip().startswith("<?xml")


def test_fit_figure_panels_draw_on_the_axes_they_are_given() -> None:
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from influence_sim.posterior import Chain
    from influence_sim.posterior_plots import (
        correlation_frame,
        draws_frame,
        plot_correlation_matrix,
        plot_marginal,
        plot_walkers,
        prior_densities,
        trace_frame,
    )

    post = _posterior(200)
    by_name = {p.name: p for p in load_priors()}
    priors = [by_name[n] for n in post.names]
    rng = np.random.default_rng(1)
    chain = Chain(
        z=rng.normal(size=(10, 4, 2)),
        log_post=np.zeros((10, 4)),
        loglik=np.zeros((10, 4)),
        residual=np.zeros(1),
        random_state=None,
        accepted=np.zeros(4),
    )
    open_figures = plt.get_fignums()
    fig = Figure()
    left, middle, right = fig.subplots(1, 3)

    draws, densities = draws_frame(post, priors), prior_densities(post, priors)
    assert list(draws.columns) == list(post.names) and len(draws) == 200
    first = densities[densities["parameter"] == "spillover_rate"]
    assert len(first) == 300 and (first["density"] >= 0).all()
    assert plot_marginal(draws["spillover_rate"], first, left, "spillover_rate") is left
    assert len(left.patches) == 30 and len(left.get_lines()) == 1  # histogram and prior
    assert left.get_title() == "spillover_rate"

    corr = correlation_frame(post, priors)
    assert list(corr.columns) == list(post.names) and corr.iloc[0, 0] == pytest.approx(1.0)
    assert plot_correlation_matrix(corr, middle) is middle
    assert len(middle.images) == 1 and len(middle.texts) == 4  # one value per cell
    assert [t.get_text() for t in middle.get_xticklabels()] == list(post.names)

    trace = trace_frame(chain, priors)
    assert len(trace) == 10 * 4 * 2
    assert plot_walkers(trace[trace["parameter"] == "credibility_weight"], right, 3) is right
    assert len(right.get_lines()) == 4 and len(right.patches) == 1  # walkers and burn-in
    np.testing.assert_array_equal(right.get_lines()[2].get_ydata(), chain.z[:, 2, 1])

    assert plt.get_fignums() == open_figures
    assert len(fig.axes) == 4  # the three panels and the colour bar


def test_copy_of_seeds_folder_fits(tmp_path: Path) -> None:
    """A fit reads the seeds folder it is given (as ``fit --seeds`` does)."""
    target = tmp_path / "seeds"
    shutil.copytree(sd.seeds_dir(), target)
    lk = PanelLikelihood(seeds=sd.load_seeds(target), names=NAMES, until=2014)
    assert lk.n_trade < PanelLikelihood(names=NAMES, until=2021).n_trade


def test_fit_refuses_a_folder_another_fit_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two fits never write into one folder; the lock file alone does not make it non-empty."""
    import os

    from influence_sim import cli
    from influence_sim._lock import exclusive_folder

    out = tmp_path / "fit"
    with exclusive_folder(out, "fit"):
        for again in ("--force", "--resume"):
            assert cli.main(["fit", "--out", str(out), again, "--no-progress"]) == 2
            err = capsys.readouterr().err.strip()
            assert err == f"error: {out} is in use by another fit (pid {os.getpid()})"
    assert not out.exists()
    assert cli.main(["fit", "--out", str(out), "--resume", "--no-progress"]) == 2
    assert "no chain.npz to resume" in capsys.readouterr().err
    assert not out.exists()  # the folder made for the lock goes with it


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs /proc")
def test_a_killed_fit_leaves_no_worker_behind(tmp_path):
    """The fit's evaluation pool exits with the command, however the command ends."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "fit_pool.py"
    script.write_text(
        "import time\n"
        "from influence_sim import seeds as sd\n"
        "from influence_sim.posterior import FitSettings, _Evaluator, load_priors\n"
        "if __name__ == '__main__':\n"
        "    names = tuple(p.name for p in load_priors())[:2]\n"
        "    ev = _Evaluator(FitSettings(until=2019, workers=2), names, sd.seeds_dir())\n"
        "    for f in [ev._pool.submit(time.sleep, 0.5) for _ in range(4)]:\n"
        "        f.result()\n"
        "    print(' '.join(str(p) for p in ev._pool._processes), flush=True)\n"
        "    time.sleep(120)\n"
    )
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        workers = [int(p) for p in proc.stdout.readline().split()]
        assert len(workers) == 2
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def alive(pid: int) -> bool:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        return stat[stat.rindex(")") + 2] != "Z"

    deadline = time.monotonic() + 10
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in workers if alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"workers of the killed fit still running: {left}"


def _gaussian_score(mean: np.ndarray, cov: np.ndarray, calls: list[int]):
    precision = np.linalg.inv(cov)

    def score(z: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        calls.append(len(z))
        d = np.atleast_2d(z) - mean
        return -0.5 * np.einsum("bi,ij,bj->b", d, precision, d), start

    return score


def test_walkers_start_from_the_laplace_approximation_at_the_mode() -> None:
    """A correlated normal posterior far from the prior's centre: the start finds its mode and
    draws the walkers with its covariance, widened by START_INFLATION."""
    mean = np.array([2.0, -1.5, 0.5])
    sd_ = np.array([0.2, 0.4, 0.1])
    corr = np.array([[1.0, 0.7, 0.0], [0.7, 1.0, -0.3], [0.0, -0.3, 1.0]])
    cov = corr * np.outer(sd_, sd_)
    calls: list[int] = []
    z, lp, res = find_start(
        _gaussian_score(mean, cov, calls),
        np.zeros(3),
        np.ones(3),
        np.zeros((1,)),
        2000,
        np.random.default_rng(3),
    )
    assert z.shape == (2000, 3) and res.shape == (2000, 1) and np.all(np.isfinite(lp))
    np.testing.assert_allclose(z.mean(axis=0), mean, atol=0.03)
    np.testing.assert_allclose(np.cov(z.T), START_INFLATION**2 * cov, atol=0.01)
    # the pool, the searches' batched gradients, the Hessian and the walkers: a few batches
    assert max(calls) >= 2000 and len(calls) < 200


def test_the_start_climbs_to_the_higher_of_two_modes() -> None:
    """The pool seeds two searches; the walkers start at the mode with more mass."""

    def score(z: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.atleast_2d(z)
        low = -0.5 * (((z - np.array([-1.0, -1.0])) / 0.3) ** 2).sum(axis=1)
        high = -0.5 * (((z - np.array([1.5, 1.0])) / 0.3) ** 2).sum(axis=1) + 3.0
        return np.logaddexp(low, high), start

    z, _, _ = find_start(score, np.zeros(2), np.ones(2), np.zeros(1), 400, np.random.default_rng(1))
    np.testing.assert_allclose(np.median(z, axis=0), [1.5, 1.0], atol=0.1)


def test_the_start_is_part_of_the_fit_settings(tmp_path: Path, short_hindcast: Path) -> None:
    """A chain started one way is not resumed the other way; the default is the Laplace start."""
    assert FitSettings().start == "laplace"
    settings = FitSettings(
        until=2009, walkers=4, steps=1, workers=1, scenario=str(short_hindcast), start="prior"
    )
    sample_posterior(settings, tmp_path, _tiny_priors())
    with pytest.raises(PosteriorError, match="start"):
        sample_posterior(
            dataclasses.replace(settings, start="laplace"), tmp_path, _tiny_priors(), resume=True
        )


def test_an_unknown_start_is_refused() -> None:
    with pytest.raises(ValueError, match="start must be one of laplace, prior"):
        FitSettings(start="mode")


def test_the_start_is_reported_when_progress_is_shown(
    tmp_path: Path, short_hindcast: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The search for the start takes a few minutes in a real fit: the user is told."""
    settings = FitSettings(until=2009, walkers=4, steps=1, workers=1, scenario=str(short_hindcast))
    sample_posterior(settings, tmp_path, _tiny_priors(), progress=True)
    err = capsys.readouterr().err
    assert "finding the start: 32 prior draws, then 2 searches" in err
    assert "start found in" in err and "walkers at log posterior" in err


@pytest.mark.parametrize("where", ["out", "above"])
def test_fit_refuses_a_file_at_or_above_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    """One line and exit 2, not a FileExistsError traceback; the file is kept."""
    from influence_sim import cli

    file = tmp_path / "fit.txt"
    file.write_text("kept", encoding="utf-8")
    out = file if where == "out" else file / "fit"
    assert cli.main(["fit", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    expected = "output path exists and is not a folder" if where == "out" else "is a file"
    assert err.startswith(f"error: {out}: ") and expected in err and err.count("\n") == 1
    assert file.read_text(encoding="utf-8") == "kept"


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [
        ("--walkers", str(10**30), "1,000"),
        ("--steps", "100001", "100,000"),
        ("--draws", str(10**30), "10,000"),
        ("--chunk", "100001", "100,000"),
    ],
)
def test_fit_refuses_counts_above_their_bound_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, bound: str
) -> None:
    """A count no fit could hold is one line naming the option and its range, not a
    "Maximum allowed dimension exceeded" traceback after the seeds were copied."""
    from influence_sim import cli

    out = tmp_path / "fit"
    with pytest.raises(SystemExit) as info:
        cli.main(["fit", option, value, "--out", str(out), "--no-progress"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"argument {option}: must be from 1 to {bound}, got" in err
    assert not out.exists()


def test_fit_refuses_a_chain_too_large_for_memory_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from influence_sim import cli

    monkeypatch.setenv("INFLUENCE_SIM_MEMORY_LIMIT", "100M")
    out = tmp_path / "fit"
    args = ["fit", "--steps", "100000", "--walkers", "100", "--out", str(out), "--no-progress"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: --steps, --walkers: a chain of 100,000 steps x 100 walkers needs about 1.6 GiB "
        "of memory, more than the 100 MiB allowed (expected fewer steps or walkers; "
        "INFLUENCE_SIM_MEMORY_LIMIT raises the limit)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    "extra",
    [
        ["--burn", "-1"],
        ["--burn", "160"],
        ["--burn", str(10**30)],
        ["--burn", "5", "--steps", "5"],
        ["--burn", "-1", "--resume"],
        ["--burn", "160", "--force"],
        ["--burn", "-1", "--steps", "100000", "--walkers", "1000"],
    ],
)
def test_fit_refuses_a_burn_in_out_of_range_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str]
) -> None:
    """Whichever other options come with it, one line and exit 2; a folder is left as it was."""
    from influence_sim import cli

    out = tmp_path / "fit"
    out.mkdir()
    (out / "kept.txt").write_text("kept", encoding="utf-8")
    assert cli.main(["fit", *extra, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --burn: must be from 0 to ") and err.count("\n") == 1
    assert sorted(p.name for p in out.iterdir()) == ["kept.txt"]
    for text in ("1e308", "half"):
        with pytest.raises(SystemExit) as info:
            cli.main(["fit", "--burn", text, "--out", str(out), "--no-progress"])
        assert info.value.code == 2
        err = capsys.readouterr().err
        assert f"argument --burn: invalid int value: '{text}'" in err and err.count("\n") == 1


def test_fit_force_refuses_to_empty_a_folder_that_holds_its_seeds_or_priors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force emptied the folder, the seeds it was to fit with included, then failed."""
    from influence_sim import cli

    out = tmp_path / "fit"
    seeds = out / "seeds"
    shutil.copytree(sd.seeds_dir(), seeds)
    for option, given in (("--seeds", seeds), ("--priors", seeds / "priors.csv")):
        assert cli.main(["fit", option, str(given), "--out", str(out), "--force"]) == 2
        assert capsys.readouterr().err == (
            f"error: {out}: will not replace a folder that holds the input {given} (expected a "
            "folder of its own for the results)\n"
        )
    assert (seeds / "panel.csv").is_file()


def test_fit_checks_its_scenario_before_it_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An empty scenario or one that is no hindcast is one line and exit 2, the folder unmade."""
    from influence_sim import cli

    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    out = tmp_path / "fit"
    assert cli.main(["fit", str(empty), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {empty}: file is empty (expected a mapping of scenario settings)"
    assert not out.exists()
    baseline = str(ROOT / "scenarios" / "baseline.yaml")
    assert cli.main(["fit", baseline, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {baseline}: the scenario runs from 2021-01-01 to 2031-01-01")
    assert err.endswith("(expected a hindcast from 2000 through 2019)")
    assert not out.exists()


def test_a_fit_too_short_for_autocorrelation_times_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One kept step gives no autocorrelation time: the line says why instead of 'nan to nan'."""
    from influence_sim import cli

    priors = tmp_path / "priors.csv"
    lines = (sd.seeds_dir() / "priors.csv").read_text(encoding="utf-8").splitlines()
    priors.write_text(
        "\n".join(lines[:1] + [x for x in lines if x.startswith(("spillover_rate,", "adjust_"))]),
        encoding="utf-8",
    )
    args = ["fit", "--until", "2009", "--walkers", "6", "--steps", "2", "--workers", "1"]
    args += ["--priors", str(priors), "--out", str(tmp_path / "fit"), "--no-progress"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert "nan" not in out
    assert "2 steps x 6 walkers, burn-in 1; acceptance " in out
    assert "autocorrelation time (steps) not estimated from 1 kept step;" in out
    # 6 walkers x 1 kept step: 6 of the 200 draws asked for, and the output says so
    assert "kept 6 draws of the 200 asked for: the chain after burn-in has no more" in out
    # a resumed fit's sampling time is the whole chain's, which may exceed this command's time
    assert re.search(r"; sampling \d+ s \(the whole chain\), this command \d+ s\n", out)


def _three_priors(tmp_path: Path) -> Path:
    priors = tmp_path / "priors.csv"
    lines = (sd.seeds_dir() / "priors.csv").read_text(encoding="utf-8").splitlines()
    priors.write_text(
        "\n".join(lines[:1] + [x for x in lines if x.startswith(("spillover_rate,", "adjust_"))]),
        encoding="utf-8",
    )
    return priors


def test_a_fit_stopped_before_its_first_save_resumes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C during the panel estimates or the search for the start leaves no chain.npz yet:
    --resume starts the chain there, to the fit an uninterrupted command gives."""
    from influence_sim import cli
    from influence_sim import posterior as posterior_module

    args = ["fit", "--until", "2009", "--walkers", "6", "--steps", "2", "--workers", "1"]
    args += ["--priors", str(_three_priors(tmp_path)), "--draws", "4", "--no-progress"]
    clean, out = tmp_path / "clean", tmp_path / "fit"
    assert cli.main([*args, "--out", str(clean)]) == 0

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(posterior_module, "sample_posterior", interrupted)
        assert cli.main([*args, "--out", str(out)]) == 130
    assert (out / "seeds").is_dir() and not (out / "chain.npz").exists()
    capsys.readouterr()
    # --seeds on resume must name the folder the fit started from: another is refused
    other_seeds = tmp_path / "other_seeds"
    shutil.copytree(sd.seeds_dir(), other_seeds)
    panel = (sd.seeds_dir() / "panel.csv").read_text(encoding="utf-8")
    other = panel.replace("kazakhstan,2000,trade_china,824.7,", "kazakhstan,2000,trade_china,825,")
    (other_seeds / "panel.csv").write_text(other, encoding="utf-8")
    assert cli.main([*args, "--out", str(out), "--resume", "--seeds", str(other_seeds)]) == 2
    err = capsys.readouterr().err
    assert "started from other seeds (panel.csv differs" in err and "--force" in err
    assert not (out / "chain.npz").exists()
    seeds = ["--seeds", str(sd.seeds_dir())]
    assert cli.main([*args, "--out", str(out), "--resume", *seeds]) == 0
    assert "no chain saved yet" in capsys.readouterr().out
    for name in ("posterior.csv", "summary.csv"):
        assert (out / name).read_text() == (clean / name).read_text()
    # a folder holding something else than a fit's files is still refused
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert cli.main([*args, "--out", str(other), "--resume"]) == 2
    assert "no chain.npz to resume" in capsys.readouterr().err


def test_ctrl_c_during_sampling_stops_quietly_and_keeps_the_saved_chunks(
    tmp_path: Path,
    short_hindcast: Path,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """emcee prints the arguments and a traceback of any exception raised in the likelihood;
    Ctrl-C there must stop the fit with neither, and --resume goes on from the last save."""
    from influence_sim import posterior as posterior_module

    real = posterior_module._Evaluator.__call__
    calls = {"n": 0}

    def interrupted_in_the_second_step(self, values, start):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:  # the start, the two half steps of step 1, then Ctrl-C
            raise KeyboardInterrupt
        return real(self, values, start)

    with monkeypatch.context() as patch:
        patch.setattr(posterior_module._Evaluator, "__call__", interrupted_in_the_second_step)
        with pytest.raises(KeyboardInterrupt):
            _fit(tmp_path / "a", short_hindcast, steps=3, chunk=1, start="prior")
    out, err = capfd.readouterr()
    assert "emcee" not in out + err and "Traceback" not in out + err
    _, resumed = _fit(tmp_path / "a", short_hindcast, steps=3, chunk=1, resume=True, start="prior")
    _, whole = _fit(tmp_path / "b", short_hindcast, steps=3, chunk=3, start="prior")
    np.testing.assert_array_equal(whole.z, resumed.z)


def test_resume_with_fewer_steps_than_saved_is_refused(
    tmp_path: Path, short_hindcast: Path
) -> None:
    """A chain longer than --steps is neither that fit nor the saved one (its burn-in would be
    half of --steps): refused, with the number of steps saved."""
    _fit(tmp_path, short_hindcast, steps=3, chunk=3, start="prior")
    with pytest.raises(PosteriorError, match=r"3 steps saved, more than the 2 asked for"):
        _fit(tmp_path, short_hindcast, steps=2, chunk=1, resume=True, start="prior")
    _, again = _fit(tmp_path, short_hindcast, steps=3, chunk=1, resume=True, start="prior")
    assert again.n_steps == 3


def test_sigterm_stops_a_fit_the_way_ctrl_c_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Exit code 143 and one line, as for a sweep; the chain saved so far stays for --resume."""
    import os
    import signal
    import time

    from influence_sim import cli
    from influence_sim import posterior as posterior_module

    def terminated(*_: object, **__: object) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # pragma: no cover - the handler raises first

    args = ["fit", "--until", "2009", "--walkers", "6", "--steps", "2", "--workers", "1"]
    args += ["--priors", str(_three_priors(tmp_path)), "--no-progress"]
    before = signal.getsignal(signal.SIGTERM)
    with monkeypatch.context() as patch:
        patch.setattr(posterior_module, "sample_posterior", terminated)
        assert cli.main([*args, "--out", str(tmp_path / "fit")]) == 143
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: terminated; the chain saved so far is kept: run again with --resume"]
    assert signal.getsignal(signal.SIGTERM) == before
    from influence_sim.sweep import cli as sweep_cli

    assert not sweep_cli._timers  # the clean-up ended: no timer is left to end this process
