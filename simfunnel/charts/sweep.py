"""Charts of parameter sweeps: lines, heatmap, the risk trade-off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.charts.style import (
    BLUE,
    GREEN,
    ORANGE,
    PURPLE,
    SKY,
    VERMILLION,
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
from simfunnel.metrics import (
    SWEEP_METRICS,
)

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
