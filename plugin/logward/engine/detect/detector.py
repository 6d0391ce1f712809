"""Rules evaluated over a stream of parsed events, with correlation state kept across it.

Most rules name the event.action they are about, so for each action the detector builds,
on first sight, a plan: the event rules that can match it (with what is left of their
conditions once the action is known) and the correlations those rules feed. An event
then costs the few checks its action needs, not one per rule. Correlations keep per-key
state:

- frequency: the times of recent matching events; `count` of them within `timeframe`
  fire once and start a new count.
- sequence: the first step's recent times, and for each later step the start of the most
  recent partial sequence that reached it; completing the last step within `within` of
  the start fires and clears the key. Steps count in time order, not input order.
- first_seen: the keys seen so far, which the caller may load and save to make "first"
  mean first ever rather than first in this run.

Input a little out of order (within the window) takes its place in time; an event more
than a window from the key's others goes to a lane of its own (see MAX_LANES).

A level-0 rule raises no alert (OSSEC's level 0 is "ignore"), whatever its type; it still
feeds the correlations that select it, and a correlation at level 0 still counts. Its
matches are kept in `ignored`, for `logward test` and `logtest`, only when asked for.

Time is the event's @timestamp, so replaying old logs gives the alerts they would have
given live.
"""

from __future__ import annotations

import re
from bisect import bisect_right, insort
from collections import Counter, deque
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from itertools import count
from typing import Any

from ...content.detections import RuleSet
from ...rules.conditions import Condition
from ...rules.model import EventRule, FirstSeenRule, FrequencyRule, Rule, Selector, SequenceRule
from ..ingest.dates import days_since_epoch
from .alerts import Alert
from .match import ExpressionBuilder, field_access, specialize

ACTION = "event.action"
_UNSET = object()  # a key not read yet (None is a key that could not be read)
Plan = Callable[[dict[str, Any], float, list], None]


@lru_cache(maxsize=256)
def _key_of(fields: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple | None]:
    """The values of the key fields, or None if any is missing or not a single value."""
    names = [f"v{i}" for i in range(len(fields))]
    lines = ["def key(doc):", "    try:"]
    lines += [f"        {name} = {field_access(field)}" for name, field in zip(names, fields)]
    lines += ["    except (KeyError, TypeError, IndexError):", "        return None"]
    lines += [f"    if {name} is None or {name}.__class__ in (list, dict):\n        return None" for name in names]
    lines.append(f"    return ({', '.join(names)},)")
    namespace: dict[str, Any] = {}
    exec(compile("\n".join(lines) + "\n", "<logward key>", "exec"), namespace)
    return namespace["key"]


# Correlation state is kept per key (a source address, a user). Keys whose window has
# passed are dropped whenever the number of keys has doubled since the last sweep, so a
# replay of months of logs from millions of sources holds only the keys still in play.
SWEEP_FROM = 4096


# A key's events come in lanes: runs of input in time order, give or take a window. An
# event more than a window before or after every lane's newest (another host's clock
# behind or ahead, an older file read after a newer one, a forged line) starts a lane of
# its own, so it counts only with events near it in time and takes nothing from the
# others' counts. A key keeps a few lanes; a new one beyond them replaces the one least
# recently used. A sweep forgets lanes idle for a window and SKEW in event time, so hosts
# whose clocks disagree by less than SKEW keep their lanes.
MAX_LANES = 4
SKEW = 3600.0
NEVER = float("-inf")  # the newest time of a lane with no event yet
# Partial sequences kept per step and lane, the most recent.
MAX_PARTIALS = 16


def _nearest(lanes: list, t: float, window: float, newest: Callable[[Any], float]) -> Any:
    """The lane whose newest event is nearest to t, within the window either way; or None."""
    found, gap = None, window
    for lane in lanes:
        distance = abs(t - newest(lane))
        if distance <= gap:
            found, gap = lane, distance
    return found


