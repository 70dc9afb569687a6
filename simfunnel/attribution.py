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

from dataclasses import dataclass, fields, replace
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

    def take(self, rows: np.ndarray) -> Decision:
        """The decision of the openings ``rows`` only."""
        signals = Signals(*(getattr(self.signals, f.name)[rows] for f in fields(Signals)))
        return replace(
            self,
            signals=signals,
            interviewed=self.interviewed[rows],
            declines=self.declines[rows],
            positions=self.positions[rows],
            cancelled_after=self.cancelled_after[rows],
        )

    def score(self, removed: int) -> np.ndarray:
        """Risk-adjusted score ``U`` with the mechanisms in bitmask ``removed`` switched off."""
        names = [m for i, m in enumerate(MECHANISMS) if removed >> i & 1]
        return risk_adjusted_score(self.signals, self.weights.without(*names))

    def offers(self, score: np.ndarray, removed: int) -> tuple[np.ndarray, np.ndarray]:
        """Offers and hires given ``score``, with the internal and cancellation per ``removed``."""
        eligible = self.interviewed
        if removed & _INTERNAL:
            eligible = eligible & ~self.internal_slot
        offer, hired = make_offers(
            score, eligible, self.declines, self.positions, self.max_offers, self.hiring_bar
        )
        if not removed & _CANCEL:
            voided = self.cancelled_after[:, None]
            offer, hired = offer & ~voided, hired & ~voided
        return offer, hired

    def replay(self, removed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offers, hires and scores with the mechanisms in bitmask ``removed`` switched off.

        Bit ``i`` stands for ``MECHANISMS[i]``; ``replay(0)`` is the actual decision.
        """
        score = self.score(removed)
        return (*self.offers(score, removed), score)


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
        Index into :data:`REASONS` of the residual class (narrow/outperformed)
        for losers whom no removal helps.
    alone_offer : bool, shape (openings, slots, 5)
        Losers who get an offer when only that mechanism is removed.
    replayed_rows : int, shape (rows,)
        Openings that were replayed (those with a good loser).
    replayed_actual : bool, shape (rows, slots)
        The actual decision of those openings, rebuilt by the replay machinery
        from the coalition "nothing removed": equal to the original bit for bit.
    """

    good_loser: np.ndarray
    sequential: np.ndarray
    shapley: np.ndarray
    residual: np.ndarray
    alone_offer: np.ndarray
    replayed_rows: np.ndarray
    replayed_actual: np.ndarray


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
    # Only openings with a good loser are replayed, and the replays without the
    # internal only where an internal interviewed: elsewhere they change nothing.
    rows = np.flatnonzero(good_loser.any(axis=1))
    sub = decision.take(rows)
    has_internal = np.flatnonzero((sub.interviewed & sub.internal_slot).any(axis=1))
    with_internal = sub.take(has_internal)

    # v(S): does the candidate get an offer with the mechanisms in S removed?
    # Cancellation only voids offers, so each replay serves two coalitions, and the
    # score depends only on the manager's mechanisms: 8 scores serve 32 coalitions.
    gets_offer = np.empty((_ALL + 1, *sub.interviewed.shape), dtype=bool)
    scores: dict[int, np.ndarray] = {}
    for removed in range(0, _ALL + 1, 2):
        manager_bits = removed & ~(_CANCEL | _INTERNAL)
        if manager_bits not in scores:
            scores[manager_bits] = sub.score(manager_bits)
        score = scores[manager_bits]
        if removed & _INTERNAL:
            kept_offer = gets_offer[(removed & ~_INTERNAL) | _CANCEL].copy()
            kept_offer[has_internal] = with_internal.offers(score[has_internal], removed | _CANCEL)[
                0
            ]
        else:
            kept_offer = sub.offers(score, removed | _CANCEL)[0]
        gets_offer[removed | _CANCEL] = kept_offer
        gets_offer[removed] = kept_offer & ~sub.cancelled_after[:, None]
    final_score, final_offer = scores[_ALL & ~(_CANCEL | _INTERNAL)], gets_offer[_ALL]

    # Everything below works on the losers only: shape (coalitions, losers).
    local = np.nonzero(good_loser[rows])
    cells = (rows[local[0]], local[1])
    loser_offer = gets_offer[:, local[0], local[1]]

    stages = loser_offer[[(1 << (stage + 1)) - 1 for stage in range(len(MECHANISMS))]]
    last_offered = np.where(final_offer, final_score, np.inf).min(axis=1)
    gap = last_offered[local[0]] - final_score[local]
    residual_class = np.where(
        gap < narrow_margin, REASONS.index("narrow_margin"), REASONS.index("outperformed")
    ).astype(np.int8)
    sequential = np.full(offer.shape, NO_REASON, dtype=np.int8)
    sequential[cells] = np.where(stages.any(axis=0), stages.argmax(axis=0), residual_class)
    residual = np.full(offer.shape, NO_REASON, dtype=np.int8)
    residual[cells] = np.where(loser_offer[_ALL], NO_REASON, residual_class)

    # Shapley: phi_i = sum over coalitions S without i of w(|S|) (v(S + i) - v(S)).
    weights = shapley_weights()
    coalitions = np.arange(_ALL + 1)
    sizes = np.array([bin(c).count("1") for c in coalitions])
    shapley = np.zeros((*offer.shape, len(MECHANISMS)))
    alone = np.zeros((*offer.shape, len(MECHANISMS)), dtype=bool)
    for i in range(len(MECHANISMS)):
        without = coalitions[(coalitions >> i & 1) == 0]
        gain = loser_offer[without | (1 << i)].astype(np.int8) - loser_offer[without]
        shapley[cells[0], cells[1], i] = weights[sizes[without]] @ gain
        alone[cells[0], cells[1], i] = loser_offer[1 << i]
    return Attribution(good_loser, sequential, shapley, residual, alone, rows, gets_offer[0])


def shapley_reason(attribution: Attribution) -> np.ndarray:
    """Per loser, the mechanism with the largest Shapley value (residual class if none)."""
    best = attribution.shapley.argmax(axis=-1).astype(np.int8)
    helped = attribution.shapley.max(axis=-1) > 0
    reason = np.where(helped, best, attribution.residual)
    return np.where(attribution.good_loser, reason, NO_REASON).astype(np.int8)
