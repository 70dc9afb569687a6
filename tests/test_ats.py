"""Reading applicant-tracking exports: formats, column maps, and one-line refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simfunnel.cli import main
from simfunnel.errors import InputError
from simfunnel.io import ats
from simfunnel.io.ats import check_frame, parse_column_map, read_ats

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "ats_export.csv"


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str)


def test_the_example_reads_with_every_column(example: pd.DataFrame) -> None:
    data = read_ats(EXAMPLE)
    assert data.requisitions == 500 == len(example)
    assert list(data.frame.columns) == list(ats.COLUMNS)
    assert data.frame["applicants"].dtype == "Int64"
    # Posting weeks follow the model's calendar: week w is days 7w..7w+6 of the year.
    assert np.nanmin(data.posting_week()) >= 0 and np.nanmax(data.posting_week()) <= 51
    decided = data.frame["cancelled"].to_numpy() == 0
    weeks = data.process_weeks()[decided]
    # a decided role that was paused closes after its pause (at most 8 weeks)
    assert np.all(weeks == np.round(weeks)) and weeks.min() >= 5 and weeks.max() <= 12 + 8


def test_xlsx_and_parquet_read_the_same_as_csv(example: pd.DataFrame, tmp_path: Path) -> None:
    frame = pd.read_csv(EXAMPLE)
    frame.to_excel(tmp_path / "export.xlsx", index=False)
    frame.to_parquet(tmp_path / "export.parquet", index=False)
    expected = read_ats(EXAMPLE).frame
    for name in ("export.xlsx", "export.parquet"):
        pd.testing.assert_frame_equal(read_ats(tmp_path / name).frame, expected)


def test_column_map_renames_the_files_own_names(example: pd.DataFrame, tmp_path: Path) -> None:
    path = tmp_path / "renamed.csv"
    example.rename(columns={"requisition_id": "Req ID", "offers": "Offers Extended"}).to_csv(
        path, index=False
    )
    mapping = parse_column_map(["Req ID=requisition_id", "Offers Extended=offers"])
    assert read_ats(path, mapping).frame.equals(read_ats(EXAMPLE).frame)
    with pytest.raises(InputError, match="missing required column requisition_id"):
        read_ats(path)
    with pytest.raises(InputError, match="not a column of the export"):
        parse_column_map(["Req ID=req"])


def test_missing_optional_cells_are_allowed(example: pd.DataFrame) -> None:
    frame = example.copy()
    frame.loc[3, "internal_interviewed"] = None
    frame.loc[5, "posted"] = None
    data = check_frame(frame)
    assert np.isnan(data.counts("internal_interviewed")[3])
    assert np.isnan(data.posting_week()[5]) and np.isnan(data.process_weeks()[5])


# Each bad export: (what is changed, the row and column the message must name).
# Rows are numbered as in a spreadsheet: the header is row 1, requisition i is row i + 2.
BAD = {
    "non_integer": (lambda f: f.loc.__setitem__((4, "applicants"), "12.5"), 6, "applicants"),
    "text_in_count": (lambda f: f.loc.__setitem__((7, "offers"), "three"), 9, "offers"),
    "negative": (lambda f: f.loc.__setitem__((2, "hires"), "-1"), 4, "hires"),
    "offers_above_interviewed": (
        lambda f: f.loc.__setitem__((10, "offers"), str(int(f.loc[10, "interviewed"]) + 1)),
        12,
        "offers",
    ),
    "hires_above_offers": (
        lambda f: f.loc.__setitem__((11, "hires"), str(int(f.loc[11, "offers"]) + 1)),
        13,
        "hires",
    ),
    "internal_interviewed_above_interviewed": (
        lambda f: f.loc.__setitem__(
            (12, "internal_interviewed"), str(int(f.loc[12, "interviewed"]) + 1)
        ),
        14,
        "internal_interviewed",
    ),
    "internal_hires_above_hires": (
        lambda f: f.loc.__setitem__((13, "internal_hires"), str(int(f.loc[13, "hires"]) + 1)),
        15,
        "internal_hires",
    ),
    "unparsable_date": (lambda f: f.loc.__setitem__((20, "posted"), "31/02/2025"), 22, "posted"),
    "closed_before_posted": (
        lambda f: f.loc.__setitem__((30, "closed"), "2000-01-01"),
        32,
        "closed",
    ),
    "duplicate_id": (
        lambda f: f.loc.__setitem__((40, "requisition_id"), f.loc[3, "requisition_id"]),
        42,
        "requisition_id",
    ),
    "missing_required_cell": (lambda f: f.loc.__setitem__((8, "hires"), ""), 10, "hires"),
    "cancelled_not_a_flag": (
        lambda f: f.loc.__setitem__((9, "cancelled"), "maybe"),
        11,
        "cancelled",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_data_exits_2_with_lines_naming_row_and_column(
    case: str, example: pd.DataFrame, tmp_path: Path, capsys
) -> None:
    change, row, column = BAD[case]
    frame = example.copy()
    change(frame)
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code = main(["fit", str(path), "--scenario", "baseline",
                 "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    # One mistake: its line(s) only (more internal hires than hires is also more than
    # internals interviewed: two true lines about the one cell).
    assert 1 <= len(lines) <= 2, captured.err
    assert all(f"row {row}, column {column}:" in line for line in lines), lines
    assert "Traceback" not in captured.err and captured.out == ""
    assert not out.exists() and list(tmp_path.iterdir()) == [path]


def test_a_bad_cell_is_shown_only_as_a_short_excerpt(example: pd.DataFrame) -> None:
    frame = example.copy()
    frame.loc[0, "applicants"] = "x" * 10_000
    with pytest.raises(InputError) as error:
        check_frame(frame)
    assert len(str(error.value)) < 200 and "row 2, column applicants" in str(error.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="offers"), "missing required column offers"),
        (lambda f: f.head(20), "20 requisition rows; the fit needs at least 50"),
    ],
)
def test_missing_columns_and_too_few_rows(example, change, message) -> None:
    with pytest.raises(InputError, match=message):
        check_frame(change(example.copy()))


def test_files_too_big_or_of_unknown_kind_are_refused_before_reading(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(EXAMPLE.read_bytes())
    monkeypatch.setattr(ats, "LIMITS", replace(ats.LIMITS, max_bytes=1000))
    with pytest.raises(InputError, match="file too big"):
        read_ats(path)
    with pytest.raises(InputError, match="unknown kind of file"):
        read_ats(tmp_path / "export.json")
    with pytest.raises(InputError, match="no such file"):
        read_ats(tmp_path / "missing.csv")


def test_too_many_rows_are_refused(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(ats, "LIMITS", replace(ats.LIMITS, max_rows=100))
    with pytest.raises(InputError, match="too many rows"):
        read_ats(EXAMPLE)


def test_a_zip_bomb_xlsx_is_refused_by_its_unpacked_size(tmp_path: Path, monkeypatch) -> None:
    pd.read_csv(EXAMPLE).to_excel(tmp_path / "export.xlsx", index=False)
    monkeypatch.setattr(ats, "LIMITS", replace(ats.LIMITS, max_unpacked_bytes=10_000))
    with pytest.raises(InputError, match="too big when unpacked"):
        read_ats(tmp_path / "export.xlsx")


def test_every_problem_of_an_export_is_reported_at_once_in_row_order(
    example: pd.DataFrame,
) -> None:
    frame = example.copy()
    frame.loc[9, "cancelled"] = "maybe"  # row 11
    frame.loc[2, "applicants"] = "-5"  # row 4
    frame.loc[6, "posted"] = "2024-13-40"  # row 8
    frame.loc[30, "closed"] = "2000-01-01"  # row 32
    with pytest.raises(InputError) as error:
        check_frame(frame)
    lines = str(error.value).splitlines()
    places = [line.split(": ", 2)[1] for line in lines]
    assert places == [
        "row 4, column applicants",
        "row 8, column posted",
        "row 11, column cancelled",
        "row 32, column closed",
    ]


def test_a_file_with_many_bad_rows_lists_the_first_and_counts_the_rest(
    example: pd.DataFrame,
) -> None:
    from simfunnel.io.ats import MAX_PROBLEMS

    frame = example.copy()
    bad = MAX_PROBLEMS + 10
    frame.loc[: bad - 1, "applicants"] = "x"
    with pytest.raises(InputError) as error:
        check_frame(frame)
    lines = str(error.value).splitlines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert lines[0].endswith("row 2, column applicants: not a whole number (got 'x')")
    assert lines[-1].endswith(f"and {bad - MAX_PROBLEMS} more problems")
