"""Why good interviews lose: counterfactual loss attribution (MODEL.md section 3).

Every good interviewee without an offer has their opening's decision replayed on
the *same draws* with mechanisms removed. A replay is the same pure call
(:func:`simfunnel.model.decision.make_offers`) with other parameters: nothing is
re-drawn.

- Sequential: mechanisms removed cumulatively in :data:`MECHANISMS` order; the
  first removal that gives the loser an offer names the reason.
- Shapley: order-free; each mechanism's average marginal effect on "gets an
  offer" over all 128 subsets of removals. Per loser the values sum to the total
  effect of removing everything (0 or 1), so shares sum to 1 with the residual.
- Residual losses (no removal helps) are ``withdrew`` when the loser had taken
  another job before the decision (pause or not), ``narrow_margin`` when they trailed
  the last person offered (with everything removed) by less than
  ``analysis.narrow_margin`` SDs of ``U``; the rest were outperformed, and are split
  by what beat them: ``truly_better`` when that last person offered is truly better
  (higher true quality ``q``), else ``interview_noise``: the interview's noise ranked
  a candidate who is not truly better above them.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass
from itertools import accumulate
from math import factorial

import numpy as np

from simfunnel.model.decision import (
    ALL_MECHANISMS,
    MANAGER_MECHANISMS,
    MECHANISMS,
    Decision,
    Mechanism,
)

RESIDUALS = ("withdrew", "narrow_margin", "truly_better", "interview_noise")
REASONS = MECHANISMS + RESIDUALS
NO_REASON = -1
_ALL = ALL_MECHANISMS
_CANCEL = Mechanism.ROLE_CANCELLED
# Removing these changes who may be offered, and only in some openings.
_ELIGIBILITY = Mechanism.ROLE_PAUSED | Mechanism.INTERNAL_CANDIDATE


def _subsets(mask: Mechanism) -> list[Mechanism]:
    """Every set of mechanisms within ``mask``, the empty set first."""
    return [Mechanism(bits) for bits in range(_ALL + 1) if bits & ~mask == 0]


def _replays(
    sub: Decision, local_rows: np.ndarray, local_slots: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Replay the decision of the openings with a good loser under all 128 removals.

    Returns ``loser_offer`` (bool, shape (128, losers)): does removing the set ``S``
    give each loser an offer; the actual offers of the replayed openings; and the
    offers and scores with every mechanism removed (for the narrow margin).
    """
    cancelled = sub.cancelled_after[local_rows]
    # Removing the internal changes only openings where one interviewed; removing the
    # pause only those where someone withdrew during it. Elsewhere a replay with those
    # removals equals the one without, so only the affected openings are replayed.
    affected = {
        Mechanism.INTERNAL_CANDIDATE: (sub.interviewed & sub.internal_slot).any(axis=1),
        Mechanism.ROLE_PAUSED: (sub.available != sub.available_unpaused).any(axis=1),
    }
    changed = {}
    for removed in _subsets(_ELIGIBILITY)[1:]:
        rows = np.flatnonzero(np.logical_or.reduce([affected[m] for m in removed]))
        changed[removed] = (rows, sub.take(rows))
    # The score depends only on the manager's mechanisms: 16 scores serve 128
    # coalitions, all assembled from one set of terms.
    parts = sub.score_parts()
    # Cancellation only voids offers, so each replay serves two coalitions.
    loser_offer = np.empty((_ALL + 1, local_rows.size), dtype=bool)
    for manager in _subsets(MANAGER_MECHANISMS):
        score = parts.score(manager)
        base, _ = sub.offers(score, manager | _CANCEL)
        if manager == 0:
            replayed_actual = base & ~sub.cancelled_after[:, None]
        for eligibility in _subsets(_ELIGIBILITY):
            removed = manager | eligibility
            offer = base
            if eligibility:
                rows, only = changed[eligibility]
                offer = base.copy()
                offer[rows] = only.offers(score[rows], removed | _CANCEL)[0]
            at_loser = offer[local_rows, local_slots]
            loser_offer[removed | _CANCEL] = at_loser
            loser_offer[removed] = at_loser & ~cancelled
            if removed | _CANCEL == _ALL:
                final_offer, final_score = offer, score
    return loser_offer, replayed_actual, final_offer, final_score


SKIPPED = [0, 0]
"""Openings whose replays the bound skipped, and openings replayed, in this process."""


