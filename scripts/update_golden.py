"""Refresh the golden summaries in tests/golden/ (run only on purpose).

    python scripts/update_golden.py

Every shipped config is simulated at a pinned seed; tests/test_golden.py checks
that the engine still reproduces these numbers. Refresh only when a change of
results is intended, and say why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import simfunnel as sf

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
OPENINGS, SEED = 5_000, 20261125


def golden_table(config: Path) -> pd.DataFrame:
    """The summary and loss reasons of ``config`` at the pinned seed, one tidy frame."""
    result = sf.simulate(sf.load_scenario(config), OPENINGS, seed=SEED, workers=1)
    summary = result.summary()[["value", "ci_low", "ci_high"]]
    losses = result.loss_reasons()
    losses.index = losses.method + ":" + losses.reason
    losses = losses.rename(columns={"share": "value"})[["value", "ci_low", "ci_high"]]
    return pd.concat([summary, losses]).rename_axis("metric")


def main() -> None:
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for config in sorted((ROOT / "simfunnel" / "scenarios").glob("*.yaml")):
        path = GOLDEN / f"{config.stem}.csv"
        golden_table(config).to_csv(path, float_format="%.17g")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
