"""Scenario files: YAML in (safely, within limits), a validated Scenario out.

Reads a config, resolves ``extends``, keeps where each key was written
(``file:line``) so every error points at its line, and parses ``--set``
overrides. The schema itself is :mod:`simfunnel.model.scenario`.

Limits on input (each refusal is one :class:`~simfunnel.errors.InputError` line):

- **File size**: a config file is at most :data:`MAX_CONFIG_BYTES` (1 MiB) and
  must be a regular file; the size is checked before the file is read.
- **YAML**: anchors and aliases (``&a``/``*a``) and merge keys (``<<:``) are
  refused: scenarios never need them and aliases allow "billion laughs" bombs.
  Collections nest at most :data:`MAX_NESTING` deep, a document holds at most
  :data:`MAX_NODES` nodes, and a key may appear only once per mapping.
- **extends**: names a shipped scenario by its bare name (``extends: baseline``), or a
  ``.yaml``/``.yml`` regular file beside the extending file or in a folder below it,
  by a relative path; after resolving symlinks it must
  stay inside that folder. Chains are at most :data:`MAX_EXTENDS_DEPTH` files.
  Messages never quote another file's contents (an unknown key is named only if
  it is short and looks like a key).
- **posterior**: a ``posterior: draws.csv`` key names a ``.csv`` file by the same rule
  (read by :func:`simfunnel.io.posterior.read_posterior`, with its own limits).
"""

from __future__ import annotations

import errno
import math
import re
import stat
from pathlib import Path
from typing import Any

import yaml

from simfunnel.errors import InputError
from simfunnel.io.posterior import read_posterior
from simfunnel.io.shipped import is_bare_name, missing_hint, resolve_config, shipped_path
from simfunnel.model.names import excerpt, folder_name, is_control, key_text, name_problem
from simfunnel.model.scenario import Scenario, build_scenario

MAX_CONFIG_BYTES = 2**20  # 1 MiB: the baseline with every comment is ~5 KB
MAX_NESTING = 10  # YAML collections inside collections; scenarios use 3
MAX_NODES = 10_000  # YAML nodes per document; a full scenario has ~150
MAX_EXTENDS_DEPTH = 20  # files in one 'extends' chain
CONFIG_SUFFIXES = (".yaml", ".yml")


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
                    shown = key_text(key) or "a key"
                    raise self._refuse(
                        key_node.start_mark,
                        f"duplicate key {shown} (lines {first_line[key]} and {line}); "
                        "give each key once",
                    )
                first_line[key] = line
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML) reads an exponent without a dot (`sd: 1e-3`) as text, which a number
# key would then have to accept as text; read it as the number it is (YAML 1.2 does).
# Quoted values stay text, so `mean: ".16"` is refused as text, not read as a number.
_ScenarioLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _key_name(node: yaml.Node) -> str:
    """A key as the validator names it: ``~`` is ``None``, ``true`` is ``True``."""
    tag = getattr(node, "tag", "")
    if tag.endswith(":null"):
        return "None"
    if tag.endswith(":bool"):
        return str(str(node.value).lower() in ("true", "yes", "on", "y"))
    return str(node.value)


def _line_index(root: yaml.Node | None, source: str) -> dict[str, str]:
    """Map dotted key paths (list items as indices) to ``source:line``."""
    lines: dict[str, str] = {}
    stack: list[tuple[yaml.Node, str]] = [(root, "")] if root is not None else []
    while stack:  # depth and size are bounded by the loader
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                name = _key_name(key_node)
                child = f"{path}.{name}" if path else name
                lines.setdefault(child, f"{source}:{key_node.start_mark.line + 1}")
                stack.append((value_node, child))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[f"{path}.{i}"] = f"{source}:{item.start_mark.line + 1}"
                stack.append((item, f"{path}.{i}"))
    return lines


def _read_text(path: Path, what: str = "config file") -> str:
    """The text of a regular file of at most :data:`MAX_CONFIG_BYTES`, size checked first."""
    try:
        info = path.stat()
    except FileNotFoundError:
        hint = missing_hint(path) if what == "config file" else ""
        raise InputError(f"{path}: no such {what}{hint}") from None
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


