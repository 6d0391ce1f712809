"""What a system holds now, as far as a plan needs to know."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Snapshot:
    current: dict[tuple[str, str], Any]  # (kind, id) -> the server's copy, for each desired object it has
    managed: set[tuple[str, str]] = field(default_factory=set)  # (kind, id) of everything carrying the marker
