"""The speaker notes of a deck: the numbers with their 95% CIs, the definitions of the
words on the slide and where the values behind each chart come from (plain text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from simfunnel import __version__
from simfunnel.analysis.outputs import (
    Differences,
    FeltVsActual,
    Funnel,
    LossReasons,
    Margins,
    OfferProbability,
    Output,
    Seasonality,
)
from simfunnel.analysis.outputs.compare import scenario_label
from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import FUNNEL_STAGES
from simfunnel.metrics import (
    LOSS_REASONS,
    METHOD_DEFINITIONS,
    METRICS,
    key_label,
    ordinal,
    setting_value,
)
from simfunnel.model.scenario import Scenario, describe_keys


def _pct(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f}%"


def _ci(low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no CI"
    return f"95% CI {100 * low:.1f}–{100 * high:.1f}%"


def _rate_line(text: str, row: Any, value: str = "rate") -> str:
    interval = _ci(float(row.ci_low), float(row.ci_high))
    return f"- {text}: {_pct(float(getattr(row, value)))} ({interval})"


def table_lines(output: Output) -> list[str]:
    """The chart's own table, a line per row, each number with its 95% CI."""
    table = output.to_df()
    lines: list[str] = []
    if isinstance(output, Funnel):
        for i, row in enumerate(table.itertuples()):
            # Digits enough that the ends differ (175–175 would read as no uncertainty); a
            # count the scenario fixes (the same in every opening) has no interval.
            digits = next((d for d in (3, 4, 5) if f"{row.ci_low:.{d}g}" != f"{row.ci_high:.{d}g}"),
                          None)  # fmt: skip
            interval = (
                f"95% CI {row.ci_low:.{digits}g}–{row.ci_high:.{digits}g}"
                if digits is not None
                else "the same in every opening"
            )
            line = f"- {row.label}: {row.count_per_opening:.3g} per opening ({interval})"
            if i:
                line += f", {_pct(row.rate)} of the stage before"
            lines.append(line)
    elif isinstance(output, LossReasons):
        for method, rows in table.groupby("method_label", sort=False):
            lines.append(f"{method}, share of good interviews that got no offer:")
            lines += [_rate_line(row.label, row, "share") for row in rows.itertuples()]
    elif isinstance(output, OfferProbability) and getattr(output, "by", "rank") == "rank":
        for ranked_by, rows in table.groupby("ranked_by", sort=False):
            lines.append(f"Chance of an offer by rank in the slate, ranked by {ranked_by}:")
            lines += [_rate_line(f"rank {row.rank}", row) for row in rows.itertuples()]
    elif isinstance(output, OfferProbability):
        lines.append(
            "Chance of an offer per interview, by true quality (percentile of applicants):"
        )
        lines += [
            _rate_line(f"{row.low:g}–{row.high:g}th percentile", row) for row in table.itertuples()
        ]
    elif isinstance(output, Margins):
        lines.append(
            f"- Decided by a lead under {output.band:g} of the usual spread of scores: "
            f"{_pct(output.rate)} ({_ci(output.ci_low, output.ci_high)}) of "
            f"{output.decisions:,} decisions"
        )
        within = table[table["high"] <= 10 * output.band + 1e-12]["share"].sum()
        lines.append(
            f"- Decided by a lead under {10 * output.band:g} of the usual spread: {_pct(within)}"
        )
    elif isinstance(output, Seasonality):
        lines.append("Roles cancelled, by the quarter they were posted in:")
        lines += [_rate_line(row.period, row) for row in table.itertuples()]
    elif isinstance(output, FeltVsActual):
        for label, rows in table.groupby("label", sort=False):
            lines.append(f"{label}, by how well the interview felt (percentile of interviewees):")
            lines += [
                _rate_line(f"{row.low:g}–{row.high:g}%", row)
                for row in rows.itertuples()
                if np.isfinite(row.rate)
            ]
    return lines


