"""The folders show the layers, and imports point down only.

    model     the schema and the stages of an opening (pure functions over arrays)
    io        reading scenario files, writing result folders whole
    analysis  runs, summaries, comparisons, sweeps, sensitivity, `you`, outputs
    present   the terminal report and the charts
    cli       the command line

``metrics`` (the registry of names and labels) and ``errors`` sit below every layer.
"""

from __future__ import annotations

import ast
from pathlib import Path

import simfunnel as sf

PACKAGE = Path(sf.__file__).parent
ORDER = ["metrics", "errors", "model", "io", "analysis", "present", "cli"]
# The one upward reference: an analysis output loads its chart module by name, only when
# it is asked to draw (so Matplotlib is imported only to draw).
BY_NAME = {"analysis/outputs/base.py"}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "simfunnel" or len(parts) < 2:
        return None
    return parts[1] if parts[1] in ORDER else None


def _imports(path: Path) -> list[tuple[int, str]]:
    """Imports that run (not those under ``if TYPE_CHECKING:``, which only type hints read)."""
    tree = ast.parse(path.read_text())
    hints = {
        id(child)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for child in ast.walk(node)
    }
    found = []
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            if node.module == "simfunnel":
                found += [(node.lineno, f"simfunnel.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
    return found


def test_every_module_is_in_a_layer() -> None:
    loose = [
        p.name for p in PACKAGE.glob("*.py") if p.stem not in ("__init__", "__main__", "errors")
    ]
    assert not loose, loose


def test_imports_point_down_only() -> None:
    upward = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in ("__init__.py", "__main__.py"):
            continue  # the package's public face imports every layer
        own = relative.parts[0].removesuffix(".py")
        for line, module in _imports(path):
            target = _layer(module)
            if target and ORDER.index(target) > ORDER.index(own):
                upward.append(f"{relative}:{line} imports {module}")
    assert not upward, upward


def test_the_model_imports_no_io_analysis_or_matplotlib() -> None:
    for path in (PACKAGE / "model").rglob("*.py"):
        for _, module in _imports(path):
            assert not module.startswith("matplotlib"), path
    for path in (PACKAGE / "analysis").rglob("*.py"):
        for _, module in _imports(path):
            assert not module.startswith("matplotlib"), path


def test_the_only_reference_by_name_is_the_outputs_plot_hook() -> None:
    found = {
        str(p.relative_to(PACKAGE))
        for p in PACKAGE.rglob("*.py")
        if "import_module(" in p.read_text() and "simfunnel.present" in p.read_text()
    }
    assert found == BY_NAME
