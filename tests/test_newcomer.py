"""The newcomer's path (issue 25): every command run from a scratch folder outside the
repository, as a new user would, on the shipped scenarios and on messy input."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import simfunnel as sf
from simfunnel.cli import main
from simfunnel.cli.parser import build_parser
from simfunnel.io.shipped import SCENARIOS, STARTER_KEYS, shipped_names

from .conftest import ROOT


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty folder outside the repository as the current folder."""
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    assert not folder.resolve().is_relative_to(ROOT.resolve())
    monkeypatch.chdir(folder)
    return folder


def cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _comparable(scenario: sf.Scenario) -> dict:
    """A scenario's parameters without its name and story."""
    return scenario.model_dump(exclude={"name", "description"})


# ------------------------------------------------------------------ works from anywhere
def test_the_scenarios_ship_inside_the_package() -> None:
    assert SCENARIOS.is_relative_to(Path(sf.__file__).resolve().parent)
    assert set(shipped_names()) == {
        "affinity_bias",
        "baseline",
        "no_internal",
        "q4_freeze",
        "referrals",
        "risk_averse_manager",
        "strong_internal",
        "structured_panels",
    }
    # The old paths still work in a checkout: configs/ is a link to the shipped folder.
    assert (ROOT / "configs").resolve() == SCENARIOS
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"scenarios/*.yaml"' in pyproject


def test_run_a_shipped_scenario_by_name_from_any_folder(outside: Path, capsys) -> None:
    small = ["--openings", "1000", "--set", "analysis.pilot_openings=1000", "--formats", "none"]
    code, out, err = cli(capsys, "run", "q4_freeze", *small)
    assert code == 0, err
    assert len(list(outside.glob("results/q4_freeze*/summary.csv"))) == 1
    assert "q4_freeze" in out


@pytest.mark.slow  # a fresh interpreter: about 5 s of imports
def test_the_installed_command_runs_the_baseline_outside_the_repository(outside: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simfunnel", "validate", "baseline", "no_internal"],
        cwd=outside,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": ok") == 2


def test_an_unknown_scenario_name_gets_a_did_you_mean(outside: Path, capsys) -> None:
    code, _, err = cli(capsys, "run", "baselin")
    assert code == 2
    assert "'baselin' is not a shipped scenario; did you mean 'baseline'?" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_old_configs_path_outside_the_repository_says_the_bare_name(
    outside: Path, capsys
) -> None:
    code, _, err = cli(capsys, "validate", "configs/baseline.yaml")
    assert code == 2
    assert "no such config file" in err and "shipped scenario of that name is 'baseline'" in err


def test_extends_reaches_the_shipped_baseline(outside: Path) -> None:
    (outside / "mine.yaml").write_text("extends: baseline\nmanager:\n  risk_aversion: 1.5\n")
    mine = sf.load_scenario(outside / "mine.yaml")
    baseline = sf.load_scenario("baseline")
    assert mine.manager.risk_aversion == 1.5 and baseline.manager.risk_aversion == 0.5
    assert _comparable(mine.with_overrides({"manager.risk_aversion": 0.5})) == _comparable(baseline)
    assert mine.name == "mine"


def test_extends_an_unknown_name_or_a_missing_file(outside: Path, capsys) -> None:
    (outside / "typo.yaml").write_text("# mine\nextends: basline\n")
    code, _, err = cli(capsys, "validate", "typo.yaml")
    assert code == 2 and "typo.yaml:2: extends:" in err and "did you mean 'baseline'?" in err
    (outside / "old.yaml").write_text("extends: baseline.yaml\n")
    code, _, err = cli(capsys, "validate", "old.yaml")
    assert code == 2 and "for the shipped scenario write 'extends: baseline'" in err


def test_the_default_prior_of_fit_and_scenario_of_app_are_the_shipped_baseline() -> None:
    parser = build_parser()
    fit = parser.parse_args(["fit", "data.csv"])
    app = parser.parse_args(["app"])
    assert fit.scenario == "baseline" and app.config == "baseline"


