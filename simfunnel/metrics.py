"""What every reported number is: the one registry of metrics, loss reasons and methods.

The summary, the terminal report, every chart, the CLI and the glossary
(``docs/glossary.md``) read names, plain-language labels, definitions and units
from here, so a metric is called the same everywhere and is defined once.

    simfunnel metrics               # the registry as a table (or: python -m simfunnel metrics)
    simfunnel metrics --markdown    # the glossary page, docs/glossary.md
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from typing import Literal

Unit = Literal["share", "per_opening", "sd", "days", "money"]


@dataclass(frozen=True)
class Metric:
    """One summary metric: a ratio of per-opening totals.

    Attributes
    ----------
    name : str
        The key in tables, CSV files and the API.
    label : str
        Plain words for slides and terminal tables (no jargon).
    definition : str
        One sentence, naming what is counted and among whom (the denominator).
    unit : {"share", "per_opening", "sd", "days", "money"}
        A share (shown in %), a count per opening, standard deviations of quality,
        days, or money (the scenario's ``value.currency``).
    short : str
        A label of at most 22 characters, for narrow table columns.
    headline : bool
        Printed by ``simfunnel run`` and ``compare``.
    attribution : bool
        Needs loss attribution (the slower replays of the decision).
    benchmark : str
        A published figure to compare with, if any.
    """

    name: str
    label: str
    definition: str
    unit: Unit = "share"
    short: str = ""
    headline: bool = False
    attribution: bool = False
    benchmark: str = ""

    @property
    def is_share(self) -> bool:
        return self.unit == "share"

    def format(self, value: float, digits: int = 1) -> str:
        """``20.6%``, ``7.29`` or ``1.05 SD``; ``n/a`` where the metric has no denominator."""
        if value != value:
            return "n/a"
        if self.is_share:
            return f"{100 * value:.{digits}f}%"
        if self.unit == "days":
            return f"{value:.1f} days"
        if self.unit == "money":
            return f"{value:,.0f}"
        return f"{value:.2f}" + (" SD" if self.unit == "sd" else "")

    def format_interval(self, low: float, high: float) -> str:
        if low != low or high != high:
            return ""
        if self.is_share:
            return f"{100 * low:.1f}–{100 * high:.1f}%"
        if self.unit == "days":
            return f"{low:.1f}–{high:.1f}"
        if self.unit == "money":
            return f"{low:,.0f}–{high:,.0f}"
        return f"{low:.2f}–{high:.2f}"

    def format_difference(self, value: float) -> str:
        """A difference: ``+1.23 pp`` for shares; never ``-0.00``."""
        scale, unit = (100, " pp") if self.is_share else (1, _UNIT_SUFFIX.get(self.unit, ""))
        text = f"{scale * value:+,.0f}" if self.unit == "money" else f"{scale * value:+.2f}"
        if float(text) == 0:
            text = "±0.00"
        return text + unit

    @property
    def axis_label(self) -> str:
        return f"{self.label} (SD of quality)" if self.unit == "sd" else self.label


_UNIT_SUFFIX = {"sd": " SD", "days": " days"}


def _m(*args, **kwargs) -> tuple[str, Metric]:
    metric = Metric(*args, **kwargs)
    if not metric.short:
        object.__setattr__(metric, "short", metric.label[:22])
    return metric.name, metric


METRICS: dict[str, Metric] = dict(
    [
        _m(
            "applicants_per_opening",
            "Applicants per opening",
            "Applications received per opening, all openings.",
            "per_opening",
            short="applicants",
        ),
        _m(
            "shortlisted_per_opening",
            "Shortlisted per opening",
            "Candidates on the interview slate (shortlist plus any internal), all openings.",
            "per_opening",
            short="shortlisted",
        ),
        _m(
            "interviewed_per_opening",
            "Interviewees per opening that interviewed",
            "Candidates interviewed, among openings that reached interviews.",
            "per_opening",
            short="interviewed",
        ),
        _m(
            "interviewees_per_opening",
            "Interviewees per opening",
            "Candidates interviewed per opening, all openings (0 if cancelled before).",
            "per_opening",
            short="interviewees",
        ),
        _m(
            "offer_rate_interviewed",
            "Offer rate of interviewees",
            "Offers made (declined ones too) divided by candidates interviewed.",
            short="offer rate",
            headline=True,
            benchmark="15-25% typical; Jobvite: 17-28% of interviews lead to an offer",
        ),
        _m(
            "offer_rate_per_opening_mean",
            "Mean offer rate per opening",
            "The offer rate of each opening that reached interviews, averaged over them.",
            short="offer rate/opening",
        ),
        _m(
            "offers_per_opening",
            "Offers per opening",
            "Offers made per opening, all openings.",
            "per_opening",
            short="offers",
        ),
        _m(
            "hire_rate",
            "Openings that end in a hire",
            "Openings that ended with at least one accepted offer, among all openings.",
            short="hired",
            headline=True,
        ),
        _m(
            "hires_per_opening",
            "Hires per opening",
            "Accepted offers per opening, all openings.",
            "per_opening",
            short="hires",
        ),
        _m(
            "cancel_rate",
            "Openings cancelled",
            "Openings cancelled at any stage, among all openings.",
            short="cancelled",
            headline=True,
        ),
        _m(
            "cancel_before_interviews_rate",
            "Cancelled before interviews ended",
            "Openings cancelled before final interviews ended, among all openings.",
            short="cancelled before",
        ),
        _m(
            "cancel_after_interviews_rate",
            "Cancelled after final interviews",
            "Openings cancelled after final interviews (everyone interviewed loses), "
            "among all openings.",
            short="cancelled after",
            headline=True,
        ),
        _m(
            "paused_rate",
            "Openings paused after final interviews",
            "Openings frozen after final interviews and later resumed, among all openings.",
            short="paused",
        ),
        *(
            _m(
                f"cancel_rate_q{q}",
                f"Cancelled, posted in Q{q}",
                f"Openings cancelled, among openings posted in quarter {q}.",
                short=f"cancelled, Q{q}",
            )
            for q in range(1, 5)
        ),
        _m(
            "withdrawal_rate",
            "Candidates who took another job first",
            "External candidates on the interview slate who withdrew before the decision, "
            "among those on the slate of openings that reached interviews.",
            short="withdrew",
        ),
        _m(
            "offer_acceptance_rate",
            "Offers accepted",
            "Accepted offers divided by offers made (internals included).",
            short="offers accepted",
            headline=True,
            benchmark="PwC Saratoga 2022: 84%; Jobvite: 88-90%; Glassdoor: 82.7%",
        ),
        _m(
            "external_acceptance_rate",
            "Offers accepted by external candidates",
            "Accepted offers divided by offers made, external candidates only.",
            short="external accepted",
        ),
        _m(
            "days_to_fill",
            "Days to fill",
            "Days from posting to the first accepted offer, among openings that hired.",
            "days",
            short="days to fill",
            headline=True,
            benchmark="SHRM: 36-42 days to fill; Jobvite: 38-41 days to hire",
        ),
        _m(
            "wait_days",
            "Days a candidate waits for an answer",
            "Days from the end of final interviews to the candidate's answer (an offer, a "
            "rejection or the cancellation), among interviewees still in the race.",
            "days",
            short="wait for answer",
        ),
        _m(
            "internal_present_rate",
            "Openings with an internal contender",
            "Openings whose interview slate includes an internal candidate.",
            short="internal present",
        ),
        _m(
            "internal_win_rate",
            "Internal win rate (when present)",
            "Openings where the internal was hired, among openings with an internal "
            "contender and a hire.",
            short="internal wins",
            headline=True,
        ),
        _m(
            "internal_share_of_hires",
            "Internal share of hires",
            "Internal hires divided by all hires.",
            short="internal hires",
            headline=True,
            benchmark="LinkedIn: 17-20% of hires are internal",
        ),
        _m(
            "best_interviewee_hired_rate",
            "Truly best interviewee hired",
            "Openings whose hires include the interviewee of highest true quality, among "
            "openings that hired.",
            short="truly best hired",
            headline=True,
        ),
        _m(
            "top_interview_offer_rate",
            "Offer rate of the best interview",
            "Openings where the highest interview score got an offer, among openings that "
            "reached interviews.",
            short="best interview: offer",
            headline=True,
        ),
        _m(
            "good_interview_offer_rate",
            "Offer rate of good interviews",
            "Offers among interviewees with a good interview (a score in the top "
            "analysis.good_interview_top_share, 30% by default, of the scenario's reference "
            "sample).",
            short="good interview: offer",
            headline=True,
        ),
        _m(
            "felt_great_offer_rate",
            "Offer rate of those who felt great",
            "Offers among interviewees whose own impression reached the good-interview score.",
            short="felt great: offer",
            headline=True,
        ),
        _m(
            "felt_great_no_offer_rate",
            "No offer despite feeling great",
            "Interviewees without an offer, among those who felt great.",
            short="felt great: no offer",
        ),
        _m(
            "good_interview_share",
            "Interviewees with a good interview",
            "Interviewees whose score is at or above the good-interview threshold, among "
            "all interviewees.",
            short="good interviews",
        ),
        _m(
            "felt_great_share",
            "Interviewees who felt great",
            "Interviewees whose own impression is at or above the good-interview threshold, "
            "among all interviewees.",
            short="felt great",
        ),
        _m(
            "microscopic_margin_rate",
            "Decided by a microscopic margin",
            "Decided openings where the last person offered beat the best interviewee "
            "without an offer by less than analysis.narrow_margin (0.05 of an SD of the "
            "manager's score by default).",
            short="microscopic margin",
            headline=True,
        ),
        _m(
            "loser_better_quality_rate",
            "Good losers truly better than the winner",
            "Good interviews without an offer where the loser's true quality beat the "
            "hire's, among good losers in openings that hired.",
            short="loser truly better",
            headline=True,
            attribution=True,
        ),
        _m(
            "mean_hire_value",
            "Mean value of a hire",
            "Mean realised value of hires, in standard deviations of applicant quality.",
            "sd",
            short="hire value",
            headline=True,
        ),
        _m(
            "money_per_hire",
            "Money value of a hire",
            "Mean realised value of hires over a random applicant, in money: SD of yearly "
            "performance (value.sd_y) x years of tenure, discounted (Brogden-Cronbach-Gleser). "
            "Only where value.salary is set.",
            "money",
            short="value of a hire",
            headline=True,
        ),
        _m(
            "bad_hire_rate",
            "Bad-hire rate",
            "Hires whose realised value is below the bad-hire threshold, among all hires.",
            short="bad hires",
            headline=True,
        ),
    ]
)

HEADLINE: tuple[str, ...] = tuple(name for name, metric in METRICS.items() if metric.headline)
ATTRIBUTION_METRICS: tuple[str, ...] = tuple(
    name for name, metric in METRICS.items() if metric.attribution
)
SWEEP_METRICS: tuple[str, ...] = (
    "offer_rate_interviewed",
    "good_interview_offer_rate",
    "internal_win_rate",
    "best_interviewee_hired_rate",
    "mean_hire_value",
    "bad_hire_rate",
    "hire_rate",
)
"""What a sweep over every metric prints and draws: the story's headline metrics."""


@dataclass(frozen=True)
class Benchmark:
    """A published figure the baseline should reproduce, and its band.

    ``metric`` is a summary metric, or ``"composite_validity"`` (a property of the
    scenario's interview, not a simulated rate).
    """

    metric: str
    label: str
    low: float
    high: float
    source: str


BENCHMARKS: tuple[Benchmark, ...] = (
    Benchmark(
        "applicants_per_opening",
        "Applicants per opening",
        100,
        250,
        "Project premise 100-250; Glassdoor (2015): about 250 per corporate opening",
    ),
    Benchmark(
        "offer_rate_interviewed",
        "Interviews that lead to an offer",
        0.17,
        0.28,
        "Jobvite Recruiting Benchmark Reports 2015-2017: 17-28%",
    ),
    Benchmark(
        "offer_rate_interviewed",
        "Interviews that lead to an offer (commonly quoted)",
        0.15,
        0.25,
        "Commonly quoted recruiting rule of thumb: 15-25%",
    ),
    Benchmark(
        "offer_acceptance_rate",
        "Offers accepted",
        0.83,
        0.90,
        "PwC Saratoga 2022: 84%; Jobvite: 88-90%; Glassdoor: 82.7%",
    ),
    Benchmark(
        "internal_share_of_hires",
        "Internal share of hires",
        0.17,
        0.20,
        "LinkedIn Global Talent Trends 2019-2020: 17-20%",
    ),
    Benchmark(
        "days_to_fill",
        "Days to fill",
        36,
        44,
        "SHRM: 36-42 days to fill; Jobvite: 38-41 days to hire",
    ),
    Benchmark(
        "composite_validity",
        "Validity of the whole interview process",
        0.19,
        0.25,
        "Sackett et al. (2022): unstructured interviews .19 (structured .42)",
    ),
)
"""Published figures with their bands: ``simfunnel validate --benchmarks`` and the README."""


@dataclass(frozen=True)
class Reason:
    """Why a good interview got no offer (MODEL.md section 3)."""

    name: str
    label: str
    definition: str


LOSS_REASONS: dict[str, Reason] = {
    r.name: r
    for r in (
        Reason(
            "role_cancelled",
            "Role cancelled",
            "The role was cancelled or frozen after final interviews.",
        ),
        Reason(
            "role_paused",
            "Role paused too long",
            "The role was paused after final interviews; by the time it resumed they had "
            "taken another job.",
        ),
        Reason(
            "internal_candidate",
            "Internal candidate",
            "An internal contender, whom the manager had watched at work, was preferred.",
        ),
        Reason(
            "safer_candidate",
            "Safer candidate",
            "A risk-averse manager preferred a candidate who looked less uncertain.",
        ),
        Reason(
            "culture_mirror",
            "Culture mirror",
            "The manager favoured someone more like themselves (adds no value).",
        ),
        Reason(
            "niche_fit",
            "Niche fit / narrative",
            "Another candidate had the niche experience or a cleaner career story.",
        ),
        Reason(
            "withdrew",
            "Took another job first",
            "They withdrew before the decision, pause or not: another employer was faster.",
        ),
        Reason(
            "narrow_margin",
            "Narrow margin",
            "With every mechanism removed they still trailed, by less than the narrow margin.",
        ),
        Reason(
            "outperformed",
            "Outperformed",
            "With every mechanism removed they still trailed clearly: others did better.",
        ),
    )
}

METHODS: dict[str, str] = {
    "sequential": "Sequential (removed in order)",
    "shapley": "Shapley (order-free)",
    "removed_alone": "Removed alone",
}
"""Loss-attribution methods and their labels (definitions in :data:`METHOD_DEFINITIONS`)."""

METHOD_DEFINITIONS: dict[str, str] = {
    "sequential": "Mechanisms are removed one at a time in a fixed order; the first removal "
    "that gives the loser an offer is the reason. Shares sum to 100%.",
    "shapley": "Each mechanism's average contribution over every order of removal "
    "(Shapley values). Shares sum to 100%.",
    "removed_alone": "The share of good losers who would get an offer if only that mechanism "
    "were removed. Not a change in the offer rate: others may then lose instead.",
}

STAGES: dict[str, str] = {
    "applicants": "Applicants",
    "shortlisted": "Shortlisted",
    "interviewed": "Interviewed",
    "offers": "Offers",
    "hires": "Hires",
}


KEY_LABELS: dict[str, str] = {
    "role.process_weeks": "Weeks from posting to decision",
    "role.interview_at": "When final interviews end (share of the process)",
    "role.cancel_probability": "Chance the role is frozen",
    "role.pause_share": "Share of late freezes that are pauses",
    "role.pause_weeks": "Weeks a paused role waits",
    "role.quarter_multipliers": "Cancellation risk by quarter",
    "role.positions": "Positions per opening",
    "role.freeze_correlation": "How much hiring freezes hit several roles at once",
    "applicants.count": "Applicants per opening",
    "applicants.niche_share": "Applicants with the niche experience",
    "screening.validity": "How well CV screening spots ability",
    "screening.alignment_weight": "Weight of keyword match in CV screening",
    "screening.niche_weight": "Weight of niche experience in CV screening",
    "screening.shortlist": "Candidates interviewed per opening",
    "internal.probability": "Chance of an internal contender",
    "internal.quality_mean": "Internal contender's ability",
    "internal.quality_sd": "Spread of internal contenders' ability",
    "internal.alignment": "Internal contender's fit to the role",
    "internal.culture": "Internal contender's likeness to the manager",
    "internal.narrative": "Internal contender's story clarity",
    "internal.known_precision": "How well the manager knows the internal's work",
    "interview.rounds": "Interview rounds",
    "interview.validity": "How well one interview round measures ability",
    "interview.presence_share": "Weight of charm and polish in interview scores",
    "interview.presence_quality_correlation": "How much charm goes with ability",
    "interview.self_assessment.bias": "Candidates' optimism about their interview",
    "interview.self_assessment.noise": "Noise in candidates' sense of their interview",
    "manager.risk_aversion": "Manager's fear of a wrong hire",
    "manager.affinity_weight": "Manager's bias toward people like them",
    "manager.narrative_weight": "Weight of a clean career story",
    "manager.niche_value": "Value of niche experience",
    "manager.onboarding_cost": "Cost of onboarding a poor fit",
    "manager.transfer_risk": "Doubt about skills transferring",
    "manager.hiring_bar": "Manager's hiring bar",
    "analysis.good_interview_top_share": "What counts as a good interview (top share of scores)",
    "analysis.narrow_margin": "What counts as a microscopic margin",
    "analysis.bad_hire_threshold": "What counts as a bad hire",
    "offers.decline_probability": "Chance an offer is declined",
    "offers.internal_decline_probability": "Chance an internal declines",
    "offers.max_offers": "Most offers per opening",
    "offers.decline_quality_slope": "How much more often strong candidates decline",
    "offers.days_to_answer": "Days to answer an offer",
    "withdrawal.weekly_hazard": "Weekly chance a candidate takes another job",
    "withdrawal.quality_slope": "How much sooner strong candidates leave",
    "value.salary": "Salary",
    "value.sd_y": "Spread of yearly performance in money",
    "value.tenure_years": "Years a hire stays",
    "value.discount_rate": "Discount rate",
    "pipeline.recontact_probability": "Chance a runner-up is re-approached",
}
"""Plain-language labels of scenario keys, for charts (definitions: ``simfunnel keys``)."""


def key_label(key: str) -> str:
    """The plain label of a scenario key; the last part of the key, humanised, otherwise."""
    return KEY_LABELS.get(key) or key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def metric(name: str) -> Metric:
    """The registry entry of ``name``; a clear error naming the valid ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(f"unknown metric '{name}'; choose from {', '.join(METRICS)}") from None


def label(name: str) -> str:
    """Plain-language label of a metric (or the name, humanised, if it is not one)."""
    entry = METRICS.get(name)
    return entry.label if entry else name.replace("_", " ").capitalize()


def ordinal(value: float) -> str:
    """``1st``, ``22nd``, ``99.9th``: whole numbers get their suffix, others ``th``."""
    if not math.isclose(value, round(value)):
        return f"{value:g}th"
    number = round(value)
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def glossary_markdown() -> str:
    """The glossary page: every metric, loss reason and method, defined once."""
    lines = [
        "# Glossary",
        "",
        "Generated from `simfunnel/metrics.py` by `simfunnel metrics --markdown`.",
        "Every rate is a ratio of totals over simulated openings, with a 95% confidence",
        "interval that treats openings (not candidates) as the independent units.",
        "",
        "## Metrics",
        "",
        "| Metric | Label | Definition | Unit | Published figure |",
        "|---|---|---|---|---|",
    ]
    units = {
        "share": "%",
        "per_opening": "per opening",
        "sd": "SD of quality",
        "days": "days",
        "money": "money",
    }
    for entry in METRICS.values():
        lines.append(
            f"| `{entry.name}` | {entry.label} | {entry.definition} | {units[entry.unit]} | "
            f"{entry.benchmark} |"
        )
    table_head = ["| Name | Label | Definition |", "|---|---|---|"]
    lines += ["", "## Why good interviews lose", "", *table_head]
    lines += [f"| `{r.name}` | {r.label} | {r.definition} |" for r in LOSS_REASONS.values()]
    lines += ["", "## Attribution methods", "", *table_head]
    lines += [f"| `{k}` | {METHODS[k]} | {METHOD_DEFINITIONS[k]} |" for k in METHODS]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simfunnel metrics", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print the glossary page")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(glossary_markdown())
        return 0
    width = max(len(name) for name in METRICS)
    print(f"{'metric':<{width}}  {'unit':<11}  label")
    for entry in METRICS.values():
        flags = " (headline)" if entry.headline else ""
        print(f"{entry.name:<{width}}  {entry.unit:<11}  {entry.label}{flags}")
    print(f"\n{'reason':<{width}}  label")
    for reason in LOSS_REASONS.values():
        print(f"{reason.name:<{width}}  {reason.label}")
    return 0
