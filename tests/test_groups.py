"""Groups in the model: the closed forms they must match, common random numbers, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy.optimize import brentq
from scipy.stats import binom, norm

import simfunnel as sf
from simfunnel.analysis.groups import (
    design_frontier,
    gap_attribution,
    group_impact,
    shifted_mechanisms,
    without,
)
from simfunnel.cli import main
from simfunnel.errors import InputError
from simfunnel.io.loader import load_scenario
from simfunnel.metrics import money_words
from simfunnel.model.engine import Model, run_blocks
from simfunnel.model.groups import mixture_upper_quantile
from simfunnel.model.rng import BLOCKS, normalise_seed

from .conftest import CONFIGS

BASELINE = CONFIGS / "baseline.yaml"


def _scenario(groups: dict, **overrides):
    return load_scenario(BASELINE, {"groups": groups, **overrides})


def _two_levels(share: float, **shifts: float) -> dict:
    return {"g": {"majority": {"share": 1 - share}, "minority": {"share": share, **shifts}}}


def ai_estimate(d: float, selection_ratio: float, minority: float) -> float:
    """iopsych's aiEst: the ratio of normal tails at the common cut-off of a top-down
    selection, the minority's mean d SD lower."""
    cut = brentq(
        lambda x: (1 - minority) * norm.sf(x) + minority * norm.sf(x + d) - selection_ratio,
        -10,
        10,
    )
    return norm.sf(cut + d) / norm.sf(cut)


def finite_pool_ratio(d: float, minority: float, n: int, k: int) -> float:
    """The same ratio for the top k of n (not a fixed cut-off), by quadrature:
    P(selected | mean m) = integral of phi(s - m) P(Binomial(n - 1, G(s)) < k) ds."""

    def tail(s: float) -> float:
        return (1 - minority) * norm.sf(s) + minority * norm.sf(s + d)

    def selected(mean: float) -> float:
        integrand = lambda s: norm.pdf(s - mean) * binom.cdf(k - 1, n - 1, tail(s))  # noqa: E731
        return integrate.quad(integrand, -12, 12, limit=400, epsabs=1e-13)[0]

    return selected(-d) / selected(0.0)


def test_the_closed_forms_are_ioposychs_published_values() -> None:
    assert ai_estimate(0.15, 0.25, 0.30) == pytest.approx(0.823, abs=5e-4)
    assert ai_estimate(0.40, 0.10, 0.15) == pytest.approx(0.471, abs=5e-4)


@pytest.mark.parametrize(
    ("d", "selection_ratio", "minority", "published"),
    [(0.15, 0.25, 0.30, 0.823), (0.40, 0.10, 0.15, 0.471)],
)
def test_shortlist_impact_ratio_matches_the_ratio_of_normal_tails(
    d, selection_ratio, minority, published
) -> None:
    n = 200
    k = round(selection_ratio * n)
    # The screen score alone: validity 1 and no other weights make the CV score's SD 1.
    scenario = _scenario(
        _two_levels(minority, screen=-d),
        **{
            "applicants.count": {"low": n, "high": n},
            "screening.shortlist": {"low": k, "high": k},
            "screening.validity": 1.0,
            "screening.alignment_weight": 0.0,
            "screening.niche_weight": 0.0,
        },
    )
    table = group_impact(scenario, openings=6000, seed=11, good_interviews=False).to_df()
    row = table[(table["stage"] == "shortlisted") & (table["level"] == "minority")].iloc[0]
    se = row["impact_ratio"] * (math.log(row["ci_high"]) - math.log(row["ci_low"])) / (2 * 1.96)
    assert abs(row["impact_ratio"] - ai_estimate(d, selection_ratio, minority)) < 3 * se
    assert abs(row["impact_ratio"] - published) < 3 * se + 5e-4
    # And the finite pool's exact value (top k of n, not a fixed cut), which differs by
    # less than a tenth of the SE here.
    assert abs(row["impact_ratio"] - finite_pool_ratio(d, minority, n, k)) < 3 * se


def test_the_mixture_quantile_inverts_the_mixture_tail() -> None:
    tail = np.array([1e-9, 1e-4, 0.1, 0.5, 0.99])
    means, shares = np.array([0.0, -0.7, 0.4]), np.array([0.5, 0.3, 0.2])
    x = mixture_upper_quantile(tail, means, shares)
    back = sum(share * norm.sf(x - mean) for mean, share in zip(means, shares, strict=True))
    assert back == pytest.approx(tail, rel=1e-9)


