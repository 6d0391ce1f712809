"""The user's own rules, kept in a folder of their own (OSSEC's local_rules.xml) and read
beside the bundled ones with --rules or LOGWARD_RULES: tested, replayed and exported with
them, overriding them where they say so, and refused by name where they clash."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from logward.cli import main

LOCAL = """id: 110001
title: 'Logins of the backup account from the backup server'
description: Expected every night.
level: {level}
groups: [local]
overrides: [100103, 100104]
where: {{event.action: ssh_login, user.name: backup, source.ip: 10.0.0.5}}
tests:
  - name: the backup server's nightly login
    log: |
      {nightly}
    fires: 1
    others: {{100103: 0, 100104: 0}}
  - name: from elsewhere
    log: |
      Mar  2 03:00:00 bastion sshd[3201]: Accepted publickey for backup from 10.0.0.6 port 40000 ssh2
    fires: 0
    others: {{100104: 1}}
"""
NIGHTLY = "Mar  2 03:00:00 bastion sshd[3200]: Accepted publickey for backup from 10.0.0.5 port 40000 ssh2"


def _folder(tmp_path: Path, level: int = 0, name: str = "backup.yml") -> Path:
    folder = tmp_path / "my-rules"
    (folder / "local").mkdir(parents=True, exist_ok=True)
    (folder / "local" / name).write_text(LOCAL.format(level=level, nightly=NIGHTLY))
    return folder


def test_logward_test_runs_the_users_rules_beside_the_bundled_ones(tmp_path: Path, capsys):
    folder = _folder(tmp_path)
    assert main(["test", "--rules", str(folder), "110001", "100103"]) == 0
    out = capsys.readouterr().out
    # Named under the folder's name, however the path to it is written.
    assert "110001  ok      2/2 cases  Logins of the backup account from the backup server  " \
        "(my-rules/local/backup.yml)" in out, out
    assert "100103  ok" in out


def test_replay_takes_the_folders_from_the_environment_and_applies_their_overrides(tmp_path: Path, monkeypatch):
    log = tmp_path / "auth.log"
    log.write_text(NIGHTLY + "\n")
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    args = ["replay", "--json", "--reference-time", "2025-01-01", str(log)]
    assert main(args) == 0
    sys.stdout.flush()
    assert "100104" in buffer.getvalue().decode()  # without the local rules, a system account's login
    buffer.seek(0), buffer.truncate()
    monkeypatch.setenv("LOGWARD_RULES", str(_folder(tmp_path)))
    assert main(args) == 0
    sys.stdout.flush()
    assert buffer.getvalue().decode() == ""  # silenced, with its first login too


def test_export_carries_the_users_alerting_rules(tmp_path: Path, capsys):
    folder = _folder(tmp_path, level=3)
    assert main(["export", "--rules", str(folder), str(tmp_path / "out")]) == 0
    rules = {body["rule_id"]: body for body in map(json.loads, (tmp_path / "out" / "kibana" / "rules.ndjson")
                                                   .read_text().splitlines())}
    assert "logward-110001" in rules
    assert ' or (event.action: "ssh_login" and user.name: "backup" and source.ip: "10.0.0.5"))' \
        in rules["logward-100103"]["query"]


def test_a_folder_that_is_not_there_is_named(tmp_path: Path, capsys, monkeypatch):
    assert main(["test", "--rules", str(tmp_path / "nowhere")]) == 2
    assert f"--rules {tmp_path / 'nowhere'}: not a folder of rules" in capsys.readouterr().err
    monkeypatch.setenv("LOGWARD_RULES", str(tmp_path / "nowhere"))
    assert main(["test"]) == 2
    assert f"LOGWARD_RULES {tmp_path / 'nowhere'}: not a folder of rules" in capsys.readouterr().err


def test_a_local_rule_with_a_bundled_rules_id_names_both_files(tmp_path: Path, capsys):
    folder = _folder(tmp_path)
    path = folder / "local" / "backup.yml"
    path.write_text(path.read_text().replace("id: 110001", "id: 100103"))
    assert main(["test", "--rules", str(folder)]) == 2
    err = capsys.readouterr().err
    assert ("my-rules/local/backup.yml: rule 100103: field 'id': also used by "
            "detections/sshd/authentication_success.yml") in err, err


@pytest.mark.parametrize("where", ["before", "after"])
def test_rules_may_be_named_before_or_after_the_command(tmp_path: Path, capsys, where: str):
    folder = _folder(tmp_path)
    given = ["--rules", str(folder)]
    args = ["test", *given, "110001"] if where == "after" else [*given, "test", "110001"]
    assert main(args) == 0
    assert "110001  ok" in capsys.readouterr().out


def test_rules_named_before_and_after_the_command_are_all_read(tmp_path: Path, capsys):
    first = _folder(tmp_path)
    second = tmp_path / "more"
    (second / "x").mkdir(parents=True)
    (second / "x" / "other.yml").write_text(LOCAL.format(level=0, nightly=NIGHTLY).replace("id: 110001", "id: 110002")
                                            .replace("overrides: [100103, 100104]", "overrides: [100102]"))
    assert main(["--rules", str(first), "test", "--rules", str(second), "110001", "110002"]) == 0
    out = capsys.readouterr().out
    assert "110001  ok" in out and "110002  ok" in out, out


def test_content_named_twice_differently_is_refused(tmp_path: Path, capsys):
    with pytest.raises(SystemExit):
        main(["--content", str(tmp_path / "a"), "test", "--content", str(tmp_path / "b")])
    assert "--content is given twice" in capsys.readouterr().err


def test_hidden_folders_of_the_users_repository_hold_no_rules(tmp_path: Path, capsys):
    folder = _folder(tmp_path)
    (folder / ".github" / "workflows").mkdir(parents=True)
    (folder / ".github" / "workflows" / "ci.yml").write_text("on: push\njobs: {}\n")
    assert main(["test", "--rules", str(folder), "110001"]) == 0


def test_the_exported_bodies_do_not_depend_on_how_the_folder_was_written(tmp_path: Path, monkeypatch, capsys):
    folder = _folder(tmp_path, level=3)
    monkeypatch.chdir(tmp_path)
    assert main(["export", "--rules", str(folder), str(tmp_path / "a")]) == 0
    assert main(["export", "--rules", "my-rules", str(tmp_path / "b")]) == 0
    exported = [(tmp_path / out / "kibana" / "rules.ndjson").read_text() for out in ("a", "b")]
    assert exported[0] == exported[1]


def test_a_case_may_not_count_its_own_rule_among_the_others(tmp_path: Path, capsys):
    folder = _folder(tmp_path)
    path = folder / "local" / "backup.yml"
    path.write_text(path.read_text().replace("others: {100103: 0, 100104: 0}", "others: {110001: 0}"))
    assert main(["test", "--rules", str(folder)]) == 2
    assert "field 'tests[0].others': rule 110001 is this rule: `fires` counts it" in capsys.readouterr().err



RAISED = """id: 100102
overwrite: true
title: 'sshd: authentication failed (raised here)'
description: Our copy of 100102, at level 7.
level: 7
groups: [sshd, authentication_failed]
mitre: [T1110.001, T1021.004]
ossec: [5716, 5760]
where: {event.action: ssh_login, event.outcome: failure, not: {system.auth.ssh.method: [publickey, hostbased]}}
tests:
  - name: one failure
    log: |
      Mar  2 10:00:00 bastion sshd[3100]: Failed password for root from 203.0.113.50 port 40000 ssh2
    fires: 1
  - name: a success
    log: |
      Mar  2 10:01:00 bastion sshd[3300]: Accepted password for root from 203.0.113.50 port 45000 ssh2
    fires: 0
