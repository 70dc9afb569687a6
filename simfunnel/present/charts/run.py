"""Charts of one run: funnel, loss reasons, offer probability, margins, seasonality,
felt vs actual.

Each chart has a draw function, ``draw_<chart>(output, ax=None, *, title=None,
subtitle=None, labels=None, **style)``, that reads only an output of
:mod:`simfunnel.analysis.outputs.run` (its table, finding and note), and a public wrapper with
the historical signature, ``funnel(result, ax=None, *, title=None, **style)``, that
builds the output and draws it. ``labels`` maps the names in the table (stages,
reasons, methods, series) to a speaker's own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.run import (
    FeltVsActual,
    Funnel,
    Margins,
    OfferProbability,
    Seasonality,
    TimeToFill,
)
from simfunnel.analysis.result import Result
from simfunnel.present.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    VERMILLION,
    _axes,
    _pct,
    _percent_axis,
    draw_ranges,
    headline,
    talk_style,
)

Labels = Mapping[str, str] | None
TRACK = "#EEEEEE"
# A white patch behind a value label, so a reference line behind it stops short of it.
LABEL_BACKGROUND = {"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"}


def _name(labels: Labels, key: str, default: str) -> str:
    return (labels or {}).get(key, default)


def _value_label(ax: Axes, text: str, x: float, y: float, inside: bool, colour: str) -> None:
    """A bar's value: just past its end, or inside it (white) when the bar is long."""
    ax.annotate(
        text,
        xy=(x, y),
        xytext=(-10 if inside else 10, 0),
        textcoords="offset points",
        ha="right" if inside else "left",
        va="center",
        color="white" if inside else colour,
        fontweight="bold",
    )


