"""Hostile input to the command line: every case is one line, exit 2, nothing mixed.

Result folders are written whole (staging sibling, swap, manifest.json); a second
writer is refused; Ctrl-C, SIGTERM and a full disk leave the previous folder as it
was and no temporary folder behind.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import simfunnel as sf
import simfunnel.cli as cli
from simfunnel.analysis.summary import STATS
from simfunnel.cli import main

from .conftest import CONFIGS

BASELINE = str(CONFIGS / "baseline.yaml")
NO_INTERNAL = str(CONFIGS / "no_internal.yaml")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse exits for usage errors
        code = int(exc.code)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(code: int, err: str, message: str, expected_code: int = 2) -> None:
    assert code == expected_code, err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err


def quick_run(capsys, out: Path, *extra: str, config: str = BASELINE) -> tuple[int, str, str]:
    return run_cli(
        capsys,
        "run",
        config,
        "--openings",
        "1000",
        "--workers",
        "1",
        "--quiet",
        "--out",
        str(out),
        *(extra or ("--formats", "none")),
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def leftovers(parent: Path) -> list[str]:
    """Staging or old folders, or temporary files, left beside or inside results."""
    return [
        str(p.relative_to(parent))
        for p in parent.rglob(".*")
        if ".tmp" in p.name or ".old-" in p.name
    ]


def rehash(folder: Path) -> None:
    """Tamper like someone who also fixes the manifest: only validation can catch it."""
    manifest = json.loads((folder / "manifest.json").read_text())
    for name in manifest["files"]:
        data = (folder / name).read_bytes()
        manifest["files"][name]["sha256"] = hashlib.sha256(data).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture
def fake_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts as tiny files: these tests are about folders, not drawing (slow)."""
    from simfunnel.present import charts

    def render_all(result, directory, formats=("png",), *, skipped=None):
        written = [Path(directory) / f"funnel.{fmt}" for fmt in formats]
        for path in written:
            path.write_text(result.scenario.name)
        return written

    monkeypatch.setattr(charts, "render_all", render_all)


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> Path:
    """A small saved result to copy and tamper with."""
    folder = tmp_path_factory.mktemp("saved") / "r"
    sf.simulate(sf.load_scenario(BASELINE), 1_000, seed=1, attribution=True).save(folder)
    return folder


@pytest.fixture
def copy(saved: Path, tmp_path: Path) -> Path:
    target = tmp_path / "r"
    target.mkdir()
    for path in saved.iterdir():
        (target / path.name).write_bytes(path.read_bytes())
    return target


# ------------------------------------------------------------- 1, 7: whole folders
def test_a_second_run_replaces_the_first_whole_charts_included(
    tmp_path: Path, capsys, fake_charts
) -> None:
    out = tmp_path / "r"
    assert quick_run(capsys, out, "--formats", "svg")[0] == 0
    assert list(out.glob("*.svg"))
    code, _, err = quick_run(capsys, out, config=NO_INTERNAL)
    assert code == 0, err
    assert not list(out.glob("*.svg"))  # the first run's charts went with it
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) == {p.name for p in out.iterdir()} - {"manifest.json"}
    loaded = sf.load_result(out)
    assert loaded.scenario.name == "no_internal"
    assert not loaded.candidates["internal"].any()
    assert leftovers(tmp_path) == []


def test_charts_command_replaces_old_charts(copy: Path, capsys, fake_charts) -> None:
    code, _, err = run_cli(capsys, "charts", str(copy), "--formats", "svg")
    assert code == 0, err
    code, _, err = run_cli(capsys, "charts", str(copy), "--formats", "none")
    assert code == 0, err
    assert not list(copy.glob("*.svg"))
    sf.load_result(copy)  # still one whole, verified result
    assert leftovers(copy.parent) == []


