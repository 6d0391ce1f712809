"""Bad content gets a clear error naming the file, the rule and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from logward.cli import main
from logward.content.detections import load_rules
from logward.content.paths import ContentError, read_yaml
from logward.content.pipelines import load_pipelines
from logward.engine.ingest import Ingest, PipelineDefinitionError
from tests.conftest import edit_rule
from tests.deploy_helpers import clean_env
from tests.shared import ROOT


@pytest.mark.parametrize(
    ("name", "old", "new", "field", "why"),
    [
        ("authentication_failed.yml", "level: 5", "level: 16", "level", "from 0 to 15"),
        ("authentication_failed.yml", "event.action: ssh_login", "event.actoin: ssh_login", "where.event.actoin",
         "'event.actoin' is not a field Logward writes"),
        ("authentication_failed.yml", "system.auth.ssh.method:", "system.auth.ssh.methd:",
         "where.not.system.auth.ssh.methd", "'system.auth.ssh.methd' is not a field Logward writes"),
        ("repeated_failed_passwords.yml", "count: 8", "count: 1000", "count", "from 2 to 100"),
        ("repeated_failed_passwords.yml", "timeframe: 120s", "timeframe: soon", "timeframe", "a duration"),
        ("repeated_failed_passwords.yml", "events: {rules: [100102]}", "events: {rules: [100111]}",
         "events.rules", "rule 100111 is a frequency rule, not an event rule"),
        ("repeated_failed_passwords.yml", "events: {rules: [100102]}", "events: {rules: [199999]}",
         "events.rules", "there is no rule 199999"),
        ("invalid_user.yml", "mitre: [T1110.001, T1021.004]", "mitre: [T9999]", "mitre", "T9999"),
        ("invalid_user.yml", "title: ", "titel: ", "titel", "not a field of an event rule"),
        ("repeated_failed_passwords.yml", "count: 8", "count: 8\nwhere: {user.name: root}", "where",
         "not a field of a frequency rule"),
        ("first_login.yml", "    fires: 0\n", "    fires: many\n", "tests[2].fires", "an integer >= 0"),
        # Keys: Kibana suppresses by at most 3 fields; a list makes one key per value in
        # Kibana and none in the engine; a text field cannot be grouped by.
        ("first_login.yml", "key: [host.hostname, user.name]", "key: [host.hostname, user.name, source.ip, "
         "process.name]", "key", "at most 3 fields (Kibana suppresses alerts by at most 3), got 4"),
        ("first_login.yml", "key: [host.hostname, user.name]", "key: [host.hostname, user.name, user.name]", "key",
         "a field named twice"),
        ("repeated_failed_passwords.yml", "same: [logward.source.origin]", "same: [related.ip]", "same",
         "related.ip holds a list of values (pipelines/fields.yml array: true)"),
        ("failures_then_success.yml", "same: [logward.source.origin]", "same: [source.ip, event.category]", "same",
         "event.category holds a list of values"),
        ("first_login.yml", "key: [host.hostname, user.name]", "key: [host.hostname, tags]", "key",
         "tags holds a list of values"),
        ("repeated_failed_passwords.yml", "same: [logward.source.origin]", "same: [message]", "same",
         "message has type match_only_text: Elasticsearch cannot group by a text field"),
        ("first_login.yml", "key: [host.hostname, user.name]", "key: [host.hostname, event.original]", "key",
         "event.original is not indexed (pipelines/fields.yml index: false)"),
        # A field Elasticsearch does not index cannot be searched: Kibana's query would fail.
        ("authentication_failed.yml", "  event.outcome: failure\n", "  event.outcome: failure\n"
         "  event.original: {exists: true}\n", "where.event.original",
         "event.original is not indexed (pipelines/fields.yml index: false): Elasticsearch cannot search on it"),
        ("repeated_failed_passwords.yml", "events: {rules: [100102]}",
         "events: {where: {event.action: ssh_login, not: {event.original: x}}}", "events.where.not.event.original",
         "event.original is not indexed"),
        # Values as the YAML writes them, not as Python prints them.
        ("repeated_failed_passwords.yml", "level: 10", "level: true", "level", "got true"),
        ("repeated_failed_passwords.yml", "level: 10", "level:", "level", "got null (nothing)"),
        ("repeated_failed_passwords.yml", "count: 8", "count: .inf", "count", "got .inf"),
        # Natural mistakes in `where` say what was probably meant.
        ("authentication_failed.yml", "  event.outcome: failure\n", "  event: {outcome: failure}\n", "where.event",
         "a field inside it is written with dots (event.outcome: ...)"),
        ("authentication_failed.yml", "  not:\n", "  Not:\n", "where.Not", "operators are written in lowercase: not"),
        ("authentication_failed.yml", "  event.outcome: failure\n", "  anyof: [{event.outcome: failure}]\n",
         "where.anyof", "'anyof' is not an operator (any, all, not), and a field's values are strings"),
        ("authentication_failed.yml", "  event.outcome: failure\n", "  user.name: {exists: maybe}\n",
         "where.user.name", "exists is true or false, got 'maybe'"),
        # Test cases: a misspelt key is named; a line YAML read as a mapping says why; other
        # rules' counts name existing rules; two cases of one name would blur which failed.
        ("first_login.yml", "    fires: 0\n", "    fire: 0\n", "tests[2]",
         "unknown key 'fire' (a case has name, log, fires, others, reference_time, undecodable)"),
        ("invalid_user.yml", "    fires: 1\n", "    fires: 1\n    others: {100999: 0}\n", "tests[0].others",
         "there is no rule 100999"),
        ("invalid_user.yml", "    fires: 1\n", "    fires: 1\n    others: {100102: -1}\n", "tests[0].others.100102",
         "an integer >= 0, got -1"),
        ("invalid_user.yml", "    fires: 1\n", "    fires: 1\n    others: [100102]\n", "tests[0].others",
         "how many alerts other rules raise over the lines, by rule id"),
        ("first_login.yml", "    fires: 0\n", "    fires: 0\n  - name: alice's first login, then her second\n"
         "    log: x\n    fires: 0\n", "tests[3].name", "is also tests[0]'s"),
    ],
)
def test_bad_rule_names_file_rule_and_field(content: Path, name: str, old: str, new: str, field: str, why: str):
    edit_rule(content, name, old, new)
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert f"detections/sshd/{name}: rule 1001" in message
    assert f"field '{field}'" in message and why in message, message


def test_duplicate_ids_and_all_problems_reported_together(content: Path):
    edit_rule(content, "invalid_user.yml", "id: 100101", "id: 100102")
    edit_rule(content, "first_login.yml", "level: 4", "level: -1")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert ("invalid_user.yml: rule 100102: field 'id': also used by detections/sshd/authentication_failed.yml"
            in message), message
    assert "first_login.yml: rule 100120: field 'level'" in message


def test_a_duplicate_id_names_the_file_that_copies_it_whichever_sorts_first(content: Path):
    """A new file sorting before the rule it copies is named too, not only the old rule,
    and its other problems are still checked."""
    copy = (content / "detections" / "sshd" / "invalid_user.yml").read_text()
    (content / "detections" / "custom").mkdir()
    (content / "detections" / "custom" / "bad.yml").write_text(
        copy.replace("event.action: ssh_invalid_user", "event.actoin: ssh_invalid_user"))
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    for file, other in (("custom/bad.yml", "sshd/invalid_user.yml"), ("sshd/invalid_user.yml", "custom/bad.yml")):
        assert f"detections/{file}: rule 100101: field 'id': also used by detections/{other}" in message, message
    assert "detections/custom/bad.yml: rule 100101: field 'where.event.actoin': 'event.actoin'" in message


@pytest.mark.parametrize("name", ["copy.YML", "copy.Yaml"])
def test_a_rule_file_is_read_whatever_the_case_of_its_extension(content: Path, name: str):
    """Not passed over in silence: its rule would be neither tested nor deployed."""
    copy = (content / "detections" / "sshd" / "invalid_user.yml").read_text()
    (content / "detections" / "sshd" / name).write_text(copy)
    with pytest.raises(ContentError, match=f"also used by detections/sshd/{name}"):
        load_rules(content)


def test_a_reference_to_a_broken_rule_is_not_a_second_error(content: Path):
    edit_rule(content, "authentication_failed.yml", "level: 5", "level: 16")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert "rule 100102: field 'level'" in message
    assert "100102" not in message.replace("rule 100102: field 'level'", ""), message


def test_cli_reports_content_errors_without_a_traceback(content: Path, capsys):
    edit_rule(content, "authentication_failed.yml", "level: 5", "level: high")
    assert main(["--content", str(content), "test"]) == 2
    err = capsys.readouterr().err
    assert "authentication_failed.yml: rule 100102: field 'level'" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("processor", "why"),
    [
        ({"grok": {"field": "m", "patterns": ["%{NOPE:x}"]}}, "not in pattern_definitions"),
        ({"grok": {"field": "m", "patterns": ["\\A\\uFEFF"]}}, "write \\x{HHHH}"),
        ({"set": {"field": "a", "value": 1, "if": "ctx.a.b == 1"}}, "use ?. to reach 'b'"),
        ({"set": {"field": "a", "value": 1, "if": "ctx.a?.b"}}, "is not a boolean"),
        ({"script": {"source": "ctx.a = 1"}}, "inline Painless cannot run"),
        ({"convert": {"field": "a", "type": "ip"}}, "type [ip] not supported"),
        ({"set": {"field": "a"}}, "[value] required property is missing"),
        ({"set": {"field": "a", "value": 1, "colour": "red"}}, "doesn't support"),
        ({"foreach": {"field": "a"}}, "not supported by the embedded engine"),
        ({"grokk": {"field": "a"}}, "type [grokk] is no Elasticsearch processor"),
        ({"gsub": {"field": "a", "pattern": "x\\Z", "replacement": ""}}, "write \\z"),
    ],
)
def test_pipeline_definition_errors_name_the_pipeline_and_processor(processor: dict, why: str):
    with pytest.raises(PipelineDefinitionError) as error:
        Ingest({"logward-x": {"processors": [{"set": {"field": "ok", "value": 1}}, processor]}}, "logward-x")
    message = str(error.value)
    assert message.startswith("pipeline [logward-x]: ") and why in message, message


def test_gsub_reads_javas_end_of_input():
    """Java's \\z is Python's \\Z: the very end, not before a final newline."""
    ingest = Ingest({"logward-x": {"processors": [
        {"gsub": {"field": "m", "pattern": "(?<!\\n)\\n+\\z", "replacement": ""}}]}}, "logward-x")
    assert [ingest.run({"m": m})["m"] for m in ("a\n\n", "a\nb", "a\\z", "a")] == ["a", "a\nb", "a\\z", "a"]


def test_a_rule_file_named_yaml_is_a_rule_too(content: Path):
    source = content / "detections" / "sshd" / "invalid_user.yml"
    source.rename(source.with_suffix(".yaml"))
    assert 100101 in load_rules(content).by_id


def test_a_broken_pipeline_is_one_line_from_the_cli_naming_its_file(content: Path, capsys, monkeypatch):
    import io
    import sys

    path = content / "pipelines" / "sshd" / "pipeline.yml"
    path.write_text(path.read_text().replace("if: ctx.message != null\n", "if: ctx.message.x != null\n", 1))
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n"))
    for command in ("test", "logtest"):
        assert main(["--content", str(content), command]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"logward: {path}: pipeline [logward-sshd]: ") and "Traceback" not in err, command


@pytest.mark.parametrize(("text", "where"), [
    (b"id: 100101\n  title: [\n", "invalid_user.yml: rule 100101: line 2, column 8: "),
    (b"id: 100101\ntitle: caf\xe9\n", "invalid_user.yml: rule 100101: line 2: not UTF-8 text (byte 0xe9)"),
])
def test_unreadable_yaml_names_the_line(content: Path, text: bytes, where: str):
    (content / "detections" / "sshd" / "invalid_user.yml").write_bytes(text)
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert where in str(error.value) and "<unicode string>" not in str(error.value)


def test_every_bad_field_of_a_rule_is_reported_at_once(content: Path):
    (content / "detections" / "sshd" / "invalid_user.yml").write_text(
        "id: 100101\ntitle: a rule with nothing else\ncolour: red\nshade: dark\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    lines = str(error.value).splitlines()[1:]
    fields = ["colour", "shade", "description", "level", "tests", "where"]
    assert [line.strip().split(": ")[:3] for line in lines] == [
        ["detections/sshd/invalid_user.yml", "rule 100101", f"field '{f}'"] for f in fields
    ], lines


def test_bad_test_cases_and_steps_are_reported_together(content: Path):
    path = edit_rule(content, "failures_then_success.yml", "within: 240s", "within: later")
    text = path.read_text()
    for old, new in (("fires: 1", "fires: -1"), ("fires: 0", "fires: none"), ("    count: 8\n", "    count: 1000\n"),
                     ("{rules: [100103, 100104]}", "{rules: [100103, 100104]}\n    count: 2")):
        text = text.replace(old, new, 1)
    path.write_text(text)
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    for field in ("steps[0].count", "steps[1].count", "within", "tests[0].fires", "tests[1].fires"):
        assert f"failures_then_success.yml: rule 100112: field '{field}'" in message, message


@pytest.mark.parametrize(("old", "new", "line", "key"), [
    ("tests:\n", "tests:\n  - {name: overwritten, log: x, fires: 0}\ntests:\n", 22, "tests"),
    ("  event.outcome: failure\n", "  event.outcome: failure\n  event.outcome: success\n", 18, "event.outcome"),
    ("  not:\n    system.auth.ssh.method: [publickey, hostbased]\n",
     "  not: {system.auth.ssh.method: publickey, system.auth.ssh.method: hostbased}\n", 18, "system.auth.ssh.method"),
])
def test_a_key_written_twice_in_a_rule_names_the_file_line_and_key(content: Path, old: str, new: str, line: int,
                                                                    key: str):
    """YAML keeps the last of two equal keys: a second `tests:` block would drop the first
    block's cases, a field written twice in `where` would drop its first value."""
    edit_rule(content, "authentication_failed.yml", old, new)
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert f"detections/sshd/authentication_failed.yml: rule 100102: line {line}, column " in message, message
    assert f"key {key!r} is written twice (first on line " in message, message


