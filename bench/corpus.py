"""The benchmark corpus: OpenSSH_2k.log (loghub) repeated, each copy a day later.

Shifting the dates keeps time moving forward, as in a real log, so correlation windows
open and close as they would; the messages themselves are loghub's, unchanged.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from tests.shared import shared_root

SOURCE = shared_root() / "corpora" / "loghub" / "OpenSSH_2k.log"
_STAMP = re.compile(r"^([A-Z][a-z]{2}) +(\d{1,2}) ")


def build(target: Path, lines: int = 200_000, source: Path = SOURCE) -> Path:
    """Write at least `lines` lines to `target` (reusing it if already built)."""
    base = source.read_text(encoding="utf-8").splitlines()
    copies = -(-lines // len(base))
    if target.exists() and sum(1 for _ in target.open("rb")) >= lines:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8") as out:
        for k in range(copies):
            for line in base:
                m = _STAMP.match(line)
                if not m:
                    out.write(line + "\n")
                    continue
                day = datetime.strptime(f"2001 {m.group(1)} {m.group(2)}", "%Y %b %d") + timedelta(days=k)
                out.write(f"{day:%b} {day.day:2d} {line[m.end():]}\n")
    return target
