"""The applicant population and CV screening to a shortlist (MODEL.md 1.2-1.3, 4).

Each applicant has a latent Gaussian vector ``z = (q, alpha, kappa, eta, nu) ~ N(0, R)``
and a Gaussian CV score ``s = b.z + sigma_e * eps``. The shortlist is the top ``k``
by ``s``. Two exact samplers of that shortlist share one interface:

- :func:`exact_top_k` draws the top ``k`` order statistics of ``s`` from ``k``
  exponential spacings, then each latent vector from its Gaussian conditional
  given ``s``: cost O(k), independent of the pool size.
- :func:`brute_force_top_k` draws every applicant and keeps the top ``k``: the
  reference path.

Both return arrays of shape ``(openings, K)`` with ``K = screening.shortlist.high``,
sorted by CV score, best first; columns beyond an opening's own ``k`` are
discarded by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expm1, ndtr, ndtri

from simfunnel.model import linalg
from simfunnel.model.scenario import Scenario

N_LATENT = 5
QUALITY, ALIGNMENT, CULTURE, NARRATIVE, NICHE = range(N_LATENT)


@dataclass(frozen=True)
class Screen:
    """The screening model of a scenario, precomputed once.

    Attributes
    ----------
    weights : ndarray, shape (5,)
        ``b``: CV-score weights on the latent vector.
    noise_sd : float
        ``sigma_e = sqrt(1 - validity**2)``.
    score_sd : float
        ``sigma_s = sqrt(b'Rb + sigma_e**2)``.
    correlation_factor : ndarray, shape (5, 5)
        Lower Cholesky factor of ``R``.
    conditional_slope : ndarray, shape (5,)
        ``R b / sigma_s**2``: ``E[z | s] = slope * s``.
    conditional_factor : ndarray, shape (5, 5)
        Lower Cholesky factor of ``Cov[z | s] = R - R b b'R / sigma_s**2`` (zero
        columns where it is singular: :func:`simfunnel.model.linalg.cholesky`).
    niche_cut : float
        ``nu`` above this means niche experience (``m = 1``).
    """

    weights: np.ndarray
    noise_sd: float
    score_sd: float
    correlation_factor: np.ndarray
    conditional_slope: np.ndarray
    conditional_factor: np.ndarray
    niche_cut: float

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> Screen:
        screening = scenario.screening
        correlation = scenario.correlation_matrix
        weights = np.zeros(N_LATENT)
        weights[QUALITY] = screening.validity
        weights[ALIGNMENT] = screening.alignment_weight
        weights[NICHE] = screening.niche_weight
        noise_sd = float(np.sqrt(1.0 - screening.validity**2))
        covariance_zs = linalg.matmul(correlation, weights[:, None])[:, 0]
        score_variance = float(linalg.matmul(weights[None, :], covariance_zs[:, None])[0, 0])
        score_variance += noise_sd**2
        conditional = correlation - np.outer(covariance_zs, covariance_zs) / score_variance
        # A unique factor (not V sqrt(L), whose basis LAPACK may rotate within a
        # repeated eigenvalue's eigenspace from one CPU to the next). It may be
        # singular: validity 1 and no other weights make q a function of s.
        factor = linalg.cholesky(conditional)
        niche_cut = float(ndtri(1.0 - scenario.applicants.niche_share))  # +-inf at 0 and 1
        return cls(
            weights=weights,
            noise_sd=noise_sd,
            score_sd=float(np.sqrt(score_variance)),
            correlation_factor=linalg.cholesky(correlation),
            conditional_slope=covariance_zs / score_variance,
            conditional_factor=factor,
            niche_cut=niche_cut,
        )


def correlate(noise: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``noise @ factor.T`` over the last axis: the same bits on every CPU and chunking."""
    return linalg.transform(noise, factor)


