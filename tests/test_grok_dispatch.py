"""Grok's patterns grouped by first character pick the same pattern as trying them all."""

from __future__ import annotations

import itertools

import pytest

from logward.content.pipelines import load_pipelines
from logward.engine.ingest.grok import Grok
from tests.conftest import LOGHUB, ROOT

TRICKY = [
    r"^Failed %{WORD:a}",
    r"^(?i:failed)",          # a flag: may begin with either case
    r"^[^F]ailed",            # a negated class: may begin with anything
    r"^x?Failed",             # an optional first part
    r"^(?:)Failed",           # an empty group first
    r"^(?=F)Fa",              # a lookahead
    r"^(?:Fail|%{WORD:b} )",  # a branch
    r"^\d+ %{WORD:c}",
    r"^[A-Fa-f]{2} %{WORD:d}",
]
DEFINITIONS = {"WORD": r"\w+"}


def _winner(grok: Grok, text: str, combined: bool) -> str | None:
    m = grok.combined.match(text) if combined else grok.by_first.get(text[:1], grok.other)(text)
    return None if m is None else m.lastgroup


def _texts() -> list[str]:
    words = ["Failed x", "failed", "FAILED", "xFailed", "Fa", "Fail", "word y", "12 z", "Fe q", "aF w", "", " ",
             "ailed", "ZFailed"]
    return words + [f"{a}{b}" for a, b in itertools.product(["F", "f", "x", "1", "A"], ["ailed", "ail", "a"])]


@pytest.mark.parametrize("order", range(4))
def test_same_pattern_wins_on_tricky_patterns(order: int):
    patterns = TRICKY[order:] + TRICKY[:order]
    grok = Grok(patterns, DEFINITIONS)
    assert grok.combined is not None and grok.by_first
    for text in _texts():
        assert _winner(grok, text, False) == _winner(grok, text, True), (patterns, text)


def _message_groks() -> list[tuple[str, Grok]]:
    bodies = load_pipelines(ROOT).bodies
    groks = [(name, Grok(p["grok"]["patterns"], p["grok"].get("pattern_definitions", {})))
             for name, body in bodies.items() for p in body.get("processors", []) if "grok" in p]
    return [(name, grok) for name, grok in groks if grok.combined is not None]  # unanchored: searched one by one


def test_same_pattern_wins_on_every_corpus_message():
    """Every corpus line and its message (the header cut off) through every grok of the
    pipelines: the grouped patterns and the combined regex agree."""
    lines = [line for name in ("OpenSSH_2k.log", "Linux_2k.log")
             for line in (LOGHUB / name).read_text(encoding="utf-8", errors="replace").splitlines()]
    texts = lines + [line.split(": ", 1)[-1] for line in lines]
    groks = _message_groks()
    assert any(grok.by_first for _, grok in groks), "no grok was grouped: the test would prove nothing"
    for name, grok in groks:
        for text in texts:
            assert _winner(grok, text, False) == _winner(grok, text, True), (name, text)