def _extends_target(
    path: Path, value: Any, where: str, key: str = "extends", suffixes: tuple = CONFIG_SUFFIXES
) -> Path:
    """The file an ``extends:`` (or ``posterior:``) in ``path`` may load, or a one-line refusal.

    Only a relative path to a file with one of ``suffixes`` beside ``path`` or below its
    folder; after resolving symlinks it must stay inside that folder and be a regular file.
    """
    kind = " or ".join(suffixes)
    rule = f"name a {kind} file beside this config or in a folder below it"
    if key == "extends":
        rule += " (or a shipped scenario by its bare name, e.g. 'extends: baseline')"
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: {key}: expected a file name, got {excerpt(value)}")
    if key == "extends" and is_bare_name(value):
        return shipped_path(value, f"{where}: extends")
    if len(value) > 255 or any(is_control(c) for c in value):
        raise InputError(f"{where}: {key}: not a usable file name; {rule}")
    relative = Path(value)
    if relative.is_absolute() or value.startswith("~"):
        raise InputError(f"{where}: {key}: {excerpt(value)} is an absolute path; {rule}")
    if relative.suffix.lower() not in suffixes:
        raise InputError(f"{where}: {key}: {excerpt(value)} is not a {kind} file")
    target = path.parent / relative
    try:
        folder = path.parent.resolve()
        resolved = target.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise InputError(f"{where}: {key}: cannot resolve {excerpt(value)}") from None
    if not resolved.is_relative_to(folder):
        raise InputError(
            f"{where}: {key}: {excerpt(value)} leads outside the folder of this config; {rule}"
        )
    if not resolved.exists():
        hint = ""
        if key == "extends" and missing_hint(relative):
            hint = f"; for the shipped scenario write 'extends: {relative.stem}'"
        raise InputError(
            f"{where}: {key}: no such {'config ' if key == 'extends' else ''}file {target}{hint}"
        )
    if not resolved.is_file():
        raise InputError(f"{where}: {key}: {target} is not a regular file")
    if resolved.suffix.lower() not in suffixes:
        raise InputError(f"{where}: {key}: {target} links to a file that is not {kind}")
    return resolved


def _read_with_extends(path: Path, seen: tuple[Path, ...] = ()) -> tuple[Any, dict[str, str]]:
    """Raw YAML data with ``extends: other.yaml`` resolved, and where each key was set."""
    try:
        real = path.resolve()
    except RuntimeError:  # Python < 3.13 raises this for a symlink loop
        raise InputError(f"{excerpt(str(path), 80)[1:-1]}: symlink loop") from None
    except OSError as exc:
        reason = "symlink loop" if exc.errno == errno.ELOOP else exc.strerror or "error"
        raise InputError(f"{excerpt(str(path), 80)[1:-1]}: cannot read ({reason})") from None
    if real in seen:
        raise InputError(f"{path}: 'extends' loops back to itself")
    if len(seen) >= MAX_EXTENDS_DEPTH:
        raise InputError(
            f"{path}: 'extends' chain is longer than {MAX_EXTENDS_DEPTH} files; shorten it"
        )
    data, lines = _read_yaml(path)
    if isinstance(data, dict) and isinstance(data.get("posterior"), str):
        # A posterior file is read relative to the config that names it.
        where = lines.get("posterior", str(path))
        target = _extends_target(path, data["posterior"], where, "posterior", (".csv",))
        data = {**data, "posterior": read_posterior(target, where)}
    if not isinstance(data, dict) or "extends" not in data:
        return data, lines
    data = dict(data)
    parent_name = data.pop("extends")
    parent_path = _extends_target(path, parent_name, lines.get("extends", str(path)))
    parent, parent_lines = _read_with_extends(parent_path, (*seen, real))
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

    A scenario may start from another with ``extends: other.yaml`` (a path
    relative to the file, beside it or below its folder) or from a shipped scenario
    with ``extends: baseline`` (a bare name), and change only the keys that tell its
    story.

    Parameters
    ----------
    path : str or Path
        A YAML file, or the bare name of a shipped scenario (``"baseline"``; see
        :mod:`simfunnel.io.shipped`).
    overrides : dict, optional
        Dotted-key overrides applied after loading, e.g. ``{"manager.risk_aversion": 2}``;
        unless they set ``name``, the scenario is renamed ``name (key=value, ...)``.

    Returns
    -------
    Scenario
    """
    path = resolve_config(path)
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
