"""`logward replay FILE...`: old logs through the pipelines and rules, alerts out.

Correlation and first-time-seen state carries across all files. The files are read
together, as one log in time order: line by line, the earliest event next (within 64
lines of a file, as Kibana sorts by time; lines of one second in the order written); so the
logs of several hosts correlate as they would live (a login on one host after failures on
another). Files that start at the same time are read
oldest first by modification time (`auth.log*` lists auth.log before auth.log.1, the wrong
way). A year-less timestamp takes its year from the file's modification time (the log was
written before it), or from --reference-time. Lines no parser knows are counted and
reported, never lost.
The text output ends with a summary: which sources brute-forced which host, whether a
login then succeeded, and what that user did next with su, sudo and accounts. Text from the
logs is printed with its control characters escaped (\\x1b, \\t).

Files may be gzipped, bzip2ed or xz-compressed, as logrotate leaves them; a journal export
may be `journalctl -o json` or `-o json-pretty`.
Exit status: 0 when every file was read to its end; 3 when a file broke off (a truncated
or corrupt archive): the alerts of the lines read before the break are still printed; 1
when a file cannot be opened or is compressed in a form not read (zstd, lz4, zip) or the
report cannot be written; 2 for bad options or content.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import sys
from bisect import insort
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NoReturn

from ..content.paths import rule_folders
from ..engine import PROBLEM_TAGS, Engine, own_time
from ..engine.detect.format import ossec_text
from ..engine.lines import counted, json_line, printable
from ..report.html import HtmlReport
from ..report.story import Story
from ..rules.limits import INSTANT, LEVEL, FieldError
from .logfiles import MAX_CHUNK, MIN_CHUNK, READ_AHEAD, LogFile, numbered_lines, open_all
from .options import add_timezone

# The exit status of a replay that lost the end of a file but printed what it read before.
BROKEN_OFF = 3
# Each file's lines are put in time order within this many lines (or REORDER_DOCS shared
# among the files, when thousands are read together).
REORDER, REORDER_DOCS = 64, 16_384


def add_parser(commands: Any, name: str) -> None:
    p = commands.add_parser(name, help="replay log files and print the alerts", description=__doc__)
    p.add_argument("files", nargs="+", metavar="FILE", help="log files ('-' for stdin)")
    p.add_argument("--json", action="store_true", help="alerts as JSON lines instead of OSSEC's text form")
    p.add_argument("--reference-time", metavar="ISO8601", type=_instant,
                   help="when the logs were shipped, as a time with its offset or a date (midnight UTC) "
                        "(default: each file's modification time)")
    add_timezone(p, per_file=True)
    p.add_argument("--min-level", type=_level, default=0, metavar="N",
                   help="only alerts of this level (0-15) or higher")
    p.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report (charts, brute force, "
                                                  "first-time privilege use, the alert list)")


def _instant(text: str) -> str:
    """An ISO 8601 instant with its offset, or a date (limits.INSTANT, as a test case's
    reference_time): the year of every year-less line is taken from it, so a bad one would
    lose every line."""
    try:
        return INSTANT.parse(text, "--reference-time")
    except FieldError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 time with an offset (2025-01-01T00:00:00Z) "
                                         "or a date") from None


def _level(text: str) -> int:
    try:
        return LEVEL.parse(int(text), "--min-level")
    except ValueError:  # not a number, or out of range (FieldError)
        raise argparse.ArgumentTypeError(f"{text!r} is not a level from {LEVEL.low} to {LEVEL.high}") from None


def _claim(path: str) -> bool:
    """Fail before a long replay, not after it, if its report cannot be written: the file is
    opened for writing (and left as it was). True if that created it, so that a replay that
    stops before writing the report takes it away again."""
    target = Path(path)
    if target.is_dir():
        raise SystemExit(f"logward replay: cannot write the report to {printable(path)}: it is a folder")
    existed = target.exists()
    try:
        with target.open("ab"):
            pass
    except OSError as e:
        raise SystemExit(f"logward replay: cannot write the report to {printable(path)}: {e.strerror or e}") from None
    return not existed


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
        out = [f"logward replay: {counted(self.lines, 'line')}, {counted(sum(self.alerts.values()), 'alert')}"]
        for rule_id, n in sorted(self.alerts.items()):
            out.append(f"  {n:7d}  {rule_id}  {self.titles[rule_id]}")
        for tag, n in sorted(self.problems.items()):
            out.append(f"  {counted(n, 'line')} tagged {tag} (first at {printable(self.first_problem[tag])})")
        return "\n".join(out) + "\n"


def _bad_option(message: str) -> NoReturn:
    """As argparse ends on a bad option: the message, and exit status 2."""
    print(f"logward replay: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _zones(given: list[tuple[str | None, str]], files: list[str]) -> dict[str, str | None]:
    """Each file's zone: its own (FILE=ZONE), else the one given for all, else None (UTC).
    Said twice, or for a file not replayed, is refused: one of them would be ignored."""
    said: dict[str | None, str] = {}
    for name, zone in given:
        if name in said and said[name] != zone:
            whose = f"for {printable(name)}" if name else "for all files"
            _bad_option(f"--timezone given twice {whose} ({said[name]}, {zone})")
        if name is not None and name not in files:
            _bad_option(f"--timezone {printable(name)}={zone}: {printable(name)} is not one of the files replayed "
                        "(name it as it is given)")
        said[name] = zone
    return {name: said.get(name, said.get(None)) for name in files}


def _documents(engine: Engine, index: int, log: LogFile, lines: Iterator[tuple[int, str | None]],
               window: int = REORDER, pause: Callable[[], None] = lambda: None,
               ) -> Iterator[tuple[float, int, int, str, dict[str, Any]]]:
    """A file's documents in time order, as Kibana sorts events by @timestamp, within
    `window` lines: each with its time, the file's place and the line's number, what
    heapq.merge orders by. A line dated ahead of the lines after it (a clock that jumped, a
    forged date) waits for its time, and holds back none of them; one dated behind comes at
    once; lines of the same time keep the order they were written in. A line with no time
    of its own (its header did not parse: @timestamp is when it was shipped, or read from
    stdin) takes the time of the line before it, so it stays where it was written."""
    held: list[tuple[float, int, int, str, dict[str, Any]]] = []  # by time, then line number
    time, name, created, zone = 0.0, log.name, log.shipped, log.zone
    for number, line in lines:
        if line is None:  # a live stream with nothing more yet: what it wrote is told now
            yield from held
            held.clear()
            pause()
            continue
        doc = engine.parse(line, created, zone)
        own = own_time(doc)
        if own is not None:
            time = own
        if not held or time >= held[-1][0]:
            held.append((time, index, number, name, doc))
        else:
            insort(held, (time, index, number, name, doc))
        if len(held) > window:
            yield held.pop(0)
    yield from held


def run(args: argparse.Namespace) -> int:
    created = _claim(args.html) if args.html else False
    try:
        return _replay(args)
    except BaseException:  # refused, interrupted or failed: no empty report left behind
        if created:
            Path(args.html).unlink(missing_ok=True)
        raise


def _replay(args: argparse.Namespace) -> int:
    engine = Engine.load(args.content, local=rule_folders(args.local_rules))
    # A replay makes millions of small, short-lived objects and no reference cycles to
    # speak of: keep the collector off the loaded content and rarely run it.
    gc.freeze()
    gc.set_threshold(100_000, 50, 100)
    out = sys.stdout.buffer
    summary = Summary({rule.id: rule.title for rule in engine.rules.rules})
    # The summary is told in the text output and the HTML report: --json alone has no use for it.
    story = Story() if not args.json or args.html else None
    title = f"Logward replay of {', '.join(Path(f).name for f in args.files)}"
    report = HtmlReport(title, story) if args.html else None
    broken: list[str] = []
    write, counts, min_level, as_json = out.write, summary.alerts, args.min_level, args.json
    zones = _zones(args.timezone, args.files)
    with ExitStack() as opened:
        logs = open_all(args.files, args.reference_time, zones, opened)
        # Each file holds a chunk of its text while the others catch up: READ_AHEAD in all.
        chunk = max(MIN_CHUNK, min(MAX_CHUNK, READ_AHEAD // len(logs)))
        merged = len(logs) > 1
        window = max(4, min(REORDER, REORDER_DOCS // len(logs)))
        files = [_documents(engine, i, log, numbered_lines(log, broken, chunk), window, out.flush)
                 for i, log in enumerate(logs)]
        for _, _, number, name, doc in heapq.merge(*files) if merged else files[0]:
            alerts = engine.detector.process(doc)
            summary.note(doc, name, number)
            if story is not None:
                story.add(doc, alerts)
            if report is not None:
                report.add(doc, [a for a in alerts if a.rule.level >= min_level])
            for alert in alerts:
                rule = alert.rule
                if rule.level < min_level:
                    continue
                counts[rule.id] += 1
                if as_json:
                    record = alert.to_json()
                    record["log"] = {"file": {"path": name}}  # ECS's; and the line, which ECS has no field for
                    record["logward"] = {"line": number}
                    write(json_line(record))
                else:
                    write(ossec_text(alert, name).encode("utf-8", errors="replace") + b"\n")
    if story is not None and not args.json:
        # The story is report/story.py's plain text; the names in it come from the logs.
        text = "".join(printable(line) + "\n" for line in story.lines())
        out.write(text.encode("utf-8", errors="replace"))
    out.flush()
    sys.stderr.write(summary.report())
    if report is not None:
        try:
            report.write(args.html)
        except OSError as e:
            raise SystemExit(f"logward replay: cannot write the report to {printable(args.html)}: "
                             f"{e.strerror or e}") from None
        sys.stderr.write(f"logward replay: wrote {printable(args.html)}\n")
    if broken:
        sys.stderr.write(f"logward replay: lines were lost where {', '.join(map(printable, broken))} broke off "
                         f"(exit status {BROKEN_OFF})\n")
        return BROKEN_OFF
    return 0
