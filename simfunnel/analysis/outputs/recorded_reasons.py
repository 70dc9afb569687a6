"""What your ATS says against what the model says: recorded rejection reasons beside the
fitted model's loss attribution, for the good interviews that got no offer.

Recorded reasons are labels a recruiter chose from a list when closing an application,
not counterfactuals: "Hired another candidate" is true of nearly every loss and names
no mechanism. The model's attribution replays each decision with mechanisms removed
on the same draws (MODEL.md section 3). The table puts each model reason under the
recorded category a recruiter would most likely have picked for it (each reason's
``recorded_as`` in the registry), so the two distributions can be read side by side,
and it shows which mechanisms a recorded category hides.

Good interview, on both sides: the top ``analysis.good_interview_top_share`` of
interviewees by interview score. In the export that is the mean of the round
verdicts (where scorecards exist; without scores every interviewee counts); in the
model, the interview score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.outputs.rates import percent
from simfunnel.analysis.result import Result
from simfunnel.metrics import LOSS_REASONS
from simfunnel.model.attribution import RESIDUALS

CATEGORY_LABELS = {
    "another_candidate": "Another candidate / position filled",
    "cancelled": "Job closed / cancelled",
    "withdrew": "Withdrew",
    "culture_fit": "Not a cultural fit",
    "lacking_skills": "Lacking skills",
    "offer_declined": "Offer declined",
    "other": "Other",
    "none": "No reason recorded",
}


def good_interview_losses(applications: pd.DataFrame, top_share: float) -> pd.DataFrame:
    """Interviewees without an offer whose interview was in the top ``top_share``.

    Parameters
    ----------
    applications : the normalised application table (``Applications.applications``).
    """
    level = applications["milestone"].cat.codes
    interviewed = applications[level >= 2]
    rounds = [c for c in interviewed if c.startswith("score_")]
    if rounds and interviewed[rounds].notna().any().any():
        mean = interviewed[rounds].mean(axis=1)
        # Ties at the cut (verdicts are coarse) are all counted as good.
        cut = mean.quantile(1 - top_share)
        interviewed = interviewed[mean >= cut]
    return interviewed[~interviewed["offered"]]


class RecordedReasons(Output):
    """Recorded reasons (export) beside the model's attribution (a run of the fitted model).

    Table: ``category, label, recorded, recorded_count, model, model_ci_low,
    model_ci_high, hidden`` (``hidden``: the model reasons inside the category, with
    their shares of all losses), one row per category either side has. ``parts``: the
    same model reasons as a table (``category, reason, label, share``).
    """

    chart = "reasons:draw_recorded_reasons"

    @classmethod
    def from_data(
        cls, applications: pd.DataFrame, result: Result, method: str = "shapley"
    ) -> RecordedReasons:
        top = result.scenario.analysis.good_interview_top_share
        losses = good_interview_losses(applications, top)
        recorded = losses["reason"].fillna("none").replace({"position_filled": "another_candidate"})
        counts = recorded.value_counts()
        model = result.loss_reasons(method)
        if model.empty:
            raise ValueError("this result has no loss attribution (simulate with attribution=True)")
        model = model.assign(category=model["reason"].map(lambda r: LOSS_REASONS[r].recorded_as))
        by_category = model.groupby("category")[["share", "ci_low", "ci_high"]].sum()
        categories = [c for c in CATEGORY_LABELS if c in counts.index or c in by_category.index]
        rows = []
        for category in categories:
            inside = model[model["category"] == category].sort_values("share", ascending=False)
            hidden = ", ".join(
                f"{LOSS_REASONS[r].label.lower()} {percent(s)}"
                for r, s in zip(inside["reason"], inside["share"], strict=True)
                if s > 0
            )
            rows.append(
                {
                    "category": category,
                    "label": CATEGORY_LABELS[category],
                    "recorded": counts.get(category, 0) / max(len(losses), 1),
                    "recorded_count": int(counts.get(category, 0)),
                    # The CIs of a group are summed: conservative (wider than the group's own).
                    "model": float(by_category["share"].get(category, 0.0)),
                    "model_ci_low": max(0.0, float(by_category["ci_low"].get(category, 0.0))),
                    "model_ci_high": float(by_category["ci_high"].get(category, 0.0)),
                    "hidden": hidden,
                }
            )
        table = pd.DataFrame(rows)
        finding = _finding(table, model)
        note = (
            f"{len(losses):,} good interviews without an offer in the export; the model: "
            f"{result.metadata.get('openings', 0):,} simulated openings, {method} attribution.\n"
            "Recorded reasons are labels a recruiter chose, not counterfactuals."
        )
        out = cls(table, finding, note)
        out.method = method
        # The model reasons inside each category, largest first (the chart's segments).
        out.parts = (
            model.assign(label=model["reason"].map(lambda r: LOSS_REASONS[r].label.lower()))
            .sort_values(["category", "share"], ascending=[True, False])[
                ["category", "reason", "label", "share"]
            ]
            .reset_index(drop=True)
        )
        out.losses = len(losses)
        return out


def _finding(table: pd.DataFrame, model: pd.DataFrame) -> str:
    rows = table.set_index("category")
    if "another_candidate" in rows.index and rows.loc["another_candidate", "recorded"] > 0:
        inside = model[model["category"] == "another_candidate"]
        mechanisms = inside[~inside["reason"].isin(RESIDUALS)]
        if len(mechanisms) and mechanisms["share"].max() > 0:
            top = mechanisms.sort_values("share").iloc[-1]
            return (
                f"{percent(rows.loc['another_candidate', 'recorded'])} are recorded as "
                f"'another candidate'; the model puts {percent(top['share'])} of losses on "
                f"{LOSS_REASONS[top['reason']].label.lower()} behind that label"
            )
    gap = (table["recorded"] - table["model"]).abs()
    worst = table.loc[int(np.argmax(gap.to_numpy()))]
    return (
        f"{worst['label']}: {percent(worst['recorded'])} recorded, "
        f"{percent(worst['model'])} in the model"
    )