def _funnel(scenario, blocks: int = 2):
    return run_blocks(Model.build(scenario), normalise_seed(5), BLOCKS, 0, blocks)


def test_groups_with_zero_shifts_reproduce_the_run_without_groups_on_the_same_draws() -> None:
    plain = _funnel(load_scenario(BASELINE))
    grouped = _funnel(_scenario(_two_levels(0.4)))
    np.testing.assert_array_equal(grouped.screen_score, plain.screen_score)
    np.testing.assert_array_equal(grouped.interview_score, plain.interview_score)
    np.testing.assert_array_equal(grouped.hired, plain.hired)
    assert "group_cell" in grouped.extras and "group_cell" not in plain.extras


def test_a_shift_moves_only_what_it_shifts_on_the_same_draws() -> None:
    # A rater bias changes interview scores of the minority only; the shortlist and the
    # majority's scores are the same draws.
    base = _funnel(_scenario(_two_levels(0.4)))
    biased = _funnel(_scenario(_two_levels(0.4, interview=-0.5)))
    np.testing.assert_array_equal(biased.screen_score, base.screen_score)
    minority = biased.extras["group_cell"] == 1
    np.testing.assert_array_equal(
        biased.interview_score[~minority], base.interview_score[~minority]
    )
    assert (biased.interview_score[minority] < base.interview_score[minority]).all()


def test_with_all_shifts_zero_every_ratio_is_one_within_its_ci() -> None:
    table = group_impact(
        _scenario(_two_levels(0.3)), openings=5000, seed=2, good_interviews=False
    ).to_df()
    rows = table[table["level"] != table["reference"]]
    # Bonferroni over the stages' ratios: each within its interval widened to 1 - 0.05/k.
    z = norm.isf(0.05 / (2 * len(rows)))
    se = (np.log(rows["ci_high"]) - np.log(rows["ci_low"])) / (2 * 1.96)
    assert (np.abs(np.log(rows["impact_ratio"])) < z * se).all(), rows


def test_removing_the_only_mechanism_closes_the_gap_on_the_same_draws() -> None:
    scenario = _scenario(_two_levels(0.3, culture=-0.8))
    assert shifted_mechanisms(scenario) == ["culture"]
    gap = group_impact(scenario, openings=3000, seed=4, good_interviews=False).to_df()
    end = gap[(gap["stage"] == "end to end") & (gap["level"] == "minority")].iloc[0]
    assert end["ci_high"] < 1  # the culture mirror makes a gap
    closed = _funnel(without(scenario, ["culture"]), blocks=3)
    plain = _funnel(load_scenario(BASELINE), blocks=3)
    np.testing.assert_array_equal(closed.hired, plain.hired)  # the very same openings
    attribution = gap_attribution(scenario, openings=3000, seed=4).to_df()
    for _, row in attribution[attribution["attribute"] == "g"].iterrows():  # every stage
        assert row["shapley"] == pytest.approx(row["ratio_without_all"] - row["ratio"])
        assert row["sequential"] == pytest.approx(row["shapley"])
    stages = attribution.set_index("stage")["shapley"]
    assert stages["end to end"] > 0.05  # the culture mirror costs the minority hires
    assert abs(stages["shortlisted"]) < 0.02  # and nothing at the screen, which ignores it


def test_shapley_shares_add_up_to_the_whole_gap() -> None:
    scenario = _scenario(_two_levels(0.4, culture=-0.5, screen=-0.2))
    table = gap_attribution(scenario, openings=2000, seed=1).to_df()
    for _, rows in table[table["attribute"] == "g"].groupby("stage"):
        assert rows["shapley"].sum() == pytest.approx(
            rows["ratio_without_all"].iloc[0] - rows["ratio"].iloc[0]
        )
        assert rows["sequential"].sum() == pytest.approx(rows["shapley"].sum())


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ({"g": {"a": {"share": 0.5}, "b": {"share": 0.4}}}, "groups.g: the levels' shares"),
        ({"g": {"a": {"share": 0.5}, "b": {"share": 0.5, "cultur": -1}}}, "cultur"),
        ({"g": {"a": {"share": 0.5}, "b": {"share": 0.5, "culture": -9}}}, "culture"),
        ({"g": {"a": {"share": 0.5}}}, "2-10 levels"),
        ({f"g{i}": {"a": {"share": 0.5}, "b": {"share": 0.5}} for i in range(3)}, "one or two"),
    ],
)
def test_bad_groups_are_one_line(groups, expected) -> None:
    with pytest.raises(InputError, match=expected) as caught:
        _scenario(groups)
    assert "\n" not in str(caught.value)


