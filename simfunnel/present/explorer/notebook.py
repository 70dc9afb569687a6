"""The explorer in Jupyter: ``sf.explore(scenario)`` (ipywidgets).

Each slider key has a slider (its valid range) and a box to type an exact value;
a chart picker, the headline (the chart's finding), the chart, a status line
(openings, seed, update time) and a "Save this scenario" button complete it. The
logic lives in :class:`~simfunnel.present.explorer.core.Explorer`; this module only
wires widgets to it, so every widget can be driven from Python (as the tests do).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simfunnel.errors import InputError
from simfunnel.model.scenario import Scenario, folder_name
from simfunnel.present.explorer.core import CHART_LABELS, CHARTS, Explorer, FrontEnd, Slider, View


def require_ipywidgets() -> Any:
    """ipywidgets, or one clear line on how to install it."""
    try:
        import ipywidgets
    except ImportError:
        raise InputError(
            "the explorer needs ipywidgets: pip install 'simfunnel[interactive]'"
        ) from None
    return ipywidgets


def explore(
    scenario: Scenario | str | Path,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
) -> ExplorerWidget:
    """A live explorer of ``scenario`` for a notebook: sliders, a chart picker, the chart.

    Every change re-simulates ``openings`` openings with the scenario's seed (common
    random numbers), so the chart moves only because the parameter moved.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario, or a YAML file. A file saved by the explorer ("Save this
        scenario") rebuilds its sliders, chart and openings.
    chart : str, optional
        The chart shown first: one of ``funnel``, ``loss_reasons`` (the default),
        ``offer_probability``, ``offer_probability_by_quality``, ``margins``,
        ``seasonality``, ``felt_vs_actual``, ``time_to_fill`` (:data:`CHARTS`).
    openings : int, optional
        Openings per update (default 5,000: about 0.4 s per update on 2 cores).
    keys : sequence of str, optional
        The slider keys, numeric scenario keys (default: the six that move the
        headline results most, ``EXPLORER_KEYS``).

    Returns
    -------
    ExplorerWidget
        An ipywidgets box (shown when it is a cell's last value); its ``explorer``
        holds the state (``.values``, ``.view.table``, ``.view.finding``).
    """
    return ExplorerWidget(Explorer(scenario, chart, openings, keys))


def _widget_class() -> type:
    return require_ipywidgets().VBox


class ExplorerWidget(FrontEnd, _widget_class()):  # type: ignore[misc]
    """The explorer's widgets around an :class:`Explorer`.

    Attributes
    ----------
    explorer : Explorer
    sliders, boxes : dict
        Key -> slider / text box.
    chart_picker, headline, image, message, status, save_path, save_button
        The other widgets; ``message`` shows bad input as one line, as the CLI does.
    """

    def __init__(self, explorer: Explorer) -> None:
        widgets = require_ipywidgets()
        self._attach(explorer)
        rows = []
        for key, slider in explorer.sliders.items():
            self.sliders[key] = self._slider(widgets, slider, explorer.values[key])
            self.boxes[key] = widgets.Text(
                value=slider.format(explorer.values[key]),
                continuous_update=False,
                layout=widgets.Layout(width="7em"),
                tooltip=f"type a value for {key}",
            )
            self.sliders[key].observe(self._on_slider(key), names="value")
            self.boxes[key].observe(self._on_box(key), names="value")
            label = widgets.HTML(
                f"<b>{html.escape(slider.label)}</b> <code>{html.escape(key)}</code>"
            )
            rows.append(widgets.VBox([label, widgets.HBox([self.sliders[key], self.boxes[key]])]))
        self.chart_picker = widgets.Dropdown(
            options=[(CHART_LABELS[name], name) for name in CHARTS],
            value=explorer.chart,
            description="Chart",
        )
        self.chart_picker.observe(self._on_chart, names="value")
        self.headline = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="100%"))
        self.message = widgets.HTML()
        self.status = widgets.HTML()
        self.save_path = widgets.Text(
            value=f"{folder_name(explorer.scenario.name)}.yaml", description="File"
        )
        self.save_button = widgets.Button(description="Save this scenario", icon="save")
        self.save_button.on_click(self._on_save)
        controls = widgets.VBox(
            [*rows, widgets.HBox([self.save_path, self.save_button])],
            layout=widgets.Layout(width="34em"),
        )
        chart = widgets.VBox(
            [self.chart_picker, self.headline, self.message, self.image, self.status],
            layout=widgets.Layout(flex="1"),
        )
        super().__init__([widgets.HBox([controls, chart])])
        self._show()

    @staticmethod
    def _slider(widgets: Any, slider: Slider, value: float) -> Any:
        kind = widgets.IntSlider if slider.integer else widgets.FloatSlider
        return kind(
            value=value,
            min=slider.low,
            max=slider.high,
            step=slider.step,
            continuous_update=False,  # one simulation per move, on release
            readout=False,  # the box beside it shows the value and takes typing
            layout=widgets.Layout(width="24em"),
        )

    # --------------------------------------------------------------- handlers
    @staticmethod
    def _new(change: dict) -> Any:
        return change["new"]

    def _on_save(self, _button: Any = None) -> None:
        try:
            path = self.explorer.save(self.save_path.value.strip())
        except (InputError, OSError) as exc:
            self._say(str(exc), error=True)
        else:
            self._say(f"Saved {path}: sf.explore('{path}') or simfunnel run {path}")

    # ----------------------------------------------------------------- output
    def _say(self, text: str, error: bool = False) -> None:
        colour = "#B00020" if error else "#1B5E20"
        self.message.value = f'<span style="color:{colour}">{html.escape(text)}</span>'

    def _refuse(self, text: str) -> None:
        self._say(text, error=True)

    def _display(self, view: View) -> None:
        self.headline.value = f"<h3 style='margin:0.3em 0'>{html.escape(view.finding)}</h3>"
        self.message.value = ""
        self.image.value = view.png
        self.status.value = f"<span style='color:#666'>{html.escape(view.status)}</span>"
