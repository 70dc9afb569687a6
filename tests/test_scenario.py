"""Scenarios: loading, validation messages, overrides, extends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simfunnel as sf
from simfunnel.errors import InputError
from simfunnel.io.loader import parse_override
from simfunnel.model.scenario import IntRange, describe_keys

from .conftest import CONFIGS


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "manager:\n  risk_averson: 2\n",
            "s.yaml:2: unknown key 'manager.risk_averson'; did you mean 'manager.risk_aversion'?",
        ),
        (
            "manager:\n  risk_aversion: -1\n",
            "s.yaml:2: manager.risk_aversion: must be in [0, 10], got -1",
        ),
        ("interview:\n  validity: 0\n", "s.yaml:2: interview.validity: must be in (0, 1], got 0"),
        (
            "manager:\n  risk_aversion: [1\n",
            "s.yaml:3:1: malformed YAML: expected ',' or ']', but got '<stream end>' "
            "(while parsing a flow sequence started at line 2, column 18)",
        ),
        (
            "screening:\n  shortlist: {low: 5, high: 120}\n",
            "shortlist of up to 120 is larger than the smallest pool (100 applicants)",
        ),
        (
            "applicants:\n  correlations:\n    quality~alignment: 0.9\n    alignment~culture: 0.9\n"
            "    quality~culture: -0.9\n",
            "s.yaml:2: the correlations do not form a valid (positive definite) correlation matrix",
        ),
        (
            "applicants:\n  correlations:\n    quality~alignmnt: 0.2\n",
            "did you mean 'quality~alignment'?",
        ),
        (
            "role:\n  positions: {1: 0.5, 2: 0.3}\n",
            "s.yaml:2: role.positions: probabilities must be >= 0 and sum to 1, got 0.8",
        ),
        (
            "role:\n  process_weeks: {low: 9, high: 4}\n",
            "s.yaml:2: role.process_weeks: low (9) must be <= high (4)",
        ),
        ("role:\n  posting_month_weights: [1, 2]\n", "needs 12 weights (January first), got 2"),
        ("interview:\n  rounds: three\n", "s.yaml:2: interview.rounds: must be a whole number"),
        ("- just\n- a list\n", "a scenario must be a mapping of keys"),
        ("extends: missing.yaml\n", "s.yaml:1: extends: no such config file"),
        (
            "role:\n  cancel_probability: 0.5\n  quarter_multipliers: [0, 0, 0, 1]\n"
            "  process_weeks: {low: 4, high: 4}\n",
            "cancel probability 0.5 cannot be reached",
        ),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(sf.InputError) as info:
        sf.load_scenario(path)
    message = str(info.value)
    assert "\n" not in message
    assert expected.replace("s.yaml", str(path)) in message


def test_every_key_has_description_default_and_range() -> None:
    rows = describe_keys()
    assert len(rows) > 40
    assert all(row["description"] for row in rows)
    numeric = [r for r in rows if r["default"].replace(".", "").replace("-", "").isdigit()]
    assert all(r["range"] for r in numeric if r["key"] not in {"seed"}), numeric


def test_overrides_give_a_new_scenario(baseline: sf.Scenario) -> None:
    changed = baseline.with_overrides({"manager.risk_aversion": 2, "role.positions": {1: 1.0}})
    assert changed.manager.risk_aversion == 2
    assert baseline.manager.risk_aversion == 0.5
    assert changed.role.positions == {1: 1.0}
    with pytest.raises(sf.InputError, match=r"unknown key 'manager\.risk'"):
        baseline.with_overrides({"manager.risk": 1})
    with pytest.raises(sf.InputError, match="must be in"):
        baseline.with_overrides({"offers.decline_probability": 1.5})
    with pytest.raises(Exception):  # noqa: B017 - frozen: pydantic's ValidationError
        baseline.manager.risk_aversion = 3  # type: ignore[misc]


def test_parse_override_reads_yaml_values() -> None:
    assert parse_override("manager.risk_aversion=2") == ("manager.risk_aversion", 2)
    assert parse_override("manager.hiring_bar=null") == ("manager.hiring_bar", None)
    assert parse_override("role.positions={1: 1.0}") == ("role.positions", {1: 1.0})
    with pytest.raises(sf.InputError, match="expected KEY=VALUE"):
        parse_override("manager.risk_aversion")


def test_extends_merges_and_names_the_child(tmp_path: Path) -> None:
    base = write(
        tmp_path,
        "name: base\nmanager:\n  risk_aversion: 1.5\n  affinity_weight: 0.2\n",
        "base.yaml",
    )
    child = write(tmp_path, f"extends: {base.name}\nmanager:\n  affinity_weight: 0\n", "child.yaml")
    scenario = sf.load_scenario(child)
    assert scenario.name == "child"
    assert scenario.manager.risk_aversion == 1.5
    assert scenario.manager.affinity_weight == 0
    loop = write(tmp_path, "extends: loop.yaml\n", "loop.yaml")
    with pytest.raises(sf.InputError, match="loops back"):
        sf.load_scenario(loop)


def test_error_in_inherited_key_points_at_the_parent_file(tmp_path: Path) -> None:
    write(tmp_path, "manager:\n  risk_aversion: 20\n", "parent.yaml")
    child = write(tmp_path, "extends: parent.yaml\n", "child.yaml")
    with pytest.raises(sf.InputError, match=r"parent\.yaml:2: manager\.risk_aversion"):
        sf.load_scenario(child)


def test_code_defaults_are_the_baseline(baseline: sf.Scenario) -> None:
    defaults = sf.Scenario().to_dict()
    loaded = baseline.to_dict()
    for key in ("name", "description"):
        defaults.pop(key), loaded.pop(key)
    assert defaults == loaded


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_config_loads_and_runs(config: Path) -> None:
    scenario = sf.load_scenario(config)
    assert scenario.description, "every shipped config tells its story in one line"
    result = sf.simulate(scenario, 3_000, seed=1)
    summary = result.summary()
    assert np.isfinite(summary.loc["offer_rate_interviewed", "value"])
    assert len(result.openings) == 3_000


def test_the_schema_and_the_calendar_agree_on_the_reachable_cancel_rate():
    """The schema checks reachability with simfunnel.model.seasons (no calendar import);
    the calendar solves the hazard just below that share and refuses just above."""
    from simfunnel.model.calendar import Calendar
    from simfunnel.model.scenario import Scenario
    from simfunnel.model.seasons import reachable_cancel_share

    role = Scenario().role.model_copy(
        update={
            "quarter_multipliers": (1.0, 0.0, 0.0, 0.0),
            "process_weeks": IntRange(low=2, high=3),
        }
    )
    share = reachable_cancel_share(None, role.quarter_multipliers, 2, 3)
    assert 0.2 < share < 0.5  # Q1 postings, plus late-Q4 ones that run into Q1
    Calendar.from_role(role.model_copy(update={"cancel_probability": share - 0.01}))
    with pytest.raises(InputError, match="cannot be reached"):
        Calendar.from_role(role.model_copy(update={"cancel_probability": share + 0.01}))
    with pytest.raises(InputError, match="cannot be reached") as refused:
        Scenario().with_overrides(
            {
                "role.quarter_multipliers": [1, 0, 0, 0],
                "role.process_weeks": {"low": 2, "high": 3},
                "role.cancel_probability": round(share + 0.01, 3),
            }
        )
    assert refused.value.path == "role.cancel_probability"


def test_the_schema_modules_have_no_function_local_imports():
    """No import cycle is dodged inside a function: scenario, sections, loader, validation,
    names."""
    import ast
    import inspect

    import simfunnel.io.loader
    import simfunnel.model.names
    import simfunnel.model.scenario
    import simfunnel.model.sections
    import simfunnel.model.validation

    for module in (
        simfunnel.model.scenario,
        simfunnel.model.sections,
        simfunnel.io.loader,
        simfunnel.model.validation,
        simfunnel.model.names,
    ):
        tree = ast.parse(inspect.getsource(module))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                inner = [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
                assert not inner, f"{module.__name__}.{node.name} imports inside a function"
