"""Do simfunnel's 95% confidence intervals cover what they claim?

    python scripts/coverage.py                 # the README's table (~20 min on 2 cores)
    python scripts/coverage.py --quick         # a smaller check (~2 min)
    python scripts/coverage.py --quick --only sensitivity   # one part

For each reported quantity, ``R`` independent small runs (seeds 1..R) each give a
95% CI; the coverage is the share of those CIs that contain the "truth", the
same quantity from one run that is many times larger (its own standard error is
printed beside it: it should be a small fraction of a small run's). Checked:

- every headline metric of ``simfunnel run`` (and the good-interview share);
- the paired difference of ``simfunnel compare`` (risk-averse manager - baseline);
- the job-search curve of ``simfunnel you`` (P(any offer within N interviews));
- the swings of ``simfunnel sensitivity`` (the baseline's offer rate of interviewees, four
  keys at their default ranges, a range key and role.positions among them): the paired
  CI of each signed change (high - low) and of each swing ``|high - low|``;
- with parameter uncertainty (the baseline without pauses, the cancellation probability
  uniform on .05-.25 and the decline probability beta with mean .10, sd .04): the block-level CI of
  each headline metric (its truth: a large run of the same uncertain scenario), and the
  95% range over parameter sets. A range's coverage is the share of *parameter sets*
  whose value lies inside it: ``parameter_sets`` independent draws, each simulated with
  fixed parameters (``parameter_openings`` openings), give the independent truth; for
  the cancellation rate the truth is exact (it equals the drawn probability).

A coverage estimate from R runs has a binomial standard error of
``sqrt(.95 x .05 / R)`` (1.1 points at R = 400), shown in the table. A paired
difference reports no CI when fewer than 20 openings differ between the two
scenarios (a difference too small for the run to resolve); such runs claim
nothing, and the "runs with a CI" column says how many did.
"""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import simfunnel as sf
from simfunnel.metrics import HEADLINE

ROOT = Path(__file__).resolve().parents[1]
TRUTH_SEED = 987_654_321
# Money is mean_hire_value times a constant (only with a salary): its coverage is that one's.
METRICS = [
    *(m for m in HEADLINE if m != "money_per_hire"),
    "good_interview_share",
    "withdrawal_rate",
]


@dataclass(frozen=True)
class Settings:
    runs: int = 400
    openings: int = 10_000
    truth_openings: int = 2_000_000
    kept: int = 1_000  # `you`: kept openings per small run
    truth_kept: int = 100_000
    interviews: int = 10
    percentile: float = 80.0
    workers: int = os.cpu_count() or 1
    uncertain_openings: int = 50_000  # 50 blocks: one parameter set each
    parameter_sets: int = 200
    parameter_openings: int = 100_000


QUICK = Settings(
    runs=100,
    openings=5_000,
    truth_openings=400_000,
    kept=500,
    truth_kept=20_000,
    interviews=5,
    uncertain_openings=30_000,
    parameter_sets=60,
    parameter_openings=50_000,
)
UNCERTAIN = {
    "role.cancel_probability": {"dist": "uniform", "low": 0.05, "high": 0.25},
    "offers.decline_probability": {"dist": "beta", "mean": 0.10, "sd": 0.04},
}
RANGE_METRICS = ["cancel_rate", "hire_rate", "offer_acceptance_rate", "days_to_fill"]


def _scenario(name: str) -> sf.Scenario:
    if name == "uncertain":
        # No pauses: every freeze cancels, so the cancel rate equals the drawn probability.
        changes = {**UNCERTAIN, "role.pause_share": 0.0, "name": "uncertain"}
        return _scenario("baseline").with_overrides(changes)
    return sf.load_scenario(ROOT / "simfunnel" / "scenarios" / f"{name}.yaml")


def _ranges(args: tuple[int, int]) -> pd.DataFrame:
    openings, seed = args
    result = sf.simulate(_scenario("uncertain"), openings, seed=seed, workers=1, keep_openings=0)
    return result.summary().loc[METRICS, ["value", "ci_low", "ci_high", "param_low", "param_high"]]


