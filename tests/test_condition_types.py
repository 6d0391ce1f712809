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
    ("condition", "field", "why"),
    [
        ("source.port: abc", "where.source.port",
         "source.port has type long: its values are integers, unquoted, got 'abc'"),
        ("source.port: '22'", "where.source.port",
         "source.port has type long: its values are integers, unquoted, got '22'"),
        ("source.port: [22, true]", "where.source.port", "got true, a boolean"),
        ("source.ip: not-an-ip", "where.source.ip",
         "source.ip has type ip: its values are single IPv4 or IPv6 addresses"),
        ("source.ip: 10.0.0.0/8", "where.source.ip", "the engine matches no CIDR range), got '10.0.0.0/8'"),
        ("related.ip: [192.0.2.1, 'fe80::1%eth0']", "where.related.ip", "got 'fe80::1%eth0'"),
        ("source.ip: 3232235777", "where.source.ip", "got 3232235777"),
        ("source.ip: '2001:DB8:0::1'", "where.source.ip", "in canonical form, such as 2001:db8::1"),
        ("source.ip: 010.0.0.1", "where.source.ip", "got '010.0.0.1'"),
        ("user.id: 0", "where.user.id",
         "user.id has type keyword: its values are strings (a number in quotes: '0'), got 0"),
        ("logward.test.flag: 'true'", "where.logward.test.flag",
         "logward.test.flag has type boolean: its values are true or false"),
        ("message: Failed password", "where.message",
         "message has type match_only_text: a condition can only test it with {exists"),
        ("'@timestamp': '2025-01-01'", "where.@timestamp",
         "@timestamp has type date: a condition can only test it with {exists"),
        ("any: [{user.name: root}, {not: {process.pid: none}}]", "where.any[1].not.process.pid",
         "process.pid has type long"),
    ],
)
def test_a_value_its_field_cannot_hold_names_file_rule_and_field(content: Path, condition: str, field: str,
                                                                  why: str):
    edit_rule(content, "authentication_failed.yml", WHERE, f"{WHERE}  {condition}\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert f"detections/sshd/authentication_failed.yml: rule 100102: field '{field}': " in message, message
    assert why in message, message
    assert len(message.splitlines()) == 2, message  # one problem, one line


@pytest.mark.parametrize(("written", "field"), [
    ("  all: [{not: {user.name: no}}]\n", "where.all[0].not.user.name"),
    ("  any: [{user.name: root}, {user.name: [admin, off]}]\n", "where.any[1].user.name"),
])
def test_a_word_yaml_reads_as_a_boolean_says_to_quote_it(content: Path, written: str, field: str):
    """YAML 1.1 reads an unquoted no, off, yes or on as a boolean: the author wrote a word,
    and the message says so rather than only showing YAML's False."""
    edit_rule(content, "authentication_failed.yml", WHERE, WHERE + written)
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert f"rule 100102: field '{field}': user.name has type keyword" in message, message
    assert "a boolean (YAML 1.1 reads unquoted yes/no/on/off/true/false as booleans: quote the value" in message
    assert "False" not in message, message


def test_values_in_a_correlations_own_where_are_checked(content: Path):
    edit_rule(content, "repeated_failed_passwords.yml", "events: {rules: [100102]}",
          "events: {where: {event.action: ssh_login, source.port: high}}")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert ("repeated_failed_passwords.yml: rule 100111: field 'events.where.source.port': source.port has type long"
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

