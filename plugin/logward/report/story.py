"""The questions an investigation starts with, answered from a stream of alerts.

Which sources brute-forced which host? Did a login then succeed, as whom? And what did
that user do next with su, sudo and accounts? `Story` watches the alerts of a replay and
answers in a few lines per source, so the answer does not have to be dug out of hundreds
of alerts.
"""

from __future__ import annotations

import ipaddress
import time
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from ..engine.detect import Alert
from ..engine.detect.detector import event_time
from ..engine.lines import counted
from ..rules.model import Rule
from .privilege import SAME_STEP, SWITCHES, Ended, Privilege, Session, end_open, resume_open, was_open

FAILED, BRUTE_FORCE, SUCCESS = "authentication_failed", "authentication_failures", "authentication_success"
# A failure that proves the source holds a credential root accepts (sshd's ROOT LOGIN
# REFUSED, written only after a key or similar worked).
KNEW = "root_credentials"
# What a user does after logging in that an investigation wants to see.
AFTERWARDS = {"sudo", "su", "accounts", "privilege_use", "privilege_change", "account_changed"}
_RELEVANT = frozenset({FAILED, BRUTE_FORCE, SUCCESS, KNEW, *AFTERWARDS})
_ACCOUNTS = frozenset({"accounts", "account_changed"})
# Per rule: its groups, whether the story wants it at all, and whether it tells what came
# afterwards (worked out on the rule's first alert).
_GROUPS: dict[int, tuple[frozenset[str], bool, bool]] = {}


def _groups(rule: Rule) -> tuple[frozenset[str], bool, bool]:
    """The rule's groups; does the story want its alerts; do they tell what came after a login."""
    groups = frozenset(rule.groups)
    known = _GROUPS[rule.id] = (groups, bool(groups & _RELEVANT), bool(groups & AFTERWARDS))
    return known


_PATHS: dict[str, tuple[str, ...]] = {}


def _get(doc: dict[str, Any], path: str) -> Any:
    keys = _PATHS.get(path)
    if keys is None:
        keys = _PATHS[path] = tuple(path.split("."))
    # Without exceptions: raising one for a missing field costs more than the lookups.
    if len(keys) == 2:  # most of the story's fields: no loop
        node = doc.get(keys[0])
        return node.get(keys[1]) if node.__class__ is dict else None
    node: Any = doc
    for key in keys:
        if node.__class__ is not dict:
            return None
        node = node.get(key)
    return node


def when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


@dataclass(eq=False)
class Login:
    user: str
    time: float
    how: str
    rules: set[int] = field(default_factory=set)
    source: str = ""
    pid: int | None = None  # sshd's, which also writes the session's close
    ended: float | None = None  # when its session closed, if the log says
    level: int = 0  # the highest of its rules' (a system account's login is grave in itself)


# How the summary and the HTML report tell a shutdown that ended a login, and those proved false.
SHUT_DOWN = "session ended: {host} went down (systemd-logind's line)"
DOUBTED = "Lines that said a host went down while its sessions went on (written by someone else?)"
# A host going down stops its sessions' processes within systemd's stop timeout (90 s by
# default): their closes come in that time, and a later one proves the shutdown false.
SHUTDOWN_GRACE = 120.0


@dataclass
class Down:
    """A host's shutdown, as a line said: what it ended (root sessions, switches and local
    sessions; logins), the pids of those sessions' processes (none should log again), and,
    if one did, when and which."""

    time: float
    ended: Ended
    logins: list[Login]
    pids: set[int]
    disproved: tuple[float, int] | None = None
    # Account changes after it, as Story._record took them (its arguments, the holders of
    # root it found, and the key and steps it filed them under): if the shutdown proves
    # false, the root sessions it ended were held then too, but for those closed before.
    after: list[tuple[tuple[Any, str, Any, float, int, int], list[str], Any, list[dict]]] = field(
        default_factory=list)
    closed: dict[int, float] = field(default_factory=dict)  # the closes since of what it ended, by pid
    lost_closes: list[float] = field(default_factory=list)  # root sessions' closes without a pid, since


@dataclass
class Step:
    time: float
    what: str
    rules: set[int] = field(default_factory=set)
    level: int = 0  # the highest of its rules'


