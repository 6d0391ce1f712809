"""Rules as Kibana Security detection rules (the Detections API, version 2023-10-31).

By type: an event rule is a KQL query rule; frequency and sequence rules are EQL
sequences (`with runs=N` counts repeats, `maxspan` is the window, `by` the key); a
first-seen rule queries its transform's entity index for entities that just appeared.
Severity and risk score follow the OSSEC level.
"""

from __future__ import annotations

from typing import Any

from ..content.detections import RuleSet
from ..rules.limits import KEY_FIELDS
from ..rules.model import EventRule, FirstSeenRule, FrequencyRule, Rule, SequenceRule
from . import pivots
from .options import DEFAULT_TARGET, Target
from .queries import EQL, KQL, render
from .transforms import ENTITY_LAG_SECONDS, FIRST_INGESTED, FIRST_SEEN, entity_index, transform_id

MANAGED_TAG = "Logward"

# Alerts a rule may make in one run: Kibana's own ceiling (xpack.alerting.rules.run.alerts.max
# defaults to 1000), not the API's default of 100. The engine alerts on every match; at 100,
# a local user writing 100 lines a rule matches in one interval would hide the next, and one
# source's flood of sequences would hide another source's in the same run.
MAX_SIGNALS = 1000
# Correlations suppress repeats by their key and also by host, so a second host reached by
# the same source is alerted on its own (a sequence across hosts has no one host: Kibana
# groups those apart, by the key alone).
SUPPRESS_ALSO_BY = "host.hostname"

# OSSEC level -> (Elastic severity, risk score). Levels up to 6 are user errors and
# low-relevance events, 7-9 need a look, 10-12 repeated errors and important events,
# 13-15 attacks. Risk scores stay inside Elastic's bands (21, 47, 73, 99).
SEVERITY: dict[int, tuple[str, int]] = {
    0: ("low", 1), 1: ("low", 3), 2: ("low", 6), 3: ("low", 9), 4: ("low", 13), 5: ("low", 17), 6: ("low", 21),
    7: ("medium", 30), 8: ("medium", 38), 9: ("medium", 47),
    10: ("high", 55), 11: ("high", 64), 12: ("high", 73),
    13: ("critical", 83), 14: ("critical", 91), 15: ("critical", 99),
}


def rule_id(rule: Rule) -> str:
    """Kibana's rule_id: stable across deployments, so updates find the same rule."""
    return f"logward-{rule.id}"


def _threat(rule: Rule, rules: RuleSet) -> list[dict[str, Any]]:
    """ATT&CK as Kibana wants it: one entry per tactic, techniques and sub-techniques under it."""
    by_tactic: dict[str, dict[str, dict[str, Any]]] = {}
    for technique_id in rule.mitre:
        parent_id, _, sub = technique_id.partition(".")
        info = rules.attack.techniques[technique_id]
        parent = rules.attack.techniques.get(parent_id, info if not sub else {"name": parent_id})
        for tactic in info["tactics"]:
            techniques = by_tactic.setdefault(tactic, {})
            entry = techniques.setdefault(parent_id, {
                "id": parent_id, "name": parent["name"],
                "reference": f"https://attack.mitre.org/techniques/{parent_id}/",
            })
            if sub:
                entry.setdefault("subtechnique", []).append({
                    "id": technique_id, "name": info["name"],
                    "reference": f"https://attack.mitre.org/techniques/{parent_id}/{sub}/",
                })
    return [
        {
            "framework": "MITRE ATT&CK",
            "tactic": {"id": tactic, "name": rules.attack.tactics[tactic],
                       "reference": f"https://attack.mitre.org/tactics/{tactic}/"},
            "technique": list(techniques.values()),
        }
        for tactic, techniques in sorted(by_tactic.items())
    ]


def _eql(rule: FrequencyRule | SequenceRule, rules: RuleSet) -> str:
    if isinstance(rule, FrequencyRule):
        steps, window = [(rule.events, rule.count)], rule.timeframe
    else:
        steps, window = [(s.events, s.count) for s in rule.steps], rule.within
    by = ", ".join(EQL.field(f) for f in rule.same)
    lines = [f"sequence by {by} with maxspan={window}s"]
    for selector, count in steps:
        line = f"  [any where {render(rules.condition(selector), EQL)}]"
        lines.append(line + (f" with runs={count}" if count > 1 else ""))
    return "\n".join(lines)


def _suppression(fields: tuple[str, ...], seconds: int) -> dict[str, Any]:
    return {"group_by": list(fields), "duration": {"value": seconds, "unit": "s"},
            "missing_fields_strategy": "suppress"}


def suppression_fields(rule: FrequencyRule | SequenceRule) -> tuple[str, ...]:
    """A correlation's key, and the host if the key lacks it and Kibana takes one more field."""
    if SUPPRESS_ALSO_BY in rule.same or len(rule.same) >= KEY_FIELDS:
        return rule.same
    return (*rule.same, SUPPRESS_ALSO_BY)


