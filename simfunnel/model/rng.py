"""Random streams: one Generator per fixed-size block of openings.

Results depend only on the seed, never on chunk size or worker count: every
block of ``BLOCK_OPENINGS`` openings draws from its own child stream
``SeedSequence(entropy, spawn_key=(BLOCKS, block))`` in a fixed order. No
global RNG state anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

BLOCK_OPENINGS = 1000
"""Openings per random block. Changing it changes every result: keep it fixed."""

REFERENCE_SEED = 0x5EED_F1A7
"""Entropy of the reference sample that fixes a scenario's thresholds (the good-interview
score, the SD of U). The same for every run, so a threshold depends on the scenario only."""

# Child-stream keys: each use of randomness has its own branch of the seed.
BLOCKS = 0
PILOT = 1  # the reference sample (drawn from REFERENCE_SEED, not the run's seed)
FOCAL_OPENINGS = 2  # `simfunnel you`: the openings the focal candidate applies to
FOCAL_CANDIDATE = 3  # ... the focal candidate's own traits
FOCAL_SEARCH = 4  # ... resampled job searches
PARAMETERS = 5  # parameter uncertainty: one uniform per block and key (model.uncertainty)

SeedLike = None | int | np.random.SeedSequence | np.random.Generator


@dataclass(frozen=True)
class Seed:
    """A normalised seed: the entropy that reproduces the run."""

    entropy: int

    def stream(self, *key: int) -> np.random.Generator:
        """The Generator of child stream ``key`` (e.g. ``(BLOCKS, block)``)."""
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(self.entropy, spawn_key=key))
        )


class _ScenarioSeed:
    def __repr__(self) -> str:
        return "<the scenario's seed>"


SCENARIO_SEED: Any = _ScenarioSeed()
"""Default ``seed`` of the API: use the scenario's own ``seed`` key."""


def resolve_seed(seed: SeedLike, scenario_seed: int) -> Seed:
    """``seed`` normalised, or the scenario's seed when it is :data:`SCENARIO_SEED`."""
    return normalise_seed(scenario_seed if seed is SCENARIO_SEED else seed)


def normalise_seed(seed: SeedLike) -> Seed:
    """Accept None, int, SeedSequence or Generator (SPEC 7) and normalise once.

    ``None`` draws fresh entropy, which is recorded in the result so the run can
    be repeated; a Generator is used once, to draw the entropy.
    """
    if isinstance(seed, Seed):
        return seed
    if seed is None:
        return Seed(int(np.random.SeedSequence().entropy))
    if isinstance(seed, np.random.SeedSequence):
        if seed.spawn_key:
            return Seed(int(seed.generate_state(4, np.uint64).view(np.uint64)[0]))
        return Seed(int(seed.entropy))
    if isinstance(seed, np.random.Generator):
        return Seed(int(seed.integers(0, 2**63)))
    if isinstance(seed, int | np.integer) and not isinstance(seed, bool) and seed >= 0:
        return Seed(int(seed))
    raise TypeError(
        f"seed must be None, a non-negative int, SeedSequence or Generator, got {seed!r}"
    )
