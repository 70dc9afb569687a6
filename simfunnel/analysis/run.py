"""Run a scenario: pilot, chunks of blocks (optionally on a process pool), results.

``DEFAULT_CHUNK`` and ``KEEP_OPENINGS`` are defined in :mod:`simfunnel.analysis.options`
and re-exported here.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm  # plain: no ipywidgets warning in notebooks

from simfunnel import __version__
from simfunnel.analysis.options import (
    DEFAULT_CHUNK,
    DEFAULTS,
    KEEP_OPENINGS,
    TARGET_CI_CAP,
    TARGET_CI_FIRST,
    RunOptions,
    chunk_blocks,
    resolve_options,
    resolve_workers,
)
from simfunnel.analysis.reference import reference_thresholds
from simfunnel.analysis.resources import check_resources
from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import (
    Moments,
    Thresholds,
    block_moments,
    metric_columns,
    ratio_table,
)
from simfunnel.analysis.tables import candidates_frame, openings_frame
from simfunnel.analysis.uncertainty import block_difference, block_z, uncertainty_table
from simfunnel.model.attribution import attribute
from simfunnel.model.engine import Model, draw_blocks, draw_layout, simulate_funnel
from simfunnel.model.parameters import drawn_values, settled, uncertain_parameters
from simfunnel.model.rng import (
    BLOCK_OPENINGS,
    BLOCKS,
    SCENARIO_SEED,
    Seed,
    SeedLike,
    resolve_seed,
)
from simfunnel.model.scenario import Scenario
from simfunnel.model.uncertainty import is_uncertain


@dataclass(frozen=True)
class _Task:
    models: tuple[Model, ...]
    seed: Seed
    thresholds: tuple[Thresholds, ...]
    first_block: int
    blocks: int
    valid: int  # openings of this task inside the run (the last block may be partial)
    keep_openings: int
    attribution: bool
    uncertain: bool = False  # some scenario draws its parameters per block


@dataclass
class _ChunkOutput:
    names: list[str]
    moments: list[Moments]  # one per block, in block order
    openings: list[pd.DataFrame | None]
    candidates: list[pd.DataFrame | None]


def _run_chunk(task: _Task) -> _ChunkOutput:
    if not task.uncertain:
        return _simulate_blocks(task, task.models, task.first_block, task.blocks, task.valid)
    # Parameters drawn per block: one model per block for each uncertain scenario.
    parameters = [uncertain_parameters(m.scenario) if is_uncertain(m.scenario) else None
                  for m in task.models]  # fmt: skip
    parts = []
    for block in range(task.first_block, task.first_block + task.blocks):
        models = tuple(
            model if found is None else Model.build(
                settled(model.scenario, found, drawn_values(model.scenario, task.seed, block)),
                model.kernel,
            )
            for model, found in zip(task.models, parameters, strict=True)
        )  # fmt: skip
        valid = min(BLOCK_OPENINGS, task.valid - (block - task.first_block) * BLOCK_OPENINGS)
        if valid > 0:
            parts.append(_simulate_blocks(task, models, block, 1, valid))
    return _ChunkOutput(
        parts[0].names,
        [m for part in parts for m in part.moments],
        [_concat_kept([part.openings[i] for part in parts]) for i in range(len(task.models))],
        [_concat_kept([part.candidates[i] for part in parts]) for i in range(len(task.models))],
    )


def _simulate_blocks(
    task: _Task, models: tuple[Model, ...], first_block: int, blocks: int, valid: int
) -> _ChunkOutput:
    first = first_block * BLOCK_OPENINGS
    columns, openings, candidates = [], [], []
    # Scenarios with the same draw layout read the very same numbers: draw them once.
    draws: dict[tuple, dict[str, np.ndarray]] = {}
    for model, thresholds in zip(models, task.thresholds, strict=True):
        layout = draw_layout(model.scenario)
        if layout not in draws:
            draws[layout] = draw_blocks(model.scenario, task.seed, BLOCKS, first_block, blocks)
        funnel = simulate_funnel(model, draws[layout])
        attribution = None
        if task.attribution:
            good = funnel.interviewed & (funnel.interview_score >= thresholds.good_interview)
            attribution = attribute(
                funnel.decision,
                funnel.offer,
                good,
                thresholds.narrow_margin,
                quality=funnel.quality,
            )
        columns.append(
            metric_columns(
                funnel, thresholds, attribution, money_per_sd=model.scenario.value.money_per_sd
            )
        )
        keep_openings = min(valid, task.keep_openings - first)
        keep_candidates = min(valid, model.scenario.analysis.candidate_openings - first)
        openings.append(openings_frame(funnel, first, keep_openings) if keep_openings > 0 else None)
        candidates.append(
            candidates_frame(
                funnel,
                first,
                keep_candidates,
                thresholds,
                attribution,
                model.scenario.analysis.attribution,
            )
            if keep_candidates > 0
            else None
        )
    return _ChunkOutput(
        list(columns[0]),
        block_moments(columns, valid, BLOCK_OPENINGS, models[0].kernel),
        openings,
        candidates,
    )


def _concat_kept(frames: list[pd.DataFrame | None]) -> pd.DataFrame | None:
    kept = [f for f in frames if f is not None]
    return pd.concat(kept, ignore_index=True) if kept else None


def _worker_signals() -> None:
    """In a pool worker: Ctrl-C and SIGTERM are the parent's to handle (it ends the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """End a pool now: cancel queued tasks, terminate the workers and reap them."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)  # before shutdown
    call_queue = getattr(pool, "_call_queue", None)
    if call_queue is not None:  # else its feeder thread blocks exit on a pipe nobody reads
        call_queue.cancel_join_thread()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join(5)
    # A worker killed while sending a result leaves half a message that the pool's
    # manager thread waits on forever (and exit waits on that thread). With every
    # worker gone, closing our copy of the write end turns the wait into an EOF.
    if writer is not None and not any(p.is_alive() for p in processes):
        writer.close()


