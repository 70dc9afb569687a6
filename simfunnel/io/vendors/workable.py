"""Workable: candidates and jobs as the v3 API returns them, with the account's stages.

Field names from Workable's public API documentation:

- **candidates.json** (``{"candidates": [...]}``): ``id``, ``job.shortcode``,
  ``stage`` (the stage's name: for a disqualified candidate, where they were
  disqualified), ``disqualified``, ``disqualification_reason``, ``disqualified_at``,
  ``hired_at``, ``sourced``, ``domain`` (where they came from), ``created_at``.
  ``name``, ``email``, ``phone``, ``address``, ``headline`` and ``profile_url`` are
  never read into the tables. Workable keeps no stage history per candidate in this
  list: the stage is the furthest reached;
- **jobs.json** (``{"jobs": [...]}``): ``shortcode``, ``title``, ``state`` (draft /
  published / closed / archived), ``created_at``; ``closed_at`` and ``openings``
  where the export has them (else closed is the job's last hire or disqualification,
  and openings at least its hires);
- **stages.json** (optional, ``{"stages": [...]}``): ``name`` and ``kind`` (sourced,
  applied, shortlisted, assessment, phone-screen, interview, offer, hired), which
  places every stage on a milestone without a stage map.

Workable exports no offers or scorecards here: offered is "reached a stage of kind
offer", and there are no round scores.
"""

from __future__ import annotations

from pathlib import Path

from simfunnel.errors import InputError
from simfunnel.io.applications import RawExport, raw_table
from simfunnel.io.vendors.common import (
    dump_json,
    find,
    flag,
    get,
    is_test_job,
    iso,
    label,
    load_json,
    origin_of,
    records,
    where,
)

KINDS = {
    "sourced": "applied",
    "applied": "applied",
    "shortlisted": "screened",
    "assessment": "screened",
    "phone-screen": "screened",
    "interview": "interviewed",
    "offer": "offered",
    "hired": "hired",
}
STATES = {"draft": "draft", "published": "open", "closed": "closed", "archived": "closed"}


def read(path: str | Path) -> RawExport:
    directory = Path(path)
    if not directory.is_dir():
        raise InputError(
            f"{label(directory)}: give the folder holding candidates.json and jobs.json"
        )
    file = find(directory, ("candidates.json",))
    candidates = load_json(file, "candidates")
    known = {}
    stage_file = find(directory, ("stages.json",), required=False)
    if stage_file:
        for n, stage in enumerate(load_json(stage_file, "stages"), start=1):
            kind = str(get(stage, "kind", "")).casefold()
            if kind not in KINDS:
                raise InputError(
                    f"{label(stage_file)}: table stages, row {n}, column kind: "
                    f"{kind!r:.30} is not one of {', '.join(KINDS)}"
                )
            known[str(get(stage, "name"))] = KINDS[kind]
    apps, last, hires = [], {}, {}
    for item in candidates:
        job = get(item, "job.shortcode")
        job = None if job is None else str(job)
        disqualified = flag(get(item, "disqualified"))
        hired = get(item, "hired_at") is not None and not disqualified
        end = get(item, "hired_at") if hired else get(item, "disqualified_at")
        if end is not None and job is not None:
            last[job] = max(last.get(job, end), end)
        hires[job] = hires.get(job, 0) + int(hired)
        apps.append(
            {
                "application_id": str(get(item, "id")),
                "requisition_id": job,
                "origin": "sourced"
                if flag(get(item, "sourced"))
                else origin_of(get(item, "domain")),
                "prospect": False,
                "stage": get(item, "stage"),
                "status": "hired" if hired else "rejected" if disqualified else "active",
                "reason": get(item, "disqualification_reason") if disqualified else None,
                "reason_type": None,
                "applied_at": get(item, "created_at"),
                "rejected_at": get(item, "disqualified_at") if disqualified else None,
                "hired_at": get(item, "hired_at") if hired else None,
            }
        )
    job_file = find(directory, ("jobs.json",))
    jobs = []
    for n, item in enumerate(load_json(job_file, "jobs"), start=1):
        code = str(get(item, "shortcode"))
        state = str(get(item, "state", "")).casefold()
        if state not in STATES:
            raise InputError(
                f"{label(job_file)}: table jobs, row {n}, column state: "
                f"{state!r:.30} is not one of {', '.join(STATES)}"
            )
        jobs.append(
            {
                "requisition_id": code,
                "openings": get(item, "openings") or max(hires.get(code, 0), 1),
                "posted": get(item, "created_at"),
                "closed": get(item, "closed_at") or last.get(code),
                "status": STATES[state],
                "paused_days": None,
                "test": is_test_job(get(item, "title")),
            }
        )
    return RawExport(
        raw_table("jobs", jobs, where(job_file, "jobs", len(jobs))),
        raw_table("applications", apps, where(file, "candidates", len(apps))),
        source=label(directory),
        known_stages=known,
    )


_KIND_OF = dict(
    zip(
        ("Application Review", "Phone Screen", "Onsite Interview", "Offer", "Hired"),
        ("applied", "phone-screen", "interview", "offer", "hired"),
        strict=False,
    )
)
_DOMAINS = {
    "applied": "linkedin.com",
    "referral": "Referral",
    "internal": "Internal",
    "agency": "Agency",
    "sourced": "linkedin.com",
}


def write(raw: RawExport, directory: str | Path) -> list[Path]:
    """A Workable-shaped export of ``raw`` (fixtures; ``simfunnel export``)."""
    directory = Path(directory)
    candidates = []
    for n, a in enumerate(records(raw.applications), start=1):
        candidates.append(
            {
                "id": a["application_id"],
                "name": f"Testname{n} Surname{n}",
                "email": f"person{n}@example.invalid",
                "job": {"shortcode": a["requisition_id"], "title": f"Role {a['requisition_id']}"},
                "stage": a["stage"],
                "disqualified": a["status"] == "rejected",
                "disqualification_reason": a["reason"],
                "disqualified_at": iso(a["rejected_at"]),
                "hired_at": iso(a["hired_at"]),
                "sourced": a["origin"] == "sourced",
                "domain": _DOMAINS[a["origin"]],
                "created_at": iso(a["applied_at"]),
            }
        )
    jobs = [
        {
            "shortcode": j["requisition_id"],
            "title": f"Role {j['requisition_id']}",
            "state": {"open": "published", "on_hold": "published"}.get(j["status"], j["status"]),
            "created_at": iso(j["posted"]),
            "closed_at": iso(j["closed"]),
            "openings": int(j["openings"]),
        }
        for j in records(raw.jobs)
    ]
    stages = [
        {
            "slug": name.lower().replace(" ", "_"),
            "name": name,
            "kind": _KIND_OF.get(name, "interview"),
            "position": k,
        }
        for k, name in enumerate(raw.stage_names())
    ]
    return [
        dump_json(directory / "candidates.json", {"candidates": candidates}),
        dump_json(directory / "jobs.json", {"jobs": jobs}),
        dump_json(directory / "stages.json", {"stages": stages}),
    ]