def _key_fields(rule: Rule) -> list[str]:
    fields = list(getattr(rule, "same", ()) or getattr(rule, "key", ()))
    return fields or ["source.ip", "user.name", "host.hostname"]


def _note(rule: Rule, target: Target, lookback: int) -> str:
    ossec = ", ".join(map(str, rule.ossec)) or "none"
    lines = [
        f"## {rule.title}", "", rule.description, "",
        f"Logward rule {rule.id}, level {rule.level}; OSSEC/Wazuh rules of the same meaning: {ossec}.",
        f"Rule file: `{rule.source}` (with its test cases).", "",
        "### Triage", "",
    ]
    if isinstance(rule, FrequencyRule):
        lines.append(f"{rule.count} or more matching events with the same {', '.join(rule.same)} within "
                     f"{rule.timeframe}s. The alert holds the last of them; search the same key and window for "
                     "the rest.")
    elif isinstance(rule, SequenceRule):
        lines.append(f"The steps happened in order, with the same {', '.join(rule.same)}, within {rule.within}s.")
    elif isinstance(rule, FirstSeenRule):
        lines.append(f"The first event ever seen for this {', '.join(rule.key)}. The entity index "
                     f"`{entity_index(rule, target)}` holds first_seen, last_seen and count for every key.")
    lines += ["", "Check: " + ", ".join(f"`{f}`" for f in _key_fields(rule)) + ".", ""]
    lines += pivots.guide(rule, target, lookback)
    return "\n".join(lines)


def rule_body(rule: Rule, rules: RuleSet, target: Target = DEFAULT_TARGET) -> dict[str, Any]:
    """The body to POST (create) or PUT (update) to /api/detection_engine/rules."""
    severity, risk = SEVERITY[rule.level]
    interval = target.interval_minutes * 60
    body: dict[str, Any] = {
        "rule_id": rule_id(rule),
        "name": rule.title,
        "description": rule.description,
        "severity": severity,
        "risk_score": risk,
        "interval": f"{target.interval_minutes}m",
        "enabled": True,
        "tags": [MANAGED_TAG, f"Level {rule.level}", *(f"OSSEC {i}" for i in rule.ossec), *rule.groups],
        "threat": _threat(rule, rules),
        "references": list(rule.references),
        "author": ["Logward"],
        "license": "Apache-2.0",
        "max_signals": MAX_SIGNALS,
        "investigation_fields": {"field_names": _key_fields(rule)},
        "meta": {"managed_by": "logward", "logward_rule": rule.id, "level": rule.level,
                 "ossec": list(rule.ossec), "source": rule.source},
    }
    if rule.level < 3:
        body["building_block_type"] = "default"  # OSSEC logs these without alerting
    # Every rule selects what was ingested since its last runs, whatever time the log gave
    # its events: late, replayed and other-timezone logs are still seen once.
    lookback = interval + 60
    if isinstance(rule, EventRule):
        body.update(type="query", language="kuery", query=render(rule.where, KQL), index=list(target.index),
                    timestamp_override="event.ingested")
    elif isinstance(rule, FrequencyRule | SequenceRule):
        window = rule.timeframe if isinstance(rule, FrequencyRule) else rule.within
        # Look back over one interval plus the whole window, so a burst that began before
        # the previous run is still seen complete. The sequence itself is ordered and timed
        # by the events' own @timestamp.
        lookback += window
        body.update(type="eql", language="eql", query=_eql(rule, rules), index=list(target.index),
                    timestamp_override="event.ingested", timestamp_field="@timestamp")
        # EQL matches a sequence ending at every event after the count is reached (40
        # failures make 33 matches of 8), and consecutive runs both see the last minute and
        # window of events. Suppressing by the key (and host) for the whole look-back keeps
        # that to one alert per key and host, however the burst falls across runs; the
        # engine, counting afresh after each alert, may give more (README, "Rules").
        if target.sequence_suppression:
            body["alert_suppression"] = _suppression(suppression_fields(rule), lookback)
    elif isinstance(rule, FirstSeenRule):
        # An entity reaches its index up to ENTITY_LAG_SECONDS after its first event is
        # ingested, so runs overlap by that much; suppression keeps the overlap to one alert.
        lookback += ENTITY_LAG_SECONDS
        body.update(type="query", language="kuery", query=f"{FIRST_SEEN}: *", index=[entity_index(rule, target)],
                    timestamp_override=FIRST_INGESTED, alert_suppression=_suppression(rule.key, lookback))
        body["meta"]["transform"] = transform_id(rule)
    body["from"] = f"now-{lookback}s"
    body["note"] = _note(rule, target, lookback)
    return body
