"""The command line as analysts use it: logtest, replay and test."""

from __future__ import annotations

import bz2
import errno
import gzip
import io
import json
import lzma
import os
import re
import shutil
import sys
from pathlib import Path

import pytest

from logward.cli import main
from logward.engine.lines import _UNPRINTABLE, printable
from logward.report.html import HtmlReport
from tests.conftest import LOGHUB, ROOT

FAILED = "Dec 10 07:13:43 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 42393 ssh2"
ACCEPTED = "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def _stdout(monkeypatch: pytest.MonkeyPatch) -> io.BytesIO:
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    return buffer


def _logtest(monkeypatch: pytest.MonkeyPatch, text: str, *args: str) -> str:
    """What `logward logtest ARGS` prints for `text` on stdin (it must exit 0)."""
    _stdin(monkeypatch, text)
    out = _stdout(monkeypatch)
    assert main(["logtest", *args]) == 0
    return out.getvalue().decode()


def test_logtest_shows_three_phases(monkeypatch):
    text = _logtest(monkeypatch, FAILED + "\n")
    assert "**Phase 1: Completed pre-decoding." in text and "host.hostname: 'LabSZ'" in text
    assert "**Phase 2: Completed decoding." in text and "source.ip: '5.36.59.76'" in text
    assert "event.action: 'ssh_login'" in text
    assert "Rule id: '100102'" in text and "Level: '5'" in text and "OSSEC/Wazuh: 5716, 5760" in text
    assert "**Alert to be generated." in text


def test_logtest_json_one_object_per_line(monkeypatch):
    text = _logtest(monkeypatch, f"{FAILED}\nnot a log line\n{ACCEPTED}\n", "--json")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == 3
    assert records[0]["rules"] == [
        {"id": "100102", "level": 5, "description": "sshd: authentication failed", "ossec": [5716, 5760]}
    ]
    assert records[1]["rules"] == [] and "logward_unknown_header" in records[1]["document"]["tags"]
    assert {r["id"] for r in records[2]["rules"]} == {"100103", "100120"}  # as replay --json writes it
    assert records[2]["document"]["user"]["name"] == "fztu"


def test_logtest_says_what_a_correlation_counted(monkeypatch):
    """As replay --json does: how many events, by which key, since when."""
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[{i}]: Failed password for root from 203.0.113.9 port {i} ssh2\n"
                    for i in range(8))
    last = json.loads(_logtest(monkeypatch, lines, "--json").splitlines()[-1])
    brute = next(r for r in last["rules"] if r["id"] == "100111")
    assert brute["correlation"]["count"] == 8 and brute["correlation"]["window_seconds"] == 120
    assert brute["correlation"]["key"] == {"logward.source.origin": "203.0.113.9"}
    assert brute["correlation"]["first"].endswith("-03-02T10:00:00.000Z")
    assert "correlation" not in next(r for r in last["rules"] if r["id"] == "100102")
    text = _logtest(monkeypatch, lines)
    assert "Correlated: 8 events with logward.source.origin=203.0.113.9 since " in text


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
    assert brute[0]["correlation"]["key"] == {"logward.source.origin": "203.0.113.9"}
    assert brute[0]["@timestamp"] == "2024-03-02T10:00:07.000Z"  # March is after the January reference
    assert brute[0]["correlation"]["first"] == "2024-03-02T10:00:00.000Z"
    assert brute[0]["document"]["event"]["action"] == "ssh_login"
    # Where it came from: the alert's id as the OSSEC text gives it, the file and the line.
    assert brute[0]["alert"]["id"] == f"{1709373607}.{alerts.index(brute[0]) + 1}"
    assert brute[0]["log"] == {"file": {"path": str(tmp_path / "b.log")}} and brute[0]["logward"] == {"line": 4}


