"""The part of Painless that processor `if` conditions use: parsed to a small tree, folded
where the compiler already knows field values, and translated to Python.

Accepted: `ctx.a?.b` field access (null-safe after the first step, so a missing field is
null rather than an error), `ctx['@timestamp']` for top-level names that are not
identifiers, string/number/boolean/null literals, list literals, `==`, `!=`, `<`, `<=`,
`>`, `>=`, `!`, `&&`, `||`, parentheses, and the methods `contains`, `startsWith`,
`endsWith`, `equals`, `isEmpty` and `length`. Anything else is a definition error, so a
condition never means one thing on the node and another here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import PipelineDefinitionError

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<num>-?\d+(?:\.\d+)?)
      | (?P<op>\?\.|==|!=|<=|>=|&&|\|\||[!<>().,\[\]])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_ARITY = {"contains": 1, "startsWith": 1, "endsWith": 1, "equals": 1, "isEmpty": 0, "length": 0}
_BOOLEAN_METHODS = {"contains", "startsWith", "endsWith", "equals", "isEmpty"}  # length() is a number


# The tree.
@dataclass(frozen=True)
class Field:
    path: str


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class ListOf:
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str  # == != < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    inner: Node


@dataclass(frozen=True)
class Call:
    method: str
    target: Node
    args: tuple[Node, ...]


Node = Field | Const | ListOf | Compare | And | Or | Not | Call


@dataclass
class _Typed:
    node: Node
    boolean: bool  # a Painless boolean, usable under ! && || and as the condition itself
    nullable: bool = False  # a null-safe call that may give null instead of a boolean


class _Parser:
    def __init__(self, source: str):
        self.source = source
        self.tokens = self._tokenize(source)
        self.pos = 0

    def _tokenize(self, source: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        source = source.rstrip()
        while pos < len(source):
            m = _TOKEN.match(source, pos)
            if not m or m.end() == pos:
                self.fail(f"unexpected text at {source[pos:pos + 20]!r}")
            kind = m.lastgroup or ""
            tokens.append((kind, m.group(kind)))
            pos = m.end()
        return tokens

    def fail(self, why: str) -> None:
        raise PipelineDefinitionError(f"condition {self.source!r}: {why}")

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            self.fail("ends too early")
        tok = self.tokens[self.pos]
        if expected is not None and tok[1] != expected:
            self.fail(f"expected {expected!r}, found {tok[1]!r}")
        self.pos += 1
        return tok

    def parse(self) -> Node:
        expr = self.or_()
        if self.pos != len(self.tokens):
            self.fail(f"unexpected {self.peek()!r}")
        self.need_boolean(expr)
        return expr.node

    def need_boolean(self, expr: _Typed) -> None:
        if not expr.boolean or expr.nullable:
            self.fail(f"{to_python(expr.node, lambda p: 'ctx.' + p)!r} is not a boolean "
                      "(compare a null-safe call with `== true`)")

    def or_(self) -> _Typed:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            self.need_boolean(left)
            self.need_boolean(right)
            left = _Typed(Or(left.node, right.node), True)
        return left

    def and_(self) -> _Typed:
        left = self.unary()
        while self.peek() == "&&":
            self.take()
            right = self.unary()
            self.need_boolean(left)
            self.need_boolean(right)
            left = _Typed(And(left.node, right.node), True)
        return left

    def unary(self) -> _Typed:
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            self.need_boolean(inner)
            return _Typed(Not(inner.node), True)
        return self.compare()

    def compare(self) -> _Typed:
        left = self.postfix()
        if self.peek() in ("==", "!=", "<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.postfix()
            return _Typed(Compare(op, left.node, right.node), True)
        return left

    def postfix(self) -> _Typed:
        expr, path = self.primary()
        while self.peek() in (".", "?.", "[") and not (self.peek() == "[" and path is None):
            if self.peek() == "[":
                self.take("[")
                kind, text = self.take()
                self.take("]")
                key = _unquote(text) if kind == "str" else ""
                if path != "" or not key or "." in key:
                    self.fail("only ctx['field'] with a plain top-level name is supported")
                path = key
                expr = _Typed(Field(path), False)
                continue
            safe = self.take()[1] == "?."
            name = self.take()[1]
            if self.peek() == "(":
                expr = self.call(expr, name, safe or expr.nullable)
                path = None
            elif path is not None:
                if not safe and path != "":
                    self.fail(f"use ?. to reach {name!r}: a missing parent would stop the pipeline")
                path = f"{path}.{name}" if path else name
                expr = _Typed(Field(path), False)
            else:
                self.fail(f"cannot read {name!r} from a method result")
        if path == "":
            self.fail("ctx alone is not a value")
        return expr

    def call(self, target: _Typed, name: str, null_safe: bool) -> _Typed:
        if name not in _ARITY:
            self.fail(f"method {name}() is not supported")
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.or_().node)
            if self.peek() == ",":
                self.take()
        self.take(")")
        if len(args) != _ARITY[name]:
            self.fail(f"{name}() takes {_ARITY[name]} argument(s)")
        return _Typed(Call(name, target.node, tuple(args)), name in _BOOLEAN_METHODS, nullable=null_safe)

    def primary(self) -> tuple[_Typed, str | None]:
        kind, text = self.take()
        if text == "(":
            inner = self.or_()
            self.take(")")
            return inner, None
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.or_().node)
                if self.peek() == ",":
                    self.take()
            self.take("]")
            return _Typed(ListOf(tuple(items)), False), None
        if kind == "str":
            return _Typed(Const(_unquote(text)), False), None
        if kind == "num":
            return _Typed(Const(float(text) if "." in text else int(text)), False), None
        if text in ("true", "false"):
            return _Typed(Const(text == "true"), True), None
        if text == "null":
            return _Typed(Const(None), False), None
        if text == "ctx":
            return _Typed(Const(None), False), ""
        self.fail(f"unexpected {text!r}")
        raise AssertionError  # unreachable


def _unquote(literal: str) -> str:
    return re.sub(r"\\(.)", r"\1", literal[1:-1])


def parse(source: str) -> Node:
    """The tree of a condition; a PipelineDefinitionError if it is outside the subset."""
    return _Parser(source).parse()


# Folding. `known(path)` says what the compiler knows of a field: ("value", v) when its
# value is v (None: absent or null), ("present", None) when it is there and not null, or
# None when nothing is known.
Knowledge = Callable[[str], tuple[str, Any] | None]
PRESENT = object()  # stands for "some non-null value" while folding


def _value(node: Node, known: Knowledge) -> Any:
    """The node's value if fully known (PRESENT if only known to be non-null), else a Node."""
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Field):
        fact = known(node.path)
        if fact is None:
            return node
        return fact[1] if fact[0] == "value" else PRESENT
    if isinstance(node, ListOf):
        items = [_value(item, known) for item in node.items]
        return items if all(not isinstance(i, Node) and i is not PRESENT for i in items) else node
    return node


