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
from simfunnel.analysis.outputs import (
    Differences,
    FeltVsActual,
    Funnel,
    LossReasons,
    Margins,
    OfferProbability,
    Seasonality,
)
from simfunnel.metrics import LOSS_REASONS, METHODS, key_label, label
from simfunnel.present import charts

BASELINE = Path(__file__).resolve().parents[1] / "simfunnel" / "scenarios" / "baseline.yaml"
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
    output = Funnel.from_result(result)
    offer_rate = result.summary().loc["offer_rate_interviewed", "value"]
    assert f"1 in {round(1 / offer_rate)} interviewees" in output.finding
    table = output.to_df()
    assert list(table["label"]) == ["Applicants", "Shortlisted", "Interviewed", "Offers", "Hires"]
    np.testing.assert_allclose(table["count_per_opening"], result.funnel()["count_per_opening"])
    # Counts per opening on one linear scale (a log scale shows 4.5% as half): every
    # bar after the applicants' is as long as its count; the applicants' is cut short.
    ax = charts.funnel(result)
    assert _title(ax) == output.finding
    assert ax.get_xscale() == "linear"
    counts = table["count_per_opening"].to_numpy()
    widths = [bar.get_width() for bar in _bars(ax)]
    np.testing.assert_allclose(widths[1:], counts[1:])
    assert widths[0] < counts[0] and ax.get_xlim()[1] == pytest.approx(widths[0])
    texts = [t.get_text() for t in ax.texts]
    assert f"{counts[0]:.0f} per opening" in texts and f"{counts[1]:.2g}" in texts


def test_loss_reasons_shows_one_method_unless_asked(result):
    losses = result.loss_reasons()
    sequential = losses[losses["method"] == "sequential"].set_index("reason")["share"]
    output = LossReasons.from_result(result)
    assert set(output.to_df()["method"]) == {"sequential"}
    if "interview's noise" in output.finding:
        assert _pct(sequential["interview_noise"]) in output.finding
    both = LossReasons.from_result(result, ("sequential", "shapley")).to_df()
    assert list(dict.fromkeys(both["method_label"])) == [METHODS["sequential"], METHODS["shapley"]]
    assert len(both) == 2 * len(sequential)

    ax = charts.loss_reasons(result)
    assert _title(ax) == output.finding
    # The key says what blue and grey mean; reasons run largest first, and those under
    # 1% are one "other" row whose share is their sum.
    assert len(ax.get_legend().get_texts()) == 2
    assert "good interviews" in ax.get_xlabel()
    shown = [t.get_text() for t in ax.get_yticklabels()]
    widths = [bar.get_width() for bar in _bars(ax)]
    small = sequential[sequential < 0.01]
    big = sequential[sequential >= 0.01].sort_values(ascending=False)
    if len(small) >= 2:
        assert shown[-1].startswith("Other") and widths[-1] == pytest.approx(small.sum())
        assert shown[:-1] == [LOSS_REASONS[r].label for r in big.index]
    assert widths[: len(big)] == pytest.approx(list(big))
    ax = charts.loss_reasons(result, methods=("sequential", "shapley"))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        METHODS["sequential"],
        METHODS["shapley"],
    ]

    alone = losses[losses["method"] == "removed_alone"].set_index("reason")["share"]
    finding = LossReasons.from_result(result, ("removed_alone",)).finding
    assert f"{100 * alone.max():.0f}% of the good interviews that lose" in finding
    assert LOSS_REASONS[alone.idxmax()].label.lower() in finding


def test_offer_probability_by_rank(result):
    candidates = result.candidates
    p_best = candidates.loc[candidates["interview_rank"] == 1, "offer"].mean()
    output = OfferProbability.from_result(result)
    assert f"only {_pct(p_best)} of the time" in output.finding
    table = output.to_df()
    by_interview = table[table["ranked_by"] == "interview score"]["rate"].to_numpy()
    by_quality = table[table["ranked_by"] == "true quality"]["rate"].to_numpy()
    assert by_interview[0] == pytest.approx(p_best)
    # The chance falls with the interview rank, and the best interview beats the truly best.
    assert by_interview[0] > by_interview[-1] and by_interview[0] > by_quality[0]
    ax = charts.offer_probability(result)
    assert _title(ax) == output.finding
    assert ax.get_ylabel() == "Chance of an offer"


