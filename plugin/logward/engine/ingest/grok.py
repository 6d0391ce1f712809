"""Grok expressions compiled to Python regular expressions with Elasticsearch's semantics.

Elasticsearch runs grok on Joni with Ruby syntax: `^`/`$` are line anchors, `\\d`, `\\w`
and `\\s` are ASCII, patterns are tried in order and each is searched, not matched.
Python's `re` gets the same meaning with MULTILINE and ASCII, with `\\z`/`\\Z` and named
groups translated. Only patterns named in `pattern_definitions` expand: the engine does
not carry Elasticsearch's built-in grok library, so a pipeline states every pattern it uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from re import _constants
from re import _parser as _sre
from typing import Any, TypeVar

from . import java
from .errors import PipelineDefinitionError
from .regexes import compile_regex

T = TypeVar("T")
_REF = re.compile(r"%\{(?P<name>[A-Za-z0-9_]+)(?::(?P<field>[^:}]+))?(?::(?P<type>[a-z]+))?\}")
_CONVERTERS = {"int", "long", "float", "double", "boolean"}
_INT_RANGE = {"int": (java.INT_MIN, java.INT_MAX), "long": (java.LONG_MIN, java.LONG_MAX)}


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


# Where a run of plain pattern text ends: outside a character class, and inside one.
_STOP = re.compile(r"[\\\[(]")
_CLASS_STOP = re.compile(r"[\\\[\]]")


def translate(ruby: str, captures: list[Capture], prefix: str) -> str:
    """Ruby regex syntax to Python's; named groups become `prefix`N and are listed in captures."""
    out: list[str] = []
    i, n = 0, len(ruby)
    in_class = False
    while i < n:
        c = ruby[i]
        if c not in "\\[](":  # a run of characters that mean the same in both: copied whole
            stop = (_CLASS_STOP if in_class else _STOP).search(ruby, i)
            end = stop.start() if stop else n
            out.append(ruby[i:end])
            i = end
            continue
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
        if ruby.startswith((r"[\s\S]", r"[\S\s]"), i):
            # Any character at all: the same as a dot that takes newlines too, which `re`
            # matches several times faster than a class of two categories.
            out.append("(?s:.)")
            i += 6
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


def _skeleton(python: str, longest: int = 64) -> str:
    """The pattern with long capture bodies that hold no other capture cut down to ".":
    what matters for the shape of the captures stays, and it parses much faster."""
    out: list[str] = []
    i = 0
    while i < len(python):
        start = python.find("(?P<", i)
        if start < 0:
            out.append(python[i:])
            break
        body = python.index(">", start) + 1
        depth, j, in_class = 1, body, False
        while depth:
            c = python[j]
            if c == "\\":
                j += 2
                continue
            if in_class:
                in_class = c != "]"
            elif c == "[":
                in_class = True
                if python[j + 1 : j + 2] == "]" or python[j + 1 : j + 3] == "^]":
                    j += 2 if python[j + 1] == "]" else 3
                    continue
            elif c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            j += 1
        inner = python[body : j - 1]
        if "(?P<" in inner or len(inner) <= longest:
            out.append(python[i:body])
            i = body
        else:
            out.append(python[i:body] + ".)")
            i = j
    return "".join(out)


def _bodies(sub: Any, by_group: dict[int, str], found: dict[str, Any]) -> None:
    for op, av in sub:
        if op is _constants.SUBPATTERN:
            if av[0] in by_group:
                found[by_group[av[0]]] = av[3]
            _bodies(av[3], by_group, found)
        elif op is _constants.BRANCH:
            for branch in av[1]:
                _bodies(branch, by_group, found)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
            _bodies(av[2], by_group, found)
        elif op is _constants.ATOMIC_GROUP:
            _bodies(av, by_group, found)


def _digits_only(sub: Any, most: int) -> bool:
    """A subpattern matching 1 to `most` ASCII digits and nothing else."""
    items = list(sub)
    if len(items) != 1 or items[0][0] not in (_constants.MAX_REPEAT, _constants.POSSESSIVE_REPEAT):
        return False
    low, high, inner = items[0][1]
    inner = list(inner)
    digit = len(inner) == 1 and inner[0][0] is _constants.IN and inner[0][1] == [(_constants.RANGE, (48, 57))]
    return digit and low >= 1 and high <= most


def _literals(sub: Any) -> frozenset[str] | None:
    """The texts a parsed subpattern can match, if it is made of literals only."""
    items = list(sub)
    if all(op is _constants.LITERAL for op, _ in items):
        return frozenset({"".join(chr(code) for _, code in items)})
    if len(items) == 1 and items[0][0] is _constants.BRANCH:
        texts: set[str] = set()
        for branch in items[0][1][1]:
            part = _literals(branch)
            if part is None:
                return None
            texts |= part
        return frozenset(texts)
    if len(items) == 1 and items[0][0] is _constants.IN and all(op is _constants.LITERAL for op, _ in items[0][1]):
        return frozenset(chr(code) for _, code in items[0][1])
    return None


