"""Parameter sweeps: a metric across a grid of one or two scenario keys."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.metrics import METRICS, SWEEP_METRICS, key_label, label

SWEEP_COLUMNS = ("metric", "value", "ci_low", "ci_high")
RISK_AVERSION = "manager.risk_aversion"
RISK_TRADEOFF_METRICS = (
    "mean_hire_value",
    "bad_hire_rate",
    "internal_win_rate",
    "best_interviewee_hired_rate",
)
# The least an axis spans, per unit: a rate's axis shows at least 10 points, a value's
# half an SD, so a change of a point or two is not blown up to fill the chart.
MIN_SPAN = {"share": 0.10, "sd": 0.5}
# ... and at least this many CI half-widths, so a change inside its CI reads as flat.
SPAN_IN_HALF_WIDTHS = 10


def sweep_keys(table: pd.DataFrame) -> list[str]:
    """The varied keys of a :func:`simfunnel.sweep` table: every column but the metric's."""
    missing = [c for c in SWEEP_COLUMNS if c not in table]
    if missing:
        raise ValueError(
            f"a sweep table needs columns {', '.join(SWEEP_COLUMNS)} after the varied keys; "
            f"missing {missing}"
        )
    return [c for c in table.columns if c not in (*SWEEP_COLUMNS, "param_low", "param_high")]


def honest_limits(name: str, low: Sequence[float], high: Sequence[float]) -> tuple[float, float]:
    """Axis limits for ``name`` whose CIs run from ``low`` to ``high``: wide enough that a
    change inside the CIs looks flat, never wider than a share's 0-100%."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    bottom, top = float(np.nanmin(low)), float(np.nanmax(high))
    unit = METRICS[name].unit if name in METRICS else "per_opening"
    half = float(np.nanmax(high - low)) / 2
    floor = MIN_SPAN.get(unit, 0.2 * max(abs(bottom), abs(top), 1e-9))
    span = max(1.15 * (top - bottom), SPAN_IN_HALF_WIDTHS * half, floor)
    centre = (bottom + top) / 2
    lower, upper = centre - span / 2, centre + span / 2
    if unit == "share":
        span = min(span, 1.0)
        lower = min(max(0.0, centre - span / 2), 1.0 - span)
        upper = lower + span
    return lower, upper


def within_noise(rows: pd.DataFrame) -> bool:
    """Whether the highest and lowest values' 95% CIs overlap: no change shown beyond noise."""
    top, bottom = rows["value"].idxmax(), rows["value"].idxmin()
    return len(rows) < 2 or bool(rows.at[bottom, "ci_high"] >= rows.at[top, "ci_low"])


def _show(name: str, value: float, digits: int) -> str:
    return METRICS[name].format(value, digits) if name in METRICS else f"{value:.3g}"


