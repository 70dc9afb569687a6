"""The compiled per-opening kernel: the offer loop and the attribution replays (Numba).

NumPy's cost in the decision is not arithmetic but passes: every offer round of
:func:`simfunnel.model.decision.make_offers` is a handful of whole-array passes over
``(openings, slots)`` arrays of a dozen slots, and attribution replays it for 32
coalitions. Here one compiled loop walks each opening once. The draws stay in
NumPy, in their layout, so seeds and common random numbers are unchanged, and the
NumPy functions stay the reference (``kernel="numpy"``).

Same bits on every CPU (MODEL.md section 5):

- Only IEEE-754 ``+ - * /`` and comparisons, each correctly rounded, and SciPy's
  own C ``ndtri``, ``ndtr`` and ``expm1`` (called through
  ``scipy.special.cython_special``, the very code the NumPy path's SciPy ufuncs
  run): no libm, no NumPy SIMD loop, no Intel SVML, and no ``fastmath`` (which
  would let LLVM fuse ``a * b + c`` into an FMA on CPUs that have one, or
  reorder sums).
- No ``parallel=True``: sums run in a fixed order, one opening at a time.
- Every sum is the NumPy path's sum in the NumPy path's order (the scores are
  ``((E + niche) + culture) - risk``, the Shapley values are summed coalition by
  coalition), so the two paths agree bit for bit, not just to rounding.

Compiled once per machine: ``cache=True`` writes the machine code next to this
file (or under ``NUMBA_CACHE_DIR``). Every argument is converted to one dtype and
C layout before the call, so each function has one specialisation.
"""

from __future__ import annotations

import os

# Intel's SVML gives vectorised exp/log whose last bits differ from libm's. The
# kernel calls no such function, but a numba that finds SVML would use it in any
# future one: keep it off (read when numba is imported; an explicit setting wins).
os.environ.setdefault("NUMBA_DISABLE_INTEL_SVML", "1")

import ctypes
import importlib.util
import sys


def _import_numba() -> None:
    """Import numba, whatever ``coverage`` module a ``sys.path`` entry may shadow.

    numba probes ``import coverage`` when it is first imported and subclasses
    ``coverage.types.Tracer`` if that succeeds; a plain module of that name on the
    path (a script called ``coverage.py``, as in this repository's ``scripts/``)
    would break the import. Only the real package (a package, not a lone file) is
    let through.
    """
    if "coverage" not in sys.modules:
        spec = importlib.util.find_spec("coverage")
        if spec is not None and spec.submodule_search_locations is None:
            sys.modules["coverage"] = None  # type: ignore[assignment]  # import -> ImportError
            try:
                import numba
            finally:
                del sys.modules["coverage"]
    import numba  # noqa: F401


_import_numba()

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402
from numba.extending import get_cython_function_address  # noqa: E402

KERNELS = ("numba", "numpy")
"""Values of the ``kernel`` run option: the compiled kernel or the NumPy reference."""


def _scipy_special(name: str) -> ctypes._CFuncPtr:
    """SciPy's own double-precision ``name`` (the C code behind ``scipy.special.<name>``).

    Passed to the kernel as an argument: the same code, so the same bits, as the
    NumPy path's SciPy ufuncs, and a function pointer argument keeps ``cache=True``
    working (a pointer baked into the code would not survive a new process).
    """
    address = get_cython_function_address("scipy.special.cython_special", name)
    return ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double)(address)


NDTRI = _scipy_special("ndtri")
NDTR = _scipy_special("__pyx_fuse_1ndtr")  # fused type 1: double (0 is complex)
EXPM1 = _scipy_special("__pyx_fuse_1expm1")

