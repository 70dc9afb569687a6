"""simfunnel: a hiring-funnel Monte Carlo. Why do good interviews still lose?"""

from __future__ import annotations

__version__ = "0.1.0"

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simfunnel import metrics
from simfunnel.analysis.explore import Comparison, compare, sensitivity, sweep
from simfunnel.analysis.fit import FitSettings, fit
from simfunnel.analysis.options import RunOptions
from simfunnel.analysis.outputs.fit import FitResult
from simfunnel.analysis.result import Result, load_result
from simfunnel.analysis.run import simulate
from simfunnel.analysis.you import YouResult, you
from simfunnel.errors import InputError
from simfunnel.io.applications import read_applications
from simfunnel.io.ats import read_ats
from simfunnel.io.loader import load_scenario
from simfunnel.model.scenario import Scenario

if TYPE_CHECKING:
    from simfunnel.present.explorer.notebook import ExplorerWidget

__all__ = [
    "Comparison",
    "FitResult",
    "FitSettings",
    "InputError",
    "Result",
    "RunOptions",
    "Scenario",
    "YouResult",
    "__version__",
    "compare",
    "explore",
    "fit",
    "load_result",
    "load_scenario",
    "metrics",
    "read_applications",
    "read_ats",
    "sensitivity",
    "simulate",
    "sweep",
    "you",
]


def explore(
    scenario: Scenario | str | Path,
    chart: str | None = None,
    openings: int | None = None,
    keys: Sequence[str] | None = None,
) -> ExplorerWidget:
    """A live explorer of ``scenario`` in Jupyter: sliders, a chart picker, the chart.

    Needs ``pip install 'simfunnel[interactive]'``; loaded only when called (it draws
    with Matplotlib and shows ipywidgets). Parameters and return value:
    :func:`simfunnel.present.explorer.notebook.explore`.
    """
    from simfunnel.present.explorer.notebook import explore as notebook_explore

    return notebook_explore(scenario, chart, openings, keys)
