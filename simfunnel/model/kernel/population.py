"""The exact top-*k* shortlist and the traits in the kernel.

The NumPy reference is :func:`simfunnel.model.population.exact_top_k` and
:func:`simfunnel.model.population.traits`.
"""

from __future__ import annotations

import numpy as np

from simfunnel.model.kernel.compiler import njit


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
