"""Simulated openings as an applicant-tracking export: one row per requisition.

The same counts an ATS export holds (:mod:`simfunnel.io.ats`), read off the
:class:`~simfunnel.model.engine.Funnel` of each opening:

- ``applicants``: the pool size; ``shortlisted``: the externals invited (the
  shortlist size, also when the role was cancelled before interviews);
- ``interviewed``: externals and the internal interviewed (0 if cancelled before
  interviews); ``internal_interviewed``: 1 if the internal contender interviewed;
- ``offers``, ``hires``, ``internal_hires``: offers made, accepted, accepted by the internal;
- ``cancelled``: 1 if the role was cancelled or closed without a hire;
- ``posting_week`` (0..51) and ``process_weeks``: weeks from posting to the accepted
  offer (the decision), or to the week of cancellation.

:func:`requisition_arrays` is what the fit compares with data (arrays, no dates);
:func:`export_frame` adds the dates and ids of a real export (the example file).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from simfunnel.io.ats import NUMBERS
from simfunnel.model import calendar as cal
from simfunnel.model.engine import Funnel, Model, draw_blocks, simulate_funnel
from simfunnel.model.rng import BLOCK_OPENINGS, BLOCKS, SeedLike, normalise_seed
from simfunnel.model.scenario import Scenario

# A requisition's numbers, in the order of an export (simfunnel.io.ats.NUMBERS), then
# the two the dates give.
FIELDS = (*NUMBERS, "posting_week", "process_weeks")
DAYS_PER_WEEK = 7
EXPORT_DATES = 103  # child stream of the seed for the export's years and days of the week


def requisition_arrays(funnel: Funnel, cancel_weeks: bool = False) -> dict[str, np.ndarray]:
    """Per-opening counts as float arrays, shape (openings,) each (see the module).

    ``process_weeks`` is the decision week (``T`` plus any pause) for openings not
    cancelled; cancelled ones get the week of their cancellation with ``cancel_weeks``,
    else NaN. ``cancelled_stage`` is the model's (0 not cancelled, 1 before, 2 after
    interviews): an export cannot tell it from a closure without a hire.
    """
    internal = funnel.internal_slot
    hires = funnel.hired.sum(axis=1)
    stopped = funnel.cancelled_stage != cal.NOT_CANCELLED
    process = funnel.decision_week.astype(float)
    process = np.where(stopped, funnel.freeze_week + 0.0 if cancel_weeks else np.nan, process)
    return {
        "applicants": funnel.applicants.astype(float),
        "shortlisted": funnel.shortlist.astype(float),
        "interviewed": funnel.interviewed.sum(axis=1).astype(float),
        "internal_interviewed": funnel.interviewed[:, internal].sum(axis=1).astype(float),
        "offers": funnel.offer.sum(axis=1).astype(float),
        "hires": hires.astype(float),
        "internal_hires": funnel.hired[:, internal].sum(axis=1).astype(float),
        "cancelled": (stopped | (hires == 0)).astype(float),
        "posting_week": funnel.posting_week.astype(float),
        "process_weeks": process,
        "cancelled_stage": funnel.cancelled_stage.astype(float),
    }


def export_frame(
    arrays: dict[str, np.ndarray],
    rng: np.random.Generator,
    first_year: int = 2024,
    years: int = 2,
) -> pd.DataFrame:
    """An ATS export of simulated requisitions: ids, ISO dates and the counts.

    Each requisition is posted in one of ``years`` calendar years from ``first_year``
    (drawn from ``rng``), on a day of its posting week (week ``w`` is days
    ``7w .. 7w+6`` from 1 January). It closes ``7 * process_weeks`` days later when
    decided, or on a day of its week of cancellation.
    """
    openings = len(arrays["applicants"])
    year = first_year + rng.integers(0, years, openings)
    day_in_week = rng.integers(0, DAYS_PER_WEEK, openings)
    cancel_day = rng.integers(0, DAYS_PER_WEEK, openings)
    stopped = arrays["cancelled_stage"] != cal.NOT_CANCELLED
    posted, closed = [], []
    for i in range(openings):
        start = dt.date(int(year[i]), 1, 1) + dt.timedelta(
            days=int(arrays["posting_week"][i]) * DAYS_PER_WEEK + int(day_in_week[i])
        )
        length = int(arrays["process_weeks"][i]) * DAYS_PER_WEEK
        # A cancelled role closes some day of its week of cancellation (never before posting).
        if stopped[i]:
            length += int(cancel_day[i])
        posted.append(start.isoformat())
        closed.append((start + dt.timedelta(days=length)).isoformat())
    frame = pd.DataFrame(
        {
            "requisition_id": [f"REQ-{i + 1:05d}" for i in range(openings)],
            "posted": posted,
            "closed": closed,
        }
    )
    for column in NUMBERS:
        frame[column] = arrays[column].astype(np.int64)
    return frame


def synthetic_export(scenario: Scenario, requisitions: int, seed: SeedLike) -> pd.DataFrame:
    """An ATS export of ``requisitions`` openings simulated from ``scenario``.

    The openings are the first ``requisitions`` of a run with this seed (the same
    draws as ``sf.simulate``); years and days of the week come from their own child
    stream. Reproducible from the seed.
    """
    seed = normalise_seed(seed)
    _, arrays = simulated_requisitions(scenario, requisitions, seed)
    return export_frame(arrays, seed.stream(EXPORT_DATES))


def simulated_requisitions(
    scenario: Scenario, requisitions: int, seed: SeedLike
) -> tuple[Funnel, dict[str, np.ndarray]]:
    """The first ``requisitions`` openings of a run with this seed (exact engine): the
    funnel and its requisition arrays, cancellation weeks included. Every simulated
    export (per requisition or per application) starts from these."""
    seed = normalise_seed(seed)
    scenario = scenario.model_copy(update={"engine": "exact"})
    model = Model.build(scenario)
    blocks = -(-requisitions // BLOCK_OPENINGS)
    draws = draw_blocks(scenario, seed, BLOCKS, 0, blocks)
    draws = {name: values[:requisitions] for name, values in draws.items()}
    funnel = simulate_funnel(model, draws)
    return funnel, requisition_arrays(funnel, cancel_weeks=True)
