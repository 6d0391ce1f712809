"""The Elasticsearch side of a deployment, through the official client.

One table says where each kind of object lives; reads, writes and deletes go through it.
Every failure becomes a one-line DeployError that names the object and repeats the
server's reason, without credentials. A server that answers, but not as Elasticsearch does
(a web server, a proxy's error page), is named as such, with the first words of its answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from elasticsearch import ApiError, Elasticsearch, SerializationError, TransportError

from ..content.pipelines import CUSTOM
from .compare import contains
from .errors import DeployError, excerpt, redact
from .objects import MANAGED, MARKER, Capabilities, Desired, described_id
from .settings import Settings
from .state import Snapshot

# Composable index and component templates arrived in 7.8, ingest `if` conditions with
# painless in 6.5; the Kibana rules Logward compiles want an 8.11 stack (see kibana.py).
MIN_VERSION = (7, 10)
PATHS = {
    "script": "/_scripts/{id}",
    "custom_pipeline": "/_ingest/pipeline/{id}",
    "pipeline": "/_ingest/pipeline/{id}",
    "component_template": "/_component_template/{id}",
    "index_template": "/_index_template/{id}",
    "data_stream": "/_data_stream/{id}",
    "transform": "/_transform/{id}",
}
# What a transform's _update may change; a change to anything else means a rebuild.
RUNNING = ("started", "indexing")  # a transform's states that need no start
TRANSFORM_UPDATABLE = {"description", "dest", "frequency", "_meta", "retention_policy", "settings", "source", "sync"}


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-")[0].split(".")[:3] if p.isdigit())


class Elastic:
    system = "elasticsearch"

    def __init__(self, settings: Settings) -> None:
        if not settings.es_url:
            raise DeployError("no Elasticsearch URL: set ES_URL or pass --es-url")
        options: dict[str, Any] = {"request_timeout": 60, "max_retries": 2, "retry_on_timeout": True}
        if urlsplit(settings.es_url).scheme == "https":  # (TLS options on http are an error)
            options["verify_certs"] = settings.verify_certs
            if settings.ca_cert:
                options["ca_certs"] = settings.ca_cert
            if not settings.verify_certs:
                options["ssl_show_warn"] = False  # warned once, by the command
        if settings.es_api_key:
            options["api_key"] = settings.es_api_key
        elif settings.es_username:
            options["basic_auth"] = (settings.es_username, settings.es_password or "")
        self.url = redact(settings.es_url)
        self.secrets = settings.secrets
        self.client = Elasticsearch(settings.es_url, **options)
        self.caps = Capabilities()

    # ---- errors ----

    @contextmanager
    def calling(self, what: str) -> Iterator[None]:
        """Turn the client's exceptions into one line about `what`."""
        try:
            yield
        except ApiError as e:
            raise DeployError(redact(self.explain(what, e.meta.status, e.body), self.secrets)) from None
        except SerializationError as e:  # an answer in a media type Elasticsearch does not use
            raise DeployError(self.stranger(what, e.message)) from None
        except TransportError as e:
            raise DeployError(redact(f"cannot reach Elasticsearch at {self.url} ({what}): {e.message}",
                                     self.secrets)) from None

    def explain(self, what: str, status: int, body: Any) -> str:
        reason = _reason(body, self.secrets)
        if status == 401:
            return (f"Elasticsearch at {self.url} refused the credentials (401) while {what}: "
                    "check ES_API_KEY, or ES_USERNAME and ES_PASSWORD")
        if status == 403:
            return f"{what} was not allowed (403 from Elasticsearch): {reason}"
        # Elasticsearch answers errors in JSON; a 2xx only gets here when the client found
        # no Elasticsearch product header on it.
        if status < 300 or not isinstance(body, dict):
            return self.stranger(what, f"HTTP {status}: {body}")
        return f"Elasticsearch rejected {what} ({status}): {reason}"

    def stranger(self, what: str, answer: Any) -> str:
        return f"the server at {self.url} does not answer as Elasticsearch ({what}): {excerpt(answer, self.secrets)}"

    def _get(self, what: str, call: Callable[[], Any], api: bool = False) -> Any:
        """A read that may find nothing (None). With `api`, a cluster without that API is None too."""
        with self.calling(what):
            try:
                return call().body
            except ApiError as e:
                if e.meta.status == 404 or (api and _no_such_api(e)):
                    return None
                raise

    # ---- preflight ----

    def preflight(self, needs_transforms: bool) -> list[str]:
        """Check version, license and privileges; learn what the cluster supports. Notes for the operator."""
        with self.calling("reading the cluster's version"):
            info = self.client.info().body
        version_info = info.get("version") if isinstance(info, dict) else None
        number = version_info.get("number") if isinstance(version_info, dict) else None
        if not isinstance(number, str):
            raise DeployError(self.stranger("reading the cluster's version", f"no version number in {info}"))
        version = version_tuple(number)
        if version < MIN_VERSION:
            raise DeployError(f"Elasticsearch {number} at {self.url} is too old: Logward needs "
                              f"{'.'.join(map(str, MIN_VERSION))} or later")
        # One call tells what the default distribution has; an OSS build has no _xpack (None).
        xpack = self._get("reading the cluster's features", self.client.xpack.info, api=True)
        features = (xpack or {}).get("features", {})
        data_streams = xpack is not None and version >= (7, 9)
        transforms = xpack is not None and features.get("transform", {}).get("enabled", True)
        self.caps = Capabilities(version=version, data_streams=data_streams, pipeline_meta=version >= (7, 14),
                                 transforms=transforms, match_only_text=version >= (7, 14))
        notes = [f"Elasticsearch {number} at {self.url}"]
        status = ((xpack or {}).get("license") or {}).get("status", "active")
        if status != "active":
            raise DeployError(f"the Elasticsearch license at {self.url} is {status}: transforms and data "
                              "streams need an active license (basic is enough)")
        if not data_streams:
            notes.append("no data streams on this cluster: events go to a plain index of the same name")
        if not transforms and needs_transforms:
            notes.append("no transform API on this cluster: first-time-seen transforms and their rules are "
                         "left out")
        if features.get("security", {}).get("enabled"):
            self._check_privileges()
        return notes

    def _check_privileges(self) -> None:
        """Every privilege a deploy uses, so that one that passes preflight does not stop
        half way: monitor reads the stored scripts (in the cluster state), the stream's
        settings are read, a transform reads its source's metadata. (Setting the default
        pipeline of a stream a shipper made first needs `manage` on it, which is not
        asked of every deploy: the rare deploy that needs it says so if refused.)"""
        cluster = ["manage_pipeline", "manage_index_templates", "cluster:admin/script/put",
                   "cluster:admin/script/delete", "monitor"]
        if self.caps.transforms:
            cluster.append("manage_transform")
        indices = [{"names": ["logs-logward.auth-*"], "privileges": ["read", "view_index_metadata", "create_index"]},
                   {"names": ["logward-fts-*"], "privileges": ["read", "index", "create_index", "delete_index",
                                                               "view_index_metadata"]}]
        answer = self._get("checking privileges", lambda: self.client.security.has_privileges(
            cluster=cluster, index=indices))
        if answer.get("has_all_requested", True):
            return
        missing = [name for name, ok in answer.get("cluster", {}).items() if not ok]
        for index, privileges in answer.get("index", {}).items():
            missing += [f"{p} on {index}" for p, ok in privileges.items() if not ok]
        raise DeployError(f"the Elasticsearch user lacks privileges Logward's deploy needs: {', '.join(missing)}")

    # ---- state ----

    def snapshot(self, wanted: list[Desired]) -> Snapshot:
        """One listing per kind: what is there, and which of it carries Logward's marker."""
        found = self.inventory()
        for d in wanted:
            if d.kind == "data_stream":  # holds data: read by name, never listed for deletion
                stream = self.read_data_stream(d.id)
                if stream is not None:
                    found[(d.kind, d.id)] = {"stream": stream, "default_pipelines": self.default_pipelines(d.id)}
        wanted_keys = {(d.kind, d.id) for d in wanted}
        return Snapshot({k: v for k, v in found.items() if k in wanted_keys},
                        {k for k, v in found.items() if _marked(k[0], k[1], v)})

    def inventory(self) -> dict[tuple[str, str], Any]:
        """(kind, id) -> body of every object under Logward's names."""
        c = self.client
        found: dict[tuple[str, str], Any] = {}
        state = self._get("listing stored scripts", lambda: c.cluster.state(
            metric="metadata", filter_path="metadata.stored_scripts")) or {}
        for script_id, script in state.get("metadata", {}).get("stored_scripts", {}).items():
            if script_id.startswith("logward-"):
                found[("script", script_id)] = script
        pipelines = self._get("listing pipelines", lambda: c.ingest.get_pipeline(id="logward*")) or {}
        for pipeline_id, body in pipelines.items():
            found[("custom_pipeline" if pipeline_id == CUSTOM else "pipeline", pipeline_id)] = body
        components = self._get("listing component templates",
                               lambda: c.cluster.get_component_template(name="logward-*")) or {}
        for item in components.get("component_templates", []):
            found[("component_template", item["name"])] = item["component_template"]
        templates = self._get("listing index templates",
                              lambda: c.indices.get_index_template(name="logs-logward*")) or {}
        for item in templates.get("index_templates", []):
            found[("index_template", item["name"])] = item["index_template"]
        if self.caps.transforms:
            found.update(self.transforms("logward-*"))
        return found

    def transforms(self, pattern: str) -> dict[tuple[str, str], Any]:
        """Transforms matching `pattern`, each with its state (started, stopped...) as `_state`."""
        c = self.client
        listed = self._get("listing transforms", lambda: c.transform.get_transform(
            transform_id=pattern, allow_no_match=True)) or {}
        stats = self._get("reading transform states", lambda: c.transform.get_transform_stats(
            transform_id=pattern, allow_no_match=True)) or {}
        states = {item["id"]: item.get("state") for item in stats.get("transforms", [])}
        return {("transform", item["id"]): {**item, "_state": states.get(item["id"])}
                for item in listed.get("transforms", [])}

    def read_data_stream(self, id: str) -> Any | None:
        c = self.client
        read = (lambda: c.indices.get_data_stream(name=id)) if self.caps.data_streams else \
            (lambda: c.indices.get(index=id))
        return self._get(f"reading data stream {id}", read) or None

    def default_pipelines(self, id: str) -> set[str | None]:
        """The default pipeline of each index of a data stream (or of the index)."""
        # (Not asked by name: an index without the setting would be left out of the answer.)
        answer = self._get(f"reading the settings of {id}", lambda: self.client.indices.get_settings(
            index=id, flat_settings=True)) or {}
        return {item.get("settings", {}).get("index.default_pipeline") for item in answer.values()}

    def same(self, d: Desired, current: Any) -> bool:
        if d.kind == "data_stream":
            return current["default_pipelines"] <= {d.body["index.default_pipeline"]}
        if d.create_only:
            return True
        if d.kind == "script":
            return current.get("source") == d.body["script"]["source"]
        if d.kind == "transform":
            return transform_change(d.body, current) == "start" and current.get("_state") in RUNNING
        return contains(current, d.body)

    def note(self, d: Desired, current: Any) -> str:
        """What an update of a transform does besides writing it: an operator must see that
        first-seen history is rebuilt, or a transform they stopped started again."""
        if d.kind != "transform":
            return ""
        if transform_change(d.body, current) == "rebuild":
            return (f"rebuilt: its entity index {d.body['dest']['index']} is deleted and refilled from the "
                    "events still kept")
        state = current.get("_state")
        steps = transform_restart(state)
        if "force stop" in steps:
            return "it failed: force-stopped and started"
        return f"it is {state or 'not running'}: started" if steps else ""

    # ---- changes ----

    def write(self, d: Desired, current: Any | None) -> None:
        c, body = self.client, d.body
        with self.calling(f"{'updating' if current is not None else 'creating'} {d.label}"):
            if d.kind == "script":
                c.put_script(id=d.id, body=body)
            elif d.kind in ("pipeline", "custom_pipeline"):
                c.ingest.put_pipeline(id=d.id, body=body)
            elif d.kind == "component_template":
                c.cluster.put_component_template(name=d.id, body=body)
            elif d.kind == "index_template":
                c.indices.put_index_template(name=d.id, body=body)
            elif d.kind == "data_stream" and current is not None:
                c.indices.put_settings(index=d.id, body=d.body)
            elif d.kind == "data_stream":
                if self.caps.data_streams:
                    c.indices.create_data_stream(name=d.id)
                else:
                    c.indices.create(index=d.id)
            elif d.kind == "transform":
                self._write_transform(d, current)
            else:
                raise ValueError(d.kind)

    def _write_transform(self, d: Desired, current: Any | None) -> None:
        c = self.client
        change = transform_change(d.body, current)
        if change == "update":
            c.transform.update_transform(transform_id=d.id, body={k: v for k, v in d.body.items()
                                                                   if k in TRANSFORM_UPDATABLE})
        elif change in ("create", "rebuild"):
            if change == "rebuild":
                self._delete_transform(d.id)
                c.indices.delete(index=d.body["dest"]["index"], ignore_unavailable=True)
            c.transform.put_transform(transform_id=d.id, body=d.body, defer_validation=True)
        state = self.transforms(d.id).get(("transform", d.id))
        for step in transform_restart((state or {}).get("_state")):
            if step == "force stop":
                c.transform.stop_transform(transform_id=d.id, force=True, wait_for_completion=True)
            else:
                c.transform.start_transform(transform_id=d.id)

    def delete(self, kind: str, id: str) -> None:
        c = self.client
        with self.calling(f"deleting {kind.replace('_', ' ')} {id}"):
            try:
                if kind == "script":
                    c.delete_script(id=id)
                elif kind == "pipeline":
                    c.ingest.delete_pipeline(id=id)
                elif kind == "component_template":
                    c.cluster.delete_component_template(name=id)
                elif kind == "index_template":
                    c.indices.delete_index_template(name=id)
                elif kind == "transform":
                    self._delete_transform(id)
                else:
                    raise ValueError(kind)
            except ApiError as e:
                if e.meta.status != 404:  # already gone: what a rerun after a failure finds
                    raise

    def _delete_transform(self, id: str) -> None:
        self.client.transform.stop_transform(transform_id=id, force=True, wait_for_completion=True,
                                             allow_no_match=True)
        self.client.transform.delete_transform(transform_id=id, force=True)


