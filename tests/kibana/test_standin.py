"""The Kibana contract checker and the Kibana stand-in do their jobs, including saying no."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.kibana.openapi import known_properties, load_spec, validate, validate_request
from tests.kibana.standin import KibanaStandIn, call

RULES = "/api/detection_engine/rules"
EQL_SEQUENCE = "sequence by source.ip with maxspan=120s [any where true] with runs=8"


def query_rule(**changes: Any) -> dict[str, Any]:
    """The smallest query rule body Kibana accepts, plus `changes`."""
    body = {"rule_id": "ssh-brute-force", "name": "SSH brute force", "description": "Many failed logins",
            "risk_score": 47, "severity": "medium", "type": "query", "language": "kuery",
            "query": 'event.category:"authentication" and event.outcome:"failure"'}
    return {**body, **changes}


def eql_rule(**changes: Any) -> dict[str, Any]:
    return query_rule(**{"rule_id": "ssh-sequence", "type": "eql", "language": "eql", "query": EQL_SEQUENCE, **changes})


@pytest.fixture
def kibana() -> Iterator[KibanaStandIn]:
    with KibanaStandIn() as standin:
        yield standin


# ---- the contract checker ----------------------------------------------------------------------


def test_spec_loads_from_the_shared_reference_data() -> None:
    spec = load_spec()
    assert spec["openapi"].startswith("3.0")
    assert {"post", "put", "patch", "get", "delete"} <= set(spec["paths"][RULES])


def test_a_minimal_query_rule_is_valid() -> None:
    assert validate("RuleCreateProps", query_rule()) == []
    assert validate_request("POST", RULES, query_rule()) == []


def test_a_rule_without_a_name_is_rejected_naming_the_field() -> None:
    body = query_rule()
    del body["name"]
    assert validate("RuleCreateProps", body) == ["'name' is a required property"]


def test_an_unknown_severity_is_rejected_naming_field_and_value() -> None:
    errors = validate("RuleCreateProps", query_rule(severity="extreme"))
    assert len(errors) == 1
    assert errors[0].startswith("severity: 'extreme' is not one of")


def test_an_eql_rule_without_query_reports_the_eql_branch_not_a_generic_anyof_error() -> None:
    body = eql_rule()
    del body["query"]
    errors = validate("RuleCreateProps", body)
    assert errors == ["'query' is a required property"]
    assert not any("any of the given schemas" in e for e in errors)


def test_an_eql_sequence_rule_is_valid() -> None:
    body = eql_rule()
    assert body["query"] == EQL_SEQUENCE
    assert validate("RuleCreateProps", body) == []


def test_eql_rules_must_say_language_eql() -> None:
    assert validate("RuleCreateProps", eql_rule(language="kuery")) == ["language: 'kuery' is not one of ['eql']"]


def test_new_terms_and_threshold_rules_are_valid() -> None:
    new_terms = query_rule(type="new_terms", new_terms_fields=["source.ip"], history_window_start="now-14d")
    threshold = query_rule(type="threshold", threshold={"field": ["source.ip"], "value": 8})
    assert validate("RuleCreateProps", new_terms) == []
    assert validate("RuleCreateProps", threshold) == []


def test_type_specific_requirements_and_limits_are_enforced() -> None:
    no_window = query_rule(type="new_terms", new_terms_fields=["a"])
    too_many_terms = query_rule(type="new_terms", new_terms_fields=["a", "b", "c", "d"], history_window_start="now-7d")
    zero_threshold = query_rule(type="threshold", threshold={"field": "source.ip", "value": 0})
    assert validate("RuleCreateProps", no_window) == ["'history_window_start' is a required property"]
    assert validate("RuleCreateProps", too_many_terms)[0].startswith("new_terms_fields: ")
    assert validate("RuleCreateProps", zero_threshold) == ["threshold.value: 0 is less than the minimum of 1"]


def test_an_unknown_rule_type_lists_the_known_ones() -> None:
    (error,) = validate("RuleCreateProps", query_rule(type="sigma"))
    assert error.startswith("type: 'sigma' is not one of")
    assert "'eql'" in error and "'new_terms'" in error and "'threshold'" in error


def test_formats_kibana_enforces_are_checked() -> None:
    assert validate("RuleCreateProps", query_rule(**{"from": "now-30m", "to": "now"})) == []
    assert validate("RuleCreateProps", query_rule(**{"from": "30 minutes ago"})) == [
        "from: '30 minutes ago' is not a 'date-math'"
    ]
    assert validate("RulePatchProps", {"id": "not-a-uuid", "enabled": False}) == ["id: 'not-a-uuid' is not a 'uuid'"]


def test_nullable_fields_accept_null() -> None:
    action = {"id": "c1", "group": "default", "action_type_id": ".email", "params": {},
              "frequency": {"summary": True, "notifyWhen": "onActiveAlert", "throttle": None}}
    assert validate("RuleCreateProps", query_rule(actions=[action])) == []
    action["frequency"]["throttle"] = 5
    assert validate("RuleCreateProps", query_rule(actions=[action])) != []


def test_patch_bodies_need_no_type_but_fields_are_still_checked() -> None:
    assert validate("RulePatchProps", {"rule_id": "x", "enabled": False}) == []
    assert validate("RulePatchProps", {"rule_id": "x", "risk_score": 101}) == [
        "risk_score: 101 is greater than the maximum of 100"
    ]


def test_validate_request_finds_the_operation_and_its_body_schema() -> None:
    assert validate_request("POST", f"{RULES}/_bulk_action", {"action": "disable", "ids": ["x"]}) == []
    assert validate_request("POST", f"{RULES}/_bulk_action", {"action": "disable", "ids": []}) == [
        "ids: [] should be non-empty"
    ]
    assert validate_request("POST", f"{RULES}/_bulk_action", {"action": "explode"})[0].startswith(
        "action: 'explode' is not one of"
    )
    assert validate_request("PUT", RULES, None) == ["request body is required"]
    assert validate_request("PUT", "/s/team-a/api/detection_engine/rules?x=1", query_rule()) == []
    assert "no such operation" in validate_request("POST", "/api/detection_engine/nothing", {})[0]


def test_unknown_schema_names_are_a_programming_error() -> None:
    with pytest.raises(KeyError):
        validate("NoSuchSchema", {})


def test_known_properties_follow_refs_and_allof() -> None:
    assert {"name", "query", "language", "tiebreaker_field", "rule_id"} <= known_properties("EqlRuleCreateProps")
    assert "tiebreaker_field" not in known_properties("QueryRuleCreateProps")


# ---- the stand-in over HTTP --------------------------------------------------------------------


def test_rule_lifecycle_round_trips(kibana: KibanaStandIn) -> None:
    status, created = call(kibana, "POST", RULES, query_rule(tags=["logward"]))
    assert status == 200
    assert validate("RuleResponse", created) == []
    assert created["enabled"] is True and created["revision"] == 0 and created["interval"] == "5m"

    status, read = call(kibana, "GET", f"{RULES}?rule_id=ssh-brute-force")
    assert (status, read) == (200, created)

    status, updated = call(kibana, "PUT", RULES, query_rule(tags=["logward"], severity="high", enabled=False))
    assert status == 200
    assert (updated["id"], updated["severity"], updated["revision"]) == (created["id"], "high", 1)

    call(kibana, "POST", RULES, eql_rule(tags=["other"]))
    status, found = call(kibana, "GET", f"{RULES}/_find?per_page=1&page=1")
    assert status == 200
    assert (found["page"], found["perPage"], found["total"], len(found["data"])) == (1, 1, 2, 1)
    status, tagged = call(kibana, "GET", f'{RULES}/_find?filter=alert.attributes.tags:%22logward%22')
    assert [r["rule_id"] for r in tagged["data"]] == ["ssh-brute-force"]
    assert all(validate("RuleResponse", r) == [] for r in found["data"])

    eql_id = kibana.rules()["ssh-sequence"]["id"]
    status, bulk = call(kibana, "POST", f"{RULES}/_bulk_action", {"action": "disable", "ids": [eql_id]})
    assert status == 200 and bulk["attributes"]["summary"]["succeeded"] == 1
    assert kibana.rules()["ssh-sequence"]["enabled"] is False

    status, deleted = call(kibana, "DELETE", f"{RULES}?rule_id=ssh-brute-force")
    assert status == 200 and deleted["id"] == created["id"]
    status, missing = call(kibana, "GET", f"{RULES}?rule_id=ssh-brute-force")
    assert status == 404 and missing["message"] == 'rule_id: "ssh-brute-force" not found'
    assert set(kibana.rules()) == {"ssh-sequence"}


def test_patch_changes_only_the_given_fields(kibana: KibanaStandIn) -> None:
    call(kibana, "POST", RULES, query_rule(tags=["a"]))
    status, patched = call(kibana, "PATCH", RULES, {"rule_id": "ssh-brute-force", "risk_score": 73})
    assert status == 200
    assert (patched["risk_score"], patched["tags"], patched["revision"]) == (73, ["a"], 1)


def test_an_identical_update_keeps_the_revision(kibana: KibanaStandIn) -> None:
    call(kibana, "POST", RULES, query_rule())
    assert call(kibana, "PUT", RULES, query_rule())[1]["revision"] == 0
    assert call(kibana, "PUT", RULES, query_rule(enabled=False))[1]["revision"] == 0
    assert call(kibana, "PUT", RULES, query_rule(risk_score=50))[1]["revision"] == 1


def test_properties_outside_the_contract_are_dropped(kibana: KibanaStandIn) -> None:
    status, created = call(kibana, "POST", RULES, query_rule(logward_hash="abc"))
    assert status == 200 and "logward_hash" not in created
    assert kibana.requests[-1].body["logward_hash"] == "abc"


def test_an_invalid_body_gets_kibanas_400_and_stores_nothing(kibana: KibanaStandIn) -> None:
    status, body = call(kibana, "POST", RULES, query_rule(severity="extreme"))
    assert status == 400
    assert body["statusCode"] == 400 and body["error"] == "Bad Request"
    assert "severity: 'extreme' is not one of" in body["message"]
    assert kibana.rules() == {}


def test_an_interval_kibana_cannot_schedule_is_rejected(kibana: KibanaStandIn) -> None:
    status, body = call(kibana, "POST", RULES, query_rule(interval="5 minutes"))
    assert status == 400 and "interval" in body["message"]


def test_a_duplicate_rule_id_conflicts(kibana: KibanaStandIn) -> None:
    assert call(kibana, "POST", RULES, query_rule())[0] == 200
    status, body = call(kibana, "POST", RULES, query_rule())
    assert status == 409
    assert body == {"statusCode": 409, "error": "Conflict", "message": 'rule_id: "ssh-brute-force" already exists',
                    "status_code": 409}


def test_writes_without_kbn_xsrf_are_refused(kibana: KibanaStandIn) -> None:
    assert call(kibana, "POST", RULES, query_rule(), headers={"kbn-xsrf": ""})[0] == 200  # present, even empty
    request = urllib.request.Request(kibana.url + RULES, data=json.dumps(query_rule(rule_id="b")).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert json.loads(refused.value.read())["message"] == "Request must contain a kbn-xsrf header."
    assert set(kibana.rules()) == {"ssh-brute-force"}
    assert call(kibana, "GET", "/api/status")[0] == 200  # reads need no kbn-xsrf


def test_credentials_are_checked_when_configured() -> None:
    with KibanaStandIn(api_key="abc") as kibana:
        assert call(kibana, "GET", "/api/status", headers={"Authorization": "ApiKey abc"})[0] == 200
        status, body = call(kibana, "GET", "/api/status", headers={"Authorization": "ApiKey wrong"})
        assert status == 401 and body["error"] == "Unauthorized" and body["statusCode"] == 401
        assert call(kibana, "GET", "/api/status")[0] == 401
    basic = "Basic " + base64.b64encode(b"elastic:changeme").decode()
    with KibanaStandIn(username="elastic", password="changeme") as kibana:
        assert call(kibana, "GET", "/api/status", headers={"Authorization": basic})[0] == 200
        assert call(kibana, "GET", "/api/status", headers={"Authorization": "ApiKey abc"})[0] == 401


def test_forbidden_refuses_writes_only() -> None:
    with KibanaStandIn(forbidden=True) as kibana:
        status, body = call(kibana, "POST", RULES, query_rule())
        assert status == 403 and body["error"] == "Forbidden"
        assert call(kibana, "GET", f"{RULES}/_find")[0] == 200


def test_status_reports_the_configured_version() -> None:
    with KibanaStandIn(version="8.17.1") as kibana:
        status, body = call(kibana, "GET", "/api/status")
    assert status == 200
    assert body["version"]["number"] == "8.17.1"
    assert body["status"]["overall"]["level"] == "available"


def test_spaces_keep_separate_stores(kibana: KibanaStandIn) -> None:
    assert call(kibana, "POST", f"/s/team-a{RULES}", query_rule())[0] == 200
    assert call(kibana, "GET", f"{RULES}?rule_id=ssh-brute-force")[0] == 404
    assert call(kibana, "GET", f"/s/team-a{RULES}?rule_id=ssh-brute-force")[0] == 200
    assert call(kibana, "POST", RULES, query_rule())[0] == 200  # same rule_id, other space: no conflict
    assert set(kibana.rules("team-a")) == set(kibana.rules()) == {"ssh-brute-force"}
    assert kibana.rules("team-a")["ssh-brute-force"]["id"] != kibana.rules()["ssh-brute-force"]["id"]
    assert [r.space for r in kibana.requests] == ["team-a", "default", "team-a", "default"]


def test_fail_next_fails_then_lets_a_rerun_through(kibana: KibanaStandIn) -> None:
    call(kibana, "POST", RULES, query_rule())
    kibana.fail_next("PUT", RULES, status=500, times=1)
    status, body = call(kibana, "PUT", RULES, query_rule(severity="high"))
    assert status == 500 and body["statusCode"] == 500
    assert kibana.rules()["ssh-brute-force"]["severity"] == "medium"
    assert call(kibana, "PUT", RULES, query_rule(severity="high"))[0] == 200
    assert kibana.rules()["ssh-brute-force"]["severity"] == "high"


def test_requests_are_recorded_so_tests_can_assert_no_writes(kibana: KibanaStandIn) -> None:
    call(kibana, "POST", RULES, query_rule())
    kibana.clear_requests()
    call(kibana, "GET", f"{RULES}/_find?per_page=100")
    call(kibana, "POST", "/api/saved_objects/_bulk_get", [{"type": "index-pattern", "id": "x"}])
    assert kibana.writes() == []
    assert [(r.method, r.route, r.query) for r in kibana.requests] == [
        ("GET", f"{RULES}/_find", {"per_page": "100"}),
        ("POST", "/api/saved_objects/_bulk_get", {}),
    ]


def test_bulk_actions_by_query_and_unknown_ids(kibana: KibanaStandIn) -> None:
    call(kibana, "POST", RULES, query_rule(tags=["logward"]))
    call(kibana, "POST", RULES, eql_rule())
    status, body = call(kibana, "POST", f"{RULES}/_bulk_action",
                        {"action": "delete", "query": 'alert.attributes.tags: "logward"'})
    assert status == 200 and [r["rule_id"] for r in body["attributes"]["results"]["deleted"]] == ["ssh-brute-force"]
    status, body = call(kibana, "POST", f"{RULES}/_bulk_action", {"action": "enable", "ids": ["missing"]})
    assert status == 500 and body["attributes"]["errors"][0]["status_code"] == 404
    status, body = call(kibana, "POST", f"{RULES}/_bulk_action", {"action": "enable", "ids": []})
    assert status == 400 and "ids" in body["message"]


def test_saved_objects_round_trip(kibana: KibanaStandIn) -> None:
    search = {"type": "search", "id": "logward-ssh", "attributes": {"title": "SSH failures"}}
    status, body = call(kibana, "POST", "/api/saved_objects/_bulk_create?overwrite=true", [search])
    assert status == 200 and body["saved_objects"][0]["id"] == "logward-ssh"
    status, body = call(kibana, "POST", "/api/saved_objects/_bulk_get",
                        [{"type": "search", "id": "logward-ssh"}, {"type": "search", "id": "nope"}])
    assert body["saved_objects"][0]["attributes"] == {"title": "SSH failures"}
    assert body["saved_objects"][1]["error"]["statusCode"] == 404
    assert call(kibana, "POST", "/api/saved_objects/search/logward-ssh", {"attributes": {}})[0] == 409
    status, body = call(kibana, "PUT", "/api/saved_objects/search/logward-ssh", {"attributes": {"columns": ["a"]}})
    assert body["attributes"] == {"title": "SSH failures", "columns": ["a"]}
    status, body = call(kibana, "GET", "/api/saved_objects/_find?type=search&per_page=10")
    assert (body["total"], body["saved_objects"][0]["id"]) == (1, "logward-ssh")
    assert call(kibana, "DELETE", "/api/saved_objects/search/logward-ssh")[0] == 200
    assert call(kibana, "GET", "/api/saved_objects/search/logward-ssh")[0] == 404


def test_data_views_are_saved_objects_too(kibana: KibanaStandIn) -> None:
    view = {"data_view": {"id": "logs", "title": "logs-*", "timeFieldName": "@timestamp"}}
    status, body = call(kibana, "POST", "/api/data_views/data_view", view)
    assert status == 200 and body["data_view"]["title"] == "logs-*"
    assert call(kibana, "POST", "/api/data_views/data_view", view)[0] == 400  # same title, no override
    assert call(kibana, "GET", "/api/data_views/data_view/logs")[1]["data_view"]["timeFieldName"] == "@timestamp"
    assert set(kibana.saved_objects(type="index-pattern")) == {("index-pattern", "logs")}
    assert call(kibana, "DELETE", "/api/data_views/data_view/logs") == (200, None)
    assert call(kibana, "GET", "/api/data_views/data_view/logs")[0] == 404


def test_unknown_routes_are_404(kibana: KibanaStandIn) -> None:
    status, body = call(kibana, "GET", "/api/nothing/here")
    assert status == 404 and body["statusCode"] == 404
