"""One-line messages for invalid scenario data: the dotted path, the valid range, the value.

Functions of the root model class, so the schema (:mod:`simfunnel.model.scenario`) and
the loader both use them without importing each other in a cycle.
"""

from __future__ import annotations

import difflib
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel

from simfunnel.errors import InputError
from simfunnel.model.names import excerpt, key_text, shown


def set_dotted(root: type[BaseModel], data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``dotted`` in plain scenario data; an unknown key names the nearest valid one."""
    parts = dotted.split(".")
    node: Any = data
    model: type[BaseModel] | None = root
    for depth, part in enumerate(parts):
        is_last = depth == len(parts) - 1
        fields = model.model_fields if model is not None else {}
        if model is not None and part not in fields:
            raise InputError(unknown_key_message(".".join(parts[: depth + 1]), model), dotted)
        if is_last:
            node[part] = value
            return
        annotation = fields[part].annotation if model is not None else None
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
        if (
            model is None
            and part not in node
            and node
            and all(isinstance(v, dict) for v in node.values())
        ):  # a mapping of user-named sections (groups: attributes, levels)
            known = ", ".join(excerpt(k, 20)[1:-1] for k in list(node)[:10])
            raise InputError(
                f"{excerpt(dotted)[1:-1]}: unknown {excerpt(part)} here; known: {known}", dotted
            )
        if not isinstance(node.get(part), dict):
            raise InputError(
                f"{excerpt(dotted)[1:-1]}: {excerpt(part)} is not a section with keys", dotted
            )
        node = node[part]


def unknown_key_message(path: str, model: type[BaseModel]) -> str:
    *parents, key = path.split(".")
    if key_text(key) is None or any(key_text(p) is None for p in parents):
        # Never quote what may be another file's contents.
        if not parents:
            return "not a simfunnel scenario (a top-level key is not a scenario key)"
        return f"unknown key under '{shown('.'.join(parents))}'"
    prefix = ".".join(parents) + "." if parents else ""
    hint = difflib.get_close_matches(key, list(model.model_fields), n=1, cutoff=0.5)
    suggestion = (
        f"; did you mean '{prefix}{hint[0]}'?"
        if hint
        else (f"; valid keys here: {', '.join(model.model_fields)}")
    )
    return f"unknown key '{path}'{suggestion}"


def where(source: str, lines: dict[str, str], path: str | None) -> str:
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return source


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel] | None, Any]:
    """The model owning the last element of a pydantic error location, and its field.

    Looks through optional fields and the values of mappings (``groups.sex.woman.culture``:
    ``sex`` and ``woman`` are keys of dicts of sections).
    """
    kind: Any = root
    for part in loc[:-1]:
        kind = _unwrap_optional(kind)
        if get_origin(kind) is dict:
            kind = get_args(kind)[1]
            continue
        if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            return None, None
        field = kind.model_fields.get(part) if isinstance(part, str) else None
        if field is None:
            return None, None
        kind = field.annotation
    kind = _unwrap_optional(kind)
    if get_origin(kind) is dict:
        kind = get_args(kind)[1]
    if not (isinstance(kind, type) and issubclass(kind, BaseModel)):
        return None, None
    last = loc[-1]
    return kind, kind.model_fields.get(last) if isinstance(last, str) else None


def _unwrap_optional(kind: Any) -> Any:
    """``X | None`` -> ``X``; anything else unchanged."""
    if get_origin(kind) in (Union, UnionType):
        args = [a for a in get_args(kind) if a is not type(None)]
        return args[0] if len(args) == 1 else kind
    return kind


def range_text(field: Any) -> str:
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


def format_pydantic_error(root: type[BaseModel], error: dict[str, Any]) -> tuple[str, str]:
    loc = tuple(error["loc"])
    # Validators on dicts/tuples report the key or index inside the field: keep
    # the path to the field itself for line lookup.
    path = ".".join(str(p) if key_text(str(p)) else "?" for p in loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        model, _ = _model_at(root, loc)
        return unknown_key_message(path, model or root), path
    value = excerpt(error.get("input"))
    model, field = _model_at(root, loc)
    bounds = range_text(field) if field is not None else ""
    if kind in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}:
        return f"{path}: must be in {bounds}, got {value}", path
    if kind == "finite_number":
        return f"{path}: must be a finite number, got {value}", path
    if kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
        return f"{path}: {message}", path
    if kind == "missing":
        return f"{path}: required key is missing", path
    if kind == "invalid_key":  # a YAML key such as 1, ~ or true
        parent = ".".join(str(p) for p in loc[:-1])
        line_path = ".".join(str(p) for p in loc)
        where_text = f"{parent}: " if parent else ""
        return (
            f"{where_text}key {value} is not a name; keys are words like risk_aversion",
            line_path,
        )
    if kind == "model_type":
        class_name = str((error.get("ctx") or {}).get("class_name", ""))
        if class_name.endswith("Range"):
            return (
                f"{path}: should be a range {{low: N, high: M}} (for one value give low = high), "
                f"got {value}"
            ), path
        return f"{path}: should be a mapping of keys (key: value lines), got {value}", path
    if kind in _WORDS:
        return f"{path}: must be {_WORDS[kind]}, got {value}", path
    if kind == "literal_error":
        expected = str((error.get("ctx") or {}).get("expected", "")) or "one of its values"
        return f"{path}: must be {expected}, got {value}", path
    if kind in {"too_short", "too_long"}:
        ctx = error.get("ctx") or {}
        count = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        actual = ctx.get("actual_length")
        return (
            f"{path}: must have {'at least' if kind == 'too_short' else 'at most'} "
            f"{count} items, got {actual}",
            path,
        )
    expected = str(error["msg"]).removeprefix("Input should be ")
    return f"{path}: should be {expected}, got {value}", path


# pydantic's error types in simfunnel's words ("must be a whole number, got 4.5", not
# "should be a valid integer, got a number with a fractional part").
_WORDS = {
    "int_from_float": "a whole number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "string_type": "text (in quotes if it looks like a number)",
    "list_type": "a list, e.g. [1, 2]",
    "tuple_type": "a list, e.g. [1, 2]",
    "dict_type": "a mapping of keys (key: value lines)",
}
