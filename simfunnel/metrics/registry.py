"""The metric registry: every summary metric's name, label, definition and unit.

Each :class:`Metric` says how its value, interval and differences are written, so a
number is shown the same way in the terminal report, the CSV files, the charts and
the slides.
"""

from __future__ import annotations

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
    denominator : str
        Among whom, when several metrics share it: a key of :data:`DENOMINATORS`,
        whose phrase ends the definition (one wording, one computation).
    """

    name: str
    label: str
    definition: str
    unit: Unit = "share"
    short: str = ""
    headline: bool = False
    attribution: bool = False
    benchmark: str = ""
    denominator: str = ""

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


@dataclass(frozen=True)
class Denominator:
    """A population that several metrics count among, defined once.

    :func:`simfunnel.analysis.summary.denominator_columns` computes each one;
    every metric naming it divides by that array.
    """

    name: str
    phrase: str
    definition: str


DENOMINATORS: dict[str, Denominator] = {
    d.name: d
    for d in (
        Denominator(
            "interviewed_openings",
            "among openings with at least one interviewee",
            "Openings in which at least one candidate was interviewed. None are in an "
            "opening cancelled before interviews, nor in one whose every shortlisted "
            "external took another job before interviews with no internal on the slate.",
        ),
        Denominator(
            "open_slate",
            "among external candidates on the slate of openings not cancelled before interviews",
            "External candidates on the interview slate of openings that were not cancelled "
            "before interviews, whether they were then interviewed or had taken another job.",
        ),
    )
}


def _m(*args, **kwargs) -> tuple[str, Metric]:
    metric = Metric(*args, **kwargs)
    if not metric.short:
        object.__setattr__(metric, "short", metric.label[:22])
    if metric.denominator:
        phrase = DENOMINATORS[metric.denominator].phrase
        object.__setattr__(metric, "definition", f"{metric.definition}, {phrase}.")
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
            "Candidates interviewed",
            "per_opening",
            short="interviewed",
            denominator="interviewed_openings",
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
            "The share of each opening's interviewees who got an offer, averaged over openings",
            short="offer rate/opening",
            denominator="interviewed_openings",
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
            "Candidates who took another job before the decision",
            short="withdrew",
            denominator="open_slate",
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
            "Openings where the highest interview score got an offer",
            short="best interview: offer",
            denominator="interviewed_openings",
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


def unknown_metric(name: str) -> str:
    """``unknown metric 'x'; did you mean 'y'?`` (or every name, when none is close)."""
    import difflib

    shown = name if len(name) <= 60 else f"{name[:57]}..."
    hint = difflib.get_close_matches(name, list(METRICS), n=1, cutoff=0.6)
    if hint:
        return f"unknown metric '{shown}'; did you mean '{hint[0]}'? (all: simfunnel metrics)"
    return f"unknown metric '{shown}'; choose from {', '.join(METRICS)}"


def metric(name: str) -> Metric:
    """The registry entry of ``name``; a clear error naming the valid ones otherwise."""
    try:
        return METRICS[name]
    except KeyError:
        raise KeyError(unknown_metric(name)) from None


def label(name: str) -> str:
    """Plain-language label of a metric (or the name, humanised, if it is not one)."""
    entry = METRICS.get(name)
    return entry.label if entry else name.replace("_", " ").capitalize()