def test_offer_probability_by_quality(result):
    output = OfferProbability.from_result(result, "quality")
    table = charts.offer_probability_table(result, by="quality")
    assert len(output.to_df()) == len(table) == len(charts.QUALITY_BINS) - 1
    externals = result.candidates[~result.candidates["internal"]]
    top = externals[100 * ndtr(externals["quality"].to_numpy()) > charts.QUALITY_BINS[-2]]
    assert _pct(top["offer"].mean()) in output.finding
    assert _title(charts.offer_probability(result, by="quality")) == output.finding
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
    output = Margins.from_result(result)
    rate = result.summary().loc["microscopic_margin_rate", "value"]
    assert f"1 in {round(1 / rate)} hiring decisions" in output.finding
    band = result.scenario.analysis.narrow_margin
    table = output.to_df()
    np.testing.assert_allclose(table["high"] - table["low"], band)
    margin_sd = result.openings["margin"].dropna() / (result.metadata["narrow_margin_u"] / band)
    assert table["share"].iloc[0] == pytest.approx(np.mean(margin_sd < band))
    assert table["share"].sum() == pytest.approx(
        np.mean(margin_sd <= np.quantile(margin_sd, 0.99)), abs=0.01
    )
    ax = charts.margins(result)
    assert _title(ax) == output.finding and "SD" not in ax.get_xlabel()


def test_seasonality_by_quarter_and_month(result):
    summary = result.summary()
    rates = summary.loc[[f"cancel_rate_q{q}" for q in range(1, 5)], "value"].to_numpy()
    output = Seasonality.from_result(result)
    table = output.to_df()
    assert list(table["period"]) == ["Q1", "Q2", "Q3", "Q4"]
    np.testing.assert_allclose(table["rate"], rates)
    ratio = rates.max() / rates.min()
    separated = table["ci_low"].iloc[rates.argmax()] > table["ci_high"].iloc[rates.argmin()]
    if separated and ratio >= 1.15:
        assert f"Q{rates.argmax() + 1} are cancelled {ratio:.1f}x" in output.finding
    assert _title(charts.seasonality(result)) == output.finding

    month = Seasonality.from_result(result, by="month").to_df()
    assert len(month) == 12 and month["period"].iloc[0] == "Jan"
    assert charts.seasonality(result, by="month").get_xticklabels()[0].get_text() == "Jan"


def test_felt_vs_actual(result):
    output = FeltVsActual.from_result(result)
    no_offer = result.summary().loc["felt_great_no_offer_rate", "value"]
    assert output.finding == f"{_pct(no_offer)} of candidates who felt great got no offer"
    table = output.to_df()
    assert (table.groupby("series").size() == 10).all()
    good, best, offer = (table[table["series"] == s]["rate"].to_numpy() for s in
                         ("good_interview", "best_interview", "offer"))  # fmt: skip
    # Feeling better goes with doing better, and an offer is rarer than a good interview.
    assert good[-1] > good[0] and best[-1] > best[0] and offer[-1] > offer[0]
    assert offer[-1] < good[-1]
    assert _title(charts.felt_vs_actual(result)) == output.finding


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
    assert ax.get_ylabel() == "Chance of at least one offer"

    short = charts.job_search(_independent_search({60: 0.05}, max_interviews=5))
    assert "only a 23% chance of an offer after 5 interviews" in _title(short)
    with pytest.raises(ValueError, match="missing"):
        charts.job_search(pd.DataFrame({"percentile": [50]}))


