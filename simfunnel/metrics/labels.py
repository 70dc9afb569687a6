"""Plain words for names that are not metrics: funnel stages, scenario keys, ordinals."""

from __future__ import annotations

import math
import re
from typing import Any

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


BETTER: dict[str, int] = {
    "offer_rate_interviewed": 1,
    "top_interview_offer_rate": 1,
    "good_interview_offer_rate": 1,
    "best_interviewee_hired_rate": 1,
    "hire_rate": 1,
    "mean_hire_value": 1,
    "cancel_rate": -1,
    "bad_hire_rate": -1,
    "internal_win_rate": 0,
    "microscopic_margin_rate": 0,
}
"""Which way a metric is better: +1 higher, -1 lower, 0 neither (a share of internal
wins or of close calls is neither good nor bad in itself). Charts that show a change
colour it by this."""


KEY_ENDS: dict[str, tuple[str, str]] = {
    "interview.validity": ("weak interviews", "strong interviews"),
    "interview.rounds": ("few rounds", "many rounds"),
    "interview.presence_share": ("substance counts", "charm counts"),
    "screening.validity": ("rough CV screen", "sharp CV screen"),
    "screening.shortlist": ("short shortlist", "long shortlist"),
    "internal.probability": ("internals rare", "internals common"),
    "internal.quality_sd": ("internals alike", "internals vary"),
    "manager.risk_aversion": ("a bold manager", "a cautious manager"),
    "manager.affinity_weight": ("an impartial manager", "a manager who hires look-alikes"),
    "manager.niche_value": ("niche ignored", "niche prized"),
    "manager.narrative_weight": ("story ignored", "story prized"),
    "offers.decline_probability": ("few declines", "many declines"),
    "role.cancel_probability": ("few freezes", "many freezes"),
    "withdrawal.weekly_hazard": ("candidates wait", "candidates leave fast"),
}
"""What the low and high end of a key mean in words, for bar ends and headlines
("weak interviews" / "strong interviews"); :func:`key_end` falls back to low / high."""


def key_end(key: str, high: bool) -> str:
    """The words for one end of ``key``'s range: ``key_end("interview.validity", True)``
    -> ``"strong interviews"``; ``"high"`` / ``"low"`` for a key without its own words."""
    words = KEY_ENDS.get(key)
    return words[int(high)] if words else ("high" if high else "low")


def key_label(key: str) -> str:
    """The plain label of a scenario key; the last part of the key, humanised, otherwise."""
    return KEY_LABELS.get(key) or key.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def setting_value(value: Any) -> str:
    """A setting's value as a speaker says it: ``0.41`` (not ``0.4100000000000001``),
    ``3``, ``10,000,000``, ``1: 65%``-style mappings as ``1: 0.65, 2: 0.35``.

    Numbers keep three significant digits (whole numbers of 1,000 or more are written
    whole, with thousands separators); text that is a number is read as one.
    """
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return value
        return setting_value(int(number) if number.is_integer() and "." not in value else number)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) >= 1_000:
            return f"{value:,.0f}"
        if value == 0:
            return "0"
        digits = max(0, 2 - math.floor(math.log10(abs(value))))
        return f"{round(value, digits):g}" if abs(value) < 1_000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{setting_value(k)}: {setting_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(setting_value(v) for v in value)
    if hasattr(value, "low") and hasattr(value, "high"):
        return f"{setting_value(value.low)}–{setting_value(value.high)}"
    return "none" if value is None else str(value)


def setting(key: str, value: Any) -> str:
    """One setting in plain words with its value rounded:
    ``setting("interview.validity", 0.4100000000000001)`` ->
    ``"how well one interview round measures ability: 0.41"``.

    The one formatter of a changed setting: scenario names with overrides, the app's
    subtitle, chart notes and the deck all show settings with it (never a raw key).
    """
    text = key_label(key)
    if not text[1:2].isupper():  # keep "CV ..." but lower "Manager's ..." mid-sentence
        text = text[:1].lower() + text[1:]
    return f"{text}: {setting_value(value)}"


# ``base (key=value, key=value)``, as simfunnel.model.names.override_label writes it.
_OVERRIDES = re.compile(r"^(?P<base>.*?) \((?P<body>[A-Za-z_][\w.]*=.*)\)$")
_ONE_OVERRIDE = re.compile(r"(?:^|, )([A-Za-z_][\w.]*)=")


def scenario_label(name: str, noun: str = "") -> str:
    """A scenario's name in plain words, for a chart, a slide or the app.

    ``risk_averse_manager`` -> ``risk averse manager``; a name that overrides made,
    ``baseline (interview.validity=0.4100000000000001, manager.risk_aversion=3)`` ->
    ``baseline with how well one interview round measures ability: 0.41; manager's fear
    of a wrong hire: 3`` (each setting as :func:`setting` writes it). ``noun`` goes
    after the base name: ``noun="scenario"`` gives ``baseline scenario with ...``.
    """
    noun = f" {noun}" if noun else ""
    found = _OVERRIDES.match(name)
    if not found:
        return name.replace("_", " ").strip() + noun
    body = found["body"]
    starts = list(_ONE_OVERRIDE.finditer(body))
    settings = []
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        key, value = start.group(1), body[start.end() : end]
        settings.append(setting(key, value) if key != "name" else value)
    base = found["base"].replace("_", " ").strip()
    return f"{base}{noun} with {'; '.join(settings)}"


def ordinal(value: float) -> str:
    """``1st``, ``22nd``, ``99.9th``: whole numbers get their suffix, others ``th``."""
    if not math.isclose(value, round(value)):
        return f"{value:g}th"
    number = round(value)
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number % 10, 'th') }"


def applicant_percentile(value: float) -> str:
    """A value in SDs of applicant quality as the percentile of the applicant pool it
    equals (quality is standard normal among applicants, docs/MODEL.md): 1.19 -> "88th"."""
    from scipy.special import ndtr

    if not math.isfinite(value):
        return "n/a"
    return ordinal(
        min(99.9, max(0.1, round(100 * float(ndtr(value)), 1 if abs(value) > 2.3 else 0)))
    )


def hire_value_words(value: float, money_per_sd: float | None, currency: str = "$") -> str:
    """A mean hire value (SDs of quality) for a lay reader, never in "SD": money where
    the scenario sets a salary (``value.money_per_sd``: ``$41,300``), else the applicant
    it equals (``the 88th-percentile applicant``)."""
    if money_per_sd is not None:
        return money_words(value * money_per_sd, currency)
    return f"the {applicant_percentile(value)}-percentile applicant"


def money_words(amount: float, currency: str = "$") -> str:
    """``$41,300``, ``-$2,000``: whole money, three significant digits from 1,000 on."""
    if not math.isfinite(amount):
        return "n/a"
    rounded = float(f"{abs(amount):.3g}") if abs(amount) >= 1_000 else round(abs(amount))
    return f"{'-' if amount < 0 else ''}{currency}{rounded:,.0f}"
