"""Simulated openings as a per-application export (:class:`~simfunnel.io.applications.RawExport`).

The engine's candidate arrays, written as an applicant-tracking system records them,
so that importing the export gives back, row for row, the requisition counts of
:func:`simfunnel.analysis.requisitions.requisition_arrays` (and its dates, as
:func:`~simfunnel.analysis.requisitions.export_frame` writes them):

- every external applicant is an application; those not shortlisted are rejected
  at ``Application Review`` ("Lacking skills"); the shortlist reaches ``Phone Screen``;
  interviewees (and the internal contender, origin ``internal``) reach
  ``Onsite Interview``, with one scorecard per round; offers reach ``Offer``;
- a shortlisted external who left before interviews, or before the decision, is
  rejected "Withdrew" (they rejected us); a declined offer is "Offer declined"; the
  interviewees not offered lose to "Hired another candidate", or "Job closed /
  cancelled" when nobody was hired; a cancelled role rejects everyone "Job closed /
  cancelled";
- the accepted offer's answer is the requisition's closing date (the posting date
  plus ``7 * process_weeks`` days), as is a cancellation's day;
- hires get a later performance rating, 1-5 (:func:`performance_rating`), as an HRIS
  would add; only the generic CSV carries it (the ATS formats have no such field).

Round scores: the engine draws the mean score ``x_bar`` of ``R`` rounds
(MODEL.md 1.5); round ``r`` is ``x_bar + b (e_r - e_mean)`` with fresh normals
``e``, which has exactly the model's distribution given ``x_bar``. Scorecards are
ordinal: a round's score standardised by its SD across externals gives
``definitely_not`` (1) below -0.84, ``no`` (2) below 0, ``yes`` (3) below 0.84 and
``strong_yes`` (4) above (quartiles of a standard normal).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from simfunnel.analysis.requisitions import DAYS_PER_WEEK, EXPORT_DATES, simulated_requisitions
from simfunnel.io.applications import RawExport, raw_table
from simfunnel.model import calendar as cal
from simfunnel.model.interview import measurement
from simfunnel.model.rng import SeedLike, normalise_seed
from simfunnel.model.scenario import Scenario

EXPORT_DETAILS = 104  # child stream for referrals, round noise and times of day
STAGES = ("Application Review", "Phone Screen", "Onsite Interview", "Offer", "Hired")
STAGE_MAP = {
    "stages": dict(
        zip(STAGES, ("applied", "screened", "interviewed", "offered", "hired"), strict=False)
    ),
    "reasons": {
        "Lacking skills": "lacking_skills",
        "Withdrew": "withdrew",
        "Offer declined": "offer_declined",
        "Hired another candidate": "another_candidate",
        "Job closed / cancelled": "cancelled",
    },
}
REFERRAL_SHARE = 0.1  # share of external applicants who were referred (labels only)
VERDICT_CUTS = (-0.8416, 0.0, 0.8416)  # quartiles of N(0, 1): 4 ordinal verdicts
VERDICTS = ("definitely_not", "no", "yes", "strong_yes")
# A hire's later performance rating (1-5, quintiles) measures true quality with the
# inter-rater reliability of supervisory ratings, .52 (Viswesvaran, Ones & Schmidt 1996).
PERFORMANCE_RELIABILITY = 0.52
PERFORMANCE_CUTS = (-0.8416, -0.2533, 0.2533, 0.8416)  # quintiles of N(0, 1)


def performance_rating(quality: np.ndarray, normal: np.ndarray) -> np.ndarray:
    """Ratings 1-5 of hires of true ``quality``: ``q + noise`` at the reliability above."""
    noise_sd = math.sqrt((1 - PERFORMANCE_RELIABILITY) / PERFORMANCE_RELIABILITY)
    latent = (quality + noise_sd * normal) / math.sqrt(1 + noise_sd**2)
    return np.searchsorted(PERFORMANCE_CUTS, latent) + 1


def simulate_export(
    scenario: Scenario, requisitions: int, seed: SeedLike, first_year: int = 2024
) -> tuple[RawExport, dict[str, np.ndarray]]:
    """A per-application export of ``requisitions`` simulated openings.

    Returns the export and the requisition arrays it must give back when imported
    (:func:`~simfunnel.analysis.requisitions.requisition_arrays`, cancellation weeks
    included). The same openings as :func:`~simfunnel.analysis.requisitions.synthetic_export`
    with this seed.
    """
    seed = normalise_seed(seed)
    funnel, arrays = simulated_requisitions(scenario, requisitions, seed)
    dates_rng = seed.stream(EXPORT_DATES)
    detail_rng = seed.stream(EXPORT_DETAILS)
    openings = len(funnel.applicants)
    year = first_year + dates_rng.integers(0, 2, openings)
    day_in_week = dates_rng.integers(0, DAYS_PER_WEEK, openings)
    cancel_day = dates_rng.integers(0, DAYS_PER_WEEK, openings)
    stopped = funnel.cancelled_stage != cal.NOT_CANCELLED
    rounds = scenario.interview.rounds
    noise_sd = measurement(scenario.interview).round_noise_sd
    presence_sd = measurement(scenario.interview).presence_sd
    round_sd = math.sqrt(1.0 + presence_sd**2 + noise_sd**2)
    internal_slot = int(np.flatnonzero(funnel.internal_slot)[0])

    jobs, apps, history, offers, scores = [], [], [], [], []
    where = {"jobs": [], "applications": [], "history": [], "offers": [], "scores": []}

    def add(table: str, rows: list, row: dict) -> None:
        rows.append(row)
        where[table].append(f"simulated: table {table}, row {len(rows)}")

    hired_count = funnel.hired.sum(axis=1)
    for i in range(openings):
        posted = dt.datetime(int(year[i]), 1, 1, 9) + dt.timedelta(
            days=int(arrays["posting_week"][i]) * DAYS_PER_WEEK + int(day_in_week[i])
        )
        length = int(arrays["process_weeks"][i]) * DAYS_PER_WEEK + (
            int(cancel_day[i]) if stopped[i] else 0
        )
        closed = posted + dt.timedelta(days=length)
        horizon = closed - posted
        rid = f"JOB-{i + 1:05d}"
        add(
            "jobs",
            jobs,
            {
                "requisition_id": rid,
                "openings": int(funnel.positions[i]),
                "posted": posted,
                "closed": closed,
                "status": "closed",
                "paused_days": int(funnel.pause_weeks[i]) * DAYS_PER_WEEK,
                "test": False,
            },
        )
        nobody = hired_count[i] == 0
        loser_reason = (
            "Job closed / cancelled" if (stopped[i] or nobody) else "Hired another candidate"
        )
        screen_at = posted + 0.3 * horizon
        n_external = int(funnel.applicants[i])
        shortlist = int(funnel.shortlist[i])
        referral = detail_rng.random(n_external) < REFERRAL_SHARE
        applied = detail_rng.random(n_external) * 0.2
        # Applicants not shortlisted: applied, rejected at review.
        for k in range(shortlist, n_external):
            aid = f"{rid}-A{k + 1:04d}"
            add(
                "applications",
                apps,
                {
                    "application_id": aid,
                    "requisition_id": rid,
                    "origin": "referral" if referral[k] else "applied",
                    "prospect": False,
                    "stage": STAGES[0],
                    "status": "rejected",
                    "reason": "Lacking skills",
                    "reason_type": "we_rejected",
                    "applied_at": posted + applied[k] * horizon,
                    "rejected_at": screen_at,
                    "hired_at": None,
                },
            )
        slots = [*range(shortlist)] + ([internal_slot] if funnel.internal_present[i] else [])
        for slot in slots:
            internal = slot == internal_slot
            aid = f"{rid}-{'I' if internal else 'A'}{slot + 1:04d}"
            interviewed = bool(funnel.interviewed[i, slot])
            offer = bool(funnel.offer[i, slot])
            hired = bool(funnel.hired[i, slot])
            applied_at = posted if internal else posted + applied[slot] * horizon
            level = 3 if offer else 2 if interviewed else 1
            if hired:
                status, reason, reason_type = "hired", None, None
            elif stopped[i]:
                status, reason, reason_type = "rejected", "Job closed / cancelled", "we_rejected"
            elif not interviewed or funnel.withdrew[i, slot]:
                status, reason, reason_type = "rejected", "Withdrew", "they_rejected"
            elif offer:
                status, reason, reason_type = "rejected", "Offer declined", "they_rejected"
            else:
                status, reason, reason_type = "rejected", loser_reason, "we_rejected"
            add(
                "applications",
                apps,
                {
                    "application_id": aid,
                    "requisition_id": rid,
                    "origin": "internal"
                    if internal
                    else ("referral" if referral[slot] else "applied"),
                    "prospect": False,
                    "stage": STAGES[4] if hired else STAGES[level],
                    "status": status,
                    "reason": reason,
                    "reason_type": reason_type,
                    "applied_at": applied_at,
                    "rejected_at": None if hired else closed,
                    "hired_at": closed if hired else None,
                    "performance": int(
                        performance_rating(
                            np.array([funnel.quality[i, slot]]), detail_rng.standard_normal(1)
                        )[0]
                    )
                    if hired
                    else None,
                },
            )
            entered = [applied_at, screen_at, posted + 0.5 * horizon, closed, closed]
            for stage in range(level + 1 + hired):
                add(
                    "history",
                    history,
                    {"application_id": aid, "stage": STAGES[stage], "entered_at": entered[stage]},
                )
            if interviewed:
                e = detail_rng.standard_normal(rounds)
                x = funnel.interview_score[i, slot] + noise_sd * (e - e.mean())
                verdict = np.searchsorted(VERDICT_CUTS, x / round_sd) + 1
                for r in range(rounds):
                    add(
                        "scores",
                        scores,
                        {
                            "application_id": aid,
                            "round": f"Interview {r + 1}",
                            "interviewed_at": posted + (0.5 + 0.1 * r / rounds) * horizon,
                            "score": int(verdict[r]),
                        },
                    )
            if offer:
                add(
                    "offers",
                    offers,
                    {
                        "application_id": aid,
                        "version": 1,
                        "status": "accepted" if hired else "rejected",
                        "created_at": closed,
                        "resolved_at": closed,
                    },
                )
    raw = RawExport(
        jobs=raw_table("jobs", jobs, where["jobs"]),
        applications=raw_table("applications", apps, where["applications"]),
        history=raw_table("history", history, where["history"]),
        offers=raw_table("offers", offers, where["offers"]),
        scores=raw_table("scores", scores, where["scores"]),
        source="simulated",
    )
    return raw, arrays


def expected_requisitions(raw: RawExport, arrays: dict[str, np.ndarray]) -> pd.DataFrame:
    """The requisition table an import of ``raw`` must give (ids and dates from ``raw``)."""
    from simfunnel.io.ats import NUMBERS

    frame = pd.DataFrame(
        {
            "requisition_id": raw.jobs["requisition_id"],
            "posted": raw.jobs["posted"].dt.strftime("%Y-%m-%d"),
            "closed": raw.jobs["closed"].dt.strftime("%Y-%m-%d"),
        }
    )
    for column in NUMBERS:
        frame[column] = arrays[column].astype(np.int64)
    return frame


def write_simulated_export(
    scenario: Scenario, requisitions: int, seed: SeedLike, format: str, directory
) -> RawExport:
    """Simulate ``requisitions`` openings and write them in ``format``'s shape in ``directory``.

    ``format`` is one of :data:`simfunnel.io.vendors.EXPORT_FORMATS`. Returns the export
    as written (what ``simfunnel export`` does, without the output folder's manifest).
    """
    from simfunnel.io.vendors import write_raw

    raw, _ = simulate_export(scenario, requisitions, seed)
    write_raw(raw, format, directory)
    return raw
