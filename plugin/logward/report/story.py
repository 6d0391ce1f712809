"""The questions an investigation starts with, answered from a stream of alerts.

Which sources brute-forced which host? Did a login then succeed, as whom? And what did
that user do next with su, sudo and accounts? `Story` watches the alerts of a replay and
answers in a few lines per source, so the answer does not have to be dug out of hundreds
of alerts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ..engine.detect import Alert

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


_PATHS: dict[str, tuple[str, ...]] = {}


def _get(doc: dict[str, Any], path: str) -> Any:
    keys = _PATHS.get(path)
    if keys is None:
        keys = _PATHS[path] = tuple(path.split("."))
    node: Any = doc
    try:
        if len(keys) == 2:  # most of the story's fields: no loop
            return doc[keys[0]][keys[1]]
        for key in keys:
            node = node[key]
    except (KeyError, TypeError):
        return None
    return node


def when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))


@dataclass
class Login:
    user: str
    time: float
    how: str
    rules: set[int] = field(default_factory=set)


@dataclass
class Step:
    time: float
    what: str
    rules: set[int] = field(default_factory=set)


@dataclass
class Attack:
    host: str
    source: str
    failures: int = 0  # sshd's own failure lines
    other_failures: int = 0  # PAM's (sshd logs one beside its own for the same attempt) and others'
    users: dict[str, None] = field(default_factory=dict)  # in the order they were tried
    first: float = 0.0  # its earliest alert: attacks are told in this order
    failed_from: float = float("inf")  # its earliest and latest failure (files may come
    last: float = float("-inf")  # in any order, so neither is simply the first or last seen)
    rules: set[int] = field(default_factory=set)  # the brute-force rules that fired
    logins: list[Login] = field(default_factory=list)
    knew: list[Step] = field(default_factory=list)  # proofs that it holds a credential root accepts

    @property
    def attempts(self) -> int:
        """Failed logins, each once: sshd's lines where there are any (PAM's then repeat
        them), else those of PAM and other services."""
        return self.failures or self.other_failures


def _describe(alert: Alert) -> str:
    doc, action = alert.event, _get(alert.event, "event.action") or ""
    target = _get(doc, "user.target.name") or _get(doc, "user.effective.name")
    if action == "sudo_command":
        return f"sudo as {target}: {_get(doc, 'system.auth.sudo.command')}"
    if action.startswith("sudo_"):
        error = _get(doc, "system.auth.sudo.error") or action
        return f"sudo refused ({error}): {_get(doc, 'system.auth.sudo.command')}"
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
    return alert.rule.title


def _either(names: list[str]) -> str:
    """"a or b", "a, b or c"."""
    return f"{', '.join(names[:-1])} or {names[-1]}"


SWITCHES = ("sudo", "sudo-i", "su", "su-l", "runuser", "runuser-l")
_SESSION_ACTIONS = frozenset({"pam_session_opened", "pam_session_closed"})


class Story:
    def __init__(self) -> None:
        self.attacks: dict[tuple[str, str], Attack] = {}
        self.steps: dict[tuple[str, str], dict[tuple[float, str], Step]] = defaultdict(dict)
        # Who holds a root session (through sudo or su) on each host right now, as (pid of
        # the sudo or su process, user), oldest first: account changes name the account,
        # not who made them, so they go to these users.
        self.root_sessions: dict[str, list[tuple[int | None, str]]] = defaultdict(list)

    def add(self, doc: dict[str, Any], alerts: list[Alert]) -> None:
        event = doc.get("event")
        action = event.get("action") if event.__class__ is dict else None
        if action in _SESSION_ACTIONS and _get(doc, "logward.pam.service") in SWITCHES \
                and _get(doc, "user.target.name") == "root":
            self._root_session(doc, action)
        for alert in alerts:
            self._add(alert)

    def _root_session(self, doc: dict[str, Any], action: str) -> None:
        """Open or close a root session. The close line names only root, not who opened
        it, so its pid says which session ended; without a pid, the latest one did."""
        sessions = self.root_sessions[_get(doc, "host.hostname") or "-"]
        pid, user = _get(doc, "process.pid"), _get(doc, "user.name")
        if action == "pam_session_opened":
            if user:
                sessions.append((pid, user))
            return
        ended = [i for i, (opened_by, _) in enumerate(sessions) if pid is None or opened_by == pid]
        if ended:  # a pid never seen opening was opened before the log began: nothing to close
            del sessions[ended[-1]]

    def root_users(self, host: str) -> list[str]:
        """Who holds an open root session on the host, each once, oldest first."""
        return list(dict.fromkeys(user for _, user in self.root_sessions.get(host, ())))

    def _add(self, alert: Alert) -> None:
        known = _GROUPS.get(alert.rule.id)
        if known is None:
            groups = frozenset(alert.rule.groups)
            known = _GROUPS[alert.rule.id] = (groups, bool(groups & _RELEVANT), bool(groups & AFTERWARDS))
        groups, relevant, afterwards = known
        if not relevant:
            return
        doc = alert.event
        host = _get(doc, "host.hostname") or "-"
        source = _get(doc, "source.address") or _get(doc, "source.ip")  # as logged: PAM may name a host
        user = _get(doc, "user.name")
        if source:
            attack = self.attacks.get((host, source))
            if attack is None:
                attack = self.attacks[(host, source)] = Attack(host, source, first=alert.time)
            elif alert.time < attack.first:
                attack.first = alert.time
            if FAILED in groups and alert.rule.kind == "event":
                if _get(doc, "event.action") == "ssh_login":
                    attack.failures += 1
                else:
                    attack.other_failures += 1
                attack.failed_from = min(attack.failed_from, alert.time)
                attack.last = max(attack.last, alert.time)
                if user:
                    attack.users[user] = None
            if BRUTE_FORCE in groups:
                attack.rules.add(alert.rule.id)
            if SUCCESS in groups and user:
                self._login(attack, user, alert)
            if KNEW in groups:
                attack.knew.append(Step(alert.time, "used a credential root accepts (a key, most likely): sshd "
                                                    "refused it only because root may not log in",
                                        {alert.rule.id}))
        if not afterwards:
            return
        actors, what = [user] if user else [], _describe(alert)
        if groups & _ACCOUNTS and (holders := self.root_users(host)):
            # Nothing in the line says which root session made the change: with several
            # open, each holder's story keeps it, marked, rather than only the latest's.
            actors = holders
            what += " (as root)" if len(holders) == 1 else f" (as root, ambiguous: root session of {_either(holders)})"
        for actor in actors:
            step = self.steps[(host, actor)].setdefault((alert.time, what), Step(alert.time, what))
            step.rules.add(alert.rule.id)

    @staticmethod
    def _login(attack: Attack, user: str, alert: Alert) -> None:
        for login in attack.logins:
            if login.user == user and abs(login.time - alert.time) < 1:
                login.rules.add(alert.rule.id)
                return
        how = _get(alert.event, "system.auth.ssh.method") or "login"
        attack.logins.append(Login(user, alert.time, how, {alert.rule.id}))

    def attacked(self) -> list[Attack]:
        """Sources a brute-force rule fired for, or that proved to hold a credential root accepts, in the
        order their attacks began."""
        return sorted((a for a in self.attacks.values() if a.rules or a.knew), key=lambda a: a.first)

    def afterwards(self, attack: Attack, login: Login) -> list[Step]:
        steps = self.steps.get((attack.host, login.user), {})
        return sorted((s for s in steps.values() if s.time >= login.time), key=lambda s: s.time)

    def text(self) -> str:
        attacks = self.attacked()
        if not attacks:
            return "== Summary ==\nNo source brute-forced a host.\n"
        out = ["== Summary: who attacked, whether they got in, and what they did next =="]
        for a in attacks:
            users = (", ".join(list(a.users)[:6]) + (", ..." if len(a.users) > 6 else "")) or "no user named"
            rules = ", ".join(map(str, sorted(a.rules)))
            failed = (f" failed {a.attempts} login{'s' if a.attempts != 1 else ''} ({users}) between "
                      f"{when(a.failed_from)} and {when(a.last)}" if a.attempts else "")
            out.append(f"{a.host}: {a.source}{failed}" + (f" [rules {rules}]" if rules else ""))
            for step in a.knew:
                out.append(f"    {when(step.time)}  {step.what} [rules {', '.join(map(str, sorted(step.rules)))}]")
            if not a.logins:
                out.append("    no login from it succeeded")
            for login in a.logins:
                out.append(f"    then logged in as {login.user} ({login.how}) at {when(login.time)} "
                           f"[rules {', '.join(map(str, sorted(login.rules)))}]")
                steps = self.afterwards(a, login)
                if not steps:
                    out.append(f"    {login.user} did nothing Logward saw with su, sudo or accounts")
                for step in steps:
                    out.append(f"      {when(step.time)}  {login.user}: {step.what} "
                               f"[rules {', '.join(map(str, sorted(step.rules)))}]")
        return "\n".join(out) + "\n"
