"""The limits of rule fields, declared once and named, so every check says the same thing."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from .written import as_written


class FieldError(ValueError):
    """A rule field with a bad value; `field` is the dotted name of the field in the rule."""

    def __init__(self, field: str, message: str):
        super().__init__(f"field '{field}': {message}")
        self.field = field
        self.message = message


class FieldErrors(ValueError):
    """Every bad field of one rule, found in one pass; `errors` in the order met."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True)
class IntRange:
    what: str
    low: int
    high: int

    def parse(self, value: Any, field: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not self.low <= value <= self.high:
            raise FieldError(field, f"{self.what} must be an integer from {self.low} to {self.high}, "
                                    f"got {as_written(value)}")
        return value


@dataclass(frozen=True)
class Duration:
    """Seconds, written as 120s, 2m or 1h (or a bare number of seconds)."""

    low: int
    high: int

    def parse(self, value: Any, field: str) -> int:
        units = {"s": 1, "m": 60, "h": 3600}
        m = re.fullmatch(r"([0-9]+)([smh]?)", str(value).strip())
        seconds = int(m.group(1)) * units[m.group(2) or "s"] if m else -1
        if not self.low <= seconds <= self.high:
            raise FieldError(field, f"a duration from {self.low}s to {self.high}s (like 120s or 2m), "
                                    f"got {as_written(value)}")
        return seconds


@dataclass(frozen=True)
class Instant:
    """A moment with its offset, as ISO 8601 writes it (2025-01-01T00:00:00Z), or a date
    (midnight UTC): the year of every year-less log line is taken from it, so a time
    without its offset is refused as ambiguous. Given as Elasticsearch prints times, as
    event.created holds them (2025-01-01T00:00:00.000Z)."""

    what: str = "an ISO 8601 time with an offset (2025-01-01T00:00:00Z) or a date (midnight UTC)"

    def parse(self, value: Any, field: str) -> str:
        moment = _from_text(value) if isinstance(value, str) else None
        try:
            if moment is None or moment.tzinfo is None:
                raise ValueError(value)
            moment = moment.astimezone(UTC)
            if moment.year < 1000:  # Elasticsearch prints no such year in four digits
                raise ValueError(value)
        except (ValueError, OverflowError):
            raise FieldError(field, f"{self.what}, got {as_written(value)}") from None
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def _from_text(text: str) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)  # a date alone
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class FieldValues:
    """What a condition may compare a field of one Elasticsearch type with.

    The engine compares a value with the document's own (a port the pipeline converted is
    the integer 22, an address the string logged); Elasticsearch reads both through the
    mapping. Only values that match alike in both are allowed: `user.id: 0` would match
    in Kibana but never in the engine, `source.port: abc` nowhere.
    """

    what: str  # for messages: "its values are ..."
    accepts: Callable[[Any], bool]


def _integer(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and low <= v <= high


def _address(value: Any) -> bool:
    """One IPv4 or IPv6 address as Elasticsearch reads it (no range, no %zone), written as
    logs write it: canonical, as the engine compares it as text (2001:DB8:0::1 would
    match in Kibana, not in the engine)."""
    if not isinstance(value, str) or "%" in value:
        return False
    try:
        return str(ipaddress.ip_address(value)) == value
    except ValueError:
        return False


_STRINGS = FieldValues("strings (a number in quotes: '0')", lambda v: isinstance(v, str))
# Each field type a condition may compare, by its name in pipelines/fields.yml. Fields of
# other types (text, dates) are tested with {exists: true|false} only: Elasticsearch
# matches them by words or by instant, the engine by the whole value as written.
FIELD_VALUES: dict[str, FieldValues] = {
    "keyword": _STRINGS,
    "constant_keyword": _STRINGS,
    "wildcard": _STRINGS,
    "long": FieldValues("integers, unquoted", _integer(-(2**63), 2**63 - 1)),
    "integer": FieldValues("integers, unquoted", _integer(-(2**31), 2**31 - 1)),
    "short": FieldValues("integers from -32768 to 32767, unquoted", _integer(-(2**15), 2**15 - 1)),
    "byte": FieldValues("integers from -128 to 127, unquoted", _integer(-(2**7), 2**7 - 1)),
    "unsigned_long": FieldValues("integers from 0, unquoted", _integer(0, 2**64 - 1)),
    "ip": FieldValues("single IPv4 or IPv6 addresses in canonical form, such as 2001:db8::1 (the engine "
                      "matches no CIDR range)", _address),
    "boolean": FieldValues("true or false, unquoted", lambda v: isinstance(v, bool)),
}

# Field types Elasticsearch analyzes into words: a terms aggregation (a transform's group_by,
# alert suppression) or an EQL `by` on one fails, so no correlation may key on them.
TEXT_TYPES = frozenset({"text", "match_only_text"})

# OSSEC's scale: 0 is ignored, 3 a successful login, 5 a user error, 10 repeated errors,
# 12 a high-importance event, 15 a severe attack.
LEVEL = IntRange("level", 0, 15)
# Logward's own ids; OSSEC and Wazuh ids of the same meaning are kept beside them.
RULE_ID = IntRange("rule id", 100000, 199999)
OSSEC_ID = IntRange("OSSEC/Wazuh rule id", 1, 999999)
# How many events a correlation counts. EQL's `with runs=N` allows at most 100.
COUNT = IntRange("count", 2, 100)
# Fields a correlation keys on (`same`, `key`): Kibana's alert_suppression.group_by, which
# compiled correlations and first-time-seen rules suppress by, takes at most 3.
KEY_FIELDS = 3
# Correlation windows, from a second to a day.
WINDOW = Duration(1, 86400)
# When logs were shipped: replay's --reference-time, a test case's reference_time.
INSTANT = Instant()
TECHNIQUE = re.compile(r"T[0-9]{4}(?:\.[0-9]{3})?\Z")
GROUP = re.compile(r"[a-z][a-z0-9_]*\Z")