def test_replay_text_is_ossec_alert_form(monkeypatch, capsys):
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2017-01-01T00:00:00Z", str(LOGHUB / "OpenSSH_2k.log")]) == 0
    text = out.getvalue().decode()
    lookup, first = (alert.splitlines() for alert in text.split("\n\n")[:2])
    assert lookup[2].startswith("Rule: 100132 ")  # the corpus's first line: "reverse mapping ... failed"
    assert first[0].startswith("** Alert ") and first[0].endswith(": - sshd,invalid_login,authentication_failed,")
    assert first[1] == f"2016 Dec 10 06:55:46 LabSZ->{LOGHUB / 'OpenSSH_2k.log'}"  # OSSEC's host->log file
    assert first[2] == "Rule: 100101 (level 5) -> 'sshd: attempt to log in with a non-existent user' [OSSEC 5710]"
    assert "Src IP: 173.234.31.186" in first and "User: webmaster" in first
    assert "Rule: 100110 (level 10)" in text and "Correlated: 8 events with logward.source.origin=" in text
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
    assert "100101  FAILED  3/4 cases" in out
    assert "FAIL: OpenSSH 9.8+ writes it as sshd-session, with the port: fired 1, expected 2" in out


def test_replay_reads_gzipped_rotations_and_reports_a_broken_one(tmp_path: Path, monkeypatch, capsys):
    lines = "".join(f"Mar  2 10:{i // 60:02d}:{i % 60:02d} bastion sshd[1]: Failed password for root from "
                    f"203.0.113.9 port {i} ssh2\n" for i in range(3000)).encode()
    (tmp_path / "auth.log.2.gz").write_bytes(gzip.compress(lines[:8 * 90]))
    (tmp_path / "auth.log.3.gz").write_bytes(gzip.compress(lines)[:-100])  # cut short
    corrupt = bytearray(gzip.compress(lines))
    corrupt[len(corrupt) // 2] ^= 0xFF
    (tmp_path / "auth.log.4.gz").write_bytes(bytes(corrupt))
    for age, n in enumerate((2, 3, 4)):  # rotated: the higher the number, the older
        os.utime(tmp_path / f"auth.log.{n}.gz", (1_700_000_000 - 600 * age, 1_700_000_000 - 600 * age))
    out = _stdout(monkeypatch)
    code = main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--json",
                 *(str(tmp_path / f"auth.log.{n}.gz") for n in (4, 3, 2))])
    assert code == 3  # the alerts are out, but a script must learn that lines were lost
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert any(a["rule"]["id"] == "100111" and a["document"]["source"]["port"] == 7 for a in alerts)
    err = capsys.readouterr().err
    assert "auth.log.3.gz: stopped reading" in err and "auth.log.4.gz: stopped reading" in err
    last = err.splitlines()[-1]
    assert "auth.log.3.gz" in last and "auth.log.4.gz" in last and "(exit status 3)" in last
    read = int(re.search(r"logward replay: (\d+) lines", err).group(1))
    assert read > 2 * 3000 - 300  # only the broken ends are lost (100 bytes cut hold ~200 lines)


@pytest.mark.parametrize("packer", [bz2.compress, lzma.compress])
def test_replay_reads_the_other_compressions_logrotate_writes(tmp_path: Path, monkeypatch, capsys, packer):
    """bzip2 and xz, as logrotate's compresscmd may write them: read as junk lines, an
    attack in them was a clean result."""
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} "
                    "ssh2\n" for i in range(8)).encode()
    (tmp_path / "auth.log.2").write_bytes(packer(lines))
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "auth.log.2")]) == 0
    assert "Rule: 100111 " in out.getvalue().decode()
    assert "tagged" not in capsys.readouterr().err


