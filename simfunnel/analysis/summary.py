"""Summaries with confidence intervals that respect clustering within openings.

Every metric is a ratio of per-opening totals, ``sum_j y_j / sum_j x_j`` (e.g.
offers / interviewees). Interviewees of one opening compete with each other, so
they are not independent; openings are. The 95% CI uses the ratio estimator's
linearised (delta-method) variance over openings:

    r = Y / X,   se(r)^2 = sum_j (y_j - r x_j)^2 / (n (n - 1) xbar^2)

Only sufficient statistics are kept (n, the means of x and y and their centred
(co)moments, merged block by block as the blocks arrive), so memory does not
grow with the number of openings, and merging in block order makes the result
independent of chunk size and worker count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simfunnel.model import calendar as cal
from simfunnel.model.attribution import MECHANISMS, REASONS, RESIDUALS, Attribution
from simfunnel.model.engine import Funnel

Z_95 = 1.959963984540054
MIN_DIFFERING = 20
"""Fewest openings that differ between two scenarios for a paired CI of their difference."""

FUNNEL_STAGES = {
    "applicants": "applicants_per_opening",
    "shortlisted": "shortlisted_per_opening",
    "interviewed": "interviewees_per_opening",
    "offers": "offers_per_opening",
    "hires": "hires_per_opening",
}
OUTCOMES = (
    "hired_external",
    "hired_internal",
    "cancelled_before_interviews",
    "cancelled_after_interviews",
    "no_hire",
)
STATS = ("n", "mean_x", "mean_y", "cxx", "cyy", "cxy")
"""Per metric: openings, mean numerator and denominator, their centred (co)moments."""


@dataclass(frozen=True)
class Thresholds:
    """Fixed per scenario from its reference sample (MODEL.md section 3).

    Attributes
    ----------
    good_interview : float
        Interview scores at or above this are a "good interview".
    narrow_margin : float
        A loss by less than this (in units of U) is "narrow".
    bad_hire : float
        A hire with realised value below this is a bad hire.
    good_interview_se : float
        Standard error, in share units, of the share of interviewees above
        ``good_interview`` as the reference sample estimates it (0 when exact).
    reference_openings : int
        Openings in the reference sample that fixed ``good_interview``.
    """

    good_interview: float
    narrow_margin: float
    bad_hire: float
    good_interview_se: float = 0.0
    reference_openings: int = 0


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    return np.take_along_axis(values, index[:, None], axis=1)[:, 0]


def opening_outcome(funnel: Funnel) -> np.ndarray:
    """Outcome code (index into OUTCOMES) per opening."""
    hires = funnel.hired.sum(axis=1)
    internal_hired = funnel.hired[:, -1]
    outcome = np.full(hires.shape, OUTCOMES.index("no_hire"), dtype=np.int8)
    outcome[hires > 0] = OUTCOMES.index("hired_external")
    outcome[internal_hired] = OUTCOMES.index("hired_internal")
    outcome[funnel.cancelled_stage == cal.CANCELLED_BEFORE_INTERVIEWS] = OUTCOMES.index(
        "cancelled_before_interviews"
    )
    outcome[funnel.cancelled_stage == cal.CANCELLED_AFTER_INTERVIEWS] = OUTCOMES.index(
        "cancelled_after_interviews"
    )
    return outcome


def metric_columns(
    funnel: Funnel,
    thresholds: Thresholds,
    attribution: Attribution | None,
    money_per_sd: float | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-opening (numerator, denominator) of every summary metric.

    ``money_per_sd`` (:attr:`simfunnel.model.scenario.Value.money_per_sd`) adds the
    money value of a hire; without it, no money metric is reported.
    """
    interviewed = funnel.interviewed
    one = np.ones(interviewed.shape[0])
    count = _opening_counts(funnel, thresholds)
    interviewees = count["interviewees"]
    among = denominator_columns(count)
    reached = among["interviewed_openings"]
    offers, hires = count["offers"], count["hires"]
    any_hire = hires > 0
    stage = funnel.cancelled_stage
    quarter = funnel.quarter
    score_margin, _ = funnel.margins
    hire_value = np.where(funnel.hired, funnel.value, 0.0).sum(axis=1)
    filled = ~np.isnan(funnel.days_to_fill)
    waited = ~np.isnan(funnel.wait_days)
    internal_hired = funnel.hired[:, -1]

    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {
        "applicants_per_opening": (funnel.applicants, one),
        "shortlisted_per_opening": (funnel.shortlist + funnel.internal_present, one),
        "interviewed_per_opening": (interviewees, reached),
        "interviewees_per_opening": (interviewees, one),
        "offer_rate_interviewed": (offers, interviewees),
        "offer_rate_per_opening_mean": (
            np.divide(offers, interviewees, out=0 * one, where=reached),
            reached,
        ),
        "offers_per_opening": (offers, one),
        "hire_rate": (any_hire, one),
        "hires_per_opening": (hires, one),
        "cancel_rate": (stage > 0, one),
        "cancel_before_interviews_rate": (stage == cal.CANCELLED_BEFORE_INTERVIEWS, one),
        "cancel_after_interviews_rate": (stage == cal.CANCELLED_AFTER_INTERVIEWS, one),
        "paused_rate": (funnel.pause_weeks > 0, one),
        **{f"cancel_rate_q{q + 1}": ((stage > 0) & (quarter == q), quarter == q) for q in range(4)},
        "withdrawal_rate": (count["withdrew"], among["open_slate"]),
        "offer_acceptance_rate": (hires, offers),
        "external_acceptance_rate": (count["external_hires"], count["external_offers"]),
        "days_to_fill": (np.where(filled, funnel.days_to_fill, 0.0), filled),
        "wait_days": (np.where(waited, funnel.wait_days, 0.0).sum(axis=1), count["waited"]),
        "internal_present_rate": (funnel.internal_present, one),
        "internal_win_rate": (internal_hired, funnel.internal_present & any_hire),
        "internal_share_of_hires": (internal_hired, hires),
        "best_interviewee_hired_rate": (count["best_interviewee_hired"], any_hire),
        "top_interview_offer_rate": (count["top_interview_offer"], reached),
        "good_interview_offer_rate": (count["good_offer"], count["good"]),
        "felt_great_offer_rate": (count["felt_offer"], count["felt"]),
        "felt_great_no_offer_rate": (count["felt_no_offer"], count["felt"]),
        "good_interview_share": (count["good"], interviewees),
        "felt_great_share": (count["felt"], interviewees),
        "microscopic_margin_rate": (
            np.nan_to_num(score_margin, nan=np.inf) < thresholds.narrow_margin,
            ~np.isnan(score_margin),
        ),
        "mean_hire_value": (hire_value, hires),
        "bad_hire_rate": (count["bad"], hires),
    }
    if money_per_sd is not None:
        columns["money_per_hire"] = (money_per_sd * hire_value, hires)
    if attribution is not None:
        columns.update(loss_columns(funnel, attribution))
    return columns


