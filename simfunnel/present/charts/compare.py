"""Charts of several scenarios: the paired differences against the baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.compare import Differences
from simfunnel.analysis.result import Result
from simfunnel.metrics import BETTER, METRICS
from simfunnel.present.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    _axes,
    _percent_axis,
    headline,
    talk_style,
)

# Blue then vermillion: the two most distinct colours for the usual one or two comparisons.
COLOURS = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, "#000000")

SPEAKER_METRICS = (
    "good_interview_offer_rate",
    "top_interview_offer_rate",
    "best_interviewee_hired_rate",
    "internal_win_rate",
    "hire_rate",
    "bad_hire_rate",
)
"""The few rates a room cares about, drawn by default (``metrics=`` shows others)."""


def compare(
    results: Any,
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    metrics: Mapping[str, str] | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """How each scenario differs from the first, per headline rate, with 95% CIs.

    ``results`` is what :func:`simfunnel.compare` returns (a Comparison: paired CIs,
    the narrow ones common random numbers give) or a list of results (CIs of
    independent runs). ``labels`` defaults to the scenario names; ``metrics`` to
    :data:`SPEAKER_METRICS` (names, or a mapping name ->
    label to relabel them). The title states the largest difference a CI confirms.
    """
    names = list(metrics) if metrics is not None else list(SPEAKER_METRICS)
    if isinstance(results, Result):
        results = [results]
    if hasattr(results, "differences") and hasattr(results, "results"):
        output = Differences.from_comparison(results, labels=labels, metrics=names)
    else:
        output = Differences.from_results(list(results), labels=labels, metrics=names)
    relabel = dict(metrics) if isinstance(metrics, Mapping) else None
    return draw_differences(output, ax, title=title, subtitle=subtitle, labels=relabel, **style)


def draw_differences(
    output: Differences,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    **style: Any,
) -> Axes:
    """Before -> after: for each metric an arrow from the baseline's value (grey dot) to
    the scenario's, green where the change is better, vermillion where it is worse, grey
    where the 95% CI of the difference includes no change; each row says which way is
    better and gives both values ("41% -> 27%").

    Direction comes from :data:`simfunnel.metrics.BETTER`; a metric that is neither better
    nor worse higher (the internal win rate) is drawn blue when it moves. ``labels`` maps
    metric names to the y tick labels (default: the registry's labels).
    """
    table = output.to_df()
    metrics = output.metrics
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = {m: (labels or {}).get(m, METRICS[m].label) for m in metrics}
    entry = METRICS[metrics[0]]
    with talk_style(**style):
        ax = _axes(ax)
        size = (0.8 if len(scenarios) == 1 else 0.7) * mpl.rcParams["font.size"]
        base = np.arange(len(metrics))[::-1].astype(float)
        step = 0.8 / max(len(scenarios), 1)
        ends = table[["baseline_value", "value"]].to_numpy(dtype=float)
        top = float(np.nanmax(ends)) if np.isfinite(ends).any() else 1.0
        for i, scenario in enumerate(scenarios):
            rows = table[table["scenario"] == scenario].set_index("metric")
            for metric in metrics:
                if metric not in rows.index:
                    continue
                row = rows.loc[metric]
                y = base[metrics.index(metric)] + (len(scenarios) - 1) / 2 * step - i * step
                before, after = float(row["baseline_value"]), float(row["value"])
                verdict, colour = _verdict(metric, row)
                # A line from before to after, ending in a triangle that points the way
                # it moved (an arrow's head would overshoot a short change).
                ax.plot([before, after], [y, y], color=colour, lw=4, zorder=2.5,
                        solid_capstyle="butt")  # fmt: skip
                ax.plot([before], [y], "o", ms=10, color=GREY, zorder=3)
                if np.isfinite(after):
                    marker = ">" if after > before else "<" if after < before else "o"
                    ax.plot([after], [y], marker, ms=13, color=colour, zorder=4)
                digits = max(_digits(before), _digits(after))
                changed = colour != GREY  # the CI confirms a change
                # A change the CI confirms never reads "91% → 91%" (nor "91.0% → 91.0%").
                while (
                    changed
                    and digits < 3
                    and (entry.format(before, digits) == entry.format(after, digits))
                ):
                    digits += 1
                text = f"{entry.format(before, digits)} → {entry.format(after, digits)}"
                who = f"{scenario}: " if len(scenarios) > 1 else ""
                ax.annotate(
                    f"{who}{text}" + (f"  {verdict}" if verdict else ""),
                    xy=(np.nanmax([before, after]), y), xytext=(14, 0),
                    textcoords="offset points", va="center", fontsize=size, color=colour,
                    fontweight="bold" if verdict in ("better", "worse") else "normal",
                )  # fmt: skip
        ax.set_yticks(base, [_tick_label(m, names[m]) for m in metrics])
        ax.tick_params(axis="y", length=0)
        ax.set_ylim(base[-1] - 0.6, base[0] + 0.6)
        room = 2.1 if len(scenarios) > 1 else 1.6  # the values' text goes right of the arrows
        ax.set_xlim(0, top * room)
        # Ticks only under the values: the right of the axis holds their text.
        ax.set_xticks([t for t in ax.get_xticks() if 0 <= t <= top * 1.15])
        ax.set_xlim(0, top * room)
        if entry.is_share:
            _percent_axis(ax.xaxis)
        after = _join(output.labels[1:]) if len(output.labels) == 2 else "each scenario"
        ax.set_xlabel(xlabel or f"{output.labels[0]} (grey dot) → {after}")
        ax.grid(axis="x")
        ax.legend(
            handles=[
                mpl.lines.Line2D([], [], color=GREEN, lw=3, label="better"),
                mpl.lines.Line2D([], [], color=VERMILLION, lw=3, label="worse"),
                mpl.lines.Line2D([], [], color=BLUE, lw=3, label="changed (neither)"),
                mpl.lines.Line2D([], [], color=GREY, lw=3, label="within chance (95% CI)"),
            ],
            loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=4, frameon=False,
            fontsize=size, handlelength=1.5,
        )  # fmt: skip
        if subtitle is None:
            subtitle = output.note.split("\n")[0].replace("each scenario minus", "compared with")
            if table["ci_low"].isna().any():
                subtitle += "\nno verdict where too few openings differ for a CI"
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def _verdict(metric: str, row: Any) -> tuple[str, str]:
    """("better" | "worse" | "" | "within chance", colour) for one difference."""
    low, high = float(row["ci_low"]), float(row["ci_high"])
    if not (np.isfinite(low) and np.isfinite(high)):
        return "", GREY
    if low <= 0 <= high:
        return "", GREY
    direction = BETTER.get(metric, 0)
    if direction == 0:
        return "", BLUE
    better = (low > 0) == (direction > 0)
    return ("better", GREEN) if better else ("worse", VERMILLION)


def _tick_label(metric: str, name: str) -> str:
    direction = BETTER.get(metric, 0)
    if direction == 0:
        return name
    return f"{name}\n({'higher' if direction > 0 else 'lower'} is better)"


def _digits(value: float) -> int:
    return 1 if np.isfinite(value) and abs(value) < 0.1 else 0


def _join(words: Sequence[str]) -> str:
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
