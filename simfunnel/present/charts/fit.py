"""Posterior predictive check charts of a fit: observed requisitions beside the range
the fitted model produces, column by column."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simfunnel.analysis.outputs.fit import FitResult
from simfunnel.present.charts.render import save_figure
from simfunnel.present.charts.style import (
    BLUE,
    GREY,
    _axes,
    _percent_axis,
    headline,
    talk_style,
)

COLUMN_LABELS = {
    "applicants": "Applicants",
    "shortlisted": "Shortlisted",
    "interviewed": "Interviewed",
    "internal_interviewed": "Internal candidates interviewed",
    "offers": "Offers per requisition",
    "hires": "Hires per requisition",
    "internal_hires": "Internal hires",
    "cancelled": "Closed without a hire (1 = yes)",
    "process_weeks": "Weeks to a hire",
    "offer_rate": "Share of interviewees offered",
}
# What a recruiter checks first: the three panels of the chart a fit folder keeps
# (``column_checks(fit)`` draws every column; the report has every statistic).
RECRUITER_COLUMNS = ("offers", "hires", "process_weeks")


def _check(fit: FitResult, column: str, ax: Axes, *, small: bool = False) -> Axes:
    """Bars: the observed share of requisitions per bin; whiskers: the fitted model's
    90% range over simulated data sets of the same size; dot: its median."""
    table = fit.distributions[fit.distributions["column"] == column]
    if table.empty:
        raise ValueError(
            f"no check of column {column!r}; have {sorted(set(fit.distributions['column']))}"
        )
    low, high = table["bin_low"].to_numpy(), table["bin_high"].to_numpy()
    centre, width = (low + high) / 2, high - low
    ax.bar(centre, table["observed_share"], width=0.85 * width, color=BLUE, alpha=0.75,
           label="your requisitions")  # fmt: skip
    ax.errorbar(
        centre,
        table["simulated_median"],
        yerr=[
            table["simulated_median"] - table["simulated_q05"],
            table["simulated_q95"] - table["simulated_median"],
        ],
        fmt="o",
        color="black",
        markersize=3 if small else 5,
        capsize=2 if small else 4,
        linewidth=1,
        label="fitted model, 90% range",
    )
    _percent_axis(ax.yaxis)
    ax.set_ylim(bottom=0)
    if column == "offer_rate":
        _percent_axis(ax.xaxis)
    elif np.all(width == 1):
        most = 5 if small else 8
        if small and centre.max() >= 10:  # two-digit labels run together in a small panel
            most = 4
        step = max(1, int(np.ceil(len(centre) / most)))
        ax.set_xticks(centre[::step])
        ax.set_xticklabels([f"{c:.0f}" for c in centre[::step]])
    ax.grid(axis="x", visible=False)
    return ax


def _p_value(fit: FitResult, statistic: str) -> float:
    values = fit.p_values
    return float(values.get(statistic, np.nan))


def draw_offer_rate_check(
    fit: FitResult, ax: Axes | None = None, *, title: str | None = None,
    subtitle: str | None = None, **style: Any,
) -> Axes:  # fmt: skip
    """Offers per interviewee, requisition by requisition: data against the fitted model."""
    with talk_style(**style):
        ax = _axes(ax)
        _check(fit, "offer_rate", ax)
        ax.set_xlabel("Offers per interviewee in a requisition")
        ax.set_ylabel("Share of requisitions with interviews")
        ax.legend(loc="upper right", frameon=False)
        p_spread, p_all = _p_value(fit, "offer_rate_sd"), _p_value(fit, "all_offered_share")
        worst = np.nanmin([p_spread, p_all, _p_value(fit, "offer_rate")])
        if worst < 0.01:
            finding = "The fitted model cannot produce this spread of offers per interviewee"
        else:
            finding = "The fitted model reproduces how many interviewees get offers"
        note = (
            f"{fit.metadata.get('requisitions', 0):,} requisitions · whiskers: 90% range over "
            f"{fit.metadata.get('check_data_sets', 0)} data sets simulated from the fit · "
            f"p-values: spread {p_spread:.2f}, everyone offered {p_all:.2f}"
        )
        headline(ax, finding, note, title, subtitle)
    return ax


def offer_rate_check(fit: FitResult, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """The chart of :meth:`FitResult.plot`: offers per interviewee, data against the fit."""
    return draw_offer_rate_check(fit, ax, **kwargs)


def column_checks(
    fit: FitResult, columns: Sequence[str] | None = None, *, title: str | None = None,
    subtitle: str | None = None, **style: Any,
) -> Figure:  # fmt: skip
    """Every column of the export, small multiples: data against the fitted model."""
    present = list(dict.fromkeys(fit.distributions["column"]))
    columns = [c for c in (columns or present) if c in present]
    with talk_style(**style):
        rows = 2 if len(columns) > 4 else 1
        cols = int(np.ceil(len(columns) / rows))
        figure, axes = plt.subplots(rows, cols, squeeze=False)
        extreme = fit.checks[fit.checks["extreme"]]
        for ax, column in zip(axes.flat, columns, strict=False):
            _check(fit, column, ax, small=True)
            ax.set_title(COLUMN_LABELS.get(column, column), fontsize="small", loc="left")
            if column == "offer_rate":  # 0% and 100% only: the small panel has no room
                ax.set_xticks([0, 0.5, 1])
            ax.tick_params(labelsize="small")
        for ax in list(axes.flat)[len(columns) :]:
            ax.set_visible(False)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        figure.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
        if extreme.empty:
            finding = "Every column of the export looks like the fitted model's"
        else:
            finding = (
                f"The fitted model cannot produce {len(extreme)} of the export's statistics"
                if len(extreme) > 1
                else f"The fitted model cannot produce the export's {extreme['label'].iloc[0]}"
            )
        note = (
            "Share of requisitions. Bars: yours; dots and whiskers: the fitted model's median "
            "and 90% range over data sets of your size (its values beyond your range count "
            "in the end bins). Every statistic and its p-value are in the fit report."
        )
        heading = textwrap.fill(title or finding, 80)
        subheading = textwrap.fill(subtitle or note, 125)
        figure.suptitle(heading, x=0.01, ha="left", fontweight="bold")
        top = 0.975 - 0.05 * (heading.count("\n") + 1)
        figure.text(0.01, top, subheading, ha="left", va="top", color=GREY, fontsize="small")
        top -= 0.03 * (subheading.count("\n") + 1)
        figure.get_layout_engine().set(rect=(0, 0, 1, top))
    return figure


def save_fit_charts(fit: FitResult, folder: Path, formats: Sequence[str]) -> list[Path]:
    """``check_offer_rate`` and ``check_columns`` in each format; returns the paths."""
    written = []
    with talk_style():
        figure, ax = plt.subplots()
        draw_offer_rate_check(fit, ax)
        for fmt in formats:
            written.append(save_figure(figure, folder / f"check_offer_rate.{fmt}", fmt))
        plt.close(figure)
        shown = [c for c in RECRUITER_COLUMNS if c in set(fit.distributions["column"])]
        figure = column_checks(fit, shown or None)
        for fmt in formats:
            written.append(save_figure(figure, folder / f"check_columns.{fmt}", fmt))
        plt.close(figure)
    return written


__all__ = [
    "RECRUITER_COLUMNS",
    "column_checks",
    "draw_offer_rate_check",
    "offer_rate_check",
    "save_fit_charts",
]
