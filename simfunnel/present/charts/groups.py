"""Charts of a simulated funnel's groups: which mechanism causes a gap."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.audit import END_TO_END
from simfunnel.analysis.groups import Frontier, GapAttribution
from simfunnel.metrics import applicant_percentile, money_words
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
    table = table[table["stage"] == END_TO_END]
    if attribute is None:
        attribute = output.focus
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
        ax.set_xlabel(f"Points of {level} applicants' impact ratio each mechanism costs")
        ax.xaxis.label.set_color(GREY)
        ax.grid(axis="x")
        left = round(rest) or 0  # never "-0"
        note = f"{output.note} · gap {gap:.0f} points, {left} left with every shift removed"
        headline(ax, output.finding_for(attribute), note, title, subtitle)
    return ax


def frontier(
    output: Frontier,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Each design as a dot at its impact ratio (x) and mean hire value (y), with 95% CIs;
    the designs no other beats on both joined as the frontier, four-fifths shaded."""
    table = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        # A hire's value in money where the scenario sets a salary; else in SDs of
        # quality on the axis, labelled as the applicant percentile each tick equals.
        scale = output.money_per_sd if output.money_per_sd is not None else 1.0
        x, y = table["impact_ratio"].to_numpy(), scale * table["hire_value"].to_numpy()
        low = x - table["ci_low"].to_numpy()
        high = table["ci_high"].to_numpy() - x
        ylow = y - scale * table["value_ci_low"].to_numpy()
        yhigh = scale * table["value_ci_high"].to_numpy() - y
        span_x = max(np.nanmax(table["ci_high"]), 1.0) - min(np.nanmin(table["ci_low"]), 0.75)
        left = min(np.nanmin(table["ci_low"]), 0.75) - 0.08 * span_x
        right = max(np.nanmax(table["ci_high"]), 1.0) + 0.25 * span_x
        ax.axvspan(left, 0.8, color="#F6E0D3", zorder=0, lw=0)
        ax.text(
            left + 0.01 * span_x,
            1.0,
            " below four-fifths",
            transform=ax.get_xaxis_transform(),
            va="top",
            color=VERMILLION,
            fontsize=0.8 * _font_size(),
        )
        ax.axvline(1.0, color=GREY, lw=1, ls="--")
        on = table["on_frontier"].to_numpy(dtype=bool)
        order = np.argsort(x[on])
        ax.plot(x[on][order], y[on][order], color=BLUE, lw=2, zorder=2)
        ax.errorbar(
            x,
            y,
            xerr=[low, high],
            yerr=[ylow, yhigh],
            fmt="none",
            ecolor="#999999",
            elinewidth=1.5,
            capsize=3,
            zorder=3,
        )
        ax.scatter(x[~on], y[~on], s=90, color=GREY, zorder=4)
        ax.scatter(x[on], y[on], s=110, color=BLUE, zorder=5)
        for xi, yi, name in zip(x, y, table["design"], strict=True):
            ax.annotate(
                name,
                xy=(xi, yi),
                xytext=(9, 6),
                textcoords="offset points",
                fontsize=0.8 * _font_size(),
            )
        ax.set_xlim(left, right)
        level, reference = table["level"].iloc[0], table["reference"].iloc[0]
        ax.set_xlabel(f"Impact ratio: {level} applicants' hire rate over {reference}'s")
        if output.money_per_sd is not None:
            ax.set_ylabel("Value of a hire over a random applicant")
            ax.yaxis.set_major_formatter(
                mpl.ticker.FuncFormatter(lambda v, _: money_words(v, output.currency))
            )
        else:
            ax.set_ylabel("Average hire, as a percentile of applicants")
            ax.yaxis.set_major_formatter(
                mpl.ticker.FuncFormatter(lambda v, _: applicant_percentile(v))
            )
        ax.grid(axis="y")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def _font_size() -> float:
    import matplotlib as mpl

    return float(mpl.rcParams["font.size"])
