"""Mechanism attribution: how much of a change each mechanism accounts for.

Method: knockouts with common random numbers. A scenario is run in full and once more with
each mechanism switched off (the knockouts, :data:`KNOCKOUTS`), every variant with the same
replicate seeds and the same powers (a knockout changes parameters or shocks, never the
actors), so replicate ``i`` of every variant meets the same offer noise and the same shock
draws. For each replicate, state (and the region), domain and partner:

* for a run, the *total change* is the final share minus the starting share of the full run,
  and the *effect* of knockout ``m`` is the full run's final share minus the final share with
  ``m`` switched off;
* for a comparison of scenario ``B`` with a baseline ``A``, the total is ``B - A`` (final
  shares, full runs), and the effect of ``m`` is that total minus the same difference with
  ``m`` switched off in both: the part of the scenario difference that needs ``m``;
* the *remainder* is the total minus the sum of the effects, so that start, effects and
  remainder add up to the end exactly (replicate by replicate, hence also in the mean).

Switches are overrides, applied both to the runs and to the reference (which only an added
power's residual depends on, :func:`influence_sim.initial.build`): a switched-off run starts at
the same shares as the full run (the panel's), and the effect is what the mechanism adds to the
path from there. Nothing is refitted, so a switched-off mechanism also loses the level it held
in the panel's residuals' estimation (the residuals are those of the full model).

Limits (also in ``docs/analysis.md``): one-at-a-time knockouts are not additive. Mechanisms
interact (offers carry restraint and capacity growth; threat acts through presence, which
shocks may change), so the effects may overlap or offset; the remainder collects these
interactions together with any change no listed mechanism explains (for example the drift
that offer noise causes). A large remainder means the mechanisms act jointly, not that the
attribution failed. Effects are reported as means (which add up) with the 5-95% band of the
per-replicate values (which do not).
"""

from __future__ import annotations

import functools
import os
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from influence_sim import tidy
from influence_sim._files import (
    FIGURE_FORMATS,
    FigureOutput,
    figure_output,
    json_text,
    output_folder,
    remove_earlier_files,
    saver_record,
    write_frames_atomic,
    write_text_atomic,
)
from influence_sim._text import check_count, check_kind, one_of
from influence_sim.analysis import stats
from influence_sim.analysis.metrics import REGION
from influence_sim.api import resolve_posterior
from influence_sim.ensemble import EnsembleOutput, check_memory, recorded_steps, simulate_runs
from influence_sim.kernel.arrays import DOMAINS, FloatArray
from influence_sim.kernel.mechanisms import MECHANISM_TABLE
from influence_sim.kernel.observables import regional_share
from influence_sim.rng import replicate_seeds
from influence_sim.scenario import Scenario, load_scenario
from influence_sim.seeds import DYAD
from influence_sim.timeline import Timeline

if TYPE_CHECKING:
    from matplotlib.axes import Axes


@dataclass(frozen=True)
class Knockout:
    """A knockout: how to switch one mechanism, or a part of one, off.

    Attributes:
        name: Knockout name: the mechanism's name (:data:`~influence_sim.kernel.mechanisms.
            MECHANISM_TABLE`) when it switches a whole mechanism off, else the part's name.
        meaning: What is switched off, in words.
        overrides: Dotted paths set in the runs and in the reference.
        drop_shocks: Whether the scenario's own shocks are left out (dated membership and
            presence changes from the seed tables stay: they are data, not shocks).
    """

    name: str
    meaning: str
    overrides: Mapping[str, float] = field(default_factory=dict)
    drop_shocks: bool = False

    @property
    def letters(self) -> tuple[str, ...]:
        """Letters of the mechanisms it switches off, whole or in part (none for ``shocks``).

        Read from :data:`influence_sim.kernel.mechanisms.MECHANISM_TABLE`, the one table of
        the mechanisms' letters, names, functions and knockouts.
        """
        return tuple(m.letter for m in MECHANISM_TABLE if self.name in m.knockouts)


