"""Log lines from files and streams, as a shipper would read them.

Lines end at "\\n" (a "\\r" before it is dropped); bytes that are not UTF-8 become U+FFFD,
so a line is never lost to its encoding. A final line without "\\n" still counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def iter_lines(stream: BinaryIO, chunk: int = 1 << 20) -> Iterator[str]:
    """Lines of a binary stream opened for reading, decoded a chunk at a time."""
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
            yield from split_lines(decode(block[:cut]))
    if pending:
        yield from split_lines(decode(pending))


def split_lines(text: str) -> list[str]:
    """The same splitting for text already in memory."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if "\r" in text:
        return [line[:-1] if line.endswith("\r") else line for line in lines]
    return lines