# Mechanism bits (simfunnel.model.decision.Mechanism), repeated as plain ints for
# the compiled code.
_CANCEL, _PAUSE, _INTERNAL, _SAFER, _CULTURE, _NICHE = 1, 2, 4, 8, 16, 32
_COALITIONS = 64
_MECHANISMS = 6


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
    """Opening ``j``'s ``U`` under the 8 sets of the manager's mechanisms removed.

    ``scores[m]`` is ``U`` with ``m * SAFER_CANDIDATE`` removed, as
    ``Decision.score_parts().score``: the terms of :func:`decision.score_terms` in
    NumPy's order, ``((E + niche) + culture) - risk``, a switched-off term the
    exact 0.0, and without niche fit the risk term without the narrative's effect.
    ``weights`` = (risk_aversion, affinity_weight, narrative_weight, niche_value,
    onboarding_cost, transfer_risk**2) (the square from Python, as NumPy's path).
    """
    risk_aversion, affinity, narrative_weight, niche_value, onboarding, transfer = weights
    for s in range(mean.shape[1]):
        misaligned = 1.0 - alignment[j, s]
        expected = mean[j, s] - onboarding * misaligned
        niche_term = niche_value * niche[j, s] if niche_value != 0.0 else 0.0
        culture_term = affinity * (culture[j, s] - 0.5) if affinity != 0.0 else 0.0
        risk = plain_risk = 0.0
        if risk_aversion != 0.0:
            risk = risk_aversion * np.sqrt(
                variance[j, s] + transfer * misaligned * (1.0 - narrative_weight * narrative[j, s])
            )
            plain_risk = risk_aversion * np.sqrt(
                variance[j, s] + transfer * misaligned * (1.0 - 0.0 * narrative[j, s])
            )
        for m in range(8):
            manager = m * _SAFER
            n = 0.0 if manager & _NICHE else niche_term
            c = 0.0 if manager & _CULTURE else culture_term
            if manager & _SAFER:
                r = 0.0
            elif manager & _NICHE:
                r = plain_risk
            else:
                r = risk
            scores[m, s] = ((expected + n) + c) - r


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
    """The decisions of openings ``rows`` under the 64 coalitions of removals
    (attribution._replays).

    Arrays are the chunk's, shape (openings, slots); ``rows`` are the openings with
    a good loser, and ``loser_opening`` (an index into ``rows``) and ``loser_slot``
    (losers,) locate the losers, sorted by opening. Returns ``loser_offer`` (losers,
    64: one loser's coalitions side by side in memory; the NumPy path's
    transposed), the actual offers (nothing removed), the offers and scores with
    everything removed (each (rows, slots)), and how many openings were skipped.

    With ``skip``, the 8 coalitions that share a manager's score are not replayed
    when that score leaves no loser of the opening a chance (:func:`_blocked`): their
    losers get no offer, which is what the replays would have given. The two
    coalitions whose offers are reported (nothing removed, everything removed) are
    always replayed. ``skipped`` counts openings skipped under all 8 scores.
    """
    openings = rows.shape[0]
    slots = mean.shape[1]
    losers = loser_opening.shape[0]
    loser_offer = np.zeros((losers, _COALITIONS), dtype=np.bool_)
    actual = np.zeros((openings, slots), dtype=np.bool_)
    final_offer = np.zeros((openings, slots), dtype=np.bool_)
    final_score = np.empty((openings, slots))
    scores = np.empty((8, slots))
    eligible = np.empty((4, slots), dtype=np.bool_)
    rounds = np.zeros(slots, dtype=np.int64)
    blocked = np.zeros(8, dtype=np.bool_)
    first_loser = 0
    skipped = 0
    for jj in range(openings):
        j = rows[jj]
        last_loser = first_loser
        while last_loser < losers and loser_opening[last_loser] == jj:
            last_loser += 1
        _manager_scores(j, mean, variance, alignment, culture, narrative, niche, weights, scores)
        for m in range(8):
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
        for m in range(8):
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
    """Whether, under the manager's score ``score`` (one of the 8 variants), no
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
    """Shapley values (losers, 6) from ``loser_offer`` (losers, 64), as shapley_values.

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


@njit(cache=True)
def exact_top_k_kernel(pool_size, spacings, latent_noise, score_sd, factor, slope, ndtri, expm1):
    """:func:`simfunnel.model.population.exact_top_k`, one opening at a time.

    The same operations in the same order: the running sum of the scaled spacings
    (``cumsum``), ``(-score_sd) * ndtri(-expm1(log U))``, then each latent trait
    summed over the factor's non-zero entries in index order from 0.0
    (:func:`simfunnel.model.linalg.transform`) plus ``score * slope``.
    """
    openings, top = spacings.shape
    traits = factor.shape[0]
    latent = np.empty((openings, top, traits))
    screen_score = np.empty((openings, top))
    scale = -score_sd
    for j in range(openings):
        cumulative = 0.0
        for i in range(top):
            remaining = max(pool_size[j] - i, 1)
            cumulative += spacings[j, i] / remaining
            score = scale * ndtri(-expm1(-cumulative))
            screen_score[j, i] = score
            for t in range(traits):
                value = 0.0
                for k in range(traits):
                    if factor[t, k] != 0.0:
                        value += latent_noise[j, i, k] * factor[t, k]
                latent[j, i, t] = value + score * slope[t]
    return latent, screen_score


@njit(cache=True)
def traits_kernel(latent, niche_cut, ndtr):
    """:func:`simfunnel.model.population.traits`: quality, ndtr of alignment, culture and
    narrative, and niche experience, each shape (openings, K)."""
    openings, top, _ = latent.shape
    quality = np.empty((openings, top))
    alignment = np.empty((openings, top))
    culture = np.empty((openings, top))
    narrative = np.empty((openings, top))
    niche = np.empty((openings, top), dtype=np.bool_)
    for j in range(openings):
        for i in range(top):
            quality[j, i] = latent[j, i, 0]
            alignment[j, i] = ndtr(latent[j, i, 1])
            culture[j, i] = ndtr(latent[j, i, 2])
            narrative[j, i] = ndtr(latent[j, i, 3])
            niche[j, i] = latent[j, i, 4] > niche_cut
    return quality, alignment, culture, narrative, niche


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
