"""The slides of a deck: one per chart a result supports, one per compared scenario,
each with the output it shows and its speaker notes (no python-pptx needed)."""

from __future__ import annotations

from dataclasses import dataclass

from simfunnel.analysis.comparison import Comparison
from simfunnel.analysis.outputs import RUN_OUTPUTS, Differences, LossReasons, Output
from simfunnel.analysis.outputs.compare import scenario_label
from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import FUNNEL_STAGES
from simfunnel.errors import NothingToChartError
from simfunnel.metrics import LOSS_REASONS
from simfunnel.model.attribution import RESIDUALS
from simfunnel.model.scenario import Scenario
from simfunnel.present.charts.render import supported_charts
from simfunnel.present.deck.notes import (
    _value,
    changed_keys,
    difference_lines,
    search_lines,
    slide_notes,
    table_lines,
    what_if_lines,
)

# What each chart's speaker notes list besides its table: the metrics (with CIs and
# definitions) and the scenario keys whose values drive it (with their sources).
SLIDE_METRICS: dict[str, tuple[str, ...]] = {
    "funnel": (*FUNNEL_STAGES.values(), "offer_rate_interviewed", "hire_rate"),
    "loss_reasons": (
        "good_interview_share",
        "good_interview_offer_rate",
        "loser_better_quality_rate",
    ),
    "offer_probability": (
        "top_interview_offer_rate",
        "best_interviewee_hired_rate",
        "offer_rate_interviewed",
    ),
    "offer_probability_by_quality": ("offer_rate_interviewed", "good_interview_offer_rate"),
    "margins": ("microscopic_margin_rate",),
    "seasonality": (
        "cancel_rate",
        "cancel_before_interviews_rate",
        "cancel_after_interviews_rate",
    ),
    "felt_vs_actual": (
        "felt_great_share",
        "felt_great_offer_rate",
        "felt_great_no_offer_rate",
        "good_interview_share",
        "good_interview_offer_rate",
    ),
    "time_to_fill": ("days_to_fill", "wait_days", "paused_rate", "cancel_rate"),
}
SLIDE_KEYS: dict[str, tuple[str, ...]] = {
    "funnel": (
        "applicants.count",
        "screening.shortlist",
        "role.positions",
        "offers.decline_probability",
        "role.cancel_probability",
    ),
    "loss_reasons": (
        "role.cancel_probability",
        "internal.probability",
        "manager.risk_aversion",
        "manager.affinity_weight",
        "manager.niche_value",
        "manager.narrative_weight",
        "interview.validity",
        "interview.presence_share",
        "role.pause_share",
        "withdrawal.weekly_hazard",
        "analysis.good_interview_top_share",
    ),
    "time_to_fill": (
        "role.process_weeks",
        "role.pause_share",
        "role.pause_weeks",
        "offers.days_to_answer",
    ),
    "offer_probability": (
        "interview.validity",
        "interview.rounds",
        "screening.shortlist",
        "role.positions",
    ),
    "offer_probability_by_quality": (
        "screening.validity",
        "interview.validity",
        "internal.probability",
        "role.positions",
    ),
    "margins": ("analysis.narrow_margin", "interview.validity", "interview.rounds"),
    "seasonality": (
        "role.cancel_probability",
        "role.quarter_multipliers",
        "role.process_weeks",
        "role.interview_at",
    ),
    "felt_vs_actual": (
        "interview.self_assessment.bias",
        "interview.self_assessment.noise",
        "analysis.good_interview_top_share",
    ),
}

# The keys a slide's finding comes from alone. When every one is an assumption of the
# shipped baseline (no published figure) left at its value, the finding is about the
# model's defaults, not the user's funnel, and the slide says so (issue: "Roles posted in
# Q4 are cancelled 1.6x as often" from quarter multipliers the user never set).
FINDING_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "seasonality": (
        ("role.quarter_multipliers", "role.cancel_probability"),
        "freeze risk by quarter",
    ),
    "felt_vs_actual": (
        ("interview.self_assessment.bias", "interview.self_assessment.noise"),
        "candidates' optimism about their interviews",
    ),
}
ASSUMED_NOTE = "An assumption, not from your data: simfunnel's default {what}"


