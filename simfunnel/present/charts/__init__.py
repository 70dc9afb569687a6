"""Charts for talks and notebooks.

Every chart is a function ``chart(data, ax=None, *, title=None, **style) -> Axes``:

- ``data`` is a :class:`~simfunnel.analysis.result.Result` (a list of them for :func:`compare`,
  a tidy DataFrame for :func:`job_search`);
- ``ax`` is drawn into when given, else a new 16:9 figure is made with pyplot (so a
  notebook shows it);
- ``title`` replaces the computed headline; by default the title *states the finding*,
  computed from the data ("Only 1 in 5 interviewees gets an offer"). It is the axes'
  left-aligned title, ``ax.get_title(loc="left")``, with a grey subtitle under it;
- ``**style`` are matplotlib rcParams laid over the talk style for this chart only,
  given as ``**{"font.size": 12}`` or with underscores, ``font_size=12``.

The talk style (``talk.mplstyle`` in this package) is applied with
``plt.style.context`` inside each function, so it never leaks into the caller's
global style. No function shows a figure (they return Axes). This package is the only part of
simfunnel that imports matplotlib.

:func:`render_all` writes every chart a result supports into a folder (PNG at 200 dpi,
SVG, PDF), each file atomically and reproducibly: the same result gives the same bytes.

Modules: :mod:`~simfunnel.present.charts.style` (the talk style and headline),
:mod:`~simfunnel.present.charts.data` (tidy tables the charts draw), one module per chart
family (``run``, ``candidate``, ``compare``, ``sweep``, ``sensitivity``) and
:mod:`~simfunnel.present.charts.render` (writing files).
"""

from simfunnel.analysis.outputs.compare import COMPARE_METRICS
from simfunnel.metrics import SWEEP_METRICS
from simfunnel.present import CHART_FORMATS
from simfunnel.present.charts.candidate import JOB_SEARCH_COLUMNS, job_search
from simfunnel.present.charts.compare import compare
from simfunnel.present.charts.data import QUALITY_BINS, cluster_rate, offer_probability_table
from simfunnel.present.charts.loss_reasons import loss_reasons
from simfunnel.present.charts.render import (
    render_all,
    render_sweep,
    save_chart,
    save_figure,
    save_result,
    supported_charts,
)
from simfunnel.present.charts.run import (
    felt_vs_actual,
    funnel,
    margins,
    offer_probability,
    seasonality,
)
from simfunnel.present.charts.sensitivity import sobol_indices, tornado
from simfunnel.present.charts.style import talk_style
from simfunnel.present.charts.sweep import (
    RISK_AVERSION,
    RISK_TRADEOFF_METRICS,
    risk_tradeoff,
    sweep_heatmap,
    sweep_lines,
)

__all__ = [
    "CHART_FORMATS",
    "COMPARE_METRICS",
    "JOB_SEARCH_COLUMNS",
    "QUALITY_BINS",
    "RISK_AVERSION",
    "RISK_TRADEOFF_METRICS",
    "SWEEP_METRICS",
    "cluster_rate",
    "compare",
    "felt_vs_actual",
    "funnel",
    "job_search",
    "loss_reasons",
    "margins",
    "offer_probability",
    "offer_probability_table",
    "render_all",
    "render_sweep",
    "risk_tradeoff",
    "save_chart",
    "save_figure",
    "save_result",
    "seasonality",
    "sobol_indices",
    "supported_charts",
    "sweep_heatmap",
    "sweep_lines",
    "talk_style",
    "tornado",
]
