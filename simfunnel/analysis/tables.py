"""Opening-level and interviewee-level DataFrames (INTERFACE.md column names)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfunnel.analysis.summary import OUTCOMES, Thresholds, opening_outcome
from simfunnel.model import calendar as cal
from simfunnel.model.attribution import REASONS, Attribution, shapley_reason
from simfunnel.model.engine import Funnel

CANCELLED_STAGES = ("none", "before_interviews", "after_interviews")


def openings_frame(funnel: Funnel, first_opening: int, rows: int) -> pd.DataFrame:
    """One row per opening for the first ``rows`` openings of the chunk."""
    score_margin, interview_margin = funnel.margins
    hires = funnel.hired.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        hire_value = np.where(funnel.hired, funnel.value, 0.0).sum(axis=1) / hires
    frame = pd.DataFrame(
        {
            "opening": np.arange(first_opening, first_opening + len(hires)),
            "posting_week": funnel.posting_week,
            "quarter": funnel.quarter + 1,
            "process_weeks": funnel.process_weeks,
            "pause_weeks": funnel.pause_weeks,
            "applicants": funnel.applicants,
            "shortlist": funnel.shortlist,
            "positions": funnel.positions,
            "internal_present": funnel.internal_present,
            "interviewees": funnel.interviewed.sum(axis=1),
            "cancelled": funnel.cancelled_stage > 0,
            "cancelled_stage": pd.Categorical.from_codes(
                funnel.cancelled_stage, categories=list(CANCELLED_STAGES)
            ),
            "outcome": pd.Categorical.from_codes(
                opening_outcome(funnel), categories=list(OUTCOMES)
            ),
            "offers": funnel.offer.sum(axis=1),
            "hires": hires,
            "margin": score_margin,
            "interview_margin": interview_margin,
            "hire_value": hire_value,
            "days_to_fill": funnel.days_to_fill,
            "days_to_cancel": funnel.days_to_cancel,
        }
    )
    return frame.iloc[:rows]


def _rank(values: np.ndarray, interviewed: np.ndarray) -> np.ndarray:
    """1 = best among the opening's interviewees; 0 for slots not interviewed."""
    masked = np.where(interviewed, values, -np.inf)
    better = (masked[:, None, :] > masked[:, :, None]) & interviewed[:, None, :]
    return np.where(interviewed, 1 + better.sum(axis=2), 0)


def candidates_frame(
    funnel: Funnel,
    first_opening: int,
    rows: int,
    thresholds: Thresholds,
    attribution: Attribution | None,
    method: str,
) -> pd.DataFrame:
    """One row per interviewee of the first ``rows`` openings of the chunk."""
    interviewed = funnel.interviewed[:rows]
    signals = funnel.signals
    opening = np.broadcast_to(
        np.arange(first_opening, first_opening + funnel.interviewed.shape[0])[:, None],
        funnel.interviewed.shape,
    )
    slot = np.broadcast_to(np.arange(funnel.interviewed.shape[1]), funnel.interviewed.shape)
    if attribution is None:
        reason = np.full(funnel.interviewed.shape, -1, dtype=np.int8)
    else:
        per_loser = shapley_reason(attribution) if method == "shapley" else attribution.sequential
        reason = attribution.dense(per_loser, -1)
    labels = np.array([*REASONS, ""], dtype=object)  # index -1 -> ""
    columns = {
        "opening": opening,
        "slot": slot,
        "internal": np.broadcast_to(funnel.internal_slot, funnel.interviewed.shape),
        "quality": funnel.quality,
        "alignment": signals.alignment,
        "culture": signals.culture,
        "narrative": signals.narrative,
        "niche": signals.niche,
        "screen_score": funnel.screen_score,
        "presence": funnel.presence,
        "interview_score": funnel.interview_score,
        "felt_score": funnel.felt_score,
        "posterior_mean": signals.posterior_mean,
        "posterior_sd": np.sqrt(signals.posterior_variance),
        "risk_adjusted_score": funnel.score,
        "value": funnel.value,
        "interview_rank": _rank(funnel.interview_score[:rows], interviewed),
        "score_rank": _rank(funnel.score[:rows], interviewed),
        "quality_rank": _rank(funnel.quality[:rows], interviewed),
        "withdrew": funnel.withdrew,
        "offer": funnel.offer,
        "offer_round": funnel.offer_round,
        "hired": funnel.hired,
        "wait_days": funnel.wait_days,
        "good_interview": funnel.interview_score >= thresholds.good_interview,
        "felt_great": funnel.felt_score >= thresholds.good_interview,
        "loss_reason": labels[reason],
        "cancelled_after_interviews": np.broadcast_to(
            (funnel.cancelled_stage == cal.CANCELLED_AFTER_INTERVIEWS)[:, None],
            funnel.interviewed.shape,
        ),
    }
    keep = interviewed.ravel()
    return pd.DataFrame({name: np.asarray(v)[:rows].ravel()[keep] for name, v in columns.items()})
