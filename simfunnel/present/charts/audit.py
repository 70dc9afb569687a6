"""The bias audit's chart: the selection rate of each group at every stage."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Patch, Rectangle

from simfunnel.analysis.audit import ALPHA, END_TO_END, GOOD_STAGE, AuditResult
from simfunnel.present.charts.style import (
    COLOURS,
    VERMILLION,
    _axes,
    _pct,
    _percent_axis,
    headline,
    talk_style,
)

TRACK = "#EEEEEE"
BEFORE = {"applied": "applicants", "interviewed": "interviewees", "offered": "offers"}
MAX_LEVELS_DRAWN = 12  # more rows than this cannot be read on a slide
INSIDE = 0.6  # bars longer than this carry their label inside
MAX_BARS = 3  # bars per stage; with more levels the rates are drawn as a grid
FLAGGED, TESTED, UNTESTED = "#F6C9AE", "#D6E6F2", "#F2F2F2"  # the grid's cell shades


def selection_rates(
    output: AuditResult,
    ax: Axes | None = None,
    *,
    attribute: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """One row per stage, a bar per level: the share of those at the stage before who
    reach it, on a linear 0-100% axis.

    A level below four-fifths of the reference's rate is labelled with its impact ratio
    in vermillion; a level too small to test says so. ``attribute`` defaults to the one
    the output's finding is about; the title is that attribute's finding.
    """
    attribute = attribute or output.focus
    if attribute not in output.attributes:
        raise ValueError(f"unknown attribute {attribute!r}; choose from {output.attributes}")
    table = output.to_df()
    table = table[table["attribute"] == attribute]
    levels = list(dict.fromkeys(table["level"]))[:MAX_LEVELS_DRAWN]
    stages = list(dict.fromkeys(table["stage"]))
    if len(levels) > MAX_BARS:
        return _grid(output, table, levels, stages, ax, attribute, title, subtitle, **style)
    height = 0.8 / len(levels)
    with talk_style(**style):
        ax = _axes(ax)
        centres = np.arange(len(stages))[::-1].astype(float)
        for s, stage in enumerate(stages):
            rows = table[table["stage"] == stage].set_index("level")
            for j, level in enumerate(levels):
                y = centres[s] + 0.4 - (j + 0.5) * height
                row = rows.loc[level]
                rate = float(row["rate"]) if np.isfinite(row["rate"]) else 0.0
                ax.barh(y, 1.0, height=0.9 * height, color=TRACK)
                ax.barh(y, rate, height=0.9 * height, color=COLOURS[j % len(COLOURS)])
                inside = rate > INSIDE  # a long bar carries its label inside, in white
                ax.annotate(
                    _label(row, rate),
                    xy=(rate, y),
                    xytext=(-6 if inside else 6, 0),
                    textcoords="offset points",
                    ha="right" if inside else "left",
                    va="center",
                    fontsize=0.75 * _font_size(),
                    color="white" if inside else VERMILLION if _flagged(row) else "#333333",
                    fontweight="bold" if _flagged(row) else "normal",
                )
        ax.set_yticks(centres, [_stage_label(table, stage) for stage in stages])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, 1)
        _percent_axis(ax.xaxis)
        ax.set_xlabel("Selection rate: share of those at the stage before who reach it")
        handles = [
            Patch(color=COLOURS[j % len(COLOURS)], label=str(level))
            for j, level in enumerate(levels)
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            ncols=min(len(levels), 4),
            frameon=False,
        )
        headline(ax, output.finding_for(attribute), output.note, title, subtitle)
    return ax


def _font_size() -> float:
    import matplotlib as mpl

    return float(mpl.rcParams["font.size"])


def _stage_label(table: Any, stage: str) -> str:
    if stage == END_TO_END:
        return "hired, end to end\n(of applicants)"
    if stage == GOOD_STAGE:
        return "offered\n(of good interviews)"
    before = table.loc[table["stage"] == stage, "of"].iloc[0]
    return f"{stage}\n(of {BEFORE.get(before, before)})"


def _label(row: Any, rate: float) -> str:
    if row["considered"] == 0:
        return "nobody at the stage before"
    text = f"{_pct(rate, 1 if rate < 0.1 else 0)} of {row['considered']:,.0f}"
    if row["verdict"].startswith("too few"):
        return text + " · too few to test"
    if row["verdict"].startswith("no reference"):
        return text + " · no reference to test against"
    if row.name == row["reference"]:
        return text + " · reference"
    if bool(row["below_four_fifths"]):
        text += f" · {row['impact_ratio']:.2f}× the reference, below four-fifths"
        if np.isfinite(row["fisher_p"]) and row["fisher_p"] >= ALPHA:
            text += f" (Fisher p = {row['fisher_p']:.2f})"
    return text


def _flagged(row: Any) -> bool:
    """Below four-fifths of a reference it could be tested against."""
    return bool(row["below_four_fifths"]) and bool(row["tested"])


def _grid(
    output: AuditResult,
    table: Any,
    levels: list,
    stages: list,
    ax: Axes | None,
    attribute: str,
    title: str | None,
    subtitle: str | None,
    **style: Any,
) -> Axes:
    """Many levels: a grid of stages by levels, each cell the rate and the impact ratio,
    shaded vermillion below four-fifths, blue when tested and not below, grey when too
    few to test."""
    with talk_style(**style):
        ax = _axes(ax)
        size = min(0.75 * _font_size(), 0.75 * _font_size() * 8 / max(len(levels), 8))
        for s, stage in enumerate(stages):
            rows = table[table["stage"] == stage].set_index("level")
            for j, level in enumerate(levels):
                row = rows.loc[level]
                tested = bool(row["tested"]) or row.name == row["reference"]
                colour = FLAGGED if _flagged(row) else TESTED if tested else UNTESTED
                ax.add_patch(Rectangle((s, j), 0.96, 0.92, color=colour, lw=0))
                rate = float(row["rate"])
                if not np.isfinite(rate):
                    text = "nobody"
                elif row.name == row["reference"]:
                    text = f"{_pct(rate, 1 if rate < 0.1 else 0)}\nreference"
                elif not bool(row["tested"]):
                    text = f"{_pct(rate, 1 if rate < 0.1 else 0)}\ntoo few"
                else:
                    text = f"{_pct(rate, 1 if rate < 0.1 else 0)}\n{row['impact_ratio']:.2f}×"
                ax.text(
                    s + 0.48,
                    j + 0.46,
                    text,
                    ha="center",
                    va="center",
                    fontsize=size,
                    color=VERMILLION if _flagged(row) else "#333333",
                    fontweight="bold" if _flagged(row) else "normal",
                )
        ax.set_xlim(0, len(stages))
        ax.set_ylim(len(levels), 0)
        labels = [_stage_label(table, s).replace("(of good ", "(of good\n") for s in stages]
        ax.set_xticks(np.arange(len(stages)) + 0.48, labels, fontsize=0.75 * _font_size())
        ax.set_yticks(np.arange(len(levels)) + 0.46, [str(v) for v in levels])
        ax.tick_params(length=0)
        for side in ("left", "bottom", "top", "right"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(
            "Cells: selection rate and impact ratio · vermillion: below four-fifths · "
            "grey: too few to test",
            fontsize=0.8 * _font_size(),
        )
        headline(ax, output.finding_for(attribute), output.note, title, subtitle)
    return ax
