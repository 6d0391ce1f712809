"""`logward plan|deploy|destroy` against the real test node, through the official client.

The client talks to the node through tests/cluster/adapter.py (product and media-type
headers only; see its docstring). The node is OSS 7.10: no data streams and no transforms,
so those steps are planned as left out, and the rest is exercised for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from logward.content.detections import load_rules
from logward.content.pipelines import Pipelines
from logward.deploy.elastic import transform_change, transform_restart
from logward.rules.model import FirstSeenRule
from tests.cluster import node as test_node
from tests.cluster.adapter import Adapter
from tests.conftest import ROOT, install_pipelines
from tests.deploy_helpers import clean_env, content_copy, run
from tests.kibana.standin import KibanaStandIn

SSHD = "Jan 12 10:00:01 web1 sshd[811]: Failed password for invalid user admin from 203.0.113.9 port 52311 ssh2"
READS = ("GET", "HEAD")
READ_POSTS = {"POST /_security/user/_has_privileges"}


@pytest.fixture(scope="module")
def adapter(node: test_node.Node, pipelines: Pipelines) -> Iterator[Adapter]:
    with Adapter(node.url) as a:
        yield a
    install_pipelines(node, pipelines)  # as the simulate tests expect the node


@pytest.fixture
def es(adapter: Adapter, monkeypatch: pytest.MonkeyPatch) -> Adapter:
    clean_env(monkeypatch)
    monkeypatch.setenv("ES_URL", adapter.url)
    adapter.overrides.clear()
    return adapter


@pytest.fixture
def deployed(es: Adapter, capsys: pytest.CaptureFixture[str]) -> Adapter:
    result = run(capsys, "deploy")
    assert result.rc == 0, result.text
    return es


def writes(adapter: Adapter, since: int) -> list[str]:
    return [r for r in adapter.requests[since:] if r.split()[0] not in READS and r not in READ_POSTS]


def test_plan_writes_nothing_and_deploy_installs_everything(
        es: Adapter, node: test_node.Node, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "destroy", "--yes").rc == 0
    since = len(es.requests)
    plan = run(capsys, "plan")
    assert plan.rc == 0, plan.text
    assert "create    elasticsearch pipeline logward-sshd" in plan.out
    assert "no transform API on this cluster" in plan.out
    assert writes(es, since) == []
    with pytest.raises(RuntimeError, match="404"):
        node.request("GET", "/_ingest/pipeline/logward-sshd")

    deploy = run(capsys, "deploy")
    assert deploy.rc == 0, deploy.text
    assert "[1/" in deploy.out and "deploy: " in deploy.out
    sshd = node.request("GET", "/_ingest/pipeline/logward-sshd")["logward-sshd"]
    assert "[managed by Logward: logward-sshd]" in sshd["description"] and isinstance(sshd["version"], int)
    assert node.request("GET", "/_ingest/pipeline/logward@custom")["logward@custom"]["processors"] == []
    settings = node.request("GET", "/_component_template/logward-auth@settings")
    assert settings["component_templates"][0]["component_template"]["template"]["settings"]["index"][
        "default_pipeline"] == "logward-auth"
    assert node.request("GET", "/_scripts/logward-syslog-year")["found"]


def test_events_sent_to_the_data_stream_are_parsed_on_the_node(
        deployed: Adapter, node: test_node.Node) -> None:
    index = "logs-logward.auth-deploytest"
    node.request("DELETE", f"/{index}?ignore_unavailable=true")
    node.request("PUT", f"/{index}/_doc/1?refresh=true", {"message": SSHD})
    node.request("PUT", f"/{index}/_doc/2?refresh=true", {"message": "\x00 nothing any parser knows"})
    parsed = node.request("GET", f"/{index}/_doc/1")["_source"]
    assert parsed["source"]["ip"] == "203.0.113.9"
    assert parsed["event"]["outcome"] == "failure"
    unknown = node.request("GET", f"/{index}/_doc/2")["_source"]
    assert unknown["event"]["original"] == "\x00 nothing any parser knows"
    assert any(tag.startswith("logward_") for tag in unknown["tags"])
    mapping = node.request("GET", f"/{index}/_mapping")[index]["mappings"]["properties"]
    assert mapping["source"]["properties"]["ip"]["type"] == "ip"


def test_redeploy_of_unchanged_content_makes_no_writes(deployed: Adapter, capsys: pytest.CaptureFixture[str]) -> None:
    since = len(deployed.requests)
    again = run(capsys, "deploy")
    assert again.rc == 0, again.text
    assert "nothing to change" in again.out
    assert writes(deployed, since) == []


def test_the_custom_pipeline_is_the_users(deployed: Adapter, node: test_node.Node,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    mine = {"processors": [{"set": {"field": "labels.site", "value": "dc1"}}]}
    node.request("PUT", "/_ingest/pipeline/logward@custom", mine)
    assert run(capsys, "deploy").rc == 0
    assert node.request("GET", "/_ingest/pipeline/logward@custom")["logward@custom"] == mine
    node.request("PUT", "/logs-logward.auth-custom/_doc/1?refresh=true", {"message": SSHD})
    assert node.request("GET", "/logs-logward.auth-custom/_doc/1")["_source"]["labels"]["site"] == "dc1"
    node.request("PUT", "/_ingest/pipeline/logward@custom", {"processors": []})


def test_drift_is_planned_and_repaired(deployed: Adapter, node: test_node.Node,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    original = node.request("GET", "/_ingest/pipeline/logward-su")["logward-su"]
    node.request("PUT", "/_ingest/pipeline/logward-su", {**original, "processors": original["processors"][:1]})
    plan = run(capsys, "plan")
    assert "update    elasticsearch pipeline logward-su" in plan.out
    assert "plan: 0 to create, 1 to update, 0 to delete" in plan.out
    assert run(capsys, "deploy").rc == 0
    assert node.request("GET", "/_ingest/pipeline/logward-su")["logward-su"] == original


def test_stale_managed_objects_go_and_the_users_stay(deployed: Adapter, node: test_node.Node,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    node.request("PUT", "/_ingest/pipeline/logward-retired",
                 {"description": "an old one [managed by Logward]", "processors": []})
    node.request("PUT", "/_ingest/pipeline/logward-mine", {"description": "a user's", "processors": []})
    # A copy of a deployed pipeline (Kibana's "Clone" keeps the description) is the user's.
    sshd = node.request("GET", "/_ingest/pipeline/logward-sshd")["logward-sshd"]
    node.request("PUT", "/_ingest/pipeline/logward-sshd-copy", sshd)
    plan = run(capsys, "plan")
    assert "delete    elasticsearch pipeline logward-retired" in plan.out
    assert "logward-mine" not in plan.out and "logward-sshd-copy" not in plan.out
    assert run(capsys, "deploy").rc == 0
    with pytest.raises(RuntimeError, match="404"):
        node.request("GET", "/_ingest/pipeline/logward-retired")

    destroy = run(capsys, "destroy")
    assert destroy.rc == 1 and "--yes" in destroy.out  # nothing deleted without it
    node.request("GET", "/_ingest/pipeline/logward-sshd")
    assert run(capsys, "destroy", "--yes").rc == 0
    for gone in ("/_ingest/pipeline/logward-sshd", "/_scripts/logward-classify",
                 "/_index_template/logs-logward.auth", "/_component_template/logward-auth@mappings"):
        with pytest.raises(RuntimeError, match="404"):
            node.request("GET", gone)
    assert node.request("GET", "/_ingest/pipeline/logward-mine")
    assert node.request("GET", "/_ingest/pipeline/logward-sshd-copy")
    assert node.request("GET", "/_ingest/pipeline/logward@custom")
    node.request("DELETE", "/_ingest/pipeline/logward-mine")
    node.request("DELETE", "/_ingest/pipeline/logward-sshd-copy")


def test_a_rejected_body_names_the_object_and_a_rerun_finishes(
        es: Adapter, node: test_node.Node, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "destroy", "--yes").rc == 0
    broken = content_copy(tmp_path)
    su = broken / "pipelines" / "su" / "pipeline.yml"
    body = yaml.safe_load(su.read_text())
    body["processors"].append({"no_such_processor": {"field": "x"}})
    su.write_text(yaml.safe_dump(body))

    failed = run(capsys, "--content", str(broken), "deploy")
    assert failed.rc == 1
    assert "pipeline logward-su" in failed.err
    assert "no_such_processor" in failed.err  # the node's own reason
    assert "run the same command again" in failed.err
    node.request("GET", "/_ingest/pipeline/logward-sshd")  # what came before it is in place

    assert run(capsys, "deploy").rc == 0
    assert "plan: 0 to create, 0 to update, 0 to delete" in run(capsys, "plan").out


def test_unreachable_bad_credentials_forbidden_and_too_old(
        es: Adapter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ES_URL", f"http://127.0.0.1:{test_node.free_port()}")
    down = run(capsys, "deploy")
    assert down.rc == 1 and "cannot reach Elasticsearch" in down.err
    assert len(down.err.strip().splitlines()) == 1

    monkeypatch.setenv("ES_URL", es.url)
    monkeypatch.setenv("ES_USERNAME", "elastic")
    monkeypatch.setenv("ES_PASSWORD", "s3cret-pw")
    es.overrides["*"] = (401, {"error": {"type": "security_exception", "reason": "unable to authenticate user"},
                               "status": 401})
    refused = run(capsys, "deploy")
    assert refused.rc == 1 and "refused the credentials (401)" in refused.err
    assert "s3cret-pw" not in refused.text

    es.overrides.clear()
    es.overrides["PUT *"] = (403, {"error": {"type": "security_exception",
                                             "reason": "action [cluster:admin/script/put] is unauthorized"},
                                   "status": 403})
    run(capsys, "destroy", "--yes")
    forbidden = run(capsys, "deploy")
    assert forbidden.rc == 1
    assert "was not allowed (403 from Elasticsearch)" in forbidden.err and "cluster:admin/script/put" in forbidden.err

    es.overrides.clear()
    es.overrides["GET /"] = (200, {"version": {"number": "7.9.3"}, "tagline": "You Know, for Search"})
    old = run(capsys, "deploy")
    assert old.rc == 1 and "7.9.3" in old.err and "too old" in old.err
    es.overrides.clear()
    assert run(capsys, "deploy").rc == 0


def test_both_sides_at_once_leave_out_rules_the_cluster_cannot_feed(
        es: Adapter, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    with KibanaStandIn() as kibana:
        monkeypatch.setenv("KIBANA_URL", kibana.url)
        result = run(capsys, "deploy")
        assert result.rc == 0, result.text
        first_seen = {f"logward-{r.id}" for r in load_rules(ROOT).rules if isinstance(r, FirstSeenRule)}
        assert first_seen and not first_seen & set(kibana.rules())  # no transforms on OSS: no entity index
        assert len(kibana.rules()) == len(load_rules(ROOT).rules) - len(first_seen)
        assert "first-time-seen transforms and their rules are left out" in result.out


def test_transform_changes_update_in_place_unless_the_entity_key_changes() -> None:
    wanted = {"description": "d", "source": {"index": ["logs-logward.auth-*"]}, "frequency": "1m",
              "pivot": {"group_by": {"user.name": {"terms": {"field": "user.name"}}}}}
    running = {**wanted, "id": "t", "version": "8.15.0", "_state": "started"}
    assert transform_change(wanted, None) == "create"
    assert transform_change(wanted, running) == "start"  # same body; `same` decides it is not running
    assert transform_change({**wanted, "frequency": "5m"}, running) == "update"
    assert transform_change({**wanted, "source": {"index": ["other-*"]}}, running) == "update"
    rekeyed = {**wanted, "pivot": {"group_by": {"host.name": {"terms": {"field": "host.name"}}}}}
    assert transform_change(rekeyed, running) == "rebuild"
    # A key left out, which containment alone would miss: the old transform holds both.
    both = {**running, "pivot": {"group_by": {"host.name": {"terms": {"field": "host.name"}},
                                              "user.name": {"terms": {"field": "user.name"}}}}}
    assert transform_change(wanted, both) == "rebuild"


def test_preflight_names_missing_privileges_and_an_expired_license(
        es: Adapter, capsys: pytest.CaptureFixture[str]) -> None:
    features = {"security": {"available": True, "enabled": True}, "transform": {"available": True, "enabled": False}}
    es.overrides["GET /_xpack"] = (200, {"license": {"status": "active"}, "features": features})
    es.overrides["POST /_security/user/_has_privileges"] = (200, {
        "username": "deployer", "has_all_requested": False,
        "cluster": {"manage_pipeline": True, "manage_index_templates": False, "cluster:admin/script/put": True},
        "index": {"logward-fts-*": {"read": True, "index": True, "create_index": False, "delete_index": True}}})
    result = run(capsys, "plan")
    assert result.rc == 1
    assert "lacks privileges" in result.err
    assert "manage_index_templates" in result.err and "create_index on logward-fts-*" in result.err

    es.overrides["GET /_xpack"] = (200, {"license": {"status": "expired"}, "features": features})
    expired = run(capsys, "plan")
    assert expired.rc == 1 and "license" in expired.err and "expired" in expired.err


def test_a_failed_transform_is_force_stopped_before_it_starts_again() -> None:
    """Elasticsearch refuses to start a failed transform: a rerun of deploy must stop it first."""
    assert transform_restart("failed") == ["force stop", "start"]
    assert transform_restart("stopped") == transform_restart(None) == ["start"]
    assert transform_restart("started") == transform_restart("indexing") == []


def test_the_data_stream_keeps_the_stacks_lifecycle_and_ecs_mappings_where_the_stack_has_them() -> None:
    """Logward's template outranks the stack's logs-*-* one (to set the pipeline), so it
    composes the stack's parts itself: without them the stream never rolls over and a
    shipper's host.ip is text. The 7.10 test node has none of them."""
    from logward.deploy.objects import Capabilities, Content, desired
    from logward.deploy.settings import load_settings

    def template(version: tuple[int, ...]) -> dict:
        objects = desired(Content.load(ROOT), load_settings({}, {}), Capabilities(version=version))
        return next(d.body for d in objects if d.kind == "index_template")

    current = template((8, 15, 0))
    assert current["composed_of"] == ["logs@mappings", "logs@settings", "ecs@mappings", "logward-auth@mappings",
                                      "logward-auth@settings", "logs-logward.auth@custom"]
    assert current["ignore_missing_component_templates"] == ["logs@mappings", "logs@settings", "ecs@mappings",
                                                             "logs-logward.auth@custom"]
    old = template((7, 10, 2))
    assert old["composed_of"] == ["logward-auth@mappings", "logward-auth@settings"]
    assert "ignore_missing_component_templates" not in old


