"""Groups of applicants: who they are, and how the funnel treats them (the ``groups:`` and
``sources:`` keys).

A scenario may name one or two attributes (sex, ethnicity), each with levels and their
shares of applicants. Attributes are independent, so an applicant's *cell* (a level of
each attribute) has the product of the shares, and a cell's shifts are the sums of its
levels' shifts. Every shift is a difference of means in SD units:

- latent traits ``quality, alignment, culture, narrative, niche``: the cell's latent
  vector is ``z ~ N(mu_c, R)`` (culture mirror: the team mirrors its majority, so a
  level it does not mirror has a negative shift);
- ``screen``: the screener's bias, added to the CV score (SD units of the CV score);
- ``presence``: interview presence ``P`` (SD units of ``P``);
- ``interview``: a rater's bias on the mean interview score (SD units of that score
  among applicants, ``sqrt(gain**2 + noise variance)``);
- ``withdrawal``: the log of the weekly withdrawal hazard ratio; ``decline``: a shift of
  the log-odds of declining an offer (applied only when some level has one, so a
  scenario without them runs the very same arithmetic).

The CV score of a cell is ``N(m_c, sigma_s**2)`` with ``m_c = b.mu_c + screen_c sigma_s``,
so the pool's score is a mixture. The exact top-k sampler stays exact: the top order
statistics are the mixture's upper-tail quantiles at the same uniform order statistics
(:func:`mixture_upper_quantile`, by bisection), each shortlisted applicant's cell is drawn
from its posterior given its score, ``P(c | s) ~ pi_c phi((s - m_c) / sigma_s)``
(applicants are iid, so given the top scores their cells are independent), and the
latent vector from ``N(mu_c + R b (s - m_c) / sigma_s**2, Cov[z | s])``.

Sources (``sources:``: applied, referred, sourced, agency) are one more attribute,
``source``, after the groups: the same mixture, with no interview-stage shifts. The
internal contender's cell is drawn like an applicant's; its source level changes nothing
(latent and screen shifts apply to the screened pool; withdrawal and decline shifts to
external candidates), and reports count it as the source "internal".

Randomness: the cell draws come from their own child stream, ``(stream, block,
GROUP_DRAWS)`` (:func:`group_uniforms`), so every other draw is where it was. A scenario
with groups and one without share common random numbers; with every shift 0 the
shortlist is the no-groups shortlist (to the bisection's 1e-12). Without ``groups:``
nothing here runs.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, expm1, logit, ndtr, ndtri

from simfunnel.model.interview import measurement
from simfunnel.model.population import N_LATENT, Screen, correlate
from simfunnel.model.rng import BLOCK_OPENINGS, Seed
from simfunnel.model.scenario import LATENT_NAMES, Scenario

GROUP_DRAWS = 6  # the child of a block's stream that holds its group draws
BISECTION_STEPS = 60  # halves a bracket of at most a few SD to below 1e-15
CELL_SEPARATOR = " × "


@dataclass(frozen=True)
class GroupModel:
    """The groups of a scenario, precomputed once.

    Attributes
    ----------
    attributes : tuple of str
    levels : tuple of tuple of str
        Each attribute's level names, in the scenario's order.
    cell_levels : ndarray of int, shape (cells, attributes)
        Each cell's level index per attribute (cells in ``itertools.product`` order).
    shares : ndarray, shape (cells,)
    latent_shift : ndarray, shape (cells, 5)
        ``mu_c`` (SD units of each latent trait).
    score_mean : ndarray, shape (cells,)
        ``m_c``: the mean CV score of the cell.
    presence_shift : ndarray, shape (cells,)
    interview_shift : ndarray, shape (cells,)
        Added to the mean interview score (in its own units).
    withdrawal_shift, decline_shift : ndarray, shape (cells,)
        Log hazard ratio of withdrawal; shift of the log-odds of declining.
    demographic : int
        How many of the attributes are the ``groups:`` ones (they come first); an
        attribute after them is ``source`` (the scenario's ``sources:``).
    """

    attributes: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    cell_levels: np.ndarray
    shares: np.ndarray
    latent_shift: np.ndarray
    score_mean: np.ndarray
    presence_shift: np.ndarray
    interview_shift: np.ndarray
    withdrawal_shift: np.ndarray
    decline_shift: np.ndarray
    demographic: int

    @classmethod
    def from_scenario(cls, scenario: Scenario, screen: Screen) -> GroupModel:
        groups = scenario.applicant_attributes or {}
        attributes = tuple(groups)
        levels = tuple(tuple(groups[a]) for a in attributes)
        cells = list(itertools.product(*(range(len(names)) for names in levels)))
        m = measurement(scenario.interview)
        interview_sd = math.sqrt(m.gain**2 + m.noise_variance)
        shares = np.ones(len(cells))
        latent = np.zeros((len(cells), N_LATENT))
        screen_shift, presence, interview, withdrawal, decline = (
            np.zeros(len(cells)) for _ in range(5)
        )
        for c, cell in enumerate(cells):
            for a, level_index in enumerate(cell):
                level = groups[attributes[a]][levels[a][level_index]]
                shares[c] *= level.share
                latent[c] += [getattr(level, name) for name in LATENT_NAMES]
                screen_shift[c] += level.screen
                # A source has no interview-stage shifts (SourceLevel): 0.
                presence[c] += getattr(level, "presence", 0.0)
                interview[c] += getattr(level, "interview", 0.0)
                withdrawal[c] += level.withdrawal
                decline[c] += level.decline
        shares /= shares.sum()
        return cls(
            attributes=attributes,
            levels=levels,
            cell_levels=np.array(cells, dtype=np.int64).reshape(len(cells), len(attributes)),
            shares=shares,
            latent_shift=latent,
            score_mean=latent @ screen.weights + screen_shift * screen.score_sd,
            presence_shift=presence,
            interview_shift=interview * interview_sd,
            withdrawal_shift=withdrawal,
            decline_shift=decline,
            demographic=len(scenario.groups or {}),
        )

    @property
    def cells(self) -> int:
        return len(self.shares)

    def cell_names(self) -> list[str]:
        """``"woman × black"`` per cell."""
        return [
            CELL_SEPARATOR.join(self.levels[a][i] for a, i in enumerate(cell))
            for cell in self.cell_levels
        ]


def group_uniforms(
    seed: Seed, stream: int, first_block: int, n_blocks: int, slots: int
) -> np.ndarray:
    """One uniform per slot and opening, shape (openings, slots): the cell draws, from
    the child stream ``(stream, block, GROUP_DRAWS)`` of each block."""
    out = np.empty((n_blocks * BLOCK_OPENINGS, slots))
    for i in range(n_blocks):
        rng = seed.stream(stream, first_block + i, GROUP_DRAWS)
        rng.random(out=out[i * BLOCK_OPENINGS : (i + 1) * BLOCK_OPENINGS])
    return out


def mixture_upper_quantile(tail: np.ndarray, means: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """``x`` with ``sum_c shares_c P(N(means_c, 1) > x) = tail``, elementwise, by bisection.

    The root lies between the components' own quantiles, ``-ndtri(tail) + min(means)``
    and ``... + max(means)``; with equal means it is that quantile exactly.
    """
    base = -ndtri(tail)
    low, high = base + means.min(), base + means.max()
    if means.min() == means.max():
        return low
    for _ in range(BISECTION_STEPS):
        middle = 0.5 * (low + high)
        above = np.zeros_like(middle)
        for mean, share in zip(means, shares, strict=True):
            above += share * ndtr(mean - middle)
        too_low = above > tail  # more mass above the guess than wanted: move it up
        low = np.where(too_low, middle, low)
        high = np.where(too_low, high, middle)
    return 0.5 * (low + high)


def cell_by_share(uniform: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The cell whose share interval holds ``uniform``."""
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0
    return np.searchsorted(cdf, uniform, side="right")


def exact_top_k_groups(
    screen: Screen,
    groups: GroupModel,
    pool_size: np.ndarray,
    spacings: np.ndarray,
    latent_noise: np.ndarray,
    uniform: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The exact top-K shortlist of a mixed pool (module docstring).

    The same draws as :func:`simfunnel.model.population.exact_top_k`, plus ``uniform``,
    shape (openings, K): the cell draws. Returns the latent vectors (openings, K, 5),
    the CV scores (openings, K, descending) and the cells (openings, K).
    """
    top = spacings.shape[1]
    remaining = np.maximum(pool_size[:, None] - np.arange(top), 1)
    tail = -expm1(-np.cumsum(spacings / remaining, axis=1))
    standard_means = groups.score_mean / screen.score_sd
    standard = mixture_upper_quantile(tail, standard_means, groups.shares)
    screen_score = screen.score_sd * standard
    # The cell given the score: log pi_c - (x - m_c)**2 / 2, normalised.
    log_weight = np.log(groups.shares) - 0.5 * (standard[..., None] - standard_means) ** 2
    weight = np.exp(log_weight - log_weight.max(axis=-1, keepdims=True))
    cdf = np.cumsum(weight, axis=-1)
    cell = (cdf < uniform[..., None] * cdf[..., -1:]).sum(axis=-1)
    cell = np.minimum(cell, groups.cells - 1)
    latent = correlate(latent_noise, screen.conditional_factor)
    centred = screen_score - groups.score_mean[cell]
    latent += centred[..., None] * screen.conditional_slope + groups.latent_shift[cell]
    return latent, screen_score, cell


def level_of(groups: GroupModel, cell: np.ndarray, attribute: int) -> np.ndarray:
    """Each applicant's level index of one attribute, shape like ``cell``."""
    return groups.cell_levels[cell, attribute]


def group_decline(probability: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Decline probabilities with ``shift`` added to their log-odds (0 and 1 stay put)."""
    with np.errstate(divide="ignore"):
        return expit(logit(probability) + shift)
