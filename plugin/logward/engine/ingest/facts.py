"""What the compiler knows about a document at a point of a pipeline.

Specializing a pipeline for the documents the engine itself builds ({"message": line},
plus event.created) means most conditions can be decided while compiling, most reads and
writes can go straight to the field, and the table-driven scripts can be inlined. The
knowledge is a map from dotted field to a Fact; joins at the end of conditional code keep
only what holds on every path.

A field's value may also be held in a local variable of the compiled function (a grok
capture's, or one the compiler made when storing), and its Fact names that local, so later
reads are the local itself. A field that may be missing is present exactly when its local
is not None ("opt"), which conditions on the field then test directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fact:
    kind: str  # value, absent, str, present, list, dict, opt, unknown
    value: Any = None  # for "opt": the kind when present
    closed: bool = False  # for dicts: fields not listed are absent (else unknown)
    local: str | None = None  # a local of the compiled function holding the value (None when absent)

    @property
    def present(self) -> bool:
        return self.kind in ("value", "str", "present", "list", "dict")

    @property
    def is_dict(self) -> bool:
        return self.kind == "dict"


ABSENT = Fact("absent")
UNKNOWN = Fact("unknown")
STR = Fact("str")
PRESENT = Fact("present")
LIST = Fact("list")
OPEN_DICT = Fact("dict")
CLOSED_DICT = Fact("dict", closed=True)
MAYBE_CLOSED_DICT = Fact("maybe", closed=True)  # absent, or an object whose unlisted fields are absent


def value(v: Any) -> Fact:
    return ABSENT if v is None else Fact("value", v)


def held(fact: Fact, local: str) -> Fact:
    """`fact`, and the value is in `local`."""
    return Fact(fact.kind, fact.value, fact.closed, local)


def optional(fact: Fact, local: str) -> Fact:
    """Present (as `fact` says) exactly when `local` is not None, with its value."""
    return Fact("opt", fact.kind, local=local)


def unheld(fact: Fact) -> Fact:
    """What stays known in another function, where the local does not exist."""
    if fact.local is None:
        return fact
    if fact.kind == "opt":
        return UNKNOWN
    return Fact(fact.kind, fact.value, fact.closed)


def _scalar(fact: Fact) -> str | None:
    """For a field that may be held in a local: "str" or "present" (what it is when there),
    or None for anything else (objects and lists keep their own facts)."""
    if fact.kind == "opt":
        return fact.value
    if fact.kind == "str" or (fact.kind == "value" and isinstance(fact.value, str)):
        return "str"
    return "present" if fact.kind in ("present", "value") else None


def _join_optional(a: Fact, b: Fact) -> Fact:
    """The join of facts of one local, one of them absent or optional."""
    whens = [_scalar(f) for f in (a, b) if f.kind != "absent"]
    if None in whens:
        return UNKNOWN
    return optional(STR if all(w == "str" for w in whens) else PRESENT, a.local)  # type: ignore[arg-type]


FRESH = "_h"  # the compiler's own locals for stored values: `fresh` names them


def fresh(n: int) -> str:
    return f"{FRESH}{n}"


def is_fresh(local: str | None) -> bool:
    return local is not None and local.startswith(FRESH)


def _phi(a: Fact, b: Fact, b_bound: set[str]) -> Fact | None:
    """A field stored on one path only, through a local of the compiler's that the other
    path never assigned: that local, None there, says which path was taken."""
    if is_fresh(a.local) and b == ABSENT and a.local not in b_bound:
        return _join_optional(a, b)
    return None


def _join(a: Fact, b: Fact) -> Fact:
    if a == b:
        return a
    if a.local is not None and a.local == b.local:
        # The same local on both paths: present on one and absent on the other (the local
        # None there) is the local's own test.
        if "absent" in (a.kind, b.kind) or "opt" in (a.kind, b.kind):
            return _join_optional(a, b)
        return held(_join(unheld(a), unheld(b)), a.local)
    a, b = unheld(a), unheld(b)
    if a == b:
        return a
    if a.is_dict and b.is_dict:
        return OPEN_DICT
    for one, other in ((a, b), (b, a)):
        # An object that exists on one path only: if it exists, nothing unlisted is in it.
        if one.kind in ("dict", "maybe") and one.closed and other.kind == "absent":
            return MAYBE_CLOSED_DICT
    if {a.kind, b.kind} <= {"dict", "maybe", "absent"}:
        # Fields listed on neither path are absent wherever the object is closed on both.
        return Fact("maybe", closed=all(f.closed for f in (a, b) if f.kind != "absent"))
    if a.present and b.present:
        if a.kind in ("value", "str") and b.kind in ("value", "str") and all(
                isinstance(f.value, str) or f.kind == "str" for f in (a, b)):
            return STR
        return PRESENT
    return UNKNOWN


class State:
    """Facts about one document: `root` is the document object, `fields` what is known below."""

    def __init__(self, root: Fact = OPEN_DICT, fields: dict[str, Fact] | None = None, dead: bool = False,
                 assumed: dict[Any, bool] | None = None, bound: set[str] | None = None,
                 pending: set[str] | None = None):
        self.root = root
        self.fields: dict[str, Fact] = dict(fields or {})
        self.dead = dead  # no execution reaches this point
        # Conditions decided at run time on the way here: (condition, fields it reads) -> outcome.
        self.assumed: dict[Any, bool] = dict(assumed or {})
        # Locals the compiler made to hold stored values (see `fresh`) that were assigned on
        # the way here; and those a join made optional, which must start as None before
        # the code that may assign them (the compiler writes that and empties the set).
        self.bound: set[str] = set(bound or ())
        self.pending: set[str] = set(pending or ())

    def copy(self) -> State:
        return State(self.root, self.fields, self.dead, self.assumed, self.bound, self.pending)

    def unheld(self) -> State:
        """A copy for another function: without the facts' locals."""
        return State(self.root, {path: unheld(f) for path, f in self.fields.items()}, self.dead, self.assumed)

    def holders(self, local: str) -> list[str]:
        """The fields whose value is in `local`."""
        return [path for path, fact in self.fields.items() if fact.local == local]

    def assume(self, condition: Any, reads: frozenset[str], outcome: bool) -> None:
        self.assumed[(condition, reads)] = outcome

    def refine(self, path: str, fact: Fact) -> None:
        """A condition checked at run time told us more about a field than we knew."""
        current = self.get(path)
        if current.kind == "opt":  # the local's test, made at run time
            fact = held(fact if fact.kind in ("absent", "value") else Fact(current.value), current.local)
            if not fact.present:
                self.fields[path] = fact
                return
        elif current.present or current.kind == "absent":
            return
        keys = path.split(".")
        if fact.present:
            for depth in range(1, len(keys)):
                parent = ".".join(keys[:depth])
                before = self.get(parent)
                if not before.is_dict:
                    self.fields[parent] = CLOSED_DICT if before.kind == "maybe" and before.closed else OPEN_DICT
        self.fields[path] = fact

    def _invalidate(self, path: str) -> None:
        for key in [k for k in self.assumed if any(r == path or r.startswith(path + ".") or path.startswith(r + ".")
                                                   for r in k[1])]:
            del self.assumed[key]

    def get(self, path: str) -> Fact:
        node = self.root
        prefix = ""
        for key in path.split("."):
            prefix = f"{prefix}.{key}" if prefix else key
            found = self.fields.get(prefix)
            if node.kind == "maybe":
                # An optional capture's field is absent whenever its parent is: both came
                # from the one capture.
                if found is None or found.local is None or found.kind not in ("opt", "absent"):
                    found = _join(found, ABSENT) if found is not None else (ABSENT if node.closed else UNKNOWN)
            elif found is None:
                if node.kind == "dict":
                    found = ABSENT if node.closed else UNKNOWN
                elif node.kind in ("absent", "value", "str", "list", "opt"):
                    found = ABSENT  # nothing below a missing field or a scalar
                else:
                    found = UNKNOWN
            node = found
        return node

    def knowledge(self, path: str) -> tuple[str, Any] | None:
        """In the form painless.fold wants."""
        fact = self.get(path)
        if fact.kind == "value":
            return ("value", fact.value)
        if fact.kind == "absent":
            return ("value", None)
        if fact.present:
            return ("present", None)
        return None

    def set(self, path: str, fact: Fact) -> None:
        """After a successful write of `path`: its parents are objects now."""
        keys = path.split(".")
        for depth in range(1, len(keys)):
            parent = ".".join(keys[:depth])
            before = self.get(parent)
            created_closed = before.kind == "absent" or (before.kind == "maybe" and before.closed)
            self.fields[parent] = before if before.is_dict else (CLOSED_DICT if created_closed else OPEN_DICT)
        self._drop_below(path)
        self.fields[path] = fact
        self._invalidate(path)

    def forget(self, path: str) -> None:
        """After something that may or may not have written `path` (or its parents)."""
        keys = path.split(".")
        for depth in range(1, len(keys)):
            parent = ".".join(keys[:depth])
            if not self.get(parent).is_dict:
                self.fields[parent] = UNKNOWN
        self._drop_below(path)
        self.fields[path] = UNKNOWN
        self._invalidate(path)

    def forget_all(self) -> None:
        self.root = OPEN_DICT
        self.fields.clear()
        self.assumed.clear()

    def _drop_below(self, path: str) -> None:
        prefix = path + "."
        for key in [k for k in self.fields if k.startswith(prefix)]:
            del self.fields[key]

    def join(self, other: State) -> State:
        """What holds after either of two paths."""
        if self.dead:
            return other.copy()
        if other.dead:
            return self.copy()
        joined = State(_join(self.root, other.root), bound=self.bound | other.bound,
                       pending=self.pending | other.pending)
        for path in set(self.fields) | set(other.fields):
            a, b = self.get(path), other.get(path)
            fact = _phi(a, b, other.bound) or _phi(b, a, self.bound)
            if fact is not None:
                joined.pending.add(fact.local)  # type: ignore[arg-type]
            joined.fields[path] = fact or _join(a, b)
        joined.assumed = {k: v for k, v in self.assumed.items() if other.assumed.get(k) == v}
        return joined