def denominator_columns(count: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per opening, each shared denominator of :data:`~simfunnel.metrics.DENOMINATORS`."""
    return {
        "interviewed_openings": count["interviewees"] > 0,
        "open_slate": count["slate"],
    }


def _opening_counts(funnel: Funnel, thresholds: Thresholds) -> dict[str, np.ndarray]:
    """Per-opening counts behind the metric columns (:data:`kernel.OPENING_COUNTS`).

    On the compiled kernel one pass per opening gives them, and fills the funnel's
    ``days_to_fill``, ``wait_days`` and ``margins`` on the way; on NumPy they are
    whole-array expressions.
    """
    if funnel.decision.kernel == "numba":
        from simfunnel.model import kernel

        counts, days_to_fill, wait_days, *margins = kernel.opening_columns_kernel(
            *(
                np.ascontiguousarray(a)
                for a in (
                    funnel.interviewed,
                    funnel.withdrew,
                    funnel.on_slate,
                    funnel.internal_slot,
                    funnel.offer,
                    funnel.hired,
                    funnel.offer_round,
                    funnel.score,
                    funnel.interview_score,
                    funnel.felt_score,
                    funnel.quality,
                    funnel.value,
                    funnel.cancelled_stage.astype(np.int64),
                    funnel.decision_week.astype(np.int64),
                    funnel.interviews_end.astype(np.int64),
                    funnel.freeze_week.astype(np.int64),
                )
            ),
            int(funnel.days_to_answer),
            float(thresholds.good_interview),
            float(thresholds.bad_hire),
        )
        cached = funnel.__dict__  # the cached properties, computed here already
        cached.setdefault("days_to_fill", days_to_fill)
        cached.setdefault("wait_days", wait_days)
        cached.setdefault("margins", tuple(margins))
        return dict(zip(kernel.OPENING_COUNTS, counts.T, strict=True))
    interviewed, offer, hired = funnel.interviewed, funnel.offer, funnel.hired
    good = interviewed & (funnel.interview_score >= thresholds.good_interview)
    felt = interviewed & (funnel.felt_score >= thresholds.good_interview)
    best_quality = np.where(interviewed, funnel.quality, -np.inf).argmax(axis=1)
    top_interview = np.where(interviewed, funnel.interview_score, -np.inf).argmax(axis=1)
    external = ~funnel.internal_slot
    stage = funnel.cancelled_stage
    slate = funnel.on_slate & external & (stage != cal.CANCELLED_BEFORE_INTERVIEWS)[:, None]
    interviewees, hires = interviewed.sum(axis=1), hired.sum(axis=1)
    return {
        "interviewees": interviewees,
        "offers": offer.sum(axis=1),
        "hires": hires,
        "good": good.sum(axis=1),
        "felt": felt.sum(axis=1),
        "good_offer": (good & offer).sum(axis=1),
        "felt_offer": (felt & offer).sum(axis=1),
        "felt_no_offer": (felt & ~offer).sum(axis=1),
        "withdrew": (slate & (~interviewed | funnel.withdrew)).sum(axis=1),
        "slate": slate.sum(axis=1),
        "external_hires": (hired & external).sum(axis=1),
        "external_offers": (offer & external).sum(axis=1),
        "bad": (hired & (funnel.value < thresholds.bad_hire)).sum(axis=1),
        "best_interviewee_hired": _at(hired, best_quality) & (hires > 0),
        "top_interview_offer": _at(offer, top_interview) & (interviewees > 0),
        "waited": (~np.isnan(funnel.wait_days)).sum(axis=1),
    }


def loss_columns(
    funnel: Funnel, attribution: Attribution
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-opening loss-attribution columns, named ``loss:<method>:<reason>``."""
    per_opening = attribution.per_opening
    n_losers = per_opening(np.ones(attribution.rows.size))
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for index, reason in enumerate(REASONS):
        columns[f"loss:sequential:{reason}"] = (
            per_opening(attribution.sequential == index),
            n_losers,
        )
    for index, reason in enumerate(MECHANISMS):
        columns[f"loss:shapley:{reason}"] = (per_opening(attribution.shapley[:, index]), n_losers)
    for reason in RESIDUALS:
        columns[f"loss:shapley:{reason}"] = (
            per_opening(attribution.residual == REASONS.index(reason)),
            n_losers,
        )
    for index, reason in enumerate(MECHANISMS):
        columns[f"loss:removed_alone:{reason}"] = (
            per_opening(attribution.alone_offer[:, index]),
            n_losers,
        )
    # The interview was a noisy measure: the loser was truly better than the winner
    # (the hire with the highest U).
    winner = np.where(funnel.hired, funnel.score, -np.inf).argmax(axis=1)
    any_hire = funnel.hired.any(axis=1)
    rows = attribution.rows
    better = (funnel.quality[rows, attribution.slots] > _at(funnel.quality, winner)[rows]) & (
        any_hire[rows]
    )
    columns["loser_better_quality_rate"] = (per_opening(better), n_losers * any_hire)
    return columns


@dataclass(frozen=True)
class Moments:
    """Count, means and centred co-moments over openings of ``v = (x_1, y_1, ..., x_K, y_K)``
    per metric, for K scenarios run on the same openings.

    Centred sums (not raw sums of squares, whose differences cancel catastrophically)
    merged block by block with the parallel update of Chan, Golub & LeVeque (1979).
    Merging in block order makes the totals independent of chunk size and worker
    count, and identical columns stay identical bit for bit, so a scenario compared
    with itself has a difference and a standard error of exactly zero.

    Attributes
    ----------
    count : float
        Openings.
    mean : ndarray, shape (metrics, 2K)
    comoment : ndarray, shape (metrics, 2K, 2K)
        ``sum_j (v_j - mean)(v_j - mean)'``.
    differing : ndarray, shape (metrics, K, K)
        Openings whose (x, y) differ between scenarios k and l: the openings a paired
        difference is learnt from.
    """

    count: float
    mean: np.ndarray
    comoment: np.ndarray
    differing: np.ndarray  # (metrics, K, K): openings where scenarios k and l differ

    def merge(self, other: Moments) -> Moments:
        """Moments of the openings of ``self`` followed by those of ``other``."""
        if other.count == 0:
            return self
        if self.count == 0:
            return other
        count = self.count + other.count
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.count / count)
        spread = delta[:, :, None] * delta[:, None, :] * (self.count * other.count / count)
        return Moments(
            count, mean, self.comoment + other.comoment + spread, self.differing + other.differing
        )

    def statistics(self, names: list[str], scenario: int = 0) -> pd.DataFrame:
        """The (n, mean_x, mean_y, cxx, cyy, cxy) of one scenario, one row per metric."""
        x, y = 2 * scenario, 2 * scenario + 1
        table = np.column_stack(
            [
                np.full(len(names), float(self.count)),
                self.mean[:, x],
                self.mean[:, y],
                self.comoment[:, x, x],
                self.comoment[:, y, y],
                self.comoment[:, x, y],
            ]
        )
        return pd.DataFrame(table, index=pd.Index(names, name="metric"), columns=list(STATS))

    def difference(self, names: list[str], a: int, b: int) -> pd.DataFrame:
        """Ratio of scenario ``a`` minus ratio of scenario ``b``, with paired and unpaired CIs.

        Linearised: d_j = (y_aj - r_a x_aj) / xbar_a - (y_bj - r_b x_bj) / xbar_b, so
        ``var(d) = (g_a' C_aa g_a + g_b' C_bb g_b + 2 g_a' C_ab g_b) / (n (n - 1))`` with
        ``g = (-r / xbar, 1 / xbar)`` (``g_b`` negated). The paired variance keeps the
        cross term (the same openings), the unpaired one drops it (as if the runs
        were independent). Each term is the same sum in the same order, so for
        ``a`` compared with itself the terms cancel exactly.

        A paired difference is learnt only from the openings where the two scenarios
        differ (``differing_openings``). With fewer than :data:`MIN_DIFFERING` of them
        the normal approximation fails (none differing gives a zero-width interval
        around a difference that may well be non-zero), so the paired CI is left
        out (NaN; ``se`` is still reported, exactly 0 for identical scenarios): the
        run is too short to resolve that difference.
        """
        n = float(self.count)
        xa, ya, xb, yb = 2 * a, 2 * a + 1, 2 * b, 2 * b + 1
        mean, comoment = self.mean, self.comoment
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_a, ratio_b = mean[:, ya] / mean[:, xa], mean[:, yb] / mean[:, xb]
            gradient_a = (-ratio_a / mean[:, xa], 1.0 / mean[:, xa])
            gradient_b = (ratio_b / mean[:, xb], -1.0 / mean[:, xb])

            def form(left, i, j, right):
                """``left' C[(i, i+1), (j, j+1)] right`` summed in a fixed order."""
                c = comoment
                first = left[0] * (c[:, i, j] * right[0] + c[:, i, j + 1] * right[1])
                second = left[1] * (c[:, i + 1, j] * right[0] + c[:, i + 1, j + 1] * right[1])
                return first + second

            own = form(gradient_a, xa, xa, gradient_a) + form(gradient_b, xb, xb, gradient_b)
            paired = (own + 2.0 * form(gradient_a, xa, xb, gradient_b)) / (n * (n - 1))
            unpaired = own / (n * (n - 1))
        difference = ratio_a - ratio_b
        se, se_unpaired = np.sqrt(np.clip(paired, 0, None)), np.sqrt(np.clip(unpaired, 0, None))
        differing = self.differing[:, a, b]
        half = np.where(differing >= MIN_DIFFERING, Z_95 * se, np.nan)
        return pd.DataFrame(
            {
                "difference": difference,
                "ci_low": difference - half,
                "ci_high": difference + half,
                "se": se,
                "unpaired_ci_low": difference - Z_95 * se_unpaired,
                "unpaired_ci_high": difference + Z_95 * se_unpaired,
                "unpaired_se": se_unpaired,
                "differing_openings": differing.astype(np.int64),
            },
            index=pd.Index(names, name="metric"),
        )


