"""The generated tables of ``docs/ODD.md`` and ``docs/data.md``, from the code and ``seeds/``.

``python -m influence_sim.doctables`` rewrites the blocks between ``<!-- BEGIN name -->`` and
``<!-- END name -->``: in ``docs/ODD.md`` ``mechanism-table``, ``parameter-table``,
``assumption-table``, ``estimate-table`` and ``initial-state-table``; in ``docs/data.md`` the
hindcast blocks, from the committed ``docs/figures/hindcast/hindcast.csv`` (run
``influence-sim hindcast --out docs/figures/hindcast --force`` first). ``tests/test_docs.py``
parses them back and compares them with the code, so the documents cannot drift from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any

from influence_sim import initial
from influence_sim import seeds as sd
from influence_sim.kernel.mechanisms import MECHANISM_TABLE
from influence_sim.kernel.step import demand_of
from influence_sim.parameters import PARAMETERS

START = dt.date(2021, 1, 1)


def _fmt(value: float) -> str:
    return f"{value:.6g}"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def mechanism_table(seeds: sd.SeedData) -> str:
    """One row per mechanism: letter, name, kernel functions, knockouts (seeds are not used)."""
    del seeds
    lines = [
        "| Letter | Name | What it does | Kernel functions | Knockouts |",
        "|---|---|---|---|---|",
    ]
    for m in MECHANISM_TABLE:
        functions = ", ".join(f"`{f}`" for f in m.functions)
        knockouts = ", ".join(f"`{k}`" for k in m.knockouts)
        lines.append(f"| {m.letter} | `{m.name}` | {m.title} | {functions} | {knockouts} |")
    return "\n".join(lines)


def parameter_table(seeds: sd.SeedData) -> str:
    """One row per parameter: scope, mechanism, meaning, value(s), unit, bounds, path, source."""
    lines = [
        "| Name | Scope | Mech. | Meaning | Value | Unit | Bounds | Override path | Provenance |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, spec in PARAMETERS.items():
        if spec.scope == "global":
            value = _fmt(spec.default(seeds))
            path = f"`parameters.{name}`"
        else:
            entities = sd.DEFAULT_STATES if spec.scope == "state" else sd.DEFAULT_POWERS
            value = "; ".join(f"{e}={_fmt(spec.default(seeds, e))}" for e in entities)
            path = f"`{'states' if spec.scope == 'state' else 'powers'}.<{spec.scope}>.{name}`"
        high = "∞" if spec.high is None else _fmt(spec.high)
        lines.append(
            f"| `{name}` | {spec.scope} | {spec.mechanism} | {_cell(spec.meaning)} | {value} | "
            f"{spec.unit} | [{_fmt(spec.low)}, {high}] | {path} | "
            f"{_cell(provenance(spec.name, seeds))} |"
        )
    return "\n".join(lines)


def provenance(name: str, seeds: sd.SeedData) -> str:
    """Where a parameter's default comes from, in words."""
    spec = PARAMETERS[name]
    if name in seeds.estimates:
        return f"estimate `{name}` (seeds/estimates.csv): {seeds.estimates[name].method}"
    if spec.derived:
        return spec.derived
    if spec.scope == "global":
        return f"assumption `{name}` (seeds/assumptions.csv): {seeds.assumptions[name].reason}"
    return f"assumptions `{name}_<{spec.scope}>` (seeds/assumptions.csv); reasons per entity in 8.2"


def assumption_table(seeds: sd.SeedData) -> str:
    """Every row of ``assumptions.csv``."""
    lines = ["| Id | Value | Unit | Applies to | Reason |", "|---|---|---|---|---|"]
    for a in seeds.assumptions.values():
        lines.append(f"| `{a.id}` | {a.value} | {a.unit} | {a.applies_to} | {_cell(a.reason)} |")
    return "\n".join(lines)


def estimate_table(seeds: sd.SeedData) -> str:
    """Every row of ``estimates.csv``."""
    lines = ["| Id | Value | Unit | Method |", "|---|---|---|---|"]
    for e in seeds.estimates.values():
        lines.append(f"| `{e.id}` | {_fmt(e.value)} | {e.unit} | {_cell(e.method)} |")
    return "\n".join(lines)