def difference_lines(output: Differences) -> list[str]:
    lines = []
    for row in output.to_df().itertuples():
        entry = METRICS[row.metric]
        difference = entry.format_difference(row.difference)
        if np.isfinite(row.ci_low):
            interval = (
                f"95% CI {entry.format_difference(row.ci_low)} to "
                f"{entry.format_difference(row.ci_high)}"
            )
        elif row.differing_openings == 0:
            interval = "identical on every opening, so no CI"
        else:
            interval = f"no CI: only {row.differing_openings} openings differ"
        lines.append(
            f"- {entry.label}: {difference} ({interval}); {row.baseline} "
            f"{entry.format(row.baseline_value)}, {row.scenario} {entry.format(row.value)}"
        )
    return lines


def _metric_lines(result: Result | None, names: Sequence[str]) -> list[str]:
    if result is None:
        return []
    summary = result.summary()
    lines = []
    for name in names:
        if name not in summary.index:
            continue
        entry, row = METRICS[name], summary.loc[name]
        interval = entry.format_interval(row.ci_low, row.ci_high)
        line = f"- {entry.label}: {entry.format(row.value)}"
        line += f" (95% CI {interval})" if interval else ""
        if entry.benchmark:
            line += f"; published: {entry.benchmark}"
        lines.append(line)
    return lines


def _definitions(output: Output, names: Sequence[str]) -> list[str]:
    lines = [f"- {METRICS[n].label}: {METRICS[n].definition}" for n in names if n in METRICS]
    if isinstance(output, LossReasons):
        table = output.to_df()
        for method in dict.fromkeys(table["method"]):
            lines.append(f"- {table.loc[table['method'] == method, 'method_label'].iloc[0]}: "
                         f"{METHOD_DEFINITIONS[method]}")  # fmt: skip
        lines += [
            f"- {LOSS_REASONS[r].label}: {LOSS_REASONS[r].definition}"
            for r in dict.fromkeys(table["reason"])
        ]
    return lines


def show_value(value: Any) -> str:
    """A scenario value as a scenario file writes it (for the appendix's notes); slides
    show :func:`simfunnel.metrics.setting_value` instead (rounded)."""
    if hasattr(value, "low") and hasattr(value, "high"):
        return f"{value.low}–{value.high}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {show_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(show_value(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _value(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _key_descriptions() -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in describe_keys()}


def changed_keys(base: Scenario, other: Scenario) -> list[str]:
    """The scenario keys whose values differ between two scenarios, in schema order."""
    skip = {"name", "description", "openings", "seed"}
    return [
        row["key"]
        for row in describe_keys()
        if row["key"] not in skip and _value(base, row["key"]) != _value(other, row["key"])
    ]


def slide_notes(
    output: Output,
    numbers: list[str],
    metrics: Sequence[str],
    result: Result | None,
    keys: Sequence[str] = (),
    *,
    changes: Sequence[str] = (),
    scenarios: tuple[Scenario, Scenario] | None = None,
) -> str:
    """What a speaker says (the finding, then the chart's note in sentences) and the
    numbers with their 95% CIs. Definitions of the words and the settings behind the
    values are in the appendix slide's notes (:func:`appendix_notes`), not here; ``keys``
    is accepted for the callers that name them."""
    said = [line.strip() for line in output.note.split("\n") if line.strip()]
    parts = ["SAY", output.finding + ".", *[f"{line[:1].upper()}{line[1:]}." for line in said]]
    parts += ["", "THE NUMBERS (95% confidence intervals)"]
    parts += numbers + _metric_lines(result, [m for m in metrics if m not in _in_numbers(output)])
    if scenarios is not None:
        base, other = scenarios
        parts += ["", f"WHAT {scenario_label(other.name).upper()} CHANGES"]
        if other.description:
            parts.append(other.description)
        for key in changes:
            parts.append(
                f"- {key_label(key)}: {setting_value(_value(other, key))} instead of "
                f"{setting_value(_value(base, key))}"
            )
        if not changes:
            parts.append("- Nothing but its name: the two scenarios are the same model.")
    return "\n".join(parts)


def search_lines(output: Any) -> list[str]:
    """The job search's numbers: interviews needed and the chance after 5 and 10."""
    table = output.to_df()
    lines = []
    for percentile, rows in table.groupby("percentile", sort=False):
        rows = rows.set_index("interviews")
        for n in (5, 10):
            if n in rows.index:
                row = rows.loc[n]
                lines.append(
                    f"- {ordinal(percentile)}-percentile candidate, {n} interviews: "
                    f"{_pct(row['p_any_offer'])} chance of an offer "
                    f"({_ci(row['ci_low'], row['ci_high'])})"
                )
    return lines


