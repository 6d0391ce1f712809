"""The date processor's parsing and output, as Elasticsearch 7.10 to 9.x do it.

Formats are Java DateTimeFormatter patterns (the common letters: u y M d H m s S X Z and
quoted literals) or the named formats ISO8601, UNIX and UNIX_MS. Output is
`yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in the processor's timezone (UTC by default), and failures
carry the messages Java gives, so `on_failure` handlers see the same text in both places.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

from . import java

_SHORT_MONTHS = [calendar.month_abbr[i] for i in range(1, 13)]
_FULL_MONTHS = [calendar.month_name[i] for i in range(1, 13)]
_FIELD_NAMES = {
    "month": ("MonthOfYear", 1, "12"),
    "day": ("DayOfMonth", 1, "28/31"),
    "hour": ("HourOfDay", 0, "23"),
    "minute": ("MinuteOfHour", 0, "59"),
    "second": ("SecondOfMinute", 0, "59"),
}
_LIMITS = {"month": 12, "day": 31, "hour": 23, "minute": 59, "second": 59}
_OFFSET = re.compile(r"(Z)|([+-])(\d\d)(?::?([0-5]\d))?")
_ISO = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d\d)(?:-(?P<day>\d\d)"
    r"(?:T(?P<hour>\d\d)(?::(?P<minute>\d\d)(?::(?P<second>\d\d)(?:[.,](?P<fraction>\d{1,9}))?)?)?"
    r"(?P<offset>Z|[+-]\d\d(?::?[0-5]\d)?)?)?)?)?"
)


class DateError(ValueError):
    """A value the date processor cannot parse; the message is Java's."""


@dataclass(frozen=True)
class _Token:
    kind: str  # literal, year, month, month_text, day, hour, minute, second, fraction, offset
    width: int = 0
    text: str = ""


