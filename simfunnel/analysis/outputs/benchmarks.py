"""The baseline against published figures (``simfunnel validate --benchmarks``)."""

from __future__ import annotations

import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.result import Result
from simfunnel.metrics import BENCHMARKS, METRICS, Benchmark, scenario_label


def _format(benchmark: Benchmark, value: float) -> str:
    if benchmark.metric == "composite_validity":
        return f"{value:.2f}".removeprefix("0")
    return METRICS[benchmark.metric].format(value)


def _band(benchmark: Benchmark) -> str:
    """``17–28%``, ``36–44 days``, ``100–250``, ``.19–.25``."""
    low, high = benchmark.low, benchmark.high
    if benchmark.metric == "composite_validity":
        return f"{_format(benchmark, low)}–{_format(benchmark, high)}"
    unit = METRICS[benchmark.metric].unit
    if unit == "share":
        return f"{100 * low:g}–{100 * high:g}%"
    return f"{low:g}–{high:g}" + (" days" if unit == "days" else "")


def _simulated(benchmark: Benchmark, value: float, low: float, high: float) -> str:
    text = _format(benchmark, value)
    if benchmark.metric == "composite_validity":
        return text
    return f"{text} ({METRICS[benchmark.metric].format_interval(low, high)})"


class Benchmarks(Output):
    """Each published figure, its source and band, and the scenario's value with its 95% CI.

    Table: ``figure, metric, low, high, value, ci_low, ci_high, inside, band, simulated,
    source``; ``inside`` is whether the value lies in the band. The composite validity
    of the interview process is computed from the scenario (no CI); every other value
    is a summary metric of the run.
    """

    chart = "benchmarks:draw_benchmarks"

    @classmethod
    def from_result(cls, result: Result) -> Benchmarks:
        summary = result.summary()
        rows = []
        for benchmark in BENCHMARKS:
            if benchmark.metric == "composite_validity":
                value = low = high = result.scenario.interview.composite_validity
            else:
                value, low, high = (
                    float(v) for v in summary.loc[benchmark.metric, ["value", "ci_low", "ci_high"]]
                )
            rows.append(
                {
                    "figure": benchmark.label,
                    "metric": benchmark.metric,
                    "low": benchmark.low,
                    "high": benchmark.high,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "inside": benchmark.low <= value <= benchmark.high,
                    "band": _band(benchmark),
                    "simulated": _simulated(benchmark, value, low, high),
                    "source": benchmark.source,
                }
            )
        table = pd.DataFrame(rows)
        outside = table.loc[~table["inside"], "figure"].tolist()
        if outside:
            finding = f"{len(outside)} of {len(table)} published ranges are missed: " + (
                "; ".join(outside)
            )
        else:
            finding = f"The model lands inside all {len(table)} published ranges"
        openings = result.metadata.get("openings", len(result.openings))
        note = (
            f"{scenario_label(result.scenario.name, 'scenario')} · {openings:,} simulated "
            "openings · simulated value with its 95% CI against each published band"
        )
        return cls(table, finding, note)

    def to_markdown(self) -> str:
        """The table as Markdown, for the README and the docs."""
        table = self._table
        lines = [
            "| Published figure | Band | Simulated (95% CI) | Inside | Source |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in table.itertuples():
            inside = "yes" if row.inside else "**no**"
            lines.append(
                f"| {row.figure} | {row.band} | {row.simulated} | {inside} | {row.source} |"
            )
        return "\n".join(lines)
