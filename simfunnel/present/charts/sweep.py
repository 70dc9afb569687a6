"""Charts of parameter sweeps: lines, heatmap, the risk trade-off (small multiples)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap

from simfunnel.analysis.outputs.sweep import (
    RISK_AVERSION,
    RISK_TRADEOFF_METRICS,
    SWEEP_COLUMNS,
    RiskTradeoff,
    Sweep,
    sweep_keys,
)
from simfunnel.metrics import BETTER, KEY_ENDS, METRICS, key_end, key_label
from simfunnel.metrics import label as metric_label
from simfunnel.present.charts.style import (
    BLUE,
    COLOURS,
    GREEN,
    ORANGE,
    VERMILLION,
    _axes,
    _format_axis,
    as_percentile,
    draw_ranges,
    headline,
    lay_value,
    talk_style,
)

RANGES = ("param_low", "param_high")

__all__ = [
    "RISK_AVERSION",
    "RISK_TRADEOFF_METRICS",
    "SWEEP_COLUMNS",
    "draw_heatmap",
    "draw_lines",
    "draw_risk_tradeoff",
    "risk_tradeoff",
    "sweep_heatmap",
    "sweep_keys",
    "sweep_lines",
]

NEUTRAL = ListedColormap(["#e4e4e4"], name="neutral")


def _grid_ticks(ax: Axes, values: np.ndarray) -> None:
    """Tick every grid value when there are few of them."""
    if len(values) <= 12:
        ax.set_xticks(values, [f"{v:g}" for v in values])


def _label(name: str, labels: Mapping[str, str] | None) -> str:
    return (labels or {}).get(name, metric_label(name))


def _axis_label(name: str, labels: Mapping[str, str] | None) -> str:
    if labels and name in labels:
        return labels[name]
    return METRICS[name].axis_label if name in METRICS else metric_label(name)


# ------------------------------------------------------------------ public API
def sweep_lines(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    metric: str | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """A 1-D sweep: each metric against the varied key, with its 95% band.

    ``table`` is what :func:`simfunnel.sweep` returns for one varied key. ``metric``
    names one metric or several that share a unit; by default the table's only
    metric, or the headline rates of :data:`~simfunnel.metrics.SWEEP_METRICS` it holds.
    The title states how the metric that moves most beyond noise changes, or that
    nothing changes beyond the CIs. See :class:`simfunnel.analysis.outputs.Sweep`.
    """
    keys = sweep_keys(table)
    if len(keys) != 1:
        raise ValueError(
            f"sweep_lines draws a 1-D sweep; this table varies {', '.join(keys) or 'nothing'} "
            "(use sweep_heatmap for two keys)"
        )
    return draw_lines(Sweep.from_table(table, metric), ax, title=title, subtitle=subtitle, **style)


def sweep_heatmap(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    metric: str | None = None,
    cmap: str = "cividis",
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """A 2-D sweep: ``metric`` over the grid of the two varied keys, each cell labelled.

    The first key runs up the y-axis, the second along the x-axis. Cells are coloured
    (``cmap``, cividis: colour-blind safe) only when the range over the grid exceeds
    the CIs; otherwise they are one neutral grey and the title says nothing changes.
    """
    keys = sweep_keys(table)
    if len(keys) != 2:
        raise ValueError(
            f"sweep_heatmap draws a 2-D sweep; this table varies {', '.join(keys) or 'nothing'}"
            " (use sweep_lines for one key)"
        )
    output = Sweep.from_table(table, metric)
    return draw_heatmap(output, ax, title=title, subtitle=subtitle, cmap=cmap, **style)


def risk_tradeoff(
    table: pd.DataFrame,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """Why managers fear the wrong hire: a 1-D sweep of ``manager.risk_aversion``.

    One small panel per metric (:data:`RISK_TRADEOFF_METRICS`), each on its own honest
    scale with its 95% band; no second y-axis. The title says whether playing safe cuts
    bad hires. Returns the header axes that carries the title (the panels are the
    figure's other axes).
    """
    output = RiskTradeoff.from_table(table)
    return draw_risk_tradeoff(output, ax, title=title, subtitle=subtitle, **style)


# ------------------------------------------------------------------ draw functions
def draw_lines(
    output: Sweep,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    **style: Any,
) -> Axes:
    """Lines with 95% bands on an axis wide enough that a change inside the CIs looks flat."""
    key, names = output.keys[0], output.metrics
    with talk_style(**style):
        ax = _axes(ax)
        for i, name in enumerate(names):
            rows = output.series(name)
            colour = COLOURS[i % len(COLOURS)]
            if "param_low" in rows:  # at each point: a band would invent the ranges between
                x, low, high = (rows[c].to_numpy(dtype=float) for c in (key, *RANGES))
                draw_ranges(ax, x, low, high, horizontal=False)
            ax.fill_between(
                rows[key], rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0
            )
            ax.plot(rows[key], rows["value"], marker="o", color=colour, label=_label(name, labels),
                    zorder=3)  # fmt: skip
        _grid_ticks(ax, np.sort(output.to_df()[key].unique()))
        ax.set_ylim(*output.limits())
        _format_axis(names[0], ax.yaxis)
        ax.set_xlabel(xlabel or key_label(key))
        ax.set_ylabel(ylabel or (_axis_label(names[0], labels) if len(names) == 1 else "Rate"))
        ax.grid(axis="y")
        if len(names) > 1:
            ax.legend(loc="best")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


# The least colour span of a heatmap, per unit: a spread smaller than this gets only part
# of the colour scale, so 0.9 points do not look like night and day.
MIN_COLOUR_SPAN = {"share": 0.10, "sd": 0.5}


def draw_heatmap(
    output: Sweep,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    cmap: str = "cividis",
    labels: Mapping[str, str] | None = None,
    **style: Any,
) -> Axes:
    """Cells labelled with their value; coloured only when the grid's range beats the CIs.

    Where a metric has a better direction (:data:`simfunnel.metrics.BETTER`) the cells
    are shades of blue, darker where better (whether that is high or low), and the
    title says in words where the best cell is ("Bad-hire rate is lowest (8.2%) with
    strong interviews and a bold manager"). The colour scale spans at least 10
    percentage points (0.5 SD): a small spread gets pale, close shades. A mean hire value
    is shown as the percentile of applicants it equals, never in SD.
    """
    (name,), (row_key, column_key) = output.metrics, output.keys
    table = output.to_df()
    grid = table.pivot(index=row_key, columns=column_key, values="value")
    grid = grid.sort_index().sort_index(axis=1)
    values = grid.to_numpy(dtype=float)
    digits = 1 if np.nanmin(values) < 0.1 or np.nanmax(values) - np.nanmin(values) < 0.03 else 0
    direction = BETTER.get(name, 0)
    entry = METRICS.get(name)
    if direction and cmap == "cividis":
        cmap = "Blues" if direction > 0 else "Blues_r"
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    span = MIN_COLOUR_SPAN.get(entry.unit if entry else "", 0.0)
    if high - low < span:
        middle = (low + high) / 2
        low, high = middle - span / 2, middle + span / 2
        if entry is not None and entry.is_share:
            low, high = max(0.0, low), max(high, min(1.0, low + span))
    with talk_style(**style):
        ax = _axes(ax)
        image = ax.imshow(
            values, cmap=NEUTRAL if output.noise else cmap, origin="lower", aspect="auto",
            vmin=low, vmax=high,
        )  # fmt: skip
        if not output.noise:
            colourbar = ax.get_figure(root=True).colorbar(image, ax=ax, pad=0.02, fraction=0.05)
            words = " (darker is better)" if direction else ""
            colourbar.set_label(_axis_label(name, labels).replace(" (SD of quality)", "") + words)
            colourbar.outline.set_visible(False)
            _format_axis(name, colourbar.ax.yaxis)
            if entry is not None and entry.unit == "sd":
                colourbar.ax.yaxis.set_major_formatter(
                    mpl.ticker.FuncFormatter(lambda v, _: f"{as_percentile(v)} pct")
                )
        ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
        ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(key_label(column_key))
        ax.set_ylabel(key_label(row_key))
        size = mpl.rcParams["font.size"] * min(1.0, 7 / max(grid.shape))
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                shade = image.cmap(image.norm(value))
                luminance = 0.2126 * shade[0] + 0.7152 * shade[1] + 0.0722 * shade[2]
                ax.text(
                    j,
                    i,
                    lay_value(name, value, digits),
                    ha="center",
                    va="center",
                    fontsize=size,
                    color="#111111" if luminance > 0.5 else "white",
                )
        finding = output.finding
        if direction and not output.noise:
            finding = _best_cell(grid, name, direction, row_key, column_key, digits)
        headline(ax, finding, output.note, title, subtitle)
        _fit_ylabel(ax)
    return ax


def _best_cell(grid: pd.DataFrame, name: str, direction: int, row_key: str,
               column_key: str, digits: int) -> str:  # fmt: skip
    """ "Bad-hire rate is lowest (8.2%) with strong interviews and a bold manager"."""
    values = grid.to_numpy(dtype=float)
    flat = np.nanargmax(values) if direction > 0 else np.nanargmin(values)
    i, j = np.unravel_index(flat, values.shape)

    def where(key: str, value: float, all_values: Any) -> str:
        if value == max(all_values):
            return key_end(key, True) if key in KEY_ENDS else f"the highest {_lower(key)}"
        if value == min(all_values):
            return key_end(key, False) if key in KEY_ENDS else f"the lowest {_lower(key)}"
        return f"{_lower(key)} at {value:g}"

    best = "highest" if direction > 0 else "lowest"
    entry = METRICS[name]
    if entry.unit == "sd":
        what = f"The average hire is best ({as_percentile(values[i, j])}-percentile applicant)"
    else:
        what = f"{entry.label} is {best} ({lay_value(name, values[i, j], digits)})"
    return (
        f"{what} with {where(row_key, grid.index[i], grid.index)} and "
        f"{where(column_key, grid.columns[j], grid.columns)}"
    )


def _lower(key: str) -> str:
    text = key_label(key)
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _fit_ylabel(ax: Axes) -> None:
    """Break the y-axis label into as many lines as the axes' height needs (a long key
    label would otherwise run off the figure)."""
    label = ax.yaxis.label
    figure = ax.get_figure(root=True)
    figure.draw_without_rendering()
    height = ax.get_window_extent().height
    words = label.get_text().split()
    for lines in range(1, 4):
        per_line = -(-len(words) // lines)
        text = "\n".join(" ".join(words[i : i + per_line]) for i in range(0, len(words), per_line))
        label.set_text(text)
        if label.get_window_extent().height <= height:
            return


def draw_risk_tradeoff(
    output: RiskTradeoff,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    **style: Any,
) -> Axes:
    """Small multiples, one panel per metric, each on its own honest scale.

    ``ax``'s place in its figure is divided into a header (the title) and the panels.
    Returns the header axes.
    """
    colours = dict(zip(RISK_TRADEOFF_METRICS, (GREEN, VERMILLION, ORANGE, BLUE), strict=True))
    with talk_style(**style):
        ax = _axes(ax)
        figure, spec = ax.get_figure(root=True), ax.get_subplotspec()
        ax.remove()
        grid = spec.subgridspec(3, 2, height_ratios=[0.001, 1, 1])
        header = figure.add_subplot(grid[0, :])
        header.axis("off")
        for i, name in enumerate(output.metrics):
            panel = figure.add_subplot(grid[1 + i // 2, i % 2])
            _risk_panel(panel, output, name, colours[name], _label(name, labels), i >= 2)
        headline(header, output.finding, output.note, title, subtitle)
    return header


def _risk_panel(ax: Axes, output: Sweep, name: str, colour: str, title: str, bottom: bool):
    rows = output.series(name)
    x = rows[RISK_AVERSION]
    ax.fill_between(x, rows["ci_low"], rows["ci_high"], color=colour, alpha=0.2, lw=0)
    ax.plot(x, rows["value"], marker="o", color=colour)
    ax.set_ylim(*output.limits([name]))
    _grid_ticks(ax, x.to_numpy())
    _format_axis(name, ax.yaxis)
    if name in METRICS and METRICS[name].unit == "sd":
        # The percentile of applicants the mean hire equals: a room reads it, not "SD".
        ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: as_percentile(v)))
        title = "Average hire (applicant percentile)"
    ax.set_title(title, fontsize=mpl.rcParams["font.size"], loc="left", pad=6)
    ax.tick_params(labelsize=0.85 * mpl.rcParams["font.size"])
    ax.grid(axis="y")
    if bottom:
        ax.set_xlabel(key_label(RISK_AVERSION), fontsize=0.9 * mpl.rcParams["font.size"])