def test_load_result_refuses_a_mix_of_two_runs(copy: Path, saved: Path) -> None:
    (copy / "funnel.png").write_bytes(b"from another run")
    with pytest.raises(sf.InputError, match=r"funnel.png: not part of this result"):
        sf.load_result(copy)
    (copy / "funnel.png").unlink()
    other = pd.read_csv(copy / "candidates.csv").head(10)
    other.to_csv(copy / "candidates.csv", index=False)
    with pytest.raises(sf.InputError, match=r"candidates.csv: does not match manifest.json"):
        sf.load_result(copy)


def test_load_result_refuses_a_half_swapped_or_legacy_folder(copy: Path) -> None:
    (copy / "run.json").unlink()
    with pytest.raises(sf.InputError, match=r"run.json: missing \(listed in manifest.json\)"):
        sf.load_result(copy)
    (copy / "manifest.json").unlink()
    with pytest.raises(sf.InputError, match=r"not a saved result \(no manifest.json"):
        sf.load_result(copy)
    os.rename(copy, copy.parent / ".r.old-abc")  # between the two renames of a swap
    with pytest.raises(sf.InputError, match="being replaced by another simfunnel run"):
        sf.load_result(copy)


@pytest.mark.parametrize(
    ("name", "tamper", "message"),
    [
        ("run.json", "{not json", "run.json: not valid JSON"),
        ("run.json", "[1, 2]", "run.json: expected a JSON object, got list"),
        ("run.json", '{"openings": "many"}', "run.json: openings: expected a finite number"),
        (
            "statistics.csv",
            None,
            f"statistics.csv: row 2 (applicants_per_opening), column '{STATS[1]}': expected",
        ),
        ("candidates.csv", 'opening,slot\n1,"unterminated\n', "candidates.csv: not a valid table"),
        ("openings.csv", "a,b\n1,2\n", "openings.csv: missing column 'opening'"),
        ("statistics.csv", "metric,n\nx,1\n", f"statistics.csv: missing column '{STATS[1]}'"),
        ("scenario.yaml", "manager: [", "scenario.yaml"),
    ],
)
def test_tampered_result_folders_are_input_errors(
    copy: Path, capsys, name: str, tamper: str | None, message: str
) -> None:
    path = copy / name
    if tamper is None:  # a NaN in the first row of statistics.csv
        frame = pd.read_csv(path, index_col="metric")
        frame.iloc[0, frame.columns.get_loc(STATS[1])] = float("nan")
        frame.to_csv(path)
    else:
        path.write_text(tamper)
    code, _, err = run_cli(capsys, "charts", str(copy), "--formats", "none")
    one_line_error(code, err, "does not match manifest.json")  # caught first by checksum
    assert name in err
    rehash(copy)
    code, _, err = run_cli(capsys, "charts", str(copy), "--formats", "none")
    one_line_error(code, err, message)
    assert str(copy) in err
    assert tamper is None or tamper not in err or len(tamper) < 12  # contents not echoed


def test_a_users_folder_is_never_replaced(tmp_path: Path, capsys) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("years of work")
    code, _, err = quick_run(capsys, mine)
    one_line_error(code, err, "is not a simfunnel output folder (no manifest.json)")
    assert snapshot(mine) == {"thesis.tex": b"years of work"}
    empty = tmp_path / "empty"
    empty.mkdir()
    assert quick_run(capsys, empty)[0] == 0  # an empty folder is fine


def test_a_compare_folder_is_not_replaced_by_a_run(tmp_path: Path, capsys) -> None:
    out = tmp_path / "c"
    code, _, err = run_cli(
        capsys, "compare", BASELINE, NO_INTERNAL, "--openings", "1000", "--workers", "1",
        "--formats", "none", "--out", str(out),
    )  # fmt: skip
    assert code == 0, err
    code, _, err = quick_run(capsys, out)
    one_line_error(code, err, "holds a simfunnel compare output, not a result one")


