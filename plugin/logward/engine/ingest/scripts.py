"""Python twins of Logward's stored Painless scripts (pipelines/_scripts/*.painless).

The embedded engine does not interpret Painless. Each stored script a pipeline calls by
`id` has a twin here that does the same thing; the differential test runs every fixture
through both the real node and the twin and requires identical documents.
"""

from __future__ import annotations

import calendar
import ipaddress
import re
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from . import dates, facts, zones
from .fields import MISSING, assign, lookup

if TYPE_CHECKING:
    from .compiler import Emit

Twin = Callable[[dict, dict, dict], None]

_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"
_FRACTION = re.compile(r"(\.\d{6})\d+")


@lru_cache(maxsize=256)
def _instant(text: str) -> datetime:
    """ZonedDateTime.parse for the ISO-8601 instants Elasticsearch and shippers write."""
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))


@lru_cache(maxsize=4096)
def _year(reference_text: str, month_name: str, day: int, zone_name: str | None = None) -> int:
    reference = _instant(reference_text)
    if zone_name is not None:  # the line's clock is local there, and so is the date compared
        with suppress(dates.DateError):  # a zone Java refuses: the date processor reports it
            reference = reference.astimezone(zones.zone(zone_name))
    month = _MONTHS.find(month_name) // 3 + 1
    year = reference.year
    if month * 32 + day > reference.month * 32 + reference.day + 1:
        year -= 1
    elif month == 1 and day == 1 and reference.month == 12 and reference.day == 31:
        year += 1  # the day after the reference, across New Year: a clock a little ahead
    while month == 2 and day == 29 and not calendar.isleap(year):
        year -= 1  # Feb 29 can only be from a leap year
    return year


def syslog_year(doc: dict, meta: dict, params: dict) -> None:
    """BSD syslog has no year: take the reference's, or the one before if that is in the
    future; write the whole timestamp for the date processor."""
    tmp = doc["_tmp"]
    event = doc.get("event")
    created = event.get("created") if event.__class__ is dict else lookup(doc, ("event", "created"))
    zone = event.get("timezone") if event.__class__ is dict else None
    reference = tmp["now"] if created is MISSING or created is None else created
    day = int(tmp["day"].strip())
    year = _year(reference, tmp["month"], day, zone if zone.__class__ is str else None)
    tmp["timestamp"] = f"{year} {tmp['month']} {day} {tmp['time']}"


_PLANS: dict[int, dict[str, list[tuple[tuple[str, ...], str, Any]]]] = {}


def _plan(forms: dict[str, dict[str, Any]]) -> dict[str, list[tuple[tuple[str, ...], str, Any]]]:
    """Each form's assignments with their paths split once (params are constant)."""
    plan = _PLANS.get(id(forms))
    if plan is None:
        plan = _PLANS[id(forms)] = {
            form: [(tuple(path.split(".")), path, value) for path, value in fields.items()]
            for form, fields in forms.items()
        }
    return plan


def classify(doc: dict, meta: dict, params: dict) -> None:
    """Set the fields a message form implies, from the pipeline's table of forms."""
    tmp = doc.get("_tmp")
    form = tmp.get("form") if tmp.__class__ is dict else None
    if form is None:
        return
    steps = _plan(params["forms"]).get(form)
    if steps is None:
        raise ValueError(f"no classification for message form [{form}]")
    for keys, path, value in steps:
        if value.__class__ is list:
            value = list(value)  # the document gets its own copy, as Painless's new ArrayList
        node = doc
        try:
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = value
        except (TypeError, AttributeError):
            assign(doc, keys, path, value)  # fails as Painless would, with Elasticsearch's words


def _specialize_classify(e: Emit, params: dict) -> bool:
    """When the message form is known while compiling, its fields are plain stores."""
    form = e.known("_tmp.form")
    if form.kind != "value":
        return False
    fields = params["forms"].get(form.value)
    if fields is None:
        e.w(e.fail(repr(f"no classification for message form [{form.value}]")))
        return True
    for path, value in fields.items():
        expr, fact = e.value(value)
        e.store(e.target(path), expr, fact)
    return True


def journal_bytes(doc: dict, meta: dict, params: dict) -> None:
    """A journal MESSAGE exported as byte values: decoded as UTF-8, U+FFFD for bad bytes."""
    journal = doc["_tmp"]["journal"]
    values = journal["MESSAGE"]
    if values.__class__ is not list or not all(v.__class__ is int and 0 <= v <= 255 for v in values):
        return
    journal["MESSAGE"] = bytes(values).decode("utf-8", errors="replace")


def ipv6_network(doc: dict, meta: dict, params: dict) -> None:
    """The client's /64 network, RFC 5952's way (ipaddress compresses as the RFC says);
    a link-local or ::/64 address stays itself."""
    network = ipaddress.IPv6Network((doc["source"]["ip"], 64), strict=False)
    if network.network_address.is_link_local or not int(network.network_address):
        return
    doc["logward"]["source"]["network"] = network.compressed


TWINS: dict[str, Twin] = {
    "logward-syslog-year": syslog_year,
    "logward-classify": classify,
    "logward-journal-bytes": journal_bytes,
    "logward-ipv6-network": ipv6_network,
}

# The reference, month, day and zone last seen, and their date; replaced whole, so engines
# in other threads never read one day's key with another day's date.
_LAST_DAY: list[tuple[str | None, str | None, str | None, str | None, str]] = [(None, None, None, None, "")]


def bsd_timestamp(reference: str, month: str, day: str, clock: str, zone: str | None = None) -> str:
    # A log's lines come many to a day: the date is worked out once per day.
    last = _LAST_DAY[0]
    if day == last[2] and month == last[1] and reference == last[0] and zone == last[3]:
        return last[4] + clock
    day_number = int(day.strip())
    date = f"{_year(reference, month, day_number, zone)} {month} {day_number} "
    _LAST_DAY[0] = (reference, month, day, zone, date)
    return date + clock


def _specialize_syslog_year(e: Emit, params: dict) -> bool:
    """With the fields' places known, the twin is one call on them."""
    needed = ("_tmp.month", "_tmp.day", "_tmp.time")
    created, zone = e.known("event.created"), e.known("event.timezone")
    if not all(e.known(p).kind == "str" for p in needed) or created.kind not in ("str", "value"):
        return False
    if zone.kind not in ("absent", "str"):
        return False
    read = e.read
    zoned = f", {read('event.timezone')}" if zone.kind == "str" else ""
    e.store(e.target("_tmp.timestamp"), f"_bsd_timestamp({read('event.created')}, {read('_tmp.month')}, "
                                        f"{read('_tmp.day')}, {read('_tmp.time')}{zoned})", facts.STR)
    return True


# How a stored script can be compiled in place, given its params, when specializing.
SPECIALIZERS: dict[str, Callable[[Emit, dict], bool]] = {
    "logward-classify": _specialize_classify,
    "logward-syslog-year": _specialize_syslog_year,
}

# The fields a twin writes, for the compiler's knowledge (absent here: it may write anything).
WRITES: dict[str, dict[str, facts.Fact]] = {
    "logward-syslog-year": {"_tmp.timestamp": facts.STR},
    "logward-ipv6-network": {"logward.source.network": facts.STR},
}
