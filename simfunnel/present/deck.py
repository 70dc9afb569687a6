"""A 16:9 slide deck of a run: one slide per chart, the finding as its title.

``build_deck(result, "talk.pptx")`` writes a PowerPoint deck (python-pptx, the
optional extra ``simfunnel[deck]``):

- a title slide: the scenario's name and story, the openings simulated and the seed;
- one slide per chart the result supports (:func:`~simfunnel.present.charts.render.
  supported_charts`), titled with the chart's finding, with the chart (drawn by the
  chart code, without its own title: the slide title states it) and speaker notes:
  the numbers with their 95% CIs (from the output's ``.to_df()``), the definitions of
  the words on the slide (from :mod:`simfunnel.metrics`) and where the values that
  drive the chart come from (the scenario keys' descriptions and citations);
- with ``comparison=`` (what :func:`simfunnel.compare` returns), one slide per
  compared scenario: its paired differences against the first.

The deck is written to a temporary file beside ``path`` and renamed, so a failure
never leaves half a deck; ``formats=("svg", "pdf")`` also keeps every chart (with
its title) in the folder ``<stem>_charts/`` beside the deck, written whole or not at
all. Nothing is written anywhere else: chart images go into the deck from memory.
"""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from simfunnel import __version__
from simfunnel.analysis.comparison import Comparison
from simfunnel.analysis.outputs import (
    RUN_OUTPUTS,
    Differences,
    FeltVsActual,
    Funnel,
    LossReasons,
    Margins,
    OfferProbability,
    Output,
    Seasonality,
)
from simfunnel.analysis.outputs.compare import scenario_label
from simfunnel.analysis.result import Result
from simfunnel.analysis.summary import FUNNEL_STAGES
from simfunnel.errors import InputError, NothingToChartError
from simfunnel.io.files import OutputFolder, atomic_write
from simfunnel.metrics import LOSS_REASONS, METHOD_DEFINITIONS, METRICS, key_label
from simfunnel.model.scenario import Scenario, describe_keys
from simfunnel.present.charts.render import save_chart, supported_charts
from simfunnel.present.charts.style import BLUE, PNG_DPI, talk_style

DECK_SUFFIX = ".pptx"
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
FONT = "Arial"  # on every PowerPoint; LibreOffice shows it as the metric-equal Liberation Sans
# Titles are measured with the widths of Helvetica Bold, which Arial Bold shares glyph for
# glyph, from the Adobe font metrics that Matplotlib ships: the same on every machine,
# whatever fonts are installed. 3% is left for rendering differences.
METRICS_FILE = Path(mpl.get_data_path(), "fonts", "afm", "phvb8a.afm")
WIDTH_MARGIN = 1.03
GLYPH_NAMES = {"–": "endash", "—": "emdash", "·": "periodcentered", "’": "quoteright"}
DARK, GREY_TEXT = (0x22, 0x22, 0x22), (0x55, 0x55, 0x55)
RGB_BLUE = tuple(int(BLUE[i : i + 2], 16) for i in (1, 3, 5))
KICKER = "WHY DO GOOD INTERVIEWS STILL LOSE?"

