"""The scalar parameters behind scenario keys, and scenarios set from their values.

A :class:`Parameter` is one number of a scenario: a dotted key
(``offers.decline_probability``), one end of an integer range
(``applicants.count.low``), the probability of N positions (``role.positions.2``) or a
quarter's cancellation multiplier relative to Q1 (``role.quarter_multipliers.3``).
The fit frees them; parameter uncertainty draws them (:mod:`simfunnel.model.uncertainty`).
:func:`project` moves values into the scenario's constraints, :func:`scenario_at` builds
the scenario they describe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from simfunnel.errors import InputError
from simfunnel.model.fields import IntRange
from simfunnel.model.names import key_text, shown
from simfunnel.model.rng import Seed
from simfunnel.model.uncertainty import posterior_row, uniform_draw

if TYPE_CHECKING:
    from simfunnel.model.scenario import Scenario

# Prior boxes where the schema's range is not a useful one (else the schema's range;
# else 1 to 2x (counts) or 1/4x to 4x (other numbers) the scenario's value).
PRIORS: dict[str, tuple[float, float]] = {
    "interview.validity": (0.05, 0.6),  # Sackett et al. 2022: .19 unstructured, .42 structured
    "manager.risk_aversion": (0.0, 2.0),
    "manager.affinity_weight": (0.0, 1.0),
    "role.cancel_probability": (0.0, 0.6),
    "offers.decline_probability": (0.0, 0.8),
}
QUARTER_PRIOR = (0.0, 5.0)  # Q2-Q4 cancellation hazard relative to Q1's value
# A quarter 100 times as cancel-prone as Q1 leaves Q1 (the multipliers have mean 1) at
# ~0.03: beyond any seasonality an export shows, and far from overflowing arithmetic.
MAX_QUARTER_MULTIPLIER = 100.0
# A box (or a range of drawn values) narrower than this share of its size is a fixed
# value: its width squared would underflow in the fit's prior precision (12 / width^2).
MIN_RELATIVE_WIDTH = 1e-9
# Ends of a box beyond this are not values of any key (counts stop at 10^7), and their
# squares stay finite.
MAX_BOX_END = 1e12

# The scenario's sections of model parameters: only their keys may be fitted (--free) or
# drawn (uncertainty, posterior columns). The rest are settings of a run (name,
# description, openings, seed, engine), of its analysis (analysis.pilot_openings,
# analysis.candidate_openings, ...) or the uncertainty itself: drawing them is meaningless.
MODEL_SECTIONS = (
    "role",
    "applicants",
    "screening",
    "internal",
    "interview",
    "manager",
    "offers",
    "withdrawal",
    "value",
    "pipeline",
)
_SETTINGS = ("name", "description", "openings", "seed", "engine", "analysis", "uncertainty",
             "posterior", "extends")  # fmt: skip
# Keys as the schema writes them: lowercase names, an element index in plain digits
# (role.positions.2, never 02, 0_2 or a non-ASCII digit).
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_INDEX = re.compile(r"[1-9][0-9]?")


def key_problem(key: object) -> str | None:
    """Why ``key`` cannot be fitted or drawn, or None if it is a model parameter's key
    (that the scenario has it is checked where the scenario is known)."""
    if not isinstance(key, str):
        return "not a scenario key (see `simfunnel keys`)"
    parts = key.split(".")
    if parts[0] not in MODEL_SECTIONS:
        if _NAME.fullmatch(parts[0]) and parts[0] in _SETTINGS:
            return (
                "a setting of the run, not a model parameter: only keys of "
                f"{', '.join(MODEL_SECTIONS)} can be fitted or drawn"
            )
        return "not a scenario key (see `simfunnel keys`)"
    names_ok = all(_NAME.fullmatch(part) for part in parts[:-1])
    last_ok = bool(_NAME.fullmatch(parts[-1]) or _INDEX.fullmatch(parts[-1]))
    if len(parts) < 2 or not names_ok or not last_ok:
        return "not a scenario key (see `simfunnel keys`)"
    return None


def check_box(name: str, low: float, high: float) -> None:
    """Refuse a box that is not a range of values: non-finite, huge, or so narrow that
    it is one value (arithmetic on its width would underflow or overflow)."""
    if not (math.isfinite(low) and math.isfinite(high)):
        raise InputError(f"--free {shown(name)}: LOW and HIGH must be finite numbers")
    if max(abs(low), abs(high)) > MAX_BOX_END:
        raise InputError(
            f"--free {shown(name)}: {low:g}:{high:g} is beyond any value of a key "
            f"(at most {MAX_BOX_END:g} either way)"
        )
    if not low < high:
        raise InputError(f"--free {shown(name)}: needs LOW < HIGH, got {low:g}:{high:g}")
    if high - low < MIN_RELATIVE_WIDTH * max(1.0, abs(low), abs(high)):
        raise InputError(
            f"--free {shown(name)}: the box {low:g}:{high:g} is a single value; "
            "fix the key with --set instead of fitting it"
        )


@dataclass(frozen=True)
class Parameter:
    """One free (or checked) scalar: a dotted key, or an element of a mapping/tuple key.

    ``key`` is ``section.name`` (a number), ``section.range.low``/``.high`` (an integer
    range), ``role.positions.N`` (the probability of N positions; the smallest number
    takes the rest) or ``role.quarter_multipliers.Q`` (quarter 1-4).
    """

    key: str
    low: float
    high: float
    integer: bool
    start: float

    @property
    def width(self) -> float:
        return self.high - self.low


def field_at(scenario: Scenario, dotted: str) -> tuple[Any, Any] | None:
    """(pydantic field, current value) of a dotted key, or None if the schema lacks it."""
    node: Any = scenario
    found = None
    for part in dotted.split("."):
        if not isinstance(node, BaseModel) or part not in type(node).model_fields:
            return None
        found = type(node).model_fields[part]
        node = getattr(node, part)
    return found, node


def _bounds(field_info: Any) -> tuple[float | None, float | None]:
    low = high = None
    for item in getattr(field_info, "metadata", []):
        if getattr(item, "ge", None) is not None:
            low = float(item.ge)
        if getattr(item, "gt", None) is not None:
            low = float(item.gt) + 1e-3
        if getattr(item, "le", None) is not None:
            high = float(item.le)
        if getattr(item, "lt", None) is not None:
            high = float(item.lt) - 1e-3
    return low, high


def _scalar(key: str, field_info: Any, value: Any, box: tuple[float, float] | None) -> Parameter:
    integer = isinstance(value, int)
    schema_low, schema_high = _bounds(field_info)
    if box is None:
        box = PRIORS.get(key)
    if box is None:
        if integer:
            box = (schema_low if schema_low is not None else 1, max(2 * value, value + 5))
        else:
            spread = 3 * max(abs(value), 0.1)
            box = (
                schema_low if schema_low is not None else value - spread,
                schema_high if schema_high is not None else value + spread,
            )
    low, high = float(box[0]), float(box[1])
    check_box(key, low, high)
    if schema_low is not None and low < schema_low:
        raise InputError(f"--free {key}: low {low:g} is below the key's minimum {schema_low:g}")
    if schema_high is not None and high > schema_high:
        raise InputError(f"--free {key}: high {high:g} is above the key's maximum {schema_high:g}")
    return Parameter(key, low, high, integer, float(np.clip(value, low, high)))


def expand_key(
    scenario: Scenario, key: str, box: tuple[float, float] | None = None
) -> list[Parameter]:
    """The scalar parameters behind a key (see :class:`Parameter`); [] if it has none.

    Raises :class:`InputError` for a key that is not a model parameter's
    (:func:`key_problem`) or a box that is not a range of its values.
    """
    problem = key_problem(key)
    if problem:
        raise InputError(f"--free {shown(key)}: {problem}")
    *parent, last = key.split(".")
    if parent and last.isdigit():  # an element: role.positions.2, role.quarter_multipliers.3
        found = field_at(scenario, ".".join(parent))
        if found is None:
            return []
        _, value = found
        return [_element(scenario, ".".join(parent), value, int(last), box)]
    found = field_at(scenario, key)
    if found is None:
        return []
    field_info, value = found
    if isinstance(value, IntRange):
        if box is not None:
            raise InputError(f"--free {key}: give a range for {key}.low or {key}.high")
        return [*expand_key(scenario, f"{key}.low"), *expand_key(scenario, f"{key}.high")]
    if isinstance(value, dict) and key == "role.positions":
        return [_element(scenario, key, value, n, box) for n in list(value)[1:]]
    if isinstance(value, tuple) and key == "role.quarter_multipliers":
        return [_element(scenario, key, value, q, box) for q in (2, 3, 4)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"--free {key}: not a number that can be fitted")
    if key.endswith((".low", ".high")) and isinstance(
        field_at(scenario, key[: key.rfind(".")])[1], IntRange
    ):
        return [_range_end(scenario, key, value, box)]
    return [_scalar(key, field_info, value, box)]


def _range_end(
    scenario: Scenario, key: str, value: int, box: tuple[float, float] | None
) -> Parameter:
    parent = key[: key.rfind(".")]
    whole = field_at(scenario, parent)[1]
    if box is None:
        # Shortlists: at most twice the scenario's, since every slot is simulated.
        box = (1.0, float(max(2 * whole.high, whole.high + 5)))
    check_box(key, box[0], box[1])
    if box[0] < 1:
        raise InputError(f"--free {key}: needs 1 <= LOW < HIGH, got {box[0]:g}:{box[1]:g}")
    return Parameter(key, float(box[0]), float(box[1]), True, float(np.clip(value, *box)))


def _element(
    scenario: Scenario, key: str, value: Any, index: int, box: tuple[float, float] | None
) -> Parameter:
    name = f"{key}.{index}"
    if key == "role.positions":
        if index not in value or index == min(value):
            raise InputError(
                f"--free {name}: positions {index} is not a fittable category of the scenario "
                f"({', '.join(str(k) for k in list(value)[1:])}); the smallest takes the rest"
            )
        low, high = box or (0.0, 1.0)
        check_box(name, low, high)
        if not 0 <= low < high <= 1:
            raise InputError(f"--free {name}: a probability range within 0:1, got {low:g}:{high:g}")
        return Parameter(name, low, high, False, float(np.clip(value[index], low, high)))
    if key == "role.quarter_multipliers":
        if index not in (2, 3, 4):
            raise InputError(f"--free {name}: quarters 2, 3 or 4 (relative to quarter 1)")
        low, high = box or QUARTER_PRIOR
        check_box(name, low, high)
        if not 0 <= low < high <= MAX_QUARTER_MULTIPLIER:
            raise InputError(
                f"--free {name}: needs 0 <= LOW < HIGH <= {MAX_QUARTER_MULTIPLIER:g} (relative "
                f"to quarter 1), got {low:g}:{high:g}"
            )
        return Parameter(name, low, high, False, float(np.clip(value[index - 1], low, high)))
    raise InputError(
        f"--free {name}: only role.positions and role.quarter_multipliers have elements"
    )


def valid_limits(scenario: Scenario, parameter: Parameter) -> tuple[float | None, float | None]:
    """The smallest and largest value a parameter's key allows (None: unbounded), beyond
    any prior box: how far ``--prior`` can widen it."""
    *parent, last = parameter.key.split(".")
    parent_key = ".".join(parent)
    if parent_key == "role.positions":
        return 0.0, 1.0
    if parent_key == "role.quarter_multipliers":
        return 0.0, None
    if last in ("low", "high") and isinstance(field_at(scenario, parent_key)[1], IntRange):
        return 1.0, None
    found = field_at(scenario, parameter.key)
    return _bounds(found[0]) if found else (None, None)


def widened_box(scenario: Scenario, parameter: Parameter, edge: str) -> tuple[float, float] | None:
    """The prior box made twice as wide on the side of ``edge`` (``"low"``/``"high"``),
    within the key's valid limits; None when that side is already at its limit."""
    limit_low, limit_high = valid_limits(scenario, parameter)
    low, high = parameter.low, parameter.high
    if edge == "low":
        new_low = low - parameter.width
        if limit_low is not None:
            new_low = max(new_low, limit_low)
        if parameter.integer:
            new_low = math.floor(new_low)
        return (new_low, high) if new_low < low else None
    new_high = high + parameter.width
    if limit_high is not None:
        new_high = min(new_high, limit_high)
    if parameter.integer:
        new_high = math.ceil(new_high)
    return (low, new_high) if new_high > high else None


