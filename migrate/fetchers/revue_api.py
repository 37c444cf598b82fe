"""`revue-api`: Revue's `GET /api/v2/issues`, live from a server or as a saved response body."""
from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import urljoin, urlsplit

from ..errors import UserError
from ..files import Utf8Stream, first_non_space, sha256_file
from ..http import FetchError, _display, answered_elsewhere, source_error
from ..mappings import parse_date
from ..record import Issue, SourceProblem, Unchanged
from .base import Fetcher, register
from .revue import add_paths_from_url, clean_title, number_from_text, revue_issue_ref

TOKEN_ENV = "REVUE_API_TOKEN"
DEFAULT_BASE = "https://www.getrevue.co"


def api_token(base: str) -> str:
    """The token in $REVUE_API_TOKEN; UserError, naming the variable, when it is not set."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(f"Set {TOKEN_ENV} to your Revue API token (Revue: Integrations > API) to fetch from {_display(base)}.")
    return token


def _array_stream(raw_stream: IO[bytes], ref: str) -> tuple[Utf8Stream, io.BufferedReader]:
    """The body as UTF-8 (JSON must be, but a saved body may not be: re-encoded rather than lose
    the rest), at the opening `[` of its array of issues; UserError when it is no array."""
    text = Utf8Stream(raw_stream)
    stream = io.BufferedReader(text)
    if first_non_space(stream) != b"[":
        raise UserError(f"{ref} is not a Revue API issues response: expected a JSON array of issues; save the body of GET /api/v2/issues.")
    return text, stream


def _no_issues(spool: IO[bytes], ref: str) -> bool:
    """Whether a spooled body is an empty list of issues (a broken or odd one is not)."""
    import ijson

    from ..jsondata import array_entries

    spool.seek(0)
    try:
        _, stream = _array_stream(spool, ref)
        return next(array_entries(stream), None) is None
    except (UserError, ijson.JSONError):
        return False


def _counted(raw_stream: IO[bytes], start: int) -> int:
    """The number of issues in the body, read from `start`; the stream is put back there."""
    from ..jsondata import count_array_entries

    try:
        return count_array_entries(io.BufferedReader(Utf8Stream(raw_stream)))
    finally:
        raw_stream.seek(start)


@register
class RevueApiFetcher(Fetcher):
    name = "revue-api"
    listing = "archive"
    source_signs = {"json_keys": ("id", "title", "html")}
    platform = "revue"
    issue_ref = staticmethod(revue_issue_ref)
    help = "Revue API v2: a base URL (token in $REVUE_API_TOKEN) or a saved /api/v2/issues JSON body"

    @classmethod
    def check_source(cls, source: str) -> None:
        if source.startswith(("http://", "https://")):
            api_token(source)  # no token: refused before anything is written
        elif not Path(source).is_file():
            raise UserError(f"{source} is not a file; give --source a saved /api/v2/issues response (JSON) or the API's base URL.")
        else:
            with open(source, "rb") as handle:
                _array_stream(handle, source)  # an object, or no JSON: refused before anything is written

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        if self.source.startswith(("http://", "https://")):
            yield from self._from_server(self.source)
            return
        path = Path(self.source)
        if not path.is_file():
            raise UserError(f"{path} is not a file; give --source a saved /api/v2/issues response (JSON) or the API's base URL.")
        ref = str(path.resolve())
        body_hash = sha256_file(path)
        if self.context.unchanged_else_remember(ref, body_hash):
            yield Unchanged(ref, whole_source=True)
            return
        with open(path, "rb") as handle:
            yield from self._parse(handle, str(path))

    def _from_server(self, base: str) -> Iterator[Issue | SourceProblem | Unchanged]:
        token = api_token(base)
        parts = urlsplit(base)
        url = base if parts.path.rstrip("/").endswith("/api/v2/issues") else urljoin(base, "/api/v2/issues")
        client = self.context.client
        client.allow(url)  # the user named this server
        # The body is spooled to disk and parsed from there: retries stay possible, memory stays flat.
        headers = {"Authorization": f"Token {token}", "Accept": "application/json", **self.context.conditional_headers(url)}
        with tempfile.TemporaryFile() as spool:
            try:
                response = client.get(url, headers=headers, sink=spool)
            except FetchError as exc:
                if exc.status in (401, 403):
                    raise UserError(f"The server refused the token (HTTP {exc.status}); check that {TOKEN_ENV} holds your Revue API token.") from None
                raise source_error("the issues", exc, "check --source and your connection.") from None
            if response.status == 304:
                yield Unchanged(url, whole_source=True)
                return
            elsewhere = answered_elsewhere(url, response)
            if elsewhere and _no_issues(spool, url):
                raise UserError(f"{_display(url)} redirected to {elsewhere}, another server, which was not sent the token and "
                                "answered with no issues; give --source the API's own address and run again.")
            spool.seek(0)
            body_hash = sha256_file(spool)
            if self.context.unchanged_else_remember(url, body_hash, response.headers):
                yield Unchanged(url, whole_source=True)
                return
            spool.seek(0)
            yield from self._parse(spool, url)

    def _parse(self, raw_stream: IO[bytes], ref: str) -> Iterator[Issue | SourceProblem]:
        # Here, not at the top: a sync the server answers with 304 reads no JSON.
        import ijson

        from ..jsondata import array_entries

        start = raw_stream.tell()
        self.context.expect(lambda: _counted(raw_stream, start))
        text, stream = _array_stream(raw_stream, ref)
        order = 0
        try:
            for order, raw in enumerate(array_entries(stream)):
                issue = self._issue(raw, order, ref)
                if text.replaced and isinstance(issue, Issue) and any("\ufffd" in (v or "") for v in (issue.title, issue.html)):
                    issue.warnings.append("the source had bytes that are not text in its encoding; they show as \ufffd")
                yield issue
        except ijson.JSONError as exc:
            yield SourceProblem(f"{ref} after entry {order}", f"the JSON is broken ({exc}); the entries after this point could not be read", order + 1)

    def _issue(self, raw, order: int, ref: str) -> Issue | SourceProblem:
        where = f"{ref}[{order}]"
        if not isinstance(raw, dict):
            return SourceProblem(where, "the entry is not a JSON object", order)
        issue_id = raw.get("id")
        if issue_id is None or isinstance(issue_id, bool):
            return SourceProblem(where, "the entry has no `id`", order)
        issue_id = str(int(issue_id)) if isinstance(issue_id, float) else str(issue_id)
        body = raw.get("html")
        if not isinstance(body, str):
            return SourceProblem(f"{where} (id {issue_id})", "the entry has no `html` body", order, issue_id)
        issue = Issue(platform=self.platform, source_id=issue_id, html=body, source_ref=where, order=order,
                      source_hash=hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest())
        issue.title = clean_title(raw.get("title") if isinstance(raw.get("title"), str) else None, self.mapping, decode_entities=True)
        issue.number = number_from_text(issue.title)
        description = raw.get("description")
        if isinstance(description, str) and description.strip():
            from bs4 import BeautifulSoup  # here: a sync that finds the archive unchanged parses nothing

            issue.description = " ".join(BeautifulSoup(description, "lxml").get_text(" ").split()) or None
        try:
            issue.date = parse_date(raw.get("sent_at"))
        except ValueError:
            issue.warnings.append(f"sent_at {raw.get('sent_at')!r} is not a date; the issue has no date")
        issue.draft = issue.date is None
        url = raw.get("url")
        if isinstance(url, str) and url:
            issue.old_urls.append(url)
            parsed = add_paths_from_url(issue, url)
            if parsed and parsed.slug:
                issue.slug = parsed.slug
        return issue