def _digits(values: np.ndarray) -> int:
    """Whole percentages unless the values are small or close together."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0
    return 1 if values.min() < 0.1 or np.ptp(values) < 0.03 else 0


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


class Sweep(Output):
    """A sweep of one key (lines) or two (a heatmap), one or more metrics.

    Attributes
    ----------
    keys : list of str
        The varied scenario keys (the first runs up a heatmap's y-axis).
    metrics : list of str
        The metrics drawn.
    scenario : str
    openings : int
        Simulated openings per grid point.
    seed : int or None
    noise : bool
        The change across the grid is inside the 95% CIs (of the lead metric).
    """

    chart = "sweep:draw_lines"

    def __init__(self, table, finding, note="", *, keys=(), metrics=(), scenario="",
                 openings=0, seed=None, noise=False) -> None:  # fmt: skip
        super().__init__(table, finding, note)
        self.keys, self.metrics = list(keys), list(metrics)
        self.scenario, self.openings, self.seed, self.noise = scenario, openings, seed, noise
        if len(self.keys) == 2:
            self.chart = "sweep:draw_heatmap"

    @property
    def context(self) -> str:
        """Where the numbers come from, for a note."""
        parts = [f"{self.scenario.replace('_', ' ')} scenario"] if self.scenario else []
        parts.append("sweep of " + " × ".join(_lower(key_label(k)) for k in self.keys))
        if self.openings:
            parts.append(f"{self.openings:,} simulated openings per point")
        return " · ".join(parts) + " · the same random draws at every point"

    @classmethod
    def from_table(cls, table: pd.DataFrame, metric: str | Sequence[str] | None = None) -> Sweep:
        """From what :func:`simfunnel.sweep` returns (``attrs``: scenario, openings, seed).

        ``metric``: one name, or several sharing a unit (1-D sweeps only); by default
        the table's only metric, or the headline rates of :data:`SWEEP_METRICS` it holds.
        """
        keys = sweep_keys(table)
        if not 1 <= len(keys) <= 2:
            raise ValueError(f"a sweep varies one or two keys; this table varies {keys}")
        names = _choose_metrics(table, metric, two_keys=len(keys) == 2)
        rows = table[table["metric"].isin(names)].dropna(subset=["value"])
        rows = rows.sort_values([*keys, "metric"], kind="stable").reset_index(drop=True)
        attrs = dict(
            scenario=str(table.attrs.get("scenario", "")),
            openings=int(table.attrs.get("openings", 0) or 0),
            seed=table.attrs.get("seed"),
        )
        if len(keys) == 1:
            finding, noise = _lines_finding(rows, keys[0], names)
        else:
            finding, noise = _heatmap_finding(rows, keys, names[0])
        output = cls(rows, finding, keys=keys, metrics=names, noise=noise, **attrs)
        output.note = output.context + " · 95% bands" if len(keys) == 1 else output.context
        if len(keys) == 1 and "param_low" in rows:
            output.note += " · pale bars: range over parameter uncertainty"
        if noise and len(keys) == 1:
            output.note += "\nevery change across the grid is inside the 95% CIs"
        if len(keys) == 2:
            half = float(((rows["ci_high"] - rows["ci_low"]) / 2).max())
            unit = "percentage points" if METRICS[names[0]].is_share else ""
            amount = f"{100 * half:.1f} {unit}" if unit else _show(names[0], half, 2)
            output.note += f"\n95% CIs within ±{amount} of each cell"
            if noise:
                output.note += " · cells not coloured: the differences are inside the CIs"
        return output

    def series(self, metric: str) -> pd.DataFrame:
        """The rows of ``metric``, sorted along the (first) key."""
        rows = self._table[self._table["metric"] == metric]
        return rows.sort_values(self.keys[0]).reset_index(drop=True)

    def limits(self, metrics: Sequence[str] | None = None) -> tuple[float, float]:
        """Honest value-axis limits for ``metrics`` (default: all drawn)."""
        rows = self._table[self._table["metric"].isin(metrics or self.metrics)]
        low, high = rows["ci_low"], rows["ci_high"]
        if "param_low" in rows:
            low, high = np.fmin(low, rows["param_low"]), np.fmax(high, rows["param_high"])
        return honest_limits(self.metrics[0] if not metrics else metrics[0], low, high)


def _choose_metrics(table: pd.DataFrame, metric: Any, *, two_keys: bool) -> list[str]:
    present = [
        m
        for m in dict.fromkeys(table["metric"])
        if table.loc[table["metric"] == m, "value"].notna().any()
    ]
    if metric is None:
        rates = [m for m in SWEEP_METRICS if m in present and METRICS[m].is_share]
        names = present if len(present) == 1 else ([] if two_keys else rates)
        if not names:
            raise ValueError(f"name the metric to draw: one of {', '.join(present)}")
    else:
        names = [metric] if isinstance(metric, str) else list(metric)
    unknown = [m for m in names if m not in present]
    if unknown:
        raise ValueError(
            f"the sweep table has no metric {unknown[0]!r}; it has {', '.join(present)}"
        )
    if len({METRICS[m].unit if m in METRICS else m for m in names}) > 1:
        raise ValueError(
            f"metrics drawn together must share a unit; {', '.join(names)} mix rates, "
            "per-opening counts and hire value (draw them separately)"
        )
    if two_keys and len(names) != 1:
        raise ValueError("a heatmap draws one metric; name it")
    return names


def _lines_finding(rows: pd.DataFrame, key: str, names: list[str]) -> tuple[str, bool]:
    """The sentence a 1-D sweep supports, about the metric that moves most beyond noise."""
    series = {m: rows[rows["metric"] == m].sort_values(key).reset_index(drop=True) for m in names}
    moved = [m for m in names if not within_noise(series[m])]
    pool = moved or names
    lead = max(pool, key=lambda m: float(np.ptp(series[m]["value"].to_numpy(dtype=float))))
    s = series[lead]
    x, value = s[key].to_numpy(dtype=float), s["value"].to_numpy(dtype=float)
    digits = _digits(value)

    def show(v: float) -> str:
        return _show(lead, v, digits)

    where = _lower(key_label(key))
    span = f"as {where} goes from {x[0]:g} to {x[-1]:g}"
    if not moved:
        what = label(lead) if len(names) == 1 else "These rates"
        return f"{what}: no meaningful change {span}", True
    top, bottom = int(np.argmax(value)), int(np.argmin(value))
    ends = (0, len(value) - 1)
    if top not in ends and s.at[top, "ci_low"] > max(s.at[0, "ci_high"], s.at[ends[1], "ci_high"]):
        return f"{label(lead)} peaks at {show(value[top])} when {where} is {x[top]:g}", False
    if bottom not in ends and s.at[bottom, "ci_high"] < min(
        s.at[0, "ci_low"], s.at[ends[1], "ci_low"]
    ):
        return (
            f"{label(lead)} is lowest, {show(value[bottom])}, when {where} is {x[bottom]:g}",
            False,
        )
    return f"{label(lead)}: {show(value[0])} → {show(value[-1])} {span}", False


def _heatmap_finding(rows: pd.DataFrame, keys: list[str], name: str) -> tuple[str, bool]:
    values = rows["value"].to_numpy(dtype=float)
    digits = _digits(values)
    top, bottom = rows.loc[rows["value"].idxmax()], rows.loc[rows["value"].idxmin()]
    low, high = _show(name, bottom["value"], digits), _show(name, top["value"], digits)
    if within_noise(rows):
        return f"{label(name)}: no meaningful change across the grid ({low}–{high})", True
    where = " and ".join(f"{_lower(key_label(k))} = {top[k]:g}" for k in keys)
    return f"{label(name)}: from {low} to {high}, highest where {where}", False


class RiskTradeoff(Sweep):
    """What a manager's fear of a wrong hire buys: a 1-D sweep of risk aversion over
    :data:`RISK_TRADEOFF_METRICS`, one small panel per metric."""

    chart = "sweep:draw_risk_tradeoff"

    @classmethod
    def from_table(cls, table: pd.DataFrame, metric: Any = None) -> RiskTradeoff:
        keys = sweep_keys(table)
        if keys != [RISK_AVERSION]:
            raise ValueError(
                f"risk_tradeoff needs a 1-D sweep of {RISK_AVERSION}; this table varies "
                f"{', '.join(keys) or 'nothing'}"
            )
        missing = [m for m in RISK_TRADEOFF_METRICS if m not in set(table["metric"])]
        if missing:
            raise ValueError(f"risk_tradeoff needs the metrics {', '.join(missing)} in the sweep")
        rows = table[table["metric"].isin(RISK_TRADEOFF_METRICS)].dropna(subset=["value"])
        rows = rows.sort_values([RISK_AVERSION, "metric"], kind="stable").reset_index(drop=True)
        output = cls(
            rows,
            "",
            keys=keys,
            metrics=list(RISK_TRADEOFF_METRICS),
            scenario=str(table.attrs.get("scenario", "")),
            openings=int(table.attrs.get("openings", 0) or 0),
            seed=table.attrs.get("seed"),
        )
        output.finding, output.noise = _risk_finding(output.series("bad_hire_rate"))
        output.note = f"{output.context} · 95% bands · each panel on its own scale"
        return output


def _risk_finding(bad: pd.DataFrame) -> tuple[str, bool]:
    first, last = bad.iloc[0], bad.iloc[-1]
    digits = _digits(np.array([first["value"], last["value"]]))
    change = f"from {_show('bad_hire_rate', first['value'], digits)} to " + _show(
        "bad_hire_rate", last["value"], digits
    )
    if last["ci_high"] < first["ci_low"]:
        return f"Playing safe cuts bad hires {change}", False
    if last["ci_low"] > first["ci_high"]:
        return f"Playing safe backfires: bad hires rise {change}", False
    return f"Playing safe does not cut bad hires ({change}, within the CIs)", True
