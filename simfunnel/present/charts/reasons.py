"""Recorded rejection reasons beside the model's attribution
(:class:`~simfunnel.analysis.outputs.recorded_reasons.RecordedReasons`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.recorded_reasons import RecordedReasons
from simfunnel.present.charts.style import (
    BLUE,
    GREY,
    NOTE_COLOUR,
    SKY,
    _axes,
    _pct,
    _percent_axis,
    headline,
    talk_style,
)

DARK = (BLUE, "#005a8c", "#00406a")  # segments that take white text


def _keep_if_it_fits(ax: Axes, text: Any, left: float, right: float) -> None:
    """Remove a segment's label wider than the segment (measured as drawn)."""
    renderer = ax.figure.canvas.get_renderer()
    width = text.get_window_extent(renderer).width
    x0, x1 = ax.transData.transform([(left, 0), (right, 0)])[:, 0]
    if width > 0.95 * (x1 - x0):
        text.remove()


def draw_recorded_reasons(
    output: RecordedReasons,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Two bars per category: the export's recorded share (grey) and the model's (blue,
    with its 95% CI); under each category, the model reasons it hides."""
    table = output.to_df()
    parts = output.parts
    table["parts"] = [
        [(r.label, r.share) for r in parts[parts["category"] == c].itertuples() if r.share > 0]
        for c in table["category"]
    ]
    with talk_style(**style):
        ax = _axes(ax)
        base = np.arange(len(table))[::-1] * 1.0
        height = 0.36
        recorded = table["recorded"].to_numpy(dtype=float)
        model = table["model"].to_numpy(dtype=float)
        ax.barh(base + height / 2, recorded, height=height * 0.92, color=GREY,
                label="recorded in the export")  # fmt: skip
        # The model's bar in segments, one per model reason inside the category: what the
        # recorded label hides. Segments wide enough to read are labelled.
        right = float(max(recorded.max(), table["model_ci_high"].max(), 0.05)) * 1.18
        shades = (BLUE, SKY, "#005a8c", "#7fb8da", "#00406a", "#a9d2ea")
        ax.set_xlim(0, right)  # before measuring the segment labels
        for y, parts in zip(base, table["parts"], strict=True):
            left = 0.0
            for k, (name, share) in enumerate(parts):
                colour = shades[k % len(shades)]
                ax.barh(
                    y - height / 2,
                    share,
                    left=left,
                    height=height * 0.92,
                    color=colour,
                    label="fitted model's attribution" if (y == base[0] and k == 0) else None,
                )
                if len(parts) > 1:
                    text = ax.text(left + share / 2, y - height / 2, f"{name} {_pct(share)}",
                                   ha="center", va="center", fontsize="x-small",
                                   color="white" if colour in DARK else "black")  # fmt: skip
                    _keep_if_it_fits(ax, text, left, left + share)
                left += share
        errors = np.vstack([model - table["model_ci_low"], table["model_ci_high"] - model])
        ax.errorbar(model, base - height / 2, xerr=np.clip(np.nan_to_num(errors), 0, None),
                    fmt="none", ecolor="#222222", elinewidth=1.2, zorder=3)  # fmt: skip
        for y, r, m, high in zip(base, recorded, model, table["model_ci_high"], strict=True):
            ax.text(r + right * 0.01, y + height / 2, _pct(r), va="center", fontsize="small",
                    color=GREY)  # fmt: skip
            ax.text(max(m, high) + right * 0.01, y - height / 2, _pct(m), va="center",
                    fontsize="small", color=BLUE)  # fmt: skip
        ax.set_yticks(base, list(table["label"]))
        ax.tick_params(axis="y", length=0)
        _percent_axis(ax.xaxis)
        ax.set_xlim(0, right)
        ax.set_ylim(-0.7, base[0] + 0.9)
        ax.grid(axis="x")
        ax.legend(loc="upper right", ncols=2, frameon=False, borderaxespad=0.1,
                  labelcolor=NOTE_COLOUR)  # fmt: skip
        ax.set_xlabel("Share of good interviews that got no offer")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax
