"""The baseline against published figures: each figure's band, and where the model lands."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.benchmarks import Benchmarks
from simfunnel.analysis.result import Result
from simfunnel.present.charts.style import (
    BLUE,
    GREEN,
    GREY,
    VERMILLION,
    _axes,
    headline,
    talk_style,
)


def draw_benchmarks(
    output: Benchmarks,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """One row per published figure: its band (shaded, 0 to 1 across) and the simulated
    value with its 95% CI, placed on the same scale; the numbers are written beside it."""
    table = output.to_df()
    span = (table["high"] - table["low"]).to_numpy(dtype=float)

    def across(column: str) -> np.ndarray:
        return (table[column].to_numpy(dtype=float) - table["low"].to_numpy(dtype=float)) / span

    value, low, high = across("value"), across("ci_low"), across("ci_high")
    with talk_style(**style):
        ax = _axes(ax)
        y = np.arange(len(table))[::-1]
        small = 0.8 * mpl.rcParams["font.size"]
        for yi, row, v, lo, hi in zip(y, table.itertuples(), value, low, high, strict=True):
            ax.barh(yi, 1.0, left=0.0, height=0.6, color=GREEN, alpha=0.18, lw=0)
            colour = BLUE if row.inside else VERMILLION
            shown = float(np.clip(v, -0.45, 1.45))
            ax.plot(
                [np.clip(lo, -0.45, 1.45), np.clip(hi, -0.45, 1.45)], [yi, yi], color=colour, lw=3
            )
            ax.plot(shown, yi, "o", color=colour, ms=10)
            ax.annotate(
                row.band, xy=(0.5, yi - 0.3), xytext=(0, -2), textcoords="offset points",
                ha="center", va="top", fontsize=small, color=GREY,
            )  # fmt: skip
            ax.annotate(
                row.simulated.split(" (")[0], xy=(shown, yi), xytext=(0, 9),
                textcoords="offset points", ha="center", va="bottom", color=colour,
                fontsize=small, fontweight="bold",
            )  # fmt: skip
        ax.set_yticks(y, table["figure"].str.replace(" (commonly quoted)", "\n(commonly quoted)"))
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylim(-0.8, len(table) - 0.4)
        ax.set_xticks([0, 1], ["low end of\npublished band", "high end of\npublished band"])
        ax.tick_params(axis="both", length=0)
        ax.grid(False)
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def benchmarks(result: Result, ax: Axes | None = None, **style: Any) -> Axes:
    """The run against published figures (:class:`Benchmarks`)."""
    return Benchmarks.from_result(result).plot(ax, **style)
