"""Update latency of the live explorer (``sf.explore`` and ``simfunnel app``).

One update is what a speaker waits for after moving a slider: re-simulating the
scenario (same seed), building the chart's output and drawing the chart as PNG. Wall
time depends on what else the machine runs (the load average is printed); the CPU time
of an update is what it costs on an idle core.
Each slider key is moved to a few values in turn, every one a scenario not seen
before (so its reference sample is simulated too, as in a live demo).

    .venv/bin/python benchmarks/explorer.py [--openings 10000] [--chart loss_reasons]
        [--present] [--no-ghost]

``--present`` draws at the presentation mode's size (1440 x 810 px, ``simfunnel app
--present``); the baseline's ghost is drawn unless ``--no-ghost``. An update is what
the app does between the speaker releasing a slider and the new chart being sent.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from simfunnel.present.explorer.core import DEFAULT_OPENINGS, PNG_DPI, PRESENT_DPI, Explorer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="baseline")
    parser.add_argument("--openings", type=int, default=DEFAULT_OPENINGS)
    parser.add_argument("--chart", default="loss_reasons")
    parser.add_argument("--steps", type=int, default=4, help="values per slider")
    parser.add_argument("--present", action="store_true", help="presentation mode's size")
    parser.add_argument("--no-ghost", action="store_true", help="without the baseline's ghost")
    args = parser.parse_args()
    load = os.getloadavg()[0]  # other work on the machine slows every update
    dpi = PRESENT_DPI if args.present else PNG_DPI
    explorer = Explorer(args.config, args.chart, args.openings, ghost=not args.no_ghost, dpi=dpi)
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
        f"{len(seconds)} updates of {args.chart} at {args.openings:,} openings, "
        f"{'presentation mode' if args.present else 'laptop size'}, "
        f"{'no ghost' if args.no_ghost else 'with the ghost'} "
        f"({os.cpu_count()} cores): median {statistics.median(seconds):.3f} s, "
        f"90th percentile {seconds[int(0.9 * (len(seconds) - 1))]:.3f} s, "
        f"max {seconds[-1]:.3f} s (CPU time: median {statistics.median(cpu):.3f} s); "
        "offer rate of good interviews +-"
        f"{100 * (ci['ci_high'] - ci['ci_low']) / 2:.2f} points (95% CI half-width); "
        f"load average before/after {load:.1f}/{os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