def reads(node: Node) -> frozenset[str]:
    """The fields a condition reads."""
    if isinstance(node, Field):
        return frozenset({node.path})
    if isinstance(node, (And, Or, Compare)):
        return reads(node.left) | reads(node.right)
    if isinstance(node, Not):
        return reads(node.inner)
    if isinstance(node, ListOf):
        return frozenset().union(*(reads(i) for i in node.items))
    if isinstance(node, Call):
        return reads(node.target).union(*(reads(a) for a in node.args))
    return frozenset()


def outcomes(node: Node, value: bool) -> list[tuple[Node, bool]]:
    """What else is known once `node` evaluated to `value`: its parts, where they follow."""
    out = [(node, value)]
    if isinstance(node, Not):
        out += outcomes(node.inner, not value)
    elif (isinstance(node, And) and value) or (isinstance(node, Or) and not value):
        out += outcomes(node.left, value) + outcomes(node.right, value)
    return out


def fold(node: Node, known: Knowledge, assumed: dict | None = None) -> Node:
    """The condition simplified by what is known; Const(True/False) when decided.
    `assumed` maps (condition, reads) to outcomes already decided on the way here."""
    if assumed:
        decided = assumed.get((node, reads(node)))
        if decided is not None:
            return Const(decided)
    if isinstance(node, And):
        left = fold(node.left, known, assumed)
        if left == Const(False):
            return left
        right = fold(node.right, known, assumed)
        if left == Const(True):
            return right
        if right == Const(False) and _safe(left):
            return right  # the left side cannot fail, so skipping it changes nothing
        return left if right == Const(True) else And(left, right)
    if isinstance(node, Or):
        left = fold(node.left, known, assumed)
        if left == Const(True):
            return left
        right = fold(node.right, known, assumed)
        if left == Const(False):
            return right
        if right == Const(True) and _safe(left):
            return right
        return left if right == Const(False) else Or(left, right)
    if isinstance(node, Not):
        inner = fold(node.inner, known, assumed)
        return Const(not inner.value) if isinstance(inner, Const) and isinstance(inner.value, bool) else Not(inner)
    if isinstance(node, Compare):
        left, right = _value(node.left, known), _value(node.right, known)
        if node.op in ("==", "!="):
            if PRESENT in (left, right) and None in (left, right):
                return Const(node.op == "!=")
            if not isinstance(left, Node) and not isinstance(right, Node) and PRESENT not in (left, right):
                return Const((left == right) == (node.op == "=="))
            field, const = (node.left, node.right) if isinstance(node.left, Field) else (node.right, node.left)
            if isinstance(field, Field) and isinstance(const, Const) and isinstance(const.value, str) and assumed:
                among, excluded = _choices(field.path, assumed)
                if (among is not None and const.value not in among) or const.value in excluded:
                    return Const(node.op == "!=")
        return Compare(node.op, _partial(node.left, known), _partial(node.right, known))
    if isinstance(node, Call):
        if (assumed and node.method == "contains" and isinstance(node.target, ListOf) and len(node.args) == 1
                and isinstance(node.args[0], Field) and _texts(node.target)):
            among, excluded = _choices(node.args[0].path, assumed)
            items = frozenset(i.value for i in node.target.items)  # type: ignore[attr-defined]
            if among is not None and among <= items:
                return Const(True)
            if (among is not None and not among & items) or items <= excluded:
                return Const(False)
        target = _value(node.target, known)
        args = [_value(a, known) for a in node.args]
        decided = not isinstance(target, Node) and target is not PRESENT and target is not None and all(
            not isinstance(a, Node) and a is not PRESENT for a in args)
        if decided and node.method == "contains" and isinstance(target, list):
            return Const(args[0] in target)
        if decided and node.method in ("startsWith", "endsWith") and isinstance(target, str) and isinstance(
                args[0], str):
            return Const(target.startswith(args[0]) if node.method == "startsWith" else target.endswith(args[0]))
        return Call(node.method, _partial(node.target, known), tuple(_partial(a, known) for a in node.args))
    return _partial(node, known)


