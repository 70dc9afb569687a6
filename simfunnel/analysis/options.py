"""How to run a simulation, as one frozen object, and the defaults of every analysis.

:class:`RunOptions` replaces the parameter lists that ``simulate``, ``compare``,
``sweep``, ``sensitivity`` and ``sobol`` each used to restate. None of the
options change *what* is simulated except ``openings``, ``seed`` and
``target_ci``; ``workers``, ``chunk_size``, ``scheduler`` and ``progress`` change
only speed and memory, never results.

Each analysis has its defaults here, in one place (:data:`DEFAULTS`); the CLI
reads them for its ``--help``. A public function's keyword arguments replace
single fields of its defaults; ``options=RunOptions(...)`` gives them all.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from simfunnel.errors import InputError
from simfunnel.metrics import METRICS, unknown_metric
from simfunnel.model.rng import BLOCK_OPENINGS, SCENARIO_SEED, SeedLike
from simfunnel.model.scenario import Scenario

DEFAULT_CHUNK = 10_000  # fits the working set in cache better than larger chunks
BRUTE_FORCE_CHUNK_BYTES = 100 * 2**20  # brute force: at most this much of draws per chunk
KEEP_OPENINGS = 100_000  # enough for every chart; summaries use all openings
TARGET_CI_FIRST = 10_000  # with target CIs: first check here, then at 2x, 4x, ... openings
TARGET_CI_CAP = 10  # with target_ci and no openings: cap at 10x the scenario's openings
KERNELS = ("numba", "numpy")  # simfunnel.model.kernel.KERNELS, without importing numba
YOU_OPENINGS = 20_000  # `you`: openings in which the focal candidate interviews


class ParameterError(InputError):
    """A bad value of a named parameter of a Python function.

    The message starts with the parameter's name (``quality_percentile must be
    between 0 and 100, got 120``); the CLI puts the flag in its place.
    """

    def __init__(self, param: str, message: str, path: str | None = None):
        if not message.startswith(param):
            message = f"{param}: {message}"
        super().__init__(message, path)
        self.param = param


@dataclass(frozen=True)
class RunOptions:
    """How to run: how many openings, which seed, on what, and what to keep.

    Attributes
    ----------
    openings : int or None
        Openings per scenario (per point in a sweep or sensitivity); ``None`` =
        the scenario's ``openings`` (with ``target_ci``: 10 times that, as the cap).
    seed : None, int, SeedSequence or Generator
        Default: the scenario's ``seed``; ``None`` draws fresh entropy (recorded).
    workers : int or None
        Processes; ``None`` = all cores. Never affects results.
    chunk_size : int
        Openings per vectorised chunk (whole blocks of 1,000). Memory and speed only.
    progress : bool
        Show a progress bar (after 2 s).
    attribution : bool
        Run loss attribution (replays of the decision); off is faster.
    keep_openings : int
        Openings kept in ``result.openings`` (the first ones; summaries use all).
    target_ci : mapping, optional
        Metric -> target 95% CI half-width: simulate until every one is met
        (``openings`` is then the cap).
    scheduler : str or distributed.Client, optional
        A Dask scheduler address (or client): a sweep or sensitivity runs its
        points there, ``simulate`` and ``compare`` their blocks of openings. Never
        affects results.
    kernel : {"numba", "numpy"}
        The decision's offer loop and attribution replays: compiled
        (:mod:`simfunnel.model.kernel`) or the NumPy reference. The same results.
    """

    openings: int | None = None
    seed: SeedLike = SCENARIO_SEED
    workers: int | None = 1
    chunk_size: int = DEFAULT_CHUNK
    progress: bool = False
    attribution: bool = True
    keep_openings: int = KEEP_OPENINGS
    target_ci: Mapping[str, float] | None = field(default=None, hash=False)
    scheduler: Any = None
    kernel: str = "numba"

    def __post_init__(self) -> None:
        if self.kernel not in KERNELS:
            raise ParameterError(
                "kernel", f"kernel must be one of {', '.join(KERNELS)}, got {self.kernel!r}"
            )
        for name, low in (("openings", 1), ("workers", 1), ("chunk_size", 1)):
            value = getattr(self, name)
            if value is not None and not (isinstance(value, int) and value >= low):
                raise ParameterError(name, f"{name} must be a whole number >= {low}, got {value!r}")
        if not (isinstance(self.keep_openings, int) and self.keep_openings >= 0):
            raise ParameterError(
                "keep_openings", f"keep_openings must be >= 0, got {self.keep_openings!r}"
            )
        for metric, half_width in (self.target_ci or {}).items():
            if metric not in METRICS:
                raise ParameterError(
                    "target_ci",
                    f"target_ci: {unknown_metric(metric)}",
                )
            if not half_width > 0:
                raise ParameterError(
                    "target_ci",
                    f"target_ci: {metric} needs a positive half-width, got {half_width}",
                )

    def replace(self, **changes: Any) -> RunOptions:
        """A copy with some fields changed; an unknown name is a ``TypeError`` naming it."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            valid = ", ".join(f.name for f in dataclasses.fields(self))
            raise TypeError(f"unknown run option {unknown[0]!r}; valid options: {valid}")
        return dataclasses.replace(self, **changes)


# The defaults of each analysis: the one place that defines them.
DEFAULTS = {
    "simulate": RunOptions(),
    "compare": RunOptions(),
    # Points are independent tasks on all cores; attribution only for its metrics.
    "sweep": RunOptions(workers=None, attribution=False),
    # Two points per parameter: 20,000 openings each keeps the tornado under a minute.
    "sensitivity": RunOptions(openings=20_000, workers=None, attribution=False),
    # samples * (parameters + 2) points: 5,000 openings each.
    "sobol": RunOptions(openings=5_000, workers=None, attribution=False),
}


def resolve_options(
    analysis: str, options: RunOptions | None, openings: int | None, seed: SeedLike, changes: dict
) -> RunOptions:
    """The options of one call: ``options`` (or the analysis' defaults), then the
    ``openings`` and ``seed`` arguments when given, then keyword ``changes``."""
    resolved = DEFAULTS[analysis] if options is None else options
    if openings is not None:
        changes = {**changes, "openings": openings}
    if seed is not SCENARIO_SEED:
        changes = {**changes, "seed": seed}
    return resolved.replace(**changes) if changes else resolved


def resolve_workers(workers: int | None, tasks: int) -> int:
    """Processes to use: ``None`` means all cores, never more than there are tasks."""
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return max(1, min(workers, tasks))


def chunk_blocks(scenarios: Sequence[Scenario], chunk_size: int) -> int:
    """Blocks per chunk: ``chunk_size`` openings, fewer when every applicant is drawn."""
    if any(s.engine == "brute_force" for s in scenarios):
        per_opening_bytes = 8 * (max(s.applicants.count.high for s in scenarios) * 6 + 1)
        chunk_size = min(chunk_size, BRUTE_FORCE_CHUNK_BYTES // per_opening_bytes)
    return max(1, chunk_size // BLOCK_OPENINGS)