@pytest.mark.parametrize(("magic", "kind"), [(b"\x28\xb5\x2f\xfd", "zstd"), (b"\x04\x22\x4d\x18", "lz4")])
def test_replay_refuses_a_compression_it_cannot_read_by_name(tmp_path: Path, monkeypatch, magic: bytes, kind: str):
    (tmp_path / "auth.log.1").write_text("Mar  2 10:00:00 bastion sshd[1]: Server listening on :: port 22.\n")
    (tmp_path / "auth.log.2").write_bytes(magic + b"\x00" * 64)
    _stdout(monkeypatch)
    with pytest.raises(SystemExit, match=f"auth.log.2 is {kind}-compressed, which Logward does not read"):
        main(["replay", str(tmp_path / "auth.log.1"), str(tmp_path / "auth.log.2")])


def test_replay_reads_a_journal_export_written_as_json_pretty(tmp_path: Path, monkeypatch, capsys):
    """`journalctl -o json-pretty` spreads each entry over many lines: read line by line, no
    line was an entry and the export read as a clean result."""
    entries = [{"__REALTIME_TIMESTAMP": str(1_707_748_200_000_000 + i * 1_000_000), "_HOSTNAME": "db",
                "SYSLOG_IDENTIFIER": "sshd", "_COMM": "sshd", "_EXE": "/usr/sbin/sshd", "_PID": str(9100 + i),
                "MESSAGE": f"Failed password for root from 203.0.113.9 port {42000 + i} ssh2"} for i in range(8)]
    pretty = "".join(json.dumps(e, indent=8, separators=(",", " : ")) + "\n" for e in entries)
    (tmp_path / "journal.json").write_text(pretty + "not an entry\n")
    out = _stdout(monkeypatch)
    assert main(["replay", "--json", str(tmp_path / "journal.json")]) == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert [a["rule"]["id"] for a in alerts].count("100102") == 8 and alerts[-1]["rule"]["id"] == "100111"
    assert alerts[0]["document"]["host"]["hostname"] == "db"
    assert "1 line tagged logward_unknown_header" in capsys.readouterr().err  # nothing lost


def _journal_entries(count: int) -> list[dict]:
    return [{"__REALTIME_TIMESTAMP": str(1_707_748_200_000_000 + i * 1_000_000), "_HOSTNAME": "db",
             "SYSLOG_IDENTIFIER": "sshd", "_COMM": "sshd", "_EXE": "/usr/sbin/sshd", "_PID": str(9100 + i),
             "MESSAGE": f"Failed password for root from 203.0.113.9 port {42000 + i} ssh2"} for i in range(count)]


def test_a_json_pretty_entry_cut_short_loses_only_itself(tmp_path: Path, monkeypatch, capsys):
    """The export begins with a blank line and an entry cut short; the eight after it are
    whole, and each alert says the line its entry starts on."""
    pretty = [json.dumps(e, indent=8, separators=(",", " : ")) for e in _journal_entries(9)]
    cut = "\n".join(pretty[0].splitlines()[:4])
    (tmp_path / "journal.json").write_text("\n" + cut + "\n" + "\n".join(pretty[1:]) + "\n")
    out = _stdout(monkeypatch)
    assert main(["replay", "--json", str(tmp_path / "journal.json")]) == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    failed = [a for a in alerts if a["rule"]["id"] == "100102"]
    assert len(failed) == 8 and any(a["rule"]["id"] == "100111" for a in alerts)
    entry_lines = len(pretty[1].splitlines())
    assert [a["logward"]["line"] for a in failed] == [6 + k * entry_lines for k in range(8)]
    assert "5 lines tagged logward_unknown_header (first at" in capsys.readouterr().err  # the blank one too