def _texts(node: ListOf) -> bool:
    """A list of string literals (where Python's == is Painless's equals())."""
    return all(isinstance(i, Const) and isinstance(i.value, str) for i in node.items)


def _choices(path: str, assumed: dict) -> tuple[frozenset | None, frozenset]:
    """What conditions decided on the way here say of a field's value: one of a set (None
    if they do not say), and not one of another (`[...].contains(ctx.f)` true or false)."""
    among: frozenset | None = None
    excluded: frozenset = frozenset()
    for (condition, _), outcome in assumed.items():
        if (isinstance(condition, Call) and condition.method == "contains" and isinstance(condition.target, ListOf)
                and condition.args == (Field(path),) and _texts(condition.target)):
            values = frozenset(i.value for i in condition.target.items)  # type: ignore[attr-defined]
            if outcome:
                among = values if among is None else among & values
            else:
                excluded |= values
    return among, excluded


def _safe(node: Node) -> bool:
    """Evaluating it cannot fail: field reads, literals, == and !=, and logic over those."""
    if isinstance(node, (Field, Const)):
        return True
    if isinstance(node, ListOf):
        return all(_safe(i) for i in node.items)
    if isinstance(node, Compare):
        return node.op in ("==", "!=") and _safe(node.left) and _safe(node.right)
    if isinstance(node, (And, Or)):
        return _safe(node.left) and _safe(node.right)
    if isinstance(node, Not):
        return _safe(node.inner)
    return False


def _partial(node: Node, known: Knowledge) -> Node:
    value = _value(node, known)
    if isinstance(value, Node) or value is PRESENT:
        return node
    return Const(value) if not isinstance(value, list) else ListOf(tuple(Const(v) for v in value))


