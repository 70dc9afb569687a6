"""The command line's arguments: one function per subcommand, and the argument types."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from simfunnel.analysis.options import DEFAULTS, KERNELS, TARGET_CI_CAP, YOU_OPENINGS
from simfunnel.present import CHART_FORMATS
from simfunnel.present.explorer.defaults import CHART_LABELS, DEFAULT_OPENINGS, DEFAULT_PORT

# `you` simulates 20,000 job searches of up to this many interviews: memory grows with it.
MAX_INTERVIEWS = 100
MAX_SEED = 2**128 - 1  # the scenario key `seed`'s range
CONFIG_HELP = (
    "a scenario YAML file, or a shipped scenario by name (baseline, q4_freeze, ...; "
    "see `simfunnel init --list`)"
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(
    kind: type,
    low: float,
    high: float | None = None,
    *,
    exclusive: bool = False,
    what: str,
    high_text: str | None = None,
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
            limit = high_text or (f"{high:,}" if isinstance(high, int) else f"{high:g}")
            shown = text.strip() if len(text.strip()) <= 40 else f"{text.strip()[:37]}..."
            raise argparse.ArgumentTypeError(f"must be <= {limit}, got {shown}")
        return value

    return parse


_positive_int = _number(int, 1, what="a whole number")
_interviews = _number(int, 1, MAX_INTERVIEWS, what="a whole number")
_seed = _number(int, 0, MAX_SEED, what="a non-negative integer", high_text="2^128-1")
_percentile = _number(float, 0, 100, exclusive=True, what="a number")
_unit_interval = _number(float, 0, 1, exclusive=True, what="a number")
_port = _number(int, 1, 65535, what="a port number")


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
    posterior: bool = False,
) -> None:
    parser.add_argument("--openings", type=_positive_int, help=openings_help)
    parser.set_defaults(scheduler=None, workers=None, posterior=None)
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
    if posterior:
        parser.add_argument(
            "--posterior",
            metavar="FILE",
            help="draw the keys in FILE's columns from its rows, one row per block of 1,000 "
            "openings (a fit's posterior.csv): intervals then include parameter uncertainty",
        )


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", action="store_true", help="no tables or progress bar (errors still print)"
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
    for add in (
        _add_run,
        _add_compare,
        _add_sweep,
        _add_sensitivity,
        _add_validate,
        _add_keys,
        _add_metrics,
        _add_you,
        _add_charts,
        _add_deck,
        _add_app,
        _add_fit,
        _add_init,
        _add_import,
        _add_export,
        _add_audit,
        _add_groups,
        _add_sources,
        _add_fit_applications,
    ):
        add(commands)
    return parser


def _add_run(commands: Any) -> None:
    run = commands.add_parser("run", help="simulate a scenario and write its tables and charts")
    run.add_argument("config", help=CONFIG_HELP)
    _add_scenario_options(
        run,
        "openings to simulate (default: the config's 'openings'; with --target-ci the cap, "
        f"default {TARGET_CI_CAP}x that)",
        posterior=True,
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
        "--scheduler",
        help="address of a Dask distributed scheduler: spread the run's blocks over its "
        "workers (the same results)",
    )
    run.add_argument(
        "--kernel",
        choices=KERNELS,
        help="the decision's offer loop and attribution replays: compiled (numba, the "
        "default) or the NumPy reference (the same results)",
    )
    run.add_argument(
        "--target-ci",
        action="append",
        default=[],
        metavar="METRIC=HALF_WIDTH",
        type=_target,
        help="simulate until the metric's 95%% CI half-width is below the target "
        "(--openings is then the cap), e.g. --target-ci good_interview_offer_rate=0.002",
    )


def _add_compare(commands: Any) -> None:
    compare = commands.add_parser("compare", help="compare scenarios on the same openings (paired)")
    compare.add_argument("configs", nargs="+", metavar="CONFIG", help=CONFIG_HELP)
    _add_scenario_options(compare, posterior=True)
    compare.add_argument("--out", type=_out_folder, help="output folder (default: results/compare)")
    _add_quiet(compare)
    _add_formats(compare)


def _add_sweep(commands: Any) -> None:
    sweep = commands.add_parser("sweep", help="simulate a 1-D or 2-D grid of parameter values")
    sweep.add_argument("config", help=CONFIG_HELP)
    sweep.add_argument(
        "--vary",
        action="append",
        required=True,
        metavar="KEY=START:STOP:NUM",
        help="a key and its values (inclusive), or KEY=v1,v2,...; give one or two",
    )
    sweep.add_argument("--metric", action="append", help="metrics to report (default: all)")
    _add_scenario_options(
        sweep, "openings per grid point (default: the config's 'openings')", posterior=True
    )
    sweep.add_argument("--scheduler", help="address of a Dask distributed scheduler")
    sweep.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/sweep_<name>)"
    )
    _add_quiet(sweep)
    _add_formats(sweep)


def _add_sensitivity(commands: Any) -> None:
    sensitivity = commands.add_parser(
        "sensitivity", help="one-at-a-time sensitivity (tornado) of a metric"
    )
    sensitivity.add_argument("config", help=CONFIG_HELP)
    sensitivity.add_argument(
        "--metric",
        default="good_interview_offer_rate",
        help="the metric whose sensitivity is measured (default: %(default)s)",
    )
    sensitivity.add_argument(
        "--range",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="vary only these keys, each from LOW to HIGH (repeat for more; default: every "
        "numeric key +-50%%); a range such as applicants.count takes its mean "
        "(applicants.count=87.5:262.5 is 50-125 to 150-375), role.positions its mean "
        "number of positions",
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
    _add_quiet(sensitivity)
    _add_formats(sensitivity)


BENCHMARK_OPENINGS = 50_000  # CIs of about +-0.4 points on the offer rate


def _add_validate(commands: Any) -> None:
    validate = commands.add_parser(
        "validate",
        help="check scenario files without running them (--benchmarks: run each and compare "
        "it with published figures)",
    )
    validate.add_argument(
        "configs",
        nargs="*",
        metavar="CONFIG",
        help=CONFIG_HELP + " (default: every shipped scenario)",
    )
    validate.add_argument(
        "--benchmarks",
        action="store_true",
        help="simulate each scenario and print the published figures it should reproduce, "
        "their bands and its values with 95%% CIs, each row labelled input, calibration "
        "or check (exit 3 if a judged row is outside its band)",
    )
    validate.add_argument(
        "--openings",
        type=_positive_int,
        default=BENCHMARK_OPENINGS,
        help=f"openings per scenario for --benchmarks (default: {BENCHMARK_OPENINGS:,})",
    )


def _add_keys(commands: Any) -> None:
    keys = commands.add_parser(
        "keys", help="list every scenario key with its default, range and meaning"
    )
    keys.add_argument(
        "--markdown", action="store_true", help="print the reference page (docs/keys.md)"
    )


def _add_metrics(commands: Any) -> None:
    glossary = commands.add_parser(
        "metrics",
        help="list every reported metric and loss reason (--markdown: with their definitions)",
    )
    glossary.add_argument(
        "--markdown", action="store_true", help="print the glossary page (docs/glossary.md)"
    )


def _add_you(commands: Any) -> None:
    you = commands.add_parser(
        "you", help="your chances: P(offer) per interview, why you lose, your job search"
    )
    you.add_argument("config", help=CONFIG_HELP)
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
        "--levers",
        action="store_true",
        help="also: which of your own traits (alignment, niche experience) moves your chance "
        "most (five more small runs on the same seed)",
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


def _add_charts(commands: Any) -> None:
    charts = commands.add_parser("charts", help="re-render charts from a saved result folder")
    charts.add_argument("result_dir", type=Path)
    _add_formats(charts)


def _deck_path(text: str) -> Path:
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a .pptx file, got an empty name")
    return Path(text)


def _add_deck(commands: Any) -> None:
    deck = commands.add_parser(
        "deck",
        help="write a 16:9 slide deck: a slide per chart, the finding as its title, a "
        "job search, a what-if, three takeaways, notes with the numbers and their CIs",
    )
    deck.add_argument("config", help=CONFIG_HELP)
    deck.add_argument(
        "--compare",
        nargs="+",
        default=[],
        metavar="OTHER",
        help="also compare these scenarios with CONFIG (a slide each, paired differences)",
    )
    deck.add_argument(
        "--out", type=_deck_path, required=True, help="the deck to write, e.g. talk.pptx"
    )
    deck.add_argument("--title", help="the title slide's title (default: the scenario's name)")
    deck.add_argument(
        "--no-story",
        action="store_true",
        help="leave out the job-search and what-if slides (they simulate a few seconds more)",
    )
    _add_scenario_options(deck, posterior=True)
    deck.add_argument(
        "--formats",
        type=_formats,
        default=(),
        help="also keep the charts as png,svg,pdf in <deck>_charts/ beside the deck "
        "(default: none)",
    )
    _add_quiet(deck)


def _add_app(commands: Any) -> None:
    app = commands.add_parser(
        "app", help="serve the live explorer (sliders, charts) as a local web page"
    )
    app.add_argument(
        "config",
        nargs="?",
        default="baseline",
        help="scenario YAML or shipped scenario name (default: %(default)s)",
    )
    app.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help="port on localhost (default: %(default)s)"
    )
    app.add_argument(
        "--openings",
        type=_positive_int,
        help=f"openings simulated per change (default: {DEFAULT_OPENINGS:,}, under half a "
        "second; a saved explorer file keeps its own)",
    )
    app.add_argument(
        "--chart",
        choices=tuple(CHART_LABELS),
        help="chart shown first (default: loss_reasons, or a saved explorer file's)",
    )
    app.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key before exploring (repeatable)",
    )
    app.add_argument("--show", action="store_true", help="open the page in a web browser")
    app.add_argument(
        "--present",
        action="store_true",
        help="presentation mode: large controls and a chart that fills a 1080p screen "
        "(or add ?present to the page's address)",
    )


def _add_fit(commands: Any) -> None:
    fit = commands.add_parser(
        "fit", help="fit a scenario to your applicant-tracking export (one row per requisition)"
    )
    fit.add_argument("data", help="the export: .csv, .xlsx or .parquet")
    fit.add_argument(
        "--scenario",
        default="baseline",
        help="the scenario to start from, a YAML file or a shipped scenario name: the prior "
        "(default: the shipped %(default)s)",
    )
    fit.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KEY[=LOW:HIGH]",
        help="a key to fit, with its prior box (repeatable; replaces the default free set, "
        "which is what the counts identify)",
    )
    fit.add_argument(
        "--prior",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="the prior box of one key, keeping the rest of the free set (repeatable), "
        "e.g. --prior applicants.count.high=1:1000 for a key at its box's edge",
    )
    fit.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="ID[,ID...]",
        help="leave these requisitions out (repeatable), e.g. the outliers the fit flags",
    )
    fit.add_argument(
        "--date-format",
        metavar="FORMAT",
        help="how the export writes dates, e.g. %%d/%%m/%%Y for 04/03/2024 (default: ISO, "
        "2024-03-04)",
    )
    fit.add_argument(
        "--columns",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="your column name OLD is the export's column NEW (repeatable)",
    )
    fit.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    fit.add_argument(
        "--draws",
        type=_number(int, 50, 5000, what="a whole number"),
        default=400,
        help="bootstrap refits, rows of posterior.csv (default: %(default)s)",
    )
    fit.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/fit_<data file name>)"
    )
    _add_quiet(fit)
    _add_formats(fit)


def _add_init(commands: Any) -> None:
    init = commands.add_parser(
        "init",
        help="write NAME.yaml: a starter scenario that extends the shipped baseline, its "
        "most-changed keys commented (--list: the shipped scenarios)",
    )
    init.add_argument("name", nargs="?", help="the scenario's name and file name (NAME.yaml)")
    init.add_argument(
        "--folder", type=Path, default=Path("."), help="where to write it (default: here)"
    )
    init.add_argument(
        "--list", action="store_true", help="list the shipped scenarios and their stories"
    )


def _add_import(commands: Any) -> None:
    from simfunnel.io.vendors import FORMATS

    command = commands.add_parser(
        "import",
        help="turn a per-application ATS export into the requisition table `simfunnel fit` reads",
    )
    command.add_argument("export", help="the export: its folder (or file, for csv)")
    command.add_argument("--format", required=True, choices=FORMATS, help="the system it came from")
    command.add_argument(
        "--stage-map", help="YAML: stage name -> milestone, reason -> category (see --suggest)"
    )
    command.add_argument("--mapping", help="for --format csv: YAML naming your columns")
    command.add_argument(
        "--suggest",
        action="store_true",
        help="print a stage map proposed from the export's stage and reason names, and stop",
    )
    command.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/import_<export name>)"
    )
    _add_quiet(command)


def _add_export(commands: Any) -> None:
    from simfunnel.io.vendors import EXPORT_FORMATS

    command = commands.add_parser(
        "export", help="write a simulated funnel as an ATS would export it (per application)"
    )
    command.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    command.add_argument(
        "--scenario",
        default="baseline",
        help="what to simulate (default: %(default)s)",
    )
    command.add_argument(
        "--requisitions",
        type=_number(int, 1, 100_000, what="a whole number"),
        default=300,
        help="requisitions to simulate (default: %(default)s)",
    )
    command.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    command.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key first (repeatable)",
    )
    command.add_argument("--out", type=_out_folder, required=True, help="output folder")
    _add_quiet(command)


def _add_audit(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="bias audit of your per-application table: selection rates and impact ratios "
        "by group at every stage",
    )
    audit.add_argument("data", help="one row per application: .csv, .xlsx or .parquet")
    audit.add_argument(
        "--group",
        dest="groups",
        action="append",
        required=True,
        metavar="COLUMN",
        help="a group column to audit, e.g. gender (give two for their intersections)",
    )
    audit.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/audit_<data file name>)"
    )
    _add_quiet(audit)
    _add_formats(audit)


def _scenario_report(commands: Any, name: str, help: str, section: str, example: str) -> Any:
    """A command that simulates a scenario with ``section`` and reports on it: its
    config, --openings, --seed and --set (the caller adds the rest)."""
    command = commands.add_parser(name, help=help)
    command.add_argument("config", help=f"scenario YAML with a {section} section")
    command.add_argument(
        "--openings",
        type=_positive_int,
        help="openings simulated (whole thousands; default: the config's)",
    )
    command.add_argument("--seed", type=_seed, help="random seed (default: the scenario's)")
    command.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a scenario key, e.g. {example} (repeatable): a what-if",
    )
    return command


def _add_groups(commands: Any) -> None:
    groups = _scenario_report(
        commands,
        "groups",
        "who loses, by group: selection rates and impact ratios at every stage of a "
        "scenario with groups:, and which mechanism causes the gap",
        "groups:",
        "groups.ethnicity.minority.interview=-0.23",
    )
    groups.add_argument(
        "--attribution-openings",
        type=_number(int, 0, what="a whole number"),
        default=20_000,
        help="openings per removal for the attribution, 0 to skip it (default: %(default)s)",
    )
    groups.add_argument(
        "--audit-openings",
        type=_positive_int,
        metavar="N",
        help="what an audit of N openings would see: the impact ratio's spread and the power "
        "of Fisher's and the z test",
    )
    groups.add_argument(
        "--frontier",
        action="store_true",
        help="also sweep screening and interview designs: hire value against impact ratio",
    )
    groups.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/groups_<name>)"
    )
    _add_quiet(groups)
    _add_formats(groups)


def _add_sources(commands: Any) -> None:
    sources = _scenario_report(
        commands,
        "sources",
        "where hires come from: each source's screen pass rate and hires per applicant "
        "in a scenario with sources:",
        "sources:",
        "sources.referred.screen=0.8",
    )
    sources.add_argument(
        "--out", type=_out_folder, help="output folder (default: results/sources_<name>)"
    )
    _add_quiet(sources)
    _add_formats(sources)


def _add_fit_applications(commands: Any) -> None:
    command = commands.add_parser(
        "fit-applications",
        help="fit interview validity, presence share and risk aversion to an application table",
    )
    command.add_argument("applications", help="the applications.csv of simfunnel import")
    command.add_argument(
        "--scenario",
        required=True,
        help="everything else: the fitted.yaml of simfunnel fit on the same export",
    )
    command.add_argument(
        "--draws",
        type=_number(int, 20, 2000, what="a whole number"),
        default=100,
        help="bootstrap refits (default: %(default)s)",
    )
    command.add_argument("--seed", type=_seed, default=1, help="random seed (default: 1)")
    command.add_argument("--out", type=_out_folder, required=True, help="output folder")
    _add_quiet(command)


def _version() -> str:
    from simfunnel import __version__  # the package's, read when --version is asked for

    return __version__