def assumed_only(scenario: Scenario, name: str) -> list[str]:
    """The keys behind slide ``name``'s finding if every one is a baseline assumption left
    at its value (:data:`FINDING_KEYS`), else ``[]``."""
    from simfunnel.io.loader import load_scenario
    from simfunnel.io.shipped import assumed_defaults

    keys = FINDING_KEYS.get(name, ((), ""))[0]
    if not keys or not set(keys) <= assumed_defaults():
        return []
    baseline = load_scenario("baseline")
    return list(keys) if all(_value(scenario, k) == _value(baseline, k) for k in keys) else []


# The keys the what-if slide moves (each +-50% within its range, one at a time): the
# explorer's sliders, the ones that move the headline results most.
WHAT_IF_KEYS = (
    "interview.validity",
    "internal.probability",
    "screening.validity",
    "manager.niche_value",
    "offers.decline_probability",
    "manager.risk_aversion",
)
JOB_SEARCH_PERCENTILES = (50, 90)
STORY_OPENINGS = 3_000  # per point of the what-if and per percentile of the job search


@dataclass(frozen=True)
class Slide:
    """One chart slide: its name (``funnel``, ``compare_strong_internal``), the output
    it shows, and its speaker notes."""

    name: str
    output: Output
    notes: str


def story_slides(result: Result, openings: int | None = None) -> list[Slide]:
    """The two slides a talk needs beyond the charts of one run: a candidate's job search
    (the chance of an offer against interviews, median and 90th-percentile candidate)
    and a what-if (a tornado of the offer rate of good interviews over the keys that
    move it most). Each is simulated here with the run's seed, ``openings`` per point
    (default :data:`STORY_OPENINGS`, at most the run's own)."""
    from simfunnel.analysis.outputs.candidate import JobSearch
    from simfunnel.analysis.outputs.sensitivity import Sensitivity
    from simfunnel.analysis.sensitivities import default_ranges, sensitivity
    from simfunnel.analysis.you import you

    scenario = result.scenario
    if scenario.uncertainty or getattr(scenario, "posterior", None):
        return []  # a what-if of an uncertain scenario has its own command (sweep)
    size = int(openings or min(STORY_OPENINGS, int(result.metadata.get("openings", 3000))))
    seed = result.metadata.get("seed", scenario.seed)
    slides = []
    searches = [
        you(scenario, p, openings=size, interviews=12, seed=seed) for p in JOB_SEARCH_PERCENTILES
    ]
    search = JobSearch.from_you(searches)
    slides.append(Slide("job_search", search, slide_notes(search, search_lines(search), (),
                                                          None, ())))  # fmt: skip
    ranges = {k: v for k, v in default_ranges(scenario).items() if k in WHAT_IF_KEYS}
    if ranges:
        table = sensitivity(scenario, ranges=ranges, openings=size, seed=seed, workers=1)
        what_if = Sensitivity.from_table(table, top=len(ranges))
        slides.append(
            Slide("what_if", what_if, slide_notes(what_if, what_if_lines(what_if), (), None, ()))
        )
    if scenario.groups is not None:
        slides += group_slides(scenario, size, seed)
    return slides


def group_slides(scenario: Scenario, openings: int, seed: int) -> list[Slide]:
    """A scenario with ``groups:``: who loses at each stage, and which mechanism causes
    the gap (simulated here, ``openings`` per run, the same draws for every removal)."""
    from simfunnel.analysis.groups import gap_attribution, group_impact, shifted_mechanisms

    impact = group_impact(scenario, openings=openings, seed=seed)
    lines = [impact.finding, impact.note]
    slides = [Slide("groups", impact, "\n".join(lines))]
    if shifted_mechanisms(scenario):
        attribution = gap_attribution(scenario, openings=openings, seed=seed)
        rows = attribution.to_df()
        rows = rows[(rows["stage"] == "end to end") & (rows["attribute"] == attribution.focus)]
        parts = [
            f"{row['level']}: {row['label']} {100 * row['shapley']:+.1f} points (Shapley)"
            for _, row in rows.iterrows()
        ]
        notes = "\n".join([attribution.finding, attribution.note, *parts])
        slides.append(Slide("group_attribution", attribution, notes))
    return slides


