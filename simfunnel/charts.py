"""Charts for talks and notebooks.

Every chart is a function ``chart(data, ax=None, *, title=None, **style) -> Axes``:

- ``data`` is a :class:`~simfunnel.result.Result` (a list of them for :func:`compare`,
  a tidy DataFrame for :func:`job_search`);
- ``ax`` is drawn into when given, else a new 16:9 figure is made with pyplot (so a
  notebook shows it);
- ``title`` replaces the computed headline; by default the title *states the finding*,
  computed from the data ("Only 1 in 5 interviewees gets an offer"). It is the axes'
  left-aligned title, ``ax.get_title(loc="left")``, with a grey subtitle under it;
- ``**style`` are matplotlib rcParams laid over the talk style for this chart only,
  given as ``**{"font.size": 12}`` or with underscores, ``font_size=12``.

The talk style (``talk.mplstyle`` beside this module) is applied with
``plt.style.context`` inside each function, so it never leaks into the caller's
global style. No function shows a figure (they return Axes). This is the only module of the package
that imports matplotlib.

:func:`render_all` writes every chart a result supports into a folder (PNG at 200 dpi,
SVG, PDF), each file atomically and reproducibly: the same result gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from scipy.special import ndtr

from simfunnel.metrics import (
    LOSS_REASONS,
    METHODS,
    METRICS,
    STAGES,
    SWEEP_METRICS,
    key_label,
    ordinal,
)
from simfunnel.metrics import label as metric_label
from simfunnel.result import Result, atomic_write
from simfunnel.summary import Z_95
from simfunnel.you import YouResult

STYLE_PATH = Path(__file__).with_name("talk.mplstyle")

# Okabe-Ito (the style's colour cycle, named for the roles they play here).
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
PURPLE, SKY, GREY = "#CC79A7", "#56B4E9", "#777777"
NOTE_COLOUR = "#555555"

COMPARE_METRICS = (
    "offer_rate_interviewed",
    "top_interview_offer_rate",
    "good_interview_offer_rate",
    "best_interviewee_hired_rate",
    "internal_win_rate",
    "hire_rate",
    "cancel_rate",
    "microscopic_margin_rate",
    "bad_hire_rate",
)
CHART_FORMATS = ("png", "svg", "pdf")
PNG_DPI = 200
# Metadata that would otherwise stamp the render time into the file.
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
    "svg": {"metadata": {"Date": None}},
    "pdf": {"metadata": {"CreationDate": None, "ModDate": None}},
}


# --------------------------------------------------------------------------- style
def _rc(style: Mapping[str, Any]) -> dict[str, Any]:
    """rcParams from ``**style``: exact keys, or keys with '.' written as '_'."""
    aliases = {key.replace(".", "_"): key for key in mpl.rcParams}
    rc = {}
    for key, value in style.items():
        name = key if key in mpl.rcParams else aliases.get(key)
        if name is None:
            raise TypeError(f"unknown style option {key!r}: not a matplotlib rcParam")
        rc[name] = value
    return rc


@contextmanager
def talk_style(**style: Any) -> Iterator[None]:
    """The talk style (plus ``**style`` rcParams) for the duration of a ``with`` block.

    Everything is restored on exit except the interactive flag: pyplot may switch it on
    when it first resolves its backend inside the block (Jupyter's inline backend does),
    and undoing that would stop every later figure of the session from being shown.
    """
    with plt.style.context([str(STYLE_PATH), _rc(style)]):
        try:
            yield
        finally:
            interactive = mpl.is_interactive()
    mpl.interactive(interactive)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _headline(ax: Axes, finding: str, note: str, title: str | None = None) -> None:
    """Title (the finding) with a grey subtitle under it, both wrapped to fit the figure.

    The title is left-aligned with the axes; it may run on to the figure's right edge
    (to the axes' right edge when the figure has several axes). Call it last: the width
    left for the title depends on the tick labels already drawn.
    """
    figure = ax.get_figure(root=True)
    note_size = 0.8 * mpl.rcParams["font.size"]
    # Lay the axes out before the title is set: a long title, not yet wrapped, would make
    # constrained layout squeeze the axes, and it does not give the width back at once.
    figure.draw_without_rendering()
    box = ax.get_window_extent()
    margin = 0.02 * figure.bbox.width
    # With several axes, a title wider than its axes would make the layout shrink them.
    right = box.x1 - 2 * margin if len(figure.axes) > 1 else figure.bbox.x1 - margin
    available = right - box.x0
    heading = ax.set_title(title if title is not None else finding)
    subtitle = ax.annotate(
        note,
        xy=(0, 1),
        xycoords="axes fraction",
        xytext=(0, 8),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=note_size,
        color=NOTE_COLOUR,
        annotation_clip=False,
    )
    _wrap(heading, available)
    _wrap(subtitle, available)
    lines = subtitle.get_text().count("\n") + 1 if note else 0
    ax.set_title(heading.get_text(), pad=12 + 1.25 * note_size * lines)


def _wrap(text: Any, width: float) -> None:
    """Re-break each line of ``text`` at spaces so that no line is wider than ``width`` px."""
    lines = []
    for paragraph in text.get_text().split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            text.set_text(candidate)
            if line and text.get_window_extent().width > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    text.set_text("\n".join(lines))


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def _one_in(rate: float) -> int:
    return round(1 / rate)


def _scenario_note(result: Result) -> str:
    openings = result.metadata.get("openings", len(result.openings))
    return f"{result.scenario.name} scenario · {openings:,} simulated openings · 95% CIs"


def _percent_axis(axis: Any) -> None:
    axis.set_major_formatter(mpl.ticker.PercentFormatter(1.0))


# ------------------------------------------------------------------ tidy helpers
def cluster_rate(frame: pd.DataFrame, by: str | pd.Series, success: str) -> pd.DataFrame:
    """P(success) per group with 95% CIs that respect clustering within openings.

    Interviewees of one opening compete, so they are not independent; openings are.
    Each group's rate is a ratio of per-opening totals with the delta-method variance
    over openings (as in :mod:`simfunnel.summary`), which reduces to the binomial
    interval when an opening contributes at most one row per group.

    Parameters
    ----------
    frame : DataFrame
        One row per interviewee (or opening), with an ``opening`` column.
    by : str or Series
        Column name or values to group by.
    success : str
        Boolean column.

    Returns
    -------
    DataFrame
        Index = group; columns ``rate, ci_low, ci_high, count, openings``.
    """
    keys = frame[by] if isinstance(by, str) else pd.Series(np.asarray(by), index=frame.index)
    per_opening = (
        pd.DataFrame(
            {"group": keys, "opening": frame["opening"], "y": frame[success].astype(float)}
        )
        .groupby(["group", "opening"], observed=True)["y"]
        .agg(["sum", "size"])
    )
    groups = per_opening.groupby(level="group", observed=True)
    y, x, n = groups["sum"].sum(), groups["size"].sum(), groups.size()
    rate = y / x
    expected = (
        rate.reindex(per_opening.index.get_level_values("group")).to_numpy() * per_opening["size"]
    )
    residual_ss = ((per_opening["sum"] - expected) ** 2).groupby(level="group", observed=True).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(residual_ss / (n * (n - 1))) / (x / n)
    return pd.DataFrame(
        {
            "rate": rate,
            "ci_low": (rate - Z_95 * se).clip(lower=0.0),
            "ci_high": (rate + Z_95 * se).clip(upper=1.0),
            "count": x.astype(int),
            "openings": n.astype(int),
        }
    )


def quality_percentile(candidates: pd.DataFrame) -> pd.Series:
    """Each interviewee's true quality as a percentile of the applicant pool (q ~ N(0, 1))."""
    return pd.Series(100 * ndtr(candidates["quality"].to_numpy()), index=candidates.index)


QUALITY_BINS = (0, 25, 50, 70, 80, 90, 95, 99, 100)


def offer_probability_table(
    result: Result,
    by: str = "rank",
    *,
    min_count: int = 50,
    quality_bins: Sequence[float] = QUALITY_BINS,
) -> pd.DataFrame:
    """The data behind :func:`offer_probability`: P(offer) with cluster-honest 95% CIs.

    Parameters
    ----------
    result : Result
    by : {"rank", "quality"}
        ``"rank"``: by rank within the slate (1 = best), once ranked by interview score
        and once by true quality (column ``ranked_by``). ``"quality"``: external
        interviewees by true-quality percentile of the applicant pool, in
        ``quality_bins`` (columns ``low, high, mid``).
    min_count : int
        Groups with fewer interviewees are dropped (too noisy to show).
    """
    candidates = result.candidates
    if by == "rank":
        frames = []
        for column, label in (
            ("interview_rank", "interview score"),
            ("quality_rank", "true quality"),
        ):
            table = cluster_rate(candidates, column, "offer")
            table.index.name = "rank"
            frames.append(table.reset_index().assign(ranked_by=label))
        out = pd.concat(frames, ignore_index=True)
        return out[out["count"] >= min_count].reset_index(drop=True)
    if by == "quality":
        externals = candidates[~candidates["internal"].astype(bool)]
        edges = np.asarray(quality_bins, dtype=float)
        bins = pd.cut(quality_percentile(externals), edges, include_lowest=True)
        table = cluster_rate(externals, bins, "offer")
        table = table.reindex(bins.cat.categories).dropna(subset=["rate"])
        out = table.reset_index(drop=True)
        out.insert(0, "low", [interval.left for interval in table.index])
        out.insert(1, "high", [interval.right for interval in table.index])
        out.insert(2, "mid", (out["low"] + out["high"]) / 2)
        out["low"] = out["low"].clip(lower=0.0)
        return out[out["count"] >= min_count].reset_index(drop=True)
    raise ValueError(f"by must be 'rank' or 'quality', got {by!r}")


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


def compare(
    results: Sequence[Result],
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    metrics: Mapping[str, str] | Sequence[str] | None = None,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """Headline rates of several scenarios side by side, with 95% CIs.

    ``labels`` defaults to the scenario names; ``metrics`` to :data:`COMPARE_METRICS`
    (a list of summary metric names, labelled from the registry, or a mapping name ->
    label). The title names the
    metric that differs most between the scenarios.
    """
    if isinstance(results, Result):
        results = [results]
    results = list(results)
    if not results:
        raise ValueError("compare needs at least one result")
    labels = list(labels) if labels is not None else [r.scenario.name for r in results]
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} results")
    if not isinstance(metrics, Mapping):
        metrics = {m: _metric_label(m) for m in (COMPARE_METRICS if metrics is None else metrics)}
    summaries = [r.summary() for r in results]
    names = [m for m in metrics if all(m in s.index for s in summaries)]
    values = np.array([[s.loc[m, "value"] for m in names] for s in summaries])
    lows = np.array([[s.loc[m, "ci_low"] for m in names] for s in summaries])
    highs = np.array([[s.loc[m, "ci_high"] for m in names] for s in summaries])
    colours = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#000000"]
    with talk_style(**style):
        ax = _axes(ax)
        height = 0.8 / len(results)
        base = np.arange(len(names))[::-1]
        for i, label in enumerate(labels):
            y = base + (len(results) - 1) / 2 * height - i * height
            errors = np.vstack([values[i] - lows[i], highs[i] - values[i]])
            ax.barh(
                y, values[i], height=height * 0.92, color=colours[i % len(colours)], label=label
            )
            ax.errorbar(values[i], y, xerr=errors, fmt="none", ecolor="#222222", elinewidth=1.5)
        ax.set_yticks(base, [metrics[m] for m in names])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0, min(1.0, float(highs.max()) * 1.1))
        ax.set_xlabel("Rate")
        _percent_axis(ax.xaxis)
        ax.grid(axis="x")
        ax.legend(loc="lower right")
        # The finding names the metric that differs most among those every scenario
        # has (an internal win rate is undefined without internals).
        spread = np.where(
            np.isnan(values).any(axis=0),
            -np.inf,
            np.nanmax(values, axis=0) - np.nanmin(values, axis=0),
        )
        if len(results) == 1:
            first = names[0]
            finding = f"{metrics[first]}: {_pct(values[0, 0])}"
        else:
            j = int(np.argmax(spread))
            low_i, high_i = int(np.argmin(values[:, j])), int(np.argmax(values[:, j]))
            if len(results) == 2:
                finding = (
                    f"{metrics[names[j]]}: {_pct(values[0, j])} in {labels[0]} "
                    f"vs {_pct(values[1, j])} in {labels[1]}"
                )
            else:
                finding = (
                    f"{metrics[names[j]]}: from {_pct(values[low_i, j])} ({labels[low_i]}) "
                    f"to {_pct(values[high_i, j])} ({labels[high_i]})"
                )
        openings = ", ".join(f"{r.metadata.get('openings', len(r.openings)):,}" for r in results)
        note = f"simulated openings: {openings} · 95% CIs"
        _headline(ax, finding, note, title)
    return ax


# ------------------------------------------------------ sweeps and sensitivity
RISK_AVERSION = "manager.risk_aversion"
RISK_TRADEOFF_METRICS = (
    "mean_hire_value",
    "bad_hire_rate",
    "internal_win_rate",
    "best_interviewee_hired_rate",
)
SWEEP_COLUMNS = ("metric", "value", "ci_low", "ci_high")
SENSITIVITY_COLUMNS = ("parameter", "low", "high", "value_low", "value_high", "swing")
SOBOL_COLUMNS = ("parameter", "S1", "S1_conf", "ST", "ST_conf")


def _unit(metric: str) -> str:
    """``"rate"`` (a share, shown in %), ``"count"`` (per opening) or ``"value"`` (SD)."""
    return {"share": "rate", "per_opening": "count", "sd": "value"}[METRICS[metric].unit]


def _metric_label(metric: str) -> str:
    return metric_label(metric)


def _axis_label(metric: str) -> str:
    entry = METRICS.get(metric)
    return entry.axis_label if entry else metric_label(metric)


def _key_label(key: str) -> str:
    """A readable name for a dotted scenario key (from the registry)."""
    return key_label(key)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _rate_digits(values: np.ndarray) -> int:
    """Whole percentages unless the values are small or close together."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0
    return 1 if values.min() < 0.1 or np.ptp(values) < 0.03 else 0


def _format_metric(metric: str, value: float, digits: int = 0) -> str:
    unit = _unit(metric)
    if unit == "rate":
        return _pct(value, digits)
    if unit == "value":
        return f"{value:.2f} SD"
    return f"{value:.3g}"


def _format_axis(metric: str, axis: Any) -> None:
    """Percentages for rates, with as many decimals as the tick spacing needs."""
    if _unit(metric) != "rate":
        return
    ticks = axis.get_majorticklocs()
    step = float(np.min(np.diff(ticks))) if len(ticks) > 1 else 0.01
    decimals = max(0, int(np.ceil(-np.log10(100 * step) - 1e-9))) if step > 0 else 1
    axis.set_major_formatter(mpl.ticker.PercentFormatter(1.0, decimals=decimals))


def sweep_keys(table: pd.DataFrame) -> list[str]:
    """The varied keys of a :func:`simfunnel.sweep` table: every column but the metric's."""
    missing = [c for c in SWEEP_COLUMNS if c not in table]
    if missing:
        raise ValueError(
            f"a sweep table needs columns {', '.join(SWEEP_COLUMNS)} after the varied keys; "
            f"missing {missing}"
        )
    return [c for c in table.columns if c not in SWEEP_COLUMNS]


def _sweep_note(table: pd.DataFrame, keys: Sequence[str]) -> str:
    parts = []
    if table.attrs.get("scenario"):
        parts.append(f"{table.attrs['scenario']} scenario")
    parts.append("sweep of " + " × ".join(keys))
    if table.attrs.get("openings"):
        parts.append(f"{int(table.attrs['openings']):,} simulated openings per point")
    parts.append("the same random draws at every point")
    return " · ".join(parts)


def _sweep_series(table: pd.DataFrame, key: str, metric: str) -> pd.DataFrame:
    rows = table[table["metric"] == metric].dropna(subset=["value"]).sort_values(key)
    if rows.empty:
        raise ValueError(f"the sweep table has no values of {metric!r}")
    return rows


def _sweep_finding(rows: pd.DataFrame, key: str, metric: str) -> str:
    """The sentence a 1-D sweep of ``metric`` supports: a rise, a fall, a peak, or no change."""
    x = rows[key].to_numpy(dtype=float)
    value = rows["value"].to_numpy(dtype=float)
    low, high = rows["ci_low"].to_numpy(dtype=float), rows["ci_high"].to_numpy(dtype=float)
    digits = _rate_digits(value)
    label, where = _metric_label(metric), _lower_first(_key_label(key))

    def show(v: float) -> str:
        return _format_metric(metric, v, digits)

    top, bottom = int(np.argmax(value)), int(np.argmin(value))
    if len(value) < 2 or high[bottom] >= low[top]:
        return f"{label} barely moves with {where} ({show(value[bottom])}–{show(value[top])})"
    ends = (0, len(value) - 1)
    if top not in ends and low[top] > max(high[0], high[-1]):
        return f"{label} peaks at {show(value[top])} when {where} is {x[top]:g}"
    if bottom not in ends and high[bottom] < min(low[0], low[-1]):
        return f"{label} is lowest, {show(value[bottom])}, when {where} is {x[bottom]:g}"
    return (
        f"{label}: {show(value[0])} → {show(value[-1])} as {where} goes from {x[0]:g} to {x[-1]:g}"
    )


def _grid_ticks(ax: Axes, values: np.ndarray) -> None:
    """Tick every grid value when there are few of them."""
    if len(values) <= 12:
        ax.set_xticks(values, [f"{v:g}" for v in values])


def sweep_lines(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """A 1-D sweep: each metric against the varied key, with its 95% band.

    ``table`` is what :func:`simfunnel.sweep` returns for one varied key (the key's
    column, then ``metric, value, ci_low, ci_high``). ``metric`` names one metric or
    several that share a unit (rates, per-opening counts or hire value); by default
    the table's only metric, or the headline rates of :data:`SWEEP_METRICS` it holds.
    The title states how the (most changed) metric moves across the grid.
    """
    keys = sweep_keys(table)
    if len(keys) != 1:
        raise ValueError(
            f"sweep_lines draws a 1-D sweep; this table varies {', '.join(keys) or 'nothing'} "
            "(use sweep_heatmap for two keys)"
        )
    key = keys[0]
    present = list(dict.fromkeys(table["metric"]))
    if metric is None:
        names = (
            present
            if len(present) == 1
            else [m for m in SWEEP_METRICS if m in present and _unit(m) == "rate"]
        )
        if not names:
            raise ValueError(f"name the metric to draw: one of {', '.join(present)}")
    else:
        names = [metric] if isinstance(metric, str) else list(metric)
    unknown = [m for m in names if m not in present]
    if unknown:
        raise ValueError(
            f"the sweep table has no metric {unknown[0]!r}; it has {', '.join(present)}"
        )
    if len({_unit(m) for m in names}) > 1:
        raise ValueError(
            f"metrics drawn together must share a unit; {', '.join(names)} mix rates, "
            "per-opening counts and hire value (draw them separately)"
        )
    series = {m: _sweep_series(table, key, m) for m in names}
    colours = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#000000"]
    with talk_style(**style):
        ax = _axes(ax)
        for i, (name, rows) in enumerate(series.items()):
            colour = colours[i % len(colours)]
            ax.fill_between(
                rows[key], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
            )
            ax.plot(rows[key], rows["value"], marker="o", color=colour, label=_metric_label(name))
        _grid_ticks(ax, np.sort(table[key].unique()))
        _format_axis(names[0], ax.yaxis)
        ax.set_xlabel(_key_label(key))
        ax.set_ylabel(_axis_label(names[0]) if len(names) == 1 else "Rate")
        ax.grid(axis="y")
        if len(names) > 1:
            ax.legend(loc="best")

        # The title follows the metric that moves most across the grid.
        def change(name: str) -> float:
            values = series[name]["value"].to_numpy(dtype=float)
            return float(np.ptp(values)) if values.size else 0.0

        lead = max(names, key=change)
        finding = _sweep_finding(series[lead], key, lead)
        _headline(ax, finding, f"{_sweep_note(table, keys)} · 95% bands", title)
    return ax


def sweep_heatmap(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    metric: str | None = None,
    cmap: str = "cividis",
    title: str | None = None,
    **style: Any,
) -> Axes:
    """A 2-D sweep: ``metric`` over the grid of the two varied keys, each cell labelled.

    ``metric`` may be left out when the table holds only one. The first key runs up
    the y-axis, the second along the x-axis; the colour map is
    sequential and colour-blind safe (cividis). The title gives the range over the
    grid and where the metric is highest.
    """
    keys = sweep_keys(table)
    if len(keys) != 2:
        raise ValueError(
            f"sweep_heatmap draws a 2-D sweep; this table varies {', '.join(keys) or 'nothing'}"
            " (use sweep_lines for one key)"
        )
    row_key, column_key = keys
    if metric is None:
        present = list(dict.fromkeys(table["metric"]))
        if len(present) != 1:
            raise ValueError(f"name the metric to draw: one of {', '.join(present)}")
        metric = present[0]
    rows = table[table["metric"] == metric]
    if rows.empty:
        present = ", ".join(dict.fromkeys(table["metric"]))
        raise ValueError(f"the sweep table has no metric {metric!r}; it has {present}")
    grid = rows.pivot(index=row_key, columns=column_key, values="value").sort_index()
    grid = grid.sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    if not np.isfinite(values).any():
        raise ValueError(f"the sweep table has no values of {metric!r}")
    digits = _rate_digits(values)
    half_width = float(((rows["ci_high"] - rows["ci_low"]) / 2).max())
    with talk_style(**style):
        ax = _axes(ax)
        image = ax.imshow(values, cmap=cmap, origin="lower", aspect="auto")
        figure = ax.get_figure(root=True)
        colourbar = figure.colorbar(image, ax=ax, pad=0.02, fraction=0.05)
        colourbar.set_label(_axis_label(metric))
        colourbar.outline.set_visible(False)
        _format_axis(metric, colourbar.ax.yaxis)
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(_key_label(column_key))
        ax.set_ylabel(_key_label(row_key))
        size = mpl.rcParams["font.size"] * min(1.0, 7 / max(grid.shape))
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                shade = image.cmap(image.norm(value))
                luminance = 0.2126 * shade[0] + 0.7152 * shade[1] + 0.0722 * shade[2]
                ax.text(
                    j,
                    i,
                    _format_metric(metric, value, digits),
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="#111111" if luminance > 0.5 else "white",
                )
        top = np.unravel_index(np.nanargmax(values), values.shape)
        bottom = np.unravel_index(np.nanargmin(values), values.shape)

        def show(v: float) -> str:
            return _format_metric(metric, v, digits)

        if values[top] - values[bottom] < half_width:
            finding = (
                f"{_metric_label(metric)} barely varies over the grid "
                f"({show(values[bottom])}–{show(values[top])}, within the noise)"
            )
        else:
            finding = (
                f"{_metric_label(metric)}: from {show(values[bottom])} to {show(values[top])}, "
                f"highest where {_lower_first(_key_label(row_key))} = {grid.index[top[0]]:g} and "
                f"{_lower_first(_key_label(column_key))} = {grid.columns[top[1]]:g}"
            )
        note = (
            f"{_sweep_note(table, keys)}\n95% CIs within ±"
            + (
                f"{100 * half_width:.{max(digits, 1)}f} percentage points"
                if _unit(metric) == "rate"
                else _format_metric(metric, half_width, max(digits, 1))
            )
            + " of each cell"
        )
        _headline(ax, finding, note, title)
    return ax


def risk_tradeoff(
    table: pd.DataFrame, ax: Axes | None = None, *, title: str | None = None, **style: Any
) -> Axes:
    """Why managers fear the wrong hire: a 1-D sweep of ``manager.risk_aversion``.

    Internal win rate, P(the truly best interviewee is hired) and the bad-hire rate
    (left axis, %) and the mean value of a hire (right axis, dashed, in SDs of
    applicant quality) against risk aversion, with 95% bands. The title says what
    risk aversion buys: fewer bad hires, or not, and how rarely the truly best is hired.
    """
    keys = sweep_keys(table)
    if keys != [RISK_AVERSION]:
        raise ValueError(
            f"risk_tradeoff needs a 1-D sweep of {RISK_AVERSION}; this table varies "
            f"{', '.join(keys) or 'nothing'}"
        )
    present = set(table["metric"])
    missing = [m for m in RISK_TRADEOFF_METRICS if m not in present]
    if missing:
        raise ValueError(f"risk_tradeoff needs the metrics {', '.join(missing)} in the sweep")
    series = {m: _sweep_series(table, RISK_AVERSION, m) for m in RISK_TRADEOFF_METRICS}
    rates = (
        ("internal_win_rate", ORANGE, "s"),
        ("best_interviewee_hired_rate", BLUE, "o"),
        ("bad_hire_rate", VERMILLION, "D"),
    )
    with talk_style(**style):
        ax = _axes(ax)
        handles = []
        for name, colour, marker in rates:
            rows = series[name]
            ax.fill_between(
                rows[RISK_AVERSION], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
            )
            (line,) = ax.plot(
                rows[RISK_AVERSION],
                rows["value"],
                marker=marker,
                color=colour,
                label=_metric_label(name),
            )
            handles.append(line)
        ax.set_ylim(0, 1)
        _percent_axis(ax.yaxis)
        ax.set_ylabel("Rate")  # of hires, or of races with an internal
        ax.set_xlabel(_key_label(RISK_AVERSION))
        _grid_ticks(ax, series["bad_hire_rate"][RISK_AVERSION].to_numpy())
        ax.grid(axis="y")

        value_ax = ax.twinx()
        rows = series["mean_hire_value"]
        value_ax.fill_between(
            rows[RISK_AVERSION], rows["ci_low"], rows["ci_high"], color=GREEN, alpha=0.15, lw=0
        )
        (line,) = value_ax.plot(
            rows[RISK_AVERSION],
            rows["value"],
            ls="--",
            marker="v",
            color=GREEN,
            label=f"{_metric_label('mean_hire_value')} (right axis)",
        )
        handles.append(line)
        for side in ("left", "top", "bottom"):
            value_ax.spines[side].set_visible(False)
        value_ax.spines["right"].set_visible(True)
        value_ax.spines["right"].set_color(GREEN)
        value_ax.tick_params(axis="y", colors=GREEN)
        value_ax.set_ylabel("Mean value of a hire (SD)", color=GREEN)
        value_ax.set_ylim(*_value_limits(rows, [series[name] for name, _, _ in rates]))
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2)

        def ends(name: str) -> tuple[pd.Series, pd.Series]:
            rows = series[name]
            return rows.iloc[0], rows.iloc[-1]

        bad0, bad1 = ends("bad_hire_rate")
        best0, best1 = ends("best_interviewee_hired_rate")
        internal0, internal1 = ends("internal_win_rate")
        value0, value1 = ends("mean_hire_value")
        x0, x1 = bad0[RISK_AVERSION], bad1[RISK_AVERSION]
        digits = _rate_digits(np.array([bad0["value"], bad1["value"]]))
        bad = f"from {_pct(bad0['value'], digits)} to {_pct(bad1['value'], digits)}"
        # One short finding for the slide; the other end points go in the note.
        if bad1["ci_high"] < bad0["ci_low"]:
            finding = f"Playing safe cuts bad hires {bad}"
        elif bad1["ci_low"] > bad0["ci_high"]:
            finding = f"Playing safe backfires: bad hires rise {bad}"
        else:
            finding = f"Playing safe does not cut bad hires ({bad})"
        note = (
            f"{_sweep_note(table, [RISK_AVERSION])} · 95% bands\nrisk aversion {x0:g} → {x1:g}: "
            f"internal wins {_pct(internal0['value'])} → {_pct(internal1['value'])} when present"
            f"; truly best hired {_pct(best0['value'])} → {_pct(best1['value'])}; mean value of "
            f"a hire {value0['value']:.2f} → {value1['value']:.2f} SD"
        )
        _headline(ax, finding, note, title)
    return ax


def _value_limits(
    values: pd.DataFrame, rates: Sequence[pd.DataFrame], band: float = 0.16
) -> tuple[float, float]:
    """Limits for the value axis of :func:`risk_tradeoff` that put the value line (with its
    CIs) in the horizontal band, ``band`` of the height, farthest from the rate lines."""
    occupied = np.concatenate(
        [np.concatenate([r["ci_low"], r["ci_high"]]).astype(float) for r in rates]
    )
    candidates = np.linspace(0.04, 0.96 - band, 47)
    clearance = [
        np.min(np.abs(np.concatenate([occupied - start, occupied - (start + band)])))
        if not ((occupied > start) & (occupied < start + band)).any()
        else 0.0
        for start in candidates
    ]
    start = float(candidates[int(np.argmax(clearance))])
    low, high = float(values["ci_low"].min()), float(values["ci_high"].max())
    scale = max(high - low, 0.02) / band
    bottom = low - start * scale
    return bottom, bottom + scale


def tornado(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    top: int = 12,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """One-at-a-time sensitivity: the metric with each parameter at its low and high
    value (the rest at the scenario's), as bars from the base value; largest swing on top.

    ``table`` is what :func:`simfunnel.sensitivity` returns (``attrs`` carries the
    ``metric`` and its ``base`` value). ``top`` parameters are drawn.
    """
    missing = [c for c in SENSITIVITY_COLUMNS if c not in table]
    if missing:
        raise ValueError(
            f"tornado needs columns {', '.join(SENSITIVITY_COLUMNS)}; missing {missing}"
        )
    if "base" not in table.attrs or "metric" not in table.attrs:
        raise ValueError("tornado needs table.attrs 'metric' and 'base' (as sf.sensitivity sets)")
    metric, base = str(table.attrs["metric"]), float(table.attrs["base"])
    rows = table.sort_values("swing", ascending=False, kind="stable").head(top)
    if rows.empty:
        raise ValueError("the sensitivity table has no parameters")
    values = np.concatenate([rows["value_low"], rows["value_high"], [base]])
    digits = _rate_digits(values)

    def show(v: float) -> str:
        return _format_metric(metric, v, digits)

    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(rows))[::-1]
        for column, colour, label in (
            ("value_low", ORANGE, "Parameter at its low value"),
            ("value_high", BLUE, "Parameter at its high value"),
        ):
            ax.barh(
                y, rows[column] - base, left=base, height=0.62, color=colour, label=label, alpha=0.9
            )
        ax.axvline(base, color="#222222", lw=1.5)
        ax.annotate(
            f"base {show(base)}",
            xy=(base, 1),
            xycoords=("data", "axes fraction"),
            xytext=(6, 0),
            textcoords="offset points",
            va="top",
            fontsize=0.85 * mpl.rcParams["font.size"],
            color="#222222",
        )
        ax.set_yticks(
            y,
            [
                f"{_key_label(p)} ({low:g} → {high:g})"
                for p, low, high in zip(rows["parameter"], rows["low"], rows["high"], strict=True)
            ],
            fontsize=0.85 * mpl.rcParams["ytick.labelsize"],
        )
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(_axis_label(metric))
        span = max(float(values.max() - values.min()), 1e-9)
        ax.set_xlim(values.min() - 0.08 * span, values.max() + 0.08 * span)
        _format_axis(metric, ax.xaxis)
        ax.grid(axis="x")
        # The shortest bars are at the bottom: the legend goes on their wider side.
        wider_left = base - values.min() > values.max() - base
        ax.legend(loc="lower left" if wider_left else "lower right")
        lead = rows.iloc[0]
        if _unit(metric) == "rate":
            size = f"a {100 * lead['swing']:.{digits}f}-point swing"
        else:
            size = f"a swing of {_format_metric(metric, lead['swing'], digits)}"
        # Short enough for a slide; the end values go in the note.
        finding = (
            f"{_key_label(lead['parameter'])} moves the {_lower_first(_metric_label(metric))} "
            f"most: {size}"
        )
        scenario = table.attrs.get("scenario")
        detail = (
            f"{_metric_label(metric)}: {show(lead['value_low'])} at {lead['parameter']} = "
            f"{lead['low']:g} vs {show(lead['value_high'])} at {lead['high']:g}"
        )
        note = (
            (f"{scenario} scenario · " if scenario else "")
            + f"each parameter alone at its low and high value (default ±50%), the rest at "
            f"base · same random draws\n{detail} · top {len(rows)} of {len(table)} parameters"
        )
        _headline(ax, finding, note, title)
    return ax


def sobol_indices(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    top: int = 12,
    title: str | None = None,
    **style: Any,
) -> Axes:
    """Global sensitivity: first-order (S1) and total (ST) Sobol indices per parameter,
    with 95% error bars; largest total index on top.

    ``table`` is what :func:`simfunnel.explore.sobol` returns (``attrs``: ``metric``,
    ``runs``). S1 is the share of the metric's variance a parameter explains alone; ST
    adds its interactions.
    """
    missing = [c for c in SOBOL_COLUMNS if c not in table]
    if missing:
        raise ValueError(
            f"sobol_indices needs columns {', '.join(SOBOL_COLUMNS)}; missing {missing}"
        )
    rows = table.sort_values("ST", ascending=False, kind="stable").head(top)
    if rows.empty:
        raise ValueError("the Sobol table has no parameters")
    metric = table.attrs.get("metric")
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
        ax.set_yticks(
            base,
            [_key_label(p) for p in rows["parameter"]],
            fontsize=0.85 * mpl.rcParams["ytick.labelsize"],
        )
        ax.tick_params(axis="y", length=0)
        _percent_axis(ax.xaxis)
        what = f"the {_lower_first(_metric_label(metric))}" if metric else "the metric"
        ax.set_xlabel(f"Share of the variance in {what}")
        ax.grid(axis="x")
        ax.legend(loc="lower right")
        lead = rows.iloc[0]
        finding = (
            f"{_key_label(lead['parameter'])} accounts for {_pct(lead['ST'])} of the variance "
            f"in {what}"
        )
        if 0 <= lead["S1"] <= lead["ST"]:
            finding += f", {_pct(lead['S1'])} on its own"
        runs = table.attrs.get("runs")
        note = (
            (f"{table.attrs['scenario']} scenario · " if table.attrs.get("scenario") else "")
            + (f"Saltelli design, {int(runs):,} runs · " if runs else "")
            + "95% error bars\n"
            + f"top {len(rows)} of {len(table)} parameters by total index; an index below zero "
            "is sampling noise around zero"
        )
        _headline(ax, finding, note, title)
    return ax


# ----------------------------------------------------------------- render_all
@dataclass(frozen=True)
class _Entry:
    draw: Callable[..., Axes]
    options: dict[str, Any]
    supported: Callable[[Result], bool]


def _has_candidates(result: Result) -> bool:
    return not result.candidates.empty and "offer" in result.candidates


def _has_margins(result: Result) -> bool:
    return (
        "margin" in result.openings
        and result.openings["margin"].notna().any()
        and "narrow_margin_u" in result.metadata
    )


def _has_losses(result: Result) -> bool:
    return not result.loss_reasons().empty


def _has_quarters(result: Result) -> bool:
    return {f"cancel_rate_q{q}" for q in range(1, 5)} <= set(result.summary().index)


CHARTS: dict[str, _Entry] = {
    "funnel": _Entry(funnel, {}, lambda r: True),
    "loss_reasons": _Entry(loss_reasons, {}, _has_losses),
    "offer_probability": _Entry(offer_probability, {"by": "rank"}, _has_candidates),
    "offer_probability_by_quality": _Entry(offer_probability, {"by": "quality"}, _has_candidates),
    "margins": _Entry(margins, {}, _has_margins),
    "seasonality": _Entry(seasonality, {}, _has_quarters),
    "felt_vs_actual": _Entry(felt_vs_actual, {}, _has_candidates),
}


def supported_charts(result: Result) -> list[str]:
    """Names of the charts :func:`render_all` draws for ``result``."""
    return [name for name, entry in CHARTS.items() if entry.supported(result)]


def save_figure(figure: Figure, path: str | Path, fmt: str | None = None) -> Path:
    """Save ``figure`` atomically and reproducibly (no timestamps; PNG at 200 dpi)."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in _SAVE_OPTIONS:
        raise ValueError(f"unknown chart format {fmt!r}; choose from {', '.join(CHART_FORMATS)}")
    with talk_style():
        atomic_write(path, lambda p: figure.savefig(p, format=fmt, **_SAVE_OPTIONS[fmt]))
    return path


def _check_formats(formats: Sequence[str]) -> list[str]:
    formats = [f.lower() for f in formats]
    unknown = [f for f in formats if f not in CHART_FORMATS]
    if unknown:
        choices = ", ".join(CHART_FORMATS)
        raise ValueError(f"unknown chart format {unknown[0]!r}; choose from {choices}")
    return formats


def save_chart(
    chart: Callable[..., Axes],
    data: Any,
    stem: str | Path,
    formats: Sequence[str] = ("png",),
    **options: Any,
) -> list[Path]:
    """Draw ``chart(data, ax, **options)`` on a new talk-style figure and save it as
    ``<stem>.<fmt>`` for each format (atomically, reproducibly); returns the paths.

    E.g. ``save_chart(charts.compare, [baseline, variant], "results/compare", ("png", "pdf"))``.
    """
    formats = _check_formats(formats)
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    with talk_style():
        # A bare Figure, not pyplot: nothing to close, nothing shown, no global state.
        figure = Figure()
        chart(data, figure.add_subplot(), **options)
        # Lay out once and freeze: constrained layout refines itself on every draw,
        # so without this each format (and a PNG saved before an SVG) would differ.
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
        return [save_figure(figure, stem.with_name(f"{stem.name}.{fmt}"), fmt) for fmt in formats]


def render_all(
    result: Result, directory: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write every chart ``result`` supports into ``directory`` as ``<chart>.<fmt>``.

    Works the same on a fresh result and on one from :func:`simfunnel.load_result`
    (no re-simulation), and writes the same bytes for the same result: SVG ids use a
    fixed salt and no file carries a timestamp. Each file is written to a temporary
    name in the folder and then renamed.

    Returns
    -------
    list of Path
        The files written, chart by chart, in ``formats`` order.
    """
    formats = _check_formats(formats)
    directory = Path(directory)
    written = []
    for name in supported_charts(result):
        entry = CHARTS[name]
        written += save_chart(entry.draw, result, directory / name, formats, **entry.options)
    return written


def _sweep_metrics(table: pd.DataFrame) -> list[str]:
    """The metrics :func:`render_sweep` draws: all, or the headline ones of a full table."""
    present = [
        m
        for m in dict.fromkeys(table["metric"])
        if table.loc[table["metric"] == m, "value"].notna().any()
    ]
    headline = [m for m in SWEEP_METRICS if m in present]
    return headline if len(present) > len(SWEEP_METRICS) and headline else present


def render_sweep(
    table: pd.DataFrame, directory: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write the charts of a sweep into ``directory``: ``sweep_<metric>.<fmt>``.

    A 1-D sweep gives a line chart per metric (:func:`sweep_lines`), a 2-D sweep a
    heatmap per metric (:func:`sweep_heatmap`); a table of every summary metric is cut
    to the headline ones (:data:`SWEEP_METRICS`). A 1-D sweep of
    ``manager.risk_aversion`` with the metrics it needs also gives ``risk_tradeoff``.

    Returns
    -------
    list of Path
        The files written, chart by chart, in ``formats`` order.
    """
    formats = _check_formats(formats)
    directory = Path(directory)
    keys = sweep_keys(table)
    if len(keys) not in (1, 2):
        raise ValueError(f"a sweep varies one or two keys; this table varies {keys}")
    written = []
    for metric in _sweep_metrics(table):
        if len(keys) == 1:
            written += save_chart(
                sweep_lines, table, directory / f"sweep_{metric}", formats, metric=metric
            )
        else:
            written += save_chart(
                sweep_heatmap, table, directory / f"sweep_{metric}", formats, metric=metric
            )
    if keys == [RISK_AVERSION] and set(RISK_TRADEOFF_METRICS) <= set(table["metric"]):
        written += save_chart(risk_tradeoff, table, directory / "risk_tradeoff", formats)
    return written