_ALL: tuple[Knockout, ...] = (
    Knockout(
        "threat",
        "threat changes nothing: no presence attraction weighted by threat "
        "(presence_weight 0), no rise of arms demand with threat "
        "(security_demand_elasticity 0), no protection of trade under threat "
        "(protection_weight 0) and no coordination from the shared threat "
        "(coordination_threat_weight 0)",
        {
            "parameters.presence_weight": 0.0,
            "parameters.security_demand_elasticity": 0.0,
            "parameters.protection_weight": 0.0,
            "parameters.coordination_threat_weight": 0.0,
        },
    ),
    Knockout(
        "offers",
        "offers do not attract (offer_sensitivity 0 in trade, security_offer_sensitivity 0 "
        "in arms), so neither effort, capacity nor restraint moves the shares through offers",
        {"parameters.offer_sensitivity": 0.0, "parameters.security_offer_sensitivity": 0.0},
    ),
    Knockout(
        "hedging",
        "no penalty on concentration (hedging_weight 0)",
        {"parameters.hedging_weight": 0.0},
    ),
    Knockout(
        "stickiness",
        "institutional stickiness off: treaty ties neither slow adjustment (stickiness 0) nor "
        "add attraction (tie_weight 0: no EAEU customs union in trade, no CSTO terms in arms)",
        {"parameters.stickiness": 0.0, "parameters.tie_weight": 0.0},
    ),
    Knockout(
        "gravity",
        "trade does not follow the sizes of the economies (gdp_elasticity 0, partner_elasticity 0)",
        {"parameters.gdp_elasticity": 0.0, "parameters.partner_elasticity": 0.0},
    ),
    Knockout(
        "infrastructure",
        "pipelines and corridors add no trade (infrastructure_weight 0)",
        {"parameters.infrastructure_weight": 0.0},
    ),
    Knockout(
        "drivers",
        "economies and capacities do not grow (driver_weight 0): GDP, the powers' GDP and "
        "their arms exports stay at their starting values",
        {"parameters.driver_weight": 0.0},
    ),
    Knockout(
        "arms_market",
        "arms are bought smoothly and delivered at once: no lumpy contracts "
        "(contract_lumpiness 0), a lead time of a month (lead_time_years 0.05) and no supplier "
        "standing from export capacity (supplier_capacity_weight 0)",
        {
            "parameters.contract_lumpiness": 0.0,
            "parameters.lead_time_years": 0.05,
            "parameters.supplier_capacity_weight": 0.0,
        },
    ),
    Knockout(
        "division_of_labour",
        "no restraint in the partner's lead domain (restraint_max 0), no trust erosion "
        "(trust_erosion 0), no exclusion of third powers (exclusion_weight 0) and no Russian "
        "competition (competition_weight 0)",
        {
            "parameters.restraint_max": 0.0,
            "parameters.trust_erosion": 0.0,
            "parameters.exclusion_weight": 0.0,
            "parameters.competition_weight": 0.0,
        },
    ),
    Knockout(
        "coordination_motives",
        "coordination stays at its base level: no pull from the shared threat, the US "
        "presence or China's overreach (their three weights 0)",
        {
            "parameters.coordination_threat_weight": 0.0,
            "parameters.coordination_us_weight": 0.0,
            "parameters.coordination_overreach_weight": 0.0,
        },
    ),
    Knockout(
        "sanctions_channels",
        "sanctions neither penalise trade with the sanctioned power nor divert it through EAEU "
        "members (sanctions_penalty 0, diversion_weight 0), nor make Russia accept more "
        "(tolerance_dependence_weight 0)",
        {
            "parameters.sanctions_penalty": 0.0,
            "parameters.diversion_weight": 0.0,
            "parameters.tolerance_dependence_weight": 0.0,
        },
    ),
    Knockout(
        "spillover",
        "economic weight does not turn into security credibility (spillover_rate 0, "
        "credibility_weight 0)",
        {"parameters.spillover_rate": 0.0, "parameters.credibility_weight": 0.0},
    ),
    Knockout(
        "capacity",
        "no returns from influence on capacity (return_rate 0)",
        {"parameters.return_rate": 0.0},
    ),
    Knockout(
        "shocks",
        "the scenario without its shocks (dated membership, presence and infrastructure changes "
        "stay)",
        {},
        drop_shocks=True,
    ),
)

