"""Write the example applicant-tracking export, simulated from known parameters.

    python scripts/make_example_ats.py            # examples/ats_export.csv, 500 requisitions

The true parameters are :data:`TRUTH` on top of the shipped baseline; they are
also written, as a whole scenario, to ``examples/ats_truth.yaml``, and listed in
``examples/README.md``. The same seed always gives the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import simfunnel as sf
from simfunnel.analysis.requisitions import synthetic_export

ROOT = Path(__file__).resolve().parents[1]
SEED = 20261130
REQUISITIONS = 500
# The truth differs from the baseline (the fit's prior centre) in every key it fits.
TRUTH = {
    "name": "ats_truth",
    "applicants.count": {"low": 80, "high": 220},
    "screening.shortlist": {"low": 4, "high": 9},
    "role.positions": {1: 0.7, 2: 0.2, 3: 0.1},
    "offers.decline_probability": 0.22,
    "internal.probability": 0.3,
    "role.cancel_probability": 0.15,
    "role.quarter_multipliers": [1.5, 0.8, 0.6, 1.1],
    "role.process_weeks": {"low": 5, "high": 12},
}


def truth_scenario() -> sf.Scenario:
    return sf.load_scenario("baseline").with_overrides(TRUTH)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requisitions", type=int, default=REQUISITIONS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=ROOT / "examples" / "ats_export.csv")
    args = parser.parse_args(argv)
    truth = truth_scenario()
    frame = synthetic_export(truth, args.requisitions, args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out, index=False)
    (args.out.parent / "ats_truth.yaml").write_text(
        "# The scenario examples/ats_export.csv was simulated from "
        f"(scripts/make_example_ats.py, seed {args.seed}).\n" + truth.to_yaml()
    )
    print(f"Wrote {args.out} ({len(frame)} requisitions, seed {args.seed}).")


if __name__ == "__main__":
    main()
