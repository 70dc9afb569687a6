"""Does the application-table fit recover validity, presence share and risk aversion?

    python benchmarks/application_fit_recovery.py                  # 40 exports of 300
    python benchmarks/application_fit_recovery.py --exports 20 --requisitions 150
    python benchmarks/application_fit_recovery.py --performance    # hires rated 1-5 later

Each synthetic export has its own hidden truth, drawn uniformly from the box below
(every other parameter at the baseline's value, known to the fit), and its own seed:
the interviewees of ``--requisitions`` simulated openings with three 4-point round
verdicts (the quartiles of the round scores, as ``simfunnel export`` writes
scorecards), offers, hires and internals
(:func:`simfunnel.analysis.application_moments.simulated_table`, the same table
``sf.read_applications`` gives; ``tests/test_import.py`` checks the file path). Each is
fitted from the baseline with its own fit seed. The table: for each parameter, the
share of exports whose 90% interval holds the truth (binomial SE beside it; the
target is 85-95%), the share identified and the median interval width. With
``--performance`` each hire also has a later 1-5 rating (quintiles of true quality
plus noise at reliability .52), as an HRIS would add.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simfunnel as sf  # noqa: E402
from simfunnel.analysis.application_fit import fit_application_parameters  # noqa: E402
from simfunnel.analysis.application_moments import simulated_table  # noqa: E402

TRUTH_BOX = {
    "interview.validity": (0.10, 0.45),
    "interview.presence_share": (0.10, 0.60),
    "manager.risk_aversion": (0.20, 1.50),
}
QUARTILES = np.array([0.25, 0.5, 0.75])
QUINTILES = np.array([0.2, 0.4, 0.6, 0.8])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exports", type=int, default=40)
    parser.add_argument("--requisitions", type=int, default=300)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, help="CSV of every export's intervals")
    parser.add_argument("--performance", action="store_true", help="hires rated 1-5 later")
    parser.add_argument("--refit-steps", type=int, default=1, help="steps of each refit")
    args = parser.parse_args(argv)
    baseline = sf.load_scenario(ROOT / "configs" / "baseline.yaml")
    rng = np.random.default_rng(args.seed)
    rows = []
    started = time.perf_counter()
    for k in range(args.exports):
        truth = {key: float(rng.uniform(*box)) for key, box in TRUTH_BOX.items()}
        rated = QUINTILES if args.performance else None
        table = simulated_table(baseline.with_overrides(truth), args.requisitions,
                                args.seed * 1000 + k, QUARTILES, rated)  # fmt: skip
        result = fit_application_parameters(
            table,
            baseline,
            seed=k,
            draws=args.draws,
            requisitions=args.requisitions,
            refit_steps=args.refit_steps,
        )
        for row in result.to_df().itertuples():
            rows.append(
                {
                    "export": k,
                    "parameter": row.parameter,
                    "truth": truth[row.parameter],
                    "estimate": row.estimate,
                    "q05": row.q05,
                    "q95": row.q95,
                    "covered": row.q05 <= truth[row.parameter] <= row.q95,
                    "identified": row.identified,
                    "width": row.q95 - row.q05,
                }
            )
        print(f"  export {k + 1}/{args.exports} ({time.perf_counter() - started:.0f} s)",
              file=sys.stderr)  # fmt: skip
    frame = pd.DataFrame(rows)
    if args.out:
        frame.to_csv(args.out, index=False)
    n = args.exports
    table = frame.groupby("parameter", sort=False).agg(
        coverage=("covered", "mean"), identified=("identified", "mean"),
        median_width=("width", "median"))  # fmt: skip
    table["coverage_se"] = np.sqrt(table["coverage"] * (1 - table["coverage"]) / n)
    with_rating = ", hires rated" if args.performance else ""
    print(f"{n} exports of {args.requisitions} requisitions{with_rating}, 90% intervals "
          f"({time.perf_counter() - started:.0f} s):\n")  # fmt: skip
    print("| parameter | coverage of 90% interval | identified | median width |")
    print("| --- | --- | --- | --- |")
    for name, row in table.iterrows():
        print(f"| `{name}` | {row.coverage:.0%} ± {row.coverage_se:.0%} | "
              f"{row.identified:.0%} | {row.median_width:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