"""


def test_a_rule_of_your_own_overwrites_a_bundled_one_and_its_correlations_still_count(tmp_path: Path, capsys,
                                                                                     monkeypatch):
    """OSSEC's overwrite="yes": the level of 100102 raised. An `overrides` rule would have
    taken 100102's events away from the brute force and failures-then-success rules."""
    folder = tmp_path / "my-rules"
    folder.mkdir()
    (folder / "raised.yml").write_text(RAISED)
    assert main(["test", "--rules", str(folder)]) == 0
    assert "100102  ok      2/2 cases  sshd: authentication failed (raised here)  (my-rules/raised.yml)" in \
        capsys.readouterr().out
    log = tmp_path / "auth.log"
    failures = "".join(f"Mar  2 10:00:{5 * i:02d} bastion sshd[{3100 + i}]: Failed password for root from "
                       f"203.0.113.50 port {40000 + i} ssh2\n" for i in range(8))
    log.write_text(failures + "Mar  2 10:01:00 bastion sshd[3300]: Accepted password for root from 203.0.113.50 "
                              "port 45000 ssh2\n")
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    assert main(["replay", "--rules", str(folder), "--json", "--reference-time", "2025-01-01", str(log)]) == 0
    sys.stdout.flush()
    alerts = [json.loads(line) for line in buffer.getvalue().decode().splitlines()]
    levels = {(a["rule"]["id"], a["rule"]["level"]) for a in alerts}
    assert {("100102", 7), ("100111", 10), ("100112", 12)} <= levels, levels


