"""Failures of the embedded ingest engine, shaped like Elasticsearch's."""

from __future__ import annotations


class ProcessorError(Exception):
    """A processor failed on one document.

    Carries what Elasticsearch exposes to `on_failure` handlers as
    `_ingest.on_failure_message`, `_ingest.on_failure_processor_type` and
    `_ingest.on_failure_processor_tag`, so handlers behave the same in both places.
    """

    def __init__(self, message: str, processor_type: str | None = None, tag: str | None = None):
        super().__init__(message)
        self.message = message
        self.processor_type = processor_type
        self.tag = tag


class PipelineDefinitionError(ValueError):
    """A pipeline uses something the embedded engine cannot run the way Elasticsearch does.

    Raised when pipelines are compiled, never per document, and names the pipeline and
    the processor so the author can find it (`pipeline`: its name, where known, so the
    content loader can name its file too).
    """

    def __init__(self, message: str, pipeline: str | None = None):
        super().__init__(message)
        self.pipeline = pipeline
