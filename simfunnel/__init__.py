"""simfunnel: a hiring-funnel Monte Carlo. Why do good interviews still lose?"""

__version__ = "0.1.0"

from simfunnel.errors import InputError  # noqa: E402
from simfunnel.explore import Comparison, compare, sensitivity, sweep  # noqa: E402
from simfunnel.result import Result, load_result  # noqa: E402
from simfunnel.run import simulate  # noqa: E402
from simfunnel.scenario import Scenario, load_scenario  # noqa: E402
from simfunnel.you import YouResult, you  # noqa: E402

__all__ = ["InputError", "Result", "Scenario", "__version__", "load_result", "load_scenario", "simulate", "you", "YouResult", "Comparison", "compare", "sweep", "sensitivity"]
