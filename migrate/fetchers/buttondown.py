"""What the two Buttondown forms share: Buttondown's URL forms, its email fields, its bodies.

An email (from the API, or a row of an export) has `id` (a UUID), `subject`, `body`, `slug`,
`status`, `email_type`, `publish_date` / `creation_date`, `secondary_id` (the email's number),
`description` and `absolute_url`. Archive pages live at `buttondown.com/<username>/archive/<slug>/`
(before 2024 `buttondown.email/<username>/archive/<slug>/`, the same path) or, on a custom domain,
at `/archive/<slug>/`.

A body is Markdown (Buttondown renders it, HTML inside included), unless it starts with the
editor's `<!-- buttondown-editor-mode: fancy -->` sigil, in which case it is HTML. Markdown is
rendered here with markdown-it-py so the same cleaning chain applies to every body; the raw HTML it
lets through is the unsafe cleaner's to remove, and its own links refuse script URLs.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
from dataclasses import dataclass
from typing import IO, Iterator
from urllib.parse import urlsplit

import ijson
from bs4 import BeautifulSoup

from ..errors import UserError
from ..files import Utf8Stream, first_non_space
from ..jsondata import array_entries
from ..mappings import PlatformMapping, parse_date
from ..record import Issue, SourceProblem
from .base import DRAFTS_OPTION, keeps_drafts

TOKEN_ENV = "BUTTONDOWN_API_KEY"
BUTTONDOWN_HOSTS = ("buttondown.com", "buttondown.email")

# Statuses of an email that went out (or is going out) to subscribers and sits in the archive.
# ("published" is what Buttondown's own command-line tool writes for all of these.)
SENT_STATUSES = {"sent", "imported", "about_to_send", "in_flight", "throttled", "resending", "paused", "published"}
# Statuses of an email that never went out: drafts (or skipped with drafts=skip).
DRAFT_STATUSES = {"draft", "scheduled", "managed_by_rss", "errored"}
# Statuses that are not newsletter issues at all.
SKIPPED_STATUSES = {"deleted": "it was deleted at Buttondown", "transactional": "it is a transactional email, not an issue"}

PLATFORM_OPTIONS = {
    "drafts": DRAFTS_OPTION,
    "username": "your Buttondown username: keeps the buttondown.com/<username>/archive/<slug>/ form "
                "when a source names only a custom domain, or no URL at all",
}

_ARCHIVE_PATH = re.compile(r"^/(?:(?P<user>[^/]+)/)?archive/(?P<slug>[^/]+)/?$")
_EDITOR_MODE = "buttondown-editor-mode:"


@dataclass(frozen=True)
class ArchivePath:
    slug: str
    username: str | None
    path: str


def _is_buttondown_host(host: str) -> bool:
    host = (host or "").lower()
    return any(host == h or host == "www." + h for h in BUTTONDOWN_HOSTS)


def parse_archive_url(url: str) -> ArchivePath | None:
    """Recognise an email's archive URL: `/<username>/archive/<slug>/` on Buttondown's own hosts,
    `/archive/<slug>/` on a custom domain."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    match = _ARCHIVE_PATH.match(parts.path or "")
    if not match:
        return None
    on_buttondown = _is_buttondown_host(parts.hostname or "")
    if on_buttondown != bool(match["user"]):
        return None  # Buttondown's hosts put the username first; custom domains do not
    return ArchivePath(match["slug"], match["user"], parts.path)


def buttondown_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The slug (and username) an archive URL names: how links between emails are recognised."""
    if not url.startswith(("http://", "https://")):
        return None
    parsed = parse_archive_url(url)
    return (parsed.slug, parsed.username) if parsed else None


def username_in(raw) -> str | None:
    """The username an email's absolute_url names, when it is on Buttondown's own hosts."""
    url = raw.get("absolute_url") if isinstance(raw, dict) else None
    parsed = parse_archive_url(url) if isinstance(url, str) else None
    return parsed.username if parsed else None


def with_username(options: dict, usernames: set[str]) -> dict:
    """The run's options, with the account's username when the user gave none and the emails'
    own URLs name exactly one: an email on a custom domain keeps its buttondown.com form too."""
    if (options.get("username") or "").strip() or len(usernames) != 1:
        return options
    return {**options, "username": next(iter(usernames))}


# ---------------------------------------------------------------------- bodies

_markdown = None


def _renderer():
    global _markdown
    if _markdown is None:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.footnote import footnote_plugin

        # CommonMark with raw HTML (Buttondown's Markdown allows it), tables, strikethrough and
        # footnotes, the extensions Buttondown renders. Link validation stays on: a Markdown link
        # to a javascript: or vbscript: URL is left as text.
        _markdown = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).use(footnote_plugin)
    return _markdown


def editor_mode(body: str) -> tuple[str | None, str]:
    """The editor mode a body's leading sigil names (fancy, plaintext, ...) and the body without it."""
    stripped = body.lstrip()
    if stripped.startswith("<!--"):
        comment, end, rest = stripped[4:].partition("-->")
        if end and comment.strip().startswith(_EDITOR_MODE):
            return comment.strip()[len(_EDITOR_MODE):].strip().lower() or None, rest
    return None, body


def render_body(body: str) -> str:
    """A body as HTML: HTML as it is in fancy mode, otherwise Markdown rendered."""
    mode, text = editor_mode(body)
    if mode == "fancy":
        return text
    return _renderer().render(text)


# ---------------------------------------------------------------------- emails

