"""What the Buttondown forms share: Buttondown's URL forms, its email fields, its bodies.

An email (from the API, a row of an export, or a `buttondown pull` file's front matter) has `id`
(a UUID), `subject`, `body`, `slug`, `status`, `email_type`, `publish_date` / `creation_date`,
`secondary_id` (the email's number), `description`, `absolute_url`, `canonical_url` (where the
text first appeared), `image` (its picture for link previews) and `archival_mode`. Archive pages
live at `buttondown.com/<username>/archive/<slug>/` (before 2024 `buttondown.email/<username>/
archive/<slug>/`, the same path) or, on a custom domain, at `/archive/<slug>/`.

A body is Markdown, unless it starts with the editor's `<!-- buttondown-editor-mode: fancy -->`
sigil (or a `buttondown pull` file says `editor_mode: fancy`), in which case it is HTML. Its
template is resolved first, as the web archive resolved it (see buttondown_template.py); Markdown
is then rendered as Buttondown renders it, with Python-Markdown and the same extensions (smarty,
tables, footnotes, fenced_code, pymdownx.tilde, codehilite, toc). The raw HTML it lets through,
and any script link, is the unsafe cleaner's to remove.

Which emails are public is Buttondown's to say: `status` (sent and imported emails went out; a
CSV export has no status, and an email there without a publish_date never went out), `email_type`
(public and archival emails were in the archive; private ones never were; premium, free and
churned ones were for part of the readers) and `archival_mode` (disabled: never in the archive).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import json
import re
import threading
from dataclasses import dataclass
from typing import IO, Iterator
from urllib.parse import quote, urlsplit

import ijson
from bs4 import BeautifulSoup
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from ..errors import UserError
from ..files import Utf8Stream, first_non_space
from ..jsondata import array_entries
from ..mappings import PlatformMapping, parse_date
from ..record import Issue, SourceProblem
from .base import AUDIENCES_OPTION, DRAFTS_OPTION, hold_for_audience, keeps_drafts, published_audiences
from .buttondown_template import WebView, resolve_for_web

TOKEN_ENV = "BUTTONDOWN_API_KEY"
BUTTONDOWN_HOSTS = ("buttondown.com", "buttondown.email")

# Statuses of an email that went out (or is going out) to subscribers and sits in the archive.
# ("published" is what Buttondown's own command-line tool writes for all of these.)
SENT_STATUSES = {"sent", "imported", "about_to_send", "in_flight", "throttled", "resending", "published"}
# Statuses of an email that never went out: drafts (or skipped with drafts=skip).
DRAFT_STATUSES = {"draft", "scheduled", "managed_by_rss", "errored"}
# Statuses of an email that was stopped on its way: not public, but the author's text, so a draft.
NOT_PUBLIC_STATUSES = {"paused": "its sending was paused, so it is not a public issue",
                       "suppressed": "Buttondown suppressed it, so it is not a public issue"}
# Statuses that are not newsletter issues at all.
SKIPPED_STATUSES = {"deleted": "it was deleted at Buttondown", "transactional": "it is a transactional email, not an issue"}

# email_type: who an email was for. Public and archival emails were in the web archive.
PUBLIC_TYPES = {"public", "archival"}
# Emails for part of the readers: paying subscribers, free ones only, lapsed paying ones.
AUDIENCES = ("premium", "free", "churned")

PLATFORM_OPTIONS = {
    "drafts": DRAFTS_OPTION,
    "publish_audiences": AUDIENCES_OPTION.format(", ".join(AUDIENCES)),
    "toc": "list (default): `[TOC]` becomes a list of links to the email's headings, as Buttondown showed it; drop: it is left out",
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

TOC_CHOICES = ("list", "drop")
_local = threading.local()


class _WithoutContents(Extension):
    """`[TOC]` dropped instead of becoming a list of the headings (`toc=drop`)."""

    class _Drop(Treeprocessor):
        def run(self, root):
            for parent in list(root.iter()):
                for child in list(parent):
                    if child.tag == "div" and child.get("class") == "toc":
                        parent.remove(child)

    def extendMarkdown(self, md):
        # After the toc extension's own tree processor (priority 5) has put the list in.
        md.treeprocessors.register(self._Drop(md), "nm_drop_toc", 4)


def _renderer(toc: str):
    """Python-Markdown with the extensions Buttondown renders with (one per thread: a Markdown
    instance keeps state between documents)."""
    md = getattr(_local, toc, None)
    if md is None:
        import markdown

        extensions = ["smarty", "tables", "footnotes", "fenced_code", "pymdownx.tilde", "codehilite", "toc"]
        if toc == "drop":
            extensions.append(_WithoutContents())
        # codehilite without Pygments writes <code class="language-x">: the language survives into
        # the fenced block, where Hugo highlights it, instead of Pygments' spans.
        md = markdown.Markdown(extensions=extensions, extension_configs={"codehilite": {"use_pygments": False}})
        setattr(_local, toc, md)
    return md.reset()


def editor_mode(body: str) -> tuple[str | None, str]:
    """The editor mode a body's leading sigil names (fancy, plaintext, ...) and the body without it."""
    stripped = body.lstrip()
    if stripped.startswith("<!--"):
        comment, end, rest = stripped[4:].partition("-->")
        if end and comment.strip().startswith(_EDITOR_MODE):
            return comment.strip()[len(_EDITOR_MODE):].strip().lower() or None, rest
    return None, body


