"""The reference thresholds (MODEL.md 3) and the shared denominators of the registry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simfunnel.analysis.reference import reference_thresholds
from simfunnel.analysis.summary import denominator_columns, metric_columns
from simfunnel.metrics import DENOMINATORS, METRICS
from simfunnel.model.attribution import attribute
from simfunnel.model.calendar import CANCELLED_BEFORE_INTERVIEWS
from simfunnel.model.engine import Model, run_blocks
from simfunnel.model.rng import Seed
from tests.conftest import null_scenario


def _clustered_share(funnel, threshold: float) -> tuple[float, float]:
    """Share of interviewees at or above ``threshold``, counted, with its clustered SE."""
    interviewed = funnel.interviewed
    good = (interviewed & (funnel.interview_score >= threshold)).sum(axis=1)
    n = interviewed.sum(axis=1)
    share = good.sum() / n.sum()
    return share, math.sqrt(np.sum((good - share * n) ** 2)) / n.sum()


@pytest.mark.slow
def test_the_threshold_cuts_the_top_share_of_an_independent_sample(baseline) -> None:
    """Counting scores on 300,000 openings of another stream (not the reference's)
    gives the top share at the threshold within 3 combined SE. The old 20,000-opening
    quantile was 0.0016 off (29.84%), 5 SE of this test."""
    model = Model.build(baseline)
    limits = reference_thresholds(model, 1_000_000)  # a long run's precision: 0.00005
    assert limits.good_interview_se <= 5e-5
    assert limits.reference_openings >= baseline.analysis.pilot_openings
    top = baseline.analysis.good_interview_top_share
    shares, variances = [], []
    for first in range(0, 300, 100):
        funnel = run_blocks(model, Seed(987), 0, first, 100)
        share, se = _clustered_share(funnel, limits.good_interview)
        shares.append(share)
        variances.append(se**2)
    share, se = np.mean(shares), math.sqrt(np.sum(variances)) / 3
    assert abs(share - top) < 3 * math.hypot(se, limits.good_interview_se), (share, se)
    assert se < 0.0004  # the test can tell an error of 0.0016


def test_a_noiseless_interview_cuts_quality_itself() -> None:
    """Validity 1 (no presence, no round noise): the score is quality, the threshold its
    quantile among interviewees (the conditioning has nothing to average)."""
    scenario = null_scenario(**{"interview.validity": 1.0, "interview.presence_share": 0.0})
    model = Model.build(scenario)
    limits = reference_thresholds(model)
    funnel = run_blocks(model, Seed(5), 0, 0, 50)
    share, se = _clustered_share(funnel, limits.good_interview)
    assert abs(share - 0.3) < 3 * math.hypot(se, limits.good_interview_se)
    np.testing.assert_array_equal(funnel.interview_score, funnel.quality)


def test_a_larger_top_share_lowers_the_threshold_and_precision_is_a_key() -> None:
    low = reference_thresholds(Model.build(null_scenario()))
    high = reference_thresholds(
        Model.build(null_scenario(**{"analysis.good_interview_top_share": 0.5}))
    )
    assert high.good_interview < low.good_interview
    coarse = reference_thresholds(
        Model.build(null_scenario(**{"analysis.good_interview_precision": 0.002}))
    )
    assert coarse.reference_openings == 20_000 <= low.reference_openings
    assert low.good_interview_se <= 2e-4 and coarse.good_interview_se <= 0.002
    fine = reference_thresholds(Model.build(null_scenario()), 10**6)
    assert fine.good_interview_se <= 5e-5 < low.good_interview_se
    assert abs(fine.good_interview - low.good_interview) < 0.05  # the same stream, read on


def test_the_precision_follows_the_run_only_when_it_must(baseline) -> None:
    from simfunnel.analysis.reference import required_precision

    assert required_precision(baseline) == required_precision(baseline, 100_000) == 2e-4
    assert required_precision(baseline, 10**6) == pytest.approx(5e-5)
    assert required_precision(baseline, 1_000) == pytest.approx(0.0016)  # short: coarser
    for n in (10**3, 10**5, 10**6, 10**7):  # at most a third of the run's own SE
        assert 0.19 / 3 / n**0.5 / 2**0.5 < required_precision(baseline, n) <= 0.19 / 3 / n**0.5
    fixed = baseline.with_overrides({"analysis.good_interview_precision": 0.001})
    assert {required_precision(fixed, n) for n in (None, 10**3, 10**8)} == {0.001}


def test_every_shared_denominator_is_defined_once_and_computed_once(baseline) -> None:
    """A metric naming a denominator divides by exactly that array, and its definition
    ends with the denominator's one phrase; no definition uses the old loose wording."""
    model = Model.build(baseline)
    limits = reference_thresholds(model)
    funnel = run_blocks(model, Seed(3), 0, 0, 5)
    good = funnel.interviewed & (funnel.interview_score >= limits.good_interview)
    columns = metric_columns(
        funnel, limits, attribute(funnel.decision, funnel.offer, good, 0.0, quality=funnel.quality)
    )
    from simfunnel.analysis.summary import _opening_counts

    among = denominator_columns(_opening_counts(funnel, limits))
    users = {name: m for name, m in METRICS.items() if m.denominator}
    assert {m.denominator for m in users.values()} == set(DENOMINATORS)
    for name, metric in users.items():
        np.testing.assert_array_equal(columns[name][1], among[metric.denominator])
        assert metric.definition.endswith(DENOMINATORS[metric.denominator].phrase + ".")
    assert not any("reached interviews" in m.definition for m in METRICS.values())
    # the two meanings differ: openings not cancelled before interviews but with nobody left
    not_cancelled = funnel.cancelled_stage != CANCELLED_BEFORE_INTERVIEWS
    assert among["interviewed_openings"].sum() <= not_cancelled.sum()
