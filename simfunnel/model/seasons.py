"""The season of an opening: which posting weeks and which quarters it runs through.

Pure functions of the role's calendar keys (month weights, quarter multipliers,
process length), with no scenario import, so both the schema (is the configured
cancellation rate reachable at all?) and the calendar (which solves the weekly
hazard) can use them without importing each other. MODEL.md 1.7.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

WEEKS_PER_YEAR = 52


def month_of_week(week: np.ndarray) -> np.ndarray:
    """Month 0..11 of week 0..51 (weeks spread evenly over the months)."""
    return np.minimum(np.asarray(week) * 12 // WEEKS_PER_YEAR, 11)


def quarter_of_week(week: np.ndarray) -> np.ndarray:
    """Quarter 0..3 of any week count; weeks wrap into the next year."""
    return (np.asarray(week) % WEEKS_PER_YEAR) // 13


def posting_week_probability(month_weights: Sequence[float] | None) -> np.ndarray:
    """Probability of each posting week, shape (52,); ``None`` = every week alike."""
    if month_weights is None:
        return np.full(WEEKS_PER_YEAR, 1 / WEEKS_PER_YEAR)
    month = month_of_week(np.arange(WEEKS_PER_YEAR))
    weights = np.asarray(month_weights, dtype=float)
    probability = weights[month] / np.bincount(month, minlength=12)[month]
    return probability / probability.sum()


def unit_cumulative_hazard(quarter_multipliers: Sequence[float], high: int) -> np.ndarray:
    """Cumulative hazard at a base hazard of 1 per week, shape (52 + high + 1,).

    The multipliers are scaled to mean 1; entry ``i`` sums weeks ``0..i-1``.
    """
    multipliers = np.asarray(quarter_multipliers, dtype=float)
    multipliers = multipliers / multipliers.mean()
    horizon = np.arange(WEEKS_PER_YEAR + high)
    return np.concatenate([[0.0], np.cumsum(multipliers[quarter_of_week(horizon)])])


def exposure(
    quarter_multipliers: Sequence[float], low: int, high: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unit exposure ``G(w0, T) = H(w0 + T) - H(w0)`` and the process lengths.

    Returns
    -------
    exposure : ndarray, shape (52, high - low + 1)
        Per posting week ``w0`` and process length ``T`` in ``low..high``.
    lengths : ndarray, shape (high - low + 1,)
    """
    weeks = np.arange(WEEKS_PER_YEAR)
    cumulative = unit_cumulative_hazard(quarter_multipliers, high)
    lengths = np.arange(low, high + 1)
    return cumulative[weeks[:, None] + lengths] - cumulative[weeks][:, None], lengths


def reachable_cancel_share(
    month_weights: Sequence[float] | None,
    quarter_multipliers: Sequence[float],
    low: int,
    high: int,
) -> float:
    """Share of openings that run through at least one week with a non-zero hazard.

    No base hazard, however large, cancels more openings than this: a configured
    cancellation probability at or above it cannot be reached.
    """
    unit_exposure, lengths = exposure(quarter_multipliers, low, high)
    weight = posting_week_probability(month_weights)[:, None] / len(lengths)
    return float(np.sum(weight * (unit_exposure > 0)))