class _Lanes:
    """A correlation's lanes: per key, the one in use (most input is in order and stays in
    it), and the others, least recently used first (kept apart, as most keys have none)."""

    def __init__(self, newest: Callable[[Any], float], make: Callable[[], Any]):
        self.newest, self.make = newest, make
        self.current: dict[tuple, Any] = {}
        self.others: dict[tuple, list[Any]] = {}

    def switch(self, key: tuple, t: float, window: float, create: bool = True) -> Any:
        """Make the lane nearest t, among the key's others or a new one, the one in use
        (None if none is near and none is to be made)."""
        others = self.others.get(key, [])
        lane = _nearest(others, t, window, self.newest)
        if lane is None:
            if not create:
                return None
            lane = self.make()
            self.others[key] = others
            if len(others) >= MAX_LANES - 1:
                del others[0]  # the least recently used
        else:
            others.remove(lane)
        others.append(self.current[key])
        self.current[key] = lane
        return lane

    def done(self, key: tuple) -> None:
        """The lane in use has fired: the most recently used other, if any, takes its place."""
        others = self.others.get(key)
        if others:
            self.current[key] = others.pop()
            if not others:
                del self.others[key]
        else:
            del self.current[key]
            self.others.pop(key, None)

    def sweep(self, t: float, horizon: float) -> int:
        """Forget lanes idle for longer than the horizon; the number of keys left. The
        tables are changed in place: the correlations hold `current` as their own."""
        newest = self.newest
        others = {key: [lane for lane in lanes if t - newest(lane) <= horizon] for key, lanes in self.others.items()}
        self.others = {key: lanes for key, lanes in others.items() if lanes}
        current = {}
        for key, lane in self.current.items():
            if t - newest(lane) <= horizon:
                current[key] = lane
            elif key in self.others:
                current[key] = self.others[key].pop()
                if not self.others[key]:
                    del self.others[key]
        self.current.clear()
        self.current.update(current)
        return len(current)


def _last(times: deque[float]) -> float:
    return times[-1] if times else NEVER


class _Frequency:
    def __init__(self, rule: FrequencyRule):
        self.rule = rule
        self.fields = rule.same
        self.timeframe, self.count = rule.timeframe, rule.count
        self.lanes = _Lanes(_last, deque)  # per key, its lanes' recent times
        self.windows = self.lanes.current
        self.sweep_at = SWEEP_FROM

    def sweep(self, t: float) -> None:
        """Forget lanes with no event within the timeframe and SKEW."""
        self.sweep_at = max(SWEEP_FROM, 2 * self.lanes.sweep(t, self.rule.timeframe + SKEW))

    def hit(self, key: tuple | None, t: float) -> dict[str, Any] | None:
        """An event of the rule's input (its key, None if it has none): count it, and say
        if that makes `count`."""
        if key is None:
            return None
        times = self.windows.get(key)
        if times is None:
            if len(self.windows) >= self.sweep_at:
                self.sweep(t)
            times = self.windows[key] = deque()
        timeframe = self.timeframe
        ahead = t - times[-1] if times else 0.0
        if ahead > timeframe or ahead < -timeframe:  # far from this lane: another one
            times = self.lanes.switch(key, t, timeframe)
            ahead = t - times[-1] if times else 0.0
        if ahead >= 0:  # in order, as most input is
            times.append(t)
            while t - times[0] > timeframe:
                times.popleft()
        else:  # a little out of order: in its place
            insort(times, t)
        if len(times) < self.count:
            return None
        first = times[0]
        self.lanes.done(key)
        return {"count": len(times), "window_seconds": timeframe, "key": dict(zip(self.fields, key)), "first": first}


class _Run:
    """One lane of a sequence's key: the first step's recent times, and for each later step
    the partial sequences that reached it, as (start, time of the step)."""

    __slots__ = ("newest", "reached", "starts")

    def __init__(self) -> None:
        self.starts: deque[float] = deque()
        self.reached: dict[int, list[tuple[float, float]]] = {}
        self.newest = NEVER


def _newest(run: _Run) -> float:
    return run.newest


