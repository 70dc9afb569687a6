"""Sources of applicants (``sources:``): the screen pass rates a brute-force pool gives,
the Lever 2016 ratios the shipped scenario is calibrated to, common random numbers, and
bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simfunnel.analysis.sources import INTERNAL, source_table
from simfunnel.cli import main
from simfunnel.errors import InputError
from simfunnel.io.loader import load_scenario
from simfunnel.model.engine import Model, run_blocks
from simfunnel.model.rng import BLOCKS, normalise_seed

# Lever (2016), The Little Grey Book of Recruiting Benchmarks: candidates per hire.
LEVER_ONE_IN = {"referred": 16, "agency": 22, "sourced": 72, "applied": 152}
CALIBRATION_TOLERANCE = 0.02  # scripts/calibrate_sources.py stops within 2% of each ratio


def _with_sources(sources: dict, **overrides):
    return load_scenario("baseline", {"sources": sources, **overrides})


def _funnel(scenario, blocks: int = 2):
    return run_blocks(Model.build(scenario), normalise_seed(5), BLOCKS, 0, blocks)


def test_sources_with_zero_shifts_reproduce_the_run_without_them_on_the_same_draws() -> None:
    plain = _funnel(load_scenario("baseline"))
    mixed = _funnel(_with_sources({"applied": {"share": 0.8}, "referred": {"share": 0.2}}))
    np.testing.assert_array_equal(mixed.screen_score, plain.screen_score)
    np.testing.assert_array_equal(mixed.interview_score, plain.interview_score)
    np.testing.assert_array_equal(mixed.hired, plain.hired)
    # And every applicant got a source, in about its share.
    cells = mixed.extras["group_cell"][mixed.on_slate & ~mixed.internal_slot]
    assert abs((cells == 1).mean() - 0.2) < 4 * math.sqrt(0.2 * 0.8 / cells.size) + 0.01


def test_screen_pass_rates_match_a_brute_force_pool() -> None:
    """Each source's share shortlisted equals that of whole pools drawn applicant by
    applicant: a standard normal CV score plus the source's shift, the top k kept."""
    n, k, shifts, shares = 120, 6, np.array([0.0, 0.8, 1.5]), np.array([0.7, 0.25, 0.05])
    scenario = _with_sources(
        {
            "applied": {"share": shares[0]},
            "sourced": {"share": shares[1], "screen": shifts[1]},
            "referred": {"share": shares[2], "screen": shifts[2]},
        },
        **{"applicants.count": {"low": n, "high": n}, "screening.shortlist": {"low": k, "high": k}},
    )
    table = source_table(scenario, openings=4000, seed=3).to_df().set_index("source")
    rng = np.random.default_rng(0)
    pools = 20_000
    source = rng.choice(3, size=(pools, n), p=shares)
    score = rng.standard_normal((pools, n)) + shifts[source]
    top = np.argsort(-score, axis=1)[:, :k]
    chosen = np.take_along_axis(source, top, axis=1)
    for i, name in enumerate(["applied", "sourced", "referred"]):
        truth = (chosen == i).sum() / (source == i).sum()
        # SEs: the simulation's, clustered by opening (4,000 openings), and the brute
        # force's; both binomial-like over openings, so the per-opening count's variance.
        per_opening = (chosen == i).sum(axis=1)
        se_truth = per_opening.std() / math.sqrt(pools) / (n * shares[i])
        se_sim = se_truth * math.sqrt(pools / 4000)
        assert abs(table.at[name, "screen_pass_rate"] - truth) < 3 * math.hypot(se_truth, se_sim)


@pytest.mark.slow
def test_the_referrals_scenario_reproduces_levers_hire_ratios() -> None:
    table = source_table(load_scenario("referrals"), openings=20_000, seed=7).to_df()
    table = table.set_index("source")
    for name in ("sourced", "referred", "agency"):
        target = LEVER_ONE_IN["applied"] / LEVER_ONE_IN[name]
        row = table.loc[name]
        se_log = (math.log(row["vs_base_ci_high"]) - math.log(row["vs_base_ci_low"])) / 3.92
        miss = abs(math.log(row["vs_base"] / target))
        assert miss < 3 * se_log + math.log(1 + CALIBRATION_TOLERANCE), (name, row["vs_base"])
    # Lever's share of (external) hires: applied about half, sourced a third, referred 16%.
    external = table.drop(INTERNAL)
    shares = external["hires_per_opening"] / external["hires_per_opening"].sum()
    assert shares["applied"] == pytest.approx(0.50, abs=0.03)
    assert shares["referred"] == pytest.approx(0.16, abs=0.02)


@pytest.mark.parametrize(
    ("sources", "expected"),
    [
        ({"applied": {"share": 0.5}, "referred": {"share": 0.4}}, "sources: the levels' shares"),
        ({"applied": {"share": 0.5}, "internal": {"share": 0.5}}, "internal contender"),
        ({"applied": {"share": 0.5}, "referred": {"share": 0.5, "presence": 1}}, "presence"),
        ({"applied": {"share": 1.0}}, "share"),
    ],
)
def test_bad_sources_are_one_line(sources, expected) -> None:
    with pytest.raises(InputError, match=expected) as caught:
        _with_sources(sources)
    assert "\n" not in str(caught.value)


def test_a_group_attribute_cannot_be_called_source_when_sources_are_set() -> None:
    two = {"a": {"share": 0.5}, "b": {"share": 0.5}}
    with pytest.raises(InputError, match=r"groups\.source"):
        load_scenario("baseline", {"sources": two, "groups": {"source": two}})


def test_sources_command_writes_the_table_and_chart(tmp_path, capsys) -> None:
    out = tmp_path / "sources"
    assert main(["sources", "referrals", "--openings", "2000", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "referred" in printed and "1 in" in printed and "vs applied" in printed
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "sources.csv", "sources.png"]


def test_sources_command_refuses_a_scenario_without_sources(capsys) -> None:
    assert main(["sources", "baseline", "--openings", "1000"]) == 2
    err = capsys.readouterr().err
    assert "no sources: section" in err and "Traceback" not in err
