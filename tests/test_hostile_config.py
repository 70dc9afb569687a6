"""Hostile configs and overrides: one clear InputError line, bounded time and memory,
never another file's contents in a message."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import simfunnel as sf
from simfunnel.analysis.resources import check_resources, estimate
from simfunnel.io.loader import MAX_CONFIG_BYTES, parse_override
from simfunnel.model.names import folder_name, override_label

from .conftest import CONFIGS

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)
SECRET = "s3cret-Token-do-not-print"


def write(folder: Path, text: str, name: str = "s.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def refused(path: Path | str, overrides: dict | None = None) -> str:
    with pytest.raises(sf.InputError) as info:
        sf.load_scenario(path, overrides)
    message = str(info.value)
    assert "\n" not in message
    assert len(message) < 400, message
    return message


def cli_validate(path: Path, timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "simfunnel.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return completed, time.perf_counter() - started


def assert_one_line_exit_2(completed: subprocess.CompletedProcess, *words: str) -> str:
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    for word in words:
        assert word in lines[0]
    return lines[0]


# ------------------------------------------------------------------ 1. YAML bombs
def test_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)
    assert len(BOMB) < 400
    started = time.perf_counter()
    message = refused(path)
    assert time.perf_counter() - started < 0.5
    assert f"{path}:1:4: YAML anchors and aliases" in message


def test_alias_bomb_through_the_cli(tmp_path: Path) -> None:
    path = write(tmp_path, BOMB)
    completed, elapsed = cli_validate(path)
    line = assert_one_line_exit_2(completed, "anchors and aliases")
    assert elapsed < 2.0 + _startup_seconds()
    assert "lol" not in line


_STARTUP: list[float] = []


def _startup_seconds() -> float:
    """Interpreter and import time of the CLI on this (shared) machine."""
    if not _STARTUP:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "simfunnel.cli", "--help"], capture_output=True)
        _STARTUP.append(time.perf_counter() - started)
    return _STARTUP[0]


def test_a_lone_alias_and_anchor_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "manager:\n  risk_aversion: &r 1\n  affinity_weight: 0.3\n")
    assert "2:18: YAML anchors and aliases" in refused(path)


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = write(tmp_path, "# padding\n" * (MAX_CONFIG_BYTES // 10 + 1))
    assert "too large" in refused(path) and "1 MiB" in refused(path)


def test_only_regular_files(tmp_path: Path) -> None:
    assert "is a folder" in refused(tmp_path)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "pipe.yaml"
        os.mkfifo(fifo)
        assert "not a regular file" in refused(fifo)  # never opened: would block


def test_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "manager:\n  risk_aversion: '" + "y" * 100_000 + "'\n")
    message = refused(path)
    assert "must be a number" in message
    assert message.count("y") < 70 and "\u2026" in message


def test_unreadable_values_and_characters(tmp_path: Path) -> None:
    assert "a value cannot be read" in refused(write(tmp_path, "seed: " + "9" * 5000 + "\n"))
    assert "unacceptable character #x0000" in refused(write(tmp_path, "name: a\x00b\n"))
    message = refused(write(tmp_path, "manager: !!python/object:os.system {}\n"))
    assert "malformed YAML: could not determine a constructor" in message


# ------------------------------------------------------------------- 2. extends
def test_extends_refuses_absolute_paths(tmp_path: Path) -> None:
    message = refused(write(tmp_path, "extends: /etc/passwd\n"))
    assert "s.yaml:1: extends: '/etc/passwd' is an absolute path" in message
    assert "x:0:0" not in message


def test_extends_refuses_parent_folders_and_other_suffixes(tmp_path: Path) -> None:
    write(tmp_path, "name: outside\n", "outside.yaml")
    inner = tmp_path / "inner"
    assert "leads outside the folder" in refused(write(inner, "extends: ../outside.yaml\n"))
    write(inner, f"{SECRET}: 1\n", "notes.txt")
    message = refused(write(inner, "extends: notes.txt\n"))
    assert "is not a .yaml or .yml file" in message and SECRET not in message


def test_extends_may_use_a_subfolder(tmp_path: Path) -> None:
    write(tmp_path, "manager:\n  risk_aversion: 2\n", "parts/base.yaml")
    scenario = sf.load_scenario(write(tmp_path, "extends: parts/base.yaml\n", "child.yaml"))
    assert scenario.manager.risk_aversion == 2 and scenario.name == "child"


def test_extends_refuses_symlink_escapes(tmp_path: Path) -> None:
    outside = write(tmp_path, f"{SECRET}: 1\nmanager:\n  risk_aversion: 1\n", "outside.yaml")
    inner = tmp_path / "inner"
    inner.mkdir()
    (inner / "base.yaml").symlink_to(outside)
    message = refused(write(inner, "extends: base.yaml\n"))
    assert "leads outside the folder" in message and SECRET not in message
    (inner / "folder.yaml").mkdir()
    assert "not a regular file" in refused(write(inner, "extends: folder.yaml\n", "f.yaml"))


def test_foreign_file_contents_are_never_quoted(tmp_path: Path) -> None:
    foreign = write(tmp_path, f"{SECRET} with spaces: yes\nother: 1\n", "secrets.yaml")
    results = tmp_path / "results" / "baseline"
    results.mkdir(parents=True)
    (results / "scenario.yaml").symlink_to(foreign)
    message = refused(results / "scenario.yaml")
    assert "not a simfunnel scenario" in message and SECRET not in message
    passwd = write(tmp_path, "root:x:0:0:root:/root:/bin/bash\nbin:x:1:1::/:\n", "p.yaml")
    message = refused(passwd)
    assert "x:0:0" not in message and "/bin/bash" not in message


def test_foreign_file_through_the_cli(tmp_path: Path) -> None:
    foreign = write(tmp_path, f"{SECRET} = {SECRET}: 1\n", "secrets.yaml")
    child = write(tmp_path / "sub", "extends: ../secrets.yaml\n", "child.yaml")
    assert foreign.exists()
    completed, _ = cli_validate(child)
    line = assert_one_line_exit_2(completed, "leads outside the folder")
    assert SECRET not in completed.stderr + completed.stdout and "child.yaml:1" in line


# ------------------------------------------------------------------ 3. depth
def test_extends_chain_is_bounded(tmp_path: Path) -> None:
    for i in range(30):
        write(tmp_path, f"extends: c{i + 1}.yaml\n", f"c{i}.yaml")
    write(tmp_path, "name: end\n", "c30.yaml")
    assert "'extends' chain is longer than 20 files" in refused(tmp_path / "c0.yaml")
    for i in range(11, 30):  # a chain of 20 files (d11 ... d30) is fine
        write(tmp_path, f"extends: d{i + 1}.yaml\n", f"d{i}.yaml")
    write(tmp_path, "name: end\n", "d30.yaml")
    assert sf.load_scenario(tmp_path / "d11.yaml").name == "d11"


def test_extends_chain_through_the_cli(tmp_path: Path) -> None:
    for i in range(1500):
        write(tmp_path, f"extends: c{i + 1}.yaml\n", f"c{i}.yaml")
    completed, _ = cli_validate(tmp_path / "c0.yaml")
    assert_one_line_exit_2(completed, "chain is longer than 20 files")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "[" * 100_000 + "]" * 100_000)
    assert "YAML nested more than 10 levels deep" in refused(path)
    completed, _ = cli_validate(path)
    assert_one_line_exit_2(completed, "nested more than 10 levels")
    assert "nested more than" in refused(
        write(tmp_path, "a:\n" + "".join(f"{' ' * (2 * i)}b:\n" for i in range(1, 30)), "m.yaml")
    )


def test_too_many_values(tmp_path: Path) -> None:
    path = write(tmp_path, "role:\n  posting_month_weights: [" + "1, " * 20_000 + "1]\n")
    assert "too many YAML values" in refused(path)


# --------------------------------------------------------------- 4. merge keys
def test_merge_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "manager:\n  <<: {risk_aversion: 1}\n")
    assert f"{path}:2:3: YAML merge keys ('<<') are not allowed" in refused(path)
    completed, _ = cli_validate(path)
    assert_one_line_exit_2(completed, "merge keys")


# -------------------------------------------------- 5. wrong values accepted
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "manager:\n  risk_aversion: true\n",
            "2: manager.risk_aversion: must be a number, not a boolean (true)",
        ),
        ("interview:\n  rounds: yes\n", "2: interview.rounds: must be a number, not a boolean"),
        ("manager:\n  hiring_bar: false\n", "manager.hiring_bar: must be a number, not a boolean"),
        ("seed: true\n", "seed: must be a number, not a boolean"),
        ("role:\n  positions: {true: 1.0}\n", "not a boolean"),
        (
            "role:\n  posting_month_weights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, true]\n",
            "role.posting_month_weights.11: must be a number, not a boolean",
        ),
        ("screening:\n  shortlist: {low: true, high: 10}\n", "not a boolean"),
    ],
)
def test_booleans_are_not_numbers(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in refused(write(tmp_path, text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "manager:\n  hiring_bar: .nan\n",
            "2: manager.hiring_bar: must be a finite number, got nan",
        ),
        ("manager:\n  risk_aversion: .inf\n", "manager.risk_aversion: must be a finite number"),
        (
            "role:\n  posting_month_weights: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, .inf]\n",
            "role.posting_month_weights.11: must be a finite number, got inf",
        ),
        ("role:\n  quarter_multipliers: [1, 1, .nan, 1]\n", "must be a finite number"),
        ("role:\n  positions: {1: .nan}\n", "role.positions.1: must be a finite number"),
        ("applicants:\n  correlations: {quality~culture: .nan}\n", "must be a finite number"),
        ("openings: .inf\n", "openings: should be a finite number"),
    ],
)
def test_nan_and_inf_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    message = refused(write(tmp_path, text))
    assert expected.replace("should be", "must be") in message or expected in message


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "manager:\n  risk_aversion: 1\n  risk_aversion: 2\n")
    assert f"{path}:3:3: duplicate key 'risk_aversion' (lines 2 and 3)" in refused(path)
    path = write(tmp_path, "name: a\nseed: 1\nname: b\n", "top.yaml")
    assert "duplicate key 'name' (lines 1 and 3)" in refused(path)


@pytest.mark.parametrize("second", [0.2, 0.3])
def test_a_correlation_pair_given_both_ways(tmp_path: Path, second: float) -> None:
    path = write(
        tmp_path,
        "applicants:\n  correlations:\n    quality~alignment: 0.3\n"
        f"    alignment~quality: {second}\n",
    )
    message = refused(path)
    assert f"{path}:4: applicants.correlations: 'quality~alignment' and 'alignment~quality'" in (
        message
    )
    assert "same pair given twice" in message


# ------------------------------------------------------------------- 6. names
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("'/tmp/x'", "name: is a label, not a path"),
        ("'../../x'", "name: is a label, not a path"),
        ("'a..b'", "no '..'"),
        ("'.'", "not '.'"),
        ("'a\\\\b'", "not a path"),
        ("''", "name: must not be empty"),
        ("'   '", "name: must not be empty"),
        ('"a\\x1b[31mb"', "name: must not contain control characters"),
        ('"a\\nb"', "control characters"),
        ("'" + "n" * 81 + "'", "name: at most 80 characters, got 81"),
    ],
)
def test_names_are_labels(tmp_path: Path, name: str, expected: str) -> None:
    assert expected in refused(write(tmp_path, f"name: {name}\n"))


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("baseline", "baseline"),
        ("baseline (manager.risk_aversion=3)", "baseline__manager.risk_aversion-3"),
        ("baseline (a=1, b=2)", "baseline__a-1__b-2"),
        ("/tmp/x", "tmp_x"),
        ("../../x", "x"),
        ("", "scenario"),
        ("...", "scenario-" + "d"),
        ("R\u00e9seau \u00dcn\u00ef", "reseau_uni"),
        ("CON", "con_"),
        ("-rf", "rf"),
        ("a" * 300, "a" * 100),
    ],
)
def test_folder_name_is_safe(name: str, folder: str) -> None:
    result = folder_name(name)
    if folder.startswith("scenario-"):
        assert result.startswith("scenario-") and len(result) == len("scenario-") + 8
    else:
        assert result == folder
    assert result and "/" not in result and ".." not in result and not result.startswith(".")
    assert set(result) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert folder_name(name) == result  # deterministic


def test_default_name_from_an_odd_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "seed: 1\n", "a\x01b.yaml")
    assert sf.load_scenario(path).name == "a_b"


# ------------------------------------------------------- 7. overrides rename
def test_overrides_rename_the_scenario() -> None:
    baseline = CONFIGS / "baseline.yaml"
    changed = sf.load_scenario(baseline, {"manager.risk_aversion": 3})
    assert changed.name == "baseline (manager.risk_aversion=3)"
    assert folder_name(changed.name) == "baseline__manager.risk_aversion-3"
    assert sf.load_scenario(baseline).name == "baseline"
    named = sf.load_scenario(baseline, {"manager.risk_aversion": 3, "name": "mine"})
    assert named.name == "mine"
    many = {f"manager.{k}": 0.123456789 for k in ("risk_aversion", "niche_value", "transfer_risk")}
    label = sf.load_scenario(baseline, many).name
    assert len(label) <= 80 and label == sf.load_scenario(baseline, many).name
    assert label.startswith("baseline (manager.risk_aversion=0.123456789") and "#" in label
    odd = override_label("x", {"description": "../../etc\x1b"})
    assert ".." not in odd and "/" not in odd and "\x1b" not in odd


def test_overrides_cannot_smuggle_a_bad_name(baseline: sf.Scenario) -> None:
    with pytest.raises(sf.InputError, match="name: is a label, not a path"):
        baseline.with_overrides({"name": "../x"})


# ------------------------------------------------------------------ 8. memory
@pytest.fixture
def limit_4gib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIMFUNNEL_MEMORY_LIMIT_GIB", "4")


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (
            {"engine": "brute_force", "applicants.count": {"low": 100, "high": 10_000}},
            "applicants.count.high or use engine: exact",
        ),
        (
            {
                "applicants.count": {"low": 1000, "high": 2000},
                "screening.shortlist": {"low": 5, "high": 1000},
            },
            "screening.shortlist.high",
        ),
        ({"analysis.candidate_openings": 10_000_000}, "analysis.candidate_openings"),
    ],
)
def test_huge_runs_are_refused_up_front(
    limit_4gib: None, overrides: dict, key: str, baseline: sf.Scenario
) -> None:
    scenario = baseline.with_overrides(overrides)
    with pytest.raises(sf.InputError) as info:
        check_resources(scenario, 10_000_000, 10_000)
    message = str(info.value)
    assert "needs about" in message and "GiB of memory (limit 4.0 GiB" in message
    assert "; reduce " in message and key in message
    started = time.perf_counter()
    with pytest.raises(sf.InputError, match="needs about"):
        sf.simulate(scenario, 10_000_000, seed=1)  # refused before the pilot
    assert time.perf_counter() - started < 1.0


def test_default_runs_fit(baseline: sf.Scenario) -> None:
    assert estimate([baseline], 100_000, 10_000)["peak"] < 0.5 * 2**30
    check_resources(baseline, None, 10_000, workers=None)
    big_pilot = baseline.with_overrides({"analysis.pilot_openings": 1_000_000})
    assert estimate([big_pilot], 100_000, 10_000)["pilot"] < 2**30  # the pilot is chunked


def test_openings_are_capped(baseline: sf.Scenario) -> None:
    with pytest.raises(sf.InputError, match=r"openings: at most 10,000,000,000 per run"):
        sf.simulate(baseline, 10**12)


def test_absurd_bounds_are_tightened(tmp_path: Path) -> None:
    path = write(tmp_path, "role:\n  process_weeks: {low: 4, high: 100000000}\n")
    assert "role.process_weeks: high must be at most 260 weeks" in refused(path)
    path = write(tmp_path, "applicants:\n  count: {low: 100, high: 100000000}\n", "a.yaml")
    assert "applicants.count: high must be at most 10,000,000" in refused(path)
    assert "seed: must be in [0, " in refused(write(tmp_path, f"seed: {2**128}\n", "b.yaml"))


def test_memory_limit_variable_must_be_a_number(
    monkeypatch: pytest.MonkeyPatch, baseline: sf.Scenario
) -> None:
    monkeypatch.setenv("SIMFUNNEL_MEMORY_LIMIT_GIB", "lots")
    with pytest.raises(sf.InputError, match="SIMFUNNEL_MEMORY_LIMIT_GIB"):
        check_resources(baseline, None, 10_000)


# --------------------------------------------------------------- 9. --set
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("manager.risk_aversion=.nan", "--set manager.risk_aversion: must be a finite number"),
        ("manager.risk_aversion=-.inf", "must be a finite number"),
        ("role.positions={1: .inf}", "must be a finite number"),
        ("manager.risk_aversion=&a 1", "anchors and aliases"),
        ("manager.risk_aversion=" + "[" * 50 + "]" * 50, "nested more than 10 levels"),
        ("manager.risk_aversion={a: 1, a: 2}", "duplicate key 'a'"),
    ],
)
def test_override_values_are_checked(text: str, expected: str) -> None:
    with pytest.raises(sf.InputError) as info:
        parse_override(text)
    assert expected in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("manager.risk_aversion=true", "manager.risk_aversion: must be a number, not a boolean"),
        ("manager.risk_aversion=abc", "manager.risk_aversion: must be a number"),
        ("manager.hiring_bar=yes", "not a boolean"),
    ],
)
def test_override_values_are_validated(baseline: sf.Scenario, text: str, expected: str) -> None:
    key, value = parse_override(text)
    with pytest.raises(sf.InputError, match=expected):
        baseline.with_overrides({key: value})


def test_long_override_is_cut_in_the_message() -> None:
    with pytest.raises(sf.InputError) as info:
        parse_override("x" * 10_000)
    assert len(str(info.value)) < 200


def test_a_renamed_scenario_round_trips_through_yaml(tmp_path: Path, baseline: sf.Scenario) -> None:
    changed = baseline.with_overrides({"manager.risk_aversion": 3, "role.positions": {1: 1.0}})
    text = changed.to_yaml()
    assert "&" not in text and "*" not in text
    again = sf.load_scenario(write(tmp_path, text))
    assert again == changed


def test_description_is_one_short_line(tmp_path: Path) -> None:
    assert "description: must be one line" in refused(write(tmp_path, 'description: "a\\nb"\n'))
    long_text = "d" * 301
    assert "at most 300 characters" in refused(write(tmp_path, f"description: {long_text}\n"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: k\n1: 2\n", "s.yaml:2: key 1 is not a name; keys are words"),
        ("name: k\n~: 2\n", "s.yaml:2: key None is not a name; keys are words"),
        (
            "applicants:\n  count: 50\n",
            "s.yaml:2: applicants.count: should be a range {low: N, high: M}",
        ),
        ("manager: [1, 2]\n", "s.yaml:1: manager: should be a mapping of keys"),
    ],
)
def test_wording_of_odd_keys_and_shapes(tmp_path: Path, text: str, message: str) -> None:
    got = refused(write(tmp_path, text))
    assert message in got, got
    assert "instance of" not in got and "Keys should be" not in got
