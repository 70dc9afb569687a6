"""The funnel engine: draw -> screen -> interview -> score -> decide, over chunks of openings.

Arrays are shaped ``(openings, slots)``: slots ``0..K-1`` hold the shortlist
(best CV score first, unused beyond an opening's own shortlist size) and the
last slot holds the internal contender (empty when absent), so replays that
remove the internal leave every other draw in place.

Every block of :data:`~simfunnel.model.rng.BLOCK_OPENINGS` openings draws its random
numbers from its own stream in a fixed layout (:func:`draw_layout`), so results
depend on the seed only, never on chunk size or worker count.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from scipy.special import expm1  # not NumPy's: the same bits on every CPU

from simfunnel.model import calendar as cal
from simfunnel.model import draw_cache
from simfunnel.model.calendar import Calendar, round_weeks
from simfunnel.model.decision import (
    Decision,
    Signals,
    Weights,
    decline_probability_of,
    realised_value,
)
from simfunnel.model.groups import (
    GroupModel,
    cell_by_share,
    exact_top_k_groups,
    group_decline,
    group_uniforms,
)
from simfunnel.model.interview import (
    felt_score,
    interview_score,
    measurement,
    posterior,
    presence_trait,
)
from simfunnel.model.population import N_LATENT, Screen, brute_force_top_k, exact_top_k, traits
from simfunnel.model.rng import BLOCK_OPENINGS, Seed
from simfunnel.model.scenario import Scenario

# Columns of the per-opening "calendar" uniforms.
U_WEEK, U_PROCESS, U_POOL, U_SHORTLIST, U_POSITIONS, U_INTERNAL, U_PAUSE, U_PAUSE_WEEKS = range(8)
DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class Model:
    """A scenario with everything that is fixed per scenario precomputed."""

    scenario: Scenario
    calendar: Calendar
    screen: Screen
    weights: Weights
    position_values: np.ndarray
    position_cdf: np.ndarray
    kernel: str = "numba"  # the decision's offer loop and replays: "numba" or "numpy"
    groups: GroupModel | None = None  # `groups:` and `sources:` (simfunnel.model.groups)

    @classmethod
    def build(cls, scenario: Scenario, kernel: str = "numba") -> Model:
        """Precompute ``scenario``; ``kernel`` picks the compiled decision or the NumPy
        reference (:data:`simfunnel.model.kernel.KERNELS`; the same results)."""
        if kernel not in ("numba", "numpy"):
            raise ValueError(f"kernel must be 'numba' or 'numpy', got {kernel!r}")
        positions = scenario.role.positions
        cdf = np.cumsum(list(positions.values()))
        cdf[-1] = 1.0
        screen = Screen.from_scenario(scenario)
        groups = (
            GroupModel.from_scenario(scenario, screen) if scenario.applicant_attributes else None
        )
        return cls(
            scenario=scenario,
            calendar=Calendar.from_role(
                scenario.role,
                round_weeks(scenario.interview.rounds, scenario.interview.days_per_round),
            ),
            screen=screen,
            groups=groups,
            weights=Weights.from_manager(scenario.manager),
            position_values=np.array(list(positions), dtype=np.int64),
            position_cdf=cdf,
            kernel=kernel,
        )

    @property
    def top(self) -> int:
        """K: the largest shortlist."""
        return self.scenario.screening.shortlist.high

    @property
    def slots(self) -> int:
        return self.top + 1


def draw_layout(scenario: Scenario) -> tuple[tuple[str, tuple[int, ...], str], ...]:
    """The fixed order and shape (per opening) of every random draw of a block.

    The layout depends on the structure of the scenario (shortlist size, pool size
    for the brute-force engine), never on parameter values, so scenarios with the
    same structure share common random numbers. With ``groups:`` the cell draws come
    last, of kind ``"group"``: they are drawn from a stream of their own
    (:func:`simfunnel.model.groups.group_uniforms`), so every other draw is unchanged.
    """
    top = scenario.screening.shortlist.high
    slots = top + 1
    if scenario.engine == "exact":
        population = (("spacings", (top,), "exponential"), ("latent", (top, N_LATENT), "normal"))
    else:
        population = (("pool", (scenario.applicants.count.high, N_LATENT + 1), "normal"),)
    return (
        ("calendar", (8,), "uniform"),
        ("cancel", (), "exponential"),
        *population,
        ("internal", (2,), "normal"),
        ("interview", (slots,), "normal"),
        ("felt", (slots,), "normal"),
        ("transfer", (slots,), "normal"),
        ("decline", (slots,), "uniform"),
        ("presence", (slots,), "normal"),
        ("withdraw", (slots,), "exponential"),
        *((("group", (slots,), "group"),) if scenario.applicant_attributes else ()),
    )


def draw_blocks(
    scenario: Scenario, seed: Seed, stream: int, first_block: int, n_blocks: int
) -> dict[str, np.ndarray]:
    """Fill every draw of blocks ``first_block .. first_block + n_blocks - 1`` (or return
    them from the :class:`~simfunnel.model.draw_cache.DrawCache` entered, read-only)."""
    rows = n_blocks * BLOCK_OPENINGS
    layout = draw_layout(scenario)
    cache = draw_cache.active()
    if cache is not None:
        key = (layout, seed.entropy, stream, first_block, n_blocks)
        kept = cache.get(key)
        if kept is not None:
            return kept
    draws = {name: np.empty((rows, *shape)) for name, shape, _ in layout}
    for i in range(n_blocks):
        rng = seed.stream(stream, first_block + i)
        block = slice(i * BLOCK_OPENINGS, (i + 1) * BLOCK_OPENINGS)
        for name, _, kind in layout:
            out = draws[name][block]
            if kind == "group":
                continue  # their own stream, below
            if kind == "uniform":
                rng.random(out=out)
            elif kind == "normal":
                rng.standard_normal(out=out)
            else:
                rng.standard_exponential(out=out)
    if "group" in draws:  # their own streams: every draw above stays put
        top = scenario.screening.shortlist.high
        draws["group"] = group_uniforms(seed, stream, first_block, n_blocks, top + 1)
    if cache is not None:
        cache.put(key, rows, draws)
    return draws


@dataclass
class Funnel:
    """One chunk of simulated openings. Per-opening arrays have shape (openings,),
    per-candidate arrays (openings, slots)."""

    posting_week: np.ndarray
    process_weeks: np.ndarray
    pause_weeks: np.ndarray
    freeze_week: np.ndarray
    applicants: np.ndarray
    shortlist: np.ndarray
    positions: np.ndarray
    internal_present: np.ndarray
    cancelled_stage: np.ndarray
    on_slate: np.ndarray
    interviewed: np.ndarray
    withdrew: np.ndarray
    internal_slot: np.ndarray
    quality: np.ndarray
    presence: np.ndarray
    screen_score: np.ndarray
    interview_score: np.ndarray
    felt_score: np.ndarray
    value: np.ndarray
    signals: Signals
    decision: Decision
    score: np.ndarray
    offer: np.ndarray
    hired: np.ndarray
    interviews_end: np.ndarray
    days_to_answer: int
    extras: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def quarter(self) -> np.ndarray:
        return cal.quarter_of_week(self.posting_week)

    @cached_property
    def offer_round(self) -> np.ndarray:
        """1-based order of each offer (offers go out best score first); 0 without one."""
        offered_score = np.where(self.offer, self.score, -np.inf)
        ahead = (offered_score[:, None, :] >= offered_score[:, :, None]) & self.offer[:, None, :]
        return np.where(self.offer, ahead.sum(axis=2), 0)

    @cached_property
    def days_to_fill(self) -> np.ndarray:
        """Days from posting to the first accepted offer; NaN where nobody was hired.

        The decision comes at the end of week ``T + pause``; each offer takes
        ``offers.days_to_answer`` days to be answered (MODEL.md 1.9).
        """
        first_hire = np.where(self.hired, self.offer_round, np.iinfo(np.int64).max).min(axis=1)
        days = DAYS_PER_WEEK * self.decision_week + first_hire * self.days_to_answer
        return np.where(self.hired.any(axis=1), days, np.nan)

    @property
    def decision_week(self) -> np.ndarray:
        """Week offset (from posting) of the decision: ``T`` plus any pause."""
        return self.process_weeks + self.pause_weeks

    @cached_property
    def days_to_cancel(self) -> np.ndarray:
        """Days from posting to the end of the week the role was cancelled; NaN otherwise."""
        cancelled = self.cancelled_stage != cal.NOT_CANCELLED
        return np.where(cancelled, DAYS_PER_WEEK * (self.freeze_week + 1.0), np.nan)

    @cached_property
    def wait_days(self) -> np.ndarray:
        """Days each interviewee waited from the end of final interviews to an answer.

        An offer's answer comes with the offer; the others hear when the opening
        closes (its last offer answered), or when it is cancelled. NaN for those not
        interviewed or who withdrew before the decision.
        """
        offers_made = self.offer.sum(axis=1)
        closed = DAYS_PER_WEEK * self.decision_week + offers_made * self.days_to_answer
        decided = (
            DAYS_PER_WEEK * self.decision_week[:, None]
            + (self.offer_round - 1) * self.days_to_answer
        )
        answer = np.where(self.offer, decided, closed[:, None])
        cancelled = self.days_to_cancel[:, None]
        answer = np.where(np.isnan(cancelled), answer, cancelled)
        waited = answer - DAYS_PER_WEEK * self.interviews_end[:, None]
        return np.where(self.interviewed & ~self.withdrew, waited, np.nan)

    @cached_property
    def margins(self) -> tuple[np.ndarray, np.ndarray]:
        """Winner's margin over the runner-up per opening, in U and in interview score.

        The winner is the last person offered (the marginal offer); the runner-up is
        the best interviewee still in the race without an offer. NaN where either is
        missing.
        """
        offered = self.offer
        rows = np.arange(offered.shape[0])
        passed_over = self.interviewed & ~self.withdrew & ~offered
        winner = np.where(offered, self.score, np.inf).argmin(axis=1)
        runner_up = np.where(passed_over, self.score, -np.inf).argmax(axis=1)
        defined = offered.any(axis=1) & passed_over.any(axis=1)
        score_margin = self.score[rows, winner] - self.score[rows, runner_up]
        interview_margin = (
            self.interview_score[rows, winner] - self.interview_score[rows, runner_up]
        )
        return np.where(defined, score_margin, np.nan), np.where(defined, interview_margin, np.nan)


@dataclass(frozen=True)
class Focal:
    """A focal applicant who applies to every opening (``simfunnel you``).

    Attributes
    ----------
    latent : ndarray, shape (openings, 5)
        The focal applicant's latent vector in each opening.
    screen_score : ndarray, shape (openings,)
        Their CV score. They are shortlisted when it beats the k-th best of the
        other ``n - 1`` applicants; they then take that applicant's slot.
    """

    latent: np.ndarray
    screen_score: np.ndarray


@dataclass(frozen=True)
class _Slate:
    """Everyone who may be interviewed: the shortlist's K slots plus the internal's.

    Arrays shape (openings, slots) unless noted; the internal is the last slot.
    """

    quality: np.ndarray
    alignment: np.ndarray
    culture: np.ndarray
    narrative: np.ndarray
    niche: np.ndarray
    screen_score: np.ndarray
    internal_slot: np.ndarray  # (slots,)
    internal_present: np.ndarray  # (openings,)
    known_observation: np.ndarray  # (openings,): what the manager saw of the internal


def simulate_funnel(
    model: Model, draws: dict[str, np.ndarray], focal: Focal | None = None
) -> Funnel:
    """Run every stage of MODEL.md section 1 on one chunk of draws.

    With a ``focal`` applicant, the others are the ``n - 1`` remaining applicants;
    ``extras["focal_slot"]`` is the focal's slot and ``extras["focal_shortlisted"]``
    whether they made the shortlist.
    """
    before = _before_interviews(model, draws, focal)
    posting_week, process_weeks, stage = before.posting_week, before.process_weeks, before.stage
    pause_weeks, slate, extras = before.pause_weeks, before.slate, before.extras
    interviewed, withdraw_week = before.interviewed, before.withdraw_week
    available = withdraw_week >= (process_weeks + pause_weeks)[:, None]
    # 1.5 interviews and the manager's belief; 1.6 value and score; 1.8 offers
    interview = model.scenario.interview
    presence = presence_trait(slate.quality, draws["presence"], interview)
    groups, cell = model.groups, extras.get("group_cell")
    if groups is not None and cell is not None:
        presence = presence + groups.presence_shift[cell]
    x_bar = interview_score(slate.quality, presence, draws["interview"], interview)
    if groups is not None and cell is not None:
        x_bar = x_bar + groups.interview_shift[cell]
    decision = _decision(
        model,
        draws,
        slate,
        x_bar,
        interviewed,
        before.positions,
        stage,
        available=available,
        available_unpaused=withdraw_week >= process_weeks[:, None],
        cell=cell,
    )
    score = decision.score(0)
    offer, hired, offer_round = decision.offers_and_rounds(score, 0)
    funnel = Funnel(
        posting_week=posting_week,
        process_weeks=process_weeks,
        pause_weeks=pause_weeks,
        freeze_week=before.freeze_week,
        applicants=before.applicants,
        shortlist=before.shortlist,
        positions=before.positions,
        internal_present=slate.internal_present,
        cancelled_stage=stage,
        interviewed=interviewed,
        withdrew=interviewed & ~available,
        internal_slot=slate.internal_slot,
        quality=slate.quality,
        presence=presence,
        screen_score=slate.screen_score,
        interview_score=x_bar,
        felt_score=felt_score(x_bar, draws["felt"], interview),
        value=realised_value(
            slate.quality, slate.alignment, slate.niche, draws["transfer"], model.scenario.manager
        ),
        signals=decision.signals,
        decision=decision,
        score=score,
        offer=offer,
        hired=hired,
        interviews_end=before.interviews_end,
        days_to_answer=model.scenario.offers.days_to_answer,
        on_slate=before.on_slate,
        extras=extras,
    )
    if offer_round is not None:  # the compiled offer loop counted the rounds
        funnel.__dict__["offer_round"] = offer_round  # fills the cached_property
    return funnel


@dataclass(frozen=True)
class _BeforeInterviews:
    """Everything MODEL.md 1.1-1.5 settles before anyone is interviewed."""

    posting_week: np.ndarray
    process_weeks: np.ndarray
    stage: np.ndarray
    freeze_week: np.ndarray
    pause_weeks: np.ndarray
    positions: np.ndarray
    applicants: np.ndarray
    shortlist: np.ndarray
    slate: _Slate
    on_slate: np.ndarray
    extras: dict[str, np.ndarray]
    interviews_end: np.ndarray
    withdraw_week: np.ndarray
    interviewed: np.ndarray


def _before_interviews(
    model: Model, draws: dict[str, np.ndarray], focal: Focal | None
) -> _BeforeInterviews:
    uniforms = draws["calendar"]
    # 1.1 calendar, 1.7 freezes (cancellations and pauses), 1.8 positions
    calendar = model.calendar
    posting_week = calendar.posting_week(uniforms[:, U_WEEK])
    process_weeks = calendar.process_weeks(uniforms[:, U_PROCESS])
    stage, freeze_week = calendar.freeze(posting_week, process_weeks, draws["cancel"])
    stage, pause_weeks = calendar.pauses(stage, uniforms[:, U_PAUSE], uniforms[:, U_PAUSE_WEEKS])
    positions = model.position_values[
        np.searchsorted(model.position_cdf, uniforms[:, U_POSITIONS], side="right")
    ]
    # 1.2-1.3 applicants and the shortlist; 1.4 the internal contender
    applicants, shortlist, external, screened, extras = _shortlist(model, draws, focal)
    slate = _slate(model, draws, external, screened)
    on_slate = np.arange(model.slots) < shortlist[:, None]
    on_slate[:, model.top] = slate.internal_present
    # 1.5 withdrawals: who has taken another job before interviews end, or the decision
    interviews_end = calendar.interviews_end(process_weeks)
    withdraw_week = _withdraw_week(model, draws["withdraw"], slate, extras)
    interviewed = (
        on_slate
        & (stage != cal.CANCELLED_BEFORE_INTERVIEWS)[:, None]
        & (withdraw_week >= interviews_end[:, None])
    )
    return _BeforeInterviews(
        posting_week,
        process_weeks,
        stage,
        freeze_week,
        pause_weeks,
        positions,
        applicants,
        shortlist,
        slate,
        on_slate,
        extras,
        interviews_end,
        withdraw_week,
        interviewed,
    )


def interview_score_means(
    model: Model, seed: Seed, stream: int, first_block: int, n_blocks: int
) -> tuple[np.ndarray, np.ndarray]:
    """Each interviewee's expected mean interview score given who they are, without the
    decision: ``E[x_bar | q, group] = gain * q + a * presence shift + rater shift``.

    Returns that mean and ``interviewed`` (both (openings, slots)). Who is interviewed
    is settled before any interview score is drawn, and given ``q`` (and the group
    cell) ``x_bar`` is normal with the variance
    :attr:`simfunnel.model.interview.Measurement.noise_variance`: all the reference
    sample needs for the good-interview threshold (MODEL.md 3).
    """
    draws = draw_blocks(model.scenario, seed, stream, first_block, n_blocks)
    before = _before_interviews(model, draws, None)
    return expected_scores(model, before.slate.quality, before.extras), before.interviewed


def expected_scores(model: Model, quality: np.ndarray, extras: dict[str, np.ndarray]) -> np.ndarray:
    """``E[x_bar | q, group]`` of every slot (see :func:`interview_score_means`), from the
    slate's true quality and the group cells in ``extras`` (a funnel's, or the stages'
    before interviews: the same arrays)."""
    m = measurement(model.scenario.interview)
    mean = m.gain * quality
    groups, cell = model.groups, extras.get("group_cell")
    if groups is not None and cell is not None:
        mean = mean + m.presence_sd * groups.presence_shift[cell] + groups.interview_shift[cell]
    return mean


def _withdraw_week(
    model: Model, exponential: np.ndarray, slate: _Slate, extras: dict[str, np.ndarray]
) -> np.ndarray:
    """Weeks from posting until each external takes another job (MODEL.md 1.5).

    The weekly hazard is ``h exp(beta q)``; internals and a focal applicant never
    withdraw (inf).
    """
    withdrawal = model.scenario.withdrawal
    if withdrawal.weekly_hazard == 0:
        return np.full(exponential.shape, np.inf)
    # exp(x) as expm1(x) + 1: SciPy's, the same bits on every CPU.
    relative = expm1(withdrawal.quality_slope * slate.quality) + 1.0
    groups, cell = model.groups, extras.get("group_cell")
    if groups is not None and cell is not None and groups.withdrawal_shift.any():
        relative = relative * (expm1(groups.withdrawal_shift[cell]) + 1.0)
    weeks = exponential / (withdrawal.weekly_hazard * relative)
    weeks[:, slate.internal_slot] = np.inf
    if "focal_slot" in extras:
        weeks[np.arange(weeks.shape[0]), extras["focal_slot"]] = np.inf
    return weeks


def _shortlist(
    model: Model, draws: dict[str, np.ndarray], focal: Focal | None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Pool sizes, shortlist sizes, the shortlisted applicants' traits and CV scores."""
    scenario, uniforms = model.scenario, draws["calendar"]
    count, shortlist_range = scenario.applicants.count, scenario.screening.shortlist
    applicants = cal.uniform_int(uniforms[:, U_POOL], count.low, count.high)
    shortlist = cal.uniform_int(uniforms[:, U_SHORTLIST], shortlist_range.low, shortlist_range.high)
    others = applicants if focal is None else applicants - 1
    extras: dict[str, np.ndarray] = {}
    if model.groups is not None and "group" in draws:
        latent, screened, cell = exact_top_k_groups(
            model.screen,
            model.groups,
            others,
            draws["spacings"],
            draws["latent"],
            draws["group"][:, : model.top],
        )
        internal_cell = cell_by_share(draws["group"][:, model.top], model.groups.shares)
        extras["group_cell"] = np.concatenate([cell, internal_cell[:, None]], axis=1)
    elif scenario.engine == "exact":
        latent, screened = exact_top_k(
            model.screen, others, draws["spacings"], draws["latent"], model.kernel
        )
    else:
        latent, screened = brute_force_top_k(model.screen, others, model.top, draws["pool"])
    if focal is not None:
        rows, focal_slot = np.arange(len(applicants)), shortlist - 1
        extras["focal_slot"] = focal_slot
        # With fewer other applicants than places, everyone is shortlisted.
        extras["focal_shortlisted"] = (others < shortlist) | (
            focal.screen_score > screened[rows, focal_slot]
        )
        latent[rows, focal_slot] = focal.latent
        screened[rows, focal_slot] = focal.screen_score
    return applicants, shortlist, traits(model.screen, latent, model.kernel), screened, extras


