"""`simfunnel fit`: it recovers the truth of the example export, its checks tell model
data from impossible data, it is reproducible, and its folder is whole."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simfunnel as sf
from simfunnel.analysis import fit as fitting
from simfunnel.analysis import fit_checks, fit_summaries
from simfunnel.analysis.fit import FitSettings, fit
from simfunnel.analysis.requisitions import synthetic_export
from simfunnel.cli import main
from simfunnel.errors import InputError
from simfunnel.io.ats import check_frame, read_ats

from .conftest import CONFIGS, ROOT

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from fit_recovery import FIVE, true_value
from make_example_ats import SEED, truth_scenario

EXAMPLE = ROOT / "examples" / "ats_export.csv"
QUICK = FitSettings(replicates=10, draws=100, checks=30, max_iterations=6, min_simulated=5000)


@pytest.fixture(scope="module")
def baseline() -> sf.Scenario:
    return sf.load_scenario(CONFIGS / "baseline.yaml")


@pytest.fixture(scope="module")
def example_fit(baseline: sf.Scenario):
    """The example export, fitted with the default free set and default settings
    (fewer predictive data sets: they do not change the intervals)."""
    return fit(EXAMPLE, baseline, seed=5, settings=FitSettings(checks=100))


def test_the_example_export_is_what_the_script_makes() -> None:
    again = synthetic_export(truth_scenario(), 500, SEED)
    assert again.equals(pd.read_csv(EXAMPLE))


def test_every_identified_interval_contains_the_truth(example_fit, baseline) -> None:
    truth = truth_scenario()
    table = example_fit.to_df()
    fitted = table[table["role"] == "fitted"]
    assert len(fitted) == 15  # the default free set on a full export
    missed = []
    for _, row in fitted[fitted["identified"]].iterrows():
        value = true_value(truth, baseline, row["parameter"])
        if not row["q05"] <= value <= row["q95"]:
            missed.append(f"{row['parameter']}: {value} not in {row['q05']:.3g}-{row['q95']:.3g}")
    assert not missed, missed
    # The stage probabilities are pinned down: intervals far narrower than the prior.
    for key in ("offers.decline_probability", "internal.probability", "role.cancel_probability"):
        assert example_fit.parameter(key)["width_ratio"] < 0.2


def test_the_withdrawal_interval_is_as_wide_as_the_estimate_varies(example_fit) -> None:
    """Across 40 independent exports the withdrawal hazard's estimate has an SD of about
    0.0018 (`benchmarks/fit_recovery.py`), so a calibrated 90% interval is about
    3.3 x 0.0018 = 0.006 wide. Refits that moved the integer shortlist range by fractions
    gave about 0.0035, and covered the truth 60% of the time."""
    row = example_fit.parameter("withdrawal.weekly_hazard")
    assert 0.0045 < row["q95"] - row["q05"] < 0.008


def test_parameters_the_counts_cannot_identify_keep_their_priors(example_fit, baseline) -> None:
    for key in fitting.CHECKED:
        row = example_fit.parameter(key)
        assert row["role"] == "kept" and not row["identified"], key
        assert row["median"] == pytest.approx(float(_value(baseline, key)))
        assert _value(example_fit.scenario, key) == _value(baseline, key)


def _value(scenario: sf.Scenario, key: str):
    value = scenario
    for part in key.split("."):
        value = getattr(value, part)
    return value


def test_predictive_checks_are_not_extreme_on_model_data(example_fit) -> None:
    checks = example_fit.checks
    assert len(checks) == 31 and (~checks["used_in_fit"]).sum() == 4
    # Under the model each p-value is (at least) uniform: 31 of them give about 0.3
    # below 0.01 on average; 2 or more would happen in under 5% of data sets.
    assert checks["extreme"].sum() <= 1, checks[checks["extreme"]]
    assert (checks["p_value"] < 0.05).mean() <= 0.15


def test_predictive_checks_are_extreme_on_impossible_data(baseline) -> None:
    """Every interviewee gets an offer: no decline rate or position count can do that."""
    frame = pd.read_csv(EXAMPLE)
    frame["offers"] = frame["interviewed"]
    frame["hires"] = np.minimum(frame["hires"], frame["offers"])
    frame["internal_hires"] = np.minimum(frame["internal_hires"], frame["hires"])
    result = fit(frame, baseline, list(FIVE), seed=3, settings=QUICK)
    checks = result.checks.set_index("statistic")
    # Far beyond all 30 simulated data sets: extreme although 30 cannot count below 0.065.
    for statistic in ("offer_rate", "all_offered_share"):
        assert checks.loc[statistic, "p_value"] < 1e-6, statistic
        assert checks.loc[statistic, "extreme"], statistic
    assert "cannot reproduce" in result.finding


def test_an_observation_just_past_every_simulated_one_is_not_extreme() -> None:
    """With 100 predictive data sets a counted p-value cannot go below 2/101 = 0.0198:
    counting alone called the example's share offering every interviewee (0.0485, just
    above the largest of 100 simulated shares, a 1-in-25 draw of the true model) extreme.
    Beyond every simulated value the normal tail decides: near is not extreme, far is."""
    rng = np.random.default_rng(0)
    replicated = 0.031 + 0.008 * np.clip(rng.normal(size=(100, 4)), -2.1, 2.1)
    replicated[:, 3] = 80.0  # the fewest applicants: the same in every simulated set
    observed = np.array([0.0485, 0.2, 0.031, 79.0])
    shares = replicated[:, 0]
    assert observed[0] > shares.max()  # beyond every simulated share
    p = fit_checks.predictive_p_values(replicated, observed)
    assert p[0] > fit_checks.EXTREME_P  # ~2.2 SD: unusual, not impossible
    assert p[1] < 1e-6  # ~20 SD: impossible
    assert p[2] > 0.5
    assert p[3] == 0  # any other value than the only one the model gives
    # Skewed, bounded statistics (fewest, most) keep the counted p-value.
    skewed = fit_checks.predictive_p_values(replicated, observed, np.array([False] * 4))
    assert skewed[0] == pytest.approx(2 / 101) and skewed[3] == 0


def test_bootstrap_refits_hold_integer_keys_at_whole_values() -> None:
    """Statistic 1 is the mean shortlist (an integer key k), statistic 2 the mean number
    interviewed (k minus withdrawals h). A data set with longer shortlists than average
    moves both; the fit cannot move k by a fraction, so h takes all of statistic 2's
    deviation. The refit must do the same, or h's interval comes out too narrow."""
    rng = np.random.default_rng(1)
    jacobian = np.array([[1.0, 0.0], [1.0, -1.0]])
    weights = np.array([1.0, 1.0])
    shortlist_noise = rng.normal(0, 0.08, 2000)  # well under half a whole step
    withdrawal_noise = rng.normal(0, 0.02, 2000)
    deviation = np.column_stack([shortlist_noise, shortlist_noise + withdrawal_noise])
    estimate = np.array([6.0, 0.5])
    continuous = fitting._linear_refits(jacobian, weights, deviation, estimate)
    held = fitting._linear_refits(jacobian, weights, deviation, estimate, np.array([True, False]))
    assert continuous[:, 1].std() == pytest.approx(0.02, rel=0.1)  # k soaked up the rest
    assert held[:, 1].std() > 0.06  # as the fit: sqrt(0.08**2 + 0.02**2) = 0.082
    assert np.array_equal(held[:, 0], continuous[:, 0])  # k's own draws stay continuous


