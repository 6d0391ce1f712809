"""Replaying a mixed auth.log answers the investigation's first questions in its output:
which sources brute-forced which host, whether a login then succeeded, and what that user
did with su and sudo afterwards (first-time alerts included)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from logward.cli import main
from logward.report.story import STEPS_SHOWN
from tests.conftest import LOGHUB, ROOT


def _replay(monkeypatch, *logs: Path | str) -> str:
    """The text output of replaying the logs (the demo's by default; "-" is stdin)."""
    buffer = io.BytesIO()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(buffer))
    files = [str(log) for log in logs] or [str(ROOT / "demo" / "attack-auth.log")]
    assert main(["replay", "--reference-time", "2025-01-01T00:00:00Z", *files]) == 0
    sys.stdout.flush()
    return buffer.getvalue().decode()


def test_summary_tells_who_got_in_and_what_they_did(monkeypatch):
    text = _replay(monkeypatch)
    summary = text[text.index("== Summary"):].splitlines()
    scanner = next(i for i, line in enumerate(summary) if line.startswith("bastion: 203.0.113.77"))
    assert "failed 10 logins (admin, oracle, test" in summary[scanner] and "100110" in summary[scanner]
    assert summary[scanner + 1].strip() == "no login from it succeeded"
    guesser = next(i for i, line in enumerate(summary) if line.startswith("bastion: 203.0.113.50"))
    assert "failed 16 logins (root, deploy)" in summary[guesser] and "100111" in summary[guesser]
    # Among its failures, a key root accepts (refused only by PermitRootLogin).
    assert summary[guesser + 1].strip() == ("2024-11-14 10:01:53  used a credential root accepts (a key, most "
                                            "likely): sshd refused it only because root may not log in "
                                            "[rules 100107]")
    login = summary[guesser + 2]
    assert "then logged in as deploy (password) at 2024-11-14 10:02:50" in login
    assert "100112" in login and "100902" in login and "100120" in login  # incl. first login
    after = "\n".join(summary[guesser + 3:guesser + 11])
    assert "deploy: failed su to root [rules 100304]" in after
    assert "deploy: sudo as root: /bin/bash [rules 100201, 100203]" in after  # 100203: first sudo
    assert "deploy: created user support (as root) [rules 100501]" in after
    assert "deploy: added support to group sudo (as root) [rules 100503]" in after
    assert "deploy: created user toor (as root) [rules 100507]" in after  # a second root
    # alice's own sudo, on the same host, is not mixed into deploy's story.
    assert "apt-get" not in after
    # www-data's login, told by sshd and a second later by PAM's session line: one login.
    assert [line.strip() for line in summary if "logged in as www-data" in line] == [
        "then logged in as www-data (publickey) at 2024-11-14 10:05:00 [rules 100104, 100120, 100408]"]


def test_every_alert_is_printed_before_the_summary(monkeypatch):
    text = _replay(monkeypatch)
    alerts = text[: text.index("== Summary")]
    for rule in (100110, 100111, 100112, 100201, 100203, 100304, 100501, 100503, 100104):
        assert f"Rule: {rule} (level" in alerts, rule


# 203.0.113.50 guesses deploy's password and gets in; deploy then opens a root shell.
_BREAK_IN = [f"Nov 14 10:02:{i:02d} bastion sshd[{4200 + i}]: Failed password for deploy from 203.0.113.50 "
             f"port {40100 + i} ssh2" for i in range(8)] + """\
Nov 14 10:02:50 bastion sshd[4303]: Accepted password for deploy from 203.0.113.50 port 40200 ssh2
Nov 14 10:03:50 bastion sudo:   deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash
Nov 14 10:03:50 bastion sudo[4410]: pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1002)
""".splitlines()
_ACCOUNT_CHANGES = """\
Nov 14 10:04:20 bastion useradd[4420]: new user: name=support, UID=1010, GID=1010, home=/home/support, \
shell=/bin/bash, from=/dev/pts/1
Nov 14 10:04:35 bastion usermod[4430]: add 'support' to group 'sudo'
Nov 14 10:04:50 bastion passwd[4440]: pam_unix(passwd:chauthtok): password changed for support
""".splitlines()


def _opened(time: str, process: str, by: str) -> str:
    """A PAM line for a root session opened by sudo or su."""
    service = process.split("[")[0]
    return f"Nov 14 {time} bastion {process}: pam_unix({service}:session): session opened for user root(uid=0) by {by}"


def _deploy_story(monkeypatch, tmp_path: Path, lines: list[str]) -> str:
    """The steps printed under deploy's login from 203.0.113.50."""
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    text = _replay(monkeypatch, log)
    story = text[text.index("then logged in as deploy"):]
    assert "203.0.113.50" in text[text.index("== Summary"):]
    return story


def test_account_changes_in_overlapping_root_sessions_stay_in_every_holders_story(monkeypatch, tmp_path):
    """alice opens a root session after the attacker's: the changes could be either's, so
    the attacker's story keeps them, marked as ambiguous, instead of losing them to alice."""
    alice = _opened("10:04:00", "sudo[4450]", "alice(uid=1001)")
    story = _deploy_story(monkeypatch, tmp_path, [*_BREAK_IN, alice, *_ACCOUNT_CHANGES])
    ambiguous = "(as root, ambiguous: root session of deploy or alice)"
    assert f"deploy: created user support {ambiguous} [rules 100501]" in story
    assert f"deploy: added support to group sudo {ambiguous} [rules 100503]" in story
    assert f"deploy: changed the password of support {ambiguous} [rules 100405]" in story


def test_a_closed_root_session_is_told_by_its_pid(monkeypatch, tmp_path):
    """alice's sudo session (pid 4450) opens before the attacker's root shell (pid 4410) and
    ends while it stays open: the close line names only root, its pid says whose ended."""
    alice_opens = _opened("10:03:00", "sudo[4450]", "alice(uid=1001)")
    alice_closes = "Nov 14 10:04:00 bastion sudo[4450]: pam_unix(sudo:session): session closed for user root"
    lines = [*_BREAK_IN[:-2], alice_opens, *_BREAK_IN[-2:], alice_closes, *_ACCOUNT_CHANGES]
    story = _deploy_story(monkeypatch, tmp_path, lines)
    assert "deploy: created user support (as root) [rules 100501]" in story
    assert "deploy: added support to group sudo (as root) [rules 100503]" in story
    assert "ambiguous" not in story


def test_two_root_sessions_of_one_user_are_not_ambiguous(monkeypatch, tmp_path):
    second = _opened("10:04:00", "su[4460]", "deploy(uid=1002)")
    story = _deploy_story(monkeypatch, tmp_path, [*_BREAK_IN, second, *_ACCOUNT_CHANGES])
    assert "deploy: created user support (as root) [rules 100501]" in story
    assert "ambiguous" not in story


def test_a_close_line_never_seen_opening_closes_nothing(monkeypatch, tmp_path):
    """deploy's root session was opened on a line without a pid; a close line with a pid no
    opening line had belongs to a session from before the log: deploy's stays open."""
    opened_without_pid = _BREAK_IN[-1].replace("sudo[4410]:", "sudo:")
    earlier_closes = "Nov 14 10:04:00 bastion sudo[999]: pam_unix(sudo:session): session closed for user root"
    story = _deploy_story(monkeypatch, tmp_path, [*_BREAK_IN[:-1], opened_without_pid, earlier_closes,
                                                  *_ACCOUNT_CHANGES])
    assert "deploy: created user support (as root) [rules 100501]" in story


def test_sources_pam_names_are_in_the_summary_with_their_failures(monkeypatch):
    """loghub's Linux_2k.log has PAM's lines only, often naming the source by host name: those
    sources are in the summary, with the failures PAM counted (never "failed 0 logins")."""
    text = _replay(monkeypatch, LOGHUB / "Linux_2k.log")
    summary = text[text.index("== Summary"):]
    assert "combo: 220-135-151-1.hinet-ip.hinet.net failed 10 logins (root)" in summary
    assert "failed 0 logins" not in summary and "1970-01-01" not in summary


def test_files_given_newest_first_still_give_the_span_of_the_failures(monkeypatch, tmp_path: Path):
    """auth.log before auth.log.1: the summary spans the earliest to the latest failure."""
    lines = (ROOT / "demo" / "attack-auth.log").read_text().splitlines(keepends=True)
    older, newer = tmp_path / "auth.log.1", tmp_path / "auth.log"
    older.write_text("".join(lines[:57]))
    newer.write_text("".join(lines[57:]))
    summary = _replay(monkeypatch, newer, older).split("== Summary")[1]
    assert ("bastion: 203.0.113.50 failed 16 logins (root, deploy) between 2024-11-14 10:01:20 and "
            "2024-11-14 10:02:29") in summary, summary


def test_a_source_known_only_by_a_refused_root_key_is_told_plainly(monkeypatch, tmp_path: Path):
    log = tmp_path / "auth.log"
    log.write_text("Nov 14 10:00:00 bastion sshd[1]: Failed password for root from 203.0.113.9 port 4444 ssh2\n"
                   "Nov 14 10:00:05 bastion sshd[2]: ROOT LOGIN REFUSED FROM 203.0.113.9 port 4445\n")
    summary = _replay(monkeypatch, log).split("== Summary")[1].splitlines()
    assert summary[1] == ("bastion: 203.0.113.9 failed 1 login (root) between 2024-11-14 10:00:00 and "
                          "2024-11-14 10:00:00")
    assert "used a credential root accepts" in summary[2] and summary[3].strip() == "no login from it succeeded"


def _guess(host: str, source: str, user: str, start: int, count: int = 8, step: int = 5) -> list[str]:
    return [f"Mar  4 08:{(start + i * step) // 60:02d}:{(start + i * step) % 60:02d} {host} sshd[{7100 + start + i}]: "
            f"Failed password for {user} from {source} port {41000 + i} ssh2" for i in range(count)]


def _summary(monkeypatch, tmp_path: Path, lines: list[str]) -> list[str]:
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    return _replay(monkeypatch, log).split("== Summary")[1].split("logward replay")[0].splitlines()


