"""The registry: every metric, reason and label defined once, and used everywhere."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import simfunnel as sf
from simfunnel import metrics
from simfunnel.metrics.glossary import GROUP_TERMS
from simfunnel.model.attribution import REASONS

PACKAGE = Path(sf.__file__).parent


def test_every_summary_metric_is_in_the_registry(baseline_result) -> None:
    summary = baseline_result.summary()
    assert list(summary.index) == [m for m in metrics.METRICS if m in summary.index]
    # money only where a salary is configured (the baseline has none)
    assert set(summary.index) == set(metrics.METRICS) - {"money_per_hire"}
    assert (summary["description"] == [metrics.METRICS[m].definition for m in summary.index]).all()


def test_loss_reasons_follow_the_attribution_order() -> None:
    assert tuple(metrics.LOSS_REASONS) == REASONS


def test_labels_are_plain_and_unique() -> None:
    labels = [m.label for m in metrics.METRICS.values()]
    assert len(set(labels)) == len(labels)
    for entry in metrics.METRICS.values():
        assert "_" not in entry.label and "P(" not in entry.label, entry.label
        assert len(entry.short) <= 22 and entry.definition.endswith("."), entry.name


def test_no_label_dictionary_is_defined_outside_the_registry() -> None:
    """A dict literal mapping three or more metric, reason or scenario-key names to
    strings is a second registry: it must not exist outside simfunnel/metrics/."""
    names = set(metrics.METRICS) | set(metrics.LOSS_REASONS) | set(metrics.KEY_LABELS)
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "metrics":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Dict):
                labels = {
                    k.value
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant)
                    and isinstance(v, ast.Constant)
                    and isinstance(v.value, str)
                }
                if len(labels & names) >= 3:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, offenders


def test_helpers_are_defined_once() -> None:
    for helper in ("def _ordinal", "def ordinal", "Z_95 =", "def _is_rate"):
        places = [p.name for p in PACKAGE.rglob("*.py") if helper in p.read_text()]
        assert len(places) <= 1, (helper, places)


def test_ordinal_and_formats() -> None:
    assert [metrics.ordinal(v) for v in (1, 2, 3, 11, 12, 13, 21, 99.9, 100)] == [
        "1st", "2nd", "3rd", "11th", "12th", "13th", "21st", "99.9th", "100th"
    ]  # fmt: skip
    share = metrics.METRICS["hire_rate"]
    assert share.format(0.2061) == "20.6%" and share.format_interval(0.1, 0.2) == "10.0–20.0%"
    assert share.format_difference(-0.00001) == "±0.00 pp"
    assert share.format_difference(0.0123) == "+1.23 pp"
    assert metrics.METRICS["mean_hire_value"].format(1.046) == "1.05 SD"


def test_the_registry_lists_itself_and_writes_the_glossary() -> None:
    listing = subprocess.run(
        [sys.executable, "-m", "simfunnel", "metrics"], capture_output=True, text=True, check=True
    ).stdout
    assert all(name in listing for name in metrics.METRICS)
    glossary = metrics.glossary_markdown()
    assert glossary.count("\n| `") == len(metrics.METRICS) + len(metrics.DENOMINATORS) + len(
        metrics.LOSS_REASONS
    ) + len(metrics.METHODS) + len(GROUP_TERMS)
    committed = PACKAGE.parent / "docs" / "glossary.md"
    assert committed.read_text() == glossary, "run: simfunnel metrics --markdown > docs/glossary.md"
