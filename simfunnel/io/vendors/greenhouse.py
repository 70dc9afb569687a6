"""Greenhouse: Harvest API objects as JSON, or the same data as warehouse CSV tables.

Field names from Greenhouse's public Harvest documentation:

- **application**: ``id``, ``candidate_id``, ``prospect``, ``applied_at``,
  ``rejected_at``, ``status`` (active / rejected / hired), ``current_stage.name``,
  ``source.public_name``, ``jobs[].id``, ``rejection_reason.name`` and its
  ``rejection_reason.type.name`` ("We rejected them" / "They rejected us");
- **job**: ``id``, ``name``, ``status`` (open / closed / draft), ``opened_at``,
  ``closed_at``, ``openings[]`` (``opened_at``, ``closed_at``, the hired
  ``application_id``, ``close_reason``);
- **offer**: ``application_id``, ``version`` (only the latest counts), ``status``
  (unresolved / accepted / rejected / deprecated), ``created_at``, ``resolved_at``;
- **scorecard**: ``application_id``, ``interview_step.name`` (the round),
  ``interviewed_at``, ``overall_recommendation`` (definitely_not / no / yes /
  strong_yes / no_decision, read as 1-4 and missing);
- **candidate** (optional): ``linked_user_ids`` non-empty marks an internal applicant.
  Names, e-mails, notes and attachments are never read into the tables.

JSON: a folder with ``applications.json``, ``jobs.json`` and optionally
``offers.json``, ``scorecards.json``, ``candidates.json`` (each a list, as Harvest
returns a page), or one ``.json`` file holding those lists under those keys.
Warehouse: a folder of CSV tables ``application``, ``application_history``, ``job``,
``job_opening``, ``job_stage``, ``scorecard``, ``offer``, ``source`` and optionally
``candidate`` (``id``, ``linked_user_id``); ``eeoc`` is never read.
Greenhouse has no on-hold status: a job is open, closed or draft.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.applications import RawExport, raw_table
from simfunnel.io.vendors.common import (
    dump_json,
    find,
    flag,
    get,
    is_test_job,
    iso,
    json_tables,
    label,
    origin_of,
    read_csv,
    records,
    where,
    write_csv,
)

VERDICTS = {"definitely_not": 1, "no": 2, "yes": 3, "strong_yes": 4, "no_decision": None}
REASON_TYPES = {"we rejected them": "we_rejected", "they rejected us": "they_rejected"}
SOURCE_NAMES = {
    "applied": ("LinkedIn", "Job Boards"),
    "referral": ("Referral", "Referrals"),
    "internal": ("Internal Applicant", "Internal"),
    "sourced": ("LinkedIn (Prospecting)", "Prospecting"),
    "agency": ("Agency", "Agencies"),
}
TABLES = ("applications", "jobs", "offers", "scorecards", "candidates")


def read(path: str | Path) -> RawExport:
    """Read a Greenhouse export: JSON (a folder or one file) or warehouse CSV tables."""
    path = Path(path)
    if path.is_dir() and (path / "application.csv").is_file():
        return read_warehouse(path)
    return read_json(path)


def _json_tables(path: Path) -> dict[str, tuple[Path, list[dict]]]:
    return json_tables(path, TABLES)


def read_json(path: str | Path) -> RawExport:
    tables = _json_tables(Path(path))
    internal_candidates = set()
    if "candidates" in tables:
        for item in tables["candidates"][1]:
            if get(item, "linked_user_ids"):
                internal_candidates.add(str(get(item, "id")))
    file, items = tables["applications"]
    apps = []
    for item in items:
        jobs = get(item, "jobs", [])
        reason_type = str(get(item, "rejection_reason.type.name", "")).casefold()
        source = get(item, "source.public_name")
        apps.append(
            {
                "application_id": _id(get(item, "id")),
                "requisition_id": _id(get(jobs[0], "id")) if jobs else None,
                "origin": origin_of(source, str(get(item, "candidate_id")) in internal_candidates),
                "prospect": flag(get(item, "prospect")),
                "stage": get(item, "current_stage.name"),
                "status": get(item, "status"),
                "reason": get(item, "rejection_reason.name"),
                "reason_type": REASON_TYPES.get(reason_type),
                "applied_at": get(item, "applied_at"),
                "rejected_at": get(item, "rejected_at"),
                "hired_at": None,
            }
        )
    applications = raw_table("applications", apps, where(file, "applications", len(apps)))
    file, items = tables["jobs"]
    jobs = [_job(item) for item in items]
    jobs_frame = raw_table("jobs", jobs, where(file, "jobs", len(jobs)))
    offers, scores = raw_table("offers", [], []), raw_table("scores", [], [])
    if "offers" in tables:
        file, items = tables["offers"]
        rows = [
            {
                "application_id": _id(get(o, "application_id")),
                "version": get(o, "version", 1),
                "status": get(o, "status"),
                "created_at": get(o, "created_at"),
                "resolved_at": get(o, "resolved_at"),
            }
            for o in items
        ]
        offers = raw_table("offers", rows, where(file, "offers", len(rows)))
    if "scorecards" in tables:
        file, items = tables["scorecards"]
        rows = [
            {
                "application_id": _id(get(s, "application_id")),
                "round": get(s, "interview_step.name") or get(s, "interview"),
                "interviewed_at": get(s, "interviewed_at"),
                "score": _verdict(get(s, "overall_recommendation"), file, n + 1),
            }
            for n, s in enumerate(items)
        ]
        scores = raw_table("scores", rows, where(file, "scorecards", len(rows)))
    return RawExport(
        jobs_frame, applications, offers=offers, scores=scores, source=label(Path(path))
    )


def _id(value) -> str | None:
    return None if value is None else str(value)


def _verdict(value, file: Path, row: int) -> int | None:
    if value is None:
        return None
    key = str(value).strip().casefold()
    if key not in VERDICTS:
        raise InputError(
            f"{label(file)}: table scorecards, row {row}, column overall_recommendation: "
            f"{value!r:.30} is not one of {', '.join(VERDICTS)}"
        )
    return VERDICTS[key]


def _job(item: dict) -> dict:
    openings = get(item, "openings", [])
    opened = [get(o, "opened_at") for o in openings if get(o, "opened_at")]
    closed = [get(o, "closed_at") for o in openings if get(o, "closed_at")]
    return {
        "requisition_id": _id(get(item, "id")),
        "openings": max(len(openings), 1),
        "posted": get(item, "opened_at") or (min(opened) if opened else None),
        "closed": get(item, "closed_at") or (max(closed) if closed else None),
        "status": str(get(item, "status", "")).casefold() or None,
        "paused_days": None,
        "test": is_test_job(get(item, "name")),
    }


def read_warehouse(directory: str | Path) -> RawExport:
    """The warehouse tables (CSV per table, as data-sync tools write them)."""
    directory = Path(directory)
    application = read_csv(
        directory / "application.csv",
        "application",
        ("id", "job_id", "status", "applied_at"),
        (
            "candidate_id",
            "prospect",
            "source_id",
            "rejected_at",
            "current_stage_id",
            "rejection_reason",
            "rejection_reason_type",
        ),
    )
    stage = read_csv(find(directory, ("job_stage.csv",)), "job_stage", ("id", "name"))
    stage_names = dict(zip(stage["id"], stage["name"], strict=False))
    source_file = find(directory, ("source.csv",), required=False)
    sources = {}
    if source_file:
        source = read_csv(source_file, "source", ("id",), ("name", "type"))
        sources = {
            i: f"{n or ''} {t or ''}"
            for i, n, t in zip(source["id"], source["name"], source["type"], strict=False)
        }
    internal = set()
    candidate_file = find(directory, ("candidate.csv",), required=False)
    if candidate_file:
        candidate = read_csv(candidate_file, "candidate", ("id",), ("linked_user_id",))
        internal = set(candidate.loc[candidate["linked_user_id"].notna(), "id"])
    unknown_stage = application["current_stage_id"].notna() & ~application["current_stage_id"].isin(
        stage_names
    )
    if unknown_stage.any():
        i = unknown_stage.index[unknown_stage][0]
        raise InputError(
            f"{application['_at'][i]}, column current_stage_id: no stage "
            f"{application['current_stage_id'][i]!r:.30} in table job_stage"
        )
    apps = pd.DataFrame(
        {
            "application_id": application["id"],
            "requisition_id": application["job_id"],
            "origin": [
                origin_of(sources.get(s), c in internal)
                for s, c in zip(application["source_id"], application["candidate_id"], strict=False)
            ],
            "prospect": application["prospect"].map(flag),
            "stage": application["current_stage_id"].map(stage_names),
            "status": application["status"].str.strip().str.casefold(),
            "reason": application["rejection_reason"],
            "reason_type": application["rejection_reason_type"]
            .str.strip()
            .str.casefold()
            .map(REASON_TYPES),
            "applied_at": application["applied_at"],
            "rejected_at": application["rejected_at"],
            "hired_at": None,
        }
    )
    applications = raw_table("applications", apps.to_dict("records"), list(application["_at"]))
    job = read_csv(
        find(directory, ("job.csv",)), "job", ("id",), ("name", "status", "opened_at", "closed_at")
    )
    opening_file = find(directory, ("job_opening.csv",), required=False)
    counts, opened, closed = {}, {}, {}
    if opening_file:
        opening = read_csv(opening_file, "job_opening", ("job_id",), ("opened_at", "closed_at"))
        counts = opening.groupby("job_id").size().to_dict()
        opened = opening.groupby("job_id")["opened_at"].min().to_dict()
        closed = opening.groupby("job_id")["closed_at"].max().to_dict()
    jobs = [
        {
            "requisition_id": j,
            "openings": int(counts.get(j, 1)),
            "posted": o if isinstance(o, str) else opened.get(j),
            "closed": c if isinstance(c, str) else closed.get(j),
            "status": str(s).strip().casefold() if isinstance(s, str) else None,
            "paused_days": None,
            "test": is_test_job(n),
        }
        for j, n, s, o, c in zip(
            job["id"], job["name"], job["status"], job["opened_at"], job["closed_at"], strict=False
        )
    ]
    jobs_frame = raw_table("jobs", jobs, list(job["_at"]))
    history = raw_table("history", [], [])
    history_file = find(directory, ("application_history.csv",), required=False)
    if history_file:
        h = read_csv(
            history_file, "application_history", ("application_id", "stage_id", "entered_at")
        )
        rows = pd.DataFrame(
            {
                "application_id": h["application_id"],
                "stage": h["stage_id"].map(stage_names),
                "entered_at": h["entered_at"],
            }
        )
        history = raw_table("history", rows.to_dict("records"), list(h["_at"]))
    offers = raw_table("offers", [], [])
    offer_file = find(directory, ("offer.csv",), required=False)
    if offer_file:
        o = read_csv(
            offer_file,
            "offer",
            ("application_id", "status"),
            ("version", "created_at", "resolved_at"),
        )
        rows = pd.DataFrame(
            {
                "application_id": o["application_id"],
                "version": pd.to_numeric(o["version"], errors="coerce").fillna(1),
                "status": o["status"].str.strip().str.casefold(),
                "created_at": o["created_at"],
                "resolved_at": o["resolved_at"],
            }
        )
        offers = raw_table("offers", rows.to_dict("records"), list(o["_at"]))
    scores = raw_table("scores", [], [])
    scorecard_file = find(directory, ("scorecard.csv",), required=False)
    if scorecard_file:
        s = read_csv(
            scorecard_file,
            "scorecard",
            ("application_id", "overall_recommendation"),
            ("interview", "interviewed_at"),
        )
        rows = pd.DataFrame(
            {
                "application_id": s["application_id"],
                "round": s["interview"],
                "interviewed_at": s["interviewed_at"],
                "score": [
                    _verdict(v, scorecard_file, n + 1)
                    for n, v in enumerate(s["overall_recommendation"])
                ],
            }
        )
        scores = raw_table("scores", rows.to_dict("records"), list(s["_at"]))
    return RawExport(jobs_frame, applications, history, offers, scores, label(directory))


# --- writing: a simulated export in Greenhouse's shape (fixtures; `simfunnel export`) ---

_VERDICT_NAMES = {v: k for k, v in VERDICTS.items() if v is not None}
_TYPE_NAMES = {"we_rejected": (1, "We rejected them"), "they_rejected": (2, "They rejected us")}


def _fake_person(n: int) -> dict:
    """Invented names and e-mails, so that tests can check none reaches an output."""
    return {
        "first_name": f"Testname{n}",
        "last_name": f"Surname{n}",
        "email_addresses": [{"value": f"person{n}@example.invalid", "type": "personal"}],
    }


def write_json(raw: RawExport, directory: str | Path) -> list[Path]:
    """Harvest-shaped JSON files in ``directory`` (one list per endpoint)."""
    directory = Path(directory)
    apps = records(raw.applications)
    hired_by_job: dict[str, list[str]] = {}
    for a in apps:
        if a["status"] == "hired":
            hired_by_job.setdefault(a["requisition_id"], []).append(a["application_id"])
    applications, candidates = [], []
    for n, a in enumerate(apps, start=1):
        candidate = f"C{n}"
        candidates.append(
            {
                "id": candidate,
                **_fake_person(n),
                "linked_user_ids": [f"U{n}"] if a["origin"] == "internal" else [],
            }
        )
        kind = _TYPE_NAMES.get(a["reason_type"])
        applications.append(
            {
                "id": a["application_id"],
                "candidate_id": candidate,
                "prospect": bool(a["prospect"]),
                "applied_at": iso(a["applied_at"]),
                "rejected_at": iso(a["rejected_at"]),
                "last_activity_at": iso(a["rejected_at"] or a["applied_at"]),
                "source": {"id": n % 5, "public_name": SOURCE_NAMES[a["origin"]][0]},
                "credited_to": None,
                "rejection_reason": None
                if a["reason"] is None
                else {
                    "id": 1,
                    "name": a["reason"],
                    "type": {"id": kind[0], "name": kind[1]} if kind else None,
                },
                "jobs": [{"id": a["requisition_id"], "name": "Role"}],
                "status": a["status"],
                "current_stage": {"id": 1, "name": a["stage"]},
                "answers": [{"question": "Cover letter", "answer": f"Private note {n}"}],
                "attachments": [],
            }
        )
    jobs = []
    for j in records(raw.jobs):
        hired = hired_by_job.get(j["requisition_id"], [])
        jobs.append(
            {
                "id": j["requisition_id"],
                "name": f"Role {j['requisition_id']}",
                "status": j["status"],
                "opened_at": iso(j["posted"]),
                "closed_at": iso(j["closed"]),
                "openings": [
                    {
                        "id": f"{j['requisition_id']}-{k + 1}",
                        "opening_id": f"{j['requisition_id']}-{k + 1}",
                        "status": "closed",
                        "opened_at": iso(j["posted"]),
                        "closed_at": iso(j["closed"]),
                        "application_id": hired[k] if k < len(hired) else None,
                        "close_reason": {
                            "id": 1,
                            "name": "Hired" if k < len(hired) else "Cancelled",
                        },
                    }
                    for k in range(int(j["openings"]))
                ],
            }
        )
    offers = [
        {
            "id": f"O{n}",
            "version": o["version"],
            "application_id": o["application_id"],
            "created_at": iso(o["created_at"]),
            "sent_at": iso(o["created_at"]),
            "resolved_at": iso(o["resolved_at"]),
            "status": o["status"],
        }
        for n, o in enumerate(records(raw.offers), start=1)
    ]
    scorecards = [
        {
            "id": f"S{n}",
            "application_id": s["application_id"],
            "interview": s["round"],
            "interview_step": {"id": 1, "name": s["round"]},
            "interviewed_at": iso(s["interviewed_at"]),
            "submitted_by": {"name": f"Interviewer{n}"},
            "overall_recommendation": _VERDICT_NAMES[int(s["score"])],
            "questions": [{"question": "Notes", "answer": f"Private note {n}"}],
        }
        for n, s in enumerate(records(raw.scores), start=1)
    ]
    return [
        dump_json(directory / "applications.json", applications),
        dump_json(directory / "jobs.json", jobs),
        dump_json(directory / "offers.json", offers),
        dump_json(directory / "scorecards.json", scorecards),
        dump_json(directory / "candidates.json", candidates),
    ]


def write_warehouse(raw: RawExport, directory: str | Path) -> list[Path]:
    """The warehouse CSV tables in ``directory``."""
    directory = Path(directory)
    names = list(dict.fromkeys(raw.stage_names()))
    stage_id = {name: str(k + 1) for k, name in enumerate(names)}
    source_id = {origin: str(k + 1) for k, origin in enumerate(SOURCE_NAMES)}
    apps = records(raw.applications)
    type_names = {k: v[1] for k, v in _TYPE_NAMES.items()}
    written = [
        write_csv(
            directory / "application.csv",
            [
                {
                    "id": a["application_id"],
                    "candidate_id": f"C{n}",
                    "job_id": a["requisition_id"],
                    "prospect": a["prospect"],
                    "status": a["status"],
                    "source_id": source_id[a["origin"]],
                    "applied_at": iso(a["applied_at"]),
                    "rejected_at": iso(a["rejected_at"]),
                    "current_stage_id": stage_id.get(a["stage"]),
                    "rejection_reason": a["reason"],
                    "rejection_reason_type": type_names.get(a["reason_type"]),
                }
                for n, a in enumerate(apps, start=1)
            ],
            (
                "id",
                "candidate_id",
                "job_id",
                "prospect",
                "status",
                "source_id",
                "applied_at",
                "rejected_at",
                "current_stage_id",
                "rejection_reason",
                "rejection_reason_type",
            ),
        ),
        write_csv(
            directory / "candidate.csv",
            [
                {
                    "id": f"C{n}",
                    "first_name": f"Testname{n}",
                    "last_name": f"Surname{n}",
                    "email": f"person{n}@example.invalid",
                    "linked_user_id": f"U{n}" if a["origin"] == "internal" else None,
                }
                for n, a in enumerate(apps, start=1)
            ],
            ("id", "first_name", "last_name", "email", "linked_user_id"),
        ),
        write_csv(
            directory / "application_history.csv",
            [
                {
                    "application_id": h["application_id"],
                    "stage_id": stage_id[h["stage"]],
                    "entered_at": iso(h["entered_at"]),
                }
                for h in records(raw.history)
            ],
            ("application_id", "stage_id", "entered_at"),
        ),
        write_csv(
            directory / "job.csv",
            [
                {
                    "id": j["requisition_id"],
                    "name": f"Role {j['requisition_id']}",
                    "status": j["status"],
                    "opened_at": iso(j["posted"]),
                    "closed_at": iso(j["closed"]),
                }
                for j in records(raw.jobs)
            ],
            ("id", "name", "status", "opened_at", "closed_at"),
        ),
        write_csv(
            directory / "job_opening.csv",
            [
                {
                    "id": f"{j['requisition_id']}-{k + 1}",
                    "job_id": j["requisition_id"],
                    "opened_at": iso(j["posted"]),
                    "closed_at": iso(j["closed"]),
                }
                for j in records(raw.jobs)
                for k in range(int(j["openings"]))
            ],
            ("id", "job_id", "opened_at", "closed_at"),
        ),
        write_csv(
            directory / "job_stage.csv",
            [{"id": i, "name": n} for n, i in stage_id.items()],
            ("id", "name"),
        ),
        write_csv(
            directory / "source.csv",
            [
                {"id": i, "name": SOURCE_NAMES[o][0], "type": SOURCE_NAMES[o][1]}
                for o, i in source_id.items()
            ],
            ("id", "name", "type"),
        ),
        write_csv(
            directory / "offer.csv",
            [
                {
                    "id": f"O{n}",
                    "application_id": o["application_id"],
                    "version": o["version"],
                    "status": o["status"],
                    "created_at": iso(o["created_at"]),
                    "resolved_at": iso(o["resolved_at"]),
                }
                for n, o in enumerate(records(raw.offers), start=1)
            ],
            ("id", "application_id", "version", "status", "created_at", "resolved_at"),
        ),
        write_csv(
            directory / "scorecard.csv",
            [
                {
                    "id": f"S{n}",
                    "application_id": s["application_id"],
                    "interview": s["round"],
                    "interviewed_at": iso(s["interviewed_at"]),
                    "overall_recommendation": _VERDICT_NAMES[int(s["score"])],
                }
                for n, s in enumerate(records(raw.scores), start=1)
            ],
            ("id", "application_id", "interview", "interviewed_at", "overall_recommendation"),
        ),
    ]
    return written
