"""`logward test` holds a case that expects no alert to lines that decode: a typo that
leaves a line unparsed would otherwise pass it for the wrong reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from logward.cli import main
from logward.cli.ruletest import run_case
from logward.content.detections import load_rules
from logward.content.paths import ContentError
from logward.content.pipelines import load_pipelines
from logward.engine import Engine
from tests.conftest import ROOT, edit_rule

NEGATIVE = ("Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 "
            "port 38926 ssh2")  # the line of rule 100101's case that must not fire
CASE = "a failed password for an invalid user is counted by the failure rule, not here"


def _edit(content: Path, old: str, new: str) -> None:
    edit_rule(content, "invalid_user.yml", old, new)


def _result(content: Path, name: str = CASE):
    rules = load_rules(content)
    rule = rules.by_id[100101]
    case = next(c for c in rule.tests if c.name == name)
    return run_case(load_pipelines(content), rules, rule, case)


@pytest.mark.parametrize(
    ("typo", "tag"),
    [
        (NEGATIVE.replace("Failed password", "Faled password"), "logward_unknown_message"),
        (NEGATIVE.replace("sshd[", "sshdd["), "logward_unparsed"),
        (NEGATIVE.replace("Dec 10", "Dce 10"), "logward_unknown_header"),
    ],
)
def test_a_negative_case_with_a_line_that_does_not_decode_fails(content: Path, typo: str, tag: str):
    _edit(content, NEGATIVE, typo)
    result = _result(content)
    assert result.fired == 0 and not result.ok
    assert result.problem is not None and f"line 1 does not decode ({tag}" in result.problem, result.problem


def test_the_cli_names_the_rule_the_case_and_the_tag(content: Path, capsys):
    _edit(content, NEGATIVE, NEGATIVE.replace("sshd[", "sshdd["))
    assert main(["--content", str(content), "test", "100101"]) == 1
    out = capsys.readouterr().out
    assert "100101  FAILED  3/4 cases" in out, out
    assert (f"FAIL: {CASE}: fired 0, expected 0 (other rules: none); line 1 does not decode "
            "(logward_unparsed: no Logward parser knows this message)") in out, out
    assert "add undecodable: true" in out


def test_a_positive_case_that_fails_says_which_line_did_not_decode(content: Path, capsys):
    """A typo in the line a case expects an alert from: the count alone would not say why."""
    line = "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"
    _edit(content, line, line.replace("Invalid user", "Invlid user"))
    assert main(["--content", str(content), "test", "100101"]) == 1
    out = capsys.readouterr().out
    assert ("FAIL: OpenSSH before 7.5 (loghub): fired 0, expected 1 (other rules: none); line 1 does not decode "
            "(logward_unknown_message: Provided Grok expressions do not match field value: "
            "[Invlid user webmaster from 173.234.31.186]), which may be why") in out, out


def test_a_case_about_an_undecodable_line_says_so(content: Path):
    _edit(content, NEGATIVE, NEGATIVE.replace("sshd[", "sshdd["))
    _edit(content, "    fires: 0\n", "    fires: 0\n    undecodable: true\n")
    assert _result(content).ok


def test_a_case_marked_undecodable_needs_such_a_line(content: Path):
    _edit(content, "    fires: 0\n", "    fires: 0\n    undecodable: true\n")
    result = _result(content)
    assert not result.ok and result.problem == "marked undecodable: true, but every line decodes"


def test_undecodable_is_true_or_false(content: Path):
    _edit(content, "    fires: 0\n", "    fires: 0\n    undecodable: yes please\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    assert "invalid_user.yml: rule 100101: field 'tests[3].undecodable'" in str(error.value)


def test_a_case_that_fires_may_hold_an_undecodable_line():
    """The forged-identifier rule fires on a journal entry sent by `logger`, which no parser
    reads as sshd's; its count says enough."""
    rules = load_rules(ROOT)
    rule = rules.by_id[100601]
    case = next(c for c in rule.tests if c.fires)
    result = run_case(load_pipelines(ROOT), rules, rule, case)
    assert result.undecoded and result.ok


@pytest.mark.parametrize("written", ["yesterday", "'2025-13-01T00:00:00Z'", "2025-01-01T00:00:00", "1735689600",
                                     "2025-02-30", "2025-13-01", "2025-02-30T00:00:00Z"])
def test_a_bad_reference_time_is_named_when_the_rules_load_not_blamed_on_a_line(content: Path, written: str):
    """Quoted or not: YAML's own reading of an unquoted impossible date would raise first."""
    _edit(content, "    fires: 0\n", f"    fires: 0\n    reference_time: {written}\n")
    with pytest.raises(ContentError) as error:
        load_rules(content)
    as_read = written.strip("'")
    as_read = int(as_read) if as_read.isdigit() else as_read  # a number is a number to YAML
    assert ("invalid_user.yml: rule 100101: field 'tests[3].reference_time': an ISO 8601 time with an offset "
            f"(2025-01-01T00:00:00Z) or a date (midnight UTC), got {as_read!r}") in str(error.value), str(error.value)


@pytest.mark.parametrize(("written", "year"), [("2024-06-01T12:00:00+02:00", "2023"),
                                                ("'2024-12-31T23:30:00-01:00'", "2024"), ("2024-06-01", "2023")])
def test_a_reference_time_dates_year_less_lines_as_replay_does(content: Path, written: str, year: str):
    """Quoted or not (YAML reads an unquoted time itself), it is the time the case's lines
    were shipped: 'Dec 10' is in the year before a June reference time."""
    _edit(content, "    fires: 0\n", f"    fires: 0\n    reference_time: {written}\n")
    rules = load_rules(content)
    case = next(c for c in rules.by_id[100101].tests if c.name == CASE)
    doc, _ = Engine(load_pipelines(content), rules).process(case.lines[0], case.reference_time)
    assert doc["@timestamp"].startswith(f"{year}-12-10T06:55:48"), doc["@timestamp"]


@pytest.mark.parametrize(("others", "ok"), [("{100102: 1}", True), ("{100102: 0}", False), ("{100103: 0}", True)])
def test_a_case_may_say_how_often_other_rules_fire(content: Path, capsys, others: str, ok: bool):
    """An override's case can show that the rule it silences stays quiet, which `fires`
    (the case's own rule) cannot."""
    _edit(content, f"  - name: {CASE}\n", f"  - name: {CASE}\n    others: {others}\n")
    assert _result(content).ok is ok
    assert main(["--content", str(content), "test", "100101"]) == (0 if ok else 1)
    if not ok:
        assert f"FAIL: {CASE}: fired 0, expected 0 (other rules: 100102x1); rule 100102 fired 1, expected 0" \
            in capsys.readouterr().out