def test_a_login_is_told_only_what_happened_while_its_session_was_open(monkeypatch, tmp_path: Path):
    """The attacker's session closes at 08:11; alice's own sudo at 08:30 is not the attacker's."""
    lines = [*_guess("web-1", "203.0.113.50", "alice", 0),
             "Mar  4 08:00:40 web-1 sshd[7108]: Accepted password for alice from 203.0.113.50 port 41008 ssh2",
             "Mar  4 08:00:50 web-1 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
             "Mar  4 08:01:00 web-1 sshd[7108]: pam_unix(sshd:session): session closed for user alice",
             "Mar  4 08:30:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/true"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: sudo as root: /usr/bin/id" in summary and "/bin/true" not in summary


def test_a_step_while_two_logins_of_the_user_are_open_is_marked_for_both(monkeypatch, tmp_path: Path):
    lines = ["Mar  4 07:59:00 web-1 sshd[7000]: Accepted publickey for alice from 198.51.100.20 port 50000 ssh2",
             *_guess("web-1", "203.0.113.50", "alice", 0),
             "Mar  4 08:00:40 web-1 sshd[7108]: Accepted password for alice from 203.0.113.50 port 41008 ssh2",
             "Mar  4 08:00:50 web-1 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: sudo as root: /usr/bin/id (ambiguous: another session of alice was open too)" in summary


def test_a_slow_guess_that_got_in_is_in_the_summary_and_repeats_count(monkeypatch, tmp_path: Path):
    """Eight failures 20 s apart (no frequency rule), one of them repeated three times by
    rsyslog, then a success: 100112 names the source, which failed 10 logins."""
    lines = [*_guess("web-1", "203.0.113.91", "oracle", 0, step=20),
             "Mar  4 08:02:21 web-1 sshd[7107]: message repeated 3 times: [ Failed password for oracle from "
             "203.0.113.91 port 41007 ssh2]",
             "Mar  4 08:02:40 web-1 sshd[7200]: Accepted password for oracle from 203.0.113.91 port 41100 ssh2"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("web-1: 203.0.113.91 failed 11 logins (oracle) between 2024-03-04 08:00:00 "), summary
    assert "100112" in summary[1] and "then logged in as oracle (password)" in summary[2]


def test_account_changes_in_a_direct_root_login_are_roots_not_the_accounts(monkeypatch, tmp_path: Path):
    lines = [*_guess("web-2", "203.0.113.10", "root", 0),
             "Mar  4 08:00:40 web-2 sshd[6008]: Accepted password for root from 203.0.113.10 port 40008 ssh2",
             "Mar  4 08:01:00 web-2 useradd[6100]: new user: name=sysupd, UID=1077, GID=1077, home=/home/sysupd, "
             "shell=/bin/bash, from=/dev/pts/1"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "root: created user sysupd [rules 100501]" in summary and "sysupd did" not in summary


def test_a_guess_spread_over_two_hosts_is_told_for_both(monkeypatch, tmp_path: Path):
    lines = [line.replace("web-1", "web-2") if i % 2 else line
             for i, line in enumerate(_guess("web-1", "203.0.113.80", "deploy", 0, count=10))]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert [line.split(" failed")[0] for line in summary if " failed " in line] == [
        "web-1: 203.0.113.80", "web-2: 203.0.113.80"], summary
    assert all("100111" in line for line in summary if " failed " in line)


def test_rotated_files_are_read_oldest_first(monkeypatch, tmp_path: Path):
    """`auth.log*` lists auth.log before auth.log.1: read the other way, a guess that spans
    the rotation would look like time running backwards."""
    import os

    from logward.cli.logfiles import in_time_order

    older, newer = tmp_path / "auth.log.1", tmp_path / "auth.log"
    older.write_text("\n".join(_guess("web-1", "203.0.113.90", "admin", 0, count=6)) + "\n")
    newer.write_text("\n".join([*_guess("web-1", "203.0.113.90", "admin", 30, count=3),
                                "Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 "
                                "port 42000 ssh2"]) + "\n")
    os.utime(older, (1_700_000_000, 1_700_000_000))
    os.utime(newer, (1_700_000_600, 1_700_000_600))
    assert in_time_order([str(newer), "-", str(older)]) == [str(older), "-", str(newer)]
    summary = _replay(monkeypatch, newer).split("== Summary")[1]  # alone: too few failures
    assert "100112" not in summary
    assert "Rule: 100112" in _replay(monkeypatch, newer, older)


def test_the_files_of_several_hosts_are_read_as_one_log_in_time_order(monkeypatch, tmp_path: Path):
    """Guessing on web-2, then a login with the guessed password on web-1: named in either
    order, read file after file, the login comes before the failures and the sequence is lost."""
    import os

    web1, web2 = tmp_path / "web-1.log", tmp_path / "web-2.log"
    web1.write_text("Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2\n"
                    "Mar  4 08:30:00 web-1 sshd[7400]: Accepted password for admin from 192.0.2.1 port 42001 ssh2\n")
    web2.write_text("\n".join(_guess("web-2", "203.0.113.90", "admin", 0, count=8)) + "\n")
    os.utime(web1, (1_700_000_000, 1_700_000_000))  # web-1's file is the older one
    os.utime(web2, (1_700_000_600, 1_700_000_600))
    for files in ([web1, web2], [web2, web1]):
        text = _replay(monkeypatch, *files).split("== Summary")[0]
        alerts = [block.splitlines() for block in text.split("** Alert")[1:]]
        times = [block[1].split(" web-")[0] for block in alerts]
        assert times == sorted(times), times  # in time order across the files
        assert any("Rule: 100112" in line for block in alerts for line in block)
        # web-1's second login, long after web-2's failures, comes last.
        assert alerts[-1][1].startswith("2024 Mar 04 08:30:00 web-1->"), alerts[-1]


@pytest.mark.parametrize("stdin", [False, True])
def test_a_line_without_a_time_of_its_own_holds_back_nothing_in_the_merge(monkeypatch, tmp_path: Path, stdin: bool):
    """A line whose header does not parse gets the time it was shipped (or, on stdin, read)
    as @timestamp; taken as its place in the merge, it would hold the rest of its file back
    behind the other files."""
    web1, web2 = tmp_path / "web-1.log", tmp_path / "web-2.log"
    web1.write_text("Mar  4 07:59:00 web-1 x(y: hello\n"
                    + "\n".join(_guess("web-1", "203.0.113.90", "admin", 0, count=8)) + "\n")
    web2.write_text("Mar  4 08:01:00 web-2 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2\n")
    if stdin:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(web1.read_bytes())))
    assert "Rule: 100112" in _replay(monkeypatch, "-" if stdin else web1, web2)


@pytest.mark.parametrize("ahead", [
    ["Mar  4 23:30:00 web-1 sshd[7001]: Connection closed by 198.51.100.7 port 50000 [preauth]"],
    ["Mar  4 07:59:59 web-1 sshd[7000]: Connection closed by 198.51.100.7 port 50000 [preauth]",
     *(f"Mar  4 23:30:{i:02d} web-1 sshd[{7001 + i}]: Connection closed by 198.51.100.7 port 50000 [preauth]"
       for i in range(12))],
    ["Mar  4 07:59:59 web-1 sshd[7000]: Connection closed by 198.51.100.7 port 50000 [preauth]",
     "Mar  4 08:00:50 web-1 sshd[7001]: Connection closed by 198.51.100.7 port 50001 [preauth]"],
])
def test_lines_dated_far_ahead_hold_back_nothing_in_the_merge(monkeypatch, tmp_path: Path, ahead: list[str]):
    """A clock that jumped, or lines forged with a later date: merged at their own time, they
    would hold the rest of web-1's log back behind web-2's, and the login on web-2 would come
    before the guessing that led to it."""
    web1, web2 = tmp_path / "web-1.log", tmp_path / "web-2.log"
    web1.write_text("\n".join([*ahead, *_guess("web-1", "203.0.113.90", "admin", 0, count=8)]) + "\n")
    web2.write_text("Mar  4 08:00:45 web-2 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2\n")
    assert "Rule: 100112" in _replay(monkeypatch, web1, web2)


@pytest.mark.parametrize("web1", [
    ["Mar  4 08:00:00 web-1 sshd[7000]: Connection closed by 198.51.100.7 port 50000",
     "Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2",
     "Mar  4 07:00:00 web-1 sshd[7301]: Connection closed by 198.51.100.7 port 50001"],
    ["Mar  4 07:00:00 web-1 sshd[7000]: Connection closed by 198.51.100.7 port 50000",
     "Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2",
     "Mar  4 07:30:00 web-1 sshd[7301]: Connection closed by 198.51.100.7 port 50001"],
    ["Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2",
     "Mar  4 07:00:00 web-1 sshd[7301]: Connection closed by 198.51.100.7 port 50001"],
])
def test_a_line_dated_behind_draws_no_line_before_it_forward_in_the_merge(monkeypatch, tmp_path: Path,
                                                                           web1: list[str]):
    """A line dated back (forged, or a host whose clock is behind), just after web-1's login:
    taken as the login's time, it would put the login before the guessing on web-2 that led
    to it."""
    log1, log2 = tmp_path / "web-1.log", tmp_path / "web-2.log"
    log1.write_text("\n".join(web1) + "\n")
    log2.write_text("\n".join(_guess("web-2", "203.0.113.90", "admin", 10, count=8)) + "\n")
    assert "Rule: 100112" in _replay(monkeypatch, log1, log2)


def test_a_central_log_of_hosts_with_clocks_apart_is_read_in_each_lines_time(monkeypatch, tmp_path: Path):
    """A loghost's file: web-1 on time, web-3 twenty minutes slow. web-1's login at 08:01
    comes after the guessing on web-2 at 08:00, whatever web-3's lines around it say."""
    central, web2 = tmp_path / "central.log", tmp_path / "web-2.log"
    lines = []
    for i in range(10):
        lines.append(f"Mar  4 07:5{i}:00 web-1 sshd[{7000 + i}]: Connection closed by 198.51.100.7 port {50000 + i}")
        lines.append(f"Mar  4 07:3{i}:30 web-3 sshd[{8000 + i}]: Connection closed by 198.51.100.8 port {50000 + i}")
    lines.append("Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2")
    lines += [f"Mar  4 07:4{i}:30 web-3 sshd[{8100 + i}]: Connection closed by 198.51.100.8 port {51000 + i}"
              for i in range(10)]
    central.write_text("\n".join(lines) + "\n")
    web2.write_text("\n".join(_guess("web-2", "203.0.113.90", "admin", 0, count=8)) + "\n")
    assert "Rule: 100112" in _replay(monkeypatch, central, web2)


def test_a_later_step_written_before_its_earlier_steps_is_matched(monkeypatch, tmp_path: Path):
    """Two failures written after the login they led to (a relay that flushed late): in time
    order, as Kibana reads them, eight failures came first."""
    guesses = _guess("web-1", "203.0.113.90", "admin", 0, count=8)
    login = "Mar  4 08:00:40 web-1 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2"
    assert "Rule: 100112" in _replay(monkeypatch, _write(tmp_path, [*guesses[:6], login, *guesses[6:]]))


def _write(tmp_path: Path, lines: list[str]) -> Path:
    log = tmp_path / "auth.log"
    log.write_text("\n".join(lines) + "\n")
    return log


def test_a_quiet_host_that_logs_again_later_keeps_its_place_in_the_merge(monkeypatch, tmp_path: Path):
    """A gap in a log is not a clock jump: the lines after it are late too, and wait for the
    other files to get there."""
    web1, web2 = tmp_path / "web-1.log", tmp_path / "web-2.log"
    web1.write_text("\n".join(["Mar  4 06:00:00 web-1 sshd[7000]: Connection closed by 198.51.100.7 port 50000",
                               *_guess("web-1", "203.0.113.90", "admin", 0, count=8)]) + "\n")
    web2.write_text("Mar  4 07:00:00 web-2 sshd[7300]: Accepted password for admin from 203.0.113.90 port 42000 ssh2\n")
    text = _replay(monkeypatch, web1, web2).split("== Summary")[0]
    times = [block.splitlines()[1].split(" web-")[0] for block in text.split("** Alert")[1:]]
    assert times == sorted(times), times
    assert "Rule: 100112" not in text  # the login came an hour before the guessing


def test_a_reboot_ends_every_session_the_log_never_closed(monkeypatch, tmp_path: Path):
    """alice's root shell, whose close the log never showed, does not outlive the reboot:
    the UID 0 account made days later is bob's alone, not "ambiguous: alice or bob"."""
    lines = ["Sep  1 09:00:00 quiet sshd[812]: Accepted publickey for alice from 198.51.100.20 port 50022 ssh2",
             "Sep  1 09:00:00 quiet sshd[812]: pam_unix(sshd:session): session opened for user alice(uid=1000) by "
             "(uid=0)",
             "Sep  1 09:05:00 quiet sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
             "Sep  1 09:05:00 quiet sudo: pam_unix(sudo:session): session opened for user root(uid=0) by "
             "alice(uid=1000)",
             "Sep  3 04:00:01 quiet systemd-logind[402]: System is rebooting.",
             *_guess("quiet", "203.0.113.80", "bob", 0),
             "Mar  4 08:01:00 quiet sshd[1533]: Accepted password for bob from 203.0.113.80 port 40022 ssh2",
             "Mar  4 08:01:00 quiet sshd[1533]: pam_unix(sshd:session): session opened for user bob(uid=1001) by "
             "(uid=0)",
             "Mar  4 08:02:00 quiet sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 -g 0 r00t",
             "Mar  4 08:02:00 quiet sudo: pam_unix(sudo:session): session opened for user root(uid=0) by bob(uid=1001)",
             "Mar  4 08:02:00 quiet useradd[1540]: new user: name=r00t, UID=0, GID=0, home=/home/r00t, shell=/bin/sh",
             "Mar  4 08:02:00 quiet sudo: pam_unix(sudo:session): session closed for user root"]
    lines = [line.replace("Sep  1", "Mar  1").replace("Sep  3", "Mar  3") for line in lines]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "bob: created user r00t (as root)" in summary, summary
    assert "ambiguous" not in summary and "alice" not in summary, summary


def _forged_shutdown(keep_closes: bool) -> list[str]:
    demo = (ROOT / "demo" / "attack-auth.log").read_text().splitlines()
    at = next(i for i, line in enumerate(demo) if "10:03:50 bastion sudo[4410]" in line) + 1
    lines = [*demo[:at], "Nov 14 10:04:00 bastion systemd-logind[402]: System is rebooting.", *demo[at:]]
    return lines if keep_closes else [line for line in lines if "session closed" not in line]


def test_a_shutdown_its_sessions_outlive_is_told_as_doubtful_and_ends_nothing(monkeypatch, tmp_path: Path):
    """Any local account can write "System is rebooting." into syslog. The demo's attacker
    writes it after sudo: deploy's root shell, closed later by the same sudo process, proves
    the host never went down, and what deploy did as root stays deploy's."""
    plain = _summary(monkeypatch, tmp_path, (ROOT / "demo" / "attack-auth.log").read_text().splitlines())
    forged = _summary(monkeypatch, tmp_path, _forged_shutdown(keep_closes=True))
    doubt = forged.index("Lines that said a host went down while its sessions went on (written by someone else?):")
    assert forged[:doubt] == plain, forged
    assert "deploy: created user toor (as root) [rules 100507]" in "\n".join(forged[:doubt])
    assert forged[doubt + 1].startswith("    bastion: 2024-11-14 10:04:00  the host is going down, said a line; "
                                        "yet process 4410, whose session it would have ended, closed it at "
                                        "2024-11-14 10:07:20"), forged[doubt + 1]


def test_a_shutdown_nothing_disproves_is_told_where_it_ends_sessions(monkeypatch, tmp_path: Path):
    summary = "\n".join(_summary(monkeypatch, tmp_path, _forged_shutdown(keep_closes=False)))
    assert "2024-11-14 10:04:00  session ended: bastion went down (systemd-logind's line)" in summary
    assert ("(no root session open) created user toor [rules 100507]\n      nobody Logward saw was logged in then "
            "(the host went down at 2024-11-14 10:04:00, ending the logins of alice from 198.51.100.20, deploy from "
            "203.0.113.50)") in summary


@pytest.mark.parametrize("keep_closes", [True, False])
def test_the_html_report_tells_shutdowns_as_the_summary_does(monkeypatch, tmp_path: Path, keep_closes: bool):
    log, page = tmp_path / "auth.log", tmp_path / "report.html"
    log.write_text("\n".join(_forged_shutdown(keep_closes)) + "\n")
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO()))
    assert main(["replay", "--reference-time", "2025-01-01T00:00:00Z", "--html", str(page), str(log)]) == 0
    html = page.read_text()
    if keep_closes:
        assert '<ul id="doubted"><li>bastion: 2024-11-14 10:04:00  the host is going down, said a line; yet ' \
               "process 4410" in html
    else:
        assert "session ended: bastion went down (systemd-logind&#x27;s line)" in html
        assert "nobody Logward saw (the host went down at 2024-11-14 10:04:00, ending the logins of alice" in html


