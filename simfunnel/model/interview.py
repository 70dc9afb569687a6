"""Interviews, the manager's Gaussian belief and the candidate's impression (MODEL.md 1.5).

Each of ``R`` rounds scores ``x_r = q + sigma_x * delta_r`` with
``sigma_x**2 = (1 - rho**2) / rho**2``. Only the mean matters, so one draw per
candidate gives ``x_bar ~ N(q, sigma_x**2 / R)``.
"""

from __future__ import annotations

import numpy as np

from simfunnel.model.scenario import Internal, Interview


def round_precision(interview: Interview) -> float:
    """``R / sigma_x**2``: precision of the mean interview score (inf if validity is 1)."""
    rho = interview.validity
    if rho >= 1.0:
        return np.inf
    return interview.rounds * rho**2 / (1.0 - rho**2)


def interview_score(quality: np.ndarray, noise: np.ndarray, interview: Interview) -> np.ndarray:
    """Mean interview score ``x_bar``, shape like ``quality``; ``noise`` is N(0, 1)."""
    precision = round_precision(interview)
    return quality if np.isinf(precision) else quality + noise / np.sqrt(precision)


def posterior(
    score: np.ndarray,
    internal_slot: np.ndarray,
    known_observation: np.ndarray,
    interview: Interview,
    internal: Internal,
) -> tuple[np.ndarray, np.ndarray]:
    """The manager's posterior of true quality, N(mean, variance).

    Externals have the prior N(0, 1) (deliberately ignoring that screening selected
    them: managers rarely correct for it). The internal (``internal_slot`` True) has
    the prior N(quality_mean, quality_sd**2) plus the manager's own observation
    ``known_observation`` of precision ``known_precision``.

    Parameters
    ----------
    score : ndarray, shape (openings, slots)
        Mean interview score ``x_bar``.
    internal_slot : ndarray of bool, shape (slots,) or (openings, slots)
    known_observation : ndarray, shape (openings, 1) or broadcastable
        ``y = q + eps / sqrt(known_precision)`` for the internal.

    Returns
    -------
    mean, variance : ndarrays, shape (openings, slots)
    """
    precision_x = round_precision(interview)
    if np.isinf(precision_x):
        return score.copy(), np.zeros_like(score)
    prior_precision = np.where(internal_slot, 1.0 / internal.quality_sd**2, 1.0)
    prior_weighted_mean = np.where(
        internal_slot, internal.quality_mean / internal.quality_sd**2, 0.0
    )
    known = np.where(internal_slot, internal.known_precision, 0.0)
    precision = prior_precision + precision_x + known
    weighted = prior_weighted_mean + precision_x * score
    if internal.known_precision > 0:
        weighted = weighted + known * known_observation
    return weighted / precision, np.broadcast_to(1.0 / precision, score.shape).copy()


def felt_score(score: np.ndarray, noise: np.ndarray, interview: Interview) -> np.ndarray:
    """The candidate's own impression ``f = x_bar + bias + noise_sd * xi``."""
    assessment = interview.self_assessment
    return score + assessment.bias + assessment.noise * noise
