"""Where Logward's content lives, and how its files are read."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML has it: content loads at every start of the CLI.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """YAML's safe loader, refusing what would change content without a word: a key written
    twice in one mapping (YAML keeps the last, so a second `tests:` block or a field repeated
    in `where` would undo the first), and a test case's lines folded into one."""

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:  # `<<: *defaults` may be overridden, as YAML means it to
                    continue
                if key_node.value == "log" and getattr(value_node, "style", None) == ">":
                    # A test case's lines folded into one: a negative case would pass on a
                    # line no log holds. (Quoted text over several lines is folded too, but
                    # that is how YAML writers wrap one long line, with \n between lines.)
                    raise yaml.constructor.ConstructorError(
                        None, None, "'log: >' is read as one line: write the lines as a block, 'log: |'",
                        value_node.start_mark)
                key = self.construct_object(key_node)
                try:
                    earlier = first.setdefault(key, key_node)
                except TypeError:  # an unhashable key: the base loader says so
                    continue
                if earlier is not key_node:
                    mark = earlier.start_mark
                    written = key_node.value if isinstance(key_node, yaml.ScalarNode) else key
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {written!r} is written twice (first on line {mark.line + 1}, "
                                    f"column {mark.column + 1}); YAML would keep only the last", key_node.start_mark)
        return super().construct_mapping(node, deep=deep)


def _as_written(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


# Times and dates stay the text they are written as, quoted or not: YAML's own reading of
# them raises on an impossible date (2025-02-30) before anything could name the field, and
# what a field takes is for the field's own check to say.
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _as_written)


class ContentError(ValueError):
    """Content that cannot be loaded; the message names the file and what is wrong."""


class YamlError(ContentError):
    """A file that is not YAML's to read (or not UTF-8): where in it (`at`, "line 5,
    column 1: ") and what."""

    def __init__(self, path: Path, at: str, problem: str):
        super().__init__(f"{path}, {at}{problem}" if at else f"{path}: {problem}")
        self.at, self.problem = at, problem


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


def rule_folders(explicit: list[str] | None = None) -> tuple[Path, ...]:
    """Folders of the user's own rules, read beside the content's detections/ (OSSEC's
    local_rules.xml): --rules, else $LOGWARD_RULES (folders separated by the path
    separator). One that is not a folder is an error: its rules would silently not run."""
    named = explicit or [f for f in os.environ.get("LOGWARD_RULES", "").split(os.pathsep) if f]
    how = "--rules" if explicit else "LOGWARD_RULES"
    for folder in named:
        if not Path(folder).is_dir():
            raise ContentError(f"{how} {folder}: not a folder of rules")
    return tuple(Path(folder) for folder in named)


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
        raise YamlError(path, f"line {line}: ", f"not UTF-8 text (byte 0x{raw[e.start]:02x})") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e)
        context, start = getattr(e, "context", None), getattr(e, "context_mark", None)
        if context and start is not None:  # "while parsing a flow sequence" begun where?
            problem += f" ({context} begun on line {start.line + 1})"
        if mark is not None and text[mark.index:mark.index + 1] == "\t":
            problem += " (a tab: YAML indents with spaces)"
        raise YamlError(path, at, problem) from None