def test_fit_finds_its_default_prior_outside_the_repository(outside: Path, capsys) -> None:
    # The prior is loaded before the export is read: an error about the export (and not
    # "configs/baseline.yaml: no such config file") means the prior was found.
    code, _, err = cli(capsys, "fit", "export.csv")
    assert code == 2 and err.startswith("simfunnel: error: export.csv") and "baseline" not in err


def test_init_writes_a_starter_that_extends_the_baseline(outside: Path, capsys) -> None:
    code, out, err = cli(capsys, "init", "acme")
    assert code == 0, err
    assert "acme.yaml: it extends the shipped baseline" in out
    text = (outside / "acme.yaml").read_text()
    starter = sf.load_scenario(outside / "acme.yaml")
    assert starter.name == "acme"
    assert _comparable(starter) == _comparable(sf.load_scenario("baseline"))
    # Every most-changed key is there, commented, with the baseline's value: uncommenting
    # them all gives a valid file that is still the baseline.
    for key in STARTER_KEYS:
        assert re.search(rf"^#   {re.escape(key.split('.', 1)[1])}: ", text, re.MULTILINE), key
    uncommented = re.sub(r"^# (\w+:)$", r"\1", text, flags=re.MULTILINE)
    uncommented = re.sub(r"^#(   \w+: .*)$", r"\1", uncommented, flags=re.MULTILINE)
    data = yaml.safe_load(uncommented)
    assert set(data) >= {key.split(".")[0] for key in STARTER_KEYS}
    (outside / "full.yaml").write_text(uncommented)
    full = sf.load_scenario(outside / "full.yaml")
    assert _comparable(full) == _comparable(sf.load_scenario("baseline"))
    # Never over an existing file; into another folder with --folder.
    code, _, err = cli(capsys, "init", "acme")
    assert code == 2 and "already exists" in err
    assert cli(capsys, "init", "beta", "--folder", "sub/stories")[0] == 0
    assert (outside / "sub" / "stories" / "beta.yaml").exists()


# ------------------------------------------------------------- validate --benchmarks
def test_benchmarks_exit_0_on_every_shipped_story(outside: Path, capsys) -> None:
    stories = [name for name in shipped_names() if name != "baseline"]  # baseline: 50k below
    code, out, err = cli(capsys, "validate", *stories, "--benchmarks", "--openings", "3000")
    assert code == 0, err
    assert out.count("| Published figure | Row |") == len(stories)
    # The rows are labelled: what is an input, a calibration target, a check.
    assert "| Applicants per opening | input (applicants.count) |" in out
    assert "| Internal share of hires | calibration (internal.probability) |" in out
    assert "| Interviews that lead to an offer | check |" in out
    # no_internal has no internal hires: a calibration target it moves by design.
    assert "no (not judged)" in out and "**no**" not in out


def test_benchmarks_exit_3_when_a_check_fails(outside: Path, capsys) -> None:
    # Twenty-plus interviewees per opening: far fewer than 15% of interviews end in an offer.
    (outside / "wide.yaml").write_text(
        "extends: baseline\nscreening:\n  shortlist: {low: 20, high: 25}\n"
    )
    code, out, err = cli(capsys, "validate", "wide.yaml", "--benchmarks", "--openings", "2000")
    assert code == 3
    assert "| Interviews that lead to an offer | check |" in out and "**no**" in out
    assert "wide: Interviews that lead to an offer" in err and "exit code 3" in err


def test_benchmarks_judge_calibration_targets_only_with_the_baseline_parameters() -> None:
    from simfunnel.analysis.outputs import Benchmarks
    from simfunnel.analysis.outputs.benchmarks import has_baseline_parameters

    baseline = sf.load_scenario("baseline")
    assert has_baseline_parameters(baseline.with_overrides({"name": "mine", "openings": 5}))
    assert not has_baseline_parameters(sf.load_scenario("no_internal"))
    table = Benchmarks.from_result(sf.simulate(baseline, 2000, seed=3, attribution=False)).to_df()
    assert table.set_index("kind")["judged"].groupby(level=0).all().to_dict() == {
        "calibration": True,
        "check": True,
        "input": False,
    }