def overrides_for(
    parameters: Sequence[Parameter], values: np.ndarray, base: Scenario
) -> dict[str, Any]:
    """Dotted-key overrides that set ``values`` (one per parameter) on ``base``."""
    overrides: dict[str, Any] = {}
    positions = dict(base.role.positions)
    quarters = list(base.role.quarter_multipliers)
    for parameter, value in zip(parameters, values, strict=True):
        *parent, last = parameter.key.split(".")
        parent_key = ".".join(parent)
        if parent_key == "role.positions":
            positions[int(last)] = float(value)
        elif parent_key == "role.quarter_multipliers":
            quarters[int(last) - 1] = float(value)
        else:
            overrides[parameter.key] = round(value) if parameter.integer else float(value)
    if positions != dict(base.role.positions):
        smallest = min(positions)
        rest = sum(v for k, v in positions.items() if k != smallest)
        positions[smallest] = max(0.0, 1.0 - rest)
        overrides["role.positions"] = {k: round(v, 12) for k, v in positions.items()}
    if quarters != list(base.role.quarter_multipliers):
        overrides["role.quarter_multipliers"] = quarters
    return overrides


def project(
    parameters: Sequence[Parameter], values: np.ndarray, base: Scenario, *, whole: bool = True
) -> np.ndarray:
    """Values moved into the prior box and the scenario's constraints (ranges ordered,
    the shortlist no larger than the smallest pool, position shares summing to <= 1).

    ``whole``: round integer keys (else they stay continuous, as posterior draws do).
    """
    values = np.array(
        [np.clip(v, p.low, p.high) for p, v in zip(parameters, values, strict=True)], dtype=float
    )
    for i, p in enumerate(parameters):
        if p.integer and whole:
            values[i] = np.clip(round(values[i]), math.ceil(p.low), math.floor(p.high))
    index = {p.key: i for i, p in enumerate(parameters)}

    def current(key: str) -> float:
        if key in index:
            return values[index[key]]
        return float(field_at(base, key)[1])

    for prefix in ("applicants.count", "screening.shortlist", "role.process_weeks"):
        low_key, high_key = f"{prefix}.low", f"{prefix}.high"
        if field_at(base, prefix) is None or current(low_key) <= current(high_key):
            continue
        if low_key in index and high_key in index:
            middle = (values[index[low_key]] + values[index[high_key]]) / 2
            middle = round(middle) if whole else middle
            values[index[low_key]] = values[index[high_key]] = middle
        elif low_key in index:
            values[index[low_key]] = current(high_key)
        else:
            values[index[high_key]] = current(low_key)
    if current("screening.shortlist.high") > current("applicants.count.low"):
        if "screening.shortlist.high" in index:
            values[index["screening.shortlist.high"]] = current("applicants.count.low")
            if "screening.shortlist.low" in index:
                i = index["screening.shortlist.low"]
                values[i] = min(values[i], current("screening.shortlist.high"))
        elif "applicants.count.low" in index:
            values[index["applicants.count.low"]] = current("screening.shortlist.high")
    shares = [i for p, i in index.items() if p.startswith("role.positions.")]
    if shares:
        fixed = sum(
            v for k, v in base.role.positions.items()
            if k != min(base.role.positions) and f"role.positions.{k}" not in index
        )  # fmt: skip
        total = fixed + values[shares].sum()
        if total > 1:
            values[shares] *= max(0.0, 1 - fixed) / values[shares].sum()
    return values


