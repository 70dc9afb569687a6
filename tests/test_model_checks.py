"""Model checks that kill plausible modelling mistakes (scripts/mutation.py).

Every expected value here comes from MODEL.md by an independent route: a
closed form, a small hand-computed case, or a brute-force loop that shares no
code with the vectorised engine. Statistical checks state their standard error
and allow 4 of them (a false alarm about once in 16,000 runs per check); the
seeds are fixed, so the suite is deterministic.
"""

from __future__ import annotations

import importlib
import itertools
import math

import numpy as np
import pytest
from scipy.special import ndtr, ndtri
from scipy.stats import binom

import simfunnel as sf
from simfunnel.analysis.run import reference_thresholds
from simfunnel.analysis.summary import OUTCOMES, Z_95, Thresholds, metric_columns, opening_outcome
from simfunnel.model import calendar as cal
from simfunnel.model.attribution import REASONS, attribute, shapley_reason
from simfunnel.model.decision import (
    Decision,
    Mechanism,
    Signals,
    Weights,
    make_offers,
    risk_adjusted_score,
)
from simfunnel.model.engine import Focal, Model, draw_blocks, simulate_funnel
from simfunnel.model.interview import (
    felt_score,
    interview_score,
    measurement,
    presence_trait,
)
from simfunnel.model.population import ALIGNMENT, NICHE, QUALITY, Screen, traits
from simfunnel.model.rng import BLOCKS, normalise_seed

from .conftest import null_scenario

you_module = importlib.import_module(
    "simfunnel.analysis.you"
)  # the package's `you` is the function

Z = 4.0  # standard errors allowed in statistical checks


def _funnel(scenario: sf.Scenario, blocks: int = 2, seed: int = 1):
    model = Model.build(scenario)
    draws = draw_blocks(scenario, normalise_seed(seed), BLOCKS, 0, blocks)
    return model, draws, simulate_funnel(model, draws)


def _within(estimate: float, truth: float, se: float) -> None:
    assert abs(estimate - truth) < Z * se, (estimate, truth, se)


# ------------------------------------------------------------------ decision.py
def _random_signals(rng: np.random.Generator, shape=(400, 6)) -> Signals:
    return Signals(
        posterior_mean=rng.normal(size=shape),
        posterior_variance=rng.uniform(0.05, 0.9, shape),
        alignment=rng.uniform(size=shape),
        culture=rng.uniform(size=shape),
        narrative=rng.uniform(size=shape),
        niche=rng.uniform(size=shape) < 0.3,
    )


def test_manager_score_is_the_formula_of_model_md() -> None:
    # MODEL.md 1.6, written out term by term with distinct weights.
    rng = np.random.default_rng(0)
    s = _random_signals(rng)
    w = Weights(
        risk_aversion=0.7,
        affinity_weight=0.4,
        narrative_weight=0.6,
        niche_value=0.25,
        onboarding_cost=0.35,
        transfer_risk=0.8,
    )
    perceived_sd = np.sqrt(
        s.posterior_variance
        + w.transfer_risk**2 * (1 - s.alignment) * (1 - w.narrative_weight * s.narrative)
    )
    expected = (
        s.posterior_mean
        + w.niche_value * s.niche
        - w.onboarding_cost * (1 - s.alignment)
        + w.affinity_weight * (s.culture - 0.5)
        - w.risk_aversion * perceived_sd
    )
    np.testing.assert_allclose(risk_adjusted_score(s, w), expected, rtol=1e-12, atol=1e-12)


