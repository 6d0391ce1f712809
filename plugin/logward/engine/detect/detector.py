"""Rules evaluated over a stream of parsed events, with correlation state kept across it.

Event rules are plain predicates, indexed by the event.action they require so that each
event is tried against few of them. Correlations keep per-key state:

- frequency: the times of recent matching events; `count` of them within `timeframe`
  fire once and start a new count.
- sequence: the first step's recent times, and for each later step the start of the most
  recent partial sequence that reached it; completing the last step within `within` of
  the start fires and clears the key.
- first_seen: the keys seen so far, which the caller may load and save to make "first"
  mean first ever rather than first in this run.

Time is the event's @timestamp, so replaying old logs gives the alerts they would have
given live.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ...content.detections import RuleSet
from ...rules.model import EventRule, FirstSeenRule, FrequencyRule, Rule, Selector, SequenceRule
from .alerts import Alert
from .match import Predicate, compile_predicate, field_getter, required_values

ACTION = "event.action"


class _Selector:
    """Does an event belong to a correlation's input? Rule and group selectors reuse the
    event rules' verdicts; `where` selectors are predicates of their own."""

    def __init__(self, ruleset: RuleSet, selector: Selector):
        self.ids = frozenset(r.id for r in ruleset.event_rules(selector)) if selector.where is None else None
        self.predicate = compile_predicate(selector.where) if selector.where is not None else None

    def __call__(self, doc: dict[str, Any], fired: set[int]) -> bool:
        if self.ids is not None:
            return not self.ids.isdisjoint(fired)
        return self.predicate(doc)  # type: ignore[misc]


def _key_of(fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple | None]:
    getters = [field_getter(f) for f in fields]

    def key(doc: dict[str, Any]) -> tuple | None:
        values = tuple(g(doc) for g in getters)
        if any(v is None or v.__class__ in (list, dict) for v in values):
            return None
        return values

    return key


class _Frequency:
    def __init__(self, rule: FrequencyRule, ruleset: RuleSet):
        self.rule = rule
        self.selects = _Selector(ruleset, rule.events)
        self.key = _key_of(rule.same)
        self.windows: dict[tuple, deque[float]] = {}

    def feed(self, doc: dict[str, Any], t: float, fired: set[int]) -> dict[str, Any] | None:
        if not self.selects(doc, fired):
            return None
        key = self.key(doc)
        if key is None:
            return None
        times = self.windows.get(key)
        if times is None:
            times = self.windows[key] = deque()
        times.append(t)
        while t - times[0] > self.rule.timeframe:
            times.popleft()
        if len(times) < self.rule.count:
            return None
        first = times[0]
        del self.windows[key]
        return {"count": len(times), "window_seconds": self.rule.timeframe,
                "key": dict(zip(self.rule.same, key)), "first": first}


class _Sequence:
    def __init__(self, rule: SequenceRule, ruleset: RuleSet):
        self.rule = rule
        self.steps = [_Selector(ruleset, s.events) for s in rule.steps]
        self.first_count = rule.steps[0].count
        self.key = _key_of(rule.same)
        self.starts: dict[tuple, deque[float]] = {}  # first-step times per key
        self.reached: dict[tuple, dict[int, float]] = {}  # step index -> start time of partial

    def feed(self, doc: dict[str, Any], t: float, fired: set[int]) -> dict[str, Any] | None:
        matched = [i for i, step in enumerate(self.steps) if step(doc, fired)]
        if not matched:
            return None
        key = self.key(doc)
        if key is None:
            return None
        within = self.rule.within
        starts = self.starts.setdefault(key, deque())
        while starts and t - starts[0] > within:
            starts.popleft()
        reached = self.reached.setdefault(key, {})
        last = len(self.steps) - 1
        # Later steps first, so one event never completes two steps at once.
        for i in sorted(matched, reverse=True):
            if i == 0:
                starts.append(t)
                continue
            if i == 1:
                start = starts[-self.first_count] if len(starts) >= self.first_count else None
            else:
                start = reached.get(i - 1)
            if start is None or t - start > within:
                continue
            if i == last:
                count = len(starts)
                del self.starts[key], self.reached[key]
                return {"count": count + last, "window_seconds": within,
                        "key": dict(zip(self.rule.same, key)), "first": start}
            reached[i] = max(reached.get(i, start), start)
            break
        return None


