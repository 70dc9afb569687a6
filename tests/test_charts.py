"""Charts: each one draws from a real small result and says what the data say."""

from __future__ import annotations

import math
import os
import struct
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from scipy.special import ndtr

import simfunnel as sf
from simfunnel import charts

BASELINE = Path(__file__).resolve().parents[1] / "configs" / "baseline.yaml"
OPENINGS = 10_000


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def _title(ax) -> str:
    """The title as one line (the chart wraps it to fit)."""
    return ax.get_title(loc="left").replace("\n", " ")


def _title_artist(ax) -> Text:
    text = ax.get_title(loc="left")
    return next(t for t in ax.get_children() if isinstance(t, Text) and t.get_text() == text)


def _bars(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle) and p.get_width() and p.get_height()]


@pytest.fixture(scope="module")
def scenario() -> sf.Scenario:
    return sf.load_scenario(BASELINE)


@pytest.fixture(scope="module")
def result(scenario) -> sf.Result:
    return sf.simulate(scenario, openings=OPENINGS, seed=11)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_funnel_title_states_the_offer_rate(result):
    ax = charts.funnel(result)
    offer_rate = result.summary().loc["offer_rate_interviewed", "value"]
    assert f"1 in {round(1 / offer_rate)} interviewees" in _title(ax)
    assert len(_bars(ax)) == 5
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Applicants",
        "Shortlisted",
        "Interviewed",
        "Offers",
        "Hires",
    ]
    assert ax.get_xscale() == "log"
    assert "Per opening" in ax.get_xlabel()
    widths = sorted(b.get_width() for b in _bars(ax))
    np.testing.assert_allclose(widths, sorted(result.funnel()["count_per_opening"]))


def test_loss_reasons_shows_both_attributions_with_error_bars(result):
    ax = charts.loss_reasons(result)
    losses = result.loss_reasons()
    sequential = losses[losses["method"] == "sequential"].set_index("reason")["share"]
    mechanisms = sequential.drop(["narrow_margin", "outperformed"])
    top = mechanisms.idxmax()
    assert charts.REASON_LABELS[top] in _title(ax)
    assert _pct(mechanisms[top]) in _title(ax)
    assert _pct(sequential["outperformed"]) in _title(ax)
    assert len(_bars(ax)) == 2 * len(sequential)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        charts.METHOD_LABELS["sequential"],
        charts.METHOD_LABELS["shapley"],
    ]
    assert len(ax.collections) == 2  # one set of error bars per method
    assert "good interviews" in ax.get_xlabel()

    only = charts.loss_reasons(result, methods=("shapley",))
    assert len(_bars(only)) == len(sequential)

    alone = losses[losses["method"] == "removed_alone"].set_index("reason")["share"]
    ax = charts.loss_reasons(result, methods=("removed_alone",))
    assert len(_bars(ax)) == len(alone) == 5  # the mechanisms; residuals have no "removal"
    assert f"by {100 * alone.max():.0f} points" in _title(ax)
    assert charts.REASON_LABELS[alone.idxmax()].lower() in _title(ax)


def test_offer_probability_by_rank(result):
    ax = charts.offer_probability(result)
    candidates = result.candidates
    p_best = candidates.loc[candidates["interview_rank"] == 1, "offer"].mean()
    assert f"only {_pct(p_best)} of the time" in _title(ax)
    by_interview, by_quality = ax.get_lines()
    ranks = candidates["interview_rank"].value_counts()
    expected_ranks = sorted(ranks[ranks >= 50].index)
    np.testing.assert_array_equal(by_interview.get_xdata(), expected_ranks)
    assert by_interview.get_ydata()[0] == pytest.approx(p_best)
    # P(offer) falls with the interview rank, and the best interview beats the truly best.
    assert by_interview.get_ydata()[0] > by_interview.get_ydata()[-1]
    assert by_interview.get_ydata()[0] > by_quality.get_ydata()[0]
    assert ax.get_xlabel().startswith("Rank within")
    assert ax.get_ylabel() == "P(offer)"
    assert len(ax.collections) == 2  # a confidence band per line


