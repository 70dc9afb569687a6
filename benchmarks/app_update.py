"""One live-app update before and after, in one run: this tree against an older commit.

An update is what ``simfunnel app --present`` does between a slider's change and the
new PNG: re-simulate (same seed), build the chart's output, draw it with the ghost
(``Explorer.set_value``, as ``benchmarks/explorer.py`` times it). Both trees run the
same steps in fresh processes, interleaved (before, after, before, ...), so the load
of a shared machine falls on both alike; the table gives each tree's median wall and
CPU time per update and the ratio.

    .venv/bin/python benchmarks/app_update.py [--before REV] [--openings 5000]
        [--chart loss_reasons] [--rounds 3] [--profile]

``--before`` is a commit of this repository (default ``bfa5969``: the code before
issues 22/23's fast updates); its tree is unpacked with ``git archive`` into a
temporary folder. ``--profile`` also
prints where this tree's update spends its time (cProfile, cumulative).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "bfa5969"

# Run in the tree under test: each slider key moved to ``steps`` new values in turn
# (a scenario not seen before, so its reference sample is simulated too).
CHILD = r"""
import json, sys, time
from simfunnel.present.explorer.core import PRESENT_DPI, Explorer
openings, chart, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
explorer = Explorer("baseline", chart, openings, dpi=PRESENT_DPI)
wall, cpu = [], []
for key, slider in explorer.sliders.items():
    start = explorer.values[key]
    for i in range(1, steps + 1):
        value = min(slider.high, start + i * slider.step * (1 if slider.integer else 3))
        t, c = time.perf_counter(), time.process_time()
        explorer.set_value(key, value)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    explorer.set_value(key, start)
print(json.dumps({"wall": wall, "cpu": cpu}))
"""


def _unpack(rev: str, folder: Path) -> Path:
    archive = folder / "tree.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "tree", filter="data")
    return folder / "tree"


def _measure(tree: Path, args: argparse.Namespace) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-c", CHILD, str(args.openings), args.chart, str(args.steps)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _profile(args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    from simfunnel.present.explorer.core import PRESENT_DPI, Explorer

    explorer = Explorer("baseline", args.chart, args.openings, dpi=PRESENT_DPI)
    key = "interview.validity"
    start = explorer.values[key]
    explorer.set_value(key, start + 0.01)
    profile = cProfile.Profile()
    profile.enable()
    for i in range(2, 6):
        explorer.set_value(key, start + 0.01 * i)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the commit to compare with")
    parser.add_argument("--openings", type=int, default=5_000)
    parser.add_argument("--chart", default="loss_reasons")
    parser.add_argument("--steps", type=int, default=2, help="values per slider")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per tree")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        trees = {f"before ({args.before})": _unpack(args.before, Path(folder)), "after": ROOT}
        times: dict[str, dict[str, list[float]]] = {n: {"wall": [], "cpu": []} for n in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                for kind, values in _measure(tree, args).items():
                    times[name][kind] += values
    per_round = len(times["after"]["wall"]) // args.rounds
    print(
        f"One update of {args.chart} at {args.openings:,} openings, presentation mode, with "
        f"the ghost; {args.rounds} interleaved rounds of {per_round} updates per tree; "
        f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(f"{'tree':<20} {'median wall':>12} {'90th pct wall':>14} {'median CPU':>11}")
    medians = {}
    for name, kinds in times.items():
        wall = sorted(kinds["wall"])
        medians[name] = statistics.median(kinds["cpu"]), statistics.median(wall)
        p90 = wall[int(0.9 * (len(wall) - 1))]
        print(f"{name:<20} {medians[name][1]:>10.3f} s {p90:>12.3f} s {medians[name][0]:>9.3f} s")
    (cpu_before, wall_before), (cpu_after, wall_after) = medians.values()
    print(
        f"{'after / before':<20} {wall_after / wall_before:>12.2f} {'':>14} "
        f"{cpu_after / cpu_before:>11.2f}"
    )
    if args.profile:
        _profile(args)


if __name__ == "__main__":
    main()
