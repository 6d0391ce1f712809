"""One typed model per rule type, parsed from a rule file's mapping.

Every rule has OSSEC's identity (id, level, groups) and carries its own test cases. The
type says how it fires:

- event: one event matches `where` (OSSEC's plain rules; a Kibana query rule). It may
  `overrides` other event rules, as an OSSEC child rule does its parent: an event it
  matches is not theirs (at level 0, OSSEC's way to silence a rule for some events).
- frequency: `count` events of `events` from the same `same` fields within `timeframe`
  (OSSEC's frequency/timeframe/same_source_ip; an EQL sequence with runs).
- sequence: the `steps` happen in order for the same `same` fields within `within`
  (OSSEC's if_matched_group chains; an EQL sequence).
- first_seen: the first event ever with a given `key` (OSSEC's FTS; a pivot transform).

`events` selects events by `where`, by the event rules they match (`rules`), or by the
groups of those rules (`groups`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from . import conditions
from .conditions import Condition
from .limits import (
    COUNT,
    GROUP,
    INSTANT,
    KEY_FIELDS,
    LEVEL,
    OSSEC_ID,
    RULE_ID,
    TECHNIQUE,
    WINDOW,
    FieldError,
    FieldErrors,
)
from .written import as_written

T = TypeVar("T")

# Year-less test lines are read as if shipped at this time (so "Dec 10" is in 2024).
TEST_REFERENCE_TIME = "2025-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class TestCase:
    name: str
    lines: tuple[str, ...]
    fires: int  # how many alerts this rule raises over the lines; 0 for a negative case
    reference_time: str = TEST_REFERENCE_TIME
    # The case is about a line Logward cannot decode. Without it a case that expects no
    # alert fails on such a line: a typo in it would make the case prove nothing.
    undecodable: bool = False
    # How many alerts other rules raise over the lines, for those the case speaks of: that
    # an override silenced a rule (0), or that a line is also another rule's.
    others: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Selector:
    where: Condition | None = None
    rules: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    events: Selector
    count: int = 1


@dataclass(frozen=True, kw_only=True)
class Rule:
    id: int
    title: str
    description: str
    level: int
    groups: tuple[str, ...]
    mitre: tuple[str, ...]
    ossec: tuple[int, ...]
    references: tuple[str, ...]
    tests: tuple[TestCase, ...]
    source: str  # the file it came from, for messages
    overwrite: bool = False  # a rule of the user's own that takes a bundled rule's place (OSSEC's overwrite="yes")

    kind: ClassVar[str]

    @property
    def label(self) -> str:
        return f"{self.source}: rule {self.id}"


@dataclass(frozen=True, kw_only=True)
class EventRule(Rule):
    where: Condition
    overrides: tuple[int, ...] = ()  # event rules that do not match what this one matches
    kind = "event"


@dataclass(frozen=True, kw_only=True)
class FrequencyRule(Rule):
    events: Selector
    count: int
    timeframe: int
    same: tuple[str, ...]
    kind = "frequency"


@dataclass(frozen=True, kw_only=True)
class SequenceRule(Rule):
    steps: tuple[Step, ...]
    within: int
    same: tuple[str, ...]
    kind = "sequence"


@dataclass(frozen=True, kw_only=True)
class FirstSeenRule(Rule):
    events: Selector
    key: tuple[str, ...]
    kind = "first_seen"


RULE_TYPES: dict[str, type[Rule]] = {cls.kind: cls for cls in (EventRule, FrequencyRule, SequenceRule, FirstSeenRule)}


class _Problems:
    """The bad fields met while parsing one rule. Each field is parsed on its own, so a
    file with several bad fields reports them all at once rather than one per run."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def get(self, parse: Callable[[], T]) -> T | None:
        """What `parse` gives, or None with its errors kept (the rule is then not built)."""
        try:
            return parse()
        except FieldError as e:
            self.errors.append(e)
        except FieldErrors as e:
            self.errors += e.errors
        return None

    def raise_any(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)


def _text(data: dict, field: str, limit: int) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise FieldError(field, "required, a non-empty string")
    if len(value) > limit:
        raise FieldError(field, f"at most {limit} characters")
    return value.strip()


def _list(data: dict, field: str) -> list:
    value = data.get(field, [])
    if not isinstance(value, list):
        raise FieldError(field, f"a list, got {as_written(value)}")
    return value


def _key(data: dict, field: str) -> tuple[str, ...]:
    """The fields a correlation keys on (`same`, `key`)."""
    value = _list(data, field)
    if not value or not all(isinstance(v, str) and v for v in value):
        raise FieldError(field, "a non-empty list of field names")
    if len(value) > KEY_FIELDS:
        raise FieldError(field, f"at most {KEY_FIELDS} fields (Kibana suppresses alerts by at most {KEY_FIELDS}), "
                                f"got {len(value)}")
    if len(set(value)) < len(value):
        raise FieldError(field, f"a field named twice: {value}")
    return tuple(value)