# What each chart's speaker notes list besides its table: the metrics (with CIs and
# definitions) and the scenario keys whose values drive it (with their sources).
SLIDE_METRICS: dict[str, tuple[str, ...]] = {
    "funnel": (*FUNNEL_STAGES.values(), "offer_rate_interviewed", "hire_rate"),
    "loss_reasons": (
        "good_interview_share",
        "good_interview_offer_rate",
        "loser_better_quality_rate",
    ),
    "offer_probability": (
        "top_interview_offer_rate",
        "best_interviewee_hired_rate",
        "offer_rate_interviewed",
    ),
    "offer_probability_by_quality": ("offer_rate_interviewed", "good_interview_offer_rate"),
    "margins": ("microscopic_margin_rate",),
    "seasonality": (
        "cancel_rate",
        "cancel_before_interviews_rate",
        "cancel_after_interviews_rate",
    ),
    "felt_vs_actual": (
        "felt_great_share",
        "felt_great_offer_rate",
        "felt_great_no_offer_rate",
        "good_interview_share",
        "good_interview_offer_rate",
    ),
    "time_to_fill": ("days_to_fill", "wait_days", "paused_rate", "cancel_rate"),
}
SLIDE_KEYS: dict[str, tuple[str, ...]] = {
    "funnel": (
        "applicants.count",
        "screening.shortlist",
        "role.positions",
        "offers.decline_probability",
        "role.cancel_probability",
    ),
    "loss_reasons": (
        "role.cancel_probability",
        "internal.probability",
        "manager.risk_aversion",
        "manager.affinity_weight",
        "manager.niche_value",
        "manager.narrative_weight",
        "interview.validity",
        "interview.presence_share",
        "role.pause_share",
        "withdrawal.weekly_hazard",
        "analysis.good_interview_top_share",
    ),
    "time_to_fill": (
        "role.process_weeks",
        "role.pause_share",
        "role.pause_weeks",
        "offers.days_to_answer",
    ),
    "offer_probability": (
        "interview.validity",
        "interview.rounds",
        "screening.shortlist",
        "role.positions",
    ),
    "offer_probability_by_quality": (
        "screening.validity",
        "interview.validity",
        "internal.probability",
        "role.positions",
    ),
    "margins": ("analysis.narrow_margin", "interview.validity", "interview.rounds"),
    "seasonality": (
        "role.cancel_probability",
        "role.quarter_multipliers",
        "role.process_weeks",
        "role.interview_at",
    ),
    "felt_vs_actual": (
        "interview.self_assessment.bias",
        "interview.self_assessment.noise",
        "analysis.good_interview_top_share",
    ),
}
BUILDERS = RUN_OUTPUTS  # chart name -> the output it draws


@dataclass(frozen=True)
class Slide:
    """One chart slide: its name (``funnel``, ``compare_strong_internal``), the output
    it shows, and its speaker notes."""

    name: str
    output: Output
    notes: str


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


# ------------------------------------------------------------------ slides
def chart_slides(result: Result, comparison: Comparison | None = None) -> list[Slide]:
    """The chart slides of a deck, in order, with their notes (no python-pptx needed).

    A chart the result cannot show (e.g. no interviewees after heavy cancellation) is
    left out, as :func:`~simfunnel.present.charts.render.render_all` leaves it out.
    """
    slides = []
    for name in supported_charts(result):
        try:
            output = BUILDERS[name](result)
        except NothingToChartError:
            continue
        notes = _notes(
            output,
            _numbers(output),
            SLIDE_METRICS.get(name, ()),
            result,
            SLIDE_KEYS.get(name, ()),
        )
        slides.append(Slide(name, output, notes))
    if comparison is not None:
        slides += _comparison_slides(comparison)
    return slides


def _comparison_slides(comparison: Comparison) -> list[Slide]:
    """One slide per compared scenario: its paired differences against the first."""
    base = comparison.results[0]
    slides = []
    for other in comparison.results[1:]:
        pair = f"{other.scenario.name} - {base.scenario.name}"
        differences = comparison.differences[comparison.differences["scenario"] == pair]
        output = Differences.from_comparison(Comparison([base, other], differences))
        changed = _changed_keys(base.scenario, other.scenario)
        notes = _notes(
            output,
            _difference_lines(output),
            tuple(output.metrics),
            None,
            (),
            changes=changed,
            scenarios=(base.scenario, other.scenario),
        )
        slides.append(Slide(f"compare_{other.scenario.name}", output, notes))
    return slides


# ------------------------------------------------------------------ notes
def _pct(value: float) -> str:
    return "n/a" if not np.isfinite(value) else f"{100 * value:.1f}%"


