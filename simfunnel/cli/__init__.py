"""Command line: a thin shell over the Python API.

Modules: :mod:`~simfunnel.cli.parser` (the arguments, one function per subcommand) and
:mod:`~simfunnel.cli.commands` (what each subcommand does); this module runs them.

Exit codes: 0 success; 2 bad input (one line on stderr, no traceback); 3 ``validate
--benchmarks``: a judged published figure is outside its band; 1 internal error; 130
interrupted (Ctrl-C); 143 terminated (SIGTERM). Every output folder is
written whole or not at all (:class:`simfunnel.io.files.OutputFolder`), so an
interrupted or failed command never leaves a half-written or mixed folder.
"""

from __future__ import annotations

import errno
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from simfunnel.cli.applicants import _command_groups, _command_sources
from simfunnel.cli.commands import (
    Terminated,
    _command_app,
    _command_audit,
    _command_charts,
    _command_compare,
    _command_deck,
    _command_export,
    _command_fit,
    _command_fit_applications,
    _command_import,
    _command_init,
    _command_keys,
    _command_metrics,
    _command_run,
    _command_sensitivity,
    _command_sweep,
    _command_validate,
    _command_you,
    _interrupt_message,
)
from simfunnel.cli.parser import build_parser
from simfunnel.errors import InputError

FLAGS = {
    "alignment": "--alignment",
    "interviews": "--interviews",
    "metric": "--metric",
    "metrics": "--metric",
    "niche": "--niche",
    "openings": "--openings",
    "quality_percentile": "--quality-percentile",
    "range": "--range",
    "samples": "--sobol",
    "scheduler": "--scheduler",
    "target_ci": "--target-ci",
    "vary": "--vary",
    "workers": "--workers",
}


def _as_flags(error: InputError) -> str:
    """A library error in CLI words: the parameter it names becomes the flag."""
    message, param = str(error), getattr(error, "param", None)
    if param in FLAGS and message.startswith(param):
        return FLAGS[param] + message[len(param) :]
    return message


COMMANDS = {
    "run": _command_run,
    "validate": _command_validate,
    "keys": _command_keys,
    "metrics": _command_metrics,
    "charts": _command_charts,
    "you": _command_you,
    "compare": _command_compare,
    "sweep": _command_sweep,
    "sensitivity": _command_sensitivity,
    "deck": _command_deck,
    "app": _command_app,
    "fit": _command_fit,
    "init": _command_init,
    "import": _command_import,
    "export": _command_export,
    "audit": _command_audit,
    "groups": _command_groups,
    "sources": _command_sources,
    "fit-applications": _command_fit_applications,
}

_MAIN_PID = os.getpid()
# errno of a failed write to standard output (as opposed to a named file).
STDOUT_ERRORS = {errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF, errno.EINVAL}


def _on_signal(signum: int, frame: Any) -> None:
    """Ctrl-C / SIGTERM: unwind the main process like an exception (pools stop their
    workers on the way out, see ``run._executor``)."""
    if os.getpid() != _MAIN_PID:  # a forked worker inherited this handler: just end
        os._exit(128 + signum)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


@contextmanager
def _signal_handlers() -> Iterator[None]:
    """Ctrl-C and SIGTERM unwind like an exception, so temporary folders and worker
    processes are cleaned up. Only in the main thread (Python's rule for handlers)."""
    global _MAIN_PID
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _MAIN_PID = os.getpid()
    signals = [signal.SIGINT] + ([signal.SIGTERM] if hasattr(signal, "SIGTERM") else [])
    previous = {s: signal.signal(s, _on_signal) for s in signals}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _end_children() -> None:
    """After an interrupt: end any worker process a pool did not reap (a pool stops its
    own; this catches one forked just as the signal came), so exit never waits on it."""
    children = multiprocessing.active_children()
    for child in children:
        child.terminate()
    for child in children:
        child.join(2)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with _signal_handlers():
            code = COMMANDS[args.command](args)
            sys.stdout.flush()  # a full disk behind `> file` shows here, not at exit
            return code
    except InputError as exc:
        for line in _as_flags(exc).splitlines():  # a file's every problem, one line each
            print(f"simfunnel: error: {line}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `simfunnel keys | head`
        sys.stderr.close()
        return 0
    except OSError as exc:
        if exc.filename is not None or exc.errno not in STDOUT_ERRORS:
            return _internal_error(exc)
        # Standard output cannot be written (`> /dev/full`, a full disk): say so once
        # and drop what is still buffered, so exit does not report it again.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaced for the rest of the process
        print(f"simfunnel: error: cannot write the output ({exc.strerror})", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        _end_children()
        print(f"simfunnel: {_interrupt_message(exc)}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # an internal error: short message, traceback on request
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    if os.environ.get("SIMFUNNEL_DEBUG"):
        raise exc
    print(
        f"simfunnel: internal error: {type(exc).__name__}: {str(exc)[:300]} "
        "(set SIMFUNNEL_DEBUG=1 for a traceback and please report it)",
        file=sys.stderr,
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
