"""Talk style, headline and number formatting shared by every chart."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from simfunnel.metrics import (
    METRICS,
    applicant_percentile,
)
from simfunnel.metrics import label as metric_label

STYLE_PATH = Path(__file__).with_name("talk.mplstyle")

# Okabe-Ito (the style's colour cycle, named for the roles they play here).
BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
PURPLE, SKY, GREY = "#CC79A7", "#56B4E9", "#777777"
NOTE_COLOUR = "#555555"
RANGE_COLOUR = "#C8C8C8"  # the range over parameter uncertainty: pale, behind the CI
COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, "#000000")  # one per series

PNG_DPI = 200
# Metadata that would otherwise stamp the render time into the file.
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "png": {"dpi": PNG_DPI, "metadata": {"Software": None}},
    "svg": {"metadata": {"Date": None}},
    "pdf": {"metadata": {"CreationDate": None, "ModDate": None}},
}


# --------------------------------------------------------------------------- style
def _rc(style: Mapping[str, Any]) -> dict[str, Any]:
    """rcParams from ``**style``: exact keys, or keys with '.' written as '_'."""
    aliases = {key.replace(".", "_"): key for key in mpl.rcParams}
    rc = {}
    for key, value in style.items():
        name = key if key in mpl.rcParams else aliases.get(key)
        if name is None:
            raise TypeError(f"unknown style option {key!r}: not a matplotlib rcParam")
        rc[name] = value
    return rc


@contextmanager
def talk_style(**style: Any) -> Iterator[None]:
    """The talk style (plus ``**style`` rcParams) for the duration of a ``with`` block.

    Everything is restored on exit except the interactive flag: pyplot may switch it on
    when it first resolves its backend inside the block (Jupyter's inline backend does),
    and undoing that would stop every later figure of the session from being shown.
    """
    with plt.style.context([str(STYLE_PATH), _rc(style)]):
        try:
            yield
        finally:
            interactive = mpl.is_interactive()
    mpl.interactive(interactive)


def _axes(ax: Axes | None) -> Axes:
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _draw_headline(
    ax: Axes,
    finding: str,
    note: str,
    title: str | None = None,
    subtitle: str | None = None,
) -> None:
    """Title (the finding) with a grey subtitle under it, both wrapped to fit the figure.

    ``title``/``subtitle`` replace the finding and the note (a speaker's own words).
    The title is left-aligned with the axes; it may run on to the figure's right edge
    (to the axes' right edge when the figure has several axes). Lines are broken at
    spaces and never end a paragraph on one orphan word. Call it last: the width left
    for the title depends on the tick labels already drawn.
    """
    note = note if subtitle is None else subtitle
    figure = ax.get_figure(root=True)
    # Lay the axes out before the title is set: a long title, not yet wrapped, would make
    # constrained layout squeeze the axes, and it does not give the width back at once.
    figure.draw_without_rendering()
    box = ax.get_window_extent()
    margin = 0.02 * figure.bbox.width
    # With several axes, a title wider than its axes would make the layout shrink them.
    right = box.x1 - 2 * margin if len(figure.axes) > 1 else figure.bbox.x1 - margin
    available = right - box.x0
    heading = ax.set_title(title if title is not None else finding)
    _wrap(heading, available)
    _subtitle(ax, note, available, heading.get_text())


def _subtitle(ax: Axes, note: str, available: float, title: str = "") -> int:
    """The grey note just above the axes, wrapped to ``available`` px, and ``title``
    above it; returns the note's lines."""
    note_size = 0.8 * mpl.rcParams["font.size"]
    subtitle = ax.annotate(
        note,
        xy=(0, 1),
        xycoords="axes fraction",
        xytext=(0, 8),
        textcoords="offset points",
        ha="left",
        va="bottom",
        fontsize=note_size,
        color=NOTE_COLOUR,
        annotation_clip=False,
    )
    _wrap(subtitle, available)
    lines = subtitle.get_text().count("\n") + 1 if note else 0
    # Clear of the subtitle: its lines are 1.2 font sizes apart, plus a gap of 6 pt.
    ax.set_title(title, pad=18 + 1.3 * note_size * lines)
    return lines


def note_only(ax: Axes, note: str, left: float) -> int:
    """The note alone above the axes under an empty title (the live app shows the finding
    above the chart), wrapped as :func:`headline` wraps it for axes whose left edge is
    at ``left`` px: without the layout pass that measures it (the app knows it from its
    last frame). Returns the note's lines."""
    figure = ax.get_figure(root=True)
    right = figure.bbox.x1 - 0.02 * figure.bbox.width
    return _subtitle(ax, note, right - left)


def headline(
    ax: Axes, finding: str, note: str, title: str | None = None, subtitle: str | None = None
) -> None:
    """The finding as the title and the note under it, wrapped to fit the figure.

    ``title``/``subtitle`` replace the finding and the note (a speaker's own words). A
    computed title that wraps to two lines with a short last line is broken in the
    middle instead, so neither line looks like an afterthought. Call it last: the
    width left for the title depends on the tick labels already drawn.
    """
    note = note if subtitle is None else subtitle
    if title == "" and note == "":  # nothing to wrap: skip the layout pass it needs
        ax.set_title("")
        return
    _draw_headline(ax, finding, note, title)
    lines = ax.get_title(loc="left").split("\n")
    if title is not None or len(lines) != 2 or len(lines[-1]) > 0.35 * len(lines[0]):
        return
    ax.texts[-1].remove()  # the subtitle, drawn again below
    words = finding.split(" ")
    cut = min(
        range(1, len(words)),
        key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))),
    )
    _draw_headline(ax, " ".join(words[:cut]) + "\n" + " ".join(words[cut:]), note)


