"""On loghub's Linux_2k.log, every sshd(pam_unix), su(pam_unix) and login(pam_unix) line
gets a specific event.action. The coverage per program is reported; below 100% fails.

Corpus: loghub, Zhu et al., ISSRE 2023 (../shared/corpora/loghub)."""

from __future__ import annotations

import re
from collections import Counter

from logward.engine.ingest import Ingest
from logward.engine.lines import split_lines
from tests.conftest import LOGHUB
from tests.pipeline_fixtures import DEFAULT_FIELDS

PROGRAM = re.compile(r"^\w{3} [ \d]\d [\d:]{8} \S+ (\w+\(pam_unix\))\[")
PROGRAMS = ("sshd(pam_unix)", "su(pam_unix)", "login(pam_unix)")


def test_pam_programs_are_fully_covered(ingest: Ingest, capsys):
    total: Counter[str] = Counter()
    covered: Counter[str] = Counter()
    misses: list[str] = []
    actions: Counter[tuple[str, str]] = Counter()
    for line in split_lines((LOGHUB / "Linux_2k.log").read_text(encoding="utf-8")):
        m = PROGRAM.match(line)
        if not m or m.group(1) not in PROGRAMS:
            continue
        program = m.group(1)
        total[program] += 1
        doc = ingest.run({"message": line, "event": dict(DEFAULT_FIELDS["event"])})
        action = doc["event"].get("action")
        if action and not doc.get("tags"):
            covered[program] += 1
            actions[(program, action)] += 1
        else:
            misses.append(line)
    with capsys.disabled():
        print()
        for program in PROGRAMS:
            print(f"  Linux_2k {program}: {covered[program]}/{total[program]} lines with a specific event.action "
                  f"({100 * covered[program] / max(total[program], 1):.1f}%)")
        for (program, action), n in sorted(actions.items()):
            print(f"    {program:16} {action:22} {n}")
    assert all(total[p] for p in PROGRAMS), total
    assert not misses, f"{len(misses)} lines without a specific action, e.g. {misses[:3]}"
