"""The ingest half of the embedded engine: Elasticsearch pipelines run in-process."""

from __future__ import annotations

import time
from typing import Any

from . import facts
from .compiler import PipelineFn, Specializer, compile_pipelines
from .errors import PipelineDefinitionError, ProcessorError
from .runtime import Dropped

__all__ = ["INGEST_TIME_FIELDS", "Ingest", "PipelineDefinitionError", "ProcessorError", "ingest_timestamp", "iso_time",
           "without"]

# Fields whose value is the moment of ingest, so no two runs (node or engine) agree on
# them. Fixtures and the differential test compare documents without these.
INGEST_TIME_FIELDS: tuple[str, ...] = ("event.ingested",)


def without(doc: dict[str, Any], paths: tuple[str, ...] = INGEST_TIME_FIELDS) -> dict[str, Any]:
    """A copy of `doc` without the given dotted fields (and any parents they leave empty)."""
    out = dict(doc)
    for path in paths:
        *parents, leaf = path.split(".")
        chain = [out]
        for key in parents:
            child = chain[-1].get(key)
            if not isinstance(child, dict):
                break
            chain[-1][key] = child = dict(child)
            chain.append(child)
        else:
            chain[-1].pop(leaf, None)
            for parent, key in zip(reversed(chain[:-1]), reversed(parents)):
                if parent[key]:
                    break
                del parent[key]
    return out


_LAST: list = [-1, ""]  # the millisecond last printed, and how


def ingest_timestamp(ns: int | None = None) -> str:
    """`_ingest.timestamp` as Elasticsearch renders it (ISO 8601 in UTC), to the millisecond."""
    millis = (time.time_ns() if ns is None else ns) // 1_000_000
    if millis != _LAST[0]:  # many documents share a millisecond
        seconds, rest = divmod(millis, 1000)
        _LAST[0], _LAST[1] = millis, f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(seconds))}.{rest:03d}Z"
    return _LAST[1]


def iso_time(seconds: float) -> str:
    """An instant (seconds since the epoch) as Elasticsearch prints times: event.created,
    a correlation's first event."""
    return ingest_timestamp(round(seconds * 1000) * 1_000_000)


class Ingest:
    """Rendered pipeline bodies compiled once; `run` sends one document through `entry`."""

    def __init__(self, pipelines: dict[str, dict[str, Any]], entry: str):
        self.pipelines = pipelines
        self.functions: dict[str, PipelineFn] = compile_pipelines(pipelines)
        if entry not in self.functions:
            raise PipelineDefinitionError(f"entry pipeline [{entry}] is not defined")
        self.entry = self.functions[entry]
        self.entry_name = entry
        self._lines: dict[bool, PipelineFn] = {}  # by whether lines come with event.timezone

    def line_runner(self, zoned: bool = False) -> PipelineFn:
        """The entry pipeline specialized for the engine's own documents: {"message": str}
        with event.created set (and event.timezone if `zoned`), and nothing else. Same
        result as `run`, much faster."""
        runner = self._lines.get(zoned)
        if runner is None:
            known = {"message": facts.STR, "event": facts.CLOSED_DICT, "event.created": facts.STR}
            if zoned:
                known["event.timezone"] = facts.STR
            initial = facts.State(facts.CLOSED_DICT, known)
            runner = self._lines[zoned] = Specializer(self.pipelines, self.entry_name, initial).compile_entry()
        return runner

    def run_line(self, line: str, created: str, timestamp: str | None = None,
                 timezone: str | None = None) -> dict[str, Any] | None:
        """`run` for {"message": line, "event": {"created": created}} (with event.timezone,
        as a shipper sets it, if given), on the specialized path."""
        zoned = timezone is not None
        doc = {"message": line, "event": {"created": created, "timezone": timezone} if zoned else {"created": created}}
        meta = {"_index": "_index", "_id": "_id", "_ingest": {"timestamp": timestamp or ingest_timestamp()}}
        try:
            (self._lines.get(zoned) or self.line_runner(zoned))(doc, meta)
        except Dropped:
            return None
        return doc

    def run(self, source: dict[str, Any], timestamp: str | None = None) -> dict[str, Any] | None:
        """The document as the node would index it, or None if a drop processor dropped it.

        Raises ProcessorError when a failure reaches the top with no handler: the node
        would reject that document.
        """
        meta = {"_index": "_index", "_id": "_id", "_ingest": {"timestamp": timestamp or ingest_timestamp()}}
        try:
            self.entry(source, meta)
        except Dropped:
            return None
        return source
