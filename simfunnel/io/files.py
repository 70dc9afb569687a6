"""Output folders written whole or not at all: atomic files, a checksummed manifest,
a lock per folder, and the check that a folder is one whole simfunnel output."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from simfunnel import __version__
from simfunnel.errors import InputError
from simfunnel.model.names import shown


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
NAME_MAX, PATH_MAX = 255, 4096  # bytes: the usual limits of a file name and a path (Linux)
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

    def __init__(
        self,
        directory: str | Path,
        kind: str = "result",
        label: str = "",
        scenario: str | None = None,
    ) -> None:
        if not str(directory).strip():  # Path("") and abspath("") are the current folder
            where = f"{label.strip()}: " if label.strip() else ""
            raise InputError(f"{where}expected a folder, got an empty name")
        self.shown = Path(directory)
        self.scenario = scenario  # a result of another scenario is never replaced
        self.directory = Path(os.path.abspath(directory))
        self.kind = kind
        self.label = label
        self.path = Path()  # the staging folder, once entered
        self._staging: Path | None = None
        self._lock: int | None = None
        self._lock_path = Path()
        self._held = False

    # -------------------------------------------------------------- checks
    def _fail(self, message: str) -> NoReturn:
        raise InputError(f"{self.label}{_excerpt(str(self.shown), 80)}: {message}")

    def check(self) -> None:
        """Refuse, before anything is simulated, a target that could not be replaced."""
        directory, name = self.directory, self.directory.name
        if not name or name in (".", ".."):
            self._fail("must name a folder, e.g. results/mine")
        # Room for the hidden siblings (.name.tmp-XXXXXXXX, .name.lock) too.
        longest = max(len(os.fsencode(part)) for part in directory.parts)
        if longest + 20 > NAME_MAX:
            self._fail(f"a folder name is too long ({longest:,} bytes; at most {NAME_MAX - 20})")
        if len(os.fsencode(str(directory))) + 20 > PATH_MAX:
            self._fail(f"the path is too long (at most {PATH_MAX - 20:,} bytes)")
        try:
            self._check()
        except OSError as exc:
            self._fail(f"cannot use the folder ({exc.strerror or 'error'})")

    def _check(self) -> None:
        directory = self.directory
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
                if kind is None and MANIFEST in entries:
                    self._fail(
                        f"exists and its {MANIFEST} is corrupt or not simfunnel's; refusing "
                        "to replace it: delete the folder or choose another"
                    )
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
                self._check_exactly_ours(directory, entries)
        existing = next(p for p in (directory, *directory.parents) if p.exists())
        if not existing.is_dir():
            self._fail(f"{existing} is a file, not a folder")

    def _check_exactly_ours(self, directory: Path, entries: list[str]) -> None:
        """Replace only what simfunnel wrote: every file listed in the manifest and
        unchanged, and (for a result) of the same scenario. A user's file is never lost."""
        if MANIFEST not in entries:
            self._fail(
                "was written by an older simfunnel (no manifest.json), so its files cannot "
                "be told from yours; refusing to replace it: delete it or choose another folder"
            )
        files = _manifest_files(directory)
        if files is None:
            self._fail(
                f"its {MANIFEST} is corrupt; refusing to replace it: "
                "delete the folder or choose another"
            )
        for name in sorted(entries):
            if name == MANIFEST:
                continue
            path = directory / name
            if name not in files or not path.is_file() or path.is_symlink():
                self._fail(
                    f"{self.shown / _excerpt(name)} is not part of the earlier {self.kind}; "
                    "move it or choose another folder"
                )
            if _sha256(path) != files[name]:
                self._fail(
                    f"{self.shown / _excerpt(name)} was changed after the earlier {self.kind} "
                    "was written; move it or choose another folder"
                )
        if self.scenario is not None and self.kind == "result":
            earlier = _scenario_name(directory)
            if earlier is not None and earlier != self.scenario:
                self._fail(
                    f"holds the result of scenario {_excerpt(earlier)!r}, not "
                    f"{_excerpt(self.scenario)!r} (their folder names coincide); refusing to "
                    "replace it: pass --out or delete the folder"
                )

    def __enter__(self) -> OutputFolder:
        self.check()
        parent, name = self.directory.parent, self.directory.name
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self._fail(f"cannot create the folder {parent} ({exc.strerror})")
        self._lock_path = parent / f".{name}.lock"
        for _ in range(20):  # a lock file unlinked by its last holder: take a fresh one
            try:
                self._lock = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as exc:
                self._fail(f"cannot write in {_excerpt(str(parent))} ({exc.strerror})")
            try:
                _try_lock(self._lock)
            except BlockingIOError:
                self._unlock()
                self._fail(
                    "another simfunnel run is writing this folder; wait for it to finish "
                    "or choose another folder"
                )
            if _same_file(self._lock, self._lock_path):
                self._held = True
                break
            self._unlock()
        else:
            self._fail("cannot take the folder's lock (it keeps changing); try again")
        try:
            _recover(parent, name)  # a run killed mid-swap left the old result aside
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
        manifest = {"format": FORMAT, "kind": self.kind, "version": __version__, "files": files}
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
            if self._held:  # remove the lock file while still holding the lock
                with contextlib.suppress(OSError):
                    os.unlink(self._lock_path)
                self._held = False
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


