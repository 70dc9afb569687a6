"""The live explorer, driven headlessly: the notebook widget (ipywidgets), the web
page's widgets (Panel) and the logic they share. The page in a real browser is
tested in tests/test_app_browser.py."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import param
import pytest
import yaml

import simfunnel as sf
from simfunnel.analysis.outputs import RUN_OUTPUTS
from simfunnel.cli import main as cli_main
from simfunnel.metrics import ATTRIBUTION_METRICS, KEY_LABELS
from simfunnel.present.explorer import core, notebook, web
from simfunnel.present.explorer.core import CHARTS, EXPLORER_KEYS, Explorer, slider_for
from simfunnel.present.explorer.defaults import CHART_LABELS

from .conftest import CONFIGS

BASELINE = str(CONFIGS / "baseline.yaml")
OPENINGS = 2_000  # small: each change re-simulates


@pytest.fixture
def widget(baseline: sf.Scenario) -> notebook.ExplorerWidget:
    return sf.explore(baseline, openings=OPENINGS)


@pytest.fixture
def widget_with_counts(baseline: sf.Scenario) -> notebook.ExplorerWidget:
    """The default sliders and one of whole numbers (none of the default six is)."""
    return sf.explore(baseline, openings=OPENINGS, keys=[*EXPLORER_KEYS, "offers.max_offers"])


def cli_error(capsys: pytest.CaptureFixture[str], key: str, text: str) -> str:
    """The line ``simfunnel run --set KEY=TEXT`` prints, and its exit code checked."""
    code = cli_main(["run", BASELINE, "--openings", "10", "--set", f"{key}={text}"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    return err.strip()


# ----------------------------------------------------------------------- core
def test_the_sliders_are_the_documented_keys_with_registry_labels_and_schema_ranges(
    baseline: sf.Scenario,
) -> None:
    explorer = Explorer(baseline, openings=OPENINGS)
    assert tuple(explorer.sliders) == EXPLORER_KEYS
    for key, slider in explorer.sliders.items():
        assert slider.label == KEY_LABELS[key]  # the registry's words, not a fallback
        assert slider.low <= explorer.values[key] <= slider.high
    # (0, 1] opens at 0: the slider starts one step inside it; [1, 20] is whole numbers.
    validity = slider_for(baseline, "interview.validity")
    assert (validity.low, validity.high, validity.step) == (0.01, 1.0, 0.01)
    max_offers = slider_for(baseline, "offers.max_offers")
    assert (max_offers.low, max_offers.high, max_offers.integer) == (1, 20, True)
    with pytest.raises(sf.InputError, match="not a numeric scenario key"):
        slider_for(baseline, "applicants.count")  # a range, not one number


def test_the_picker_offers_every_chart_of_a_run_and_each_draws(baseline: sf.Scenario) -> None:
    assert list(CHARTS) == list(CHART_LABELS) == list(RUN_OUTPUTS)
    explorer = Explorer(baseline, openings=OPENINGS)
    summary = explorer.result.summary()
    for chart in CHARTS:
        view = explorer.set_chart(chart)
        # Another chart of the same simulation (re-run with the parts it reads, if the
        # run lacked them: the same numbers).
        pd.testing.assert_frame_equal(explorer.result.summary(), summary)
        assert view.output is not None and view.finding == view.output.finding
        assert not view.table.empty
        assert view.png.startswith(b"\x89PNG")
    with pytest.raises(sf.InputError, match="unknown chart 'pie'"):
        explorer.set_chart("pie")


def test_a_change_re_simulates_on_the_same_seed(baseline: sf.Scenario) -> None:
    """Common random numbers: moving a slider and back gives the first picture again,
    and a moved slider gives exactly what simulating that scenario on the seed does."""
    explorer = Explorer(baseline, openings=OPENINGS)
    first = explorer.view.table
    moved = explorer.set_value("internal.probability", 0.8).table
    expected = sf.simulate(
        baseline.with_overrides({"internal.probability": 0.8}), OPENINGS, seed=baseline.seed
    ).loss_reasons()
    shares = moved.set_index("reason")["share"]
    sequential = expected[expected["method"] == "sequential"].set_index("reason")["share"]
    assert shares.to_dict() == sequential[shares.index].to_dict()
    back = baseline.internal.probability
    assert explorer.set_value("internal.probability", back).table.equals(first)


def test_the_value_axis_only_grows_so_a_shrinking_bar_looks_shorter(
    baseline: sf.Scenario,
) -> None:
    explorer = Explorer(baseline, openings=OPENINGS)
    top = explorer.figure().axes[0].get_xlim()[1]
    # Better interviews: far more good losers lost to a truly better candidate, a longer bar.
    wide = explorer.set_value("interview.validity", 0.9)
    assert wide.table["ci_high"].max() * 1.15 > top
    wide_top = explorer.figure().axes[0].get_xlim()[1]
    assert wide_top > top
    back = explorer.set_value("interview.validity", 0.19)
    assert back.table["ci_high"].max() * 1.15 < wide_top
    assert explorer.figure().axes[0].get_xlim()[1] == wide_top
    # Another explorer (another session) starts from its own scale.
    assert Explorer(baseline, openings=OPENINGS).figure().axes[0].get_xlim()[1] == top


# ---------------------------------------------------------- notebook widget
def test_moving_a_slider_changes_the_table_the_headline_and_the_chart(widget) -> None:
    explorer = widget.explorer
    table, headline, image = explorer.view.table, widget.headline.value, widget.image.value
    assert explorer.view.finding in headline

    widget.sliders["interview.validity"].value = 0.6

    assert explorer.values["interview.validity"] == 0.6
    assert widget.boxes["interview.validity"].value == "0.6"
    assert not explorer.view.table.equals(table)
    assert widget.headline.value != headline
    assert explorer.view.finding in widget.headline.value
    assert widget.image.value != image
    assert explorer.scenario.name == "baseline (interview.validity=0.6)"
    assert "updated in" in widget.status.value


def test_a_typed_value_moves_its_slider(widget_with_counts) -> None:
    widget = widget_with_counts
    widget.boxes["offers.max_offers"].value = "2"
    assert widget.sliders["offers.max_offers"].value == 2
    assert widget.explorer.values["offers.max_offers"] == 2
    assert widget.message.value == ""


@pytest.mark.parametrize(
    ("key", "text"),
    [("interview.validity", "1.5"), ("offers.max_offers", "abc"), ("interview.validity", ".nan")],
)
def test_bad_input_in_a_box_is_the_clis_one_line_and_changes_nothing(
    widget_with_counts, capsys, key: str, text: str
) -> None:
    widget = widget_with_counts
    explorer = widget.explorer
    values, table, headline = dict(explorer.values), explorer.view.table, widget.headline.value

    widget.boxes[key].value = text

    shown = widget.message.value
    assert "Traceback" not in shown
    message = shown.split(">", 1)[1].rsplit("<", 1)[0]
    assert cli_error(capsys, key, text) == f"simfunnel: error: {message}".replace("&#x27;", "'")
    assert explorer.values == values
    assert explorer.view.table.equals(table)
    assert widget.headline.value == headline
    assert widget.sliders[key].value == values[key]
    assert widget.boxes[key].value == widget.explorer.sliders[key].format(values[key])


def test_the_chart_picker_shows_another_chart_of_the_same_run(widget) -> None:
    result = widget.explorer.result
    widget.chart_picker.value = "funnel"
    assert widget.explorer.result is result
    assert list(widget.explorer.view.table["stage"]) == [
        "applicants",
        "shortlisted",
        "interviewed",
        "offers",
        "hires",
    ]
    assert "interviewees" in widget.headline.value


def test_saved_yaml_rebuilds_the_same_explorer(widget_with_counts, tmp_path: Path) -> None:
    widget = widget_with_counts
    widget.sliders["interview.validity"].value = 0.42
    widget.sliders["offers.max_offers"].value = 2
    widget.save_path.value = str(tmp_path / "talk.yaml")
    widget.save_button.click()

    saved = tmp_path / "talk.yaml"
    assert "Saved" in widget.message.value and saved.exists()
    assert yaml.safe_load(saved.read_text())["interview"]["validity"] == 0.42
    again = sf.explore(saved, openings=OPENINGS)
    assert again.explorer.values == widget.explorer.values
    for key, slider in widget.sliders.items():
        assert again.sliders[key].value == slider.value
        assert again.boxes[key].value == widget.boxes[key].value
    assert again.explorer.view.table.equals(widget.explorer.view.table)
    assert again.explorer.view.finding == widget.explorer.view.finding
    assert sf.load_scenario(saved).seed == widget.explorer.base.seed


def test_saved_yaml_brings_back_other_sliders_the_chart_and_the_openings(
    baseline: sf.Scenario, tmp_path: Path
) -> None:
    keys = ["manager.risk_aversion", "manager.affinity_weight"]
    widget = sf.explore(baseline, chart="funnel", openings=1_000, keys=keys)
    widget.sliders["manager.risk_aversion"].value = 2.5
    path = widget.explorer.save(tmp_path / "risk.yaml")

    again = sf.explore(path)
    assert list(again.sliders) == keys
    assert again.chart_picker.value == "funnel"
    assert again.explorer.options.openings == 1_000
    assert again.explorer.values == {"manager.risk_aversion": 2.5, "manager.affinity_weight": 0.3}
    assert again.explorer.view.table.equals(widget.explorer.view.table)
    # Arguments still win over the file, and any other first line is just a comment.
    assert sf.explore(path, chart="margins").explorer.chart == "margins"
    plain = tmp_path / "plain.yaml"
    plain.write_text("# sliders=manager.risk_aversion\n" + path.read_text().split("\n", 1)[1])
    assert core.saved_state(plain) == {}
    assert tuple(Explorer(plain, openings=OPENINGS).sliders) == EXPLORER_KEYS


def test_a_save_that_cannot_be_written_is_one_line(widget, tmp_path: Path) -> None:
    widget.save_path.value = str(tmp_path / "no" / "such" / "folder" / "talk.yaml")
    widget.save_button.click()
    assert "No such file or directory" in widget.message.value
    assert "Traceback" not in widget.message.value


def test_explore_without_ipywidgets_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "ipywidgets", None)
    with pytest.raises(sf.InputError, match=r"pip install 'simfunnel\[interactive\]'"):
        notebook.require_ipywidgets()


# ------------------------------------------------------------- web page (Panel)
def test_the_web_page_shares_the_explorer(baseline: sf.Scenario, capsys) -> None:
    page = web.ExplorerPage(Explorer(baseline, openings=OPENINGS))
    headline = page.headline.object
    slider = page.sliders["interview.validity"]
    with param.edit_constant(slider):  # what the browser sends when the handle is let go
        slider.param.update(value=0.6, value_throttled=0.6)
    assert page.explorer.values["interview.validity"] == 0.6
    assert page.headline.object != headline
    assert page.boxes["interview.validity"].value == "0.6"

    page.boxes["interview.validity"].value = "1.5"
    message = page.message.object.split(">", 1)[1].rsplit("<", 1)[0]
    assert "sf-error" in page.message.object
    assert cli_error(capsys, "interview.validity", "1.5") == f"simfunnel: error: {message}"
    assert page.explorer.values["interview.validity"] == 0.6
    assert page.boxes["interview.validity"].value == "0.6"  # the value kept, not the typo

    assert "validity: 0.6" in page._yaml().getvalue()


def test_a_port_in_use_is_one_line(baseline: sf.Scenario) -> None:
    with socket.socket() as taken:
        taken.bind(("localhost", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(sf.InputError, match=f"--port {port}: already in use"):
            web.serve(baseline, port, openings=OPENINGS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "70000"], "--port: must be <= 65,535, got 70000"),
        (["--openings", "0"], "--openings: must be >= 1, got 0"),
        (["--chart", "pie"], "--chart: invalid choice: 'pie'"),
        (["--set", "interview.validity=2"], "interview.validity: must be in (0, 1], got 2"),
        (["missing.yaml"], "missing.yaml: no such config file"),
    ],
)
def test_app_refuses_bad_input_in_one_line_before_serving(capsys, args, message) -> None:
    try:
        code = cli_main(["app", *args])
    except SystemExit as exit:  # argparse's usage errors
        code = exit.code
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and err.count("\n") == 1


# ----------------------------------------------- on stage: reset, ghost, presenting
def test_reset_brings_every_slider_back_without_re_simulating(baseline: sf.Scenario) -> None:
    explorer = Explorer(baseline, openings=OPENINGS)
    first_table = explorer.view.table
    base_run = explorer.result
    explorer.set_value("interview.validity", 0.5)
    explorer.set_value("internal.probability", 0.6)
    assert explorer.moved and explorer.result is not base_run
    explorer.reset()
    assert not explorer.moved
    assert explorer.values == {k: core.value_at(baseline, k) for k in explorer.sliders}
    assert explorer.result is base_run  # the baseline's run, kept: no wait on stage
    assert explorer.view.table.equals(first_table)


def test_a_moved_slider_shows_the_baseline_as_a_ghost(baseline: sf.Scenario) -> None:
    explorer = Explorer(baseline, "loss_reasons", openings=OPENINGS)
    unmoved_note = explorer._figure(explorer.view.output, "").axes[0].texts[-1].get_text()
    assert core.GHOST_NOTE not in unmoved_note  # no ghost while nothing moved
    explorer.set_value("interview.validity", 0.5)
    figure = explorer.figure()
    (ax,) = figure.axes
    ghosts = [p for p in ax.patches if p.get_label() == "_ghost"]
    bars = [p for p in ax.patches if p.get_label() != "_ghost" and p.get_width() > 0]
    base = CHARTS["loss_reasons"](explorer.base_result).to_df()
    base = base.set_index("reason")["share"]
    # A dashed outline per baseline bar, at the baseline's length, over the chart's bars.
    # (a reason the baseline never gave is a row of its own, at the end, without one).
    assert 0 < len(ghosts) <= len(bars) and all(g.get_facecolor()[3] == 0 for g in ghosts)
    assert {g.get_y() for g in ghosts} <= {b.get_y() for b in bars}
    assert max(g.get_width() for g in ghosts) == pytest.approx(base.max())
    assert min(g.get_zorder() for g in ghosts) > max(b.get_zorder() for b in bars)
    assert ax.texts[-1].get_text().endswith(core.GHOST_NOTE)  # the subtitle says what it is
    # Rows stay where the baseline put them while sliders move: the same labels in order.
    labels = [t.get_text() for t in ax.get_yticklabels()]
    unmoved = Explorer(baseline, "loss_reasons", openings=OPENINGS).figure().axes[0]
    before = [t.get_text() for t in unmoved.get_yticklabels()]
    assert labels[: len(before)] == before


def test_presentation_mode_has_large_controls_a_big_chart_and_a_reset(
    baseline: sf.Scenario,
) -> None:
    changed = baseline.with_overrides({"interview.validity": 0.31 + 0.1})
    page = web.ExplorerPage(
        Explorer(changed, openings=OPENINGS, dpi=core.PRESENT_DPI), present=True
    )
    assert page.image.max_width == web.PRESENT_WIDTH
    from PIL import Image

    width, height = Image.open(__import__("io").BytesIO(page.explorer.view.png)).size
    assert width >= 1400 and abs(width / height - 16 / 9) < 0.01
    assert "40px" in page.headline.styles["font-size"]
    assert all(web.PRESENT_CSS in w.stylesheets for w in page.sliders.values())
    # No raw keys on screen: the boxes carry no label, the header the setting in words.
    assert all(not box.label for box in page.boxes.values())
    header = page.layout.objects[0].objects[0].object
    assert "interview.validity" not in header and "0.4100000" not in header
    assert "how well one interview round measures ability: 0.41" in header
    page.sliders["internal.probability"].value = 0.6
    with param.edit_constant(page.sliders["internal.probability"]):
        page.sliders["internal.probability"].param.update(value_throttled=0.6)
    assert page.explorer.moved
    page.reset.clicks += 1
    assert not page.explorer.moved and page.sliders["internal.probability"].value == (
        core.value_at(changed, "internal.probability")
    )


# ------------------------------------------------------- the fast path's numbers
def test_the_fast_path_gives_the_full_paths_numbers_bit_for_bit(
    baseline: sf.Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every update reuses draws, reference samples, outputs and layouts and simulates
    only what its chart reads; a plain run of the same scenario and seed, with nothing
    kept (no draw cache, the reference threshold computed afresh, every part), gives
    the same summary, thresholds and chart table to the last bit."""
    from simfunnel.analysis import reference

    explorer = Explorer(baseline, openings=OPENINGS)
    moves = [("interview.validity", 0.4), ("manager.niche_value", 0.3), ("interview.validity", 0.2)]
    for (key, value), chart in zip(moves * 3, list(CHARTS), strict=False):
        explorer.set_chart(chart)
        view = explorer.set_value(key, value)
        monkeypatch.setattr(reference, "_CACHE", {})  # the threshold recomputed, no draws kept
        plain = sf.simulate(explorer.scenario, options=explorer.options)
        lean, whole = explorer.result.summary(), plain.summary()
        # A chart that reads no attribution is simulated without it: its rows are absent,
        # every other row is the plain run's.
        missing = set(whole.index) - set(lean.index)
        assert missing <= set(ATTRIBUTION_METRICS) | {m for m in whole.index if ":" in m}
        assert bool(missing) == ("attribution" not in core.CHART_NEEDS.get(chart, ()))
        pd.testing.assert_frame_equal(lean, whole.loc[lean.index], check_exact=True)
        for name in ("good_interview_threshold", "narrow_margin_u", "reference_openings"):
            assert explorer.result.metadata[name] == plain.metadata[name]
        full = CHARTS[chart](plain)
        pd.testing.assert_frame_equal(view.table, full.to_df(), check_exact=True)
        assert view.finding == full.finding


