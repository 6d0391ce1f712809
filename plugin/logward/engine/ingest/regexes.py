"""Grok's compiled regular expressions, kept between runs as .pyc files keep Python's.

Python compiles a regex with code written in Python, and grok's regexes are large:
compiling Logward's took most of a replay's start-up (about a second, against a few
milliseconds to read them back). What the regex compiler makes (the SRE program, its
group count and names) is kept in the user's cache, keyed by the pattern, its flags and
the interpreter's build, and handed straight to the regex engine next time, which checks
that a program is well formed before it accepts it. Like .pyc files, the cache is the
user's own and trusted as such. With no cache (LOGWARD_CACHE=off, no home or writable
directory, another interpreter, a damaged file) regexes are simply compiled.

LOGWARD_CACHE names the directory; the default is $XDG_CACHE_HOME/logward (~/.cache/logward).
"""

from __future__ import annotations

import _sre
import atexit
import hashlib
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

try:  # the regex compiler's two steps, as re.compile takes them
    from re import _compiler, _parser

    _STEPS = callable(getattr(_parser, "parse", None)) and callable(getattr(_compiler, "_code", None))
except ImportError:  # pragma: no cover (another Python)
    _STEPS = False

# Keeps programs of patterns no longer in use from piling up (Logward's own content makes
# about 30, the largest some 100,000 numbers long): a save keeps those this run used, and
# others only up to this many in all.
MAX_ENTRIES = 100
_BUILD = f"{sys.implementation.cache_tag}-{sys.version}-{_sre.MAGIC}-{_sre.CODESIZE}"


def cache_file() -> Path | None:
    """Where this interpreter's cache is, or None for none."""
    setting = os.environ.get("LOGWARD_CACHE", "")
    if setting.lower() == "off":
        return None
    if setting:
        base = Path(setting)
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "logward"
    else:
        try:
            base = Path.home() / ".cache" / "logward"
        except (RuntimeError, KeyError):  # no home directory to be found: no cache
            return None
    tag = hashlib.sha256(_BUILD.encode()).hexdigest()[:16]
    return base / f"regexes-{sys.implementation.cache_tag}-{tag}.json"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.path: Path | None = None
        self.entries: dict[str, list] | None = None  # read on first use
        self.used: set[str] = set()
        self.dirty = False

    def load(self) -> dict[str, list]:
        if self.entries is None:
            self.path = cache_file() if _STEPS else None
            self.entries = {}
            if self.path is not None:
                try:
                    found = orjson.loads(self.path.read_bytes())
                    if isinstance(found, dict) and found.get("build") == _BUILD and isinstance(found["regexes"], dict):
                        self.entries = found["regexes"]
                except (OSError, ValueError, KeyError, TypeError):
                    pass
        return self.entries

    def save(self) -> None:
        with self.lock:
            if not self.dirty or self.path is None or self.entries is None:
                return
            keep = {key: value for key, value in self.entries.items() if key in self.used}
            for key, value in self.entries.items():
                if len(keep) >= MAX_ENTRIES:
                    break
                keep.setdefault(key, value)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                temporary.write_bytes(orjson.dumps({"build": _BUILD, "regexes": keep}))
                os.replace(temporary, self.path)  # whole or not at all, for a run reading it now
            except OSError:
                pass
            self.dirty = False


_CACHE = _Cache()


@atexit.register
def save() -> None:
    """Write what this run compiled (done at exit; a long-lived caller may call it sooner)."""
    _CACHE.save()


def compile_regex(pattern: str, flags: int) -> re.Pattern[str]:
    """re.compile(pattern, flags), from the cache when it holds it. Raises re.error."""
    key = hashlib.sha256(f"{flags}:{pattern}".encode()).hexdigest()
    with _CACHE.lock:
        entries = _CACHE.load()
        entry = entries.get(key)
    if entry is not None:
        try:
            all_flags, code, groups, groupindex, indexgroup = entry
            compiled = _sre.compile(pattern, all_flags, code, groups, groupindex, tuple(indexgroup))
        except (ValueError, TypeError, RuntimeError, OverflowError):
            compiled = None  # not a program this engine accepts: compile afresh
        if compiled is not None:
            _CACHE.used.add(key)
            return compiled
    if not _STEPS or _CACHE.path is None:
        return re.compile(pattern, flags)
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[Any] = [None] * parsed.state.groups
    for name, number in groupindex.items():
        indexgroup[number] = name
    entry = [flags | parsed.state.flags, list(code), parsed.state.groups - 1, groupindex, indexgroup]
    compiled = _sre.compile(pattern, *entry[:4], tuple(indexgroup))
    with _CACHE.lock:
        entries[key] = entry
        _CACHE.used.add(key)
        _CACHE.dirty = True
    return compiled
