"""Processors at their edges, on the real node and in the engine: the same document, or
the same failure with the same message.

- date: month lengths, leap years and out-of-range clocks, through the engine's quick
  printers and its general parser; epoch numbers in Java's syntax, and instants far
  outside four-digit years, in UTC and in a zone with daylight saving; time zones named
  as Java's ZoneId.of takes them or refuses them (a shipper's event.timezone).
- convert, and grok's :int/:long/:float/:double suffixes: numbers as Java reads them
  (hexadecimal in convert, digits of other scripts, trimming, ranges, float precision).
- set: field values of every type rendered into a template (Java's toString inside
  lists and maps).
- json: what Elasticsearch's parser refuses (duplicate keys, NaN); its failure messages
  are Jackson's and are not compared (the journald pipeline sets its own).

Where the 7.10 test node and Elasticsearch 8 and later disagree, the engine does as the
later versions do and the value is left out here: JSON followed by more text (7.10 drops
the rest, 8 refuses the line) and float output (7.10's Java prints 2147483648 as
2.14748365E9, Java 19 and later as 2.1474836E9).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import pytest

from logward.engine.ingest import Ingest, without

pytestmark = pytest.mark.node


def _calendar_dates() -> list[str]:
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
            "1000-01-01T00:30:00+01:00", "2024-12-10t06:55:46Z", "2024-12-10 06:55:46Z",
            # at the ends of four-digit years: year 0 (1 BC), and offsets that cross them
            "0000-01-01T00:00:00", "0000-02-29T12:00:00Z", "0000-12-31T23:59:59.999-01:00", "0000-01-01",
            "0001-01-01T00:00:00+00:01", "0001-01-01T00:30:00+01:00", "9999-12-31T23:59:59-00:01",
            "9999-12-31T23:00:00Z", "9999-12-31T22:59:59.5-01:00"]
    return out


NUMBERS = ["12", " 12", "12 ", "\t12\n", "+5", "-0", "007", "0", "010", "1_000", "12L", "+", "-", "--1", "#10",
           "0x10", "0X1f", "-0x10", "0x", "0xg", "0x-5", "0xFFFFFFFFFFFFFFFF", "0b1", "0o7", "1e3", "1.0", ".5",
           "5.e2", "+.5", "1.5d", "1.5F", "0x1p3", "0x1.8p1d", "NaN", "+NaN", "Infinity", "-Infinity", "1e400",
           "-1e400", "", "  ", " abc ", "12\u00a0", "\u0661\u0662", "\uff11\uff12", "2147483647", "-2147483648",
           "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775808", "99999999999999",
           "3.4028235e38", "1.4e-45", "0.1", "16777217", "true", "FALSE", "yes",
           # hexadecimal digits as Character.digit reads them: any script's, fullwidth letters
           "0x\uff11", "0x\uff41", "0x\uff21F", "-0x\u0661\u0662", "0x\uff47", "0x\u00bd", "0x\u2460"]
# Zones a shipper may send as event.timezone, and ones Java refuses though Python's tz
# database has them (EST), or takes though it has not (SystemV/EST5).
ZONES = ["UTC", "Z", "GMT", "UT", "UTC+1", "GMT-05:30", "UT+2", "UTC+", "UTC+1:00", "GMT+19", "UTCfoo", "GMT0",
         "+2", "-2", "+02", "+0230", "+02:30", "+02:30:15", "+023015", "+02:30:1", "+1:00", "+02:3a", "+18:00",
         "-18:00", "+18:01", "+19", "-19:00", "+00:00", "-00", "", "A", "Z1", "Europe/Paris", "America/New_York",
         "US/Eastern", "Etc/GMT-3", "EST5EDT", "CET", "EST", "MST", "HST", "ROC", "Factory", "localtime",
         "posix/Europe/Paris", "right/UTC", "SystemV/EST5", "SystemV/HST10", "utc", "europe/paris", "1Europe",
         "~x", "Europe/Paris ", "Europe/../Europe/Paris", "Mars/Olympus", "+a", "-b", "GMT+a", "SystemV/EST5EDT"]
# System V's zones with summer time follow US rules of before 1987 in Java: around their
# changes (skipped and repeated hours), in years far apart.
SYSTEM_V = ["SystemV/AST4ADT", "SystemV/EST5EDT", "SystemV/CST6CDT", "SystemV/MST7MDT", "SystemV/PST8PDT",
            "SystemV/YST9YDT", "SystemV/HST10", "America/New_York"]
SYSTEM_V_TIMES = ["2024-01-10T06:55:46", "2024-04-28T01:59:59", "2024-04-28T02:30:00", "2024-04-28T03:00:00",
                  "2024-10-27T00:59:59", "2024-10-27T01:30:00", "2024-10-27T02:00:00", "1950-04-30T02:30:00",
                  "2099-10-25T01:30:00", "1900-06-01T12:00:00", "1899-07-01T12:00:00", "1974-03-01T12:00:00",
                  "1974-11-10T12:00:00", "1975-03-01T12:00:00"]
EPOCHS = ["1711846799999", "1711846800000", "1729990799999", "1729990800000",  # Paris, 2024, summer time
          "1740909600123", "1740909600.5", "-1000", "1,5", "1e12", "99999999999999", "253402300799999",
          "253402300800000", "-62135596800000", "-62135596800001", "-62198755200000", *NUMBERS]
JSON = ['{"a":1}', '{"a":[1,{"b":null}]}', "{}", '{"":1}', '{"a.b":1}', "[1,2]", '"text"', "123", " {\"a\":1} ",
        '{"a":-0}', '{"a":1.0}', '{"a":1E2}', '{"a":0.1}', '{"a":1.5e-400}', '{"a":123456789012345678}',
        '{"a":"\\u0000"}', '{"a":"\\ud800"}', '{"a":true}', "", " ", "\t\n", "null",
        '{"a":1,"a":2}', '{"a":{"b":1,"b":1}}', '[{"x":1,"x":2}]', '{"a":NaN}', '{"a":Infinity}',
        '{"a":-Infinity}', "{'a':1}", '{"a":1,}', '{"a":01}', '{"a" : tru}', "{", "nul", "nullx",
        # comments, which Elasticsearch's parser takes as white space
        '{"a":"x"/**/}', "{/**/}", '{"a":1//\n}', '/* c */ {"a":1}', '{"a":"/*x*/ //y"}', '{"a":1 /* open',
        '{"a":1/ }', '{"a":1/**/2}', '{"a":1 # x\n}', '{"a"/*:*/:1}', '{"a":1 /*/ }', '{"a":"\\"/*"}/**/',
        '{"a":"x', '{' + '/* ' * 200, '{"a":"' + '\\"' * 200]


# Floats that Java before 19 (the 7.10 node's) prints with more digits than later ones.
FLOAT_PRINTED_APART = {"2147483647", "-2147483648", "2147483648"}


FIELD_VALUES = ["s", 12, 1.5, True, None, [1, "a", None], {"k": "v", "n": [1, 2]}, "", "<&>\"'\n", "a{{b}}c", [],
                {}, 1e20, -0.0, 1.0, 100.0, 1e-5, 0.1, "\u00e9", [[1, 2], [3]], {"a": {"b": None}}, [{"a": [None]}]]


class Case(NamedTuple):
    processor: dict
    values: list
    messages: bool = True  # compare failure messages, not only that it failed
    fails: bool = True  # some of the values fail
    others: dict = {}  # more fields of every document


def _date(formats: list[str], timezone: str = "UTC") -> dict:
    return {"date": {"field": "t", "target_field": "out", "formats": formats, "timezone": timezone}}


def _convert(kind: str) -> dict:
    return {"convert": {"field": "t", "target_field": "out", "type": kind}}


CASES = {
    "date-bsd": Case(_date(["uuuu MMM d HH:mm:ss", "ISO8601"]), _calendar_dates()),  # the syslog pipeline's
    "date-loose": Case(_date(["uuuu-MM-dd H:m:s.SSS"]), _calendar_dates()),  # one-digit clock fields
    "date-iso": Case(_date(["ISO8601"]), _calendar_dates()),  # RFC 3339 headers (rsyslog, journald)
    "date-unix_ms": Case(_date(["UNIX_MS"]), EPOCHS),  # journald's __REALTIME_TIMESTAMP
    "date-unix": Case(_date(["UNIX"]), EPOCHS),
    "date-unix_ms-zoned": Case(_date(["UNIX_MS"], "Europe/Paris"), EPOCHS),
    # Local mean time, before the zones' standard time: offsets with seconds, east and west.
    **{f"date-local-mean-time-{zone.replace('/', '-').lower()}": Case(
        _date(["ISO8601"], zone), ["0000-06-01T00:00:00", "1000-01-01T00:00:00", "1800-01-01T00:00:00",
                                   "9999-12-31T23:59:00"], fails=False)
       for zone in ("Europe/London", "America/New_York", "Europe/Paris", "Asia/Kolkata")},
    "date-zones": Case({"date": {"field": "d", "target_field": "out", "formats": ["ISO8601"], "timezone": "{{{t}}}"}},
                       ZONES, others={"d": "2024-07-10T06:55:46"}),
    "date-zone-refused": Case(_date(["ISO8601"], "EST"), ["2024-07-10T06:55:46", "x"]),  # fails each document
    **{f"date-system-v-{when}": Case({"date": {"field": "d", "target_field": "out", "formats": ["ISO8601"],
                                               "timezone": "{{{t}}}"}}, SYSTEM_V, others={"d": when}, fails=False)
       for when in SYSTEM_V_TIMES},
    **{f"convert-{kind}": Case(_convert(kind), [v for v in NUMBERS if kind != "float" or v not in FLOAT_PRINTED_APART])
       for kind in ("integer", "long", "float", "double", "boolean")},
    "convert-auto": Case(_convert("auto"), [v for v in NUMBERS if v not in FLOAT_PRINTED_APART], fails=False),
    "convert-string": Case(_convert("string"), NUMBERS, fails=False),
    **{f"grok-{kind}": Case({"grok": {"field": "t", "patterns": [f"%{{ANY:out:{kind}}}"],
                                      "pattern_definitions": {"ANY": "[\\s\\S]*"}}},
                            [v for v in NUMBERS if kind != "float" or v not in FLOAT_PRINTED_APART],
                            fails=kind != "boolean")
       for kind in ("int", "long", "float", "double", "boolean")},
    "set-template": Case({"set": {"field": "out", "value": "{{{t}}} {{t}}"}}, FIELD_VALUES, fails=False),
    "json": Case({"json": {"field": "t", "target_field": "out"}}, JSON, messages=False),
}


def _as_json(value: object) -> object:
    """Non-finite numbers as Elasticsearch writes them in JSON, which has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value


