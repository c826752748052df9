"""Paired comparison of scenarios: what changes between two futures, and how sure we are.

``compare(A, B, C, ...)`` takes runs in any form (a scenario file or a loaded scenario, run on
the spot; a run folder; a sweep folder; an in-memory :class:`~influence_sim.results.Results`)
and compares every side with the first:

* **Common seeds.** Scenarios run on the spot all use the same root seed and number of
  replicates, so replicate ``i`` of every side meets the same offer noise and the same shock
  draws (common random numbers), as long as the sides have the same powers. If a run folder or
  in-memory run is among the inputs, the scenarios are run with its seed and replicate count,
  so they pair with it.
* **Pairing.** Two sides are paired when the seed records of their replicates agree; the
  difference is then taken replicate by replicate and summarised (median and 5-95% band).
  Run folders whose seeds differ are compared unpaired, with a warning; sweep folders are never
  paired (their runs differ in parameters, not only in seeds).
* **Different powers: paired by seed, without common noise.** Each step a run draws its offer
  and contract noise as one block of shape ``(S, P + 1, 2)`` from its noise stream
  (:class:`influence_sim.engine.RunBatch`), so the draw a state and partner meet depends on
  the number and order of the powers. Two sides whose powers differ (a scenario that adds or
  removes one, as ``turkey_enters.yaml`` adds Turkey) meet independent noise even with equal
  seeds; the draws a seed picks directly, each replicate's posterior draw and its shock draws,
  stay common. Such sides are still paired by seed, and :attr:`Pairing.common_noise` is False,
  with a warning and the reason in the pairing record. Pairing is kept because it is still
  right: a difference of two runs with independent noise is an unbiased difference, and
  pairing by seed keeps the common parameter draws, so the band shows the effect across those
  draws plus the noise of both sides and is not narrowed by common noise. Comparing unpaired
  instead would also let the parameter draws of the two sides differ, which widens the band
  with parameter uncertainty that is not part of the effect (baseline against
  ``turkey_enters``, 20 replicates, seed 1: China's regional trade share differs by -0.010,
  band -0.017 to -0.003 paired by seed, -0.083 to +0.065 unpaired, -0.011 to -0.009 with truly
  common noise). Without posterior draws or drawn shocks nothing is common, and the paired
  band estimates the same distribution as the unpaired one, from fewer pairs.
* **Output.** :class:`Comparison` holds the headline table (one row per metric, state, partner
  and scenario with median, band and the delta to the first scenario), the per-replicate
  metrics and the regional differences over time, and draws fan charts, difference plots and
  small multiples by state.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from influence_sim import provenance
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
from influence_sim._text import check_choice, check_count, check_kind, counted
from influence_sim.analysis import plots, stats
from influence_sim.analysis.metrics import HEADLINE_METRICS, replicate_metrics
from influence_sim.analysis.runset import (
    RunSet,
    SourceError,
    classify,
    from_results,
    from_run_folder,
)
from influence_sim.analysis.sweeps import from_sweep_folder
from influence_sim.api import run, shock_records
from influence_sim.kernel.arrays import REST_OF_WORLD
from influence_sim.plots import Shocks
from influence_sim.results import Results, package_versions
from influence_sim.scenario import Scenario, load_scenario
from influence_sim.seeds import DEFAULT_POWERS, DYAD

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

HEADLINE_COLUMNS: tuple[str, ...] = (
    "metric",
    "state",
    "partner",
    "scenario",
    "median",
    "p5",
    "p95",
    "delta_median",
    "delta_p5",
    "delta_p95",
    "statistic",
    "unit",
    "n",
    "n_finite",
    "paired",
)
"""Columns of ``headline.csv``. For ``fraction`` metrics, ``median`` holds the fraction.

For ``median`` metrics, ``p5`` and ``p95`` are the 5th and 95th percentiles over replicates and
``delta_*`` the median and percentiles of the differences to the reference. For ``fraction``
metrics, ``p5`` and ``p95`` are the 90% Wilson score interval of the fraction, and
``delta_median`` is the difference of the fractions with Newcombe's 90% score interval in
``delta_p5`` and ``delta_p95`` (for paired or for independent proportions, as ``paired``
says; :func:`influence_sim.analysis.stats.difference_of_fractions`).

