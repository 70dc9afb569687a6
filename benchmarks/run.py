"""simfunnel benchmarks: speed, scaling and memory against the targets of issue 14.

Run from the repository root::

    python benchmarks/run.py            # full run, a few minutes
    python benchmarks/run.py --quick    # smaller sizes, a smoke run (~1 min)
    python benchmarks/run.py --profile  # also print a cProfile of a plain run

Prints one table and writes it as CSV (default ``benchmarks/results.csv``,
gitignored). Every figure is measured in the same run on the same machine, so
the ratios are comparable even when absolute speeds are not. Timings are wall
clock, the best of ``--repeat`` runs (the machine may be shared: the load
average at start and end is part of the table). Not part of the pytest suite:
timings are not unit tests.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import math
import os
import platform
import pstats
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import simfunnel as sf
from simfunnel.analysis import run as sf_run
from simfunnel.model.engine import Model, draw_blocks, run_blocks
from simfunnel.model.rng import BLOCK_OPENINGS, BLOCKS, PILOT, normalise_seed

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "simfunnel" / "scenarios" / "baseline.yaml"
SEED = 12345


@dataclass(frozen=True)
class Sizes:
    openings: int  # the headline size (10^6)
    small: int  # the second speed figure (10^5)
    brute_force: int  # brute force is measured here and extrapolated to `openings`
    pool: int  # openings per pool-size timing
    large: int  # 2 workers, attribution on, timed and memory-sampled, scaled to 10^8
    sobol_samples: int  # Saltelli samples of the measured Sobol subset (scaled to 1,024)


TARGET_LARGE = 10**8  # issue 14: 10^8 openings, 2 workers, attribution on, < 60 s, < 500 MiB
SOBOL_PARAMETERS, SOBOL_SAMPLES, SOBOL_OPENINGS = 26, 1024, 10**4  # issue 14's Sobol run
FULL = Sizes(
    openings=10**6, small=10**5, brute_force=10**5, pool=10**6, large=10**7, sobol_samples=4
)
QUICK = Sizes(
    openings=10**5, small=2 * 10**4, brute_force=10**4, pool=10**5, large=10**6, sobol_samples=1
)
MIB = 2**20


@dataclass
class Row:
    name: str
    value: float
    unit: str
    target: str = ""
    met: str = ""  # "yes", "no" or "" for figures without a target


def busy_cores(seconds: float = 1.0) -> float:
    """Cores busy over the next ``seconds`` (Linux /proc/stat), i.e. other people's work.

    Sampled while this script idles, so it measures the rest of the machine; the
    1-minute load average would include this script's own recent work. NaN where
    /proc/stat is missing.
    """

    def snapshot() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        idle = fields[3] + fields[4]  # idle + iowait
        return sum(fields) - idle, sum(fields)

    try:
        busy_before, total_before = snapshot()
        time.sleep(seconds)
        busy_after, total_after = snapshot()
    except OSError:
        return float("nan")
    share = (busy_after - busy_before) / max(1, total_after - total_before)
    return share * (os.cpu_count() or 1)


def best_times(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds (this process) of ``repeat`` calls.

    For one-worker runs the CPU time is the work itself, which other load on a
    shared machine barely changes; the wall clock is what a user waits.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus)


def best_time(action: Callable[[], object], repeat: int) -> float:
    """Best wall-clock seconds of ``repeat`` calls."""
    return best_times(action, repeat)[0]


def simulate_times(
    scenario: sf.Scenario, openings: int, repeat: int, **options: object
) -> tuple[float, float]:
    """Wall and CPU seconds of ``sf.simulate`` end to end (one worker unless told)."""
    return best_times(lambda: sf.simulate(scenario, openings, seed=SEED, **options), repeat)


def simulate_time(scenario: sf.Scenario, openings: int, repeat: int, **options: object) -> float:
    """Seconds for ``sf.simulate`` end to end (pilot, chunks, summaries)."""
    return best_time(lambda: sf.simulate(scenario, openings, seed=SEED, **options), repeat)


def rng_floor_time(
    scenario: sf.Scenario, openings: int, chunk_blocks: int, repeat: int
) -> tuple[float, float]:
    """Seconds to draw every random number a run of ``openings`` consumes, and nothing else.

    The same blocks, streams and layout as the engine (``draw_blocks``), in the
    engine's default chunks, including the pilot sample's blocks.
    """
    seed = normalise_seed(SEED)
    blocks = math.ceil(openings / BLOCK_OPENINGS)
    pilot_blocks = math.ceil(scenario.analysis.pilot_openings / BLOCK_OPENINGS)

    def draw_all() -> None:
        draw_blocks(scenario, seed, PILOT, 0, pilot_blocks)
        for first in range(0, blocks, chunk_blocks):
            draw_blocks(scenario, seed, BLOCKS, first, min(chunk_blocks, blocks - first))

    return best_times(draw_all, repeat)


def engine_core_time(scenario: sf.Scenario, openings: int, chunk_blocks: int, repeat: int) -> float:
    """Seconds for ``run_blocks`` alone (draws + funnel, no pilot, no summaries)."""
    model = Model.build(scenario)
    seed = normalise_seed(SEED)
    blocks = math.ceil(openings / BLOCK_OPENINGS)

    def run_all() -> None:
        for first in range(0, blocks, chunk_blocks):
            run_blocks(model, seed, BLOCKS, first, min(chunk_blocks, blocks - first))

    return best_time(run_all, repeat)


LARGE_SCRIPT = """
import sys, time
import simfunnel as sf
scenario = sf.load_scenario(sys.argv[1])
sf.simulate(scenario, 2_000, seed=1, workers=1)  # imports, the compiled kernel, the pilot
started = time.perf_counter()
sf.simulate(scenario, int(sys.argv[2]), seed=int(sys.argv[3]), workers=2)
print("elapsed", time.perf_counter() - started)
"""


def large_run(openings: int) -> tuple[float, float, float]:
    """Seconds, peak total PSS and peak largest-process RSS (bytes) of a default run
    (attribution on, default ``keep_openings``) on 2 workers, in a fresh process.

    The memory of the whole process tree (parent and pool workers) is sampled with
    psutil every 5 s (reading PSS walks every page table and slows the workers:
    sampled every second, a 10^7-opening run took 45 s instead of 33 s). PSS splits
    the pages that forked workers share with the parent, so the total counts them
    once (as ``benchmarks/memory.py``). Memory is flat over the run, so a sample every
    few seconds sees the peak.
    """
    import psutil

    command = [sys.executable, "-c", LARGE_SCRIPT, str(BASELINE), str(openings), str(SEED)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    root = psutil.Process(process.pid)
    peak_total, peak_largest = 0.0, 0.0
    while process.poll() is None:
        total, largest = 0.0, 0.0
        try:
            for member in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    info = member.memory_full_info()
                    total += getattr(info, "pss", info.rss)
                    largest = max(largest, info.rss)
        except psutil.Error:
            pass
        peak_total, peak_largest = max(peak_total, total), max(peak_largest, largest)
        time.sleep(5.0)
    output = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise RuntimeError(f"the large run failed (exit {process.returncode})")
    elapsed = float(re.search(r"elapsed (\S+)", output).group(1))
    return elapsed, peak_total, peak_largest


STARTUP_SCRIPT = """
import time
started = time.perf_counter()
import simfunnel as sf
scenario = sf.load_scenario({config!r})
sf.simulate(scenario, 2_000, seed=1, workers=1)
print("elapsed", time.perf_counter() - started)
"""


def startup_time(cache_dir: Path) -> float:
    """Seconds from a fresh interpreter to a finished 2,000-opening run (import,
    compile or load the kernel, pilot), with the kernel cache in ``cache_dir``."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    script = STARTUP_SCRIPT.format(config=str(BASELINE))
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    return float(re.search(r"elapsed (\S+)", done.stdout).group(1))


