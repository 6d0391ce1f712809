"""Alerts: what fired, on which event, and for correlations what was counted."""

from __future__ import annotations

from typing import Any

from ...rules.model import Rule
from ..ingest import iso_time


class Alert:
    __slots__ = ("correlation", "event", "rule", "sequence", "time")

    def __init__(self, rule: Rule, event: dict[str, Any], time: float, sequence: int,
                 correlation: dict[str, Any] | None = None):
        self.rule = rule
        self.event = event  # the event that made the rule fire (the last one, for a correlation)
        self.time = time  # the event's time, seconds since the epoch
        self.sequence = sequence  # position of the alert in this run, from 1; 0 for a level-0 match
        self.correlation = correlation or {}  # count, window, key, first

    def to_json(self) -> dict[str, Any]:
        """The alert as one JSON object: ECS `rule.*`, the correlation if any (its first
        event's time written as @timestamp is), and the document under `document` as
        logtest --json has it (not under `event`, which ECS keeps for event.*)."""
        rule = self.rule
        out: dict[str, Any] = {
            "@timestamp": self.event.get("@timestamp"),
            "alert": {"id": f"{int(self.time)}.{self.sequence}"},  # as in the OSSEC text
            "rule": {
                "id": str(rule.id),
                "name": rule.title,
                "level": rule.level,
                "type": rule.kind,
                "groups": list(rule.groups),
                "ossec": list(rule.ossec),
                "mitre": list(rule.mitre),
            },
            "document": self.event,
        }
        if self.correlation:
            out["correlation"] = self.correlation_json()
        return out

    def correlation_json(self) -> dict[str, Any] | None:
        """What a correlation counted (count, window, key), with its first event's time as
        @timestamp is written; None for an event rule's alert."""
        if not self.correlation:
            return None
        return {**self.correlation, "first": iso_time(self.correlation["first"])}