def _outcome(doc: dict, messages: bool) -> object:
    return _as_json(doc if messages or "failed" not in doc else {**doc, "failed": True})


@pytest.mark.parametrize("name", sorted(CASES))
def test_processor_same_on_node_and_engine(node, name: str):
    case = CASES[name]
    pipeline = f"logward-test-{name}"
    body = {"processors": [case.processor],
            "on_failure": [{"set": {"field": "failed", "value": "{{ _ingest.on_failure_message }}"}}]}
    node.request("PUT", f"/_ingest/pipeline/{pipeline}", body)
    result = node.request("POST", f"/_ingest/pipeline/{pipeline}/_simulate",
                          {"docs": [{"_source": {**case.others, "t": v}} for v in case.values]})
    from_node = [_outcome(without(item["doc"]["_source"]), case.messages) for item in result["docs"]]
    ingest = Ingest({pipeline: body}, pipeline)
    from_engine = [_outcome(without(ingest.run({**case.others, "t": v})), case.messages) for v in case.values]
    differ = [(v, a, b) for v, a, b in zip(case.values, from_node, from_engine) if a != b]
    assert not differ, f"{name}: {len(differ)} of {len(case.values)} differ, first: {differ[:3]}"
    assert any("out" in d for d in from_node) != name.endswith("-refused")
    assert any("failed" in d for d in from_node) == case.fails
