"""The explorer as a local web page: ``simfunnel app`` (Panel).

Why Panel: it serves plain Python objects from one process with its own Bokeh
server (``pn.serve``), with no Jupyter server, kernel or notebook file between the
speaker and the page (Voilà needs all three), and its widgets are ordinary Python
objects whose changes we watch, as with ipywidgets; Solara would bring a React-like
component model for one page. The page is built around the same
:class:`~simfunnel.present.explorer.core.Explorer` as the notebook widget: only
the widgets differ.

Every browser tab gets its own explorer (sessions do not share sliders).
"""

from __future__ import annotations

import errno
import html
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from simfunnel.errors import InputError
from simfunnel.model.scenario import Scenario, folder_name
from simfunnel.present.explorer.core import CHART_LABELS, CHARTS, Explorer, FrontEnd, View

CHART_WIDTH = 960  # px: the PNG's own size (13.33 x 7.5 in at 72 dpi), at most 1:1


def require_panel() -> Any:
    """Panel, or one clear line on how to install it."""
    try:
        import panel
    except ImportError:
        raise InputError(
            "simfunnel app needs Panel: pip install 'simfunnel[interactive]'"
        ) from None
    return panel


class ExplorerPage(FrontEnd):
    """The page of one browser session: Panel widgets around an :class:`Explorer`.

    Attributes
    ----------
    explorer : Explorer
    sliders, boxes : dict
        Key -> Panel slider / text input.
    chart_picker, headline, message, image, status, download
        The other components; ``layout`` is the whole page.
    """

    def __init__(self, explorer: Explorer) -> None:
        pn = require_panel()
        self._attach(explorer)
        rows = []
        for key, slider in explorer.sliders.items():
            kind = pn.widgets.IntSlider if slider.integer else pn.widgets.FloatSlider
            self.sliders[key] = kind(
                label=slider.label,
                start=slider.low,
                end=slider.high,
                step=slider.step,
                value=explorer.values[key],
                show_value=False,  # the box beside it shows the value and takes typing
                tooltips=False,  # a value bubble would cover the slider's label
                width=250,
                css_classes=["sf-slider"],
            )
            self.boxes[key] = pn.widgets.TextInput(
                label=key,
                value=slider.format(explorer.values[key]),
                width=130,
                css_classes=["sf-box"],
            )
            # value_throttled: once per move, when the handle is let go.
            self.sliders[key].param.watch(self._on_slider(key), "value_throttled")
            self.boxes[key].param.watch(self._on_box(key), "value")
            rows.append(pn.Row(self.sliders[key], self.boxes[key], align="end"))
        self.chart_picker = pn.widgets.Select(
            label="Chart",
            options={CHART_LABELS[name]: name for name in CHARTS},
            value=explorer.chart,
            width=320,
        )
        self.chart_picker.param.watch(self._on_chart, "value")
        self.headline = pn.pane.HTML(
            "",
            sizing_mode="stretch_width",
            max_width=CHART_WIDTH,
            css_classes=["sf-headline"],
            styles={"font-size": "26px", "font-weight": "bold", "line-height": "1.25"},
        )
        self.message = pn.pane.HTML("", css_classes=["sf-message"])
        # As wide as the window allows, never wider than the PNG's own pixels.
        self.image = pn.pane.PNG(
            None, sizing_mode="scale_width", max_width=CHART_WIDTH, css_classes=["sf-chart"]
        )
        self.status = pn.pane.HTML("", css_classes=["sf-status"], styles={"color": "#666"})
        self.download = pn.widgets.FileDownload(
            callback=self._yaml,
            filename=f"{folder_name(explorer.base.name)}.yaml",
            label="Save this scenario",
            color="primary",
            width=300,
        )
        controls = pn.Column(
            pn.pane.HTML(
                f"<h2 style='margin:0'>simfunnel · {html.escape(explorer.base.name)}</h2>"
                "<p style='color:#666;margin:0.2em 0 0.8em'>Move a slider or type a value "
                "(Enter); every change re-simulates on the same seed.</p>",
                width=400,
            ),
            *rows,
            self.download,
            width=420,
        )
        chart = pn.Column(
            self.chart_picker,
            self.headline,
            self.message,
            self.image,
            self.status,
            sizing_mode="stretch_width",
            max_width=CHART_WIDTH + 20,
        )
        self.layout = pn.Row(
            controls, chart, sizing_mode="stretch_width", styles={"padding": "12px"}
        )
        self._show()

    # --------------------------------------------------------------- handlers
    @staticmethod
    def _new(event: Any) -> Any:
        return event.new

    def _yaml(self) -> io.StringIO:
        """The current scenario as the explorer saves it (the download's content)."""
        self.download.filename = f"{folder_name(self.explorer.scenario.name)}.yaml"
        return io.StringIO(self.explorer.yaml())

    # ----------------------------------------------------------------- output
    def _refuse(self, text: str) -> None:
        self.message.object = (
            "<span class='sf-error' style='color:#B00020;font-size:16px'>"
            f"{html.escape(text)}</span>"
        )

    def _display(self, view: View) -> None:
        self.headline.object = f"<span class='sf-finding'>{html.escape(view.finding)}</span>"
        self.message.object = ""
        self.image.object = view.png
        self.status.object = html.escape(view.status)


def page(
    scenario: Scenario | str | Path,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
) -> Any:
    """The explorer's page (a Panel layout) for one session; arguments as :class:`Explorer`."""
    return ExplorerPage(Explorer(scenario, chart, openings, keys)).layout


def serve(
    scenario: Scenario,
    port: int,
    *,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
    show: bool = False,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the explorer of ``scenario`` on http://localhost:PORT until interrupted.

    ``ready(url)`` is called once the server listens. A port already in use is an
    :class:`InputError`.
    """
    pn = require_panel()
    page(scenario, chart, openings, keys)  # build one page first: errors show here, not online
    try:
        server = pn.serve(
            {"/": lambda: page(scenario, chart, openings, keys)},
            port=port,
            address="localhost",
            websocket_origin=[f"localhost:{port}", f"127.0.0.1:{port}"],
            show=show,
            start=False,
            title=f"simfunnel · {scenario.name}",
            verbose=False,
        )
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"--port {port}: already in use; choose another port") from None
        raise
    if ready is not None:
        ready(f"http://localhost:{server.port}/")
    server.start()
    server.io_loop.start()
