"""Outputs of one run: funnel, loss reasons, offer probability, margins, seasonality,
felt vs actual.

Each output computes its table and the sentence that states its finding here, from a
:class:`~simfunnel.analysis.result.Result`; :mod:`simfunnel.present.charts.run` only draws them.
No Matplotlib here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.outputs.rates import (
    MONTHS,
    RANGE_COLUMNS,
    cluster_rate,
    offer_probability_table,
    percent,
    scenario_note,
)
from simfunnel.analysis.result import Result
from simfunnel.errors import NothingToChartError
from simfunnel.metrics import LOSS_REASONS, METHODS, STAGES, ordinal
from simfunnel.model.attribution import RESIDUALS  # reasons that are not a mechanism

if TYPE_CHECKING:
    from simfunnel.analysis.you import YouResult


def _one_in(rate: float) -> str:
    return f"1 in {round(1 / rate)}"


# ------------------------------------------------------------------ outputs
class Funnel(Output):
    """Applicants -> shortlisted -> interviewed -> offers -> hires, per opening.

    Table: one row per stage: ``stage, label, count_per_opening, ci_low, ci_high``
    and ``rate``, the share of the stage before who reach this one (1 for applicants).
    The finding states the offer rate among interviewees.
    """

    chart = "run:draw_funnel"

    @classmethod
    def from_result(cls, result: Result) -> Funnel:
        table = result.funnel()
        table.insert(1, "label", [STAGES.get(s, s) for s in table["stage"]])
        offer_rate = float(result.summary().loc["offer_rate_interviewed", "value"])
        if not offer_rate > 0:
            finding = "No interviewee gets an offer"
        elif offer_rate <= 0.4:
            finding = f"Only {_one_in(offer_rate)} interviewees gets an offer"
        else:
            finding = f"{percent(offer_rate)} of interviewees get an offer"
        counts = table["count_per_opening"]
        note = (
            f"{scenario_note(result, cis=False)}\n{counts.iloc[0]:.0f} applicants per opening "
            f"end in {counts.iloc[-1]:.2f} hires"
        )
        return cls(table, finding, note)


class LossReasons(Output):
    """Why good interviews got no offer: the share of good interviewees without an
    offer, by reason, for each attribution method asked for.

    One method by default, ``sequential``: it is the one a room follows at once ("the
    first removal that gives them an offer"), and its shares add up to 100%. Shapley
    (order-free) and removed-alone are on request (``methods=``). Reasons that no
    method gives any loss (e.g. an internal candidate in a scenario without internals)
    are left out. Table: ``method, method_label, reason, label, share, ci_low, ci_high,
    mechanism`` (False for the residuals: took another job, narrow margin, a truly
    better candidate, the interview's noise).
    """

    chart = "loss_reasons:draw_loss_reasons"

    @classmethod
    def from_result(cls, result: Result, methods: Sequence[str] = ("sequential",)) -> LossReasons:
        methods = [methods] if isinstance(methods, str) else list(methods)
        unknown = [m for m in methods if m not in METHODS]
        if not methods or unknown:
            raise ValueError(f"methods must be some of {', '.join(METHODS)}, got {methods}")
        frame = result.loss_reasons()
        frame = frame[frame["method"].isin(methods)]
        if frame.empty:
            raise ValueError("this result has no loss attribution (simulate with attribution=True)")
        seen = frame.groupby("reason")["ci_high"].max()
        frame = frame[frame["reason"].isin(seen.index[seen > 0])]
        if frame.empty:
            raise NothingToChartError("no good interview lost an offer in this result")
        frame = frame.assign(
            method_order=frame["method"].map(methods.index),
            method_label=frame["method"].map(METHODS),
            label=frame["reason"].map(lambda r: LOSS_REASONS[r].label),
            mechanism=~frame["reason"].isin(RESIDUALS),
        )
        table = frame.sort_values("method_order", kind="stable").drop(columns="method_order")
        ranges = RANGE_COLUMNS if result.uncertain else []
        table = table[
            ["method", "method_label", "reason", "label", "share", "ci_low", "ci_high", *ranges,
             "mechanism"]
        ].reset_index(drop=True)  # fmt: skip
        first = methods[0]
        primary = table[table["method"] == first].set_index("reason")["share"]
        good = percent(result.scenario.analysis.good_interview_top_share)
        if first == "removed_alone" and primary.empty:
            finding = "No good interview lost an offer for a reason this run can attribute"
            detail = "each switched off alone on the same draws; someone else may lose instead"
        elif first == "removed_alone":
            top = primary.idxmax()
            finding = (
                f"Without {LOSS_REASONS[top].label.lower()}, {percent(primary[top])} of the good "
                "interviews that lose would win an offer"
            )
            detail = "each switched off alone on the same draws; someone else may lose instead"
        else:
            finding = _loss_finding(table[table["method"] == first])
            noise = f"; {percent(primary.get('interview_noise', 0))} to the interview's noise"
            # Only while the title stays within two lines on a 16:9 slide.
            if "interview_noise" in primary and len(finding + noise) <= 86:
                finding += noise
            detail = (
                "reason = the first removal that gives them an offer"
                if first == "sequential"
                else "each reason's average part over every order of removal"
            )
        note = (
            f"{scenario_note(result, ranges=True)}\ngood interview = top {good} of scores; {detail}"
        )
        out = cls(table, finding, note)
        out.methods = tuple(methods)
        return out

    @classmethod
    def from_you(cls, result: YouResult) -> LossReasons:
        """Why *your* interviews got no offer (``simfunnel you``): the sequential
        reasons over the openings where the focal candidate interviewed and lost."""
        frame = result.loss_reasons
        frame = frame[(frame["method"] == "sequential") & (frame["share"] > 0)]
        if frame.empty:
            raise NothingToChartError("you got an offer in every interview simulated")
        table = frame.assign(
            method_label=METHODS["sequential"],
            label=frame["reason"].map(lambda r: LOSS_REASONS[r].label),
            mechanism=~frame["reason"].isin(RESIDUALS),
        )[["method", "method_label", "reason", "label", "share", "ci_low", "ci_high", "mechanism"]]
        table = table.reset_index(drop=True)
        ranked = table.sort_values("share", ascending=False)
        top = ranked.iloc[0]
        finding = f"Your lost interviews: {top['label'].lower()} {percent(top['share'])}"
        process = ranked[ranked["mechanism"]]
        if not process.empty and process.iloc[0]["reason"] != top["reason"]:
            finding += f", {process.iloc[0]['label'].lower()} {percent(process.iloc[0]['share'])}"
        you_are = [f"{ordinal(result.percentile)} percentile"]
        if result.metadata.get("alignment") is not None:
            you_are.append(f"alignment {result.metadata['alignment']:g}")
        if result.metadata.get("niche"):
            you_are.append("niche experience")
        note = (
            f"{result.scenario.name.replace('_', ' ')} scenario · you: {', '.join(you_are)} · "
            f"{round(result.openings * (1 - result.offer[0])):,} of {result.openings:,} "
            "interviews lost\nreason = the first removal that gives you the offer"
        )
        out = cls(table, finding, note)
        out.methods = ("sequential",)
        out.xlabel = "Share of your interviews that got no offer"
        return out


def _loss_finding(rows: pd.DataFrame) -> str:
    """The mechanism that sinks most good interviews; two when their CIs overlap."""
    rows = rows.set_index("reason")
    mechanisms = rows[rows["mechanism"]] if rows["mechanism"].any() else rows
    ranked = mechanisms.sort_values("share", ascending=False)
    if ranked.empty:
        return "No good interview lost an offer for a reason this run can attribute"
    top = ranked.iloc[0]
    if len(ranked) > 1 and ranked["ci_high"].iloc[1] >= top["ci_low"]:
        second = ranked.iloc[1]
        share = percent((top["share"] + second["share"]) / 2)
        return (
            f"{top['label']} and {second['label'].lower()} each sink about {share} of the "
            "good interviews that lose"
        )
    return f"{top['label']} sinks {percent(top['share'])} of the good interviews that lose"


def _best_interview_from_summary(table: pd.DataFrame, result: Result) -> pd.DataFrame:
    """The best interview's row from the whole run, not the kept openings' subsample.

    Its rate is ``top_interview_offer_rate`` by definition (one best interview per
    opening with interviewees), so the title, the bar and the run's table agree.
    """
    summary = result.summary()
    if "top_interview_offer_rate" not in summary.index:
        return table
    row = (table["ranked_by"] == "interview score") & (table["rank"] == 1)
    whole = summary.loc["top_interview_offer_rate"]
    table = table.copy()
    for column in ("rate", "ci_low", "ci_high"):
        table.loc[row, column] = float(whole["value" if column == "rate" else column])
    return table


class OfferProbability(Output):
    """The chance that an interviewee gets an offer, with cluster-honest 95% CIs.

    ``by="rank"``: against rank within the slate (1 = best), ranked by interview score
    and by true quality. ``by="quality"``: external interviewees against their
    true-quality percentile in the applicant pool. Table:
    :func:`offer_probability_table`; :attr:`overall` is the offer rate of all
    interviewees.
    """

    chart = "run:draw_offer_probability"

    @classmethod
    def from_result(
        cls, result: Result, by: str = "rank", *, min_count: int = 50
    ) -> OfferProbability:
        table = offer_probability_table(result, by, min_count=min_count)
        if table.empty:
            raise NothingToChartError("this result has no interviewees to chart")
        note = scenario_note(result)
        simulated = result.metadata.get("openings", len(result.openings))
        kept = min(simulated, result.scenario.analysis.candidate_openings)
        if by == "rank":
            table = _best_interview_from_summary(table, result)
            best = table[(table["ranked_by"] == "interview score") & (table["rank"] == 1)]
            truly = table[(table["ranked_by"] == "true quality") & (table["rank"] == 1)]
            p_best = float(best["rate"].iloc[0])
            finding = (
                f"Even the best interview gets an offer only {percent(p_best)} of the time"
                if p_best < 0.9
                else f"The best interview gets an offer {percent(p_best)} of the time"
            )
            note += (
                f"\nbars: interviewees of the first {kept:,} openings (best interview: all)"
                if kept < simulated
                else f"\n{len(result.candidates):,} interviewees of {kept:,} openings"
            )
            if len(truly):
                p_truly = percent(truly["rate"].iloc[0])
                note += f"; the truly best candidate in the slate gets one {p_truly} of the time"
        else:
            top = table.iloc[-1]
            finding = (
                f"Even a top-{100 - top['low']:.0f}% candidate gets an offer from only "
                f"{percent(top['rate'])} of interviews"
            )
            pairs = zip(table["low"], table["high"], strict=True)
            bands = ", ".join(f"{lo:g}–{hi:g}" for lo, hi in pairs)
            note += f"\nexternals of the first {kept:,} openings, in percentile bands {bands}"
        out = cls(table, finding, note)
        out.by = by
        out.overall = float(result.summary().loc["offer_rate_interviewed", "value"])
        return out


class Margins(Output):
    """How close hiring decisions are: the winner's lead over the runner-up.

    The lead is in standard deviations of the manager's score among interviewees (raw
    score units when ``analysis.narrow_margin`` is 0). Table: a histogram with bins as
    wide as the microscopic band, up to the ``quantile`` of leads: ``low, high, share,
    microscopic``. Attributes: ``band`` (the microscopic lead), ``rate``, ``ci_low``,
    ``ci_high`` (the share of decisions won by less) and ``decisions``.
    """

    chart = "run:draw_margins"

    @classmethod
    def from_result(cls, result: Result, *, quantile: float = 0.99) -> Margins:
        margin = result.openings["margin"].dropna().to_numpy(dtype=float)
        if margin.size == 0:
            raise NothingToChartError("this result has no decided openings with a runner-up")
        band_u = float(result.metadata["narrow_margin_u"])
        band_sd = float(result.scenario.analysis.narrow_margin)
        scale = band_u / band_sd if band_sd > 0 and band_u > 0 else 1.0
        band, values = band_u / scale, margin / scale
        summary = result.summary()
        if "microscopic_margin_rate" in summary.index:
            row = summary.loc["microscopic_margin_rate", ["value", "ci_low", "ci_high"]]
            rate, low, high = (float(v) for v in row)
        else:
            rate = low = high = float(np.mean(margin < band_u))
        top = float(np.quantile(values, quantile))
        width = band if band > 0 else (top - values.min()) / 50
        if not width > 0:  # every margin equal (e.g. one decision): one bin of unit width
            width = 1.0
        edges = np.arange(min(0.0, values.min()), top + width, width)
        counts, _ = np.histogram(values, edges)
        table = pd.DataFrame(
            {
                "low": edges[:-1],
                "high": edges[1:],
                "share": counts / values.size,
                "microscopic": edges[:-1] < band,
            }
        )
        finding = (
            f"{_one_in(rate)} hiring decisions is won by a microscopic margin"
            if rate > 0
            else "No hiring decision is won by a microscopic margin"
        )
        note = (
            f"{scenario_note(result)}\nmicroscopic = a lead under {band:g} of the usual spread "
            f"of scores: {percent(rate, 1)} (95% CI {percent(low, 1)}–{percent(high, 1)}) "
            f"of {values.size:,} decisions"
        )
        out = cls(table, finding, note)
        out.band, out.rate, out.ci_low, out.ci_high = band, rate, low, high
        out.decisions, out.in_sd = int(values.size), scale != 1.0
        return out


class Seasonality(Output):
    """The chance that a role is cancelled, by posting quarter (or month), with 95% CIs.

    ``by="quarter"`` reads the run's summary (all openings); ``by="month"`` the openings
    table (posting week -> month). Table: ``period, rate, ci_low, ci_high``;
    :attr:`overall` is the cancellation rate of all openings. The finding names a
    ratio only when the highest and lowest periods' CIs do not overlap.
    """

    chart = "run:draw_seasonality"

    @classmethod
    def from_result(cls, result: Result, by: str = "quarter") -> Seasonality:
        summary = result.summary()
        if by == "quarter":
            rows = summary.loc[[f"cancel_rate_q{q}" for q in range(1, 5)]]
            table = pd.DataFrame(
                {
                    "period": ["Q1", "Q2", "Q3", "Q4"],
                    **{c: rows[c].to_numpy() for c in ("ci_low", "ci_high")},
                    **{c: rows[c].to_numpy() for c in RANGE_COLUMNS if result.uncertain},
                }
            )
            table.insert(1, "rate", rows["value"].to_numpy())
        elif by == "month":
            openings = result.openings
            month = np.minimum(openings["posting_week"].to_numpy() * 12 // 52, 11)
            month = pd.Series(month, index=openings.index)
            rates = cluster_rate(openings, month, "cancelled", result.uncertain)
            rates = rates.reindex(range(12))
            table = rates[["rate", "ci_low", "ci_high"]].reset_index(drop=True)
            table.insert(0, "period", list(MONTHS))
        else:
            raise ValueError(f"by must be 'quarter' or 'month', got {by!r}")
        overall = float(summary.loc["cancel_rate", "value"])
        rate = table["rate"].to_numpy(dtype=float)
        highest, lowest = int(np.nanargmax(rate)), int(np.nanargmin(rate))
        ratio = rate[highest] / rate[lowest] if rate[lowest] > 0 else np.inf
        separated = table["ci_low"].iloc[highest] > table["ci_high"].iloc[lowest]
        period = table["period"]
        if separated and ratio >= 1.15:
            times = f"{ratio:.1f}x as often as" if np.isfinite(ratio) else "more often than"
            finding = f"Roles posted in {period[highest]} are cancelled {times} in {period[lowest]}"
        else:
            finding = (
                f"No meaningful difference by posting {by}: about {percent(overall)} of roles "
                "are cancelled"
            )
        stage = "cancelled at any stage, before or after interviews"
        note = f"{scenario_note(result, ranges=by == 'quarter')}\n{stage}"
        out = cls(table, finding, note)
        out.by, out.overall, out.highest = by, overall, highest
        return out


FELT_SERIES = (
    ("good_interview", "Actually a good interview (top {top})"),
    ("best_interview", "Actually the best interview of the slate"),
    ("offer", "Got an offer"),
)


class FeltVsActual(Output):
    """How the interview felt against how it went.

    By felt-score percentile among interviewees (``bins`` equal bands): the share who
    actually had a good interview, the best interview of their slate, and an offer,
    with cluster-honest 95% CIs. Table: ``series, label, low, high, mid, rate, ci_low,
    ci_high``. Attributes: ``felt_great_from`` (the percentile where "felt great"
    starts) and ``no_offer`` (the share of those who felt great who got no offer).
    """

    chart = "run:draw_felt_vs_actual"

    @classmethod
    def from_result(cls, result: Result, *, bins: int = 10) -> FeltVsActual:
        candidates = result.candidates
        if candidates.empty:
            raise NothingToChartError("this result has no interviewees to chart")
        summary = result.summary()
        felt = candidates["felt_great"].astype(bool)
        if "felt_great_no_offer_rate" in summary.index:
            no_offer = float(summary.loc["felt_great_no_offer_rate", "value"])
        else:
            no_offer = float((~candidates.loc[felt, "offer"].astype(bool)).mean())
        percentile = 100 * candidates["felt_score"].rank(pct=True, method="average")
        edges = np.linspace(0, 100, bins + 1)
        group = np.searchsorted(edges, percentile.to_numpy(), side="left") - 1
        group = pd.Series(np.clip(group, 0, bins - 1), index=candidates.index)
        frame = candidates.assign(best_interview=candidates["interview_rank"] == 1)
        top = percent(result.scenario.analysis.good_interview_top_share)
        parts = []
        for column, label in FELT_SERIES:
            rates = cluster_rate(frame, group, column, result.uncertain).reindex(range(bins))
            parts.append(
                pd.DataFrame(
                    {
                        "series": column,
                        "label": label.format(top=top),
                        "low": edges[:-1],
                        "high": edges[1:],
                        "mid": (edges[:-1] + edges[1:]) / 2,
                        **{c: rates[c].to_numpy() for c in ("rate", "ci_low", "ci_high")},
                    }
                )
            )
        finding = f"{percent(no_offer)} of candidates who felt great got no offer"
        bias = result.scenario.interview.self_assessment.bias
        note = (
            f"{scenario_note(result)}\n"
            f"felt score = interview score + self-assessment bias ({bias:+g}) + noise"
        )
        out = cls(pd.concat(parts, ignore_index=True), finding, note)
        out.no_offer = no_offer
        out.felt_great_from = float(percentile[felt].min()) if felt.any() else 100.0
        return out


class TimeToFill(Output):
    """Days from posting to the first accepted offer, among roles that hired.

    Table: a histogram by week, ``low, high, share`` (days; shares of filled roles).
    Attributes: ``mean``, ``ci_low``, ``ci_high`` (the run's ``days_to_fill`` over all
    openings), ``median`` and ``p80`` (of the kept openings' table), ``filled`` (roles
    in it that hired) and ``cancelled_share`` (roles cancelled instead, not shown).
    """

    chart = "run:draw_time_to_fill"

    @classmethod
    def from_result(cls, result: Result) -> TimeToFill:
        openings = result.openings
        days = openings["days_to_fill"].dropna().to_numpy(dtype=float)
        if days.size == 0:
            raise NothingToChartError("no role in this result was filled")
        edges = np.arange(0.0, 7.0 * (np.ceil(days.max() / 7.0) + 1), 7.0)
        counts, _ = np.histogram(days, edges)
        table = pd.DataFrame({"low": edges[:-1], "high": edges[1:], "share": counts / days.size})
        table = table[table["high"] > days.min()].reset_index(drop=True)
        row = result.summary().loc["days_to_fill", ["value", "ci_low", "ci_high"]]
        median, p80 = (float(v) for v in np.quantile(days, [0.5, 0.8]))
        finding = (
            f"Half of roles are filled within {median:.0f} days; 1 in 5 takes more than {p80:.0f}"
        )
        cancelled = float(openings["cancelled"].mean())
        note = (
            f"{scenario_note(result)}\ndays from posting to the first accepted offer; "
            f"mean {row['value']:.1f} days (95% CI {row['ci_low']:.1f}–{row['ci_high']:.1f}); "
            f"{percent(cancelled)} of roles were cancelled instead"
        )
        out = cls(table, finding, note)
        out.mean, out.ci_low, out.ci_high = (float(v) for v in row)
        out.median, out.p80, out.filled, out.cancelled_share = median, p80, days.size, cancelled
        return out


# ------------------------------------------------------------------ the registry
@dataclass(frozen=True)
class RunChart:
    """One chart of a run: how its output is built from a result, and whether a result
    holds what the chart needs (candidate rows, decided openings, ...).

    Calling it builds the output: ``RUN_OUTPUTS["funnel"](result)``.
    """

    build: Callable[[Result], Output]
    supports: Callable[[Result], bool]

    def __call__(self, result: Result) -> Output:
        return self.build(result)


def _always(result: Result) -> bool:
    return True


def _has_candidates(result: Result) -> bool:
    return not result.candidates.empty and "offer" in result.candidates


def _has_margins(result: Result) -> bool:
    return (
        "margin" in result.openings
        and result.openings["margin"].notna().any()
        and "narrow_margin_u" in result.metadata
    )


def _has_losses(result: Result) -> bool:
    return not result.loss_reasons().empty


def _has_filled(result: Result) -> bool:
    return "days_to_fill" in result.openings and result.openings["days_to_fill"].notna().any()


def _has_quarters(result: Result) -> bool:
    return {f"cancel_rate_q{q}" for q in range(1, 5)} <= set(result.summary().index)


RUN_OUTPUTS: dict[str, RunChart] = {
    "funnel": RunChart(Funnel.from_result, _always),
    "loss_reasons": RunChart(LossReasons.from_result, _has_losses),
    "offer_probability": RunChart(
        lambda result: OfferProbability.from_result(result, "rank"), _has_candidates
    ),
    "offer_probability_by_quality": RunChart(
        lambda result: OfferProbability.from_result(result, "quality"), _has_candidates
    ),
    "margins": RunChart(Margins.from_result, _has_margins),
    "seasonality": RunChart(Seasonality.from_result, _has_quarters),
    "felt_vs_actual": RunChart(FeltVsActual.from_result, _has_candidates),
    "time_to_fill": RunChart(TimeToFill.from_result, _has_filled),
}
"""Every chart of one run, by name, how its output is built from a result and whether a
result supports it: the one list that ``simfunnel run`` and ``simfunnel charts``, the
deck, the explorer and the docs gallery draw from."""


def supported_charts(result: Result) -> list[str]:
    """Names of the charts of :data:`RUN_OUTPUTS` that ``result`` holds the data for."""
    return [name for name, chart in RUN_OUTPUTS.items() if chart.supports(result)]