@dataclass
class Attack:
    host: str
    source: str
    failures: int = 0  # sshd's "Failed ..." lines (a "message repeated N times" counts N)
    sshd_other_failures: int = 0  # sshd's other lines and PAM's for sshd: the same attempts again
    other_failures: int = 0  # other services'
    users: dict[str, None] = field(default_factory=dict)  # in the order they were tried
    first: float = 0.0  # its earliest alert: attacks are told in this order
    failed_from: float = float("inf")  # its earliest and latest failure (files may come
    last: float = float("-inf")  # in any order, so neither is simply the first or last seen)
    rules: set[int] = field(default_factory=set)  # the brute-force rules that fired
    logins: list[Login] = field(default_factory=list)
    knew: list[Step] = field(default_factory=list)  # proofs that it holds a credential root accepts
    # When it is a name: the sshd processes that logged it, with the first and last time
    # each did, and the addresses each logged near then (see Story._near).
    pids: dict[int, tuple[float, float]] = field(default_factory=dict)
    addresses: dict[int, set[str]] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)  # names PAM logged for this address
    members: set[str] = field(default_factory=set)  # a network's addresses seen (MEMBERS_KEPT at most)

    def absorb(self, other: Attack) -> None:
        """Take in what was filed under another name for the same source."""
        self.failures += other.failures
        self.sshd_other_failures += other.sshd_other_failures
        self.other_failures += other.other_failures
        self.users.update(other.users)
        self.first = min(self.first, other.first)
        self.failed_from = min(self.failed_from, other.failed_from)
        self.last = max(self.last, other.last)
        self.rules |= other.rules
        self.members |= other.members
        for login in other.logins:
            login.source = self.source
        self.logins = sorted(self.logins + other.logins, key=lambda login: login.time)
        self.knew = sorted(self.knew + other.knew, key=lambda step: step.time)
        if other.source not in self.aliases:
            self.aliases.append(other.source)

    @property
    def attempts(self) -> int:
        """Failed logins, each once: sshd's "Failed" lines where there are any (its other
        lines and PAM's for sshd then repeat them), else those; and other services'."""
        return (self.failures or self.sshd_other_failures) + self.other_failures

    def earlier(self, login: Login) -> bool:
        """A login from before the source's first failure: not what its guessing won (the
        address may be a known user's too)."""
        return bool(self.attempts) and login.time < self.failed_from

    def lead(self, login: Login) -> str:
        """How the story introduces a login: after the failures, before them, or with none."""
        if not self.attempts:
            return "logged in"
        return "earlier, before the failures, logged in" if self.earlier(login) else "then logged in"

    @property
    def named(self) -> bool:
        """The source is a host name (as PAM may log it), not an address or a network."""
        try:
            ipaddress.ip_network(self.source, strict=False)
        except ValueError:
            return True
        return False

    @property
    def shown(self) -> str:
        """The source as the summary names it: a network by the one address it used, or with
        how many it used."""
        n = len(self.members)
        if n == 1:
            return next(iter(self.members))
        if n > MEMBERS_KEPT:
            return f"{self.source} ({MEMBERS_KEPT}+ addresses)"
        return f"{self.source} ({n} addresses)" if n else self.source


# Account changes told as what was done, to which account or group.
_DONE_TO = {"user_locked": ("locked user", "user.name"), "user_unlocked": ("unlocked user", "user.name"),
            "user_deleted": ("deleted user", "user.name"), "group_deleted": ("deleted group", "group.name")}


def shown_steps(steps: list[Step]) -> list[Step]:
    """At most STEPS_SHOWN steps, in time order, the grave ones kept first: thirty routine
    sudo commands must not push a UID 0 account out of sight."""
    grave = [step for step in steps if step.level >= GRAVE][:STEPS_SHOWN]
    routine = [step for step in steps if step.level < GRAVE][:STEPS_SHOWN - len(grave)]
    kept = {id(step) for step in grave + routine}
    return [step for step in steps if id(step) in kept]


def untold_what(user: str | None, step: Step) -> str:
    """A step no login tells, with whose it was (None: made while nobody held root)."""
    return f"{user}: {step.what}" if user else f"(no root session open) {step.what}"


def counted_source(doc: dict[str, Any]) -> str | None:
    """A line's source as the correlations count it (an IPv6 client by its /64 network),
    else as logged (PAM may name a host)."""
    source = doc.get("source")
    if source.__class__ is not dict:
        return None
    counted = doc.get("logward")
    counted = counted.get("source") if counted.__class__ is dict else None
    counted = counted.get("origin") if counted.__class__ is dict else None
    return counted or source.get("address") or source.get("ip")


# A step is one line: a command longer than this (one made to fill a line, say) is cut.
COMMAND_SHOWN = 200


def _command(doc: dict[str, Any]) -> str:
    command = str(_get(doc, "system.auth.sudo.command"))
    return command if len(command) <= COMMAND_SHOWN else f"{command[:COMMAND_SHOWN]}... ({len(command)} characters)"


def _describe(alert: Alert) -> str:
    doc, action = alert.event, _get(alert.event, "event.action") or ""
    target = _get(doc, "user.target.name") or _get(doc, "user.effective.name")
    if action == "sudo_command":
        return f"sudo as {target}: {_command(doc)}"
    if action in ("sudo_request_cut", "sudo_continued"):  # a line sudo cut: its fields are not read
        return "sudo: a request logged over several lines, which may hide its run-as user"
    if action.startswith("sudo_"):
        error = _get(doc, "system.auth.sudo.error") or action
        return f"sudo refused ({error}): {_command(doc)}"
    if action.startswith("su_") or _get(doc, "logward.pam.service") in ("su", "su-l"):
        outcome = "su to" if _get(doc, "event.outcome") == "success" else "failed su to"
        return f"{outcome} {target}"
    if action == "group_member_added":
        return f"added {_get(doc, 'user.name')} to group {_get(doc, 'group.name')}"
    if action == "user_created":
        return f"created user {_get(doc, 'user.name')}"
    if action == "group_created":
        return f"created group {_get(doc, 'group.name')}"
    if action in ("pam_password_changed", "password_changed"):
        return f"changed the password of {_get(doc, 'user.name')}"
    if action == "user_changed":
        reason = _get(doc, "event.reason")
        return f"changed user {_get(doc, 'user.name')}" + (f": {reason}" if reason else "")
    if action in _DONE_TO:
        done, field = _DONE_TO[action]
        return f"{done} {_get(doc, field)}"
    return alert.rule.title


