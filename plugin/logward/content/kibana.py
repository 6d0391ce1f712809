"""Kibana saved objects from kibana/: one JSON file each, as Kibana exports them
({type, id, attributes, references}). Their ids start with "logward-": that is how
Logward knows its own objects in a space."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .paths import ContentError

ID_PREFIX = "logward-"


def load_saved_objects(root: Path) -> list[dict[str, Any]]:
    objects = []
    for path in sorted((root / "kibana").rglob("*.json")):
        try:
            obj = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ContentError(f"{path}: {e}") from None
        if not isinstance(obj, dict) or not {"type", "id", "attributes"} <= obj.keys():
            raise ContentError(f"{path}: a saved object has a type, an id and attributes")
        if not str(obj["id"]).startswith(ID_PREFIX):
            raise ContentError(f"{path}: saved object ids start with {ID_PREFIX!r}, got {obj['id']!r}")
        obj.setdefault("references", [])
        obj["source"] = str(path.relative_to(root))
        objects.append(obj)
    return objects
