"""Posterior predictive checks of a fit: is the export one the fitted model could produce?

One data set is simulated per posterior draw; each summary of the export is compared
with its simulated distribution (a p-value), and so is the distribution of each column
(MODEL.md section 7).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from simfunnel.analysis.fit_summaries import (
    FIT_CHECKS,
    INTERVAL,
    Statistic,
    masked,
    rate_per_requisition,
    summarise,
)
from simfunnel.analysis.requisitions import requisition_arrays
from simfunnel.io.ats import NUMBERS
from simfunnel.model.engine import Model, draw_blocks, simulate_funnel
from simfunnel.model.parameters import Parameter, scenario_at
from simfunnel.model.rng import BLOCK_OPENINGS, Seed
from simfunnel.model.scenario import Scenario

EXTREME_P = 0.01  # a posterior predictive p-value at most this is "extreme"

# ------------------------------------------------------- posterior predictive checks
# The export's numbers, the weeks its dates give and offers per interviewee.
DISTRIBUTION_COLUMNS = (*NUMBERS, "process_weeks", "offer_rate")


def _values(arrays: dict[str, np.ndarray], column: str) -> np.ndarray:
    if column == "offer_rate":
        values = rate_per_requisition(arrays)
    elif column == "process_weeks":
        values = np.where(arrays["cancelled"] == 0, arrays["process_weeks"], np.nan)
    else:
        values = arrays[column]
    return values[~np.isnan(values)]


def _bins(observed: np.ndarray, column: str) -> np.ndarray:
    if column == "offer_rate":
        return np.linspace(0, 1, 11)
    # The observed range: simulated values outside it count in the end bins.
    low, high = np.floor(observed.min()), np.ceil(observed.max())
    if high - low <= 15:
        return np.arange(low - 0.5, high + 1.5)  # one bin per count
    return np.linspace(low, high + 1e-9, 13)


def _shares(values: np.ndarray, bins: np.ndarray) -> np.ndarray:
    counts, _ = np.histogram(np.clip(values, bins[0], bins[-1]), bins)
    return counts / max(values.size, 1)


def predictive_p_values(
    replicated: np.ndarray, observed: np.ndarray, smooth: np.ndarray | None = None
) -> np.ndarray:
    """Two-sided posterior predictive p-values, ``2 min(P(T* >= T), P(T* <= T))``.

    ``replicated`` has shape (data sets, statistics). Counted with the +1 correction,
    a p-value cannot go below ``2 / (data sets + 1)``: 0.0198 with 100 data sets, twice
    the 0.01 that is called extreme, so counting alone cannot tell an observation just
    past every simulated one from one far beyond them. There, for the statistics marked
    ``smooth`` (means, SDs, shares: near normal; default all), the p-value is the normal
    tail of the simulated distribution if that is smaller. The fewest and most of a
    column are skewed and bounded, so they keep the count, except that a value the
    simulations never vary from (the fewest applicants, when the range is known) makes
    any other value extreme.
    """
    smooth = np.ones(observed.shape, bool) if smooth is None else np.asarray(smooth, bool)
    count = np.sum(~np.isnan(replicated), axis=0)
    above = np.nansum(replicated >= observed, axis=0)
    below = np.nansum(replicated <= observed, axis=0)
    p_values = np.minimum(1.0, 2 * (np.minimum(above, below) + 1) / (count + 1))
    beyond = (np.minimum(above, below) == 0) & (count > 1)
    if beyond.any():
        known = replicated[:, beyond]
        mean = np.array([np.mean(c[~np.isnan(c)]) for c in known.T])
        sd = np.array([np.std(c[~np.isnan(c)], ddof=1) for c in known.T])
        with np.errstate(divide="ignore"):
            z = np.abs(observed[beyond] - mean) / sd  # inf where the spread is 0
        tail = np.where(smooth[beyond] | (sd == 0), 2 * ndtr(-z), 1.0)
        p_values[beyond] = np.minimum(p_values[beyond], tail)
    return p_values


def predictive_checks(
    posterior: pd.DataFrame,
    parameters: Sequence[Parameter],
    base: Scenario,
    seed: Seed,
    count: int,
    n: int,
    mask: dict[str, np.ndarray],
    statistics: Sequence[Statistic],
    observed: np.ndarray,
    observed_arrays: dict[str, np.ndarray],
    bar: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One data set per posterior draw (the first ``count``): p-values and histograms."""
    blocks = math.ceil(n / BLOCK_OPENINGS)
    columns = [
        c for c in DISTRIBUTION_COLUMNS
        if _values(observed_arrays, c).size and (c != "process_weeks" or "process_weeks" in mask)
    ]  # fmt: skip
    bins = {c: _bins(_values(observed_arrays, c), c) for c in columns}
    replicated, histograms = [], {c: [] for c in columns}
    rows = posterior.to_numpy()
    for b in range(count):
        scenario = scenario_at(base, parameters, rows[b % len(rows)])
        scenario = scenario.model_copy(update={"engine": "exact"})
        draws = draw_blocks(scenario, seed, FIT_CHECKS, b * blocks, blocks)
        arrays = requisition_arrays(simulate_funnel(Model.build(scenario), draws))
        arrays = masked({k: v[:n] for k, v in arrays.items()}, mask)
        replicated.append(summarise(arrays, statistics))
        for c in columns:
            histograms[c].append(_shares(_values(arrays, c), bins[c]))
        bar.update()
    replicated_summaries = np.array(replicated)
    extremes = np.array([s.name.endswith(("_min", "_max")) for s in statistics], bool)
    p_values = predictive_p_values(replicated_summaries, observed, ~extremes)
    checks = pd.DataFrame(
        {
            "statistic": [s.name for s in statistics],
            "label": [s.label for s in statistics],
            "used_in_fit": [s.fit for s in statistics],
            "observed": observed,
            "simulated_median": np.nanmedian(replicated_summaries, axis=0),
            "simulated_q05": np.nanquantile(replicated_summaries, INTERVAL[0], axis=0),
            "simulated_q95": np.nanquantile(replicated_summaries, INTERVAL[1], axis=0),
            "p_value": p_values,
        }
    )
    checks["extreme"] = checks["p_value"] <= EXTREME_P
    rows_out = []
    for c in columns:
        shares = np.array(histograms[c])
        seen = _shares(_values(observed_arrays, c), bins[c])
        for i in range(len(bins[c]) - 1):
            rows_out.append(
                {
                    "column": c,
                    "bin_low": bins[c][i],
                    "bin_high": bins[c][i + 1],
                    "observed_share": seen[i],
                    "simulated_median": float(np.median(shares[:, i])),
                    "simulated_q05": float(np.quantile(shares[:, i], INTERVAL[0])),
                    "simulated_q95": float(np.quantile(shares[:, i], INTERVAL[1])),
                }
            )
    return checks, pd.DataFrame(rows_out)