def block_moments(
    columns: list[dict[str, tuple[np.ndarray, np.ndarray]]],
    n_valid: int,
    block: int,
    kernel: str = "numpy",
) -> list[Moments]:
    """Moments of each block of openings, for the metric columns of K scenarios.

    Rows at or beyond ``n_valid`` (the tail of the last, partial block) count as absent.
    ``kernel="numba"`` sums in the compiled kernel
    (:func:`simfunnel.model.kernel.block_moments_kernel`): the same sums in the same
    order, so the same bits.
    """
    rows = next(iter(columns[0].values()))[0].shape[0]
    blocks = rows // block
    if kernel == "numba":
        from simfunnel.model.kernel import block_moments_kernel

        # by_column[metric, 2k + (0 for x, 1 for y), opening]: each column contiguous
        by_column = np.empty((len(columns[0]), 2 * len(columns), rows))
        for k, scenario_columns in enumerate(columns):
            for m, (y, x) in enumerate(scenario_columns.values()):
                by_column[m, 2 * k] = x
                by_column[m, 2 * k + 1] = y
        counts, means, comoments, differing = block_moments_kernel(by_column, block, n_valid)
        return [
            Moments(float(counts[b]), means[b], comoments[b], differing[b])
            for b in range(blocks)
            if counts[b] > 0
        ]
    valid = (np.arange(rows) < n_valid).reshape(blocks, block)
    # values[opening, metric, 2k + (0 for x, 1 for y)] for scenario k
    values = np.empty((rows, len(columns[0]), 2 * len(columns)))
    for k, scenario_columns in enumerate(columns):
        for m, (y, x) in enumerate(scenario_columns.values()):
            values[:, m, 2 * k] = x
            values[:, m, 2 * k + 1] = y
    values = values.reshape(blocks, block, *values.shape[1:])
    values[~valid] = 0.0
    counts = valid.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = values.sum(axis=1) / counts[:, None, None]
    centred = values - means[:, None]
    centred[~valid] = 0.0
    width = values.shape[-1]
    comoments = np.empty((*means.shape, width))
    for i in range(width):
        for j in range(i, width):
            product = (centred[..., i] * centred[..., j]).sum(axis=1)
            comoments[..., i, j] = comoments[..., j, i] = product
    scenarios = len(columns)
    differing = np.zeros((blocks, values.shape[2], scenarios, scenarios))
    for k in range(scenarios):
        for m in range(k + 1, scenarios):
            differs = (values[..., 2 * k] != values[..., 2 * m]) | (
                values[..., 2 * k + 1] != values[..., 2 * m + 1]
            )
            differing[:, :, k, m] = differing[:, :, m, k] = differs.sum(axis=1)
    return [
        Moments(float(counts[b]), means[b], comoments[b], differing[b])
        for b in range(blocks)
        if counts[b] > 0
    ]


def ratio_table(names: list[str], totals: np.ndarray) -> pd.DataFrame:
    """Ratio estimates with 95% CIs from the statistics (:data:`STATS`), shape (metrics, 6).

    With centred sums, ``sum_j (y_j - r x_j)^2 = Cyy - 2 r Cxy + r^2 Cxx`` exactly when
    ``r = ybar / xbar`` (the mean residual is zero).
    """
    n, mean_x, mean_y, cxx, cyy, cxy = totals.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = mean_y / mean_x
        residual_ss = np.clip(cyy - 2 * ratio * cxy + ratio**2 * cxx, 0.0, None)
        se = np.sqrt(residual_ss / (n * (n - 1))) / mean_x
        x = n * mean_x
    return pd.DataFrame(
        {
            "value": ratio,
            "ci_low": ratio - Z_95 * se,
            "ci_high": ratio + Z_95 * se,
            "se": se,
            "denominator": x,
        },
        index=pd.Index(names, name="metric"),
    )