def test_a_data_stream_a_shipper_made_before_the_deploy_gets_logwards_pipeline(
        es: Adapter, node: test_node.Node, capsys: pytest.CaptureFixture[str]) -> None:
    """A shipper started first makes the stream from the stack's template (or none): its
    events would be stored raw. The deploy says so and sets the pipeline."""
    assert run(capsys, "destroy", "--yes").rc == 0
    stream = "logs-logward.auth-default"
    node.request("DELETE", f"/{stream}?ignore_unavailable=true")
    node.request("PUT", f"/{stream}/_doc/early?refresh=true", {"message": "an early line"})
    plan = run(capsys, "plan")
    assert f"update    elasticsearch data stream {stream}" in plan.out, plan.out
    assert run(capsys, "deploy").rc == 0
    node.request("PUT", f"/{stream}/_doc/1?refresh=true", {"message": SSHD})
    assert node.request("GET", f"/{stream}/_doc/1")["_source"]["source"]["ip"] == "203.0.113.9"
    assert "nothing to change" in run(capsys, "deploy").out
    assert node.request("GET", f"/{stream}/_doc/early")["_source"] == {"message": "an early line"}  # kept


def test_the_plan_says_when_a_transform_is_rebuilt_or_started_again() -> None:
    from logward.deploy.elastic import Elastic
    from logward.deploy.objects import Desired
    from logward.deploy.settings import load_settings

    elastic = Elastic(load_settings({}, {"ES_URL": "http://127.0.0.1:9"}))  # no call is made
    wanted = {"description": "d", "dest": {"index": "logward-fts-100120"}, "frequency": "1m",
              "pivot": {"group_by": {"user.name": {"terms": {"field": "user.name"}}}}}
    d = Desired("elasticsearch", "transform", "logward-fts-100120", wanted)
    rekeyed = {**wanted, "pivot": {"group_by": {"host.name": {"terms": {"field": "host.name"}}}}, "_state": "started"}
    assert "logward-fts-100120 is deleted and refilled" in elastic.note(d, rekeyed)
    assert elastic.note(d, {**wanted, "_state": "stopped"}) == "it is stopped: started"
    assert elastic.note(d, {**wanted, "_state": "failed"}) == "it failed: force-stopped and started"
    assert elastic.note(d, {**wanted, "frequency": "5m", "_state": "started"}) == ""
