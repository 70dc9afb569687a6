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

It also writes the documentation site's gallery page, ``docs/gallery.md`` (``--gallery``):
every chart with the finding it states, computed from the same outputs (a page drawn
with ``--only`` lists only those parts).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import simfunnel as sf
from simfunnel.analysis.outputs import (
    RUN_OUTPUTS,
    Benchmarks,
    Differences,
    JobSearch,
    LossReasons,
    RiskTradeoff,
    Sensitivity,
)
from simfunnel.analysis.sources import source_table
from simfunnel.present import charts  # draws on bare Figures: no display or backend needed
from simfunnel.present.charts.benchmarks import benchmarks
from simfunnel.present.charts.render import plot_output

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "simfunnel" / "scenarios"
COMPARED = ("baseline", "structured_panels", "strong_internal", "risk_averse_manager")
SWEEP_OPENINGS = 50_000  # per grid point
SENSITIVITY_OPENINGS = 20_000  # per parameter value
YOU_OPENINGS = 20_000  # openings the focal candidate interviews in, per percentile
PARTS = ("run", "job_search", "career_changer", "risk_tradeoff", "tornado", "compare", "sources")
SOURCES_OPENINGS = 50_000
CAPTIONS = {
    "funnel": "How many of each stage reach the next: applicants, shortlist, interviews, "
    "offers, hires.",
    "loss_reasons": "Why good interviews got no offer: the first mechanism whose removal would "
    "have given them one.",
    "offer_probability": "The chance of an offer by rank in the interview slate, ranked by "
    "interview score and by true quality.",
    "offer_probability_by_quality": "The chance of an offer per interview by true quality "
    "(percentile of the applicant pool).",
    "margins": "How far the winner led the runner-up: many decisions are won by a hair.",
    "seasonality": "How often a role is cancelled, by the quarter it was posted in.",
    "felt_vs_actual": "How the interview felt against how it went: a good interview, the best "
    "of the slate, an offer.",
    "job_search": "Your chance of at least one offer after N interviews, at three levels of "
    "ability (`simfunnel you`).",
    "career_changer": "Why a median candidate with little directly aligned experience (a "
    "career changer, alignment 0.2) gets no offer (`simfunnel you --alignment 0.2 --out`).",
    "sources": "How often an applicant is hired by where they came from, calibrated to "
    "Lever's 2016 benchmarks (`simfunnel sources referrals`).",
    "risk_tradeoff": "What a manager's fear of a wrong hire does to the value of hires, bad "
    "hires, internal wins and the truly best candidate (`simfunnel sweep`).",
    "tornado": "Which assumptions move the offer rate of good interviews most, each moved "
    "alone (`simfunnel sensitivity`).",
    "time_to_fill": "Days from posting to the first accepted offer, with the median and the "
    "80th percentile.",
    "benchmarks": "The baseline against published figures: each band, and the simulated "
    "value with its 95% CI (`simfunnel validate --benchmarks`).",
    "compare": "Other scenarios against the baseline on the same simulated openings, with "
    "paired 95% CIs (`simfunnel compare`).",
}
"""One sentence per chart on what it shows, for the gallery page (the title states the
finding, computed from the data)."""


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: the config's seed")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--only", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument(
        "--gallery", type=Path, default=None, help="gallery page (default: <out>/gallery.md)"
    )
    args = parser.parse_args(argv)
    written = []
    findings: dict[str, str] = {}  # chart file stem -> the finding its title states

    scenario = sf.load_scenario(CONFIGS / "baseline.yaml")
    seed = scenario.seed if args.seed is None else args.seed
    if "run" in args.only:
        result = sf.simulate(scenario, openings=args.openings, seed=seed, workers=None)
        written += charts.render_all(result, args.out, formats=("png",))
        findings.update(
            {name: RUN_OUTPUTS[name](result).finding for name in charts.supported_charts(result)}
        )
        written += charts.save_chart(benchmarks, result, args.out / "benchmarks")
        findings["benchmarks"] = Benchmarks.from_result(result).finding
    if "job_search" in args.only:
        written += _job_search(scenario, seed, args.out, findings)
    if "career_changer" in args.only:
        changer = sf.you(scenario, 50, alignment=0.2, openings=YOU_OPENINGS, seed=seed)
        reasons = LossReasons.from_you(changer)
        written += charts.save_chart(plot_output, reasons, args.out / "career_changer")
        findings["career_changer"] = reasons.finding
    if "risk_tradeoff" in args.only:
        written += _risk_tradeoff(scenario, seed, args.out, findings)
    if "tornado" in args.only:
        sensitivity = sf.sensitivity(scenario, openings=SENSITIVITY_OPENINGS, seed=seed)
        written += charts.save_chart(charts.tornado, sensitivity, args.out / "tornado")
        findings["tornado"] = Sensitivity.from_table(sensitivity).finding
    if "compare" in args.only:
        scenarios = [sf.load_scenario(CONFIGS / f"{name}.yaml") for name in COMPARED]
        comparison = sf.compare(scenarios, args.openings, seed, workers=None)
        written += charts.save_chart(charts.compare, comparison, args.out / "compare")
        findings["compare"] = Differences.from_comparison(comparison).finding
    if "sources" in args.only:
        table = source_table(sf.load_scenario("referrals"), SOURCES_OPENINGS)
        written += charts.save_chart(plot_output, table, args.out / "sources")
        findings["sources"] = table.finding
    gallery = args.gallery or args.out / "gallery.md"
    gallery.write_text(gallery_markdown(findings, args.openings, seed), encoding="utf-8")
    written.append(gallery)

    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return written


def gallery_markdown(findings: dict[str, str], openings: int, seed: int) -> str:
    """The gallery page: each chart under the finding its title states."""
    lines = [
        "# Chart gallery",
        "",
        "Every chart simfunnel draws, from runs of the shipped configs (baseline: "
        f"{openings:,} openings, seed {seed}). Each title states the finding, computed from the "
        "data; the same sentence is the slide title in `simfunnel deck`. Generated with the "
        "images by `scripts/make_docs_charts.py`.",
    ]
    for stem, finding in findings.items():
        caption = CAPTIONS.get(stem, "")
        lines += ["", f"## {finding}", "", caption, "", f"![{finding}]({stem}.png)"]
    return "\n".join(lines) + "\n"


def _job_search(
    scenario: sf.Scenario, seed: int, out: Path, findings: dict[str, str]
) -> list[Path]:
    searches = [
        sf.you(scenario, p, openings=YOU_OPENINGS, interviews=15, seed=seed) for p in (50, 90, 99)
    ]
    findings["job_search"] = JobSearch.from_you(searches).finding
    return charts.save_chart(charts.job_search, searches, out / "job_search")


def _risk_tradeoff(
    scenario: sf.Scenario, seed: int, out: Path, findings: dict[str, str]
) -> list[Path]:
    risk = sf.sweep(
        scenario,
        {charts.RISK_AVERSION: [float(v) for v in np.linspace(0, 3, 7)]},
        SWEEP_OPENINGS,
        seed,
        metrics=list(charts.RISK_TRADEOFF_METRICS),
    )
    findings["risk_tradeoff"] = RiskTradeoff.from_table(risk).finding
    return charts.save_chart(charts.risk_tradeoff, risk, out / "risk_tradeoff")


if __name__ == "__main__":
    main()