def test_compare(result, scenario):
    averse = sf.simulate(
        scenario.with_overrides({"manager.risk_aversion": 3.0}), openings=5_000, seed=2
    )
    # The chart draws the differences from the baseline (not the absolute rates).
    ax = charts.compare([result, averse], labels=["baseline", "risk averse"])
    from simfunnel.metrics import BETTER, METRICS
    from simfunnel.present.charts.compare import GREEN, GREY, SPEAKER_METRICS, VERMILLION

    metrics = list(SPEAKER_METRICS)
    assert len(_bars(ax)) == 0 and len(ax.get_yticklabels()) == len(metrics)
    assert ax.get_xlabel() == "baseline (grey dot) → risk averse"
    values = np.array([[r.summary().loc[m, "value"] for m in metrics] for r in (result, averse)])
    # Before -> after, in the metric's own units, coloured by whether the change is better.
    table = Differences.from_results(
        [result, averse], labels=["baseline", "risk averse"], metrics=metrics
    ).to_df()
    texts = {t.get_text().split("  ")[0]: t for t in ax.texts}
    for row in table.itertuples():
        entry = METRICS[row.metric]
        digits = max(1 if abs(v) < 0.1 else 0 for v in (row.baseline_value, row.value))
        changed = not row.ci_low <= 0 <= row.ci_high
        if changed and entry.format(row.baseline_value, digits) == entry.format(row.value, digits):
            digits += 1  # a confirmed change never reads "91% → 91%"
        shown = f"{entry.format(row.baseline_value, digits)} → "
        shown += f"{entry.format(row.value, digits)}"
        text = texts[shown]
        if row.ci_low <= 0 <= row.ci_high:
            assert text.get_color() == GREY
        elif BETTER[row.metric]:
            better = (row.difference > 0) == (BETTER[row.metric] > 0)
            assert text.get_color() == (GREEN if better else VERMILLION)
            assert text.get_text().endswith("better" if better else "worse")
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert ticks[metrics.index("bad_hire_rate")].endswith("(lower is better)")
    j = int(np.argmax(np.abs(values[0] - values[1])))
    title = _title(ax)
    assert title.startswith("Risk averse: " + label(metrics[j]).lower())
    both = f"{100 * values[1, j]:.1f}% vs {100 * values[0, j]:.1f}%"
    # Both values while the title stays within two lines (at most 80 characters).
    assert both in title or len(title.replace("\n", " ")) + len(both) + 3 > 80
    assert len(title.split("\n")) <= 2


def test_charts_draw_into_a_given_axes_and_do_not_leak_style(result):
    before = dict(plt.rcParams)
    figure, (left, right) = plt.subplots(1, 2)
    assert charts.funnel(result, ax=left) is left
    assert charts.seasonality(result, ax=right, axes_titlesize=11) is right
    # A style override reaches this chart only.
    assert _title_artist(right).get_fontsize() < _title_artist(left).get_fontsize()
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


# ------------------------------------------------------ sweeps, sensitivity, you
RISK_GRID = [0.0, 1.0, 3.0]


@pytest.fixture(scope="module")
def risk_sweep(scenario) -> pd.DataFrame:
    metrics = [*charts.RISK_TRADEOFF_METRICS, "offer_rate_interviewed", "hire_rate"]
    return sf.sweep(
        scenario, {"manager.risk_aversion": RISK_GRID}, 4_000, seed=5, metrics=metrics, workers=1
    )


def _series(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    return table[table["metric"] == metric].sort_values(table.columns[0])


def test_sweep_lines_one_and_several_metrics(risk_sweep, scenario):
    ax = charts.sweep_lines(risk_sweep, metric="internal_win_rate")
    rows = _series(risk_sweep, "internal_win_rate")
    first, last = rows["value"].iloc[0], rows["value"].iloc[-1]
    assert last > first  # a risk-averse manager favours the known internal
    assert f"{_pct(first)} → {_pct(last)}" in _title(ax)
    assert "from 0 to 3" in _title(ax)
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), RISK_GRID)
    np.testing.assert_allclose(line.get_ydata(), rows["value"])
    assert len(ax.collections) == 1  # the CI band
    assert ax.get_xlabel() == key_label("manager.risk_aversion")
    assert ax.get_ylabel() == label("internal_win_rate")

    # By default: the headline rates, one line each, titled by the one that moves most.
    ax = charts.sweep_lines(risk_sweep)
    rates = [
        m for m in charts.SWEEP_METRICS if m in set(risk_sweep["metric"]) and m != "mean_hire_value"
    ]
    assert len(ax.get_lines()) == len(rates) == 5
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [label(m) for m in rates]
    assert _title(ax).startswith(label("internal_win_rate"))

    # A value in SDs of quality: the unit on the axis and in the stated change.
    validity_sweep = sf.sweep(
        scenario, {"interview.validity": [0.05, 0.6]}, 4_000, seed=5,
        metrics=["mean_hire_value"], workers=1,
    )  # fmt: skip
    value = charts.sweep_lines(validity_sweep, metric="mean_hire_value")
    assert "SD" in value.get_ylabel() and " SD → " in _title(value)
    with pytest.raises(ValueError, match="share a unit"):
        charts.sweep_lines(risk_sweep, metric=["bad_hire_rate", "mean_hire_value"])
    with pytest.raises(ValueError, match="no metric"):
        charts.sweep_lines(risk_sweep, metric="cancel_rate")


