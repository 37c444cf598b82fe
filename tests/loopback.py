"""How every test stand-in runs: an HTTP server on a free 127.0.0.1 port, in a daemon thread,
that says nothing when a client hangs up mid-answer (which the fault tests arrange)."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging answer must not hold up a test's teardown

    def handle_error(self, request, client_address) -> None:
        pass


class LoopbackServer:
    """`httpd` serves `handler` once started; stand-ins hang their state on it or on themselves."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0):
        self.httpd = QuietServer(("127.0.0.1", port), handler)
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
