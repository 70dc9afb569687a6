"""The decision in the kernel: the offer loop, the attribution replays, Shapley values.

The NumPy reference is :func:`simfunnel.model.decision.make_offers` and
:mod:`simfunnel.model.attribution`; see the package's docstring for why both give
the same bits.
"""

from __future__ import annotations

import numpy as np

from simfunnel.model.kernel.compiler import njit

# Mechanism bits (simfunnel.model.decision.Mechanism), repeated as plain ints for
# the compiled code.
_CANCEL, _PAUSE, _INTERNAL, _SAFER, _CULTURE, _NICHE, _ALIGNED = 1, 2, 4, 8, 16, 32, 64
_COALITIONS = 128
_MECHANISMS = 7
_MANAGER_SETS = 16  # the subsets of the manager's four mechanisms (SAFER..ALIGNED)


@njit(cache=True, inline="always")
def _offer_opening(score, eligible, declines, positions, max_offers, bar, offer_round):
    """One opening's offers, in order of ``score``; ``offer_round`` (slots,) is written.

    The loop of :func:`simfunnel.model.decision.make_offers` for one opening: each
    round offers the best open score (all of them on an exact tie, as the NumPy
    path does), until ``positions`` are accepted or ``max_offers`` rounds are
    done. ``offer_round[s]`` is the offers made up to and including ``s``'s round
    (NumPy's count of offers with a score at least as high); 0 without an offer.
    Returns the number of offers made.
    """
    slots = score.shape[0]
    for s in range(slots):
        offer_round[s] = 0
    accepted = 0
    made = 0
    for _ in range(max_offers):
        if accepted >= positions:
            break
        best = -np.inf
        for s in range(slots):
            if eligible[s] and offer_round[s] == 0 and score[s] >= bar and score[s] > best:
                best = score[s]
        if best == -np.inf:
            break
        batch = 0
        chosen = 0
        for s in range(slots):
            if eligible[s] and offer_round[s] == 0 and score[s] == best:
                offer_round[s] = -1  # chosen this round
                chosen = s
                batch += 1
                if not declines[s]:
                    accepted += 1
        made += batch
        if batch == 1:
            offer_round[chosen] = made
        else:  # an exact tie: one round for all of them
            for s in range(slots):
                if offer_round[s] == -1:
                    offer_round[s] = made
    return made


@njit(cache=True)
def offers_kernel(score, eligible, declines, positions, max_offers, bar, voided):
    """Offers, hires and offer rounds of every opening; see :func:`make_offers`."""
    openings, slots = score.shape
    offer = np.zeros((openings, slots), dtype=np.bool_)
    hired = np.zeros((openings, slots), dtype=np.bool_)
    rounds = np.zeros((openings, slots), dtype=np.int64)
    for j in range(openings):
        if voided[j]:
            continue
        _offer_opening(score[j], eligible[j], declines[j], positions[j], max_offers, bar, rounds[j])
        for s in range(slots):
            if rounds[j, s] > 0:
                offer[j, s] = True
                hired[j, s] = not declines[j, s]
    return offer, hired, rounds


