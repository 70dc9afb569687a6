"""Compare scenarios on the same openings, with paired differences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simfunnel.analysis.options import RunOptions, resolve_options
from simfunnel.analysis.points import without_candidates
from simfunnel.analysis.result import Result
from simfunnel.analysis.run import simulate_many
from simfunnel.errors import InputError
from simfunnel.io.files import atomic_write
from simfunnel.metrics import METRICS
from simfunnel.model.rng import SCENARIO_SEED, SeedLike
from simfunnel.model.scenario import Scenario


@dataclass
class Comparison:
    """Scenarios run on the same openings, with paired differences."""

    results: list[Result]
    differences: pd.DataFrame  # scenario, metric, difference, paired and unpaired CIs

    def table(self) -> pd.DataFrame:
        """Headline metrics side by side: one row per (metric, scenario)."""
        frames = []
        for result in self.results:
            summary = result.summary()[["value", "ci_low", "ci_high"]].reset_index()
            summary.insert(0, "scenario", result.scenario.name)
            frames.append(summary)
        return pd.concat(frames, ignore_index=True)

    def save(self, directory: str | Path) -> None:
        """Write ``compare.csv`` (the table) and ``differences.csv`` into ``directory``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        atomic_write(directory / "compare.csv", lambda p: self.table().to_csv(p, index=False))
        atomic_write(
            directory / "differences.csv", lambda p: self.differences.to_csv(p, index=False)
        )


def compare(
    scenarios: Sequence[Scenario],
    openings: int | None = None,
    seed: SeedLike = SCENARIO_SEED,
    *,
    keep_frames: bool = True,
    options: RunOptions | None = None,
    **changes: Any,
) -> Comparison:
    """Run ``scenarios`` on the same openings and difference each against the first.

    The CI of a difference is paired, per opening: it keeps the covariance that
    common random numbers create, so it is far narrower than the unpaired CI
    (also reported) of two independent runs. With ``keep_frames=False`` the
    results keep no per-opening or candidate rows (their summaries, the table,
    the differences and the compare chart need none), so memory does not grow
    with the number of scenarios times ``keep_openings``. ``options`` and
    ``changes`` are as in :func:`simfunnel.simulate`.
    """
    if len(scenarios) < 2:
        raise InputError("compare needs at least two scenarios")
    names = [s.name for s in scenarios]
    if len(set(names)) < len(names):
        raise InputError(f"compare: scenario names must differ, got {', '.join(names)}")
    resolved = resolve_options("compare", options, openings, seed, changes)
    if not keep_frames:
        scenarios = [without_candidates(s) for s in scenarios]
        resolved = resolved.replace(keep_openings=0)
    run = simulate_many(list(scenarios), resolved)
    frames = []
    for index in range(1, len(scenarios)):
        difference = run.difference(index, 0)
        difference = difference.loc[[m for m in METRICS if m in difference.index]].reset_index()
        difference.insert(0, "scenario", f"{names[index]} - {names[0]}")
        frames.append(difference)
    return Comparison(run.results, pd.concat(frames, ignore_index=True))
