"""A loopback HTTP server whose answers a test scripts per path: statuses, resets, truncated
bodies, redirects, slow answers. Each request to a path takes the next step of its script; the
last step repeats."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from .loopback import LoopbackServer


@dataclass
class Step:
    kind: str = "ok"              # ok | status | reset | truncate | redirect | slow | endless
    status: int = 200
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


def ok(body: bytes, **headers) -> Step:
    return Step("ok", 200, body, headers)


def status(code: int, **headers) -> Step:
    return Step("status", code, b"", {k.replace("_", "-"): v for k, v in headers.items()})


def reset() -> Step:
    return Step("reset")


def truncate(body: bytes) -> Step:
    return Step("truncate", 200, body)


def redirect(location: str, code: int = 302) -> Step:
    return Step("redirect", code, b"", {"Location": location})


def slow(body: bytes, delay: float) -> Step:
    return Step("slow", 200, body, {}, delay)


def endless() -> Step:
    """An answer whose body never ends (chunked, forever)."""
    return Step("endless")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.requests.append((self.path, dict(self.headers)))
            script = server.scripts.get(self.path.split("?", 1)[0], [status(404)])
            index = server.position.get(self.path, 0)
            server.position[self.path] = index + 1
            step = script[min(index, len(script) - 1)]
        if step.kind == "reset":
            self.close_connection = True
            self.request.close()
            return
        if step.delay:
            time.sleep(step.delay)
        if step.kind == "endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"\x89PNG" + b"\0" * 65532
            try:
                while True:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except OSError:
                return
        self.send_response(step.status)
        for key, value in step.headers.items():
            self.send_header(key, value)
        if step.kind == "truncate":
            self.send_header("Content-Length", str(len(step.body) * 2))
            self.end_headers()
            self.wfile.write(step.body)
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(step.body)))
        self.end_headers()
        self.wfile.write(step.body)


class FaultServer(LoopbackServer):
    def __init__(self):
        super().__init__(_Handler)
        self.httpd.lock = threading.Lock()
        self.httpd.scripts = {}
        self.httpd.position = {}
        self.httpd.requests = []
        self.start()

    def script(self, path: str, *steps: Step) -> str:
        self.httpd.scripts[path] = list(steps)
        return self.url + path

    @property
    def requests(self) -> list:
        return self.httpd.requests

    def hits(self, path: str) -> int:
        return sum(1 for p, _ in self.requests if p.split("?", 1)[0] == path)

