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
