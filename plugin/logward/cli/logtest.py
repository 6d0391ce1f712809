"""`logward logtest`: lines on stdin, and for each what ossec-logtest shows in its three
phases: the pre-decoded header, the decoded fields, and the rules that fired (a level-0
rule that matched too, as OSSEC's "ignore": it raises no alert).

Blank lines are skipped, as ossec-logtest skips them: --json prints one object for each
line that is not blank. Text from the log is shown with its control characters escaped
(\\x1b, \\t), so a hostile line cannot take over the terminal."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

import orjson

from ..content.paths import rule_folders
from ..engine import Engine
from ..engine.detect import Alert
from ..engine.ingest import iso_time
from ..engine.lines import iter_lines, json_line, printable
from .options import add_timezone

HEADER = ("@timestamp", "host.hostname", "process.name", "process.pid", "message")


def add_parser(commands: Any, name: str) -> None:
    p = commands.add_parser(name, help="decode lines from stdin and show the rules they fire",
                            description=__doc__)
    p.add_argument("--json", action="store_true", help="one JSON object per input line (blank lines are skipped)")
    add_timezone(p)


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def shown(value: Any) -> str:
    """A value as ossec-logtest prints one: text quoted, numbers bare, lists readable."""
    if isinstance(value, str):
        return f"'{printable(value)}'"
    if value is None or isinstance(value, bool):
        return orjson.dumps(value).decode()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list | tuple):
        return f"[{', '.join(map(shown, value))}]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{printable(str(k))}: {shown(v)}" for k, v in value.items()) + "}"
    return f"'{printable(str(value))}'"


def rule_summary(alert: Alert) -> dict[str, Any]:
    rule = alert.rule
    # The id as replay --json and Wazuh's alerts write it (ECS rule.id is a keyword).
    summary = {"id": str(rule.id), "level": rule.level, "description": rule.title, "ossec": list(rule.ossec)}
    correlation = alert.correlation_json()
    if correlation is not None:  # as replay --json has it
        summary["correlation"] = correlation
    return summary


def _text(doc: dict[str, Any], alerts: list[Alert]) -> str:
    fields = flatten(doc)
    out = ["**Phase 1: Completed pre-decoding.", f"       full event: {shown(fields.get('event.original', ''))}"]
    out += [f"       {name}: {shown(fields[name])}" for name in HEADER if name in fields]
    out += ["", "**Phase 2: Completed decoding."]
    skip = set(HEADER) | {"event.original", "event.ingested", "event.created"}
    out += [f"       {printable(name)}: {shown(value)}" for name, value in sorted(fields.items()) if name not in skip]
    out += ["", "**Phase 3: Completed filtering (rules)."]
    if not alerts:
        out.append("       No rule fired.")
    for alert in alerts:
        summary = rule_summary(alert)
        out.append(f"       Rule id: '{summary['id']}'")
        out.append(f"       Level: '{summary['level']}'")
        out.append(f"       Description: {shown(summary['description'])}")
        if summary["ossec"]:
            out.append(f"       OSSEC/Wazuh: {', '.join(map(str, summary['ossec']))}")
        if "correlation" in summary:
            counted = summary["correlation"]
            key = ", ".join(f"{k}={printable(str(v))}" for k, v in counted["key"].items())
            out.append(f"       Correlated: {counted['count']} events with {key} since {counted['first']}")
    if any(a.rule.level >= 3 for a in alerts):
        out.append("**Alert to be generated.")
    return "\n".join(out) + "\n\n"


def run(args: argparse.Namespace) -> int:
    engine = Engine.load(args.content, keep_ignored=True, local=rule_folders(args.local_rules))
    out = sys.stdout.buffer
    for line in iter_lines(sys.stdin.buffer):
        if not line.strip():
            continue
        doc, alerts = engine.process(line, iso_time(time.time()), args.timezone)
        alerts = engine.ignored + alerts  # level-0 matches are shown, as ossec-logtest shows them
        if args.json:
            record = {"document": doc, "rules": [rule_summary(a) for a in alerts]}
            out.write(json_line(record))
        else:
            out.write(_text(doc, alerts).encode("utf-8", errors="replace"))
        out.flush()
    return 0
