"""Named scalar outcomes of each run, for other tools (EMA Workbench, SALib, spreadsheets).

:func:`run_outcomes` turns the recorded series of a batch of runs (recorded at every step) into
one row per run and one column per outcome. The names are those of a sweep's summary metrics
(``runs.parquet``, see ``docs/sweeps.md``), so a study can move between
:func:`influence_sim.simulate` and ``influence-sim sweep`` without renaming anything:

=============================================  ===============================================
Outcome                                        Meaning (unit)
=============================================  ===============================================
``final.economic_share.WHERE.PARTNER``         PARTNER's share of WHERE's trade at the end;
                                               WHERE is a state or ``region`` (volume-weighted)
``final.security_share.WHERE.PARTNER``         the same for arms imports (fraction)
``final.trade_usd_bn.PARTNER``                 the region's trade with PARTNER at the end
                                               (USD bn per year)
``final.arms_usd_bn.PARTNER``                  the region's arms imports from PARTNER at the end
                                               (USD bn per year)
``final.trust``                                China-Russia trust at the end (0 to 1)
``final.afghan_instability``                   Afghan instability at the end (0 to 1)
``china_passes_russia_trade_year``             first date (decimal year) China's trade with the
                                               region exceeds Russia's; NaN if it never does
``china_passes_russia_security_year``          the same for arms imports
``guarantor_changes``                          changes of security guarantor, all states
``guarantor_changes.STATE``                    changes of STATE's security guarantor
``final.security_guarantor.STATE``             STATE's security guarantor at the end: the power
                                               with the largest share of its arms imports (text)
``final.guarantor.STATE.POWER``                1.0 if POWER is STATE's guarantor at the end,
                                               else 0.0 (a number, for tools that need one)
=============================================  ===============================================

PARTNER is a power of the run or ``rest_of_world``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence

import numpy as np
import pandas as pd

from influence_sim._text import as_list, with_hint
from influence_sim.calendar import decimal_years
from influence_sim.ensemble import EnsembleOutput
from influence_sim.kernel import observables as obs
from influence_sim.kernel.arrays import DOMAINS, ECON, SEC, Dims
from influence_sim.seeds import DYAD

REGION = "region"
"""The WHERE of regional (volume-weighted) shares."""

__all__ = ["REGION", "outcome_names", "run_outcomes", "select_outcomes"]


def outcome_names(dims: Dims) -> list[str]:
    """Every outcome :func:`run_outcomes` gives for runs of these entities, in column order.

    Args:
        dims: Entities of the runs.

    Returns:
        The names.
    """
    names: list[str] = []
    for domain in DOMAINS:
        for where in (REGION, *dims.states):
            names += [f"final.{domain}_share.{where}.{k}" for k in dims.partners]
    names += [f"final.trade_usd_bn.{k}" for k in dims.partners]
    names += [f"final.arms_usd_bn.{k}" for k in dims.partners]
    names += ["final.trust", "final.afghan_instability"]
    names += ["china_passes_russia_trade_year", "china_passes_russia_security_year"]
    names += ["guarantor_changes", *(f"guarantor_changes.{s}" for s in dims.states)]
    names += [f"final.security_guarantor.{s}" for s in dims.states]
    names += [f"final.guarantor.{s}.{p}" for s in dims.states for p in dims.powers]
    return names


def select_outcomes(patterns: Sequence[str] | str | None, dims: Dims) -> list[str]:
    """The outcomes named by exact names or shell-style patterns (``final.*.region.china``).

    Args:
        patterns: Names or patterns; None for every outcome.
        dims: Entities of the runs.

    Returns:
        The names, in the order asked, without repeats.

    Raises:
        TypeError: For an output that is not text (``outputs=5``).
        ValueError: For a name or pattern that matches no outcome (with the closest name), or
            no names at all (``outputs=[]``: None asks for every outcome).
    """
    names = outcome_names(dims)
    if patterns is None:
        return names
    asked = as_list(patterns)
    bad = [p for p in asked if not isinstance(p, str)]
    if bad:
        raise TypeError(f"outputs: expected names or patterns (text), not {bad[0]!r}")
    if not asked:
        raise ValueError(
            "outputs: no outcome asked for (expected at least one name or pattern; None for "
            "every outcome)"
        )
    chosen: dict[str, None] = {}
    for pattern in asked:
        found = [n for n in names if fnmatch.fnmatchcase(n, pattern)]
        if not found:
            expected = with_hint(
                "expected a name of the outcome table in influence_sim.outcomes, or a pattern "
                "such as 'final.*.region.china'",
                str(pattern),
                names,
            )
            raise ValueError(f"outputs: {pattern!r} matches no outcome ({expected})")
        chosen.update(dict.fromkeys(found))
    return list(chosen)


def run_outcomes(output: EnsembleOutput, names: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per run, one column per outcome.

    Args:
        output: Series recorded at every step (``every=1``), so that first crossings and
            guarantor changes are exact.
        names: Outcomes to keep (see :func:`select_outcomes`); None keeps them all.

    Returns:
        The outcomes, indexed by ``replicate`` (0 to B-1).
    """
    dims = output.dims
    share, volume = output.share, output.volume  # (T, B, S, K, D), (T, B, S, D)
    columns: dict[str, np.ndarray] = {}
    regional_volume = obs.regional_volume(share[-1], volume[-1])  # (B, K, D)
    regional = obs.regional_share(share[-1], volume[-1])
    for d, domain in enumerate(DOMAINS):
        for k, partner in enumerate(dims.partners):
            columns[f"final.{domain}_share.{REGION}.{partner}"] = regional[:, k, d]
        for s, state in enumerate(dims.states):
            for k, partner in enumerate(dims.partners):
                columns[f"final.{domain}_share.{state}.{partner}"] = share[-1, :, s, k, d]
    for k, partner in enumerate(dims.partners):
        columns[f"final.trade_usd_bn.{partner}"] = regional_volume[:, k, ECON]
    for k, partner in enumerate(dims.partners):
        columns[f"final.arms_usd_bn.{partner}"] = regional_volume[:, k, SEC]
    columns["final.trust"] = output.trust[-1]
    columns["final.afghan_instability"] = output.instability[-1]
    years = decimal_years(output.dates)
    china, russia = (dims.power_index(power) for power in DYAD)
    amount = obs.regional_volume(share, volume)  # (T, B, K, D)
    for domain, d in (("trade", ECON), ("security", SEC)):
        name = f"china_passes_russia_{domain}_year"
        if china is None or russia is None:
            columns[name] = np.full(output.n_runs, np.nan)
            continue
        first = obs.first_ahead(amount[:, :, china, d], amount[:, :, russia, d])
        columns[name] = obs.year_of_step(years, first)
    guarantor = obs.guarantor(share, dims.n_powers)  # (T, B, S)
    changes = obs.guarantor_changes(guarantor).astype(np.float64)  # (B, S)
    columns["guarantor_changes"] = changes.sum(axis=1)
    for s, state in enumerate(dims.states):
        columns[f"guarantor_changes.{state}"] = changes[:, s]
    powers = np.asarray(dims.powers, dtype=object)
    for s, state in enumerate(dims.states):
        columns[f"final.security_guarantor.{state}"] = powers[guarantor[-1, :, s]]
    for s, state in enumerate(dims.states):
        for p, power in enumerate(dims.powers):
            columns[f"final.guarantor.{state}.{power}"] = (guarantor[-1, :, s] == p).astype(
                np.float64
            )
    keep = outcome_names(dims) if names is None else list(names)
    frame = pd.DataFrame({name: columns[name] for name in keep})
    frame.index.name = "replicate"
    return frame
