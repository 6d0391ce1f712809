"""Correlation state stays small over long replays, and forgetting old keys changes no alert."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

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
        largest = max(largest, *(len(getattr(s, "windows", getattr(s, "runs", {}))) for s in states))
    # What is kept is the keys of the last window and SKEW (one a second here), at most
    # twice over between sweeps: not every key the replay saw.
    longest = max(getattr(state.rule, "timeframe", None) or state.rule.within for state in states)
    assert largest <= 2 * (detector.SKEW + longest + 1) < 20_000


@pytest.mark.parametrize("same_second", [False, True])
def test_a_sequence_alert_counts_the_events_of_its_own_window(same_second: bool):
    """Twenty failures, then a success: the alert stands for the last eight failures and the
    success, between the first of those eight and the success, not every failure in 240 s
    (nor every one logged in the same second as the first of them)."""
    lines = [f"Mar  2 10:00:{12 if same_second else i:02d} bastion sshd[1]: Failed password for root from "
             f"203.0.113.9 port {i} ssh2" for i in range(20)]
    lines.append("Mar  2 10:00:30 bastion sshd[2]: Accepted password for root from 203.0.113.9 port 99 ssh2")
    engine = Engine.load(ROOT)
    alerts = [a for line in lines for a in engine.process(line, CREATED)[1] if a.rule.id == 100112]
    assert len(alerts) == 1
    correlation = alerts[0].correlation
    assert correlation["count"] == 9
    assert alerts[0].time - correlation["first"] == 30 - 12  # from the 13th failure (10:00:12) on


@pytest.mark.parametrize("stamp", [
    "2024-12-10T06:55:46.000Z", "2024-12-10T06:55:46.250Z", "2024-02-29T23:59:59.999Z", "1969-12-31T23:59:59.001Z",
    "2024-12-10T06:55:46Z", "2024-12-10T06:55:46.000+02:00", "2024-12-10T06:55:46.123456Z",
])
def test_event_time_reads_the_timestamp_as_iso_8601_does(stamp: str):
    expected = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
    for _ in range(2):  # and again, from what it remembered
        assert detector.event_time({"@timestamp": stamp}) == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize("stamp", ["2024-12-10T06:5x:46.000Z", "2024-12-10T 6:55:46.000Z", "2024-13-10T06:55:46.000Z",
                                   None, 1733813746000, "garbage"])
def test_event_time_of_what_is_not_a_timestamp_is_the_epoch(stamp):
    assert detector.event_time({"@timestamp": stamp}) == 0.0


def _fail(clock: str, day: str = "Mar  2", port: int = 4000, source: str = "203.0.113.50") -> str:
    return f"{day} {clock} web1 sshd[10]: Failed password for root from {source} port {port} ssh2"


def _fired(lines: list[str]) -> list[tuple[int, dict]]:
    engine = Engine.load(ROOT)
    return [(a.rule.id, a.correlation) for line in lines for a in engine.process(line, CREATED)[1]
            if a.correlation and a.correlation.get("count", 1) > 1]


ACCEPT_DAY_BEFORE = "Mar  1 10:00:00 web1 sshd[98]: Accepted password for admin from 203.0.113.50 port 39998 ssh2"


def test_a_login_from_before_the_failures_does_not_complete_failures_then_success():
    # `cat auth.log auth.log.1 | logward replay -`: the newer file first.
    failures = [_fail(f"10:00:{5 * i:02d}", port=4000 + i) for i in range(8)]
    assert [rule for rule, _ in _fired([*failures, ACCEPT_DAY_BEFORE])] == [100111]
    # In time order, a day apart, neither is near the other either.
    assert [rule for rule, _ in _fired([ACCEPT_DAY_BEFORE, *failures])] == [100111]


def test_failures_from_further_back_than_the_window_count_afresh():
    newer = [_fail(f"10:00:{5 * i:02d}", port=4000 + i) for i in range(7)]
    older = [_fail(f"10:00:{5 * i:02d}", day="Feb  1", port=5000 + i) for i in range(7)]
    assert _fired(newer + older) == []  # 7 and 7, a month apart: no brute force
    fired = _fired(newer + older + [_fail("10:00:40", day="Feb  1")])
    assert [(rule, c["count"], c["first"]) for rule, c in fired] == [
        (100111, 8, datetime.fromisoformat("2025-02-01T10:00:00+00:00").timestamp())]


def test_lines_a_little_out_of_order_count_in_time_order():
    clocks = ["10:00:10", "10:00:00", "10:00:30", "10:00:20", "10:00:50", "10:00:40", "10:01:05", "10:01:00"]
    fired = _fired([_fail(clock, port=4000 + i) for i, clock in enumerate(clocks)])
    assert [(rule, c["count"], c["first"]) for rule, c in fired] == [
        (100111, 8, datetime.fromisoformat("2025-03-02T10:00:00+00:00").timestamp())]
    # A success between failures in time completes the sequence only with failures before it.
    accept = "Mar  2 10:00:45 web1 sshd[99]: Accepted password for root from 203.0.113.50 port 4100 ssh2"
    early = [_fail(f"10:00:{4 * i:02d}", port=4000 + i) for i in range(7)] + [_fail("10:00:50", port=4200)]
    assert 100112 not in [rule for rule, _ in _fired([*early, accept])]  # 7 failures before it, one after
    assert 100112 in [rule for rule, _ in _fired([*early[:7], _fail("10:00:29"), accept])]


@pytest.mark.parametrize("sweep_from", [detector.SWEEP_FROM, 1])
@pytest.mark.parametrize("behind_first", [False, True])
def test_a_host_whose_clock_is_behind_counts_in_a_lane_of_its_own(monkeypatch, behind_first: bool, sweep_from: int):
    """One source against two hosts, the second's clock ten minutes behind, their lines
    interleaved in one log, eight each: each host's burst fires, as it would with the lines
    sorted, whichever comes first and however often keys are swept."""
    monkeypatch.setattr(detector, "SWEEP_FROM", sweep_from)
    lines = []
    for i in range(8):
        pair = [f"Mar  2 10:00:{5 * i:02d} web1 sshd[10]: Failed password for root from 203.0.113.50 port "
                f"{4000 + i} ssh2",
                f"Mar  2 09:50:{5 * i:02d} web2 sshd[20]: Failed password for root from 203.0.113.50 port "
                f"{5000 + i} ssh2"]
        lines += reversed(pair) if behind_first else pair
    interleaved = [rule for rule, _ in _fired(lines)]
    assert interleaved == [rule for rule, _ in _fired(sorted(lines, key=lambda line: line[7:15]))] == [100111, 100111]


@pytest.mark.parametrize("forged", ["Jan  1 00:00:00", "Mar  2 11:30:00"])
def test_a_line_from_far_back_or_far_ahead_takes_nothing_from_a_burst_in_progress(forged: str):
    stray = f"{forged} web1 sshd[10]: Failed password for root from 203.0.113.50 port 1 ssh2"
    burst = [_fail(f"10:00:{5 * i:02d}", port=4000 + i) for i in range(8)]
    accept = "Mar  2 10:01:00 web1 sshd[99]: Accepted password for root from 203.0.113.50 port 4100 ssh2"
    assert [rule for rule, _ in _fired([*burst[:4], stray, *burst[4:], accept])] == [100111, 100112]


def test_an_event_a_little_out_of_order_joins_the_lane_it_is_nearest():
    rule = SimpleNamespace(same=["k"], timeframe=60, count=3)
    state = detector._Frequency(rule)
    fired = [(t, r["first"]) for t in (0, 100, 30, 50) if (r := state.hit(("a",), t)) is not None]
    assert fired == [(50, 0)]


def test_a_longer_sequence_completes_with_steps_read_out_of_order():
    rule = SimpleNamespace(steps=[SimpleNamespace(count=1)] * 3, same=["k"], within=100)
    events = [(30, (0,)), (50, (1,)), (10, (0,)), (25, (1,)), (40, (2,))]  # A, B, late A, late B, C
    for order in (events, sorted(events)):
        state = detector._Sequence(rule)
        fired = [(t, r["first"]) for t, steps in order if (r := state.hit(("a",), t, steps)) is not None]
        assert fired == [(40, 10)], order


def test_a_sequence_from_further_back_completes_in_its_own_lane_and_leaves_the_newer_one():
    rule = SimpleNamespace(steps=[SimpleNamespace(count=2), SimpleNamespace(count=1)], same=["k"], within=100)
    state = detector._Sequence(rule)
    events = [(1000, (0,)), (1001, (0,)), (10, (0,)), (11, (0,)), (12, (1,)), (1002, (1,)), (3000, (1,))]
    fired = [(t, r["first"]) for t, steps in events if (r := state.hit(("a",), t, steps)) is not None]
    assert fired == [(12, 10), (1002, 1000)]
    assert state.runs == {}
