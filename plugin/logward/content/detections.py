"""The rule set from detections/: every rule file parsed, checked, and cross-referenced.

Problems are collected across all files and reported together, each naming the file, the
rule and the field, so one run shows everything that needs fixing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..rules import conditions
from ..rules.conditions import Condition
from ..rules.limits import FIELD_VALUES, TEXT_TYPES, FieldErrors
from ..rules.model import EventRule, FirstSeenRule, FrequencyRule, Rule, Selector, SequenceRule, parse_rule
from ..rules.written import as_written
from .attack import Attack, load_attack
from .fields import Field, load_fields
from .paths import ContentError, YamlError, read_yaml


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    attack: Attack
    fields: dict[str, Field]
    by_id: dict[int, Rule] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {r.id: r for r in self.rules})

    def event_rules(self, selector: Selector) -> tuple[EventRule, ...]:
        """The event rules a selector names, directly or by group (none for `where`)."""
        if selector.rules:
            return tuple(self.by_id[i] for i in selector.rules)  # type: ignore[misc]
        return tuple(r for r in self.rules if isinstance(r, EventRule) and set(r.groups) & set(selector.groups))

    def condition(self, selector: Selector) -> Condition:
        """The condition on one event that a selector stands for."""
        if selector.where is not None:
            return selector.where
        return conditions.any_of([r.where for r in self.event_rules(selector)])


def _selectors(rule: Rule) -> list[tuple[str, Selector]]:
    if isinstance(rule, (FrequencyRule, FirstSeenRule)):
        return [("events", rule.events)]
    if isinstance(rule, SequenceRule):
        return [(f"steps[{i}].events", s.events) for i, s in enumerate(rule.steps)]
    return []


def _conditions(rule: Rule) -> list[tuple[str, Condition]]:
    """A rule's conditions on one event, each with the rule field that holds it."""
    found: list[tuple[str, Condition]] = [("where", rule.where)] if isinstance(rule, EventRule) else []
    return found + [(f"{at}.where", s.where) for at, s in _selectors(rule) if s.where is not None]


def _fields_used(rule: Rule) -> list[tuple[str, str]]:
    """Each field a rule reads, with where the file says so (where.not.user.name, same)."""
    used = [(test.path, test.field) for _, condition in _conditions(rule) for test in conditions.tests(condition)]
    for name in ("same", "key"):
        used += [(name, f) for f in getattr(rule, name, ())]
    return used


def _field_problems(name: str, keyed: bool, catalog: dict[str, Field]) -> list[str]:
    """Why a rule cannot read a field: in a condition, or (`keyed`) as a correlation's key."""
    spec = catalog.get(name)
    if spec is None:
        return [f"{name!r} is not a field Logward writes (pipelines/fields.yml)"]
    if not spec.index:
        return [f"{name} is not indexed (pipelines/fields.yml index: false): Elasticsearch cannot search on it"]
    if not keyed:
        return []
    if spec.array:
        return [f"{name} holds a list of values (pipelines/fields.yml array: true): the engine correlates only "
                "on single values, while Kibana would make one key of each value; key on a single-valued field"]
    if spec.type in TEXT_TYPES:
        return [f"{name} has type {spec.type}: Elasticsearch cannot group by a text field (terms aggregation, "
                "EQL by); key on a keyword field"]
    return []


def _compared(value: Any) -> str:
    """A compared value as the message shows it; a boolean says how YAML came to read one."""
    if isinstance(value, bool):
        return (f"{as_written(value)}, a boolean (YAML 1.1 reads unquoted yes/no/on/off/true/false as "
                "booleans: quote the value, 'no', if the word is meant)")
    return as_written(value)


def _values_of_wrong_type(rule: Rule, catalog: dict[str, Field]) -> list[str]:
    """Compared values the field's type cannot hold: Kibana would refuse the query or it
    would never match, and the engine could disagree with it."""
    problems = []
    for _, condition in _conditions(rule):
        for comparison in conditions.comparisons(condition):
            spec = catalog.get(comparison.field)
            if spec is None or not spec.index:
                continue  # reported as not a field Logward writes, or not one it can search
            allowed = FIELD_VALUES.get(spec.type)
            what = f"{rule.label}: field '{comparison.path}': {comparison.field} has type {spec.type}"
            if allowed is None:
                problems.append(f"{what}: a condition can only test it with {{exists: true|false}}")
                continue
            problems += [f"{what}: its values are {allowed.what}, got {_compared(value)}"
                         for value in comparison.values if not allowed.accepts(value)]
    return problems