def test_an_export_reads_back_as_the_fit_simulates_it() -> None:
    """The counts of a simulated export, written with dates and read back as a user's
    file would be, are exactly those the fit's simulator gives on the same draws: offers,
    interviewees (after withdrawals), hires, internals, cancellations, posting weeks and
    weeks to a hire (pauses included). A statistic of the data that the fitted model
    missed could then not come from counting them differently."""
    from simfunnel.io.ats import NUMBERS
    from simfunnel.model.rng import BLOCKS, normalise_seed

    truth = truth_scenario()
    n = 1000
    observed = fit_summaries.data_arrays(check_frame(synthetic_export(truth, n, 77)))
    simulator = fit_summaries.Simulator(
        truth, normalise_seed(77), BLOCKS, n, truth.screening.shortlist.high
    )
    simulated = simulator.arrays(truth)
    for column in NUMBERS:
        np.testing.assert_array_equal(observed[column], simulated[column], err_msg=column)
    np.testing.assert_array_equal(observed["posting_week"], simulated["posting_week"])
    hired = simulated["cancelled"] == 0
    np.testing.assert_array_equal(
        observed["process_weeks"][hired], simulated["process_weeks"][hired]
    )
    assert (simulated["offers"] == simulated["interviewed"])[simulated["interviewed"] > 0].any()


def test_the_fit_depends_on_the_seed_only(baseline) -> None:
    data = read_ats(EXAMPLE)
    free = ["offers.decline_probability", "internal.probability"]
    first = fit(data, baseline, free, seed=11, settings=QUICK)
    again = fit(data, baseline, free, seed=11, settings=QUICK)
    other = fit(data, baseline, free, seed=12, settings=QUICK)
    pd.testing.assert_frame_equal(first.posterior, again.posterior)
    pd.testing.assert_frame_equal(first.checks, again.checks)
    assert not first.posterior.equals(other.posterior)


def test_default_free_set_follows_the_schema_and_the_columns(baseline, monkeypatch) -> None:
    data = read_ats(EXAMPLE)
    keys = fitting.default_free(baseline, data)
    assert "offers.decline_quality_slope" not in keys or hasattr(
        baseline.offers, "decline_quality_slope"
    )
    assert {"role.quarter_multipliers", "role.process_weeks"} <= set(keys)
    # A key the schema does not have (yet) is skipped, not an error.
    monkeypatch.setattr(fitting, "DEFAULT_FREE", (*fitting.DEFAULT_FREE, "offers.not_yet_a_key"))
    assert "offers.not_yet_a_key" not in fitting.default_free(baseline, data)
    # Without dates, neither the quarter pattern nor the process length is fitted.
    undated = check_frame(pd.read_csv(EXAMPLE, dtype=str).drop(columns=["posted", "closed"]))
    keys = fitting.default_free(baseline, undated)
    assert "role.quarter_multipliers" not in keys and "role.process_weeks" not in keys


