"""A local HTTP stand-in for Kibana: the endpoints Logward's deployer calls, checked against Kibana's contract.

Why: no Kibana can run in the tests, yet deploy code should be exercised over real HTTP. The stand-in
behaves like Kibana where a client can tell: it checks `Authorization` (401) and `kbn-xsrf` (400),
validates detection-engine request bodies against the published OpenAPI spec (400), keeps a store per
space (`/s/<space>/...`), and answers with Kibana's envelopes. Every request is recorded, and failures
can be injected, so tests can assert "a redeploy made no writes" or "a failed deploy can be rerun".

    with KibanaStandIn(api_key="abc") as kibana:
        deploy(kibana.url, ...)
        assert kibana.rules()["my-rule"]["enabled"] is False
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.kibana import openapi
from tests.kibana.errors import ApiError
from tests.kibana.objectstore import DATA_VIEW, ObjectStore
from tests.kibana.rulestore import USER, RuleStore

RULES = "/api/detection_engine/rules"
# POSTs that only read, so that `writes()` can leave them out.
READ_ONLY_POSTS = {"/api/saved_objects/_bulk_get", "/api/saved_objects/_bulk_resolve", f"{RULES}/_export"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the stand-in received it. `body` is parsed JSON, raw text if not JSON, None if empty."""

    method: str
    path: str  # as sent, without the query string
    route: str  # `path` without its /s/<space> prefix
    space: str
    query: dict[str, str]  # the last value of each parameter
    body: Any
    headers: dict[str, str]  # names lower-cased

    @property
    def is_write(self) -> bool:
        return self.method != "GET" and self.route not in READ_ONLY_POSTS


@dataclass
class _Call:
    """What a route handler needs: the request, its space, the route's named groups and the multi-valued query."""

    request: RecordedRequest
    params: dict[str, str]
    query_all: dict[str, list[str]]

    @property
    def body(self) -> Any:
        return self.request.body

    def arg(self, name: str, default: str | None = None) -> str | None:
        return self.request.query.get(name, default)

    def int_arg(self, name: str, default: int, minimum: int) -> int:
        raw = self.arg(name)
        if raw is None:
            return default
        if not re.fullmatch(r"\d+", raw) or int(raw) < minimum:
            raise ApiError(400, f"[request query]: {name}: expected an integer >= {minimum}, got {raw!r}")
        return int(raw)

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() == "true"


@dataclass
class _Failure:
    method: str
    path: str
    status: int
    times: int
    body: Any


@dataclass
class _Reply:
    status: int
    body: Any = None  # None: an empty body


