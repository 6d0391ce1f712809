"""How `logward replay` reads its files: all opened before any is read, oldest first, each
decompressed as logrotate left it, each line numbered as it is in the file, and a journal
export written with `journalctl -o json-pretty` read back into one entry per line."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import re
import resource
import select
import stat
import sys
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from ..engine.ingest import iso_time
from ..engine.lines import iter_blocks, printable

# How much text the files read together hold ahead of the merge, and each file's share.
READ_AHEAD, MIN_CHUNK, MAX_CHUNK = 256 << 20, 64 << 10, 1 << 20
# What logrotate compresses with: gzip (its default), bzip2 and xz are read as they are;
# the others would be read as lines of junk, and are refused by name. A bzip2 stream's
# "BZh" and block size are followed by a block's magic number or the end's.
_COMPRESSED: tuple[tuple[tuple[bytes, ...], Any], ...] = (
    ((b"\x1f\x8b",), lambda raw: gzip.GzipFile(fileobj=raw)),
    ((b"\xfd7zXZ\x00",), lzma.LZMAFile),
    (tuple(b"BZh%d%s" % (size, block) for size in range(1, 10) for block in (b"1AY&SY", b"\x17rE8P\x90")),
     bz2.BZ2File))
_FOREIGN = ((b"\x28\xb5\x2f\xfd", "zstd", "zstd -dc"), (b"\x04\x22\x4d\x18", "lz4", "lz4 -dc"),
            (b"PK\x03\x04", "zip", "unzip -p"))
_MAGIC = 10  # bytes read to tell them apart
# A field of a json-pretty entry, as journalctl writes one (an export cut inside an entry
# starts with such lines).
_PRETTY_FIELD = re.compile(r'\s+"[A-Za-z0-9_]+" : ')
# A journal entry over more lines than this is not one: a text file that happens to start
# with "{" is not held in memory whole.
MAX_ENTRY_LINES = 10_000


@dataclass
class LogFile:
    name: str  # as given ("<stdin>" for "-")
    stream: BinaryIO  # its text, decompressed
    shipped: str | None  # when it was shipped: event.created of its lines
    zone: str | None  # its clock's zone, for times without an offset
    live: int | None = None  # the descriptor of a pipe or terminal, which may be written to as it is read


def in_time_order(files: list[str]) -> list[str]:
    """Files oldest first by modification time, as rotation leaves them; stdin stays where
    it is given. Files that cannot be read keep their place (opening them will say why)."""
    def modified(name: str) -> float | None:
        try:
            return os.stat(name).st_mtime if name != "-" else None
        except OSError:
            return None

    times = {name: modified(name) for name in files}
    dated = iter(sorted((name for name in files if times[name] is not None), key=lambda n: times[n]))
    return [next(dated) if times[name] is not None else name for name in files]


def open_all(files: list[str], reference: str | None, zones: dict[str, str | None],
             opened: ExitStack) -> list[LogFile]:
    """Every file opened, before any is read: one that cannot be read, or is compressed in
    a form not read, stops the replay before it prints anything."""
    _descriptors(len(files))
    logs = []
    seen: dict[tuple[int, int], str] = {}  # regular files by device and inode: read twice, each
    for name in in_time_order(files):       # failure would count twice (auth.log auth.log*)
        if name == "-":
            logs.append(LogFile("<stdin>", _decompressed("<stdin>", sys.stdin.buffer), reference, zones[name],
                                _live(sys.stdin)))
            continue
        path = Path(name)
        try:
            handle = opened.enter_context(path.open("rb"))
        except OSError as e:
            raise SystemExit(f"logward replay: cannot read {printable(name)}: {e.strerror}") from None
        status = os.fstat(handle.fileno())
        if stat.S_ISREG(status.st_mode):
            first = seen.setdefault((status.st_dev, status.st_ino), name)
            if first != name or any(log.name == name for log in logs):
                print(f"logward replay: {printable(name)} is {printable(first)} again: read once", file=sys.stderr)
                continue
        shipped = reference or iso_time(status.st_mtime)
        logs.append(LogFile(name, _decompressed(name, handle), shipped, zones[name], _live(handle)))
    return logs


def _live(stream: Any) -> int | None:
    """The descriptor of a pipe, a FIFO or a terminal (`-`, `<(...)`), not of a file (nor
    of a stream in memory, which has none)."""
    try:
        fd = stream.fileno()
        return None if stat.S_ISREG(os.fstat(fd).st_mode) else fd
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


def _waiting(fd: int) -> bool:
    """Whether the writer has written nothing more yet (at its end, there is: the end)."""
    try:
        return not select.select([fd], [], [], 0)[0]
    except (OSError, ValueError):
        return True


def _descriptors(wanted: int) -> None:
    """The files are read together, so all are open at once: a replay of a few thousand
    rotated logs needs more descriptors than the usual soft limit of 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + 64  # and the interpreter's own
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        with suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were read already: they come first again."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self.head, self.rest = head, rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.head[:len(buffer)] if self.head else self.rest.read1(len(buffer))  # type: ignore[attr-defined]
        self.head = self.head[len(data):]
        buffer[:len(data)] = data
        return len(data)


