"""Tables from outside files, bounded before they are materialised: one checked reader.

Every table a user hands in (the applicant-tracking export of :mod:`simfunnel.io.ats`,
the posterior draws of :mod:`simfunnel.io.posterior`, and every reader built on them)
is read by :func:`read_table`. It refuses, in one :class:`~simfunnel.errors.InputError`
line naming the file (and the row and column where there is one), *before* anything
large is built:

- any format: a missing or irregular file (a FIFO, a device) or one over
  ``max_bytes``, checked with ``stat`` before a byte is read;
- **CSV**: the header line is found with one bounded read (at most
  :data:`MAX_HEADER_BYTES`), so a header of 200,000 columns is refused before any
  parsing; more than ``max_columns`` columns, a name longer than :data:`MAX_NAME_CHARS`
  or a name read twice is refused there. The rows are then read one at a time, each
  at most :data:`MAX_ROW_CHARS` before :mod:`csv` splits it into cells, and only the
  columns asked for are kept: memory is one row plus the kept columns. A row with
  more (non-empty) cells than the header is refused: pandas' ``usecols`` would drop
  the extra cells of such a shifted row without a word;
- **parquet**: the footer's size (the file's last 8 bytes), then its metadata (rows,
  columns, uncompressed size) before a data page is read; then batches of rows, with
  string columns kept dictionary-encoded and every cell's length checked in Arrow
  before it becomes a Python string (a file of one long id repeated a million times
  is a few hundred KB);
- **xlsx**: the unpacked size of the zip, then openpyxl's read-only stream, row by row,
  only as wide as the header.

In every format: at most ``max_rows`` rows, every cell read at most ``max_cell_chars``
characters, and at most ``max_bytes`` of text in all (what the largest accepted CSV
could hold). A row with no value in any column read (a row of only commas) is blank
and skipped; every other row keeps its spreadsheet number (the header is row 1) as
the frame's index, so a later refusal names the row a user sees.

The limits are the constants below and the two :class:`Limits` built from them,
:data:`ATS_EXPORT` and :data:`POSTERIOR_FILE`; each says why it has its value.
"""

from __future__ import annotations

import csv
import datetime as dt
import operator
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.files import check_input_file
from simfunnel.model.names import shown
from simfunnel.model.uncertainty import MAX_POSTERIOR_COLUMNS, MAX_POSTERIOR_ROWS

MIB = 2**20

# ----------------------------------------------------------------------------- limits
#: Columns of a table. Exports of applicant-tracking systems have tens of columns
#: (a full Greenhouse or Workday report a few hundred); 2,000 leaves room for any real
#: one while bounding the header and the cells of one row the parser builds.
MAX_COLUMNS = 2_000
#: Characters of a header name: real names are a few words; a longer one is not a name.
MAX_NAME_CHARS = 200
#: Characters of one cell. The longest value an export needs is an id or an ISO
#: timestamp with its zone (about 35 characters; ATS ids are under 40); 200 is five
#: times that, so ``rows x columns x 200`` bounds the text a table can hold.
MAX_CELL_CHARS = 200
#: Bytes of a CSV header line, read with one bounded read before any parsing: 2,000
#: names of 200 characters fit, so a longer line means more columns than allowed.
MAX_HEADER_BYTES = MAX_COLUMNS * (MAX_NAME_CHARS + 3) + 2
#: Unpacked bytes of an .xlsx (a zip of XML, ~4x its text) or of a parquet file's
#: pages: a 1,000,000-row export of 11 columns is ~330 MiB of sheet XML.
MAX_UNPACKED_BYTES = 400 * MIB
#: Characters of one CSV row (its cells and commas), checked line by line before the
#: parser splits it: 2,000 cells of 500 characters (the cells not read, such as a
#: job description, may be longer than those read), so a row never becomes millions of cells.
MAX_ROW_CHARS = 2**20
#: Bytes of a parquet footer (its metadata), checked before it is parsed: a 2,000-column
#: file with a few row groups has well under 1 MiB; 200,000 columns would have ~20 MiB.
MAX_FOOTER_BYTES = 4 * MIB
#: Cells of a parquet batch (rows = CHUNK_CELLS / columns read): ~60 MB of Python
#: strings at most, small next to the table itself.
CHUNK_CELLS = 500_000
#: Rows of a parquet batch at most: with the cell length checked in Arrow first, a
#: batch of over-long cells is refused before it is decoded into Python strings.
BATCH_ROWS = 8_192

