"""Mustache field templates (`{{field}}`, `{{{field}}}`) as Elasticsearch renders them.

Only variables are supported, which is all ingest pipelines use in practice; a section or
partial is a definition error. `{{x}}` escapes for JSON, `{{{x}}}` inserts the raw text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from .errors import PipelineDefinitionError
from .fields import MISSING

_TAG = re.compile(r"\{\{(\{)?\s*([^{}#^/!>&\s][^{}]*?)\s*(\})?\}\}")
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def is_template(value: object) -> bool:
    return isinstance(value, str) and "{{" in value


def java_double(x: float) -> str:
    """Java's Double.toString, which is how Elasticsearch prints a float into text."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x == 0 or 1e-3 <= abs(x) < 1e7:
        return repr(x)
    exact = Decimal(repr(abs(x)))
    digits = "".join(map(str, exact.as_tuple().digits)).rstrip("0") or "0"
    sign = "-" if x < 0 else ""
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exact.adjusted()}"


def render(value: Any) -> str:
    """Text of a field value inside a template, as Java's toString would give it."""
    if value is None or value is MISSING:
        return ""
    if value.__class__ is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, list):  # a list is handed to the template as a map of its indexes
        return "{" + ", ".join(f"{i}={_java_string(v)}" for i, v in enumerate(value)) + "}"
    return _java_string(value)


def _java_string(value: Any) -> str:
    """Java's toString of a value inside a list or map: null, [a, b], {k=v}."""
    if value is None:
        return "null"
    if isinstance(value, list):
        return "[" + ", ".join(_java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_java_string(v)}" for k, v in value.items()) + "}"
    return render(value)


def _escape_char(match: re.Match[str]) -> str:
    c = match.group()
    return _JSON_ESCAPES.get(c) or f"\\u{ord(c):04x}"


def render_escaped(value: Any) -> str:
    text = render(value)
    return _NEEDS_ESCAPE.sub(_escape_char, text) if _NEEDS_ESCAPE.search(text) else text


def render_now(template: str, known: Callable[[str], Any]) -> str | None:
    """The template's text, if every field it uses has a known value (or is known absent);
    `known(path)` gives the compiler's Fact for a field. None if it must wait for the data."""
    out, pos = [], 0
    for m in _TAG.finditer(template):
        fact = known(m.group(2))
        if fact.kind not in ("value", "absent"):
            return None
        out.append(template[pos : m.start()])
        text = render(fact.value)
        out.append(text if m.group(1) is not None else render_escaped(text))
        pos = m.end()
    out.append(template[pos:])
    return "".join(out) if "{{" not in template[pos:] else None


def compile_template(template: str, getter: Callable[[str], str],
                     is_text: Callable[[str], bool] = lambda path: False) -> str:
    """A Python expression that renders `template`; `getter(path)` gives a path's lookup,
    `is_text(path)` says the field is known to hold a string (which renders as itself)."""
    parts: list[str] = []
    pos = 0
    for m in _TAG.finditer(template):
        if m.start() > pos:
            parts.append(repr(template[pos : m.start()]))
        triple = m.group(1) is not None
        if triple != (m.group(3) is not None):
            raise PipelineDefinitionError(f"unbalanced braces in template {template!r}")
        value = getter(m.group(2))
        if triple and is_text(m.group(2)):
            parts.append(value)
        elif triple:
            parts.append(f"(_r if (_r := {value}).__class__ is str else _render(_r))")
        else:
            parts.append(f"_render_escaped({value})")
        pos = m.end()
    rest = template[pos:]
    if "{{" in rest:
        raise PipelineDefinitionError(f"template {template!r}: only {{{{field}}}} and {{{{{{field}}}}}} are supported")
    if rest or not parts:
        parts.append(repr(rest))
    return " + ".join(parts)


RUNTIME = {"_render": render, "_render_escaped": render_escaped}
