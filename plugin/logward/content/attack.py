"""MITRE ATT&CK as the rules cite it (detections/_attack.yml): tactic names, and each
technique's name and tactics.

Compiled Kibana rules carry a `threat` section built from it, so it is checked when the
rules load: a technique without tactics, or with one the file does not name, would
otherwise pass `logward test` and fail every export and deploy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..rules.limits import TECHNIQUE
from ..rules.written import as_written
from .paths import read_yaml

TACTIC = re.compile(r"TA[0-9]{4}\Z")
TECHNIQUE_FIELDS = ("name", "tactics")


@dataclass(frozen=True)
class Attack:
    """The part of MITRE ATT&CK the rules cite: technique names and their tactics."""

    tactics: dict[str, str]
    techniques: dict[str, dict[str, Any]]


def load_attack(root: Path, local: tuple[Path, ...] = ()) -> tuple[Attack, list[str]]:
    """The file's tactics and techniques, with those an _attack.yml in a folder of the
    user's own rules adds for them, and a problem for each entry that is wrong (the rules
    do not load then, so the compiler never sees a wrong one)."""
    files = [(root / "detections" / "_attack.yml", "detections/_attack.yml")]
    files += [(folder / "_attack.yml", f"{folder.resolve().name}/_attack.yml") for folder in local
              if (folder / "_attack.yml").is_file()]
    tactics: dict[str, str] = {}
    techniques: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    read = []
    for path, source in files:
        data = read_yaml(path) or {}
        if not isinstance(data, dict):
            problems.append(f"{source}: a mapping of tactics and techniques")
            continue
        problems += [f"{source}: field {str(key)!r}: not a field of the ATT&CK file (tactics, techniques)"
                     for key in data if key not in ("tactics", "techniques")]
        named, cited = data.get("tactics") or {}, data.get("techniques") or {}
        if not isinstance(named, dict) or not all(
                isinstance(k, str) and TACTIC.match(k) and isinstance(v, str) and v.strip() for k, v in named.items()):
            problems.append(f"{source}: field 'tactics': a mapping of tactic ids (TA0006) to their names")
            named = {}
        if not isinstance(cited, dict):
            problems.append(f"{source}: field 'techniques': a mapping of technique ids (T1110) to a name and tactics")
            cited = {}
        problems += [f"{source}: tactic {tactic}: named {tactics[tactic]!r} already" for tactic in named
                     if tactic in tactics and tactics[tactic] != named[tactic]]
        tactics = named | tactics
        read.append((source, cited))
    for source, cited in read:  # after every file's tactics: a technique may cite the bundled ones
        for technique, entry in cited.items():
            problems += [f"{source}: technique {technique}: {why}" for why in _technique(technique, entry, tactics)]
            if technique in techniques and techniques[technique] != entry:
                problems.append(f"{source}: technique {technique}: given another name or tactics already")
            techniques.setdefault(technique, entry)
    return Attack(tactics, techniques), problems


def _technique(technique: Any, entry: Any, tactics: dict[str, str]) -> list[str]:
    if not isinstance(technique, str) or not TECHNIQUE.match(technique):
        return ["ATT&CK technique ids look like T1110 or T1110.001"]
    if not isinstance(entry, dict):
        return [f"a mapping of {' and '.join(TECHNIQUE_FIELDS)}, got {as_written(entry)}"]
    problems = [f"field {str(key)!r}: not a field of a technique ({', '.join(TECHNIQUE_FIELDS)})"
                for key in entry if key not in TECHNIQUE_FIELDS]
    name, cited = entry.get("name"), entry.get("tactics")
    if not isinstance(name, str) or not name.strip():
        problems.append("field 'name': required, the technique's name in ATT&CK")
    if not isinstance(cited, list) or not cited:
        problems.append("field 'tactics': required, a non-empty list of tactic ids from 'tactics'")
    else:
        problems += [f"field 'tactics': {tactic!r} is not one of the file's tactics" for tactic in cited
                     if not isinstance(tactic, str) or tactic not in tactics]
    return problems
