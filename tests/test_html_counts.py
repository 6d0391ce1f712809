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
