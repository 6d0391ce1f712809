"""`make bench`: the embedded engine's replay speed and peak memory, on one core.

Builds the corpus (OpenSSH_2k.log repeated to 200,000 lines, see corpus.py), then runs
`logward replay` on it in a child process pinned to one CPU, several times, and prints
lines per second (best and median run, whole command including start-up) and the child's
peak resident memory, then where the time goes (phases.py), and the slowest of the lines
forged to make the patterns backtrack (backtracking.py). The target is 60,000 lines/s.
On a fresh machine the first run also fills the compiled-regex cache (see README), as a
user's first replay does; the runs after it start from the cache.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import backtracking, corpus, phases

ROOT = Path(__file__).resolve().parents[1]
TARGET_LINES_PER_SECOND = 60_000


def run_once(path: Path, lines: int, extra: list[str]) -> tuple[float, int]:
    command = [sys.executable, "-m", "logward", "replay", "--reference-time", "2025-06-01T00:00:00Z", *extra, str(path)]
    if shutil.which("taskset"):
        # One core: the last one, which on small virtual machines is the one the host
        # disturbs least (the first takes most interrupts).
        command = ["taskset", "-c", str(max(os.sched_getaffinity(0))), *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        subprocess.run(command, stdout=sink, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    elapsed = time.perf_counter() - start
    peak_kib = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return lines / elapsed, peak_kib


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="bench the JSON output instead of OSSEC text")
    args = parser.parse_args()
    path = corpus.build(ROOT / "build" / "bench" / f"openssh-{args.lines // 1000}k.log", args.lines)
    lines = sum(1 for _ in path.open("rb"))
    extra = ["--json"] if args.json else []
    results = [run_once(path, lines, extra) for _ in range(args.runs)]
    speeds = [speed for speed, _ in results]
    peak_mib = max(peak for _, peak in results) / 1024
    best, median = max(speeds), statistics.median(speeds)
    verdict = "meets" if best >= TARGET_LINES_PER_SECOND else "misses"
    print(f"replay ({'json' if args.json else 'ossec text'}) on {lines:,} lines, one core, {args.runs} runs:")
    target = f"{verdict} the {TARGET_LINES_PER_SECOND:,} target"
    print(f"  best {best:,.0f} lines/s, median {median:,.0f} lines/s ({target})")
    print(f"  peak RSS {peak_mib:.0f} MiB")
    steps = phases.measure(path)
    print(f"  start-up {steps.pop('start-up s'):.2f} s; per line: "
          + ", ".join(f"{name} {micros:.1f} µs" for name, micros in steps.items()))
    worst, tried, which = backtracking.slowest()
    print(f"  forged lines: slowest {worst * 1000:.0f} ms of {tried:,} ({backtracking.LENGTH // 1000} KiB each, "
          f"see backtracking.py): {which!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
