"""`buttondown-api`: Buttondown's API v1 `GET /v1/emails`, live, or a saved response body.

Live, the key comes from $BUTTONDOWN_API_KEY and is sent as `Authorization: Token <key>`; the
listing is paginated (`results`, `next`, `count`) and every page is followed through `next`, on
the same server only (the key never goes to another host). The pages are spooled to disk as they
come, one email a line, so memory stays flat; when the emails are exactly those of the last
complete run (the API sends no validators to ask with), nothing is parsed or rendered again.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator
from urllib.parse import urljoin, urlsplit

import ijson

from .. import jsondata
from ..errors import UserError
from ..files import sha256_file
from ..http import FetchError, _display, answered_elsewhere, source_error
from ..record import Issue, SourceNote, SourceProblem, Unchanged
from .base import Fetcher, register
from .buttondown import (LIST_SHAPE, NO_ARCHIVE_URL, PLATFORM_OPTIONS, TOKEN_ENV, buttondown_issue_ref, check_email_list,
                         check_options, email_issue, email_list, missing_archive_url, username_in, with_username)

DEFAULT_BASE = "https://api.buttondown.com/v1"
MAX_PAGES = 10_000


def emails_url(base: str) -> str:
    """The emails endpoint of an API base: `.../v1/emails` as given, `.../v1` + `/emails`, or a
    bare host + `/v1/emails`."""
    path = urlsplit(base).path.rstrip("/")
    if path.endswith("/emails"):
        return base
    if path.endswith("/v1"):
        return base.rstrip("/") + "/emails"
    return urljoin(base, "/v1/emails")


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.hostname, pa.port) == (pb.scheme, pb.hostname, pb.port)


def api_key(url: str) -> str:
    """The key in $BUTTONDOWN_API_KEY; UserError, naming the variable, when it is not set."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise UserError(f"Set {TOKEN_ENV} to your Buttondown API key (Buttondown: Settings > API) to fetch from {_display(url)}.")
    return token


