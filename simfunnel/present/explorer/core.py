"""The explorer's logic, shared by the notebook widget and the web app.

An :class:`Explorer` holds a base scenario, the current value of each slider key,
the chart picked and how many openings to simulate. Every change re-simulates
the changed scenario with the *base scenario's seed* (common random numbers), so
the picture moves only because the parameter moved, and builds the chart's
analysis output (its table, its finding, its note). Front ends
(:mod:`~simfunnel.present.explorer.notebook`, ipywidgets;
:mod:`~simfunnel.present.explorer.web`, Panel) only wire widgets to
:meth:`Explorer.set_value`, :meth:`Explorer.set_text`, :meth:`Explorer.set_chart`
and :meth:`Explorer.save`, and show :class:`View` and :meth:`Explorer.png`.

Bad input (a value out of range, a word where a number belongs) raises
:class:`~simfunnel.errors.InputError` with the text the CLI prints for the same
``--set KEY=VALUE``; the explorer keeps its last good state.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from simfunnel.analysis.options import RunOptions
from simfunnel.analysis.outputs import RUN_OUTPUTS, Output
from simfunnel.analysis.outputs.run import RunChart
from simfunnel.analysis.result import Result, atomic_write
from simfunnel.analysis.run import simulate
from simfunnel.analysis.sensitivities import _numeric_parameters
from simfunnel.analysis.sweeps import value_at
from simfunnel.errors import InputError, NothingToChartError
from simfunnel.io.loader import load_scenario, parse_override
from simfunnel.metrics import LOSS_REASONS, key_label, scenario_label, setting
from simfunnel.model.draw_cache import DrawCache
from simfunnel.model.scenario import Scenario
from simfunnel.present.charts.style import note_only, talk_style
from simfunnel.present.explorer.defaults import CHART_LABELS, DEFAULT_OPENINGS, EXPLORER_KEYS
from simfunnel.present.explorer.frames import TextCache, frame_png

# Every chart of one run: the outputs that own their tables and findings, in the order
# and with the names of :data:`CHART_LABELS`.
CHARTS: dict[str, RunChart] = RUN_OUTPUTS

__all__ = [
    "CHARTS",
    "CHART_LABELS",
    "DEFAULT_OPENINGS",
    "EXPLORER_KEYS",
    "Explorer",
    "FrontEnd",
    "Slider",
    "View",
]

HEADER = "# simfunnel explorer: chart={chart}; openings={openings}; sliders={keys}"
_HEADER = re.compile(
    r"# simfunnel explorer: chart=(?P<chart>\w+); openings=(?P<openings>[1-9]\d{0,9}); "
    r"sliders=(?P<keys>[\w.]+(?:,[\w.]+)*)"
)

PNG_DPI = 72  # 960 x 540 px: sharp on a laptop screen, and quick to draw and send
PRESENT_DPI = 108  # 1440 x 810 px: the chart filling most of a 1080p screen, still sharp
GHOST = "#9A9A9A"  # the baseline, drawn behind (lines) or over (bar outlines) the chart
GHOST_NOTE = "dashed grey: the baseline"


@dataclass(frozen=True)
class Slider:
    """One slider: a numeric scenario key, its plain label and its valid range.

    ``low``/``high`` are the schema's bounds (an open bound moved one ``step``
    inside); whole-number keys have ``int`` bounds and a step of 1.
    """

    key: str
    label: str
    low: float | int
    high: float | int
    step: float | int
    integer: bool

    def format(self, value: float) -> str:
        """The value as it is typed in a box: ``3``, ``0.19``."""
        return str(int(value)) if self.integer else f"{value:g}"


def slider_for(scenario: Scenario, key: str) -> Slider:
    """The slider of ``key``, with its range from the scenario schema.

    Raises
    ------
    InputError
        ``key`` is not a numeric scenario key.
    """
    numeric = {k: (value, bounds) for k, value, bounds in _numeric_parameters(scenario)}
    if key not in numeric:
        raise InputError(f"explore: '{key}' is not a numeric scenario key (see simfunnel keys)")
    value, (low, high) = numeric[key]
    if isinstance(value, int):
        return Slider(key, key_label(key), math.ceil(low), math.floor(high), 1, True)
    step = 0.01 if high - low <= 10 else 0.1
    # An open bound (gt/lt) comes nudged inside by 1e-9: start one step inside it.
    low, high = _on_grid(low, step, math.ceil), _on_grid(high, step, math.floor)
    return Slider(key, key_label(key), low, high, step, False)


@dataclass(frozen=True)
class View:
    """What the explorer shows after an update.

    Attributes
    ----------
    output : Output or None
        The chart's analysis output (None when the chart cannot be drawn).
    finding : str
        The headline: the output's finding, or why there is no chart.
    table : DataFrame
        ``output.to_df()`` (empty without an output).
    png : bytes
        The chart (without its title: front ends show the finding above it).
    status : str
        Openings, seed and how long the update took.
    seconds : float
        Wall time of the update: simulation, attribution, output and chart, all that
        a speaker waits for after moving a slider.
    """

    output: Output | None
    finding: str
    table: pd.DataFrame
    png: bytes
    status: str
    seconds: float


class Explorer:
    """A scenario with sliders, a chart and a fixed seed: the state of a live explorer.

    Parameters
    ----------
    scenario : Scenario or path
        The base scenario, or a YAML file. The sliders start at its values; a file
        written by :meth:`save` also brings back the chart, the openings and the
        slider keys it was saved with (its first line says them).
    chart : str, optional
        One of :data:`CHARTS` (default: the saved one, else ``"loss_reasons"``).
    openings : int, optional
        Openings simulated per update (default: the saved number, else
        :data:`DEFAULT_OPENINGS`).
    keys : sequence of str, optional
        Slider keys (default: the saved ones, else :data:`EXPLORER_KEYS`).
    ghost : bool
        Draw the baseline behind the chart once a slider has moved.
    dpi : int
        The PNG's resolution (:data:`PNG_DPI`, :data:`PRESENT_DPI`).
    lean : bool
        Simulate only the parts the chart reads (:data:`CHART_NEEDS`); ``False`` runs
        everything every time (the same numbers, slower: the check of the fast path).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path,
        chart: str | None = None,
        openings: int | None = None,
        keys: Sequence[str] | None = None,
        *,
        ghost: bool = True,
        dpi: int = PNG_DPI,
        lean: bool = True,
    ) -> None:
        saved: dict[str, Any] = {}
        if not isinstance(scenario, Scenario):
            saved = saved_state(scenario)
            scenario = load_scenario(scenario)
        self.base = scenario
        openings = openings or saved.get("openings", DEFAULT_OPENINGS)
        self.options = RunOptions(openings=openings, seed=self.base.seed, workers=1)
        keys = keys or saved.get("keys", EXPLORER_KEYS)
        self.sliders = {key: slider_for(self.base, key) for key in dict.fromkeys(keys)}
        self.values: dict[str, float] = {key: value_at(self.base, key) for key in self.sliders}
        self.chart = _check_chart(chart or saved.get("chart", "loss_reasons"))
        self.result: Result | None = None
        self.lean = lean
        self._result_parts = self._base_parts = frozenset()  # what the runs computed
        self.value_top: dict[str, float] = {}  # chart -> the largest value axis shown
        self.ghost, self.dpi = ghost, dpi
        self.base_result: Result | None = None  # the baseline's run, kept for the ghost
        self._base_outputs: dict[str, Output | None] = {}  # chart -> the baseline's output
        self._rows: dict[str, list[str]] | None = None  # the loss reasons' rows, kept
        # The run's blocks and the reference sample's: every slider position reads the
        # same draws (common random numbers), so they are drawn once per session.
        self.draws = DrawCache()
        self._note_left: dict[tuple, float] = {}  # margins -> the axes' left edge (px)
        self._layouts: dict[tuple, Any] = {}  # margins and note lines -> axes position
        self._layout_key: dict[int, tuple] = {}  # a frame not yet drawn -> its margins
        self._text_cache = TextCache()  # glyphs drawn in earlier frames, by position
        self.view = self._update()

    # ------------------------------------------------------------------ state
    @property
    def scenario(self) -> Scenario:
        """The base scenario with the sliders' values (named after the changes)."""
        return self._with(self.values)

    def _with(self, values: dict[str, float]) -> Scenario:
        changed = {k: v for k, v in values.items() if v != value_at(self.base, k)}
        return self.base.with_overrides(changed) if changed else self.base

    # ---------------------------------------------------------------- changes
    def set_value(self, key: str, value: Any) -> View:
        """Set a slider's key and re-simulate; an invalid value raises
        :class:`InputError` (``override: key: must be in [low, high], got value``) and
        changes nothing."""
        if key not in self.sliders:
            raise InputError(f"explore: no slider for '{key}'; sliders: {', '.join(self.sliders)}")
        if isinstance(value, float) and math.isfinite(value):
            # A slider's position is start + n * step in binary: 0.4100000000000001 is
            # the 0.41 the handle shows, and the scenario (its name, the saved file) too.
            value = float(f"{value:.12g}")
        scenario = self._with({**self.values, key: value})  # validates, as --set does
        self.values = {k: value_at(scenario, k) for k in self.sliders}
        self.result = None
        self.view = self._update()
        return self.view

    def reset(self) -> View:
        """Every slider back to the base scenario's value (no re-simulation: the
        baseline's run is kept)."""
        self.values = {key: value_at(self.base, key) for key in self.sliders}
        self.result, self._result_parts = self.base_result, self._base_parts
        self.view = self._update()
        return self.view

    @property
    def moved(self) -> bool:
        """Whether any slider is away from the base scenario's value."""
        return any(v != value_at(self.base, k) for k, v in self.values.items())

    def set_text(self, key: str, text: str) -> View:
        """Set a key from text typed in a box, read as ``--set KEY=TEXT`` is."""
        _, value = parse_override(f"{key}={text.strip()}")
        return self.set_value(key, value)

    def set_chart(self, chart: str) -> View:
        """Show another chart of the same simulation (no re-simulation)."""
        self.chart = _check_chart(chart)
        self.view = self._update()
        return self.view

    def yaml(self) -> str:
        """The current scenario as YAML: every key, the sliders' values included, after a
        first line (a comment: the file stays a plain scenario) with the explorer's
        chart, openings and slider keys."""
        header = HEADER.format(
            chart=self.chart, openings=self.options.openings, keys=",".join(self.sliders)
        )
        return f"{header}\n{self.scenario.to_yaml()}"

    def save(self, path: str | Path) -> Path:
        """Write :meth:`yaml` to ``path`` (atomically): a scenario file that
        :func:`~simfunnel.load_scenario`, ``simfunnel run`` and this explorer read back,
        with the sliders where they are now. Returns the path."""
        path, text = Path(path), self.yaml()
        atomic_write(path, lambda p: Path(p).write_text(text, encoding="utf-8"))
        return path

    # ----------------------------------------------------------------- output
    def _update(self) -> View:
        started = time.perf_counter()
        needs = self._needs()
        if self.result is None:
            self.result, self._result_parts = self._run(self.scenario, needs), needs
        elif not needs <= self._result_parts:  # another chart: add what it reads
            needs |= self._result_parts
            self.result, self._result_parts = self._run(self.scenario, needs), needs
        if not self.moved and (self.base_result is None or not needs <= self._base_parts):
            self.base_result, self._base_parts = self.result, self._result_parts
            self._base_outputs.clear()
        elif self.moved and self.base_result is not None and not needs <= self._base_parts:
            needs |= self._base_parts  # the ghost's run
            self.base_result, self._base_parts = self._run(self.base, needs), needs
            self._base_outputs.clear()
        try:
            output: Output | None = CHARTS[self.chart](self.result)
            finding = output.finding
            table = output.to_df()
        except NothingToChartError as exc:
            output, finding, table = None, f"No chart: {exc}", pd.DataFrame()
        figure = self._figure(output, finding)
        png = frame_png(figure, self._text_cache)
        self._remember_layout(figure)
        seconds = time.perf_counter() - started
        status = (
            f"{self.options.openings:,} openings · seed {self.base.seed} · "
            f"updated in {seconds:.2f} s"
        )
        return View(output, finding, table, png, status, seconds)

    def _needs(self) -> frozenset[str]:
        """What the chart reads beyond the run's summary (:data:`CHART_NEEDS`); every part
        without ``lean``."""
        return frozenset(CHART_NEEDS.get(self.chart, ())) if self.lean else EVERY_PART

    def _run(self, scenario: Scenario, needs: frozenset[str]) -> Result:
        """``scenario`` simulated on the session's draws with the parts in ``needs``:
        without attribution's replays or the interviewees' table where the chart reads
        neither (the summary, and so every other number, is the same either way)."""
        options = replace(self.options, attribution="attribution" in needs)
        simulated = scenario
        if "candidates" not in needs:  # no interviewee rows (a scenario key, not a name)
            analysis = scenario.analysis.model_copy(update={"candidate_openings": 0})
            simulated = scenario.model_copy(update={"analysis": analysis})
        with self.draws:
            result = simulate(simulated, options=options)
        return result if simulated is scenario else replace(result, scenario=scenario)

    def figure(self) -> Figure:
        """The current chart on a new 16:9 figure (no pyplot, nothing shown), without
        its title (front ends show the finding above it)."""
        figure = self._figure(self.view.output, self.view.finding)
        self._layout_key.pop(id(figure), None)  # laid out when drawn, not remembered
        return figure

    def _figure(self, output: Output | None, finding: str) -> Figure:
        with talk_style():
            # Laid out at the PNG's resolution: the layout pass the headline makes before
            # the PNG is drawn then costs a quarter of the pixels of the style's 144 dpi.
            figure = self._text_cache.attach(Figure(dpi=self.dpi))
            ax = figure.add_subplot()
            if output is None:
                ax.set_axis_off()
                ax.text(0.5, 0.5, finding, ha="center", va="center", wrap=True)
                return figure
            options = self._keep_in_place()
            note = self._plain_note(output)
            ghost = self._draw_ghost(ax, options)
            if ghost:  # the key to the ghost: a line of the note
                note = f"{note}\n{GHOST_NOTE}"
            # No title (the page shows the finding above the chart), and the note drawn
            # below, where the last frame's layout is known.
            output.plot(ax, title="", subtitle="", **options)
            axis = VALUE_AXIS.get(self.chart)
            if axis is not None:
                # The value axis only grows in a session: a bar that shrinks looks
                # shorter, instead of the scale quietly shrinking with it.
                low, high = getattr(ax, f"get_{axis}lim")()
                self.value_top[self.chart] = max(high, self.value_top.get(self.chart, high))
                getattr(ax, f"set_{axis}lim")(low, self.value_top[self.chart])
            self._lay_out(figure, ax, note, ghost)
        return figure

    def _lay_out(self, figure: Figure, ax: Any, note: str, ghost: bool) -> None:
        """The note above the axes, and the axes where the last frame with the same
        margins had them. Constrained layout places the axes from what surrounds them:
        the tick labels (the value axis's vary), the note's lines, the ghost's key.
        Frames that agree on those get the same place, so it is measured once per
        session (a layout pass costs as much as drawing the frame) and the frame is then
        drawn without one; any other frame is laid out, and remembered, by
        :meth:`_remember_layout`."""
        y_side = (
            self.chart,
            ghost,
            tuple(t.get_text() for t in ax.get_yticklabels()),
            ax.get_ylabel(),
        )  # fmt: skip (what sets the axes' left edge)
        left = self._note_left.get(y_side)
        if left is None:
            figure.draw_without_rendering()  # the layout pass headline() makes
            left = self._note_left[y_side] = ax.get_window_extent().x0
        lines = note_only(ax, note, left)
        x_side = (tuple(t.get_text() for t in ax.get_xticklabels()), ax.get_xlabel())
        key = (*y_side, *x_side, lines)
        if key in self._layouts:
            figure.set_layout_engine("none")
            ax.set_position(self._layouts[key])
        else:
            self._layout_key[id(figure)] = key

    def _remember_layout(self, figure: Figure) -> None:
        """Keep where constrained layout put the axes of a frame just drawn."""
        key = self._layout_key.pop(id(figure), None)
        if key is not None and figure.axes:
            self._layouts[key] = figure.axes[0].get_position()

    def _plain_note(self, output: Output) -> str:
        """The output's note with the sliders' changes in plain words (``setting``): a
        scenario name with overrides is cut at 80 characters, with a hash, and the
        subtitle must never show a raw key or the hash."""
        result = self.result
        name = scenario_label(result.scenario.name, "scenario") if result is not None else ""
        changed = {k: v for k, v in self.values.items() if v != value_at(self.base, k)}
        if not name or not changed or not output.note.startswith(name):
            return output.note
        described = (
            scenario_label(self.base.name, "scenario")
            + " with "
            + "; ".join(setting(k, v) for k, v in changed.items())
        )
        return described + output.note[len(name) :]

    def _keep_in_place(self) -> dict[str, Any]:
        """Options that keep a chart's rows where the baseline put them, so nothing jumps
        while a slider moves (loss reasons stay in the baseline's order)."""
        if self.chart != "loss_reasons":
            return {}
        base = self._base_output()
        if base is None:
            return {}
        if self._rows is None:
            from simfunnel.present.charts.loss_reasons import _fold_small

            table = base.to_df()
            _, rows = _fold_small(table, list(dict.fromkeys(table["method"])))
            kept = [r for r in rows if r != "other"]
            # Every other reason (folded at the baseline, or that it never gave) stays in
            # "other": the rows are the baseline's, whatever the sliders do.
            self._rows = {"order": kept, "fold": [r for r in LOSS_REASONS if r not in kept]}
        return dict(self._rows)

    def _base_output(self) -> Output | None:
        """The chart's output of the baseline's run (built once per chart), or None."""
        if self.base_result is None:
            return None
        if self.chart not in self._base_outputs:
            try:
                self._base_outputs[self.chart] = CHARTS[self.chart](self.base_result)
            except NothingToChartError:
                self._base_outputs[self.chart] = None
        return self._base_outputs[self.chart]

    def _draw_ghost(self, ax: Any, options: dict[str, Any]) -> bool:
        """The baseline's chart, drawn first and made a ghost: its bars as dashed grey
        outlines over the chart's bars, under their labels (so a bar that shrank shows
        where it ended), its lines and bands pale grey behind; its text removed. Only when
        a slider has moved, so the room sees what moved against where it was."""
        if not (self.ghost and self.moved):
            return False
        base = self._base_output()
        if base is None:
            return False
        base.plot(ax, title="", subtitle="", **options)
        for text in list(ax.texts):
            text.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()
        for patch in ax.patches:
            patch.set(
                facecolor="none",
                edgecolor=GHOST,
                linestyle=(0, (4, 3)),
                linewidth=2,
                zorder=2.6,
                label="_ghost",
            )  # fmt: skip (over bars, under labels)
        for line in ax.get_lines():
            line.set(color=GHOST, alpha=0.6, zorder=1, label="_ghost", markerfacecolor=GHOST,
                     markeredgecolor=GHOST)  # fmt: skip
        for collection in ax.collections:
            collection.set(color=GHOST, alpha=0.15, zorder=0.5, label="_ghost")
        for image in ax.get_images():
            image.remove()
        return True


