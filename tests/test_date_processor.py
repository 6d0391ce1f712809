"""The date processor's edge cases on the real node and in the engine: month lengths, leap
years and out-of-range clocks, through both the engine's quick printers and its general
parser; epoch numbers in Java's syntax, and instants far outside four-digit years."""

from __future__ import annotations

import pytest

from logward.engine.ingest import Ingest, without

pytestmark = pytest.mark.node

CASES = {  # formats, timezone
    "bsd": (["uuuu MMM d HH:mm:ss", "ISO8601"], "UTC"),  # what the syslog pipeline reads
    "loose": (["uuuu-MM-dd H:m:s.SSS"], "UTC"),  # one-digit clock fields and a fraction
    "iso": (["ISO8601"], "UTC"),  # RFC 3339 headers (rsyslog, journald)
    "unix_ms": (["UNIX_MS"], "UTC"),  # journald's __REALTIME_TIMESTAMP
    "unix": (["UNIX"], "UTC"),
    "unix_ms-zoned": (["UNIX_MS"], "Europe/Paris"),
}


def _body(formats: list[str], timezone: str) -> dict:
    # A failure keeps its message: on_failure handlers store it, so it must be Java's.
    return {
        "processors": [{"date": {"field": "t", "target_field": "out", "formats": formats, "timezone": timezone}}],
        "on_failure": [{"set": {"field": "failed", "value": "{{ _ingest.on_failure_message }}"}}],
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


def _epoch_values() -> list[str]:
    """Epoch numbers: Java's long and double syntax, and instants beyond four-digit years."""
    dst = ["1711846799999", "1711846800000", "1729990799999", "1729990800000"]  # Paris, 2024
    return [*dst, "1740909600123", "1740909600.5", "-1000", "0", "-0", "+5", "007", "1,5", " 12 ", "\t5\n", "12\u00a0",
            "1_000", "\uff11\uff12\uff13", "1e12", "5.e2", ".5", "+.5", "1.5d", "1.5F", "0x1p3", "0x1.8p1d", "0x10",
            "NaN", "+NaN", "Infinity", "-Infinity", "1e400", "-1e400", "", "  ", " abc ", "99999999999999",
            "253402300799999", "253402300800000", "-62135596800000", "-62135596800001", "-62198755200000",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_dates_same_on_node_and_engine(node, name: str):
    pipeline = f"logward-test-date-{name}"
    formats, timezone = CASES[name]
    body = _body(formats, timezone)
    node.request("PUT", f"/_ingest/pipeline/{pipeline}", body)
    values = _epoch_values() if set(formats) <= {"UNIX", "UNIX_MS"} else _values()
    result = node.request("POST", f"/_ingest/pipeline/{pipeline}/_simulate",
                          {"docs": [{"_source": {"t": v}} for v in values]})
    from_node = [without(item["doc"]["_source"]) for item in result["docs"]]
    ingest = Ingest({pipeline: body}, pipeline)
    from_engine = [without(ingest.run({"t": v})) for v in values]
    differ = [(v, a, b) for v, a, b in zip(values, from_node, from_engine) if a != b]
    assert not differ, f"{len(differ)} of {len(values)} differ, first: {differ[:3]}"
    assert any("out" in d for d in from_node) and any(d.get("failed") for d in from_node)
