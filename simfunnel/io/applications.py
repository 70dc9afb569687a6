"""Per-application exports: the normalised application table and the requisitions it gives.

An applicant-tracking system exports one row per *application* (candidate x job),
plus stage history, offers and scorecards. A vendor reader
(:mod:`simfunnel.io.vendors`) turns its export into a
:class:`~simfunnel.io.raw_export.RawExport`: the same five tables for every system,
holding only what the model needs (no names, e-mails, notes or attachments). :func:`normalise` then

1. places every stage on a **milestone** ``applied -> screened -> interviewed ->
   offered -> hired`` (a stage map: stage name -> milestone; custom per customer).
   An application's furthest milestone is the furthest it reached in its current
   stage, its history, its scorecards (scored: interviewed), its offers (offered)
   and its status (hired). Skipped stages count as passed;
2. places every recorded rejection reason in a **category**
   (:data:`REASON_CATEGORIES`);
3. aggregates to one row per finished requisition, *exactly* the table
   ``simfunnel fit`` reads (:mod:`simfunnel.io.ats`): an opening closed without a
   hire is cancelled, an on-hold requisition is a pause (and still open, not used);
4. reports what it dropped and why (duplicates, prospects, test jobs, still-open
   jobs, missing dates) in :attr:`Applications.dropped`.

Errors are one :class:`~simfunnel.errors.InputError` line naming the file, the
table, the row and the column: applications to unknown jobs, offers for unknown
applications, time running backwards, more hires than openings, a stage or a reason
the map does not place (named with the known ones).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from simfunnel.errors import InputError
from simfunnel.io.ats import COLUMNS as REQUISITION_COLUMNS
from simfunnel.io.ats import AtsData, check_frame
from simfunnel.io.raw_export import (  # noqa: F401 - re-exported: the readers' one import
    APPLICATION_STATUSES,
    APPLICATION_TABLE,
    DATE_COLUMNS,
    JOB_STATUSES,
    MAX_BYTES,
    MAX_ROWS,
    MILESTONES,
    OFFER_STATUSES,
    ORIGINS,
    RAW_COLUMNS,
    REASON_CATEGORIES,
    REASON_TYPES,
    RawExport,
    empty,
    parse_dates,
    raw_table,
    shown,
    shown_path,
)
from simfunnel.io.stage_map import StageMap, suggest


@dataclass
class Applications:
    """A normalised per-application export.

    Attributes
    ----------
    applications : DataFrame, shape (applications, columns)
        :data:`APPLICATION_TABLE` then ``score_1 .. score_R`` (the mean verdict of
        each round, in time order; NaN where not scored). No personal columns.
    requisitions : AtsData
        One row per finished requisition: exactly what ``simfunnel fit`` reads.
    dropped : DataFrame
        ``table``, ``reason``, ``rows``: what was left out and why.
    jobs : DataFrame
        The finished requisitions' openings, status and paused days.
    """

    applications: pd.DataFrame
    requisitions: AtsData
    dropped: pd.DataFrame
    jobs: pd.DataFrame
    stage_map: StageMap
    source: str = "<export>"

    def summary(self) -> str:
        frame = self.requisitions.frame
        lines = [
            f"{self.source}: {len(self.applications):,} applications to "
            f"{len(frame):,} finished requisitions "
            f"({int(frame['hires'].sum()):,} hires, {int(frame['cancelled'].sum()):,} "
            "closed without a hire)."
        ]
        if len(self.dropped):
            lines.append("Left out:")
            lines += [f"  {r.table}: {r.rows:,} {r.reason}" for r in self.dropped.itertuples()]
        else:
            lines.append("Nothing left out.")
        return "\n".join(lines)

    def requisition_frame(self) -> pd.DataFrame:
        """The requisition table as written to ``requisitions.csv`` (ISO dates)."""
        frame = self.requisitions.frame.copy()
        for column in ("posted", "closed"):
            if column in frame:
                frame[column] = frame[column].dt.strftime("%Y-%m-%d")
        return frame

    def save(self, directory: str | Path) -> list[Path]:
        """Write ``requisitions.csv``, ``applications.csv`` and ``dropped.csv``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (
            ("requisitions.csv", self.requisition_frame()),
            ("applications.csv", _iso(self.applications)),
            ("dropped.csv", self.dropped),
        ):
            path = directory / name
            frame.to_csv(path, index=False)
            written.append(path)
        return written


