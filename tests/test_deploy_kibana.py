"""`logward plan|deploy|destroy|export` against the Kibana stand-in, over real HTTP.

The stand-in checks every detection-engine body against Kibana's published OpenAPI spec
(../shared/kibana/) and keeps what it is given, so what is asserted here is what a Kibana
would hold.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from logward.content.detections import load_rules
from logward.content.kibana import load_saved_objects
from tests.cluster.node import free_port
from tests.conftest import ROOT
from tests.deploy_helpers import clean_env, content_copy, run
from tests.kibana import openapi
from tests.kibana.standin import RULES, KibanaStandIn, call

KEY = "kibana-test-key-9f2c"
RULE_COUNT = len(load_rules(ROOT).rules)
SAVED_COUNT = len(load_saved_objects(ROOT))


@pytest.fixture
def kibana(monkeypatch: pytest.MonkeyPatch) -> Iterator[KibanaStandIn]:
    clean_env(monkeypatch)
    with KibanaStandIn(api_key=KEY) as standin:
        monkeypatch.setenv("KIBANA_URL", standin.url)
        monkeypatch.setenv("KIBANA_API_KEY", KEY)
        yield standin


def deploy(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    result = run(capsys, *args, "deploy")
    assert result.rc == 0, result.text
    return result.out


def test_deploy_creates_every_rule_and_saved_object_and_redeploy_writes_nothing(
        kibana: KibanaStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    plan = run(capsys, "plan")
    assert plan.rc == 0 and f"plan: {RULE_COUNT + SAVED_COUNT} to create" in plan.out
    assert kibana.writes() == []

    out = deploy(capsys)
    assert f"[{RULE_COUNT + SAVED_COUNT}/{RULE_COUNT + SAVED_COUNT}]" in out
    rules = kibana.rules()
    assert len(rules) == RULE_COUNT
    assert all(r["enabled"] and "Logward" in r["tags"] for r in rules.values())
    assert {k[1] for k in kibana.saved_objects(type="index-pattern")} >= {"logward-auth", "logward-zeek"}
    assert ("dashboard", "logward-network-pivot") in kibana.saved_objects()
    assert len(kibana.saved_objects()) == SAVED_COUNT

    kibana.clear_requests()
    out = deploy(capsys)
    assert "nothing to change" in out
    assert kibana.writes() == []


def test_an_update_keeps_what_analysts_set_in_kibana(
        kibana: KibanaStandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deploy(capsys)
    rule_id = "logward-100120"
    exceptions = [{"id": "ex-1", "list_id": "trusted-admins", "namespace_type": "single", "type": "detection"}]
    call(kibana, "PATCH", RULES, {"rule_id": rule_id, "enabled": False, "exceptions_list": exceptions},
         headers={"Authorization": f"ApiKey {KEY}"})
    assert kibana.rules()[rule_id]["enabled"] is False

    content = content_copy(tmp_path)
    rule_file = next(p for p in (content / "detections").rglob("*.yml") if "100120" in p.read_text())
    rule = yaml.safe_load(rule_file.read_text())
    rule_file.write_text(yaml.safe_dump({**rule, "title": "Renamed " + rule["title"]}, sort_keys=False))
    kibana.clear_requests()
    out = deploy(capsys, "--content", str(content))
    assert "update    kibana rule logward-100120" in out
    assert [w.method for w in kibana.writes()] == ["PUT"]
    updated = kibana.rules()[rule_id]
    assert updated["name"].startswith("Renamed ")
    assert updated["enabled"] is False
    assert updated["exceptions_list"] == exceptions


def test_a_rule_edited_in_kibana_is_put_back(kibana: KibanaStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    deploy(capsys)
    original = kibana.rules()["logward-100101"]["query"]
    call(kibana, "PATCH", RULES, {"rule_id": "logward-100101", "query": "event.action: *"},
         headers={"Authorization": f"ApiKey {KEY}"})
    plan = run(capsys, "plan")
    assert "update    kibana rule logward-100101" in plan.out and "1 to update" in plan.out
    deploy(capsys)
    assert kibana.rules()["logward-100101"]["query"] == original


def test_a_rule_saved_in_kibanas_editor_is_still_logwards(kibana: KibanaStandIn,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Kibana's rule editor writes its own `meta` when it saves a rule (the spec's
    RuleMetadata: "overwritten when you save changes to the rule's settings"): the rule is
    still Logward's, by its id and tag, and a deploy puts it back; destroy removes it."""
    deploy(capsys)
    editor_meta = {"from": "1m", "kibana_siem_app_url": "https://kibana.example/app/security"}
    call(kibana, "PATCH", RULES, {"rule_id": "logward-100102", "meta": editor_meta},
         headers={"Authorization": f"ApiKey {KEY}"})
    plan = run(capsys, "plan")
    assert "update    kibana rule logward-100102" in plan.out and "1 to update" in plan.out, plan.out
    deploy(capsys)
    assert kibana.rules()["logward-100102"]["meta"]["managed_by"] == "logward"
    call(kibana, "PATCH", RULES, {"rule_id": "logward-100102", "meta": editor_meta},
         headers={"Authorization": f"ApiKey {KEY}"})
    result = run(capsys, "destroy", "--yes")
    assert result.rc == 0, result.text
    assert "logward-100102" not in kibana.rules()


