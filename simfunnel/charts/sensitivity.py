"""Charts of sensitivity: tornado and Sobol indices."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.charts.style import (
    BLUE,
    ORANGE,
    _axes,
    _axis_label,
    _format_axis,
    _format_metric,
    _headline,
    _key_label,
    _lower_first,
    _metric_label,
    _pct,
    _percent_axis,
    _rate_digits,
    _unit,
    talk_style,
)
from simfunnel.charts.sweep import SENSITIVITY_COLUMNS, SOBOL_COLUMNS


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
