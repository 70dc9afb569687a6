"""A bias audit: selection rates by group at every stage of the funnel, and their tests.

For each attribute (and, with two, their intersection), each stage and each level:

- the **selection rate**: of the applications that reached the stage before, the share
  that reached this one (``end to end``: of all applications, the share hired);
- the **impact ratio**: the rate over the highest rate among the levels large enough to
  test (the reference), with a 95% CI clustered by requisition (applicants to one
  opening compete for its places, so they are not independent; openings are);
- the **four-fifths flag**: an impact ratio below 0.8 (US Uniform Guidelines on Employee
  Selection Procedures, 29 CFR 1607.4D);
- tests of the level against the reference on the 2x2 table: Fisher's exact test (two
  sided, as SciPy computes it), its mid-P version (Lancaster 1961: half the probability
  of the observed table, doubled one-sided; less conservative than Fisher's at small
  counts) and the pooled two-proportion z test (as statsmodels' ``proportions_ztest``);
- the **shortfall**: selections the level would have at the reference's rate, minus its own.

A level is tested only when its expected selections and rejections at the stage's
pooled rate are both at least :data:`MIN_EXPECTED` (Cochran's rule for the normal
approximation of the z test, Cochran 1954). Below that even Fisher's exact test has
almost no power against a four-fifths gap, so a small level is reported with its
counts and "too few to test", never as free of impact.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import fisher_exact, hypergeom

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.summary import Z_95
from simfunnel.io.audit_table import STAGES, ApplicationTable

FOUR_FIFTHS = 0.8  # 29 CFR 1607.4D: a rate under four-fifths of the highest is evidence of impact
MIN_EXPECTED = 5.0  # Cochran (1954): expected count per cell for the z test's approximation
ALPHA = 0.05
END_TO_END = "end to end"
GOOD_STAGE = "good interviews offered"  # a simulated funnel's: of good interviews, offered
INTERSECTION = " × "
COLUMNS = [
    "attribute",
    "level",
    "stage",
    "of",
    "considered",
    "selected",
    "rate",
    "reference",
    "impact_ratio",
    "ci_low",
    "ci_high",
    "below_four_fifths",
    "shortfall",
    "fisher_p",
    "mid_p",
    "z",
    "z_p",
    "tested",
    "verdict",
]


# ----------------------------------------------------------------- tests on 2x2 counts
def fisher_p(selected: int, considered: int, ref_selected: int, ref_considered: int) -> float:
    """Two-sided Fisher exact p of a level against the reference (SciPy's definition)."""
    table = [
        [selected, considered - selected],
        [ref_selected, ref_considered - ref_selected],
    ]
    return float(fisher_exact(table, alternative="two-sided").pvalue)


def mid_p(selected: int, considered: int, ref_selected: int, ref_considered: int) -> float:
    """Two-sided mid-P of Fisher's test: twice the smaller one-sided mid-P, at most 1.

    Conditioning on the margins, the level's selections are hypergeometric; the one-sided
    mid-P counts half the probability of the observed table (Lancaster 1961).
    """
    total, chosen = considered + ref_considered, selected + ref_selected
    law = hypergeom(total, chosen, considered)
    at = float(law.pmf(selected))
    lower = float(law.cdf(selected)) - 0.5 * at
    upper = float(law.sf(selected)) + 0.5 * at
    return float(min(1.0, 2 * min(lower, upper)))


def two_proportion_z(
    selected: int, considered: int, ref_selected: int, ref_considered: int
) -> tuple[float, float]:
    """Pooled two-proportion z of the level against the reference, and its two-sided p."""
    pooled = (selected + ref_selected) / (considered + ref_considered)
    se = np.sqrt(pooled * (1 - pooled) * (1 / considered + 1 / ref_considered))
    if se == 0:
        return float("nan"), float("nan")
    z = (selected / considered - ref_selected / ref_considered) / se
    return float(z), float(2 * ndtr(-abs(z)))


def ratio_ci(
    selected: np.ndarray,
    considered: np.ndarray,
    ref_selected: np.ndarray,
    ref_considered: np.ndarray,
) -> tuple[float, float]:
    """95% CI of the ratio of two rates, clustered: arrays are per cluster (requisition).

    Each rate is a ratio of cluster totals; the delta method on the log ratio gives the
    residual ``(a_c - r n_c) / A`` per cluster for each rate, and the variance is the
    sum of squared differences of residuals times ``C / (C - 1)`` over the ``C``
    clusters. With one application per cluster this is the Katz log interval. NaN when
    either rate is 0 or there are fewer than two clusters.
    """
    a, n, b, m = (
        np.asarray(x, dtype=float) for x in (selected, considered, ref_selected, ref_considered)
    )
    total_a, total_b = a.sum(), b.sum()
    used = (n + m) > 0
    clusters = int(used.sum())
    if total_a == 0 or total_b == 0 or clusters < 2:
        return float("nan"), float("nan")
    rate_a, rate_b = total_a / n.sum(), total_b / m.sum()
    residual = (a - rate_a * n) / total_a - (b - rate_b * m) / total_b
    variance = clusters / (clusters - 1) * float(np.sum(residual[used] ** 2))
    if variance == 0:  # both rates 0 or 1 in every cluster: the interval says nothing
        return float("nan"), float("nan")
    log_ratio = np.log(rate_a / rate_b)
    half = Z_95 * np.sqrt(variance)
    return float(np.exp(log_ratio - half)), float(np.exp(log_ratio + half))


# ----------------------------------------------------------------- the table
def compare_levels(
    cluster: np.ndarray,
    level: np.ndarray,
    considered: np.ndarray,
    selected: np.ndarray,
    *,
    min_expected: float = MIN_EXPECTED,
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Selection rates, impact ratios and tests of every level at one stage.

    Parameters
    ----------
    cluster : ndarray, shape (applications,)
        The requisition (opening) of each application, for the clustered CI.
    level : ndarray, shape (applications,)
        Each application's level of the attribute.
    considered, selected : ndarray of bool, shape (applications,)
        Whether the application reached the stage before, and this one.

    Returns
    -------
    DataFrame
        One row per level: the columns of :data:`COLUMNS` from ``level`` on, but the stage.
    """
    considered = np.asarray(considered, dtype=bool)
    selected = np.asarray(selected, dtype=bool) & considered
    frame = pd.DataFrame(
        {
            "cluster": np.asarray(cluster)[considered],
            "level": np.asarray(level)[considered],
            "selected": selected[considered].astype(np.int64),
        }
    )
    levels = sorted(pd.unique(np.asarray(level)))
    per_cluster = (
        frame.groupby(["level", "cluster"], observed=True)["selected"]
        .agg(["sum", "size"])
        .unstack("level", fill_value=0)
    )
    chosen = frame.groupby("level")["selected"].sum().reindex(levels, fill_value=0)
    counts = frame.groupby("level").size().reindex(levels, fill_value=0)
    pooled = chosen.sum() / counts.sum() if counts.sum() else np.nan
    rates = (chosen / counts.where(counts > 0)).astype(float)
    testable = (counts * pooled >= min_expected) & (counts * (1 - pooled) >= min_expected)
    candidates = rates[testable] if testable.any() else rates.dropna()
    reference = candidates.idxmax() if len(candidates) and candidates.max() > 0 else None
    rows = []
    for name in levels:
        n, a = int(counts[name]), int(chosen[name])
        row: dict[str, Any] = {
            "level": name,
            "considered": n,
            "selected": a,
            "rate": rates[name],
            "reference": reference,
        }
        row.update(
            dict.fromkeys(
                ["impact_ratio", "ci_low", "ci_high", "shortfall", "fisher_p", "mid_p", "z", "z_p"],
                np.nan,
            )
        )
        row["below_four_fifths"], row["tested"] = False, False
        if n == 0:
            row["verdict"] = "none reached the stage before"
        elif reference is None:
            row["verdict"] = "nobody selected: no ratio"
        else:
            m, b = int(counts[reference]), int(chosen[reference])
            ratio = rates[name] / rates[reference]
            row["impact_ratio"] = ratio
            row["below_four_fifths"] = bool(ratio < FOUR_FIFTHS)
            row["shortfall"] = n * rates[reference] - a
            both = bool(testable[name] and testable[reference])
            if name != reference and both:
                row["ci_low"], row["ci_high"] = ratio_ci(
                    _column(per_cluster, "sum", name),
                    _column(per_cluster, "size", name),
                    _column(per_cluster, "sum", reference),
                    _column(per_cluster, "size", reference),
                )
            expected = n * min(pooled, 1 - pooled)
            row["verdict"] = _verdict(
                name == reference,
                bool(testable[name]),
                bool(testable[reference]),
                expected,
                min_expected,
            )
            if name != reference and both:
                row["tested"] = True
                row["fisher_p"] = fisher_p(a, n, b, m)
                row["mid_p"] = mid_p(a, n, b, m)
                row["z"], row["z_p"] = two_proportion_z(a, n, b, m)
                row["verdict"] = _tested_verdict(ratio, row["fisher_p"], alpha)
        rows.append(row)
    return pd.DataFrame(rows)


def _column(per_cluster: pd.DataFrame, what: str, level: Any) -> np.ndarray:
    if (what, level) not in per_cluster.columns:
        return np.zeros(len(per_cluster))
    return per_cluster[(what, level)].to_numpy(dtype=float)


def _verdict(
    is_reference: bool,
    testable: bool,
    reference_testable: bool,
    expected: float,
    min_expected: float,
) -> str:
    if is_reference:
        return "reference (highest rate of the levels tested)"
    if not testable:
        return f"too few to test ({expected:.1f} expected, under {min_expected:g})"
    if not reference_testable:
        return "no reference large enough to test against"
    return ""


def _tested_verdict(ratio: float, p: float, alpha: float) -> str:
    below = ratio < FOUR_FIFTHS
    significant = p < alpha
    if below and significant:
        return "below four-fifths, significant"
    if below:
        return "below four-fifths, not significant"
    if significant:
        return "significant gap, above four-fifths"
    return "not flagged"


def stage_steps(stages: Sequence[str]) -> list[tuple[str, str]]:
    """(stage, the stage before) for each recorded stage after applied, then end to end."""
    steps = [(stage, before) for before, stage in itertools.pairwise(stages)]
    if len(stages) > 2:
        steps.append((END_TO_END, stages[0]))
    return steps


def audit(
    data: ApplicationTable, *, min_expected: float = MIN_EXPECTED, alpha: float = ALPHA
) -> AuditResult:
    """Audit a per-application table: every stage, every attribute and their intersection.

    Parameters
    ----------
    data : a checked table (:func:`simfunnel.io.audit_table.read_applications`).
    min_expected : a level is tested when its expected selections and rejections at the
        stage's pooled rate are at least this (default 5, Cochran's rule).
    alpha : the significance level of the verdicts (default 0.05).
    """
    frame = data.frame
    attributes: dict[str, np.ndarray] = {g: frame[g].to_numpy(dtype=object) for g in data.groups}
    if len(data.groups) == 2:
        first, second = data.groups
        name = f"{first}{INTERSECTION}{second}"
        attributes[name] = (frame[first] + INTERSECTION + frame[second]).to_numpy(dtype=object)
    reached = frame["reached"].to_numpy()
    cluster = frame["requisition"].to_numpy(dtype=object)
    tables = []
    for stage, before in stage_steps(data.stages):
        target = data.stages[-1] if stage == END_TO_END else stage
        considered = reached >= STAGES.index(before)
        selected = reached >= STAGES.index(target)
        for attribute, level in attributes.items():
            table = compare_levels(
                cluster, level, considered, selected, min_expected=min_expected, alpha=alpha
            )
            table.insert(0, "attribute", attribute)
            table.insert(2, "stage", stage)
            table.insert(3, "of", before)
            tables.append(table)
    table = pd.concat(tables, ignore_index=True)[COLUMNS]
    order = {a: i for i, a in enumerate(attributes)}
    table = table.sort_values("attribute", key=lambda s: s.map(order), kind="stable")
    table = table.reset_index(drop=True)
    note = (
        f"{data.applications:,} applications to {data.requisitions:,} requisitions · "
        f"rate: share of those at the stage before who reach the stage · impact ratio: rate "
        f"over the highest rate; 95% CIs clustered by requisition"
    )
    findings = [_finding(table, a) for a in attributes]
    # The first attribute with a confirmed gap (single attributes before their intersection).
    finding = next((f for f in findings if "Fisher" in f), findings[0])
    return AuditResult(table, finding, note, tuple(attributes), data.stages[-1])


def _finding(table: pd.DataFrame, attribute: str | None = None) -> str:
    """The worst gap the tests confirm, else the worst four-fifths flag, in one sentence."""
    rows = table if attribute is None else table[table["attribute"] == attribute]
    if rows.empty:
        return "Nothing to audit"
    flagged = rows[rows["below_four_fifths"] & rows["tested"]]
    confirmed = flagged[flagged["fisher_p"] < ALPHA]
    untested = int((~rows["tested"] & (rows["level"] != rows["reference"])).sum())
    pick = confirmed if len(confirmed) else flagged
    scope = f" of {attribute}" if attribute else ""
    if pick.empty:
        words = f"No level{scope} is selected at under four-fifths of the highest rate"
        words += " at any stage where it could be tested"
        if untested:
            words += f" ({untested} level-stage{'s' if untested > 1 else ''} too few to test)"
        return words
    # The end-to-end gap first (what a hire audit asks), else the largest gap.
    end = pick[pick["stage"] == END_TO_END]
    row = (end if len(end) else pick).sort_values("impact_ratio").iloc[0]
    p = row["fisher_p"]
    evidence = f"Fisher p = {p:.2g}" if p >= 0.001 else "Fisher p < 0.001"
    step = step_words(row["stage"], row["of"])
    return (
        f"Applicants with {row['attribute']} {row['level']} are {step} at "
        f"{row['impact_ratio']:.2f} times the rate of {row['reference']} ({evidence})"
    )


VERBS = {"offered": "offered the job", END_TO_END: "hired, end to end,"}


def step_words(stage: str, before: str) -> str:
    """A stage as the verb of a finding: ``"offered the job once interviewed"``."""
    verb = VERBS.get(stage, stage)
    return verb if before == "applied" else f"{verb} once {before}"


class AuditResult(Output):
    """A bias audit: the table a bias audit asks for, stage by stage, and its finding.

    Attributes
    ----------
    table : DataFrame
        One row per attribute, stage and level: the columns of :data:`COLUMNS`.
    attributes : tuple of str
        The attributes audited (with two, the intersection last).
    last_stage : str
        The furthest stage the data record (the end-to-end outcome).
    """

    chart = "audit:selection_rates"
    file_stem = "audit"  # audit.csv and audit.md

    def __init__(
        self,
        table: pd.DataFrame,
        finding: str,
        note: str,
        attributes: tuple[str, ...],
        last_stage: str = "hired",
    ) -> None:
        super().__init__(table, finding, note)
        self.attributes = attributes
        self.last_stage = last_stage

    @property
    def table(self) -> pd.DataFrame:
        """The audit table (a copy)."""
        return self.to_df()

    def finding_for(self, attribute: str) -> str:
        """The finding for one attribute (the title of its chart)."""
        return _finding(self._table, attribute)

    @property
    def focus(self) -> str:
        """The attribute the finding is about: what the chart draws by default."""
        return next(
            (a for a in self.attributes if self.finding_for(a) == self.finding),
            self.attributes[0],
        )

    def summary(self) -> str:
        """The audit as text: one block per attribute, one line per stage and level."""
        lines = [self.finding, self.note, ""]
        header = (
            f"{'stage':<28}{'level':<22}{'n':>12}{'rate':>8}{'ratio':>7}  "
            f"{'95% CI':<13}{'Fisher p':>9}{'mid-P':>8}  verdict"
        )
        for attribute in self.attributes:
            rows = self._table[self._table["attribute"] == attribute]
            lines += [f"{attribute}:", header]
            for _, row in rows.iterrows():
                stage = row["stage"]
                if stage not in (END_TO_END, GOOD_STAGE):
                    stage = f"{stage} of {row['of']}"
                ci = ""
                if np.isfinite(row["ci_low"]):
                    ci = f"{row['ci_low']:.2f}-{row['ci_high']:.2f}"
                lines.append(
                    f"{stage:<28}{str(row['level'])[:21]:<22}{row['considered']:>12,.0f}"
                    f"{_number(row['rate'], percent=True):>8}{_number(row['impact_ratio']):>7}  "
                    f"{ci:<13}{_number(row['fisher_p'], p=True):>9}"
                    f"{_number(row['mid_p'], p=True):>8}  {row['verdict']}"
                )
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``<file_stem>.csv`` (the table) and ``.md`` (the summary) into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        csv, text = directory / f"{self.file_stem}.csv", directory / f"{self.file_stem}.md"
        self._table.to_csv(csv, index=False, float_format="%.6g")
        text.write_text("```\n" + self.summary() + "```\n")
        return [csv, text]


def _number(value: float, *, percent: bool = False, p: bool = False) -> str:
    if not np.isfinite(value):
        return ""
    if percent:
        return f"{100 * value:.1f}%"
    if p:
        return "<0.001" if value < 0.001 else f"{value:.3f}"
    return f"{value:.2f}"
