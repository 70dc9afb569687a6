"""The comparison of scenarios: each variant minus the baseline, with its 95% CI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.outputs.rates import RANGE_NOTE
from simfunnel.analysis.summary import MIN_DIFFERING
from simfunnel.metrics import METRICS, label, metric
from simfunnel.metrics.labels import scenario_label as _plain_name

COMPARE_METRICS = (
    "offer_rate_interviewed",
    "top_interview_offer_rate",
    "good_interview_offer_rate",
    "best_interviewee_hired_rate",
    "internal_win_rate",
    "hire_rate",
    "cancel_rate",
    "microscopic_margin_rate",
    "bad_hire_rate",
)
"""The headline rates a comparison shows by default (all shares, so one axis in points)."""

DIFFERENCE_COLUMNS = (
    "scenario",
    "baseline",
    "metric",
    "label",
    "baseline_value",
    "value",
    "difference",
    "ci_low",
    "ci_high",
    "paired",
    "differing_openings",
)


def scenario_label(name: str) -> str:
    """A scenario name for a slide: ``risk_averse`` -> ``risk averse``; settings that
    overrides changed in plain words (:func:`simfunnel.metrics.labels.scenario_label`)."""
    return _plain_name(name)


class Differences(Output):
    """Each scenario minus the first, per metric, with a 95% CI.

    Built from what :func:`simfunnel.compare` returns (:meth:`from_comparison`: the
    paired CIs, per opening, that common random numbers make narrow) or from a list of
    results (:meth:`from_results`: CIs of independent runs, wider). A paired CI is left
    out (NaN) when fewer than ``MIN_DIFFERING`` openings differ; the chart then shows
    the point alone.

    Attributes
    ----------
    labels : list of str
        Scenario labels, the baseline first.
    openings : list of int
        Simulated openings per scenario.
    metrics : list of str
        Metric names, in the order drawn.
    paired : bool
        Whether the CIs are paired (from :func:`simfunnel.compare`).
    """

    chart = "compare:draw_differences"

    def __init__(
        self,
        table: pd.DataFrame,
        finding: str,
        note: str = "",
        *,
        labels: Sequence[str] = (),
        openings: Sequence[int] = (),
        metrics: Sequence[str] = (),
        paired: bool = True,
    ) -> None:
        super().__init__(table, finding, note)
        self.labels = list(labels)
        self.openings = list(openings)
        self.metrics = list(metrics)
        self.paired = paired

    @property
    def withheld(self) -> int:
        """Differences shown without a CI (too few differing openings for a paired one)."""
        return int(self._table["ci_low"].isna().sum())

    @classmethod
    def from_comparison(
        cls,
        comparison: Any,
        *,
        labels: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> Differences:
        """From :class:`simfunnel.analysis.explore.Comparison`: its paired differences."""
        results = list(comparison.results)
        names = [r.scenario.name for r in results]
        labels = _labels(results, labels)
        wanted = _metrics(results, metrics)
        frame = comparison.differences
        rows = []
        for i in range(1, len(results)):
            own = frame[frame["scenario"] == f"{names[i]} - {names[0]}"].set_index("metric")
            for name in wanted:
                if name not in own.index:
                    continue
                row = own.loc[name]
                ci = (row["difference"], row["ci_low"], row["ci_high"])
                ranges = (row.get("param_low", np.nan), row.get("param_high", np.nan))
                differing = int(row["differing_openings"])
                rows.append([*_row(results, labels, i, name, *ci, True, differing), *ranges])
        return cls._build(results, labels, wanted, rows, paired=True)

    @classmethod
    def from_results(
        cls,
        results: Sequence[Any],
        *,
        labels: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> Differences:
        """From results alone: differences of their summaries, CIs as for independent
        runs (half-widths added in quadrature; wider than paired ones)."""
        results = list(results)
        labels = _labels(results, labels)
        wanted = _metrics(results, metrics)
        summaries = [r.summary() for r in results]
        rows = []
        for i in range(1, len(results)):
            for name in wanted:
                a, b = summaries[i].loc[name], summaries[0].loc[name]
                half = np.hypot((a.ci_high - a.ci_low) / 2, (b.ci_high - b.ci_low) / 2)
                difference = a.value - b.value
                rows.append(
                    _row(
                        results,
                        labels,
                        i,
                        name,
                        difference,
                        difference - half,
                        difference + half,
                        False,
                        -1,
                    )
                )
        return cls._build(results, labels, wanted, rows, paired=False)

    @classmethod
    def _build(
        cls, results: list, labels: list[str], wanted: list[str], rows: list, *, paired: bool
    ) -> Differences:
        columns = list(DIFFERENCE_COLUMNS)
        if rows and len(rows[0]) > len(columns):  # with parameter uncertainty: the ranges
            columns += ["param_low", "param_high"]
        table = pd.DataFrame(rows, columns=columns)
        if "param_low" in table and table["param_low"].isna().all():
            table = table.drop(columns=["param_low", "param_high"])
        table = table.dropna(subset=["difference"]).reset_index(drop=True)
        if table.empty:
            raise ValueError("no metric has a value in every scenario")
        openings = [int(r.metadata.get("openings", len(r.openings))) for r in results]
        drawn = [m for m in wanted if m in set(table["metric"])]
        finding = differences_finding(table)
        note = _note(labels, openings, paired, int(table["ci_low"].isna().sum()))
        if "param_low" in table:
            note += f"\n{RANGE_NOTE} (the same parameter draws for every scenario)"
        return cls(
            table, finding, note, labels=labels, openings=openings, metrics=drawn, paired=paired
        )


def _labels(results: list, labels: Sequence[str] | None) -> list[str]:
    if len(results) < 2:
        raise ValueError("a comparison needs at least two results (the first is the baseline)")
    labels = (
        list(labels) if labels is not None else [scenario_label(r.scenario.name) for r in results]
    )
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} results")
    return labels


def _metrics(results: list, metrics: Sequence[str] | None) -> list[str]:
    names = list(COMPARE_METRICS if metrics is None else metrics)
    for name in names:
        metric(name)  # a clear error for an unknown name
    units = {METRICS[name].unit for name in names}
    if len(units) > 1:
        raise ValueError(
            f"metrics compared on one axis must share a unit; {', '.join(names)} mix them"
        )
    return [m for m in names if all(m in r.summary().index for r in results)]


def _row(results, labels, i, name, difference, low, high, paired, differing) -> list:
    base = results[0].summary()["value"].get(name, np.nan)
    value = results[i].summary()["value"].get(name, np.nan)
    return [labels[i], labels[0], name, label(name), base, value, difference, low, high,
            paired, differing]  # fmt: skip


MAX_FINDING_CHARS = 80


def differences_finding(table: pd.DataFrame) -> str:
    """The sentence the differences support: the largest one a CI confirms, or none."""
    confirmed = table[(table["ci_low"] > 0) | (table["ci_high"] < 0)]
    if confirmed.empty:
        scenarios = list(dict.fromkeys(table["scenario"]))
        return (
            f"{_join(scenarios).capitalize()} and {table['baseline'].iloc[0]} differ by no "
            "more than chance on any of these rates"
        )
    # The metrics share a unit (checked on input), so their differences compare directly.
    row = confirmed.loc[confirmed["difference"].abs().idxmax()]
    entry = METRICS[row["metric"]]
    direction = "higher" if row["difference"] > 0 else "lower"
    scale, unit = (100, " points") if entry.is_share else (1, " SD" if entry.unit == "sd" else "")
    amount = f"{scale * abs(row['difference']):.1f}{unit}"
    core = (
        f"{row['scenario'].capitalize()}: {entry.label[:1].lower()}{entry.label[1:]} is "
        f"{amount} {direction}"
    )
    values = f" ({entry.format(row['value'])} vs {entry.format(row['baseline_value'])})"
    # The values only while the title stays within two lines beside the metric labels.
    return core + values if len(core + values) <= MAX_FINDING_CHARS else core


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _note(labels: list[str], openings: list[int], paired: bool, withheld: int) -> str:
    counts = list(dict.fromkeys(openings))
    size = f"{counts[0]:,}" if len(counts) == 1 else ", ".join(f"{n:,}" for n in openings)
    if paired:
        how = f"each scenario minus {labels[0]} on the same {size} simulated openings"
        bars = "95% paired CIs"
    else:
        how = f"each scenario minus {labels[0]} · {size} simulated openings"
        bars = "95% CIs of independent runs (sf.compare pairs them: narrower)"
    note = f"{how} · {bars}"
    if withheld:
        note += (
            f"\nhollow dots: no CI ({withheld} difference{'s' if withheld > 1 else ''} "
            f"learnt from fewer than {MIN_DIFFERING} openings that differ)"
        )
    return note
