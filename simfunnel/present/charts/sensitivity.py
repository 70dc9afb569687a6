"""Charts of sensitivity: tornado and Sobol indices."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.sensitivity import (
    SENSITIVITY_COLUMNS,
    SOBOL_COLUMNS,
    Sensitivity,
    SobolIndices,
)
from simfunnel.metrics import KEY_ENDS, METRICS, key_end, setting_value
from simfunnel.present.charts.style import (
    BLUE,
    ORANGE,
    _axes,
    _format_axis,
    _percent_axis,
    headline,
    make_room_for_labels,
    talk_style,
)

__all__ = ["SENSITIVITY_COLUMNS", "SOBOL_COLUMNS", "draw_sobol", "draw_tornado", "sobol_indices",
           "tornado"]  # fmt: skip


def tornado(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    top: int = 8,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """One-at-a-time sensitivity: the metric with each parameter at its low and high
    value (the rest at the scenario's), as bars from the base value; largest swing on top.

    ``table`` is what :func:`simfunnel.sensitivity` returns (``attrs`` carries the
    ``metric`` and its ``base`` value). ``top`` parameters are drawn.
    """
    output = Sensitivity.from_table(table, top)
    return draw_tornado(output, ax, title=title, subtitle=subtitle, **style)


def sobol_indices(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    top: int = 12,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Global sensitivity: first-order (S1) and total (ST) Sobol indices per parameter,
    with 95% error bars; largest total index on top.

    ``table`` is what :func:`simfunnel.analysis.explore.sobol` returns (``attrs``: ``metric``,
    ``runs``). S1 is the share of the metric's variance a parameter explains alone; ST
    adds its interactions.
    """
    output = SobolIndices.from_table(table, top)
    return draw_sobol(output, ax, title=title, subtitle=subtitle, **style)


def _ticks(table: pd.DataFrame, labels: Mapping[str, str] | None) -> list[str]:
    return [(labels or {}).get(p, text) for p, text in zip(table["parameter"], table["label"],
                                                           strict=True)]  # fmt: skip


def swing_whiskers(rows: pd.DataFrame, base: float) -> pd.DataFrame:
    """Where each bar's whisker goes: the 95% CI of the swing (paired), drawn at the end
    farther from the base and anchored on the other end, so it spans the values that
    end could take given the nearer one. Columns at, low, high (NaN without a CI)."""
    nan = np.full(len(rows), np.nan)
    if "change_ci_low" not in rows:
        return pd.DataFrame({"at": nan, "low": nan, "high": nan})
    value_low, value_high = rows["value_low"].to_numpy(), rows["value_high"].to_numpy()
    change_low, change_high = rows["change_ci_low"].to_numpy(), rows["change_ci_high"].to_numpy()
    high_is_far = np.abs(value_high - base) >= np.abs(value_low - base)
    return pd.DataFrame(
        {
            "at": np.where(high_is_far, value_high, value_low),
            "low": np.where(high_is_far, value_low + change_low, value_high - change_high),
            "high": np.where(high_is_far, value_low + change_high, value_high - change_low),
        }
    )


def _label_bar_ends(
    ax: Axes, rows: pd.DataFrame, y: np.ndarray, base: float, whiskers: pd.DataFrame
) -> None:
    """Write each parameter's low and high setting at the end of its bar (past its
    whisker), in words where the key has them ("weak interviews (0.1)")."""
    for column, end in (("value_low", "low"), ("value_high", "high")):
        for i, (yi, key, value, setting) in enumerate(
            zip(y, rows["parameter"], rows[column], rows[end], strict=True)
        ):
            words = key_end(key, end == "high") if key in KEY_ENDS else ""
            # A range varied through its mean is shown as the range it became ("50-125").
            described = rows[f"{end}_setting"].iloc[i] if f"{end}_setting" in rows else ""
            shown = described if isinstance(described, str) and described else None
            whisker = whiskers.iloc[i]
            at, right = value, value >= base
            if whisker["at"] == value and np.isfinite(whisker["low"]):
                at = whisker["high"] if right else whisker["low"]
            other = rows["value_high" if end == "low" else "value_low"].iloc[i]
            distance, other_distance = abs(value - base), abs(other - base)
            nearer = distance < other_distance or (distance == other_distance and end == "low")
            if (value - base) * (other - base) >= 0 and nearer:
                # Both ends on one side of the base: the nearer end's label goes to the
                # other side of the base line, so the two labels never overlap.
                at, right = base, other < base
            ax.annotate(
                f"{words} ({shown or setting_value(setting)})"
                if words
                else shown or setting_value(setting),
                xy=(at, yi),
                xytext=(4 if right else -4, 0),
                textcoords="offset points",
                ha="left" if right else "right",
                va="center",
                fontsize=0.7 * mpl.rcParams["font.size"],
                color="#444444",
            )


def draw_tornado(
    output: Sensitivity,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    **style: Any,
) -> Axes:
    """Bars from the base value to the metric at each end of each parameter's range.

    ``labels`` maps parameter keys to tick labels (default: the registry's plain labels).
    """
    rows, base, entry = output.to_df(), output.base, METRICS[output.metric]
    whiskers = swing_whiskers(rows, base)
    drawn = whiskers.dropna()
    values = np.concatenate(
        [rows["value_low"], rows["value_high"], [base], drawn["low"], drawn["high"]]
    )
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(rows))[::-1]
        for column, colour, label in (
            ("value_low", ORANGE, "Setting at the low end of its range"),
            ("value_high", BLUE, "Setting at the high end of its range"),
        ):
            ax.barh(
                y, rows[column] - base, left=base, height=0.62, color=colour, label=label, alpha=0.9
            )
        ax.axvline(base, color="#222222", lw=1.5)
        if len(drawn):
            at = drawn["at"].to_numpy()
            ax.errorbar(
                at,
                y[drawn.index],
                xerr=[at - drawn["low"].to_numpy(), drawn["high"].to_numpy() - at],
                fmt="none",
                ecolor="#222222",
                elinewidth=1.5,
                capsize=4,
            )
        _label_bar_ends(ax, rows, y, base, whiskers)  # first: make_room_for_labels reads them
        ax.annotate(
            f"base {entry.format(base)}",
            xy=(base, 1),
            xycoords=("data", "axes fraction"),
            xytext=(6, 0),
            textcoords="offset points",
            va="top",
            fontsize=0.85 * mpl.rcParams["font.size"],
            color="#222222",
        )
        # Two lines at most, so the tick labels leave the title the width of the slide; the
        # parameter's low and high values sit at the ends of their bars.
        ticks = [textwrap.fill(text, 34, max_lines=2) for text in _ticks(rows, labels)]
        ax.set_yticks(y, ticks, fontsize=0.85 * mpl.rcParams["ytick.labelsize"])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(xlabel or entry.axis_label)
        span = max(float(values.max() - values.min()), 1e-9)
        ax.set_xlim(values.min() - 0.08 * span, values.max() + 0.08 * span)
        _format_axis(output.metric, ax.xaxis)
        ax.grid(axis="x")
        # The legend in a row of its own under the axis: bar-end labels take the sides.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2,
                  fontsize=0.8 * mpl.rcParams["font.size"])  # fmt: skip
        headline(ax, output.finding, output.note, title, subtitle)
        make_room_for_labels(ax, ax.texts[: 2 * len(rows)])
    return ax


def draw_sobol(
    output: SobolIndices,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    **style: Any,
) -> Axes:
    """S1 and ST bars per parameter with their 95% error bars."""
    rows = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        base = np.arange(len(rows))[::-1]
        height = 0.38
        for offset, column, colour, label in (
            (height / 2, "S1", BLUE, "First order S1 (alone)"),
            (-height / 2, "ST", ORANGE, "Total ST (with interactions)"),
        ):
            ax.barh(base + offset, rows[column], height=height * 0.92, color=colour, label=label)
            ax.errorbar(
                rows[column],
                base + offset,
                xerr=rows[f"{column}_conf"].abs(),
                fmt="none",
                ecolor="#222222",
                elinewidth=1.5,
            )
        ax.axvline(0, color="#222222", lw=1)
        ticks = [textwrap.fill(text, 30) for text in _ticks(rows, labels)]
        ax.set_yticks(base, ticks, fontsize=0.85 * mpl.rcParams["ytick.labelsize"])
        ax.tick_params(axis="y", length=0)
        _percent_axis(ax.xaxis)
        ax.set_xlabel(xlabel or f"Share of the variance in {output.what}")
        ax.grid(axis="x")
        ax.legend(loc="lower right")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax
