"""simfunnel: a hiring-funnel Monte Carlo. Why do good interviews still lose?"""

__version__ = "0.1.0"

from simfunnel import metrics
from simfunnel.errors import InputError
from simfunnel.explore import Comparison, compare, sensitivity, sweep
from simfunnel.loader import load_scenario
from simfunnel.options import RunOptions
from simfunnel.result import Result, load_result
from simfunnel.run import simulate
from simfunnel.scenario import Scenario
from simfunnel.you import YouResult, you

__all__ = [
    "Comparison",
    "InputError",
    "Result",
    "RunOptions",
    "Scenario",
    "YouResult",
    "__version__",
    "compare",
    "load_result",
    "load_scenario",
    "metrics",
    "sensitivity",
    "simulate",
    "sweep",
    "you",
]
