"""Intervals of a run whose parameters are uncertain (one parameter set per block).

With parameters drawn per block (:mod:`simfunnel.model.uncertainty`), openings of one
block share their parameters, so they are not independent: the blocks are. Two
intervals are reported per metric (MODEL.md section 8):

- **Monte Carlo CI** (``ci_low``/``ci_high``) of the pooled value ``r = sum Y / sum X``
  over all blocks, the value averaged over the parameter distribution. Its standard
  error treats blocks as the independent units (the delta method over block totals:
  ``se^2 = B/(B-1) sum_b (Y_b - r X_b)^2 / (sum X)^2``) and Student's t with ``B - 1``
  degrees of freedom (with 50 blocks, 1.96 held 92.5-93% for some metrics: measured).
  More openings narrow it.
- **Range over parameter sets** (``param_low``/``param_high``): where the metric's
  value ``m(theta)`` lies for 95% of parameter sets. Each block's ratio ``r_b`` is
  ``m(theta_b)`` plus Monte Carlo noise of known variance ``v_b`` (the delta method within
  the block). The parameter variance is the spread ``S^2`` of the ``r_b`` less the mean
  noise variance; for the range, ``S^2`` is taken at its 75% upper confidence bound
  (``S^2 (B-1) / chi2_{B-1, .25}``), because an underestimated spread gives a range that
  misses, and an estimate from ``B`` blocks is uncertain by about ``sqrt(2 / B)``. (With
  50 blocks, the median held days to fill, a small effect under much noise, for 90% of
  parameter sets, the 75% bound 96%, the 90% bound 98%; see MODEL.md section 8.) The
  ``r_b`` are shrunk (or stretched) about their mean so their variance is that bound
  less the noise, their shape kept, and the range runs between the order statistics
  ``k`` and ``B + 1 - k`` with ``k = floor(.025 (B + 1))``, at least 1: a new
  exchangeable value falls between them with probability ``(B + 1 - 2k) / (B + 1)`` >=
  95% (the 2.5% and 97.5% sample quantiles of 50 blocks hold only 91%: measured). It
  is widened to the Monte Carlo CI where that is wider. With fewer than
  :data:`~simfunnel.model.uncertainty.MIN_UNCERTAIN_BLOCKS` (40) blocks no range is
  reported (NaN): 39/41 is the least coverage those order statistics can give above 95%.
  More openings do not narrow the range much: it is what is not known about the
  parameters. For a metric the parameters do not move, the bound is noise, so its range
  is somewhat wider than its CI: wide, not wrong.
- **Share** (``param_share``) ``= tau^2 / (tau^2 + se^2)`` with the plain estimate
  ``tau^2 = S^2 - mean v_b``, counted only where the parameters move the metric
  detectably: ``S^2`` above the 99% point of the noise alone (a chi-square test with
  ``B - 1`` degrees of freedom), else 0. Without the test, the sampling error of the
  estimate (far above ``se^2``) would pass for parameter uncertainty and read as a
  share near 100%. Near 1: run no more openings, learn the parameters.

Measured by ``scripts/coverage.py`` (README table): the CIs against a large run of the
uncertain scenario; the ranges against independently drawn parameter sets, each
simulated with fixed parameters (the cancel rate's truth is exact).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.stats import chi2
from scipy.stats import t as student_t

from simfunnel.analysis.summary import Moments, ratio_table
from simfunnel.model.uncertainty import MIN_UNCERTAIN_BLOCKS

UNCERTAINTY_COLUMNS = ("blocks", "block_se", "param_low", "param_high", "param_share")
RANGE = 0.95  # the range holds the metric's value for this share of parameter sets
SPREAD_BOUND = 0.75  # the range takes the block spread at this upper confidence bound
DETECTION = 0.99  # a metric's block spread is parameter variance only beyond this noise quantile


def block_z(blocks: float) -> float:
    """The 97.5% point of Student's t with ``blocks - 1`` degrees of freedom: the
    multiplier of a block-level standard error (1.96 only for many blocks)."""
    return float(student_t.ppf(0.975, max(blocks - 1, 1)))


def _block_ratios(names: list[str], blocks: list[Moments], scenario: int) -> tuple[np.ndarray, ...]:
    """Per block and metric: denominator and numerator sums, ratio and its noise variance."""
    stats = np.stack([block.statistics(names, scenario).to_numpy() for block in blocks])
    table = ratio_table(names * len(blocks), stats.reshape(-1, stats.shape[-1]))
    shape = (len(blocks), len(names))
    n, mean_x, mean_y = stats[..., 0], stats[..., 1], stats[..., 2]
    return (
        n * mean_x,
        n * mean_y,
        table["value"].to_numpy().reshape(shape),
        (table["se"].to_numpy() ** 2).reshape(shape),
    )


def _spread(ratios: np.ndarray, noise: np.ndarray) -> tuple[float, float, float]:
    """(tau^2 if detected else 0, low, high) of the parameter effect from block ratios
    and their noise (see the module's docstring)."""
    known = np.isfinite(ratios) & np.isfinite(noise)
    ratios, noise = ratios[known], noise[known]
    count = ratios.size
    if count < MIN_UNCERTAIN_BLOCKS:
        return np.nan, np.nan, np.nan
    total = float(np.var(ratios, ddof=1))
    noise_variance = float(noise.mean())
    # The share: parameter variance only where the spread exceeds the noise's 99% point.
    detected = total > noise_variance * chi2.ppf(DETECTION, count - 1) / (count - 1)
    # The range: the spread at its upper confidence bound, less the noise.
    upper = total * (count - 1) / chi2.ppf(1 - SPREAD_BOUND, count - 1)
    tau2 = max(0.0, upper - noise_variance)
    centre = float(ratios.mean())
    shrink = np.sqrt(tau2 / total) if total > 0 else 0.0
    values = np.sort(centre + shrink * (ratios - centre))
    # Order statistics k and B + 1 - k hold a new exchangeable draw with probability
    # (B + 1 - 2k) / (B + 1) >= 95%.
    k = max(1, math.floor((count + 1) * (1 - RANGE) / 2))
    low, high = values[k - 1], values[count - k]
    return (max(0.0, total - noise_variance) if detected else 0.0), float(low), float(high)


def _table(
    value: np.ndarray, se: np.ndarray, spreads: list[tuple[float, float, float]], blocks: int
) -> pd.DataFrame:
    tau2, low, high = (np.array(column) for column in zip(*spreads, strict=True))
    z = block_z(blocks)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = tau2 / (tau2 + se**2)
    return pd.DataFrame(
        {
            "blocks": np.full(len(value), float(blocks)),
            "block_se": se,
            # No range without enough blocks (NaN), never the CI passed off as one.
            "param_low": np.where(np.isfinite(low), np.fmin(low, value - z * se), np.nan),
            "param_high": np.where(np.isfinite(high), np.fmax(high, value + z * se), np.nan),
            "param_share": np.where(np.isfinite(low), share, np.nan),
        }
    )


def uncertainty_table(names: list[str], blocks: list[Moments], scenario: int = 0) -> pd.DataFrame:
    """:data:`UNCERTAINTY_COLUMNS` per metric (index ``metric``) for one scenario."""
    x, y, ratios, noise = _block_ratios(names, blocks, scenario)
    total_x = x.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = y.sum(axis=0) / total_x
        residual = ((y - value * x) ** 2).sum(axis=0)
        # One block has no spread to learn a standard error from: NaN, not 0.
        scale = len(blocks) / (len(blocks) - 1) if len(blocks) > 1 else np.nan
        se = np.sqrt(residual * scale) / total_x
    spreads = [_spread(ratios[:, m], noise[:, m]) for m in range(len(names))]
    table = _table(value, se, spreads, len(blocks))
    table.index = pd.Index(names, name="metric")
    return table


def block_difference(names: list[str], blocks: list[Moments], a: int, b: int) -> pd.DataFrame:
    """Scenario ``a`` minus ``b`` with block-level CIs and the range over parameters.

    The columns of :meth:`Moments.difference` (the paired CI from block totals, the
    unpaired one from each scenario's block SE) plus ``param_low``/``param_high``/
    ``param_share``: the per-block differences share their parameter draws (common
    random numbers), so their spread less their noise is the parameter effect on
    the difference.
    """
    xa, ya, _, _ = _block_ratios(names, blocks, a)
    xb, yb, _, _ = _block_ratios(names, blocks, b)
    count = len(blocks)
    scale = count / (count - 1) if count > 1 else np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        ra, rb = ya.sum(axis=0) / xa.sum(axis=0), yb.sum(axis=0) / xb.sum(axis=0)
        influence_a = (ya - ra * xa) / xa.sum(axis=0)
        influence_b = (yb - rb * xb) / xb.sum(axis=0)
        se = np.sqrt(((influence_a - influence_b) ** 2).sum(axis=0) * scale)
        se_a = np.sqrt((influence_a**2).sum(axis=0) * scale)
        se_b = np.sqrt((influence_b**2).sum(axis=0) * scale)
    per_block = [block.difference(names, a, b) for block in blocks]
    differences = np.stack([d["difference"].to_numpy() for d in per_block])
    noise = np.stack([d["se"].to_numpy() ** 2 for d in per_block])
    difference = ra - rb
    z = block_z(count)
    spreads = [_spread(differences[:, m], noise[:, m]) for m in range(len(names))]
    extra = _table(difference, se, spreads, count)
    differing = sum(block.differing[:, a, b] for block in blocks)
    unpaired = np.sqrt(se_a**2 + se_b**2)
    return pd.DataFrame(
        {
            "difference": difference,
            "ci_low": difference - z * se,
            "ci_high": difference + z * se,
            "se": se,
            "unpaired_ci_low": difference - z * unpaired,
            "unpaired_ci_high": difference + z * unpaired,
            "unpaired_se": unpaired,
            "differing_openings": np.asarray(differing).astype(np.int64),
            "param_low": extra["param_low"].to_numpy(),
            "param_high": extra["param_high"].to_numpy(),
            "param_share": extra["param_share"].to_numpy(),
        },
        index=pd.Index(names, name="metric"),
    )


__all__ = ["UNCERTAINTY_COLUMNS", "block_difference", "block_z", "uncertainty_table"]
