"""What every reported number is: the one registry of metrics, loss reasons and methods.

The summary, the terminal report, every chart, the CLI and the glossary
(``docs/glossary.md``) read names, plain-language labels, definitions and units
from here, so a metric is called the same everywhere and is defined once.

    simfunnel metrics               # the registry as a table (or: python -m simfunnel metrics)
    simfunnel metrics --markdown    # the glossary page, docs/glossary.md
"""

# One module per kind of name (import from here, ``simfunnel.metrics``):
#   registry    the summary metrics (Metric, METRICS, HEADLINE, ...) and their formats
#   benchmarks  the published figures the baseline reproduces (BENCHMARKS)
#   reasons     the loss reasons and attribution methods
#   labels      funnel stages, scenario keys and ordinals in plain words
#   glossary    the registry as a table and the glossary page (``simfunnel metrics``)

from __future__ import annotations

from simfunnel.metrics.benchmarks import BENCHMARKS, Benchmark
from simfunnel.metrics.glossary import glossary_markdown, main
from simfunnel.metrics.labels import (
    BETTER,
    KEY_ENDS,
    KEY_LABELS,
    STAGES,
    applicant_percentile,
    hire_value_words,
    key_end,
    key_label,
    money_words,
    ordinal,
    scenario_label,
    setting,
    setting_value,
)
from simfunnel.metrics.reasons import LOSS_REASONS, METHOD_DEFINITIONS, METHODS, Reason
from simfunnel.metrics.registry import (
    ATTRIBUTION_METRICS,
    DENOMINATORS,
    HEADLINE,
    METRICS,
    SWEEP_METRICS,
    Denominator,
    Metric,
    Unit,
    label,
    metric,
    unknown_metric,
)

__all__ = [
    "ATTRIBUTION_METRICS",
    "BENCHMARKS",
    "BETTER",
    "DENOMINATORS",
    "HEADLINE",
    "KEY_ENDS",
    "KEY_LABELS",
    "LOSS_REASONS",
    "METHODS",
    "METHOD_DEFINITIONS",
    "METRICS",
    "STAGES",
    "SWEEP_METRICS",
    "Benchmark",
    "Denominator",
    "Metric",
    "Reason",
    "Unit",
    "applicant_percentile",
    "glossary_markdown",
    "hire_value_words",
    "key_end",
    "key_label",
    "label",
    "main",
    "metric",
    "money_words",
    "ordinal",
    "scenario_label",
    "setting",
    "setting_value",
    "unknown_metric",
]
