"""A loaded sweep: its file, base scenario and design, and the identity of every run.

Runs are numbered ``0 .. n_runs - 1``; run ``r`` is replicate ``r % R`` of design point
``r // R`` (``R`` replicates per point), so the replicates of a point are neighbours.

Seeds. Run ``r`` draws its random numbers from ``child(SeedSequence(seed), r)``
(:func:`influence_sim.rng.child`), that is ``SeedSequence(seed, spawn_key=(r,))``: a run's
seed depends on its number only, never on chunks, workers or executors. With
``common_random_numbers: true`` the key is the replicate instead, ``(r % R,)``: replicate ``j``
of every point then meets the same noise and the same shock draws, which sharpens comparisons
between points, and replicate ``j`` equals replicate ``j`` of ``influence-sim run SCENARIO --seed
SEED`` at the base values.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from influence_sim._inputs import file_sha256
from influence_sim.calendar import Clock
from influence_sim.kernel.arrays import Dims, FloatArray
from influence_sim.rng import child
from influence_sim.sweep.design import Design, make_design
from influence_sim.sweep.spec import SweepSpec, read_sweep_spec

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SweepSource:
    """Where a worker finds a sweep: small enough to send with every chunk.

    Attributes:
        path: Absolute path of the sweep file.
        inputs_sha256: Hash of every file the sweep reads (:meth:`Sweep.inputs_sha256`), which
            the worker checks after reading them itself.
    """

    path: str
    inputs_sha256: str


@dataclass(frozen=True)
class Chunk:
    """A chunk: a contiguous range of runs, stepped in one batched call.

    Attributes:
        index: Chunk number (its files are named after it).
        start: First run.
        stop: One past the last run.
    """

    index: int
    start: int
    stop: int

    @property
    def size(self) -> int:
        """Number of runs."""
        return self.stop - self.start


class Sweep:
    """A validated sweep ready to run.

    Attributes:
        spec: The validated sweep file.
        scenario: The base scenario.
        design: The design points.
    """

    def __init__(self, spec: SweepSpec, scenario: Any, design: Design) -> None:
        """Create the sweep from its parts (use :func:`read_sweep` to read a file).

        Args:
            spec: Validated sweep file.
            scenario: Loaded base scenario.
            design: Its points.
        """
        self.spec = spec
        self.scenario = scenario
        self.design = design

    # --- identity ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Name of the sweep."""
        return self.spec.name

    @property
    def replicates(self) -> int:
        """Runs per design point."""
        return self.spec.replicates

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return self.design.n_points

    @property
    def n_runs(self) -> int:
        """Number of runs: points times replicates."""
        return self.n_points * self.replicates

    @property
    def dims(self) -> Dims:
        """Entities of the base scenario."""
        dims: Dims = self.scenario.dims
        return dims

    @cached_property
    def clock(self) -> Clock:
        """Calendar of every run."""
        clock: Clock = self.scenario.clock()
        return clock

    @cached_property
    def overrides(self) -> dict[str, float]:
        """The base scenario's overrides (the sweep's values are applied after them)."""
        return dict(self.scenario.overrides())

    @cached_property
    def reference_overrides(self) -> dict[str, float]:
        """The base scenario's reference overrides."""
        return dict(self.scenario.reference_overrides())

    @cached_property
    def input_files(self) -> list[dict[str, str]]:
        """Every file the sweep reads, with its SHA-256: the sweep file, then the scenario's.

        The scenario's files are the base scenario and those it extends, in order.
        """
        files = [{"path": self.spec.path, "sha256": self.spec.sha256}]
        for path in getattr(self.scenario, "files", (self.scenario.path,)):
            files.append({"path": str(path), "sha256": file_sha256(path)})
        posterior = getattr(self.scenario, "posterior", None)
        if posterior is not None:
            for path in (Path(posterior), Path(posterior).with_suffix(".json")):
                if path.is_file():
                    files.append({"path": str(path), "sha256": file_sha256(path)})
        return files

    def inputs_sha256(self) -> str:
        """One hash of the contents of every input file (their paths left out)."""
        digest = hashlib.sha256()
        for item in self.input_files:
            digest.update(item["sha256"].encode())
        return digest.hexdigest()

    def source(self) -> SweepSource:
        """Where workers find this sweep."""
        return SweepSource(os.path.abspath(self.spec.path), self.inputs_sha256())

    def chunks(self, size: int) -> list[Chunk]:
        """Cut the runs into chunks of ``size`` runs (the last may be shorter)."""
        if size < 1:
            raise ValueError("chunk size must be at least 1")
        return [
            Chunk(i, start, min(start + size, self.n_runs))
            for i, start in enumerate(range(0, self.n_runs, size))
        ]

    # --- runs ---------------------------------------------------------------------------------

    def point_of(self, runs: IntArray) -> tuple[IntArray, IntArray]:
        """Design point and replicate of each run."""
        runs = np.asarray(runs, dtype=np.int64)
        return runs // self.replicates, runs % self.replicates

    def seed_keys(self, runs: IntArray) -> IntArray:
        """The spawn key of each run's seed sequence under the sweep's root seed."""
        runs = np.asarray(runs, dtype=np.int64)
        if self.spec.common_random_numbers:
            out: IntArray = runs % self.replicates
            return out
        return runs

    def seeds(self, runs: IntArray) -> list[np.random.SeedSequence]:
        """Seed sequence of each run."""
        root = np.random.SeedSequence(self.spec.seed)
        return [child(root, int(k)) for k in self.seed_keys(runs)]

    def values(self, runs: IntArray) -> FloatArray:
        """``(len(runs), d)`` varied values of each run."""
        points, _ = self.point_of(runs)
        out: FloatArray = self.design.points[points]
        return out

    @cached_property
    def posterior(self) -> Any:
        """The base scenario's posterior (``posterior:``), or None: each run draws from it."""
        from influence_sim.api import resolve_posterior

        return resolve_posterior(self.scenario) if hasattr(self.scenario, "posterior") else None

    def posterior_index(self, runs: IntArray) -> IntArray | None:
        """The posterior draw of each run (picked by its seed), or None without a posterior."""
        if self.posterior is None:
            return None
        out: IntArray = self.posterior.draw_index(self.seeds(runs))
        return out

    def columns(self, runs: IntArray) -> dict[str, FloatArray | float]:
        """Overrides of some runs (a chunk), column-wise (a later one wins).

        A posterior draw's (when the base scenario names a posterior), the scenario's, then
        the sweep's.
        """
        out: dict[str, FloatArray | float] = {}
        index = self.posterior_index(runs)
        if index is not None:
            out.update(self.posterior.columns(index))
        out.update(self.overrides)
        values = self.values(runs)
        for j, name in enumerate(self.design.names):
            out.pop(name, None)
            out[name] = np.ascontiguousarray(values[:, j])
        return out

    def run_overrides(self, run: int) -> dict[str, float]:
        """Overrides of one run, as :class:`influence_sim.InfluenceModel` takes them.

        :meth:`influence_sim.InfluenceModel.from_sweep_run` builds the run's Mesa model.
        """
        columns = self.columns(np.array([run]))
        return {k: float(np.asarray(v).reshape(-1)[0]) for k, v in columns.items()}


def read_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and validate a sweep file, load its base scenario and draw its design.

    Args:
        path: The sweep file, as the user gave it (kept as is in messages).

    Returns:
        The sweep, ready to run.

    Raises:
        influence_sim.sweep.SweepError: With every problem found, one per line as
            ``FILE:LINE:COL: key.path: message (expected ...)``.
    """
    spec, scenario = read_sweep_spec(path)
    return Sweep(spec, scenario, make_design(spec))