def make_offers(
    score: np.ndarray,
    eligible: np.ndarray,
    declines: np.ndarray,
    positions: np.ndarray,
    max_offers: int,
    hiring_bar: float | None = None,
    voided: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Compiled :func:`simfunnel.model.decision.make_offers`, plus the offer rounds.

    Parameters are as there; ``voided`` (bool, shape (openings,)) marks openings whose
    offers are voided (cancelled after interviews): no offer, no hire, round 0.

    Returns
    -------
    offer, hired : ndarrays of bool, shape (openings, slots)
    offer_round : ndarray of int64, shape (openings, slots)
        1-based order of each offer, 0 without one (``Funnel.offer_round``).
    """
    openings = score.shape[0]
    return offers_kernel(
        np.ascontiguousarray(score, dtype=np.float64),
        np.ascontiguousarray(eligible, dtype=np.bool_),
        np.ascontiguousarray(declines, dtype=np.bool_),
        np.ascontiguousarray(positions, dtype=np.int64),
        int(max_offers),
        -np.inf if hiring_bar is None else float(hiring_bar),
        np.zeros(openings, dtype=np.bool_)
        if voided is None
        else np.ascontiguousarray(voided, dtype=np.bool_),
    )


@njit(cache=True, inline="always")
def _manager_scores(j, mean, variance, alignment, culture, narrative, niche, weights, scores):
    """Opening ``j``'s ``U`` under the 16 sets of the manager's mechanisms removed.

    ``scores[m]`` is ``U`` with ``m * SAFER_CANDIDATE`` removed, as
    ``Decision.score_parts().score``: the terms of :func:`decision.score_terms` in
    NumPy's order, ``((E + niche) + culture) - risk``, a switched-off term the
    exact 0.0, without niche fit the risk term without the narrative's effect, and
    without aligned experience the posterior mean for ``E`` and the risk term of the
    posterior variance alone.
    ``weights`` = (risk_aversion, affinity_weight, narrative_weight, niche_value,
    onboarding_cost, transfer_risk**2) (the square from Python, as NumPy's path).
    """
    risk_aversion, affinity, narrative_weight, niche_value, onboarding, transfer = weights
    for s in range(mean.shape[1]):
        misaligned = 1.0 - alignment[j, s]
        expected = mean[j, s] - onboarding * misaligned
        niche_term = niche_value * niche[j, s] if niche_value != 0.0 else 0.0
        culture_term = affinity * (culture[j, s] - 0.5) if affinity != 0.0 else 0.0
        risk = plain_risk = posterior_risk = 0.0
        if risk_aversion != 0.0:
            risk = risk_aversion * np.sqrt(
                variance[j, s] + transfer * misaligned * (1.0 - narrative_weight * narrative[j, s])
            )
            plain_risk = risk_aversion * np.sqrt(
                variance[j, s] + transfer * misaligned * (1.0 - 0.0 * narrative[j, s])
            )
            posterior_risk = risk_aversion * np.sqrt(
                variance[j, s] + 0.0 * misaligned * (1.0 - narrative_weight * narrative[j, s])
            )
        for m in range(_MANAGER_SETS):
            manager = m * _SAFER
            n = 0.0 if manager & _NICHE else niche_term
            c = 0.0 if manager & _CULTURE else culture_term
            e = mean[j, s] if manager & _ALIGNED else expected
            if manager & _SAFER:
                r = 0.0
            elif manager & _ALIGNED:
                r = posterior_risk
            elif manager & _NICHE:
                r = plain_risk
            else:
                r = risk
            scores[m, s] = ((e + n) + c) - r


@njit(cache=True)
def replays_kernel(
    mean,
    variance,
    alignment,
    culture,
    narrative,
    niche,
    weights,
    interviewed,
    internal_slot,
    available,
    available_unpaused,
    declines,
    positions,
    cancelled,
    max_offers,
    bar,
    rows,
    loser_opening,
    loser_slot,
    skip,
):
    """The decisions of openings ``rows`` under the 128 coalitions of removals
    (attribution._replays).

    Arrays are the chunk's, shape (openings, slots); ``rows`` are the openings with
    a good loser, and ``loser_opening`` (an index into ``rows``) and ``loser_slot``
    (losers,) locate the losers, sorted by opening. Returns ``loser_offer`` (losers,
    128: one loser's coalitions side by side in memory; the NumPy path's
    transposed), the actual offers (nothing removed), the offers and scores with
    everything removed (each (rows, slots)), and how many openings were skipped.

    With ``skip``, the 8 coalitions that share a manager's score are not replayed
    when that score leaves no loser of the opening a chance (:func:`_blocked`): their
    losers get no offer, which is what the replays would have given. The two
    coalitions whose offers are reported (nothing removed, everything removed) are
    always replayed. ``skipped`` counts openings skipped under all 16 scores.
    """
    openings = rows.shape[0]
    slots = mean.shape[1]
    losers = loser_opening.shape[0]
    loser_offer = np.zeros((losers, _COALITIONS), dtype=np.bool_)
    actual = np.zeros((openings, slots), dtype=np.bool_)
    final_offer = np.zeros((openings, slots), dtype=np.bool_)
    final_score = np.empty((openings, slots))
    scores = np.empty((_MANAGER_SETS, slots))
    eligible = np.empty((4, slots), dtype=np.bool_)
    rounds = np.zeros(slots, dtype=np.int64)
    blocked = np.zeros(_MANAGER_SETS, dtype=np.bool_)
    first_loser = 0
    skipped = 0
    for jj in range(openings):
        j = rows[jj]
        last_loser = first_loser
        while last_loser < losers and loser_opening[last_loser] == jj:
            last_loser += 1
        _manager_scores(j, mean, variance, alignment, culture, narrative, niche, weights, scores)
        for m in range(_MANAGER_SETS):
            blocked[m] = skip and _blocked(
                scores[m],
                interviewed[j],
                internal_slot,
                available[j],
                available_unpaused[j],
                declines[j],
                positions[j],
                max_offers,
                bar,
                loser_slot[first_loser:last_loser],
            )
        skipped += blocked.all()
        internal_here = False
        paused_here = False
        for s in range(slots):
            if interviewed[j, s] and internal_slot[s]:
                internal_here = True
            if available[j, s] != available_unpaused[j, s]:
                paused_here = True
        for e in range(4):
            _eligible(
                e, interviewed[j], internal_slot, available[j], available_unpaused[j], eligible[e]
            )
        everything = _COALITIONS - 1 - _CANCEL
        for m in range(_MANAGER_SETS):
            manager = m * _SAFER
            for e in range(4):
                removed = manager | e * _PAUSE
                # Under a blocked score no loser is offered (their entries stay
                # False); only the two reported replays are still run.
                if blocked[m] and removed != 0 and removed != everything:
                    continue
                # Removals that change nobody's eligibility in this opening give the
                # replay without them: reuse it (as the NumPy path does).
                reduced = (e & 1 if paused_here else 0) | (e & 2 if internal_here else 0)
                if reduced != e and removed != everything:
                    source = manager | reduced * _PAUSE
                    for k in range(first_loser, last_loser):
                        loser_offer[k, removed | _CANCEL] = loser_offer[k, source | _CANCEL]
                        loser_offer[k, removed] = loser_offer[k, source]
                    continue
                _offer_opening(
                    scores[m],
                    eligible[e],
                    declines[j],
                    positions[j],
                    max_offers,
                    bar,
                    rounds,
                )
                for k in range(first_loser, last_loser):
                    offered = rounds[loser_slot[k]] > 0
                    loser_offer[k, removed | _CANCEL] = offered
                    loser_offer[k, removed] = offered and not cancelled[j]
                if removed == 0:
                    for s in range(slots):
                        actual[jj, s] = rounds[s] > 0 and not cancelled[j]
                if removed == everything:
                    for s in range(slots):
                        final_offer[jj, s] = rounds[s] > 0
                        final_score[jj, s] = scores[m, s]
        first_loser = last_loser
    return loser_offer, actual, final_offer, final_score, skipped


@njit(cache=True, inline="always")
def _eligible(e, interviewed, internal_slot, available, available_unpaused, out):
    """Who may be offered with eligibility removals ``e`` (bit 0: pause, bit 1: internal)."""
    for s in range(interviewed.shape[0]):
        still_there = available_unpaused[s] if e & 1 else available[s]
        out[s] = interviewed[s] and still_there and not (e & 2 and internal_slot[s])


@njit(cache=True, inline="always")
def _blocked(
    score,
    interviewed,
    internal_slot,
    available,
    available_unpaused,
    declines,
    positions,
    max_offers,
    bar,
    loser_slots,
):
    """Whether, under the manager's score ``score`` (one of the 16 variants), no
    coalition of the eligibility removals can give any of this opening's losers an
    offer.

    Proof. The manager's mechanisms removed fix the score ``U``; the 8 coalitions
    that share them differ only in who is eligible and in cancellation: removing
    the pause adds those who withdrew during it (``available`` is a subset of
    ``available_unpaused``), removing the internal takes the internal out, and
    removing cancellation only un-voids offers. Call a candidate ``b`` a *sure
    beater* of loser ``l`` when ``b`` is eligible in all 8 (interviewed, available
    even with the pause, not the internal) and ``U(b) > U(l)``. Offers go out in
    order of ``U`` among the eligible, one round per distinct score (exact ties
    share a round), so in each of the 8 every sure beater is offered in a round
    before ``l``'s unless offers stop first. With at least ``max_offers`` distinct
    scores among the sure beaters the offer rounds run out before ``l``; with at
    least ``positions`` sure beaters who accept (the decline coins are fixed) the
    positions are filled before ``l``. A loser who is not available even
    without the pause, or whose ``U`` is below the hiring bar, is never offered.
    In each case ``l`` gets no offer in any of the 8 coalitions, which is what
    their replays would return, so skipping them changes no bit of the attribution
    (``tests/test_kernel.py`` checks it against the replays without the skip).
    """
    slots = interviewed.shape[0]
    for loser in loser_slots:
        if not available_unpaused[loser] or not score[loser] >= bar:
            continue
        beaters = 0
        accepting = 0
        for b in range(slots):
            if b == loser or not (interviewed[b] and available[b]) or internal_slot[b]:
                continue
            if score[b] > score[loser]:
                beaters += 1
                accepting += not declines[b]
        if accepting >= positions:
            continue
        if beaters < max_offers:
            return False
        # Enough sure beaters; but exact ties share a round: count distinct scores.
        rounds_ahead = 0
        for b in range(slots):
            if b == loser or not (interviewed[b] and available[b]) or internal_slot[b]:
                continue
            if score[b] > score[loser]:
                tied_earlier = False
                for earlier in range(b):
                    if (
                        earlier != loser
                        and interviewed[earlier]
                        and available[earlier]
                        and not internal_slot[earlier]
                        and score[earlier] == score[b]
                    ):
                        tied_earlier = True
                rounds_ahead += not tied_earlier
        if rounds_ahead < max_offers:
            return False
    return True


@njit(cache=True)
def shapley_kernel(loser_offer, weights):
    """Shapley values (losers, 7) from ``loser_offer`` (losers, 128), as shapley_values.

    ``phi_i`` is summed over the coalitions without ``i`` in increasing order, each
    term ``w(|S|) * (v(S + i) - v(S))``: the NumPy path's sum, term for term.
    """
    losers = loser_offer.shape[0]
    shapley = np.zeros((losers, _MECHANISMS))
    sizes = np.zeros(_COALITIONS, dtype=np.int64)
    for coalition in range(_COALITIONS):
        for k in range(_MECHANISMS):
            sizes[coalition] += coalition >> k & 1
    for loser in range(losers):
        row = loser_offer[loser]
        constant = True
        for coalition in range(1, _COALITIONS):
            if row[coalition] != row[0]:
                constant = False
                break
        if constant:  # every gain is 0: each sum is 0.0 + 0.0 + ... = 0.0, as NumPy's
            continue
        for i in range(_MECHANISMS):
            bit = 1 << i
            total = 0.0
            for coalition in range(_COALITIONS):
                if coalition & bit:
                    continue
                gain = np.int8(loser_offer[loser, coalition | bit]) - np.int8(
                    loser_offer[loser, coalition]
                )
                total += weights[sizes[coalition]] * gain
            shapley[loser, i] = total
    return shapley