def sobol_subset_time(samples: int) -> tuple[float, int]:
    """Seconds and evaluations of a Sobol run of ``samples`` Saltelli samples over the
    first 26 default ranges, 10^4 openings per evaluation, on all cores."""
    from simfunnel.analysis.sensitivities import default_ranges, sobol

    baseline = sf.load_scenario(BASELINE)
    ranges = dict(list(default_ranges(baseline).items())[:SOBOL_PARAMETERS])
    started = time.perf_counter()
    table = sobol(baseline, ranges=ranges, samples=samples, openings=SOBOL_OPENINGS, seed=SEED)
    return time.perf_counter() - started, int(table.attrs["runs"])


def dask_times(openings: int, repeat: int) -> tuple[float, float]:
    """Seconds of a default run (attribution on) in-process on one worker and on a
    2-worker Dask ``LocalCluster`` (processes), the cluster already started."""
    from distributed import LocalCluster

    baseline = sf.load_scenario(BASELINE)
    one = simulate_time(baseline, openings, repeat, workers=1)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        address = cluster.scheduler_address
        # warm both workers (imports, the kernel from its cache): several chunks
        sf.simulate(baseline, 4 * sf_run.DEFAULT_CHUNK, seed=SEED, scheduler=address)
        two = simulate_time(baseline, openings, repeat, scheduler=address)
    return one, two


