"""Keep every command transcript in the README and the docs true to the command.

A transcript is a fenced block marked ``console`` whose first line is
``$ simfunnel ...``; the rest is what that command prints. This script re-runs
each one (in a scratch folder that sees the repository's ``configs/`` and
``examples/``) and rewrites the block with what the command prints now::

    python scripts/transcripts.py            # rewrite every transcript in place
    python scripts/transcripts.py --check    # exit 1 naming each stale one

``tests/test_stale.py`` runs the check, so a number quoted from a command's output
cannot go stale. Only the run time ("simulated in 2.2 s") may differ.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("README.md", "docs/**/*.md")
_BLOCK = re.compile(r"^```console\n(\$ simfunnel [^\n]*)\n(.*?)^```$", re.M | re.S)
_TIMING = re.compile(r"in \d+(?:\.\d+)? s\b")


@dataclass(frozen=True)
class Transcript:
    path: Path
    command: str
    shown: str
    span: tuple[int, int]


def transcripts() -> list[Transcript]:
    """Every transcript of the README and the docs, in page order."""
    found = []
    for pattern in PAGES:
        for path in sorted(ROOT.glob(pattern)):
            text = path.read_text()
            for match in _BLOCK.finditer(text):
                found.append(Transcript(path, match[1][2:], match[2], match.span(2)))
    return found


def run(command: str) -> str:
    """What ``command`` prints now (stdout then stderr), paths shown relative."""
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("configs", "examples"):
            os.symlink(ROOT / name, Path(scratch) / name)
        argv = [sys.executable, "-m", "simfunnel", *shlex.split(command)[1:]]
        done = subprocess.run(
            argv, cwd=scratch, capture_output=True, text=True, timeout=600,
            env={**os.environ, "COLUMNS": "100"},
        )  # fmt: skip
        printed = done.stdout + done.stderr
        printed = printed.replace(str(Path(scratch).resolve()) + "/", "").replace(scratch + "/", "")
        return "\n".join(line.rstrip() for line in printed.splitlines())


def same(shown: str, printed: str) -> bool:
    """Equal but for the run time and trailing spaces."""

    def normal(text: str) -> str:
        return _TIMING.sub("in … s", "\n".join(line.rstrip() for line in text.strip().splitlines()))

    return normal(shown) == normal(printed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale ones, change nothing")
    args = parser.parse_args(argv)
    stale = 0
    by_page: dict[Path, list[tuple[Transcript, str]]] = {}
    for transcript in transcripts():
        printed = run(transcript.command)
        if not same(transcript.shown, printed):
            stale += 1
            print(f"{transcript.path.relative_to(ROOT)}: stale: {transcript.command}")
        by_page.setdefault(transcript.path, []).append((transcript, printed))
    if not args.check:
        for path, pairs in by_page.items():
            text = path.read_text()
            for transcript, printed in reversed(pairs):
                start, end = transcript.span
                text = text[:start] + printed.rstrip("\n") + "\n" + text[end:]
            path.write_text(text)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