@pytest.mark.parametrize("cut", ["starts inside an entry", "starts at an entry's end", "starts with a byte order mark"])
def test_a_json_pretty_export_is_told_from_its_first_lines(tmp_path: Path, monkeypatch, capsys, cut: str):
    pretty = "".join(json.dumps(e, indent=8, separators=(",", " : ")) + "\n" for e in _journal_entries(9))
    lines = pretty.splitlines()
    text = {"starts inside an entry": "\n".join(lines[5:]) + "\n",
            "starts at an entry's end": "\n".join(lines[lines.index("}"):]) + "\n"}.get(cut, "\ufeff" + pretty)
    (tmp_path / "journal.json").write_text(text, encoding="utf-8")
    out = _stdout(monkeypatch)
    assert main(["replay", "--json", str(tmp_path / "journal.json")]) == 0
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    whole = 9 if cut.endswith("mark") else 8  # the entry cut short is the first one
    assert [a["rule"]["id"] for a in alerts].count("100102") == whole


def test_a_text_file_whose_first_line_is_a_brace_is_read_line_by_line(tmp_path: Path, monkeypatch, capsys):
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} "
                    "ssh2\n" for i in range(8))
    (tmp_path / "auth.log").write_text("{\n" + lines)
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "auth.log")]) == 0
    assert "Rule: 100111 " in out.getvalue().decode()
    assert "1 line tagged logward_unknown_header (first at" in capsys.readouterr().err


