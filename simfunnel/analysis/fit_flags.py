"""Requisitions a fit should tell the user about, by id: far outliers, slates with more
internals than the model has, and open requisitions whose outcome is left out.

A few outlier rows (evergreen or confidential jobs with thousands of applicants) move a
range key to its prior box's edge and fail the checks; they are flagged here, so the
report can name them and ``simfunnel fit --exclude ID`` can refit without them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.ats import FIRST_DATA_ROW, AtsData

# Counts whose far outliers a range key (drawn uniformly) cannot produce.
OUTLIER_COLUMNS = ("applicants", "shortlisted", "interviewed")
# Tukey's outer fence: beyond 3 interquartile ranges from the quartiles is "far out"
# (Tukey 1977); a uniform range never reaches it (its ends are 1 IQR from the quartiles).
FENCE_IQRS = 3.0
FLAG_COLUMNS = ("requisition_id", "row", "column", "value", "kind", "problem")


def flagged_requisitions(data: AtsData) -> pd.DataFrame:
    """One row per flag: ``requisition_id, row, column, value, kind, problem``.

    ``kind`` is ``outlier`` (a count beyond Tukey's outer fence), ``internals`` (two or
    more internals interviewed: the model has at most one internal contender, so the
    fit counts it as one) or ``open`` (censored: outcome left out). ``row`` is the
    spreadsheet row (the header is row 1).
    """
    ids = data.frame["requisition_id"].to_numpy()
    rows_of = data.frame.index.to_numpy() + FIRST_DATA_ROW
    flags: list[dict] = []
    for column in OUTLIER_COLUMNS:
        if not data.has(column):
            continue
        values = data.counts(column)
        known = values[~np.isnan(values)]
        q1, q3 = np.quantile(known, [0.25, 0.75])
        spread = FENCE_IQRS * max(q3 - q1, 1.0)
        high, low = q3 + spread, q1 - spread
        for i in np.flatnonzero((values > high) | (values < low)):
            side = f"above {high:,.0f}" if values[i] > high else f"below {low:,.0f}"
            flags.append(
                {
                    "requisition_id": ids[i],
                    "row": int(rows_of[i]),
                    "column": column,
                    "value": int(values[i]),
                    "kind": "outlier",
                    "problem": f"{column} {int(values[i]):,} is far out: {side}, 3 "
                    "interquartile ranges beyond the quartiles (an evergreen or "
                    "confidential job?)",
                }
            )
    if data.has("internal_interviewed"):
        values = data.counts("internal_interviewed")
        for i in np.flatnonzero(values >= 2):
            flags.append(
                {
                    "requisition_id": ids[i],
                    "row": int(rows_of[i]),
                    "column": "internal_interviewed",
                    "value": int(values[i]),
                    "kind": "internals",
                    "problem": f"{int(values[i])} internals interviewed; the model has at "
                    "most one internal contender, so the fit counts one",
                }
            )
    open_ids = set(data.open)
    for i in np.flatnonzero([rid in open_ids for rid in ids]):
        flags.append(
            {
                "requisition_id": ids[i],
                "row": int(rows_of[i]),
                "column": "cancelled",
                "value": np.nan,
                "kind": "open",
                "problem": "open: its counts so far are used, its outcome (offers, hires, "
                "cancelled, closed) is left out",
            }
        )
    table = pd.DataFrame(flags, columns=list(FLAG_COLUMNS))
    return table.sort_values(["row", "column"], ignore_index=True)


def exclude_requisitions(data: AtsData, ids: list[str]) -> AtsData:
    """``data`` without the requisitions ``ids`` (``--exclude``); rows keep their
    spreadsheet numbers. An id the export does not have is refused."""
    known = set(data.frame["requisition_id"])
    unknown = [i for i in ids if i not in known]
    if unknown:
        shown = unknown[0] if len(unknown[0]) <= 40 else unknown[0][:39] + "\u2026"
        raise InputError(f"--exclude {shown!r}: no requisition_id of {data.source} is that")
    keep = ~data.frame["requisition_id"].isin(ids)
    open_ids = tuple(i for i in data.open if i not in set(ids))
    return AtsData(data.frame[keep], data.source, open_ids)
