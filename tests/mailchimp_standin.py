"""A loopback stand-in for Mailchimp's Marketing API 3.0, speaking the parts `mailchimp-api` reads
as the real API does:

- HTTP Basic authentication with the API key as the password (any user name); a wrong or missing
  key gets 401 with Mailchimp's problem+json body;
- `GET /3.0/campaigns` with `status`, `sort_field` (send_time, create_time), `sort_dir`, `count`
  (default 10, at most 1000), `offset` and `fields` (dotted paths to keep): `campaigns`,
  `total_items`, `_links`;
- `GET /3.0/campaigns/{id}/content`: the content object, with an ETag, answering If-None-Match
  with 304; 404 problem+json for an unknown campaign;
- faults a test asks for: a number of 429s (with Retry-After) before a path answers, 500s for
  the content of given campaigns and 503s for given list pages, every time.

It binds 127.0.0.1 only.
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .loopback import LoopbackServer

ERRORS_DOC = "https://mailchimp.com/developer/marketing/docs/errors/"


@dataclass
class MailchimpAccount:
    """What the stand-in serves: campaigns as the API lists them, and each one's content."""

    campaigns: list[dict]
    contents: dict[str, dict]
    api_key: str
    rate_limited: Counter = field(default_factory=Counter)   # path -> 429s still to send before answering
    retry_after: str = "1"
    failing: set[str] = field(default_factory=set)           # campaign ids whose content answers 500
    failing_offsets: set[int] = field(default_factory=set)   # list pages (by offset) that answer 503
    hits: Counter = field(default_factory=Counter)
    not_modified: int = 0
    authorizations: list[str] = field(default_factory=list)  # the Authorization headers received

    @classmethod
    def from_fixtures(cls, folder: Path, api_key: str) -> "MailchimpAccount":
        campaigns = json.loads((folder / "campaigns.json").read_text(encoding="utf-8"))
        contents = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (folder / "content").glob("*.json")}
        return cls(campaigns, contents, api_key)

    def campaign(self, campaign_id: str) -> dict | None:
        return next((c for c in self.campaigns if c["id"] == campaign_id), None)


def _problem(status: int, title: str, detail: str) -> dict:
    return {"type": ERRORS_DOC, "title": title, "status": status, "detail": detail, "instance": str(uuid.uuid4())}


def _keep(value, paths: list[list[str]]):
    """Only the dotted paths asked for with `fields=` (as Mailchimp filters its answers)."""
    if not paths or any(not p for p in paths):
        return value
    if isinstance(value, list):
        return [_keep(item, paths) for item in value]
    if not isinstance(value, dict):
        return value
    kept = {}
    for key in value:
        below = [p[1:] for p in paths if p[0] == key]
        if below:
            kept[key] = _keep(value[key], below)
    return kept


class _Handler(BaseHTTPRequestHandler):
    account: MailchimpAccount  # set per server

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, body: dict | None, headers: dict | None = None) -> None:
        data = json.dumps(body).encode("utf-8") if body is not None else b""
        self.send_response(status)
        content_type = "application/problem+json; charset=utf-8" if status >= 400 else "application/json; charset=utf-8"
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _authorized(self) -> bool:
        header = self.headers.get("Authorization", "")
        self.account.authorizations.append(header)
        if not header.startswith("Basic "):
            return False
        try:
            _user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return password == self.account.api_key

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        account = self.account
        parts = urlsplit(self.path)
        account.hits[parts.path] += 1
        if not self._authorized():
            self._send(401, _problem(401, "API Key Invalid", "Your API key may be invalid, or you've attempted to access the wrong datacenter."))
            return
        if account.rate_limited[parts.path] > 0:
            account.rate_limited[parts.path] -= 1
            self._send(429, _problem(429, "Too Many Requests", "You have exceeded the limit of 10 simultaneous connections."),
                       {"Retry-After": account.retry_after})
            return
        segments = [s for s in parts.path.split("/") if s]
        if segments == ["3.0", "campaigns"]:
            self._campaigns(parse_qs(parts.query))
        elif len(segments) == 4 and segments[:2] == ["3.0", "campaigns"] and segments[3] == "content":
            self._content(segments[2])
        else:
            self._send(404, _problem(404, "Resource Not Found", "The requested resource could not be found."))

    def _campaigns(self, query: dict) -> None:
        def one(name: str, default: str) -> str:
            return (query.get(name) or [default])[0]

        try:
            count, offset = min(int(one("count", "10")), 1000), int(one("offset", "0"))
        except ValueError:
            self._send(400, _problem(400, "Invalid Resource", "count and offset must be numbers."))
            return
        if offset in self.account.failing_offsets:
            self._send(503, _problem(503, "Service Unavailable", "The service is temporarily unavailable."))
            return
        found = [c for c in self.account.campaigns if not one("status", "") or c.get("status") == one("status", "")]
        sort_field = one("sort_field", "")
        if sort_field in ("send_time", "create_time"):
            found.sort(key=lambda c: c.get(sort_field) or "", reverse=one("sort_dir", "ASC").upper() == "DESC")
        page = copy.deepcopy(found[offset:offset + count])
        body = {"campaigns": page, "total_items": len(found),
                "_links": [{"rel": "self", "href": "/3.0/campaigns", "method": "GET"}]}
        paths = [p.split(".") for p in one("fields", "").split(",") if p]
        self._send(200, _keep(body, paths) if paths else body)

    def _content(self, campaign_id: str) -> None:
        account = self.account
        content = account.contents.get(campaign_id)
        if account.campaign(campaign_id) is None or content is None:
            self._send(404, _problem(404, "Resource Not Found", "The requested resource could not be found."))
            return
        if campaign_id in account.failing:
            self._send(500, _problem(500, "Internal Server Error", "An unexpected internal error has occurred."))
            return
        etag = '"' + hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:32] + '"'
        if self.headers.get("If-None-Match") == etag:
            account.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self._send(200, content, {"ETag": etag})


class MailchimpStandin(LoopbackServer):
    def __init__(self, account: MailchimpAccount):
        super().__init__(type("Handler", (_Handler,), {"account": account}))
        self.account = account

    @property
    def api(self) -> str:
        return f"{self.url}/3.0"

