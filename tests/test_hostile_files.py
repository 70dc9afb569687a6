"""Hostile files and settings on the fit's and the uncertainty's paths (issue 26).

Every case is exit 2, exactly one line on stderr, no traceback, and no long echo of
what was read. The two bombs (a 97 MiB CSV of 200,000 columns, a small parquet file of
10^6 rows of 2,000-character ids) run in a child process under an address-space limit,
and the child's peak memory is asserted.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simfunnel.cli import main
from simfunnel.errors import InputError
from simfunnel.io import ats
from simfunnel.io.ats import read_ats
from simfunnel.io.files import OutputFolder
from simfunnel.io.tables import MAX_CELL_CHARS, MAX_COLUMNS, read_table
from simfunnel.model.names import SHOWN_CHARS
from simfunnel.model.parameters import MODEL_SECTIONS

from .conftest import CONFIGS, ROOT

BASELINE = str(CONFIGS / "baseline.yaml")
EXAMPLE = ROOT / "examples" / "ats_export.csv"
MARKER = "Q" * 200  # a hostile name: never echoed whole

# The bombs' child runs under this address-space limit; its peak RSS must stay under
# PEAK_BOUND: the interpreter with simfunnel imported (~180 MiB) and a little. Before
# issue 26 these files took 19.9 GB and 8.2 GB; under this limit the CSV aborted at
# 1.1 GiB and the parquet file took 0.7 GiB to fail in Arrow.
ADDRESS_SPACE = int(1.5 * 2**30)
PEAK_BOUND = 400 * 2**20


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code)
    _, err = capsys.readouterr()
    return code, err


def one_line(code: int, err: str, message: str) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert message in err, err
    assert MARKER not in err and MARKER[:SHOWN_CHARS] not in err, err


@pytest.fixture(scope="module")
def example() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, dtype=str)


def fit_cli(capsys, data: Path | str, *extra: str, out: Path | None = None) -> tuple[int, str]:
    folder = ["--out", str(out)] if out is not None else []
    return run_cli(capsys, "fit", str(data), "--scenario", BASELINE, "--quiet", *folder, *extra)


# ------------------------------------------------------------- 1: the table reader
def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path, example, capsys) -> None:
    path = tmp_path / "twice.csv"
    text = EXAMPLE.read_text().splitlines()
    lines = [text[0] + ",applicants"] + [line + ",7" for line in text[1:]]
    path.write_text("\n".join(lines) + "\n")
    code, err = fit_cli(capsys, path, out=tmp_path / "out")
    one_line(code, err, "row 1: column 'applicants' appears twice in the header (columns 4 and 12)")
    assert not (tmp_path / "out").exists()


def test_rows_of_only_commas_are_blank_and_rows_keep_their_numbers(tmp_path: Path, example) -> None:
    lines = EXAMPLE.read_text().splitlines()
    blank = "," * (len(example.columns) - 1)
    path = tmp_path / "blank.csv"
    path.write_text("\n".join([lines[0], lines[1], blank, "", *lines[2:], blank]) + "\n")
    pd.testing.assert_frame_equal(read_ats(path).frame, read_ats(EXAMPLE).frame)
    # A bad cell after the blank rows is named by the row a spreadsheet shows.
    bad = lines[5].split(",")
    bad[3] = "many"  # applicants
    path.write_text("\n".join([lines[0], lines[1], blank, "", *lines[2:5], ",".join(bad)]))
    with pytest.raises(InputError, match=r"row 8, column applicants: not a whole number"):
        read_ats(path, min_rows=1)


def test_a_csv_separated_by_semicolons_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text(EXAMPLE.read_text().replace(",", ";"))
    with pytest.raises(InputError, match="separated by ';', not commas"):
        read_ats(path)


def test_more_columns_than_allowed_are_refused_from_the_header(tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n1\n")
    with pytest.raises(InputError, match=f"too many columns \\({MAX_COLUMNS + 1:,}; at most"):
        read_ats(path)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_a_cell_too_long_is_refused_by_row_and_column_without_echo(
    tmp_path: Path, example, suffix, capsys
) -> None:
    frame = example.copy()
    frame.loc[3, "requisition_id"] = MARKER + "x"
    path = tmp_path / f"long{suffix}"
    {".csv": frame.to_csv, ".xlsx": frame.to_excel, ".parquet": frame.to_parquet}[suffix](
        path, index=False
    )
    code, err = fit_cli(capsys, path)
    one_line(code, err, "row 5, column 'requisition_id': a cell of ")
    assert f"(at most {MAX_CELL_CHARS})" in err or f"more than {MAX_CELL_CHARS}" in err


def test_a_row_with_more_cells_than_the_header_is_refused(tmp_path: Path, capsys) -> None:
    lines = EXAMPLE.read_text().splitlines()
    lines[4] += ",surplus"
    path = tmp_path / "shifted.csv"
    path.write_text("\n".join(lines) + "\n")
    code, err = fit_cli(capsys, path)
    one_line(code, err, "row 5: 12 cells, but the header names 11")


def test_a_row_longer_than_a_mebibyte_is_refused_before_it_is_split(tmp_path: Path) -> None:
    path = tmp_path / "long_row.csv"
    path.write_text("requisition_id,applicants\n" + "1," * 600_000 + "\n")
    with pytest.raises(InputError, match="row 2: longer than 1,048,576 characters"):
        read_ats(path)


def test_parquet_limits_are_read_from_its_metadata(tmp_path: Path, example, monkeypatch) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "export.parquet"
    example.to_parquet(path, index=False)
    monkeypatch.setattr(ats, "LIMITS", replace(ats.LIMITS, max_rows=100))
    with pytest.raises(InputError, match=r"too many rows \(500; at most 100\)"):
        read_ats(path)
    monkeypatch.undo()
    nested = pa.table({"requisition_id": pa.array([[1, 2]] * 3), "applicants": [1, 2, 3]})
    pq.write_table(nested, tmp_path / "nested.parquet")
    with pytest.raises(InputError, match="column 'requisition_id' holds lists or records"):
        read_ats(tmp_path / "nested.parquet")
    twice = pa.Table.from_arrays([pa.array([1]), pa.array([2])], ["applicants", "applicants"])
    pq.write_table(twice, tmp_path / "twice.parquet")
    with pytest.raises(InputError, match="column 'applicants' appears twice"):
        read_ats(tmp_path / "twice.parquet")


def test_the_reader_returns_text_cells_and_spreadsheet_rows(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('a, b ,c\n1,"x\ny",3\n,,\n4,, \n')
    table = read_table(path, "t", ats.LIMITS, select=lambda header: ["c", "a"])
    assert table.header == ("a", "b", "c")
    assert table.frame.index.tolist() == [2, 4]  # row 3 is blank; row 2 spans two lines
    cells = table.frame.fillna("<empty>").to_dict("list")
    assert cells == {"c": ["3", "<empty>"], "a": ["1", "4"]}


def test_mixed_time_zones_read_as_utc(tmp_path: Path, example) -> None:
    frame = example.copy()
    frame.loc[0, "posted"] = "2024-04-03T23:30:00-05:00"  # 04:30 on 4 April in UTC
    frame.loc[1, "posted"] = "2024-04-03T10:00:00+02:00"
    frame.loc[0, "closed"] = "2024-06-01T00:00:00Z"
    path = tmp_path / "zones.csv"
    frame.to_csv(path, index=False)
    dates = read_ats(path).frame
    assert dates.loc[0, "posted"] == pd.Timestamp("2024-04-04")
    assert dates.loc[1, "posted"] == pd.Timestamp("2024-04-03")
    assert dates.loc[0, "closed"] == pd.Timestamp("2024-06-01")
    assert dates["posted"].dt.tz is None


def test_an_empty_out_is_refused_on_fit(tmp_path: Path, capsys) -> None:
    code, err = run_cli(capsys, "fit", str(EXAMPLE), "--out", "")
    one_line(code, err, "argument --out: expected a folder, got an empty name")
    with pytest.raises(InputError, match="expected a folder, got an empty name"):
        OutputFolder("", "fit")


# ------------------------------------------------ 2: only model parameters, sane boxes
SETTINGS = ["seed", "openings", "analysis.pilot_openings", "analysis.candidate_openings", "name"]
MALFORMED = ["role.positions.1_0", "role.quarter_multipliers.02", "role.quarter_multipliers.\u00b2"]


@pytest.mark.parametrize("key", SETTINGS + MALFORMED + [f"role.{MARKER}", MARKER])
def test_free_takes_only_model_parameters(key: str, capsys, tmp_path: Path) -> None:
    code, err = fit_cli(capsys, EXAMPLE, "--free", key, out=tmp_path / "out")
    message = "not a model parameter" if key in SETTINGS else "not a scenario key"
    one_line(code, err, message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("box", "message"),
    [
        ("role.quarter_multipliers.2=0:1e308", "beyond any value of a key"),
        ("role.quarter_multipliers.2=0:1e-310", "is a single value"),
        ("role.quarter_multipliers.3=0:1000", "HIGH <= 100"),
        ("offers.decline_probability=0.2:0.2000000000001", "is a single value"),
        ("offers.decline_probability=0:1_0", "expected KEY or KEY=LOW:HIGH"),
        ("screening.shortlist.high=1:100000", "GiB of memory for 20,000 simulated"),
        ("screening.shortlist.high=1:1e9", "TiB of memory for 20,000 simulated"),
    ],
)
def test_free_boxes_are_ranges_that_fit_in_memory(box, message, capsys) -> None:
    code, err = fit_cli(capsys, EXAMPLE, "--free", box)
    one_line(code, err, message)
    if "memory" in message:
        assert err.startswith("simfunnel: error: --free screening.shortlist.high: the fit needs")
        assert re.search(r"about [\d,.e+]+ [GT]iB of memory", err), err


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("key", SETTINGS[:-1])
def test_settings_cannot_be_drawn(tmp_path: Path, key: str, capsys) -> None:
    spec = "{dist: uniform, low: 1000, high: 2000}"
    code, err = run_cli(capsys, "validate", write(tmp_path, f"uncertainty:\n  {key}: {spec}\n"))
    one_line(code, err, f"{key}: a setting of the run, not a model parameter")
    *parents, last = key.split(".")
    inline = "".join(f"{'  ' * i}{p}:\n" for i, p in enumerate(parents))
    inline += f"{'  ' * len(parents)}{last}: {spec}\n"
    code, err = run_cli(capsys, "validate", write(tmp_path, inline))
    one_line(code, err, "a setting of the run, not a model parameter")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ('{dist: beta, mean: ".16", sd: 0.04}', "mean: must be a number, not text ('.16')"),
        ("{dist: beta, mean: .16, sd: 1e-300}", "sd 1e-300 is under a millionth"),
        ("{dist: normal, mean: .16, sd: 5e-324}", "is under a millionth"),
        ("{dist: uniform, low: 0.1, high: 1.0e+300}", "every number must lie within"),
    ],
)
def test_distributions_that_are_not_distributions(tmp_path: Path, spec, message, capsys) -> None:
    config = write(tmp_path, f"interview:\n  validity: {spec}\n")
    code, err = run_cli(capsys, "validate", config)
    one_line(code, err, message)


@pytest.mark.parametrize("high", ["1.0e+300", "1e-310", "1000"])
def test_quarter_multipliers_cannot_be_drawn_absurdly(tmp_path: Path, high: str, capsys) -> None:
    spec = f"{{dist: uniform, low: 0, high: {high}}}"
    config = write(tmp_path, f"uncertainty:\n  role.quarter_multipliers.2: {spec}\n")
    code, err = run_cli(capsys, "validate", config)
    one_line(code, err, "role.quarter_multipliers.2")


def test_an_exponent_without_a_dot_is_a_number(tmp_path: Path, capsys) -> None:
    config = write(tmp_path, "interview:\n  validity: {dist: beta, mean: 0.16, sd: 4e-2}\n")
    code, err = run_cli(capsys, "validate", config)
    assert code == 0, err


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("name", "column 1 ('name'): a setting of the run, not a model parameter"),
        ("seed", "a setting of the run"),
        ("analysis.candidate_openings", "a setting of the run"),
        ("role.positions.02", "not a scenario key"),
        ("role.cancel_probability,role.cancel_probability", "appears twice in the header"),
        (MARKER, "column 1: the header must be a scenario key"),
        ("role." + "z" * 35, "not a scenario key"),
    ],
)
def test_posterior_columns_are_model_parameters(tmp_path: Path, header, message, capsys) -> None:
    draws = tmp_path / "posterior.csv"
    width = header.count(",") + 1
    draws.write_text(f"{header}\n" + ",".join(["0.1"] * width) + "\n")
    out = tmp_path / "out"
    code, err = run_cli(
        capsys, "run", BASELINE, "--posterior", str(draws), "--openings", "1000", "--out", str(out)
    )
    one_line(code, err, message)
    assert "z" * SHOWN_CHARS not in err
    assert not out.exists()


@pytest.mark.parametrize("cell", ["1_0", "\u0661", "infinity", "0x10", MARKER])
def test_posterior_cells_are_plain_numbers(tmp_path: Path, cell: str, capsys) -> None:
    draws = tmp_path / "posterior.csv"
    draws.write_text(f"role.cancel_probability\n0.1\n{cell}\n")
    code, err = run_cli(capsys, "run", BASELINE, "--posterior", str(draws), "--openings", "1000")
    one_line(code, err, "row 3, column 'role.cancel_probability': expected a finite number")


def test_model_sections_are_the_scenarios_sections_but_analysis() -> None:
    from pydantic import BaseModel

    import simfunnel as sf

    scenario = sf.Scenario()
    sections = [
        name
        for name in type(scenario).model_fields
        if isinstance(getattr(scenario, name), BaseModel) and name not in ("analysis", "posterior")
    ]
    assert sorted(sections) == sorted(MODEL_SECTIONS)
    # Every key of these sections is written as key_problem expects; no other key passes.
    from simfunnel.model.parameters import key_problem
    from simfunnel.model.scenario import describe_keys

    keys = [row["key"] for row in describe_keys()]
    model = [k for k in keys if k.split(".")[0] in MODEL_SECTIONS]
    assert len(model) > 40 and not [k for k in model if key_problem(k)]
    assert all(key_problem(k) for k in keys if k not in model)


# ----------------------------------------------------------------------- 4: echoes
def test_a_long_key_is_never_echoed_whole(tmp_path: Path, capsys) -> None:
    spec = "{dist: uniform, low: 0.1, high: 0.2}"
    config = write(tmp_path, f"uncertainty:\n  role.{MARKER}: {spec}\n")
    code, err = run_cli(capsys, "validate", config)
    one_line(code, err, "not a scenario key")
    twice = f"role.{MARKER}=1"
    code, err = run_cli(capsys, "run", BASELINE, "--set", twice, "--set", twice)
    one_line(code, err, "given twice")


# ------------------------------------------------------------------------ the bombs
# The child is started by a small wrapper process, not by pytest: Linux keeps a process's
# peak RSS across exec, so a child forked from a large pytest process would report
# pytest's memory as its own. The wrapper (a few MiB) forks the CLI under the limit and
# prints the peak RSS of that child alone.
_WRAPPER = """
import os, resource, subprocess, sys
limit = int(sys.argv[1])
def limited():
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
child = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL, preexec_fn=limited)
_, status, usage = os.wait4(child.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def _fit_in_a_child(data: Path, tmp_path: Path) -> tuple[int, str, int]:
    """Exit code, stderr and peak RSS (bytes) of `simfunnel fit data` under the limit."""
    command = [sys.executable, "-m", "simfunnel.cli", "fit", str(data), "--scenario", BASELINE]
    # One thread per library and few malloc arenas: their address-space reservations
    # grow with the cores, and the limit is on address space, not on memory used.
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, **threads, "NUMBA_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2"}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(ADDRESS_SPACE), *command, "--quiet", "--out",
         str(tmp_path / "out")],
        capture_output=True,
        env=env,
        text=True,
    )  # fmt: skip
    code, maxrss = (int(v) for v in done.stdout.split())
    peak = maxrss * 1024  # ru_maxrss is in KiB on Linux
    seconds = time.perf_counter() - started
    print(f"{data.name}: exit {code}, peak RSS {peak / 2**20:.0f} MiB, {seconds:.1f} s")
    return code, done.stderr, peak


