"""What every vendor reader and writer shares: bounded reading, nested fields, row labels.

Readers keep only the fields the model needs: JSON objects are walked for those
fields and released; CSV files are read with ``usecols``, so columns with names,
e-mails or notes are never loaded at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.applications import MAX_BYTES, MAX_ROWS, shown, shown_path


def label(path: Path) -> str:
    return shown_path(path)


def check_size(path: Path, limit: int = MAX_BYTES) -> None:
    """Refuse a missing file, or one over ``limit`` bytes, before reading it."""
    if not path.is_file():
        raise InputError(f"{label(path)}: no such file")
    size = path.stat().st_size
    if size > limit:
        raise InputError(
            f"{label(path)}: too big ({size / 2**20:,.0f} MiB; at most {limit // 2**20} MiB)"
        )


def find(directory: Path, names: Sequence[str], required: bool = True) -> Path | None:
    """The first of ``names`` in ``directory``; an error naming them if none is and one must be."""
    for name in names:
        if (directory / name).is_file():
            return directory / name
    if required:
        raise InputError(f"{label(directory)}: missing {names[0]} (the export's {names[0]} table)")
    return None


def load_json(path: Path, table: str, keys: Iterable[str] = ()) -> list[dict]:
    """The list of objects in a JSON file: a bare list, or under ``data``/``table``/``keys``."""
    check_size(path)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except UnicodeDecodeError:
        raise InputError(f"{label(path)}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{label(path)}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict):
        for key in (table, *keys, "data", "results"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        raise InputError(f"{label(path)}: table {table}: expected a list of objects")
    if len(data) > MAX_ROWS:
        raise InputError(f"{label(path)}: table {table}: too many rows (over {MAX_ROWS:,})")
    for n, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            raise InputError(f"{label(path)}: table {table}, row {n}: expected an object")
    return data


def load_json_map(path: Path, table: str) -> list[tuple[str, dict]]:
    """``{parent id: [objects]}`` (Lever's per-opportunity lists) as (parent id, object) pairs;
    a bare list of objects keeps its ``opportunity`` key as the parent."""
    check_size(path)
    try:
        with path.open(encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{label(path)}: not UTF-8 JSON") from None
    pairs: list[tuple[str, dict]] = []
    if isinstance(data, dict):
        for parent, items in data.items():
            if not isinstance(items, list):
                raise InputError(f"{label(path)}: table {table}: {shown(parent)}: expected a list")
            pairs += [(str(parent), item) for item in items]
    elif isinstance(data, list):
        pairs = [
            (str(get(item, "opportunity") or get(item, "opportunityId")), item) for item in data
        ]
    else:
        raise InputError(f"{label(path)}: table {table}: expected a list or an object of lists")
    if len(pairs) > MAX_ROWS:
        raise InputError(f"{label(path)}: table {table}: too many rows (over {MAX_ROWS:,})")
    return pairs


def read_csv(path: Path, table: str, required: Sequence[str], optional: Sequence[str] = ()):
    """A CSV table as text, only the named columns (others are never loaded).

    Row labels follow a spreadsheet: the header is row 1.
    """
    check_size(path)
    wanted = set(required) | set(optional)
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            usecols=lambda c: str(c).strip() in wanted,
            nrows=MAX_ROWS + 1,
            keep_default_na=False,
            na_values=[""],
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError:
        raise InputError(f"{label(path)}: not UTF-8 text; save the export as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        reason = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
        raise InputError(f"{label(path)}: table {table}: cannot read as CSV ({reason})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in required:
        if column not in frame.columns:
            raise InputError(f"{label(path)}: table {table}: missing column {column}")
    if len(frame) > MAX_ROWS:
        raise InputError(f"{label(path)}: table {table}: too many rows (over {MAX_ROWS:,})")
    for column in optional:
        if column not in frame.columns:
            frame[column] = None
    frame["_at"] = [f"{label(path)}: table {table}, row {n + 2}" for n in range(len(frame))]
    return frame


def where(path: Path, table: str, count: int) -> list[str]:
    """Row labels of a JSON list (its items numbered from 1)."""
    return [f"{label(path)}: table {table}, row {n + 1}" for n in range(count)]


def get(item: Any, dotted: str, default: Any = None) -> Any:
    """``item["a"]["b"]`` for ``"a.b"``; ``default`` where a level is missing or null."""
    for key in dotted.split("."):
        if not isinstance(item, dict) or item.get(key) is None:
            return default
        item = item[key]
    return item


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().casefold() in ("true", "1", "yes", "t")
    return bool(value) if value is not None and value == value else False


def iso(value: Any) -> str | None:
    """A timestamp as ISO 8601 UTC text (``2025-03-31T09:00:00.000Z``), None if missing."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def epoch_ms(value: Any) -> int | None:
    """A timestamp as epoch milliseconds (Lever), None if missing."""
    text = iso(value)
    if text is None:
        return None
    return int(pd.Timestamp(value).tz_localize("UTC").timestamp() * 1000)


def dump_json(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict], columns: Sequence[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with None for missing values."""
    return [
        {
            k: (None if (v is None or v is pd.NaT or (isinstance(v, float) and v != v)) else v)
            for k, v in row.items()
        }
        for row in frame.drop(columns=["_at"], errors="ignore").to_dict("records")
    ]


def origin_of(text: Any, internal: bool = False) -> str:
    """A source label -> one of ORIGINS (by keyword)."""
    if internal:
        return "internal"
    value = str(text or "").casefold()
    for origin, words in (
        ("referral", ("referr",)),  # before internal: "Employee referral" is a referral
        ("internal", ("internal", "employee")),
        ("agency", ("agenc", "recruit firm", "headhunt")),
        ("sourced", ("sourc", "prospect", "outbound")),
    ):
        if any(w in value for w in words):
            return origin
    return "applied"


def is_test_job(name: Any) -> bool:
    """Job titles that mark a test requisition ("TEST - ...", "Do not use")."""
    text = str(name or "").casefold().strip()
    return (
        text == "test"
        or text.startswith(("test ", "test-", "test:", "[test]", "(test)"))
        or ("do not use" in text)
    )


def json_tables(
    path: Path, names: Sequence[str], required: Sequence[str] = ("applications", "jobs")
) -> dict[str, tuple[Path, list[dict]]]:
    """An export's lists as JSON: a folder with one ``NAME.json`` per list, or one file
    holding an object with a list per name. Returns, per list found, its file and items;
    a ``required`` list that is missing, or a list that is not of objects, is one line."""
    tables: dict[str, tuple[Path, list[dict]]] = {}
    if path.is_dir():
        for table in names:
            file = find(path, (f"{table}.json",), required=table in required)
            if file is not None:
                tables[table] = (file, load_json(file, table))
        return tables
    check_size(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{label(path)}: not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"{label(path)}: expected an object with lists {', '.join(names)}")
    for table in names:
        items = data.get(table)
        if items is None:
            if table in required:
                raise InputError(f"{label(path)}: missing table {table}")
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InputError(f"{label(path)}: table {table}: expected a list of objects")
        tables[table] = (path, items)
    return tables
