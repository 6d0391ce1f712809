"""Check request bodies against Kibana's published Security Detections OpenAPI contract.

Why: no Kibana runs in the tests, so the contract Kibana publishes is the best witness of what
it accepts. The file is OpenAPI 3.0, which is close to but not JSON Schema; `_to_json_schema`
bridges the differences (`nullable`, annotation-only keys) so the `jsonschema` library can do
the checking. Rule bodies are an `anyOf` over rule types; plain jsonschema would only say
"not valid under any of the given schemas", so errors are narrowed to the branch the body's
`type` (or a bulk body's `action`) selects.

Beyond the plain schema, the `format`s Kibana's generated request validators enforce are
checked too: `nonempty` (not blank), `date-math` (`now-6m`, `now/d`, or an ISO date),
`uuid` and `date-time`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

from tests.shared import SHARED

SPEC_FILE = "security_solution_detections_api_2023_10_31.bundled.schema.yaml"
DEFAULT_SPEC_PATH = SHARED / "kibana" / SPEC_FILE

# Properties that pick the branch of an anyOf: a rule's `type`, a bulk action's `action`, plus every
# `discriminator.propertyName` the spec declares (collected when the spec is loaded).
DISCRIMINATORS = ("type", "action")
# OpenAPI keywords holding one subschema, a list of them, or a name -> subschema map.
_ONE_SCHEMA = ("items", "not", "additionalProperties")
_SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
_SCHEMA_MAP = ("properties", "patternProperties")
# OpenAPI-only annotations that JSON Schema does not know (x-* extensions are dropped too).
_ANNOTATIONS = {"discriminator", "example", "examples", "xml", "externalDocs", "deprecated", "readOnly", "writeOnly"}
_HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def load_spec(path: str | Path | None = None) -> dict[str, Any]:
    """Parse the OpenAPI document (cached per file; treat the result as read-only)."""
    return _load_spec(Path(path or DEFAULT_SPEC_PATH).resolve())


@cache
def _load_spec(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as f:
        return yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def validate(schema_name: str, instance: Any) -> list[str]:
    """Errors of `instance` against `#/components/schemas/<schema_name>`; an empty list means valid."""
    if schema_name not in _contract().components:
        raise KeyError(f"no schema {schema_name!r} in {DEFAULT_SPEC_PATH.name}")
    return _errors(_contract().validator(f"#/components/schemas/{schema_name}"), instance)


def validate_request(method: str, path: str, body: Any) -> list[str]:
    """Errors of a JSON request `body` for the operation `method path` (query string and `/s/<space>` ignored)."""
    found = find_operation(method, path)
    if found is None:
        return [f"{method.upper()} {path}: no such operation in the Kibana Detections API spec"]
    template, operation = found
    request_body = operation.get("requestBody")
    schema = (request_body or {}).get("content", {}).get("application/json", {}).get("schema")
    if schema is None:
        return [] if body is None else [f"{method.upper()} {template} takes no JSON request body"]
    if body is None:
        return ["request body is required"] if request_body.get("required") else []
    pointer = f"#/paths/{_escape(template)}/{method.lower()}/requestBody/content/application~1json/schema"
    return _errors(_contract().validator(pointer), body)


def known_properties(schema_name: str) -> set[str]:
    """Property names `schema_name` declares, through `$ref`, `allOf` and `anyOf`.

    Why: Kibana's validators strip properties its schemas do not declare, and the stand-in does the same.
    """
    return _properties(_contract().components[schema_name], set())


def _properties(schema: dict[str, Any], seen: set[str]) -> set[str]:
    names = set(schema.get("properties", {}))
    ref = schema.get("$ref", "")
    if ref and ref not in seen:
        names |= _properties(_contract().components[ref.rsplit("/", 1)[-1]], seen | {ref})
    for sub in (*schema.get("allOf", ()), *schema.get("anyOf", ()), *schema.get("oneOf", ())):
        names |= _properties(sub, seen)
    return names


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec's (path template, operation object) serving `method path`, or None."""
    path = strip_space(path.split("?", 1)[0]).rstrip("/") or "/"
    method = method.lower()
    for template, item in _contract().spec["paths"].items():
        if method in item and re.fullmatch(_template_regex(template), path):
            return template, item[method]
    return None


