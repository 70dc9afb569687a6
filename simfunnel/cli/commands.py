"""What each subcommand does: a thin shell over the Python API."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from simfunnel.analysis.options import DEFAULTS, YOU_OPENINGS
from simfunnel.errors import InputError
from simfunnel.model.names import shown
from simfunnel.present import CHART_FORMATS

KEYS_DEFAULT_WIDTH, KEYS_RANGE_WIDTH = 24, 18  # `simfunnel keys` columns


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so every ``with`` block cleans up."""


def _load(
    config: str,
    overrides: Sequence[str],
    extra: dict[str, Any] | None = None,
    posterior: str | None = None,
):
    from simfunnel.io.loader import load_scenario, parse_override
    from simfunnel.io.posterior import read_posterior

    parsed: dict[str, Any] = {}
    for item in overrides:
        key, value = parse_override(item)
        if key in parsed:
            raise InputError(f"--set {shown(key)}: given twice")
        parsed[key] = value
    parsed.update(extra or {})
    scenario = load_scenario(config, parsed or None)
    if posterior is not None:
        # Not renamed: the report, the notes and the charts say the parameters are drawn.
        draws = read_posterior(posterior, "--posterior")
        scenario = scenario.with_overrides({"posterior": draws, "name": scenario.name})
    return scenario, parsed


def _default_out(name: str) -> Path:
    """``results/<name>`` with ``name`` made a safe folder name: never outside results/."""
    from simfunnel.model.scenario import folder_name

    return Path("results") / folder_name(name)


def _output(out: Path, kind: str, label: str = "--out ", scenario: str | None = None) -> Any:
    """The output folder, checked, locked and staged before anything is simulated."""
    from simfunnel.io.files import OutputFolder

    return OutputFolder(out, kind, label=label, scenario=scenario)


def _command_run(args: argparse.Namespace) -> int:
    import simfunnel as sf
    from simfunnel.analysis.run import planned_openings
    from simfunnel.present.report import format_result

    scenario, overrides = _load(
        args.config,
        args.overrides,
        {"engine": args.engine} if args.engine else None,
        args.posterior,
    )
    out = args.out or _default_out(scenario.name)
    given = [metric for metric, _ in args.target_ci]
    twice = next((m for i, m in enumerate(given) if m in given[:i]), None)
    if twice:
        raise InputError(f"--target-ci {shown(twice)}: given twice; give each metric once")
    target_ci = dict(args.target_ci) or None
    kernel = {"kernel": args.kernel} if args.kernel else {}
    options = _options(args, "simulate", progress=not args.quiet, target_ci=target_ci, **kernel)
    # A default folder shared by two scenario names (résumé, résumé_🙂) is never taken
    # over silently; an explicit --out is the user's choice.
    owner = None if args.out else scenario.name
    with _output(out, "result", scenario=owner) as folder:
        with _counting(planned_openings(scenario, options), "openings", cap=bool(target_ci)):
            result = sf.simulate(scenario, options=options)
        result.metadata["config"] = str(args.config)
        result.metadata["overrides"] = overrides
        skipped: list[str] = []
        result.write_files(folder.path)
        from simfunnel.present import charts  # Matplotlib loads only for commands that draw

        written = (
            charts.render_all(result, folder.path, args.formats, skipped=skipped)
            if args.formats
            else []
        )
        folder.commit()
    if not args.quiet:
        print(format_result(result))
        print(
            f"\nWrote {out}/: tables (summary.csv, funnel.csv, loss_reasons.csv, openings.csv, "
            f"candidates.csv, statistics.csv), scenario.yaml, run.json, manifest.json and "
            f"{_files(len(written))}."
        )
    _skipped_note(skipped)
    if scenario.groups is not None and not args.quiet:
        print(f"Who loses, by group: simfunnel groups {args.config}")
    if scenario.sources is not None and not args.quiet:
        print(f"Where hires come from, by source: simfunnel sources {args.config}")
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
    if getattr(args, "quiet", False):
        changes["progress"] = False
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


def _skipped_note(skipped: list[str]) -> None:
    """One line on stdout for the charts this result cannot show."""
    if skipped:
        print(f"Note: skipped the chart{'s' if len(skipped) > 1 else ''} {'; '.join(skipped)}.")


def _files(count: int) -> str:
    return f"{count} chart file{'' if count == 1 else 's'}"


