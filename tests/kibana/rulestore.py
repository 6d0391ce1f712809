"""Detection rules the way Kibana keeps them, for the stand-in: one store per space, keyed by `rule_id`.

Why: deploy code is judged by what Kibana would hold afterwards. So a stored rule is what Kibana's
RuleResponse would show: server fields (`id`, timestamps, `revision`, `rule_source`...) added, the
defaults the spec documents filled in, and properties the spec does not declare dropped (Kibana's
request validation strips them). Documented simplifications: `required_fields[].ecs` is always false
(Kibana looks fields up in ECS), the acting user is always "elastic", `revision` goes up when
anything but `enabled` changes, and a PUT without `version` keeps the stored one. One check is not
in the spec: `interval` must be <number><s|m|h|d>, as Kibana's alerting framework demands.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import uuid
from collections.abc import Callable
from typing import Any

from tests.kibana import openapi
from tests.kibana.errors import ApiError, siem_error

# What Kibana fills in when a create or update body leaves a field out ("Defaults to ..." in the spec).
DEFAULTS: dict[str, Any] = {
    "enabled": True,
    "interval": "5m",
    "from": "now-6m",
    "to": "now",
    "max_signals": 100,
    "version": 1,
    "setup": "",
    **{name: [] for name in ("tags", "actions", "exceptions_list", "author", "false_positives", "references",
                             "threat", "related_integrations", "required_fields", "risk_score_mapping",
                             "severity_mapping")},
}
KQL_TYPES = {"query", "saved_query", "threshold", "threat_match", "new_terms"}  # `language` defaults to kuery
SERVER_FIELDS = ("id", "rule_id", "created_at", "created_by", "immutable", "rule_source")  # kept across updates
NOT_A_REVISION = {"enabled", "updated_at", "updated_by", "revision"}  # changing only these keeps `revision`
# Not in the spec: Kibana's alerting framework rejects schedule intervals not of the form <number><s|m|h|d>.
INTERVAL = re.compile(r"[1-9]\d*[smhd]")
USER = "elastic"
# `_find` filters the stand-in understands: alert.attributes.<key> -> rule field.
FILTER_FIELDS = {"tags": "tags", "name": "name", "enabled": "enabled", "params.rule_id": "rule_id",
                 "params.type": "type", "params.immutable": "immutable"}
_CLAUSE = re.compile(r'alert\.attributes\.([\w.]+)\s*:\s*(?:"((?:[^"\\]|\\.)*)"|([^\s()"]+))')


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class RuleStore:
    """The rules of one Kibana space. Methods take request bodies already checked against the spec."""

    def __init__(self) -> None:
        self._rules: dict[str, dict[str, Any]] = {}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return copy.deepcopy(self._rules)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        rule_id = body.get("rule_id") or str(uuid.uuid4())
        if rule_id in self._rules:
            raise siem_error(409, f'rule_id: "{rule_id}" already exists')
        stamp = now()
        server = {"id": str(uuid.uuid4()), "rule_id": rule_id, "created_at": stamp, "created_by": USER,
                  "immutable": False, "rule_source": {"type": "internal"}}
        rule = _complete(body, server, revision=0, stamp=stamp)
        self._rules[rule_id] = rule
        return copy.deepcopy(rule)

    def read(self, rule_id: str | None = None, id: str | None = None) -> dict[str, Any]:
        return copy.deepcopy(self._find_one(rule_id, id))

    def update(self, body: dict[str, Any]) -> dict[str, Any]:
        """PUT: replace every field the body sets, reset the rest to defaults; server fields survive."""
        old = self._find_one(body.get("rule_id"), body.get("id"))
        body = {"version": old["version"], **body}
        return self._replace(old, _complete(body, {k: old[k] for k in SERVER_FIELDS}, old["revision"], now()))

    def patch(self, body: dict[str, Any]) -> dict[str, Any]:
        """PATCH: overlay the fields the body sets on the stored rule."""
        old = self._find_one(body.get("rule_id"), body.get("id"))
        if body.get("type", old["type"]) != old["type"]:
            raise siem_error(400, f"Cannot change rule type from {old['type']} to {body['type']} with PATCH")
        merged = {**old, **{k: v for k, v in body.items() if k not in ("id", "rule_id")}}
        return self._replace(old, _complete(merged, {k: old[k] for k in SERVER_FIELDS}, old["revision"], now()))

    def delete(self, rule_id: str | None = None, id: str | None = None) -> dict[str, Any]:
        return self._rules.pop(self._find_one(rule_id, id)["rule_id"])

    def find(self, page: int = 1, per_page: int = 20, filter: str | None = None,
             sort_field: str | None = None, sort_order: str = "asc") -> dict[str, Any]:
        """GET _find: Kibana's paging envelope; `filter` takes `alert.attributes.<field>: "v"` clauses joined by AND."""
        rules = [r for r in self._rules.values() if _matcher(filter)(r)]
        if sort_field:
            key = re.sub(r"(?<=[a-z])([A-Z])", lambda m: "_" + m[1].lower(), sort_field)  # createdAt -> created_at
            rules.sort(key=lambda r: (r.get(key) is None, r.get(key)), reverse=sort_order == "desc")
        start = (page - 1) * per_page
        return {"page": page, "perPage": per_page, "total": len(rules),
                "data": copy.deepcopy(rules[start:start + per_page])}

    def bulk(self, body: dict[str, Any], dry_run: bool = False) -> tuple[int, dict[str, Any]]:
        """POST _bulk_action for enable, disable and delete, by object `ids` or by a `_find`-style `query`."""
        action = body["action"]
        if action not in ("enable", "disable", "delete"):
            raise ApiError(501, f"the Kibana stand-in does not implement bulk action {action!r}")
        if "ids" in body and body.get("query"):
            raise siem_error(400, "Both query and ids are sent. Define either ids or query in request payload.")
        by_id = {r["id"]: r for r in self._rules.values()}
        if "ids" in body:
            targets = [by_id.get(i) or i for i in body["ids"]]
        else:
            targets = [r for r in self._rules.values() if _matcher(body.get("query"))(r)]
        results: dict[str, list[Any]] = {"updated": [], "created": [], "deleted": [], "skipped": []}
        errors = [{"message": "Rule not found", "status_code": 404, "rules": [{"id": t}]}
                  for t in targets if isinstance(t, str)]
        for rule in (t for t in targets if isinstance(t, dict)):
            if action == "delete":
                results["deleted"].append(copy.deepcopy(rule))
                if not dry_run:
                    del self._rules[rule["rule_id"]]
                continue
            changed = {**rule, "enabled": action == "enable", "updated_at": now()}
            if not dry_run:
                self._rules[rule["rule_id"]] = changed
            results["updated"].append(copy.deepcopy(changed))
        done = len(results["updated"]) + len(results["deleted"])
        summary = {"failed": len(errors), "skipped": 0, "succeeded": done, "total": len(targets)}
        response: dict[str, Any] = {"success": not errors, "rules_count": len(targets),
                                    "attributes": {"results": results, "summary": summary}}
        if not errors:
            return 200, response
        message = "Bulk edit failed" if not done else "Bulk edit partially failed"
        response["attributes"]["errors"] = errors
        return 500, {**response, "message": message, "status_code": 500}

    def _find_one(self, rule_id: str | None, id: str | None) -> dict[str, Any]:
        if id:
            found = next((r for r in self._rules.values() if r["id"] == id), None)
            if found is None:
                raise siem_error(404, f'id: "{id}" not found')
            return found
        if rule_id:
            if rule_id not in self._rules:
                raise siem_error(404, f'rule_id: "{rule_id}" not found')
            return self._rules[rule_id]
        raise siem_error(400, 'either "id" or "rule_id" must be set')

    def _replace(self, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
        if _params(new) != _params(old):
            new["revision"] = old["revision"] + 1
        self._rules[new["rule_id"]] = new
        return copy.deepcopy(new)


def _complete(body: dict[str, Any], server: dict[str, Any], revision: int, stamp: str) -> dict[str, Any]:
    """A RuleResponse from an input body: undeclared properties dropped, defaults and server fields added."""
    rule_type = body["type"]
    declared = openapi.known_properties(_create_schema(rule_type))
    rule = {**copy.deepcopy(DEFAULTS), **{k: copy.deepcopy(v) for k, v in body.items() if k in declared}}
    if rule_type in KQL_TYPES:
        rule.setdefault("language", "kuery")
    if rule_type == "query":
        rule.setdefault("query", "")
    rule["required_fields"] = [{**f, "ecs": False} for f in rule["required_fields"]]
    if not INTERVAL.fullmatch(str(rule["interval"])):
        raise ApiError(400, f'interval: "{rule["interval"]}" is not a valid duration; '
                            "Kibana's alerting framework wants <number><s|m|h|d>, e.g. 5m")
    return dict(sorted({**rule, **server, "updated_at": stamp, "updated_by": USER, "revision": revision}.items()))


def _create_schema(rule_type: str) -> str:
    """The spec's create schema for a rule type, from RuleCreateProps' discriminator mapping."""
    mapping = openapi.load_spec()["components"]["schemas"]["RuleCreateProps"]["discriminator"]["mapping"]
    return mapping[rule_type].rsplit("/", 1)[-1]


def _params(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k not in NOT_A_REVISION}


def _matcher(text: str | None) -> Callable[[dict[str, Any]], bool]:
    """A predicate for a `_find` filter / bulk query; raises 400 for what the stand-in cannot evaluate."""
    clauses = [c.strip() for c in re.split(r"\s+AND\s+", text or "", flags=re.IGNORECASE) if c.strip()]
    tests: list[tuple[str, str]] = []
    for clause in clauses:
        match = _CLAUSE.fullmatch(clause)
        if not match or match[1] not in FILTER_FIELDS:
            raise ApiError(400, f"the Kibana stand-in cannot evaluate filter {text!r}; it knows "
                                f"alert.attributes.<{'|'.join(FILTER_FIELDS)}>: \"value\" clauses joined by AND")
        value = match[2].replace('\\"', '"') if match[2] is not None else match[3]
        tests.append((FILTER_FIELDS[match[1]], value))
    return lambda rule: all(_has_value(rule.get(field), value) for field, value in tests)


def _has_value(actual: Any, value: str) -> bool:
    values = actual if isinstance(actual, list) else [actual]
    return any((str(v).lower() if isinstance(v, bool) else str(v)) == value for v in values)
