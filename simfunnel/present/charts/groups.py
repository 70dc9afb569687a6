"""Charts of a simulated funnel's groups: which mechanism causes a gap."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.groups import GapAttribution
from simfunnel.present.charts.style import BLUE, GREY, VERMILLION, _axes, headline, talk_style


def gap_attribution(
    output: GapAttribution,
    ax: Axes | None = None,
    *,
    attribute: str | None = None,
    level: str | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Points of the end-to-end impact ratio each mechanism costs a level (Shapley), as
    bars that add up to the whole gap; ``attribute``/``level`` default to the finding's."""
    table = output.to_df()
    if attribute is None:
        attribute = table["attribute"].iloc[0]
    rows = table[table["attribute"] == attribute]
    if level is None:
        level = rows.groupby("level", sort=False)["ratio"].first().idxmin()
    rows = rows[rows["level"] == level].sort_values("shapley")
    points = 100 * rows["shapley"].to_numpy()
    gap = 100 * (1 - rows["ratio"].iloc[0])
    rest = 100 * (1 - rows["ratio_without_all"].iloc[0])
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(rows))
        colours = [VERMILLION if p > 0 else BLUE for p in points]
        ax.barh(y, points, color=colours, height=0.6)
        for yi, p in zip(y, points, strict=True):
            ax.annotate(
                f"{p:+.1f}".replace("-0.0", "0.0").replace("+0.0", "0.0"),
                xy=(p, yi),
                xytext=(8 if p >= 0 else -8, 0),
                textcoords="offset points",
                ha="left" if p >= 0 else "right",
                va="center",
                fontweight="bold",
            )
        ax.set_yticks(y, rows["label"].tolist())
        ax.tick_params(axis="y", length=0)
        ax.axvline(0, color="#222222", lw=1.5)
        span = max(np.abs(points).max(), 1.0)
        ax.set_xlim(min(0.0, points.min()) - 0.25 * span, max(0.0, points.max()) + 0.3 * span)
        ax.set_xlabel(f"Points of {level} applicants' hire-rate impact ratio each mechanism costs")
        ax.xaxis.label.set_color(GREY)
        ax.grid(axis="x")
        left = round(rest) or 0  # never "-0"
        note = f"{output.note} · gap {gap:.0f} points, {left} left with every shift removed"
        headline(ax, output.finding_for(attribute), note, title, subtitle)
    return ax
