"""The Kibana side of a deployment, over HTTP with elastic-transport.

Rules go through the Detections API (by rule_id), data views and dashboards through the
saved objects API, both in the chosen space. A rule's enabled state, exceptions and
actions belong to the analysts who set them in Kibana: an update carries them over. Kibana
answers in JSON: a server that does not (a web server, a proxy's error page) is named as
such, with the first words of its answer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from elastic_transport import NodeConfig, SerializationError, Transport, TransportError

from ..compiler.options import MIN_KIBANA, NEEDS_KIBANA
from .compare import contains
from .elastic import version_tuple
from .errors import DeployError, excerpt, redact
from .objects import USER_OWNED, Desired
from .settings import Settings
from .state import Snapshot

API_VERSION = "2023-10-31"
RULES = "/api/detection_engine/rules"
SAVED_OBJECTS = "/api/saved_objects"
MANAGED_TAG = "Logward"
SAVED_TYPES = ("index-pattern", "dashboard", "visualization", "lens", "search")
PAGE = 100
# What makes a rule detect what it detects. Kibana stores these as given, so an edit made
# in Kibana shows as drift and a deploy puts the repository's back; the rest of a rule is
# checked through its fingerprint, since Kibana rewrites parts of what it stores.
RULE_SUBSTANCE = ("name", "type", "language", "query", "index", "severity", "risk_score", "interval", "from")


class Kibana:
    system = "kibana"

    def __init__(self, settings: Settings) -> None:
        if not settings.kibana_url:
            raise DeployError("no Kibana URL: set KIBANA_URL or pass --kibana-url")
        url = urlsplit(settings.kibana_url)
        scheme = url.scheme or "http"
        tls: dict[str, Any] = {}
        if scheme == "https":
            tls = {"verify_certs": settings.verify_certs, "ssl_show_warn": settings.verify_certs,
                   "ca_certs": settings.kibana_ca_cert or settings.ca_cert}
        node = NodeConfig(scheme, url.hostname or "localhost", url.port or (443 if scheme == "https" else 5601),
                          path_prefix=url.path.rstrip("/"), request_timeout=60, **tls)
        self.transport = Transport([node], max_retries=2, retry_on_timeout=True)
        self.url = redact(settings.kibana_url)
        self.space = settings.space
        self.secrets = settings.secrets
        self.version: tuple[int, ...] = (0,)  # read by preflight
        self.headers = {"kbn-xsrf": "logward", "elastic-api-version": API_VERSION, "accept": "application/json"}
        api_key, username, password = settings.kibana_credentials()
        if api_key:
            self.headers["authorization"] = f"ApiKey {api_key}"
        elif username:
            token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
            self.headers["authorization"] = f"Basic {token}"

    # ---- HTTP ----

    def request(self, method: str, path: str, what: str, body: Any = None, query: dict[str, Any] | None = None,
                missing_ok: bool = False, space: bool = True) -> Any:
        """One call to Kibana's API; a DeployError naming `what` unless it answered 2xx (or 404 if `missing_ok`)."""
        prefix = f"/s/{quote(self.space, safe='')}" if space and self.space != "default" else ""
        target = prefix + path + (f"?{urlencode(query, doseq=True)}" if query else "")
        headers = dict(self.headers)
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = self.transport.perform_request(method, target, headers=headers,
                                                      body=None if body is None else json.dumps(body).encode())
        except SerializationError as e:  # an answer in a media type Kibana does not use
            raise DeployError(self.stranger(what, e.message)) from None
        except TransportError as e:
            raise DeployError(redact(f"cannot reach Kibana at {self.url} ({what}): {e.message}", self.secrets)) \
                from None
        status, answer = response.meta.status, response.body
        if 200 <= status < 300:
            return answer
        if status == 404 and missing_ok:
            return None
        raise DeployError(redact(self.explain(what, status, answer), self.secrets))

    def explain(self, what: str, status: int, answer: Any) -> str:
        reason = excerpt(answer.get("message"), self.secrets, 500) if isinstance(answer, dict) else \
            excerpt(answer, self.secrets)
        if status == 401:
            return (f"Kibana at {self.url} refused the credentials (401) while {what}: check KIBANA_API_KEY or "
                    "ES_API_KEY, or the username and password")
        if status == 403:
            return f"{what} was not allowed (403 from Kibana): {reason}"
        if not isinstance(answer, dict):
            return self.stranger(what, f"HTTP {status}: {answer}")
        if status == 404 and self.space != "default" and "space" in str(reason).lower():
            return f"Kibana has no space {self.space!r} ({what})"
        return f"Kibana rejected {what} ({status}): {reason}"

    def stranger(self, what: str, answer: Any) -> str:
        return f"the server at {self.url} does not answer as Kibana ({what}): {excerpt(answer, self.secrets)}"

    # ---- preflight ----

    def preflight(self) -> list[str]:
        what = "reading Kibana's version"
        status = self.request("GET", "/api/status", what, space=False)
        version = status.get("version") if isinstance(status, dict) else None
        number = version.get("number") if isinstance(version, dict) else None
        if not isinstance(number, str):
            raise DeployError(self.stranger(what, f"no version number in {status}"))
        self.version = version_tuple(number)
        if self.version < MIN_KIBANA:
            raise DeployError(f"Kibana {number} at {self.url} is too old: {NEEDS_KIBANA}")
        privileges = self.request("GET", "/api/detection_engine/privileges", "checking detection privileges")
        if not privileges.get("is_authenticated", False):
            raise DeployError(f"Kibana at {self.url} did not authenticate the deploy user")
        if not privileges.get("has_encryption_key", False):
            raise DeployError(f"Kibana at {self.url} has no xpack.encryptedSavedObjects.encryptionKey set: "
                              "detection rules cannot run without it")
        if privileges.get("has_all_requested") is False:
            missing = [f"{p} on {index}" for index, granted in privileges.get("index", {}).items()
                       for p, ok in granted.items() if not ok]
            raise DeployError("the Kibana user lacks privileges on the alerts index: " + (", ".join(missing) or "?"))
        return [f"Kibana {number} at {self.url}, space {self.space!r}"]

    # ---- state ----

    def snapshot(self, wanted: list[Desired]) -> Snapshot:
        # Every rule tagged as Logward's with one of its ids; the plan looks up the ones it
        # wants. Not by `meta`: Kibana's rule editor writes its own when it saves a rule, and
        # such a rule is still Logward's (its lost fingerprint shows as a change to put back).
        tagged = self._pages(f"{RULES}/_find", "data", "listing detection rules",
                             {"filter": f'alert.attributes.tags: "{MANAGED_TAG}"'})
        rules = {rule["rule_id"]: rule for rule in tagged
                 if MANAGED_TAG in rule.get("tags", ()) and rule.get("rule_id", "").startswith("logward-")}
        current: dict[tuple[str, str], Any] = {("rule", rule_id): body for rule_id, body in rules.items()}
        # A wanted rule someone untagged in Kibana is still there under its rule_id: it is
        # updated (tag and all), where creating it again would be refused on every run.
        for d in wanted:
            if d.kind == "rule" and d.id not in rules:
                found = self.request("GET", RULES, f"reading rule {d.id}", query={"rule_id": d.id}, missing_ok=True)
                if found:
                    current[("rule", d.id)] = found
        objects = [d for d in wanted if d.kind == "saved_object"]
        if objects:
            keys = [dict(zip(("type", "id"), d.id.split("/", 1))) for d in objects]
            answer = self.request("POST", f"{SAVED_OBJECTS}/_bulk_get", "reading saved objects", body=keys)
            for item in answer.get("saved_objects", []):
                if "error" not in item:
                    current[("saved_object", f"{item['type']}/{item['id']}")] = item
        saved = {("saved_object", f"{item['type']}/{item['id']}")
                 for item in self._pages(f"{SAVED_OBJECTS}/_find", "saved_objects", "listing saved objects",
                                         {"type": list(SAVED_TYPES)})
                 if str(item.get("id", "")).startswith("logward-")}
        return Snapshot(current, {("rule", rule_id) for rule_id in rules} | saved)

    def _pages(self, path: str, key: str, what: str, query: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Every item of a paged _find answer."""
        page = 1
        while True:
            answer = self.request("GET", path, what, query={**query, "per_page": PAGE, "page": page})
            yield from answer.get(key, [])
            if page * PAGE >= answer.get("total", 0):
                return
            page += 1

    def same(self, d: Desired, current: Any) -> bool:
        if d.kind == "rule":  # (and still tagged: untagged, destroy and the snapshot would not find it)
            return current.get("meta", {}).get("fingerprint") == d.body["meta"]["fingerprint"] and \
                MANAGED_TAG in current.get("tags", ()) and \
                all(contains(current.get(k), d.body[k]) for k in RULE_SUBSTANCE if k in d.body)
        return contains(current.get("attributes"), d.body["attributes"]) and \
            _refs(current.get("references", [])) == _refs(d.body["references"])

    def note(self, d: Desired, current: Any) -> str:
        return ""

    # ---- changes ----

    def write(self, d: Desired, current: Any | None) -> None:
        what = f"{'updating' if current is not None else 'creating'} {d.label}"
        if d.kind == "rule":
            if current is None:
                self.request("POST", RULES, what, body=d.body)
            else:
                kept = {k: current[k] for k in USER_OWNED if k in current}
                self.request("PUT", RULES, what, body={**d.body, **kept})
        elif d.kind == "saved_object":
            self.request("POST", f"{SAVED_OBJECTS}/{d.id}", what, body=d.body, query={"overwrite": "true"})
        else:
            raise ValueError(d.kind)

    def delete(self, kind: str, id: str) -> None:
        what = f"deleting {kind.replace('_', ' ')} {id}"
        if kind == "rule":
            self.request("DELETE", RULES, what, query={"rule_id": id}, missing_ok=True)
        elif kind == "saved_object":
            self.request("DELETE", f"{SAVED_OBJECTS}/{id}", what, missing_ok=True)
        else:
            raise ValueError(kind)


def _refs(references: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((r.get("name", ""), r.get("type", ""), r.get("id", "")) for r in references)
