"""Ingest pipelines compiled to Python functions, one per pipeline.

Each pipeline's processors become straight-line Python in one function, with the
condition, `ignore_failure` and `on_failure` of every processor expressed as plain `if`
and `try`. Running a document is then one call with no per-processor dispatch, which is
what lets the embedded engine keep up with a real ingest node on one core.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import painless, runtime, templates
from .errors import PipelineDefinitionError
from .grok import Grok
from .processors import COMMON_OPTIONS, EMITTERS
from .scripts import TWINS

PipelineFn = Callable[[dict, dict], None]

# Top-level keys Elasticsearch keeps in ingest metadata rather than in _source.
_METADATA = {"_index", "_id", "_routing", "_version", "_version_type", "_type", "_if_seq_no", "_if_primary_term"}


@dataclass(frozen=True)
class Path:
    """A field path resolved at compile time: which root it lives in, and its keys."""

    root: str  # "doc" (the _source) or "meta" (_index, _id, _ingest.*)
    keys: tuple[str, ...]
    text: str

    @property
    def lookup(self) -> str:
        return f"_lookup({self.root}, {self.keys!r})"

    @property
    def get(self) -> str:
        """An inline expression for the value, None when absent (no call on the way)."""
        if any(key.isdigit() for key in self.keys):
            return f"_val({self.root}, {self.keys!r})"
        expr = f"{self.root}.get({self.keys[0]!r})"
        for depth, key in enumerate(self.keys[1:]):
            temp = f"_t{depth}"
            expr = f"({temp}.get({key!r}) if ({temp} := {expr}).__class__ is dict else None)"
        return expr

    @property
    def parent(self) -> Path:
        return Path(self.root, self.keys[:-1], self.text)

    @property
    def args(self) -> str:
        """Arguments for the runtime helpers that report the path in messages."""
        return f"{self.root}, {self.keys!r}, {self.text!r}"


class Emit:
    """What an emitter needs: a line writer, constants, and field paths as Python."""

    def __init__(self, compiler: _Compiler, pipeline: str):
        self._compiler = compiler
        self.pipeline_name = pipeline
        self.processor_type = ""
        self.tag: str | None = None

    # writing
    def w(self, line: str) -> None:
        self._compiler.lines.append("    " * self._compiler.depth + line)

    @contextmanager
    def indent(self) -> Iterator[None]:
        self._compiler.depth += 1
        try:
            yield
        finally:
            self._compiler.depth -= 1

    def const(self, value: Any) -> str:
        return self._compiler.const(value)

    # fields
    def target(self, path: str) -> Path:
        if not isinstance(path, str) or not path:
            raise PipelineDefinitionError(f"field name must be a non-empty string, got {path!r}")
        if templates.is_template(path):
            raise PipelineDefinitionError(f"templated field name {path!r} is not supported")
        if path.startswith("_ingest."):
            return Path("meta", ("_ingest", *path[len("_ingest.") :].split(".")), path)
        if path in _METADATA:
            return Path("meta", (path,), path)
        bare = path[len("_source.") :] if path.startswith("_source.") else path
        return Path("doc", tuple(bare.split(".")), path)

    def read(self, path: str) -> str:
        """An expression for a field's value, None when it is missing."""
        return self.target(path).get

    def store(self, p: Path, value_expr: str) -> None:
        """Statements setting a field (see store_lines)."""
        for line in store_lines(p, value_expr):
            self.w(line)

    def capture_setters(self, grok: Grok) -> str:
        """Module-level functions, one per grok pattern, storing that pattern's captures;
        returns the name of the tuple holding them, indexed like the patterns."""
        names = []
        for captures in grok.alternatives:
            name = self._compiler.const_name("capture")
            lines = [f"def {name}(doc, meta, values):", "    pass"]
            if captures:
                lines.append(f"    {', '.join(f'c{i}' for i in range(len(captures)))}, = values")
            for i, capture in enumerate(captures):
                p = self.target(capture.field)
                lines.append(f"    v = c{i}")
                lines.append("    if v is not None:")
                value = "v" if capture.type is None else f"_grok_convert(v, {capture.type!r})"
                lines += ["        " + line for line in store_lines(p, value)]
            self._compiler.helpers += [*lines, ""]
            names.append(name)
        table = self._compiler.const_name("captures")
        self._compiler.helpers.append(f"{table} = ({', '.join(names)},)")
        return table

    def value(self, value: Any) -> str:
        """An expression building a (possibly templated) value afresh for each document."""
        if isinstance(value, str):
            return templates.compile_template(value, self.read) if templates.is_template(value) else repr(value)
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v) for v in value) + "]"
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(v)}" for k, v in value.items()) + "}"
        return repr(value)

    def fail(self, message_expr: str) -> str:
        """A statement raising this processor's failure with the given message."""
        return f"raise _ProcessorError({message_expr}, {self.processor_type!r}, {self.tag!r})"

    def options(self, config: dict[str, Any], required: frozenset[str] | set[str] = frozenset(),
                optional: frozenset[str] | set[str] = frozenset()) -> None:
        missing = required - config.keys()
        if missing:
            raise PipelineDefinitionError(f"[{sorted(missing)[0]}] required property is missing")
        unknown = config.keys() - required - optional - COMMON_OPTIONS
        if unknown:
            raise PipelineDefinitionError(
                f"processor [{self.processor_type}] doesn't support one or more provided configuration parameters "
                f"{sorted(unknown)}"
            )

    def pipeline(self, name: str) -> str:
        return self._compiler.function_name(name)

    def script_twin(self, script_id: str) -> str:
        if script_id not in TWINS:
            raise PipelineDefinitionError(f"stored script [{script_id}] has no Python twin in engine/ingest/scripts.py")
        return self.const(TWINS[script_id])


