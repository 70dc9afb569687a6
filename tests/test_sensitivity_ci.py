"""Sensitivity swings' paired CIs, and keys that are not one number (ranges, positions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis.options import ParameterError
from simfunnel.analysis.sensitivities import default_ranges, parse_range, swing_intervals
from simfunnel.analysis.varied import (
    mean_positions,
    positions_at_mean,
    range_at_mean,
    varied_scenario,
)
from simfunnel.cli import main

from .conftest import CONFIGS

BASELINE = str(CONFIGS / "baseline.yaml")


@pytest.fixture(scope="module")
def quick() -> sf.Scenario:
    """The baseline with a short pilot: the metrics used here read no threshold."""
    return sf.load_scenario(CONFIGS / "baseline.yaml").with_overrides(
        {"analysis.pilot_openings": 1_000}
    )


# ------------------------------------------------------------ the swing's CI
@pytest.mark.slow
def test_swing_ci_covers_the_truth_of_a_much_bigger_run(quick: sf.Scenario) -> None:
    """200 small sensitivity runs (500 openings, seeds 1..200) each give a paired 95% CI
    of the change and of the swing; the truth is the change in a 200,000-opening
    comparison of the same two scenarios on another seed."""
    metric, key, ends = "offer_rate_interviewed", "offers.decline_probability", (0.05, 0.3)
    low, high = (quick.with_overrides({key: end}) for end in ends)
    truth_run = sf.compare([low, high], 200_000, seed=987_654, workers=1, attribution=False)
    truth_row = truth_run.differences.set_index("metric").loc[metric]
    truth, truth_se = truth_row["difference"], truth_row["se"]
    rows = [
        sf.sensitivity(quick, metric, {key: ends}, openings=500, seed=seed, workers=1).iloc[0]
        for seed in range(1, 201)
    ]
    table = pd.DataFrame(rows)
    runs = len(table)
    assert table["change_ci_low"].notna().all()  # hundreds of openings differ in each
    covered = (table.change_ci_low <= truth) & (truth <= table.change_ci_high)
    swing_covered = (table.swing_ci_low <= abs(truth)) & (abs(truth) <= table.swing_ci_high)
    binomial_se = np.sqrt(0.95 * 0.05 / runs)  # 1.5 points
    assert truth_se < 0.15 * table.swing_se.mean()  # the truth is sharp beside a small run
    assert abs(covered.mean() - 0.95) < 3 * binomial_se
    assert (swing_covered >= covered).all()  # |.| of an interval holding d holds |d|
    assert abs(swing_covered.mean() - 0.95) < 3 * binomial_se
    # Honest, not conservative: the paired SE matches the spread of the changes over
    # seeds (an SD from 200 draws is good to ~5%), and is well below the unpaired one.
    ratio = table.change.std(ddof=1) / table.swing_se.mean()
    assert 0.8 < ratio < 1.25
    assert table.swing_se.mean() < 0.75 * table.unpaired_swing_se.mean()


def test_swing_interval_is_the_image_of_the_change_interval() -> None:
    rows = [
        pd.Series(
            {
                "difference": d,
                "ci_low": lo,
                "ci_high": hi,
                "se": 1.0,
                "unpaired_se": 2.0,
                "differing_openings": 100,
            }
        )
        for d, lo, hi in [
            (0.3, 0.1, 0.5),
            (-0.3, -0.5, -0.1),
            (0.05, -0.1, 0.2),
            (0.1, np.nan, np.nan),
        ]
    ]
    table = swing_intervals(rows)
    assert table.swing.tolist() == pytest.approx([0.3, 0.3, 0.05, 0.1])
    assert table.swing_ci_low.iloc[:3].tolist() == pytest.approx([0.1, 0.1, 0.0])
    assert table.swing_ci_high.iloc[:3].tolist() == pytest.approx([0.5, 0.5, 0.2])
    assert table.iloc[3][["swing_ci_low", "swing_ci_high"]].isna().all()  # no claim


def test_pair_values_equal_lone_runs_and_the_cli_prints_the_ci(quick, tmp_path, capsys) -> None:
    ranges = {"interview.validity": (0.1, 0.3)}
    table = sf.sensitivity(quick, ranges=ranges, openings=1_000, seed=4, workers=1)
    alone = sf.simulate(quick.with_overrides({"interview.validity": 0.3}), 1_000, seed=4,
                        attribution=False).summary()  # fmt: skip
    row = table.iloc[0]
    assert row.value_high == alone.at["good_interview_offer_rate", "value"]
    assert row.value_high_ci_low == alone.at["good_interview_offer_rate", "ci_low"]
    assert row.swing_ci_low <= row.swing <= row.swing_ci_high
    code = main(["sensitivity", BASELINE, "--range", "interview.validity=0.1:0.3", "--range",
                 "applicants.count=87.5:262.5", "--openings", "1000", "--workers", "1",
                 "--formats", "none", "--out", str(tmp_path / "s")])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    line = next(t for t in out.splitlines() if t.strip().startswith("interview.validity"))
    assert " to " in line.split(" pp", 1)[1]  # the swing, then its CI
    assert "50-125" in out and "150-375" in out  # a range shown as the ranges it became
    saved = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    assert {"swing_ci_low", "swing_ci_high", "change_ci_low", "swing_se"} <= set(saved)
    assert set(saved.parameter) == {"interview.validity", "applicants.count"}


# ------------------------------------------------- ranges and role.positions
def test_a_range_is_scaled_as_a_whole_to_the_mean_asked_for() -> None:
    for mean in (1, 1.5, 2.5, 50, 87.5, 175, 262.5, 1000):
        low, high = range_at_mean(100, 250, mean, "applicants.count")
        assert isinstance(low, int) and isinstance(high, int)
        assert 1 <= low <= high and (low + high) / 2 == mean
        if mean >= 50:  # large enough for rounding not to matter: the shape is kept
            assert low / high == pytest.approx(100 / 250, abs=0.02)
    assert range_at_mean(3, 7, 2.5, "role.process_weeks") == (2, 3)
    for bad in (0.5, 100.3, float("nan")):
        with pytest.raises(ParameterError, match=r"applicants\.count"):
            range_at_mean(100, 250, bad, "applicants.count")


def test_positions_move_the_share_of_multi_hire_requisitions() -> None:
    positions = {1: 0.65, 2: 0.25, 3: 0.10}
    for mean in (1.0, 1.225, 1.45, 1.675, 2.0):
        shares = positions_at_mean(positions, mean)
        assert mean_positions(shares) == pytest.approx(mean)
        assert sum(shares.values()) == pytest.approx(1.0)
        if shares[1] < 1:  # the split among 2 and 3 positions is kept
            assert shares[2] / shares[3] == pytest.approx(0.25 / 0.10)
    assert positions_at_mean({1: 1.0}, 1.5) == {1: 0.5, 2: 0.5}  # no split: all 2
    with pytest.raises(ParameterError, match=r"outside 1 to 2\.29"):
        positions_at_mean(positions, 2.5)


def test_default_ranges_vary_ranges_and_positions(quick: sf.Scenario) -> None:
    ranges = default_ranges(quick)
    assert ranges["applicants.count"] == (87.5, 262.5)  # 100-250: mean 175, x0.5 and x1.5
    assert ranges["role.process_weeks"] == (2.5, 7.5)
    assert ranges["role.positions"] == pytest.approx((1.225, 1.675))  # extra positions +-50%
    for key in ("applicants.count", "screening.shortlist", "role.pause_weeks"):
        for end in ranges[key]:
            node = getattr(getattr(varied_scenario(quick, {key: end}), key.split(".")[0]),
                           key.split(".")[1])  # fmt: skip
            assert node.low <= node.high and (node.low + node.high) / 2 == end


def test_a_sweep_of_a_range_moves_its_mean(quick: sf.Scenario) -> None:
    table = sf.sweep(quick, {"applicants.count": [87.5, 262.5]}, 1_000, seed=2, workers=1,
                     metrics=["applicants_per_opening"])  # fmt: skip
    for mean, row in zip((87.5, 262.5), table.itertuples(), strict=True):
        assert row.ci_low <= mean <= row.ci_high  # applicants drawn uniformly in the range
    hires = sf.sweep(quick, {"role.positions": [1.0, 2.0]}, 1_000, seed=2, workers=1,
                     metrics=["hires_per_opening"])  # fmt: skip
    assert hires.value.iloc[1] > 1.6 * hires.value.iloc[0]  # twice the positions to fill


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sweep", BASELINE, "--vary", "applicants.count=100.3,200"], "whole or half number"),
        (["sweep", BASELINE, "--vary", "applicants.count=0.5,100"], "at least 1"),
        (["sweep", BASELINE, "--vary", "applicants.count.low=300"], "must be <= high"),
        (["sweep", BASELINE, "--vary", "role.positions=1,3"], "outside 1 to 2.29"),
        (["sensitivity", BASELINE, "--range", "applicants.count=262.5:87.5"], "below high"),
        (["sensitivity", BASELINE, "--range", "screening.shortlist=4:200"], "smallest pool"),
        (["sensitivity", BASELINE, "--range", "interview.rounds=1.5:3"], "whole numbers"),
        (["sensitivity", BASELINE, "--range", "interview.validity=0.1"], "KEY=LOW:HIGH"),
    ],
)
def test_bad_ranges_are_one_line_and_exit_2(args, expected, tmp_path, capsys) -> None:
    code = main([*args, "--openings", "1000", "--formats", "none", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and expected in err
    assert "Traceback" not in err


def test_parse_range_reads_means_and_whole_numbers(quick: sf.Scenario) -> None:
    assert parse_range("applicants.count=87.5:262.5", quick) == ("applicants.count", (87.5, 262.5))
    _, ends = parse_range("interview.rounds=2:4", quick)
    assert ends == (2, 4) and all(isinstance(end, int) for end in ends)