class _Sequence:
    def __init__(self, rule: SequenceRule):
        self.rule = rule
        self.first_count = rule.steps[0].count
        self.last = len(rule.steps) - 1
        self.fields = rule.same
        self.lanes = _Lanes(_newest, _Run)
        self.runs = self.lanes.current
        self.sweep_at = SWEEP_FROM

    def sweep(self, t: float) -> None:
        """Forget lanes too old to complete a sequence (with SKEW to spare)."""
        self.sweep_at = max(SWEEP_FROM, 2 * self.lanes.sweep(t, self.rule.within + SKEW))

    def hit(self, key: tuple | None, t: float, matched: tuple[int, ...]) -> dict[str, Any] | None:
        """An event that matched the given steps (ascending)."""
        if key is None:
            return None
        within = self.rule.within
        run = self.runs.get(key)
        if run is None:
            if 0 not in matched:
                return None  # nothing has started for this key, and this does not start it
            if len(self.runs) >= self.sweep_at:
                self.sweep(t)
            run = self.runs[key] = _Run()
        newest = run.newest
        if newest != NEVER and (t - newest > within or newest - t > within):
            run = self.lanes.switch(key, t, within, create=0 in matched)
            if run is None:
                return None  # far from every lane, and this starts none
            newest = run.newest
        if t > newest:
            run.newest = newest = t
        starts, reached = run.starts, run.reached
        while starts and newest - starts[0] > within:
            starts.popleft()
        # Later steps first, so one event never completes two steps at once. Steps count
        # in time order, as EQL's do: a step is after the step before it.
        for i in reversed(matched):
            if i == 0:
                if not starts or t >= starts[-1]:
                    starts.append(t)
                else:
                    insort(starts, t)
                continue
            if i == 1:  # the first step's events at or before this one
                before = len(starts) if not starts or starts[-1] <= t else bisect_right(starts, t)
                start = starts[before - self.first_count] if before >= self.first_count else None
            else:  # the partial with the latest start that reached the step before, before this
                start = max((begun for begun, when in reached.get(i - 1, ()) if when <= t), default=None)
            if start is None or t - start > within:
                continue
            if i == self.last:
                # The sequence's own events: the first step's count, and one for each later
                # step (earlier starts still in the window are not part of it).
                self.lanes.done(key)
                return {"count": self.first_count + self.last, "window_seconds": within,
                        "key": dict(zip(self.rule.same, key)), "first": start}
            partials = reached.setdefault(i, [])
            partials.append((start, t))
            if len(partials) > MAX_PARTIALS:
                del partials[0]
            break
        return None


class _FirstSeen:
    def __init__(self, rule: FirstSeenRule, seen: set[tuple]):
        self.rule = rule
        self.fields = rule.key
        self.seen = seen

    def hit(self, key: tuple | None, t: float) -> dict[str, Any] | None:
        if key is None or key in self.seen:
            return None
        self.seen.add(key)
        return {"count": 1, "key": dict(zip(self.rule.key, key)), "first": t}


_EPOCH_CACHE: dict[str, float] = {}
_DAYS: dict[str, float] = {}
_CLOCKS: dict[str, int] = {}  # "HH:MM:SS": seconds into the day


def event_time(doc: dict[str, Any]) -> float:
    """The event's @timestamp in seconds since the epoch; 0 if it has none that reads."""
    text = doc.get("@timestamp")
    t = _EPOCH_CACHE.get(text)  # type: ignore[arg-type]
    if t is None:
        t = _epoch(text)
        if text.__class__ is str:
            if len(_EPOCH_CACHE) > 100_000:
                _EPOCH_CACHE.clear()
            _EPOCH_CACHE[text] = t  # type: ignore[index]
    return t


