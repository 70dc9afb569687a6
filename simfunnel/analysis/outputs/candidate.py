"""One candidate's job search (``simfunnel you``): their chance of an offer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.metrics import ordinal, scenario_label

JOB_SEARCH_COLUMNS = ("percentile", "interviews", "p_any_offer", "ci_low", "ci_high")
VISIBLE_COLUMNS = (
    "p_any_offer_visible",
    "p_any_offer_visible_ci_low",
    "p_any_offer_visible_ci_high",
)


def describe_candidate(metadata: dict[str, Any]) -> str:
    """Who the candidate is beyond their ability, in plain words (from ``YouResult.metadata``)."""
    parts = []
    niche = metadata.get("niche")
    if niche is not None:
        parts.append("has the niche experience" if niche else "lacks the niche experience")
    alignment = metadata.get("alignment")
    if alignment is not None:
        parts.append(f"fit to the role at the {ordinal(round(100 * alignment, 1))} percentile")
    if metadata.get("felt_great"):
        parts.append("felt the interview went great")
    return ", ".join(parts) if parts else "typical experience and fit"


class JobSearch(Output):
    """The chance of at least one offer against the number of interviews, per ability
    percentile, with 95% bands (and, dashed, when a runner-up stays visible).

    Attributes
    ----------
    percentiles : list of float
    scenario : str
    openings : list of int
        Openings each percentile interviewed for.
    candidate : str
        Who the candidate is beyond their ability (niche, fit, felt great).
    target : float
        The chance of an offer the finding counts interviews to.
    visible : bool
        Whether the staying-visible curves are drawn.
    """

    chart = "candidate:draw_job_search"

    def __init__(self, table, finding, note="", *, percentiles=(), scenario="", openings=(),
                 candidate="", target=0.8, visible=False) -> None:  # fmt: skip
        super().__init__(table, finding, note)
        self.percentiles, self.scenario, self.openings = list(percentiles), scenario, list(openings)
        self.candidate, self.target, self.visible = candidate, target, visible

    @classmethod
    def from_you(
        cls, searches: Any, *, target: float = 0.8, visible: bool | None = None
    ) -> JobSearch:
        """From :func:`simfunnel.analysis.you`'s result, or a list of them (several percentiles)."""
        from simfunnel.analysis.you import YouResult

        searches = [searches] if isinstance(searches, YouResult) else list(searches)
        if not searches or not all(isinstance(s, YouResult) for s in searches):
            raise TypeError("job_search takes a YouResult, a list of them, or a tidy DataFrame")
        frame = pd.concat([s.job_search for s in searches], ignore_index=True)
        first = searches[0]
        output = cls.from_frame(frame, target=target, visible=visible)
        output.scenario = first.scenario.name
        output.openings = [s.openings for s in searches]
        output.candidate = describe_candidate(first.metadata)
        counts = list(dict.fromkeys(output.openings))
        size = f"{counts[0]:,}" if len(counts) == 1 else ", ".join(f"{n:,}" for n in counts)
        each = " (per percentile)" if len(searches) > 1 else ""
        role, pipeline = first.scenario.role, first.scenario.pipeline
        # Two short lines: who, where and how many; then what the lines mean.
        output.note = (
            f"Candidate: {output.candidate} · {scenario_label(first.scenario.name, 'scenario')}"
            f" · {size} openings{each} · 95% bands\nfreezes shared across a search "
            f"({role.freeze_correlation:g})"
        )
        if output.visible:
            output.note += (
                " · dashed: a runner-up re-approached later "
                f"({100 * pipeline.recontact_probability:.0f}% of the time)"
            )
        return output

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        target: float = 0.8,
        visible: bool | None = None,
        note: str = "",
    ) -> JobSearch:
        """From the tidy table: ``percentile, interviews, p_any_offer, ci_low, ci_high``
        (the ``job_search`` tables of YouResults, concatenated)."""
        missing = [c for c in JOB_SEARCH_COLUMNS if c not in frame]
        if missing:
            raise ValueError(
                f"job_search needs columns {', '.join(JOB_SEARCH_COLUMNS)}; missing {missing}"
            )
        has_visible = all(c in frame for c in VISIBLE_COLUMNS)
        if visible is None:
            visible = has_visible and not np.allclose(
                frame[VISIBLE_COLUMNS[0]], frame["p_any_offer"]
            )
        elif visible and not has_visible:
            raise ValueError(f"visible=True needs columns {', '.join(VISIBLE_COLUMNS)}")
        table = frame.sort_values(["percentile", "interviews"]).reset_index(drop=True)
        percentiles = sorted(table["percentile"].unique())
        finding = _finding(table, percentiles, target, visible)
        return cls(table, finding, note or "95% bands", percentiles=percentiles, target=target,
                   visible=bool(visible))  # fmt: skip


def _finding(table: pd.DataFrame, percentiles: Sequence[float], target: float, visible: bool):
    """How many interviews the median-most percentile needs for ``target`` odds."""
    reference = min(percentiles, key=lambda p: abs(p - 50))
    rows = table[table["percentile"] == reference]
    reached = rows[rows["p_any_offer"] >= target]
    who = (
        "A median candidate" if reference == 50 else f"A {ordinal(reference)}-percentile candidate"
    )
    if len(reached):
        needed = int(reached["interviews"].iloc[0])
        finding = f"{who} needs {needed} interviews to have {100 * target:.0f}% odds of an offer"
        if visible:
            sooner = rows[rows[VISIBLE_COLUMNS[0]] >= target]
            if len(sooner) and sooner["interviews"].iloc[0] < needed:
                finding += f" ({int(sooner['interviews'].iloc[0])} if they stay visible)"
        return finding
    last = rows.iloc[-1]
    return (
        f"{who} has only a {100 * last['p_any_offer']:.0f}% chance of an offer "
        f"after {int(last['interviews'])} interviews"
    )
