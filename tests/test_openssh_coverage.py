"""Every message form of loghub's OpenSSH_2k.log (its 27 event templates) gets a specific
event.action, the same one for every line of the form, with no parse-problem tag.

Corpus: loghub, Zhu et al., "Loghub: A Large Collection of System Log Datasets for
AI-driven Log Analytics", ISSRE 2023 (../shared/corpora/loghub)."""

from __future__ import annotations

import csv
from collections import defaultdict

from logward.engine.ingest import Ingest
from tests.conftest import LOGHUB
from tests.pipeline_fixtures import DEFAULT_FIELDS

# The action each template gets; README.md's table says the same.
EXPECTED = {
    "E1": "ssh_login", "E2": "ssh_connection_closed", "E3": "ssh_no_identification",
    "E4": "ssh_too_many_auth_failures", "E5": "ssh_too_many_auth_failures", "E6": "ssh_disconnect_received",
    "E7": "ssh_disconnect_received", "E8": "ssh_login", "E9": "ssh_login", "E10": "ssh_login",
    "E11": "ssh_write_failed", "E12": "ssh_invalid_user_request", "E13": "ssh_invalid_user", "E14": "ssh_login",
    "E15": "ssh_pam_more_failures", "E16": "ssh_pam_more_failures", "E17": "ssh_pam_more_failures",
    "E18": "ssh_pam_max_retries_ignored", "E19": "pam_auth_failure", "E20": "pam_auth_failure",
    "E21": "pam_user_unknown", "E22": "pam_session_closed", "E23": "pam_session_opened",
    "E24": "ssh_disconnect_received", "E25": "ssh_disconnect_received", "E26": "ssh_disconnect_received",
    "E27": "ssh_reverse_mapping_failed",
}


def test_every_openssh_template_gets_its_action(ingest: Ingest):
    templates = list(csv.DictReader((LOGHUB / "OpenSSH_2k.log_templates.csv").open()))
    assert len(templates) == 27 and {t["EventId"] for t in templates} == set(EXPECTED)
    seen: dict[str, set[str | None]] = defaultdict(set)
    for row in csv.DictReader((LOGHUB / "OpenSSH_2k.log_structured.csv").open()):
        line = f"{row['Date']} {row['Day']} {row['Time']} {row['Component']} sshd[{row['Pid']}]: {row['Content']}"
        doc = ingest.run({**DEFAULT_FIELDS, "message": line, "event": dict(DEFAULT_FIELDS["event"])})
        assert not doc.get("tags"), f"{row['EventId']}: {line!r} tagged {doc.get('tags')}"
        seen[row["EventId"]].add(doc["event"].get("action"))
    assert set(seen) == set(EXPECTED)
    for event_id, actions in sorted(seen.items()):
        assert actions == {EXPECTED[event_id]}, f"{event_id}: {actions}"


def test_login_results_carry_elastic_system_auth_fields(ingest: Ingest):
    doc = ingest.run({"message": "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from "
                                 "119.137.62.142 port 49116 ssh2", "event": dict(DEFAULT_FIELDS["event"])})
    assert doc["system"]["auth"]["ssh"] == {"event": "Accepted", "method": "password"}
    assert doc["event"]["category"] == ["authentication", "session"] and doc["event"]["outcome"] == "success"
    assert doc["related"] == {"user": ["fztu"], "ip": ["119.137.62.142"], "hosts": ["LabSZ"]}
