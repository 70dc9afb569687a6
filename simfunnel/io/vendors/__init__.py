"""Readers (and writers, for fixtures) of applicant-tracking systems' per-application exports.

Each vendor module reads its system's export into a
:class:`~simfunnel.io.applications.RawExport` and writes one (``simfunnel export``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simfunnel.errors import InputError
from simfunnel.io.applications import RawExport

FORMATS = ("greenhouse", "lever", "ashby", "workable", "csv")
# `simfunnel export --format greenhouse` writes Harvest JSON; greenhouse-warehouse the CSV tables.
EXPORT_FORMATS = ("greenhouse", "greenhouse-warehouse", "lever", "ashby", "workable", "csv")


def read_raw(
    path: str | Path, format: str, mapping: str | Path | Mapping | None = None
) -> RawExport:
    """The export at ``path`` in ``format`` (one of :data:`FORMATS`)."""
    from simfunnel.io.vendors import ashby, generic, greenhouse, lever, workable

    if format not in FORMATS:
        raise InputError(f"--format {format!r:.30}: choose from {', '.join(FORMATS)}")
    path = Path(path)
    if not path.exists():
        raise InputError(f"{str(path)[:80]}: no such file or folder")
    if mapping is not None and format != "csv":
        raise InputError("--mapping is for --format csv (the other formats name their own fields)")
    if format == "csv":
        if path.is_dir():
            path = path / "applications.csv"
            if mapping is None and (path.parent / "mapping.yaml").is_file():
                mapping = path.parent / "mapping.yaml"
        return generic.read(path, mapping)
    reader: Callable[[Path], RawExport] = {
        "greenhouse": greenhouse.read,
        "lever": lever.read,
        "ashby": ashby.read,
        "workable": workable.read,
    }[format]
    return reader(path)


def write_raw(raw: RawExport, format: str, directory: str | Path) -> list[Path]:
    """``raw`` written in ``format``'s shape (one of :data:`EXPORT_FORMATS`) in ``directory``."""
    from simfunnel.io.vendors import ashby, generic, greenhouse, lever, workable

    writers: dict[str, Callable[[RawExport, Any], list[Path]]] = {
        "greenhouse": greenhouse.write_json,
        "greenhouse-warehouse": greenhouse.write_warehouse,
        "lever": lever.write,
        "ashby": ashby.write,
        "workable": workable.write,
        "csv": generic.write,
    }
    if format not in writers:
        raise InputError(f"--format {format!r:.30}: choose from {', '.join(EXPORT_FORMATS)}")
    Path(directory).mkdir(parents=True, exist_ok=True)
    return writers[format](raw, directory)
