"""Interviews, the manager's Gaussian belief and the candidate's impression (MODEL.md 1.5).

Round ``r`` of ``R`` scores ``x_r = q + a * P + b * e_r``: true quality ``q``, the
candidate's interview presence ``P`` (rapport, polish; standard normal, correlation
``c`` with ``q``, the same in every round) and round noise ``e_r``. The presence
share ``s = a**2 / (a**2 + b**2)`` and the validity of one round fix ``a`` and ``b``
(:func:`measurement`). Only the mean score matters, so one presence draw and one
noise draw per candidate give

    x_bar = q + a * P + (b / sqrt(R)) * e,    e ~ N(0, 1).

Presence does not average out over rounds: the validity of the whole process
(``composite_validity``) rises with ``R`` towards ``(1 + a c) / sqrt((1 + a c)**2 +
a**2 (1 - c**2))``, with diminishing returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # the scenario imports this module's maths for its validation
    from simfunnel.model.scenario import Internal, Interview


@dataclass(frozen=True)
class Measurement:
    """How the mean interview score measures quality: ``x_bar = gain * q + noise``.

    Attributes
    ----------
    presence_sd : float
        ``a``: the weight of presence ``P`` in every round's score.
    round_noise_sd : float
        ``b``: the SD of one round's own noise.
    correlation : float
        ``c``: the correlation of presence with true quality.
    rounds : int
    """

    presence_sd: float
    round_noise_sd: float
    correlation: float
    rounds: int

    @property
    def gain(self) -> float:
        """``1 + a c``: the slope of the mean score on true quality."""
        return 1.0 + self.presence_sd * self.correlation

    @property
    def noise_variance(self) -> float:
        """Variance of ``x_bar`` given ``q``: ``a**2 (1 - c**2) + b**2 / R``."""
        a, c = self.presence_sd, self.correlation
        return a * a * (1.0 - c * c) + self.round_noise_sd**2 / self.rounds

    @property
    def precision(self) -> float:
        """Precision of ``x_bar / gain`` as a measurement of ``q`` (inf if noiseless)."""
        variance = self.noise_variance
        return math.inf if variance == 0 else self.gain**2 / variance

    @property
    def composite_validity(self) -> float:
        """``corr(x_bar, q)`` among unselected applicants: the whole process's validity."""
        return self.gain / math.sqrt(self.gain**2 + self.noise_variance)

    def with_rounds(self, rounds: int) -> Measurement:
        """The same rounds' make-up, ``rounds`` of them (for "what would more rounds do")."""
        return Measurement(self.presence_sd, self.round_noise_sd, self.correlation, rounds)


def measurement(interview: Interview) -> Measurement:
    """Solve ``a`` and ``b`` from one round's validity ``rho``, the presence share ``s``
    and the correlation ``c`` (MODEL.md 1.5).

    With ``sigma**2 = a**2 + b**2`` and ``a = sqrt(s) sigma``, ``rho = corr(x_r, q)`` gives
    ``(rho**2 - c**2 s) sigma**2 + 2 c sqrt(s) (rho**2 - 1) sigma + rho**2 - 1 = 0``,
    whose one positive root is taken.

    Raises
    ------
    ValueError
        If no presence weight gives that validity (presence would measure quality
        better than a round does).
    """
    rho, s, c = interview.validity, interview.presence_share, interview.presence_quality_correlation
    quadratic = rho * rho - c * c * s
    if quadratic <= 0:
        raise ValueError(
            f"validity {rho:g} is too low for presence that correlates {c:g} with quality at "
            f"presence share {s:g} (it must exceed {abs(c) * math.sqrt(s):.3f})"
        )
    linear = 2.0 * c * math.sqrt(s) * (rho * rho - 1.0)
    constant = rho * rho - 1.0
    sigma = (-linear + math.sqrt(linear * linear - 4.0 * quadratic * constant)) / (2 * quadratic)
    presence_sd = math.sqrt(s) * sigma
    if 1.0 + presence_sd * c <= 0:
        raise ValueError(
            f"presence correlating {c:g} with quality outweighs quality itself at validity "
            f"{rho:g}; raise interview.validity or lower the presence share"
        )
    return Measurement(presence_sd, math.sqrt(1.0 - s) * sigma, c, interview.rounds)


def presence_trait(quality: np.ndarray, normal: np.ndarray, interview: Interview) -> np.ndarray:
    """Presence ``P = c q + sqrt(1 - c**2) z``: standard normal, correlation ``c`` with ``q``."""
    c = interview.presence_quality_correlation
    return normal if c == 0 else c * quality + math.sqrt(1.0 - c * c) * normal


def interview_score(
    quality: np.ndarray, presence: np.ndarray, noise: np.ndarray, interview: Interview
) -> np.ndarray:
    """Mean interview score ``x_bar``, shape like ``quality``; ``noise`` is N(0, 1)."""
    m = measurement(interview)
    score = quality + m.presence_sd * presence if m.presence_sd else quality
    return score + (m.round_noise_sd / math.sqrt(m.rounds)) * noise if m.round_noise_sd else score


def posterior(
    score: np.ndarray,
    internal_slot: np.ndarray,
    known_observation: np.ndarray,
    interview: Interview,
    internal: Internal,
) -> tuple[np.ndarray, np.ndarray]:
    """The manager's posterior of true quality, N(mean, variance).

    The manager knows how the process measures quality (``x_bar / gain`` is ``q`` plus
    noise of precision ``precision``, presence included). Externals have the prior
    N(0, 1) (deliberately ignoring that screening selected them: managers rarely
    correct for it). The internal (``internal_slot`` True) has the prior
    N(quality_mean, quality_sd**2) plus the manager's own observation
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
    m = measurement(interview)
    precision_x = m.precision
    measured = score / m.gain if m.gain != 1.0 else score
    if math.isinf(precision_x):
        return measured.copy(), np.zeros_like(score)
    prior_precision = np.where(internal_slot, 1.0 / internal.quality_sd**2, 1.0)
    prior_weighted_mean = np.where(
        internal_slot, internal.quality_mean / internal.quality_sd**2, 0.0
    )
    known = np.where(internal_slot, internal.known_precision, 0.0)
    precision = prior_precision + precision_x + known
    weighted = prior_weighted_mean + precision_x * measured
    if internal.known_precision > 0:
        weighted = weighted + known * known_observation
    return weighted / precision, np.broadcast_to(1.0 / precision, score.shape).copy()


def felt_score(score: np.ndarray, noise: np.ndarray, interview: Interview) -> np.ndarray:
    """The candidate's own impression ``f = x_bar + bias + noise_sd * xi``.

    ``x_bar`` includes presence, so a charming candidate feels as good as they
    looked, whatever their true quality.
    """
    assessment = interview.self_assessment
    return score + assessment.bias + assessment.noise * noise