def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def clean_subject(subject: str, mapping: PlatformMapping) -> str | None:
    """A subject as a title: entities decoded once (JSON and CSV may carry them), whitespace
    trimmed, no platform suffix."""
    text = " ".join(html.unescape(subject).split())
    for suffix in mapping.title_suffixes:
        suffix = suffix.strip()
        if suffix and text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)].rstrip(" |-–—")
    return text or None


def _number(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and value >= 0 and float(value).is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _date(raw: dict, name: str, issue: Issue) -> dt.date | dt.datetime | None:
    value = raw.get(name)
    try:
        return parse_date(value.strip() if isinstance(value, str) else value)
    except ValueError:
        issue.warnings.append(f"{name} {value!r} is not a date")
        return None


def source_hash(raw: dict, body: str) -> str:
    payload = json.dumps({"email": raw, "body": body}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def email_issue(raw: dict, body: str, *, mapping: PlatformMapping, options: dict, where: str, order: int,
                source_ref: str, render=render_body) -> Issue | SourceProblem:
    """One Buttondown email as an Issue (or the reason it cannot be one).

    `body` is the email's Markdown or HTML; `render` turns it into HTML (the run may do that in a
    worker process). A draft is written with `draft: true`, or skipped with drafts=skip; a deleted
    or transactional email is skipped with its reason; a private email is written as a draft, since
    it was never in the public archive.
    """
    email_id = raw.get("id")
    email_id = "" if email_id is None or isinstance(email_id, bool) else str(email_id).strip()
    slug = _text(raw.get("slug"))
    source_id = email_id or slug
    if not source_id:
        return SourceProblem(where, "the email has neither an `id` nor a `slug`", order)
    issue = Issue(platform=mapping.name, source_id=source_id, html="", source_ref=source_ref, order=order,
                  source_hash=source_hash(raw, body))
    if not email_id:
        issue.warnings.append(f"has no id; it is known by its slug {slug!r}")
    subject = raw.get("subject")
    issue.title = clean_subject(subject, mapping) if isinstance(subject, str) else None
    issue.slug = slug or None
    issue.number = _number(raw.get("secondary_id"))
    description = _text(raw.get("description"))
    if description:
        issue.description = " ".join(BeautifulSoup(description, "lxml").get_text(" ").split()) or None

    status = _text(raw.get("status")).lower() or "sent"
    email_type = _text(raw.get("email_type")).lower() or "public"
    if status in SKIPPED_STATUSES:
        issue.skip_reason = SKIPPED_STATUSES[status]
    elif status in SENT_STATUSES:
        issue.date = _date(raw, "publish_date", issue)
        if issue.date is None:
            issue.date = _date(raw, "creation_date", issue)
            if issue.date is not None:
                issue.warnings.append("has no publish_date; its creation_date is used")
    else:
        if status not in DRAFT_STATUSES:
            issue.warnings.append(f"has the status {status!r}, which is not one of a sent email; it is written as a draft")
        issue.draft = True
        if not keeps_drafts(options):
            issue.skip_reason = f"an unsent email (status {status}); drafts=skip leaves it out"
    if email_type == "private" and not issue.draft:
        issue.draft = True
        issue.warnings.append("is a private email, never in the public archive; it is written as a draft")

    if issue.draft and issue.date is None:
        issue.date = _date(raw, "publish_date", issue)  # a scheduled email's date, when it has one
    _add_old_paths(issue, raw, options)
    issue.html = render(body) if body.strip() else ""
    if not body.strip():
        issue.warnings.append("has an empty body")
    return issue


def _add_old_paths(issue: Issue, raw: dict, options: dict) -> None:
    """The archive paths the email was reachable at: its absolute_url's path, and the
    buttondown.com form when the username is known (stated, or from the URL)."""
    if issue.draft:
        return  # an unsent email had no public page
    username = _text(options.get("username")) or None
    url = _text(raw.get("absolute_url"))
    parsed = parse_archive_url(url) if url else None
    if url and parsed is None:
        issue.warnings.append(f"its absolute_url {url!r} is not an archive URL Buttondown gives; it is not kept as an alias")
    if parsed:
        issue.old_urls.append(url)
        issue.add_old_path(parsed.path)
        username = username or parsed.username
        issue.slug = issue.slug or parsed.slug
    slug = issue.slug
    if username and slug:
        path = f"/{username}/archive/{slug}/"
        issue.add_old_path(path)  # the slug is the source's, the username the source's or the user's
        if not any(_is_buttondown_host(urlsplit(u).hostname or "") for u in issue.old_urls):
            issue.old_urls.append(f"https://buttondown.com{path}")
    elif not parsed:
        issue.warnings.append("has no archive URL; add --platform-option username=<your Buttondown username> "
                              "to keep its buttondown.com/<username>/archive/<slug>/ address")


# ---------------------------------------------------------------------- a list of emails

LIST_SHAPE = "a JSON array of emails, or an object whose `results` is one"


def email_list(handle: IO[bytes], wrong_shape: str) -> Iterator:
    """The entries of a list of emails, streamed: a JSON array, or an object whose `results` is
    an array (the body of GET /v1/emails). A file of any other shape raises UserError(wrong_shape)
    before the first entry; JSON broken midway raises ijson.JSONError after the entries before it."""
    stream = io.BufferedReader(Utf8Stream(handle))
    first = first_non_space(stream)
    if first not in (b"[", b"{"):
        raise UserError(wrong_shape)
    yield from array_entries(stream, None if first == b"[" else "results", wrong_shape)


def check_email_list(handle: IO[bytes], wrong_shape: str) -> None:
    """Refuse a list of emails of the wrong shape (UserError) by reading up to its first entry;
    broken JSON is left for the run, which keeps the entries before the break."""
    try:
        next(email_list(handle, wrong_shape), None)
    except ijson.JSONError:
        pass
