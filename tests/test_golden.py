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
    # Why rtol 1e-9. No BLAS/LAPACK call and no CPU-dispatched NumPy function is on the
    # simulation path (tests/test_reproducibility.py), so on x86-64 the draws are the
    # same bits everywhere we can test. What is left is a libm that rounds exp/log in
    # the RNG's rare tail paths differently (~1e-16 relative): it moves a metric by
    # ~1e-13 unless it flips a decision, which needs two compared scores within
    # ~1e-15 of each other (probability ~1e-10 over the ~40,000 comparisons of a
    # 5,000-opening run). Any real change to the model flips at least one decision
    # and moves some metric by >= 1/(5,000 x 10 slots) = 2e-5, far above 1e-9.
    pd.testing.assert_frame_equal(current, golden, check_exact=False, rtol=1e-9, atol=1e-12)
