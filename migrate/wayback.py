"""The Wayback Machine: its capture index (CDX), its raw captures, and its replay URLs.

Used by the `wayback` fetcher (a dead platform's issue pages, as the archive captured them) and,
when a run asks for it (`wayback_images`), by the image store for images whose host is gone.

What this module relies on, as the Wayback Machine documents and serves it
(https://github.com/internetarchive/wayback/tree/master/wayback-cdx-server):

- CDX: `GET <cdx>?url=<prefix>&matchType=prefix&output=json&fl=<fields>` answers a JSON array
  whose first row names the fields; with `showResumeKey=true`, an answer cut short by `limit`
  ends with an empty row and a row holding the key, sent back as `resumeKey=` for the rest.
  About 60 requests a minute are allowed per address: beyond that come 429s, and an address
  that ignores them is blocked, so CDX requests are spaced (`cdx_pause`) and a 429's
  Retry-After is honoured (by HttpClient).
- A capture's raw bytes are at `<captures>/<timestamp>id_/<original>`: no replay toolbar, links
  as they were. A timestamp that is not a capture redirects to the closest one.
- Replay URLs are `<captures>/<timestamp><modifier>/<original>` (modifier `im_`, `if_`, `js_`,
  `cs_`, `oe_`, `id_`, ... or none), absolute, protocol-relative or relative (`/web/...`).
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterator
from urllib.parse import urlencode, urlsplit, urlunsplit

import soupsieve

from . import jsondata
from .dom import flattened, parse_html
from .errors import UserError
from .http import FetchError, HostUnreachable, HttpClient, Response
from .mappings import Problems, _check_keys, parse_date, register_section

log = logging.getLogger(__name__)

DEFAULT_CDX = "https://web.archive.org/cdx/search/cdx"
DEFAULT_CAPTURES = "https://web.archive.org/web"
AUTH_ENV = "WAYBACK_AUTHORIZATION"   # an Authorization header for an archive behind a login
PUBLIC_ARCHIVE = "archive.org"      # the public Wayback Machine's domain: never sent AUTH_ENV
# How the user names an archive's two endpoints: on a `wayback` run, and for the image fallback of other runs.
PLATFORM_OPTION_NAMES = {"cdx": "--platform-option cdx", "captures": "--platform-option captures"}
CONFIG_NAMES = {"cdx": "wayback_cdx", "captures": "wayback_captures"}   # keys of migrate.yaml
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
PAGE_ROWS = 5000          # rows per CDX answer; the rest follow through resume keys
MAX_CDX_PAGES = 2000      # a server that keeps sending resume keys is not followed forever
GONE_STATUSES = (404, 410)

# /<timestamp><modifier>/<original>, the part of a replay URL after the captures base.
_REPLAY_TAIL = re.compile(r"^/(?P<stamp>\d{1,14})(?P<mod>[a-z]{2}_)?/(?P<rest>.+)$", re.DOTALL)
# Attributes that hold URLs a replay rewrites.
_URL_ATTRS = ("href", "src", "action", "poster", "background", "data-src", "cite", "longdesc", "content")


class ArchiveError(Exception):
    """The archive could not be asked, or answered something unreadable; one line for the user."""


@dataclass(frozen=True)
class Capture:
    """One row of the CDX index: a moment the archive fetched a URL, and what came back."""

    timestamp: str   # yyyyMMddhhmmss
    original: str    # the URL as the crawler asked for it
    mimetype: str = ""
    status: str = ""   # the HTTP status the crawler got; "-" for a revisit of earlier bytes
    digest: str = ""   # SHA-1 of the bytes, base32


@dataclass(frozen=True)
class UnreadableRow:
    """A CDX row that is not a capture (a broken line, a timestamp that is not one), and why."""

    reason: str


def capture_from_row(fields: list[str], row) -> Capture | UnreadableRow:
    if not isinstance(row, list) or not all(isinstance(value, str) for value in row) or len(row) != len(fields):
        return UnreadableRow(f"is not a row of {len(fields)} text fields")
    values = dict(zip(fields, row))
    timestamp, original = values.get("timestamp", ""), values.get("original", "")
    if not re.fullmatch(r"\d{14}", timestamp):
        return UnreadableRow(f"has no 14-digit timestamp ({timestamp[:20]!r})")
    try:
        dt.datetime.strptime(timestamp, "%Y%m%d%H%M%S")
    except ValueError:
        return UnreadableRow(f"has a timestamp that is no moment ({timestamp})")
    if not original.strip():
        return UnreadableRow("names no original URL")
    return Capture(timestamp, original.strip(), values.get("mimetype", ""), values.get("statuscode", ""), values.get("digest", ""))


def split_listing(rows) -> tuple[list[str], list, str | None]:
    """The field names, the data rows and the resume key (None at the end) of one CDX answer."""
    if not isinstance(rows, list):
        raise ArchiveError("the CDX server's answer is not a JSON array of rows")
    if not rows:
        return list(CDX_FIELDS), [], None
    fields, body = rows[0], rows[1:]
    if not isinstance(fields, list) or not fields or not all(isinstance(name, str) for name in fields):
        raise ArchiveError("the CDX server's answer does not start with a row of field names")
    resume = None
    if len(body) >= 2 and body[-2] == [] and isinstance(body[-1], list) and len(body[-1]) == 1 and isinstance(body[-1][0], str):
        resume, body = body[-1][0], body[:-2]
    return fields, body, resume


# --------------------------------------------------------------------------- the archive

def _checked_base(url: str, option: str, names: dict[str, str]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{names[option]} must be an http(s) URL, such as {DEFAULT_CDX if option == 'cdx' else DEFAULT_CAPTURES}, not {url!r}.")
    return url.rstrip("/")


def is_public_archive(url: str) -> bool:
    """Whether `url` is on the public Wayback Machine (any host under archive.org), as named,
    before any remap: an endpoint no credential of the user's is sent to."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    return host == PUBLIC_ARCHIVE or host.endswith("." + PUBLIC_ARCHIVE)