INITIAL_COLUMNS = (
    "GDP",
    "trade",
    "China econ.",
    "Russia econ.",
    "US econ.",
    "arms imports",
    "arms_base",
    "threat_exposure",
    "threat",
    "Russia sec.",
    "China sec.",
    "US sec.",
    "RoW sec.",
)


def initial_values(seeds: sd.SeedData) -> dict[str, dict[str, float]]:
    """The starting values of each state for a start on 2021-01-01, by column."""
    dims = initial.default_dims()
    state, params = initial.build(dims, START, seeds=seeds)
    demand = demand_of(state, params)
    k = {name: i for i, name in enumerate(dims.partners)}
    out = {}
    for s, name in enumerate(dims.states):
        out[name] = {
            "GDP": float(state.gdp[0, s]),
            "trade": float(state.trade[0, s]),
            "China econ.": float(state.share[0, s, k["china"], 0]),
            "Russia econ.": float(state.share[0, s, k["russia"], 0]),
            "US econ.": float(state.share[0, s, k["united_states"], 0]),
            "arms imports": float(demand[0, s, 1]),
            "arms_base": float(state.arms_base[0, s]),
            "threat_exposure": float(params.threat_exposure[0, s]),
            "threat": float(state.threat[0, s]),
            "Russia sec.": float(state.share[0, s, k["russia"], 1]),
            "China sec.": float(state.share[0, s, k["china"], 1]),
            "US sec.": float(state.share[0, s, k["united_states"], 1]),
            "RoW sec.": float(state.share[0, s, k["rest_of_world"], 1]),
        }
    return out


def initial_state_table(seeds: sd.SeedData) -> str:
    """Per-state starting values for a start on 2021-01-01."""
    lines = [
        "| State | " + " | ".join(INITIAL_COLUMNS) + " |",
        "|" + "---|" * (len(INITIAL_COLUMNS) + 1),
    ]
    for name, row in initial_values(seeds).items():
        cells = " | ".join(f"{row[c]:.6f}" for c in INITIAL_COLUMNS)
        lines.append(f"| `{name}` | {cells} |")
    return "\n".join(lines)


TABLES = {
    "mechanism-table": mechanism_table,
    "parameter-table": parameter_table,
    "assumption-table": assumption_table,
    "estimate-table": estimate_table,
    "initial-state-table": initial_state_table,
}


HINDCAST_CSV = Path(__file__).resolve().parents[2] / "docs/figures/hindcast/hindcast.csv"
"""The committed output of ``influence-sim hindcast --out docs/figures/hindcast``."""


def hindcast_tables() -> dict[str, str]:
    """The hindcast blocks of ``docs/data.md``, from the committed ``hindcast.csv``."""
    import pandas as pd

    from influence_sim.validation import markdown_tables

    return markdown_tables(pd.read_csv(HINDCAST_CSV, dtype={"period": str, "partner": str}))


HOLDOUT_CSV = Path(__file__).resolve().parents[2] / "docs/figures/holdout/holdout.csv"
"""The committed output of ``influence-sim hindcast --holdout 2015`` on a fit through 2014."""


def holdout_tables() -> dict[str, str]:
    """The out-of-sample blocks of ``docs/validation.md``, from the committed ``holdout.csv``."""
    import pandas as pd

    from influence_sim.validation import holdout_markdown

    return holdout_markdown(pd.read_csv(HOLDOUT_CSV, dtype={"period": str, "partner": str}))


FIT14_SUMMARY = HOLDOUT_CSV.parents[1] / "fit_2014" / "summary.csv"
"""The committed ``summary.csv`` of ``influence-sim fit --until 2014``."""


