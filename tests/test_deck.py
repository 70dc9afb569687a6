"""The slide deck: opened with python-pptx and checked slide by slide."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

pptx = pytest.importorskip("pptx")  # the [deck] extra; in dev, so CI runs these
from PIL import Image  # noqa: E402  (python-pptx depends on Pillow)
from pptx.util import Emu  # noqa: E402

import simfunnel as sf  # noqa: E402
from simfunnel.analysis.outputs import RUN_OUTPUTS, Differences  # noqa: E402
from simfunnel.cli import main  # noqa: E402
from simfunnel.errors import InputError  # noqa: E402
from simfunnel.metrics import METRICS  # noqa: E402
from simfunnel.present import deck  # noqa: E402
from simfunnel.present.deck import build as writer  # noqa: E402  (build_deck looks up here)

from .conftest import CONFIGS  # noqa: E402
from .test_cli import run_cli  # noqa: E402

OPENINGS, SEED = 2_000, 5
BASELINE, OTHER = CONFIGS / "baseline.yaml", CONFIGS / "strong_internal.yaml"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """``simfunnel deck`` of the baseline compared with strong_internal, charts kept as SVG."""
    folder = tmp_path_factory.mktemp("deck")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(
            ["deck", str(BASELINE), "--compare", str(OTHER), "--out", str(folder / "talk.pptx"),
             "--openings", str(OPENINGS), "--seed", str(SEED), "--formats", "svg", "--quiet"]
        )  # fmt: skip
    assert code == 0, err.getvalue()
    return folder / "talk.pptx", out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def expected() -> list[str]:
    """The findings the chart slides must carry, computed here from the API: the charts
    of the run, the job search and the what-if, the comparison."""
    from simfunnel.present.charts.compare import SPEAKER_METRICS
    from simfunnel.present.deck.slides import loss_story

    scenario, other = sf.load_scenario(BASELINE), sf.load_scenario(OTHER)
    result = sf.simulate(scenario, OPENINGS, SEED)
    findings = [RUN_OUTPUTS[name](result).finding for name in deck.supported_charts(result)]
    findings += [slide.output.finding for slide in deck.story_slides(result)]
    comparison = sf.compare([scenario, other], OPENINGS, SEED)
    findings.append(Differences.from_comparison(comparison, metrics=SPEAKER_METRICS).finding)
    findings.append(loss_story(*comparison.results).output.finding)
    return findings


def _title(slide) -> str:
    return slide.shapes.title.text.replace("\v", " ")


def test_the_deck_has_a_title_slide_then_one_slide_per_chart_titled_with_its_finding(
    written: tuple[Path, str], expected: list[str]
) -> None:
    path, printed = written
    assert printed == ""  # --quiet
    slides = list(pptx.Presentation(str(path)).slides)
    # 8 charts of a run, the job search and the what-if, 1 comparison and why good
    # interviews lose in it, then the closing slide and the appendix.
    assert len(slides) == 1 + len(expected) + 2 == 1 + 8 + 2 + 2 + 2
    # The compared scenario's own story: the reason that moved most, from what to what.
    assert expected[-1].startswith("Strong internal: internal candidate now sinks")
    assert ", up from " in expected[-1]
    assert [_title(s) for s in slides[1:-2]] == expected
    assert expected[8].startswith("A median candidate needs")  # the job search
    assert _title(slides[-2]) == "Three things to take away"
    points = [
        p.text for s in slides[-2].shapes if s.has_text_frame for p in s.text_frame.paragraphs
    ]
    points = [p for p in points if p and p != _title(slides[-2])]
    assert points == [
        f"{i}.  {f}" for i, f in enumerate([expected[0], expected[1], expected[9]], 1)
    ]
    assert _title(slides[-1]).startswith("Appendix")
    title_slide = slides[0]
    text = " ".join(shape.text_frame.text for shape in title_slide.shapes if shape.has_text_frame)
    assert "Baseline" in text
    assert sf.load_scenario(BASELINE).description in text
    assert f"{OPENINGS:,} simulated job openings" in text
    # No developer wording for the room (the seed and version are in the notes).
    assert "seed" not in text and "simfunnel" not in text
    assert text.count("WHY DO GOOD INTERVIEWS STILL LOSE?") == 1
    assert "Compared with: strong internal" in text
    assert f"seed {SEED}" in title_slide.notes_slide.notes_text_frame.text


def test_the_deck_is_16_by_9_and_every_chart_fills_the_width_under_its_title(
    written: tuple[Path, str],
) -> None:
    presentation = pptx.Presentation(str(written[0]))
    assert presentation.slide_width / presentation.slide_height == pytest.approx(16 / 9, rel=1e-3)
    width, height = deck.picture_size()
    shape = width / height
    for slide in list(presentation.slides)[1:-2]:  # the closing and appendix are text
        pictures = [s for s in slide.shapes if s.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE
        assert len(pictures) == 1, _title(slide)
        # The chart's left edge under the title's.
        assert pictures[0].left == slide.shapes.title.left
        picture = pictures[0]
        # Drawn for its place (not a 16:9 chart with a third of the slide empty beside it).
        assert picture.width / picture.height == pytest.approx(shape, rel=1e-2)
        assert Emu(picture.width).inches == pytest.approx(width, rel=1e-3)
        image = Image.open(io.BytesIO(picture.image.blob))
        assert image.width / image.height == pytest.approx(shape, rel=1e-2)
        assert image.width >= 1600  # sharp on a full-HD projector
        # On the slide, below the title, inside the slide.
        assert picture.top >= slide.shapes.title.top + slide.shapes.title.height
        assert picture.left >= 0 and picture.left + picture.width <= presentation.slide_width
        assert picture.top + picture.height <= presentation.slide_height


def test_every_title_fits_in_two_lines_at_a_readable_size(written: tuple[Path, str]) -> None:
    sizes = set()
    for slide in list(pptx.Presentation(str(written[0])).slides)[1:]:
        frame = slide.shapes.title.text_frame
        runs = [run for paragraph in frame.paragraphs for run in paragraph.runs]
        size = runs[0].font.size.pt
        sizes.add(size)
        assert size >= 24, _title(slide)
        room = Emu(slide.shapes.title.width - frame.margin_left - frame.margin_right).inches
        lines = slide.shapes.title.text.split("\v")
        assert len(lines) <= 2, _title(slide)
        for line in lines:  # each line fits, measured with the title font's metrics
            assert deck.title_lines(line, size, room) == 1, line
        if len(lines) == 2:  # broken evenly: the second line is never a lone word
            assert len(lines[1].split()) >= 2
    assert len(sizes) == 1  # one title size for the whole deck


def test_a_long_title_is_broken_evenly_and_a_short_one_stays_on_one_line() -> None:
    short = "Only 1 in 5 interviewees gets an offer"
    assert deck.title_layout(short) == (short, deck.TITLE_SIZES_PT[0])
    long = "Strong internal: offer rate of the best interview is 15.7 points lower (46.5% vs 62.2%)"
    shown, size = deck.title_layout(long)
    first, second = shown.split("\v")
    assert f"{first} {second}" == long
    assert abs(len(first) - len(second)) < 15
    assert 24 <= size <= deck.TITLE_SIZES_PT[0]


def test_notes_say_the_finding_and_the_numbers_and_the_settings_are_in_an_appendix(
    written: tuple[Path, str],
) -> None:
    slides = list(pptx.Presentation(str(written[0])).slides)
    assert "HEADLINE FIGURES" in slides[0].notes_slide.notes_text_frame.text
    for number, slide in enumerate(slides[1:-2], start=1):
        notes = slide.notes_slide.notes_text_frame.text
        assert notes.startswith(f"SAY\n{_title(slide)}."), _title(slide)
        assert "%" in notes
        if number != 10:  # the what-if: one run per setting, no CIs
            assert "95% CI" in notes, _title(slide)
        # What a speaker says: no raw keys, no definitions, no sources.
        assert "_" not in notes and "WHAT THE WORDS MEAN" not in notes, _title(slide)
        assert "gap in U" not in notes and "CI 175–175" not in notes
    notes = {_title(s): s.notes_slide.notes_text_frame.text for s in slides[1:]}
    funnel = notes[_title(slides[1])]
    applicants = next(line for line in funnel.split("\n") if line.startswith("- Applicants"))
    low, high = applicants.split("95% CI ")[1].rstrip(")").split("–")
    assert low != high  # never "95% CI 175–175"
    assert "Shortlisted:" in funnel and "per opening (95% CI" in funnel
    # A comparison slide says what the other scenario changes, from what to what.
    compared = notes[_title(slides[-4])]
    assert "WHAT STRONG INTERNAL CHANGES" in compared
    assert "Chance of an internal contender: 0.9 instead of 0.33" in compared
    assert "pp (95% CI" in compared
    # The appendix: the settings in plain words on the slide; keys, sources and the
    # definitions of the words in its notes.
    appendix = slides[-1]
    shown = "\n".join(s.text_frame.text for s in appendix.shapes if s.has_text_frame)
    assert "How well one interview round measures ability: 0.16" in shown
    assert "interview.validity" not in shown
    appendix_notes = appendix.notes_slide.notes_text_frame.text
    assert "interview.validity = 0.16" in appendix_notes
    assert "Sackett et al. 2022" in appendix_notes
    assert "WHAT THE WORDS MEAN" in appendix_notes
    assert any(m.definition in appendix_notes for m in METRICS.values())


def test_formats_keep_every_chart_beside_the_deck(written: tuple[Path, str]) -> None:
    path = written[0]
    kept = sorted(p.name for p in deck.charts_folder(path).iterdir())
    assert kept[-1] == "manifest.json"
    assert len(kept) == 1 + 12 and all(name.endswith(".svg") for name in kept[:-1])
    assert kept[0] == "01_funnel.svg" and kept[-2] == "12_loss_reasons_strong_internal.svg"
    assert "11_compare_strong_internal.svg" in kept
    assert "09_job_search.svg" in kept and "10_what_if.svg" in kept
    assert sorted(p.name for p in path.parent.iterdir()) == ["talk.pptx", "talk_charts"]


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("talk.ppt", "a deck is a .pptx file"),
        ("talk", "a deck is a .pptx file"),
        ("missing/talk.pptx", "does not exist"),
        ("folder.pptx", "exists and is not a regular file"),
        ("", "expected a .pptx file"),
    ],
)
def test_a_bad_out_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch, out: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.pptx").mkdir()
    code, _, stderr = run_cli(capsys, "deck", str(BASELINE), "--out", out, "--openings", "1000")
    assert code == 2
    assert message in stderr and stderr.count("\n") == 1 and "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.pptx"]


@pytest.mark.parametrize("step", ["chart_png", "save_chart"])
def test_a_deck_that_fails_half_way_leaves_the_earlier_deck_as_it_was(
    tmp_path: Path, monkeypatch, step: str
) -> None:
    result = sf.simulate(sf.load_scenario(BASELINE), 1_000, 1)
    path = tmp_path / "talk.pptx"
    path.write_bytes(b"the earlier deck")
    calls = []
    original = getattr(writer, step)

    def fails_the_third_time(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return original(*args, **kwargs)

    monkeypatch.setattr(writer, step, fails_the_third_time)
    if step == "save_chart":  # the slides' own pictures do not matter here: draw them fast
        blank = io.BytesIO()
        Image.new("RGB", (16, 9), "white").save(blank, format="png")
        monkeypatch.setattr(writer, "chart_png", lambda output: blank.getvalue())
    with pytest.raises(RuntimeError, match="disk on fire"):
        deck.build_deck(result, path, formats=("svg",), story=False)
    assert path.read_bytes() == b"the earlier deck"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["talk.pptx"]  # no temporary files


def test_without_python_pptx_the_error_is_one_line(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pptx", None)  # import pptx now raises ImportError
    with pytest.raises(InputError, match=r"pip install 'simfunnel\[deck\]'"):
        deck.require_pptx()


def test_compare_with_itself_is_refused_before_simulating(capsys, tmp_path: Path) -> None:
    code, _, stderr = run_cli(
        capsys, "deck", str(BASELINE), "--compare", str(BASELINE), "--out", str(tmp_path / "t.pptx")
    )
    assert code == 2 and "names must differ" in stderr
    assert list(tmp_path.iterdir()) == []


def test_an_override_is_named_in_plain_words_on_the_title_slide(
    tmp_path: Path, monkeypatch
) -> None:
    scenario = sf.load_scenario(BASELINE, {"manager.risk_aversion": 2})
    result = sf.simulate(scenario, 1_000, 1)
    result.metadata["overrides"] = {"manager.risk_aversion": 2}  # as the CLI records them
    blank = io.BytesIO()
    Image.new("RGB", (16, 9), "white").save(blank, format="png")
    monkeypatch.setattr(writer, "chart_png", lambda output: blank.getvalue())
    deck.build_deck(result, tmp_path / "talk.pptx", story=False)
    title_slide = pptx.Presentation(str(tmp_path / "talk.pptx")).slides[0]
    texts = [s.text_frame.text for s in title_slide.shapes if s.has_text_frame]
    assert "Baseline" in texts  # the name, without "(manager.risk_aversion=2)"
    assert "Changed: Manager's fear of a wrong hire set to 2" in "\n".join(texts)
    assert "risk_aversion" not in "\n".join(texts)
    notes = title_slide.notes_slide.notes_text_frame.text
    assert "--set manager.risk_aversion=2" in notes  # how to reproduce it


def test_every_slide_can_be_looked_at_as_a_picture(
    written: tuple[Path, str], tmp_path: Path
) -> None:
    """Without PowerPoint or LibreOffice: each slide drawn from the written file."""
    path = written[0]
    count = len(pptx.Presentation(str(path)).slides)
    images = deck.slide_images(path, tmp_path, dpi=40)
    assert [p.name for p in images] == [f"slide_{i:02d}.png" for i in range(1, count + 1)]
    first = Image.open(images[1])
    assert first.size == (round(13.333 * 40), 300)
    # The chart is on the picture: more than the white of an empty slide.
    colours = first.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50


def test_a_slide_whose_finding_is_only_default_assumptions_says_so() -> None:
    from simfunnel.io.shipped import assumed_defaults
    from simfunnel.present.deck.slides import ASSUMED_NOTE, FINDING_KEYS, assumed_only, chart_slides

    assert "role.quarter_multipliers" in assumed_defaults()  # labelled in baseline.yaml
    assert "offers.decline_probability" not in assumed_defaults()  # calibrated, cited
    baseline = sf.load_scenario("baseline")
    assert assumed_only(baseline, "seasonality") == list(FINDING_KEYS["seasonality"][0])
    assert assumed_only(baseline, "funnel") == []  # no finding keys: not judged
    mine = baseline.with_overrides({"role.quarter_multipliers": [1.0, 1.0, 1.0, 1.5]})
    assert assumed_only(mine, "seasonality") == []
    result = sf.simulate(mine, openings=1000)
    notes = {slide.name: slide.output.note for slide in chart_slides(result)}
    prefix = ASSUMED_NOTE.split(":")[0]
    assert prefix not in notes["seasonality"] and prefix in notes["felt_vs_actual"]