def _selector(value: Any, field: str) -> Selector:
    if not isinstance(value, dict) or len(value) != 1:
        raise FieldError(field, "one of {where: ...}, {rules: [ids]} or {groups: [names]}")
    (key, spec), = value.items()
    if key == "where":
        return Selector(where=conditions.parse(spec, f"{field}.where"))
    if key == "rules" and isinstance(spec, list) and spec:
        return Selector(rules=tuple(RULE_ID.parse(v, f"{field}.rules") for v in spec))
    if key == "groups" and isinstance(spec, list) and spec and all(isinstance(g, str) for g in spec):
        return Selector(groups=tuple(spec))
    raise FieldError(field, "one of {where: ...}, {rules: [ids]} or {groups: [names]}")


_CASE_KEYS = ("name", "log", "fires", "others", "reference_time", "undecodable")


def _case(i: int, case: Any) -> TestCase:
    at = f"tests[{i}]"
    if not isinstance(case, dict):
        raise FieldError(at, f"a mapping of {', '.join(_CASE_KEYS)}, got {as_written(case)}")
    unknown = [key for key in case if key not in _CASE_KEYS]
    if unknown:
        raise FieldError(at, f"unknown key {as_written(unknown[0])} (a case has {', '.join(_CASE_KEYS)})")
    problems = _Problems()

    def lines() -> tuple[str, ...]:
        log = case.get("log")
        found = log.splitlines() if isinstance(log, str) else log
        if not isinstance(found, list) or not found:
            raise FieldError(f"{at}.log", "the log lines, as a block of text (log: |) or a list")
        for n, line in enumerate(found):
            if isinstance(line, dict):  # `- Mar  2 ... sshd[1]: Accepted ...`: YAML reads "key: value"
                raise FieldError(f"{at}.log[{n}]", "YAML read this line as a mapping (it holds ': '): quote "
                                                   "it, or write the lines as a block of text (log: |)")
            if not isinstance(line, str):
                raise FieldError(f"{at}.log[{n}]", f"a log line is text, got {as_written(line)}")
        return tuple(found)

    def fires() -> int:
        value = case.get("fires")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FieldError(f"{at}.fires", "how many times the rule fires: an integer >= 0")
        return value

    def undecodable() -> bool:
        value = case.get("undecodable", False)
        if not isinstance(value, bool):
            raise FieldError(f"{at}.undecodable", "true if the case is about a line Logward cannot decode")
        return value

    def reference_time() -> str:
        return INSTANT.parse(case["reference_time"], f"{at}.reference_time") if "reference_time" in case \
            else TEST_REFERENCE_TIME

    def others() -> tuple[tuple[int, int], ...]:
        value = case.get("others", {})
        why = "how many alerts other rules raise over the lines, by rule id ({100103: 0})"
        if not isinstance(value, dict):
            raise FieldError(f"{at}.others", f"{why}, got {as_written(value)}")
        found = []
        for rule_id, count in value.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise FieldError(f"{at}.others.{rule_id}", f"an integer >= 0, got {as_written(count)}")
            found.append((RULE_ID.parse(rule_id, f"{at}.others"), count))
        return tuple(found)

    name = case.get("name")
    if "name" in case and (not isinstance(name, str) or not name.strip()):
        problems.errors.append(FieldError(f"{at}.name", f"a non-empty string, got {as_written(name)}"))
    log, count, odd = problems.get(lines), problems.get(fires), problems.get(undecodable)
    shipped, also = problems.get(reference_time), problems.get(others)
    problems.raise_any()
    assert log is not None and count is not None and odd is not None and shipped is not None and also is not None
    return TestCase(name if isinstance(name, str) else at, log, count, shipped, odd, also)


def _tests(data: dict) -> tuple[TestCase, ...]:
    problems = _Problems()
    parsed = [problems.get(lambda i=i, c=c: _case(i, c)) for i, c in enumerate(_list(data, "tests"))]
    named: dict[str, int] = {}
    for i, case in enumerate(parsed):
        if case is not None and named.setdefault(case.name, i) != i:
            problems.errors.append(FieldError(f"tests[{i}].name", f"{case.name!r} is also tests[{named[case.name]}]'s: "
                                                                   "a failure would not say which case failed"))
    problems.raise_any()
    cases = tuple(c for c in parsed if c is not None)
    if not any(c.fires for c in cases) or not any(c.fires == 0 for c in cases):
        raise FieldError("tests", "each rule needs a case where it fires and a case where it does not")
    return cases