def test_validate_refuses_bad_groups_with_exit_2(tmp_path, capsys) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("groups:\n  sex:\n    man: {share: 0.6}\n    woman: {share: 0.3}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr()
    assert "shares must sum to 1" in err.out + err.err


@pytest.mark.slow
def test_groups_command_writes_tables_and_charts(tmp_path, capsys) -> None:
    out = tmp_path / "groups"
    code = main(
        ["groups", str(CONFIGS / "affinity_bias.yaml"), "--openings", "1000",
         "--attribution-openings", "1000", "--out", str(out)]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert code == 0
    assert "accounts for" in printed and "end to end" in printed
    names = {p.name for p in out.iterdir()}
    assert {"groups.csv", "attribution.csv", "rates_sex.png", "attribution_ethnicity.png"} <= names


def test_the_attribution_chart_draws_a_bar_per_mechanism() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    scenario = _scenario(_two_levels(0.4, culture=-0.5, screen=-0.2))
    attribution = gap_attribution(scenario, openings=1000, seed=1)
    ax = attribution.plot()
    labels = {t.get_text() for t in ax.get_yticklabels()}
    assert labels == {"culture mirror", "screener's bias"}
    assert ax.get_title(loc="left").startswith("The ")


def test_the_frontier_marks_the_designs_no_other_beats_on_both() -> None:
    scenario = _scenario(_two_levels(0.3, screen=-0.3))
    designs = {
        "as is": {},
        "valid CV screen": {"screening.validity": 0.6},
        "no culture weight": {"manager.affinity_weight": 0.0},
    }
    frontier = design_frontier(scenario, designs, openings=2000, seed=3)
    table = frontier.to_df()
    assert list(table["design"]) == list(designs)
    value, ratio = table["hire_value"].to_numpy(), table["impact_ratio"].to_numpy()
    for i, on in enumerate(table["on_frontier"]):
        assert on == (not ((value > value[i]) & (ratio > ratio[i])).any())
    # A more valid screen buys quality: its CI is above the screen as it is.
    assert table.loc[1, "value_ci_low"] > table.loc[0, "value_ci_high"]
    assert (table["level"] == "minority").all() and (table["reference"] == "majority").all()
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = frontier.plot()
    assert {t.get_text() for t in ax.texts} >= set(designs)


def test_an_auditors_sample_flags_a_null_gap_at_the_tests_level() -> None:
    impact = group_impact(_scenario(_two_levels(0.3)), openings=5000, seed=8, good_interviews=False)
    samples = 400
    row = impact.auditor_sample(200, samples=samples, seed=1).to_df().iloc[0]
    se = math.sqrt(0.05 * 0.95 / samples)
    assert abs(row["power_z"] - 0.05) < 3 * se  # the z test's size
    assert row["power_fisher"] < 0.05 + 3 * se  # Fisher's is conservative: at most its level
    assert row["ratio_p05"] < 1 < row["ratio_p95"]


def test_an_auditors_sample_sees_a_large_gap_almost_always() -> None:
    impact = group_impact(
        _scenario(_two_levels(0.3, screen=-0.8)), openings=3000, seed=8, good_interviews=False
    )
    row = impact.auditor_sample(300, samples=200, seed=1).to_df().iloc[0]
    assert row["true_ratio"] < 0.5
    assert row["power_fisher"] > 0.95 and row["below_four_fifths"] > 0.95


def test_good_interviews_offered_by_level_is_reported() -> None:
    # A rater bias lowers the minority's scores: fewer of them pass the good-interview
    # threshold, and the good ones are still offered at a rate of their own.
    table = group_impact(_scenario(_two_levels(0.3, interview=-0.5)), openings=2000, seed=3)
    rows = table.to_df()
    good = rows[rows["stage"] == "good interviews offered"]
    assert set(good["level"]) == {"majority", "minority"}
    assert (good["considered"] > 0).all() and good["rate"].between(0, 1).all()


@pytest.mark.slow
def test_compare_keeps_groups_when_a_scenario_without_them_comes_first() -> None:
    # Scenarios with the same layout share one set of draws; groups change the layout,
    # so a grouped scenario never runs on draws without its cell draws.
    plain = load_scenario(BASELINE)
    grouped = _scenario(_two_levels(0.3, screen=-3.0, interview=-2.0))
    comparison = sf.compare([plain, grouped], openings=1000, seed=2, workers=1)
    solo = sf.simulate(grouped, 1000, seed=2, workers=1).summary()["value"]
    paired = comparison.results[1].summary()["value"]
    alone = sf.simulate(plain, 1000, seed=2, workers=1).summary()["value"]
    np.testing.assert_array_equal(paired.to_numpy(), solo.to_numpy())
    assert not np.array_equal(paired.to_numpy(), alone.to_numpy(), equal_nan=True)


def test_an_unknown_level_in_an_override_names_the_known_ones() -> None:
    scenario = load_scenario(CONFIGS / "affinity_bias.yaml")
    with pytest.raises(InputError, match="unknown 'wman' here; known: man, woman"):
        scenario.with_overrides({"groups.sex.wman.culture": -1})


def test_a_decline_shift_moves_the_log_odds_of_declining() -> None:
    # Declines independent of quality: a level's share of offers declined is
    # expit(logit(p0) + d), the others' p0.
    p0, d = 0.1, 1.0
    scenario = _scenario(
        _two_levels(0.4, decline=d),
        **{"offers.decline_probability": p0, "offers.decline_quality_slope": 0.0},
    )
    table = group_impact(scenario, openings=6000, seed=6, good_interviews=False).to_df()
    rows = table[(table["stage"] == "hired") & (table["attribute"] == "g")].set_index("level")
    for level, expected in (("majority", p0), ("minority", 1 / (1 + (1 - p0) / p0 / math.e))):
        n = rows.loc[level, "considered"]
        declined = 1 - rows.loc[level, "rate"]
        assert abs(declined - expected) < 3 * math.sqrt(expected * (1 - expected) / n), level


def test_a_withdrawal_shift_loses_that_level_more_shortlisted_candidates() -> None:
    scenario = _scenario(_two_levels(0.4, withdrawal=math.log(3)))
    table = group_impact(scenario, openings=3000, seed=6, good_interviews=False).to_df()
    row = table[(table["stage"] == "interviewed") & (table["level"] == "minority")].iloc[0]
    assert row["ci_high"] < 1
    plain = _funnel(load_scenario(BASELINE))
    same = _funnel(_scenario(_two_levels(0.4, withdrawal=0.0, decline=0.0)))
    np.testing.assert_array_equal(same.hired, plain.hired)  # zero shifts: the same arithmetic


@pytest.mark.slow
def test_a_deck_of_a_grouped_scenario_gets_the_group_slides() -> None:
    from simfunnel.analysis.groups import GapAttribution, GroupImpact
    from simfunnel.present.deck.slides import group_slides

    slides = group_slides(_scenario(_two_levels(0.3, culture=-0.8)), openings=1000, seed=1)
    assert [s.name for s in slides] == ["groups", "group_attribution"]
    assert isinstance(slides[0].output, GroupImpact)
    assert isinstance(slides[1].output, GapAttribution)
    assert "culture mirror" in slides[1].notes and slides[1].output.focus == "g"


@pytest.mark.parametrize("salary", [None, 80_000])
def test_the_frontier_shows_a_hires_value_in_money_or_words_never_sd(salary, tmp_path) -> None:
    """Lay charts never say "SD": money where value.salary is set (the value per SD of
    quality, value.money_per_sd), else the percentile of applicants a hire equals."""
    scenario = _scenario(_two_levels(0.3, screen=-0.3))
    if salary is not None:
        scenario = scenario.with_overrides({"value.salary": salary, "name": "two levels"})
    designs = {"as is": {}, "valid CV screen": {"screening.validity": 0.6}}
    frontier = design_frontier(scenario, designs, openings=1000, seed=3)
    assert "SD" not in frontier.finding and "SD" not in frontier.note
    table = frontier.to_df()
    gain = table.loc[1, "hire_value"] - table.loc[0, "hire_value"]
    if salary is None:
        assert frontier.money_per_sd is None and "-percentile applicant" in frontier.finding
    else:
        assert frontier.money_per_sd == scenario.value.money_per_sd > 0
        assert money_words(gain * frontier.money_per_sd) in frontier.finding
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = frontier.plot()
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert "SD" not in ax.get_ylabel() and ticks
    if salary is None:
        assert all(t.endswith(("st", "nd", "rd", "th")) for t in ticks)
    else:
        assert all("$" in t for t in ticks)
        low, high = ax.get_ylim()  # the axis holds the money values themselves
        assert low <= table["hire_value"].min() * frontier.money_per_sd <= high
    ax.figure.savefig(tmp_path / f"frontier_{salary}.png")
