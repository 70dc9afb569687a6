"""The summaries' per-opening counts and block sums in the kernel.

The NumPy reference is :func:`simfunnel.analysis.summary.metric_columns` (its
counts) and :func:`simfunnel.analysis.summary.block_moments`.
"""

from __future__ import annotations

import numpy as np

from simfunnel.model.kernel.compiler import njit


@njit(cache=True)
def block_moments_kernel(by_column, block, n_valid):
    """Count, means, centred co-moments and differing openings of each block.

    ``by_column`` (metrics, 2K, rows) holds the columns that
    :func:`simfunnel.analysis.summary.block_moments` puts side by side, and this
    repeats its NumPy arithmetic in the same order: each sum starts at 0.0 and
    runs over the block's rows one by one (NumPy's order for a sum over a
    non-contiguous axis); rows at or beyond ``n_valid`` add NumPy's exact zeros,
    so they are left out. Returns ``counts`` (blocks,), ``means`` (blocks, metrics,
    2K), ``comoments`` (blocks, metrics, 2K, 2K) and ``differing`` (blocks,
    metrics, K, K).
    """
    metrics, width, rows = by_column.shape
    blocks = rows // block
    scenarios = width // 2
    counts = np.zeros(blocks)
    means = np.zeros((blocks, metrics, width))
    comoments = np.zeros((blocks, metrics, width, width))
    differing = np.zeros((blocks, metrics, scenarios, scenarios))
    for b in range(blocks):
        first = b * block
        valid = min(max(n_valid - first, 0), block)
        counts[b] = valid
        if valid == 0:
            continue
        last = first + valid
        for m in range(metrics):
            column = by_column[m]
            if width == 2:  # one scenario: its five sums advance together (same order each)
                sum_x = sum_y = 0.0
                for r in range(first, last):
                    sum_x += column[0, r]
                    sum_y += column[1, r]
                mean_x, mean_y = sum_x / valid, sum_y / valid
                xx = xy = yy = 0.0
                for r in range(first, last):
                    dx, dy = column[0, r] - mean_x, column[1, r] - mean_y
                    xx += dx * dx
                    xy += dx * dy
                    yy += dy * dy
                means[b, m, 0], means[b, m, 1] = mean_x, mean_y
                comoments[b, m, 0, 0], comoments[b, m, 1, 1] = xx, yy
                comoments[b, m, 0, 1] = comoments[b, m, 1, 0] = xy
                continue
            for w in range(width):
                total = 0.0
                for r in range(first, last):
                    total += column[w, r]
                means[b, m, w] = total / valid
            for i in range(width):
                mean_i = means[b, m, i]
                for j in range(i, width):
                    mean_j = means[b, m, j]
                    total = 0.0
                    for r in range(first, last):
                        total += (column[i, r] - mean_i) * (column[j, r] - mean_j)
                    comoments[b, m, i, j] = total
                    comoments[b, m, j, i] = total
            for k in range(scenarios):
                for other in range(k + 1, scenarios):
                    count = 0.0
                    for r in range(first, last):
                        if (
                            column[2 * k, r] != column[2 * other, r]
                            or column[2 * k + 1, r] != column[2 * other + 1, r]
                        ):
                            count += 1.0
                    differing[b, m, k, other] = count
                    differing[b, m, other, k] = count
    return counts, means, comoments, differing


# Columns of opening_columns_kernel's ``counts``, per opening.
OPENING_COUNTS = (
    "interviewees",
    "offers",
    "hires",
    "good",
    "felt",
    "good_offer",
    "felt_offer",
    "felt_no_offer",
    "withdrew",
    "slate",
    "external_hires",
    "external_offers",
    "bad",
    "best_interviewee_hired",
    "top_interview_offer",
    "waited",
)


@njit(cache=True)
def opening_columns_kernel(
    interviewed,
    withdrew,
    on_slate,
    internal_slot,
    offer,
    hired,
    offer_round,
    score,
    interview_score,
    felt_score,
    quality,
    value,
    stage,
    decision_week,
    interviews_end,
    freeze_week,
    days_to_answer,
    good_interview,
    bad_hire,
):
    """The per-opening quantities of the metric columns, in one pass over each opening.

    The NumPy path's ``Funnel.days_to_fill``, ``Funnel.wait_days``, ``Funnel.margins``
    and the counts of :func:`simfunnel.analysis.summary.metric_columns`
    (:data:`OPENING_COUNTS`), with the same first-index rule for ``argmax`` and
    ``argmin``. Days are whole numbers, so their sums are exact in any order.
    """
    openings, slots = interviewed.shape
    counts = np.zeros((openings, len(OPENING_COUNTS)), dtype=np.int64)
    days_to_fill = np.full(openings, np.nan)
    wait_days = np.full((openings, slots), np.nan)
    score_margin = np.full(openings, np.nan)
    interview_margin = np.full(openings, np.nan)
    for j in range(openings):
        c = counts[j]
        week_days = 7 * decision_week[j]
        interviewees = offers = hires = 0
        first_hire = np.iinfo(np.int64).max
        best_quality = top_interview = winner = runner_up = 0
        best_quality_value = top_interview_value = -np.inf
        winner_score, runner_up_score = np.inf, -np.inf
        any_offer = any_passed_over = False
        for s in range(slots):
            if interviewed[j, s]:
                interviewees += 1
                if quality[j, s] > best_quality_value:
                    best_quality_value, best_quality = quality[j, s], s
                if interview_score[j, s] > top_interview_value:
                    top_interview_value, top_interview = interview_score[j, s], s
                good = interview_score[j, s] >= good_interview
                felt = felt_score[j, s] >= good_interview
                c[3] += good
                c[4] += felt
                c[5] += good and offer[j, s]
                c[6] += felt and offer[j, s]
                c[7] += felt and not offer[j, s]
                if not withdrew[j, s] and not offer[j, s]:
                    any_passed_over = True
                    if score[j, s] > runner_up_score:
                        runner_up_score, runner_up = score[j, s], s
            if offer[j, s]:
                offers += 1
                any_offer = True
                if score[j, s] < winner_score:
                    winner_score, winner = score[j, s], s
                c[11] += not internal_slot[s]
            if hired[j, s]:
                hires += 1
                first_hire = min(first_hire, offer_round[j, s])
                c[10] += not internal_slot[s]
                c[12] += value[j, s] < bad_hire
            if on_slate[j, s] and not internal_slot[s] and stage[j] != 1:
                c[9] += 1
                c[8] += not interviewed[j, s] or withdrew[j, s]
        c[0], c[1], c[2] = interviewees, offers, hires
        c[13] = hired[j, best_quality] and hires > 0
        c[14] = offer[j, top_interview] and interviewees > 0
        if hires > 0:
            days_to_fill[j] = week_days + first_hire * days_to_answer
        if any_offer and any_passed_over:
            score_margin[j] = score[j, winner] - score[j, runner_up]
            interview_margin[j] = interview_score[j, winner] - interview_score[j, runner_up]
        closed = week_days + offers * days_to_answer
        for s in range(slots):
            if interviewed[j, s] and not withdrew[j, s]:
                if stage[j] != 0:
                    answer = 7 * (freeze_week[j] + 1.0)
                elif offer[j, s]:
                    answer = float(week_days + (offer_round[j, s] - 1) * days_to_answer)
                else:
                    answer = float(closed)
                wait_days[j, s] = answer - 7 * interviews_end[j]
                c[15] += 1
    return counts, days_to_fill, wait_days, score_margin, interview_margin