@pytest.mark.parametrize(("text", "where", "message"), [
    (RAISED.replace("id: 100102", "id: 110102"), "mine",
     "field 'overwrite': there is no bundled rule 110102 to overwrite"),
    (RAISED, "content", "field 'overwrite': only a rule of your own (--rules) overwrites"),
    (RAISED.replace("id: 100102\noverwrite: true", "id: 100999"), "mine",
     "field 'id': 100000 to 109999 are kept for the bundled rules: take an id from 110000 up"),
    (RAISED.replace("overwrite: true", "overwrite: yes please"), "mine", "field 'overwrite': true for a rule"),
])
def test_overwriting_is_refused_where_it_cannot_be_meant(tmp_path: Path, capsys, text: str, where: str,
                                                         message: str):
    import shutil

    root = Path(__file__).resolve().parent.parent
    args = []
    if where == "content":
        for folder in ("pipelines", "detections", "kibana"):
            shutil.copytree(root / folder, tmp_path / "content" / folder)
        (tmp_path / "content" / "detections" / "sshd" / "authentication_failed.yml").write_text(text)
        args = ["--content", str(tmp_path / "content")]
    else:
        (tmp_path / "my-rules").mkdir()
        (tmp_path / "my-rules" / "r.yml").write_text(text)
        args = ["--rules", str(tmp_path / "my-rules")]
    assert main(["test", *args]) == 2
    assert message in capsys.readouterr().err


def test_two_folders_of_one_name_clash_by_their_paths_and_one_folder_given_twice_is_read_once(tmp_path: Path,
                                                                                              capsys):
    a, b = tmp_path / "a" / "rules", tmp_path / "b" / "rules"
    for folder in (a, b):
        folder.mkdir(parents=True)
        (folder / "x.yml").write_text(LOCAL.format(level=0, nightly=NIGHTLY))
    assert main(["test", "--rules", str(a), "--rules", str(a), "110001"]) == 0
    capsys.readouterr()
    assert main(["test", "--rules", str(a), "--rules", str(b)]) == 2
    err = capsys.readouterr().err
    assert f"{a / 'x.yml'}: rule 110001: field 'id': also used by {b / 'x.yml'}" in err, err


def test_a_folder_of_your_own_may_name_the_attack_techniques_its_rules_cite(tmp_path: Path, capsys):
    folder = _folder(tmp_path, level=3)  # level 0 rules are not exported
    rule = folder / "local" / "backup.yml"
    rule.write_text(rule.read_text().replace("groups: [local]", "groups: [local]\nmitre: [T1087.001]"))
    assert main(["test", "--rules", str(folder), "110001"]) == 2
    assert "field 'mitre': T1087.001 is not in detections/_attack.yml" in capsys.readouterr().err
    (folder / "_attack.yml").write_text("techniques:\n"
                                        "  T1087: {name: Account Discovery, tactics: [TA0007]}\n"
                                        "  T1087.001: {name: Local Account, tactics: [TA0007]}\n")
    assert main(["test", "--rules", str(folder), "110001"]) == 0
    capsys.readouterr()
    assert main(["export", "--rules", str(folder), str(tmp_path / "out")]) == 0
    bodies = [json.loads(line) for line in (tmp_path / "out" / "kibana" / "rules.ndjson").read_text().splitlines()]
    body = next(b for b in bodies if b.get("rule_id") == "logward-110001")
    assert body["threat"][0]["technique"][0]["subtechnique"][0]["id"] == "T1087.001", body["threat"]
    (folder / "_attack.yml").write_text("tactics: {TA0007: Finding Things}\n")
    assert main(["test", "--rules", str(folder), "110001"]) == 2
    assert "my-rules/_attack.yml: tactic TA0007: named 'Discovery' already" in capsys.readouterr().err
