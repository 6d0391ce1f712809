"""Lines forged to make the parsers' patterns backtrack, and the slowest of them.

A local user can write anything to auth.log (`logger -t sshd ...`). A pattern with two
open-ended parts (`%{DATA} for %{USER}`) can take time growing with the square of a line's
length when a line repeats the words between them and then fails to match. Each line of
every pipeline fixture is pumped up to the 16 KiB a line may have: a run of one to RUN
of its words repeated, with and without the rest of the line after it; and a run of
spaces inside a word or after it, before a word of text, with the rest of the line. Each is parsed
twice and the second time counts, so the code compiled on first use is not measured.
Each is also sent as a journal entry whose message ends in a newline, which only the
journal can carry, and which stops the patterns' open-ended parts short of the end.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

from logward.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
LENGTH = 16_000
RUN = 6  # the longest run of words repeated ("; USER=x ; ENV= ;" is five)
CREATED = "2025-06-01T00:00:00.000Z"


# Lines no program writes, with sudo's fields out of their order, so that pumping them
# repeats fields after an early COMMAND= (the fixtures have it last).
OUT_OF_ORDER = [
    "Mar  2 10:00:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/ ; COMMAND=/bin/id ; USER=root ; ENV=A=1 ; USER=root",
    "Mar  2 10:00:00 web-1 sudo:    alice : user NOT in sudoers ; TTY=pts/0 ; PWD=/ ; COMMAND=/bin/id ; USER=root ; "
    "GROUP=x ; ENV=A=1",
]


def _samples() -> list[str]:
    found: set[str] = set(OUT_OF_ORDER)
    for fixture in sorted((ROOT / "pipelines").glob("*/test-*.log")):
        for line in fixture.read_text(encoding="utf-8", errors="replace").splitlines():
            if line and not line.startswith("{") and len(line) < 400:  # journal entries are JSON
                found.add(line)
    return sorted(found)


def forged(line: str) -> Iterator[str]:
    head, colon, message = line.partition(": ")
    words = message.split(" ")
    for i in range(len(words)):
        before = head + colon + "".join(w + " " for w in words[:i])
        for j in range(i + 1, min(i + RUN + 1, len(words) + 1)):
            run = " ".join(words[i:j]) + " "
            pumped = before + run * ((LENGTH - len(before)) // len(run))
            yield pumped
            yield pumped + " ".join(words[j:])
        # Spaces, inside a field written by the attacker ("user=a      b") or after it.
        spaces = " " * (LENGTH - len(line))
        yield before + words[i][:1] + spaces + words[i][1:] + "".join(" " + w for w in words[i + 1:])
        yield before + words[i] + spaces + "x" + "".join(" " + w for w in words[i + 1:])


def journal(line: str) -> str:
    """The line as a journal entry (journalctl -o json) whose message ends in a newline."""
    head, _, message = line.partition(": ")
    program = head.rsplit(" ", 1)[-1].partition("[")[0]
    return json.dumps({"__REALTIME_TIMESTAMP": "1740909600000000", "_HOSTNAME": "web-1", "_PID": "4242",
                       "SYSLOG_IDENTIFIER": program, "MESSAGE": message + "\n"})


def slowest(engine: Engine | None = None) -> tuple[float, int, str]:
    """Seconds for the slowest forged line, how many were tried, and that line's start."""
    engine = engine or Engine.load()
    worst, tried, which = 0.0, 0, ""
    for line in _samples():
        for candidate in dict.fromkeys(c for f in forged(line) for c in (f, journal(f))):
            engine.parse(candidate, CREATED)
            start = time.perf_counter()
            engine.parse(candidate, CREATED)
            elapsed = time.perf_counter() - start
            tried += 1
            if elapsed > worst:
                worst, which = elapsed, candidate[:80]
    return worst, tried, which