def posterior_comparison() -> str:
    """Markdown table: each parameter's prior, and its posterior fitted through 2014 and 2019."""
    import pandas as pd

    fit14 = pd.read_csv(FIT14_SUMMARY).set_index("parameter").to_dict("index")
    fit19 = pd.read_csv(sd.seeds_dir() / "posterior" / "summary.csv").set_index("parameter")
    later = fit19.to_dict("index")
    lines = [
        "| parameter | prior 5-95% | through 2014: median (5-95%) | width ratio | "
        "through 2019: median (5-95%) | width ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, a in fit14.items():
        b = later[name]

        def cell(r: Mapping[Hashable, Any]) -> str:
            return (
                f"{r['posterior_median']:.3g} ({r['posterior_p05']:.3g} to "
                f"{r['posterior_p95']:.3g})"
            )

        lines.append(
            f"| `{name}` | {a['prior_p05']:.3g} to {a['prior_p95']:.3g} | {cell(a)} | "
            f"{a['width_ratio']:.2f} | {cell(b)} | {b['width_ratio']:.2f} |"
        )
    return "\n".join(lines)


RECOVERY_CSV = HOLDOUT_CSV.parents[1] / "recovery" / "coverage.csv"
"""The committed table of ``benchmarks/recovery.py --table`` (true values from the priors)."""

RECOVERY_POSTERIOR_CSV = RECOVERY_CSV.with_name("coverage_posterior.csv")
"""The same with ``--truths posterior`` (true values from the committed posterior)."""


def recovery_table(path: Path | None = None) -> str:
    """Markdown table of a recovery study's coverage, by parameter and in all."""
    import pandas as pd

    frame = pd.read_csv(RECOVERY_CSV if path is None else path)
    lines = [
        f"Settings: {frame['settings'].iloc[0]}.",
        "",
        "| parameter | trials | true value inside the 90% interval | coverage | "
        "interval width / prior's (median) | result |",
        "|---|---|---|---|---|---|",
    ]
    for _, r in frame.iterrows():
        name = "**all**" if r["parameter"] == "all" else f"`{r['parameter']}`"
        lines.append(
            f"| {name} | {int(r['trials'])} | {int(r['inside'])} | {r['coverage']:.0%} | "
            f"{r['width_vs_prior']:.2f} | {r['result']} |"
        )
    return "\n".join(lines)


def rewrite(path: Path, seeds: sd.SeedData | None = None) -> list[str]:
    """Rewrite the generated blocks of a document; return the names of those rewritten."""
    seeds = seeds or sd.load_seeds()
    text = path.read_text(encoding="utf-8")
    done = []
    made: dict[str, str] = {name: make(seeds) for name, make in TABLES.items()}
    if "BEGIN hindcast-" in text:
        made.update(hindcast_tables())
    if "BEGIN holdout-" in text:
        made.update(holdout_tables())
    if "BEGIN posterior-fits" in text:
        made["posterior-fits"] = posterior_comparison()
    if "BEGIN recovery -->" in text:
        made["recovery"] = recovery_table()
    if "BEGIN recovery-posterior" in text:
        made["recovery-posterior"] = recovery_table(RECOVERY_POSTERIOR_CSV)
    for name, table in made.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(\n<!-- END {name} -->)", re.S)
        if pattern.search(text):

            def replace(m: re.Match[str], t: str = table) -> str:
                return m.group(1) + t + m.group(2)

            text = pattern.sub(replace, text)
            done.append(name)
    path.write_text(text, encoding="utf-8")
    return done


def main(argv: list[str] | None = None) -> int:
    """Rewrite the tables of the documents given, by default those of ``docs/``."""
    parser = argparse.ArgumentParser(
        prog="python -m influence_sim.doctables",
        description="Rewrite the generated tables of the documents from the code and seeds/.",
    )
    parser.add_argument(
        "docs", nargs="*", type=Path, metavar="DOC", help="documents (default: those of docs/)"
    )
    docs = Path(__file__).resolve().parents[2] / "docs"
    paths = parser.parse_args(argv).docs or [
        docs / "ODD.md",
        docs / "data.md",
        docs / "validation.md",
        docs / "estimation.md",
    ]
    for path in paths:
        if not path.is_file():
            parser.error(f"{path}: no such file")
    for path in paths:
        print(f"{path}: rewrote {', '.join(rewrite(path)) or 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