def _fixed_value(args: tuple[int, int]) -> pd.Series:
    """A metric's value at one parameter set drawn from the uncertain scenario."""
    from simfunnel.model.parameters import drawn_values, settled, uncertain_parameters
    from simfunnel.model.rng import Seed

    draw, openings = args
    scenario = _scenario("uncertain")
    values = drawn_values(scenario, Seed(TRUTH_SEED + draw), 0)
    fixed = settled(scenario, uncertain_parameters(scenario), values)
    result = sf.simulate(fixed, openings, seed=draw, workers=1, keep_openings=0)
    return result.summary().loc[RANGE_METRICS, "value"]


def uncertainty_coverage(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(block-level CI coverage of the headline metrics, coverage of the parameter range)."""
    truth = sf.simulate(
        _scenario("uncertain"),
        settings.truth_openings,
        seed=TRUTH_SEED,
        workers=settings.workers,
        keep_openings=0,
    ).summary()
    tasks = [(settings.uncertain_openings, seed) for seed in range(1, settings.runs + 1)]
    runs = _map(_ranges, tasks, settings.workers)
    ci = _coverage(truth.loc[METRICS, "value"], truth.loc[METRICS, "se"], runs)
    sets = _map(
        _fixed_value,
        [(draw, settings.parameter_openings) for draw in range(settings.parameter_sets)],
        settings.workers,
    )
    values = pd.DataFrame(sets)  # parameter set x metric: the independent truth
    rows = {}
    for metric in RANGE_METRICS:
        low = np.array([r.loc[metric, "param_low"] for r in runs])
        high = np.array([r.loc[metric, "param_high"] for r in runs])
        if metric == "cancel_rate":  # exact: the cancel share equals the drawn probability
            spec = UNCERTAIN["role.cancel_probability"]
            a, b = spec["low"], spec["high"]
            inside = (np.clip(high, a, b) - np.clip(low, a, b)) / (b - a)
        else:
            truth_values = values[metric].to_numpy()
            inside = np.array(
                [
                    ((lo <= truth_values) & (truth_values <= hi)).mean()
                    for lo, hi in zip(low, high, strict=True)
                ]
            )
        share = float(inside.mean())
        rows[f"range: {metric}"] = {
            "truth": float(values[metric].median()),
            "truth_se": float(values[metric].std()),
            "mean_ci_width": float(np.mean(high - low)),
            "reported": float(np.isfinite(low).mean()),
            "coverage": share,
            "coverage_se": float(inside.std(ddof=1) / np.sqrt(len(inside))),
        }
    return ci, pd.DataFrame.from_dict(rows, orient="index")


def _summary(args: tuple[str, int, int]) -> pd.DataFrame:
    name, openings, seed = args
    result = sf.simulate(_scenario(name), openings, seed=seed, workers=1, keep_openings=0)
    return result.summary().loc[METRICS, ["value", "ci_low", "ci_high", "se"]]


def _difference(args: tuple[str, str, int, int]) -> pd.DataFrame:
    base, other, openings, seed = args
    comparison = sf.compare([_scenario(base), _scenario(other)], openings, seed=seed, workers=1)
    table = comparison.differences.set_index("metric")
    return table.loc[
        [m for m in METRICS if m in table.index], ["difference", "ci_low", "ci_high", "se"]
    ]


# A metric that reads no threshold fixed from the run's length, so small runs and the
# truth measure the same quantity; keys of every kind (number, whole number, range,
# role.positions) at their default ranges.
SWING_METRIC = "offer_rate_interviewed"
SWING_KEYS = (
    "offers.decline_probability",
    "offers.max_offers",
    "applicants.count",
    "role.positions",
)


def _swing_ranges() -> dict[str, tuple[float, float]]:
    from simfunnel.analysis.explore import default_ranges

    ranges = default_ranges(_scenario("baseline"))
    return {key: ranges[key] for key in SWING_KEYS}


def _swings(args: tuple[int, int, int]) -> pd.DataFrame:
    """Each key's change and swing with their CIs, indexed ``change: key``/``swing: key``."""
    openings, seed, workers = args
    table = sf.sensitivity(
        _scenario("baseline"), SWING_METRIC, _swing_ranges(), openings, seed=seed, workers=workers
    ).set_index("parameter")
    table = table.loc[list(SWING_KEYS)]
    change = table[["change", "change_ci_low", "change_ci_high", "swing_se"]]
    swing = table[["swing", "swing_ci_low", "swing_ci_high", "swing_se"]]
    columns = ["value", "ci_low", "ci_high", "se"]
    change.columns = swing.columns = columns
    change.index = [f"change: {key}" for key in change.index]
    swing.index = [f"swing: {key}" for key in swing.index]
    return pd.concat([change, swing])


def sensitivity_coverage(settings: Settings) -> pd.DataFrame:
    truth = _swings((settings.truth_openings, TRUTH_SEED, settings.workers))
    tasks = [(settings.openings, seed, 1) for seed in range(1, settings.runs + 1)]
    runs = _map(_swings, tasks, settings.workers)
    return _coverage(truth["value"], truth["se"], runs)


def _search(args: tuple[str, float, int, int, int]) -> pd.DataFrame:
    name, percentile, interviews, kept, seed = args
    you = sf.you(_scenario(name), percentile, interviews=interviews, openings=kept, seed=seed)
    return you.job_search.set_index("interviews")[["p_any_offer", "ci_low", "ci_high"]]


def _coverage(truth: pd.Series, truth_se: pd.Series, runs: list[pd.DataFrame]) -> pd.DataFrame:
    """Share of the runs' CIs that contain the truth, among runs that report a CI.

    A paired difference has no CI when too few openings differ (see
    ``Moments.difference``): such runs make no claim and are not counted.
    """
    low = np.array([r["ci_low"].to_numpy() for r in runs])
    high = np.array([r["ci_high"].to_numpy() for r in runs])
    reported = np.isfinite(low) & np.isfinite(high)
    covered = (low <= truth.to_numpy()) & (truth.to_numpy() <= high)
    count = reported.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(count > 0, (covered & reported).sum(axis=0) / count, np.nan)
        width_sum = np.where(reported, high - low, 0.0).sum(axis=0)
        width = np.where(count > 0, width_sum / count, np.nan)
    return pd.DataFrame(
        {
            "truth": truth.to_numpy(),
            "truth_se": truth_se.to_numpy(),
            "mean_ci_width": width,
            "reported": count / len(runs),
            "coverage": share,
            "coverage_se": np.sqrt(share * (1 - share) / np.maximum(count, 1)),
        },
        index=truth.index,
    )


def _map(function, tasks, workers: int):
    if workers == 1:
        return [function(t) for t in tasks]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(function, tasks, chunksize=4))


