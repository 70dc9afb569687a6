"""What a vendor reader produces: an export as five tables, with no personal data.

:class:`RawExport` holds the jobs, applications, stage history, offers and scorecards of
an export in the same columns (:data:`RAW_COLUMNS`) for every system;
:mod:`simfunnel.io.applications` normalises it. Also the limits every reader checks
before reading, and how a message shows a cell or a file name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simfunnel.errors import InputError

MILESTONES = ("applied", "screened", "interviewed", "offered", "hired")
ORIGINS = ("applied", "referral", "internal", "sourced", "agency")
REASON_CATEGORIES = (
    "another_candidate",  # "Hired / preferred another candidate"
    "position_filled",
    "cancelled",  # "Job closed / cancelled", "Position on hold"
    "withdrew",  # "Withdrew", "Accepted another offer"
    "offer_declined",
    "culture_fit",  # "Not a cultural fit"
    "lacking_skills",  # "Lacking skills / qualifications", "Failed assessment"
    "other",
)
JOB_STATUSES = ("open", "closed", "on_hold", "draft")
APPLICATION_STATUSES = ("active", "rejected", "hired")
OFFER_STATUSES = ("accepted", "rejected", "deprecated", "unresolved")
# Who ended it: Greenhouse's rejection reason types, Ashby's archive reason types.
REASON_TYPES = ("we_rejected", "they_rejected")

# The five tables a reader fills (plus "_at": "file: table T, row N" for messages).
RAW_COLUMNS: dict[str, tuple[str, ...]] = {
    "jobs": ("requisition_id", "openings", "posted", "closed", "status", "paused_days", "test"),
    "applications": (
        "application_id",
        "requisition_id",
        "origin",
        "prospect",
        "stage",
        "status",
        "reason",
        "reason_type",
        "applied_at",
        "rejected_at",
        "hired_at",
        "performance",  # a hire's later rating, from the HRIS (optional)
    ),
    "history": ("application_id", "stage", "entered_at"),
    "offers": ("application_id", "version", "status", "created_at", "resolved_at"),
    "scores": ("application_id", "round", "interviewed_at", "score"),
}
DATE_COLUMNS = {
    "jobs": ("posted", "closed"),
    "applications": ("applied_at", "rejected_at", "hired_at"),
    "history": ("entered_at",),
    "offers": ("created_at", "resolved_at"),
    "scores": ("interviewed_at",),
}
# The normalised application table (no personal columns), before the score columns.
APPLICATION_TABLE = (
    "requisition_id",
    "application_id",
    "origin",
    "internal",
    "referral",
    "milestone",
    "offered",
    "accepted",
    "withdrew",
    "reason",
    "applied_at",
    "screened_at",
    "interviewed_at",
    "offered_at",
    "hired_at",
    "rejected_at",
    "performance",
)
MAX_BYTES = 200 * 2**20  # one export file: ~1 million applications as JSON
MAX_ROWS = 2_000_000  # rows of one table
EXCERPT = 30  # characters of a name or cell shown in a message


def shown(text: object, limit: int = EXCERPT) -> str:
    """A name or cell for a message: quoted, printable, cut to ``limit`` characters."""
    value = "".join(c if c.isprintable() else "?" for c in str(text)[: limit + 1])
    return repr(value if len(value) <= limit else value[: limit - 1] + "\u2026")


def shown_path(path: object, limit: int = 80) -> str:
    """A file name for a message: printable, and its end (the file's name) kept when long."""
    text = "".join(c if c.isprintable() else "?" for c in str(path))
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1) :]


@dataclass
class RawExport:
    """An export as a reader found it: five tables, in :data:`RAW_COLUMNS`, no personal data.

    Attributes
    ----------
    jobs, applications, history, offers, scores : DataFrame
        One row per requisition, application, stage entry, offer version and
        scorecard (or round score). Dates as ``datetime64`` (naive, UTC); a column
        ``_at`` says where each row was read ("file: table T, row N").
    source : str
        The export, for messages.
    """

    jobs: pd.DataFrame
    applications: pd.DataFrame
    history: pd.DataFrame = field(default_factory=lambda: empty("history"))
    offers: pd.DataFrame = field(default_factory=lambda: empty("offers"))
    scores: pd.DataFrame = field(default_factory=lambda: empty("scores"))
    source: str = "<export>"
    # Stage name -> milestone where the system itself says (Workable's stage kinds).
    known_stages: dict[str, str] = field(default_factory=dict)
    # Recorded reason -> category where the export's mapping file says.
    known_reasons: dict[str, str] = field(default_factory=dict)

    def stage_names(self) -> list[str]:
        """Every stage name the export uses, in order of first use."""
        names = pd.concat([self.applications["stage"], self.history["stage"]]).dropna()
        return list(dict.fromkeys(str(n) for n in names))

    def reason_names(self) -> list[str]:
        return list(dict.fromkeys(str(n) for n in self.applications["reason"].dropna()))


def empty(table: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in (*RAW_COLUMNS[table], "_at")})


def raw_table(table: str, rows: list[dict], where: list[str]) -> pd.DataFrame:
    """A raw table from dicts (missing keys -> NaN), dates parsed, in :data:`RAW_COLUMNS`."""
    frame = pd.DataFrame(rows, columns=list(RAW_COLUMNS[table]))
    frame["_at"] = where
    for column in DATE_COLUMNS[table]:
        frame[column] = parse_dates(frame, column, frame["_at"])
    return frame


def parse_dates(frame: pd.DataFrame, column: str, where: pd.Series, fmt: str | None = None):
    """ISO text (or ``fmt``), epoch milliseconds (Lever) or timestamps -> naive UTC datetimes."""
    values = frame[column]
    text = values.map(lambda v: None if _missing(v) else v)
    numeric = text.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if numeric.any():
        out[numeric] = pd.to_datetime(text[numeric].astype(float), unit="ms", errors="coerce")
    rest = text.notna() & ~numeric
    if rest.any():
        strings = text[rest].astype(str).str.strip()
        digits = strings.str.fullmatch(r"\d{12,14}")
        parsed = pd.Series(pd.NaT, index=strings.index, dtype="datetime64[ns]")
        if digits.any():
            parsed[digits] = pd.to_datetime(strings[digits].astype(float), unit="ms")
        other = ~digits
        if other.any():
            kind = {"format": fmt} if fmt else {"format": "ISO8601"}
            values_other = pd.to_datetime(strings[other], errors="coerce", utc=True, **kind)
            parsed[other] = values_other.dt.tz_localize(None)
        bad = parsed.isna()
        if bad.any():
            i = bad.index[bad][0]
            expected = f"a date like {fmt}" if fmt else "an ISO date like 2025-03-31"
            raise InputError(
                f"{where[i]}, column {column}: not {expected} (got {shown(strings[i])})"
            )
        out[rest] = parsed
    return out


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""
