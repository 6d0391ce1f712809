"""Time zones as Java's ZoneId.of reads them, for the date processor's `timezone` and a
shipper's event.timezone: the same names taken, the same refused, with Java's messages.

The tz database comes from the system (Python's zoneinfo), Java's from the JDK: a name
new in one release is known to one and not the other until both have it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .dates import DateError

# Names in the system's tz database that Java's has not: EST, MST and HST are only in
# Java's SHORT_IDS map, which ZoneId.of does not consult; the rest are files, not zones.
_NOT_IN_JAVA = frozenset({"EST", "MST", "HST", "ROC", "Factory", "localtime", "posixrules"})
# Java keeps System V's zones, which the tz database dropped: standard time's offset, and
# whether the zone keeps summer time (by the US rules of before 1987, see _OldUsRules).
_SYSTEM_V = {"SystemV/AST4": (-4, False), "SystemV/EST5": (-5, False), "SystemV/CST6": (-6, False),
             "SystemV/MST7": (-7, False), "SystemV/PST8": (-8, False), "SystemV/YST9": (-9, False),
             "SystemV/HST10": (-10, False), "SystemV/AST4ADT": (-4, True), "SystemV/EST5EDT": (-5, True),
             "SystemV/CST6CDT": (-6, True), "SystemV/MST7MDT": (-7, True), "SystemV/PST8PDT": (-8, True),
             "SystemV/YST9YDT": (-9, True)}
_REGION_ID = re.compile(r"[A-Za-z][A-Za-z0-9~/._+-]+")
_HOUR = timedelta(hours=1)


def zone(name: str) -> tzinfo:
    """Java's ZoneId.of, with its messages: an offset (+h to +hh:mm:ss), UTC, GMT or UT
    alone or followed by one, or a region id of the tz database."""
    if len(name) <= 1 or name[0] in "+-":
        return _zone_offset(name)
    prefix = "UTC" if name.startswith(("UTC", "GMT")) else "UT" if name.startswith("UT") else ""
    if prefix:
        rest = name[len(prefix):]
        if not rest:
            return UTC
        if rest[0] in "+-":
            return _zone_offset(rest)  # the node reports the offset's own error
    if not _REGION_ID.fullmatch(name):
        raise DateError(f"Invalid ID for region-based ZoneId, invalid format: {name}")
    if name in _SYSTEM_V:
        hours, summer = _SYSTEM_V[name]
        return _OldUsRules(hours) if summer else timezone(timedelta(hours=hours))
    if name in _NOT_IN_JAVA or name.startswith(("posix/", "right/", "SystemV/")):
        raise DateError(f"Unknown time-zone ID: {name}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise DateError(f"Unknown time-zone ID: {name}") from None


def _zone_offset(text: str) -> tzinfo:
    """Java's ZoneOffset.of: +h, +hh, +hhmm, +hh:mm, +hhmmss or +hh:mm:ss, within 18 hours."""
    if text == "Z":
        return UTC
    if len(text) == 2:
        text = text[0] + "0" + text[1]  # before any message: Java reports "+0a" for "+a"
    invalid = f"Invalid ID for ZoneOffset, %s: {text}"
    # Where each number starts, and whether a colon comes before it, by length.
    layout = {3: ((1, False),), 5: ((1, False), (3, False)), 6: ((1, False), (4, True)),
              7: ((1, False), (3, False), (5, False)), 9: ((1, False), (4, True), (7, True))}.get(len(text))
    if layout is None:
        raise DateError(invalid % "invalid format")
    numbers = []
    for start, colon in layout:
        if colon and text[start - 1] != ":":
            raise DateError(invalid % "colon not found when expected")
        digits = text[start:start + 2]
        if not ("0" <= digits[0] <= "9" and "0" <= digits[1] <= "9"):
            raise DateError(invalid % "non numeric characters found")
        numbers.append(int(digits))
    if text[0] not in "+-":
        raise DateError(invalid % "plus/minus not found when expected")
    sign = -1 if text[0] == "-" else 1
    hours, minutes, seconds = (sign * n for n in (*numbers, 0, 0)[:3])
    for unit, value in (("hours", hours), ("minutes", minutes), ("seconds", seconds)):
        bound = 18 if unit == "hours" else 59
        if not -bound <= value <= bound:
            raise DateError(f"Zone offset {unit} not in valid range: value {value} "
                            f"is not in the range -{bound} to {bound}")
    if abs(hours) == 18 and (minutes or seconds):
        raise DateError("Zone offset not in valid range: -18:00 to +18:00")
    offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    return timezone(offset) if offset else UTC


def _sunday_on_or_after(year: int, month: int, day: int) -> datetime:
    first = datetime(year, month, day, 2)  # at 02:00, when the clocks change
    return first + timedelta(days=(6 - first.weekday()) % 7)


# The years Java's System V rules differ from the usual ones: the US energy crisis.
_CRISIS = {1974: (datetime(1974, 1, 6, 2), datetime(1974, 11, 24, 2)),
           1975: (datetime(1975, 2, 23, 2), datetime(1975, 10, 26, 2))}


class _OldUsRules(tzinfo):
    """A System V zone with summer time, as Java keeps it: from 1900, every year from the
    Sunday on or after 24 April to the Sunday on or after 25 October, at 02:00 local time
    (1974 and 1975 apart). A local time the clocks skip or repeat reads as Java reads it
    (PEP 495's fold 0: the offset before the change)."""

    def __init__(self, hours: int):
        self.standard = timedelta(hours=hours)

    def _changes(self, year: int) -> tuple[datetime, datetime]:
        if year < 1900:  # no summer time: a change that never comes
            return datetime(year, 12, 31, 23), datetime(year, 12, 31, 23)
        return _CRISIS.get(year) or (_sunday_on_or_after(year, 4, 24), _sunday_on_or_after(year, 10, 25))

    def dst(self, dt: datetime | None) -> timedelta:
        if dt is None:
            return timedelta(0)
        begins, ends = self._changes(dt.year)
        if begins == ends:
            return timedelta(0)
        wall = dt.replace(tzinfo=None)
        if begins + _HOUR <= wall < ends - _HOUR:
            return _HOUR
        if begins <= wall < begins + _HOUR:  # skipped: before the change unless fold says after
            return _HOUR if dt.fold else timedelta(0)
        if ends - _HOUR <= wall < ends:  # repeated: summer time's first, standard's with fold
            return timedelta(0) if dt.fold else _HOUR
        return timedelta(0)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return self.standard + self.dst(dt)

    def tzname(self, dt: datetime | None) -> str:
        return f"UTC{self.utcoffset(dt)}"

    def fromutc(self, dt: datetime) -> datetime:
        begins, ends = self._changes(dt.year)
        if begins == ends:
            return (dt.replace(tzinfo=None) + self.standard).replace(tzinfo=self)
        utc = dt.replace(tzinfo=None)
        summer = begins - self.standard <= utc < ends - self.standard - _HOUR
        local = utc + self.standard + (_HOUR if summer else timedelta(0))
        # The hour repeated in October: its second time round is standard time's.
        repeated = not summer and ends - self.standard - _HOUR <= utc < ends - self.standard
        return local.replace(tzinfo=self, fold=1 if repeated else 0)
