"""`simfunnel you`: the focal candidate's chances and job search."""

from __future__ import annotations

import numpy as np
import pytest

import simfunnel as sf
from simfunnel.analysis.you import focal_latent
from simfunnel.cli import main
from simfunnel.model.population import ALIGNMENT, NICHE, QUALITY, Screen

from .conftest import CONFIGS, null_scenario


def test_top_candidate_beats_median_and_search_is_monotone() -> None:
    scenario = null_scenario()
    top = sf.you(scenario, 99.9, openings=4_000, interviews=8, seed=1)
    median = sf.you(scenario, 50, openings=4_000, interviews=8, seed=1)
    assert top.offer[1] > median.offer[2] + 0.1  # far more often, CIs well apart
    for result in (top, median):
        p_any = result.job_search.p_any_offer.to_numpy()
        assert np.all(np.diff(p_any) >= 0)
        assert np.all(np.diff(result.job_search.p_any_offer_visible) >= 0)


def test_search_without_freezes_matches_independent_closed_form(baseline: sf.Scenario) -> None:
    scenario = baseline.with_overrides(
        {"role.freeze_correlation": 0.0, "pipeline.recontact_probability": 0.0}
    )
    result = sf.you(scenario, 80, openings=5_000, interviews=6, seed=2)
    table = result.job_search
    # P(>=1 offer in N) = 1 - (1 - p)^N; the resampled search and p share one sample,
    # so the CI of the search alone (binomial over searches) is the right yardstick.
    half = (table.ci_high - table.ci_low) / 2
    assert np.all(np.abs(table.p_any_offer - table.p_any_offer_independent) < 1.5 * half)
    assert (table.p_any_offer_visible == table.p_any_offer).all()


def test_freeze_correlation_lowers_long_search_success(baseline: sf.Scenario) -> None:
    heavy = baseline.with_overrides(
        {
            "role.cancel_probability": 0.5,
            "role.interview_at": 0.3,
            "pipeline.recontact_probability": 0.0,
        }
    )
    independent = sf.you(
        heavy.with_overrides({"role.freeze_correlation": 0.0}), 90, openings=3_000, seed=3
    )
    shared = sf.you(
        heavy.with_overrides({"role.freeze_correlation": 1.0}), 90, openings=3_000, seed=3
    )
    last = len(independent.job_search) - 1
    assert shared.job_search.p_any_offer[last] < independent.job_search.ci_low[last]
    # the first interview's chance does not depend on the correlation
    assert abs(shared.job_search.p_any_offer[0] - independent.job_search.p_any_offer[0]) < 0.02


def test_staying_visible_helps(baseline: sf.Scenario) -> None:
    result = sf.you(
        baseline.with_overrides({"pipeline.recontact_probability": 1.0}), 90, openings=3_000, seed=4
    )
    assert (result.job_search.p_any_offer_visible > result.job_search.ci_high).all()


def test_focal_latent_conditionals(baseline: sf.Scenario) -> None:
    rng = np.random.default_rng(0)
    rows = 200_000
    screen = Screen.from_scenario(baseline)
    correlation = baseline.correlation_matrix
    latent = focal_latent(
        screen, correlation, 1.5, None, None, rng.standard_normal((rows, 5)), rng.random(rows)
    )
    assert (latent[:, QUALITY] == 1.5).all()
    # E[alpha | q] = r * q with r = corr(quality, alignment)
    r = correlation[QUALITY, ALIGNMENT]
    assert abs(latent[:, ALIGNMENT].mean() - r * 1.5) < 4 * np.sqrt(1 - r**2) / np.sqrt(rows)
    fixed = focal_latent(
        screen, correlation, 0.0, 0.9, True, rng.standard_normal((rows, 5)), rng.random(rows)
    )
    assert np.allclose(fixed[:, ALIGNMENT], 1.2815515655446004)
    assert (fixed[:, NICHE] > screen.niche_cut).all()
    without = focal_latent(
        screen, correlation, 0.0, None, False, rng.standard_normal((rows, 5)), rng.random(rows)
    )
    assert (without[:, NICHE] <= screen.niche_cut).all()


