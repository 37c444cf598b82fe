"""A loopback stand-in for the Wayback Machine: its CDX server and its capture server, speaking
them as web.archive.org does.

- `GET /cdx/search/cdx?url=...`: `matchType=exact|prefix` (or a trailing `*`), `output=json` (a
  JSON array, the field names first), `fl=`, `filter=[!]field:regex` (repeatable), `limit=N`
  (negative: the last N), `showResumeKey=true` / `resumeKey=` (an answer cut short by `limit` or
  by the server's own cap ends with `[]` and `[key]`), 429 with Retry-After while throttled,
  401 without the right Authorization when the archive wants one.
- `GET /web/<timestamp><modifier>/<original>`: the capture's bytes as archived, with the status
  the crawler got; a timestamp that is no capture redirects (302) to the closest one.
- Captures come from a manifest (tests/fixtures/wayback/archive.yaml describes the format).

    python -m tests.waybackserver --archive tests/fixtures/wayback/archive.yaml

It binds 127.0.0.1 only and prints `listening on PORT` once ready.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from migrate.standin import serve_until_stopped, tiny_png

from .loopback import LoopbackServer

_CAPTURE_PATH = re.compile(r"^/web/(?P<stamp>\d{1,14})(?P<mod>[a-z]{2}_)?/(?P<original>.+)$", re.DOTALL)
WAYBACK = Path(__file__).parent / "fixtures" / "wayback"
FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
NOT_ARCHIVED = (b"<!DOCTYPE html><html><head><title>Wayback Machine</title></head><body><h2>Hrm.</h2>"
                b"<p>The Wayback Machine has not archived that URL.</p></body></html>")


def canonical(url: str) -> str:
    """A URL as the index compares it: no scheme, no www, no default port, lower case."""
    url = url.strip()
    if "://" not in url[:10]:
        url = "http://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    return (host + port + parts.path + (f"?{parts.query}" if parts.query else "")).lower()


def surt(url: str) -> str:
    """The index's sort key for a URL (SURT): the host reversed, then the path."""
    key = canonical(url)
    host, _, rest = key.partition("/")
    return ",".join(reversed(host.split("."))) + ")/" + rest


@dataclass
class Stored:
    original: str
    timestamp: str
    body: bytes
    status: int = 200
    mimetype: str = "text/html"
    redirect_to: str | None = None
    serve: int | None = None
    listed: bool = True

    @property
    def urlkey(self) -> str:
        return surt(self.original)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()

    def row(self) -> dict:
        return {"urlkey": self.urlkey, "timestamp": self.timestamp, "original": self.original, "mimetype": self.mimetype,
                "statuscode": str(self.status), "digest": self.digest, "length": str(len(self.body))}


