"""The sections of a scenario: calendar and freezes, applicants, screening, the internal
contender, interviews, the manager, offers, withdrawals, money, analysis, pipelines.

Each is a frozen, validated model whose every key has a description, a unit where it
has one, a default (cited, or marked ASSUMPTION) and a valid range; the
:class:`~simfunnel.model.scenario.Scenario` holds one of each.
"""

from __future__ import annotations

import difflib
import math
from typing import Literal

from pydantic import field_validator, model_validator

from simfunnel.errors import InputError
from simfunnel.model.fields import Float, Int, IntRange, OptionalFloat
from simfunnel.model.fields import Section as _Section
from simfunnel.model.fields import field as _field
from simfunnel.model.interview import measurement
from simfunnel.model.names import excerpt, is_control, key_text

LATENT_NAMES = ("quality", "alignment", "culture", "narrative", "niche")
MAX_DESCRIPTION_CHARS = 300
MAX_PROCESS_WEEKS = 260  # 5 years: longer is not a hiring process
MAX_APPLICANTS = 10_000_000  # the exact sampler is tested to about 1e7


class Role(_Section):
    process_weeks: IntRange = _field(
        IntRange(low=3, high=7),
        "weeks from posting to decision, drawn uniformly (3-7: calibrated so time to fill is "
        "36-42 days, SHRM; "
        f"high at most {MAX_PROCESS_WEEKS}, 5 years)",
    )
    interview_at: Float = _field(
        0.7, "fraction of the process after which final interviews end", gt=0, le=1
    )
    posting_month_weights: tuple[Float, ...] | None = _field(
        None, "12 non-negative weights for the posting month, January first; null = uniform"
    )
    cancel_probability: Float = _field(
        0.10,
        "share of openings hit by a freeze before a decision (assumption: no published rate); "
        "before final interviews end a freeze cancels, after them role.pause_share of freezes "
        "are pauses",
        ge=0,
        lt=1,
    )
    pause_share: Float = _field(
        0.5,
        "share of freezes after final interviews that pause the role instead of cancelling "
        "it (assumption)",
        ge=0,
        le=1,
    )
    pause_weeks: IntRange = _field(
        IntRange(low=2, high=8),
        "weeks a paused role waits before the decision resumes, drawn uniformly (assumption)",
    )
    quarter_multipliers: tuple[Float, Float, Float, Float] = _field(
        (1.3, 0.8, 0.7, 1.2),
        "relative weekly cancellation hazard in Q1..Q4 (scaled to mean 1)",
    )
    positions: dict[Int, Float] = _field(
        {1: 0.65, 2: 0.25, 3: 0.10},
        "distribution of positions per opening (categorical; assumption: many requisitions hire "
        "more than one person)",
    )
    freeze_correlation: Float = _field(
        0.25,
        "0..1: how much openings in the same quarter share one freeze shock (used by `you`)",
        ge=0,
        le=1,
    )

    @field_validator("process_weeks", "pause_weeks")
    @classmethod
    def _weeks(cls, v: IntRange) -> IntRange:
        if v.high > MAX_PROCESS_WEEKS:
            raise ValueError(
                f"high must be at most {MAX_PROCESS_WEEKS} weeks (5 years), got {v.high}"
            )
        return v

    @field_validator("posting_month_weights")
    @classmethod
    def _twelve_months(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if len(v) != 12:
            raise ValueError(f"needs 12 weights (January first), got {len(v)}")
        if min(v) < 0 or sum(v) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return v

    @field_validator("quarter_multipliers")
    @classmethod
    def _quarters(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if min(v) < 0 or sum(v) <= 0:
            raise ValueError(f"multipliers must be >= 0 with a positive sum, got {list(v)}")
        return v

    @field_validator("positions")
    @classmethod
    def _positions(cls, v: dict[int, float]) -> dict[int, float]:
        if not v or min(v) < 1 or max(v) > 20:
            raise ValueError("positions must be whole numbers from 1 to 20")
        if min(v.values()) < 0 or not math.isclose(sum(v.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"probabilities must be >= 0 and sum to 1, got {sum(v.values()):g}")
        return dict(sorted(v.items()))


class Applicants(_Section):
    count: IntRange = _field(
        IntRange(low=100, high=250),
        f"applicants per opening (typical 100-250; high at most {MAX_APPLICANTS:,})",
    )
    correlations: dict[str, Float] = _field(
        {"quality~alignment": 0.3, "alignment~narrative": 0.4, "alignment~niche": 0.3},
        "pairwise correlations of the latent traits, e.g. 'quality~alignment: 0.3'; "
        f"names: {', '.join(LATENT_NAMES)}",
    )
    niche_share: Float = _field(
        0.15, "share of applicants with the niche experience the role quietly wants", ge=0, le=1
    )

    @field_validator("count")
    @classmethod
    def _count(cls, v: IntRange) -> IntRange:
        if v.high > MAX_APPLICANTS:
            raise ValueError(f"high must be at most {MAX_APPLICANTS:,}, got {v.high:,}")
        return v

    @field_validator("correlations")
    @classmethod
    def _pairs(cls, v: dict[str, float]) -> dict[str, float]:
        seen: dict[frozenset[str], str] = {}
        for key, value in v.items():
            names = key.split("~")
            if len(names) != 2 or any(n not in LATENT_NAMES for n in names) or names[0] == names[1]:
                shown = key_text(key)
                hint = difflib.get_close_matches(key, _all_pairs(), n=1) if shown else []
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                raise ValueError(
                    f"{shown or excerpt(key)} is not a pair 'a~b' of {', '.join(LATENT_NAMES)}"
                    f"{suggestion}"
                )
            pair = frozenset(names)
            if pair in seen:
                first = seen[pair]
                raise InputError(
                    f"applicants.correlations: '{first}' and '{key}' are the same pair given "
                    f"twice ({v[first]:g} and {value:g}); give each pair once",
                    path=f"applicants.correlations.{key}",
                )
            seen[pair] = key
            if not -1 < value < 1:
                raise ValueError(f"'{key}' must be in (-1, 1), got {value}")
        return v


def _all_pairs() -> list[str]:
    return [f"{a}~{b}" for a in LATENT_NAMES for b in LATENT_NAMES if a != b]


class Screening(_Section):
    validity: Float = _field(
        0.3,
        "weight of true quality in the CV score; its correlation with quality when the other "
        "weights are 0 (work-sample-free CV screens ~.1-.3: Sackett et al. 2022)",
        ge=0,
        le=1,
    )
    alignment_weight: Float = _field(
        0.3, "weight of (latent) alignment in the CV score: keyword match", ge=0, le=3
    )
    niche_weight: Float = _field(
        0.2, "weight of the latent niche trait in the CV score", ge=0, le=3
    )
    shortlist: IntRange = _field(
        IntRange(low=5, high=10), "interviewees per opening (typical 5-10)"
    )


class Internal(_Section):
    probability: Float = _field(
        0.33,
        "probability that an internal contender also interviews (calibrated so internals are "
        "17-20% of hires: LinkedIn)",
        ge=0,
        le=1,
    )
    quality_mean: Float = _field(
        0.3, "mean true quality of internals (SD units of the applicant pool)", ge=-3, le=3
    )
    quality_sd: Float = _field(0.8, "SD of internals' true quality", gt=0, le=3)
    alignment: Float = _field(0.85, "internal's alignment (0..1)", ge=0, le=1)
    culture: Float = _field(0.85, "internal's culture mirror (0..1)", ge=0, le=1)
    narrative: Float = _field(0.8, "internal's narrative clarity (0..1)", ge=0, le=1)
    known_precision: Float = _field(
        1.0, "precision of what the manager saw of the internal's work (1/variance)", ge=0, le=100
    )


class SelfAssessment(_Section):
    bias: Float = _field(
        1.6,
        "upward bias of a candidate's impression of their interview, in interview-score "
        "units (assumption; the baseline's mean interview score has SD ~4.9)",
        ge=-10,
        le=10,
    )
    noise: Float = _field(
        4.9,
        "noise of that impression, interview-score units (assumption: impression and "
        "interviewer's score correlate ~.7)",
        ge=0,
        le=20,
    )


class Interview(_Section):
    rounds: Int = _field(3, "interview rounds per candidate", ge=1, le=20)
    days_per_round: Float = _field(
        7.0,
        "days each round beyond the baseline's three adds to the process (fewer rounds "
        "take them off): scheduling and holding one more round with the panel (assumption)",
        ge=0,
        le=60,
    )
    validity: Float = _field(
        0.16,
        "correlation of ONE round's score with true quality; the whole process's validity "
        "follows from it, the rounds and the presence share (whole interviews: unstructured "
        ".19, structured .42, Sackett et al. 2022)",
        gt=0,
        le=1,
    )
    presence_share: Float = _field(
        0.4,
        "share of one round's error variance that is the candidate's interview presence "
        "(rapport, polish): the same in every round, so rounds' errors are correlated "
        "(assumption)",
        ge=0,
        lt=1,
    )
    presence_quality_correlation: Float = _field(
        0.0,
        "correlation of interview presence with true quality (0: presence is unrelated to "
        "how well someone would do the job)",
        gt=-1,
        lt=1,
    )
    self_assessment: SelfAssessment = _field(SelfAssessment(), "the candidate's own impression")

    @property
    def composite_validity(self) -> float:
        """Correlation of the mean score over all rounds with true quality (MODEL.md 1.5)."""
        return measurement(self).composite_validity

    @model_validator(mode="after")
    def _solvable(self) -> Interview:
        try:
            measurement(self)
        except ValueError as exc:
            raise InputError(f"interview.validity: {exc}", path="interview.validity") from None
        return self


class Manager(_Section):
    risk_aversion: Float = _field(
        0.5, "weight on the posterior SD of a hire's value: fear of the wrong hire", ge=0, le=10
    )
    affinity_weight: Float = _field(
        0.3, "culture-mirror bias: weight on culture fit, which adds no value", ge=0, le=5
    )
    narrative_weight: Float = _field(
        0.5, "how much a clean narrative lowers perceived transfer risk", ge=0, le=1
    )
    niche_value: Float = _field(
        0.3, "real value of niche experience (SD units of quality)", ge=0, le=5
    )
    onboarding_cost: Float = _field(
        0.3, "value lost per unit of misalignment (1 - alignment)", ge=0, le=5
    )
    transfer_risk: Float = _field(0.5, "SD of how well skills transfer, at alignment 0", ge=0, le=5)
    hiring_bar: OptionalFloat = _field(
        None, "nobody with a risk-adjusted score below this gets an offer; null = no bar"
    )


class Offers(_Section):
    decline_probability: Float = _field(
        0.10,
        "probability that an external of average applicant quality declines an offer "
        "(calibrated so 84-87% of offers are accepted: PwC Saratoga 2022 84%, Jobvite 88-90%)",
        ge=0,
        lt=1,
    )
    decline_quality_slope: Float = _field(
        0.5,
        "log-odds of declining per SD of true quality: better candidates hold competing "
        "offers (direction: Murphy 1986; size an assumption; 0 = declines unrelated to quality)",
        ge=-5,
        le=5,
    )
    internal_decline_probability: Float = _field(
        0.05, "probability the internal declines (assumption)", ge=0, lt=1
    )
    max_offers: Int = _field(4, "most offers made per opening, declines included", ge=1, le=20)
    days_to_answer: Int = _field(
        3, "days between an offer and the candidate's answer (assumption)", ge=0, le=60
    )


class Withdrawal(_Section):
    weekly_hazard: Float = _field(
        0.015,
        "weekly chance that an external candidate takes another job and withdraws, from "
        "applying to the decision (assumption: about 1 in 11 shortlisted candidates)",
        ge=0,
        le=1,
    )
    quality_slope: Float = _field(
        0.3,
        "log of the hazard's ratio per SD of true quality: better candidates leave sooner "
        "(assumption)",
        ge=-5,
        le=5,
    )


class Value(_Section):
    salary: OptionalFloat = _field(
        None,
        "yearly salary of the role in money; null = report value in SDs of quality only",
        gt=0,
        le=1e9,
    )
    sd_y: OptionalFloat = _field(
        None,
        "SD of yearly job performance in money; null = 40% of salary (Schmidt & Hunter 1983)",
        gt=0,
        le=1e9,
    )
    tenure_years: Float = _field(
        4.1,
        "years a hire stays (BLS Employee Tenure 2022: median 4.1 years)",
        gt=0,
        le=50,
    )
    discount_rate: Float = _field(
        0.05, "yearly discount rate of future value (assumption)", ge=0, le=1
    )
    currency: str = _field("$", "symbol printed before money (1-3 characters)")

    @field_validator("currency")
    @classmethod
    def _symbol(cls, v: str) -> str:
        if not 1 <= len(v) <= 3 or any(is_control(c) or c.isspace() for c in v):
            raise ValueError(f"must be 1-3 visible characters, got {excerpt(v)}")
        return v

    @property
    def money_per_sd(self) -> float | None:
        """Discounted money value of one SD of quality held for the tenure (None: no salary).

        Brogden-Cronbach-Gleser: ``SD_y * sum_{t=1..T} (1 + i)**-t``, the sum taken for a
        fractional tenure as ``(1 - (1 + i)**-T) / i`` (``T`` when ``i`` is 0).
        """
        if self.salary is None:
            return None
        sd_y = self.sd_y if self.sd_y is not None else 0.4 * self.salary
        i, years = self.discount_rate, self.tenure_years
        return sd_y * (years if i == 0 else (1 - (1 + i) ** -years) / i)


class Analysis(_Section):
    good_interview_top_share: Float = _field(
        0.3, "a 'good interview' is in this top share of all interview scores", gt=0, lt=1
    )
    narrow_margin: Float = _field(
        0.05, "a loss is 'narrow' below this gap in U (SDs of U among interviewees)", ge=0, le=5
    )
    bad_hire_threshold: Float = _field(
        0.0, "a hire with realised value V below this is a bad hire", ge=-5, le=5
    )
    attribution: Literal["sequential", "shapley"] = _field(
        "sequential", "which attribution fills candidates.loss_reason"
    )
    good_interview_precision: OptionalFloat = _field(
        None,
        "standard error (share units) to which the reference sample fixes the good-interview "
        "threshold; null = a third of the run's own standard error of the good-interview "
        "share (0.0002 at 100,000 openings, 0.00005 at 10^6)",
        ge=1e-6,
        le=0.01,
    )
    pilot_openings: Int = _field(
        20_000,
        "openings in the pilot sample that fixes the narrow margin, and the least that fix "
        "the good-interview threshold",
        ge=1000,
        le=1_000_000,
    )
    candidate_openings: Int = _field(
        10_000,
        "openings whose interviewees are kept in result.candidates",
        ge=0,
        le=10_000_000,
    )


class Pipeline(_Section):
    recontact_probability: Float = _field(
        0.25,
        "probability a runner-up is re-approached for a later opening (assumption)",
        ge=0,
        le=1,
    )


GROUP_SHIFT_KEYS = (
    "quality",
    "alignment",
    "culture",
    "narrative",
    "niche",
    "screen",
    "presence",
    "interview",
    "withdrawal",
    "decline",
)
MAX_GROUP_ATTRIBUTES = 2  # two give intersections; more would split levels too thin
MAX_GROUP_LEVELS = 10
MAX_GROUP_SHIFT = 3.0  # SD units: larger than any published subgroup difference
MAX_GROUP_NAME_CHARS = 40
SOURCE_ATTRIBUTE = "source"  # the attribute name sources take among an applicant's cells


def _shift(description: str) -> Float:
    return _field(0.0, description, ge=-MAX_GROUP_SHIFT, le=MAX_GROUP_SHIFT)


class _Level(_Section):
    """A level of applicants: its share and how it differs (shared by groups and sources)."""

    share: Float = _field(
        ..., "share of applicants at this level (the shares sum to 1)", gt=0, lt=1
    )
    quality: Float = _shift(
        "shift of true quality (SD units); 0 unless you mean to model a real difference"
    )
    alignment: Float = _shift("shift of the latent alignment (SD units): keyword match")
    culture: Float = _shift(
        "shift of the latent culture mirror (SD units): negative for a level the team "
        "does not mirror"
    )
    narrative: Float = _shift(
        "shift of the latent narrative clarity (SD units): negative for, e.g., more career gaps"
    )
    niche: Float = _shift("shift of the latent niche trait (SD units)")
    screen: Float = _shift(
        "screener's bias on the CV score (SD units of the CV score among applicants)"
    )


class GroupLevel(_Level):
    """One level of a group attribute: its share of applicants and how it differs.

    Every shift is a difference in means, in SD units, against a level without shifts
    (simfunnel/model/groups.py applies them); 0 everywhere is no difference.
    """

    presence: Float = _shift("shift of interview presence (SD units of presence)")
    interview: Float = _shift(
        "rater bias on the mean interview score (SD units of the score among applicants; "
        "structured interviews d ~ .23, Roth et al. 2002)"
    )
    withdrawal: Float = _shift(
        "log of the weekly withdrawal hazard ratio (0: withdraws as often as the others; "
        "0.69: twice as often)"
    )
    decline: Float = _shift(
        "shift of the log-odds of declining an offer (0: declines as often as the others)"
    )


class SourceLevel(_Level):
    """One source of external applicants (applied, referred, sourced, agency): its share
    of applicants and how its applicants differ before the interviews.

    ``screen`` is the vouching a source brings to the CV screen (a referrer's word, a
    recruiter's or agency's pre-vetting); ``withdrawal`` and ``decline`` say how committed
    its applicants are (a sourced, passive candidate was not looking). Interview-stage
    shifts belong to groups, not sources: the internal contender is its own source.
    """

    withdrawal: Float = _shift(
        "log of the weekly withdrawal hazard ratio (0: withdraws as often as the others; "
        "0.69: twice as often)"
    )
    decline: Float = _shift(
        "shift of the log-odds of declining an offer (0: declines as often as the others)"
    )


def _group_path(attribute: str) -> str:
    shown = attribute.strip() and len(attribute) <= MAX_GROUP_NAME_CHARS
    if shown and not any(map(is_control, attribute)):
        return f"groups.{attribute}"
    return "groups"


def check_groups(groups: dict[str, dict[str, GroupLevel]]) -> None:
    """One or two attributes, each of 2..10 named levels whose shares sum to 1."""
    if not 1 <= len(groups) <= MAX_GROUP_ATTRIBUTES:
        raise InputError(
            f"groups: give one or two attributes (e.g. sex and ethnicity), got {len(groups)}",
            path="groups",
        )
    for attribute, levels in groups.items():
        check_levels(_group_path(attribute), attribute, levels)


def check_sources(sources: dict[str, SourceLevel], groups: dict | None) -> None:
    """2..10 named sources whose shares sum to 1; none called internal; no group
    attribute called source."""
    check_levels("sources", "sources", sources)
    if any(name.strip().casefold() == "internal" for name in sources):
        raise InputError(
            "sources: the internal contender is set in internal:, not as a source of "
            "external applicants; remove the internal level",
            path="sources",
        )
    if groups is not None and SOURCE_ATTRIBUTE in groups:
        raise InputError(
            f"groups.{SOURCE_ATTRIBUTE}: with sources: set, name the group attribute otherwise",
            path=f"groups.{SOURCE_ATTRIBUTE}",
        )


def check_levels(path: str, attribute: str, levels: dict[str, _Level]) -> None:
    """2..10 levels with printable names whose shares sum to 1."""
    for name in (attribute, *levels):
        if not name.strip() or len(name) > MAX_GROUP_NAME_CHARS or any(map(is_control, name)):
            raise InputError(
                f"{path}: a name must be 1-{MAX_GROUP_NAME_CHARS} printable characters, "
                f"got {excerpt(name)}",
                path=path,
            )
    if not 2 <= len(levels) <= MAX_GROUP_LEVELS:
        raise InputError(f"{path}: 2-{MAX_GROUP_LEVELS} levels, got {len(levels)}", path=path)
    total = math.fsum(level.share for level in levels.values())
    if abs(total - 1) > 1e-6:
        raise InputError(f"{path}: the levels' shares must sum to 1, got {total:.6g}", path=path)
