"""Charts of one run: funnel, loss reasons, offer probability, margins, seasonality,
felt vs actual."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.charts.data import cluster_rate, offer_probability_table
from simfunnel.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    VERMILLION,
    _axes,
    _headline,
    _one_in,
    _pct,
    _percent_axis,
    _scenario_note,
    talk_style,
)
from simfunnel.metrics import (
    LOSS_REASONS,
    METHODS,
    STAGES,
)
from simfunnel.result import Result


# ------------------------------------------------------------------------ charts
def funnel(
    result: Result, ax: Axes | None = None, *, title: str | None = None, **style: Any
) -> Axes:
    """Applicants -> shortlisted -> interviewed -> offers -> hires, per opening (log scale).

    Each bar is labelled with its count per opening and the conversion from the stage
    before; error bars are 95% CIs. The title states the offer rate among interviewees.
    """
    frame = result.funnel()
    summary = result.summary()
    offer_rate = float(summary.loc["offer_rate_interviewed", "value"])
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(frame))[::-1]
        colours = [GREY, GREY, BLUE, ORANGE, GREEN][: len(frame)]
        counts = frame["count_per_opening"].to_numpy()
        errors = np.vstack([counts - frame["ci_low"], frame["ci_high"] - counts])
        ax.barh(y, counts, color=colours, height=0.68)
        ax.errorbar(counts, y, xerr=errors, fmt="none", ecolor="#222222", elinewidth=2)
        ax.set_xscale("log")
        positive = counts[counts > 0]  # a stage can be empty (e.g. a bar nobody clears)
        ax.set_xlim(min(0.3, positive.min() / 2), counts.max() * 5)
        ax.set_yticks(y, [STAGES.get(s, s) for s in frame["stage"]])
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Per opening (log scale)")
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        previous = [None, *frame["stage"][:-1]]
        for yi, count, rate, before in zip(y, counts, frame["rate"], previous, strict=True):
            text = f"{count:.3g}" if count < 100 else f"{count:.0f}"
            if before is not None:
                text += f"   ({_pct(rate, 1 if rate < 0.1 else 0)} of {before})"
            ax.annotate(
                text,
                xy=(count, yi),
                xytext=(12, 0),
                textcoords="offset points",
                va="center",
                fontsize=mpl.rcParams["font.size"],
            )
        if not offer_rate > 0:
            finding = "No interviewee gets an offer"
        elif offer_rate <= 0.4:
            finding = f"Only 1 in {_one_in(offer_rate)} interviewees gets an offer"
        else:
            finding = f"{_pct(offer_rate)} of interviewees get an offer"
        hires = counts[-1]
        note = (
            f"{_scenario_note(result)}\n"
            f"{counts[0]:.0f} applicants per opening end in {hires:.2f} hires"
        )
        _headline(ax, finding, note, title)
    return ax


def loss_reasons(
    result: Result,
    ax: Axes | None = None,
    *,
    methods: Sequence[str] = ("sequential", "shapley"),
    title: str | None = None,
    **style: Any,
) -> Axes:
    """Why good interviews lost: share of good interviewees without an offer, by reason.

    ``methods`` picks the attributions shown side by side (``sequential``,
    ``shapley``, ``removed_alone``); error bars are 95% CIs.
    """
    frame = result.loss_reasons()
    frame = frame[frame["method"].isin(methods)]
    if frame.empty:
        raise ValueError("this result has no loss attribution (simulate with attribution=True)")
    reasons = [r for r in LOSS_REASONS if r in set(frame["reason"])]
    first = methods[0]
    primary = frame[frame["method"] == first].set_index("reason")["share"]
    with talk_style(**style):
        ax = _axes(ax)
        height = 0.8 / len(methods)
        base = np.arange(len(reasons))[::-1]
        colours = {"sequential": BLUE, "shapley": ORANGE, "removed_alone": GREEN}
        for i, method in enumerate(methods):
            rows = frame[frame["method"] == method].set_index("reason").reindex(reasons)
            y = base + (len(methods) - 1) / 2 * height - i * height
            share = rows["share"].to_numpy()
            errors = np.vstack([share - rows["ci_low"], rows["ci_high"] - share])
            ax.barh(
                y,
                share,
                height=height * 0.92,
                color=colours.get(method),
                label=METHODS[method],
            )
            ax.errorbar(
                share, y, xerr=np.nan_to_num(errors), fmt="none", ecolor="#222222", elinewidth=1.5
            )
            if i == 0:
                for yi, value, high in zip(y, share, rows["ci_high"], strict=True):
                    if np.isfinite(value):
                        ax.annotate(
                            _pct(value),
                            xy=(high, yi),
                            xytext=(8, 0),
                            textcoords="offset points",
                            va="center",
                            fontsize=0.85 * mpl.rcParams["font.size"],
                            color=colours.get(method),
                            fontweight="bold",
                        )
        ax.set_yticks(base, [LOSS_REASONS[r].label for r in reasons])
        ax.tick_params(axis="y", length=0)
        _percent_axis(ax.xaxis)
        ax.set_xlim(0, max(0.05, float(frame["ci_high"].max())) * 1.15)
        ax.grid(axis="x")
        if len(methods) > 1:
            ax.legend(loc="center right")
        good_share = _pct(result.scenario.analysis.good_interview_top_share)
        if first == "removed_alone":
            # The share of good losers who would then get an offer: not a rise in the
            # offer rate, since someone else may lose the offer they would get.
            ax.set_xlabel("Share of good interviews without an offer that would get one")
            top = primary.idxmax()
            finding = (
                f"Without {LOSS_REASONS[top].label.lower()}, {_pct(primary[top])} of the good "
                "interviews that lose would win an offer"
            )
            detail = "each switched off alone on the same draws; someone else may lose instead"
        else:
            ax.set_xlabel("Share of good interviews that got no offer")
            mechanisms = primary.drop(["narrow_margin", "outperformed"], errors="ignore")
            if mechanisms.empty:
                mechanisms = primary
            top = mechanisms.idxmax()
            finding = (
                f"{LOSS_REASONS[top].label} sinks {_pct(mechanisms[top])} of the good interviews "
                "that lose"
            )
            if "outperformed" in primary:
                finding += f"; {_pct(primary['outperformed'])} were simply outperformed"
            detail = "reason = the first removal that gives them an offer"
        note = f"{_scenario_note(result)}\ngood interview = top {good_share} of scores; {detail}"
        _headline(ax, finding, note, title)
    return ax


def offer_probability(
    result: Result,
    ax: Axes | None = None,
    *,
    by: str = "rank",
    min_count: int = 50,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """P(offer) for an interviewee, with cluster-honest 95% CIs.

    ``by="rank"``: against rank within the slate (1 = best), ranked by interview score
    and by true quality. ``by="quality"``: external interviewees against their
    true-quality percentile in the applicant pool.
    """
    table = offer_probability_table(result, by, min_count=min_count)
    if table.empty:
        raise ValueError("this result has no interviewees to chart")
    with talk_style(**style):
        ax = _axes(ax)
        if by == "rank":
            for label, colour, marker in (
                ("interview score", BLUE, "o"),
                ("true quality", ORANGE, "s"),
            ):
                rows = table[table["ranked_by"] == label]
                ax.fill_between(
                    rows["rank"], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
                )
                ax.plot(
                    rows["rank"],
                    rows["rate"],
                    marker=marker,
                    color=colour,
                    label=f"Ranked by {label}",
                )
            ax.set_xticks(np.arange(1, int(table["rank"].max()) + 1))
            ax.set_xlabel("Rank within the interview slate (1 = best)")
            ax.legend(loc="upper right")
            best = table[(table["ranked_by"] == "interview score") & (table["rank"] == 1)]
            truly = table[(table["ranked_by"] == "true quality") & (table["rank"] == 1)]
            p_best = float(best["rate"].iloc[0])
            finding = (
                f"Even the best interview gets an offer only {_pct(p_best)} of the time"
                if p_best < 0.9
                else f"The best interview gets an offer {_pct(p_best)} of the time"
            )
            extra = ""
            if len(truly):
                p_truly = _pct(truly["rate"].iloc[0])
                extra = f"; the truly best candidate in the slate gets one {p_truly} of the time"
            note = f"{_scenario_note(result)}\n{len(result.candidates):,} interviewees{extra}"
        elif by == "quality":
            ax.fill_between(
                table["mid"], table["ci_low"], table["ci_high"], color=BLUE, alpha=0.2, lw=0
            )
            ax.plot(
                table["mid"], table["rate"], marker="o", color=BLUE, label="P(offer | interviewed)"
            )
            ax.set_xlim(0, 101)
            ax.set_xlabel("True quality: percentile of the applicant pool")
            top = table.iloc[-1]
            finding = (
                f"Even a top-{100 - top['low']:.0f}% candidate gets an offer from only "
                f"{_pct(top['rate'])} of interviews"
            )
            overall = float(result.summary().loc["offer_rate_interviewed", "value"])
            ax.axhline(overall, color=GREY, ls=":", lw=2)
            ax.annotate(
                f"all interviewees: {_pct(overall)}",
                xy=(0.01, overall),
                xycoords=("axes fraction", "data"),
                xytext=(0, 6),
                textcoords="offset points",
                ha="left",
                color=GREY,
                fontsize=0.85 * mpl.rcParams["font.size"],
            )
            note = (
                f"{_scenario_note(result)}\n"
                "external interviewees, in bands of percentiles: "
                + ", ".join(
                    f"{lo:g}–{hi:g}" for lo, hi in zip(table["low"], table["high"], strict=True)
                )
            )
        else:
            raise ValueError(f"by must be 'rank' or 'quality', got {by!r}")
        ax.set_ylim(0, min(1.0, max(float(table["ci_high"].max()) * 1.15, 0.05)))
        _percent_axis(ax.yaxis)
        ax.set_ylabel("P(offer)")
        ax.grid(axis="y")
        _headline(ax, finding, note, title)
    return ax


def margins(
    result: Result,
    ax: Axes | None = None,
    *,
    quantile: float = 0.99,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """Distribution of the winner's lead over the runner-up in the manager's score U.

    In standard deviations of U among interviewees (raw U when the scenario's
    ``analysis.narrow_margin`` is 0); bins are as wide as the microscopic band, which
    is shaded. The x-axis stops at the ``quantile`` of margins.
    """
    margin = result.openings["margin"].dropna().to_numpy(dtype=float)
    if margin.size == 0:
        raise ValueError("this result has no decided openings with a runner-up")
    band_u = float(result.metadata["narrow_margin_u"])
    band_sd = float(result.scenario.analysis.narrow_margin)
    scale = band_u / band_sd if band_sd > 0 and band_u > 0 else 1.0
    band = band_u / scale
    values = margin / scale
    summary = result.summary()
    if "microscopic_margin_rate" in summary.index:
        rate, low, high = summary.loc["microscopic_margin_rate", ["value", "ci_low", "ci_high"]]
    else:
        rate = low = high = float(np.mean(margin < band_u))
    with talk_style(**style):
        ax = _axes(ax)
        width = band if band > 0 else (np.quantile(values, quantile) - values.min()) / 50
        top = float(np.quantile(values, quantile))
        edges = np.arange(min(0.0, values.min()), top + width, width)
        counts, _ = np.histogram(values, edges)
        share = counts / values.size
        colours = [VERMILLION if left < band else BLUE for left in edges[:-1]]
        ax.bar(
            edges[:-1], share, width=width, align="edge", color=colours, edgecolor="white", lw=0.5
        )
        ax.axvspan(0, band, color=VERMILLION, alpha=0.12, lw=0)
        ax.annotate(
            f"microscopic: lead < {band:g} SD\n{_pct(rate, 1)} of decisions",
            xy=(band, float(share[0]) if share.size else 0),
            xytext=(0.12, 0.92),
            textcoords="axes fraction",
            color=VERMILLION,
            fontweight="bold",
            va="top",
            arrowprops={"arrowstyle": "-", "color": VERMILLION, "lw": 1.5},
        )
        ax.set_xlim(edges[0], edges[-1])
        ax.set_ylim(0, float(share.max()) * 1.1)
        ax.yaxis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=1))
        unit = "SDs of the manager's score" if scale != 1.0 else "manager's score U"
        ax.set_xlabel(f"Winner's lead over the runner-up ({unit})")
        ax.set_ylabel("Share of decisions")
        finding = (
            f"1 in {_one_in(rate)} hiring decisions is won by a microscopic margin"
            if rate > 0
            else "No hiring decision is won by a microscopic margin"
        )
        note = (
            f"{_scenario_note(result)}\n"
            f"microscopic = under {band:g} SD: {_pct(rate, 1)} "
            f"(95% CI {_pct(low, 1)}–{_pct(high, 1)}) of {values.size:,} decisions with a runner-up"
        )
        _headline(ax, finding, note, title)
    return ax


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def seasonality(
    result: Result,
    ax: Axes | None = None,
    *,
    by: str = "quarter",
    title: str | None = None,
    **style: Any,
) -> Axes:
    """Probability that a role is cancelled, by posting quarter (or month), with 95% CIs.

    ``by="quarter"`` uses the run's summary (all openings); ``by="month"`` uses the
    openings table (posting week -> month).
    """
    summary = result.summary()
    overall = float(summary.loc["cancel_rate", "value"])
    if by == "quarter":
        rows = summary.loc[[f"cancel_rate_q{q}" for q in range(1, 5)]]
        labels = ["Q1", "Q2", "Q3", "Q4"]
        rate = rows["value"].to_numpy()
        low, high = rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy()
    elif by == "month":
        openings = result.openings
        month = np.minimum(openings["posting_week"].to_numpy() * 12 // 52, 11)
        table = cluster_rate(openings, pd.Series(month, index=openings.index), "cancelled").reindex(
            range(12)
        )
        labels = list(MONTHS)
        rate = table["rate"].to_numpy()
        low, high = table["ci_low"].to_numpy(), table["ci_high"].to_numpy()
    else:
        raise ValueError(f"by must be 'quarter' or 'month', got {by!r}")
    with talk_style(**style):
        ax = _axes(ax)
        x = np.arange(len(labels))
        highest, lowest = int(np.nanargmax(rate)), int(np.nanargmin(rate))
        colours = [VERMILLION if i == highest else BLUE for i in x]
        ax.bar(x, rate, color=colours, width=0.7)
        ax.errorbar(
            x,
            rate,
            yerr=np.vstack([rate - low, high - rate]),
            fmt="none",
            ecolor="#222222",
            elinewidth=2,
        )
        if by == "quarter":
            for xi, value, top in zip(x, rate, high, strict=True):
                ax.annotate(
                    _pct(value, 1),
                    xy=(xi, top),
                    xytext=(0, 6),
                    textcoords="offset points",
                    ha="center",
                )
        ax.axhline(overall, color=GREY, ls="--", lw=2, label=f"All openings: {_pct(overall, 1)}")
        ax.legend(loc="upper center")
        ax.set_xticks(x, labels)
        ax.tick_params(axis="x", length=0)
        ax.set_xlabel(f"Posting {by}")
        ax.set_ylabel("Roles cancelled")
        # At least 0-5%: with no cancellations at all the axis would have no height.
        ax.set_ylim(0, max(0.05, float(np.nanmax(high)) * 1.3))
        _percent_axis(ax.yaxis)
        ratio = rate[highest] / rate[lowest] if rate[lowest] > 0 else np.inf
        if ratio >= 1.15:
            finding = (
                f"Roles posted in {labels[highest]} are cancelled {ratio:.1f}x as often "
                f"as in {labels[lowest]}"
            )
        else:
            finding = (
                f"Cancellation risk barely depends on the posting {by} (about {_pct(overall)})"
            )
        note = f"{_scenario_note(result)}\ncancelled at any stage, before or after interviews"
        _headline(ax, finding, note, title)
    return ax


def felt_vs_actual(
    result: Result,
    ax: Axes | None = None,
    *,
    bins: int = 10,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """How the interview felt against how it went: by felt-score percentile among
    interviewees, P(actually a good interview), P(best interview of the slate) and
    P(offer), with cluster-honest 95% bands; the "felt great" range is shaded.
    """
    candidates = result.candidates
    if candidates.empty:
        raise ValueError("this result has no interviewees to chart")
    summary = result.summary()
    felt = candidates["felt_great"].astype(bool)
    if "felt_great_no_offer_rate" in summary.index:
        no_offer = float(summary.loc["felt_great_no_offer_rate", "value"])
    else:
        no_offer = float((~candidates.loc[felt, "offer"].astype(bool)).mean())
    percentile = 100 * candidates["felt_score"].rank(pct=True, method="average")
    edges = np.linspace(0, 100, bins + 1)
    group = np.clip(np.searchsorted(edges, percentile.to_numpy(), side="left") - 1, 0, bins - 1)
    mids = (edges[:-1] + edges[1:]) / 2
    frame = candidates.assign(best_interview=candidates["interview_rank"] == 1)
    top_share = _pct(result.scenario.analysis.good_interview_top_share)
    series = (
        ("good_interview", f"Actually a good interview (top {top_share})", GREEN, "s"),
        ("best_interview", "Actually the best interview of the slate", BLUE, "D"),
        ("offer", "Got an offer", VERMILLION, "o"),
    )
    with talk_style(**style):
        ax = _axes(ax)
        felt_low = float(percentile[felt].min()) if felt.any() else 100.0
        ax.axvspan(felt_low, 100, color=ORANGE, alpha=0.12, lw=0)
        ax.annotate(
            "felt great",
            xy=(felt_low, 1),
            xycoords=("data", "axes fraction"),
            xytext=(8, -8),
            textcoords="offset points",
            va="top",
            color="#9A6200",
            fontweight="bold",
        )
        for column, label, colour, marker in series:
            table = cluster_rate(frame, pd.Series(group, index=frame.index), column).reindex(
                range(bins)
            )
            ax.fill_between(mids, table["ci_low"], table["ci_high"], color=colour, alpha=0.2, lw=0)
            ax.plot(mids, table["rate"], marker=marker, color=colour, label=label, clip_on=False)
        ax.set_xlim(0, 100)
        ax.set_ylim(0, 1)
        _percent_axis(ax.yaxis)
        ax.set_xlabel("How well the candidate felt it went (percentile among interviewees)")
        ax.set_ylabel("Share of candidates")
        ax.grid(axis="y")
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.93))
        finding = f"{_pct(no_offer)} of candidates who felt great got no offer"
        bias = result.scenario.interview.self_assessment.bias
        note = (
            f"{_scenario_note(result)}\n"
            f"felt score = interview score + self-assessment bias ({bias:+g}) + noise"
        )
        _headline(ax, finding, note, title)
    return ax
