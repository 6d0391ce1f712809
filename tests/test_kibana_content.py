"""Kibana content as deployed: every saved object parses, its references resolve, every field
it uses is in its data view's catalog, and every way to the network records works: panel
drilldowns and each rule's investigation guide."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from logward.compiler.dashboards import PIVOT_DASHBOARD
from logward.compiler.kibana import rule_body
from logward.compiler.pivots import address_field
from logward.content.detections import load_rules
from logward.content.kibana import META_FIELDS, kql_fields, load_saved_objects, view_fields
from logward.content.paths import ContentError
from logward.deploy.objects import Capabilities, Content, desired
from logward.deploy.settings import load_settings
from tests.conftest import ROOT
from tests.deploy_helpers import content_copy

OBJECTS = load_saved_objects(ROOT)
BY_KEY = {(o["type"], o["id"]): o for o in OBJECTS}
VIEWS = {o["id"]: view_fields(ROOT, o["id"]) for o in OBJECTS if o["type"] == "index-pattern"}
RULES = load_rules(ROOT)
JSON_ATTRIBUTES = ("panelsJSON", "optionsJSON")
DASHBOARDS = {"logward-auth-overview", "logward-brute-force", "logward-privilege-use", "logward-account-changes",
              "logward-alerts", PIVOT_DASHBOARD}


def ids(objects: list[dict[str, Any]]) -> list[str]:
    return [f"{o['type']}/{o['id']}" for o in objects]


def lens_view(obj: dict[str, Any]) -> str:
    return next(r["id"] for r in obj["references"] if r["type"] == "index-pattern")


def investigate_specs(note: str) -> list[dict[str, Any]]:
    """The Timeline buttons in a note, parsed back."""
    out = []
    for chunk in note.split("!{investigate")[1:]:
        depth = 0
        for end, char in enumerate(chunk):
            depth += {"{": 1, "}": -1}.get(char, 0)
            if depth == 0:
                out.append(json.loads(chunk[:end + 1]))
                break
    return out


def test_the_dashboards_the_analysts_need_are_there() -> None:
    assert {o["id"] for o in OBJECTS if o["type"] == "dashboard"} == DASHBOARDS
    assert set(VIEWS) == {"logward-auth", "logward-fts", "logward-alerts", "logward-zeek"}


@pytest.mark.parametrize("obj", OBJECTS, ids=ids(OBJECTS))
def test_each_saved_object_parses_and_its_references_resolve(obj: dict[str, Any]) -> None:
    json.dumps(obj)
    for name in JSON_ATTRIBUTES:
        if name in obj["attributes"]:
            json.loads(obj["attributes"][name])
    if "kibanaSavedObjectMeta" in obj["attributes"]:
        json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    for ref in obj["references"]:
        assert (ref["type"], ref["id"]) in BY_KEY, f"{obj['id']}: reference {ref} resolves to nothing"
    if obj["type"] == "dashboard":
        names = {r["name"] for r in obj["references"]}
        for panel in json.loads(obj["attributes"]["panelsJSON"]):
            name = f"{panel['panelIndex']}:{panel['panelRefName']}"  # as Kibana 8 looks it up
            assert name in names, f"{obj['id']}: panel {panel['panelIndex']} has no reference"


LENSES = [o for o in OBJECTS if o["type"] == "lens"]


@pytest.mark.parametrize("obj", LENSES, ids=ids(LENSES))
def test_every_field_a_panel_uses_is_in_its_data_view(obj: dict[str, Any]) -> None:
    view = lens_view(obj)
    known = VIEWS[view].keys() | META_FIELDS
    state = obj["attributes"]["state"]
    for layer in state["datasourceStates"]["formBased"]["layers"].values():
        assert layer["columnOrder"] == list(layer["columns"])
        for column_id, column in layer["columns"].items():
            if column["sourceField"] != "___records___":
                assert column["sourceField"] in known, f"{obj['id']}: column {column_id} reads an unknown field"
            if column["operationType"] == "terms":
                assert column["params"]["orderBy"]["columnId"] in layer["columns"]
    unknown = kql_fields(state["query"]["query"]) - known
    assert not unknown, f"{obj['id']}: the query uses fields {sorted(unknown)} that {view} does not have"


def _clicked_fields(lens: dict[str, Any]) -> set[str]:
    """The fields a click on the Lens panel filters by: its bucket columns, except a table's
    transposed ones (column headers) and a bar chart's time axis."""
    state = lens["attributes"]["state"]
    columns = next(iter(state["datasourceStates"]["formBased"]["layers"].values()))["columns"]
    transposed = {c["columnId"] for c in state["visualization"].get("columns", []) if c.get("isTransposed")}
    return {c["sourceField"] for cid, c in columns.items()
            if c["isBucketed"] and cid not in transposed and c["operationType"] != "date_histogram"}