``n`` counts the side's replicates with a value, ``n_finite`` those whose value is finite: for
a crossing year, the replicates in which the crossing happens before the end (in the others it
is ``inf``, and the median and band are taken over all ``n``)."""


class CompareWarning(UserWarning):
    """Raised (as a warning) when sides cannot be paired, or pair without common noise."""


@dataclass
class Pairing:
    """How one side is compared with the first.

    Attributes:
        paired: Whether differences are taken replicate by replicate.
        replicates: Replicate numbers used on both sides when paired.
        reason: One line for the user.
        common_noise: Whether paired replicates meet the same offer and contract noise (common
            random numbers). False when the sides have different powers: the kernel's noise
            block is shaped by them, so the replicates are paired by seed (common posterior
            and shock draws) but their noise is independent, and the band of a difference
            holds the noise of both sides. Always False when not paired.
    """

    paired: bool
    replicates: list[int] = field(default_factory=list)
    reason: str = ""
    common_noise: bool = True

    def __post_init__(self) -> None:
        if not self.paired:
            self.common_noise = False


@dataclass
class Comparison:
    """The outcome of :func:`compare`.

    Attributes:
        sides: The runs compared; the first is the reference of every delta.
        headline: One row per metric, state, partner and scenario (:data:`HEADLINE_COLUMNS`).
        metrics: Per-replicate metrics of every side (a ``scenario`` column added).
        differences: Regional share differences to the first side over time: scenario, date,
            partner, domain, median, p5, p95, paired (percentage points are not used here: the
            values are fractions). ``p5`` and ``p95`` are NaN where there is no band: for an
            unpaired side, and for a paired one of a single pair of replicates.
        pairing: How each side was compared with the first, by scenario name.
        notes: Remarks and warnings for the user.
        seed: Root seed the scenarios were run with (None if none was run).
        replicates: Replicates per scenario run on the spot (None if none was run).
    """

    sides: list[RunSet]
    headline: pd.DataFrame
    metrics: pd.DataFrame
    differences: pd.DataFrame
    pairing: dict[str, Pairing]
    notes: list[str] = field(default_factory=list)
    seed: int | None = None
    replicates: int | None = None

    @property
    def names(self) -> list[str]:
        """Scenario names, the reference first."""
        return [s.name for s in self.sides]

    def side(self, name: str) -> RunSet:
        """The side called ``name``.

        Raises:
            KeyError: If there is no such side.
        """
        for s in self.sides:
            if s.name == name:
                return s
        raise KeyError(f"no scenario '{name}' in the comparison (have: {', '.join(self.names)})")

    def _with_series(self, name: str) -> RunSet:
        """The side called ``name``, which must have kept its time series.

        Raises:
            KeyError: If there is no such side.
            ValueError: If it has no time series (a sweep run with ``timeseries: false``).
        """
        side = self.side(name)
        if side.regional.empty:
            raise ValueError(
                f"{name!r} has no time series (a sweep run with 'keep: timeseries: false'); "
                "its summary metrics are in the headline table"
            )
        return side

    def deltas(self, metric: str) -> pd.DataFrame:
        """The headline rows of one metric, without the reference side.

        Args:
            metric: Name from :data:`influence_sim.analysis.metrics.HEADLINE_METRICS`.

        Returns:
            The rows, one per state, partner and scenario.

        Raises:
            KeyError: For a name that is not a headline metric.
        """
        check_choice("metric", metric, HEADLINE_METRICS, KeyError)
        sel = self.headline[
            (self.headline["metric"] == metric) & (self.headline["scenario"] != self.names[0])
        ]
        return sel.reset_index(drop=True)

    def plot_fan(self, name: str, domain: str = "security", ax: Axes | None = None) -> Axes:
        """Fan chart of one scenario's regional shares (see :func:`plots.plot_fan`)."""
        side = self._with_series(name)
        return plots.plot_fan(
            side.regional, domain, ax=ax, title=f"{name}: regional {domain} shares"
        )

    def plot_difference(self, name: str, domain: str = "security", ax: Axes | None = None) -> Axes:
        """Difference plot of one scenario against the first (see :func:`plots.plot_difference`)."""
        self._with_series(name)
        if name == self.names[0]:
            others = ", ".join(self.names[1:])
            raise ValueError(
                f"{name!r} is the reference, drawn as the zero line of the others (expected "
                f"one of {others})"
            )
        self._with_series(self.names[0])
        sel = self.differences[self.differences["scenario"] == name]
        return plots.plot_difference(
            sel, domain, ax=ax, title=f"{name} minus {self.names[0]}: {domain} shares"
        )

    def figure_states(self, domain: str = "security") -> Figure:
        """Small multiples by state of every scenario (see :func:`plots.figure_states`)."""
        return plots.figure_states({s.name: s.timeseries for s in self.sides}, domain)

    def save(
        self,
        directory: str | os.PathLike[str],
        plots: bool = True,
        figures: FigureOutput | None = None,
    ) -> list[Path]:
        """Write the comparison into a folder.

        Files: ``headline.csv``, ``replicate_metrics.csv``, ``differences.csv``,
        ``summary.txt`` (the printed :func:`summary_text`), ``comparison.json`` (sides,
        pairing, seeds, notes, command, date, versions) and, with ``plots``,
        ``fan_<scenario>.png`` (one per scenario), ``diff_<scenario>.png`` (one per scenario
        after the first) and ``states_economic.png``, ``states_security.png`` (in each format of
        ``figures``). ``comparison.json``'s ``files`` lists the files of this save.

        A folder that is not empty is written into: files of these names are replaced; the
        files an earlier comparison listed in the folder's ``comparison.json`` (``files``) that
        this save does not write are removed, so figures of an earlier save (with plots, of
        other scenarios, in other formats) are not left beside the tables of this one (they go
        before the new ``comparison.json`` is written); every other file is left as it is, and
        a ``comparison.json`` that is damaged or not a comparison's removes nothing. The
        command ``influence-sim compare --out`` instead refuses a folder in use without
        ``--force`` and replaces it whole.

        Args:
            directory: Output folder (created if missing).
            plots: Whether to draw the figures.
            figures: Formats and resolution of the figures (default: PNG).

        Returns:
            Paths written.

        Raises:
            TypeError: If ``directory`` is not a path (text or ``os.PathLike``).
            FileExistsError: If ``directory`` is a file.
        """
        out = output_folder("directory", directory)
        written = write_frames_atomic(
            out,
            {
                "headline.csv": self.headline,
                "replicate_metrics.csv": self.metrics,
                "differences.csv": self.differences,
            },
            "%.6g",
        )
        info: dict[str, Any] = {
            "reference": self.names[0],
            "seed": self.seed,
            "replicates": self.replicates,
            "sides": [
                {
                    "name": s.name,
                    "kind": s.kind,
                    "source": s.source,
                    "replicates": s.n_replicates,
                    "root_seed": s.root_seed,
                    "paired": self.pairing[s.name].paired,
                    "common_noise": self.pairing[s.name].common_noise,
                    "pairing": self.pairing[s.name].reason,
                }
                for s in self.sides
            ],
            "notes": self.notes,
            "command": provenance.command_line(),
            "created": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
            "versions": package_versions(),
        }
        written.append(write_text_atomic(out / "summary.txt", summary_text(self) + "\n"))
        path = out / "comparison.json"
        figures_written = save_comparison_plots(self, out, figures=figures) if plots else []
        info["files"] = sorted(p.name for p in [*written, path, *figures_written])
        own = saver_record({"reference": str, "sides": list}, _COMPARISON_FILE.fullmatch)
        remove_earlier_files(out, path.name, info["files"], own)
        write_text_atomic(path, json_text(info))
        return [*written, path, *figures_written]


