"""`logward replay FILE...`: old logs through the pipelines and rules, alerts out.

Correlation and first-time-seen state carries across all files in order. A year-less
timestamp takes its year from the file's modification time (the log was written before
it), or from --reference-time. Lines no parser knows are counted and reported, never lost.
The text output ends with a summary: which sources brute-forced which host, whether a
login then succeeded, and what that user did next with su, sudo and accounts.
"""

from __future__ import annotations

import argparse
import gc
import gzip
import io
import os
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..engine import Engine
from ..engine.detect.format import ossec_text
from ..engine.ingest import iso_time
from ..engine.lines import iter_lines
from ..report.html import HtmlReport
from ..report.story import Story
from ..rules.limits import LEVEL

PROBLEM_TAGS = ("logward_unparsed", "logward_unknown_message", "logward_unknown_header", "logward_oversize",
                "logward_pipeline_error", "logward_engine_error")


def add_parser(commands: Any, name: str) -> None:
    p = commands.add_parser(name, help="replay log files and print the alerts", description=__doc__)
    p.add_argument("files", nargs="+", metavar="FILE", help="log files ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="alerts as JSON lines instead of OSSEC's text form")
    p.add_argument("--reference-time", metavar="ISO8601", type=_instant,
                   help="when the logs were shipped (default: each file's modification time)")
    p.add_argument("--min-level", type=_level, default=0, metavar="N",
                   help="only alerts of this level (0-15) or higher")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report (charts, brute force, "
                                                  "first-time privilege use, the alert list)")


def _instant(text: str) -> str:
    """An ISO 8601 instant with its offset, as event.created holds it: the year of every
    year-less line is taken from it, so a bad one would lose every line."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time with an offset (2025-01-01T00:00:00Z)")
    return iso_time(moment.timestamp())


def _level(text: str) -> int:
    try:
        return LEVEL.parse(int(text), "--min-level")
    except ValueError:  # not a number, or out of range (FieldError)
        raise argparse.ArgumentTypeError(f"{text!r} is not a level from {LEVEL.low} to {LEVEL.high}") from None


def _writable(path: str) -> None:
    """Fail before a long replay, not after it, if its report cannot be written."""
    target = Path(path)
    if target.is_dir() or not target.resolve().parent.is_dir():
        raise SystemExit(f"logward replay: cannot write the report to {path}: "
                         f"{'it is a folder' if target.is_dir() else 'no such folder'}")


class Summary:
    def __init__(self, titles: dict[int, str]) -> None:
        self.lines = 0
        self.problems: Counter[str] = Counter()
        self.first_problem: dict[str, str] = {}
        self.alerts: Counter[int] = Counter()  # by rule id
        self.titles = titles

    def note(self, doc: dict[str, Any], name: str, number: int) -> None:
        self.lines += 1
        for tag in doc.get("tags") or ():
            if tag in PROBLEM_TAGS:
                self.problems[tag] += 1
                self.first_problem.setdefault(tag, f"{name}:{number}")

    def report(self) -> str:
        out = [f"logward replay: {self.lines} lines, {sum(self.alerts.values())} alerts"]
        for rule_id, n in sorted(self.alerts.items()):
            out.append(f"  {n:7d}  {rule_id}  {self.titles[rule_id]}")
        for tag, n in sorted(self.problems.items()):
            out.append(f"  {n} lines tagged {tag} (first at {self.first_problem[tag]})")
        return "\n".join(out) + "\n"


def _sources(files: list[str], reference: str | None):
    for name in files:
        if name == "-":
            yield "<stdin>", _decompressed(sys.stdin.buffer), reference
            continue
        path = Path(name)
        try:
            handle = path.open("rb")
        except OSError as e:
            raise SystemExit(f"logward replay: cannot read {name}: {e.strerror}") from None
        with handle:
            yield name, _decompressed(handle), reference or iso_time(os.stat(path).st_mtime)


def _decompressed(stream: BinaryIO) -> BinaryIO:
    """Rotated logs are often gzipped (auth.log.2.gz): the text they hold."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
    return gzip.GzipFile(fileobj=buffered) if buffered.peek(2)[:2] == b"\x1f\x8b" else buffered


def _lines(name: str, stream: BinaryIO) -> Iterator[str]:
    """The file's lines; a file that breaks off (a truncated or corrupt .gz) is reported, and
    the replay goes on with every line read before the break, and with the next file."""
    try:
        yield from iter_lines(stream)
    except (OSError, EOFError, zlib.error) as e:
        sys.stderr.write(f"logward replay: {name}: stopped reading: {e}\n")


def run(args: argparse.Namespace) -> int:
    if args.html:
        _writable(args.html)
    engine = Engine.load(args.content)
    # A replay makes millions of small, short-lived objects and no reference cycles to
    # speak of: keep the collector off the loaded content and rarely run it.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    out = sys.stdout.buffer
    summary = Summary({rule.id: rule.title for rule in engine.rules.rules})
    story = Story()
    title = f"Logward replay of {', '.join(Path(f).name for f in args.files)}"
    report = HtmlReport(title, story) if args.html else None
    write, counts, min_level, as_json = out.write, summary.alerts, args.min_level, args.json
    for name, stream, created in _sources(args.files, args.reference_time):
        for number, line in enumerate(_lines(name, stream), 1):
            doc, alerts = engine.process(line, created)
            summary.note(doc, name, number)
            story.add(doc, alerts)
            if report is not None:
                report.add(doc, [a for a in alerts if a.rule.level >= min_level])
            for alert in alerts:
                rule = alert.rule
                if rule.level < min_level:
                    continue
                counts[rule.id] += 1
                if as_json:
                    write(orjson.dumps(alert.to_json()) + b"\n")
                else:
                    write(ossec_text(alert, name).encode("utf-8", errors="replace") + b"\n")
    if not args.json:
        out.write(story.text().encode())
    out.flush()
    sys.stderr.write(summary.report())
    if report is not None:
        report.write(args.html)
        sys.stderr.write(f"logward replay: wrote {args.html}\n")
    return 0