def _template_regex(template: str) -> str:
    """`/api/things/{id}` -> a regex where each `{param}` segment matches any one path segment."""
    return "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in template.split("/"))


def strip_space(path: str) -> str:
    """`/s/<space>/api/...` -> `/api/...`: Kibana serves every space under the same routes."""
    match = re.match(r"/s/[^/]+(/.*)?$", path)
    return (match.group(1) or "/") if match else path


class _Contract:
    """The spec converted to JSON Schema once, with one compiled validator per schema pointer."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.components = spec["components"]["schemas"]
        declared = set(_discriminator_names(self.components)) - set(DISCRIMINATORS)
        self.discriminators = (*DISCRIMINATORS, *sorted(declared))
        # One document holding every converted schema, so "#/components/schemas/..." refs resolve inside it.
        self.document = {
            "components": {"schemas": {name: _to_json_schema(v) for name, v in self.components.items()}},
            "paths": {
                template: {method: _request_schemas(op) for method, op in item.items() if method in _HTTP_METHODS}
                for template, item in spec["paths"].items()
            },
        }
        self._validators: dict[str, Draft202012Validator] = {}

    def validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            schema = {**self.document, "$ref": pointer}
            self._validators[pointer] = Draft202012Validator(schema, format_checker=FORMATS)
        return self._validators[pointer]


@cache
def _contract() -> _Contract:
    return _Contract(load_spec())


def _discriminator_names(node: Any) -> list[str]:
    """Every `discriminator.propertyName` declared anywhere under `node`."""
    if isinstance(node, list):
        return [name for item in node for name in _discriminator_names(item)]
    if not isinstance(node, dict):
        return []
    own = [node["discriminator"]["propertyName"]] if isinstance(node.get("discriminator"), dict) else []
    return own + [name for value in node.values() for name in _discriminator_names(value)]


def _request_schemas(operation: dict[str, Any]) -> dict[str, Any]:
    """An operation reduced to its converted request-body schemas, at the same JSON pointers as in the spec."""
    content = operation.get("requestBody", {}).get("content", {})
    schemas = {media: {"schema": _to_json_schema(c.get("schema", {}))} for media, c in content.items()}
    return {"requestBody": {"content": schemas}}


def _to_json_schema(node: Any) -> Any:
    """One OpenAPI 3.0 schema -> JSON Schema 2020-12 (drop annotations, turn `nullable` into a null type)."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS or key.startswith("x-") or key == "nullable":
            continue
        if key in _ONE_SCHEMA:
            out[key] = _to_json_schema(value)
        elif key in _SCHEMA_LIST:
            # Kibana validates with zod unions generated from this file: oneOf behaves like anyOf there.
            out["anyOf" if key == "oneOf" else key] = [_to_json_schema(v) for v in value]
        elif key in _SCHEMA_MAP:
            out[key] = {name: _to_json_schema(v) for name, v in value.items()}
        else:
            out[key] = value
    if node.get("nullable") is True:
        out = _allow_null(out)
    return out


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI `nullable: true`: widen `type`/`enum` when they alone decide, else wrap in anyOf."""
    if "type" in schema and not any(k in schema for k in ("$ref", *_SCHEMA_LIST)):
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        schema = {**schema, "type": [*types, "null"]}
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
        return schema
    return {"anyOf": [{"type": "null"}, schema]}


def _escape(template: str) -> str:
    return template.replace("~", "~0").replace("/", "~1")


# ---- formats Kibana's request validation enforces ----------------------------------------------

FORMATS = FormatChecker(formats=())
_DATE_MATH_UNIT = r"(?:ms|[yMwdhms])"
_DATE_MATH = re.compile(rf"now(?:[+-]\d+{_DATE_MATH_UNIT}|/{_DATE_MATH_UNIT})*")


@FORMATS.checks("nonempty")
def _nonempty(value: object) -> bool:
    return not isinstance(value, str) or value.strip() != ""


@FORMATS.checks("date-math")
def _date_math(value: object) -> bool:
    """Elastic date math: `now` with `+N<unit>`, `-N<unit>`, `/<unit>` steps, or an absolute ISO date."""
    if not isinstance(value, str) or _DATE_MATH.fullmatch(value):
        return True
    anchor, _, math = value.partition("||")
    return _is_iso_datetime(anchor) and (not math or bool(_DATE_MATH.fullmatch("now" + math)))


@FORMATS.checks("date-time")
def _date_time(value: object) -> bool:
    return not isinstance(value, str) or _is_iso_datetime(value)


@FORMATS.checks("uuid", raises=ValueError)
def _uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


def _is_iso_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


# ---- readable errors ----------------------------------------------------------------------------


def _errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    found = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.absolute_path])
    messages: list[str] = []
    for error in found:
        messages.extend(m for m in _explain(error) if m not in messages)
    return messages


def _explain(error: ValidationError) -> list[str]:
    """Messages for one error, descending into the anyOf branch the instance meant to match."""
    if error.validator != "anyOf" or not error.context:
        return [_format(error)]
    branches = _branches(error)
    chosen = _chosen_branches(error, branches, _contract().discriminators)
    if isinstance(chosen, str):
        return [chosen]
    if chosen:
        return [m for i in chosen for sub in branches[i] for m in _explain(sub)]
    # No discriminator: messages every branch agrees on are the real problem.
    common = set.intersection(*({m for sub in subs for m in _explain(sub)} for subs in branches.values()))
    if common:
        return sorted(common)
    if all(not sub.relative_path for sub in error.context):  # a scalar that fits no alternative: list them
        return [_format_at(error, "fits none of: " + "; ".join(sub.message for sub in error.context))]
    closest = best_match(error.context)
    return [f"{_format(error)} (closest: {_format(closest)})"]


def _branches(error: ValidationError) -> dict[int, list[ValidationError]]:
    """An anyOf error's sub-errors grouped by the index of the alternative that raised them."""
    grouped: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        grouped.setdefault(sub.relative_schema_path[0], []).append(sub)
    return grouped