_FIGURE_SUFFIX = rf"\.({'|'.join(FIGURE_FORMATS)})"
_COMPARISON_FILE = re.compile(
    r"headline\.csv|replicate_metrics\.csv|differences\.csv|summary\.txt|comparison\.json"
    rf"|(fan|diff)_[A-Za-z0-9_.-]+{_FIGURE_SUFFIX}|states_(economic|security){_FIGURE_SUFFIX}"
)
"""Names of the files :meth:`Comparison.save` writes."""


def side_shocks(side: RunSet) -> list[dict[str, Any]]:
    """The shock records of one side of a comparison, when they can be found.

    A run folder keeps them in its ``metadata.json``; a side run from (or recorded with) a
    scenario file gets them from that file. Sweep sides, and sides whose source is gone or
    unreadable, have none.

    Args:
        side: The side.

    Returns:
        Records with ``name`` and ``date`` (see :func:`influence_sim.api.shock_records`).
    """
    source = Path(side.source) if side.source else None
    if side.kind == "sweep" or source is None:
        return []
    try:
        if side.kind == "run":
            meta = json.loads((source / "metadata.json").read_text(encoding="utf-8"))
            records = meta.get("shocks")
            return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
        if source.suffix.lower() in (".yaml", ".yml") and source.is_file():
            return shock_records(load_scenario(source))
    except (OSError, ValueError):
        return []
    return []