def _check(
    rule: Rule, rules: dict[int, Rule], broken: set[Any], groups: set[str], attack: Attack,
    catalog: dict[str, Field],
) -> list[str]:
    """What is wrong with a rule beyond its own file; a reference to a rule whose file has
    errors is not one of them (its file's errors say enough)."""
    problems = [f"{rule.label}: field '{at}': {why}" for at, name in _fields_used(rule)
                for why in _field_problems(name, at in ("same", "key"), catalog)]
    problems += _values_of_wrong_type(rule, catalog)
    for technique in rule.mitre:
        parent = technique.partition(".")[0]
        for needed in dict.fromkeys((technique, parent)):
            if needed not in attack.techniques:
                problems.append(f"{rule.label}: field 'mitre': {needed} is not in detections/_attack.yml (nor "
                                "in an _attack.yml at the top of a folder of your own rules)")
    for ref in getattr(rule, "overrides", ()):
        if ref in broken:
            continue
        other = rules.get(ref)
        if other is None or not isinstance(other, EventRule):
            why = f"rule {ref} is a {other.kind} rule, not an event rule" if other else f"there is no rule {ref}"
            problems.append(f"{rule.label}: field 'overrides': {why}")
    circle = _override_circle(rule, rules)
    if circle:
        problems.append(f"{rule.label}: field 'overrides': " + (
            "the rule overrides itself" if len(circle) == 2 else
            f"rules {' -> '.join(map(str, circle))} override one another in a circle, so none would match"))
    for i, case in enumerate(rule.tests):
        problems += [f"{rule.label}: field 'tests[{i}].others': " + (
                     f"rule {ref} is this rule: `fires` counts it" if ref == rule.id else f"there is no rule {ref}")
                     for ref, _ in case.others if ref == rule.id or (ref not in rules and ref not in broken)]
    for at, selector in _selectors(rule):
        for ref in selector.rules:
            other = rules.get(ref)
            if ref in broken or isinstance(other, EventRule):
                continue
            why = f"rule {ref} is a {other.kind} rule, not an event rule" if other else f"there is no rule {ref}"
            problems.append(f"{rule.label}: field '{at}.rules': {why}")
        for group in selector.groups:
            if group not in groups:
                problems.append(f"{rule.label}: field '{at}.groups': no event rule is in group {group!r}")
    return problems


def _rule_files(root: Path, local: tuple[Path, ...]) -> list[tuple[Path, str, bool]]:
    """Every rule file (rule.YML too), with how messages and Kibana rules name it, and
    whether it is the user's own: relative to the content folder, or for the user's own
    under their folder's name, however the path to it was written (a deploy from CI and one
    from a laptop give the same bodies). Hidden folders (.github/workflows/*.yml in the
    user's repository) hold no rules, nor do files named with a leading "_" (_attack.yml).
    A folder given twice is read once."""
    found = []
    folders = dict.fromkeys([(root / "detections").resolve(), *(folder.resolve() for folder in local)])
    for i, folder in enumerate(folders):
        base = root.resolve() if i == 0 else folder.parent
        for path in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".yml", ".yaml")):
            inside = path.relative_to(folder)
            if not path.name.startswith("_") and not any(part.startswith(".") for part in inside.parts):
                found.append((path, str(path.relative_to(base)), i > 0))
    return found


# Ids the bundled rules may take: the user's own take others, or a new bundled rule would
# one day clash with theirs.
BUNDLED_IDS = range(100_000, 110_000)


def _take_overwrites(loaded: dict[int, list[Rule]], mine: set[int]) -> list[str]:
    """A rule of the user's own with `overwrite: true` takes the place of the bundled rule
    of its id (OSSEC's overwrite="yes"): the correlations that name the id count its events,
    and its Kibana rule is the bundled one's, changed. Any other use is a problem."""
    problems = []
    for rule_id, rules in loaded.items():
        bundled = [rule for rule in rules if id(rule) not in mine]
        for rule in rules:
            if rule.overwrite and id(rule) not in mine:
                problems.append(f"{rule.label}: field 'overwrite': only a rule of your own (--rules) overwrites")
            elif rule.overwrite and not bundled:
                problems.append(f"{rule.label}: field 'overwrite': there is no bundled rule {rule_id} to overwrite")
            elif rule.overwrite and len(rules) == 2:
                loaded[rule_id] = [rule]
            elif not bundled and rule_id in BUNDLED_IDS:
                problems.append(f"{rule.label}: field 'id': {BUNDLED_IDS.start} to {BUNDLED_IDS.stop - 1} are kept for "
                                "the bundled rules: take an id from 110000 up")
    return problems


