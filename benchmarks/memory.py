"""Peak memory of whole CLI commands, workers included.

Run from the repository root::

    python benchmarks/memory.py            # 10^5, 10^6, 10^7 openings and --sobol 64
    python benchmarks/memory.py --quick    # 10^4, 10^5, 10^6 openings and --sobol 4

Each case is a fresh ``simfunnel`` process (``--formats none`` into a temporary
folder). Its process tree (the CLI and every worker it starts) is sampled with
psutil every ``--interval`` seconds:

* ``tree RSS``: the largest sum of resident memory over the tree. Pages that
  forked workers share with their parent are counted once per process, so this
  is an upper bound (what a naive monitor or a cgroup-less ``ps`` sum reports).
* ``tree PSS``: the same with shared pages split between the processes sharing
  them (Linux only): the fairest figure for "how much RAM does the command use".
* ``max process``: the kernel's own peak RSS of the single largest process of
  the tree (``wait4`` rusage of the CLI, which includes the workers it waited
  for); exact, unlike sampling, but not a sum.

Sampling can miss a spike shorter than the interval; ``max process`` cannot.
Not part of the pytest suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

try:
    import psutil
except ImportError:  # a dev dependency: say so in one line
    raise SystemExit("benchmarks/memory.py needs psutil: pip install -e '.[dev]'") from None

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "simfunnel" / "scenarios" / "baseline.yaml"
MIB = 2**20
GIB = 2**30


@dataclass
class Case:
    name: str
    arguments: list[str]  # after `simfunnel`; --formats and --out are added


@dataclass
class Measure:
    case: str
    seconds: float
    tree_rss: int  # bytes
    tree_pss: int  # bytes; 0 where PSS is unavailable
    max_process: int  # bytes
    processes: int  # most processes alive at once
    exit_code: int
    error: str


def cases(quick: bool, sobol: int | None, workers: int | None) -> list[Case]:
    sizes = (10**4, 10**5, 10**6) if quick else (10**5, 10**6, 10**7)
    samples = sobol or (4 if quick else 64)
    extra = [] if workers is None else ["--workers", str(workers)]
    found = [
        Case(
            f"run {n:.0e} openings", ["run", str(BASELINE), "--openings", str(n), "--quiet", *extra]
        )
        for n in sizes
    ]
    sensitivity = ["sensitivity", str(BASELINE), "--sobol", str(samples), *extra]
    if quick:
        sensitivity += ["--openings", "2000"]
    found.append(Case(f"sensitivity --sobol {samples}", sensitivity))
    return found


def _tree(process: psutil.Process) -> list[psutil.Process]:
    try:
        return [process, *process.children(recursive=True)]
    except psutil.Error:
        return []


def _sample(processes: list[psutil.Process], pss: bool) -> tuple[int, int]:
    rss = proportional = 0
    for process in processes:
        try:
            if pss:
                info = process.memory_full_info()
                rss += info.rss
                proportional += getattr(info, "pss", 0)
            else:
                rss += process.memory_info().rss
        except psutil.Error:  # ended between listing and reading
            continue
    return rss, proportional


def measure(case: Case, interval: float, timeout: float) -> Measure:
    with tempfile.TemporaryDirectory(prefix="simfunnel-memory-") as folder:
        command = [
            sys.executable,
            "-m",
            "simfunnel.cli",
            *case.arguments,
            "--formats",
            "none",
            "--out",
            str(Path(folder) / "out"),
        ]
        started = time.perf_counter()
        # stderr to a file, not a pipe: a pipe read only at the end fills with
        # progress bars and blocks the command.
        log = open(Path(folder) / "stderr.txt", "w+")  # noqa: SIM115 - closed below
        child = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL, stderr=log)
        root = psutil.Process(child.pid)
        peak = {"rss": 0, "pss": 0, "processes": 0}
        stop = threading.Event()
        pss = sys.platform.startswith("linux")

        def sample() -> None:
            while not stop.is_set():
                tree = _tree(root)
                rss, proportional = _sample(tree, pss)
                peak["rss"] = max(peak["rss"], rss)
                peak["pss"] = max(peak["pss"], proportional)
                peak["processes"] = max(peak["processes"], len(tree))
                stop.wait(interval)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        # wait4, not Popen.wait: it returns the child's rusage (its peak RSS, and
        # that of the workers it waited for), exact where sampling is not.
        deadline = time.monotonic() + timeout
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                child.kill()
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        stop.set()
        sampler.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        error = [line for line in log.read().splitlines() if line.strip()]
        log.close()
    scale = 1024 if sys.platform.startswith("linux") else 1  # ru_maxrss: KiB on Linux
    return Measure(
        case.name,
        elapsed,
        peak["rss"],
        peak["pss"],
        usage.ru_maxrss * scale,
        peak["processes"],
        child.returncode,
        error[-1] if child.returncode and error else "",
    )


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "simfunnel")
    return head + (" + uncommitted changes in simfunnel/" if dirty else "")


def table(measures: list[Measure]) -> str:
    header = ("case", "seconds", "tree RSS MiB", "tree PSS MiB", "max process MiB", "procs", "exit")
    rows = [
        (
            m.case,
            f"{m.seconds:.1f}",
            f"{m.tree_rss / MIB:.0f}",
            f"{m.tree_pss / MIB:.0f}" if m.tree_pss else "n/a",
            f"{m.max_process / MIB:.0f}",
            str(m.processes),
            str(m.exit_code) + (f" ({m.error})" if m.error else ""),
        )
        for m in measures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^4..10^6 openings, --sobol 4")
    parser.add_argument("--sobol", type=int, help="Saltelli samples (default 64; quick 4)")
    parser.add_argument("--workers", type=int, help="passed to every command (default: theirs)")
    parser.add_argument("--only", help="run only the cases whose name contains this")
    parser.add_argument("--interval", type=float, default=0.1, help="sampling period, seconds")
    parser.add_argument("--timeout", type=float, default=3600, help="per case, seconds")
    args = parser.parse_args(argv)
    print(f"simfunnel at {commit()}; {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}")
    print(f"RAM {psutil.virtual_memory().total / GIB:.1f} GiB; target: every case < 1 GiB\n")
    measures = []
    for case in cases(args.quick, args.sobol, args.workers):
        if args.only and args.only not in case.name:
            continue
        print(f"... {case.name}", flush=True)
        measures.append(measure(case, args.interval, args.timeout))
        print(table(measures[-1:]).splitlines()[-1], flush=True)
    print()
    print(table(measures))
    print(f"\nload at end {os.getloadavg()[0]:.2f}")
    return 0 if all(m.exit_code == 0 for m in measures) else 1


if __name__ == "__main__":
    sys.exit(main())
