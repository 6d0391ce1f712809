"""The limits of rule fields, declared once and named, so every check says the same thing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


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
            raise FieldError(field, f"{self.what} must be an integer from {self.low} to {self.high}, got {value!r}")
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
            raise FieldError(field, f"a duration from {self.low}s to {self.high}s (like 120s or 2m), got {value!r}")
        return seconds


# OSSEC's scale: 0 is ignored, 3 a successful login, 5 a user error, 10 repeated errors,
# 12 a high-importance event, 15 a severe attack.
LEVEL = IntRange("level", 0, 15)
# Logward's own ids; OSSEC and Wazuh ids of the same meaning are kept beside them.
RULE_ID = IntRange("rule id", 100000, 199999)
OSSEC_ID = IntRange("OSSEC/Wazuh rule id", 1, 999999)
# How many events a correlation counts. EQL's `with runs=N` allows at most 100.
COUNT = IntRange("count", 2, 100)
# Correlation windows, from a second to a day.
WINDOW = Duration(1, 86400)
TECHNIQUE = re.compile(r"T[0-9]{4}(?:\.[0-9]{3})?\Z")
GROUP = re.compile(r"[a-z][a-z0-9_]*\Z")
