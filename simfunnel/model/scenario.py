"""The scenario schema: a frozen, validated :class:`Scenario` of its sections
(:mod:`simfunnel.model.sections`), with its uncertain keys, overrides and YAML.

Every key has a description, a unit where it has one, a default and a valid
range (see ``simfunnel keys``). Errors name the dotted key path, the valid range
and the offending value, in one line (:mod:`simfunnel.model.validation`); reading YAML
files, ``extends`` and the file:line of an error are :mod:`simfunnel.io.loader`'s.

- **name** is a label, not a path (:mod:`simfunnel.model.names`). A scenario changed
  by overrides is renamed ``base (key=value, ...)`` unless the overrides set
  ``name``. ``description`` is one line of at most 300 characters.
- **Values**: a number is never a boolean (``true`` is refused where a number is
  expected) and every float must be finite (no ``.nan``/``.inf``).
- **Bounds**: ``role.process_weeks.high`` <= 260 weeks (5 years),
  ``applicants.count.high`` <= 10,000,000, ``seed`` < 2**128; the cancellation
  probability must be reachable with the quarter multipliers
  (:func:`simfunnel.model.seasons.reachable_cancel_share`).
- **Memory**: runs whose estimated peak memory exceeds the limit (4 GiB, or half
  of RAM if less; ``SIMFUNNEL_MEMORY_LIMIT_GIB``) or with over 10^10 openings are
  refused up front (:mod:`simfunnel.analysis.resources`).
"""

from __future__ import annotations

import copy
from typing import Any, Literal

import numpy as np
import yaml
from pydantic import (
    BaseModel,
    ValidationError,
    field_validator,
    model_validator,
)

from simfunnel.errors import InputError
from simfunnel.model.fields import Int, IntRange
from simfunnel.model.fields import Section as _Section
from simfunnel.model.fields import field as _field
from simfunnel.model.names import (
    MAX_NAME_CHARS,
    excerpt,
    folder_name,
    is_control,
    name_problem,
    override_label,
)
from simfunnel.model.parameters import check_uncertainty
from simfunnel.model.seasons import reachable_cancel_share
from simfunnel.model.sections import (
    LATENT_NAMES,
    MAX_DESCRIPTION_CHARS,
    SOURCE_ATTRIBUTE,
    Analysis,
    Applicants,
    GroupLevel,
    Internal,
    Interview,
    Manager,
    Offers,
    Pipeline,
    Role,
    Screening,
    SourceLevel,
    Value,
    Withdrawal,
    check_groups,
    check_sources,
)
from simfunnel.model.uncertainty import Distribution, Posterior, extract_inline
from simfunnel.model.validation import format_pydantic_error, range_text, set_dotted, where

__all__ = [
    "LATENT_NAMES",
    "Scenario",
    "build_scenario",
    "describe_keys",
    "excerpt",
    "folder_name",
    "name_problem",
    "override_label",
]

