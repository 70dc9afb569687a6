"""Analysis outputs that own their table, the finding they state, and their chart.

In the style of scikit-learn's Display objects and SALib's ``ResultDict``: each
output is a small typed object built from a result (``Funnel.from_result(result)``)
that holds

- its table, ``.to_df()`` (a copy; what the CSV, the terminal and the chart show);
- ``.finding``: the one sentence the chart states as its title, computed from the
  table (tests assert on it, never on Matplotlib artists);
- ``.note``: the grey subtitle (scenario, size, definitions);
- ``.plot(ax=None, *, title=None, subtitle=None, **style) -> Axes``, drawn by the
  presentation layer (:mod:`simfunnel.present.charts`) from the table alone.

Nothing here imports Matplotlib: the chart module is loaded only when ``.plot`` is
called, so outputs can be computed where Matplotlib is not installed.
"""

from simfunnel.analysis.outputs.base import Output
from simfunnel.analysis.outputs.benchmarks import Benchmarks
from simfunnel.analysis.outputs.candidate import JobSearch
from simfunnel.analysis.outputs.compare import Differences
from simfunnel.analysis.outputs.run import (
    RUN_OUTPUTS,
    FeltVsActual,
    Funnel,
    LossReasons,
    Margins,
    OfferProbability,
    Seasonality,
    TimeToFill,
)
from simfunnel.analysis.outputs.sensitivity import Sensitivity, SobolIndices
from simfunnel.analysis.outputs.sweep import RiskTradeoff, Sweep

__all__ = [
    "RUN_OUTPUTS",
    "Benchmarks",
    "Differences",
    "FeltVsActual",
    "Funnel",
    "JobSearch",
    "LossReasons",
    "Margins",
    "OfferProbability",
    "Output",
    "RiskTradeoff",
    "Seasonality",
    "Sensitivity",
    "SobolIndices",
    "Sweep",
    "TimeToFill",
]
