"""Scenarios: YAML in, a frozen and validated :class:`Scenario` out.

Every key has a description, a unit where it has one, a default and a valid
range (see ``simfunnel keys``). Errors name the file, line, dotted key path,
the valid range and the offending value, in one line.

Limits on input (each refusal is one :class:`~simfunnel.errors.InputError` line):

- **File size**: a config file is at most :data:`MAX_CONFIG_BYTES` (1 MiB) and
  must be a regular file; the size is checked before the file is read.
- **YAML**: anchors and aliases (``&a``/``*a``) and merge keys (``<<:``) are
  refused: scenarios never need them and aliases allow "billion laughs" bombs.
  Collections nest at most :data:`MAX_NESTING` deep, a document holds at most
  :data:`MAX_NODES` nodes, and a key may appear only once per mapping.
- **Values**: a number is never a boolean (``true`` is refused where a number is
  expected) and every float must be finite (no ``.nan``/``.inf``).
- **extends**: names a ``.yaml``/``.yml`` regular file beside the extending file
  or in a folder below it, by a relative path; after resolving symlinks it must
  stay inside that folder. Chains are at most :data:`MAX_EXTENDS_DEPTH` files.
  Messages never quote another file's contents (an unknown key is named only if
  it is short and looks like a key).
- **name** is a label, not a path: 1-80 characters, no ``/`` or ``\\``, no ``..``,
  no control characters. :func:`folder_name` turns it into a safe folder name.
  A scenario changed by overrides is renamed ``base (key=value, ...)`` unless the
  overrides set ``name``.
  ``description`` is one line of at most 300 characters.
- **Bounds**: ``role.process_weeks.high`` <= 260 weeks (5 years),
  ``applicants.count.high`` <= 10,000,000, ``seed`` < 2**128.
- **Memory**: runs whose estimated peak memory exceeds the limit (4 GiB, or half
  of RAM if less; ``SIMFUNNEL_MEMORY_LIMIT_GIB``) or with over 10^10 openings are
  refused up front (:mod:`simfunnel.resources`).
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import stat
import unicodedata
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from simfunnel.errors import InputError

LATENT_NAMES = ("quality", "alignment", "culture", "narrative", "niche")

MAX_CONFIG_BYTES = 2**20  # 1 MiB: the baseline with every comment is ~5 KB
MAX_NESTING = 10  # YAML collections inside collections; scenarios use 3
MAX_NODES = 10_000  # YAML nodes per document; a full scenario has ~150
MAX_EXTENDS_DEPTH = 20  # files in one 'extends' chain
MAX_NAME_CHARS = 80
MAX_DESCRIPTION_CHARS = 300
MAX_PROCESS_WEEKS = 260  # 5 years: longer is not a hiring process
MAX_APPLICANTS = 10_000_000  # the exact sampler is tested to about 1e7
MAX_FOLDER_CHARS = 100
EXCERPT_CHARS = 60
CONFIG_SUFFIXES = (".yaml", ".yml")
_KEY_LIKE = re.compile(r"[A-Za-z0-9_~.-]{1,40}")


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters with an ellipsis: safe to put in a message."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "<a number too long to show>"
    text = "".join(c if c.isprintable() else "?" for c in text[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _key_text(key: Any) -> str | None:
    """A key quoted for a message, or None if it is too long or does not look like a key."""
    return f"'{key}'" if isinstance(key, str) and _KEY_LIKE.fullmatch(key) else None


def _not_bool(value: Any) -> Any:
    if isinstance(value, bool | np.bool_):
        raise ValueError(f"must be a number, not a boolean ({str(bool(value)).lower()})")
    return value


# Numbers that refuse booleans (pydantic's lax mode would read true as 1).
Float = Annotated[float, BeforeValidator(_not_bool)]
Int = Annotated[int, BeforeValidator(_not_bool)]
OptionalFloat = Annotated[float | None, BeforeValidator(_not_bool)]


def _field(default: Any, description: str, **constraints: Any) -> Any:
    return Field(default, description=description, **constraints)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class IntRange(_Section):
    """An inclusive integer range, drawn uniformly."""

    low: Int = _field(1, "smallest value (inclusive)", ge=1)
    high: Int = _field(1, "largest value (inclusive)", ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self


class Role(_Section):
    process_weeks: IntRange = _field(
        IntRange(low=4, high=10),
        "weeks from posting to decision, drawn uniformly (assumption: 4-10 weeks; "
        f"high at most {MAX_PROCESS_WEEKS}, 5 years)",
    )
    interview_at: Float = _field(
        0.7, "fraction of the process after which final interviews end", gt=0, le=1
    )
    posting_month_weights: tuple[Float, ...] | None = _field(
        None, "12 non-negative weights for the posting month, January first; null = uniform"
    )
    cancel_probability: Float = _field(
        0.10,
        "share of openings cancelled before a decision (assumption: no published rate)",
        ge=0,
        lt=1,
    )
    quarter_multipliers: tuple[Float, Float, Float, Float] = _field(
        (1.3, 0.8, 0.7, 1.2),
        "relative weekly cancellation hazard in Q1..Q4 (scaled to mean 1)",
    )
    positions: dict[Int, Float] = _field(
        {1: 0.65, 2: 0.25, 3: 0.10},
        "distribution of positions per opening (categorical; assumption: many requisitions hire "
        "more than one person)",
    )
    freeze_correlation: Float = _field(
        0.25,
        "0..1: how much openings in the same quarter share one freeze shock (used by `you`)",
        ge=0,
        le=1,
    )

    @field_validator("process_weeks")
    @classmethod
    def _weeks(cls, v: IntRange) -> IntRange:
        if v.high > MAX_PROCESS_WEEKS:
            raise ValueError(
                f"high must be at most {MAX_PROCESS_WEEKS} weeks (5 years), got {v.high}"
            )
        return v

    @field_validator("posting_month_weights")
    @classmethod
    def _twelve_months(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        if len(v) != 12:
            raise ValueError(f"needs 12 weights (January first), got {len(v)}")
        if min(v) < 0 or sum(v) <= 0:
            raise ValueError("weights must be >= 0 with a positive sum")
        return v

    @field_validator("quarter_multipliers")
    @classmethod
    def _quarters(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if min(v) < 0 or sum(v) <= 0:
            raise ValueError(f"multipliers must be >= 0 with a positive sum, got {list(v)}")
        return v

    @field_validator("positions")
    @classmethod
    def _positions(cls, v: dict[int, float]) -> dict[int, float]:
        if not v or min(v) < 1 or max(v) > 20:
            raise ValueError("positions must be whole numbers from 1 to 20")
        if min(v.values()) < 0 or not math.isclose(sum(v.values()), 1.0, abs_tol=1e-6):
            raise ValueError(f"probabilities must be >= 0 and sum to 1, got {sum(v.values()):g}")
        return dict(sorted(v.items()))


class Applicants(_Section):
    count: IntRange = _field(
        IntRange(low=100, high=250),
        f"applicants per opening (typical 100-250; high at most {MAX_APPLICANTS:,})",
    )
    correlations: dict[str, Float] = _field(
        {"quality~alignment": 0.3, "alignment~narrative": 0.4, "alignment~niche": 0.3},
        "pairwise correlations of the latent traits, e.g. 'quality~alignment: 0.3'; "
        f"names: {', '.join(LATENT_NAMES)}",
    )
    niche_share: Float = _field(
        0.15, "share of applicants with the niche experience the role quietly wants", ge=0, le=1
    )

    @field_validator("count")
    @classmethod
    def _count(cls, v: IntRange) -> IntRange:
        if v.high > MAX_APPLICANTS:
            raise ValueError(f"high must be at most {MAX_APPLICANTS:,}, got {v.high:,}")
        return v

    @field_validator("correlations")
    @classmethod
    def _pairs(cls, v: dict[str, float]) -> dict[str, float]:
        seen: dict[frozenset[str], str] = {}
        for key, value in v.items():
            names = key.split("~")
            if len(names) != 2 or any(n not in LATENT_NAMES for n in names) or names[0] == names[1]:
                shown = _key_text(key)
                hint = difflib.get_close_matches(key, _all_pairs(), n=1) if shown else []
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                raise ValueError(
                    f"{shown or excerpt(key)} is not a pair 'a~b' of {', '.join(LATENT_NAMES)}"
                    f"{suggestion}"
                )
            pair = frozenset(names)
            if pair in seen:
                first = seen[pair]
                raise InputError(
                    f"applicants.correlations: '{first}' and '{key}' are the same pair given "
                    f"twice ({v[first]:g} and {value:g}); give each pair once",
                    path=f"applicants.correlations.{key}",
                )
            seen[pair] = key
            if not -1 < value < 1:
                raise ValueError(f"'{key}' must be in (-1, 1), got {value}")
        return v


def _all_pairs() -> list[str]:
    return [f"{a}~{b}" for a in LATENT_NAMES for b in LATENT_NAMES if a != b]


class Screening(_Section):
    validity: Float = _field(
        0.3,
        "weight of true quality in the CV score; its correlation with quality when the other "
        "weights are 0 (work-sample-free CV screens ~.1-.3: Sackett et al. 2022)",
        ge=0,
        le=1,
    )
    alignment_weight: Float = _field(
        0.3, "weight of (latent) alignment in the CV score: keyword match", ge=0, le=3
    )
    niche_weight: Float = _field(
        0.2, "weight of the latent niche trait in the CV score", ge=0, le=3
    )
    shortlist: IntRange = _field(
        IntRange(low=5, high=10), "interviewees per opening (typical 5-10)"
    )


class Internal(_Section):
    probability: Float = _field(
        0.4, "probability that an internal contender also interviews", ge=0, le=1
    )
    quality_mean: Float = _field(
        0.3, "mean true quality of internals (SD units of the applicant pool)", ge=-3, le=3
    )
    quality_sd: Float = _field(0.8, "SD of internals' true quality", gt=0, le=3)
    alignment: Float = _field(0.85, "internal's alignment (0..1)", ge=0, le=1)
    culture: Float = _field(0.85, "internal's culture mirror (0..1)", ge=0, le=1)
    narrative: Float = _field(0.8, "internal's narrative clarity (0..1)", ge=0, le=1)
    known_precision: Float = _field(
        1.0, "precision of what the manager saw of the internal's work (1/variance)", ge=0, le=100
    )


class SelfAssessment(_Section):
    bias: Float = _field(
        1.0,
        "upward bias of a candidate's impression of their interview, in interview-score "
        "units (assumption; the baseline's mean interview score has SD ~3.1)",
        ge=-10,
        le=10,
    )
    noise: Float = _field(
        3.0, "noise of that impression, interview-score units (assumption)", ge=0, le=20
    )


class Interview(_Section):
    rounds: Int = _field(3, "interview rounds per candidate", ge=1, le=20)
    validity: Float = _field(
        0.19,
        "correlation of one round's score with true quality (unstructured .19, "
        "structured .42: Sackett et al. 2022)",
        gt=0,
        le=1,
    )
    self_assessment: SelfAssessment = _field(SelfAssessment(), "the candidate's own impression")


class Manager(_Section):
    risk_aversion: Float = _field(
        0.5, "weight on the posterior SD of a hire's value: fear of the wrong hire", ge=0, le=10
    )
    affinity_weight: Float = _field(
        0.3, "culture-mirror bias: weight on culture fit, which adds no value", ge=0, le=5
    )
    narrative_weight: Float = _field(
        0.5, "how much a clean narrative lowers perceived transfer risk", ge=0, le=1
    )
    niche_value: Float = _field(
        0.3, "real value of niche experience (SD units of quality)", ge=0, le=5
    )
    onboarding_cost: Float = _field(
        0.3, "value lost per unit of misalignment (1 - alignment)", ge=0, le=5
    )
    transfer_risk: Float = _field(0.5, "SD of how well skills transfer, at alignment 0", ge=0, le=5)
    hiring_bar: OptionalFloat = _field(
        None, "nobody with a risk-adjusted score below this gets an offer; null = no bar"
    )


class Offers(_Section):
    decline_probability: Float = _field(
        0.16,
        "probability an external declines an offer (84% acceptance: PwC Saratoga 2022)",
        ge=0,
        lt=1,
    )
    internal_decline_probability: Float = _field(
        0.05, "probability the internal declines (assumption)", ge=0, lt=1
    )
    max_offers: Int = _field(4, "most offers made per opening, declines included", ge=1, le=20)


class Analysis(_Section):
    good_interview_top_share: Float = _field(
        0.3, "a 'good interview' is in this top share of all interview scores", gt=0, lt=1
    )
    narrow_margin: Float = _field(
        0.05, "a loss is 'narrow' below this gap in U (SDs of U among interviewees)", ge=0, le=5
    )
    bad_hire_threshold: Float = _field(
        0.0, "a hire with realised value V below this is a bad hire", ge=-5, le=5
    )
    attribution: Literal["sequential", "shapley"] = _field(
        "sequential", "which attribution fills candidates.loss_reason"
    )
    pilot_openings: Int = _field(
        20_000,
        "openings in the pilot sample that fixes the good-interview threshold",
        ge=1000,
        le=1_000_000,
    )
    candidate_openings: Int = _field(
        10_000,
        "openings whose interviewees are kept in result.candidates",
        ge=0,
        le=10_000_000,
    )


class Pipeline(_Section):
    recontact_probability: Float = _field(
        0.25,
        "probability a runner-up is re-approached for a later opening (assumption)",
        ge=0,
        le=1,
    )


class Scenario(_Section):
    """A complete, validated, immutable scenario."""

    name: str = _field(
        "scenario",
        f"short label (1-{MAX_NAME_CHARS} characters, no '/', no '..'); the output folder is "
        "derived from it",
    )
    description: str = _field(
        "",
        f"one line on the story this scenario tells (at most {MAX_DESCRIPTION_CHARS} characters)",
    )
    openings: Int = _field(100_000, "default number of openings to simulate", ge=1, le=10**9)
    seed: Int = _field(20261125, "default random seed", ge=0, le=2**128 - 1)
    engine: Literal["exact", "brute_force"] = _field(
        "exact", "population step: exact O(k) top-k sampler or drawing every applicant"
    )
    role: Role = _field(Role(), "calendar, cancellation, positions")
    applicants: Applicants = _field(Applicants(), "the applicant pool")
    screening: Screening = _field(Screening(), "CV screening to a shortlist")
    internal: Internal = _field(Internal(), "the internal contender")
    interview: Interview = _field(Interview(), "interview rounds")
    manager: Manager = _field(Manager(), "the manager's risk-adjusted score")
    offers: Offers = _field(Offers(), "offers and declines")
    analysis: Analysis = _field(Analysis(), "how results are analysed")
    pipeline: Pipeline = _field(Pipeline(), "talent pipelines (`you` mode)")

    @field_validator("name")
    @classmethod
    def _label(cls, v: str) -> str:
        problem = name_problem(v)
        if problem:
            raise ValueError(f"{problem} (got {excerpt(v)})")
        return v

    @field_validator("description")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if len(v) > MAX_DESCRIPTION_CHARS:
            raise ValueError(f"at most {MAX_DESCRIPTION_CHARS} characters, got {len(v):,}")
        if any(_is_control(c) for c in v):
            raise ValueError("must be one line without control characters")
        return v

    @model_validator(mode="after")
    def _combinations(self) -> Scenario:
        if self.screening.shortlist.high > self.applicants.count.low:
            raise InputError(
                f"shortlist of up to {self.screening.shortlist.high} is larger than the smallest "
                f"pool ({self.applicants.count.low} applicants); lower screening.shortlist.high "
                "or raise applicants.count.low",
                path="screening.shortlist.high",
            )
        from simfunnel.calendar import Calendar  # a cycle at import time otherwise

        Calendar.from_role(self.role)  # the cancellation rate must be reachable
        eigenvalues = np.linalg.eigvalsh(self.correlation_matrix)
        if eigenvalues.min() <= 1e-9:
            raise InputError(
                "the correlations do not form a valid (positive definite) correlation matrix "
                f"(smallest eigenvalue {eigenvalues.min():.3f}); some pairs contradict each "
                "other, so weaken the largest ones",
                path="applicants.correlations",
            )
        return self

    # ------------------------------------------------------------------ derived
    @property
    def correlation_matrix(self) -> np.ndarray:
        """The latent correlation matrix R, shape (5, 5), order of LATENT_NAMES."""
        matrix = np.eye(len(LATENT_NAMES))
        for key, value in self.applicants.correlations.items():
            a, b = (LATENT_NAMES.index(n) for n in key.split("~"))
            matrix[a, b] = matrix[b, a] = value
        return matrix

    # ---------------------------------------------------------------- overrides
    def to_dict(self) -> dict[str, Any]:
        """Plain, YAML-ready dict of every key (defaults included)."""
        return _plain(self.model_dump(mode="python"))

    def to_yaml(self) -> str:
        # No anchors: scenario files with aliases are refused on loading.
        return yaml.dump(self.to_dict(), Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new scenario with dotted keys replaced, e.g. ``{"manager.risk_aversion": 2}``.

        Unless the overrides set ``name``, the result is named after this scenario
        and the overrides, e.g. ``baseline (manager.risk_aversion=2)``, so that its
        results and charts never pass for the unchanged scenario.
        """
        data = self.to_dict()
        for dotted, value in overrides.items():
            _set_dotted(data, dotted, value)
        if overrides and "name" not in overrides:
            data["name"] = override_label(self.name, overrides)
        return build_scenario(data, source="override")


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


