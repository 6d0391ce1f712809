"""Conditions compiled to Python expressions over one parsed document (`doc`), which the
detector writes inline into each action's plan.

A field holding a list (event.category, related.ip) matches when any element does, as a
term query on a multi-valued field does in Elasticsearch.
"""

from __future__ import annotations

from typing import Any

from ...rules.conditions import All, Any_, Condition, Equals, Exists, Not
from ..ingest.fields import read_expression


def field_access(field: str, doc: str = "doc") -> str:
    """Python reading a dotted field of a nested document: it raises KeyError or TypeError
    when the field is absent (TypeError: a parent is not an object)."""
    return doc + "".join(f"[{key!r}]" for key in field.split("."))


def field_read(field: str) -> str:
    """A Python expression reading a dotted field of `doc` (None when absent); inline, so a
    condition makes no call to read a field."""
    return read_expression("doc", field.split("."))


def _equals(value: Any, wanted: frozenset) -> bool:
    if value is None:
        return False
    if value.__class__ is list:
        return any(v in wanted for v in value if v.__class__ is not dict and v.__class__ is not list)
    return value in wanted


class ExpressionBuilder:
    """Builds one Python expression per condition; fields and value sets become constants.

    Each field is read once, into a local of the function the expressions go into: the
    statements that read them are `reads`, to be written before the first expression (a
    plan tests event.outcome for many rules; the document does not change meanwhile)."""

    def __init__(self, namespace: dict[str, Any] | None = None) -> None:
        """`namespace`: where the constants go (the code the expressions are compiled in)."""
        self.namespace: dict[str, Any] = {} if namespace is None else namespace
        self.namespace["_equals"] = _equals
        self.locals: dict[str, str] = {}  # field -> the local holding its value
        self.reads: list[str] = []

    def const(self, value: Any) -> str:
        name = f"c{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def read(self, field: str) -> str:
        name = self.locals.get(field)
        if name is None:
            name = self.locals[field] = f"x{len(self.locals)}"
            self.reads.append(f"{name} = {field_read(field)}")
        return name

    def expr(self, cond: Condition) -> str:
        if isinstance(cond, Equals):
            read = self.read(cond.field)
            if len(cond.values) == 1 and isinstance(cond.values[0], str):
                wanted = self.const(cond.values[0])
                return f"({read} == {wanted} or ({read}.__class__ is list and {wanted} in {read}))"
            return f"_equals({read}, {self.const(frozenset(cond.values))})"
        if isinstance(cond, Exists):
            return f"({self.read(cond.field)} is not None)"
        if isinstance(cond, Not):
            return f"(not {self.expr(cond.inner)})"
        joiner = " and " if isinstance(cond, All) else " or "
        return "(" + joiner.join(self.expr(c) for c in cond.items) + ")"


def required_values(cond: Condition, field: str) -> frozenset | None:
    """Values `field` must have for `cond` to hold, if the condition pins it; else None.

    Lets the detector index rules by event.action and skip most of them per event.
    """
    if isinstance(cond, Equals) and cond.field == field:
        return frozenset(cond.values)
    if isinstance(cond, All):
        for item in cond.items:
            found = required_values(item, field)
            if found is not None:
                return found
    if isinstance(cond, Any_):
        parts = [required_values(item, field) for item in cond.items]
        if all(p is not None for p in parts):
            return frozenset().union(*parts)  # type: ignore[arg-type]
    return None


def specialize(cond: Condition, field: str, value: Any) -> Condition | bool:
    """The condition for events whose `field` is `value`: True, False, or what is left."""
    if isinstance(cond, Equals) and cond.field == field:
        return value in cond.values
    if isinstance(cond, Exists) and cond.field == field:
        return value is not None
    if isinstance(cond, Not):
        inner = specialize(cond.inner, field, value)
        return (not inner) if isinstance(inner, bool) else Not(inner)
    if isinstance(cond, (All, Any_)):
        parts = []
        for item in cond.items:
            part = specialize(item, field, value)
            if isinstance(part, bool):
                if part is isinstance(cond, Any_):  # True in an Any, False in an All
                    return part
                continue
            parts.append(part)
        if not parts:
            return isinstance(cond, All)
        return parts[0] if len(parts) == 1 else type(cond)(tuple(parts))
    return cond
