"""simfunnel: a hiring-funnel Monte Carlo. Why do good interviews still lose?"""

__version__ = "0.1.0"

from simfunnel import metrics
from simfunnel.analysis.explore import Comparison, compare, sensitivity, sweep
from simfunnel.analysis.fit import FitSettings, fit
from simfunnel.analysis.options import RunOptions
from simfunnel.analysis.outputs.fit import FitResult
from simfunnel.analysis.result import Result, load_result
from simfunnel.analysis.run import simulate
from simfunnel.analysis.you import YouResult, you
from simfunnel.errors import InputError
from simfunnel.io.ats import read_ats
from simfunnel.io.loader import load_scenario
from simfunnel.model.scenario import Scenario

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
    "fit",
    "load_result",
    "load_scenario",
    "metrics",
    "read_ats",
    "sensitivity",
    "simulate",
    "sweep",
    "you",
]
