"""Attackers write into these logs. Crafted user names must not move source.ip, and junk,
huge or mis-encoded lines are kept and reported, never raised. Checked on the real node
and in the embedded engine."""

from __future__ import annotations

import copy
import json
import re

import pytest

from logward.engine import Engine
from logward.engine.ingest import Ingest, without
from tests.pipeline_fixtures import DEFAULT_FIELDS, simulate

REAL = "203.0.113.50"
CRAFTED = [
    # (line, user.name the parser must report)
    ("Mar  2 10:00:00 web-1 sshd[1]: Invalid user x from 6.6.6.6 port 22 from 203.0.113.50 port 40000",
     "x from 6.6.6.6 port 22"),
    ("Mar  2 10:00:01 web-1 sshd[1]: Failed password for invalid user x from 6.6.6.6 port 22 from 203.0.113.50 "
     "port 40000 ssh2", "x from 6.6.6.6 port 22"),
    ("Mar  2 10:00:02 web-1 sshd[1]: Failed password for invalid user x from 6.6.6.6 port 22 ssh2: RSA SHA256:x "
     "from 203.0.113.50 port 40000 ssh2", "x from 6.6.6.6 port 22 ssh2: RSA SHA256:x"),
    ("Mar  2 10:00:03 web-1 sshd[1]: Accepted password for x from 6.6.6.6 port 22 from 203.0.113.50 port 40000 ssh2",
     "x from 6.6.6.6 port 22"),
    ("Mar  2 10:00:04 web-1 sshd[1]: Invalid user x from 6.6.6.6 from 203.0.113.50", "x from 6.6.6.6"),
    ("Mar  2 10:00:05 web-1 sshd[1]: Connection closed by invalid user x 6.6.6.6 port 22 203.0.113.50 port 4 [preauth]",
     "x 6.6.6.6 port 22"),
    ("Mar  2 10:00:06 web-1 sshd[1]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh "
     "ruser= rhost=203.0.113.50  user=x rhost=6.6.6.6", "x rhost=6.6.6.6"),
    ("Mar  2 10:00:07 web-1 sshd[1]: User x from 6.6.6.6 not allowed because y from 203.0.113.50 not allowed because "
     "not listed in AllowUsers", "x from 6.6.6.6 not allowed because y"),
]
# A certificate's ID is the client's text too: an ID that reads as a second address is
# either left in the signature, or, where the user name could have been crafted to complete
# it, makes the line ambiguous, and then no address is kept.
CERTIFICATES = [
    ("Mar  2 10:00:12 web-1 sshd[1]: Failed publickey for invalid user admin from 203.0.113.50 port 1 ssh2: "
     "ED25519-CERT SHA256:Qk1fp ID x from 6.6.6.6 port 22 ssh2: (serial 0) CA ED25519 SHA256:Zz9ca", REAL),
    ("Mar  2 10:00:13 web-1 sshd[1]: Failed publickey for invalid user admin from 203.0.113.50 port 1 ssh2: "
     "ED25519-CERT SHA256:Qk1fp ID x from 6.6.6.6 port 22 ssh2: RSA SHA256:abc ID y (serial 0) CA ED25519 "
     "SHA256:Zz9ca", None),
    ("Mar  2 10:00:14 web-1 sshd[1]: Failed publickey for u from 6.6.6.6 port 2 ssh2: RSA SHA256:x ID y from "
     "203.0.113.50 port 1 ssh2: ED25519 SHA256:f", REAL),
    # The real address is link-local, with the interface glibc writes after it.
    ("Mar  2 10:00:15 web-1 sshd[1]: Failed publickey for x from fe80::1%eth0 port 40000 ssh2: ED25519-CERT "
     "SHA256:realfp ID y from 6.6.6.6 port 22 ssh2: RSA SHA256:abc ID z (serial 7) CA ED25519 SHA256:realca", None),
]
HOSTILE = [
    "\x00\x01\x02\x03 binary \x7f junk \x1b[31m",
    "Mar  2 10:00:08 web-1 sshd[1]: Failed password for root from 203.0.113.50 port 1 ssh2" + "A" * (1024 * 1024),
    "Mar  2 10:00:09 web-1 sshd[1]: " + "x" * (1024 * 1024),
    "Mar  2 10:00:10 web-1 sshd[1]: Invalid user \ufffd\ufffd from 203.0.113.50",
    "Mar  2 10:00:11 web-1 sshd[1]: Failed password for root from 203.0.113.50 port 1 ssh2\nAccepted password for "
    "root from 6.6.6.6 port 22 ssh2",
    "",
    # A journal entry has no length limit: a 1 MiB sudo message, which sudo's pattern would
    # otherwise have to work through.
    json.dumps({"__REALTIME_TIMESTAMP": "1731578400000000", "_HOSTNAME": "web-1", "SYSLOG_IDENTIFIER": "sudo",
                "_COMM": "sudo", "_EXE": "/usr/bin/sudo", "_PID": "5",
                "MESSAGE": "alice : TTY=pts/0 ; PWD=/ ; USER=x ; ENV= ; " * (1024 * 1024 // 44)}),
    # Only the journal carries a newline in a message. At the end it is dropped, as syslog
    # drops it; inside, no parsed program writes one, and the patterns would try every way
    # of splitting the repeated words before failing at it (seconds a line).
    json.dumps({"__REALTIME_TIMESTAMP": "1731578400000000", "_HOSTNAME": "web-1", "SYSLOG_IDENTIFIER": "useradd",
                "_PID": "6", "MESSAGE": "new user: name=bob, UID=0, GID=0, " + "home=/home/bob, shell=/bin/sh, "
                * 400 + "from=/dev/pts/0\n\n"}),
    json.dumps({"__REALTIME_TIMESTAMP": "1731578400000000", "_HOSTNAME": "web-1", "SYSLOG_IDENTIFIER": "useradd",
                "_PID": "7", "MESSAGE": "new user: name=bob, UID=0, GID=0, " + "home=/home/bob, shell=/bin/sh, "
                * 400 + "\nfrom=/dev/pts/0"}),
]


def _docs(lines: list[str]) -> list[dict]:
    return [{**copy.deepcopy(DEFAULT_FIELDS), "message": line} for line in lines]


def _check_crafted(docs: list[dict]) -> None:
    for doc, (line, user) in zip(docs, CRAFTED):
        assert doc["source"]["ip"] == REAL, line
        assert doc["user"]["name"] == user, line
        assert "6.6.6.6" not in doc["related"]["ip"], line


def test_crafted_user_names_in_the_engine(ingest: Ingest):
    _check_crafted([ingest.run(d) for d in _docs([line for line, _ in CRAFTED])])


@pytest.mark.node
def test_crafted_user_names_on_the_node(node_with_pipelines, pipelines):
    _check_crafted(simulate(node_with_pipelines, pipelines.entry, _docs([line for line, _ in CRAFTED])))


def _check_certificates(docs: list[dict]) -> None:
    for doc, (line, source) in zip(docs, CERTIFICATES):
        assert doc.get("source", {}).get("ip") == source, line
        assert "6.6.6.6" not in doc.get("related", {}).get("ip", []), line
        assert ("logward_sshd_ambiguous" in doc.get("tags", [])) == (source is None), line


def test_crafted_certificates_in_the_engine(ingest: Ingest):
    _check_certificates([ingest.run(d) for d in _docs([line for line, _ in CERTIFICATES])])


@pytest.mark.node
def test_crafted_certificates_on_the_node(node_with_pipelines, pipelines):
    _check_certificates(simulate(node_with_pipelines, pipelines.entry, _docs([line for line, _ in CERTIFICATES])))


def _check_hostile(docs: list[dict]) -> None:
    for doc, line in zip(docs, HOSTILE):
        assert doc is not None
        assert doc["event"]["original"] == line  # nothing lost
        assert "@timestamp" in doc  # a data stream would reject it without one
    tags = [set(d.get("tags", [])) for d in docs]
    assert "logward_unknown_header" in tags[0]
    assert "logward_unknown_header" in tags[1] and docs[1]["error"]["message"].startswith("line longer than 16 KiB")
    assert "logward_unknown_header" in tags[2]
    assert docs[3]["user"]["name"] == "\ufffd\ufffd" and docs[3]["source"]["ip"] == REAL
    # A newline cannot smuggle a second, forged message past the anchors.
    assert "logward_unknown_message" in tags[4] and "source" not in docs[4]
    assert "logward_unknown_header" in tags[5]
    assert "logward_oversize" in tags[6] and docs[6]["error"]["message"].startswith("message longer than 16 KiB")
    assert len(docs[6]["message"]) > 1024 * 1000 and docs[6]["process"]["name"] == "sudo"  # kept whole
    assert docs[7]["event"]["action"] == "user_created" and docs[7]["message"].endswith("from=/dev/pts/0")
    assert "logward_unparsed" in tags[8] and docs[8]["error"]["message"].startswith("a message of several lines")
    assert "\nfrom=/dev/pts/0" in docs[8]["message"] and "user" not in docs[8]


def test_hostile_lines_are_kept_in_the_engine(ingest: Ingest):
    _check_hostile([ingest.run(d) for d in _docs(HOSTILE)])


@pytest.mark.node
def test_hostile_lines_are_kept_on_the_node_and_agree(node_with_pipelines, pipelines, ingest: Ingest):
    from_node = simulate(node_with_pipelines, pipelines.entry, _docs(HOSTILE))
    _check_hostile(from_node)
    assert from_node == [without(ingest.run(d)) for d in _docs(HOSTILE)]


def test_engine_never_raises_on_bytes_that_are_not_utf8(tmp_path, capsys):
    from logward.cli import main

    log = tmp_path / "bad.log"
    log.write_bytes(
        b"Mar  2 10:00:00 web-1 sshd[1]: Invalid user \xff\xfe from 203.0.113.50\n"
        b"\x00\x00\x00\n" + b"Mar  2 10:00:01 web-1 sshd[1]: Failed password for root from 203.0.113.50 port 1 ssh2"
    )
    assert main(["replay", "--json", str(log)]) == 0
    out, err = capsys.readouterr()
    assert out.count("\n") == 2  # the invalid-user and failed-password alerts
    assert "3 lines" in err and "logward_unknown_header" in err and "bad.log:2" in err


@pytest.mark.parametrize("as_json", [True, False])
def test_half_a_character_escaped_in_a_journal_entry_is_kept_not_fatal(tmp_path, capsys, as_json: bool):
    """JSON can escape a lone surrogate ("\\ud800"). The node keeps it; UTF-8 cannot hold it:
    JSON output escapes it again, text shows U+FFFD."""
    from logward.cli import main

    log = tmp_path / "journal.json"
    log.write_text('{"__REALTIME_TIMESTAMP":"1740909602000000","_HOSTNAME":"web-2","SYSLOG_IDENTIFIER":"sshd",'
                   '"_COMM":"sshd","MESSAGE":"Failed password for ro\\ud800ot from 1.2.3.4 port 22 ssh2"}\n')
    assert main(["replay", *(["--json"] if as_json else []), str(log)]) == 0
    out = capsys.readouterr().out
    if as_json:
        assert json.loads(out)["document"]["user"]["name"] == "ro\ud800ot"
    else:
        assert "User: ro\\ud800ot" in out


def test_engine_reports_but_survives_a_pipeline_it_cannot_finish():
    engine = Engine.load()
    doc = engine.parse("Dec 30 06:55:46 LabSZ sshd[24200]: Invalid user x from 1.2.3.4", "not a time")
    assert doc["event"]["original"].startswith("Dec 30") and doc["tags"]


def test_the_engine_refuses_undecoded_bytes_rather_than_finding_nothing() -> None:
    from logward.engine import Engine

    with pytest.raises(TypeError, match="decode it first"):
        Engine.load().process(b"Nov 14 10:00:00 bastion sshd[1]: Invalid user x from 203.0.113.9 port 1")


def _routed_programs(pipelines) -> set[str]:
    """Every program name the entry pipeline hands to a parser of its own."""
    names: set[str] = set()
    for processor in pipelines.bodies[pipelines.entry]["processors"]:
        condition = processor.get("pipeline", {}).get("if", "")
        if "process?.name" in condition:  # the quoted words of a route by program are its names
            names |= set(re.findall(r"'([a-z][a-z_-]*)'", condition))
    return names - {"pam_"}


def test_a_journal_entry_under_any_parsed_programs_name_from_another_process_is_flagged(ingest: Ingest, pipelines):
    """The journald pipeline keeps its own list of the programs worth forging; every program
    the entry pipeline routes to a parser must be on it."""
    programs = _routed_programs(pipelines)
    assert {"sshd", "sudo", "su", "login", "useradd", "gpasswd"} <= programs
    for program in sorted(programs):
        entry = json.dumps({"__REALTIME_TIMESTAMP": "1740909600123456", "_HOSTNAME": "web-1",
                            "SYSLOG_IDENTIFIER": program, "_COMM": "logger", "_PID": "7", "MESSAGE": "x"})
        doc = ingest.run(_docs([entry])[0])
        assert "logward_forged_identifier" in doc.get("tags", []), program
        assert doc["process"]["name"] == "logger", program


def test_a_year_past_four_digits_is_an_event_of_its_time_not_of_1970():
    """The date processor dates "9999-12-31T23:59:59-00:01" in the year 10000, as Java
    does; the rules count it then."""
    from logward.engine import Engine

    engine = Engine.load()
    line = "9999-12-31T23:59:59-00:01 web-1 sshd[1]: Failed password for root from 1.2.3.4 port 22 ssh2"
    doc, alerts = engine.process(line, "2025-01-01T00:00:00.000Z")
    assert doc["@timestamp"] == "+10000-01-01T00:00:59.000Z"
    assert [a.time for a in alerts] == [253402300859.0]
