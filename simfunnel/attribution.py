"""Why good interviews lose: counterfactual loss attribution (MODEL.md section 3).

Every good interviewee without an offer has their opening's decision replayed on
the *same draws* with mechanisms removed. A replay is the same pure call
(:func:`simfunnel.decision.make_offers`) with other parameters: nothing is
re-drawn.

- Sequential: mechanisms removed cumulatively in :data:`MECHANISMS` order; the
  first removal that gives the loser an offer names the reason.
- Shapley: order-free; each mechanism's average marginal effect on "gets an
  offer" over all 32 subsets of removals. Per loser the values sum to the total
  effect of removing everything (0 or 1), so shares sum to 1 with the residual.
- Residual losses (no removal helps) are ``narrow_margin`` when the loser trailed
  the last person offered (with everything removed) by less than
  ``analysis.narrow_margin`` SDs of ``U``, else ``outperformed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np

from simfunnel.decision import Signals, Weights, make_offers, risk_adjusted_score

MECHANISMS = (
    "role_cancelled",
    "internal_candidate",
    "safer_candidate",
    "culture_mirror",
    "niche_fit",
)
RESIDUALS = ("narrow_margin", "outperformed")
REASONS = MECHANISMS + RESIDUALS
NO_REASON = -1
_ALL = (1 << len(MECHANISMS)) - 1
_CANCEL, _INTERNAL = 1, 2


@dataclass(frozen=True)
class Decision:
    """Everything the decision needs, arrays shape (openings, slots) unless noted."""

    signals: Signals
    weights: Weights
    interviewed: np.ndarray
    internal_slot: np.ndarray
    declines: np.ndarray
    positions: np.ndarray  # (openings,)
    cancelled_after: np.ndarray  # (openings,)
    max_offers: int
    hiring_bar: float | None

    def replay(self, removed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offers, hires and scores with the mechanisms in bitmask ``removed`` switched off.

        Bit ``i`` stands for ``MECHANISMS[i]``; ``replay(0)`` is the actual decision.
        """
        names = [m for i, m in enumerate(MECHANISMS) if removed >> i & 1]
        score = risk_adjusted_score(self.signals, self.weights.without(*names))
        eligible = self.interviewed
        if removed & _INTERNAL:
            eligible = eligible & ~self.internal_slot
        offer, hired = make_offers(
            score, eligible, self.declines, self.positions, self.max_offers, self.hiring_bar
        )
        if not removed & _CANCEL:
            voided = self.cancelled_after[:, None]
            offer, hired = offer & ~voided, hired & ~voided
        return offer, hired, score


def shapley_weights(players: int = len(MECHANISMS)) -> np.ndarray:
    """``|S|! (n - |S| - 1)! / n!`` for coalition sizes 0..n-1."""
    n = players
    return np.array([factorial(s) * factorial(n - s - 1) / factorial(n) for s in range(n)])


@dataclass(frozen=True)
class Attribution:
    """Per-candidate attribution, arrays shape (openings, slots) unless noted.

    Attributes
    ----------
    good_loser : bool
        Good interview, interviewed, no offer.
    sequential : int8
        Index into :data:`REASONS`, or ``NO_REASON``.
    shapley : float, shape (openings, slots, 5)
        Shapley value of each mechanism (0 for non-losers).
    residual : int8
        Index into :data:`REASONS` of the residual class (narrow/outperformed).
    offer_when_removed : bool, shape (32, openings, slots)
        ``[S]``: offers with the mechanisms in bitmask ``S`` removed (``[0]`` is
        the actual decision, reconstructed by the replay machinery).
    """

    good_loser: np.ndarray
    sequential: np.ndarray
    shapley: np.ndarray
    residual: np.ndarray
    offer_when_removed: np.ndarray

    @property
    def alone_offer(self) -> np.ndarray:
        """Offers with only one mechanism removed, shape (5, openings, slots)."""
        return self.offer_when_removed[[1 << i for i in range(len(MECHANISMS))]]


def attribute(
    decision: Decision, offer: np.ndarray, good: np.ndarray, narrow_margin: float
) -> Attribution:
    """Attribute every good interviewee's lost offer to a mechanism.

    Parameters
    ----------
    offer : bool, shape (openings, slots)
        The actual offers (``decision.replay(0)``).
    good : bool, shape (openings, slots)
        Good interviews.
    narrow_margin : float
        The ``narrow_margin`` threshold in units of ``U`` (already scaled by its SD).
    """
    good_loser = good & decision.interviewed & ~offer
    # v(S): does the candidate get an offer with the mechanisms in S removed?
    # Cancellation only voids offers, so each replay serves two coalitions.
    gets_offer = np.empty((_ALL + 1, *offer.shape), dtype=bool)
    final_score = final_offer = None
    for removed in range(0, _ALL + 1, 2):
        kept_offer, _, score = decision.replay(removed | _CANCEL)
        gets_offer[removed | _CANCEL] = kept_offer
        gets_offer[removed] = kept_offer & ~decision.cancelled_after[:, None]
        if removed | _CANCEL == _ALL:
            final_score, final_offer = score, kept_offer

    sequential = np.full(offer.shape, NO_REASON, dtype=np.int8)
    unresolved = good_loser.copy()
    for stage in range(len(MECHANISMS)):
        fixed = unresolved & gets_offer[(1 << (stage + 1)) - 1]
        sequential[fixed] = stage
        unresolved &= ~fixed

    last_offered = np.where(final_offer, final_score, np.inf).min(axis=1, keepdims=True)
    narrow = (last_offered - final_score) < narrow_margin
    residual = np.where(narrow, REASONS.index("narrow_margin"), REASONS.index("outperformed"))
    residual = np.where(good_loser & ~gets_offer[_ALL], residual, NO_REASON).astype(np.int8)
    sequential[unresolved] = residual[unresolved]

    weights = shapley_weights()
    shapley = np.zeros((*offer.shape, len(MECHANISMS)))
    for i in range(len(MECHANISMS)):
        bit = 1 << i
        for coalition in range(_ALL + 1):
            if coalition & bit:
                continue
            size = bin(coalition).count("1")
            gain = gets_offer[coalition | bit] & ~gets_offer[coalition] & good_loser
            loss = gets_offer[coalition] & ~gets_offer[coalition | bit] & good_loser
            if gain.any() or loss.any():
                shapley[..., i] += weights[size] * (gain.astype(float) - loss)
    return Attribution(good_loser, sequential, shapley, residual, gets_offer)


def shapley_reason(attribution: Attribution) -> np.ndarray:
    """Per loser, the mechanism with the largest Shapley value (residual class if none)."""
    best = attribution.shapley.argmax(axis=-1).astype(np.int8)
    helped = attribution.shapley.max(axis=-1) > 0
    reason = np.where(helped, best, attribution.residual)
    return np.where(attribution.good_loser, reason, NO_REASON).astype(np.int8)