def test_offer_probability_by_quality(result):
    ax = charts.offer_probability(result, by="quality")
    table = charts.offer_probability_table(result, by="quality")
    assert len(ax.get_lines()[0].get_xdata()) == len(table) == len(charts.QUALITY_BINS) - 1
    externals = result.candidates[~result.candidates["internal"]]
    top = externals[100 * ndtr(externals["quality"].to_numpy()) > charts.QUALITY_BINS[-2]]
    assert _pct(top["offer"].mean()) in _title(ax)
    assert "percentile" in ax.get_xlabel()
    with pytest.raises(ValueError, match="by must be"):
        charts.offer_probability(result, by="colour")


def test_cluster_rate_is_binomial_for_one_row_per_opening():
    frame = pd.DataFrame(
        {"opening": range(400), "group": [0, 1] * 200, "hit": [True] * 50 + [False] * 350}
    )
    table = charts.cluster_rate(frame, "group", "hit")
    assert table.loc[0, "rate"] == pytest.approx(25 / 200)
    se = math.sqrt(0.125 * 0.875 / 200 * 200 / 199)
    assert table.loc[0, "ci_high"] - table.loc[0, "rate"] == pytest.approx(1.96 * se, rel=1e-3)
    # Two rows per opening that always agree: twice the rows, but no more information.
    twice = pd.concat([frame, frame])
    wide = charts.cluster_rate(twice, "group", "hit")
    assert wide.loc[0, "ci_high"] - wide.loc[0, "rate"] == pytest.approx(1.96 * se, rel=1e-3)


def test_margins_marks_the_microscopic_band(result):
    ax = charts.margins(result)
    rate = result.summary().loc["microscopic_margin_rate", "value"]
    assert f"1 in {round(1 / rate)} hiring decisions" in _title(ax)
    band = result.scenario.analysis.narrow_margin
    histogram = list(ax.containers[0])
    assert all(b.get_width() == pytest.approx(band) for b in histogram)
    margin_sd = result.openings["margin"].dropna() / (result.metadata["narrow_margin_u"] / band)
    assert histogram[0].get_height() == pytest.approx(np.mean(margin_sd < band))
    assert sum(b.get_height() for b in histogram) == pytest.approx(
        np.mean(margin_sd <= np.quantile(margin_sd, 0.99)), abs=0.01
    )
    assert "SDs of the manager's score" in ax.get_xlabel()
    assert any("microscopic" in t.get_text() for t in ax.texts)


def test_seasonality_by_quarter_and_month(result):
    summary = result.summary()
    rates = summary.loc[[f"cancel_rate_q{q}" for q in range(1, 5)], "value"].to_numpy()
    ax = charts.seasonality(result)
    assert len(_bars(ax)) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["Q1", "Q2", "Q3", "Q4"]
    ratio = rates.max() / rates.min()
    if ratio >= 1.15:
        assert f"Q{rates.argmax() + 1} are cancelled {ratio:.1f}x" in _title(ax)
    assert [_pct(r, 1) for r in rates] == [
        t.get_text() for t in ax.texts if t.get_text().endswith("%")
    ][:4]

    month = charts.seasonality(result, by="month")
    assert len(_bars(month)) == 12
    assert month.get_xticklabels()[0].get_text() == "Jan"


def test_felt_vs_actual(result):
    ax = charts.felt_vs_actual(result)
    no_offer = result.summary().loc["felt_great_no_offer_rate", "value"]
    assert _title(ax).startswith(f"{_pct(no_offer)} of candidates who felt great got no offer")
    lines = ax.get_lines()
    assert len(lines) == 3
    assert all(len(line.get_xdata()) == 10 for line in lines)
    good, best, offer = (line.get_ydata() for line in lines)
    # Feeling better goes with doing better, and an offer is rarer than a good interview.
    assert good[-1] > good[0] and best[-1] > best[0] and offer[-1] > offer[0]
    assert offer[-1] < good[-1]
    assert "felt" in ax.get_xlabel()


def _independent_search(
    p_by_percentile: dict[int, float], max_interviews: int = 20
) -> pd.DataFrame:
    rows = []
    for percentile, p in p_by_percentile.items():
        for n in range(1, max_interviews + 1):
            rows.append(
                (percentile, n, 1 - (1 - p) ** n, 1 - (1 - 0.9 * p) ** n, 1 - (1 - 1.1 * p) ** n)
            )
    return pd.DataFrame(rows, columns=list(charts.JOB_SEARCH_COLUMNS))


