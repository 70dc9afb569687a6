"""``simfunnel you``: one focal candidate's chances, why they lose, and their job search.

A focal applicant of a given true-quality percentile applies to every simulated
opening. Their other traits are drawn from the applicant copula given their
quality (or fixed: ``alignment``, ``niche``). We keep the openings where they
were shortlisted and interviewed (exact conditioning by rejection), optionally
also where they felt great, and report:

- P(offer) per interview, with a binomial 95% CI (openings are independent);
- why they lost, with the same counterfactual attribution as the summary;
- P(at least one offer within 1..N interviews) and the median number of
  interviews to a first offer, by simulating job searches that resample those
  openings; the CI adds the sampling error of the kept openings (by bootstrap)
  to that of the searches. Openings are independent employers, except for hiring freezes:
  with ``role.freeze_correlation = rho`` the openings of one search (assumed to
  fall in one quarter) share one freeze shock (a common-shock copula that keeps
  each opening's own cancellation probability);
- the same with "staying visible": a runner-up (best interviewee without an
  offer) is re-approached for a later opening with probability
  ``pipeline.recontact_probability`` (an assumption: no published rate), and
  competes there like any interviewee.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expm1, ndtr, ndtri

from simfunnel.analysis.options import YOU_OPENINGS, ParameterError
from simfunnel.analysis.run import reference_thresholds
from simfunnel.analysis.summary import Z_95
from simfunnel.errors import InputError
from simfunnel.model import calendar as cal
from simfunnel.model import linalg
from simfunnel.model.attribution import MECHANISMS, NO_REASON, REASONS, attribute
from simfunnel.model.decision import Mechanism
from simfunnel.model.engine import Focal, Model, draw_blocks, simulate_funnel
from simfunnel.model.population import ALIGNMENT, N_LATENT, NICHE, QUALITY, Screen
from simfunnel.model.rng import (
    BLOCK_OPENINGS,
    FOCAL_CANDIDATE,
    FOCAL_OPENINGS,
    FOCAL_SEARCH,
    SCENARIO_SEED,
    Seed,
    SeedLike,
    resolve_seed,
)
from simfunnel.model.scenario import Scenario
from simfunnel.model.uncertainty import refuse_uncertain

SEARCHES = 20_000
MAX_SIMULATED_PER_INTERVIEW = 400  # rejection cap: openings simulated per kept one
# Kept openings: 50x the default. Each is found among ~10-30 simulated openings and
# its rows are kept in memory, so 10^6 is already ~3 x 10^7 simulated, minutes of work.
MAX_YOU_OPENINGS = 1_000_000
TYPICAL_SIMULATED_PER_KEPT = 30


def focal_latent(
    screen: Screen,
    correlation: np.ndarray,
    quality: float,
    alignment: float | None,
    niche: bool | None,
    normals: np.ndarray,
    niche_uniform: np.ndarray,
) -> np.ndarray:
    """Latent vectors of the focal applicant, shape (openings, 5).

    Quality (and alignment, if given) are fixed; the niche latent is drawn from
    its conditional given those (truncated to the requested side of the niche cut
    when ``niche`` is given), then the rest from their conditional given all fixed
    and drawn values. Sequential conditioning of a Gaussian: exact.
    """
    openings = normals.shape[0]
    latent = np.zeros((openings, N_LATENT))
    latent[:, QUALITY] = quality
    known = [QUALITY]
    if alignment is not None:
        latent[:, ALIGNMENT] = ndtri(alignment)
        known.append(ALIGNMENT)

    def conditional(target: list[int], given: list[int]) -> tuple[np.ndarray, np.ndarray]:
        # gain = C_tg C_gg^-1, by a Cholesky solve (unique; the same bits on every CPU).
        gain = linalg.solve_spd(
            correlation[np.ix_(given, given)], correlation[np.ix_(given, target)]
        ).T
        covariance = correlation[np.ix_(target, target)] - linalg.matmul(
            gain, correlation[np.ix_(given, target)]
        )
        return linalg.transform(latent[:, given], gain), covariance

    mean, covariance = conditional([NICHE], known)
    sd = math.sqrt(max(covariance[0, 0], 0.0))
    if niche is None or sd == 0:
        latent[:, NICHE] = mean[:, 0] + sd * normals[:, NICHE]
    else:
        cut = ndtr((screen.niche_cut - mean[:, 0]) / sd)
        low, high = (cut, 1.0) if niche else (0.0, cut)
        u = low + (high - low) * niche_uniform
        latent[:, NICHE] = mean[:, 0] + sd * ndtri(np.clip(u, 1e-300, 1 - 1e-16))
    known.append(NICHE)
    rest = [i for i in range(N_LATENT) if i not in known]
    mean, covariance = conditional(rest, known)
    latent[:, rest] = mean + linalg.transform(normals[:, rest], linalg.cholesky(covariance))
    return latent


@dataclass
class YouResult:
    """What ``simfunnel you`` reports. Rates are shares with 95% CIs."""

    scenario: Scenario
    percentile: float
    quality: float
    interviews: int
    openings: int  # openings where the focal interviewed (kept)
    simulated: int  # openings simulated to find them
    offer: tuple[float, float, float]
    loss_reasons: pd.DataFrame
    job_search: pd.DataFrame
    median_interviews: dict[str, float | None]
    better_than: float  # mean share of the others on the slate who are truly worse
    metadata: dict = field(default_factory=dict)

    @property
    def shortlist_rate(self) -> float:
        """Share of applications (openings applied to) that end in an interview."""
        return self.openings / self.simulated

    def applications_for(self, target: float = 0.8) -> tuple[int, int, bool]:
        """Interviews and applications for a ``target`` chance of at least one offer.

        From the job-search table when it reaches ``target`` within its interviews
        (freezes shared as simulated), else from independent interviews,
        ``ceil(log(1 - target) / log(1 - p))``. Applications are interviews divided by
        the share of applications that end in an interview. Returns (interviews,
        applications, whether the table reached it).
        """
        reached = self.job_search[self.job_search["p_any_offer"] >= target]
        if len(reached):
            interviews, simulated = int(reached["interviews"].iloc[0]), True
        else:
            p = self.offer[0]
            if p <= 0:
                return 0, 0, False
            interviews = math.ceil(math.log(1 - target) / math.log(1 - p)) if p < 1 else 1
            simulated = False
        return interviews, math.ceil(interviews / self.shortlist_rate), simulated


def you(
    scenario: Scenario,
    quality_percentile: float,
    *,
    alignment: float | None = None,
    niche: bool | None = None,
    felt_great: bool = False,
    interviews: int = 10,
    openings: int = YOU_OPENINGS,
    seed: SeedLike = SCENARIO_SEED,
    searches: int = SEARCHES,
) -> YouResult:
    """A focal candidate's P(offer), why they lose, and their job search.

    Parameters
    ----------
    quality_percentile : float in (0, 100)
        The candidate's true quality as a percentile among applicants.
    alignment : float in (0, 1), optional
        Fix their alignment (how directly their experience maps to the role).
    niche : bool, optional
        Fix whether they have the niche experience (default: as in the population).
    felt_great : bool
        Condition on them feeling the interview went great.
    interviews : int
        Longest job search to report (P(at least one offer within 1..N)).
    openings : int
        Openings in which they interview (found by rejection from at most
        ``400 * openings`` simulated ones).
    """
    refuse_uncertain(scenario, "you")
    _check_focal(scenario, quality_percentile, alignment, niche, interviews)
    _check_openings(openings)
    seed = resolve_seed(seed, scenario.seed)
    quality = float(ndtri(quality_percentile / 100))
    kept, simulated = _kept_openings(
        scenario, seed, quality, alignment, niche, felt_great, openings
    )
    if not kept:
        raise InputError(
            f"a candidate at the {quality_percentile}th percentile was never shortlisted"
            + (" and felt great" if felt_great else "")
            + f" in {simulated:,} openings; try a higher percentile"
        )
    outcomes = {name: np.concatenate([k[name] for k in kept]) for name in kept[0]}
    n = len(outcomes["offer"])
    p = float(outcomes["offer"].mean())
    half = Z_95 * math.sqrt(p * (1 - p) / n)
    search_rng = seed.stream(FOCAL_SEARCH)
    job_search, medians = _job_search(
        outcomes,
        interviews,
        searches,
        scenario.role.freeze_correlation,
        scenario.pipeline.recontact_probability,
        search_rng,
        seed.stream(FOCAL_SEARCH, 1),
    )
    job_search.insert(0, "percentile", quality_percentile)
    return YouResult(
        scenario=scenario,
        percentile=quality_percentile,
        quality=quality,
        interviews=interviews,
        openings=n,
        simulated=simulated,
        offer=(p, p - half, p + half),
        loss_reasons=_loss_table(outcomes),
        job_search=job_search,
        median_interviews=medians,
        better_than=float(outcomes["better_than"].mean()),
        metadata={
            "seed": seed.entropy,
            "felt_great": felt_great,
            "alignment": alignment,
            "niche": niche,
        },
    )


LEVER_ALIGNMENTS = (0.2, 0.5, 0.9)
"""Alignment of a career changer, a typical and a directly aligned candidate (assumption)."""
LEVER_OPENINGS = 2_000


def levers(
    scenario: Scenario,
    quality_percentile: float,
    *,
    openings: int = LEVER_OPENINGS,
    seed: SeedLike = SCENARIO_SEED,
) -> pd.DataFrame:
    """What a candidate of this quality can change: P(offer) per interview and per
    application with each of their own traits set, the rest drawn as in the population.

    Alignment at :data:`LEVER_ALIGNMENTS` and the niche experience with and without,
    each from ``openings`` interviews on the same seed (common random numbers: the
    differences are the traits', not the draws'). The narrative is not a lever here:
    the focal candidate's narrative is drawn from the population given their quality.

    Returns
    -------
    DataFrame
        trait, value, label, p_offer, ci_low, ci_high, per_application (the chance that
        one application ends in an offer), sorted as listed; ``attrs["most"]`` names the
        trait whose range moves ``p_offer`` most.
    """
    variants = [("alignment", a, f"alignment {a:g}", {"alignment": a}) for a in LEVER_ALIGNMENTS]
    share = scenario.applicants.niche_share
    if 0 < share < 1:
        variants += [
            ("niche", 0.0, "without the niche experience", {"niche": False}),
            ("niche", 1.0, "with the niche experience", {"niche": True}),
        ]
    rows = []
    for trait, value, label, fixed in variants:
        result = you(
            scenario, quality_percentile, interviews=1, openings=openings, seed=seed, **fixed
        )
        p, low, high = result.offer
        rows.append((trait, value, label, p, low, high, p * result.shortlist_rate))
    columns = ["trait", "value", "label", "p_offer", "ci_low", "ci_high", "per_application"]
    table = pd.DataFrame(rows, columns=columns)
    spread = table.groupby("trait", sort=False)["p_offer"].agg(lambda v: v.max() - v.min())
    table.attrs.update(most=str(spread.idxmax()), openings=openings)
    return table


def _kept_openings(
    scenario: Scenario,
    seed: Seed,
    quality: float,
    alignment: float | None,
    niche: bool | None,
    felt_great: bool,
    openings: int,
) -> tuple[list[dict[str, np.ndarray]], int]:
    """The focal candidate's outcomes in the first ``openings`` openings where they were
    shortlisted and interviewed (and felt great, if asked): exact conditioning by
    rejection, from at most ``MAX_SIMULATED_PER_INTERVIEW * openings`` simulated ones.

    Returns the outcomes, batch by batch, and the number of openings simulated.
    """
    model = Model.build(scenario)
    thresholds = reference_thresholds(model)
    kept: list[dict[str, np.ndarray]] = []
    found = simulated = block = 0
    cap = MAX_SIMULATED_PER_INTERVIEW * openings
    while found < openings and simulated < cap:
        blocks = 10
        draws = draw_blocks(scenario, seed, FOCAL_OPENINGS, block, blocks)
        focal_rng = seed.stream(FOCAL_CANDIDATE, block)
        rows = blocks * BLOCK_OPENINGS
        latent = focal_latent(
            model.screen,
            scenario.correlation_matrix,
            quality,
            alignment,
            niche,
            focal_rng.standard_normal((rows, N_LATENT)),
            focal_rng.random(rows),
        )
        score = linalg.transform(latent, model.screen.weights[None, :])[:, 0]
        score += model.screen.noise_sd * focal_rng.standard_normal(rows)
        funnel = simulate_funnel(model, draws, Focal(latent, score))
        block += blocks
        slot = funnel.extras["focal_slot"]
        index = np.arange(rows)
        keep = funnel.extras["focal_shortlisted"] & funnel.interviewed[index, slot]
        if felt_great:
            keep &= funnel.felt_score[index, slot] >= thresholds.good_interview
        keep_rows = np.flatnonzero(keep)[: openings - found]
        # Openings looked at: all of the batch, unless it was cut at the target.
        full_batch = found + len(keep_rows) < openings
        simulated += rows if full_batch else int(keep_rows[-1]) + 1
        if len(keep_rows) == 0:
            continue
        found += len(keep_rows)
        kept.append(
            _focal_outcomes(model, funnel, keep_rows, slot[keep_rows], thresholds.narrow_margin)
        )
    return kept, simulated


def _check_openings(openings: Any) -> None:
    if isinstance(openings, bool) or not isinstance(openings, int) or openings < 1:
        raise ParameterError("openings", f"openings must be a whole number >= 1, got {openings!r}")
    if openings > MAX_YOU_OPENINGS:
        simulated = openings * TYPICAL_SIMULATED_PER_KEPT
        raise ParameterError(
            "openings",
            f"openings: at most {MAX_YOU_OPENINGS:,} for `you`, got {openings:,} (about "
            f"{simulated:,} openings would be simulated to find them)",
        )


def _check_focal(
    scenario: Scenario,
    quality_percentile: float,
    alignment: float | None,
    niche: bool | None,
    interviews: int,
) -> None:
    if not 0 < quality_percentile < 100:
        raise ParameterError(
            "quality_percentile",
            f"quality_percentile must be between 0 and 100, got {quality_percentile}",
        )
    if alignment is not None and not 0 < alignment < 1:
        raise ParameterError("alignment", f"alignment must be between 0 and 1, got {alignment}")
    if interviews < 1:
        raise ParameterError("interviews", f"interviews must be >= 1, got {interviews}")
    share = scenario.applicants.niche_share
    if (niche is True and share == 0) or (niche is False and share == 1):
        raise ParameterError(
            "niche",
            f"niche: applicants.niche_share is {share:g}, so nobody "
            f"{'has' if niche else 'lacks'} the niche experience",
        )


def _focal_outcomes(
    model: Model, funnel, rows: np.ndarray, slot: np.ndarray, narrow_margin: float
) -> dict[str, np.ndarray]:
    """Per kept opening: offer, attribution of a loss, offer and runner-up without cancellation."""
    decision = funnel.decision.take(rows)
    offer = funnel.offer[rows]
    index = np.arange(len(rows))
    focal_cell = np.zeros(offer.shape, dtype=bool)
    focal_cell[index, slot] = True
    attribution = attribute(
        decision, offer, focal_cell, narrow_margin, quality=funnel.quality[rows]
    )
    # Without cancellation: the decision the role would have made.
    score = funnel.score[rows]
    uncancelled, _ = decision.offers(score, Mechanism.ROLE_CANCELLED)
    passed_over = decision.interviewed & ~uncancelled
    runner_up = np.where(passed_over, score, -np.inf).argmax(axis=1) == slot
    calendar = model.calendar
    weeks, length = funnel.posting_week[rows], funnel.process_weeks[rows]
    hazard = calendar.cumulative_hazard
    start = weeks + calendar.interviews_end(length)
    # P(cancelled after interviews | not cancelled before) for this calendar: a freeze
    # after interviews cancels unless it is a pause (pauses stay as the opening drew them).
    cancel_after = -expm1(-(hazard[weeks + length] - hazard[start])) * (1.0 - calendar.pause_share)
    # How the focal candidate's true quality compares with the rest of each slate.
    interviewed = funnel.interviewed[rows]
    others = interviewed.copy()
    others[index, slot] = False
    quality = funnel.quality[rows]
    worse = (others & (quality < quality[index, slot][:, None])).sum(axis=1)
    better_than = np.divide(
        worse, others.sum(axis=1), out=np.ones(len(rows)), where=others.any(axis=1)
    )
    return {
        "better_than": better_than,
        "offer": offer[index, slot],
        "offer_uncancelled": uncancelled[index, slot],
        "runner_up": runner_up & passed_over[index, slot],
        "cancel_after": cancel_after,
        "reason": attribution.dense(attribution.sequential, NO_REASON)[index, slot],
        "shapley": attribution.dense(attribution.shapley, 0.0)[index, slot],
        "residual": attribution.dense(attribution.residual, NO_REASON)[index, slot],
        "cancelled_after": funnel.cancelled_stage[rows] == cal.CANCELLED_AFTER_INTERVIEWS,
    }


def _loss_table(outcomes: dict[str, np.ndarray]) -> pd.DataFrame:
    lost = ~outcomes["offer"]
    n = int(lost.sum())
    rows = []
    for method in ("sequential", "shapley"):
        for index, reason in enumerate(REASONS):
            if method == "sequential":
                values = (outcomes["reason"][lost] == index).astype(float)
            elif reason in MECHANISMS:
                values = outcomes["shapley"][lost, index]
            else:
                values = (outcomes["residual"][lost] == index).astype(float)
            share = float(values.mean()) if n else math.nan
            se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            rows.append((method, reason, share, share - Z_95 * se, share + Z_95 * se))
    return pd.DataFrame(rows, columns=["method", "reason", "share", "ci_low", "ci_high"])


def _searches(
    outcomes: dict[str, np.ndarray],
    pool: np.ndarray,
    interviews: int,
    searches: int,
    freeze_correlation: float,
    recontact: float,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Offers in ``searches`` simulated job searches of ``interviews`` openings each,
    drawn with replacement from the kept openings ``pool`` (indices into ``outcomes``).

    Returns, per kind of search, a bool array of shape (searches, interviews).
    """
    n = len(pool)
    pick = pool[rng.integers(0, n, (searches, interviews))]
    shared = rng.random((searches, 1))
    own = rng.random((searches, interviews))
    # Common shock: with probability rho an opening's freeze draw is the search's.
    uniform = np.where(rng.random((searches, interviews)) < freeze_correlation, shared, own)
    cancelled = uniform < outcomes["cancel_after"][pick]
    offer = outcomes["offer_uncancelled"][pick] & ~cancelled
    # Staying visible: a runner-up is re-approached for one later opening.
    runner_up = outcomes["runner_up"][pick] & ~cancelled & (rng.random(pick.shape) < recontact)
    later = pool[rng.integers(0, n, pick.shape)]
    later_offer = outcomes["offer_uncancelled"][later] & ~(
        rng.random(pick.shape) < outcomes["cancel_after"][later]
    )
    return {"p_any_offer": offer, "p_any_offer_visible": offer | (runner_up & later_offer)}


