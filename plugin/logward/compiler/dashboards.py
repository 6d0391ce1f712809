"""Dashboards from kibana/dashboards/*.yml: one Lens visualization per panel, and the
dashboard that lays them out, as Kibana saved objects.

A panel names a chart, a KQL query, the fields it breaks down by and one metric. Every
panel whose clickable values are sources (source.address or source.ip) gets a dashboard
drilldown to the network pivot dashboard (Zeek), carrying the clicked address as a filter
and the time range: the one-click way from a host alert to the network record of the same
source. (A drilldown belongs to a whole panel: on a table that also lists outcomes or
hosts, a click on those would carry them to Zeek, which has no such records; a table
therefore splits by them in columns, which are not clicked.) Dashboard drilldowns need no
paid license; URL drilldowns would.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

CHARTS = ("metric", "bar", "hbar", "table", "pie")
METRICS = ("count", "unique_count", "min", "max", "sum", "average")
# A panel bucketed by one of these drills down to the Zeek records of the clicked source:
# the address as logged or the IP. Zeek's records carry both, always as an IP, so a source
# PAM named by its host name finds none there.
PIVOT_FIELDS = ("source.address", "source.ip")
PIVOT_DASHBOARD = "logward-network-pivot"
DRILLDOWN = "DASHBOARD_TO_DASHBOARD_DRILLDOWN"
GRID_WIDTH = 48
LAYER = "layer1"


@dataclass(frozen=True)
class Panel:
    title: str
    chart: str
    data_view: str
    query: str = ""
    rows: tuple[str, ...] = ()  # break down by these fields (terms), in order
    split: str | None = None  # bar: splits each time bucket; table: one column per value
    metric: str = "count"  # count, or <op>:<field>
    metric_type: str = "number"  # Lens's data type of the metric: "date" for min/max of a date
    size: int = 10
    width: int = 24

    @property
    def metric_op(self) -> str:
        return self.metric.partition(":")[0]

    @property
    def metric_field(self) -> str | None:
        return self.metric.partition(":")[2] or None

    @property
    def fields(self) -> list[str]:
        """Every field the panel reads, for the tests that check them against the catalogs."""
        out = [*self.rows, self.split, self.metric_field, "@timestamp" if self.chart == "bar" else None]
        return [name for name in out if name]

    @property
    def clicked(self) -> list[str]:
        """The fields whose values a click on the panel filters by."""
        if self.chart == "bar":
            return [self.split] if self.split else []
        return list(self.rows)

    @property
    def pivots(self) -> bool:
        return bool(self.clicked) and all(name in PIVOT_FIELDS for name in self.clicked)


@dataclass(frozen=True)
class Dashboard:
    id: str
    title: str
    description: str
    data_view: str
    panels: tuple[Panel, ...]
    query: str = ""  # applies to every panel, with the panel's own
    pivot_target: bool = False  # the dashboard the pivots open
    source: str = field(default="", compare=False)

    def panel_id(self, n: int) -> str:
        return f"{self.id}-panel-{n + 1}"


# ---- Lens columns ----

def _terms(name: str, size: int, order_by: str) -> dict[str, Any]:
    return {"label": f"Top {size} {name}", "dataType": "string", "operationType": "terms", "sourceField": name,
            "isBucketed": True, "scale": "ordinal",
            "params": {"size": size, "orderBy": {"type": "column", "columnId": order_by}, "orderDirection": "desc",
                       "otherBucket": False, "missingBucket": False}}


def _metric(panel: Panel) -> dict[str, Any]:
    op, name = panel.metric_op, panel.metric_field
    if op == "count":
        return {"label": "Count", "dataType": "number", "operationType": "count", "sourceField": "___records___",
                "isBucketed": False, "scale": "ratio"}
    return {"label": f"{op.replace('_', ' ')} of {name}", "dataType": panel.metric_type, "operationType": op,
            "sourceField": name, "isBucketed": False, "scale": "ratio"}


def _date() -> dict[str, Any]:
    return {"label": "@timestamp", "dataType": "date", "operationType": "date_histogram", "sourceField": "@timestamp",
            "isBucketed": True, "scale": "interval", "params": {"interval": "auto"}}


def _columns(panel: Panel) -> dict[str, dict[str, Any]]:
    """Column id -> column, in display order: bucket columns first, the metric last."""
    columns: dict[str, dict[str, Any]] = {}
    if panel.chart == "bar":
        columns["time"] = _date()
        if panel.split:
            columns["split"] = _terms(panel.split, panel.size, "metric")
    else:
        for n, name in enumerate(panel.rows):
            columns[f"row{n + 1}"] = _terms(name, panel.size, "metric")
        if panel.split:
            columns["split"] = _terms(panel.split, panel.size, "metric")
    columns["metric"] = _metric(panel)
    return columns


def _visualization(panel: Panel, columns: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    buckets = [c for c in columns if c != "metric"]
    if panel.chart == "metric":
        return "lnsMetric", {"layerId": LAYER, "layerType": "data", "metricAccessor": "metric"}
    if panel.chart == "table":
        return "lnsDatatable", {"layerId": LAYER, "layerType": "data", "columns": [
            {"columnId": c, "isTransposed": True} if c == "split" else {"columnId": c} for c in columns]}
    if panel.chart == "pie":
        return "lnsPie", {"shape": "donut", "layers": [{
            "layerId": LAYER, "layerType": "data", "primaryGroups": buckets, "metrics": ["metric"],
            "numberDisplay": "percent", "categoryDisplay": "default", "legendDisplay": "default"}]}
    series = "bar_stacked" if panel.chart == "bar" else "bar_horizontal"
    layer: dict[str, Any] = {"layerId": LAYER, "layerType": "data", "seriesType": series, "accessors": ["metric"],
                             "xAccessor": buckets[0]}
    if panel.chart == "bar" and "split" in columns:
        layer["splitAccessor"] = "split"
    return "lnsXY", {"preferredSeriesType": series, "legend": {"isVisible": True, "position": "right"},
                     "valueLabels": "hide", "layers": [layer]}


def _query(dashboard: Dashboard, panel: Panel) -> str:
    parts = [q for q in (dashboard.query, panel.query) if q]
    return " and ".join(f"({q})" for q in parts) if len(parts) > 1 else "".join(parts)


def lens(dashboard: Dashboard, n: int) -> dict[str, Any]:
    panel = dashboard.panels[n]
    columns = _columns(panel)
    kind, visualization = _visualization(panel, columns)
    return {
        "type": "lens",
        "id": dashboard.panel_id(n),
        "attributes": {
            "title": panel.title,
            "description": "",
            "visualizationType": kind,
            "state": {
                "datasourceStates": {"formBased": {"layers": {LAYER: {
                    "columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}}}},
                "visualization": visualization,
                "query": {"query": _query(dashboard, panel), "language": "kuery"},
                "filters": [],
                "adHocDataViews": {},
                "internalReferences": [],
            },
        },
        "references": [{"type": "index-pattern", "id": panel.data_view,
                        "name": f"indexpattern-datasource-layer-{LAYER}"}],
    }


# ---- the dashboard ----

def _layout(panels: tuple[Panel, ...]) -> list[dict[str, int]]:
    """Left to right, wrapping at the grid's width; metric tiles short, charts tall."""
    x = y = row_height = 0
    out = []
    for panel in panels:
        height = 6 if panel.chart == "metric" else 15
        if x + panel.width > GRID_WIDTH:
            x, y, row_height = 0, y + row_height, 0
        out.append({"x": x, "y": y, "w": panel.width, "h": height})
        x += panel.width
        row_height = max(row_height, height)
    return out


