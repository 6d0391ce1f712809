"""The embedded engine against the real node: same pipelines, same input, same documents."""

from __future__ import annotations

import copy
import json

import pytest

from logward.content.pipelines import Pipelines
from logward.engine.ingest import Ingest, without
from logward.engine.lines import split_lines
from tests.conftest import LOGHUB
from tests.pipeline_fixtures import DEFAULT_FIELDS, Fixture, fixtures, simulate

pytestmark = pytest.mark.node


def _engine(ingest: Ingest, docs: list[dict]) -> list[dict | None]:
    out = []
    for doc in docs:
        try:
            result = ingest.run(copy.deepcopy(doc))
        except Exception as e:  # the node would reject the document; show it
            out.append({"error": repr(e)})
            continue
        out.append(None if result is None else without(result))
    return out


def _compare(name: str, docs: list[dict], from_node: list, from_engine: list) -> None:
    mismatches = [
        f"line {i + 1}: {doc['message']!r}\n"
        f"  node:   {json.dumps(a, sort_keys=True)}\n  engine: {json.dumps(b, sort_keys=True)}"
        for i, (doc, a, b) in enumerate(zip(docs, from_node, from_engine))
        if a != b
    ]
    assert not mismatches, f"{name}: {len(mismatches)} of {len(docs)} differ\n" + "\n".join(mismatches[:5])


@pytest.mark.parametrize("corpus", ["OpenSSH_2k.log", "Linux_2k.log"])
def test_corpus_same_on_node_and_engine(corpus: str, node_with_pipelines, pipelines: Pipelines, ingest: Ingest):
    lines = split_lines((LOGHUB / corpus).read_text(encoding="utf-8"))
    docs = [{**copy.deepcopy(DEFAULT_FIELDS), "message": line} for line in lines]
    _compare(corpus, docs, simulate(node_with_pipelines, pipelines.entry, docs), _engine(ingest, docs))


def test_every_fixture_same_on_node_and_engine(node_with_pipelines, pipelines: Pipelines, ingest: Ingest):
    found: list[Fixture] = fixtures(pipelines)
    assert found, "no pipeline fixtures found"
    for fixture in found:
        docs = fixture.documents()
        from_node = simulate(node_with_pipelines, pipelines.entry, docs)
        _compare(fixture.name, docs, from_node, _engine(ingest, docs))
        assert from_node == fixture.expected(), f"{fixture.name}: node output differs from {fixture.expected_path.name}"
