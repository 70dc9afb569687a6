"""Writing a deck: the .pptx file (python-pptx), its title slide, a picture and title per
chart slide, and the charts kept beside it; written whole or not at all."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from simfunnel import __version__
from simfunnel.analysis.comparison import Comparison
from simfunnel.analysis.outputs import Output
from simfunnel.analysis.outputs.compare import scenario_label
from simfunnel.analysis.result import Result
from simfunnel.errors import InputError
from simfunnel.io.files import OutputFolder, atomic_write
from simfunnel.metrics import key_label, setting_value
from simfunnel.present.charts.render import plot_output, save_chart
from simfunnel.present.charts.style import BLUE, PNG_DPI, talk_style
from simfunnel.present.deck.layout import (
    CHART_SCALE,
    MARGIN_IN,
    PICTURE_TOP_IN,
    SLIDE_HEIGHT_IN,
    SLIDE_WIDTH_IN,
    TEXT_INSET_IN,
    TITLE_HEIGHT_IN,
    TITLE_TOP_IN,
    deck_title_size,
    picture_size,
    title_layout,
)
from simfunnel.present.deck.notes import (
    appendix_notes,
    appendix_settings,
    openings_of,
    recorded_overrides,
    scenario_title,
    title_notes,
)
from simfunnel.present.deck.slides import (
    SLIDE_KEYS,
    SLIDE_METRICS,
    Slide,
    chart_slides,
    story_slides,
)

DECK_SUFFIX = ".pptx"
FONT = "Arial"  # on every PowerPoint; LibreOffice shows it as the metric-equal Liberation Sans
DARK, GREY_TEXT = (0x22, 0x22, 0x22), (0x55, 0x55, 0x55)
RGB_BLUE = tuple(int(BLUE[i : i + 2], 16) for i in (1, 3, 5))
KICKER = "WHY DO GOOD INTERVIEWS STILL LOSE?"


# ------------------------------------------------------------------ checks
def require_pptx() -> None:
    """A one-line error when python-pptx is missing (before any long work)."""
    try:
        import pptx  # noqa: F401
    except ImportError:
        raise InputError(
            "the slide deck needs python-pptx: pip install 'simfunnel[deck]'"
        ) from None


def charts_folder(path: str | Path) -> Path:
    """Where ``--formats`` keeps the charts of the deck ``path``: ``<stem>_charts/`` beside it."""
    path = Path(path)
    return path.with_name(f"{path.stem}_charts")


def check_deck_path(path: str | Path, formats: Sequence[str] = ()) -> Path:
    """Refuse, before anything is simulated, a deck path that cannot be written.

    The file must end in ``.pptx`` and its folder must exist and be writable; an
    existing file is replaced only if it is a regular file (not a folder or a link).
    With ``formats``, the charts folder beside it must be new or an earlier one.
    """
    path = Path(path)
    shown = str(path)[:80]
    if path.suffix.lower() != DECK_SUFFIX or not path.stem:
        raise InputError(f"--out {shown}: a deck is a .pptx file, e.g. --out talk.pptx")
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise InputError(f"--out {shown}: the folder {str(folder)[:80]} {what}; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"--out {shown}: cannot write in the folder {str(folder)[:80]}")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise InputError(f"--out {shown}: exists and is not a regular file; choose another name")
    if formats:
        OutputFolder(charts_folder(path), "deck", label="--out ").check()
    return path


def chart_png(output: Output) -> bytes:
    """The chart of ``output`` as a PNG drawn for its place on the slide (margin to margin
    under the title, :func:`picture_size`), without its title
    (the slide's title states the finding); the grey note under it stays."""
    width, height = picture_size()
    with talk_style(**{"figure.figsize": (CHART_SCALE * width, CHART_SCALE * height)}):
        # A bare Figure, not pyplot: nothing to close, nothing shown, no global state.
        figure = Figure()
        output.plot(figure.add_subplot(), title="")
        figure.draw_without_rendering()
        figure.set_layout_engine("none")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return buffer.getvalue()


# ------------------------------------------------------------------ the deck
def build_deck(
    result: Result,
    path: str | Path,
    *,
    comparison: Comparison | None = None,
    formats: Sequence[str] = (),
    title: str | None = None,
    story: bool = True,
    story_openings: int | None = None,
) -> list[Path]:
    """Write a 16:9 PowerPoint deck of ``result`` to ``path`` (a ``.pptx`` file).

    The slides: a title slide; a slide per chart of the run; with ``story``, a job-search
    slide and a what-if slide (simulated here, ``story_openings`` per point:
    :func:`~simfunnel.present.deck.slides.story_slides`); a slide per compared scenario;
    a closing slide with three takeaways; an appendix with the settings behind the
    numbers (their scenario keys and sources in its notes).

    Parameters
    ----------
    result : Result
        What :func:`simfunnel.simulate` returned (or :func:`simfunnel.load_result`).
    path : str or Path
        The deck; its folder must exist. Written atomically (temporary file, rename).
    comparison : Comparison, optional
        What :func:`simfunnel.compare` returned: adds one slide per compared scenario.
    formats : sequence of {"png", "svg", "pdf"}
        Also keep every chart, with its title, in ``<stem>_charts/`` beside the deck.
    title : str, optional
        The title slide's title (default: the scenario's name).
    story : bool
        Add the job-search and what-if slides (a few seconds of simulation).
    story_openings : int, optional
        Openings per point of those two slides.

    Returns
    -------
    list of Path
        The deck, then the chart files kept.

    Raises
    ------
    InputError
        A path that cannot be written, or python-pptx missing (one line).
    """
    require_pptx()
    formats = tuple(f.lower() for f in formats)
    path = check_deck_path(path, formats)
    slides = chart_slides(result, comparison)
    if story:
        at = next((i for i, s in enumerate(slides) if s.name.startswith("compare_")), len(slides))
        slides[at:at] = story_slides(result, story_openings)
    presentation = _presentation(result, slides, comparison, title)
    kept: list[Path] = []
    if formats:
        target = charts_folder(path)
        with OutputFolder(target, "deck", label="--out ") as folder:
            for number, slide in enumerate(slides, start=1):
                written = save_chart(
                    plot_output, slide.output, folder.path / f"{number:02d}_{slide.name}", formats
                )
                kept += [target / p.name for p in written]
            atomic_write(path, presentation.save)
            folder.commit()
    else:
        atomic_write(path, presentation.save)
    return [path, *kept]


def _presentation(
    result: Result, slides: list[Slide], comparison: Comparison | None, title: str | None
) -> Any:
    from pptx import Presentation
    from pptx.util import Inches

    presentation = Presentation()
    presentation.slide_width = Inches(SLIDE_WIDTH_IN)
    presentation.slide_height = Inches(SLIDE_HEIGHT_IN)
    core = presentation.core_properties
    core.title = title or scenario_title(result)
    core.author = core.last_modified_by = f"simfunnel {__version__}"
    core.comments = ""
    _title_slide(presentation, result, comparison, title)
    width, height = picture_size()
    # One title size for the whole deck (the largest every title fits at).
    size = deck_title_size([slide.output.finding for slide in slides] + [CLOSING, APPENDIX])
    for slide in slides:
        page = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
        _set_title(page.shapes.title, slide.output.finding, size)
        # The chart's left edge under the title's first letter.
        page.shapes.add_picture(
            io.BytesIO(chart_png(slide.output)),
            Inches(MARGIN_IN),
            Inches(PICTURE_TOP_IN),
            Inches(width),
            Inches(height),
        )
        page.notes_slide.notes_text_frame.text = slide.notes
    _text_slide(presentation, CLOSING, takeaways(slides), size, numbered=True)
    keys = list(dict.fromkeys(k for s in slides for k in SLIDE_KEYS.get(s.name, ())))
    settings = appendix_settings(result, keys)
    page = _text_slide(presentation, APPENDIX, settings, size, columns=2, font_pt=14)
    shown = [(s.output, SLIDE_METRICS.get(s.name, ())) for s in slides]
    page.notes_slide.notes_text_frame.text = appendix_notes(result, keys, shown)
    return presentation


CLOSING = "Three things to take away"
APPENDIX = "Appendix: the settings behind these numbers"


def takeaways(slides: Sequence[Slide]) -> list[str]:
    """The closing slide's three points: how rare an offer is (the funnel), why good
    interviews lose (loss reasons), and what would change it (the what-if, else the
    first comparison, else how the interview felt); each a slide's finding."""
    findings = {slide.name: slide.output.finding for slide in slides}
    third = findings.get("what_if") or next(
        (f for n, f in findings.items() if n.startswith("compare_")), findings.get("felt_vs_actual")
    )
    points = [findings.get("funnel"), findings.get("loss_reasons"), third]
    points = [p for p in points if p]
    extra = [f for f in findings.values() if f not in points]
    return (points + extra)[:3]


def _text_slide(
    presentation: Any,
    title: str,
    lines: Sequence[str],
    size: int,
    *,
    numbered: bool = False,
    columns: int = 1,
    font_pt: float = 28,
) -> Any:
    """A slide of text under a title: numbered points, or lines in ``columns``."""
    from pptx.enum.text import MSO_ANCHOR
    from pptx.util import Inches, Pt

    page = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
    _set_title(page.shapes.title, title, size)
    gap = 0.3
    width = (SLIDE_WIDTH_IN - 2 * MARGIN_IN - gap * (columns - 1)) / columns
    per_column = -(-len(lines) // columns) if lines else 0
    for column in range(columns):
        chunk = lines[column * per_column : (column + 1) * per_column]
        box = page.shapes.add_textbox(
            Inches(MARGIN_IN + column * (width + gap)), Inches(PICTURE_TOP_IN + 0.2),
            Inches(width), Inches(SLIDE_HEIGHT_IN - PICTURE_TOP_IN - 0.6),
        )  # fmt: skip
        frame = box.text_frame
        frame.word_wrap = True
        frame.vertical_anchor = MSO_ANCHOR.TOP
        frame.margin_left = frame.margin_right = Inches(TEXT_INSET_IN)
        for i, line in enumerate(chunk):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            number = column * per_column + i + 1
            paragraph.text = f"{number}.  {line}" if numbered else line
            paragraph.space_after = Pt(font_pt * (0.9 if numbered else 0.25))
            _font(paragraph.runs[0].font, font_pt, DARK if numbered else GREY_TEXT,
                  bold=numbered)  # fmt: skip
    if numbered:
        page.notes_slide.notes_text_frame.text = "SAY\n" + "\n".join(
            f"{i}. {line}." for i, line in enumerate(lines, start=1)
        )
    return page


def _set_title(shape: Any, text: str, size: int | None = None) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches

    shape.left, shape.top = Inches(MARGIN_IN), Inches(TITLE_TOP_IN)
    shape.width = Inches(SLIDE_WIDTH_IN - 2 * MARGIN_IN)
    shape.height = Inches(TITLE_HEIGHT_IN)
    frame = shape.text_frame
    shown, size = title_layout(text, size)
    frame.text = shown
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.BOTTOM
    frame.margin_left = frame.margin_right = Inches(TEXT_INSET_IN)
    paragraph = frame.paragraphs[0]
    paragraph.alignment = PP_ALIGN.LEFT
    for run in paragraph.runs:
        _font(run.font, size, DARK, bold=True)


def _font(font: Any, size: float, colour: tuple[int, int, int], bold: bool = False) -> None:
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    font.name, font.size, font.bold = FONT, Pt(size), bold
    font.color.rgb = RGBColor(*colour)


def _title_slide(
    presentation: Any, result: Result, comparison: Comparison | None, title: str | None
) -> None:
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches

    scenario = result.scenario
    page = presentation.slides.add_slide(presentation.slide_layouts[0])
    left = Inches(MARGIN_IN + 0.35)
    width = Inches(SLIDE_WIDTH_IN - 2 * MARGIN_IN - 0.35)
    bar = page.shapes.add_shape(
        MSO_SHAPE.RECTANGLE, Inches(MARGIN_IN), Inches(1.9), Inches(0.12), Inches(3.6)
    )
    bar.fill.solid()
    bar.fill.fore_color.rgb = RGBColor(*RGB_BLUE)
    bar.line.fill.background()
    kicker = page.shapes.add_textbox(left, Inches(1.85), width, Inches(0.5)).text_frame
    kicker.text = KICKER if (title or "").strip().upper() != KICKER else ""
    kicker.word_wrap = True
    kicker.margin_left = Inches(TEXT_INSET_IN)
    kicker.paragraphs[0].alignment = PP_ALIGN.LEFT
    _font(kicker.paragraphs[0].runs[0].font, 20, RGB_BLUE, bold=True)
    heading = page.shapes.title
    heading.left, heading.top, heading.width, heading.height = (
        left,
        Inches(2.35),
        width,
        Inches(1.2),
    )
    text = title or scenario_title(result)
    heading.text_frame.text = text
    heading.text_frame.word_wrap = True
    heading.text_frame.vertical_anchor = MSO_ANCHOR.MIDDLE
    heading.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT
    _font(heading.text_frame.paragraphs[0].runs[0].font, 44, DARK, bold=True)

    body = page.placeholders[1]
    body.left, body.top, body.width, body.height = left, Inches(3.6), width, Inches(2.0)
    frame = body.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    lines = [(scenario.description or "A simulated hiring funnel.", 26, DARK)]
    # What the room needs; the seed, the version and how to reproduce are in the notes.
    lines.append(
        (f"{openings_of(result):,} simulated job openings · 95% confidence intervals", 20,
         GREY_TEXT)
    )  # fmt: skip
    changed = [
        f"{key_label(k)} set to {setting_value(v)}"
        for k, v in recorded_overrides(result).items()
        if k != "name"
    ]
    if changed:
        lines.append((f"Changed: {'; '.join(changed)}", 20, GREY_TEXT))
    if comparison is not None:
        others = [scenario_label(r.scenario.name) for r in comparison.results[1:]]
        lines.append((f"Compared with: {', '.join(others)}", 20, GREY_TEXT))
    frame.text = lines[0][0]
    for i, (line, size, colour) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.space_after = Inches(0.08)
        _font(paragraph.runs[0].font, size, colour)
    page.notes_slide.notes_text_frame.text = title_notes(result)