@lru_cache(maxsize=64)
def _tokens(pattern: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.index("'", i + 1)
            tokens.append(_Token("literal", text=pattern[i + 1 : end] or "'"))
            i = end + 1
            continue
        j = i
        while j < len(pattern) and pattern[j] == c:
            j += 1
        n = j - i
        if c in "uy":
            tokens.append(_Token("year", n))
        elif c == "M":
            tokens.append(_Token("month_text", n) if n >= 3 else _Token("month", n))
        elif c in "dHms":
            kind = {"d": "day", "H": "hour", "m": "minute", "s": "second"}[c]
            tokens.append(_Token(kind, n))
        elif c == "S":
            tokens.append(_Token("fraction", n))
        elif c in "XZx":
            tokens.append(_Token("offset", n, c))
        elif c.isalpha():
            raise ValueError(f"date pattern letter {c!r} in {pattern!r} is not supported")
        else:
            tokens.append(_Token("literal", text=c * n))
        i = j
    return tuple(tokens)


def _digit_widths(tok: _Token) -> tuple[int, int]:
    """How many digits a numeric token takes, at least and at most (Java's DateTimeFormatter:
    "yyyy" exactly 4, "yy" exactly 2, "y" 1 to 19; a one-letter field 1 to 19; others fixed)."""
    if tok.kind == "year":
        return (4, 4) if tok.width == 4 else (tok.width, tok.width if tok.width == 2 else 19)
    if tok.kind == "fraction":
        return tok.width, tok.width
    return (1, 19) if tok.width == 1 else (tok.width, tok.width)


@lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    """The pattern as one regex that accepts exactly what the token parser below accepts
    (possessive quantifiers: Java's parser does not backtrack either)."""
    parts = []
    for tok in _tokens(pattern):
        if tok.kind == "literal":
            parts.append(re.escape(tok.text))
        elif tok.kind == "month_text":
            names = _SHORT_MONTHS if tok.width == 3 else _FULL_MONTHS
            parts.append(f"(?P<month_text>(?>{'|'.join(names)}))")
        elif tok.kind == "offset":
            parts.append(f"(?P<offset>{_OFFSET.pattern})")
        else:
            least, most = _digit_widths(tok)
            parts.append(f"(?P<{tok.kind}>[0-9]{{{least},{most}}}+)")
    return re.compile("".join(parts))


def _fast_fields(text: str, pattern: str) -> dict | None:
    m = _regex(pattern).fullmatch(text)
    if m is None:
        return None
    fields: dict = {}
    for name, value in m.groupdict().items():
        if value is None:
            continue
        if name == "month_text":
            names = _SHORT_MONTHS if len(value) == 3 else _FULL_MONTHS
            fields["month"] = names.index(value) + 1
        elif name == "offset":
            fields["offset"] = value
        elif name == "fraction":
            fields["fraction"] = int(value.ljust(9, "0")[:9])
        elif name == "year" and len(value) == 2:
            fields["year"] = int(value) + 2000
        else:
            fields[name] = int(value)
    return fields


def _digits(text: str, pos: int, least: int, most: int) -> tuple[int, int] | None:
    end = pos
    while end < len(text) and end - pos < most and text[end].isdigit() and text[end].isascii():
        end += 1
    if end - pos < least:
        return None
    return int(text[pos:end]), end


def _parse_pattern(text: str, pattern: str) -> dict:
    fast = _fast_fields(text, pattern)
    if fast is not None:
        return fast
    fields: dict = {}
    pos = 0
    for tok in _tokens(pattern):
        if tok.kind == "literal":
            if not text.startswith(tok.text, pos):
                raise DateError(f"Text '{text}' could not be parsed at index {pos}")
            pos += len(tok.text)
            continue
        if tok.kind == "month_text":
            names = _SHORT_MONTHS if tok.width == 3 else _FULL_MONTHS
            for k, name in enumerate(names):
                if text.startswith(name, pos):
                    fields["month"] = k + 1
                    pos += len(name)
                    break
            else:
                raise DateError(f"Text '{text}' could not be parsed at index {pos}")
            continue
        if tok.kind == "offset":
            m = _OFFSET.match(text, pos)
            if not m:
                raise DateError(f"Text '{text}' could not be parsed at index {pos}")
            fields["offset"] = m.group(0)
            pos = m.end()
            continue
        least, most = _digit_widths(tok)
        got = _digits(text, pos, least, most)
        if got is None:
            raise DateError(f"Text '{text}' could not be parsed at index {pos}")
        value, end = got
        if tok.kind == "year" and tok.width == 2:
            value += 2000
        if tok.kind == "fraction":
            value = int(text[pos:end].ljust(9, "0")[:9])
        fields[tok.kind] = value
        pos = end
    if pos != len(text):
        raise DateError(f"Text '{text}' could not be parsed, unparsed text found at index {pos}")
    return fields


def _parse_iso(text: str) -> dict:
    m = _ISO.match(text)
    if not m:
        raise DateError(f"Text '{text}' could not be parsed at index 0")
    end = m.end()
    if m.group("offset") and m.group("offset")[1:3].isdigit() and int(m.group("offset")[1:3]) > 18:
        end = m.start("offset") + 3  # Java's offset parser stops after hours above 18
    if end != len(text):
        raise DateError(f"Text '{text}' could not be parsed, unparsed text found at index {end}")
    if _past_18_hours(m.group("offset")):
        raise DateError(f"Text '{text}' could not be parsed at index 4")  # as Java words it
    fields = {k: int(v) for k, v in m.groupdict().items() if v is not None and k not in ("offset", "fraction")}
    if m.group("fraction"):
        fields["fraction"] = int(m.group("fraction").ljust(9, "0"))
    if m.group("offset"):
        fields["offset"] = m.group("offset")
    return fields


def _past_18_hours(offset: str | None) -> bool:
    """An offset of 18 hours and some minutes: Java takes none beyond 18:00."""
    if not offset or offset[1:3] != "18":
        return False
    return any(c in "123456789" for c in offset[3:])


def _offset(text: str) -> tzinfo:
    m = _OFFSET.fullmatch(text)
    if not m or m.group(1):
        return UTC
    hours = int(m.group(3))
    if hours > 23:
        raise DateError("Value out of range: Hour[0-23], Minute[0-59], Second[0-59]")
    if hours > 18:
        raise DateError(f"Zone offset hours not in valid range: value {hours} is not in the range -18 to 18")
    sign = -1 if m.group(2) == "-" else 1
    return timezone(sign * timedelta(hours=int(m.group(3)), minutes=int(m.group(4) or 0)))


def _month_days(year: int, month: int) -> int:
    """For any proleptic Gregorian year, 0 and 10000 too (calendar's stop at datetime's)."""
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _check(fields: dict) -> None:
    """Java's checks in the order its resolver makes them: the date's fields, that the day
    exists in that month, then the time's fields (the minute before the hour)."""
    _check_ranges(fields, ("month", "day"))
    year = fields.get("year", datetime.now(UTC).year)
    month, day = fields.get("month", 1), fields.get("day", 1)
    if day > _month_days(year, month):
        if month == 2 and day == 29:
            raise DateError(f"Invalid date 'February 29' as '{year}' is not a leap year")
        raise DateError(f"Invalid date '{_FULL_MONTHS[month - 1].upper()} {day}'")
    _check_ranges(fields, ("minute", "hour", "second"))


def _check_ranges(fields: dict, names: tuple[str, ...]) -> None:
    for name in names:
        value = fields.get(name)
        if value is not None:
            label, low, shown = _FIELD_NAMES[name]
            if not low <= value <= _LIMITS[name]:
                raise DateError(f"Invalid value for {label} (valid values {low} - {shown}): {value}")


def _resolve(fields: dict, tz: tzinfo) -> datetime | int:
    """The instant the fields name: a datetime, or milliseconds since the epoch at the ends
    of datetime's years (1 and 9999), where an offset takes it past them (Java's years go
    on: 0000 is 1 BC, and 9999-12-31T23:59-01:00 is in the year 10000)."""
    _check(fields)
    year = fields.get("year", datetime.now(UTC).year)
    month, day = fields.get("month", 1), fields.get("day", 1)
    if not 1 < year < 9999:
        clock = (fields.get("hour", 0) * 60 + fields.get("minute", 0)) * 60 + fields.get("second", 0)
        millis = clock * 1000 + fields.get("fraction", 0) // 1_000_000
        local_millis = days_since_epoch(year, month, day) * 86_400_000 + millis
        if "offset" in fields:
            offset = _offset(fields["offset"]).utcoffset(None) or timedelta(0)
            return local_millis - int(offset.total_seconds()) * 1000
        return local_millis - _offset_millis(local_millis - _offset_millis(local_millis, tz), tz)
    local = datetime(
        year, month, day, fields.get("hour", 0), fields.get("minute", 0), fields.get("second", 0),
        fields.get("fraction", 0) // 1000,
    )
    source_zone = _offset(fields["offset"]) if "offset" in fields else tz
    return local.replace(tzinfo=source_zone)


def _epoch_millis(text: str, fmt: str) -> int:
    """UNIX_MS reads a Java long; UNIX a Java double of seconds, cast to long milliseconds."""
    try:
        if fmt == "UNIX_MS":
            return java.parse_long(text)
        return java.double_to_long(java.parse_double(text) * 1000.0)
    except ValueError as e:
        raise DateError(str(e)) from None


def parse(text: str, formats: list[str], tz: tzinfo) -> datetime | int:
    """The instant `text` names under the first format that accepts it: a datetime, or
    for UNIX and UNIX_MS milliseconds since the epoch (their range is far wider).

    When none does, the first format's error is the one reported, as Elasticsearch does.
    """
    first: DateError | None = None
    for fmt in formats:
        try:
            if fmt == "ISO8601":
                return _resolve(_parse_iso(text), tz)
            if fmt in ("UNIX", "UNIX_MS"):
                return _epoch_millis(text, fmt)
            return _resolve(_parse_pattern(text, fmt), tz)
        except DateError as e:
            first = first or e
        except ValueError:
            first = first or DateError(f'For input string: "{text}"')
    assert first is not None
    raise first


_MONTH_NUMBERS = {name: k + 1 for names in (_SHORT_MONTHS, _FULL_MONTHS) for k, name in enumerate(names)}


# Numbers as the printer pads them. Concatenating these is several times quicker than
# format specs, in a path taken for every line.
TWO_DIGITS = tuple(f"{n:02d}" for n in range(100))
_MILLIS = tuple(f".{n:03d}Z" for n in range(1000))


# What a quick printer returns for a value its format rejects outright (the next format
# may take it); None means "ask the general path", which also gives the errors.
REJECTED = ""


@lru_cache(maxsize=64)
def _utc_printer(pattern: str) -> Callable[[str], str | None] | None:
    """For a pattern with a full date and time and no zone, a function printing a value
    read in UTC straight to the output text; REJECTED if the pattern does not accept the
    value (its regex accepts exactly what the pattern does), None if a check only the
    general path makes is needed. None for other patterns."""
    fields = [t for t in _tokens(pattern) if t.kind != "literal"]
    kinds = [t.kind for t in fields]
    month_kinds = {"month", "month_text"} & set(kinds)
    if (
        len(kinds) != len(set(kinds))
        or len(month_kinds) != 1
        or set(kinds) - month_kinds - {"fraction"} != {"year", "day", "hour", "minute", "second"}
        or any(t.kind == "year" and t.width != 4 for t in fields)
    ):
        return None
    names = ", ".join(f"_{k}" for k in kinds)
    month = "_MONTH_NUMBERS[_month_text]" if "month_text" in kinds else "int(_month)"
    millis = "_MILLIS[int(_fraction.ljust(9, '0')[:9]) // 1_000_000]" if "fraction" in kinds else "'.000Z'"
    # A clock field of exactly two digits is checked and printed as the text it is.
    two = {t.kind for t in fields if t.kind in ("hour", "minute", "second") and _digit_widths(t) == (2, 2)}
    clock, checks = [], []
    for kind, high in (("hour", "23"), ("minute", "59"), ("second", "59")):
        if kind in two:
            checks.append(f"_{kind} <= {high!r}")
            clock.append(f"_{kind}")
        else:
            checks.append(f"int(_{kind}) <= {high}")
            clock.append(f"_2[int(_{kind})]")
    source = f"""
def printer(text):
    m = rx.fullmatch(text)
    if m is None:
        return _REJECTED
    {names}, = m.groups()
    month, day = {month}, int(_day)
    if not (1 <= month <= 12 and {" and ".join(checks)}):
        return None
    if not 1 <= day <= 28 and not 28 < day <= _month_days(int(_year), month):
        return None
    return _year + "-" + _2[month] + "-" + _2[day] + "T" + {' + ":" + '.join(clock)} + {millis}
"""
    namespace = {"rx": re.compile(_regex(pattern).pattern.replace("?P<", "?P<_")), "_MONTH_NUMBERS": _MONTH_NUMBERS,
                 "_month_days": _month_days, "_2": TWO_DIGITS, "_MILLIS": _MILLIS,
                 "_REJECTED": REJECTED}
    exec(source, namespace)
    return namespace["printer"]


# ISO8601's most common form (RFC 3339, as rsyslog and journald write it): a full date and
# time, maybe a fraction, maybe an offset. Other forms ISO8601 accepts take the general path.
_ISO_FULL = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})"
                       r"(?:[.,]([0-9]{1,9}))?(?:Z|([+-])([0-9]{2})(?::?([0-5][0-9]))?)?")


