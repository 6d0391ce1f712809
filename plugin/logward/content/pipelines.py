"""Ingest pipelines from pipelines/, rendered into the bodies Elasticsearch receives.

Each folder pipelines/NAME/ holds pipeline.yml (the pipeline `logward-NAME`) beside its
fixtures. Rendering does one thing: it copies the shared grok patterns of
pipelines/_patterns.yml that a grok processor uses into that processor's
pattern_definitions. The node, a cluster and the embedded engine all receive the rendered
bodies, so they run exactly the same definitions.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .paths import ContentError, read_yaml

ENTRY = "logward-auth"
PREFIX = "logward-"
# Processors a user adds in their own cluster, after Logward's. Deployed empty, once.
CUSTOM = "logward@custom"
CUSTOM_BODY: dict[str, Any] = {
    "description": "Your own processors, run after Logward's on every document. Logward creates this "
                   "pipeline empty and never changes or deletes it.",
    "processors": [],
}
_REFERENCE = re.compile(r"%\{([A-Za-z0-9_]+)")


@dataclass(frozen=True)
class Pipelines:
    bodies: dict[str, dict[str, Any]]  # pipeline name -> rendered body
    scripts: dict[str, str]  # stored script id -> Painless source
    folders: dict[str, Path]  # pipeline name -> its folder (fixtures live there)
    entry: str = ENTRY


def _used_patterns(texts: list[str], local: dict[str, str], shared: dict[str, str]) -> dict[str, str]:
    """Shared definitions the given patterns reach, directly or through other patterns."""
    needed: dict[str, str] = {}
    todo = [name for text in texts for name in _REFERENCE.findall(text)]
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name in local:
            todo.extend(_REFERENCE.findall(local[name]))
        elif name in shared:
            needed[name] = shared[name]
            todo.extend(_REFERENCE.findall(shared[name]))
    return needed


def _render_processors(processors: list[Any], shared: dict[str, str]) -> None:
    for processor in processors or []:
        if not isinstance(processor, dict):
            continue
        for kind, config in processor.items():
            if not isinstance(config, dict):
                continue
            if kind == "grok":
                local = config.get("pattern_definitions") or {}
                texts = list(config.get("patterns") or []) + list(local.values())
                used = _used_patterns(texts, local, shared)
                if used:
                    config["pattern_definitions"] = {**dict(sorted(used.items())), **local}
            _render_processors(config.get("on_failure") or [], shared)


def render(body: dict[str, Any], shared: dict[str, str]) -> dict[str, Any]:
    """The body to send to Elasticsearch: the source with shared patterns filled in."""
    rendered = copy.deepcopy(body)
    _render_processors(rendered.get("processors") or [], shared)
    _render_processors(rendered.get("on_failure") or [], shared)
    return rendered


def load_pipelines(root: Path) -> Pipelines:
    base = root / "pipelines"
    shared = read_yaml(base / "_patterns.yml") or {}
    bodies: dict[str, dict[str, Any]] = {}
    folders: dict[str, Path] = {}
    for path in sorted(base.glob("*/pipeline.yml")):
        body = read_yaml(path)
        if not isinstance(body, dict) or not isinstance(body.get("processors"), list):
            raise ContentError(f"{path}: a pipeline is a map with a `processors` list")
        name = PREFIX + path.parent.name
        bodies[name] = render(body, shared)
        folders[name] = path.parent
    bodies[CUSTOM] = copy.deepcopy(CUSTOM_BODY)
    if ENTRY not in bodies:
        raise ContentError(f"{base}: the entry pipeline {ENTRY} (pipelines/auth/pipeline.yml) is missing")
    scripts = {p.stem: p.read_text(encoding="utf-8") for p in sorted((base / "_scripts").glob("*.painless"))}
    return Pipelines(bodies=bodies, scripts=scripts, folders=folders)
