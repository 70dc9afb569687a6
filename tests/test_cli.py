"""The command line: outputs, exit codes, one-line errors, atomic writes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import simfunnel as sf
from simfunnel.cli import main

from .conftest import CONFIGS

BASELINE = str(CONFIGS / "baseline.yaml")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code)
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_every_table_and_prints_a_summary(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "baseline"
    code, out, err = run_cli(
        capsys,
        "run",
        BASELINE,
        "--openings",
        "3000",
        "--seed",
        "3",
        "--out",
        str(out_dir),
        "--set",
        "manager.risk_aversion=1",
        "--formats",
        "none",
        "--workers",
        "1",
    )
    assert code == 0, err
    assert "Offer rate of interviewees" in out and "Why good interviews lost" in out
    for name in (
        "scenario.yaml",
        "run.json",
        "summary.csv",
        "funnel.csv",
        "loss_reasons.csv",
        "openings.csv",
        "candidates.csv",
        "statistics.csv",
    ):
        assert (out_dir / name).stat().st_size > 0, name
    assert "risk_aversion: 1" in (out_dir / "scenario.yaml").read_text()
    assert '"manager.risk_aversion": 1' in (out_dir / "run.json").read_text()
    assert '"seed": 3' in (out_dir / "run.json").read_text()
    assert not list(out_dir.glob(".*tmp"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "configs/none.yaml"], "configs/none.yaml: no such config file"),
        (["run", BASELINE, "--openings", "0"], "argument --openings: must be >= 1, got 0"),
        (["run", BASELINE, "--openings", "lots"], "expected a whole number, got 'lots'"),
        (["run", BASELINE, "--seed", "-4"], "argument --seed"),
        (
            ["run", BASELINE, "--set", "manager.risk_averson=2"],
            "did you mean 'manager.risk_aversion'?",
        ),
        (
            ["run", BASELINE, "--set", "manager.risk_aversion=-2"],
            "manager.risk_aversion: must be in [0, 10], got -2",
        ),
        (["run", BASELINE, "--set", "oops"], "expected KEY=VALUE"),
        (["run", BASELINE, "--formats", "gif"], "unknown chart format 'gif'"),
        (["run", BASELINE, "--engine", "magic"], "invalid choice: 'magic'"),
        (["validate", BASELINE, "configs/none.yaml"], "configs/none.yaml: no such config file"),
        (["charts", "/nonexistent/result"], "/nonexistent/result: no such folder"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, args: list[str], message: str) -> None:
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def test_bad_input_leaves_existing_results_untouched(tmp_path: Path, capsys) -> None:
    out_dir = tmp_path / "r"
    assert (
        run_cli(
            capsys,
            "run",
            BASELINE,
            "--openings",
            "1000",
            "--out",
            str(out_dir),
            "--formats",
            "none",
        )[0]
        == 0
    )
    before = {p.name: p.read_bytes() for p in out_dir.iterdir()}
    code, _, _ = run_cli(
        capsys, "run", BASELINE, "--out", str(out_dir), "--set", "interview.validity=2"
    )
    assert code == 2
    assert {p.name: p.read_bytes() for p in out_dir.iterdir()} == before


def test_out_must_be_a_writable_folder(tmp_path: Path, capsys) -> None:
    file = tmp_path / "file"
    file.write_text("x")
    code, _, err = run_cli(capsys, "run", BASELINE, "--out", str(file), "--formats", "none")
    assert code == 2 and "exists and is not a folder" in err
    code, _, err = run_cli(capsys, "run", BASELINE, "--out", str(file / "sub"), "--formats", "none")
    assert code == 2 and "is a file, not a folder" in err


def test_empty_config_is_the_baseline_named_after_the_file(tmp_path: Path) -> None:
    empty = tmp_path / "mine.yaml"
    empty.write_text("")
    scenario = sf.load_scenario(empty)
    assert scenario.name == "mine"
    assert scenario.manager == sf.load_scenario(BASELINE).manager


def test_validate_and_keys(capsys) -> None:
    code, out, _ = run_cli(capsys, "validate", *map(str, sorted(CONFIGS.glob("*.yaml"))))
    assert code == 0 and out.count(": ok") == len(list(CONFIGS.glob("*.yaml")))
    code, out, _ = run_cli(capsys, "keys")
    assert code == 0 and "manager.risk_aversion" in out and "[0, 10]" in out


def test_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("manager:\n  risk_aversion: -1\n")
    completed = subprocess.run(
        [sys.executable, "-m", "simfunnel.cli", "run", str(bad)], capture_output=True, text=True
    )
    assert completed.returncode == 2
    assert (
        completed.stderr.strip()
        == f"simfunnel: error: {bad}:2: manager.risk_aversion: must be in [0, 10], got -1"
    )
