"""The manager's belief and the value of a hire, against independent calculations."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

import simfunnel as sf
from simfunnel.model.decision import realised_value
from simfunnel.model.interview import measurement, posterior


def _grid_posterior(prior_mean, prior_sd, observations):
    """Posterior mean and variance of q by brute-force integration on a grid."""
    q = np.linspace(-12, 12, 200_001)
    log_density = norm.logpdf(q, prior_mean, prior_sd)
    for value, sd in observations:
        log_density += norm.logpdf(value, q, sd)
    weight = np.exp(log_density - log_density.max())
    weight /= weight.sum()
    mean = (weight * q).sum()
    return mean, (weight * (q - mean) ** 2).sum()


@pytest.mark.parametrize(
    ("validity", "presence_correlation"), [(0.19, 0.0), (0.42, 0.0), (0.8, 0.0), (0.3, 0.4)]
)
def test_posteriors_match_numerical_integration(
    validity: float, presence_correlation: float
) -> None:
    # x_bar = gain * q + noise of variance nu (MODEL.md 1.5): the likelihood the grid uses.
    scenario = sf.Scenario().with_overrides(
        {
            "interview.validity": validity,
            "interview.presence_quality_correlation": presence_correlation,
            "internal.quality_mean": 0.4,
            "internal.quality_sd": 0.7,
            "internal.known_precision": 2.5,
        }
    )
    interview, internal = scenario.interview, scenario.internal
    score = np.array([[1.3, 2.1]])  # an external, then the internal
    known = np.array([[0.0, -0.6]])
    mean, variance = posterior(score, np.array([False, True]), known, interview, internal)
    m = measurement(interview)
    noise_sd = np.sqrt(m.noise_variance) / m.gain  # of x_bar / gain, which has mean q
    external = _grid_posterior(0.0, 1.0, [(1.3 / m.gain, noise_sd)])
    internal_truth = _grid_posterior(
        0.4, 0.7, [(2.1 / m.gain, noise_sd), (-0.6, 1 / np.sqrt(internal.known_precision))]
    )
    np.testing.assert_allclose([mean[0, 0], variance[0, 0]], external, rtol=1e-6)
    np.testing.assert_allclose([mean[0, 1], variance[0, 1]], internal_truth, rtol=1e-6)


def test_realised_value_mean_and_transfer_variance() -> None:
    manager = sf.Scenario().manager  # niche_value .3, onboarding .3, transfer_risk .5
    rng = np.random.default_rng(0)
    draws = 400_000
    alignment = 0.2
    value = realised_value(
        np.full(draws, 0.5),
        np.full(draws, alignment),
        np.ones(draws, dtype=bool),
        rng.standard_normal(draws),
        manager,
    )
    expected_mean = 0.5 + manager.niche_value - manager.onboarding_cost * (1 - alignment)
    expected_variance = manager.transfer_risk**2 * (1 - alignment)
    assert abs(value.mean() - expected_mean) < 4 * np.sqrt(expected_variance / draws)
    # SE of a sample variance of normals: variance * sqrt(2 / n)
    assert abs(value.var() - expected_variance) < 4 * expected_variance * np.sqrt(2 / draws)
