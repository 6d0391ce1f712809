"""Ingest pipelines compiled to Python.

Two ways, from the same processor emitters:

- `compile_pipelines`: one function per pipeline, for any document. Each processor is
  straight-line code; its condition, `ignore_failure` and `on_failure` become plain `if`
  and `try`. This is what `Ingest.run` uses, and what the differential test holds to the
  node.
- `Specializer`: the entry pipeline compiled for the documents the engine builds itself
  ({"message": line}, maybe with event.created), with the pipelines it calls inlined.
  The compiler knows which fields exist at each point, so it decides most conditions
  while compiling and reads and writes fields directly. At each grok it stops and hands
  over, per pattern that matched, to a continuation compiled on first use: there the
  captures are known to exist (and a capture that can only be a few literal words, like a
  message form, is known exactly), so the rest of the path is specialized again. Each
  message form ends up with a function of its own. Within it, captures and stored values
  are also kept in locals, and later reads and conditions use those (see facts.py).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from . import facts, painless, runtime, templates
from .errors import PipelineDefinitionError
from .facts import Fact, State
from .fields import read_expression
from .grok import Grok, grok_of
from .processors import COMMON_OPTIONS, EMITTERS
from .scripts import SPECIALIZERS, TWINS

PipelineFn = Callable[[dict, dict], None]

# Top-level keys Elasticsearch keeps in ingest metadata rather than in _source.
_METADATA = {"_index", "_id", "_routing", "_version", "_version_type", "_type", "_if_seq_no", "_if_primary_term"}
# Elasticsearch's ingest processors (8.x and 9.x), so a misspelt one is told as such.
ELASTICSEARCH_PROCESSORS = frozenset({
    "append", "attachment", "bytes", "circle", "community_id", "convert", "csv", "date", "date_index_name",
    "dissect", "dot_expander", "drop", "enrich", "fail", "fingerprint", "foreach", "geo_grid", "geoip", "grok",
    "gsub", "html_strip", "inference", "ip_location", "join", "json", "kv", "lowercase", "network_direction",
    "pipeline", "redact", "registered_domain", "remove", "rename", "reroute", "script", "set", "set_security_user",
    "sort", "split", "terminate", "trim", "uppercase", "uri_parts", "urldecode", "user_agent"})
# A capture that can be only this many literal texts or fewer splits its pattern further.
_SPLIT_LITERALS = 8
# The locals that hold field values: grok captures (c0, c1, ...) and the compiler's own.
_LOCAL = re.compile(rf"c\d+|{facts.FRESH}\d+")


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
        return read_expression(self.root, self.keys)

    @property
    def dotted(self) -> str:
        return ".".join(self.keys)

    @property
    def args(self) -> str:
        """Arguments for the runtime helpers that report the path in messages."""
        return f"{self.root}, {self.keys!r}, {self.text!r}"

    def subscript(self, depth: int | None = None) -> str:
        keys = self.keys if depth is None else self.keys[:depth]
        return self.root + "".join(f"[{k!r}]" for k in keys)


def store_lines(p: Path, value_expr: str) -> list[str]:
    """Statements setting a field when nothing is known about its parents. The fast path
    creates missing parent objects with setdefault; anything unusual on the way (a parent
    that is null, a string or a list) takes the helper, which does what Elasticsearch does
    and fails with its message."""
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


@dataclass
class Split:
    """A grok that hands over to per-pattern continuations instead of storing captures."""

    dispatch: str  # the constant holding the _Dispatch
    may_skip: bool  # the field may be missing and ignore_missing skips the processor


class Emit:
    """What an emitter needs: a line writer, constants, field access, and the facts."""

    def __init__(self, compiler: _Compiler, pipeline: str, processor_type: str, tag: str | None):
        self._compiler = compiler
        self.pipeline_name = pipeline
        self.processor_type = processor_type
        self.tag = tag
        self.split: Split | None = None

    @property
    def specialized(self) -> bool:
        return self._compiler.specialized

    @property
    def state(self) -> State:
        return self._compiler.state

    # writing
    def w(self, line: str) -> None:
        self._compiler.w(line)

    @contextmanager
    def indent(self) -> Iterator[None]:
        with self._compiler.indented():
            yield

    @contextmanager
    def maybe(self, condition: str) -> Iterator[None]:
        """Code under `if condition:`; afterwards only what holds either way is known."""
        before = self.state.copy()
        self.w(f"if {condition}:")
        with self.indent(), self._compiler.conditionally():
            yield
        self._compiler.state = self.state.join(before)

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

    def known(self, path: str | Path) -> Fact:
        p = self.target(path) if isinstance(path, str) else path
        return self.state.get(p.dotted) if p.root == "doc" else facts.UNKNOWN

    def _parents_are_objects(self, p: Path) -> bool:
        return all(self.state.get(".".join(p.keys[:d])).is_dict for d in range(1, len(p.keys)))

    def read_path(self, p: Path) -> str:
        """An expression for a field's value, None when it is missing."""
        if self.specialized and p.keys == ("_ingest", "timestamp"):
            return "meta['_ingest']['timestamp']"  # the engine always sets it
        fact = self.known(p)
        if fact.kind == "value":
            return repr(fact.value)
        if fact.kind == "absent":
            return "None"
        if fact.local is not None:
            return fact.local
        if self.direct(p):
            return p.subscript()
        return p.get

    def direct(self, p: Path) -> bool:
        """The field is there, and so are the objects on the way: a subscript reaches it."""
        return (self.known(p).present and not any(key.isdigit() for key in p.keys)
                and self._parents_are_objects(p))

    def read(self, path: str) -> str:
        return self.read_path(self.target(path))

    def is_text(self, path: str) -> bool:
        p = self.target(path)
        return (self.specialized and p.keys == ("_ingest", "timestamp")) or self.known(p).kind == "str"

    def store(self, p: Path, value_expr: str, fact: Fact = facts.PRESENT) -> None:
        """Statements setting a field, as direct as the facts allow; then the fact holds."""
        if p.root != "doc" or any(key.isdigit() for key in p.keys):
            for line in store_lines(p, value_expr):
                self.w(line)
            return
        if self.specialized and fact.local is None and fact.kind in ("str", "present", "value"):
            value_expr, fact = self._hold(p, value_expr, fact)
        depth = next((d for d in range(1, len(p.keys)) if not self.state.get(".".join(p.keys[:d])).is_dict), None)
        if depth is None:
            self.w(f"{p.subscript(len(p.keys) - 1)}[{p.keys[-1]!r}] = {value_expr}")
        elif self.state.get(".".join(p.keys[:depth])).kind == "absent":
            nested = value_expr
            for key in reversed(p.keys[depth:]):
                nested = f"{{{key!r}: {nested}}}"
            self.w(f"{p.subscript(depth - 1)}[{p.keys[depth - 1]!r}] = {nested}")
        else:
            for line in store_lines(p, value_expr):
                self.w(line)
        self.state.set(p.dotted, fact)

    def _hold(self, p: Path, value_expr: str, fact: Fact) -> tuple[str, Fact]:
        """Keep a stored value in a local too, so that reading the field later is reading
        the local: the field's own local if no other field shares it, else a fresh one.
        A store that may not run gets a local of its own even for a value already in one
        (or a constant): after it, that local being None says the store did not run."""
        if not self._compiler.conditional:
            if _LOCAL.fullmatch(value_expr):
                return value_expr, facts.held(fact, value_expr)  # a capture's or a held value, as it is
            if fact.kind == "value":
                return value_expr, fact  # a constant: reads are the constant
        local = self.known(p).local
        if local is None or self.state.holders(local) != [p.dotted]:
            local = facts.fresh(self._compiler.next_number())
        self.w(f"{local} = {value_expr}")
        if facts.is_fresh(local):
            self.state.bound.add(local)
            self._compiler.assigned.add(local)
        return local, facts.held(fact, local)

    def unhold(self, p: Path, before: Fact) -> None:
        """After removing a field whose value was in a local of its own: the local is None
        now too, so that where the removal may not have run, the local still tells."""
        local = before.local
        if self.specialized and local is not None and not self.state.holders(local):
            self.w(f"{local} = None")
            self.state.fields[p.dotted] = facts.held(facts.ABSENT, local)

    def forget(self, path: str | Path) -> None:
        """After code that may have written the field (or not): nothing is known of it."""
        p = self.target(path) if isinstance(path, str) else path
        if p.root == "doc":
            self.state.forget(p.dotted)

    def value(self, value: Any) -> tuple[str, Fact]:
        """An expression building a (possibly templated) value afresh for each document,
        and what is known of it. Templates whose fields are all known are rendered now."""
        if isinstance(value, str):
            if not templates.is_template(value):
                return repr(value), facts.value(value)
            rendered = templates.render_now(value, self.known)
            if rendered is not None:
                return repr(rendered), facts.value(rendered)
            return templates.compile_template(value, self.read, self.is_text), facts.STR
        if isinstance(value, list):
            return "[" + ", ".join(self.value(v)[0] for v in value) + "]", facts.LIST
        if isinstance(value, dict):
            return "{" + ", ".join(f"{k!r}: {self.value(v)[0]}" for k, v in value.items()) + "}", facts.OPEN_DICT
        return repr(value), facts.value(value)

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

    # what only the compiler can do
    def pipeline(self, name: str) -> None:
        self._compiler.call_pipeline(self, name)

    def script_twin(self, script_id: str) -> str:
        if script_id not in TWINS:
            raise PipelineDefinitionError(f"stored script [{script_id}] has no Python twin in engine/ingest/scripts.py")
        return self.const(TWINS[script_id])

    def specialize_script(self, script_id: str, params: dict[str, Any]) -> bool:
        """Let the twin write specialized code, when it knows how and it is worth it."""
        hook = SPECIALIZERS.get(script_id)
        return bool(self.specialized and hook is not None and hook(self, params))

    def capture_setters(self, grok: Grok) -> str:
        """Module-level functions, one per grok pattern, storing that pattern's captures
        into any document; returns the name of the tuple holding them."""
        return self._compiler.capture_setters(grok)

    def grok(self, config: dict[str, Any]) -> Grok:
        """The compiled patterns of a grok processor; made once, however often emitted."""
        return self._compiler.grok(config)

    def split_grok(self, grok: Grok, may_skip: bool) -> bool:
        """In specialized code, hand over to per-pattern continuations; False if not here."""
        if not self._compiler.can_split:
            return False
        self.split = Split(self._compiler.dispatch(grok), may_skip)
        return True


