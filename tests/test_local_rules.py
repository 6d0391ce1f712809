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