SUFFIXES = (".csv", ".xlsx", ".parquet")


@dataclass(frozen=True)
class Limits:
    """How large a table :func:`read_table` accepts (see the module for each limit)."""

    max_bytes: int
    max_rows: int
    max_columns: int = MAX_COLUMNS
    max_cell_chars: int = MAX_CELL_CHARS
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES


#: An applicant-tracking export: 100 MiB is ~1.5 million requisitions as CSV; 1,000,000
#: rows is more requisitions than any employer has (the fit needs hundreds).
ATS_EXPORT = Limits(max_bytes=100 * MIB, max_rows=1_000_000)
#: A posterior file: 20 MiB holds 100,000 draws of 15 keys as text; rows and columns
#: are the limits of a scenario's posterior itself (model.uncertainty).
POSTERIOR_FILE = Limits(
    max_bytes=20 * MIB, max_rows=MAX_POSTERIOR_ROWS, max_columns=MAX_POSTERIOR_COLUMNS
)

FIRST_DATA_ROW = 2  # the header is row 1, as in a spreadsheet


@dataclass(frozen=True)
class Table:
    """A table read within limits.

    Attributes
    ----------
    frame : DataFrame, shape (rows that are not blank, columns read)
        Every cell as text (``str``), NaN where empty; columns named by the header
        (stripped), in the order asked for; index: the spreadsheet row number.
    header : tuple of str
        Every name of the header, stripped, in the file's order.
    """

    frame: pd.DataFrame
    header: tuple[str, ...]


Select = Callable[[tuple[str, ...]], Iterable[str]]


def read_table(
    path: str | Path,
    label: str,
    limits: Limits,
    *,
    kinds: Sequence[str] = SUFFIXES,
    select: Select | None = None,
) -> Table:
    """Read a ``.csv``, ``.xlsx`` or ``.parquet`` table (by its extension) within ``limits``.

    Parameters
    ----------
    path : the file.
    label : how messages name the file (already cut to a safe length).
    limits : see :class:`Limits`.
    kinds : the extensions accepted.
    select : given the stripped header, the names of the columns to read (it may
        raise :class:`InputError` to refuse the header); default: every column.

    Raises
    ------
    InputError
        One line starting with ``label``, naming the row and column where there is one.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in kinds:
        raise InputError(
            f"{label}: unknown kind of file {shown(path.suffix or '(no extension)', 20)!r}; "
            f"give a {', '.join(kinds)} file"
        )
    check_input_file(path, label, limits.max_bytes)
    reader = {".csv": _read_csv, ".xlsx": _read_xlsx, ".parquet": _read_parquet}[suffix]
    try:
        return reader(path, label, limits, select)
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(f"{label}: not UTF-8 text; save it as UTF-8 CSV") from None
    except MemoryError:
        raise InputError(f"{label}: too big to read in the memory available") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        raise InputError(f"{label}: cannot read as {suffix[1:]} ({_reason(exc)})") from None
    except Exception as exc:  # a corrupt xlsx/parquet raises its reader's own errors
        raise InputError(
            f"{label}: cannot read as {suffix[1:]} ({type(exc).__name__}; is it one?)"
        ) from None


def _reason(exc: Exception) -> str:
    """The first line of a reader's message, cut short."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return shown(text, 100)


# ------------------------------------------------------------------------- the header
def _check_header(
    names: Sequence[object], label: str, limits: Limits, select: Select | None
) -> tuple[tuple[str, ...], list[int]]:
    """The stripped header and the positions of the columns to read, checked."""
    if len(names) > limits.max_columns:
        raise InputError(
            f"{label}: too many columns ({len(names):,}; at most {limits.max_columns:,})"
        )
    header = tuple("" if n is None else str(n).strip() for n in names)
    for index, name in enumerate(header):
        if len(name) > MAX_NAME_CHARS:
            raise InputError(
                f"{label}: row 1, column {index + 1}: a header name of {len(name):,} "
                f"characters (at most {MAX_NAME_CHARS})"
            )
    if not any(header):
        raise InputError(f"{label}: row 1: no header (the first row names the columns)")
    wanted = list(header if select is None else select(header))
    positions = []
    for name in wanted:
        where = [i for i, n in enumerate(header) if n == name]
        if not where:
            raise InputError(f"{label}: no column {shown(name)!r}")
        if len(where) > 1:
            raise InputError(
                f"{label}: row 1: column {shown(name)!r} appears twice in the header "
                f"(columns {where[0] + 1} and {where[1] + 1})"
            )
        positions.append(where[0])
    return header, positions


