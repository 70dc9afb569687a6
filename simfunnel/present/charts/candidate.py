"""Charts of one candidate (`simfunnel you`): the job search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.candidate import JOB_SEARCH_COLUMNS, VISIBLE_COLUMNS, JobSearch
from simfunnel.analysis.you import YouResult
from simfunnel.metrics import ordinal
from simfunnel.present.charts.style import (
    COLOURS,
    GREY,
    _axes,
    _percent_axis,
    headline,
    talk_style,
)

__all__ = ["JOB_SEARCH_COLUMNS", "draw_job_search", "job_search"]


def job_search(
    data: pd.DataFrame | YouResult | Sequence[YouResult],
    ax: Axes | None = None,
    *,
    target: float = 0.8,
    visible: bool | None = None,
    note: str = "",
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """The chance of at least one offer against the number of interviews, one line per
    ability percentile, with 95% bands.

    ``data`` is what :func:`simfunnel.analysis.you` returns (a YouResult, or a list of them for
    several percentiles), or a tidy frame with columns ``percentile, interviews,
    p_any_offer, ci_low, ci_high``. ``visible`` adds the "staying visible" curves
    dashed (by default when they differ). The title says how many interviews the
    median-most percentile needs for ``target`` chance of an offer; the subtitle says
    which candidate (niche, fit, felt great) the chart describes.
    """
    if isinstance(data, pd.DataFrame):
        output = JobSearch.from_frame(data, target=target, visible=visible, note=note)
    else:
        output = JobSearch.from_you(data, target=target, visible=visible)
    return draw_job_search(output, ax, title=title, subtitle=subtitle or note or None, **style)


def draw_job_search(
    output: JobSearch,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    xlabel: str = "Number of interviews",
    ylabel: str = "Chance of at least one offer",
    legend_title: str = "Your true ability",
    **style: Any,
) -> Axes:
    """Solid lines (offers from these interviews) and, if ``output.visible``, dashed ones."""
    frame = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        handles = []
        for i, percentile in enumerate(output.percentiles):
            rows = frame[frame["percentile"] == percentile]
            colour = COLOURS[i % len(COLOURS)]
            x = rows["interviews"]
            ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0)
            (line,) = ax.plot(
                x, rows["p_any_offer"], marker="o", color=colour,
                label=f"{ordinal(percentile)} percentile",
            )  # fmt: skip
            handles.append(line)
            if output.visible:
                value, low, high = VISIBLE_COLUMNS
                ax.fill_between(x, rows[low], rows[high], color=colour, alpha=0.1, lw=0)
                ax.plot(x, rows[value], ls="--", lw=2.5, color=colour)
        ax.axhline(output.target, color=GREY, ls=":", lw=2)
        ax.set_ylim(0, 1.02)
        _percent_axis(ax.yaxis)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(axis="y")
        if output.visible:
            handles += [
                mpl.lines.Line2D([], [], color=GREY, label="from these interviews"),
                mpl.lines.Line2D([], [], color=GREY, ls="--", lw=2.5, label="…or staying visible"),
            ]
        ax.legend(
            handles=handles,
            title=legend_title,
            loc="lower right",
            title_fontsize=mpl.rcParams["legend.fontsize"],
        )
        headline(ax, output.finding, output.note, title, subtitle)
    return ax