def headline_coverage(settings: Settings, config: str = "baseline") -> pd.DataFrame:
    truth = sf.simulate(
        _scenario(config),
        settings.truth_openings,
        seed=TRUTH_SEED,
        workers=settings.workers,
        keep_openings=0,
    ).summary()
    tasks = [(config, settings.openings, seed) for seed in range(1, settings.runs + 1)]
    runs = _map(_summary, tasks, settings.workers)
    return _coverage(truth.loc[METRICS, "value"], truth.loc[METRICS, "se"], runs)


def compare_coverage(
    settings: Settings, base: str = "baseline", other: str = "risk_averse_manager"
) -> pd.DataFrame:
    comparison = sf.compare(
        [_scenario(base), _scenario(other)],
        settings.truth_openings,
        seed=TRUTH_SEED,
        workers=settings.workers,
    )
    truth = comparison.differences.set_index("metric")
    truth = truth.loc[[m for m in METRICS if m in truth.index]]
    tasks = [(base, other, settings.openings, seed) for seed in range(1, settings.runs + 1)]
    runs = _map(_difference, tasks, settings.workers)
    return _coverage(truth["difference"], truth["se"], runs)


def search_coverage(settings: Settings, config: str = "baseline") -> pd.DataFrame:
    truth = sf.you(
        _scenario(config),
        settings.percentile,
        interviews=settings.interviews,
        openings=settings.truth_kept,
        seed=TRUTH_SEED,
        searches=400_000,
    ).job_search.set_index("interviews")
    truth_se = (truth["ci_high"] - truth["ci_low"]) / (2 * 1.959963984540054)
    tasks = [
        (config, settings.percentile, settings.interviews, settings.kept, seed)
        for seed in range(1, settings.runs + 1)
    ]
    runs = _map(_search, tasks, settings.workers)
    frame = _coverage(truth["p_any_offer"], truth_se, runs)
    frame.index = [f"P(any offer within {n} interview{'s' * (n > 1)})" for n in frame.index]
    return frame