@register
class ButtondownApiFetcher(Fetcher):
    name = "buttondown-api"
    listing = "archive"
    source_signs = {"json_keys": ("id", "subject", "body")}
    platform = "buttondown"
    issue_ref = staticmethod(buttondown_issue_ref)
    platform_options = PLATFORM_OPTIONS
    help = f"Buttondown API v1: the API base (default {DEFAULT_BASE}; key in ${TOKEN_ENV}) or a saved GET /v1/emails JSON body"

    @classmethod
    def default_source(cls) -> str | None:
        return DEFAULT_BASE

    @classmethod
    def check_source(cls, source: str) -> None:
        if source.startswith(("http://", "https://")):
            api_key(emails_url(source))  # no key: refused before anything is written
        elif not Path(source).is_file():
            raise UserError(f"{source} is not a file; give --source the API base ({DEFAULT_BASE}) or a saved GET /v1/emails response (JSON).")
        else:
            with open(source, "rb") as handle:
                check_email_list(handle, _wrong_saved(source))

    @classmethod
    def check_options(cls, options: dict[str, str]) -> None:
        check_options(options)

    without_archive_url = 0  # public emails the source gives no archive address for

    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        if self.source.startswith(("http://", "https://")):
            yield from self._from_server(emails_url(self.source))
            yield from self._note_missing_archive_urls(_display(self.source))
            return
        path = Path(self.source)
        ref = str(path.resolve())
        body_hash = sha256_file(path)
        if self.context.unchanged_else_remember(ref, body_hash):
            yield Unchanged(ref, whole_source=True)
            return
        with open(path, "rb") as handle:
            self.context.expect(lambda: _counted(handle))
            handle.seek(0)
            yield from self._parse_saved(handle, ref)
        yield from self._note_missing_archive_urls(ref)

    # ------------------------------------------------------------------ live
    def _from_server(self, url: str) -> Iterator[Issue | SourceProblem | Unchanged]:
        token = api_key(url)
        client = self.context.client
        client.allow(url)  # the user named this server
        headers = {"Authorization": f"Token {token}", "Accept": "application/json"}
        problems: list[SourceProblem] = []
        digest = hashlib.sha256()
        with tempfile.TemporaryFile() as spool:
            usernames: set[str] = set()
            count = self._spool_pages(url, headers, spool, digest, problems, usernames)
            if not problems and self.context.unchanged_body(url, digest.hexdigest()):
                yield Unchanged(url, whole_source=True)
                return
            if not problems:
                self.context.remember(url, body_hash=digest.hexdigest())
            options = with_username(self.context.options, usernames)
            spool.seek(0)
            self.context.expect(lambda: sum(1 for _ in spool) + len(problems))
            spool.seek(0)
            listed = 0
            for order, line in enumerate(spool):
                listed += 1
                raw = jsondata.loads(line)
                ref = f"{url}#{raw.get('id')}" if isinstance(raw, dict) else f"{url}[{order}]"
                if self.context.wants(ref):
                    yield self._issue(raw, order, ref, options)
            yield from problems
            if listed == 0 and not problems:  # never a silent empty run
                yield SourceNote(_display(url), f"the API listed no emails: nothing was migrated; check that {TOKEN_ENV} "
                                 "is the key of the newsletter to migrate")
            if count is not None and count > listed and not problems:
                yield SourceProblem(_display(url), f"the API counted {count} emails but listed {listed}; run again to fetch the rest", listed)

    def _spool_pages(self, url: str, headers: dict, spool: IO[bytes], digest, problems: list, usernames: set) -> int | None:
        """Fetch every page into `spool`, one email a line; returns the API's `count`, and puts the
        usernames the emails' buttondown.com URLs name in `usernames`."""
        client = self.context.client
        seen: set[str] = set()
        count = None
        page_url: str | None = url
        while page_url and len(seen) < MAX_PAGES:
            seen.add(page_url)
            first = len(seen) == 1
            try:
                response = client.get(page_url, headers=headers)
            except FetchError as exc:
                if exc.status in (401, 403):
                    raise UserError(f"The API refused the key (HTTP {exc.status}); check that {TOKEN_ENV} holds your Buttondown API key.") from None
                if first:
                    raise source_error("the emails", exc, "check --source and your connection.") from None
                problems.append(SourceProblem(_display(page_url), f"this page of the listing could not be fetched ({exc}); the emails on it and after it are missing: run again"))
                return count
            page = _page(response.body)
            if page is None:
                if first:
                    raise UserError(f"{_display(page_url)} did not answer as Buttondown's emails endpoint (a JSON object with `results`); check --source.")
                problems.append(SourceProblem(_display(page_url), "this page of the listing is not a JSON object with `results`; the emails on it and after it are missing"))
                return count
            elsewhere = answered_elsewhere(page_url, response)
            if first and elsewhere and not page["results"]:
                raise UserError(f"{_display(page_url)} redirected to {elsewhere}, another server, which was not sent the key and "
                                "answered with no emails; give --source the API's own address and run again.")
            if isinstance(page.get("count"), int):
                count = page["count"]
            for raw in page["results"]:
                usernames.update(filter(None, [username_in(raw)]))
                line = json.dumps(raw, sort_keys=True, ensure_ascii=False).encode("utf-8")
                digest.update(line)
                spool.write(line + b"\n")
            following = page.get("next")
            if not isinstance(following, str) or not following:
                return count
            following = urljoin(page_url, following)
            if not _same_origin(following, url):
                problems.append(SourceProblem(_display(page_url), f"its next page is on another server ({_display(following)}); "
                                              "it was not followed, so the key stays with the server you named"))
                return count
            if following in seen:
                return count
            page_url = following
        return count

    # ------------------------------------------------------------------ saved
    def _parse_saved(self, raw_stream: IO[bytes], ref: str) -> Iterator[Issue | SourceProblem | SourceNote]:
        order = -1
        try:
            for order, raw in enumerate(email_list(raw_stream, _wrong_saved(ref))):
                yield self._issue(raw, order, f"{ref}#{raw.get('id')}" if isinstance(raw, dict) else f"{ref}[{order}]",
                                  self.context.options)
        except ijson.JSONError as exc:
            order = max(order, 0)
            yield SourceProblem(f"{ref} after email {order}", f"the JSON is broken ({exc}); the emails after this point could not be read", order + 1)
            return
        if order == -1:  # never a silent empty run
            yield SourceNote(ref, "lists no emails: nothing was migrated; check that it is the GET /v1/emails response of the newsletter to migrate")

    def _issue(self, raw, order: int, ref: str, options: dict) -> Issue | SourceProblem:
        if not isinstance(raw, dict):
            return SourceProblem(ref, "the entry is not a JSON object", order)
        body = raw.get("body")
        if not isinstance(body, str):
            email_id = raw.get("id")
            return SourceProblem(ref, "the email has no `body`", order, str(email_id) if isinstance(email_id, (str, int)) else None)
        issue = email_issue(raw, body, mapping=self.mapping, options=options, where=ref, order=order,
                            source_ref=ref, offload=self.context.offload)
        self.without_archive_url += missing_archive_url(issue)
        return issue

    def _note_missing_archive_urls(self, where: str) -> Iterator[SourceNote]:
        if self.without_archive_url:
            yield SourceNote(where, NO_ARCHIVE_URL.format(count=self.without_archive_url))


def _counted(handle: IO[bytes]) -> int:
    """How many emails a saved listing holds (for the progress bar); 0 where it cannot tell."""
    try:
        return sum(1 for _ in email_list(handle, ""))
    except (UserError, ijson.JSONError):
        return 0


def _wrong_saved(ref: str) -> str:
    return f"{ref} is not a Buttondown emails response ({LIST_SHAPE}); save the JSON body of GET /v1/emails."


def _page(body: bytes) -> dict | None:
    try:
        page = jsondata.loads(body.decode("utf-8", errors="replace"))
    except ValueError:
        return None
    if not isinstance(page, dict) or not isinstance(page.get("results"), list):
        return None
    return page
