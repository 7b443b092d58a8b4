"""Seeded random streams.

One seed goes in; every random choice in a run comes from a ``random.Random``
derived from it. Each component (the network, each node, the nemesis) gets its
own stream, named, so that adding randomness to one component does not shift
the numbers another component sees.

``seed`` may be an int, a ``random.Random`` (one number is drawn from it to
seed the run) or ``None``, which means the course's default seed, 0: a cell
re-run gives the same result, which is what a course wants.
"""

from __future__ import annotations

import random
from typing import Union

Seed = Union[int, random.Random, None]

DEFAULT_SEED = 0


def seed_value(seed: Seed) -> int:
    """Turn a ``seed`` argument into the integer that names the run."""
    if seed is None:
        return DEFAULT_SEED
    if isinstance(seed, random.Random):
        return seed.getrandbits(63)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got "
                        f"{seed!r} of type {type(seed).__name__}")
    return seed


def make_rng(seed: Seed) -> random.Random:
    """A ``random.Random`` for ``seed`` (see the module docstring)."""
    if isinstance(seed, random.Random):
        return seed
    return random.Random(seed_value(seed))


def derive_rng(seed: int, name: str) -> random.Random:
    """An independent stream for the component ``name`` of the run ``seed``.

    String seeds are hashed with SHA-512 by ``random.Random`` itself, so the
    stream is the same in every process and on every machine (it does not
    depend on ``PYTHONHASHSEED``).
    """
    return random.Random(f"dscourse:{seed}:{name}")
