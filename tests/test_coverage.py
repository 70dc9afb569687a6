"""The 95% CIs cover what they claim: a small version of scripts/coverage.py.

R independent small runs against a much larger run. With R = 60 and a true
coverage of 95%, fewer than 51 covering runs (85%) has probability < 0.1%; the
under-coverage this test was written for (68% for the good-interview share when
the threshold came from each run's own pilot; 43% for the 10-interview search
curve) fails it.
"""

from __future__ import annotations

import importlib.util
import sys

import pytest

from .conftest import ROOT

_spec = importlib.util.spec_from_file_location("coverage_script", ROOT / "scripts" / "coverage.py")
coverage = importlib.util.module_from_spec(_spec)
sys.modules["coverage_script"] = coverage  # dataclasses look their module up
_spec.loader.exec_module(coverage)

SMALL = coverage.Settings(
    runs=60,
    openings=2_000,
    truth_openings=200_000,
    kept=300,
    truth_kept=20_000,
    interviews=6,
    workers=2,
)
FLOOR = 0.85


@pytest.mark.slow
def test_headline_intervals_cover() -> None:
    table = coverage.headline_coverage(SMALL)
    assert (table.reported == 1).all()
    low = table[table.coverage < FLOOR]
    assert low.empty, low


@pytest.mark.slow
def test_job_search_intervals_cover() -> None:
    table = coverage.search_coverage(SMALL)
    low = table[table.coverage < FLOOR]
    assert low.empty, low
