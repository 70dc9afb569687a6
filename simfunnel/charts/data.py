"""Tidy tables the charts draw: cluster-honest rates and offer probability."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from simfunnel.result import Result
from simfunnel.summary import Z_95


# ------------------------------------------------------------------ tidy helpers
def cluster_rate(frame: pd.DataFrame, by: str | pd.Series, success: str) -> pd.DataFrame:
    """P(success) per group with 95% CIs that respect clustering within openings.

    Interviewees of one opening compete, so they are not independent; openings are.
    Each group's rate is a ratio of per-opening totals with the delta-method variance
    over openings (as in :mod:`simfunnel.summary`), which reduces to the binomial
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
    per_opening = (
        pd.DataFrame(
            {"group": keys, "opening": frame["opening"], "y": frame[success].astype(float)}
        )
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
    return pd.DataFrame(
        {
            "rate": rate,
            "ci_low": (rate - Z_95 * se).clip(lower=0.0),
            "ci_high": (rate + Z_95 * se).clip(upper=1.0),
            "count": x.astype(int),
            "openings": n.astype(int),
        }
    )


def quality_percentile(candidates: pd.DataFrame) -> pd.Series:
    """Each interviewee's true quality as a percentile of the applicant pool (q ~ N(0, 1))."""
    return pd.Series(100 * ndtr(candidates["quality"].to_numpy()), index=candidates.index)


QUALITY_BINS = (0, 25, 50, 70, 80, 90, 95, 99, 100)


def offer_probability_table(
    result: Result,
    by: str = "rank",
    *,
    min_count: int = 50,
    quality_bins: Sequence[float] = QUALITY_BINS,
) -> pd.DataFrame:
    """The data behind :func:`offer_probability`: P(offer) with cluster-honest 95% CIs.

    Parameters
    ----------
    result : Result
    by : {"rank", "quality"}
        ``"rank"``: by rank within the slate (1 = best), once ranked by interview score
        and once by true quality (column ``ranked_by``). ``"quality"``: external
        interviewees by true-quality percentile of the applicant pool, in
        ``quality_bins`` (columns ``low, high, mid``).
    min_count : int
        Groups with fewer interviewees are dropped (too noisy to show).
    """
    candidates = result.candidates
    if by == "rank":
        frames = []
        for column, label in (
            ("interview_rank", "interview score"),
            ("quality_rank", "true quality"),
        ):
            table = cluster_rate(candidates, column, "offer")
            table.index.name = "rank"
            frames.append(table.reset_index().assign(ranked_by=label))
        out = pd.concat(frames, ignore_index=True)
        return out[out["count"] >= min_count].reset_index(drop=True)
    if by == "quality":
        externals = candidates[~candidates["internal"].astype(bool)]
        edges = np.asarray(quality_bins, dtype=float)
        bins = pd.cut(quality_percentile(externals), edges, include_lowest=True)
        table = cluster_rate(externals, bins, "offer")
        table = table.reindex(bins.cat.categories).dropna(subset=["rate"])
        out = table.reset_index(drop=True)
        out.insert(0, "low", [interval.left for interval in table.index])
        out.insert(1, "high", [interval.right for interval in table.index])
        out.insert(2, "mid", (out["low"] + out["high"]) / 2)
        out["low"] = out["low"].clip(lower=0.0)
        return out[out["count"] >= min_count].reset_index(drop=True)
    raise ValueError(f"by must be 'rank' or 'quality', got {by!r}")
