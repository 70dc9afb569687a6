"""simfunnel: a hiring-funnel Monte Carlo. Why do good interviews still lose?"""

__version__ = "0.1.0"

from simfunnel import metrics
from simfunnel.analysis.explore import Comparison, compare, sensitivity, sweep
from simfunnel.analysis.options import RunOptions
from simfunnel.analysis.result import Result, load_result
from simfunnel.analysis.run import simulate
from simfunnel.analysis.you import YouResult, you
from simfunnel.errors import InputError
from simfunnel.io.loader import load_scenario
from simfunnel.model.scenario import Scenario

__all__ = [
    "Comparison",
    "InputError",
    "Result",
    "RunOptions",
    "Scenario",
    "YouResult",
    "__version__",
    "compare",
    "explore",
    "load_result",
    "load_scenario",
    "metrics",
    "sensitivity",
    "simulate",
    "sweep",
    "you",
]


def __getattr__(name: str):
    # The explorer needs Matplotlib and ipywidgets (optional): loaded only when asked for.
    if name == "explore":
        from simfunnel.present.explorer.notebook import explore

        return explore
    raise AttributeError(f"module 'simfunnel' has no attribute {name!r}")
