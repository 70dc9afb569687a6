"""Run a scenario: pilot, chunks of blocks (optionally on a process pool), results."""

from __future__ import annotations

import math
import multiprocessing
import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from simfunnel import __version__
from simfunnel.attribution import attribute
from simfunnel.engine import Model, run_blocks
from simfunnel.result import Result
from simfunnel.rng import BLOCK_OPENINGS, BLOCKS, PILOT, Seed, SeedLike, normalise_seed
from simfunnel.scenario import Scenario
from simfunnel.summary import STATS, Thresholds, block_statistics, metric_columns
from simfunnel.tables import candidates_frame, openings_frame

DEFAULT_CHUNK = 10_000  # fits the working set in cache better than larger chunks
BRUTE_FORCE_CHUNK_BYTES = 100 * 2**20
KEEP_OPENINGS = 1_000_000
_FROM_SCENARIO: Any = object()


def pilot_thresholds(model: Model, seed: Seed) -> Thresholds:
    """Good-interview threshold and the SD of U, from a pilot sample on its own stream."""
    analysis = model.scenario.analysis
    blocks = math.ceil(analysis.pilot_openings / BLOCK_OPENINGS)
    funnel = run_blocks(model, seed, PILOT, 0, blocks)
    interviewed = funnel.interviewed
    threshold = float(np.quantile(funnel.interview_score[interviewed], 1 - analysis.good_interview_top_share))
    score_sd = float(np.std(funnel.score[interviewed]))
    return Thresholds(threshold, analysis.narrow_margin * score_sd, analysis.bad_hire_threshold)


@dataclass(frozen=True)
class _Task:
    model: Model
    seed: Seed
    thresholds: Thresholds
    first_block: int
    blocks: int
    openings: int  # total openings in the run
    keep_openings: int
    keep_candidates: int
    attribution: bool


@dataclass
class _ChunkOutput:
    statistics: np.ndarray  # (blocks, metrics, 6)
    names: list[str]
    openings: pd.DataFrame | None
    candidates: pd.DataFrame | None


def _run_chunk(task: _Task) -> _ChunkOutput:
    model = task.model
    funnel = run_blocks(model, task.seed, BLOCKS, task.first_block, task.blocks)
    first = task.first_block * BLOCK_OPENINGS
    valid = min(task.openings - first, task.blocks * BLOCK_OPENINGS)
    attribution = None
    if task.attribution:
        good = funnel.interviewed & (funnel.interview_score >= task.thresholds.good_interview)
        attribution = attribute(funnel.decision, funnel.offer, good, task.thresholds.narrow_margin)
    columns = metric_columns(funnel, task.thresholds, attribution)
    statistics = block_statistics(columns, valid, BLOCK_OPENINGS)
    keep_openings = min(valid, task.keep_openings - first)
    keep_candidates = min(valid, task.keep_candidates - first)
    return _ChunkOutput(
        statistics,
        list(columns),
        openings_frame(funnel, first, keep_openings) if keep_openings > 0 else None,
        candidates_frame(
            funnel,
            first,
            keep_candidates,
            task.thresholds,
            attribution,
            model.scenario.analysis.attribution,
        )
        if keep_candidates > 0
        else None,
    )


def _resolve_workers(workers: int | None, tasks: int) -> int:
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    return min(workers, tasks)


def _map(tasks: list[_Task], workers: int) -> Iterator[_ChunkOutput]:
    if workers == 1:
        yield from map(_run_chunk, tasks)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        yield from pool.map(_run_chunk, tasks)


def simulate(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = _FROM_SCENARIO,
    *,
    chunk_size: int = DEFAULT_CHUNK,
    workers: int | None = 1,
    attribution: bool = True,
    progress: bool = False,
    keep_openings: int = KEEP_OPENINGS,
) -> Result:
    """Simulate ``openings`` job openings of ``scenario``.

    Parameters
    ----------
    scenario : Scenario
    openings : int, optional
        Number of openings; default ``scenario.openings``.
    seed : None, int, SeedSequence or Generator, optional
        Default ``scenario.seed``; ``None`` draws fresh entropy (recorded in the result).
    chunk_size : int
        Openings processed per vectorised chunk (rounded to whole blocks of 1,000).
        Affects memory and speed only, never results.
    workers : int or None
        Processes to use; ``None`` = all cores. Never affects results.
    attribution : bool
        Run loss attribution (replays of the decision); off for plain, faster runs.
    progress : bool
        Show a progress bar (after 2 s).
    keep_openings : int
        Openings kept in ``result.openings`` (the first ones; summaries use all).

    Returns
    -------
    Result
    """
    openings = scenario.openings if openings is None else int(openings)
    if openings < 1:
        raise ValueError(f"openings must be >= 1, got {openings}")
    seed = normalise_seed(scenario.seed if seed is _FROM_SCENARIO else seed)
    started = time.perf_counter()
    model = Model.build(scenario)
    thresholds = pilot_thresholds(model, seed)

    per_opening_bytes = 8 * (scenario.applicants.count.high * 6 + 1)
    if scenario.engine == "brute_force":
        chunk_size = min(chunk_size, BRUTE_FORCE_CHUNK_BYTES // per_opening_bytes)
    chunk_blocks = max(1, chunk_size // BLOCK_OPENINGS)
    total_blocks = math.ceil(openings / BLOCK_OPENINGS)
    tasks = [
        _Task(
            model,
            seed,
            thresholds,
            first,
            min(chunk_blocks, total_blocks - first),
            openings,
            keep_openings,
            scenario.analysis.candidate_openings,
            attribution,
        )
        for first in range(0, total_blocks, chunk_blocks)
    ]
    statistics, opening_frames, candidate_frames = [], [], []
    names: list[str] = []
    with tqdm(total=openings, unit=" openings", delay=2, disable=not progress, unit_scale=True) as bar:
        for task, output in zip(tasks, _map(tasks, _resolve_workers(workers, len(tasks))), strict=True):
            statistics.append(output.statistics)
            names = output.names
            if output.openings is not None:
                opening_frames.append(output.openings)
            if output.candidates is not None:
                candidate_frames.append(output.candidates)
            bar.update(min(task.blocks * BLOCK_OPENINGS, openings - task.first_block * BLOCK_OPENINGS))
    # Summing per-block statistics in block order: independent of chunking.
    totals = np.concatenate(statistics).sum(axis=0)
    return Result(
        scenario=scenario,
        statistics=pd.DataFrame(totals, index=pd.Index(names, name="metric"), columns=list(STATS)),
        openings=_concat(opening_frames),
        candidates=_concat(candidate_frames),
        metadata={
            "version": __version__,
            "seed": seed.entropy,
            "openings": openings,
            "engine": scenario.engine,
            "attribution": attribution,
            "good_interview_threshold": thresholds.good_interview,
            "narrow_margin_u": thresholds.narrow_margin,
            "elapsed_seconds": round(time.perf_counter() - started, 3),
        },
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
