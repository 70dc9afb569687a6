"""The funnel engine against closed forms, invariants and reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfunnel as sf
from simfunnel.model.engine import Model, run_blocks
from simfunnel.model.rng import BLOCKS, normalise_seed

from .conftest import null_scenario


@pytest.mark.slow
def test_null_scenario_every_interviewee_has_chance_one_in_k() -> None:
    # Exchangeable interviewees: the offer lands on each screen-rank slot with
    # probability 1/k. Check per slot, for every shortlist size, within 3 SE.
    scenario = null_scenario()
    funnel = run_blocks(Model.build(scenario), normalise_seed(5), BLOCKS, 0, 60)
    assert (funnel.offer.sum(axis=1) == 1).all()
    for k in range(5, 11):
        rows = funnel.shortlist == k
        n = rows.sum()
        share = funnel.offer[rows, :k].mean(axis=0)
        se = np.sqrt((1 / k) * (1 - 1 / k) / n)
        assert np.all(np.abs(share - 1 / k) < 3 * se), (k, share, se)
        assert not funnel.offer[rows, k:].any()


@pytest.mark.slow
def test_null_scenario_offer_rate_is_mean_of_one_over_k() -> None:
    result = sf.simulate(null_scenario(), 40_000, seed=2, attribution=False)
    row = result.summary().loc["offer_rate_interviewed"]
    # offers / interviewees = 1 / E[k] (ratio of sums) with k ~ U{5..10}
    assert row.ci_low <= 1 / 7.5 <= row.ci_high
    assert result.summary().loc["hire_rate", "value"] == 1.0


def test_only_interview_noise_best_interview_always_gets_the_offer() -> None:
    result = sf.simulate(null_scenario(), 5_000, seed=3, attribution=False)
    assert result.summary().loc["top_interview_offer_rate", "value"] == 1.0
    candidates = result.candidates
    winners = candidates[candidates.offer]
    assert (winners.interview_rank == 1).all()


def test_perfect_interview_hires_the_truly_best() -> None:
    result = sf.simulate(
        null_scenario(**{"interview.validity": 1.0}), 5_000, seed=4, attribution=False
    )
    assert result.summary().loc["best_interviewee_hired_rate", "value"] == 1.0
    hired = result.candidates[result.candidates.hired]
    assert (hired.quality_rank == 1).all()


def test_noisy_interview_does_not_always_hire_the_best(baseline: sf.Scenario) -> None:
    result = sf.simulate(baseline, 5_000, seed=4, attribution=False)
    assert result.summary().loc["best_interviewee_hired_rate", "value"] < 0.6


@pytest.mark.slow
def test_cancel_rate_matches_config_and_quarters(baseline: sf.Scenario) -> None:
    # h0 is solved so the frozen share equals the config's; check within 3 SE.
    scenario = baseline.with_overrides({"role.cancel_probability": 0.2, "role.pause_share": 0.0})
    summary = sf.simulate(scenario, 60_000, seed=8, attribution=False).summary()
    row = summary.loc["cancel_rate"]
    assert abs(row.value - 0.2) < 3 * row.se
    quarters = summary.loc[[f"cancel_rate_q{q}" for q in range(1, 5)], "value"].to_numpy()
    # Q1 and Q4 carry the freeze multipliers 1.3 and 1.2 vs 0.8 and 0.7
    assert min(quarters[0], quarters[3]) > max(quarters[1], quarters[2])


def test_posting_month_weights_shape_the_calendar(baseline: sf.Scenario) -> None:
    weights = [0] * 11 + [1]
    result = sf.simulate(
        baseline.with_overrides({"role.posting_month_weights": weights}),
        2_000,
        seed=1,
        attribution=False,
    )
    assert (result.openings.posting_week >= 47).all()
    assert (result.openings.quarter == 4).all()


def _invariant_scenario(draw: st.DrawFn) -> sf.Scenario:
    low = draw(st.integers(5, 60))
    short_low = draw(st.integers(1, 5))
    short_high = draw(st.integers(short_low, min(12, low)))
    overrides = {
        "applicants.count": {"low": low, "high": draw(st.integers(low, 300))},
        "screening.shortlist": {"low": short_low, "high": short_high},
        "screening.validity": draw(st.floats(0, 1)),
        "internal.probability": draw(st.floats(0, 1)),
        "role.cancel_probability": draw(st.floats(0, 0.6)),
        "role.positions": draw(st.sampled_from([{1: 1.0}, {1: 0.5, 2: 0.5}, {3: 1.0}])),
        "offers.decline_probability": draw(st.floats(0, 0.9)),
        "offers.max_offers": draw(st.integers(1, 6)),
        "manager.risk_aversion": draw(st.floats(0, 5)),
        "manager.affinity_weight": draw(st.floats(0, 2)),
        "manager.hiring_bar": draw(st.one_of(st.none(), st.floats(-2, 1))),
        "interview.validity": draw(st.floats(0.05, 1)),
        "engine": draw(st.sampled_from(["exact", "brute_force"])),
    }
    return sf.Scenario().with_overrides(overrides)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_funnel_invariants(data: st.DataObject) -> None:
    scenario = data.draw(st.composite(_invariant_scenario)())
    result = sf.simulate(scenario, 1_000, seed=data.draw(st.integers(0, 2**32)))
    openings, candidates = result.openings, result.candidates
    slate = openings.shortlist + openings.internal_present
    assert (openings.applicants >= openings.shortlist).all()
    assert (slate >= openings.interviewees).all()
    assert (openings.interviewees >= openings.offers).all()
    assert (openings.offers >= openings.hires).all()
    assert (openings.hires <= openings.positions).all()
    assert (openings.offers <= scenario.offers.max_offers).all()
    before = openings.cancelled_stage == "before_interviews"
    assert (openings.interviewees[before] == 0).all()
    assert (openings.offers[openings.cancelled] == 0).all()
    bar = scenario.manager.hiring_bar
    if bar is not None:
        assert (candidates.risk_adjusted_score[candidates.offer] >= bar).all()
    # offers go in order of U: the m offered are exactly the top m by U among those
    # still in the race (a withdrawn candidate cannot be offered)
    assert not (candidates.offer & candidates.withdrew).any()
    in_race = candidates[~candidates.withdrew].copy()
    in_race["rank"] = in_race.groupby("opening").risk_adjusted_score.rank(ascending=False)
    offered = in_race[in_race.offer].groupby("opening")["rank"]
    assert (offered.max() == offered.size()).all()
    # offers go out one at a time, best score first
    rounds = in_race[in_race.offer].groupby("opening").offer_round
    assert (rounds.max() == rounds.size()).all()
    shares = result.loss_reasons("sequential").share
    if len(shares) and np.isfinite(shares).all():
        assert shares.sum() == pytest.approx(1.0)


def test_same_seed_identical_for_any_chunk_size_and_workers(baseline: sf.Scenario) -> None:
    small = sf.simulate(baseline, 6_500, seed=99, chunk_size=1_000)
    large = sf.simulate(baseline, 6_500, seed=99, chunk_size=50_000)
    parallel = sf.simulate(baseline, 6_500, seed=99, chunk_size=2_000, workers=2)
    for other in (large, parallel):
        pd.testing.assert_frame_equal(small.statistics, other.statistics, check_exact=True)
        pd.testing.assert_frame_equal(small.openings, other.openings, check_exact=True)
        pd.testing.assert_frame_equal(small.candidates, other.candidates, check_exact=True)
    different = sf.simulate(baseline, 6_500, seed=100)
    assert not small.statistics.equals(different.statistics)


def test_prefix_property(baseline: sf.Scenario) -> None:
    # Openings are drawn block by block: a longer run extends a shorter one.
    short = sf.simulate(baseline, 1_500, seed=5, attribution=False)
    long = sf.simulate(baseline, 4_000, seed=5, attribution=False)
    pd.testing.assert_frame_equal(short.openings, long.openings.iloc[:1_500], check_exact=True)


def test_seed_forms() -> None:
    assert normalise_seed(7) == normalise_seed(np.random.SeedSequence(7))
    assert normalise_seed(None) != normalise_seed(None)
    generated = normalise_seed(np.random.default_rng(1))
    assert generated == normalise_seed(np.random.default_rng(1))
    with pytest.raises(TypeError):
        normalise_seed(-1)
    result = sf.simulate(null_scenario(), 1_000, seed=None, attribution=False)
    assert isinstance(result.metadata["seed"], int)


def test_save_and_load_round_trip(tmp_path, baseline_result: sf.Result) -> None:
    baseline_result.save(tmp_path / "run")
    loaded = sf.load_result(tmp_path / "run")
    pd.testing.assert_frame_equal(loaded.summary(), baseline_result.summary())
    pd.testing.assert_frame_equal(loaded.loss_reasons(), baseline_result.loss_reasons())
    assert loaded.scenario == baseline_result.scenario
    assert len(loaded.candidates) == len(baseline_result.candidates)
    assert not list((tmp_path / "run").glob(".*.tmp"))
    with pytest.raises(sf.InputError, match="not a saved result"):
        sf.load_result(tmp_path)