def scenario_at(base: Scenario, parameters: Sequence[Parameter], values: np.ndarray) -> Scenario:
    overrides = overrides_for(parameters, values, base)
    overrides["name"] = base.name
    return base.with_overrides(overrides)


# ------------------------------------------------------------- parameter uncertainty
def _raw_bounds(field_info: Any) -> tuple[float, float]:
    """The schema's range of a number key, ends included (``gt 0`` counts as ``ge 0``)."""
    low, high = -math.inf, math.inf
    for item in getattr(field_info, "metadata", []):
        for name in ("ge", "gt"):
            if getattr(item, name, None) is not None:
                low = float(getattr(item, name))
        for name in ("le", "lt"):
            if getattr(item, name, None) is not None:
                high = float(getattr(item, name))
    return low, high


def uncertain_parameter(scenario: Scenario, key: str, low: float, high: float) -> Parameter:
    """The parameter behind an uncertain key whose values span ``low``..``high``.

    Raises :class:`InputError` (path ``key``) unless the key is one number of the
    scenario and every value in the span is valid for it.
    """
    try:
        found = expand_key(scenario, key)
    except InputError as exc:
        raise InputError(f"{shown(key)}: {str(exc).split(': ', 1)[-1]}", key) from None
    if not found:
        raise InputError(f"{shown(key)}: not a scenario key (see `simfunnel keys`)", key)
    if len(found) > 1:
        raise InputError(f"{shown(key)}: draw one number at a time, e.g. {found[0].key}", key)
    parameter = found[0]
    *parent, last = key.split(".")
    if parent and last.isdigit():
        limits = (0.0, 1.0) if key.startswith("role.positions.") else (0.0, MAX_QUARTER_MULTIPLIER)
    elif last in ("low", "high") and isinstance(field_at(scenario, ".".join(parent))[1], IntRange):
        limits = (1.0, math.inf)
    else:
        limits = _raw_bounds(field_at(scenario, key)[0])
    if low < limits[0] or high > limits[1]:
        end = low if low < limits[0] else high
        raise InputError(
            f"{shown(key)}: its values reach {end:g}, outside the key's range "
            f"{limits[0]:g} to {limits[1]:g}; truncate the distribution with low/high, "
            "or use beta or uniform",
            key,
        )
    return Parameter(key, low, high, parameter.integer, parameter.start)


