"""Parameter uncertainty: scenario keys given as distributions, or as posterior draws.

A key may be a distribution instead of a number, inline or in the scenario's
``uncertainty`` section::

    interview:
      validity: {dist: beta, mean: 0.16, sd: 0.04}
    uncertainty:
      role.cancel_probability: {dist: uniform, low: 0.05, high: 0.2}

or a table of joint draws (a fit's ``posterior.csv``) may be the scenario's
``posterior``. A run then draws one parameter set per block of
:data:`~simfunnel.model.rng.BLOCK_OPENINGS` openings (MODEL.md section 8). The
draws are inverse-CDF transforms of one uniform per block and key, read from the
child stream ``(PARAMETERS, block, crc32(key))`` of the run's seed: they depend
on the seed, the block and the key only, so results do not depend on chunk size
or workers, and scenarios compared on the same seed share their parameter draws
(common random numbers; the same key with another distribution gets the same
quantile). A posterior row is chosen the same way, with the key ``posterior``.

The scenario's own value of such a key is the distribution's mean (a posterior
leaves the scenario's values as they are): the *nominal* scenario, which fixes
the good-interview threshold of every block.
"""

from __future__ import annotations

import math
import zlib
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy.special import betaincinv, ndtr, ndtri

from simfunnel.model.names import shown
from simfunnel.model.rng import PARAMETERS, Seed

MAX_POSTERIOR_ROWS = 100_000
MAX_POSTERIOR_COLUMNS = 64
MIN_UNCERTAIN_BLOCKS = 40  # fewer blocks: no range over parameter sets (see analysis.uncertainty)
DISTRIBUTIONS = ("beta", "uniform", "normal", "lognormal")
# An sd (or a uniform's width) under a millionth of the distribution's scale is a fixed
# value written as a distribution; a beta's shape parameters then pass 10^11 and its
# quantiles become NaN from about 10^17 (scipy's betaincinv), or divide by zero.
MIN_RELATIVE_SPREAD = 1e-6
# No key's value comes near this (counts stop at 10^7); arithmetic on it stays finite.
MAX_MAGNITUDE = 1e12


def _number(value: Any) -> Any:
    """A distribution's numbers are numbers: never text (``mean: ".16"``) or booleans."""
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"must be a number, not a boolean ({str(bool(value)).lower()})")
    if isinstance(value, str | bytes):
        raise ValueError(f"must be a number, not text ({shown(value, 20)!r})")
    return value


Number = Annotated[float | None, BeforeValidator(_number)]


