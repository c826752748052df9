"""Shocks compiled into per-step operations that both drivers apply before each step.

A scenario's shocks (and the dated membership and presence changes in ``seeds/``) become
:class:`Operation` objects keyed by the step at whose start they act. The state recorded at
step ``k`` (date ``start + k * step``) reflects every operation dated on or before that date.
Values and whether a shock happens at all are per run (``(B,)`` arrays), drawn at compile time
from each run's own generator, so a run's shocks do not depend on how runs are batched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from influence_sim.kernel.arrays import FloatArray, Params, State
from influence_sim.paths import Target

OpKind = Literal["set", "add", "scale", "approach"]

Condition = Callable[[State, Params], FloatArray]
"""A test on the state of every run, returning ``(B,)`` booleans."""


@dataclass(frozen=True)
class Operation:
    """One change to one target, at the start of one step.

    Attributes:
        step: Step at whose start it acts (1 for the first transition).
        target: What it changes.
        kind: ``set`` (x = v), ``add`` (x + v), ``scale`` (x * v) or ``approach``
            (x + f * (v - x), the building block of ramps).
        values: ``(B,)`` value per run.
        mask: ``(B,)`` booleans: whether the operation happens in each run.
        fraction: ``f`` for ``approach``.
        name: Name of the shock it comes from.
        condition: Optional test of the state; the operation acts only where it holds.
    """

    step: int
    target: Target
    kind: OpKind
    values: FloatArray
    mask: FloatArray
    fraction: float = 1.0
    name: str = ""
    condition: Condition | None = None

    def apply(self, state: State, params: Params) -> None:
        """Carry out the operation on the arrays, in place."""
        current = self.target.get(state, params)
        if self.kind == "set":
            new = self.values
        elif self.kind == "add":
            new = current + self.values
        elif self.kind == "scale":
            new = current * self.values
        else:
            new = current + self.fraction * (self.values - current)
        mask = self.mask
        if self.condition is not None:
            mask = np.logical_and(mask, self.condition(state, params))
        self.target.set(state, params, new, mask)

    def take(self, index: FloatArray | slice) -> Operation:
        """The same operation for a subset of runs."""
        return Operation(
            self.step,
            self.target,
            self.kind,
            self.values[index],
            self.mask[index],
            self.fraction,
            self.name,
            self.condition,
        )


@dataclass
class Timeline:
    """Operations by step, applied in the order they were added.

    Attributes:
        operations: Operations keyed by step.
    """

    operations: dict[int, list[Operation]] = field(default_factory=dict)

    def add(self, op: Operation) -> None:
        """Append an operation."""
        self.operations.setdefault(op.step, []).append(op)

    def apply(self, step: int, state: State, params: Params) -> list[str]:
        """Apply the operations of ``step`` in place and return the names of those applied."""
        names = []
        for op in self.operations.get(step, []):
            op.apply(state, params)
            names.append(op.name)
        return names

    def take(self, index: FloatArray | slice) -> Timeline:
        """The timeline of a subset of runs."""
        out = Timeline()
        for ops in self.operations.values():
            for op in ops:
                out.add(op.take(index))
        return out

    def __len__(self) -> int:
        return sum(len(v) for v in self.operations.values())


def constant(n: int, value: float) -> FloatArray:
    """``(n,)`` array of one value, a helper for building operations."""
    return np.full(n, float(value))


def always(n: int) -> FloatArray:
    """``(n,)`` mask of True."""
    return np.ones(n, dtype=bool)