def uncertain_parameters(scenario: Scenario) -> list[Parameter]:
    """The parameters a block draws: the distributions' keys, then the posterior's columns."""
    parameters = [
        uncertain_parameter(scenario, key, *dist.support)
        for key, dist in scenario.uncertainty.items()
    ]
    posterior = scenario.posterior
    if posterior is not None:
        for key in posterior.columns:
            if key in scenario.uncertainty:
                raise InputError(f"{shown(key)}: both a distribution and a posterior column", key)
            values = posterior.column(key)
            try:
                parameters.append(uncertain_parameter(scenario, key, values.min(), values.max()))
            except InputError as exc:  # named as the posterior's column, at the posterior
                column = f"posterior column {key_text(key) or ''}".rstrip()
                raise InputError(f"{column}: {str(exc).split(': ', 1)[-1]}", "posterior") from None
    return parameters


def drawn_values(scenario: Scenario, seed: Seed, block: int) -> np.ndarray:
    """The values block ``block`` uses, in the order of :func:`uncertain_parameters`."""
    values = [
        dist.quantile(uniform_draw(seed, block, key)) for key, dist in scenario.uncertainty.items()
    ]
    posterior = scenario.posterior
    if posterior is not None:
        values += posterior.draws[posterior_row(seed, block, len(posterior.draws))]
    return np.array(values, dtype=float)


