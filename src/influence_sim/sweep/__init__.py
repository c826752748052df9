"""Parameter sweeps: many runs of a scenario over an experimental design, streamed to disk.

A sweep file (``docs/sweeps.md``) names a base scenario, the values to vary, a design
(``grid``, ``cases``, ``lhs``, ``sobol`` or ``morris``), replicates per point and what to keep.
:func:`run_sweep` steps the runs in batched chunks on local processes or a Dask cluster and
writes ``runs.parquet``, a ``timeseries/`` Parquet dataset and ``manifest.json``; an
interrupted sweep resumes where it stopped. :func:`load_sweep` reads the results back.

Example::

    from influence_sim.sweep import load_sweep, run_sweep

    run_sweep("scenarios/sweeps/afghan_sensitivity.yaml", "sweeps/afghan", workers=2)
    data = load_sweep("sweeps/afghan")
    data.runs.groupby("point")["final.security_share.region.china"].mean()
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from influence_sim._lazy import lazy_attributes

if TYPE_CHECKING:
    from influence_sim.sweep.design import Design, make_design
    from influence_sim.sweep.execute import (
        SweepAborted,
        SweepFolderError,
        SweepOutcome,
        default_workers,
        run_sweep,
    )
    from influence_sim.sweep.plan import Chunk, Sweep, read_sweep
    from influence_sim.sweep.results import SweepData, load_sweep
    from influence_sim.sweep.spec import SweepError, SweepSpec

# Names are imported on first use, so that registering the ``sweep`` subcommand (which imports
# this package) costs the other commands nothing.
_HOMES: dict[str, str] = {
    "Design": ".design",
    "make_design": ".design",
    "SweepAborted": ".execute",
    "SweepFolderError": ".execute",
    "SweepOutcome": ".execute",
    "default_workers": ".execute",
    "run_sweep": ".execute",
    "Chunk": ".plan",
    "Sweep": ".plan",
    "read_sweep": ".plan",
    "SweepData": ".results",
    "load_sweep": ".results",
    "SweepError": ".spec",
    "SweepSpec": ".spec",
}


__getattr__, __dir__ = lazy_attributes(__name__, _HOMES)

__all__ = [
    "Chunk",
    "Design",
    "Sweep",
    "SweepAborted",
    "SweepData",
    "SweepError",
    "SweepFolderError",
    "SweepOutcome",
    "SweepSpec",
    "default_workers",
    "load_sweep",
    "make_design",
    "read_sweep",
    "run_sweep",
]
