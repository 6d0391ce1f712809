"""Every rule, one by one: its own test cases pass, and it compiles to a body Kibana's
Detections API accepts. Failures name the rule."""

from __future__ import annotations

import pytest

from logward.cli.ruletest import run_case
from logward.compiler.kibana import SEVERITY, rule_body
from logward.compiler.options import Target
from logward.compiler.transforms import transform_body
from logward.content.detections import RuleSet, load_rules
from logward.content.pipelines import Pipelines, load_pipelines
from logward.engine import Engine
from logward.engine.ingest import Ingest
from logward.rules.model import EventRule, FirstSeenRule, FrequencyRule, SequenceRule, parse_rule
from tests.conftest import ROOT
from tests.kibana.openapi import validate
from tests.shared import SHARED

RULES = load_rules(ROOT)
PIPELINES = load_pipelines(ROOT)
INGEST = Ingest(PIPELINES.bodies, PIPELINES.entry)
CASES = [(rule, case) for rule in RULES.rules for case in rule.tests]


def _id(value: object) -> str:
    return str(getattr(value, "id", getattr(value, "name", value)))


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r.id}-{c.name}" for r, c in CASES])
def test_rule_case(rule, case, pipelines: Pipelines = PIPELINES, rules: RuleSet = RULES):
    result = run_case(pipelines, rules, rule, case, INGEST)
    assert result.ok, (
        f"rule {rule.id} ({rule.source}), case {case.name!r}: fired {result.fired} times, "
        f"expected {case.fires}; other rules fired: {result.others}"
        + (f"; {result.problem}" if result.problem else "")
    )


@pytest.mark.parametrize("rule", RULES.rules, ids=_id)
def test_rule_compiles_to_a_valid_kibana_rule(rule):
    body = rule_body(rule, RULES)
    errors = validate("RuleCreateProps", body)
    assert not errors, f"rule {rule.id} ({rule.source}): {errors}"
    assert body["rule_id"] == f"logward-{rule.id}"
    assert (body["severity"], body["risk_score"]) == SEVERITY[rule.level]
    expected_type = {EventRule: "query", FrequencyRule: "eql", SequenceRule: "eql", FirstSeenRule: "query"}
    assert body["type"] == expected_type[type(rule)]
    assert "Logward" in body["tags"] and body["meta"]["managed_by"] == "logward"


def test_index_patterns_are_configurable():
    target = Target(index=("auth-logs-*", "other-*"), entity_prefix="fts-")
    for rule in RULES.rules:
        body = rule_body(rule, RULES, target)
        if isinstance(rule, FirstSeenRule):
            assert body["index"] == [f"fts-{rule.id}"]
            assert transform_body(rule, RULES, target)["source"]["index"] == ["auth-logs-*", "other-*"]
        else:
            assert body["index"] == ["auth-logs-*", "other-*"]


def test_correlations_compile_to_eql_with_their_window_key_and_count():
    body = rule_body(RULES.by_id[100111], RULES)
    assert body["query"].splitlines()[0] == "sequence by logward.source.origin with maxspan=120s"
    assert body["query"].endswith("with runs=8")
    sequence = rule_body(RULES.by_id[100112], RULES)["query"].splitlines()
    assert sequence[0] == "sequence by logward.source.origin with maxspan=240s"
    assert sequence[1].endswith("with runs=8") and 'event.outcome == "success"' in sequence[2]


def test_correlations_select_by_ingest_time_and_order_by_event_time():
    for rule in (r for r in RULES.rules if isinstance(r, FrequencyRule | SequenceRule)):
        body = rule_body(rule, RULES)
        assert (body["timestamp_override"], body["timestamp_field"]) == ("event.ingested", "@timestamp"), rule.id


def test_correlations_alert_once_per_burst_and_key():
    """EQL matches a sequence ending at every event past the count, and consecutive runs
    overlap: suppression by the key for the whole look-back (so past the overlap) leaves one
    alert per burst, however it falls across runs."""
    for rule in (r for r in RULES.rules if isinstance(r, FrequencyRule | SequenceRule)):
        window = rule.timeframe if isinstance(rule, FrequencyRule) else rule.within
        body = rule_body(rule, RULES)
        suppression, interval = body["alert_suppression"], 60 * int(body["interval"].removesuffix("m"))
        lookback = int(body["from"].removeprefix("now-").removesuffix("s"))
        # by host too, so the same source reaching a second host is alerted again
        assert suppression["group_by"] == [*rule.same, *(["host.hostname"] if "host.hostname" not in rule.same else [])]
        assert lookback >= interval + window, rule.id  # a burst begun before the last run is seen whole
        assert suppression["duration"] == {"value": lookback, "unit": "s"}, rule.id
        assert "alert_suppression" not in rule_body(rule, RULES, Target(sequence_suppression=False))


