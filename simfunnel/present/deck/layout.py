"""Where things sit on a 16:9 slide, and how a slide title is fitted to it.

Titles are measured with the font metrics Matplotlib ships (no python-pptx and no
installed fonts needed), so a title's size and line break are the same on every machine.
"""

from __future__ import annotations

import functools
from pathlib import Path

import matplotlib as mpl

SLIDE_WIDTH_IN, SLIDE_HEIGHT_IN = 13.333, 7.5  # 16:9, PowerPoint's widescreen size
MARGIN_IN = 0.6
TITLE_TOP_IN, TITLE_HEIGHT_IN = 0.25, 1.25
TITLE_SIZES_PT = (32, 30, 28, 26, 24)  # tried largest first (see title_size)
TITLE_MAX_LINES = 2
ONE_LINE_MIN_PT = 28  # a title shrinks to this to stay on one line, no further
TEXT_INSET_IN = 0.1  # PowerPoint's default inner margin of a text box, left and right
PICTURE_TOP_IN = 1.6
PICTURE_BOTTOM_IN = 0.2
# Charts are drawn this much larger than their place on the slide and shrunk to fit:
# at 1.0 the talk style's 18 pt labels would crowd the plot, at 1.3 (the full-slide
# figure) they would shrink to 14 pt. At 1.12 they show at 16 pt.
CHART_SCALE = 1.12
# Titles are measured with the widths of Helvetica Bold, which Arial Bold shares glyph for
# glyph, from the Adobe font metrics that Matplotlib ships: the same on every machine,
# whatever fonts are installed. 3% is left for rendering differences.
METRICS_FILE = Path(mpl.get_data_path(), "fonts", "afm", "phvb8a.afm")
WIDTH_MARGIN = 1.03
GLYPH_NAMES = {"–": "endash", "—": "emdash", "·": "periodcentered", "’": "quoteright"}


def picture_size() -> tuple[float, float]:
    """Width and height (inches) of a chart on its slide: under the title, as wide as
    the title (from margin to margin), down to the bottom margin. The chart is drawn
    for this shape (about 2.1:1), so it fills the slide instead of leaving a third of
    it empty beside a 16:9 picture."""
    height = SLIDE_HEIGHT_IN - PICTURE_TOP_IN - PICTURE_BOTTOM_IN
    return SLIDE_WIDTH_IN - 2 * MARGIN_IN, height


def title_lines(text: str, size_pt: float, width_in: float) -> int:
    """Lines ``text`` takes when wrapped at spaces in ``width_in`` at ``size_pt`` (bold),
    measured with a font at least as wide as the deck's."""
    width_pt = 72 * width_in
    lines, current = 1, ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and _text_width(candidate, size_pt) > width_pt:
            lines, current = lines + 1, word
        else:
            current = candidate
    return lines


@functools.cache
def _glyph_widths() -> tuple[dict[str, float], float]:
    """Character -> advance width (in ems) of Helvetica Bold, and the widest (for others)."""
    by_code, by_name = {}, {}
    for line in METRICS_FILE.read_text(encoding="latin-1").splitlines():
        if not line.startswith("C "):
            continue
        fields = dict(part.strip().split(" ", 1) for part in line.split(";") if part.strip())
        width = float(fields["WX"]) / 1000
        by_name[fields["N"]] = width
        if 32 <= int(fields["C"]) < 127:
            by_code[chr(int(fields["C"]))] = width
    by_code.update({char: by_name[name] for char, name in GLYPH_NAMES.items()})
    return by_code, max(by_code.values())


def _text_width(text: str, size_pt: float) -> float:
    """Width in points of ``text`` in the deck's bold title font at ``size_pt``."""
    widths, widest = _glyph_widths()
    return WIDTH_MARGIN * size_pt * sum(widths.get(char, widest) for char in text)


def title_text_width() -> float:
    """Width (inches) a slide title wraps in."""
    return SLIDE_WIDTH_IN - 2 * MARGIN_IN - 2 * TEXT_INSET_IN


def title_size(text: str) -> int:
    """The size of a slide title: the largest of :data:`TITLE_SIZES_PT` at which it fits
    on one line, down to :data:`ONE_LINE_MIN_PT`; else the largest at which it fits in
    two lines (the smallest size if it fits in none)."""
    width = title_text_width()
    for size in TITLE_SIZES_PT:
        if size >= ONE_LINE_MIN_PT and title_lines(text, size, width) == 1:
            return size
    for size in TITLE_SIZES_PT:
        if title_lines(text, size, width) <= TITLE_MAX_LINES:
            return size
    return TITLE_SIZES_PT[-1]


def deck_title_size(titles: list[str]) -> int:
    """One size for every chart slide's title: the largest at which each of ``titles``
    fits (:func:`title_size`), so titles do not change size from slide to slide."""
    return min((title_size(t) for t in titles), default=TITLE_SIZES_PT[0])


def title_layout(text: str, size: int | None = None) -> tuple[str, int]:
    """The slide title as shown and its size: ``size``, or the largest size at which it
    fits in two lines, and, when it needs two, broken where the lines come out most even
    (so the second line is never one orphan word). The break is a vertical tab,
    python-pptx's line break within a paragraph."""
    size = size or title_size(text)
    if title_lines(text, size, title_text_width()) < 2:
        return text, size
    words = text.split()
    cut = min(
        range(1, len(words)),
        key=lambda i: max(
            _text_width(" ".join(words[:i]), size), _text_width(" ".join(words[i:]), size)
        ),
    )
    return " ".join(words[:cut]) + "\v" + " ".join(words[cut:]), size