@contextmanager
def _executor(
    workers: int, scheduler: Any = None
) -> Iterator[Callable[[Iterable[_Task]], Iterator[_ChunkOutput]]]:
    """A lazy map over tasks, in order: in-process for one worker, else a process pool,
    or the workers of a Dask cluster when ``scheduler`` is given (the same tasks, merged
    in the same order, so the results are identical bit for bit).

    At most ``2 * workers`` tasks are in flight (on Dask: twice the cluster's threads),
    so neither the task list nor the finished outputs grow with the number of openings.
    On any exception (Ctrl-C, or SIGTERM turned into one by the CLI) the workers are
    terminated at once (Dask: the pending tasks are cancelled), and a
    ``KeyboardInterrupt`` gets ``openings_done``: the openings finished in order.
    """
    done = [0]
    try:
        if scheduler is not None:
            from simfunnel.analysis.points import dask_map  # Dask's import only when asked

            with dask_map(scheduler, _run_chunk) as run_on_dask:

                def run_remote(tasks: Iterable[_Task]) -> Iterator[_ChunkOutput]:
                    for task, output in run_on_dask(tasks):
                        done[0] += task.valid
                        yield output

                yield run_remote
            return
        if workers == 1:

            def run_here(tasks: Iterable[_Task]) -> Iterator[_ChunkOutput]:
                for task in tasks:
                    output = _run_chunk(task)
                    done[0] += task.valid
                    yield output

            yield run_here
            return
        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_signals)

        def run(tasks: Iterable[_Task]) -> Iterator[_ChunkOutput]:
            pending: deque[tuple[_Task, Future]] = deque()
            for task in tasks:
                pending.append((task, pool.submit(_run_chunk, task)))
                if len(pending) >= 2 * workers:
                    finished, future = pending.popleft()
                    output = future.result()
                    done[0] += finished.valid
                    yield output
            while pending:
                finished, future = pending.popleft()
                output = future.result()
                done[0] += finished.valid
                yield output

        try:
            yield run
        except BaseException:
            stop_pool(pool)
            raise
        pool.shutdown()
    except KeyboardInterrupt as exc:
        exc.openings_done = done[0]  # type: ignore[attr-defined]
        raise


