"""The embedded engine: Logward's pipelines and rules run in-process, with no cluster.

`Engine.process(line)` parses one raw log line exactly as the ingest node would (the same
rendered pipelines) and returns the document with the alerts it raised; correlation state
carries over from line to line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..content.detections import RuleSet, load_rules
from ..content.paths import content_root
from ..content.pipelines import Pipelines, load_pipelines
from .detect import Alert, Detector
from .detect.detector import event_time
from .ingest import Ingest, PipelineDefinitionError, ProcessorError

ENGINE_ERROR_TAG = "logward_engine_error"
# The tags of a line Logward could not read whole: it is kept, and replay, its report and
# `logward test` count or name it.
PROBLEM_TAGS = ("logward_unparsed", "logward_unknown_message", "logward_unknown_header", "logward_oversize",
                "logward_pipeline_error", "logward_engine_error")
# Of those, the lines whose @timestamp is not their own (their header did not parse): the
# time they were shipped, or read.
UNTIMED_TAGS = frozenset({"logward_unknown_header", "logward_pipeline_error", ENGINE_ERROR_TAG})


def own_time(doc: dict[str, Any]) -> float | None:
    """The document's time in seconds since the epoch, or None if it has none of its own
    (its @timestamp is when it was shipped or read)."""
    if UNTIMED_TAGS.intersection(doc.get("tags") or ()):
        return None
    event = doc.get("event")
    if doc.get("@timestamp") == (event.get("created") if event.__class__ is dict else None):
        return None
    return event_time(doc) or None


def compile_ingest(pipelines: Pipelines) -> Ingest:
    """The content's pipelines compiled; an error names the pipeline's file, which its
    author edits, as well as the pipeline and the processor."""
    try:
        return Ingest(pipelines.bodies, pipelines.entry)
    except PipelineDefinitionError as e:
        folder = pipelines.folders.get(e.pipeline or "")
        if folder is None:
            raise
        raise PipelineDefinitionError(f"{folder / 'pipeline.yml'}: {e}", e.pipeline) from None


class Engine:
    def __init__(self, pipelines: Pipelines, rules: RuleSet, first_seen: dict[int, set[tuple]] | None = None,
                 ingest: Ingest | None = None, keep_ignored: bool = False):
        self.pipelines = pipelines
        self.rules = rules
        # Compiled pipelines hold no state between documents, so engines may share them.
        self.ingest = ingest or compile_ingest(pipelines)
        # keep_ignored: what level-0 rules matched on the last line, in `ignored` (they raise no alert).
        self.detector = Detector(rules, first_seen, keep_ignored)

    @classmethod
    def load(cls, root: str | Path | None = None, keep_ignored: bool = False, local: tuple[Path, ...] = ()) -> Engine:
        """The content's pipelines and rules, with the rules in the `local` folders."""
        base = content_root(root)
        return cls(load_pipelines(base), load_rules(base, local), keep_ignored=keep_ignored)

    @property
    def ignored(self) -> list[Alert]:
        """The matches of level-0 rules on the last line processed, if the engine keeps them."""
        return self.detector.ignored

    def parse(self, line: str, created: str | None = None, timezone: str | None = None) -> dict[str, Any]:
        """The document the ingest node would index for this line, shipped at `created`
        by a shipper that says the line's clock is in `timezone` (event.timezone). Never
        raises: a failure that would make the node reject the line still gives a tagged
        document."""
        if not isinstance(line, str):  # bytes would parse as nothing, silently
            raise TypeError(f"a log line is a str, not {type(line).__name__}: decode it first "
                            "(logward.engine.lines.iter_lines decodes files as the CLI does)")
        try:
            if created is None:
                source: dict[str, Any] = {"message": line}
                if timezone is not None:
                    source["event"] = {"timezone": timezone}
                result = self.ingest.run(source)
            else:
                result = self.ingest.run_line(line, created, None, timezone)  # the specialized path
        except ProcessorError as e:
            return {"event": {"original": line, "kind": "pipeline_error"}, "message": line,
                    "error": {"message": e.message}, "tags": [ENGINE_ERROR_TAG]}
        return result if result is not None else {"event": {"original": line}, "tags": ["dropped"]}

    def process(self, line: str, created: str | None = None,
                timezone: str | None = None) -> tuple[dict[str, Any], list[Alert]]:
        doc = self.parse(line, created, timezone)
        return doc, self.detector.process(doc)
