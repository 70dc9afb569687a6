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
from simfunnel.metrics import scenario_label
from simfunnel.model.scenario import Scenario, folder_name
from simfunnel.present.explorer.core import (
    CHART_LABELS,
    CHARTS,
    PNG_DPI,
    PRESENT_DPI,
    Explorer,
    FrontEnd,
    View,
)

CHART_WIDTH = 960  # px: the PNG's own size (13.33 x 7.5 in at 72 dpi), at most 1:1
PRESENT_WIDTH = 1440  # px in presentation mode (PRESENT_DPI): most of a 1080p screen
# Presentation mode: controls a room can see and a speaker can hit from a lectern.
PRESENT_CSS = """
.bk-input, .bk-btn, select { font-size: 22px !important; }
label, .bk-slider-title { font-size: 20px !important; }
.noUi-handle { width: 34px !important; height: 34px !important; }
.noUi-horizontal { height: 14px !important; }
"""


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

    def __init__(self, explorer: Explorer, *, present: bool = False) -> None:
        pn = require_panel()
        self._attach(explorer)
        self.present = present
        self._pending: dict[str, Any] = {}  # slider -> the newest position while dragging
        self._scheduled = False
        chart_width = PRESENT_WIDTH if present else CHART_WIDTH
        control_width = 400 if present else 250  # room for a slider's label in words
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
                width=control_width,
                css_classes=["sf-slider"],
                stylesheets=[PRESENT_CSS] if present else [],
            )
            # No label: the slider beside it says what it is in words (never a raw key).
            self.boxes[key] = pn.widgets.TextInput(
                value=slider.format(explorer.values[key]),
                width=110 if present else 90,
                css_classes=["sf-box"],
                stylesheets=[PRESENT_CSS] if present else [],
            )
            # While the handle is dragged: the latest value, at most one update at a time
            # (DRAG_MS coalesces the positions that arrive during one); and once more,
            # value_throttled, when it is let go (skipped if the drag got there already).
            self.sliders[key].param.watch(self._on_drag(key), "value")
            self.sliders[key].param.watch(self._on_release(key), "value_throttled")
            self.boxes[key].param.watch(self._on_box(key), "value")
            rows.append(pn.Row(self.sliders[key], self.boxes[key], align="end"))
        self.chart_picker = pn.widgets.Select(
            label="Chart",
            options={CHART_LABELS[name]: name for name in CHARTS},
            value=explorer.chart,
            width=420 if present else 320,
            stylesheets=[PRESENT_CSS] if present else [],
        )
        self.chart_picker.param.watch(self._on_chart, "value")
        self.reset = pn.widgets.Button(
            label="Reset to the baseline",
            color="default",
            width=control_width + 100,
            css_classes=["sf-reset"],
            stylesheets=[PRESENT_CSS] if present else [],
        )
        self.reset.on_click(lambda _event: self._apply(self.explorer.reset))
        self.headline = pn.pane.HTML(
            "",
            sizing_mode="stretch_width",
            max_width=chart_width,
            css_classes=["sf-headline"],
            styles={"font-size": "40px" if present else "26px", "font-weight": "bold",
                    "line-height": "1.2"},
        )  # fmt: skip
        self.message = pn.pane.HTML("", css_classes=["sf-message"])
        # As wide as the window allows, never wider than the PNG's own pixels.
        self.image = pn.pane.PNG(
            None, sizing_mode="scale_width", max_width=chart_width, css_classes=["sf-chart"]
        )
        self.status = pn.pane.HTML(
            "", css_classes=["sf-status"],
            styles={"color": "#666", "font-size": "18px" if present else "12px"},
        )  # fmt: skip
        self.download = pn.widgets.FileDownload(
            callback=self._yaml,
            filename=f"{folder_name(explorer.base.name)}.yaml",
            label="Save this scenario",
            color="primary",
            width=control_width + 100,
            stylesheets=[PRESENT_CSS] if present else [],
        )
        name = html.escape(scenario_label(explorer.base.name))  # settings in plain words
        controls = pn.Column(
            pn.pane.HTML(
                f"<h2 style='margin:0'>simfunnel · {name}</h2>"
                "<p style='color:#666;margin:0.2em 0 0.8em'>Move a slider or type a value "
                "(Enter); every change re-simulates on the same seed.</p>",
                width=control_width + 150,
                styles={"font-size": "20px"} if present else {},
            ),
            *rows,
            self.reset,
            self.download,
            width=control_width + 170,
        )
        chart = pn.Column(
            self.chart_picker,
            self.headline,
            self.message,
            self.image,
            self.status,
            sizing_mode="stretch_width",
            max_width=chart_width + 20,
        )
        self.layout = pn.Row(
            controls, chart, sizing_mode="stretch_width", styles={"padding": "12px"}
        )
        self._show()

    # --------------------------------------------------------------- handlers
    @staticmethod
    def _new(event: Any) -> Any:
        return event.new

    def _on_drag(self, key: str) -> Callable[[Any], None]:
        """Update while a slider is dragged, in a served page: keep the newest value and
        apply it DRAG_MS later (positions that arrive meanwhile replace it), so the chart
        follows the handle without a backlog of updates. Without a server session (a
        test, a notebook) only the release updates."""

        def handler(event: Any) -> None:
            doc = _session_document()
            if self._syncing or doc is None:
                return
            self._pending[key] = event.new
            if not self._scheduled:
                self._scheduled = True
                doc.add_timeout_callback(self._flush, DRAG_MS)

        return handler

    def _flush(self) -> None:
        self._scheduled = False
        pending, self._pending = self._pending, {}
        for key, value in pending.items():
            if value != self.explorer.values[key]:
                self._apply(lambda k=key, v=value: self.explorer.set_value(k, v))

    def _on_release(self, key: str) -> Callable[[Any], None]:
        apply = self._on_slider(key)

        def handler(event: Any) -> None:
            self._pending.pop(key, None)
            if event.new != self.explorer.values[key]:  # the drag may have got there
                apply(event)

        return handler

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