def save_comparison_plots(
    comparison: Comparison,
    directory: Path,
    shocks: Mapping[str, Shocks] | None = None,
    figures: FigureOutput | None = None,
) -> list[Path]:
    """Draw and save the figures of a comparison.

    ``fan_<scenario>`` (economic and security fan charts of each scenario,
    :func:`~influence_sim.analysis.plots.figure_fans`), ``diff_<scenario>`` (differences to the
    first scenario, for each other one, :func:`~influence_sim.analysis.plots.figure_differences`)
    and ``states_economic``, ``states_security`` (small multiples by state,
    :func:`~influence_sim.analysis.plots.figure_states`). Every figure marks the shock dates of
    the scenarios it shows.

    Args:
        comparison: The comparison.
        directory: Folder to write to.
        shocks: Scenario name to its shock dates; by default found with :func:`side_shocks`.
        figures: Formats and resolution (default: PNG at
            :data:`~influence_sim.analysis.plots.DPI`).

    Returns:
        Paths written.
    """
    out = figure_output(figures)
    if shocks is None:
        shocks = {side.name: side_shocks(side) for side in comparison.sides}
    written: list[Path] = []
    for side in comparison.sides:
        runs = f"{side.n_replicates} {'runs' if side.kind == 'sweep' else 'replicates'}"
        fig = plots.figure_fans(side.regional, side.name, runs, shocks.get(side.name))
        written.extend(out.save(fig, directory / f"fan_{slug(side.name)}.png", plots.DPI))
    base = comparison.names[0]
    for side in comparison.sides[1:]:
        sel = comparison.differences[comparison.differences["scenario"] == side.name]
        fig = plots.figure_differences(
            sel,
            side.name,
            base,
            comparison.pairing[side.name].paired,
            plots.union_shocks(shocks.get(base), shocks.get(side.name)),
        )
        written.extend(out.save(fig, directory / f"diff_{slug(side.name)}.png", plots.DPI))
    every = plots.union_shocks(*(shocks.get(s.name) for s in comparison.sides))
    timeseries = {s.name: s.timeseries for s in comparison.sides}
    for domain in ("economic", "security"):
        fig = plots.figure_states(timeseries, domain, shocks=every)
        written.extend(out.save(fig, directory / f"states_{domain}.png", plots.DPI))
    return written


def slug(name: str) -> str:
    """A file-name-safe form of a scenario name."""
    text = re.sub(r"[^A-Za-z0-9_.-]+", "_", name.strip()).strip("_")
    return text or "scenario"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        if name in seen:
            seen[name] += 1
            out.append(f"{name} ({seen[name]})")
        else:
            seen[name] = 1
            out.append(name)
    return out


def _power_difference(base: RunSet, side: RunSet) -> str | None:
    """How the powers of ``side`` differ from those of ``base`` (None if they agree, in order).

    The states are checked too: the kernel's noise block is ``(S, P + 1, 2)``.
    """
    if base.powers == side.powers and base.state_names == side.state_names:
        return None
    if base.state_names != side.state_names:
        return "the sides have different states"
    added = [p for p in side.powers if p not in base.powers]
    removed = [p for p in base.powers if p not in side.powers]
    parts = []
    if added:
        parts.append(f"adds {', '.join(added)}")
    if removed:
        parts.append(f"removes {', '.join(removed)}")
    if not parts:
        return f"'{side.name}' has the powers of '{base.name}' in another order"
    return f"'{side.name}' {' and '.join(parts)}"


def _pairing(base: RunSet, side: RunSet) -> Pairing:
    pair = _pairing_by_seed(base, side)
    differ = _power_difference(base, side) if pair.paired and side is not base else None
    if differ is None:
        return pair
    return Pairing(
        True,
        pair.replicates,
        f"{pair.reason}, but without common noise: {differ}, so each replicate's offer and "
        "contract noise falls on other states and powers (only its posterior and shock draws "
        "are common) and the band holds the noise of both sides",
        common_noise=False,
    )


def _pairing_by_seed(base: RunSet, side: RunSet) -> Pairing:
    if side is base:
        return Pairing(True, base.replicates, "reference")
    if base.kind == "sweep" or side.kind == "sweep":
        return Pairing(
            False,
            [],
            "unpaired: sweep runs differ in their parameters, so they "
            "are summarised as a whole, not paired",
        )
    if base.seeds is None or side.seeds is None:
        return Pairing(False, [], "unpaired: the seeds of the replicates are not known")
    n = min(len(base.seeds), len(side.seeds))
    present = set(base.replicates) & set(side.replicates)
    common = [i for i in range(n) if base.seeds[i] == side.seeds[i] and i in present]
    if not common:
        return Pairing(
            False,
            [],
            f"unpaired: its replicate seeds differ from those of "
            f"'{base.name}' (run both with the same --seed to pair them)",
        )
    if len(common) < max(len(base.seeds), len(side.seeds)):
        return Pairing(
            True,
            common,
            f"paired on the {len(common)} replicates with equal seeds "
            f"({base.n_replicates} and {side.n_replicates} replicates)",
        )
    return Pairing(True, common, f"paired on {len(common)} replicates (equal seeds)")


