"""Moments of the application table, and the fit of validity, presence share and risk
aversion from them: checked against hand counts and closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis.application_fit import fit_application_parameters
from simfunnel.analysis.application_moments import (
    ApplicationMoments,
    moments,
    simulated_table,
    verdict_shares,
)


def _table() -> pd.DataFrame:
    # Two requisitions. R1: A (4, 4) offered, B (3, 2), internal C (4, 3) hired.
    # R2: D (2, 2), E (3, 3) offered and hired.
    return pd.DataFrame(
        {
            "requisition_id": ["R1", "R1", "R1", "R2", "R2"],
            "internal": [False, False, True, False, False],
            "milestone": [3, 2, 4, 2, 4],
            "offered": [True, False, True, False, True],
            "accepted": [False, False, True, False, True],
            "score_1": [4, 3, 4, 2, 3],
            "score_2": [4, 2, 3, 2, 3],
            "performance": [np.nan, np.nan, 2.0, np.nan, 5.0],  # hires only: C and E
        }
    )


def test_moments_match_a_hand_count() -> None:
    table = _table()
    got = moments(table)
    assert got["round_correlation"] == pytest.approx(
        np.corrcoef(table["score_1"], table["score_2"])[0, 1]
    )
    # R1's top mean is A (4.0), offered; R2's is E (3.0), offered.
    assert got["top_scored_offered"] == 1.0
    # Rank 1: A and E, both offered; rank 2: C (3.5, offered) and D (2, not).
    assert got["offer_rate_rank_1"] == 1.0 and got["offer_rate_rank_2"] == 0.5
    # The one internal interviewed where someone was hired: C, hired.
    assert got["internal_win_rate"] == 1.0
    # Only two hires: too few for a correlation.
    assert np.isnan(got["score_performance_correlation"])
    copy = table.assign(
        requisition_id=["R3"] * 3 + ["R4"] * 2, performance=[np.nan, np.nan, 4.0, np.nan, 1.0]
    )
    more = pd.concat([table, copy])
    hires = more[more["accepted"]]
    mean = hires[["score_1", "score_2"]].mean(axis=1)
    assert moments(more)["score_performance_correlation"] == pytest.approx(
        np.corrcoef(mean, hires["performance"])[0, 1]
    )
    shares = verdict_shares(table)
    assert shares == pytest.approx([3 / 10, 7 / 10])  # levels 2, 3, 4: 3, 4 and 3 rounds


def test_simulated_round_correlation_is_the_closed_form(baseline: sf.Scenario) -> None:
    """With a screen that says nothing (validity 0, no alignment or niche weight), the
    interviewees are a random draw of quality and presence, so two rounds' raw scores
    correlate (1 + s sigma^2) / (1 + sigma^2), sigma^2 = (1 - rho^2) / rho^2 (MODEL.md 1.5)."""
    scenario = baseline.with_overrides(
        {
            "screening.validity": 0.0,
            "screening.alignment_weight": 0.0,
            "screening.niche_weight": 0.0,
            "interview.validity": 0.3,
            "interview.presence_share": 0.5,
        }
    )
    table = simulated_table(scenario, 3000, 4, shares=None)
    r = moments(table)["round_correlation"]
    sigma2 = (1 - 0.3**2) / 0.3**2
    expected = (1 + 0.5 * sigma2) / (1 + sigma2)
    se = (1 - expected**2) / np.sqrt(len(table))
    assert abs(r - expected) < 4 * se


def test_the_moments_move_with_the_parameters_they_identify(baseline: sf.Scenario) -> None:
    table = simulated_table(baseline, 300, 8, np.array([0.25, 0.5, 0.75]))
    output = ApplicationMoments.from_data(table, baseline, replicates=12)
    frame = output.to_df().set_index("moment")
    assert frame.loc["round_correlation", "swing:interview.presence_share"] > 5
    assert frame.loc["round_correlation", "swing:manager.risk_aversion"] < 1
    assert frame.loc["top_scored_offered", "swing:interview.validity"] > 5
    assert frame.loc["internal_win_rate", "swing:manager.risk_aversion"] > 2
    assert "presence_share" in output.finding


@pytest.mark.slow
def test_the_fit_recovers_a_hidden_presence_share_and_validity(baseline) -> None:
    truth = {
        "interview.validity": 0.3,
        "interview.presence_share": 0.2,
        "manager.risk_aversion": 1.2,
    }
    table = simulated_table(baseline.with_overrides(truth), 300, 99, np.array([0.25, 0.5, 0.75]))
    result = fit_application_parameters(table, baseline, seed=3, draws=60, requisitions=300)
    frame = result.to_df().set_index("parameter")
    for key in ("interview.validity", "interview.presence_share"):
        assert frame.loc[key, "identified"], key
        assert frame.loc[key, "q05"] <= truth[key] <= frame.loc[key, "q95"], key


def test_without_scores_only_risk_aversion_is_fitted(baseline) -> None:
    """Fewer moments than keys would give minimum-norm refits, falsely precise: keys with
    no moment that moves them are not fitted, and say why."""
    table = simulated_table(baseline, 120, 3, None).drop(columns=["score_1", "score_2", "score_3"])
    result = fit_application_parameters(table, baseline, seed=1, draws=20, requisitions=120)
    frame = result.to_df().set_index("parameter")
    assert np.isfinite(frame.loc["manager.risk_aversion", "estimate"])
    for key in ("interview.validity", "interview.presence_share"):
        assert np.isnan(frame.loc[key, "estimate"]) and not frame.loc[key, "identified"]
        assert frame.loc[key, "why"].startswith("not fitted: this export has none of")
