"""Render the charts embedded in the README into docs/ from runs of the shipped configs.

Usage (from the repository root)::

    python scripts/make_docs_charts.py [--openings N] [--seed S] [--out docs] [--only PART ...]

Writes every chart of a baseline run (``render_all``) and ``benchmarks.png`` (the run
against published figures), plus ``job_search.png``
(``sf.you`` at the 50th, 90th and 99th percentiles), ``risk_tradeoff.png`` (a sweep of
``manager.risk_aversion`` over 0..3), ``tornado.png`` (one-at-a-time sensitivity) and
``compare.png`` (baseline vs structured_panels vs strong_internal vs
risk_averse_manager). Re-run it whenever the model or the charts change; the PNGs are
reproducible (same seed, same bytes), so a diff shows only real changes.
``--only run`` (or ``job_search``, ``risk_tradeoff``, ``tornado``, ``compare``) redraws
just those parts.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import simfunnel as sf
from simfunnel.present import charts  # draws on bare Figures: no display or backend needed
from simfunnel.present.charts.benchmarks import benchmarks

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
COMPARED = ("baseline", "structured_panels", "strong_internal", "risk_averse_manager")
SWEEP_OPENINGS = 50_000  # per grid point
SENSITIVITY_OPENINGS = 20_000  # per parameter value
YOU_OPENINGS = 20_000  # openings the focal candidate interviews in, per percentile
PARTS = ("run", "job_search", "risk_tradeoff", "tornado", "compare")


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: the config's seed")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    args = parser.parse_args(argv)
    written = []

    scenario = sf.load_scenario(CONFIGS / "baseline.yaml")
    seed = scenario.seed if args.seed is None else args.seed
    if "run" in args.only:
        result = sf.simulate(scenario, openings=args.openings, seed=seed, workers=None)
        written += charts.render_all(result, args.out, formats=("png",))
        written += charts.save_chart(benchmarks, result, args.out / "benchmarks")
    if "job_search" in args.only:
        written += _job_search(scenario, seed, args.out)
    if "risk_tradeoff" in args.only:
        written += _risk_tradeoff(scenario, seed, args.out)
    if "tornado" in args.only:
        sensitivity = sf.sensitivity(scenario, openings=SENSITIVITY_OPENINGS, seed=seed)
        written += charts.save_chart(charts.tornado, sensitivity, args.out / "tornado")
    if "compare" in args.only:
        scenarios = [sf.load_scenario(CONFIGS / f"{name}.yaml") for name in COMPARED]
        comparison = sf.compare(scenarios, args.openings, seed, workers=None)
        written += charts.save_chart(charts.compare, comparison, args.out / "compare")

    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return written


def _job_search(scenario: sf.Scenario, seed: int, out: Path) -> list[Path]:
    searches = [
        sf.you(scenario, p, openings=YOU_OPENINGS, interviews=15, seed=seed) for p in (50, 90, 99)
    ]
    return charts.save_chart(charts.job_search, searches, out / "job_search")


def _risk_tradeoff(scenario: sf.Scenario, seed: int, out: Path) -> list[Path]:
    risk = sf.sweep(
        scenario,
        {charts.RISK_AVERSION: [float(v) for v in np.linspace(0, 3, 7)]},
        SWEEP_OPENINGS,
        seed,
        metrics=list(charts.RISK_TRADEOFF_METRICS),
    )
    return charts.save_chart(charts.risk_tradeoff, risk, out / "risk_tradeoff")


if __name__ == "__main__":
    main()
