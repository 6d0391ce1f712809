"""The part of Painless that processor `if` conditions use, translated to Python.

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
_METHODS = {
    "contains": ("_p_contains", 1),
    "startsWith": ("_p_starts", 1),
    "endsWith": ("_p_ends", 1),
    "equals": ("_p_equals", 1),
    "isEmpty": ("_p_is_empty", 0),
    "length": ("_p_length", 0),
}
_BOOLEAN_METHODS = {"contains", "startsWith", "endsWith", "equals", "isEmpty"}  # length() is a number


@dataclass
class _Expr:
    code: str
    boolean: bool  # a Painless boolean, usable under ! && || and as the condition itself
    nullable: bool = False  # a null-safe call that may give null instead of a boolean


class _Parser:
    def __init__(self, source: str, getter: Callable[[str], str]):
        self.source = source
        self.getter = getter
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

    def parse(self) -> str:
        expr = self.or_()
        if self.pos != len(self.tokens):
            self.fail(f"unexpected {self.peek()!r}")
        self.need_boolean(expr)
        return expr.code

    def need_boolean(self, expr: _Expr) -> None:
        if not expr.boolean or expr.nullable:
            self.fail(f"{expr.code!r} is not a boolean (compare a null-safe call with `== true`)")

    def or_(self) -> _Expr:
        left = self.and_()
        while self.peek() == "||":
            self.take()
            right = self.and_()
            self.need_boolean(left)
            self.need_boolean(right)
            left = _Expr(f"({left.code} or {right.code})", True)
        return left

    def and_(self) -> _Expr:
        left = self.unary()
        while self.peek() == "&&":
            self.take()
            right = self.unary()
            self.need_boolean(left)
            self.need_boolean(right)
            left = _Expr(f"({left.code} and {right.code})", True)
        return left

    def unary(self) -> _Expr:
        if self.peek() == "!":
            self.take()
            inner = self.unary()
            self.need_boolean(inner)
            return _Expr(f"(not {inner.code})", True)
        return self.compare()

    def compare(self) -> _Expr:
        left = self.postfix()
        if self.peek() in ("==", "!="):
            op = self.take()[1]
            right = self.postfix()
            return _Expr(f"({left.code} {op} {right.code})", True)
        if self.peek() in ("<", "<=", ">", ">="):
            op = self.take()[1]
            right = self.postfix()
            return _Expr(f"_p_order({left.code}, {op!r}, {right.code})", True)
        return left

    def postfix(self) -> _Expr:
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
                expr = _Expr(self.getter(path), False)
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
                expr = _Expr(self.getter(path), False)
            else:
                self.fail(f"cannot read {name!r} from a method result")
        if path == "":
            self.fail("ctx alone is not a value")
        return expr

    def call(self, target: _Expr, name: str, null_safe: bool) -> _Expr:
        if name not in _METHODS:
            self.fail(f"method {name}() is not supported")
        fn, arity = _METHODS[name]
        self.take("(")
        args = []
        while self.peek() != ")":
            args.append(self.or_().code)
            if self.peek() == ",":
                self.take()
        self.take(")")
        if len(args) != arity:
            self.fail(f"{name}() takes {arity} argument(s)")
        code = f"{fn}({', '.join([target.code, *args])})"
        if name in ("startsWith", "endsWith"):
            # The common case inline: a string receiver needs no call.
            method = "startswith" if name == "startsWith" else "endswith"
            code = f"(_s.{method}({args[0]}) if (_s := {target.code}).__class__ is str else {fn}(_s, {args[0]}))"
        elif name == "contains" and target.code.startswith("[") and target.code.endswith("]"):
            # A literal list: membership in a constant tuple, with Painless's equals().
            code = f"(({args[0]}) in ({target.code[1:-1]},))"
        return _Expr(code, name in _BOOLEAN_METHODS, nullable=null_safe)

    def primary(self) -> tuple[_Expr, str | None]:
        kind, text = self.take()
        if text == "(":
            inner = self.or_()
            self.take(")")
            return inner, None
        if text == "[":
            items = []
            while self.peek() != "]":
                items.append(self.or_().code)
                if self.peek() == ",":
                    self.take()
            self.take("]")
            return _Expr(f"[{', '.join(items)}]", False), None
        if kind == "str":
            return _Expr(repr(_unquote(text)), False), None
        if kind == "num":
            return _Expr(text, False), None
        if text in ("true", "false"):
            return _Expr(str(text == "true"), True), None
        if text == "null":
            return _Expr("None", False), None
        if text == "ctx":
            return _Expr("", False), ""
        self.fail(f"unexpected {text!r}")
        raise AssertionError  # unreachable


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def compile_condition(source: str, getter: Callable[[str], str]) -> str:
    """A Python boolean expression for a Painless condition; `getter(path)` reads a field."""
    return _Parser(source, getter).parse()


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
    return len(target.encode("utf-16-le")) // 2  # Java counts UTF-16 code units


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