def _step_of(steps: dict[Any, Step], key: Any, t: float, what: str) -> Step:
    """The step a line of a process tells: lines of one process about one thing come within
    seconds, and a pid seen long before is another process, whose step is set aside."""
    step = steps.get(key)
    if step is not None and abs(step.time - t) > SAME_STEP:
        steps[(key, step.time)] = step
        step = None
    if step is None:
        step = steps[key] = Step(t, what)
    return step


def _name(user: str) -> str:
    """A user name as the summary lists it: quoted when spaces at its ends or commas would
    blur where it begins and ends (scanners try " 0101")."""
    return repr(user) if not user or user != user.strip() or "," in user else user


class _Timeline:
    """One user's steps and logins on one host, sorted, so that telling the story of many
    logins stays quick: which steps fall in a session, and how many logins and local
    sessions (a cron job's, a terminal login's) were open at a moment (those never seen
    closing stay open), each by bisection."""

    def __init__(self, steps: list[Step], logins: list[Login], local: list[Session]):
        self.steps = sorted(steps, key=lambda s: s.time)
        self.times = [s.time for s in self.steps]
        self.starts = sorted(login.time for login in logins)
        self.ends = sorted(login.ended for login in logins if login.ended is not None)
        self.local_starts = sorted(session.time for session in local)
        self.local_ends = sorted(session.ended for session in local if session.ended is not None)

    def open_at(self, t: float) -> int:
        """How many of the user's sessions were open: logins and sessions on the host itself."""
        return self.logins_open_at(t) + bisect_right(self.local_starts, t) - bisect_left(self.local_ends, t)

    def logins_open_at(self, t: float) -> int:
        return bisect_right(self.starts, t) - bisect_left(self.ends, t)



