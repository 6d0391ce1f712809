"""Grok's compiled regexes kept between runs (engine/ingest/regexes.py): what comes back
from the cache behaves exactly as a fresh compile, and a cache that cannot be trusted or
written only costs the time it would have saved."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from logward.engine.ingest import regexes, without
from tests.shared import ROOT

FLAGS = re.MULTILINE | re.ASCII
PATTERNS = [
    r"\A(?P<a0>(?:<(?P<g0_0>[0-9]{1,3})>)?(?P<g0_1>Jan|Feb|Mar) +(?P<g0_2>[0-9]{1,2}) (?P<g0_3>(?s:.){0,99})\Z)",
    r"(?P<a0>Failed (?P<g0_0>password|publickey) for (?:invalid user )?(?P<g0_1>.*?) from (?P<g0_2>\S+))|(?P<a1>x)",
    r"(?i)caf[eé]\b(?=\s)",
]
TEXTS = ["<13>Feb  3 hello", "Jan 12 x\ny", "Failed password for invalid user x from 6.6.6.6 port 22 from 1.2.3.4",
         "CAFE ", "café!", "Mar 1 "]


def fresh(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """A new run's view of the cache: nothing read yet."""
    monkeypatch.setenv("LOGWARD_CACHE", str(folder))
    monkeypatch.setattr(regexes, "_CACHE", regexes._Cache())


def same(a: re.Pattern[str], b: re.Pattern[str]) -> None:
    assert (a.pattern, a.flags, a.groups, a.groupindex) == (b.pattern, b.flags, b.groups, b.groupindex)
    for text in TEXTS:
        ma, mb = a.match(text), b.match(text)
        assert (ma and (ma.span(), ma.groups(), ma.lastgroup)) == (mb and (mb.span(), mb.groups(), mb.lastgroup))
        assert [m.span() for m in a.finditer(text)] == [m.span() for m in b.finditer(text)]


def test_what_comes_back_from_the_cache_behaves_as_a_fresh_compile(monkeypatch, tmp_path):
    fresh(monkeypatch, tmp_path)
    first = [regexes.compile_regex(p, FLAGS) for p in PATTERNS]
    regexes.save()
    assert regexes.cache_file().is_file()
    fresh(monkeypatch, tmp_path)
    monkeypatch.setattr(regexes, "_parser", None)  # a compile now would fail: all must come from the file
    again = [regexes.compile_regex(p, FLAGS) for p in PATTERNS]
    assert not regexes._CACHE.dirty
    for pattern, a, b in zip(PATTERNS, first, again, strict=True):
        same(b, re.compile(pattern, FLAGS))
        same(a, b)


def test_a_damaged_cache_is_compiled_afresh(monkeypatch, tmp_path):
    fresh(monkeypatch, tmp_path)
    regexes.compile_regex(PATTERNS[1], FLAGS)
    regexes.save()
    path = regexes.cache_file()
    good = path.read_bytes()
    build, keys = json.loads(good)["build"], list(json.loads(good)["regexes"])
    for damage in (b"{not json", b'{"build": "another python", "regexes": {}}', good[:100],
                   json.dumps({"build": build, "regexes": ["not", "a", "map"]}).encode(),
                   json.dumps({"build": build, "regexes": {key: [1, 2] for key in keys}}).encode()):
        path.write_bytes(damage)
        fresh(monkeypatch, tmp_path)
        same(regexes.compile_regex(PATTERNS[1], FLAGS), re.compile(PATTERNS[1], FLAGS))


def test_a_tampered_program_is_refused_by_the_regex_engine_and_compiled_afresh(monkeypatch, tmp_path):
    fresh(monkeypatch, tmp_path)
    regexes.compile_regex(PATTERNS[0], FLAGS)
    regexes.save()
    path = regexes.cache_file()
    data = json.loads(path.read_text())
    (entry,) = data["regexes"].values()
    entry[1] = [99999] * 3 + entry[1][3:]  # opcodes the engine does not have
    path.write_text(json.dumps(data))
    fresh(monkeypatch, tmp_path)
    same(regexes.compile_regex(PATTERNS[0], FLAGS), re.compile(PATTERNS[0], FLAGS))
    assert regexes._CACHE.dirty  # and the good program replaces it at the next save


def test_a_bad_pattern_still_raises_re_error(monkeypatch, tmp_path):
    fresh(monkeypatch, tmp_path)
    with pytest.raises(re.error):
        regexes.compile_regex("(?P<a>x", FLAGS)


def test_off_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.setenv("LOGWARD_CACHE", "off")
    monkeypatch.setattr(regexes, "_CACHE", regexes._Cache())
    same(regexes.compile_regex(PATTERNS[0], FLAGS), re.compile(PATTERNS[0], FLAGS))
    regexes.save()
    assert regexes.cache_file() is None and list(tmp_path.iterdir()) == []


def test_a_second_run_reads_the_cache_written_by_the_first(tmp_path):
    env = {**os.environ, "LOGWARD_CACHE": str(tmp_path / "cache")}
    line = b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\n"
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "logward", "logtest", "--json"], input=line, env=env,
                             capture_output=True, check=True, cwd=ROOT)
        (cached,) = (tmp_path / "cache").iterdir()
        runs.append((out.stdout, cached.stat().st_mtime_ns))
    first, second = (without(json.loads(out)["document"], ("event.ingested", "event.created")) for out, _ in runs)
    assert first["event"]["action"] == "ssh_invalid_user"
    assert first == second
    assert runs[0][1] == runs[1][1]  # the second run found every regex there: nothing to write


def test_programs_this_run_used_are_kept_and_others_only_up_to_the_limit(monkeypatch, tmp_path):
    fresh(monkeypatch, tmp_path)
    for pattern in PATTERNS:
        regexes.compile_regex(pattern, FLAGS)
    regexes.save()
    fresh(monkeypatch, tmp_path)
    monkeypatch.setattr(regexes, "MAX_ENTRIES", 2)
    regexes.compile_regex(PATTERNS[2], FLAGS)  # from the file
    regexes.compile_regex("new", FLAGS)  # compiled: the file is written again
    regexes.save()
    fresh(monkeypatch, tmp_path)
    monkeypatch.setattr(regexes, "_parser", None)
    regexes.compile_regex(PATTERNS[2], FLAGS)
    regexes.compile_regex("new", FLAGS)
    with pytest.raises(AttributeError):  # the others were dropped: this one has to be compiled
        regexes.compile_regex(PATTERNS[0], FLAGS)


def test_without_a_home_directory_regexes_are_compiled_without_a_cache(monkeypatch):
    monkeypatch.delenv("LOGWARD_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> None:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(regexes.Path, "home", staticmethod(no_home))
    monkeypatch.setattr(regexes, "_CACHE", regexes._Cache())
    assert regexes.cache_file() is None
    same(regexes.compile_regex(PATTERNS[1], FLAGS), re.compile(PATTERNS[1], FLAGS))


def test_the_cache_lives_under_xdg_cache_home_unless_logward_cache_says(monkeypatch, tmp_path):
    monkeypatch.delenv("LOGWARD_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert regexes.cache_file().parent == tmp_path / "xdg" / "logward"
    monkeypatch.setenv("LOGWARD_CACHE", str(tmp_path / "mine"))
    assert regexes.cache_file().parent == tmp_path / "mine"
