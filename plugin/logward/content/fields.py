"""The field catalog (pipelines/fields.yml): every field Logward writes, with its type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import ContentError, read_yaml


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    ecs: bool
    index: bool = True


def load_fields(root: Path) -> dict[str, Field]:
    path = root / "pipelines" / "fields.yml"
    data = read_yaml(path) or {}
    catalog = {}
    for name, spec in data.items():
        if not isinstance(spec, dict) or "type" not in spec or "ecs" not in spec:
            raise ContentError(f"{path}: field {name!r} needs a type and ecs: true|false")
        catalog[name] = Field(name, spec["type"], bool(spec["ecs"]), bool(spec.get("index", True)))
    return catalog
