"""Every notebook runs top to bottom (small openings count) and is stored without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
SMALL_OPENINGS = "5000"
TIME_LIMIT = 60  # seconds per notebook in CI


def test_the_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_quickstart",
        "02_why_good_interviews_lose",
        "03_internal_candidates_and_risk",
        "04_your_job_search",
        "05_fit_your_funnel",
        "06_who_loses_by_group",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: saved outputs go stale; clear them"
            assert cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, monkeypatch):
    monkeypatch.setenv("SIMFUNNEL_NOTEBOOK_OPENINGS", SMALL_OPENINGS)
    # The kernel inherits our environment; MPLBACKEND=Agg (set for the chart tests)
    # would stop it from showing figures inline as Jupyter does.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=TIME_LIMIT,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},  # run from notebooks/
    )
    started = time.perf_counter()
    client.execute()
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_LIMIT, f"{path.name} took {elapsed:.0f} s"
    for cell in notebook.cells:
        # A chart cell ends with "charts.something(...);": it must show its figure.
        if cell.cell_type == "code" and cell.source.rstrip().endswith(");"):
            shown = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert len(shown) == 1, f"{path.name}: no figure shown by\n{cell.source}"
        # The live explorer shows itself as a widget (and no traceback) headless too.
        if cell.cell_type == "code" and "sf.explore(" in cell.source:
            widgets = [
                o
                for o in cell.outputs
                if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
            ]
            assert len(widgets) == 1, f"{path.name}: no explorer shown by\n{cell.source}"