def what_if_lines(output: Any) -> list[str]:
    """The what-if's numbers: the metric with each setting at its low and high end."""
    entry = METRICS[output.metric]
    lines = [f"- Today: {entry.format(output.base)}"]
    for row in output.to_df().itertuples():
        lines.append(
            f"- {key_label(row.parameter)}: {entry.format(row.value_low)} at "
            f"{setting_value(row.low)}, {entry.format(row.value_high)} at "
            f"{setting_value(row.high)}"
        )
    return lines


def appendix_settings(result: Result, keys: Sequence[str]) -> list[str]:
    """The settings behind the charts, in plain words: ``Applicants per opening: 100–250``
    (and the model's default where the scenario differs from it)."""
    lines = []
    for key in keys:
        value = setting_value(_value(result.scenario, key))
        default = setting_value(_value(Scenario(), key))
        lines.append(f"{key_label(key)}: {value}" + (f" (default {default})" if value != default
                                                      else ""))  # fmt: skip
    return lines


def appendix_notes(
    result: Result, keys: Sequence[str], shown: Sequence[tuple[Output, Sequence[str]]]
) -> str:
    """The appendix's notes: each setting's key and value as a scenario file writes it,
    with where the value comes from; the definitions of the words on the slides."""
    described = _key_descriptions()
    lines = ["SETTINGS (scenario key = value: what it is)"]
    for key in keys:
        text = described[key]["description"]
        lines.append(f"- {key} = {show_value(_value(result.scenario, key))}: {text}")
    lines += ["", "WHAT THE WORDS MEAN"]
    seen: set[str] = set()
    for output, names in shown:  # each slide's output and the metrics its numbers give
        for line in _definitions(output, names):
            if line not in seen:
                seen.add(line)
                lines.append(line)
    for entry in METRICS.values():
        if entry.headline and f"- {entry.label}: {entry.definition}" not in seen:
            lines.append(f"- {entry.label}: {entry.definition}")
    return "\n".join(lines)


def _in_numbers(output: Output) -> set[str]:
    """Metrics the table lines already give (defined, but not repeated with their CIs)."""
    if isinstance(output, Funnel):
        return set(FUNNEL_STAGES.values())
    return {"microscopic_margin_rate"} if isinstance(output, Margins) else set()


def title_notes(result: Result) -> str:
    """The title slide's notes: the headline figures with CIs and how to reproduce them."""
    summary = result.summary()
    metadata = result.metadata
    lines = [
        "WHAT THIS IS",
        "A Monte Carlo simulation of job openings: applicants are screened to a shortlist, "
        "interviewed with noisy interviews, and one or more get an offer from a manager who "
        "may prefer the safer, the internal or the more familiar candidate. Every figure is a "
        "share over simulated openings with a 95% confidence interval.",
        "",
        "HEADLINE FIGURES (95% confidence intervals)",
    ]
    lines += _metric_lines(
        result, [m for m, e in METRICS.items() if e.headline and m in summary.index]
    )
    lines += [
        "",
        "HOW TO REPRODUCE",
        f"simfunnel {metadata.get('version', __version__)}, {openings_of(result):,} openings, "
        f"seed {metadata.get('seed', result.scenario.seed)}"
        + (f", scenario file {metadata['config']}" if metadata.get("config") else "")
        + "".join(f", --set {key}={value}" for key, value in recorded_overrides(result).items()),
    ]
    return "\n".join(lines)


def recorded_overrides(result: Result) -> dict[str, object]:
    """The ``--set`` overrides recorded in the run (the CLI records them)."""
    overrides = result.metadata.get("overrides") or {}
    return dict(overrides) if isinstance(overrides, dict) else {}


def scenario_title(result: Result) -> str:
    """The scenario's name for a title slide: ``Baseline``, without the ``(key=value)``
    that overrides append to it (the title slide lists them in plain words)."""
    name = result.scenario.name
    if recorded_overrides(result) and name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return scenario_label(name).capitalize()


def openings_of(result: Result) -> int:
    return int(result.metadata.get("openings", len(result.openings)))
