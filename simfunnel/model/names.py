"""Labels and folder names: what a scenario may be called, and the safe folder it gets.

A name is a label, not a path: 1-80 characters, no ``/`` or ``\\``, no ``..``, no
control characters. :func:`folder_name` turns any label into a safe folder name,
:func:`override_label` names a scenario changed by overrides, and :func:`excerpt`
cuts any value to a length that is safe to put in a one-line message; :func:`shown` does
the same for text read from a file or typed (a key, a column header, a cell): the one
place that decides how much of it a message may echo.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import Any

import numpy as np

MAX_NAME_CHARS = 80
MAX_FOLDER_CHARS = 100
EXCERPT_CHARS = 60
# Characters of a key, header or cell a message may echo: a dotted key of the schema is
# at most ~35 (applicants.correlations.quality~presence), so 40 shows every real one
# whole and cuts a pasted paragraph or a hostile marker to a recognisable start.
SHOWN_CHARS = 40
_KEY_LIKE = re.compile(r"[A-Za-z0-9_~.-]{1,40}")


def excerpt(value: Any, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to ``limit`` characters with an ellipsis: safe to put in a message."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "<a number too long to show>"
    return shown(text, limit)


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """Text read from a file or typed, safe to echo: printable, at most ``limit``
    characters (then ``…``). Used for every key name, column header and cell a
    message quotes."""
    try:
        raw = str(value)
    except ValueError:  # an int too long to print
        return "<a number too long to show>"
    text = "".join(c if c.isprintable() else "?" for c in raw[: limit + 1])
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# A number as a user writes one in a file or a flag: ASCII digits, an optional point and
# exponent. Not Python's float() syntax, which also takes "1_000", "infinity" and digits
# of other scripts.
_PLAIN_NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def plain_number(text: Any) -> float | None:
    """``text`` (stripped) as a finite number if it is written as a plain one, else None."""
    if not isinstance(text, str) or len(text) > 100:
        return None
    text = text.strip()
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def key_text(key: Any) -> str | None:
    """A key quoted for a message, or None if it is too long or does not look like a key."""
    return f"'{key}'" if isinstance(key, str) and _KEY_LIKE.fullmatch(key) else None


def is_control(char: str) -> bool:
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
    if any(is_control(c) for c in name):
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
    text = "".join("_" if c in "/\\" or is_control(c) else c for c in text)
    text = re.sub(r"\.{2,}", ".", text)
    label = f"{base} ({text})"
    if len(label) <= MAX_NAME_CHARS:
        return label
    digest = hashlib.sha256(label.encode("utf-8", "replace")).hexdigest()[:8]
    tail = f"\u2026 #{digest})"
    head = f"{base[:40]} ({text}"
    return head[: MAX_NAME_CHARS - len(tail)].rstrip() + tail
