"""Why good interviews lost: the loss-reasons chart (:class:`LossReasons`), one method
or several side by side, with reasons under 1% folded into one row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from simfunnel.analysis.outputs.run import LossReasons
from simfunnel.analysis.result import Result
from simfunnel.metrics import LOSS_REASONS
from simfunnel.present.charts.run import Labels, _name, _value_label
from simfunnel.present.charts.style import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    _axes,
    _pct,
    _percent_axis,
    draw_ranges,
    headline,
    talk_style,
)

OTHER = "other"
FOLD_BELOW = 0.01  # reasons under 1% of good interviews go into one "other" row


def _fold_small(
    table: pd.DataFrame,
    methods: list[str],
    order: Sequence[str] | None = None,
    fold: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Reasons sorted largest first (by the first method); those under 1% of good
    interviews for every method folded into one row, "Other (each under 1%)", whose
    share is their sum (no CI: the sum of correlated shares has none here)."""
    first = table[table["method"] == methods[0]].set_index("reason")["share"]
    order = (
        list(order)
        if order is not None
        else list(first.sort_values(ascending=False, kind="stable").index)
    )  # a fixed order (the live explorer's) may name reasons this table lacks
    small = table.groupby("reason")["share"].max() < FOLD_BELOW
    folded = [r for r in order if small.get(r, False)]
    if len(folded) < 2:  # folding one row into "other" would hide its name for nothing
        folded = []
    if fold is not None:  # the rows to fold, given (the live explorer keeps them fixed)
        folded = list(fold)
    keep = [r for r in order if r not in folded]
    rows = table[table["reason"].isin(keep)].copy()
    if folded:
        parts = []
        for method in methods:
            mine = table[(table["method"] == method) & table["reason"].isin(folded)]
            label = table.loc[table["method"] == method, "method_label"].iloc[0]
            parts.append(
                {
                    "method": method,
                    "method_label": label,
                    "reason": OTHER,
                    "label": "Other (each under 1%)",
                    "share": float(mine["share"].sum()),
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "mechanism": bool(mine["mechanism"].fillna(True).any()) or mine.empty,
                }
            )
        rows = pd.concat([rows, pd.DataFrame(parts)], ignore_index=True)
        keep.append(OTHER)
    return rows, keep


def draw_loss_reasons(
    output: LossReasons,
    ax: Axes | None = None,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    order: Sequence[str] | None = None,
    fold: Sequence[str] | None = None,
    **style: Any,
) -> Axes:
    """Bars of the share of good interviews without an offer, by reason, with 95% CIs,
    largest on top; reasons under 1% are folded into one "other" row. ``order`` fixes
    the order of the reasons instead (names of the table's reasons; "other" last), and
    ``fold`` which of them go into "other" (the live explorer keeps both as the baseline
    had them, so no row moves while a slider does).

    One method: reasons that are the hiring process (blue) against losing in the
    interview itself (grey: a narrow margin, a truly better candidate, the interview's
    noise), the colours explained in a
    key. Several: a colour per method, with a legend in a row of its own above the bars.
    """
    methods = list(dict.fromkeys(output.to_df()["method"]))
    table, reasons = _fold_small(output.to_df(), methods, order, fold)
    colours = {"sequential": BLUE, "shapley": ORANGE, "removed_alone": GREEN}
    with talk_style(**style):
        ax = _axes(ax)
        height = 0.8 / len(methods)
        base = np.arange(len(reasons))[::-1]
        for i, method in enumerate(methods):
            rows = table[table["method"] == method].set_index("reason").reindex(reasons)
            y = base + (len(methods) - 1) / 2 * height - i * height
            share = rows["share"].fillna(0.0).to_numpy(dtype=float)  # a reason it lacks: 0
            if len(methods) == 1:
                colour = [BLUE if m else GREY for m in rows["mechanism"].fillna(True)]
            else:
                colour = colours[method]
            name = _name(labels, method, rows["method_label"].dropna().iloc[0])
            ax.barh(y, share, height=height * 0.92, color=colour, label=name)
            if "param_low" in rows:
                draw_ranges(ax, y, rows["param_low"].to_numpy(dtype=float),
                            rows["param_high"].to_numpy(dtype=float), horizontal=True)  # fmt: skip
            known = rows["ci_low"].notna().to_numpy()  # the "other" row has no CI
            errors = np.vstack([share - rows["ci_low"], rows["ci_high"] - share])[:, known]
            ax.errorbar(
                share[known], y[known], xerr=errors, fmt="none", ecolor="#222222",
                elinewidth=1.5, zorder=3,
            )  # fmt: skip
            if i > 0:
                continue
            ends = rows[[c for c in ("ci_high", "param_high") if c in rows]].max(axis=1)
            ends = ends.fillna(rows["share"])
            for yi, value, high, c in zip(
                y, share, ends, np.broadcast_to(colour, share.shape), strict=True
            ):
                if np.isfinite(value):
                    _value_label(ax, _pct(value), high, yi, inside=False, colour=c)
        names = table.drop_duplicates("reason").set_index("reason")["label"].to_dict()
        names |= {r: LOSS_REASONS[r].label for r in reasons if r not in names}
        ax.set_yticks(base, [_name(labels, r, names[r]) for r in reasons])
        ax.tick_params(axis="y", length=0)
        _percent_axis(ax.xaxis)
        right = table[[c for c in ("share", "ci_high", "param_high") if c in table]].max().max()
        ax.set_xlim(0, max(0.05, float(right)) * 1.15)
        top = base[0] + 0.5
        if len(methods) > 1:
            top += 1.2  # a row of its own for the legend, so that it covers no bar
            ax.legend(loc="upper right", ncols=len(methods), frameon=False, borderaxespad=0.1)
        else:
            # The key of the colours in a row of its own above the bars: long bars may
            # be anywhere (the interview's own reasons are long), so it covers none.
            top += 0.9
            key = [
                mpl.patches.Patch(color=BLUE, label="how the manager or the role decided"),
                mpl.patches.Patch(color=GREY, label="the interview itself, or left first"),
            ]
            ax.legend(handles=key, loc="upper right", ncols=2, frameon=False,
                      borderaxespad=0.1, fontsize=0.85 * mpl.rcParams["font.size"])  # fmt: skip
        ax.set_ylim(-0.5, top)
        ax.grid(axis="x")
        if getattr(output, "xlabel", None):
            ax.set_xlabel(output.xlabel)
        elif methods[0] == "removed_alone":
            ax.set_xlabel("Share of good interviews without an offer that would get one")
        else:
            ax.set_xlabel("Share of good interviews that got no offer")
        headline(ax, output.finding, output.note, title, subtitle)
    return ax


def loss_reasons(
    result: Result,
    ax: Axes | None = None,
    *,
    methods: Sequence[str] = ("sequential",),
    title: str | None = None,
    subtitle: str | None = None,
    labels: Labels = None,
    **style: Any,
) -> Axes:
    """Why good interviews lost (:class:`LossReasons`): one method by default, the
    sequential one; ``methods=("sequential", "shapley")`` shows both side by side."""
    output = LossReasons.from_result(result, methods)
    return output.plot(ax, title=title, subtitle=subtitle, labels=labels, **style)
