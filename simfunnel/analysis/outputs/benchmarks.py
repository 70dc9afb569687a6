"""The baseline against published figures (``simfunnel validate --benchmarks``)."""

from __future__ import annotations

import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.result import Result
from simfunnel.metrics import BENCHMARKS, METRICS, Benchmark, scenario_label
from simfunnel.model.scenario import Scenario

# Keys that say how much and how to simulate, not what the funnel is.
_RUN_KEYS = {"name", "description", "openings", "seed", "engine", "analysis"}


def has_baseline_parameters(scenario: Scenario) -> bool:
    """Whether ``scenario`` is the calibrated model: the shipped baseline's parameters
    (whatever its name, openings, seed or engine)."""
    from simfunnel.io.loader import load_scenario

    baseline = load_scenario("baseline")
    return scenario.model_dump(exclude=_RUN_KEYS) == baseline.model_dump(exclude=_RUN_KEYS)


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

    Table: ``figure, metric, kind, set_by, low, high, value, ci_low, ci_high, inside,
    judged, band, simulated, source``; ``inside`` is whether the value lies in the band,
    ``kind`` is ``input``, ``calibration`` or ``check`` (:class:`~simfunnel.metrics.Benchmark`)
    and ``judged`` whether a miss of this row is a failure for this scenario: every
    check, and the calibration targets of a scenario with the shipped baseline's
    parameters; inputs never. :attr:`failed` lists the judged rows outside their band.
    The composite validity of the interview process is computed from the scenario (no
    CI); every other value is a summary metric of the run.
    """

    chart = "benchmarks:draw_benchmarks"

    @classmethod
    def from_result(cls, result: Result) -> Benchmarks:
        summary = result.summary()
        calibrated = has_baseline_parameters(result.scenario)
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
                    "kind": benchmark.kind,
                    "set_by": ", ".join(benchmark.set_by),
                    "low": benchmark.low,
                    "high": benchmark.high,
                    "value": value,
                    "ci_low": low,
                    "ci_high": high,
                    "inside": benchmark.low <= value <= benchmark.high,
                    "judged": benchmark.kind == "check"
                    or (benchmark.kind == "calibration" and calibrated),
                    "band": _band(benchmark),
                    "simulated": _simulated(benchmark, value, low, high),
                    "source": benchmark.source,
                }
            )
        table = pd.DataFrame(rows)
        failed = table.loc[~table["inside"] & table["judged"], "figure"].tolist()
        moved = table.loc[~table["inside"] & ~table["judged"], "figure"].tolist()
        judged = int(table["judged"].sum())
        if failed:
            finding = f"{len(failed)} of {judged} judged published ranges are missed: " + (
                "; ".join(failed)
            )
        elif not moved:
            finding = f"The model lands inside all {len(table)} published ranges"
        else:
            every = "both" if judged == 2 else f"all {judged}"
            finding = f"The model lands inside {every} judged published ranges"
        if moved:
            finding += (
                f"; {len(moved)} {'row moves' if len(moved) == 1 else 'rows move'} by design "
                f"(an input or a calibration target this scenario changes): {'; '.join(moved)}"
            )
        openings = result.metadata.get("openings", len(result.openings))
        note = (
            f"{scenario_label(result.scenario.name, 'scenario')} · {openings:,} simulated "
            "openings · simulated value with its 95% CI against each published band"
        )
        return cls(table, finding, note)

    @property
    def failed(self) -> list[str]:
        """The judged rows outside their published band (``validate --benchmarks`` exits 3)."""
        table = self._table
        return table.loc[~table["inside"] & table["judged"], "figure"].tolist()

    def to_markdown(self) -> str:
        """The table as Markdown, for the README and the docs."""
        table = self._table
        lines = [
            "| Published figure | Row | Band | Simulated (95% CI) | Inside | Source |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in table.itertuples():
            inside = "yes" if row.inside else ("**no**" if row.judged else "no (not judged)")
            kind = {
                "input": f"input ({row.set_by})",
                "calibration": f"calibration ({row.set_by})",
                "check": "check",
            }[row.kind]
            lines.append(
                f"| {row.figure} | {kind} | {row.band} | {row.simulated} | {inside} "
                f"| {row.source} |"
            )
        return "\n".join(lines)