def _values(
    wide: pd.DataFrame, key: tuple[str, str, str], replicates: Sequence[int] | None = None
) -> np.ndarray:
    """Values of one metric key, by replicate (all present ones, or the given ones in order)."""
    if key not in wide.index:
        return np.zeros(0)
    row = wide.iloc[wide.index.get_loc(key)]
    if replicates is None:
        return np.asarray(row.dropna().to_numpy(), dtype=np.float64)
    return np.asarray(row.reindex(list(replicates)).to_numpy(), dtype=np.float64)


def _wide(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics.pivot_table(
        index=["metric", "state", "partner"], columns="replicate", values="value", aggfunc="first"
    )


def headline_table(
    sides: Sequence[RunSet], metrics: Sequence[pd.DataFrame], pairing: dict[str, Pairing]
) -> pd.DataFrame:
    """Median and band of every metric per side, and the delta to the first side.

    Args:
        sides: The sides, the reference first.
        metrics: Their per-replicate metrics (:func:`replicate_metrics`), in the same order.
        pairing: How each side pairs with the first, by name.

    Returns:
        The headline table (:data:`HEADLINE_COLUMNS`).
    """
    base_wide = _wide(metrics[0])
    order = {name: i for i, name in enumerate(HEADLINE_METRICS)}
    rows = []
    for side, frame in zip(sides, metrics, strict=True):
        wide = _wide(frame)
        pair = pairing[side.name]
        for key in wide.index:
            metric = HEADLINE_METRICS[key[0]]
            values = _values(wide, key)
            is_fraction = metric.statistic == "fraction"
            centre, lo, hi = (
                stats.fraction_interval(values) if is_fraction else stats.quantiles(values)
            )
            if side is sides[0]:
                delta = (0.0, 0.0, 0.0)
            elif key not in base_wide.index:
                delta = (float("nan"),) * 3
            elif pair.paired:
                a = _values(base_wide, key, pair.replicates)
                b = _values(wide, key, pair.replicates)
                ok = ~(np.isnan(a) | np.isnan(b))
                if is_fraction:
                    delta = stats.difference_of_fractions(a[ok], b[ok], paired=True)
                else:
                    delta = stats.quantiles(stats.paired_differences(a[ok], b[ok]))
            else:
                a = _values(base_wide, key)
                if is_fraction:
                    delta = stats.difference_of_fractions(a, values, paired=False)
                else:
                    delta = stats.quantiles(stats.cross_differences(a, values))
            rows.append(
                {
                    "metric": key[0],
                    "state": key[1],
                    "partner": key[2],
                    "scenario": side.name,
                    "median": centre,
                    "p5": lo,
                    "p95": hi,
                    "delta_median": delta[0],
                    "delta_p5": delta[1],
                    "delta_p95": delta[2],
                    "statistic": metric.statistic,
                    "unit": metric.unit,
                    "n": int(values.size),
                    "n_finite": int(np.isfinite(values).sum()),
                    "paired": pair.paired,
                }
            )
    table = pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))
    states = list(dict.fromkeys([*sides[0].state_names, "region"]))
    table["_m"] = table["metric"].map(order)
    table["_s"] = table["state"].map({s: i for i, s in enumerate(states)}).fillna(len(states))
    table["_c"] = table["scenario"].map({s.name: i for i, s in enumerate(sides)})
    table = table.sort_values(["_m", "_s", "partner", "_c"], kind="stable")
    return table.drop(columns=["_m", "_s", "_c"]).reset_index(drop=True)