@pytest.fixture(scope="module")
def grid_sweep(scenario) -> pd.DataFrame:
    vary = {"interview.validity": [0.1, 0.3, 0.5], "manager.risk_aversion": [0.0, 2.0]}
    return sf.sweep(scenario, vary, 2_000, seed=5, metrics=["mean_hire_value"], workers=1)


def test_sweep_heatmap_labels_every_cell(grid_sweep):
    ax = charts.sweep_heatmap(grid_sweep, metric="mean_hire_value")
    (image,) = ax.get_images()
    assert image.get_array().shape == (3, 2)  # rows: interview validity; columns: risk
    from simfunnel.metrics import key_end

    cells = [t.get_text() for t in ax.texts[:-1]]  # the last text is the subtitle
    # A mean hire value as the percentile of applicants it equals, never in SD.
    percentile = [f"{round(100 * float(ndtr(v)))}" for v in grid_sweep["value"]]
    assert len(cells) == 6 and all(c.endswith(" pct") and "SD" not in c for c in cells)
    assert {c.split()[0][:-2] for c in cells} == set(percentile)  # "88th pct" -> "88"
    # Higher is better: the title names the best cell in words, the darkest blue.
    best = grid_sweep.loc[grid_sweep["value"].idxmax()]
    at_top = best["interview.validity"] == grid_sweep["interview.validity"].max()
    assert key_end("interview.validity", at_top) in _title(ax)
    assert f"{round(100 * float(ndtr(best['value'])))}" in _title(ax)
    assert image.get_cmap().name == "Blues"
    assert ax.get_ylabel().replace("\n", " ") == key_label("interview.validity")  # wrapped to fit
    assert ax.get_xlabel() == key_label("manager.risk_aversion")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.1", "0.3", "0.5"]
    with pytest.raises(ValueError, match="1-D sweep"):
        charts.sweep_lines(grid_sweep)


def test_risk_tradeoff_states_what_risk_aversion_buys(risk_sweep):
    ax = charts.risk_tradeoff(risk_sweep)
    bad = _series(risk_sweep, "bad_hire_rate")
    digits = charts.style._rate_digits(bad["value"].to_numpy()[[0, -1]])
    title = _title(ax)
    assert (
        f"from {_pct(bad['value'].iloc[0], digits)} to {_pct(bad['value'].iloc[-1], digits)}"
        in title
    )
    assert title.startswith("Playing safe") and len(title) < 90
    # Small multiples: a header and one panel per metric, each on its own scale; no twin axis.
    header, *panels = ax.get_figure().axes
    assert header is ax and len(panels) == len(charts.RISK_TRADEOFF_METRICS)
    # Each panel titled by its metric; a mean hire value is read as a percentile of applicants.
    assert [p.get_title(loc="left") for p in panels] == [
        "Average hire (applicant percentile)" if m == "mean_hire_value" else label(m)
        for m in charts.RISK_TRADEOFF_METRICS
    ]
    assert all(len(p.get_lines()) == 1 and len(p.collections) == 1 for p in panels)
    assert panels[-1].get_xlabel() == key_label("manager.risk_aversion")
    with pytest.raises(ValueError, match="needs the metrics"):
        charts.risk_tradeoff(risk_sweep[risk_sweep["metric"] != "bad_hire_rate"])


def test_render_sweep_writes_lines_and_the_tradeoff(risk_sweep, grid_sweep, tmp_path):
    tradeoff = risk_sweep[risk_sweep["metric"].isin(charts.RISK_TRADEOFF_METRICS)]
    written = charts.render_sweep(tradeoff, tmp_path / "one")
    metrics = list(dict.fromkeys(tradeoff["metric"]))
    assert [p.name for p in written] == [f"sweep_{m}.png" for m in metrics] + ["risk_tradeoff.png"]
    assert all(p.stat().st_size > 20_000 for p in written)
    assert _png_size(written[-1]) == (int(13.333 * 200), 1500)

    written = charts.render_sweep(grid_sweep, tmp_path / "two", formats=("svg",))
    assert [p.name for p in written] == ["sweep_mean_hire_value.svg"]
    assert written[0].stat().st_size > 20_000


