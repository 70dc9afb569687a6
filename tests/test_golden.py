"""Golden regression: every shipped config at a pinned seed reproduces its saved summary.

Refresh on purpose only: ``python scripts/update_golden.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from .conftest import CONFIGS, ROOT

_spec = importlib.util.spec_from_file_location(
    "update_golden", ROOT / "scripts" / "update_golden.py"
)
update_golden = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(update_golden)


@pytest.mark.parametrize("config", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_summary_matches_golden(config: Path) -> None:
    golden_path = update_golden.GOLDEN / f"{config.stem}.csv"
    assert golden_path.exists(), f"no golden file for {config.name}: run scripts/update_golden.py"
    golden = pd.read_csv(golden_path, index_col="metric")
    current = update_golden.golden_table(config)
    pd.testing.assert_index_equal(current.index, golden.index)
    # Bit-identical on one platform; allow last-digit differences across BLAS/libm builds.
    pd.testing.assert_frame_equal(current, golden, check_exact=False, rtol=1e-9, atol=1e-12)