def _walk(sub: Any, optional: bool, by_group: dict[int, str], found: dict) -> None:
    for op, av in sub:
        if op is _constants.SUBPATTERN:
            number, _, _, inner = av
            if number in by_group:
                found[by_group[number]] = (not optional, _literals(inner))
            _walk(inner, optional, by_group, found)
        elif op is _constants.BRANCH:
            for branch in av[1]:
                _walk(branch, True, by_group, found)
        elif op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
            low, _, inner = av
            _walk(inner, optional or low == 0, by_group, found)
        elif op is _constants.ATOMIC_GROUP:
            _walk(av, optional, by_group, found)


def _first_chars(sub: Any) -> frozenset[str] | None:
    """The characters any match of a parsed pattern begins with, or None when that is not
    known (a class too wide, a part that may be empty, a lookaround): then any may."""
    for op, av in sub:
        if op is _constants.AT:  # an anchor takes no text
            continue
        if op is _constants.LITERAL:
            return frozenset(chr(av))
        if op is _constants.IN:
            chars: set[str] = set()
            for item, value in av:
                if item is _constants.LITERAL:
                    chars.add(chr(value))
                elif item is _constants.RANGE and value[1] - value[0] < 128:
                    chars.update(map(chr, range(value[0], value[1] + 1)))
                else:  # a negated class or a category
                    return None
            return frozenset(chars)
        if op is _constants.SUBPATTERN:
            _, add_flags, _, inner = av
            return None if add_flags & re.IGNORECASE else _first_chars(inner)
        if op is _constants.BRANCH:
            parts = [_first_chars(branch) for branch in av[1]]
            return None if any(part is None for part in parts) else frozenset().union(*parts)  # type: ignore[arg-type]
        if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT):
            low, _, inner = av
            return _first_chars(inner) if low >= 1 else None
        if op is _constants.ATOMIC_GROUP:
            return _first_chars(av)
        return None
    return None  # nothing that takes text: the pattern may match the empty text


def _no_match(text: str) -> None:
    return None


class _Bucket:
    """The patterns that can match a text beginning with certain characters, compiled into
    one regex the first time such a text comes, which then takes this object's place."""

    def __init__(self, grok: Grok, members: tuple[int, ...], chars: list[str]):
        self.grok, self.members, self.chars = grok, members, chars

    def __call__(self, text: str) -> re.Match[str] | None:
        regex = self.grok._combine(self.members)
        table = self.grok.by_first
        for char in self.chars:
            table[char] = regex
        return regex(text)


