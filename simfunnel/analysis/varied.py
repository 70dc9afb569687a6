"""How a sweep or a sensitivity analysis varies a key that is not one number.

- A **range** (``applicants.count``, ``screening.shortlist``, ``role.process_weeks``,
  ``role.pause_weeks``: whole numbers drawn uniformly from ``low`` to ``high``) is
  varied as a whole through its **mean**, ``(low + high) / 2``: both ends are scaled
  by the same factor and rounded to whole numbers whose mean is exactly the one
  asked for, so ``low <= high`` always holds and the range keeps its width relative
  to its size (``applicants.count`` 100-250 at a mean of 87.5 is 50-125). The mean
  of a whole-number range is a whole or half number. One end alone is a plain
  number key: ``applicants.count.high``.
- **role.positions** (positions per opening, count -> share) is varied through its
  **mean number of positions**: the share of multi-hire requisitions moves, and the
  split among 2, 3, ... positions is kept (all 2 when the scenario has no multi-hire
  requisitions), so a mean runs from 1 (every opening hires one) to the mean of the
  multi-hire requisitions.

MODEL.md section 11.1 says why these and not others.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel

from simfunnel.analysis.options import ParameterError
from simfunnel.model.fields import IntRange
from simfunnel.model.names import override_label
from simfunnel.model.scenario import Scenario

POSITIONS = "role.positions"


def _node(scenario: Scenario, key: str) -> Any:
    node: Any = scenario
    for part in key.split("."):
        if not hasattr(node, part):
            return None
        node = getattr(node, part)
    return node


def compound_kind(scenario: Scenario, key: str) -> str | None:
    """``"range"`` for a whole-number range key, ``"positions"`` for role.positions,
    ``None`` for any other key."""
    if key == POSITIONS:
        return "positions"
    return "range" if isinstance(_node(scenario, key), IntRange) else None


def range_keys(scenario: Scenario) -> list[str]:
    """Every whole-number range key of the scenario, in declaration order."""
    keys = []
    for section in type(scenario).model_fields:
        value = getattr(scenario, section)
        if not isinstance(value, BaseModel) or isinstance(value, IntRange):
            continue
        for name in type(value).model_fields:
            if isinstance(getattr(value, name), IntRange):
                keys.append(f"{section}.{name}")
    return keys


def varied_value(scenario: Scenario, key: str) -> float | None:
    """The one number a sweep varies for a compound key: a range's mean, the mean
    number of positions; ``None`` for any other key."""
    kind = compound_kind(scenario, key)
    if kind == "range":
        node = _node(scenario, key)
        return (node.low + node.high) / 2
    if kind == "positions":
        return mean_positions(scenario.role.positions)
    return None


def mean_positions(positions: dict[int, float]) -> float:
    return sum(count * share for count, share in positions.items())


def multi_hire_split(positions: dict[int, float]) -> dict[int, float]:
    """The split among 2, 3, ... positions of multi-hire requisitions (sums to 1)."""
    multi = {count: share for count, share in positions.items() if count > 1 and share > 0}
    total = sum(multi.values())
    return {count: share / total for count, share in multi.items()} if total > 0 else {2: 1.0}


def positions_at_mean(positions: dict[int, float], mean: float) -> dict[int, float]:
    """``positions`` with the share of multi-hire requisitions moved so that the mean
    number of positions is ``mean``; the split among 2, 3, ... positions kept."""
    split = multi_hire_split(positions)
    ceiling = mean_positions(split)
    if not 1 <= mean <= ceiling + 1e-12:
        shown = ", ".join(f"{count}: {share:.0%}" for count, share in split.items())
        raise ParameterError(
            "vary",
            f"{POSITIONS}: a mean of {mean:g} positions is outside 1 to {ceiling:.3g} (every "
            f"opening hires one, to every one hires as its multi-hire requisitions do: {shown})",
        )
    multi_share = min(1.0, (mean - 1) / (ceiling - 1))
    shares = {1: 1.0 - multi_share}
    shares.update({count: multi_share * share for count, share in split.items()})
    return dict(sorted(shares.items()))


def range_at_mean(low: int, high: int, mean: float, key: str) -> tuple[int, int]:
    """``(low, high)`` scaled as a whole to whole ends whose mean is exactly ``mean``."""
    if not math.isfinite(mean) or abs(2 * mean - round(2 * mean)) > 1e-9:
        raise ParameterError(
            "vary",
            f"{key}: the mean of a whole-number range is a whole or half number, got {mean:g}",
        )
    twice = round(2 * mean)
    if twice < 2:
        raise ParameterError("vary", f"{key}: the mean must be at least 1, got {mean:g}")
    factor = twice / (low + high)
    new_low = max(1, min(math.floor(low * factor + 0.5), twice // 2))
    return new_low, twice - new_low


def varied_overrides(scenario: Scenario, key: str, value: Any) -> dict[str, Any]:
    """The overrides that set ``key`` to ``value`` as a sweep reads it (a range's or
    role.positions' mean; any other key's own value)."""
    kind = compound_kind(scenario, key)
    if kind == "range":
        node = _node(scenario, key)
        low, high = range_at_mean(node.low, node.high, float(value), key)
        return {key: {"low": low, "high": high}}
    if kind == "positions":
        return {key: positions_at_mean(scenario.role.positions, float(value))}
    return {key: value}


def varied_scenario(scenario: Scenario, values: dict[str, Any]) -> Scenario:
    """``scenario`` with each key set as a sweep reads it, named after the values asked
    for (``baseline (applicants.count=87.5)``), not the ranges they became."""
    overrides: dict[str, Any] = {}
    for key, value in values.items():
        overrides.update(varied_overrides(scenario, key, value))
    if "name" not in values:
        overrides["name"] = override_label(scenario.name, values)
    return scenario.with_overrides(overrides)


def describe_setting(scenario: Scenario, key: str, value: Any) -> str:
    """What ``value`` of ``key`` becomes, for a bar end or a table: ``50-125`` for a
    range (the mean alone would hide it), ``""`` for any other key (its value says it)."""
    if compound_kind(scenario, key) == "range":
        low, high = varied_overrides(scenario, key, value)[key].values()
        return f"{low}-{high}"
    return ""