def regional_differences(base: RunSet, side: RunSet, pairing: Pairing) -> pd.DataFrame:
    """Regional share differences of one side to the reference over time.

    Paired sides give the median and band of the replicate-by-replicate differences on every
    common date (no band, NaN ``p5`` and ``p95``, for a single pair); unpaired sides the
    difference of the medians (no band).

    Args:
        base: The reference side.
        side: The side compared with it.
        pairing: How they pair.

    Returns:
        scenario, date, partner, domain, median, p5, p95, paired.
    """
    keys = ["date", "partner", "domain"]
    if pairing.paired:
        a = base.regional[base.regional["replicate"].isin(pairing.replicates)]
        b = side.regional[side.regional["replicate"].isin(pairing.replicates)]
        merged = a.merge(b, on=["replicate", *keys], suffixes=("_a", "_b"))
        merged["diff"] = merged["share_b"] - merged["share_a"]
        grouped = merged.groupby(keys, sort=True)["diff"]
        several = grouped.count() > 1  # the difference of a single pair has no band
        out = pd.DataFrame(
            {
                "median": grouped.median(),
                "p5": grouped.quantile(stats.BAND[0]).where(several),
                "p95": grouped.quantile(stats.BAND[1]).where(several),
            }
        ).reset_index()
    else:
        ma = base.regional.groupby(keys)["share"].median()
        mb = side.regional.groupby(keys)["share"].median()
        diff = (mb - ma).dropna().rename("median").reset_index()
        out = diff.assign(p5=np.nan, p95=np.nan)
    out.insert(0, "scenario", side.name)
    out["paired"] = pairing.paired
    return out[["scenario", *keys, "median", "p5", "p95", "paired"]]


def _common_seed(
    seed: int | None,
    replicates: int | None,
    data_sides: Sequence[RunSet],
    scenarios: Sequence[Scenario],
    notes: list[str],
) -> tuple[int, int]:
    anchor = next((s for s in data_sides if s.pairable and s.root_seed is not None), None)
    root = seed if seed is None else check_count("seed", seed, low=0)
    if root is None and anchor is not None:
        root = anchor.root_seed
        notes.append(
            f"scenario files run with the seed of '{anchor.name}' ({root}) to pair with it"
        )
    if root is None:
        root = next((s.seed for s in scenarios if s.seed is not None), None)
    if root is None:
        entropy = np.random.SeedSequence().entropy
        root = int(entropy) if isinstance(entropy, int) else 0
        notes.append(
            f"no seed given and none in the scenarios: using {root} for every "
            "scenario (give --seed to repeat the comparison)"
        )
    n = replicates
    if n is None and anchor is not None:
        n = anchor.n_replicates
    if n is None:
        n = scenarios[0].replicates
    return int(root), check_count("replicates", n)