def dashboard_object(dashboard: Dashboard) -> dict[str, Any]:
    panels, references = [], []
    for n, (panel, grid) in enumerate(zip(dashboard.panels, _layout(dashboard.panels))):
        index = f"p{n + 1}"
        config: dict[str, Any] = {}
        if panel.pivots and not dashboard.pivot_target:
            event_id = f"{dashboard.id}-{index}-zeek"
            # The clicked address and the time range go along; this dashboard's own filters
            # (a host, a user) do not, as Zeek's records do not have those fields.
            config["enhancements"] = {"dynamicActions": {"events": [{
                "eventId": event_id,
                "triggers": ["FILTER_TRIGGER"],
                "action": {"factoryId": DRILLDOWN, "name": "Network records of this source (Zeek)",
                           "config": {"useCurrentFilters": False, "useCurrentDateRange": True,
                                      "openInNewTab": True}},
            }]}}
            # Kibana 8 gives a panel the references named "<panelIndex>:...".
            references.append({"name": f"{index}:drilldown:{DRILLDOWN}:{event_id}:dashboardId",
                               "type": "dashboard", "id": PIVOT_DASHBOARD})
        panels.append({"type": "lens", "panelIndex": index, "gridData": {**grid, "i": index},
                       "embeddableConfig": config, "panelRefName": f"panel_{index}"})
        references.append({"name": f"{index}:panel_{index}", "type": "lens", "id": dashboard.panel_id(n)})
    search = {"query": {"query": "", "language": "kuery"}, "filter": []}
    return {
        "type": "dashboard",
        "id": dashboard.id,
        "attributes": {
            "title": dashboard.title,
            "description": dashboard.description,
            "panelsJSON": json.dumps(panels, separators=(",", ":")),
            "optionsJSON": json.dumps({"useMargins": True, "syncColors": False, "syncCursor": True,
                                       "syncTooltips": False, "hidePanelTitles": False}),
            "timeRestore": True,
            "timeFrom": "now-24h",
            "timeTo": "now",
            "refreshInterval": {"pause": True, "value": 0},
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(search)},
        },
        "references": references,
    }


def saved_objects(dashboard: Dashboard) -> list[dict[str, Any]]:
    """The Lens objects first, then the dashboard that refers to them."""
    return [lens(dashboard, n) for n in range(len(dashboard.panels))] + [dashboard_object(dashboard)]