class Distribution(BaseModel):
    """A distribution of one scenario key.

    - ``beta``: ``mean``, ``sd``, on ``low``..``high`` (default 0..1);
    - ``uniform``: ``low``, ``high``;
    - ``normal``: ``mean``, ``sd``, optionally truncated to ``low``..``high``;
    - ``lognormal``: ``mean``, ``sd`` of the (positive) value itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dist: Literal["beta", "uniform", "normal", "lognormal"] = Field(
        description="beta, uniform, normal or lognormal"
    )
    mean: Number = Field(None, description="mean of the value (beta, normal, lognormal)")
    sd: Number = Field(None, description="standard deviation of the value", gt=0)
    low: Number = Field(None, description="lower end (uniform; beta; truncated normal)")
    high: Number = Field(None, description="upper end (uniform; beta; truncated normal)")

    @model_validator(mode="after")
    def _complete(self) -> Distribution:
        given = {k for k in ("mean", "sd", "low", "high") if getattr(self, k) is not None}
        needs = {
            "beta": {"mean", "sd"},
            "uniform": {"low", "high"},
            "normal": {"mean", "sd"},
            "lognormal": {"mean", "sd"},
        }[self.dist]
        allowed = needs | ({"low", "high"} if self.dist in ("beta", "normal") else set())
        if needs - given:
            missing = ", ".join(sorted(needs - given))
            raise ValueError(f"a {self.dist} distribution needs {missing}")
        if given - allowed:
            extra = ", ".join(sorted(given - allowed))
            raise ValueError(f"a {self.dist} distribution takes no {extra}")
        if not all(math.isfinite(getattr(self, k)) for k in given):
            raise ValueError("every number must be finite")
        if any(abs(getattr(self, k)) > MAX_MAGNITUDE for k in given):
            raise ValueError(f"every number must lie within -{MAX_MAGNITUDE:g}..{MAX_MAGNITUDE:g}")
        low, high = self.support
        if not low < high:
            raise ValueError(f"needs low < high, got {low:g} and {high:g}")
        finite = math.isfinite(low) and math.isfinite(high)
        if self.dist == "uniform":
            scale = max(1.0, abs(low), abs(high))
        else:
            scale = high - low if finite else max(1.0, abs(self.mean))
        spread = self.sd if self.sd is not None else high - low
        if spread < MIN_RELATIVE_SPREAD * scale:
            what = f"sd {self.sd:g}" if self.sd is not None else f"width {spread:g}"
            raise ValueError(
                f"{what} is under a millionth of its scale ({scale:g}): a fixed value, "
                "not a distribution; give the number itself"
            )
        if self.mean is not None and not low < self.mean < high:
            raise ValueError(f"mean {self.mean:g} must lie between {low:g} and {high:g}")
        if self.dist == "beta":
            width = high - low
            m = (self.mean - low) / width
            if not (self.sd / width) ** 2 < m * (1 - m):
                largest = width * math.sqrt(m * (1 - m))
                raise ValueError(
                    f"sd {self.sd:g} is too large for a beta with mean {self.mean:g} on "
                    f"{low:g}..{high:g} (must be below {largest:.3g})"
                )
        if self.dist == "lognormal" and self.mean <= 0:
            raise ValueError(f"a lognormal's mean must be > 0, got {self.mean:g}")
        return self

    @property
    def support(self) -> tuple[float, float]:
        """The smallest and largest value it can take (infinite where unbounded)."""
        if self.dist == "beta":
            return (0.0 if self.low is None else self.low, 1.0 if self.high is None else self.high)
        if self.dist == "lognormal":
            return (0.0, math.inf)
        low = -math.inf if self.low is None else self.low
        return (low, math.inf if self.high is None else self.high)

    @property
    def center(self) -> float:
        """The nominal value: the mean (a uniform's midpoint)."""
        if self.dist == "uniform":
            return (self.low + self.high) / 2
        return float(self.mean)

    def quantile(self, u: float) -> float:
        """The value at cumulative probability ``u`` in (0, 1)."""
        low, high = self.support
        if self.dist == "uniform":
            return low + u * (high - low)
        if self.dist == "beta":
            width = high - low
            m, v = (self.mean - low) / width, (self.sd / width) ** 2
            common = m * (1 - m) / v - 1
            return low + width * float(betaincinv(m * common, (1 - m) * common, u))
        if self.dist == "lognormal":
            sigma2 = math.log1p((self.sd / self.mean) ** 2)
            return math.exp(math.log(self.mean) - sigma2 / 2 + math.sqrt(sigma2) * float(ndtri(u)))
        a = float(ndtr((low - self.mean) / self.sd))  # normal, truncated to [low, high]
        b = float(ndtr((high - self.mean) / self.sd))
        return self.mean + self.sd * float(ndtri(a + u * (b - a)))

    def brief(self) -> str:
        """``beta(mean .16, sd .04)`` etc., for reports."""
        parts = [f"{k} {getattr(self, k):g}" for k in ("mean", "sd", "low", "high")
                 if getattr(self, k) is not None]  # fmt: skip
        return f"{self.dist}({', '.join(parts)})"


class Posterior(BaseModel):
    """Joint draws of scenario keys: one row is one parameter set (a fit's posterior)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: tuple[str, ...] = Field(description="dotted keys, one per column")
    draws: tuple[tuple[float, ...], ...] = Field(description="rows of values, one per draw")
    source: str = Field("", description="where the draws came from (a file name)")

    @model_validator(mode="after")
    def _shape(self) -> Posterior:
        if not 1 <= len(self.columns) <= MAX_POSTERIOR_COLUMNS:
            raise ValueError(f"needs 1 to {MAX_POSTERIOR_COLUMNS} columns, got {len(self.columns)}")
        if len(set(self.columns)) < len(self.columns):
            raise ValueError("a column is repeated")
        if not 1 <= len(self.draws) <= MAX_POSTERIOR_ROWS:
            raise ValueError(f"needs 1 to {MAX_POSTERIOR_ROWS:,} draws, got {len(self.draws):,}")
        for i, row in enumerate(self.draws):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"draw {i + 1} has {len(row)} values for {len(self.columns)} columns"
                )
            if not all(math.isfinite(v) for v in row):
                raise ValueError(f"draw {i + 1} has a value that is not a finite number")
        return self

    def column(self, key: str) -> np.ndarray:
        return np.array([row[self.columns.index(key)] for row in self.draws])


def uniform_draw(seed: Seed, block: int, key: str) -> float:
    """The uniform in (0, 1) of ``key`` in ``block``: its own child stream of the seed."""
    stream = seed.stream(PARAMETERS, block, zlib.crc32(key.encode()))
    return float(stream.random()) or 0.5 / 2**53  # never exactly 0: quantiles stay finite


def posterior_row(seed: Seed, block: int, rows: int) -> int:
    """The posterior draw that ``block`` uses."""
    return min(int(uniform_draw(seed, block, "posterior") * rows), rows - 1)


def extract_inline(data: dict[str, Any]) -> dict[str, Any]:
    """Move ``{dist: ...}`` values out of scenario data into its ``uncertainty`` section.

    Returns the distributions found (dotted key -> raw mapping); ``data`` is changed in
    place: each such value is replaced by ``None`` (the caller sets the nominal value).
    """
    found: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for key, value in node.items():
            if not isinstance(key, str) or (not prefix and key in ("uncertainty", "posterior")):
                continue
            if isinstance(value, dict) and "dist" in value:
                found[prefix + key] = value
            elif isinstance(value, dict):
                walk(value, f"{prefix}{key}.")

    walk(data, "")
    return found


def is_uncertain(scenario: Any) -> bool:
    """Whether a scenario has keys drawn per block (distributions or posterior draws)."""
    return bool(scenario.uncertainty) or scenario.posterior is not None


def refuse_uncertain(scenario: Any, analysis: str) -> None:
    """``analysis`` works on fixed parameters: refuse a scenario that draws them."""
    if is_uncertain(scenario):
        from simfunnel.errors import InputError

        raise InputError(
            f"{analysis} needs fixed parameters, but scenario '{scenario.name[:60]}' draws some "
            "per block (its uncertainty or posterior keys); remove them for this analysis"
        )


__all__ = [
    "DISTRIBUTIONS",
    "MIN_UNCERTAIN_BLOCKS",
    "PARAMETERS",
    "Distribution",
    "Posterior",
    "extract_inline",
    "is_uncertain",
    "posterior_row",
    "refuse_uncertain",
    "uniform_draw",
]
