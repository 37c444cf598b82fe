"""`wayback`: a dead platform's issue pages, as the Wayback Machine captured them.

The source is a URL prefix, such as `getrevue.co/profile/NAME/issues/` (several may be given,
separated by commas: the platform's own host and a custom domain). The archive's CDX index lists
every capture under it; captures are grouped by the issue they show, however its URL was spelled
(http or https, with or without www, a trailing slash, a port, tracking parameters, a renamed
slug: the page parser's own `issue_ref` tells which issue a URL names). For each issue the best
capture is fetched raw (`id_`) and handed to the platform's page parser (`pages=`, see
fetchers/pages.py), so the issue is cleaned with that platform's mapping, not this one's.

The best capture: one the archive took before the platform closed (`until`, from
mappings/platforms/wayback.yaml), that answered 200, that is HTML, and of those the latest (the
issue as its author last left it). When it cannot be fetched or is not an issue page (an error
page saved with a 200), the next is tried, up to `tries`; an issue whose every capture failed is
reported with each capture's reason. Every URL the issue was captured at is one of its old paths.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit, urlunsplit

from ..errors import UserError
from ..http import FetchError
from ..mappings import TrackingRules, parse_date
from ..record import Issue, SourceProblem, Unchanged
from ..urls import path_of, strip_tracking
from ..wayback import Archive, ArchiveError, Capture, ReplayRules, UnreadableRow, read_capture, whole_option
from .base import FETCHERS, Fetcher, prefetch_in_order, register
from .pages import page_fetcher_for_host, page_fetchers

log = logging.getLogger(__name__)

MAX_REASONS = 6   # captures named in an issue's failure; the rest are counted


def parse_prefixes(source: str) -> list[str]:
    """The URL prefixes a --source names, without their scheme: `getrevue.co/profile/NAME/issues/`,
    several separated by commas; a Wayback Machine address of one (`web.archive.org/web/*/PREFIX*`)
    counts too."""
    prefixes = []
    for piece in source.split(","):
        text = piece.strip().rstrip("*")
        for _ in range(2):  # the archive's own address of a prefix wraps the prefix once
            text = text.split("://", 1)[1] if "://" in text[:10] else text
            host, _, rest = text.partition("/")
            if host.lower() in ("web.archive.org", "wayback.archive.org") and rest.startswith("web/"):
                text = rest[len("web/"):].partition("/")[2].rstrip("*")
        host, _, path = text.partition("/")
        if not text or any(ch.isspace() for ch in text) or "." not in host.strip(".") and ":" not in host or not path.strip("/"):
            raise UserError(f"{piece.strip()!r} is not a URL prefix of issue pages; give --source the folder they were under, "
                            "such as getrevue.co/profile/NAME/issues/.")
        prefixes.append(text)
    return prefixes


def page_url(original: str, tracking: TrackingRules) -> str | None:
    """A captured URL as the page's own address: no default port, no fragment, no tracking."""
    try:
        parts = urlsplit(original.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    netloc = parts.hostname.lower() + (f":{port}" if port and port != {"http": 80, "https": 443}[parts.scheme] else "")
    return strip_tracking(urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")), tracking)[0]


def url_identity(url: str) -> str:
    """One page however its URL was written: no scheme, no www, no trailing slash."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")


@dataclass
class CapturedIssue:
    """Every capture of one issue, under every URL it was captured at."""

    key: str
    issue_id: str | None
    captures: list[Capture] = field(default_factory=list)
    urls: dict[str, Capture] = field(default_factory=dict)   # page URL -> its first capture

    def add(self, capture: Capture, url: str) -> None:
        self.captures.append(capture)
        self.urls.setdefault(url, capture)

    @property
    def url(self) -> str:
        """The issue's URL as the index first lists it: how reports name the issue."""
        return next(iter(self.urls))


@register
class WaybackFetcher(Fetcher):
    name = "wayback"
    listing = "window"
    platform = "wayback"   # its own mapping (replay hosts, toolbar, closing days); see __init__
    help = "the Wayback Machine's captures of a dead platform's issue pages, under a URL prefix such as getrevue.co/profile/NAME/issues/"
    platform_options = {
        "pages": "the --platform that reads one captured page (default: from the prefix's host, e.g. revue-pages for getrevue.co)",
        "until": "the last day the platform served its pages, YYYY-MM-DD; later captures are not used (default: from mappings/platforms/wayback.yaml)",
        "tries": "captures tried per issue before it is reported (default 3)",
        "concurrency": "requests in flight to the archive at once (default 2; it rate-limits)",
        "cdx_pause": "seconds between requests to the CDX index (default 1; about 60 a minute are allowed)",
        "cdx": "the CDX endpoint (default https://web.archive.org/cdx/search/cdx)",
        "captures": "where captures are fetched, <captures>/<timestamp>id_/<url> (default https://web.archive.org/web)",
    }

    @classmethod
    def check_source(cls, source: str) -> None:
        if Path(source).exists():
            raise UserError(f"{source} is a file or folder on this machine; give --source the URL prefix the issues were "
                            "under (such as getrevue.co/profile/NAME/issues/), or read saved pages with --platform revue-pages.")
        parse_prefixes(source)

    def __init__(self, source: str, context):
        super().__init__(source, context)
        options = context.options
        self.prefixes = parse_prefixes(source)
        self.source = ",".join(f"https://{prefix}" for prefix in self.prefixes)  # one identity for the state
        own = self.mapping
        reader = self._page_fetcher(options.get("pages"), context)
        # Issues are the page parser's platform's: its mapping cleans them, its URLs link them.
        self.platform, self.mapping, self.issue_ref = reader.platform, reader.mapping, reader.issue_ref
        self.issue_hosts = reader.issue_hosts
        self.reader = reader.page_reader()
        # Without issue_ref, a parser cannot tell an issue's URL from another page's: read them all.
        self.recognises = type(reader).issue_ref is not Fetcher.issue_ref
        self.archive = Archive.from_options(context.client, options)
        captures_host = (urlsplit(self.archive.captures).hostname or "").lower()
        self.rules = ReplayRules(hosts=tuple(dict.fromkeys([*own.hosts, captures_host])),
                                 prefixes=tuple(dict.fromkeys([urlsplit(self.archive.captures).path.rstrip("/"), "/web"])),
                                 toolbar=tuple(own.chrome_remove))
        self.until = self._until(options.get("until"), own.section("wayback", {}).get("closed", {}))
        # Captures taken after this moment are the platform's goodbye, not its issues.
        self.last_moment = self.until.strftime("%Y%m%d") + "235959" if self.until else "99999999999999"
        self.tries = whole_option(options, "tries", 3, 1, 20)

    def _page_fetcher(self, name: str | None, context) -> Fetcher:
        readers = page_fetchers()
        if not name:
            hosts = [urlsplit(f"https://{prefix}").hostname or "" for prefix in self.prefixes]
            found = {page_fetcher_for_host(host, context.mappings) for host in hosts} - {None}
            if len(found) != 1:
                raise UserError(f"Say which parser reads these pages with --platform-option pages=NAME (one of: {', '.join(readers)}); "
                                f"the tool does not know which platform served {', '.join(hosts)}.")
            name = found.pop()
        if name not in readers:
            what = "is not a --platform" if name not in FETCHERS else "does not read single pages"
            raise UserError(f"--platform-option pages={name!r} {what}; use one of: {', '.join(readers)}.")
        return readers[name](f"https://{self.prefixes[0]}", context)

    def _until(self, given: str | None, closed: dict) -> dt.date | None:
        if given:
            try:
                day = parse_date(given)
            except ValueError:
                raise UserError(f"--platform-option until={given!r} must be a date, YYYY-MM-DD.") from None
            return day.date() if isinstance(day, dt.datetime) else day
        return closed.get(self.platform)

    # ------------------------------------------------------------------ the listing
    def entries(self) -> Iterator[Issue | SourceProblem | Unchanged]:
        groups, problems = self._listing()
        yield from problems
        ordered = sorted(groups.values(), key=lambda g: (min(c.timestamp for c in g.captures), g.key))
        wanted = [(order, group) for order, group in enumerate(ordered)
                  if any(self.context.wants(self.archive.capture_url(c)) for c in group.captures)]
        self.context.expect(len(wanted) + len(problems))
        for (order, group), result in prefetch_in_order(wanted, self._issue, self.archive.concurrency):
            if isinstance(result, Exception):
                result = SourceProblem(group.url, f"could not be read ({type(result).__name__}: {result})", order, group.issue_id)
            yield result

    def _listing(self) -> tuple[dict[str, CapturedIssue], list[SourceProblem]]:
        """Every capture under the prefixes, grouped by issue; rows that are no capture."""
        groups: dict[str, CapturedIssue] = {}
        problems: list[SourceProblem] = []
        others: list[str] = []
        rows = 0
        for prefix in self.prefixes:
            try:
                for number, row in enumerate(self.archive.captures_under(prefix), 1):
                    rows += 1
                    if isinstance(row, UnreadableRow):
                        problems.append(SourceProblem(f"CDX row {number} under {prefix}", f"{row.reason}; it was skipped", len(problems)))
                        continue
                    url = page_url(row.original, self.context.mappings.tracking)
                    if url is None:
                        problems.append(SourceProblem(f"CDX row {number} under {prefix}", f"names no http(s) URL ({row.original[:80]!r}); it was skipped", len(problems)))
                        continue
                    ref = self.issue_ref(url)
                    if ref is None and self.recognises:
                        others.append(url)
                        continue
                    key = f"id:{ref[0]}" if ref else f"url:{url_identity(url)}"
                    groups.setdefault(key, CapturedIssue(key, ref[0] if ref else None)).add(row, url)
            except ArchiveError as exc:
                raise UserError(f"Could not list the Wayback Machine's captures under {prefix}: {exc}.") from None
        if not groups:
            found = f"{rows} capture(s), none of an issue page" if rows else "no capture"
            raise UserError(f"The archive holds {found} under {', '.join(self.prefixes)}; check the prefix "
                            "(such as getrevue.co/profile/NAME/issues/) and --platform-option pages.")
        if others:
            unique = sorted(set(others))
            log.info("%d captured URL(s) under the prefix are not issue pages and were skipped, e.g. %s", len(unique), unique[0])
        return groups, problems

    # ------------------------------------------------------------------ one issue
    def _ranked(self, group: CapturedIssue) -> tuple[list[Capture], list[str]]:
        """The captures worth fetching, best first, and why the others are not."""
        usable, notes = [], []
        for capture in group.captures:
            if capture.timestamp > self.last_moment:
                notes.append(f"capture {capture.timestamp}: taken after {self.platform} closed on {self.until}")
            elif capture.status not in ("200", "-"):  # "-": a revisit, the same bytes as an earlier capture
                notes.append(f"capture {capture.timestamp}: the page answered HTTP {capture.status} when it was captured")
            else:
                usable.append(capture)
        usable.sort(key=lambda c: (c.status != "200", not c.mimetype.startswith("text/html"), -int(c.timestamp)))
        return usable, notes

    def _issue(self, item: tuple[int, CapturedIssue]) -> Issue | SourceProblem | Unchanged:
        order, group = item
        candidates, notes = self._ranked(group)
        paths = sorted({path_of(url).rstrip("/") or "/" for url in group.urls})
        # Re-sync: the same captures as when the last complete run read this issue (captures never
        # change) mean the same issue; a new capture ranked above the one read means reading again.
        for position, capture in enumerate(candidates[: self.tries]):
            ref = self.archive.capture_url(capture)
            if self.context.unchanged_body(ref, self._stamp(candidates[: position + 1], paths)):
                return Unchanged(ref)
        failed: list[str] = []
        refused: set[str] = set()   # digests whose bytes were read and were no issue page
        for position, capture in enumerate(candidates[: self.tries]):
            ref = self.archive.capture_url(capture)
            if capture.digest and capture.digest in refused:
                failed.append(f"capture {capture.timestamp}: the same bytes as one already refused")
                continue
            try:
                response = self.archive.fetch(capture)
            except FetchError as exc:
                failed.append(f"capture {capture.timestamp}: {exc}")
                continue
            stamp, original = self.archive.landed(response) or (capture.timestamp, capture.original)
            if stamp > self.last_moment:
                failed.append(f"capture {capture.timestamp}: the archive sent capture {stamp} instead, taken after {self.platform} closed on {self.until}")
                continue
            tracking = self.context.mappings.tracking
            url = page_url(original, tracking) or page_url(capture.original, tracking) or group.url
            result = self.context.offload(read_capture, self.reader, response.body, stamp, self.rules, ref, order, url)
            if isinstance(result, SourceProblem):
                failed.append(f"capture {capture.timestamp}: {result.reason}")
                refused.add(capture.digest)
                continue
            self._finish(result, group, capture, stamp, failed)
            self.context.remember(ref, body_hash=self._stamp(candidates[: position + 1], paths))
            return result
        reasons = failed + notes
        untried = len(candidates) - min(len(candidates), self.tries)
        listed = "; ".join(reasons[:MAX_REASONS]) + (f"; and {len(reasons) - MAX_REASONS} more" if len(reasons) > MAX_REASONS else "")
        more = f"; {untried} more capture(s) not tried (raise --platform-option tries)" if untried else ""
        return SourceProblem(group.url, f"no capture in the Wayback Machine could be read: {listed}{more}", order, group.issue_id)

    def _finish(self, issue: Issue, group: CapturedIssue, capture: Capture, stamp: str, failed: list[str]) -> None:
        """The issue as read from one capture, with every URL it was captured at as an old path."""
        for url in group.urls:
            issue.add_old_path(path_of(url).rstrip("/") or "/")
            if url not in issue.old_urls:
                issue.old_urls.append(url)
        issue.source_ref = self.archive.capture_url(capture)
        day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
        if failed:
            issue.warnings.append(f"read from the Wayback Machine's capture of {day}, as better ones failed: {'; '.join(failed)}")
        first = min(c.timestamp for c in group.captures)
        issue.date_hint = f"the Wayback Machine first captured it on {first[:4]}-{first[4:6]}-{first[6:8]}: it was sent on or before that day"
        # The issue as the source holds it, now with every URL it was captured at: a re-sync compares this.
        issue.source_hash = hashlib.sha256(json.dumps([issue.source_hash, [p.path for p in issue.old_paths]]).encode()).hexdigest()

    @staticmethod
    def _stamp(captures: list[Capture], paths: list[str]) -> str:
        """What decided an issue: the capture read and those ranked above it (which failed), and
        the URLs it was captured at. The archive never changes a capture, so the same stamp means
        the same issue."""
        return hashlib.sha256(json.dumps([[[c.timestamp, c.digest] for c in captures], paths]).encode()).hexdigest()