def convert(value: str, kind: str) -> object:
    """Grok's `:int`, `:long`, `:float`, `:double` and `:boolean` suffixes: Java's
    Integer.parseInt, Long.parseLong, Float.parseFloat, Double.parseDouble."""
    if kind in _INT_RANGE:
        if value.isdigit() and value.isascii() and len(value) < 10:
            return int(value)  # a few plain digits, in range of both: the usual case
        return java.parse_long(value, *_INT_RANGE[kind])
    if kind == "boolean":
        return value.lower() == "true"
    return java.parse_float(value) if kind == "float" else java.parse_double(value)


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
        self._shapes: dict[int, list[tuple[bool, frozenset[str] | None]]] = {}
        self._trees: dict[int, Any] = {}
        self._plain: dict[int, bool] = {}
        self.names = [tuple(c.group for c in captures) for captures in self.alternatives]
        self.conversions = [
            [(i, c.type) for i, c in enumerate(captures) if c.type is not None] for captures in self.alternatives
        ]
        # What to do once the combined regex matched, by the name of the pattern's group.
        self._by_group = {f"a{k}": (k, names, self.conversions[k]) for k, names in enumerate(self.names)}
        anchored = all(p.startswith(("^", r"\A")) for p in self.sources)
        combined = "|".join(f"(?P<a{k}>{p})" for k, p in enumerate(self.sources))
        self.combined = self._compile(combined, patterns) if anchored else None
        if self.combined is None:
            self.singles  # noqa: B018 (compiles now, so a bad pattern fails at load time)
        # Python tries a regex's alternatives one by one, so a message matching the 30th
        # pattern pays for 29 failures. Patterns are therefore also grouped by the
        # character they can begin with: `by_first.get(text[:1], other)(text)` is the
        # combined regex's match with only the patterns that could match (same winner:
        # the order is kept, and the others cannot match).
        # Worked out on first use, as most groks of a large rule set never see a line.
        self._by_first: dict[str, Any] | None = None
        self._other: Any = None

    @property
    def by_first(self) -> dict[str, Any]:
        if self._by_first is None:
            self._group_by_first_character()
        return self._by_first  # type: ignore[return-value]

    @property
    def other(self) -> Any:
        if self._by_first is None:
            self._group_by_first_character()
        return self._other

    def _group_by_first_character(self) -> None:
        self._by_first, self._other = {}, self.combined.match if self.combined is not None else _no_match
        if self.combined is None or len(self.sources) == 1:
            return
        firsts = [_first_chars(self._tree(k)) for k in range(len(self.sources))]
        anywhere = tuple(k for k, chars in enumerate(firsts) if chars is None)
        if len(anywhere) == len(firsts):
            return
        self._other = self._combine(anywhere)
        by_members: dict[tuple[int, ...], list[str]] = {}
        for char in sorted(set().union(*(chars for chars in firsts if chars is not None))):
            members = tuple(k for k, chars in enumerate(firsts) if chars is None or char in chars)
            by_members.setdefault(members, []).append(char)
        for members, chars in by_members.items():
            bucket = _Bucket(self, members, chars)
            self._by_first.update(dict.fromkeys(chars, bucket))

    def _combine(self, members: tuple[int, ...]) -> Any:
        """The `match` of one regex of these patterns, in order, named as in `combined`."""
        if not members:
            return _no_match
        if len(members) == len(self.sources):
            return self.combined.match  # type: ignore[union-attr]
        return compile_regex("|".join(f"(?P<a{k}>{self.sources[k]})" for k in members), re.MULTILINE | re.ASCII).match

    @staticmethod
    def _compile(python: str, patterns: list[str]) -> re.Pattern[str]:
        try:
            return compile_regex(python, re.MULTILINE | re.ASCII)
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
            m = self.by_first.get(text[:1], self.other)(text)
            if m is None:
                return None
            k, names, conversions = self._by_group[m.lastgroup]  # type: ignore[index]
        else:
            for k, regex in enumerate(self.singles):  # noqa: B007 (k is used after the loop)
                m = regex.search(text)
                if m is not None:
                    break
            else:
                return None
            names, conversions = self.names[k], self.conversions[k]
        if len(names) == 1:
            values: tuple[Any, ...] = (m.group(names[0]),)
        else:
            values = m.group(*names) if names else ()
        if conversions:  # the :int/:long suffixes; a bad value fails this processor
            converted = list(values)
            for i, kind in conversions:
                if converted[i] is not None:
                    converted[i] = convert(converted[i], kind)
            values = tuple(converted)
        return values, k

    def shapes(self, k: int) -> list[tuple[bool, frozenset[str] | None]]:
        """For pattern k's captures, in order: is it always captured when the pattern
        matches, and, if it can only be certain literal texts, which ones."""
        return _remembered(self._shapes, k, self._shape)

    def plain_digits(self, k: int) -> bool:
        """Pattern k's :int/:long captures can only be short runs of digits, so converting
        them cannot fail (and can be left until after the match)."""
        return _remembered(self._plain, k, self._plain_digits)

    def _plain_digits(self, k: int) -> bool:
        kinds = {c.group: c.type for c in self.alternatives[k] if c.type is not None}
        if not kinds:
            return True
        if any(kind not in _INT_RANGE for kind in kinds.values()):
            return False
        parsed = self._tree(k)
        bodies: dict[str, Any] = {}
        _bodies(parsed, {n: name for name, n in parsed.state.groupdict.items()}, bodies)
        return all(name in bodies and _digits_only(bodies[name], 9 if kind == "int" else 18)
                   for name, kind in kinds.items())

    def _tree(self, k: int) -> Any:
        """Pattern k's skeleton parsed, for the questions above (Python's regex parser is
        slow, and each pattern is asked several)."""
        return _remembered(self._trees, k, lambda k: _sre.parse(_skeleton(self.sources[k]), re.MULTILINE | re.ASCII))

    def _shape(self, k: int) -> list[tuple[bool, frozenset[str] | None]]:
        parsed = self._tree(k)
        by_group = {number: name for name, number in parsed.state.groupdict.items()}
        found: dict[str, tuple[bool, frozenset[str] | None]] = {}
        _walk(parsed, False, by_group, found)
        return [found.get(name, (False, None)) for name in self.names[k]]


def _remembered(table: dict[int, T], k: int, work_out: Callable[[int], T]) -> T:
    """What Grok works out per pattern, on first need (most patterns are never asked)."""
    found = table.get(k)
    if found is None:
        found = table[k] = work_out(k)
    return found


@lru_cache(maxsize=256)
def _shared(patterns: tuple[str, ...], definitions: tuple[tuple[str, str], ...]) -> Grok:
    return Grok(list(patterns), dict(definitions))


def grok_of(patterns: list[str], definitions: dict[str, str]) -> Grok:
    """The Grok for these patterns, made once per process: the general and the specialized
    pipelines (and every engine on the same content) share it and what it works out lazily."""
    if not (isinstance(patterns, list) and isinstance(definitions, dict)
            and all(isinstance(text, str) for text in (*patterns, *definitions, *definitions.values()))):
        return Grok(patterns, definitions)  # which says what is wrong
    return _shared(tuple(patterns), tuple(sorted(definitions.items())))
