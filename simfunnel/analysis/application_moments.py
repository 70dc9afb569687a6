"""What the application table adds: moments the requisition counts lack, and what moves them.

The requisition table says how many were interviewed, offered and hired. The
application table also says *who*: their round scores, whether the top-scored
interviewee got the offer, whether the internal won. These moments move with the
parameters the counts cannot identify (MODEL.md 7): interview validity and the
presence share (through the scores), risk aversion (through who wins given the
scores). :func:`moments` computes them from an application table;
:func:`simulated_moments` from a scenario, through the same table and the same
ordinal verdicts; :class:`ApplicationMoments` sets the data beside the model, with
each moment's sensitivity to each parameter, so a reader sees which the export can
identify.

Ordinal verdicts (a scorecard's definitely_not / no / yes / strong_yes) are matched
through thresholds: the model's round score ``x_r = x_bar + b (e_r - e_mean)``
(exactly its distribution given the mean the engine draws, MODEL.md 1.5) is cut at
the quantiles of the data's own verdict distribution, so simulated verdicts have the
data's marginal shares and only their joint behaviour (the correlation between
rounds, who gets the offer) carries information.

This is a diagnostic: ``simfunnel fit`` does not use these moments yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.model.engine import Model, draw_blocks, simulate_funnel
from simfunnel.model.interview import measurement
from simfunnel.model.rng import BLOCK_OPENINGS, BLOCKS, SeedLike, normalise_seed
from simfunnel.model.scenario import Scenario

MOMENTS = {
    "round_correlation": "correlation of two rounds' verdicts (interviewees)",
    "top_scored_offered": "top-scored interviewee got an offer (requisitions with offers)",
    "offer_rate_rank_1": "offer rate of the top-scored interviewee",
    "offer_rate_rank_2": "offer rate of the second-scored interviewee",
    "internal_win_rate": "internal hired, when an internal interviewed and someone was hired",
    "score_performance_correlation": "correlation of hires' mean verdict and later rating",
}
PARAMETERS = {
    # key: (low, high) of the prior box the sensitivity spans
    "interview.validity": (0.05, 0.6),
    "interview.presence_share": (0.0, 0.8),
    "manager.risk_aversion": (0.0, 2.0),
}
MOMENT_STREAM = 105  # child stream of the seed for the simulated round noise
REPLICATE_STREAM, SWING_STREAM = 106, 107  # replicate exports; the sensitivity runs


def _rounds(table: pd.DataFrame) -> list[str]:
    return sorted(
        (c for c in table.columns if c.startswith("score_")), key=lambda c: int(c.split("_")[1])
    )


def moments(table: pd.DataFrame) -> dict[str, float]:
    """The moments of :data:`MOMENTS` of an application table (NaN where it cannot say).

    Parameters
    ----------
    table : DataFrame
        ``requisition_id``, ``internal``, ``milestone`` (categorical, or its code 0-4),
        ``offered``, ``accepted`` and ``score_1 .. score_R``.
    """
    level = (
        table["milestone"].cat.codes
        if isinstance(table["milestone"].dtype, pd.CategoricalDtype)
        else table["milestone"]
    )
    interviewed = table[np.asarray(level) >= 2]
    rounds = _rounds(interviewed)
    out = dict.fromkeys(MOMENTS, np.nan)
    if len(rounds) >= 2:
        both = interviewed.dropna(subset=rounds[:2])
        if len(both) > 2 and both[rounds[0]].std() > 0 and both[rounds[1]].std() > 0:
            out["round_correlation"] = float(np.corrcoef(both[rounds[0]], both[rounds[1]])[0, 1])
    if rounds:
        scored = interviewed.assign(mean=interviewed[rounds].mean(axis=1)).dropna(subset=["mean"])
        by = scored.groupby("requisition_id")
        best = by["mean"].transform("max")
        # Rank 1 = best mean verdict; ties share the better rank.
        rank = by["mean"].rank(method="min", ascending=False)
        with_offers = by["offered"].transform("any") & (by["mean"].transform("size") >= 2)
        top = scored[with_offers & (scored["mean"] == best)]
        if len(top):
            out["top_scored_offered"] = float(top.groupby("requisition_id")["offered"].any().mean())
        considered = scored[with_offers]
        for r in (1, 2):
            at = considered[rank[with_offers] == r]
            if len(at):
                out[f"offer_rate_rank_{r}"] = float(at["offered"].mean())
    if rounds and "performance" in interviewed:
        hired = interviewed[interviewed["accepted"]]
        rated = hired.assign(mean=hired[rounds].mean(axis=1)).dropna(subset=["mean", "performance"])
        # Range-restricted (hires only), as the simulation is: it is matched, not corrected.
        if len(rated) > 2 and rated["mean"].std() > 0 and rated["performance"].std() > 0:
            out["score_performance_correlation"] = float(
                np.corrcoef(rated["mean"], rated["performance"])[0, 1]
            )
    hires = interviewed.groupby("requisition_id")["accepted"].transform("any")
    internals = interviewed[interviewed["internal"] & hires]
    if len(internals):
        out["internal_win_rate"] = float(internals["accepted"].mean())
    return out


def verdict_shares(table: pd.DataFrame) -> np.ndarray | None:
    """Cumulative shares of the data's verdict levels among interviewees' rounds, shape
    (levels - 1,); None if the scores are not a few ordinal levels (then simulated
    scores are compared as they are)."""
    rounds = _rounds(table)
    if not rounds:
        return None
    values = pd.concat([table[c] for c in rounds]).dropna()
    levels = np.sort(values.unique())
    if len(levels) < 2 or len(levels) > 10:
        return None
    return values.value_counts(normalize=True).reindex(levels).cumsum().to_numpy()[:-1]


def performance_shares(table: pd.DataFrame) -> np.ndarray | str | None:
    """How hires' ratings are matched: cumulative shares of a few ordinal levels,
    ``"raw"`` for continuous ratings, None without a performance column."""
    if "performance" not in table or not table["performance"].notna().any():
        return None
    values = table["performance"].dropna()
    levels = np.sort(values.unique())
    if len(levels) > 10:
        return "raw"
    return values.value_counts(normalize=True).reindex(levels).cumsum().to_numpy()[:-1]


def simulated_table(
    scenario: Scenario,
    openings: int,
    seed: SeedLike,
    shares: np.ndarray | None,
    performance: np.ndarray | str | None = None,
) -> pd.DataFrame:
    """Interviewees of ``openings`` simulated openings as an application table.

    With ``performance`` (see :func:`performance_shares`), hires get a later rating:
    true quality plus noise at the reliability of supervisory ratings (.52), cut where
    the simulated hires' shares of each rating equal ``performance``.

    Round verdicts (1 .. len(shares) + 1) cut the interviewees' round scores at their own
    quantiles ``shares``, so that their shares of each verdict are the data's; without
    shares, the round scores themselves.
    """
    seed = normalise_seed(seed)
    scenario = scenario.model_copy(update={"engine": "exact"})
    model = Model.build(scenario)
    blocks = -(-openings // BLOCK_OPENINGS)
    draws = draw_blocks(scenario, seed, BLOCKS, 0, blocks)
    draws = {name: values[:openings] for name, values in draws.items()}
    funnel = simulate_funnel(model, draws)
    rounds = scenario.interview.rounds
    shape = measurement(scenario.interview)
    rng = seed.stream(MOMENT_STREAM)
    e = rng.standard_normal((*funnel.interview_score.shape, rounds))
    x = funnel.interview_score[..., None] + shape.round_noise_sd * (
        e - e.mean(axis=2, keepdims=True)
    )
    interviewed = funnel.interviewed
    if shares is None:
        verdict = x
    else:
        cuts = np.quantile(x[interviewed], shares)
        verdict = np.searchsorted(cuts, x) + 1.0
    opening, slot = np.nonzero(interviewed)
    table = pd.DataFrame(
        {
            "requisition_id": opening,
            "internal": funnel.internal_slot[slot],
            "milestone": 2 + funnel.offer[opening, slot] + funnel.hired[opening, slot],
            "offered": funnel.offer[opening, slot],
            "accepted": funnel.hired[opening, slot],
        }
    )
    for r in range(rounds):
        table[f"score_{r + 1}"] = verdict[opening, slot, r]
    if performance is not None:
        from simfunnel.analysis.application_export import PERFORMANCE_RELIABILITY

        noise_sd = np.sqrt((1 - PERFORMANCE_RELIABILITY) / PERFORMANCE_RELIABILITY)
        latent = funnel.quality[opening, slot] + noise_sd * rng.standard_normal(len(opening))
        hired = table["accepted"].to_numpy()
        if isinstance(performance, str) or not hired.any():
            rating = latent
        else:
            rating = np.searchsorted(np.quantile(latent[hired], performance), latent) + 1.0
        table["performance"] = np.where(hired, rating, np.nan)
    return table


def simulated_moments(
    scenario: Scenario,
    openings: int,
    seed: SeedLike,
    shares: np.ndarray | None,
    performance: np.ndarray | str | None = None,
) -> dict[str, float]:
    return moments(simulated_table(scenario, openings, seed, shares, performance))


class ApplicationMoments(Output):
    """The application table's moments: observed, simulated (90% range at the export's
    size) and each moment's sensitivity to the parameters the counts cannot identify.

    Table: ``moment, label, observed, simulated_q05, simulated_q95, sd`` and, per
    parameter, ``swing:<key>``: how far the moment moves across the parameter's prior
    box, in SDs of the moment at the export's size (above about 2: the export can
    identify that parameter from this moment, given the others).
    """

    chart = ""

    @classmethod
    def from_data(
        cls,
        table: pd.DataFrame,
        scenario: Scenario,
        *,
        replicates: int = 20,
        seed: SeedLike = 1,
    ) -> ApplicationMoments:
        observed = moments(table)
        cuts = verdict_shares(table)
        rated = performance_shares(table)
        size = int(table["requisition_id"].nunique())
        seed = normalise_seed(seed)
        reps = [
            simulated_moments(scenario, size, child, cuts, rated)
            for child in (
                np.random.SeedSequence(seed.entropy, spawn_key=(REPLICATE_STREAM, i))
                for i in range(replicates)
            )
        ]
        frame = pd.DataFrame(reps)
        rows = []
        big = max(size * 10, 2000)
        swings = {}
        for key, (low, high) in PARAMETERS.items():
            ends = [
                simulated_moments(
                    scenario.with_overrides({key: v}),
                    big,
                    np.random.SeedSequence(seed.entropy, spawn_key=(SWING_STREAM,)),
                    cuts,
                    rated,
                )
                for v in _ends(scenario, key, low, high)
            ]
            swings[key] = {m: ends[1][m] - ends[0][m] for m in MOMENTS}
        for name, label in MOMENTS.items():
            sd = float(frame[name].std(ddof=1))
            row = {
                "moment": name,
                "label": label,
                "observed": observed[name],
                "simulated_q05": float(frame[name].quantile(0.05)),
                "simulated_q95": float(frame[name].quantile(0.95)),
                "sd": sd,
            }
            for key in PARAMETERS:
                row[f"swing:{key}"] = abs(swings[key][name]) / sd if sd > 0 else np.nan
            rows.append(row)
        out = pd.DataFrame(rows)
        finding = _finding(out)
        note = (
            f"{size:,} requisitions; simulated: {replicates} exports of that size from the "
            "scenario; swing = change across the prior box / SD at this size"
        )
        return cls(out, finding, note)


def _ends(scenario: Scenario, key: str, low: float, high: float) -> tuple[float, float]:
    """The prior box's ends, pulled in where the scenario's validation refuses them."""
    values = []
    for value in (low, high):
        for shrink in (0.0, 0.1, 0.25, 0.5):
            current = _get(scenario, key)
            candidate = value + (current - value) * shrink
            try:
                scenario.with_overrides({key: candidate})
            except Exception:
                continue
            values.append(candidate)
            break
        else:
            values.append(_get(scenario, key))
    return values[0], values[1]


def _get(scenario: Scenario, key: str) -> float:
    value = scenario
    for part in key.split("."):
        value = getattr(value, part)
    return float(value)


def _finding(table: pd.DataFrame) -> str:
    found = []
    for key in PARAMETERS:
        column = table[f"swing:{key}"]
        if column.max() >= 2:
            found.append(f"{key} (via {table.loc[column.idxmax(), 'moment']})")
    if not found:
        return (
            "No moment of this export moves enough to identify validity, presence or risk aversion"
        )
    return "The application table can identify " + ", ".join(found)