def render_body(text: str, fancy: bool = False, toc: str = "list") -> str:
    """A body (its template already resolved) as HTML: as it is from the fancy editor, otherwise
    Markdown rendered as Buttondown renders it."""
    return text if fancy else _renderer(toc).convert(text)


def toc_choice(options: dict) -> str:
    """What `[TOC]` becomes (`--platform-option toc=`); any other value is a UserError."""
    value = (options.get("toc") or "list").strip().lower()
    if value not in TOC_CHOICES:
        raise UserError(f"--platform-option toc={value} is not a choice; use toc=list or toc=drop.")
    return value


def check_options(options: dict) -> None:
    """Refuse, before anything is written, an option value that cannot work."""
    keeps_drafts(options)
    toc_choice(options)
    published_audiences(options, AUDIENCES)


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


def _has_value(raw: dict, name: str) -> bool:
    value = raw.get(name)
    return value is not None and value != "" and not (isinstance(value, str) and not value.strip())


def _decide_status(issue: Issue, raw: dict, options: dict) -> bool:
    """Set the issue's date, draft flag or skip reason from the email's status; True when the email
    went out and had an archive page."""
    status = _text(raw.get("status")).lower()
    if not status:
        # An export's CSV has no status column: an email with a publish_date went out, one
        # without never did (a draft), and gets no invented date or address.
        status = "sent" if _has_value(raw, "publish_date") else "draft"
    if status in SKIPPED_STATUSES:
        issue.skip_reason = SKIPPED_STATUSES[status]
        return False
    if status in SENT_STATUSES:
        issue.date = _date(raw, "publish_date", issue)
        if issue.date is None:
            issue.date = _date(raw, "creation_date", issue)
            if issue.date is not None:
                issue.warnings.append("has no publish_date; its creation_date is used")
        return True
    if status in NOT_PUBLIC_STATUSES:
        issue.warnings.append(f"has the status {status!r}: {NOT_PUBLIC_STATUSES[status]}; it is written as a draft")
    elif status not in DRAFT_STATUSES:
        issue.warnings.append(f"has the status {status!r}, which is not one of a sent email; it is written as a draft")
    issue.draft = True
    if not keeps_drafts(options):
        issue.skip_reason = f"an unsent email (status {status}); drafts=skip leaves it out"
    if _has_value(raw, "publish_date"):
        issue.date = _date(raw, "publish_date", issue)  # a scheduled email's date
    return False


def _decide_visibility(issue: Issue, raw: dict, options: dict) -> bool:
    """Whether the email's archive page was public, by its `email_type` and `archival_mode`; an
    email for part of the readers is held back (see hold_for_audience)."""
    email_type = _text(raw.get("email_type")).lower() or "public"
    if _text(raw.get("archival_mode")).lower() == "disabled":
        issue.draft = True
        issue.warnings.append("has archival_mode disabled: it was never in the web archive; it is written as a draft")
        return False
    if email_type in PUBLIC_TYPES:
        return True
    if email_type == "private":
        issue.draft = True
        issue.warnings.append("is a private email, never in the public archive; it is written as a draft")
        return False
    if email_type not in AUDIENCES:
        issue.warnings.append(f"has the email_type {email_type!r}, which Buttondown does not document; "
                              "it is written as a draft, as an email for part of the readers")
    hold_for_audience(issue, email_type, published_audiences(options, AUDIENCES))
    return not issue.draft


def body_mode(raw: dict, body: str) -> tuple[bool, str]:
    """Whether a body is HTML (the fancy editor) and its text without the editor's sigil: the
    sigil says so in an export or the API, `editor_mode` in a `buttondown pull` file."""
    mode, text = editor_mode(body)
    mode = mode or _text(raw.get("editor_mode")).lower() or None
    return mode == "fancy", text


