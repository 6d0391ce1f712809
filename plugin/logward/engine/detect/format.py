"""Alerts as OSSEC writes them to alerts.log, so analysts and their tools read them as usual."""

from __future__ import annotations

import time
from typing import Any

from .alerts import Alert


def _get(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _when(seconds: float) -> str:
    return time.strftime("%Y %b %d %H:%M:%S", time.gmtime(seconds))


def ossec_text(alert: Alert) -> str:
    rule, doc = alert.rule, alert.event
    lines = [
        f"** Alert {int(alert.time)}.{alert.sequence}: - {','.join(rule.groups)},",
        f"{_when(alert.time)} {_get(doc, 'host.hostname') or '-'}->{_get(doc, 'process.name') or '-'}",
        f"Rule: {rule.id} (level {rule.level}) -> '{rule.title}'"
        + (f" [OSSEC {', '.join(map(str, rule.ossec))}]" if rule.ossec else ""),
    ]
    for label, path in (("Src IP", "source.ip"), ("Src host", "source.domain"), ("User", "user.name"),
                        ("Target user", "user.target.name")):
        value = _get(doc, path)
        if value:
            lines.append(f"{label}: {value}")
    corr = alert.correlation
    if corr.get("count", 1) > 1:
        key = ", ".join(f"{k}={v}" for k, v in corr["key"].items())
        span = f"between {_when(corr['first'])} and {_when(alert.time)}"
        lines.append(f"Correlated: {corr['count']} events with {key} {span}")
    original = _get(doc, "event.original")
    lines.append(str(original if original is not None else doc.get("message", "")))
    return "\n".join(lines) + "\n"