def chart_slides(result: Result, comparison: Comparison | None = None) -> list[Slide]:
    """The chart slides of a deck, in order, with their notes (no python-pptx needed).

    A chart the result cannot show (e.g. no interviewees after heavy cancellation) is
    left out, as :func:`~simfunnel.present.charts.render.render_all` leaves it out.
    """
    slides = []
    for name in supported_charts(result):
        try:
            output = RUN_OUTPUTS[name](result)
        except NothingToChartError:
            continue
        if assumed_only(result.scenario, name):
            what = FINDING_KEYS[name][1]
            output.note = f"{output.note}\n{ASSUMED_NOTE.format(what=what)}"
        notes = slide_notes(
            output,
            table_lines(output),
            SLIDE_METRICS.get(name, ()),
            result,
            SLIDE_KEYS.get(name, ()),
        )
        slides.append(Slide(name, output, notes))
    if comparison is not None:
        slides += _comparison_slides(comparison)
    return slides


def _comparison_slides(comparison: Comparison) -> list[Slide]:
    """One slide per compared scenario: its paired differences against the first."""
    base = comparison.results[0]
    slides = []
    for other in comparison.results[1:]:
        pair = f"{other.scenario.name} - {base.scenario.name}"
        differences = comparison.differences[comparison.differences["scenario"] == pair]
        from simfunnel.present.charts.compare import SPEAKER_METRICS

        pair_of = Comparison([base, other], differences)
        output = Differences.from_comparison(pair_of, metrics=list(SPEAKER_METRICS))
        changed = changed_keys(base.scenario, other.scenario)
        notes = slide_notes(
            output,
            difference_lines(output),
            tuple(output.metrics),
            None,
            (),
            changes=changed,
            scenarios=(base.scenario, other.scenario),
        )
        slides.append(Slide(f"compare_{other.scenario.name}", output, notes))
        story = loss_story(base, other)
        if story is not None:
            slides.append(story)
    return slides


def loss_story(base: Result, other: Result) -> Slide | None:
    """Why good interviews lose in the compared scenario, titled with its own story: the
    reason whose share moved most from the baseline's ("Risk averse manager: safer
    candidate now sinks 5% of the good interviews that lose, up from 1%")."""
    try:
        output = LossReasons.from_result(other)
        before = LossReasons.from_result(base).to_df().set_index("reason")["share"]
    except (NothingToChartError, ValueError):
        return None
    after = output.to_df().set_index("reason")["share"]
    change = (after - before.reindex(after.index).fillna(0.0)).abs()
    if change.empty or not change.max() > 0:
        return None
    reason = change.idxmax()
    old, new = float(before.get(reason, 0.0)), float(after[reason])
    digits = 0 if f"{100 * old:.0f}" != f"{100 * new:.0f}" else 1
    name = scenario_label(other.scenario.name)
    label = LOSS_REASONS[reason].label
    share, way = f"{100 * new:.{digits}f}%", f"{'up' if new > old else 'down'} from"
    if reason in RESIDUALS:  # losing in the interview itself does not "sink" them
        if reason == "narrow_margin":
            verb = "lost by a hair"
        elif reason == "withdrew":
            verb = "took another job first"
        else:  # a truly better candidate, the interview's noise
            verb = f"lost to {label[:1].lower()}{label[1:]}"
        story = f"{share} of the good interviews that lose {verb}"
    else:
        story = f"{label[:1].lower()}{label[1:]} now sinks {share} of the good interviews that lose"
    output.finding = f"{name[:1].upper()}{name[1:]}: {story}, {way} {100 * old:.{digits}f}%"
    notes = slide_notes(output, table_lines(output), SLIDE_METRICS["loss_reasons"], other)
    return Slide(f"loss_reasons_{other.scenario.name}", output, notes)
