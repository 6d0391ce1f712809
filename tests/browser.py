"""Headless Chromium for tests that need a real browser: what an HTML report looks like
once rendered, not just what its source says.

Chromium comes from the Debian package (`apt-get install -y chromium`). Tests call
`chromium()` and decide themselves whether a missing browser skips or fails (it fails in CI).
Screenshots are checked with a small PNG reader on the standard library (no Pillow).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import tempfile
import zlib
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

INSTALL = "apt-get update && apt-get install -y chromium"
# Flags that work as root, offline, in a container: no sandbox, GPU, QUIC, sync or updates.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")
TIMEOUT = 60


class ChromiumMissing(RuntimeError):
    pass


def chromium() -> str:
    """The Chromium binary, or ChromiumMissing saying how to install it."""
    for name in ("chromium", "chromium-browser", "/usr/bin/chromium"):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing(f"headless Chromium is not installed (no chromium on PATH); install it with: {INSTALL}")


def run(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    """Chromium with the standard flags and a fresh profile, so no state leaks between runs."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        result = subprocess.run([chromium(), *FLAGS, f"--user-data-dir={profile}", *args],
                                capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited with {result.returncode}: {result.stderr[-2000:]}")
    return result


def dump_dom(page: Path, budget_ms: int = 2000) -> str:
    """The DOM after the page loaded and its scripts ran, serialized."""
    return run(f"--virtual-time-budget={budget_ms}", "--dump-dom", page.resolve().as_uri()).stdout


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1400, 2000), budget_ms: int = 2000) -> Path:
    run(f"--virtual-time-budget={budget_ms}", f"--screenshot={png}", f"--window-size={size[0]},{size[1]}",
        page.resolve().as_uri())
    return png


def count_inside(markup: str, element_id: str, tag: str, cls: str | None = None) -> int:
    """How many `tag` elements (with class `cls`, if given) the element with this id contains."""

    class Counting(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.depth = 0  # open elements inside the target, the target included
            self.found = 0

        def handle_starttag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
            attributes = dict(attrs)
            if self.depth == 0 and attributes.get("id") == element_id:
                self.depth = 1
                return
            if self.depth:
                classes = (attributes.get("class") or "").split()
                if name == tag and (cls is None or cls in classes):
                    self.found += 1
                self.depth += 1

        def handle_startendtag(self, name: str, attrs: list[tuple[str, str | None]]) -> None:
            self.handle_starttag(name, attrs)
            if self.depth:
                self.depth -= 1

        def handle_endtag(self, name: str) -> None:
            if self.depth:
                self.depth -= 1

    parser = Counting()
    parser.feed(markup)
    return parser.found


def png_colors(png: Path) -> Counter[tuple[int, int, int]]:
    """How many pixels of each RGB color an 8-bit RGB or RGBA, non-interlaced PNG has."""
    data = png.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{png} is not a PNG")
    pos, idat = 8, []
    width = height = channels = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or color not in (2, 6) or interlace:
                raise ValueError(f"{png}: only 8-bit RGB/RGBA without interlacing is read here")
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    previous = bytearray(stride)
    colors: Counter[tuple[int, int, int]] = Counter()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(kind, line, previous, channels)
        colors.update(zip(line[0::channels], line[1::channels], line[2::channels]))
        previous = line
    return colors


def _unfilter(kind: int, line: bytearray, up: bytearray, bpp: int) -> None:
    if kind == 0:
        return
    if kind == 2:
        line[:] = bytes((a + b) & 0xFF for a, b in zip(line, up))
        return
    for i in range(len(line)):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + ((left + up[i]) >> 1)) & 0xFF
        elif kind == 4:
            corner = up[i - bpp] if i >= bpp else 0
            p = left + up[i] - corner
            pa, pb, pc = abs(p - left), abs(p - up[i]), abs(p - corner)
            predicted = left if pa <= pb and pa <= pc else up[i] if pb <= pc else corner
            line[i] = (line[i] + predicted) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")