def compare(
    *sources: Results | Scenario | RunSet | str | os.PathLike[str],
    names: Sequence[str] | None = None,
    seed: int | None = None,
    replicates: int | None = None,
    every: int = 1,
    posterior: str | os.PathLike[str] | bool | None = None,
) -> Comparison:
    """Compare two or more scenarios, run folders or sweeps with the first one.

    Args:
        *sources: At least two inputs: scenario files (``.yaml``) or loaded scenarios (run on
            the spot with common seeds), run folders (``influence-sim run --out DIR``), sweep
            folders, in-memory results, or :class:`RunSet` objects. The first is the
            reference of every delta.
        names: Labels of the sides, in order; default: the scenario names (made unique).
        seed: Root seed of the scenarios run on the spot; default: the seed of the first run
            folder or in-memory run (to pair with it), else the first scenario's seed.
        replicates: Replicates of the scenarios run on the spot; default: the replicate count
            of that run, else the first scenario's.
        every: Record every ``every``-th step of the scenarios run on the spot.
        posterior: Parameter draws of the scenarios run on the spot (as
            :func:`influence_sim.api.run`: None follows each scenario's ``posterior:`` key,
            False the point estimates). A replicate's draw follows from its seed, so the
            sides of a comparison share their draws (common draws), even when their powers
            differ and their noise is not common (see the module's notes on pairing).

    Returns:
        The comparison (tables, pairing, notes); ``.save(DIR)`` writes files and plots.

    Raises:
        ValueError: With fewer than two inputs, ``names`` given as one text or of the wrong
            length, ``replicates``
            or ``every`` that is not a whole number of at least 1, or a ``seed`` that is not a
            whole number of at least 0.
        influence_sim.analysis.runset.SourceError: For an input that is not a scenario file,
            run folder or sweep folder.
        influence_sim.scenario.ScenarioError: For an invalid scenario file.
    """
    if len(sources) < 2:
        raise ValueError("compare needs at least two inputs")
    if isinstance(names, str):
        raise ValueError(f"names: expected a list of labels, one per input, not the text {names!r}")
    if names is not None and len(names) != len(sources):
        raise ValueError(
            f"{counted(len(names), 'name')} given for {counted(len(sources), 'input')}"
        )
    slots: list[RunSet | None] = []
    pending: dict[int, Scenario] = {}
    notes: list[str] = []
    for i, src in enumerate(sources):
        if isinstance(src, RunSet):
            slots.append(src)
        elif isinstance(src, Results):
            slots.append(from_results(src))
        elif isinstance(src, (str, os.PathLike)):
            kind = classify(src)
            if kind == "run":
                slots.append(from_run_folder(src))
            elif kind == "sweep":
                slots.append(from_sweep_folder(src))
            else:
                pending[i] = load_scenario(src)
                slots.append(None)
        elif hasattr(src, "compile") and hasattr(src, "clock"):
            pending[i] = src
            slots.append(None)
        else:
            raise SourceError(
                f"cannot compare a {type(src).__name__} (expected a scenario "
                "file, run folder, sweep folder, Results or Scenario)"
            )
    root: int | None = None
    n: int | None = None
    if pending:
        data_sides = [s for s in slots if s is not None]
        root, n = _common_seed(seed, replicates, data_sides, list(pending.values()), notes)
        for i, scenario in pending.items():
            results = run(scenario, seed=root, replicates=n, every=every, posterior=posterior)
            slots[i] = from_results(results, kind="scenario")
    given = [s for s in slots if s is not None]
    labels = _unique(list(names) if names is not None else [s.name for s in given])
    sides = [replace(s, name=name) for s, name in zip(given, labels, strict=True)]
    for side in sides:
        notes.extend(side.notes)
    ends = {s.name: str(s.regional["date"].max()) for s in sides if not s.regional.empty}
    if len(set(ends.values())) > 1:
        listed = ", ".join(f"'{name}' on {end}" for name, end in ends.items())
        message = f"the sides end on different dates ({listed}): their final values differ in date"
        notes.append(f"warning: {message}")
        warnings.warn(message, CompareWarning, stacklevel=2)
    pairing = {s.name: _pairing(sides[0], s) for s in sides}
    for side in sides[1:]:
        pair = pairing[side.name]
        if side.kind == "sweep" or sides[0].kind == "sweep":
            notes.append(f"'{side.name}': {pair.reason}")
        elif not pair.paired:
            message = f"'{side.name}' is compared with '{sides[0].name}' {pair.reason}"
            notes.append(f"warning: {message}")
            warnings.warn(message, CompareWarning, stacklevel=2)
        elif pair.replicates and len(pair.replicates) < max(
            side.n_replicates, sides[0].n_replicates
        ):
            notes.append(f"'{side.name}': {pair.reason}")
        if pair.paired and not pair.common_noise:
            message = (
                f"'{side.name}' is paired with '{sides[0].name}' by seed but without common "
                f"random numbers: {_power_difference(sides[0], side)}, and each step's noise "
                "block is shaped by the powers, so the band of each difference holds the noise "
                "of both sides"
            )
            notes.append(f"warning: {message}")
            warnings.warn(message, CompareWarning, stacklevel=2)
    metrics = [replicate_metrics(s) for s in sides]
    headline = headline_table(sides, metrics, pairing)
    long = pd.concat(
        [m.assign(scenario=s.name) for s, m in zip(sides, metrics, strict=True)],
        ignore_index=True,
    )
    differences = pd.concat(
        [regional_differences(sides[0], s, pairing[s.name]) for s in sides[1:]],
        ignore_index=True,
    )
    return Comparison(sides, headline, long, differences, pairing, notes, root, n)


def _title(power: str) -> str:
    """A power's name as text: ``united_states`` is ``United States``."""
    return power.replace("_", " ").title()


def _cell(centre: float, lo: float, hi: float, signed: bool = False, single: str = "") -> str:
    """``centre (lo to hi)``, or ``centre (single)`` for a value of one run or pair (no band)."""
    fmt = "+.4f" if signed else ".4f"
    if single:
        return f"{centre:{fmt}} ({single})"
    return f"{centre:{fmt}} ({lo:{fmt}} to {hi:{fmt}})"


