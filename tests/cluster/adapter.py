"""A test-only HTTP adapter between the official `elasticsearch` client and the test node.

The client (8.x/9.x) refuses servers that do not send Elastic's product header, and asks
for its versioned media type (`application/vnd.elasticsearch+json; compatible-with=9`),
which Elasticsearch 7.10 does not know. The OSS 7.10 node can neither send the one nor
read the other. This adapter, and only in tests, forwards each request to the node with
plain `application/json` (or `x-ndjson`) media types, and adds `X-Elastic-Product:
Elasticsearch` to each response. Bodies, paths, status codes and everything else pass
through unchanged: the deployer talks to the real node.

Tests can also read `requests` (each "METHOD /path" received, query left out) and set
`overrides` to answer some requests themselves, for what the node cannot do: refuse
credentials, forbid a write, claim another version. Keys are "METHOD /path",
"METHOD *" or "*"; values are (status, JSON body).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

_VERSIONED = re.compile(r"application/vnd\.elasticsearch\+(json|x-ndjson)[^,]*")


def _plain(value: str) -> str:
    return _VERSIONED.sub(lambda m: f"application/{m.group(1)}", value)


class Adapter:
    """`with Adapter(node_url) as a: a.url` serves on a free loopback port."""

    def __init__(self, node_url: str):
        target = urlsplit(node_url)
        host, port = target.hostname or "127.0.0.1", target.port or 9200
        self.requests: list[str] = []
        self.overrides: dict[str, tuple[int, Any]] = {}
        adapter = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                request = f"{self.command} {self.path.split('?')[0]}"
                adapter.requests.append(request)
                override = next((adapter.overrides[k] for k in (request, f"{self.command} *", "*")
                                 if k in adapter.overrides), None)
                if override is not None:
                    self._reply(override[0], [("Content-Type", "application/json")],
                                json.dumps(override[1]).encode())
                    return
                headers = {k: _plain(v) for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection", "content-length")}
                connection = http.client.HTTPConnection(host, port, timeout=120)
                try:
                    connection.request(self.command, self.path, body=body, headers=headers)
                    response = connection.getresponse()
                    payload = response.read()
                finally:
                    connection.close()
                self._reply(response.status, response.getheaders(), payload)

            def _reply(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Adapter:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
