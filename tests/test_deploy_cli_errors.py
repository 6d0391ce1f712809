"""What `export` and `plan` say when the folder or the server is not what they need: one line,
the path or URL, and the reason, never a traceback or a whole web page."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy_helpers import clean_env, run

PAGE = "<!DOCTYPE HTML>\n<html><head><title>It works</title></head><body>" + "lorem ipsum " * 400 + "</body></html>"


@pytest.fixture(autouse=True)
def _no_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch)


# ---- export ----


def _unwritable(tmp_path: Path, kind: str) -> Path:
    if kind == "a file":
        (tmp_path / "file").write_text("not a folder")
        return tmp_path / "file"
    if kind == "under a file":
        (tmp_path / "file").write_text("not a folder")
        return tmp_path / "file" / "export"
    return Path("/proc/logward-export")  # refused to root too, as a read-only folder is to others


@pytest.mark.parametrize("kind", ["a file", "under a file", "/proc"])
def test_export_to_a_folder_it_cannot_write_is_one_line(kind: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    target = _unwritable(tmp_path, kind)
    result = run(capsys, "export", str(target))
    assert result.rc == 1 and result.out == ""
    assert result.err.startswith(f"logward export: cannot export to {target}: ")
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
    reason = result.err.strip().rsplit(": ", 1)[1]
    assert reason in ("it is not a folder", "Not a directory", "No such file or directory", "Permission denied")


def test_export_needs_no_stack_and_its_help_says_only_what_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ES_URL", "not a url")  # a deploy setting: export has no use for it
    result = run(capsys, "export", str(tmp_path / "out"))
    assert result.rc == 0 and result.out.startswith("wrote ") and result.out.endswith(f" files to {tmp_path}/out\n")
    with pytest.raises(SystemExit):
        run(capsys, "export", "--help")
    text = capsys.readouterr().out
    for word in ("--es-url", "--kibana-url", "--insecure", "--config", "ES_API_KEY", "Credentials come"):
        assert word not in text
    assert "--index" in text and "--space" in text and "rules.ndjson" in text


# ---- servers that are not Elasticsearch or Kibana ----


class _Site(http.server.BaseHTTPRequestHandler):
    """Answers every request with `answers[path]` (status, content type, body), else the page."""

    answers: dict[str, tuple[int, str, str]] = {}

    def do_GET(self) -> None:
        status, kind, body = self.answers.get(self.path.split("?")[0], (200, "text/html", PAGE))
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[int, str, str]]]]:
    """A plain web server on a free port, and the answers it gives by path."""
    answers: dict[str, tuple[int, str, str]] = {}
    handler = type("Site", (_Site,), {"answers": answers})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", answers
    finally:
        server.shutdown()
        server.server_close()


def _one_line(result_err: str, command: str = "plan") -> str:
    lines = result_err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"logward {command}: "), result_err
    assert "lorem ipsum " * 30 not in lines[0] and len(lines[0]) < 400  # the page's start, not all of it
    return lines[0]


@pytest.mark.parametrize("answer", [
    (200, "text/html", PAGE),
    (404, "text/html", PAGE),
    (200, "application/json", json.dumps({"name": "a web app", "ok": True})),
    (200, "application/octet-stream", "\x00\x01"),
])
def test_plan_against_a_web_server_says_it_is_not_elasticsearch(
        answer: tuple[int, str, str], site, capsys: pytest.CaptureFixture[str]) -> None:
    url, answers = site
    answers["/"] = answer
    result = run(capsys, "plan", "--es-url", url)
    assert result.rc == 1
    line = _one_line(result.err)
    assert f"the server at {url} does not answer as Elasticsearch (reading the cluster's version)" in line
    if "html" in answer[1]:
        assert "<!DOCTYPE HTML>" in line and line.endswith("…")


@pytest.mark.parametrize("answer", [
    (200, "text/html", PAGE),
    (404, "text/html", PAGE),
    (200, "application/json", json.dumps({"status": "green"})),
    (200, "application/octet-stream", "\x00\x01"),
])
def test_plan_against_a_web_server_says_it_is_not_kibana(
        answer: tuple[int, str, str], site, capsys: pytest.CaptureFixture[str]) -> None:
    url, answers = site
    answers["/api/status"] = answer
    result = run(capsys, "plan", "--kibana-url", url)
    assert result.rc == 1
    line = _one_line(result.err)
    assert f"the server at {url} does not answer as Kibana (reading Kibana's version)" in line


def test_a_long_reason_is_cut_after_its_secrets_are_hidden(site, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    url, answers = site
    password = "s3cret-" + "p" * 40
    monkeypatch.setenv("ES_USERNAME", "deployer")
    monkeypatch.setenv("ES_PASSWORD", password)
    # A secret that straddles the cut must not leave its first half on the screen.
    echo = "x" * 180 + password + "y" * 2000
    answers["/"] = (500, "text/plain", echo)
    result = run(capsys, "plan", "--es-url", url)
    assert result.rc == 1
    line = _one_line(result.err)
    assert "s3cret" not in result.text and "***" in line


def test_server_text_reaches_the_terminal_escaped(site, capsys: pytest.CaptureFixture[str]) -> None:
    url, answers = site
    answers["/"] = (200, "text/html", "<html>\x1b]0;owned\x07\x1b[2J</html>")
    line = _one_line(run(capsys, "plan", "--es-url", url).err)
    assert "\x1b" not in line and "\x07" not in line and "\\x1b]0;owned\\x07" in line