def _iso_printer(text: str) -> str | None:
    """ISO8601 printed in UTC, or None: another form, or a value that needs the checks and
    messages of the general path."""
    m = _ISO_FULL.fullmatch(text)
    if m is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, offset_hours, offset_minutes = m.groups()
    month_number, day_number = int(month), int(day)
    if not (1 <= month_number <= 12 and hour <= "23" and minute <= "59" and second <= "59" and year >= "1000"):
        return None
    if not 1 <= day_number <= 28 and not 28 < day_number <= _month_days(int(year), month_number):
        return None
    millis = _MILLIS[int((fraction + "00")[:3])] if fraction else ".000Z"
    if sign is None:
        return year + "-" + month + "-" + day + "T" + hour + ":" + minute + ":" + second + millis
    if int(offset_hours) > 18 or (offset_hours == "18" and int(offset_minutes or 0) > 0):
        return None
    shift = int(offset_hours) * 60 + int(offset_minutes or 0)
    local = datetime(int(year), month_number, day_number, int(hour), int(minute), int(second))
    try:
        utc = local - timedelta(minutes=shift) if sign == "+" else local + timedelta(minutes=shift)
    except OverflowError:
        return None
    if utc.year < 1000:
        return None
    two = TWO_DIGITS
    return (str(utc.year) + "-" + two[utc.month] + "-" + two[utc.day] + "T" + two[utc.hour] + ":"
            + two[utc.minute] + ":" + two[utc.second] + millis)


