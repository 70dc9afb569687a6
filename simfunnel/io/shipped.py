"""The scenarios shipped inside the package, reachable by a bare name from any folder.

``simfunnel run baseline``, ``extends: baseline``, ``--scenario baseline`` and
``sf.load_scenario("baseline")`` all name a file of ``simfunnel/scenarios/``. The rule
is one line: a name **without** a suffix (``.yaml``, ``.txt``) and without a folder is a
shipped scenario; anything else is a path (relative to the current folder on the
command line, to the extending file in ``extends:``). An unknown bare name is refused
with the nearest shipped name.
"""

from __future__ import annotations

import difflib
from pathlib import Path

from simfunnel.errors import InputError
from simfunnel.model.names import excerpt

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SUFFIXES = (".yaml", ".yml")


def shipped_names() -> list[str]:
    """The names of the shipped scenarios, sorted (``baseline`` first)."""
    names = sorted(path.stem for path in SCENARIOS.glob("*.yaml"))
    return sorted(names, key=lambda name: name != "baseline")


def is_bare_name(text: str) -> bool:
    """Whether ``text`` names a shipped scenario rather than a file: no suffix, no folder."""
    return (
        bool(text)
        and "/" not in text
        and "\\" not in text
        and not Path(text).suffix
        and not text.startswith(("~", "."))
    )


def shipped_path(name: str, where: str | None = None) -> Path:
    """The file of the shipped scenario ``name``, or a one-line refusal with the nearest name.

    Parameters
    ----------
    name : str
        A bare name such as ``"baseline"``.
    where : str, optional
        What to prefix the message with (``file:line: extends``); default: the name.
    """
    names = shipped_names()
    if name in names:
        return SCENARIOS / f"{name}.yaml"
    hint = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
    prefix = f"{where}: " if where else ""
    raise InputError(
        f"{prefix}{excerpt(name)} is not a shipped scenario{suggestion} "
        f"(shipped: {', '.join(names)}; a file of yours ends in .yaml)"
    )


def resolve_config(config: str | Path) -> Path:
    """The file a command-line CONFIG names: a shipped scenario for a bare name that is
    not an existing file, else the path itself (whose errors the loader reports)."""
    text = str(config)
    path = Path(config)
    if is_bare_name(text) and not path.exists():
        return shipped_path(text)
    return path


def missing_hint(path: Path) -> str:
    """Appended to "no such config file" when the file's stem is a shipped scenario."""
    if path.stem in shipped_names() and path.suffix.lower() in SUFFIXES:
        return f" (the shipped scenario of that name is '{path.stem}', without .yaml or a folder)"
    return ""


# The keys users change most (the shipped stories and the how-tos change these), in
# file order, for the starter file `simfunnel init` writes.
STARTER_KEYS = (
    "role.cancel_probability",
    "role.quarter_multipliers",
    "role.positions",
    "applicants.count",
    "screening.shortlist",
    "internal.probability",
    "interview.rounds",
    "interview.validity",
    "manager.risk_aversion",
    "offers.decline_probability",
    "withdrawal.weekly_hazard",
    "value.salary",
)


def starter_text(name: str) -> str:
    """A scenario file that extends the shipped baseline, with its most-changed keys
    written out as comments (their baseline values and meanings): uncomment to change.

    Parameters
    ----------
    name : str
        The scenario's name (checked like the ``name`` key).
    """
    import yaml

    from simfunnel.model.names import name_problem
    from simfunnel.model.scenario import describe_keys

    problem = name_problem(name)
    if problem is not None:
        raise InputError(f"init {excerpt(name)}: {problem}")
    baseline = yaml.safe_load((SCENARIOS / "baseline.yaml").read_text(encoding="utf-8"))
    meaning = {row["key"]: row["description"] for row in describe_keys()}
    lines = [
        f"# {name}: your scenario. It starts from the shipped baseline (every key and its",
        "# source: `simfunnel keys`) and changes only what you write below. Uncomment a",
        "# key to change it; check the file with `simfunnel validate " + f"{name}.yaml`.",
        "extends: baseline",
        f"name: {name}",
        'description: "What is different about this hiring funnel, in one line."',
    ]
    section = None
    for key in STARTER_KEYS:
        head, leaf = key.split(".", 1)
        if head != section:
            lines += ["", f"# {head}:"]
            section = head
        value = baseline.get(head, {}).get(leaf)
        shown = yaml.safe_dump(value, default_flow_style=True, sort_keys=False).strip()
        shown = shown.removesuffix("\n...").strip()
        about = meaning.get(key, "").split(";")[0].split(" (")[0]
        entry = f"#   {leaf}: {shown}"
        lines.append(f"{entry:<48} # {about}")
    return "\n".join(lines) + "\n"


def write_starter(name: str, folder: Path) -> Path:
    """Write ``folder/name.yaml`` (see :func:`starter_text`), making the folder if need
    be; never over an existing file."""
    text = starter_text(name)
    path = folder / f"{name}.yaml"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise InputError(f"{path}: already exists; choose another name or remove it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or 'error'})") from None
    return path


ASSUMPTION_MARK = "ASSUMPTION"


def assumed_defaults() -> frozenset[str]:
    """The dotted keys of the shipped baseline whose comment labels them an assumption
    (no published figure): ``role.quarter_multipliers``, ``manager.risk_aversion``, ...

    Read from the file's comments (``key: value  # ASSUMPTION: ...``), sections by
    indentation; a section's comment (``interview:  # ...``) labels only that line.
    """
    keys: set[str] = set()
    path: list[tuple[int, str]] = []  # (indent, name) of the open sections
    for line in (SCENARIOS / "baseline.yaml").read_text(encoding="utf-8").splitlines():
        body, _, comment = line.partition("#")
        if not body.strip() or ":" not in body:
            continue
        indent = len(body) - len(body.lstrip())
        name, _, value = body.strip().partition(":")
        while path and path[-1][0] >= indent:
            path.pop()
        dotted = ".".join([*(n for _, n in path), name.strip()])
        if ASSUMPTION_MARK in comment.upper():
            keys.add(dotted)
        if not value.strip():  # a section: its keys follow, indented
            path.append((indent, name.strip()))
    return frozenset(keys)
