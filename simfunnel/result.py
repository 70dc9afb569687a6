"""What a run produced: frames, summaries with CIs, saving and loading."""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from simfunnel.attribution import REASONS
from simfunnel.errors import InputError
from simfunnel.metrics import METRICS
from simfunnel.scenario import Scenario, load_scenario
from simfunnel.summary import FUNNEL_STAGES, STATS, ratio_table

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
    def save(self, directory: str | Path, formats: Sequence[str] = ()) -> Path:
        """Write every table, the resolved scenario, run metadata and (with ``formats``)
        every chart into ``directory``, replacing whatever simfunnel result was there.

        The folder is always one whole run: it is written as a hidden sibling and then
        swapped in (see :class:`OutputFolder`), with a ``manifest.json`` of checksums
        that :func:`load_result` verifies. A folder that is not a simfunnel result is
        never replaced (:class:`~simfunnel.errors.InputError`).
        """
        with OutputFolder(directory) as folder:
            self.write_files(folder.path, formats)
            folder.commit()
        return Path(directory)

    def write_files(self, directory: Path, formats: Sequence[str] = ()) -> list[Path]:
        """Write the result's files into an existing folder (no manifest, no swap);
        returns the chart files. Use :meth:`save` unless ``directory`` is an
        :class:`OutputFolder`'s staging folder."""
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
        if not formats:
            return []
        from simfunnel import charts

        return charts.render_all(self, directory, formats)