class _Trickle(io.RawIOBase):
    """A pipe that hands over three bytes at a time."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        piece, self.data = self.data[:3], self.data[3:]
        buffer[:len(piece)] = piece
        return len(piece)


def test_compression_is_told_on_a_pipe_that_trickles(monkeypatch, capsys):
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} "
                    "ssh2\n" for i in range(8)).encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(_Trickle(lzma.compress(lines)))))
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", "-"]) == 0
    assert "Rule: 100111 " in out.getvalue().decode()
    assert "tagged" not in capsys.readouterr().err


def test_text_that_begins_as_bzip2_does_is_still_text(tmp_path: Path, monkeypatch, capsys):
    (tmp_path / "notes.log").write_text("BZh9 is how a bzip2 stream begins\n")
    _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "notes.log")]) == 0
    assert "1 line tagged logward_unknown_header" in capsys.readouterr().err


def test_replay_of_a_live_pipe_tells_each_alert_once_its_line_is_written(tmp_path: Path):
    """`journalctl -f -o json | logward replay -`: lines are put in time order within 64,
    but a line written is not held until 64 more come."""
    import select
    import subprocess

    replay = subprocess.Popen([sys.executable, "-m", "logward", "replay", "--reference-time", "2025-01-01", "-"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        for i in range(8):
            replay.stdin.write(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 "
                               f"port {i} ssh2\n".encode())
        replay.stdin.flush()
        seen = b""
        while b"Rule: 100111 " not in seen:
            ready, _, _ = select.select([replay.stdout], [], [], 120)  # a deadline, not a measure
            assert ready, f"no alert while the pipe stays open; so far: {seen!r}"
            chunk = os.read(replay.stdout.fileno(), 1 << 16)
            assert chunk, "replay ended"
            seen += chunk
    finally:
        replay.stdin.close()
        replay.wait(60)
        replay.stdout.close()


def test_replay_of_a_file_through_a_pipe_keeps_the_time_order_of_the_file(tmp_path: Path):
    """`cat auth.log | logward replay -` tells what `logward replay auth.log` tells: the
    window is flushed only where the writer has written no more yet, not at every read."""
    import subprocess

    lines = []
    for g in range(1000):
        at, source = 60 * g, f"203.0.{g // 250}.{g % 250 + 1}"
        stamp = [f"Mar  2 {(at + s) // 3600:02d}:{(at + s) // 60 % 60:02d}:{(at + s) % 60:02d}" for s in range(60)]
        lines.append(f"{stamp[50]} bastion sshd[{g}]: Accepted password for root from {source} port 1 ssh2")
        lines += [f"{stamp[5 * i]} bastion sshd[{g}]: Failed password for root from {source} port {i} ssh2"
                  for i in range(8)]
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    replay = [sys.executable, "-m", "logward", "replay", "--reference-time", "2025-01-01"]
    whole = subprocess.run([*replay, str(log)], capture_output=True, check=True, cwd=ROOT).stdout
    cat = subprocess.Popen(["cat", str(log)], stdout=subprocess.PIPE)
    piped = subprocess.run([*replay, "-"], stdin=cat.stdout, capture_output=True, check=True, cwd=ROOT).stdout
    cat.wait()
    assert whole.count(b"Rule: 100112 ") == 1000
    assert piped.count(b"Rule: 100112 ") == 1000


def test_replay_of_whole_files_exits_0_and_a_broken_one_3_in_text_form_too(tmp_path: Path, monkeypatch, capsys):
    lines = "".join(f"Mar  2 10:00:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} "
                    "ssh2\n" for i in range(40)).encode()
    (tmp_path / "whole.gz").write_bytes(gzip.compress(lines))
    (tmp_path / "cut.gz").write_bytes(gzip.compress(lines)[:-12])
    _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "whole.gz")]) == 0
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "cut.gz")]) == 3
    assert "Rule: 100111 (level 10)" in out.getvalue().decode()  # what was read is still reported
    assert "cut.gz: stopped reading" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--reference-time", "yesterday"], ["--reference-time", "2025-13-01T00:00:00Z"],
                                  ["--reference-time", "2025-01-01T00:00:00"], ["--min-level", "16"],
                                  ["--min-level", "-1"], ["--timezone", "EST"], ["--timezone", "+19:00"],
                                  ["--timezone", "Mars/Olympus"], ["--timezone", ""],
                                  ["--reference-time", "0999-06-01T00:00:00Z"]])
def test_replay_refuses_bad_options_before_reading(args: list[str], capsys):
    with pytest.raises(SystemExit) as stop:
        main(["replay", *args, str(ROOT / "demo" / "attack-auth.log")])
    assert stop.value.code == 2 and "logward replay: error: argument" in capsys.readouterr().err


# (A folder without write permission is the same failure as /proc's, which binds root too.)
@pytest.mark.parametrize("where", ["folder", "missing/report.html", "/proc/x.html"])
def test_replay_checks_the_report_path_before_replaying(where: str, tmp_path: Path, capsys):
    path = where if where.startswith("/") else str(tmp_path / where if where != "folder" else tmp_path)
    with pytest.raises(SystemExit, match=f"^logward replay: cannot write the report to {re.escape(path)}: [^\n]+$"):
        main(["replay", "--html", path, str(ROOT / "demo" / "attack-auth.log")])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("refusal", ["bad content", "missing log"])
def test_a_refused_replay_leaves_no_report_file_behind(refusal: str, tmp_path: Path, capsys):
    report, kept = tmp_path / "new.html", tmp_path / "old.html"
    kept.write_text("an earlier report")
    for path in (report, kept):
        args = ["replay", "--html", str(path), str(ROOT / "demo" / "attack-auth.log")]
        if refusal == "bad content":
            assert main(["--content", str(tmp_path / "nothing"), *args]) == 2
        else:
            with pytest.raises(SystemExit, match="cannot read"):
                main([*args, str(tmp_path / "no-such.log")])
    assert not report.exists() and kept.read_text() == "an earlier report"


def test_a_report_that_fails_to_write_after_the_replay_is_one_line(tmp_path: Path, monkeypatch, capsys):
    def full(self: HtmlReport, path: str) -> None:
        Path(path).write_text("<!DOCTYPE html>")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(HtmlReport, "write", full)
    report = tmp_path / "report.html"
    _stdout(monkeypatch)
    with pytest.raises(SystemExit) as stop:
        main(["replay", "--html", str(report), str(ROOT / "demo" / "attack-auth.log")])
    assert stop.value.code == f"logward replay: cannot write the report to {report}: No space left on device"
    assert not report.exists()  # no half-written report


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


HOSTILE = "Dec 10 06:55:46 h sshd[1]: Invalid user \x1b[2J\x1b]0;pwned\x07evil from 1.2.3.4 port 22"
SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07evil"  # the user name as the terminal is to show it


def _controls(text: str) -> set[str]:
    return {c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F}


def test_logtest_escapes_what_the_log_says_before_the_terminal_sees_it(monkeypatch):
    text = _logtest(monkeypatch, HOSTILE + "\n")
    assert not _controls(text)
    assert f"       full event: 'Dec 10 06:55:46 h sshd[1]: Invalid user {SHOWN} from" in text
    assert f"user.name: '{SHOWN}'" in text and f"related.user: ['{SHOWN}']" in text


def test_logtest_json_keeps_the_text_as_it_was(monkeypatch):
    text = _logtest(monkeypatch, HOSTILE + "\n", "--json")
    assert json.loads(text)["document"]["user"]["name"] == "\x1b[2J\x1b]0;pwned\x07evil"


def test_replay_text_alerts_and_summary_escape_what_the_log_says(tmp_path: Path, monkeypatch):
    lines = [HOSTILE] + [f"Dec 10 06:56:{i:02d} h sshd[1]: Failed password for invalid user \x1b]0;x\x07u{i} "
                         f"from 1.2.3.4 port {i} ssh2" for i in range(9)]
    lines.append("Dec 10 06:57:00 h sshd[1]: Accepted password for r\x1b[31mt from 1.2.3.4 port 22 ssh2")
    (tmp_path / "auth.log").write_text("\n".join(lines) + "\n")
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", str(tmp_path / "auth.log")]) == 0
    text = out.getvalue().decode()
    assert not _controls(text)
    assert f"User: {SHOWN}\n" in text and f"Invalid user {SHOWN} from 1.2.3.4" in text
    summary = text.split("== Summary")[1]
    assert "\\x1b]0;x\\x07u0" in summary and "then logged in as r\\x1b[31mt (password)" in summary


def test_printable_names_each_control_and_keeps_the_rest():
    assert printable("a\tb\rc\x00d\x7fe\x85f\u202eg\u200bh") == "a\\tb\\rc\\x00d\\x7fe\\x85f\\u202eg\\u200bh"
    assert printable("Invalid user jörg 管理员 from ::1 C:\\x") == "Invalid user jörg 管理员 from ::1 C:\\x"
    hidden = [*range(0x20), *range(0x7F, 0xA1), 0xAD, 0x1680, 0x180E, *range(0x2000, 0x2010),
              *range(0x2028, 0x2030), *range(0x205F, 0x206A), 0x3000, 0xFEFF]
    assert [hex(c) for c in hidden if printable(f"user {chr(c)}x") == f"user {chr(c)}x"] == []
    # The quick test that lets most text through must catch every character escaped.
    assert [hex(c) for c in range(0x110000) if _UNPRINTABLE.match(chr(c)) and chr(c).isprintable()] == []


def test_logtest_prints_numbers_bare_and_lists_as_lists(monkeypatch):
    text = _logtest(monkeypatch, FAILED + "\n")
    assert "       process.pid: 24227\n" in text and "       source.port: 42393\n" in text
    assert "       event.category: ['authentication']\n" in text
    assert "       related.ip: ['5.36.59.76']\n" in text
    assert "Rule id: '100102'" in text  # as ossec-logtest prints it


@pytest.mark.parametrize("as_json", [False, True])
def test_logtest_skips_blank_lines_as_ossec_logtest_does(monkeypatch, as_json: bool):
    text = _logtest(monkeypatch, f"\n{FAILED}\n\n   \r\n{ACCEPTED}\n\n", *(["--json"] if as_json else []))
    if as_json:
        records = [json.loads(line) for line in text.splitlines()]
        assert [r["document"]["event"]["original"] for r in records] == [FAILED, ACCEPTED]
    else:
        assert text.count("**Phase 1") == 2 and "grok" not in text.lower()


def test_replay_takes_a_plain_date_as_midnight_utc(monkeypatch):
    lines = "".join(f"Dec 31 23:59:{i:02d} bastion sshd[1]: Failed password for root from 203.0.113.9 port {i} "
                    "ssh2\n" for i in range(50, 58)).encode()
    outputs = []
    for reference in ("2025-01-01", "2025-01-01T00:00:00Z"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(lines)))
        out = _stdout(monkeypatch)
        assert main(["replay", "--reference-time", reference, "--json", "-"]) == 0
        alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
        outputs.append([(a["@timestamp"], a["document"]["event"]["created"], a["rule"]["id"]) for a in alerts])
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == ("2024-12-31T23:59:50.000Z", "2025-01-01T00:00:00.000Z", "100102")


def test_replay_reads_clock_times_in_the_zone_given(monkeypatch, capsys):
    iso = "2024-12-10T07:13:50+00:00 LabSZ sshd[24227]: Failed password for root from 5.36.59.76 port 1 ssh2"
    text = f"{FAILED}\n{iso}\n"
    runs = {}
    for zone in (None, "Europe/Paris", "-05:00"):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
        out = _stdout(monkeypatch)
        assert main(["replay", "--reference-time", "2025-01-01", "--json", *([f"--timezone={zone}"] if zone else []),
                     "-"]) == 0
        alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
        # Alerts come in time order: the ISO line's (07:13:50 UTC) first when the BSD line
        # is read west of UTC. Here they are taken in the order of the lines.
        alerts.sort(key=lambda a: a["logward"]["line"])
        runs[zone] = [(a["@timestamp"], a["alert"]["id"].split(".")[0], a["document"]["event"].get("timezone"))
                      for a in alerts]
    assert runs[None][0] == ("2024-12-10T07:13:43.000Z", "1733814823", None)
    assert runs["Europe/Paris"][0] == ("2024-12-10T07:13:43.000+01:00", str(1733814823 - 3600), "Europe/Paris")
    assert runs["-05:00"][0] == ("2024-12-10T07:13:43.000-05:00", str(1733814823 + 5 * 3600), "-05:00")
    # A timestamp with its own offset keeps it, whatever the zone.
    assert {run[1][1] for run in runs.values()} == {"1733814830"}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", "--timezone", "Europe/Paris", "-"]) == 0
    assert "2024 Dec 10 06:13:43 LabSZ->" in out.getvalue().decode()  # OSSEC's alert time, in UTC


def test_replay_reads_each_file_in_its_own_zone(tmp_path: Path, monkeypatch, capsys):
    """Guessing on a New York host at 09:20 local, then the login on a Paris host at 15:21
    local: 14:20 and 14:21 UTC, one attack, seen only if each file is read in its zone."""
    ny, paris = tmp_path / "ny-auth.log", tmp_path / "paris-auth.log"
    ny.write_text("".join(f"Jan 15 09:20:{5 * i:02d} ny-web sshd[{200 + i}]: Failed password for admin from "
                          f"203.0.113.9 port {30000 + i} ssh2\n" for i in range(8)))
    paris.write_text("Jan 15 15:21:00 paris-db sshd[700]: Accepted password for admin from 203.0.113.9 "
                     "port 31000 ssh2\n")
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", "--timezone", "America/New_York",
                 "--timezone", f"{paris}=Europe/Paris", str(ny), str(paris)]) == 0
    text = out.getvalue().decode()
    assert "Rule: 100112 " in text and "2024 Jan 15 14:21:00 paris-db->" in text
    capsys.readouterr()
    for wrong, message in ((["--timezone", "UTC", "--timezone", "+01:00"], "given twice for all files (UTC, +01:00)"),
                           (["--timezone", "auth.log=UTC"], "auth.log is not one of the files replayed")):
        with pytest.raises(SystemExit) as stop:
            main(["replay", *wrong, str(ny), str(paris)])
        assert stop.value.code == 2 and message in capsys.readouterr().err  # a bad option, as argparse's


def test_logtest_reads_clock_times_in_the_zone_given(monkeypatch):
    text = _logtest(monkeypatch, FAILED + "\n", "--timezone", "Asia/Kolkata")
    assert re.search(r"@timestamp: '\d{4}-12-10T07:13:43.000\+05:30'", text)
    assert "event.timezone: 'Asia/Kolkata'" in text


def test_replay_counts_in_the_singular_too(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(ACCEPTED.encode() + b"\n")))
    _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01", "--min-level", "4", "-"]) == 0
    assert "logward replay: 1 line, 1 alert\n" in capsys.readouterr().err


def test_replay_in_a_zone_east_of_utc_dates_new_years_day_in_the_new_year(monkeypatch):
    # Read at 00:30 in Paris on 1 January 2025, when UTC is still in 2024.
    lines = ["Dec 31 23:59:50 web1 sshd[100]: Failed password for root from 198.51.100.9 port 40000 ssh2",
             "Jan  1 00:00:10 web1 sshd[101]: Failed password for root from 198.51.100.9 port 40001 ssh2"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("\n".join(lines).encode() + b"\n")))
    out = _stdout(monkeypatch)
    assert main(["replay", "--reference-time", "2025-01-01T00:30:00+01:00", "--timezone", "Europe/Paris", "--json",
                 "-"]) == 0
    stamps = [json.loads(line)["@timestamp"] for line in out.getvalue().decode().splitlines()]
    assert stamps == ["2024-12-31T23:59:50.000+01:00", "2025-01-01T00:00:10.000+01:00"]


def test_replay_reads_more_files_together_than_the_soft_descriptor_limit(tmp_path: Path, monkeypatch):
    """All files are open at once: a low soft limit is raised, not a reason to stop."""
    import resource

    names = []
    for i in range(300):
        path = tmp_path / f"host-{i}.log"
        path.write_text(f"Mar  2 10:00:{i % 60:02d} host-{i} sshd[1]: Failed password for root from 203.0.113.9 "
                        f"port {i} ssh2\n")
        names.append(str(path))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, hard))
    try:
        out = _stdout(monkeypatch)
        assert main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--json", *names]) == 0
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    alerts = [json.loads(line) for line in out.getvalue().decode().splitlines()]
    assert sum(a["rule"]["id"] == "100102" for a in alerts) == 300


@pytest.mark.parametrize("command", [["test"], ["logtest"], ["replay", "-"], ["plan"], ["export", "out"]])
def test_content_may_come_after_the_command(command: list[str], tmp_path: Path, monkeypatch, capsys):
    """`logward test --content DIR` is where users write it: the folder is read, not taken
    for a rule id, a log file or the export folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main([*command, "--content", str(tmp_path / "nothing")]) == 2
    assert "not a Logward content folder" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_file_given_twice_is_read_once(tmp_path, capsys):
    """auth.log auth.log* names the live file twice: its failures must not count twice
    (five failures are no brute force)."""
    from logward.cli import main

    log = tmp_path / "auth.log"
    log.write_text("".join(f"Mar  2 10:00:0{i} web-1 sshd[1{i}]: Failed password for root from 203.0.113.5 port "
                           f"4000{i} ssh2\n" for i in range(5)))
    assert main(["replay", "--json", "--reference-time", "2025-01-01T00:00:00Z", str(log), str(log),
                 str(tmp_path / "." / "auth.log")]) == 0
    out, err = capsys.readouterr()
    assert [json.loads(line)["rule"]["id"] for line in out.splitlines()] == ["100102"] * 5
    assert err.count("again: read once") == 2


def test_a_mistyped_option_is_told_by_its_commands_own_usage(tmp_path, capsys):
    from logward.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["replay", "--jsn", str(tmp_path / "auth.log")])
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert "usage: logward replay" in err and "logward replay: error: unrecognized arguments: --jsn" in err
