"""Ashby: ``application.list`` objects with their history, jobs with openings, offers, feedback.

Field names from Ashby's public API documentation:

- **applications.json**: ``id``, ``createdAt`` (applied), ``status`` (Active / Hired /
  Archived / Lead: a lead never applied), ``currentInterviewStage`` (``title``,
  ``type``: an archived application sits in a stage of type ``Archived``),
  ``applicationHistory[]`` (``stageId``, ``title``, ``enteredStageAt``), ``source``
  (``title``, ``sourceType.title``), ``archiveReason`` (``text``, ``reasonType``:
  RejectedByCandidate / RejectedByOrg / Other), ``job.id``. The ``candidate``
  object (name, e-mail) is never read into the tables. The furthest stage comes
  from the history; an archived application was rejected when it entered the
  Archived stage, a hired one hired when it entered its last stage;
- **jobs.json**: ``id``, ``title``, ``status`` (Open / Closed / Archived / Draft),
  ``openings[]`` (``openedAt``, ``closedAt``);
- **offers.json** (optional): ``applicationId``, ``acceptanceStatus`` (Accepted /
  Declined / Pending / WaitingOnResponse / Created / Cancelled),
  ``latestVersion.createdAt``;
- **feedback.json** (optional): ``applicationId``, ``submittedAt``,
  ``formDefinition.title`` (the round) and ``submittedValues.overall_recommendation`` (1-4).

A folder of those files, or one ``.json`` holding the lists under those names.
"""

from __future__ import annotations

from pathlib import Path

from simfunnel.errors import InputError
from simfunnel.io.applications import RawExport, raw_table
from simfunnel.io.vendors.common import (
    dump_json,
    get,
    is_test_job,
    iso,
    json_tables,
    label,
    origin_of,
    records,
    where,
)

TABLES = ("applications", "jobs", "offers", "feedback")
STATUSES = {"active": "active", "hired": "hired", "archived": "rejected", "lead": "active"}
REASON_TYPES = {
    "rejectedbycandidate": "they_rejected",
    "withdrawn": "they_rejected",
    "rejectedbyorg": "we_rejected",
    "rejectedbyorganization": "we_rejected",
}
JOB_STATUSES = {"open": "open", "closed": "closed", "archived": "closed", "draft": "draft"}
OFFERS = {
    "accepted": "accepted",
    "declined": "rejected",
    "pending": "unresolved",
    "waitingonresponse": "unresolved",
    "created": "unresolved",
    "unknown": "unresolved",
    "cancelled": "deprecated",
}
ARCHIVED = "Archived"


def _tables(path: Path) -> dict[str, tuple[Path, list[dict]]]:
    return json_tables(path, TABLES)


def _key(value) -> str:
    return str(value or "").replace("_", "").replace(" ", "").casefold()


def read(path: str | Path) -> RawExport:
    path = Path(path)
    tables = _tables(path)
    file, items = tables["applications"]
    apps, history, history_at = [], [], []
    for n, item in enumerate(items, start=1):
        at = f"{label(file)}: table applications, row {n}"
        aid = str(get(item, "id"))
        status = _key(get(item, "status"))
        if status not in STATUSES:
            raise InputError(
                f"{at}, column status: {get(item, 'status')!r:.30} is not one of "
                "Active, Hired, Archived, Lead"
            )
        current = get(item, "currentInterviewStage", {})
        archived_stage = get(current, "type") == ARCHIVED
        entries = get(item, "applicationHistory", [])
        archived_at, last_at = None, None
        for k, entry in enumerate(entries):
            title = get(entry, "title")
            if archived_stage and str(get(entry, "stageId")) == str(get(current, "id")):
                archived_at = get(entry, "enteredStageAt")
                continue
            last_at = get(entry, "enteredStageAt")
            history.append({"application_id": aid, "stage": title, "entered_at": last_at})
            history_at.append(f"{at}, applicationHistory[{k}]")
        source = f"{get(item, 'source.title', '')} {get(item, 'source.sourceType.title', '')}"
        hired = STATUSES[status] == "hired"
        apps.append(
            {
                "application_id": aid,
                "requisition_id": None if get(item, "job.id") is None else str(get(item, "job.id")),
                "origin": origin_of(source),
                "prospect": status == "lead",
                "stage": None if archived_stage else get(current, "title"),
                "status": STATUSES[status],
                "reason": get(item, "archiveReason.text"),
                "reason_type": REASON_TYPES.get(_key(get(item, "archiveReason.reasonType"))),
                "applied_at": get(item, "createdAt"),
                "rejected_at": archived_at or get(item, "archivedAt"),
                "hired_at": last_at if hired else None,
            }
        )
    file, items = tables["jobs"]
    jobs = []
    for item in items:
        openings = get(item, "openings", [])
        opened = [get(o, "openedAt") for o in openings if get(o, "openedAt")]
        closed = [get(o, "closedAt") for o in openings if get(o, "closedAt")]
        status = _key(get(item, "status"))
        jobs.append(
            {
                "requisition_id": str(get(item, "id")),
                "openings": max(len(openings), 1),
                "posted": min(opened) if opened else get(item, "createdAt"),
                "closed": max(closed) if closed else None,
                "status": JOB_STATUSES.get(status, status or None),
                "paused_days": None,
                "test": is_test_job(get(item, "title")),
            }
        )
    offers, scores = raw_table("offers", [], []), raw_table("scores", [], [])
    if "offers" in tables:
        file, items = tables["offers"]
        rows = []
        for n, o in enumerate(items, start=1):
            status = _key(get(o, "acceptanceStatus"))
            if status not in OFFERS:
                raise InputError(
                    f"{label(file)}: table offers, row {n}, column acceptanceStatus: "
                    f"{get(o, 'acceptanceStatus')!r:.30} is not one of "
                    "Accepted, Declined, Pending, WaitingOnResponse, Created, Cancelled"
                )
            rows.append(
                {
                    "application_id": str(get(o, "applicationId")),
                    "version": 1,
                    "status": OFFERS[status],
                    "created_at": get(o, "latestVersion.createdAt") or get(o, "createdAt"),
                    "resolved_at": None,
                }
            )
        offers = raw_table("offers", rows, where(file, "offers", len(rows)))
    if "feedback" in tables:
        file, items = tables["feedback"]
        rows = [
            {
                "application_id": str(get(f, "applicationId")),
                "round": get(f, "formDefinition.title"),
                "interviewed_at": get(f, "submittedAt"),
                "score": get(f, "submittedValues.overall_recommendation"),
            }
            for f in items
        ]
        scores = raw_table("scores", rows, where(file, "feedback", len(rows)))
    return RawExport(
        raw_table("jobs", jobs, where(tables["jobs"][0], "jobs", len(jobs))),
        raw_table(
            "applications", apps, where(tables["applications"][0], "applications", len(apps))
        ),
        raw_table("history", history, history_at),
        offers,
        scores,
        label(path),
    )