def _either(names: list[str]) -> str:
    """"a", "a or b", "a, b or c"."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else names[0]


# How far apart an sshd process's lines about one client can be: its login grace time
# (two minutes by default) and the session's last failures, with room to spare.
CONNECTION = 600.0
# How many switches deep a login's story follows (su to bob, then bob's su to carol).
SWITCH_DEPTH = 3
SSHD = frozenset({"sshd", "sshd-session", "sshd-auth"})
# From this level on, what a login went on to do puts its source in the summary.
GRAVE = 12
# Steps told per login: a service account's sessions can hold thousands.
STEPS_SHOWN = 25
# How far back, in seconds, a login's line looks for the login it belongs to (its lines
# come within a second, give or take lines a little out of order).
SAME_LOGIN_SCAN = 60.0
# The addresses of an IPv6 network counted, to say how many the source used ("1000+" beyond).
MEMBERS_KEPT = 1000
# What opens or closes a session: an sshd login's, a root session, a switch to another user.
_SESSION_LINES = frozenset({"pam_session_opened", "pam_session_closed", "su_success"})


class Story:
    def __init__(self) -> None:
        self.attacks: dict[tuple[str, str], Attack] = {}
        self.by_source: dict[str, list[Attack]] = defaultdict(list)  # one source, any host
        # What users did, by host and user; a step is one process's (pid) or one moment's.
        self.steps: dict[tuple[str, str], dict[tuple[Any, str], Step]] = defaultdict(dict)
        self.logins: dict[tuple[str, str], list[Login]] = defaultdict(list)  # by host and user
        self.sessions: dict[tuple[str, int], Login] = {}  # open sshd sessions by host and pid
        self.unclosed: dict[str, list[Login]] = defaultdict(list)  # logins since the host last went down
        self.downs: dict[str, list[Down]] = defaultdict(list)  # each host's shutdowns, in the order read
        # PAM's lines of an sshd process may give the client's host name (rhost=) where
        # sshd's give its address: the story tells it under the address. Pids come round
        # again, so only an address logged near in time counts, and each is matched as it
        # comes: the last address each sshd process logged, with when, by host and pid, and
        # the named sources each process logged.
        self.addresses: dict[tuple[str, int], tuple[float, str]] = {}
        # The source (an address, or a name PAM logged) each sshd process named last, with
        # when: PAM's session line of the login names none.
        self.client_of: dict[tuple[str, int], tuple[float, str]] = {}
        self.named: dict[tuple[str, int], list[Attack]] = defaultdict(list)
        self._timelines: dict[tuple[str, str], _Timeline] = {}  # made when the story is told
        self._stories: dict[int, list[tuple[Step, Step]]] = {}  # each login's, as told
        self.privilege = Privilege()  # root sessions, switches to other users, local sessions
        # Grave account changes made when no root session was open (a delayed job, a session
        # the log never showed): nobody's story has them, so they are told on their own.
        self.unclaimed: dict[str, dict[Any, Step]] = defaultdict(dict)  # by host, then what (a pid's or a moment's)

    def add(self, doc: dict[str, Any], alerts: list[Alert]) -> None:
        event = doc.get("event")
        action = event.get("action") if event.__class__ is dict else None
        if action == "system_shutdown":
            self.shutdown(_get(doc, "host.hostname") or "-", event_time(doc))
        elif action == "sudo_command":
            self.privilege.sudo_command(_get(doc, "host.hostname") or "-", event_time(doc), _get(doc, "user.name"),
                                        _get(doc, "user.effective.name"))
        elif action in _SESSION_LINES:
            service, pid, t = _get(doc, "logward.pam.service"), _get(doc, "process.pid"), event_time(doc)
            where, opened = _get(doc, "host.hostname") or "-", action != "pam_session_closed"
            if where in self.downs:
                self._went_on(where, pid, t, opened)
                down = self._believed_down(where, t)
                if (down is not None and not opened and pid is None and service in SWITCHES
                        and _get(doc, "user.target.name") == "root" and not self.privilege.root_holders(where)):
                    down.lost_closes.append(t)  # Debian's sudo: which session it closed, a disproof may tell
            if service == "sshd":  # a login's, whose close ends it
                login = self.sessions.pop((where, pid), None) if not opened else None
                if login is not None:
                    login.ended = t
            else:
                self.privilege.session(where, service, _get(doc, "user.name"), _get(doc, "user.target.name"), pid,
                                       t, opened, own_line=action == "su_success", uid=_get(doc, "user.id"),
                                       target_uid=_get(doc, "user.target.id"))
        wanted = [(alert, known) for alert in alerts
                  if (known := _GROUPS.get(alert.rule.id) or _groups(alert.rule))[1]]
        if wanted:  # the fields every alert of the line needs, read once
            host = doc.get("host")
            host = (host.get("hostname") if host.__class__ is dict else None) or "-"
            logged = doc.get("source")
            address = logged.get("ip") if logged.__class__ is dict else None
            source = counted_source(doc)
            user = doc.get("user")
            user = user.get("name") if user.__class__ is dict else None
            process = doc.get("process")
            # An sshd process's pid, which ties PAM's lines about a client to sshd's.
            sshd = process.get("pid") if process.__class__ is dict and process.get("name") in SSHD else None
            t = wanted[0][0].time
            if sshd is not None and source is not None:
                self.client_of[(host, sshd)] = (t, source)
            elif sshd is not None and any(SUCCESS in known[0] for _, known in wanted):
                # PAM's session line names no client: the login is the source's its sshd
                # process named last (where only PAM logs, as old RHEL's sshd(pam_unix)).
                # Not while that process holds another user's login: a line written under
                # its pid by someone else would hand the login to that client.
                # (A holder that logged in before the process last named a client is an old
                # process's whose close the log never showed: the pid came round.)
                seen, holding = self.client_of.get((host, sshd)), self.sessions.get((host, sshd))
                if seen is not None and abs(seen[0] - t) <= CONNECTION and (
                        holding is None or holding.user == user or holding.time < seen[0]):
                    source = seen[1]
            for alert, known in wanted:
                self._add(alert, known, action, host, source, user, address, sshd)

    def shutdown(self, host: str, t: float) -> None:
        """The host went down: every session on it ended then, whether or not the log showed
        its close (a lost close line would leave a session open for ever, its user holding
        whatever was done as root days later)."""
        logins, self.unclosed[host] = end_open(self.unclosed.pop(host, []), t)
        for login in logins:
            if login.pid is not None and self.sessions.get((host, login.pid)) is login:
                del self.sessions[(host, login.pid)]
        ended = self.privilege.shutdown(host, t)
        if logins or ended.roots or ended.spans:  # a shutdown that ended nothing (a repeat) changes nothing
            pids = ended.pids() | {login.pid for login in logins if login.pid is not None}
            self.downs[host].append(Down(t, ended, logins, pids))

    def _went_on(self, host: str, pid: Any, t: float, opened: bool) -> None:
        """A session line after shutdowns of the host. One closing a session that a shutdown
        ended, under the same pid (no session opened under it since), later than a host
        takes to go down, proves that shutdown false, and every shutdown line since (a line
        any local account can write in plain syslog, twice too): what they ended goes on.
        An earlier close is noted: the session it closes does not come back."""
        if pid is None:
            return
        for down in reversed(self.downs[host]):
            if down.disproved is not None or t <= down.time:
                continue
            if opened:
                down.pids.discard(pid)  # a new process of that pid: after a reboot, pids come round
            elif pid in down.pids and t > down.time + SHUTDOWN_GRACE:
                # The root sessions each ended held root under the ones after it too.
                roots: list[tuple[int | None, str, float]] = []
                closed: dict[int, float] = {}
                for false in [d for d in self.downs[host] if d.disproved is None and down.time <= d.time < t]:
                    roots += false.ended.roots
                    closed |= false.closed
                    self._disprove(host, false, t, pid, roots, closed)
                return
            elif pid in down.pids:
                down.closed.setdefault(pid, t)

    def _disprove(self, host: str, down: Down, t: float, pid: int, roots: list[tuple[int | None, str, float]],
                  closes: dict[int, float]) -> None:
        """`roots`: the root sessions this shutdown and the false ones before it ended;
        `closes`: their closes since, by pid."""
        down.disproved = (t, pid)
        unnamed = [entry for entry in roots if entry[0] is None]
        lost = down.lost_closes[0] if down.lost_closes and len(unnamed) == 1 else None

        def closed(entry: tuple[int | None, str, float]) -> float | None:
            return closes.get(entry[0]) if entry[0] is not None else lost

        for _, _, key, targets in down.after:  # taken back first: lines of one step are told again together
            for steps in targets:
                steps.pop(key, None)
        for (user, what, step_pid, at, rule_id, level), holders, _, _ in down.after:
            held = [e[1] for e in roots if e[2] <= at and (closed(e) or float("inf")) > at]
            self._file(host, user, True, list(dict.fromkeys([*held, *holders])), what, step_pid, at, rule_id, level)
        self.privilege.resume(host, down.ended, down.time, down.closed)
        for at in down.lost_closes:  # pid-less closes that found no session open then
            self.privilege.root_session(host, None, None, at, False)
        for login in resume_open(down.logins, down.time, down.closed):
            self.unclosed[host].append(login)
            if login.pid is not None:
                self.sessions.setdefault((host, login.pid), login)

    def _believed_down(self, host: str, t: float) -> Down | None:
        """The host's last shutdown, if it came before `t` and nothing has proved it false."""
        downs = self.downs.get(host)
        down = downs[-1] if downs else None
        return down if down is not None and down.disproved is None and t >= down.time else None

    def untold(self, attacks: list[Attack]) -> list[tuple[str, str | None, Step]]:
        """The grave steps no login's story tells, by host and whose they are (None: made
        while nobody held root), in time order: a root session at a terminal's, a user's
        whose login the log never showed, a delayed job's. None is dropped."""
        told = {id(found) for a in attacks for login in a.logins for found, _ in self._afterwards(a, login)}
        found = {id(step): (host, None, step) for host, steps in self.unclaimed.items() for step in steps.values()}
        for (host, user), steps in self.steps.items():
            for step in steps.values():
                if step.level >= GRAVE and id(step) not in told:
                    found.setdefault(id(step), (host, user, step))  # a step held by several: the first's
        return sorted(found.values(), key=lambda item: item[2].time)

    def logged_in(self, host: str, at: float) -> list[Login]:
        """The logins open on the host at that moment (those never seen closing stay open)."""
        return [login for (where, _), logins in self.logins.items() if where == host
                for login in logins if was_open(login, at)]

    def present(self, host: str, at: float) -> list[str]:
        """Who was logged in on the host then, over SSH or at a terminal, as the summary says it."""
        return ([f"{login.user} from {login.source or '?'} (since {when(login.time)})"
                 for login in self.logged_in(host, at)]
                + [f"{user} at a terminal ({session.service}, since {when(session.time)})"
                   for user, session in self.privilege.at_terminals(host, at)])

    def root_users(self, host: str, at: float) -> list[str]:
        """Who may hold an open root session on the host, each once, oldest first: through
        su or sudo, or logged in as root (over SSH, or at a terminal)."""
        users = self.privilege.root_holders(host)
        if (any(was_open(login, at) for login in self.logins.get((host, "root"), ()))
                or self.privilege.at_a_terminal(host, "root", at)):
            users.append("root")
        return list(dict.fromkeys(users))

    def _add(self, alert: Alert, known: tuple[frozenset[str], bool, bool], action: Any, host: str, source: Any,
             user: Any, address: Any, sshd: Any) -> None:
        groups, _, afterwards = known
        doc = alert.event
        if source:
            attack = self.attacks.get((host, source))
            if attack is None:
                attack = self.attacks[(host, source)] = Attack(host, source, first=alert.time)
                self.by_source[source].append(attack)
            elif alert.time < attack.first:
                attack.first = alert.time
            if address is not None and address != source and len(attack.members) <= MEMBERS_KEPT:
                attack.members.add(address)
            if sshd is not None:
                if address is not None:
                    self.addresses[(host, sshd)] = (alert.time, source)
                    for named in self.named.get((host, sshd), ()):
                        self._near(named, sshd, alert.time, source)
                elif attack.named:
                    first, last = attack.pids.get(sshd, (alert.time, alert.time))
                    attack.pids[sshd] = (min(first, alert.time), max(last, alert.time))
                    if first == last == alert.time:  # the process's first line naming it
                        self.named[(host, sshd)].append(attack)
                    seen = self.addresses.get((host, sshd))
                    if seen is not None:
                        self._near(attack, sshd, *seen)
            if FAILED in groups and alert.rule.kind == "event":
                times = _get(doc, "logward.repeated") or 1
                if action == "ssh_login":
                    attack.failures += times
                elif (_get(doc, "logward.pam.service") or _get(doc, "process.name")) in SSHD:
                    attack.sshd_other_failures += times
                else:
                    attack.other_failures += times
                attack.failed_from = min(attack.failed_from, alert.time)
                attack.last = max(attack.last, alert.time)
                if user:
                    attack.users[user] = None
            if BRUTE_FORCE in groups:
                # A correlation counts a source's failures on every host: each host's attack
                # is one.
                for each in self.by_source[source]:
                    if each.attempts:
                        each.rules.add(alert.rule.id)
                attack.rules.add(alert.rule.id)
            if SUCCESS in groups and alert.rule.kind == "sequence":
                attack.rules.add(alert.rule.id)  # failures, then a success: however slow
            if SUCCESS in groups and user:
                self._login(attack, user, alert)
            if KNEW in groups:
                attack.knew.append(Step(alert.time, "used a credential root accepts (a key, most likely): sshd "
                                                    "refused it only because root may not log in",
                                        {alert.rule.id}))
        if not afterwards:
            return
        self._record(host, user, bool(groups & _ACCOUNTS), _describe(alert), _get(doc, "process.pid"), alert.time,
                     alert.rule.id, alert.rule.level)

    def _record(self, host: str, user: Any, account: bool, what: str, pid: Any, t: float, rule_id: int,
                level: int) -> None:
        """A step into the story of whoever made it: for an account change, whoever held
        root then (the line names the account changed, not who changed it)."""
        holders = self.root_users(host, t) if account else []
        down = self._believed_down(host, t) if account else None
        key, targets = self._file(host, user, account, holders, what, pid, t, rule_id, level)
        if down is not None:  # whose it is is asked again if the shutdown proves false
            down.after.append(((user, what, pid, t, rule_id, level), holders, key, targets))

    def _file(self, host: str, user: Any, account: bool, holders: list[str], what: str, pid: Any, t: float,
              rule_id: int, level: int) -> tuple[Any, list[dict]]:
        """File the step under each of its actors' steps; the key and the steps used."""
        actors, unclaimed = [user] if user else [], False
        if account:
            # With several root sessions open, each holder's story keeps it, marked, rather
            # than only the latest's; with none, nobody's does.
            actors = holders
            if len(actors) == 1:
                what += " (as root)" if actors != ["root"] else ""
            elif actors:
                what += f" (as root, ambiguous: root session of {_either(actors)})"
            else:
                unclaimed = level >= GRAVE  # nobody's story has it: told on its own
        key = (pid, what) if pid is not None else (t, what)  # su's PAM and own line: one step
        targets = [self.unclaimed[host]] if unclaimed else [self.steps[(host, actor)] for actor in actors]
        shared: Step | None = None  # one step, in each holder's steps: a story tells it once
        for steps in targets:
            if shared is not None and key not in steps:
                steps[key] = shared
            step = shared = _step_of(steps, key, t, what)
            step.time = min(step.time, t)
            step.rules.add(rule_id)
            step.level = max(step.level, level)
        return key, targets

    def _login(self, attack: Attack, user: str, alert: Alert) -> None:
        # The same login's other lines come from the same sshd process (PAM's session line
        # after sshd's Accepted), or within the second where a line has no pid; two logins
        # in one second are two processes. Only the latest logins are looked at (an account
        # that logs in every minute for a year has half a million).
        doc = alert.event
        pid = _get(doc, "process.pid")
        for login in reversed(attack.logins):
            if login.time < alert.time - SAME_LOGIN_SCAN:
                break
            if login.user == user and (login.pid == pid if login.pid is not None and pid is not None
                                       else abs(login.time - alert.time) < 1):
                login.rules.add(alert.rule.id)
                login.level = max(login.level, alert.rule.level)
                return
        how = _get(doc, "system.auth.ssh.method") or "login"
        address = _get(doc, "source.ip") or attack.source  # a network's: the one address that logged in
        login = Login(user, alert.time, how, {alert.rule.id}, address, pid, level=alert.rule.level)
        attack.logins.append(login)
        self.logins[(attack.host, user)].append(login)
        self.unclosed[attack.host].append(login)
        if attack.host in self.downs:
            self._went_on(attack.host, pid, alert.time, True)
        if pid is not None:  # sshd's Accepted, or PAM's session line where only PAM logs
            self.sessions[(attack.host, pid)] = login

    @staticmethod
    def _near(attack: Attack, pid: int, t: float, address: str) -> None:
        """Note the address an sshd process logged at t, if near when it logged the name."""
        first, last = attack.pids[pid]
        if first - CONNECTION <= t <= last + CONNECTION:
            attack.addresses.setdefault(pid, set()).add(address)

    def _by_address(self) -> None:
        """File what PAM told under a host name with the address its sshd process logged,
        where the process logged one address: one source, told once, by the address an
        analyst pivots on."""
        for key, attack in list(self.attacks.items()):
            if not attack.pids:
                continue
            found: set[str | None] = set()
            for pid in attack.pids:
                found |= attack.addresses.get(pid) or {None}
            if len(found) != 1 or None in found:
                continue
            address = found.pop()
            into = self.attacks.get((attack.host, address))
            if into is None:
                into = self.attacks[(attack.host, address)] = Attack(attack.host, address, first=attack.first)
                self.by_source[address].append(into)
            into.absorb(attack)
            del self.attacks[key]
            self.by_source[attack.source].remove(attack)

    def attacked(self) -> list[Attack]:
        """Sources a brute-force rule fired for, that proved to hold a credential root
        accepts, whose login was rated 12 or more itself (a system account's), or went on
        to something rated so (a UID 0 account, a user put in sudo: a stolen key needs no
        guessing), in the order they began."""
        self._by_address()
        grave: dict[tuple[str, str], list[Step]] = {}  # by host and user: few, if any
        for key, steps in self.steps.items():
            found = [step for step in steps.values() if step.level >= GRAVE]
            if found:
                grave[key] = found

        def went_on(a: Attack, login: Login) -> bool:
            mine = grave.get((a.host, login.user), ())
            if any(was_open(login, step.time) for step in mine):
                return True
            if mine and login.ended is not None and self._left_running(a.host, login.user, login.ended):
                return True
            # As another user, after a su or sudo -u: told the long way, only where there are such.
            return bool(grave and self.privilege.by_user.get((a.host, login.user))) and any(
                step.level >= GRAVE for step in self.afterwards(a, login))

        return sorted((a for a in self.attacks.values() if a.rules or a.knew or any(
            login.level >= GRAVE or went_on(a, login) for login in a.logins)), key=lambda a: a.first)

    def afterwards(self, attack: Attack, login: Login) -> list[Step]:
        return [told for _, told in self._afterwards(attack, login)]

    def _afterwards(self, attack: Attack, login: Login) -> list[tuple[Step, Step]]:
        """As `afterwards`, each told step with the step it tells; made once a login (the
        story is told when the replay is over, and the report tells it again)."""
        found = self._stories.get(id(login))
        if found is None:
            found = self._stories[id(login)] = self._story_of(attack, login)
        return found

    def _story_of(self, attack: Attack, login: Login) -> list[tuple[Step, Step]]:
        """What the user did on the host while this login's session was open (from the login
        on, when the log never closes it), and, after a su or sudo -u to another user, what
        that user did until it ended. A step made while another session of the same user
        was open too could be either's: it is marked. So are grave steps after the session
        closed, while no SSH login of the user and no switch to the user was open, until the
        user's next SSH login: a job left running (nohup, at, a detached shell) acts as the
        user still."""
        # A root change while the user and the user they switched to both held root is one
        # step in both their steps: told once, as the switched-to user's (who ran it, most
        # likely).
        told: dict[int, tuple[int, Step, Step]] = {}
        for depth, found, step in self._during(attack.host, login.user, login.time, login.ended, SWITCH_DEPTH):
            if told.get(id(found), (-1,))[0] < depth:
                told.pop(id(found), None)  # in the place the deeper one was found
                told[id(found)] = (depth, found, step)
        steps = [(found, step) for _, found, step in told.values()]
        if login.ended is not None:
            steps += self._left_running(attack.host, login.user, login.ended)
        return sorted(steps, key=lambda pair: pair[1].time)

    def _left_running(self, host: str, user: str, ended: float) -> list[tuple[Step, Step]]:
        """Grave steps after the login closed, while no login of the user and no switch to
        them was open. A session of the user on the host itself open then (a cron job's, a
        terminal's) may have made them instead: they are told all the same, marked, as a
        forged session line would otherwise hide them."""
        timeline = self._timeline(host, user)
        after = bisect_right(timeline.starts, ended)
        until = timeline.starts[after] if after < len(timeline.starts) else None
        times = timeline.times
        found = timeline.steps[bisect_right(times, ended):bisect_left(times, until) if until else len(times)]
        out = []
        for step in found:
            if step.level < GRAVE or timeline.logins_open_at(step.time) or self.privilege.switched_to(
                    host, user, step.time):
                continue
            local = timeline.open_at(step.time) > 0
            also = f", or {user}'s session on the host itself (cron, a terminal) open then" if local else ""
            out.append((step, replace(step, what=f"{step.what} (after the session closed: something left "
                                                 f"running?{also})")))
        return out

    def _during(self, host: str, user: str, start: float, end: float | None, depth: int,
                prefix: str = "", doubt: str = "") -> list[tuple[int, Step, Step]]:
        """The user's steps in [start, end], told after `prefix`; `doubt` marks them all when
        the su that led here was itself ambiguous. Each with how many switches deep it was
        found and the step it tells."""
        timeline = self._timeline(host, user)
        times, steps = timeline.times, timeline.steps
        last = bisect_right(times, end) if end is not None else len(times)

        def shared(t: float) -> str:
            # This session and another of the user's: a login, or another's su to them.
            if timeline.open_at(t) + self.privilege.switched_to(host, user, t) > 1:
                return f" (ambiguous: another session of {user} was open too)"
            return doubt

        out = []
        for step in steps[bisect_left(times, start):last]:
            what = prefix + step.what + shared(step.time)
            out.append((SWITCH_DEPTH - depth, step, replace(step, what=what) if what != step.what else step))
        if depth > 1:
            for switch in self.privilege.by_user.get((host, user), ()):
                if start <= switch.time and (end is None or switch.time <= end):
                    ends = [t for t in (switch.ended, end) if t is not None]
                    out += self._during(host, switch.to, switch.time, min(ends) if ends else None, depth - 1,
                                        f"{prefix}as {switch.to}: ", shared(switch.time))
        return out

    def _timeline(self, host: str, user: str) -> _Timeline:
        """The user's steps and logins on the host, sorted once the replay is over."""
        key = (host, user)
        found = self._timelines.get(key)
        if found is None:
            found = self._timelines[key] = _Timeline(list(self.steps.get(key, {}).values()), self.logins.get(key, []),
                                                     self.privilege.local.get(key, []))
        return found

    def lines(self) -> list[str]:
        """The summary a line at a time. A value from the log may hold a line break of its
        own: whoever prints a line escapes it whole, so such a value cannot forge a line."""
        attacks = self.attacked()
        untold = self.untold(attacks)
        out = ["== Summary: who attacked, whether they got in, and what they did next (times in UTC) =="]
        if not attacks and not untold:
            return [*out, "No source brute-forced a host."]
        if not attacks:
            out.append("No source brute-forced a host.")
        for a in attacks:
            shown = ", ".join(map(_name, list(a.users)[:6]))
            users = (shown + (", ..." if len(a.users) > 6 else "")) or "no user named"
            rules = ", ".join(map(str, sorted(a.rules)))
            failed = (f" failed {counted(a.attempts, 'login')} ({users}) between "
                      f"{when(a.failed_from)} and {when(a.last)}" if a.attempts else " (no failed login)")
            named = f" (PAM named it {', '.join(a.aliases)})" if a.aliases else ""
            out.append(f"{a.host}: {a.shown}{named}{failed}" + (f" [rules {rules}]" if rules else ""))
            for step in a.knew:
                out.append(f"    {when(step.time)}  {step.what} [rules {', '.join(map(str, sorted(step.rules)))}]")
            if not a.logins:
                named = " (under this name: sshd logs addresses)" if a.named else ""
                out.append(f"    no login from it succeeded{named}")
            for login in a.logins:
                address = f" from {login.source}" if login.source != a.shown else ""  # one of a network's
                out.append(f"    {a.lead(login)} as {login.user} ({login.how}){address} at {when(login.time)} "
                           f"[rules {', '.join(map(str, sorted(login.rules)))}]")
                steps = self.afterwards(a, login)
                if not steps:
                    out.append(f"    {login.user} did nothing Logward saw with su, sudo or accounts")
                shown = shown_steps(steps)
                for step in shown:
                    out.append(f"      {when(step.time)}  {login.user}: {step.what} "
                               f"[rules {', '.join(map(str, sorted(step.rules)))}]")
                if len(steps) > len(shown):
                    out.append(f"      ... and {len(steps) - len(shown)} more (the alerts have them all)")
                down = self.ended_by_shutdown(a.host, login)
                if down is not None:
                    out.append(f"      {when(down.time)}  {SHUT_DOWN.format(host=a.host)}")
        if untold:
            out.append("Grave changes no login above tells (a root session at a terminal, a session whose login "
                       "the log does not show, a delayed job), with who was logged in then:")
        for host, user, step in untold:
            rules = ", ".join(map(str, sorted(step.rules)))
            out.append(f"    {host}: {when(step.time)}  {untold_what(user, step)} [rules {rules}]")
            present = self.present(host, step.time)
            nobody = f"      nobody Logward saw was logged in then{self.since_down(host, step.time)}"
            out.append(f"      logged in then: {', '.join(present[:5])}" + (", ..." if len(present) > 5 else "")
                       if present else nobody)
        doubted = self.doubted()
        if doubted:
            out.append(f"{DOUBTED}:")
        out += [f"    {line}" for line in doubted]
        return out

    def doubted(self) -> list[str]:
        """The shutdowns proved false, a line each (the text summary's and the HTML report's)."""
        out = []
        for host, downs in self.downs.items():
            for down in downs:
                if down.disproved is not None:
                    t, pid = down.disproved
                    out.append(f"{host}: {when(down.time)}  the host is going down, said a line; yet process {pid}, "
                               f"whose session it would have ended, closed it at {when(t)}: the sessions are taken "
                               "as open")
        return out

    def ended_by_shutdown(self, host: str, login: Login) -> Down | None:
        return next((down for down in self.downs.get(host, ()) if down.disproved is None
                     and login.ended == down.time and any(login is ended for ended in down.logins)), None)

    def since_down(self, host: str, at: float) -> str:
        """Which shutdown before that moment ended whose logins: the sessions that were open."""
        down = max((down for down in self.downs.get(host, ()) if down.disproved is None and down.time <= at),
                   key=lambda down: down.time, default=None)
        if down is None or not down.logins:
            return ""
        whose = ", ".join(f"{login.user} from {login.source or '?'}" for login in down.logins[:5])
        return f" (the host went down at {when(down.time)}, ending the logins of {whose}" + (
            ", ..." if len(down.logins) > 5 else "") + ")"