def check(value: float, target: float, at_least: bool) -> str:
    return "yes" if (value >= target if at_least else value <= target) else "no"


def openings_label(openings: int) -> str:
    exponent = math.log10(openings)
    return f"1e{exponent:.0f}" if exponent.is_integer() else f"{openings:,}"


def run_benchmarks(sizes: Sizes, repeat: int, log: Callable[[str], None]) -> list[Row]:
    baseline = sf.load_scenario(BASELINE)
    brute_force = baseline.with_overrides({"engine": "brute_force"})
    chunk_blocks = sf_run.DEFAULT_CHUNK // BLOCK_OPENINGS
    n, big = sizes.openings, openings_label(sizes.openings)
    rows: list[Row] = []
    rows.append(Row("other load at start (busy cores, 1 s sample)", busy_cores(), "cores"))
    rows.append(Row("1-minute load average at start", os.getloadavg()[0], ""))
    rows.append(Row("cpu cores", os.cpu_count() or 0, "cores"))

    # start-up: a fresh interpreter to a finished small run, with a cold kernel cache
    # (numba compiles every kernel) and then with the cache it wrote
    log("start-up, cold and cached kernel cache")
    with tempfile.TemporaryDirectory() as cache:
        cold = startup_time(Path(cache))
        cached = min(startup_time(Path(cache)) for _ in range(max(repeat, 2)))
    rows.append(Row("start-up to a 2,000-opening run, cold cache (compiles the kernel)", cold, "s"))
    rows.append(Row("start-up to a 2,000-opening run, cached kernel", cached, "s"))

    # warm-up: imports, caches, the calendar's hazard solve
    sf.simulate(baseline, 2 * BLOCK_OPENINGS, seed=SEED, attribution=False)

    # (a) exact vs brute force, (f) attribution overhead
    # The compiled kernel and the NumPy reference path (the engine before the kernel;
    # the same results), attribution off and on, interleaved so that a burst of
    # other load hits all four alike.
    log(f"exact path, {big} openings, compiled kernel and NumPy path, interleaved")
    kernel_times: dict[tuple[str, bool], list[tuple[float, float]]] = {}
    for _ in range(repeat):
        for kernel in ("numba", "numpy"):
            for attribution in (False, True):
                kernel_times.setdefault((kernel, attribution), []).append(
                    simulate_times(baseline, n, 1, attribution=attribution, kernel=kernel)
                )
    best = {key: min(wall for wall, _ in times) for key, times in kernel_times.items()}
    cpu = {key: min(c for _, c in times) for key, times in kernel_times.items()}
    exact_off, exact_on = best["numba", False], best["numba", True]
    numpy_off, numpy_on = best["numpy", False], best["numpy", True]
    log(f"brute-force path, {openings_label(sizes.brute_force)} openings (extrapolated to {big})")
    # Brute force on fewer openings, scaled by openings processed: the pilot's
    # (a fixed number, same engine) plus the run's. No subtraction of separately
    # timed parts, which goes wrong on a noisy machine.
    pilot_openings = brute_force.analysis.pilot_openings
    scale = (n + pilot_openings) / (sizes.brute_force + pilot_openings)
    brute_rates, brute_cpu = {}, {}
    for attribution in (False, True):
        elapsed, cpu_seconds = simulate_times(
            brute_force, sizes.brute_force, 1, attribution=attribution
        )
        brute_rates[attribution] = n / (elapsed * scale)
        brute_cpu[attribution] = cpu_seconds * scale
    for attribution, exact in ((False, exact_off), (True, exact_on)):
        label = "on" if attribution else "off"
        rows.append(Row(f"exact openings/s, {big}, attribution {label}", n / exact, "openings/s"))
        rows.append(
            Row(
                f"brute force openings/s, {big} (from {openings_label(sizes.brute_force)}), "
                f"attribution {label}",
                brute_rates[attribution],
                "openings/s",
            )
        )
        speedup = n / exact / brute_rates[attribution]
        rows.append(
            Row(
                f"exact / brute force, attribution {label}",
                speedup,
                "x",
                ">= 20",
                check(speedup, 20, True),
            )
        )
    log(f"exact path, {openings_label(sizes.small)} openings")
    for attribution in (False, True):
        label = "on" if attribution else "off"
        small = simulate_time(baseline, sizes.small, repeat, attribution=attribution)
        rows.append(
            Row(
                f"exact openings/s, {openings_label(sizes.small)}, attribution {label}",
                sizes.small / small,
                "openings/s",
            )
        )

    # (b) pool size: the exact path's cost should not depend on it
    log("pool sizes 100, 1,000, 10,000")
    pool_times = {}
    for pool in (100, 1_000, 10_000):
        scenario = baseline.with_overrides(
            {"applicants.count.low": pool, "applicants.count.high": pool}
        )
        pool_times[pool] = simulate_time(scenario, sizes.pool, repeat, attribution=False)
        rows.append(
            Row(
                f"exact seconds, pool {pool:,}, {openings_label(sizes.pool)} openings, plain",
                pool_times[pool],
                "s",
            )
        )
    for pool in (1_000, 10_000):
        ratio = pool_times[pool] / pool_times[100]
        target = ("<= 1.3", check(ratio, 1.3, False)) if pool == 10_000 else ("", "")
        rows.append(Row(f"pool {pool:,} / pool 100", ratio, "x", *target))

    # (c) the RNG floor
    log("RNG floor")
    floor, floor_cpu = rng_floor_time(baseline, n, chunk_blocks, repeat)
    core = engine_core_time(baseline, n, chunk_blocks, repeat)
    lean = simulate_time(baseline, n, repeat, attribution=False, keep_openings=0)
    rows.append(Row(f"RNG floor seconds, {big} openings + pilot (draw_blocks only)", floor, "s"))
    rows.append(
        Row(f"engine seconds, {big}, plain run (simulate, attribution off)", exact_off, "s")
    )
    ratio = exact_off / floor
    rows.append(
        Row("engine / RNG floor (plain run)", ratio, "x", "<= 1.5", check(ratio, 1.5, False))
    )
    rows.append(Row("engine / RNG floor, keep_openings=0 (no openings frame)", lean / floor, "x"))
    rows.append(Row(f"engine core seconds, {big} (run_blocks only, no pilot/summaries)", core, "s"))
    rows.append(Row("engine core / RNG floor", core / floor, "x"))

    # (e) workers: interleaved 1, 2, 1, 2, ... so a burst of load hits both alike
    log("1 vs 2 workers")
    rows.append(Row("other load before workers (busy cores)", busy_cores(), "cores"))
    worker_repeat = max(repeat, 3)
    for keep, label in ((sf_run.KEEP_OPENINGS, "default keep_openings"), (0, "keep_openings=0")):
        times: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(worker_repeat):
            for workers in (1, 2):
                times[workers].append(
                    simulate_time(
                        baseline, n, 1, attribution=False, workers=workers, keep_openings=keep
                    )
                )
        one, two = min(times[1]), min(times[2])
        speedup = one / two
        rows.append(Row(f"1 worker seconds, {big}, plain, {label}", one, "s"))
        rows.append(Row(f"2 workers seconds, {big}, plain, {label}", two, "s"))
        target = (">= 1.85", check(speedup, 1.85, True)) if keep else ("", "")
        rows.append(Row(f"2 workers speed-up over 1, {label}", speedup, "x", *target))

    # (f) attribution overhead
    overhead = exact_on / exact_off
    rows.append(
        Row(
            f"attribution overhead (on / off), {big}",
            overhead,
            "x",
            "<= 1.2",
            check(overhead, 1.2, False),
        )
    )

    # before/after: the NumPy reference path (kernel="numpy") is the engine before
    # the compiled kernel; the same results
    rows.append(Row(f"NumPy path seconds, {big}, attribution off", numpy_off, "s"))
    rows.append(Row(f"NumPy path seconds, {big}, attribution on", numpy_on, "s"))
    rows.append(Row("NumPy path: engine / RNG floor (plain run)", numpy_off / floor, "x"))
    rows.append(Row("NumPy path: attribution overhead (on / off)", numpy_on / numpy_off, "x"))
    rows.append(Row("compiled kernel speed-up, attribution off", numpy_off / exact_off, "x"))
    rows.append(Row("compiled kernel speed-up, attribution on", numpy_on / exact_on, "x"))

    # The same single-process ratios in CPU seconds: what the work costs, nearly
    # independent of other load on a shared machine
    rows.append(
        Row("CPU time: engine / RNG floor (plain run)", cpu["numba", False] / floor_cpu, "x")
    )
    rows.append(
        Row(
            "CPU time: attribution overhead (on / off)",
            cpu["numba", True] / cpu["numba", False],
            "x",
        )
    )
    for attribution in (False, True):
        label = "on" if attribution else "off"
        rows.append(
            Row(
                f"CPU time: exact / brute force, attribution {label}",
                brute_cpu[attribution] / cpu["numba", attribution],
                "x",
            )
        )
        rows.append(
            Row(
                f"CPU time: compiled kernel speed-up, attribution {label}",
                cpu["numpy", attribution] / cpu["numba", attribution],
                "x",
            )
        )
    rows.append(
        Row(
            "CPU time, NumPy path: engine / RNG floor (plain run)",
            cpu["numpy", False] / floor_cpu,
            "x",
        )
    )
    rows.append(
        Row(
            "CPU time, NumPy path: attribution overhead (on / off)",
            cpu["numpy", True] / cpu["numpy", False],
            "x",
        )
    )

    # one run's blocks on a 2-worker Dask LocalCluster vs one worker in-process
    log(f"Dask LocalCluster, 2 workers, {big} openings, attribution on")
    one, two = dask_times(n, repeat)
    rows.append(Row(f"1 worker seconds, {big}, attribution on (in-process)", one, "s"))
    rows.append(Row(f"Dask LocalCluster 2 workers seconds, {big}, attribution on", two, "s"))
    rows.append(Row("Dask 2 workers speed-up over 1", one / two, "x"))

    # the large run: 2 workers, attribution on, in a fresh process; time and memory
    large = openings_label(sizes.large)
    log(f"{large} openings, 2 workers, attribution on (fresh process, memory sampled)")
    rows.append(Row("other load before the large run (busy cores)", busy_cores(), "cores"))
    elapsed, peak_total, peak_largest = large_run(sizes.large)
    scaled = elapsed * TARGET_LARGE / sizes.large
    rows.append(Row(f"{large} openings, 2 workers, attribution on, seconds", elapsed, "s"))
    rows.append(Row(f"openings/s of that run, {large}", sizes.large / elapsed, "openings/s"))
    rows.append(
        Row(
            f"1e8 openings, 2 workers, attribution on, seconds (scaled from {large})",
            scaled,
            "s",
            "< 60",
            check(scaled, 60 - 1e-9, False),
        )
    )
    rows.append(
        Row(
            f"peak memory, {large} openings, 2 workers (total PSS of the process tree; "
            "flat in openings, so the 1e8 figure)",
            peak_total / MIB,
            "MiB",
            "< 500",
            check(peak_total / MIB, 500 - 1e-9, False),
        )
    )
    rows.append(Row("peak RSS of the largest process of that run", peak_largest / MIB, "MiB"))

    # Sobol: 26 parameters, N = 1,024, 10^4 openings per evaluation, estimated from a
    # measured run of fewer Saltelli samples (the cost is linear in evaluations)
    log(f"Sobol subset: {sizes.sobol_samples} samples x {SOBOL_PARAMETERS + 2} evaluations")
    seconds, runs = sobol_subset_time(sizes.sobol_samples)
    full_runs = SOBOL_SAMPLES * (SOBOL_PARAMETERS + 2)
    rows.append(Row(f"Sobol subset seconds ({runs} evaluations of 1e4 openings)", seconds, "s"))
    estimate = seconds * full_runs / runs / 60
    rows.append(
        Row(
            f"Sobol 26 parameters, N = 1,024 ({full_runs:,} evaluations), minutes (scaled)",
            estimate,
            "min",
            "< 30",
            check(estimate, 30 - 1e-9, False),
        )
    )
    rows.append(Row("other load at end (busy cores)", busy_cores(), "cores"))
    rows.append(Row("1-minute load average at end", os.getloadavg()[0], ""))
    return rows