def _epoch(text: Any) -> float:
    if text.__class__ is str and len(text) == 24 and text[23] == "Z":
        # yyyy-MM-ddTHH:mm:ss.SSSZ, as the date processor prints UTC: read by its parts,
        # each remembered (a log has few days, and at most 86,400 clock times).
        day = _DAYS.get(text[:10])
        clock = _CLOCKS.get(text[11:19])
        millis = text[20:23]
        try:
            if day is None:
                if len(_DAYS) > 10_000:
                    _DAYS.clear()
                day = _DAYS[text[:10]] = datetime.fromisoformat(text[:10] + "T00:00:00+00:00").timestamp()
            if clock is None:
                hours, minutes, seconds = text[11:13], text[14:16], text[17:19]
                if text[13] != ":" or text[16] != ":" or not (hours + minutes + seconds).isdigit():
                    raise ValueError(text)
                clock = _CLOCKS[text[11:19]] = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
            return day + clock if millis == "000" else day + clock + int(millis) / 1000
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except (ValueError, AttributeError, TypeError):
        pass
    wide = _WIDE.fullmatch(text) if text.__class__ is str else None
    if wide is None:
        return 0.0
    # A year past datetime's ("+10000-01-01T00:00:59.000Z", as Java prints it): by the
    # calendar's arithmetic, as the date processor dated it.
    year, month, day, hour, minute, second, fraction, zone = wide.groups()
    if (1 <= int(year) <= 9999 or not (1 <= int(month) <= 12 and 1 <= int(day) <= 31)
            or int(hour) > 23 or int(minute) > 59 or int(second) > 59):
        return 0.0  # within datetime's years, fromisoformat would have read it: not a timestamp
    offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    clock = int(hour) * 3600 + int(minute) * 60 + int(second) + (float(f"0.{fraction}") if fraction else 0.0)
    return days_since_epoch(int(year), int(month), int(day)) * 86400 + clock - offset


_WIDE = re.compile(r"([+-]?\d{4,})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)")


def _matched_steps(live: list[tuple[int, str]], taken: tuple[int, ...] = ()) -> str:
    """An expression for the tuple of step indexes whose test holds: nested conditionals,
    each test evaluated once (sequences have a few steps, so the nesting stays small)."""
    if not live:
        return repr(taken)
    (i, test), rest = live[0], live[1:]
    return f"({_matched_steps(rest, (*taken, i))} if {test} else {_matched_steps(rest, taken)})"


