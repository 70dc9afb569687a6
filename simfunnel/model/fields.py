"""Field types every scenario section shares: numbers that refuse booleans, frozen
sections that refuse unknown keys, and integer ranges.

Apart from :mod:`simfunnel.model.scenario` so that modules the schema uses (the
scalar parameters behind keys, :mod:`simfunnel.model.parameters`) can know an
:class:`IntRange` without importing the schema.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def not_bool(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"must be a number, not a boolean ({str(bool(value)).lower()})")
    return value


# Numbers that refuse booleans (pydantic's lax mode would read true as 1).
Float = Annotated[float, BeforeValidator(not_bool)]
Int = Annotated[int, BeforeValidator(not_bool)]
OptionalFloat = Annotated[float | None, BeforeValidator(not_bool)]


def field(default: Any, description: str, **constraints: Any) -> Any:
    return Field(default, description=description, **constraints)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class IntRange(Section):
    """An inclusive integer range, drawn uniformly."""

    low: Int = field(1, "smallest value (inclusive)", ge=1)
    high: Int = field(1, "largest value (inclusive)", ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self