def _chosen_branches(
    error: ValidationError, branches: dict[int, list[ValidationError]], discriminators: tuple[str, ...]
) -> list[int] | str | None:
    """Indexes of the alternatives the instance's discriminator selects, or one message if it selects none."""
    instance = error.instance
    if not isinstance(instance, dict):
        return None
    for prop in discriminators:
        if prop not in instance:
            missing = [e for subs in branches.values() for e in subs if _is_missing(e, prop)]
            if len(missing) == len(branches):
                return _format(missing[0])
            continue
        wrong = {i for i, subs in branches.items() if any(_mismatch(e, prop) for e in subs)}
        if not wrong:
            continue
        if len(wrong) < len(branches):
            return [i for i in branches if i not in wrong]
        allowed = sorted({str(v) for subs in branches.values() for e in subs for v in _allowed(e, prop)})
        return _format_at(error, f"{instance[prop]!r} is not one of {allowed}", prop)
    return None


def _is_missing(error: ValidationError, prop: str) -> bool:
    return error.validator == "required" and prop in error.validator_value and prop not in error.instance


def _mismatch(error: ValidationError, prop: str) -> bool:
    """Whether `error` says this alternative (or each of its own alternatives) takes other values of `prop`."""
    if error.validator in ("enum", "const"):
        return list(error.relative_path) == [prop]
    if error.validator == "anyOf" and not error.relative_path and error.context:
        return all(any(_mismatch(e, prop) for e in subs) for subs in _branches(error).values())
    return False


def _allowed(error: ValidationError, prop: str) -> list[Any]:
    """The values of `prop` that a mismatch error (possibly a nested anyOf) would have accepted."""
    if error.validator in ("enum", "const") and list(error.relative_path) == [prop]:
        return list(error.validator_value) if error.validator == "enum" else [error.validator_value]
    if error.validator == "anyOf" and not error.relative_path:
        return [v for sub in error.context for v in _allowed(sub, prop)]
    return []


def _format(error: ValidationError) -> str:
    return _format_at(error, error.message)


def _format_at(error: ValidationError, message: str, *more: str | int) -> str:
    """Prefix `message` with where it applies: the error's location plus `more` steps, e.g. `threat[0].tactic`."""
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in [*error.absolute_path, *more])
    return f"{where.lstrip('.')}: {message}" if where else message
