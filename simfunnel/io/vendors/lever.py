"""Lever: opportunities JSON with stage changes, requisitions, archive reasons, offers, feedback.

Field names from Lever's public API documentation (times are epoch milliseconds):

- **opportunities.json**: ``id``, ``createdAt`` (applied), ``stage`` (the current
  stage's id), ``stageChanges[]`` (``toStageId``, ``updatedAt``), ``archived``
  (``reason``: an archive reason id, ``archivedAt``; null while active), ``origin``
  (applied / referred / internal / sourced / agency / university) and
  ``applications[]`` with the ``posting`` applied to. ``name``, ``emails``,
  ``phones``, ``links`` and notes are never read into the tables;
- **stages.json** (``id``, ``text``) and **archive_reasons.json** (``id``, ``text``,
  ``type``: hired / non-hired): an opportunity archived for a *hired* reason was hired;
- **requisitions.json** (optional): ``id``, ``status`` (open / onHold / closed /
  draft: on hold is a pause, still not finished), ``headcountTotal`` (openings),
  ``createdAt`` (posted), ``postings`` (ids). Lever has no closing date for a
  requisition: ``closedAt`` is read where present, else the last archive of its
  opportunities. Without requisitions, each posting (**postings.json**: ``id``,
  ``text``, ``state``, ``createdAt``) is one requisition of one opening;
- **offers.json** (optional; ``{opportunity id: [offers]}``, as
  ``/opportunities/:id/offers`` returns them): ``status`` signed is accepted; sent,
  sent-manually and opened are made and unresolved; draft, approval-sent, approved and
  denied were never extended;
- **feedback.json** (optional; ``{opportunity id: [forms]}``): ``text`` (the round),
  ``completedAt``, and the first ``fields[]`` of type ``score-system`` (1-4).
"""

from __future__ import annotations

from pathlib import Path

from simfunnel.errors import InputError
from simfunnel.io.applications import RawExport, raw_table
from simfunnel.io.vendors.common import (
    dump_json,
    epoch_ms,
    find,
    get,
    is_test_job,
    label,
    load_json,
    load_json_map,
    records,
    where,
)

ORIGINS = {
    "applied": "applied",
    "referred": "referral",
    "internal": "internal",
    "sourced": "sourced",
    "agency": "agency",
    "university": "applied",
}
STATUSES = {"open": "open", "onhold": "on_hold", "closed": "closed", "draft": "draft"}
OFFER_STATUSES = {
    "signed": "accepted",
    "sent": "unresolved",
    "sent-manually": "unresolved",
    "opened": "unresolved",
    "draft": "deprecated",
    "approval-sent": "deprecated",
    "approved": "deprecated",
    "denied": "deprecated",
}


