"""The registry as a table, and the glossary page (``docs/glossary.md``).

Both are commands:

    simfunnel metrics               # the registry as a table (or: python -m simfunnel metrics)
    simfunnel metrics --markdown    # the glossary page, docs/glossary.md
"""

from __future__ import annotations

import argparse
import sys

from simfunnel.metrics.reasons import LOSS_REASONS, METHOD_DEFINITIONS, METHODS
from simfunnel.metrics.registry import DENOMINATORS, METRICS

# Terms of a bias audit (`simfunnel audit`, `simfunnel groups`): (name, label, definition).
GROUP_TERMS = (
    (
        "selection_rate",
        "Selection rate",
        "of a group's applicants at the stage before, the share who reach this stage "
        "(end to end: of its applicants, the share hired)",
    ),
    (
        "impact_ratio",
        "Impact ratio",
        "a group's selection rate over the highest rate among the groups large enough to "
        "test (the reference); 1 is parity, with a 95% CI clustered by opening",
    ),
    (
        "four_fifths_rule",
        "Four-fifths rule",
        "an impact ratio below 0.8 is taken as evidence of adverse impact (US Uniform "
        "Guidelines on Employee Selection Procedures, 29 CFR 1607.4D); a rule of thumb, "
        "not a test, so audits report Fisher's exact p beside it",
    ),
    (
        "shortfall",
        "Shortfall",
        "the selections a group would have at the reference's rate, minus those it has "
        "(simulated: per 1,000 openings)",
    ),
    (
        "too_few_to_test",
        "Too few to test",
        "a group whose expected selections or rejections at the pooled rate are under 5 "
        "(Cochran's rule): reported with its counts and no test, never as free of impact",
    ),
)


def glossary_markdown() -> str:
    """The glossary page: every metric, loss reason and method, defined once."""
    lines = [
        "# Glossary",
        "",
        "Generated from `simfunnel/metrics/` by `simfunnel metrics --markdown`.",
        "Every rate is a ratio of totals over simulated openings, with a 95% confidence",
        "interval that treats openings (not candidates) as the independent units.",
        "",
        "## Metrics",
        "",
        "| Metric | Label | Definition | Unit | Published figure |",
        "|---|---|---|---|---|",
    ]
    units = {
        "share": "%",
        "per_opening": "per opening",
        "sd": "SD of quality",
        "days": "days",
        "money": "money",
    }
    for entry in METRICS.values():
        lines.append(
            f"| `{entry.name}` | {entry.label} | {entry.definition} | {units[entry.unit]} | "
            f"{entry.benchmark} |"
        )
    lines += [
        "",
        "## Denominators",
        "",
        "| Name | Among | Definition | Metrics |",
        "|---|---|---|---|",
    ]
    for d in DENOMINATORS.values():
        users = ", ".join(f"`{m.name}`" for m in METRICS.values() if m.denominator == d.name)
        lines.append(f"| `{d.name}` | {d.phrase} | {d.definition} | {users} |")
    table_head = ["| Name | Label | Definition |", "|---|---|---|"]
    lines += ["", "## Why good interviews lose", "", *table_head]
    lines += [f"| `{r.name}` | {r.label} | {r.definition} |" for r in LOSS_REASONS.values()]
    lines += ["", "## Attribution methods", "", *table_head]
    lines += [f"| `{k}` | {METHODS[k]} | {METHOD_DEFINITIONS[k]} |" for k in METHODS]
    lines += ["", "## Who loses, by group", "", *table_head]
    lines += [f"| `{name}` | {label} | {definition} |" for name, label, definition in GROUP_TERMS]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="simfunnel metrics", description=__doc__)
    parser.add_argument("--markdown", action="store_true", help="print the glossary page")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(glossary_markdown())
        return 0
    width = max(len(name) for name in METRICS)
    print(f"{'metric':<{width}}  {'unit':<11}  label")
    for entry in METRICS.values():
        flags = " (headline)" if entry.headline else ""
        print(f"{entry.name:<{width}}  {entry.unit:<11}  {entry.label}{flags}")
    print(f"\n{'reason':<{width}}  label")
    for reason in LOSS_REASONS.values():
        print(f"{reason.name:<{width}}  {reason.label}")
    return 0
