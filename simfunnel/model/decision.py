"""The manager's decision: value of a hire, risk-adjusted score, offers (MODEL.md 1.6, 1.8).

The decision is a pure function of signals, draws and parameters, so a
counterfactual (a mechanism removed) is the same call with other parameters on
the same draws.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, fields, replace

import numpy as np
from scipy.special import expit  # SciPy's own, not NumPy's SIMD exp

from simfunnel.model.scenario import Manager, Offers


class Mechanism(enum.IntFlag):
    """The mechanisms that can cost a good interview its offer (MODEL.md section 3).

    Removed in a replay of the decision on the same draws; a combination is a set of
    flags (``Mechanism.SAFER_CANDIDATE | Mechanism.CULTURE_MIRROR``), and as an int it
    indexes the 128 replays. The order is the sequential attribution's order.
    """

    ROLE_CANCELLED = 1
    ROLE_PAUSED = 2
    INTERNAL_CANDIDATE = 4
    SAFER_CANDIDATE = 8
    CULTURE_MIRROR = 16
    NICHE_FIT = 32
    ALIGNED_EXPERIENCE = 64

    @property
    def reason(self) -> str:
        """The loss-reason name of a single mechanism, e.g. ``"safer_candidate"``."""
        return str(self.name).lower()


ALL_MECHANISMS = Mechanism(sum(Mechanism))
MECHANISMS: tuple[str, ...] = tuple(m.reason for m in Mechanism)
MANAGER_MECHANISMS = (
    Mechanism.SAFER_CANDIDATE
    | Mechanism.CULTURE_MIRROR
    | Mechanism.NICHE_FIT
    | Mechanism.ALIGNED_EXPERIENCE
)
"""The mechanisms that change the manager's score (the others change who is eligible)."""


def decline_probability_of(quality: np.ndarray, offers: Offers) -> np.ndarray:
    """An external's chance of declining: ``logit p = logit p0 + slope * q`` (MODEL.md 1.8).

    Better candidates hold competing offers (Murphy 1986); ``p0`` is the chance for
    an applicant of average quality, ``slope`` 0 makes it the same for everyone.
    """
    p0 = offers.decline_probability
    if offers.decline_quality_slope == 0 or p0 == 0:
        return np.full(quality.shape, p0)
    return expit(math.log(p0 / (1.0 - p0)) + offers.decline_quality_slope * quality)


@dataclass(frozen=True)
class Signals:
    """What the manager sees of each interviewee; arrays shape (openings, slots)."""

    posterior_mean: np.ndarray
    posterior_variance: np.ndarray
    alignment: np.ndarray
    culture: np.ndarray
    narrative: np.ndarray
    niche: np.ndarray


@dataclass(frozen=True)
class Weights:
    """The parts of the manager's score that attribution can switch off."""

    risk_aversion: float
    affinity_weight: float
    narrative_weight: float
    niche_value: float
    onboarding_cost: float
    transfer_risk: float

    @classmethod
    def from_manager(cls, manager: Manager) -> Weights:
        return cls(
            manager.risk_aversion,
            manager.affinity_weight,
            manager.narrative_weight,
            manager.niche_value,
            manager.onboarding_cost,
            manager.transfer_risk,
        )

    def without(self, removed: Mechanism) -> Weights:
        """These weights with the manager's mechanisms in ``removed`` switched off."""
        changes: dict[str, float] = {}
        if Mechanism.SAFER_CANDIDATE in removed:
            changes["risk_aversion"] = 0.0
        if Mechanism.CULTURE_MIRROR in removed:
            changes["affinity_weight"] = 0.0
        if Mechanism.NICHE_FIT in removed:
            changes.update(niche_value=0.0, narrative_weight=0.0)
        if Mechanism.ALIGNED_EXPERIENCE in removed:
            changes.update(onboarding_cost=0.0, transfer_risk=0.0)
        return replace(self, **changes)


@dataclass(frozen=True)
class ScoreTerms:
    """The parts of the manager's score ``U``; a switched-off part is the scalar 0.0.

    Adding an exact 0.0 changes nothing, so a counterfactual assembled from these
    parts equals, bit for bit, the score computed with that weight set to zero.
    """

    expected_value: np.ndarray  # mu_q - onboarding_cost * (1 - a)
    posterior_mean: np.ndarray  # mu_q: the expected value without the onboarding cost
    niche: np.ndarray | float  # niche_value * m
    culture: np.ndarray | float  # affinity_weight * (c - 1/2): a bias, not value
    risk: np.ndarray | float  # risk_aversion * perceived SD

    def total(self) -> np.ndarray:
        return self.expected_value + self.niche + self.culture - self.risk


