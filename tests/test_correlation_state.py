"""Correlation state stays small over long replays, and forgetting old keys changes no alert."""

from __future__ import annotations

import pytest

from logward.engine import Engine
from logward.engine.detect import detector
from logward.engine.lines import split_lines
from tests.conftest import LOGHUB, ROOT

CREATED = "2025-06-01T00:00:00.000Z"


def _alerts(engine: Engine, lines: list[str]) -> list[tuple]:
    out = []
    for line in lines:
        _, alerts = engine.process(line, CREATED)
        out += [(a.rule.id, a.sequence, a.time, repr(a.correlation)) for a in alerts]
    return out


def test_sweeping_old_keys_changes_no_alert(monkeypatch: pytest.MonkeyPatch):
    lines = split_lines((LOGHUB / "OpenSSH_2k.log").read_text(encoding="utf-8"))
    lines += split_lines((ROOT / "demo" / "attack-auth.log").read_text(encoding="utf-8"))
    usual = _alerts(Engine.load(ROOT), lines)
    monkeypatch.setattr(detector, "SWEEP_FROM", 1)  # sweep at every new key
    swept = _alerts(Engine.load(ROOT), lines)
    assert swept == usual
    assert any(r[3] != "{}" for r in usual), "the corpus should raise correlation alerts"


def test_keys_past_their_window_are_forgotten():
    engine = Engine.load(ROOT)
    states = [state for _, state in engine.detector.correlations
              if isinstance(state, (detector._Frequency, detector._Sequence))]
    assert states
    largest = 0
    # One failed login a second, each from a new address: 20,000 keys over five and a half hours.
    for n in range(20_000):
        clock = f"{n // 3600:02d}:{n // 60 % 60:02d}:{n % 60:02d}"
        address = f"10.{n // 65536}.{n // 256 % 256}.{n % 256}"
        engine.process(f"Dec 10 {clock} bastion sshd[7]: Failed password for root from {address} port 22 ssh2",
                       CREATED)
        largest = max(largest, *(len(getattr(s, "windows", getattr(s, "starts", {}))) for s in states))
    assert largest <= detector.SWEEP_FROM < 20_000