@dataclass
class WaybackArchive:
    """What the stand-in holds, how it behaves, and what it was asked."""

    captures: list[Stored] = field(default_factory=list)
    max_rows: int = 150000        # the server's own cap on rows per answer
    throttle: int = 0             # this many CDX requests are answered 429 first
    retry_after: str = "2"
    authorization: str | None = None
    latency: float = 0.0
    hits: Counter = field(default_factory=Counter)
    requests: list = field(default_factory=list)   # (path, headers)
    in_flight: int = 0
    most_in_flight: int = 0

    @classmethod
    def from_manifest(cls, path: Path, **behaviour) -> "WaybackArchive":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        archive = cls(**behaviour)
        for entry in data["captures"]:
            if "png" in entry:
                body = tiny_png(hashlib.sha256(entry["png"].encode()).digest())
            else:
                file = Path(entry["file"])
                body = (file if file.is_absolute() else Path(path).parent / file).read_bytes()
            archive.captures.append(Stored(entry["original"], str(entry["timestamp"]), body, int(entry.get("status", 200)),
                                           entry.get("mimetype", "text/html"), entry.get("redirect_to"), entry.get("serve"),
                                           entry.get("listed", True)))
        return archive

    def add(self, original: str, timestamp: str, body: bytes, **more) -> Stored:
        stored = Stored(original, timestamp, body, **more)
        self.captures.append(stored)
        return stored

    def capture_hits(self) -> int:
        return sum(n for path, n in self.hits.items() if path.startswith("/web/"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    @property
    def archive(self) -> WaybackArchive:
        return self.server.archive  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        archive = self.archive
        parts = urlsplit(self.path)
        with self.server.lock:  # type: ignore[attr-defined]
            archive.hits[self.path] += 1
            archive.requests.append((self.path, dict(self.headers)))
            archive.in_flight += 1
            archive.most_in_flight = max(archive.most_in_flight, archive.in_flight)
        try:
            if archive.latency:
                time.sleep(archive.latency)
            if archive.authorization and self.headers.get("Authorization") != archive.authorization:
                self._send(401, b"<html><body>Login required</body></html>")
            elif parts.path == "/cdx/search/cdx":
                self._cdx(parse_qs(parts.query, keep_blank_values=True))
            elif parts.path.startswith("/web/"):
                self._capture()
            else:
                self._send(404, NOT_ARCHIVED)
        finally:
            with self.server.lock:  # type: ignore[attr-defined]
                archive.in_flight -= 1

    # ------------------------------------------------------------------ the index
    def _cdx(self, query: dict) -> None:
        archive = self.archive
        with self.server.lock:  # type: ignore[attr-defined]
            throttled = archive.throttle > 0
            archive.throttle -= throttled
        if throttled:
            self._send(429, b"<html><body><h1>Too Many Requests</h1></body></html>", Retry_After=archive.retry_after)
            return
        url = query.get("url", [""])[0]
        match = query.get("matchType", ["exact"])[0]
        if url.endswith("*"):
            url, match = url.rstrip("*"), "prefix"
        wanted = canonical(url)
        rows = [c.row() for c in archive.captures if c.listed
                and (canonical(c.original).startswith(wanted) if match == "prefix" else canonical(c.original) == wanted)]
        rows.sort(key=lambda r: (r["urlkey"], r["timestamp"]))
        for spec in query.get("filter", []):
            negate, spec = spec.startswith("!"), spec.lstrip("!")
            name, _, pattern = spec.partition(":")
            rows = [r for r in rows if bool(re.fullmatch(pattern, r.get(name, ""))) != negate]
        resume = query.get("resumeKey", [None])[0]
        if resume:
            after = tuple(resume.rstrip("!").split(" ", 1))
            rows = [r for r in rows if (r["urlkey"], r["timestamp"]) > after]
        limit = int(query.get("limit", ["0"])[0] or 0)
        if limit < 0:
            page, more = rows[limit:], False
        else:
            size = min(limit or archive.max_rows, archive.max_rows)
            page, more = rows[:size], len(rows) > size
        fields = (query.get("fl", [""])[0] or ",".join(FIELDS)).split(",")
        if query.get("output", [""])[0] != "json":
            text = "\n".join(" ".join(r[f] for f in fields) for r in page)
            self._send(200, text.encode(), "text/plain")
            return
        answer = [fields, *[[r[f] for f in fields] for r in page]] if page else []
        if page and more and query.get("showResumeKey", [""])[0] == "true":
            answer += [[], [f"{page[-1]['urlkey']} {page[-1]['timestamp']}!"]]
        self._send(200, json.dumps(answer).encode(), "application/json")

    # ------------------------------------------------------------------ captures
    def _capture(self) -> None:
        found = _CAPTURE_PATH.match(self.path)
        if not found:
            self._send(404, NOT_ARCHIVED)
            return
        stamp, mod, original = found["stamp"], found["mod"] or "", found["original"]
        same = [c for c in self.archive.captures if canonical(c.original) == canonical(original)]
        if not same:
            self._send(404, NOT_ARCHIVED)
            return
        exact = next((c for c in same if c.timestamp == stamp), None)
        if exact is None:
            closest = min(same, key=lambda c: abs(int(c.timestamp) - int(stamp.ljust(14, "0"))))
            self._send(302, b"", Location=f"/web/{closest.timestamp}{mod}/{closest.original}")
            return
        if exact.redirect_to:
            self._send(302, b"", Location=f"/web/{exact.redirect_to}{mod}/{exact.original}")
            return
        if exact.serve:
            self._send(exact.serve, NOT_ARCHIVED)
            return
        self._send(exact.status, exact.body, exact.mimetype)


class WaybackServer(LoopbackServer):
    """The stand-in on a loopback port, in a background thread."""

    def __init__(self, archive: WaybackArchive, port: int = 0):
        super().__init__(_Handler, port)
        self.httpd.archive = archive  # type: ignore[attr-defined]
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        self.archive = archive

    @property
    def cdx(self) -> str:
        return f"{self.url}/cdx/search/cdx"

    @property
    def captures(self) -> str:
        return f"{self.url}/web"

    def options(self, **more) -> dict[str, str]:
        """The platform options that point the `wayback` fetcher here."""
        return {"cdx": self.cdx, "captures": self.captures, "cdx_pause": "0", **more}



@pytest.fixture
def wayback():
    """Start a loopback Wayback Machine: wayback(**behaviour) -> a running server holding the
    fixtures' archive (tests/fixtures/wayback/archive.yaml), or wayback(archive) for another."""
    servers = []

    def start(archive: WaybackArchive | None = None, **behaviour) -> WaybackServer:
        server = WaybackServer(archive or WaybackArchive.from_manifest(WAYBACK / "archive.yaml", **behaviour)).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A loopback stand-in for the Wayback Machine's CDX and capture servers.")
    parser.add_argument("--archive", type=Path, required=True, help="a manifest of captures (see tests/fixtures/wayback/archive.yaml)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-rows", type=int, default=150000, help="rows per CDX answer before a resume key")
    args = parser.parse_args(argv)
    server = WaybackServer(WaybackArchive.from_manifest(args.archive, max_rows=args.max_rows), args.port)
    print(f"listening on {server.httpd.server_address[1]}", flush=True)
    serve_until_stopped(server.httpd)
    return 0


if __name__ == "__main__":
    sys.exit(main())
