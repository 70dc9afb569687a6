"""Fit what decides who wins from the application table: validity, presence share, risk aversion.

The method of ``simfunnel fit`` (MODEL.md 7), on the moments of
:mod:`simfunnel.analysis.application_moments` instead of the requisition counts:

1. **Estimate.** Gauss-Newton (damped, inside the prior box) minimises the distance,
   weighted by each moment's variance at the export's size, between the export's
   moments and those of ``replicates`` times as many simulated requisitions, always
   on the same random draws (common random numbers), so finite differences are smooth.
2. **Uncertainty.** A parametric bootstrap: ``draws`` exports of the observed size
   simulated at the estimate, each refitted by one linearised Gauss-Newton step; the
   5-95% of the refits is the 90% interval.
3. **Identification.** As in ``simfunnel fit``: identified when the 90% interval is
   less than half as wide as the prior box.

Every other parameter stays at the scenario's value, so run it on the scenario
``simfunnel fit`` fitted to the same export's requisition table. Interview validity
moves the top-scored interviewee's offer rate (how much the manager trusts scores) and
the correlation of rounds; the presence share moves that correlation (presence is
shared by every round); risk aversion moves the internal's win rate (the internal is
better known, so a risk-averse manager favours them). With a later performance rating
of the hires (from the HRIS), the correlation between their interview verdicts and that
rating adds to validity; it is range-restricted (hires only) and the simulation applies
the same restriction, so it is matched, not corrected. Without round scores only the
internal win rate is left, and only risk aversion can be identified.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from simfunnel.analysis.application_moments import (
    MOMENTS,
    PARAMETERS,
    moments,
    performance_shares,
    simulated_moments,
    verdict_shares,
)
from simfunnel.analysis.outputs.base import Output
from simfunnel.errors import InputError
from simfunnel.model.rng import SeedLike, normalise_seed
from simfunnel.model.scenario import Scenario

IDENTIFIED_RATIO = 0.5  # as simfunnel fit: 90% interval at most half the prior box
# What moves each key (MODEL.md 7): without any of those moments it is not fitted; and
# why it can stay unidentified, in words (benchmarks/README.md gives the sizes).
IDENTIFICATION: dict[str, tuple[tuple[str, ...], str]] = {
    "interview.validity": (
        (
            "top_scored_offered",
            "offer_rate_rank_1",
            "offer_rate_rank_2",
            "score_performance_correlation",
        ),
        "moved by who gets the offer given the scores (and hires' later "
        "ratings): needs round scores, about 100-300 requisitions",
    ),
    "interview.presence_share": (
        ("round_correlation",),
        "moved by the correlation of two rounds' verdicts: needs two or more "
        "scored rounds per interviewee",
    ),
    "manager.risk_aversion": (
        ("internal_win_rate",),
        "moved only by the internal's win rate: needs about 600 requisitions "
        "with internals interviewed",
    ),
}
MOVED_BY = {key: moments for key, (moments, _) in IDENTIFICATION.items()}
WHY = {key: why for key, (_, why) in IDENTIFICATION.items()}
ESTIMATE_STREAM, WEIGHT_STREAM, BOOTSTRAP_STREAM = 110, 111, 112


def _set(scenario: Scenario, keys: Sequence[str], theta: np.ndarray) -> Scenario:
    values = {k: float(v) for k, v in zip(keys, theta, strict=True)}
    return scenario.with_overrides({**values, "name": scenario.name})


def _vector(values: dict[str, float], names: Sequence[str]) -> np.ndarray:
    return np.array([values[n] for n in names], dtype=float)


class ApplicationFit(Output):
    """Estimates of validity, presence share and risk aversion from an application table.

    Table: ``parameter, prior, low, high, estimate, q05, q95, width_ratio, identified,
    why`` (for a key not identified, what would identify it).
    """

    chart = ""


def fit_application_parameters(
    table: pd.DataFrame,
    scenario: Scenario,
    keys: Sequence[str] = tuple(PARAMETERS),
    *,
    seed: SeedLike = 1,
    replicates: int = 20,
    draws: int = 100,
    iterations: int = 8,
    requisitions: int | None = None,
    step_share: float = 0.08,
    refit_steps: int = 1,
) -> ApplicationFit:
    """Fit ``keys`` (of :data:`~simfunnel.analysis.application_moments.PARAMETERS`) to the
    moments of an application table (see the module).

    Parameters
    ----------
    table : the normalised application table (``sf.read_applications(...).applications``).
    scenario : everything else (the scenario ``simfunnel fit`` fitted to the counts).
    requisitions : the export's size (default: the requisitions in ``table``; give it
        when the table holds interviewees only).
    refit_steps : Gauss-Newton steps of each bootstrap refit (1: the linearised refit).
    step_share : finite-difference step, as a share of each prior box. Offers change
        discretely with the parameters, so on common random numbers small steps give
        noisy, too steep slopes and too narrow intervals: with 0.02 the estimates' errors
        were 1.4 times what the intervals implied, with 0.08 about 1.05 times
        (12 exports of 300 requisitions; benchmarks/README.md).
    """
    unknown = [k for k in keys if k not in PARAMETERS]
    if unknown:
        raise InputError(
            f"{unknown[0]}: not fitted from applications; choose from {', '.join(PARAMETERS)}"
        )
    seed = normalise_seed(seed)
    observed = moments(table)
    names = [n for n in MOMENTS if np.isfinite(observed[n])]
    if not names:
        raise InputError(
            "the application table has no interview scores and no internals: "
            "nothing to fit validity, presence or risk aversion to"
        )
    # A key is fitted only when a moment that moves it is in the export: with fewer
    # moments than keys the refits would be minimum-norm and look falsely precise.
    requested = list(keys)
    keys = [k for k in requested if any(np.isfinite(observed[m]) for m in MOVED_BY[k])]
    if not keys:
        raise InputError(
            "the application table has no moment that moves "
            + ", ".join(requested)
            + " (no round scores, no internals interviewed)"
        )
    shares = verdict_shares(table)
    rated = performance_shares(table)
    size = requisitions or int(table["requisition_id"].nunique())
    big = max(size * replicates, 4000)
    box = np.array([PARAMETERS[k] for k in keys], dtype=float)
    width = box[:, 1] - box[:, 0]
    crn = np.random.SeedSequence(seed.entropy, spawn_key=(ESTIMATE_STREAM,))

    def model_moments(theta: np.ndarray, openings: int = big, at=crn) -> np.ndarray:
        scenario_at = _set(scenario, keys, theta)
        return _vector(simulated_moments(scenario_at, openings, at, shares, rated), names)

    # Weights: each moment's variance at the export's size, at the starting values.
    theta = np.array([_get(scenario, k) for k in keys], dtype=float)
    spread = np.array(
        [
            model_moments(
                theta, size, np.random.SeedSequence(seed.entropy, spawn_key=(WEIGHT_STREAM, i))
            )
            for i in range(12)
        ]
    )
    variance = np.nanvar(spread, axis=0, ddof=1)
    keep = np.isfinite(variance) & (variance > 0)
    names = [n for n, k in zip(names, keep, strict=True) if k]
    weight = 1.0 / variance[keep]
    target = _vector(observed, names)
    step = step_share * width
    damping = 1e-3
    current = model_moments(theta)
    for _ in range(iterations):
        jacobian = _jacobian(model_moments, theta, current, step, box)
        gradient = jacobian.T @ (weight * (target - current))
        hessian = jacobian.T @ (weight[:, None] * jacobian)
        for _attempt in range(6):
            move = np.linalg.solve(hessian + damping * np.diag(np.diag(hessian) + 1e-12), gradient)
            proposal = np.clip(theta + move, box[:, 0], box[:, 1])
            proposed = model_moments(proposal)
            if np.nansum(weight * (target - proposed) ** 2) <= np.nansum(
                weight * (target - current) ** 2
            ):
                theta, current, damping = proposal, proposed, damping / 3
                break
            damping *= 10
        else:
            break
        if np.all(np.abs(move) < 1e-3 * width):
            break
    jacobian = _jacobian(model_moments, theta, current, step, box)
    hessian = jacobian.T @ (weight[:, None] * jacobian)
    refits = []
    for i in range(draws):
        at = np.random.SeedSequence(seed.entropy, spawn_key=(BOOTSTRAP_STREAM, i))
        simulated = model_moments(theta, size, at)
        ok = np.isfinite(simulated)
        h = jacobian[ok].T @ (weight[ok, None] * jacobian[ok]) + 1e-9 * np.eye(len(keys))
        refit, fitted = theta, current
        for _step in range(refit_steps):
            g = jacobian[ok].T @ (weight[ok] * (simulated[ok] - fitted[ok]))
            try:
                delta = np.linalg.lstsq(h, g, rcond=None)[0]
            except np.linalg.LinAlgError:
                break
            refit = np.clip(refit + delta, box[:, 0], box[:, 1])
            if _step + 1 < refit_steps:
                fitted = model_moments(refit)
        refits.append(refit)
    refits = np.array(refits)
    q05, q95 = np.quantile(refits, [0.05, 0.95], axis=0)
    rows = []
    for j, key in enumerate(keys):
        ratio = float((q95[j] - q05[j]) / width[j])
        rows.append(
            {
                "parameter": key,
                "prior": _get(scenario, key),
                "low": box[j, 0],
                "high": box[j, 1],
                "estimate": float(theta[j]),
                "q05": float(q05[j]),
                "q95": float(q95[j]),
                "width_ratio": ratio,
                "identified": ratio < IDENTIFIED_RATIO,
                "why": "" if ratio < IDENTIFIED_RATIO else WHY[key],
            }
        )
    for key in requested:
        if key not in keys:
            low, high = PARAMETERS[key]
            rows.append(
                {
                    "parameter": key,
                    "prior": _get(scenario, key),
                    "low": low,
                    "high": high,
                    "estimate": np.nan,
                    "q05": low,
                    "q95": high,
                    "width_ratio": 1.0,
                    "identified": False,
                    "why": "not fitted: this export has none of "
                    + ", ".join(MOVED_BY[key])
                    + "; "
                    + WHY[key],
                }
            )
    frame = pd.DataFrame(rows)
    identified = list(frame.loc[frame["identified"], "parameter"])
    finding = (
        f"{len(identified)} of {len(requested)} identified by {size:,} requisitions' applications"
        + (f": {', '.join(identified)}" if identified else "")
    )
    left = frame[~frame["identified"]]
    if len(left):
        finding += "; not identified: " + "; ".join(
            f"{r.parameter} ({r.why})" for r in left.itertuples()
        )
    note = (
        f"moments: {', '.join(names)}; {big:,} simulated requisitions per evaluation; "
        f"{len(refits)} bootstrap refits; other parameters at the scenario's values"
    )
    out = ApplicationFit(frame, finding, note)
    out.refits = refits
    out.moments = names
    return out


def _jacobian(function, theta, current, step, box) -> np.ndarray:
    columns = []
    for j in range(len(theta)):
        shifted = theta.copy()
        # Step inward at the box's upper edge.
        sign = -1.0 if theta[j] + step[j] > box[j, 1] else 1.0
        shifted[j] += sign * step[j]
        columns.append((function(shifted) - current) / (sign * step[j]))
    return np.nan_to_num(np.array(columns).T)


def _get(scenario: Scenario, key: str) -> float:
    value = scenario
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)