def exact_top_k(
    screen: Screen,
    pool_size: np.ndarray,
    spacings: np.ndarray,
    latent_noise: np.ndarray,
    kernel: str = "numpy",
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-K shortlist from exponential spacings (MODEL.md section 4).

    ``kernel="numba"`` runs the same arithmetic compiled
    (:func:`simfunnel.model.kernel.exact_top_k_kernel`): the same bits.

    Parameters
    ----------
    pool_size : ndarray, shape (openings,)
        ``n`` applicants per opening (``n >= K``).
    spacings : ndarray, shape (openings, K)
        iid Exp(1) draws.
    latent_noise : ndarray, shape (openings, K, 5)
        iid standard normal draws for the conditional latent vectors.

    Returns
    -------
    latent : ndarray, shape (openings, K, 5)
    screen_score : ndarray, shape (openings, K), descending along axis 1.
    """
    if kernel == "numba":
        from simfunnel.model import kernel as compiled

        return compiled.exact_top_k_kernel(
            np.ascontiguousarray(pool_size, dtype=np.int64),
            np.ascontiguousarray(spacings, dtype=np.float64),
            np.ascontiguousarray(latent_noise, dtype=np.float64),
            float(screen.score_sd),
            np.ascontiguousarray(screen.conditional_factor, dtype=np.float64),
            np.ascontiguousarray(screen.conditional_slope, dtype=np.float64),
            compiled.NDTRI,
            compiled.EXPM1,
        )
    top = spacings.shape[1]
    # log U_(n-i) = -sum_{l<=i+1} E_l / (n - l + 1): Renyi's representation of the
    # uniform order statistics, from the top down.
    # (Slots beyond a pool of fewer than `top` are never used; keep them finite.)
    remaining = np.maximum(pool_size[:, None] - np.arange(top), 1)
    log_uniform = -np.cumsum(spacings / remaining, axis=1)
    # Upper-tail form: 1 - U = -expm1(log U) keeps full precision for n up to 1e7+.
    # SciPy's expm1, not NumPy's: NumPy picks a CPU-specific SIMD expm1 (AVX-512 or
    # not) whose last bits differ, SciPy's is the same code on every CPU.
    screen_score = -screen.score_sd * ndtri(-expm1(log_uniform))
    latent = correlate(latent_noise, screen.conditional_factor)
    latent += screen_score[..., None] * screen.conditional_slope
    return latent, screen_score


def brute_force_top_k(
    screen: Screen, pool_size: np.ndarray, top: int, pool_noise: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reference shortlist: draw every applicant, keep the top ``top`` by CV score.

    Parameters
    ----------
    pool_noise : ndarray, shape (openings, max pool, 6)
        iid standard normals: 5 latent, 1 CV-score noise per applicant slot.
    """
    max_pool = pool_noise.shape[1]
    latent = correlate(pool_noise[..., :N_LATENT], screen.correlation_factor)
    score = screen.noise_sd * pool_noise[..., N_LATENT]
    for trait in range(N_LATENT):
        if screen.weights[trait]:
            score += screen.weights[trait] * latent[..., trait]
    score[np.arange(max_pool) >= pool_size[:, None]] = -np.inf
    best = np.argpartition(-score, top - 1, axis=1)[:, :top]
    order = np.argsort(-np.take_along_axis(score, best, axis=1), axis=1)
    best = np.take_along_axis(best, order, axis=1)
    return (
        np.take_along_axis(latent, best[..., None], axis=1),
        np.take_along_axis(score, best, axis=1),
    )


def traits(screen: Screen, latent: np.ndarray, kernel: str = "numpy") -> dict[str, np.ndarray]:
    """Observable traits from latent vectors, shape (..., 5) -> dict of (...,).

    ``kernel="numba"`` (latent of shape (openings, K, 5)) runs it compiled
    (:func:`simfunnel.model.kernel.traits_kernel`): the same bits.
    """
    if kernel == "numba" and latent.ndim == 3:
        from simfunnel.model import kernel as compiled

        values = compiled.traits_kernel(
            np.ascontiguousarray(latent, dtype=np.float64), float(screen.niche_cut), compiled.NDTR
        )
        names = ("quality", "alignment", "culture", "narrative", "niche")
        return dict(zip(names, values, strict=True))
    return {
        "quality": latent[..., QUALITY],
        "alignment": ndtr(latent[..., ALIGNMENT]),
        "culture": ndtr(latent[..., CULTURE]),
        "narrative": ndtr(latent[..., NARRATIVE]),
        "niche": latent[..., NICHE] > screen.niche_cut,
    }
