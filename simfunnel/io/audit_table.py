"""Per-application tables for a bias audit: one row per application, read and checked.

The columns:

=========================  ================================================  ========
column                     meaning                                           required
=========================  ================================================  ========
``requisition``            the opening applied to (or ``requisition_id``)    yes
each ``--group`` column    the applicant's level of that attribute           yes
``furthest_stage``         the last stage reached (or ``stage``): applied,   one of
                           shortlisted, interviewed, offered or hired        the two
``shortlisted`` ...        0/1 per stage (any of ``shortlisted``,            one of
``hired``                  ``interviewed``, ``offered``, ``hired``)          the two
=========================  ================================================  ========

``screened`` is read as ``shortlisted`` and ``offer``/``hire`` as ``offered``/``hired``.
With 0/1 columns a stage the file does not have is not audited (the next one is audited
against the last one it has); reaching a stage means every earlier one was passed, so a
1 after a 0 is refused. Every refusal is one :class:`~simfunnel.errors.InputError` line
naming the file, the row (the header is row 1) and the column, with at most a short
excerpt of a cell: never a row of the file. No column but the requisition, the group
columns and the stage outcomes is kept, so names, e-mails or notes in other columns are
never read into the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.ats import FIRST_DATA_ROW, _cell, _text
from simfunnel.io.tables import SUFFIXES, Limits, read_table

STAGES = ("applied", "shortlisted", "interviewed", "offered", "hired")
ALIASES = {"screened": "shortlisted", "offer": "offered", "hire": "hired"}
REQUISITION_COLUMNS = ("requisition", "requisition_id")
FURTHEST_COLUMNS = ("furthest_stage", "stage")
MAX_BYTES = 200 * 2**20  # 200 MiB: ~4 million applications as CSV
#: The limits of a per-application audit table (io/tables.py checks them before parsing).
AUDIT_TABLE = Limits(max_bytes=MAX_BYTES, max_rows=4_000_000)
MAX_GROUPS = 2  # attributes audited at once: two give the intersections
# A group column with more levels than this is not a group (an id, a name, a free text):
# refused without showing its values. Census race/ethnicity has 7 categories, and their
# crossing with sex 14; 30 leaves room for finer coding.
MAX_LEVELS = 30
LEVEL_CHARACTERS = 40  # a level's name is cut to this many characters in the outputs
TRUE = {"1", "1.0", "true", "yes", "y"}
FALSE = {"0", "0.0", "false", "no", "n"}


@dataclass(frozen=True)
class ApplicationTable:
    """A checked per-application table: what an audit reads.

    Attributes
    ----------
    frame : DataFrame, shape (applications, 2 + len(groups))
        ``requisition`` (text), one text column per group, and ``reached``: the index
        in :data:`STAGES` of the furthest stage the application reached.
    groups : tuple of str
        The group columns, in the order given.
    stages : tuple of str
        The stages the data record, ``"applied"`` first, in funnel order.
    source : str
        Where it was read from (for messages and notes).
    """

    frame: pd.DataFrame
    groups: tuple[str, ...]
    stages: tuple[str, ...]
    source: str = "<data>"

    @property
    def applications(self) -> int:
        return len(self.frame)

    @property
    def requisitions(self) -> int:
        return int(self.frame["requisition"].nunique())


def read_applications(path: str | Path, groups: Sequence[str]) -> ApplicationTable:
    """Read and check a per-application file (``.csv``, ``.xlsx`` or ``.parquet``).

    Parameters
    ----------
    path : the file.
    groups : the group columns to audit (one or two).

    Raises
    ------
    InputError
        One line naming the file, and the row and column of the first problem.
    """
    path = Path(path)
    shown = _cell(str(path), 80)[1:-1]
    # Size, header, rows and cells bounded before a table is built (io/tables.py).
    table = read_table(path, shown, AUDIT_TABLE, kinds=SUFFIXES)
    return check_applications(table.frame, groups, shown)


def check_applications(
    raw: pd.DataFrame, groups: Sequence[str], source: str = "<data>"
) -> ApplicationTable:
    """Check a table of cells (as read from a file, or a DataFrame built in Python)."""
    groups = tuple(str(g).strip() for g in groups)
    if not groups:
        raise InputError("--group: give the column to audit, e.g. --group gender")
    if len(groups) > MAX_GROUPS:
        raise InputError(f"--group: at most {MAX_GROUPS} columns (their intersections are audited)")
    if len(set(groups)) < len(groups):
        raise InputError(f"--group {_cell(groups[0])}: given twice")
    frame = raw.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = frame.columns[frame.columns.duplicated()]
    if len(duplicated):
        raise InputError(f"{source}: column {_cell(duplicated[0])} appears twice in the header")
    requisition = next((c for c in REQUISITION_COLUMNS if c in frame.columns), None)
    if requisition is None:
        raise InputError(f"{source}: missing required column requisition (the opening applied to)")
    for group in groups:
        if group not in frame.columns:
            raise InputError(f"{source}: --group {_cell(group)}: no such column in the file")
        if group == requisition:
            raise InputError(f"{source}: --group {_cell(group)}: is the requisition column")
    if len(frame) == 0:
        raise InputError(f"{source}: no application rows")
    out = pd.DataFrame(index=frame.index)
    out["requisition"] = _required_text(frame[requisition], source, requisition)
    for group in groups:
        out[group] = _levels(frame[group], source, group)
    reached, stages = _outcomes(frame, source, groups)
    out["reached"] = reached
    return ApplicationTable(out.reset_index(drop=True), groups, stages, source)


def _fail(source: str, index: int, column: str, message: str) -> InputError:
    row = int(index) + FIRST_DATA_ROW
    return InputError(f"{source}: row {row}, column {_cell(column)[1:-1]}: {message}")


def _required_text(series: pd.Series, source: str, column: str) -> pd.Series:
    text = _text(series)
    if text.isna().any():
        raise _fail(source, text.index[text.isna()][0], column, "missing (it is required)")
    return text.astype(str)


def _levels(series: pd.Series, source: str, column: str) -> pd.Series:
    text = _text(series)
    if text.isna().any():
        raise _fail(
            source,
            text.index[text.isna()][0],
            column,
            "missing group value (fill such cells, e.g. with 'unknown', to audit them as a level)",
        )
    # A level's name goes into tables and charts: printable characters only, cut short.
    levels = text.map(
        lambda v: "".join(c if c.isprintable() else "?" for c in v[:LEVEL_CHARACTERS])
    )
    count = levels.nunique()
    if count < 2:
        raise InputError(
            f"{source}: --group {_cell(column)}: one level only; an audit compares two or more"
        )
    if count > MAX_LEVELS:
        # Its values are not shown: a column of that many values may be names or notes.
        raise InputError(
            f"{source}: --group {_cell(column)}: {count:,} distinct values (at most "
            f"{MAX_LEVELS}); is it a group column?"
        )
    return levels.astype(str)


def _outcomes(
    frame: pd.DataFrame, source: str, groups: tuple[str, ...]
) -> tuple[np.ndarray, tuple[str, ...]]:
    """The furthest stage reached, as an index into STAGES, and the stages recorded."""
    columns = {ALIASES.get(c.lower(), c.lower()): c for c in frame.columns if c not in groups}
    flags = [s for s in STAGES[1:] if s in columns]
    furthest = next((c for c in FURTHEST_COLUMNS if c in frame.columns), None)
    if furthest is not None and flags:
        raise InputError(
            f"{source}: both a {furthest} column and 0/1 stage columns ({', '.join(flags)}); "
            "keep one"
        )
    if furthest is not None:
        text = _text(frame[furthest])
        if text.isna().any():
            raise _fail(source, text.index[text.isna()][0], furthest, "missing (it is required)")
        names = text.str.lower().map(lambda s: ALIASES.get(s, s))
        index = names.map({s: i for i, s in enumerate(STAGES)})
        if index.isna().any():
            i = index.index[index.isna()][0]
            raise _fail(
                source, i, furthest, f"unknown stage {_cell(text[i])}; use {', '.join(STAGES)}"
            )
        return index.to_numpy(dtype=np.int64), STAGES
    if not flags:
        raise InputError(
            f"{source}: no stage outcomes: give a furthest_stage column or 0/1 columns "
            f"{', '.join(STAGES[1:])}"
        )
    if "applied" in columns:
        applied = _flags(frame[columns["applied"]], source, columns["applied"])
        if not applied.all():
            i = int(np.flatnonzero(~applied)[0])
            raise _fail(source, i, columns["applied"], "0: every row must be an application")
    reached = np.zeros(len(frame), dtype=np.int64)
    previous = np.ones(len(frame), dtype=bool)
    for stage in flags:
        column = columns[stage]
        passed = _flags(frame[column], source, column)
        skipped = passed & ~previous
        if skipped.any():
            i = int(np.flatnonzero(skipped)[0])
            raise _fail(source, i, column, "1 after a 0 at an earlier stage (a stage skipped)")
        reached[passed] = STAGES.index(stage)
        previous = passed
    return reached, ("applied", *flags)


def _flags(series: pd.Series, source: str, column: str) -> np.ndarray:
    text = _text(series).str.lower()
    if text.isna().any():
        raise _fail(source, text.index[text.isna()][0], column, "missing (expected 1 or 0)")
    value = text.map(lambda s: True if s in TRUE else (False if s in FALSE else None))
    if value.isna().any():
        i = value.index[value.isna()][0]
        raise _fail(source, i, column, f"expected 1 or 0 (got {_cell(text[i])})")
    return value.to_numpy(dtype=bool)