# ------------------------------------------------------------------ errors all at once
MESSY = """\
extends: baseline
name: messy
role:
  cancel_probability: 1.5
screening:
  shortlist: {low: 4.5, high: 10}
interview:
  validty: 0.3
manager:
  risk_aversion: -1
"""


def test_every_problem_of_a_file_at_once_in_line_order(outside: Path, capsys) -> None:
    (outside / "messy.yaml").write_text(MESSY)
    code, _, err = cli(capsys, "validate", "messy.yaml")
    assert code == 2
    assert err.splitlines() == [
        "simfunnel: error: messy.yaml:4: role.cancel_probability: must be in [0, 1), got 1.5",
        "simfunnel: error: messy.yaml:6: screening.shortlist.low: must be a whole number, got 4.5",
        "simfunnel: error: messy.yaml:8: unknown key 'interview.validty'; "
        "did you mean 'interview.validity'?",
        "simfunnel: error: messy.yaml:10: manager.risk_aversion: must be in [0, 10], got -1",
    ]
    # The same through run, and in simfunnel's words, never the validation library's.
    code, _, run_err = cli(capsys, "run", "messy.yaml")
    assert code == 2 and run_err == err
    assert "should be a valid" not in err and "fractional part" not in err and "more" not in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("offers:\n  max_offers: four\n", "offers.max_offers: must be a whole number, got 'four'"),
        ("engine: fast\n", "engine: must be 'exact' or 'brute_force', got 'fast'"),
        (
            "manager:\n  risk_aversion: high\n",
            "manager.risk_aversion: must be a number, got 'high'",
        ),
    ],
)
def test_problems_are_worded_by_simfunnel(outside: Path, text: str, expected: str) -> None:
    (outside / "s.yaml").write_text(text)
    with pytest.raises(sf.InputError) as info:
        sf.load_scenario("s.yaml")
    assert str(info.value) == f"s.yaml:{1 + text.count(chr(10)) - 1}: {expected}"


@pytest.mark.parametrize(
    "args",
    [
        ["sensitivity", "baseline", "--metric", "good_interview_offer_rat"],
        [
            "sweep",
            "baseline",
            "--vary",
            "manager.risk_aversion=0:1:2",
            "--metric",
            "good_interview_offer_rat",
        ],
        ["run", "baseline", "--target-ci", "good_interview_offer_rat=0.01"],
    ],
    ids=["sensitivity", "sweep", "target-ci"],
)
def test_metric_flags_get_a_did_you_mean(outside: Path, capsys, args: list[str]) -> None:
    code, _, err = cli(capsys, *args, "--openings", "300", "--formats", "none")
    assert code == 2
    assert (
        "unknown metric 'good_interview_offer_rat'; did you mean 'good_interview_offer_rate'?"
        in err
    )
    assert len(err.splitlines()) == 1 and not list(outside.glob("results/*"))


# -------------------------------------------------------- an honest fit on messy data
OUTLIERS = {17: 1800, 101: 2100, 250: 2500, 333: 1950, 480: 2300}  # row index: applicants


@pytest.fixture(scope="module")
def messy_frame():
    import pandas as pd

    frame = pd.read_csv(ROOT / "examples" / "ats_export.csv", dtype=str)
    for index, applicants in OUTLIERS.items():
        frame.loc[index, "applicants"] = str(applicants)  # evergreen or confidential jobs
    return frame


@pytest.fixture(scope="module")
def messy_fit(messy_frame):
    from simfunnel.analysis.fit import FitSettings

    quick = FitSettings(replicates=10, draws=100, checks=30, max_iterations=6, min_simulated=5000)
    return sf.fit(messy_frame, sf.load_scenario("baseline"), ["applicants.count"], seed=3,
                  settings=quick)  # fmt: skip