# ------------------------------------------------------------------------ funnel
def draw_funnel(
    output: Funnel,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """The count per opening at each stage (175 -> 7.8 -> 6.7 -> 1.5 -> 1.3), as bars on
    one linear scale.

    The applicants' bar would dwarf the rest, so it is drawn broken: it runs off the
    right edge with its count written on it, and the scale is that of the stages after
    it. Each later bar carries its count and, in grey, the share of the stage before;
    the offers bar (the finding: how few interviewees get one) is orange.
    """
    table = output.to_df()
    counts = table["count_per_opening"].to_numpy(dtype=float)
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(table))[::-1]
        names = [
            _name(labels, s, lab) for s, lab in zip(table["stage"], table["label"], strict=True)
        ]
        ax.set_yticks(y, names)
        ax.tick_params(axis="y", length=0)
        rest = counts[1:][np.isfinite(counts[1:])]
        scale = float(rest.max()) if rest.size and rest.max() > 0 else max(counts[0], 1.0)
        right = 1.45 * scale  # room for the labels past the longest bar
        size = mpl.rcParams["font.size"]
        for i, (stage, count) in enumerate(zip(table["stage"], counts, strict=True)):
            count = float(count) if np.isfinite(count) else 0.0
            colour = ORANGE if stage == "offers" else BLUE if i else GREY
            broken = i == 0 and count > right
            ax.barh(y[i], right if broken else count, color=colour, height=0.62)
            text = f"{_count(count)} per opening" if i == 0 else _count(count)
            if broken:
                # Two white slashes: the bar is longer than the axis.
                ax.annotate("//", xy=(0.8 * right, y[i]), ha="center", va="center",
                            color="white", fontsize=1.4 * size, fontweight="bold")  # fmt: skip
                _value_label(ax, text, 0.75 * right, y[i], inside=True, colour="white")
                continue
            _value_label(ax, text, count, y[i], inside=False, colour="#222222")
            rate = table["rate"].iloc[i]
            if i and np.isfinite(rate):
                ax.annotate(
                    f"{_pct(rate, 1 if rate < 0.1 else 0)} of {names[i - 1].lower()}",
                    xy=(count, y[i]), xytext=(10, -0.62 * size), textcoords="offset points",
                    ha="left", va="top", color=GREY, fontsize=0.7 * size,
                )  # fmt: skip
        ax.set_xlim(0, right)
        ax.set_ylim(y[-1] - 0.6, y[0] + 0.6)
        ax.set_xticks([])
        ax.spines["bottom"].set_visible(False)
        ax.set_xlabel("People per job opening (the applicants' bar is cut short)")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def _count(value: float) -> str:
    """175, 7.8, 1.3, 0.06: whole numbers from 100, two significant digits below."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2g}" if value < 10 else f"{value:.0f}"


def funnel(
    result: Result,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """Applicants -> shortlisted -> interviewed -> offers -> hires (:class:`Funnel`)."""
    output = Funnel.from_result(result)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)


# ------------------------------------------------------------- offer probability
def draw_offer_probability(
    output: OfferProbability,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """The chance of an offer against rank in the slate (two lines) or true quality."""
    table = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        if output.by == "rank":
            for ranked_by, colour, marker in (
                ("interview score", BLUE, "o"),
                ("true quality", ORANGE, "s"),
            ):
                rows = table[table["ranked_by"] == ranked_by]
                ax.fill_between(
                    rows["rank"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
                )
                name = _name(labels, ranked_by, f"Ranked by {ranked_by}")
                ax.plot(rows["rank"], rows["rate"], marker=marker, color=colour, label=name)
            ax.set_xticks(np.arange(1, int(table["rank"].max()) + 1))
            ax.set_xlabel("Rank within the interview slate (1 = best)")
            ax.legend(loc="upper right")
        else:
            ax.fill_between(
                table["mid"], table["ci_low"], table["ci_high"], color=BLUE, alpha=0.2, lw=0
            )
            ax.plot(table["mid"], table["rate"], marker="o", color=BLUE)
            ax.set_xlim(0, 101)
            ax.set_xlabel("True quality: percentile of the applicant pool")
            ax.axhline(output.overall, color=GREY, ls=":", lw=2)
            ax.annotate(
                _name(labels, "overall", f"all interviewees: {_pct(output.overall)}"),
                xy=(0.01, output.overall),
                xycoords=("axes fraction", "data"),
                xytext=(0, 6),
                textcoords="offset points",
                color=GREY,
                fontsize=0.85 * mpl.rcParams["font.size"],
            )
        ax.set_ylim(0, min(1.0, max(float(table["ci_high"].max()) * 1.15, 0.05)))
        _percent_axis(ax.yaxis)
        ax.set_ylabel("Chance of an offer")
        ax.grid(axis="y")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def offer_probability(
    result: Result,
    ax: Axes | None = None,
    *,
    by: str = "rank",
    min_count: int = 50,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """The chance of an offer by rank in the slate or by true quality
    (:class:`OfferProbability`)."""
    output = OfferProbability.from_result(result, by, min_count=min_count)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)


# ----------------------------------------------------------------------- margins
def draw_margins(
    output: Margins,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """A histogram of the winner's lead, the microscopic band shaded and labelled."""
    table = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        width = float((table["high"] - table["low"]).iloc[0])
        colours = [VERMILLION if m else BLUE for m in table["microscopic"]]
        ax.bar(
            table["low"], table["share"], width=width, align="edge", color=colours,
            edgecolor="white", lw=0.5,
        )  # fmt: skip
        ax.axvspan(0, output.band, color=VERMILLION, alpha=0.12, lw=0)
        default = f"microscopic lead (under {output.band:g})\n{_pct(output.rate, 1)} of decisions"
        ax.annotate(
            _name(labels, "microscopic", default),
            xy=(output.band, float(table["share"].iloc[0])),
            xytext=(0.12, 0.92),
            textcoords="axes fraction",
            color=VERMILLION,
            fontweight="bold",
            va="top",
            arrowprops={"arrowstyle": "-", "color": VERMILLION, "lw": 1.5},
        )
        ax.set_xlim(table["low"].iloc[0], table["high"].iloc[-1])
        # "0", not "0.0": a short first label stays clear of the "0%" beside it.
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_ylim(0, float(table["share"].max()) * 1.1)
        _percent_axis(ax.yaxis)
        unit = "1 = the usual spread of scores" if output.in_sd else "in the manager's score"
        ax.set_xlabel(f"Winner's lead over the runner-up ({unit})")
        ax.set_ylabel("Share of decisions")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def margins(
    result: Result,
    ax: Axes | None = None,
    *,
    quantile: float = 0.99,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """How close hiring decisions are (:class:`Margins`); the x-axis stops at the
    ``quantile`` of leads."""
    output = Margins.from_result(result, quantile=quantile)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)