def store_lines(p: Path, value_expr: str) -> list[str]:
    """Statements setting a field. The fast path creates missing parent objects with
    setdefault; anything unusual on the way (a parent that is null, a string or a list)
    takes the helper, which does what Elasticsearch does and fails with its message."""
    if len(p.keys) == 1:
        return [f"{p.root}[{p.keys[0]!r}] = {value_expr}"]
    if any(key.isdigit() for key in p.keys):
        return [f"_assign({p.args}, {value_expr})"]
    parent = p.root + "".join(f".setdefault({key!r}, {{}})" for key in p.keys[:-1])
    return [
        f"_sv = {value_expr}",
        "try:",
        f"    {parent}[{p.keys[-1]!r}] = _sv",
        "except (TypeError, AttributeError):",
        f"    _assign({p.args}, _sv)",
    ]


class _Compiler:
    def __init__(self, pipelines: dict[str, dict[str, Any]]):
        self.pipelines = pipelines
        self.lines: list[str] = []
        self.depth = 0
        self.constants: dict[str, Any] = {}
        self.names = {name: f"pipeline_{i}_{re.sub(r'[^0-9A-Za-z]', '_', name)}" for i, name in enumerate(pipelines)}
        self.counter = 0
        self.helpers: list[str] = []  # module-level functions some processors need

    def const(self, value: Any) -> str:
        name = self.const_name("K")
        self.constants[name] = value
        return name

    def const_name(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}_{self.counter}"

    def function_name(self, pipeline: str) -> str:
        if pipeline not in self.names:
            raise PipelineDefinitionError(f"pipeline processor names unknown pipeline [{pipeline}]")
        return self.names[pipeline]

    def compile(self) -> dict[str, PipelineFn]:
        for name, body in self.pipelines.items():
            self.pipeline(name, body)
        self._check_cycles()
        namespace: dict[str, Any] = {**runtime.NAMESPACE, **self.constants}
        source = "\n".join(self.helpers + self.lines) + "\n"
        exec(compile(source, "<logward pipelines>", "exec"), namespace)
        return {name: namespace[fn] for name, fn in self.names.items()}

    def pipeline(self, name: str, body: dict[str, Any]) -> None:
        unknown = body.keys() - {"description", "processors", "on_failure", "version", "_meta"}
        if unknown:
            raise PipelineDefinitionError(f"pipeline [{name}]: unknown keys {sorted(unknown)}")
        self.lines.append(f"def {self.names[name]}(doc, meta):")
        self.depth = 1
        self.lines.append("    pass  # an empty pipeline does nothing")
        try:
            self.handled(name, body.get("processors") or [], body.get("on_failure"))
        except PipelineDefinitionError as e:
            raise PipelineDefinitionError(f"pipeline [{name}]: {e}") from None
        self.lines.append("")

    def handled(self, pipeline: str, processors: list[dict[str, Any]], on_failure: list | None) -> None:
        """Processors in order; a failure runs `on_failure`, which ends this list."""
        if not on_failure:
            for i, processor in enumerate(processors):
                self.processor(pipeline, i, processor)
            return
        self.w("try:")
        with self.indented():
            self.w("pass")
            for i, processor in enumerate(processors):
                self.processor(pipeline, i, processor)
        self.on_failure(pipeline, on_failure)

    def on_failure(self, pipeline: str, handlers: list[dict[str, Any]]) -> None:
        var = f"_f{self.counter}"
        self.counter += 1
        self.w(f"except _ProcessorError as {var}:")
        with self.indented():
            self.w(f"_enter_failure(meta, {var})")
            for i, handler in enumerate(handlers):
                self.processor(pipeline, i, handler)
            self.w("_leave_failure(meta)")

    def processor(self, pipeline: str, index: int, processor: dict[str, Any]) -> None:
        if not isinstance(processor, dict) or len(processor) != 1:
            raise PipelineDefinitionError(f"processor #{index} must be a map with exactly one processor type")
        (kind, config), = processor.items()
        if kind not in EMITTERS:
            raise PipelineDefinitionError(f"processor #{index}: type [{kind}] is not supported by the embedded engine")
        config = config or {}
        emit = Emit(self, pipeline)
        emit.processor_type = kind
        emit.tag = config.get("tag")
        label = f"{kind}" + (f" [{emit.tag}]" if emit.tag else f" #{index}")
        start = len(self.lines)
        self.w(f"# {label}")
        self.w("try:")
        with self.indented():
            condition = config.get("if")
            try:
                if condition is not None:
                    self.w(f"if {painless.compile_condition(condition, emit.read)}:")
                    self.depth += 1
                self.w("pass")
                EMITTERS[kind](emit, config)
            except PipelineDefinitionError as e:
                raise PipelineDefinitionError(f"{label}: {e}") from None
            if condition is not None:
                self.depth -= 1
        self.w("except (_ProcessorError, _Dropped):")
        self.w("    raise")
        self.w("except Exception as _e:")
        self.w(f"    raise _ProcessorError(_message(_e), {kind!r}, {emit.tag!r}) from None")
        if config.get("ignore_failure", False) or config.get("on_failure"):
            body = self.lines[start + 1 :]
            del self.lines[start + 1 :]
            self.w("try:")
            self.lines.extend("    " + line for line in body)
            if config.get("ignore_failure", False):
                self.w("except _ProcessorError:")
                self.w("    pass")
            else:
                self.on_failure(pipeline, config["on_failure"])

    def w(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def _check_cycles(self) -> None:
        calls = {
            name: set(re.findall(r"'name': '([^']+)'", repr(body.get("processors", []))))
            for name, body in self.pipelines.items()
        }

        def visit(name: str, path: tuple[str, ...]) -> None:
            for callee in calls.get(name, ()):
                if callee in path:
                    raise PipelineDefinitionError(f"pipeline cycle: {' -> '.join((*path, callee))}")
                visit(callee, (*path, callee))

        for name in calls:
            visit(name, (name,))


def compile_pipelines(pipelines: dict[str, dict[str, Any]]) -> dict[str, PipelineFn]:
    """Python functions `fn(doc, meta)` for rendered pipeline bodies, keyed by pipeline name."""
    return _Compiler(pipelines).compile()