def test_a_frame_drawn_with_kept_text_and_layout_is_the_plain_frame_pixel_for_pixel(
    baseline: sf.Scenario,
) -> None:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    explorer = Explorer(baseline, "loss_reasons", openings=OPENINGS, dpi=core.PRESENT_DPI)
    for value in (0.3, 0.33, 0.36):  # the layout and most text come from earlier frames
        view = explorer.set_value("interview.validity", value)
    assert explorer._text_cache.hits > 0
    figure = explorer.figure()
    FigureCanvasAgg(figure)  # Matplotlib's own canvas: every glyph rendered afresh
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=figure.dpi)
    fast, plain = (np.asarray(Image.open(io.BytesIO(png))) for png in (view.png, buffer.getvalue()))
    assert fast.shape == plain.shape and (fast == plain).all()


def test_the_subtitle_after_slider_changes_is_plain_words(baseline: sf.Scenario) -> None:
    """Panel's float sliders send start + n * step: 0.4100000000000001. The scenario,
    the box and the chart's subtitle say 0.41; three changes make a name longer than a
    scenario name may be (cut, with a hash), yet the subtitle names each in words."""
    explorer = Explorer(baseline, "felt_vs_actual", openings=OPENINGS)
    explorer.set_value("interview.validity", 0.4100000000000001)
    explorer.set_value("internal.probability", 0.30000000000000004)
    explorer.set_value("internal.quality_sd", 0.7000000000000001)
    assert explorer.values["interview.validity"] == 0.41
    assert "#" in explorer.scenario.name  # the name was cut: the subtitle must not be
    texts = [t.get_text() for t in explorer.figure().axes[0].texts]
    (note,) = [t for t in texts if "simulated openings" in t]
    flat = note.replace("\n", " ")
    for words in ("how well one interview round measures ability: 0.41",
                  "chance of an internal contender: 0.3",
                  "spread of internal contenders' ability: 0.7"):  # fmt: skip
        assert words in flat
    assert "#" not in note and "…" not in note and "000000" not in note
    assert not any(key in note for key in explorer.sliders)  # no raw key