def test_a_rule_file_yaml_cannot_read_is_reported_with_the_other_files_problems(content: Path):
    """A YAML error names the rule, as other errors do, and does not hide the problems of
    other files; a tab, which YAML does not indent with, is named as the cause."""
    edit_rule(content, "invalid_user.yml", "level: 5\n", "level: 5\n\tgroups: [x]\n")
    edit_rule(content, "first_login.yml", "level: 4", "level: -1")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    message = str(error.value)
    assert "detections/sshd/invalid_user.yml: rule 100101: line " in message, message
    assert "(a tab: YAML indents with spaces)" in message, message
    assert "detections/sshd/first_login.yml: rule 100120: field 'level'" in message, message


@pytest.mark.parametrize("style", [">", ">-"])
def test_a_case_whose_lines_are_folded_into_one_is_refused(content: Path, style: str):
    """`log: >` makes one line of the case's lines: a negative case would pass on a line
    no log holds."""
    edit_rule(content, "invalid_user.yml", "    log: |\n", f"    log: {style}\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert "detections/sshd/invalid_user.yml: rule 100101: line " in str(error.value)
    assert "'log: >' is read as one line: write the lines as a block, 'log: |'" in str(error.value)


def test_a_listed_line_yaml_read_as_a_mapping_says_to_quote_it(content: Path):
    edit_rule(content, "invalid_user.yml", "    log: |\n      Dec 10 06:55:46",
              "    log:\n      - Dec 10 06:55:46")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert "field 'tests[0].log[0]': YAML read this line as a mapping (it holds ': '): quote it" in str(error.value)


def test_a_key_written_twice_in_a_pipeline_is_refused_too(content: Path):
    path = content / "pipelines" / "sshd" / "pipeline.yml"
    path.write_text(path.read_text().replace("processors:\n", "processors: []\nprocessors:\n", 1))
    with pytest.raises(ContentError) as error:
        load_pipelines(content)
    assert f"{path}, line " in str(error.value) and "key 'processors' is written twice" in str(error.value)


def test_yaml_merge_keys_may_still_be_overridden(tmp_path: Path):
    path = tmp_path / "merge.yml"
    path.write_text("a: &base {level: 3, title: t}\nb:\n  <<: *base\n  level: 5\n")
    assert read_yaml(path)["b"] == {"level": 5, "title": "t"}


@pytest.mark.parametrize(("entry", "why"), [
    ("logward.x: {type: keyword, ecs: false, arary: true}", "field 'logward.x': unknown keys ['arary']"),
    ("logward.x: {type: keyword, ecs: false, array: 'yes'}", "field 'logward.x': array is true or false, got 'yes'"),
])
def test_a_field_catalog_entry_with_a_mistyped_flag_is_refused(content: Path, entry: str, why: str):
    """A misspelt or quoted `array` or `index` would let a rule key on a list or search an
    unindexed field without a word."""
    with (content / "pipelines" / "fields.yml").open("a") as catalog:
        catalog.write(entry + "\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert "pipelines/fields.yml: " in str(error.value) and why in str(error.value), str(error.value)


@pytest.mark.parametrize(("old", "new", "why"), [
    ("T1110: {name: Brute Force, tactics: [TA0006]}", "T1110: {name: Brute Force}",
     "technique T1110: field 'tactics': required, a non-empty list of tactic ids"),
    ("T1110: {name: Brute Force, tactics: [TA0006]}", "T1110: {name: Brute Force, tactics: [TA0099]}",
     "technique T1110: field 'tactics': 'TA0099' is not one of the file's tactics"),
    ("T1110: {name: Brute Force, tactics: [TA0006]}", "T1110: {title: Brute Force, tactics: [TA0006]}",
     "technique T1110: field 'title': not a field of a technique"),
    ("  TA0006: Credential Access\n", "  TA0006: [Credential Access]\n",
     "field 'tactics': a mapping of tactic ids (TA0006) to their names"),
])
@pytest.mark.parametrize("command", ["export", "plan", "test"])
def test_a_bad_attack_entry_is_a_content_error_for_every_command(content: Path, tmp_path: Path, capsys, monkeypatch,
                                                                  old: str, new: str, why: str, command: str):
    """The compiler builds each Kibana rule's `threat` from _attack.yml: an entry it cannot
    read must stop every command the same way, not only export, with a traceback."""
    clean_env(monkeypatch)  # plan reaches no stack: the content is refused first
    shutil.copytree(ROOT / "kibana", content / "kibana")
    path = content / "detections" / "_attack.yml"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    args = [str(tmp_path / "out")] if command == "export" else []
    assert main(["--content", str(content), command, *args]) == 2
    err = capsys.readouterr().err
    assert f"detections/_attack.yml: {why}" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()