class FrontEnd:
    """What a front end does with its widgets whatever their library: the state is the
    :class:`Explorer`'s, the widgets only show it and pass changes on.

    A front end (the notebook's ipywidgets, the web page's Panel) calls
    :meth:`_attach`, fills :attr:`sliders` and :attr:`boxes` (key -> a widget with a
    ``value``), watches them with :meth:`_on_slider` and :meth:`_on_box`, and
    defines :meth:`_new` (a change's new value), :meth:`_display` (a view) and
    :meth:`_refuse` (bad input, as the CLI's one line).
    """

    explorer: Explorer
    sliders: dict[str, Any]
    boxes: dict[str, Any]

    def _attach(self, explorer: Explorer) -> None:
        self.explorer = explorer
        self._syncing = False  # set while the widgets are moved to the values in force
        self.sliders = {}
        self.boxes = {}

    # --------------------------------------------------------------- handlers
    def _on_slider(self, key: str) -> Callable[[Any], None]:
        return self._handler(lambda value: self.explorer.set_value(key, value))

    def _on_box(self, key: str) -> Callable[[Any], None]:
        return self._handler(lambda text: self.explorer.set_text(key, text))

    def _handler(self, set_to: Callable[[Any], Any]) -> Callable[[Any], None]:
        """A widget's handler: ``set_to`` its new value, unless :meth:`_sync` moved it."""

        def handler(change: Any) -> None:
            if not self._syncing:
                new = self._new(change)
                self._apply(lambda: set_to(new))

        return handler

    def _on_chart(self, change: Any) -> None:
        chart = self._new(change)
        self._apply(lambda: self.explorer.set_chart(chart))

    def _apply(self, change: Callable[[], Any]) -> None:
        """Make a change; bad input is one line (the CLI's) and changes nothing."""
        try:
            change()
        except InputError as exc:
            self._sync()
            self._refuse(str(exc))
            return
        self._show()

    # ----------------------------------------------------------------- output
    def _sync(self) -> None:
        """Sliders and boxes show the values in force (a typed value moves its slider;
        a refused one is replaced by the value kept)."""
        explorer = self.explorer
        self._syncing = True
        try:
            for key, slider in explorer.sliders.items():
                self.sliders[key].value = explorer.values[key]
                self.boxes[key].value = slider.format(explorer.values[key])
        finally:
            self._syncing = False

    def _show(self) -> None:
        self._sync()
        self._display(self.explorer.view)

    # ------------------------------------------------------ for the front end
    @staticmethod
    def _new(change: Any) -> Any:
        """The new value a widget library's change notification carries."""
        raise NotImplementedError

    def _display(self, view: View) -> None:
        """Show ``view``: its finding, chart and status; clear the message."""
        raise NotImplementedError

    def _refuse(self, text: str) -> None:
        """Show ``text``, the error bad input raised, as one line."""
        raise NotImplementedError