def _groups(data: dict) -> tuple[str, ...]:
    groups = _list(data, "groups")
    for g in groups:
        if not isinstance(g, str) or not GROUP.match(g):
            raise FieldError("groups", f"group names are lower_snake_case, got {as_written(g)}")
    return tuple(groups)


def _mitre(data: dict) -> tuple[str, ...]:
    mitre = _list(data, "mitre")
    for t in mitre:
        if not isinstance(t, str) or not TECHNIQUE.match(t):
            raise FieldError("mitre", f"ATT&CK technique ids look like T1110 or T1110.001, got {as_written(t)}")
    return tuple(mitre)


def _references(data: dict) -> tuple[str, ...]:
    references = _list(data, "references")
    if not all(isinstance(r, str) and r.startswith(("http://", "https://")) for r in references):
        raise FieldError("references", "a list of URLs")
    return tuple(references)


def _steps(data: dict) -> tuple[Step, ...]:
    raw_steps = _list(data, "steps")
    if len(raw_steps) < 2:
        raise FieldError("steps", "a sequence has at least two steps")
    problems = _Problems()

    def step(i: int, spec: Any) -> Step:
        at = f"steps[{i}]"
        if not isinstance(spec, dict) or set(spec) - {"events", "count"}:
            raise FieldError(at, "a mapping of events and optionally count")
        count = COUNT.parse(spec["count"], f"{at}.count") if "count" in spec else 1
        if count > 1 and i > 0:
            raise FieldError(f"{at}.count", "only the first step of a sequence may repeat")
        return Step(_selector(spec.get("events"), f"{at}.events"), count)

    steps = [problems.get(lambda i=i, s=s: step(i, s)) for i, s in enumerate(raw_steps)]
    problems.raise_any()
    return tuple(s for s in steps if s is not None)


def _flag(d: dict, name: str, meaning: str) -> bool:
    value = d.get(name, False)
    if not isinstance(value, bool):
        raise FieldError(name, meaning)
    return value


# Each field's parser (the fields a rule file may hold, besides `type`), common and by
# rule type: every one runs, so all of a rule's problems are found.
Parser = Callable[[dict], Any]
COMMON_PARSERS: dict[str, Parser] = {
    "id": lambda d: RULE_ID.parse(d.get("id"), "id"),
    "title": lambda d: _text(d, "title", 120),
    "description": lambda d: _text(d, "description", 2000),
    "level": lambda d: LEVEL.parse(d.get("level"), "level"),
    "groups": _groups,
    "mitre": _mitre,
    "ossec": lambda d: tuple(OSSEC_ID.parse(v, "ossec") for v in _list(d, "ossec")),
    "references": _references,
    "tests": _tests,
    "overwrite": lambda d: _flag(d, "overwrite", "true for a rule of your own that takes the place of the bundled "
                                                 "rule of the same id"),
}
TYPE_PARSERS: dict[type[Rule], dict[str, Parser]] = {
    EventRule: {
        "where": lambda d: conditions.parse(d.get("where"), "where"),
        "overrides": lambda d: tuple(RULE_ID.parse(v, "overrides") for v in _list(d, "overrides")),
    },
    FrequencyRule: {
        "events": lambda d: _selector(d.get("events"), "events"),
        "count": lambda d: COUNT.parse(d.get("count"), "count"),
        "timeframe": lambda d: WINDOW.parse(d.get("timeframe"), "timeframe"),
        "same": lambda d: _key(d, "same"),
    },
    SequenceRule: {
        "steps": _steps,
        "within": lambda d: WINDOW.parse(d.get("within"), "within"),
        "same": lambda d: _key(d, "same"),
    },
    FirstSeenRule: {
        "events": lambda d: _selector(d.get("events"), "events"),
        "key": lambda d: _key(d, "key"),
    },
}


def parse_rule(data: Any, source: str) -> Rule:
    """A rule from its file's mapping. FieldErrors holds every field that is wrong."""
    if not isinstance(data, dict):
        raise FieldErrors([FieldError("(file)", "a rule file holds one mapping")])
    problems = _Problems()
    kind = data.get("type", "event")
    cls = RULE_TYPES.get(kind) if isinstance(kind, str) else None
    parsers = COMMON_PARSERS | (TYPE_PARSERS[cls] if cls else {})
    if cls is None:
        problems.errors.append(FieldError("type", f"one of {', '.join(RULE_TYPES)}, got {as_written(kind)}"))
    else:
        article = "an" if kind[0] in "aeiou" else "a"
        for name in sorted(map(str, set(data) - {"type"} - set(parsers))):
            problems.errors.append(FieldError(name, f"not a field of {article} {kind} rule"))
    values = {name: problems.get(lambda parse=parse: parse(data)) for name, parse in parsers.items()}
    problems.raise_any()
    assert cls is not None
    return cls(**values, source=source)
