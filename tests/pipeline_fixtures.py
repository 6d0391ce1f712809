"""Pipeline fixtures: pipelines/NAME/test-X.log in, test-X.log-expected.json out.

Every line of a fixture is one document `{"message": line}` sent to the entry pipeline,
plus the fields of test-X.log-config.yml if present (default: a fixed event.created, so
year-less timestamps resolve the same way every day). Expected documents omit the fields
the node fills at ingest time.

Regenerate the expected files from the real node (then review the diff):

    python -m tests.pipeline_fixtures --regenerate
"""

from __future__ import annotations

import copy
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logward.content.paths import content_root, read_yaml
from logward.content.pipelines import Pipelines, load_pipelines
from logward.engine.ingest import without
from logward.engine.lines import split_lines

REFERENCE_TIME = "2025-01-01T00:00:00.000Z"
DEFAULT_FIELDS: dict[str, Any] = {"event": {"created": REFERENCE_TIME}}


@dataclass(frozen=True)
class Fixture:
    path: Path

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def expected_path(self) -> Path:
        return self.path.with_name(self.path.name + "-expected.json")

    def lines(self) -> list[str]:
        return split_lines(self.path.read_text(encoding="utf-8"))

    def fields(self) -> dict[str, Any]:
        config = self.path.with_name(self.path.name + "-config.yml")
        if config.exists():
            return (read_yaml(config) or {}).get("fields", {})
        return DEFAULT_FIELDS

    def documents(self) -> list[dict[str, Any]]:
        fields = self.fields()
        return [{**copy.deepcopy(fields), "message": line} for line in self.lines()]

    def expected(self) -> list[dict[str, Any]]:
        return json.loads(self.expected_path.read_text(encoding="utf-8"))["expected"]


def fixtures(pipelines: Pipelines) -> list[Fixture]:
    return [Fixture(p) for folder in pipelines.folders.values() for p in sorted(folder.glob("test-*.log"))]


def simulate(node: Any, pipeline: str, docs: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Documents as the node's pipeline leaves them (ingest-time fields removed).

    A document the node rejects comes back as {"error": ...} so a test can show it.
    """
    out: list[dict[str, Any] | None] = []
    for start in range(0, len(docs), 500):
        body = {"docs": [{"_source": d} for d in docs[start : start + 500]]}
        result = node.request("POST", f"/_ingest/pipeline/{pipeline}/_simulate", body)
        for item in result["docs"]:
            if item is None or item.get("doc") is None:
                out.append(None if item is None else {"error": item.get("error")})
            else:
                out.append(without(item["doc"]["_source"]))
    return out


def regenerate() -> None:
    from tests.cluster import node as test_node

    pipelines = load_pipelines(content_root())
    with tempfile.TemporaryDirectory() as tmp:
        node = test_node.start(Path(tmp))
        try:
            for script_id, source in pipelines.scripts.items():
                node.request("PUT", f"/_scripts/{script_id}", {"script": {"lang": "painless", "source": source}})
            for name, body in pipelines.bodies.items():
                node.request("PUT", f"/_ingest/pipeline/{name}", body)
            for fixture in fixtures(pipelines):
                docs = simulate(node, pipelines.entry, fixture.documents())
                text = json.dumps({"expected": docs}, indent=2, sort_keys=True, ensure_ascii=False)
                fixture.expected_path.write_text(text + "\n", encoding="utf-8")
                print(f"wrote {fixture.expected_path}")
        finally:
            node.stop()


if __name__ == "__main__":
    if sys.argv[1:] != ["--regenerate"]:
        sys.exit(__doc__)
    regenerate()