def _quick_printer(fmt: str) -> Callable[[str], str | None] | None:
    if fmt == "ISO8601":
        return _iso_printer
    return None if fmt in ("UNIX", "UNIX_MS") else _utc_printer(fmt)


def format_date(text: str, formats: list[str], tz: tzinfo) -> str:
    """Parse with the first format that accepts `text`, and print as the processor does."""
    if tz is UTC:
        for fmt in formats:
            printer = _quick_printer(fmt)
            out = printer(text) if printer is not None else None
            if out is None:
                break
            if out != REJECTED:
                return out
    return format_output(parse(text, formats, tz), tz)


def _civil(days: int) -> tuple[int, int, int]:
    """Proleptic Gregorian year, month and day of a day number (0 is 1970-01-01), for any
    year: the era arithmetic of the civil calendar, 400 years to an era."""
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def days_since_epoch(year: int, month: int, day: int) -> int:
    """The day number (0 is 1970-01-01) of a proleptic Gregorian date: _civil backwards."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    return era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468


def _offset_millis(millis: int, tz: tzinfo) -> int:
    """The zone's offset at that instant. Beyond datetime's years (1 to 9999), the offset on
    the same day of the nearest year it has: zone rules past then only repeat."""
    days, rest = divmod(millis, 86_400_000)
    year, month, day = _civil(days)
    if 1 < year < 9999:
        when = datetime(year, month, day) + timedelta(milliseconds=rest)
    else:
        when = datetime(9998 if year >= 9999 else 2, month, min(day, 28) if month == 2 else day)
        when += timedelta(milliseconds=rest)
    return int((tz.fromutc(when.replace(tzinfo=tz)).utcoffset() or timedelta(0)).total_seconds()) * 1000


def _print_millis(millis: int, tz: tzinfo) -> str:
    """Milliseconds since the epoch as format_output prints them, beyond datetime's years too:
    the year of the era, with a "+" when it takes more than four digits (Java's yyyy)."""
    offset = 0 if tz is UTC else _offset_millis(millis, tz)
    days, rest = divmod(millis + offset, 86_400_000)
    year, month, day = _civil(days)
    era_year = year if year > 0 else 1 - year
    year_text = f"+{era_year}" if era_year > 9999 else f"{era_year:04d}"
    hour, rest = divmod(rest, 3_600_000)
    minute, rest = divmod(rest, 60_000)
    second, milli = divmod(rest, 1000)
    two = TWO_DIGITS
    return (f"{year_text}-{two[month]}-{two[day]}T{two[hour]}:{two[minute]}:{two[second]}."
            f"{milli:03d}{_zone_suffix(offset // 1000)}")


def format_output(instant: datetime | int, tz: tzinfo) -> str:
    """yyyy-MM-dd'T'HH:mm:ss.SSSXXX in the processor's zone."""
    if isinstance(instant, int):
        return _print_millis(instant, tz)
    # Through UTC: a local time the clocks skipped (02:30 on the night summer time begins)
    # then prints as Java gives it, moved on by the gap (03:30+02:00, the same instant).
    local = instant.astimezone(UTC).astimezone(tz)
    suffix = _zone_suffix(int((local.utcoffset() or timedelta(0)).total_seconds()))
    return f"{local.year:04d}-{local:%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}{suffix}"


def _zone_suffix(seconds: int) -> str:
    """XXX: Z for UTC, else the offset as +HH:MM; the seconds of an old local mean time
    (London's -00:01:15) are dropped, not rounded down (-00:01, as Java prints it)."""
    if seconds == 0:
        return "Z"
    minutes = abs(seconds) // 60
    return f"{'+' if seconds > 0 else '-'}{minutes // 60:02d}:{minutes % 60:02d}"
