"""The stage map: each stage name on a milestone, each recorded reason in a category.

Stages are custom per customer, so the milestones ``applied -> screened -> interviewed ->
offered -> hired`` are placed by a map (YAML: ``stages:`` name -> milestone,
``reasons:`` reason -> category). :func:`suggest` proposes one from the names an export
uses (keywords; a system's own stage kinds first) and lists those it cannot place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from simfunnel.errors import InputError
from simfunnel.io.raw_export import MILESTONES, REASON_CATEGORIES, RawExport, shown, shown_path

# Keywords that place a stage name on a milestone, checked from the furthest down
# (so "Offer call after interview" is offered). Names nothing matches are listed.
_STAGE_WORDS = (
    ("hired", r"\bhired?\b|\bstarted\b|\bonboard"),
    ("offered", r"\boffer|\breference|\bbackground check"),
    ("interviewed", r"interview|on-?site|\bpanel\b|\bfinal\b|\bloop\b|\btechnical\b"),
    (
        "screened",
        r"screen|shortlist|phone|recruiter|assessment|take.?home|\btest\b|\bcall\b",
    ),
    ("applied", r"\bappl|\bnew\b|\blead\b|\breview\b|\bsourced\b|\binbox\b|\bprospect"),
)
_REASON_WORDS = (
    ("offer_declined", r"offer (was )?declined|declined (the |our )?offer|rejected (the )?offer"),
    (
        "withdrew",
        r"withdr|another offer|other offer|took another|accepted another|not interested"
        r"|no.?show|unresponsive|ghost|rejected by candidate|they rejected",
    ),
    ("position_filled", r"position filled|\bfilled\b"),
    (
        "another_candidate",
        r"another candidate|other candidate|better candidate|stronger candidate|preferred",
    ),
    ("cancelled", r"cancel|job closed|role closed|position closed|on hold|budget|headcount"),
    ("culture_fit", r"cultur|values"),
    (
        "lacking_skills",
        r"skill|qualif|experience|technical|assessment|failed|did not pass|not a fit"
        r"|underqualified|overqualified|requirement",
    ),
    ("other", r"\bother\b|duplicate|spam"),
)


@dataclass(frozen=True)
class StageMap:
    """Stage name -> milestone, and recorded reason -> category (both case-insensitive)."""

    stages: Mapping[str, str]
    reasons: Mapping[str, str] = field(default_factory=dict)
    source: str = "the stage map"

    @classmethod
    def from_mapping(cls, data: object, source: str = "the stage map") -> StageMap:
        if not isinstance(data, Mapping):
            raise InputError(f"{source}: expected keys 'stages' (and 'reasons')")
        unknown = set(data) - {"stages", "reasons"}
        if unknown:
            raise InputError(
                f"{source}: unknown key {shown(sorted(unknown)[0])}; the keys are stages, reasons"
            )
        stages = _checked(data.get("stages") or {}, MILESTONES, source, "stages")
        reasons = _checked(data.get("reasons") or {}, REASON_CATEGORIES, source, "reasons")
        return cls(stages, reasons, source)

    @classmethod
    def read(cls, path: str | Path) -> StageMap:
        import yaml

        path = Path(path)
        label = shown_path(path)
        if not path.is_file():
            raise InputError(f"{label}: no such file")
        if path.stat().st_size > 2**20:
            raise InputError(f"{label}: too big for a stage map (over 1 MiB)")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            first = str(exc).splitlines()[0][:80] if str(exc) else type(exc).__name__
            raise InputError(f"{label}: not valid YAML ({first})") from None
        return cls.from_mapping(data, label)

    def milestone(self, stage: str) -> str | None:
        return _lookup(self.stages, stage)

    def category(self, reason: str) -> str | None:
        return _lookup(self.reasons, reason)

    def to_yaml(self, unplaced_stages=(), unplaced_reasons=()) -> str:
        lines = [
            "# Stage map for simfunnel import: stage name -> milestone",
            f"# ({', '.join(MILESTONES)}); reason -> category ({', '.join(REASON_CATEGORIES)}).",
            "stages:",
        ]
        stages = sorted(self.stages.items(), key=lambda kv: MILESTONES.index(kv[1]))
        reasons = sorted(self.reasons.items(), key=lambda kv: REASON_CATEGORIES.index(kv[1]))
        lines += [f"  {_yaml_key(k)}: {v}" for k, v in stages]
        lines += [
            f"  {_yaml_key(k)}: ?   # cannot place: choose a milestone" for k in unplaced_stages
        ]
        lines.append("reasons:")
        lines += [f"  {_yaml_key(k)}: {v}" for k, v in reasons]
        lines += [
            f"  {_yaml_key(k)}: ?   # cannot place: choose a category" for k in unplaced_reasons
        ]
        return "\n".join(lines) + "\n"


def _yaml_key(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lookup(mapping: Mapping[str, str], name: str) -> str | None:
    if name in mapping:
        return mapping[name]
    folded = {k.strip().casefold(): v for k, v in mapping.items()}
    return folded.get(str(name).strip().casefold())


def _checked(items: object, allowed: tuple[str, ...], source: str, key: str) -> dict[str, str]:
    if not isinstance(items, Mapping):
        raise InputError(f"{source}: {key}: expected name: value lines")
    out = {}
    for name, value in items.items():
        if str(value) not in allowed:
            raise InputError(
                f"{source}: {key}.{shown(name)[1:-1]}: {shown(value)} is not one of "
                f"{', '.join(allowed)}"
            )
        out[str(name)] = str(value)
    return out


def suggest(raw: RawExport) -> tuple[StageMap, list[str], list[str]]:
    """A stage map proposed from the export's stage and reason names, and those it cannot place.

    Returns
    -------
    (map, unplaced stages, unplaced reasons)
    """
    names = [n for n in raw.stage_names() if n not in raw.known_stages]
    stages, unplaced_stages = _guess(names, _STAGE_WORDS)
    stages = {**{k: v for k, v in raw.known_stages.items() if k in raw.stage_names()}, **stages}
    names = [n for n in raw.reason_names() if n not in raw.known_reasons]
    reasons, unplaced_reasons = _guess(names, _REASON_WORDS)
    reasons = {**{k: v for k, v in raw.known_reasons.items() if k in raw.reason_names()}, **reasons}
    return StageMap(stages, reasons, "the suggested stage map"), unplaced_stages, unplaced_reasons


def _guess(names: list[str], words) -> tuple[dict[str, str], list[str]]:
    placed, unplaced = {}, []
    for name in names:
        text = name.casefold()
        for target, pattern in words:
            if re.search(pattern, text):
                placed[name] = target
                break
        else:
            unplaced.append(name)
    return placed, unplaced
