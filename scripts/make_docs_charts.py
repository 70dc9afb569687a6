"""Render the charts embedded in the README into docs/ from a run of the baseline.

Usage (from the repository root)::

    python scripts/make_docs_charts.py [--openings N] [--seed S] [--out docs]

Re-run it whenever the model or the charts change; the PNGs are reproducible (same
seed, same bytes), so a diff shows only real changes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import simfunnel as sf
from simfunnel import charts  # draws on bare Figures: no display or backend needed

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> list[Path]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--openings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=None, help="default: the config's seed")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    args = parser.parse_args(argv)

    scenario = sf.load_scenario(ROOT / "configs" / "baseline.yaml")
    seed = scenario.seed if args.seed is None else args.seed
    result = sf.simulate(scenario, openings=args.openings, seed=seed, workers=None)
    written = charts.render_all(result, args.out, formats=("png",))
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return written


if __name__ == "__main__":
    main()
