"""Plan and apply: compare what the content wants with what the stack holds, then change
only what differs.

A plan is computed from the stack's state every time, so applying it is safe to repeat:
after a failure halfway, the next run finds the finished steps unchanged and does the rest.
Writes go in dependency order (scripts before the pipelines that call them, templates
before the data stream, rules last); deletes go in the reverse order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from ..content.pipelines import ENTRY
from .errors import DeployError
from .objects import ORDER, Desired
from .state import Snapshot

WRITES = ("create", "update")


class System(Protocol):
    system: str

    def snapshot(self, wanted: list[Desired]) -> Snapshot: ...
    def same(self, d: Desired, current: Any) -> bool: ...
    def write(self, d: Desired, current: Any | None) -> None: ...
    def delete(self, kind: str, id: str) -> None: ...
    def note(self, d: Desired, current: Any) -> str: ...


@dataclass(frozen=True)
class Step:
    action: str  # create, update, unchanged or delete
    system: str
    kind: str
    id: str
    desired: Desired | None = None
    current: Any = None
    note: str = ""  # what else an update does, when it is more than a write (a rebuild)

    @property
    def label(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.id}" + (f" ({self.note})" if self.note else "")

    @property
    def changes(self) -> bool:
        return self.action != "unchanged"


def make_plan(wanted: list[Desired], systems: list[System], prune: bool = True) -> list[Step]:
    """Steps that bring each system to `wanted`. With `prune`, managed objects the content no
    longer has are deleted; `destroy` is a plan for nothing."""
    writes: list[Step] = []
    deletes: list[Step] = []
    for system in systems:
        mine = [d for d in wanted if d.system == system.system]
        state = system.snapshot(mine)
        for d in mine:
            current = state.current.get((d.kind, d.id))
            action = "create" if current is None else "unchanged" if system.same(d, current) else "update"
            note = system.note(d, current) if action == "update" else ""
            writes.append(Step(action, d.system, d.kind, d.id, d, current, note))
        if prune:
            keep = {(d.kind, d.id) for d in mine}
            deletes += [Step("delete", system.system, kind, id) for kind, id in sorted(state.managed - keep)]
    writes.sort(key=lambda s: ORDER.index(s.kind))
    # Reverse order, and the entry pipeline before the pipelines it calls.
    deletes.sort(key=lambda s: (-ORDER.index(s.kind), s.id != ENTRY, s.id))
    return writes + deletes


def summary(steps: list[Step]) -> str:
    counts = Counter(s.action for s in steps)
    return ", ".join(f"{counts[a]} to {a}" if a != "unchanged" else f"{counts[a]} unchanged"
                     for a in ("create", "update", "delete", "unchanged"))


def apply(steps: list[Step], systems: list[System], say: Callable[[str], None]) -> int:
    """Carry out the steps that change something, reporting each. Returns how many were done."""
    by_name = {s.system: s for s in systems}
    todo = [s for s in steps if s.changes]
    for n, step in enumerate(todo, 1):
        say(f"[{n}/{len(todo)}] {step.action} {step.system} {step.label}")
        try:
            if step.action == "delete":
                by_name[step.system].delete(step.kind, step.id)
            else:
                assert step.desired is not None
                by_name[step.system].write(step.desired, step.current)
        except DeployError as e:
            left = len(todo) - n + 1
            raise DeployError(f"{e} — {n - 1} of {len(todo)} changes made, {left} left; "
                              "run the same command again to finish (finished steps are not repeated)") from None
    return len(todo)
