"""Kibana content from kibana/: saved objects as Kibana exports them (data_views/*.json,
{type, id, attributes, references}), dashboards as short YAML specs (dashboards/*.yml,
compiled to Lens and dashboard objects), and the fields each data view holds
(fields/<data view id>.yml), against which every panel is checked.

Saved object ids start with "logward-": that is how Logward knows its own objects in a space.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..compiler.dashboards import CHARTS, METRICS, Dashboard, Panel, saved_objects
from .fields import load_fields
from .paths import ContentError, read_yaml

ID_PREFIX = "logward-"
LOGWARD_CATALOG = "logward"  # in a fields file's _include: pipelines/fields.yml
PANEL_KEYS = {"title", "chart", "data_view", "query", "rows", "split", "metric", "size", "width"}
DASHBOARD_KEYS = {"id", "title", "description", "data_view", "query", "panels", "pivot_target"}
META_FIELDS = {"_index", "_id"}  # every data view can be queried on these
# A field name before ":" in a KQL query, once quoted values are blanked out.
_KQL_FIELD = re.compile(r"(?:^|[\s(])(?:not\s+)?([A-Za-z_@][\w.@]*)\s*:")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
# A detection rule named in a query, as Kibana's alerts carry it (kibana.alert.rule.rule_id).
_RULE_ID = re.compile(r"\blogward-([0-9]{6})\b")


def kql_fields(query: str) -> set[str]:
    """The fields a KQL query reads."""
    return set(_KQL_FIELD.findall(_QUOTED.sub('""', query)))


def _check_query(query: str, view: str, fields: dict[str, str], where: str) -> None:
    unknown = kql_fields(query) - fields.keys() - META_FIELDS
    if unknown:
        raise ContentError(f"{where}: the query reads {sorted(unknown)}, not in data view {view} "
                           f"(kibana/fields/{view}.yml)")


def check_rule_references(objects: list[dict[str, Any]], rules: dict[int, tuple[int, str]]) -> None:
    """Dashboards that count a rule's alerts name it by rule_id: each must still exist, and
    raise alerts (level 0 raises none, so it has no Kibana rule). `rules`: each rule's
    level and file (a rule of the user's own may have set a bundled one to level 0)."""
    for obj in objects:
        named = {int(n) for n in _RULE_ID.findall(json.dumps(obj.get("attributes", {})))}
        where = obj.get("source", obj["id"])
        missing = named - rules.keys()
        if missing:
            raise ContentError(f"{where}: names rules {sorted(missing)}, which are not in detections/")
        ignored = sorted(n for n in named if rules[n][0] == 0)
        if ignored:
            files = ", ".join(rules[n][1] for n in ignored)
            raise ContentError(f"{where}: names rules {ignored}, which are level 0 ({files}): they raise no "
                               "alert for it to count")


def load_saved_objects(root: Path) -> list[dict[str, Any]]:
    """Data views first, then each dashboard's Lens objects and the dashboard."""
    objects = [_read_object(path, root) for path in sorted((root / "kibana").rglob("*.json"))]
    views = {o["id"]: o for o in objects if o["type"] == "index-pattern"}
    for dashboard in load_dashboards(root, {view: view_fields(root, view) for view in views}):
        for obj in saved_objects(dashboard):
            obj["source"] = dashboard.source
            objects.append(obj)
    return objects


def _read_object(path: Path, root: Path) -> dict[str, Any]:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ContentError(f"{path}: {e}") from None
    if not isinstance(obj, dict) or not {"type", "id", "attributes"} <= obj.keys():
        raise ContentError(f"{path}: a saved object has a type, an id and attributes")
    if not str(obj["id"]).startswith(ID_PREFIX):
        raise ContentError(f"{path}: saved object ids start with {ID_PREFIX!r}, got {obj['id']!r}")
    obj.setdefault("references", [])
    obj["source"] = str(path.relative_to(root))
    return obj


def view_fields(root: Path, view: str) -> dict[str, str]:
    """Field name -> type, for a data view, from kibana/fields/<view>.yml."""
    path = root / "kibana" / "fields" / f"{view}.yml"
    if not path.is_file():
        raise ContentError(f"{path}: missing; every data view lists its fields")
    data = read_yaml(path) or {}
    out: dict[str, str] = {}
    for include in data.pop("_include", []):
        if include != LOGWARD_CATALOG:
            raise ContentError(f"{path}: _include knows only {LOGWARD_CATALOG!r}, got {include!r}")
        out.update({name: f.type for name, f in load_fields(root).items()})
    for name, spec in data.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise ContentError(f"{path}: field {name!r} needs a type")
        out[name] = spec["type"]
    return out


def load_dashboards(root: Path, views: dict[str, dict[str, str]]) -> list[Dashboard]:
    dashboards = [_dashboard(path, root, views) for path in sorted((root / "kibana" / "dashboards").glob("*.yml"))]
    ids = [d.id for d in dashboards]
    for d in dashboards:
        if ids.count(d.id) > 1:
            raise ContentError(f"{d.source}: dashboard id {d.id!r} is used twice")
    return dashboards


def _dashboard(path: Path, root: Path, views: dict[str, dict[str, str]]) -> Dashboard:
    source = str(path.relative_to(root))
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{source}: a dashboard spec is a mapping")
    unknown = set(data) - DASHBOARD_KEYS
    if unknown or not {"id", "title", "data_view", "panels"} <= data.keys():
        raise ContentError(f"{source}: a dashboard has id, title, data_view and panels"
                           + (f"; unknown keys {sorted(unknown)}" if unknown else ""))
    if not str(data["id"]).startswith(ID_PREFIX):
        raise ContentError(f"{source}: dashboard ids start with {ID_PREFIX!r}, got {data['id']!r}")
    if data["data_view"] in views:
        _check_query(data.get("query", ""), data["data_view"], views[data["data_view"]], source)
    panels = tuple(_panel(p, n, source, data["data_view"], views) for n, p in enumerate(data["panels"] or []))
    if not panels:
        raise ContentError(f"{source}: a dashboard needs panels")
    return Dashboard(id=data["id"], title=data["title"], description=data.get("description", ""),
                     data_view=data["data_view"], panels=panels, query=data.get("query", ""),
                     pivot_target=bool(data.get("pivot_target")), source=source)


def _panel(data: Any, n: int, source: str, default_view: str, views: dict[str, dict[str, str]]) -> Panel:
    where = f"{source}: panel {n + 1}"
    if not isinstance(data, dict) or "title" not in data or "chart" not in data:
        raise ContentError(f"{where}: a panel has a title and a chart")
    where = f"{source}: panel {data['title']!r}"
    if set(data) - PANEL_KEYS:
        raise ContentError(f"{where}: unknown keys {sorted(set(data) - PANEL_KEYS)}")
    if data["chart"] not in CHARTS:
        raise ContentError(f"{where}: chart {data['chart']!r} is not one of {', '.join(CHARTS)}")
    view = data.get("data_view", default_view)
    if view not in views:
        raise ContentError(f"{where}: no data view {view!r} in kibana/data_views/")
    panel = Panel(title=data["title"], chart=data["chart"], data_view=view, query=data.get("query", ""),
                  rows=tuple(data.get("rows", ())), split=data.get("split"), metric=data.get("metric", "count"),
                  size=int(data.get("size", 10)), width=int(data.get("width", 24)))
    if panel.metric_op not in METRICS or (panel.metric_op == "count") != (panel.metric_field is None):
        raise ContentError(f"{where}: metric {panel.metric!r} is count or <{'|'.join(METRICS[1:])}>:<field>")
    if panel.chart in ("table", "hbar", "pie") and not panel.rows:
        raise ContentError(f"{where}: a {panel.chart} needs rows")
    if panel.split and panel.chart not in ("bar", "table"):
        raise ContentError(f"{where}: only a bar or a table splits (a {panel.chart} does not)")
    for name in panel.fields:
        if name not in views[view]:
            raise ContentError(f"{where}: field {name!r} is not in data view {view} (kibana/fields/{view}.yml)")
    _check_query(panel.query, view, views[view], where)
    if not 1 <= panel.width <= 48:
        raise ContentError(f"{where}: width is 1 to 48 grid columns")
    if panel.metric_field and views[view][panel.metric_field] == "date":
        panel = replace(panel, metric_type="date")
    return panel
