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


# ------------------------------------------------ options, parameters and flags
def test_keys_has_a_header_and_aligned_columns(capsys) -> None:
    code, out, _ = run_cli(capsys, "keys")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["key", "default", "range", "meaning"]
    meaning = lines[0].index("meaning")
    rows = lines[1 : lines.index("")]  # then one line on the derived composite validity
    assert "validity of the whole interview process" in out.split("\n\n")[-1]
    for line, following in zip(rows, [*rows[1:], "x"], strict=True):
        if following.startswith(" "):  # a long default: the meaning is on the next line
            continue
        # every meaning starts in the meaning column, on its row or the next line
        assert line[meaning - 2 : meaning] == "  " and line[meaning] != " "


def test_library_errors_name_the_parameter_and_the_cli_the_flag(capsys) -> None:
    baseline = sf.load_scenario(BASELINE)
    with pytest.raises(sf.InputError, match=r"^quality_percentile must be between 0 and 100"):
        sf.you(baseline, 120)
    with pytest.raises(sf.InputError, match=r"^metrics: unknown metric 'nope'"):
        sf.sweep(baseline, {"manager.risk_aversion": [0, 1]}, 1_000, metrics=["nope"])
    with pytest.raises(sf.InputError, match=r"^target_ci: unknown metric 'nope'"):
        sf.simulate(baseline, 1_000, target_ci={"nope": 0.1})
    code, _, err = run_cli(capsys, "run", BASELINE, "--target-ci", "nope=0.1")
    assert code == 2 and err.startswith("simfunnel: error: --target-ci: unknown metric 'nope'")
    code, _, err = run_cli(
        capsys, "sweep", BASELINE, "--vary", "manager.risk_aversion=0,1", "--metric", "nope"
    )
    assert code == 2 and err.startswith("simfunnel: error: --metric: unknown metric 'nope'")


def test_an_integer_key_refuses_a_grid_of_fractions(capsys) -> None:
    from simfunnel.analysis.explore import parse_vary

    baseline = sf.load_scenario(BASELINE)
    assert parse_vary("interview.rounds=1:5:5", baseline)[1] == [1, 2, 3, 4, 5]
    for spec in ("1:2:4", "1:5:4", "1.5,2"):
        with pytest.raises(sf.InputError, match=r"^vary .*takes whole numbers"):
            parse_vary(f"interview.rounds={spec}", baseline)
    code, _, err = run_cli(capsys, "sweep", BASELINE, "--vary", "interview.rounds=1:2:4")
    assert code == 2 and "--vary 'interview.rounds=1:2:4': interview.rounds takes whole" in err


def test_run_options_are_one_frozen_object_with_the_defaults_in_one_place(capsys) -> None:
    from simfunnel.analysis.options import DEFAULTS, RunOptions

    options = RunOptions(openings=2_000, seed=3, attribution=False)
    with pytest.raises(TypeError, match="unknown run option 'worker'"):
        options.replace(worker=2)
    with pytest.raises(sf.InputError, match=r"^openings must be a whole number >= 1"):
        RunOptions(openings=0)
    baseline = sf.load_scenario(BASELINE)
    by_options = sf.simulate(baseline, options=options)
    by_keywords = sf.simulate(baseline, 2_000, 3, attribution=False)
    assert by_options.summary().equals(by_keywords.summary())
    with pytest.raises(SystemExit):
        main(["sensitivity", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"default: {DEFAULTS['sensitivity'].openings:,}" in help_text
    assert f"{DEFAULTS['sobol'].openings:,} per point of --sobol" in help_text


def test_sobol_without_salib_fails_before_any_work(
    capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from simfunnel.analysis import sensitivities

    monkeypatch.setitem(sys.modules, "SALib", None)  # as if not installed
    monkeypatch.setattr(sensitivities, "points_of", lambda *a, **k: pytest.fail("simulated"))
    out = tmp_path / "s"
    code, _, err = run_cli(capsys, "sensitivity", BASELINE, "--sobol", "4", "--out", str(out))
    assert code == 2 and "Sobol indices need SALib" in err
    assert not out.exists()


def test_progress_bars_only_on_a_terminal(capsys, tmp_path: Path) -> None:
    code, _, err = run_cli(
        capsys, "run", BASELINE, "--openings", "2000", "--formats", "none", "--out", str(tmp_path)
    )
    assert code == 0 and "openings/s" not in err and "\r" not in err


def test_you_says_where_its_files_and_chart_go(capsys) -> None:
    code, out, _ = run_cli(
        capsys, "you", BASELINE, "--quality-percentile", "90", "--openings", "300", "--seed", "1"
    )
    assert code == 0 and "add --out DIR for the tables and the charts" in out


@pytest.mark.parametrize(
    "command",
    [
        ["compare", str(CONFIGS / "baseline.yaml"), str(CONFIGS / "no_internal.yaml")],
        ["sweep", str(CONFIGS / "baseline.yaml"), "--vary", "manager.risk_aversion=0:1:2"],
        ["sensitivity", str(CONFIGS / "baseline.yaml")],
    ],
    ids=lambda c: c[0],
)
def test_quiet_commands_print_nothing_and_still_write(command, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    argv = [*command, "--openings", "1000", "--workers", "1", "--formats", "none"]
    code = main([*argv, "--quiet", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "" and captured.err == ""
    assert (out / "manifest.json").is_file()
