"""The compiled kernel against the NumPy reference: the same decisions on the same draws.

Both paths run on the very same draws (common random numbers); the kernel must
give the same offers, hires, offer rounds and attribution, and every metric to
1e-12 relative (in fact to the bit: the kernel sums in NumPy's order). The skip
of losers no removal can flip must change nothing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simfunnel as sf
from simfunnel.analysis.run import reference_thresholds
from simfunnel.model import decision as numpy_decision
from simfunnel.model import kernel
from simfunnel.model.attribution import Attribution, attribute
from simfunnel.model.engine import Funnel, Model, draw_blocks, simulate_funnel
from simfunnel.model.rng import BLOCKS, normalise_seed

from .conftest import CONFIGS, ROOT

SHIPPED = sorted(CONFIGS.glob("*.yaml")) + sorted((ROOT / "examples").glob("*.yaml"))
ATTRIBUTION_FIELDS = (
    "rows",
    "slots",
    "sequential",
    "shapley",
    "residual",
    "alone_offer",
    "replayed_rows",
    "replayed_actual",
)


def _both_paths(
    scenario: sf.Scenario, seed: int, blocks: int, skip: bool = True
) -> dict[str, tuple[Funnel, Attribution]]:
    """Funnel and attribution of each kernel on the same draws."""
    draws = draw_blocks(scenario, normalise_seed(seed), BLOCKS, 0, blocks)
    out = {}
    for name in ("numpy", "numba"):
        model = Model.build(scenario, kernel=name)
        thresholds = reference_thresholds(model)
        funnel = simulate_funnel(model, draws)
        good = funnel.interviewed & (funnel.interview_score >= thresholds.good_interview)
        attribution = attribute(
            funnel.decision,
            funnel.offer,
            good,
            thresholds.narrow_margin,
            quality=funnel.quality,
            skip_unreachable=skip,
        )
        out[name] = (funnel, attribution)
    return out


def _assert_same_decisions(paths: dict[str, tuple[Funnel, Attribution]]) -> None:
    (reference, ref_attribution), (compiled, attribution) = paths["numpy"], paths["numba"]
    for name in ("offer", "hired", "score", "offer_round", "days_to_fill", "wait_days"):
        np.testing.assert_array_equal(getattr(compiled, name), getattr(reference, name), name)
    for name in ATTRIBUTION_FIELDS:
        np.testing.assert_array_equal(
            getattr(attribution, name), getattr(ref_attribution, name), name
        )


def _assert_same_results(scenario: sf.Scenario, openings: int, seed: int) -> None:
    reference = sf.simulate(scenario, openings, seed=seed, kernel="numpy")
    compiled = sf.simulate(scenario, openings, seed=seed, kernel="numba")
    pd.testing.assert_frame_equal(
        compiled.statistics, reference.statistics, check_exact=False, rtol=1e-12, atol=0
    )
    pd.testing.assert_frame_equal(compiled.summary(), reference.summary(), rtol=1e-12, atol=0)
    for column in ("offer", "hired", "offer_round", "loss_reason"):
        pd.testing.assert_series_equal(compiled.candidates[column], reference.candidates[column])
    pd.testing.assert_frame_equal(compiled.openings, reference.openings, rtol=1e-12, atol=0)


@pytest.mark.parametrize("config", SHIPPED, ids=lambda p: p.stem)
def test_shipped_configs_same_results_on_both_kernels(config: Path) -> None:
    scenario = sf.load_scenario(config)
    _assert_same_results(scenario, 3_000, seed=17)
    _assert_same_decisions(_both_paths(scenario, seed=18, blocks=2))


def _scenario(draw: st.DrawFn) -> sf.Scenario:
    low = draw(st.integers(5, 60))
    short_low = draw(st.integers(1, 5))
    short_high = draw(st.integers(short_low, min(12, low)))
    overrides = {
        "applicants.count": {"low": low, "high": draw(st.integers(low, 300))},
        "screening.shortlist": {"low": short_low, "high": short_high},
        "screening.validity": draw(st.floats(0, 1)),
        "internal.probability": draw(st.floats(0, 1)),
        "role.cancel_probability": draw(st.floats(0, 0.6)),
        "role.pause_share": draw(st.floats(0, 1)),
        "role.positions": draw(st.sampled_from([{1: 1.0}, {1: 0.5, 2: 0.5}, {3: 1.0}])),
        "offers.decline_probability": draw(st.floats(0, 0.9)),
        "offers.max_offers": draw(st.integers(1, 6)),
        "withdrawal.weekly_hazard": draw(st.sampled_from([0.0, 0.02, 0.2])),
        "manager.risk_aversion": draw(st.floats(0, 5)),
        "manager.affinity_weight": draw(st.floats(0, 2)),
        "manager.niche_value": draw(st.sampled_from([0.0, 0.3])),
        "manager.narrative_weight": draw(st.sampled_from([0.0, 0.5])),
        "manager.hiring_bar": draw(st.one_of(st.none(), st.floats(-2, 1))),
        "interview.validity": draw(st.floats(0.05, 1)),
        "engine": draw(st.sampled_from(["exact", "brute_force"])),
    }
    return sf.Scenario().with_overrides(overrides)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_scenarios_same_decisions_on_both_kernels(data: st.DataObject) -> None:
    scenario = data.draw(st.composite(_scenario)())
    seed = data.draw(st.integers(0, 2**32))
    _assert_same_decisions(_both_paths(scenario, seed, blocks=1))
    _assert_same_results(scenario, 1_000, seed)


@settings(max_examples=60, deadline=None)
@given(
    scores=st.lists(st.integers(-3, 3), min_size=12, max_size=12),
    eligible=st.lists(st.booleans(), min_size=12, max_size=12),
    declines=st.lists(st.booleans(), min_size=12, max_size=12),
    positions=st.integers(1, 3),
    max_offers=st.integers(1, 6),
    bar=st.one_of(st.none(), st.integers(-3, 3)),
)
def test_offer_loop_matches_numpy_even_on_exact_ties(
    scores, eligible, declines, positions, max_offers, bar
) -> None:
    # Small integer scores: exact ties, which the model meets with probability zero.
    score = np.array(scores, dtype=float).reshape(2, 6)
    eligible_ = np.array(eligible).reshape(2, 6)
    declines_ = np.array(declines).reshape(2, 6)
    positions_ = np.array([positions, 1])
    expected = numpy_decision.make_offers(
        score, eligible_, declines_, positions_, max_offers, None if bar is None else float(bar)
    )
    offer, hired, rounds = kernel.make_offers(
        score, eligible_, declines_, positions_, max_offers, bar
    )
    np.testing.assert_array_equal(offer, expected[0])
    np.testing.assert_array_equal(hired, expected[1])
    # Funnel.offer_round's formula: offers with a score at least as high
    offered_score = np.where(offer, score, -np.inf)
    ahead = (offered_score[:, None, :] >= offered_score[:, :, None]) & offer[:, None, :]
    np.testing.assert_array_equal(rounds, np.where(offer, ahead.sum(axis=2), 0))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"role.cancel_probability": 0.3, "role.pause_share": 0.5},
        {"manager.hiring_bar": 0.2, "role.positions": {2: 1.0}},
        {"offers.max_offers": 1, "internal.probability": 0.9},
        {"manager.risk_aversion": 0.0, "manager.affinity_weight": 0.0},
    ],
    ids=["baseline", "pauses", "bar", "one_offer", "no_manager_bias"],
)
def test_skipping_unreachable_losers_changes_no_bit(baseline: sf.Scenario, overrides: dict) -> None:
    scenario = baseline.with_overrides(overrides)
    skipped_before = attribution_module().SKIPPED[0]
    with_skip = _both_paths(scenario, seed=5, blocks=3, skip=True)["numba"][1]
    assert attribution_module().SKIPPED[0] > skipped_before, "the bound skipped nothing"
    without = _both_paths(scenario, seed=5, blocks=3, skip=False)["numba"][1]
    for name in ATTRIBUTION_FIELDS:
        a, b = getattr(with_skip, name), getattr(without, name)
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), name


def attribution_module():
    from simfunnel.model import attribution

    return attribution


def test_kernel_option_is_checked_and_recorded(baseline: sf.Scenario) -> None:
    with pytest.raises(sf.InputError, match="kernel must be one of numba, numpy"):
        sf.simulate(baseline, 1_000, seed=1, kernel="fortran")
    result = sf.simulate(baseline, 1_000, seed=1, kernel="numpy", attribution=False)
    assert result.metadata["kernel"] == "numpy"


def test_the_kernel_uses_no_svml_no_fastmath_and_no_fused_multiply_add() -> None:
    """An FMA rounds once where NumPy rounds twice: on a CPU with FMA the bits would
    differ from a CPU without. LLVM fuses ``a * b + c`` only under fastmath
    ('contract'); compiled as the kernel is, it must not, whatever this CPU has."""
    import numba

    assert not numba.config.USING_SVML
    for function in (kernel.offers_kernel, kernel.replays_kernel, kernel.shapley_kernel):
        assert not function.targetoptions.get("fastmath"), function
        assert not function.targetoptions.get("parallel"), function

    @numba.njit
    def multiply_add(a, b, c, out):
        for i in range(a.shape[0]):
            out[i] = a[i] * b[i] + c[i]

    rng = np.random.default_rng(3)
    a, b, c = rng.standard_normal((3, 10_000))
    out = np.empty_like(a)
    multiply_add(a, b, c, out)
    assert out.tobytes() == (a * b + c).tobytes()
    for assembly in multiply_add.inspect_asm().values():
        assert not re.search(r"\bvfn?m(add|sub)", assembly)


@pytest.mark.parametrize("max_offers", [1, 2, 4])
def test_skip_and_both_kernels_agree_when_scores_tie_exactly(
    baseline: sf.Scenario, max_offers: int
) -> None:
    # U = the posterior mean rounded to halves: many exact ties, which share an
    # offer round; the skip's bound must count them as one round.
    from dataclasses import replace

    from simfunnel.model.decision import Signals, Weights

    scenario = baseline.with_overrides(
        {"offers.max_offers": max_offers, "role.pause_share": 0.5, "internal.probability": 0.5}
    )
    model = Model.build(scenario)
    funnel = simulate_funnel(model, draw_blocks(scenario, normalise_seed(9), BLOCKS, 0, 2))
    signals = funnel.signals
    tied = Signals(
        np.round(signals.posterior_mean * 2) / 2,
        signals.posterior_variance,
        signals.alignment,
        signals.culture,
        signals.narrative,
        signals.niche,
    )
    results = {}
    for name, skip in (("numpy", True), ("numba", True), ("numba-no-skip", False)):
        decision = replace(
            funnel.decision,
            signals=tied,
            weights=Weights(0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
            kernel=name.split("-")[0],
        )
        offer, _ = decision.offers(decision.score(0), 0)
        good = funnel.interviewed & (funnel.interview_score >= 0.5)
        results[name] = attribute(
            decision, offer, good, 0.1, quality=funnel.quality, skip_unreachable=skip
        )
    for name in ATTRIBUTION_FIELDS:
        reference = getattr(results["numpy"], name)
        for other in ("numba", "numba-no-skip"):
            assert getattr(results[other], name).tobytes() == reference.tobytes(), (other, name)
