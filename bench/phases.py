"""Where replay's time goes: start-up, then per line parsing, rule matching and output.

Runs the same steps as `logward replay` in this process, timing each step of each line,
so the benchmark's lines/s comes with the breakdown that says what to work on next.
"""

from __future__ import annotations

import gc
import time
from pathlib import Path

from logward.engine import Engine
from logward.engine.detect.format import ossec_text
from logward.engine.lines import iter_lines
from logward.report.story import Story

CREATED = "2025-06-01T00:00:00.000Z"


def measure(path: Path) -> dict[str, float]:
    """Seconds of start-up, and microseconds per line for each step."""
    clock = time.perf_counter_ns
    start = clock()
    engine = Engine.load()
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    startup = clock() - start
    story = Story()
    parse = detect = output = 0
    lines = 0
    with path.open("rb") as stream:
        for line in iter_lines(stream):
            t0 = clock()
            doc = engine.parse(line, CREATED)
            t1 = clock()
            alerts = engine.detector.process(doc)
            t2 = clock()
            story.add(doc, alerts)
            for alert in alerts:
                ossec_text(alert, str(path)).encode()
            output += clock() - t2
            parse += t1 - t0
            detect += t2 - t1
            lines += 1
    return {"start-up s": startup / 1e9, "parse": parse / lines / 1000, "detect": detect / lines / 1000,
            "output": output / lines / 1000}
