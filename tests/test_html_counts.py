"""The HTML report counts in the singular too: "1 alert", not "1 alerts"."""

from __future__ import annotations

from logward.engine import Engine
from logward.report.html import HtmlReport
from logward.report.story import Story

LINE = "Nov 14 10:00:00 bastion sshd[1]: Failed password for root from 203.0.113.9 port 4444 ssh2"


def test_one_source_with_one_alert_is_counted_in_the_singular() -> None:
    engine, story = Engine.load(), Story()
    report = HtmlReport("one line", story)
    doc, alerts = engine.process(LINE, "2025-01-01T00:00:00.000Z")
    story.add(doc, alerts)
    report.add(doc, alerts)
    assert [a.rule.id for a in alerts] == [100102]
    page = report.html()
    assert "203.0.113.9: 1 alert</title>" in page and "UTC, 1 s: 1 alert (1 low)</title>" in page
    assert "1 alert · 1 failed login · bastion" in page
    assert "The source address with the most alerts" in page
    assert "1 alerts" not in page and "The 1 source" not in page


def test_a_long_source_is_shown_whole_in_the_top_sources_chart() -> None:
    """The label column fits the longest address, so none reads as another one."""
    import re

    engine, story = Engine.load(), Story()
    report = HtmlReport("two sources", story)
    for source in ("2001:db8:dead:beef:cafe:f00d:1234:5678", "203.0.113.9"):
        doc, alerts = engine.process(LINE.replace("203.0.113.9", source), "2025-01-01T00:00:00.000Z")
        story.add(doc, alerts)
        report.add(doc, alerts)
    chart = report.html().split('<svg id="top-sources"')[1].split("</svg>")[0]
    labels = dict((text, float(x)) for x, text in re.findall(r'<text x="([0-9.]+)"[^>]*class="ip">([^<]+)<', chart))
    assert set(labels) == {"2001:db8:dead:beef:cafe:f00d:1234:5678", "203.0.113.9"}
    assert all(x >= 8.5 * len(text) for text, x in labels.items()), labels


def test_a_source_the_summary_tells_for_what_it_did_is_marked_as_got_in() -> None:
    """No guessing, but a UID 0 account afterwards: the chart marks it as the summary tells it."""
    engine, story = Engine.load(), Story()
    report = HtmlReport("stolen key", story)
    for line in ("Mar  4 09:00:00 web-1 sshd[5000]: Accepted publickey for root from 198.51.100.30 port 5 ssh2",
                 "Mar  4 09:03:00 web-1 usermod[5031]: change user 'svc' UID from '1050' to '0'"):
        doc, alerts = engine.process(line, "2025-01-01T00:00:00.000Z")
        story.add(doc, alerts)
        report.add(doc, alerts)
    assert [a.source for a in story.attacked()] == ["198.51.100.30"]
    assert "▲ got in as root" in report.html()


def test_the_time_covered_is_read_as_instants_whatever_the_offsets() -> None:
    """A line read in Paris time (+01:00) at 14:00 UTC, and a journal entry (Z) at 14:30 UTC:
    compared as text, 15:00+01:00 came last and the range ran backwards."""
    engine, story = Engine.load(), Story()
    report = HtmlReport("two zones", story)
    paris = LINE.replace("Nov 14 10:00:00", "Feb 12 15:00:00")
    journal = ('{"__REALTIME_TIMESTAMP":"1707748200000000","_HOSTNAME":"db","SYSLOG_IDENTIFIER":"sshd",'
               '"_COMM":"sshd","_EXE":"/usr/sbin/sshd","_PID":"9100",'
               '"MESSAGE":"Failed password for root from 203.0.113.9 port 42000 ssh2"}')
    for line, zone in ((paris, "Europe/Paris"), (journal, None)):
        doc, alerts = engine.process(line, "2024-02-13T00:00:00.000Z", zone)
        story.add(doc, alerts)
        report.add(doc, alerts)
    assert "2024-02-12 14:00:00 – 2024-02-12 14:30:00 UTC (30 min)" in report.html()
