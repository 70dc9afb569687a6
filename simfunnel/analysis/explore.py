"""What-if questions: compare scenarios, sweep parameters, sensitivity.

Every scenario and grid point is simulated with the same seed, so they share
common random numbers wherever their structure allows (same shortlist size and
engine): the same applicants, interview noise, declines and cancellation draws.
Differences between them are then much sharper than independent runs allow.

The questions live in their own modules and are gathered here:
:mod:`simfunnel.analysis.comparison` (compare), :mod:`simfunnel.analysis.sweeps` (sweep,
parse_vary), :mod:`simfunnel.analysis.sensitivities` (sensitivity, sobol, default_ranges)
and :mod:`simfunnel.analysis.points` (run_points, local or on Dask).
"""

from __future__ import annotations

from simfunnel.analysis.comparison import Comparison, compare
from simfunnel.analysis.points import Point, run_points
from simfunnel.analysis.sensitivities import default_ranges, require_salib, sensitivity, sobol
from simfunnel.analysis.sweeps import parse_vary, sweep

__all__ = [
    "Comparison",
    "Point",
    "compare",
    "default_ranges",
    "parse_vary",
    "require_salib",
    "run_points",
    "sensitivity",
    "sobol",
    "sweep",
]