# ------------------------------------------------------------------------ names
def _is_control(char: str) -> bool:
    return unicodedata.category(char) in {"Cc", "Cf", "Zl", "Zp"}


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid scenario label, or None."""
    if not name.strip():
        return "must not be empty"
    if len(name) > MAX_NAME_CHARS:
        return f"at most {MAX_NAME_CHARS} characters, got {len(name):,}"
    if "/" in name or "\\" in name:
        return "is a label, not a path: no '/' or '\\'"
    if ".." in name or name.strip() == ".":
        return "is a label, not a path: no '..' and not '.'"
    if any(_is_control(c) for c in name):
        return "must not contain control characters"
    return None


_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {
    f"{p}{i}" for p in ("com", "lpt") for i in range(10)
}


def folder_name(name: str) -> str:
    """A safe folder name for a scenario label: never empty, never a path.

    Lowercase ASCII letters, digits, ``-``, ``_`` and ``.`` (never leading or
    trailing, never two in a row); ``=`` becomes ``-`` and every other character
    ``_`` (at most two in a row). ``baseline (manager.risk_aversion=3)`` becomes
    ``baseline__manager.risk_aversion-3``. Deterministic; a name with nothing
    usable left becomes ``scenario-<hash>``.
    """
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    kept = "".join(
        c if c in _FOLDER_CHARS else "-" if c == "=" else "_" for c in text[: 4 * MAX_FOLDER_CHARS]
    )
    kept = re.sub(r"\.{2,}", ".", kept)
    kept = re.sub(r"_{3,}", "__", kept)
    kept = kept.strip("._-")[:MAX_FOLDER_CHARS].rstrip("._-")
    if not kept:
        digest = hashlib.sha256(str(name).encode("utf-8", "replace")).hexdigest()[:8]
        return "scenario" if not str(name).strip() else f"scenario-{digest}"
    return f"{kept}_" if kept in _WINDOWS_RESERVED else kept


_FOLDER_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def _compact(value: Any, budget: int = 200) -> str:
    """A short, deterministic rendering of an override value for a label."""
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return str(bool(value)).lower()
    if isinstance(value, int | np.integer):
        return str(int(value)) if abs(int(value)) < 10**30 else "<big>"
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, str):
        return value[:budget]
    if isinstance(value, dict):
        items = list(value.items())[:20]
        return "{" + ", ".join(f"{_compact(k, 20)}: {_compact(v, 20)}" for k, v in items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_compact(v, 20) for v in list(value)[:20]) + "]"
    return excerpt(value, 20)


def override_label(base: str, overrides: dict[str, Any]) -> str:
    """``base (key=value, ...)``: the label of a scenario changed by overrides.

    Deterministic, and always a valid name: unsafe characters are replaced and a
    label over the length limit is cut and ends with a hash of the full text.
    """
    text = ", ".join(f"{str(key)[:60]}={_compact(value)}" for key, value in overrides.items())
    text = "".join("_" if c in "/\\" or _is_control(c) else c for c in text)
    text = re.sub(r"\.{2,}", ".", text)
    label = f"{base} ({text})"
    if len(label) <= MAX_NAME_CHARS:
        return label
    digest = hashlib.sha256(label.encode("utf-8", "replace")).hexdigest()[:8]
    tail = f"\u2026 #{digest})"
    head = f"{base[:40]} ({text}"
    return head[: MAX_NAME_CHARS - len(tail)].rstrip() + tail


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node: Any = data
    model: type[BaseModel] | None = Scenario
    for depth, part in enumerate(parts):
        is_last = depth == len(parts) - 1
        fields = model.model_fields if model is not None else {}
        if model is not None and part not in fields:
            raise InputError(_unknown_key_message(".".join(parts[: depth + 1]), model), dotted)
        if is_last:
            node[part] = value
            return
        annotation = fields[part].annotation if model is not None else None
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if not isinstance(node.get(part), dict):
            raise InputError(
                f"{excerpt(dotted)[1:-1]}: {excerpt(part)} is not a section with keys", dotted
            )
        node = node[part]


def _unknown_key_message(path: str, model: type[BaseModel]) -> str:
    *parents, key = path.split(".")
    if _key_text(key) is None or any(_key_text(p) is None for p in parents):
        # Never quote what may be another file's contents.
        if not parents:
            return "not a simfunnel scenario (a top-level key is not a scenario key)"
        return f"unknown key under '{'.'.join(parents)[:80]}'"
    prefix = ".".join(parents) + "." if parents else ""
    hint = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.5)
    suggestion = (
        f"; did you mean '{prefix}{hint[0]}'?"
        if hint
        else (f"; valid keys here: {', '.join(model.model_fields)}")
    )
    return f"unknown key '{path}'{suggestion}"


# --------------------------------------------------------------------- loading
class _ScenarioLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses aliases, merge keys, duplicate keys and
    documents nested deeper than :data:`MAX_NESTING` or larger than :data:`MAX_NODES`
    nodes, before building anything from them."""

    def __init__(self, stream: str, source: str):
        super().__init__(stream)
        self.source = source
        self.depth = 0
        self.nodes = 0

    def _refuse(self, mark: Any, message: str) -> InputError:
        where = f"{self.source}:{mark.line + 1}:{mark.column + 1}" if mark else self.source
        return InputError(f"{where}: {message}")

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise self._refuse(
                event.start_mark,
                "YAML anchors and aliases (&name, *name) are not allowed in scenario files; "
                "write the values out",
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self._refuse(
                event.start_mark, f"too many YAML values (over {MAX_NODES:,}); not a scenario"
            )
        nested = isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent)
        if nested:
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise self._refuse(
                    event.start_mark,
                    f"YAML nested more than {MAX_NESTING} levels deep; not a scenario",
                )
        try:
            return super().compose_node(parent, index)
        finally:
            if nested:
                self.depth -= 1

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            first_line: dict[Any, int] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._refuse(
                        key_node.start_mark,
                        "YAML merge keys ('<<') are not allowed in scenario files; "
                        "use 'extends: other.yaml' or write the keys out",
                    )
                key = self.construct_object(key_node, deep=deep)
                try:
                    hash(key)
                except TypeError:
                    raise self._refuse(key_node.start_mark, "a key must be a plain value") from None
                line = key_node.start_mark.line + 1
                if key in first_line:
                    shown = _key_text(key) or "a key"
                    raise self._refuse(
                        key_node.start_mark,
                        f"duplicate key {shown} (lines {first_line[key]} and {line}); "
                        "give each key once",
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)