def test_render_sweep_keeps_the_headline_metrics_of_a_full_table():
    metrics = list(sf.metrics.METRICS)
    table = pd.DataFrame(
        [(x, m, 0.5 + x / 10, 0.45 + x / 10, 0.55 + x / 10) for x in (0, 1) for m in metrics],
        columns=["manager.risk_aversion", "metric", "value", "ci_low", "ci_high"],
    )
    assert charts.render._sweep_metrics(table) == list(charts.SWEEP_METRICS)
    assert charts.render._sweep_metrics(table[table["metric"] == "cancel_rate"]) == ["cancel_rate"]


@pytest.fixture(scope="module")
def sensitivity(scenario) -> pd.DataFrame:
    ranges = {
        "interview.validity": (0.1, 0.4),
        "internal.probability": (0.2, 0.6),
        "manager.risk_aversion": (0.25, 0.75),
    }
    return sf.sensitivity(scenario, ranges=ranges, openings=3_000, seed=5, workers=1)


def test_tornado(sensitivity):
    from simfunnel.metrics import key_end

    ax = charts.tornado(sensitivity)
    lead = sensitivity.iloc[0]
    base = sensitivity.attrs["base"]
    title = _title(ax)
    swing = f"a {100 * lead['swing']:.1f}-point swing"
    assert title == f"{key_label(lead['parameter'])} matters most: {swing}"
    low, high, whiskers = ax.containers
    assert len(low) == len(high) == 3
    # Bars run from the base value to the metric at each end of the range.
    assert low[0].get_x() == pytest.approx(base)
    assert low[0].get_x() + low[0].get_width() == pytest.approx(lead["value_low"])
    assert high[0].get_x() + high[0].get_width() == pytest.approx(lead["value_high"])
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].replace("\n", " ") == key_label(lead["parameter"])
    # The low and high settings are written at the ends of the top bars.
    ends = {t.get_text() for t in ax.texts}
    low_end, high_end = (key_end(lead["parameter"], high) for high in (False, True))
    assert {f"{low_end} ({lead['low']:g})", f"{high_end} ({lead['high']:g})"} <= ends
    assert ax.get_xlabel() == label("good_interview_offer_rate")
    assert any(t.get_text().startswith("base ") for t in ax.texts)
    # Each bar's whisker is its swing's paired CI, at the end farther from the base,
    # anchored on the nearer end.
    segments = whiskers.lines[2][0].get_segments()
    assert len(segments) == 3
    (left, _), (right, _) = segments[0]
    near, far = (
        ("value_low", "value_high")
        if abs(lead["value_high"] - base) >= abs(lead["value_low"] - base)
        else ("value_high", "value_low")
    )
    sign = 1 if far == "value_high" else -1
    ends = sorted(lead[near] + sign * lead[f"change_ci_{end}"] for end in ("low", "high"))
    assert (left, right) == pytest.approx(ends)
    assert left <= lead[far] <= right
    from simfunnel.analysis.outputs.sensitivity import Sensitivity

    assert "whiskers: 95% CI of the swing" in Sensitivity.from_table(sensitivity).note
    assert len(charts.tornado(sensitivity, top=2).containers[0]) == 2
    with pytest.raises(ValueError, match="attrs"):
        charts.tornado(pd.DataFrame(sensitivity))


def test_sobol_indices():
    table = pd.DataFrame(
        {
            "parameter": ["interview.validity", "internal.probability", "screening.validity"],
            "S1": [0.62, 0.2, -0.01],
            "S1_conf": [0.1, 0.05, 0.02],
            "ST": [0.7, 0.25, 0.01],
            "ST_conf": [0.12, 0.06, 0.01],
        }
    )
    table.attrs.update(metric="good_interview_offer_rate", runs=320)
    ax = charts.sobol_indices(table)
    assert _title(ax).startswith(
        f"{key_label('interview.validity')} accounts for 70% of the variance in the offer "
        "rate of good interviews, 62% on its own"
    )
    assert len(_bars(ax)) == 6
    assert len(ax.containers) == 4  # S1 and ST bars, each with error bars
    assert [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()] == [
        key_label(p) for p in table["parameter"]
    ]
    assert "variance" in ax.get_xlabel()
    assert "320 runs" in ax.texts[-1].get_text()


@pytest.fixture(scope="module")
def searches(scenario) -> list:
    return [sf.you(scenario, p, openings=1_500, interviews=12, seed=3) for p in (50, 90)]


