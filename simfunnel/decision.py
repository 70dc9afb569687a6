"""The manager's decision: value of a hire, risk-adjusted score, offers (MODEL.md 1.6, 1.8).

The decision is a pure function of signals, draws and parameters, so a
counterfactual (a mechanism removed) is the same call with other parameters on
the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from simfunnel.scenario import Manager


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

    def without(self, *mechanisms: str) -> Weights:
        """These weights with the named mechanisms removed (MODEL.md section 3)."""
        changes: dict[str, float] = {}
        if "safer_candidate" in mechanisms:
            changes["risk_aversion"] = 0.0
        if "culture_mirror" in mechanisms:
            changes["affinity_weight"] = 0.0
        if "niche_fit" in mechanisms:
            changes.update(niche_value=0.0, narrative_weight=0.0)
        return replace(self, **changes)


@dataclass(frozen=True)
class ScoreTerms:
    """The parts of the manager's score ``U``; a switched-off part is the scalar 0.0.

    Adding an exact 0.0 changes nothing, so a counterfactual assembled from these
    parts equals, bit for bit, the score computed with that weight set to zero.
    """

    expected_value: np.ndarray  # mu_q - onboarding_cost * (1 - a)
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
