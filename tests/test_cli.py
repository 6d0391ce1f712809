"""The command line as analysts use it: logtest, replay and test."""

from __future__ import annotations

import gzip
import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from logward.cli import main
from tests.conftest import LOGHUB, ROOT

FAILED = "Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2"
ACCEPTED = "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def _stdout(monkeypatch: pytest.MonkeyPatch) -> io.BytesIO:
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    return buffer


def test_logtest_shows_three_phases(monkeypatch):
    _stdin(monkeypatch, FAILED + "\n")
    out = _stdout(monkeypatch)
    assert main(["logtest"]) == 0
    text = out.getvalue().decode()
    assert "**Phase 1: Completed pre-decoding." in text and "host.hostname: 'LabSZ'" in text
    assert "**Phase 2: Completed decoding." in text and "source.ip: '5.36.59.76'" in text
    assert "event.action: 'ssh_login'" in text
    assert "Rule id: '100102'" in text and "Level: '5'" in text and "OSSEC/Wazuh: 5716, 5760" in text
    assert "**Alert to be generated." in text


def test_logtest_json_one_object_per_line(monkeypatch):
    _stdin(monkeypatch, f"{FAILED}\nnot a log line\n{ACCEPTED}\n")
    out = _stdout(monkeypatch)
    assert main(["logtest", "--json"]) == 0
    records = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert len(records) == 3
    assert records[0]["rules"] == [
        {"id": 100102, "level": 5, "description": "sshd: authentication failed", "ossec": [5716, 5760]}
    ]
    assert records[1]["rules"] == [] and "logward_unknown_header" in records[1]["document"]["tags"]
    assert {r["id"] for r in records[2]["rules"]} == {100103, 100120}
    assert records[2]["document"]["user"]["name"] == "fztu"


def test_replay_carries_correlation_across_files(tmp_path: Path, monkeypatch):
    lines = [f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} ssh2"
             for i in range(8)]
    (tmp_path / "a.log").write_text("\n".join(lines[:4]) + "\n")
    (tmp_path / "b.log").write_text("\n".join(lines[4:]) + "\n")
    out = _stdout(monkeypatch)
    code = main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--json",
                 str(tmp_path / "a.log"), str(tmp_path / "b.log")])
    assert code == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    brute = [a for a in alerts if a["rule"]["id"] == "100111"]
    assert len(brute) == 1 and brute[0]["correlation"]["count"] == 8
    assert brute[0]["correlation"]["key"] == {"source.ip": "203.0.113.9"}
    assert brute[0]["@timestamp"] == "2024-03-02T10:00:07.000Z"  # March is after the January reference
    assert brute[0]["correlation"]["first"] == "2024-03-02T10:00:00.000Z"
    assert brute[0]["document"]["event"]["action"] == "ssh_login"


def test_replay_text_is_ossec_alert_form(monkeypatch, capsys):
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2017-01-01T00:00:00Z", str(LOGHUB / "OpenSSH_2k.log")]) == 0
    text = out.getvalue().decode()
    first = text.split("\n\n")[0].splitlines()
    assert first[0].startswith("** Alert ") and first[0].endswith(": - sshd,invalid_login,authentication_failed,")
    assert first[1] == f"2016 Dec 10 06:55:46 LabSZ->{LOGHUB / 'OpenSSH_2k.log'}"  # OSSEC's host->log file
    assert first[2] == "Rule: 100101 (level 5) -> 'sshd: attempt to log in with a non-existent user' [OSSEC 5710]"
    assert "Src IP: 173.234.31.186" in first and "User: webmaster" in first
    assert "Rule: 100110 (level 10)" in text and "Correlated: 8 events with source.ip=" in text
    summary = capsys.readouterr().err
    assert "2000 lines" in summary and "100103  sshd: authentication success" in summary


def test_test_command_reports_per_rule_and_fails_on_a_broken_case(tmp_path: Path, capsys):
    assert main(["test"]) == 0
    assert "100112  ok" in capsys.readouterr().out
    for folder in ("pipelines", "detections"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    rule = tmp_path / "detections" / "sshd" / "invalid_user.yml"
    text = rule.read_text()
    rule.write_text(text.replace("port 50514\n    fires: 1", "port 50514\n    fires: 2"))
    assert main(["--content", str(tmp_path), "test"]) == 1
    out = capsys.readouterr().out
    assert "100101  FAILED  2/3 cases" in out
    assert "FAIL: OpenSSH 9.8+ writes it as sshd-session, with the port: fired 1, expected 2" in out


def test_replay_reads_gzipped_rotations_and_reports_a_broken_one(tmp_path: Path, monkeypatch, capsys):
    lines = "".join(f"Mar  2 10:{i // 60:02d}:{i % 60:02d} bastion sshd[1]: Failed password for root from "
                    f"203.0.113.9 port {i} ssh2\n" for i in range(3000)).encode()
    (tmp_path / "auth.log.2.gz").write_bytes(gzip.compress(lines[:8 * 90]))
    (tmp_path / "auth.log.3.gz").write_bytes(gzip.compress(lines)[:-100])  # cut short
    corrupt = bytearray(gzip.compress(lines))
    corrupt[len(corrupt) // 2] ^= 0xFF
    (tmp_path / "auth.log.4.gz").write_bytes(bytes(corrupt))
    out = _stdout(monkeypatch)
    code = main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--json",
                 *(str(tmp_path / f"auth.log.{n}.gz") for n in (4, 3, 2))])
    assert code == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert any(a["rule"]["id"] == "100111" and a["document"]["source"]["port"] == 7 for a in alerts)
    err = capsys.readouterr().err
    assert "auth.log.3.gz: stopped reading" in err and "auth.log.4.gz: stopped reading" in err
    read = int(err.split("logward replay: ")[-1].split(" lines")[0])
    assert read > 2 * 3000 - 300  # only the broken ends are lost (100 bytes cut hold ~200 lines)


@pytest.mark.parametrize("args", [["--reference-time", "yesterday"], ["--reference-time", "2025-13-01T00:00:00Z"],
                                  ["--reference-time", "2025-01-01T00:00:00"], ["--min-level", "16"],
                                  ["--min-level", "-1"]])
def test_replay_refuses_bad_options_before_reading(args: list[str], capsys):
    with pytest.raises(SystemExit) as stop:
        main(["replay", *args, str(ROOT / "demo" / "attack-auth.log")])
    assert stop.value.code == 2 and "logward replay: error: argument" in capsys.readouterr().err


@pytest.mark.parametrize("where", ["folder", "missing/report.html"])
def test_replay_checks_the_report_path_before_replaying(where: str, tmp_path: Path, capsys):
    with pytest.raises(SystemExit, match="cannot write the report"):
        main(["replay", "--html", str(tmp_path / where if where != "folder" else tmp_path),
              str(ROOT / "demo" / "attack-auth.log")])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("folder", ["/nonexistent-logward", "empty"])
def test_a_content_folder_named_but_not_there_is_an_error(folder: str, tmp_path: Path, capsys):
    path = folder if folder.startswith("/") else str(tmp_path)
    assert main(["--content", path, "test"]) == 2
    assert "not a Logward content folder" in capsys.readouterr().err


@pytest.mark.parametrize("compress", [False, True])
def test_replay_reads_stdin_plain_or_gzipped(monkeypatch, capsys, compress: bool):
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} ssh2\n"
                    for i in range(8)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(gzip.compress(lines) if compress else lines)))
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--json", "-"]) == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert [a["rule"]["id"] for a in alerts].count("100111") == 1
    assert "logward replay: 8 lines" in capsys.readouterr().err
