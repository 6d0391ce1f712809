"""A level-0 rule is OSSEC's "ignore": it matches, feeds the correlations that select it,
and raises no alert, in the engine or in Kibana. Its test cases count its matches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from logward.cli import main
from logward.compiler.kibana import rule_body
from logward.content.detections import load_rules
from logward.content.paths import ContentError
from logward.content.pipelines import load_pipelines
from logward.deploy.objects import Content
from logward.engine import Engine
from tests.conftest import edit_rule
from tests.deploy_helpers import clean_env, content_copy
from tests.test_cli import _stdin, _stdout

INVALID_USER = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"
FAILED = "Mar  2 10:00:{:02d} bastion sshd[3100]: Failed password for root from 203.0.113.50 port 40000 ssh2"


def _level_zero(content: Path, name: str, level: int) -> None:
    edit_rule(content, name, f"level: {level}\n", "level: 0\n")


def test_a_level_zero_rule_raises_no_alert_but_still_feeds_its_correlations(content: Path):
    _level_zero(content, "invalid_user.yml", 5)  # rule 100101, which brute force (100110) counts
    engine = Engine(load_pipelines(content), load_rules(content))
    lines = [INVALID_USER.replace("06:55:46", f"06:55:{second:02d}") for second in range(8)]
    alerts = [a.rule.id for line in lines for a in engine.process(line, "2025-01-01T00:00:00Z")[1]]
    assert alerts == [100110], alerts


def test_a_level_zero_correlation_counts_but_raises_no_alert(content: Path):
    _level_zero(content, "repeated_failed_passwords.yml", 10)  # rule 100111: 8 failures in 120 s
    engine = Engine(load_pipelines(content), load_rules(content), keep_ignored=True)
    alerts, matched = [], []
    for second in range(16):
        alerts += [a.rule.id for a in engine.process(FAILED.format(second), "2025-01-01T00:00:00Z")[1]]
        matched += [a.rule.id for a in engine.ignored]
    assert 100111 not in alerts and 100102 in alerts
    assert matched == [100111, 100111]  # each match starts a new count, as an alert would


@pytest.mark.parametrize(("name", "level", "rule_id"), [("invalid_user.yml", 5, 100101),
                                                        ("repeated_failed_passwords.yml", 10, 100111)])
def test_logward_test_counts_a_level_zero_rules_matches(content: Path, capsys, name: str, level: int, rule_id: int):
    """Its cases say how many times it matched: no alert could ever pass a case that fires."""
    _level_zero(content, name, level)
    assert main(["--content", str(content), "test", "-v", str(rule_id)]) == 0
    out = capsys.readouterr().out
    assert f"{rule_id}  ok" in out and ": matched (level 0: no alert) 1, expected 1 " in out, out


def test_a_level_zero_case_that_expects_a_match_fails_without_one(content: Path, capsys):
    _level_zero(content, "invalid_user.yml", 5)
    edit_rule(content, "invalid_user.yml", "fires: 1", "fires: 2")
    assert main(["--content", str(content), "test", "100101"]) == 1
    assert "FAIL: OpenSSH before 7.5 (loghub): matched (level 0: no alert) 1, expected 2" in capsys.readouterr().out


def test_logtest_shows_a_level_zero_match_without_an_alert(content: Path, monkeypatch):
    _level_zero(content, "invalid_user.yml", 5)
    _stdin(monkeypatch, INVALID_USER + "\n")
    out = _stdout(monkeypatch)
    assert main(["--content", str(content), "logtest"]) == 0
    text = out.getvalue().decode()
    assert "Rule id: '100101'\n       Level: '0'" in text and "Alert to be generated" not in text, text


def test_a_level_zero_rule_is_not_exported_to_kibana(tmp_path: Path, monkeypatch, capsys):
    clean_env(monkeypatch)
    content = content_copy(tmp_path / "content")
    _level_zero(content, "invalid_user.yml", 5)  # an event rule
    _level_zero(content, "first_login.yml", 4)  # a first-time-seen rule, and its transform
    assert main(["--content", str(content), "export", str(tmp_path / "out")]) == 0
    rules = [json.loads(line)["rule_id"] for line in (tmp_path / "out" / "kibana" / "rules.ndjson").open()]
    requests = [json.loads(p.read_text())["path"] for p in (tmp_path / "out" / "elasticsearch").glob("*.json")]
    assert len(rules) == len(load_rules(content).rules) - 2
    assert "logward-100101" not in rules and "logward-100120" not in rules and "logward-100110" in rules
    assert not [path for path in requests if "logward-fts-100120" in path]
    assert [path for path in requests if "logward-fts-100305" in path]


def test_a_dashboard_counting_a_level_zero_rules_alerts_is_refused(tmp_path: Path):
    content = content_copy(tmp_path)
    path = content / "detections" / "su" / "su_first_time.yml"  # rule 100305, on the privilege dashboard
    path.write_text(path.read_text().replace("level: 4\n", "level: 0\n", 1))
    with pytest.raises(ContentError, match=r"privilege-use.yml: names rules \[100305\], which are level 0 "
                                           r"\(detections/su/su_first_time.yml\)"):
        Content.load(content)


# "nightly" is a person's account to sshd's rules: "backup" would be a system account's (100104).
BACKUP_LOGIN = "Mar  2 10:00:00 bastion sshd[3200]: Accepted publickey for nightly from 10.0.0.5 port 40000 ssh2"
OTHER_LOGIN = "Mar  2 10:00:05 bastion sshd[3201]: Accepted publickey for nightly from 203.0.113.9 port 40001 ssh2"
OVERRIDE = f"""id: 110001
title: 'Logins of the backup account from the backup server'
description: >-
  Expected every night: not an alert.
