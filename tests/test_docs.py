"""The documentation site: it builds with --strict, and every example in it works.

- ``mkdocs build --strict`` (broken links, missing pages and bad docstrings fail it);
- every ```python block of a how-to page runs, the blocks of a page in one namespace,
  top to bottom, as a reader would paste them;
- every ```bash ``simfunnel ...`` line in the docs parses with the CLI's own parser,
  and those of the how-to pages run (with few openings);
- the example scenarios load and run; the generated pages match their generators.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import simfunnel as sf
from simfunnel.cli import main
from simfunnel.cli.commands import keys_markdown
from simfunnel.cli.parser import build_parser

from .conftest import ROOT

DOCS = ROOT / "docs"
HOWTOS = sorted((DOCS / "howto").glob("*.md"))
FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# Subcommands whose run can be made small with --openings (validate and keys cannot), and
# those whose charts (drawn and checked in test_charts.py) can be skipped with --formats none.
SMALL = {"run": "1000", "compare": "1000", "sweep": "500", "sensitivity": "300", "deck": "1000"}
SMALL["groups"] = "1000"
NO_CHARTS = {"run", "compare", "sweep", "sensitivity", "groups"}
# More flags that make a command small: its replays' openings.
SMALLER = {
    "groups": ["--attribution-openings", "1000"],
    "fit": ["--draws", "50"],  # the fewest bootstrap refits fit takes (the pages say 100)
    "fit-applications": ["--draws", "20"],
}


def blocks(page: Path, language: str) -> list[str]:
    return [code for lang, code in FENCE.findall(page.read_text()) if lang == language]


def simfunnel_commands(page: Path) -> list[list[str]]:
    """The ``simfunnel`` commands of a page's bash blocks, as argument lists (without the
    program), including those chained with ``&&`` after an install."""
    commands = []
    for code in blocks(page, "bash"):
        for line in code.splitlines():
            for part in line.split("&&"):
                words = shlex.split(part, comments=True)
                # A redirect or a pipe is the shell's, not the command's.
                cut = next((i for i, w in enumerate(words) if w in {">", ">>", "|"}), None)
                words = words[:cut]
                if words and Path(words[0]).name == "simfunnel":
                    commands.append(words[1:])
    return commands


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder with the repository's examples/ as the cwd (the shipped
    scenarios are reached by name, from any folder)."""
    for folder in ("examples",):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


@pytest.mark.skipif(
    not _installed("mkdocs", "material", "mkdocstrings", "mkdocstrings_handlers.python"),
    reason="needs the docs extra: pip install -e '.[docs]' (in dev)",
)
def test_the_site_builds_with_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    # The API reference is rendered from the docstrings, not left as ':::' lines.
    running = (site / "api" / "running" / "index.html").read_text()
    assert "simfunnel.simulate" in running and "Parameters" in running
    assert ":::" not in running
    for page in (site / "api").rglob("index.html"):  # Sphinx roles shown as code (the hook)
        assert not re.search(r":(func|class|meth|mod|attr|data):<code>", page.read_text()), page
    outputs = (site / "api" / "outputs" / "index.html").read_text()
    assert all(name in outputs for name in ("Funnel", "LossReasons", "Differences", "to_df"))
    # The how-to shows the real example file, included when the site is built.
    scenario = (site / "howto" / "scenario" / "index.html").read_text()
    assert "affinity_weight" in scenario and "--8&lt;--" not in scenario
    assert (site / "gallery" / "index.html").exists() and (site / "funnel.png").exists()


def test_the_how_tos_have_examples() -> None:
    names = {page.stem for page in HOWTOS}
    assert names >= {"scenario", "compare", "sweep", "talk"}
    for page in HOWTOS:
        assert blocks(page, "python"), f"{page.name} has no Python example"
        assert simfunnel_commands(page), f"{page.name} has no command-line example"


@pytest.mark.parametrize("page", HOWTOS, ids=lambda p: p.stem)
def test_every_python_example_of_a_how_to_runs(page: Path, workspace: Path) -> None:
    if page.stem == "talk":
        pytest.importorskip("pptx")
    namespace: dict = {"__name__": f"docs_{page.stem}"}
    try:
        for number, code in enumerate(blocks(page, "python"), start=1):
            try:
                exec(compile(code, f"{page.name} block {number}", "exec"), namespace)
            except Exception as exc:
                raise AssertionError(f"{page.name}, Python block {number} failed: {exc!r}") from exc
    finally:
        plt.close("all")


def test_every_command_in_the_docs_parses() -> None:
    pages = sorted(DOCS.rglob("*.md"))
    commands = [(page, c) for page in pages for c in simfunnel_commands(page)]
    assert len(commands) >= 10
    parser = build_parser()
    for page, command in commands:
        try:
            parser.parse_args(command)
        except SystemExit as exc:
            raise AssertionError(f"{page.name}: simfunnel {shlex.join(command)}") from exc