def read(path: str | Path) -> RawExport:
    directory = Path(path)
    if not directory.is_dir():
        raise InputError(
            f"{label(directory)}: give the folder holding opportunities.json, "
            "stages.json and archive_reasons.json"
        )
    file = find(directory, ("opportunities.json",))
    opportunities = load_json(file, "opportunities")
    stage_file = find(directory, ("stages.json",))
    stages = {str(get(s, "id")): get(s, "text") for s in load_json(stage_file, "stages")}
    reason_file = find(directory, ("archive_reasons.json",))
    reasons = {
        str(get(r, "id")): (get(r, "text"), str(get(r, "type", "")).casefold())
        for r in load_json(reason_file, "archive_reasons")
    }
    posting_to_job, jobs = _requisitions(directory)
    apps, history = [], []
    history_at = []
    last_archive: dict[str, object] = {}
    for n, item in enumerate(opportunities, start=1):
        at = f"{label(file)}: table opportunities, row {n}"
        oid = str(get(item, "id"))
        applications = get(item, "applications", [])
        posting = (
            get(applications[0], "posting")
            if applications and isinstance(applications[0], dict)
            else get(item, "posting")
        )
        stage_id = get(item, "stage")
        if stage_id is not None and str(stage_id) not in stages:
            raise InputError(f"{at}, column stage: no stage {str(stage_id)!r:.30} in stages.json")
        archived = get(item, "archived")
        reason_id = get(archived, "reason") if archived else None
        if reason_id is not None and str(reason_id) not in reasons:
            raise InputError(
                f"{at}, column archived.reason: no reason {str(reason_id)!r:.30} "
                "in archive_reasons.json"
            )
        text, kind = reasons.get(str(reason_id), (None, ""))
        hired = archived is not None and kind == "hired"
        archived_at = get(archived, "archivedAt") if archived else None
        requisition = posting_to_job.get(str(posting), str(posting) if posting else None)
        if archived_at is not None and requisition is not None:
            previous = last_archive.get(requisition)
            last_archive[requisition] = max(previous, archived_at) if previous else archived_at
        origin = str(get(item, "origin", "applied")).casefold()
        if origin not in ORIGINS:
            raise InputError(
                f"{at}, column origin: {origin!r:.30} is not one of {', '.join(ORIGINS)}"
            )
        apps.append(
            {
                "application_id": oid,
                "requisition_id": requisition,
                "origin": ORIGINS[origin],
                "prospect": False,
                "stage": stages.get(str(stage_id)),
                "status": "hired" if hired else "rejected" if archived else "active",
                "reason": None if hired else text,
                "reason_type": None,
                "applied_at": get(item, "createdAt"),
                "rejected_at": None if hired else archived_at,
                "hired_at": archived_at if hired else None,
            }
        )
        for k, change in enumerate(get(item, "stageChanges", [])):
            to = str(get(change, "toStageId"))
            if to not in stages:
                raise InputError(
                    f"{at}, column stageChanges[{k}].toStageId: no stage {to!r:.30} in stages.json"
                )
            history.append(
                {"application_id": oid, "stage": stages[to], "entered_at": get(change, "updatedAt")}
            )
            history_at.append(f"{at}, stageChanges[{k}]")
    for job in jobs:
        if job["closed"] is None and job["status"] == "closed":
            job["closed"] = last_archive.get(job["requisition_id"])
    offers, scores = raw_table("offers", [], []), raw_table("scores", [], [])
    offer_file = find(directory, ("offers.json",), required=False)
    if offer_file:
        pairs = load_json_map(offer_file, "offers")
        rows = []
        for n, (opportunity, offer) in enumerate(pairs, start=1):
            status = str(get(offer, "status", "")).casefold()
            if status not in OFFER_STATUSES:
                raise InputError(
                    f"{label(offer_file)}: table offers, row {n}, column status: "
                    f"{status!r:.30} is not one of {', '.join(OFFER_STATUSES)}"
                )
            rows.append(
                {
                    "application_id": opportunity,
                    "version": 1,
                    "status": OFFER_STATUSES[status],
                    "created_at": get(offer, "createdAt"),
                    "resolved_at": None,
                }
            )
        offers = raw_table("offers", rows, where(offer_file, "offers", len(rows)))
    feedback_file = find(directory, ("feedback.json",), required=False)
    if feedback_file:
        rows = []
        for opportunity, form in load_json_map(feedback_file, "feedback"):
            score = next(
                (
                    get(f, "value")
                    for f in get(form, "fields", [])
                    if get(f, "type") in ("score-system", "score")
                ),
                None,
            )
            rows.append(
                {
                    "application_id": opportunity,
                    "round": get(form, "text"),
                    "interviewed_at": get(form, "completedAt"),
                    "score": _score(score),
                }
            )
        scores = raw_table("scores", rows, where(feedback_file, "feedback", len(rows)))
    return RawExport(
        raw_table("jobs", jobs, [j.pop("_at") for j in jobs])
        if jobs
        else raw_table("jobs", [], []),
        raw_table("applications", apps, where(file, "opportunities", len(apps))),
        raw_table("history", history, history_at),
        offers,
        scores,
        label(directory),
    )


def _score(value) -> float | None:
    if value is None:
        return None
    text = str(value).strip()
    digits = text.split(" ")[0]
    try:
        return float(digits)
    except ValueError:
        return None


