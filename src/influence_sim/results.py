"""Results of a scenario run: tidy DataFrames, a printed summary, and files on disk.

The long table :attr:`Results.timeseries` has one row per replicate, step, state, partner and
domain with the share and the volume it stands for (trade turnover for economic rows, arms
imports for security rows). Smaller tables hold regional totals, per-state series, per-power
series and the China-Russia relation. :meth:`Results.save` writes them with ``metadata.json``
(scenario hash, seeds, versions, wall time, the scenario's shock dates), ``bands.csv`` (China's
and Russia's medians and bands at a few dates, :meth:`Results.band_table`) and the standard plots.
"""

from __future__ import annotations

import datetime as dt
import functools
import numbers
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from influence_sim import provenance
from influence_sim._files import (
    FigureOutput,
    json_text,
    output_folder,
    remove_earlier_files,
    write_frames_atomic,
    write_text_atomic,
)
from influence_sim._inputs import InputFileError, read_json_object
from influence_sim._text import as_list, counted, json_kind
from influence_sim.ensemble import EnsembleOutput
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import DOMAINS, ECON, SEC, Dims, FloatArray
from influence_sim.seeds import DYAD

PERCENTILES = (5, 95)

BAND_POWERS: tuple[str, ...] = DYAD
"""Powers of the band table (:meth:`Results.band_table`) and of the trade figures: China and
Russia (:data:`influence_sim.seeds.DYAD`), those of them a run has."""

BAND_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
"""Quantiles over replicates of the band table, as fractions."""

REGION = "region"
"""Value of ``area`` for the region's rows of the band table."""

_BAND_MEASURES = {"trade_usd_bn": "trade", "arms_share": "arms share"}


RUN_PACKAGES = provenance.RUN_PACKAGES


def package_versions() -> dict[str, str]:
    """Versions of the package and the libraries results depend on."""
    return provenance.package_versions(RUN_PACKAGES)


def seed_record(seq: np.random.SeedSequence) -> dict[str, Any]:
    """A seed sequence as JSON-ready data (entropy and spawn key reproduce it exactly)."""
    entropy = seq.entropy
    if isinstance(entropy, Iterable):
        entropy_value: Any = [int(e) for e in entropy]
    else:
        entropy_value = int(entropy) if entropy is not None else None
    return {"entropy": entropy_value, "spawn_key": [int(k) for k in seq.spawn_key]}


