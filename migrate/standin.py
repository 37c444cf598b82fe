"""A loopback stand-in for a Revue account and its image host, for the demo, the tests and the
benchmark. It speaks the parts of Revue the fetchers read:

- `GET /api/v2/issues` with `Authorization: Token <token>`: the bare JSON array of issues;
- `GET /profile/<name>` (and `?page=N`): a profile archive page linking to each issue;
- `GET /profile/<name>/issues/<slug>-<id>`: an issue's public page (2019-22 shape);
- any other path: an image, from a folder of files or made up from the path.

    python -m migrate.standin --issues samples/revue-demo/issues.json --images samples/revue-demo/images

It binds 127.0.0.1 only, prints `listening on PORT` once ready, and stops on SIGTERM or Ctrl-C.
"""
from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import signal
import socket
import struct
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs, urlsplit

import lxml.html
from bs4 import BeautifulSoup
from lxml import etree
from slugify import slugify


def tiny_png(seed: bytes, width: int = 4, height: int = 3) -> bytes:
    """A valid PNG whose pixels depend on `seed`, so different paths give different bytes."""
    row = lambda y: b"\x00" + bytes(seed[(y * width + x) % len(seed)] for x in range(width) for _ in range(3))
    raw = b"".join(row(y) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@dataclass
class Account:
    """What the stand-in serves: issues as Revue's API returns them, and images by path."""

    issues: Callable[[], Iterable[dict]]
    images: Callable[[str], bytes | None] = lambda path: tiny_png(hashlib.sha256(path.encode()).digest())
    profile: str = "demo"
    token: str | None = None
    page_size: int = 50
    latency: float = 0.0
    hits: dict[str, int] = field(default_factory=dict)
    # What identifies the current archive, for ETags; by default a hash of the issues.
    version: Callable[[], str] | None = None
    conditional: bool = True          # answer If-None-Match with 304 Not Modified
    # Hang up after every answer (`Connection: close`), as the shared asset server and many image
    # hosts do: each request then pays for a new connection.
    close_connections: bool = False
    not_modified: int = 0             # how many 304s were sent
    _index: dict = field(default_factory=dict, repr=False)
    _index_version: str | None = field(default=None, repr=False)
    # Faults: this share of requests fails first (503, 429 with Retry-After, a reset connection, a
    # truncated body), each path at most `fault_tries` times, so a client that retries gets all.
    fault_rate: float = 0.0
    fault_tries: int = 2
    fault_seed: int = 1
    faults_sent: dict = field(default_factory=dict)

    def find(self, issue_id: str) -> dict | None:
        """The issue with this id. With a `version`, an index is kept per version of the archive,
        so serving N issue pages costs N lookups rather than N scans."""
        if self.version is None:
            return next((issue for issue in self.issues() if str(issue["id"]) == str(issue_id)), None)
        version = self.version()
        if self._index_version != version:
            self._index = {str(issue["id"]): issue for issue in self.issues()}
            self._index_version = version
        return self._index.get(str(issue_id))

    def etag(self, *parts: str) -> str:
        base = self.version() if self.version else hashlib.sha256(
            json.dumps(list(self.issues()), sort_keys=True).encode("utf-8")).hexdigest()
        return '"' + hashlib.sha256("/".join((base, *parts)).encode()).hexdigest()[:32] + '"'

    @classmethod
    def from_files(cls, issues_json: Path, images_dir: Path | None = None, **kwargs) -> "Account":
        data = json.loads(Path(issues_json).read_text(encoding="utf-8"))
        account = cls(issues=lambda: data, **kwargs)
        if images_dir:
            root = Path(images_dir).resolve()
            by_name = {p.name: p for p in root.rglob("*") if p.is_file()}

            def image(path: str) -> bytes | None:
                name = path.rstrip("/").rsplit("/", 1)[-1]
                file = by_name.get(name)
                return file.read_bytes() if file else None

            account.images = image
        return account


def issue_path(issue: dict, profile: str) -> str:
    return f"/profile/{profile}/issues/{slugify(issue.get('title') or '')}-{issue['id']}"


def page_title(issue: dict) -> str:
    """The title as a reader saw it: the API gives titles HTML-escaped, the page shows them decoded."""
    return html.unescape(issue.get("title") or "")


def render_issue_page(issue: dict, profile: str, origin: str) -> bytes:
    """An issue's public page in the 2019-22 shape, built through lxml's tree (in C: the stand-in
    must not add its own cost to the latency the benchmark sets)."""
    page = lxml.html.document_fromstring("<!DOCTYPE html><html><head></head><body></body></html>")
    head, body = page.find("head"), page.find("body")
    etree.SubElement(head, "title").text = f"{page_title(issue)} | Revue"
    etree.SubElement(head, "link", rel="canonical", href=origin + issue_path(issue, profile))
    header = etree.SubElement(body, "section", id="issue-header")
    etree.SubElement(header, "h1", {"class": "issue-title"}).text = page_title(issue)
    if issue.get("sent_at"):
        etree.SubElement(header, "time", datetime=issue["sent_at"]).text = issue["sent_at"][:10]
    frame = etree.SubElement(body, "div", id="issue-frame")
    if issue.get("html"):
        for node in lxml.html.fragments_fromstring(issue["html"]):
            if isinstance(node, str):  # leading text before the first element
                frame.text = (frame.text or "") + node
            else:
                frame.append(node)
    return lxml.html.tostring(page, doctype="<!DOCTYPE html>", encoding="utf-8")


def render_profile_page(issues: list[dict], profile: str, page: int, pages: int) -> bytes:
    doc = BeautifulSoup("<!DOCTYPE html><html><head><title>Archive | Revue</title></head><body></body></html>", "lxml")
    listing = doc.new_tag("ul", attrs={"class": "issues"})
    for issue in issues:
        item = doc.new_tag("li")
        link = doc.new_tag("a", href=issue_path(issue, profile))
        link.string = page_title(issue) or str(issue["id"])
        item.append(link)
        listing.append(item)
    doc.body.append(listing)
    if page < pages:
        doc.body.append(doc.new_tag("a", rel="next", href=f"/profile/{profile}?page={page + 1}"))
    return str(doc).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server_version = "revue-standin"
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm the body would wait for
    # the client's delayed ACK (about 40 ms on Linux) and every answer would look that much slower.
    disable_nagle_algorithm = True

    def log_message(self, *args) -> None:
        pass

    @property
    def account(self) -> Account:
        return self.server.account  # type: ignore[attr-defined]

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag and self.account.conditional:
            self.send_header("ETag", etag)
        if self.account.close_connections:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def _not_modified(self, etag: str) -> bool:
        """Answer 304 when the client already holds this version."""
        if self.account.conditional and self.headers.get("If-None-Match") == etag:
            with self.server.lock:  # type: ignore[attr-defined]
                self.account.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        return False

    def do_GET(self) -> None:
        account = self.account
        parts = urlsplit(self.path)
        with self.server.lock:  # type: ignore[attr-defined]
            account.hits[parts.path] = account.hits.get(parts.path, 0) + 1
        if account.latency:
            time.sleep(account.latency)
        if account.fault_rate and self._inject_fault(parts.path):
            return
        origin = f"http://{self.headers.get('Host', '127.0.0.1')}"
        profile_root = f"/profile/{account.profile}"
        if parts.path.rstrip("/") == "/api/v2/issues":
            if account.token and self.headers.get("Authorization") != f"Token {account.token}":
                self._send(401, b'{"error":"Unauthorized"}', "application/json")
                return
            etag = account.etag("api")
            if not self._not_modified(etag):
                self._send_api(etag)
        elif parts.path.rstrip("/") == profile_root:
            issues = list(account.issues())
            pages = max(1, -(-len(issues) // account.page_size))
            page = int(parse_qs(parts.query).get("page", ["1"])[0] or 1)
            chunk = issues[(page - 1) * account.page_size: page * account.page_size]
            self._send(200, render_profile_page(chunk, account.profile, page, pages), "text/html; charset=utf-8")
        elif parts.path.startswith(profile_root + "/issues/"):
            issue = account.find(parts.path.rsplit("-", 1)[-1])
            if issue is None:
                self._send(404, b"not found", "text/plain")
                return
            etag = '"' + hashlib.sha256(json.dumps(issue, sort_keys=True).encode("utf-8")).hexdigest()[:32] + '"'
            if not self._not_modified(etag):
                self._send(200, render_issue_page(issue, account.profile, origin), "text/html; charset=utf-8", etag)
        else:
            body = account.images(parts.path)
            if body is None:
                self._send(404, b"no such image", "text/plain")
            else:
                self._send(200, body, "application/octet-stream")

    def _inject_fault(self, path: str) -> bool:
        """Fail this request, as the account's fault rate says; True when it was failed."""
        account = self.account
        with self.server.lock:  # type: ignore[attr-defined]
            rng = self.server.__dict__.setdefault("fault_rng", random.Random(account.fault_seed))  # type: ignore[attr-defined]
            failed = account.faults_sent.get(path, 0)
            if failed >= account.fault_tries or rng.random() >= account.fault_rate:
                return False
            account.faults_sent[path] = failed + 1
            kind = rng.choice(["503", "429", "reset", "truncate"])
        if kind == "reset":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        self.send_response(503 if kind == "503" else 429 if kind == "429" else 200)
        if kind == "429":
            self.send_header("Retry-After", "1")
        body = b"<html>slow down</html>" if kind != "truncate" else b"\x89PNG\r\n\x1a\n partial"
        # A truncated answer promises twice what it sends, then hangs up.
        self.send_header("Content-Length", str(len(body) * (2 if kind == "truncate" else 1)))
        self.end_headers()
        self.wfile.write(body)
        if kind == "truncate":
            self.close_connection = True
        return True

    def _send_api(self, etag: str) -> None:
        # Streamed with chunked encoding: a 1,000-issue archive is never built as one string here.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        if self.account.conditional:
            self.send_header("ETag", etag)
        self.end_headers()

        def chunk(data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        chunk(b"[")
        for i, issue in enumerate(self.account.issues()):
            chunk((b"," if i else b"") + json.dumps(issue, ensure_ascii=False).encode("utf-8"))
        chunk(b"]")
        self.wfile.write(b"0\r\n\r\n")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # clients that hang up early are no concern of a stand-in


class StandinServer:
    """The stand-in on a loopback port, in a background thread; use as a context manager."""

    def __init__(self, account: Account, port: int = 0):
        self.httpd = _Server(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.account = account  # type: ignore[attr-defined]
        self.httpd.lock = threading.Lock()  # type: ignore[attr-defined]
        self.account = account
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="standin", daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "StandinServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "StandinServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A loopback stand-in for a Revue account and its image host.")
    parser.add_argument("--issues", type=Path, required=True, help="a Revue API issues JSON (bare array)")
    parser.add_argument("--images", type=Path, help="a folder of image files, served by file name")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--profile", default="demo")
    parser.add_argument("--token", help="require this API token")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each answer")
    args = parser.parse_args(argv)
    account = Account.from_files(args.issues, args.images, profile=args.profile, token=args.token, latency=args.latency)
    server = StandinServer(account, args.port)
    print(f"listening on {server.port}", flush=True)
    serve_until_stopped(server.httpd)
    return 0


def serve_until_stopped(httpd) -> None:
    """Serve in this thread until SIGTERM or Ctrl-C, then close the socket."""
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown).start())
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
