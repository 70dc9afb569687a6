"""Charts of one candidate (`simfunnel you`): the job search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    _axes,
    _headline,
    _pct,
    _percent_axis,
    talk_style,
)
from simfunnel.metrics import (
    ordinal,
)
from simfunnel.you import YouResult

JOB_SEARCH_COLUMNS = ("percentile", "interviews", "p_any_offer", "ci_low", "ci_high")
VISIBLE_COLUMNS = (
    "p_any_offer_visible",
    "p_any_offer_visible_ci_low",
    "p_any_offer_visible_ci_high",
)


def _job_search_frame(data: Any) -> tuple[pd.DataFrame, str]:
    """The tidy job-search table of ``data`` and a subtitle describing where it came from."""
    if isinstance(data, pd.DataFrame):
        return data, ""
    searches = [data] if isinstance(data, YouResult) else list(data)
    if not searches or not all(isinstance(s, YouResult) for s in searches):
        raise TypeError("job_search takes a YouResult, a list of them, or a tidy DataFrame")
    frame = pd.concat([s.job_search for s in searches], ignore_index=True)
    first = searches[0]
    counts = list(dict.fromkeys(s.openings for s in searches))
    openings = f"{counts[0]:,}" if len(counts) == 1 else ", ".join(f"{n:,}" for n in counts)
    each = " (per percentile)" if len(searches) > 1 else ""
    role, pipeline = first.scenario.role, first.scenario.pipeline
    note = (
        f"{first.scenario.name} scenario · P(offer) from {openings} openings you interviewed "
        f"for{each}"
        f" · interviews share freeze shocks (correlation {role.freeze_correlation:g})"
        f"\ndashed: staying visible, a runner-up re-approached for a later opening with "
        f"probability {pipeline.recontact_probability:g} · 95% bands"
    )
    return frame, note


def job_search(
    data: pd.DataFrame | YouResult | Sequence[YouResult],
    ax: Axes | None = None,
    *,
    target: float = 0.8,
    visible: bool | None = None,
    note: str = "",
    title: str | None = None,
    **style: Any,
) -> Axes:
    """P(at least one offer) against the number of interviews, one line per quality
    percentile, with 95% bands.

    ``data`` is what :func:`simfunnel.you` returns (a YouResult, or a list of them for
    several percentiles), or a tidy frame with columns ``percentile, interviews,
    p_any_offer, ci_low, ci_high`` (the ``job_search`` tables of YouResults,
    concatenated). ``visible`` adds the "staying visible" curves dashed (a runner-up
    re-approached for a later opening, ``p_any_offer_visible``); by default they are
    drawn when the column exists and differs. The title says how many interviews the
    median-most percentile needs for ``target`` chance of an offer.
    """
    frame, default_note = _job_search_frame(data)
    missing = [c for c in JOB_SEARCH_COLUMNS if c not in frame]
    if missing:
        raise ValueError(
            f"job_search needs columns {', '.join(JOB_SEARCH_COLUMNS)}; missing {missing}"
        )
    has_visible = all(c in frame for c in VISIBLE_COLUMNS)
    if visible is None:
        visible = has_visible and not np.allclose(frame[VISIBLE_COLUMNS[0]], frame["p_any_offer"])
    elif visible and not has_visible:
        raise ValueError(f"visible=True needs columns {', '.join(VISIBLE_COLUMNS)}")
    if not visible and default_note:
        default_note = default_note.split("\ndashed:")[0] + " · 95% bands"
    percentiles = sorted(frame["percentile"].unique())
    colours = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#000000"]
    with talk_style(**style):
        ax = _axes(ax)
        handles = []
        for i, percentile in enumerate(percentiles):
            rows = frame[frame["percentile"] == percentile].sort_values("interviews")
            colour = colours[i % len(colours)]
            ax.fill_between(
                rows["interviews"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
            )
            (line,) = ax.plot(
                rows["interviews"],
                rows["p_any_offer"],
                marker="o",
                color=colour,
                label=f"{ordinal(percentile)} percentile",
            )
            handles.append(line)
            if visible:
                low, value, high = VISIBLE_COLUMNS[1], VISIBLE_COLUMNS[0], VISIBLE_COLUMNS[2]
                ax.fill_between(
                    rows["interviews"], rows[low], rows[high], color=colour, alpha=0.1, lw=0
                )
                ax.plot(rows["interviews"], rows[value], ls="--", lw=2.5, color=colour)
        ax.axhline(target, color=GREY, ls=":", lw=2)
        ax.set_ylim(0, 1.02)
        _percent_axis(ax.yaxis)
        ax.xaxis.set_major_locator(mpl.ticker.MaxNLocator(integer=True))
        ax.set_xlabel("Number of interviews")
        ax.set_ylabel("P(at least one offer)")
        ax.grid(axis="y")
        if visible:
            handles += [
                mpl.lines.Line2D([], [], color=GREY, label="from these interviews"),
                mpl.lines.Line2D([], [], color=GREY, ls="--", lw=2.5, label="…or staying visible"),
            ]
        ax.legend(
            handles=handles,
            title="Your true quality",
            loc="lower right",
            title_fontsize=mpl.rcParams["legend.fontsize"],
        )
        reference = min(percentiles, key=lambda p: abs(p - 50))
        rows = frame[frame["percentile"] == reference].sort_values("interviews")
        reached = rows[rows["p_any_offer"] >= target]
        who = (
            "A median candidate"
            if reference == 50
            else f"A {ordinal(reference)}-percentile candidate"
        )
        if len(reached):
            finding = (
                f"{who} needs {int(reached['interviews'].iloc[0])} interviews to have "
                f"{_pct(target)} odds of an offer"
            )
            if visible:
                sooner = rows[rows[VISIBLE_COLUMNS[0]] >= target]
                if len(sooner) and sooner["interviews"].iloc[0] < reached["interviews"].iloc[0]:
                    finding += f" ({int(sooner['interviews'].iloc[0])} if they stay visible)"
        else:
            last = rows.iloc[-1]
            finding = (
                f"{who} has only a {_pct(last['p_any_offer'])} chance of an offer "
                f"after {int(last['interviews'])} interviews"
            )
        _headline(ax, finding, note or default_note or "95% bands", title)
    return ax
