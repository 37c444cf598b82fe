"""What the two Mailchimp forms share: Mailchimp's URL forms, its subjects, its plain-text bodies.

A campaign's public addresses:
- `https://<dc>.campaign-archive.com/?u=<account>&id=<campaign id>`: the archive page. Its
  identity is in the query string, which a Hugo alias (a path) cannot hold; it is kept as an old
  URL (the report, the redirect map's `unserved` list, links between issues), not as an alias.
- `https://mailchi.mp/<account>/<slug>`: the hosted page of newer campaigns; its path is an alias.
- `http://eepurl.com/<code>`: a short link to the archive page; kept as an old URL only (a
  six-letter path on your site would be no one's guess of a newsletter page).

Each of these names one campaign across all of Mailchimp, on hosts every account shares (the
archive's under any data center, `campaign-archive1.com` and `campaign-archive2.com` too): they
are the fetchers' `issue_hosts`, where a link is another issue's whenever the run knows the
campaign it names.
"""
from __future__ import annotations

import datetime as dt
import html
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup
from slugify import slugify

from ..cleaners.merge_tags import SECTION as MERGE_TAGS
from ..cleaners.merge_tags import MergeTagRules, plain_text
from ..mappings import PlatformMapping
from ..record import Issue
from ..urls import host_matches

API_KEY_ENV = "MAILCHIMP_API_KEY"
ARCHIVE_HOST_SUFFIXES = ("campaign-archive.com", "campaign-archive1.com", "campaign-archive2.com")
HOSTED_HOST = "mailchi.mp"
SHORT_HOST = "eepurl.com"
# Where a campaign's addresses live, each host with its subdomains (see the module's doc).
ISSUE_HOSTS = (*ARCHIVE_HOST_SUFFIXES, HOSTED_HOST, SHORT_HOST)


def campaign_archive_ref(url: str) -> tuple[str, str | None] | None:
    """The campaign id (and account id) a campaign-archive URL names. Only the site's root
    names a campaign: `/home/?u=..&id=..` (a footer's "past issues") and `/feed` name the
    audience, with the list's id in `id`."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host_matches(parts.hostname or "", ARCHIVE_HOST_SUFFIXES):
        return None
    if parts.path not in ("", "/"):
        return None
    campaign = (query.get("id") or [""])[0].strip()
    account = (query.get("u") or [""])[0].strip() or None
    return (campaign, account) if campaign else None


def mailchimp_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The campaign a link names: how a run recognises links between issues. A campaign-archive
    URL names the campaign's id and the account (`u=`); a mailchi.mp page or an eepurl.com short
    link names no id, so its address is the id (`mailchi.mp/<account>/<slug>`, `eepurl.com/<code>`,
    each unique across Mailchimp), which the campaign's recorded URLs tie to the campaign."""
    ref = campaign_archive_ref(url)
    if ref:
        return ref
    path = hosted_path(url)
    if path:
        return HOSTED_HOST + path, None
    code = short_code(url)
    return (f"{SHORT_HOST}/{code}", None) if code else None


def _http_parts(url: str, host: str):
    """A URL's parts when it is an http(s) address on `host` (or its www.), else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    name = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or name not in (host, f"www.{host}"):
        return None
    return parts


def hosted_path(url: str) -> str | None:
    """The path of a mailchi.mp page (`/<account>/<slug>`), or None for any other URL."""
    parts = _http_parts(url, HOSTED_HOST)
    segments = [s for s in parts.path.split("/") if s] if parts else []
    if len(segments) < 2:
        return None
    return "/" + "/".join(segments)


def short_code(url: str) -> str | None:
    """The code of an eepurl.com short link (`http://eepurl.com/<code>`), or None for any other URL."""
    parts = _http_parts(url, SHORT_HOST)
    segments = [s for s in parts.path.split("/") if s] if parts else []
    return segments[0] if len(segments) == 1 else None


def add_campaign_urls(issue: Issue, *urls: str | None) -> None:
    """Record a campaign's public URLs: a mailchi.mp path as an alias, every URL as an old URL
    (mailchi.mp first, so relative links resolve against the page readers knew)."""
    found = [u.strip() for u in urls if isinstance(u, str) and u.strip().startswith(("http://", "https://"))]
    for url in sorted(found, key=lambda u: hosted_path(u) is None):
        path = hosted_path(url)
        if path:
            issue.add_old_path(path)
        if url not in issue.old_urls:
            issue.old_urls.append(url)


def merge_tag_rules(mapping: PlatformMapping) -> MergeTagRules:
    return mapping.section(MERGE_TAGS) or MergeTagRules()


def clean_subject(text: str | None, mapping: PlatformMapping, decode_entities: bool = False) -> str | None:
    """A subject line as an archive reader sees it: no merge tags, entities decoded once (a CSV
    may hold them), whitespace collapsed."""
    if not isinstance(text, str):
        return None
    if decode_entities:
        text = html.unescape(text)
    return plain_text(text, merge_tag_rules(mapping))


def campaign_slug(date: dt.date | dt.datetime | None, subject: str | None) -> str | None:
    """`<send date>-<subject>`: subjects repeat ("Our newsletter!") and the date tells them
    apart; the same campaign gets the same slug from the API and from an export."""
    words = slugify(subject or "")
    if isinstance(date, dt.datetime):
        date = date.astimezone(dt.timezone.utc).date()
    if date is None:
        return words or None
    return f"{date.isoformat()}-{words}" if words else date.isoformat()


def text_body(text: str, mapping: PlatformMapping | None = None) -> str:
    """A plain-text campaign as HTML that keeps its line breaks (the layout cleaner turns it into
    paragraphs and links), built through the tree. Mailchimp's plain-text footer (after a rule of
    `=` signs, with the unsubscribe and preference tags) is chrome and stays behind."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    chrome = merge_tag_rules(mapping).chrome_links if mapping is not None else frozenset()
    for index in range(len(lines) - 1, -1, -1):
        rule = lines[index].strip()
        if len(rule) >= 10 and set(rule) <= {"=", "-"}:
            rest = "\n".join(lines[index + 1:]).upper()
            if any(f"*|{name}|*" in rest for name in chrome):
                lines = lines[:index]
            break
    doc = BeautifulSoup("", "lxml")
    block = doc.new_tag("div", attrs={"style": "white-space: pre-wrap"})
    block.string = "\n".join(lines).rstrip()
    return str(block)
