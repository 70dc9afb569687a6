"""Per-application exports: export (each system's shape) -> import gives back the simulated
requisitions row for row; bad input is one line naming file, table, row and column; no
name, e-mail or note reaches an output; import -> fit -> run works."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis.application_export import (
    STAGE_MAP,
    expected_requisitions,
    simulate_export,
)
from simfunnel.analysis.requisitions import synthetic_export
from simfunnel.cli import main
from simfunnel.io import applications as apps_io
from simfunnel.io.applications import read_applications
from simfunnel.io.vendors import EXPORT_FORMATS, write_raw

SEED = 11
REQUISITIONS = 30  # small: the fit itself (50 at least) is in the slow test
SMALL = {"applicants.count": {"low": 10, "high": 20}}
PERSONAL = ("Testname", "Surname", "example.invalid", "Private note", "Interviewer")


@pytest.fixture(scope="module")
def scenario(baseline: sf.Scenario) -> sf.Scenario:
    return baseline.with_overrides(SMALL)


@pytest.fixture(scope="module")
def simulated(scenario):
    return simulate_export(scenario, REQUISITIONS, SEED)


def _format(export_format: str) -> str:
    return export_format.split("-")[0]


@pytest.fixture(scope="module")
def exports(simulated, tmp_path_factory) -> dict[str, Path]:
    raw, _ = simulated
    root = tmp_path_factory.mktemp("exports")
    return {f: (write_raw(raw, f, root / f), root / f)[1] for f in EXPORT_FORMATS}


@pytest.fixture(scope="module")
def imported(exports) -> dict:
    """Each export read once (every test below reads these)."""
    return {f: read_applications(folder, _format(f)) for f, folder in exports.items()}


def test_the_simulated_export_has_the_example_exports_requisitions(scenario, simulated) -> None:
    """The per-application export's expected table is the requisition export the fit was
    built on (synthetic_export, an independent code path), same seed, same rows."""
    raw, arrays = simulated
    expected = expected_requisitions(raw, arrays).drop(columns="requisition_id")
    example = synthetic_export(scenario, REQUISITIONS, SEED).drop(columns="requisition_id")
    pd.testing.assert_frame_equal(expected.reset_index(drop=True), example, check_dtype=False)


@pytest.mark.parametrize("export_format", EXPORT_FORMATS)
def test_import_gives_back_every_simulated_requisition(
    export_format, simulated, imported, exports, tmp_path
) -> None:
    raw, arrays = simulated
    imported = imported[export_format]
    got = imported.requisition_frame().astype(str).reset_index(drop=True)
    want = expected_requisitions(raw, arrays).astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    assert imported.dropped.empty
    table = imported.applications
    assert len(table) == len(raw.applications)
    assert table["milestone"].isin(apps_io.MILESTONES).all()
    # Counts never grow down the funnel; a hire is an accepted offer.
    assert (table["accepted"] <= table["offered"]).all()
    if export_format != "workable":  # Workable's candidate list has no scorecards
        rounds = [c for c in table if c.startswith("score_")]
        assert len(rounds) == 3  # the baseline's interview.rounds
        scored = table[rounds[0]].notna()
        assert (table.loc[scored, "milestone"].cat.codes >= 2).all()
    if export_format == "csv":  # the one format with an HRIS rating of the hires
        assert table["performance"].notna().sum() == table["accepted"].sum()
        assert table.loc[table["performance"].notna(), "accepted"].all()
    # No name, e-mail or note reaches an output (the fixture holds them: this can fail).
    written = imported.save(tmp_path / export_format)
    text = "".join(p.read_text() for p in written) + imported.summary()
    assert not [w for w in PERSONAL if w in text]
    assert "Testname" in "".join(p.read_text() for p in Path(exports[export_format]).iterdir())


def test_round_scores_correlate_as_the_model_says(scenario, imported) -> None:
    """Two rounds' verdicts correlate through presence; the latent correlation of two
    rounds is (1 + s sigma^2) / (1 + sigma^2) among all externals (MODEL.md 1.5). Among
    interviewees (selected on the screen) it is lower, and coarse 4-point verdicts lower
    it further, so the check is an ordering: positive, below the latent value."""
    table = imported["greenhouse"].applications
    scored = table.dropna(subset=["score_1", "score_2"])
    r = np.corrcoef(scored["score_1"], scored["score_2"])[0, 1]
    validity = scenario.interview.validity
    sigma2 = (1 - validity**2) / validity**2
    s = scenario.interview.presence_share
    latent = (1 + s * sigma2) / (1 + sigma2)
    se = 1 / np.sqrt(len(scored))
    assert r - 3 * se > 0 and r < latent + 3 * se


def test_the_fixtures_use_each_systems_field_names(exports) -> None:
    greenhouse = json.loads((exports["greenhouse"] / "applications.json").read_text())[0]
    assert {"applied_at", "rejection_reason", "current_stage", "status"} <= set(greenhouse)
    lever = json.loads((exports["lever"] / "opportunities.json").read_text())["data"][0]
    assert {"stageChanges", "archived", "origin", "createdAt"} <= set(lever)
    assert isinstance(lever["createdAt"], int)  # epoch milliseconds
    ashby = json.loads((exports["ashby"] / "applications.json").read_text())["results"][0]
    assert {"applicationHistory", "currentInterviewStage", "archiveReason"} <= set(ashby)
    workable = json.loads((exports["workable"] / "candidates.json").read_text())["candidates"][0]
    assert {"disqualified", "disqualification_reason", "hired_at", "stage"} <= set(workable)


# --- what gets dropped, counted and reported ---


def _greenhouse(folder: Path) -> tuple[list, list, list]:
    return tuple(
        json.loads((folder / f"{t}.json").read_text()) for t in ("applications", "jobs", "offers")
    )


def _copy(folder: Path, tmp_path: Path, edit) -> Path:
    target = tmp_path / "edited"
    target.mkdir()
    for file in folder.iterdir():
        (target / file.name).write_text(file.read_text())
    applications, jobs, offers = _greenhouse(target)
    edit(applications, jobs, offers)
    for name, data in (("applications", applications), ("jobs", jobs), ("offers", offers)):
        (target / f"{name}.json").write_text(json.dumps(data))
    return target


def test_duplicates_prospects_test_and_open_jobs_are_dropped_and_counted(exports, tmp_path):
    def edit(applications, jobs, offers):
        applications.append(dict(applications[0]))  # a duplicate row
        applications.append({**applications[1], "id": "P-1", "prospect": True})
        jobs[0]["name"] = "TEST - do not apply"
        jobs[1]["status"] = "open"

    imported = read_applications(_copy(exports["greenhouse"], tmp_path, edit), "greenhouse")
    dropped = dict(zip(imported.dropped["reason"], imported.dropped["rows"], strict=False))
    assert dropped["duplicate application ids (the first kept)"] == 1
    assert dropped["prospects (never applied)"] == 1
    assert dropped["test jobs"] == 1
    assert dropped["jobs still open, on hold or draft (not finished)"] == 1
    assert len(imported.requisitions.frame) == REQUISITIONS - 2
    assert "test jobs" in imported.summary()


# --- bad input: one line naming file, table, row, column ---


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda a, j, o: a[2]["jobs"][0].update(id="NOPE"),
            "applications.json: table applications, row 3, column requisition_id: "
            "application to an unknown job 'NOPE'",
        ),
        (
            lambda a, j, o: o[0].update(application_id="NOBODY"),
            "offers.json: table offers, row 1, column application_id: offer for an unknown "
            "application 'NOBODY'",
        ),
        (
            lambda a, j, o: a[0].update(rejected_at="2001-01-01T00:00:00Z"),
            "applications.json: table applications, row 1, column rejected_at: time runs "
            "backwards: rejected before it applied",
        ),
        (
            lambda a, j, o: j[0].update(closed_at="2001-01-01T00:00:00Z"),
            "jobs.json: table jobs, row 1, column closed: time runs backwards",
        ),
        (
            lambda a, j, o: a[0].update(status="maybe"),
            "applications.json: table applications, row 1, column status: 'maybe' is not one "
            "of active, rejected, hired",
        ),
        (
            lambda a, j, o: a[0].update(applied_at="yesterday"),
            "applications.json: table applications, row 1, column applied_at: not an ISO date",
        ),
    ],
)
def test_bad_rows_are_one_line_naming_file_table_row_and_column(
    exports, tmp_path, edit, expected
) -> None:
    folder = _copy(exports["greenhouse"], tmp_path, edit)
    with pytest.raises(sf.InputError) as error:
        read_applications(folder, "greenhouse")
    message = str(error.value)
    assert expected in message and "\n" not in message


def test_more_hires_than_openings_is_refused(exports, tmp_path) -> None:
    def edit(applications, jobs, offers):
        hired = next(a for a in applications if a["status"] == "hired")
        job = next(j for j in jobs if j["id"] == hired["jobs"][0]["id"])
        extra = next(
            a for a in applications if a["jobs"][0]["id"] == job["id"] and a["status"] != "hired"
        )
        extra.update(status="hired", rejected_at=None, rejection_reason=None)
        job["openings"] = job["openings"][:1]
        job.setdefault("name", "x")
        offers.append(
            {
                **next(o for o in offers if o["application_id"] == hired["id"]),
                "application_id": extra["id"],
            }
        )

    folder = _copy(exports["greenhouse"], tmp_path, edit)
    with pytest.raises(
        sf.InputError,
        match=r"table jobs, row \d+, column openings: requisition "
        r"'JOB-\d+' has 2 hires for 1 opening",
    ):
        read_applications(folder, "greenhouse")


def test_an_unplaced_stage_or_reason_is_named_with_the_known_ones(exports) -> None:
    partial = {
        "stages": {k: v for k, v in STAGE_MAP["stages"].items() if k != "Phone Screen"},
        "reasons": STAGE_MAP["reasons"],
    }
    with pytest.raises(sf.InputError) as error:
        read_applications(exports["lever"], "lever", stage_map=partial)
    message = str(error.value)
    assert "stage 'Phone Screen' is not in the stage map" in message
    assert "'Application Review'" in message and "applied, screened, interviewed" in message
    assert "opportunities.json: table opportunities, row" in message
    no_reasons = {"stages": STAGE_MAP["stages"], "reasons": {"Withdrew": "withdrew"}}
    with pytest.raises(
        sf.InputError,
        match="reason 'Lacking skills' is not in the stage map "
        r"\(it places 'Withdrew'\); add it with one of another_candidate",
    ):
        read_applications(exports["lever"], "lever", stage_map=no_reasons)


def test_suggest_places_the_usual_names_and_lists_the_rest(simulated) -> None:
    raw, _ = simulated
    raw = apps_io.RawExport(
        raw.jobs,
        raw.applications.assign(stage=raw.applications["stage"].replace("Phone Screen", "Zebra")),
        raw.history.assign(stage=raw.history["stage"].replace("Phone Screen", "Zebra")),
        raw.offers,
        raw.scores,
    )
    proposed, stages, reasons = apps_io.suggest(raw)
    assert stages == ["Zebra"] and reasons == []
    assert proposed.stages == {k: v for k, v in STAGE_MAP["stages"].items() if k != "Phone Screen"}
    assert proposed.reasons == STAGE_MAP["reasons"]
    with pytest.raises(sf.InputError, match=r"cannot place 1 stage name\(s\) \('Zebra'\)"):
        apps_io.normalise(raw)


def test_a_file_over_the_limit_is_refused_before_reading(exports, monkeypatch) -> None:
    from simfunnel.io.vendors import common

    monkeypatch.setattr(common, "MAX_BYTES", 1000)
    monkeypatch.setattr(common.check_size, "__defaults__", (1000,))
    with pytest.raises(sf.InputError, match=r"opportunities.json: too big"):
        read_applications(exports["lever"], "lever")


def test_cli_bad_input_is_one_line_and_exit_2(exports, tmp_path, capsys) -> None:
    folder = tmp_path / "broken"
    folder.mkdir()
    (folder / "opportunities.json").write_text("{not json")
    code = main(["import", str(folder), "--format", "lever", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "opportunities.json: not JSON" in err


def test_cli_suggest_prints_a_stage_map_the_import_reads(exports, tmp_path, capsys) -> None:
    assert main(["import", str(exports["ashby"]), "--format", "ashby", "--suggest"]) == 0
    proposed = tmp_path / "stage_map.yaml"
    proposed.write_text(capsys.readouterr().out)
    out = tmp_path / "imported"
    code = main(
        [
            "import",
            str(exports["ashby"]),
            "--format",
            "ashby",
            "--stage-map",
            str(proposed),
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    frame = pd.read_csv(out / "requisitions.csv")
    assert len(frame) == REQUISITIONS
    assert set(pd.read_csv(out / "applications.csv").columns) >= set(apps_io.APPLICATION_TABLE)


@pytest.mark.slow
def test_export_import_fit_run(tmp_path, capsys) -> None:
    """The whole path on the command line: export -> import -> fit -> run fitted.yaml."""
    export, imported, fitted = tmp_path / "export", tmp_path / "imported", tmp_path / "fit"
    overrides = ["--set", "applicants.count.low=10", "--set", "applicants.count.high=20"]
    assert (
        main(
            [
                "export",
                "--format",
                "greenhouse-warehouse",
                "--requisitions",
                "60",
                "--seed",
                "3",
                *overrides,
                "--out",
                str(export),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(["import", str(export), "--format", "greenhouse", "--out", str(imported), "--quiet"])
        == 0
    )
    data = sf.read_ats(imported / "requisitions.csv")
    scenario = sf.load_scenario(export / "scenario.yaml")
    quick = sf.FitSettings(replicates=10, draws=60, checks=20, max_iterations=4, min_simulated=3000)
    result = sf.fit(
        data,
        scenario,
        ["offers.decline_probability", "internal.probability"],
        seed=1,
        settings=quick,
    )
    fitted.mkdir()
    result.save(fitted)
    run = tmp_path / "run"
    assert (
        main(
            [
                "run",
                str(fitted / "fitted.yaml"),
                "--openings",
                "300",
                "--out",
                str(run),
                "--formats",
                "none",
            ]
        )
        == 0
    )
    assert "Wrote" in capsys.readouterr().out and (run / "summary.csv").is_file()
    # The application table on top: validity, presence share, risk aversion; then run that.
    applications = tmp_path / "applications_fit"
    argv = ["fit-applications", str(imported / "applications.csv"), "--scenario",
            str(fitted / "fitted.yaml"), "--draws", "20", "--out", str(applications)]  # fmt: skip
    assert main([*argv, "--quiet"]) == 0
    assert set(pd.read_csv(applications / "application_fit.csv")["parameter"]) == {
        "interview.validity", "interview.presence_share", "manager.risk_aversion"}  # fmt: skip
    assert main(["run", str(applications / "fitted.yaml"), "--openings", "300", "--out",
                 str(tmp_path / "run2"), "--formats", "none", "--quiet"]) == 0  # fmt: skip
    table = result.to_df().set_index("parameter")
    truth = scenario.offers.decline_probability
    row = table.loc["offers.decline_probability"]
    # 60 requisitions, ~90 offers: the 90% interval, widened by a bootstrap of 60 draws'
    # own noise, holds the truth the export was simulated from.
    assert row["q05"] - 0.05 <= truth <= row["q95"] + 0.05


def test_recorded_reasons_beside_the_models_attribution(scenario, imported) -> None:
    """The simulated export records a withdrawal or a cancellation exactly when the model
    says so (and every other loss as 'Hired another candidate'), so the recorded and the
    attributed shares of those two must agree within sampling error: the import reads back
    what the model attributes. Culture mirror is recorded as 'another candidate' there:
    the recorded label hides it, and the chart shows it."""
    import matplotlib.pyplot as plt

    from simfunnel.analysis.outputs.recorded_reasons import RecordedReasons

    run = sf.simulate(scenario, openings=3000, seed=5)
    output = RecordedReasons.from_data(imported["greenhouse"].applications, run)
    table = output.to_df().set_index("category")
    assert table["recorded"].sum() == pytest.approx(1.0)
    assert table["model"].sum() == pytest.approx(1.0, abs=1e-9)  # Shapley shares add up
    for category in ("withdrew", "cancelled", "another_candidate"):
        if category not in table.index:
            continue
        p = table.loc[category, "model"]
        se = np.sqrt(max(p * (1 - p), 0.01) / output.losses) + 0.02  # + the model run's own
        hidden = table["model"].get("culture_fit", 0.0) if category == "another_candidate" else 0
        assert abs(table.loc[category, "recorded"] - p - hidden) < 3 * se, category
    assert "not counterfactuals" in output.note
    ax = output.plot()
    assert [t.get_text() for t in ax.get_yticklabels()] == list(table["label"])
    plt.close("all")


def test_an_application_table_that_is_not_ours_is_one_line(tmp_path) -> None:
    from simfunnel.io.applications import read_application_table

    path = tmp_path / "applications.csv"
    header = "requisition_id,application_id,internal,milestone,offered,accepted\n"
    rows = "R1,A1,False,interviewed,False,False\nR1,A2,False,phoned,False,False\n"
    path.write_text(header + rows)
    with pytest.raises(sf.InputError, match=r"applications.csv: row 3, column milestone: "
                       r"'phoned' is not one of applied, screened"):  # fmt: skip
        read_application_table(path)
    path.write_text("requisition_id,application_id\nR1,A1\n")
    with pytest.raises(sf.InputError, match="missing column internal"):
        read_application_table(path)


def test_only_the_latest_offer_version_counts_and_deprecated_ones_were_never_made(
    exports, tmp_path
) -> None:
    def edit(applications, jobs, offers):
        declined = next(o for o in offers if o["status"] == "rejected")
        declined["status"] = "deprecated"  # its only version was withdrawn before sending
        accepted = next(o for o in offers if o["status"] == "accepted")
        offers.append({**accepted, "id": "O-old", "version": 0, "status": "rejected"})
        edit.ids = declined["application_id"], accepted["application_id"]

    folder = _copy(exports["greenhouse"], tmp_path, edit)
    table = read_applications(folder, "greenhouse").applications.set_index("application_id")
    never, hired = edit.ids
    assert not table.loc[never, "offered"]
    assert table.loc[hired, "accepted"] and table.loc[hired, "milestone"] == "hired"


def _edited(folder: Path, tmp_path: Path, name: str, edit) -> Path:
    """A copy of an export folder with one JSON (or text) file edited."""
    target = tmp_path / f"edited_{folder.name}"
    target.mkdir()
    for file in folder.iterdir():
        (target / file.name).write_text(file.read_text())
    path = target / name
    if name.endswith(".json"):
        path.write_text(json.dumps(edit(json.loads(path.read_text()))))
    else:
        path.write_text(edit(path.read_text()))
    return target


def _set(data, key, item, **changes):
    data[key][item].update(changes)
    return data


@pytest.mark.parametrize(
    ("export_format", "name", "edit", "expected"),
    [
        (
            "lever",
            "opportunities.json",
            lambda d: _set(d, "data", 1, stage="stage-99"),
            "opportunities.json: table opportunities, row 2, column stage: no stage 'stage-99' "
            "in stages.json",
        ),
        (
            "lever",
            "opportunities.json",
            lambda d: _set(d, "data", 0, origin="telepathy"),
            "table opportunities, row 1, column origin: 'telepathy' is not one of applied",
        ),
        (
            "ashby",
            "applications.json",
            lambda d: _set(d, "results", 2, status="Pondering"),
            "applications.json: table applications, row 3, column status: 'Pondering' is not "
            "one of Active, Hired, Archived, Lead",
        ),
        (
            "ashby",
            "offers.json",
            lambda d: _set(d, "results", 0, applicationId="ghost"),
            "offers.json: table offers, row 1, column application_id: offer for an unknown "
            "application 'ghost'",
        ),
        (
            "workable",
            "jobs.json",
            lambda d: _set(d, "jobs", 0, state="paused"),
            "jobs.json: table jobs, row 1, column state: 'paused' is not one of draft",
        ),
        (
            "workable",
            "candidates.json",
            lambda d: _set(d, "candidates", 0, created_at="31/02/2025"),
            "candidates.json: table candidates, row 1, column applied_at: not an ISO date",
        ),
        (
            "csv",
            "mapping.yaml",
            lambda t: t.replace('"Job ID": requisition_id', '"Job ID": job_identifier'),
            "mapping.yaml: columns.Job ID: 'job_identifier' is not one of requisition_id",
        ),
        (
            "csv",
            "mapping.yaml",
            lambda t: t.replace('"Job ID": requisition_id', '"Req": requisition_id'),
            "applications.csv: missing column requisition_id (mapped from 'Req')",
        ),
        (
            "csv",
            "mapping.yaml",
            lambda t: t.replace("%d/%m/%Y %H:%M", "%Y-%m-%d"),
            "applications.csv: table applications, row 2, column applied_at: not a date like "
            "%Y-%m-%d",
        ),
    ],
)
def test_each_formats_bad_input_is_one_line(
    exports, tmp_path, export_format, name, edit, expected
) -> None:
    folder = _edited(exports[export_format], tmp_path, name, edit)
    with pytest.raises(sf.InputError) as error:
        read_applications(folder, export_format)
    message = str(error.value)
    assert expected in message and "\n" not in message
    assert "Testname" not in message and "example.invalid" not in message


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_the_generic_table_reads_xlsx_and_parquet_alike(exports, imported, tmp_path, suffix):
    pytest.importorskip("openpyxl" if suffix == ".xlsx" else "pyarrow")
    frame = pd.read_csv(exports["csv"] / "applications.csv", dtype=str)
    path = tmp_path / f"applications{suffix}"
    if suffix == ".xlsx":
        frame.to_excel(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    again = read_applications(path, "csv", mapping=exports["csv"] / "mapping.yaml")
    pd.testing.assert_frame_equal(
        again.requisition_frame(), imported["csv"].requisition_frame(), check_dtype=False
    )