def _slate(
    model: Model,
    draws: dict[str, np.ndarray],
    external: dict[str, np.ndarray],
    screened: np.ndarray,
) -> _Slate:
    """The shortlisted externals and the internal contender (always the last slot)."""
    internal, top = model.scenario.internal, model.top
    openings = screened.shape[0]
    internal_present = draws["calendar"][:, U_INTERNAL] < internal.probability
    internal_quality = internal.quality_mean + internal.quality_sd * draws["internal"][:, 0]
    known_observation = internal_quality
    if internal.known_precision > 0:
        known_observation = internal_quality + draws["internal"][:, 1] / np.sqrt(
            internal.known_precision
        )

    def with_internal(values: np.ndarray, internal_value: np.ndarray | float) -> np.ndarray:
        out = np.empty(
            (openings, model.slots), dtype=np.result_type(values, np.asarray(internal_value))
        )
        out[:, :top] = values
        out[:, top] = internal_value
        return out

    internal_slot = np.zeros(model.slots, dtype=bool)
    internal_slot[top] = True
    return _Slate(
        quality=with_internal(external["quality"], internal_quality),
        alignment=with_internal(external["alignment"], internal.alignment),
        culture=with_internal(external["culture"], internal.culture),
        narrative=with_internal(external["narrative"], internal.narrative),
        niche=with_internal(external["niche"], True),
        screen_score=with_internal(screened, np.nan),
        internal_slot=internal_slot,
        internal_present=internal_present,
        known_observation=known_observation,
    )