@pytest.mark.slow
@pytest.mark.parametrize("page", HOWTOS, ids=lambda p: p.stem)
def test_every_command_of_a_how_to_runs(
    page: Path, workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if page.stem == "talk":
        pytest.importorskip("pptx")
    for command in simfunnel_commands(page):
        small = [*command, "--openings", SMALL[command[0]]] if command[0] in SMALL else command
        small += ["--formats", "none"] if command[0] in NO_CHARTS else []
        small += SMALLER.get(command[0], [])
        code = main(small)
        _, err = capsys.readouterr()
        assert code == 0, f"simfunnel {shlex.join(small)}: {err}"


def test_the_example_scenarios_load_and_run() -> None:
    startup = sf.load_scenario(ROOT / "examples" / "startup.yaml")
    structured = sf.load_scenario(ROOT / "examples" / "startup_structured.yaml")
    # extends: only the interview validity differs, everything else comes from startup.yaml.
    assert structured.interview.validity == 0.42
    mine, inherited = startup.to_dict(), structured.to_dict()
    for keys in (mine, inherited):
        del keys["name"], keys["description"], keys["interview"]["validity"]
    assert inherited == mine
    result = sf.simulate(startup, 2_000, seed=1)
    summary = result.summary()
    assert summary.loc["applicants_per_opening", "value"] == 40  # {low: 40, high: 40}
    assert summary.loc["internal_share_of_hires", "value"] == 0  # no internal contenders
    losses = result.loss_reasons("sequential").set_index("reason")["share"]
    assert losses.idxmax() == "culture_mirror"  # what a strong affinity weight does


def test_the_gallery_shows_every_chart_of_the_docs_with_its_finding() -> None:
    """Every chart scripts/make_docs_charts.py draws (and the README shows) is in the
    gallery, under the finding its title states."""
    spec = importlib.util.spec_from_file_location(
        "docs_charts", ROOT / "scripts/make_docs_charts.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    gallery = (DOCS / "gallery.md").read_text()
    shown = re.findall(r"!\[(.+?)\]\((\w+)\.png\)", gallery)
    stems = [stem for _, stem in shown]
    assert sorted(stems) == sorted(script.CAPTIONS)
    assert all((DOCS / f"{stem}.png").is_file() for stem in stems)
    readme_charts = re.findall(r"\]\(docs/(\w+)\.png\)", (ROOT / "README.md").read_text())
    screenshots = {"explorer_app"}  # a picture of the web page, not a chart
    assert set(readme_charts) - screenshots <= set(stems)
    headings = re.findall(r"^## (.+)$", gallery, re.MULTILINE)
    assert headings == [finding for finding, _ in shown]  # each chart under its finding
    for stem, caption in script.CAPTIONS.items():
        assert caption in gallery, stem


def test_the_generated_pages_match_their_generators() -> None:
    assert (DOCS / "keys.md").read_text() == keys_markdown(), (
        "run: simfunnel keys --markdown > docs/keys.md"
    )
    # docs/glossary.md: tests/test_metrics.py


def test_the_files_the_readme_links_to_are_still_there() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = set(re.findall(r"\]\((docs/[^)#]+)\)", readme))
    assert {"docs/MODEL.md", "docs/glossary.md", "docs/funnel.png"} <= linked
    assert all((ROOT / path).is_file() for path in linked)


def _fenced(text: str, language: str = "") -> list[str]:
    return [
        code
        for lang, code in re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)
        if lang == language
    ]


def test_the_readme_is_a_front_page_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200  # a front page, read in five minutes
    commands = [code.strip() for code in _fenced(readme, "bash")[:2]]
    # The first runs the baseline from a fresh install; the second is the test command
    # CI runs (.ci/run: pip install -e ".[dev]", then .venv/bin/python -m pytest).
    assert commands[0].endswith(".venv/bin/simfunnel run baseline")
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert commands[1] == ci.replace("pip install -q ", "pip install ")  # -q: CI's quiet log
    assert 'pip install -q -e ".[dev]"' in ci and ci.endswith(".venv/bin/python -m pytest")
    # Every shipped scenario is in the table, by the name that runs it.
    from simfunnel.io.shipped import shipped_names

    for name in shipped_names():
        assert f"| `{name}` |" in readme, name
    # The files a newcomer looks for beside the README.
    for name in ("LICENSE", "CONTRIBUTING.md", "CHANGELOG.md", "CITATION.cff"):
        assert (ROOT / name).is_file() and f"]({name})" in readme, name
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text()


def test_the_readme_quick_start_is_what_the_command_prints(capsys) -> None:
    """The rows of the quick start's output are those `simfunnel run baseline` prints
    (a small run: the labels and their order, not the numbers)."""
    readme = (ROOT / "README.md").read_text()
    transcript = next(
        code for code in _fenced(readme, "console") if code.startswith("$ simfunnel run baseline\n")
    )
    shown = transcript.split("\n", 1)[1]  # what it printed, after the command
    from simfunnel.present.report import format_result

    printed = format_result(sf.simulate(sf.load_scenario("baseline"), 2_000, seed=1))

    def labels(text: str) -> list[str]:
        return [
            re.split(r"\s{2,}", line.strip())[0]
            for line in text.splitlines()
            if line.startswith("  ") and not line.strip().startswith("(")
        ]

    assert labels(shown) == labels(printed)
    assert shown.splitlines()[1:3] == printed.splitlines()[1:3]  # the story and interviews
    assert "Wrote results/baseline/:" in shown


def test_the_moved_sections_have_a_home_in_the_site() -> None:
    """What left the README (validation, performance, reference, development) lives in
    docs pages that are in the site's navigation."""
    nav = (ROOT / "mkdocs.yml").read_text()
    homes = {
        "validation.md": [
            "| Published figure | Row |",
            "coverage",
            "mutation.py",
            "fit_recovery.py",
        ],
        "performance.md": ["benchmarks/run.py", "benchmarks/memory.py", "openings/s"],
        "reference.md": ["## Exit codes", "| 3 |", "at most 1 MiB", "Where the model needed"],
        "contributing.md": [".venv/bin/python -m pytest", "update_golden.py", "ruff check"],
    }
    for page, phrases in homes.items():
        text = (DOCS / page).read_text()
        assert f": {page}" in nav, page
        for phrase in phrases:
            assert phrase in text, (page, phrase)