DRAG_MS = 120  # how long positions of a dragged handle are gathered into one update


def _session_document() -> Any:
    """The Bokeh document of the served session this code runs in, else None."""
    try:
        import panel as pn

        return (
            pn.state.curdoc
            if pn.state.curdoc is not None and pn.state.curdoc.session_context
            else None
        )
    except Exception:  # no Panel state: not served
        return None


def page(
    scenario: Scenario | str | Path,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
    *,
    present: bool | None = None,
) -> Any:
    """The explorer's page (a Panel layout) for one session; arguments as :class:`Explorer`.

    ``present``: presentation mode (large controls, a 1440 px chart, a 40 px headline);
    by default on when the page's address asks for it, ``http://localhost:5006/?present``.
    """
    if present is None:
        present = _asks_for_presentation()
    dpi = PRESENT_DPI if present else PNG_DPI
    explorer = Explorer(scenario, chart, openings, keys, dpi=dpi)
    return ExplorerPage(explorer, present=present).layout


def _asks_for_presentation() -> bool:
    """Whether this session's address has ``?present`` (any value but 0/false/no)."""
    try:
        import panel as pn

        args = pn.state.session_args or {}
    except Exception:
        return False
    if "present" not in args:
        return False
    value = (args["present"] or [b""])[0].decode("utf-8", "replace").strip().lower()
    return value not in ("0", "false", "no")


def serve(
    scenario: Scenario,
    port: int,
    *,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
    show: bool = False,
    ready: Callable[[str], None] | None = None,
    present: bool = False,
) -> None:
    """Serve the explorer of ``scenario`` on http://localhost:PORT until interrupted.

    ``ready(url)`` is called once the server listens. A port already in use is an
    :class:`InputError`.
    """
    pn = require_panel()
    page(scenario, chart, openings, keys, present=False)  # errors show here, not online
    # ``--present`` makes every session present; otherwise ``?present`` in the address.
    mode = True if present else None
    try:
        server = pn.serve(
            {"/": lambda: page(scenario, chart, openings, keys, present=mode)},
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