# What each chart reads beyond the run's summary: the loss attribution's replays, the
# table of the first openings' interviewees. A chart that reads neither is simulated
# without them (its output is the same: tests/test_explorer.py); showing another chart
# re-simulates only when it needs a part the run lacks.
CHART_NEEDS: dict[str, tuple[str, ...]] = {
    "loss_reasons": ("attribution",),
    "offer_probability": ("candidates",),
    "offer_probability_by_quality": ("candidates",),
    "felt_vs_actual": ("candidates",),
}
EVERY_PART = frozenset({"attribution", "candidates"})

# The axis that carries each chart's values (shares), whose scale the explorer keeps.
# The funnel and felt-vs-actual charts always run from 0 to 100%.
VALUE_AXIS = {
    "loss_reasons": "x",
    "offer_probability": "y",
    "offer_probability_by_quality": "y",
    "margins": "y",
    "seasonality": "y",
}


def _on_grid(bound: float, step: float, towards: Any) -> float:
    """``bound`` as a whole number of steps: itself when it is one (0.3 is 30 steps of
    0.01 despite rounding), else the next one inside (``towards``: ceil or floor)."""
    steps = bound / step
    nearest = round(steps)
    return round((nearest if abs(steps - nearest) < 1e-9 else towards(steps)) * step, 10)


def saved_state(path: str | Path) -> dict[str, Any]:
    """The chart, openings and slider keys a file saved by the explorer names in its
    first line; ``{}`` for any other file (or a first line that does not parse)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            first = file.readline(500).rstrip("\r\n")
    except OSError:
        return {}  # load_scenario says what is wrong with the file
    found = _HEADER.fullmatch(first)
    if not found:
        return {}
    return {
        "chart": found["chart"],
        "openings": int(found["openings"]),
        "keys": tuple(found["keys"].split(",")),
    }


def _check_chart(chart: str) -> str:
    if chart not in CHARTS:
        raise InputError(f"chart: unknown chart '{chart}'; choose from {', '.join(CHARTS)}")
    return chart