def test_culture_mirror_is_centred_so_an_average_fit_passes_a_bar_unchanged() -> None:
    # U = mu + affinity (c - 1/2): a candidate of culture 1/2 has U = mu whatever the
    # affinity, so at a hiring bar just under mu they are offered.
    s = Signals(*(np.array([[value]]) for value in (0.2, 0.0, 1.0, 0.5, 0.5, 0.0)))
    zero = Weights(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    for affinity in (0.0, 0.9):
        w = Weights(0.0, affinity, 0.0, 0.0, 0.0, 0.0)
        assert risk_adjusted_score(s, w)[0, 0] == pytest.approx(0.2)
        offer, _ = make_offers(
            risk_adjusted_score(s, w),
            np.ones((1, 1), bool),
            np.zeros((1, 1), bool),
            np.array([1]),
            1,
            hiring_bar=0.19,
        )
        assert offer[0, 0]
    assert risk_adjusted_score(s, zero)[0, 0] == pytest.approx(0.2)


def test_weights_come_from_the_right_manager_keys_and_removals() -> None:
    manager = (
        sf.Scenario()
        .with_overrides(
            {
                "manager.risk_aversion": 0.11,
                "manager.affinity_weight": 0.22,
                "manager.narrative_weight": 0.33,
                "manager.niche_value": 0.44,
                "manager.onboarding_cost": 0.55,
                "manager.transfer_risk": 0.66,
            }
        )
        .manager
    )
    w = Weights.from_manager(manager)
    assert (w.risk_aversion, w.affinity_weight, w.narrative_weight) == (0.11, 0.22, 0.33)
    assert (w.niche_value, w.onboarding_cost, w.transfer_risk) == (0.44, 0.55, 0.66)
    # MODEL.md 3, step 5: niche fit removes niche_value *and* narrative_weight.
    off = w.without(Mechanism.NICHE_FIT)
    assert (off.niche_value, off.narrative_weight) == (0.0, 0.0)
    assert (off.risk_aversion, off.affinity_weight) == (0.11, 0.22)


def _offers_by_loop(score, eligible, declines, positions, max_offers, bar):
    """MODEL.md 1.8 one opening at a time: offers down the U order until filled."""
    offer = np.zeros(score.shape, bool)
    hired = np.zeros(score.shape, bool)
    for j in range(score.shape[0]):
        order = sorted(
            (
                i
                for i in range(score.shape[1])
                if eligible[j, i] and (bar is None or score[j, i] >= bar)
            ),
            key=lambda i: -score[j, i],
        )
        accepted = 0
        for made, i in enumerate(order):
            if accepted == positions[j] or made == max_offers:
                break
            offer[j, i] = True
            if not declines[j, i]:
                hired[j, i] = True
                accepted += 1
    return offer, hired


@pytest.mark.parametrize("bar", [None, 0.0])
def test_offers_match_a_one_opening_at_a_time_loop(bar: float | None) -> None:
    rng = np.random.default_rng(5)
    openings, slots = 3_000, 7
    score = rng.normal(size=(openings, slots))
    eligible = rng.uniform(size=(openings, slots)) < 0.8
    declines = rng.uniform(size=(openings, slots)) < 0.35
    positions = rng.integers(1, 4, openings)
    for max_offers in (1, 3, 6):
        offer, hired = make_offers(score, eligible, declines, positions, max_offers, bar)
        want_offer, want_hired = _offers_by_loop(
            score, eligible, declines, positions, max_offers, bar
        )
        np.testing.assert_array_equal(offer, want_offer)
        np.testing.assert_array_equal(hired, want_hired)


# ----------------------------------------------------------------- interview.py
@pytest.mark.parametrize(
    ("rounds", "validity", "share", "correlation"),
    [(1, 0.42, 0.0, 0.0), (3, 0.16, 0.4, 0.0), (4, 0.29, 0.25, 0.0), (5, 0.6, 0.3, -0.2)],
)
def test_interview_rounds_presence_and_felt_score_moments(
    rounds: int, validity: float, share: float, correlation: float
) -> None:
    # Brute force: every round scored separately, x_r = q + a P + b e_r (MODEL.md 1.5).
    # One round correlates `validity` with q, presence is `share` of a round's error
    # variance, and the engine's one-draw mean has the rounds' mean's distribution.
    interview = (
        sf.Scenario()
        .with_overrides(
            {
                "interview.rounds": rounds,
                "interview.validity": validity,
                "interview.presence_share": share,
                "interview.presence_quality_correlation": correlation,
                "interview.self_assessment.bias": 0.7,
                "interview.self_assessment.noise": 1.3,
            }
        )
        .interview
    )
    m = measurement(interview)
    a, b = m.presence_sd, m.round_noise_sd
    assert a * a / (a * a + b * b) == pytest.approx(share, abs=1e-12)
    rng = np.random.default_rng(rounds)
    n = 200_000
    quality = rng.normal(size=n)
    presence = presence_trait(quality, rng.normal(size=n), interview)
    rounds_scores = quality[:, None] + a * presence[:, None] + b * rng.normal(size=(n, rounds))
    # SE of a sample correlation: (1 - r^2) / sqrt(n)
    r1 = np.corrcoef(rounds_scores[:, 0], quality)[0, 1]
    _within(r1, validity, (1 - validity**2) / math.sqrt(n))
    composite = np.corrcoef(rounds_scores.mean(axis=1), quality)[0, 1]
    _within(composite, m.composite_validity, (1 - m.composite_validity**2) / math.sqrt(n))
    x_bar = interview_score(quality, presence, rng.normal(size=n), interview)
    error = x_bar - rounds_scores.mean(axis=1)  # two independent draws of the same law
    _within(error.mean(), 0.0, math.sqrt(2 * m.noise_variance / n) + 1e-12)
    felt = felt_score(x_bar, rng.normal(size=n), interview)
    _within((felt - x_bar).mean(), 0.7, 1.3 / math.sqrt(n))
    _within((felt - x_bar).var(), 1.3**2, 1.3**2 * math.sqrt(2 / n))


def test_composite_validity_closed_form_and_schmidt_zimmerman() -> None:
    # With presence unrelated to quality: rho_c = 1 / sqrt(1 + sigma^2 (s + (1 - s) / R)),
    # sigma^2 = (1 - rho^2) / rho^2 the error variance of one round.
    for rounds, validity, share in [(3, 0.16, 0.4), (4, 0.29, 0.25), (2, 0.5, 0.0)]:
        interview = (
            sf.Scenario()
            .with_overrides(
                {
                    "interview.rounds": rounds,
                    "interview.validity": validity,
                    "interview.presence_share": share,
                }
            )
            .interview
        )
        sigma2 = (1 - validity**2) / validity**2
        expected = 1 / math.sqrt(1 + sigma2 * (share + (1 - share) / rounds))
        assert interview.composite_validity == pytest.approx(expected, rel=1e-12)
    # Schmidt & Zimmerman (2004): averaging 3-4 independent unstructured interviews
    # (.19 each, nothing shared) comes near one structured interview (.42, Sackett 2022).
    independent = measurement(
        sf.Scenario()
        .with_overrides(
            {"interview.validity": 0.19, "interview.presence_share": 0.0, "interview.rounds": 1}
        )
        .interview
    )
    assert 0.31 < independent.with_rounds(3).composite_validity < 0.33
    assert 0.35 < independent.with_rounds(4).composite_validity < 0.37
    # Shared presence caps what more rounds can do: diminishing returns.
    baseline = measurement(sf.Scenario().interview)
    gains = np.diff([baseline.with_rounds(r).composite_validity for r in range(1, 9)])
    assert (gains > 0).all() and (np.diff(gains) < 0).all()
    assert baseline.with_rounds(1000).composite_validity < 0.26


# -------------------------------------------------------------------- engine.py
def test_engine_wires_signals_posterior_value_and_declines() -> None:
    # One chunk of the baseline, every per-candidate quantity recomputed from the
    # draws with MODEL.md's formulas (1.4-1.6, 1.8).
    scenario = sf.Scenario().with_overrides(
        {
            "internal.probability": 0.3,
            "internal.known_precision": 0.5,
            "internal.narrative": 0.6,
            "internal.culture": 0.9,
            "offers.decline_probability": 0.2,
            "offers.internal_decline_probability": 0.6,
        }
    )
    model, draws, f = _funnel(scenario)
    internal, interview, manager = scenario.internal, scenario.interview, scenario.manager
    top = model.top
    # the internal's fixed traits; niche m = 1
    np.testing.assert_array_equal(f.signals.niche[:, top], True)
    np.testing.assert_array_equal(f.signals.narrative[:, top], 0.6)
    np.testing.assert_array_equal(f.signals.culture[:, top], 0.9)
    np.testing.assert_array_equal(f.signals.alignment[:, top], internal.alignment)
    # conjugate posteriors; the mean score's error is presence plus the rounds' mean noise
    sigma2 = (1 - interview.validity**2) / interview.validity**2
    share = interview.presence_share
    px = 1 / (share * sigma2 + (1 - share) * sigma2 / interview.rounds)
    x = f.interview_score
    q_int = f.quality[:, top]
    y = q_int + draws["internal"][:, 1] / math.sqrt(internal.known_precision)
    ext_precision = 1 + px
    np.testing.assert_allclose(f.signals.posterior_mean[:, :top], px * x[:, :top] / ext_precision)
    np.testing.assert_allclose(f.signals.posterior_variance[:, :top], 1 / ext_precision)
    int_precision = 1 / internal.quality_sd**2 + px + internal.known_precision
    int_mean = (
        internal.quality_mean / internal.quality_sd**2
        + px * x[:, top]
        + internal.known_precision * y
    ) / int_precision
    np.testing.assert_allclose(f.signals.posterior_mean[:, top], int_mean)
    np.testing.assert_allclose(f.signals.posterior_variance[:, top], 1 / int_precision)
    # the candidate's impression is of their own interview score
    assessment = interview.self_assessment
    np.testing.assert_allclose(f.felt_score, x + assessment.bias + assessment.noise * draws["felt"])
    # realised value V from the true quality
    a, m = f.signals.alignment, f.signals.niche
    value = (
        f.quality
        + manager.niche_value * m
        - manager.onboarding_cost * (1 - a)
        + manager.transfer_risk * np.sqrt(1 - a) * draws["transfer"]
    )
    np.testing.assert_allclose(f.value, value)
    # each candidate declines with its own probability: logit p = logit .2 + slope * q
    slope = scenario.offers.decline_quality_slope
    p = 1 / (1 + np.exp(-(math.log(0.2 / 0.8) + slope * f.quality[:, :top])))
    decided = np.abs(draws["decline"][:, :top] - p) > 1e-12  # no last-bit ties
    np.testing.assert_array_equal(
        f.decision.declines[:, :top][decided], (draws["decline"][:, :top] < p)[decided]
    )
    np.testing.assert_array_equal(f.decision.declines[:, top], draws["decline"][:, top] < 0.6)
    # the internal is present with its probability; nobody interviews in a role
    # cancelled before interviews
    n = len(f.internal_present)
    _within(f.internal_present.mean(), 0.3, math.sqrt(0.3 * 0.7 / n))
    before = f.cancelled_stage == cal.CANCELLED_BEFORE_INTERVIEWS
    assert before.any() and not f.interviewed[before].any()
    # externals withdraw at week E / (h exp(beta q)); those gone before interviews end
    # are not interviewed, those gone before the decision get no offer
    withdrawal = scenario.withdrawal
    gone_at = draws["withdraw"][:, 0] / (
        withdrawal.weekly_hazard * np.exp(withdrawal.quality_slope * f.quality[:, 0])
    )
    end = np.ceil(scenario.role.interview_at * f.process_weeks - 1e-12)
    np.testing.assert_array_equal(f.interviewed[~before, 0], (gone_at >= end)[~before])
    gone = gone_at < f.process_weeks + f.pause_weeks
    assert gone.any() and not f.offer[gone, 0].any()
    assert (f.withdrew[:, 0] == (f.interviewed[:, 0] & gone)).all()


def test_margin_winner_is_the_last_person_offered() -> None:
    _, _, f = _funnel(sf.Scenario(), blocks=1, seed=3)
    margin, interview_margin = f.margins
    for j in range(len(margin)):
        offered = np.flatnonzero(f.offer[j])
        passed = np.flatnonzero(f.interviewed[j] & ~f.withdrew[j] & ~f.offer[j])
        if len(offered) == 0 or len(passed) == 0:
            assert np.isnan(margin[j])
            continue
        last = offered[np.argmin(f.score[j, offered])]
        best_passed = passed[np.argmax(f.score[j, passed])]
        assert margin[j] == pytest.approx(f.score[j, last] - f.score[j, best_passed])
        assert interview_margin[j] == pytest.approx(
            f.interview_score[j, last] - f.interview_score[j, best_passed]
        )


@pytest.mark.parametrize(("pool", "shortlist", "s"), [(30, 5, 1.0), (30, 5, 0.3), (6, 5, -0.5)])
def test_focal_shortlisted_with_the_binomial_probability(
    pool: int, shortlist: int, s: float
) -> None:
    # A focal applicant with CV score s among n - 1 others of score N(0, sigma_s^2)
    # is shortlisted iff fewer than k of the others beat s:
    # P = BinomCDF(k - 1; n - 1, 1 - Phi(s / sigma_s)).
    scenario = sf.Scenario().with_overrides(
        {
            "applicants.count": {"low": pool, "high": pool},
            "screening.shortlist": {"low": shortlist, "high": shortlist},
        }
    )
    model = Model.build(scenario)
    draws = draw_blocks(scenario, normalise_seed(7), BLOCKS, 0, 10)
    rows = draws["calendar"].shape[0]
    focal = Focal(np.zeros((rows, 5)), np.full(rows, s * model.screen.score_sd))
    funnel = simulate_funnel(model, draws, focal)
    truth = binom.cdf(shortlist - 1, pool - 1, 1 - ndtr(s))
    share = funnel.extras["focal_shortlisted"].mean()
    _within(share, truth, math.sqrt(truth * (1 - truth) / rows))


# ---------------------------------------------------------------- population.py
def test_screen_moments_are_the_closed_forms_of_section_4() -> None:
    scenario = sf.Scenario().with_overrides(
        {
            "applicants.correlations": {
                "quality~alignment": 0.3,
                "quality~niche": 0.2,
                "alignment~narrative": 0.4,
            }
        }
    )
    screen = Screen.from_scenario(scenario)
    r = scenario.correlation_matrix
    v = scenario.screening.validity
    b = np.array([v, scenario.screening.alignment_weight, 0, 0, scenario.screening.niche_weight])
    assert screen.noise_sd == pytest.approx(math.sqrt(1 - v**2))
    score_variance = b @ r @ b + 1 - v**2
    assert screen.score_sd == pytest.approx(math.sqrt(score_variance))
    np.testing.assert_allclose(screen.conditional_slope, r @ b / score_variance)
    # any square root of the conditional covariance will do
    factor = screen.conditional_factor
    np.testing.assert_allclose(
        factor @ factor.T, r - np.outer(r @ b, r @ b) / score_variance, atol=1e-12
    )


def test_traits_map_latents_to_the_observables() -> None:
    rng = np.random.default_rng(2)
    n = 200_000
    scenario = sf.Scenario().with_overrides({"applicants.niche_share": 0.15})
    latent = rng.normal(size=(n, 5))
    t = traits(Screen.from_scenario(scenario), latent)
    np.testing.assert_array_equal(t["quality"], latent[:, 0])
    np.testing.assert_allclose(t["alignment"], ndtr(latent[:, 1]))
    np.testing.assert_allclose(t["culture"], ndtr(latent[:, 2]))
    np.testing.assert_allclose(t["narrative"], ndtr(latent[:, 3]))
    _within(t["niche"].mean(), 0.15, math.sqrt(0.15 * 0.85 / n))
    assert (t["niche"] == (latent[:, 4] > ndtri(0.85))).all()


def _expected_max(pool: int) -> float:
    """E[max of ``pool`` standard normals] by quadrature of the max's density."""
    x = np.linspace(-8, 9, 200_001)
    density = pool * ndtr(x) ** (pool - 1) * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
    return float(np.sum(x * density) * (x[1] - x[0]))


@pytest.mark.parametrize("engine_name", ["exact", "brute_force"])
def test_best_cv_score_scales_with_the_score_sd(engine_name: str) -> None:
    # The best of n CV scores is sigma_s times the best of n standard normals
    # (baseline weights: sigma_s != 1, and sigma_e = sqrt(1 - validity^2) != 1).
    pool = 60
    scenario = sf.Scenario().with_overrides(
        {"engine": engine_name, "applicants.count": {"low": pool, "high": pool}}
    )
    _, _, f = _funnel(scenario, blocks=8, seed=4)
    screen = Screen.from_scenario(scenario)
    best = f.screen_score[:, 0]
    _within(best.mean(), screen.score_sd * _expected_max(pool), best.std() / math.sqrt(len(best)))


# ------------------------------------------------------------------ calendar.py
def test_quarters_wrap_and_interviews_end_at_the_ceiling() -> None:
    weeks = np.array([0, 12, 13, 25, 26, 38, 39, 51, 52, 64, 65, 103, 104])
    np.testing.assert_array_equal(
        cal.quarter_of_week(weeks), [0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 3, 0]
    )
    calendar = cal.Calendar.from_role(sf.Scenario().role)  # interview_at 0.7
    np.testing.assert_array_equal(calendar.interviews_end(np.arange(4, 11)), [3, 4, 5, 5, 6, 7, 7])
    values = cal.uniform_int(np.arange(7000) / 7000, 4, 10)
    np.testing.assert_array_equal(np.bincount(values)[4:], 1000)


def _weekly_hazard(calendar: cal.Calendar, role) -> np.ndarray:
    g = np.asarray(role.quarter_multipliers, float)
    g = g / g.mean()
    weeks = np.arange(len(calendar.cumulative_hazard))
    return calendar.weekly_base_hazard * g[cal.quarter_of_week(weeks)]


@pytest.mark.parametrize("months", [None, [3, 1, 1, 1, 0, 0, 0, 2, 1, 1, 1, 5]])
def test_cancel_share_and_posting_weeks_by_brute_force(months) -> None:
    # The share of cancelled openings, summed week by week over every posting week
    # and process length, equals the configured probability; posting months carry
    # their weights.
    role = (
        sf.Scenario()
        .with_overrides({"role.cancel_probability": 0.3, "role.posting_month_weights": months})
        .role
    )
    calendar = cal.Calendar.from_role(role)
    week_p = np.diff(np.concatenate([[0.0], calendar.week_cdf]))
    if months is not None:
        month_share = np.bincount(cal.month_of_week(np.arange(52)), weights=week_p, minlength=12)
        np.testing.assert_allclose(month_share, np.array(months) / sum(months), atol=1e-12)
    h = _weekly_hazard(calendar, role)
    lengths = range(role.process_weeks.low, role.process_weeks.high + 1)
    share = 0.0
    for w0 in range(52):
        for length in lengths:
            survive = math.exp(-sum(h[w0 + t] for t in range(length)))
            share += week_p[w0] / len(lengths) * (1 - survive)
    assert share == pytest.approx(0.3, abs=1e-9)


def test_cancellation_stage_by_a_week_by_week_loop() -> None:
    role = sf.Scenario().with_overrides({"role.cancel_probability": 0.4}).role
    calendar = cal.Calendar.from_role(role)
    h = _weekly_hazard(calendar, role)
    rng = np.random.default_rng(9)
    n = 3_000
    week = rng.integers(0, 52, n)
    length = rng.integers(role.process_weeks.low, role.process_weeks.high + 1, n)
    e = rng.exponential(size=n)
    stage = calendar.cancellation(week, length, e)
    for j in range(n):
        expected, total = cal.NOT_CANCELLED, 0.0
        for t in range(length[j]):
            total += h[week[j] + t]
            if total >= e[j]:
                end = math.ceil(role.interview_at * length[j] - 1e-12)
                expected = (
                    cal.CANCELLED_BEFORE_INTERVIEWS if t < end else cal.CANCELLED_AFTER_INTERVIEWS
                )
                break
        assert stage[j] == expected, (j, week[j], length[j], e[j])
    assert (stage == 1).any() and (stage == 2).any()


# --------------------------------------------------------------- attribution.py
def _decision(mean, culture=None, variance=None, positions=1, cancelled=False, declines=None):
    mean = np.array([mean], float)
    shape = mean.shape
    signals = Signals(
        posterior_mean=mean,
        posterior_variance=np.full(shape, 0.5) if variance is None else np.array([variance]),
        alignment=np.full(shape, 0.5),
        culture=np.full(shape, 0.5) if culture is None else np.array([culture], float),
        narrative=np.full(shape, 0.5),
        niche=np.zeros(shape, bool),
    )
    return Decision(
        signals=signals,
        weights=Weights(1.0, 1.0, 0.0, 0.0, 0.0, 0.0),
        interviewed=np.ones(shape, bool),
        internal_slot=np.zeros(shape[1], bool),
        declines=np.zeros(shape, bool) if declines is None else np.array([declines]),
        available=np.ones(shape, bool),
        available_unpaused=np.ones(shape, bool),
        positions=np.array([positions]),
        cancelled_after=np.array([cancelled]),
        max_offers=4,
        hiring_bar=None,
    )


def _attribute(decision, good, margin=0.01):
    offer, _, _ = decision.replay(0)
    return offer, attribute(
        decision, offer, np.array([good]), margin, quality=np.zeros(offer.shape)
    )


def test_hand_worked_risk_loss_and_removed_alone() -> None:
    # Loser 0: higher mean, but a riskier read (variance 1.0 vs 0.01): U = 0.5 - 1 vs
    # 0.3 - 0.1. Only a risk-neutral manager offers them.
    decision = _decision([0.5, 0.3], variance=[1.0, 0.01])
    offer, a = _attribute(decision, [True, False])
    assert offer.tolist() == [[False, True]]
    assert REASONS[a.sequential[0]] == "safer_candidate"
    assert a.alone_offer[0].tolist() == [False, False, False, True, False, False, False]
    np.testing.assert_allclose(a.shapley[0], [0, 0, 0, 1, 0, 0, 0])


def test_hand_worked_loss_that_needs_two_removals() -> None:
    # Loser 0 trails by 0.3 in risk and by 0.3 in culture; the mean gives them 0.4:
    # U0 = 0.4 - sqrt(.5)*1 ... built so that removing risk or culture alone is not
    # enough but removing both is. Sequential order: risk (3rd), then culture (4th).
    decision = _decision([0.4, 0.0], culture=[0.2, 0.8], variance=[0.49, 0.0])
    # U0 = 0.4 - 0.3 - 0.7 = -0.6; U1 = 0 + 0.3 - 0 = 0.3
    # no risk: U0 = 0.1 < 0.3; no culture: U0 = -0.3 < 0; neither: 0.4 > 0.
    offer, a = _attribute(decision, [True, False])
    assert offer.tolist() == [[False, True]]
    assert REASONS[a.sequential[0]] == "culture_mirror"
    assert not a.alone_offer[0].any()
    np.testing.assert_allclose(a.shapley[0], [0, 0, 0, 0.5, 0.5, 0, 0])
    assert REASONS[shapley_reason(a)[0]] in ("safer_candidate", "culture_mirror")


def test_hand_worked_narrow_margin_is_measured_to_the_last_offer() -> None:
    # Two positions: offers to U = 1.0 and 0.42; the loser has 0.40: 0.02 behind the
    # last offer (narrow at 0.05), 0.6 behind the first.
    decision = _decision([1.0, 0.42, 0.40], variance=[0.0, 0.0, 0.0], positions=2)
    offer, a = _attribute(decision, [False, False, True], margin=0.05)
    assert offer.tolist() == [[True, True, False]]
    assert REASONS[a.sequential[0]] == "narrow_margin"
    assert REASONS[a.residual[0]] == "narrow_margin"
    assert REASONS[shapley_reason(a)[0]] == "narrow_margin"
    np.testing.assert_allclose(a.shapley[0], 0)


def test_hand_worked_cancellation_loss() -> None:
    # The role is cancelled after interviews: the good interviewee who would have had
    # the offer loses to the cancellation alone.
    decision = _decision([1.0, 0.0], variance=[0.0, 0.0], cancelled=True)
    offer, a = _attribute(decision, [True, False])
    assert not offer.any()
    assert REASONS[a.sequential[0]] == "role_cancelled"
    np.testing.assert_allclose(a.shapley[0], [1, 0, 0, 0, 0, 0, 0])
    assert a.alone_offer[0].tolist() == [True, False, False, False, False, False, False]


def test_only_interviewed_good_candidates_are_losers() -> None:
    decision = _decision([1.0, 0.0, 0.5], variance=[0.0, 0.0, 0.0])
    decision = Decision(**{**decision.__dict__, "interviewed": np.array([[True, True, False]])})
    _, a = _attribute(decision, [False, True, True])
    assert (a.rows.tolist(), a.slots.tolist()) == ([0], [1])


# -------------------------------------------------------------------- summary.py
def _metrics_by_loop(f, top: int, good_at: float, narrow: float, bad_at: float, good):
    """Every metric's per-opening (numerator, denominator), one opening at a time."""
    rows: dict[str, list[tuple[float, float]]] = {}

    def put(name, numerator, denominator):
        rows.setdefault(name, []).append((float(numerator), float(denominator)))

    for j in range(f.offer.shape[0]):
        inter = [i for i in range(f.offer.shape[1]) if f.interviewed[j, i]]
        offered = [i for i in inter if f.offer[j, i]]
        hires = [i for i in inter if f.hired[j, i]]
        n, reached, stage = len(inter), len(inter) > 0, f.cancelled_stage[j]
        quarter = f.posting_week[j] // 13
        put("applicants_per_opening", f.applicants[j], 1)
        put("shortlisted_per_opening", f.shortlist[j] + f.internal_present[j], 1)
        put("interviewed_per_opening", n, reached)
        put("interviewees_per_opening", n, 1)
        put("offer_rate_interviewed", len(offered), n)
        put("offer_rate_per_opening_mean", len(offered) / n if n else 0, reached)
        put("offers_per_opening", len(offered), 1)
        put("hire_rate", len(hires) > 0, 1)
        put("hires_per_opening", len(hires), 1)
        put("cancel_rate", stage != cal.NOT_CANCELLED, 1)
        put("cancel_before_interviews_rate", stage == cal.CANCELLED_BEFORE_INTERVIEWS, 1)
        put("cancel_after_interviews_rate", stage == cal.CANCELLED_AFTER_INTERVIEWS, 1)
        for q in range(4):
            put(f"cancel_rate_q{q + 1}", stage != 0 and quarter == q, quarter == q)
        put("paused_rate", f.pause_weeks[j] > 0, 1)
        # externals on the slate of an opening that reached interviews, and who left
        slate = [
            i for i in range(top) if f.on_slate[j, i] and stage != cal.CANCELLED_BEFORE_INTERVIEWS
        ]
        left = [i for i in slate if not f.interviewed[j, i] or f.withdrew[j, i]]
        put("withdrawal_rate", len(left), len(slate))
        put("offer_acceptance_rate", len(hires), len(offered))
        external_offers = [i for i in offered if i != top]
        put("external_acceptance_rate", len([i for i in hires if i != top]), len(external_offers))
        # offers go out best U first, one every days_to_answer days after the decision
        order = sorted(offered, key=lambda i: -f.score[j, i])
        decision_day = 7 * (f.process_weeks[j] + f.pause_weeks[j])
        if hires:
            first = min(order.index(i) for i in hires) + 1
            put("days_to_fill", decision_day + first * f.days_to_answer, 1)
        else:
            put("days_to_fill", 0, 0)
        put("internal_present_rate", f.internal_present[j], 1)
        put("internal_win_rate", top in hires, f.internal_present[j] and len(hires) > 0)
        put("internal_share_of_hires", top in hires, len(hires))
        best = max(inter, key=lambda i: f.quality[j, i]) if reached else None
        put("best_interviewee_hired_rate", best in hires, len(hires) > 0)
        top_x = max(inter, key=lambda i: f.interview_score[j, i]) if reached else None
        put("top_interview_offer_rate", top_x in offered, reached)
        is_good = [i for i in inter if f.interview_score[j, i] >= good_at]
        felt = [i for i in inter if f.felt_score[j, i] >= good_at]
        put("good_interview_offer_rate", len(set(is_good) & set(offered)), len(is_good))
        put("felt_great_offer_rate", len(set(felt) & set(offered)), len(felt))
        put("felt_great_no_offer_rate", len(set(felt) - set(offered)), len(felt))
        put("good_interview_share", len(is_good), n)
        put("felt_great_share", len(felt), n)
        passed = [i for i in inter if i not in offered and not f.withdrew[j, i]]
        if offered and passed:
            last = min(offered, key=lambda i: f.score[j, i])
            runner = max(passed, key=lambda i: f.score[j, i])
            put("microscopic_margin_rate", f.score[j, last] - f.score[j, runner] < narrow, 1)
        else:
            put("microscopic_margin_rate", 0, 0)
        put("mean_hire_value", sum(f.value[j, i] for i in hires), len(hires))
        put("bad_hire_rate", sum(f.value[j, i] < bad_at for i in hires), len(hires))
        losers = [i for i in inter if good[j, i] and i not in offered]
        if hires:
            winner = max(hires, key=lambda i: f.score[j, i])
            better = sum(f.quality[j, i] > f.quality[j, winner] for i in losers)
        else:
            better = 0
        put("loser_better_quality_rate", better, len(losers) * (len(hires) > 0))
    return rows


def test_metric_columns_by_a_per_opening_loop(baseline: sf.Scenario) -> None:
    # Every metric of MODEL.md section 2 recomputed opening by opening: which score
    # each uses (x_bar for good, f for felt great, q for best, U for the winner, V
    # for value) and which openings each is over.
    # A hiring bar so that every outcome, "no_hire" included, is common.
    scenario = baseline.with_overrides(
        {"internal.probability": 0.5, "role.cancel_probability": 0.2, "manager.hiring_bar": 0.0}
    )
    model, _, f = _funnel(scenario, blocks=1, seed=6)
    thresholds = Thresholds(good_interview=1.0, narrow_margin=0.05, bad_hire=0.1)
    good = f.interviewed & (f.interview_score >= 1.0)
    a = attribute(f.decision, f.offer, good, 0.05, quality=f.quality)
    columns = metric_columns(f, thresholds, a)
    expected = _metrics_by_loop(f, model.top, 1.0, 0.05, 0.1, good)
    for metric, values in expected.items():
        numerator, denominator = np.array(values).T
        np.testing.assert_allclose(
            np.asarray(columns[metric][0], float), numerator, err_msg=metric, atol=1e-12
        )
        np.testing.assert_allclose(
            np.asarray(columns[metric][1], float), denominator, err_msg=metric
        )
    # the opening's outcome
    outcome = opening_outcome(f)
    for j in range(len(outcome)):
        stage = f.cancelled_stage[j]
        if stage == cal.CANCELLED_BEFORE_INTERVIEWS:
            expected_outcome = "cancelled_before_interviews"
        elif stage == cal.CANCELLED_AFTER_INTERVIEWS:
            expected_outcome = "cancelled_after_interviews"
        elif f.hired[j, model.top]:
            expected_outcome = "hired_internal"
        else:
            expected_outcome = "hired_external" if f.hired[j].any() else "no_hire"
        assert OUTCOMES[outcome[j]] == expected_outcome, j
    assert len(set(outcome.tolist())) == len(OUTCOMES)


# ------------------------------------------------------------------------ you.py
def test_focal_latent_conditions_niche_on_quality_and_alignment() -> None:
    scenario = sf.Scenario().with_overrides(
        {"applicants.correlations": {"quality~niche": 0.5, "alignment~niche": 0.3}}
    )
    r = scenario.correlation_matrix
    rng = np.random.default_rng(4)
    n = 100_000
    screen = Screen.from_scenario(scenario)
    latent = you_module.focal_latent(
        screen, r, 1.5, 0.8, None, rng.normal(size=(n, 5)), rng.uniform(size=n)
    )
    given = [QUALITY, ALIGNMENT]
    gain = r[NICHE, given] @ np.linalg.inv(r[np.ix_(given, given)])
    mean = gain @ np.array([1.5, ndtri(0.8)])
    sd = math.sqrt(1 - gain @ r[given, NICHE])
    _within(latent[:, NICHE].mean(), mean, sd / math.sqrt(n))
    _within(latent[:, NICHE].std(), sd, sd / math.sqrt(2 * n))


def _null_you(**overrides):
    base = {
        "applicants.count": {"low": 40, "high": 40},
        "screening.shortlist": {"low": 5, "high": 5},
        "interview.validity": 1.0,
    }
    return null_scenario(**{**base, **overrides})


def test_you_in_the_null_scenario_matches_closed_forms() -> None:
    # Screening validity 0: the focal is shortlisted with probability k / n. Interview
    # validity 1: x_bar = q, so a median candidate (q = 0) gets the one offer iff all
    # k - 1 others are below 0: 2^-(k-1).
    scenario = _null_you()
    result = sf.you(scenario, 50, openings=3_000, seed=8, searches=4_000)
    n = result.simulated
    _within(result.shortlist_rate, 5 / 40, math.sqrt(5 / 40 * 35 / 40 / n))
    p = result.offer[0]
    _within(p, 2.0**-4, math.sqrt(2.0**-4 * (1 - 2.0**-4) / result.openings))
    half = Z_95 * math.sqrt(p * (1 - p) / result.openings)
    assert result.offer[1:] == pytest.approx((p - half, p + half), abs=1e-12)


def test_you_felt_great_conditions_on_the_felt_score() -> None:
    # x_bar = q = 0 for the focal, below the good-interview threshold, so only the
    # felt score f = 0 + bias + noise * xi can reach it: P = 1 - Phi((thr - bias) / noise).
    scenario = _null_you(**{"interview.self_assessment": {"bias": 0.2, "noise": 1.0}})
    threshold = reference_thresholds(Model.build(scenario))
    felt_p = 1 - ndtr(threshold.good_interview - 0.2)
    assert threshold.good_interview > 0.3
    result = sf.you(scenario, 50, felt_great=True, openings=2_000, searches=1_000)
    truth = 5 / 40 * felt_p
    _within(result.shortlist_rate, truth, math.sqrt(truth * (1 - truth) / result.simulated))


def test_you_counts_every_simulated_opening_when_all_are_kept() -> None:
    scenario = _null_you(**{"applicants.count": {"low": 5, "high": 5}})
    result = sf.you(scenario, 50, openings=1_234, searches=500, seed=2)
    assert result.simulated == result.openings == 1_234


def _job_search(outcomes, interviews, searches, rho, recontact, rng):
    """``you._job_search`` with its search and bootstrap streams from ``rng``."""
    bootstrap = np.random.default_rng(rng.integers(2**63))
    return you_module._job_search(outcomes, interviews, searches, rho, recontact, rng, bootstrap)


def _outcomes(n: int, rng: np.random.Generator, cancel: float) -> dict[str, np.ndarray]:
    unc = rng.uniform(size=n) < 0.4
    runner = ~unc & (rng.uniform(size=n) < 0.5)
    cancelled = rng.uniform(size=n) < cancel
    return {
        "offer": unc & ~cancelled,
        "offer_uncancelled": unc,
        "runner_up": runner,
        "cancel_after": np.full(n, cancel),
    }


@pytest.mark.parametrize("rho", [0.0, 1.0])
def test_job_search_closed_forms(rho: float) -> None:
    # Openings with P(offer if not cancelled) = q and cancellation c after interviews.
    # Independent freezes: P(any offer in N) = 1 - (1 - q(1-c))^N. One shared freeze:
    # (1 - c)(1 - (1 - q)^N). Staying visible (recontact r) at N = 1 adds
    # P(runner-up, not cancelled) * r * q(1-c).
    rng = np.random.default_rng(1)
    n, c, r, searches, interviews = 20_000, 0.3, 0.5, 40_000, 6
    outcomes = _outcomes(n, rng, c)
    q = outcomes["offer_uncancelled"].mean()
    runner = outcomes["runner_up"].mean()
    table, _ = _job_search(outcomes, interviews, searches, rho, r, rng)
    count = np.arange(1, interviews + 1)
    truth = 1 - (1 - q * (1 - c)) ** count if rho == 0 else (1 - c) * (1 - (1 - q) ** count)
    se = np.sqrt(truth * (1 - truth) / searches)
    assert (np.abs(table.p_any_offer - truth) < Z * se).all(), (table.p_any_offer, truth)
    visible = q * (1 - c) + runner * (1 - c) * r * q * (1 - c)
    _within(table.p_any_offer_visible[0], visible, math.sqrt(visible * (1 - visible) / searches))
    # the CI covers at least the searches' own binomial noise
    half = Z_95 * np.sqrt(table.p_any_offer * (1 - table.p_any_offer) / searches)
    assert (table.ci_high - table.p_any_offer >= half * (1 - 1e-9)).all()


def test_focal_cancel_after_is_the_conditional_cancellation_probability(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # cancel_after for a kept opening is P(cancelled after interviews | interviewed):
    # its mean over kept openings matches how often they really were cancelled.
    scenario = _null_you(**{"role.cancel_probability": 0.5, "role.interview_at": 0.3})
    seen = {"cancel_after": [], "cancelled_after": []}
    original = you_module._focal_outcomes

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        for key in seen:
            seen[key].append(out[key])
        return out

    monkeypatch.setattr(you_module, "_focal_outcomes", spy)
    sf.you(scenario, 50, openings=6_000, searches=500, seed=3)
    predicted = np.concatenate(seen["cancel_after"])
    observed = np.concatenate(seen["cancelled_after"])
    _within(observed.mean(), predicted.mean(), observed.std() / math.sqrt(len(observed)))


def test_job_search_draws_from_every_kept_opening() -> None:
    # Two kept openings, one with an offer: a one-interview search succeeds half the time.
    outcomes = {
        "offer": np.array([True, False]),
        "offer_uncancelled": np.array([True, False]),
        "runner_up": np.array([False, False]),
        "cancel_after": np.zeros(2),
    }
    searches = 20_000
    table, medians = _job_search(outcomes, 3, searches, 0.0, 0.0, np.random.default_rng(0))
    _within(table.p_any_offer[0], 0.5, math.sqrt(0.25 / searches))
    assert medians["p_any_offer"] in (1.0, 1.5, 2.0)


# ------------------------------------------------------------- rounds cost time
def test_each_round_beyond_three_adds_its_days_to_the_process() -> None:
    """With nobody withdrawing, declining or cancelled, days to fill is 7 T + the answer's
    3 days, so one more round of 7 days adds exactly 7 days on the same draws (and one
    fewer takes 7 off); the baseline's three rounds leave the calibrated calendar alone."""
    from simfunnel.model.calendar import Calendar, round_weeks

    runs = {
        r: sf.simulate(null_scenario(**{"interview.rounds": r}), 2_000, seed=8, workers=1)
        for r in (2, 3, 4)
    }
    days = {r: run.summary().loc["days_to_fill", "value"] for r, run in runs.items()}
    assert days[4] - days[3] == pytest.approx(7.0, abs=1e-9)
    assert days[3] - days[2] == pytest.approx(7.0, abs=1e-9)
    assert round_weeks(3, 7.0) == 0 and round_weeks(5, 3.5) == 1 and round_weeks(1, 7.0) == -2
    role = null_scenario().role
    same, default = Calendar.from_role(role, 0), Calendar.from_role(role)
    assert (same.process_low, same.process_high) == (default.process_low, default.process_high)
    np.testing.assert_array_equal(same.cumulative_hazard, default.cumulative_hazard)
    assert Calendar.from_role(role, -50).process_low == 1  # never below one week


def test_more_rounds_lose_more_candidates_to_other_jobs(baseline) -> None:
    """A longer process gives the weekly withdrawal hazard more weeks: the rate rises with
    the rounds (20,000 openings each, same seed; the gaps are 9 SE and more)."""
    rates = []
    for rounds in (2, 3, 4):
        run = sf.simulate(
            baseline.with_overrides({"interview.rounds": rounds}),
            20_000,
            seed=5,
            workers=1,
            attribution=False,
        )
        rates.append(run.summary().loc["withdrawal_rate", ["value", "se"]].to_numpy())
    for (low, se_low), (high, se_high) in itertools.pairwise(rates):
        assert high - low > 3 * (se_low**2 + se_high**2) ** 0.5
