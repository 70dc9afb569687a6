"""Writing charts to files: every chart a result supports, reproducibly."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.outputs.run import RUN_OUTPUTS, supported_charts
from simfunnel.analysis.result import Result, atomic_write
from simfunnel.errors import NothingToChartError
from simfunnel.io.files import OutputFolder
from simfunnel.metrics import SWEEP_METRICS
from simfunnel.present import CHART_FORMATS
from simfunnel.present.charts.style import _SAVE_OPTIONS, talk_style
from simfunnel.present.charts.sweep import (
    RISK_AVERSION,
    RISK_TRADEOFF_METRICS,
    risk_tradeoff,
    sweep_heatmap,
    sweep_keys,
    sweep_lines,
)


# ----------------------------------------------------------------- render_all
def plot_output(output: Output, ax: Axes, **options: Any) -> Axes:
    """``output.plot(ax, **options)``: an output as a chart function for :func:`save_chart`."""
    return output.plot(ax, **options)


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


def save_result(
    result: Result, directory: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """:meth:`Result.save` with every chart the result supports, as one whole folder.

    Returns the chart files written.
    """
    with OutputFolder(directory) as folder:
        result.write_files(folder.path)
        written = render_all(result, folder.path, formats) if formats else []
        folder.commit()
    return [Path(directory) / path.name for path in written]


def render_all(
    result: Result,
    directory: str | Path,
    formats: Sequence[str] = ("png",),
    *,
    skipped: list[str] | None = None,
) -> list[Path]:
    """Write every chart ``result`` supports into ``directory`` as ``<chart>.<fmt>``.

    Works the same on a fresh result and on one from :func:`simfunnel.load_result`
    (no re-simulation), and writes the same bytes for the same result: SVG ids use a
    fixed salt and no file carries a timestamp. Each file is written to a temporary
    name in the folder and then renamed.

    A chart the result cannot show (e.g. no interviewees after heavy cancellation)
    is skipped; its name and why are appended to ``skipped`` when given.

    Returns
    -------
    list of Path
        The files written, chart by chart, in ``formats`` order.
    """
    formats = _check_formats(formats)
    directory = Path(directory)
    written = []
    for name in supported_charts(result):
        try:
            output = RUN_OUTPUTS[name](result)
            written += save_chart(plot_output, output, directory / name, formats)
        except NothingToChartError as exc:  # a valid result this chart cannot show: skip it
            if skipped is not None:
                skipped.append(f"{name} ({exc})")
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
    chart = sweep_lines if len(keys) == 1 else sweep_heatmap
    written = []
    for metric in _sweep_metrics(table):
        written += save_chart(chart, table, directory / f"sweep_{metric}", formats, metric=metric)
    if keys == [RISK_AVERSION] and set(RISK_TRADEOFF_METRICS) <= set(table["metric"]):
        written += save_chart(risk_tradeoff, table, directory / "risk_tradeoff", formats)
    return written