@dataclass
class Run:
    """Results of scenarios simulated in lockstep on the same openings (same seed)."""

    results: list[Result]
    names: list[str]
    moments: Moments  # per-opening moments of (x_1, y_1, ..., x_K, y_K), summed
    blocks: list[Moments] | None = None  # per block, in order: runs with uncertain parameters

    def difference(self, a: int, b: int) -> pd.DataFrame:
        """Scenario ``a`` minus ``b``: paired per opening, or per block when parameters
        are drawn per block (:func:`simfunnel.analysis.uncertainty.block_difference`)."""
        if self.blocks is not None:
            return block_difference(self.names, self.blocks, a, b)
        return self.moments.difference(self.names, a, b)


def _milestones(first: int, cap: int) -> list[int]:
    """Openings at which precision is checked: doubling from ``first``, whole blocks."""
    stops, stop = [], max(BLOCK_OPENINGS, first)
    while stop < cap:
        stops.append(stop)
        stop *= 2
    return [*stops, cap]


def simulate_many(scenarios: list[Scenario], options: RunOptions = DEFAULTS["simulate"]) -> Run:
    """Simulate several scenarios on the same openings: common random numbers.

    Every scenario draws block ``b`` from the same stream, so where their
    structure agrees (same shortlist size, same engine) they share applicants,
    interview noise, declines and cancellation draws, and per-opening differences
    are paired. With ``options.target_ci`` (metric -> 95% CI half-width),
    ``openings`` is a cap: blocks are simulated until every target is met at one
    of the milestones 10k, 20k, 40k, ... openings, so the stopping point depends
    on the seed only.
    """
    first = scenarios[0]
    openings = planned_openings(first, options)
    check_resources(scenarios, openings, options.chunk_size, options.workers, options.keep_openings)
    seed = resolve_seed(options.seed, first.seed)
    started = time.perf_counter()
    models = tuple(Model.build(s, options.kernel) for s in scenarios)
    thresholds = tuple(reference_thresholds(m, openings) for m in models)
    per_chunk = chunk_blocks(scenarios, options.chunk_size)
    uncertain = any(is_uncertain(s) for s in scenarios)

    def tasks_between(start: int, stop: int) -> Iterator[_Task]:
        first_block, end_block = start // BLOCK_OPENINGS, math.ceil(stop / BLOCK_OPENINGS)
        for b in range(first_block, end_block, per_chunk):
            blocks = min(per_chunk, end_block - b)
            valid = min(stop - b * BLOCK_OPENINGS, blocks * BLOCK_OPENINGS)
            task = (b, blocks, valid, options.keep_openings, options.attribution, uncertain)
            yield _Task(models, seed, thresholds, *task)

    workers = resolve_workers(options.workers, math.ceil(openings / (per_chunk * BLOCK_OPENINGS)))
    collected = _collect(tasks_between, len(scenarios), openings, workers, options, uncertain)
    metadata = {
        "version": __version__,
        "seed": seed.entropy,
        "openings": collected.done,
        "attribution": options.attribution,
        "kernel": options.kernel,
        "target_ci": dict(options.target_ci or {}),
        "elapsed_seconds": round(time.perf_counter() - started, 3),
    }
    results = [
        Result(
            scenario=scenario,
            statistics=_statistics(collected, i),
            openings=_concat(collected.openings[i]),
            candidates=_concat(collected.candidates[i]),
            metadata={
                **metadata,
                "engine": scenario.engine,
                "good_interview_threshold": limits.good_interview,
                "good_interview_threshold_se": limits.good_interview_se,
                "reference_openings": limits.reference_openings,
                "narrow_margin_u": limits.narrow_margin,
            },
        )
        for i, (scenario, limits) in enumerate(zip(scenarios, thresholds, strict=True))
    ]
    return Run(results, collected.names, collected.moments, collected.blocks)


def _statistics(collected: _Collected, scenario: int) -> pd.DataFrame:
    statistics = collected.moments.statistics(collected.names, scenario)
    if collected.blocks is None:
        return statistics
    return statistics.join(uncertainty_table(collected.names, collected.blocks, scenario))


def planned_openings(scenario: Scenario, options: RunOptions) -> int:
    """Openings to simulate: the option, else the scenario's (10x that as a target_ci cap)."""
    if options.openings is not None:
        return options.openings
    return scenario.openings * (TARGET_CI_CAP if options.target_ci else 1)


@dataclass
class _Collected:
    names: list[str]
    moments: Moments
    openings: list[list[pd.DataFrame | None]]
    candidates: list[list[pd.DataFrame | None]]
    done: int
    blocks: list[Moments] | None