def test_outlier_requisitions_are_flagged_by_id(messy_frame) -> None:
    from simfunnel.analysis.fit_flags import flagged_requisitions
    from simfunnel.io.ats import check_frame

    flags = flagged_requisitions(check_frame(messy_frame))
    outliers = flags[flags["kind"] == "outlier"]
    expected = sorted(messy_frame.loc[list(OUTLIERS), "requisition_id"])
    assert sorted(outliers["requisition_id"]) == expected
    assert sorted(outliers["row"]) == [i + 2 for i in sorted(OUTLIERS)]  # spreadsheet rows
    # The clean export (uniform pools of 80-220) has none: a uniform range never reaches
    # Tukey's outer fence.
    clean = flagged_requisitions(sf.read_ats(ROOT / "examples" / "ats_export.csv"))
    assert clean.empty


def test_a_parameter_at_its_prior_box_edge_is_never_identified(messy_fit) -> None:
    high = messy_fit.parameter("applicants.count.high")
    assert high["at_edge"] == "high" and high["median"] == high["prior_high"]
    assert not high["identified"] and high["width_ratio"] < 0.5  # narrow, yet not identified
    assert high["widen"] == "--prior applicants.count.high=1:999"
    finding = messy_fit.finding
    assert "1 sits at the edge of its prior box" in finding
    assert "(applicants.count.high: widen with --prior applicants.count.high=1:999)" in finding
    # The headline counts the checks the fitted model fails, and names the outliers.
    failed = int(messy_fit.checks["extreme"].sum())
    assert failed > 0 and f"fails {failed} of {len(messy_fit.checks)} checks" in finding
    assert "5 requisitions look like outliers" in finding and "--exclude REQ-" in finding
    from simfunnel.present.fit_report import format_fit

    assert "at its prior box's high edge (500); widen it: --prior" in format_fit(messy_fit)


def test_the_identified_rule_refuses_an_interval_cut_by_the_box() -> None:
    """Q4's multiplier with a 90% interval of 0-1.33 in a box of 0-5 is under half the
    box wide (1.33 / 4.5 = 0.30), but the box, not the data, ends it at 0."""
    from simfunnel.analysis.outputs.fit import at_edge
    from simfunnel.model.parameters import Parameter

    q4 = Parameter("role.quarter_multipliers.4", 0.0, 5.0, False, 1.2)
    assert at_edge(q4, 0.4, 0.0, 1.33) == "low"
    assert at_edge(q4, 1.1, 0.6, 1.7) == ""
    assert at_edge(q4, 4.9, 3.0, 5.0) == "high"


def test_prior_widens_one_box_and_keeps_the_default_free_set(outside: Path, capsys) -> None:
    from simfunnel.analysis.fit import default_free, parse_priors, resolve_parameters, with_priors

    baseline = sf.load_scenario("baseline")
    data = sf.read_ats(ROOT / "examples" / "ats_export.csv")
    default = resolve_parameters(baseline, {k: None for k in default_free(baseline, data)})
    widened = with_priors(baseline, default, parse_priors(["applicants.count.high=1:1000"]))
    assert [p.key for p in widened] == [p.key for p in default]  # the free set is kept
    changed = {p.key: (p.low, p.high) for p in widened if p not in default}
    assert changed == {"applicants.count.high": (1.0, 1000.0)}
    code, _, err = cli(capsys, "fit", "x.csv", "--prior", "applicants.count.high")
    assert code == 2 and "--prior applicants.count.high: expected KEY=LOW:HIGH" in err


def test_exclude_leaves_the_flagged_requisitions_out(messy_frame) -> None:
    from simfunnel.analysis.fit_flags import exclude_requisitions, flagged_requisitions
    from simfunnel.io.ats import check_frame

    data = check_frame(messy_frame)
    ids = list(messy_frame.loc[list(OUTLIERS), "requisition_id"])
    kept = exclude_requisitions(data, ids)
    assert kept.requisitions == data.requisitions - len(OUTLIERS)
    assert flagged_requisitions(kept).empty
    with pytest.raises(sf.InputError, match="--exclude 'REQ-99999': no requisition_id"):
        exclude_requisitions(data, ["REQ-99999"])