def test_a_second_writer_is_refused(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    before = snapshot(out)
    handle = os.open(tmp_path / ".r.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        started = time.perf_counter()
        code, _, err = quick_run(capsys, out)
        one_line_error(code, err, "another simfunnel run is writing this folder")
        assert time.perf_counter() - started < 1.0  # refused before simulating
    finally:
        os.close(handle)
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_ctrl_c_while_saving_keeps_the_old_result(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    before = snapshot(out)
    write_files = sf.Result.write_files

    def interrupted(self, directory):
        write_files(self, directory)  # every table written, then Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(sf.Result, "write_files", interrupted)
    code, _, err = quick_run(capsys, out, config=NO_INTERNAL)
    one_line_error(code, err, "interrupted", expected_code=130)
    assert "nothing was written" in err
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


def test_disk_full_names_the_file_and_keeps_the_old_result(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    before = snapshot(out)
    to_csv = pd.DataFrame.to_csv

    def full(self, path=None, *args, **kwargs):
        if path is not None and Path(path).name.startswith(".candidates.csv"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return to_csv(self, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    code, _, err = quick_run(capsys, out)
    one_line_error(code, err, f"{out / 'candidates.csv'}: cannot write (No space left on device)")
    assert snapshot(out) == before
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------- 4: where outputs go
def test_empty_out_is_refused(capsys) -> None:
    code, _, err = run_cli(capsys, "run", BASELINE, "--out", "")
    one_line_error(code, err, "argument --out: expected a folder, got an empty name")
    code, _, err = run_cli(capsys, "you", BASELINE, "--quality-percentile", "50", "--out", " ")
    one_line_error(code, err, "expected a folder, got an empty name")


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("/proc", "--out /proc: exists and is not a simfunnel output folder"),
        ("/proc/simfunnel", "--out /proc/simfunnel: cannot write in /proc"),
        ("/", "--out /: must name a folder"),
    ],
)
def test_unwritable_out_is_refused_before_simulating(
    capsys, monkeypatch: pytest.MonkeyPatch, out: str, message: str
) -> None:
    def never(*args, **kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(sf, "simulate", never)
    code, _, err = run_cli(capsys, "run", BASELINE, "--out", out)
    one_line_error(code, err, message)


def test_default_folder_stays_inside_results(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    config = work / "evil.yaml"
    options = ("--openings", "1000", "--workers", "1", "--quiet", "--formats", "none")
    ran = 0
    for name in ("../../escaped", "/tmp/escaped", ".", "~", "*?<>| ", "CON", "-rf"):
        config.write_text(f"name: {json.dumps(name)}\n")
        code, _, err = run_cli(capsys, "run", str(config), *options)
        if code == 2:  # refused as a name by scenario.py: fine, if said in one line
            one_line_error(code, err, "name: ")
        else:
            assert code == 0, err
            ran += 1
    assert ran >= 3
    outside = [p for p in tmp_path.rglob("*") if "results" not in p.parts and p.is_dir()]
    assert sorted(p.name for p in outside) == ["a", "b"]
    assert not Path("/tmp/escaped").exists()
    folders = [p.parent for p in (work / "results").rglob("manifest.json")]
    assert len(folders) == ran and all(p.parent == work / "results" for p in folders)


# ------------------------------------------------------------- 5: bad flags
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", BASELINE, "--target-ci", "good_interview_offer_rate=nan"], "positive, finite"),
        (["run", BASELINE, "--target-ci", "good_interview_offer_rate=inf"], "positive, finite"),
        (["run", BASELINE, "--target-ci", "=0.1"], "positive, finite"),
        (
            ["you", BASELINE, "--quality-percentile", "50", "--interviews", str(10**9)],
            "argument --interviews: must be <= 100, got 1000000000",
        ),
        (
            ["you", BASELINE, "--quality-percentile", "50", "--workers", "2"],
            "unrecognized arguments: --workers 2",
        ),
        (
            ["sweep", BASELINE, "--vary", "manager.risk_aversion=0,1", "--vary",
             "manager.risk_aversion=2,3", "--out", "/nonexistent/never"],
            "--vary manager.risk_aversion: given twice",
        ),
        (
            ["run", BASELINE, "--set", "manager.risk_aversion=1", "--set",
             "manager.risk_aversion=2"],
            "--set manager.risk_aversion: given twice",
        ),
    ],
)  # fmt: skip
def test_bad_flags_exit_2_with_one_line(capsys, args: list[str], message: str) -> None:
    code, _, err = run_cli(capsys, *args)
    one_line_error(code, err, message)


# ------------------------------------------------------------- 3: say how far it got
def test_target_ci_stopped_at_the_cap_says_so(tmp_path: Path, capsys) -> None:
    code, _, err = quick_run(
        capsys, tmp_path / "r", "--formats", "none", "--target-ci", "good_interview_offer_rate=1e-6"
    )
    assert code == 0
    assert err.startswith("simfunnel: note: --target-ci not reached after the cap of 1,000")
    assert "good_interview_offer_rate is ±" in err and "raise --openings" in err
    code, _, err = quick_run(
        capsys, tmp_path / "s", "--formats", "none", "--target-ci", "good_interview_offer_rate=0.5"
    )
    assert code == 0 and err == ""


def test_ctrl_c_says_how_far_the_simulation_got(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simfunnel.analysis.run as run

    calls = []
    real = run._run_chunk

    def chunk(task):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(run, "_run_chunk", chunk)
    code, _, err = run_cli(
        capsys, "run", BASELINE, "--openings", "30000", "--workers", "1", "--quiet",
        "--formats", "none", "--out", str(tmp_path / "r"),
    )  # fmt: skip
    one_line_error(code, err, "interrupted after", expected_code=130)
    assert "of 30,000 openings; nothing was written" in err
    assert not (tmp_path / "r").exists()
    assert leftovers(tmp_path) == []


# ------------------------------------------------------------- 6: no warnings leak
@pytest.mark.parametrize(
    "override",
    [
        "internal.probability=0",
        "internal.probability=1",
        "role.cancel_probability=0",
        "offers.max_offers=1",
        "applicants.niche_share=0",
        "analysis.candidate_openings=0",
    ],
)
def test_edge_configs_print_no_warnings(tmp_path: Path, capsys, override: str) -> None:
    code, _, err = quick_run(capsys, tmp_path / "r", "--set", override, "--formats", "none")
    assert code == 0
    assert err == ""


# ------------------------------------------------------------- 2: signals, for real
def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        if children.exists():
            found |= {int(c) for c in children.read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_sigterm_ends_the_workers_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r"
    process = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "simfunnel.cli", "run", BASELINE,
         "--openings", "2000000", "--workers", "2", "--quiet", "--formats", "none",
         "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            workers = _children(process.pid)
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool never started"
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:  # show where it hangs
            process.send_signal(signal.SIGABRT)
            _, err = process.communicate(timeout=10)
            pytest.fail(f"still running 30 s after SIGTERM:\n{err[-4000:]}")
    finally:
        process.kill()
    assert process.returncode == 143, err
    assert err.startswith("simfunnel: terminated"), err
    assert "nothing was written" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.05)
    assert not [p for p in workers if _alive(p)], "orphaned workers"
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_installed_command_bad_result_folder_is_one_line(copy: Path) -> None:
    (copy / "statistics.csv").write_text("garbage")
    rehash(copy)
    completed = subprocess.run(
        [sys.executable, "-m", "simfunnel.cli", "charts", str(copy), "--formats", "none"],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 2
    assert completed.stderr.count("\n") == 1 and "Traceback" not in completed.stderr
    assert f"{copy / 'statistics.csv'}:" in completed.stderr


def test_signal_handlers_are_restored() -> None:
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert main(["keys"]) == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert cli.Terminated.__mro__[1] is KeyboardInterrupt


# ------------------------------------------------------------ attack findings (F*)
@pytest.mark.parametrize(
    ("vary", "message"),
    [
        (["manager.risk_aversion=0:1:1000000000"], "1,000,000,000 values; at most 1,000 per key"),
        (
            ["manager.risk_aversion=0:1:1000", "interview.rounds=1:1000:1000"],
            "1,000 x 1,000 = 1,000,000 grid points (100,000,000,000 openings",
        ),
        (["manager.risk_aversion=1,1,1"], "--vary manager.risk_aversion: value 1 given twice"),
        (["seed=1,2"], "--vary seed: cannot be varied in a sweep"),
        (["openings=1,2"], "--vary openings: cannot be varied in a sweep"),
    ],
)
def test_sweep_grids_are_checked_up_front(tmp_path: Path, capsys, vary, message) -> None:
    flags = [f for v in vary for f in ("--vary", v)]
    code, _, err = run_cli(capsys, "sweep", BASELINE, *flags, "--out", str(tmp_path / "s"))
    one_line_error(code, err, message)
    assert os.listdir(tmp_path) == []  # nothing written, not even a lock


@pytest.mark.parametrize(
    ("n", "message"),
    [("1000000000000", "--sobol: at most 16,384 (2^14)"), ("3", "--sobol must be a power of 2")],
)
def test_sobol_samples_are_checked_up_front(tmp_path: Path, capsys, n, message) -> None:
    pytest.importorskip("SALib")
    code, _, err = run_cli(
        capsys, "sensitivity", BASELINE, "--sobol", n, "--out", str(tmp_path / "s")
    )
    one_line_error(code, err, message)
    assert os.listdir(tmp_path) == []


def test_only_exactly_an_earlier_result_is_replaced(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    (out / "thesis.txt").write_text("mine")
    code, _, err = quick_run(capsys, out)
    one_line_error(code, err, f"{out}/thesis.txt is not part of the earlier result; move it")
    assert (out / "thesis.txt").read_text() == "mine"
    (out / "thesis.txt").unlink()
    with (out / "run.json").open("a") as handle:
        handle.write(" ")
    code, _, err = quick_run(capsys, out)
    one_line_error(code, err, f"{out}/run.json was changed after the earlier result")
    for manifest in ('{"files": {}}', '{"format": "simfunnel", "kind": "result", "files": {}}'):
        (out / "manifest.json").write_text(manifest)
        code, _, err = quick_run(capsys, out)
        assert code == 2 and len(err.strip().splitlines()) == 1, err
        assert (out / "run.json").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]  # no lock file left behind


def test_no_lock_file_is_left_beside_the_folder(tmp_path: Path, capsys) -> None:
    assert quick_run(capsys, tmp_path / "r")[0] == 0
    assert quick_run(capsys, tmp_path / "r")[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def test_a_result_of_another_scenario_with_the_same_folder_is_kept(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    flags = ["--openings", "500", "--workers", "1", "--quiet", "--formats", "none"]
    assert run_cli(capsys, "run", BASELINE, *flags, "--set", "name=résumé_日本語_🙂")[0] == 0
    out = tmp_path / "results" / "resume"
    before = snapshot(out)
    code, _, err = run_cli(capsys, "run", BASELINE, *flags, "--set", "name=résumé")
    one_line_error(code, err, "holds the result of scenario 'résumé_日本語_🙂', not 'résumé'")
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("override", "chart"),
    [
        ("role.cancel_probability=0.999", "offer_probability (this result has no interviewees"),
        ("analysis.good_interview_top_share=0.000001", "loss_reasons (no good interview lost"),
    ],
)
def test_a_chart_the_result_cannot_show_is_skipped_with_a_note(
    tmp_path: Path, capsys, override: str, chart: str
) -> None:
    out = tmp_path / "r"
    code, stdout, err = run_cli(
        capsys, "run", BASELINE, "--set", override, "--openings", "2000", "--workers", "1",
        "--formats", "svg", "--out", str(out),
    )  # fmt: skip
    assert code == 0 and err == "", err
    assert "Note: skipped the chart" in stdout and chart in stdout
    assert (out / "manifest.json").exists() and (out / "funnel.svg").exists()


def test_loss_finding_of_no_rows_is_a_sentence() -> None:
    from simfunnel.analysis.outputs.run import _loss_finding

    empty = pd.DataFrame(columns=["reason", "label", "share", "ci_low", "ci_high", "mechanism"])
    assert "No good interview" in _loss_finding(empty.astype({"mechanism": bool}))


def test_a_symlink_loop_config_is_named(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    code, _, err = run_cli(capsys, "run", str(tmp_path / "a.yaml"), "--out", str(tmp_path / "r"))
    one_line_error(code, err, "a.yaml: symlink loop")


def test_a_corrupt_or_misplaced_result_folder_is_named(copy: Path, tmp_path: Path, capsys) -> None:
    (copy / "manifest.json").write_text("[" * 100_000)
    code, _, err = run_cli(capsys, "charts", str(copy), "--formats", "none")
    one_line_error(code, err, "manifest.json is corrupt")
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, _, err = run_cli(capsys, "charts", str(afile))
    one_line_error(code, err, "afile: is a file, not a result folder")


def test_a_too_long_out_name_is_refused_with_an_excerpt(tmp_path: Path, capsys) -> None:
    code, _, err = quick_run(capsys, tmp_path / ("a" * 5000))
    one_line_error(code, err, "a folder name is too long (5,000 bytes")
    assert len(err) < 300
    assert os.listdir(tmp_path) == []


def test_unwritable_stdout_is_one_line_exit_2(tmp_path: Path) -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("needs /dev/full")
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "simfunnel.cli", "keys"], stdout=full, stderr=subprocess.PIPE,
            text=True, timeout=60,
        )  # fmt: skip
    one_line_error(done.returncode, done.stderr, "cannot write the output (No space left")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", BASELINE, "--seed", str(2**200)], "--seed: must be <= 2^128-1"),
        (
            ["run", BASELINE, "--target-ci", "good_interview_offer_rate=0.1",
             "--target-ci", "good_interview_offer_rate=0.2"],
            "--target-ci good_interview_offer_rate: given twice",
        ),
        (
            ["you", BASELINE, "--quality-percentile", "50", "--openings", "1000000000000"],
            "--openings: at most 1,000,000 for `you`, got 1,000,000,000,000 (about 30,",
        ),
    ],
)  # fmt: skip
def test_attack_flags_are_refused_up_front(tmp_path: Path, capsys, args, message) -> None:
    started = time.perf_counter()
    code, _, err = run_cli(capsys, *args, "--out", str(tmp_path / "r"))
    one_line_error(code, err, message)
    assert time.perf_counter() - started < 5
    assert os.listdir(tmp_path) == []


def test_one_openings_limit_for_keys_and_run(capsys) -> None:
    from simfunnel.analysis.resources import MAX_OPENINGS
    from simfunnel.model.scenario import describe_keys

    row = next(r for r in describe_keys() if r["key"] == "openings")
    assert row["range"] == f"[1, {MAX_OPENINGS}]"


def test_ctrl_c_in_a_sweep_pool_says_how_many_points(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    import simfunnel.analysis.points as points_module

    class Bar:
        def __init__(self, *args, **kwargs) -> None:
            self.count = 0

        def update(self) -> None:
            self.count += 1
            if self.count == 2:
                raise KeyboardInterrupt

        def close(self) -> None:
            pass

    monkeypatch.setattr(points_module, "tqdm", Bar)
    code, _, err = run_cli(
        capsys, "sweep", BASELINE, "--vary", "manager.risk_aversion=0:2:6", "--openings", "500",
        "--workers", "2", "--formats", "none", "--out", str(tmp_path / "s"),
    )  # fmt: skip
    one_line_error(code, err, "interrupted after 2 of 6 points; nothing was written", 130)
    assert os.listdir(tmp_path) == []


def test_a_result_left_aside_by_a_run_killed_mid_swap_is_put_back(
    tmp_path: Path, capsys
) -> None:
    """A run killed between the swap's two renames leaves the earlier result only in
    ``.name.old-*/name``: the next writer must put it back, never delete it."""
    from simfunnel.io.files import OutputFolder

    out = tmp_path / "r"
    assert quick_run(capsys, out)[0] == 0
    before = snapshot(out)
    aside = tmp_path / ".r.old-killed"
    aside.mkdir()
    (out).rename(aside / "r")  # the state a SIGKILL mid-swap leaves
    with pytest.raises(RuntimeError), OutputFolder(out):
        raise RuntimeError("this writer fails before committing")
    assert snapshot(out) == before
    assert not aside.exists() or not (aside / "r").exists()
