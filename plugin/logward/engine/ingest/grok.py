"""Grok expressions compiled to Python regular expressions with Elasticsearch's semantics.

Elasticsearch runs grok on Joni with Ruby syntax: `^`/`$` are line anchors, `\\d`, `\\w`
and `\\s` are ASCII, patterns are tried in order and each is searched, not matched.
Python's `re` gets the same meaning with MULTILINE and ASCII, with `\\z`/`\\Z` and named
groups translated. Only patterns named in `pattern_definitions` expand: the engine does
not carry Elasticsearch's built-in grok library, so a pipeline states every pattern it uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from .errors import PipelineDefinitionError

_REF = re.compile(r"%\{(?P<name>[A-Za-z0-9_]+)(?::(?P<field>[^:}]+))?(?::(?P<type>[a-z]+))?\}")
_CONVERTERS = {"int", "long", "float", "double", "boolean"}
_INT_RANGE = {"int": 2**31, "long": 2**63}
_INTEGER = re.compile(r"[+-]?[0-9]+\Z")


@dataclass(frozen=True)
class Capture:
    group: str
    field: str
    type: str | None

    @property
    def keys(self) -> tuple[str, ...]:
        return _keys(self.field)


@cache
def _keys(field: str) -> tuple[str, ...]:
    return tuple(field.split("."))


def expand(pattern: str, definitions: dict[str, str], stack: tuple[str, ...] = ()) -> str:
    """Replace %{NAME:field:type} references with Ruby named groups, recursively."""

    def replace(m: re.Match[str]) -> str:
        name, field, kind = m.group("name", "field", "type")
        if name in stack:
            raise PipelineDefinitionError(f"grok pattern %{{{name}}} refers to itself")
        if name not in definitions:
            raise PipelineDefinitionError(
                f"grok pattern %{{{name}}} is not in pattern_definitions "
                "(the embedded engine has no built-in grok library)"
            )
        if kind is not None and kind not in _CONVERTERS:
            raise PipelineDefinitionError(f"grok type {kind!r} in %{{{m.group(0)[2:-1]}}} is not supported")
        body = expand(definitions[name], definitions, (*stack, name))
        if field is None:
            return f"(?:{body})"
        label = field if kind is None else f"{field}\x00{kind}"
        return f"(?<{label}>{body})"

    return _REF.sub(replace, pattern)


def translate(ruby: str, captures: list[Capture], prefix: str) -> str:
    """Ruby regex syntax to Python's; named groups become `prefix`N and are listed in captures."""
    out: list[str] = []
    i, n = 0, len(ruby)
    in_class = False
    while i < n:
        c = ruby[i]
        if c == "\\" and i + 1 < n:
            nxt = ruby[i + 1]
            if nxt == "x":
                # Joni: \x{HHHH} is a code point, \xHH a byte, which for HH >= 80 is only
                # part of a UTF-8 sequence; Python reads \xHH as a code point.
                code, width = _hex_escape(ruby, i)
                out.append(f"\\U{code:08x}")
                i += width
                continue
            if in_class:
                out.append(ruby[i : i + 2])
            elif nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z":
                out.append(r"(?=\n?\Z)")
            elif nxt == "h":
                out.append("[0-9a-fA-F]")
            elif nxt == "u":
                raise PipelineDefinitionError(
                    f"\\u escapes in {ruby!r} mean something else to Elasticsearch; write \\x{{HHHH}}"
                )
            elif nxt in "kgGKRX":
                raise PipelineDefinitionError(f"regex escape \\{nxt} in {ruby!r} is not supported")
            else:
                out.append(ruby[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "[" and ruby.startswith("[:", i):
                raise PipelineDefinitionError(f"POSIX bracket class in {ruby!r} is not supported")
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and ruby[i] == "^":
                out.append("^")
                i += 1
            if i < n and ruby[i] == "]":
                out.append(r"\]")
                i += 1
            continue
        if ruby.startswith("(?<", i) and i + 3 < n and ruby[i + 3] not in "=!":
            end = ruby.index(">", i)
            label = ruby[i + 3 : end]
            field, _, kind = label.partition("\x00")
            group = f"{prefix}{len(captures)}"
            captures.append(Capture(group, field, kind or None))
            out.append(f"(?P<{group}>")
            i = end + 1
            continue
        if ruby.startswith("(?P", i):
            raise PipelineDefinitionError(f"(?P...) groups in {ruby!r} are Python syntax, not Ruby")
        out.append(c)
        i += 1
    return "".join(out)


def _hex_escape(ruby: str, i: int) -> tuple[int, int]:
    """The code point of the \\x escape at `i`, and how many characters it spans."""
    m = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}|\\x([0-9A-Fa-f]{1,2})").match(ruby, i)
    if not m:
        raise PipelineDefinitionError(f"malformed \\x escape in {ruby!r}")
    if m.group(1):
        return int(m.group(1), 16), m.end() - i
    code = int(m.group(2), 16)
    if code >= 0x80:
        raise PipelineDefinitionError(f"\\x{m.group(2)} in {ruby!r} is a raw byte to Elasticsearch; write \\x{{HHHH}}")
    return code, m.end() - i


def convert(value: str, kind: str) -> object:
    """Grok's `:int`, `:long`, `:float`, `:double` and `:boolean` suffixes."""
    if kind in _INT_RANGE:
        limit = _INT_RANGE[kind]
        if _INTEGER.match(value):
            number = int(value)
            if -limit <= number < limit:
                return number
        raise ValueError(f'For input string: "{value}"')
    if kind == "boolean":
        return value.lower() == "true"
    try:
        return float(value)
    except ValueError:
        raise ValueError(f'For input string: "{value}"') from None


class Grok:
    """An ordered list of grok patterns: the first that matches gives the captures."""

    def __init__(self, patterns: list[str], definitions: dict[str, str]):
        if not patterns:
            raise PipelineDefinitionError("grok needs at least one pattern")
        self.alternatives: list[list[Capture]] = []
        self.sources: list[str] = []
        for k, pattern in enumerate(patterns):
            captures: list[Capture] = []
            python = translate(expand(pattern, definitions), captures, f"g{k}_")
            self.sources.append(python)
            self.alternatives.append(captures)
        self._singles: list[re.Pattern[str]] | None = None
        self.names = [tuple(c.group for c in captures) for captures in self.alternatives]
        anchored = all(p.startswith(("^", r"\A")) for p in self.sources)
        combined = "|".join(f"(?P<a{k}>{p})" for k, p in enumerate(self.sources))
        self.combined = self._compile(combined, patterns) if anchored else None
        if self.combined is None:
            self.singles  # noqa: B018 (compiles now, so a bad pattern fails at load time)

    @staticmethod
    def _compile(python: str, patterns: list[str]) -> re.Pattern[str]:
        try:
            return re.compile(python, re.MULTILINE | re.ASCII)
        except re.error as e:
            raise PipelineDefinitionError(f"grok patterns {patterns!r}: {e}") from None

    @property
    def singles(self) -> list[re.Pattern[str]]:
        """One regex per pattern, for values the combined regex cannot decide (multi-line)."""
        if self._singles is None:
            self._singles = [self._compile(p, [p]) for p in self.sources]
        return self._singles

    def match(self, text: str) -> tuple[tuple[str | None, ...], int] | None:
        """The captured values (None for a group that took no part) and the index of the
        pattern that matched, or None."""
        # Anchored patterns on one line: one pass over all of them, same first winner.
        if self.combined is not None and "\n" not in text:
            m = self.combined.match(text)
            if m is None:
                return None
            k = int(m.lastgroup[1:])  # type: ignore[index]
        else:
            for k, regex in enumerate(self.singles):  # noqa: B007 (k is used after the loop)
                m = regex.search(text)
                if m is not None:
                    break
            else:
                return None
        names = self.names[k]
        if len(names) == 1:
            return (m.group(names[0]),), k
        return (m.group(*names) if names else ()), k