def perceived_risk(signals: Signals, weights: Weights) -> np.ndarray | float:
    """``risk_aversion * sqrt(v_q + t^2 (1 - a)(1 - narrative_weight * r))``.

    A clean narrative lowers the *perceived* transfer risk, not the real one.
    """
    if not weights.risk_aversion:
        return 0.0
    perceived_variance = signals.posterior_variance + weights.transfer_risk**2 * (
        1.0 - signals.alignment
    ) * (1.0 - weights.narrative_weight * signals.narrative)
    return weights.risk_aversion * np.sqrt(perceived_variance)


def score_terms(signals: Signals, weights: Weights) -> ScoreTerms:
    """The terms of ``U`` for these weights."""
    return ScoreTerms(
        expected_value=signals.posterior_mean - weights.onboarding_cost * (1.0 - signals.alignment),
        posterior_mean=signals.posterior_mean,
        niche=weights.niche_value * signals.niche if weights.niche_value else 0.0,
        culture=weights.affinity_weight * (signals.culture - 0.5)
        if weights.affinity_weight
        else 0.0,
        risk=perceived_risk(signals, weights),
    )


def risk_adjusted_score(signals: Signals, weights: Weights) -> np.ndarray:
    """``U``: expected value + culture-mirror bias - risk aversion * perceived SD."""
    return score_terms(signals, weights).total()


def realised_value(
    quality: np.ndarray,
    alignment: np.ndarray,
    niche: np.ndarray,
    transfer_noise: np.ndarray,
    manager: Manager,
) -> np.ndarray:
    """``V = q + niche_value*m - onboarding_cost*(1-a) + tau``, ``tau ~ N(0, t^2 (1-a))``."""
    misalignment = 1.0 - alignment
    return (
        quality
        + manager.niche_value * niche
        - manager.onboarding_cost * misalignment
        + manager.transfer_risk * np.sqrt(misalignment) * transfer_noise
    )