def _marked(kind: str, id: str, body: Any) -> bool:
    """Whether an object carries Logward's marker under its own id, and so is Logward's to
    update or delete. (A copy, made in Kibana or by hand, carries the marker under another
    id; objects deployed before the marker named its id are taken by the marker alone.)"""
    if kind == "script":
        return str(body.get("source", "")).startswith(f"// {MARKER}")
    meta = body.get("_meta") if isinstance(body.get("_meta"), dict) else {}
    if "logward_id" in meta:
        return meta["logward_id"] == id and meta.get("managed_by") == MANAGED
    if kind == "pipeline":
        named = described_id(str(body.get("description", "")))
        if named is not None:
            return named in ("", id)
        return meta.get("managed_by") == MANAGED
    if kind in ("component_template", "index_template", "transform"):
        return meta.get("managed_by") == MANAGED
    return False  # the custom pipeline and the data stream are the user's


def transform_change(wanted: dict[str, Any], current: dict[str, Any] | None) -> str:
    """create; start (same body, stopped); update (only what _update may change differs); or
    rebuild (the key or aggregations changed: the entity index is rebuilt from the events)."""
    if current is None:
        return "create"
    # The pivot must group by and aggregate exactly what is wanted: containment alone would
    # not see a key or an aggregation left out.
    now, pivot = current.get("pivot") or {}, wanted.get("pivot") or {}
    if any(set(now.get(part) or {}) != set(pivot.get(part) or {}) for part in ("group_by", "aggregations")):
        return "rebuild"
    if contains(current, wanted):
        return "start"
    if all(k in TRANSFORM_UPDATABLE or contains(current.get(k), v) for k, v in wanted.items()):
        return "update"
    return "rebuild"


def transform_restart(state: str | None) -> list[str]:
    """What gets a transform in this state running: nothing when it runs; a failed one
    refuses to start until force-stopped."""
    if state in RUNNING:
        return []
    return ["force stop", "start"] if state == "failed" else ["start"]


def _no_such_api(e: ApiError) -> bool:
    """How clusters without an API answer: OSS builds take `_xpack` for an index name (400)."""
    text = str(e.body)
    return e.meta.status in (405, 410, 501) or (
        e.meta.status == 400 and ("invalid_index_name" in text or "no handler found" in text))


def _reason(body: Any, secrets: tuple[str, ...] = ()) -> str:
    """The server's own words: error.reason and its first cause, or the start of the body."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        reason = str(error.get("reason") or error.get("type") or error)
        cause = error.get("caused_by") or {}
        if isinstance(cause, dict) and cause.get("reason") and cause["reason"] not in reason:
            reason += f": {cause['reason']}"
        return excerpt(reason, secrets, 500)
    if isinstance(body, dict) and body.get("error"):
        return excerpt(body["error"], secrets)
    return excerpt(body, secrets) or "no reason given"