def _same_file(handle: int, path: Path) -> bool:
    """Whether the open lock file is still the one at ``path`` (not unlinked meanwhile)."""
    try:
        held, current = os.fstat(handle), os.stat(path)
    except OSError:
        return False
    return (held.st_dev, held.st_ino) == (current.st_dev, current.st_ino)


def _excerpt(text: str, limit: int = 60) -> str:
    """A short excerpt of a name or path for a message: never a whole long value."""
    return shown(text, limit)


def _manifest_files(directory: Path) -> dict[str, str] | None:
    """name -> sha256 from a simfunnel manifest, or None if it is not a sound one."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or manifest.get("format") != FORMAT:
        return None
    hashes = {}
    for name, entry in files.items():
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)):
            return None
        hashes[name] = entry["sha256"]
    return hashes


def _scenario_name(directory: Path) -> str | None:
    """The scenario name saved in a result folder's scenario.yaml, if it can be read."""
    try:
        import yaml

        data = yaml.safe_load((directory / "scenario.yaml").read_text(encoding="utf-8"))
    except Exception:  # unreadable: the manifest check already vouched for the folder
        return None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else None


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
        except (OSError, ValueError, RecursionError):
            return None
        if isinstance(manifest, dict) and manifest.get("format") == FORMAT:
            return str(manifest.get("kind", "result"))
        return None
    for kind, markers in LEGACY_MARKERS.items():
        if any(marker in entries for marker in markers):
            return kind
    return None


def _recover(parent: Path, name: str) -> None:
    """Put back a result that a run killed between the two renames of its swap left in
    ``.name.old-*/name``, so that the clean-up of stale siblings never deletes it."""
    target = parent / name
    if target.exists():
        return
    for aside in sorted(parent.glob(f".{name}.old-*")):
        if (aside / name).is_dir():
            os.replace(aside / name, target)
            return


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(directory: Path, kind: str = "result") -> dict[str, Any]:
    """Check ``directory`` is one whole simfunnel output of ``kind``: its manifest
    lists every file, with matching checksums. Returns the manifest."""
    if not directory.is_dir():
        if directory.parent.is_dir() and _siblings(directory.parent, directory.name):
            raise InputError(
                f"{directory}: being replaced by another simfunnel run; try again in a moment"
            )
        if directory.exists():
            raise InputError(f"{directory}: is a file, not a result folder")
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
    except (ValueError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:80]
        raise InputError(f"{path}: {MANIFEST} is corrupt (not valid JSON: {why})") from None
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if (
        not isinstance(files, dict)
        or manifest.get("format") != FORMAT
        or not all(isinstance(v, dict) and isinstance(v.get("sha256"), str) for v in files.values())
    ):
        raise InputError(f"{path}: {MANIFEST} is corrupt (not a simfunnel manifest)")
    if manifest.get("kind") != kind:
        raise InputError(
            f"{directory}: holds a simfunnel {manifest.get('kind')} output, not a {kind}"
        )
    for name, entry in files.items():
        file = directory / name
        if Path(name).name != name or not file.is_file():
            raise InputError(f"{file}: missing (listed in {MANIFEST}); the folder is incomplete")
        try:
            digest = _sha256(file)
        except OSError as exc:
            raise InputError(f"{file}: cannot read ({exc.strerror})") from None
        if digest != entry["sha256"]:
            raise InputError(
                f"{file}: does not match {MANIFEST} (changed or from another run); run it again"
            )
    try:
        entries = [p.name for p in directory.iterdir()]
    except OSError as exc:
        raise InputError(f"{directory}: cannot read ({exc.strerror})") from None
    extra = sorted(e for e in entries if not e.startswith(".") and e != MANIFEST and e not in files)
    if extra:
        raise InputError(
            f"{directory / extra[0]}: not part of this result (not in {MANIFEST}); "
            "it was added later, by hand or by another run"
        )
    return manifest


def check_input_file(path: Path, shown: str, max_bytes: int) -> None:
    """Refuse, in one line starting with ``shown``, an input that is missing, unreadable,
    not a regular file (a FIFO or device would block or never end) or larger than
    ``max_bytes``: checked before a byte is read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read ({exc.strerror})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{shown}: not a regular file")
    if info.st_size > max_bytes:
        raise InputError(
            f"{shown}: file too big ({info.st_size / 2**20:,.0f} MiB; at most "
            f"{max_bytes // 2**20} MiB)"
        )