def test_job_search_from_you_results(searches, tmp_path):
    median = searches[0].job_search
    ax = charts.job_search(searches)
    reached = median[median["p_any_offer"] >= 0.8]
    if len(reached):
        assert f"needs {reached['interviews'].iloc[0]} interviews" in _title(ax)
    else:
        assert f"after {median['interviews'].iloc[-1]} interviews" in _title(ax)
    solid = [line for line in ax.get_lines() if line.get_linestyle() == "-"]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(solid) == len(dashed) == 2  # a solid and a staying-visible line per percentile
    np.testing.assert_allclose(dashed[0].get_ydata(), median["p_any_offer_visible"])
    assert "1,500 openings" in ax.texts[-1].get_text().replace("\n", " ")
    assert ax.texts[-1].get_text().startswith("Candidate: ")

    one = charts.job_search(searches[0], visible=False)
    assert len(one.get_lines()) == 1 + 1  # the line and the 80% target
    assert "dashed" not in one.texts[-1].get_text()
    frame = pd.concat([s.job_search for s in searches])
    assert _title(charts.job_search(frame)) == _title(ax)
    with pytest.raises(TypeError):
        charts.job_search([1, 2])

    written = charts.save_chart(charts.job_search, searches, tmp_path / "job_search", ["png"])
    assert written[0].stat().st_size > 20_000


# The "removed alone" chart states the share of good losers whose loss a mechanism
# alone decides. Checked against an independent truth: the same openings re-run with
# that mechanism switched off in the scenario (not by the attribution code).
REMOVED = {
    "niche_fit": {"manager.niche_value": 0.0, "manager.narrative_weight": 0.0},
    "culture_mirror": {"manager.affinity_weight": 0.0},
    "safer_candidate": {"manager.risk_aversion": 0.0},
}


@pytest.mark.parametrize("reason", sorted(REMOVED))
def test_removed_alone_states_the_share_a_counterfactual_run_gives(reason: str) -> None:
    scenario = sf.load_scenario(BASELINE)
    openings = 4_000  # all within analysis.candidate_openings: every interviewee is kept
    actual = sf.simulate(scenario, openings, seed=8, workers=1)
    without = sf.simulate(scenario.with_overrides(REMOVED[reason]), openings, seed=8, workers=1)
    key = ["opening", "slot"]
    rows = actual.candidates.merge(
        without.candidates[[*key, "offer"]], on=key, suffixes=("", "_cf")
    )
    assert len(rows) == len(actual.candidates) == len(without.candidates)
    good_losers = rows[rows.good_interview & ~rows.offer]
    flipped = good_losers.offer_cf.mean()
    table = actual.loss_reasons("removed_alone").set_index("reason")
    assert table.loc[reason, "share"] == pytest.approx(flipped, abs=1e-12)
    # ... and that share is not the rise in the good-interview offer rate.
    good = rows[rows.good_interview]
    rise = good.offer_cf.mean() - good.offer.mean()
    assert abs(rise - flipped) > 0.01

    ax = charts.loss_reasons(actual, methods=("removed_alone",))
    title = _title(ax)
    top = table.drop(["narrow_margin", "truly_better", "interview_noise"], errors="ignore")[
        "share"
    ].idxmax()
    assert _pct(table.loc[top, "share"]) in title
    assert "offer rate" not in title and "points" not in title
    assert "would get one" in ax.get_xlabel()
    plt.close(ax.figure)


# ------------------------------------------------ every chart, at slide and deck size
# What a speaker would see first: text on text, text off the figure, a tick labelled
# with a number other than its own. Each chart is drawn as `simfunnel run/compare/...`
# draws it (16:9 slide) and as the deck embeds it (smaller, without its title).
def _deck_size() -> tuple[float, float]:
    from simfunnel.present.deck.layout import CHART_SCALE, picture_size

    width, height = picture_size()
    return CHART_SCALE * width, CHART_SCALE * height