def _decision(
    model: Model,
    draws: dict[str, np.ndarray],
    slate: _Slate,
    x_bar: np.ndarray,
    interviewed: np.ndarray,
    positions: np.ndarray,
    stage: np.ndarray,
    *,
    available: np.ndarray,
    available_unpaused: np.ndarray,
    cell: np.ndarray | None = None,
) -> Decision:
    """Everything the manager's decision needs: their belief, the declines, the bar."""
    scenario = model.scenario
    mean, variance = posterior(
        x_bar,
        slate.internal_slot,
        slate.known_observation[:, None],
        scenario.interview,
        scenario.internal,
    )
    offers = scenario.offers
    external_decline = decline_probability_of(slate.quality, offers)
    groups = model.groups
    if groups is not None and cell is not None and groups.decline_shift.any():
        external_decline = group_decline(external_decline, groups.decline_shift[cell])
    decline_probability = np.where(
        slate.internal_slot,
        offers.internal_decline_probability,
        external_decline,
    )
    return Decision(
        signals=Signals(
            mean, variance, slate.alignment, slate.culture, slate.narrative, slate.niche
        ),
        weights=model.weights,
        interviewed=interviewed,
        internal_slot=slate.internal_slot,
        declines=draws["decline"] < decline_probability,
        available=available,
        available_unpaused=available_unpaused,
        positions=positions,
        cancelled_after=stage == cal.CANCELLED_AFTER_INTERVIEWS,
        max_offers=offers.max_offers,
        hiring_bar=scenario.manager.hiring_bar,
        kernel=model.kernel,
    )


def run_blocks(model: Model, seed: Seed, stream: int, first_block: int, n_blocks: int) -> Funnel:
    """Draw and simulate whole blocks of openings."""
    return simulate_funnel(model, draw_blocks(model.scenario, seed, stream, first_block, n_blocks))
