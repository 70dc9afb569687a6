"""Update latency of the live explorer (``sf.explore`` and ``simfunnel app``).

One update is what a speaker waits for after moving a slider: re-simulating the
scenario (same seed), building the chart's output and drawing the chart as PNG. Wall
time depends on what else the machine runs (the load average is printed); the CPU time
of an update is what it costs on an idle core.
Each slider key is moved to a few values in turn, every one a scenario not seen
before (so its reference sample is simulated too, as in a live demo).

    .venv/bin/python benchmarks/explorer.py [--openings 10000] [--chart loss_reasons]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from simfunnel.present.explorer.core import DEFAULT_OPENINGS, Explorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="baseline")
    parser.add_argument("--openings", type=int, default=DEFAULT_OPENINGS)
    parser.add_argument("--chart", default="loss_reasons")
    parser.add_argument("--steps", type=int, default=4, help="values per slider")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine slows every update
    explorer = Explorer(args.config, args.chart, args.openings)
    seconds, cpu = [], []
    for key, slider in explorer.sliders.items():
        start = explorer.values[key]
        for i in range(1, args.steps + 1):
            value = min(slider.high, start + i * slider.step * (1 if slider.integer else 3))
            started, started_cpu = time.perf_counter(), time.process_time()
            explorer.set_value(key, value)  # re-simulates and draws the chart
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        explorer.set_value(key, start)
    seconds.sort()
    summary = explorer.result.summary()
    ci = summary.loc["good_interview_offer_rate", ["ci_low", "ci_high"]]
    print(
        f"{len(seconds)} updates of {args.chart} at {args.openings:,} openings "
        f"({os.cpu_count()} cores): median {statistics.median(seconds):.3f} s, "
        f"90th percentile {seconds[int(0.9 * (len(seconds) - 1))]:.3f} s, "
        f"max {seconds[-1]:.3f} s (CPU time: median {statistics.median(cpu):.3f} s); "
        "offer rate of good interviews +-"
        f"{100 * (ci['ci_high'] - ci['ci_low']) / 2:.2f} points (95% CI half-width); "
        f"load average before/after {load:.1f}/{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