def _ci(low: float, high: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no CI"
    return f"95% CI {100 * low:.1f}–{100 * high:.1f}%"


def _rate_line(text: str, row: Any, value: str = "rate") -> str:
    interval = _ci(float(row.ci_low), float(row.ci_high))
    return f"- {text}: {_pct(float(getattr(row, value)))} ({interval})"


def _numbers(output: Output) -> list[str]:
    """The chart's own table, a line per row, each number with its 95% CI."""
    table = output.to_df()
    lines: list[str] = []
    if isinstance(output, Funnel):
        for i, row in enumerate(table.itertuples()):
            line = (
                f"- {row.label}: {row.count_per_opening:.3g} per opening "
                f"(95% CI {row.ci_low:.3g}–{row.ci_high:.3g})"
            )
            if i:
                line += f", {_pct(row.rate)} of the stage before"
            lines.append(line)
    elif isinstance(output, LossReasons):
        for method, rows in table.groupby("method_label", sort=False):
            lines.append(f"{method}, share of good interviews that got no offer:")
            lines += [_rate_line(row.label, row, "share") for row in rows.itertuples()]
    elif isinstance(output, OfferProbability) and getattr(output, "by", "rank") == "rank":
        for ranked_by, rows in table.groupby("ranked_by", sort=False):
            lines.append(f"Chance of an offer by rank in the slate, ranked by {ranked_by}:")
            lines += [_rate_line(f"rank {row.rank}", row) for row in rows.itertuples()]
    elif isinstance(output, OfferProbability):
        lines.append(
            "Chance of an offer per interview, by true quality (percentile of applicants):"
        )
        lines += [
            _rate_line(f"{row.low:g}–{row.high:g}th percentile", row) for row in table.itertuples()
        ]
    elif isinstance(output, Margins):
        lines.append(
            f"- Decided by a lead under {output.band:g} of the usual spread of scores: "
            f"{_pct(output.rate)} ({_ci(output.ci_low, output.ci_high)}) of "
            f"{output.decisions:,} decisions"
        )
        within = table[table["high"] <= 10 * output.band + 1e-12]["share"].sum()
        lines.append(
            f"- Decided by a lead under {10 * output.band:g} of the usual spread: {_pct(within)}"
        )
    elif isinstance(output, Seasonality):
        lines.append("Roles cancelled, by the quarter they were posted in:")
        lines += [_rate_line(row.period, row) for row in table.itertuples()]
    elif isinstance(output, FeltVsActual):
        for label, rows in table.groupby("label", sort=False):
            lines.append(f"{label}, by how well the interview felt (percentile of interviewees):")
            lines += [
                _rate_line(f"{row.low:g}–{row.high:g}%", row)
                for row in rows.itertuples()
                if np.isfinite(row.rate)
            ]
    return lines


def _difference_lines(output: Differences) -> list[str]:
    lines = []
    for row in output.to_df().itertuples():
        entry = METRICS[row.metric]
        difference = entry.format_difference(row.difference)
        if np.isfinite(row.ci_low):
            interval = (
                f"95% CI {entry.format_difference(row.ci_low)} to "
                f"{entry.format_difference(row.ci_high)}"
            )
        elif row.differing_openings == 0:
            interval = "identical on every opening, so no CI"
        else:
            interval = f"no CI: only {row.differing_openings} openings differ"
        lines.append(
            f"- {entry.label}: {difference} ({interval}); {row.baseline} "
            f"{entry.format(row.baseline_value)}, {row.scenario} {entry.format(row.value)}"
        )
    return lines


def _metric_lines(result: Result | None, names: Sequence[str]) -> list[str]:
    if result is None:
        return []
    summary = result.summary()
    lines = []
    for name in names:
        if name not in summary.index:
            continue
        entry, row = METRICS[name], summary.loc[name]
        interval = entry.format_interval(row.ci_low, row.ci_high)
        line = f"- {entry.label}: {entry.format(row.value)}"
        line += f" (95% CI {interval})" if interval else ""
        if entry.benchmark:
            line += f"; published: {entry.benchmark}"
        lines.append(line)
    return lines


def _definitions(output: Output, names: Sequence[str]) -> list[str]:
    lines = [f"- {METRICS[n].label}: {METRICS[n].definition}" for n in names if n in METRICS]
    if isinstance(output, LossReasons):
        table = output.to_df()
        for method in dict.fromkeys(table["method"]):
            lines.append(f"- {table.loc[table['method'] == method, 'method_label'].iloc[0]}: "
                         f"{METHOD_DEFINITIONS[method]}")  # fmt: skip
        lines += [
            f"- {LOSS_REASONS[r].label}: {LOSS_REASONS[r].definition}"
            for r in dict.fromkeys(table["reason"])
        ]
    return lines


def _show(value: Any) -> str:
    """A scenario value in plain words: ``100–250``, ``1: 65%, 2: 25%``, ``0.3``."""
    if hasattr(value, "low") and hasattr(value, "high"):
        return f"{value.low}–{value.high}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_show(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_show(v) for v in value)
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _value(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        node = getattr(node, part)
    return node


def _key_descriptions() -> dict[str, dict[str, str]]:
    return {row["key"]: row for row in describe_keys()}


def _source_lines(scenario: Scenario, keys: Sequence[str]) -> list[str]:
    """``- Applicants per opening: 100–250. Applicants per opening (typical 100-250; ...).``"""
    described = _key_descriptions()
    lines = []
    for key in keys:
        row = described[key]
        text = row["description"]
        value = _show(_value(scenario, key))
        default = _show(_value(Scenario(), key))
        line = f"- {key_label(key)}: {value}"
        line += f" (model default {default})" if value != default else ""
        lines.append(f"{line}. {text[:1].upper()}{text[1:]}.")
    return lines


def _changed_keys(base: Scenario, other: Scenario) -> list[str]:
    """The scenario keys whose values differ between two scenarios, in schema order."""
    skip = {"name", "description", "openings", "seed"}
    return [
        row["key"]
        for row in describe_keys()
        if row["key"] not in skip and _value(base, row["key"]) != _value(other, row["key"])
    ]


def _notes(
    output: Output,
    numbers: list[str],
    metrics: Sequence[str],
    result: Result | None,
    keys: Sequence[str],
    *,
    changes: Sequence[str] = (),
    scenarios: tuple[Scenario, Scenario] | None = None,
) -> str:
    parts = [output.finding + ".", output.note.replace("\n", "; ")]
    parts += ["", "THE NUMBERS (95% confidence intervals, openings as the independent units)"]
    parts += numbers + _metric_lines(result, [m for m in metrics if m not in _in_numbers(output)])
    definitions = _definitions(output, metrics)
    if definitions:
        parts += ["", "WHAT THE WORDS MEAN", *definitions]
    if result is not None and keys:
        parts += ["", "WHERE THE VALUES BEHIND THIS CHART COME FROM (this scenario's values)"]
        parts += _source_lines(result.scenario, keys)
    if scenarios is not None:
        base, other = scenarios
        parts += ["", f"WHAT {scenario_label(other.name).upper()} CHANGES"]
        if other.description:
            parts.append(other.description)
        described = _key_descriptions()
        for key in changes:
            text = described[key]["description"]
            parts.append(
                f"- {key_label(key)}: {_show(_value(other, key))} instead of "
                f"{_show(_value(base, key))}. {text[:1].upper()}{text[1:]}."
            )
        if not changes:
            parts.append("- Nothing but its name: the two scenarios are the same model.")
    return "\n".join(parts)


def _in_numbers(output: Output) -> set[str]:
    """Metrics the table lines already give (defined, but not repeated with their CIs)."""
    if isinstance(output, Funnel):
        return set(FUNNEL_STAGES.values())
    return {"microscopic_margin_rate"} if isinstance(output, Margins) else set()


def title_notes(result: Result) -> str:
    """The title slide's notes: the headline figures with CIs and how to reproduce them."""
    summary = result.summary()
    metadata = result.metadata
    lines = [
        "WHAT THIS IS",
        "A Monte Carlo simulation of job openings: applicants are screened to a shortlist, "
        "interviewed with noisy interviews, and one or more get an offer from a manager who "
        "may prefer the safer, the internal or the more familiar candidate. Every figure is a "
        "share over simulated openings with a 95% confidence interval.",
        "",
        "HEADLINE FIGURES (95% confidence intervals)",
    ]
    lines += _metric_lines(
        result, [m for m, e in METRICS.items() if e.headline and m in summary.index]
    )
    lines += [
        "",
        "HOW TO REPRODUCE",
        f"simfunnel {metadata.get('version', __version__)}, {_openings(result):,} openings, "
        f"seed {metadata.get('seed', result.scenario.seed)}"
        + (f", scenario file {metadata['config']}" if metadata.get("config") else "")
        + "".join(f", --set {key}={value}" for key, value in _overrides(result).items()),
    ]
    return "\n".join(lines)


def _overrides(result: Result) -> dict[str, object]:
    """The ``--set`` overrides recorded in the run (the CLI records them)."""
    overrides = result.metadata.get("overrides") or {}
    return dict(overrides) if isinstance(overrides, dict) else {}


def scenario_title(result: Result) -> str:
    """The scenario's name for a title slide: ``Baseline``, without the ``(key=value)``
    that overrides append to it (the title slide lists them in plain words)."""
    name = result.scenario.name
    if _overrides(result) and name.endswith(")") and " (" in name:
        name = name[: name.rindex(" (")]
    return scenario_label(name).capitalize()


def _openings(result: Result) -> int:
    return int(result.metadata.get("openings", len(result.openings)))


# ------------------------------------------------------------------ drawing
def picture_size() -> tuple[float, float]:
    """Width and height (inches) of a chart on its slide: 16:9, under the title."""
    height = SLIDE_HEIGHT_IN - PICTURE_TOP_IN - PICTURE_BOTTOM_IN
    return height * 16 / 9, height


def chart_png(output: Output) -> bytes:
    """The chart of ``output`` as a 16:9 PNG sized for its slide, without its title
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


def title_layout(text: str) -> tuple[str, int]:
    """The slide title as shown and its size: the largest size at which it fits in two
    lines, and, when it needs two, broken where the lines come out most even (so the
    second line is never one orphan word). The break is a vertical tab, python-pptx's
    line break within a paragraph."""
    size = title_size(text)
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


# ------------------------------------------------------------------ the deck
def build_deck(
    result: Result,
    path: str | Path,
    *,
    comparison: Comparison | None = None,
    formats: Sequence[str] = (),
    title: str | None = None,
) -> list[Path]:
    """Write a 16:9 PowerPoint deck of ``result`` to ``path`` (a ``.pptx`` file).

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
    presentation = _presentation(result, slides, comparison, title)
    kept: list[Path] = []
    if formats:
        target = charts_folder(path)
        with OutputFolder(target, "deck", label="--out ") as folder:
            for number, slide in enumerate(slides, start=1):
                written = save_chart(
                    _draw, slide.output, folder.path / f"{number:02d}_{slide.name}", formats
                )
                kept += [target / p.name for p in written]
            atomic_write(path, presentation.save)
            folder.commit()
    else:
        atomic_write(path, presentation.save)
    return [path, *kept]


def _draw(output: Output, ax: Any, **options: Any) -> Any:
    return output.plot(ax, **options)


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
    for slide in slides:
        page = presentation.slides.add_slide(presentation.slide_layouts[5])  # title only
        _set_title(page.shapes.title, slide.output.finding)
        page.shapes.add_picture(
            io.BytesIO(chart_png(slide.output)),
            Inches((SLIDE_WIDTH_IN - width) / 2),
            Inches(PICTURE_TOP_IN),
            Inches(width),
            Inches(height),
        )
        page.notes_slide.notes_text_frame.text = slide.notes
    return presentation


def _set_title(shape: Any, text: str) -> None:
    from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
    from pptx.util import Inches

    shape.left, shape.top = Inches(MARGIN_IN), Inches(TITLE_TOP_IN)
    shape.width = Inches(SLIDE_WIDTH_IN - 2 * MARGIN_IN)
    shape.height = Inches(TITLE_HEIGHT_IN)
    frame = shape.text_frame
    shown, size = title_layout(text)
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
    kicker.text = KICKER
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
    lines.append(
        (
            f"{_openings(result):,} simulated job openings · seed "
            f"{result.metadata.get('seed', scenario.seed)} · 95% confidence intervals",
            20,
            GREY_TEXT,
        )
    )
    changed = [
        f"{key_label(k)} set to {_show(v)}" for k, v in _overrides(result).items() if k != "name"
    ]
    if changed:
        lines.append((f"Changed: {'; '.join(changed)}", 20, GREY_TEXT))
    if comparison is not None:
        others = [scenario_label(r.scenario.name) for r in comparison.results[1:]]
        lines.append((f"Compared with: {', '.join(others)}", 20, GREY_TEXT))
    lines.append((f"Simulated with simfunnel {__version__}", 20, GREY_TEXT))
    frame.text = lines[0][0]
    for i, (line, size, colour) in enumerate(lines):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.alignment = PP_ALIGN.LEFT
        paragraph.space_after = Inches(0.08)
        _font(paragraph.runs[0].font, size, colour)
    page.notes_slide.notes_text_frame.text = title_notes(result)
