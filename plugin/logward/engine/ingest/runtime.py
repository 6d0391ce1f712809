"""Helpers that compiled pipelines call, and the namespace they run in."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from . import dates, fields, java, painless, scripts, templates, zones
from .errors import ProcessorError
from .fields import MISSING, assign, delete, java_type, lookup, require
from .grok import convert


class Dropped(Exception):
    """The drop processor: the document is not indexed."""


def value_or_none(doc: dict, keys: tuple[str, ...]) -> Any:
    found = lookup(doc, keys)
    return None if found is MISSING else found


def message(error: BaseException) -> str:
    """Elasticsearch reports the root cause's message, without Python's quoting."""
    return str(error.args[0]) if error.args else type(error).__name__


def enter_failure(meta: dict, error: ProcessorError) -> None:
    ingest = meta.setdefault("_ingest", {})
    ingest["on_failure_message"] = error.message
    ingest["on_failure_processor_type"] = error.processor_type
    ingest["on_failure_processor_tag"] = error.tag


def leave_failure(meta: dict) -> None:
    ingest = meta.get("_ingest", {})
    for key in ("on_failure_message", "on_failure_processor_type", "on_failure_processor_tag"):
        ingest.pop(key, None)


def _distinct(values: list) -> list:
    out: list = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def append(root: dict, keys: tuple[str, ...], path: str, values: list, allow_duplicates: bool) -> None:
    if len(keys) == 2:
        parent = root.get(keys[0], MISSING)
        if parent is MISSING:  # a new object holding a new list
            root[keys[0]] = {keys[1]: values if allow_duplicates else _distinct(values)}
            return
        current = parent.get(keys[1], MISSING) if parent.__class__ is dict else lookup(root, keys)
    else:
        current = lookup(root, keys)
    if current is MISSING:
        target: list = []
        assign(root, keys, path, target)
    elif current.__class__ is list:
        target = current
    else:
        target = [current]
        assign(root, keys, path, target)
    for value in values:
        if allow_duplicates or value not in target:
            target.append(value)


def date_parser(formats: list[str], tz: tzinfo) -> Callable[[str], str]:
    """The date processor's parse for one list of formats and one zone. Log timestamps
    repeat a great deal: a parsed one is remembered."""
    known: dict[str, str] = {}

    def parse(text: str) -> str:
        out = known.get(text)
        if out is None:
            out = dates.format_date(text, formats, tz)
            if len(known) > 50_000:
                known.clear()
            known[text] = out
        return out

    return parse


_PARSERS: dict[tuple[int, tzinfo], tuple[list[str], Callable[[str], str]]] = {}


def date(text: str, formats: list[str], tz: tzinfo) -> str:
    """For a zone known only at run time (a template): the parser of these formats and zone."""
    found = _PARSERS.get((id(formats), tz))
    if found is None or found[0] is not formats:  # (an id may be reused once its list is gone)
        if len(_PARSERS) > 1000:
            _PARSERS.clear()
        found = _PARSERS[(id(formats), tz)] = (formats, date_parser(formats, tz))
    return found[1](text)


_ZONES: dict[str, tzinfo] = {}


def zone(name: str) -> tzinfo:
    found = _ZONES.get(name)
    if found is None:
        found = _ZONES[name] = zones.zone(name)
    return found


def _convert_one(value: Any, kind: str) -> Any:
    text = templates.render(value)
    if kind == "integer":
        return java.decode_long(text, java.INT_MIN, java.INT_MAX)
    if kind == "long":
        return java.decode_long(text)
    if kind == "float":
        return java.parse_float(text)
    if kind == "double":
        return java.parse_double(text)
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true"
        raise ValueError(f"[{text}] is not a boolean value, cannot convert to boolean")
    if kind == "string":
        return text
    for attempt in ("boolean", "integer", "long", "float", "double"):  # auto: the first that takes it
        try:
            return _convert_one(text, attempt)
        except ValueError:
            pass
    return text


def convert_value(value: Any, kind: str) -> Any:
    if value.__class__ is list:
        return [_convert_one(v, kind) for v in value]
    return _convert_one(value, kind)


def _string(value: Any, field: str) -> str:
    if value.__class__ is not str:
        raise TypeError(f"field [{field}] of type [{java_type(value)}] cannot be cast to [java.lang.String]")
    return value


def string_op(value: Any, operation: str, field: str) -> Any:
    def one(v: Any) -> str:
        text = _string(v, field)
        if operation == "lower":
            return text.lower()
        if operation == "upper":
            return text.upper()
        return text.strip(java.TRIM)

    return [one(v) for v in value] if value.__class__ is list else one(value)


def gsub(value: Any, regex: re.Pattern[str], replacement: str, field: str) -> Any:
    if value.__class__ is list:
        return [regex.sub(replacement, _string(v, field)) for v in value]
    return regex.sub(replacement, _string(value, field))


def split(value: Any, regex: re.Pattern[str], field: str) -> list[str]:
    parts = regex.split(_string(value, field))
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):  # Elasticsearch's parser refuses duplicate keys
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"Duplicate field '{key}'")
            seen.add(key)
    return found


def _non_numeric(token: str) -> Any:
    raise ValueError(f"Non-standard token '{token}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow")


def json_parse(value: Any) -> Any:
    """JSON as Elasticsearch's parser reads it: no duplicate keys, no NaN or Infinity. Text
    after the value fails, as on Elasticsearch 8 and later (strict_json_parsing); no value
    at all is null."""
    text = templates.render(value)
    if not text.strip(" \t\n\r"):
        return None
    try:
        return json.loads(text, object_pairs_hook=_object, parse_constant=_non_numeric)
    except json.JSONDecodeError:
        if "/" not in text:
            raise
    # Elasticsearch's parser takes /* */ and // comments as white space.
    return json.loads(_COMMENT.sub(_blank_comment, text), object_pairs_hook=_object, parse_constant=_non_numeric)


# A string, or a comment outside one. One left open runs to the end, where it is kept and
# fails the parse: matched once, not again from each "/*" or quote inside it.
_COMMENT = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\Z)|/\*.*?(?:\*/|\Z)|//[^\n\r]*', re.S)


def _blank_comment(match: re.Match[str]) -> str:
    found = match.group()
    closed = found.startswith("//") or (found.startswith("/*") and len(found) >= 4 and found.endswith("*/"))
    return " " if closed else found


NAMESPACE: dict[str, Any] = {
    "_ProcessorError": ProcessorError,
    "_Dropped": Dropped,
    "_MISSING": MISSING,
    "_lookup": lookup,
    "_require": require,
    "_assign": assign,
    "_delete": delete,
    "_val": value_or_none,
    "_append": append,
    "_message": message,
    "_enter_failure": enter_failure,
    "_leave_failure": leave_failure,
    "_grok_convert": convert,
    "_date": date,
    "_zone": zone,
    "_convert": convert_value,
    "_string_op": string_op,
    "_string": _string,
    "_gsub": gsub,
    "_split": split,
    "_json_parse": json_parse,
    "_bsd_timestamp": scripts.bsd_timestamp,
    **templates.RUNTIME,
    **painless.RUNTIME,
}

__all__ = ["NAMESPACE", "Dropped", "fields"]
