"""Scenarios: YAML in, a frozen and validated :class:`Scenario` out.

Every key has a description, a unit where it has one, a default and a valid
range (see ``simfunnel keys``). Errors name the file, line, dotted key path,
the valid range and the offending value, in one line.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from simfunnel.errors import InputError

LATENT_NAMES = ("quality", "alignment", "culture", "narrative", "niche")


def _field(default: Any, description: str, **constraints: Any) -> Any:
    return Field(default, description=description, **constraints)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntRange(_Section):
    """An inclusive integer range, drawn uniformly."""

    low: int = _field(1, "smallest value (inclusive)", ge=1)
    high: int = _field(1, "largest value (inclusive)", ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must be <= high ({self.high})")
        return self


class Role(_Section):
    process_weeks: IntRange = _field(
        IntRange(low=4, high=10),
        "weeks from posting to decision, drawn uniformly (assumption: 4-10 weeks)",
    )
    interview_at: float = _field(
        0.7, "fraction of the process after which final interviews end", gt=0, le=1
    )
    posting_month_weights: tuple[float, ...] | None = _field(
        None, "12 non-negative weights for the posting month, January first; null = uniform"
    )
    cancel_probability: float = _field(
        0.10,
        "share of openings cancelled before a decision (assumption: no published rate)",
        ge=0,
        lt=1,
    )
    quarter_multipliers: tuple[float, float, float, float] = _field(
        (1.3, 0.8, 0.7, 1.2),
        "relative weekly cancellation hazard in Q1..Q4 (scaled to mean 1)",
    )
    positions: dict[int, float] = _field(
        {1: 0.65, 2: 0.25, 3: 0.10},
        "distribution of positions per opening (categorical; assumption: many requisitions hire "
        "more than one person)",
    )
    freeze_correlation: float = _field(
        0.25,
        "0..1: how much openings in the same quarter share one freeze shock (used by `you`)",
        ge=0,
        le=1,
    )

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
        IntRange(low=100, high=250), "applicants per opening (typical 100-250)"
    )
    correlations: dict[str, float] = _field(
        {"quality~alignment": 0.3, "alignment~narrative": 0.4, "alignment~niche": 0.3},
        "pairwise correlations of the latent traits, e.g. 'quality~alignment: 0.3'; "
        f"names: {', '.join(LATENT_NAMES)}",
    )
    niche_share: float = _field(
        0.15, "share of applicants with the niche experience the role quietly wants", ge=0, le=1
    )

    @field_validator("correlations")
    @classmethod
    def _pairs(cls, v: dict[str, float]) -> dict[str, float]:
        for key, value in v.items():
            names = key.split("~")
            if len(names) != 2 or any(n not in LATENT_NAMES for n in names) or names[0] == names[1]:
                hint = difflib.get_close_matches(key, _all_pairs(), n=1)
                suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
                raise ValueError(
                    f"'{key}' is not a pair 'a~b' of {', '.join(LATENT_NAMES)}{suggestion}"
                )
            if not -1 < value < 1:
                raise ValueError(f"'{key}' must be in (-1, 1), got {value}")
        return v


def _all_pairs() -> list[str]:
    return [f"{a}~{b}" for a in LATENT_NAMES for b in LATENT_NAMES if a != b]


class Screening(_Section):
    validity: float = _field(
        0.3,
        "weight of true quality in the CV score; its correlation with quality when the other "
        "weights are 0 (work-sample-free CV screens ~.1-.3: Sackett et al. 2022)",
        ge=0,
        le=1,
    )
    alignment_weight: float = _field(
        0.3, "weight of (latent) alignment in the CV score: keyword match", ge=0, le=3
    )
    niche_weight: float = _field(
        0.2, "weight of the latent niche trait in the CV score", ge=0, le=3
    )
    shortlist: IntRange = _field(
        IntRange(low=5, high=10), "interviewees per opening (typical 5-10)"
    )


class Internal(_Section):
    probability: float = _field(
        0.4, "probability that an internal contender also interviews", ge=0, le=1
    )
    quality_mean: float = _field(
        0.3, "mean true quality of internals (SD units of the applicant pool)", ge=-3, le=3
    )
    quality_sd: float = _field(0.8, "SD of internals' true quality", gt=0, le=3)
    alignment: float = _field(0.85, "internal's alignment (0..1)", ge=0, le=1)
    culture: float = _field(0.85, "internal's culture mirror (0..1)", ge=0, le=1)
    narrative: float = _field(0.8, "internal's narrative clarity (0..1)", ge=0, le=1)
    known_precision: float = _field(
        1.0, "precision of what the manager saw of the internal's work (1/variance)", ge=0, le=100
    )


class SelfAssessment(_Section):
    bias: float = _field(
        1.0,
        "upward bias of a candidate's impression of their interview, in interview-score "
        "units (assumption; the baseline's mean interview score has SD ~3.1)",
        ge=-10,
        le=10,
    )
    noise: float = _field(
        3.0, "noise of that impression, interview-score units (assumption)", ge=0, le=20
    )


class Interview(_Section):
    rounds: int = _field(3, "interview rounds per candidate", ge=1, le=20)
    validity: float = _field(
        0.19,
        "correlation of one round's score with true quality (unstructured .19, "
        "structured .42: Sackett et al. 2022)",
        gt=0,
        le=1,
    )
    self_assessment: SelfAssessment = _field(SelfAssessment(), "the candidate's own impression")


class Manager(_Section):
    risk_aversion: float = _field(
        0.5, "weight on the posterior SD of a hire's value: fear of the wrong hire", ge=0, le=10
    )
    affinity_weight: float = _field(
        0.3, "culture-mirror bias: weight on culture fit, which adds no value", ge=0, le=5
    )
    narrative_weight: float = _field(
        0.5, "how much a clean narrative lowers perceived transfer risk", ge=0, le=1
    )
    niche_value: float = _field(
        0.3, "real value of niche experience (SD units of quality)", ge=0, le=5
    )
    onboarding_cost: float = _field(
        0.3, "value lost per unit of misalignment (1 - alignment)", ge=0, le=5
    )
    transfer_risk: float = _field(0.5, "SD of how well skills transfer, at alignment 0", ge=0, le=5)
    hiring_bar: float | None = _field(
        None, "nobody with a risk-adjusted score below this gets an offer; null = no bar"
    )


class Offers(_Section):
    decline_probability: float = _field(
        0.16,
        "probability an external declines an offer (84% acceptance: PwC Saratoga 2022)",
        ge=0,
        lt=1,
    )
    internal_decline_probability: float = _field(
        0.05, "probability the internal declines (assumption)", ge=0, lt=1
    )
    max_offers: int = _field(4, "most offers made per opening, declines included", ge=1, le=20)


class Analysis(_Section):
    good_interview_top_share: float = _field(
        0.3, "a 'good interview' is in this top share of all interview scores", gt=0, lt=1
    )
    narrow_margin: float = _field(
        0.05, "a loss is 'narrow' below this gap in U (SDs of U among interviewees)", ge=0, le=5
    )
    bad_hire_threshold: float = _field(
        0.0, "a hire with realised value V below this is a bad hire", ge=-5, le=5
    )
    attribution: Literal["sequential", "shapley"] = _field(
        "sequential", "which attribution fills candidates.loss_reason"
    )
    pilot_openings: int = _field(
        20_000,
        "openings in the pilot sample that fixes the good-interview threshold",
        ge=1000,
        le=1_000_000,
    )
    candidate_openings: int = _field(
        10_000,
        "openings whose interviewees are kept in result.candidates",
        ge=0,
        le=10_000_000,
    )


class Pipeline(_Section):
    recontact_probability: float = _field(
        0.25,
        "probability a runner-up is re-approached for a later opening (assumption)",
        ge=0,
        le=1,
    )


class Scenario(_Section):
    """A complete, validated, immutable scenario."""

    name: str = _field("scenario", "short name, used for the output folder")
    description: str = _field("", "one line on the story this scenario tells")
    openings: int = _field(100_000, "default number of openings to simulate", ge=1, le=10**9)
    seed: int = _field(20261125, "default random seed", ge=0)
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
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new scenario with dotted keys replaced, e.g. ``{"manager.risk_aversion": 2}``."""
        data = self.to_dict()
        for dotted, value in overrides.items():
            _set_dotted(data, dotted, value)
        return build_scenario(data, source="override")


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
            raise InputError(f"{dotted}: '{part}' is not a section with keys", dotted)
        node = node[part]