class _Compiler:
    """Code buffer, constants, and the processor loop shared by both ways of compiling."""

    specialized = False

    def __init__(self, pipelines: dict[str, dict[str, Any]]):
        self.pipelines = pipelines
        self.lines: list[str] = []
        self.depth = 0
        self.counter = 0
        self.namespace: dict[str, Any] = dict(runtime.NAMESPACE)
        self.state = State()
        self.can_split = False
        self.conditional = 0  # how deep in code that runs on some paths only
        self.assigned: set[str] = set()  # the fresh locals of the function being written
        self._conditions: dict[str, painless.Node] = {}
        self._groks: dict[int, Grok] = {}
        self.deferred: list[str] | None = None  # code written but not yet compiled
        self.flushing = threading.Lock()
        _check_cycles(pipelines)

    # code
    def w(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)

    @contextmanager
    def conditionally(self, conditional: bool = True) -> Iterator[None]:
        """Code that runs on some paths only (if `conditional`)."""
        self.conditional += conditional
        try:
            yield
        finally:
            self.conditional -= conditional

    @contextmanager
    def indented(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def failed(self) -> State:
        """Where a failure is handled: nothing known, and any local may have been assigned."""
        return State(bound=set(self.assigned))

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def const_name(self, prefix: str) -> str:
        return f"{prefix}_{self.next_number()}"

    def const(self, value: Any) -> str:
        name = self.const_name("K")
        self.namespace[name] = value
        return name

    def define(self, lines: list[str]) -> None:
        """Compile module-level code into the shared namespace (or keep it for `flush`)."""
        source = "\n".join(lines) + "\n"
        if self.deferred is not None:
            self.deferred.append(source)
            return
        exec(compile(source, "<logward pipelines>", "exec"), self.namespace)

    def flush(self) -> None:
        """Compile the code kept by `define`, once, whichever thread asks first."""
        with self.flushing:
            if self.deferred is not None:
                sources, self.deferred = self.deferred, None
                exec(compile("".join(sources), "<logward pipelines>", "exec"), self.namespace)

    def grok(self, config: dict[str, Any]) -> Grok:
        found = self._groks.get(id(config))
        if found is None:
            found = self._groks[id(config)] = grok_of(config["patterns"], config.get("pattern_definitions", {}))
        return found

    def body(self, name: str) -> dict[str, Any]:
        if name not in self.pipelines:
            raise PipelineDefinitionError(f"pipeline processor names unknown pipeline [{name}]")
        return self.pipelines[name]

    # processors
    def processors(self, pipeline: str, processors: list[dict[str, Any]], start: int = 0) -> None:
        for index in range(start, len(processors)):
            if self.state.dead:
                return
            self.processor(pipeline, index, processors[index], processors)

    def condition(self, source: str) -> painless.Node:
        node = self._conditions.get(source)
        if node is None:
            node = self._conditions[source] = painless.parse(source)
        return painless.fold(node, self.state.knowledge, self.state.assumed) if self.specialized else node

    def assume(self, state: State, condition: painless.Node, outcome: bool) -> State:
        """The state once a condition decided at run time came out as `outcome`."""
        state = state.copy()
        for node, value in painless.outcomes(condition, outcome):
            if (isinstance(node, painless.Compare) and node.op in ("==", "!=")
                    and isinstance(node.left, painless.Field) and isinstance(node.right, painless.Const)):
                equal = (node.op == "==") == value
                if node.right.value is None:
                    state.refine(node.left.path, facts.ABSENT if equal else facts.PRESENT)
                elif equal:
                    state.refine(node.left.path, facts.value(node.right.value))
            state.assume(node, painless.reads(node), value)
        return state

    def processor(self, pipeline: str, index: int, processor: dict[str, Any], siblings: list) -> None:
        if not isinstance(processor, dict) or len(processor) != 1:
            raise PipelineDefinitionError(f"processor #{index} must be a map with exactly one processor type")
        ((kind, config),) = processor.items()
        if kind not in EMITTERS:
            why = "is not supported by the embedded engine" if kind in ELASTICSEARCH_PROCESSORS else \
                "is no Elasticsearch processor"
            raise PipelineDefinitionError(f"processor #{index}: type [{kind}] {why}")
        config = config or {}
        emit = Emit(self, pipeline, kind, config.get("tag"))
        label = f"{kind}" + (f" [{emit.tag}]" if emit.tag else f" #{index}")
        try:
            condition = self.condition(config["if"]) if "if" in config else painless.Const(True)
        except PipelineDefinitionError as e:
            raise PipelineDefinitionError(f"{label}: {e}") from None
        if condition == painless.Const(False):
            return
        if self.branch(pipeline, index, kind, config, condition, siblings):
            return
        self.enter(pipeline, siblings, index)
        before = self.state.copy()
        start = len(self.lines)
        self.w(f"# {label}")
        self.w("try:")
        with self.indented():
            try:
                conditional = condition != painless.Const(True)
                if conditional:
                    self.w(f"if {painless.to_python(condition, emit.read, emit.is_text)}:")
                    self.depth += 1
                    self.state = self.assume(self.state, condition, True)
                self.w("pass")
                with self.conditionally(conditional):
                    EMITTERS[kind](emit, config)
                if conditional:
                    self.depth -= 1
                    self.state = self.state.join(self.assume(before, condition, False))
            except PipelineDefinitionError as e:
                raise PipelineDefinitionError(f"{label}: {e}") from None
        self.w("except (_ProcessorError, _Dropped):")
        self.w("    raise")
        self.w("except Exception as _e:")
        self.w(f"    raise _ProcessorError(_message(_e), {kind!r}, {emit.tag!r}) from None")
        succeeded = self.state
        handled = None
        if config.get("ignore_failure", False) or config.get("on_failure"):
            body = self.lines[start + 1 :]
            del self.lines[start + 1 :]
            self.w("try:")
            self.lines.extend("    " + line for line in body)
            if config.get("ignore_failure", False):
                self.w("except _ProcessorError:")
                self.w("    pass")
                handled = before.join(succeeded)
            else:
                self.state = before.join(succeeded)
                self.on_failure(pipeline, config["on_failure"])
                handled = self.state
            self.state = succeeded.join(handled)
        self.leave()
        if emit.split is not None:
            self.lines.insert(start, "    " * self.depth + "found = matched = None")
            self.w("if matched is not None:")
            d = emit.split.dispatch
            self.w(f"    return {d}.by_group.get(matched.lastgroup, {d}.fast)(doc, meta, matched)")
            self.w("if found is not None:")
            self.w(f"    return {d}(doc, meta, found)")
            # Below, found is None: the grok was skipped or failed and was handled.
            rest = State(dead=True)
            if condition != painless.Const(True) or emit.split.may_skip or config.get("ignore_failure", False):
                rest = rest.join(before)
            if handled is not None:
                rest = rest.join(handled)
            self.state = rest
        self.start_unset(start)

    def start_unset(self, at: int) -> None:
        """Locals that a join made optional are None until assigned: say so at `at`, before
        the code that may assign them. Every such join is within a processor, so each
        processor does this for its own."""
        if self.state.pending:
            names = " = ".join(sorted(self.state.pending))
            self.lines.insert(at, "    " * self.depth + f"{names} = None")
            self.state.pending.clear()

    def on_failure(self, pipeline: str, handlers: list[dict[str, Any]]) -> None:
        var = self.const_name("_f")
        self.w(f"except _ProcessorError as {var}:")
        with self.indented():
            self.w(f"_enter_failure(meta, {var})")
            splitting, self.can_split = self.can_split, False
            self.processors(pipeline, handlers)
            self.can_split = splitting
            self.w("_leave_failure(meta)")

    # hooks the two ways fill in
    def branch(self, pipeline: str, index: int, kind: str, config: dict, condition: painless.Node,
               siblings: list) -> bool:
        """Emit the processor as a branch point of its own, if that is how it is done here."""
        return False

    def enter(self, pipeline: str, siblings: list, index: int) -> None:
        """A processor is about to be emitted."""

    def leave(self) -> None:
        """It has been."""

    def call_pipeline(self, emit: Emit, name: str) -> None:
        raise NotImplementedError

    def capture_setters(self, grok: Grok) -> str:
        names = []
        for captures in grok.alternatives:
            name = self.const_name("capture")
            lines = [f"def {name}(doc, meta, values):", "    pass"]
            if captures:
                lines.append(f"    {', '.join(f'c{i}' for i in range(len(captures)))}, = values")
            for i, capture in enumerate(captures):
                p = Emit(self, "", "grok", None).target(capture.field)
                lines += [f"    if c{i} is not None:", *("        " + line for line in store_lines(p, f"c{i}"))]
            self.define(lines)
            names.append(name)
        setters = self.const_name("K")
        self.define([f"{setters} = ({', '.join(names)},)"])  # by name: the functions may be compiled later
        return setters

    def dispatch(self, grok: Grok) -> str:
        raise NotImplementedError


class _Generic(_Compiler):
    """One function per pipeline, for any document."""

    def call_pipeline(self, emit: Emit, name: str) -> None:
        self.body(name)
        emit.w(f"{function_name(name)}(doc, meta)")
        self.state.forget_all()

    def compile(self) -> dict[str, PipelineFn]:
        """Writing the code checks every pipeline now; Python compiles it on first use (the
        engine's own lines take the specialized path, so a replay never needs it)."""
        self.deferred = []
        for name, body in self.pipelines.items():
            self.lines, self.depth, self.state = [], 0, State()
            self.pipeline_function(function_name(name), name, body)
            self.define(self.lines)
        return {name: _Lazy(self.namespace, function_name(name), partial(self.compiled, function_name(name)))
                for name in self.pipelines}

    def compiled(self, fn: str) -> PipelineFn:
        """The general function `fn`, once all of them are compiled."""
        self.flush()
        return self.namespace[fn]

    def pipeline_function(self, fn: str, name: str, body: dict[str, Any]) -> None:
        unknown = body.keys() - {"description", "processors", "on_failure", "version", "_meta"}
        if unknown:
            raise PipelineDefinitionError(f"pipeline [{name}]: unknown keys {sorted(unknown)}", name)
        self.lines.append(f"def {fn}(doc, meta):")
        self.depth = 1
        self.w("pass  # an empty pipeline does nothing")
        try:
            self.region(name, body)
        except PipelineDefinitionError as e:
            raise PipelineDefinitionError(f"pipeline [{name}]: {e}", name) from None

    def region(self, name: str, body: dict[str, Any]) -> None:
        """The pipeline's processors; a failure runs its `on_failure`, which ends the pipeline."""
        processors, handlers = body.get("processors") or [], body.get("on_failure")
        if not handlers:
            self.processors(name, processors)
            return
        self.w("try:")
        with self.indented():
            self.w("pass")
            self.processors(name, processors)
        after = self.state
        self.state = self.failed()  # a failure can come from anywhere in the pipeline
        self.on_failure(name, handlers)
        self.state = after.join(self.state)


class Specializer(_Generic):
    """The entry pipeline for the engine's own documents, specialized as it runs."""

    specialized = True

    def __init__(self, pipelines: dict[str, dict[str, Any]], entry: str, initial: State):
        super().__init__(pipelines)
        self.entry_name = entry
        self.initial = initial
        self.frames: list[tuple[str, list, int]] = []  # where to continue after each open list

    def enter(self, pipeline: str, siblings: list, index: int) -> None:
        self.frames.append((pipeline, siblings, index + 1))

    def leave(self) -> None:
        self.frames.pop()

    def call_pipeline(self, emit: Emit, name: str) -> None:
        body = self.body(name)
        if body.get("on_failure"):  # its own failure handling: inline it, but do not split inside
            splitting, self.can_split = self.can_split, False
            self.region(name, body)
            self.can_split = splitting
        else:
            self.processors(name, body.get("processors") or [])

    def compile_entry(self) -> PipelineFn:
        self.lines, self.depth, self.state, self.assigned = [], 0, self.initial.unheld(), set()
        fn = self.const_name("entry")
        body = self.body(self.entry_name)
        self.lines.append(f"def {fn}(doc, meta):")
        self.depth = 1
        self.w("pass")
        handlers = body.get("on_failure")
        if handlers:
            self.w("try:")
            self.depth += 1
            self.w("pass")
        self.can_split = True
        self.processors(self.entry_name, body.get("processors") or [])
        self.can_split = False
        if handlers:
            self.depth -= 1
            self.state = self.failed()
            self.on_failure(self.entry_name, handlers)
        self.define(self.lines)
        return self.namespace[fn]

    def dispatch(self, grok: Grok) -> str:
        return self.const(_Dispatch(self, grok, list(self.frames), self.state.copy()))

    def branch(self, pipeline: str, index: int, kind: str, config: dict, condition: painless.Node,
               siblings: list) -> bool:
        """A pipeline called under a condition decided at run time (routing by program, by
        form of header) is a fork: the path that calls it continues on its own, knowing the
        condition held, and so does the path that does not."""
        if (kind != "pipeline" or condition == painless.Const(True) or not self.can_split
                or config.get("ignore_failure") or config.get("on_failure")):
            return False
        callee = config.get("name")
        body = self.body(callee)
        if body.get("on_failure"):
            return False
        frames = [*self.frames, (pipeline, siblings, index + 1)]
        emit = Emit(self, pipeline, kind, config.get("tag"))
        self.w(f"# pipeline {callee}")
        # `a || b || c` forks once per part, tested in the same order: each fork knows
        # which part held and that the ones before it did not.
        parts = _disjuncts(condition)
        if any(isinstance(painless.fold(part, self.state.knowledge, self.state.assumed), painless.Const)
               for part in parts):
            parts = [condition]
        before = self.state
        for part in parts:
            taken = self.assume(self.assume(self.state, part, True), condition, True)
            fork = self.const_name("K")
            self.namespace[fork] = _Lazy(self.namespace, fork, lambda taken=taken: self.compile_path(
                taken, frames, "", lambda: self.processors(callee, body.get("processors") or [])))
            self.w(f"if {painless.to_python(part, emit.read, emit.is_text)}:")
            self.w(f"    return {fork}(doc, meta)")
            self.state = self.assume(self.state, part, False)
        self.state = self.assume(before, condition, False)
        return True

    def continuation(self, d: _Dispatch, k: int, literal: str | None, fast: bool = False) -> Callable:
        """The rest of the path for pattern k of a grok (and one literal of its split capture).
        `fast`: it is given the regex match and takes the captures from it."""
        captures, shapes = d.grok.alternatives[k], d.shapes[k]

        def store_captures() -> None:
            emit = Emit(self, "", "grok", None)
            names = ", ".join(f"c{i}" for i in range(len(captures)))
            if captures and fast:
                groups = ", ".join(repr(c.group) for c in captures)
                self.w(f"{names}, = values.group({groups}){',' if len(captures) == 1 else ''}")
                for i, capture in enumerate(captures):
                    if capture.type is not None:  # digits only (Grok.plain_digits)
                        self.w(f"c{i} = int(c{i})" if shapes[i][0] else f"c{i} = None if c{i} is None else int(c{i})")
            elif captures:
                self.w(f"{names}, = values")
            for i, (capture, (always, _)) in enumerate(zip(captures, shapes)):
                p = emit.target(capture.field)
                fact = facts.STR if capture.type is None else facts.PRESENT
                if i == d.split_on[k] and literal is not None:
                    emit.store(p, repr(literal), facts.value(literal))
                elif always:
                    emit.store(p, f"c{i}", facts.held(fact, f"c{i}"))
                else:
                    fresh = p.root == "doc" and emit.known(p) == facts.ABSENT
                    with emit.maybe(f"c{i} is not None"):
                        emit.store(p, f"c{i}", facts.held(fact, f"c{i}"))
                    if fresh:  # absent exactly when the capture is
                        self.state.fields[p.dotted] = facts.optional(fact, f"c{i}")

        return self.compile_path(d.state, d.frames, ", values", store_captures)

    def compile_path(self, state: State, frames: list, params: str, first: Callable[[], None]) -> Callable:
        """A function running `first`, then the rest of every open processor list."""
        saved = (self.lines, self.depth, self.state, self.frames, self.can_split, self.assigned)
        self.lines, self.depth, self.state, self.can_split, self.assigned = [], 1, state.unheld(), True, set()
        self.frames = list(frames)
        name = self.const_name("path")
        self.lines.append(f"def {name}(doc, meta{params}):")
        self.w("pass")
        first()
        for depth in range(len(frames) - 1, -1, -1):
            pipeline, siblings, start = frames[depth]
            self.frames = list(frames[:depth])
            self.processors(pipeline, siblings, start)
        self.define(self.lines)
        fn = self.namespace[name]
        self.lines, self.depth, self.state, self.frames, self.can_split, self.assigned = saved
        return fn


def _disjuncts(node: painless.Node) -> list[painless.Node]:
    """The parts of `a || b || c`, in the order they are tested."""
    if isinstance(node, painless.Or):
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


class _Lazy:
    """A function compiled the first time it is called, which then takes this object's place
    under its name in the namespace, so later calls (from compiled code) go straight to it."""

    def __init__(self, namespace: dict[str, Any], name: str, make: Callable[[], Callable]):
        self.namespace, self.name, self.make = namespace, name, make
        self.fn: Callable | None = None

    def __call__(self, doc: dict, meta: dict) -> None:
        if self.fn is None:
            self.fn = self.namespace[self.name] = self.make()
        self.fn(doc, meta)


class _Shapes:
    """grok.shapes(k), asked for only when pattern k first matches."""

    def __init__(self, grok: Grok):
        self.grok = grok

    def __getitem__(self, k: int) -> list[tuple[bool, frozenset[str] | None]]:
        return self.grok.shapes(k)


class _SplitOn:
    """For pattern k, the capture whose few literal texts split the path further, if any."""

    def __init__(self, shapes: _Shapes):
        self.shapes = shapes
        self.known: dict[int, int | None] = {}

    def __getitem__(self, k: int) -> int | None:
        if k not in self.known:
            self.known[k] = next(
                (i for i, (always, texts) in enumerate(self.shapes[k])
                 if always and texts and len(texts) <= _SPLIT_LITERALS), None)
        return self.known[k]


class _Dispatch:
    """Calls the continuation for the pattern that matched, compiling it the first time."""

    def __init__(self, compiler: Specializer, grok: Grok, frames: list, state: State):
        self.compiler, self.grok, self.frames, self.state = compiler, grok, frames, state
        self.shapes = _Shapes(grok)
        self.split_on = _SplitOn(self.shapes)
        self.plain: list[Callable | None] = [None] * len(grok.alternatives)  # by pattern
        self.split_at: list[int | None] = [-1] * len(grok.alternatives)
        self.by_group: dict[str, Callable] = {}  # the fast path's, by the matching pattern's group name
        self.by_literal: dict[tuple[int, str], Callable] = {}  # by pattern and literal

    def fast(self, doc: dict, meta: dict, m: Any) -> None:
        """The combined regex matched a pattern for the first time: make its continuation
        (the compiled code looks in by_group first) and go on with it."""
        fn = self.by_group.get(m.lastgroup)
        if fn is None:
            k = int(m.lastgroup[1:])
            split = self.split_on[k]
            if split is None:
                fn = self.compiler.continuation(self, k, None, fast=True)
            else:
                fn = _by_literal(self, k, split)
            self.by_group[m.lastgroup] = fn
        fn(doc, meta, m)

    def __call__(self, doc: dict, meta: dict, found: tuple) -> None:
        values, k = found
        split = self.split_at[k]
        if split == -1:  # not yet worked out for this pattern
            split = self.split_at[k] = self.split_on[k]
        if split is None:
            fn = self.plain[k]
            if fn is None:
                fn = self.plain[k] = self.compiler.continuation(self, k, None)
        else:
            literal = values[split]
            fn = self.by_literal.get((k, literal))
            if fn is None:
                if literal not in self.shapes[k][split][1]:  # type: ignore[operator]
                    literal = None  # cannot happen if the analysis is right; never compile per value
                fn = self.by_literal.get((k, literal)) or self.compiler.continuation(self, k, literal)
                self.by_literal[(k, literal)] = fn
        fn(doc, meta, values)


def _by_literal(d: _Dispatch, k: int, split: int) -> Callable[[dict, dict, Any], None]:
    """On the fast path, the continuation for a pattern whose split capture has this text
    (a plain function: it runs for most lines, and calling an object costs more)."""
    group = d.grok.alternatives[k][split].group
    texts = d.shapes[k][split][1]
    table: dict[Any, Callable] = {}

    def by_literal(doc: dict, meta: dict, m: Any) -> None:
        literal = m.group(group)
        fn = table.get(literal)
        if fn is None:
            known = literal if literal in texts else None
            fn = table.get(known) or d.compiler.continuation(d, k, known, fast=True)
            table[literal] = table[known] = fn
        fn(doc, meta, m)

    return by_literal


def function_name(pipeline: str) -> str:
    return "pipeline_" + re.sub(r"[^0-9A-Za-z]", "_", pipeline)


def _check_cycles(pipelines: dict[str, dict[str, Any]]) -> None:
    calls = {
        name: set(re.findall(r"'name': '([^']+)'", repr(body.get("processors", []))))
        for name, body in pipelines.items()
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
    return _Generic(pipelines).compile()