BENCHMARK_MISSED = 3  # `validate --benchmarks`: a judged published figure is outside its band


def _command_validate(args: argparse.Namespace) -> int:
    from simfunnel.io.loader import load_scenario
    from simfunnel.io.shipped import shipped_names

    failed, scenarios = 0, []
    for config in args.configs or shipped_names():
        try:
            scenario = load_scenario(config)
        except InputError as exc:
            for line in str(exc).splitlines():  # every problem of the file, in line order
                print(f"simfunnel: error: {line}", file=sys.stderr)
            failed += 1
        else:
            validity = scenario.interview.composite_validity
            print(
                f"{config}: ok ({scenario.name}; validity of the whole interview process "
                f"{validity:.2f})"
            )
            scenarios.append(scenario)
    if failed:
        return 2
    if not args.benchmarks:
        return 0
    import simfunnel as sf
    from simfunnel.analysis.outputs import Benchmarks

    missed: list[str] = []
    for scenario in scenarios:
        result = sf.simulate(scenario, args.openings, attribution=False)
        benchmarks = Benchmarks.from_result(result)
        print(f"\n{benchmarks.finding}\n{benchmarks.note}\n\n{benchmarks.to_markdown()}")
        missed += [f"{scenario.name}: {figure}" for figure in benchmarks.failed]
    print(
        "\nRows: input = set directly by the keys named (shown, not judged); calibration = "
        "the baseline was tuned to it (judged only with the baseline's parameters); "
        "check = nothing was tuned to it (always judged)."
    )
    if missed:
        figures = "figures are" if len(missed) > 1 else "figure is"
        print(
            f"simfunnel: {len(missed)} judged published {figures} outside its band "
            f"({'; '.join(missed)}); exit code {BENCHMARK_MISSED}",
            file=sys.stderr,
        )
        return BENCHMARK_MISSED
    return 0