def summary_text(comparison: Comparison) -> str:
    """A short text summary: regional shares, trust and guarantors against the reference.

    The regional rows cover every power of the runs. The rows by state follow the China-Russia
    pair (:data:`influence_sim.seeds.DYAD`, their division of labour: the difference in
    security share of each, and how often Russia is the guarantor at the end), and a power the
    runs add to the default actors beside them, which is what a comparison of such runs is
    about. A power that the reference or the other side lacks has no column there (it has no
    difference).

    Args:
        comparison: The comparison.

    Returns:
        The text (the full table is :attr:`Comparison.headline`).

    Raises:
        TypeError: If ``comparison`` is not a :class:`Comparison` (from :func:`compare`).
    """
    check_kind("comparison", comparison, Comparison, "a Comparison (from compare())")
    head = comparison.headline
    base = comparison.names[0]
    single = any(s.n_replicates == 1 for s in comparison.sides)
    lines = [
        f"Comparison with '{base}' (median and 5-95% band over replicates"
        + ("; a single run, or a difference of one pair, has no band)" if single else ")")
    ]
    # the powers of the runs, in table order (rest of world is not one)
    regional = head[head["metric"].str.startswith("final_share_") & (head["state"] == "region")]
    powers = [p for p in dict.fromkeys(regional["partner"]) if p != REST_OF_WORLD]
    # by state: the China-Russia pair, then the powers the runs add to the default actors
    followed = [p for p in DYAD if p in powers]
    followed += [p for p in powers if p not in DEFAULT_POWERS and p not in DYAD]
    guarantor = DYAD[1]  # Russia, the region's security guarantor in the division of labour
    for side in comparison.sides[1:]:
        # only the powers of both sides have a difference
        both = set.intersection(
            *(set(regional.loc[regional["scenario"] == s, "partner"]) for s in (base, side.name))
        )
        by_state = [p for p in followed if p in both]
        pair = comparison.pairing[side.name]
        lines.append("")
        lines.append(f"{side.name} vs {base}: {pair.reason}")
        lines.append(f"  {'':<30}{base[:27]:>28}{side.name[:27]:>30}{'difference':>30}")
        rows: list[tuple[str, str, str, str]] = []
        for domain in ("economic", "security"):
            for power in powers:
                rows.append(
                    (
                        f"final_share_{domain}",
                        "region",
                        power,
                        f"{domain} share, {power.replace('_', ' ')}",
                    )
                )
        rows.append(("final_trust", "region", "", "China-Russia trust"))
        n_base, n_side = comparison.side(base).n_replicates, side.n_replicates
        # a difference of one pair has no band; an unpaired one against a single run holds the
        # spread of the other side only
        pairs = len(pair.replicates) if pair.paired else n_base * n_side
        one_pair = "one pair" if pairs == 1 else ""
        for metric, state, power, text in rows:
            sel = head[
                (head["metric"] == metric) & (head["state"] == state) & (head["partner"] == power)
            ]
            a = sel[sel["scenario"] == base]
            b = sel[sel["scenario"] == side.name]
            if a.empty or b.empty:
                continue
            ra, rb = a.iloc[0], b.iloc[0]
            one_a = "one run" if ra["n"] == 1 else ""
            one_b = "one run" if rb["n"] == 1 else ""
            delta = _cell(rb["delta_median"], rb["delta_p5"], rb["delta_p95"], True, one_pair)
            lines.append(
                f"  {text:<30}{_cell(ra['median'], ra['p5'], ra['p95'], single=one_a):>28}"
                f"{_cell(rb['median'], rb['p5'], rb['p95'], single=one_b):>30}"
                f"{delta:>30}"
            )
        if not pair.paired and pairs > 1 and 1 in (n_base, n_side):
            lone = base if n_base == 1 else side.name
            lines.append(
                f"  '{lone}' is a single run: the band of the difference holds the spread of "
                "the other side only, not its own"
            )
        sec = head[(head["metric"] == "final_share_security") & (head["scenario"] == side.name)]
        guar = head[(head["metric"] == "final_guarantor") & (head["partner"] == guarantor)]
        states = [s for s in dict.fromkeys(sec["state"]) if s != "region"] if by_state else []
        if states:
            named = ", ".join(_title(p) for p in by_state)
            tail = f" and how often {_title(guarantor)} is the guarantor at the end"
            lines.append(
                f"  by state: difference in security share ({named})"
                + (tail if guarantor in both else "")
            )
        for state in states:
            d = sec[sec["state"] == state].set_index("partner")["delta_median"]
            g = guar[guar["state"] == state].set_index("scenario")["median"]
            text = f"    {state:<16}"
            for power in by_state:
                text += f"{d[power]:>+10.4f}" if power in d else f"{'':>10}"
            if base in g and side.name in g:
                text += f"    {g[base]:>4.0%} -> {g[side.name]:.0%}"
            lines.append(text)
    return "\n".join(lines)


__all__ = [
    "HEADLINE_COLUMNS",
    "CompareWarning",
    "Comparison",
    "Pairing",
    "compare",
    "headline_table",
    "regional_differences",
    "save_comparison_plots",
    "side_shocks",
    "slug",
    "summary_text",
]