def make_offers(
    score: np.ndarray,
    eligible: np.ndarray,
    declines: np.ndarray,
    positions: np.ndarray,
    max_offers: int,
    hiring_bar: float | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Offers in order of ``score`` until ``positions`` are accepted or offers run out.

    Parameters
    ----------
    score : ndarray, shape (openings, slots)
        Risk-adjusted score ``U``.
    eligible : ndarray of bool, shape (openings, slots)
        Interviewed, and not removed by a counterfactual.
    declines : ndarray of bool, shape (openings, slots)
        Whether each candidate would decline an offer (a pre-drawn coin).
    positions : ndarray of int, shape (openings,)
    max_offers : int
        Most offers per opening, declines included.
    hiring_bar : float or None
        Nobody with ``U`` below it gets an offer.

    Returns
    -------
    offer, hired : ndarrays of bool, shape (openings, slots)
    """
    # Slot-major (slots, openings) copies: reductions over the slot axis then run
    # over contiguous rows, far faster in NumPy than row-wise argmax over a few slots.
    open_score = np.where(eligible, score, -np.inf).T.copy()
    if hiring_bar is not None:
        open_score[open_score < hiring_bar] = -np.inf
    could_be_offered = open_score > -np.inf
    will_accept = ~declines.T
    accepted = np.zeros(open_score.shape[1], dtype=np.int64)
    # Each offer sets the candidate's open score to -inf; openings are dropped from
    # the working copy once most are decided (written back before each drop).
    all_openings, columns = open_score, None
    # A loop over offer rounds (at most max_offers), not over openings. Exact ties
    # in U between eligible candidates have probability zero.
    for _ in range(max_offers):
        best_score = open_score.max(axis=0)
        active = (best_score > -np.inf) & (accepted < positions)
        deciding = np.count_nonzero(active)
        if not deciding:
            break
        if deciding < active.size // 2:
            keep = np.flatnonzero(active)
            if columns is not None:
                all_openings[:, columns] = open_score
            columns = keep if columns is None else columns[keep]
            open_score = all_openings[:, columns]
            best_score, accepted, positions = best_score[keep], accepted[keep], positions[keep]
            will_accept = will_accept[:, keep]
            active = np.ones(keep.size, dtype=bool)
        chosen = (open_score == best_score) & active
        accepted += (chosen & will_accept).sum(axis=0)
        np.copyto(open_score, -np.inf, where=chosen)
    if columns is not None:
        all_openings[:, columns] = open_score
    offer = could_be_offered & (all_openings == -np.inf)
    return offer.T, offer.T & ~declines


@dataclass(frozen=True)
class ScoreParts:
    """``U``'s terms, computed once, and the risk term without the narrative's effect
    (niche fit removed) and without the transfer risk (aligned experience removed)."""

    terms: ScoreTerms
    plain_risk: np.ndarray | float
    posterior_risk: np.ndarray | float

    def score(self, removed: Mechanism | int) -> np.ndarray:
        """``U`` with the manager's mechanisms in ``removed`` switched off.

        A switched-off term is an exact 0.0, and without aligned experience the
        expected value is the posterior mean itself (``mu - 0.0 * (1 - a)`` is ``mu``
        bit for bit), so this equals the score computed with
        ``Weights.without(removed)``, bit for bit.
        """
        removed = Mechanism(removed)
        terms, niche_removed = self.terms, Mechanism.NICHE_FIT in removed
        aligned_removed = Mechanism.ALIGNED_EXPERIENCE in removed
        if Mechanism.SAFER_CANDIDATE in removed:
            risk = 0.0
        elif aligned_removed:
            risk = self.posterior_risk
        else:
            risk = self.plain_risk if niche_removed else terms.risk
        return ScoreTerms(
            terms.posterior_mean if aligned_removed else terms.expected_value,
            terms.posterior_mean,
            0.0 if niche_removed else terms.niche,
            0.0 if Mechanism.CULTURE_MIRROR in removed else terms.culture,
            risk,
        ).total()


@dataclass(frozen=True)
class Decision:
    """Everything the decision needs, arrays shape (openings, slots) unless noted."""

    signals: Signals
    weights: Weights
    interviewed: np.ndarray
    internal_slot: np.ndarray
    declines: np.ndarray
    available: np.ndarray  # still in the race at the decision
    available_unpaused: np.ndarray  # ... had the role not been paused
    positions: np.ndarray  # (openings,)
    cancelled_after: np.ndarray  # (openings,)
    max_offers: int
    hiring_bar: float | None
    kernel: str = "numba"  # the offer loop: compiled (simfunnel.model.kernel) or "numpy"

    def take(self, rows: np.ndarray) -> Decision:
        """The decision of the openings ``rows`` only."""
        signals = Signals(*(getattr(self.signals, f.name)[rows] for f in fields(Signals)))
        return replace(
            self,
            signals=signals,
            interviewed=self.interviewed[rows],
            declines=self.declines[rows],
            available=self.available[rows],
            available_unpaused=self.available_unpaused[rows],
            positions=self.positions[rows],
            cancelled_after=self.cancelled_after[rows],
        )

    def score_parts(self) -> ScoreParts:
        """The terms of ``U`` from which every counterfactual score is assembled."""
        return ScoreParts(
            score_terms(self.signals, self.weights),
            # Removing niche fit also removes the narrative's effect on perceived risk.
            perceived_risk(self.signals, replace(self.weights, narrative_weight=0.0)),
            # Removing aligned experience removes the transfer risk it carries.
            perceived_risk(self.signals, replace(self.weights, transfer_risk=0.0)),
        )

    def score(self, removed: Mechanism | int) -> np.ndarray:
        """Risk-adjusted score ``U`` with the mechanisms in ``removed`` switched off."""
        return self.score_parts().score(removed)

    def offers(self, score: np.ndarray, removed: Mechanism | int) -> tuple[np.ndarray, np.ndarray]:
        """Offers and hires given ``score``, with the internal and cancellation per ``removed``."""
        offer, hired, _ = self.offers_and_rounds(score, removed)
        return offer, hired

    def offers_and_rounds(
        self, score: np.ndarray, removed: Mechanism | int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """:meth:`offers` and, from the compiled kernel, each offer's round (else None)."""
        removed = Mechanism(removed)
        available = self.available_unpaused if Mechanism.ROLE_PAUSED in removed else self.available
        eligible = self.interviewed & available
        if Mechanism.INTERNAL_CANDIDATE in removed:
            eligible = eligible & ~self.internal_slot
        if self.kernel == "numba":
            from simfunnel.model import kernel  # numba's import is paid when first used

            voided = None if Mechanism.ROLE_CANCELLED in removed else self.cancelled_after
            return kernel.make_offers(
                score,
                eligible,
                self.declines,
                self.positions,
                self.max_offers,
                self.hiring_bar,
                voided,
            )
        offer, hired = make_offers(
            score, eligible, self.declines, self.positions, self.max_offers, self.hiring_bar
        )
        if Mechanism.ROLE_CANCELLED not in removed:
            voided = self.cancelled_after[:, None]
            offer, hired = offer & ~voided, hired & ~voided
        return offer, hired, None

    def replay(self, removed: Mechanism | int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Offers, hires and scores with the mechanisms in ``removed`` switched off.

        ``replay(Mechanism(0))`` is the actual decision.
        """
        score = self.score(removed)
        return (*self.offers(score, removed), score)