def format_value(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.2f}"


def print_table(rows: list[Row]) -> None:
    header = ("name", "value", "unit", "target", "met")
    cells = [header, *((r.name, format_value(r.value), r.unit, r.target, r.met) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    for i, line in enumerate(cells):
        aligned = [
            cell.rjust(width) if column == 1 and i else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  ".join(aligned).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def write_csv(rows: list[Row], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("name", "value", "unit", "target", "met"))
        for row in rows:
            writer.writerow((row.name, f"{row.value:.6g}", row.unit, row.target, row.met))


def profile_plain_run(openings: int, top: int = 20) -> None:
    """cProfile of a plain run (attribution off, one worker) and one with attribution,
    on the NumPy reference path (before the kernel) and on the compiled kernel (after),
    by own time."""
    baseline = sf.load_scenario(BASELINE)
    for kernel in ("numpy", "numba"):
        for attribution in (False, True):
            sf.simulate(baseline, 2 * BLOCK_OPENINGS, seed=SEED, kernel=kernel)
            profiler = cProfile.Profile()
            profiler.enable()
            sf.simulate(baseline, openings, seed=SEED, attribution=attribution, kernel=kernel)
            profiler.disable()
            label = "with attribution" if attribution else "plain"
            print(f"\ncProfile, {kernel} path, {label}, {openings:,} openings, by own time:")
            stats = pstats.Stats(profiler, stream=sys.stdout).strip_dirs()
            stats.sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument(
        "--repeat", type=int, default=None, help="timings: best of N (default 2, quick 1)"
    )
    parser.add_argument(
        "--csv", type=Path, default=ROOT / "benchmarks" / "results.csv", help="CSV output"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also print a cProfile of a plain run"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    repeat = args.repeat or (1 if args.quick else 2)

    def log(message: str) -> None:
        load = os.getloadavg()[0]
        stamp = f"[{time.strftime('%H:%M:%S')} loadavg {load:.2f}]"
        print(f"{stamp} {message}", file=sys.stderr, flush=True)

    log(
        f"simfunnel {sf.__version__}, numpy {np.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {'quick' if args.quick else 'full'} sizes, best of {repeat}"
    )
    other = busy_cores()
    if other > 0.2:
        log(f"warning: {other:.2f} cores busy with other work; timings and ratios may be off")
    started = time.perf_counter()
    rows = run_benchmarks(sizes, repeat, log)
    print_table(rows)
    write_csv(rows, args.csv)
    log(f"wrote {args.csv} in {time.perf_counter() - started:.0f} s")
    if args.profile:
        profile_plain_run(sizes.openings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
