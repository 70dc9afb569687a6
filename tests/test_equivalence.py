"""The exact O(k) shortlist sampler against closed forms and the brute-force reference.

MODEL.md section 4: the top ``k`` of ``n`` Gaussian CV scores drawn from ``k``
exponential spacings must have the same distribution as drawing all ``n``
applicants and keeping the best ``k``. Checked four ways:

1. the mean CV score at each rank against the expected order statistics of
   ``n`` standard normals, computed here by numerical integration;
2. two-sample KS tests, exact vs brute force, per rank of the CV score and per
   rank and latent attribute, Bonferroni-corrected;
3. every summary metric of the baseline, exact vs brute force, within three
   combined standard errors;
4. the upper-tail form at pools of up to 10^7 applicants.

A deliberately wrong sampler (spacings divided by ``n`` instead of
``n - l + 1``) must fail checks 1 and 2: the tests can fail.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

import simfunnel as sf
from simfunnel.analysis import run
from simfunnel.model import engine, population
from simfunnel.model.calendar import uniform_int
from simfunnel.model.engine import U_POOL, Model, draw_blocks, run_blocks
from simfunnel.model.population import N_LATENT, Screen
from simfunnel.model.rng import BLOCK_OPENINGS, BLOCKS, normalise_seed

TOP = 10  # screening.shortlist.high of the baseline: ranks checked per opening
Z_LIMIT = 3.0  # standard errors
KS_FAMILY_ALPHA = 0.01  # family-wise, split over the tests (Bonferroni)


# --------------------------------------------------------------------- helpers
def expected_order_statistic(pool: int, rank: int) -> float:
    """E of the ``rank``-th largest of ``pool`` iid standard normals.

    Integrates ``x`` times the density of that order statistic,
    ``n!/((r-1)!(n-r)!) Phi(x)^(n-r) (1-Phi(x))^(r-1) phi(x)``, in logs so pools
    of 10^7 neither overflow nor underflow.
    """
    n, r = pool, rank
    # log of n * C(n-1, r-1), summed term by term: exact for huge n, unlike gammaln
    log_coefficient = math.log(n) + sum(math.log(n - j) for j in range(1, r)) - special.gammaln(r)

    def integrand(x: float) -> float:
        log_density = (
            log_coefficient
            + (n - r) * special.log_ndtr(x)
            + (r - 1) * special.log_ndtr(-x)
            - 0.5 * x * x
            - 0.5 * math.log(2 * math.pi)
        )
        return x * math.exp(log_density)

    mode = -float(special.ndtri(r / (n + 1)))
    value, _ = integrate.quad(
        integrand, mode - 10, mode + 10, points=[mode], limit=200, epsabs=1e-11, epsrel=1e-11
    )
    return value


def order_statistic_deviation(score: np.ndarray, pool: int) -> np.ndarray:
    """Deviation, in standard errors, of the mean score per rank from its closed form.

    Parameters
    ----------
    score : ndarray, shape (draws, ranks)
        Standardised CV scores (``score_sd = 1``), best first, from pools of ``pool``.

    Returns
    -------
    ndarray, shape (ranks,)
        ``(mean - E) / (sd / sqrt(draws))`` per rank.
    """
    draws, ranks = score.shape
    expected = np.array([expected_order_statistic(pool, r + 1) for r in range(ranks)])
    standard_error = score.std(axis=0, ddof=1) / np.sqrt(draws)
    return (score.mean(axis=0) - expected) / standard_error


def ks_p_values(first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]):
    """Two-sample KS p-values per rank of the CV score and per rank and latent attribute.

    ``first`` and ``second`` are ``(latent (openings, K, 5), score (openings, K))``.
    Returns a dict ``{(quantity, rank): p}``.
    """
    (latent_a, score_a), (latent_b, score_b) = first, second
    p_values = {}
    for rank in range(score_a.shape[1]):
        p_values["score", rank + 1] = stats.ks_2samp(score_a[:, rank], score_b[:, rank]).pvalue
        for trait, name in enumerate(sf.model.scenario.LATENT_NAMES):
            p_values[name, rank + 1] = stats.ks_2samp(
                latent_a[:, rank, trait], latent_b[:, rank, trait]
            ).pvalue
    return p_values


def draw_shortlist(
    scenario: sf.Scenario, openings: int, seed: int, chunk_blocks: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """The engine's population step alone: latent (openings, K, 5), score (openings, K).

    Uses the engine's own draws (``draw_blocks``) and pool sizes, and looks the
    samplers up on :mod:`simfunnel.model.population` at call time, so a monkeypatched
    sampler is picked up.
    """
    screen = Screen.from_scenario(scenario)
    top = scenario.screening.shortlist.high
    count = scenario.applicants.count
    normalised = normalise_seed(seed)
    blocks = math.ceil(openings / BLOCK_OPENINGS)
    latents, scores = [], []
    for first in range(0, blocks, chunk_blocks):
        draws = draw_blocks(scenario, normalised, BLOCKS, first, min(chunk_blocks, blocks - first))
        pool = uniform_int(draws["calendar"][:, U_POOL], count.low, count.high)
        if scenario.engine == "exact":
            latent, score = population.exact_top_k(screen, pool, draws["spacings"], draws["latent"])
        else:
            latent, score = population.brute_force_top_k(screen, pool, top, draws["pool"])
        latents.append(latent)
        scores.append(score)
    return np.concatenate(latents)[:openings], np.concatenate(scores)[:openings]


def wrong_exact_top_k(
    screen: Screen,
    pool_size: np.ndarray,
    spacings: np.ndarray,
    latent_noise: np.ndarray,
    kernel: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """A deliberately wrong sampler: every spacing divided by n, not n - l + 1
    (in NumPy whatever ``kernel`` the engine asks for)."""
    log_uniform = -np.cumsum(spacings / pool_size[:, None], axis=1)
    screen_score = -screen.score_sd * special.ndtri(-np.expm1(log_uniform))
    latent = population.correlate(latent_noise, screen.conditional_factor)
    latent += screen_score[..., None] * screen.conditional_slope
    return latent, screen_score


def pure_screen(baseline: sf.Scenario, pool: int, engine_name: str = "exact") -> sf.Scenario:
    """CV score = true quality (validity 1, no other weights): score_sd = 1; fixed pool."""
    return baseline.with_overrides(
        {
            "engine": engine_name,
            "screening.validity": 1.0,
            "screening.alignment_weight": 0.0,
            "screening.niche_weight": 0.0,
            "applicants.count.low": pool,
            "applicants.count.high": pool,
        }
    )


@pytest.fixture(scope="module")
def exact_baseline_shortlist(baseline: sf.Scenario) -> tuple[np.ndarray, np.ndarray]:
    return draw_shortlist(baseline, 100_000, seed=101)


@pytest.fixture(scope="module")
def brute_force_baseline_shortlist(baseline: sf.Scenario) -> tuple[np.ndarray, np.ndarray]:
    return draw_shortlist(baseline.with_overrides({"engine": "brute_force"}), 100_000, seed=202)


# ------------------------------------------------------- 0. the helpers are sound
def test_closed_form_matches_the_published_expected_maximum() -> None:
    # E[max of 100 standard normals] = 2.50759 (e.g. Harter 1961 tables)
    assert expected_order_statistic(100, 1) == pytest.approx(2.50759, abs=5e-6)
    # symmetry: the order statistics of 10 normals sum to zero
    assert sum(expected_order_statistic(10, r) for r in range(1, 11)) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("engine_name", ["exact", "brute_force"])
def test_draw_shortlist_reproduces_the_engine_bit_for_bit(
    baseline: sf.Scenario, engine_name: str
) -> None:
    scenario = baseline.with_overrides({"engine": engine_name})
    funnel = run_blocks(Model.build(scenario), normalise_seed(7), BLOCKS, 0, 2)
    latent, score = draw_shortlist(scenario, 2 * BLOCK_OPENINGS, seed=7)
    np.testing.assert_array_equal(funnel.screen_score[:, :TOP], score)
    np.testing.assert_array_equal(funnel.quality[:, :TOP], latent[..., population.QUALITY])


# ------------------------------------------ 1. order statistics against closed form
def test_exact_engine_ranks_match_expected_order_statistics(baseline: sf.Scenario) -> None:
    scenario = pure_screen(baseline, 100)
    assert Screen.from_scenario(scenario).score_sd == pytest.approx(1.0)
    _, score = draw_shortlist(scenario, 200_000, seed=31)
    deviation = order_statistic_deviation(score, 100)
    assert np.all(np.abs(deviation) < Z_LIMIT), deviation


@pytest.mark.slow
def test_brute_force_ranks_match_expected_order_statistics(baseline: sf.Scenario) -> None:
    _, score = draw_shortlist(pure_screen(baseline, 100, "brute_force"), 50_000, seed=32)
    deviation = order_statistic_deviation(score, 100)
    assert np.all(np.abs(deviation) < Z_LIMIT), deviation


@pytest.mark.parametrize("pool", [10, 10_000, 10_000_000])
def test_exact_sampler_upper_tail_is_precise_up_to_ten_million(
    baseline: sf.Scenario, pool: int
) -> None:
    # Pools up to 10^7: log U is ~ -1e-7, where 1 - exp(log U) would lose half the
    # digits; the upper-tail form -expm1(log U) keeps them.
    draws = 100_000
    rng = np.random.default_rng(pool)
    screen = Screen.from_scenario(pure_screen(baseline, TOP))
    pool_size = np.full(draws, pool)
    spacings = rng.standard_exponential((draws, TOP))
    latent_noise = rng.standard_normal((draws, TOP, N_LATENT))
    _, score = population.exact_top_k(screen, pool_size, spacings, latent_noise)
    assert np.isfinite(score).all()
    assert (np.diff(score, axis=1) <= 0).all()
    deviation = order_statistic_deviation(score, pool)
    assert np.all(np.abs(deviation) < Z_LIMIT), deviation
    if pool == 10_000_000:
        assert score[:, 0].mean() == pytest.approx(5.30, abs=0.01)


# ------------------------------------------------ 2. KS: exact vs brute force
@pytest.mark.slow
def test_exact_and_brute_force_agree_in_distribution_per_rank_and_attribute(
    exact_baseline_shortlist: tuple[np.ndarray, np.ndarray],
    brute_force_baseline_shortlist: tuple[np.ndarray, np.ndarray],
) -> None:
    p_values = ks_p_values(exact_baseline_shortlist, brute_force_baseline_shortlist)
    assert len(p_values) == TOP * (1 + N_LATENT)
    alpha = KS_FAMILY_ALPHA / len(p_values)
    rejected = {key: p for key, p in p_values.items() if p < alpha}
    assert not rejected, rejected


# ------------------------------------ 3. every summary metric, exact vs brute force
@pytest.mark.slow
def test_every_summary_metric_agrees_between_engines(
    baseline: sf.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One good-interview threshold and narrow margin for both runs: each engine's
    # reference sample has its own draws, so its own threshold would differ by more
    # than the summaries' standard errors cover. Both runs use the exact engine's.
    thresholds = run.reference_thresholds(Model.build(baseline))
    monkeypatch.setattr(run, "reference_thresholds", lambda model, openings=None: thresholds)
    exact = sf.simulate(baseline, 400_000, seed=41, workers=2).summary()
    brute_force = sf.simulate(
        baseline.with_overrides({"engine": "brute_force"}), 100_000, seed=42, workers=2
    ).summary()
    assert list(exact.index) == list(brute_force.index)
    assert len(exact) >= 25
    combined_se = np.sqrt(exact.se**2 + brute_force.se**2)
    difference = (exact.value - brute_force.value).abs()
    both_exact = combined_se == 0  # e.g. a constant metric: must then be equal
    assert (difference[both_exact] == 0).all(), difference[both_exact]
    z = difference[~both_exact] / combined_se[~both_exact]
    assert (z < Z_LIMIT).all(), z.sort_values(ascending=False).head()


# ---------------------------------------------------- 4. the checks can fail
@pytest.mark.slow
def test_wrong_sampler_is_detected(
    baseline: sf.Scenario,
    monkeypatch: pytest.MonkeyPatch,
    brute_force_baseline_shortlist: tuple[np.ndarray, np.ndarray],
) -> None:
    monkeypatch.setattr(population, "exact_top_k", wrong_exact_top_k)
    monkeypatch.setattr(engine, "exact_top_k", wrong_exact_top_k)

    # the order-statistic check: the top rank is unaffected (l = 1 divides by n
    # either way), the lower ranks are pulled up, far beyond 3 standard errors
    _, score = draw_shortlist(pure_screen(baseline, 100), 200_000, seed=31)
    deviation = order_statistic_deviation(score, 100)
    assert abs(deviation[0]) < Z_LIMIT
    assert deviation[-1] > 10 * Z_LIMIT, deviation
    assert (np.abs(deviation) >= Z_LIMIT).sum() >= TOP - 2, deviation

    # the KS check against brute force on the baseline
    wrong = draw_shortlist(baseline, 100_000, seed=101)
    p_values = ks_p_values(wrong, brute_force_baseline_shortlist)
    assert p_values["score", TOP] < KS_FAMILY_ALPHA / len(p_values)

    # and the engine really runs the patched sampler
    funnel = run_blocks(Model.build(pure_screen(baseline, 100)), normalise_seed(31), BLOCKS, 0, 1)
    np.testing.assert_array_equal(funnel.screen_score[:, :TOP], score[:BLOCK_OPENINGS])