def test_a_rule_untagged_in_kibana_is_updated_not_created_again(kibana: KibanaStandIn,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Creating it again would be refused (its rule_id exists) on every run."""
    deploy(capsys)
    call(kibana, "PATCH", RULES, {"rule_id": "logward-100101", "tags": ["sshd", "tuned-by-soc"]},
         headers={"Authorization": f"ApiKey {KEY}"})
    plan = run(capsys, "plan")
    assert "update    kibana rule logward-100101" in plan.out and "1 to update" in plan.out, plan.out
    deploy(capsys)
    assert "Logward" in kibana.rules()["logward-100101"]["tags"]
    assert "nothing to change" in deploy(capsys)


def test_destroy_removes_only_what_logward_installed(kibana: KibanaStandIn,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    deploy(capsys)
    mine = {"rule_id": "soc-own-rule", "name": "SOC's own", "description": "x", "severity": "low", "risk_score": 5,
            "type": "query", "language": "kuery", "query": "event.code: 4625", "tags": ["SOC"]}
    call(kibana, "POST", RULES, mine, headers={"Authorization": f"ApiKey {KEY}"})
    call(kibana, "POST", "/api/saved_objects/dashboard/soc-board", {"attributes": {"title": "SOC"}},
         headers={"Authorization": f"ApiKey {KEY}"})
    assert run(capsys, "destroy").rc == 1
    assert len(kibana.rules()) == RULE_COUNT + 1

    assert run(capsys, "destroy", "--yes").rc == 0
    assert list(kibana.rules()) == ["soc-own-rule"]
    assert [k for k in kibana.saved_objects() if k[1].startswith("logward-")] == []
    assert ("dashboard", "soc-board") in kibana.saved_objects()


def test_a_failure_halfway_names_the_rule_and_a_rerun_completes(
        kibana: KibanaStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    kibana.fail_next("POST", RULES, status=500, times=1)
    first = run(capsys, "deploy")
    assert first.rc == 1
    assert "creating rule logward-" in first.err and "(500)" in first.err
    assert "run the same command again" in first.err
    assert len(kibana.saved_objects()) > 0 and len(kibana.rules()) == 0

    second = run(capsys, "deploy")
    assert second.rc == 0, second.text
    assert f"[{RULE_COUNT}/{RULE_COUNT}]" in second.out  # saved objects were done already
    assert len(kibana.rules()) == RULE_COUNT


def test_rules_go_to_the_chosen_space(kibana: KibanaStandIn, capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "deploy", "--space", "soc")
    assert result.rc == 0, result.text
    assert len(kibana.rules("soc")) == RULE_COUNT and kibana.rules("default") == {}
    assert all(w.path.startswith("/s/soc/") for w in kibana.writes())


@pytest.mark.parametrize(("standin", "env_key", "message"), [
    (dict(api_key=KEY), "a-wrong-key-77", "refused the credentials (401)"),
    (dict(api_key=KEY, forbidden=True), KEY, "was not allowed (403 from Kibana)"),
    (dict(api_key=KEY, version="8.9.2"), KEY, "Kibana 8.9.2 at http"),
    (dict(api_key=KEY, version="8.10.4"), KEY, "is too old: Logward's detection rules need 8.11 or later"),
    (dict(api_key=KEY, encryption_key=False), KEY, "encryptionKey"),
    (dict(api_key=KEY, alerts_access=False), KEY, "lacks privileges on the alerts index"),
])
def test_errors_are_one_clear_line_without_secrets(
        standin: dict, env_key: str, message: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    clean_env(monkeypatch)
    with KibanaStandIn(**standin) as kibana:
        monkeypatch.setenv("KIBANA_URL", kibana.url)
        monkeypatch.setenv("KIBANA_API_KEY", env_key)
        result = run(capsys, "deploy")
    assert result.rc == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert env_key not in result.text and KEY not in result.text


def test_unreachable_kibana(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    clean_env(monkeypatch)
    monkeypatch.setenv("KIBANA_URL", f"http://127.0.0.1:{free_port()}")
    result = run(capsys, "plan")
    assert result.rc == 1 and "cannot reach Kibana" in result.err


def test_export_writes_importable_rules_and_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    clean_env(monkeypatch)
    assert run(capsys, "export", str(tmp_path)).rc == 0
    lines = (tmp_path / "kibana" / "rules.ndjson").read_text().splitlines()
    assert len(lines) == RULE_COUNT
    for line in lines:
        body = json.loads(line)
        assert openapi.validate_request("POST", RULES, body) == [], body["rule_id"]
    saved = [json.loads(x) for x in (tmp_path / "kibana" / "saved_objects.ndjson").read_text().splitlines()]
    assert all({"type", "id", "attributes"} <= item.keys() for item in saved)
    # Without the shape's version, an import would run every migration since 7.x on them.
    versions = {(item["type"], item["coreMigrationVersion"], item["typeMigrationVersion"]) for item in saved}
    assert versions == {("dashboard", "8.8.0", "8.9.0"), ("lens", "8.8.0", "8.9.0"),
                        ("index-pattern", "8.8.0", "8.0.0")}
    requests = [json.loads(p.read_text()) for p in sorted((tmp_path / "elasticsearch").glob("*.json"))]
    paths = [r["path"] for r in requests]
    assert paths.index("/_scripts/logward-syslog-year") < paths.index("/_ingest/pipeline/logward-syslog")
    assert paths.index("/_ingest/pipeline/logward-sshd") < paths.index("/_ingest/pipeline/logward-auth")
    assert any(p.startswith("/_transform/logward-fts-") for p in paths)
    custom = next(r for r in requests if r["path"] == "/_ingest/pipeline/logward@custom")
    assert custom["create_only"] is True
    # A transform's requests can be sent again: created once, then updated and started
    # (409: started already).
    fts = [r for r in requests if r["path"].startswith("/_transform/logward-fts-100120")]
    assert [(r["method"], r["path"].split("?")[0].rsplit("/", 1)[-1]) for r in fts] == [
        ("PUT", "logward-fts-100120"), ("POST", "_update"), ("POST", "_start")]
    assert fts[0]["create_only"] is True and fts[2]["ok_statuses"] == [409]
    assert "pivot" in fts[0]["body"] and "pivot" not in fts[1]["body"] and "sync" in fts[1]["body"]


@pytest.mark.parametrize(("version", "suppressed"), [("8.15.0", False), ("8.18.0", True), ("9.1.0", True)])
def test_correlations_are_suppressed_where_kibana_takes_it_on_sequences(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], version: str, suppressed: bool) -> None:
    clean_env(monkeypatch)
    with KibanaStandIn(api_key=KEY, version=version) as standin:
        monkeypatch.setenv("KIBANA_URL", standin.url)
        monkeypatch.setenv("KIBANA_API_KEY", KEY)
        deploy(capsys)
        eql = [r for r in standin.rules().values() if r["type"] == "eql"]
        first_seen = [r for r in standin.rules().values() if "transform" in r["meta"]]
    assert eql and all(("alert_suppression" in r) == suppressed for r in eql)
    assert first_seen and all("alert_suppression" in r for r in first_seen)  # query rules take it since 8.8


@pytest.mark.parametrize(("version", "suppressed"), [("8.11", False), ("8.17.2", False), ("8.18", True)])
def test_export_writes_rules_for_the_kibana_version_given(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str], version: str,
                                                          suppressed: bool) -> None:
    clean_env(monkeypatch)
    assert run(capsys, "export", "--kibana-version", version, str(tmp_path)).rc == 0
    rules = [json.loads(x) for x in (tmp_path / "kibana" / "rules.ndjson").read_text().splitlines()]
    eql = [r for r in rules if r["type"] == "eql"]
    assert eql and all(("alert_suppression" in r) == suppressed for r in eql)


@pytest.mark.parametrize("version", ["7.17", "8.8", "8.10.4"])
def test_export_refuses_a_kibana_deploy_would_refuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str], version: str) -> None:
    clean_env(monkeypatch)
    with pytest.raises(SystemExit) as stop:
        run(capsys, "export", "--kibana-version", version, str(tmp_path / "out"))
    err = capsys.readouterr().err
    assert stop.value.code == 2 and not (tmp_path / "out").exists()
    assert (f"logward export: error: argument --kibana-version: Kibana {version} is too old: Logward's detection "
            "rules need 8.11 or later") in err, err
