"""Plain-text reports for the terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import MIN_DIFFERING
from simfunnel.metrics import HEADLINE, LOSS_REASONS, METRICS, SWEEP_METRICS, ordinal
from simfunnel.model.uncertainty import MIN_UNCERTAIN_BLOCKS

if TYPE_CHECKING:
    import pandas as pd

    from simfunnel.analysis.explore import Comparison
    from simfunnel.analysis.you import YouResult


def format_value(metric: str, value: float) -> str:
    return METRICS[metric].format(value)


def format_interval(metric: str, low: float, high: float) -> str:
    return METRICS[metric].format_interval(low, high)


def format_result(result: Result) -> str:
    """A short, readable summary of a run: header, funnel, headline metrics, loss reasons."""
    meta = result.metadata
    lines = [
        f"simfunnel {meta.get('version', '?')} · {result.scenario.name} · "
        f"{meta.get('openings', 0):,} openings · seed {meta.get('seed')} · "
        f"simulated in {meta.get('elapsed_seconds', 0):.1f} s",
    ]
    if result.scenario.description:
        lines.append(result.scenario.description)
    interview = result.scenario.interview
    lines.append(
        f"Interviews: {interview.rounds} round{'s' if interview.rounds > 1 else ''}, validity "
        f"of the whole process {interview.composite_validity:.2f} (one round "
        f"{interview.validity:.2f})"
    )
    funnel = result.funnel()
    lines += ["", f"{'Funnel, per opening':<44}{'mean':>9}   conversion"]
    for row in funnel.itertuples():
        conversion = "" if row.Index == 0 else f"{100 * row.rate:.1f}%"
        lines.append(f"  {row.stage:<42}{row.count_per_opening:>9.2f}   {conversion}")
    summary = result.summary()
    before = summary.loc["cancel_before_interviews_rate", "value"]
    internal = summary.loc["internal_present_rate", "value"]
    lines.append(
        f"  (the slate includes an internal in {100 * internal:.0f}% of openings; "
        f"{100 * before:.1f}% are cancelled before interviews)"
    )
    uncertain = result.uncertain
    if uncertain:
        lines += ["", *_uncertainty_lines(result)]
    header = f"{'Headline':<44}{'value':>9}   {'95% CI':<16}"
    lines += ["", header + ("95% range over parameters   share" if uncertain else "").rstrip()]
    for metric in HEADLINE:
        if metric not in summary.index:
            continue
        row, label = summary.loc[metric], METRICS[metric].label
        line = (
            f"  {label:<42}{format_value(metric, row.value):>9}   "
            f"{format_interval(metric, row.ci_low, row.ci_high):<16}"
        )
        if uncertain:
            share = "" if np.isnan(row.param_share) else f"{100 * row.param_share:.0f}%"
            span = format_interval(metric, row.param_low, row.param_high) or "n/a"
            line += f"{span:<28}{share:>5}"
        lines.append(line.rstrip())
    losses = result.loss_reasons()
    if len(losses):
        lines += ["", "Why good interviews lost (share of good interviewees without an offer)"]
        lines += _loss_lines(losses)
    return "\n".join(lines)


def _uncertainty_lines(result: Result) -> list[str]:
    """What was drawn per block, and how to read the two intervals."""
    scenario = result.scenario
    drawn = [f"{key} ~ {dist.brief()}" for key, dist in scenario.uncertainty.items()]
    if scenario.posterior is not None:
        posterior = scenario.posterior
        source = f" of {posterior.source}" if posterior.source else ""
        keys = posterior.columns
        shown = ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")
        drawn.append(
            f"{len(keys)} key{'s' if len(keys) > 1 else ''} ({shown}) from the "
            f"{len(posterior.draws):,} posterior draws{source}"
        )
    blocks = int(result.statistics["blocks"].iloc[0])
    few = []
    if blocks < MIN_UNCERTAIN_BLOCKS:
        few = [
            f"  only {blocks} block{'s' if blocks != 1 else ''}: no range is reported below "
            f"{MIN_UNCERTAIN_BLOCKS} ({MIN_UNCERTAIN_BLOCKS * 1000:,} openings)"
            + ("" if blocks > 1 else ", nor a CI below 2")
        ]
    return [
        "Parameter uncertainty: one parameter set per block of 1,000 openings",
        *(f"  {text}" for text in drawn),
        *few,
        "  95% CI: Monte Carlo error of the average over parameter sets (more openings narrow it)",
        "  95% range: where the value lies for 95% of parameter sets; share: how much of "
        "the uncertainty is parameters",
    ]


def _loss_lines(losses) -> list[str]:
    lines = [f"  {'reason':<42}{'sequential':>11}{'Shapley':>10}"]
    table = losses.pivot(index="reason", columns="method", values="share")
    for reason, entry in LOSS_REASONS.items():
        label = entry.label
        if reason in table.index:
            sequential, shapley = table.loc[reason, "sequential"], table.loc[reason, "shapley"]
            lines.append(f"  {label:<42}{100 * sequential:>10.1f}%{100 * shapley:>9.1f}%")
    return lines


def format_you(result: YouResult) -> str:
    """The focal candidate's report: P(offer), why they lost, their job search."""
    p, low, high = result.offer
    scenario = result.scenario
    conditions = []
    if result.metadata.get("felt_great"):
        conditions.append("who felt the interview went great")
    if result.metadata.get("alignment") is not None:
        conditions.append(f"with alignment {result.metadata['alignment']:g}")
    if result.metadata.get("niche") is not None:
        conditions.append(
            "with the niche experience"
            if result.metadata["niche"]
            else "without the niche experience"
        )
    who = f"a candidate at the {ordinal(result.percentile)} percentile of true quality"
    lines = [
        f"simfunnel you · {scenario.name} · {who}"
        + (" " + ", ".join(conditions) if conditions else ""),
        f"Shortlisted and interviewed in {result.openings:,} of {result.simulated:,} simulated "
        f"openings ({100 * result.shortlist_rate:.1f}%).",
        "",
        f"Screening has already picked the slate: on average you are truly better than "
        f"{100 * result.better_than:.0f}% of the others you interview against.",
        "",
        f"P(offer) per interview: {100 * p:.1f}%  (95% CI {100 * low:.1f}–{100 * high:.1f}%)",
        f"That is about 1 offer in {1 / p:.1f} interviews." if p > 0 else "No offers at all.",
        *_application_lines(result),
        "",
        "Why you lost (share of your interviews without an offer)",
        *_loss_lines(result.loss_reasons),
        "",
        "Your job search: P(at least one offer) within N interviews",
        f"  {'N':>3}{'simulated':>12}{'95% CI':>16}{'if independent':>16}{'+ re-approached':>17}",
    ]
    for row in result.job_search.itertuples():
        lines.append(
            f"  {row.interviews:>3}{100 * row.p_any_offer:>11.1f}%"
            f"{f'{100 * row.ci_low:.1f}–{100 * row.ci_high:.1f}%':>16}"
            f"{100 * row.p_any_offer_independent:>15.1f}%{100 * row.p_any_offer_visible:>16.1f}%"
        )
    medians = result.median_interviews

    def median_text(value):
        return f"{value:g}" if value is not None else f"more than {result.interviews}"

    lines += [
        "",
        f"Median interviews to a first offer: {median_text(medians['p_any_offer'])} "
        f"(+ re-approached: {median_text(medians['p_any_offer_visible'])}).",
        f"Assumptions: openings are independent employers except for hiring freezes, which "
        f"the openings of one search share with role.freeze_correlation = "
        f"{scenario.role.freeze_correlation:g}; a runner-up is re-approached for a later "
        "opening with pipeline.recontact_probability = "
        f"{scenario.pipeline.recontact_probability:g} (an assumption: no published rate); "
        "'+ re-approached' adds the offers of those later openings, on top of the N "
        "interviews (so it can exceed the plain figure even at N = 1).",
    ]
    return "\n".join(lines)


