"""The field catalog (pipelines/fields.yml): every field Logward writes, with its type,
whether it holds a list of values (`array`), and whether Elasticsearch can search it
(`index`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..rules.written import as_written
from .paths import ContentError, read_yaml


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    ecs: bool
    index: bool = True  # false: not searchable, so no rule may test it
    array: bool = False  # true: a list of values (related.ip), so no correlation may key on it


FLAGS = {"ecs", "index", "array"}


def load_fields(root: Path) -> dict[str, Field]:
    path = root / "pipelines" / "fields.yml"
    data = read_yaml(path) or {}
    catalog = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or "type" not in spec or "ecs" not in spec:
            raise ContentError(f"{path}: field {name!r} needs a type and ecs: true|false")
        unknown = set(spec) - FLAGS - {"type"}
        if unknown:
            raise ContentError(f"{path}: field {name!r}: unknown keys {sorted(map(str, unknown))} (a field has a "
                               f"type and {', '.join(sorted(FLAGS))})")
        wrong = [flag for flag in sorted(FLAGS & set(spec)) if not isinstance(spec[flag], bool)]
        if wrong:
            raise ContentError(f"{path}: field {name!r}: {wrong[0]} is true or false, got {as_written(spec[wrong[0]])}")
        catalog[name] = Field(name, spec["type"], spec["ecs"], spec.get("index", True), spec.get("array", False))
    return catalog
