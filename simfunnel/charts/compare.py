"""Charts of several scenarios side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from simfunnel.charts.style import (
    BLUE,
    COMPARE_METRICS,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
    _axes,
    _headline,
    _metric_label,
    _pct,
    _percent_axis,
    talk_style,
)
from simfunnel.result import Result


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