def format_levers(table: pd.DataFrame) -> str:
    """Which of the candidate's own traits moves their chance most (:func:`levers`)."""
    lines = ["What you can change: P(offer) per interview, and per application"]
    for row in table.itertuples():
        lines.append(
            f"  {row.label:<32}{100 * row.p_offer:>6.1f}%  (95% CI {100 * row.ci_low:.1f}–"
            f"{100 * row.ci_high:.1f}%)   {100 * row.per_application:.2f}% per application"
        )
    most = table[table["trait"] == table.attrs["most"]]
    low, high = most.iloc[most["p_offer"].argmin()], most.iloc[most["p_offer"].argmax()]
    lines.append(
        f"Your {table.attrs['most'].replace('niche', 'niche experience')} moves it most: "
        f"{100 * low.p_offer:.1f}% {low.label} against {100 * high.p_offer:.1f}% "
        f"{high.label} (each from {table.attrs['openings']:,} interviews on the same draws)."
    )
    return "\n".join(lines)


def _application_lines(result: YouResult) -> list[str]:
    """The same chances counted in applications, the unit a job seeker controls."""
    rate = result.shortlist_rate
    p = result.offer[0]
    if rate <= 0 or p <= 0:
        return []
    interviews, applications, simulated = result.applications_for(0.8)
    how = "" if simulated else " (if interviews were independent)"
    return [
        f"In applications: {100 * rate:.1f}% end in an interview, so about 1 interview per "
        f"{1 / rate:,.0f} applications and 1 offer per {1 / (rate * p):,.0f}; an 80% chance "
        f"of at least one offer takes about {applications:,} applications ({interviews} "
        f"interviews){how}."
    ]


