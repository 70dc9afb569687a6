"""Charts of several scenarios: the paired differences against the baseline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.compare import Differences
from simfunnel.analysis.result import Result
from simfunnel.metrics import METRICS
from simfunnel.present.charts.style import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    _axes,
    draw_ranges,
    headline,
    talk_style,
)

# Blue then vermillion: the two most distinct colours for the usual one or two comparisons.
COLOURS = (BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY, "#000000")


def compare(
    results: Any,
    ax: Axes | None = None,
    *,
    labels: Sequence[str] | None = None,
    metrics: Mapping[str, str] | Sequence[str] | None = None,
    title: str | None = None,
    subtitle: str | None = None,
    **style: Any,
) -> Axes:
    """How each scenario differs from the first, per headline rate, with 95% CIs.

    ``results`` is what :func:`simfunnel.compare` returns (a Comparison: paired CIs,
    the narrow ones common random numbers give) or a list of results (CIs of
    independent runs). ``labels`` defaults to the scenario names; ``metrics`` to
    :data:`~simfunnel.analysis.outputs.compare.COMPARE_METRICS` (names, or a mapping name ->
    label to relabel them). The title states the largest difference a CI confirms.
    """
    names = list(metrics) if metrics is not None else None
    if isinstance(results, Result):
        results = [results]
    if hasattr(results, "differences") and hasattr(results, "results"):
        output = Differences.from_comparison(results, labels=labels, metrics=names)
    else:
        output = Differences.from_results(list(results), labels=labels, metrics=names)
    relabel = dict(metrics) if isinstance(metrics, Mapping) else None
    return draw_differences(output, ax, title=title, subtitle=subtitle, labels=relabel, **style)


def draw_differences(
    output: Differences,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    **style: Any,
) -> Axes:
    """Dots at each difference with its 95% CI as a bar; a line at zero (no change).

    A difference whose paired CI is withheld is a hollow dot without a bar. ``labels``
    maps metric names to the y tick labels (default: the registry's labels).
    """
    table = output.to_df()
    metrics = output.metrics
    scenarios = list(dict.fromkeys(table["scenario"]))
    labels = {m: (labels or {}).get(m, METRICS[m].label) for m in metrics}
    share = METRICS[metrics[0]].is_share
    scale = 100.0 if share else 1.0
    with talk_style(**style):
        ax = _axes(ax)
        base = np.arange(len(metrics))[::-1].astype(float)
        step = 0.6 / max(len(scenarios), 1)
        # With one comparison each dot carries its value; with several the labels would
        # collide, so the axis and the legend (in a row of its own) carry them.
        annotate = len(scenarios) == 1
        for i, scenario in enumerate(scenarios):
            rows = table[table["scenario"] == scenario].set_index("metric")
            rows = rows.reindex([m for m in metrics if m in rows.index])
            y = base[[metrics.index(m) for m in rows.index]] + (len(scenarios) - 1) / 2 * step
            y = y - i * step
            _draw_scenario(ax, rows, y, scale, COLOURS[i % len(COLOURS)], scenario, annotate)
        ax.axvline(0, color="#222222", lw=1.5, zorder=1)
        ax.set_yticks(base, [labels[m] for m in metrics])
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(*_limits(table, scale))
        ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_tick))
        unit = "percentage points" if share else _unit_name(metrics[0])
        ax.set_xlabel(xlabel or f"Difference from {output.labels[0]} ({unit})")
        ax.grid(axis="x")
        if len(scenarios) > 1:
            ax.legend(
                loc="upper center",
                bbox_to_anchor=(0.5, -0.16),
                ncols=min(len(scenarios), 3),
                frameon=False,
                fontsize=0.8 * mpl.rcParams["font.size"],
            )
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def _draw_scenario(
    ax: Axes, rows: Any, y: np.ndarray, scale: float, colour: str, name: str, annotate: bool
) -> None:
    value = scale * rows["difference"].to_numpy(dtype=float)
    low, high = (
        scale * rows["ci_low"].to_numpy(dtype=float),
        scale * rows["ci_high"].to_numpy(dtype=float),
    )
    has_ci = np.isfinite(low) & np.isfinite(high)
    if "param_low" in rows:
        range_low = scale * rows["param_low"].to_numpy(dtype=float)
        range_high = scale * rows["param_high"].to_numpy(dtype=float)
        draw_ranges(ax, y, range_low, range_high, horizontal=True)
        high = np.fmax(high, range_high)  # the value label goes past the range
    ax.errorbar(
        value[has_ci],
        y[has_ci],
        xerr=np.vstack([value[has_ci] - low[has_ci], high[has_ci] - value[has_ci]]),
        fmt="o",
        ms=11,
        color=colour,
        elinewidth=3,
        capsize=0,
        label=name,  # the x-axis says what it is the difference from
        zorder=3,
    )
    ax.plot(value[~has_ci], y[~has_ci], "o", ms=11, mfc="white", mec=colour, mew=2.5, zorder=3)
    if not annotate:
        return
    size = 0.8 * mpl.rcParams["font.size"]
    if "param_low" in rows:
        low = np.fmin(low, range_low)
    # A fall is labelled left of its CI, a rise right of it: the zero line never runs
    # through a label.
    for v, yy, lo, h, ok in zip(value, y, low, high, has_ci, strict=True):
        falls = v < 0
        end = (lo if falls else h) if ok else v
        ax.annotate(
            _signed(v, None) + (" pt" if scale == 100 else ""),
            xy=(end, yy),
            xytext=(-10 if falls else 10, 0),
            textcoords="offset points",
            ha="right" if falls else "left",
            va="center",
            fontsize=size,
            color="#333333",
        )


def _limits(table: Any, scale: float) -> tuple[float, float]:
    """Symmetric about zero, so a rise and a fall of one size look alike; room for labels."""
    columns = [
        c for c in ("difference", "ci_low", "ci_high", "param_low", "param_high") if c in table
    ]
    ends = scale * table[columns].to_numpy(dtype=float)
    reach = float(np.nanmax(np.abs(ends))) if np.isfinite(ends).any() else 1.0
    reach = max(reach, 1.0 if scale == 100 else 0.05)
    return -1.5 * reach, 1.5 * reach


def _signed(value: float, _position: Any) -> str:
    text = f"{value:+.1f}"
    return "0" if float(text) == 0 else text


def _tick(value: float, _position: Any) -> str:
    return "0" if abs(value) < 1e-12 else f"{value:+g}"


def _unit_name(name: str) -> str:
    return {"sd": "SD of quality", "per_opening": "per opening"}.get(METRICS[name].unit, "")