_BOB = ["Mar  1 10:00:30 web sshd[2000]: Accepted password for bob from 198.51.100.7 port 6000 ssh2",
        "Mar  1 10:00:30 web sshd[2000]: pam_unix(sshd:session): session opened for user bob by (uid=0)"]


def test_a_session_closed_while_the_host_went_down_stays_closed_when_it_proves_false(monkeypatch, tmp_path: Path):
    """alice's root shell closes at 10:02:30; bob's login, closing at 10:10, proves the
    shutdown false: alice's shell and login do not come back."""
    lines = [*_ALICE_ROOT, *_BOB, _DOWN,
             "Mar  1 10:02:30 web sudo[1100]: pam_unix(sudo:session): session closed for user root",
             "Mar  1 10:02:30 web sshd[1000]: pam_unix(sshd:session): session closed for user alice",
             f"Mar  1 10:03:00 {_EVIL}",
             "Mar  1 10:10:00 web sshd[2000]: pam_unix(sshd:session): session closed for user bob",
             f"Mar  1 11:00:00 {_EVIL.replace('evil', 'evil2')}"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "went down while its sessions went on" in summary
    assert "(no root session open) created user evil " in summary and "alice: created user evil" not in summary
    assert "(no root session open) created user evil2" in summary
    evil2 = summary[summary.index("created user evil2"):]
    assert "nobody Logward saw was logged in then" in evil2.splitlines()[1], evil2


def test_under_a_false_shutdown_a_step_is_the_doing_of_every_holder_of_its_time(monkeypatch, tmp_path: Path):
    """bob ran sudo useradd while alice's root shell, which the shutdown line had ended,
    was open: both may have made evil."""
    lines = [*_ALICE_ROOT, _DOWN,
             "Mar  1 10:03:10 web sshd[2000]: Accepted password for bob from 198.51.100.7 port 6000 ssh2",
             "Mar  1 10:03:20 web sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 evil",
             "Mar  1 10:03:20 web sudo[2100]: pam_unix(sudo:session): session opened for user root by bob(uid=1001)",
             f"Mar  1 10:03:20 {_EVIL}",
             "Mar  1 10:03:20 web sudo[2100]: pam_unix(sudo:session): session closed for user root",
             *_ALICE_LEAVES]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: created user evil (as root, ambiguous: root session of alice or bob)" in summary, summary
    assert "bob: created user evil (as root, ambiguous: root session of alice or bob)" in summary, summary


def test_a_pid_less_shell_closed_under_a_false_shutdown_held_root_until_then(monkeypatch, tmp_path: Path):
    lines = [*(line.replace("sudo[1100]", "sudo") for line in _ALICE_ROOT), _DOWN, f"Mar  1 10:03:00 {_EVIL}",
             "Mar  1 10:04:00 web sudo: pam_unix(sudo:session): session closed for user root",
             "Mar  1 10:05:00 web sshd[1000]: pam_unix(sshd:session): session closed for user alice"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: created user evil (as root) [rules 100507]" in summary, summary


def test_every_shutdown_line_a_process_outlived_is_false(monkeypatch, tmp_path: Path):
    lines = [*_ALICE_ROOT, _DOWN,
             "Mar  1 10:02:30 web sshd[2000]: Accepted password for bob from 198.51.100.7 port 6000 ssh2",
             "Mar  1 10:03:00 web systemd-logind[400]: System is rebooting.", f"Mar  1 10:04:00 {_EVIL}",
             "Mar  1 10:06:00 web sudo[1100]: pam_unix(sudo:session): session closed for user root",
             "Mar  1 10:07:00 web sshd[1000]: pam_unix(sshd:session): session closed for user alice"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: created user evil (as root) [rules 100507]" in summary, summary
    assert summary.count("the host is going down, said a line") == 2


def test_a_pid_that_comes_round_after_a_real_reboot_does_not_undo_it(monkeypatch, tmp_path: Path):
    """After the reboot a new sshd process gets the old session's pid, and closes its own
    session: the old one stays ended."""
    lines = ["Mar  1 09:00:00 quiet sshd[812]: Accepted publickey for alice from 198.51.100.20 port 50022 ssh2",
             "Mar  1 09:05:00 quiet sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
             "Mar  1 09:05:00 quiet sudo[900]: pam_unix(sudo:session): session opened for user root(uid=0) by "
             "alice(uid=1000)",
             "Mar  3 04:00:01 quiet systemd-logind[402]: System is rebooting.",
             "Mar  3 05:00:00 quiet sshd[812]: Accepted publickey for carol from 198.51.100.21 port 50023 ssh2",
             "Mar  3 05:01:00 quiet sshd[812]: pam_unix(sshd:session): session closed for user carol",
             "Mar  3 06:00:00 quiet useradd[1540]: new user: name=r00t, UID=0, GID=0, home=/home/r00t, shell=/bin/sh"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "went down while its sessions went on" not in summary
    assert "(no root session open) created user r00t" in summary and "alice: created user r00t" not in summary


_ALICE_ROOT = ["Mar  1 10:00:00 web sshd[1000]: Accepted password for alice from 203.0.113.5 port 5000 ssh2",
               "Mar  1 10:00:00 web sshd[1000]: pam_unix(sshd:session): session opened for user alice by (uid=0)",
               "Mar  1 10:01:00 web sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
               "Mar  1 10:01:00 web sudo[1100]: pam_unix(sudo:session): session opened for user root by "
               "alice(uid=1000)"]
_DOWN = "Mar  1 10:02:00 web systemd-logind[400]: System is rebooting."
# alice's root shell closes, then her login, later than a host takes to go down.
_ALICE_LEAVES = ["Mar  1 10:04:00 web sudo[1100]: pam_unix(sudo:session): session closed for user root",
                 "Mar  1 10:05:00 web sshd[1000]: pam_unix(sshd:session): session closed for user alice"]
_EVIL = "web useradd[1200]: new user: name=evil, UID=0, GID=0, home=/root, shell=/bin/bash"


def test_sessions_closing_while_the_host_goes_down_do_not_disprove_it(monkeypatch, tmp_path: Path):
    """systemd stops the sessions after logind's line: their closes come seconds later."""
    lines = [*_ALICE_ROOT, _DOWN,
             "Mar  1 10:02:02 web sudo[1100]: pam_unix(sudo:session): session closed for user root",
             "Mar  1 10:02:03 web sshd[1000]: pam_unix(sshd:session): session closed for user alice",
             f"Mar  1 10:30:00 {_EVIL}"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "went down while its sessions went on" not in summary
    assert "(no root session open) created user evil" in summary and "alice: created user evil" not in summary


def test_a_shutdown_written_twice_is_still_disproved(monkeypatch, tmp_path: Path):
    lines = [*_ALICE_ROOT, _DOWN,
             "Mar  1 10:02:05 web systemd-logind[400]: System is rebooting.", f"Mar  1 10:03:00 {_EVIL}",
             *_ALICE_LEAVES]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: created user evil (as root)" in summary, summary


def test_steps_made_under_a_false_shutdown_are_the_holders_of_their_time(monkeypatch, tmp_path: Path):
    """bob gets root after evil was made: it is alice's alone."""
    lines = [*_ALICE_ROOT, _DOWN,
             f"Mar  1 10:03:00 {_EVIL}",
             "Mar  1 10:03:10 web sshd[2000]: Accepted password for bob from 198.51.100.7 port 6000 ssh2",
             "Mar  1 10:03:20 web sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
             "Mar  1 10:03:20 web sudo[2100]: pam_unix(sudo:session): session opened for user root by bob(uid=1001)",
             "Mar  1 10:03:30 web usermod[2200]: add 'bob' to group 'sudo'",
             *_ALICE_LEAVES]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: created user evil (as root) [rules 100507]" in summary, summary
    # bob's change came while alice held root too: both may have made it.
    assert "bob: added bob to group sudo (as root, ambiguous: root session of alice or bob)" in summary, summary


def test_a_close_without_a_pid_under_a_false_shutdown_still_ends_its_session(monkeypatch, tmp_path: Path):
    """Debian's sudo names no pid: its close, which found no session while the host was
    taken for down, ends alice's root shell once the shutdown proves false."""
    lines = [*(line.replace("sudo[1100]", "sudo") for line in _ALICE_ROOT),
             _DOWN,
             "Mar  1 10:04:00 web sudo: pam_unix(sudo:session): session closed for user root",
             "Mar  1 10:05:00 web sshd[1000]: pam_unix(sshd:session): session closed for user alice",
             f"Mar  1 12:00:00 {_EVIL}"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "went down while its sessions went on" in summary
    assert "(no root session open) created user evil" in summary and "alice: created user evil" not in summary


def test_account_changes_say_which_account_and_what(monkeypatch, tmp_path: Path):
    lines = [*_guess("web-2", "203.0.113.10", "root", 0),
             "Mar  4 08:00:40 web-2 sshd[6008]: Accepted password for root from 203.0.113.10 port 40008 ssh2",
             "Mar  4 08:01:00 web-2 chsh[6100]: changed user 'www-data' shell to '/bin/bash'",
             "Mar  4 08:01:05 web-2 usermod[6101]: lock user 'bob' password"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "root: changed user www-data: shell to '/bin/bash' [rules 100506]" in summary
    assert "root: locked user bob [rules 100506]" in summary


def test_user_names_with_spaces_at_their_ends_are_quoted_in_the_summary(monkeypatch, tmp_path: Path):
    lines = [line.replace("for admin", "for invalid user  0101") if i == 0 else line
             for i, line in enumerate(_guess("web-1", "203.0.113.9", "admin", 0, count=8))]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert "failed 8 logins (' 0101', admin)" in summary[1], summary


def test_a_login_without_guessing_that_goes_on_to_grave_changes_is_in_the_summary(monkeypatch, tmp_path: Path):
    """A stolen key needs no guessing: a login followed by something rated 12 or more (here
    an account given UID 0) is told too; one followed by routine sudo is not."""
    lines = ["Mar  4 09:00:00 web-1 sshd[5000]: Accepted publickey for bob from 198.51.100.30 port 51000 ssh2",
             "Mar  4 09:00:00 web-1 sshd[5001]: Accepted publickey for carol from 198.51.100.31 port 51001 ssh2",
             "Mar  4 09:01:00 web-1 sudo:      bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
             "Mar  4 09:01:00 web-1 sudo[5010]: pam_unix(sudo:session): session opened for user root(uid=0) by "
             "bob(uid=1001)",
             "Mar  4 09:03:00 web-1 usermod[5031]: change user 'svc' UID from '1050' to '0'",
             "Mar  4 09:04:00 web-1 sudo[5010]: pam_unix(sudo:session): session closed for user root",
             "Mar  4 09:05:00 web-1 sudo:    carol : TTY=pts/1 ; PWD=/home/carol ; USER=root ; COMMAND=/usr/bin/id"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1] == "web-1: 198.51.100.30 (no failed login)", summary
    assert any("bob: changed user svc (as root) [rules 100507]" in line for line in summary)
    assert not any("198.51.100.31" in line for line in summary)


def test_a_service_account_with_thousands_of_sessions_is_told_in_bounded_lines(monkeypatch, tmp_path: Path):
    """Sessions never seen closing stay open: each login of an account that logs in all day
    would otherwise list every later step (and take time growing with the cube of them)."""
    lines = _guess("web-1", "198.51.100.5", "deploy", 0)
    for i in range(600):
        clock = f"Mar  4 09:{i // 60:02d}:{i % 60:02d}"
        lines += [f"{clock} web-1 sshd[{20000 + i}]: Accepted publickey for deploy from 198.51.100.{5 + i % 3} "
                  f"port {30000 + i} ssh2",
                  f"{clock} web-1 sudo:   deploy : TTY=pts/{i % 9} ; PWD=/ ; USER=root ; COMMAND=/bin/true"]
    summary = _summary(monkeypatch, tmp_path, lines)
    logins = [n for n, line in enumerate(summary) if line.startswith("    then logged in as deploy")]
    assert len(logins) == 200  # every third login is the guessing source's
    assert summary[logins[0] + 26] == "      ... and 575 more (the alerts have them all)"
    assert len(summary) < 200 * 28


def test_a_login_from_before_the_failures_is_told_as_earlier_not_as_won(monkeypatch, tmp_path: Path):
    lines = ["Mar  4 07:00:00 web-1 sshd[3000]: Accepted password for alice from 203.0.113.50 port 45000 ssh2",
             *_guess("web-1", "203.0.113.50", "root", 0, count=10)]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("web-1: 203.0.113.50 failed 10 logins (root)")
    assert summary[2].startswith("    earlier, before the failures, logged in as alice (password) at "
                                 "2024-03-04 07:00:00")
    assert not any("then logged in" in line for line in summary)


def test_a_system_account_login_is_in_the_summary_without_any_guessing(monkeypatch, tmp_path: Path):
    lines = ["Mar  4 08:00:00 web-1 sshd[200]: Accepted publickey for www-data from 198.51.100.77 port 41100 ssh2: "
             "RSA SHA256:Zm9yZ2VkLWtleS1mb3ItdGhlLWRlbW8tc2NlbmFyaW8",
             "Mar  4 08:00:30 web-1 sudo: www-data : TTY=pts/1 ; PWD=/var/www ; USER=root ; COMMAND=/bin/bash"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[0].endswith("(times in UTC) ==")
    assert summary[1] == "web-1: 198.51.100.77 (no failed login)"
    assert summary[2].startswith("    logged in as www-data (publickey) at 2024-03-04 08:00:00 [rules 100104, 100120]")
    assert "www-data: sudo as root: /bin/bash" in summary[3]


def test_a_source_pam_names_by_host_name_is_told_under_the_address_its_sshd_logged(monkeypatch, tmp_path: Path):
    # loghub OpenSSH_2k.log lines 28-32: PAM gives rhost as a name, sshd the address.
    lines = (LOGHUB / "OpenSSH_2k.log").read_text(encoding="utf-8").splitlines()[27:32]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("LabSZ: 5.36.59.76 (PAM named it 5.36.59.76.dynamic-dsl-ip.omantel.net.om) "
                                 "failed 6 logins (root)")
    assert not any(line.startswith("LabSZ: 5.36.59.76.dynamic") for line in summary)


def test_what_a_user_did_after_su_to_another_is_the_logins_story_until_the_su_ends(monkeypatch, tmp_path: Path):
    lines = [*_guess("web-1", "203.0.113.50", "deploy", 0),
             "Mar  4 08:01:00 web-1 sshd[200]: Accepted password for deploy from 203.0.113.50 port 4100 ssh2",
             "Mar  4 08:01:30 web-1 su[300]: pam_unix(su-l:session): session opened for user bob by deploy(uid=1002)",
             "Mar  4 08:01:30 web-1 su[300]: (to bob) deploy on pts/1",
             "Mar  4 08:01:40 web-1 sudo: bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
             "Mar  4 08:01:40 web-1 sudo[310]: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by bob(uid=1003)",
             "Mar  4 08:02:00 web-1 useradd[320]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash",
             "Mar  4 08:02:30 web-1 sudo[310]: pam_unix(sudo:session): session closed for user root",
             "Mar  4 08:03:00 web-1 su[300]: pam_unix(su-l:session): session closed for user bob",
             "Mar  4 08:04:00 web-1 sudo: bob : TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id"]
    summary = _summary(monkeypatch, tmp_path, lines)
    steps = [line.strip().split("  ", 1)[1] for line in summary if line.startswith("      2024")]
    assert steps == ["deploy: su to bob [rules 100302, 100305]",
                     "deploy: as bob: sudo as root: /bin/bash [rules 100201, 100203]",
                     "deploy: as bob: created user toor (as root) [rules 100507]"]


def _accepted(clock: str, user: str, source: str, pid: int) -> list[str]:
    return [f"Mar  4 {clock} web-1 sshd[{pid}]: Accepted password for {user} from {source} port 40000 ssh2",
            f"Mar  4 {clock} web-1 sshd[{pid}]: pam_unix(sshd:session): session opened for user {user} by (uid=0)"]


def _sudo_shell(clock: str, user: str, uid: int) -> list[str]:
    """Debian's sudo: no pid on its lines."""
    return [f"Mar  4 {clock} web-1 sudo: {user} : TTY=pts/{uid % 10} ; PWD=/home/{user} ; USER=root ; "
            "COMMAND=/bin/bash",
            f"Mar  4 {clock} web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
            f"by {user}(uid={uid})"]


TOOR = "Mar  4 10:03:00 web-1 useradd[4400]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh"
ROOT_CLOSED = "web-1 sudo: pam_unix(sudo:session): session closed for user root"


def test_a_root_session_closed_without_a_pid_among_several_leaves_later_changes_ambiguous(monkeypatch, tmp_path):
    lines = [*_accepted("09:00:00", "admin", "198.51.100.20", 3000), *_sudo_shell("09:01:00", "admin", 1000),
             *_accepted("10:00:00", "deploy", "203.0.113.50", 4310), *_sudo_shell("10:00:10", "deploy", 1001),
             f"Mar  4 10:02:00 {ROOT_CLOSED}", TOOR, f"Mar  4 10:04:00 {ROOT_CLOSED}"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert summary.count("created user toor (as root, ambiguous: root session of admin or deploy)") == 2
    assert "203.0.113.50" in summary
    # With one such session open, its close is its own.
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310), *_sudo_shell("10:00:10", "deploy", 1001),
             f"Mar  4 10:02:00 {ROOT_CLOSED}", TOOR]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "toor" not in summary.split("Grave changes no login above tells")[0]


def test_a_pam_host_name_goes_to_the_address_its_pid_logged_then_not_after_the_pid_came_round(monkeypatch, tmp_path):
    pam = ("web-1 sshd[2222]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
           "rhost=scan.evil.example  user=root")
    lines = [f"Mar  4 10:00:00 {pam}",
             *[f"Mar  4 10:00:0{i} web-1 sshd[2222]: Failed password for root from 203.0.113.9 port 50000 ssh2"
               for i in (2, 5, 8)],
             "Mar  4 10:00:09 web-1 sshd[2222]: PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh "
             "ruser= rhost=scan.evil.example  user=root",
             *_accepted("23:00:00", "alice", "198.51.100.20", 2222)]  # the same pid, hours later
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("web-1: 203.0.113.9 (PAM named it scan.evil.example) failed 3 logins (root)")
    assert not any("198.51.100.20" in line or "alice" in line for line in summary)


def test_a_pid_that_comes_round_again_is_another_su_and_another_step(monkeypatch, tmp_path):
    earlier = ["Mar  3 09:00:00 web-1 su[3300]: (to dave) carol on pts/4",
               "Mar  3 09:00:00 web-1 su[3300]: pam_unix(su:session): session opened for user dave by carol(uid=1003)",
               "Mar  3 09:05:00 web-1 su[3300]: pam_unix(su:session): session closed for user dave",
               "Mar  3 09:10:00 web-1 sudo[3310]: alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id"]
    attack = [*_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 3100),
              "Mar  4 08:02:00 web-1 sudo[3310]: alice : TTY=pts/2 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id",
              "Mar  4 08:03:00 web-1 su[3300]: (to bob) alice on pts/2",
              "Mar  4 08:03:00 web-1 su[3300]: pam_unix(su:session): session opened for user bob by alice(uid=1001)",
              "Mar  4 08:03:30 web-1 sudo[3320]: bob : TTY=pts/2 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
              "Mar  4 08:04:00 web-1 su[3300]: pam_unix(su:session): session closed for user bob"]
    assert _told(monkeypatch, tmp_path, earlier + attack) == [
        "alice: sudo as root: /bin/id", "alice: su to bob", "alice: as bob: sudo as root: /usr/bin/id"]


def test_steps_after_su_to_a_user_who_has_a_session_of_their_own_are_ambiguous(monkeypatch, tmp_path):
    lines = [*_accepted("07:00:00", "bob", "192.0.2.7", 2900),
             *_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 3100),
             "Mar  4 08:03:00 web-1 su[3300]: (to bob) alice on pts/2",
             "Mar  4 08:03:30 web-1 sudo: bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
             "Mar  4 08:04:00 web-1 su[3300]: pam_unix(su:session): session closed for user bob"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "alice: as bob: sudo as root: /usr/bin/id (ambiguous: another session of bob was open too)" in summary


def test_a_grave_account_change_no_session_can_claim_is_told_with_who_was_logged_in(monkeypatch, tmp_path):
    lines = [*_accepted("10:05:00", "deploy", "203.0.113.50", 4310),
             "Mar  4 10:05:10 web-1 sudo: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=root ; "
             "COMMAND=/usr/bin/systemd-run --on-active=30 /usr/sbin/useradd -o -u 0 -g 0 -M toor",
             "Mar  4 10:05:10 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by deploy(uid=1001)",
             f"Mar  4 10:05:10 {ROOT_CLOSED}",
             "Mar  4 10:05:40 web-1 useradd[4400]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1] == "No source brute-forced a host."
    assert summary[2].startswith("Grave changes no login above tells (a root session at a terminal"), summary
    assert summary[3].startswith("    web-1: 2024-03-04 10:05:40  (no root session open) created user toor [rules ")
    assert summary[4] == "      logged in then: deploy from 203.0.113.50 (since 2024-03-04 10:05:00)"


def test_an_ipv6_client_rotating_through_its_network_is_one_source(monkeypatch, tmp_path):
    """A client holds a whole /64 and can take a new address for every attempt: the story
    tells the network, with how many addresses it used, as the correlations count it."""
    lines = [line.replace("203.0.113.70", f"2001:db8:4:7::{i + 1:x}")
             for i, line in enumerate(_guess("web-1", "203.0.113.70", "deploy", 0, count=8))]
    lines.append("Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for deploy from 2001:db8:4:7::99 port 42000 ssh2")
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("web-1: 2001:db8:4:7::/64 (9 addresses) failed 8 logins (deploy)"), summary
    assert "100111" in summary[1] and "100112" in summary[2], summary
    assert "then logged in as deploy (password) from 2001:db8:4:7::99 at " in summary[2], summary


def test_an_ipv6_source_that_used_one_address_is_named_by_it(monkeypatch, tmp_path):
    lines = [line.replace("203.0.113.70", "2001:db8:9:9::5") for line in _guess("web-1", "203.0.113.70", "root", 0)]
    lines.append("Mar  4 08:01:00 web-1 sshd[7300]: Accepted password for root from 2001:db8:9:9::5 port 42000 ssh2")
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("web-1: 2001:db8:9:9::5 failed 8 logins (root)"), summary
    assert "then logged in as root (password) at " in summary[2], summary


def test_a_grave_change_by_a_job_left_running_after_logout_is_still_told(monkeypatch, tmp_path):
    """The attacker logs out; a detached job it left runs sudo useradd a minute later. The
    root session is the job's, so the change is not unclaimed: it is told under the login,
    marked, until the user logs in again."""
    lines = [*_guess("web-1", "203.0.113.66", "mallory", 0),
             "Mar  4 08:00:40 web-1 sshd[710]: Accepted password for mallory from 203.0.113.66 port 41010 ssh2",
             "Mar  4 08:00:40 web-1 sshd[710]: pam_unix(sshd:session): session opened for user mallory(uid=1001) "
             "by (uid=0)",
             "Mar  4 08:00:50 web-1 sshd[710]: pam_unix(sshd:session): session closed for user mallory",
             "Mar  4 08:01:00 web-1 sudo:  mallory : PWD=/home/mallory ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 toor",
             "Mar  4 08:01:00 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by mallory(uid=1001)",
             "Mar  4 08:01:00 web-1 useradd[720]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash",
             "Mar  4 08:01:00 web-1 sudo: pam_unix(sudo:session): session closed for user root"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert ("mallory: created user toor (as root) (after the session closed: something left running?)"
            in summary), summary
    assert "did nothing Logward saw" not in summary


def test_a_step_in_someones_su_to_the_user_is_not_taken_for_a_job_left_running(monkeypatch, tmp_path):
    lines = [*_guess("web", "203.0.113.50", "alice", 0),
             "Mar  4 08:01:00 web sshd[1000]: Accepted password for alice from 203.0.113.50 port 50 ssh2",
             "Mar  4 08:01:00 web sshd[1000]: pam_unix(sshd:session): session opened for user alice(uid=1000) "
             "by (uid=0)",
             "Mar  4 08:05:00 web sshd[1000]: pam_unix(sshd:session): session closed for user alice",
             "Mar  4 08:20:00 web sshd[2000]: Accepted publickey for bob from 198.51.100.2 port 51 ssh2: "
             "ED25519 SHA256:y",
             "Mar  4 08:20:00 web sshd[2000]: pam_unix(sshd:session): session opened for user bob(uid=1001) by (uid=0)",
             "Mar  4 08:21:00 web su[2100]: pam_unix(su-l:session): session opened for user alice(uid=1000) "
             "by bob(uid=1001)",
             "Mar  4 08:22:00 web sudo: alice : TTY=pts/1 ; PWD=/home/alice ; USER=#-1 ; COMMAND=/bin/cat /etc/shadow",
             "Mar  4 08:23:00 web su[2100]: pam_unix(su-l:session): session closed for user alice"]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "something left running" not in summary, summary
    assert "bob: as alice: sudo as #-1: /bin/cat /etc/shadow" in summary, summary


def test_a_forged_runuser_session_takes_no_root_change_for_an_innocent(monkeypatch, tmp_path):
    """A local user logs a runuser switch to root "by alice" under its own name just before
    a UID 0 account appears: the change stays unclaimed, not alice's."""
    lines = ["Mar  4 10:04:00 web-1 mallory: pam_unix(runuser:session): session opened for user root by alice(uid=0)",
             "Mar  4 10:04:58 web-1 useradd[4500]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[2].startswith("Grave changes no login above tells (a root session at a terminal"), summary
    assert summary[3].startswith("    web-1: 2024-03-04 10:04:58  (no root session open) created user toor [rules "), \
        summary
    assert not any("alice" in line for line in summary), summary


def test_a_line_break_in_a_logged_value_cannot_forge_a_summary_line(monkeypatch, tmp_path):
    def journal(seconds: int, ident: str, pid: int, message: str) -> str:
        return json.dumps({"__REALTIME_TIMESTAMP": str((1740909600 + seconds) * 1_000_000), "_HOSTNAME": "web-2",
                           "SYSLOG_IDENTIFIER": ident, "_PID": str(pid), "_COMM": ident, "MESSAGE": message})
    lines = [journal(i, "sshd", 5000 + i, f"Failed password for alice from 203.0.113.5 port {40000 + i} ssh2")
             for i in range(8)]
    lines += [journal(60, "sshd", 5100, "Accepted password for alice from 203.0.113.5 port 41000 ssh2"),
              journal(100, "su", 5200, "pam_unix(su:session): session opened for user bob\rweb-2:\u00a0192.0.2.99"
                                       "\u00a0failed\u00a040\u00a0logins by alice(uid=1000)")]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert not any(line.startswith("web-2: 192.0.2.99") or "\u00a0" in line for line in summary)
    assert any("su to bob\\rweb-2:\\xa0192.0.2.99" in line for line in summary)


def _told(monkeypatch, tmp_path, lines: list[str]) -> list[str]:
    """The steps the summary tells, without times and rules."""
    return [line.strip().split("  ", 1)[1].split(" [rules")[0] for line in _summary(monkeypatch, tmp_path, lines)
            if line.startswith("      20")]


def test_su_to_root_is_not_a_switch_that_outlives_it(monkeypatch, tmp_path):
    lines = [*_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 3100),
             "Mar  4 08:02:00 web-1 su[3300]: (to root) alice on pts/2",
             "Mar  4 08:02:00 web-1 su[3300]: pam_unix(su-l:session): session opened for user root by alice(uid=1001)",
             "Mar  4 08:03:00 web-1 su[3300]: pam_unix(su-l:session): session closed for user root",
             "Mar  4 09:00:00 web-1 su[5000]: (to postgres) root on none",  # cron, an hour later
             "Mar  4 09:00:00 web-1 su[5000]: pam_unix(su:session): session opened for user postgres by root(uid=0)"]
    assert _told(monkeypatch, tmp_path, lines) == ["alice: su to root"]


def test_lines_of_one_su_a_second_apart_are_one_step_when_its_pid_came_round_again(monkeypatch, tmp_path):
    lines = ["Mar  3 09:00:00 web-1 su[3300]: (to bob) alice on pts/4",
             *_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 3100),
             "Mar  4 08:03:00 web-1 su[3300]: (to bob) alice on pts/2",
             "Mar  4 08:03:01 web-1 su[3300]: pam_unix(su:session): session opened for user bob by alice(uid=1001)"]
    assert _told(monkeypatch, tmp_path, lines) == ["alice: su to bob"]


def test_unclaimed_changes_of_a_pid_that_came_round_again_are_both_told(monkeypatch, tmp_path):
    lines = [f"Mar  {day} 10:05:40 web-1 useradd[4400]: new user: name=toor, UID=0, GID=0, home=/home/toor, "
             "shell=/bin/sh" for day in (3, 4)]
    told = [line for line in _summary(monkeypatch, tmp_path, lines) if "created user toor" in line]
    assert [line.strip().split("  ")[0] for line in told] == ["web-1: 2024-03-03 10:05:40",
                                                               "web-1: 2024-03-04 10:05:40"]


def test_what_follows_an_ambiguous_su_is_ambiguous_too(monkeypatch, tmp_path):
    lines = [*_accepted("07:00:00", "alice", "192.0.2.7", 2900),
             *_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 3100),
             "Mar  4 08:03:00 web-1 su[3300]: (to bob) alice on pts/1",
             "Mar  4 08:03:30 web-1 sudo: bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id",
             "Mar  4 08:04:00 web-1 su[3300]: pam_unix(su:session): session closed for user bob"]
    told = _told(monkeypatch, tmp_path, lines)
    doubt = " (ambiguous: another session of alice was open too)"
    assert f"alice: su to bob{doubt}" in told and f"alice: as bob: sudo as root: /usr/bin/id{doubt}" in told


def test_a_one_shot_sudo_closed_without_a_pid_is_not_left_holding_root(monkeypatch, tmp_path):
    """Debian's sudo: an admin's long root shell, then another user's one-shot sudo, opened
    and closed in the same second, none with a pid: the account made later is the admin's."""
    lines = [*_accepted("09:00:00", "admin", "198.51.100.20", 3000), *_sudo_shell("09:01:00", "admin", 1000),
             *_accepted("09:02:00", "deploy", "203.0.113.50", 4310), *_sudo_shell("09:02:10", "deploy", 1001),
             f"Mar  4 09:02:10 {ROOT_CLOSED}",
             "Mar  4 09:30:00 web-1 useradd[4400]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "admin: created user toor (as root)" in told
    assert not any("toor" in step for step in told if step.startswith("deploy"))


def test_a_close_that_may_be_a_one_shot_sudos_or_the_attackers_shell_leaves_the_change_ambiguous(monkeypatch,
                                                                                                  tmp_path):
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310),
             "Mar  4 10:00:10 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by nagios(uid=120)",
             *_sudo_shell("10:00:11", "deploy", 1001),
             f"Mar  4 10:00:11 {ROOT_CLOSED}",  # nagios' one-shot, or deploy's shell?
             TOOR]
    assert "deploy: created user toor (as root, ambiguous: root session of nagios or deploy)" in _told(
        monkeypatch, tmp_path, lines)


def test_what_a_user_did_after_sudo_to_another_is_the_logins_story_too(monkeypatch, tmp_path):
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310),
             "Mar  4 10:00:20 web-1 sudo[500]: deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=bob ; COMMAND=/bin/bash",
             "Mar  4 10:00:20 web-1 sudo[500]: pam_unix(sudo:session): session opened for user bob(uid=1003) "
             "by deploy(uid=1001)",
             "Mar  4 10:00:40 web-1 sudo[510]: bob : TTY=pts/0 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/sbin/useradd",
             "Mar  4 10:00:40 web-1 sudo[510]: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by bob(uid=1003)",
             "Mar  4 10:00:41 web-1 useradd[520]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh",
             "Mar  4 10:00:41 web-1 sudo[510]: pam_unix(sudo:session): session closed for user root",
             "Mar  4 10:01:00 web-1 sudo[500]: pam_unix(sudo:session): session closed for user bob",
             "Mar  4 10:05:00 web-1 sudo[600]: bob : TTY=pts/3 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id"]
    assert _told(monkeypatch, tmp_path, lines) == ["deploy: sudo as bob: /bin/bash",
                                                   "deploy: as bob: sudo as root: /usr/sbin/useradd",
                                                   "deploy: as bob: created user toor (as root)"]


def test_two_logins_in_one_second_are_two_sessions(monkeypatch, tmp_path):
    """Two sshd processes let deploy in within the same second; the first closes at once.
    What deploy does in the second's session is that session's, not a job left running."""
    lines = [*_guess("web-1", "203.0.113.50", "deploy", 0), *_accepted("08:01:00", "deploy", "203.0.113.50", 3100),
             *_accepted("08:01:00", "deploy", "203.0.113.50", 3101),
             "Mar  4 08:01:02 web-1 sshd[3100]: pam_unix(sshd:session): session closed for user deploy",
             *_sudo_shell("08:02:30", "deploy", 1002),
             "Mar  4 08:03:00 web-1 useradd[4400]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "deploy: sudo as root: /bin/bash" in told, told
    assert "deploy: created user toor (as root)" in told, told


def test_a_login_only_pam_logged_is_the_source_its_sshd_process_named(monkeypatch, tmp_path):
    """Old RHEL's sshd(pam_unix): the failures name the client (rhost=), the session line of
    the same process does not. The summary says the guess got in, and what root did next."""
    lines = [f"Jun 15 02:04:{10 + 3 * i:02d} combo sshd(pam_unix)[{20880 + i}]: authentication failure; logname= "
             "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=root" for i in range(9)]
    lines += ["Jun 15 02:04:50 combo sshd(pam_unix)[20900]: authentication failure; logname= uid=0 euid=0 "
              "tty=NODEVssh ruser= rhost=218.188.2.4  user=root",
              "Jun 15 02:04:55 combo sshd(pam_unix)[20900]: session opened for user root by (uid=0)",
              "Jun 15 02:05:10 combo useradd[20950]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash",
              # Another process's session, long after: not the guesser's.
              "Jun 15 03:00:00 combo sshd(pam_unix)[20900]: session opened for user alice by (uid=0)"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("combo: 218.188.2.4 failed 10 logins (root)"), summary
    assert summary[2].startswith("    then logged in as root (login) at 2024-06-15 02:04:55"), summary
    assert summary[3].endswith("root: created user toor [rules 100507]"), summary
    assert not any("alice" in line for line in summary), summary


def test_a_close_seconds_after_two_sessions_opened_leaves_both_holding_root(monkeypatch, tmp_path):
    """Debian's sudo logs no pid: alice's apt-get (opened 10 s before) or deploy's shell
    (2 s before) may have ended. The account made next is not alice's alone."""
    lines = [*_accepted("10:00:00", "alice", "10.0.0.5", 1000), *_accepted("10:01:00", "deploy", "203.0.113.50", 2100),
             *_sudo_shell("10:01:20", "alice", 1000), *_sudo_shell("10:01:28", "deploy", 1002),
             f"Mar  4 10:01:30 {ROOT_CLOSED}", TOOR]
    told = _told(monkeypatch, tmp_path, lines)
    assert "alice: created user toor (as root, ambiguous: root session of alice or deploy)" in told, told
    assert "deploy: created user toor (as root, ambiguous: root session of alice or deploy)" in told, told


def test_a_sudo_without_a_terminal_is_the_root_session_of_who_ran_it(monkeypatch, tmp_path):
    """`ssh host 'sudo useradd ...'`: PAM writes `by (uid=1002)`, no name. sudo's own line
    of that second names deploy, whose login then made the UID 0 account."""
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             "Mar  4 10:00:01 web-1 sudo:   deploy : TTY=unknown ; PWD=/home/deploy ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 -g 0 toor",
             "Mar  4 10:00:01 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by (uid=1002)",
             "Mar  4 10:00:01 web-1 useradd[2200]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh",
             f"Mar  4 10:00:01 {ROOT_CLOSED}"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1] == "web-1: 203.0.113.50 (no failed login)", summary
    assert _told(monkeypatch, tmp_path, lines)[-1] == "deploy: created user toor (as root)"


def test_a_change_made_while_a_user_and_the_one_they_switched_to_held_root_is_told_once(monkeypatch, tmp_path):
    """alice su's to root, then to bob, who sudo's useradd: both hold root, so the change is
    in both their steps; alice's story tells it once, as bob's, who ran it."""
    lines = [*_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 2100),
             "Mar  4 08:01:30 web-1 su[2150]: (to root) alice on pts/1",
             "Mar  4 08:01:30 web-1 su[2150]: pam_unix(su-l:session): session opened for user root(uid=0) "
             "by alice(uid=1000)",
             "Mar  4 08:01:50 web-1 su[2160]: (to bob) alice on pts/1",
             "Mar  4 08:01:50 web-1 su[2160]: pam_unix(su:session): session opened for user bob(uid=1003) "
             "by alice(uid=0)",
             "Mar  4 08:02:00 web-1 sudo:      bob : TTY=pts/1 ; PWD=/root ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 toor",
             "Mar  4 08:02:00 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by bob(uid=1003)",
             "Mar  4 08:02:00 web-1 useradd[2200]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash"]
    told = _told(monkeypatch, tmp_path, lines)
    assert [step for step in told if "created user toor" in step] == [
        "alice: as bob: created user toor (as root, ambiguous: root session of alice or bob)"], told


def test_a_cron_job_of_the_user_running_beside_the_login_makes_its_steps_ambiguous(monkeypatch, tmp_path):
    """backup's nightly cron job runs sudo while an attacker is logged in as backup: the
    change may be the job's, and is marked so, not told as the attacker's for sure."""
    lines = [*_guess("web-1", "203.0.113.50", "backup", 0), *_accepted("08:01:00", "backup", "203.0.113.50", 2100),
             "Mar  4 08:05:01 web-1 CRON[2300]: pam_unix(cron:session): session opened for user backup(uid=34) "
             "by (uid=0)",
             *_sudo_shell("08:05:02", "backup", 34),
             "Mar  4 08:05:02 web-1 usermod[2310]: add 'backup' to group 'adm'",
             f"Mar  4 08:05:02 {ROOT_CLOSED}",
             "Mar  4 08:05:03 web-1 CRON[2300]: pam_unix(cron:session): session closed for user backup",
             # After the job ended, the login's own.
             *_sudo_shell("08:06:00", "backup", 34)]
    told = _told(monkeypatch, tmp_path, lines)
    assert told == ["backup: sudo as root: /bin/bash (ambiguous: another session of backup was open too)",
                    "backup: added backup to group adm (as root) (ambiguous: another session of backup was open too)",
                    "backup: sudo as root: /bin/bash"], told


@pytest.mark.parametrize("session", ["login[505]: pam_unix(login:session)", "CRON[505]: pam_unix(cron:session)"])
def test_a_grave_step_after_logout_while_a_session_on_the_host_was_open_is_told_marked(monkeypatch, tmp_path,
                                                                                        session: str):
    """A terminal login or a cron job of mallory's may have made it, or a job mallory's SSH
    login left running: told, marked both ways. A forged session line cannot hide it."""
    lines = [*_guess("web-1", "203.0.113.66", "mallory", 0), *_accepted("08:00:40", "mallory", "203.0.113.66", 710),
             "Mar  4 08:00:50 web-1 sshd[710]: pam_unix(sshd:session): session closed for user mallory",
             f"Mar  4 08:10:00 web-1 {session}: session opened for user mallory(uid=1001) by LOGIN(uid=0)",
             *_sudo_shell("08:11:00", "mallory", 1001), TOOR.replace("10:03:00", "08:12:00")]
    assert "mallory: created user toor (as root) (after the session closed: something left running?, or mallory's " \
        "session on the host itself (cron, a terminal) open then)" in _told(monkeypatch, tmp_path, lines)


def test_su_s_own_line_and_pams_of_one_switch_are_one_switch_that_its_close_ends(monkeypatch, tmp_path):
    """shadow-utils su in a sudo root shell says "by root", PAM "by alice(uid=0)": one
    switch, closed by its pid. The next day's login as postgres shares nothing with it."""
    lines = [*_accepted("09:00:00", "alice", "10.0.0.5", 1000), *_sudo_shell("09:00:30", "alice", 1000),
             "Mar  4 09:01:00 web-1 su[1160]: Successful su for postgres by root",
             "Mar  4 09:01:00 web-1 su[1160]: + /dev/pts/0 root:postgres",
             "Mar  4 09:01:00 web-1 su[1160]: pam_unix(su:session): session opened for user postgres(uid=113) "
             "by alice(uid=0)",
             "Mar  4 09:05:00 web-1 su[1160]: pam_unix(su:session): session closed for user postgres",
             f"Mar  4 09:06:00 {ROOT_CLOSED}",
             *[line.replace("Mar  4 08:", "Mar  4 10:") for line in _guess("web-1", "203.0.113.50", "postgres", 0)],
             *_accepted("10:01:00", "postgres", "203.0.113.50", 2100), *_sudo_shell("10:01:30", "postgres", 113),
             TOOR]
    told = _told(monkeypatch, tmp_path, lines)
    assert "postgres: created user toor (as root)" in told, told
    assert not any("ambiguous" in step for step in told if step.startswith("postgres")), told


def test_a_login_only_pam_logged_after_failures_under_a_host_name_is_that_sources(monkeypatch, tmp_path):
    lines = [f"Jun 15 02:04:{10 + i:02d} combo sshd(pam_unix)[{20880 + i}]: authentication failure; logname= "
             "uid=0 euid=0 tty=NODEVssh ruser= rhost=dsl-1.example.net  user=root" for i in range(9)]
    lines += ["Jun 15 02:04:55 combo sshd(pam_unix)[20888]: session opened for user root by (uid=0)"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1].startswith("combo: dsl-1.example.net failed 9 logins (root)"), summary
    assert summary[2].startswith("    then logged in as root (login) at 2024-06-15 02:04:55"), summary


def test_a_login_only_pam_logged_ends_with_its_session(monkeypatch, tmp_path):
    lines = [f"Jun 15 02:04:{10 + i:02d} combo sshd(pam_unix)[{20880 + i}]: authentication failure; logname= "
             "uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4  user=alice" for i in range(9)]
    lines += ["Jun 15 02:04:55 combo sshd(pam_unix)[20888]: session opened for user alice by (uid=0)",
              "Jun 15 02:06:00 combo sshd(pam_unix)[20888]: session closed for user alice",
              "Jun 15 05:00:00 combo sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/id"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[2].startswith("    then logged in as alice (login) at 2024-06-15 02:04:55"), summary
    assert not any("/bin/id" in line for line in summary), summary


def test_the_same_command_by_the_user_and_by_the_one_they_switched_to_is_told_for_each(monkeypatch, tmp_path):
    lines = [*_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 2100),
             "Mar  4 08:01:50 web-1 su[2160]: (to bob) alice on pts/1",
             "Mar  4 08:01:50 web-1 su[2160]: pam_unix(su:session): session opened for user bob(uid=1003) "
             "by alice(uid=1000)",
             "Mar  4 08:02:00 web-1 sudo:    alice : TTY=pts/2 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
             "Mar  4 08:02:00 web-1 sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "alice: sudo as root: /usr/bin/id" in told and "alice: as bob: sudo as root: /usr/bin/id" in told, told


def test_a_root_login_at_a_terminal_holds_root_too(monkeypatch, tmp_path):
    """Someone logged in as root on the console while deploy's sudo shell is open: the
    account made then may be either's."""
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310), *_sudo_shell("10:00:10", "deploy", 1001),
             "Mar  4 10:01:00 web-1 login[505]: pam_unix(login:session): session opened for user root(uid=0) "
             "by LOGIN(uid=0)",
             "Mar  4 10:01:30 web-1 CRON[600]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
             TOOR]
    assert "deploy: created user toor (as root, ambiguous: root session of deploy or root)" in _told(
        monkeypatch, tmp_path, lines)


def test_a_switch_su_logs_by_root_in_a_sudo_shell_is_the_logins(monkeypatch, tmp_path):
    """shadow-utils su's own line comes first and says "by root"; PAM's names alice: what
    postgres does next is alice's story."""
    lines = [*_guess("web-1", "203.0.113.50", "alice", 0), *_accepted("08:01:00", "alice", "203.0.113.50", 2100),
             *_sudo_shell("08:01:10", "alice", 1000),
             "Mar  4 08:01:20 web-1 su[1160]: Successful su for postgres by root",
             "Mar  4 08:01:20 web-1 su[1160]: pam_unix(su:session): session opened for user postgres(uid=113) "
             "by alice(uid=0)",
             "Mar  4 08:01:40 web-1 sudo: postgres : TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/usr/bin/id"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "alice: as postgres: sudo as root: /usr/bin/id" in told, told


def test_a_forged_daemon_session_for_root_hides_no_grave_change(monkeypatch, tmp_path):
    """A local user writes a vsftpd session line for root: a daemon's session is no root
    holder, and a grave change is told whatever holds root."""
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310),
             "Mar  4 10:02:30 web-1 vsftpd[4461]: pam_unix(vsftpd:session): session opened for user root(uid=0) "
             "by (uid=0)", TOOR]
    summary = "\n".join(_summary(monkeypatch, tmp_path, lines))
    assert "created user toor" in summary and "deploy from 203.0.113.50" in summary, summary


def test_a_change_in_a_root_session_at_a_terminal_is_told_on_its_own(monkeypatch, tmp_path):
    lines = ["Mar  4 10:01:00 web-1 login[505]: pam_unix(login:session): session opened for user root(uid=0) "
             "by LOGIN(uid=0)", TOOR]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[2].startswith("Grave changes no login above tells"), summary
    assert summary[3] == "    web-1: 2024-03-04 10:03:00  root: created user toor [rules 100507]", summary
    assert summary[4] == "      logged in then: root at a terminal (login, since 2024-03-04 10:01:00)", summary


def test_a_session_line_forged_under_another_logins_sshd_pid_takes_not_its_address(monkeypatch, tmp_path):
    """alice is logged in by sshd[4107]; a line written under that pid saying deploy's
    session opened must not make alice's address the one deploy came from."""
    lines = [*_accepted("10:00:00", "alice", "198.51.100.20", 4107),
             *_accepted("10:01:00", "deploy", "203.0.113.50", 4303), *_sudo_shell("10:02:00", "deploy", 1002),
             "Mar  4 10:02:55 web-1 sshd[4303]: pam_unix(sshd:session): session closed for user deploy",
             "Mar  4 10:02:56 web-1 sshd[4107]: pam_unix(sshd:session): session opened for user deploy by (uid=0)",
             TOOR]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert not any(line.startswith("web-1: 198.51.100.20") for line in summary), summary


def test_thirty_routine_steps_do_not_push_a_grave_one_out_of_sight(monkeypatch, tmp_path):
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 4310),
             *[f"Mar  4 10:01:{i:02d} web-1 sudo:   deploy : TTY=pts/1 ; PWD=/home/deploy ; USER=root ; "
               f"COMMAND=/bin/systemctl status nginx{i}" for i in range(30)],
             *_sudo_shell("10:02:00", "deploy", 1001), TOOR]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert any("deploy: created user toor (as root)" in line for line in summary), summary
    assert summary[-1].strip() == "... and 7 more (the alerts have them all)", summary


