"""Log lines from files and streams, as a shipper would read them, and what is written
back out of them.

Lines end at "\\n" (a "\\r" before it is dropped); bytes that are not UTF-8 become U+FFFD,
so a line is never lost to its encoding. A final line without "\\n" still counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, BinaryIO

import orjson

# C0 and C1 controls, DEL, the characters that hide text or reorder it ("Trojan Source"),
# and spaces other than the space (and the soft hyphen), which pass for one or for nothing
# ("failed\u00a040\u00a0logins" reads as words Logward wrote): a log line may carry any of
# them, and a terminal would obey them or show them as plain text. Half a character (a lone
# surrogate, which JSON can escape) has no UTF-8 form at all. str.isprintable() is false
# for each of them (tests/test_cli.py holds that), so most text needs no more than that test.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\xa0\xad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2069\u3000"
                          "\ufeff\ud800-\udfff]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def iter_lines(stream: BinaryIO, chunk: int = 1 << 20) -> Iterator[str]:
    """Lines of a binary stream opened for reading, decoded a chunk at a time."""
    for block in iter_blocks(stream, chunk):
        yield from block


def iter_blocks(stream: BinaryIO, chunk: int = 1 << 20) -> Iterator[list[str]]:
    """The same lines, a read at a time: on a pipe, each block is what the writer has
    written so far."""
    # read1 where there is one: a decompressing stream then hands over what it has as it
    # goes, so a file that breaks off loses only its broken end.
    read = getattr(stream, "read1", stream.read)
    pending = b""
    while True:
        block = read(chunk)
        if not block:
            break
        block = pending + block
        cut = block.rfind(b"\n") + 1
        pending = block[cut:]
        if cut:
            yield split_lines(decode(block[:cut]))
    if pending:
        yield split_lines(decode(pending))


def split_lines(text: str) -> list[str]:
    """The same splitting for text already in memory."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        return [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")


def printable(text: str) -> str:
    """Text from a log made safe to print on a terminal: an attacker who can write a log line
    must not be able to clear the screen, retitle the window or hide words from the analyst.
    What would act is shown instead, as `\\x1b`, `\\t` or `\\u202e`."""
    # isprintable() is false for every character escaped here (and for a few more, such as
    # a no-break space): most text is answered by it alone, without the regex.
    return text if text.isprintable() else _UNPRINTABLE.sub(_shown, text)


def counted(n: int, noun: str) -> str:
    """"1 line", "2 lines": counts as the CLI and the summary print them."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def json_line(value: Any) -> bytes:
    """A document or alert as one line of JSON. JSON in a log may escape half a character
    ("\\ud800"), which the node keeps and writes escaped; so is it here, where orjson
    would refuse the whole line."""
    try:
        return orjson.dumps(value) + b"\n"
    except TypeError:
        return json.dumps(value, separators=(",", ":")).encode() + b"\n"