def test_every_panel_whose_clicks_are_sources_drills_down_to_the_network_records() -> None:
    """And only those: a click on an outcome or a host would carry it to Zeek, which has no
    such records. References are named as Kibana 8 looks them up, "<panelIndex>:..."."""
    drilled = 0
    for dashboard in (o for o in OBJECTS if o["type"] == "dashboard" and o["id"] != PIVOT_DASHBOARD):
        refs = {r["name"]: r for r in dashboard["references"]}
        for panel in json.loads(dashboard["attributes"]["panelsJSON"]):
            index = panel["panelIndex"]
            lens = BY_KEY[("lens", refs[f"{index}:{panel['panelRefName']}"]["id"])]
            clicked = _clicked_fields(lens)
            sources_only = bool(clicked) and clicked <= {"source.address", "source.ip"}
            events = panel["embeddableConfig"].get("enhancements", {}).get("dynamicActions", {}).get("events", [])
            assert bool(events) == sources_only, f"{dashboard['id']}/{index}: clicks give {sorted(clicked)}"
            for event in events:
                assert event["action"]["config"] == {"useCurrentFilters": False, "useCurrentDateRange": True,
                                                     "openInNewTab": True}
                target = refs[f"{index}:drilldown:DASHBOARD_TO_DASHBOARD_DRILLDOWN:{event['eventId']}:dashboardId"]
                assert target["id"] == PIVOT_DASHBOARD
                drilled += 1
    assert drilled >= 6


def test_the_network_pivot_dashboard_shows_conn_ssh_and_dns() -> None:
    """By the datasets Elastic's Zeek integration writes (its data streams connection, ssh
    and dns; its sample events carry event.dataset "zeek.connection")."""
    pivot = BY_KEY[("dashboard", PIVOT_DASHBOARD)]
    queries = " ".join(BY_KEY[("lens", r["id"])]["attributes"]["state"]["query"]["query"]
                       for r in pivot["references"] if r["type"] == "lens")
    for dataset in ("zeek.connection", "zeek.ssh", "zeek.dns"):
        assert f'"{dataset}"' in queries
    assert all(lens_view(BY_KEY[("lens", r["id"])]) == "logward-zeek" for r in pivot["references"])


@pytest.mark.parametrize("rule", RULES.rules, ids=lambda r: str(r.id))
def test_every_rule_guide_pivots_to_network_records(rule: Any) -> None:
    note = rule_body(rule, RULES)["note"]
    assert f"/app/dashboards#/view/{PIVOT_DASHBOARD}" in note
    buttons = investigate_specs(note)
    assert buttons, f"rule {rule.id}: no Timeline button in its guide"
    held = set(rule.key) if hasattr(rule, "key") else set(getattr(rule, "same", ())) or None  # None: the event's
    for spec in buttons:
        assert spec["relativeFrom"].startswith("now-") and spec["relativeTo"].startswith("now+")
        clauses = [c for group in spec["providers"] for c in group]
        zeek = any(c["value"].startswith("zeek.") for c in clauses)
        for clause in clauses:
            catalog = VIEWS["logward-zeek"] if zeek else VIEWS["logward-auth"]
            assert clause["field"] in catalog, f"rule {rule.id}: {clause['field']} in {spec['label']}"
            assert clause["queryType"] == "phrase" and clause["excluded"] is False
            if clause["value"].startswith("{{") and not zeek and held is not None:  # a value the alert has
                assert clause["value"][2:-2] in held, f"rule {rule.id}: {spec['label']} reads {clause['value']}"
    held = address_field(rule)
    if held is not None:
        values = {c["value"] for s in buttons for g in s["providers"] for c in g}
        assert {"{{" + held + "}}", "zeek.connection", "zeek.ssh", "zeek.dns"} <= values
        # The event's address, or for a correlation by source the network of what it counts by.
        assert held == "source.ip" or "logward.source.origin" in getattr(rule, "same", ()), held


def test_a_rules_pivots_follow_what_its_alerts_hold_not_its_folder(tmp_path: Path) -> None:
    """An sshd rule kept in a folder of one's own pivots as it would in sshd/; a first-seen
    alert holds only its key, so its buttons read nothing else."""
    content = content_copy(tmp_path)
    custom = content / "detections" / "custom"
    custom.mkdir()
    for name in ("authentication_success.yml", "first_login.yml"):
        (content / "detections" / "sshd" / name).rename(custom / name)
    first = custom / "first_login.yml"
    first.write_text(first.read_text().replace("key: [host.hostname, user.name]", "key: [user.name, source.ip]"))
    rules = load_rules(content)
    moved = rule_body(rules.by_id[100103], rules)["note"].replace("detections/custom/", "detections/sshd/")
    assert moved == rule_body(RULES.by_id[100103], RULES)["note"]  # but for where the rule's file is
    buttons = investigate_specs(rule_body(rules.by_id[100120], rules)["note"])
    values = {c["value"] for s in buttons for g in s["providers"] for c in g}
    assert {"{{source.ip}}", "{{user.name}}"} <= values and "{{host.hostname}}" not in values, values


