"""Sensitivity of a metric to the scenario's parameters: one at a time, and Sobol."""

from __future__ import annotations

import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.metrics import METRICS, key_label, label

SENSITIVITY_COLUMNS = ("parameter", "low", "high", "value_low", "value_high", "swing")
SOBOL_COLUMNS = ("parameter", "S1", "S1_conf", "ST", "ST_conf")


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _scenario(attrs: dict) -> str:
    name = str(attrs.get("scenario") or "")
    return f"{name.replace('_', ' ')} scenario · " if name else ""


class Sensitivity(Output):
    """One-at-a-time sensitivity (a tornado): the metric with each parameter at its low
    and its high value, the rest at the scenario's; largest swing first.

    Attributes
    ----------
    metric : str
    base : float
        The metric at the scenario's own values.
    scenario : str
    total : int
        Parameters in the input (the table holds the ``top`` of them).
    """

    chart = "sensitivity:draw_tornado"

    def __init__(self, table, finding, note="", *, metric="", base=float("nan"),
                 scenario="", total=0) -> None:  # fmt: skip
        super().__init__(table, finding, note)
        self.metric, self.base, self.scenario, self.total = metric, base, scenario, total

    @classmethod
    def from_table(cls, table: pd.DataFrame, top: int = 8) -> Sensitivity:
        """From what :func:`simfunnel.sensitivity` returns (``attrs``: metric, base)."""
        missing = [c for c in SENSITIVITY_COLUMNS if c not in table]
        if missing:
            raise ValueError(
                f"tornado needs columns {', '.join(SENSITIVITY_COLUMNS)}; missing {missing}"
            )
        if "base" not in table.attrs or "metric" not in table.attrs:
            raise ValueError(
                "tornado needs table.attrs 'metric' and 'base' (as sf.sensitivity sets)"
            )
        metric, base = str(table.attrs["metric"]), float(table.attrs["base"])
        rows = table.sort_values("swing", ascending=False, kind="stable").head(top)
        if rows.empty:
            raise ValueError("the sensitivity table has no parameters")
        rows = rows.reset_index(drop=True)
        rows.insert(1, "label", [key_label(p) for p in rows["parameter"]])
        entry = METRICS[metric]
        lead = rows.iloc[0]
        size = (
            f"a {100 * lead['swing']:.1f}-point swing"
            if entry.is_share
            else f"a swing of {entry.format(lead['swing'])}"
        )
        # Short enough for two lines beside the tick labels; the metric is the x-axis label.
        finding = f"{lead['label']} matters most: {size}"
        # The base is this sweep's own run, shorter than a full run: say how long.
        openings = table.attrs.get("openings")
        per_point = f" at {int(openings):,} openings per point" if openings else ""
        # The swing's CI is paired: the whisker spans where the far end could lie
        # given the near one (the chart's swing_whiskers).
        whiskers = (
            " · whiskers: 95% CI of the swing"
            if "change_ci_low" in rows and rows["change_ci_low"].notna().any()
            else ""
        )
        note = (
            f"{_scenario(table.attrs)}each parameter alone at its low and high value, the rest "
            f"at base ({entry.format(base)}{per_point}) · same random draws{whiskers} · "
            f"top {len(rows)} of {len(table)}"
        )
        return cls(rows, finding, note, metric=metric, base=base,
                   scenario=str(table.attrs.get("scenario", "")), total=len(table))  # fmt: skip


class SobolIndices(Output):
    """Global sensitivity: first-order (S1) and total (ST) Sobol indices, with 95%
    half-widths; largest total first.

    Attributes
    ----------
    metric : str or None
    runs : int
        Simulations of the Saltelli design.
    scenario : str
    total : int
    """

    chart = "sensitivity:draw_sobol"

    def __init__(self, table, finding, note="", *, metric=None, runs=0, scenario="",
                 total=0) -> None:  # fmt: skip
        super().__init__(table, finding, note)
        self.metric, self.runs, self.scenario, self.total = metric, runs, scenario, total

    @property
    def what(self) -> str:
        """``the offer rate of good interviews``: the metric, for a sentence."""
        return f"the {_lower(label(self.metric))}" if self.metric else "the metric"

    @classmethod
    def from_table(cls, table: pd.DataFrame, top: int = 12) -> SobolIndices:
        """From what :func:`simfunnel.analysis.explore.sobol` returns (``attrs``: metric, runs)."""
        missing = [c for c in SOBOL_COLUMNS if c not in table]
        if missing:
            raise ValueError(
                f"sobol_indices needs columns {', '.join(SOBOL_COLUMNS)}; missing {missing}"
            )
        rows = table.sort_values("ST", ascending=False, kind="stable").head(top)
        if rows.empty:
            raise ValueError("the Sobol table has no parameters")
        rows = rows.reset_index(drop=True)
        rows.insert(1, "label", [key_label(p) for p in rows["parameter"]])
        runs = int(table.attrs.get("runs") or 0)
        output = cls(rows, "", metric=table.attrs.get("metric"), runs=runs,
                     scenario=str(table.attrs.get("scenario", "")), total=len(table))  # fmt: skip
        lead = rows.iloc[0]
        finding = f"{lead['label']} accounts for {100 * lead['ST']:.0f}% of the variance in "
        finding += output.what
        if 0 <= lead["S1"] <= lead["ST"]:
            finding += f", {100 * lead['S1']:.0f}% on its own"
        output.finding = finding
        output.note = (
            _scenario(table.attrs)
            + (f"Saltelli design, {runs:,} runs · " if runs else "")
            + "95% error bars\n"
            + f"top {len(rows)} of {len(table)} parameters by total index; an index below zero "
            "is sampling noise around zero"
        )
        return output
