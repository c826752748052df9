"""Random streams of runs: every run draws from its own generators, spawned from its seed.

A run's root is a ``SeedSequence`` (:func:`as_seed_sequence`, in the manner of scikit-learn's
``check_random_state``: an int, a sequence, a generator or None are all accepted); replicate
``i`` of a root is its child ``i`` (:func:`replicate_seeds`), and each purpose of a run (offer
noise, random shocks) draws from its own child stream (:func:`stream`). No global random state
is read or changed.
"""

from __future__ import annotations

import numpy as np

SeedLike = int | np.random.SeedSequence | np.random.Generator | None
"""What a seed may be given as."""

NOISE_STREAM = 0
"""Child stream of a run's offer and contract noise."""
SHOCK_STREAM = 1
"""Child stream of a run's random shocks."""


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Turn a seed of any accepted kind into a ``SeedSequence``.

    Args:
        seed: A whole number of at least 0, a ``SeedSequence`` (used as is), a ``Generator``
            (four words are drawn from it) or None (fresh entropy from the operating system).

    Raises:
        ValueError: For anything else (a negative or fractional number, text, ...).
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**63, size=4).tolist())
    whole = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)
    if seed is not None and not (whole and seed >= 0):
        raise ValueError(
            f"seed must be a whole number of at least 0, a SeedSequence, a Generator or None, "
            f"not {seed!r}"
        )
    return np.random.SeedSequence(None if seed is None else int(seed))


def check_random_state(seed: SeedLike) -> np.random.Generator:
    """A generator from a seed of any accepted kind (a ``Generator`` is returned as is).

    Args:
        seed: As for :func:`as_seed_sequence`.

    Returns:
        The generator.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(as_seed_sequence(seed))


def child(seq: np.random.SeedSequence, i: int) -> np.random.SeedSequence:
    """The ``i``-th child of ``seq``, the same as ``seq.spawn(i + 1)[i]`` on a fresh sequence.

    Unlike ``spawn``, this does not depend on how many children were spawned before.
    """
    return np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, i))


def replicate_seeds(seed: SeedLike, n: int) -> list[np.random.SeedSequence]:
    """Seed sequences of ``n`` replicates: the children 0 to n-1 of the root seed."""
    root = as_seed_sequence(seed)
    return [child(root, i) for i in range(n)]


def stream(seq: np.random.SeedSequence, which: int) -> np.random.Generator:
    """A run's generator for one purpose (``NOISE_STREAM`` or ``SHOCK_STREAM``)."""
    return np.random.default_rng(child(seq, which))


__all__ = [
    "NOISE_STREAM",
    "SHOCK_STREAM",
    "SeedLike",
    "as_seed_sequence",
    "check_random_state",
    "child",
    "replicate_seeds",
    "stream",
]
