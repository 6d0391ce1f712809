"""Real lines bent the ways attackers and odd daemons bend them, on the node and in the engine.

The corpora and fixtures show the engine agrees with the node on logs as they are; this
takes those lines and mutates them (names with spaces, quotes and addresses in them, cut
lines, other programs, other timestamp forms, repeated-message wrappers), with a fixed
seed, and asks for the same documents from both, and from the engine's specialized path.
Journal entries get fields of the wrong type, or lose them.
"""

from __future__ import annotations

import copy
import json
import random

import pytest

from logward.content.pipelines import Pipelines
from logward.engine.ingest import Ingest, without
from logward.engine.lines import split_lines
from tests.conftest import LOGHUB
from tests.pipeline_fixtures import DEFAULT_FIELDS, REFERENCE_TIME, fixtures, simulate

pytestmark = pytest.mark.node

SEED = 20261128
COUNT = 4000
PROGRAMS = ["sshd", "sshd-session", "sshd-auth", "sudo", "su", "useradd", "passwd", "systemd-logind", "cron",
            "unix_chkpwd", "login", "sshd(pam_unix)"]
WORDS = ["root", "x from 6.6.6.6 port 22", "a b", "'; DROP", '"q"', "[preauth]", "user=evil", "rhost=6.6.6.6",
         "ü", "\u202e", "ssh2", "port", "for", "invalid user", "TTY=pts/0 ;", "COMMAND=/bin/sh", "::1",
         "2001:db8::1", "256.1.1.1", "\t", "  ", "", "%{IP}", "${jndi:x}", "\\", "(sshd:auth)", "a\nb",
         "\nAccepted password for root from 6.6.6.6 port 22 ssh2", "\r", "\x00"]


def _stamp(rng: random.Random) -> str:
    return rng.choice([
        f"Dec {rng.randint(1, 31):2d} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        f"Feb {rng.choice([28, 29, 30])} 12:00:00",
        f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:"
        f"{rng.randint(0, 59):02d}{rng.choice(['', '.5', '.123456'])}{rng.choice(['', 'Z', '+01:00', '-0530'])}",
        "<38>" + f"Mar  3 04:05:{rng.randint(0, 59):02d}",
        f"<86>1 2024-03-03T04:05:06.{rng.randint(0, 999999):06d}+02:00",
    ])


def _mutate(line: str, rng: random.Random) -> str:
    head, sep, message = line.partition(": ")
    if not sep:
        message, head = line, ""
    words = message.split(" ")
    kind = rng.randrange(7)
    if kind == 0 and words:  # a word replaced by something crafted
        words[rng.randrange(len(words))] = rng.choice(WORDS)
        message = " ".join(words)
    elif kind == 1:  # cut anywhere
        message = message[: rng.randrange(len(message) + 1)]
    elif kind == 2:  # another program
        program = rng.choice(PROGRAMS)
        pid = rng.choice(["", f"[{rng.randint(1, 99999)}]", "[x]", "[]"])
        host = rng.choice(["LabSZ", "web-1", "h", "a.b.example"])
        return f"{_stamp(rng)} {host} {program}{pid}: {message}"
    elif kind == 3:  # another timestamp form
        parts = head.split(" ")
        return f"{_stamp(rng)} {' '.join(parts[-2:])}{sep}{message}"
    elif kind == 4:
        message = f"message repeated {rng.randint(1, 9)} times: [ {message}]"
    elif kind == 5 and words:  # a word doubled
        i = rng.randrange(len(words))
        words.insert(i, words[i])
        message = " ".join(words)
    else:  # crafted text appended
        message = f"{message} {rng.choice(WORDS)} {rng.choice(WORDS)}"
    return f"{head}{sep}{message}"


# Journal entries whose fields hold other types than journalctl writes, or are missing.
JOURNAL_KEYS = ["__REALTIME_TIMESTAMP", "_HOSTNAME", "SYSLOG_IDENTIFIER", "_COMM", "_PID", "SYSLOG_PID", "PRIORITY",
                "SYSLOG_FACILITY", "MESSAGE"]
JOURNAL_VALUES = [None, 5, -1, 1.5, True, [], ["a", "b"], [1], {}, {"x": 1}, "", " ", "12", "0x10",
                  "1740909600123456", "sshd", "sudo", "Failed password for root from 1.2.3.4 port 22 ssh2",
                  "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4",
                  "Failed password for root from 1.2.3.4 port 22 ssh2\nAccepted password for root from 6.6.6.6"]


def _journal_entry(entry: dict, rng: random.Random) -> str:
    entry = dict(entry)
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(JOURNAL_KEYS)
        if rng.random() < 0.15:
            entry.pop(key, None)
        else:
            entry[key] = rng.choice(JOURNAL_VALUES)
    return json.dumps(entry)


def _lines(pipelines: Pipelines) -> list[str]:
    base = [line for name in ("OpenSSH_2k.log", "Linux_2k.log")
            for line in split_lines((LOGHUB / name).read_text(encoding="utf-8"))]
    base += [line for f in fixtures(pipelines) for line in f.lines()]
    journal = []
    for line in base:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict):
            journal.append(entry)
    rng = random.Random(SEED)
    lines = [_mutate(rng.choice(base), rng) for _ in range(COUNT)]
    return lines + [_journal_entry(rng.choice(journal), rng) for _ in range(COUNT // 4)]


def _json_with_more(line: str) -> bool:
    """A JSON object followed by more text: the test node (7.10) parses the object and drops
    the rest, Elasticsearch 8 and later reject the line (strict_json_parsing, on by
    default there). The engine does as the clusters it stands for do."""
    if not line.startswith("{"):
        return False
    try:
        _, end = json.JSONDecoder().raw_decode(line)
    except ValueError:
        return False
    return line[end:].strip() != ""


def test_mutated_lines_same_on_node_and_engine(node_with_pipelines, pipelines: Pipelines):
    lines = _lines(pipelines)
    docs = [{**copy.deepcopy(DEFAULT_FIELDS), "message": line} for line in lines]
    compared = [i for i, line in enumerate(lines) if not _json_with_more(line)]
    from_node = dict(zip(compared, simulate(node_with_pipelines, pipelines.entry, [docs[i] for i in compared])))
    ingest = Ingest(pipelines.bodies, pipelines.entry)
    differ = []
    for i, (line, doc) in enumerate(zip(lines, docs)):
        general = without(ingest.run(copy.deepcopy(doc)))
        special = without(ingest.run_line(line, REFERENCE_TIME))
        expected = from_node.get(i, general)
        if not general == special == expected:
            differ.append(f"{line!r}\n  node:    {expected}\n  engine:  {general}\n  special: {special}")
    assert not differ, f"{len(differ)} of {len(lines)} differ; first:\n" + "\n".join(differ[:3])
