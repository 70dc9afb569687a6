"""Command line: a thin shell over the Python API.

Exit codes: 0 success; 2 bad input (one line on stderr, no traceback); 1 internal
error; 130 interrupted (Ctrl-C); 143 terminated (SIGTERM). Every output folder is
written whole or not at all (:class:`simfunnel.files.OutputFolder`), so an
interrupted or failed command never leaves a half-written or mixed folder.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from simfunnel.errors import InputError
from simfunnel.options import DEFAULTS, TARGET_CI_CAP, YOU_OPENINGS

CHART_FORMATS = ("png", "svg", "pdf")
# `you` simulates 20,000 job searches of up to this many interviews: memory grows with it.
MAX_INTERVIEWS = 100
KEYS_DEFAULT_WIDTH, KEYS_RANGE_WIDTH = 24, 18  # `simfunnel keys` columns


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so every ``with`` block cleans up."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(
    kind: type, low: float, high: float | None = None, *, exclusive: bool = False, what: str
) -> Callable[[str], Any]:
    """An argparse type: a number of ``kind`` in [low, high] (or (low, high))."""

    def parse(text: str) -> Any:
        try:
            value = kind(text.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if exclusive and not low < value < high:
            raise argparse.ArgumentTypeError(
                f"must be between {low:g} and {high:g} (exclusive), got {value:g}"
            )
        if not exclusive and value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low:g}, got {value:g}")
        if not exclusive and high is not None and value > high:
            raise argparse.ArgumentTypeError(f"must be <= {high:g}, got {text.strip()}")
        return value

    return parse


_positive_int = _number(int, 1, what="a whole number")
_interviews = _number(int, 1, MAX_INTERVIEWS, what="a whole number")
_seed = _number(int, 0, what="a non-negative integer")
_percentile = _number(float, 0, 100, exclusive=True, what="a number")
_unit_interval = _number(float, 0, 1, exclusive=True, what="a number")


def _target(text: str) -> tuple[str, float]:
    metric, sep, value = text.partition("=")
    try:
        half_width = float(value)
    except ValueError:
        half_width = -1.0
    if not sep or not metric.strip() or not (0 < half_width < math.inf):
        raise argparse.ArgumentTypeError(
            f"expected METRIC=HALF_WIDTH with a positive, finite half-width, got {text!r}"
        )
    return metric.strip(), half_width


def _out_folder(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a folder, got an empty name")
    return Path(text)


def _formats(text: str) -> tuple[str, ...]:
    formats = tuple(f.strip().lower() for f in text.split(",") if f.strip())
    unknown = [f for f in formats if f not in (*CHART_FORMATS, "none")]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown chart format {unknown[0]!r}; choose from {', '.join(CHART_FORMATS)} or none"
        )
    return () if "none" in formats else formats


def _add_scenario_options(
    parser: argparse.ArgumentParser,
    openings_help: str = "openings to simulate (default: the config's)",
    *,
    workers: bool = True,
) -> None:
    parser.add_argument("--openings", type=_positive_int, help=openings_help)
    parser.set_defaults(scheduler=None, workers=None)
    parser.add_argument("--seed", type=_seed, help="random seed (default: the config's)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set manager.risk_aversion=2 (repeatable)",
    )
    if workers:
        parser.add_argument(
            "--workers", type=_positive_int, default=None, help="processes (default: all cores)"
        )


def _add_formats(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--formats", type=_formats, default=("png",), help="chart formats: png,svg,pdf or none"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="simfunnel",
        description="Hiring-funnel Monte Carlo: why do good interviews still lose?",
    )
    parser.add_argument("--version", action="version", version=f"simfunnel {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser("run", help="simulate a scenario and write its tables and charts")
    run.add_argument("config", help="scenario YAML, e.g. configs/baseline.yaml")
    _add_scenario_options(
        run,
        "openings to simulate (default: the config's 'openings'; with --target-ci the cap, "
        f"default {TARGET_CI_CAP}x that)",
    )
    run.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/<scenario name>)"
    )
    _add_formats(run)
    run.add_argument(
        "--engine",
        choices=("exact", "brute_force"),
        help="population sampler (default: the config's)",
    )
    run.add_argument("--quiet", action="store_true", help="no summary or progress bar")
    run.add_argument(
        "--target-ci",
        action="append",
        default=[],
        metavar="METRIC=HALF_WIDTH",
        type=_target,
        help="simulate until the metric's 95%% CI half-width is below the target "
        "(--openings is then the cap), e.g. --target-ci good_interview_offer_rate=0.002",
    )

    compare = commands.add_parser("compare", help="compare scenarios on the same openings (paired)")
    compare.add_argument("configs", nargs="+", metavar="CONFIG")
    _add_scenario_options(compare)
    compare.add_argument("--out", type=_out_folder, help="output folder (default: results/compare)")
    _add_formats(compare)

    sweep = commands.add_parser("sweep", help="simulate a 1-D or 2-D grid of parameter values")
    sweep.add_argument("config")
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=START:STOP:NUM",
        help="a key and its values (inclusive), or KEY=v1,v2,...; give one or two",
    )
    sweep.add_argument("--metric", action="append", help="metrics to report (default: all)")
    _add_scenario_options(sweep, "openings per grid point (default: the config's 'openings')")
    sweep.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    sweep.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/sweep_<name>)"
    )
    _add_formats(sweep)

    sensitivity = commands.add_parser(
        "sensitivity", help="one-at-a-time sensitivity (tornado) of a metric"
    )
    sensitivity.add_argument("config")
    sensitivity.add_argument(
        "--metric",
        default="good_interview_offer_rate",
        help="the metric whose sensitivity is measured (default: %(default)s)",
    )
    sensitivity.add_argument(
        "--sobol",
        type=_positive_int,
        metavar="N",
        help="also global Sobol indices from N Saltelli samples (needs simfunnel[sobol])",
    )
    _add_scenario_options(
        sensitivity,
        f"openings per point (default: {DEFAULTS['sensitivity'].openings:,}; "
        f"{DEFAULTS['sobol'].openings:,} per point of --sobol)",
    )
    sensitivity.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    sensitivity.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/sensitivity_<name>)"
    )
    _add_formats(sensitivity)

    validate = commands.add_parser("validate", help="check scenario files without running them")
    validate.add_argument("configs", nargs="+")

    commands.add_parser("keys", help="list every scenario key with its default, range and meaning")
    glossary = commands.add_parser(
        "metrics", help="list every reported metric and loss reason, with its definition"
    )
    glossary.add_argument(
        "--markdown", action="store_true", help="print the glossary page (docs/glossary.md)"
    )

    you = commands.add_parser(
        "you", help="your chances: P(offer) per interview, why you lose, your job search"
    )
    you.add_argument("config")
    you.add_argument(
        "--quality-percentile",
        type=_percentile,
        required=True,
        metavar="P",
        help="your true quality as a percentile among applicants (0-100)",
    )
    you.add_argument("--alignment", type=_unit_interval, help="fix your alignment (0-1)")
    you.add_argument(
        "--niche", action="store_true", default=None, help="you have the niche experience"
    )
    you.add_argument(
        "--felt-great", action="store_true", help="condition on feeling the interview went great"
    )
    you.add_argument(
        "--interviews",
        type=_interviews,
        default=10,
        help=f"longest job search to report (1-{MAX_INTERVIEWS})",
    )
    _add_scenario_options(
        you,
        f"openings in which you are interviewed (default {YOU_OPENINGS:,}; about 10-30x "
        "as many are simulated to find them)",
        workers=False,  # `you` runs in one process
    )
    you.add_argument(
        "--out",
        type=_out_folder,
        help="write job_search.csv, loss_reasons.csv and the job-search chart here "
        "(without --out nothing is written and no chart is drawn)",
    )
    _add_formats(you)

    charts = commands.add_parser("charts", help="re-render charts from a saved result folder")
    charts.add_argument("result_dir", type=Path)
    _add_formats(charts)
    return parser


def _version() -> str:
    from simfunnel import __version__

    return __version__


def _load(config: str, overrides: Sequence[str], extra: dict[str, Any] | None = None):
    from simfunnel.loader import load_scenario, parse_override

    parsed: dict[str, Any] = {}
    for item in overrides:
        key, value = parse_override(item)
        if key in parsed:
            raise InputError(f"--set {key}: given twice")
        parsed[key] = value
    parsed.update(extra or {})
    return load_scenario(config, parsed or None), parsed


def _default_out(name: str) -> Path:
    """``results/<name>`` with ``name`` made a safe folder name: never outside results/."""
    from simfunnel.scenario import folder_name

    return Path("results") / folder_name(name)


def _output(out: Path, kind: str, label: str = "--out ") -> Any:
    """The output folder, checked, locked and staged before anything is simulated."""
    from simfunnel.files import OutputFolder

    return OutputFolder(out, kind, label=label)


def _command_run(args: argparse.Namespace) -> int:
    import simfunnel as sf
    from simfunnel.report import format_result
    from simfunnel.run import planned_openings

    scenario, overrides = _load(
        args.config, args.overrides, {"engine": args.engine} if args.engine else None
    )
    out = args.out or _default_out(scenario.name)
    target_ci = dict(args.target_ci) or None
    options = _options(args, "simulate", progress=not args.quiet, target_ci=target_ci)
    with _output(out, "result") as folder:
        with _counting(planned_openings(scenario, options), "openings", cap=bool(target_ci)):
            result = sf.simulate(scenario, options=options)
        result.metadata["config"] = str(args.config)
        result.metadata["overrides"] = overrides
        written = result.write_files(folder.path, args.formats)
        folder.commit()
    if not args.quiet:
        print(format_result(result))
        print(
            f"\nWrote {out}/: tables (summary.csv, funnel.csv, loss_reasons.csv, openings.csv, "
            f"candidates.csv), scenario.yaml, run.json, manifest.json and {_files(len(written))}."
        )
    if target_ci:
        note = _target_note(result, target_ci)
        if note:
            print(f"simfunnel: note: {note}", file=sys.stderr)
    return 0


def _options(args: argparse.Namespace, analysis: str, **fields: Any) -> Any:
    """The library's defaults for ``analysis``, changed only by the flags given.

    A progress bar is drawn only on a terminal: logs get no carriage-return noise.
    """
    given = {"openings": args.openings, "seed": args.seed, "scheduler": args.scheduler}
    changes = {name: value for name, value in given.items() if value is not None}
    changes["workers"] = args.workers  # None: all cores, the command line's default
    changes.update(fields)
    if changes.get("progress"):
        changes["progress"] = sys.stderr.isatty()
    return DEFAULTS[analysis].replace(**changes)


def _target_note(result: Any, target_ci: dict[str, float]) -> str | None:
    """Why a --target-ci run stopped at its cap, or None if every target was met."""
    table = result._table()
    missed = []
    for metric, target in target_ci.items():
        if metric not in table.index:
            continue
        half = float(table.loc[metric, "ci_high"] - table.loc[metric, "value"])
        if not half <= target:
            missed.append(f"{metric} is ±{half:.3g}, target ±{target:g}")
    if not missed:
        return None
    return (
        f"--target-ci not reached after the cap of {result.metadata['openings']:,} openings "
        f"({'; '.join(missed)}); raise --openings"
    )


@contextmanager
def _counting(total: int | None, unit: str, *, cap: bool = False) -> Iterator[None]:
    """Tag an interrupt with how far the simulation got (run.py counts openings done)."""
    try:
        yield
    except KeyboardInterrupt as exc:
        exc.total = total  # type: ignore[attr-defined]
        exc.unit = unit  # type: ignore[attr-defined]
        exc.cap = cap  # type: ignore[attr-defined]
        raise


def _interrupt_message(exc: KeyboardInterrupt) -> str:
    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    done, total = getattr(exc, "openings_done", None), getattr(exc, "total", None)
    if done is not None and total:
        of = "up to " if getattr(exc, "cap", False) else ""
        what += f" after {done:,} of {of}{total:,} {getattr(exc, 'unit', 'openings')}"
    return f"{what}; nothing was written"


def _files(count: int) -> str:
    return f"{count} chart file{'' if count == 1 else 's'}"


def _command_validate(args: argparse.Namespace) -> int:
    from simfunnel.loader import load_scenario

    failed = 0
    for config in args.configs:
        try:
            scenario = load_scenario(config)
        except InputError as exc:
            print(f"simfunnel: error: {exc}", file=sys.stderr)
            failed += 1
        else:
            print(f"{config}: ok ({scenario.name})")
    return 2 if failed else 0


def _command_keys(args: argparse.Namespace) -> int:
    from simfunnel.scenario import describe_keys

    rows = [{"key": "key", "default": "default", "range": "range", "description": "meaning"}]
    rows += describe_keys()
    key_width = max(len(r["key"]) for r in rows)
    # Columns fit the usual values; a longer one (a dictionary default) keeps its
    # row whole and puts the meaning on the next line, in the meaning column.
    default_width = min(KEYS_DEFAULT_WIDTH, max(len(r["default"]) for r in rows))
    range_width = min(KEYS_RANGE_WIDTH, max(len(r["range"]) for r in rows))
    indent = " " * (key_width + default_width + range_width + 6)
    for row in rows:
        head = f"{row['key']:<{key_width}}  {row['default']:<{default_width}}  "
        head += f"{row['range']:<{range_width}}  "
        if len(head) > len(indent):
            print(head.rstrip())
            print(f"{indent}{row['description']}")
        else:
            print(f"{head}{row['description']}".rstrip())
    return 0


def _command_metrics(args: argparse.Namespace) -> int:
    from simfunnel.metrics import main

    return main(["--markdown"] if args.markdown else [])


def _command_you(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from simfunnel.files import atomic_write
    from simfunnel.report import format_you
    from simfunnel.you import you

    scenario, _ = _load(args.config, args.overrides)
    with _output(args.out, "you") if args.out else nullcontext() as folder:
        result = you(
            scenario,
            args.quality_percentile,
            alignment=args.alignment,
            niche=args.niche,
            felt_great=args.felt_great,
            interviews=args.interviews,
            openings=args.openings or YOU_OPENINGS,
            seed=_seed_of(args, scenario),
        )
        print(format_you(result))
        if folder is not None:
            staging = folder.path
            atomic_write(
                staging / "job_search.csv", lambda p: result.job_search.to_csv(p, index=False)
            )
            atomic_write(
                staging / "loss_reasons.csv", lambda p: result.loss_reasons.to_csv(p, index=False)
            )
            if args.formats:
                from simfunnel import charts

                charts.save_chart(charts.job_search, result, staging / "job_search", args.formats)
            folder.commit()
    if args.out:
        charts_note = (
            f" and the job-search chart ({', '.join(args.formats)})" if args.formats else ""
        )
        print(f"\nWrote {args.out}/: job_search.csv, loss_reasons.csv{charts_note}.")
    else:
        print("\nNo files written: add --out DIR for the tables and the job-search chart.")
    return 0


def _seed_of(args: argparse.Namespace, scenario) -> int:
    return scenario.seed if args.seed is None else args.seed


def _command_compare(args: argparse.Namespace) -> int:
    from simfunnel.explore import compare
    from simfunnel.report import format_comparison
    from simfunnel.run import planned_openings

    scenarios = [_load(config, args.overrides)[0] for config in args.configs]
    out = args.out or Path("results") / "compare"
    options = _options(args, "compare", progress=True)
    with _output(out, "compare") as folder:
        with _counting(planned_openings(scenarios[0], options), "openings"):
            # Only summaries are written: keep no per-opening rows.
            comparison = compare(scenarios, keep_frames=False, options=options)
        comparison.save(folder.path)
        written = []
        if args.formats:
            from simfunnel import charts

            written = charts.save_chart(
                charts.compare, comparison, folder.path / "compare", args.formats
            )
        folder.commit()
    print(format_comparison(comparison))
    print(f"\nWrote {out}/: compare.csv, differences.csv and {_files(len(written))}.")
    return 0


def _command_sweep(args: argparse.Namespace) -> int:
    from simfunnel.explore import parse_vary, sweep
    from simfunnel.files import atomic_write
    from simfunnel.report import format_sweep

    scenario, _ = _load(args.config, args.overrides)
    vary: dict[str, list[Any]] = {}
    for text in args.vary:
        key, values = parse_vary(text, scenario)
        if key in vary:
            raise InputError(f"--vary {key}: given twice; give each key once")
        vary[key] = values
    # One folder per question: sweeps of other keys never mix their files.
    out = args.out or _default_out(f"sweep_{scenario.name}_{'_'.join(vary)}")
    with _output(out, "sweep") as folder:
        table = sweep(
            scenario, vary, metrics=args.metric, options=_options(args, "sweep", progress=True)
        )
        atomic_write(folder.path / "sweep.csv", lambda p: table.to_csv(p, index=False))
        written = []
        if args.formats:
            from simfunnel import charts

            written = charts.render_sweep(table, folder.path, args.formats)
        folder.commit()
    print(format_sweep(table, list(vary)))
    print(f"\nWrote {out}/: sweep.csv (every metric, with CIs) and {_files(len(written))}.")
    return 0


def _command_sensitivity(args: argparse.Namespace) -> int:
    from simfunnel.explore import require_salib, sensitivity, sobol
    from simfunnel.files import atomic_write
    from simfunnel.report import format_sensitivity

    if args.sobol:
        require_salib()  # before any other work
    scenario, _ = _load(args.config, args.overrides)
    out = args.out or _default_out(f"sensitivity_{scenario.name}")
    with _output(out, "sensitivity") as folder:
        options = _options(args, "sensitivity", progress=True)
        table = sensitivity(scenario, args.metric, options=options)
        atomic_write(folder.path / "sensitivity.csv", lambda p: table.to_csv(p, index=False))
        written = []
        if args.formats:
            from simfunnel import charts

            written = charts.save_chart(
                charts.tornado, table, folder.path / "tornado", args.formats
            )
        print(format_sensitivity(table))
        if args.sobol:
            options = _options(args, "sobol", progress=True)
            indices = sobol(scenario, args.metric, samples=args.sobol, options=options)
            atomic_write(folder.path / "sobol.csv", lambda p: indices.to_csv(p, index=False))
            print(f"\nSobol indices ({indices.attrs['runs']} runs):")
            print(indices.round(3).to_string(index=False))
        folder.commit()
    print(f"\nWrote {out}/: sensitivity.csv and {_files(len(written))}.")
    return 0


def _command_charts(args: argparse.Namespace) -> int:
    import shutil

    from simfunnel.files import MANIFEST
    from simfunnel.result import load_result

    # Lock first, then read: a run cannot swap the folder while we copy it. The
    # tables are copied and the charts drawn afresh in a staging folder that then
    # replaces the old one, so no chart of an earlier run or format survives.
    if not args.result_dir.is_dir():
        load_result(args.result_dir)  # says why: no such folder, or being replaced
    with _output(args.result_dir, "result", label="") as folder:
        result = load_result(args.result_dir)
        for path in sorted(args.result_dir.iterdir()):
            is_chart = path.suffix.lstrip(".") in CHART_FORMATS
            if not path.name.startswith(".") and path.name != MANIFEST and not is_chart:
                shutil.copy2(path, folder.path / path.name)
        from simfunnel import charts

        written = charts.render_all(result, folder.path, args.formats)
        folder.commit()
    print(f"Wrote {_files(len(written))} to {args.result_dir}/")
    return 0


# The flag that sets each Python parameter a library error may name.
FLAGS = {
    "alignment": "--alignment",
    "interviews": "--interviews",
    "metric": "--metric",
    "metrics": "--metric",
    "niche": "--niche",
    "openings": "--openings",
    "quality_percentile": "--quality-percentile",
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
}

_MAIN_PID = os.getpid()


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
            return COMMANDS[args.command](args)
    except InputError as exc:
        print(f"simfunnel: error: {_as_flags(exc)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `simfunnel keys | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt as exc:
        _end_children()
        print(f"simfunnel: {_interrupt_message(exc)}", file=sys.stderr)
        return 143 if isinstance(exc, Terminated) else 130
    except Exception as exc:  # an internal error: short message, traceback on request
        if os.environ.get("SIMFUNNEL_DEBUG"):
            raise
        print(
            f"simfunnel: internal error: {type(exc).__name__}: {exc} "
            "(set SIMFUNNEL_DEBUG=1 for a traceback and please report it)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
