"""Where Logward's content lives, and how its files are read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML has it: content loads at every start of the CLI.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def read_yaml(path: Path) -> Any:
    """A YAML file's data; a ContentError naming the file if it cannot be read or parsed."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise ContentError(f"{path}: {e}") from None