def email_issue(raw: dict, body: str, *, mapping: PlatformMapping, options: dict, where: str, order: int,
                source_ref: str, offload=lambda function, *args: function(*args), local_file: str | None = None) -> Issue | SourceProblem:
    """One Buttondown email as an Issue (or the reason it cannot be one).

    `body` is the email's Markdown or HTML; `offload` runs the rendering (the run may do that in a
    worker process). An unsent email is written with `draft: true`, or skipped with drafts=skip;
    a deleted or transactional email is skipped with its reason; a private email, and one for
    part of the readers (premium, free, churned), is written as a draft (see hold_for_audience).
    `local_file` is where a local source holds the body: its relative images are read from there.
    """
    email_id = raw.get("id")
    email_id = "" if email_id is None or isinstance(email_id, bool) else str(email_id).strip()
    slug = _text(raw.get("slug"))
    source_id = email_id or slug
    if not source_id:
        return SourceProblem(where, "the email has neither an `id` nor a `slug`", order)
    issue = Issue(platform=mapping.name, source_id=source_id, html="", source_ref=source_ref, order=order,
                  source_hash=source_hash(raw, body), local_file=local_file)
    if not email_id:
        issue.warnings.append(f"has no id; it is known by its slug {slug!r}")
    subject = raw.get("subject")
    issue.title = clean_subject(subject, mapping) if isinstance(subject, str) else None
    issue.slug = slug or None
    issue.number = _number(raw.get("secondary_id"))
    description = _text(raw.get("description"))
    if description:
        issue.description = " ".join(BeautifulSoup(description, "lxml").get_text(" ").split()) or None
    sent = _decide_status(issue, raw, options)
    public = sent and _decide_visibility(issue, raw, options)
    if public:
        _add_old_paths(issue, raw, options)
    _add_social_image(issue, raw)
    fancy, text = body_mode(raw, body)
    if not text.strip():
        issue.warnings.append("has an empty body")
        return issue
    view = WebView(raw, email_url=_archive_url(issue, raw, options) if sent else None)
    text = resolve_for_web(text, view)
    issue.warnings.extend(view.notes)
    try:
        issue.html = offload(render_body, text, fancy, toc_choice(options))
    except RecursionError:
        return SourceProblem(where, "its Markdown nests too deeply to be rendered", order, source_id)
    return issue


def missing_archive_url(issue) -> bool:
    """Whether a public issue was given no archive address (neither the source nor the username
    tells it): the fetchers say so once for the run, with the option that mends it."""
    return (isinstance(issue, Issue) and not issue.draft and not issue.skip_reason
            and not any(parse_archive_url(url) for url in issue.old_urls))


NO_ARCHIVE_URL = ("{count} email(s) have no archive URL in the source; add --platform-option username=<your Buttondown "
                  "username> to keep each one's buttondown.com/<username>/archive/<slug>/ address")


def _archive_url(issue: Issue, raw: dict, options: dict) -> str | None:
    """The email's permalink, as `{{ email_url }}` gave it: its absolute_url, else its
    buttondown.com address when the username is known."""
    url = _text(raw.get("absolute_url"))
    if url.startswith(("http://", "https://")):
        return url
    buttondown = next((u for u in issue.old_urls if _is_buttondown_host(urlsplit(u).hostname or "")), None)
    if buttondown:
        return buttondown
    username = _text(options.get("username"))
    slug = issue.slug or _text(raw.get("slug"))
    return f"https://buttondown.com/{quote(username)}/archive/{quote(slug)}/" if username and slug else None


def _add_social_image(issue: Issue, raw: dict) -> None:
    """The email's `image` (its picture for link previews) as the page's `images`, Hugo's name
    for it; the images cleaner stores it like any other."""
    image = _text(raw.get("image"))
    if image.startswith(("http://", "https://")):
        issue.params["images"] = [image]


def _add_old_paths(issue: Issue, raw: dict, options: dict) -> None:
    """The addresses the email was reachable at: its absolute_url's path, the buttondown.com form
    when the username is known (stated, or from the URL), and its canonical_url (where the text
    first appeared, often the author's own site)."""
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
    canonical = _text(raw.get("canonical_url"))
    if canonical:
        try:
            parts = urlsplit(canonical)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            issue.warnings.append(f"its canonical_url {canonical[:80]!r} is not a web address; it is not kept as an alias")
        elif parts.path not in ("", "/"):
            issue.old_urls.append(canonical)
            issue.add_old_path(parts.path)


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