level: 0
groups: [local]
overrides: [100103]
where:
  event.action: ssh_login
  user.name: nightly
  source.ip: 10.0.0.5
tests:
  - name: the backup server's login
    log: |
      {BACKUP_LOGIN}
    fires: 1
  - name: from anywhere else
    log: |
      {OTHER_LOGIN}
    fires: 0
"""


def _with_override(content: Path, text: str = OVERRIDE) -> Path:
    (content / "detections" / "local").mkdir()
    path = content / "detections" / "local" / "backup.yml"
    path.write_text(text)
    return path


def test_an_overriding_rule_takes_its_events_from_the_rule_it_overrides(content: Path):
    """OSSEC's level-0 child rule: the parent does not fire on what the child matches, in
    the engine, in what feeds the correlations, and in the Kibana query."""
    _with_override(content)
    rules = load_rules(content)
    engine = Engine(load_pipelines(content), rules, keep_ignored=True)
    _, alerts = engine.process(BACKUP_LOGIN, "2025-01-01T00:00:00Z")
    assert 100103 not in [a.rule.id for a in alerts] and [a.rule.id for a in engine.ignored] == [110001]
    assert 100103 in [a.rule.id for a in engine.process(OTHER_LOGIN, "2025-01-01T00:00:00Z")[1]]
    query = rule_body(rules.by_id[100103], rules)["query"]
    assert "not" in query and "10.0.0.5" in query and "nightly" in query, query


@pytest.mark.parametrize(("overrides", "why"), [
    ("[100999]", "there is no rule 100999"),
    ("[100111]", "rule 100111 is a frequency rule, not an event rule"),
    ("[110001]", "the rule overrides itself"),
])
def test_a_bad_override_is_named(content: Path, overrides: str, why: str):
    _with_override(content, OVERRIDE.replace("overrides: [100103]", f"overrides: {overrides}"))
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert f"detections/local/backup.yml: rule 110001: field 'overrides': {why}" in str(error.value), str(error.value)


def test_only_an_event_rule_overrides(content: Path):
    edit_rule(content, "repeated_failed_passwords.yml", "count: 8\n", "count: 8\noverrides: [100102]\n")
    with pytest.raises(ContentError, match="field 'overrides': not a field of a frequency rule"):
        load_rules(content)


@pytest.mark.parametrize(("where", "negated"), [
    ("{event.action: ssh_login, not: {user.name: root}}", 'not (event.action: "ssh_login" and not user.name: "root")'),
    ("{not: {user.name: root}}", 'not (not user.name: "root")'),
    ("{user.name: {exists: false}}", "not (not user.name: *)"),
])
def test_an_override_written_as_a_negation_gives_kql_kibana_parses(content: Path, where: str, negated: str):
    """KQL has no `not not x`: the override's own negation is put in parentheses."""
    # Rule 100102, which no bundled rule overrides: the override's clause is the only one.
    _with_override(content, OVERRIDE.replace(
        "where:\n  event.action: ssh_login\n  user.name: nightly\n  source.ip: 10.0.0.5\n", f"where: {where}\n")
        .replace("overrides: [100103]", "overrides: [100102]"))
    rules = load_rules(content)
    query = rule_body(rules.by_id[100102], rules)["query"]
    assert query.endswith(f" and {negated}"), query
    assert "not not" not in query


def test_rules_overriding_one_another_in_a_circle_are_named(content: Path):
    """Each would take the next one's events: none would match anything they all match."""
    path = _with_override(content)
    for this, that in ((110002, 110003), (110003, 110001)):
        text = path.read_text().replace("id: 110001", f"id: {this}")
        path.with_name(f"r{this}.yml").write_text(text.replace("overrides: [100103]", f"overrides: [{that}]"))
    path.write_text(path.read_text().replace("overrides: [100103]", "overrides: [110002]"))
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert ("detections/local/backup.yml: rule 110001: field 'overrides': rules 110001 -> 110002 -> 110003 -> 110001 "
            "override one another in a circle") in str(error.value), str(error.value)