_TYPES = {"we_rejected": "RejectedByOrg", "they_rejected": "RejectedByCandidate"}
_SOURCES = {
    "applied": ("LinkedIn", "Inbound"),
    "referral": ("Employee referral", "Referral"),
    "internal": ("Internal transfer", "Internal"),
    "sourced": ("Sourced", "Outbound"),
    "agency": ("Agency", "Agency"),
}


def write(raw: RawExport, directory: str | Path) -> list[Path]:
    """An Ashby-shaped export of ``raw`` (fixtures; ``simfunnel export``)."""
    directory = Path(directory)
    stage_ids = {name: f"stage-{k + 1}" for k, name in enumerate(raw.stage_names())}
    history: dict[str, list] = {}
    for h in records(raw.history):
        history.setdefault(h["application_id"], []).append(
            {
                "stageId": stage_ids[h["stage"]],
                "title": h["stage"],
                "enteredStageAt": iso(h["entered_at"]),
            }
        )
    applications = []
    for n, a in enumerate(records(raw.applications), start=1):
        entries = list(history.get(a["application_id"], []))
        if not entries:
            entries = [
                {
                    "stageId": stage_ids[a["stage"]],
                    "title": a["stage"],
                    "enteredStageAt": iso(a["applied_at"]),
                }
            ]
        if a["status"] == "hired":
            entries[-1]["enteredStageAt"] = iso(a["hired_at"])
        current = {"id": stage_ids[a["stage"]], "title": a["stage"], "type": "Active"}
        if a["status"] == "rejected":
            current = {"id": "stage-archived", "title": ARCHIVED, "type": ARCHIVED}
            entries.append(
                {
                    "stageId": "stage-archived",
                    "title": ARCHIVED,
                    "enteredStageAt": iso(a["rejected_at"]),
                }
            )
        title, kind = _SOURCES[a["origin"]]
        applications.append(
            {
                "id": a["application_id"],
                "createdAt": iso(a["applied_at"]),
                "status": {"active": "Active", "hired": "Hired", "rejected": "Archived"}[
                    a["status"]
                ],
                "candidate": {
                    "id": f"cand-{n}",
                    "name": f"Testname{n} Surname{n}",
                    "primaryEmailAddress": {"value": f"person{n}@example.invalid"},
                },
                "currentInterviewStage": current,
                "applicationHistory": entries,
                "source": {"id": kind, "title": title, "sourceType": {"title": kind}},
                "archiveReason": None
                if a["reason"] is None
                else {
                    "id": a["reason"],
                    "text": a["reason"],
                    "reasonType": _TYPES.get(a["reason_type"], "Other"),
                },
                "job": {"id": a["requisition_id"], "title": f"Role {a['requisition_id']}"},
            }
        )
    jobs = [
        {
            "id": j["requisition_id"],
            "title": f"Role {j['requisition_id']}",
            "status": {"closed": "Closed", "open": "Open", "draft": "Draft"}.get(
                j["status"], "Open"
            ),
            "openings": [
                {
                    "id": f"{j['requisition_id']}-{k + 1}",
                    "openedAt": iso(j["posted"]),
                    "closedAt": iso(j["closed"]),
                    "openingState": "Closed",
                }
                for k in range(int(j["openings"]))
            ],
        }
        for j in records(raw.jobs)
    ]
    offers = [
        {
            "id": f"offer-{n}",
            "applicationId": o["application_id"],
            "acceptanceStatus": {"accepted": "Accepted", "rejected": "Declined"}.get(
                o["status"], "Pending"
            ),
            "latestVersion": {"createdAt": iso(o["created_at"])},
        }
        for n, o in enumerate(records(raw.offers), start=1)
    ]
    feedback = [
        {
            "id": f"fb-{n}",
            "applicationId": s["application_id"],
            "submittedAt": iso(s["interviewed_at"]),
            "formDefinition": {"title": s["round"]},
            "submittedValues": {"overall_recommendation": int(s["score"]), "notes": "Private note"},
        }
        for n, s in enumerate(records(raw.scores), start=1)
    ]
    return [
        dump_json(directory / "applications.json", {"results": applications}),
        dump_json(directory / "jobs.json", {"results": jobs}),
        dump_json(directory / "offers.json", {"results": offers}),
        dump_json(directory / "feedback.json", {"results": feedback}),
    ]