def _wrap(text: Any, width: float) -> None:
    """Re-break each line of ``text`` at spaces so that no line is wider than ``width`` px,
    and no wrapped paragraph ends on a single orphan word."""
    lines = []
    for paragraph in text.get_text().split("\n"):
        words = paragraph.split(" ")
        broken = _break(text, words, width) if "" not in words else _greedy(text, words, width)
        if len(broken) > 1 and " " not in broken[-1]:
            # An orphan: take the previous line's last word down to keep it company.
            *head, last = broken[-2].split(" ")
            if head and _width(text, f"{last} {broken[-1]}") <= width:
                broken[-2], broken[-1] = " ".join(head), f"{last} {broken[-1]}"
        lines += broken
    text.set_text("\n".join(lines))


def _greedy(text: Any, words: list[str], width: float) -> list[str]:
    """Words onto lines one at a time: a word that would make its line wider than
    ``width`` starts the next one (a line's first word always fits)."""
    broken = [""]
    for word in words:
        candidate = f"{broken[-1]} {word}" if broken[-1] else word
        if broken[-1] and _width(text, candidate) > width:
            broken.append(word)
        else:
            broken[-1] = candidate
    return broken


def _break(text: Any, words: list[str], width: float) -> list[str]:
    """The lines :func:`_greedy` makes of non-empty ``words``, each found by bisection: a
    line's width only grows with its words, so the longest run that fits is the one the
    greedy loop stops at, in a few measurements instead of one per word (text layout is
    slow; the live explorer wraps its note every frame)."""
    lines, first = [], 0
    while first < len(words):
        low, high = first + 1, len(words)  # words[first:low] always goes on the line
        while low < high:
            middle = (low + high + 1) // 2
            if _width(text, " ".join(words[first:middle])) <= width:
                low = middle
            else:
                high = middle - 1
        lines.append(" ".join(words[first:low]))
        first = low
    return lines


def _width(text: Any, content: str) -> float:
    text.set_text(content)
    return text.get_window_extent().width


def _pct(value: float, digits: int = 0) -> str:
    return f"{100 * value:.{digits}f}%"


def _one_in(rate: float) -> int:
    return round(1 / rate)


