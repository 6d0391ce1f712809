"""Condition values are checked against the type pipelines/fields.yml gives their field:
a value Kibana would refuse, or one it and the engine would match differently, fails when
the rules load, naming the file, the rule and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from logward.compiler.kibana import rule_body
from logward.compiler.queries import EQL, render
from logward.content.detections import load_rules
from logward.content.paths import ContentError
from tests.conftest import edit_rule

WHERE = "  event.action: ssh_login\n"  # the first line of rule 100102's `where`


@pytest.fixture
def content(content: Path) -> Path:
    """The content copy, with a boolean field to write conditions on."""
    with (content / "pipelines" / "fields.yml").open("a") as catalog:
        catalog.write("logward.test.flag: {type: boolean, ecs: false}\n")
    return content


@pytest.mark.parametrize(
    ("condition", "why"),
    [
        ("source.port: abc", "source.port has type long: its values are integers, unquoted, got 'abc'"),
        ("source.port: '22'", "source.port has type long: its values are integers, unquoted, got '22'"),
        ("source.port: [22, true]", "got True"),
        ("source.ip: not-an-ip", "source.ip has type ip: its values are single IPv4 or IPv6 addresses"),
        ("source.ip: 10.0.0.0/8", "the engine matches no CIDR range), got '10.0.0.0/8'"),
        ("related.ip: [192.0.2.1, 'fe80::1%eth0']", "got 'fe80::1%eth0'"),
        ("source.ip: 3232235777", "got 3232235777"),
        ("source.ip: '2001:DB8:0::1'", "in canonical form, such as 2001:db8::1"),
        ("source.ip: 010.0.0.1", "got '010.0.0.1'"),
        ("user.id: 0", "user.id has type keyword: its values are strings (a number in quotes: '0'), got 0"),
        ("logward.test.flag: 'true'", "logward.test.flag has type boolean: its values are true or false"),
        ("message: Failed password", "message has type match_only_text: a condition can only test it with {exists"),
        ("'@timestamp': '2025-01-01'", "@timestamp has type date: a condition can only test it with {exists"),
        ("any: [{user.name: root}, {not: {process.pid: none}}]", "process.pid has type long"),
    ],
)
def test_a_value_its_field_cannot_hold_names_file_rule_and_field(content: Path, condition: str, why: str):
    edit_rule(content, "authentication_failed.yml", WHERE, f"{WHERE}  {condition}\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert "detections/sshd/authentication_failed.yml: rule 100102: field 'where': " in message, message
    assert why in message, message
    assert len(message.splitlines()) == 2, message  # one problem, one line


def test_values_in_a_correlations_own_where_are_checked(content: Path):
    edit_rule(content, "repeated_failed_passwords.yml", "events: {rules: [100102]}",
          "events: {where: {event.action: ssh_login, source.port: high}}")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert ("repeated_failed_passwords.yml: rule 100111: field 'events.where': source.port has type long"
            in str(error.value)), str(error.value)


def test_values_of_the_right_type_load_and_compile_as_written(content: Path):
    condition = ("source.port: [22, 2222]\n  source.ip: [192.0.2.1, '2001:db8::1']\n  user.id: '0'\n"
                 "  logward.test.flag: true\n  message: {exists: true}\n")
    edit_rule(content, "authentication_failed.yml", WHERE, f"{WHERE}  {condition}")
    rule = load_rules(content).by_id[100102]
    query = rule_body(rule, load_rules(content))["query"]
    assert 'source.port: (22 or 2222)' in query and 'source.ip: ("192.0.2.1" or "2001:db8::1")' in query, query
    assert 'user.id: "0"' in query and "logward.test.flag: true" in query, query
    assert "source.port in (22, 2222)" in render(rule.where, EQL)

