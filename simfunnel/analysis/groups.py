"""Who loses, by group, in a simulated funnel: rates, impact ratios and what causes a gap.

For a scenario with ``groups:`` (:mod:`simfunnel.model.groups`):

- :func:`group_impact` simulates openings and reports, per attribute (and their
  intersection), stage and level, the selection rate of external applicants, the impact
  ratio against the highest-rate level with a 95% CI clustered by opening, the
  four-fifths flag and the shortfall (selections per 1,000 openings the level would have
  at the reference's rate). The pool is never drawn whole (the exact sampler draws the
  shortlist only), so the applicants of a level are its expected number, ``n * share``;
  the CI counts the variation of selections across openings, not of the pool's make-up.
- :func:`gap_attribution` removes each mechanism that carries a group difference (sets
  that shift to 0 for every level) on the same draws and reports how the end-to-end
  impact ratio moves: one step at a time in a fixed order (sequential) and averaged over
  every order (Shapley), like the loss reasons.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.audit import END_TO_END, FOUR_FIFTHS, GOOD_STAGE, AuditResult, ratio_ci
from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.run import reference_thresholds
from simfunnel.errors import InputError
from simfunnel.metrics import applicant_percentile, hire_value_words, money_words, scenario_label
from simfunnel.model.engine import Funnel, Model, run_blocks
from simfunnel.model.groups import CELL_SEPARATOR, GroupModel
from simfunnel.model.rng import BLOCK_OPENINGS, BLOCKS, SCENARIO_SEED, SeedLike, resolve_seed
from simfunnel.model.scenario import Scenario
from simfunnel.model.sections import GROUP_SHIFT_KEYS

STAGES = ("applied", "shortlisted", "interviewed", "offered", "hired")
HIRED = STAGES.index("hired")
# Two more rows of the counts, after the stages: good interviews, and their offers.
GOOD, GOOD_OFFERED = len(STAGES), len(STAGES) + 1
CHUNK_BLOCKS = 10  # blocks simulated at once: 10,000 openings, a few hundred MB at most
MECHANISM_LABELS = {
    "quality": "true quality",
    "alignment": "alignment",
    "culture": "culture mirror",
    "narrative": "narrative (career gaps)",
    "niche": "niche experience",
    "screen": "screener's bias",
    "presence": "interview presence",
    "interview": "interview rater bias",
    "withdrawal": "withdrawal",
    "decline": "offer declines",
}


# ------------------------------------------------------------------ counts
def cell_counts(funnel: Funnel, groups: GroupModel, good_interview: float) -> np.ndarray:
    """External applicants per stage and cell, shape (openings, stages + 2, cells).

    ``applied`` is the expected count ``n * share``; the others count the shortlisted
    externals (the internal contender, last slot, is not an applicant) who reached it;
    the last two rows count the interviewees with a good interview (a mean score of at
    least ``good_interview``, the scenario's threshold) and those of them offered.
    """
    cell = funnel.extras["group_cell"]
    external = ~funnel.internal_slot
    good = funnel.interviewed & external & (funnel.interview_score >= good_interview)
    reached = (
        funnel.on_slate & external,
        funnel.interviewed & external,
        funnel.offer & external,
        funnel.hired & external,
        good,
        good & funnel.offer,
    )
    openings = cell.shape[0]
    out = np.zeros((openings, len(STAGES) + 2, groups.cells))
    out[:, 0] = funnel.applicants[:, None] * groups.shares
    for s, mask in enumerate(reached, start=1):
        for c in range(groups.cells):
            out[:, s, c] = (mask & (cell == c)).sum(axis=1)
    return out


def simulate_counts(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    kernel: str = "numba",
    values: list | None = None,
    good_interviews: bool = True,
    internals: list | None = None,
) -> tuple[GroupModel, np.ndarray]:
    """Simulate whole blocks (the openings of ``simfunnel run`` with the same seed) and
    return the group model and :func:`cell_counts` of every opening.

    ``values``, if given, gets per opening the total realised value of its hires and its
    hires (internals too), two arrays appended per chunk. ``good_interviews=False``
    skips the reference sample that fixes the good-interview threshold (its rows are 0).
    ``internals``, if given, gets per chunk an array (openings, 4): whether the internal
    contender was there, interviewed, offered, hired.
    """
    if scenario.applicant_attributes is None:
        raise InputError("the scenario has no groups: section (the shipped affinity_bias has one)")
    model = Model.build(scenario, kernel)
    assert model.groups is not None
    good_interview = reference_thresholds(model).good_interview if good_interviews else np.inf
    resolved = resolve_seed(seed, scenario.seed)
    blocks = max(1, math.ceil((openings or scenario.openings) / BLOCK_OPENINGS))
    parts = []
    for first in range(0, blocks, CHUNK_BLOCKS):
        funnel = run_blocks(model, resolved, BLOCKS, first, min(CHUNK_BLOCKS, blocks - first))
        parts.append(cell_counts(funnel, model.groups, good_interview))
        if values is not None:
            hired = funnel.hired
            values.append((np.where(hired, funnel.value, 0.0).sum(axis=1), hired.sum(axis=1)))
        if internals is not None:  # the internal contender, last slot: present, offered, hired
            slot = funnel.internal_slot
            internals.append(
                np.stack(
                    [
                        funnel.internal_present,
                        (funnel.interviewed & slot).any(axis=1),
                        (funnel.offer & slot).any(axis=1),
                        (funnel.hired & slot).any(axis=1),
                    ],
                    axis=1,
                ).astype(float)
            )
    return model.groups, np.concatenate(parts)


def level_counts(groups: GroupModel, counts: np.ndarray, a: int) -> np.ndarray:
    """The counts of attribute ``a`` summed over the cells of each of its levels,
    shape (openings, stages, levels)."""
    return np.stack(
        [
            counts[..., groups.cell_levels[:, a] == i].sum(axis=-1)
            for i in range(len(groups.levels[a]))
        ],
        axis=-1,
    )


def attribute_counts(groups: GroupModel, counts: np.ndarray) -> dict[str, tuple[list, np.ndarray]]:
    """Per ``groups:`` attribute (and the intersection of two): the level names and the
    counts summed over the cells of each level, shape (openings, stages, levels). The
    ``source`` attribute of ``sources:`` is not a group (simfunnel.analysis.sources)."""
    out: dict[str, tuple[list, np.ndarray]] = {}
    for a in range(groups.demographic):
        out[groups.attributes[a]] = (list(groups.levels[a]), level_counts(groups, counts, a))
    if groups.demographic == 2:
        pairs = list(itertools.product(range(len(groups.levels[0])), range(len(groups.levels[1]))))
        names = [CELL_SEPARATOR.join((groups.levels[0][i], groups.levels[1][j])) for i, j in pairs]
        levels = groups.cell_levels
        summed = np.stack(
            [counts[..., (levels[:, 0] == i) & (levels[:, 1] == j)].sum(axis=-1) for i, j in pairs],
            axis=-1,
        )
        out[CELL_SEPARATOR.join(groups.attributes[:2])] = (names, summed)
    return out


# ------------------------------------------------------------------ the table
def impact_table(groups: GroupModel, counts: np.ndarray) -> pd.DataFrame:
    """Rates, impact ratios (clustered by opening), four-fifths flags and shortfalls."""
    openings = counts.shape[0]
    steps = [(STAGES[i], STAGES[i - 1], i, i - 1) for i in range(1, len(STAGES))]
    steps.append((END_TO_END, "applied", HIRED, 0))
    if counts[:, GOOD].any():
        steps.append((GOOD_STAGE, "good interviews", GOOD_OFFERED, GOOD))
    rows = []
    for attribute, (names, level_counts) in attribute_counts(groups, counts).items():
        for stage, before, s, b in steps:
            selected, considered = level_counts[:, s], level_counts[:, b]
            totals_a, totals_n = selected.sum(axis=0), considered.sum(axis=0)
            rates = np.divide(
                totals_a, totals_n, out=np.full(len(names), np.nan), where=totals_n > 0
            )
            ref = int(np.nanargmax(rates)) if np.isfinite(rates).any() else None
            for i, name in enumerate(names):
                row: dict[str, Any] = {
                    "attribute": attribute,
                    "level": name,
                    "stage": stage,
                    "of": before,
                    "considered": totals_n[i],
                    "selected": totals_a[i],
                    "rate": rates[i],
                    "reference": names[ref] if ref is not None else None,
                }
                ratio = rates[i] / rates[ref] if ref is not None and rates[ref] > 0 else np.nan
                low, high = (np.nan, np.nan)
                if ref is not None and i != ref and np.isfinite(ratio):
                    low, high = ratio_ci(
                        selected[:, i], considered[:, i], selected[:, ref], considered[:, ref]
                    )
                shortfall = (totals_n[i] * rates[ref] - totals_a[i]) if ref is not None else np.nan
                row.update(
                    impact_ratio=ratio,
                    ci_low=low,
                    ci_high=high,
                    below_four_fifths=bool(ratio < FOUR_FIFTHS),
                    shortfall=shortfall * 1000 / openings,
                    fisher_p=np.nan,
                    mid_p=np.nan,
                    z=np.nan,
                    z_p=np.nan,
                    tested=bool(np.isfinite(low)) or i == ref,
                    verdict=_verdict(i == ref, ratio, low, high),
                )
                rows.append(row)
    return pd.DataFrame(rows)


def _verdict(is_reference: bool, ratio: float, low: float, high: float) -> str:
    if is_reference:
        return "reference (highest rate)"
    if not np.isfinite(low):
        return "no CI (too few selected)"
    if ratio < FOUR_FIFTHS:
        return "below four-fifths" + ("" if high < FOUR_FIFTHS else " (CI reaches 0.8)")
    if high < 1:
        return "gap: CI below 1, above four-fifths"
    if low > 1:
        return "above the reference: CI above 1"
    return "CI includes 1"


class GroupImpact(AuditResult):
    """What a simulated funnel does to each group: an audit table of the simulation.

    The same columns as :class:`~simfunnel.analysis.audit.AuditResult` (its chart and
    summary), with ``shortfall`` per 1,000 openings and no tests (the CI says it all).
    """

    file_stem = "groups"
    groups: GroupModel | None = None
    counts: np.ndarray | None = None  # (openings, stages, cells): what auditor_sample resamples

    def auditor_sample(
        self, openings: int, samples: int = 400, seed: int = 0, alpha: float = 0.05
    ) -> AuditorSample:
        """What an auditor would see on ``openings`` openings: see :func:`auditor_sample`."""
        if self.groups is None or self.counts is None:
            raise ValueError("the simulated counts are not kept (a loaded result?)")
        return auditor_sample(self.groups, self.counts, openings, samples, seed, alpha)

    def finding_for(self, attribute: str) -> str:
        return _simulated_finding(self._table, attribute)


def group_impact(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    kernel: str = "numba",
    good_interviews: bool = True,
) -> GroupImpact:
    """Simulate ``scenario`` (which has ``groups:``) and report who loses at each stage.

    Parameters
    ----------
    openings : openings to simulate, in whole blocks of 1,000 (default: the scenario's).
    seed : the seed (default: the scenario's); the openings are those of ``simfunnel run``.
    good_interviews : also the offer rate of good interviews by level (needs the scenario's
        reference sample, 20,000 openings, once per scenario).
    """
    if scenario.groups is None:
        raise InputError("the scenario has no groups: section (the shipped affinity_bias has one)")
    groups, counts = simulate_counts(scenario, openings, seed, kernel, None, good_interviews)
    table = impact_table(groups, counts)
    note = (
        f"{scenario.name.replace('_', ' ')} scenario · {counts.shape[0]:,} simulated openings · "
        "external applicants · impact ratio: rate over the highest level's, 95% CIs "
        "clustered by opening"
    )
    attributes = tuple(dict.fromkeys(table["attribute"]))
    finding = _simulated_finding(table)
    impact = GroupImpact(table, finding, note, attributes, "hired")
    impact.groups, impact.counts = groups, counts
    return impact


def _simulated_finding(table: pd.DataFrame, attribute: str | None = None) -> str:
    rows = table[(table["stage"] == END_TO_END) & (table["level"] != table["reference"])]
    if attribute is not None:
        rows = rows[rows["attribute"] == attribute]
    rows = rows[np.isfinite(rows["impact_ratio"])]
    if rows.empty:
        return "No group gap to report"
    # The first attribute with a gap below four-fifths (single attributes first).
    flagged = rows[rows["below_four_fifths"]]
    first = (flagged if len(flagged) else rows)["attribute"].iloc[0]
    row = rows[rows["attribute"] == first].sort_values("impact_ratio").iloc[0]
    ci = f"95% CI {row['ci_low']:.2f}-{row['ci_high']:.2f}" if np.isfinite(row["ci_low"]) else ""
    flag = ", below four-fifths" if row["below_four_fifths"] else ""
    return _capital(
        f"{row['level']} applicants are hired at {row['impact_ratio']:.2f} times the rate of "
        f"{row['reference']} ({ci}{flag})"
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


# ------------------------------------------------------------------ an auditor's sample
class AuditorSample(Output):
    """The impact ratio an audit of a few openings would find, and how often it flags it.

    Table: one row per attribute and level (not the reference), end to end, with the
    ``openings`` audited, the median and 5%-95% range of the impact ratio over the
    samples, the share of samples below four-fifths, and the power of Fisher's exact
    test and of the two-proportion z test at ``alpha`` (the share of samples where p <
    alpha), and the median hires of the level in a sample.
    """

    chart = ""


def auditor_sample(
    groups: GroupModel,
    counts: np.ndarray,
    openings: int,
    samples: int = 400,
    seed: int = 0,
    alpha: float = 0.05,
) -> AuditorSample:
    """Resample ``openings`` of the simulated openings (with replacement), ``samples``
    times, and audit each sample as a real audit would: end-to-end hires over applicants.

    The applicants of a level in a sample are its expected number (the pool is never
    drawn whole), rounded: over even 50 openings of 100+ applicants the pool's make-up
    varies by about 1%, far less than the hires do.
    """
    from simfunnel.analysis.audit import fisher_p, two_proportion_z

    if openings < 1:
        raise InputError("--audit-openings: must be >= 1")
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, counts.shape[0], size=(samples, openings))
    rows = []
    for attribute, (names, level_counts) in attribute_counts(groups, counts).items():
        hired = level_counts[:, HIRED][picks].sum(axis=1)  # (samples, levels)
        applied = np.rint(level_counts[:, 0][picks].sum(axis=1)).astype(np.int64)
        full = level_counts[:, HIRED].sum(axis=0) / level_counts[:, 0].sum(axis=0)
        ref = int(np.argmax(full))
        for i, name in enumerate(names):
            if i == ref:
                continue
            ratios, fisher, ztest = [], [], []
            for k in range(samples):
                a, n = int(hired[k, i]), int(applied[k, i])
                b, m = int(hired[k, ref]), int(applied[k, ref])
                ratios.append((a / n) / (b / m) if b > 0 else np.nan)
                fisher.append(fisher_p(a, n, b, m) < alpha)
                z_p = two_proportion_z(a, n, b, m)[1]
                ztest.append(bool(np.isfinite(z_p) and z_p < alpha))
            ratios_array = np.asarray(ratios)
            rows.append(
                {
                    "attribute": attribute,
                    "level": name,
                    "reference": names[ref],
                    "openings": openings,
                    "true_ratio": full[i] / full[ref],
                    "median_ratio": float(np.nanmedian(ratios_array)),
                    "ratio_p05": float(np.nanquantile(ratios_array, 0.05)),
                    "ratio_p95": float(np.nanquantile(ratios_array, 0.95)),
                    "below_four_fifths": float(np.nanmean(ratios_array < FOUR_FIFTHS)),
                    "power_fisher": float(np.mean(fisher)),
                    "power_z": float(np.mean(ztest)),
                    "median_hires": float(np.median(hired[:, i])),
                }
            )
    table = pd.DataFrame(rows)
    first = table.iloc[0]
    finding = (
        f"An audit of {openings:,} openings flags {first['level']} applicants' gap (impact "
        f"ratio {first['true_ratio']:.2f}) with Fisher's test {100 * first['power_fisher']:.0f}% "
        f"of the time, and finds it below four-fifths {100 * first['below_four_fifths']:.0f}%"
    )
    note = (
        f"{samples} samples of {openings:,} openings drawn from the simulated ones · "
        f"end to end · tests two-sided at {alpha:g}"
    )
    return AuditorSample(table, finding, note)


# ------------------------------------------------------------------ attribution
def shifted_mechanisms(scenario: Scenario) -> list[str]:
    """The shift keys that differ from 0 at some level: the mechanisms that carry a gap."""
    groups = scenario.groups or {}
    return [
        key
        for key in GROUP_SHIFT_KEYS
        if any(getattr(level, key) != 0 for levels in groups.values() for level in levels.values())
    ]


def without(scenario: Scenario, mechanisms: Sequence[str]) -> Scenario:
    """``scenario`` with the shifts of ``mechanisms`` set to 0 at every level."""
    groups = {
        attribute: {
            name: level.model_copy(update=dict.fromkeys(mechanisms, 0.0))
            for name, level in levels.items()
        }
        for attribute, levels in (scenario.groups or {}).items()
    }
    return scenario.model_copy(update={"groups": groups})


ATTRIBUTION_STEPS = (
    ("shortlisted", 1, 0),
    ("interviewed", 2, 1),
    ("offered", 3, 2),
    ("hired", HIRED, 3),
    (END_TO_END, HIRED, 0),
)


def _stage_rates(scenario: Scenario, openings: int, seed: SeedLike, kernel: str) -> dict:
    """``{(attribute, level, stage): selection rate}`` for every step of the funnel."""
    groups, counts = simulate_counts(scenario, openings, seed, kernel, good_interviews=False)
    out = {}
    for attribute, (names, level_counts) in attribute_counts(groups, counts).items():
        totals = level_counts.sum(axis=0)  # (stages, levels)
        for stage, selected, considered in ATTRIBUTION_STEPS:
            rates = totals[selected] / np.where(totals[considered] > 0, totals[considered], np.nan)
            for i, name in enumerate(names):
                out[(attribute, name, stage)] = rates[i]
    return out


class GapAttribution(Output):
    """How much of each level's end-to-end gap each mechanism causes.

    Table: one row per attribute, level (not the reference), stage (each step, and end
    to end) and mechanism, with ``sequential`` and ``shapley``: the points of impact ratio
    the gap closes when the mechanism's shifts are removed (positive: the mechanism
    widens the gap), and ``ratio`` / ``ratio_without_all`` for the level at that stage.
    """

    chart = "groups:gap_attribution"

    def finding_for(self, attribute: str) -> str:
        """The finding for one attribute's largest gap."""
        return _attribution_finding(self._table, attribute)

    @property
    def focus(self) -> str:
        """The attribute (not an intersection) with the largest end-to-end gap."""
        rows = self._table[self._table["stage"] == END_TO_END]
        singles = rows[~rows["attribute"].str.contains(CELL_SEPARATOR, regex=False)]
        rows = singles if len(singles) else rows
        return str(rows.loc[rows["ratio"].idxmin(), "attribute"])


def gap_attribution(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    mechanisms: Sequence[str] | None = None,
    kernel: str = "numba",
) -> GapAttribution:
    """Remove each mechanism's group shifts on the same draws; how does the gap move?

    The impact ratio of a level at a stage is its selection rate there over the
    reference's (the level with the highest end-to-end hire rate with every shift in
    place), at each step of the funnel and end to end. For the ``m`` mechanisms (default:
    :func:`shifted_mechanisms`), every subset is simulated on the same seed (``2**m``
    runs, at most 64) for the Shapley values; the sequential one removes them in the
    order of :data:`~simfunnel.model.sections.GROUP_SHIFT_KEYS`.
    """
    mechanisms = list(mechanisms if mechanisms is not None else shifted_mechanisms(scenario))
    if not mechanisms:
        raise InputError("no group shift to attribute: every shift of groups: is 0")
    if len(mechanisms) > 6:
        raise InputError(f"at most 6 mechanisms at once (2^m runs), got {len(mechanisms)}")
    openings = openings or scenario.openings
    rates = {
        frozenset(subset): _stage_rates(without(scenario, subset), openings, seed, kernel)
        for r in range(len(mechanisms) + 1)
        for subset in itertools.combinations(mechanisms, r)
    }
    full = rates[frozenset()]
    rows = []
    steps = [stage for stage, _, _ in ATTRIBUTION_STEPS]
    for attribute in dict.fromkeys(a for a, _, _ in full):
        names = list(dict.fromkeys(n for a, n, _ in full if a == attribute))
        reference = max(names, key=lambda n: full[(attribute, n, END_TO_END)])
        for name, stage in itertools.product(names, steps):
            if name == reference:
                continue

            def ratio(
                removed: frozenset,
                level: str,
                stage: str = stage,
                attribute: str = attribute,
                reference: str = reference,
            ) -> float:
                return (
                    rates[removed][(attribute, level, stage)]
                    / rates[removed][(attribute, reference, stage)]
                )

            m = len(mechanisms)
            for j, mechanism in enumerate(mechanisms):
                before = frozenset(mechanisms[:j])
                sequential = ratio(before | {mechanism}, name) - ratio(before, name)
                shapley = 0.0
                others = [x for x in mechanisms if x != mechanism]
                for r in range(m):
                    weight = math.factorial(r) * math.factorial(m - r - 1) / math.factorial(m)
                    for subset in itertools.combinations(others, r):
                        s = frozenset(subset)
                        shapley += weight * (ratio(s | {mechanism}, name) - ratio(s, name))
                rows.append(
                    {
                        "attribute": attribute,
                        "level": name,
                        "reference": reference,
                        "stage": stage,
                        "mechanism": mechanism,
                        "label": MECHANISM_LABELS[mechanism],
                        "ratio": ratio(frozenset(), name),
                        "ratio_without_all": ratio(frozenset(mechanisms), name),
                        "sequential": sequential,
                        "shapley": shapley,
                    }
                )
    table = pd.DataFrame(rows)
    note = (
        f"{scenario.name.replace('_', ' ')} scenario · {openings:,} simulated openings, the "
        "same draws for every removal · points: end-to-end impact ratio x 100"
    )
    attribution = GapAttribution(table, "", note)
    attribution.finding = attribution.finding_for(attribution.focus) if len(table) else ""
    return attribution


def _attribution_finding(table: pd.DataFrame, attribute: str | None = None) -> str:
    table = table[table["stage"] == END_TO_END] if "stage" in table else table
    if table.empty:
        return "No gap to attribute"
    gaps = table.groupby(["attribute", "level"], sort=False)["ratio"].first()
    # The largest gap of one attribute (default the first, not an intersection).
    first = attribute or gaps.index.get_level_values(0)[0]
    attribute, level = gaps[gaps.index.get_level_values(0) == first].idxmin()
    rows = table[(table["attribute"] == attribute) & (table["level"] == level)]
    top = rows.sort_values("shapley", ascending=False).iloc[0]
    gap = 100 * (1 - top["ratio"])
    return (
        f"The {top['label']} accounts for {100 * top['shapley']:.0f} of the {gap:.0f} points "
        f"by which {level} applicants' hire rate trails {top['reference']}'s"
    )


# ------------------------------------------------------------------ the frontier
# Screening and interview designs of the validity-diversity trade-off (De Corte, Lievens &
# Sackett 2007): overrides of the scenario, by name.
DESIGNS: dict[str, dict[str, Any]] = {
    "as is": {},
    "valid CV screen": {"screening.validity": 0.5},
    "keyword screen": {"screening.alignment_weight": 1.0},
    "no keyword weight": {"screening.alignment_weight": 0.0},
    "structured panels": {
        "interview.rounds": 4,
        "interview.validity": 0.293,
        "interview.presence_share": 0.25,
    },
    "no culture weight": {"manager.affinity_weight": 0.0},
    "hiring bar": {"manager.hiring_bar": 0.0},
}


class Frontier(Output):
    """Mean value of a hire against the end-to-end impact ratio, design by design.

    Table: one row per design, with ``overrides`` (text), ``hire_value`` (mean realised
    value of a hire, SD units of quality) and its ``value_ci_low/high``, ``hires_per_opening``,
    ``impact_ratio`` of ``level`` against ``reference`` (end to end) with ``ci_low/high``,
    ``below_four_fifths`` and ``on_frontier`` (no other design has both a higher value and
    a higher ratio).
    """

    chart = "groups:frontier"

    def __init__(
        self,
        table: pd.DataFrame,
        finding: str,
        note: str,
        attribute: str,
        money_per_sd: float | None = None,
        currency: str = "$",
    ) -> None:
        super().__init__(table, finding, note)
        self.attribute = attribute
        # value.money_per_sd of the scenario: the chart shows a hire's value in money
        # where a salary is set, else as the percentile of applicants it equals.
        self.money_per_sd, self.currency = money_per_sd, currency


def design_frontier(
    scenario: Scenario,
    designs: dict[str, dict[str, Any]] | None = None,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    attribute: str | None = None,
    kernel: str = "numba",
) -> Frontier:
    """Simulate each design (overrides of ``scenario``) on the same seed: which designs buy
    hire quality without a gap?

    The impact ratio is that of the level with the lowest end-to-end hire rate of
    ``attribute`` (default: the one with the largest gap) in the scenario as it is, against
    the highest, so
    every design is judged on the same pair of levels.
    """
    designs = DESIGNS if designs is None else designs
    if scenario.groups is None:
        raise InputError("the scenario has no groups: section (the shipped affinity_bias has one)")
    if attribute is not None and attribute not in scenario.groups:
        raise InputError(f"--attribute: no attribute {attribute[:40]!r} in groups:")
    pair: tuple[str, str] | None = None
    rows = []
    for name, overrides in designs.items():
        design = scenario.with_overrides(overrides) if overrides else scenario
        values: list = []
        groups, counts = simulate_counts(
            design, openings, seed, kernel, values, good_interviews=False
        )
        by_attribute = attribute_counts(groups, counts)
        if attribute is None:  # the attribute with the largest gap as the scenario is
            attribute = min(scenario.groups, key=lambda a: _end_ratio(by_attribute[a][1]))
        names, level_counts = by_attribute[attribute]
        hired, applied = level_counts[:, HIRED], level_counts[:, 0]
        rates = hired.sum(axis=0) / applied.sum(axis=0)
        if pair is None:
            pair = (names[int(np.argmin(rates))], names[int(np.argmax(rates))])
        low_i, ref_i = names.index(pair[0]), names.index(pair[1])
        ratio = rates[low_i] / rates[ref_i]
        ci_low, ci_high = ratio_ci(
            hired[:, low_i], applied[:, low_i], hired[:, ref_i], applied[:, ref_i]
        )
        value = np.concatenate([v for v, _ in values])
        hires = np.concatenate([h for _, h in values]).astype(float)
        mean = value.sum() / hires.sum()
        residual = (value - mean * hires) / hires.sum()
        half = 1.959963984540054 * math.sqrt(len(value) / (len(value) - 1) * (residual**2).sum())
        rows.append(
            {
                "design": name,
                "overrides": ", ".join(f"{k}={v}" for k, v in overrides.items()) or "-",
                "hire_value": mean,
                "value_ci_low": mean - half,
                "value_ci_high": mean + half,
                "hires_per_opening": hires.mean(),
                "level": pair[0],
                "reference": pair[1],
                "impact_ratio": ratio,
                "ci_low": ci_low,
                "ci_high": ci_high,
                "below_four_fifths": bool(ratio < FOUR_FIFTHS),
            }
        )
    table = pd.DataFrame(rows)
    value, ratio = table["hire_value"].to_numpy(), table["impact_ratio"].to_numpy()
    table["on_frontier"] = [
        not ((value > value[i]) & (ratio > ratio[i])).any() for i in range(len(table))
    ]
    money, currency = scenario.value.money_per_sd, scenario.value.currency
    value_words = (
        "value: a hire's mean realised value over a random applicant's, discounted over the tenure"
        if money is not None
        else "value: the applicant percentile a hire's mean realised value equals"
    )
    note = (
        f"{scenario_label(scenario.name, 'scenario')} · {counts.shape[0]:,} simulated "
        f"openings per design, the same draws · impact ratio: {pair[0]} over {pair[1]}, "
        f"hired end to end · {value_words} · 95% CIs"
    )
    finding = _frontier_finding(table, money, currency)
    return Frontier(table, finding, note, attribute, money, currency)


def _end_ratio(level_counts: np.ndarray) -> float:
    """The lowest end-to-end hire rate of the levels over the highest."""
    rates = level_counts[:, HIRED].sum(axis=0) / level_counts[:, 0].sum(axis=0)
    return float(rates.min() / rates.max())


def _frontier_finding(
    table: pd.DataFrame, money_per_sd: float | None = None, currency: str = "$"
) -> str:
    base = table.iloc[0]
    fair = table["impact_ratio"] >= FOUR_FIFTHS
    reach = (
        f"{fair.sum()} design{'s' if fair.sum() != 1 else ''} reach four-fifths"
        if fair.any()
        else "none reaches four-fifths"
    )
    better = table[table["hire_value"] > base["hire_value"]]
    if better.empty:
        return f"No design raises the value of a hire; {reach}"
    best = better.sort_values("hire_value").iloc[-1]
    change = best["impact_ratio"] - base["impact_ratio"]
    # A change under 2 points of impact ratio is within a run's noise: called unchanged.
    if abs(change) < 0.02:
        effect = f"with the impact ratio unchanged ({best['impact_ratio']:.2f})"
    else:
        word = "raising" if change > 0 else "lowering"
        effect = (
            f"{word} the impact ratio to {best['impact_ratio']:.2f} (from "
            f"{base['impact_ratio']:.2f})"
        )
    if money_per_sd is not None:
        gain = money_words((best["hire_value"] - base["hire_value"]) * money_per_sd, currency)
        how = f"by {gain}"
    else:
        how = (
            f"from {hire_value_words(base['hire_value'], None)} to the "
            f"{applicant_percentile(best['hire_value'])}"
        )
    return f"{_capital(best['design'])} raises the value of a hire most, {how}, {effect}; {reach}"
