"""The date processor's edge cases on the real node and in the engine: month lengths, leap
years and out-of-range clocks, through both the engine's quick printer and its general parser."""

from __future__ import annotations

import pytest

from logward.engine.ingest import Ingest, without

pytestmark = pytest.mark.node

FORMATS = {
    "bsd": ["uuuu MMM d HH:mm:ss", "ISO8601"],  # what the syslog pipeline reads
    "loose": ["uuuu-MM-dd H:m:s.SSS"],  # one-digit clock fields and a fraction
    "iso": ["ISO8601"],  # RFC 3339 headers (rsyslog, journald)
}


def _body(formats: list[str]) -> dict:
    return {
        "processors": [{"date": {"field": "t", "target_field": "out", "formats": formats, "timezone": "UTC"}}],
        "on_failure": [{"set": {"field": "failed", "value": True}}],
    }


def _values() -> list[str]:
    out = []
    for year in (1900, 2000, 2023, 2024):
        for month in ("Jan", "Feb", "Apr", "Jun", "Sep", "Nov", "Dec"):
            out += [f"{year} {month} {day} 12:00:00" for day in (0, 1, 28, 29, 30, 31, 32)]
    out += ["2024 Dec 10 23:59:59", "2024 Dec 10 24:00:00", "2024 Dec 10 23:60:00", "2024 Dec 10 23:59:60",
            "2024 Dec 10 6:55:48", "2024 Dec 10 06:55:48", "2024 Dec  10 06:55:48", "2024-12-10T06:55:48Z"]
    out += [f"{year}-{month:02d}-{day:02d} {clock}" for year in (2023, 2024) for month in (2, 4, 12)
            for day in (28, 29, 30, 31) for clock in ("3:4:5.007", "23:59:59.999", "24:00:00.000")]
    days = (("02", "29"), ("03", "01"), ("04", "31"), ("12", "31"))
    out += [f"2024-{month}-{day}T{clock}{offset}" for month, day in days
            for clock in ("00:10:00", "23:59:59.999", "06:55:46.123456", "06:55:46,5", "24:00:00")
            for offset in ("", "Z", "+01:00", "-05", "+0130", "-14:00", "+19:00", "+00:00")]
    out += ["2023-02-29T10:00:00Z", "2024-12-10", "2024-12-10T06", "2024-12-10T06:55", "0999-12-31T23:00:00-02:00",
            "1000-01-01T00:30:00+01:00", "2024-12-10t06:55:46Z", "2024-12-10 06:55:46Z"]
    return out


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_dates_same_on_node_and_engine(node, name: str):
    pipeline = f"logward-test-date-{name}"
    body = _body(FORMATS[name])
    node.request("PUT", f"/_ingest/pipeline/{pipeline}", body)
    values = _values()
    result = node.request("POST", f"/_ingest/pipeline/{pipeline}/_simulate",
                          {"docs": [{"_source": {"t": v}} for v in values]})
    from_node = [without(item["doc"]["_source"]) for item in result["docs"]]
    ingest = Ingest({pipeline: body}, pipeline)
    from_engine = [without(ingest.run({"t": v})) for v in values]
    differ = [(v, a, b) for v, a, b in zip(values, from_node, from_engine) if a != b]
    assert not differ, f"{len(differ)} of {len(values)} differ, first: {differ[:3]}"
    assert any("out" in d for d in from_node) and any(d.get("failed") for d in from_node)
