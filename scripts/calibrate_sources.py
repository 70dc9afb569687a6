"""Calibrate the referrals scenario's screen shifts to Lever's 2016 hire ratios.

Lever, "The Little Grey Book of Recruiting Benchmarks" (2016; 4 million candidates,
~1,000 employers, Aug 2015 - Jul 2016): 1 in 16 referred candidates hired, 1 in 22 from
agencies, 1 in 72 sourced, 1 in 152 who applied. So a referred candidate is hired
152/16 = 9.5 times as often as one who applied, an agency's 6.9 times, a sourced one 2.1
times. Each source's ``screen`` shift (its vouching at the CV screen) is solved so the
simulated hire rate over the applied source's matches, by a secant step on the log ratio
repeated until every ratio is within 2% (common random numbers make the steps smooth).

    python scripts/calibrate_sources.py [--openings 40000]

prints the shifts to write into simfunnel/scenarios/referrals.yaml.
"""

from __future__ import annotations

import argparse
import math

import simfunnel as sf
from simfunnel.analysis.sources import source_table

TARGETS = {"sourced": 152 / 72, "referred": 152 / 16, "agency": 152 / 22}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openings", type=int, default=40_000)
    args = parser.parse_args()
    scenario = sf.load_scenario("referrals")
    shifts = {name: scenario.sources[name].screen for name in TARGETS}
    for step in range(12):
        overrides = {f"sources.{name}.screen": shift for name, shift in shifts.items()}
        table = source_table(scenario.with_overrides(overrides), args.openings).to_df()
        ratios = dict(zip(table["source"], table["vs_base"], strict=True))
        print(
            step,
            {k: f"{shifts[k]:.3f} -> {ratios[k]:.2f} (target {TARGETS[k]:.2f})" for k in TARGETS},
        )
        if all(abs(ratios[k] / TARGETS[k] - 1) < 0.02 for k in TARGETS):
            break
        for name in TARGETS:
            # d log(ratio) / d shift is about the shortlist's screen-score slope: ~2 per SD.
            shifts[name] += math.log(TARGETS[name] / ratios[name]) / 2.0
    print({k: round(v, 2) for k, v in shifts.items()})


if __name__ == "__main__":
    main()