@pytest.mark.slow
def test_a_csv_of_200000_columns_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "bomb.csv"
    columns = 200_000
    row = ",".join(["1"] * columns) + "\n"
    header = ",".join(f"c{i}" for i in range(columns)) + "\n"
    rows = (97 * 2**20 - len(header)) // len(row) + 1
    with path.open("w") as handle:
        handle.write(header)  # one write
        for start in range(0, rows, 16):
            handle.write(row * min(16, rows - start))
    assert path.stat().st_size >= 97 * 2**20
    code, err, peak = _fit_in_a_child(path, tmp_path)
    one_line(code, err, "too many columns (over 2,000)")
    assert peak < PEAK_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


@pytest.mark.slow
def test_a_parquet_of_a_million_long_ids_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 10**6
    ids = pa.DictionaryArray.from_arrays(
        pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["r" * 2_000])
    )
    ones = pa.array(np.ones(rows, dtype=np.int64))
    table = pa.table(
        {"requisition_id": ids, "applicants": ones, "interviewed": ones, "offers": ones,
         "hires": ones, "cancelled": pa.array(np.zeros(rows, dtype=np.int64))}
    )  # fmt: skip
    path = tmp_path / "bomb.parquet"
    pq.write_table(table, path)
    assert path.stat().st_size < 2**20  # compressed: a few hundred KB
    code, err, peak = _fit_in_a_child(path, tmp_path)
    one_line(code, err, "row 2, column 'requisition_id': a cell of more than 200 characters")
    assert peak < PEAK_BOUND, f"peak RSS {peak / 2**20:.0f} MiB"


def test_an_xlsx_whose_text_unpacks_beyond_the_limit_is_refused(
    tmp_path: Path, example, monkeypatch
) -> None:
    import zipfile

    path = tmp_path / "export.xlsx"
    notes = [f"{'x' * 150} {i}" for i in range(len(example))]  # unique, compressible text
    example.assign(notes=notes).to_excel(path, index=False)
    with zipfile.ZipFile(path) as archive:
        strings = sum(m.file_size for m in archive.infolist() if "sharedStrings" in m.filename)
    size = path.stat().st_size
    assert strings > size  # the text unpacks larger than the whole file
    monkeypatch.setattr(ats, "LIMITS", replace(ats.LIMITS, max_bytes=size))
    with pytest.raises(InputError, match="its text unpacks to"):
        read_ats(path)