PARTS = ("run", "compare", "you", "sensitivity", "uncertainty")


def coverage_table(settings: Settings, only: tuple[str, ...] = PARTS) -> pd.DataFrame:
    parts = {}
    if "run" in only:
        parts["run"] = headline_coverage(settings)
    if "compare" in only:
        parts["compare (risk-averse manager - baseline)"] = compare_coverage(settings)
    if "you" in only:
        parts[f"you ({settings.percentile:g}th percentile)"] = search_coverage(settings)
    if "sensitivity" in only:
        parts[f"sensitivity ({SWING_METRIC}, paired)"] = sensitivity_coverage(settings)
    if "uncertainty" in only:
        uncertain_ci, uncertain_range = uncertainty_coverage(settings)
        parts["run with parameter uncertainty (CI)"] = uncertain_ci
        parts["run with parameter uncertainty (range over parameter sets)"] = uncertain_range
    return pd.concat(parts, names=["output", "quantity"])


def report(table: pd.DataFrame, settings: Settings) -> str:
    """The README's table: a CI must hold its truth in 93-97% of runs; a range over
    parameter sets must hold at least 95% of them (wider is honest, narrower is not)."""
    lines = [
        f"{settings.runs} runs of {settings.openings:,} openings (`you`: {settings.kept:,} kept "
        f"openings; with parameter uncertainty: {settings.uncertain_openings:,}) against a "
        f"truth of {settings.truth_openings:,} openings (`you`: {settings.truth_kept:,}); "
        f"ranges against {settings.parameter_sets} parameter sets of "
        f"{settings.parameter_openings:,} openings each. Target: CIs 93-97%, ranges >= 95%.",
        "",
        "| output | quantity | truth | truth SE | mean CI width | runs with a CI | coverage |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (output, quantity), row in table.iterrows():
        coverage = (
            f"{100 * row.coverage:.1f}% ± {100 * row.coverage_se:.1f}"
            if row.reported > 0
            else "no CI claimed"
        )
        lines.append(
            f"| {output} | {quantity} | {row.truth:.4g} | {row.truth_se:.2g} | "
            f"{row.mean_ci_width:.3g} | {100 * row.reported:.0f}% | {coverage} |"
        )
    claimed = table[table.reported > 0]
    ranges = claimed.index.get_level_values("quantity").str.startswith("range:")
    cis, spans = claimed[~ranges], claimed[ranges]
    outside = ((cis.coverage < 0.93) | (cis.coverage > 0.97)).sum()
    short = (spans.coverage < 0.95).sum()
    lines += [
        "",
        f"{outside} of {len(cis)} CIs outside 93-97%; {short} of {len(spans)} ranges below 95%.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, smaller runs")
    parser.add_argument("--runs", type=int, help="independent small runs (default 400)")
    parser.add_argument("--out", type=Path, help="also write the table to this CSV file")
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="measure only these parts (repeat)"
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else Settings()
    if args.runs:
        settings = Settings(**{**settings.__dict__, "runs": args.runs})
    table = coverage_table(settings, tuple(args.only or PARTS))
    if args.out:
        table.to_csv(args.out)
    print(report(table, settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
