"""Any per-application table (``.csv``, ``.xlsx``, ``.parquet``) with a small YAML mapping file.

One row per application; the requisition's own columns repeat on each of its rows.
The mapping file says which of your columns is which of ours, how your values
read, and optionally the stage map::

    columns:              # your column: ours (only these columns are ever loaded)
      Job ID: requisition_id
      Candidate application: application_id
      Current stage: stage
      Status: status                  # active / rejected / hired
      Source: origin                  # applied / referral / internal / sourced / agency
      Rejection reason: reason
      Applied on: applied_at
      Rejected on: rejected_at
      Hired on: hired_at
      Offer made on: offered_at
      Offer status: offer_status      # accepted / rejected / unresolved
      Job opened: posted
      Job closed: closed
      Job status: job_status          # open / closed / on_hold / draft
      Openings: openings
      Phone screen score: score_1     # score_1, score_2, ...: each round's score
      Rating after a year: performance  # a hire's later rating (from the HRIS)
    values:               # optional: your value -> ours, per column of ours
      status: {In process: active, Declined: rejected, Hired: hired}
    date_format: "%d/%m/%Y"           # optional; ISO 8601 by default
    stages: {Phone screen: screened}  # optional: the stage map
    reasons: {Went elsewhere: withdrew}

Without a mapping file the columns must already have our names. Required:
``requisition_id``, ``application_id``, ``status``, ``applied_at``, ``posted``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.applications import (
    MAX_ROWS,
    RAW_COLUMNS,
    RawExport,
    StageMap,
    parse_dates,
    raw_table,
    shown,
)
from simfunnel.io.vendors.common import check_size, label, records

REQUIRED = ("requisition_id", "application_id", "status", "applied_at", "posted")
OPTIONAL = (
    "stage",
    "origin",
    "reason",
    "reason_type",
    "rejected_at",
    "hired_at",
    "offered_at",
    "offer_status",
    "prospect",
    "closed",
    "job_status",
    "openings",
    "performance",
)
OURS = REQUIRED + OPTIONAL
SCORE = re.compile(r"score_(\d+)$")
SUFFIXES = (".csv", ".xlsx", ".parquet")
MAX_UNPACKED_BYTES = 800 * 2**20  # an .xlsx is a zip: its unpacked size, before parsing


def read_mapping(path: str | Path) -> dict:
    import yaml

    path = Path(path)
    check_size(path, 2**20)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise InputError(f"{label(path)}: not valid YAML ({first})") from None
    if not isinstance(data, Mapping):
        raise InputError(
            f"{label(path)}: expected keys columns, values, date_format, stages, reasons"
        )
    unknown = set(data) - {"columns", "values", "date_format", "stages", "reasons"}
    if unknown:
        raise InputError(
            f"{label(path)}: unknown key {shown(sorted(unknown)[0])}; the keys are "
            "columns, values, date_format, stages, reasons"
        )
    columns = data.get("columns") or {}
    if not isinstance(columns, Mapping):
        raise InputError(f"{label(path)}: columns: expected 'your column: ours' lines")
    for theirs, ours in columns.items():
        if str(ours) not in OURS and not SCORE.match(str(ours)):
            raise InputError(
                f"{label(path)}: columns.{shown(theirs)[1:-1]}: {shown(ours)} is "
                f"not one of {', '.join(OURS)}, score_1, score_2, ..."
            )
    return {**data, "_source": label(path)}


def _load(path: Path, wanted: set[str]) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(
            f"{label(path)}: unknown kind of file {shown(path.suffix or '(none)')}; "
            f"give a {', '.join(SUFFIXES)} file"
        )
    check_size(path)
    keep = lambda c: str(c).strip() in wanted  # noqa: E731 (columns never loaded otherwise)
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                path,
                dtype=str,
                usecols=keep,
                nrows=MAX_ROWS + 1,
                keep_default_na=False,
                na_values=[""],
                encoding="utf-8-sig",
            )
        elif suffix == ".xlsx":
            import zipfile

            with zipfile.ZipFile(path) as archive:
                if sum(i.file_size for i in archive.infolist()) > MAX_UNPACKED_BYTES:
                    raise InputError(f"{label(path)}: too big when unpacked")
            frame = pd.read_excel(path, dtype=str, usecols=keep, nrows=MAX_ROWS + 1)
        else:
            import pyarrow.parquet as pq

            names = [n for n in pq.ParquetFile(path).schema.names if keep(n)]
            frame = (
                pd.read_parquet(path, columns=names)
                .astype(str)
                .replace({"nan": None, "None": None, "NaT": None})
            )
    except InputError:
        raise
    except ImportError as exc:
        raise InputError(
            f"reading {suffix} files needs {exc.name}: pip install "
            "'simfunnel[ats]' (or save the table as .csv)"
        ) from None
    except UnicodeDecodeError:
        raise InputError(f"{label(path)}: not UTF-8 text; save it as UTF-8 CSV") from None
    except Exception as exc:  # the readers raise their own errors on corrupt files
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise InputError(f"{label(path)}: cannot read as {suffix[1:]} ({reason})") from None
    if len(frame) > MAX_ROWS:
        raise InputError(f"{label(path)}: too many rows (over {MAX_ROWS:,})")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def read(path: str | Path, mapping: str | Path | Mapping | None = None) -> RawExport:
    path = Path(path)
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping = read_mapping(mapping)
    mapping = dict(mapping or {})
    source = mapping.get("_source", "the mapping")
    renames = {str(k): str(v) for k, v in (mapping.get("columns") or {}).items()}
    if not renames:
        # Our names as they are (and every score_N column).
        renames = None
    if renames is None:
        frame = _load(path, set(OURS) | {f"score_{n}" for n in range(1, 21)})
    else:
        frame = _load(path, set(renames))
        frame = frame.rename(columns=renames)
    shown_path = label(path)
    for column in REQUIRED:
        if column not in frame.columns:
            theirs = [k for k, v in (renames or {}).items() if v == column]
            hint = (
                f" (mapped from {shown(theirs[0])})"
                if theirs
                else (
                    f" (map one of your columns to it in {source})"
                    if renames
                    else " (give a mapping file with --mapping)"
                )
            )
            raise InputError(f"{shown_path}: missing column {column}{hint}")
    for column in OPTIONAL:
        if column not in frame.columns:
            frame[column] = None
    frame["_at"] = [f"{shown_path}: table applications, row {n + 2}" for n in range(len(frame))]
    values = mapping.get("values") or {}
    for column, table in values.items():
        if column in frame.columns and isinstance(table, Mapping):
            lookup = {str(k).casefold(): v for k, v in table.items()}
            frame[column] = frame[column].map(
                lambda v, lookup=lookup: (
                    lookup.get(str(v).strip().casefold(), v) if v is not None and v == v else v
                )
            )
    for column in ("status", "origin", "job_status", "offer_status", "reason_type"):
        frame[column] = frame[column].map(
            lambda v: v.strip().casefold().replace(" ", "_") if isinstance(v, str) else v
        )
    fmt = mapping.get("date_format")
    for column in ("applied_at", "rejected_at", "hired_at", "offered_at", "posted", "closed"):
        frame[column] = parse_dates(frame, column, frame["_at"], fmt)
    apps = frame[[*RAW_COLUMNS["applications"], "_at"]]
    jobs = frame.drop_duplicates("requisition_id")
    job_rows = [
        {
            "requisition_id": r["requisition_id"],
            "openings": r["openings"],
            "posted": r["posted"],
            "closed": r["closed"],
            "status": r["job_status"] or "closed",
            "paused_days": None,
            "test": False,
        }
        for r in records(jobs)
    ]
    offers = frame[frame["offered_at"].notna() | frame["offer_status"].notna()]
    offer_rows = [
        {
            "application_id": r["application_id"],
            "version": 1,
            "status": r["offer_status"] or "unresolved",
            "created_at": r["offered_at"],
            "resolved_at": r["hired_at"] if r["offer_status"] == "accepted" else None,
        }
        for r in records(offers)
    ]
    score_columns = sorted(
        (c for c in frame.columns if SCORE.match(c)), key=lambda c: int(SCORE.match(c).group(1))
    )
    score_rows, score_at = [], []
    for column in score_columns:
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = frame[column].notna() & numbers.isna()
        if bad.any():
            i = bad.index[bad][0]
            raise InputError(
                f"{frame['_at'][i]}, column {column}: not a number (got {shown(frame[column][i])})"
            )
        for i in numbers.index[numbers.notna()]:
            score_rows.append(
                {
                    "application_id": frame["application_id"][i],
                    "round": f"round {int(SCORE.match(column).group(1)):02d}",
                    "interviewed_at": None,
                    "score": float(numbers[i]),
                }
            )
            score_at.append(frame["_at"][i])
    stage_map = StageMap.from_mapping(
        {"stages": mapping.get("stages") or {}, "reasons": mapping.get("reasons") or {}}, source
    )
    raw = RawExport(
        raw_table("jobs", job_rows, list(jobs["_at"])),
        apps.reset_index(drop=True),
        offers=raw_table("offers", offer_rows, list(offers["_at"])),
        scores=raw_table("scores", score_rows, score_at),
        source=shown_path,
        known_stages=dict(stage_map.stages),
        known_reasons=dict(stage_map.reasons),
    )
    return raw


# Our column -> a column name as some other system might call it (the fixture's mapping).
FIXTURE_COLUMNS = {
    "requisition_id": "Job ID",
    "application_id": "Application ID",
    "stage": "Current stage",
    "status": "Status",
    "origin": "Source",
    "reason": "Rejection reason",
    "applied_at": "Applied on",
    "rejected_at": "Rejected on",
    "hired_at": "Hired on",
    "offered_at": "Offer made on",
    "offer_status": "Offer status",
    "posted": "Job opened",
    "closed": "Job closed",
    "job_status": "Job status",
    "openings": "Openings",
    "performance": "Performance rating",
}


def write(raw: RawExport, directory: str | Path) -> list[Path]:
    """``applications.csv`` (one row per application, day-first dates) and ``mapping.yaml``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    apps = raw.applications.drop(columns=["_at"]).copy()
    jobs = raw.jobs.set_index("requisition_id")
    for ours, theirs in (
        ("posted", "posted"),
        ("closed", "closed"),
        ("job_status", "status"),
        ("openings", "openings"),
    ):
        apps[ours] = apps["requisition_id"].map(jobs[theirs])
    offers = raw.offers.sort_values("version").groupby("application_id").last()
    apps["offered_at"] = apps["application_id"].map(offers["created_at"])
    apps["offer_status"] = apps["application_id"].map(offers["status"])
    if len(raw.scores):
        scores = raw.scores.sort_values(["application_id", "interviewed_at"])
        scores = scores.assign(n=scores.groupby("application_id").cumcount() + 1)
        wide = scores.pivot(index="application_id", columns="n", values="score")
        for n in wide.columns:
            apps[f"score_{n}"] = apps["application_id"].map(wide[n])
    apps["Name"] = [f"Testname{n} Surname{n}" for n in range(1, len(apps) + 1)]
    for column in ("applied_at", "rejected_at", "hired_at", "offered_at", "posted", "closed"):
        apps[column] = pd.to_datetime(apps[column]).dt.strftime("%d/%m/%Y %H:%M")
    columns = {
        **FIXTURE_COLUMNS,
        **{c: f"Round {c.split('_')[1]} score" for c in apps if SCORE.match(c)},
    }
    out = apps[[c for c in [*columns, "Name"] if c in apps]].rename(columns=columns)
    out = out.drop(columns=[c for c in ("prospect", "reason_type") if c in out])
    path = directory / "applications.csv"
    out.to_csv(path, index=False)
    lines = ["# Which of applications.csv's columns is which of simfunnel's.", "columns:"]
    lines += [f'  "{theirs}": {ours}' for ours, theirs in columns.items() if theirs in out]
    lines += ['date_format: "%d/%m/%Y %H:%M"']
    mapping = directory / "mapping.yaml"
    mapping.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [path, mapping]
