"""Outputs of one run: each table and stated finding, checked against numbers computed
here from ``result.candidates``, ``result.openings`` and ``result.summary()``.

Only the smoke tests and the legend test look at Matplotlib artists.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from scipy.special import ndtr

import simfunnel as sf
from simfunnel.analysis.outputs import (
    FeltVsActual,
    Funnel,
    LossReasons,
    Margins,
    OfferProbability,
    Seasonality,
)
from simfunnel.metrics import LOSS_REASONS, METHODS, STAGES
from simfunnel.present import charts

CONFIGS = Path(__file__).resolve().parents[1] / "simfunnel" / "scenarios"
OPENINGS = 10_000  # = analysis.candidate_openings: every interviewee is in result.candidates


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


@pytest.fixture(scope="module")
def result() -> sf.Result:
    return sf.simulate(sf.load_scenario(CONFIGS / "baseline.yaml"), openings=OPENINGS, seed=11)


@pytest.fixture(scope="module")
def no_internal() -> sf.Result:
    return sf.simulate(sf.load_scenario(CONFIGS / "no_internal.yaml"), openings=3_000, seed=4)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _outputs(result: sf.Result) -> list:
    return [
        Funnel.from_result(result),
        LossReasons.from_result(result),
        LossReasons.from_result(result, ("sequential", "shapley")),
        OfferProbability.from_result(result),
        OfferProbability.from_result(result, "quality"),
        Margins.from_result(result),
        Seasonality.from_result(result),
        Seasonality.from_result(result, "month"),
        FeltVsActual.from_result(result),
    ]


# ------------------------------------------------------------ the stated numbers
def test_funnel_states_the_offer_rate_of_interviewees(result):
    output = Funnel.from_result(result)
    table = output.to_df()
    assert list(table["stage"]) == list(STAGES)
    assert list(table["label"]) == list(STAGES.values())
    counts = table["count_per_opening"].to_numpy()
    np.testing.assert_allclose(table["rate"].iloc[1:], counts[1:] / counts[:-1])
    # Independently: offers among the interviewees themselves.
    offer_rate = result.candidates["offer"].mean()
    assert output.finding == f"Only 1 in {round(1 / offer_rate)} interviewees gets an offer"
    offers = table.set_index("stage").loc["offers", "rate"]
    assert offers == pytest.approx(offer_rate, rel=1e-9)
    assert counts[0] == pytest.approx(result.openings["applicants"].mean())
    assert "95% CIs" not in output.note  # the chart shows no intervals


def test_loss_reasons_default_to_the_sequential_method(result):
    output = LossReasons.from_result(result)
    table = output.to_df()
    assert set(table["method"]) == {"sequential"}
    assert list(table["reason"]) == list(LOSS_REASONS)
    # Independently: the reason recorded for each good interviewee without an offer.
    candidates = result.candidates
    losers = candidates[candidates["good_interview"] & ~candidates["offer"]]
    shares = losers["loss_reason"].value_counts(normalize=True)
    np.testing.assert_allclose(table.set_index("reason")["share"], shares[table["reason"]])
    mechanisms = shares.drop(
        ["narrow_margin", "truly_better", "interview_noise"], errors="ignore"
    ).sort_values(ascending=False)
    top, second = mechanisms.index[:2]
    if "each sink about" in output.finding:
        both = f"{LOSS_REASONS[top].label} and {LOSS_REASONS[second].label.lower()}"
        assert output.finding.startswith(both)
        assert _pct(mechanisms.iloc[:2].mean()) in output.finding
    else:
        assert output.finding.startswith(f"{LOSS_REASONS[top].label} sinks")
        assert _pct(mechanisms.iloc[0]) in output.finding
    assert "first removal that gives them an offer" in output.note


def test_loss_reasons_other_methods_on_request(result):
    table = LossReasons.from_result(result, ("sequential", "shapley")).to_df()
    assert list(dict.fromkeys(table["method_label"])) == [METHODS["sequential"], METHODS["shapley"]]
    alone = LossReasons.from_result(result, "removed_alone")
    shares = alone.to_df().set_index("reason")["share"]
    assert not shares.index.isin(["narrow_margin", "truly_better", "interview_noise"]).any()
    assert _pct(shares.max()) in alone.finding
    assert LOSS_REASONS[shares.idxmax()].label.lower() in alone.finding
    with pytest.raises(ValueError, match="methods must be"):
        LossReasons.from_result(result, ("bayesian",))


def test_loss_reasons_have_no_empty_rows(no_internal):
    output = LossReasons.from_result(no_internal)
    reasons = set(output.to_df()["reason"])
    assert "internal_candidate" not in reasons
    assert {"culture_mirror", "interview_noise", "truly_better"} <= reasons
    assert "no internal scenario" in output.note


def test_offer_probability_states_the_best_interview_and_the_top_percent(result):
    candidates = result.candidates
    by_rank = OfferProbability.from_result(result)
    p_best = candidates.loc[candidates["interview_rank"] == 1, "offer"].mean()
    assert (
        by_rank.finding == f"Even the best interview gets an offer only {_pct(p_best)} of the time"
    )
    p_truly = candidates.loc[candidates["quality_rank"] == 1, "offer"].mean()
    assert f"truly best candidate in the slate gets one {_pct(p_truly)}" in by_rank.note
    table = by_rank.to_df()
    ranks = candidates["interview_rank"].value_counts()
    expected = sorted(ranks[ranks >= 50].index)
    assert list(table.loc[table["ranked_by"] == "interview score", "rank"]) == expected

    by_quality = OfferProbability.from_result(result, "quality")
    externals = candidates[~candidates["internal"]]
    top = externals[100 * ndtr(externals["quality"].to_numpy()) > 99]
    assert by_quality.finding == (
        f"Even a top-1% candidate gets an offer from only {_pct(top['offer'].mean())} of interviews"
    )
    assert len(by_quality.to_df()) == len(charts.QUALITY_BINS) - 1
    with pytest.raises(ValueError, match="by must be"):
        OfferProbability.from_result(result, "colour")


def test_margins_state_the_share_won_by_a_microscopic_lead(result):
    output = Margins.from_result(result)
    band_u = result.metadata["narrow_margin_u"]
    margin = result.openings["margin"].dropna()
    rate = np.mean(margin < band_u)
    assert (
        output.finding == f"1 in {round(1 / rate)} hiring decisions is won by a microscopic margin"
    )
    assert f"{_pct(rate, 1)} (95% CI" in output.note
    table = output.to_df()
    assert table["microscopic"].tolist() == [True] + [False] * (len(table) - 1)
    assert table["share"].iloc[0] == pytest.approx(rate)
    band = result.scenario.analysis.narrow_margin
    np.testing.assert_allclose(table["high"] - table["low"], band)
    assert "SD" not in output.note


def test_seasonality_states_the_ratio_of_the_extreme_quarters(result):
    output = Seasonality.from_result(result)
    rates = result.openings.groupby("quarter")["cancelled"].mean()
    table = output.to_df()
    assert list(table["period"]) == ["Q1", "Q2", "Q3", "Q4"]
    np.testing.assert_allclose(table["rate"], rates.to_numpy())
    ratio = rates.max() / rates.min()
    assert output.finding == (
        f"Roles posted in Q{rates.idxmax()} are cancelled {ratio:.1f}x as often as in "
        f"Q{rates.idxmin()}"
    )
    month = Seasonality.from_result(result, "month").to_df()
    assert list(month["period"])[:2] == ["Jan", "Feb"] and len(month) == 12


def test_seasonality_says_no_meaningful_difference_inside_the_cis():
    flat = sf.load_scenario(CONFIGS / "baseline.yaml").with_overrides(
        {"role.quarter_multipliers": [1.0, 1.0, 1.0, 1.0]}
    )
    output = Seasonality.from_result(sf.simulate(flat, openings=2_000, seed=5))
    table = output.to_df()
    high, low = table["rate"].idxmax(), table["rate"].idxmin()
    assert table.loc[high, "ci_low"] <= table.loc[low, "ci_high"]  # this seed's draws
    assert table.loc[high, "rate"] / table.loc[low, "rate"] >= 1.15  # a ratio it must not state
    assert output.finding.startswith("No meaningful difference by posting quarter")


def test_felt_vs_actual_states_the_share_without_an_offer(result):
    output = FeltVsActual.from_result(result)
    candidates = result.candidates
    felt = candidates[candidates["felt_great"]]
    no_offer = 1 - felt["offer"].mean()
    assert output.finding == f"{_pct(no_offer)} of candidates who felt great got no offer"
    table = output.to_df()
    assert list(dict.fromkeys(table["series"])) == ["good_interview", "best_interview", "offer"]
    assert (table.groupby("series").size() == 10).all()
    offer = table[table["series"] == "offer"]["rate"].to_numpy()
    good = table[table["series"] == "good_interview"]["rate"].to_numpy()
    assert offer[-1] > offer[0] and offer[-1] < good[-1]


def test_no_jargon_or_raw_names_on_a_slide(result, no_internal):
    for output in _outputs(result) + _outputs(no_internal):
        words = [output.finding, output.note, *output.to_df().get("label", [])]
        for text in words:
            assert "_" not in text and "P(" not in text and " SDs" not in text, text


def test_outputs_do_not_import_matplotlib():
    code = "import sys, simfunnel.analysis.outputs.run; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ------------------------------------------------------------------- the charts
def _lines(text: str) -> list[str]:
    return text.split("\n") if text else []


@pytest.mark.parametrize("index", range(9))
def test_each_output_draws_a_slide(result, index):
    output = _outputs(result)[index]
    ax = output.plot()
    assert isinstance(ax, Axes)
    title = _lines(ax.get_title(loc="left"))
    subtitle = _lines(ax.texts[-1].get_text())
    assert " ".join(title) == output.finding
    assert 1 <= len(title) <= 2 and 1 <= len(subtitle) <= 2
    if len(title) == 2:
        assert " " in title[1]  # no orphan word
    custom = output.plot(title="Our own words", subtitle="Their source")
    assert custom.get_title(loc="left") == "Our own words"
    assert custom.texts[-1].get_text() == "Their source"


def test_labels_replace_the_registry_words_on_request(result):
    ax = charts.funnel(result, labels={"offers": "Offered"})
    assert "Offered" in [t.get_text() for t in ax.get_yticklabels()]
    ax = charts.loss_reasons(result, labels={"truly_better": "Someone did better"})
    assert "Someone did better" in [t.get_text() for t in ax.get_yticklabels()]


def _overlaps(box, other) -> bool:
    return box.x0 < other.x1 and other.x0 < box.x1 and box.y0 < other.y1 and other.y0 < box.y1


@pytest.mark.parametrize(
    "draw",
    [
        lambda r: charts.loss_reasons(r, methods=("sequential", "shapley")),
        lambda r: charts.loss_reasons(r, methods=("sequential", "shapley", "removed_alone")),
        charts.offer_probability,
        charts.felt_vs_actual,
        charts.seasonality,
        charts.loss_reasons,
    ],
)
def test_no_legend_covers_a_bar_a_label_or_a_point(result, no_internal, draw):
    for run in (result, no_internal):
        ax = draw(run)
        figure = ax.get_figure()
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()
        legend = ax.get_legend()
        if legend is None:
            continue
        box = legend.get_window_extent(renderer)
        bars = [
            p
            for p in ax.patches
            if isinstance(p, Rectangle) and p.get_width() and (p.get_alpha() or 1) > 0.5
        ]
        for bar in bars:
            assert not _overlaps(box, bar.get_window_extent(renderer)), bar
        for text in ax.texts:
            assert not _overlaps(box, text.get_window_extent(renderer)), text.get_text()
        for line in ax.get_lines():
            if isinstance(line, Line2D) and line.get_marker() not in (None, "None", ""):
                points = ax.transData.transform(line.get_xydata())
                assert not any(box.contains(x, y) for x, y in points), line.get_label()


def test_margins_with_every_margin_equal_and_no_band(baseline) -> None:
    """analysis.narrow_margin = 0 and a single decided opening: one bin, no crash."""
    scenario = baseline.with_overrides({"analysis.narrow_margin": 0.0})
    for seed in range(1, 50):  # the first seed whose one opening is decided with a runner-up
        result = sf.simulate(scenario, 1, seed=seed, workers=1, attribution=False)
        if result.openings["margin"].notna().any():
            break
    table = Margins.from_result(result).to_df()
    assert len(table) >= 1 and table["share"].sum() == pytest.approx(1.0)
