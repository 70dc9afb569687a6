"""The fit's report: a terminal summary and ``fit_report.md``, from one table."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from simfunnel.analysis.outputs.fit import FitResult, format_value
from simfunnel.io.files import atomic_write

NOT_IDENTIFIED = "not identified by these data"


def _verdict(row) -> str:
    if row["role"] == "kept":
        return f"{NOT_IDENTIFIED} (kept)" if not row["identified"] else "identified (kept)"
    if row["at_edge"]:
        integer = bool(row["integer"])
        bound = format_value(row[f"prior_{row['at_edge']}"], integer)
        how = (
            f"widen it: {row['widen']}"
            if row["widen"]
            else "as far as the key goes: the data put it at its limit"
        )
        return f"not identified: at its prior box's {row['at_edge']} edge ({bound}); {how}"
    return "identified" if row["identified"] else NOT_IDENTIFIED


def parameter_rows(fit: FitResult) -> list[list[str]]:
    """Parameter, prior, posterior median, 90% interval, verdict: as text cells."""
    rows = []
    for _, row in fit.to_df().iterrows():
        integer = bool(row["integer"])
        prior = (
            f"{format_value(row['prior_value'], integer)} in "
            f"[{format_value(row['prior_low'], integer)}, "
            f"{format_value(row['prior_high'], integer)}]"
        )
        median = format_value(row["median"], integer) if row["role"] == "fitted" else "(prior)"
        interval = f"{format_value(row['q05'], integer)}-{format_value(row['q95'], integer)}"
        rows.append([row["parameter"], prior, median, interval, _verdict(row)])
    return rows


def check_rows(fit: FitResult) -> list[list[str]]:
    rows = []
    for _, row in fit.checks.iterrows():
        flag = " EXTREME" if row["extreme"] else ""
        rows.append(
            [
                row["label"] + ("" if row["used_in_fit"] else " (not fitted)"),
                f"{row['observed']:.3g}",
                f"{row['simulated_q05']:.3g}-{row['simulated_q95']:.3g}",
                f"{row['p_value']:.2f}{flag}",
            ]
        )
    return rows


def _intro(fit: FitResult) -> list[str]:
    meta = fit.metadata
    return [
        f"Fitted {fit.base.name} to {meta['source']}: {meta['requisitions']:,} requisitions, "
        f"seed {meta['seed']}, {meta['elapsed_seconds']:.1f} s "
        f"({meta['simulations']:,} simulations of {meta['simulated_requisitions']:,} "
        f"requisitions; {meta['bootstrap_draws']} bootstrap refits; "
        f"{meta['check_data_sets']} predictive data sets).",
        fit.finding + ".",
        *_flag_summary(fit),
    ]


def _flag_summary(fit: FitResult) -> list[str]:
    """One line per kind of flagged requisition (the ids are in flagged.csv)."""
    flags = fit.flags
    if flags.empty:
        return []
    lines = []
    words = {
        "outlier": "far out (a count 3 interquartile ranges beyond the quartiles)",
        "internals": "interviewed 2+ internals (the model has one: counted as one)",
        "open": "open, so censored (counts so far used, outcome left out)",
    }
    for kind, what in words.items():
        ids = list(dict.fromkeys(flags.loc[flags["kind"] == kind, "requisition_id"]))
        if ids:
            shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            lines.append(f"Flagged: {len(ids)} requisition{'s' if len(ids) > 1 else ''} {what}: "
                         f"{shown} (flagged.csv).")  # fmt: skip
    return lines


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  " + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append(
            "  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        )
    return lines


PARAMETER_HEADER = ["parameter", "prior (value in box)", "median", "90% interval", "verdict"]
CHECK_HEADER = ["statistic", "observed", "simulated 90%", "p-value"]


def format_fit(fit: FitResult) -> str:
    """The terminal summary: every parameter and every posterior predictive check."""
    lines = _intro(fit)
    lines += [
        "",
        "Parameters (identified: 90% interval under half the prior box's, off its edges)",
    ]
    lines += _table(PARAMETER_HEADER, parameter_rows(fit))
    lines += ["", "Posterior predictive checks (p-value: could the fitted model give this?)"]
    lines += _table(CHECK_HEADER, check_rows(fit))
    return "\n".join(lines)


def _markdown(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return lines


def format_fit_markdown(fit: FitResult) -> str:
    """``fit_report.md``: the same tables, with how to read them."""
    lines = ["# Fit report", "", *_intro(fit), ""]
    lines += [
        "## Parameters",
        "",
        "Each fitted parameter's prior is a uniform box around the scenario's value; its",
        "posterior median and 90% interval come from parametric-bootstrap refits (method of",
        "simulated moments, docs/MODEL.md section 7). *Identified* means the 90% interval is",
        "less than half as wide as the prior box's 90% range and reaches neither end of the",
        "box: a parameter at its box's edge is bounded by the prior, not by the data (widen",
        "the box with `--prior KEY=LOW:HIGH`). Parameters marked *kept* were not",
        "fitted: they keep the scenario's value, and the interval shows how little these",
        "counts would pin them down if they were fitted too.",
        "",
    ]
    lines += _markdown(PARAMETER_HEADER, parameter_rows(fit))
    lines += [
        "",
        "## Posterior predictive checks",
        "",
        "Each statistic of the data beside its 90% range over data sets of the same size",
        "simulated from the posterior. A p-value below 0.01 (EXTREME) says the fitted model",
        "cannot produce what the data show there; statistics marked *not fitted* were not",
        "used by the fit, so they check it independently.",
        "",
    ]
    lines += _markdown(CHECK_HEADER, check_rows(fit))
    lines += [
        "",
        "## Files",
        "",
        "- `fitted.yaml`: the scenario with the fitted values (extends `base_scenario.yaml`);",
        "  run it with `simfunnel run fitted.yaml`.",
        "- `posterior.csv`: one row per bootstrap draw of the fitted parameters; with",
        "  `simfunnel run fitted.yaml --posterior posterior.csv` every figure carries their",
        "  uncertainty (a range over parameter sets beside each CI).",
        "- `parameters.csv`, `checks.csv`, `distributions.csv`: the tables behind this report",
        "  and the check charts.",
        "- `flagged.csv`: requisitions to look at, by id and spreadsheet row: far outliers",
        "  (refit without them with `--exclude ID`), slates with two or more internals, open",
        "  requisitions (censored).",
        "",
    ]
    return "\n".join(lines)


def save_fit(
    fit: FitResult, directory: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write everything a fit folder holds into ``directory``: the fitted scenario, the
    tables, ``fit_report.md`` and (in ``formats``) the check charts. Returns the charts."""
    folder = Path(directory)
    fit.save(folder)
    report = format_fit_markdown(fit)
    atomic_write(folder / "fit_report.md", lambda p: p.write_text(report, encoding="utf-8"))
    if not formats:
        return []
    from simfunnel.present.charts.fit import save_fit_charts

    return save_fit_charts(fit, folder, formats)
