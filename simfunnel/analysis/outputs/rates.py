"""Rates with cluster-honest CIs, and the notes run charts share.

Interviewees of one opening compete, so rates over interviewees cluster by opening (by
block when parameters are drawn per block); :func:`cluster_rate` gives their CIs and
:func:`offer_probability_table` the chance of an offer by rank or true quality.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr
from scipy.stats import t as student_t

from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import Z_95
from simfunnel.metrics.labels import scenario_label
from simfunnel.model.rng import BLOCK_OPENINGS

QUALITY_BINS = (0, 25, 50, 70, 80, 90, 95, 99, 100)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# ------------------------------------------------------------------ helpers
def percent(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


RANGE_NOTE = "pale bars: range over parameter uncertainty"
RANGE_COLUMNS = ["param_low", "param_high"]


def scenario_note(result: Result, cis: bool = True, ranges: bool = False) -> str:
    """``baseline scenario · 100,000 simulated openings · 95% CIs`` (no underscores);
    ``ranges``: the chart also shows ranges over parameter uncertainty, if the run has them."""
    openings = result.metadata.get("openings", len(result.openings))
    name = scenario_label(result.scenario.name, "scenario")  # settings in plain words
    note = f"{name} · {openings:,} simulated openings" + (" · 95% CIs" if cis else "")
    return note + (f" · {RANGE_NOTE}" if ranges and result.uncertain else "")


def cluster_rate(
    frame: pd.DataFrame, by: str | pd.Series, success: str, per_block: bool = False
) -> pd.DataFrame:
    """The rate of ``success`` per group with 95% CIs that respect clustering in openings.

    Interviewees of one opening compete, so they are not independent; openings are.
    With parameters drawn per block (``per_block``), openings of a block share them, so
    the blocks are the independent units, and the CI uses Student's t with one degree
    of freedom fewer than blocks (a kept table may span only a few).
    Each group's rate is a ratio of per-opening totals with the delta-method variance
    over openings (as in :mod:`simfunnel.analysis.summary`), which reduces to the binomial
    interval when an opening contributes at most one row per group.

    Parameters
    ----------
    frame : DataFrame
        One row per interviewee (or opening), with an ``opening`` column.
    by : str or Series
        Column name or values to group by.
    success : str
        Boolean column.

    Returns
    -------
    DataFrame
        Index = group; columns ``rate, ci_low, ci_high, count, openings``.
    """
    keys = frame[by] if isinstance(by, str) else pd.Series(np.asarray(by), index=frame.index)
    unit = frame["opening"] // BLOCK_OPENINGS if per_block else frame["opening"]
    per_opening = (
        pd.DataFrame({"group": keys, "opening": unit, "y": frame[success].astype(float)})
        .groupby(["group", "opening"], observed=True)["y"]
        .agg(["sum", "size"])
    )
    groups = per_opening.groupby(level="group", observed=True)
    y, x, n = groups["sum"].sum(), groups["size"].sum(), groups.size()
    rate = y / x
    expected = (
        rate.reindex(per_opening.index.get_level_values("group")).to_numpy() * per_opening["size"]
    )
    residual_ss = ((per_opening["sum"] - expected) ** 2).groupby(level="group", observed=True).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(residual_ss / (n * (n - 1))) / (x / n)
        z = student_t.ppf(0.975, np.maximum(n - 1, 1)) if per_block else Z_95
    return pd.DataFrame(
        {
            "rate": rate,
            "ci_low": (rate - z * se).clip(lower=0.0),
            "ci_high": (rate + z * se).clip(upper=1.0),
            "count": x.astype(int),
            "openings": n.astype(int),
        }
    )


def quality_percentile(candidates: pd.DataFrame) -> pd.Series:
    """Each interviewee's true quality as a percentile of the applicant pool (q ~ N(0, 1))."""
    return pd.Series(100 * ndtr(candidates["quality"].to_numpy()), index=candidates.index)


def offer_probability_table(
    result: Result,
    by: str = "rank",
    *,
    min_count: int = 50,
    quality_bins: Sequence[float] = QUALITY_BINS,
) -> pd.DataFrame:
    """The chance of an offer for an interviewee, with cluster-honest 95% CIs.

    ``by="rank"``: by rank within the slate (1 = best), once ranked by interview score
    and once by true quality (column ``ranked_by``). ``by="quality"``: external
    interviewees by true-quality percentile of the applicant pool, in ``quality_bins``
    (columns ``low, high, mid``). Groups of fewer than ``min_count`` interviewees are
    dropped (too noisy to show).
    """
    candidates = result.candidates
    if by == "rank":
        frames = []
        for column, ranked_by in (
            ("interview_rank", "interview score"),
            ("quality_rank", "true quality"),
        ):
            table = cluster_rate(candidates, column, "offer", result.uncertain)
            table.index.name = "rank"
            frames.append(table.reset_index().assign(ranked_by=ranked_by))
        out = pd.concat(frames, ignore_index=True)
    elif by == "quality":
        externals = candidates[~candidates["internal"].astype(bool)]
        edges = np.asarray(quality_bins, dtype=float)
        bins = pd.cut(quality_percentile(externals), edges, include_lowest=True)
        table = cluster_rate(externals, bins, "offer", result.uncertain)
        table = table.reindex(bins.cat.categories).dropna(subset=["rate"])
        out = table.reset_index(drop=True)
        out.insert(0, "low", [interval.left for interval in table.index])
        out.insert(1, "high", [interval.right for interval in table.index])
        out.insert(2, "mid", (out["low"] + out["high"]) / 2)
        out["low"] = out["low"].clip(lower=0.0)
    else:
        raise ValueError(f"by must be 'rank' or 'quality', got {by!r}")
    return out[out["count"] >= min_count].reset_index(drop=True)