# Python.
_HELPERS = {"contains": "_p_contains", "startsWith": "_p_starts", "endsWith": "_p_ends", "equals": "_p_equals",
            "isEmpty": "_p_is_empty", "length": "_p_length"}


def to_python(node: Node, read: Callable[[str], str], is_text: Callable[[str], bool] = lambda path: False) -> str:
    """A Python expression for the node; `read(path)` gives a field's value or None, and
    `is_text(path)` says the field is known to hold a string (so its methods need no check)."""
    def py(n: Node) -> str:
        return to_python(n, read, is_text)

    if isinstance(node, Field):
        return read(node.path)
    if isinstance(node, Const):
        return repr(node.value)
    if isinstance(node, ListOf):
        return "[" + ", ".join(py(i) for i in node.items) + "]"
    if isinstance(node, And):
        return f"({py(node.left)} and {py(node.right)})"
    if isinstance(node, Or):
        return f"({py(node.left)} or {py(node.right)})"
    if isinstance(node, Not):
        return f"(not {py(node.inner)})"
    if isinstance(node, Compare):
        left, right = py(node.left), py(node.right)
        if node.op in ("==", "!="):
            return f"({left} {node.op} {right})"
        return f"_p_order({left}, {node.op!r}, {right})"
    target = py(node.target)
    args = [py(a) for a in node.args]
    text = isinstance(node.target, Field) and is_text(node.target.path)
    if node.method in ("startsWith", "endsWith"):
        method = "startswith" if node.method == "startsWith" else "endswith"
        if text:
            return f"{target}.{method}({args[0]})"
        # The common case inline: a string receiver needs no call.
        helper = _HELPERS[node.method]
        return f"(_s.{method}({args[0]}) if (_s := {target}).__class__ is str else {helper}(_s, {args[0]}))"
    if node.method == "contains" and text and isinstance(node.args[0], Const) and isinstance(node.args[0].value, str):
        return f"({args[0]} in {target})"
    if node.method == "contains" and isinstance(node.target, ListOf):
        # A literal list: membership in a constant tuple, with Painless's equals().
        return f"(({args[0]}) in ({target[1:-1]},))"
    return f"{_HELPERS[node.method]}({', '.join([target, *args])})"


def compile_condition(source: str, read: Callable[[str], str]) -> str:
    """A Python boolean expression for a Painless condition (no folding)."""
    return to_python(parse(source), read)


def _contains(target: object, item: object) -> bool | None:
    if target is None:
        return None
    if isinstance(target, (str, list, dict)):
        if isinstance(target, str) and not isinstance(item, str):
            raise TypeError("contains() on a string needs a string")
        return item in target
    raise TypeError(f"contains() on {type(target).__name__}")


def _starts(target: object, prefix: str) -> bool | None:
    return None if target is None else str(target).startswith(prefix)


def _ends(target: object, suffix: str) -> bool | None:
    return None if target is None else str(target).endswith(suffix)


def _equals(target: object, other: object) -> bool | None:
    return None if target is None else target == other


def _is_empty(target: object) -> bool | None:
    return None if target is None else len(target) == 0  # type: ignore[arg-type]


def _length(target: object) -> int | None:
    if target is None:
        return None
    if not isinstance(target, str):
        raise TypeError(f"length() on {type(target).__name__}")
    if target.isascii():
        return len(target)
    # Java counts UTF-16 code units: two for a character beyond U+FFFF, one for anything
    # else, half a character (a lone surrogate, which JSON can escape) included.
    return len(target) + sum(1 for c in target if c > "\uffff")


_ORDER = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def _order(left: object, op: str, right: object) -> bool:
    """Numeric comparison; Painless fails on null or non-numbers, and so does this."""
    if not isinstance(left, (int, float)) or not isinstance(right, (int, float)):
        raise TypeError(f"cannot compare {left!r} {op} {right!r}")
    return _ORDER[op](left, right)


RUNTIME = {
    "_p_contains": _contains,
    "_p_starts": _starts,
    "_p_ends": _ends,
    "_p_equals": _equals,
    "_p_is_empty": _is_empty,
    "_p_length": _length,
    "_p_order": _order,
}
