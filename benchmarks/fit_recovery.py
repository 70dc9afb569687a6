"""Does `simfunnel fit` recover the truth? Coverage of its 90% intervals.

    python benchmarks/fit_recovery.py                 # 20 data sets, the default free set
    python benchmarks/fit_recovery.py --five          # the 5-parameter benchmark set
    python benchmarks/fit_recovery.py --datasets 40 --requisitions 500

Each data set is an independent synthetic export (its own seed) of the example's
true scenario (scripts/make_example_ats.py); each is fitted from the baseline
(the prior), with its own fit seed. With --five only five parameters are fitted,
from a scenario whose other keys are the truth's. For every fitted parameter the table gives
the share of data sets whose 90% interval contains the truth, with its binomial
standard error; the target is 80-97%. Quarter multipliers are compared as ratios
to Q1 (only ratios are identified; the fit holds Q1 at the baseline's value).
Also reported: the share of posterior predictive p-values below 0.05 and 0.01
(about 5% and 1%, or fewer, when the model is right), how many data sets had a
statistic called extreme, and the statistics most often below 0.05 (--checks-out
writes every p-value). The README's tables: --datasets 40, with and without --five.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from make_example_ats import truth_scenario  # noqa: E402

import simfunnel as sf  # noqa: E402
from simfunnel.analysis.fit import FitSettings, fit  # noqa: E402
from simfunnel.analysis.requisitions import synthetic_export  # noqa: E402

FIVE = (
    "offers.decline_probability",
    "internal.probability",
    "role.cancel_probability",
    "role.positions.2",
    "role.positions.3",
)


def true_value(truth: sf.Scenario, base: sf.Scenario, key: str) -> float:
    last = key.rsplit(".", 1)[-1]
    if key.startswith("role.positions."):
        return truth.role.positions.get(int(last), 0.0)
    if key.startswith("role.quarter_multipliers."):
        q = truth.role.quarter_multipliers
        return q[int(last) - 1] / q[0] * base.role.quarter_multipliers[0]
    value = truth
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--requisitions", type=int, default=500)
    parser.add_argument("--five", action="store_true", help="fit the 5-parameter set only")
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--out", type=Path, help="also write the per-data-set rows as CSV")
    parser.add_argument(
        "--checks-out", type=Path, help="also write every posterior predictive p-value as CSV"
    )
    args = parser.parse_args(argv)
    baseline = sf.load_scenario("baseline")
    truth = truth_scenario()
    base = baseline
    if args.five:  # the other keys at their true values; the five start at the baseline's
        base = truth.with_overrides(
            {
                "name": "baseline_five",
                "offers.decline_probability": baseline.offers.decline_probability,
                "internal.probability": baseline.internal.probability,
                "role.cancel_probability": baseline.role.cancel_probability,
                "role.positions": dict(baseline.role.positions),
            }
        )
    settings = FitSettings(checks=100)
    rows, checks, times = [], [], []
    for i in range(args.datasets):
        seed = args.first_seed + i
        data = synthetic_export(truth, args.requisitions, seed)
        started = time.perf_counter()
        result = fit(data, base, list(FIVE) if args.five else None, seed=seed, settings=settings)
        times.append(time.perf_counter() - started)
        table = result.to_df()
        for _, row in table[table["role"] == "fitted"].iterrows():
            value = true_value(truth, base, row["parameter"])
            rows.append(
                {
                    "dataset": i,
                    "parameter": row["parameter"],
                    "truth": value,
                    "median": row["median"],
                    "q05": row["q05"],
                    "q95": row["q95"],
                    "covered": row["q05"] <= value <= row["q95"],
                    "identified": row["identified"],
                }
            )
        checks.append(result.checks[["statistic", "p_value", "extreme"]].assign(dataset=i))
        print(f"data set {i + 1}/{args.datasets}: {times[-1]:.1f} s", file=sys.stderr)
    frame = pd.DataFrame(rows)
    checked = pd.concat(checks, ignore_index=True)
    if args.out:
        frame.to_csv(args.out, index=False)
    if args.checks_out:
        checked.to_csv(args.checks_out, index=False)
    summary = frame.groupby("parameter", sort=False).agg(
        truth=("truth", "first"),
        median_of_medians=("median", "median"),
        mean_width=("q95", "mean"),
        coverage=("covered", "mean"),
        identified=("identified", "mean"),
    )
    summary["mean_width"] = (
        frame.assign(width=frame["q95"] - frame["q05"])
        .groupby("parameter", sort=False)["width"]
        .mean()
    )
    count = args.datasets
    print(
        f"\n{count} synthetic exports of {args.requisitions} requisitions "
        f"({'5 free parameters' if args.five else 'default free set'}); "
        f"fit time median {np.median(times):.1f} s, max {max(times):.1f} s.\n"
    )
    print("| parameter | truth | median of medians | mean 90% width | coverage ± SE | identified |")
    print("|---|---:|---:|---:|---:|---:|")
    for key, row in summary.iterrows():
        # The binomial SE of the coverage estimate (at 0% or 100%, that of a 90% coverage).
        c = row["coverage"]
        se = np.sqrt((c * (1 - c) if 0 < c < 1 else 0.9 * 0.1) / count)
        print(
            f"| {key} | {row['truth']:.4g} | {row['median_of_medians']:.4g} | "
            f"{row['mean_width']:.3g} | {100 * c:.0f}% ± {100 * se:.0f} | "
            f"{100 * row['identified']:.0f}% |"
        )
    overall = frame["covered"].mean()
    print(
        f"\nAll parameters: {100 * overall:.1f}% of {len(frame)} intervals cover the truth "
        "(target 80-97%)."
    )
    p = checked["p_value"].to_numpy()
    print(
        f"Posterior predictive p-values ({p.size}): {100 * np.mean(p < 0.05):.1f}% below 0.05, "
        f"{100 * np.mean(p < 0.01):.1f}% below 0.01; data sets with a statistic flagged "
        f"extreme: {checked.groupby('dataset')['extreme'].any().sum()} of {count}."
    )
    by_statistic = checked.groupby("statistic", sort=False).agg(
        below_05=("p_value", lambda v: np.mean(v < 0.05)),
        extreme=("extreme", "sum"),
        median_p=("p_value", "median"),
    )
    worst = by_statistic.sort_values("below_05", ascending=False).head(5)
    print(
        "Statistics most often below 0.05: "
        + ", ".join(
            f"{name} {100 * r['below_05']:.0f}% ({r['extreme']:.0f} extreme)"
            for name, r in worst.iterrows()
        )
        + "."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