@dataclass
class Results:
    """The outcome of running a scenario's replicates.

    Attributes:
        name: Scenario name.
        output: Recorded arrays.
        replicate_seeds: Seed sequence of each replicate.
        seed: Root seed the replicates were spawned from, as a whole number (None when it is
            none: a ``Generator``'s draws or a spawned ``SeedSequence``).
        metadata: Provenance: scenario path and hash, versions, wall time, ...
    """

    name: str
    output: EnsembleOutput
    replicate_seeds: list[np.random.SeedSequence]
    seed: int | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    # --- tidy tables ----------------------------------------------------------------------

    @property
    def dims(self) -> Dims:
        """Entities of the runs."""
        return self.output.dims

    @property
    def n_replicates(self) -> int:
        """Number of replicates."""
        return self.output.n_runs

    @property
    def description(self) -> str:
        """The scenario's description (``metadata["scenario_description"]``; empty if none)."""
        text = self.metadata.get("scenario_description")
        return str(text) if text else ""

    @property
    def shock_dates(self) -> list[tuple[dt.date, str]]:
        """The scenario's shocks as (date, name) pairs, sorted and without repeats.

        Read from ``metadata["shocks"]`` (written by :func:`influence_sim.run`); empty when the
        metadata has none, e.g. for results made before shocks were recorded. Shocks that wait
        for a condition on the model's state are left out: they have no fixed date. The name of
        a shock that happens in some replicates only carries its probability, e.g.
        ``base_deal (p=0.5)``.
        """
        records = self.metadata.get("shocks")
        if not isinstance(records, list):
            return []
        pairs: set[tuple[dt.date, str]] = set()
        for record in records:
            if not isinstance(record, dict) or record.get("triggered"):
                continue
            try:
                day = dt.date.fromisoformat(str(record["date"])[:10])
            except (KeyError, ValueError):
                continue
            name = str(record.get("name", "shock"))
            probability = record.get("probability")
            if isinstance(probability, (int, float)) and probability < 1.0:
                name += f" (p={probability:g})"
            pairs.add((day, name))
        return sorted(pairs)

    def _index(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        steps = self.output.steps
        dates = [d.isoformat() for d in self.output.dates]
        return steps, np.arange(self.n_replicates), dates

    def _seed_columns(self) -> tuple[np.ndarray, np.ndarray]:
        """Each replicate's ``seed_entropy`` and ``seed_spawn_key``, indexed by replicate.

        Replicate ``i`` runs on ``SeedSequence(seed_entropy, spawn_key=(seed_spawn_key,))``.
        An entropy that is not one whole number, or a spawn key of more than one element, is
        written as text (``metadata.json`` holds every replicate's seed sequence in full).
        """
        entropy: list[Any] = []
        keys: list[Any] = []
        for seq in self.replicate_seeds:
            record = seed_record(seq)
            value = record["entropy"]
            entropy.append(value if isinstance(value, int) else str(value))
            key = record["spawn_key"]
            keys.append(key[0] if len(key) == 1 else ".".join(str(k) for k in key))
        as_ints = all(isinstance(v, int) and abs(v) < 2**63 for v in entropy)
        return (
            np.asarray(entropy, dtype=np.int64 if as_ints else object),
            np.asarray(keys, dtype=np.int64 if all(isinstance(k, int) for k in keys) else object),
        )

    @functools.cached_property
    def timeseries(self) -> pd.DataFrame:
        """Long table, one row per replicate, step, state, partner and domain.

        Columns: replicate, seed_entropy, seed_spawn_key, step, date, state, partner, domain,
        share, volume_usd_bn. ``seed_entropy`` and ``seed_spawn_key`` are the replicate's own
        seed: it ran on ``SeedSequence(seed_entropy, spawn_key=(seed_spawn_key,))`` (the
        entropy is the run's root seed, the spawn key tells the replicates apart), the same
        columns as in a sweep's ``runs.parquet``.
        """
        out = self.output
        t, b, s, k, d = out.share.shape
        steps, _, dates = self._index()
        grid = np.indices((b, t, s, k, d)).reshape(5, -1)
        rep, ti, si, ki, di = grid
        share = out.share.transpose(1, 0, 2, 3, 4).reshape(-1)
        volume = (out.share * out.volume[:, :, :, None, :]).transpose(1, 0, 2, 3, 4).reshape(-1)
        entropy, spawn_key = self._seed_columns()
        return pd.DataFrame(
            {
                "replicate": rep,
                "seed_entropy": entropy[rep],
                "seed_spawn_key": spawn_key[rep],
                "step": steps[ti],
                "date": np.asarray(dates)[ti],
                "state": np.asarray(self.dims.states)[si],
                "partner": np.asarray(self.dims.partners)[ki],
                "domain": np.asarray(DOMAINS)[di],
                "share": share,
                "volume_usd_bn": volume,
            }
        )

    @functools.cached_property
    def regional(self) -> pd.DataFrame:
        """Regional totals: replicate, step, date, partner, domain, share, volume_usd_bn.

        Shares are volume-weighted over states, with rest of world in the denominator.
        """
        out = self.output
        steps, _, dates = self._index()
        volume = obs.regional_volume(out.share, out.volume)  # (T, B, K, D)
        share = obs.regional_share(out.share, out.volume)
        t, b, k, d = share.shape
        rep, ti, ki, di = np.indices((b, t, k, d)).reshape(4, -1)
        return pd.DataFrame(
            {
                "replicate": rep,
                "step": steps[ti],
                "date": np.asarray(dates)[ti],
                "partner": np.asarray(self.dims.partners)[ki],
                "domain": np.asarray(DOMAINS)[di],
                "share": share.transpose(1, 0, 2, 3).reshape(-1),
                "volume_usd_bn": volume.transpose(1, 0, 2, 3).reshape(-1),
            }
        )

    @functools.cached_property
    def states(self) -> pd.DataFrame:
        """Per state: replicate, step, date, state, threat, trade, arms imports, guarantor."""
        out = self.output
        steps, _, dates = self._index()
        t, b, s = out.threat.shape
        rep, ti, si = np.indices((b, t, s)).reshape(3, -1)
        n_powers = self.dims.n_powers
        guarantor_index = obs.guarantor(out.share, n_powers)

        def flat(a: np.ndarray) -> np.ndarray:
            return np.asarray(a).transpose(1, 0, 2).reshape(-1)

        return pd.DataFrame(
            {
                "replicate": rep,
                "step": steps[ti],
                "date": np.asarray(dates)[ti],
                "state": np.asarray(self.dims.states)[si],
                "threat": flat(out.threat),
                "trade_usd_bn": flat(out.volume[..., ECON]),
                "arms_usd_bn": flat(out.volume[..., SEC]),
                "security_guarantor": np.asarray(self.dims.powers)[flat(guarantor_index)],
            }
        )

    @functools.cached_property
    def powers(self) -> pd.DataFrame:
        """Per power: replicate, step, date, power, capacities and effort by domain."""
        out = self.output
        steps, _, dates = self._index()
        t, b, p, _ = out.capacity.shape
        rep, ti, pi = np.indices((b, t, p)).reshape(3, -1)

        def flat(a: np.ndarray) -> np.ndarray:
            return np.asarray(a).transpose(1, 0, 2).reshape(-1)

        return pd.DataFrame(
            {
                "replicate": rep,
                "step": steps[ti],
                "date": np.asarray(dates)[ti],
                "power": np.asarray(self.dims.powers)[pi],
                "economic_capacity": flat(out.capacity[..., ECON]),
                "security_capacity": flat(out.capacity[..., SEC]),
                "economic_effort": flat(out.effort[..., ECON]),
                "security_effort": flat(out.effort[..., SEC]),
            }
        )

    @functools.cached_property
    def relations(self) -> pd.DataFrame:
        """Per step: replicate, step, date, China-Russia trust and Afghan instability."""
        out = self.output
        steps, _, dates = self._index()
        t, b = out.trust.shape
        rep, ti = np.indices((b, t)).reshape(2, -1)
        return pd.DataFrame(
            {
                "replicate": rep,
                "step": steps[ti],
                "date": np.asarray(dates)[ti],
                "trust": out.trust.T.reshape(-1),
                "afghan_instability": out.instability.T.reshape(-1),
            }
        )

    # --- headline figures ----------------------------------------------------------------

    def final_shares(self) -> pd.DataFrame:
        """Final shares by state, domain and partner: mean and 5-95% band over replicates.

        The band is linear in between replicates (as :meth:`pandas.Series.quantile`); a single
        replicate has none, and its ``p5`` and ``p95`` are NaN.
        """
        ts = self.timeseries
        last = ts[ts["step"] == ts["step"].max()]
        grouped = last.groupby(["state", "domain", "partner"], sort=False)["share"]
        table = pd.DataFrame(
            {
                "mean": grouped.mean(),
                "p5": grouped.quantile(PERCENTILES[0] / 100),
                "p95": grouped.quantile(PERCENTILES[1] / 100),
            }
        ).reset_index()
        return self._without_band(table, ["p5", "p95"])

    def _without_band(self, table: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        """``table`` with the percentile ``columns`` NaN when there is one replicate.

        The percentiles of one value are that value: a band of width 0 that would read as
        certainty rather than as a single run.
        """
        if self.n_replicates == 1:
            table[columns] = np.nan
        return table

    def guarantors(self) -> pd.DataFrame:
        """Each state's final security guarantor: the most frequent, and in what fraction."""
        st = self.states
        last = st[st["step"] == st["step"].max()]
        rows = []
        for state, group in last.groupby("state", sort=False):
            counts = group["security_guarantor"].value_counts()
            rows.append(
                {
                    "state": state,
                    "guarantor": counts.index[0],
                    "fraction": float(counts.iloc[0] / counts.sum()),
                }
            )
        return pd.DataFrame(rows)

    def regional_trade(self) -> pd.DataFrame:
        """Trade of :data:`BAND_POWERS` with the region, USD bn per year, over replicates.

        Columns: ``partner``; ``start`` and ``end``, the medians at the first and last recorded
        step; ``end_p5`` and ``end_p95``, the 5 and 95 percent points at the last (linear in
        between replicates; NaN with a single replicate, which has no band).
        """
        reg = self.regional
        econ = reg[(reg["domain"] == "economic") & reg["partner"].isin(BAND_POWERS)]
        first, last = econ["step"].min(), econ["step"].max()
        rows = []
        for power, group in econ.groupby("partner", sort=False):
            start = group[group["step"] == first]["volume_usd_bn"]
            end = group[group["step"] == last]["volume_usd_bn"]
            rows.append(
                {
                    "partner": power,
                    "start": float(start.median()),
                    "end": float(end.median()),
                    "end_p5": float(end.quantile(0.05)),
                    "end_p95": float(end.quantile(0.95)),
                }
            )
        return self._without_band(pd.DataFrame(rows), ["end_p5", "end_p95"])

    def band_dates(self, years: int | Sequence[int] | None = None) -> list[dt.date]:
        """Recorded dates of the band table: those nearest to the given years' first days.

        Args:
            years: Years to show, whole numbers within the run (one year alone is one); by
                default the first recorded date, the one nearest to five years after it, and
                the last.

        Returns:
            The dates, sorted, without repeats.

        Raises:
            ValueError: For a year that is not a whole number (text such as ``'2025'``
                included) or lies outside the run's first and last year.
        """
        dates = list(self.output.dates)
        if years is None:
            first = dates[0]
            try:
                middle = first.replace(year=first.year + 5)
            except ValueError:  # 29 February
                middle = first.replace(year=first.year + 5, day=28)
            targets = [first, middle, dates[-1]]
        else:
            targets = [dt.date(year, 1, 1) for year in _years(years, dates[0], dates[-1])]
        picked = set()
        for target in targets:
            gaps = [(abs((day - target).days), day) for day in dates]
            picked.add(min(gaps)[1])
        return sorted(picked)

    def band_table(self, years: int | Sequence[int] | None = None) -> pd.DataFrame:
        """China's and Russia's trade and regional arms shares: median and bands at a few dates.

        Rows are ``trade_usd_bn`` (trade with each state and with the region, USD bn per year)
        and ``arms_share`` (share of the region's arms imports, a fraction), for each power of
        :data:`BAND_POWERS` and each date of :meth:`band_dates`. Quantiles are over replicates
        (linear interpolation, as :meth:`pandas.Series.quantile`). A single replicate has no
        band: its ``median`` is its value and the other quantiles are NaN.

        Args:
            years: Years to show (the recorded date nearest to 1 January of each); by default
                the first date, five years on, and the last date.

        Returns:
            Columns measure, area (a state or ``region``), partner, date (ISO), median, p5, p25,
            p75, p95.

        Raises:
            ValueError: For ``years`` that :meth:`band_dates` refuses.
        """
        dates = [d.isoformat() for d in self.band_dates(years)]
        powers = [p for p in BAND_POWERS if p in self.dims.partners]
        columns = ["measure", "area", "partner", "date", "median", "p5", "p25", "p75", "p95"]
        if not powers:  # the scenario removed them all
            return pd.DataFrame(columns=columns)
        qs = np.asarray(BAND_QUANTILES)
        names = {0.05: "p5", 0.25: "p25", 0.5: "median", 0.75: "p75", 0.95: "p95"}

        def bands(frame: pd.DataFrame, keys: list[str], column: str) -> pd.DataFrame:
            sel = frame[frame["partner"].isin(powers) & frame["date"].isin(dates)]
            q = sel.groupby(keys, sort=False)[column].quantile(qs).unstack()
            return q.rename(columns=names).reset_index()

        ts = self.timeseries
        reg = self.regional
        by_state = bands(
            ts[ts["domain"] == "economic"], ["state", "partner", "date"], "volume_usd_bn"
        )
        by_state = by_state.rename(columns={"state": "area"})
        region_trade = bands(reg[reg["domain"] == "economic"], ["partner", "date"], "volume_usd_bn")
        region_arms = bands(reg[reg["domain"] == "security"], ["partner", "date"], "share")
        parts = [
            by_state.assign(measure="trade_usd_bn"),
            region_trade.assign(measure="trade_usd_bn", area=REGION),
            region_arms.assign(measure="arms_share", area=REGION),
        ]
        table = pd.concat(parts, ignore_index=True)
        areas = [*self.dims.states, REGION]
        order = {
            "measure": list(_BAND_MEASURES),
            "area": areas,
            "partner": powers,
            "date": dates,
        }
        for column, values in order.items():
            table[column] = pd.Categorical(table[column], categories=values, ordered=True)
        table = table.sort_values(list(order), ignore_index=True)
        for column in order:
            table[column] = table[column].astype(str)
        return self._without_band(table[columns], ["p5", "p25", "p75", "p95"])

    def _band_lines(self) -> list[str]:
        """The band table as text: one row per measure, area and partner, one column per date."""
        table = self.band_table()
        if table.empty:
            return []
        dates = list(dict.fromkeys(table["date"]))
        powers = " and ".join(p.title() for p in dict.fromkeys(table["partner"]))
        width = 21
        lines = [
            f"{powers}, median (5-95%) over {self.n_replicates} replicates",
            "  trade: USD bn per year; arms share: share of regional arms imports (fraction)",
            f"  {'':<12}{'':<14}{'partner':<8}" + "".join(f"{d:>{width}}" for d in dates),
        ]
        shown_measure = shown_area = ""
        groups = table.groupby(["measure", "area", "partner"], sort=False)
        for (measure, area, partner), rows in groups:
            # Small trade figures keep two decimals so that their bands stay readable.
            small = measure == "arms_share" or float(rows["median"].max()) < 10.0
            digits = 2 if small else 1
            by_date = rows.set_index("date")
            cells = "".join(
                f"{_band_cell(by_date.loc[d], digits):>{width}}"
                if d in by_date.index
                else " " * width
                for d in dates
            )
            name = _BAND_MEASURES[str(measure)]
            first = name if name != shown_measure else ""
            where = str(area) if (first or str(area) != shown_area) else ""
            shown_measure, shown_area = name, str(area)
            lines.append(f"  {first:<12}{where:<14}{partner!s:<8}{cells}")
        return lines

    def _median_block(
        self, header: str, rows: Sequence[tuple[str, float, float, float, float]], digits: int
    ) -> list[str]:
        """Lines of a blank line, ``header`` and one row per series, as (name, start, end, p5, p95).

        A row shows ``start -> end`` and, with several replicates, the end's 5-95 percent range.
        """
        if not rows:
            return []
        out = ["", header]
        for name, start, end, p5, p95 in rows:
            band = ""
            if self.n_replicates > 1:
                band = f"  (5-95%: {p5:.{digits}f} to {p95:.{digits}f})"
            out.append(f"  {name:<12}{start:>8.{digits}f} -> {end:>8.{digits}f}{band}")
        return out

    def summary(self) -> str:
        """A short text summary: final shares, guarantors, regional China and Russia trade.

        With more than one replicate it ends with the band table (:meth:`band_table`): China's
        and Russia's trade with each state and the region and their regional arms shares at a
        few dates, as ``median (p5-p95)``.
        """
        out = self.output
        first, last = out.dates[0], out.dates[-1]
        lines = [
            f"Scenario: {self.name}",
            f"Period: {first} to {last} ({counted(len(out.dates) - 1, 'recorded step')}); "
            f"replicates: {self.n_replicates}; seed: {self.seed}",
            "",
            f"Final shares on {last} "
            f"({'one run' if self.n_replicates == 1 else 'mean over replicates'}; rows sum to 1)",
        ]
        partners = list(self.dims.partners)
        header = f"  {'state':<14}{'domain':<10}" + "".join(f"{p:>15}" for p in partners)
        lines.append(header + f"{'guarantor':>14}")
        final = self.final_shares()
        guarantors = self.guarantors().set_index("state")
        for state in self.dims.states:
            for domain in DOMAINS:
                sel = final[(final["state"] == state) & (final["domain"] == domain)]
                values = sel.set_index("partner")["mean"]
                cells = "".join(f"{values[p]:>15.3f}" for p in partners)
                tail = ""
                if domain == "security":
                    g = guarantors.loc[state]
                    tail = f"{g['guarantor']:>14}"
                    if self.n_replicates > 1 and g["fraction"] < 1.0:
                        tail += f" ({g['fraction']:.0%})"
                name = state if domain == "economic" else ""
                lines.append(f"  {name:<14}{domain:<10}{cells}{tail}")
        medians = "" if self.n_replicates == 1 else ", medians over replicates"
        trade = [
            (r["partner"], r["start"], r["end"], r["end_p5"], r["end_p95"])
            for _, r in self.regional_trade().iterrows()
        ]
        header = f"Trade with the region, USD bn per year{medians} ({first} -> {last})"
        lines.extend(self._median_block(header, trade, 1))
        series = {"instability": out.instability}
        if all(p in self.dims.powers for p in DYAD):  # trust needs both
            series = {"trust": out.trust, **series}
        names = ("China-Russia trust and " if "trust" in series else "") + "Afghan instability"
        relations = [(name, *_median_band(values)) for name, values in series.items()]
        lines.extend(self._median_block(f"{names}{medians} ({first} -> {last})", relations, 2))
        bands = self._band_lines() if self.n_replicates > 1 else []
        if bands:
            lines.append("")
            lines.extend(bands)
        return "\n".join(lines)

    # --- files ------------------------------------------------------------------------------

    def save(
        self,
        directory: str | os.PathLike[str],
        plots: bool = True,
        figures: FigureOutput | None = None,
    ) -> list[Path]:
        """Write tables, metadata and (optionally) plots into ``directory``.

        Files: ``timeseries.csv``, ``regional.csv``, ``states.csv``, ``powers.csv``,
        ``relations.csv``, ``bands.csv`` (:meth:`band_table`), ``summary.txt`` (the printed
        :meth:`summary`), ``metadata.json`` and, with ``plots``, figures (see
        :func:`influence_sim.plots.save_standard_plots`). Each file is written to a temporary
        name and renamed, so a crash never leaves half a file.

        A folder that is not empty is written into: files of these names are replaced; the
        files an earlier save of a run listed in the folder's ``metadata.json`` (``files``) that
        this save does not write are removed, so figures of an earlier save are not left beside
        the tables of a save with ``plots=False`` (they go before the new ``metadata.json`` is
        written, so a save cut short leaves none unlisted); every other file is left as it is.
        ``metadata.json``'s ``files`` lists the files of this save. The command
        ``influence-sim run --out`` instead refuses a folder in use without ``--force`` and
        replaces it whole.

        Args:
            directory: Output folder (created if missing).
            plots: Whether to draw the standard plots.
            figures: Formats and resolution of the figures (default: PNG).

        Returns:
            Paths written.

        Raises:
            TypeError: If ``directory`` is not a path (text or ``os.PathLike``).
            FileExistsError: If ``directory`` is a file.
        """
        out_dir = output_folder("directory", directory)
        tables = {
            "timeseries.csv": self.timeseries,
            "regional.csv": self.regional,
            "states.csv": self.states,
            "powers.csv": self.powers,
            "relations.csv": self.relations,
            "bands.csv": self.band_table(),
        }
        written = write_frames_atomic(out_dir, tables, "%.10g")
        written.append(write_text_atomic(out_dir / "summary.txt", self.summary() + "\n"))
        meta = dict(self.metadata)
        meta.setdefault("scenario_name", self.name)
        meta["seed"] = self.seed
        meta["replicates"] = self.n_replicates
        meta["replicate_seeds"] = [seed_record(s) for s in self.replicate_seeds]
        meta.setdefault("versions", package_versions())
        meta["files"] = sorted([p.name for p in written] + ["metadata.json"])
        if plots:
            # matplotlib is imported only when figures are drawn, so runs without them
            # (sweep workers, ``--no-plots``) start quickly
            from influence_sim import plots as plotting

            figures_written = plotting.save_standard_plots(self, out_dir, figures)
            written.extend(figures_written)
            meta["files"] = sorted(meta["files"] + [p.name for p in figures_written])
        remove_earlier_files(
            out_dir, "metadata.json", meta["files"], lambda old: metadata_problem(old) is None
        )
        written.append(write_text_atomic(out_dir / "metadata.json", json_text(meta)))
        return written


def _years(years: object, first: dt.date, last: dt.date) -> list[int]:
    """``years`` of :meth:`Results.band_dates` as a list, each a whole year of the run."""
    out = []
    for value in as_list(years):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"years: expected whole numbers, not {value!r}")
        year = int(value)
        if not first.year <= year <= last.year:
            raise ValueError(
                f"years: {year} is outside the run (expected years from {first.year} to "
                f"{last.year})"
            )
        out.append(year)
    return out


def _median_band(values: FloatArray) -> tuple[float, float, float, float]:
    """Medians of a ``(T, B)`` series at its first and last step, and the last step's 5-95%."""
    end = values[-1]
    low, high = np.quantile(end, [0.05, 0.95])
    return float(np.median(values[0])), float(np.median(end)), float(low), float(high)


def _band_cell(row: pd.Series, digits: int) -> str:
    """``median (p5-p95)`` with ``digits`` decimals."""
    return f"{row['median']:.{digits}f} ({row['p5']:.{digits}f}-{row['p95']:.{digits}f})"


RUN_METADATA: dict[str, tuple[tuple[type, ...], str]] = {
    "scenario_name": ((str,), "text"),
    "seed": ((int, type(None)), "a whole number or null"),
    "replicates": ((int,), "a whole number"),
    "replicate_seeds": ((list,), "a list"),
}
"""Fields every run folder's ``metadata.json`` has, the reports read, with their types."""


def metadata_problem(meta: dict[str, Any]) -> str | None:
    """What is wrong with the :data:`RUN_METADATA` fields of a run's metadata (``key: why``).

    Besides their types: a run has at least one replicate, and one seed record for each.
    """
    for key, (kinds, what) in RUN_METADATA.items():
        if key not in meta:
            return f"{key}: missing (expected {what})"
        if isinstance(meta[key], bool) or not isinstance(meta[key], kinds):
            return f"{key}: expected {what}, not {json_kind(meta[key])}"
    n, seeds = meta["replicates"], len(meta["replicate_seeds"])
    if n < 1:
        return f"replicates: expected a whole number above 0, not {n}"
    if seeds != n:
        listed = counted(seeds, "seed record")
        return f"replicate_seeds: {listed} for {counted(n, 'replicate')} (expected one each)"
    return None


def read_metadata(path: Path) -> dict[str, Any]:
    """Read a run folder's ``metadata.json`` and check its :data:`RUN_METADATA` fields.

    Raises:
        ValueError: One line naming the file and, for a field, its key.
    """
    try:
        meta = read_json_object(path)
    except InputFileError as exc:
        raise ValueError(str(exc)) from None
    problem = metadata_problem(meta)
    if problem:
        raise ValueError(f"{path}: {problem}")
    return meta


def run_metadata(
    scenario_path: str | None, sha256: str | None, started: float, finished: float
) -> dict[str, Any]:
    """Provenance of a run for ``metadata.json``.

    Args:
        scenario_path: Scenario file as given by the user.
        sha256: Hash of the scenario file.
        started: Start time (``time.time()``).
        finished: End time.

    Returns:
        A JSON-ready mapping.
    """
    return {
        "scenario_path": scenario_path,
        "scenario_sha256": sha256,
        "wall_time_s": round(finished - started, 4),
        "created": dt.datetime.fromtimestamp(finished, tz=dt.UTC).isoformat(),
        "command": provenance.command_line(),
        "versions": package_versions(),
    }
