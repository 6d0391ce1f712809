"""What a condition decided on the way (a routing test such as `['sshd', 'sshd-session']
.contains(ctx.process.name)`) decides later tests of the same field on the specialized path,
until the field is written again."""

from __future__ import annotations

import itertools

import pytest

from logward.engine.ingest import Ingest, painless

CREATED = "2025-01-01T00:00:00.000Z"


def _fold(condition: str, decided: dict[str, bool]) -> painless.Node:
    assumed = {(node, painless.reads(node)): outcome
               for node, outcome in ((painless.parse(c), o) for c, o in decided.items())}
    return painless.fold(painless.parse(condition), lambda path: None, assumed)


@pytest.mark.parametrize(("condition", "decided", "folded"), [
    ("ctx.kind == 'c'", {"['a', 'b'].contains(ctx.kind)": True}, False),
    ("ctx.kind != 'c'", {"['a', 'b'].contains(ctx.kind)": True}, True),
    ("'c' == ctx.kind", {"['a', 'b'].contains(ctx.kind)": True}, False),
    ("['a', 'b', 'c'].contains(ctx.kind)", {"['a', 'b'].contains(ctx.kind)": True}, True),
    ("['c', 'd'].contains(ctx.kind)", {"['a', 'b'].contains(ctx.kind)": True}, False),
    ("ctx.kind == 'a'", {"['a', 'b'].contains(ctx.kind)": False}, False),
    ("['a'].contains(ctx.kind)", {"['a', 'b'].contains(ctx.kind)": False}, False),
    ("ctx.kind == 'b'", {"['a', 'b'].contains(ctx.kind)": True, "['b', 'c'].contains(ctx.kind)": True}, None),
    ("ctx.kind == 'a'", {"['a', 'b'].contains(ctx.kind)": True, "['b', 'c'].contains(ctx.kind)": True}, False),
    # Not decided: the value may be either, or the test is of another field, or not text.
    ("ctx.kind == 'a'", {"['a', 'b'].contains(ctx.kind)": True}, None),
    ("ctx.other == 'c'", {"['a', 'b'].contains(ctx.kind)": True}, None),
    ("ctx.kind == 1", {"['a', 'b'].contains(ctx.kind)": True}, None),
    ("ctx.kind == 'c'", {"[1, 2].contains(ctx.kind)": True}, None),
])
def test_a_decided_membership_decides_later_tests(condition: str, decided: dict, folded: bool | None):
    node = _fold(condition, decided)
    assert node == (painless.Const(folded) if folded is not None else painless.parse(condition))


PIPELINES = {
    "route": {"processors": [
        {"grok": {"field": "message", "patterns": [r"\A%{W:kind} %{W:flag}\z"],
                  "pattern_definitions": {"W": "[a-z]+"}}},
        {"pipeline": {"name": "ab", "if": "['a', 'b'].contains(ctx.kind)"}},
        {"set": {"field": "is_c", "value": True, "if": "ctx.kind == 'c'"}},
        {"set": {"field": "in_cd", "value": True, "if": "['c', 'd'].contains(ctx.kind)"}},
        {"set": {"field": "not_a", "value": True, "if": "ctx.kind != 'a'"}},
    ]},
    "ab": {"processors": [
        {"set": {"field": "kind", "value": "c", "if": "ctx.flag == 'rename'"}},
        {"set": {"field": "routed", "value": True}},
    ]},
}
LINES = [" ".join(words) for words in itertools.product(["a", "b", "c", "d"], ["rename", "keep"])]


@pytest.mark.parametrize("line", LINES)
def test_specialized_path_equals_general(line: str):
    ingest = Ingest(PIPELINES, "route")
    general = ingest.run({"message": line, "event": {"created": CREATED}}, "T")
    assert ingest.run_line(line, CREATED, "T") == general


def test_a_written_field_is_tested_again():
    doc = Ingest(PIPELINES, "route").run_line("a rename", CREATED, "T")
    assert (doc["kind"], doc.get("is_c"), doc.get("in_cd"), doc.get("not_a")) == ("c", True, True, True)