def settled(scenario: Scenario, parameters: Sequence[Parameter], values: np.ndarray) -> Scenario:
    """The scenario with every uncertain key set to ``values``: nothing left to draw."""
    values = project(parameters, values, scenario)
    overrides = overrides_for(parameters, values, scenario)
    overrides.update({"name": scenario.name, "uncertainty": {}, "posterior": None})
    return scenario.with_overrides(overrides)


def check_uncertainty(scenario: Scenario) -> None:
    """Refuse uncertain keys that are not numbers of the scenario, or whose values fall
    outside the key's range; and distributions whose extremes (0.1% and 99.9%, all keys
    at once) break the scenario's constraints (a shortlist larger than the smallest
    pool, position shares above 1, ...) or make it invalid."""
    parameters = uncertain_parameters(scenario)
    if not scenario.uncertainty:
        return
    for u in (0.001, 0.999):
        point = "0.1%" if u < 0.5 else "99.9%"
        values = [dist.quantile(u) for dist in scenario.uncertainty.values()]
        if scenario.posterior is not None:
            values += scenario.posterior.draws[0]
        values = np.array(values)
        moved = project(parameters, values, scenario)
        for parameter, value, kept in zip(parameters, values, moved, strict=True):
            if abs(kept - value) > (0.5 if parameter.integer else 1e-9 * max(1.0, abs(value))):
                raise InputError(
                    f"{parameter.key}: at its {point} point ({value:.4g}) the scenario's "
                    f"constraints do not hold (they would need {kept:.4g}); narrow the "
                    "distribution",
                    parameter.key,
                )
        try:
            settled(scenario, parameters, values)
        except InputError as exc:
            raise InputError(
                f"with every distribution at its {point} point the scenario is invalid: {exc}",
                "uncertainty",
            ) from None
