"""The calendar of an opening: posting week, process length, freezes (cancellations, pauses).

A freeze (a budget cut) strikes with a weekly hazard. Before final interviews
end it cancels the role; after them a share ``role.pause_share`` of freezes
pause the role for ``role.pause_weeks`` and the decision resumes, the rest cancel.
The weekly freeze hazard is ``h(w) = h0 * g[quarter(w)]`` with ``g`` the
quarter multipliers scaled to mean 1 (MODEL.md 1.7). ``h0`` is solved once per
scenario so that the share of cancelled openings, averaged over posting weeks
and process lengths, equals ``role.cancel_probability``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import expm1  # not NumPy's: the same bits on every CPU

from simfunnel.errors import InputError
from simfunnel.model.scenario import Role
from simfunnel.model.seasons import (  # noqa: F401 (re-exported: the calendar's vocabulary)
    WEEKS_PER_YEAR,
    month_of_week,
    posting_week_probability,
    quarter_of_week,
    unit_cumulative_hazard,
)
from simfunnel.model.seasons import exposure as unit_exposure

NOT_CANCELLED, CANCELLED_BEFORE_INTERVIEWS, CANCELLED_AFTER_INTERVIEWS = 0, 1, 2


def uniform_int(uniform: np.ndarray, low: int, high: int) -> np.ndarray:
    """UniformInt[low, high] (inclusive) from U(0, 1) draws."""
    return low + (uniform * (high - low + 1)).astype(np.int64)


@dataclass(frozen=True)
class Calendar:
    """Everything about time that is fixed per scenario.

    Attributes
    ----------
    week_cdf : ndarray, shape (52,)
        Cumulative probability of the posting week.
    cumulative_hazard : ndarray, shape (52 + max weeks + 1,)
        ``H[i] = sum_{u < i} h(u)``: cumulative hazard from week 0.
    """

    week_cdf: np.ndarray
    cumulative_hazard: np.ndarray
    weekly_base_hazard: float
    process_low: int
    process_high: int
    interview_at: float
    pause_share: float = 0.0
    pause_low: int = 0
    pause_high: int = 0

    @classmethod
    def from_role(cls, role: Role, extra_weeks: int = 0) -> Calendar:
        """The calendar of ``role``; ``extra_weeks`` lengthens (or, negative, shortens)
        every process by that many weeks, never below one week (interview rounds beyond
        or short of those the calibrated range holds, :func:`round_weeks`)."""
        week_probability = posting_week_probability(role.posting_month_weights)
        week_cdf = np.cumsum(week_probability)
        week_cdf[-1] = 1.0
        low = max(1, role.process_weeks.low + extra_weeks)
        high = max(low, role.process_weeks.high + extra_weeks)
        unit_cumulative = unit_cumulative_hazard(role.quarter_multipliers, high)
        exposure, lengths = unit_exposure(role.quarter_multipliers, low, high)
        weight = week_probability[:, None] / len(lengths)

        def cancel_share(h0: float) -> float:
            return float(np.sum(weight * -expm1(-h0 * exposure)))

        target = role.cancel_probability
        if target == 0:
            h0 = 0.0
        else:
            reachable = float(np.sum(weight * (exposure > 0)))
            if target >= reachable - 1e-9:
                raise InputError(
                    f"cancel probability {target} cannot be reached: only {reachable:.3f} of "
                    "openings run through a week with a non-zero quarter multiplier",
                    path="role.cancel_probability",
                )
            upper = 1.0
            while cancel_share(upper) < target:
                upper *= 2
            h0 = brentq(lambda h: cancel_share(h) - target, 0.0, upper, xtol=1e-14, rtol=1e-12)
        return cls(
            week_cdf,
            h0 * unit_cumulative,
            h0,
            low,
            high,
            role.interview_at,
            role.pause_share,
            role.pause_weeks.low,
            role.pause_weeks.high,
        )

    def posting_week(self, uniform: np.ndarray) -> np.ndarray:
        """Posting week 0..51 from uniforms, by inverse CDF."""
        return np.searchsorted(self.week_cdf, uniform, side="right").clip(0, WEEKS_PER_YEAR - 1)

    def process_weeks(self, uniform: np.ndarray) -> np.ndarray:
        """Process length T ~ UniformInt[low, high] from uniforms."""
        return uniform_int(uniform, self.process_low, self.process_high)

    def interviews_end(self, process_weeks: np.ndarray) -> np.ndarray:
        """Week offset (from posting) at which final interviews end: ceil(interview_at * T)."""
        return np.ceil(self.interview_at * process_weeks - 1e-12).astype(np.int64)

    def freeze(
        self, posting_week: np.ndarray, process_weeks: np.ndarray, exponential: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stage of each opening's freeze (0 none, 1 before, 2 after interviews) and its week.

        The role is frozen in the first week offset ``t`` in ``0..T-1`` where the
        cumulative hazard since the posting week reaches ``exponential``; the week
        offset is -1 where no freeze strikes.
        """
        stage = np.zeros(posting_week.shape, dtype=np.int8)
        if self.weekly_base_hazard == 0:
            return stage, np.full(posting_week.shape, -1, dtype=np.int64)
        hazard = self.cumulative_hazard
        first = np.searchsorted(hazard, hazard[posting_week] + exponential, side="left")
        offset = first - 1 - posting_week
        frozen = offset <= process_weeks - 1
        before = offset < self.interviews_end(process_weeks)
        stage[frozen & before] = CANCELLED_BEFORE_INTERVIEWS
        stage[frozen & ~before] = CANCELLED_AFTER_INTERVIEWS
        return stage, np.where(frozen, offset, -1)

    def pauses(
        self, stage: np.ndarray, pause_uniform: np.ndarray, length_uniform: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Split freezes after interviews into cancellations and pauses.

        Returns the stage with paused openings set back to ``NOT_CANCELLED`` and the
        pause length in weeks (0 where the role was not paused).
        """
        paused = (stage == CANCELLED_AFTER_INTERVIEWS) & (pause_uniform < self.pause_share)
        weeks = np.where(paused, uniform_int(length_uniform, self.pause_low, self.pause_high), 0)
        return np.where(paused, NOT_CANCELLED, stage).astype(np.int8), weeks

    def cancellation(
        self, posting_week: np.ndarray, process_weeks: np.ndarray, exponential: np.ndarray
    ) -> np.ndarray:
        """Freeze stage of each opening, pauses not split off (see :meth:`freeze`)."""
        return self.freeze(posting_week, process_weeks, exponential)[0]


# The rounds that role.process_weeks (calibrated to published days to fill) already holds:
# the baseline's three. Each round more or fewer moves the process by interview.days_per_round.
REFERENCE_ROUNDS = 3


def round_weeks(rounds: int, days_per_round: float) -> int:
    """Whole weeks by which ``rounds`` interview rounds lengthen the process against the
    :data:`REFERENCE_ROUNDS` the process-length range was calibrated with (negative for
    fewer rounds), rounded half up."""
    return math.floor((rounds - REFERENCE_ROUNDS) * days_per_round / 7 + 0.5)