class KibanaStandIn:
    """Kibana on 127.0.0.1 and a free port, in a background thread; use as a context manager.

    `api_key` or `username`/`password` make it demand those credentials (`Authorization: ApiKey <api_key>`
    or `Basic ...`); without them any credentials pass. `forbidden=True` answers 403 to every write.
    `encryption_key` and `alerts_access` shape what GET /api/detection_engine/privileges reports.
    """

    def __init__(self, *, version: str = "8.15.0", api_key: str | None = None, username: str | None = None,
                 password: str | None = None, forbidden: bool = False, encryption_key: bool = True,
                 alerts_access: bool = True) -> None:
        self.version = version
        self.forbidden = forbidden
        self.encryption_key = encryption_key
        self.alerts_access = alerts_access
        self._accepted: set[str] = set()
        if api_key is not None:
            self._accepted.add(f"ApiKey {api_key}")
        if username is not None:
            self._accepted.add("Basic " + base64.b64encode(f"{username}:{password or ''}".encode()).decode())
        self.requests: list[RecordedRequest] = []
        self._rules: defaultdict[str, RuleStore] = defaultdict(RuleStore)
        self._objects: dict[str, ObjectStore] = {}
        self._failures: list[_Failure] = []
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----

    def start(self) -> KibanaStandIn:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.daemon_threads = True
        server.standin = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="kibana-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> KibanaStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the Kibana stand-in is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ---- for assertions and setup ----

    def rules(self, space: str = "default") -> dict[str, dict[str, Any]]:
        """A copy of the rules stored in `space`, by rule_id, as RuleResponse bodies."""
        with self._lock:
            return self._rules[space].snapshot()

    def saved_objects(self, space: str = "default", type: str | None = None) -> dict[tuple[str, str], dict[str, Any]]:
        """A copy of the saved objects (data views included, as `index-pattern`) in `space`, by (type, id)."""
        with self._lock:
            return self._store(space).snapshot(type)

    def writes(self) -> list[RecordedRequest]:
        """The recorded requests that could have changed something."""
        with self._lock:
            return [r for r in self.requests if r.is_write]

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def fail_next(self, method: str, path: str, status: int = 500, times: int = 1, body: Any = None) -> None:
        """Answer the next `times` requests for `method path` (query ignored; a path without /s/<space>
        matches every space) with `status` and `body` (default: a Kibana error body), doing nothing else."""
        with self._lock:
            self._failures.append(_Failure(method.upper(), path.split("?", 1)[0], status, times, body))

    # ---- request handling ----

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> _Reply:
        """Answer one HTTP request: record it, then injected failure, 401, xsrf, routing, 403, spec check, handler."""
        parts = urlsplit(target)
        path = parts.path  # route groups are unquoted one by one, so an encoded "/" stays inside its id
        route = openapi.strip_space(path)
        space = path.split("/")[2] if route != path else "default"
        query_all = parse_qs(parts.query, keep_blank_values=True)
        body, json_error = _parse_body(raw)
        query = {k: v[-1] for k, v in query_all.items()}
        request = RecordedRequest(method, path, route, space, query, body, {k.lower(): v for k, v in headers.items()})
        with self._lock:
            self.requests.append(request)
            try:
                return self._answer(request, query_all, json_error)
            except ApiError as e:
                return _Reply(e.status, e.body())
            except Exception as e:  # a stand-in bug: say so in the response rather than dropping the connection
                return _Reply(500, ApiError(500, f"Kibana stand-in failed: {e!r}").body())

    def _answer(self, request: RecordedRequest, query_all: dict[str, list[str]], json_error: bool) -> _Reply:
        injected = self._take_failure(request)
        if injected is not None:
            return injected
        headers = request.headers
        if self._accepted and headers.get("authorization") not in self._accepted:
            given = "authorization" in headers
            raise ApiError(401, "[security_exception]: unable to authenticate with provided credentials"
                           if given else "[security_exception]: missing authentication credentials for REST request")
        if request.method != "GET" and "kbn-xsrf" not in headers:
            raise ApiError(400, "Request must contain a kbn-xsrf header.")
        handler, params = self._route(request)
        if self.forbidden and request.is_write:
            raise ApiError(403, f"API [{request.method} {request.path}] is unauthorized for user, "
                                "this action is granted by the Kibana privileges [securitySolution-rules-all]")
        if json_error:
            raise ApiError(400, "Invalid request payload JSON format")
        if request.route.startswith("/api/detection_engine/") and openapi.find_operation(request.method, request.route):
            errors = openapi.validate_request(request.method, request.route, request.body)
            if errors:
                raise ApiError(400, "[request body]: " + "; ".join(errors))
        status, body = handler(_Call(request, params, query_all))
        return _Reply(status, body)

    def _take_failure(self, request: RecordedRequest) -> _Reply | None:
        for failure in self._failures:
            if failure.method == request.method and failure.path in (request.path, request.route):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                error = ApiError(failure.status, f"injected failure for {failure.method} {failure.path}")
                return _Reply(failure.status, error.body() if failure.body is None else failure.body)
        return None

    def _route(self, request: RecordedRequest) -> tuple[Callable[[_Call], tuple[int, Any]], dict[str, str]]:
        for method, pattern, name in _ROUTES:
            match = re.fullmatch(pattern, request.route.rstrip("/"))
            if match and method == request.method:
                params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
                return getattr(self, name), params
        raise ApiError(404, "Not Found")

    def _store(self, space: str) -> ObjectStore:
        return self._objects.setdefault(space, ObjectStore(space))

    # ---- routes: each takes a _Call and returns (status, JSON body or None) ----

    def _status(self, call: _Call) -> tuple[int, Any]:
        return 200, {"name": "kibana-standin", "version": {"number": self.version, "build_snapshot": False},
                     "status": {"overall": {"level": "available", "summary": "All services are available"}}}

    def _privileges(self, call: _Call) -> tuple[int, Any]:
        granted = dict.fromkeys(("read", "write", "create_index", "maintenance", "view_index_metadata"),
                                self.alerts_access)
        return 200, {"username": USER, "is_authenticated": True, "has_encryption_key": self.encryption_key,
                     "has_all_requested": self.alerts_access, "cluster": {}, "application": {},
                     "index": {f".alerts-security.alerts-{call.request.space}": granted}}

    def _create_rule(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].create(call.body)

    def _read_rule(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].read(call.arg("rule_id"), call.arg("id"))

    def _update_rule(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].update(call.body)

    def _patch_rule(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].patch(call.body)

    def _delete_rule(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].delete(call.arg("rule_id"), call.arg("id"))

    def _find_rules(self, call: _Call) -> tuple[int, Any]:
        return 200, self._rules[call.request.space].find(
            page=call.int_arg("page", 1, minimum=1), per_page=call.int_arg("per_page", 20, minimum=0),
            filter=call.arg("filter"), sort_field=call.arg("sort_field"), sort_order=call.arg("sort_order", "asc"),
        )

    def _bulk_action(self, call: _Call) -> tuple[int, Any]:
        return self._rules[call.request.space].bulk(call.body, dry_run=call.flag("dry_run"))

    def _bulk_get(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).bulk_get(_list_body(call))

    def _bulk_create(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).bulk_create(_list_body(call), overwrite=call.flag("overwrite"))

    def _find_objects(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).find(
            call.query_all.get("type", []), page=call.int_arg("page", 1, minimum=1),
            per_page=call.int_arg("per_page", 20, minimum=0), search=call.arg("search"),
            search_fields=call.query_all.get("search_fields"),
        )

    def _get_object(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).get(call.params["type"], call.params["id"])

    def _create_object(self, call: _Call) -> tuple[int, Any]:
        store = self._store(call.request.space)
        return 200, store.create(call.params["type"], call.params.get("id"), _object_body(call), call.flag("overwrite"))

    def _update_object(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).update(call.params["type"], call.params["id"], _object_body(call))

    def _delete_object(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).delete(call.params["type"], call.params["id"])

    def _create_data_view(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).create_data_view(_object_body(call))

    def _get_data_view(self, call: _Call) -> tuple[int, Any]:
        return 200, self._store(call.request.space).get_data_view(call.params["id"])

    def _delete_data_view(self, call: _Call) -> tuple[int, Any]:
        self._store(call.request.space).delete(DATA_VIEW, call.params["id"])
        return 200, None  # Kibana answers an empty 200