def _line_index(root: yaml.Node | None, source: str) -> dict[str, str]:
    """Map dotted key paths (list items as indices) to ``source:line``."""
    lines: dict[str, str] = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:  # depth and size are bounded by the loader
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines.setdefault(child, f"{source}:{key_node.start_mark.line + 1}")
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{path}.{i}"] = f"{source}:{item.start_mark.line + 1}"
                stack.append((item, f"{path}.{i}"))
    return lines


def _where(source: str, lines: dict[str, str], path: str | None) -> str:
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return source


def _model_at(loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last element of a pydantic error location, and its field."""
    model: Any = Scenario
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None, None
        model = annotation
    last = loc[-1]
    return model, model.model_fields.get(last) if isinstance(last, str) else None


def _range_text(field: Any) -> str:
    low = high = None
    low_op, high_op = "[", "]"
    for meta in getattr(field, "metadata", []):
        for attr, op in (("ge", "["), ("gt", "(")):
            if getattr(meta, attr, None) is not None:
                low, low_op = getattr(meta, attr), op
        for attr, op in (("le", "]"), ("lt", ")")):
            if getattr(meta, attr, None) is not None:
                high, high_op = getattr(meta, attr), op
    if low is None and high is None:
        return ""
    return f"{low_op}{'-inf' if low is None else low}, {'inf' if high is None else high}{high_op}"


def _format_pydantic_error(error: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(error["loc"])
    # Validators on dicts/tuples report the key or index inside the field: keep
    # the path to the field itself for line lookup.
    path = ".".join(str(p) if _key_text(str(p)) else "?" for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        model, _ = _model_at(loc)
        return _unknown_key_message(path, model or Scenario), path
    value = excerpt(error.get("input"))
    model, field = _model_at(loc)
    range_text = _range_text(field) if field is not None else ""
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{path}: must be in {range_text}, got {value}", path
    if kind == "finite_number":
        return f"{path}: must be a finite number, got {value}", path
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{path}: {message}", path
    if kind == "missing":
        return f"{path}: required key is missing", path
    expected = str(error["msg"]).removeprefix("Input should be ")
    return f"{path}: should be {expected}, got {value}", path


def build_scenario(
    data: Any, source: str = "<scenario>", lines: dict[str, str] | None = None
) -> Scenario:
    """Validate plain data (from YAML) into a :class:`Scenario`.

    Raises
    ------
    InputError
        One line: ``file:line: dotted.path: what is wrong (range, value)``.
    """
    lines = lines or {}
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(
            f"{source}: a scenario must be a mapping of keys, got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        message, path = _format_pydantic_error(exc.errors()[0])
        more = exc.error_count() - 1
        extra = f" (+{more} more problem{'s' if more > 1 else ''})" if more else ""
        raise InputError(f"{_where(source, lines, path)}: {message}{extra}", path) from None
    except InputError as exc:
        raise InputError(f"{_where(source, lines, exc.path)}: {exc}", exc.path) from None


def _read_text(path: Path, what: str = "config file") -> str:
    """The text of a regular file of at most :data:`MAX_CONFIG_BYTES`, size checked first."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read {what} ({excerpt(str(exc), 80)[1:-1]})") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder, not a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{path}: not a regular file")
    limit = f"the limit is {MAX_CONFIG_BYTES // 2**20} MiB"
    if info.st_size > MAX_CONFIG_BYTES:
        raise InputError(f"{path}: {what} is too large ({info.st_size:,} bytes; {limit})")
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or 'error'})") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(f"{path}: {what} is too large (over {limit})")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def _load_yaml_text(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """YAML data and its node tree through :class:`_ScenarioLoader`; one-line errors."""
    loader = None
    try:
        loader = _ScenarioLoader(text, source)  # checks every character first
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
        return data, root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        context = ""
        if exc.context and exc.context_mark:
            start = exc.context_mark
            context = (
                f" ({str(exc.context)[:80]} started at line {start.line + 1}, "
                f"column {start.column + 1})"
            )
        problem = excerpt(str(exc.problem), 100)[1:-1]
        raise InputError(f"{where}: malformed YAML: {problem}{context}") from None
    except yaml.reader.ReaderError as exc:
        raise InputError(
            f"{source}: malformed YAML: unacceptable character #x{exc.character:04x} "
            f"at position {exc.position}"
        ) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{source}: malformed YAML: {excerpt(first, 100)[1:-1]}") from None
    except (ValueError, OverflowError, TypeError):  # e.g. a 5,000-digit integer, a bad date
        raise InputError(
            f"{source}: a value cannot be read (a number too long or a date out of range?)"
        ) from None
    except RecursionError:
        raise InputError(f"{source}: YAML nested too deeply; not a scenario") from None
    finally:
        if loader is not None:
            loader.dispose()


def _read_yaml(path: Path) -> tuple[Any, dict[str, str]]:
    """Data of a YAML config and where each key is (``file:line``)."""
    data, root = _load_yaml_text(_read_text(path), str(path))
    return data, _line_index(root, str(path))


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in child.items():
        if (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in _LEAF_MAPPINGS
        ):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# Mappings that are values in their own right: a child replaces them whole.
_LEAF_MAPPINGS = {"positions", "correlations"}


def _extends_target(path: Path, value: Any, where: str) -> Path:
    """The file an ``extends:`` in ``path`` may load, or a one-line refusal.

    Only a relative path to a ``.yaml``/``.yml`` regular file beside ``path`` or
    below its folder; after resolving symlinks it must stay inside that folder.
    """
    rule = "name a .yaml file beside this config or in a folder below it"
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: extends: expected a file name, got {excerpt(value)}")
    if len(value) > 255 or any(_is_control(c) for c in value):
        raise InputError(f"{where}: extends: not a usable file name; {rule}")
    relative = Path(value)
    if relative.is_absolute() or value.startswith("~"):
        raise InputError(f"{where}: extends: {excerpt(value)} is an absolute path; {rule}")
    if relative.suffix.lower() not in CONFIG_SUFFIXES:
        raise InputError(f"{where}: extends: {excerpt(value)} is not a .yaml or .yml file")
    target = path.parent / relative
    try:
        folder = path.parent.resolve()
        resolved = target.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise InputError(f"{where}: extends: cannot resolve {excerpt(value)}") from None
    if not resolved.is_relative_to(folder):
        raise InputError(
            f"{where}: extends: {excerpt(value)} leads outside the folder of this config; {rule}"
        )
    if not resolved.exists():
        raise InputError(f"{where}: extends: no such config file {target}")
    if not resolved.is_file():
        raise InputError(f"{where}: extends: {target} is not a regular file")
    if resolved.suffix.lower() not in CONFIG_SUFFIXES:
        raise InputError(f"{where}: extends: {target} links to a file that is not .yaml or .yml")
    return resolved


def _read_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> tuple[Any, dict[str, str]]:
    """Raw YAML data with ``extends: other.yaml`` resolved, and where each key was set."""
    if path.resolve() in seen:
        raise InputError(f"{path}: 'extends' loops back to itself")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise InputError(
            f"{path}: 'extends' chain is longer than {MAX_EXTENDS_DEPTH} files; shorten it"
        )
    data, lines = _read_yaml(path)
    if not isinstance(data, dict) or "extends" not in data:
        return data, lines
    data = dict(data)
    parent_name = data.pop("extends")
    parent_path = _extends_target(path, parent_name, lines.get("extends", str(path)))
    parent, parent_lines = _read_with_extends(parent_path, (*seen, path.resolve()))
    if parent is None:
        parent = {}
    if not isinstance(parent, dict):
        raise InputError(f"{parent_path}: not a simfunnel scenario (not a mapping of keys)")
    merged = _merge(parent, data)
    # Name and story belong to the file itself, not to what it extends.
    merged["name"] = data.get("name", _default_name(path))
    merged["description"] = data.get("description", "")
    return merged, {**parent_lines, **lines}


def _default_name(path: Path) -> str:
    """A config's name when it has none: its file name, made a valid label if need be."""
    return path.stem if name_problem(path.stem) is None else folder_name(path.stem)


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a YAML scenario (safe YAML only; see the module's limits).

    A scenario may start from another with ``extends: baseline.yaml`` (a path
    relative to the file, beside it or below its folder) and change only the keys
    that tell its story.

    Parameters
    ----------
    path : path to a YAML file.
    overrides : optional dotted-key overrides applied after loading; unless they
        set ``name``, the scenario is renamed ``name (key=value, ...)``.
    """
    path = Path(path)
    data, lines = _read_with_extends(path)
    if data is None:  # an empty file: the defaults (the baseline), named after the file
        data = {}
    if isinstance(data, dict) and "name" not in data:
        data = {**data, "name": _default_name(path)}
    scenario = build_scenario(data, source=str(path), lines=lines)
    return scenario.with_overrides(overrides) if overrides else scenario


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; the value is read as (safe) YAML.

    Non-finite numbers (``.nan``, ``.inf``) are refused wherever they appear.
    """
    key, sep, raw = text.partition("=")
    shown = excerpt(text)
    if not sep or not key.strip():
        raise InputError(f"--set {shown}: expected KEY=VALUE, e.g. manager.risk_aversion=2")
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(f"--set {excerpt(key)}: value is too long")
    source = f"--set {excerpt(key.strip())[1:-1]}"
    value, _ = _load_yaml_text(raw, source) if raw.strip() else (None, None)
    if not _all_finite(value):
        raise InputError(f"{source}: must be a finite number, got {excerpt(raw.strip())}")
    return key.strip(), value


def _all_finite(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_all_finite(k) and _all_finite(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_all_finite(v) for v in value)
    return True


def describe_keys() -> list[dict[str, str]]:
    """Every scenario key with its default, valid range and description."""
    rows: list[dict[str, str]] = []

    def walk(model: type[BaseModel], instance: BaseModel, prefix: str) -> None:
        for name, field in model.model_fields.items():
            value = getattr(instance, name)
            path = f"{prefix}{name}"
            if isinstance(value, BaseModel) and not isinstance(value, IntRange):
                walk(type(value), value, path + ".")
                continue
            shown = _plain(value.model_dump()) if isinstance(value, BaseModel) else _plain(value)
            rows.append(
                {
                    "key": path,
                    "default": yaml.safe_dump(shown, default_flow_style=True)
                    .strip()
                    .removesuffix("\n...")
                    .removesuffix("..."),
                    "range": _range_text(field),
                    "description": field.description or "",
                }
            )

    walk(Scenario, Scenario(), "")
    return rows