def test_free_keys_are_checked(baseline) -> None:
    assert fitting.parse_free(["internal.probability=0.1:0.6"]) == {
        "internal.probability": (0.1, 0.6)
    }
    for bad, message in (
        (["manager.risk_averson"], "not a scenario key"),
        (["internal.probability=0.5"], "KEY=LOW:HIGH"),
        (["internal.probability=0.5:2"], "above the key's maximum"),
        (["role.positions.1"], "not a fittable category"),
    ):
        with pytest.raises(InputError, match=message):
            fitting.resolve_parameters(baseline, fitting.parse_free(bad))


def test_missing_optional_cells_leave_the_fit_working(baseline) -> None:
    frame = pd.read_csv(EXAMPLE, dtype=str)
    frame.loc[::3, "internal_interviewed"] = None
    frame.loc[::5, "closed"] = None
    result = fit(frame, baseline, ["internal.probability"], seed=2, settings=QUICK)
    assert result.parameter("internal.probability")["identified"]


def test_the_cli_writes_a_whole_folder_whose_fitted_yaml_loads(tmp_path: Path, capsys) -> None:
    out = tmp_path / "fit"
    free = ["--free", "offers.decline_probability", "--free", "role.positions"]
    code = main(["fit", str(EXAMPLE), "--scenario", str(CONFIGS / "baseline.yaml"), *free,
                 "--seed", "4", "--draws", "100", "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "offers.decline_probability" in captured.out and "not identified" in captured.out
    files = {p.name for p in out.iterdir()}
    assert {"fitted.yaml", "base_scenario.yaml", "posterior.csv", "fit_report.md",
            "check_offer_rate.png", "check_columns.png", "manifest.json"} <= files  # fmt: skip
    fitted = sf.load_scenario(out / "fitted.yaml")
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [
        "offers.decline_probability", "role.positions.2", "role.positions.3"
    ]  # fmt: skip
    assert fitted.offers.decline_probability == pytest.approx(
        posterior["offers.decline_probability"].median(), abs=1e-3
    )
    assert "# 90% interval" in (out / "fitted.yaml").read_text()
    assert fitted.interview.validity == 0.16  # the rest is the base scenario's
    report = (out / "fit_report.md").read_text()
    assert "| offers.decline_probability |" in report and "p-value" in report


def test_the_plot_states_the_finding_of_the_checks(example_fit) -> None:
    import matplotlib.pyplot as plt

    ax = example_fit.plot()
    assert ax.get_title(loc="left").replace("\n", " ").startswith("The fitted model reproduces")
    assert len(ax.patches) == 10  # one bar per tenth of offers per interviewee
    plt.close("all")


@pytest.mark.slow
def test_90_percent_intervals_cover_the_truth_across_independent_exports(baseline) -> None:
    """Six exports of 300 requisitions, five parameters each: 30 intervals. At a true
    coverage of 90% the count covered is 27 ± 1.6 (binomial SD); 22 or fewer (over 3 SD
    below) fails. `benchmarks/fit_recovery.py` runs the full-size study."""
    truth = truth_scenario()
    start = truth.with_overrides(
        {
            "name": "start",
            "offers.decline_probability": 0.16,
            "internal.probability": 0.4,
            "role.cancel_probability": 0.1,
            "role.positions": {1: 0.65, 2: 0.25, 3: 0.1},
        }
    )
    covered, p_values = 0, []
    for i in range(6):
        data = synthetic_export(truth, 300, 500 + i)
        result = fit(data, start, list(FIVE), seed=i, settings=FitSettings(draws=200, checks=30))
        for _, row in result.to_df().query("role == 'fitted'").iterrows():
            covered += row["q05"] <= true_value(truth, start, row["parameter"]) <= row["q95"]
        p_values += list(result.p_values)
    assert covered >= 23, covered
    assert np.mean(np.array(p_values) < 0.05) <= 0.15


def test_the_column_checks_draw_one_panel_per_column(example_fit) -> None:
    import matplotlib.pyplot as plt

    from simfunnel.present.charts.fit import COLUMN_LABELS, column_checks

    figure = column_checks(example_fit)
    titles = [ax.get_title(loc="left") for ax in figure.axes if ax.get_visible()]
    assert titles == list(COLUMN_LABELS.values())  # the example has every column
    texts = [t.get_text() for t in figure.texts]
    # The title names what the fitted model cannot produce, else says every column fits.
    # The example was simulated by the model: every column fits (its share offering every
    # interviewee, just above all 100 simulated ones, was once called extreme: see
    # test_an_observation_just_past_every_simulated_one_is_not_extreme).
    assert texts[0] == "Every column of the export looks like the fitted model's"
    assert texts[1].startswith("Share of requisitions")
    plt.close(figure)
