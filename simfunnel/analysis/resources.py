"""Memory needed by a run, estimated before anything is drawn.

A run's peak memory is dominated by a few arrays whose sizes follow from the
scenario (measured with ``tracemalloc`` and peak RSS on the baseline, on a
100-slot shortlist and on the brute-force engine with pools of 250 and 2,000):

- **pilot** (the reference sample of ``analysis.pilot_openings`` that fixes the
  good-interview threshold): simulated in chunks of 10 blocks, each about
  ``260 B x slots`` of working arrays per opening plus its draws (``8 B x`` the
  per-opening :func:`~simfunnel.model.engine.draw_layout` size; the brute-force engine
  adds ``~70 B x pool`` for correlated traits, scores and sort indices), plus two
  kept scores (16 B) per interviewee of every pilot opening, twice while joined;
- **chunk** (one per worker): the same per opening for ``chunk_size`` openings
  (the brute-force engine shrinks chunks to ~100 MiB of pool draws, never below
  one block of 1,000), plus the metric columns of every scenario;
- **kept tables**: ``result.openings`` (~120 B per kept opening) and
  ``result.candidates`` (~200 B per interviewee of the first
  ``analysis.candidate_openings`` openings), twice while they are concatenated;
- **moments**: per block of 1,000 openings, ``50 metrics x (2K + 4K^2) x 8 B``
  for ``K`` scenarios, for the blocks of the chunks in flight only: they are
  merged as they arrive, so memory does not grow with the number of openings.

The limit is 4 GiB, or half of physical memory if that is less: a default run
needs ~0.35 GiB, so this leaves an order of magnitude of headroom, fits a laptop
shared with notebooks and a browser, and gives the same answer on every machine
with 8 GiB or more (a config valid here is valid on a colleague's laptop).
``SIMFUNNEL_MEMORY_LIMIT_GIB`` sets another limit for big machines.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from simfunnel.analysis.options import (
    DEFAULT_CHUNK,
    KEEP_OPENINGS,
    chunk_blocks,
    resolve_workers,
)
from simfunnel.errors import InputError
from simfunnel.model.engine import draw_layout
from simfunnel.model.rng import BLOCK_OPENINGS
from simfunnel.model.scenario import MAX_OPENINGS, Scenario

GIB = 2**30
BASE_BYTES = 256 * 2**20  # the interpreter with numpy, scipy and pandas loaded
SLOT_BYTES = 260  # working arrays per opening and shortlist slot (measured ~250-300)
POOL_BYTES = 70  # brute force: working arrays per applicant besides the draws
METRIC_BYTES = 2 * 64 * 8  # metric columns (x, y) per opening and scenario
KEPT_OPENING_BYTES = 120
KEPT_CANDIDATE_BYTES = 200
METRICS = 50
CHUNK_OVERHEAD_BYTES = 1024
DEFAULT_KEEP_OPENINGS = KEEP_OPENINGS
LIMIT_VARIABLE = "SIMFUNNEL_MEMORY_LIMIT_GIB"


def memory_limit() -> int:
    """Bytes a run may use: ``SIMFUNNEL_MEMORY_LIMIT_GIB``, else min(4 GiB, RAM / 2)."""
    value = os.environ.get(LIMIT_VARIABLE)
    if value:
        try:
            gib = float(value)
        except ValueError:
            gib = math.nan
        if not (math.isfinite(gib) and gib > 0):
            raise InputError(f"{LIMIT_VARIABLE}: expected a positive number of GiB")
        return int(gib * GIB)
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, OSError, ValueError):
        return 4 * GIB
    if total <= 0:
        return 4 * GIB
    return int(min(4 * GIB, total / 2))


def _per_opening(scenario: Scenario) -> tuple[int, int]:
    """(draw bytes, working bytes) per simulated opening."""

    draws = 8 * sum(math.prod(shape) for _, shape, _ in draw_layout(scenario))
    slots = scenario.screening.shortlist.high + 1
    work = SLOT_BYTES * slots
    if scenario.engine == "brute_force":
        work += POOL_BYTES * scenario.applicants.count.high
    return draws, work


def estimate(
    scenarios: Sequence[Scenario],
    openings: int,
    chunk_size: int,
    workers: int | None = 1,
    keep_openings: int = DEFAULT_KEEP_OPENINGS,
) -> dict[str, int]:
    """Estimated bytes of each part of a run's peak, and the ``peak`` itself."""
    per_opening = [_per_opening(s) for s in scenarios]
    pilot = 0
    for scenario, (d, w) in zip(scenarios, per_opening, strict=True):
        pilot_blocks = math.ceil(scenario.analysis.pilot_openings / BLOCK_OPENINGS)
        step = max(1, DEFAULT_CHUNK // BLOCK_OPENINGS)
        kept_scores = pilot_blocks * BLOCK_OPENINGS * _interviewees(scenario) * 16 * 2
        pilot = max(pilot, min(step, pilot_blocks) * BLOCK_OPENINGS * (d + w) + int(kept_scores))
    per_chunk = chunk_blocks(scenarios, chunk_size)
    blocks = math.ceil(openings / BLOCK_OPENINGS)
    rows = min(per_chunk, blocks) * BLOCK_OPENINGS
    workers = resolve_workers(workers, math.ceil(blocks / per_chunk))
    draws = {}
    for scenario, (d, _) in zip(scenarios, per_opening, strict=True):
        draws[_layout_key(scenario)] = d
    k = len(scenarios)
    chunk = rows * (sum(draws.values()) + max(w for _, w in per_opening) + k * METRIC_BYTES)
    kept = 0
    for scenario in scenarios:
        kept += min(openings, keep_openings) * KEPT_OPENING_BYTES
        kept += int(
            min(openings, scenario.analysis.candidate_openings)
            * _interviewees(scenario)
            * KEPT_CANDIDATE_BYTES
        )
    per_block = 8 + METRICS * (2 * k + 4 * k * k) * 8
    moments = (workers * per_chunk + 1) * per_block + workers * CHUNK_OVERHEAD_BYTES
    parts = {
        "pilot": pilot,
        "chunks": workers * chunk,
        "kept tables": 2 * kept,
        "moments": 2 * moments,
    }
    parts["peak"] = BASE_BYTES + max(pilot, parts["chunks"] + parts["kept tables"] + 2 * moments)
    return parts


def _interviewees(scenario: Scenario) -> float:
    """Mean interviewees per opening, an upper bound (cancellations ignored)."""
    shortlist = scenario.screening.shortlist
    return (shortlist.low + shortlist.high) / 2 + scenario.internal.probability


def _layout_key(scenario: Scenario) -> tuple:

    return draw_layout(scenario)


def check_resources(
    scenario: Scenario | Sequence[Scenario],
    openings: int | None,
    chunk_size: int,
    workers: int | None = 1,
    keep_openings: int = DEFAULT_KEEP_OPENINGS,
) -> None:
    """Refuse, before simulating, a run whose estimated peak memory is over the limit.

    Parameters
    ----------
    scenario : a scenario or the scenarios simulated together.
    openings : openings to simulate (None: the first scenario's ``openings``).
    chunk_size, workers, keep_openings : as in :func:`simfunnel.analysis.run.simulate_many`.

    Raises
    ------
    InputError
        ``... needs about X GiB of memory (limit Y GiB); reduce KEY``, or openings
        above :data:`MAX_OPENINGS`.
    """
    scenarios = [scenario] if isinstance(scenario, Scenario) else list(scenario)
    if not scenarios:
        return
    if openings is None:
        openings = scenarios[0].openings
    try:
        openings = int(openings)
    except (TypeError, ValueError, OverflowError):
        return  # simulate_many reports it
    if openings < 1:
        return
    if openings > MAX_OPENINGS:
        raise InputError(f"openings: at most {MAX_OPENINGS:,} per run, got {openings:,}")
    parts = estimate(scenarios, openings, chunk_size, workers, keep_openings)
    limit = memory_limit()
    if parts["peak"] <= limit:
        return
    if parts["pilot"] >= parts["chunks"] + parts["kept tables"] + parts["moments"]:
        main = "pilot"
    else:
        main = max(("chunks", "kept tables", "moments"), key=parts.__getitem__)
    label = scenarios[0].name if len(scenarios) == 1 else f"{len(scenarios)} scenarios"
    raise InputError(
        f"{label[:80]}: this run needs about {parts['peak'] / GIB:.1f} GiB of memory "
        f"(limit {limit / GIB:.1f} GiB; set {LIMIT_VARIABLE} to change it), "
        f"{parts[main] / GIB:.1f} GiB of it for the {main}; reduce {_advice(main, scenarios)}"
    )


def check_fit_resources(layout: Scenario, openings: int, key: str) -> None:
    """Refuse, before any draw, a fit whose simulated requisitions do not fit in memory.

    The fit simulates all ``openings`` requisitions at once from draws made for the
    largest shortlist its boxes allow (``layout``, see
    :func:`simfunnel.analysis.fit_summaries.shared_layout`): per opening, those draws,
    and one simulation's working arrays, each estimated as for a run
    (:func:`_per_opening`). Measured: 0.55 GiB peak RSS for 20,000 requisitions with
    shortlists of up to 100 (the estimate, 0.92 GiB, errs high, as a run's does).

    Raises
    ------
    InputError
        ``--free KEY: the fit needs about X GiB of memory (limit Y GiB) ...``.
    """
    draws, work = _per_opening(layout)
    peak = BASE_BYTES + openings * (draws + work)
    limit = memory_limit()
    if peak <= limit:
        return
    size = f"{peak / GIB:,.1f} GiB" if peak < 1024 * GIB else f"{peak / 1024**4:,.3g} TiB"
    raise InputError(
        f"--free {key}: the fit needs about {size} of memory for {openings:,} simulated "
        f"requisitions with shortlists of up to {layout.screening.shortlist.high:,} "
        f"(limit {limit / GIB:.1f} GiB; set {LIMIT_VARIABLE} to change it); "
        "narrow the box"
    )


def _advice(part: str, scenarios: list[Scenario]) -> str:
    brute = any(s.engine == "brute_force" for s in scenarios)
    pool = "applicants.count.high or use engine: exact" if brute else ""
    if part == "pilot":
        return "screening.shortlist.high" + (f", {pool}" if pool else "")
    if part == "chunks":
        return "screening.shortlist.high or the number of workers" + (f", {pool}" if pool else "")
    if part == "kept tables":
        return "analysis.candidate_openings"
    return "openings (or the number of scenarios run together)"
