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
    A folder named by the user that holds no content is an error, never passed over: its
    rules would silently not be the ones tested or deployed.
    """
    for named, how in ((explicit, "--content"), (os.environ.get("LOGWARD_CONTENT"), "LOGWARD_CONTENT")):
        if named:
            if not _is_content(Path(named)):
                raise ContentError(f"{how} {named}: not a Logward content folder (no pipelines/ and detections/)")
            return Path(named)
    bundled = Path(__file__).resolve().parents[3]
    if _is_content(bundled):
        return bundled
    raise ContentError("cannot find Logward's content (pipelines/, detections/); set LOGWARD_CONTENT")


def _is_content(folder: Path) -> bool:
    return (folder / "pipelines").is_dir() and (folder / "detections").is_dir()


def read_yaml(path: Path) -> Any:
    """A YAML file's data; a ContentError naming the file if it cannot be read or parsed."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except OSError as e:
        raise ContentError(f"{path}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise ContentError(f"{path}, line {line}: not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
    try:
        return yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ContentError(f"{path}{where}: {problem}") from None
