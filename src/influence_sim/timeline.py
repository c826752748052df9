"""Shocks compiled into per-step operations that both drivers apply before each step.

A scenario's shocks (and the dated membership and presence changes in ``seeds/``) become
:class:`Operation` objects keyed by the step at whose start they act. The state recorded at
step ``k`` (date ``start + k * step``) reflects every operation dated on or before that date.
Values and whether a shock happens at all are per run (``(B,)`` arrays), drawn at compile time
from each run's own generator, so a run's shocks do not depend on how runs are batched.

Events triggered by a condition on the model's state are :class:`Trigger` objects: each watches
a window of steps and fires once per run, at the first step of the window at whose start its
condition holds in that run; it may bring follow-up operations at later steps (the decay of a
triggered pulse). At every step the dated operations act first, in the order they were added,
then the triggers, in the order they were added.

A pulse's add and its decay share a :class:`PulseEffect`: the add records, per run, the
fraction of its value that took effect once the target was clipped to its bounds, and every
step of the decay is scaled by that fraction, so the decay removes what the pulse added and
no more. Where the add was not clipped the fraction is exactly 1 and the decay is unchanged.

Dated seed data. Membership, presence and infrastructure changes dated in ``seeds/`` that fall
after the start and by the last step (:func:`dated_changes`) become ``set`` operations named
after their source (``seeds/memberships.csv: uzbekistan leaves csto``); every run gets them,
with or without a scenario (:func:`dated_timeline`), before any shock at the same step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from influence_sim import seeds as sd
from influence_sim.calendar import Clock
from influence_sim.kernel.arrays import Dims, FloatArray, Params, State
from influence_sim.paths import Slot, resolve

OpKind = Literal["set", "add", "scale", "approach"]

Condition = Callable[[State, Params], FloatArray]
"""A test on the state of every run, returning ``(B,)`` booleans."""

IntArray = npt.NDArray[np.int64]

NOT_FIRED = -1
"""Value of :attr:`Trigger.fired_at` for a run in which the trigger has not fired."""


class PulseEffect:
    """What a pulse's add made of its value in each run, shared by the add and its decay.

    The add of a pulse (the operation or action with ``records`` set) writes, in the runs where
    it acts, the fraction of its value that the target actually moved: 1 where the sum stayed
    inside the target's bounds, less where it was clipped (``(after - before) / value``, kept
    between 0 and 1). The steps of its decay (``scaled_by`` set) multiply their values by it, so
    together they remove what the add made, never more. The fraction is 1 until the add acts.

    Attributes:
        fraction: ``(B,)`` fraction of the pulse's value that took effect, per run.
    """

    def __init__(self, fraction: FloatArray):
        """Start from the given fractions (1 for a pulse that has not acted yet)."""
        self.fraction = np.array(fraction, dtype=np.float64)

    @classmethod
    def full(cls, n: int) -> PulseEffect:
        """A record for ``n`` runs in which the add has not acted (every fraction 1)."""
        return cls(np.ones(n))

    def reset(self) -> None:
        """Forget what the add made, as before a run starts."""
        self.fraction = np.ones_like(self.fraction)

    def record(
        self, before: FloatArray, after: FloatArray, values: FloatArray, acted: FloatArray
    ) -> None:
        """Record, where ``acted`` holds, the fraction of ``values`` the target moved.

        Args:
            before: ``(B,)`` target before the add.
            after: ``(B,)`` target after the add, clipped to its bounds.
            values: ``(B,)`` the add's values.
            acted: ``(B,)`` booleans: the runs in which the add acted.
        """
        clipped = np.asarray(acted, dtype=bool) & (after != before + values)
        moved = np.divide(
            after - before, values, out=np.zeros_like(after), where=clipped & (values != 0.0)
        )
        self.fraction = np.where(
            clipped, np.clip(moved, 0.0, 1.0), np.where(acted, 1.0, self.fraction)
        )

    def take(self, index: FloatArray | slice) -> PulseEffect:
        """The record of a subset of runs (copied).

        Args:
            index: Runs to keep.

        Returns:
            The record of those runs.
        """
        return PulseEffect(self.fraction[index])


def _taken(
    effect: PulseEffect | None, index: FloatArray | slice, memo: dict[int, PulseEffect]
) -> PulseEffect | None:
    """The subset of ``effect``, the same object for every operation taken with ``memo``."""
    if effect is None:
        return None
    if id(effect) not in memo:
        memo[id(effect)] = effect.take(index)
    return memo[id(effect)]


def _change(change: Operation | Action, state: State, params: Params, mask: FloatArray) -> None:
    """Carry out an operation or action in place where ``mask`` holds.

    A pulse's add (``records`` set) records what it made of its values; a step of a pulse's
    decay (``scaled_by`` set) scales its values by what the add made.
    """
    slot, kind, values, fraction = change.target, change.kind, change.values, change.fraction
    records, scaled_by = change.records, change.scaled_by
    if scaled_by is not None:
        values = values * scaled_by.fraction
    current = slot.get(state, params)
    if kind == "set":
        new = values
    elif kind == "add":
        new = current + values
    elif kind == "scale":
        new = current * values
    else:
        new = current + fraction * (values - current)
    slot.set(state, params, new, mask)
    if records is not None:
        records.record(current, slot.get(state, params), values, mask)


@dataclass(frozen=True)
class Threshold:
    """A condition comparing watched values with bounds (a picklable :data:`Condition`).

    Attributes:
        targets: The slots watched (several for a wildcard path).
        above: The condition needs values strictly above this, or None.
        below: The condition needs values strictly below this, or None.
        across: ``any``: holds when one watched value passes; ``all``: when every one does.
    """

    targets: tuple[Slot, ...]
    above: float | None = None
    below: float | None = None
    across: Literal["any", "all"] = "any"

    def __call__(self, state: State, params: Params) -> FloatArray:
        """Return ``(B,)`` booleans: where the condition holds."""
        values = np.stack([t.get(state, params) for t in self.targets], axis=1)
        passed: npt.NDArray[Any] = np.ones(values.shape, dtype=bool)
        if self.above is not None:
            passed &= values > self.above
        if self.below is not None:
            passed &= values < self.below
        out: npt.NDArray[Any] = passed.any(axis=1) if self.across == "any" else passed.all(axis=1)
        return out


@dataclass(frozen=True)
class Operation:
    """One change to one slot, at the start of one step.

    Attributes:
        step: Step at whose start it acts (1 for the first transition).
        target: The slot it changes.
        kind: ``set`` (x = v), ``add`` (x + v), ``scale`` (x * v) or ``approach``
            (x + f * (v - x), the building block of ramps).
        values: ``(B,)`` value per run.
        mask: ``(B,)`` booleans: whether the operation happens in each run.
        fraction: ``f`` for ``approach``.
        name: Name of the shock it comes from.
        condition: Optional test of the state; the operation acts only where it holds.
        records: For the add of a pulse: where it records what it made of its values.
        scaled_by: For a step of a pulse's decay: the record of the pulse's add, whose
            fraction scales the values.
    """

    step: int
    target: Slot
    kind: OpKind
    values: FloatArray
    mask: FloatArray
    fraction: float = 1.0
    name: str = ""
    condition: Condition | None = None
    records: PulseEffect | None = None
    scaled_by: PulseEffect | None = None

    def apply(self, state: State, params: Params) -> None:
        """Carry out the operation on the arrays, in place.

        Args:
            state: State to change.
            params: Parameters to change.
        """
        mask: npt.NDArray[Any] = self.mask
        if self.condition is not None:
            mask = mask & self.condition(state, params)
        _change(self, state, params, mask)

    def take(
        self, index: FloatArray | slice, memo: dict[int, PulseEffect] | None = None
    ) -> Operation:
        """The same operation for a subset of runs.

        Args:
            index: Runs to keep (a slice or an index array along the batch axis).
            memo: Pulse records already taken, by ``id`` of the original; pass the same
                dictionary for a pulse's add and its decay so that they still share one
                record (:meth:`Timeline.take` does).

        Returns:
            The operation of those runs.
        """
        memo = {} if memo is None else memo
        return Operation(
            self.step,
            self.target,
            self.kind,
            self.values[index],
            self.mask[index],
            self.fraction,
            self.name,
            self.condition,
            _taken(self.records, index, memo),
            _taken(self.scaled_by, index, memo),
        )


@dataclass(frozen=True)
class Action:
    """A change a trigger makes, some steps after it fires.

    Attributes:
        offset: Steps after the firing step (0 for the firing step itself).
        target: The slot it changes.
        kind: As for :class:`Operation`.
        values: ``(B,)`` value per run.
        fraction: ``f`` for ``approach``.
        records: As for :class:`Operation`.
        scaled_by: As for :class:`Operation`.
    """

    offset: int
    target: Slot
    kind: OpKind
    values: FloatArray
    fraction: float = 1.0
    records: PulseEffect | None = None
    scaled_by: PulseEffect | None = None

    def take(self, index: FloatArray | slice, memo: dict[int, PulseEffect] | None = None) -> Action:
        """The same action for a subset of runs.

        Args:
            index: Runs to keep.
            memo: As for :meth:`Operation.take`.

        Returns:
            The action of those runs.
        """
        memo = {} if memo is None else memo
        return Action(
            self.offset,
            self.target,
            self.kind,
            self.values[index],
            self.fraction,
            _taken(self.records, index, memo),
            _taken(self.scaled_by, index, memo),
        )

    def act(self, state: State, params: Params, mask: FloatArray) -> None:
        """Carry out the action in place where ``mask`` holds."""
        _change(self, state, params, mask)


@dataclass
class Trigger:
    """An event that fires once per run, when its condition first holds inside its window.

    The trigger is checked at the start of every step from ``first`` to ``last`` (inclusive),
    after that step's dated operations. In each run where it may happen (``mask``) and has not
    fired yet, it fires at the first such step where ``condition`` holds: the actions with
    offset 0 act then, and those with offset ``j`` act ``j`` steps later (even past ``last``).
    The firing step of every run is kept in :attr:`fired_at`; :meth:`reset` forgets it, and
    :meth:`Timeline.apply` calls it at step 0, so a timeline can be run again from the start.

    Attributes:
        name: Name of the shock it comes from.
        condition: Test of the state, ``(B,)`` booleans.
        first: First step it is checked at.
        last: Last step it is checked at.
        mask: ``(B,)`` booleans: whether the event may happen at all in each run.
        actions: Changes it makes, by offset from the firing step.
        fired_at: ``(B,)`` step at which it fired in each run, or :data:`NOT_FIRED`.
    """

    name: str
    condition: Condition
    first: int
    last: int
    mask: FloatArray
    actions: Sequence[Action]
    fired_at: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        """Start with no run fired, unless a firing record of the right size is given."""
        if self.fired_at.shape != self.mask.shape:
            self.fired_at = np.full(self.mask.shape, NOT_FIRED, dtype=np.int64)

    def reset(self) -> None:
        """Forget every firing (and what a pulse's add made), as before a run starts."""
        self.fired_at = np.full(self.mask.shape, NOT_FIRED, dtype=np.int64)
        for action in self.actions:
            if action.records is not None:
                action.records.reset()

    def apply(self, step: int, state: State, params: Params) -> bool:
        """Carry out this step's follow-up actions, then fire where the condition first holds.

        Args:
            step: The step about to be taken (0 for the initial state).
            state: State to check and change in place.
            params: Parameters to check and change in place.

        Returns:
            Whether the trigger fired in any run at this step.
        """
        for action in self.actions:
            if action.offset == 0:
                continue
            due = (self.fired_at != NOT_FIRED) & (self.fired_at == step - action.offset)
            if np.any(due):
                action.act(state, params, due)
        if not self.first <= step <= self.last:
            return False
        armed = self.mask & (self.fired_at == NOT_FIRED)
        if not np.any(armed):
            return False
        fire = armed & np.asarray(self.condition(state, params), dtype=bool)
        if not np.any(fire):
            return False
        self.fired_at = np.where(fire, step, self.fired_at)
        for action in self.actions:
            if action.offset == 0:
                action.act(state, params, fire)
        return True

    def take(self, index: FloatArray | slice) -> Trigger:
        """The same trigger for a subset of runs (their firing and pulse records copied).

        Args:
            index: Runs to keep.

        Returns:
            The trigger of those runs.
        """
        memo: dict[int, PulseEffect] = {}
        return Trigger(
            self.name,
            self.condition,
            self.first,
            self.last,
            self.mask[index],
            [a.take(index, memo) for a in self.actions],
            np.array(self.fired_at[index], dtype=np.int64),
        )


@dataclass
class Timeline:
    """Operations by step, applied in the order they were added, then triggered events.

    Attributes:
        operations: Operations keyed by step.
        triggers: Events fired by a condition on the state, checked after the operations.
    """

    operations: dict[int, list[Operation]] = field(default_factory=dict)
    triggers: list[Trigger] = field(default_factory=list)

    def add(self, op: Operation) -> None:
        """Append an operation.

        Args:
            op: The operation; it acts at ``op.step``, after those added before it.
        """
        self.operations.setdefault(op.step, []).append(op)

    def add_trigger(self, trigger: Trigger) -> None:
        """Append a triggered event.

        Args:
            trigger: The event; it is checked after the operations of each step.
        """
        self.triggers.append(trigger)

    def apply(self, step: int, state: State, params: Params) -> list[str]:
        """Apply the operations of ``step`` in place and return the names of those applied.

        Triggers are checked after the operations; the name of a trigger is returned when it
        fires in at least one run. At step 0 every trigger and every pulse record is reset
        first.

        Args:
            step: The step about to be taken (0 for the initial state).
            state: State to change in place.
            params: Parameters to change in place.

        Returns:
            Names of the operations applied and of the triggers fired, in order.
        """
        names = []
        if step == 0:
            for ops in self.operations.values():
                for op in ops:
                    if op.records is not None:
                        op.records.reset()
        for op in self.operations.get(step, []):
            op.apply(state, params)
            names.append(op.name)
        for trigger in self.triggers:
            if step == 0:
                trigger.reset()
            if trigger.apply(step, state, params):
                names.append(trigger.name)
        return names

    def take(self, index: FloatArray | slice) -> Timeline:
        """The timeline of a subset of runs.

        Args:
            index: Runs to keep.

        Returns:
            A timeline with the operations and triggers of those runs (a pulse's add and its
            decay still share one record, copied).
        """
        out = Timeline()
        memo: dict[int, PulseEffect] = {}
        for ops in self.operations.values():
            for op in ops:
                out.add(op.take(index, memo))
        for trigger in self.triggers:
            out.add_trigger(trigger.take(index))
        return out

    def __len__(self) -> int:
        """Number of operations plus triggered events."""
        return sum(len(v) for v in self.operations.values()) + len(self.triggers)


def constant(n: int, value: float) -> FloatArray:
    """``(n,)`` array of one value, a helper for building operations.

    Args:
        n: Number of runs.
        value: The value.

    Returns:
        The array.
    """
    return np.full(n, float(value))


def always(n: int) -> FloatArray:
    """``(n,)`` mask of True.

    Args:
        n: Number of runs.

    Returns:
        The mask.
    """
    return np.ones(n, dtype=bool)


# --------------------------------------------------------------------------- dated seed data


@dataclass(frozen=True)
class DatedChange:
    """A membership or presence change dated in the seed tables.

    Attributes:
        date: When it happens.
        path: Dotted path it sets.
        value: Value it sets.
        name: Name of the operation, after its source.
    """

    date: dt.date
    path: str
    value: float
    name: str


def dated_changes(dims: Dims, clock: Clock, seed_data: sd.SeedData) -> list[DatedChange]:
    """Membership, presence and infrastructure changes of the seed tables inside the run.

    Args:
        dims: Entities of the run.
        clock: Its calendar (changes after the last step are left out).
        seed_data: Seed tables.

    Returns:
        The changes in date order, memberships before presences on the same date.
    """
    last = clock.date(clock.n_steps)
    out: list[DatedChange] = []
    for day, state, org, value in sd.membership_changes(seed_data, dims.states, clock.start, last):
        verb = "joins" if value else "leaves"
        name = f"seeds/memberships.csv: {state} {verb} {org}"
        out.append(DatedChange(day, f"states.{state}.membership.{org}", value, name))
    for table, link in (("presence", "presence in"), ("infrastructure", "link with")):
        changes = sd.presence_changes(
            seed_data, dims.states, dims.powers, clock.start, last, table=table
        )
        for day, state, power, value in changes:
            what = f"set to {value:g}" if value else "ends"
            name = f"seeds/{table}.csv: {power} {link} {state} {what}"
            out.append(DatedChange(day, f"states.{state}.{table}.{power}", value, name))
    return sorted(out, key=lambda c: c.date)


def dated_timeline(
    dims: Dims, clock: Clock, n_runs: int, seed_data: sd.SeedData | None = None
) -> Timeline:
    """A timeline holding only the seed tables' dated membership and presence changes.

    Every run, with or without a scenario, gets these: they are data, not shocks.

    Args:
        dims: Entities of the runs.
        clock: Their calendar.
        n_runs: Batch size.
        seed_data: Seed tables; defaults to :func:`influence_sim.seeds.load_seeds`.

    Returns:
        The timeline of dated changes (empty when none falls inside the run).
    """
    seed_data = seed_data or sd.load_seeds()
    timeline = Timeline()
    for change in dated_changes(dims, clock, seed_data):
        for slot in resolve(change.path, dims):
            timeline.add(
                Operation(
                    clock.step_of(change.date),
                    slot,
                    "set",
                    np.full(n_runs, change.value),
                    np.ones(n_runs, dtype=bool),
                    name=change.name,
                )
            )
    return timeline