def _decompressed(name: str, stream: BinaryIO) -> BinaryIO:
    """Rotated logs are often compressed (auth.log.2.gz): the text they hold."""
    buffered = stream if hasattr(stream, "peek") else io.BufferedReader(stream)  # type: ignore[arg-type]
    head = buffered.peek(_MAGIC)[:_MAGIC]
    if len(head) < _MAGIC:  # a pipe gives what it has: wait for the rest, or its end
        head = buffered.read(_MAGIC)
        buffered = io.BufferedReader(_Prefixed(head, buffered))  # type: ignore[arg-type]
    for magics, reader in _COMPRESSED:
        if head.startswith(magics):
            return reader(buffered)
    for magic, kind, unpack in _FOREIGN:
        if head.startswith(magic):
            raise SystemExit(f"logward replay: {printable(name)} is {kind}-compressed, which Logward does not read: "
                             f"give it as text ({unpack} FILE | logward replay -)")
    return buffered


def numbered_lines(log: LogFile, broken: list[str], chunk: int) -> Iterator[tuple[int, str | None]]:
    """The file's lines, each with its number in the file (a json-pretty entry's: its first
    line's); on a live stream, (number, None) where the writer has written no more yet. A
    file that breaks off (a truncated or corrupt archive) is reported and noted in
    `broken`, and the replay goes on with every line read before the break, and with the
    next file."""
    try:
        lines = _numbered(log, chunk)
        for number, line in lines:
            if line is not None and line.strip():
                if line.strip() in ("{", "}") or _PRETTY_FIELD.match(line):  # journalctl -o json-pretty
                    yield from _entries(chain([(number, line)], lines))
                    return
                yield number, line
                break
            yield number, line
        yield from lines
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as e:
        broken.append(log.name)
        sys.stderr.write(f"logward replay: {printable(log.name)}: stopped reading: {printable(str(e))}\n")


def _numbered(log: LogFile, chunk: int) -> Iterator[tuple[int, str | None]]:
    number = 0
    for block in iter_blocks(log.stream, chunk):
        if number == 0 and block and block[0].startswith("\ufeff"):  # a byte order mark is no text
            block[0] = block[0][1:]
        for line in block:
            number += 1
            yield number, line
        if log.live is not None and _waiting(log.live):
            yield number, None


def _entries(lines: Iterator[tuple[int, str | None]]) -> Iterator[tuple[int, str | None]]:
    """journalctl -o json-pretty writes each entry over many lines, from "{" to "}": each
    read back into the one line -o json writes. Lines that do not read as an entry (the end
    of one a cut export begins with) are passed on as they are, to be reported as lines no
    parser knows."""
    held: list[tuple[int, str]] = []
    for number, line in lines:
        if line is None:
            yield number, None
            continue
        opens = line.strip() == "{"
        if held and (opens or len(held) >= MAX_ENTRY_LINES):  # the entry held was cut short
            yield from held
            held = []
        if not held and not opens:
            yield number, line
            continue
        held.append((number, line))
        if line.rstrip() == "}":
            try:
                yield held[0][0], orjson.dumps(orjson.loads("\n".join(text for _, text in held))).decode()
            except orjson.JSONDecodeError:
                yield from held
            held = []
    yield from held