def test_the_zeek_data_view_and_links_follow_the_deploy_settings() -> None:
    settings = load_settings({"nsm_index": "corelight-*,zeek-*", "space": "soc"}, {})
    objects = desired(Content.load(ROOT), settings, Capabilities())
    view = next(d for d in objects if d.id == "index-pattern/logward-soc-zeek")
    assert view.body["attributes"]["title"] == "corelight-*,zeek-*"
    note = next(d for d in objects if d.kind == "rule").body["note"]
    assert "(/s/soc/app/dashboards#/view/logward-soc-network-pivot" in note and "corelight-*" in note


@pytest.mark.parametrize(("flags", "link"), [
    ({"kibana_url": "https://soc.example/kibana/"}, "(/kibana/app/dashboards#/view/"),
    ({"kibana_url": "https://soc.example:5601", "space": "soc"}, "(/s/soc/app/dashboards#/view/"),
    ({"kibana_base_path": "kibana", "space": "soc"}, "(/kibana/s/soc/app/dashboards#/view/"),
])
def test_links_start_with_kibanas_base_path(flags: dict[str, str], link: str) -> None:
    objects = desired(Content.load(ROOT), load_settings(flags, {}), Capabilities())
    note = next(d for d in objects if d.kind == "rule").body["note"]
    assert link in note, note


@pytest.mark.parametrize(("change", "message"), [
    ({"rows": ["source.nat.ip"]}, "field 'source.nat.ip' is not in data view logward-auth"),
    ({"chart": "radar"}, "chart 'radar' is not one of"),
    ({"data_view": "logward-nope"}, "no data view 'logward-nope'"),
    ({"metric": "median"}, "metric 'median'"),
    ({"query": 'event.outcom: "failure"'}, "the query reads ['event.outcom'], not in data view logward-auth"),
])
def test_a_bad_panel_names_the_file_the_panel_and_the_problem(tmp_path: Path, change: dict, message: str) -> None:
    content = content_copy(tmp_path)
    spec = content / "kibana" / "dashboards" / "brute-force.yml"
    data = yaml.safe_load(spec.read_text())
    data["panels"][0].update(change)
    spec.write_text(yaml.safe_dump(data))
    with pytest.raises(ContentError) as error:
        load_saved_objects(content)
    text = str(error.value)
    assert "kibana/dashboards/brute-force.yml" in text and "Top sources of failed logins" in text
    assert message in text


def test_a_dashboard_naming_a_rule_that_is_gone_is_refused(tmp_path: Path) -> None:
    content = content_copy(tmp_path)
    (content / "detections" / "su" / "su_first_time.yml").unlink()  # rule 100305
    with pytest.raises(ContentError, match=r"privilege-use.yml: names rules \[100305\]"):
        Content.load(content)


def test_saved_objects_outside_the_default_space_carry_its_name() -> None:
    """Kibana 8 keeps a dashboard's, a Lens panel's or a data view's id unique across spaces:
    a second space gets ids of its own, with every reference and link following them."""
    default = desired(Content.load(ROOT), load_settings({}, {}), Capabilities())
    soc = desired(Content.load(ROOT), load_settings({"space": "soc"}, {}), Capabilities())
    default_ids = {d.id for d in default if d.kind == "saved_object"}
    soc_objects = [d for d in soc if d.kind == "saved_object"]
    assert all(id.split("/", 1)[1].startswith("logward-") and "-soc-" not in id for id in default_ids)
    assert {d.id for d in soc_objects} == {id.replace("/logward-", "/logward-soc-") for id in default_ids}
    soc_ids = {d.id.split("/", 1)[1] for d in soc_objects}
    for d in soc_objects:
        assert all(ref["id"] in soc_ids for ref in d.body["references"]), d.id
    note = next(d for d in soc if d.kind == "rule").body["note"]
    assert "(/s/soc/app/dashboards#/view/logward-soc-network-pivot?" in note


def test_a_pivot_on_a_network_finds_its_addresses_on_a_real_node(node) -> None:
    """Correlations count an IPv6 client by its /64, so their pivot buttons filter source.ip
    on its network (logward.source.network): Timeline's phrase filter, run as Elasticsearch
    runs it on an ip field, takes the network in CIDR form. A host name is refused, so the
    buttons never read one (a source PAM logged by name has no network)."""
    node.request("PUT", "/pivot-zeek", {"mappings": {"properties": {"source": {"properties": {"ip": {"type": "ip"}}}}}})
    for i, ip in enumerate(["2001:db8:4:7::1", "2001:db8:4:7:a:b:c:d", "2001:db8:4:8::1", "203.0.113.9"]):
        node.request("PUT", f"/pivot-zeek/_doc/{i}?refresh=true", {"source": {"ip": ip}})

    def found(value: str) -> set[str]:
        hits = node.request("POST", "/pivot-zeek/_search", {"query": {"match_phrase": {"source.ip": value}}})
        return {hit["_source"]["source"]["ip"] for hit in hits["hits"]["hits"]}

    assert found("2001:db8:4:7::/64") == {"2001:db8:4:7::1", "2001:db8:4:7:a:b:c:d"}
    assert found("203.0.113.9") == {"203.0.113.9"}
    with pytest.raises(RuntimeError, match="not an IP string literal"):
        found("client.example.org")
