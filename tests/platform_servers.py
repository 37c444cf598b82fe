"""Loopback stand-ins for the Buttondown API and for a feed host, speaking as the real ones do.

- `ButtondownApi`: `GET /v1/emails?page=N` with `Authorization: Token <key>`; answers
  `{"count", "next", "previous", "results"}` pages with absolute `next` links, 401
  `{"detail": "Invalid token."}` for a wrong or missing key, 404 `{"detail": "Invalid page."}`
  past the end, and the faults a test queues for a page (429 with Retry-After, 5xx).
- `FeedHost`: one feed at `/feed.xml` with an ETag and Last-Modified, answering 304 to a request
  that names the current ETag.
Both answer any other path with a small PNG made from the path, so images can be remapped to them.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from migrate.standin import tiny_png

from .loopback import LoopbackServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status: int, body: bytes, content_type: str = "application/json", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        owner = self.server.owner
        with owner.lock:
            owner.requests.append((self.path, dict(self.headers)))
        owner.answer(self)


class _Base(LoopbackServer):
    def __init__(self):
        super().__init__(_Handler)
        self.lock = threading.Lock()
        self.requests: list[tuple[str, dict]] = []
        self.httpd.owner = self
        self.start()

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for p, _ in self.requests if urlsplit(p).path == path)

    def image(self, handler: _Handler) -> None:
        handler.send(200, tiny_png(hashlib.sha256(handler.path.encode()).digest()), "image/png")


class ButtondownApi(_Base):
    """A Buttondown account's emails behind the API, `page_size` to a page."""

    def __init__(self, emails: list[dict], key: str, page_size: int = 2):
        super().__init__()
        self.emails, self.key, self.page_size = emails, key, page_size
        self.faults: dict[int, list[tuple[int, dict]]] = defaultdict(list)
        self.next_base: str | None = None  # where `next` links point (default: this server)

    def fail(self, page: int, status: int, **headers) -> None:
        """Answer the next request for `page` with `status` (and headers) instead of the page."""
        self.faults[page].append((status, headers))

    def answer(self, handler: _Handler) -> None:
        parts = urlsplit(handler.path)
        if parts.path.rstrip("/") != "/v1/emails":
            return self.image(handler)
        if handler.headers.get("Authorization") != f"Token {self.key}":
            return handler.send(401, json.dumps({"detail": "Invalid token."}).encode())
        try:
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
        except ValueError:
            page = 0
        with self.lock:
            fault = self.faults[page].pop(0) if self.faults.get(page) else None
        if fault:
            status, headers = fault
            return handler.send(status, json.dumps({"detail": "Request was throttled."}).encode(), **headers)
        pages = max(1, -(-len(self.emails) // self.page_size))
        if page < 1 or page > pages:
            return handler.send(404, json.dumps({"detail": "Invalid page."}).encode())
        start = (page - 1) * self.page_size
        base = self.next_base or self.url
        body = {
            "count": len(self.emails),
            "next": f"{base}/v1/emails?page={page + 1}" if page < pages else None,
            "previous": (f"{base}/v1/emails?page={page - 1}" if page > 2 else f"{base}/v1/emails") if page > 1 else None,
            "results": self.emails[start:start + self.page_size],
        }
        handler.send(200, json.dumps(body).encode())


class FeedHost(_Base):
    """A feed at /feed.xml that answers conditional requests the way web servers do."""

    LAST_MODIFIED = "Sat, 01 Jun 2024 08:00:00 GMT"

    def __init__(self, feed: bytes):
        super().__init__()
        self.feed = feed
        self.not_modified = 0

    @property
    def feed_url(self) -> str:
        return f"{self.url}/feed.xml"

    def answer(self, handler: _Handler) -> None:
        if urlsplit(handler.path).path != "/feed.xml":
            return self.image(handler)
        etag = '"' + hashlib.sha256(self.feed).hexdigest()[:16] + '"'
        if handler.headers.get("If-None-Match") == etag:
            with self.lock:
                self.not_modified += 1
            return handler.send(304, b"", ETag=etag)
        handler.send(200, self.feed, "application/rss+xml; charset=utf-8", ETag=etag, Last_Modified=self.LAST_MODIFIED)