def _iso(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return out


def _fail(at: str, column: str, message: str) -> InputError:
    return InputError(f"{at}, column {column}: {message}")


def _drop(dropped: list, table: str, mask: pd.Series, reason: str) -> None:
    count = int(mask.sum())
    if count:
        dropped.append({"table": table, "reason": reason, "rows": count})


def normalise(
    raw: RawExport, stage_map: StageMap | None = None, *, min_requisitions: int = 1
) -> Applications:
    """The application table and the requisition table of an export (see the module).

    Parameters
    ----------
    raw : what a vendor reader found.
    stage_map : stage -> milestone and reason -> category; ``None`` uses :func:`suggest`
        and refuses names it cannot place.
    min_requisitions : fewer finished requisitions than this is an error.
    """
    source = raw.source
    if stage_map is None:
        stage_map, unplaced_stages, unplaced_reasons = suggest(raw)
        if unplaced_stages or unplaced_reasons:
            kind, names = (
                ("stage", unplaced_stages) if unplaced_stages else ("reason", unplaced_reasons)
            )
            listed = ", ".join(shown(n) for n in names[:5])
            raise InputError(
                f"{source}: cannot place {len(names)} {kind} name(s) ({listed}); write a "
                "stage map (simfunnel import --suggest proposes one) and pass --stage-map"
            )
    dropped: list[dict] = []
    jobs = raw.jobs.copy()
    apps = raw.applications.copy()
    _check_values(jobs, "status", JOB_STATUSES)
    _check_values(apps, "status", APPLICATION_STATUSES)
    _check_values(apps, "origin", ORIGINS)
    _check_values(raw.offers, "status", OFFER_STATUSES)
    _check_ids(jobs, "requisition_id")

    # Jobs: drop test jobs and those not finished; check the dates.
    jobs["openings"] = _whole(jobs, "openings", default=1)
    jobs["test"] = jobs["test"].fillna(False).astype(bool)
    _drop(dropped, "jobs", jobs["test"], "test jobs")
    jobs = jobs[~jobs["test"]]
    unfinished = jobs["status"].isin(["open", "on_hold", "draft"])
    _drop(dropped, "jobs", unfinished, "jobs still open, on hold or draft (not finished)")
    open_ids = set(jobs.loc[unfinished, "requisition_id"])
    test_ids = set(raw.jobs.loc[raw.jobs["test"].fillna(False).astype(bool), "requisition_id"])
    jobs = jobs[~unfinished]
    no_posted = jobs["posted"].isna()
    _drop(dropped, "jobs", no_posted, "jobs without an opening date")
    jobs = jobs[~no_posted]
    _backwards(jobs, "posted", "closed", "closed before it opened")

    # Applications: duplicates, prospects, unknown or dropped jobs, missing dates.
    duplicate = apps["application_id"].duplicated(keep="first")
    _drop(dropped, "applications", duplicate, "duplicate application ids (the first kept)")
    apps = apps[~duplicate]
    prospect = apps["prospect"].fillna(False).astype(bool)
    _drop(dropped, "applications", prospect, "prospects (never applied)")
    apps = apps[~prospect]
    known = set(raw.jobs["requisition_id"])
    unknown = ~apps["requisition_id"].isin(known)
    if unknown.any():
        i = unknown.index[unknown][0]
        raise _fail(
            apps["_at"][i],
            "requisition_id",
            f"application to an unknown job {shown(apps['requisition_id'][i])}",
        )
    in_test = apps["requisition_id"].isin(test_ids)
    _drop(dropped, "applications", in_test, "applications to test jobs")
    in_open = apps["requisition_id"].isin(open_ids)
    _drop(dropped, "applications", in_open, "applications to jobs not finished")
    undated_job = ~apps["requisition_id"].isin(set(jobs["requisition_id"])) & ~in_test & ~in_open
    _drop(dropped, "applications", undated_job, "applications to jobs without an opening date")
    apps = apps[apps["requisition_id"].isin(set(jobs["requisition_id"]))]
    undated = apps["applied_at"].isna()
    _drop(dropped, "applications", undated, "applications without an application date")
    apps = apps[~undated]
    _backwards(apps, "applied_at", "rejected_at", "rejected before it applied")
    _backwards(apps, "applied_at", "hired_at", "hired before it applied")

    ids = set(raw.applications["application_id"])
    offers = _related(raw.offers, ids, "offer for an unknown application")
    history = _related(raw.history, ids, "stage entry of an unknown application")
    scores = _related(raw.scores, ids, "scorecard of an unknown application")
    _backwards(offers, "created_at", "resolved_at", "resolved before it was made")
    kept = set(apps["application_id"])
    offers = offers[offers["application_id"].isin(kept)]
    history = history[history["application_id"].isin(kept)]
    scores = scores[scores["application_id"].isin(kept)]
    _history_after_applying(history, apps)

    table = _application_table(apps, history, offers, scores, stage_map, len(raw.offers) > 0)
    requisitions = _requisitions(table, jobs, source)
    if len(requisitions) < min_requisitions:
        raise InputError(
            f"{source}: {len(requisitions)} finished requisitions; at least "
            f"{min_requisitions} are needed"
        )
    data = check_frame(requisitions, f"{source} (requisitions)", min_rows=min(1, min_requisitions))
    job_rows = jobs.set_index("requisition_id").loc[requisitions["requisition_id"]]
    job_frame = job_rows[["openings", "posted", "closed", "paused_days"]].reset_index()
    dropped_frame = pd.DataFrame(dropped, columns=["table", "reason", "rows"])
    return Applications(table, data, dropped_frame, job_frame, stage_map, source)


def _check_values(frame: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> None:
    values = frame[column]
    bad = values.notna() & ~values.isin(allowed)
    if bad.any():
        i = bad.index[bad][0]
        raise _fail(
            frame["_at"][i], column, f"{shown(values[i])} is not one of {', '.join(allowed)}"
        )


def _check_ids(frame: pd.DataFrame, column: str) -> None:
    missing = frame[column].isna()
    if missing.any():
        raise _fail(frame["_at"][missing.index[missing][0]], column, "missing id")
    repeated = frame[column].duplicated()
    if repeated.any():
        i = repeated.index[repeated][0]
        raise _fail(frame["_at"][i], column, f"duplicate id {shown(frame[column][i])}")


def _whole(frame: pd.DataFrame, column: str, default: int) -> pd.Series:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame[column].notna() & (values.isna() | (values < 1) | (values != values.round()))
    if bad.any():
        i = bad.index[bad][0]
        raise _fail(
            frame["_at"][i], column, f"not a whole number >= 1 (got {shown(frame[column][i])})"
        )
    return values.fillna(default).astype(int)


def _backwards(frame: pd.DataFrame, first: str, then: str, what: str) -> None:
    wrong = (frame[then] < frame[first]).fillna(False)
    if wrong.any():
        i = wrong.index[wrong][0]
        raise _fail(
            frame["_at"][i],
            then,
            f"time runs backwards: {what} ({frame[then][i].date()} < {frame[first][i].date()})",
        )


def _related(frame: pd.DataFrame, ids: set, what: str) -> pd.DataFrame:
    unknown = ~frame["application_id"].isin(ids)
    if unknown.any():
        i = unknown.index[unknown][0]
        raise _fail(
            frame["_at"][i], "application_id", f"{what} {shown(frame['application_id'][i])}"
        )
    return frame


def _history_after_applying(history: pd.DataFrame, apps: pd.DataFrame) -> None:
    applied = history["application_id"].map(apps.set_index("application_id")["applied_at"])
    # A day's grace: some systems stamp the first stage at midnight of the day applied.
    early = (history["entered_at"] < applied.dt.normalize() - pd.Timedelta(days=1)).fillna(False)
    if early.any():
        i = early.index[early][0]
        raise _fail(
            history["_at"][i],
            "entered_at",
            f"time runs backwards: entered a stage before applying "
            f"({history['entered_at'][i].date()} < {applied[i].date()})",
        )


def _place(names: pd.Series, stage_map: StageMap, frame: pd.DataFrame) -> pd.Series:
    """Stage names -> milestone index (0..4); NaN where no stage."""
    lookup = {}
    for name in names.dropna().unique():
        milestone = stage_map.milestone(str(name))
        if milestone is None:
            i = names.index[names == name][0]
            raise _fail(
                frame["_at"][i],
                "stage",
                f"stage {shown(name)} is not in {stage_map.source} (it places "
                f"{', '.join(shown(s) for s in list(stage_map.stages)[:8]) or 'nothing'}); "
                f"add it with one of {', '.join(MILESTONES)}",
            )
        lookup[name] = MILESTONES.index(milestone)
    return names.map(lookup)


def _application_table(
    apps, history, offers, scores, stage_map: StageMap, has_offers: bool
) -> pd.DataFrame:
    apps = apps.set_index("application_id", drop=False)
    level = _place(apps["stage"], stage_map, apps).fillna(0)
    if len(history):
        history = history.assign(level=_place(history["stage"], stage_map, history))
        level = np.maximum(
            level, history.groupby("application_id")["level"].max().reindex(apps.index).fillna(0)
        )
    scored = apps.index.isin(set(scores["application_id"].dropna()))
    level = np.where(scored, np.maximum(level, MILESTONES.index("interviewed")), level)
    latest = (
        offers.sort_values(["application_id", "version", "created_at"])
        .groupby("application_id")
        .last()
        if len(offers)
        else pd.DataFrame(columns=["status", "created_at", "resolved_at"])
    )
    made = offers[offers["status"] != "deprecated"] if len(offers) else offers
    # An offer counts once made: versions only ever deprecated were never extended.
    offered = apps.index.isin(set(made["application_id"]))
    hired = (apps["status"] == "hired").to_numpy()
    level = np.where(offered, np.maximum(level, MILESTONES.index("offered")), level)
    level = np.where(hired, MILESTONES.index("hired"), level).astype(int)
    offer_status = latest["status"].reindex(apps.index)
    accepted = hired | (offer_status == "accepted").to_numpy()
    level = np.where(accepted, MILESTONES.index("hired"), level)
    at_offer = level >= MILESTONES.index("offered")
    if has_offers:
        # The offers say who was offered: an offer stage without one made is interviewed.
        level = np.where(at_offer & ~offered & ~accepted, MILESTONES.index("interviewed"), level)
    else:
        # Without offers (Workable records only stages), reaching an offer stage is offered.
        offered = offered | at_offer
    offered = offered | accepted
    # Reasons: the recorded ones placed by the map; an offer turned down is offer_declined.
    reason = pd.Series(np.nan, index=apps.index, dtype=object)
    for text in apps["reason"].dropna().unique():
        category = stage_map.category(str(text))
        if category is None:
            i = apps.index[apps["reason"] == text][0]
            placed = ", ".join(shown(r) for r in list(stage_map.reasons)[:6]) or "nothing"
            raise _fail(
                apps["_at"][i],
                "reason",
                f"reason {shown(text)} is not in {stage_map.source} (it places {placed}); "
                f"add it with one of {', '.join(REASON_CATEGORIES)}",
            )
        reason[apps["reason"] == text] = category
    declined = (offer_status == "rejected").to_numpy() & ~accepted
    reason = reason.where(~(declined & reason.isna()), "offer_declined")
    they = (apps["reason_type"] == "they_rejected").to_numpy()
    reason = reason.where(~(they & reason.isna()), "withdrew")
    origin = apps["origin"].fillna("applied")
    hired_at = apps["hired_at"].copy()
    if len(latest):
        accepted_at = latest["resolved_at"].reindex(apps.index)
        use = accepted & accepted_at.notna().to_numpy()
        # The accepted offer's answer is the requisition's closing event (the fit's `closed`).
        hired_at = hired_at.where(~use, accepted_at)
    offered_at = (
        made.groupby("application_id")["created_at"].min().reindex(apps.index)
        if len(made)
        else pd.Series(pd.NaT, index=apps.index)
    )
    table = pd.DataFrame(
        {
            "requisition_id": apps["requisition_id"].astype(str),
            "application_id": apps["application_id"].astype(str),
            "origin": origin,
            "internal": origin == "internal",
            "referral": origin == "referral",
            "milestone": pd.Categorical.from_codes(level, categories=list(MILESTONES)),
            "offered": offered,
            "accepted": accepted,
            "withdrew": reason == "withdrew",
            "reason": reason,
            "applied_at": apps["applied_at"],
            "screened_at": _reached(history, apps.index, 1),
            "interviewed_at": _reached(history, apps.index, 2),
            "offered_at": offered_at,
            "hired_at": hired_at.where(accepted),
            "rejected_at": apps["rejected_at"],
            # A later rating means something only for hires.
            "performance": pd.to_numeric(apps["performance"], errors="coerce").where(accepted),
        }
    )
    rounds = _round_scores(scores, apps.index)
    return pd.concat([table, rounds], axis=1).reset_index(drop=True)


def _reached(history: pd.DataFrame, index: pd.Index, level: int) -> pd.Series:
    if not len(history) or "level" not in history:
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    at = history[history["level"] >= level].groupby("application_id")["entered_at"].min()
    return at.reindex(index).astype("datetime64[ns]")


def _round_scores(scores: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """``score_1 .. score_R``: each round's mean verdict, rounds in time order."""
    scores = scores.dropna(subset=["score"])
    if not len(scores):
        return pd.DataFrame(index=index)
    scores = scores.assign(score=pd.to_numeric(scores["score"], errors="coerce"))
    rounds = (
        scores.groupby(["application_id", "round"], dropna=False)
        .agg(score=("score", "mean"), at=("interviewed_at", "min"))
        .reset_index()
        .sort_values(["application_id", "at", "round"])
    )
    rounds["number"] = rounds.groupby("application_id").cumcount() + 1
    wide = rounds.pivot(index="application_id", columns="number", values="score")
    wide.columns = [f"score_{n}" for n in wide.columns]
    return wide.reindex(index)


def _requisitions(table: pd.DataFrame, jobs: pd.DataFrame, source: str) -> pd.DataFrame:
    """One row per finished job in the columns of :mod:`simfunnel.io.ats`."""
    level = table["milestone"].cat.codes
    external = ~table["internal"]
    by = table["requisition_id"]
    count = {
        "applicants": external,
        "shortlisted": external & (level >= 1),
        "interviewed": level >= 2,
        "internal_interviewed": table["internal"] & (level >= 2),
        "offers": table["offered"],
        "hires": table["accepted"],
        "internal_hires": table["internal"] & table["accepted"],
    }
    counts = pd.DataFrame({k: v.astype(int) for k, v in count.items()}).groupby(by).sum()
    jobs = jobs.set_index("requisition_id")
    counts = counts.reindex(jobs.index, fill_value=0)
    too_many = counts["hires"] > jobs["openings"]
    if too_many.any():
        rid = too_many.index[too_many][0]
        raise _fail(
            jobs["_at"][rid],
            "openings",
            f"requisition {shown(rid)} has {counts['hires'][rid]} hires for "
            f"{jobs['openings'][rid]} opening(s)",
        )
    first_hire = table[table["accepted"]].groupby("requisition_id")["hired_at"].min()
    closed = first_hire.reindex(jobs.index)
    cancelled = counts["hires"] == 0
    closed = closed.where(~cancelled, jobs["closed"])
    frame = counts.assign(
        posted=jobs["posted"].dt.normalize(),
        closed=closed.dt.normalize(),
        cancelled=cancelled.astype(int),
    )
    frame.index.name = "requisition_id"
    frame = frame.reset_index()
    frame["requisition_id"] = frame["requisition_id"].astype(str)
    out = frame[list(REQUISITION_COLUMNS)].copy()
    for column in ("posted", "closed"):
        out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out.astype({c: object for c in out.columns})


def read_applications(
    path: str | Path,
    format: str = "csv",
    stage_map: StageMap | str | Path | Mapping | None = None,
    mapping: str | Path | Mapping | None = None,
    *,
    min_requisitions: int = 1,
) -> Applications:
    """Read a per-application export and normalise it (see the module).

    Parameters
    ----------
    path : the export: a folder of the vendor's files, or one file.
    format : ``greenhouse`` (Harvest JSON or warehouse CSV), ``lever``, ``ashby``,
        ``workable`` or ``csv`` (any per-application table, with ``mapping``).
    stage_map : a :class:`StageMap`, its YAML file, or a mapping with ``stages`` and
        ``reasons``; ``None`` proposes one (:func:`suggest`) and refuses names it cannot place.
    mapping : for ``csv``: the YAML mapping file (or its contents as a mapping).

    Returns
    -------
    Applications
        ``.applications``, ``.requisitions`` (what ``simfunnel fit`` reads), ``.dropped``.
    """
    from simfunnel.io.vendors import read_raw

    raw = read_raw(path, format, mapping)
    if stage_map is not None and not isinstance(stage_map, StageMap):
        stage_map = (
            StageMap.from_mapping(stage_map)
            if isinstance(stage_map, Mapping)
            else StageMap.read(stage_map)
        )
    if stage_map is not None:
        # What the export itself says (Workable's stage kinds, a mapping file) fills gaps.
        stage_map = StageMap(
            {**raw.known_stages, **stage_map.stages},
            {**raw.known_reasons, **stage_map.reasons},
            stage_map.source,
        )
    return normalise(raw, stage_map, min_requisitions=min_requisitions)


def read_application_table(path: str | Path) -> pd.DataFrame:
    """An ``applications.csv`` written by ``simfunnel import``, back in its types.

    Raises
    ------
    InputError
        One line naming the file (and the column) when it is not such a table.
    """
    path = Path(path)
    label = shown_path(path)
    if not path.is_file():
        raise InputError(f"{label}: no such file")
    if path.stat().st_size > MAX_BYTES:
        raise InputError(f"{label}: too big (at most {MAX_BYTES // 2**20} MiB)")
    needed = ("requisition_id", "application_id", "internal", "milestone", "offered", "accepted")
    try:
        frame = pd.read_csv(path, dtype={"requisition_id": str, "application_id": str},
                            nrows=MAX_ROWS + 1)  # fmt: skip
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        raise InputError(f"{label}: cannot read as CSV") from None
    for column in needed:
        if column not in frame:
            raise InputError(
                f"{label}: missing column {column} (give the applications.csv of simfunnel import)"
            )
    bad = ~frame["milestone"].isin(MILESTONES)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{label}: row {i + 2}, column milestone: {shown(frame['milestone'][i])} is not one "
            f"of {', '.join(MILESTONES)}"
        )
    frame["milestone"] = pd.Categorical(frame["milestone"], categories=list(MILESTONES))
    for column in ("internal", "offered", "accepted"):
        values = frame[column].map({True: True, False: False, "True": True, "False": False})
        if values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise InputError(f"{label}: row {i + 2}, column {column}: expected True or False")
        frame[column] = values.astype(bool)
    return frame