# ------------------------------------------------------------------- seasonality
def draw_seasonality(
    output: Seasonality,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """Bars of the cancellation rate per period with 95% CIs and the overall rate."""
    table = output.to_df()
    rate = table["rate"].to_numpy(dtype=float)
    low, high = table["ci_low"].to_numpy(dtype=float), table["ci_high"].to_numpy(dtype=float)
    with talk_style(**style):
        ax = _axes(ax)
        x = np.arange(len(table))
        colours = [VERMILLION if i == output.highest else BLUE for i in x]
        ax.bar(x, rate, color=colours, width=0.7)
        if "param_low" in table:
            low = table["param_low"].to_numpy(dtype=float)
            high = table["param_high"].to_numpy(dtype=float)
            draw_ranges(ax, x, low, high, horizontal=False)
            low, high = np.fmin(low, table["ci_low"]), np.fmax(high, table["ci_high"])
        ci_low, ci_high = (
            table["ci_low"].to_numpy(dtype=float),
            table["ci_high"].to_numpy(dtype=float),
        )
        errors = np.vstack([rate - ci_low, ci_high - rate])
        ax.errorbar(x, rate, yerr=errors, fmt="none", ecolor="#222222", elinewidth=2, zorder=3)
        if output.by == "quarter":
            for xi, value, top in zip(x, rate, high, strict=True):
                # Clear of the error bar's cap (its half-width is the style's capsize).
                ax.annotate(
                    _pct(value, 1), xy=(xi, top), xytext=(0, 8), textcoords="offset points",
                    ha="center", va="bottom", bbox=LABEL_BACKGROUND, zorder=4,
                )  # fmt: skip
        # The overall rate is labelled in the right margin, at the line's end: no legend
        # to cover a bar.
        ax.axhline(output.overall, color=GREY, ls="--", lw=2)
        ax.annotate(
            _name(labels, "overall", f"all openings\n{_pct(output.overall, 1)}"),
            xy=(1, output.overall),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            color=GREY,
            fontsize=0.85 * mpl.rcParams["font.size"],
            annotation_clip=False,
        )
        names = [_name(labels, p, p) for p in table["period"]]
        ax.set_xticks(x, names)
        ax.tick_params(axis="x", length=0)
        ax.set_xlabel(f"Posting {output.by}")
        ax.set_ylabel("Roles cancelled")
        # At least 0-5%: with no cancellations at all the axis would have no height.
        ax.set_ylim(0, max(0.05, float(np.nanmax(high)) * 1.3))
        _percent_axis(ax.yaxis)
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def seasonality(
    result: Result,
    ax: Axes | None = None,
    *,
    by: str = "quarter",
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """The chance that a role is cancelled, by posting quarter or month
    (:class:`Seasonality`)."""
    output = Seasonality.from_result(result, by)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)


# ---------------------------------------------------------------- felt vs actual
def draw_felt_vs_actual(
    output: FeltVsActual,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """Three lines against the felt-score percentile, the "felt great" range shaded."""
    table = output.to_df()
    markers = {
        "good_interview": (GREEN, "s"),
        "best_interview": (BLUE, "D"),
        "offer": (VERMILLION, "o"),
    }
    with talk_style(**style):
        ax = _axes(ax)
        ax.axvspan(output.felt_great_from, 100, color=ORANGE, alpha=0.12, lw=0)
        # The headline, on the chart: how many of those who felt great got no offer.
        no_offer = getattr(output, "no_offer", np.nan)
        said = f"\n{_pct(no_offer)} got no offer" if np.isfinite(no_offer) else ""
        ax.annotate(
            _name(labels, "felt_great", "felt great") + said,
            xy=(100, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-8, -8),
            textcoords="offset points",
            ha="right",
            va="top",
            color="#9A6200",
            fontweight="bold",
            fontsize=1.1 * mpl.rcParams["font.size"],
            linespacing=1.3,
        )
        for series, rows in table.groupby("series", sort=False):
            colour, marker = markers[series]
            name = _name(labels, series, rows["label"].iloc[0])
            ax.fill_between(
                rows["mid"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
            )
            ax.plot(
                rows["mid"], rows["rate"], marker=marker, color=colour, label=name, clip_on=False
            )
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 1)
        _percent_axis(ax.yaxis)
        ax.set_xlabel("How well the candidate felt it went (percentile among interviewees)")
        ax.set_ylabel("Share of candidates")
        ax.grid(axis="y")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.97))
        if subtitle is None:  # the note's formula in words a room follows
            subtitle = (
                output.note.split("\n")[0] + "\nshaded: the candidates who felt their "
                "interview went great (most candidates feel better about it than it went)"
            )
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def felt_vs_actual(
    result: Result,
    ax: Axes | None = None,
    *,
    bins: int = 10,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """How the interview felt against how it went (:class:`FeltVsActual`)."""
    output = FeltVsActual.from_result(result, bins=bins)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)


# ------------------------------------------------------------------ time to fill
def draw_time_to_fill(
    output: TimeToFill,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Weekly bars of days to fill, with the median and the 80th percentile marked."""
    table = output.to_df()
    with talk_style(**style):
        ax = _axes(ax)
        ax.bar(table["low"], table["share"], width=7.0, align="edge", color=BLUE, lw=0.5,
               edgecolor="white")  # fmt: skip
        top = float(table["share"].max())
        # The median's label left of its line, the 80th percentile's right of its own: the
        # two never meet however close the lines are; both sit above the tallest bar.
        for value, text, side in (
            (output.median, "half of roles\nby day", -1),
            (output.p80, "4 in 5\nby day", 1),
        ):
            ax.axvline(value, color=VERMILLION, ls="--", lw=2)
            ax.annotate(
                f"{text} {value:.0f}", xy=(value, 1.42 * top), xytext=(6 * side, 0),
                textcoords="offset points", va="top", ha="left" if side > 0 else "right",
                color=VERMILLION, fontsize=0.85 * mpl.rcParams["font.size"],
            )  # fmt: skip
        ax.set_xlim(0, float(table["high"].max()))
        ax.set_ylim(0, 1.45 * top)
        ax.set_xlabel("Days from posting to an accepted offer")
        ax.set_ylabel("Share of filled roles")
        _percent_axis(ax.yaxis)
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def time_to_fill(
    result: Result,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Days from posting to the first accepted offer (:class:`TimeToFill`)."""
    return TimeToFill.from_result(result).plot(ax, title=title, subtitle=subtitle, **style)