def _unknown_key_message(path: str, model: type[BaseModel]) -> str:
    *parents, key = path.split(".")
    prefix = ".".join(parents) + "." if parents else ""
    hint = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.5)
    suggestion = (
        f"; did you mean '{prefix}{hint[0]}'?"
        if hint
        else (f"; valid keys here: {', '.join(model.model_fields)}")
    )
    return f"unknown key '{path}'{suggestion}"


# --------------------------------------------------------------------- loading
def _line_index(text: str, source: str) -> dict[str, str]:
    """Map dotted key paths (list items as indices) to ``source:line``."""
    lines: dict[str, str] = {}

    def walk(node: yaml.Node, path: str) -> None:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                child = f"{path}.{key_node.value}" if path else str(key_node.value)
                lines[child] = f"{source}:{key_node.start_mark.line + 1}"
                walk(value_node, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{path}.{i}"] = f"{source}:{item.start_mark.line + 1}"
                walk(item, f"{path}.{i}")

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, "")
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
    path = ".".join(str(p) for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        model, _ = _model_at(loc)
        return _unknown_key_message(path, model or Scenario), path
    value = error.get("input")
    model, field = _model_at(loc)
    range_text = _range_text(field) if field is not None else ""
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{path}: must be in {range_text}, got {value!r}", path
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{path}: {message}", path
    if kind == "missing":
        return f"{path}: required key is missing", path
    expected = str(error["msg"]).removeprefix("Input should be ")
    return f"{path}: should be {expected}, got {value!r}", path


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


def _read_yaml(path: Path) -> tuple[Any, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read config ({exc})") from None
    try:
        return yaml.safe_load(text), text
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        context = ""
        if exc.context and exc.context_mark:
            start = exc.context_mark
            context = (
                f" ({exc.context} started at line {start.line + 1}, column {start.column + 1})"
            )
        raise InputError(f"{where}: malformed YAML: {exc.problem}{context}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{path}: malformed YAML: {exc}") from None


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


def _read_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> tuple[Any, dict[str, str]]:
    """Raw YAML data with ``extends: other.yaml`` resolved, and where each key was set."""
    if path.resolve() in seen:
        raise InputError(f"{path}: 'extends' loops back to itself")
    data, text = _read_yaml(path)
    lines = _line_index(text, str(path))
    if not isinstance(data, dict) or "extends" not in data:
        return data, lines
    data = dict(data)
    parent_name = data.pop("extends")
    if not isinstance(parent_name, str):
        raise InputError(f"{lines['extends']}: extends: expected a file name, got {parent_name!r}")
    parent_path = path.parent / parent_name
    if not parent_path.is_file():
        raise InputError(f"{lines['extends']}: extends: no such config file {parent_path}")
    parent, parent_lines = _read_with_extends(parent_path, (*seen, path.resolve()))
    if not isinstance(parent, dict):
        raise InputError(f"{parent_path}: a scenario must be a mapping of keys")
    merged = _merge(parent, data)
    # Name and story belong to the file itself, not to what it extends.
    merged["name"] = data.get("name", path.stem)
    merged["description"] = data.get("description", "")
    return merged, {**parent_lines, **lines}


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load and validate a YAML scenario (``yaml.safe_load`` only).

    A scenario may start from another with ``extends: baseline.yaml`` (a path
    relative to the file) and change only the keys that tell its story.

    Parameters
    ----------
    path : path to a YAML file.
    overrides : optional dotted-key overrides applied after loading.
    """
    path = Path(path)
    data, lines = _read_with_extends(path)
    if data is None:  # an empty file: the defaults (the baseline), named after the file
        data = {}
    if isinstance(data, dict) and "name" not in data:
        data = {**data, "name": path.stem}
    scenario = build_scenario(data, source=str(path), lines=lines)
    return scenario.with_overrides(overrides) if overrides else scenario


def parse_override(text: str) -> tuple[str, Any]:
    """Parse ``KEY=VALUE`` from the command line; the value is read as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {text!r}: expected KEY=VALUE, e.g. manager.risk_aversion=2")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise InputError(f"--set {text!r}: value is not valid YAML") from None
    return key.strip(), value


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