def _compiled_replays(
    decision: Decision,
    rows: np.ndarray,
    local_rows: np.ndarray,
    local_slots: np.ndarray,
    skip: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_replays` of the openings ``rows`` in the compiled kernel: the same four
    arrays, bit for bit. The kernel computes the counterfactual scores itself, from
    the chunk's signals (no copy of the replayed openings).

    The kernel's fifth output, the number of openings skipped, is kept in
    :data:`SKIPPED` (openings skipped, openings replayed) for the benchmarks.
    """
    from simfunnel.model import kernel

    signals, weights = decision.signals, decision.weights
    hiring_bar = decision.hiring_bar

    def floats(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(values, dtype=np.float64)

    def flags(values: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(values, dtype=np.bool_)

    *replays, skipped = kernel.replays_kernel(
        floats(signals.posterior_mean),
        floats(signals.posterior_variance),
        floats(signals.alignment),
        floats(signals.culture),
        floats(signals.narrative),
        flags(signals.niche),
        np.array(
            [
                weights.risk_aversion,
                weights.affinity_weight,
                weights.narrative_weight,
                weights.niche_value,
                weights.onboarding_cost,
                weights.transfer_risk**2,  # squared by Python, as in perceived_risk
            ],
            dtype=np.float64,
        ),
        flags(decision.interviewed),
        flags(decision.internal_slot),
        flags(decision.available),
        flags(decision.available_unpaused),
        flags(decision.declines),
        np.ascontiguousarray(decision.positions, dtype=np.int64),
        flags(decision.cancelled_after),
        int(decision.max_offers),
        -np.inf if hiring_bar is None else float(hiring_bar),
        np.ascontiguousarray(rows, dtype=np.int64),
        np.ascontiguousarray(local_rows, dtype=np.int64),
        np.ascontiguousarray(local_slots, dtype=np.int64),
        bool(skip),
    )
    SKIPPED[0] += skipped
    SKIPPED[1] += rows.size
    by_loser, *arrays = replays
    return (by_loser.T, *arrays)


def shapley_values(loser_offer: np.ndarray) -> np.ndarray:
    """Per loser, each mechanism's Shapley value, shape (losers, mechanisms).

    ``loser_offer[S]`` (bool, shape (128, losers)) says whether removing the set ``S``
    gives the loser an offer; ``phi_i = sum over S without i of w(|S|) (v(S + i) - v(S))``.
    """
    weights = shapley_weights()
    coalitions = np.arange(_ALL + 1)
    sizes = np.array([bin(c).count("1") for c in coalitions])
    shapley = np.empty((loser_offer.shape[1], len(MECHANISMS)))
    for i in range(len(MECHANISMS)):
        without = coalitions[(coalitions >> i & 1) == 0]
        gain = loser_offer[without | (1 << i)].astype(np.int8) - loser_offer[without]
        # Summed coalition by coalition in a fixed order (no BLAS: same bits on every CPU).
        shapley[:, i] = 0.0
        for coalition_weight, coalition_gain in zip(weights[sizes[without]], gain, strict=True):
            shapley[:, i] += coalition_weight * coalition_gain
    return shapley


def shapley_weights(players: int = len(MECHANISMS)) -> np.ndarray:
    """``|S|! (n - |S| - 1)! / n!`` for coalition sizes 0..n-1."""
    n = players
    return np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])


@dataclass(frozen=True)
class Attribution:
    """Attribution of every good interviewee without an offer (a "loser").

    Arrays are per loser, in (opening, slot) order, unless noted; :meth:`dense`
    spreads one onto the (openings, slots) grid.

    Attributes
    ----------
    shape : (openings, slots)
    rows, slots : int, shape (losers,)
        Where each loser sits.
    sequential : int8
        Index into :data:`REASONS`.
    shapley : float, shape (losers, 7)
        Shapley value of each mechanism.
    residual : int8
        Index into :data:`REASONS` of the residual class (withdrew, narrow margin,
        truly better, interview noise) for losers whom no removal helps, else
        ``NO_REASON``.
    alone_offer : bool, shape (losers, 7)
        Whether removing only that mechanism gives the loser an offer.
    replayed_rows : int, shape (replayed,)
        Openings that were replayed (those with a good loser).
    replayed_actual : bool, shape (replayed, slots)
        The actual decision of those openings, rebuilt by the replay machinery
        from the coalition "nothing removed": equal to the original bit for bit.
    """

    shape: tuple[int, int]
    rows: np.ndarray
    slots: np.ndarray
    sequential: np.ndarray
    shapley: np.ndarray
    residual: np.ndarray
    alone_offer: np.ndarray
    replayed_rows: np.ndarray
    replayed_actual: np.ndarray

    def dense(self, values: np.ndarray, fill: float | int | bool) -> np.ndarray:
        """Per-loser ``values`` on the (openings, slots[, ...]) grid, ``fill`` elsewhere."""
        out = np.full((*self.shape, *values.shape[1:]), fill, dtype=values.dtype)
        out[self.rows, self.slots] = values
        return out

    @property
    def good_loser(self) -> np.ndarray:
        """Bool (openings, slots): good interview, interviewed, no offer."""
        return self.dense(np.ones(self.rows.size, dtype=bool), False)

    def per_opening(self, values: np.ndarray) -> np.ndarray:
        """Sum of per-loser ``values`` for each opening, shape (openings,).

        Summed in slot order within each opening: independent of chunking.
        """
        return np.bincount(self.rows, weights=values, minlength=self.shape[0])


def attribute(
    decision: Decision,
    offer: np.ndarray,
    good: np.ndarray,
    narrow_margin: float,
    *,
    quality: np.ndarray,
    skip_unreachable: bool = True,
) -> Attribution:
    """Attribute every good interviewee's lost offer to a mechanism.

    With ``decision.kernel == "numba"`` the replays run in the compiled kernel
    (:func:`simfunnel.model.kernel.replays_kernel`), and with ``skip_unreachable``
    the replays under a manager's score that leaves every loser of the opening
    behind enough sure winners (a bound on the score gap,
    :func:`simfunnel.model.kernel.decision._blocked`) are skipped; the result is the same,
    bit for bit.

    Parameters
    ----------
    offer : bool, shape (openings, slots)
        The actual offers (``decision.replay(0)``).
    good : bool, shape (openings, slots)
        Good interviews.
    narrow_margin : float
        The ``narrow_margin`` threshold in units of ``U`` (already scaled by its SD).
    quality : float, shape (openings, slots)
        True quality ``q``: whether the candidate who beat a loser is truly better.
    """
    good_loser = good & decision.interviewed & ~offer
    # Only openings with a good loser are replayed, and the replays without the
    # internal only where an internal interviewed: elsewhere they change nothing.
    rows = np.flatnonzero(good_loser.any(axis=1))
    local_rows, local_slots = np.nonzero(good_loser[rows])

    if decision.kernel == "numba":
        loser_offer, replayed_actual, final_offer, final_score = _compiled_replays(
            decision, rows, local_rows, local_slots, skip_unreachable
        )
    else:
        loser_offer, replayed_actual, final_offer, final_score = _replays(
            decision.take(rows), local_rows, local_slots
        )

    # Removed cumulatively in order: {cancel}, {cancel, internal}, ...
    stages = loser_offer[list(accumulate(Mechanism, operator.or_))]
    last_offered = np.where(final_offer, final_score, np.inf).min(axis=1)
    gap = last_offered[local_rows] - final_score[local_rows, local_slots]
    # Who beat them with everything removed: the last person offered. With nobody
    # offered (everyone below the hiring bar) nobody truly better beat them.
    winner = np.where(final_offer, final_score, np.inf).argmin(axis=1)
    replayed_quality = quality[rows]
    winner_quality = np.where(
        final_offer.any(axis=1),
        replayed_quality[np.arange(rows.size), winner],
        -np.inf,
    )
    truly_better = winner_quality[local_rows] > replayed_quality[local_rows, local_slots]
    outperformed = np.where(
        truly_better, REASONS.index("truly_better"), REASONS.index("interview_noise")
    )
    residual_class = np.where(gap < narrow_margin, REASONS.index("narrow_margin"), outperformed)
    # Gone before the decision even without a pause: they took another job first.
    gone = ~decision.available_unpaused[rows[local_rows], local_slots]
    residual_class = np.where(gone, REASONS.index("withdrew"), residual_class).astype(np.int8)
    sequential = np.where(stages.any(axis=0), stages.argmax(axis=0), residual_class)
    residual = np.where(loser_offer[_ALL], NO_REASON, residual_class).astype(np.int8)

    if decision.kernel == "numba":
        from simfunnel.model.kernel import shapley_kernel

        shapley = shapley_kernel(np.ascontiguousarray(loser_offer.T), shapley_weights())
    else:
        shapley = shapley_values(loser_offer)
    alone = loser_offer[list(Mechanism)].T
    return Attribution(
        shape=offer.shape,
        rows=rows[local_rows],
        slots=local_slots,
        sequential=sequential.astype(np.int8),
        shapley=shapley,
        residual=residual,
        alone_offer=alone,
        replayed_rows=rows,
        replayed_actual=replayed_actual,
    )


def shapley_reason(attribution: Attribution) -> np.ndarray:
    """Per loser, the mechanism with the largest Shapley value (residual class if none)."""
    best = attribution.shapley.argmax(axis=-1).astype(np.int8)
    helped = attribution.shapley.max(axis=-1) > 0
    return np.where(helped, best, attribution.residual).astype(np.int8)
