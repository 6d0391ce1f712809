"""Conditions over event fields, as rules write them in `where:`.

A mapping is a conjunction; each key is a field and its value one value, a list (any of
them), or one of `{exists: true|false}`. The keys `any` (a list of mappings, one of which
must hold), `all` (a list, all of which must hold) and `not` (a mapping that must not hold)
combine them. Parsing gives a small tree that the engine evaluates and the compiler turns
into KQL, EQL or query DSL. A value is compared whole; when the rules load it is checked
against its field's type in pipelines/fields.yml (`limits.FIELD_VALUES`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .limits import FieldError
from .written import as_written

Scalar = str | int | bool


@dataclass(frozen=True)
class Equals:
    field: str
    values: tuple[Scalar, ...]  # any of these
    # Where the rule file wrote it (where.not.user.name), for messages; not part of its meaning.
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class Exists:
    field: str
    path: str = field(default="", compare=False)


@dataclass(frozen=True)
class Not:
    inner: Condition


@dataclass(frozen=True)
class All:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    items: tuple[Condition, ...]


Condition = Equals | Exists | Not | All | Any_


def parse(spec: Any, where: str = "where") -> Condition:
    if not isinstance(spec, dict) or not spec:
        raise FieldError(where, "a condition is a non-empty mapping of fields to values")
    items: list[Condition] = []
    for key, value in spec.items():
        path = f"{where}.{key}"
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                raise FieldError(path, f"`{key}` takes a non-empty list of conditions")
            parts = tuple(parse(v, f"{path}[{i}]") for i, v in enumerate(value))
            items.append(Any_(parts) if key == "any" else All(parts))
        elif key == "not":
            items.append(Not(parse(value, path)))
        else:
            items.append(_field(str(key), value, path))
    return items[0] if len(items) == 1 else All(tuple(items))


def _scalar(value: Any, path: str) -> Scalar:
    if isinstance(value, (str, int, bool)) and not isinstance(value, float):
        return value
    raise FieldError(path, f"values are strings, integers or booleans, got {as_written(value)}")


_OPERATORS = ("any", "all", "not")


def _field(name: str, value: Any, path: str) -> Condition:
    if isinstance(value, dict) and set(value) != {"exists"}:
        # `Not:`, `anyof:`, or ECS nesting (`user: {name: x}`): say which it could be.
        if name.lower() in _OPERATORS:
            raise FieldError(path, f"operators are written in lowercase: {name.lower()}")
        inner = next(iter(value), "name")
        raise FieldError(path, f"{name!r} is not an operator (any, all, not), and a field takes a value, a list "
                               f"of values or {{exists: true|false}}; a field inside it is written with dots "
                               f"({name}.{inner}: ...)")
    if isinstance(value, dict):
        if not isinstance(value["exists"], bool):
            raise FieldError(path, f"exists is true or false, got {as_written(value['exists'])}")
        return Exists(name, path) if value["exists"] else Not(Exists(name, path))
    if isinstance(value, list):
        if not value:
            raise FieldError(path, "an empty list matches nothing")
        if any(isinstance(v, dict) for v in value):
            raise FieldError(path, f"{name!r} is not an operator (any, all, not), and a field's values are "
                                   "strings, integers or booleans")
        return Equals(name, tuple(_scalar(v, path) for v in value), path)
    return Equals(name, (_scalar(value, path),), path)


def tests(condition: Condition) -> list[Equals | Exists]:
    """Every test of one field in a condition, in the order written."""
    if isinstance(condition, (Equals, Exists)):
        return [condition]
    if isinstance(condition, Not):
        return tests(condition.inner)
    return [found for c in condition.items for found in tests(c)]


def comparisons(condition: Condition) -> list[Equals]:
    """Every comparison of a field with values in a condition, in the order written."""
    return [found for found in tests(condition) if isinstance(found, Equals)]


def any_of(conditions: list[Condition]) -> Condition:
    unique = list(dict.fromkeys(conditions))
    return unique[0] if len(unique) == 1 else Any_(tuple(unique))
