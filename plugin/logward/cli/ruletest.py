"""`logward test`: every rule's own test cases, each in a fresh engine, reported per rule.

A case says how many times its rule fires, and may say how often others do (`others`). A
level-0 rule raises no alert (OSSEC's "ignore"), so its cases count how many times it
matched."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from typing import Any

from ..content.detections import RuleSet, load_rules
from ..content.paths import content_root, rule_folders
from ..content.pipelines import Pipelines, load_pipelines
from ..engine import PROBLEM_TAGS, Engine, compile_ingest
from ..engine.ingest import Ingest
from ..engine.lines import counted
from ..rules.model import Rule, TestCase

# Tags of a line that did not decode: the replay's problem tags, and the engine's mark for
# a line the node would not index at all.
UNDECODED_TAGS = (*PROBLEM_TAGS, "dropped")


def add_parser(commands: Any, name: str) -> None:
    p = commands.add_parser(name, help="run every rule's test cases", description=__doc__)
    p.add_argument("rules", nargs="*", type=int, metavar="RULE_ID", help="only these rules")
    p.add_argument("-v", "--verbose", action="store_true", help="list every case")


@dataclass(frozen=True)
class Undecoded:
    line: int  # from 1, in the case's log
    tag: str
    why: str  # the document's error.message, if any


@dataclass(frozen=True)
class CaseResult:
    rule: Rule
    case: TestCase
    fired: int  # alerts of this rule (matches, for a level-0 rule)
    others: dict[int, int]  # alerts of other rules, for the report
    undecoded: tuple[Undecoded, ...] = ()

    @property
    def problem(self) -> str | None:
        """Why the case fails, besides the count: a case that expects no alert proves
        nothing if a line did not decode, and one marked undecodable must have such a line."""
        if self.case.undecodable:
            return None if self.undecoded else "marked undecodable: true, but every line decodes"
        if self.case.fires or not self.undecoded:
            return None
        return (f"{self.first_undecoded}: a case expecting no alert proves nothing with it; fix the line, "
                "or add undecodable: true if the case is about such a line")

    @property
    def first_undecoded(self) -> str:
        first = self.undecoded[0]
        why = f": {first.why[:200]}{'...' if len(first.why) > 200 else ''}" if first.why else ""
        return f"line {first.line} does not decode ({first.tag}{why})"

    @property
    def hint(self) -> str | None:
        """For a case that failed its count: a line that did not decode, most likely why."""
        if self.fired == self.case.fires or not self.undecoded or self.case.undecodable:
            return None
        return f"{self.first_undecoded}, which may be why"

    @property
    def unexpected(self) -> list[str]:
        """The other rules the case speaks of that did not fire as often as it says."""
        return [f"rule {rule_id} fired {self.others.get(rule_id, 0)}, expected {count}"
                for rule_id, count in self.case.others if self.others.get(rule_id, 0) != count]

    @property
    def ok(self) -> bool:
        return self.fired == self.case.fires and self.problem is None and not self.unexpected


def run_case(pipelines: Pipelines, rules: RuleSet, rule: Rule, case: TestCase,
             ingest: Ingest | None = None) -> CaseResult:
    """One case in a fresh engine: no correlation or first-seen state from other cases."""
    engine = Engine(pipelines, rules, ingest=ingest, keep_ignored=rule.level == 0)
    fired, others, undecoded = 0, {}, []
    for number, line in enumerate(case.lines, 1):
        doc, alerts = engine.process(line, case.reference_time)
        fired += sum(1 for match in engine.ignored if match.rule.id == rule.id)
        tags = doc.get("tags") or ()
        error = doc.get("error")
        why = str(error.get("message", "")) if isinstance(error, dict) else ""
        undecoded += [Undecoded(number, tag, why) for tag in UNDECODED_TAGS if tag in tags]
        for alert in alerts:
            if alert.rule.id == rule.id:
                fired += 1
            else:
                others[alert.rule.id] = others.get(alert.rule.id, 0) + 1
    return CaseResult(rule, case, fired, others, tuple(undecoded))


def run_all(pipelines: Pipelines, rules: RuleSet, only: list[int] | None = None) -> list[CaseResult]:
    ingest = compile_ingest(pipelines)
    return [
        run_case(pipelines, rules, rule, case, ingest)
        for rule in rules.rules
        if not only or rule.id in only
        for case in rule.tests
    ]


def run(args: argparse.Namespace) -> int:
    root = content_root(args.content)
    pipelines, rules = load_pipelines(root), load_rules(root, rule_folders(args.local_rules))
    unknown = set(args.rules) - set(rules.by_id)
    if unknown:
        print(f"logward test: no rule {', '.join(map(str, sorted(unknown)))}", file=sys.stderr)
        return 2
    results = run_all(pipelines, rules, args.rules)
    failed = 0
    for rule in rules.rules:
        mine = [r for r in results if r.rule is rule]
        if not mine:
            continue
        bad = [r for r in mine if not r.ok]
        failed += len(bad)
        status = "ok" if not bad else "FAILED"
        print(f"{rule.id}  {status:6}  {len(mine) - len(bad)}/{len(mine)} cases  {rule.title}  ({rule.source})")
        for r in mine if args.verbose else bad:
            mark = "ok" if r.ok else "FAIL"
            also = ", ".join(f"{k}x{v}" for k, v in sorted(r.others.items())) or "none"
            why = "; ".join(r.unexpected) or r.problem or r.hint
            problem = f"; {why}" if why else ""
            verb = "matched (level 0: no alert)" if rule.level == 0 else "fired"
            print(f"        {mark}: {r.case.name}: {verb} {r.fired}, expected {r.case.fires} "
                  f"(other rules: {also}){problem}")
    total = len(results)
    print(f"{total - failed}/{total} cases passed across {counted(len({r.rule.id for r in results}), 'rule')}")
    return 1 if failed else 0
