"""Python twins of Logward's stored Painless scripts (pipelines/_scripts/*.painless).

The embedded engine does not interpret Painless. Each stored script a pipeline calls by
`id` has a twin here that does the same thing; the differential test runs every fixture
through both the real node and the twin and requires identical documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .fields import MISSING, assign, lookup

Twin = Callable[[dict, dict, dict], None]

_MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec"
_FRACTION = re.compile(r"(\.\d{6})\d+")


def _instant(text: str) -> datetime:
    """ZonedDateTime.parse for the ISO-8601 instants Elasticsearch and shippers write."""
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00"))


def syslog_year(doc: dict, meta: dict, params: dict) -> None:
    """BSD syslog has no year: take the reference's, or the one before if that is in the future."""
    tmp = doc["_tmp"]
    created = lookup(doc, ("event", "created"))
    reference = _instant(tmp["now"] if created is MISSING or created is None else created)
    month = _MONTHS.find(tmp["month"]) // 3 + 1
    day = int(tmp["day"].strip())
    year = reference.year
    if month * 32 + day > reference.month * 32 + reference.day + 1:
        year -= 1
    tmp["year"] = str(year)


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


_SPLIT: dict[str, tuple[str, ...]] = {}


def classify(doc: dict, meta: dict, params: dict) -> None:
    """Set the fields a message form implies, from the pipeline's table of forms."""
    tmp = doc.get("_tmp")
    form = tmp.get("form") if tmp.__class__ is dict else None
    if form is None:
        return
    fields = params["forms"].get(form)
    if fields is None:
        raise ValueError(f"no classification for message form [{form}]")
    for path, value in fields.items():
        keys = _SPLIT.get(path)
        if keys is None:
            keys = _SPLIT[path] = tuple(path.split("."))
        assign(doc, keys, path, _copy(value))


TWINS: dict[str, Twin] = {
    "logward-syslog-year": syslog_year,
    "logward-classify": classify,
}
