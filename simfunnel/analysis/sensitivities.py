"""Sensitivity: one-at-a-time swings (a tornado) and global Sobol indices of a metric.

Every point is simulated with the same seed, so Monte Carlo noise does not pose
as sensitivity.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from simfunnel.analysis.options import ParameterError, RunOptions, resolve_options
from simfunnel.analysis.points import Pair, Point, pairs_of, points_of
from simfunnel.analysis.sweeps import value_at
from simfunnel.analysis.varied import (
    POSITIONS,
    compound_kind,
    describe_setting,
    mean_positions,
    multi_hire_split,
    range_keys,
    varied_scenario,
    varied_value,
)
from simfunnel.errors import InputError
from simfunnel.metrics import ATTRIBUTION_METRICS, METRICS, unknown_metric
from simfunnel.model import names
from simfunnel.model.rng import SCENARIO_SEED, SeedLike, resolve_seed
from simfunnel.model.scenario import IntRange, Scenario
from simfunnel.model.uncertainty import refuse_uncertain

# value.* only converts a hire's value into money: it shapes no decision in the funnel.
SENSITIVITY_SKIP = (
    "openings",
    "seed",
    "analysis.",
    "role.freeze_correlation",
    "pipeline.",
    "value.",
)


def default_ranges(scenario: Scenario) -> dict[str, tuple[float, float]]:
    """Each numeric parameter +-50% of its value, clipped to its valid range.

    A whole-number range (``applicants.count``) is scaled as a whole x0.5 and x1.5:
    its low and high values are the range's means (:mod:`simfunnel.analysis.varied`),
    snapped to whole or half numbers. ``role.positions`` moves its extra positions
    per opening (mean - 1, the share of multi-hire requisitions) +-50%. A range
    whose scaled end the scenario refuses (a shortlist above the smallest pool) is
    left out. Parameters at 0 (switched off) and keys that do not shape the funnel
    (openings, seed, analysis, `you`-mode settings, money) are left out.
    """
    ranges: dict[str, tuple[float, float]] = {}
    for key, node, (low, high) in _numeric_parameters(scenario):
        if key.startswith(SENSITIVITY_SKIP) or node == 0:
            continue
        lower, upper = max(low, 0.5 * node), min(high, 1.5 * node)
        if isinstance(node, int):
            lower, upper = round(lower), round(upper)
        if lower != upper:
            ranges[key] = (lower, upper)
    for key in [*range_keys(scenario), POSITIONS]:
        if key.startswith(SENSITIVITY_SKIP):
            continue
        ends = _compound_ends(scenario, key)
        if ends is not None:
            ranges[key] = ends
    return ranges


def parse_range(text: str, scenario: Scenario) -> tuple[str, tuple[float, float]]:
    """``KEY=LOW:HIGH`` -> (key, (low, high)): one parameter's range for :func:`sensitivity`.

    A whole-number key takes whole ends; a range key (``applicants.count``) or
    ``role.positions`` takes means, as a sweep does (:mod:`simfunnel.analysis.varied`).
    Each end must be a valid setting and ``low`` below ``high``.
    """
    key, sep, spec = text.partition("=")
    key, shown = key.strip(), names.shown(text, 60)
    parts = spec.split(":")
    try:
        low, high = (float(part) for part in parts) if sep and len(parts) == 2 else (None, None)
    except ValueError:
        low = high = None
    if low is None or high is None:
        raise ParameterError(
            "range", f"range {shown!r}: expected KEY=LOW:HIGH, e.g. interview.validity=0.1:0.3"
        )
    kind = compound_kind(scenario, key)
    current = value_at(scenario, key) if kind is None else varied_value(scenario, key)
    if not low < high:
        raise ParameterError("range", f"range {key}: low ({low:g}) must be below high ({high:g})")
    ends: tuple[Any, Any] = (low, high)
    if kind is None and isinstance(current, int):
        if not (low.is_integer() and high.is_integer()):
            raise ParameterError("range", f"range {key}: takes whole numbers, got {low:g}:{high:g}")
        ends = (int(low), int(high))
    for end in ends:
        try:
            varied_scenario(scenario, {key: end})
        except InputError as exc:
            reason = str(exc).removeprefix("override: ")
            raise ParameterError("range", f"range {key}: {end:g} is invalid: {reason}") from None
    return key, ends


def _compound_ends(scenario: Scenario, key: str) -> tuple[float, float] | None:
    """A range's or role.positions' low and high mean, or None when they cannot move."""
    mean = varied_value(scenario, key)
    assert mean is not None
    if key == POSITIONS:
        ceiling = mean_positions(multi_hire_split(scenario.role.positions))
        extra = mean - 1
        ends = (round(1 + 0.5 * extra, 10), round(min(ceiling, 1 + 1.5 * extra), 10))
    else:
        ends = tuple(max(1.0, math.floor(2 * factor * mean + 0.5) / 2) for factor in (0.5, 1.5))
    if ends[0] == ends[1]:
        return None
    try:
        for end in ends:
            varied_scenario(scenario, {key: end})
    except InputError:
        return None
    return ends  # type: ignore[return-value]


def _numeric_parameters(scenario: Scenario) -> Iterator[tuple[str, int | float, tuple]]:
    """(dotted key, value, (low, high) valid bounds) of every numeric scenario key.

    Read from the pydantic field constraints, in declaration order; ranges such
    as ``applicants.count`` are one key, not numeric, and are skipped.
    """

    def walk(node: BaseModel, prefix: str) -> Iterator[tuple[str, int | float, tuple]]:
        for name, field in type(node).model_fields.items():
            value = getattr(node, name)
            if isinstance(value, BaseModel):
                if not isinstance(value, IntRange):
                    yield from walk(value, f"{prefix}{name}.")
            elif isinstance(value, int | float) and not isinstance(value, bool):
                yield f"{prefix}{name}", value, _bounds(field)

    return walk(scenario, "")


def _bounds(field: Any) -> tuple[float, float]:
    """Closed bounds of a pydantic field; open ones (gt, lt) are nudged inside."""
    eps = 1e-9
    lower, upper = -np.inf, np.inf
    for meta in getattr(field, "metadata", []):
        if getattr(meta, "ge", None) is not None:
            lower = float(meta.ge)
        if getattr(meta, "gt", None) is not None:
            lower = float(meta.gt) + eps
        if getattr(meta, "le", None) is not None:
            upper = float(meta.le)
        if getattr(meta, "lt", None) is not None:
            upper = float(meta.lt) - eps
    return lower, upper


def sensitivity(
    scenario: Scenario,
    metric: str = "good_interview_offer_rate",
    ranges: dict[str, tuple[float, float]] | None = None,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    options: RunOptions | None = None,
    **changes: Any,
) -> pd.DataFrame:
    """One-at-a-time sensitivity of ``metric`` (a tornado): each parameter at its low
    and high value, everything else at the scenario's value, same seed.

    ``openings`` is per point (default ``DEFAULTS["sensitivity"].openings``,
    20,000); ``options`` and ``changes`` as in :func:`simfunnel.sweep`.

    Each parameter's low and high points are simulated together on the same
    openings, so the swing's 95% CI is paired, per opening (MODEL.md section 11).

    Returns
    -------
    DataFrame
        parameter, low, high, low_setting and high_setting (what a range's mean at
        low and high is: ``50-125``; empty for other keys), value_low, value_high,
        swing (|high - low| of the
        metric) with swing_ci_low/swing_ci_high (95%), the signed change
        (value_high - value_low) with change_ci_low/change_ci_high, swing_se
        (paired) and unpaired_swing_se, differing_openings, and each value's CI
        (value_low_ci_low, ...); sorted by swing, largest first; the base value in
        ``attrs``.
    """
    refuse_uncertain(scenario, "sensitivity")
    resolved = resolve_options("sensitivity", options, openings, seed, changes)
    _check_metric(metric)
    ranges = ranges or default_ranges(scenario)
    keys = list(ranges)
    pairs = [
        (
            varied_scenario(scenario, {key: ranges[key][0]}),
            varied_scenario(scenario, {key: ranges[key][1]}),
        )
        for key in keys
    ]
    base = _points(scenario, [scenario], metric, resolved)[0]
    found = _pairs(scenario, pairs, metric, resolved)
    frame = pd.DataFrame(
        {
            "parameter": keys,
            "low": [ranges[k][0] for k in keys],
            "high": [ranges[k][1] for k in keys],
            "low_setting": [describe_setting(scenario, k, ranges[k][0]) for k in keys],
            "high_setting": [describe_setting(scenario, k, ranges[k][1]) for k in keys],
            "value_low": [pair.first.summary.at[metric, "value"] for pair in found],
            "value_high": [pair.second.summary.at[metric, "value"] for pair in found],
        }
    )
    frame = pd.concat([frame, swing_intervals([pair.difference.loc[metric] for pair in found])],
                      axis=1)  # fmt: skip
    for end, column in (("first", "value_low"), ("second", "value_high")):
        summaries = [getattr(pair, end).summary.loc[metric] for pair in found]
        frame[f"{column}_ci_low"] = [row.ci_low for row in summaries]
        frame[f"{column}_ci_high"] = [row.ci_high for row in summaries]
    frame = frame.sort_values("swing", ascending=False, ignore_index=True)
    frame.attrs.update(
        metric=metric,
        base=base.summary.at[metric, "value"],
        scenario=scenario.name,
        openings=base.openings,
    )
    return frame


def swing_intervals(differences: list[pd.Series]) -> pd.DataFrame:
    """The swing ``|high - low|`` and its 95% CI from each parameter's paired difference.

    ``differences`` are rows of :meth:`Moments.difference` (value at high minus value
    at low, per opening, on the same openings). The CI of the signed change is the
    paired one (``change_ci_low``/``change_ci_high``; NaN when fewer than
    ``MIN_DIFFERING`` openings differ); the swing's CI is its image under ``|.|``: from
    the nearer end to the farther one, or from 0 when the change's CI holds 0. It holds
    the true swing whenever the change's CI holds the true change, so it covers at
    least as often.
    """
    change = np.array([row["difference"] for row in differences], dtype=float)
    low = np.array([row["ci_low"] for row in differences], dtype=float)
    high = np.array([row["ci_high"] for row in differences], dtype=float)
    straddles = (low <= 0) & (high >= 0)
    near = np.where(straddles, 0.0, np.minimum(np.abs(low), np.abs(high)))
    far = np.maximum(np.abs(low), np.abs(high))
    missing = ~(np.isfinite(low) & np.isfinite(high))
    return pd.DataFrame(
        {
            "swing": np.abs(change),
            "swing_ci_low": np.where(missing, np.nan, near),
            "swing_ci_high": np.where(missing, np.nan, far),
            "change": change,
            "change_ci_low": low,
            "change_ci_high": high,
            "swing_se": [row["se"] for row in differences],
            "unpaired_swing_se": [row["unpaired_se"] for row in differences],
            "differing_openings": [int(row["differing_openings"]) for row in differences],
        }
    )


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ParameterError("metric", f"metric: {unknown_metric(metric)}")


def _points(
    scenario: Scenario, scenarios: list[Scenario], metric: str, options: RunOptions
) -> list[Point]:
    """Each scenario's ``metric``, with the base scenario's seed and attribution if needed."""
    return points_of(scenarios, _point_options(scenario, metric, options), [metric])


def _pairs(
    scenario: Scenario, pairs: list[tuple[Scenario, Scenario]], metric: str, options: RunOptions
) -> list[Pair]:
    """Each pair's ``metric`` and paired difference, with the options of :func:`_points`."""
    return pairs_of(pairs, _point_options(scenario, metric, options), [metric])


