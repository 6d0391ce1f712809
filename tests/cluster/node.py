"""A real Elasticsearch 7.10.2 OSS node for the tests, from Maven Central artifacts.

The node is built by Maven (pom.xml beside this file) and started as a child JVM with the
ingest role, a free loopback port and a 1 GB heap. It exits when its standard input
closes, so it cannot outlive the test session. See README.md here for why this node.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from elastic_transport import NodeConfig, Transport
from elastic_transport import TransportError as HttpError

HERE = Path(__file__).resolve().parent
CLASSPATH = HERE / "target" / "classpath.txt"
CLASSES = HERE / "target" / "classes"
START_TIMEOUT = 180.0


class NodeUnavailable(RuntimeError):
    """The node could not be built or started; the message says which step failed."""


def java() -> str:
    home = os.environ.get("JAVA_HOME")
    candidate = Path(home) / "bin" / "java" if home else None
    if candidate and candidate.exists():
        return str(candidate)
    found = shutil.which("java")
    if not found:
        raise NodeUnavailable("no `java` on PATH and no JAVA_HOME: the test node needs Java 17")
    return found


def build() -> None:
    """Compile the launcher and resolve its classpath, unless already done for this pom."""
    sources = [HERE / "pom.xml", *HERE.glob("src/**/*.java")]
    if CLASSPATH.exists() and all(CLASSPATH.stat().st_mtime >= s.stat().st_mtime for s in sources):
        return
    mvn = shutil.which("mvn")
    if not mvn:
        raise NodeUnavailable("no `mvn` on PATH: Maven builds the test node from Maven Central")
    result = subprocess.run(
        [mvn, "-B", "-q", "compile", "dependency:build-classpath", f"-Dmdep.outputFile={CLASSPATH}"],
        cwd=HERE, capture_output=True, text=True,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise NodeUnavailable(f"Maven could not build the test node:\n{tail}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Node:
    url: str
    process: subprocess.Popen
    log: Path
    transport: Transport = field(init=False)

    def __post_init__(self) -> None:
        host, port = self.url.removeprefix("http://").split(":")
        self.transport = Transport([NodeConfig("http", host, int(port))], max_retries=0)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """The response body; a RuntimeError with the status for anything but 2xx/3xx."""
        headers = {"accept": "application/json"}
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            response = self.transport.perform_request(method, path, body=body, headers=headers, request_timeout=120)
        except HttpError as e:
            raise RuntimeError(f"{method} {path} failed: {e}") from None
        if response.meta.status >= 400:
            raise RuntimeError(f"{method} {path} answered {response.meta.status}: {response.body}")
        return response.body

    def stop(self) -> None:
        if self.process.poll() is None:
            if self.process.stdin:
                self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.transport.close()


def start(workdir: Path) -> Node:
    """Build if needed, start the node, and wait until it answers."""
    build()
    classpath = f"{CLASSES}{os.pathsep}{CLASSPATH.read_text().strip()}"
    port = free_port()
    data = workdir / "node"
    log = workdir / "node.log"
    command = [java(), "-Xms256m", "-Xmx1g", "-Dlog4j2.formatMsgNoLookups=true",
               "-cp", classpath, "logward.cluster.TestNode", str(port), str(data)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise NodeUnavailable(f"the test node exited with status {process.returncode}:\n{tail}")
        if "READY " in log.read_text(errors="replace"):
            return Node(url, process, log)
        time.sleep(0.5)
    process.kill()
    raise NodeUnavailable(f"the test node did not start within {START_TIMEOUT:.0f}s; see {log}")
