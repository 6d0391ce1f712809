"""Shared fixtures: the content, the embedded engine, and the real ingest node."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from logward.content.paths import content_root
from logward.content.pipelines import Pipelines, load_pipelines
from logward.engine.ingest import Ingest
from tests.cluster import node as test_node
from tests.shared import ROOT, SHARED

LOGHUB = SHARED / "corpora" / "loghub"


def pytest_sessionstart(session: pytest.Session) -> None:
    if not SHARED.is_dir():
        pytest.exit(f"the shared reference data is not at {SHARED}: the tests read its corpora, ECS field "
                    "list and Kibana API spec; put it there or set LOGWARD_SHARED", returncode=2)
    # The compiled-regex cache of this run only (the CLI's child processes share it), so
    # that nothing depends on what a user's cache holds.
    os.environ["LOGWARD_CACHE"] = tempfile.mkdtemp(prefix="logward-cache-")


def pytest_sessionfinish(session: pytest.Session) -> None:
    shutil.rmtree(os.environ.get("LOGWARD_CACHE", ""), ignore_errors=True)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A copy of the pipelines and rules, for a test that breaks them."""
    for folder in ("pipelines", "detections"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def edit_rule(content: Path, name: str, old: str, new: str) -> Path:
    """Replace `old` (which must be there) by `new` in detections/sshd/NAME of a content copy."""
    path = content / "detections" / "sshd" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.fixture(scope="session")
def pipelines() -> Pipelines:
    return load_pipelines(content_root(ROOT))


@pytest.fixture(scope="session")
def ingest(pipelines: Pipelines) -> Ingest:
    return Ingest(pipelines.bodies, pipelines.entry)


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[test_node.Node]:
    """The real ingest node, started once per session. In CI a node that fails is a failure."""
    try:
        started = test_node.start(tmp_path_factory.mktemp("es"))
    except test_node.NodeUnavailable as e:
        if in_ci():
            pytest.fail(f"the test ingest node did not start: {e}", pytrace=False)
        pytest.skip(f"the test ingest node did not start: {e}")
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="session")
def node_with_pipelines(node: test_node.Node, pipelines: Pipelines) -> test_node.Node:
    install_pipelines(node, pipelines)
    return node


def install_pipelines(node: test_node.Node, pipelines: Pipelines) -> None:
    """The content's pipelines and scripts, as they are, for tests that simulate on the node."""
    for script_id, source in pipelines.scripts.items():
        node.request("PUT", f"/_scripts/{script_id}", {"script": {"lang": "painless", "source": source}})
    for name, body in pipelines.bodies.items():
        node.request("PUT", f"/_ingest/pipeline/{name}", body)
