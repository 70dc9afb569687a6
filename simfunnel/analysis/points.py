"""Points: many scenarios, each simulated alone with the same seed, on local
processes or a Dask cluster, each sending back only a few summary rows.

Each point is one task with one worker, so the results are identical whatever
runs them. Sweeps and sensitivity analyses are built on :func:`run_points`.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import pickle
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pandas as pd
from tqdm import tqdm  # plain: no ipywidgets warning in notebooks

from simfunnel.analysis.options import DEFAULTS, ParameterError, RunOptions, resolve_options
from simfunnel.analysis.run import simulate, simulate_many
from simfunnel.model.rng import SCENARIO_SEED, SeedLike, normalise_seed
from simfunnel.model.scenario import Scenario


def without_candidates(scenario: Scenario) -> Scenario:
    """``scenario`` keeping no candidate rows, under the same name.

    ``with_overrides`` would rename it after the override; the candidate rows
    kept never change what is simulated.
    """
    analysis = scenario.analysis.model_copy(update={"candidate_openings": 0})
    return scenario.model_copy(update={"analysis": analysis})


@dataclass(frozen=True)
class Point:
    """What one simulated scenario reports: a few rows of its summary, not its frames.

    A :class:`Result` holds up to ``keep_openings`` per-opening rows and the
    candidates of ``analysis.candidate_openings`` openings; a sweep or Sobol
    design of thousands of points needs one row or a few of each, so that is
    all a task sends back.
    """

    summary: pd.DataFrame  # index metric; value, ci_low, ci_high, se
    openings: int
    seed: int


def _simulate_point(args: tuple[Scenario, int | None, int, bool, tuple[str, ...] | None]) -> Point:
    scenario, openings, entropy, attribution, metrics = args
    # Keep no per-opening or candidate rows: the summary reads sufficient statistics.
    result = simulate(
        without_candidates(scenario),
        openings,
        entropy,
        workers=1,
        attribution=attribution,
        keep_openings=0,
    )
    ranges = ["param_low", "param_high"] if result.uncertain else []
    summary = result.summary()[["value", "ci_low", "ci_high", "se", *ranges]]
    if metrics is not None:
        summary = summary.loc[list(metrics)]
    return Point(summary.copy(), result.metadata["openings"], result.metadata["seed"])


@dataclass(frozen=True)
class Pair:
    """Two scenarios simulated together on the same openings, and their paired difference.

    ``difference`` is ``second - first`` per metric, from per-opening totals
    (:meth:`simfunnel.analysis.summary.Moments.difference`): columns difference,
    ci_low, ci_high, se (paired), unpaired_se, differing_openings. Each point's
    summary equals the one :func:`run_points` gives for that scenario alone.
    """

    first: Point
    second: Point
    difference: pd.DataFrame


def _simulate_pair(
    args: tuple[tuple[Scenario, Scenario], int | None, int, bool, tuple[str, ...] | None],
) -> Pair:
    (first, second), openings, entropy, attribution, metrics = args
    options = DEFAULTS["simulate"].replace(
        openings=openings, seed=entropy, workers=1, attribution=attribution, keep_openings=0
    )
    run = simulate_many([without_candidates(first), without_candidates(second)], options)
    columns = ["difference", "ci_low", "ci_high", "se", "unpaired_se", "differing_openings"]
    difference = run.difference(1, 0)[columns]
    points = []
    for result in run.results:
        summary = result.summary()[["value", "ci_low", "ci_high", "se"]]
        if metrics is not None:
            summary = summary.loc[list(metrics)]
        points.append(Point(summary.copy(), result.metadata["openings"], result.metadata["seed"]))
    if metrics is not None:
        difference = difference.loc[list(metrics)]
    return Pair(points[0], points[1], difference.copy())


def run_points(
    scenarios: list[Scenario],
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    metrics: Sequence[str] | None = None,
    options: RunOptions | None = None,
    **changes: Any,
) -> list[Point]:
    """Simulate each scenario with the same seed: locally on all cores, or on Dask.

    A task returns only the summary rows of ``metrics`` (default: all headline
    metrics), never per-opening frames, so memory does not grow with the number
    of points times openings. ``openings``, ``seed``, ``options`` and ``changes``
    are as in :func:`simfunnel.sweep` (``scheduler`` is a Dask scheduler address
    or a ``distributed.Client``); the seed of the first scenario is the default.
    """
    resolved = resolve_options("sweep", options, openings, seed, changes)
    return points_of(scenarios, resolved, metrics)


def points_of(
    scenarios: list[Scenario], options: RunOptions, metrics: Sequence[str] | None = None
) -> list[Point]:
    """:func:`run_points` with the options resolved."""
    return _map_points(_simulate_point, scenarios, scenarios[0].seed, options, metrics)


def pairs_of(
    pairs: list[tuple[Scenario, Scenario]],
    options: RunOptions,
    metrics: Sequence[str] | None = None,
) -> list[Pair]:
    """Each pair simulated together on the same openings (one task a pair), with the
    paired difference of ``metrics``; seed and options as in :func:`points_of`."""
    return _map_points(_simulate_pair, pairs, pairs[0][0].seed, options, metrics)


def _map_points(
    function: Callable[[Any], Any],
    items: Sequence[Any],
    default_seed: SeedLike,
    options: RunOptions,
    metrics: Sequence[str] | None,
) -> list[Any]:
    """``function`` over one task per item, locally or on Dask, in item order."""
    seed = default_seed if options.seed is SCENARIO_SEED else options.seed
    entropy = normalise_seed(seed).entropy
    wanted = None if metrics is None else tuple(metrics)
    tasks = [(s, options.openings, entropy, options.attribution, wanted) for s in items]
    bar = tqdm(total=len(tasks), unit=" points", delay=2, disable=not options.progress)
    try:
        if options.scheduler is not None:
            return _run_on_dask(tasks, options.scheduler, bar.update, function)
        workers = min(options.workers or os.cpu_count() or 1, len(tasks))
        points: list[Any] = []
        try:
            if workers == 1:
                for task in tasks:
                    points.append(function(task))
                    bar.update()
                return points
            _run_in_pool(tasks, workers, points, bar.update, function)
            return points
        except KeyboardInterrupt as exc:  # the CLI says how far it got
            exc.openings_done = len(points)  # type: ignore[attr-defined]
            exc.total = len(tasks)  # type: ignore[attr-defined]
            exc.unit = "points"  # type: ignore[attr-defined]
            raise
    finally:
        bar.close()


def _run_in_pool(
    tasks: list,
    workers: int,
    points: list[Any],
    update: Callable[[], Any],
    function: Callable[[Any], Any] = _simulate_point,
) -> None:
    """Simulate ``tasks`` on a process pool, appending to ``points`` in order.

    The pool of :func:`simfunnel.analysis.run._executor`: workers leave Ctrl-C and SIGTERM to
    the parent, at most ``2 * workers`` tasks are in flight, and on any exception the
    workers are terminated at once (:func:`simfunnel.analysis.run.stop_pool`), so an interrupt
    never leaves a pool thread setting the result of a cancelled future.
    """
    from simfunnel.analysis.run import _worker_signals, stop_pool

    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_signals)
    try:
        pending: deque[Future] = deque()
        for task in tasks:
            pending.append(pool.submit(function, task))
            if len(pending) >= 2 * workers:
                points.append(pending.popleft().result())
                update()
        while pending:
            points.append(pending.popleft().result())
            update()
    except BaseException:
        stop_pool(pool)
        raise
    pool.shutdown()


# Seconds. Module constants so tests can lower them.
CONNECT_TIMEOUT = 10.0  # for a scheduler to answer the Dask handshake
HEARTBEAT = 10.0  # between checks that the scheduler answers while tasks run
NO_WORKERS_TIMEOUT = 120.0  # with tasks pending and no worker connected


def _scheduler_error(address: Any, problem: str) -> ParameterError:
    return ParameterError("scheduler", f"scheduler {address}: {problem}")


def _handshake(address: str) -> None:
    """Open and close one Dask comm to ``address``, bounded by ``CONNECT_TIMEOUT``.

    ``distributed.Client(timeout=...)`` bounds the TCP connect but not the
    handshake read that follows, so a server that accepts and never answers
    would hang it forever. The probe runs on its own event loop in a thread,
    which also works where a loop is already running (notebooks).
    """
    from distributed.comm import connect

    async def probe() -> None:
        comm = await asyncio.wait_for(connect(address, timeout=CONNECT_TIMEOUT), CONNECT_TIMEOUT)
        await comm.close()

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, probe()).result()


def _connect(address: str) -> Any:
    from distributed import Client

    try:
        _handshake(address)
    except ValueError as exc:  # bad syntax: unknown scheme, missing or bad port
        raise _scheduler_error(address, f"not a scheduler address ({exc})") from None
    except (OSError, asyncio.TimeoutError, TimeoutError):
        raise _scheduler_error(
            address, f"no Dask scheduler answered within {CONNECT_TIMEOUT:g} s"
        ) from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # version warnings; real mismatches raise
            return Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except Exception as exc:  # a Dask server that is not a (compatible) scheduler
        raise _scheduler_error(
            address, f"could not register with the Dask scheduler ({type(exc).__name__}: {exc})"
        ) from None


def _client(address: Any) -> Any:
    """The ``distributed.Client`` given, or one connected to the scheduler at ``address``."""
    try:
        from distributed import Client
    except ImportError:
        raise ParameterError(
            "scheduler", "scheduler needs Dask distributed: pip install 'simfunnel[dask]'"
        ) from None
    return address if isinstance(address, Client) else _connect(str(address))


def _run_on_dask(
    tasks: list,
    address: Any,
    update: Callable[[], Any],
    function: Callable[[Any], Any] = _simulate_point,
) -> list[Any]:
    client = _client(address)
    try:
        return _gather(client, tasks, address, update, function)
    finally:
        if client is not address:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT)


@contextlib.contextmanager
def dask_map(
    address: Any, function: Callable[[Any], Any]
) -> Iterator[Callable[[Iterable[Any]], Iterator[tuple[Any, Any]]]]:
    """A lazy, ordered map of ``function`` over tasks on a Dask cluster.

    Yields ``run(tasks)``, which submits tasks as it goes (at most twice the
    cluster's threads in flight, so memory does not grow with the number of
    tasks) and yields ``(task, result)`` in task order. ``address`` is a scheduler
    address or a ``distributed.Client``; errors are :class:`ParameterError` naming
    ``scheduler``, as for points. :func:`simfunnel.analysis.run._executor` runs one
    run's blocks on it.
    """
    client = _client(address)

    def run(tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        in_flight = 2 * max(1, sum(client.nthreads().values()))
        pending: deque[tuple[Any, Any]] = deque()
        try:
            for task in tasks:
                future = client.submit(_on_tuned_worker, function, task, pure=False)
                pending.append((task, future))
                if len(pending) >= in_flight:
                    finished, future = pending.popleft()
                    yield finished, _await(client, future, address)
            while pending:
                finished, future = pending.popleft()
                yield finished, _await(client, future, address)
        finally:
            for _, future in pending:  # interrupted: nothing left running for us
                future.cancel()

    try:
        yield run
    finally:
        if client is not address:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT)


# glibc's mallopt parameters; values that keep a chunk's arrays in the heap.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_TRIM_BYTES, _MMAP_BYTES = 256 * 2**20, 64 * 2**20
_WORKER_TUNED = [False]


def _on_tuned_worker(function: Callable[[Any], Any], task: Any) -> Any:
    """``function(task)`` on a Dask worker whose allocator was set up for simulation.

    Dask's nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which also
    turns off glibc's adaptive mmap threshold: every array above 128 KiB is then
    mapped and unmapped afresh, and a chunk of openings ran 1.7 times slower
    (CPU time) on a worker than in a local process. Once per worker process, the
    trim and mmap thresholds are raised so that a chunk's arrays are reused from
    the heap, as in a local process. Elsewhere than glibc this does nothing.
    """
    if not _WORKER_TUNED[0]:
        _WORKER_TUNED[0] = True
        with contextlib.suppress(Exception):
            import ctypes
            import ctypes.util

            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_BYTES)
            libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_BYTES)
    return function(task)


def _await(client: Any, future: Any, address: Any) -> Any:
    """``future``'s result, checking every ``HEARTBEAT`` that the cluster still answers."""
    from distributed import wait

    no_workers_since: float | None = None
    while True:
        with contextlib.suppress(asyncio.TimeoutError, TimeoutError):
            wait([future], timeout=HEARTBEAT)
        if future.done():
            return _collect(future, address)
        if _count_workers(client, address):
            no_workers_since = None
        elif no_workers_since is None:
            no_workers_since = time.monotonic()
        elif time.monotonic() - no_workers_since > NO_WORKERS_TIMEOUT:
            raise _scheduler_error(
                address, f"no Dask worker connected within {NO_WORKERS_TIMEOUT:g} s"
            )


