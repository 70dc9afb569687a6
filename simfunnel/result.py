"""What a run produced: frames, summaries with CIs, saving and loading."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.attribution import REASONS
from simfunnel.errors import InputError
from simfunnel.scenario import Scenario, load_scenario
from simfunnel.summary import FUNNEL_STAGES, METRICS, STATS, ratio_table

LOSS_METHODS = ("sequential", "shapley", "removed_alone")


@dataclass
class Result:
    """A simulated run.

    Attributes
    ----------
    scenario : Scenario
    statistics : DataFrame
        Sufficient statistics per metric (n, x, y, xx, yy, xy summed over openings):
        every summary and CI is computed from these.
    openings : DataFrame
        One row per opening (the first ``keep_openings`` of the run).
    candidates : DataFrame
        One row per interviewee of the first ``analysis.candidate_openings`` openings.
    metadata : dict
        Seed, version, openings, engine, thresholds, timing.
    """

    scenario: Scenario
    statistics: pd.DataFrame
    openings: pd.DataFrame
    candidates: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)

    def _table(self) -> pd.DataFrame:
        return ratio_table(list(self.statistics.index), self.statistics[list(STATS)].to_numpy())

    def summary(self) -> pd.DataFrame:
        """Headline metrics: index = metric, columns value, ci_low, ci_high (95%), se."""
        table = self._table()
        names = [m for m in METRICS if m in table.index]
        out = table.loc[names, ["value", "ci_low", "ci_high", "se"]]
        out.insert(3, "description", [METRICS[m] for m in names])
        return out

    def funnel(self) -> pd.DataFrame:
        """Applicants -> shortlisted -> interviewed -> offers -> hires, per opening.

        ``rate`` is the conversion from the previous stage.
        """
        table = self._table()
        rows = table.loc[list(FUNNEL_STAGES.values()), ["value", "ci_low", "ci_high"]]
        rows = rows.rename(columns={"value": "count_per_opening"})
        rows.insert(0, "stage", list(FUNNEL_STAGES))
        counts = rows["count_per_opening"].to_numpy()
        conversion = np.divide(
            counts[1:], counts[:-1], out=np.full(len(counts) - 1, np.nan), where=counts[:-1] > 0
        )
        rows["rate"] = [1.0, *conversion]
        return rows.reset_index(drop=True)

    def loss_reasons(self, method: str | None = None) -> pd.DataFrame:
        """Why good interviews lost: method, reason, share, ci_low, ci_high.

        ``sequential`` and ``shapley`` shares each sum to 1 over good interviewees
        without an offer; ``removed_alone`` is the change in the good-interview
        offer rate when only that mechanism is removed.
        """
        table = self._table()
        rows = []
        for name in table.index:
            if not name.startswith("loss:"):
                continue
            _, kind, reason = name.split(":")
            if method is None or kind == method:
                rows.append((kind, reason, *table.loc[name, ["value", "ci_low", "ci_high"]]))
        frame = pd.DataFrame(rows, columns=["method", "reason", "share", "ci_low", "ci_high"])
        order = {r: i for i, r in enumerate(REASONS)}
        frame["_m"] = frame["method"].map(LOSS_METHODS.index)
        frame["_r"] = frame["reason"].map(order)
        return frame.sort_values(["_m", "_r"]).drop(columns=["_m", "_r"]).reset_index(drop=True)

    # ------------------------------------------------------------------ saving
    def save(self, directory: str | Path) -> Path:
        """Write every table, the resolved scenario and run metadata into ``directory``.

        Each file is written to a temporary name in the same folder, then renamed,
        so an interrupted save never leaves a half-written file that looks complete.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        writers: dict[str, Callable[[Path], None]] = {
            "scenario.yaml": lambda p: p.write_text(self.scenario.to_yaml(), encoding="utf-8"),
            "run.json": lambda p: p.write_text(json.dumps(self.metadata, indent=2) + "\n"),
            "statistics.csv": lambda p: self.statistics.to_csv(p),
            "summary.csv": lambda p: self.summary().to_csv(p),
            "funnel.csv": lambda p: self.funnel().to_csv(p, index=False),
            "loss_reasons.csv": lambda p: self.loss_reasons().to_csv(p, index=False),
            # 8 significant digits: far below Monte Carlo error, and much faster to write.
            "openings.csv": lambda p: self.openings.to_csv(p, index=False, float_format="%.8g"),
            "candidates.csv": lambda p: self.candidates.to_csv(p, index=False, float_format="%.8g"),
        }
        for name, write in writers.items():
            atomic_write(directory / name, write)
        return directory


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    The file gets the usual permissions of a new file (0666 minus the umask), not
    ``mkstemp``'s owner-only 0600, so a shared results folder stays readable.
    """
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        os.chmod(temporary_path, 0o666 & ~_umask())
        os.replace(temporary_path, path)
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


def load_result(directory: str | Path) -> Result:
    """Load a result saved with :meth:`Result.save` (no re-simulation)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: no such folder")
    required = ["scenario.yaml", "run.json", "statistics.csv", "openings.csv", "candidates.csv"]
    missing = [name for name in required if not (directory / name).is_file()]
    if missing:
        raise InputError(f"{directory}: not a saved result (missing {', '.join(missing)})")
    scenario = load_scenario(directory / "scenario.yaml")
    return Result(
        scenario=scenario,
        statistics=pd.read_csv(directory / "statistics.csv", index_col="metric"),
        openings=_read_frame(directory / "openings.csv"),
        candidates=_read_frame(directory / "candidates.csv"),
        metadata=json.loads((directory / "run.json").read_text()),
    )


def _read_frame(path: Path, **options: Any) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    if "loss_reason" in frame:
        frame["loss_reason"] = frame["loss_reason"].fillna("")
    return frame