def load_rules(root: Path, local: tuple[Path, ...] = ()) -> RuleSet:
    """The content's rules and those in the `local` folders (see paths.rule_folders)."""
    attack, problems = load_attack(root, local)
    catalog = load_fields(root)
    loaded: dict[int, list[Rule]] = {}  # each id's rules, in load order: more than one is an error
    mine: set[int] = set()  # the user's own rules (by object id)
    paths: dict[int, Path] = {}  # each rule's file (by object id)
    broken: set[Any] = set()  # ids of rules with errors: references to them are not errors too
    for path, source, own in _rule_files(root, local):
        try:
            data = read_yaml(path)
        except YamlError as e:  # reported with the other files' problems, naming the rule if it can
            written = re.search(r"^id: *['\"]?(\d+)", path.read_text(encoding="utf-8", errors="replace"), re.MULTILINE)
            rule_id = int(written.group(1)) if written else "?"
            problems.append(f"{source}: rule {rule_id}: {e.at}{e.problem}")
            broken.add(rule_id)
            continue
        rule_id = data.get("id", "?") if isinstance(data, dict) else "?"
        try:
            rule = parse_rule(data, source)
        except FieldErrors as e:
            problems += [f"{source}: rule {rule_id}: {error}" for error in e.errors]
            broken.add(rule_id)
            continue
        loaded.setdefault(rule.id, []).append(rule)
        paths[id(rule)] = path
        if own:
            mine.add(id(rule))
    problems += _take_overwrites(loaded, mine)
    for same_id in (rules for rules in loaded.values() if len(rules) > 1):
        # Which file is the newcomer is not for the loader to guess: each is named, with
        # the others, so the line for the file just added is there whichever it is. Two
        # folders of the same name name their files alike: then the paths tell them apart.
        broken.add(same_id[0].id)
        alike = len({r.source for r in same_id}) < len(same_id)
        for rule in same_id:
            others = ", ".join(str(paths[id(r)]) if alike else r.source for r in same_id if r is not rule)
            hint = (" (overwrite: true in yours replaces the bundled rule)"
                    if id(rule) in mine and not rule.overwrite and any(id(r) not in mine for r in same_id) else "")
            label = f"{paths[id(rule)]}: rule {rule.id}" if alike else rule.label
            problems.append(f"{label}: field 'id': also used by {others}{hint}")
    parsed = {i: rules[0] for i, rules in loaded.items()}
    every = [rule for rules in loaded.values() for rule in rules]
    groups = {g for r in every if isinstance(r, EventRule) for g in r.groups}
    for rule in every:
        problems += _check(rule, parsed, broken, groups, attack, catalog)
    if problems:
        raise ContentError("invalid detections:\n  " + "\n  ".join(problems))
    return RuleSet(tuple(sorted(_overridden(parsed).values(), key=lambda r: r.id)), attack, catalog)


def _override_circle(rule: Rule, rules: dict[int, Rule]) -> list[int]:
    """The ids of a circle of overrides through this rule, starting and ending with it; []."""
    def walk(path: list[int]) -> list[int]:
        for ref in getattr(rules.get(path[-1]), "overrides", ()):
            if ref == rule.id:
                return [*path, ref]
            if ref not in path and (found := walk([*path, ref])):
                return found
        return []
    return walk([rule.id])


def _overridden(rules: dict[int, Rule]) -> dict[int, Rule]:
    """Each rule that others override, with their conditions taken out of its own: the
    engine, the Kibana rule and the correlations fed by it then all agree. An overriding
    rule's own condition counts, not what overrides it in turn (OSSEC's child matched)."""
    by: dict[int, list[Condition]] = {}
    for rule in rules.values():
        for ref in getattr(rule, "overrides", ()):
            by.setdefault(ref, []).append(rule.where)  # type: ignore[attr-defined]
    out = dict(rules)
    for ref, wheres in by.items():
        rule = rules[ref]
        assert isinstance(rule, EventRule)
        out[ref] = replace(rule, where=conditions.All((rule.where, conditions.Not(conditions.any_of(wheres)))))
    return out