def test_felt_great_and_conditions_run(baseline: sf.Scenario) -> None:
    result = sf.you(
        baseline, 70, felt_great=True, alignment=0.2, niche=False, openings=1_000, seed=5
    )
    assert 0 < result.offer[0] < 1
    shares = result.loss_reasons
    for method in ("sequential", "shapley"):
        assert shares[shares.method == method].share.sum() == pytest.approx(1.0)


def test_you_cli(capsys, tmp_path) -> None:
    code = main(
        [
            "you",
            str(CONFIGS / "baseline.yaml"),
            "--quality-percentile",
            "90",
            "--openings",
            "1000",
            "--interviews",
            "4",
            "--out",
            str(tmp_path),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "P(offer) per interview" in out and "Median interviews to a first offer" in out
    assert (tmp_path / "job_search.csv").exists()
    assert (tmp_path / "job_search.png").stat().st_size > 20_000
    assert (tmp_path / "loss_reasons.png").stat().st_size > 20_000
    with pytest.raises(SystemExit) as info:
        main(["you", str(CONFIGS / "baseline.yaml"), "--quality-percentile", "100"])
    assert info.value.code == 2
    assert "must be between 0 and 100" in capsys.readouterr().err


def test_impossible_niche_is_refused_and_small_pools_count_right(baseline: sf.Scenario) -> None:
    with pytest.raises(sf.InputError, match="nobody has the niche experience"):
        sf.you(baseline.with_overrides({"applicants.niche_share": 0.0}), 80, niche=True)
    # A pool no larger than the shortlist: everyone is interviewed unless cancelled.
    tiny = baseline.with_overrides(
        {
            "applicants.count": {"low": 10, "high": 10},
            "screening.shortlist": {"low": 10, "high": 10},
        }
    )
    result = sf.you(tiny, 50, openings=2_000, seed=6)
    cancelled_before = (
        sf.simulate(tiny, 20_000, seed=6, attribution=False)
        .summary()
        .loc["cancel_before_interviews_rate", "value"]
    )
    assert result.shortlist_rate == pytest.approx(1 - cancelled_before, abs=0.02)


def test_you_refuses_zero_or_fractional_openings(baseline) -> None:
    from simfunnel.analysis.options import ParameterError

    for bad in (0, -1, 2.5, True):
        with pytest.raises(ParameterError, match="openings must be a whole number >= 1"):
            sf.you(baseline, 90, openings=bad)


def test_levers_say_which_own_trait_moves_the_chance_most(baseline) -> None:
    """Alignment and niche experience set one at a time on the same seed: more aligned
    experience raises the chance (the onboarding cost and transfer risk fall), and the
    table names the trait with the widest range."""
    from simfunnel.analysis.you import levers
    from simfunnel.present.report import format_levers

    table = levers(baseline, 90, openings=400, seed=3)
    aligned = table[table["trait"] == "alignment"].set_index("value")["p_offer"]
    assert aligned[0.9] > aligned[0.2]
    niche = table[table["trait"] == "niche"].set_index("value")["p_offer"]
    assert niche[1.0] > niche[0.0]
    spread = {t: g["p_offer"].max() - g["p_offer"].min() for t, g in table.groupby("trait")}
    assert table.attrs["most"] == max(spread, key=spread.get)
    assert (table["per_application"] < table["p_offer"]).all()
    assert "moves it most" in format_levers(table)
    assert levers(baseline, 90, openings=400, seed=3).equals(table)  # same seed, same table


def test_your_loss_reasons_chart_shows_your_table_and_names_the_top_reasons() -> None:
    from simfunnel.analysis.outputs.run import LossReasons

    result = sf.you(sf.load_scenario("baseline"), 50, alignment=0.2, openings=1000, seed=3)
    reasons = LossReasons.from_you(result)
    table = result.loss_reasons
    sequential = table[(table["method"] == "sequential") & (table["share"] > 0)]
    drawn = reasons.to_df().set_index("reason")["share"]
    assert drawn.to_dict() == sequential.set_index("reason")["share"].to_dict()
    assert drawn.sum() == pytest.approx(1.0)  # sequential reasons add up to every loss
    top = drawn.idxmax()
    assert reasons.finding.startswith("Your lost interviews: ")
    assert f"{round(100 * drawn[top])}%" in reasons.finding
    assert "alignment 0.2" in reasons.note and reasons.xlabel.startswith("Share of your")
