"""Alerts as OSSEC writes them to alerts.log, so analysts and their tools read them as usual.

Everything taken from the log (user names, hosts, the line itself) goes through `printable`:
the text is read on terminals, and the log's writer may be the attacker."""

from __future__ import annotations

import time
from typing import Any

from ...rules.model import Rule
from ..ingest.dates import TWO_DIGITS
from ..lines import printable
from .alerts import Alert


def _get(doc: dict[str, Any], a: str, b: str) -> Any:
    try:
        return doc[a][b]
    except (KeyError, TypeError):
        return None


_DAYS: dict[int, str] = {}
_CLOCKS: dict[int, str] = {}  # seconds into the day: "HH:MM:SS"


def _when(seconds: float) -> str:
    """OSSEC's "2024 Dec 10 06:55:48", in UTC. A log has few days, and at most 86,400
    clock times: each is made once."""
    day, second = divmod(int(seconds), 86400)
    date = _DAYS.get(day)
    if date is None:
        if len(_DAYS) > 10_000:
            _DAYS.clear()
        date = _DAYS[day] = time.strftime("%Y %b %d ", time.gmtime(day * 86400))
    clock = _CLOCKS.get(second)
    if clock is None:
        hour, rest = divmod(second, 3600)
        minute, rest = divmod(rest, 60)
        clock = _CLOCKS[second] = TWO_DIGITS[hour] + ":" + TWO_DIGITS[minute] + ":" + TWO_DIGITS[rest]
    return date + clock


_RULES: dict[int, tuple[str, str]] = {}


def _rule_lines(rule: Rule) -> tuple[str, str]:
    """The parts of an alert that depend on the rule only, made once per rule (ossec_text
    looks in _RULES first)."""
    ossec = f" [OSSEC {', '.join(map(str, rule.ossec))}]" if rule.ossec else ""
    line = f"Rule: {rule.id} (level {rule.level}) -> '{rule.title}'{ossec}"
    found = _RULES[rule.id] = (f"{','.join(rule.groups)},", line)
    return found


def ossec_text(alert: Alert, location: str | None = None) -> str:
    """`location`: the log the line came from, which OSSEC writes after the host
    ("web-1->/var/log/auth.log"); without one, the program that logged it."""
    doc, rule = alert.event, alert.rule
    groups, rule_line = _RULES.get(rule.id) or _rule_lines(rule)
    source, user, event, host = doc.get("source"), doc.get("user"), doc.get("event"), doc.get("host")
    ip = domain = name = target = None
    if source.__class__ is dict:
        ip, domain = source.get("ip"), source.get("domain")
    if user.__class__ is dict:
        name, target = user.get("name"), user.get("target")
        target = target.get("name") if target.__class__ is dict else None
    original = event.get("original") if event.__class__ is dict else None
    if original is None:
        original = doc.get("message", "")
    hostname = host.get("hostname") if host.__class__ is dict else None
    where = f"{hostname or '-'}->{location or _get(doc, 'process', 'name') or '-'}"
    corr = alert.correlation
    key = ", ".join(f"{k}={v}" for k, v in corr["key"].items()) if corr and corr.get("count", 1) > 1 else ""
    # One test for the usual case, where nothing from the log needs escaping.
    if not f"{ip or ''}{domain or ''}{name or ''}{target or ''}{where}{original}{key}".isprintable():
        ip, domain, name, target, where, original, key = (
            printable(str(v)) if v else v for v in (ip, domain, name, target, where, original, key))
    details = ""
    if ip:
        details += f"Src IP: {ip}\n"
    if domain:
        details += f"Src host: {domain}\n"
    if name:
        details += f"User: {name}\n"
    if target:
        details += f"Target user: {target}\n"
    if key:
        span = f"between {_when(corr['first'])} and {_when(alert.time)}"  # type: ignore[index]
        details += f"Correlated: {corr['count']} events with {key} {span}\n"  # type: ignore[index]
    return (f"** Alert {int(alert.time)}.{alert.sequence}: - {groups}\n"
            f"{_when(alert.time)} {where}\n"
            f"{rule_line}\n{details}{original}\n")
