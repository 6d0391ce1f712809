"""The HTML report of a replay tells the demo's story (who brute-forced bastion, that they
got in as deploy, the first sudo), fetches nothing, escapes what attackers wrote into the
logs, renders its charts in a real browser, and stays bounded on big replays."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest

from logward.engine import Engine
from logward.engine.detect import Alert
from logward.engine.ingest import iso_time
from logward.report.html import COLORS, HtmlReport, band
from tests import browser
from tests.conftest import ROOT, in_ci

REFERENCE = "2025-01-01T00:00:00.000Z"
SCRIPT_USER = "<script>alert(1)</script>"
HOSTILE = [
    f"Nov 14 10:00:00 bastion sshd[1]: Invalid user {SCRIPT_USER} from 203.0.113.99 port 4444",
    # an escape sequence and a right-to-left override, which would reorder what the analyst reads
    "Nov 14 10:00:01 bastion sshd[2]: Invalid user ad\x1b[2Jmin\u202etoor from 203.0.113.99 port 4445",
]


def _replay(lines: list[str]) -> HtmlReport:
    engine, report = Engine.load(), HtmlReport("Demo: attack-auth.log")
    for line in lines:
        doc, alerts = engine.process(line, REFERENCE)
        report.add(doc, alerts)
    return report


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[HtmlReport, Path, str]:
    lines = (ROOT / "demo" / "attack-auth.log").read_text().splitlines() + HOSTILE
    report = _replay(lines)
    path = tmp_path_factory.mktemp("report") / "report.html"
    report.write(path)
    return report, path, path.read_text(encoding="utf-8")


def _section(markup: str, section_id: str) -> str:
    start = markup.index(f'<section id="{section_id}"')
    return markup[start:markup.index("</section>", start)]


def test_sections_and_header(demo):
    report, _, markup = demo
    for anchor in ('<svg id="alerts-over-time"', '<svg id="top-sources"', '<section id="brute-force"',
                   '<section id="first-time"', '<table id="alerts"', '<header id="summary"'):
        assert anchor in markup, anchor
    lines = len((ROOT / "demo" / "attack-auth.log").read_text().splitlines() + HOSTILE)
    assert report.lines == lines and report.alerts == sum(report.bands) > 90
    header = markup[markup.index('<header id="summary"'):markup.index("</header>")]
    assert f'<div class="value">{report.alerts}</div><div class="label">Alerts</div>' in header
    assert f'<div class="value">{lines}</div><div class="label">Log lines</div>' in header
    assert "2024-11-14 09:58:00 – 2024-11-14 10:08:00 UTC (10 min)" in header


def test_brute_force_then_success(demo):
    section = _section(demo[2], "brute-force")
    guesser = section[section.index('data-source="203.0.113.50"'):]
    assert "got in as deploy, www-data" in guesser
    assert "Failed <strong>16</strong> logins" in guesser and "<code>root</code>, <code>deploy</code>" in guesser
    assert "Then logged in as <strong><code>deploy</code></strong> (password) at 2024-11-14 10:02:50 UTC" in guesser
    assert 'href="#rule-100112"' in guesser and "deploy: sudo as root: /bin/bash" in guesser
    assert ("used a credential root accepts (a key, most likely): sshd refused it only because root may "
            "not log in") in guesser
    scanner = section[section.index('data-source="203.0.113.77"'):section.index('data-source="203.0.113.50"')]
    assert "no login succeeded" in scanner and "Failed <strong>10</strong> logins" in scanner


def test_first_time_privilege_use(demo):
    section = _section(demo[2], "first-time")
    sudo = re.search(r'<tr class="privilege"><td>2024-11-14 10:03:50</td>.*?</tr>', section)
    assert sudo and "sudo: first time this user ran sudo on this host" in sudo[0] and "deploy" in sudo[0]
    switches = section[section.index('<table id="switches"'):]
    assert re.search(r"sudo as root: /bin/bash <span class=\"badge bad\">first time</span>", switches)
    assert "failed su to root" in switches and "apt-get" not in switches  # alice's sudo is not deploy's story


def test_top_sources_and_alert_table(demo):
    report, _, markup = demo
    chart = markup[markup.index('<svg id="top-sources"'):]
    assert chart.index("203.0.113.50") < chart.index("203.0.113.77")  # most alerts first
    assert "16 failed logins · bastion" in chart and "got in as deploy" in chart
    rows = re.findall(r'<tr data-level="(\d+)"><td class="nowrap">([^<]+)</td>', _section(markup, "alert-list"))
    assert len(rows) == report.alerts
    assert [t for _, t in rows] == sorted(t for _, t in rows)  # newest last
    assert 'id="capped"' not in markup


def test_nothing_is_fetched(demo):
    markup = demo[2]
    assert "default-src 'none'" in markup  # and the browser would refuse any fetch anyway
    assert not re.search(r"<(link|img|iframe|object|embed)\b|@import|url\(", markup, re.I)
    assert not re.search(r"\bsrc\s*=", markup, re.I)
    for match in re.finditer(r"<(\w+)[^>]*\bhref\s*=\s*\"([^\"]*)\"", markup):
        tag, target = match.groups()
        assert tag == "a" and (target.startswith("#") or target.startswith("https://attack.mitre.org/")), match[0]
    assert markup.count("<script") == 1  # Logward's own, inline


def test_what_attackers_write_is_escaped(demo):
    markup = demo[2]
    assert SCRIPT_USER not in markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in _section(markup, "alert-list")
    assert "\x1b" not in markup and "\u202e" not in markup
    assert "ad\\x1b[2Jmin\\u202etoor" in markup


def test_an_empty_replay_still_writes_a_page(tmp_path):
    report = HtmlReport()
    report.write(tmp_path / "empty.html")
    markup = (tmp_path / "empty.html").read_text()
    assert '<svg id="alerts-over-time" class="chart empty"' in markup and "No source brute-forced a host." in markup


def _fake(n: int, sources: int) -> tuple[Alert, dict]:
    rule = SimpleNamespace(id=900000 + n % 16, title=f"fake rule {n % 16}", level=n % 16, groups=("fake",),
                           mitre=(), ossec=(), kind="event")
    when = 1_700_000_000 + n * 131.0  # 20,000 lines over a month
    doc = {"@timestamp": iso_time(when), "host": {"hostname": f"h{n % 3}"},
           "source": {"ip": f"10.0.{n % sources // 250}.{n % sources % 250}"}, "user": {"name": f"u{n}"},
           "event": {"original": f"line {n} " + "x" * 5000}}
    return Alert(rule, doc, when, n + 1), doc


def test_memory_stays_bounded(tmp_path):
    report = HtmlReport()
    report.max_sources = 1000
    expected = Counter()
    for n in range(20_000):
        alert, doc = _fake(n, sources=20_000)
        report.add(doc, [alert])
        expected[band(alert.rule.level)] += 1
    assert report.alerts == 20_000 and report.bands == [expected[i] for i in range(4)]
    # The table keeps the cap: the most severe alerts (levels 12 to 15, 1,250 each), in time order.
    rows = report.rows
    assert len(rows) == report.max_rows == 5000 and {r[2] for r in rows} == {12, 13, 14, 15}
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    assert max(len(r[7]) for r in rows) < report.max_line + 50  # long lines are cut
    # The chart counts everything, in fewer, wider buckets; the quietest sources are dropped.
    assert len(report.buckets) <= report.max_buckets and report.width > 1
    assert [sum(b[i] for b in report.buckets.values()) for i in range(4)] == report.bands
    assert len(report.sources) <= report.max_sources and report.sources_pruned
    report.write(tmp_path / "big.html")
    markup = (tmp_path / "big.html").read_text()
    assert len(re.findall(r'<tr data-level="', markup)) == 5000
    assert "holds 5,000 of 20,000 alerts: every alert of level 13 and above, and the earliest of level 12" in markup
    assert '<div class="value">20,000</div><div class="label">Alerts</div>' in markup
    assert len(re.findall(r'<g class="bucket">', markup)) <= report.max_bars


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return browser.chromium()
    except browser.ChromiumMissing as e:
        if in_ci():
            pytest.fail(str(e))
        pytest.skip(str(e))


def test_charts_render_in_chromium(demo, chromium, tmp_path):
    _, path, markup = demo
    dom = browser.dump_dom(path)
    timeline = browser.count_inside(dom, "alerts-over-time", "rect", "bar")
    sources = browser.count_inside(dom, "top-sources", "rect", "bar")
    assert timeline >= 20 and sources >= 4
    assert timeline == browser.count_inside(markup, "alerts-over-time", "rect", "bar")  # drawn without JS
    # The inline script ran under the page's Content-Security-Policy (its hash is allowed).
    assert '<div class="filters">' in dom and f"{demo[0].alerts} of {demo[0].alerts} rows shown" in dom

    png = browser.screenshot(path, tmp_path / "report.png")
    print(f"screenshot: {png}")
    assert png.stat().st_size > 20_000
    colors = browser.png_colors(png)
    pixels = sum(colors.values())
    assert pixels == 1400 * 2000 and len(colors) > 50 and colors.most_common(1)[0][1] < 0.95 * pixels
    low, high = (tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in (COLORS[0], COLORS[2]))
    assert colors[low] > 2000 and colors[high] > 500  # the bars were painted in the band colors


def test_replay_html_flag_writes_the_report(tmp_path, capsys):
    from logward.cli import main

    page = tmp_path / "replay.html"
    assert main(["replay", "--reference-time", REFERENCE, "--html", str(page),
                 str(ROOT / "demo" / "attack-auth.log")]) == 0
    assert f"wrote {page}" in capsys.readouterr().err
    markup = page.read_text(encoding="utf-8")
    assert browser.count_inside(markup, "alerts-over-time", "rect", "bar") >= 20
    assert '<section id="brute-force"' in markup and "attack-auth.log" in markup


def test_every_rule_link_has_its_target_with_a_minimum_level(tmp_path, capsys):
    import re

    from logward.cli import main

    page = tmp_path / "replay.html"
    assert main(["replay", "--reference-time", REFERENCE, "--min-level", "10", "--html", str(page),
                 str(ROOT / "demo" / "attack-auth.log")]) == 0
    markup = page.read_text(encoding="utf-8")
    links = set(re.findall(r'href="#(rule-[0-9]+)"', markup))
    targets = set(re.findall(r'id="(rule-[0-9]+)"', markup))
    assert links and links <= targets, sorted(links - targets)


def test_a_grave_account_change_no_session_can_claim_is_listed_with_who_was_logged_in():
    report = _replay([
        "Mar  4 10:05:00 web-1 sshd[4310]: Accepted password for deploy from 203.0.113.50 port 40000 ssh2",
        "Mar  4 10:05:40 web-1 useradd[4400]: new user: name=<b>toor</b>, UID=0, GID=0, home=/home/toor, "
        "shell=/bin/sh"])
    table = _section(report.html(), "brute-force").split('<table id="unclaimed">')[1]
    assert "created user &lt;b&gt;toor&lt;/b&gt;" in table and "deploy from 203.0.113.50" in table


def test_an_ipv6_network_is_one_source_with_its_addresses_counted():
    lines = [f"Nov 14 10:00:{i * 5:02d} bastion sshd[{300 + i}]: Failed password for root from 2001:db8:4:7::{i + 1:x} "
             f"port {4000 + i} ssh2" for i in range(8)]
    markup = _replay(lines).html()
    assert "<h3><code>2001:db8:4:7::/64 (8 addresses)</code> → <code>bastion</code>" in markup, markup


def test_top_sources_count_an_ipv6_network_as_the_summary_does():
    """Each address of a rotating /64 would show 0 failed logins and no login: the chart
    counts the network, names it as the summary does, and marks that it got in."""
    lines = [f"Nov 14 10:00:{i * 5:02d} bastion sshd[{300 + i}]: Failed password for root from 2001:db8:4:7::{i + 1:x} "
             f"port {4000 + i} ssh2" for i in range(8)]
    lines.append("Nov 14 10:01:00 bastion sshd[400]: Accepted password for root from 2001:db8:4:7::99 port 4100 ssh2")
    chart = _section(_replay(lines).html(), "sources")
    assert chart.count('<g class="source">') == 1, chart
    assert "2001:db8:4:7::/64 (9 addresses)" in chart and "· 8 failed logins ·" in chart, chart
    assert "▲ got in as root" in chart, chart


def test_a_source_that_never_failed_says_so():
    report = _replay([
        "Mar  4 10:05:00 web-1 sshd[4310]: Accepted publickey for www-data from 203.0.113.50 port 40000 ssh2"])
    article = _section(report.html(), "brute-force")
    assert "<code>203.0.113.50</code> → <code>web-1</code>" in article and "No failed login from it." in article
