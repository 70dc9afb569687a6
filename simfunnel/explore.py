"""What-if questions: compare scenarios, sweep parameters, sensitivity.

Every scenario and grid point is simulated with the same seed, so they share
common random numbers wherever their structure allows (same shortlist size and
engine): the same applicants, interview noise, declines and cancellation draws.
Differences between them are then much sharper than independent runs allow.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import pickle
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from tqdm import tqdm  # plain: no ipywidgets warning in notebooks

from simfunnel.errors import InputError
from simfunnel.metrics import ATTRIBUTION_METRICS, METRICS
from simfunnel.result import Result
from simfunnel.rng import SCENARIO_SEED, SeedLike, normalise_seed, resolve_seed
from simfunnel.run import simulate, simulate_many
from simfunnel.scenario import IntRange, Scenario


@dataclass
class Comparison:
    """Scenarios run on the same openings, with paired differences."""

    results: list[Result]
    differences: pd.DataFrame  # scenario, metric, difference, paired and unpaired CIs

    def table(self) -> pd.DataFrame:
        """Headline metrics side by side: one row per (metric, scenario)."""
        frames = []
        for result in self.results:
            summary = result.summary()[["value", "ci_low", "ci_high"]].reset_index()
            summary.insert(0, "scenario", result.scenario.name)
            frames.append(summary)
        return pd.concat(frames, ignore_index=True)

    def save(self, directory) -> None:
        from pathlib import Path

        from simfunnel.files import atomic_write

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(directory / "compare.csv", lambda p: self.table().to_csv(p, index=False))
        atomic_write(
            directory / "differences.csv", lambda p: self.differences.to_csv(p, index=False)
        )


def compare(
    scenarios: Sequence[Scenario],
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    workers: int | None = 1,
    attribution: bool = True,
    progress: bool = False,
    keep_frames: bool = True,
) -> Comparison:
    """Run ``scenarios`` on the same openings and difference each against the first.

    The CI of a difference is paired, per opening: it keeps the covariance that
    common random numbers create, so it is far narrower than the unpaired CI
    (also reported) of two independent runs. With ``keep_frames=False`` the
    results keep no per-opening or candidate rows (their summaries, the table,
    the differences and the compare chart need none), so memory does not grow
    with the number of scenarios times ``keep_openings``.
    """
    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios")
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise InputError(f"compare: scenario names must differ, got {', '.join(names)}")
    seed = resolve_seed(seed, scenarios[0].seed)
    if not keep_frames:
        scenarios = [_without_candidates(s) for s in scenarios]
    run = simulate_many(
        list(scenarios),
        openings,
        seed,
        workers=workers,
        attribution=attribution,
        progress=progress,
        **({} if keep_frames else {"keep_openings": 0}),
    )
    frames = []
    for index in range(1, len(scenarios)):
        difference = run.moments.difference(run.names, index, 0)
        difference = difference.loc[[m for m in METRICS if m in difference.index]].reset_index()
        difference.insert(0, "scenario", f"{names[index]} - {names[0]}")
        frames.append(difference)
    return Comparison(run.results, pd.concat(frames, ignore_index=True))


def _without_candidates(scenario: Scenario) -> Scenario:
    """``scenario`` keeping no candidate rows, under the same name.

    ``with_overrides`` would rename it after the override; the candidate rows
    kept never change what is simulated.
    """
    analysis = scenario.analysis.model_copy(update={"candidate_openings": 0})
    return scenario.model_copy(update={"analysis": analysis})


# ------------------------------------------------------------------------ grids
def parse_vary(text: str, scenario: Scenario) -> tuple[str, list[Any]]:
    """``KEY=START:STOP:NUM`` (inclusive linspace) or ``KEY=a,b,c`` -> (key, values)."""
    key, sep, spec = text.partition("=")
    key = key.strip()
    if not sep or not spec:
        raise InputError(f"--vary {text!r}: expected KEY=START:STOP:NUM or KEY=v1,v2,...")
    current = _get(scenario, key)
    try:
        if ":" in spec:
            start, stop, num = spec.split(":")
            values: list[Any] = list(np.linspace(float(start), float(stop), int(num)))
        else:
            values = [float(v) for v in spec.split(",")]
    except ValueError:
        raise InputError(
            f"--vary {text!r}: START, STOP must be numbers and NUM a whole number"
        ) from None
    if not values:
        raise InputError(f"--vary {text!r}: no values")
    if isinstance(current, int) and not isinstance(current, bool):
        values = sorted({round(v) for v in values})
    else:
        values = [round(float(v), 12) for v in values]
    return key, values


def _get(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        if not hasattr(node, part):
            scenario.with_overrides({key: None})  # raises the unknown-key message
        node = getattr(node, part)
    if not isinstance(node, int | float) or isinstance(node, bool):
        raise InputError(f"--vary {key}: only numeric keys can be varied, got {node!r}")
    return node


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
        _without_candidates(scenario),
        openings,
        entropy,
        workers=1,
        attribution=attribution,
        keep_openings=0,
    )
    summary = result.summary()[["value", "ci_low", "ci_high", "se"]]
    if metrics is not None:
        summary = summary.loc[list(metrics)]
    return Point(summary.copy(), result.metadata["openings"], result.metadata["seed"])


def run_points(
    scenarios: list[Scenario],
    openings: int | None,
    seed: SeedLike,
    *,
    workers: int | None = None,
    scheduler: Any = None,
    attribution: bool = False,
    metrics: Sequence[str] | None = None,
    progress: bool = False,
) -> list[Point]:
    """Simulate each scenario with the same seed: locally on all cores, or on Dask.

    Each point is one task with one worker, so the results are identical whatever
    runs them (local processes or a Dask cluster). A task returns only the summary
    rows of ``metrics`` (default: all headline metrics), never per-opening frames,
    so memory does not grow with the number of points times openings.
    ``scheduler`` is a Dask scheduler address or a ``distributed.Client``.
    """
    entropy = normalise_seed(seed).entropy
    wanted = None if metrics is None else tuple(metrics)
    tasks = [(s, openings, entropy, attribution, wanted) for s in scenarios]
    bar = tqdm(total=len(tasks), unit=" points", delay=2, disable=not progress)
    try:
        if scheduler is not None:
            return _run_on_dask(tasks, scheduler, bar.update)
        workers = min(workers or os.cpu_count() or 1, len(tasks))
        points: list[Point] = []
        if workers == 1:
            for task in tasks:
                points.append(_simulate_point(task))
                bar.update()
            return points
        import multiprocessing

        context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for point in pool.map(_simulate_point, tasks):
                points.append(point)
                bar.update()
        return points
    finally:
        bar.close()


# Seconds. Module constants so tests can lower them.
CONNECT_TIMEOUT = 10.0  # for a scheduler to answer the Dask handshake
HEARTBEAT = 10.0  # between checks that the scheduler answers while tasks run
NO_WORKERS_TIMEOUT = 120.0  # with tasks pending and no worker connected


def _scheduler_error(address: Any, problem: str) -> InputError:
    return InputError(f"--scheduler {address}: {problem}")


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


def _run_on_dask(tasks: list, address: Any, update: Callable[[], Any]) -> list[Point]:
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            "--scheduler needs Dask distributed: pip install 'simfunnel[dask]'"
        ) from None
    client = address if isinstance(address, Client) else _connect(str(address))
    try:
        return _gather(client, tasks, address, update)
    finally:
        if client is not address:
            with contextlib.suppress(Exception):
                client.close(timeout=CONNECT_TIMEOUT)


def _gather(client: Any, tasks: list, address: Any, update: Callable[[], Any]) -> list[Point]:
    """Collect task results as they arrive; never wait unboundedly on a silent cluster."""
    from distributed import wait
    from distributed.client import FutureCancelledError

    futures = client.map(_simulate_point, tasks, pure=False)
    position = {future.key: i for i, future in enumerate(futures)}
    points: list[Point | None] = [None] * len(tasks)
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


def _collect(future: Any, address: Any) -> Point:
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


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]],
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    metrics: Sequence[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    attribution: bool = False,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulate every point of a 1-D or 2-D grid of parameter values.

    Returns
    -------
    DataFrame
        Tidy: one row per grid point and metric, with the varied keys as columns
        and ``metric, value, ci_low, ci_high``.
    """
    pairs = list(vary.items()) if isinstance(vary, Mapping) else [(k, v) for k, v in vary]
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise InputError(f"--vary {repeated[0]}: given twice; give each key once")
    if not 1 <= len(keys) <= 2:
        raise InputError(f"sweep: vary one or two keys, got {len(keys)}")
    vary = dict(pairs)
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise InputError(
            f"--metric: unknown metric '{unknown[0]}'; choose from {', '.join(METRICS)}"
        )
    # Metrics of loss attribution need the (slower) replays: only when asked for.
    attribution = attribution or any(m in ATTRIBUTION_METRICS for m in metrics or [])
    for key in keys:
        for value in vary[key]:
            try:
                scenario.with_overrides({key: value})
            except InputError as exc:
                reason = str(exc).removeprefix("override: ")
                problem = f"--vary {key}: grid value {value:g} is invalid: {reason}"
                raise InputError(problem) from None
    grid = list(itertools.product(*(vary[k] for k in keys)))
    scenarios = [scenario.with_overrides(dict(zip(keys, values, strict=True))) for values in grid]
    seed = resolve_seed(seed, scenario.seed)
    points = run_points(
        scenarios,
        openings,
        seed,
        workers=workers,
        scheduler=scheduler,
        attribution=attribution,
        metrics=metrics,
        progress=progress,
    )
    rows = []
    for values, point in zip(grid, points, strict=True):
        for metric, row in point.summary.iterrows():
            rows.append(
                {
                    **dict(zip(keys, values, strict=True)),
                    "metric": metric,
                    "value": row.value,
                    "ci_low": row.ci_low,
                    "ci_high": row.ci_high,
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(scenario=scenario.name, openings=points[0].openings, seed=points[0].seed)
    return table


# ------------------------------------------------------------------ sensitivity
SENSITIVITY_SKIP = ("openings", "seed", "analysis.", "role.freeze_correlation", "pipeline.")


def default_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Each numeric parameter +-50% of its value, clipped to its valid range.

    Parameters at 0 (switched off) and keys that do not shape the funnel
    (openings, seed, analysis, `you`-mode settings) are left out.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for key, node, (low, high) in _numeric_parameters(scenario):
        if key.startswith(SENSITIVITY_SKIP) or node == 0:
            continue
        lower, upper = max(low, 0.5 * node), min(high, 1.5 * node)
        if isinstance(node, int):
            lower, upper = round(lower), round(upper)
        if lower != upper:
            ranges[key] = (lower, upper)
    return ranges


def _numeric_parameters(scenario: Scenario) -> Iterator[tuple[str, int | float, tuple]]:
    """(dotted key, value, (low, high) valid bounds) of every numeric scenario key.

    Read from the pydantic field constraints, in declaration order; ranges such
    as ``applicants.count`` are one key, not numeric, and are skipped.
    """

    def walk(node: BaseModel, prefix: str) -> Iterator[tuple[str, int | float, tuple]]:
        for name, field in type(node).model_fields.items():
            value = getattr(node, name)
            if isinstance(value, BaseModel):
                if not isinstance(value, IntRange):
                    yield from walk(value, f"{prefix}{name}.")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield f"{prefix}{name}", value, _bounds(field)

    return walk(scenario, "")


def _bounds(field: Any) -> tuple[float, float]:
    """Closed bounds of a pydantic field; open ones (gt, lt) are nudged inside."""
    eps = 1e-9
    lower, upper = -np.inf, np.inf
    for meta in getattr(field, "metadata", []):
        if getattr(meta, "ge", None) is not None:
            lower = float(meta.ge)
        if getattr(meta, "gt", None) is not None:
            lower = float(meta.gt) + eps
        if getattr(meta, "le", None) is not None:
            upper = float(meta.le)
        if getattr(meta, "lt", None) is not None:
            upper = float(meta.lt) - eps
    return lower, upper


def sensitivity(
    scenario: Scenario,
    metric: str = "good_interview_offer_rate",
    ranges: dict[str, tuple[float, float]] | None = None,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of ``metric`` (a tornado): each parameter at its low
    and high value, everything else at the scenario's value, same seed.

    Returns
    -------
    DataFrame
        parameter, low, high, value_low, value_high, swing (|high - low| of the
        metric), sorted by swing, largest first; plus the base value in ``attrs``.
    """
    if metric not in METRICS:
        raise InputError(f"--metric: unknown metric '{metric}'; choose from {', '.join(METRICS)}")
    ranges = ranges or default_ranges(scenario)
    keys = list(ranges)
    scenarios = [scenario]
    for key in keys:
        scenarios += [scenario.with_overrides({key: value}) for value in ranges[key]]
    seed = resolve_seed(seed, scenario.seed)
    points = run_points(
        scenarios,
        openings,
        seed,
        workers=workers,
        scheduler=scheduler,
        attribution=metric in ATTRIBUTION_METRICS,
        metrics=[metric],
        progress=progress,
    )
    values = [point.summary.at[metric, "value"] for point in points]
    frame = pd.DataFrame(
        {
            "parameter": keys,
            "low": [ranges[k][0] for k in keys],
            "high": [ranges[k][1] for k in keys],
            "value_low": values[1::2],
            "value_high": values[2::2],
        }
    )
    frame["swing"] = (frame.value_high - frame.value_low).abs()
    frame = frame.sort_values("swing", ascending=False, ignore_index=True)
    frame.attrs.update(metric=metric, base=values[0], scenario=scenario.name)
    return frame


def sobol(
    scenario: Scenario,
    metric: str = "good_interview_offer_rate",
    ranges: dict[str, tuple[float, float]] | None = None,
    samples: int = 64,
    openings: int | None = 5_000,
    seed: SeedLike = SCENARIO_SEED,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Global first-order and total Sobol indices of ``metric`` (needs SALib).

    Saltelli sampling of ``samples * (parameters + 2)`` scenarios over ``ranges``
    (default: :func:`default_ranges`), each simulated with the same seed (common
    random numbers keep Monte Carlo noise from posing as sensitivity).

    Returns
    -------
    DataFrame
        parameter, S1, S1_conf, ST, ST_conf (95%), sorted by ST.
    """
    try:
        from SALib.analyze import sobol as sobol_analyze
        from SALib.sample import sobol as sobol_sample
    except ImportError:
        raise InputError("Sobol indices need SALib: pip install 'simfunnel[sobol]'") from None
    if metric not in METRICS:
        raise InputError(f"--metric: unknown metric '{metric}'; choose from {', '.join(METRICS)}")
    ranges = ranges or default_ranges(scenario)
    keys = list(ranges)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [list(ranges[k]) for k in keys]}
    entropy = resolve_seed(seed, scenario.seed).entropy
    design = sobol_sample.sample(problem, samples, calc_second_order=False, seed=entropy % 2**32)
    integer_keys = {k for k in keys if isinstance(_get(scenario, k), int)}
    scenarios = [
        scenario.with_overrides(
            {k: round(v) if k in integer_keys else float(v) for k, v in zip(keys, row, strict=True)}
        )
        for row in design
    ]
    points = run_points(
        scenarios,
        openings,
        entropy,
        workers=workers,
        scheduler=scheduler,
        attribution=metric in ATTRIBUTION_METRICS,
        metrics=[metric],
        progress=progress,
    )
    outputs = np.array([point.summary.at[metric, "value"] for point in points])
    indices = sobol_analyze.analyze(problem, outputs, calc_second_order=False, seed=entropy % 2**32)
    frame = pd.DataFrame(
        {
            "parameter": keys,
            "S1": indices["S1"],
            "S1_conf": indices["S1_conf"],
            "ST": indices["ST"],
            "ST_conf": indices["ST_conf"],
        }
    ).sort_values("ST", ascending=False, ignore_index=True)
    frame.attrs.update(metric=metric, runs=len(design), scenario=scenario.name)
    return frame