def format_comparison(comparison: Comparison) -> str:
    """Headline metrics side by side, then paired differences against the first scenario."""
    names = [r.scenario.name for r in comparison.results]
    width = max(12, *(len(n) + 2 for n in names))
    lines = [
        f"simfunnel compare · {comparison.results[0].metadata['openings']:,} openings per "
        f"scenario · seed {comparison.results[0].metadata['seed']} · common random numbers",
        "",
        f"{'':<44}" + "".join(f"{n:>{width}}" for n in names),
    ]
    summaries = [r.summary() for r in comparison.results]
    for metric in HEADLINE:
        if not all(metric in s.index for s in summaries):  # money: only with a salary
            continue
        label = METRICS[metric].label
        values = [format_value(metric, s.loc[metric, "value"]) for s in summaries]
        lines.append(f"  {label:<42}" + "".join(f"{v:>{width}}" for v in values))
    lines += [
        "",
        "Differences against the first scenario (paired 95% CI; unpaired CI width for scale)",
    ]
    for name, group in comparison.differences.groupby("scenario", sort=False):
        lines.append(f"  {name}")
        group = group.set_index("metric")
        for metric in (m for m in HEADLINE if m in group.index):
            row, entry = group.loc[metric], METRICS[metric]
            label = entry.label
            if row.difference != row.difference:
                lines.append(f"    {label:<44}{'n/a':>10}")
                continue
            difference = entry.format_difference(row.difference)
            if row.ci_low != row.ci_low:  # too few openings differ for a paired CI
                lines.append(
                    f"    {label:<44}{difference:>10}  "
                    + (
                        "(identical on every opening)"
                        if row.differing_openings == 0
                        else f"(only {row.differing_openings} openings differ: too few for a CI)"
                    )
                )
                continue
            scale = 100 if entry.is_share else 1
            lines.append(
                f"    {label:<44}{difference:>10}  "
                f"[{entry.format_difference(row.ci_low)}, {entry.format_difference(row.ci_high)}]"
                f"  width {scale * (row.ci_high - row.ci_low):.2f} vs unpaired "
                f"{scale * (row.unpaired_ci_high - row.unpaired_ci_low):.2f}"
            )
    return "\n".join(lines)


