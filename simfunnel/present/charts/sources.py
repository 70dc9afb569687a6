"""Where hires come from: how much more often each source's applicants are hired."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.sources import INTERNAL, SourceTable
from simfunnel.present.charts.style import (
    BLUE,
    GREY,
    _axes,
    headline,
    make_room_for_labels,
    talk_style,
)

BAR = BLUE  # a source compared with the base
BASE = "#999999"


def draw_sources(
    output: SourceTable,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """A bar per external source: its hire rate as a multiple of the base source's
    (applied), with the 95% CI and "1 in N hired" beside it; the internal contender,
    which skips the CV screen and competes for one opening at a time, is in the note."""
    table = output.to_df()
    external = table[table["source"] != INTERNAL].reset_index(drop=True)
    internal = table[table["source"] == INTERNAL].iloc[0]
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(external))[::-1].astype(float)
        colours = [BASE if s == output.base else BAR for s in external["source"]]
        ax.barh(y, external["vs_base"], height=0.6, color=colours)
        low = (external["vs_base"] - external["vs_base_ci_low"]).fillna(0)
        high = (external["vs_base_ci_high"] - external["vs_base"]).fillna(0)
        ax.errorbar(
            external["vs_base"], y, xerr=[low, high], fmt="none", ecolor="#333333", capsize=4
        )
        texts = []
        for yy, (_, row) in zip(y, external.iterrows(), strict=True):
            end = row["vs_base_ci_high"] if np.isfinite(row["vs_base_ci_high"]) else row["vs_base"]
            times = "" if row["source"] == output.base else f"{row['vs_base']:.1f}× · "
            texts.append(
                ax.annotate(
                    f"{times}1 in {row['one_in']:,.0f} hired",
                    xy=(end, yy),
                    xytext=(8, 0),
                    textcoords="offset points",
                    va="center",
                    color="#333333",
                )
            )
        ax.set_yticks(y, [_label(s) for s in external["source"]])
        ax.tick_params(axis="y", length=0)
        ax.axvline(1.0, color=GREY, linewidth=1, linestyle=":")
        ax.set_xlim(0, None)
        ax.set_xlabel(f"How often an applicant is hired, as a multiple of one who {output.base}")
        make_room_for_labels(ax, texts)
        note = output.note + (
            f" · an internal contender (in {internal['applicants_per_opening']:.0%} of "
            f"openings) skips the CV screen and is hired {internal['hire_rate']:.0%} of the time"
        )
        headline(ax, output.finding, note, title, subtitle)
    return ax


def _label(source: str) -> str:
    return source.replace("_", " ").capitalize()
