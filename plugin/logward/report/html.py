"""`logward replay --html`: the replay's findings as one self-contained HTML page.

An analyst opens the file from a laptop, an evidence share or an air-gapped box, so it
fetches nothing: CSS is inline, the charts are inline SVG drawn here (they render with
JavaScript off), and a Content-Security-Policy forbids every fetch. It tells the same story
as the text summary (`Story`): when alerts came, from where, who brute-forced which host,
whether they got in and what they did next, then the alerts themselves.

Everything from a log is attacker-controlled text, so every value is escaped, and control
and bidirectional characters are shown as escapes instead of being rendered.

Memory stays bounded for replays of millions of lines: the charts keep counts (time buckets
grow coarser as the time range grows, the busiest sources are kept), and the alert table
keeps at most `max_rows` rows: the most severe alerts, the earliest among equals.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import html
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine import PROBLEM_TAGS, own_time
from ..engine.detect import Alert
from .story import DOUBTED, SHUT_DOWN, STEPS_SHOWN, Attack, Story, counted_source, shown_steps, untold_what

BANDS = ("low", "medium", "high", "critical")
BAND_RANGES = ("0–6", "7–9", "10–12", "13–15")
COLORS = ("#8fb0d3", "#f0ad2d", "#e8590c", "#b3001b")
# Characters of a source shown in the top-sources chart: any IPv6 address, whole.
LABEL_CHARS = 40
_BAND_OF = tuple(0 if level <= 6 else 1 if level <= 9 else 2 if level <= 12 else 3 for level in range(16))

# Documents whose @timestamp is when they were shipped, not the log's, do not count toward
# the time range; the problems are those replay reports.
_PROBLEMS = frozenset(PROBLEM_TAGS)
_PRIVILEGE = frozenset({"sudo", "su", "privilege_use", "privilege_change"})
# Bucket widths, each a multiple of the one before, so buckets merge exactly when coarsened.
_WIDTHS = (1, 5, 10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400, 604800)
# C0/C1 controls (but tab) and the characters that reorder or hide text ("Trojan Source").
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")


def band(level: int) -> int:
    """The severity band (index into BANDS) of a rule level."""
    return _BAND_OF[min(max(level, 0), 15)]


def esc(value: Any) -> str:
    """Text from a log made safe for HTML and SVG, with invisible tricks made visible."""
    text = "" if value is None else str(value)
    text = _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) > 0xFF else f"\\x{ord(m.group()):02x}",
                       text)
    return html.escape(text, quote=True)


def when(seconds: float) -> str:
    """As `story.when`, but a broken time shows as "?" instead of failing the whole report."""
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(seconds))
    except (ValueError, OverflowError, OSError):
        return "?"


def duration(seconds: float) -> str:
    """A length of time in its two largest units: "1 min 9 s", "30 d 7 h"."""
    seconds = int(seconds)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    for i, (unit, size) in enumerate(units):
        if seconds >= size or unit == "s":
            out = f"{seconds // size} {unit}"
            if i + 1 < len(units) and (rest := seconds % size // units[i + 1][1]):
                out += f" {rest} {units[i + 1][0]}"
            return out
    return ""


def _field(doc: dict[str, Any], path: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _text(value: Any, limit: int = 200) -> str:
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit} more characters]"


@dataclass(slots=True)
class _Source:
    total: int = 0
    bands: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    hosts: dict[str, None] = field(default_factory=dict)


@dataclass(slots=True)
class _RuleSeen:
    title: str
    level: int
    groups: frozenset[str]
    mitre: tuple[str, ...]
    count: int = 0


# (time, rule id, level, title, host, source, user, log line); kept instead of documents.
Row = tuple[float, int, int, str, str, str, str, str]


class HtmlReport:
    """Collects what the HTML report needs from a replay, one log line at a time."""

    max_rows = 5000  # alert table
    max_first_time = 1000  # first-time-seen alerts listed
    max_sources = 50_000  # distinct sources (source.address) tracked before the quietest are dropped
    max_buckets = 2048  # time buckets kept before they are merged into wider ones
    max_bars = 72  # bars drawn in the alerts-over-time chart
    max_line = 2000  # characters kept of a log line

    def __init__(self, title: str = "Logward replay", story: Story | None = None) -> None:
        """`story`: one the caller already feeds (replay's text summary), so it is built once."""
        self.title = title
        self.story = story if story is not None else Story()
        self._feeds_story = story is None
        self.lines = 0
        self.problems = 0
        self.alerts = 0
        self.bands = [0, 0, 0, 0]
        self.earliest: float | None = None  # seconds since the epoch: @timestamp may carry any offset
        self.latest: float | None = None
        self.width = 1  # seconds per bucket
        self.buckets: dict[int, list[int]] = {}
        self.sources: dict[str, _Source] = {}
        self.sources_pruned = False
        self.rules: dict[int, _RuleSeen] = {}
        self.first_time: list[Row] = []
        self.first_time_total = 0
        self._rows: list[tuple[int, int, Row]] = []  # min-heap on (level, -order)

    def add(self, doc: dict[str, Any], alerts: list[Alert]) -> None:
        """Count one log line and its alerts; called for every line, in order."""
        self.lines += 1
        tags = doc.get("tags")
        if tags and not _PROBLEMS.isdisjoint(tags):
            self.problems += 1
        stamp = own_time(doc)
        if stamp is not None:
            if self.earliest is None or stamp < self.earliest:
                self.earliest = stamp
            if self.latest is None or stamp > self.latest:
                self.latest = stamp
        if self._feeds_story:
            self.story.add(doc, alerts)
        for alert in alerts:
            self._alert(alert)

    def _alert(self, alert: Alert) -> None:
        rule, event = alert.rule, alert.event
        self.alerts += 1
        b = band(rule.level)
        self.bands[b] += 1
        seen = self.rules.get(rule.id)
        if seen is None:
            seen = self.rules[rule.id] = _RuleSeen(rule.title, rule.level, frozenset(rule.groups), tuple(rule.mitre))
        seen.count += 1
        if math.isfinite(alert.time):  # a broken timestamp still counts, just not on the time axis
            key = int(alert.time // self.width)
            counts = self.buckets.get(key)
            if counts is None:
                counts = self.buckets[key] = [0, 0, 0, 0]
                if len(self.buckets) > self.max_buckets:
                    self._coarsen()
                    counts = self.buckets[int(alert.time // self.width)]
            counts[b] += 1
        host = _text(_field(event, "host.hostname")) or "-"
        source = _text(_field(event, "source.address") or _field(event, "source.ip"))
        if source:  # counted as the summary counts it: an IPv6 client by its /64 network
            self._source(_text(counted_source(event)), host, b)
        row: Row | None = None
        if "first_time_seen" in seen.groups:
            self.first_time_total += 1
            if len(self.first_time) < self.max_first_time:
                row = self._row(alert, host, source)
                self.first_time.append(row)
        entry = (rule.level, -self.alerts)
        if len(self._rows) < self.max_rows:
            heapq.heappush(self._rows, (*entry, row or self._row(alert, host, source)))
        elif entry > self._rows[0][:2]:
            heapq.heapreplace(self._rows, (*entry, row or self._row(alert, host, source)))

    def _row(self, alert: Alert, host: str, source: str) -> Row:
        event = alert.event
        line = _field(event, "event.original") or event.get("message")
        return (alert.time, alert.rule.id, alert.rule.level, alert.rule.title, host, source,
                _text(_field(event, "user.name")), _text(line, self.max_line))

    def _source(self, ip: str, host: str, b: int) -> None:
        source = self.sources.get(ip)
        if source is None:
            source = self.sources[ip] = _Source()
            if len(self.sources) > self.max_sources:
                # Keep the busiest half: the chart shows the top ten, not the long tail.
                keep = sorted(self.sources.items(), key=lambda kv: kv[1].total, reverse=True)
                self.sources = dict(keep[: self.max_sources // 2])
                self.sources[ip] = source
                self.sources_pruned = True
        source.total += 1
        source.bands[b] += 1
        if len(source.hosts) <= 5:  # a sixth only says there are more
            source.hosts[host] = None

    def _coarsen(self) -> None:
        while len(self.buckets) > self.max_buckets:
            wider = _next_width(self.width)
            merged: dict[int, list[int]] = {}
            for key, counts in self.buckets.items():
                into = merged.setdefault(key * self.width // wider, [0, 0, 0, 0])
                for i in range(4):
                    into[i] += counts[i]
            self.width, self.buckets = wider, merged

    @property
    def rows(self) -> list[Row]:
        """The kept alert rows, oldest first (in log order among equal times: files may overlap)."""
        return [r for _, _, r in sorted(self._rows, key=lambda e: (e[2][0], -e[1]))]

    def write(self, path: str | Path) -> None:
        """Write the report as one HTML file that needs nothing else to display."""
        Path(path).write_text(self.html(), encoding="utf-8", errors="replace")

    def html(self) -> str:
        script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode()).digest()).decode()
        csp = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"
        attacks = self.story.attacked()  # worked out once: three sections tell them
        body = [self._header(), self._nav(), self._timeline(), self._top_sources(attacks),
                self._brute_force(attacks), self._first_time(attacks), self._rule_table(), self._alert_table()]
        return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
                f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                f"<title>{esc(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
                + "\n".join(body) + f"\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")

    # -- sections ------------------------------------------------------------------------------

    def _range(self) -> tuple[float, float] | None:
        if self.earliest is None or self.latest is None:
            return None
        return self.earliest, self.latest

    def _header(self) -> str:
        covered = self._range()
        span = (f"{when(covered[0])} – {when(covered[1])} UTC ({duration(covered[1] - covered[0])})"
                if covered else "no timestamped lines")
        cards = [_card("Log lines", self.lines), _card("Alerts", self.alerts)]
        cards += [_card(f"{name.title()} <small>level {BAND_RANGES[i]}</small>", self.bands[i], f"band-{name}")
                  for i, name in reversed(list(enumerate(BANDS)))]
        cards.append(_card("Sources", len(self.sources)))
        if self.problems:
            cards.append(_card("Lines not understood", self.problems, "problem"))
        return (f'<header id="summary"><h1>{esc(self.title)}</h1>'
                f'<p class="range">Time covered: <strong id="time-range">{span}</strong></p>'
                f'<div class="cards">{"".join(cards)}</div></header>')

    @staticmethod
    def _nav() -> str:
        links = [("timeline", "Alerts over time"), ("sources", "Top sources"), ("brute-force", "Attacks"),
                 ("first-time", "First-time privilege use"), ("rules", "Rules"), ("alert-list", "Alerts")]
        return "<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t in links) + "</nav>"

    def _timeline(self) -> str:
        head = '<section id="timeline"><h2>Alerts over time</h2>'
        if not self.buckets:
            return head + _empty_svg("alerts-over-time", "No alerts") + "</section>"
        width = self.width
        lo, hi = min(self.buckets) * self.width, max(self.buckets) * self.width
        covered = self._range()
        if covered:  # quiet stretches of the log show as gaps, not as a shorter axis
            lo, hi = min(lo, int(covered[0])), max(hi, int(covered[1]))
        while (hi // width - lo // width + 1) > self.max_bars:
            width = _next_width(width)
        start = lo // width
        bars = [[0, 0, 0, 0] for _ in range(hi // width - start + 1)]
        for key, counts in self.buckets.items():
            bar = bars[key * self.width // width - start]
            for i in range(4):
                bar[i] += counts[i]
        return (head + _bar_chart(bars, start * width, width)
                + f'<p class="note">Each bar is {duration(width)} (UTC), stacked by severity band. {_legend()}</p>'
                + "</section>")

    def _top_sources(self, attacks: list[Attack]) -> str:
        head = '<section id="sources"><h2>Top sources</h2>'
        top = sorted(self.sources.items(), key=lambda kv: (-kv[1].total, kv[0]))[:10]
        if not top:
            return head + _empty_svg("top-sources", "No alert named a source address") + "</section>"
        failures: dict[str, int] = {}
        got_in: dict[str, dict[str, None]] = {}
        shown: dict[str, Attack] = {}  # the attack whose name for the source says most
        attacked = {id(attack) for attack in attacks}  # as the summary tells them
        for (_, ip), attack in self.story.attacks.items():
            failures[ip] = failures.get(ip, 0) + attack.attempts
            if ip not in shown or len(attack.members) > len(shown[ip].members):
                shown[ip] = attack
            if id(attack) in attacked:
                for login in attack.logins:
                    if not attack.earlier(login):
                        got_in.setdefault(ip, {})[login.user] = None
        # The label column fits the longest address (monospace, about 8.5 units a character
        # at the chart's scale): cut on the left, "2001:db8:dead:beef::10" read as another
        # address. Names longer than an IPv6 address are shortened at their end.
        names = {ip: shown[ip].shown if ip in shown else ip for ip, _ in top}
        labels = {ip: name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…" for ip, name in names.items()}
        row_h, bar_w = 30, 360
        label_w = max(140, round(20 + 8.5 * max(len(label) for label in labels.values())))
        most = top[0][1].total
        parts = [f'<svg id="top-sources" class="chart" viewBox="0 0 1000 {row_h * len(top) + 10}" role="img" '
                 f'aria-label="Alerts per source address">']
        for n, (ip, source) in enumerate(top):
            y = 5 + n * row_h
            parts.append(f'<g class="source"><title>{esc(names[ip])}: {_count(source.total, "alert")}</title>'
                         f'<text x="{label_w - 10}" y="{y + 19}" text-anchor="end" class="ip">{esc(labels[ip])}</text>')
            x = float(label_w)
            for i, count in enumerate(source.bands):
                if count:
                    w = max(bar_w * count / most, 1.5)
                    parts.append(f'<rect class="bar band-{BANDS[i]}" x="{x:.1f}" y="{y + 5}" width="{w:.1f}" '
                                 f'height="{row_h - 10}" fill="{COLORS[i]}"><title>{esc(ip)}: {count} '
                                 f'{BANDS[i]}</title></rect>')
                    x += w
            hosts = ", ".join(list(source.hosts)[:5]) + (", …" if len(source.hosts) > 5 else "")
            detail = f"{_count(source.total, 'alert')} · {_count(failures.get(ip, 0), 'failed login')} · {hosts}"
            parts.append(f'<text x="{x + 8:.1f}" y="{y + 19}" class="detail">{esc(detail)}')
            if ip in got_in:
                parts.append(f'<tspan class="got-in" dx="8">▲ got in as {esc(", ".join(got_in[ip]))}</tspan>')
            parts.append("</text></g>")
        parts.append("</svg>")
        note = ' <span class="warn">More sources than could be tracked: the quietest were dropped.</span>' \
            if self.sources_pruned else ""
        which = "The source address" if len(top) == 1 else f"The {len(top)} source addresses"
        return (head + "".join(parts) + f'<p class="note">{which} with the most alerts, '
                f"with the failed logins the summary counts and the hosts they hit.{note} {_legend()}</p></section>")

    def _brute_force(self, attacks: list[Attack]) -> str:
        out = ['<section id="brute-force"><h2>Who attacked, whether they got in, and what they did next</h2>']
        if not attacks:
            out.append('<p class="quiet">No source brute-forced a host.</p>')
        for attack in attacks:
            out.append(self._attack(attack))
        untold = self.story.untold(attacks)
        if untold:
            out.append('<h3>Grave changes no login above tells</h3>'
                       '<p>A root session at a terminal, a session whose login the log does not show, a delayed '
                       'job: whose change it was, and who was logged in then.</p>'
                       '<table id="unclaimed"><thead><tr><th>Time (UTC)</th><th>Host</th><th>What</th><th>Rules</th>'
                       "<th>Logged in then</th></tr></thead><tbody>")
            for host, user, step in untold:
                present = (", ".join(self.story.present(host, step.time))
                           or f"nobody Logward saw{self.story.since_down(host, step.time)}")
                out.append(f"<tr><td>{when(step.time)}</td><td>{esc(host)}</td><td>{esc(untold_what(user, step))}</td>"
                           f"<td>{self._rule_ids(step.rules)}</td><td>{esc(present)}</td></tr>")
            out.append("</tbody></table>")
        doubted = self.story.doubted()
        if doubted:
            out.append(f'<h3>{esc(DOUBTED)}</h3><ul id="doubted">'
                       + "".join(f"<li>{esc(line)}</li>" for line in doubted) + "</ul>")
        out.append("</section>")
        return "".join(out)

    def _attack(self, a: Attack) -> str:
        won = [x.user for x in a.logins if not a.earlier(x)]
        status = (f'<span class="badge bad">got in as {esc(", ".join(dict.fromkeys(won)))}</span>' if won else
                  '<span class="badge ok">no login succeeded after the failures</span>' if a.logins else
                  '<span class="badge ok">no login succeeded</span>')
        users = list(a.users)
        shown = ", ".join(f"<code>{esc(u)}</code>" for u in users[:30]) + (f" and {len(users) - 30} more"
                                                                           if len(users) > 30 else "")
        out = [f'<article class="attack" data-source="{esc(a.source)}"><h3><code>{esc(a.shown)}</code> → '
               f"<code>{esc(a.host)}</code> {status}</h3>"
               + (f"<p>Failed <strong>{a.attempts}</strong> login{'s' if a.attempts != 1 else ''} between "
                  f"{when(a.failed_from)} and {when(a.last)} UTC ({duration(a.last - a.failed_from)}), trying "
                  f"{len(users)} user name{'s' if len(users) != 1 else ''}: {shown or '–'}.</p>" if a.attempts
                  else "<p>No failed login from it.</p>")
               + f"<p>Brute-force rules: {self._rule_ids(a.rules)}</p>"]
        out += [f'<p class="knew"><span class="badge bad">{when(step.time)} UTC: {esc(step.what)}</span> — rules '
                f"{self._rule_ids(step.rules)}</p>" for step in a.knew]
        for login in a.logins:
            lead = a.lead(login)
            out.append(f'<div class="login"><p class="then">{lead.capitalize()} as <strong><code>'
                       f"{esc(login.user)}</code></strong> ({esc(login.how)}) at {when(login.time)} UTC — rules "
                       f"{self._rule_ids(login.rules)}</p>")
            steps = self.story.afterwards(a, login)
            if not steps:
                out.append(f'<p class="quiet">{esc(login.user)} did nothing Logward saw with su, sudo or '
                           f"accounts.</p>")
            else:
                out.append('<table class="steps"><thead><tr><th>Time (UTC)</th><th>What</th><th>Rules</th></tr>'
                           "</thead><tbody>")
                shown = shown_steps(steps)
                for step in shown:
                    out.append(f"<tr><td>{when(step.time)}</td><td>{esc(login.user)}: {esc(step.what)}</td>"
                               f"<td>{self._rule_ids(step.rules)}</td></tr>")
                out.append("</tbody></table>")
                if len(steps) > len(shown):
                    out.append(f'<p class="note">… and {len(steps) - len(shown):,} more (the alert list has '
                               f"them).</p>")
            down = self.story.ended_by_shutdown(a.host, login)
            if down is not None:
                out.append(f'<p class="note">{when(down.time)} UTC: {esc(SHUT_DOWN.format(host=a.host))}</p>')
            out.append("</div>")
        out.append("</article>")
        return "".join(out)

    def _first_time(self, attacks: list[Attack]) -> str:
        out = ['<section id="first-time"><h2>First-time privilege use</h2>'
               "<p>Alerts for things a user did for the first time on a host (first login, first sudo), "
               "privilege use first.</p>"]
        if not self.first_time:
            out.append('<p class="quiet">No first-time-seen alert fired.</p>')
        else:
            rows = sorted(self.first_time, key=lambda r: (not self._privileged(r[1]), r[0]))
            out.append('<table id="first-time-alerts"><thead><tr><th>Time (UTC)</th><th>Rule</th><th>Level</th>'
                       "<th>What</th><th>Host</th><th>User</th><th>Source</th></tr></thead><tbody>")
            for t, rule_id, level, title, host, source, user, _ in rows:
                mark = ' class="privilege"' if self._privileged(rule_id) else ""
                out.append(f"<tr{mark}><td>{when(t)}</td><td>{self._rule_ids({rule_id})}</td><td>{_level(level)}</td>"
                           f"<td>{esc(title)}</td>"
                           f"<td>{esc(host)}</td><td><code>{esc(user)}</code></td><td>{esc(source)}</td></tr>")
            out.append("</tbody></table>")
            if self.first_time_total > len(self.first_time):
                out.append(f'<p class="note warn">Listing the first {len(self.first_time):,} of '
                           f"{self.first_time_total:,} first-time-seen alerts.</p>")
        switches = []
        for attack in attacks:
            for login in (x for x in attack.logins if not attack.earlier(x)):
                switched = [step for step in self.story.afterwards(attack, login)
                            if re.match(r"(as \S+: )*(sudo|su |failed su )", step.what)]
                switches += [(attack, login, step) for step in switched[:STEPS_SHOWN]]
        out.append("<h3>su and sudo after the attackers' logins</h3>")
        if not switches:
            out.append('<p class="quiet">No su or sudo after a login of a source that attacked.</p>')
        else:
            out.append('<table id="switches"><thead><tr><th>Time (UTC)</th><th>Host</th><th>User</th><th>What</th>'
                       "<th>Rules</th></tr></thead><tbody>")
            for attack, login, step in switches:
                first = any("first_time_seen" in seen.groups for r in step.rules if (seen := self.rules.get(r)))
                badge = ' <span class="badge bad">first time</span>' if first else ""
                out.append(f"<tr><td>{when(step.time)}</td><td>{esc(attack.host)}</td><td><code>{esc(login.user)}"
                           f"</code></td><td>{esc(step.what)}{badge}</td><td>{self._rule_ids(step.rules)}</td></tr>")
            out.append("</tbody></table>")
        out.append("</section>")
        return "".join(out)

    def _rule_table(self) -> str:
        out = ['<section id="rules"><h2>Rules that fired</h2><table id="rule-counts"><thead><tr><th>Rule</th>'
               "<th>Level</th><th>Title</th><th>Alerts</th><th>MITRE ATT&amp;CK</th></tr></thead><tbody>"]
        for rule_id, seen in sorted(self.rules.items(), key=lambda kv: (-kv[1].level, -kv[1].count, kv[0])):
            mitre = " ".join(_mitre_link(t) for t in seen.mitre)
            out.append(f'<tr><td id="rule-{rule_id}">{rule_id}</td><td>{_level(seen.level)}</td>'
                       f"<td>{esc(seen.title)}</td><td>{seen.count:,}</td><td>{mitre}</td></tr>")
        out.append("</tbody></table></section>")
        return "".join(out)

    def _alert_table(self) -> str:
        rows = self.rows
        out = ['<section id="alert-list"><h2>Alerts</h2>']
        if self.alerts > len(rows):
            lowest = min(r[2] for r in rows) if rows else 0
            out.append(f'<p class="note warn" id="capped">The table holds {len(rows):,} of {self.alerts:,} alerts: '
                       f"every alert of level {lowest + 1} and above, and the earliest of level {lowest}. "
                       f"The charts and counts include all of them.</p>")
        out.append('<div class="filters" hidden><input id="filter" type="search" placeholder="Filter rows…" '
                   'aria-label="Filter rows"> <label>Minimum level <select id="min-level">'
                   + "".join(f'<option value="{n}">{n}</option>' for n in range(16))
                   + '</select></label> <span id="shown"></span></div>')
        out.append('<table id="alerts"><thead><tr><th>Time (UTC)</th><th>Rule</th><th>Level</th><th>Title</th>'
                   "<th>Host</th><th>Source IP</th><th>User</th><th>Log line</th></tr></thead><tbody>")
        for t, rule_id, level, title, host, source, user, line in rows:
            out.append(f'<tr data-level="{level}"><td class="nowrap">{when(t)}</td><td>{rule_id}</td>'
                       f"<td>{_level(level)}</td><td>{esc(title)}</td><td>{esc(host)}</td><td>{esc(source)}</td>"
                       f'<td><code>{esc(user)}</code></td><td><code class="line">{esc(line)}</code></td></tr>')
        out.append("</tbody></table></section>")
        return "".join(out)

    def _privileged(self, rule_id: int) -> bool:
        seen = self.rules.get(rule_id)
        return bool(seen and seen.groups & _PRIVILEGE)

    def _rule_ids(self, ids: set[int]) -> str:
        out = []
        for rule_id in sorted(ids):
            seen = self.rules.get(rule_id)
            if seen is None:  # below --min-level: in the story, not in the rule table
                out.append(str(rule_id))
                continue
            title = f' title="{esc(seen.title)} (level {seen.level})"'
            out.append(f'<a class="rule" href="#rule-{rule_id}"{title}>{rule_id}</a>')
        return ", ".join(out) or "–"


def _next_width(width: int) -> int:
    for w in _WIDTHS:
        if w > width:
            return w
    return width * 2


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _card(label: str, value: int, cls: str = "") -> str:
    return f'<div class="card {cls}"><div class="value">{value:,}</div><div class="label">{label}</div></div>'


def _level(level: int) -> str:
    name = BANDS[band(level)]
    return f'<span class="level band-{name}" title="{name}">{level}</span>'


def _mitre_link(technique: str) -> str:
    if not re.fullmatch(r"T\d{4}(\.\d{3})?", technique):
        return esc(technique)
    return f'<a href="https://attack.mitre.org/techniques/{technique.replace(".", "/")}/">{technique}</a>'


def _legend() -> str:
    return " ".join(f'<span class="key"><i style="background:{COLORS[i]}"></i>{name} ({BAND_RANGES[i]})</span>'
                    for i, name in enumerate(BANDS))


def _empty_svg(svg_id: str, text: str) -> str:
    return (f'<svg id="{svg_id}" class="chart empty" viewBox="0 0 1000 80" role="img" aria-label="{esc(text)}">'
            f'<text x="500" y="45" text-anchor="middle">{esc(text)}</text></svg>')


def _step(peak: int) -> int:
    """A round tick step giving about four gridlines up to `peak`."""
    raw = max(peak / 4, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    return int(next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))


def _bar_chart(bars: list[list[int]], start: int, width: int) -> str:
    """Stacked bars per time bucket, with a y axis of round numbers and a few time labels."""
    w, h, left, right, top, bottom = 1000, 260, 56, 30, 12, 42
    plot_w, plot_h = w - left - right, h - top - bottom
    step = _step(max(sum(b) for b in bars))
    ceiling = step * math.ceil(max(sum(b) for b in bars) / step)
    slot = plot_w / len(bars)
    gap = min(slot * 0.15, 4)
    parts = [f'<svg id="alerts-over-time" class="chart" viewBox="0 0 {w} {h}" role="img" '
             f'aria-label="Alerts per {duration(width)}, by severity">']
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        parts.append(f'<line class="grid" x1="{left}" x2="{w - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="axis" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>')
    every = width  # label round times only: every minute, five minutes, hour... at most 12 of them
    while len(bars) * width / every > 12 or every % width:
        every = _next_width(every)
    fmt = "%H:%M:%S" if every < 60 else "%H:%M" if every < 86400 else "%m-%d"
    last_day = ""
    for n, counts in enumerate(bars):
        t = start + n * width
        x = left + n * slot + gap / 2
        total = sum(counts)
        if total:
            detail = ", ".join(f"{c} {BANDS[i]}" for i, c in enumerate(counts) if c)
            parts.append(f'<g class="bucket"><title>{when(t)} UTC, {duration(width)}: {_count(total, "alert")} '
                         f"({detail})</title>")
            y = top + plot_h
            for i, count in enumerate(counts):
                if count:
                    bh = plot_h * count / ceiling
                    y -= bh
                    parts.append(f'<rect class="bar band-{BANDS[i]}" x="{x:.1f}" y="{y:.1f}" '
                                 f'width="{slot - gap:.1f}" height="{bh:.1f}" fill="{COLORS[i]}"/>')
            parts.append("</g>")
        if t % every == 0:
            cx = left + n * slot + slot / 2
            parts.append(f'<line class="tick" x1="{cx:.1f}" x2="{cx:.1f}" y1="{top + plot_h}" '
                         f'y2="{top + plot_h + 4}"/><text class="axis" x="{cx:.1f}" y="{top + plot_h + 17}" '
                         f'text-anchor="middle">{time.strftime(fmt, time.gmtime(t))}</text>')
            day = time.strftime("%Y-%m-%d", time.gmtime(t))
            if day != last_day and width < 86400:
                parts.append(f'<text class="axis day" x="{cx:.1f}" y="{top + plot_h + 32}" '
                             f'text-anchor="middle">{day}</text>')
                last_day = day
    parts.append(f'<line class="baseline" x1="{left}" x2="{w - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>')
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
:root{--bg:#f6f7f9;--panel:#fff;--ink:#1d2430;--muted:#5f6b7a;--line:#e2e6ec;--accent:#2b5fab;
--low:#8fb0d3;--medium:#f0ad2d;--high:#e8590c;--critical:#b3001b}
@media (prefers-color-scheme:dark){:root{--bg:#14181f;--panel:#1c222b;--ink:#e3e8ef;--muted:#98a4b3;
--line:#2d3542;--accent:#7fb0ff}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif}
header,section{max-width:1320px;margin:16px auto;padding:18px 24px;background:var(--panel);border:1px solid var(--line);
border-radius:10px}
h1{margin:0 0 4px;font-size:24px}h2{margin:0 0 12px;font-size:18px}h3{margin:14px 0 8px;font-size:15px}
nav{max-width:1320px;margin:0 auto;padding:0 24px;display:flex;flex-wrap:wrap;gap:16px}
nav a,a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.range{color:var(--muted);margin:0 0 14px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{min-width:120px;padding:10px 14px;border:1px solid var(--line);border-radius:8px;
border-top:4px solid var(--muted)}
.card .value{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums}
.card .label{color:var(--muted);font-size:12px}.card small{display:block}
.card.band-low{border-top-color:var(--low)}.card.band-medium{border-top-color:var(--medium)}
.card.band-high{border-top-color:var(--high)}.card.band-critical{border-top-color:var(--critical)}
.card.problem{border-top-color:#7a52b3}
svg.chart{width:100%;height:auto;display:block;font-size:12px}
svg .grid{stroke:var(--line)}svg .baseline,svg .tick{stroke:var(--muted)}
svg text{fill:var(--ink)}svg .axis,svg .detail{fill:var(--muted)}svg .ip{font-family:ui-monospace,monospace}
svg .got-in{fill:var(--critical);font-weight:650}svg.empty text{fill:var(--muted);font-size:16px}
svg .bucket:hover rect,svg rect.bar:hover{opacity:.8}
.note{color:var(--muted);font-size:12.5px}.warn{color:#9a4b00}.quiet{color:var(--muted)}
.key{white-space:nowrap;margin-left:10px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px;
border-radius:2px}
.attack{border:1px solid var(--line);border-left:4px solid var(--high);border-radius:8px;padding:4px 16px 10px;
margin:12px 0}.attack p{margin:6px 0}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;margin-left:6px;
vertical-align:1px}
.badge.bad{background:#fde2e1;color:#8f0010}.badge.ok{background:#dff3e4;color:#1d6b35}
.then{color:var(--critical);font-weight:600}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{position:sticky;top:0;background:var(--panel);color:var(--muted);font-weight:600}
tbody tr:hover{background:rgba(43,95,171,.06)}
tr.privilege td:first-child{box-shadow:inset 3px 0 var(--critical)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
code.line{white-space:pre-wrap;overflow-wrap:anywhere;color:var(--muted)}
.nowrap{white-space:nowrap}
#alerts th:last-child{width:42%}#alerts td:nth-child(4){min-width:180px}
.level{display:inline-block;min-width:26px;text-align:center;border-radius:4px;padding:0 4px;font-weight:650;
color:#fff}
.level.band-low{background:var(--low);color:#1d2430}.level.band-medium{background:var(--medium);color:#1d2430}
.level.band-high{background:var(--high)}.level.band-critical{background:var(--critical)}
.filters{margin:8px 0}.filters input{padding:4px 8px;width:280px}
@media print{nav,.filters{display:none}header,section{border:0;margin:0}}
"""

# Progressive enhancement only: filters for the alert table. Everything else works without it.
_SCRIPT = """
(function () {
  var box = document.querySelector('.filters'), q = document.getElementById('filter'),
      min = document.getElementById('min-level'), shown = document.getElementById('shown'),
      rows = document.querySelectorAll('#alerts tbody tr');
  if (!box) return;
  box.hidden = false;
  function apply() {
    var text = q.value.toLowerCase(), level = Number(min.value), n = 0;
    rows.forEach(function (row) {
      var ok = Number(row.dataset.level) >= level && (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + ' of ' + rows.length + ' rows shown';
  }
  q.addEventListener('input', apply);
  min.addEventListener('change', apply);
  apply();
})();
"""
