"""Applicant-tracking exports: one row per requisition, read and checked within limits.

The columns (``--columns old=new`` renames others to these):

=======================  ===============================================  ========
column                   meaning                                          required
=======================  ===============================================  ========
``requisition_id``       any unique key                                   yes
``posted``               posting date (ISO)                               no
``closed``               date of the accepted offer or the cancellation   no
``applicants``           applications received                            yes
``shortlisted``          candidates invited to interview                  no
``interviewed``          candidates interviewed (externals and internals) yes
``internal_interviewed`` internal candidates interviewed                  no
``offers``               offers made                                      yes
``hires``                offers accepted                                  yes
``internal_hires``       accepted offers that went to internals           no
``cancelled``            1 if cancelled or closed without a hire          yes
=======================  ===============================================  ========

**Open requisitions** (``cancelled`` empty or ``open``, or 0 with no hire and no
``closed`` date) are censored, not refused: their stage counts so far (applicants,
shortlisted, interviewed) are used, their outcome (offers, hires, cancelled, closed) is
left out, and :attr:`AtsData.open` lists their ids. Dates are ISO (2025-03-31) unless
``date_format`` (``--date-format %d/%m/%Y``) says otherwise. The fit needs at least
:data:`MIN_REQUISITIONS` (50) requisitions.

Rows are numbered as in a spreadsheet: the header is row 1, the first requisition
row 2. Every refusal is one :class:`~simfunnel.errors.InputError` line naming the
file, the row and the column, with at most a short excerpt of the bad cell.
A missing value of an optional column is allowed (that row is used for what it
has); a missing value of a required column is not.

A row with no value in any of these columns (a row of only commas) is blank and skipped;
rows keep their spreadsheet numbers. Dates with a time zone are converted to UTC (a
date without one is taken as UTC), so an export mixing zones reads as one calendar.

Limits: the file is read by :func:`simfunnel.io.tables.read_table` within
:data:`LIMITS` (:data:`simfunnel.io.tables.ATS_EXPORT`: size, columns, rows and
cell length, each checked before the table is built), only the columns above (and
those ``--columns`` renames) are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.tables import ATS_EXPORT, FIRST_DATA_ROW, SUFFIXES, cell_text, read_table
from simfunnel.model.names import shown as _shown

REQUIRED = ("requisition_id", "applicants", "interviewed", "offers", "hires", "cancelled")
COLUMNS = (
    "requisition_id",
    "posted",
    "closed",
    "applicants",
    "shortlisted",
    "interviewed",
    "internal_interviewed",
    "offers",
    "hires",
    "internal_hires",
    "cancelled",
)
OPTIONAL = tuple(c for c in COLUMNS if c not in REQUIRED)
DATES = ("posted", "closed")
# The per-requisition numbers (the columns but the id and the dates), in export order:
# what the fit reads (simfunnel.analysis.fit) and what a simulated export writes
# (simfunnel.analysis.requisitions). The one definition of the export's columns.
NUMBERS = tuple(c for c in COLUMNS if c not in ("requisition_id", *DATES))
COUNTS = tuple(c for c in NUMBERS if c != "cancelled")

LIMITS = ATS_EXPORT  # how large an export may be (reasons in simfunnel.io.tables)
MAX_COUNT = 10_000_000  # applicants per requisition: the schema's applicants.count limit
MIN_REQUISITIONS = 50  # the fit's summaries (quantiles, shares by quarter) need this many
CELL_EXCERPT = 20  # characters of a bad cell shown in a message


@dataclass(frozen=True)
class AtsData:
    """A checked export: one row per requisition, in the canonical columns.

    Attributes
    ----------
    frame : DataFrame, shape (requisitions, columns present)
        Counts as nullable ``Int64``, dates as ``datetime64``, ``cancelled`` as
        ``Int64`` 0/1, ``requisition_id`` as text. Only the columns present.
    source : str
        Where it was read from (for messages and the report).
    """

    frame: pd.DataFrame
    source: str = "<data>"
    open: tuple[str, ...] = ()
    """Ids of open requisitions: outcome cells left out (censored), stage counts kept."""

    @property
    def requisitions(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        """Whether the column is present with at least one value."""
        return column in self.frame and bool(self.frame[column].notna().any())

    def counts(self, column: str) -> np.ndarray:
        """A count column as float (NaN where missing), shape (requisitions,)."""
        if column not in self.frame:
            return np.full(len(self.frame), np.nan)
        return self.frame[column].astype("Float64").to_numpy(dtype=float, na_value=np.nan)

    def posting_week(self) -> np.ndarray:
        """Week of the year of the posting date, 0..51 as in the model (NaN if unknown).

        The model's year has 52 weeks from 1 January (``quarter = week // 13``);
        the 365th (and 366th) day fall into week 51.
        """
        if "posted" not in self.frame:
            return np.full(len(self.frame), np.nan)
        day = self.frame["posted"].dt.day_of_year.to_numpy(dtype=float, na_value=np.nan)
        return np.minimum((day - 1) // 7, 51)

    def process_weeks(self) -> np.ndarray:
        """Weeks from posting to closing (NaN unless both dates are known)."""
        if "posted" not in self.frame or "closed" not in self.frame:
            return np.full(len(self.frame), np.nan)
        days = (self.frame["closed"] - self.frame["posted"]).dt.days
        return days.to_numpy(dtype=float, na_value=np.nan) / 7


def parse_column_map(items: Sequence[str]) -> dict[str, str]:
    """``["Req ID=requisition_id", ...]`` -> ``{"Req ID": "requisition_id"}``, checked."""
    mapping: dict[str, str] = {}
    for item in items:
        old, sep, new = item.partition("=")
        old, new = old.strip(), new.strip()
        if not sep or not old or not new:
            raise InputError(
                f"--columns {_cell(item)}: expected OLD=NEW, e.g. 'Req ID=requisition_id'"
            )
        if new not in COLUMNS:
            raise InputError(
                f"--columns {_cell(item)}: {_cell(new)} is not a column of the export; "
                f"choose from {', '.join(COLUMNS)}"
            )
        if old in mapping:
            raise InputError(f"--columns {_cell(old)}: given twice")
        if new in mapping.values():
            raise InputError(f"--columns: two columns renamed to {new}")
        mapping[old] = new
    return mapping


def read_ats(
    path: str | Path,
    columns: Mapping[str, str] | None = None,
    *,
    min_rows: int = MIN_REQUISITIONS,
    date_format: str | None = None,
) -> AtsData:
    """Read and check an export (``.csv``, ``.xlsx`` or ``.parquet``, by its extension).

    Parameters
    ----------
    path : the file.
    columns : mapping of the file's column names to the canonical ones.
    min_rows : fewer requisitions than this is an error (the fit needs them).
    date_format : ``strftime`` format of the dates (``"%d/%m/%Y"``); default ISO 8601.

    Raises
    ------
    InputError
        One line naming the file, and the row and column of the first problem.
    """
    path = Path(path)
    label = _shown(path, 80)
    wanted = set(COLUMNS) | set(columns or {})

    def select(header: tuple[str, ...]) -> list[str]:
        return list(dict.fromkeys(name for name in header if name in wanted))

    table = read_table(path, label, LIMITS, kinds=SUFFIXES, select=select)
    if len(table.header) == 1 and not table.frame.columns.size:
        separator = next((c for c in ";\t|" if c in table.header[0]), None)
        if separator is not None:  # one column named 'requisition_id;posted;...'
            shown = {"\t": "tabs"}.get(separator, repr(separator))
            raise InputError(
                f"{label}: row 1: the columns are separated by {shown}, not commas; "
                "save the export as comma-separated CSV"
            )
    return _check(table.frame, label, columns, min_rows, date_format)


def _cell(value: object, limit: int = CELL_EXCERPT) -> str:
    """A cell or name for a message: quoted, printable, cut to ``limit`` characters."""
    return repr(_shown(value, limit))


def check_frame(
    raw: pd.DataFrame,
    source: str = "<data>",
    columns: Mapping[str, str] | None = None,
    *,
    min_rows: int = MIN_REQUISITIONS,
    date_format: str | None = None,
) -> AtsData:
    """Check a table of text cells (as read from a file) and convert it.

    Also takes a DataFrame built in Python (``sf.fit(frame, ...)``): its cells are
    read as text, so ``12`` and ``"12"`` are the same.
    """
    frame = raw.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    if len(frame) > LIMITS.max_rows:
        raise InputError(f"{source}: too many rows (over {LIMITS.max_rows:,})")
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    return _check(frame, source, columns, min_rows, date_format)


def _check(
    frame: pd.DataFrame,
    source: str,
    columns: Mapping[str, str] | None,
    min_rows: int,
    date_format: str | None = None,
) -> AtsData:
    """Check a table of cells whose index is the spreadsheet row number of each row."""
    for old, new in (columns or {}).items():
        if old not in frame.columns:
            raise InputError(f"{source}: --columns {_cell(old)}: no such column in the file")
        if new in frame.columns and new != old:
            raise InputError(
                f"{source}: --columns {_cell(old)}={new}: the file already has a column {new}"
            )
        frame = frame.rename(columns={old: new})
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise InputError(
            f"{source}: row 1: column {_cell(duplicated[0])} appears twice in the header"
        )
    for column in REQUIRED:
        if column not in frame.columns:
            hint = " (rename yours with --columns OLD=NEW)" if columns is None else ""
            raise InputError(f"{source}: missing required column {column}{hint}")
    if len(frame) < min_rows:
        raise InputError(
            f"{source}: {len(frame)} requisition rows; the fit needs at least {min_rows}"
        )
    present = [c for c in COLUMNS if c in frame.columns]
    frame = frame[present]
    problems = Problems(source)
    out = pd.DataFrame(index=frame.index)
    out["requisition_id"] = _ids(frame["requisition_id"], problems)
    for column in DATES:
        if column in frame:
            out[column] = _dates(frame[column], problems, column, date_format)
    # An open requisition's outcome is not known yet: required outcome cells may be empty.
    open_rows = _open_rows(frame)
    for column in COUNTS:
        if column in frame:
            required = column in REQUIRED and column not in OUTCOMES
            out[column] = _integers(frame[column], problems, column, required)
            if column in REQUIRED and column in OUTCOMES:
                empty = _text(frame[column]).isna() & ~open_rows
                problems.add(out.index[empty], column, lambda i: "missing (it is required)")
    out["cancelled"] = _flags(frame["cancelled"], problems, open_rows)
    open_rows |= _undecided(out)
    for column in OUTCOMES:
        if column in out:
            out[column] = out[column].mask(open_rows)
    _check_consistency(out, problems)
    problems.raise_any()
    ids = tuple(out.loc[open_rows, "requisition_id"])
    return AtsData(out[[c for c in COLUMNS if c in out]].reset_index(drop=True), source, ids)


MAX_PROBLEMS = 50  # problems listed for one file, in row order; the rest are counted


class Problems:
    """Every problem of a file's cells, collected so all are reported at once: one line
    each (file, row, column, what), in row order then column order, at most
    :data:`MAX_PROBLEMS` listed and the rest counted."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.found: list[tuple[int, int, str, str]] = []
        self.count = 0

    def add(self, rows: Any, column: str, message: Callable[[int], str]) -> None:
        """``message(row)`` for each of ``rows`` (spreadsheet row numbers)."""
        order = COLUMNS.index(column) if column in COLUMNS else len(COLUMNS)
        for row in rows:
            self.count += 1
            self.found.append((int(row), order, column, message(row)))
        # Keep the memory bounded however many rows are bad: the first rows are listed.
        if len(self.found) > 4 * MAX_PROBLEMS:
            self.found = sorted(self.found)[:MAX_PROBLEMS]

    def raise_any(self) -> None:
        if not self.count:
            return
        found = sorted(self.found)[:MAX_PROBLEMS]
        lines = [f"{self.source}: row {_row(r)}, column {c}: {m}" for r, _, c, m in found]
        if self.count > len(found):
            lines.append(f"{self.source}: and {self.count - len(found):,} more problems")
        raise InputError("\n".join(lines))