def keys_markdown() -> str:
    """The scenario-key reference page (``docs/keys.md``): every key in plain words, with
    its default, valid range, meaning and source, from the schema."""
    from simfunnel.metrics import key_label
    from simfunnel.model.scenario import describe_keys

    lines = [
        "# Scenario keys",
        "",
        "Generated from the scenario schema by `simfunnel keys --markdown`. Every key of a",
        "scenario file, its default, the values it accepts and what it means; a key left",
        "out of a file keeps its default (or the value of the file it `extends`). Ranges",
        "written `{low: N, high: M}` are drawn uniformly per opening; `[a, b]` includes",
        "its ends, `(a, b)` excludes them.",
        "",
        "| Key | In plain words | Default | Valid range | Meaning and source |",
        "|---|---|---|---|---|",
    ]
    for row in describe_keys():
        cells = [
            f"`{row['key']}`",
            key_label(row["key"]) if "." in row["key"] else "",
            f"`{row['default']}`" if row["default"] else "",
            row["range"].replace("|", "\\|"),
            row["description"].replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _command_keys(args: argparse.Namespace) -> int:
    from simfunnel.model.scenario import describe_keys

    if args.markdown:
        sys.stdout.write(keys_markdown())
        return 0
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
    from simfunnel.model.scenario import Scenario

    print(
        "\nDerived: the validity of the whole interview process (interview.rounds, "
        f".validity and .presence_share together) is {Scenario().interview.composite_validity:.3f} "
        "with these defaults; `simfunnel validate CONFIG` prints it for a scenario."
    )
    return 0


def _command_metrics(args: argparse.Namespace) -> int:
    from simfunnel.metrics import main

    return main(["--markdown"] if args.markdown else [])


def _command_you(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from simfunnel.analysis.you import you
    from simfunnel.io.files import atomic_write
    from simfunnel.present.report import format_you

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
        if args.levers:
            from simfunnel.analysis.you import levers
            from simfunnel.present.report import format_levers

            table = levers(scenario, args.quality_percentile, seed=_seed_of(args, scenario))
            print("\n" + format_levers(table))
        if folder is not None:
            staging = folder.path
            atomic_write(
                staging / "job_search.csv", lambda p: result.job_search.to_csv(p, index=False)
            )
            atomic_write(
                staging / "loss_reasons.csv", lambda p: result.loss_reasons.to_csv(p, index=False)
            )
            if args.formats:
                from simfunnel.present import charts

                charts.save_chart(charts.job_search, result, staging / "job_search", args.formats)
                from simfunnel.analysis.outputs.run import LossReasons
                from simfunnel.present.charts.render import plot_output

                reasons = LossReasons.from_you(result)
                charts.save_chart(plot_output, reasons, staging / "loss_reasons", args.formats)
            folder.commit()
    if args.out:
        charts_note = (
            f" and the job-search and loss-reasons charts ({', '.join(args.formats)})"
            if args.formats
            else ""
        )
        print(f"\nWrote {args.out}/: job_search.csv, loss_reasons.csv{charts_note}.")
    else:
        print("\nNo files written: add --out DIR for the tables and the charts.")
    return 0


def _seed_of(args: argparse.Namespace, scenario) -> int:
    return scenario.seed if args.seed is None else args.seed


def _command_compare(args: argparse.Namespace) -> int:
    from simfunnel.analysis.explore import compare
    from simfunnel.analysis.run import planned_openings
    from simfunnel.present.report import format_comparison

    scenarios = [
        _load(config, args.overrides, posterior=args.posterior)[0] for config in args.configs
    ]
    out = args.out or Path("results") / "compare"
    options = _options(args, "compare", progress=True)
    with _output(out, "compare") as folder:
        with _counting(planned_openings(scenarios[0], options), "openings"):
            # Only summaries are written: keep no per-opening rows.
            comparison = compare(scenarios, keep_frames=False, options=options)
        comparison.save(folder.path)
        written = []
        from simfunnel.present import charts

        if args.formats:
            written = charts.save_chart(
                charts.compare, comparison, folder.path / "compare", args.formats
            )
        folder.commit()
    if args.quiet:
        return 0
    print(format_comparison(comparison))
    print(f"\nWrote {out}/: compare.csv, differences.csv and {_files(len(written))}.")
    return 0


def _command_sweep(args: argparse.Namespace) -> int:
    from simfunnel.analysis.explore import parse_vary, sweep
    from simfunnel.io.files import atomic_write
    from simfunnel.present.report import format_sweep

    scenario, _ = _load(args.config, args.overrides, posterior=args.posterior)
    vary: dict[str, list[Any]] = {}
    for text in args.vary:
        key, values = parse_vary(text, scenario)
        if key in vary:
            raise InputError(f"--vary {shown(key)}: given twice; give each key once")
        vary[key] = values
    from simfunnel.analysis.sweeps import check_grid_size

    check_grid_size([len(v) for v in vary.values()], args.openings or scenario.openings)
    # One folder per question: sweeps of other keys never mix their files.
    out = args.out or _default_out(f"sweep_{scenario.name}_{'_'.join(vary)}")
    with _output(out, "sweep") as folder:
        table = sweep(
            scenario, vary, metrics=args.metric, options=_options(args, "sweep", progress=True)
        )
        atomic_write(folder.path / "sweep.csv", lambda p: table.to_csv(p, index=False))
        written = []
        if args.formats:
            from simfunnel.present import charts

            written = charts.render_sweep(table, folder.path, args.formats)
        folder.commit()
    if args.quiet:
        return 0
    print(format_sweep(table, list(vary)))
    print(f"\nWrote {out}/: sweep.csv (every metric, with CIs) and {_files(len(written))}.")
    return 0


def _command_sensitivity(args: argparse.Namespace) -> int:
    from simfunnel.analysis.explore import require_salib, sensitivity, sobol
    from simfunnel.io.files import atomic_write
    from simfunnel.present.report import format_sensitivity

    if args.sobol:
        require_salib()  # before any other work
    scenario, _ = _load(args.config, args.overrides)
    from simfunnel.analysis.sensitivities import default_ranges, parse_range

    ranges: dict[str, tuple[float, float]] = {}
    for text in args.range:
        key, ends = parse_range(text, scenario)
        if key in ranges:
            raise InputError(f"--range {shown(key)}: given twice; give each key once")
        ranges[key] = ends
    if args.sobol:
        from simfunnel.analysis.sensitivities import check_sobol_samples

        sobol_openings = args.openings or DEFAULTS["sobol"].openings
        check_sobol_samples(args.sobol, len(ranges or default_ranges(scenario)), sobol_openings)
    out = args.out or _default_out(f"sensitivity_{scenario.name}")
    with _output(out, "sensitivity") as folder:
        options = _options(args, "sensitivity", progress=True)
        table = sensitivity(scenario, args.metric, ranges or None, options=options)
        atomic_write(folder.path / "sensitivity.csv", lambda p: table.to_csv(p, index=False))
        written = []
        from simfunnel.present import charts

        if args.formats:
            written = charts.save_chart(
                charts.tornado, table, folder.path / "tornado", args.formats
            )
        if not args.quiet:
            print(format_sensitivity(table))
        if args.sobol:
            options = _options(args, "sobol", progress=True)
            indices = sobol(
                scenario, args.metric, ranges or None, samples=args.sobol, options=options
            )
            atomic_write(folder.path / "sobol.csv", lambda p: indices.to_csv(p, index=False))
            if args.formats:
                written += charts.save_chart(
                    charts.sobol_indices, indices, folder.path / "sobol", args.formats
                )
            if not args.quiet:
                print(f"\nSobol indices ({indices.attrs['runs']} runs):")
                print(indices.round(3).to_string(index=False))
            if indices.attrs.get("warning"):
                print(f"warning: {indices.attrs['warning']}", file=sys.stderr)
        folder.commit()
    if not args.quiet:
        tables = "sensitivity.csv and sobol.csv" if args.sobol else "sensitivity.csv"
        print(f"\nWrote {out}/: {tables} and {_files(len(written))}.")
    return 0


def _command_charts(args: argparse.Namespace) -> int:
    import shutil

    from simfunnel.analysis.result import load_result
    from simfunnel.io.files import MANIFEST, read_manifest

    # Lock first, then read: a run cannot swap the folder while we copy it. The
    # tables are copied and the charts drawn afresh in a staging folder that then
    # replaces the old one, so no chart of an earlier run or format survives.
    # First say what is wrong with the folder in a saved result's words (missing,
    # changed, added files), before the output folder's own checks.
    read_manifest(args.result_dir)
    with _output(args.result_dir, "result", label="") as folder:
        result = load_result(args.result_dir)
        for path in sorted(args.result_dir.iterdir()):
            is_chart = path.suffix.lstrip(".") in CHART_FORMATS
            if not path.name.startswith(".") and path.name != MANIFEST and not is_chart:
                shutil.copy2(path, folder.path / path.name)
        from simfunnel.present import charts

        skipped: list[str] = []
        written = charts.render_all(result, folder.path, args.formats, skipped=skipped)
        folder.commit()
    print(f"Wrote {_files(len(written))} to {args.result_dir}/")
    _skipped_note(skipped)
    return 0


def _command_deck(args: argparse.Namespace) -> int:
    import simfunnel as sf
    from simfunnel.analysis.run import planned_openings
    from simfunnel.present.deck import build_deck, charts_folder, check_deck_path, require_pptx

    require_pptx()  # before any other work
    scenario, overrides = _load(args.config, args.overrides, posterior=args.posterior)
    others = [_load(c, args.overrides, posterior=args.posterior)[0] for c in args.compare]
    names = [s.name for s in (scenario, *others)]
    if len(set(names)) < len(names):
        raise InputError(f"--compare: scenario names must differ, got {', '.join(names)}")
    path = check_deck_path(args.out, args.formats)
    options = _options(args, "simulate", progress=not args.quiet)
    with _counting(planned_openings(scenario, options), "openings"):
        result = sf.simulate(scenario, options=options)
        comparison = None
        if others:
            # Only summaries are drawn: keep no per-opening rows of the compared runs.
            compare_options = _options(args, "compare", progress=not args.quiet)
            comparison = sf.compare([scenario, *others], keep_frames=False, options=compare_options)
    result.metadata["config"] = str(args.config)
    result.metadata["overrides"] = overrides
    written = build_deck(
        result, path, comparison=comparison, formats=args.formats, title=args.title,
        story=not args.no_story,
    )  # fmt: skip
    if not args.quiet:
        compared = (
            f" and {len(others)} comparison{'s' if len(others) > 1 else ''}" if others else ""
        )
        print(
            f"Wrote {path}: a title slide, a slide per chart{compared}, three takeaways, an "
            "appendix of the settings, and speaker notes with the numbers and their 95% CIs."
        )
        if args.formats:
            kept = _files(len(written) - 1)
            print(f"Kept {kept} ({', '.join(args.formats)}) in {charts_folder(path)}/.")
    return 0


def _command_app(args: argparse.Namespace) -> int:
    from simfunnel.present.explorer.core import saved_state
    from simfunnel.present.explorer.web import require_panel, serve

    require_panel()
    scenario, _ = _load(args.config, args.overrides)
    saved = saved_state(args.config)  # a file the explorer saved: its chart, openings, sliders

    def ready(url: str) -> None:
        from simfunnel.metrics import scenario_label

        shown = scenario_label(scenario.name)  # changed settings in plain words
        print(f"simfunnel app · {shown} at {url} (Ctrl-C to stop)", flush=True)

    try:
        serve(
            scenario,
            args.port,
            chart=args.chart or saved.get("chart"),
            openings=args.openings or saved.get("openings"),
            keys=saved.get("keys"),
            show=args.show,
            ready=ready,
            present=args.present,
        )
    except KeyboardInterrupt as exc:  # Ctrl-C is how a speaker stops the app
        if isinstance(exc, Terminated):
            raise
    print("simfunnel app: stopped")
    return 0


def _command_fit(args: argparse.Namespace) -> int:
    from simfunnel.analysis.fit import FitSettings, fit, parse_free, parse_priors
    from simfunnel.io.ats import parse_column_map, read_ats
    from simfunnel.io.loader import load_scenario
    from simfunnel.model.scenario import folder_name
    from simfunnel.present.fit_report import format_fit, save_fit

    # Every input is checked before anything is simulated or any folder is taken.
    columns = parse_column_map(args.columns)
    free = parse_free(args.free) or None
    priors = parse_priors(args.prior)
    exclude = [i.strip() for item in args.exclude for i in item.split(",") if i.strip()]
    scenario = load_scenario(args.scenario)
    data = read_ats(args.data, columns, date_format=args.date_format)
    out = args.out or Path("results") / folder_name(f"fit_{Path(args.data).stem}")
    seed = scenario.seed if args.seed is None else args.seed
    settings = FitSettings(draws=args.draws)
    with _output(out, "fit") as folder:
        result = fit(
            data,
            scenario,
            free,
            seed=seed,
            settings=settings,
            progress=not args.quiet and sys.stderr.isatty(),
            priors=priors,
            exclude=exclude,
        )
        written = save_fit(result, folder.path, args.formats)
        folder.commit()
    if not args.quiet:
        print(format_fit(result))
        print(
            f"\nWrote {out}/: fitted.yaml (extends base_scenario.yaml), posterior.csv, "
            f"fit_report.md, parameters.csv, checks.csv, distributions.csv, flagged.csv, "
            f"fit.json and "
            f"{_files(len(written))}.\nWith the fit's uncertainty in every figure: simfunnel run "
            f"{out / 'fitted.yaml'} --posterior {out / 'posterior.csv'}"
        )
    return 0


def _command_init(args: argparse.Namespace) -> int:
    from simfunnel.io.shipped import SCENARIOS, shipped_names, write_starter

    if args.list or not args.name:
        if not args.list:
            raise InputError("init: give a NAME (e.g. simfunnel init acme), or --list")
        from simfunnel.io.loader import load_scenario

        for name in shipped_names():
            print(f"{name:<22} {load_scenario(name).description}")
        print(f"\n(files in {SCENARIOS}; name one anywhere: simfunnel run baseline)")
        return 0
    path = write_starter(args.name, args.folder)
    print(
        f"Wrote {path}: it extends the shipped baseline; uncomment a key to change it.\n"
        f"Next: simfunnel validate {path} && simfunnel run {path}"
    )
    return 0


def _command_import(args: argparse.Namespace) -> int:
    from simfunnel.io.applications import read_applications, suggest
    from simfunnel.io.vendors import read_raw
    from simfunnel.model.scenario import folder_name

    if args.suggest:
        raw = read_raw(args.export, args.format, args.mapping)
        proposed, stages, reasons = suggest(raw)
        print(proposed.to_yaml(stages, reasons), end="")
        if stages or reasons:
            print(
                f"# cannot place {len(stages)} stage(s) and {len(reasons)} reason(s): "
                "replace each ? before --stage-map",
                file=sys.stderr,
            )
        return 0
    imported = read_applications(args.export, args.format, args.stage_map, args.mapping)
    out = args.out or Path("results") / folder_name(f"import_{Path(args.export).stem}")
    with _output(out, "import") as folder:
        imported.save(folder.path)
        (folder.path / "stage_map.yaml").write_text(imported.stage_map.to_yaml())
        (folder.path / "drop_report.md").write_text(
            "# What the import left out\n\n" + imported.summary() + "\n"
        )
        folder.commit()
    if not args.quiet:
        print(imported.summary())
        print(
            f"\nWrote {out}/: requisitions.csv, applications.csv, dropped.csv, drop_report.md, "
            f"stage_map.yaml.\nNext: simfunnel fit {out / 'requisitions.csv'}"
        )
    return 0


def _command_export(args: argparse.Namespace) -> int:
    from simfunnel.analysis.application_export import simulate_export
    from simfunnel.io.vendors import write_raw

    scenario, _ = _load(args.scenario, args.overrides)
    seed = scenario.seed if args.seed is None else args.seed
    with _output(args.out, "export") as folder:
        raw, _arrays = simulate_export(scenario, args.requisitions, seed)
        written = write_raw(raw, args.format, folder.path)
        (folder.path / "scenario.yaml").write_text(
            f"# The scenario this {args.format} export was simulated from (seed {seed}).\n"
            + scenario.to_yaml()
        )
        folder.commit()
    if not args.quiet:
        print(
            f"Wrote {args.out}/: a simulated {args.format} export of {args.requisitions} "
            f"requisitions, {len(raw.applications):,} applications ({len(written)} files, and "
            f"scenario.yaml, the truth).\nImport it: simfunnel import {args.out} --format "
            f"{args.format.split('-')[0]} --out results/import_{Path(args.out).name}"
        )
    return 0


def _command_audit(args: argparse.Namespace) -> int:
    from simfunnel.analysis.audit import audit
    from simfunnel.io.audit_table import read_applications
    from simfunnel.model.scenario import folder_name
    from simfunnel.present.charts.render import plot_output, save_chart

    data = read_applications(args.data, args.groups)
    out = args.out or Path("results") / folder_name(f"audit_{Path(args.data).stem}")
    result = audit(data)
    with _output(out, "audit") as folder:
        written = result.save(folder.path)
        charts = []
        for attribute in result.attributes if args.formats else ():
            stem = folder.path / f"rates_{folder_name(attribute.replace(' × ', '_x_'))}"
            charts += save_chart(plot_output, result, stem, args.formats, attribute=attribute)
        folder.commit()
    if not args.quiet:
        print(result.summary())
        names = ", ".join(p.name for p in written)
        print(f"Wrote {out}/: {names} and {_files(len(charts))}.")
    return 0


def _command_fit_applications(args: argparse.Namespace) -> int:
    from simfunnel.analysis.application_fit import fit_application_parameters
    from simfunnel.analysis.application_moments import ApplicationMoments
    from simfunnel.io.applications import read_application_table
    from simfunnel.io.loader import load_scenario

    table = read_application_table(args.applications)
    scenario = load_scenario(args.scenario)
    with _output(args.out, "fit-applications") as folder:
        result = fit_application_parameters(table, scenario, seed=args.seed, draws=args.draws)
        frame = result.to_df()
        fitted = scenario.with_overrides(
            {
                **{r.parameter: float(r.estimate) for r in frame.itertuples() if r.identified},
                "name": f"{scenario.name}_applications",
            }
        )
        checks = ApplicationMoments.from_data(table, fitted, seed=args.seed)
        frame.to_csv(folder.path / "application_fit.csv", index=False)
        checks.to_df().to_csv(folder.path / "moments.csv", index=False)
        (folder.path / "fitted.yaml").write_text(
            f"# {args.scenario} with the parameters the application table identifies.\n"
            + fitted.to_yaml()
        )
        folder.commit()
    if not args.quiet:
        print(result.finding.replace("; not identified: ", ".\nNot identified: ") + ".")
        shown = frame[["parameter", "prior", "estimate", "q05", "q95", "identified"]]
        print(shown.to_string(index=False, float_format=lambda v: f"{v:.3g}"))
        moments = checks.to_df()[["moment", "observed", "simulated_q05", "simulated_q95"]]
        print("\nMoments at the fit (the export, and 90% of simulated exports of its size):")
        print(moments.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print(
            f"\nWrote {args.out}/: fitted.yaml (identified values set), application_fit.csv, "
            f"moments.csv.\nRun it: simfunnel run {args.out / 'fitted.yaml'}"
        )
    return 0