def test_a_correlation_keyed_on_three_fields_suppresses_by_them_alone():
    """Kibana groups by at most 3 fields: the host is added only where there is room."""
    base = {"id": 110001, "title": "t", "description": "d", "level": 10, "type": "frequency",
            "events": {"groups": ["authentication_failed"]}, "count": 8, "timeframe": "120s",
            "tests": [{"name": "n", "log": "x", "fires": 1}, {"name": "m", "log": "y", "fires": 0}]}
    full = parse_rule({**base, "same": ["logward.source.origin", "user.name", "process.name"]}, "local/a.yml")
    hosted = parse_rule({**base, "same": ["host.hostname", "user.name"]}, "local/b.yml")
    assert rule_body(full, RULES)["alert_suppression"]["group_by"] == ["logward.source.origin", "user.name",
                                                                       "process.name"]
    assert rule_body(hosted, RULES)["alert_suppression"]["group_by"] == ["host.hostname", "user.name"]


def test_rules_may_alert_as_often_as_kibana_lets_them():
    """At the API's default of 100 alerts a run, a flood of one rule's matches would hide
    the next match, and one source's sequences another's."""
    assert all(rule_body(rule, RULES)["max_signals"] == 1000 for rule in RULES.rules)


def test_first_seen_rules_look_back_past_the_transforms_lag():
    """An entity appears in its index up to the sync delay plus two checks after its first
    event is ingested; a run that misses it must leave it inside the next run's look-back."""
    for rule in (r for r in RULES.rules if isinstance(r, FirstSeenRule)):
        body, transform = rule_body(rule, RULES), transform_body(rule, RULES, Target())
        lag = 60 * int(transform["frequency"].removesuffix("m")) * 2 + int(transform["sync"]["time"]["delay"][:-1])
        interval = 60 * int(body["interval"].removesuffix("m"))
        assert int(body["from"].removeprefix("now-").removesuffix("s")) >= interval + lag, rule.id
        assert body["alert_suppression"]["group_by"] == list(rule.key), rule.id


def test_first_seen_rules_build_an_entity_transform():
    for rule in (r for r in RULES.rules if isinstance(r, FirstSeenRule)):
        body = transform_body(rule, RULES, Target())
        pivot = body["pivot"]
        assert list(pivot["group_by"]) == list(rule.key)
        aggs = pivot["aggregations"]
        assert aggs["first_seen"] == {"min": {"field": "@timestamp"}}
        assert aggs["last_seen"] == {"max": {"field": "@timestamp"}}
        assert aggs["count"] == {"value_count": {"field": "@timestamp"}}
        assert body["sync"]["time"]["field"] == "event.ingested"
        kibana = rule_body(rule, RULES)
        assert kibana["index"] == [body["dest"]["index"]] and kibana["timestamp_override"] == "first_ingested"


def test_ossec_ids_of_the_sshd_slice_are_recorded():
    recorded = {i for rule in RULES.rules for i in rule.ossec}
    assert {5710, 5716, 5715, 5712, 5720, 5763, 40112, 10100, 40101} <= recorded


def test_every_rule_has_positive_and_negative_cases():
    for rule in RULES.rules:
        assert any(c.fires for c in rule.tests) and any(c.fires == 0 for c in rule.tests), rule.id


def test_readme_lists_every_rule():
    readme = (ROOT / "README.md").read_text()
    missing = [rule.id for rule in RULES.rules if f"| {rule.id} |" not in readme]
    assert not missing, f"rules missing from README.md's table: {missing}"


def _every_line() -> list[tuple[str, str]]:
    """Every log line the project has, with where it comes from."""
    lines = [(f"rule {rule.id}, case {case.name!r}", line) for rule in RULES.rules for case in rule.tests
             for line in case.lines]
    files = [*sorted(ROOT.glob("pipelines/*/test-*.log")), ROOT / "demo" / "attack-auth.log",
             SHARED / "corpora" / "loghub" / "OpenSSH_2k.log", SHARED / "corpora" / "loghub" / "Linux_2k.log"]
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        lines += [(f"{path.parent.name}/{path.name}:{n}", line) for n, line in enumerate(text.splitlines(), 1)]
    return lines


def test_a_line_raises_at_most_one_event_rule():
    """As in OSSEC, where an event ends at one rule: a rule for a special case (su to root,
    a system account's login, a UID 0 account) overrides the general one instead of
    alerting beside it. Correlations still count the line as both rules' inputs select it."""
    engine = Engine(PIPELINES, RULES, ingest=INGEST)
    twice = []
    for where, line in _every_line():
        _, alerts = engine.process(line, "2025-06-01T00:00:00.000Z")
        fired = sorted(alert.rule.id for alert in alerts if isinstance(alert.rule, EventRule))
        if len(fired) > 1:
            twice.append(f"{where}: rules {fired} on {line!r}")
    assert not twice, "lines that raise more than one event rule (one should override the other):\n" + "\n".join(twice)
