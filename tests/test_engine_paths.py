"""The specialized path the engine runs its own lines through gives exactly the documents
of the general compiled pipelines (which the differential test holds to the real node)."""

from __future__ import annotations

import copy

import pytest

from logward.engine.ingest import Ingest
from logward.engine.lines import split_lines
from tests.conftest import LOGHUB, ROOT
from tests.pipeline_fixtures import REFERENCE_TIME, fixtures
from tests.test_hostile_input import CRAFTED, HOSTILE

SOURCES = [LOGHUB / "OpenSSH_2k.log", LOGHUB / "Linux_2k.log", ROOT / "demo" / "attack-auth.log"]


def _lines(pipelines) -> list[str]:
    lines = [line for path in SOURCES for line in split_lines(path.read_text(encoding="utf-8"))]
    lines += [line for f in fixtures(pipelines) for line in f.lines()]
    return lines + [line for line, _ in CRAFTED] + HOSTILE


def _outcome(run, *args):
    try:
        return run(*args)
    except Exception as e:  # the general path's failure must be the specialized path's too
        return ("raised", type(e).__name__, str(e))


@pytest.mark.parametrize("reference", [REFERENCE_TIME, "2026-11-28T13:33:00.000Z"])
def test_specialized_path_equals_general_pipelines(pipelines, reference: str):
    # A fresh Ingest: its specialized paths are compiled lazily, as these lines need them.
    ingest = Ingest(pipelines.bodies, pipelines.entry)
    differ = []
    for line in _lines(pipelines):
        general = _outcome(ingest.run, {"message": line, "event": {"created": reference}}, "T")
        special = _outcome(ingest.run_line, line, reference, "T")
        if general != special:
            differ.append((line, general, special))
    assert not differ, f"{len(differ)} lines differ; first: {differ[0]!r}"[:3000]


@pytest.mark.parametrize("zone", ["Europe/Paris", "-05:30", "EST"])  # EST: Java refuses it, the lines fail
def test_specialized_path_with_a_shippers_timezone_equals_general_pipelines(pipelines, zone: str):
    ingest = Ingest(pipelines.bodies, pipelines.entry)
    differ = []
    for line in _lines(pipelines):
        general = _outcome(ingest.run, {"message": line, "event": {"created": REFERENCE_TIME, "timezone": zone}}, "T")
        special = _outcome(ingest.run_line, line, REFERENCE_TIME, "T", zone)
        if general != special:
            differ.append((line, general, special))
    assert not differ, f"{len(differ)} lines differ; first: {differ[0]!r}"[:3000]


def test_specialized_paths_are_reused(pipelines):
    ingest = Ingest(pipelines.bodies, pipelines.entry)
    lines = split_lines((LOGHUB / "OpenSSH_2k.log").read_text(encoding="utf-8"))
    for line in lines:
        ingest.run_line(line, REFERENCE_TIME)
    compiled = sum(1 for name in ingest.line_runner().__globals__ if name.startswith("path_"))
    for line in lines:
        ingest.run_line(copy.copy(line), REFERENCE_TIME)
    again = sum(1 for name in ingest.line_runner().__globals__ if name.startswith("path_"))
    assert again == compiled and compiled < 100, (compiled, again)