KNOCKOUTS: dict[str, Knockout] = {k.name: k for k in _ALL}
"""Every knockout (a mechanism, or a part of one, switched off; or the scenario's shocks left
out), by name, in the order they are reported."""

LEVEL = "level"
STEP = "step"
REMAINDER = "remainder"


def _knockouts_keyword[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Let a function that takes ``knockouts=`` take the old keyword ``mechanisms=``.

    For one release: a call with ``mechanisms=`` warns with a :class:`DeprecationWarning` and
    passes the value on as ``knockouts=``; a call with both is a :class:`TypeError`.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if "mechanisms" in kwargs:
            name = func.__qualname__
            if "knockouts" in kwargs:
                raise TypeError(f"{name}() takes knockouts= or mechanisms=, not both")
            warnings.warn(
                f"{name}(mechanisms=...) is now {name}(knockouts=...); "
                "the old keyword goes in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            kwargs["knockouts"] = kwargs.pop("mechanisms")
        return func(*args, **kwargs)

    return wrapper


def without_shocks(timeline: Timeline, shock_names: Sequence[str]) -> Timeline:
    """A timeline without the operations and triggers of the named shocks.

    Operations named after a shock, or after its decay (``NAME (decay)``), are dropped;
    everything else (dated membership and presence changes) is kept in order.

    Args:
        timeline: Compiled timeline.
        shock_names: Names of the scenario's shocks.

    Returns:
        A new timeline.
    """
    names = set(shock_names)

    def is_shock(name: str) -> bool:
        return name in names or any(name.startswith(f"{n} (") for n in names)

    out = Timeline()
    for step in sorted(timeline.operations):
        for op in timeline.operations[step]:
            if not is_shock(op.name):
                out.add(op)
    for trigger in timeline.triggers:
        if not is_shock(trigger.name):
            out.add_trigger(trigger)
    return out


def _simulate(
    scenario: Scenario, seeds: Sequence[np.random.SeedSequence], knockout: Knockout | None
) -> EnsembleOutput:
    overrides = dict(scenario.overrides())
    reference = dict(scenario.reference_overrides())
    timeline = scenario.compile(seeds)
    if knockout is not None:
        overrides.update(knockout.overrides)
        reference.update(knockout.overrides)
        if knockout.drop_shocks:
            timeline = without_shocks(timeline, [s.name for s in scenario.shocks])
    clock = scenario.clock()
    return simulate_runs(
        scenario.dims,
        clock,
        seeds,
        overrides=overrides,
        reference_overrides=reference,
        timeline=timeline,
        every=max(clock.n_steps, 1),
        # the scenario's posterior draws, common to every knockout (knockout values win)
        posterior=resolve_posterior(scenario),
    )


def _with_region(output: EnsembleOutput, t: int) -> FloatArray:
    """``(B, S + 1, K, D)`` shares at recorded step ``t``, the region appended as a state."""
    share = output.share[t]
    region = regional_share(share, output.volume[t])
    out: FloatArray = np.concatenate([share, region[:, None]], axis=1)
    return out


@dataclass
class Attribution:
    """The outcome of :func:`attribute`.

    Attributes:
        name: What is explained (the scenario, or ``B vs A``).
        scenario: Scenario name.
        baseline: Baseline name for a comparison, else None.
        knockouts: Knockouts run (names of :data:`KNOCKOUTS`), in order. ``mechanisms``, its
            former name, reads it for one release with a :class:`DeprecationWarning`.
        table: One row per state (and ``region``), domain, partner and component: ``component``
            (``start``/``baseline``, the knockouts, ``remainder``, ``end``/``scenario``),
            ``kind`` (``level`` or ``step``), ``mean``, ``median``, ``p5``, ``p95``.
        per_replicate: replicate, state, domain, partner, component, value.
        seed: Root seed of the replicates.
        replicates: Number of replicates.
        meanings: What each knockout switches off, by name.
    """

    name: str
    scenario: str
    baseline: str | None
    knockouts: list[str]
    table: pd.DataFrame
    per_replicate: pd.DataFrame
    seed: int
    replicates: int
    meanings: dict[str, str] = field(default_factory=dict)

    @property
    def mechanisms(self) -> list[str]:
        """The former name of :attr:`knockouts`, kept for one release with a warning."""
        warnings.warn(
            "Attribution.mechanisms is now Attribution.knockouts; "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.knockouts

    @tidy.partner_keyword
    def steps(
        self, state: str = REGION, domain: str = "security", partner: str = DYAD[0]
    ) -> pd.DataFrame:
        """The waterfall of one state, domain and partner, in drawing order.

        Args:
            state: A state or ``region``.
            domain: ``economic`` or ``security``.
            partner: A partner.

        Returns:
            component, kind, value (mean), median, p5, p95.

        Raises:
            KeyError: If there is no such combination.
        """
        t = self.table
        sel = t[(t["state"] == state) & (t["domain"] == domain) & (t["partner"] == partner)]
        if sel.empty:
            for what, value in (("state", state), ("domain", domain), ("partner", partner)):
                have = [str(v) for v in dict.fromkeys(t[what])]
                if value not in have:
                    raise KeyError(f"no attribution for {what} '{value}' ({one_of(value, have)})")
            raise KeyError(
                f"no attribution for state '{state}', domain '{domain}', partner '{partner}'"
            )
        out = sel[["component", "kind", "mean", "median", "p5", "p95"]]
        return out.rename(columns={"mean": "value"}).reset_index(drop=True)

    @tidy.partner_keyword
    def plot_waterfall(
        self,
        state: str = REGION,
        domain: str = "security",
        partner: str = DYAD[0],
        ax: Axes | None = None,
    ) -> Axes:
        """Waterfall of one state, domain and partner (see :func:`plots.plot_waterfall`)."""
        # matplotlib is imported only when a figure is drawn
        from influence_sim.analysis.plots import plot_waterfall
        from influence_sim.plots import label, scenario_title

        where = "the region" if state == REGION else label(state)
        title = f"{scenario_title(self.name)}: {label(partner)}'s {domain} share in {where}"
        what = "trade" if domain == "economic" else "arms imports"
        return plot_waterfall(
            self.steps(state, domain, partner),
            ax=ax,
            title=title,
            ylabel=f"change in share of {what} (percentage points)",
        )

    @tidy.partner_keyword
    def save(
        self,
        directory: str | os.PathLike[str],
        plots: bool = True,
        state: str = REGION,
        partner: str | None = None,
        figures: FigureOutput | None = None,
    ) -> list[Path]:
        """Write ``attribution.csv``, ``attribution_replicates.csv``, waterfall plots, a record.

        Plots: the waterfalls of ``state`` for China and Russia (and ``partner``) in both
        domains, ``waterfall_<domain>_<partner>.png`` for the region and
        ``waterfall_<state>_<domain>_<partner>.png`` for a state. The record,
        ``attribution.json``, holds what is explained (``name``, ``scenario``, ``baseline``),
        the ``knockouts``, ``seed`` and ``replicates``, the ``state`` and ``partners`` of the
        waterfalls, and ``files``, the files of this save.

        A folder that is not empty is written into: files of these names are replaced; the
        files an earlier save listed in the folder's ``attribution.json`` (``files``) that this
        save does not write (waterfalls of an earlier save with plots, of another state or
        partner, in another format) are removed before the new ``attribution.json`` is written;
        every other file is left as it is, and an ``attribution.json`` that is damaged or not an
        attribution's removes nothing. The command ``influence-sim attribute --out`` instead
        refuses a folder in use without ``--force`` and replaces it whole.

        Args:
            directory: Output folder (created if missing).
            plots: Whether to draw the figures.
            state: The state whose waterfalls are drawn, or ``region``.
            partner: A further partner to draw, besides China and Russia.
            figures: Formats and resolution of the figures (default: PNG).

        Returns:
            Paths written.

        Raises:
            KeyError: If there is no attribution for ``state`` or ``partner``.
            TypeError: If ``directory`` is not a path (text or ``os.PathLike``).
            FileExistsError: If ``directory`` is a file.
        """
        present = set(self.table["partner"])
        wanted = [p for p in DYAD if p in present]
        if partner is not None and partner not in wanted:
            wanted.append(partner)
        if plots:
            for p in wanted:  # an unknown state or partner fails before anything is written
                self.steps(state, DOMAINS[0], p)
        out = output_folder("directory", directory)
        written = write_frames_atomic(
            out,
            {"attribution.csv": self.table, "attribution_replicates.csv": self.per_replicate},
            "%.6g",
        )
        if plots:
            prefix = "waterfall_" if state == REGION else f"waterfall_{state}_"
            for domain in DOMAINS:
                for p in wanted:
                    ax = self.plot_waterfall(state, domain, p)
                    path = out / f"{prefix}{domain}_{p}.png"
                    figure = ax.get_figure(root=True)
                    assert figure is not None
                    written.extend(figure_output(figures).save(figure, path, 110))
        record = out / "attribution.json"
        files = sorted(p.name for p in [*written, record])
        own = saver_record({"scenario": str, "knockouts": list}, _ATTRIBUTION_FILE.fullmatch)
        remove_earlier_files(out, record.name, files, own)
        info = {
            "name": self.name,
            "scenario": self.scenario,
            "baseline": self.baseline,
            "knockouts": self.knockouts,
            "seed": self.seed,
            "replicates": self.replicates,
            "state": state,
            "partners": wanted,
            "files": files,
        }
        written.append(write_text_atomic(record, json_text(info)))
        return written


_ATTRIBUTION_FILE = re.compile(
    rf"attribution\.(csv|json)|attribution_replicates\.csv|waterfall_.+\.({'|'.join(FIGURE_FORMATS)})"
)
"""Names of the files :meth:`Attribution.save` writes."""


def _chosen(knockouts: Sequence[str] | None) -> list[str]:
    """The knockouts asked for (all by default), checked against :data:`KNOCKOUTS`."""
    if isinstance(knockouts, str):
        knockouts = [knockouts]
    chosen = list(knockouts) if knockouts is not None else list(KNOCKOUTS)
    unknown = [k for k in chosen if k not in KNOCKOUTS]
    if unknown:
        raise ValueError(
            f"unknown knockout(s) {', '.join(unknown)} (expected some of {', '.join(KNOCKOUTS)})"
        )
    return chosen


def _load(what: str, scenario: Scenario | str | os.PathLike[str]) -> Scenario:
    """A scenario given as itself or as the path of its file."""
    if isinstance(scenario, (str, os.PathLike)):
        return load_scenario(scenario)
    check_kind(what, scenario, Scenario, "a Scenario or the path of a scenario file")
    return scenario


def _frame(
    values: Mapping[str, FloatArray], states: Sequence[str], partners: Sequence[str]
) -> pd.DataFrame:
    """Per-replicate long table from component name to ``(B, S + 1, K, D)`` arrays."""
    parts = []
    for component, array in values.items():
        b, s, k, d = array.shape
        rep, si, ki, di = np.indices((b, s, k, d)).reshape(4, -1)
        parts.append(
            pd.DataFrame(
                {
                    "replicate": rep,
                    "state": np.asarray(states)[si],
                    "domain": np.asarray(DOMAINS)[di],
                    "partner": np.asarray(partners)[ki],
                    "component": component,
                    "value": array.reshape(-1),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _summary(per_replicate: pd.DataFrame, levels: Sequence[str]) -> pd.DataFrame:
    keys = ["state", "domain", "partner", "component"]
    rows = []
    for key, group in per_replicate.groupby(keys, sort=False):
        values = group["value"].to_numpy(dtype=float)
        median, p5, p95 = stats.quantiles(values)
        rows.append(
            {
                **dict(zip(keys, key, strict=True)),
                "kind": LEVEL if key[3] in levels else STEP,
                "mean": float(values.mean()),
                "median": median,
                "p5": p5,
                "p95": p95,
            }
        )
    return pd.DataFrame(rows)


@_knockouts_keyword
def attribute(
    scenario: Scenario | str | os.PathLike[str],
    baseline: Scenario | str | os.PathLike[str] | None = None,
    *,
    seed: int | None = None,
    replicates: int | None = None,
    knockouts: Sequence[str] | None = None,
) -> Attribution:
    """Attribute a run's change, or the difference between two scenarios, to the mechanisms.

    Args:
        scenario: The scenario to explain (file or loaded).
        baseline: If given, explain the difference ``scenario - baseline`` at the end instead
            of the scenario's change from its start. Both must have the same states and
            powers: each step's noise block is shaped by them
            (:class:`influence_sim.engine.RunBatch`), so with other powers the replicates would
            not meet common random numbers.
        seed: Root seed of the replicates (shared by every variant); default the scenario's
            seed (0 if it has none).
        replicates: Number of replicates; default the scenario's.
        knockouts: Knockouts to run, names of :data:`KNOCKOUTS` (one name alone is one
            knockout); default all. The former
            keyword ``mechanisms=`` works for one release with a :class:`DeprecationWarning`.

    Returns:
        The attribution.

    Raises:
        ValueError: For an unknown knockout, ``replicates`` that is not a whole number of at
            least 1, or a baseline with other states or powers
            (:class:`influence_sim.ensemble.MemoryLimitError` for more replicates than fit in
            memory).
        TypeError: If both ``knockouts=`` and ``mechanisms=`` are given, or ``scenario`` or
            ``baseline`` is neither a scenario nor a path.
        influence_sim.scenario.ScenarioError: For an invalid scenario file.
    """
    chosen = _chosen(knockouts)
    main = _load("scenario", scenario)
    base = _load("baseline", baseline) if baseline is not None else None
    if base is not None and (
        base.dims.states != main.dims.states or base.dims.powers != main.dims.powers
    ):
        raise ValueError(
            f"'{main.name}' and '{base.name}' have different states or powers; "
            "attribution of a difference needs the same actors"
        )
    root = seed if seed is not None else (main.seed if main.seed is not None else 0)
    n = check_count("replicates", replicates if replicates is not None else main.replicates)
    n_steps = main.clock().n_steps  # each variant records its start and its end
    check_memory(main.dims, len(recorded_steps(n_steps, max(n_steps, 1))), n)
    seeds = replicate_seeds(root, n)

    def finals(which: Scenario) -> tuple[FloatArray, FloatArray, dict[str, FloatArray]]:
        full = _simulate(which, seeds, None)
        off = {m: _with_region(_simulate(which, seeds, KNOCKOUTS[m]), -1) for m in chosen}
        return _with_region(full, 0), _with_region(full, -1), off

    start, end, off = finals(main)
    components: dict[str, FloatArray] = {}
    if base is None:
        first, last = "start", "end"
        components[first] = start
        total = end - start
        effects = {m: end - off[m] for m in chosen}
        name = main.name
    else:
        first, last = "baseline", "scenario"
        _, base_end, base_off = finals(base)
        components[first] = base_end
        total = end - base_end
        effects = {m: total - (off[m] - base_off[m]) for m in chosen}
        name = f"{main.name} vs {base.name}"
    components.update(effects)
    components[REMAINDER] = total - sum(effects.values(), np.zeros_like(total))
    components[last] = end
    states = [*main.dims.states, REGION]
    per_replicate = _frame(components, states, main.dims.partners)
    table = _summary(per_replicate, levels=(first, last))
    return Attribution(
        name=name,
        scenario=main.name,
        baseline=base.name if base is not None else None,
        knockouts=chosen,
        table=table,
        per_replicate=per_replicate,
        seed=int(root),
        replicates=n,
        meanings={m: KNOCKOUTS[m].meaning for m in chosen},
    )


@tidy.partner_keyword
def describe(
    attribution: Attribution, state: str = REGION, domain: str = "security", partner: str = DYAD[0]
) -> str:
    """A few lines of text: the waterfall of one state, domain and partner.

    Args:
        attribution: The attribution.
        state: A state or ``region``.
        domain: ``economic`` or ``security``.
        partner: A partner.

    Returns:
        The text.
    """
    steps = attribution.steps(state, domain, partner)
    lines = [
        f"{attribution.name}: {partner} {domain} share in {state} "
        f"(mean over {attribution.replicates} replicates; 5-95% band)"
    ]
    for _, row in steps.iterrows():
        value: Any = row["value"]
        if row["kind"] == LEVEL:
            lines.append(f"  {row['component']:<20}{value:>9.4f}")
        else:
            lines.append(
                f"  {row['component']:<20}{value:>+9.4f}   ({row['p5']:+.4f} to {row['p95']:+.4f})"
            )
    return "\n".join(lines)


@_knockouts_keyword
def knockout_table(
    scenarios: Sequence[str | os.PathLike[str] | Scenario],
    knockouts: Sequence[str] | None = None,
    seed: int = 1,
    replicates: int = 4,
) -> pd.DataFrame:
    """Each knockout in each scenario, with common random numbers.

    For every scenario and knockout the runs are repeated with the knockout's switches (same
    replicate seeds) and the regional shares at the end compared with the full runs: the
    *headline effect* is the largest absolute change, over China's and Russia's economic and
    security shares, of the mean over replicates.

    Args:
        scenarios: Scenario files or loaded scenarios.
        knockouts: Knockouts to run, names of :data:`KNOCKOUTS` (default all). The former
            keyword ``mechanisms=`` works for one release with a :class:`DeprecationWarning`.
        seed: Root seed of the replicates.
        replicates: Replicates per run.

    Returns:
        One row per scenario and knockout: scenario, knockout (its name; the column was called
        ``mechanism`` before this release), letters
        (of the mechanisms it switches off, :attr:`Knockout.letters`, comma-separated),
        china_economic, russia_economic, china_security, russia_security (changes, full minus
        knocked out, in share points of 1) and headline (the largest of their absolute values),
        with the measure in which it is largest.

    Raises:
        ValueError: For an unknown knockout.
        TypeError: If both ``knockouts=`` and ``mechanisms=`` are given.
    """
    chosen = _chosen(knockouts)
    rows = []
    for item in scenarios:
        scenario = load_scenario(item) if isinstance(item, (str, os.PathLike)) else item
        seeds = replicate_seeds(seed, replicates)
        dims = scenario.dims
        china, russia = (dims.partners.index(power) for power in DYAD)

        def final(knockout: Knockout | None) -> FloatArray:
            out = _simulate(scenario, seeds, knockout)  # noqa: B023
            region: FloatArray = regional_share(out.share[-1], out.volume[-1]).mean(axis=0)
            return region

        full = final(None)
        for name in chosen:
            off = final(KNOCKOUTS[name])
            change = {
                "china_economic": full[china, 0] - off[china, 0],
                "russia_economic": full[russia, 0] - off[russia, 0],
                "china_security": full[china, 1] - off[china, 1],
                "russia_security": full[russia, 1] - off[russia, 1],
            }
            largest = max(change, key=lambda k: abs(change[k]))
            rows.append(
                {
                    "scenario": scenario.name,
                    "knockout": name,
                    "letters": ",".join(KNOCKOUTS[name].letters),
                    **{k: float(v) for k, v in change.items()},
                    "headline": float(abs(change[largest])),
                    "measure": largest,
                }
            )
    return pd.DataFrame(rows)


def __getattr__(name: str) -> dict[str, Knockout]:
    """``MECHANISMS``: the former name of :data:`KNOCKOUTS`, kept for one release with a warning."""
    if name == "MECHANISMS":
        warnings.warn(
            "influence_sim.analysis.attribution.MECHANISMS is now KNOCKOUTS; "
            "the old name goes in the next release",
            DeprecationWarning,
            stacklevel=2,
        )
        return KNOCKOUTS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "KNOCKOUTS",
    "REMAINDER",
    "Attribution",
    "Knockout",
    "attribute",
    "describe",
    "knockout_table",
    "without_shocks",
]
