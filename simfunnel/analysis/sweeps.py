"""Sweeps: every point of a 1-D or 2-D grid of parameter values, with the same seed."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.options import ParameterError, RunOptions, resolve_options
from simfunnel.analysis.points import points_of
from simfunnel.analysis.varied import compound_kind, varied_scenario, varied_value
from simfunnel.errors import InputError
from simfunnel.metrics import ATTRIBUTION_METRICS, METRICS, unknown_metric
from simfunnel.model import names
from simfunnel.model.rng import SCENARIO_SEED, SeedLike
from simfunnel.model.scenario import Scenario

# A sweep's size is refused before any array is built. 1,000 values per key is far
# more than a chart can show (a curve is smooth at 50); 10,000 points at the default
# 100,000 openings each is 10^9 openings, hours on a laptop: more is a typo, not a run.
MAX_VALUES_PER_KEY = 1_000
MAX_GRID_POINTS = 10_000
# Keys a sweep cannot vary: they are the run's settings (seed, openings: the command's
# --seed/--openings), are dropped from every grid point (candidate_openings), or are
# read only by `you` (pipeline.*). Varying them would give identical rows.
NOT_VARIABLE = {
    "seed": "the run's seed: use --seed",
    "openings": "the number of openings per point: use --openings",
    "analysis.candidate_openings": "no candidates are kept at grid points",
}
NOT_VARIABLE_PREFIXES = {"pipeline.": "read only by `simfunnel you`"}


def parse_vary(text: str, scenario: Scenario) -> tuple[str, list[Any]]:
    """``KEY=START:STOP:NUM`` (inclusive linspace) or ``KEY=a,b,c`` -> (key, values).

    A whole-number key (``interview.rounds``) takes only whole values: a grid
    whose points are not whole (``1:2:4`` is 1, 1.33, 1.67, 2) is refused rather
    than silently rounded to fewer or other points.
    """
    key, sep, spec = text.partition("=")
    key = key.strip()
    shown = names.shown(text, 60)
    if not sep or not spec:
        raise ParameterError(
            "vary", f"vary {shown!r}: expected KEY=START:STOP:NUM or KEY=v1,v2,..."
        )
    why = NOT_VARIABLE.get(key) or next(
        (reason for prefix, reason in NOT_VARIABLE_PREFIXES.items() if key.startswith(prefix)),
        None,
    )
    if why:
        raise ParameterError("vary", f"vary {key}: cannot be varied in a sweep ({why})")
    kind = compound_kind(scenario, key)
    current = value_at(scenario, key) if kind is None else varied_value(scenario, key)
    try:
        if ":" in spec:
            start, stop, num_text = spec.split(":")
            num = int(num_text)
            _check_count(key, num)
            values: list[Any] = list(np.linspace(float(start), float(stop), num))
        else:
            parts = spec.split(",")
            _check_count(key, len(parts))
            values = [float(v) for v in parts]
    except ValueError:
        raise ParameterError(
            "vary", f"vary {shown!r}: START, STOP must be numbers and NUM a whole number"
        ) from None
    if not values:
        raise ParameterError("vary", f"vary {shown!r}: no values")
    if not all(np.isfinite(values)):
        raise ParameterError("vary", f"vary {key}: values must be finite numbers")
    rounded = [round(float(v), 12) for v in values]
    repeated = next((v for i, v in enumerate(rounded) if v in rounded[:i]), None)
    if repeated is not None:
        raise ParameterError(
            "vary", f"vary {key}: value {repeated:g} given twice; give each value once"
        )
    if kind == "range":
        return key, _half_values(text, key, values)
    if isinstance(current, int) and not isinstance(current, bool):
        return key, _whole_values(text, key, values)
    return key, rounded


def _half_values(text: str, key: str, values: list[float]) -> list[float]:
    """A whole-number range is varied through its mean: a whole or half number."""
    halves = [round(2 * v) / 2 for v in values]
    if any(abs(v - h) > 1e-9 for v, h in zip(values, halves, strict=True)):
        shown = ", ".join(f"{v:g}" for v in values[:6]) + (", ..." if len(values) > 6 else "")
        raise ParameterError(
            "vary",
            f"vary {text!r}: {key} is a range of whole numbers, varied through its mean (a "
            f"whole or half number), but this grid is {shown}; e.g. {key}=100:300:5",
        )
    return sorted(set(halves))


def _check_count(key: str, num: int) -> None:
    if num > MAX_VALUES_PER_KEY:
        raise ParameterError(
            "vary",
            f"vary {key}: {num:,} values; at most {MAX_VALUES_PER_KEY:,} per key "
            "(a curve is smooth at 50)",
        )


def check_grid_size(sizes: Sequence[int], openings: int) -> None:
    """Refuse, before any array is built, a grid of more than MAX_GRID_POINTS points."""
    points = int(np.prod([int(n) for n in sizes], dtype=object)) if sizes else 0
    if points > MAX_GRID_POINTS:
        raise ParameterError(
            "vary",
            f"vary: {' x '.join(f'{n:,}' for n in sizes)} = {points:,} grid points "
            f"({points * openings:,} openings at {openings:,} per point); "
            f"at most {MAX_GRID_POINTS:,} points: use fewer values",
        )


def _whole_values(text: str, key: str, values: list[float]) -> list[int]:
    whole = [round(v) for v in values]
    if any(abs(v - w) > 1e-9 for v, w in zip(values, whole, strict=True)):
        shown = ", ".join(f"{v:.3g}" for v in values[:6]) + (", ..." if len(values) > 6 else "")
        raise ParameterError(
            "vary",
            f"vary {text!r}: {key} takes whole numbers, but this grid is {shown}; "
            "choose START:STOP:NUM with whole steps (e.g. 1:5:5) or list the values (1,2,4)",
        )
    return sorted(set(whole))


def value_at(scenario: Scenario, key: str) -> Any:
    """The numeric value of dotted ``key`` in ``scenario``; an unknown key names the nearest.

    A range or role.positions is no one number: :func:`simfunnel.analysis.varied.varied_value`
    gives the mean a sweep varies."""
    node: Any = scenario
    for part in key.split("."):
        if not hasattr(node, part):
            scenario.with_overrides({key: None})  # raises the unknown-key message
        node = getattr(node, part)
    if not isinstance(node, int | float) or isinstance(node, bool):
        raise ParameterError(
            "vary",
            f"vary {key}: only numeric keys, whole-number ranges and role.positions can be "
            f"varied, got {names.shown(repr(node), 60)}",
        )
    return node


def sweep(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]],
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    metrics: Sequence[str] | None = None,
    options: RunOptions | None = None,
    **changes: Any,
) -> pd.DataFrame:
    """Simulate every point of a 1-D or 2-D grid of parameter values.

    Parameters
    ----------
    vary : mapping or pairs
        One or two dotted keys and their values, e.g. ``{"manager.risk_aversion": [0, 1]}``.
        A whole-number range (``applicants.count``) takes its mean, the range scaled as a
        whole; ``role.positions`` its mean number of positions
        (:mod:`simfunnel.analysis.varied`); ``applicants.count.high`` is one end alone.
    openings, seed
        Per point; default the scenario's.
    metrics : list of str, optional
        Metrics to report (default: every headline metric).
    options : RunOptions, optional
        Default ``DEFAULTS["sweep"]``: all cores, no attribution (switched on when a
        metric of attribution is asked for).
    **changes
        Single RunOptions fields, e.g. ``workers=1``, ``scheduler=...``, ``progress``.

    Returns
    -------
    DataFrame
        Tidy: one row per grid point and metric, with the varied keys as columns
        and ``metric, value, ci_low, ci_high``.
    """
    resolved = resolve_options("sweep", options, openings, seed, changes)
    keys, grid = _grid(scenario, vary, resolved.openings or scenario.openings)
    unknown = [m for m in metrics or [] if m not in METRICS]
    if unknown:
        raise ParameterError("metrics", f"metrics: {unknown_metric(unknown[0])}")
    # Metrics of loss attribution need the (slower) replays: only when asked for.
    if any(m in ATTRIBUTION_METRICS for m in metrics or []):
        resolved = resolved.replace(attribution=True)
    scenarios = [varied_scenario(scenario, dict(zip(keys, values, strict=True))) for values in grid]
    if resolved.seed is SCENARIO_SEED:
        resolved = resolved.replace(seed=scenario.seed)
    points = points_of(scenarios, resolved, metrics)
    rows = []
    for values, point in zip(grid, points, strict=True):
        for metric, row in point.summary.iterrows():
            rows.append(
                {
                    **dict(zip(keys, values, strict=True)),
                    "metric": metric,
                    "value": row.value,
                    "ci_low": row.ci_low,
                    "ci_high": row.ci_high,
                    **{c: row[c] for c in ("param_low", "param_high") if c in row.index},
                }
            )
    table = pd.DataFrame(rows)
    table.attrs.update(scenario=scenario.name, openings=points[0].openings, seed=points[0].seed)
    return table


def _grid(
    scenario: Scenario,
    vary: Mapping[str, Sequence[Any]] | Sequence[tuple[str, Sequence[Any]]],
    openings: int | None = None,
) -> tuple[list[str], list[tuple]]:
    """The varied keys and every combination of their values, each value checked."""
    pairs = list(vary.items()) if isinstance(vary, Mapping) else [(k, v) for k, v in vary]
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ParameterError("vary", f"vary {repeated[0]}: given twice; give each key once")
    if not 1 <= len(keys) <= 2:
        raise InputError(f"sweep: vary one or two keys, got {len(keys)}")
    values_of = dict(pairs)
    for key in keys:
        if len(values_of[key]) > MAX_VALUES_PER_KEY:
            _check_count(key, len(values_of[key]))
    check_grid_size([len(values_of[k]) for k in keys], openings or scenario.openings)
    for key in keys:
        for value in values_of[key]:
            try:
                varied_scenario(scenario, {key: value})
            except InputError as exc:
                reason = str(exc).removeprefix("override: ").removeprefix("vary: ")
                problem = f"vary {key}: grid value {value:g} is invalid: {reason}"
                raise ParameterError("vary", problem) from None
    return keys, list(itertools.product(*(values_of[k] for k in keys)))
