"""Parameter uncertainty: distributions and posterior draws, one parameter set per block.

Independent truths: scipy.stats for the distributions; the closed form of the
cancellation rate (it equals the drawn cancel probability, so its range over
parameter sets is the distribution's own 2.5-97.5% interval); a one-row posterior
is the fixed scenario at that row, bit for bit; a key that changes nothing leaves
every value unchanged and shows no parameter variance.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simfunnel as sf
from simfunnel.cli import main
from simfunnel.model.parameters import drawn_values, settled, uncertain_parameters
from simfunnel.model.rng import Seed
from simfunnel.model.uncertainty import Distribution

from .conftest import CONFIGS

BASELINE = CONFIGS / "baseline.yaml"
CANCEL = {"dist": "uniform", "low": 0.05, "high": 0.25}
NO_PAUSES = {"role.pause_share": 0.0}  # then every freeze cancels: cancel rate = probability


def baseline(**overrides) -> sf.Scenario:
    return (
        sf.load_scenario(BASELINE).with_overrides(overrides)
        if overrides
        else (sf.load_scenario(BASELINE))
    )


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = int(exc.code)
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------ distributions
U = np.linspace(0.01, 0.99, 25)


@pytest.mark.parametrize(
    ("spec", "reference"),
    [
        ({"dist": "uniform", "low": 2, "high": 5}, stats.uniform(2, 3)),
        ({"dist": "beta", "mean": 0.2, "sd": 0.05}, stats.beta(12.6, 50.4)),
        ({"dist": "beta", "mean": 3, "sd": 1, "low": 1, "high": 6}, stats.beta(2, 3, 1, 5)),
        ({"dist": "normal", "mean": 1, "sd": 0.5}, stats.norm(1, 0.5)),
        (
            {"dist": "normal", "mean": 1, "sd": 0.5, "low": 0.5, "high": 3},
            stats.truncnorm(-1, 4, loc=1, scale=0.5),
        ),
        ({"dist": "lognormal", "mean": 2, "sd": 1}, None),
    ],
)
def test_quantiles_match_scipy(spec, reference) -> None:
    dist = Distribution.model_validate(spec)
    got = np.array([dist.quantile(u) for u in U])
    if reference is None:  # lognormal by mean and sd: check the moments it was given
        sigma2 = np.log1p((spec["sd"] / spec["mean"]) ** 2)
        reference = stats.lognorm(np.sqrt(sigma2), scale=spec["mean"] * np.exp(-sigma2 / 2))
        assert reference.mean() == pytest.approx(spec["mean"])
        assert reference.std() == pytest.approx(spec["sd"])
    np.testing.assert_allclose(got, reference.ppf(U), rtol=1e-9)
    if ("mean" in spec and spec["dist"] != "normal") or "low" not in spec:
        assert dist.center == pytest.approx(reference.mean() if spec["dist"] != "uniform" else 3.5)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "beta", "mean": 0.2}, "needs sd"),
        ({"dist": "beta", "mean": 0.2, "sd": 0.5}, "too large for a beta"),
        ({"dist": "uniform", "low": 3, "high": 1}, "needs low < high"),
        ({"dist": "uniform", "low": 1, "high": 2, "sd": 1}, "takes no sd"),
        ({"dist": "lognormal", "mean": -1, "sd": 1}, "must lie between"),
        ({"dist": "gamma", "mean": 1, "sd": 1}, "dist"),
    ],
)
def test_bad_distributions_are_one_line_naming_the_key(tmp_path: Path, spec, message) -> None:
    text = "interview:\n  validity: " + str(spec).replace("'", "") + "\n"
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(sf.InputError) as info:
        sf.load_scenario(path)
    shown = str(info.value)
    assert "\n" not in shown and message in shown and "s.yaml:2" in shown, shown
    assert "interview.validity" in shown


@pytest.mark.parametrize(
    ("uncertainty", "message"),
    [
        ({"interview.validity": {"dist": "normal", "mean": 0.2, "sd": 0.1}}, "outside the key's"),
        ({"interview.nonsense": CANCEL}, "not a scenario key"),
        ({"applicants.count": CANCEL}, "draw one number at a time"),
        ({"role.positions.2": {"dist": "uniform", "low": 0.5, "high": 1.5}}, "outside"),
        (
            {"screening.shortlist.high": {"dist": "uniform", "low": 5, "high": 150}},
            "at its 99.9% point (149.9) the scenario's constraints do not hold",
        ),
    ],
)
def test_keys_that_cannot_be_drawn_are_refused(uncertainty, message) -> None:
    with pytest.raises(sf.InputError) as info:
        baseline(uncertainty=uncertainty)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_errors_point_at_the_line_of_the_distribution(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: base\n")
    path = tmp_path / "s.yaml"
    path.write_text(
        "extends: base.yaml\nuncertainty:\n  interview.validity: {dist: beta, mean: 0.2, "
        "sd: 0.05, foo: 1}\n"
    )
    with pytest.raises(sf.InputError, match=r"s\.yaml:3: interview\.validity\.foo"):
        sf.load_scenario(path)
    path.write_text("posterior: {columns: [a.b], draws: [[1]]}\n")
    with pytest.raises(sf.InputError, match=r"s\.yaml:1: posterior column 'a\.b': not a"):
        sf.load_scenario(path)


def test_inline_and_section_are_the_same_scenario(tmp_path: Path) -> None:
    inline = tmp_path / "inline.yaml"
    inline.write_text(
        "name: u\nrole:\n  cancel_probability: {dist: uniform, low: 0.05, high: 0.25}\n"
    )
    section = tmp_path / "section.yaml"
    section.write_text(
        "name: u\nuncertainty:\n  role.cancel_probability: {dist: uniform, low: 0.05, high: 0.25}\n"
    )
    a, b = sf.load_scenario(inline), sf.load_scenario(section)
    assert a == b
    assert a.role.cancel_probability == 0.15  # the nominal value: the distribution's mean
    again = tmp_path / "again.yaml"
    again.write_text(a.to_yaml())
    assert sf.load_scenario(again) == a  # a saved scenario.yaml keeps its distributions


def test_an_override_pins_a_drawn_key() -> None:
    scenario = baseline(**{"role.cancel_probability": CANCEL, "name": "u"})
    assert scenario.uncertainty
    pinned = scenario.with_overrides({"role.cancel_probability": 0.1})
    assert not pinned.uncertainty and pinned.role.cancel_probability == 0.1


# ------------------------------------------------------------------ runs
def test_draws_do_not_depend_on_chunks_or_workers() -> None:
    scenario = baseline(**{"role.cancel_probability": CANCEL, "interview.validity": {
        "dist": "beta", "mean": 0.16, "sd": 0.04}})  # fmt: skip
    one = sf.simulate(scenario, 6_000, seed=3, chunk_size=1_000)
    other = sf.simulate(scenario, 6_000, seed=3, chunk_size=4_000, workers=2)
    pd.testing.assert_frame_equal(one.statistics, other.statistics)
    pd.testing.assert_frame_equal(one.openings, other.openings)


def test_both_kernels_draw_and_run_the_same_blocks() -> None:
    scenario = baseline(**{"role.cancel_probability": CANCEL})
    numba = sf.simulate(scenario, 4_000, seed=6, kernel="numba")
    numpy = sf.simulate(scenario, 4_000, seed=6, kernel="numpy")
    pd.testing.assert_frame_equal(numba.statistics, numpy.statistics)


def test_a_one_row_posterior_is_the_fixed_scenario_at_that_row() -> None:
    row = {"offers.decline_probability": 0.3, "role.cancel_probability": 0.2}
    posterior = {"columns": list(row), "draws": [list(row.values())]}
    # The row is also the nominal scenario: the good-interview threshold is the same.
    drawn = sf.simulate(baseline(**row, posterior=posterior), 5_000, seed=5)
    fixed = sf.simulate(baseline(**row), 5_000, seed=5)
    assert drawn.summary()["value"].equals(fixed.summary()["value"])


def test_a_key_that_changes_nothing_changes_no_value_and_no_range() -> None:
    scenario = baseline(**{"value.discount_rate": {"dist": "uniform", "low": 0.01, "high": 0.2}})
    drawn = sf.simulate(scenario, 40_000, seed=11, attribution=False).summary()
    fixed = sf.simulate(baseline(), 40_000, seed=11, attribution=False).summary()
    assert drawn["value"].equals(fixed["value"])
    # No detectable parameter variance: at the 99% test about 0.36 false alarms are
    # expected among ~36 metrics; three or more has probability about 0.5%.
    assert (drawn["param_share"] > 0).sum() <= 2
    # Block-level SEs estimate the same per-opening SEs: 40 blocks, so each ratio has a
    # relative SE of about 1/sqrt(2 * 39) = 11%; all within 4 of those.
    ratio = (drawn["se"] / fixed["se"]).dropna()
    assert ((ratio > 0.55) & (ratio < 1.45)).all(), ratio[(ratio <= 0.55) | (ratio >= 1.45)]


def test_the_range_of_the_cancel_rate_is_the_distribution_of_its_probability() -> None:
    """Without pauses the cancel share equals the cancel probability, so with that
    probability uniform on .05-.25 the cancel rate's 95% range over parameter sets is
    .055-.245, and its average over them .15."""
    scenario = baseline(**{"role.cancel_probability": CANCEL, **NO_PAUSES})
    result = sf.simulate(scenario, 200_000, seed=2, attribution=False)
    row = result.summary().loc["cancel_rate"]
    assert row.ci_low <= 0.15 <= row.ci_high
    # The range must hold the cancel probability for at least 95% of its draws: here
    # the share of U(.05, .25) inside it. It is conservative by design (the spread at its
    # 75% upper bound: a few per cent wider with 200 blocks), not wildly so.
    held = (min(row.param_high, 0.25) - max(row.param_low, 0.05)) / 0.2
    assert held >= 0.93, (row.param_low, row.param_high)
    assert row.param_high - row.param_low < 1.25 * 0.19
    assert row.param_share > 0.99
    assert result.uncertain and not sf.simulate(baseline(), 2_000).uncertain


def test_compare_keeps_common_random_numbers_with_parameter_draws() -> None:
    a = baseline(**{"role.cancel_probability": CANCEL, "name": "a"})
    b = a.with_overrides({"manager.risk_aversion": 1.5, "name": "b"})
    comparison = sf.compare([a, b], 30_000, seed=4, attribution=False)
    table = comparison.differences.set_index("metric")
    # The same parameter draws: the cancel rate differs by nothing at all.
    assert table.loc["cancel_rate", "difference"] == 0
    assert table.loc["cancel_rate", "se"] == 0
    paired = table["ci_high"] - table["ci_low"]
    unpaired = table["unpaired_ci_high"] - table["unpaired_ci_low"]
    assert (paired <= unpaired + 1e-12).loc["good_interview_offer_rate"]
    same = sf.compare([a, a.with_overrides({"name": "c"})], 30_000, seed=4, attribution=False)
    assert (same.differences["difference"] == 0).all()


def test_drawn_values_depend_on_seed_block_and_key_only() -> None:
    one = baseline(**{"role.cancel_probability": CANCEL})
    two = one.with_overrides({"interview.validity": {"dist": "beta", "mean": 0.2, "sd": 0.05}})
    cancel_one = drawn_values(one, Seed(9), 17)[0]
    keys = list(two.uncertainty)
    cancel_two = drawn_values(two, Seed(9), 17)[keys.index("role.cancel_probability")]
    assert cancel_one == cancel_two  # adding a key does not move the others
    assert drawn_values(one, Seed(9), 18)[0] != cancel_one
    fixed = settled(two, uncertain_parameters(two), drawn_values(two, Seed(9), 17))
    assert not fixed.uncertainty and fixed.role.cancel_probability == cancel_one


@pytest.mark.parametrize("analysis", ["sensitivity", "you"])
def test_analyses_on_fixed_parameters_refuse_drawn_ones(analysis) -> None:
    scenario = baseline(**{"role.cancel_probability": CANCEL})
    call = {
        "sensitivity": lambda: sf.sensitivity(scenario, openings=1_000),
        "you": lambda: sf.you(scenario, 80),
    }[analysis]
    with pytest.raises(sf.InputError, match="needs fixed parameters"):
        call()


# ------------------------------------------------------------------ the command line
def test_run_with_a_posterior_file_reports_both_intervals(tmp_path: Path, capsys) -> None:
    draws = tmp_path / "posterior.csv"
    rng = np.random.default_rng(0)
    pd.DataFrame(
        {
            "role.cancel_probability": rng.uniform(0.05, 0.25, 50),
            "offers.decline_probability": rng.uniform(0.05, 0.2, 50),
        }
    ).to_csv(draws, index=False)
    out = tmp_path / "out"
    options = ["--openings", "40000", "--out", str(out), "--formats", "none"]
    code, text, err = run_cli(capsys, "run", str(BASELINE), "--posterior", str(draws), *options)
    assert code == 0, err
    assert "95% range over parameters" in text and "posterior draws of posterior.csv" in text
    saved = sf.load_result(out)
    assert saved.uncertain and saved.scenario.posterior is not None
    # The draws are kept beside scenario.yaml, exactly (a YAML holds at most 1 MiB).
    assert "posterior: posterior.csv" in (out / "scenario.yaml").read_text()
    np.testing.assert_array_equal(
        np.array(saved.scenario.posterior.draws), pd.read_csv(draws).to_numpy()
    )
    assert saved.summary().loc["cancel_rate", "param_share"] > 0.9


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("role.cancel_probability\n0.1\nabc\n", "row 3, column 'role.cancel_probability'"),
        ("role.cancel_probability\n", "no draws"),
        ("", "empty"),
        ("not a key!\n0.1\n", "column 1: the header must be a scenario key"),
        ("role.nonsense\n0.1\n", "not a scenario key"),
        ("role.cancel_probability\n0.1\n.inf\n", "expected a finite number"),
    ],
)
def test_bad_posterior_files_exit_2_with_one_line(tmp_path: Path, capsys, content, message):
    draws = tmp_path / "posterior.csv"
    draws.write_text(content)
    out = tmp_path / "out"
    options = ["--openings", "2000", "--out", str(out)]
    code, _, err = run_cli(capsys, "run", str(BASELINE), "--posterior", str(draws), *options)
    assert code == 2 and message in err, err
    assert len(err.strip().splitlines()) == 1 and "abc" not in err
    assert not out.exists()


def test_a_posterior_key_in_yaml_reads_its_file_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "draws.csv").write_text("role.cancel_probability\n0.1\n0.2\n")
    config = tmp_path / "s.yaml"
    config.write_text("posterior: draws.csv\n")
    scenario = sf.load_scenario(config)
    assert scenario.posterior.columns == ("role.cancel_probability",)
    assert scenario.posterior.draws == ((0.1,), (0.2,))
    config.write_text("posterior: ../elsewhere.csv\n")
    with pytest.raises(sf.InputError, match=r"s.yaml:1: posterior: .* leads outside"):
        sf.load_scenario(config)


def test_a_fit_carries_its_posterior_into_a_run() -> None:
    from simfunnel.analysis.fit import fit
    from simfunnel.io.ats import read_ats

    from .test_fit import EXAMPLE, QUICK

    free = ["offers.decline_probability", "role.cancel_probability"]
    result = fit(read_ats(EXAMPLE), baseline(), free, seed=11, settings=QUICK)
    scenario = result.uncertain_scenario
    assert scenario.posterior.columns == tuple(free) and scenario.name == result.scenario.name
    assert len(scenario.posterior.draws) == len(result.posterior)
    run = sf.simulate(scenario, 40_000, seed=1, attribution=False).summary()
    # The cancel rate moves with the fitted cancel probability: a range wider than its CI.
    row = run.loc["cancel_rate"]
    assert row.param_high - row.param_low > row.ci_high - row.ci_low


def test_too_few_blocks_claim_no_range_and_one_block_no_ci() -> None:
    scenario = baseline(**{"role.cancel_probability": CANCEL})
    one = sf.simulate(scenario, 1_000, seed=3, attribution=False).summary()
    assert one[["ci_low", "ci_high", "param_low", "param_high"]].isna().all().all()
    few = sf.simulate(scenario, 5_000, seed=3, attribution=False).summary()
    assert few[["ci_low", "ci_high"]].notna().all().all()  # Student's t on 4 df
    assert few[["param_low", "param_high", "param_share"]].isna().all().all()
