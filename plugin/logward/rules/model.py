"""One typed model per rule type, parsed from a rule file's mapping.

Every rule has OSSEC's identity (id, level, groups) and carries its own test cases. The
type says how it fires:

- event: one event matches `where` (OSSEC's plain rules; a Kibana query rule).
- frequency: `count` events of `events` from the same `same` fields within `timeframe`
  (OSSEC's frequency/timeframe/same_source_ip; an EQL sequence with runs).
- sequence: the `steps` happen in order for the same `same` fields within `within`
  (OSSEC's if_matched_group chains; an EQL sequence).
- first_seen: the first event ever with a given `key` (OSSEC's FTS; a pivot transform).

`events` selects events by `where`, by the event rules they match (`rules`), or by the
groups of those rules (`groups`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from . import conditions
from .conditions import Condition
from .limits import COUNT, GROUP, LEVEL, OSSEC_ID, RULE_ID, TECHNIQUE, WINDOW, FieldError

# Year-less test lines are read as if shipped at this time (so "Dec 10" is in 2024).
TEST_REFERENCE_TIME = "2025-01-01T00:00:00.000Z"


@dataclass(frozen=True)
class TestCase:
    name: str
    lines: tuple[str, ...]
    fires: int  # how many alerts this rule raises over the lines; 0 for a negative case
    reference_time: str = TEST_REFERENCE_TIME


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

    kind: ClassVar[str]
    type_fields: ClassVar[frozenset[str]]

    @property
    def label(self) -> str:
        return f"{self.source}: rule {self.id}"


@dataclass(frozen=True, kw_only=True)
class EventRule(Rule):
    where: Condition
    kind = "event"
    type_fields = frozenset({"where"})


@dataclass(frozen=True, kw_only=True)
class FrequencyRule(Rule):
    events: Selector
    count: int
    timeframe: int
    same: tuple[str, ...]
    kind = "frequency"
    type_fields = frozenset({"events", "count", "timeframe", "same"})


@dataclass(frozen=True, kw_only=True)
class SequenceRule(Rule):
    steps: tuple[Step, ...]
    within: int
    same: tuple[str, ...]
    kind = "sequence"
    type_fields = frozenset({"steps", "within", "same"})


@dataclass(frozen=True, kw_only=True)
class FirstSeenRule(Rule):
    events: Selector
    key: tuple[str, ...]
    kind = "first_seen"
    type_fields = frozenset({"events", "key"})


RULE_TYPES: dict[str, type[Rule]] = {cls.kind: cls for cls in (EventRule, FrequencyRule, SequenceRule, FirstSeenRule)}
COMMON_FIELDS = frozenset(
    {"id", "type", "title", "description", "level", "groups", "mitre", "ossec", "references", "tests"}
)


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
        raise FieldError(field, f"a list, got {value!r}")
    return value


def _fields(data: dict, field: str) -> tuple[str, ...]:
    value = _list(data, field)
    if not value or not all(isinstance(v, str) and v for v in value):
        raise FieldError(field, "a non-empty list of field names")
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


def _tests(data: dict) -> tuple[TestCase, ...]:
    cases = []
    for i, case in enumerate(_list(data, "tests")):
        at = f"tests[{i}]"
        if not isinstance(case, dict) or set(case) - {"name", "log", "fires", "reference_time"}:
            raise FieldError(at, "a mapping of name, log, fires and optionally reference_time")
        name = case.get("name") if isinstance(case.get("name"), str) else f"case {i + 1}"
        log = case.get("log")
        lines = log.splitlines() if isinstance(log, str) else log
        if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
            raise FieldError(f"{at}.log", "the log lines, as a block of text or a list")
        fires = case.get("fires")
        if isinstance(fires, bool) or not isinstance(fires, int) or fires < 0:
            raise FieldError(f"{at}.fires", "how many times the rule fires: an integer >= 0")
        reference = case.get("reference_time", TEST_REFERENCE_TIME)
        cases.append(TestCase(name, tuple(lines), fires, str(reference)))
    if not any(c.fires for c in cases) or not any(c.fires == 0 for c in cases):
        raise FieldError("tests", "each rule needs a case where it fires and a case where it does not")
    return tuple(cases)


def _common(data: dict) -> dict[str, Any]:
    groups = _list(data, "groups")
    for g in groups:
        if not isinstance(g, str) or not GROUP.match(g):
            raise FieldError("groups", f"group names are lower_snake_case, got {g!r}")
    mitre = _list(data, "mitre")
    for t in mitre:
        if not isinstance(t, str) or not TECHNIQUE.match(t):
            raise FieldError("mitre", f"ATT&CK technique ids look like T1110 or T1110.001, got {t!r}")
    references = _list(data, "references")
    if not all(isinstance(r, str) and r.startswith(("http://", "https://")) for r in references):
        raise FieldError("references", "a list of URLs")
    return {
        "id": RULE_ID.parse(data.get("id"), "id"),
        "title": _text(data, "title", 120),
        "description": _text(data, "description", 2000),
        "level": LEVEL.parse(data.get("level"), "level"),
        "groups": tuple(groups),
        "mitre": tuple(mitre),
        "ossec": tuple(OSSEC_ID.parse(v, "ossec") for v in _list(data, "ossec")),
        "references": tuple(references),
        "tests": _tests(data),
    }


def parse_rule(data: Any, source: str) -> Rule:
    """A rule from its file's mapping. FieldError names the field that is wrong."""
    if not isinstance(data, dict):
        raise FieldError("(file)", "a rule file holds one mapping")
    kind = data.get("type", "event")
    if kind not in RULE_TYPES:
        raise FieldError("type", f"one of {', '.join(RULE_TYPES)}, got {kind!r}")
    cls = RULE_TYPES[kind]
    unknown = set(data) - COMMON_FIELDS - cls.type_fields
    if unknown:
        article = "an" if kind[0] in "aeiou" else "a"
        raise FieldError(sorted(unknown)[0], f"not a field of {article} {kind} rule")
    common = _common(data)
    if cls is EventRule:
        return EventRule(**common, source=source, where=conditions.parse(data.get("where"), "where"))
    if cls is FrequencyRule:
        return FrequencyRule(
            **common, source=source,
            events=_selector(data.get("events"), "events"),
            count=COUNT.parse(data.get("count"), "count"),
            timeframe=WINDOW.parse(data.get("timeframe"), "timeframe"),
            same=_fields(data, "same"),
        )
    if cls is SequenceRule:
        raw_steps = _list(data, "steps")
        if len(raw_steps) < 2:
            raise FieldError("steps", "a sequence has at least two steps")
        steps = []
        for i, step in enumerate(raw_steps):
            at = f"steps[{i}]"
            if not isinstance(step, dict) or set(step) - {"events", "count"}:
                raise FieldError(at, "a mapping of events and optionally count")
            count = COUNT.parse(step["count"], f"{at}.count") if "count" in step else 1
            if count > 1 and i > 0:
                raise FieldError(f"{at}.count", "only the first step of a sequence may repeat")
            steps.append(Step(_selector(step.get("events"), f"{at}.events"), count))
        return SequenceRule(
            **common, source=source, steps=tuple(steps),
            within=WINDOW.parse(data.get("within"), "within"), same=_fields(data, "same"),
        )
    return FirstSeenRule(
        **common, source=source, events=_selector(data.get("events"), "events"), key=_fields(data, "key")
    )