# The most openings one run may simulate (~a day per core at ~1e5 openings/s: more is
# a typo, not a run). One constant for the schema (`keys`), `run` and --openings.
MAX_OPENINGS = 10**10


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
    openings: Int = _field(100_000, "default number of openings to simulate", ge=1, le=MAX_OPENINGS)
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
    withdrawal: Withdrawal = _field(Withdrawal(), "candidates who take another job first")
    value: Value = _field(Value(), "money value of a hire (selection utility)")
    analysis: Analysis = _field(Analysis(), "how results are analysed")
    pipeline: Pipeline = _field(Pipeline(), "talent pipelines (`you` mode)")
    uncertainty: dict[str, Distribution] = _field(
        {},
        "keys drawn from a distribution, one draw per block of 1,000 openings, e.g. "
        "{interview.validity: {dist: beta, mean: 0.16, sd: 0.04}} (MODEL.md section 8)",
    )
    groups: dict[str, dict[str, GroupLevel]] | None = _field(
        None,
        "optional: one or two attributes (e.g. sex, ethnicity), each {level: {share, shifts}}; "
        "null = no groups, every number as without this key (simfunnel/model/groups.py)",
    )
    sources: dict[str, SourceLevel] | None = _field(
        None,
        "optional: where external applicants come from, {source: {share, shifts}} (e.g. "
        "applied, referred, sourced, agency; the shipped referrals scenario cites Lever 2016); "
        "null = one source, every number as without this key",
    )
    posterior: Posterior | None = _field(
        None,
        "joint draws of keys, one row per block of 1,000 openings: a fit's posterior.csv "
        "(a file name in YAML, or run --posterior FILE)",
    )

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
        if any(is_control(c) for c in v):
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
        self._reachable_cancellation()
        if self.groups is not None:
            check_groups(self.groups)
        if self.sources is not None:
            check_sources(self.sources, self.groups)
        for key in ("groups", "sources"):
            if getattr(self, key) is not None and self.engine != "exact":
                raise InputError(f"{key} need engine: exact", path="engine")
        if self.uncertainty or self.posterior is not None:
            check_uncertainty(self)
        eigenvalues = np.linalg.eigvalsh(self.correlation_matrix)
        if eigenvalues.min() <= 1e-9:
            raise InputError(
                "the correlations do not form a valid (positive definite) correlation matrix "
                f"(smallest eigenvalue {eigenvalues.min():.3f}); some pairs contradict each "
                "other, so weaken the largest ones",
                path="applicants.correlations",
            )
        return self

    def _reachable_cancellation(self) -> None:
        role = self.role
        target = role.cancel_probability
        if target == 0:
            return
        weeks = role.process_weeks
        reachable = reachable_cancel_share(
            role.posting_month_weights, role.quarter_multipliers, weeks.low, weeks.high
        )
        if target >= reachable - 1e-9:
            raise InputError(
                f"cancel probability {target} cannot be reached: only {reachable:.3f} of "
                "openings run through a week with a non-zero quarter multiplier",
                path="role.cancel_probability",
            )

    # ------------------------------------------------------------------ derived
    @property
    def correlation_matrix(self) -> np.ndarray:
        """The latent correlation matrix R, shape (5, 5), order of LATENT_NAMES."""
        matrix = np.eye(len(LATENT_NAMES))
        for key, value in self.applicants.correlations.items():
            a, b = (LATENT_NAMES.index(n) for n in key.split("~"))
            matrix[a, b] = matrix[b, a] = value
        return matrix

    @property
    def applicant_attributes(self) -> dict[str, dict[str, Any]] | None:
        """The attributes an applicant's cell is made of: the ``groups:`` attributes, then
        ``source`` if ``sources:`` is set; None when neither is (simfunnel/model/groups.py)."""
        attributes = dict(self.groups or {})
        if self.sources is not None:
            attributes[SOURCE_ATTRIBUTE] = self.sources
        return attributes or None

    # ---------------------------------------------------------------- overrides
    def to_dict(self) -> dict[str, Any]:
        """Plain, YAML-ready dict of every key (defaults included)."""
        data = _plain(self.model_dump(mode="python"))
        data["uncertainty"] = {
            key: {k: v for k, v in spec.items() if v is not None}
            for key, spec in data["uncertainty"].items()
        }
        for key in ("groups", "sources"):  # a scenario without them reads as before them
            if data.get(key) is None:
                data.pop(key, None)
        return data

    def to_yaml(self, posterior_file: str | None = None) -> str:
        """The scenario as YAML; ``posterior_file``: name that file for the posterior draws
        instead of writing them inline (a saved result keeps them in a CSV beside it)."""
        data = self.to_dict()
        if posterior_file is not None and self.posterior is not None:
            data["posterior"] = posterior_file
        # No anchors: scenario files with aliases are refused on loading.
        return yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A new scenario with dotted keys replaced, e.g. ``{"manager.risk_aversion": 2}``.

        Unless the overrides set ``name``, the result is named after this scenario
        and the overrides, e.g. ``baseline (manager.risk_aversion=2)``, so that its
        results and charts never pass for the unchanged scenario.
        """
        data = self.to_dict()
        for dotted, value in overrides.items():
            _pin(data, dotted)
            set_dotted(Scenario, data, dotted, value)
        if overrides and "name" not in overrides:
            data["name"] = override_label(self.name, overrides)
        return build_scenario(data, source="override")


def _pin(data: dict[str, Any], dotted: str) -> None:
    """A key set by an override is no longer drawn: drop its distribution or draws."""
    if dotted in ("uncertainty", "posterior"):
        return

    def covered(key: str) -> bool:
        return key == dotted or key.startswith(dotted + ".") or dotted.startswith(key + ".")

    data["uncertainty"] = {k: v for k, v in data["uncertainty"].items() if not covered(k)}
    posterior = data.get("posterior")
    if posterior:
        keep = [i for i, key in enumerate(posterior["columns"]) if not covered(key)]
        if len(keep) < len(posterior["columns"]):
            data["posterior"] = {
                **posterior,
                "columns": [posterior["columns"][i] for i in keep],
                "draws": [[row[i] for i in keep] for row in posterior["draws"]],
            } if keep else None  # fmt: skip


def _move_inline_distributions(data: dict[str, Any]) -> None:
    """``key: {dist: ...}`` anywhere in the data moves into ``uncertainty``; every drawn
    key's own value becomes its distribution's mean (the nominal scenario)."""
    found = extract_inline(data)
    section = data.get("uncertainty")
    if not found and not section:
        return
    section = {} if section is None else section
    if not isinstance(section, dict):
        return  # the schema reports it
    for dotted in found:
        if dotted in section:
            raise InputError(
                f"{dotted}: given as a distribution twice (inline and under uncertainty)", dotted
            )
    section = {**found, **section}
    for dotted, spec in section.items():
        if not isinstance(dotted, str) or not isinstance(spec, dict):
            continue  # the schema reports it
        try:
            center = Distribution.model_validate(spec).center
        except ValidationError as exc:
            detail = exc.errors()[0]
            message = detail["msg"].removeprefix("Value error, ")
            at = ".".join(str(p) for p in detail["loc"])
            text = f"{dotted}.{at}: {message}" if at else f"{dotted}: {message}"
            raise InputError(text, dotted) from None
        _set_nominal(data, dotted, center)
    data["uncertainty"] = section


def _set_nominal(data: dict[str, Any], dotted: str, center: float) -> None:
    """Set a drawn number key's value in plain data. Elements (a share of positions, a
    quarter multiplier) and unknown keys are left as they are (the checks report those)."""
    default = _default_at(dotted)
    if isinstance(default, bool) or not isinstance(default, int | float):
        return
    *parents, last = dotted.split(".")
    node: Any = data
    model: Any = Scenario()
    for part in parents:
        model = getattr(model, part)
        if part not in node:
            node[part] = _plain(model.model_dump())
        node = node[part]
        if not isinstance(node, dict):
            return
    node[last] = round(center) if isinstance(default, int) else center


def _default_at(dotted: str) -> Any:
    node: Any = Scenario()
    for part in dotted.split("."):
        node = getattr(node, part, None)
    return node


class _NoAliasDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


MAX_PROBLEMS = 50  # problems listed for one file; the rest are counted


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
        data = copy.deepcopy(data)  # distributions given inline move to `uncertainty`
        section = data.get("uncertainty")
        if isinstance(section, dict):  # errors of a key drawn there point at that line
            drawn = [k for k in section if isinstance(k, str) and f"uncertainty.{k}" in lines]
            lines = {**lines, **{k: lines[f"uncertainty.{k}"] for k in drawn}}
        _move_inline_distributions(data)
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message, path = format_pydantic_error(Scenario, error)
            problems.append((where(source, lines, path), message, path))
        problems.sort(key=lambda problem: _line_order(problem[0], source))
        foreign = [p for p in problems if p[1].startswith("not a simfunnel scenario")]
        if foreign:  # another kind of file: one line, none of its contents
            problems = foreign[:1]
        first_where, first_message, first_path = problems[0]
        if len(problems) == 1:
            raise InputError(f"{first_where}: {first_message}", first_path) from None
        # Every problem of the file at once, in line order: one line each.
        shown = [f"{place}: {message}" for place, message, _ in problems[:MAX_PROBLEMS]]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"{source}: and {len(problems) - MAX_PROBLEMS} more problems")
        raise InputError("\n".join(shown), first_path) from None
    except InputError as exc:
        raise InputError(f"{where(source, lines, exc.path)}: {exc}", exc.path) from None


def _line_order(place: str, source: str) -> tuple[int, str, int]:
    """Sort key of ``file:line``: the file itself first, then by file and line."""
    file, _, line = place.rpartition(":")
    if not line.isdigit():
        file, line = place, "0"
    return (file != source, file, int(line))


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
                    "range": range_text(field),
                    "description": field.description or "",
                }
            )

    walk(Scenario, Scenario(), "")
    return rows