def test_dates_in_another_format(outside: Path) -> None:
    import pandas as pd

    frame = pd.read_csv(ROOT / "examples" / "ats_export.csv", dtype=str)
    iso = sf.read_ats(ROOT / "examples" / "ats_export.csv")
    for column in ("posted", "closed"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%d/%m/%Y")
    frame.to_csv(outside / "export.csv", index=False)
    with pytest.raises(sf.InputError) as info:
        sf.read_ats(outside / "export.csv")
    assert "row 2, column posted" in str(info.value) and "--date-format %d/%m/%Y" in str(info.value)
    european = sf.read_ats(outside / "export.csv", date_format="%d/%m/%Y")
    assert european.frame["posted"].equals(iso.frame["posted"])
    assert european.frame["closed"].equals(iso.frame["closed"])


def test_open_requisitions_are_censored_not_refused(messy_frame) -> None:
    from simfunnel.analysis.fit_flags import flagged_requisitions
    from simfunnel.io.ats import check_frame

    frame = messy_frame.copy()
    frame.loc[[3, 4], "cancelled"] = ""  # still open: no outcome yet
    frame.loc[5, "cancelled"] = "open"
    frame.loc[[3, 4, 5], ["closed", "offers", "hires", "internal_hires"]] = None
    data = check_frame(frame)
    ids = list(frame.loc[[3, 4, 5], "requisition_id"])
    assert list(data.open) == ids
    rows = data.frame.loc[[3, 4, 5]]
    assert rows[["offers", "hires", "cancelled"]].isna().all().all()  # outcome left out
    assert rows["applicants"].notna().all()  # what they show is used
    open_flags = flagged_requisitions(data).query("kind == 'open'")
    assert list(open_flags["requisition_id"]) == ids
    # A closed requisition still needs its outcome.
    frame.loc[6, "cancelled"] = ""
    with pytest.raises(sf.InputError, match="row 8, column cancelled: missing"):
        check_frame(frame)


def test_two_or_more_internals_are_flagged_not_absorbed(messy_frame) -> None:
    from simfunnel.analysis.fit_flags import flagged_requisitions
    from simfunnel.io.ats import check_frame

    frame = messy_frame.copy()
    row = frame.index[frame["interviewed"].astype(int) >= 3][0]
    frame.loc[row, "internal_interviewed"] = "2"
    flags = flagged_requisitions(check_frame(frame)).query("kind == 'internals'")
    assert list(flags["requisition_id"]) == [frame.loc[row, "requisition_id"]]
    assert "at most one internal contender" in flags["problem"].iloc[0]


def test_the_fit_needs_fifty_requisitions_and_says_so(messy_frame) -> None:
    from simfunnel.io.ats import MIN_REQUISITIONS, check_frame

    assert MIN_REQUISITIONS == 50
    with pytest.raises(sf.InputError, match="49 requisition rows; the fit needs at least 50"):
        check_frame(messy_frame.head(49))
    howto = " ".join((ROOT / "docs" / "howto" / "fit.md").read_text().split())
    assert "The fit needs at least 50 requisitions" in howto


def test_fit_flags_from_the_command_line_fail_fast_and_clearly(outside: Path, capsys) -> None:
    import pandas as pd

    frame = pd.read_csv(ROOT / "examples" / "ats_export.csv", dtype=str)
    for column in ("posted", "closed"):
        frame[column] = pd.to_datetime(frame[column]).dt.strftime("%d/%m/%Y")
    frame.to_csv(outside / "export.csv", index=False)
    code, _, err = cli(capsys, "fit", "export.csv")
    assert code == 2 and "give --date-format %d/%m/%Y" in err
    # With the format the dates read; an id that is not in the export is refused before
    # anything is simulated, and nothing is written.
    code, _, err = cli(capsys, "fit", "export.csv", "--date-format", "%d/%m/%Y",
                       "--exclude", "REQ-00001,NOPE")  # fmt: skip
    assert code == 2 and "--exclude 'NOPE': no requisition_id of export.csv" in err
    assert not list(outside.glob("results/*"))