def _check_cells(frame: pd.DataFrame, first_row: int, label: str, limits: Limits) -> int:
    """Refuse an over-long cell (naming its row and column); the text's length in all."""
    total = 0
    for column in frame.columns:
        lengths = frame[column].str.len()
        longest = lengths.max()
        if pd.notna(longest) and longest > limits.max_cell_chars:
            at = int(np.flatnonzero((lengths > limits.max_cell_chars).to_numpy())[0])
            raise _too_long(label, first_row + at, column, int(lengths.iloc[at]), limits)
        total += int(lengths.sum())
    return total


def _finish(parts: list[pd.DataFrame], columns: Sequence[str], header: tuple[str, ...]) -> Table:
    if parts:
        frame = pd.concat(parts)
    else:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    frame = frame.astype(object)
    return Table(frame.where(frame.notna(), np.nan), header)


def _not_blank(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame.notna().any(axis=1)] if len(frame.columns) else frame.iloc[:0]


def _too_long(label: str, row: int, name: str, length: int, limits: Limits) -> InputError:
    return InputError(
        f"{label}: row {row}, column {shown(name)!r}: a cell of {length:,} characters "
        f"(at most {limits.max_cell_chars})"
    )


def _too_many_rows(label: str, limits: Limits) -> InputError:
    return InputError(f"{label}: too many rows (over {limits.max_rows:,})")


# ------------------------------------------------------------------------------- CSV
def _read_csv(path: Path, label: str, limits: Limits, select: Select | None) -> Table:
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES + 1)
    if not head.strip():
        raise InputError(f"{label}: empty")
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_HEADER_BYTES:
        if head.count(b",") >= limits.max_columns:
            raise InputError(f"{label}: too many columns (over {limits.max_columns:,})")
        raise InputError(f"{label}: row 1: the header is longer than {MAX_HEADER_BYTES:,} bytes")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = _BoundedLines(handle, label)
        records = csv.reader(lines, skipinitialspace=True)
        try:
            header, positions = _check_header(next(records, []), label, limits, select)
            lines.next_row()
            columns = [header[i] for i in positions]
            width, needed, cap = len(header), max(positions, default=-1) + 1, limits.max_cell_chars
            pick = operator.itemgetter(*positions) if positions else (lambda record: ())
            kept: list[tuple[str, ...]] = []
            numbers: list[int] = []
            row = 1
            for record in records:
                row += 1
                lines.row, lines.pending = row + 1, 0  # the next row's lines start here
                if row - 1 > limits.max_rows:
                    raise _too_many_rows(label, limits)
                count = len(record)
                if count > width and any(c.strip() for c in record[width:]):
                    raise InputError(
                        f"{label}: row {row}: {count:,} cells, but the header names "
                        f"{width:,} (a comma inside a cell that is not quoted?)"
                    )
                if count < needed:  # a short row: its missing cells are empty
                    record = record + [""] * (needed - count)
                picked = pick(record)
                if len(positions) == 1:
                    picked = (picked,)
                if not any(picked):  # (skipinitialspace leaves a cell of spaces empty)
                    continue  # blank: a row of only commas
                if max(map(len, picked)) > cap:
                    at = next(i for i, cell in enumerate(picked) if len(cell) > cap)
                    raise _too_long(label, row, columns[at], len(picked[at]), limits)
                numbers.append(row)
                kept.append(picked)
        except csv.Error as exc:
            row = records.line_num
            raise InputError(f"{label}: line {row}: not valid CSV ({shown(exc, 60)})") from None
    # Text as Python objects, without pandas inferring (and copying into) a string dtype.
    cells = np.empty((len(kept), len(columns)), dtype=object)
    if kept:
        cells[:] = kept
    del kept
    cells[cells == ""] = np.nan
    frame = pd.DataFrame(cells, columns=columns, index=pd.Index(numbers), dtype=object)
    return Table(frame, header)