def _requisitions(directory: Path) -> tuple[dict[str, str], list[dict]]:
    file = find(directory, ("requisitions.json",), required=False)
    if file is not None:
        posting_to_job, jobs = {}, []
        for n, item in enumerate(load_json(file, "requisitions"), start=1):
            rid = str(get(item, "id"))
            for posting in get(item, "postings", []):
                posting_to_job[str(posting)] = rid
            status = str(get(item, "status", "")).replace("_", "").casefold()
            jobs.append(
                {
                    "requisition_id": rid,
                    "openings": get(item, "headcountTotal", 1),
                    "posted": get(item, "createdAt"),
                    "closed": get(item, "closedAt"),
                    "status": STATUSES.get(status, status or None),
                    "paused_days": None,
                    "test": is_test_job(get(item, "name")),
                    "_at": f"{label(file)}: table requisitions, row {n}",
                }
            )
        return posting_to_job, jobs
    file = find(directory, ("postings.json", "requisitions.json"))
    jobs = []
    for n, item in enumerate(load_json(file, "postings"), start=1):
        state = str(get(item, "state", "")).casefold()
        jobs.append(
            {
                "requisition_id": str(get(item, "id")),
                "openings": 1,
                "posted": get(item, "createdAt"),
                "closed": None,
                "status": "closed"
                if state == "closed"
                else "draft"
                if state == "draft"
                else "open",
                "paused_days": None,
                "test": is_test_job(get(item, "text")),
                "_at": f"{label(file)}: table postings, row {n}",
            }
        )
    return {}, jobs


def write(raw: RawExport, directory: str | Path) -> list[Path]:
    """A Lever-shaped export of ``raw`` in ``directory`` (fixtures; ``simfunnel export``)."""
    directory = Path(directory)
    stage_ids = {name: f"stage-{k + 1}" for k, name in enumerate(raw.stage_names())}
    reasons = {text: f"reason-{k + 1}" for k, text in enumerate(raw.reason_names())}
    hired_reason = "reason-hired"
    history: dict[str, list] = {}
    for h in records(raw.history):
        history.setdefault(h["application_id"], []).append(
            {
                "toStageId": stage_ids[h["stage"]],
                "updatedAt": epoch_ms(h["entered_at"]),
                "userId": "user-1",
            }
        )
    back = {v: k for k, v in ORIGINS.items() if k != "university"}
    opportunities = []
    for n, a in enumerate(records(raw.applications), start=1):
        archived = None
        if a["status"] == "hired":
            archived = {"reason": hired_reason, "archivedAt": epoch_ms(a["hired_at"])}
        elif a["status"] == "rejected":
            archived = {"reason": reasons[a["reason"]], "archivedAt": epoch_ms(a["rejected_at"])}
        opportunities.append(
            {
                "id": a["application_id"],
                "name": f"Testname{n} Surname{n}",
                "emails": [f"person{n}@example.invalid"],
                "createdAt": epoch_ms(a["applied_at"]),
                "stage": stage_ids[a["stage"]],
                "stageChanges": history.get(a["application_id"], []),
                "archived": archived,
                "origin": back[a["origin"]],
                "applications": [
                    {"id": f"app-{n}", "posting": f"post-{a['requisition_id']}", "type": "posting"}
                ],
            }
        )
    requisitions = [
        {
            "id": j["requisition_id"],
            "requisitionCode": j["requisition_id"],
            "name": f"Role {j['requisition_id']}",
            "status": {"on_hold": "onHold"}.get(j["status"], j["status"]),
            "headcountTotal": int(j["openings"]),
            "createdAt": epoch_ms(j["posted"]),
            "postings": [f"post-{j['requisition_id']}"],
        }
        for j in records(raw.jobs)
    ]
    offers: dict[str, list] = {}
    for o in records(raw.offers):
        offers.setdefault(o["application_id"], []).append(
            {
                "id": f"offer-{len(offers) + 1}",
                "status": "signed" if o["status"] == "accepted" else "sent",
                "createdAt": epoch_ms(o["created_at"]),
            }
        )
    feedback: dict[str, list] = {}
    for s in records(raw.scores):
        feedback.setdefault(s["application_id"], []).append(
            {
                "type": "interview",
                "text": s["round"],
                "completedAt": epoch_ms(s["interviewed_at"]),
                "fields": [
                    {"type": "text", "text": "Notes", "value": "Private note"},
                    {"type": "score-system", "text": "Rating", "value": int(s["score"])},
                ],
            }
        )
    return [
        dump_json(directory / "opportunities.json", {"data": opportunities}),
        dump_json(
            directory / "stages.json",
            {"data": [{"id": i, "text": n} for n, i in stage_ids.items()]},
        ),
        dump_json(
            directory / "archive_reasons.json",
            {
                "data": [
                    {"id": hired_reason, "text": "Hired", "type": "hired"},
                    *({"id": i, "text": t, "type": "non-hired"} for t, i in reasons.items()),
                ]
            },
        ),
        dump_json(directory / "requisitions.json", {"data": requisitions}),
        dump_json(directory / "offers.json", offers),
        dump_json(directory / "feedback.json", feedback),
    ]
