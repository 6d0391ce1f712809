"""Where Logward's content lives."""

from __future__ import annotations

import os
from pathlib import Path


class ContentError(ValueError):
    """Content that cannot be loaded; the message names the file and what is wrong."""


def content_root(explicit: str | Path | None = None) -> Path:
    """The folder holding pipelines/ and detections/.

    An explicit path wins, then $LOGWARD_CONTENT, then the repository this package sits in.
    """
    candidates = [explicit, os.environ.get("LOGWARD_CONTENT"), Path(__file__).resolve().parents[3]]
    for candidate in candidates:
        if candidate and (Path(candidate) / "pipelines").is_dir():
            return Path(candidate)
    raise ContentError("cannot find Logward's content (pipelines/, detections/); set LOGWARD_CONTENT")
