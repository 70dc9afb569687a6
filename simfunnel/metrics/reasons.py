"""Why a good interview got no offer: the loss reasons and the attribution methods."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    """Why a good interview got no offer (MODEL.md section 3)."""

    name: str
    label: str
    definition: str
    recorded_as: str = "another_candidate"
    """The rejection-reason category a recruiter would most likely record for it in an
    applicant-tracking system (:mod:`simfunnel.analysis.outputs.recorded_reasons`)."""


LOSS_REASONS: dict[str, Reason] = {
    r.name: r
    for r in (
        Reason(
            "role_cancelled",
            "Role cancelled",
            "The role was cancelled or frozen after final interviews.",
            recorded_as="cancelled",
        ),
        Reason(
            "role_paused",
            "Role paused too long",
            "The role was paused after final interviews; by the time it resumed they had "
            "taken another job.",
            recorded_as="cancelled",
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
            recorded_as="culture_fit",
        ),
        Reason(
            "niche_fit",
            "Niche fit / narrative",
            "Another candidate had the niche experience or a cleaner career story.",
        ),
        Reason(
            "aligned_experience",
            "More directly aligned experience",
            "Another candidate's experience was more directly aligned: less onboarding "
            "time and less risk that their skills would not transfer.",
            recorded_as="lacking_skills",
        ),
        Reason(
            "withdrew",
            "Took another job first",
            "They withdrew before the decision, pause or not: another employer was faster.",
            recorded_as="withdrew",
        ),
        Reason(
            "narrow_margin",
            "Narrow margin",
            "With every mechanism removed they still trailed, by less than the narrow margin.",
        ),
        Reason(
            "truly_better",
            "A truly better candidate",
            "With every mechanism removed they still trailed clearly, behind someone of "
            "higher true quality.",
        ),
        Reason(
            "interview_noise",
            "The interview's noise",
            "With every mechanism removed they still trailed clearly, behind someone who is "
            "not truly better: the interviews' noise ranked that candidate above them.",
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