def whole_option(options: dict, name: str, default: int, low: int, high: int) -> int:
    """A platform option that is a whole number within bounds, or a UserError saying so."""
    text = str(options.get(name) or default)
    if not text.isdigit() or not low <= int(text) <= high:
        raise UserError(f"--platform-option {name}={text!r} must be a whole number from {low} to {high}.")
    return int(text)


class Archive:
    """The Wayback Machine (or another archive that speaks its CDX and replay URLs), asked
    politely: few requests at a time to its host, CDX requests spaced out, 429s honoured.

    `authorization` goes to an endpoint the user named, and never to the public Wayback Machine:
    a CDX server of one's own with the public captures gets it on its CDX requests only."""

    def __init__(self, client: HttpClient, cdx: str = DEFAULT_CDX, captures: str = DEFAULT_CAPTURES,
                 concurrency: int = 2, cdx_pause: float = 1.0, authorization: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.cdx = cdx
        self.captures = captures
        self.cdx_pause = cdx_pause
        self.concurrency = concurrency
        self.cdx_headers = {"Authorization": authorization} if authorization and not is_public_archive(cdx) else {}
        self.capture_headers = {"Authorization": authorization} if authorization and not is_public_archive(captures) else {}
        self.sleep, self.clock = sleep, clock
        self._pace_lock = threading.Lock()
        self._next_cdx = 0.0
        for url in {cdx, captures}:
            client.limit(url, concurrency)

    @classmethod
    def from_options(cls, client: HttpClient, options: dict, names: dict[str, str] = PLATFORM_OPTION_NAMES) -> "Archive":
        """The archive a run's platform options name (`cdx`, `captures`, `concurrency`,
        `cdx_pause`); a host the user named is one the run may reach. `names` says how the user
        names `cdx` and `captures`, for the errors."""
        cdx = _checked_base(options.get("cdx") or DEFAULT_CDX, "cdx", names)
        captures = _checked_base(options.get("captures") or DEFAULT_CAPTURES, "captures", names)
        for name in ("cdx", "captures"):
            if options.get(name):
                client.allow(options[name])
        pause = str(options.get("cdx_pause") or "1")
        try:
            cdx_pause = float(pause)
        except ValueError:
            cdx_pause = -1.0
        if not 0 <= cdx_pause <= 60:
            raise UserError(f"--platform-option cdx_pause={pause!r} must be a number of seconds from 0 to 60.")
        authorization = os.environ.get(AUTH_ENV, "").strip() or None
        archive = cls(client, cdx, captures, whole_option(options, "concurrency", 2, 1, 8), cdx_pause, authorization)
        if authorization and not archive.cdx_headers and not archive.capture_headers:
            log.warning("%s is set but not sent: it goes only to an archive you name (%s, %s), never to the public "
                        "Wayback Machine.", AUTH_ENV, names["cdx"], names["captures"])
        return archive

    # ------------------------------------------------------------------ the index
    def captures_under(self, prefix: str) -> Iterator[Capture | UnreadableRow]:
        """Every capture of every URL under `prefix`, page by page through resume keys. No
        collapsing: collapsed rows could hide an issue whose only captures repeat the bytes of
        another's, and an issue whose every capture failed must still be named."""
        query = {"url": prefix, "matchType": "prefix", "output": "json", "fl": ",".join(CDX_FIELDS),
                 "limit": str(PAGE_ROWS), "showResumeKey": "true"}
        seen_keys = set()
        while True:
            fields, rows, resume = split_listing(self._ask(query, prefix))
            for row in rows:
                yield capture_from_row(fields, row)
            if resume is None:
                return
            if resume in seen_keys or len(seen_keys) >= MAX_CDX_PAGES:
                raise ArchiveError(f"the CDX server keeps sending resume keys for {prefix} (after {len(seen_keys)} pages); try again later")
            seen_keys.add(resume)
            query = {**query, "resumeKey": resume}

    def first_good_capture(self, url: str) -> Capture | None:
        """The earliest capture of exactly this URL that answered 200, or None."""
        query = {"url": url, "output": "json", "fl": ",".join(CDX_FIELDS), "filter": "statuscode:200", "limit": "1"}
        fields, rows, _ = split_listing(self._ask(query, url))
        captures = (capture_from_row(fields, row) for row in rows)
        return next((capture for capture in captures if isinstance(capture, Capture)), None)

    def _ask(self, query: dict, what: str):
        with self._pace_lock:  # spaced out, whichever thread asks
            wait = self._next_cdx - self.clock()
            if wait > 0:
                self.sleep(wait)
            self._next_cdx = self.clock() + self.cdx_pause
        url = f"{self.cdx}?{urlencode(query)}"
        try:
            response = self.client.get(url, headers={"Accept": "application/json", **self.cdx_headers})
        except FetchError as exc:
            if exc.status in (401, 407):
                if is_public_archive(self.cdx):
                    raise ArchiveError(f"the archive's CDX server asks for credentials (HTTP {exc.status}), and {AUTH_ENV} is never "
                                       "sent to the public Wayback Machine: name your archive's own (--platform-option cdx, or "
                                       "wayback_cdx in the config)") from None
                raise ArchiveError(f"the archive's CDX server asks for credentials (HTTP {exc.status}); set {AUTH_ENV} "
                                   "to the Authorization header it expects") from None
            if exc.status == 403:
                raise ArchiveError(f"the archive refuses to list {what} (HTTP 403): the site may be excluded from it") from None
            raise ArchiveError(f"could not ask the CDX server about {what} ({exc})") from None
        if not response.body.strip():
            return []
        try:
            return jsondata.loads(response.body)
        except ValueError:
            raise ArchiveError(f"the CDX server's answer about {what} is not JSON; check --platform-option cdx") from None

    # ------------------------------------------------------------------ captures
    def capture_url(self, capture: Capture, modifier: str = "id_") -> str:
        return f"{self.captures}/{capture.timestamp}{modifier}/{capture.original}"

    def fetch(self, capture: Capture) -> Response:
        """A capture's raw bytes (following the archive's redirect to the closest capture)."""
        return self.client.get(self.capture_url(capture), headers={"Accept": "text/html,*/*;q=0.5", **self.capture_headers})

    def landed(self, response: Response) -> tuple[str, str] | None:
        """The timestamp and original URL of the capture a fetch ended at."""
        base = urlsplit(self.client.target(self.captures)).path.rstrip("/")  # where a remap sent it
        parts = urlsplit(response.url)
        if not parts.path.startswith(base + "/"):
            return None
        found = _REPLAY_TAIL.match(parts.path[len(base):])
        if not found:
            return None
        return found["stamp"], _original(found["rest"], parts.query, parts.fragment)


# --------------------------------------------------------------------------- replay URLs

@dataclass(frozen=True)
class ReplayRules:
    """How to recognise the archive's own traces in a capture: the hosts and path prefixes of
    its replay URLs, and the selectors of its toolbar."""

    hosts: tuple[str, ...] = ("web.archive.org",)
    prefixes: tuple[str, ...] = ("/web",)
    toolbar: tuple[str, ...] = ()


def _original(rest: str, query: str, fragment: str) -> str:
    """The original URL a replay URL wraps, from the part after its timestamp."""
    for scheme in ("http", "https"):  # a proxy may have folded `https://` into `https:/`
        if rest.startswith(f"{scheme}:/") and not rest.startswith(f"{scheme}://"):
            rest = f"{scheme}://{rest[len(scheme) + 2:]}"
    if not rest.startswith(("http://", "https://")):
        rest = "http://" + rest.lstrip("/")  # the archive's default when the scheme was left out
    parts = urlsplit(rest)
    return urlunsplit(parts._replace(query=query or parts.query, fragment=fragment or parts.fragment))


def replay_original(url: str, capture_timestamp: str, rules: ReplayRules) -> str | None:
    """The original URL a replay URL stands for, or None when `url` is not one to unwrap.

    Unwrapped: relative `/web/...` URLs, and absolute ones on an archive host that carry a
    modifier (`im_`, `if_`, ...) or this capture's own timestamp: the replay's rewriting.
    Kept: a plain link to another moment of the archive, which the author wrote on purpose.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.netloc and host not in rules.hosts:
        return None
    if parts.scheme not in ("", "http", "https"):
        return None
    for prefix in rules.prefixes:
        if parts.path.startswith(prefix + "/"):
            found = _REPLAY_TAIL.match(parts.path[len(prefix):])
            if not found:
                return None
            rewritten = not parts.netloc or found["mod"] or found["stamp"] == capture_timestamp
            return _original(found["rest"], parts.query, parts.fragment) if rewritten else None
    return None


def _unwrap_srcset(value: str, timestamp: str, rules: ReplayRules) -> str:
    candidates = []
    for candidate in value.split(","):
        pieces = candidate.strip().split(None, 1)
        if pieces:
            pieces[0] = replay_original(pieces[0], timestamp, rules) or pieces[0]
            candidates.append(" ".join(pieces))
    return ", ".join(candidates)


def unwrap_capture(data: bytes, timestamp: str, rules: ReplayRules) -> bytes:
    """A capture without the archive's traces: its toolbar gone, its replay URLs turned back
    into the originals, through the parse tree. Bytes come back unchanged when there was
    nothing to undo (the usual case for an `id_` capture)."""
    soup = parse_html(data)
    changed = bool(flattened(soup))
    if rules.toolbar:
        for el in soupsieve.select(", ".join(rules.toolbar), soup):
            el.decompose()
            changed = True
    for el in soup.find_all(True):
        for attr in _URL_ATTRS:
            value = el.get(attr)
            if isinstance(value, str):
                original = replay_original(value, timestamp, rules)
                if original is not None:
                    el[attr] = original
                    changed = True
        srcset = el.get("srcset")
        if isinstance(srcset, str):
            unwrapped = _unwrap_srcset(srcset, timestamp, rules)
            if unwrapped != srcset:
                el["srcset"] = unwrapped
                changed = True
    return soup.encode("utf-8") if changed else data


def read_capture(reader, data: bytes, timestamp: str, rules: ReplayRules, ref: str, order: int, page_url: str):
    """Undo the archive's traces, then hand the page to its platform's reader. Plain data in
    and out, so a run can do it in a worker process."""
    return reader(unwrap_capture(data, timestamp, rules), ref, order, page_url)


# --------------------------------------------------------------------------- images

def gone_for_good(error: FetchError) -> bool:
    """A failure the image's own host will not mend: its name does not resolve, nothing accepts
    the connection, or it answers that the image is not there (404) or gone (410)."""
    return isinstance(error, HostUnreachable) or error.status in GONE_STATUSES


class ArchivedImages:
    """The image store's fallback: where the archive keeps a copy of an image whose host
    failed for good (its earliest capture that answered 200), asked once per image."""

    def __init__(self, archive: Archive):
        self.archive = archive
        self.headers = archive.capture_headers   # archived images are captures

    @classmethod
    def for_run(cls, client: HttpClient, fetcher=None, cdx: str = "", captures: str = "") -> "ArchivedImages":
        """The run's archive: the one the `wayback` fetcher reads; else the one the config names
        (`wayback_cdx`, `wayback_captures`), or the public Wayback Machine (which `--remap` can
        point elsewhere, and which is never sent the archive's Authorization)."""
        archive = getattr(fetcher, "archive", None)
        if isinstance(archive, Archive):
            return cls(archive)
        return cls(Archive.from_options(client, {"cdx": cdx, "captures": captures}, CONFIG_NAMES))

    def locate(self, url: str, error: FetchError) -> str | None:
        """The URL of an archived copy of `url`; None when `error` is not one an archive mends;
        FetchError when the archive has no copy or could not be asked."""
        if not gone_for_good(error):
            return None
        try:
            capture = self.archive.first_good_capture(url)
        except ArchiveError as exc:
            raise FetchError(f"the Wayback Machine could not be asked ({exc})") from None
        if capture is None:
            raise FetchError("the Wayback Machine has no copy either")
        return self.archive.capture_url(capture, "im_")


# --------------------------------------------------------------------------- mapping data

@register_section("wayback")
def load_wayback_section(value, where: str, problems: Problems) -> dict:
    """`wayback:` in a platform mapping: `closed:` maps a platform to the last day it served its
    pages (captures after it hold its goodbye, not its issues)."""
    if not isinstance(value, dict):
        problems.add(where, "must be a mapping with `closed:`")
        return {}
    _check_keys(value, {"closed"}, where, problems)
    given = value.get("closed") or {}
    if not isinstance(given, dict):
        problems.add(f"{where} closed", "must map a platform to a date, such as `revue: 2023-01-18`")
        given = {}
    closed = {}
    for platform, day in given.items():
        try:
            parsed = parse_date(day)
        except ValueError as exc:
            problems.add(f"{where} closed.{platform}", str(exc))
            continue
        closed[str(platform)] = parsed.date() if isinstance(parsed, dt.datetime) else parsed
    return {"closed": closed}
