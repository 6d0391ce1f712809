"""Who holds what on each host as a replay goes: root sessions opened through sudo or su,
switches to other users with su or sudo -u, and the sessions PAM opens on the host itself
(a cron job's, a terminal login's).

Account changes name the account changed, not who changed it: they are the doing of
whoever held root then. What a user does after another switched to them is the
switcher's doing. Lines say who opened a session, rarely who closed it, and a pid names a
process only while it runs: where a line cannot say which session it ends, none is
guessed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

# Services that open a session as another user (PAM's service names).
SWITCHES = ("sudo", "sudo-i", "su", "su-l", "runuser", "runuser-l")
SU = ("su", "su-l")
# Lines of one process about one thing (su's own line and PAM's) come within seconds; the
# same pid later is another process.
SAME_STEP = 5.0
# A one-shot sudo (`sudo id`) opens and closes its session within the second: a close
# later than that may end any session open, not only the latest.
ONE_SHOT = 1.0
# PAM services whose sessions are not a local session: sshd's are logins (the story's), a
# switch's are su's and sudo's, and systemd's user manager runs beside any other session.
NOT_LOCAL = frozenset({None, "sshd", "systemd-user", *SWITCHES})
# Services whose sessions are someone at the host's own terminal or screen: such a root
# session holds root as su's and sudo's do (a cron job of root's runs too often to be
# anyone's, and a daemon's session line is easily forged).
TERMINALS = frozenset({"login", "gdm-password", "gdm-autologin", "gdm-fingerprint", "lightdm", "lightdm-autologin",
                       "sddm", "sddm-autologin", "xdm", "kdm"})


def end_open(spans: list[Any], t: float) -> tuple[list[Any], list[Any]]:
    """Of sessions that may be open, end those opened by `t` then: (those ended, and those
    opened after `t`, read ahead of it)."""
    ended, later = [], []
    for span in spans:
        if span.ended is None and span.time > t:
            later.append(span)
        elif span.ended is None:
            span.ended = t
            ended.append(span)
    return ended, later


def resume_open(spans: list[Any], t: float, closed: dict[int, float]) -> list[Any]:
    """end_open undone, for a shutdown at `t` that proved false: each session it ended is
    open again (returned), or ended when its process logged its close (`closed`, by pid)."""
    resumed = []
    for span in spans:
        if span.ended == t:
            span.ended = closed.get(span.pid) if span.pid is not None else None
            if span.ended is None:
                resumed.append(span)
    return resumed


@dataclass
class Ended:
    """What a host's shutdown ended: root sessions (as Privilege.root_sessions holds them),
    and switches, local sessions or logins."""

    roots: list[tuple[int | None, str, float]]
    spans: list[Any]

    def pids(self) -> set[int]:
        return {pid for pid, _, _ in self.roots if pid is not None} | {
            span.pid for span in self.spans if span.pid is not None}


def was_open(span: Any, at: float) -> bool:
    """Whether a session (a login, a switch, a session on the host) was open at that moment;
    one never seen closing stays open."""
    return span.time <= at and (span.ended is None or at <= span.ended)


@dataclass(eq=False)
class Switch:
    """A user's su or sudo -u to another (not root: root sessions have their own
    accounting)."""

    by: str
    to: str
    time: float
    pid: int | None
    ended: float | None = None


@dataclass(eq=False)
class Session:
    """A session PAM opened for a user on the host itself: what the user did while one was
    open may be its doing."""

    service: str
    time: float
    pid: int | None
    ended: float | None = None


class Privilege:
    def __init__(self) -> None:
        # Who holds a root session on each host right now, as (pid of the sudo or su
        # process, user, when opened), oldest first.
        self.root_sessions: dict[str, list[tuple[int | None, str, float]]] = defaultdict(list)
        # Closes without a pid (Debian's sudo logs none) while several such sessions were
        # open: one of them ended, nobody knows which, so all stay holders.
        self.unsure_closes: dict[str, int] = defaultdict(int)
        self._latest: dict[str, Switch] = {}  # the latest by host
        # The switches by host and who switched, and by host and to whom: a story looks up
        # one user's, and ten thousand logins that each su to backup make a long list.
        self.by_user: dict[tuple[str, str], list[Switch]] = defaultdict(list)
        self.to_user: dict[tuple[str, str], list[Switch]] = defaultdict(list)
        self._switch_of: dict[tuple[str, int], Switch] = {}  # the latest by host and pid
        self.local: dict[tuple[str, str], list[Session]] = defaultdict(list)  # by host and user
        # The terminal and screen sessions among them, by host (root's cron jobs alone make
        # a list of thousands).
        self.terminals: dict[str, list[tuple[str, Session]]] = defaultdict(list)
        # The last command sudo ran on each host, as (when, who, as whom): PAM names no user
        # for a session sudo opens without a terminal ("by (uid=1002)": ssh host 'sudo ...').
        self.sudo_ran: dict[str, tuple[float, str, str]] = {}
        # The uids each user's sessions were opened from, by host and user. PAM's "by
        # alice(uid=N)" gives the opener's real uid, not alice's: 0 in a root shell, bob's
        # after `su bob`. A uid of 0 says nothing of who alice is, and is not kept.
        self.uids: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._su_by: dict[tuple[str, int], tuple[str, float]] = {}  # who su's own line named, by host and pid
        self.root_names: dict[str, set[str]] = defaultdict(set)  # accounts other than root PAM gave uid 0, by host
        self.unclosed: dict[str, list[Switch | Session]] = defaultdict(list)  # since the host last went down

    def shutdown(self, host: str, t: float) -> Ended:
        """The host went down: every root session, switch and local session opened before
        then ended. What ended is returned, to be undone if the host did not go down."""
        roots = self.root_sessions.get(host, [])
        self.root_sessions[host] = [entry for entry in roots if entry[2] > t]
        self.unsure_closes[host] = 0
        spans, self.unclosed[host] = end_open(self.unclosed.pop(host, []), t)
        return Ended([entry for entry in roots if entry[2] <= t], spans)

    def resume(self, host: str, ended: Ended, t: float, closed: dict[int, float]) -> None:
        """The host did not go down at `t` after all: what its shutdown ended goes on, but
        for the sessions whose processes logged their close since (`closed`, by pid)."""
        roots = [entry for entry in ended.roots if entry[0] is None or entry[0] not in closed]
        self.root_sessions[host] = sorted([*roots, *self.root_sessions.get(host, [])], key=lambda e: e[2])
        self.unclosed[host] += resume_open(ended.spans, t, closed)

    def sudo_command(self, host: str, t: float, user: str, as_user: str) -> None:
        self.sudo_ran[host] = (t, user, as_user)

    def session(self, host: str, service: str | None, by: str | None, target: str | None, pid: int | None,
                t: float, opened: bool, own_line: bool = False, uid: str | None = None,
                target_uid: str | None = None) -> None:
        """A session opened or closed, as PAM logs it (or su's own line, `own_line`): a root
        session, a switch to another user, or a session on the host itself. `uid`: the
        opener's, as PAM gives it ("by alice(uid=1001)"); `target_uid`: the target's, which
        makes a second UID 0 account (toor) root."""
        by = self._opener(host, service, by, target, pid, t, opened, own_line, uid)
        if service in SWITCHES and target and target != "root" and self._root_by_uid(host, target, opened, target_uid):
            # Root by another name (toor). Its close goes on to end the switch su's own line
            # opened too.
            self.root_session(host, pid, by, t, opened)
            if opened:
                return
        if service in SWITCHES and target == "root":
            self.root_session(host, pid, by, t, opened)
        elif (service in SWITCHES or own_line) and target and target != "root":
            self.switch(host, pid, by, target, t, opened)
        elif service not in NOT_LOCAL and not own_line:
            self._local(host, target or by, service, pid, t, opened)

    def _opener(self, host: str, service: str | None, by: str | None, target: str | None, pid: int | None,
                t: float, opened: bool, own_line: bool, uid: str | None) -> str | None:
        """Who opened the session. Where PAM names no one, su's own line of the process
        (su in tmux, screen or script: no utmp entry), or sudo's own line of that moment
        (sudo without a terminal) does. Keeps the uids PAM opens each user's sessions from."""
        if own_line and opened and by and pid is not None:
            if len(self._su_by) >= 4096:  # su's that PAM logs no session for (BSD) leave theirs
                self._su_by = {key: named for key, named in self._su_by.items() if t - named[1] <= SAME_STEP}
            self._su_by[(host, pid)] = (by, t)
        elif (opened and service in SU and pid is not None and (named := self._su_by.pop((host, pid), None))
              and not by and 0 <= t - named[1] <= SAME_STEP):
            by = named[0]
        if by and uid:
            if uid != "0":
                self.uids[(host, by)].add(uid)
        elif opened and not by and service in ("sudo", "sudo-i"):
            ran = self.sudo_ran.get(host)
            if ran is not None and ran[2] == target and abs(t - ran[0]) <= SAME_STEP:
                # Not a user whose sessions PAM has seen opened only from other uids: a sudo
                # line written by someone else just before would hand them the session.
                known = self.uids.get((host, ran[1]))
                by = ran[1] if not known or uid is None or uid in known else None
        return by

    def _local(self, host: str, user: str | None, service: str, pid: int | None, t: float, opened: bool) -> None:
        if not user:
            return
        sessions = self.local[(host, user)]
        if opened:
            sessions.append(Session(service, t, pid))
            self.unclosed[host].append(sessions[-1])
            if service in TERMINALS:
                self.terminals[host].append((user, sessions[-1]))
            return
        for session in reversed(sessions):  # the latest open one of the process (of the service, without a pid)
            if session.ended is None and session.service == service and session.pid == pid and session.time <= t:
                session.ended = t
                return

    def at_a_terminal(self, host: str, user: str, at: float) -> bool:
        """Whether a session of the user at the host's terminal or screen was open."""
        return any(user == someone for someone, _ in self.at_terminals(host, at))

    def at_terminals(self, host: str, at: float) -> list[tuple[str, Session]]:
        """Who had a session open at the host's terminal or screen then, with the session."""
        return [(user, session) for user, session in self.terminals.get(host, ()) if was_open(session, at)]

    def root_session(self, host: str, pid: int | None, user: str | None, t: float, opened: bool) -> None:
        """A root session opened or closed. The close line names only root, so its pid
        says which session ended. Without a pid: the one session opened within the second
        before it (a one-shot sudo) did, or the only one without a pid; else any of them
        may have, and none is dropped until as many closes have come as they are."""
        sessions = self.root_sessions[host]
        if opened:
            if user:
                sessions.append((pid, user, t))
            return
        if pid is not None:
            ended = [i for i, (opened_by, _, _) in enumerate(sessions) if opened_by == pid]
            if ended:  # a pid never seen opening was opened before the log began: nothing to close
                del sessions[ended[-1]]
            return
        unnamed = [i for i, (opened_by, _, _) in enumerate(sessions) if opened_by is None]
        just = [i for i in unnamed if 0 <= t - sessions[i][2] <= ONE_SHOT]
        if len(just) == 1 or len(unnamed) == 1:  # the one it can be
            del sessions[(just if len(just) == 1 else unnamed)[0]]
            return
        self.unsure_closes[host] += 1
        if len(unnamed) <= self.unsure_closes[host]:  # every one of them has ended
            self.root_sessions[host] = [entry for entry in sessions if entry[0] is not None]
            self.unsure_closes[host] = 0

    def _root_by_uid(self, host: str, target: str, opened: bool, target_uid: str | None) -> bool:
        """Whether a session for `target` is root's by another name (toor): PAM gives the
        uid when the session opens; its close names only the account."""
        if opened and target_uid == "0":
            self.root_names[host].add(target)
        return target in self.root_names.get(host, ())

    def root_holders(self, host: str) -> list[str]:
        """Who may hold a root session on the host through su or sudo, oldest first."""
        return [user for _, user, _ in self.root_sessions.get(host, ())]

    def switch(self, host: str, pid: int | None, by: str | None, target: str, t: float, opened: bool) -> None:
        """A su (or sudo -u) to another user, or its end; su's own line and PAM's are one
        switch. A close without a pid ends the one open switch to that user it can be:
        opened seconds before (a one-shot sudo -u), or the only one."""
        latest = self._switch_of.get((host, pid)) if pid is not None else self._latest.get(host)
        if not opened:
            if pid is None:
                open_ = [switch for switch in self.to_user.get((host, target), ()) if switch.pid is None
                         and switch.ended is None and switch.time <= t]
                just = [switch for switch in open_ if t - switch.time <= SAME_STEP]
                latest = just[0] if len(just) == 1 else open_[0] if len(open_) == 1 else None
            if latest is not None and latest.ended is None:
                latest.ended = t
            return
        if not by or by == target:
            return
        if latest is not None and latest.to == target and abs(latest.time - t) <= SAME_STEP and (
                latest.by == by or (pid is not None and latest.ended is None)):
            # One switch: su's own line names who it ran as ("by root", in a root shell),
            # PAM's the login ("by alice(uid=0)"), whose story it belongs to.
            if latest.by == "root" and by != "root":
                self.by_user[(host, "root")].remove(latest)
                latest.by = by
                self.by_user[(host, by)].append(latest)
            return
        switch = self._latest[host] = Switch(by, target, t, pid)
        self.unclosed[host].append(switch)
        self.by_user[(host, by)].append(switch)
        self.to_user[(host, target)].append(switch)
        if pid is not None:
            self._switch_of[(host, pid)] = switch

    def switched_to(self, host: str, user: str, at: float) -> int:
        """How many switches to the user were open on the host at that moment."""
        return sum(1 for switch in self.to_user.get((host, user), ()) if was_open(switch, at))