class _PlanBuilder:
    """Python for one action's plan. Constants go into the plan's namespace."""

    def __init__(self, detector: Detector):
        self.detector = detector
        self.namespace: dict[str, Any] = {"_Alert": Alert, "_number": detector.numbers.__next__, "_unset": _UNSET}
        self.conditions = ExpressionBuilder(self.namespace)  # rule conditions, inline in the plan
        self.lines: list[str] = []

    def const(self, value: Any) -> str:
        name = f"k{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def test(self, cond: Condition | bool) -> str:
        if isinstance(cond, bool):
            return repr(cond)
        return self.conditions.expr(cond)

    def raise_(self, rule: Rule, correlation: str) -> str | None:
        """The statement for a rule that matched: an alert, a level-0 match kept aside, or
        nothing (None) when level-0 matches are not kept."""
        if rule.level > 0:
            return f"out.append(_Alert({self.const(rule)}, doc, t, _number(), {correlation}))"
        if self.detector.keep_ignored:
            return f"{self.const(self.detector.ignored)}.append(_Alert({self.const(rule)}, doc, t, 0, {correlation}))"
        return None

    def selector(self, selector: Selector, fired: dict[int, str]) -> str | None:
        """An expression for "this event is an input of the correlation", or None for never."""
        if selector.where is not None:
            cond = specialize(selector.where, ACTION, self.detector.action)
            return None if cond is False else self.test(cond)
        flags = [fired[r.id] for r in self.detector.ruleset.event_rules(selector) if r.id in fired]
        return " or ".join(flags) if flags else None

    def build(self) -> Plan:
        d, action = self.detector, self.detector.action
        self.lines.append("def plan(doc, t, out):")
        fired: dict[int, str] = {}
        for rule in d.event_rules:
            cond = specialize(rule.where, ACTION, action)
            if cond is False:
                continue
            flag = fired[rule.id] = f"f{rule.id}"
            self.lines.append(f"    {flag} = {self.test(cond)}")
            raised = self.raise_(rule, "None")
            if raised:
                self.lines.append(f"    if {flag}:")
                self.lines.append(f"        {raised}")
        # A correlation's key is read only when the event is one of its inputs; correlations
        # keyed on the same fields (a source address) share the first reading.
        inputs: list[tuple[Any, Rule, str, str | None]] = []  # state, rule, test, its steps
        for rule, state in d.correlations:
            if isinstance(state, _Sequence):
                steps = [self.selector(step.events, fired) for step in rule.steps]  # type: ignore[attr-defined]
                live = [(i, expr) for i, expr in enumerate(steps) if expr is not None]
                if live:
                    inputs.append((state, rule, "m", _matched_steps(live)))
            else:
                expr = self.selector(rule.events, fired)  # type: ignore[attr-defined]
                if expr is not None:
                    inputs.append((state, rule, f"({expr})", None))
        uses = Counter(state.fields for state, *_ in inputs)
        shared = {fields: f"key{i}" for i, fields in enumerate(f for f, n in uses.items() if n > 1)}
        self.lines += [f"    {name} = _unset" for name in shared.values()]
        for state, rule, test, steps in inputs:
            read = f"{self.const(_key_of(state.fields))}(doc)"
            if state.fields in shared:
                name = shared[state.fields]
                read = f"({name} := {read}) if {name} is _unset else {name}"
            if steps is not None:
                self.lines.append(f"    m = {steps}")
            more = ", m" if steps is not None else ""
            self.lines.append(f"    if {test} and (r := {self.const(state)}.hit({read}, t{more})) is not None:")
            self.lines.append(f"        {self.raise_(rule, 'r') or 'pass'}")
        self.lines.append("    return None")
        self.lines[1:1] = [f"    {read}" for read in self.conditions.reads]
        exec(compile("\n".join(self.lines) + "\n", f"<logward plan {action}>", "exec"), self.namespace)
        return self.namespace["plan"]


class Detector:
    """Feed parsed events in order; get the alerts each one raises."""

    def __init__(self, ruleset: RuleSet, first_seen: dict[int, set[tuple]] | None = None,
                 keep_ignored: bool = False):
        self.ruleset = ruleset
        # With keep_ignored, the matches of level-0 rules on the last event processed
        # (sequence 0: they are not alerts).
        self.keep_ignored = keep_ignored
        self.ignored: list[Alert] = []
        self.numbers = count(1)  # of the alerts, in the order raised
        self.first_seen: dict[int, set[tuple]] = first_seen if first_seen is not None else {}
        self.event_rules = [r for r in ruleset.rules if isinstance(r, EventRule)]
        self.correlations: list[tuple[Rule, Any]] = []
        for rule in ruleset.rules:
            if isinstance(rule, FrequencyRule):
                self.correlations.append((rule, _Frequency(rule)))
            elif isinstance(rule, SequenceRule):
                self.correlations.append((rule, _Sequence(rule)))
            elif isinstance(rule, FirstSeenRule):
                seen = self.first_seen.setdefault(rule.id, set())
                self.correlations.append((rule, _FirstSeen(rule, seen)))
        self.plans: dict[Any, Plan] = {}
        self.action: Any = None  # the action a plan is being built for

    def plan(self, action: Any) -> Plan:
        self.action = action
        plan = self.plans[action] = _PlanBuilder(self).build()
        return plan

    def process(self, doc: dict[str, Any]) -> list[Alert]:
        event = doc.get("event")
        action = event.get("action") if event.__class__ is dict else None
        if action.__class__ is not str:
            action = None
        plan = self.plans.get(action) or self.plan(action)
        if self.keep_ignored:
            self.ignored.clear()
        out: list[Alert] = []
        plan(doc, event_time(doc), out)
        return out
