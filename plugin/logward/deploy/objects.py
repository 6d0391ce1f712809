"""Everything a deployment should hold, built from the repository's content.

Each object is one thing in Elasticsearch or Kibana, with the body Logward wants it to
have. Bodies carry Logward's managed marker, and a content version so a reader of the
cluster can tell which release put them there. What the target cluster supports (data
streams, pipeline _meta, the text type of newer mappings) shapes a few bodies; see
`Capabilities`.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..compiler.kibana import rule_body
from ..compiler.options import DATA_STREAM as DATA_STREAM_NAME
from ..compiler.options import Target
from ..compiler.transforms import transform_body, transform_id
from ..content.detections import RuleSet, load_rules
from ..content.fields import Field, load_fields
from ..content.kibana import check_rule_references, load_saved_objects
from ..content.pipelines import CUSTOM, Pipelines, load_pipelines
from ..rules.model import FirstSeenRule, Rule
from .compare import fingerprint
from .settings import Settings

MANAGED = "logward"  # _meta.managed_by, and the tag on Kibana rules is "Logward"
MARKER = "[managed by Logward]"  # in descriptions, where there is no _meta (and in scripts)
NSM_VIEW = "logward-zeek"
DATA_STREAM = "logs-logward.auth"
MAPPINGS = "logward-auth@mappings"
SETTINGS = "logward-auth@settings"
# The stack's own parts of a logs-*-* data stream (Elasticsearch 8.13 and later): the logs
# lifecycle policy and settings, the data_stream.* fields, ECS's dynamic mappings. Logward's
# template, which must win over the stack's logs-*-* to set the pipeline, composes them, so
# the data stream still rolls over and a shipper's own fields (host.ip, agent.*) still get
# their ECS types; Logward's own parts come after and win. The @custom one is the user's.
STACK_PARTS = ("logs@mappings", "logs@settings", "ecs@mappings")
STACK_PARTS_SINCE = (8, 13)
CUSTOM_PART = f"{DATA_STREAM}@custom"
# Objects are created in this order (and deleted in the reverse): whatever is referred to
# exists before what refers to it, so a deploy that stops halfway leaves a usable state.
ORDER = ("script", "custom_pipeline", "pipeline", "component_template", "index_template", "data_stream",
         "transform", "saved_object", "rule")
# Kibana keeps these as the user set them: a redeploy carries them over.
USER_OWNED = ("enabled", "exceptions_list", "actions")


@dataclass(frozen=True)
class Capabilities:
    """What the stack can do. The defaults are a current 8.x/9.x stack."""

    version: tuple[int, ...] = (9, 0, 0)  # Elasticsearch's
    kibana_version: tuple[int, ...] = (9, 0, 0)
    data_streams: bool = True
    pipeline_meta: bool = True
    transforms: bool = True
    match_only_text: bool = True


@dataclass(frozen=True)
class Desired:
    system: str  # "elasticsearch" or "kibana"
    kind: str  # one of ORDER
    id: str  # for saved objects "type/id"
    body: dict[str, Any] = field(compare=False)
    create_only: bool = False  # made once, then the user's: never updated or deleted

    @property
    def label(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.id}"


@dataclass(frozen=True)
class Content:
    root: Path
    pipelines: Pipelines
    rules: RuleSet
    fields: dict[str, Field]
    saved_objects: list[dict[str, Any]]

    @classmethod
    def load(cls, root: Path, local: tuple[Path, ...] = ()) -> Content:
        content = cls(root, load_pipelines(root), load_rules(root, local), load_fields(root), load_saved_objects(root))
        levels = {rule.id: (rule.level, rule.source) for rule in content.rules.rules}
        check_rule_references(content.saved_objects, levels)
        return content

    @property
    def alerting(self) -> list[Rule]:
        """The rules Kibana gets: a level-0 rule raises no alert (OSSEC's "ignore"), so it
        has no Kibana rule (nor, for first-time-seen, a transform)."""
        return [rule for rule in self.rules.rules if rule.level > 0]

    @property
    def version(self) -> int:
        """A number that changes with the content (Elasticsearch wants an integer)."""
        digest = hashlib.sha256(json.dumps([self.pipelines.bodies, self.pipelines.scripts], sort_keys=True,
                                           default=str).encode()).hexdigest()
        return int(digest[:7], 16)


def _meta(id: str) -> dict[str, Any]:
    """The marker, with the object's own id: a copy made in Kibana or by hand carries the
    marker too, under another id, and is not Logward's to update or delete."""
    return {"managed_by": MANAGED, "logward_version": __version__, "logward_id": id}


def described(description: str, id: str) -> str:
    """A pipeline's description with the marker and its own id, for clusters without _meta."""
    return f"{description} {MARKER[:-1]}: {id}]"


def described_id(description: str) -> str | None:
    """The id a description's marker names: "" for the marker of releases before it named
    one, None for no marker."""
    found = _DESCRIBED.search(description)
    return None if found is None else found.group(1) or ""


_DESCRIBED = re.compile(re.escape(MARKER[:-1]) + r"(?:: ([^\]]+))?\]")


def mappings(catalog: dict[str, Field], caps: Capabilities) -> dict[str, Any]:
    """ECS and Logward field mappings from pipelines/fields.yml."""
    root: dict[str, Any] = {}
    for f in catalog.values():
        node = root
        *parents, leaf = f.name.split(".")
        for key in parents:
            node = node.setdefault(key, {"properties": {}})["properties"]
        kind = f.type if f.type != "match_only_text" or caps.match_only_text else "text"
        spec: dict[str, Any] = {"type": kind}
        if kind == "keyword":
            spec["ignore_above"] = 1024
        if kind == "ip":
            spec["ignore_malformed"] = True  # a malformed address loses the field, not the event
        if not f.index:
            spec.update(index=False, doc_values=False)
        node[leaf] = spec
    return {"dynamic": True, "properties": root}


def elasticsearch_objects(content: Content, caps: Capabilities, target: Target) -> list[Desired]:
    version = content.version
    out = [
        Desired("elasticsearch", "script", script_id,
                {"script": {"lang": "painless", "source": f"// {MARKER}\n{source}"}})
        for script_id, source in content.pipelines.scripts.items()
    ]
    for name, body in content.pipelines.bodies.items():
        if name == CUSTOM:
            out.append(Desired("elasticsearch", "custom_pipeline", name, copy.deepcopy(body), create_only=True))
            continue
        deployed = copy.deepcopy(body)
        deployed["description"] = described(deployed.get("description", name).strip(), name)
        deployed["version"] = version
        if caps.pipeline_meta:
            deployed["_meta"] = _meta(name)
        out.append(Desired("elasticsearch", "pipeline", name, deployed))
    # The entry pipeline last: the pipelines it calls are in place before documents use it.
    out.sort(key=lambda d: d.kind == "pipeline" and d.id == content.pipelines.entry)
    out.append(Desired("elasticsearch", "component_template", MAPPINGS, {
        "template": {"mappings": mappings(content.fields, caps)}, "version": version, "_meta": _meta(MAPPINGS)}))
    out.append(Desired("elasticsearch", "component_template", SETTINGS, {
        "template": {"settings": {"index": {"default_pipeline": content.pipelines.entry}}},
        "version": version, "_meta": _meta(SETTINGS)}))
    template: dict[str, Any] = {
        "index_patterns": [f"{DATA_STREAM}-*"],
        "composed_of": [MAPPINGS, SETTINGS],
        "priority": 200,  # above the stack's own logs-*-* template
        "version": version,
        "_meta": _meta(DATA_STREAM),
    }
    if caps.version >= STACK_PARTS_SINCE:
        template["composed_of"] = [*STACK_PARTS, MAPPINGS, SETTINGS, CUSTOM_PART]
        # (All may be missing: a cluster with stack.templates.enabled: false has none of the
        # stack's.)
        template["ignore_missing_component_templates"] = [*STACK_PARTS, CUSTOM_PART]
    if caps.data_streams:
        template["data_stream"] = {}
    out.append(Desired("elasticsearch", "index_template", DATA_STREAM, template))
    # Created once so that transforms have a source from the start; it holds data, so it is
    # never deleted. One a shipper made before the first deploy has another default pipeline
    # (the stack's, or none): only that setting of it is put right, as its mappings come
    # with its next backing index.
    out.append(Desired("elasticsearch", "data_stream", DATA_STREAM_NAME,
                       {"index.default_pipeline": content.pipelines.entry}, create_only=True))
    if caps.transforms:
        out += [
            Desired("elasticsearch", "transform", transform_id(rule), transform_body(rule, content.rules, target))
            for rule in content.alerting if isinstance(rule, FirstSeenRule)
        ]
    return out


def kibana_objects(content: Content, caps: Capabilities, target: Target) -> list[Desired]:
    out = []
    named = target.saved_object_id
    for obj in content.saved_objects:
        attributes = obj["attributes"]
        if obj["id"] == NSM_VIEW:  # the Zeek data view covers the deploy's NSM indices
            attributes = {**attributes, "title": ",".join(target.nsm_index)}
        references = [{**ref, "id": named(ref["id"])} for ref in obj["references"]]
        out.append(Desired("kibana", "saved_object", f"{obj['type']}/{named(obj['id'])}",
                           {"attributes": attributes, "references": references}))
    for rule in content.alerting:
        if isinstance(rule, FirstSeenRule) and not caps.transforms:
            continue  # its entity index would never fill
        body = rule_body(rule, content.rules, target)
        body["meta"]["fingerprint"] = fingerprint(body, leave_out=USER_OWNED)
        out.append(Desired("kibana", "rule", body["rule_id"], body))
    return out


def desired(content: Content, settings: Settings, caps: Capabilities) -> list[Desired]:
    # Kibana before 8.18 refuses alert suppression on EQL sequences.
    target = replace(settings.target(), sequence_suppression=caps.kibana_version >= (8, 18))
    objects = elasticsearch_objects(content, caps, target) + kibana_objects(content, caps, target)
    return sorted(objects, key=lambda d: ORDER.index(d.kind))  # stable: keeps order within a kind