def _point_options(scenario: Scenario, metric: str, options: RunOptions) -> RunOptions:
    seed = resolve_seed(options.seed, scenario.seed).entropy
    attribution = options.attribution or metric in ATTRIBUTION_METRICS
    return options.replace(seed=seed, attribution=attribution)


# Saltelli samples: a power of 2 (SALib's Sobol sequence warns otherwise) up to 2^14.
# 2^14 x (params + 2) is ~3 x 10^5 simulated points already, days on a laptop.
MAX_SOBOL_SAMPLES = 2**14


def check_sobol_samples(samples: Any, parameters: int, openings: int) -> None:
    """Refuse, before any simulation, a sample count that is not a power of 2 up to the cap."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ParameterError("samples", f"samples must be a whole number >= 1, got {samples!r}")
    runs = samples * (parameters + 2)
    if samples > MAX_SOBOL_SAMPLES:
        raise ParameterError(
            "samples",
            f"samples: at most {MAX_SOBOL_SAMPLES:,} (2^14), got {samples:,} "
            f"({runs:,} runs of {openings:,} openings)",
        )
    if samples & (samples - 1):
        low = 1 << (samples.bit_length() - 1)
        raise ParameterError(
            "samples",
            f"samples must be a power of 2 (Saltelli sampling), got {samples:,}; "
            f"e.g. {low:,} or {low * 2:,}",
        )


def require_salib() -> None:
    """Refuse at once, before any other work, when SALib is not installed."""
    try:
        import SALib.analyze.sobol
        import SALib.sample.sobol  # noqa: F401
    except ImportError:
        raise InputError("Sobol indices need SALib: pip install 'simfunnel[sobol]'") from None


def sobol(
    scenario: Scenario,
    metric: str = "good_interview_offer_rate",
    ranges: dict[str, tuple[float, float]] | None = None,
    samples: int = 64,
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    options: RunOptions | None = None,
    **changes: Any,
) -> pd.DataFrame:
    """Global first-order and total Sobol indices of ``metric`` (needs SALib).

    Saltelli sampling of ``samples * (parameters + 2)`` scenarios over ``ranges``
    (default: :func:`default_ranges`), each simulated with the same seed (common
    random numbers keep Monte Carlo noise from posing as sensitivity).
    ``openings`` is per point (default ``DEFAULTS["sobol"].openings``, 5,000).

    Returns
    -------
    DataFrame
        parameter, S1, S1_conf, ST, ST_conf (95%), sorted by ST.
    """
    refuse_uncertain(scenario, "sobol")
    require_salib()
    from SALib.analyze import sobol as sobol_analyze  # optional dependency, checked above
    from SALib.sample import sobol as sobol_sample

    resolved = resolve_options("sobol", options, openings, seed, changes)
    _check_metric(metric)
    ranges = ranges or default_ranges(scenario)
    keys = list(ranges)
    check_sobol_samples(samples, len(keys), resolved.openings or scenario.openings)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [list(ranges[k]) for k in keys]}
    entropy = resolve_seed(resolved.seed, scenario.seed).entropy
    design = sobol_sample.sample(problem, samples, calc_second_order=False, seed=entropy % 2**32)
    snap = {k: _design_snap(scenario, k) for k in keys}
    scenarios = [
        varied_scenario(scenario, {k: snap[k](v) for k, v in zip(keys, row, strict=True)})
        for row in design
    ]
    points = _points(scenario, scenarios, metric, resolved.replace(seed=entropy))
    outputs = np.array([point.summary.at[metric, "value"] for point in points])
    indices = sobol_analyze.analyze(problem, outputs, calc_second_order=False, seed=entropy % 2**32)
    frame = pd.DataFrame(
        {
            "parameter": keys,
            "S1": indices["S1"],
            "S1_conf": indices["S1_conf"],
            "ST": indices["ST"],
            "ST_conf": indices["ST_conf"],
        }
    ).sort_values("ST", ascending=False, ignore_index=True)
    frame.attrs.update(
        metric=metric, runs=len(design), scenario=scenario.name, warning=sobol_warning(frame)
    )
    return frame


def _design_snap(scenario: Scenario, key: str) -> Any:
    """How a Saltelli design's value of ``key`` becomes a valid setting: whole numbers
    for whole-number keys, whole or half means for ranges, floats otherwise."""
    kind = compound_kind(scenario, key)
    if kind == "range":
        return lambda v: math.floor(2 * v + 0.5) / 2
    if kind is None and isinstance(value_at(scenario, key), int):
        return round
    return float


# SALib's 95% half-widths above this make the indices' order and size unreliable.
SOBOL_MAX_HALF_WIDTH = 0.1


def sobol_warning(indices: pd.DataFrame) -> str:
    """Why these Sobol indices cannot be read as they stand, or "" when they can.

    Estimated indices can fall below 0 or put a first-order index above its total
    one (impossible for the true indices) when the sample is too small; SALib's 95%
    half-widths say how small. One sentence naming the widest interval.
    """
    half_widths = indices[["S1_conf", "ST_conf"]].to_numpy(dtype=float)
    widest = float(np.nanmax(half_widths)) if half_widths.size else 0.0
    impossible = (indices["S1"] < 0) | (indices["ST"] < 0) | (indices["S1"] > indices["ST"])
    if widest <= SOBOL_MAX_HALF_WIDTH and not impossible.any():
        return ""
    detail = (
        f"{int(impossible.sum())} parameters have a negative index or a first-order index "
        "above the total, "
        if impossible.any()
        else ""
    )
    return (
        f"too few Sobol samples for these indices: {detail}95% intervals up to "
        f"±{widest:.2f}; raise --sobol (samples) until they are below ±{SOBOL_MAX_HALF_WIDTH:g}"
    )