class OutputError(InputError):
    """A file could not be written (disk full, permissions, ...): names the file."""

    def __init__(self, path: Path, error: OSError):
        self.file = Path(path)
        self.reason = error.strerror or str(error)
        super().__init__(f"{self.file}: cannot write ({self.reason})")


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it over ``path``.

    The file gets the usual permissions of a new file (0666 minus the umask), not
    ``mkstemp``'s owner-only 0600, so a shared results folder stays readable. An
    ``OSError`` (disk full, ...) becomes an :class:`OutputError` naming ``path``.
    """
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise OutputError(path, exc) from None
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        os.chmod(temporary_path, 0o666 & ~_umask())
        os.replace(temporary_path, path)
    except OSError as exc:
        temporary_path.unlink(missing_ok=True)
        raise OutputError(path, exc) from None
    except BaseException:
        temporary_path.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


# ------------------------------------------------------------- whole folders
MANIFEST = "manifest.json"
FORMAT = "simfunnel"
# Files that mark a folder written by an older simfunnel (before manifests), by kind.
LEGACY_MARKERS = {
    "result": ("run.json",),
    "compare": ("compare.csv",),
    "sweep": ("sweep.csv",),
    "sensitivity": ("sensitivity.csv",),
    "you": ("job_search.csv",),
}
_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s
)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM until the block ends (POSIX; a no-op elsewhere), so a
    swap or a clean-up is never cut in half. A signal that arrives is delivered after."""
    block = (
        hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    )
    if block:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        if block:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class OutputFolder:
    """Write a folder whole or not at all.

    ``with OutputFolder("results/x") as folder:`` checks up front that ``results/x``
    can be written and is either new, empty or an earlier simfunnel folder of the
    same ``kind`` (a user's own folder is never replaced), takes the lock
    ``results/.x.lock`` (a second writer is refused at once: waiting would only
    let it overwrite the first run's result a moment later), and gives a hidden
    staging folder ``results/.x.tmp-XXXX`` as ``folder.path``. Write everything
    there, then call ``folder.commit()``: it writes ``manifest.json`` (sha256 of
    every file) and swaps the staging folder in (rename the old folder away,
    rename the new one in, delete the old one; Ctrl-C and SIGTERM are held
    during the swap). On any exit the staging folder is removed, so an
    interrupted or failed write leaves the previous folder exactly as it was.
    """

    def __init__(self, directory: str | Path, kind: str = "result", label: str = "") -> None:
        self.shown = Path(directory)
        self.directory = Path(os.path.abspath(directory))
        self.kind = kind
        self.label = label
        self.path = Path()  # the staging folder, once entered
        self._staging: Path | None = None
        self._lock: int | None = None

    # -------------------------------------------------------------- checks
    def _fail(self, message: str) -> NoReturn:
        raise InputError(f"{self.label}{self.shown}: {message}")

    def check(self) -> None:
        """Refuse, before anything is simulated, a target that could not be replaced."""
        directory, name = self.directory, self.directory.name
        if not name or name in (".", ".."):
            self._fail("must name a folder, e.g. results/mine")
        if directory.is_symlink():
            self._fail("is a symbolic link; give the folder it points to")
        if directory.exists():
            if not directory.is_dir():
                self._fail("exists and is not a folder")
            try:
                entries = [p.name for p in directory.iterdir()]
            except OSError as exc:
                self._fail(f"cannot read the folder ({exc.strerror})")
            if entries:
                kind = _folder_kind(directory, entries)
                if kind is None:
                    self._fail(
                        "exists and is not a simfunnel output folder (no manifest.json); "
                        "refusing to replace it: choose a new or empty folder"
                    )
                if kind != self.kind:
                    self._fail(
                        f"holds a simfunnel {kind} output, not a {self.kind} one; "
                        "refusing to replace it: choose another folder"
                    )
        existing = next(p for p in (directory, *directory.parents) if p.exists())
        if not existing.is_dir():
            self._fail(f"{existing} is a file, not a folder")

    def __enter__(self) -> OutputFolder:
        self.check()
        parent, name = self.directory.parent, self.directory.name
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._fail(f"cannot create the folder {parent} ({exc.strerror})")
        try:
            self._lock = os.open(parent / f".{name}.lock", os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            self._fail(f"cannot write in {parent} ({exc.strerror})")
        try:
            _try_lock(self._lock)
        except BlockingIOError:
            self._unlock()
            self._fail(
                "another simfunnel run is writing this folder; wait for it to finish "
                "or choose another folder"
            )
        try:
            self.check()  # again: it may have changed while we waited for the lock
            for stale in _siblings(parent, name):  # left by a killed run (we hold the lock)
                shutil.rmtree(stale, ignore_errors=True)
            try:
                staging = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
            except OSError as exc:
                self._fail(f"cannot write in {parent} ({exc.strerror})")
            self._staging = self.path = staging
            os.chmod(staging, 0o777 & ~_umask())
        except BaseException:
            self._cleanup()
            raise
        return self

    # -------------------------------------------------------------- commit
    def commit(self) -> None:
        """Write the manifest and swap the staging folder in for the target."""
        staging = self._staging
        if staging is None:
            raise RuntimeError("commit() outside the with block, or twice")
        files = {}
        for path in sorted(staging.iterdir()):
            if path.name.startswith(".") or path.name == MANIFEST:
                continue
            if not path.is_file():
                raise RuntimeError(f"{path}: an output folder holds files only")
            files[path.name] = {"sha256": _sha256(path), "bytes": path.stat().st_size}
        manifest = {"format": FORMAT, "kind": self.kind, "version": _version(), "files": files}
        atomic_write(staging / MANIFEST, lambda p: p.write_text(json.dumps(manifest, indent=2)))
        self.check()  # a user's folder that appeared meanwhile is still never replaced
        parent, name = self.directory.parent, self.directory.name
        with signals_deferred():
            old = None
            if self.directory.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{name}.old-", dir=parent))
                os.replace(self.directory, old / name)
            try:
                os.rename(staging, self.directory)
            except OSError as exc:
                if old is not None:
                    os.replace(old / name, self.directory)
                raise OutputError(self.shown, exc) from None
            self._staging = None
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

    # ------------------------------------------------------------- clean up
    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing releases the flock
            self._lock = None

    def _cleanup(self) -> None:
        with signals_deferred():
            try:
                if self._staging is not None:
                    shutil.rmtree(self._staging, ignore_errors=True)
                    self._staging = None
            finally:
                self._unlock()

    def __exit__(self, kind: Any, error: Any, traceback: Any) -> None:
        self._cleanup()
        if isinstance(error, OutputError) and self.path in error.file.parents:
            where = self.shown / error.file.relative_to(self.path)
            raise InputError(
                f"{where}: cannot write ({error.reason}); nothing was replaced"
            ) from None
        if isinstance(error, OSError):
            name = Path(error.filename).name if error.filename else ""
            where = self.shown / name if name else self.shown
            raise InputError(
                f"{where}: cannot write ({error.strerror or error}); nothing was replaced"
            ) from None


def _try_lock(handle: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; the swap still keeps folders whole
        return
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)


def _siblings(parent: Path, name: str) -> list[Path]:
    """Staging and old folders of ``name`` (hidden siblings ``.name.tmp-*``, ``.name.old-*``)."""
    prefixes = (f".{name}.tmp-", f".{name}.old-")
    try:
        return [p for p in parent.iterdir() if p.name.startswith(prefixes)]
    except OSError:
        return []


def _folder_kind(directory: Path, entries: list[str]) -> str | None:
    """The kind of simfunnel output in ``directory``, or None if it is not one."""
    if MANIFEST in entries:
        try:
            manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(manifest, dict) and manifest.get("format") == FORMAT:
            return str(manifest.get("kind", "result"))
        return None
    for kind, markers in LEGACY_MARKERS.items():
        if any(marker in entries for marker in markers):
            return kind
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _version() -> str:
    from simfunnel import __version__

    return __version__


# ------------------------------------------------------------------ loading
RESULT_FILES = ("scenario.yaml", "run.json", "statistics.csv", "openings.csv", "candidates.csv")
_NUMBERS = {
    "openings": int,
    "good_interview_threshold": float,
    "narrow_margin_u": float,
}


def read_manifest(directory: Path, kind: str = "result") -> dict[str, Any]:
    """Check ``directory`` is one whole simfunnel output of ``kind``: its manifest
    lists every file, with matching checksums. Returns the manifest."""
    if not directory.is_dir():
        if directory.parent.is_dir() and _siblings(directory.parent, directory.name):
            raise InputError(
                f"{directory}: being replaced by another simfunnel run; try again in a moment"
            )
        raise InputError(f"{directory}: no such folder")
    path = directory / MANIFEST
    if not path.is_file():
        raise InputError(
            f"{directory}: not a saved result (no {MANIFEST}: written by an older simfunnel, "
            "by hand or by an interrupted run); run it again"
        )
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(files, dict)
        or manifest.get("format") != FORMAT
        or not all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values())
    ):
        raise InputError(f"{path}: not a simfunnel manifest")
    if manifest.get("kind") != kind:
        raise InputError(
            f"{directory}: holds a simfunnel {manifest.get('kind')} output, not a {kind}"
        )
    for name, entry in files.items():
        file = directory / name
        if Path(name).name != name or not file.is_file():
            raise InputError(f"{file}: missing (listed in {MANIFEST}); the folder is incomplete")
        if _sha256(file) != entry["sha256"]:
            raise InputError(
                f"{file}: does not match {MANIFEST} (changed or from another run); run it again"
            )
    extra = sorted(
        p.name
        for p in directory.iterdir()
        if not p.name.startswith(".") and p.name != MANIFEST and p.name not in files
    )
    if extra:
        raise InputError(
            f"{directory / extra[0]}: not part of this result (not in {MANIFEST}); "
            "it was added later, by hand or by another run"
        )
    return manifest


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
            raise InputError(f"{path}: {key}: expected a finite number, got {value!r}")
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
