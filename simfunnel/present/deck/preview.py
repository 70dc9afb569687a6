"""Pictures of a written deck's slides, to look at without PowerPoint or LibreOffice.

``slide_images("talk.pptx", "slides/")`` reads the deck back with python-pptx and draws
each slide as a PNG with Matplotlib: the pictures where they sit, the text boxes with
their fonts' sizes, weights and colours, wrapped to their boxes' widths (measured with
the font metrics the title layout uses). It is a proof of the layout, not a renderer of
every PowerPoint feature: it draws what simfunnel's decks contain.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from simfunnel.io.files import atomic_write
from simfunnel.present.deck.layout import _text_width

EMU_PER_IN = 914_400
# Liberation Sans has the widths of Arial, the deck's font: a preview wraps as the deck.
FONTS = ["Liberation Sans", "DejaVu Sans"]


def _inches(emu: int | None) -> float:
    return (emu or 0) / EMU_PER_IN


def _wrap(text: str, size: float, width_in: float) -> list[str]:
    lines = []
    for paragraph in text.split("\v"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if line and _text_width(candidate, size) > 72 * width_in:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines


def _draw_text(ax, shape, height_in: float) -> None:
    from pptx.enum.text import MSO_ANCHOR

    frame = shape.text_frame
    left = _inches(shape.left) + _inches(frame.margin_left)
    width = _inches(shape.width) - _inches(frame.margin_left) - _inches(frame.margin_right)
    rows = []  # (text, size, bold, colour, space after in inches)
    for paragraph in frame.paragraphs:
        run = paragraph.runs[0] if paragraph.runs else None
        font = run.font if run is not None else None
        size = font.size.pt if font is not None and font.size else 18.0
        bold = bool(font.bold) if font is not None else False
        colour = "#222222"
        if font is not None and font.color and font.color.type is not None:
            colour = f"#{font.color.rgb}"
        after = paragraph.space_after.pt / 72 if paragraph.space_after is not None else 0.0
        for line in _wrap(paragraph.text, size, width) if paragraph.text else [""]:
            rows.append((line, size, bold, colour, 0.0))
        rows[-1] = (*rows[-1][:4], after)
    total = sum(1.2 * size / 72 + after for _, size, _, _, after in rows)
    top = _inches(shape.top) + _inches(frame.margin_top)
    if frame.vertical_anchor == MSO_ANCHOR.BOTTOM:
        top = _inches(shape.top) + _inches(shape.height) - _inches(frame.margin_bottom) - total
    elif frame.vertical_anchor == MSO_ANCHOR.MIDDLE:
        top = _inches(shape.top) + (_inches(shape.height) - total) / 2
    y = top
    for line, size, bold, colour, after in rows:
        ax.text(left, y, line, fontsize=size, fontweight="bold" if bold else "normal",
                color=colour, va="top", ha="left", family=FONTS)  # fmt: skip
        y += 1.2 * size / 72 + after


def _register_fonts() -> None:
    """Make Liberation Sans known to Matplotlib if the system has it (installed after
    Matplotlib built its font cache, it would otherwise fall back to wider DejaVu)."""
    from matplotlib import font_manager

    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if Path(path).name.startswith(("LiberationSans-", "Arial")) and path not in known:
            font_manager.fontManager.addfont(path)


def slide_images(deck: str | Path, folder: str | Path, dpi: int = 80) -> list[Path]:
    """Draw every slide of ``deck`` as ``slide_NN.png`` in ``folder``; returns the files.

    At the default 80 dpi a slide is 1067 x 600 px: enough to check that nothing
    overlaps, runs off the slide or is too small to read from the back of a room.
    """
    from PIL import Image
    from pptx import Presentation

    _register_fonts()
    presentation = Presentation(str(deck))
    width, height = _inches(presentation.slide_width), _inches(presentation.slide_height)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, slide in enumerate(presentation.slides, start=1):
        figure = Figure(figsize=(width, height), dpi=dpi)
        ax = figure.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        ax.axis("off")
        for shape in slide.shapes:
            left, top = _inches(shape.left), _inches(shape.top)
            right, bottom = left + _inches(shape.width), top + _inches(shape.height)
            if shape.shape_type == 13:  # a picture
                image = np.asarray(Image.open(io.BytesIO(shape.image.blob)).convert("RGB"))
                ax.imshow(image, extent=(left, right, bottom, top), interpolation="antialiased")
            elif shape.shape_type == 1 and shape.fill.type == 1:  # a filled rectangle
                colour = f"#{shape.fill.fore_color.rgb}"
                ax.add_patch(Rectangle((left, top), right - left, bottom - top, color=colour))
            if shape.has_text_frame and shape.text_frame.text.strip():
                _draw_text(ax, shape, height)
        ax.set_xlim(0, width)
        ax.set_ylim(height, 0)
        path = folder / f"slide_{number:02d}.png"
        atomic_write(path, lambda p, f=figure: f.savefig(p, format="png", dpi=dpi))
        written.append(path)
    return written