# What an open requisition does not know yet: left out (censored), the rest is used.
OUTCOMES = ("closed", "offers", "hires", "internal_hires", "cancelled")
OPEN_WORDS = ("open", "in progress", "pending", "active")


def _open_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows whose ``cancelled`` cell is empty or says open (and which have no closed date)."""
    flag = _text(frame["cancelled"]).str.lower()
    marked = flag.isna() | flag.isin(OPEN_WORDS)
    if "closed" in frame:
        marked &= _text(frame["closed"]).isna()
    return marked.fillna(False).astype(bool)


def _undecided(out: pd.DataFrame) -> pd.Series:
    """Not cancelled, no hire and no closing date: still open (cancelled = 1 means
    "cancelled or closed without a hire")."""
    undecided = (out["cancelled"] == 0) & (out["hires"] == 0)
    if "closed" in out:
        undecided &= out["closed"].isna()
    else:
        return pd.Series(False, index=out.index)
    return undecided.fillna(False).astype(bool)


def _row(index: int) -> int:
    return int(index)  # frames are indexed by spreadsheet row


def _text(series: pd.Series) -> pd.Series:
    """Cells as stripped text, NaN where empty."""
    if pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
        text = series.astype(object).str.strip()  # as read from a file: text or NaN
    else:  # a frame built in Python: numbers, dates, ...
        text = series.map(lambda v: v if _missing(v) else str(cell_text(v)).strip())
    return text.where(text.notna() & (text != ""), np.nan).astype(object)


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _fail(source: str, index: int, column: str, message: str) -> InputError:
    return InputError(f"{source}: row {_row(index)}, column {column}: {message}")


def _ids(series: pd.Series, problems: Problems) -> pd.Series:
    ids = _text(series)
    empty = ids.isna()
    problems.add(ids.index[empty], "requisition_id", lambda i: "missing (it is required)")
    repeated = ids.duplicated(keep="first") & ~empty
    first_row = {value: row for row, value in ids[~empty & ~repeated].items()}
    problems.add(
        ids.index[repeated],
        "requisition_id",
        lambda i: f"duplicate id {_cell(ids[i])} (first on row {_row(first_row[ids[i]])})",
    )
    return ids.astype(str)


def _integers(series: pd.Series, problems: Problems, column: str, required: bool) -> pd.Series:
    text = _text(series)
    if required:
        problems.add(text.index[text.isna()], column, lambda i: "missing (it is required)")
    values = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & (values.isna() | ~np.isfinite(values.astype(float)))
    bad |= values.notna() & (values != np.round(values))
    problems.add(text.index[bad], column, lambda i: f"not a whole number (got {_cell(text[i])})")
    negative = values.notna() & (values < 0) & ~bad
    problems.add(text.index[negative], column, lambda i: f"negative (got {_cell(text[i])})")
    huge = values.notna() & (values > MAX_COUNT) & ~bad
    problems.add(
        text.index[huge],
        column,
        lambda i: f"implausibly large (over {MAX_COUNT:,}; got {_cell(text[i])})",
    )
    values = values.mask(bad | negative | huge)  # a refused cell compares with nothing
    return values.round().astype("Int64")


def _flags(series: pd.Series, problems: Problems, open_rows: pd.Series) -> pd.Series:
    text = _text(series).str.lower()
    empty = text.isna() & ~open_rows
    problems.add(
        text.index[empty],
        "cancelled",
        lambda i: "missing (it is required; an open requisition has no closed date)",
    )
    mapping = {"1": 1, "0": 0, "1.0": 1, "0.0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
    flags = text.map(mapping)
    bad = flags.isna() & ~open_rows & ~empty
    problems.add(
        flags.index[bad], "cancelled", lambda i: f"expected 1, 0 or open (got {_cell(series[i])})"
    )
    return flags.mask(open_rows).astype("Int64")


def _dates(
    series: pd.Series, problems: Problems, column: str, date_format: str | None = None
) -> pd.Series:
    text = _text(series)
    try:
        # One convention whatever the zones: a time with an offset is converted to UTC, one
        # without is taken as UTC (pandas refuses a column mixing zones unless told so).
        dates = pd.to_datetime(text, errors="coerce", format=date_format or "ISO8601", utc=True)
    except ValueError:  # a format pandas cannot use
        raise InputError(
            f"--date-format {_cell(date_format)}: not a date format like %d/%m/%Y"
        ) from None

    def not_a_date(i: int) -> str:
        if date_format:
            expected = f"not a date in --date-format {date_format[:20]}"
        else:
            expected = "not an ISO date like 2025-03-31"
            if "/" in str(text[i]) or "." in str(text[i]):
                expected += " (for 04/03/2024 give --date-format %d/%m/%Y or %m/%d/%Y)"
        return f"{expected} (got {_cell(text[i])})"

    problems.add(text.index[text.notna() & dates.isna()], column, not_a_date)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    years = dates.dt.year
    odd = dates.notna() & ((years < 1900) | (years > 2200))
    problems.add(
        dates.index[odd], column, lambda i: f"date out of range 1900-2200 (got {_cell(text[i])})"
    )
    return dates.mask(odd).dt.normalize()


# (smaller, larger, what it means): `smaller` may never exceed `larger`.
_ORDER = (
    ("shortlisted", "applicants", "more candidates shortlisted than applicants"),
    ("offers", "interviewed", "more offers than candidates interviewed"),
    ("hires", "offers", "more hires than offers"),
    ("internal_interviewed", "interviewed", "more internals interviewed than interviewees"),
    ("internal_hires", "hires", "more internal hires than hires"),
    ("internal_hires", "internal_interviewed", "more internal hires than internals interviewed"),
)


def _check_consistency(frame: pd.DataFrame, problems: Problems) -> None:
    """Counts that contradict each other, and a close before the posting, on every row."""
    for smaller, larger, what in _ORDER:
        if smaller in frame and larger in frame:
            wrong = (frame[smaller] > frame[larger]).fillna(False).to_numpy(dtype=bool)
            problems.add(
                frame.index[wrong],
                smaller,
                lambda i, s=smaller, b=larger, w=what: (
                    f"{w} ({s} {frame[s][i]} > {b} {frame[b][i]})"
                ),
            )
    if {"interviewed", "internal_interviewed", "shortlisted"} <= set(frame):
        externals = frame["interviewed"] - frame["internal_interviewed"]
        wrong = (externals > frame["shortlisted"]).fillna(False).to_numpy(dtype=bool)
        problems.add(
            frame.index[wrong],
            "interviewed",
            lambda i: (
                f"more external interviewees ({externals[i]}) than shortlisted "
                f"({frame['shortlisted'][i]})"
            ),
        )
    if "posted" in frame and "closed" in frame:
        wrong = (frame["closed"] < frame["posted"]).fillna(False).to_numpy(dtype=bool)
        problems.add(
            frame.index[wrong],
            "closed",
            lambda i: (
                f"closed before posted ({frame['closed'][i].date()} < {frame['posted'][i].date()})"
            ),
        )
