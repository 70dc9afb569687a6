"""Plain words for names that are not metrics: funnel stages, scenario keys, ordinals."""

from __future__ import annotations

import math

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


def ordinal(value: float) -> str:
    """``1st``, ``22nd``, ``99.9th``: whole numbers get their suffix, others ``th``."""
    if not math.isclose(value, round(value)):
        return f"{value:g}th"
    number = round(value)
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"