class _FirstSeen:
    def __init__(self, rule: FirstSeenRule, ruleset: RuleSet, seen: set[tuple]):
        self.rule = rule
        self.selects = _Selector(ruleset, rule.events)
        self.key = _key_of(rule.key)
        self.seen = seen

    def feed(self, doc: dict[str, Any], t: float, fired: set[int]) -> dict[str, Any] | None:
        if not self.selects(doc, fired):
            return None
        key = self.key(doc)
        if key is None or key in self.seen:
            return None
        self.seen.add(key)
        return {"count": 1, "key": dict(zip(self.rule.key, key)), "first": t}


_EPOCH_CACHE: dict[str, float] = {}


def event_time(doc: dict[str, Any]) -> float:
    text = doc.get("@timestamp")
    if not isinstance(text, str):
        return 0.0
    t = _EPOCH_CACHE.get(text)
    if t is None:
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
        except ValueError:
            t = 0.0
        if len(_EPOCH_CACHE) > 100_000:
            _EPOCH_CACHE.clear()
        _EPOCH_CACHE[text] = t
    return t


class Detector:
    """Feed parsed events in order; get the alerts each one raises."""

    def __init__(self, ruleset: RuleSet, first_seen: dict[int, set[tuple]] | None = None):
        self.ruleset = ruleset
        self.alerts = 0
        self.first_seen: dict[int, set[tuple]] = first_seen if first_seen is not None else {}
        events = [r for r in ruleset.rules if isinstance(r, EventRule)]
        self.by_action: dict[str, list[tuple[EventRule, Predicate]]] = {}
        self.unindexed: list[tuple[EventRule, Predicate]] = []
        for rule in events:
            entry = (rule, compile_predicate(rule.where))
            actions = required_values(rule.where, ACTION)
            if actions is None:
                self.unindexed.append(entry)
            for action in actions or ():
                self.by_action.setdefault(str(action), []).append(entry)
        self.correlations: list[tuple[Rule, Any]] = []
        for rule in ruleset.rules:
            if isinstance(rule, FrequencyRule):
                self.correlations.append((rule, _Frequency(rule, ruleset)))
            elif isinstance(rule, SequenceRule):
                self.correlations.append((rule, _Sequence(rule, ruleset)))
            elif isinstance(rule, FirstSeenRule):
                seen = self.first_seen.setdefault(rule.id, set())
                self.correlations.append((rule, _FirstSeen(rule, ruleset, seen)))

    def _candidates(self, doc: dict[str, Any]) -> Iterable[tuple[EventRule, Predicate]]:
        event = doc.get("event")
        action = event.get("action") if event.__class__ is dict else None
        indexed = self.by_action.get(action, ()) if action.__class__ is str else ()
        return (*indexed, *self.unindexed) if self.unindexed else indexed

    def process(self, doc: dict[str, Any]) -> list[Alert]:
        t = event_time(doc)
        fired: set[int] = set()
        alerts: list[Alert] = []
        for rule, predicate in self._candidates(doc):
            if predicate(doc):
                fired.add(rule.id)
                if rule.level > 0:
                    alerts.append(self._alert(rule, doc, t, {}))
        for rule, state in self.correlations:
            found = state.feed(doc, t, fired)
            if found is not None:
                alerts.append(self._alert(rule, doc, t, found))
        return alerts

    def _alert(self, rule: Rule, doc: dict[str, Any], t: float, correlation: dict[str, Any]) -> Alert:
        self.alerts += 1
        return Alert(rule, doc, t, self.alerts, correlation)
