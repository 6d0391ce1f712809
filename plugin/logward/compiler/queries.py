"""Conditions as query text. A language is a table of tokens; one function renders any
condition with any table, so KQL and EQL cannot drift apart."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ..rules.conditions import All, Any_, Condition, Equals, Exists, Not, Scalar


def _quote(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _eql_field(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", name) else f"`{name}`"


@dataclass(frozen=True)
class Language:
    equals: str  # "{field}{op}{value}"
    any_of: str  # "{field}{op}({values})"
    separator: str  # between the values of any_of
    exists: str
    conjunction: str
    disjunction: str
    negation: str
    field: Callable[[str], str] = str
    quote: Callable[[Scalar], str] = _quote


KQL = Language(
    equals="{field}: {value}", any_of="{field}: ({values})", separator=" or ", exists="{field}: *",
    conjunction=" and ", disjunction=" or ", negation="not {inner}",
)
EQL = Language(
    equals="{field} == {value}", any_of="{field} in ({values})", separator=", ", exists="{field} != null",
    conjunction=" and ", disjunction=" or ", negation="not {inner}", field=_eql_field,
)


def render(condition: Condition, language: Language, nested: bool = False) -> str:
    """The condition in `language`; `nested` adds parentheses where precedence needs them."""
    if isinstance(condition, Equals):
        field = language.field(condition.field)
        if len(condition.values) == 1:
            return language.equals.format(field=field, value=language.quote(condition.values[0]))
        values = language.separator.join(language.quote(v) for v in condition.values)
        return language.any_of.format(field=field, values=values)
    if isinstance(condition, Exists):
        return language.exists.format(field=language.field(condition.field))
    if isinstance(condition, Not):
        inner = render(condition.inner, language, nested=True)
        if isinstance(condition.inner, Not):  # KQL has no `not not x`; an override makes one
            inner = f"({inner})"
        return language.negation.format(inner=inner)
    joiner = language.conjunction if isinstance(condition, All) else language.disjunction
    text = joiner.join(render(item, language, nested=True) for item in condition.items)
    return f"({text})" if nested else text


def query_dsl(condition: Condition) -> dict:
    """The condition as an Elasticsearch query (filter context: no scoring)."""
    if isinstance(condition, Equals):
        values = list(condition.values)
        return {"term": {condition.field: values[0]}} if len(values) == 1 else {"terms": {condition.field: values}}
    if isinstance(condition, Exists):
        return {"exists": {"field": condition.field}}
    if isinstance(condition, Not):
        return {"bool": {"must_not": [query_dsl(condition.inner)]}}
    if isinstance(condition, All):
        return {"bool": {"filter": [query_dsl(item) for item in condition.items]}}
    assert isinstance(condition, Any_)
    return {"bool": {"should": [query_dsl(item) for item in condition.items], "minimum_should_match": 1}}