class _BoundedLines:
    """The file's lines for :mod:`csv`, refusing a row (the lines read since the last
    row ended) longer than :data:`MAX_ROW_CHARS` before the parser splits it into cells.
    The reader's loop calls :meth:`next_row` when a row has been read."""

    def __init__(self, handle: Any, label: str) -> None:
        self.handle, self.label = handle, label
        self.row, self.pending = 1, 0

    def __iter__(self) -> _BoundedLines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(MAX_ROW_CHARS + 1)
        if not line:
            raise StopIteration
        self.pending += len(line)
        if self.pending > MAX_ROW_CHARS:
            raise InputError(
                f"{self.label}: row {self.row}: longer than {MAX_ROW_CHARS:,} characters"
            )
        return line

    def next_row(self) -> None:
        self.row += 1
        self.pending = 0


# --------------------------------------------------------------------------- parquet
def _read_parquet(path: Path, label: str, limits: Limits, select: Select | None) -> Table:
    _require("pyarrow", ".parquet")
    import pyarrow as pa
    import pyarrow.parquet as pq

    size = path.stat().st_size
    with path.open("rb") as handle:
        if size < 12:
            raise InputError(f"{label}: cannot read as parquet (not a parquet file)")
        handle.seek(size - 8)
        tail = handle.read(8)
    if tail[4:] != b"PAR1":
        raise InputError(f"{label}: cannot read as parquet (not a parquet file)")
    footer = int.from_bytes(tail[:4], "little")
    if footer > MAX_FOOTER_BYTES:
        raise InputError(
            f"{label}: its metadata alone is {footer / MIB:,.1f} MiB (at most "
            f"{MAX_FOOTER_BYTES // MIB} MiB: too many columns or row groups)"
        )
    source = pq.ParquetFile(path)
    metadata = source.metadata
    if metadata.num_columns > limits.max_columns:
        raise InputError(
            f"{label}: too many columns ({metadata.num_columns:,}; at most {limits.max_columns:,})"
        )
    if metadata.num_rows > limits.max_rows:
        raise InputError(
            f"{label}: too many rows ({metadata.num_rows:,}; at most {limits.max_rows:,})"
        )
    unpacked = sum(metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups))
    if unpacked > limits.max_unpacked_bytes:
        raise _too_big_unpacked(label, unpacked, limits)
    schema = source.schema_arrow
    header, positions = _check_header(schema.names, label, limits, select)
    columns = [header[i] for i in positions]
    fields = [schema.field(i) for i in positions]
    for name, field in zip(columns, fields, strict=True):
        kind = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
        if pa.types.is_nested(kind):
            raise InputError(
                f"{label}: column {shown(name)!r} holds lists or records ({shown(kind, 30)}), "
                "not one value per cell"
            )
    textual = [f.name for f in fields if _is_textual(f.type)]
    source = pq.ParquetFile(path, read_dictionary=textual)
    rows = max(1, min(BATCH_ROWS, CHUNK_CELLS // max(1, len(fields))))
    parts = []
    read = text = 0
    names = [f.name for f in fields]
    for batch in source.iter_batches(batch_size=rows, columns=names, use_pandas_metadata=False):
        first = read + FIRST_DATA_ROW
        read += batch.num_rows
        if read > limits.max_rows:
            raise _too_many_rows(label, limits)
        cells = {}
        for name, array in zip(columns, batch.columns, strict=True):
            _check_arrow_lengths(array, name, first, label, limits)
            cells[name] = _arrow_text(array)
        part = pd.DataFrame(cells, index=pd.RangeIndex(first, first + batch.num_rows))
        text += _check_cells(part, first, label, limits)
        if text > limits.max_bytes:
            raise _too_much_text(label, limits)
        parts.append(_not_blank(part))
    return _finish(parts, columns, header)


def _is_textual(kind: Any) -> bool:
    import pyarrow as pa

    return bool(
        pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_binary(kind)
        or pa.types.is_large_binary(kind)
    )


def _check_arrow_lengths(array: Any, name: str, first: int, label: str, limits: Limits) -> None:
    """Refuse an over-long text cell while it is still an Arrow value (for a dictionary,
    its values are checked once, whatever the number of rows repeating them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    dictionary = pa.types.is_dictionary(array.type)
    values = array.dictionary if dictionary else array
    if not _is_textual(values.type) or len(values) == 0:
        return
    lengths = pc.binary_length(values)
    longest = pc.max(lengths).as_py()
    if longest is None or longest <= limits.max_cell_chars:
        return  # bytes >= characters: no cell is too long
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        lengths = pc.utf8_length(values)  # UTF-8 bytes overcount characters
    too_long = pc.fill_null(pc.greater(lengths, limits.max_cell_chars), False)
    if not pc.any(too_long).as_py():
        return
    bad = (
        pc.is_in(array.indices, value_set=pc.indices_nonzero(too_long)) if dictionary else too_long
    )
    at = pc.indices_nonzero(pc.fill_null(bad, False))[0].as_py()
    raise InputError(
        f"{label}: row {first + at}, column {shown(name)!r}: a cell of more than "
        f"{limits.max_cell_chars} characters"
    )


def _arrow_text(array: Any) -> np.ndarray:
    """An Arrow column as text cells (NaN where null), its cells checked short already."""
    import pyarrow as pa

    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    values = array.to_pandas()
    missing = values.isna().to_numpy()
    values = values.astype(object)
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        values = values.map(cell_text)
    values[missing] = np.nan
    return values.to_numpy(dtype=object)


def cell_text(value: object) -> object:
    """A value as the text a CSV would hold (NaN if missing): dates in ISO form, whole
    floats without ``.0``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _too_big_unpacked(label: str, unpacked: int, limits: Limits) -> InputError:
    return InputError(
        f"{label}: file too big when unpacked ({unpacked / MIB:,.0f} MiB; at most "
        f"{limits.max_unpacked_bytes // MIB} MiB)"
    )


def _too_much_text(label: str, limits: Limits) -> InputError:
    return InputError(
        f"{label}: more than {limits.max_bytes // MIB} MiB of text in the columns read"
    )


# ------------------------------------------------------------------------------ xlsx
def _read_xlsx(path: Path, label: str, limits: Limits, select: Select | None) -> Table:
    _require("openpyxl", ".xlsx")
    _check_unpacked(path, label, limits)
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        if not workbook.worksheets:
            raise InputError(f"{label}: the workbook has no sheet")
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # a stated size may be wrong: read the cells there are
        first_row = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), ())
        names = list(first_row)
        while names and (names[-1] is None or str(names[-1]).strip() == ""):
            names.pop()
        if not names:
            raise InputError(f"{label}: empty")
        header, positions = _check_header(names, label, limits, select)
        columns = [header[i] for i in positions]
        cells: list[list[object]] = [[] for _ in positions]
        numbers: list[int] = []
        text = 0
        row = 1
        for row, values in enumerate(
            sheet.iter_rows(min_row=2, max_col=len(header), values_only=True), start=2
        ):
            if row - 1 > limits.max_rows:
                raise _too_many_rows(label, limits)
            picked = [cell_text(values[i]) if i < len(values) else np.nan for i in positions]
            for name, value in zip(columns, picked, strict=True):
                if isinstance(value, str):
                    if len(value) > limits.max_cell_chars:
                        raise InputError(
                            f"{label}: row {row}, column {shown(name)!r}: a cell of "
                            f"{len(value):,} characters (at most {limits.max_cell_chars})"
                        )
                    text += len(value)
            if text > limits.max_bytes:
                raise _too_much_text(label, limits)
            if all(not isinstance(v, str) or not v.strip() for v in picked):
                continue
            numbers.append(row)
            for kept, value in zip(cells, picked, strict=True):
                kept.append(value if isinstance(value, str) and value.strip() else np.nan)
    finally:
        workbook.close()
    frame = pd.DataFrame(dict(zip(columns, cells, strict=True)), index=numbers, dtype=object)
    return _finish([frame], columns, header)


def _check_unpacked(path: Path, label: str, limits: Limits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise InputError(f"{label}: cannot read as xlsx (not a valid workbook)") from None
    unpacked = sum(item.file_size for item in members)
    if unpacked > limits.max_unpacked_bytes:
        raise _too_big_unpacked(label, unpacked, limits)
    # openpyxl loads every shared string at once, even read-only: no more text than
    # the largest CSV accepted could hold.
    strings = sum(m.file_size for m in members if m.filename.lower().endswith("sharedstrings.xml"))
    if strings > limits.max_bytes:
        raise InputError(
            f"{label}: its text unpacks to {strings / MIB:,.0f} MiB (at most "
            f"{limits.max_bytes // MIB} MiB)"
        )


def _require(module: str, kind: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise InputError(
            f"reading {kind} files needs {module}: pip install 'simfunnel[ats]' "
            "(or save the file as .csv)"
        ) from None


__all__ = [
    "ATS_EXPORT",
    "MAX_CELL_CHARS",
    "MAX_COLUMNS",
    "POSTERIOR_FILE",
    "Limits",
    "Table",
    "cell_text",
    "read_table",
]
