"""Log lines from files and streams, as a shipper would read them.

Lines end at "\\n" (a "\\r" before it is dropped); bytes that are not UTF-8 become U+FFFD,
so a line is never lost to its encoding. A final line without "\\n" still counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def iter_lines(stream: Iterable[bytes]) -> Iterator[str]:
    """Lines of a binary stream opened for reading."""
    for raw in stream:
        if raw.endswith(b"\n"):
            raw = raw[:-2] if raw.endswith(b"\r\n") else raw[:-1]
        yield decode(raw)


def split_lines(text: str) -> list[str]:
    """The same splitting for text already in memory."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]