def test_job_search():
    p = {50: 0.14, 75: 0.17, 90: 0.21, 99: 0.31}
    ax = charts.job_search(_independent_search(p))
    needed = math.ceil(math.log(0.2) / math.log(1 - p[50]))
    assert f"A median candidate needs {needed} interviews" in _title(ax)
    assert len(ax.get_lines()) == 4 + 1  # a line per percentile and the 80% target
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "50th percentile",
        "75th percentile",
        "90th percentile",
        "99th percentile",
    ]
    assert ax.get_xlabel() == "Number of interviews"
    assert ax.get_ylabel() == "P(at least one offer)"

    short = charts.job_search(_independent_search({60: 0.05}, max_interviews=5))
    assert "only a 23% chance of an offer after 5 interviews" in _title(short)
    with pytest.raises(ValueError, match="missing"):
        charts.job_search(pd.DataFrame({"percentile": [50]}))


def test_compare(result, scenario):
    averse = sf.simulate(
        scenario.with_overrides({"manager.risk_aversion": 3.0}), openings=5_000, seed=2
    )
    ax = charts.compare([result, averse], labels=["baseline", "risk averse"])
    metrics = list(charts.COMPARE_METRICS)
    assert len(_bars(ax)) == 2 * len(metrics)
    assert len(ax.get_yticklabels()) == len(metrics)
    values = np.array([[r.summary().loc[m, "value"] for m in metrics] for r in (result, averse)])
    j = int(np.argmax(np.abs(values[0] - values[1])))
    title = _title(ax)
    assert charts.COMPARE_METRICS[metrics[j]] in title
    assert _pct(values[0, j]) in title and _pct(values[1, j]) in title
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["baseline", "risk averse"]


def test_charts_draw_into_a_given_axes_and_do_not_leak_style(result):
    before = dict(plt.rcParams)
    figure, (left, right) = plt.subplots(1, 2)
    assert charts.funnel(result, ax=left) is left
    assert charts.seasonality(result, ax=right, axes_titlesize=11) is right
    assert _title_artist(right).get_fontsize() == 11  # a style override
    assert _title_artist(left).get_fontsize() == 24  # the talk style's
    assert figure.axes == [left, right]
    assert dict(plt.rcParams) == before
    with pytest.raises(TypeError, match="unknown style option"):
        charts.funnel(result, colour_scheme="neon")
    assert charts.funnel(result, title="Custom").get_title(loc="left") == "Custom"


def _png_size(path: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    return width, height


def test_render_all_writes_reproducible_files(result, tmp_path):
    written = charts.render_all(result, tmp_path / "fresh", formats=("png", "svg", "pdf"))
    names = charts.supported_charts(result)
    assert {
        "funnel",
        "loss_reasons",
        "offer_probability",
        "margins",
        "seasonality",
        "felt_vs_actual",
    } <= set(names)
    assert [p.name for p in written] == [f"{n}.{f}" for n in names for f in ("png", "svg", "pdf")]
    for path in written:
        assert path.stat().st_size > 5_000, path
    assert _png_size(written[0]) == (int(13.333 * 200), 1500)  # 16:9 at 200 dpi
    assert written[2].read_bytes().startswith(b"%PDF")
    assert not [p for p in (tmp_path / "fresh").iterdir() if p.suffix == ".tmp"]
    umask = os.umask(0o022)
    os.umask(umask)
    assert written[0].stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's 0600

    # Re-rendering from the saved result gives the same files, byte for byte.
    result.save(tmp_path / "saved")
    reloaded = charts.render_all(
        sf.load_result(tmp_path / "saved"), tmp_path / "saved", formats=("svg",)
    )
    fresh_svg = [p for p in written if p.suffix == ".svg"]
    assert [p.name for p in reloaded] == [p.name for p in fresh_svg]
    for a, b in zip(fresh_svg, reloaded, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name

    with pytest.raises(ValueError, match="unknown chart format"):
        charts.render_all(result, tmp_path, formats=("gif",))


def test_save_chart_for_charts_of_several_results(result, tmp_path):
    written = charts.save_chart(
        charts.compare, [result, result], tmp_path / "out" / "compare", ["svg", "pdf"]
    )
    assert [p.name for p in written] == ["compare.svg", "compare.pdf"]
    assert all(p.stat().st_size > 5_000 for p in written)
