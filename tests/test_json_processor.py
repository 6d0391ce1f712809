"""The json processor on the real node and in the engine: what parses, and what fails.

Failure messages are the parser's own (Jackson's on the node) and are not compared; the
journald pipeline sets a message of its own. Text after the JSON value is left out: the
7.10 test node ignores it, Elasticsearch 8 and later reject it, as the engine does.
"""

from __future__ import annotations

import pytest

from logward.engine.ingest import Ingest, without

pytestmark = pytest.mark.node

VALUES = [
    '{"a":1}', '{"a":[1,{"b":null}]}', "{}", '{"":1}', '{"a.b":1}', "[1,2]", '"text"', "123", " {\"a\":1} ",
    '{"a":-0}', '{"a":1.0}', '{"a":1E2}', '{"a":0.1}', '{"a":1.5e-400}', '{"a":123456789012345678}',
    '{"a":"\\u0000"}', '{"a":"\\ud800"}', '{"a":true}',
    # refused by Elasticsearch's parser
    '{"a":1,"a":2}', '{"a":{"b":1,"b":1}}', '[{"x":1,"x":2}]', '{"a":NaN}', '{"a":Infinity}', '{"a":-Infinity}',
    "{'a':1}", '{"a":1,}', '{"a":01}', '{"a" : tru}', "{", "nul", "nullx",
    # no value at all: null
    "", " ", "\t\n", "null",
]


def _outcome(doc: dict) -> object:
    return ("failed",) if "failed" in doc else doc.get("out")


def test_json_same_on_node_and_engine(node):
    body = {"processors": [{"json": {"field": "t", "target_field": "out"}}],
            "on_failure": [{"set": {"field": "failed", "value": True}}]}
    node.request("PUT", "/_ingest/pipeline/logward-test-json", body)
    result = node.request("POST", "/_ingest/pipeline/logward-test-json/_simulate",
                          {"docs": [{"_source": {"t": v}} for v in VALUES]})
    from_node = [_outcome(without(item["doc"]["_source"])) for item in result["docs"]]
    ingest = Ingest({"logward-test-json": body}, "logward-test-json")
    from_engine = [_outcome(without(ingest.run({"t": v}))) for v in VALUES]
    differ = [(v, a, b) for v, a, b in zip(VALUES, from_node, from_engine) if a != b]
    assert not differ, f"{len(differ)} of {len(VALUES)} differ: {differ}"
    assert from_node.count(("failed",)) >= 10
