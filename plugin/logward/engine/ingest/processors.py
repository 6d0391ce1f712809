"""One emitter per ingest processor type: each writes the Python body of that processor.

Emitters read their options from the processor's config and write straight-line code
through an `Emit` context (see compiler.py). They raise ProcessorError with the message
Elasticsearch gives for the same failure; any other exception a body raises becomes a
ProcessorError with that exception's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from . import dates, facts, runtime, zones
from .errors import PipelineDefinitionError
from .scripts import WRITES
from .templates import is_template

if TYPE_CHECKING:
    from .compiler import Emit

Emitter = Callable[["Emit", dict[str, Any]], None]

# Options every processor may carry; the compiler handles them, not the emitters.
COMMON_OPTIONS = {"if", "tag", "ignore_failure", "on_failure", "description"}


def _set(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "value"}, optional={"override", "ignore_empty_value"})
    p = e.target(c["field"])
    expr, fact = e.value(c["value"])
    guards = []
    if c.get("ignore_empty_value", False) and fact.kind != "value":
        e.w(f"v = {expr}")
        expr = "v"
        guards.append("v is not None and v != ''")
    elif c.get("ignore_empty_value", False) and fact.value in (None, ""):
        return  # an empty constant: nothing to set
    if not c.get("override", True):
        current = e.known(p)
        if current.present:
            return  # there is a value, and it stays
        if current.kind != "absent":
            guards.append(f"{p.lookup} in (_MISSING, None)")
    if guards:
        with e.maybe(" and ".join(guards)):
            e.store(p, expr, fact)
    else:
        e.store(p, expr, fact)


def _append(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "value"}, optional={"allow_duplicates"})
    p = e.target(c["field"])
    values = c["value"] if isinstance(c["value"], list) else [c["value"]]
    allow = c.get("allow_duplicates", True)
    current = e.known(p)
    if len(values) != 1:
        e.w(f"_append({p.args}, [{', '.join(e.value(v)[0] for v in values)}], {allow!r})")
        e.forget(p)
        return
    expr, _ = e.value(values[0])
    if current.kind == "absent":
        e.store(p, f"[{expr}]", facts.LIST)  # a new list
    elif current.kind == "list":
        target = e.read_path(p)
        if allow:
            e.w(f"{target}.append({expr})")
        else:
            e.w(f"_av = {expr}")
            e.w(f"if _av not in {target}:")
            e.w(f"    {target}.append(_av)")
    else:
        # One value onto an existing list, or a new list: the usual cases, inline.
        e.w(f"_av = {expr}")
        e.w(f"if (_al := {p.get}).__class__ is list:")
        e.w("    _al.append(_av)" if allow else "    _al.append(_av) if _av not in _al else None")
        e.w("else:")
        e.w(f"    _append({p.args}, [_av], {allow!r})")
        if p.root == "doc" and not any(key.isdigit() for key in p.keys):
            e.state.set(p.dotted, facts.LIST)  # parents are objects now, and the field a list
        else:
            e.forget(p)


def _remove(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field"}, optional={"ignore_missing"})
    fields = c["field"] if isinstance(c["field"], list) else [c["field"]]
    for field in fields:
        p = e.target(field)
        current = e.known(p)
        ignore = c.get("ignore_missing", False)
        if ignore and current.kind == "absent":
            continue
        if e.direct(p):
            e.w(f"del {p.subscript()}")
        elif ignore and len(p.keys) == 1:
            e.w(f"{p.root}.pop({p.keys[0]!r}, None)")
        elif ignore:
            e.w(f"if {p.lookup} is not _MISSING:")
            e.w(f"    _delete({p.args})")
        else:
            e.w(f"_delete({p.args})")
        if p.root == "doc":
            e.state.set(p.dotted, facts.ABSENT)
            e.unhold(p, current)


def _rename(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "target_field"}, optional={"ignore_missing"})
    p = e.target(c["field"])
    t = e.target(c["target_field"])
    e.w(f"if {p.lookup} is _MISSING:")
    if c.get("ignore_missing", False):
        e.w("    pass")
    else:
        missing = f"field [{c['field']}] doesn't exist"
        e.w(f"    {e.fail(repr(missing))}")
    e.w(f"elif {t.lookup} is not _MISSING:")
    exists = f"field [{c['target_field']}] already exists"
    e.w(f"    {e.fail(repr(exists))}")
    e.w("else:")
    e.w(f"    v = _delete({p.args})")
    e.w("    try:")
    e.w(f"        _assign({t.args}, v)")
    e.w("    except KeyError:")
    e.w(f"        _assign({p.args}, v)")
    e.w("        raise")
    e.forget(p)
    e.forget(t)


@contextmanager
def _loaded(e: Emit, c: dict[str, Any], null_ok: bool = False) -> Iterator[None]:
    """Load the processor's `field` into `v`; the body runs only when there is a value.

    A missing or null field is skipped with `ignore_missing`, and otherwise fails with
    Elasticsearch's message.
    """
    p = e.target(c["field"])
    e.w(f"v = {e.read_path(p)}")
    if e.known(p).present:
        yield
        return
    if c.get("ignore_missing", False):
        with e.maybe("v is not None"):
            yield
        return
    e.w("if v is None:")
    e.w(f"    if {p.lookup} is _MISSING:")
    e.w(f"        _require({p.args})")
    if not null_ok:
        null = f"field [{c['field']}] is null, cannot process it."
        e.w(f"    {e.fail(repr(null))}")
    yield


def _grok(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "patterns"}, optional={"pattern_definitions", "ignore_missing", "trace_match"})
    if c.get("trace_match"):
        raise PipelineDefinitionError("grok trace_match is not supported")
    compiled = e.grok(c)
    grok = e.const(compiled)
    p = e.target(c["field"])
    may_skip = c.get("ignore_missing", False) and not e.known(p).present
    if e.split_grok(compiled, may_skip):
        # The captures are stored by the continuation for the pattern that matched. On one
        # line the combined regex decides and the continuation reads the match itself.
        fast = compiled.combined is not None and all(
            compiled.plain_digits(k) for k in range(len(compiled.alternatives)))
        no_match = e.fail(repr("Provided Grok expressions do not match field value: [") + " + text + " + repr("]"))
        with _loaded(e, c):
            # Grok reads the field as a string: a number or an object fails, as it does there.
            as_text = f"_string(v, {c['field']!r})"
            e.w("text = v" if e.known(p).kind == "str" else f"text = v if v.__class__ is str else {as_text}")
            if fast:
                e.w("if '\\n' not in text:")
                e.w(f"    matched = {e.const(compiled.by_first)}.get(text[:1], {e.const(compiled.other)})(text)")
                e.w("    if matched is None:")
                e.w(f"        {no_match}")
                e.w("else:")
                with e.indent():
                    e.w(f"found = {grok}.match(text)")
                    e.w("if found is None:")
                    e.w(f"    {no_match}")
            else:
                e.w(f"found = {grok}.match(text)")
                e.w("if found is None:")
                e.w(f"    {no_match}")
        return
    setters = e.capture_setters(compiled)
    with _loaded(e, c):
        e.w(f"text = v if v.__class__ is str else _string(v, {c['field']!r})")
        e.w(f"found = {grok}.match(text)")
        e.w("if found is None:")
        e.w(f"    {e.fail(repr('Provided Grok expressions do not match field value: [') + ' + text + ' + repr(']'))}")
        e.w(f"{setters}[found[1]](doc, meta, found[0])")
    for captures in compiled.alternatives:
        for capture in captures:
            e.forget(capture.field)


def _date(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "formats"}, optional={"target_field", "timezone", "locale", "output_format"})
    if c.get("output_format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX") != "yyyy-MM-dd'T'HH:mm:ss.SSSXXX":
        raise PipelineDefinitionError("date output_format other than the default is not supported")
    if c.get("locale", "ENGLISH") not in ("ENGLISH", "en", "ROOT", ""):
        raise PipelineDefinitionError("date locale other than English is not supported")
    p = e.target(c["field"])
    t = e.target(c.get("target_field", "@timestamp"))
    formats = e.const(list(c["formats"]))
    tz = c.get("timezone", "UTC")
    fixed = None if is_template(tz) else _fixed_zone(tz)
    if fixed is None:  # a template, or a zone Java refuses: each document fails, as on the node
        zone_call = f"_zone({e.value(tz)[0] if is_template(tz) else e.const(tz)})"
    else:
        zone_call = e.const(fixed)
        if e.known(p).kind == "str":  # text, one zone: a parser of its own
            parser = e.const(runtime.date_parser(list(c["formats"]), fixed))
            e.store(t, f"{parser}({e.read_path(p)})", facts.STR)
            return
    e.w(f"v = {e.read_path(p)}")
    if not e.known(p).present:
        e.w("if v is None:")
        e.w(f"    v = _require({p.args})")
    e.store(t, f"_date(v if v.__class__ is str else _render(v), {formats}, {zone_call})", facts.STR)


def _fixed_zone(name: str) -> tzinfo | None:
    try:
        return zones.zone(name)
    except dates.DateError:
        return None


def _convert(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "type"}, optional={"target_field", "ignore_missing"})
    kind = c["type"]
    if kind not in ("integer", "long", "float", "double", "string", "boolean", "auto"):
        raise PipelineDefinitionError(f"[type] type [{kind}] not supported, cannot convert field.")
    t = e.target(c.get("target_field", c["field"]))
    with _loaded(e, c, null_ok=True):
        e.store(t, f"_convert(v, {kind!r})", facts.UNKNOWN)


def _string_op(operation: str) -> Emitter:
    def emit(e: Emit, c: dict[str, Any]) -> None:
        e.options(c, required={"field"}, optional={"target_field", "ignore_missing"})
        t = e.target(c.get("target_field", c["field"]))
        with _loaded(e, c):
            e.store(t, f"_string_op(v, {operation!r}, {c['field']!r})", facts.PRESENT)

    return emit


def _gsub(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "pattern", "replacement"}, optional={"target_field", "ignore_missing"})
    regex = e.const(_java_regex(c["pattern"]))
    replacement = e.const(_java_replacement(c["replacement"]))
    t = e.target(c.get("target_field", c["field"]))
    text = e.known(e.target(c["field"])).kind == "str"
    with _loaded(e, c):
        if text:  # known to be a string (a grok capture, say): the substitution alone, and
            # only where the pattern occurs (setting up a substitution costs more than a search)
            e.store(t, f"({regex}.sub({replacement}, v) if {regex}.search(v) is not None else v)", facts.STR)
        else:
            e.store(t, f"_gsub(v, {regex}, {replacement}, {c['field']!r})", facts.PRESENT)


def _split(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field", "separator"}, optional={"target_field", "ignore_missing"})
    regex = e.const(_java_regex(c["separator"]))
    t = e.target(c.get("target_field", c["field"]))
    with _loaded(e, c):
        e.store(t, f"_split(v, {regex}, {c['field']!r})", facts.LIST)


def _json(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"field"}, optional={"target_field", "add_to_root"})
    p = e.target(c["field"])
    e.w(f"v = _json_parse(_require({p.args}))")
    if c.get("add_to_root", False):
        if "target_field" in c:
            raise PipelineDefinitionError("json: add_to_root and target_field cannot both be set")
        e.w("if v.__class__ is not dict:")
        e.w(f"    {e.fail(repr('cannot add non-map fields to root of document'))}")
        e.w("doc.update(v)")
        e.state.forget_all()
    else:
        t = e.target(c.get("target_field", c["field"]))
        e.store(t, "v", facts.UNKNOWN)


def _pipeline(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"name"})
    e.pipeline(c["name"])


def _script(e: Emit, c: dict[str, Any]) -> None:
    if "source" in c:
        raise PipelineDefinitionError(
            "inline Painless cannot run in the embedded engine: store it under pipelines/_scripts "
            "and give it a twin in engine/ingest/scripts.py"
        )
    e.options(c, required={"id"}, optional={"lang", "params"})
    twin = e.script_twin(c["id"])
    if e.specialize_script(c["id"], c.get("params", {})):
        return
    params = e.const(c.get("params", {}))
    e.w(f"{twin}(doc, meta, {params})")
    written = WRITES.get(c["id"])
    if written is None:
        e.state.forget_all()  # a script may write anything
    for path, fact in (written or {}).items():
        e.state.set(path, fact) if fact.present else e.forget(path)


def _fail(e: Emit, c: dict[str, Any]) -> None:
    e.options(c, required={"message"})
    e.w(e.fail(e.value(c["message"])[0]))


def _drop(e: Emit, c: dict[str, Any]) -> None:
    e.options(c)
    e.w("raise _Dropped()")


EMITTERS: dict[str, Emitter] = {
    "set": _set,
    "append": _append,
    "remove": _remove,
    "rename": _rename,
    "grok": _grok,
    "date": _date,
    "convert": _convert,
    "lowercase": _string_op("lower"),
    "uppercase": _string_op("upper"),
    "trim": _string_op("trim"),
    "gsub": _gsub,
    "split": _split,
    "json": _json,
    "pipeline": _pipeline,
    "script": _script,
    "fail": _fail,
    "drop": _drop,
}


def _java_regex(pattern: str) -> Any:
    import re

    if "(?<" in pattern.replace("(?<=", "").replace("(?<!", ""):
        raise PipelineDefinitionError("named groups in gsub/split patterns are not supported")
    # Java's \z (the very end) is Python's \Z; Java's \Z (before a final line break) has no
    # twin, so it is refused rather than read as something else.
    if re.search(r"(?<!\\)(?:\\\\)*\\Z", pattern):
        raise PipelineDefinitionError(f"\\Z in gsub/split pattern {pattern!r} is not supported; write \\z")
    return re.compile(re.sub(r"(?<!\\)((?:\\\\)*)\\z", r"\1\\Z", pattern))


def _java_replacement(replacement: str) -> str:
    import re

    return re.sub(r"\$(\d)", r"\\\1", replacement.replace("\\$", "$"))
