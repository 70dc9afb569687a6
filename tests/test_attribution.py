"""Loss attribution: replays on common random numbers, sequential and Shapley."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import simfunnel as sf
from simfunnel.analysis.run import reference_thresholds
from simfunnel.model.attribution import MECHANISMS, REASONS, attribute
from simfunnel.model.decision import Decision, Mechanism, Signals, Weights, risk_adjusted_score
from simfunnel.model.engine import Model, run_blocks
from simfunnel.model.rng import BLOCKS, normalise_seed

from .conftest import null_scenario


def _attributed(scenario: sf.Scenario, seed: int, blocks: int):
    model = Model.build(scenario)
    seed_ = normalise_seed(seed)
    thresholds = reference_thresholds(model)
    funnel = run_blocks(model, seed_, BLOCKS, 0, blocks)
    good = funnel.interviewed & (funnel.interview_score >= thresholds.good_interview)
    return (
        funnel,
        good,
        attribute(
            funnel.decision, funnel.offer, good, thresholds.narrow_margin, quality=funnel.quality
        ),
    )


def test_replay_with_nothing_removed_is_the_decision_bit_for_bit(baseline: sf.Scenario) -> None:
    funnel, _, attribution = _attributed(
        baseline.with_overrides({"role.cancel_probability": 0.3}), 1, 5
    )
    rows = attribution.replayed_rows
    assert len(rows) > 0.5 * len(funnel.offer)
    assert np.array_equal(attribution.replayed_actual, funnel.offer[rows])


def test_assembled_scores_equal_scores_with_weights_set_to_zero(baseline: sf.Scenario) -> None:
    # Every counterfactual score the replays use, against the independent path:
    # the manager's weights set to zero (Weights.without) and U computed afresh.
    funnel = run_blocks(Model.build(baseline), normalise_seed(3), BLOCKS, 0, 2)
    decision = funnel.decision
    parts = decision.score_parts()
    for bits in range(0, 128, 8):  # the manager's four mechanisms
        removed = Mechanism(bits)
        expected = risk_adjusted_score(decision.signals, decision.weights.without(removed))
        assert np.array_equal(parts.score(removed), expected), removed


def test_sequential_shares_sum_to_one_and_shapley_to_the_total_effect(
    baseline: sf.Scenario,
) -> None:
    _, _, attribution = _attributed(baseline, 2, 5)
    losers = attribution.good_loser
    sequential = attribution.dense(attribution.sequential, -1)
    assert (sequential[losers] >= 0).all()
    assert (sequential[~losers] == -1).all()
    # Per loser, Shapley values sum to v(all removed) - v(none) = 1 exactly when no
    # residual class was needed, else 0.
    total_effect = attribution.residual == -1
    np.testing.assert_allclose(attribution.shapley.sum(axis=-1), total_effect, atol=1e-12)
    # and in the summary, both columns of shares sum to 1
    losses = sf.simulate(baseline, 3_000, seed=2).loss_reasons()
    for method in ("sequential", "shapley"):
        assert losses[losses.method == method].share.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("mechanism", "off"),
    [
        ("role_cancelled", {"role.cancel_probability": 0.0}),
        ("internal_candidate", {"internal.probability": 0.0}),
        ("safer_candidate", {"manager.risk_aversion": 0.0}),
        ("culture_mirror", {"manager.affinity_weight": 0.0}),
        ("niche_fit", {"manager.niche_value": 0.0, "manager.narrative_weight": 0.0}),
        ("aligned_experience", {"manager.onboarding_cost": 0.0, "manager.transfer_risk": 0.0}),
    ],
)
def test_switching_a_mechanism_off_makes_its_share_exactly_zero(
    baseline: sf.Scenario, mechanism: str, off: dict
) -> None:
    on = sf.simulate(baseline, 3_000, seed=4).loss_reasons()
    without = sf.simulate(baseline.with_overrides(off), 3_000, seed=4).loss_reasons()
    assert (on[on.reason == mechanism].share > 0).all()
    assert (without[without.reason == mechanism].share == 0).all()


@pytest.mark.slow
def test_cancellation_alone_matches_the_after_interview_cancel_rate() -> None:
    # Cancellation is independent of the candidates: the good interviewees it costs an
    # offer are the after-interview cancel rate times the good interviewees who get an
    # offer when nothing is cancelled. Independent runs (different seeds), 3 SE.
    blocks = 40
    cancelling = null_scenario(**{"role.cancel_probability": 0.3, "role.interview_at": 0.5})
    funnel_a, _, attribution = _attributed(cancelling, 21, blocks)
    funnel_b, good_b, _ = _attributed(null_scenario(**{"role.interview_at": 0.5}), 22, blocks)
    attributed = attribution.per_opening(attribution.sequential == REASONS.index("role_cancelled"))
    offered_good = (good_b & funnel_b.offer).sum(axis=1)
    after = funnel_a.decision.cancelled_after
    n = len(after)
    rate, mean_offered = after.mean(), offered_good.mean()
    se = np.sqrt(
        attributed.var(ddof=1) / n
        + (rate * offered_good.std(ddof=1)) ** 2 / n
        + (mean_offered**2) * rate * (1 - rate) / n
    )
    assert abs(attributed.mean() - rate * mean_offered) < 3 * se
    assert rate > 0.05  # the test has power
    shares = sf.simulate(cancelling, 5_000, seed=1).loss_reasons()
    others = shares[(shares.reason.isin(MECHANISMS[1:]))]
    assert (others.share == 0).all()


def _two_candidate_decision(**weights: float) -> Decision:
    # Candidate 0: better posterior mean; candidate 1: mirrors the team (culture 1.0).
    signals = Signals(
        posterior_mean=np.array([[0.5, 0.3]]),
        posterior_variance=np.array([[0.5, 0.5]]),
        alignment=np.array([[0.5, 0.5]]),
        culture=np.array([[0.5, 1.0]]),
        narrative=np.array([[0.5, 0.5]]),
        niche=np.array([[False, False]]),
    )
    base = dict(
        risk_aversion=0.0,
        affinity_weight=0.0,
        narrative_weight=0.0,
        niche_value=0.0,
        onboarding_cost=0.0,
        transfer_risk=0.0,
    )
    base.update(weights)
    return Decision(
        signals=signals,
        weights=Weights(**base),
        interviewed=np.array([[True, True]]),
        internal_slot=np.array([False, False]),
        declines=np.array([[False, False]]),
        available=np.array([[True, True]]),
        available_unpaused=np.array([[True, True]]),
        positions=np.array([1]),
        cancelled_after=np.array([False]),
        max_offers=1,
        hiring_bar=None,
    )


def test_hand_worked_culture_mirror_loss() -> None:
    decision = _two_candidate_decision(affinity_weight=1.0)  # U = 0.5 vs 0.3 + 0.5
    offer, _, _ = decision.replay(0)
    assert offer.tolist() == [[False, True]]
    attribution = attribute(
        decision, offer, np.array([[True, False]]), narrow_margin=0.01, quality=np.zeros((1, 2))
    )
    assert (attribution.rows.tolist(), attribution.slots.tolist()) == ([0], [0])
    assert REASONS[attribution.sequential[0]] == "culture_mirror"
    np.testing.assert_allclose(attribution.shapley[0], [0, 0, 0, 0, 1, 0, 0])


def test_hand_worked_narrow_margin_and_outperformed() -> None:
    decision = _two_candidate_decision()  # U = 0.5 vs 0.3: candidate 1 trails by 0.2
    offer, _, _ = decision.replay(0)
    good = np.array([[False, True]])
    narrow = attribute(decision, offer, good, narrow_margin=0.25, quality=np.zeros((1, 2)))
    wide = attribute(decision, offer, good, narrow_margin=0.1, quality=np.array([[2.0, 1.0]]))
    assert REASONS[narrow.sequential[0]] == "narrow_margin"
    assert REASONS[wide.sequential[0]] == "truly_better"


def _aligned_pair(**weights: float) -> Decision:
    # Candidate 0: a career changer (better posterior mean, alignment .2);
    # candidate 1: directly aligned experience (alignment .9).
    decision = _two_candidate_decision(**weights)
    signals = replace(
        decision.signals,
        posterior_mean=np.array([[0.5, 0.45]]),
        alignment=np.array([[0.2, 0.9]]),
    )
    return replace(decision, signals=signals)


def test_hand_worked_loss_only_aligned_experience_explains() -> None:
    # U = 0.5 - 0.2 * 0.8 = 0.34 against 0.45 - 0.2 * 0.1 = 0.43: the onboarding cost.
    decision = _aligned_pair(onboarding_cost=0.2)
    offer, _, _ = decision.replay(0)
    assert offer.tolist() == [[False, True]]
    quality = np.array([[0.0, 0.0]])
    a = attribute(decision, offer, np.array([[True, False]]), 0.01, quality=quality)
    assert REASONS[a.sequential[0]] == "aligned_experience"
    np.testing.assert_allclose(a.shapley[0], [0, 0, 0, 0, 0, 0, 1])
    assert a.alone_offer[0].tolist() == [False] * 6 + [True]


def test_hand_worked_transfer_risk_is_shared_with_the_safer_candidate() -> None:
    # Risk aversion 1, transfer risk .5: perceived SD sqrt(.5 + .25 * .8) = .837 against
    # sqrt(.5 + .25 * .1) = .725, so U = -.337 < -.275. Removing either the risk
    # aversion (U = .5 > .45) or the transfer risk (U = -.207 > -.257) gives the
    # career changer the offer: Shapley splits it evenly; sequential names the first.
    decision = _aligned_pair(risk_aversion=1.0, transfer_risk=0.5)
    offer, _, _ = decision.replay(0)
    assert offer.tolist() == [[False, True]]
    a = attribute(decision, offer, np.array([[True, False]]), 0.01, quality=np.zeros((1, 2)))
    assert REASONS[a.sequential[0]] == "safer_candidate"
    np.testing.assert_allclose(a.shapley[0], [0, 0, 0, 0.5, 0, 0, 0.5])


@pytest.mark.parametrize(
    ("winner_quality", "reason"), [(2.0, "truly_better"), (0.0, "interview_noise")]
)
def test_hand_worked_outperformed_by_the_truly_better_or_by_noise(
    winner_quality: float, reason: str
) -> None:
    decision = _two_candidate_decision()  # U = 0.5 vs 0.3: candidate 1 trails clearly
    offer, _, _ = decision.replay(0)
    quality = np.array([[winner_quality, 1.0]])  # the loser's true quality is 1.0
    a = attribute(decision, offer, np.array([[False, True]]), 0.1, quality=quality)
    assert REASONS[a.sequential[0]] == reason
    assert REASONS[a.residual[0]] == reason


def test_without_onboarding_cost_and_transfer_risk_aligned_experience_is_a_null_player(
    baseline: sf.Scenario,
) -> None:
    """Aligned experience then explains no loss (exactly 0) and the other six Shapley
    values are those of a brute-force six-player game replayed with decision.replay."""
    from itertools import combinations
    from math import factorial

    scenario = baseline.with_overrides(
        {"manager.onboarding_cost": 0.0, "manager.transfer_risk": 0.0}
    )
    funnel, _, a = _attributed(scenario, 5, 1)
    assert not (a.sequential == REASONS.index("aligned_experience")).any()
    assert (a.shapley[:, 6] == 0).all() and not a.alone_offer[:, 6].any()
    players = list(Mechanism)[:6]
    offers = {}
    for size in range(7):
        for subset in combinations(players, size):
            removed = Mechanism(sum(subset))
            offers[removed] = funnel.decision.replay(removed)[0][a.rows, a.slots]
    n = len(players)
    for i, player in enumerate(players):
        expected = np.zeros(a.rows.size)
        for removed, offered in offers.items():
            if player in removed:
                continue
            k = bin(removed).count("1")
            weight = factorial(k) * factorial(n - k - 1) / factorial(n)
            expected += weight * (offers[removed | player].astype(int) - offered.astype(int))
        np.testing.assert_allclose(a.shapley[:, i], expected, atol=1e-12)
