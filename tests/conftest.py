"""Shared fixtures: the null scenario and small real runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib
import pytest

import simfunnel as sf

# No screen: draw off-screen in this process (not via MPLBACKEND, which would
# also reach the notebook kernels that tests start).
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "simfunnel" / "scenarios"  # the shipped scenarios

# MODEL.md's mechanisms all switched off: one position, screening validity 0,
# alignment and niche weights 0, no internal, no cancellation, no declines or withdrawals,
# risk aversion 0, no biases, no onboarding cost. Every interviewee is exchangeable.
NULL: dict[str, Any] = {
    "name": "null",
    "role": {"cancel_probability": 0.0, "positions": {1: 1.0}},
    "applicants": {"correlations": {}},
    "screening": {"validity": 0.0, "alignment_weight": 0.0, "niche_weight": 0.0},
    "internal": {"probability": 0.0},
    "offers": {
        "decline_probability": 0.0,
        "decline_quality_slope": 0.0,
        "internal_decline_probability": 0.0,
    },
    "withdrawal": {"weekly_hazard": 0.0},
    "manager": {
        "risk_aversion": 0.0,
        "affinity_weight": 0.0,
        "narrative_weight": 0.0,
        "niche_value": 0.0,
        "onboarding_cost": 0.0,
    },
}


def null_scenario(**overrides: Any) -> sf.Scenario:
    """The null scenario with dotted-key overrides."""
    return sf.model.scenario.build_scenario(NULL).with_overrides(overrides)


@pytest.fixture(scope="session")
def baseline() -> sf.Scenario:
    return sf.load_scenario(CONFIGS / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline_result(baseline: sf.Scenario) -> sf.Result:
    return sf.simulate(baseline, 20_000, seed=11)