def _gather(
    client: Any,
    tasks: list,
    address: Any,
    update: Callable[[], Any],
    function: Callable[[Any], Any] = _simulate_point,
) -> list[Any]:
    """Collect task results as they arrive; never wait unboundedly on a silent cluster."""
    from distributed import wait
    from distributed.client import FutureCancelledError

    futures = client.map(function, tasks, pure=False)
    position = {future.key: i for i, future in enumerate(futures)}
    points: list[Any] = [None] * len(tasks)
    pending = set(futures)
    del futures  # released one by one as they finish
    no_workers_since: float | None = None
    while pending:
        try:
            done, pending = wait(pending, timeout=HEARTBEAT, return_when="FIRST_COMPLETED")
        except (asyncio.TimeoutError, TimeoutError):
            done = set()
        except FutureCancelledError:
            raise _scheduler_error(address, "the scheduler cancelled the tasks") from None
        for future in done:
            points[position[future.key]] = _collect(future, address)
            future.release()
            update()
        if done:
            no_workers_since = None
            continue
        workers = _count_workers(client, address)
        if workers:
            no_workers_since = None
        elif no_workers_since is None:
            no_workers_since = time.monotonic()
        elif time.monotonic() - no_workers_since > NO_WORKERS_TIMEOUT:
            raise _scheduler_error(
                address, f"no Dask worker connected within {NO_WORKERS_TIMEOUT:g} s"
            )
    return points  # type: ignore[return-value]


def _count_workers(client: Any, address: Any) -> int:
    """Workers connected to the scheduler; an InputError if it no longer answers."""
    try:
        info = client.sync(client.scheduler.ncores, callback_timeout=CONNECT_TIMEOUT)
    except Exception:
        raise _scheduler_error(
            address, f"the Dask scheduler stopped answering (waited {CONNECT_TIMEOUT:g} s)"
        ) from None
    return len(info)


def _collect(future: Any, address: Any) -> Any:
    from distributed import KilledWorker

    try:
        return future.result()
    except KilledWorker as exc:
        raise _scheduler_error(
            address,
            f"Dask workers died running a point ({exc.allowed_failures + 1} times); "
            "see the worker logs (memory limit?)",
        ) from None
    except (ImportError, pickle.UnpicklingError) as exc:
        # The task could not be unpickled or run on the worker: a different
        # simfunnel, Python or library version there, or simfunnel not installed.
        raise _scheduler_error(
            address,
            f"Dask workers cannot run simfunnel tasks ({type(exc).__name__}: {exc}); "
            "install the same simfunnel version on the workers",
        ) from None
