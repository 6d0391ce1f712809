"""Running `logward` deploy commands from tests, and a throwaway copy of the content to edit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from logward.cli import main
from tests.conftest import ROOT

# Variables a developer's shell may have that would point a test at a real stack.
DEPLOY_ENV = ("ES_URL", "KIBANA_URL", "ES_API_KEY", "ES_USERNAME", "ES_PASSWORD", "ES_CA_CERT", "KIBANA_SPACE",
              "KIBANA_API_KEY", "KIBANA_USERNAME", "KIBANA_PASSWORD")


@dataclass
class Result:
    rc: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Result:
    capsys.readouterr()
    rc = main(list(args))
    captured = capsys.readouterr()
    return Result(rc, captured.out, captured.err)


def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in DEPLOY_ENV:
        monkeypatch.delenv(name, raising=False)


def content_copy(tmp: Path) -> Path:
    """The repository's content in `tmp`, for a test that edits it."""
    for folder in ("pipelines", "detections", "kibana"):
        shutil.copytree(ROOT / folder, tmp / folder)
    return tmp