BOOTSTRAP_REPLICATES = 200
BOOTSTRAP_SEARCHES = 2_000


def _job_search(
    outcomes: dict[str, np.ndarray],
    interviews: int,
    searches: int,
    freeze_correlation: float,
    recontact: float,
    rng: np.random.Generator,
    bootstrap_rng: np.random.Generator,
) -> tuple[pd.DataFrame, dict[str, float | None]]:
    """P(at least one offer within 1..N interviews), from searches over the kept openings.

    The estimate has two sources of error: the finite number of simulated searches
    (binomial, ``p (1 - p) / searches``) and the finite sample of kept openings
    they are drawn from, which the searches cannot average away. The second is
    measured by a bootstrap over the kept openings: ``B`` resamples, each with
    ``S_b`` searches of its own, whose spread is the sampling variance plus a
    known binomial part ``p (1 - p) / S_b``, which is subtracted. The 95% CI is
    normal with both parts.
    """
    n = len(outcomes["offer"])
    args = (interviews, freeze_correlation, recontact)
    got = _searches(outcomes, np.arange(n), args[0], searches, *args[1:], rng)
    replicates = {name: np.empty((BOOTSTRAP_REPLICATES, interviews)) for name in got}
    for b in range(BOOTSTRAP_REPLICATES):
        pool = bootstrap_rng.integers(0, n, n)
        resampled = _searches(outcomes, pool, args[0], BOOTSTRAP_SEARCHES, *args[1:], bootstrap_rng)
        for name, values in resampled.items():
            replicates[name][b] = np.logical_or.accumulate(values, axis=1).mean(axis=0)

    table = {"interviews": np.arange(1, interviews + 1)}
    medians: dict[str, float | None] = {}
    for name, values in got.items():
        any_by = np.logical_or.accumulate(values, axis=1).mean(axis=0)
        boot = replicates[name]
        search_noise = boot.mean(axis=0) * (1 - boot.mean(axis=0)) / BOOTSTRAP_SEARCHES
        sampling = np.clip(boot.var(axis=0, ddof=1) - search_noise, 0.0, None)
        half = Z_95 * np.sqrt(sampling + any_by * (1 - any_by) / searches)
        table[name] = any_by
        table[f"{name}_ci_low" if name != "p_any_offer" else "ci_low"] = any_by - half
        table[f"{name}_ci_high" if name != "p_any_offer" else "ci_high"] = any_by + half
        first = np.where(values.any(axis=1), values.argmax(axis=1) + 1, np.inf)
        median = float(np.median(first))
        medians[name] = median if np.isfinite(median) else None
    p = outcomes["offer"].mean()
    table["p_any_offer_independent"] = 1 - (1 - p) ** table["interviews"]
    return pd.DataFrame(table), medians
