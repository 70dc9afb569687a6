"""The live explorer's frames as PNG, with the rendered text of one frame kept for the next.

Drawing a frame of a chart is mostly drawing its text: Matplotlib's Agg renderer asks
FreeType for every glyph of every label again (about 600 glyphs, some 0.1 s of a
1440 x 810 px frame). Between two frames of a live explorer most of the text is the
same string at the same pixel position (tick labels, the key, the axis label, the
note's first lines: the layout is kept, :meth:`Explorer._lay_out`). :class:`TextCache`
keeps, per string, font, angle and exact position, the glyph bitmaps Agg blended
and where; a frame that draws the same text there blends the same bitmaps again in
the colour it asks for. The PNG is the same, pixel for pixel
(``tests/test_explorer.py``); only FreeType's work is saved.

Where Agg does not hand the renderer plain bitmaps (Matplotlib before 3.10 passes its
font object), nothing is kept and every text is drawn as usual.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure

MAX_TEXTS = 4_000  # strings kept (a frame has ~50); all dropped when full


class TextCache:
    """Glyph bitmaps by ``(string, font, angle, position, canvas)``, for any number of
    frames of the same size."""

    def __init__(self) -> None:
        self._glyphs: dict[tuple, list[tuple[np.ndarray, int, int, float]] | None] = {}
        self._renderers: dict[tuple, RendererAgg] = {}
        self.hits = self.misses = 0

    def renderer(self, width: int, height: int, dpi: float) -> RendererAgg:
        """One renderer per size for every frame: Matplotlib keeps text extents per
        renderer, so the layout of a frame measures only the strings that are new."""
        key = (width, height, dpi)
        if key not in self._renderers:
            self._renderers[key] = _CachingRenderer(width, height, dpi, self)
        return self._renderers[key]

    def attach(self, figure: Figure) -> Figure:
        """Draw ``figure`` (its layout passes too) with this cache's renderer."""
        _Canvas(figure, self)
        return figure


class _Recorder:
    """Stands in for Agg's C renderer while a text is drawn: passes every call on and
    notes the glyph bitmaps blended."""

    def __init__(self, renderer: Any) -> None:
        self._renderer = renderer
        self.glyphs: list[tuple[np.ndarray, int, int, float]] | None = []

    def draw_text_image(self, image: Any, x: int, y: int, angle: float, gc: Any) -> None:
        if self.glyphs is not None:
            if isinstance(image, np.ndarray):
                self.glyphs.append((image.copy(), x, y, angle))
            else:  # a font object whose bitmap changes: nothing to keep
                self.glyphs = None
        self._renderer.draw_text_image(image, x, y, angle, gc)

    def draw_path(self, *args: Any) -> None:
        self.glyphs = None  # boxes (mathtext's rules): drawn as usual every time
        self._renderer.draw_path(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._renderer, name)


class _CachingRenderer(RendererAgg):
    def __init__(self, width: int, height: int, dpi: float, cache: TextCache) -> None:
        super().__init__(width, height, dpi)
        self._cache = cache

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: Any,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        if ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        features = mtext.get_fontfeatures() if hasattr(mtext, "get_fontfeatures") else None
        language = mtext.get_language() if hasattr(mtext, "get_language") else None
        key = (
            s,
            hash(prop),
            str(prop),
            float(angle),
            float(x),
            float(y),
            bool(gc.get_antialiased()),
            None if features is None else tuple(features),
            language if isinstance(language, str | None) else str(language),
            self.width,
            self.height,
            self.dpi,
        )
        glyphs = self._cache._glyphs.get(key)
        if glyphs is not None:
            self._cache.hits += 1
            for image, gx, gy, gangle in glyphs:
                self._renderer.draw_text_image(image, gx, gy, gangle, gc)
            return
        self._cache.misses += 1
        recorder = _Recorder(self._renderer)
        self._renderer = recorder
        try:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            self._renderer = recorder._renderer
        if len(self._cache._glyphs) >= MAX_TEXTS:
            self._cache._glyphs.clear()
        self._cache._glyphs[key] = recorder.glyphs


class _Canvas(FigureCanvasAgg):
    """An Agg canvas whose renderer keeps text (:class:`TextCache`)."""

    def __init__(self, figure: Figure, cache: TextCache) -> None:
        super().__init__(figure)
        self._text_cache = cache

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key:
            self.renderer = self._text_cache.renderer(w, h, self.figure.dpi)
            self._lastKey = key
        return self.renderer


def frame_png(figure: Figure, cache: TextCache | None = None) -> bytes:
    """``figure`` as PNG at its own dpi (no timestamp), its text from ``cache``."""
    from simfunnel.present.charts.style import talk_style

    if cache is not None and not isinstance(figure.canvas, _Canvas):
        cache.attach(figure)
    buffer = io.BytesIO()
    with talk_style():
        figure.savefig(
            buffer,
            format="png",
            dpi=figure.dpi,
            metadata={"Software": None},
            pil_kwargs={"compress_level": 1},  # a few kB more, sent on localhost: faster
        )
    return buffer.getvalue()