def _collect(
    tasks_between: Callable[[int, int], Iterator[_Task]],
    scenarios: int,
    openings: int,
    workers: int,
    options: RunOptions,
    uncertain: bool = False,
) -> _Collected:
    """Run the tasks in order, merging moments block by block, until the run (or,
    with ``target_ci``, a milestone where every target is met) is done."""
    target_ci = dict(options.target_ci or {})
    stops = _milestones(TARGET_CI_FIRST, openings) if target_ci else [openings]
    names: list[str] = []
    moments: Moments | None = None  # merged block by block, in block order, as they arrive
    blocks: list[Moments] | None = [] if uncertain else None  # each block's, when needed
    kept_openings: list[list[pd.DataFrame | None]] = [[] for _ in range(scenarios)]
    kept_candidates: list[list[pd.DataFrame | None]] = [[] for _ in range(scenarios)]
    done = 0
    bar = tqdm(
        total=openings, unit=" openings", delay=2, disable=not options.progress, unit_scale=True
    )
    with bar, _executor(workers, options.scheduler) as run_tasks:
        for stop in stops:
            for output in run_tasks(tasks_between(done, stop)):
                names = output.names
                for part in output.moments:
                    moments = part if moments is None else moments.merge(part)
                if blocks is not None:
                    blocks.extend(output.moments)
                for i in range(scenarios):  # kept rows come only from the first chunks
                    if output.openings[i] is not None:
                        kept_openings[i].append(output.openings[i])
                    if output.candidates[i] is not None:
                        kept_candidates[i].append(output.candidates[i])
                bar.update(int(sum(part.count for part in output.moments)))
            done = stop
            if target_ci and _targets_met(names, moments, scenarios, target_ci, blocks):
                break
    assert moments is not None
    return _Collected(names, moments, kept_openings, kept_candidates, done, blocks)


def _targets_met(
    names: list[str],
    moments: Moments,
    scenarios: int,
    target_ci: dict[str, float],
    blocks: list[Moments] | None = None,
) -> bool:
    for index in range(scenarios):
        table = ratio_table(names, moments.statistics(names, index).to_numpy())
        if blocks is not None:  # blocks, not openings, are independent
            table["ci_high"] = (
                table["value"]
                + block_z(len(blocks)) * uncertainty_table(names, blocks, index)["block_se"]
            )
        for metric, half_width in target_ci.items():
            if not (table.loc[metric, "ci_high"] - table.loc[metric, "value"] <= half_width):
                return False
    return True


def simulate(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    options: RunOptions | None = None,
    **changes: Any,
) -> Result:
    """Simulate ``openings`` job openings of ``scenario``.

    A scenario with uncertain keys (distributions or posterior draws, MODEL.md section
    8) draws one parameter set per block of 1,000 openings; its result's
    :meth:`~Result.summary` then also has ``param_low``/``param_high`` (the 95% range over
    parameter sets) and ``param_share``, and its CIs treat blocks as the units.

    Parameters
    ----------
    scenario : Scenario
    openings : int, optional
        Number of openings; default ``scenario.openings``. With ``target_ci``, the
        cap (default 10 times ``scenario.openings``).
    seed : None, int, SeedSequence or Generator, optional
        Default ``scenario.seed``; ``None`` draws fresh entropy (recorded in the result).
    options : RunOptions, optional
        Every run option at once (default ``DEFAULTS["simulate"]``: one worker,
        attribution on, no progress bar).
    **changes
        Single :class:`~simfunnel.analysis.options.RunOptions` fields, e.g. ``workers=None``
        (all cores), ``chunk_size``, ``attribution``, ``progress``,
        ``keep_openings``, ``target_ci={"hire_rate": 0.002}``.

    Returns
    -------
    Result
    """
    resolved = resolve_options("simulate", options, openings, seed, changes)
    return simulate_many([scenario], resolved).results[0]


__all__ = [
    "DEFAULT_CHUNK",
    "KEEP_OPENINGS",
    "Run",
    "planned_openings",
    "simulate",
    "simulate_many",
]


def _concat(frames: list[pd.DataFrame | None]) -> pd.DataFrame:
    kept = _concat_kept(frames)
    return pd.DataFrame() if kept is None else kept
