"""Dotted field paths over nested documents, with Elasticsearch's semantics and messages.

Compiled pipelines call these at run time. A path is a tuple of keys, split once at
compile time; the dotted text is kept only for error messages.
"""

from __future__ import annotations

from typing import Any

MISSING: Any = object()

_JAVA_TYPES = {
    str: "java.lang.String",
    int: "java.lang.Integer",
    float: "java.lang.Double",
    bool: "java.lang.Boolean",
    list: "java.util.ArrayList",
    dict: "java.util.HashMap",
}


def read_expression(root: str, keys: tuple[str, ...] | list[str]) -> str:
    """Python reading a nested field of `root` inline: None when it is absent or a parent
    is not an object, with no call on the way (object keys only, no list indexes)."""
    expr = f"{root}.get({keys[0]!r})"
    for depth, key in enumerate(keys[1:]):
        expr = f"(_t{depth}.get({key!r}) if (_t{depth} := {expr}).__class__ is dict else None)"
    return expr


def java_type(value: object) -> str:
    """The Java class name Elasticsearch would report for a value."""
    return _JAVA_TYPES.get(type(value), type(value).__name__)


def _index(container: list, key: str) -> int | None:
    try:
        i = int(key)
    except ValueError:
        return None
    return i if 0 <= i < len(container) else None


def lookup(doc: dict, keys: tuple[str, ...]) -> Any:
    """The value at `keys`, or MISSING when any step is absent or not a container."""
    node: Any = doc
    for key in keys:
        if node.__class__ is dict:
            node = node.get(key, MISSING)
            if node is MISSING:
                return MISSING
        elif node.__class__ is list:
            i = _index(node, key)
            if i is None:
                return MISSING
            node = node[i]
        else:
            return MISSING
    return node


def require(doc: dict, keys: tuple[str, ...], path: str) -> Any:
    """The value at `keys`; raises KeyError with Elasticsearch's message when absent."""
    node: Any = doc
    for key in keys:
        if node.__class__ is dict:
            if key not in node:
                raise KeyError(f"field [{key}] not present as part of path [{path}]")
            node = node[key]
        elif node is None:
            raise KeyError(f"cannot resolve [{key}] from null as part of path [{path}]")
        elif node.__class__ is list:
            i = _index(node, key)
            if i is None:
                raise KeyError(f"[{key}] is not an integer, cannot be used as an index as part of path [{path}]")
            node = node[i]
        else:
            raise KeyError(
                f"cannot resolve [{key}] from object of type [{java_type(node)}] as part of path [{path}]"
            )
    return node


def assign(doc: dict, keys: tuple[str, ...], path: str, value: Any) -> None:
    """Set `keys` to `value`, creating intermediate objects as Elasticsearch does."""
    node: Any = doc
    last = len(keys) - 1
    for n, key in enumerate(keys):
        if node.__class__ is dict:
            if n == last:
                node[key] = value
                return
            child = node.get(key, MISSING)
            if child is MISSING:
                child = node[key] = {}
            node = child
        elif node is None:
            raise KeyError(f"cannot set [{key}] with null parent as part of path [{path}]")
        elif node.__class__ is list:
            i = _index(node, key)
            if i is None:
                raise KeyError(f"[{key}] is not an integer, cannot be used as an index as part of path [{path}]")
            if n == last:
                node[i] = value
                return
            node = node[i]
        else:
            raise KeyError(
                f"cannot set [{key}] with parent object of type [{java_type(node)}] as part of path [{path}]"
            )


def delete(doc: dict, keys: tuple[str, ...], path: str) -> Any:
    """Remove `keys` and return its value; KeyError with Elasticsearch's message when absent."""
    parent = require(doc, keys[:-1], path) if len(keys) > 1 else doc
    key = keys[-1]
    if parent.__class__ is dict:
        if key not in parent:
            raise KeyError(f"field [{key}] not present as part of path [{path}]")
        return parent.pop(key)
    if parent.__class__ is list:
        i = _index(parent, key)
        if i is None:
            raise KeyError(f"[{key}] is not an integer, cannot be used as an index as part of path [{path}]")
        return parent.pop(i)
    raise KeyError(f"cannot remove [{key}] from object of type [{java_type(parent)}] as part of path [{path}]")
