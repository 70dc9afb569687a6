"""What a run produced: frames, summaries with CIs, saving and loading.

The folder machinery (atomic files, manifest, locks) is :mod:`simfunnel.io.files`;
``atomic_write``, ``OutputFolder`` and ``MANIFEST`` are re-exported here for
code written before the split.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfunnel.analysis.summary import FUNNEL_STAGES, STATS, ratio_table
from simfunnel.analysis.uncertainty import UNCERTAINTY_COLUMNS, block_z
from simfunnel.errors import InputError
from simfunnel.io.files import MANIFEST, OutputFolder, atomic_write, read_manifest
from simfunnel.io.loader import load_scenario
from simfunnel.metrics import METRICS
from simfunnel.model.attribution import REASONS
from simfunnel.model.names import excerpt
from simfunnel.model.scenario import Scenario

__all__ = ["MANIFEST", "OutputFolder", "Result", "atomic_write", "load_result"]

LOSS_METHODS = ("sequential", "shapley", "removed_alone")
POSTERIOR_FILE = "posterior.csv"  # a result's posterior draws (parameter uncertainty)


@dataclass
class Result:
    """A simulated run.

    Attributes
    ----------
    scenario : Scenario
    statistics : DataFrame
        Sufficient statistics per metric (:data:`~simfunnel.analysis.summary.STATS`:
        openings, the means of numerator and denominator and their centred
        co-moments): every summary and CI is computed from these.
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
        table = ratio_table(list(self.statistics.index), self.statistics[list(STATS)].to_numpy())
        if not self.uncertain:
            return table
        # Parameters drawn per block: blocks are the independent units (analysis.uncertainty).
        se = self.statistics["block_se"].to_numpy(dtype=float)
        table["se"] = se
        z = block_z(float(self.statistics["blocks"].iloc[0]))
        table["ci_low"], table["ci_high"] = table["value"] - z * se, table["value"] + z * se
        for column in ("param_low", "param_high", "param_share"):
            table[column] = self.statistics[column].to_numpy(dtype=float)
        return table

    @property
    def uncertain(self) -> bool:
        """Whether parameters were drawn per block: then ``summary()`` also has
        ``param_low``/``param_high`` (the 95% range over parameter uncertainty) and
        ``param_share`` (the share of the variance that is parameter uncertainty)."""
        return all(c in self.statistics.columns for c in UNCERTAINTY_COLUMNS)

    def summary(self) -> pd.DataFrame:
        """Headline metrics: index = metric, columns value, ci_low, ci_high (95%), se,
        description; with parameter uncertainty also param_low, param_high, param_share."""
        table = self._table()
        names = [m for m in METRICS if m in table.index]
        columns = ["value", "ci_low", "ci_high", "se"]
        extra = ["param_low", "param_high", "param_share"] if self.uncertain else []
        out = table.loc[names, columns + extra]
        out.insert(3, "description", [METRICS[m].definition for m in names])
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
        without an offer; ``removed_alone`` is the share of good
        interviewees without an offer who would get one if only that mechanism were
        removed (same draws). It is not a change in the offer rate: the offer they
        would win may be taken from someone else, so the shares do not add up.
        """
        table = self._table()
        extra = ["param_low", "param_high"] if self.uncertain else []
        names = [name for name in table.index if name.startswith("loss:")]
        kinds = [name.split(":")[1] for name in names]
        keep = [method is None or kind == method for kind in kinds]
        names = [n for n, k in zip(names, keep, strict=True) if k]
        # One selection of every row (not a .loc per row: the live explorer asks often).
        values = table.loc[names, ["value", "ci_low", "ci_high", *extra]]
        columns = ["method", "reason", "share", "ci_low", "ci_high", *extra]
        frame = pd.DataFrame(
            {
                "method": [n.split(":")[1] for n in names],
                "reason": [n.split(":")[2] for n in names],
                **{
                    column: values[source].to_numpy(dtype=float)
                    for column, source in zip(
                        columns[2:], ["value", "ci_low", "ci_high", *extra], strict=True
                    )
                },
            },
            columns=columns,
        )
        order = {r: i for i, r in enumerate(REASONS)}
        frame["_m"] = frame["method"].map(LOSS_METHODS.index)
        frame["_r"] = frame["reason"].map(order)
        return frame.sort_values(["_m", "_r"]).drop(columns=["_m", "_r"]).reset_index(drop=True)

    # ------------------------------------------------------------------ saving
    def save(self, directory: str | Path) -> Path:
        """Write every table, the resolved scenario and run metadata into ``directory``,
        replacing whatever simfunnel result was there. (With charts too:
        :func:`simfunnel.present.charts.save_result`.)

        The folder is always one whole run: it is written as a hidden sibling and then
        swapped in (see :class:`OutputFolder`), with a ``manifest.json`` of checksums
        that :func:`load_result` verifies. A folder that is not a simfunnel result is
        never replaced (:class:`~simfunnel.errors.InputError`).
        """
        with OutputFolder(directory) as folder:
            self.write_files(folder.path)
            folder.commit()
        return Path(directory)

    def write_files(self, directory: Path) -> None:
        """Write the result's tables into an existing folder (no manifest, no swap).
        Use :meth:`save` unless ``directory`` is an :class:`OutputFolder`'s staging
        folder."""
        writers: dict[str, Callable[[Path], None]] = {
            "scenario.yaml": lambda p: p.write_text(
                self.scenario.to_yaml(posterior_file=POSTERIOR_FILE), encoding="utf-8"
            ),
            "run.json": lambda p: p.write_text(json.dumps(self.metadata, indent=2) + "\n"),
            "statistics.csv": lambda p: self.statistics.to_csv(p),
            "summary.csv": lambda p: self.summary().to_csv(p),
            "funnel.csv": lambda p: self.funnel().to_csv(p, index=False),
            "loss_reasons.csv": lambda p: self.loss_reasons().to_csv(p, index=False),
            # 8 significant digits: far below Monte Carlo error, and much faster to write.
            "openings.csv": lambda p: self.openings.to_csv(p, index=False, float_format="%.8g"),
            "candidates.csv": lambda p: self.candidates.to_csv(p, index=False, float_format="%.8g"),
        }
        posterior = self.scenario.posterior
        if posterior is not None:  # beside scenario.yaml, which names it (no 1 MiB YAML)
            frame = pd.DataFrame(list(posterior.draws), columns=list(posterior.columns))
            writers[POSTERIOR_FILE] = lambda p: frame.to_csv(p, index=False, float_format="%.17g")
        for name, write in writers.items():
            atomic_write(directory / name, write)


# ------------------------------------------------------------------ loading
RESULT_FILES = ("scenario.yaml", "run.json", "statistics.csv", "openings.csv", "candidates.csv")
_NUMBERS = {
    "openings": int,
    "good_interview_threshold": float,
    "narrow_margin_u": float,
}


def load_result(directory: str | Path) -> Result:
    """Load a result saved with :meth:`Result.save` (no re-simulation).

    The folder must be one whole run: every file listed in its ``manifest.json``,
    with matching checksums, and nothing else. Anything wrong raises
    :class:`~simfunnel.errors.InputError` naming the file.
    """
    directory = Path(directory)
    manifest = read_manifest(directory)
    missing = [name for name in RESULT_FILES if name not in manifest["files"]]
    if missing:
        raise InputError(f"{directory}: not a saved result (missing {', '.join(missing)})")
    scenario = load_scenario(directory / "scenario.yaml")
    return Result(
        scenario=scenario,
        statistics=_read_statistics(directory / "statistics.csv"),
        openings=_read_frame(directory / "openings.csv"),
        candidates=_read_frame(directory / "candidates.csv"),
        metadata=_read_metadata(directory / "run.json"),
    )


def _read_metadata(path: Path) -> dict[str, Any]:
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: not text") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(metadata, dict):
        raise InputError(f"{path}: expected a JSON object, got {type(metadata).__name__}")
    for key, kind in _NUMBERS.items():
        value = metadata.get(key)
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or (kind is int and value != int(value)):
            raise InputError(f"{path}: {key}: expected a finite number, got {excerpt(value, 40)}")
    if metadata["openings"] < 1:
        raise InputError(f"{path}: openings: must be >= 1, got {metadata['openings']}")
    return metadata


def _read_statistics(path: Path) -> pd.DataFrame:
    frame = _read_csv(path)
    missing = [c for c in ("metric", *STATS) if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing column '{missing[0]}'")
    frame = frame.set_index("metric")
    for column in STATS:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = ~np.isfinite(values.to_numpy(dtype=float))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{path}: row {row + 2} ({frame.index[row]}), column '{column}': expected a "
                f"finite number, got {frame[column].iloc[row]!r}"
            )
        frame[column] = values
    if not frame.index.is_unique:
        raise InputError(f"{path}: metric '{frame.index[frame.index.duplicated()][0]}' repeated")
    return frame


def _read_csv(path: Path, **options: Any) -> pd.DataFrame:
    try:
        return pd.read_csv(path, **options)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a valid table ({reason})") from None


def _read_frame(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:  # a run that kept no rows
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path}: not a valid table ({reason})") from None
    if "opening" not in frame:
        raise InputError(f"{path}: missing column 'opening'")
    if "loss_reason" in frame:
        frame["loss_reason"] = frame["loss_reason"].fillna("")
    return frame