def exact_decimals(values: Any, most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that write every one of ``values`` exactly:
    0 for 10, 20, 30; 1 for 2.5, 7.5, 12.5 (never "2%" for 2.5%)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    for digits in range(most + 1):
        if np.allclose(np.round(values, digits), values, rtol=0, atol=1e-6):
            return digits
    return most


class PercentTicks(mpl.ticker.Formatter):
    """Percent tick labels that equal their ticks: the decimals come from the ticks shown
    (their step), so 2.5%, 7.5%, 12.5% read so, and 10%, 20% carry no needless ".0".

    Matplotlib's PercentFormatter picks decimals from the axis range and rounds 2.5% to
    "2%"; this one is the only percent formatter the charts use.
    """

    def format_ticks(self, values: Any) -> list[str]:
        values = np.asarray(values, dtype=float)
        shown = values
        if self.axis is not None and len(values):  # locators add a tick beyond each end
            low, high = sorted(np.asarray(self.axis.get_view_interval(), dtype=float))
            span = 1e-9 * max(abs(high - low), 1e-12)
            inside = values[(values >= low - span) & (values <= high + span)]
            shown = inside if len(inside) else values
        digits = exact_decimals(100 * shown)
        return [self._text(value, digits) for value in values]

    def __call__(self, value: float, pos: Any = None) -> str:
        return self._text(value, exact_decimals([100 * value]))

    @staticmethod
    def _text(value: float, digits: int) -> str:
        text = f"{100 * value:.{digits}f}"
        return ("0" if float(text) == 0 else text) + "%"


def _percent_axis(axis: Any) -> None:
    """Ticks as percentages that equal their values (:class:`PercentTicks`)."""
    axis.set_major_formatter(PercentTicks())


def _unit(metric: str) -> str:
    """``"rate"`` (a share, shown in %), ``"count"`` (per opening) or ``"value"`` (SD)."""
    return {"share": "rate", "per_opening": "count", "sd": "value"}[METRICS[metric].unit]


def _axis_label(metric: str) -> str:
    entry = METRICS.get(metric)
    return entry.axis_label if entry else metric_label(metric)


def _rate_digits(values: np.ndarray) -> int:
    """Whole percentages unless the values are small or close together."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0
    return 1 if values.min() < 0.1 or np.ptp(values) < 0.03 else 0


def _format_axis(metric: str, axis: Any) -> None:
    """Percentages for rates, with as many decimals as the tick spacing needs."""
    if _unit(metric) == "rate":
        _percent_axis(axis)


def as_percentile(value: float) -> str:
    """A value in SDs of applicant quality as the percentile of the applicant pool it
    equals: 1.19 -> "88th" (:func:`simfunnel.metrics.applicant_percentile`)."""
    return applicant_percentile(value)


def lay_value(metric: str, value: float, digits: int = 1) -> str:
    """A metric's value for a lay slide: percentages for shares, a mean hire value as
    the percentile of applicants it equals ("as good as the 88th-percentile applicant"
    is what 1.19 SD means), never "SD"."""
    entry = METRICS.get(metric)
    if entry is not None and entry.unit == "sd":
        return f"{as_percentile(value)} pct"
    return entry.format(value, digits) if entry is not None else f"{value:.3g}"


def make_room_for_labels(ax: Axes, texts: Any, rounds: int = 4) -> None:
    """Widen the x-axis until every one of ``texts`` (labels at bar ends, placed in
    offset points) lies inside the axes, so none runs into the tick labels or off the
    figure. Each round measures the labels at the current scale and widens by what
    sticks out (the labels keep their size in points as the scale changes)."""
    figure = ax.get_figure(root=True)
    for _ in range(rounds):
        figure.draw_without_rendering()
        box = ax.get_window_extent()
        left = min((t.get_window_extent().x0 for t in texts), default=box.x0)
        right = max((t.get_window_extent().x1 for t in texts), default=box.x1)
        over_left, over_right = max(0.0, box.x0 + 4 - left), max(0.0, right - box.x1 + 4)
        if not (over_left or over_right):
            return
        low, high = ax.get_xlim()
        per_pixel = (high - low) / box.width
        # Widening by the overhang also shrinks everything else: widen by a bit more.
        ax.set_xlim(low - 1.3 * over_left * per_pixel, high + 1.3 * over_right * per_pixel)


def draw_ranges(
    ax: Axes, at: np.ndarray, low: np.ndarray, high: np.ndarray, *, horizontal: bool
) -> None:
    """Pale, wide bars from ``low`` to ``high`` (the range over parameter uncertainty),
    drawn behind the bars and their CIs; NaN ends draw nothing."""
    known = np.isfinite(low) & np.isfinite(high)
    draw = ax.hlines if horizontal else ax.vlines
    draw(at[known], low[known], high[known], colors=RANGE_COLOUR, lw=9, zorder=2.5,
         capstyle="butt")  # fmt: skip
