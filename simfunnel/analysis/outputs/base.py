"""The base of every analysis output."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class Output:
    """An analysis output: its table, the finding it states, and how it is drawn.

    Subclasses set :attr:`chart` to ``"module:function"`` of :mod:`simfunnel.present.charts`,
    a function ``draw(output, ax, *, title, subtitle, **style) -> Axes`` that reads
    only ``output.to_df()``, ``output.finding``, ``output.note`` and the output's
    public attributes.

    Parameters
    ----------
    table : DataFrame
    finding : str
        One sentence, the chart's title.
    note : str
        The chart's subtitle: what was simulated and how terms are defined.
    """

    chart: ClassVar[str] = ""

    def __init__(self, table: pd.DataFrame, finding: str, note: str = "") -> None:
        self._table = table
        self.finding = finding
        self.note = note

    def to_df(self) -> pd.DataFrame:
        """The output's table (a copy)."""
        return self._table.copy()

    def plot(
        self,
        ax: Axes | None = None,
        *,
        title: str | None = None,
        subtitle: str | None = None,
        **style: Any,
    ) -> Axes:
        """Draw the output; ``title``/``subtitle`` replace the finding and the note.

        ``**style`` are Matplotlib rcParams for this chart only (``font_size=12``).
        Returns the Axes; never shows the figure.
        """
        module, _, function = self.chart.partition(":")
        # Drawing is the presentation layer, loaded only to draw (Matplotlib is heavy).
        draw = getattr(importlib.import_module(f"simfunnel.present.charts.{module}"), function)
        return draw(self, ax, title=title, subtitle=subtitle, **style)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.finding}>"