def format_sweep(table, keys: list[str]) -> str:
    """Headline metrics (value and 95% CI) at every grid point of a sweep."""
    attrs = table.attrs
    metrics = [m for m in SWEEP_METRICS if m in set(table.metric)] or list(
        dict.fromkeys(table.metric)
    )
    lines = [
        f"simfunnel sweep · {attrs.get('scenario', '')} · {', '.join(keys)} · "
        f"{attrs.get('openings', 0):,} openings per point · seed {attrs.get('seed')} · "
        "the same random draws at every point",
        "",
    ]
    key_width = max(12, *(len(k) + 2 for k in keys))
    points = table.drop_duplicates(keys)[keys].itertuples(index=False)
    indexed = table.set_index([*keys, "metric"])
    rows = []
    for point in points:
        # value ± the 95% CI half-width, in the metric's unit: narrow enough for a terminal.
        cells = []
        for metric in metrics:
            row, entry = indexed.loc[(*point, metric)], METRICS[metric]
            half = (row.ci_high - row.ci_low) / 2
            spread = "" if half != half else f" ±{100 * half if entry.is_share else half:.2f}"
            cells.append(entry.format(row.value).replace(" SD", "") + spread)
        rows.append((point, cells))
    widths = [
        max(len(METRICS[m].short), *(len(cells[i]) for _, cells in rows)) + 2
        for i, m in enumerate(metrics)
    ]
    lines.append(
        "".join(f"{k:>{key_width}}" for k in keys)
        + "".join(f"{METRICS[m].short:>{w}}" for m, w in zip(metrics, widths, strict=True))
    )
    for point, cells in rows:
        lines.append(
            "".join(f"{v:>{key_width}g}" for v in point)
            + "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True))
        )
    lines.append("(± the 95% CI half-width: percentage points for rates, SD for hire value)")
    return "\n".join(lines)


def format_sensitivity(table) -> str:
    """The one-at-a-time sensitivity table, largest swing first, each swing with its
    paired 95% CI."""
    attrs = table.attrs
    metric = attrs["metric"]
    share = METRICS[metric].is_share

    def amount(value: float) -> str:
        return f"{100 * value:.1f}" if share else f"{value:.3f}"

    lines = [
        f"simfunnel sensitivity · {attrs.get('scenario', '')} · {metric} · "
        f"each parameter alone at its low and high value, the same random draws",
        f"{metric} at the scenario's values: {format_value(metric, attrs['base'])}",
        "",
        f"  {'parameter':<40}{'low':>9}{'high':>9}{'at low':>10}{'at high':>10}"
        f"{'swing':>10}  95% CI",
    ]
    withheld = 0
    for row in table.head(15).itertuples():
        swing = f"{amount(row.swing)} pp" if share else amount(row.swing)
        low, high = getattr(row, "swing_ci_low", np.nan), getattr(row, "swing_ci_high", np.nan)
        if np.isfinite(low) and np.isfinite(high):
            interval = f"{amount(low)} to {amount(high)}"
        else:
            interval, withheld = "no CI", withheld + 1
        low_text, high_text = (
            getattr(row, f"{end}_setting", "") or f"{getattr(row, end):g}"
            for end in ("low", "high")
        )
        lines.append(
            f"  {row.parameter:<40}{low_text:>9}{high_text:>9}"
            f"{format_value(metric, row.value_low):>10}{format_value(metric, row.value_high):>10}"
            f"{swing:>10}  {interval}"
        )
    if len(table) > 15:
        lines.append(f"  ... top 15 of {len(table)} parameters; all in sensitivity.csv")
    unit = "percentage points" if share else "the metric's units"
    lines.append(
        f"(swing: |at high - at low| in {unit}; its 95% CI is paired per opening:\n"
        " each parameter's low and high points run on the same openings)"
    )
    if withheld:
        lines.append(
            f"({withheld} swings have no CI: fewer than {MIN_DIFFERING} openings differ between "
            "their low and high points; raise --openings to resolve them)"
        )
    return "\n".join(lines)
