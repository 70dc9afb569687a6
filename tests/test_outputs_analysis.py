"""Outputs of comparisons, sweeps, sensitivity and the job search: tables and findings."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis.outputs import (
    Differences,
    JobSearch,
    RiskTradeoff,
    Sensitivity,
    SobolIndices,
    Sweep,
)
from simfunnel.metrics import key_label, label
from tests.conftest import CONFIGS

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def comparison() -> sf.analysis.explore.Comparison:
    base = sf.load_scenario(CONFIGS / "baseline.yaml")
    averse = base.with_overrides({"manager.risk_aversion": 3.0}).model_copy(
        update={"name": "risk_averse"}
    )
    return sf.compare([base, averse], 3_000, seed=2, workers=1)


def test_differences_are_the_paired_differences_of_compare(comparison):
    output = Differences.from_comparison(comparison)
    table = output.to_df()
    expected = comparison.differences.set_index("metric")
    for row in table.itertuples():
        assert row.scenario == "risk averse" and row.baseline == "baseline"  # no underscores
        assert row.difference == expected.at[row.metric, "difference"]
        np.testing.assert_equal(row.ci_low, expected.at[row.metric, "ci_low"])
        np.testing.assert_equal(row.ci_high, expected.at[row.metric, "ci_high"])
        assert row.label == label(row.metric)
    # The finding names the largest difference a CI confirms, with both values while the
    # title stays short enough for two lines.
    confirmed = table[(table["ci_low"] > 0) | (table["ci_high"] < 0)]
    lead = confirmed.loc[confirmed["difference"].abs().idxmax()]
    assert label(lead["metric"]).lower() in output.finding.lower()
    assert f"{100 * abs(lead['difference']):.1f} points" in output.finding
    values = f" ({100 * lead['value']:.1f}% vs {100 * lead['baseline_value']:.1f}%)"
    assert len(output.finding) <= 80
    assert output.finding.endswith(values) or len(output.finding + values) > 80
    assert output.paired and "paired" in output.note
    if output.withheld:
        assert "no CI" in output.note


def test_differences_from_results_are_unpaired_and_wider(comparison):
    paired = Differences.from_comparison(comparison).to_df().set_index("metric")
    unpaired = Differences.from_results(comparison.results)
    table = unpaired.to_df().set_index("metric")
    np.testing.assert_allclose(table["difference"], paired["difference"])
    width = table["ci_high"] - table["ci_low"]
    paired_width = paired["ci_high"] - paired["ci_low"]
    shared = paired_width.notna()
    assert (width[shared] >= paired_width[shared]).all()
    assert not unpaired.paired and "independent" in unpaired.note


def test_no_difference_beyond_chance_is_said(comparison):
    table = Differences.from_comparison(comparison).to_df()
    table["ci_low"], table["ci_high"] = -1.0, 1.0
    finding = sf.analysis.outputs.compare.differences_finding(table)
    assert finding == "Risk averse and baseline differ by no more than chance on any of these rates"


def _table(values, half, key="manager.risk_aversion", metric="bad_hire_rate"):
    values = np.asarray(values, dtype=float)
    table = pd.DataFrame(
        {
            key: np.arange(len(values), dtype=float),
            "metric": metric,
            "value": values,
            "ci_low": values - half,
            "ci_high": values + half,
        }
    )
    table.attrs.update(scenario="my_scenario", openings=4_000, seed=1)
    return table


def test_a_change_inside_the_cis_is_no_meaningful_change():
    output = Sweep.from_table(_table([0.150, 0.152, 0.149, 0.151], half=0.01))
    assert output.noise
    assert output.finding == (
        f"{label('bad_hire_rate')}: no meaningful change as "
        f"{key_label('manager.risk_aversion').lower()[:1]}"
        f"{key_label('manager.risk_aversion')[1:]} goes from 0 to 3"
    )
    low, high = output.limits()
    assert high - low >= 0.10  # a 0.3-point wiggle is not zoomed into
    assert output.scenario == "my_scenario" and output.openings == 4_000
    assert "my scenario scenario" in output.note and "inside the 95% CIs" in output.note


def test_a_change_beyond_the_cis_states_both_ends():
    table = _table([0.12, 0.13, 0.14, 0.16], half=0.005)
    output = Sweep.from_table(table)
    assert not output.noise
    first, last = table["value"].iloc[0], table["value"].iloc[-1]
    assert f"{100 * first:.0f}% → {100 * last:.0f}%" in output.finding
    pd.testing.assert_frame_equal(output.to_df(), table, check_like=True)


def test_heatmap_of_noise_says_so():
    rows = [(a, b, 0.5 + 0.001 * (a + b)) for a in (0.1, 0.3) for b in (0.0, 2.0)]
    table = pd.DataFrame(rows, columns=["interview.validity", "manager.risk_aversion", "value"])
    table.insert(2, "metric", "hire_rate")
    table["ci_low"], table["ci_high"] = table["value"] - 0.02, table["value"] + 0.02
    output = Sweep.from_table(table)
    assert output.noise and output.chart == "sweep:draw_heatmap"
    assert "no meaningful change across the grid" in output.finding
    assert "not coloured" in output.note
    table["value"] += np.array([0, 0, 0, 0.2])
    table["ci_low"], table["ci_high"] = table["value"] - 0.02, table["value"] + 0.02
    signal = Sweep.from_table(table)
    assert not signal.noise
    assert f"to {100 * table['value'].max():.0f}%" in signal.finding
    ax = signal.plot()
    # Higher hire rate is better: shades of blue, darker where better (charts/sweep.py).
    assert ax.get_images()[0].get_cmap().name == "Blues"
    assert Sweep.from_table(table.assign(value=table["value"] * 0 + 0.5)).plot()


def test_risk_tradeoff_does_not_claim_a_rise_inside_the_cis():
    frames = []
    for name, values in {
        "mean_hire_value": [1.05, 1.0, 0.96],
        "bad_hire_rate": [0.123, 0.135, 0.148],
        "internal_win_rate": [0.6, 0.8, 0.93],
        "best_interviewee_hired_rate": [0.26, 0.25, 0.24],
    }.items():
        frames.append(_table(values, 0.03, metric=name))
    table = pd.concat(frames, ignore_index=True)
    table.attrs.update(frames[0].attrs)
    output = RiskTradeoff.from_table(table)
    assert (
        output.finding
        == "Playing safe does not cut bad hires (from 12.3% to 14.8%, within the CIs)"
    )
    assert output.noise
    header = output.plot()
    assert len(header.get_figure().axes) == 5  # a header and one panel per metric
    for panel in header.get_figure().axes[1:]:
        assert panel.get_ylim()[1] - panel.get_ylim()[0] < 1  # no 0-100% axis


def test_tornado_and_sobol_state_the_lead_parameter():
    table = pd.DataFrame(
        {
            "parameter": ["offers.max_offers", "interview.validity"],
            "low": [1, 0.1],
            "high": [3, 0.4],
            "value_low": [0.28, 0.346],
            "value_high": [0.415, 0.498],
            "swing": [0.135, 0.152],
        }
    )
    table.attrs.update(metric="good_interview_offer_rate", base=0.421, scenario="baseline")
    output = Sensitivity.from_table(table)
    assert list(output.to_df()["label"]) == [
        key_label("interview.validity"),
        "Most offers per opening",
    ]
    assert output.finding == f"{key_label('interview.validity')} matters most: a 15.2-point swing"
    assert "offers.max_offers" not in output.note and "42.1%" in output.note
    output.plot()

    sobol = pd.DataFrame(
        {"parameter": ["screening.validity", "interview.validity"], "S1": [0.01, 0.62],
         "S1_conf": [0.02, 0.1], "ST": [0.02, 0.7], "ST_conf": [0.01, 0.12]}
    )  # fmt: skip
    sobol.attrs.update(metric="good_interview_offer_rate", runs=320)
    output = SobolIndices.from_table(sobol)
    assert output.finding == (
        f"{key_label('interview.validity')} accounts for 70% of the variance in the offer "
        "rate of good interviews, 62% on its own"
    )
    assert output.runs == 320 and "320 runs" in output.note
    output.plot()


def test_job_search_counts_interviews_to_the_target_and_names_the_candidate():
    rows = [(50, n, 1 - 0.86**n) for n in range(1, 13)]
    frame = pd.DataFrame(rows, columns=["percentile", "interviews", "p_any_offer"])
    frame["ci_low"], frame["ci_high"] = frame["p_any_offer"] - 0.02, frame["p_any_offer"] + 0.02
    output = JobSearch.from_frame(frame)
    needed = int(np.ceil(np.log(0.2) / np.log(0.86)))
    assert (
        output.finding
        == f"A median candidate needs {needed} interviews to have 80% odds of an offer"
    )
    assert output.plot().get_ylabel() == "Chance of at least one offer"
    described = sf.analysis.outputs.candidate.describe_candidate(
        {"niche": True, "alignment": 0.8, "felt_great": True}
    )
    assert described == (
        "has the niche experience, fit to the role at the 80th percentile, "
        "felt the interview went great"
    )


def test_compare_chart_draws_the_differences(comparison):
    from simfunnel.present.charts.compare import SPEAKER_METRICS

    ax = sf.present.charts.compare(comparison)
    # Before -> after on the rates' own axis (from 0), the few rates a room cares about.
    assert ax.get_xlim()[0] == 0
    drawn = Differences.from_comparison(comparison, metrics=SPEAKER_METRICS).metrics
    assert len(ax.get_yticklabels()) == len(drawn)
    assert (
        sf.present.charts.compare(comparison.results, title="Mine").get_title(loc="left") == "Mine"
    )
