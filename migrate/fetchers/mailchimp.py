"""What the two Mailchimp forms share: Mailchimp's URL forms, its subjects, its plain-text bodies.

A campaign's public addresses:
- `https://<dc>.campaign-archive.com/?u=<account>&id=<campaign id>`: the archive page. Its
  identity is in the query string, which a Hugo alias (a path) cannot hold; it is kept as an old
  URL (the report, the redirect map's `unserved` list, links between issues), not as an alias.
- `https://mailchi.mp/<account>/<slug>`: the hosted page of newer campaigns; its path is an alias.
- `http://eepurl.com/<code>`: a short link to the archive page; kept as an old URL only (a
  six-letter path on your site would be no one's guess of a newsletter page).
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


def campaign_archive_ref(url: str) -> tuple[str, str | None] | None:
    """The campaign id (and account id) a campaign-archive URL names."""
    try:
        parts = urlsplit(url)
        query = parse_qs(parts.query)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host_matches(parts.hostname or "", ARCHIVE_HOST_SUFFIXES):
        return None
    campaign = (query.get("id") or [""])[0].strip()
    account = (query.get("u") or [""])[0].strip() or None
    return (campaign, account) if campaign else None


def mailchimp_issue_ref(url: str) -> tuple[str, str | None] | None:
    """The campaign a link names, when its address holds the campaign's id: how a run recognises
    links between issues (a mailchi.mp or eepurl.com address does not hold it)."""
    return campaign_archive_ref(url)


def hosted_path(url: str) -> str | None:
    """The path of a mailchi.mp page (`/<account>/<slug>`), or None for any other URL."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if (parts.hostname or "").lower() != HOSTED_HOST or len(segments) < 2:
        return None
    return "/" + "/".join(segments)


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