def test_a_sudo_line_written_just_before_anothers_sudo_without_a_terminal_does_not_take_its_session(
        monkeypatch, tmp_path):
    """PAM said alice is uid 1000; the session opened "by (uid=1002)" is not hers, whatever
    sudo line came just before it."""
    lines = [*_accepted("09:00:00", "alice", "10.0.0.5", 1000), *_sudo_shell("09:00:10", "alice", 1000),
             f"Mar  4 09:00:20 {ROOT_CLOSED}",
             *_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             "Mar  4 10:00:01 web-1 sudo:   deploy : TTY=unknown ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/sh",
             "Mar  4 10:00:01 web-1 sudo:    alice : TTY=unknown ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id",
             "Mar  4 10:00:01 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by (uid=1002)",
             "Mar  4 10:00:05 web-1 useradd[2200]: new user: name=toor, UID=0, GID=0, home=/home/toor, shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert not any(step.startswith("alice: created user toor") for step in told), told


def test_a_su_from_a_root_shell_does_not_make_root_the_users_uid(monkeypatch, tmp_path):
    """In a root shell PAM writes su's session as "by deploy(uid=0)": the uid is the
    caller's, 0, not deploy's. deploy's later sudo without a terminal ("by (uid=1002)") is
    still deploy's, so the UID 0 account is not put on alice, who held root meanwhile."""
    lines = [*_accepted("09:00:00", "alice", "10.0.0.5", 1000), *_sudo_shell("09:00:10", "alice", 1000),
             *_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             "Mar  4 10:00:10 web-1 sudo[2140]:   deploy : TTY=pts/2 ; PWD=/home/deploy ; USER=root ; "
             "COMMAND=/bin/bash",
             "Mar  4 10:00:10 web-1 sudo[2140]: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by deploy(uid=1002)",
             "Mar  4 10:00:20 web-1 su[2150]: (to nobody) deploy on pts/2",
             "Mar  4 10:00:20 web-1 su[2150]: pam_unix(su:session): session opened for user nobody(uid=65534) "
             "by deploy(uid=0)",
             "Mar  4 10:00:21 web-1 su[2150]: pam_unix(su:session): session closed for user nobody",
             "Mar  4 10:00:30 web-1 sudo[2140]: pam_unix(sudo:session): session closed for user root",
             *_accepted("10:05:00", "deploy", "203.0.113.50", 2300),
             "Mar  4 10:05:01 web-1 sudo:   deploy : TTY=unknown ; PWD=/home/deploy ; USER=root ; "
             "COMMAND=/usr/sbin/useradd -o -u 0 backup2",
             "Mar  4 10:05:01 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by (uid=1002)",
             "Mar  4 10:05:01 web-1 useradd[2310]: new user: name=backup2, UID=0, GID=0, home=/home/backup2, "
             "shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "alice: created user backup2 (as root)" not in told, told
    assert "alice: created user backup2 (as root, ambiguous: root session of alice or deploy)" in told, told


def test_su_to_a_second_uid_0_account_is_a_root_session(monkeypatch, tmp_path):
    """toor, made with UID 0, is root by another name: what is done under it is the
    login's, as root, until its close (which names only toor) ends it."""
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             "Mar  4 10:01:00 web-1 su[2150]: (to toor) deploy on pts/2",
             "Mar  4 10:01:00 web-1 su[2150]: pam_unix(su:session): session opened for user toor(uid=0) "
             "by deploy(uid=1002)",
             "Mar  4 10:02:00 web-1 usermod[2160]: add 'deploy' to group 'sudo'",
             "Mar  4 10:03:00 web-1 su[2150]: pam_unix(su:session): session closed for user toor",
             "Mar  4 10:04:00 web-1 usermod[2170]: add 'deploy' to group 'adm'"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "deploy: added deploy to group sudo (as root)" in told, told
    assert not any("group adm (as root" in step for step in told), told


def test_a_one_shot_sudo_to_a_second_uid_0_account_without_a_pid_is_closed_by_its_name(monkeypatch, tmp_path):
    """Debian's sudo logs no pid: the close of alice's one-shot `sudo -u toor id` names
    toor, which PAM gave uid 0; it ends her root session, so bob's later change is his."""
    lines = [*_accepted("10:00:00", "alice", "10.0.0.5", 2000), *_accepted("10:00:00", "bob", "10.0.0.6", 2010),
             "Mar  4 10:01:00 web-1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=toor ; COMMAND=/usr/bin/id",
             "Mar  4 10:01:00 web-1 sudo: pam_unix(sudo:session): session opened for user toor(uid=0) "
             "by alice(uid=1000)",
             "Mar  4 10:01:00 web-1 sudo: pam_unix(sudo:session): session closed for user toor",
             *_sudo_shell("10:30:00", "bob", 1001),
             "Mar  4 10:30:01 web-1 useradd[2200]: new user: name=backdoor, UID=0, GID=0, home=/root, shell=/bin/sh"]
    assert _told(monkeypatch, tmp_path, lines)[-1] == "bob: created user backdoor (as root)"


def test_a_long_command_is_told_in_one_short_line(monkeypatch, tmp_path):
    command = "/usr/bin/true " + "x " * 400
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             f"Mar  4 10:01:00 web-1 sudo:   deploy : TTY=pts/2 ; PWD=/home/deploy ; USER=root ; COMMAND={command}",
             "Mar  4 10:01:01 web-1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) "
             "by deploy(uid=1002)",
             "Mar  4 10:02:00 web-1 useradd[2200]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert told[0] == f"deploy: sudo as root: {command[:200]}... ({len(command)} characters)", told


def test_su_in_tmux_is_the_root_session_of_who_su_s_own_line_names(monkeypatch, tmp_path):
    """In tmux, screen or script there is no utmp entry: PAM writes "by (uid=1002)", no
    name. su's own line of the same process names deploy."""
    lines = [*_accepted("10:00:00", "deploy", "203.0.113.50", 2100),
             "Mar  4 10:01:00 web-1 su[2150]: (to root) deploy on pts/3",
             "Mar  4 10:01:00 web-1 su[2150]: pam_unix(su:session): session opened for user root(uid=0) by (uid=1002)",
             "Mar  4 10:02:00 web-1 useradd[2160]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/sh",
             "Mar  4 10:03:00 web-1 su[2150]: pam_unix(su:session): session closed for user root",
             "Mar  4 10:04:00 web-1 useradd[2170]: new user: name=backup3, UID=0, GID=0, home=/root, shell=/bin/sh"]
    told = _told(monkeypatch, tmp_path, lines)
    assert "deploy: created user backup2 (as root)" in told, told
    assert not any(step.startswith("deploy: created user backup3") for step in told), told


def test_a_display_managers_root_session_forged_in_the_journal_holds_no_root(monkeypatch, tmp_path):
    """A root session at the screen holds root; logger's entry under lightdm's name is not one."""
    def entry(seconds: int, ident: str, comm: str, pid: int, message: str) -> str:
        return json.dumps({"__REALTIME_TIMESTAMP": str((1740909600 + seconds) * 1_000_000), "_HOSTNAME": "web-1",
                           "SYSLOG_IDENTIFIER": ident, "_COMM": comm, "_PID": str(pid), "MESSAGE": message})
    lines = [entry(0, "sshd", "sshd", 2100, "Accepted password for deploy from 203.0.113.50 port 40000 ssh2"),
             entry(0, "sshd", "sshd", 2100,
                   "pam_unix(sshd:session): session opened for user deploy(uid=1002) by (uid=0)"),
             entry(30, "lightdm", "logger", 2190,
                   "pam_unix(lightdm:session): session opened for user root(uid=0) by (uid=0)"),
             entry(60, "sudo", "sudo", 2200, "deploy : TTY=pts/2 ; PWD=/home/deploy ; USER=root ; COMMAND=/bin/bash"),
             entry(60, "sudo", "sudo", 2200,
                   "pam_unix(sudo:session): session opened for user root(uid=0) by deploy(uid=1002)"),
             entry(90, "useradd", "useradd", 2210, "new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/sh")]
    assert "deploy: created user backup2 (as root)" in _told(monkeypatch, tmp_path, lines)


def test_many_logins_that_each_su_to_one_account_keep_their_own_stories(monkeypatch, tmp_path):
    """Switches are looked up by who made them: each login's story has its own su to
    backup and nobody else's (ten thousand of these made the summary quadratic)."""
    lines = []
    for n in range(50):
        clock = f"{8 + n // 60:02d}:{n % 60:02d}"
        lines += [*_accepted(f"{clock}:00", f"u{n}", f"203.0.113.{n}", 3000 + n),
                  f"Mar  4 {clock}:10 web-1 su[{5000 + n}]: (to backup) u{n} on pts/0",
                  f"Mar  4 {clock}:10 web-1 su[{5000 + n}]: pam_unix(su:session): session opened for user backup "
                  f"by u{n}(uid={2000 + n})",
                  f"Mar  4 {clock}:20 web-1 sudo[{6000 + n}]: backup : TTY=pts/0 ; PWD=/ ; USER=root ; "
                  f"COMMAND=/usr/sbin/useradd -o -u 0 x{n}",
                  f"Mar  4 {clock}:20 web-1 sudo[{6000 + n}]: pam_unix(sudo:session): session opened for user "
                  f"root(uid=0) by backup(uid=34)",
                  f"Mar  4 {clock}:21 web-1 useradd[{7000 + n}]: new user: name=x{n}, UID=0, GID=0, home=/, "
                  "shell=/bin/sh",
                  f"Mar  4 {clock}:22 web-1 sudo[{6000 + n}]: pam_unix(sudo:session): session closed for user root",
                  f"Mar  4 {clock}:30 web-1 su[{5000 + n}]: pam_unix(su:session): session closed for user backup"]
    told = _told(monkeypatch, tmp_path, lines)
    for n in (0, 17, 49):
        mine = [step for step in told if step.startswith(f"u{n}: ")]
        assert mine == [f"u{n}: su to backup", f"u{n}: as backup: sudo as root: /usr/sbin/useradd -o -u 0 x{n}",
                        f"u{n}: as backup: created user x{n} (as root)"], mine


def test_a_grave_step_of_a_user_whose_login_the_log_does_not_show_names_the_user(monkeypatch, tmp_path):
    lines = [*_sudo_shell("10:00:00", "carol", 1005),
             "Mar  4 10:01:00 web-1 usermod[4430]: add 'carol' to group 'sudo'"]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[3] == ("    web-1: 2024-03-04 10:01:00  carol: added carol to group sudo (as root) "
                          "[rules 100503]"), summary


def test_a_login_whose_pid_held_an_old_login_never_closed_is_still_the_new_clients(monkeypatch, tmp_path):
    """The log never showed the first session of pid 19440 closing; days later the pid came
    round and a guess got in through it: the pid's new client is the one logged in."""
    lines = ["Jun 14 07:59:59 combo sshd(pam_unix)[19440]: authentication failure; logname= uid=0 euid=0 "
             "tty=NODEVssh ruser= rhost=198.51.100.1  user=test",
             "Jun 14 08:00:00 combo sshd(pam_unix)[19440]: session opened for user test by (uid=0)"]
    lines += [f"Jun 15 02:04:{10 + i:02d} combo sshd(pam_unix)[{20880 + i}]: authentication failure; logname= "
              "uid=0 euid=0 tty=NODEVssh ruser= rhost=203.0.113.9  user=root" for i in range(9)]
    lines += ["Jun 15 02:04:50 combo sshd(pam_unix)[19440]: authentication failure; logname= uid=0 euid=0 "
              "tty=NODEVssh ruser= rhost=203.0.113.9  user=root",
              "Jun 15 02:04:55 combo sshd(pam_unix)[19440]: session opened for user root by (uid=0)"]
    summary = _summary(monkeypatch, tmp_path, lines)
    guesser = next(i for i, line in enumerate(summary) if line.startswith("combo: 203.0.113.9"))
    assert summary[guesser + 1].startswith("    then logged in as root (login) at 2024-06-15 02:04:55"), summary


def test_a_grave_step_left_running_is_told_under_its_login_without_any_su_on_the_host(monkeypatch, tmp_path):
    lines = [*_accepted("10:00:00", "mallory", "203.0.113.66", 710),
             "Mar  4 10:00:30 web-1 sshd[710]: pam_unix(sshd:session): session closed for user mallory",
             *_sudo_shell("10:01:00", "mallory", 1001), TOOR]
    summary = _summary(monkeypatch, tmp_path, lines)
    assert summary[1] == "web-1: 203.0.113.66 (no failed login)", summary
    assert "mallory: created user toor (as root) (after the session closed: something left running?)" in \
        summary[3], summary


def test_the_summary_stays_bounded_when_every_login_stays_open(monkeypatch, tmp_path):
    """Logins never seen closing stay open, so each tells every later step: cut at 25."""
    lines = []
    for n in range(40):
        lines += [f"Mar  4 10:{n:02d}:00 web-1 sshd[{900 + n}]: Accepted password for deploy from 203.0.113.5 "
                  "port 4000 ssh2",
                  f"Mar  4 10:{n:02d}:10 web-1 sudo[{1900 + n}]: deploy : TTY=pts/0 ; PWD=/ ; USER=root ; "
                  f"COMMAND=/usr/sbin/usermod -aG sudo u{n}",
                  f"Mar  4 10:{n:02d}:10 web-1 sudo[{1900 + n}]: pam_unix(sudo:session): session opened for user "
                  "root(uid=0) by deploy(uid=1001)",
                  f"Mar  4 10:{n:02d}:11 web-1 usermod[{2900 + n}]: add 'u{n}' to group 'sudo'",
                  f"Mar  4 10:{n:02d}:12 web-1 sudo[{1900 + n}]: pam_unix(sudo:session): session closed for user root"]
    summary = _summary(monkeypatch, tmp_path, lines)
    logins = [i for i, line in enumerate(summary) if "logged in as deploy" in line]
    first = summary[logins[0] + 1:logins[1]]
    assert len(first) == STEPS_SHOWN + 1 and first[-1].strip() == "... and 55 more (the alerts have them all)", first
    assert all("added u" in line for line in first[:-1]), first  # the grave ones first
    assert len(summary) < 40 * (STEPS_SHOWN + 2) + 10
