"""The specialized path keeps field values in locals of the compiled code: stores that may
not run, removals after them, and failure handlers that undo a store must leave those
locals telling the truth, or a later condition reads a field that is not there."""

from __future__ import annotations

import itertools

import pytest

from logward.engine.ingest import Ingest

CREATED = "2025-01-01T00:00:00.000Z"
PIPELINES = {
    "t": {"processors": [
        {"grok": {"field": "message", "patterns": [r"\A%{W:a}(?: %{W:b})?(?: %{W:c})?\z"],
                  "pattern_definitions": {"W": "[a-z]+"}}},
        {"set": {"field": "x", "value": "{{{a}}}", "if": "ctx.b == 'set' || ctx.b == 'drop'"}},
        {"remove": {"field": "x", "if": "ctx.c == 'drop'"}},
        {"set": {"field": "has_x", "value": True, "if": "ctx.x != null"}},
        {"pipeline": {"name": "t-sub", "on_failure": [
            {"remove": {"field": "s", "ignore_missing": True}},
            {"set": {"field": "failed", "value": True}},
        ]}},
        {"pipeline": {"name": "t-own"}},
        {"set": {"field": "has_t", "value": True, "if": "ctx.t != null"}},
        {"set": {"field": "has_s", "value": True, "if": "ctx.s != null"}},
        {"set": {"field": "has_c", "value": "{{{c}}}", "if": "ctx.c != null"}},
        {"remove": {"field": "b", "if": "ctx.b == 'gone'"}},
        {"set": {"field": "has_b", "value": True, "if": "ctx.b != null"}},
    ]},
    # The same, with the pipeline's own handler.
    "t-own": {"processors": [
        {"set": {"field": "t", "value": "{{{a}}}", "if": "ctx.a != 'none'"}},
        {"fail": {"message": "stop", "if": "ctx.c == 'fail'"}},
    ], "on_failure": [{"remove": {"field": "t", "ignore_missing": True}}]},
    "t-sub": {"processors": [
        {"set": {"field": "s", "value": "{{{a}}}", "if": "ctx.a != 'none'"}},
        {"fail": {"message": "stop", "if": "ctx.c == 'fail'"}},
    ]},
}
LINES = [" ".join(w for w in words if w) for words in itertools.product(
    ["yes", "none"], ["", "set", "drop", "gone", "other"], ["", "drop", "fail", "other"])]


def _fields(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k not in ("message", "event", "_ingest")}


def _outcome(run, *args):
    try:
        return run(*args)
    except Exception as e:  # a failure on one path must be the same failure on the other
        return ("raised", type(e).__name__, str(e))


@pytest.mark.parametrize("line", LINES)
def test_specialized_path_equals_general(line: str):
    ingest = Ingest(PIPELINES, "t")
    general = _outcome(ingest.run, {"message": line, "event": {"created": CREATED}}, "T")
    assert _outcome(ingest.run_line, line, CREATED, "T") == general


@pytest.mark.parametrize(("line", "expected"), [
    ("yes set", {"a": "yes", "b": "set", "x": "yes", "has_x": True, "s": "yes", "has_s": True, "t": "yes",
                 "has_t": True, "has_b": True}),
    # Stored, then removed: the field is gone, and so is what depends on it.
    ("yes drop drop", {"a": "yes", "b": "drop", "c": "drop", "s": "yes", "has_s": True, "t": "yes",
                       "has_t": True, "has_c": "drop", "has_b": True}),
    # Stored inside a pipeline that then failed, and removed by the handler.
    ("yes gone fail", {"a": "yes", "c": "fail", "failed": True, "has_c": "fail"}),
    ("none", {"a": "none"}),
])
def test_specialized_path_documents(line: str, expected: dict):
    doc = Ingest(PIPELINES, "t").run_line(line, CREATED, "T")
    assert _fields(doc) == expected
