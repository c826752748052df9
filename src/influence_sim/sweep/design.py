"""Experimental designs: the points of a sweep, from its validated file.

Designs:

* ``grid``: every combination of each factor's values (the last factor varies fastest);
* ``cases``: hand-picked points, in file order;
* ``lhs``: a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`), seeded;
* ``sobol``: Saltelli's extension of a scrambled Sobol' sequence
  (:func:`SALib.sample.sobol.sample`), for first-, total- and (optionally) second-order Sobol
  indices with :func:`SALib.analyze.sobol.analyze`;
* ``morris``: Morris trajectories (:func:`SALib.sample.morris.sample`) for elementary effects.

The random designs are drawn in the unit cube with a generator seeded from the design seed,
then mapped onto each factor's range, linearly or on a log scale. The same file therefore
always gives the same points, bit for bit.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from influence_sim.kernel.arrays import FloatArray
from influence_sim.rng import check_random_state
from influence_sim.sweep.spec import Factor, SweepSpec
from influence_sim.sweep.spec import count_points as count_points  # former home, for one release
from influence_sim.sweep.spec import spread as spread  # former home, for one release


def to_range(unit: FloatArray, factors: tuple[Factor, ...]) -> FloatArray:
    """Map unit-cube samples onto the factors' ranges.

    Args:
        unit: ``(n, d)`` samples in [0, 1].
        factors: The ``d`` factors, each with ``low`` and ``high``.

    Returns:
        ``(n, d)`` values; the ends of each range map exactly to ``low`` and ``high``.
    """
    out = np.empty_like(unit)
    for j, f in enumerate(factors):
        assert f.low is not None and f.high is not None
        u = unit[:, j]
        if f.scale == "log":
            lo, hi = math.log(f.low), math.log(f.high)
            col = np.exp(lo + u * (hi - lo))
        else:
            col = f.low + u * (f.high - f.low)
        col = np.where(u <= 0.0, f.low, np.where(u >= 1.0, f.high, col))
        out[:, j] = np.clip(col, f.low, f.high)
    return out


def to_unit(values: FloatArray, factors: tuple[Factor, ...]) -> FloatArray:
    """Inverse of :func:`to_range`: values as fractions of each factor's range.

    Args:
        values: ``(n, d)`` values.
        factors: The factors, each with ``low`` and ``high``.

    Returns:
        ``(n, d)`` fractions in [0, 1].
    """
    out = np.empty_like(values, dtype=np.float64)
    for j, f in enumerate(factors):
        assert f.low is not None and f.high is not None
        if f.scale == "log":
            lo, hi = math.log(f.low), math.log(f.high)
            out[:, j] = (np.log(values[:, j]) - lo) / (hi - lo)
        else:
            out[:, j] = (values[:, j] - f.low) / (f.high - f.low)
    return out


def _generator(seed: int | None) -> np.random.Generator:
    return check_random_state(seed)


def latin_hypercube(n: int, d: int, rng: np.random.Generator) -> FloatArray:
    """A Latin hypercube sample of ``n`` points in ``[0, 1]^d`` (scipy's ``qmc``).

    Sweeps (the ``lhs`` design) and calibration (its starting design) both draw from here.

    Args:
        n: Number of points.
        d: Dimension.
        rng: Generator the design is drawn from.

    Returns:
        ``(n, d)`` points; each column has one point in each of ``n`` equal strata.
    """
    from scipy.stats import qmc

    # scipy >= 1.15 names the generator ``rng``; older versions call it ``seed``.
    keyword = "rng" if "rng" in inspect.signature(qmc.LatinHypercube).parameters else "seed"
    sampler = qmc.LatinHypercube(d=d, **{keyword: rng})
    out: FloatArray = np.asarray(sampler.random(n), dtype=float)
    return out


def _salib_problem(d: int) -> dict[str, Any]:
    return {"num_vars": d, "names": [f"x{j}" for j in range(d)], "bounds": [[0.0, 1.0]] * d}


def unit_samples(spec: SweepSpec) -> FloatArray:
    """Unit-cube samples of a random design (``lhs``, ``sobol`` or ``morris``).

    Args:
        spec: A validated sweep with a random design.

    Returns:
        ``(n_points, d)`` samples in [0, 1], in SALib's order for ``sobol`` and ``morris``.
    """
    design = spec.design
    d = len(spec.factors)
    rng = _generator(design.seed)
    if design.kind == "lhs":
        assert design.points is not None
        return latin_hypercube(design.points, d, rng)
    if design.kind == "sobol":
        from SALib.sample import sobol  # type: ignore[import-untyped,unused-ignore]

        out: FloatArray = sobol.sample(
            _salib_problem(d), design.base, calc_second_order=design.second_order, seed=rng
        )
        return out
    if design.kind == "morris":
        from SALib.sample import morris  # type: ignore[import-untyped,unused-ignore]

        out = morris.sample(
            _salib_problem(d), design.trajectories, num_levels=design.levels, seed=rng
        )
        return out
    raise ValueError(f"a {design.kind} design is not random")


@dataclass(frozen=True)
class Design:
    """The points of a sweep.

    Attributes:
        kind: Design kind.
        names: Varied paths, one per column.
        points: ``(n_points, d)`` values.
    """

    kind: str
    names: tuple[str, ...]
    points: FloatArray

    @property
    def n_points(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    def sha256(self) -> str:
        """Hash of the names and the exact values, to tell designs apart."""
        digest = hashlib.sha256()
        digest.update("\n".join(self.names).encode())
        digest.update(np.ascontiguousarray(self.points, dtype="<f8").tobytes())
        return digest.hexdigest()


def make_design(spec: SweepSpec) -> Design:
    """Draw (or enumerate) the points of a sweep.

    Args:
        spec: A validated sweep.

    Returns:
        The design; the same spec always gives the same points.
    """
    names = spec.names
    kind = spec.design.kind
    if kind == "grid":
        columns = [f.values or () for f in spec.factors]
        points = np.array(list(itertools.product(*columns)), dtype=np.float64)
    elif kind == "cases":
        points = np.array([[case[n] for n in names] for case in spec.design.cases])
    else:
        points = to_range(unit_samples(spec), spec.factors)
    return Design(kind, names, points.reshape(-1, len(names)))