_SO = "/api/saved_objects"
_TYPE_ID = r"/(?P<type>[^/_][^/]*)/(?P<id>[^/]+)"
_ROUTES: list[tuple[str, str, str]] = [
    ("GET", "/api/status", "_status"),
    ("GET", "/api/detection_engine/privileges", "_privileges"),
    ("POST", RULES, "_create_rule"),
    ("GET", RULES, "_read_rule"),
    ("PUT", RULES, "_update_rule"),
    ("PATCH", RULES, "_patch_rule"),
    ("DELETE", RULES, "_delete_rule"),
    ("GET", f"{RULES}/_find", "_find_rules"),
    ("POST", f"{RULES}/_bulk_action", "_bulk_action"),
    ("POST", f"{_SO}/_bulk_get", "_bulk_get"),
    ("POST", f"{_SO}/_bulk_create", "_bulk_create"),
    ("GET", f"{_SO}/_find", "_find_objects"),
    ("GET", _SO + _TYPE_ID, "_get_object"),
    ("POST", _SO + r"/(?P<type>[^/_][^/]*)(?:/(?P<id>[^/]+))?", "_create_object"),
    ("PUT", _SO + _TYPE_ID, "_update_object"),
    ("DELETE", _SO + _TYPE_ID, "_delete_object"),
    ("POST", "/api/data_views/data_view", "_create_data_view"),
    ("GET", "/api/data_views/data_view/(?P<id>[^/]+)", "_get_data_view"),
    ("DELETE", "/api/data_views/data_view/(?P<id>[^/]+)", "_delete_data_view"),
]


def _parse_body(raw: bytes) -> tuple[Any, bool]:
    """(parsed JSON or raw text or None, whether it was text that is not JSON)."""
    if not raw.strip():
        return None, False
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text), False
    except ValueError:
        return text, True


def _object_body(call: _Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise ApiError(400, "[request body]: expected a value of type [object]")
    return call.body


def _list_body(call: _Call) -> list[dict[str, Any]]:
    body = call.body
    if not isinstance(body, list) or not all(isinstance(i, dict) and "type" in i for i in body):
        raise ApiError(400, "[request body]: expected an array of objects with a [type]")
    return body


class _Handler(BaseHTTPRequestHandler):
    """Hands each HTTP request to the KibanaStandIn the server belongs to."""

    protocol_version = "HTTP/1.1"  # keep-alive, as HTTP clients with connection pools expect

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        reply = self.server.standin.handle(self.command, self.path, dict(self.headers.items()), raw)  # type: ignore[attr-defined]
        payload = b"" if reply.body is None else json.dumps(reply.body).encode()
        self.send_response(reply.status)
        if reply.body is not None:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the stand-in's record of requests is `KibanaStandIn.requests`."""


def call(kibana: KibanaStandIn, method: str, path: str, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One HTTP request to the stand-in; (status, parsed JSON body or None)."""
    sent = {"kbn-xsrf": "true", "Content-Type": "application/json", **(headers or {})}
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(kibana.url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    return status, json.loads(raw) if raw else None