def _texts(figure) -> list[Text]:
    """Every piece of text the figure draws: only tick labels of ticks in view."""
    texts = []
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis) if ax.axison else ():
            for tick in axis._update_ticks():  # the ticks drawn (private, but exact)
                texts += [t for t in (tick.label1, tick.label2) if t.get_visible()]
            texts.append(axis.label)
        texts += [ax.title, ax._left_title, ax._right_title, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += [legend.get_title(), *legend.get_texts()]
    texts += figure.texts
    return [t for t in texts if t.get_visible() and t.get_text().strip()]


def _reference_boxes(ax, renderer, caps_only: bool = False) -> list:
    """Where text must not go: each error bar cap, and lines across the axes (a zero line,
    a median) that value labels sit beside (not with ``caps_only``)."""
    from matplotlib.transforms import Bbox

    boxes = []
    scale = ax.figure.dpi / 72
    for line in ax.get_lines():
        x, y = (np.asarray(v, dtype=float) for v in line.get_data())
        if line.get_marker() in ("|", "_"):  # one Line2D holds every cap: a box per cap
            half = line.get_markersize() * scale / 2
            for px, py in line.get_transform().transform(np.column_stack([x, y])):
                boxes.append(Bbox([[px - half, py - half], [px + half, py + half]]))
        elif not caps_only and len(x) == 2 and (x[0] == x[1] or y[0] == y[1]):
            boxes.append(line.get_window_extent(renderer).padded(line.get_linewidth() * scale / 2))
    return boxes


def _overlap(a, b, slack: float = 1.0) -> bool:
    return min(a.x1, b.x1) - max(a.x0, b.x0) > slack and min(a.y1, b.y1) - max(a.y0, b.y0) > slack


def _layout_problems(figure) -> list[str]:
    figure.draw_without_rendering()
    renderer = figure._get_renderer()
    page = figure.bbox
    texts = _texts(figure)
    boxes = [t.get_window_extent(renderer) for t in texts]
    problems = []
    for text, box in zip(texts, boxes, strict=True):
        if (
            box.x0 < page.x0 - 1
            or box.y0 < page.y0 - 1
            or box.x1 > page.x1 + 1
            or (box.y1 > page.y1 + 1)
        ):
            problems.append(f"outside the figure: {text.get_text()!r}")
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            if _overlap(boxes[i], boxes[j]):
                problems.append(f"overlap: {texts[i].get_text()!r} / {texts[j].get_text()!r}")
    for ax in figure.axes:
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            # A label on a white patch drawn over a line hides it (caps are still checked).
            patch = text.get_bbox_patch()
            covers = patch is not None and patch.get_facecolor()[3] == 1
            lines = _reference_boxes(ax, renderer, caps_only=covers)
            if any(_overlap(box, line, slack=0) for line in lines):
                problems.append(f"line or error cap through: {text.get_text()!r}")
        for axis in (ax.xaxis, ax.yaxis):
            for tick in axis._update_ticks():
                shown = tick.label1.get_text()
                if tick.label1.get_visible() and shown.endswith("%"):
                    number = float(shown[:-1].replace("\N{MINUS SIGN}", "-"))
                    if not math.isclose(number, 100 * tick.get_loc(), abs_tol=1e-6):
                        problems.append(f"tick at {100 * tick.get_loc():g}% labelled {shown!r}")
    return problems


RUN_CHARTS = (
    "funnel", "loss_reasons", "offer_probability", "offer_probability_by_quality", "margins",
    "seasonality", "felt_vs_actual", "time_to_fill",
)  # fmt: skip


def _every_chart(result, comparison, risk_sweep, grid_sweep, sensitivity, searches):
    """(name, draw(ax, **options)) for every chart the commands write."""
    from simfunnel.analysis.outputs.run import RUN_OUTPUTS, supported_charts

    drawn = [
        (name, lambda ax, n=name, **o: RUN_OUTPUTS[n](result).plot(ax, **o))
        for name in supported_charts(result)
    ]
    drawn += [
        ("compare", lambda ax, **o: charts.compare(comparison, ax, **o)),
        ("sweep_lines", lambda ax, **o: charts.sweep_lines(risk_sweep, ax, **o)),
        ("sweep_heatmap", lambda ax, **o: charts.sweep_heatmap(grid_sweep, ax, **o)),
        ("risk_tradeoff", lambda ax, **o: charts.risk_tradeoff(risk_sweep, ax, **o)),
        ("tornado", lambda ax, **o: charts.tornado(sensitivity, ax, **o)),
        ("sobol", lambda ax, **o: charts.sobol_indices(_SOBOL, ax, **o)),
        ("job_search", lambda ax, **o: charts.job_search(searches, ax, **o)),
    ]
    return drawn


_SOBOL = pd.DataFrame(
    {
        "parameter": [
            "interview.validity", "internal.probability", "screening.validity",
            "manager.risk_aversion", "offers.decline_probability", "interview.presence_share",
        ],
        "S1": [0.52, 0.2, 0.08, 0.05, 0.02, -0.01],
        "S1_conf": [0.1, 0.05, 0.03, 0.02, 0.02, 0.02],
        "ST": [0.6, 0.25, 0.1, 0.07, 0.03, 0.01],
        "ST_conf": [0.12, 0.06, 0.03, 0.03, 0.02, 0.01],
    }
)  # fmt: skip
_SOBOL.attrs.update(metric="good_interview_offer_rate", runs=320)


@pytest.fixture(scope="module")
def comparison(scenario):
    strong = sf.load_scenario(BASELINE.with_name("strong_internal.yaml"))
    return sf.compare([scenario, strong], openings=3_000, seed=4, workers=1)


def test_no_chart_has_colliding_text_or_ticks_labelled_other_than_their_values(
    result, comparison, risk_sweep, grid_sweep, sensitivity, searches
):
    from matplotlib.figure import Figure

    from simfunnel.present.charts.style import talk_style

    problems = []
    every = _every_chart(result, comparison, risk_sweep, grid_sweep, sensitivity, searches)
    on_slides = {"compare", "tornado", "job_search", *RUN_CHARTS}  # what decks embed
    for size, options in ((None, {}), (_deck_size(), {"title": ""})):
        for name, draw in every:
            if size and name not in on_slides:
                continue
            style = {"figure.figsize": size} if size else {}
            with talk_style(**style):
                figure = Figure()
                draw(figure.add_subplot(), **options)
                where = "deck" if size else "slide"
                problems += [f"{name} ({where}): {p}" for p in _layout_problems(figure)]
    assert not problems, "\n".join(problems)


def test_percent_ticks_are_labelled_exactly():
    from matplotlib.figure import Figure

    from simfunnel.present.charts.style import PercentTicks

    for top, step in ((0.2, 0.025), (0.5, 0.1), (0.06, 0.005), (1.0, 0.2)):
        ax = Figure().add_subplot()
        ax.set_ylim(0, top)
        ax.yaxis.set_major_locator(matplotlib.ticker.MultipleLocator(step))
        ax.yaxis.set_major_formatter(PercentTicks())
        ax.figure.draw_without_rendering()
        for tick in ax.yaxis._update_ticks():
            shown = tick.label1.get_text()
            assert math.isclose(float(shown[:-1]), 100 * tick.get_loc(), abs_tol=1e-9), shown
            whole = step * 100 >= 1 and (step * 100) % 1 == 0
            assert shown.count(".") == (0 if whole or shown == "0%" else 1), shown


def test_a_changed_setting_is_shown_in_plain_words_with_its_value_rounded(scenario):
    from simfunnel.metrics import scenario_label, setting

    changed = scenario.with_overrides({"interview.validity": 0.31 + 0.1})  # 0.41000000000000003
    assert "0.4100000" in changed.name  # the name keeps the exact value, for the record
    shown = scenario_label(changed.name, "scenario")
    assert shown == f"baseline scenario with {key_label('interview.validity').lower()}: 0.41"
    two = scenario.with_overrides({"manager.risk_aversion": 3, "offers.days_to_answer": 12.0})
    assert scenario_label(two.name) == (
        f"baseline with {key_label('manager.risk_aversion')[:1].lower()}"
        f"{key_label('manager.risk_aversion')[1:]}: 3; "
        f"{key_label('offers.days_to_answer').lower()}: 12"
    )
    assert setting("screening.validity", 1 / 3) == "how well CV screening spots ability: 0.333"
    # The chart's note says it the same way, never the raw key.
    result = sf.simulate(changed, openings=300, seed=1)
    note = Funnel.from_result(result).note
    assert shown in note and "interview.validity" not in note


def test_wrapping_by_bisection_breaks_lines_where_the_word_by_word_loop_does() -> None:
    """Titles and notes are wrapped by bisecting each line (fewer text measurements);
    a line's width only grows with its words, so the lines are the greedy loop's."""
    import random

    from matplotlib.figure import Figure

    from simfunnel.present.charts import style

    text = Figure(dpi=72).add_subplot().text(0, 0, "")
    rng = random.Random(7)
    sentence = "a good interview = top 30% of scores; the first removal gives them an offer"
    vocabulary = [*sentence.split(" "), "·", "ability:", "0.41", "5,000"]
    for _ in range(200):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(1, 30))]
        width = rng.uniform(20, 700)
        assert style._break(text, words, width) == style._greedy(text, words, width)
