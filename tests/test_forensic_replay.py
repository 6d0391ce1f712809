"""Replaying a mixed auth.log answers the investigation's first questions in its output:
which sources brute-forced which host, whether a login then succeeded, and what that user
did with su and sudo afterwards (first-time alerts included)."""

from __future__ import annotations

import io
import sys

from logward.cli import main
from tests.conftest import ROOT


def _replay(monkeypatch) -> str:
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    assert main(["replay", "--reference-time", "2025-01-01T00:00:00Z", str(ROOT / "demo" / "attack-auth.log")]) == 0
    sys.stdout.flush()
    return buffer.getvalue().decode()


def test_summary_tells_who_got_in_and_what_they_did(monkeypatch):
    text = _replay(monkeypatch)
    summary = text[text.index("== Summary"):].splitlines()
    scanner = next(i for i, line in enumerate(summary) if line.startswith("bastion: 203.0.113.77"))
    assert "failed 10 logins (admin, oracle, test" in summary[scanner] and "100110" in summary[scanner]
    assert summary[scanner + 1].strip() == "no login from it succeeded"
    guesser = next(i for i, line in enumerate(summary) if line.startswith("bastion: 203.0.113.50"))
    assert "failed 17 logins (root, deploy)" in summary[guesser] and "100111" in summary[guesser]
    login = summary[guesser + 1]
    assert "then logged in as deploy (password) at 2024-11-14 10:02:50" in login
    assert "100112" in login and "100902" in login and "100120" in login  # incl. first login
    after = "\n".join(summary[guesser + 2:guesser + 9])
    assert "deploy: failed su to root [rules 100303, 100304]" in after
    assert "deploy: sudo as root: /bin/bash [rules 100201, 100203]" in after  # 100203: first sudo
    assert "deploy: created user support (as root) [rules 100501]" in after
    assert "deploy: added support to group sudo (as root) [rules 100503]" in after
    # alice's own sudo, on the same host, is not mixed into deploy's story.
    assert "apt-get" not in after


def test_every_alert_is_printed_before_the_summary(monkeypatch):
    text = _replay(monkeypatch)
    alerts = text[: text.index("== Summary")]
    for rule in (100110, 100111, 100112, 100201, 100203, 100304, 100501, 100503, 100104):
        assert f"Rule: {rule} (level" in alerts, rule
