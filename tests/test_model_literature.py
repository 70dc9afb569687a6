"""The model against the hiring literature and against its own closed forms (issue 10):
composite interview validity, quality-dependent declines, withdrawals, pauses, time
to fill, money, and the published-figures table."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit

import simfunnel as sf
from simfunnel.analysis.outputs import Benchmarks, TimeToFill
from simfunnel.model import calendar as cal
from simfunnel.model.attribution import REASONS, attribute
from simfunnel.model.decision import Decision, Signals, Weights
from simfunnel.model.engine import Model, draw_blocks, simulate_funnel
from simfunnel.model.rng import BLOCKS, normalise_seed
from tests.conftest import CONFIGS, null_scenario

Z = 3.0  # tolerance in standard errors


def _within(estimate: float, truth: float, se: float) -> None:
    assert abs(estimate - truth) < Z * se, (estimate, truth, se)


def _funnel(scenario: sf.Scenario, blocks: int = 20, seed: int = 1):
    model = Model.build(scenario)
    return simulate_funnel(model, draw_blocks(scenario, normalise_seed(seed), BLOCKS, 0, blocks))


# ------------------------------------------------------------ composite validity
@pytest.mark.parametrize("config", ["baseline", "structured_panels"])
def test_composite_validity_matches_the_simulated_correlation(config: str) -> None:
    # With a random shortlist (CV screening blind) interviewees are unselected
    # applicants, so corr(mean interview score, true quality) among them is the
    # composite validity of the process. SE of a correlation: (1 - r^2) / sqrt(n).
    scenario = sf.load_scenario(CONFIGS / f"{config}.yaml").with_overrides(
        {
            "screening.validity": 0.0,
            "screening.alignment_weight": 0.0,
            "screening.niche_weight": 0.0,
            "internal.probability": 0.0,
        }
    )
    f = _funnel(scenario, blocks=8)
    interviewed = f.interviewed
    r = np.corrcoef(f.interview_score[interviewed], f.quality[interviewed])[0, 1]
    truth = scenario.interview.composite_validity
    _within(r, truth, (1 - truth**2) / math.sqrt(interviewed.sum()))


def test_shipped_configs_cite_their_composite_validity() -> None:
    # Sackett et al. (2022): unstructured .19, structured .42, for the whole interview.
    baseline = sf.load_scenario(CONFIGS / "baseline.yaml").interview.composite_validity
    structured = sf.load_scenario(CONFIGS / "structured_panels.yaml").interview.composite_validity
    assert 0.19 <= baseline <= 0.25
    assert structured == pytest.approx(0.42, abs=0.005)
    for config in ("baseline", "structured_panels"):
        text = (CONFIGS / f"{config}.yaml").read_text()
        value = sf.load_scenario(CONFIGS / f"{config}.yaml").interview.composite_validity
        shown = f"{value:.3f}".removeprefix("0").rstrip("0")  # .205, .42
        assert f"composite validity of the whole process: {shown}" in text


# ------------------------------------------------------------------------ declines
def test_acceptance_falls_with_quality_and_matches_the_logistic() -> None:
    # Whether a candidate is offered never depends on their own decline coin (offers go
    # by score, before the answer), so among offered externals
    # P(accept | q) = 1 - expit(logit p0 + slope q) exactly.
    scenario = sf.load_scenario(CONFIGS / "baseline.yaml")
    f = _funnel(scenario, blocks=20)
    offered = f.offer & ~f.internal_slot
    quality, accepted = f.quality[offered], f.hired[offered]
    offers = scenario.offers
    logit = math.log(offers.decline_probability / (1 - offers.decline_probability))
    p_accept = 1 - expit(logit + offers.decline_quality_slope * quality)
    _within(
        accepted.mean(),
        p_accept.mean(),
        math.sqrt(np.sum(p_accept * (1 - p_accept))) / accepted.size,
    )
    deciles = np.quantile(quality, np.linspace(0, 1, 11))
    index = np.clip(np.searchsorted(deciles, quality, side="right") - 1, 0, 9)
    rate = np.array([accepted[index == d].mean() for d in range(10)])
    count = np.bincount(index, minlength=10)
    se = np.sqrt(rate * (1 - rate) / count)
    assert rate[0] - rate[-1] > Z * math.hypot(se[0], se[-1])  # falls with quality
    assert np.polyfit(np.arange(10), rate, 1)[0] < 0


def test_a_zero_slope_gives_everyone_the_same_decline_probability() -> None:
    scenario = null_scenario(**{"offers.decline_probability": 0.3})
    f = _funnel(scenario, blocks=10)
    offered = f.offer & ~f.internal_slot
    low = offered & (f.quality < 0)
    high = offered & (f.quality > 1)
    for group in (low, high):
        share = f.hired[group].mean()
        _within(share, 0.7, math.sqrt(0.21 / group.sum()))


# --------------------------------------------------------------------- withdrawals
def test_withdrawals_match_the_weekly_hazard() -> None:
    # An external withdraws before interviews end (week e) with probability
    # 1 - exp(-h exp(beta q) e): the mean of those probabilities is the expected share.
    scenario = null_scenario(**{"withdrawal.weekly_hazard": 0.05, "withdrawal.quality_slope": 0.5})
    f = _funnel(scenario, blocks=10)
    slate = f.on_slate & ~f.internal_slot
    end = f.interviews_end[:, None] * np.ones(slate.shape)
    rate = 0.05 * np.exp(0.5 * f.quality)
    p_before = 1 - np.exp(-rate * end)
    gone = slate & ~f.interviewed
    _within(
        gone[slate].mean(),
        p_before[slate].mean(),
        math.sqrt(np.sum(p_before[slate] * (1 - p_before[slate]))) / slate.sum(),
    )
    # and between the end of interviews and the decision (week T), given they stayed
    stayed = slate & f.interviewed
    p_after = 1 - np.exp(-rate * (f.process_weeks[:, None] - end))
    _within(
        f.withdrew[stayed].mean(),
        p_after[stayed].mean(),
        math.sqrt(np.sum(p_after[stayed] * (1 - p_after[stayed]))) / stayed.sum(),
    )
    assert not (f.offer & f.withdrew).any()


# -------------------------------------------------------------------------- pauses
def test_freezes_split_into_cancellations_and_pauses() -> None:
    scenario = sf.load_scenario(CONFIGS / "baseline.yaml").with_overrides(
        {
            "role.cancel_probability": 0.3,
            "role.pause_share": 0.6,
            "role.pause_weeks": {"low": 3, "high": 5},
        }
    )
    f = _funnel(scenario, blocks=20)
    n = f.pause_weeks.size
    paused = f.pause_weeks > 0
    frozen = (f.cancelled_stage != cal.NOT_CANCELLED) | paused
    _within(frozen.mean(), 0.3, math.sqrt(0.21 / n))
    after = paused | (f.cancelled_stage == cal.CANCELLED_AFTER_INTERVIEWS)
    _within(paused[after].mean(), 0.6, math.sqrt(0.24 / after.sum()))
    assert set(np.unique(f.pause_weeks[paused])) == {3, 4, 5}
    # a paused role hires after the pause: its days to fill count the pause
    hired = paused & f.hired.any(axis=1)
    assert hired.any()
    assert (f.days_to_fill[hired] >= 7 * (f.process_weeks + f.pause_weeks)[hired]).all()


def _paused_decision() -> Decision:
    """Two candidates; the better one (U 1.0 vs 0.5) took another job during the pause."""
    shape = (1, 2)
    signals = Signals(
        posterior_mean=np.array([[1.0, 0.5]]),
        posterior_variance=np.zeros(shape),
        alignment=np.ones(shape),
        culture=np.full(shape, 0.5),
        narrative=np.zeros(shape),
        niche=np.zeros(shape, bool),
    )
    return Decision(
        signals=signals,
        weights=Weights(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        interviewed=np.ones(shape, bool),
        internal_slot=np.zeros(2, bool),
        declines=np.zeros(shape, bool),
        available=np.array([[False, True]]),
        available_unpaused=np.array([[True, True]]),
        positions=np.array([1]),
        cancelled_after=np.array([False]),
        max_offers=2,
        hiring_bar=None,
    )


def test_hand_worked_pause_loss_and_withdrawal_residual() -> None:
    decision = _paused_decision()
    offer, _, _ = decision.replay(0)
    assert offer.tolist() == [[False, True]]
    a = attribute(
        decision, offer, np.array([[True, False]]), narrow_margin=0.01, quality=np.zeros((1, 2))
    )
    assert REASONS[a.sequential[0]] == "role_paused"
    np.testing.assert_allclose(a.shapley[0], [0, 1, 0, 0, 0, 0, 0])
    # Gone before the decision even without the pause: they took another job first.
    gone = Decision(**{**decision.__dict__, "available_unpaused": np.array([[False, True]])})
    a = attribute(
        gone, offer, np.array([[True, False]]), narrow_margin=0.01, quality=np.zeros((1, 2))
    )
    assert REASONS[a.sequential[0]] == "withdrew"
    np.testing.assert_allclose(a.shapley[0], 0)


# -------------------------------------------------------------------- time to fill
def test_time_to_fill_closed_form() -> None:
    # One position, no declines, cancellations, pauses or withdrawals: every opening
    # hires its first offer at day 7 T + d, with T ~ UniformInt[3, 7]: mean 7 * 5 + d.
    scenario = null_scenario(**{"offers.days_to_answer": 4})
    result = sf.simulate(scenario, 20_000, seed=3, attribution=False)
    row = result.summary().loc["days_to_fill"]
    weeks = np.arange(3, 8)
    truth = 7 * weeks.mean() + 4
    se = 7 * weeks.std() / math.sqrt(20_000)
    _within(row.value, truth, se)
    assert row.ci_low < truth < row.ci_high or abs(row.value - truth) < Z * se
    output = TimeToFill.from_result(result)
    assert output.median == pytest.approx(7 * 5 + 4)
    assert (
        output.finding
        == f"Half of roles are filled within 39 days; 1 in 5 takes more than {output.p80:.0f}"
    )
    assert output.to_df()["share"].sum() == pytest.approx(1.0)


def test_wait_days_of_the_first_offer_and_of_the_rest() -> None:
    scenario = null_scenario(**{"offers.days_to_answer": 2, "role.positions": {2: 1.0}})
    f = _funnel(scenario, blocks=2)
    decision_day = 7 * f.process_weeks[:, None]
    interviews_end = 7 * f.interviews_end[:, None]
    first = f.offer & (f.offer_round == 1)
    np.testing.assert_array_equal(
        f.wait_days[first], (decision_day - interviews_end + 0 * f.wait_days)[first]
    )
    rejected = f.interviewed & ~f.offer
    closed = decision_day + 2 * f.offer.sum(axis=1)[:, None]  # two offers, both accepted
    np.testing.assert_array_equal(
        f.wait_days[rejected], (closed - interviews_end + 0 * f.wait_days)[rejected]
    )


# --------------------------------------------------------------------------- money
def test_money_per_hire_is_brogden_cronbach_gleser() -> None:
    base = sf.load_scenario(CONFIGS / "baseline.yaml")
    assert (
        "money_per_hire" not in sf.simulate(base, 2_000, seed=1, attribution=False).summary().index
    )
    paid = base.with_overrides({"value.salary": 100_000})
    annuity = (1 - 1.05**-4.1) / 0.05  # tenure 4.1 years at 5%
    assert paid.value.money_per_sd == pytest.approx(40_000 * annuity, rel=1e-12)
    summary = sf.simulate(paid, 5_000, seed=1, attribution=False).summary()
    money, value = summary.loc["money_per_hire"], summary.loc["mean_hire_value"]
    scale = paid.value.money_per_sd
    for column in ("value", "ci_low", "ci_high"):
        assert money[column] == pytest.approx(scale * value[column], rel=1e-9)


def test_risk_aversion_costs_money_per_hire_with_a_paired_ci() -> None:
    base = sf.load_scenario(CONFIGS / "baseline.yaml").with_overrides({"value.salary": 100_000})
    averse = base.with_overrides({"manager.risk_aversion": 3.0, "name": "averse"})  # vs 0.5
    comparison = sf.compare([base, averse], 20_000, seed=2, keep_frames=False)
    differences = comparison.differences
    row = differences[differences["metric"] == "money_per_hire"].iloc[-1]
    assert row.scenario.startswith("averse")
    assert row.ci_low <= row.difference <= row.ci_high < 0  # it costs: CI below zero
    assert row.ci_high - row.ci_low > 0


# ---------------------------------------------------------------------- benchmarks
def test_the_baseline_is_inside_every_published_band() -> None:
    result = sf.simulate(
        sf.load_scenario(CONFIGS / "baseline.yaml"), 50_000, seed=12, attribution=False
    )
    output = Benchmarks.from_result(result)
    table = output.to_df()
    assert table["inside"].all(), table[~table["inside"]][["figure", "value", "low", "high"]]
    assert output.finding == f"The model lands inside all {len(table)} published ranges"
    assert len(table) == 7 and table["source"].str.len().min() > 10


def test_benchmarks_name_what_is_missed() -> None:
    structured = sf.load_scenario(CONFIGS / "structured_panels.yaml")
    output = Benchmarks.from_result(sf.simulate(structured, 5_000, seed=1, attribution=False))
    assert "Validity of the whole interview process" in output.finding
    # Structured panels raise the composite validity on purpose: an input, not a failure.
    assert "move by design" in output.finding and output.failed == []
    assert "| .42 | no (not judged) |" in output.to_markdown()
