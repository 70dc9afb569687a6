"""Where hires come from: each source's pass rates and hires per applicant (``sources:``).

For a scenario with ``sources:`` (:mod:`simfunnel.model.groups`: ``source`` is one more
attribute of an applicant's cell), :func:`source_table` simulates openings and reports per
source of external applicants, and for the internal contender:

- its share of applicants, and each stage's count per opening;
- the **screen pass rate** (shortlisted of applied) and the **hire rate** (hired of
  applied), as "1 in N", the form of recruiting benchmarks (Lever 2016: 1 in 16 referred
  candidates hired, 1 in 22 from agencies, 1 in 72 sourced, 1 in 152 who applied);
- the hire rate **against the applied source's**, with a 95% CI clustered by opening
  (:func:`simfunnel.analysis.audit.ratio_ci`), and the source's **share of hires**.

The pool is never drawn whole (the exact sampler draws the shortlist only), so a
source's applicants are its expected number, ``n * share``, as in
:mod:`simfunnel.analysis.groups`. The internal contender skips the CV screen: its
"applicants" are the openings it contends for.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfunnel.analysis.audit import ratio_ci
from simfunnel.analysis.groups import STAGES, level_counts, simulate_counts
from simfunnel.analysis.outputs.base import Output
from simfunnel.errors import InputError
from simfunnel.model.rng import SCENARIO_SEED, SeedLike
from simfunnel.model.scenario import Scenario

INTERNAL = "internal"
BASE_SOURCE = "applied"  # the source the others are compared with, when the scenario has it
COLUMNS = [
    "source",
    "applicant_share",
    "applicants_per_opening",
    "shortlisted_per_opening",
    "hires_per_opening",
    "screen_pass_rate",
    "hire_rate",
    "one_in",
    "vs_base",
    "vs_base_ci_low",
    "vs_base_ci_high",
    "hire_share",
]


class SourceTable(Output):
    """Each source's pass rates and hires per applicant; see :func:`source_table`."""

    chart = "sources:draw_sources"

    def __init__(self, table: pd.DataFrame, finding: str, note: str, base: str) -> None:
        super().__init__(table, finding, note)
        self.base = base  # the source every hire rate is compared with


def source_table(
    scenario: Scenario,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    kernel: str = "numba",
) -> SourceTable:
    """Simulate ``scenario`` (which has ``sources:``) and report each source's funnel.

    Parameters
    ----------
    openings : openings to simulate, in whole blocks of 1,000 (default: the scenario's);
        the openings are those of ``simfunnel run`` with the same seed.
    seed : the seed (default: the scenario's).

    Returns
    -------
    SourceTable
        One row per source (the scenario's order), then ``internal``; the columns of
        :data:`COLUMNS`. ``vs_base`` is the hire rate over that of ``applied`` (or of the
        first source when none is called so).
    """
    if scenario.sources is None:
        raise InputError("the scenario has no sources: section (the shipped referrals has one)")
    internals: list[np.ndarray] = []
    groups, counts = simulate_counts(
        scenario, openings, seed, kernel, good_interviews=False, internals=internals
    )
    names = list(groups.levels[groups.demographic])
    per_level = level_counts(groups, counts, groups.demographic)
    internal = np.concatenate(internals)  # (openings, 4): present, interviewed, offered, hired
    applied, shortlisted = STAGES.index("applied"), STAGES.index("shortlisted")
    hired = STAGES.index("hired")
    columns = {
        "applied": np.concatenate([per_level[:, applied], internal[:, :1]], axis=1),
        "shortlisted": np.concatenate([per_level[:, shortlisted], internal[:, :1]], axis=1),
        "hired": np.concatenate([per_level[:, hired], internal[:, 3:]], axis=1),
    }
    names.append(INTERNAL)
    base = names.index(BASE_SOURCE) if BASE_SOURCE in names else 0
    total_hires = columns["hired"].sum()
    n = counts.shape[0]
    rows = []
    for i, name in enumerate(names):
        a, s, h = (columns[k][:, i] for k in ("applied", "shortlisted", "hired"))
        rate = h.sum() / a.sum() if a.sum() > 0 else np.nan
        low, high = (np.nan, np.nan)
        if i != base:
            low, high = ratio_ci(h, a, columns["hired"][:, base], columns["applied"][:, base])
        base_rate = columns["hired"][:, base].sum() / columns["applied"][:, base].sum()
        rows.append(
            {
                "source": name,
                "applicant_share": np.nan if name == INTERNAL else groups_share(scenario, name),
                "applicants_per_opening": a.sum() / n,
                "shortlisted_per_opening": s.sum() / n,
                "hires_per_opening": h.sum() / n,
                "screen_pass_rate": s.sum() / a.sum() if a.sum() > 0 else np.nan,
                "hire_rate": rate,
                "one_in": 1 / rate if rate > 0 else np.inf,
                "vs_base": rate / base_rate if base_rate > 0 else np.nan,
                "vs_base_ci_low": low,
                "vs_base_ci_high": high,
                "hire_share": h.sum() / total_hires if total_hires > 0 else np.nan,
            }
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    note = (
        f"{scenario.name.replace('_', ' ')} scenario · {n:,} simulated openings · hire rate: "
        "hires per applicant of the source, 95% CIs clustered by opening"
    )
    return SourceTable(table, _finding(table, names[base]), note, names[base])


def groups_share(scenario: Scenario, name: str) -> float:
    assert scenario.sources is not None
    return scenario.sources[name].share


def _finding(table: pd.DataFrame, base: str) -> str:
    """E.g. "1 in 16 referred applicants is hired, against 1 in 150 who applied"."""
    external = table[table["source"] != INTERNAL]
    best = external.loc[external["hire_rate"].idxmax()]
    base_row = table[table["source"] == base].iloc[0]
    if best["source"] == base:
        return f"1 in {base_row['one_in']:,.0f} {base} applicants is hired"
    return (
        f"1 in {best['one_in']:,.0f} {best['source']} applicants is hired, "
        f"against 1 in {base_row['one_in']:,.0f} who {base}"
        if base == BASE_SOURCE
        else f"1 in {best['one_in']:,.0f} {best['source']} applicants is hired, "
        f"against 1 in {base_row['one_in']:,.0f} {base}"
    )
